// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's listener lookup: SO_REUSEPORT groups (connections shared by
 * a hash of the 4-tuple, a closed listener's queue reset, the others
 * untouched) and IPV6_V6ONLY (the IPv6 wildcard takes no IPv4), driven by
 * segments as from the wire or the daemon's loopback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_helpers.h"
#include "stack/sockbuf.h"

#define NLIS 4
#define NCONN 400

/* Forget what the engine sent (RSTs of closed connections and the like). */
static void drain(struct harness *h)
{
	h->rd = h->nout = 0;
}

static struct tcb *listen_on(struct harness *h, const struct ip_addr *a,
			     bool reuseport, bool v6only, int *err)
{
	struct sock_opts o;

	eng_default_opts(h->eng, &o);
	o.reuseport = reuseport;
	o.v6only = v6only;
	return eng_listen(h->eng, a, h->lport, 1000, &o, err);
}

static void group(struct harness *h, struct tcb **l, int n)
{
	int err;

	for (int i = 0; i < n; i++) {
		l[i] = listen_on(h, &h->local, true, false, &err);
		assert_int_equal(err, 0);
		assert_non_null(l[i]);
	}
}

/* A handshake from (remote, @rport): SYN, SYN-ACK, ACK. */
static void handshake(struct harness *h, uint16_t rport)
{
	h->rport = rport;
	h->have_iss = false;
	h_feed(h, "S", 0, 0, 65535, NULL, NULL, 0);
	h_expect(h, "SA", 0, 1, 0);
	h_feed(h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect_none(h);
}

/* The one listener of @l[0..n) that has a connection to accept; the
 * connection is accepted and, with @close, reset. */
static int taker(struct harness *h, struct tcb **l, int n, bool close)
{
	int who = -1, err;

	for (int i = 0; i < n; i++) {
		struct tcb *t = l[i] ? eng_accept(l[i], &err) : NULL;

		if (!t)
			continue;
		assert_int_equal(who, -1);
		who = i;
		if (close)
			eng_close(t, true, h->now);
	}
	drain(h);
	return who;
}

static void spread_and_stable(void **state)
{
	static int first[NCONN];
	struct harness h;
	struct tcb *l[NLIS];
	int count[NLIS] = { 0 }, total = 0;

	h_init(&h);
	group(&h, l, NLIS);
	for (int i = 0; i < NCONN; i++) {
		handshake(&h, (uint16_t)(20000 + i * 7));
		first[i] = taker(&h, l, NLIS, true);
		assert_int_not_equal(first[i], -1);
		count[first[i]]++;
	}
	/* Each listener gets some, and every connection went to one. */
	for (int i = 0; i < NLIS; i++) {
		assert_true(count[i] > 0);
		total += count[i];
	}
	assert_int_equal(total, NCONN);
	/* The same 4-tuple finds the same listener again. */
	for (int i = 0; i < NCONN; i++) {
		handshake(&h, (uint16_t)(20000 + i * 7));
		assert_int_equal(taker(&h, l, NLIS, true), first[i]);
	}
	for (int i = 0; i < NLIS; i++)
		eng_close(l[i], false, h.now);
	h_fini(&h);
}

static void all_must_have_it(void **state)
{
	struct harness h;
	struct tcb *a, *b;
	int err;

	h_init(&h);
	a = listen_on(&h, &h.local, false, false, &err);
	assert_non_null(a);
	assert_null(listen_on(&h, &h.local, true, false, &err));
	assert_int_equal(err, -EADDRINUSE);
	eng_close(a, false, h.now);
	a = listen_on(&h, &h.local, true, false, &err);
	assert_non_null(a);
	assert_null(listen_on(&h, &h.local, false, false, &err));
	assert_int_equal(err, -EADDRINUSE);
	b = listen_on(&h, &h.local, true, false, &err);
	assert_non_null(b);
	eng_close(a, false, h.now);
	eng_close(b, false, h.now);
	h_fini(&h);
}

static void close_one_listener(void **state)
{
	struct harness h;
	struct tcb *l[NLIS], *held[NLIS] = { 0 };
	uint32_t q[NLIS];
	int err, rsts = 0, n;

	h_init(&h);
	group(&h, l, NLIS);
	/* One accepted connection on each listener, held open. */
	for (uint16_t p = 30000;
	     p < 30400 && !(held[0] && held[1] && held[2] && held[3]); p++) {
		handshake(&h, p);
		for (int i = 0; i < NLIS; i++) {
			struct tcb *t = eng_accept(l[i], &err);

			if (t && !held[i])
				held[i] = t;
			else if (t)
				eng_close(t, true, h.now);
		}
		drain(&h);
	}
	for (int i = 0; i < NLIS; i++)
		assert_non_null(held[i]);
	/* Then 40 more, left in the accept queues. */
	for (uint16_t p = 31000; p < 31040; p++)
		handshake(&h, p);
	for (int i = 0; i < NLIS; i++)
		q[i] = tcb_acceptq_len(l[i]);
	assert_true(q[0] > 0);
	/* Closing listener 0 resets what it had not accepted (Linux does),
	 * and only that. */
	eng_close(l[0], false, h.now);
	l[0] = NULL;
	for (n = h.rd; n < h.nout; n++)
		rsts += (h.out[n].so.th.flags & TH_RST) != 0;
	assert_int_equal(rsts, (int)q[0]);
	assert_int_equal(h.nout - h.rd, (int)q[0]);
	drain(&h);
	for (int i = 1; i < NLIS; i++)
		assert_int_equal(tcb_acceptq_len(l[i]), q[i]);
	/* Connections the others accepted, and listener 0's own accepted
	 * one, go on. */
	for (int i = 0; i < NLIS; i++) {
		assert_int_equal(tcb_state(held[i]), TCPS_ESTABLISHED);
		assert_int_equal(eng_send(held[i], "x", 1, 0, h.now), 1);
	}
	assert_int_equal(h.nout, NLIS);
	drain(&h);
	/* New connections go to the three left. */
	for (int i = 1; i < NLIS; i++)
		while (tcb_acceptq_len(l[i]))
			eng_close(eng_accept(l[i], &err), true, h.now);
	drain(&h);
	for (uint16_t p = 32000; p < 32100; p++) {
		handshake(&h, p);
		assert_true(taker(&h, l, NLIS, true) >= 1);
	}
	for (int i = 0; i < NLIS; i++)
		eng_close(held[i], true, h.now);
	for (int i = 1; i < NLIS; i++)
		eng_close(l[i], false, h.now);
	drain(&h);
	h_fini(&h);
}

static void v6only_takes_no_ipv4(void **state)
{
	static const struct ip_addr any6;
	struct ip_addr any4 = { .b = { [10] = 0xff, [11] = 0xff } };
	struct harness h;
	struct tcb *l6, *l4;
	int err;

	h_init(&h);
	/* [::] with IPV6_V6ONLY: a SYN to an IPv4 address is refused. */
	l6 = listen_on(&h, &any6, false, true, &err);
	assert_non_null(l6);
	h_feed_abs(&h, "S", 5000, 0, 65535, NULL, NULL, 0);
	h_expect_abs(&h, "RA", 0, 5001, 0);
	h_expect_none(&h);
	/* An AF_INET wildcard beside it takes IPv4. */
	l4 = listen_on(&h, &any4, false, false, &err);
	assert_non_null(l4);
	handshake(&h, 40001);
	assert_int_equal(tcb_acceptq_len(l4), 1);
	assert_int_equal(tcb_acceptq_len(l6), 0);
	/* IPv6 goes to [::]. */
	h_use_ipv6(&h);
	handshake(&h, 40002);
	assert_int_equal(tcb_acceptq_len(l6), 1);
	assert_int_equal(tcb_acceptq_len(l4), 1);
	eng_close(l4, false, h.now);
	eng_close(l6, false, h.now);
	drain(&h);
	h_fini(&h);
}

static void dual_stack_takes_ipv4(void **state)
{
	static const struct ip_addr any6;
	struct harness h;
	struct tcb *l6;
	int err;

	h_init(&h);
	/* [::] without IPV6_V6ONLY takes IPv4 (as ::ffff:a.b.c.d). */
	l6 = listen_on(&h, &any6, false, false, &err);
	assert_non_null(l6);
	handshake(&h, 40003);
	assert_int_equal(tcb_acceptq_len(l6), 1);
	/* A v6-only member of an SO_REUSEPORT group on [::] is skipped for
	 * IPv4; the dual-stack one takes all of it. */
	eng_close(l6, false, h.now);
	drain(&h);
	{
		struct tcb *ds, *v6;

		v6 = listen_on(&h, &any6, true, true, &err);
		ds = listen_on(&h, &any6, true, false, &err);
		assert_non_null(v6);
		assert_non_null(ds);
		for (uint16_t p = 41000; p < 41050; p++)
			handshake(&h, p);
		assert_int_equal(tcb_acceptq_len(ds), 50);
		assert_int_equal(tcb_acceptq_len(v6), 0);
		eng_close(v6, false, h.now);
		eng_close(ds, false, h.now);
	}
	drain(&h);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spread_and_stable),
		cmocka_unit_test(all_must_have_it),
		cmocka_unit_test(close_one_listener),
		cmocka_unit_test(v6only_takes_no_ipv4),
		cmocka_unit_test(dual_stack_takes_ipv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
