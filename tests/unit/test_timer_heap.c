// SPDX-License-Identifier: BSD-2-Clause
/* Timer min-heap: edge cases and a brute-force reference over random ops. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "stack/timer_heap.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

struct conn {
	uint32_t id;
	struct th_entry rto, keepalive;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void empty_heap(void **state)
{
	struct timer_heap h;
	struct th_entry e = { 0 };

	assert_int_equal(th_init(&h, 0), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(th_next(&h), UINT64_MAX);
	assert_null(th_pop_expired(&h, 0));
	assert_null(th_pop_expired(&h, UINT64_MAX));
	assert_false(th_queued(&e));
	th_cancel(&h, &e); /* not queued: no-op */
	assert_int_equal(h.n, 0);
	assert_true(th_valid(&h));
	th_free(&h);
	th_free(&h); /* idempotent */
}

static void basic_order_and_container_of(void **state)
{
	struct timer_heap h;
	struct conn c[3] = { { .id = 10 }, { .id = 11 }, { .id = 12 } };
	struct th_entry *e;

	assert_int_equal(th_init(&h, 1), 0);
	assert_int_equal(th_schedule(&h, &c[0].rto, 300), 0);
	assert_int_equal(th_schedule(&h, &c[1].rto, 100), 0);
	assert_int_equal(th_schedule(&h, &c[2].keepalive, 200), 0);
	assert_true(h.cap >= 3); /* grew from 1 */
	assert_int_equal(h.n, 3);
	assert_true(th_valid(&h));
	assert_true(th_queued(&c[0].rto));
	assert_false(th_queued(&c[0].keepalive));
	assert_int_equal(th_next(&h), 100);

	assert_null(th_pop_expired(&h, 99));
	e = th_pop_expired(&h, 100);
	assert_non_null(e);
	assert_false(th_queued(e));
	assert_int_equal(container_of(e, struct conn, rto)->id, 11);
	assert_int_equal(th_next(&h), 200);

	/* Move: later, then earlier than everything. */
	assert_int_equal(th_schedule(&h, &c[2].keepalive, 1000), 0);
	assert_int_equal(th_next(&h), 300);
	assert_int_equal(th_schedule(&h, &c[2].keepalive, 5), 0);
	assert_int_equal(th_next(&h), 5);
	assert_int_equal(h.n, 2);
	e = th_pop_expired(&h, UINT64_MAX);
	assert_int_equal(container_of(e, struct conn, keepalive)->id, 12);

	/* Cancel the last one and an already-cancelled one. */
	th_cancel(&h, &c[0].rto);
	assert_false(th_queued(&c[0].rto));
	th_cancel(&h, &c[0].rto);
	assert_int_equal(h.n, 0);
	assert_int_equal(th_next(&h), UINT64_MAX);

	/* The extremes of the clock. */
	assert_int_equal(th_schedule(&h, &c[0].rto, UINT64_MAX), 0);
	assert_int_equal(th_schedule(&h, &c[1].rto, 0), 0);
	assert_ptr_equal(th_pop_expired(&h, 0), &c[1].rto);
	assert_null(th_pop_expired(&h, UINT64_MAX - 1));
	assert_ptr_equal(th_pop_expired(&h, UINT64_MAX), &c[0].rto);
	assert_null(th_pop_expired(&h, UINT64_MAX));
	th_free(&h);
}

static void equal_deadlines(void **state)
{
	struct timer_heap h;
	struct th_entry e[50] = { { 0 } };
	uint64_t seen = 0;
	struct th_entry *p;

	assert_int_equal(th_init(&h, 4), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(th_schedule(&h, &e[i], 7), 0);
	/* Rescheduling to the same deadline changes nothing. */
	assert_int_equal(th_schedule(&h, &e[3], 7), 0);
	assert_true(th_valid(&h));
	while ((p = th_pop_expired(&h, 7))) {
		int i = (int)(p - e);

		assert_in_range(i, 0, 49);
		assert_false(seen & 1ull << i);
		seen |= 1ull << i;
		assert_true(th_valid(&h));
	}
	assert_int_equal(seen, (1ull << 50) - 1);
	th_free(&h);
}

/* Random schedule/cancel/reschedule/pop against a linear scan. */
#define REF_N 600

static void random_vs_reference(void **state)
{
	static struct th_entry e[REF_N];
	static uint64_t ref[REF_N]; /* UINT64_MAX: not queued in the reference */
	struct timer_heap h;
	uint64_t seed = 7, now = 0;

	for (int i = 0; i < REF_N; i++) {
		e[i] = (struct th_entry){ 0 };
		ref[i] = UINT64_MAX;
	}
	assert_int_equal(th_init(&h, 0), 0);
	for (int op = 0; op < 100000; op++) {
		uint32_t i = (uint32_t)(rng_next(&seed) % REF_N);
		uint64_t r = rng_next(&seed);
		uint64_t min = UINT64_MAX;
		uint32_t nq = 0;

		switch (r % 8) {
		case 0:
		case 1:
		case 2: /* schedule or move, often into a narrow range (ties) */
		case 3: {
			uint64_t d = now + (r >> 8) % (r & 16 ? 50 : 100000);

			assert_int_equal(th_schedule(&h, &e[i], d), 0);
			ref[i] = d;
			break;
		}
		case 4: /* cancel, queued or not */
			th_cancel(&h, &e[i]);
			ref[i] = UINT64_MAX;
			break;
		case 5:
		case 6: { /* advance the clock and pop what expired */
			struct th_entry *p;

			now += (r >> 8) % 3000;
			while ((p = th_pop_expired(&h, now))) {
				uint32_t k = (uint32_t)(p - e);
				uint64_t m = UINT64_MAX;

				assert_in_range(k, 0, REF_N - 1);
				assert_true(ref[k] <= now);
				for (int j = 0; j < REF_N; j++)
					m = ref[j] < m ? ref[j] : m;
				assert_int_equal(ref[k], m); /* the earliest */
				assert_false(th_queued(p));
				ref[k] = UINT64_MAX;
			}
			break;
		}
		default: /* peek only */
			break;
		}
		for (int j = 0; j < REF_N; j++) {
			min = ref[j] < min ? ref[j] : min;
			nq += ref[j] != UINT64_MAX;
			assert_int_equal(th_queued(&e[j]),
					 ref[j] != UINT64_MAX);
		}
		assert_int_equal(h.n, nq);
		assert_int_equal(th_next(&h), min);
		if (op % 64 == 0)
			assert_true(th_valid(&h));
	}
	assert_true(th_valid(&h));
	th_free(&h);
}

#define BIG 100000

static void hundred_thousand_entries(void **state)
{
	struct th_entry *e = calloc(BIG, sizeof(*e));
	struct timer_heap h;
	uint64_t seed = 99, last = 0;
	uint32_t popped = 0, cancelled = 0;
	struct th_entry *p;

	assert_non_null(e);
	assert_int_equal(th_init(&h, 1024), 0);
	for (uint32_t i = 0; i < BIG; i++)
		assert_int_equal(th_schedule(&h, &e[i],
					     rng_next(&seed) % 1000000000),
				 0);
	assert_int_equal(h.n, BIG);
	assert_true(th_valid(&h));
	/* Move half, cancel a quarter. */
	for (uint32_t i = 0; i < BIG; i += 2)
		assert_int_equal(th_schedule(&h, &e[i],
					     rng_next(&seed) % 1000000000),
				 0);
	for (uint32_t i = 1; i < BIG; i += 4) {
		th_cancel(&h, &e[i]);
		cancelled++;
	}
	assert_true(th_valid(&h));
	assert_int_equal(h.n, BIG - cancelled);
	/* Pop in steps of time: never out of order, never early. */
	for (uint64_t now = 0; h.n; now += 10000000) {
		while ((p = th_pop_expired(&h, now))) {
			assert_true(p->deadline <= now);
			assert_true(p->deadline >= last);
			last = p->deadline;
			popped++;
		}
		assert_true(th_next(&h) > now);
	}
	assert_int_equal(popped, BIG - cancelled);
	for (uint32_t i = 0; i < BIG; i++)
		assert_false(th_queued(&e[i]));
	th_free(&h);
	free(e);
}

/* th_valid must notice a broken heap, or the checks above prove nothing. */
static void valid_detects_corruption(void **state)
{
	struct timer_heap h;
	struct th_entry e[3] = { { 0 } };

	assert_int_equal(th_init(&h, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(th_schedule(&h, &e[i], (uint64_t)(10 * i)), 0);
	assert_true(th_valid(&h));
	h.v[0]->deadline = 100; /* root above its children */
	assert_false(th_valid(&h));
	h.v[0]->deadline = 0;
	assert_true(th_valid(&h));
	h.v[1]->idx = 3; /* wrong back-pointer */
	assert_false(th_valid(&h));
	th_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_heap),
		cmocka_unit_test(basic_order_and_container_of),
		cmocka_unit_test(equal_deadlines),
		cmocka_unit_test(random_vs_reference),
		cmocka_unit_test(hundred_thousand_entries),
		cmocka_unit_test(valid_detects_corruption),
	};

	return cmocka_run_group_tests_name("timer_heap", tests, NULL, NULL);
}
