// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests: retransmission timer and its backoff (RFC 6298),
 * RTT sampling and Karn's rule, the abort thresholds, the persist timer
 * (RFC 9293 3.8.6.1), TIME-WAIT, the FIN-WAIT-2 flush and delayed ACKs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"

/* The next timer fires exactly at @when. */
static void next_at(struct harness *h, uint64_t when)
{
	uint64_t d = h_next_timer(h);

	if (d != when)
		fail_msg("next timer at %llu, expected %llu",
			 (unsigned long long)d, (unsigned long long)when);
}

/* --- SYN ---------------------------------------------------------------------- */

static void syn_rto_schedule_and_abort(void **state)
{
	static const uint64_t at[] = { 1, 3, 7, 15, 31, 63, 123 };
	struct harness h;
	uint64_t t0;

	h_init(&h);
	t0 = h.now;
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	/* RTO 1 s (tcp_rexmit_interval_initial), doubling up to 60 s. */
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		next_at(&h, t0 + at[i] * SEC);
		h_expect(&h, "S", 0, 0, 0);
		h_expect_none(&h);
		assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	}
	assert_int_equal(info_of(h.tcb).rto_us, 60 * SEC);
	/* tcp_ip_abort_cinterval, 3 min: the next would be at 183 s, but the
	 * connection dies at exactly 180 s, with no RST (nothing to reset). */
	h_run_until(&h, t0 + 180 * SEC - 1);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	next_at(&h, t0 + 180 * SEC);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_true(h_events(&h) & EV_ERROR);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	assert_int_equal(eng_stats(h.eng)->timeouts, 1);
	assert_int_equal(eng_stats(h.eng)->tcpAttemptFails, 1);
	assert_int_equal(eng_stats(h.eng)->tcpRetransSegs, 7);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void syn_rto_sockopt_bounds(void **state)
{
	static const uint64_t at[] = { 200, 600, 1100, 1600 };
	struct harness h;
	struct sock_opts o;
	uint64_t t0;

	h_init(&h);
	t0 = h.now;
	eng_default_opts(h.eng, &o);
	o.rto_initial_ms = 200;
	o.rto_min_ms = 100;
	o.rto_max_ms = 500;
	o.conn_abort_ms = 2000;
	h_connect_opts(&h, &o);
	h_expect(&h, "S", 0, 0, 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		next_at(&h, t0 + at[i] * MSEC);
		h_expect(&h, "S", 0, 0, 0);
	}
	next_at(&h, t0 + 2000 * MSEC);
	h_expect_none(&h);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	h_fini(&h);
}

static void tweak_rto(struct tunables *t)
{
	t->tcp_rexmit_interval_initial = 3000;
	t->tcp_rexmit_interval_max = 10000;
}

static void syn_rto_tunables(void **state)
{
	static const uint64_t at[] = { 3, 9, 19, 29, 39 };
	struct harness h;
	uint64_t t0;

	h_init_tun(&h, tweak_rto);
	t0 = h.now;
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		next_at(&h, t0 + at[i] * SEC);
		h_expect(&h, "S", 0, 0, 0);
	}
	h_expect_none(&h);
	h_fini(&h);
}

static void syn_never_aborts_with_zero(void **state)
{
	struct harness h;
	struct sock_opts o;
	uint64_t t0;
	int n = 0;

	h_init(&h);
	t0 = h.now;
	eng_default_opts(h.eng, &o);
	o.conn_abort_ms = 0;
	h_connect_opts(&h, &o);
	h_expect(&h, "S", 0, 0, 0);
	h_run_until(&h, t0 + 3600 * SEC);
	while (h_pending(&h)) {
		h_expect(&h, "S", 0, 0, 0);
		n++;
	}
	/* 1, 3, ..., 123, then every 60 s up to 3600 s. */
	assert_int_equal(n, 7 + (3600 - 183) / 60 + 1);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	h_fini(&h);
}

static void synack_rto_and_abort(void **state)
{
	static const uint64_t at[] = { 1, 3, 7, 15, 31, 63, 123 };
	struct harness h;
	uint64_t t0;

	/* The passive side's SYN-ACK backs off the same way; a child that
	 * times out is freed silently. */
	h_init(&h);
	t0 = h.now;
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		next_at(&h, t0 + at[i] * SEC);
		h_expect(&h, "SA", 0, 1, 0);
	}
	next_at(&h, t0 + 180 * SEC);
	h_expect(&h, "RA", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

/* --- data ----------------------------------------------------------------------- */

/* Passive open whose SYN-ACK went twice, the peer's SYN having come
 * again: no RTT sample (Karn), and since no timer expired the data RTO
 * starts at the initial 1 s (after an expiry RFC 6298 5.7 makes it 3 s). */
static void est_no_sample(struct harness *h, const struct sock_opts *o)
{
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1460 };
	struct sock_opts d;
	int err;

	if (!o) {
		eng_default_opts(h->eng, &d);
		o = &d;
	}
	h->listener = eng_listen(h->eng, &h->local, h->lport, 16, o, &err);
	assert_non_null(h->listener);
	h_feed(h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(h, "SA", 0, 1, 0);
	h_advance(h, 500 * MSEC);
	h_feed(h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(h, "SA", 0, 1, 0);
	h_advance(h, 10 * MSEC);
	h_feed(h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect_none(h);
	h->tcb = eng_accept(h->listener, &err);
	assert_non_null(h->tcb);
	h_events(h);
	assert_false(info_of(h->tcb).srtt_us);
	assert_int_equal(info_of(h->tcb).rto_us, SEC);
	assert_int_equal(info_of(h->tcb).backoff, 0);
}

static void data_rto_schedule_and_abort(void **state)
{
	static const uint64_t at[] = { 1,   3,	 7,   15,  31,	63,
				       123, 183, 243, 303, 363, 423 };
	struct harness h;
	struct tcb_info i;
	uint64_t t0;

	h_init(&h);
	est_no_sample(&h, NULL);
	t0 = h.now;
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		next_at(&h, t0 + at[k] * SEC);
		h_expect(&h, "PA", 1, 1, 100);
		h_expect_none(&h);
	}
	i = info_of(h.tcb);
	assert_int_equal(i.rto_us, 60 * SEC);
	assert_int_equal(i.total_retrans, 13); /* the SYN's too */
	assert_int_equal(i.cwnd, 1460);
	/* tcp_ip_abort_interval, 8 min after the first transmission: RST
	 * and ETIMEDOUT, exactly then. */
	h_run_until(&h, t0 + 480 * SEC - 1);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	next_at(&h, t0 + 480 * SEC);
	h_expect(&h, "RA", 101, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void data_abort_clock_restarts_on_progress(void **state)
{
	struct harness h;
	struct sock_opts o;
	uint64_t t1;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.abort_ms = 10000;
	est_no_sample(&h, &o);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	h_next_timer(&h); /* +1 s */
	h_expect(&h, "PA", 1, 1, 100);
	h_next_timer(&h); /* +3 s */
	h_expect(&h, "PA", 1, 1, 100);
	h_feed(&h, "A", 1, 101, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* New data: the abort clock starts again from its first send. The
	 * RTO stays backed off (no new sample): 4 s, then 8 s clamped. */
	t1 = h.now;
	send_pat(&h, 100, 10);
	h_expect(&h, "PA", 101, 1, 10);
	next_at(&h, t1 + 4 * SEC);
	h_expect(&h, "PA", 101, 1, 10);
	next_at(&h, t1 + 10 * SEC);
	h_expect(&h, "RA", 111, 1, 0);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	h_fini(&h);
}

static void data_never_aborts_with_zero(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.abort_ms = 0;
	est_no_sample(&h, &o);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	h_advance(&h, 3600 * SEC);
	while (h_pending(&h))
		h_expect(&h, "PA", 1, 1, 100);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

static void rtt_sampling_and_karn(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct tcb_info i;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rto_min_ms = 1;
	/* The SYN is timed: R = 100 ms, SRTT = 100, RTTVAR = 50,
	 * RTO = 100 + 4 * 50 = 300 ms (RFC 6298 2.2). */
	est_active_rtt(&h, &o, 1460, 65535, 100 * MSEC);
	i = info_of(h.tcb);
	assert_int_equal(i.srtt_us, 100000);
	assert_int_equal(i.rttvar_us, 50000);
	assert_int_equal(i.rto_us, 300000);
	/* A data sample of 50 ms (2.3): RTTVAR = 3/4 50 + 1/4 50 = 50,
	 * SRTT = 7/8 100 + 1/8 50 = 93.75, RTO = 293.75 ms. */
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	h_advance(&h, 50 * MSEC);
	h_feed(&h, "A", 1, 101, 65535, NULL, NULL, 0);
	i = info_of(h.tcb);
	assert_int_equal(i.srtt_us, 93750);
	assert_int_equal(i.rttvar_us, 50000);
	assert_int_equal(i.rto_us, 293750);
	/* The next segment times out at exactly that RTO, and backs off. */
	send_pat(&h, 100, 100);
	h_expect(&h, "PA", 101, 1, 100);
	h_advance(&h, 293749);
	h_expect_none(&h);
	h_advance(&h, 1);
	h_expect(&h, "PA", 101, 1, 100);
	assert_int_equal(info_of(h.tcb).rto_us, 587500);
	/* Karn: its ACK, 10 ms later, is ambiguous and not sampled; the
	 * backed-off RTO stays. */
	h_advance(&h, 10 * MSEC);
	h_feed(&h, "A", 1, 201, 65535, NULL, NULL, 0);
	i = info_of(h.tcb);
	assert_int_equal(i.srtt_us, 93750);
	assert_int_equal(i.rto_us, 587500);
	/* A fresh segment's sample collapses the backoff (RFC 6298 5.7). */
	send_pat(&h, 200, 100);
	h_expect(&h, "PA", 201, 1, 100);
	h_advance(&h, 50 * MSEC);
	h_feed(&h, "A", 1, 301, 65535, NULL, NULL, 0);
	i = info_of(h.tcb);
	assert_int_equal(i.backoff, 0);
	assert_int_equal(i.srtt_us, 88281); /* 7/8 93.75 + 1/8 50 */
	assert_true(i.rto_us < 300000);
	h_expect_none(&h);
	h_fini(&h);
}

static void rto_floor_from_tunable(void **state)
{
	struct harness h;

	/* A 100 ms RTT computes 300 ms; tcp_rexmit_interval_min lifts it
	 * to 400 ms. */
	h_init(&h);
	est_active_rtt(&h, NULL, 1460, 65535, 100 * MSEC);
	assert_int_equal(info_of(h.tcb).rto_us, 400000);
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	h_advance(&h, 400 * MSEC - 1);
	h_expect_none(&h);
	h_advance(&h, 1);
	h_expect(&h, "PA", 1, 1, 10);
	h_fini(&h);
}

/* --- persist ------------------------------------------------------------------ */

static void persist_probes(void **state)
{
	struct harness h;
	uint64_t t0;

	h_init(&h);
	est_active_rtt(&h, NULL, 1460, 65535, 100 * MSEC); /* RTO 400 ms */
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).snd_wnd, 0);
	t0 = h.now;
	send_pat(&h, 0, 3000);
	h_expect_none(&h);
	/* First probe after one RTO, one byte of new data. */
	next_at(&h, t0 + 400 * MSEC);
	h_expect(&h, "A", 1, 1, 1);
	h_expect_none(&h);
	/* The peer keeps its window shut: the probes back off, 1 byte each. */
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	next_at(&h, t0 + 1200 * MSEC);
	h_expect(&h, "A", 1, 1, 1);
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	next_at(&h, t0 + 2800 * MSEC);
	h_expect(&h, "A", 1, 1, 1);
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 0);
	/* The window opens: sending resumes from SND.UNA, with the window
	 * and cwnd the connection had (probes are not congestion). */
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 1460);
	h_expect(&h, "A", 1461, 1, 1460);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 2921, 65535, NULL, NULL, 0);
	h_expect(&h, "PA", 2921, 1, 80);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 3001, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void persist_probe_accepted(void **state)
{
	struct harness h;

	h_init(&h);
	est_active_rtt(&h, NULL, 1460, 65535, 100 * MSEC);
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	send_pat(&h, 0, 10);
	h_next_timer(&h);
	h_expect(&h, "A", 1, 1, 1);
	/* The peer takes the probe byte and opens a little: too little for
	 * sender SWS avoidance, so it goes only at the override timeout
	 * (RFC 9293 3.8.6.2.1), the persist timer. */
	h_feed(&h, "A", 1, 2, 4, NULL, NULL, 0);
	h_expect_none(&h);
	h_next_timer(&h);
	h_expect(&h, "A", 2, 1, 4);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 6, 100, NULL, NULL, 0);
	h_expect(&h, "PA", 6, 1, 5);
	h_expect_none(&h);
	h_fini(&h);
}

static void persist_never_aborts_answered(void **state)
{
	struct harness h;
	struct sock_opts o;

	/* RFC 9293 3.8.6.1: a zero window alone never kills a connection,
	 * however long it lasts, while the peer answers the probes. */
	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.abort_ms = 5000;
	est_active_rtt(&h, &o, 1460, 65535, 100 * MSEC);
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	send_pat(&h, 0, 100);
	while (h.now < 1000 * SEC) {
		h_next_timer(&h);
		h_expect(&h, "A", 1, 1, 1);
		h_expect_none(&h);
		h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
		h_expect_none(&h);
	}
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	/* Once it stops answering, the abort threshold applies, counted
	 * from its last answer. */
	{
		uint64_t t = h.now;

		while (tcb_state(h.tcb) != TCPS_CLOSED) {
			h_next_timer(&h);
			if (tcb_state(h.tcb) != TCPS_CLOSED)
				h_expect(&h, "A", 1, 1, 1);
		}
		assert_int_equal(h.now, t + 5 * SEC);
		h_expect(&h, "RA", 2, 1, 0);
		assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	}
	h_fini(&h);
}

static void tweak_tw(struct tunables *t)
{
	t->tcp_time_wait_interval = 5000;
}

static void time_wait_exact(void **state)
{
	struct harness h;
	uint64_t t0;

	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_advance(&h, 10 * MSEC);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	t0 = h.now;
	next_at(&h, t0 + 60 * SEC);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	h_expect_none(&h);
	h_fini(&h);

	h_init_tun(&h, tweak_tw);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	t0 = h.now;
	next_at(&h, t0 + 5 * SEC);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	h_fini(&h);
}

static void fin_wait_2_flush(void **state)
{
	struct harness h;
	uint64_t t0;

	h_init(&h);
	h_establish_passive(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	h_advance(&h, 10 * MSEC);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_2);
	t0 = h.now;
	/* tcp_fin_wait_2_flush_interval: 675 s by default. */
	h_run_until(&h, t0 + 675 * SEC - 1);
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_2);
	next_at(&h, t0 + 675 * SEC);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_expect_none(&h);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 2, 0, 0);
	h_fini(&h);

	/* TCP_LINGER2 per connection; closed while already in FIN-WAIT-2. */
	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	h_advance(&h, 1000 * SEC);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	{
		struct tcb *t = h.tcb;

		t0 = h.now;
		h.tcb = NULL;
		eng_close(t, false, h.now);
	}
	h_expect_none(&h);
	next_at(&h, t0 + 675 * SEC);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);
}

static void delayed_ack(void **state)
{
	struct harness h;

	/* One segment: ACK after tcp_deferred_ack_interval, exactly. */
	h_init(&h);
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 8192, 100);
	next_at(&h, h.now + 100 * MSEC);
	h_expect(&h, "A", 1, 101, 0);
	h_expect_none(&h);
	/* Every second segment at once, whatever their size. */
	feed_pat(&h, "PA", 101, 1, 8192, 100);
	h_expect_none(&h);
	feed_pat(&h, "PA", 201, 1, 8192, 100);
	h_expect(&h, "A", 1, 301, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	/* Data going out carries the owed ACK; the timer is cancelled. */
	feed_pat(&h, "PA", 301, 1, 8192, 100);
	h_advance(&h, 50 * MSEC);
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 401, 10);
	h_feed(&h, "A", 401, 11, 8192, NULL, NULL, 0);
	h_advance(&h, 100 * MSEC);
	h_expect_none(&h);
	/* A FIN is acknowledged at once. */
	h_feed(&h, "FA", 401, 11, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 11, 402, 0);
	h_fini(&h);
}

static void tweak_delack(struct tunables *t)
{
	t->tcp_deferred_ack_interval = 40;
}

static void delayed_ack_tunable(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init_tun(&h, tweak_delack);
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 8192, 100);
	next_at(&h, h.now + 40 * MSEC);
	h_expect(&h, "A", 1, 101, 0);
	h_expect_none(&h);
	h_fini(&h);

	/* TCP_QUICKACK: every segment at once. */
	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.quickack = true;
	est_active(&h, &o, 1460, 8192);
	feed_pat(&h, "PA", 1, 1, 8192, 100);
	h_expect(&h, "A", 1, 101, 0);
	h_expect_none(&h);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_rto_schedule_and_abort),
		cmocka_unit_test(syn_rto_sockopt_bounds),
		cmocka_unit_test(syn_rto_tunables),
		cmocka_unit_test(syn_never_aborts_with_zero),
		cmocka_unit_test(synack_rto_and_abort),
		cmocka_unit_test(data_rto_schedule_and_abort),
		cmocka_unit_test(data_abort_clock_restarts_on_progress),
		cmocka_unit_test(data_never_aborts_with_zero),
		cmocka_unit_test(rtt_sampling_and_karn),
		cmocka_unit_test(rto_floor_from_tunable),
		cmocka_unit_test(persist_probes),
		cmocka_unit_test(persist_probe_accepted),
		cmocka_unit_test(persist_never_aborts_answered),
		cmocka_unit_test(time_wait_exact),
		cmocka_unit_test(fin_wait_2_flush),
		cmocka_unit_test(delayed_ack),
		cmocka_unit_test(delayed_ack_tunable),
	};

	return cmocka_run_group_tests_name("engine_timers", tests, NULL, NULL);
}
