// SPDX-License-Identifier: BSD-2-Clause
/*
 * 100,000 established connections: while they are idle they cost nothing
 * (no timer queued, no buffer memory), and each stays reachable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/engine.h"

#define NCONN 100000

static uint32_t last_seq, last_ack;
static uint8_t last_flags;
static uint64_t buf_bytes, nout;

static void out(void *u, const struct seg_out *so)
{
	last_seq = so->th.seq;
	last_ack = so->th.ack;
	last_flags = so->th.flags;
	nout++;
}

static void *balloc(void *u, size_t n)
{
	buf_bytes += n;
	return malloc(n);
}

static void bfree(void *u, void *m, size_t n)
{
	buf_bytes -= n;
	free(m);
}

static const struct engine_ops ops = { .output = out,
				       .buf_alloc = balloc,
				       .buf_free = bfree };

static void peer(uint32_t i, struct ip_addr *a, uint16_t *port)
{
	const uint8_t v4[4] = { 198, 18, (uint8_t)(i >> 16),
				(uint8_t)(i >> 8) };

	ip_addr_from_v4(a, v4);
	*port = (uint16_t)(10000 + (i & 0xff));
}

static void feed(struct engine *e, const struct ip_addr *src, uint16_t sport,
		 const struct ip_addr *dst, uint8_t flags, uint32_t seq,
		 uint32_t ack, const void *data, uint32_t len, uint64_t now)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ip.version = 4;
	p.ip.src = *src;
	p.ip.dst = *dst;
	p.tcp.sport = sport;
	p.tcp.dport = 80;
	p.tcp.flags = flags;
	p.tcp.seq = seq;
	p.tcp.ack = ack;
	p.tcp.win = 65535;
	p.payload = data;
	p.payload_len = len;
	eng_input(e, &p, now);
}

static void idle_connections_cost_nothing(void **state)
{
	const uint8_t me4[4] = { 198, 18, 255, 1 };
	struct engine_config cfg;
	struct engine *e;
	struct sock_opts o;
	struct ip_addr me, a;
	struct tcb *l, **conns = calloc(NCONN, sizeof(*conns));
	uint32_t *iss = calloc(NCONN, sizeof(*iss));
	uint64_t now = 1000000;
	uint16_t port;
	int err;

	tunables_defaults(&cfg.tun);
	cfg.tun.tcp_conn_req_max_q = NCONN;
	memset(cfg.isn_key, 1, 16);
	cfg.seed = 5;
	e = eng_create(&cfg, &ops, NULL);
	ip_addr_from_v4(&me, me4);
	eng_default_opts(e, &o);
	l = eng_listen(e, &me, 80, NCONN, &o, &err);
	assert_non_null(l);
	for (uint32_t i = 0; i < NCONN; i++) {
		peer(i, &a, &port);
		feed(e, &a, port, &me, TH_SYN, i * 7, 0, NULL, 0, now);
		assert_int_equal(last_flags, TH_SYN | TH_ACK);
		iss[i] = last_seq;
		feed(e, &a, port, &me, TH_ACK, i * 7 + 1, last_seq + 1, NULL, 0,
		     now);
		conns[i] = eng_accept(l, &err);
		assert_non_null(conns[i]);
		assert_int_equal(tcb_state(conns[i]), TCPS_ESTABLISHED);
	}
	/* Idle: nothing queued to fire, no buffer memory held. */
	assert_int_equal(eng_next_deadline(e), UINT64_MAX);
	assert_int_equal(buf_bytes, 0);
	nout = 0;
	eng_timers(e, now + 3600ull * 1000000);
	assert_int_equal(nout, 0);

	/* Each is still reachable: data to the last and the first. */
	for (uint32_t k = 0; k < 2; k++) {
		uint32_t i = k ? 0 : NCONN - 1;
		char buf[8];

		peer(i, &a, &port);
		feed(e, &a, port, &me, TH_ACK | TH_PSH, i * 7 + 1, iss[i] + 1,
		     "ping", 4, now);
		assert_int_equal(eng_recv(conns[i], buf, sizeof(buf), 0, now),
				 4);
		assert_memory_equal(buf, "ping", 4);
	}
	assert_true(buf_bytes > 0);
	for (uint32_t i = 0; i < NCONN; i++)
		eng_close(conns[i], true, now);
	eng_close(l, false, now);
	assert_int_equal(buf_bytes, 0);
	eng_destroy(e);
	free(conns);
	free(iss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_connections_cost_nothing),
	};

	return cmocka_run_group_tests_name("engine_scale", tests, NULL, NULL);
}
