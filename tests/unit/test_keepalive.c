// SPDX-License-Identifier: BSD-2-Clause
/*
 * Keep-alive (RFC 1122 4.2.3.6, keepalive.c): the first probe at exactly
 * the idle time, probes as SEQ = SND.UNA - 1 without data, their interval,
 * the abort (RST, ETIMEDOUT) by time or by TCP_KEEPCNT, answered probes and
 * any arrival keeping the connection, the options on a live connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "engine_helpers.h"
#include "xtcp/xtcp.h"

#define MSS 1460

static int tset(struct harness *h, int level, int name, int v)
{
	return eng_setsockopt(h->tcb, level, name, &v, sizeof(v), NULL, h->now);
}

static void next_at(struct harness *h, uint64_t when)
{
	uint64_t d = h_next_timer(h);

	if (d != when)
		fail_msg("next timer at %llu, expected %llu",
			 (unsigned long long)d, (unsigned long long)when);
}

/* A probe: SEQ = SND.UNA - 1 (relative @una - 1), no data. */
static void expect_probe(struct harness *h, uint32_t una, uint32_t ack)
{
	h_expect(h, "A", una - 1, ack, 0);
	h_expect_none(h);
}

static void default_two_hours_and_eight_minutes(void **state)
{
	struct harness h;
	struct sock_opts o;
	uint64_t t0;
	int v = 1;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	assert_int_equal(sockopts_set(h.eng, &o, SOL_SOCKET, SO_KEEPALIVE, &v,
				      sizeof(v), NULL),
			 0);
	est_active(&h, &o, MSS, 65535);
	t0 = h.now;
	/* tcp(4P): the first probe after two hours idle, exactly. */
	h_run_until(&h, t0 + 7200 * SEC - 1);
	h_expect_none(&h);
	next_at(&h, t0 + 7200 * SEC);
	expect_probe(&h, 1, 1);
	/* Then every 75 s; no answer within eight minutes: abort. */
	for (int i = 1; i <= 6; i++) {
		next_at(&h, t0 + 7200 * SEC + (uint64_t)i * 75 * SEC);
		expect_probe(&h, 1, 1);
	}
	next_at(&h, t0 + 7200 * SEC + 480 * SEC);
	h_expect(&h, "RA", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_true(h_events(&h) & EV_ERROR);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	assert_int_equal(eng_stats(h.eng)->timeouts, 1);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void threshold_on_a_live_connection(void **state)
{
	struct harness h;
	uint64_t t0;
	uint32_t u = 20000;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = h.now;
	/* Off by default: no timer at all. */
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP,
					TCP_KEEPALIVE_THRESHOLD, &u, sizeof(u),
					NULL, h.now),
			 0);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_advance(&h, 5 * SEC);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	/* Idle counts from the last arrival, not from the option. */
	assert_int_equal(eng_next_deadline(h.eng), t0 + 20 * SEC);
	next_at(&h, t0 + 20 * SEC);
	expect_probe(&h, 1, 1);
	/* Switched off: no more probes. */
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 0), 0);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void answered_probes_keep_it_alive(void **state)
{
	struct harness h;
	uint64_t t1;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPIDLE, 30), 0);
	/* Some data both ways first: the probe sits below SND.UNA. */
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	feed_pat(&h, "PA", 1, 101, 65535, 50);
	h_expect_none(&h);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 101, 51, 0); /* the delayed ACK */
	t1 = h.now - 100 * MSEC;
	for (int i = 0; i < 5; i++) {
		next_at(&h, t1 + 30 * SEC);
		expect_probe(&h, 101, 51);
		/* The peer answers (RFC 9293 3.10.7.4: an unacceptable
		 * segment gets an ACK). */
		h_advance(&h, 20 * MSEC);
		h_feed(&h, "A", 51, 101, 65535, NULL, NULL, 0);
		h_expect_none(&h);
		t1 = h.now;
		assert_int_equal(eng_next_deadline(h.eng), t1 + 30 * SEC);
	}
	/* Data from the peer also ends idleness; our delayed ACK goes. */
	h_advance(&h, 10 * SEC);
	feed_pat(&h, "PA", 51, 101, 65535, 10);
	t1 = h.now;
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 101, 61, 0);
	/* (The timer armed before wakes at the old deadline, finds the
	 * connection busy and sleeps again: nothing is sent.) */
	h_run_until(&h, t1 + 30 * SEC - 1);
	h_expect_none(&h);
	next_at(&h, t1 + 30 * SEC);
	expect_probe(&h, 101, 61);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

static void keepcnt_and_keepintvl(void **state)
{
	struct harness h;
	uint64_t t0;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = h.now;
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPINTVL, 3), 0);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPCNT, 4), 0);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	/* Four probes 3 s apart, then the abort one interval after the
	 * last: 4 * 3 s after the first (Linux's timing). */
	for (int i = 0; i < 4; i++) {
		next_at(&h, t0 + 10 * SEC + (uint64_t)i * 3 * SEC);
		expect_probe(&h, 1, 1);
	}
	next_at(&h, t0 + 22 * SEC);
	h_expect(&h, "RA", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	h_fini(&h);
}

static void abort_threshold_and_never(void **state)
{
	struct harness h;
	uint64_t t0;
	uint32_t u;

	/* TCP_KEEPALIVE_ABORT_THRESHOLD 10 s with probes every 4 s: probes
	 * at 0, 4, 8 s past idle, the abort at 10 s, not on a probe. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = h.now;
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPINTVL, 4), 0);
	u = 10000;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP,
					TCP_KEEPALIVE_ABORT_THRESHOLD, &u,
					sizeof(u), NULL, h.now),
			 0);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	for (int i = 0; i < 3; i++) {
		next_at(&h, t0 + 10 * SEC + (uint64_t)i * 4 * SEC);
		expect_probe(&h, 1, 1);
	}
	next_at(&h, t0 + 20 * SEC);
	h_expect(&h, "RA", 1, 1, 0);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	h_fini(&h);

	/* 0: probe for ever. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = h.now;
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	u = 0;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP,
					TCP_KEEPALIVE_ABORT_THRESHOLD, &u,
					sizeof(u), NULL, h.now),
			 0);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	for (int i = 0; i < 100; i++) {
		next_at(&h, t0 + 10 * SEC + (uint64_t)i * 75 * SEC);
		expect_probe(&h, 1, 1);
	}
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

static void outstanding_data_defers(void **state)
{
	struct harness h;
	uint64_t t0;

	/* With data unacknowledged the retransmission timer watches the
	 * peer (and aborts, tcp_ip_abort_interval); keep-alive does not
	 * probe. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = h.now;
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	h_advance(&h, 9 * SEC);
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	h_run_until(&h, t0 + 30 * SEC);
	/* Only retransmissions: 0.4, 1.2, 2.8, 6, 12.4 s after sending. */
	for (int i = 0; i < 5; i++)
		h_expect(&h, "PA", 1, 1, 10);
	h_expect_none(&h);
	/* Acknowledged: idle from the ACK. */
	h_feed(&h, "A", 1, 11, 65535, NULL, NULL, 0);
	t0 = h.now;
	next_at(&h, t0 + 10 * SEC);
	expect_probe(&h, 11, 1);
	h_fini(&h);
}

static void passive_inherits_and_closing_states(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1460 };
	uint64_t t0;
	int err, v = 1;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	assert_int_equal(sockopts_set(h.eng, &o, SOL_SOCKET, SO_KEEPALIVE, &v,
				      sizeof(v), NULL),
			 0);
	v = 15;
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_KEEPIDLE, &v,
				      sizeof(v), NULL),
			 0);
	h.listener = eng_listen(h.eng, &h.local, h.lport, 4, &o, &err);
	assert_non_null(h.listener);
	h_feed(&h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	t0 = h.now;
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	next_at(&h, t0 + 15 * SEC);
	expect_probe(&h, 1, 1);
	/* The peer closes: CLOSE-WAIT is still probed. */
	h_feed(&h, "FA", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	t0 = h.now;
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSE_WAIT);
	next_at(&h, t0 + 15 * SEC);
	expect_probe(&h, 1, 2);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_two_hours_and_eight_minutes),
		cmocka_unit_test(threshold_on_a_live_connection),
		cmocka_unit_test(answered_probes_keep_it_alive),
		cmocka_unit_test(keepcnt_and_keepintvl),
		cmocka_unit_test(abort_threshold_and_never),
		cmocka_unit_test(outstanding_data_defers),
		cmocka_unit_test(passive_inherits_and_closing_states),
	};

	return cmocka_run_group_tests_name("keepalive", tests, NULL, NULL);
}
