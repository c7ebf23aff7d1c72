// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests: batched input (eng_batch_begin/end). Segments that
 * arrive together are answered once, after all of them; what must go at
 * once (a duplicate ACK for out-of-order data, RFC 5681 4.2) still does;
 * a connection freed inside a batch is not touched at its end. Also: a
 * retransmitted SYN meeting a SYN-ACK that just left is not answered twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "engine_helpers.h"

#define MSS 1460u

/* Eight in-order segments in one batch: one ACK, for all of them. */
static void burst_acked_once(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_batch_begin(h.eng);
	for (uint32_t i = 0; i < 8; i++)
		feed_pat(&h, "A", 1 + i * MSS, 1, 65535, MSS);
	h_expect_none(&h); /* nothing before the batch ends */
	eng_batch_end(h.eng, h.now);
	h_expect(&h, "A", 1, 1 + 8 * MSS, 0);
	h_expect_none(&h);
	/* Outside a batch, every second segment is acknowledged again. */
	feed_pat(&h, "A", 1 + 8 * MSS, 1, 65535, MSS);
	feed_pat(&h, "A", 1 + 9 * MSS, 1, 65535, MSS);
	h_expect(&h, "A", 1, 1 + 10 * MSS, 0);
	h_expect_none(&h);
	recv_pat(&h, 0, 10 * MSS);
	h_fini(&h);
}

/* A hole inside the batch: the duplicate ACK goes at once. */
static void out_of_order_not_deferred(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_batch_begin(h.eng);
	feed_pat(&h, "A", 1, 1, 65535, MSS);
	feed_pat(&h, "A", 1 + 2 * MSS, 1, 65535, MSS); /* MSS missing */
	h_expect(&h, "A", 1, 1 + MSS, 0);
	h_expect_none(&h);
	/* The hole filled: the engine answers (at once: the segment filled
	 * a hole) with everything acknowledged. */
	feed_pat(&h, "A", 1 + MSS, 1, 65535, MSS);
	eng_batch_end(h.eng, h.now);
	h_expect(&h, "A", 1, 1 + 3 * MSS, 0);
	h_expect_none(&h);
	recv_pat(&h, 0, 3 * MSS);
	h_fini(&h);
}

/* Data and then a RST in one batch: the connection is gone at the end of
 * the batch and nothing is sent for it. */
static void freed_inside_batch(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_batch_begin(h.eng);
	feed_pat(&h, "A", 1, 1, 65535, MSS);
	feed_pat(&h, "A", 1 + MSS, 1, 65535, MSS);
	h_feed(&h, "R", 1 + 2 * MSS, 0, 0, NULL, NULL, 0);
	eng_batch_end(h.eng, h.now);
	h_expect_none(&h);
	assert_true(h_events(&h) & EV_ERROR);
	h_fini(&h);
}

/* A connection takes one place in the deferred set however much arrives. */
static void one_place_per_connection(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	eng_batch_begin(h.eng);
	/* More segments of one connection than the set has places. */
	for (uint32_t i = 0; i < 3 * ENG_BATCH_MAX; i++)
		feed_pat(&h, "A", 1 + i * 100, 1, 65535, 100);
	h_expect_none(&h);
	eng_batch_end(h.eng, h.now);
	h_expect(&h, "A", 1, 1 + 3 * ENG_BATCH_MAX * 100, 0);
	h_expect_none(&h);
	h_fini(&h);
}

/*
 * A retransmitted SYN in SYN-RECEIVED is answered with the SYN-ACK again,
 * unless one just left (the peer's SYN timer and ours expired together):
 * that one answers it, a second would be a needless retransmission.
 */
static void synack_not_doubled(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h);
	h_listen(&h, 4);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	/* Our timer: the SYN-ACK again; the peer's SYN again 2 us later. */
	h_run_until(&h, h_next_timer(&h));
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	h_advance(&h, 2);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect_none(&h);
	/* Long after the last one: answered. */
	h_advance(&h, 500 * MSEC);
	h_feed(&h, "S", 0, 0, 8192, NULL, NULL, 0);
	h_expect(&h, "SA", 0, 1, 0);
	h_expect_none(&h);
	h.nout = h.rd = 0;
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_acked_once),
		cmocka_unit_test(out_of_order_not_deferred),
		cmocka_unit_test(freed_inside_batch),
		cmocka_unit_test(one_place_per_connection),
		cmocka_unit_test(synack_not_doubled),
	};

	return cmocka_run_group_tests_name("engine_batch", tests, NULL, NULL);
}
