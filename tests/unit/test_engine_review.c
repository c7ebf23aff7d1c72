// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests from a review of the engine against the RFCs: each
 * one pins down a bug that was found and fixed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"

#define MSS 1460

/* A 4096-byte receive buffer filled by the peer: our window is shut. */
static void fill_rcv_window(struct harness *h, uint32_t our_seq)
{
	feed_pat(h, "A", 1, 1, 8192, 2048);
	feed_pat(h, "A", 2049, 1, 8192, 2048);
	h_expect_win(h, "A", our_seq, 4097, 0, 0);
	h_expect_none(h);
}

/*
 * RFC 1122 4.2.2.17 / RFC 9293 3.8.6.1 and 3.10.7.4: a receiver with a
 * zero window takes no data but answers every probe with an ACK (a Linux
 * sender aborts after tcp_retries2 unanswered probes).
 */
static void zero_window_probe_acked(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 4096;
	est_active(&h, &o, MSS, 8192);
	fill_rcv_window(&h, 1);
	feed_pat(&h, "A", 4097, 1, 8192, 1);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	feed_pat(&h, "PA", 4097, 1, 8192, 1);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	/* A FIN into the shut window is not taken either, but answered. */
	h_feed(&h, "FA", 4097, 1, 8192, NULL, NULL, 0);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_int_equal(tcb_readable(h.tcb), 4096);
	h_fini(&h);
}

/*
 * RFC 5681 2: a duplicate ACK carries no data. The peer's zero-window
 * probes (their byte dropped by our shut window) are not duplicate ACKs,
 * whatever is left of them after trimming: three of them must not trigger
 * a fast retransmission.
 */
static void zero_window_probes_are_not_dupacks(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 4096;
	est_active(&h, &o, MSS, 8192);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	fill_rcv_window(&h, 101);
	for (int i = 0; i < 4; i++) {
		feed_pat(&h, "A", 4097, 1, 8192, 1);
		h_expect_win(&h, "A", 101, 4097, 0, 0);
		h_expect_none(&h);
	}
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 0);
	assert_int_equal(info_of(h.tcb).cwnd, 3 * MSS);
	h_fini(&h);
}

/*
 * RFC 9293 3.10.4: CLOSE (or shutdown for writing) before the handshake
 * completes queues the FIN "for processing after entering ESTABLISHED
 * state". Here in SYN-SENT, with data queued before it.
 */
static void shutdown_in_syn_sent(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(eng_send(h.tcb, "hello", 5, 0, h.now), 5);
	assert_int_equal(eng_shutdown(h.tcb, 1, h.now), 0);
	h_expect_none(&h);
	assert_int_equal(eng_send(h.tcb, "x", 1, 0, h.now), -EPIPE);
	h_feed(&h, "SA", 0, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "FPA", 1, 1, 5);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_1);
	h_feed(&h, "A", 1, 7, 65535, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_FIN_WAIT_2);
	h_feed(&h, "FA", 1, 7, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 7, 2, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_TIME_WAIT);
	h_fini(&h);
}

/* The same in SYN-RECEIVED (simultaneous open), closing the handle: the
 * orphan must still send its FIN and go away. */
static void close_in_syn_received(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "S", 0, 0, 65535, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_SYN_RECEIVED);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect_none(&h);
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "FA", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_1);
	h_feed(&h, "FA", 1, 2, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	assert_int_equal(conn_state(&h, h.rport), TCPS_TIME_WAIT);
	h_run_until(&h, h.now + 120 * SEC);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);
}

/*
 * Karn (RFC 6298 3): a SYN-ACK sent again because the peer's SYN came again
 * is a retransmission; the ACK that follows is ambiguous and gives no RTT
 * sample.
 */
static void karn_synack_resent_for_dup_syn(void **state)
{
	struct harness h;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = MSS };
	struct tcb_info i;
	int err;

	h_init(&h);
	h_listen(&h, 16);
	h_feed(&h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_advance(&h, 900 * MSEC);
	h_feed(&h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_advance(&h, 10 * MSEC);
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	i = info_of(h.tcb);
	assert_int_equal(i.srtt_us, 0);
	assert_int_equal(i.rto_us, 1 * SEC);
	h_fini(&h);
}

/*
 * RFC 5961 4.2: a SYN in a synchronized state is answered with a challenge
 * ACK and dropped "irrespective of the sequence number": also when it
 * starts just below RCV.NXT (the peer's first SYN again) and its data
 * reaches into the window. None of that data is taken.
 */
static void syn_below_rcv_nxt_challenged(void **state)
{
	struct harness h;

	h_init(&h);
	h_establish_passive(&h);
	h_feed(&h, "S", 0, 0, 65535, NULL, pat(0), 100);
	h_expect(&h, "A", 1, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_readable(h.tcb), 0);
	assert_int_equal(info_of(h.tcb).rcv_nxt, h.pisn + 1);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	h_fini(&h);
}

/*
 * RFC 6582's "recover" starts at the ISS and moved only with a loss
 * episode. After 2^31 bytes without loss, "SEG.ACK > recover" was false in
 * sequence space (RFC 1982), and fast retransmit was disabled for the next
 * 2 GB.
 */
static void fast_retransmit_after_2gb(void **state)
{
	static uint8_t zero[65536];
	struct harness h;
	uint32_t una;

	h_init(&h);
	h.mtu = 9000; /* MSS 8960: fewer segments to get there */
	est_active(&h, NULL, 8960, 65535);
	while (info_of(h.tcb).bytes_acked < (1ull << 31) + 65536) {
		(void)eng_send(h.tcb, zero, sizeof(zero), 0, h.now);
		h.nout = h.rd = 0;
		una = info_of(h.tcb).snd_nxt - h.iss;
		h_feed(&h, "A", 1, una, 65535, NULL, NULL, 0);
		h.nout = h.rd = 0;
	}
	/* Drain the buffer, all acknowledged. */
	while (tcb_writable(h.tcb) < 128000 ||
	       info_of(h.tcb).snd_nxt != info_of(h.tcb).snd_una) {
		h.nout = h.rd = 0;
		una = info_of(h.tcb).snd_nxt - h.iss;
		h_feed(&h, "A", 1, una, 65535, NULL, NULL, 0);
	}
	h.nout = h.rd = 0;
	una = info_of(h.tcb).snd_una - h.iss;
	(void)eng_send(h.tcb, zero, 5 * 8960, 0, h.now);
	for (uint32_t i = 0; i < 4; i++)
		h_expect(&h, "A", una + i * 8960, 1, 8960);
	h_expect(&h, "PA", una + 4 * 8960, 1, 8960);
	h_expect_none(&h);
	/* The first segment is lost: three duplicate ACKs. */
	for (int i = 0; i < 3; i++)
		h_feed(&h, "A", 1, una, 65535, NULL, NULL, 0);
	h_expect(&h, "A", una, 1, 8960);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->fast_retransmits, 1);
	h_fini(&h);
}

/*
 * RFC 5681 4.1: cwnd restarts from at most the initial window when the
 * connection "has not sent data in an interval exceeding the
 * retransmission timeout". The pure ACKs of a connection that only
 * received meanwhile are not data.
 */
static void idle_restart_after_acks_only(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 3 * MSS);
	for (uint32_t i = 0; i < 3; i++)
		h_expect(&h, i == 2 ? "PA" : "A", 1 + i * MSS, 1, MSS);
	for (uint32_t i = 1; i <= 3; i++)
		h_feed(&h, "A", 1, 1 + i * MSS, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 6 * MSS);
	/* Two seconds (RTO 400 ms) of receiving: we send only ACKs. */
	for (uint32_t i = 0; i < 20; i++) {
		feed_pat(&h, "PA", 1 + i * 100, 1 + 3 * MSS, 65535, 100);
		h_advance(&h, 100 * MSEC);
		h_expect(&h, "A", 1 + 3 * MSS, 1 + (i + 1) * 100, 0);
	}
	h_expect_none(&h);
	/* Restart from the initial window, 3 segments, not 6. */
	send_pat(&h, 3 * MSS, 10 * MSS);
	for (uint32_t i = 3; i < 6; i++)
		h_expect(&h, "A", 1 + i * MSS, 2001, MSS);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 3 * MSS);
	h_fini(&h);
}

/*
 * RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
 * and the TCP implementation is using an RTO less than 3 seconds, the RTO
 * MUST be re-initialized to 3 seconds when data transmission begins."
 */
static void rto_3s_after_syn_timeout(void **state)
{
	struct harness h;

	h_init(&h);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_next_timer(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_advance(&h, 100 * MSEC);
	h_feed(&h, "SA", 0, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(info_of(h.tcb).rto_us, 3 * SEC);
	assert_int_equal(info_of(h.tcb).backoff, 0);
	send_pat(&h, 0, 100);
	h_expect(&h, "PA", 1, 1, 100);
	h_advance(&h, 3 * SEC - 1);
	h_expect_none(&h);
	h_advance(&h, 1);
	h_expect(&h, "PA", 1, 1, 100);
	h_fini(&h);
}

/* The same for the passive side, whose SYN-ACK timed out twice. */
static void rto_3s_after_synack_timeout(void **state)
{
	struct harness h;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = MSS };
	int err;

	h_init(&h);
	h_listen(&h, 16);
	h_feed(&h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_next_timer(&h);
	h_expect(&h, "SA", 0, 1, 0);
	h_next_timer(&h);
	h_expect(&h, "SA", 0, 1, 0);
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	assert_int_equal(info_of(h.tcb).rto_us, 3 * SEC);
	assert_int_equal(info_of(h.tcb).backoff, 0);
	h_fini(&h);
}

/*
 * RFC 1122 4.2.2.13: "if new data is received after CLOSE is called, its
 * TCP SHOULD send a RST to show that data was lost" (Linux and BSD do).
 * Otherwise the orphan took the data nobody would read until its window
 * shut, and the peer believed it delivered.
 */
static void data_after_close_resets(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	/* FIN-WAIT-1: data (not acknowledging our FIN) resets. */
	feed_pat(&h, "PA", 1, 1, 65535, 100);
	h_expect(&h, "RA", 2, 1, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);

	/* FIN-WAIT-2 alike; a bare FIN is no data and is taken. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 65535, NULL, NULL, 0);
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_2);
	feed_pat(&h, "PA", 1, 2, 65535, 100);
	h_expect(&h, "RA", 2, 1, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_fini(&h);

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "FA", 1, 2, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	assert_int_equal(conn_state(&h, h.rport), TCPS_TIME_WAIT);
	h_fini(&h);

	/* Half-closed, not closed: data is still welcome. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_shutdown(h.tcb, 1, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	feed_pat(&h, "PA", 1, 2, 65535, 100);
	h_advance(&h, 200 * MSEC);
	h_expect(&h, "A", 2, 101, 0);
	assert_int_equal(tcb_readable(h.tcb), 100);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_window_probe_acked),
		cmocka_unit_test(zero_window_probes_are_not_dupacks),
		cmocka_unit_test(shutdown_in_syn_sent),
		cmocka_unit_test(close_in_syn_received),
		cmocka_unit_test(karn_synack_resent_for_dup_syn),
		cmocka_unit_test(syn_below_rcv_nxt_challenged),
		cmocka_unit_test(fast_retransmit_after_2gb),
		cmocka_unit_test(idle_restart_after_acks_only),
		cmocka_unit_test(rto_3s_after_syn_timeout),
		cmocka_unit_test(rto_3s_after_synack_timeout),
		cmocka_unit_test(data_after_close_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
