// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests: flow control and silly window syndrome avoidance
 * (RFC 9293 3.8.6), Nagle (RFC 896 / RFC 1122 4.2.3.4), loss recovery
 * (RFC 5681, RFC 6582, RFC 3042), MSS (RFC 9293 3.7.1) and sequence
 * numbers wrapping at 2^32.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"
#include "stack/isn.h"

#define MSS 1460u

/* --- flow control --------------------------------------------------------- */

static void sender_respects_window(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 1000);
	send_pat(&h, 0, 5000);
	h_expect(&h, "A", 1, 1, 1000);
	h_expect_none(&h);
	/* Half acknowledged: the window slides by 500. */
	h_feed(&h, "A", 1, 501, 1000, NULL, NULL, 0);
	h_expect(&h, "A", 1001, 1, 500);
	h_expect_none(&h);
	/* A smaller window with the same ACK: nothing more goes. */
	h_feed(&h, "A", 1, 501, 500, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).snd_wnd, 500);
	h_feed(&h, "A", 1, 1501, 1000, NULL, NULL, 0);
	h_expect(&h, "A", 1501, 1, 1000);
	h_expect_none(&h);
	/* A larger window: full segments, the rest within it. */
	h_feed(&h, "A", 1, 2501, 3000, NULL, NULL, 0);
	h_expect(&h, "A", 2501, 1, 1460);
	/* The short tail waits for that ACK (Nagle). */
	h_expect_none(&h);
	h_feed(&h, "A", 1, 3961, 3000, NULL, NULL, 0);
	h_expect(&h, "PA", 3961, 1, 1040);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 5001, 3000, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).snd_una, h.iss + 5001);
	h_fini(&h);
}

static void receiver_window(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = MSS };

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 4096;
	h_connect_opts(&h, &o);
	/* The SYN offers the whole buffer. */
	h_expect_win(&h, "S", 0, 0, 0, 4096);
	h_feed(&h, "SA", 0, 1, 65535, &mss, NULL, 0);
	h_expect_win(&h, "A", 1, 1, 0, 4096);
	/* Held data shrinks the window; its right edge (4097) stays. */
	feed_pat(&h, "A", 1, 1, 65535, 1000);
	h_advance(&h, 100 * MSEC);
	h_expect_win(&h, "A", 1, 1001, 0, 3096);
	feed_pat(&h, "A", 1001, 1, 65535, 1000);
	feed_pat(&h, "A", 2001, 1, 65535, 1000);
	h_expect_win(&h, "A", 1, 3001, 0, 1096);
	h_expect_none(&h);
	/* Beyond the window is cut off: only 1096 of 1460 bytes count. */
	feed_pat(&h, "A", 3001, 1, 65535, 1460);
	h_advance(&h, 100 * MSEC);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 4096);
	/* Receiver SWS avoidance: reading 1000 bytes frees less than
	 * min(buffer/2, MSS) = 1460, so the window stays shut and nothing
	 * is said. */
	recv_pat(&h, 0, 1000);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).rcv_wnd, 0);
	/* At 1500 free the window opens, and the peer is told at once. */
	recv_pat(&h, 1000, 500);
	h_expect_win(&h, "A", 1, 4097, 0, 1500);
	h_expect_none(&h);
	/* Half the buffer more: another update. */
	recv_pat(&h, 1500, 2596);
	h_expect_win(&h, "A", 1, 4097, 0, 4096);
	h_expect_none(&h);
	h_fini(&h);
}

static void window_update_thresholds(void **state)
{
	struct harness h;

	/* 128000-byte buffer, 65535 offered: reading a little while the
	 * window is wide open needs no update. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	for (uint32_t i = 0; i < 44; i++)
		feed_pat(&h, "A", 1 + i * MSS, 1, 65535, MSS);
	/* 22 ACKs, every second segment. */
	for (uint32_t i = 0; i < 21; i++)
		h_expect(&h, "A", 1, 1 + (2 * i + 2) * MSS, 0);
	/* 64240 held, 63760 free: the right edge set at 42 segments
	 * (65535 ahead) would move by less than an MSS, so it stays. */
	h_expect_win(&h, "A", 1, 1 + 44 * MSS, 0, 65535 - 2 * MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).rcv_wnd, 65535 - 2 * MSS);
	/* Reading 1000 opens it by less than 2 MSS: no update needed. */
	recv_pat(&h, 0, 1000);
	h_expect_none(&h);
	recv_pat(&h, 1000, 44 * MSS - 1000);
	h_expect_win(&h, "A", 1, 1 + 44 * MSS, 0, 65535);
	h_expect_none(&h);
	h_fini(&h);
}

static void nagle_and_nodelay(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_send(h.tcb, "a", 1, 0, h.now), 1);
	h_expect(&h, "PA", 1, 1, 1);
	/* Unacknowledged data: small writes wait (RFC 1122 4.2.3.4). */
	assert_int_equal(eng_send(h.tcb, "b", 1, 0, h.now), 1);
	assert_int_equal(eng_send(h.tcb, "c", 1, 0, h.now), 1);
	h_expect_none(&h);
	/* A full segment does not wait; the remainder does. */
	send_pat(&h, 0, 2000);
	h_expect(&h, "A", 2, 1, 1460);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 2, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 1462, 65535, NULL, NULL, 0);
	h_expect(&h, "PA", 1462, 1, 542);
	h_expect_none(&h);
	h_fini(&h);

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.nodelay = true;
	est_active(&h, &o, MSS, 65535);
	assert_int_equal(eng_send(h.tcb, "a", 1, 0, h.now), 1);
	h_expect(&h, "PA", 1, 1, 1);
	assert_int_equal(eng_send(h.tcb, "b", 1, 0, h.now), 1);
	h_expect(&h, "PA", 2, 1, 1);
	assert_int_equal(eng_send(h.tcb, "c", 1, 0, h.now), 1);
	h_expect(&h, "PA", 3, 1, 1);
	h_expect_none(&h);
	h_fini(&h);
}

static void send_buffer_full(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.sndbuf = 8192;
	est_active(&h, &o, MSS, 0);
	assert_int_equal(tcb_writable(h.tcb), 8192);
	assert_int_equal(eng_send(h.tcb, pat(0), 10000, 0, h.now), 8192);
	assert_int_equal(eng_send(h.tcb, pat(0), 1, 0, h.now), -EAGAIN);
	h_expect_none(&h);
	h_fini(&h);
}

/* --- loss recovery --------------------------------------------------------- */

static void dupack(struct harness *h, uint32_t ack)
{
	h_feed(h, "A", 1, ack, 65535, NULL, NULL, 0);
}

static void fast_retransmit_newreno(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct tcb_info i;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.init_cwnd = 10;
	est_active(&h, &o, MSS, 65535);
	send_pat(&h, 0, 20 * MSS);
	for (uint32_t k = 0; k < 10; k++)
		h_expect(&h, "A", 1 + k * MSS, 1, MSS);
	h_expect_none(&h);
	/* Segments 1 and 3 are lost; 2, 4..10 arrive and are dup-acked.
	 * RFC 3042: the first two dupacks each send one new segment. */
	dupack(&h, 1);
	h_expect(&h, "A", 1 + 10 * MSS, 1, MSS);
	h_expect_none(&h);
	dupack(&h, 1);
	h_expect(&h, "A", 1 + 11 * MSS, 1, MSS);
	h_expect_none(&h);
	/* The third: retransmit exactly one segment, the first. */
	dupack(&h, 1);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect_none(&h);
	i = info_of(h.tcb);
	/* ssthresh = FlightSize / 2 = 12 * MSS / 2; cwnd = ssthresh + 3. */
	assert_int_equal(i.ssthresh, 6 * MSS);
	assert_int_equal(i.cwnd, 9 * MSS);
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 1);
	/* Each further dupack inflates cwnd by one MSS; new data goes once
	 * cwnd exceeds the 12 segments in flight. */
	dupack(&h, 1);
	dupack(&h, 1);
	dupack(&h, 1);
	h_expect_none(&h);
	dupack(&h, 1);
	h_expect(&h, "A", 1 + 12 * MSS, 1, MSS);
	dupack(&h, 1);
	h_expect(&h, "A", 1 + 13 * MSS, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 14 * MSS);
	/* The retransmission arrives: a partial ACK up to the second hole
	 * (RFC 6582 3.2 step 5). Retransmit it at once; cwnd deflates by
	 * the 2 MSS acknowledged and gains one: 13 MSS, and with 12 in
	 * flight one new segment goes. */
	dupack(&h, 1 + 2 * MSS);
	h_expect(&h, "A", 1 + 2 * MSS, 1, MSS);
	h_expect(&h, "A", 1 + 14 * MSS, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 13 * MSS);
	/* Dupacks of the partial ACK keep inflating, no new retransmission. */
	dupack(&h, 1 + 2 * MSS);
	h_expect(&h, "A", 1 + 15 * MSS, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 1);
	/* The full ACK (covers "recover", 12 segments): recovery ends,
	 * cwnd = min(ssthresh, max(FlightSize, MSS) + MSS) with FlightSize
	 * the 4 segments still out: 5 MSS. */
	dupack(&h, 1 + 12 * MSS);
	i = info_of(h.tcb);
	assert_int_equal(i.ssthresh, 6 * MSS);
	assert_int_equal(i.cwnd, 5 * MSS);
	h_expect(&h, "A", 1 + 16 * MSS, 1, MSS);
	h_expect_none(&h);
	/* Congestion avoidance from here: the rest flows as acked. */
	dupack(&h, 1 + 17 * MSS);
	h_expect(&h, "A", 1 + 17 * MSS, 1, MSS);
	h_expect(&h, "A", 1 + 18 * MSS, 1, MSS);
	h_expect(&h, "PA", 1 + 19 * MSS, 1, MSS);
	h_expect_none(&h);
	dupack(&h, 1 + 20 * MSS);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->tcpRetransSegs, 2);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void dupack_rules(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 3 * MSS);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect(&h, "A", 1 + MSS, 1, MSS);
	h_expect(&h, "PA", 1 + 2 * MSS, 1, MSS);
	/* Not duplicates: carrying data, changing the window. */
	feed_pat(&h, "A", 1, 1, 65535, 10);
	h_feed(&h, "A", 11, 1, 60000, NULL, NULL, 0);
	h_feed(&h, "A", 11, 1, 50000, NULL, NULL, 0);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1 + 3 * MSS, 11, 0);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->dup_acks_in, 0);
	/* Nothing outstanding: never duplicates. */
	h_feed(&h, "A", 11, 1 + 3 * MSS, 50000, NULL, NULL, 0);
	h_feed(&h, "A", 11, 1 + 3 * MSS, 50000, NULL, NULL, 0);
	h_feed(&h, "A", 11, 1 + 3 * MSS, 50000, NULL, NULL, 0);
	h_feed(&h, "A", 11, 1 + 3 * MSS, 50000, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->dup_acks_in, 0);
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 0);
	h_fini(&h);
}

static void rto_go_back(void **state)
{
	struct harness h;
	struct tcb_info i;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 3 * MSS);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect(&h, "A", 1 + MSS, 1, MSS);
	h_expect(&h, "PA", 1 + 2 * MSS, 1, MSS);
	h_expect_none(&h);
	/* All lost. One RTO (400 ms): one segment, cwnd = 1 MSS,
	 * ssthresh = max(FlightSize / 2, 2 MSS). */
	h_next_timer(&h);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect_none(&h);
	i = info_of(h.tcb);
	assert_int_equal(i.cwnd, MSS);
	assert_int_equal(i.ssthresh, 2 * MSS);
	assert_int_equal(eng_stats(h.eng)->rto_expiries, 1);
	/* Its ACK: slow start, the next two go again (go-back-N). */
	h_feed(&h, "A", 1, 1 + MSS, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1 + MSS, 1, MSS);
	h_expect(&h, "PA", 1 + 2 * MSS, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 2 * MSS);
	h_feed(&h, "A", 1, 1 + 3 * MSS, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->tcpRetransSegs, 3);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	/* No fast retransmit for dupacks of data sent before the RTO
	 * (RFC 6582 4). */
	h_fini(&h);
}

static void initial_window(void **state)
{
	struct harness h;

	/* RFC 3390: min(4 MSS, max(2 MSS, 4380)) = 3 segments of 1460. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 10 * MSS);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect(&h, "A", 1 + MSS, 1, MSS);
	h_expect(&h, "A", 1 + 2 * MSS, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 3 * MSS);
	/* Slow start: one ACK of two segments adds one MSS (RFC 5681 3.1). */
	h_feed(&h, "A", 1, 1 + 2 * MSS, 65535, NULL, NULL, 0);
	assert_int_equal(info_of(h.tcb).cwnd, 4 * MSS);
	h_expect(&h, "A", 1 + 3 * MSS, 1, MSS);
	h_expect(&h, "A", 1 + 4 * MSS, 1, MSS);
	h_expect(&h, "A", 1 + 5 * MSS, 1, MSS);
	h_expect_none(&h);
	h_fini(&h);
}

/* --- MSS ---------------------------------------------------------------------- */

static void mss_option(void **state)
{
	struct harness h;
	struct sock_opts o;
	const struct h_seg *s;

	h_init(&h);
	h.mtu = 9000;
	h_connect(&h);
	s = h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.mss, 8960);
	h_fini(&h);

	h_init(&h);
	h_use_ipv6(&h);
	h.mtu = 1280;
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	s = h_expect(&h, "SA", 0, 1, 0);
	assert_int_equal(s->so.th.opts.present, TCP_OPT_MSS);
	assert_int_equal(s->so.th.opts.mss, 1220);
	h_fini(&h);

	/* TCP_MAXSEG lowers what we announce and what we send. */
	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.mss = 1000;
	h_connect_opts(&h, &o);
	s = h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.mss, 1000);
	{
		struct tcp_opts m = { .present = TCP_OPT_MSS, .mss = 1460 };

		h_feed(&h, "SA", 0, 1, 65535, &m, NULL, 0);
	}
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(info_of(h.tcb).smss, 1000);
	send_pat(&h, 0, 2000);
	h_expect(&h, "A", 1, 1, 1000);
	h_expect(&h, "PA", 1001, 1, 1000);
	h_expect_none(&h);
	h_fini(&h);
}

static void mss_from_peer(void **state)
{
	struct harness h;

	/* The peer's MSS bounds our segments. */
	h_init(&h);
	est_active(&h, NULL, 1000, 65535);
	send_pat(&h, 0, 3000);
	h_expect(&h, "A", 1, 1, 1000);
	h_expect(&h, "A", 1001, 1, 1000);
	h_expect(&h, "PA", 2001, 1, 1000);
	h_expect_none(&h);
	h_fini(&h);

	/* No option: 536 over IPv4 (RFC 9293 3.7.1). */
	h_init(&h);
	est_active(&h, NULL, 0, 65535);
	assert_int_equal(info_of(h.tcb).smss, 536);
	send_pat(&h, 0, 1200);
	h_expect(&h, "A", 1, 1, 536);
	h_expect(&h, "A", 537, 1, 536);
	h_expect_none(&h); /* 128 bytes wait for an ACK (Nagle) */
	h_feed(&h, "A", 1, 1073, 65535, NULL, NULL, 0);
	h_expect(&h, "PA", 1073, 1, 128);
	h_fini(&h);

	/* And 1220 over IPv6. */
	h_init(&h);
	h_use_ipv6(&h);
	est_active(&h, NULL, 0, 65535);
	assert_int_equal(info_of(h.tcb).smss, 1220);
	send_pat(&h, 0, 2440);
	h_expect(&h, "A", 1, 1, 1220);
	h_expect(&h, "PA", 1221, 1, 1220);
	h_fini(&h);

	/* Our own path limits us below the peer's MSS. */
	h_init(&h);
	h.mtu = 576;
	est_active(&h, NULL, 1460, 65535);
	assert_int_equal(info_of(h.tcb).rmss, 536);
	assert_int_equal(info_of(h.tcb).smss, 536);
	h_fini(&h);
}

/* --- sequence numbers wrapping ----------------------------------------------- */

static void peer_seq_wraps(void **state)
{
	struct harness h;

	h_init(&h);
	h.pisn = 0xfffffff0u; /* byte 1 at 0xfffffff1, byte 16 at 0 */
	h_establish_active(&h);
	/* In order across the wrap. */
	feed_pat(&h, "PA", 1, 1, 65535, 40);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 41, 0);
	assert_int_equal(h.out[0].so.th.ack, 0x19u);
	recv_pat(&h, 0, 40);
	h_fini(&h);

	/* Out of order: the segment across the wrap first. */

	h_init(&h);
	h.pisn = 0xffffffe0u;
	h_establish_active(&h);
	feed_pat(&h, "PA", 21, 1, 65535, 30); /* 0xfffffff5 .. 0x12 */
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(tcb_readable(h.tcb), 0);
	feed_pat(&h, "PA", 1, 1, 65535, 20); /* 0xffffffe1 .. */
	h_expect(&h, "A", 1, 51, 0);
	recv_pat(&h, 0, 50);
	/* A RST before the wrap is below RCV.NXT (0x13): dropped. One in
	 * the window but not at RCV.NXT: challenged; at it: reset. */
	h_feed(&h, "R", 30, 0, 0, NULL, NULL, 0);
	h_expect_none(&h);
	h_feed(&h, "R", 60, 0, 0, NULL, NULL, 0);
	h_expect(&h, "A", 1, 51, 0);
	h_feed(&h, "R", 51, 0, 0, NULL, NULL, 0);
	assert_int_equal(tcb_take_error(h.tcb), ECONNRESET);
	h_fini(&h);

	/* The FIN sits exactly on the wrap. */
	h_init(&h);
	h.pisn = 0xfffffff0u;
	h_establish_active(&h);
	feed_pat(&h, "PA", 1, 1, 65535, 15); /* up to 0xffffffff */
	h_feed(&h, "FA", 16, 1, 65535, NULL, NULL, 0); /* FIN at 0 */
	h_expect(&h, "A", 1, 17, 0);
	assert_int_equal(h.out[0].so.th.ack, 1u);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSE_WAIT);
	recv_pat(&h, 0, 15);
	assert_true(tcb_eof(h.tcb));
	h_fini(&h);
}

static void tweak_seq_iss(struct tunables *t)
{
	t->tcp_strong_iss = 0;
}

static void our_seq_wraps(void **state)
{
	struct harness h;

	/* tcp_strong_iss 0: ISS = now / 4 + 125000 for the first connection;
	 * pick now so the ISS is 0xfffffff0. */
	h_init_tun(&h, tweak_seq_iss);
	h.now = 4ull * (0xfffffff0u - ISN_INCR / 2);
	est_active(&h, NULL, 20, 65535);
	assert_int_equal(h.iss, 0xfffffff0u);
	/* Segments of 64 bytes (MSS floor) from 0xfffffff1 across 0. */
	send_pat(&h, 0, 192);
	h_expect(&h, "A", 1, 1, 64);
	h_expect(&h, "A", 65, 1, 64);
	h_expect(&h, "PA", 129, 1, 64);
	h_expect_none(&h);
	assert_int_equal(h.out[1].so.th.seq, 0x31u);
	/* Partial ACK across the wrap, then the RTO resends the rest. */
	h_feed(&h, "A", 1, 65, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).snd_una, 0x31u);
	h_next_timer(&h);
	h_expect(&h, "A", 65, 1, 64);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 193, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* Old ACKs from before the wrap are still "old", not "new". */
	h_feed(&h, "A", 1, 65, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).snd_una, h.iss + 193);
	/* FIN and close across it too. */
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 193, 1, 0);
	h_feed(&h, "FA", 1, 194, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 194, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sender_respects_window),
		cmocka_unit_test(receiver_window),
		cmocka_unit_test(window_update_thresholds),
		cmocka_unit_test(nagle_and_nodelay),
		cmocka_unit_test(send_buffer_full),
		cmocka_unit_test(fast_retransmit_newreno),
		cmocka_unit_test(dupack_rules),
		cmocka_unit_test(rto_go_back),
		cmocka_unit_test(initial_window),
		cmocka_unit_test(mss_option),
		cmocka_unit_test(mss_from_peer),
		cmocka_unit_test(peer_seq_wraps),
		cmocka_unit_test(our_seq_wraps),
	};

	return cmocka_run_group_tests_name("engine_data", tests, NULL, NULL);
}
