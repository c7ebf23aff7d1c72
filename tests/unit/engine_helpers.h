/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by the scripted engine tests (test_engine_*.c), on
 * top of tests/lib/harness.h. Header-only: the Makefile builds one program
 * per tests/unit/test_*.c.
 */
#ifndef XTCP_TESTS_ENGINE_HELPERS_H
#define XTCP_TESTS_ENGINE_HELPERS_H

#include <string.h>

#include "harness.h"

#define SEC 1000000ull
#define MSEC 1000ull

/* A recognisable payload: byte i of the stream is pat_byte(i). */
static inline uint8_t pat_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 1);
}

static inline const uint8_t *pat(uint32_t off)
{
	static uint8_t buf[256 * 1024];
	static int ready;

	if (!ready) {
		for (uint32_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat_byte(i);
		ready = 1;
	}
	return buf + off;
}

/* Queue @len bytes of the pattern from stream offset @off; all must fit. */
static inline void send_pat(struct harness *h, uint32_t off, uint32_t len)
{
	long n = eng_send(h->tcb, pat(off), len, 0, h->now);

	if (n != (long)len)
		fail_msg("eng_send(%u) returned %ld", len, n);
}

/* Read exactly @len bytes and check they are the pattern from @off. */
static inline void recv_pat(struct harness *h, uint32_t off, uint32_t len)
{
	static uint8_t buf[256 * 1024];
	long n = eng_recv(h->tcb, buf, len, 0, h->now);

	if (n != (long)len)
		fail_msg("eng_recv(%u) returned %ld", len, n);
	assert_memory_equal(buf, pat(off), len);
}

/* Feed @len bytes of the pattern at relative @seq (stream offset seq-1). */
static inline void feed_pat(struct harness *h, const char *flags, uint32_t seq,
			    uint32_t ack, uint16_t win, uint32_t len)
{
	h_feed(h, flags, seq, ack, win, NULL, pat(seq - 1), len);
}

/* Active open with an MSS option (0: none) and window @win in the SYN-ACK,
 * the SYN-ACK arriving @rtt after the SYN. */
static inline void est_active_rtt(struct harness *h, const struct sock_opts *o,
				  uint16_t mss, uint16_t win, uint64_t rtt)
{
	struct tcp_opts op = { .present = TCP_OPT_MSS, .mss = mss };

	if (o)
		h_connect_opts(h, o);
	else
		h_connect(h);
	h_expect(h, "S", 0, 0, 0);
	h_advance(h, rtt);
	h_feed(h, "SA", 0, 1, win, mss ? &op : NULL, NULL, 0);
	h_expect(h, "A", 1, 1, 0);
	h_expect_none(h);
	assert_int_equal(tcb_state(h->tcb), TCPS_ESTABLISHED);
	h_events(h);
}

static inline void est_active(struct harness *h, const struct sock_opts *o,
			      uint16_t mss, uint16_t win)
{
	est_active_rtt(h, o, mss, win, 0);
}

static inline struct tcb_info info_of(const struct tcb *t)
{
	struct tcb_info i;

	tcb_get_info(t, &i);
	return i;
}

/* The state of the connection to (remote, @rport), or TCPS_CLOSED if there
 * is none (children still in a listener's queues included). */
struct find_arg {
	uint16_t rport;
	int state;
};

static inline void find_cb(void *arg, const struct tcb *t)
{
	struct find_arg *a = arg;
	struct ip_addr la, fa;
	uint16_t lp, fp;

	tcb_addrs(t, &la, &lp, &fa, &fp);
	if (fp == a->rport && tcb_state(t) != TCPS_LISTEN)
		a->state = (int)tcb_state(t);
}

static inline int conn_state(struct harness *h, uint16_t rport)
{
	struct find_arg a = { .rport = rport, .state = TCPS_CLOSED };

	eng_foreach(h->eng, find_cb, &a);
	return a.state;
}

#endif
