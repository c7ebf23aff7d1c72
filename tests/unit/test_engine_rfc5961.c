// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests: RFC 5961 defences (challenge ACKs for RST and SYN,
 * the ACK acceptability window, the per-second limit) and the errno values
 * the engine reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"

/* --- RFC 5961 3: RST ---------------------------------------------------------- */

static void rst_exact_resets(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 8192, 10);
	recv_pat(&h, 0, 10);
	h_feed(&h, "R", 11, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_true(h_events(&h) & EV_ERROR);
	assert_int_equal(eng_stats(h.eng)->tcpEstabResets, 1);
	assert_int_equal(eng_stats(h.eng)->challenge_acks, 0);
	h_fini(&h);
}

static void rst_in_window_challenged(void **state)
{
	struct harness h;
	uint32_t offs[] = { 2, 100, 65534 };

	h_init(&h);
	h_establish_active(&h);
	for (size_t i = 0; i < 3; i++) {
		h_feed(&h, "R", 1 + offs[i], 0, 0, NULL, NULL, 0);
		/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
		h_expect(&h, "A", 1, 1, 0);
		h_expect_none(&h);
		assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	}
	/* With the ACK bit too. */
	h_feed(&h, "RA", 50, 1, 0, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(eng_stats(h.eng)->challenge_acks, 4);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	/* The peer answers the challenge with an exact RST. */
	h_feed(&h, "R", 1, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), ECONNRESET);
	h_fini(&h);
}

static void rst_outside_window_dropped(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	/* Window is [1, 65536): below and at/after the right edge. */
	h_feed(&h, "R", 0, 0, 0, NULL, NULL, 0);
	h_feed(&h, "R", (uint32_t)-100000, 0, 0, NULL, NULL, 0);
	h_feed(&h, "R", 1 + 65535, 0, 0, NULL, NULL, 0);
	h_feed(&h, "RA", 1 + 0x40000000, 1, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_int_equal(eng_stats(h.eng)->challenge_acks, 0);
	h_fini(&h);
}

static void rst_zero_window(void **state)
{
	struct harness h;
	struct sock_opts o;

	/* With the window closed, only a RST exactly at RCV.NXT counts. */
	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 4096;
	est_active(&h, &o, 1460, 8192);
	feed_pat(&h, "A", 1, 1, 8192, 2048);
	feed_pat(&h, "A", 2049, 1, 8192, 2048);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	/* One past RCV.NXT is outside a zero window: dropped silently. */
	h_feed(&h, "R", 4098, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_feed(&h, "R", 4097, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	h_fini(&h);
}

/* --- RFC 5961 4: SYN ---------------------------------------------------------- */

static void syn_in_synchronized_states(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	/* In window, exact, below, far away: always a challenge ACK, never
	 * a reset (RFC 5961 4.2), and the connection stays. */
	h_feed(&h, "S", 1, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	h_feed(&h, "S", 500, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	h_feed(&h, "S", (uint32_t)-7, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	h_feed(&h, "SA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	/* Data with a SYN is not taken. */
	feed_pat(&h, "SA", 1, 1, 8192, 10);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(tcb_readable(h.tcb), 0);
	/* In CLOSE-WAIT as well. */
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	h_feed(&h, "S", 2, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSE_WAIT);
	h_fini(&h);
}

/* --- RFC 5961 5: ACK ------------------------------------------------------ */

static void ack_acceptability(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	/* Above SND.NXT: ACK and drop, data and all. */
	feed_pat(&h, "PA", 1, 102, 8192, 10);
	h_expect(&h, "A", 101, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 0);
	assert_int_equal(info_of(h.tcb).snd_una, h.iss + 1);
	/* Below SND.UNA - MAX.SND.WND (65535): the same. */
	feed_pat(&h, "PA", 1, 1 - 65536, 8192, 10);
	h_expect(&h, "A", 101, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 0);
	assert_int_equal(eng_stats(h.eng)->challenge_acks, 2);
	/* An old ACK within the window is fine: its data is taken. */
	feed_pat(&h, "PA", 1, 1 - 65535, 8192, 10);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 10);
	/* And SEG.ACK = SND.NXT acknowledges everything. */
	feed_pat(&h, "PA", 11, 101, 8192, 10);
	h_expect(&h, "A", 101, 21, 0);
	assert_int_equal(info_of(h.tcb).snd_una, h.iss + 101);
	h_expect_none(&h);
	h_fini(&h);
}

static void no_ack_bit_dropped(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	/* RFC 9293 3.10.7.4 fifth: without ACK the segment is dropped. */
	h_feed(&h, "P", 1, 0, 8192, NULL, "abc", 3);
	h_feed(&h, "F", 1, 0, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

static void unacceptable_segment_acked(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 8192, 10);
	recv_pat(&h, 0, 10);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 11, 0);
	/* A duplicate, and data beyond the window: <ACK=RCV.NXT>. */
	feed_pat(&h, "PA", 1, 1, 8192, 10);
	h_expect(&h, "A", 1, 11, 0);
	feed_pat(&h, "PA", 11 + 70000, 1, 8192, 10);
	h_expect(&h, "A", 1, 11, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 0);
	h_fini(&h);
}

static void tweak_limit(struct tunables *t)
{
	t->tcp_challenge_ack_limit = 3;
}

/* Challenge ACKs drawn this second: send @n RSTs in window, count ACKs. */
static int draw(struct harness *h, int n)
{
	const struct tcp_stats *st = eng_stats(h->eng);
	uint64_t before = st->challenge_acks;

	for (int i = 0; i < n; i++)
		h_feed(h, "R", 10 + (uint32_t)i, 0, 0, NULL, NULL, 0);
	for (uint64_t i = before; i < st->challenge_acks; i++)
		h_expect(h, "A", 1, 1, 0);
	h_expect_none(h);
	return (int)(st->challenge_acks - before);
}

static void challenge_ack_limit(void **state)
{
	struct harness h;
	const struct tcp_stats *st;
	int got;

	h_init_tun(&h, tweak_limit);
	st = eng_stats(h.eng);
	h_establish_active(&h);
	/* With a limit of 3 a second's budget is 2, 3 or 4. */
	got = draw(&h, 10);
	assert_in_range(got, 2, 4);
	assert_int_equal(st->challenge_acks_limited, 10 - got);
	/* SYNs and bad ACKs draw on the same budget, now spent. */
	h_feed(&h, "S", 1, 0, 8192, NULL, NULL, 0);
	h_feed(&h, "A", 1, 50, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(st->challenge_acks_limited, 12 - got);
	/* The budget is per second, and drawn anew each second (CVE-2016-5696):
	 * over 20 seconds it is not always the same. */
	int seen[5] = { 0 }, kinds = 0;

	for (int s = 0; s < 20; s++) {
		h_advance(&h, SEC);
		got = draw(&h, 10);
		assert_in_range(got, 2, 4);
		seen[got]++;
	}
	for (int i = 0; i < 5; i++)
		kinds += seen[i] > 0;
	assert_true(kinds >= 2);
	h_fini(&h);
}

static void err_econnreset(void **state)
{
	struct harness h;
	char buf[8];

	/* eng_recv reports it once, then end of stream. */
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "RA", 1, 1, 0, NULL, NULL, 0);
	assert_true(h_events(&h) & (EV_ERROR | EV_CLOSED | EV_READABLE));
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now),
			 -ECONNRESET);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_fini(&h);

	/* eng_send reports it once; afterwards the pipe is broken. */
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "R", 1, 0, 0, NULL, NULL, 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -ECONNRESET);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_expect_none(&h);
	h_fini(&h);

	/* Data received before the RST can still be read first. */
	h_init(&h);
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 8192, 10);
	h_feed(&h, "R", 11, 0, 0, NULL, NULL, 0);
	recv_pat(&h, 0, 10);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now),
			 -ECONNRESET);
	h_fini(&h);
}

static void err_econnrefused(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "RA", 0, 1, 0, NULL, NULL, 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -ECONNREFUSED);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_expect_none(&h);
	h_fini(&h);
}

static void err_epipe(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_active(&h);
	assert_int_equal(eng_shutdown(h.tcb, 1, h.now), 0);
	h_expect(&h, "FA", 1, 1, 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_feed(&h, "A", 1, 2, 8192, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	/* A second shutdown is harmless. */
	assert_int_equal(eng_shutdown(h.tcb, 1, h.now), 0);
	h_expect_none(&h);
	h_fini(&h);

	/* CLOSE-WAIT, shut down: LAST-ACK, EPIPE. */
	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "FA", 1, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "A", 1, 2, 0);
	assert_int_equal(eng_shutdown(h.tcb, 2, h.now), 0);
	h_expect(&h, "FA", 1, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_LAST_ACK);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_feed(&h, "A", 2, 2, 8192, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), 0);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_fini(&h);
}

static void err_eaddrinuse(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct tcb *t;
	int err;

	h_init(&h);
	h_listen(&h, 4);
	eng_default_opts(h.eng, &o);
	t = eng_listen(h.eng, &h.local, h.lport, 4, &o, &err);
	assert_null(t);
	assert_int_equal(err, -EADDRINUSE);
	/* Another port is fine. */
	t = eng_listen(h.eng, &h.local, h.lport + 1, 4, &o, &err);
	assert_non_null(t);
	eng_close(t, false, h.now);

	/* connect() with a 4-tuple already in use. */
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	t = eng_connect(h.eng, &h.local, h.lport, &h.remote, h.rport, &o, h.now,
			&err);
	assert_null(t);
	assert_int_equal(err, -EADDRINUSE);
	h_expect_none(&h);
	/* A different remote port is another 4-tuple. */
	t = eng_connect(h.eng, &h.local, h.lport, &h.remote, h.rport + 1, &o,
			h.now, &err);
	assert_non_null(t);
	assert_int_equal(err, 0);
	h.rport++;
	h_expect_abs(&h, "S", h_pending(&h) ? h.out[h.rd].so.th.seq : 0, 0, 0);
	eng_close(t, true, h.now);
	h.rport--;
	h_fini(&h);
	/* EISCONN (connect on a connected socket) belongs to the socket
	 * layer: the engine hands out a new tcb per connect. */
}

static void err_enotconn(void **state)
{
	struct harness h;
	char buf[4];

	h_init(&h);
	h_listen(&h, 4);
	assert_int_equal(eng_send(h.listener, "x", 1, 0, h.now), -ENOTCONN);
	assert_int_equal(eng_recv(h.listener, buf, sizeof(buf), 0, h.now),
			 -ENOTCONN);
	assert_int_equal(eng_shutdown(h.listener, 1, h.now), -ENOTCONN);
	h_fini(&h);

	/* Before the handshake completes: nothing to read yet, and data
	 * may be queued for after it. */
	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(eng_recv(h.tcb, buf, sizeof(buf), 0, h.now), -EAGAIN);
	assert_int_equal(eng_send(h.tcb, "early", 5, 0, h.now), 5);
	h_expect_none(&h);
	h_feed(&h, "SA", 0, 1, 8192, NULL, NULL, 0);
	h_expect(&h, "PA", 1, 1, 5);
	h_expect_none(&h);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rst_exact_resets),
		cmocka_unit_test(rst_in_window_challenged),
		cmocka_unit_test(rst_outside_window_dropped),
		cmocka_unit_test(rst_zero_window),
		cmocka_unit_test(syn_in_synchronized_states),
		cmocka_unit_test(ack_acceptability),
		cmocka_unit_test(no_ack_bit_dropped),
		cmocka_unit_test(unacceptable_segment_acked),
		cmocka_unit_test(challenge_ack_limit),
		cmocka_unit_test(err_econnreset),
		cmocka_unit_test(err_econnrefused),
		cmocka_unit_test(err_epipe),
		cmocka_unit_test(err_eaddrinuse),
		cmocka_unit_test(err_enotconn),
	};

	return cmocka_run_group_tests_name("engine_rfc5961", tests, NULL, NULL);
}
