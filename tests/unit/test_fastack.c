// SPDX-License-Identifier: BSD-2-Clause
/*
 * ACKs absorbed in XDP and applied later by eng_fast_ack() leave the
 * connection exactly as the same ACKs arriving one by one would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "harness.h"

static char data[64 * 536];

/* Established without an MSS option (so 536-byte segments), the initial
 * window (4 segments) in flight and more data queued. */
static void prime(struct harness *h)
{
	h_init(h);
	h_establish_active(h);
	assert_int_equal(eng_send(h->tcb, data, sizeof(data), 0, h->now),
			 (long)sizeof(data));
	h->nout = h->rd = 0;
}

static void same_as_real_acks(void **state)
{
	struct harness a, b;
	struct tcb_info ia, ib;
	struct tcb_fp_view v;

	prime(&a);
	prime(&b);
	tcb_fp_view(a.tcb, &v);
	assert_true(v.eligible);
	assert_int_equal(v.snd_max - v.snd_una, 4 * 536);
	/* a: three ACKs arrive; b: XDP absorbed them, the daemon applies. */
	for (int i = 1; i <= 3; i++)
		h_feed(&a, "A", 1, 1 + (uint32_t)i * 536, 65535, NULL, NULL, 0);
	eng_fast_ack(b.tcb, b.iss + 1 + 3 * 536, 65535, 0, 0, 3, b.now);
	tcb_get_info(a.tcb, &ia);
	tcb_get_info(b.tcb, &ib);
	assert_int_equal(ia.snd_una - a.iss, ib.snd_una - b.iss);
	assert_int_equal(ia.snd_nxt - a.iss, ib.snd_nxt - b.iss);
	assert_int_equal(ia.cwnd, ib.cwnd);
	assert_int_equal(ia.snd_wnd, ib.snd_wnd);
	/* Same segments out, in the same order. */
	assert_int_equal(h_pending(&a), h_pending(&b));
	for (int i = 0; i < h_pending(&a); i++) {
		assert_int_equal(a.out[i].so.th.seq - a.iss,
				 b.out[i].so.th.seq - b.iss);
		assert_int_equal(a.out[i].so.len, b.out[i].so.len);
	}
	a.nout = a.rd = b.nout = b.rd = 0;
	h_fini(&a);
	h_fini(&b);
}

static void stale_news_ignored(void **state)
{
	struct harness h;
	struct tcb_info before, after;

	prime(&h);
	h_feed(&h, "A", 1, 1 + 2 * 536, 65535, NULL, NULL, 0);
	h.nout = h.rd = 0;
	tcb_get_info(h.tcb, &before);
	/* Already known, and beyond what was sent: nothing happens. */
	eng_fast_ack(h.tcb, h.iss + 1 + 536, 65535, 0, 0, 1, h.now);
	eng_fast_ack(h.tcb, h.iss + 1 + 2 * 536, 65535, 0, 0, 1, h.now);
	eng_fast_ack(h.tcb, before.snd_nxt + 1, 65535, 0, 0, 1, h.now);
	tcb_get_info(h.tcb, &after);
	assert_int_equal(before.snd_una, after.snd_una);
	assert_int_equal(before.cwnd, after.cwnd);
	h_expect_none(&h);
	h_fini(&h);
}

static void not_eligible_in_recovery_or_closing(void **state)
{
	struct harness h;
	struct tcb_fp_view v;

	prime(&h);
	for (int i = 0; i < 3; i++)
		h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	tcb_fp_view(h.tcb, &v);
	assert_false(v.eligible); /* fast recovery */
	h.nout = h.rd = 0;
	h_fini(&h);

	h_init(&h);
	h_establish_active(&h);
	eng_shutdown(h.tcb, 1, h.now);
	tcb_fp_view(h.tcb, &v);
	assert_false(v.eligible); /* our FIN is out */
	h.nout = h.rd = 0;
	h_fini(&h);

	h_init(&h);
	h_establish_active(&h);
	h_feed(&h, "A", 1, 1, 0, NULL, NULL, 0);
	tcb_fp_view(h.tcb, &v);
	assert_false(v.eligible); /* zero window */
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_real_acks),
		cmocka_unit_test(stale_news_ignored),
		cmocka_unit_test(not_eligible_in_recovery_or_closing),
	};

	return cmocka_run_group_tests_name("fastack", tests, NULL, NULL);
}
