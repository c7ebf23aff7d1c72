// SPDX-License-Identifier: BSD-2-Clause
/*
 * The options of the SYN exchange on the wire: which the tunables of
 * tcp(4P) ask for (tcp_wscale_always, tcp_tstamp_always,
 * tcp_tstamp_if_wscale, tcp_sack_permitted, tcp_ecn_permitted) on active
 * and passive opens; RFC 7323 window scaling and timestamps (PAWS, RTTM);
 * RFC 2018/2883 SACK and D-SACK blocks; RFC 6675 SACK recovery; RFC 3168
 * ECN.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "harness.h"

static struct {
	uint32_t ws, tsa, tsw, sack, ecn;
} want;

static void tw(struct tunables *t)
{
	t->tcp_wscale_always = want.ws;
	t->tcp_tstamp_always = want.tsa;
	t->tcp_tstamp_if_wscale = want.tsw;
	t->tcp_sack_permitted = want.sack;
	t->tcp_ecn_permitted = want.ecn;
}

static struct tcb_info info_of(const struct tcb *t)
{
	struct tcb_info i;

	tcb_get_info(t, &i);
	return i;
}

/* RFC 7323 2.3: the smallest shift that covers @buf. */
static uint8_t shift_for(uint32_t buf)
{
	uint8_t s = 0;

	while (s < 14 && (65535u << s) < buf)
		s++;
	return s;
}

static void active_syn_every_combination(void **state)
{
	struct harness h;

	for (want.ws = 0; want.ws <= 1; want.ws++)
		for (want.tsa = 0; want.tsa <= 1; want.tsa++)
			for (want.tsw = 0; want.tsw <= 1; want.tsw++)
				for (want.sack = 0; want.sack <= 2; want.sack++)
					for (want.ecn = 0; want.ecn <= 2;
					     want.ecn++) {
						const struct h_seg *s;
						uint32_t p = TCP_OPT_MSS;

						h_init_tun(&h, tw);
						h_connect(&h);
						s = h_expect(&h,
							     want.ecn == 2 ?
								     "SEC" :
								     "S",
							     0, 0, 0);
						if (want.ws)
							p |= TCP_OPT_WSCALE;
						if (want.tsa ||
						    (want.ws && want.tsw))
							p |= TCP_OPT_TS;
						if (want.sack == 2)
							p |= TCP_OPT_SACK_PERM;
						assert_int_equal(
							s->so.th.opts.present,
							p);
						if (p & TCP_OPT_TS)
							assert_int_equal(
								s->so.th.opts
									.ts_ecr,
								0);
						if (p & TCP_OPT_WSCALE)
							assert_int_equal(
								s->so.th.opts
									.wscale,
								shift_for(
									128000));
						/* RFC 7323 2.2: unscaled. */
						assert_int_equal(s->so.th.win,
								 65535);
						h_fini(&h);
					}
}

/* tcp_wscale_always 0: window scale only for a buffer asked above 64K. */
static void wscale_for_big_buffers_only(void **state)
{
	struct harness h;
	struct sock_opts o;
	const struct h_seg *s;

	want.ws = 0, want.tsa = 0, want.tsw = 1, want.sack = 0, want.ecn = 0;
	h_init_tun(&h, tw);
	h_connect(&h);
	s = h_expect(&h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.present, TCP_OPT_MSS);
	h_fini(&h);

	h_init_tun(&h, tw);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 1 << 20;
	o.buf_big = true; /* SO_RCVBUF above 64K before connect */
	h_connect_opts(&h, &o);
	s = h_expect(&h, "S", 0, 0, 0);
	/* tcp_tstamp_if_wscale brings timestamps with it. */
	assert_int_equal(s->so.th.opts.present,
			 TCP_OPT_MSS | TCP_OPT_WSCALE | TCP_OPT_TS);
	assert_int_equal(s->so.th.opts.wscale, shift_for(1 << 20));
	h_fini(&h);
}

#define P_WS 1
#define P_TS 2
#define P_SACK 4
#define P_ECN 8

static void passive_answer_every_combination(void **state)
{
	struct harness h;

	for (want.ws = 0; want.ws <= 1; want.ws++)
		for (want.tsa = 0; want.tsa <= 1; want.tsa++)
			for (want.tsw = 0; want.tsw <= 1; want.tsw++)
				for (want.sack = 0; want.sack <= 2; want.sack++)
					for (want.ecn = 0; want.ecn <= 2;
					     want.ecn++)
						for (int k = 0; k < 16; k++) {
							struct tcp_opts o = {
								.present =
									TCP_OPT_MSS,
								.mss = 1460,
							};
							const struct h_seg *s;
							uint32_t p =
								TCP_OPT_MSS;
							bool ecn;

							if (k & P_WS) {
								o.present |=
									TCP_OPT_WSCALE;
								o.wscale = 9;
							}
							if (k & P_TS) {
								o.present |=
									TCP_OPT_TS;
								o.ts_val = 77;
							}
							if (k & P_SACK)
								o.present |=
									TCP_OPT_SACK_PERM;
							h_init_tun(&h, tw);
							h_listen(&h, 4);
							h_feed(&h,
							       (k & P_ECN) ?
								       "SEC" :
								       "S",
							       0, 0, 65535, &o,
							       NULL, 0);
							ecn = (k & P_ECN) &&
							      want.ecn;
							s = h_expect(
								&h,
								ecn ? "SAE" :
								      "SA",
								0, 1, 0);
							/* tcp(4P): WS and TS
							 * always answered. */
							if (k & P_WS)
								p |= TCP_OPT_WSCALE;
							if (k & P_TS)
								p |= TCP_OPT_TS;
							if ((k & P_SACK) &&
							    want.sack)
								p |= TCP_OPT_SACK_PERM;
							assert_int_equal(
								s->so.th.opts
									.present,
								p);
							if (k & P_TS)
								assert_int_equal(
									s->so.th.opts
										.ts_ecr,
									77);
							h_fini(&h);
						}
}

/* The active side uses what both SYNs carry. */
static void active_takes_the_intersection(void **state)
{
	struct harness h;
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_TS |
					 TCP_OPT_SACK_PERM | TCP_OPT_WSCALE,
			      .mss = 1460,
			      .wscale = 20 };
	const struct h_seg *s;

	/* Offered all but SACK: the SYN-ACK's SACK-permitted is ignored,
	 * and its shift above 14 is taken as 14 (RFC 7323 2.3). */
	want.ws = 1, want.tsa = 0, want.tsw = 1, want.sack = 1, want.ecn = 0;
	h_init_tun(&h, tw);
	h_connect(&h);
	s = h_expect(&h, "S", 0, 0, 0);
	o.ts_ecr = s->so.th.opts.ts_val;
	o.ts_val = 5;
	h_feed(&h, "SA", 0, 1, 65535, &o, NULL, 0);
	s = h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(s->so.th.opts.present, TCP_OPT_TS);
	assert_int_equal(info_of(h.tcb).options,
			 TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE);
	assert_int_equal(info_of(h.tcb).snd_wscale, 14);
	h_fini(&h);

	/* Offered nothing but the MSS: a SYN-ACK with options gets none. */
	want.ws = 0, want.tsw = 0, want.sack = 0;
	h_init_tun(&h, tw);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "SA", 0, 1, 65535, &o, NULL, 0);
	s = h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(s->so.th.opts.present, 0);
	assert_int_equal(info_of(h.tcb).options, 0);
	assert_int_equal(info_of(h.tcb).snd_wscale, 0);
	h_fini(&h);

	/* ECN: a SYN-ACK with ECE and CWR is not an ECN-setup SYN-ACK
	 * (RFC 3168 6.1.1). */
	want.ecn = 2;
	h_init_tun(&h, tw);
	h_connect(&h);
	h_expect(&h, "SEC", 0, 0, 0);
	h_feed(&h, "SAEC", 0, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(info_of(h.tcb).options, 0);
	h_fini(&h);
}

static void window_scale_on_the_wire(void **state)
{
	struct harness h;
	struct sock_opts so;
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE,
			      .mss = 1000,
			      .wscale = 3 };
	const struct h_seg *s;
	uint8_t shift = shift_for(1 << 20);

	want.ws = 1, want.tsa = 0, want.tsw = 0, want.sack = 0, want.ecn = 0;
	h_init_tun(&h, tw);
	eng_default_opts(h.eng, &so);
	so.rcvbuf = 1 << 20;
	h_connect_opts(&h, &so);
	/* RFC 7323 2.2: the SYN's window is unscaled, at most 65535. */
	s = h_expect_win(&h, "S", 0, 0, 0, 65535);
	assert_int_equal(s->so.th.opts.wscale, shift);
	h_feed(&h, "SA", 0, 1, 1000, &o, NULL, 0);
	/* Our window from now on: the buffer, scaled down. */
	h_expect_win(&h, "A", 1, 1, 0, (uint16_t)((1u << 20) >> shift));
	/* The SYN-ACK's window was not scaled; every later one is. */
	assert_int_equal(info_of(h.tcb).snd_wnd, 1000);
	h_feed(&h, "A", 1, 1, 1000, NULL, NULL, 0);
	assert_int_equal(info_of(h.tcb).snd_wnd, 8000);
	/* Data within the scaled window goes out. */
	{
		static char d[6000];

		assert_int_equal(eng_send(h.tcb, d, sizeof(d), 0, h.now),
				 (long)sizeof(d));
		for (int i = 0; i < 4; i++)
			h_expect(&h, "A", 1 + 1000 * (uint32_t)i, 1, 1000);
	}
	h.nout = h.rd = 0;
	h_fini(&h);

	/* Not negotiated: the window field is the window, capped at 64K,
	 * whatever the buffer (tcp(4P): too late to ask after). */
	h_init_tun(&h, tw);
	eng_default_opts(h.eng, &so);
	so.rcvbuf = 1 << 20;
	h_connect_opts(&h, &so);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "SA", 0, 1, 1000, NULL, NULL, 0);
	h_expect_win(&h, "A", 1, 1, 0, 65535);
	h_feed(&h, "A", 1, 1, 1000, NULL, NULL, 0);
	assert_int_equal(info_of(h.tcb).snd_wnd, 1000);
	h_fini(&h);

	/* Passive: the SYN-ACK offers 65535 unscaled, and no more is taken
	 * as offered; the peer's shift applies from its next segment. */
	h_init_tun(&h, tw);
	h_listen(&h, 4);
	o.present = TCP_OPT_MSS | TCP_OPT_WSCALE;
	o.wscale = 2;
	h_feed(&h, "S", 0, 0, 1000, &o, NULL, 0);
	s = h_expect_win(&h, "SA", 0, 1, 0, 65535);
	assert_int_equal(s->so.th.opts.wscale, shift_for(128000));
	h_feed(&h, "A", 1, 1, 1000, NULL, NULL, 0);
	{
		int err;

		h.tcb = eng_accept(h.listener, &err);
		assert_non_null(h.tcb);
	}
	assert_int_equal(info_of(h.tcb).rcv_wnd, 65535);
	assert_int_equal(info_of(h.tcb).snd_wnd, 4000);
	h_fini(&h);
}

/* Established with timestamps: peer TSval 500 in its SYN-ACK, 10 ms RTT. */
static uint32_t est_ts(struct harness *h)
{
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_TS,
			      .mss = 1000 };
	const struct h_seg *s;
	uint32_t v0;

	want.ws = 0, want.tsa = 1, want.tsw = 0, want.sack = 0, want.ecn = 0;
	h_init_tun(h, tw);
	h_connect(h);
	s = h_expect(h, "S", 0, 0, 0);
	assert_int_equal(s->so.th.opts.present, TCP_OPT_MSS | TCP_OPT_TS);
	v0 = s->so.th.opts.ts_val;
	h_advance(h, 10000);
	o.ts_val = 500;
	o.ts_ecr = v0;
	h_feed(h, "SA", 0, 1, 65535, &o, NULL, 0);
	s = h_expect(h, "A", 1, 1, 0);
	/* RFC 7323 3.2: every segment carries TSval, and echoes TS.Recent. */
	assert_int_equal(s->so.th.opts.present, TCP_OPT_TS);
	assert_int_equal(s->so.th.opts.ts_val, v0 + 10);
	assert_int_equal(s->so.th.opts.ts_ecr, 500);
	/* The send MSS leaves room for the option (RFC 6691). */
	assert_int_equal(info_of(h->tcb).smss, 1000 - 12);
	return v0;
}

static struct tcp_opts ts(uint32_t val, uint32_t ecr)
{
	struct tcp_opts o = { .present = TCP_OPT_TS,
			      .ts_val = val,
			      .ts_ecr = ecr };

	return o;
}

static void timestamps_and_paws(void **state)
{
	struct harness h;
	const struct h_seg *s;
	struct tcp_opts o;
	char d[100] = "x";
	uint32_t v0 = est_ts(&h);

	/* Our clock runs in milliseconds from a per-connection offset. */
	h_advance(&h, 50000);
	assert_int_equal(eng_send(h.tcb, d, 100, 0, h.now), 100);
	s = h_expect(&h, "PA", 1, 1, 100);
	assert_int_equal(s->so.th.opts.ts_val, v0 + 60);
	assert_int_equal(s->so.th.opts.ts_ecr, 500);
	/* RTTM (RFC 7323 4.1): the echo times the segment, 30 ms. The SYN
	 * gave 10 ms: srtt = 7/8 * 10 + 1/8 * 30 ms. */
	h_advance(&h, 30000);
	o = ts(510, v0 + 60);
	h_feed(&h, "A", 1, 101, 65535, &o, NULL, 0);
	assert_int_equal(info_of(h.tcb).srtt_us, 12500);

	/* In-order data updates TS.Recent (4.3) and is echoed. */
	o = ts(600, v0 + 60);
	h_feed(&h, "A", 1, 101, 65535, &o, d, 100);
	o = ts(601, v0 + 60);
	h_feed(&h, "A", 101, 101, 65535, &o, d, 100);
	s = h_expect(&h, "A", 101, 201, 0);
	/* The ACK of two segments echoes the earlier one (4.3 (2)). */
	assert_int_equal(s->so.th.opts.ts_ecr, 600);
	/* Out of order: not at Last.ACK.sent, so TS.Recent stays. */
	o = ts(700, v0 + 60);
	h_feed(&h, "A", 1201, 101, 65535, &o, d, 100);
	s = h_expect(&h, "A", 101, 201, 0);
	assert_int_equal(s->so.th.opts.ts_ecr, 600);

	/* PAWS (5.3): an older TSval is dropped, and answered. */
	o = ts(599, v0 + 60);
	h_feed(&h, "A", 201, 101, 65535, &o, d, 100);
	s = h_expect(&h, "A", 101, 201, 0);
	assert_int_equal(s->so.th.opts.ts_ecr, 600);
	assert_int_equal(eng_stats(h.eng)->paws_drops, 1);
	assert_int_equal(tcb_readable(h.tcb), 200);

	/* Without a timestamp: dropped silently (tcp(4P), RFC 7323 3.2). */
	h_feed(&h, "A", 201, 101, 65535, NULL, d, 100);
	h_expect_none(&h);
	assert_int_equal(eng_stats(h.eng)->ts_missing_drops, 1);
	assert_int_equal(tcb_readable(h.tcb), 200);

	/* 24 days idle: TS.Recent no longer counts (5.5). */
	h_advance(&h, 25ull * 86400 * 1000000);
	h.nout = h.rd = 0; /* whatever the timers sent meanwhile */
	o = ts(100, v0 + 60);
	h_feed(&h, "A", 201, 101, 65535, &o, d, 100);
	assert_int_equal(tcb_readable(h.tcb), 300);

	/* A RST needs no timestamp. */
	h.nout = h.rd = 0;
	h_feed(&h, "R", 301, 0, 0, NULL, NULL, 0);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	h_fini(&h);
}

/* RTTM after a timeout: the echo names the retransmission (no Karn). */
static void timestamps_time_retransmissions(void **state)
{
	struct harness h;
	const struct h_seg *s;
	struct tcp_opts o;
	char d[100] = "x";

	est_ts(&h);
	assert_int_equal(eng_send(h.tcb, d, 100, 0, h.now), 100);
	h_expect(&h, "PA", 1, 1, 100);
	h_next_timer(&h);
	s = h_expect(&h, "PA", 1, 1, 100);
	h_advance(&h, 40000);
	o = ts(501, s->so.th.opts.ts_val);
	h_feed(&h, "A", 1, 101, 65535, &o, NULL, 0);
	/* 7/8 * 10 ms + 1/8 * 40 ms */
	assert_int_equal(info_of(h.tcb).srtt_us, 13750);
	assert_int_equal(info_of(h.tcb).backoff, 0);
	h_fini(&h);
}

/* Established with SACK (and no timestamps), MSS 1000, IW @iw segments. */
static void est_sack(struct harness *h, uint32_t iw)
{
	struct tcp_opts o = { .present = TCP_OPT_MSS | TCP_OPT_SACK_PERM,
			      .mss = 1000 };
	struct sock_opts so;

	want.ws = 0, want.tsa = 0, want.tsw = 0, want.sack = 2, want.ecn = 0;
	h_init_tun(h, tw);
	eng_default_opts(h->eng, &so);
	so.init_cwnd = iw;
	h_connect_opts(h, &so);
	h_expect(h, "S", 0, 0, 0);
	h_feed(h, "SA", 0, 1, 65535, &o, NULL, 0);
	h_expect(h, "A", 1, 1, 0);
	assert_int_equal(info_of(h->tcb).options, TCPI_OPT_SACK);
}

static void expect_sack(const struct h_seg *s, uint32_t base, int n,
			const uint32_t *blocks)
{
	assert_int_equal(!!(s->so.th.opts.present & TCP_OPT_SACK), n > 0);
	assert_int_equal(s->so.th.opts.nsack, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(s->so.th.opts.sack[i].start - base,
				 blocks[2 * i]);
		assert_int_equal(s->so.th.opts.sack[i].end - base,
				 blocks[2 * i + 1]);
	}
}

static void sack_blocks_and_dsack(void **state)
{
	struct harness h;
	static char d[1000];
	const struct h_seg *s;
	uint32_t b = 1000000; /* the peer's ISS: blocks relative to it */

	est_sack(&h, 0);
	b = h.pisn;
	/* A hole at 1: the block of what arrived. */
	h_feed(&h, "A", 1001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	expect_sack(s, b, 1, (uint32_t[]){ 1001, 2001 });
	/* The latest block first (RFC 2018 4). */
	h_feed(&h, "A", 3001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	expect_sack(s, b, 2, (uint32_t[]){ 3001, 4001, 1001, 2001 });
	/* A duplicate of queued data: D-SACK first, then its block
	 * (RFC 2883 4.1.2); only once. */
	h_feed(&h, "A", 1001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	expect_sack(s, b, 3,
		    (uint32_t[]){ 1001, 2001, 1001, 2001, 3001, 4001 });
	h_feed(&h, "A", 5001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	expect_sack(s, b, 3,
		    (uint32_t[]){ 5001, 6001, 1001, 2001, 3001, 4001 });
	/* More holes than fit: 4 blocks without timestamps. */
	h_feed(&h, "A", 7001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	expect_sack(s, b, 4,
		    (uint32_t[]){ 7001, 8001, 1001, 2001, 3001, 4001, 5001,
				  6001 });
	/* The first hole fills: the ACK moves, the rest is SACKed, the
	 * latest block still first. */
	h_feed(&h, "A", 1, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 2001, 0);
	expect_sack(s, b, 3,
		    (uint32_t[]){ 7001, 8001, 3001, 4001, 5001, 6001 });
	/* Wholly old data: D-SACK of it (RFC 2883 4.1.1). */
	h_feed(&h, "A", 1, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 2001, 0);
	expect_sack(s, b, 4,
		    (uint32_t[]){ 1, 1001, 7001, 8001, 3001, 4001, 5001,
				  6001 });
	assert_int_equal(eng_stats(h.eng)->dsacks_out, 2);
	h_fini(&h);
}

/* Without SACK negotiated, no blocks ever. */
static void no_sack_without_negotiation(void **state)
{
	struct harness h;
	static char d[1000];
	const struct h_seg *s;

	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "A", 1001, 1, 65535, NULL, d, 1000);
	s = h_expect(&h, "A", 1, 1, 0);
	assert_int_equal(s->so.th.opts.present, 0);
	h_fini(&h);
}

/* A dupack from the peer SACKing [s, e) (relative to our ISS). */
static void sack_ack(struct harness *h, int n, const uint32_t *blocks)
{
	struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = (uint8_t)n };

	for (int i = 0; i < n; i++) {
		o.sack[i].start = h->iss + blocks[2 * i];
		o.sack[i].end = h->iss + blocks[2 * i + 1];
	}
	h_feed(h, "A", 1, 1, 65535, &o, NULL, 0);
}

static void sack_recovery_retransmits_the_holes(void **state)
{
	struct harness h;
	static char d[40000];
	const struct tcp_stats *st;

	est_sack(&h, 10);
	assert_int_equal(eng_send(h.tcb, d, sizeof(d), 0, h.now),
			 (long)sizeof(d));
	for (uint32_t i = 0; i < 10; i++)
		h_expect(&h, "A", 1 + 1000 * i, 1, 1000);
	h_expect_none(&h);
	/* Segments 1 (seq 1) and 4 (seq 3001) are lost; the others arrive
	 * and are SACKed. The first two dupacks: limited transmit. */
	sack_ack(&h, 1, (uint32_t[]){ 1001, 2001 });
	h_expect(&h, "A", 10001, 1, 1000);
	sack_ack(&h, 1, (uint32_t[]){ 1001, 3001 });
	h_expect(&h, "A", 11001, 1, 1000);
	h_expect_none(&h);
	/* Third: recovery, and the first hole goes at once (RFC 6675
	 * 5 (4.3)). cwnd = 6000 (FlightSize / 2); pipe: 1 retransmitted,
	 * 3001 (not yet lost) and 8 in flight beyond 4001. */
	sack_ack(&h, 2, (uint32_t[]){ 4001, 5001, 1001, 3001 });
	h_expect(&h, "A", 1, 1, 1000);
	h_expect_none(&h);
	assert_int_equal(info_of(h.tcb).cwnd, 6000);
	/* More SACKs: 3001 becomes lost (3 segments above) but pipe is
	 * still at cwnd; then room for it: exactly it goes. */
	sack_ack(&h, 2, (uint32_t[]){ 4001, 6001, 1001, 3001 });
	sack_ack(&h, 2, (uint32_t[]){ 4001, 7001, 1001, 3001 });
	h_expect_none(&h);
	sack_ack(&h, 2, (uint32_t[]){ 4001, 8001, 1001, 3001 });
	h_expect(&h, "A", 3001, 1, 1000);
	h_expect_none(&h);
	/* Then new data as pipe allows (rule 2). */
	sack_ack(&h, 2, (uint32_t[]){ 4001, 9001, 1001, 3001 });
	h_expect(&h, "A", 12001, 1, 1000);
	h_expect_none(&h);
	st = eng_stats(h.eng);
	assert_int_equal(st->tcpRetransSegs, 2);
	assert_int_equal(st->bytes_retrans, 2000);
	assert_int_equal(st->sack_recoveries, 1);
	/* A partial ACK keeps recovery; the full one (past 12001, the
	 * RecoveryPoint) ends it. */
	{
		struct tcp_opts o = { .present = TCP_OPT_SACK, .nsack = 1 };

		o.sack[0].start = h.iss + 4001;
		o.sack[0].end = h.iss + 9001;
		h_feed(&h, "A", 1, 3001, 65535, &o, NULL, 0);
	}
	h.nout = h.rd = 0;
	h_feed(&h, "A", 1, 12001, 65535, NULL, NULL, 0);
	assert_int_equal(eng_stats(h.eng)->tcpRetransSegs, 2);
	{
		struct tcb_fp_view v;

		/* Recovery over, nothing SACKed: the fast path may take
		 * ACKs again. */
		tcb_fp_view(h.tcb, &v);
		assert_true(v.eligible);
	}
	h.nout = h.rd = 0;
	h_fini(&h);
}

/* ECN negotiated on an active open (tcp_ecn_permitted 2). */
static void est_ecn(struct harness *h)
{
	struct tcp_opts o = { .present = TCP_OPT_MSS, .mss = 1000 };

	want.ws = 0, want.tsa = 0, want.tsw = 0, want.sack = 0, want.ecn = 2;
	h_init_tun(h, tw);
	h_connect(h);
	/* RFC 3168 6.1.1: the ECN-setup SYN, never ECT. */
	assert_int_equal(h_expect(h, "SEC", 0, 0, 0)->so.tos & 3, 0);
	h_feed(h, "SAE", 0, 1, 65535, &o, NULL, 0);
	assert_int_equal(h_expect(h, "A", 1, 1, 0)->so.tos & 3, 0);
	assert_int_equal(info_of(h->tcb).options, TCPI_OPT_ECN);
}

static void ecn_receiver_echoes_ce(void **state)
{
	struct harness h;
	static char d[1000];

	est_ecn(&h);
	/* CE on data: ECE at once, and on every ACK until CWR. */
	h.feed_tos = IP_ECN_CE;
	h_feed(&h, "A", 1, 1, 65535, NULL, d, 1000);
	h_expect(&h, "AE", 1, 1001, 0);
	h.feed_tos = IP_ECN_ECT0;
	h_feed(&h, "A", 1001, 1, 65535, NULL, d, 1000);
	h_feed(&h, "A", 2001, 1, 65535, NULL, d, 1000);
	assert_int_equal(h_expect(&h, "AE", 1, 3001, 0)->so.tos & 3, 0);
	h_feed(&h, "AC", 3001, 1, 65535, NULL, d, 1000);
	h_feed(&h, "A", 4001, 1, 65535, NULL, d, 1000);
	h_expect(&h, "A", 1, 5001, 0);
	assert_int_equal(eng_stats(h.eng)->ecn_ce_in, 1);
	h_fini(&h);
}

static void ecn_sender_reduces_once_and_sends_cwr(void **state)
{
	struct harness h;
	static char d[20000];
	const struct h_seg *s;
	uint32_t cwnd;

	est_ecn(&h);
	assert_int_equal(eng_send(h.tcb, d, sizeof(d), 0, h.now),
			 (long)sizeof(d));
	/* New data is ECT(0) (RFC 3168 6.1.2). */
	for (uint32_t i = 0; i < 4; i++) {
		s = h_expect(&h, "A", 1 + 1000 * i, 1, 1000);
		assert_int_equal(s->so.tos & 3, IP_ECN_ECT0);
	}
	cwnd = info_of(h.tcb).cwnd;
	/* ECE: cwnd halves, and the next new data carries CWR. */
	h_feed(&h, "AE", 1, 1001, 65535, NULL, NULL, 0);
	assert_true(info_of(h.tcb).cwnd < cwnd);
	assert_int_equal(eng_stats(h.eng)->ecn_reductions, 1);
	cwnd = info_of(h.tcb).cwnd;
	h.nout = h.rd = 0;
	h_feed(&h, "AE", 1, 2001, 65535, NULL, NULL, 0);
	h_feed(&h, "AE", 1, 3001, 65535, NULL, NULL, 0);
	/* Once per window: the later ECEs change nothing. */
	assert_int_equal(eng_stats(h.eng)->ecn_reductions, 1);
	for (int i = 0; i < h.nout; i++) {
		bool cwr = h.out[i].so.th.flags & TH_CWR;

		assert_int_equal(cwr, i == 0);
		assert_int_equal(h.out[i].so.tos & 3, IP_ECN_ECT0);
	}
	assert_true(h.nout > 0);
	h.nout = h.rd = 0;
	/* A retransmission is never ECT (6.1.5). */
	h_next_timer(&h);
	assert_true(h.nout > 0);
	s = &h.out[0];
	assert_int_equal(s->so.th.seq - h.iss, 3001);
	assert_int_equal(s->so.tos & 3, 0);
	h.nout = h.rd = 0;
	h_fini(&h);
}

static void ecn_off_without_negotiation(void **state)
{
	struct harness h;
	static char d[1000];

	h_init(&h);
	h_establish_active(&h);
	assert_int_equal(eng_send(h.tcb, d, sizeof(d), 0, h.now),
			 (long)sizeof(d));
	assert_int_equal(h_expect(&h, "A", 1, 1, 536)->so.tos & 3, 0);
	h.nout = h.rd = 0;
	/* CE and ECE mean nothing then. */
	h.feed_tos = IP_ECN_CE;
	h_feed(&h, "AE", 1, 537, 65535, NULL, d, 100);
	assert_int_equal(eng_stats(h.eng)->ecn_ce_in, 0);
	assert_int_equal(eng_stats(h.eng)->ecn_ece_in, 0);
	h.nout = h.rd = 0;
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(active_syn_every_combination),
		cmocka_unit_test(wscale_for_big_buffers_only),
		cmocka_unit_test(passive_answer_every_combination),
		cmocka_unit_test(active_takes_the_intersection),
		cmocka_unit_test(window_scale_on_the_wire),
		cmocka_unit_test(timestamps_and_paws),
		cmocka_unit_test(timestamps_time_retransmissions),
		cmocka_unit_test(sack_blocks_and_dsack),
		cmocka_unit_test(no_sack_without_negotiation),
		cmocka_unit_test(sack_recovery_retransmits_the_holes),
		cmocka_unit_test(ecn_receiver_echoes_ce),
		cmocka_unit_test(ecn_sender_reduces_once_and_sends_cwr),
		cmocka_unit_test(ecn_off_without_negotiation),
	};

	return cmocka_run_group_tests_name("engine_options", tests, NULL, NULL);
}
