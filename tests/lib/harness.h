/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet-level scripts for the engine: one engine under test, and the test
 * playing its peer. Segments are fed at a given time with sequence numbers
 * relative to the peer's ISS and acknowledgements relative to the engine's
 * ISS; the engine's output is captured and checked segment by segment:
 *
 *	h_connect(&h);                        // engine sends SYN
 *	h_expect(&h, "S", 0, 0, 0);           // flags, seq, ack, len
 *	h_feed(&h, "SA", 0, 1, 65535, NULL, 0);
 *	h_expect(&h, "A", 1, 1, 0);
 *	h_expect_none(&h);
 *
 * Every expectation must match exactly; what the engine sent and the test
 * did not expect fails the test at h_expect_none() or h_fini().
 */
#ifndef XTCP_TESTS_HARNESS_H
#define XTCP_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/engine.h"

#define H_MAXOUT 256
#define H_MAXDATA 9000

struct h_seg {
	struct seg_out so;
	uint8_t data[H_MAXDATA];
	uint64_t at; /* when it was emitted */
};

struct harness {
	struct engine *eng;
	struct engine_config cfg;
	uint64_t now;
	struct ip_addr local, remote; /* engine's address, peer's address */
	uint16_t lport, rport;
	uint32_t iss; /* engine's ISS, learned from its SYN */
	uint32_t pisn; /* the peer's ISS, chosen by the test */
	bool have_iss;
	struct tcb *tcb; /* the connection under test */
	struct tcb *listener;
	unsigned events; /* EV_* seen on tcb since last h_events() */
	unsigned lev; /* EV_* seen on the listener */
	unsigned closed_events;
	uint32_t mtu;
	uint16_t urp; /* urgent pointer of the next segment fed, then 0 */
	char trace[64][256]; /* ops->trace lines (tcp_trace) */
	int ntrace;
	uint8_t feed_tos; /* IP TOS / traffic class of fed segments (ECN) */
	struct h_seg out[H_MAXOUT];
	int nout, rd;
};

/* Set up with default tunables; @tweak may adjust cfg.tun before create. */
void h_init(struct harness *h);
void h_init_tun(struct harness *h, void (*tweak)(struct tunables *t));
void h_fini(struct harness *h); /* asserts nothing unexpected was sent */

/* Use IPv6 addresses (2001:db8::1 / ::2) instead of IPv4. */
void h_use_ipv6(struct harness *h);

/* The engine opens actively / listens on lport. */
void h_connect(struct harness *h);
void h_connect_opts(struct harness *h, const struct sock_opts *o);
void h_listen(struct harness *h, uint32_t backlog);

/*
 * Feed a segment from the peer. @flags is a string of S A F R P U E C;
 * @seq is relative to pisn, @ack to the engine's iss.
 */
void h_feed(struct harness *h, const char *flags, uint32_t seq, uint32_t ack,
	    uint16_t win, const struct tcp_opts *opts, const void *data,
	    uint32_t len);
/* Feed with absolute sequence/ack numbers. */
void h_feed_abs(struct harness *h, const char *flags, uint32_t seq,
		uint32_t ack, uint16_t win, const struct tcp_opts *opts,
		const void *data, uint32_t len);

/* Expect the next captured segment; seq relative to iss, ack to pisn. */
const struct h_seg *h_expect(struct harness *h, const char *flags, uint32_t seq,
			     uint32_t ack, uint32_t len);
/* Same, also checking the window field (unscaled, as on the wire). */
const struct h_seg *h_expect_win(struct harness *h, const char *flags,
				 uint32_t seq, uint32_t ack, uint32_t len,
				 uint16_t win);
/* Expect a RST with absolute seq/ack (for replies without a tcb). */
const struct h_seg *h_expect_abs(struct harness *h, const char *flags,
				 uint32_t seq, uint32_t ack, uint32_t len);
void h_expect_none(struct harness *h);
int h_pending(const struct harness *h); /* captured, not yet expected */

/* Move time forward to @t (absolute, us), firing every timer on the way in
 * deadline order. */
void h_run_until(struct harness *h, uint64_t t);
void h_advance(struct harness *h, uint64_t dt);
/* Advance exactly to the next deadline; returns it (UINT64_MAX if none). */
uint64_t h_next_timer(struct harness *h);

/* Complete a handshake either way: afterwards both sides are at seq 1. */
void h_establish_active(struct harness *h);
void h_establish_passive(struct harness *h);

/* EV_* seen on the connection since the last call (and cleared). */
unsigned h_events(struct harness *h);

/* Feed a segment with the urgent pointer @urp (put "U" in @flags). */
void h_feed_urp(struct harness *h, const char *flags, uint32_t seq,
		uint32_t ack, uint16_t win, uint16_t urp, const void *data,
		uint32_t len);

uint8_t h_flags(const char *s);
const char *h_flags_str(uint8_t f, char buf[12]);

#endif
