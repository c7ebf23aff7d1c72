// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests: every RFC 9293 state with the arrivals it handles
 * (3.10.7), the closes (3.10.4, RFC 2525 2.17) and half-closes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"

/* Take the next captured segment whatever it is, checking its flags. */
static const struct h_seg *take(struct harness *h, const char *flags)
{
	const struct h_seg *s;
	char f[12];

	if (h->rd >= h->nout)
		fail_msg("expected %s, the engine sent nothing", flags);
	s = &h->out[h->rd++];
	if (s->so.th.flags != h_flags(flags))
		fail_msg("expected %s, got %s", flags,
			 h_flags_str(s->so.th.flags, f));
	return s;
}

/* --- LISTEN --------------------------------------------------------------- */

static void listen_syn(void **state)
{
	struct harness h;
	const struct h_seg *s;

	h_init(&h);
	h_listen(&h, 4);
	assert_int_equal(tcb_state(h.listener), TCPS_LISTEN);
	/* Data on a SYN is not acknowledged (no TFO): ACK = ISN + 1. */
	h_feed(&h, "S", 0, 0, 8192, NULL, "abc", 3);
	s = h_expect_win(&h, "SA", 0, 1, 0, 65535);
	assert_int_equal(s->so.th.opts.present & TCP_OPT_MSS, TCP_OPT_MSS);
	assert_int_equal(s->so.th.opts.mss, 1460);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.listener), TCPS_LISTEN);
	assert_int_equal(conn_state(&h, h.rport), TCPS_SYN_RECEIVED);
	assert_int_equal(eng_stats(h.eng)->tcpPassiveOpens, 1);
	h_fini(&h);
}

static void listen_ack_gets_rst(void **state)
{
	struct harness h;

	h_init(&h);
	h_listen(&h, 4);
	/* RFC 9293 3.10.7.2: any ACK is answered <SEQ=SEG.ACK><CTL=RST>. */
	h_feed_abs(&h, "A", 1000, 5555, 8192, NULL, NULL, 0);
	h_expect_abs(&h, "R", 5555, 0, 0);
	h_feed_abs(&h, "SA", 1000, 7777, 8192, NULL, NULL, 0);
	h_expect_abs(&h, "R", 7777, 0, 0);
	h_feed_abs(&h, "PA", 1000, 8888, 8192, NULL, "xy", 2);
	h_expect_abs(&h, "R", 8888, 0, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);
}

static void listen_rst_and_data_ignored(void **state)
{
	struct harness h;
	int err;

	h_init(&h);
	h_listen(&h, 4);
	h_feed_abs(&h, "R", 1000, 0, 8192, NULL, NULL, 0);
	h_feed_abs(&h, "RA", 1000, 5, 8192, NULL, NULL, 0);
	/* Neither SYN nor ACK: dropped without a word. */
	h_feed_abs(&h, "P", 1000, 0, 8192, NULL, "data", 4);
	h_feed_abs(&h, "F", 1000, 0, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	assert_null(eng_accept(h.listener, &err));
	assert_int_equal(err, -EAGAIN);
	h_fini(&h);
}

/* --- SYN-SENT --------------------------------------------------------------- */

static void syn_sent_bad_ack(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	/* SEG.ACK =< ISS or > SND.NXT: <SEQ=SEG.ACK><CTL=RST>, stay. */
	h_feed(&h, "A", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 0, 0, 0);
	h_feed(&h, "SA", 0, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 2, 0, 0);
	h_feed(&h, "SA", 0, (uint32_t)-5, 8192, NULL, NULL, 0);
	h_expect(&h, "R", (uint32_t)-5, 0, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	/* A bad ACK with RST is dropped, not answered. */
	h_feed(&h, "RA", 0, 2, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	/* A segment with neither SYN nor RST but a good ACK: dropped. */
	h_feed(&h, "A", 0, 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	h_feed(&h, "SA", 0, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_true(h_events(&h) & EV_CONNECTED);
	h_fini(&h);
}

static void syn_sent_refused(void **state)
{
	struct harness h;
	char buf[4];

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "R", 0, 0, 0, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	h_feed(&h, "RA", 0, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_true(h_events(&h) & (EV_ERROR | EV_CLOSED));
	/* The error is reported once, by whoever asks first. */
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now),
			 -ECONNREFUSED);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	assert_int_equal(eng_stats(h.eng)->tcpAttemptFails, 1);
	h_fini(&h);
}

static void syn_sent_data_on_synack(void **state)
{
	struct harness h;
	char buf[8];

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	/* Text on the SYN-ACK is taken (RFC 9293 3.10.7.3, step six on). */
	h_feed(&h, "SA", 0, 1, 8192, NULL, "hi", 2);
	h_expect(&h, "A", 1, 3, 0);
	h_expect_none(&h);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 2);
	assert_memory_equal(buf, "hi", 2);
	h_fini(&h);
}

static void simultaneous_open_ack_and_rst(void **state)
{
	struct harness h;

	/* Crossing SYNs, then a bare ACK of our SYN completes the open. */
	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_feed(&h, "A", 1, 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_true(h_events(&h) & EV_CONNECTED);
	h_fini(&h);

	/* An active open in SYN-RECEIVED that meets a RST is refused. */
	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_feed(&h, "R", 1, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), ECONNREFUSED);
	h_fini(&h);
}

/* --- SYN-RECEIVED ----------------------------------------------------------- */

static void syn_rcvd_bad_ack_rst(void **state)
{
	struct harness h;
	int err;

	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	/* RFC 9293 3.10.7.4, SYN-RECEIVED: an ACK outside
	 * SND.UNA < SEG.ACK =< SND.NXT is answered <SEQ=SEG.ACK><CTL=RST>. */
	h_feed(&h, "A", 1, 5, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 5, 0, 0);
	h_feed(&h, "A", 1, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 0, 0, 0);
	h_feed(&h, "A", 1, (uint32_t)-100000, 8192, NULL, NULL, 0);
	h_expect(&h, "R", (uint32_t)-100000, 0, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_SYN_RECEIVED);
	h_feed(&h, "A", 1, 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

static void syn_rcvd_rst_passive(void **state)
{
	struct harness h;
	int err;

	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	/* Back to LISTEN: the child is forgotten silently. */
	h_feed(&h, "R", 1, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	assert_null(eng_accept(h.listener, &err));
	assert_int_equal(h.lev & EV_ACCEPTABLE, 0);
	/* Its ACK now reaches the listener, which resets it. */
	h_feed(&h, "A", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 1, 0, 0);
	/* And its timer is gone with it. */
	h_advance(&h, 10 * SEC);
	h_expect_none(&h);
	h_fini(&h);
}

static void syn_rcvd_syn_retransmitted(void **state)
{
	struct harness h;

	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_advance(&h, 300 * MSEC);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	/* Unanswered, the SYN-ACK goes again at the RTO (1 s). */
	h_run_until(&h, 1000000 + SEC - 1);
	h_expect_none(&h);
	h_run_until(&h, 1000000 + SEC);
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	h_fini(&h);
}

static void accept_queue_full(void **state)
{
	struct harness h;
	const struct h_seg *s;
	uint32_t iss_a, iss_b;
	struct tcb *a, *b;
	int err;

	h_init(&h);
	h_listen(&h, 1);
	h.rport = 40000;
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	s = take(&h, "SA");
	iss_a = s->so.th.seq;
	h.rport = 40001;
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	s = take(&h, "SA");
	iss_b = s->so.th.seq;
	h_expect_none(&h);

	h.rport = 40000;
	h_feed_abs(&h, "A", h.pisn + 1, iss_a + 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_true(h.lev & EV_ACCEPTABLE);
	/* The queue is full: B's ACK is ignored as if lost; B stays in
	 * SYN-RECEIVED and its SYN-ACK is retransmitted. */
	h.rport = 40001;
	h_feed_abs(&h, "A", h.pisn + 1, iss_b + 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, 40001), TCPS_SYN_RECEIVED);
	assert_int_equal(eng_stats(h.eng)->listen_drops, 1);
	/* A third SYN is dropped while the queue is full. */
	h.rport = 40002;
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, 40002), TCPS_CLOSED);
	assert_int_equal(eng_stats(h.eng)->listen_drops, 2);

	h.rport = 40001;
	h_run_until(&h, 1000000 + SEC);
	h_expect_abs(&h, "SA", iss_b, h.pisn + 1, 0);
	h_expect_none(&h);
	a = eng_accept(h.listener, &err);
	assert_non_null(a);
	h_feed_abs(&h, "A", h.pisn + 1, iss_b + 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	b = eng_accept(h.listener, &err);
	assert_non_null(b);
	assert_int_equal(tcb_state(b), TCPS_ESTABLISHED);
	eng_close(a, true, h.now);
	h.rport = 40000;
	h_expect_abs(&h, "RA", iss_a + 1, h.pisn + 1, 0);
	eng_close(b, true, h.now);
	h.rport = 40001;
	h_expect_abs(&h, "RA", iss_b + 1, h.pisn + 1, 0);
	h_fini(&h);
}

/* --- ESTABLISHED and the closing states ------------------------------------ */

static void fin_wait_1_events(void **state)
{
	struct harness h;

	/* Data in FIN-WAIT-1 is taken; the ACK of our FIN -> FIN-WAIT-2;
	 * data again; the FIN -> TIME-WAIT. */
	h_init(&h);
	h_establish_active(&h);
	assert_int_equal(eng_shutdown(h.tcb, 1, h.now), 0);
	h_expect(&h, "FA", 1, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_1);
	h_feed(&h, "PA", 1, 1, 8192, NULL, "abcde", 5);
	h_expect_none(&h);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 2, 6, 0);
	assert_int_equal(tcb_readable(h.tcb), 5);
	h_feed(&h, "A", 6, 2, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	h_feed(&h, "PA", 6, 2, 8192, NULL, "fgh", 3);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 8);
	h_feed(&h, "FA", 9, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 10, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);

	{
		char buf[16];

		assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now),
				 8);
		assert_memory_equal(buf, "abcdefgh", 8);
		assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now),
				 0);
		assert_true(tcb_eof(h.tcb));
	}
	h_fini(&h);

	/* A FIN that also acknowledges ours: straight to TIME-WAIT. */
	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_fini(&h);

	/* Our FIN is retransmitted at the RTO while unacknowledged. */
	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_advance(&h, info_of(h.tcb).rto_us);
	h_expect(&h, "FA", 1, 1, 0);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	h_advance(&h, 100 * SEC);
	h_expect_none(&h);
	/* Not orphaned: FIN-WAIT-2 lasts as long as the application. */
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	h_fini(&h);
}

static void rst_in_each_state(void **state)
{
	static const struct {
		int st;
		int err;
	} cases[] = {
		{ TCPS_ESTABLISHED, ECONNRESET },
		{ TCPS_FIN_WAIT_1, ECONNRESET },
		{ TCPS_FIN_WAIT_2, ECONNRESET },
		{ TCPS_CLOSE_WAIT, ECONNRESET },
		{ TCPS_CLOSING, 0 },
		{ TCPS_LAST_ACK, 0 },
		{ TCPS_TIME_WAIT, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct harness h;
		uint32_t rseq = 1;

		h_init(&h);
		h_establish_active(&h);
		switch (cases[i].st) {
		case TCPS_ESTABLISHED:
			break;
		case TCPS_FIN_WAIT_1:
			eng_shutdown(h.tcb, 1, h.now);
			h_expect(&h, "FA", 1, 1, 0);
			break;
		case TCPS_FIN_WAIT_2:
			eng_shutdown(h.tcb, 1, h.now);
			h_expect(&h, "FA", 1, 1, 0);
			h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
			break;
		case TCPS_CLOSE_WAIT:
			h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
			h_expect(&h, "A", 1, 2, 0);
			rseq = 2;
			break;
		case TCPS_CLOSING:
			eng_shutdown(h.tcb, 1, h.now);
			h_expect(&h, "FA", 1, 1, 0);
			h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
			h_expect(&h, "A", 2, 2, 0);
			rseq = 2;
			break;
		case TCPS_LAST_ACK:
			h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
			h_expect(&h, "A", 1, 2, 0);
			eng_shutdown(h.tcb, 1, h.now);
			h_expect(&h, "FA", 1, 2, 0);
			rseq = 2;
			break;
		case TCPS_TIME_WAIT:
			eng_shutdown(h.tcb, 1, h.now);
			h_expect(&h, "FA", 1, 1, 0);
			h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
			h_expect(&h, "A", 2, 2, 0);
			rseq = 2;
			break;
		}
		h_expect_none(&h);
		assert_int_equal(tcb_state(h.tcb), cases[i].st);
		h_events(&h);
		h_feed(&h, "R", rseq, 0, 0, NULL, NULL, 0);
		h_expect_none(&h);
		assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
		assert_true(h_events(&h) & EV_CLOSED);
		assert_int_equal(tcb_take_error(h.tcb), cases[i].err);
		/* No timer outlives the connection. */
		assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
		h_fini(&h);
	}
}

static void close_wait_and_last_ack(void **state)
{
	struct harness h;
	char buf[8];

	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSE_WAIT);
	assert_true(h_events(&h) & EV_READABLE);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 0);
	/* A retransmitted FIN is acknowledged again. */
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	h_expect_none(&h);
	/* Half-closed: we can still send, and the peer acknowledges. */
	assert_int_equal(eng_send(h.tcb, "late", 4, 0, h.now), 4);
	h_expect(&h, "PA", 1, 2, 4);
	h_feed(&h, "A", 2, 5, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 5, 2, 0);
	h_expect_none(&h);
	/* LAST-ACK: the FIN is retransmitted until acknowledged. */
	h_next_timer(&h);
	h_expect(&h, "FA", 5, 2, 0);
	h_expect_none(&h);
	h_feed(&h, "A", 2, 6, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void closing_state(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSING);
	/* The peer's FIN again: acknowledged again. */
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	/* Our FIN goes again at the RTO. */
	h_next_timer(&h);
	h_expect(&h, "FA", 1, 2, 0);
	h_expect_none(&h);
	h_feed(&h, "A", 2, 2, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_fini(&h);
}

static void time_wait_events(void **state)
{
	struct harness h;
	const struct h_seg *s;
	uint32_t iss2;
	int err;

	/* Passive side that closes first, so TIME-WAIT sits on a port with a
	 * listener. */
	h_init(&h);
	h_establish_passive(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_TIME_WAIT);
	/* Data or an old ACK: acknowledged, nothing else. */
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	/* A SYN at or below RCV.NXT: challenge ACK (RFC 5961 4). */
	h_feed(&h, "S", 2, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_TIME_WAIT);
	/* A SYN above it starts a new incarnation through the listener. */
	h_feed(&h, "S", 100000, 0, 8192, NULL, NULL, 0);
	s = take(&h, "SA");
	assert_int_equal(s->so.th.ack, h.pisn + 100001);
	iss2 = s->so.th.seq;
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_SYN_RECEIVED);
	h_feed_abs(&h, "A", h.pisn + 100001, iss2 + 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h.iss = iss2;
	h.pisn += 100000;
	h_fini(&h);
}

/* --- closes ------------------------------------------------------------------ */

static void half_close_local(void **state)
{
	struct harness h;

	/* We shut our side; the peer keeps sending for a while. */
	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	for (uint32_t i = 0; i < 4; i++) {
		feed_pat(&h, "PA", 1 + 100 * i, 2, 8192, 100);
		if (i & 1)
			h_expect(&h, "A", 2, 101 + 100 * i, 0);
		h_expect_none(&h);
	}
	recv_pat(&h, 0, 400);
	h_feed(&h, "FA", 401, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 402, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_fini(&h);
}

static void half_close_remote(void **state)
{
	struct harness h;

	/* The peer shuts its side; we keep sending, then close. */
	h_init(&h);
	h_establish_passive(&h);
	h_feed(&h, "FA", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	assert_true(tcb_eof(h.tcb));
	send_pat(&h, 0, 3000);
	h_expect(&h, "A", 1, 2, 1460);
	h_expect(&h, "A", 1461, 2, 1460);
	/* Nagle: the short tail waits for the ACK of what is in flight. */
	h_expect_none(&h);
	h_feed(&h, "A", 2, 2921, 65535, NULL, NULL, 0);
	h_expect(&h, "PA", 2921, 2, 80);
	h_expect_none(&h);
	h_feed(&h, "A", 2, 3001, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 3001, 2, 0);
	h_feed(&h, "A", 2, 3002, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);
}

static void close_with_queued_data(void **state)
{
	struct harness h;

	/* The FIN follows the data still queued (RFC 9293 3.10.4). */
	h_init(&h);
	h_establish_passive(&h);
	send_pat(&h, 0, 1000);
	h_expect(&h, "PA", 1, 1, 1000);
	send_pat(&h, 1000, 500); /* Nagle holds it */
	h_expect_none(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect_none(&h);
	h_feed(&h, "A", 1, 1001, 65535, NULL, NULL, 0);
	h_expect(&h, "FPA", 1001, 1, 500);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 1502, 65535, NULL, NULL, 0);
	h_feed(&h, "FA", 1, 1502, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1502, 2, 0);
	assert_int_equal(conn_state(&h, h.rport), TCPS_TIME_WAIT);
	h_fini(&h);
}

static void close_unread_data_rst(void **state)
{
	struct harness h;

	/* RFC 2525 2.17: closing with unread data resets. */
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "PA", 1, 1, 8192, NULL, "unread", 6);
	h_expect_none(&h);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "RA", 1, 7, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_feed(&h, "A", 7, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "R", 1, 0, 0);
	h_fini(&h);

	/* The same in CLOSE-WAIT, data and FIN unread. */
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "FPA", 1, 1, 8192, NULL, "unread", 6);
	h_expect(&h, "A", 1, 8, 0);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "RA", 1, 8, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void abortive_close(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	/* SO_LINGER 0: RST at SND.NXT, nothing retransmitted after. */
	eng_close(h.tcb, true, h.now);
	h.tcb = NULL;
	h_expect(&h, "RA", 101, 1, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);

	/* In SYN-SENT there is nothing to reset: the SYN just stops. */
	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	eng_close(h.tcb, true, h.now);
	h.tcb = NULL;
	h_expect_none(&h);
	h_advance(&h, 10 * SEC);
	h_expect_none(&h);
	h_fini(&h);

	/* In TIME-WAIT, closing sends nothing either. */
	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "FA", 1, 2, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	eng_close(h.tcb, true, h.now);
	h.tcb = NULL;
	h_expect_none(&h);
	h_fini(&h);
}

static void listener_close_resets_children(void **state)
{
	struct harness h;

	/* Connections nobody accepted are reset with the listener. */
	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_feed(&h, "A", 1, 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	eng_close(h.listener, false, h.now);
	h.listener = NULL;
	h_expect(&h, "RA", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(listen_syn),
		cmocka_unit_test(listen_ack_gets_rst),
		cmocka_unit_test(listen_rst_and_data_ignored),
		cmocka_unit_test(syn_sent_bad_ack),
		cmocka_unit_test(syn_sent_refused),
		cmocka_unit_test(syn_sent_data_on_synack),
		cmocka_unit_test(simultaneous_open_ack_and_rst),
		cmocka_unit_test(syn_rcvd_bad_ack_rst),
		cmocka_unit_test(syn_rcvd_rst_passive),
		cmocka_unit_test(syn_rcvd_syn_retransmitted),
		cmocka_unit_test(accept_queue_full),
		cmocka_unit_test(fin_wait_1_events),
		cmocka_unit_test(rst_in_each_state),
		cmocka_unit_test(close_wait_and_last_ack),
		cmocka_unit_test(closing_state),
		cmocka_unit_test(time_wait_events),
		cmocka_unit_test(half_close_local),
		cmocka_unit_test(half_close_remote),
		cmocka_unit_test(close_with_queued_data),
		cmocka_unit_test(close_unread_data_rst),
		cmocka_unit_test(abortive_close),
		cmocka_unit_test(listener_close_resets_children),
	};

	return cmocka_run_group_tests_name("engine_states", tests, NULL, NULL);
}
