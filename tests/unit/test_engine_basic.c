// SPDX-License-Identifier: BSD-2-Clause
/* Scripted engine tests: handshakes, data, closes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "harness.h"

static void active_open(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	h_feed(&h, "SA", 0, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_true(h_events(&h) & EV_CONNECTED);
	h_fini(&h);
}

static void syn_carries_mss(void **state)
{
	struct harness h;
	const struct h_seg *s;

	h_init(&h);
	h_connect(&h);
	s = h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.present & TCP_OPT_MSS, TCP_OPT_MSS);
	assert_int_equal(s->so.th.opts.mss, 1460);
	h_fini(&h);

	h_init(&h);
	h_use_ipv6(&h);
	h_connect(&h);
	s = h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.mss, 1440);
	h_fini(&h);
}

static void passive_open(void **state)
{
	struct harness h;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1000 };
	int err;

	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, &mss, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	assert_null(eng_accept(h.listener, &err));
	assert_int_equal(err, -EAGAIN);
	h_feed(&h, "A", 1, 1, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_true(h.lev & EV_ACCEPTABLE);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	/* The peer's MSS bounds what we send. */
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), 1);
	h_expect(&h, "PA", 1, 1, 1);
	h_fini(&h);
}

static void rst_from_closed_port(void **state)
{
	struct harness h;

	h_init(&h);
	/* No listener: a SYN is refused with RST|ACK, SEQ=0 ACK=SEG.SEQ+1. */
	h_feed_abs(&h, "S", 5000, 0, 1024, NULL, NULL, 0);
	h_expect_abs(&h, "RA", 0, 5001, 0);
	/* An ACK gets RST with SEQ=SEG.ACK. */
	h_feed_abs(&h, "A", 5001, 777, 1024, NULL, NULL, 0);
	h_expect_abs(&h, "R", 777, 0, 0);
	/* Data + FIN: ACK covers both. */
	h_feed_abs(&h, "FP", 100, 0, 1024, NULL, "abc", 3);
	h_expect_abs(&h, "RA", 0, 104, 0);
	/* A RST is never answered. */
	h_feed_abs(&h, "R", 100, 0, 1024, NULL, NULL, 0);
	h_feed_abs(&h, "RA", 100, 5, 1024, NULL, NULL, 0);
	h_expect_none(&h);
	h_fini(&h);
}

static void connect_refused(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	/* A RST that does not acknowledge our SYN is ignored. */
	h_feed(&h, "RA", 0, 5, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	/* A bare RST without ACK too. */
	h_feed(&h, "R", 0, 0, 0, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_SENT);
	h_feed(&h, "RA", 0, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_true(h_events(&h) & EV_ERROR);
	assert_int_equal(tcb_take_error(h.tcb), ECONNREFUSED);
	h_fini(&h);
}

static void data_both_ways(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	h_establish_active(&h);
	assert_int_equal(eng_send(h.tcb, "hello", 5, 0, h.now), 5);
	h_expect(&h, "PA", 1, 1, 5);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 6, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* Data from the peer: the first segment's ACK is delayed. */
	h_feed(&h, "PA", 1, 6, 65535, NULL, "world", 5);
	h_expect_none(&h);
	assert_true(h_events(&h) & EV_READABLE);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), -EAGAIN);
	/* The delayed ACK goes at tcp_deferred_ack_interval (100 ms). */
	h_advance(&h, 99999);
	h_expect_none(&h);
	h_advance(&h, 1);
	h_expect(&h, "A", 6, 6, 0);
	h_fini(&h);
}

static void ack_every_second_segment(void **state)
{
	struct harness h;
	char data[1460];

	memset(data, 'z', sizeof(data));
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "A", 1, 1, 65535, NULL, data, 1460);
	h_expect_none(&h);
	h_feed(&h, "A", 1461, 1, 65535, NULL, data, 1460);
	h_expect(&h, "A", 1, 2921, 0);
	h_expect_none(&h);
	h_fini(&h);
}

static void out_of_order_and_reassembly(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	h_establish_active(&h);
	/* Segment 2 first: immediate duplicate ACK (RFC 5681 4.2). */
	h_feed(&h, "A", 4, 1, 65535, NULL, "def", 3);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(tcb_readable(h.tcb), 0);
	h_feed(&h, "A", 1, 1, 65535, NULL, "abc", 3);
	/* Filling the hole is acknowledged at once, for both. */
	h_expect(&h, "A", 1, 7, 0);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 6);
	assert_memory_equal(buf, "abcdef", 6);
	/* Overlapping retransmission: only the new bytes count. */
	h_feed(&h, "A", 5, 1, 65535, NULL, "efgh", 4);
	h_expect_none(&h);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 2);
	assert_memory_equal(buf, "gh", 2);
	h_fini(&h);
}

static void passive_close(void **state)
{
	struct harness h;
	char buf[8];

	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "FA", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSE_WAIT);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 0);
	eng_close(h.tcb, false, h.now);
	h_expect(&h, "FA", 1, 2, 0);
	/* The application let go; the tcb lives on in LAST-ACK. */
	struct tcb *t = h.tcb;

	h.tcb = NULL;
	(void)t;
	h_feed(&h, "A", 2, 2, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* Gone: a segment for it now meets a closed port. */
	h_feed(&h, "A", 2, 2, 65535, NULL, NULL, 0);
	h_expect_abs(&h, "R", h.iss + 2, 0, 0);
	h_fini(&h);
}

static void active_close_time_wait(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	assert_int_equal(eng_send(h.tcb, "bye", 3, 0, h.now), 3);
	h_expect(&h, "PA", 1, 1, 3);
	assert_int_equal(eng_shutdown(h.tcb, 1, h.now), 0);
	h_expect(&h, "FA", 4, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_1);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_feed(&h, "A", 1, 5, 65535, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	h_feed(&h, "FA", 1, 5, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 5, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	/* A retransmitted FIN is acknowledged again. */
	h_advance(&h, 1000000);
	h_feed(&h, "FA", 1, 5, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 5, 2, 0);
	/* TIME-WAIT lasts tcp_time_wait_interval (60 s) from that FIN. */
	uint64_t t0 = h.now;

	h_run_until(&h, t0 + 60000000 - 1);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_run_until(&h, t0 + 60000000);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	h_fini(&h);
}

static void simultaneous_close(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	/* The peer's FIN crosses ours. */
	h_feed(&h, "FA", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSING);
	h_feed(&h, "A", 2, 2, 65535, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_expect_none(&h);
	h_fini(&h);
}

static void simultaneous_open(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	/* The peer's SYN crosses ours. */
	h_feed(&h, "S", 0, 0, 65535, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_RECEIVED);
	/* Its SYN-ACK acknowledges our SYN: ESTABLISHED, nothing to say
	 * (RFC 9293 figure 8, line 6). */
	h_feed(&h, "SA", 0, 1, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_true(h_events(&h) & EV_CONNECTED);
	h_fini(&h);
}

/*
 * Half-open discovery (RFC 9293 3.5.2 with RFC 5961 4): the peer crashed
 * and reconnects from the same port with a new ISN. Its SYN meets our
 * ESTABLISHED connection, which answers with a challenge ACK; the peer's
 * RST (SEQ = the challenge's ACK) is exact, and the stale connection goes.
 */
static void half_open_discovery(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_passive(&h);
	assert_int_equal(eng_send(h.tcb, "old", 3, 0, h.now), 3);
	h_expect(&h, "PA", 1, 1, 3);
	h_feed(&h, "S", 5000, 0, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 4, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	/* The restarted peer in SYN-SENT resets with SEQ=SEG.ACK. */
	h_feed(&h, "R", 1, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), ECONNRESET);
	/* Its SYN, sent again, now finds the listener. */
	h_feed(&h, "S", 5000, 0, 65535, NULL, NULL, 0);
	h.have_iss = false;
	assert_int_equal(h_pending(&h), 1);
	assert_int_equal(h.out[h.rd].so.th.flags, TH_SYN | TH_ACK);
	assert_int_equal(h.out[h.rd].so.th.ack, h.pisn + 5001);
	h.rd++;
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(active_open),
		cmocka_unit_test(syn_carries_mss),
		cmocka_unit_test(passive_open),
		cmocka_unit_test(rst_from_closed_port),
		cmocka_unit_test(connect_refused),
		cmocka_unit_test(data_both_ways),
		cmocka_unit_test(ack_every_second_segment),
		cmocka_unit_test(out_of_order_and_reassembly),
		cmocka_unit_test(passive_close),
		cmocka_unit_test(active_close_time_wait),
		cmocka_unit_test(simultaneous_close),
		cmocka_unit_test(simultaneous_open),
		cmocka_unit_test(half_open_discovery),
	};

	return cmocka_run_group_tests_name("engine_basic", tests, NULL, NULL);
}
