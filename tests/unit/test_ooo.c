// SPDX-License-Identifier: BSD-2-Clause
/* Out-of-order ranges: every overlap shape, -ENOSPC, SACK order, 2^32 wrap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "stack/ooo.h"

/* Expect exactly these ranges: pairs of start, end. */
static void expect(const struct ooo *o, int n, const uint32_t *se)
{
	assert_true(ooo_valid(o));
	assert_int_equal(o->n, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(o->r[i].start, se[2 * i]);
		assert_int_equal(o->r[i].end, se[2 * i + 1]);
	}
}

#define EXPECT(o, ...)                                                     \
	do {                                                               \
		const uint32_t se_[] = { __VA_ARGS__ };                    \
		expect((o), (int)(sizeof(se_) / sizeof(se_[0]) / 2), se_); \
	} while (0)

static void expect_last(const struct ooo *o, uint32_t s, uint32_t e)
{
	assert_int_equal(o->last_start, s);
	assert_int_equal(o->last_end, e);
}

/* Each shape against one existing range [B+100, B+200). */
static void shapes_at(uint32_t b)
{
	static const struct {
		uint32_t s, e; /* added, relative to b */
		int n; /* ranges after */
		uint32_t r[4]; /* expected, relative */
	} c[] = {
		{ 10, 50, 2, { 10, 50, 100, 200 } }, /* disjoint before */
		{ 300, 400, 2, { 100, 200, 300, 400 } }, /* disjoint after */
		{ 10, 99, 2, { 10, 99, 100, 200 } }, /* one short of touching */
		{ 201, 250, 2, { 100, 200, 201, 250 } },
		{ 50, 100, 1, { 50, 200 } }, /* adjacent before */
		{ 200, 250, 1, { 100, 250 } }, /* adjacent after */
		{ 50, 150, 1, { 50, 200 } }, /* overlaps the start */
		{ 150, 250, 1, { 100, 250 } }, /* overlaps the end */
		{ 120, 180, 1, { 100, 200 } }, /* inside */
		{ 100, 150, 1, { 100, 200 } }, /* inside, same start */
		{ 150, 200, 1, { 100, 200 } }, /* inside, same end */
		{ 100, 200, 1, { 100, 200 } }, /* identical */
		{ 50, 250, 1, { 50, 250 } }, /* covers */
		{ 100, 250, 1, { 100, 250 } }, /* covers, same start */
		{ 50, 200, 1, { 50, 200 } }, /* covers, same end */
		{ 199, 200, 1, { 100, 200 } }, /* last byte */
		{ 99, 100, 1, { 99, 200 } }, /* one byte, adjacent */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ooo o;

		ooo_init(&o);
		assert_int_equal(ooo_add(&o, b + 100, b + 200), 0);
		expect_last(&o, b + 100, b + 200);
		assert_int_equal(ooo_add(&o, b + c[i].s, b + c[i].e), 0);
		assert_true(ooo_valid(&o));
		assert_int_equal(o.n, c[i].n);
		for (int k = 0; k < c[i].n; k++) {
			assert_int_equal(o.r[k].start, b + c[i].r[2 * k]);
			assert_int_equal(o.r[k].end, b + c[i].r[2 * k + 1]);
		}
		/* The block holding the new segment is the most recent. */
		for (int k = 0; k < c[i].n; k++)
			if (o.r[k].start == b + c[i].r[2 * k] &&
			    c[i].s - c[i].r[2 * k] <
				    c[i].r[2 * k + 1] - c[i].r[2 * k])
				expect_last(&o, o.r[k].start, o.r[k].end);
	}
}

static void every_overlap_shape(void **state)
{
	shapes_at(1000);
	shapes_at(0);
	/* The range and all the shapes straddle 2^32. */
	shapes_at(UINT32_MAX - 150);
	shapes_at(UINT32_MAX - 99);
	shapes_at(UINT32_MAX - 199);
	shapes_at(0x7fffff00u);
}

static void bridging(void **state)
{
	struct ooo o;

	/* Exactly filling the gap joins two ranges. */
	ooo_init(&o);
	assert_int_equal(ooo_add(&o, 100, 200), 0);
	assert_int_equal(ooo_add(&o, 300, 400), 0);
	assert_int_equal(ooo_add(&o, 200, 300), 0);
	EXPECT(&o, 100, 400);
	expect_last(&o, 100, 400);

	/* Overlapping both. */
	ooo_init(&o);
	assert_int_equal(ooo_add(&o, 100, 200), 0);
	assert_int_equal(ooo_add(&o, 300, 400), 0);
	assert_int_equal(ooo_add(&o, 500, 600), 0);
	assert_int_equal(ooo_add(&o, 150, 350), 0);
	EXPECT(&o, 100, 400, 500, 600);
	/* Swallowing several, extending both ends; the rest shift down. */
	assert_int_equal(ooo_add(&o, 700, 800), 0);
	assert_int_equal(ooo_add(&o, 900, 950), 0);
	assert_int_equal(ooo_add(&o, 50, 850), 0);
	EXPECT(&o, 50, 850, 900, 950);
	expect_last(&o, 50, 850);
	/* Touching the end of one and the start of the next. */
	assert_int_equal(ooo_add(&o, 850, 900), 0);
	EXPECT(&o, 50, 950);

	/* Inserted between, before and after: kept sorted. */
	ooo_init(&o);
	assert_int_equal(ooo_add(&o, 500, 510), 0);
	assert_int_equal(ooo_add(&o, 100, 110), 0);
	assert_int_equal(ooo_add(&o, 300, 310), 0);
	assert_int_equal(ooo_add(&o, 900, 910), 0);
	assert_int_equal(ooo_add(&o, 200, 210), 0);
	EXPECT(&o, 100, 110, 200, 210, 300, 310, 500, 510, 900, 910);
	expect_last(&o, 200, 210);
}

static void empty_and_invalid(void **state)
{
	struct ooo o;

	ooo_init(&o);
	assert_true(ooo_empty(&o));
	assert_int_equal(ooo_add(&o, 100, 100), 0);
	assert_true(ooo_empty(&o));
	assert_int_equal(ooo_add(&o, 100, 99), -EINVAL);
	assert_int_equal(ooo_add(&o, 5, UINT32_MAX - 5),
			 -EINVAL); /* reversed mod 2^32 */
	assert_true(ooo_empty(&o));
	assert_int_equal(ooo_add(&o, UINT32_MAX - 5, 5),
			 0); /* across the wrap */
	EXPECT(&o, UINT32_MAX - 5, 5);
	assert_false(ooo_empty(&o));
}

static void enospc(void **state)
{
	struct ooo o, saved;
	uint32_t base = UINT32_MAX - 300; /* the ranges cross 2^32 too */

	ooo_init(&o);
	for (uint32_t i = 0; i < OOO_MAX; i++)
		assert_int_equal(ooo_add(&o, base + 20 * i, base + 20 * i + 10),
				 0);
	assert_int_equal(o.n, OOO_MAX);
	assert_true(ooo_valid(&o));
	memcpy(&saved, &o, sizeof(o));
	/* Disjoint: before all, between two, after all. */
	assert_int_equal(ooo_add(&o, base - 100, base - 50), -ENOSPC);
	assert_int_equal(ooo_add(&o, base + 12, base + 18), -ENOSPC);
	assert_int_equal(ooo_add(&o, base + 20 * OOO_MAX + 5,
				 base + 20 * OOO_MAX + 6),
			 -ENOSPC);
	assert_memory_equal(&o, &saved, sizeof(o));
	/* Merging still works when full, and frees slots. */
	assert_int_equal(ooo_add(&o, base + 10, base + 20),
			 0); /* joins 0 and 1 */
	assert_int_equal(o.n, OOO_MAX - 1);
	assert_int_equal(o.r[0].start, base);
	assert_int_equal(o.r[0].end, base + 30);
	assert_int_equal(ooo_add(&o, base + 12, base + 18), 0); /* covered */
	assert_int_equal(o.n, OOO_MAX - 1);
	assert_int_equal(ooo_add(&o, base - 100, base - 50), 0); /* fits now */
	assert_int_equal(o.n, OOO_MAX);
	assert_int_equal(o.r[0].start, base - 100);
	assert_int_equal(ooo_add(&o, base + 645, base + 646), -ENOSPC);
}

static void advance(void **state)
{
	struct ooo o;

	ooo_init(&o);
	assert_int_equal(ooo_advance(&o, 12345), 12345); /* empty */
	assert_int_equal(ooo_add(&o, 100, 200), 0);
	assert_int_equal(ooo_add(&o, 300, 400), 0);
	assert_int_equal(ooo_add(&o, 500, 600), 0);
	/* Below the first range: nothing changes. */
	assert_int_equal(ooo_advance(&o, 50), 50);
	assert_int_equal(ooo_advance(&o, 99), 99);
	EXPECT(&o, 100, 200, 300, 400, 500, 600);
	/* The hole filled exactly: the first range is delivered. */
	assert_int_equal(ooo_advance(&o, 100), 200);
	EXPECT(&o, 300, 400, 500, 600);
	/* rcv_nxt inside a range (a segment overlapping it was accepted). */
	assert_int_equal(ooo_advance(&o, 350), 400);
	EXPECT(&o, 500, 600);
	/* Past whole ranges: they go; one ending exactly there too. */
	assert_int_equal(ooo_add(&o, 700, 800), 0);
	assert_int_equal(ooo_add(&o, 900, 1000), 0);
	assert_int_equal(ooo_advance(&o, 800), 800);
	EXPECT(&o, 900, 1000);
	assert_int_equal(ooo_advance(&o, 950), 1000);
	assert_true(ooo_empty(&o));

	/* Several covered, then one partly covered. */
	assert_int_equal(ooo_add(&o, 100, 110), 0);
	assert_int_equal(ooo_add(&o, 120, 130), 0);
	assert_int_equal(ooo_add(&o, 140, 150), 0);
	assert_int_equal(ooo_add(&o, 160, 170), 0);
	assert_int_equal(ooo_advance(&o, 145), 150);
	EXPECT(&o, 160, 170);

	/* Across 2^32. */
	ooo_init(&o);
	assert_int_equal(ooo_add(&o, UINT32_MAX - 9, 20), 0);
	assert_int_equal(ooo_add(&o, 40, 50), 0);
	assert_int_equal(ooo_advance(&o, UINT32_MAX - 20), UINT32_MAX - 20);
	assert_int_equal(ooo_advance(&o, UINT32_MAX - 9), 20);
	EXPECT(&o, 40, 50);
	assert_int_equal(ooo_advance(&o, 45), 50);
	assert_true(ooo_empty(&o));
}

static void sack_order(void **state)
{
	struct ooo o;
	struct tcp_sack_block b[OOO_MAX];

	ooo_init(&o);
	assert_int_equal(ooo_sack_blocks(&o, b, 4), 0);
	assert_int_equal(ooo_add(&o, 300, 400), 0);
	assert_int_equal(ooo_add(&o, 100, 200), 0);
	assert_int_equal(ooo_add(&o, 500, 600), 0);
	assert_int_equal(ooo_add(&o, 700, 800), 0);
	assert_int_equal(ooo_add(&o, 900, 1000), 0);
	assert_int_equal(ooo_add(&o, 350, 450),
			 0); /* most recent: [300, 450) */

	/* RFC 2018 4: the block with the latest segment first. */
	assert_int_equal(ooo_sack_blocks(&o, b, 4), 4);
	assert_int_equal(b[0].start, 300);
	assert_int_equal(b[0].end, 450);
	assert_int_equal(b[1].start, 100);
	assert_int_equal(b[1].end, 200);
	assert_int_equal(b[2].start, 500);
	assert_int_equal(b[2].end, 600);
	assert_int_equal(b[3].start, 700);
	assert_int_equal(b[3].end, 800);
	assert_int_equal(ooo_sack_blocks(&o, b, 1), 1);
	assert_int_equal(b[0].start, 300);
	assert_int_equal(ooo_sack_blocks(&o, b, 0), 0);
	assert_int_equal(ooo_sack_blocks(&o, b, -1), 0);
	assert_int_equal(ooo_sack_blocks(&o, b, OOO_MAX), 5);
	assert_int_equal(b[4].start, 900);

	/* The most recent is the highest block: still first. */
	assert_int_equal(ooo_add(&o, 1000, 1010), 0);
	assert_int_equal(ooo_sack_blocks(&o, b, 3), 3);
	assert_int_equal(b[0].start, 900);
	assert_int_equal(b[0].end, 1010);
	assert_int_equal(b[1].start, 100);
	assert_int_equal(b[2].start, 300);

	/* A duplicate inside a block makes that block the first. */
	assert_int_equal(ooo_add(&o, 520, 530), 0);
	assert_int_equal(ooo_sack_blocks(&o, b, 2), 2);
	assert_int_equal(b[0].start, 500);
	assert_int_equal(b[1].start, 100);

	/* Once the recent block is delivered, plain sequence order. */
	assert_int_equal(ooo_add(&o, 100, 150), 0);
	assert_int_equal(ooo_advance(&o, 100), 200);
	assert_int_equal(ooo_sack_blocks(&o, b, 3), 3);
	assert_int_equal(b[0].start, 300);
	assert_int_equal(b[1].start, 500);
	assert_int_equal(b[2].start, 700);

	/* Sequence order across 2^32. */
	ooo_init(&o);
	assert_int_equal(ooo_add(&o, 10, 20), 0);
	assert_int_equal(ooo_add(&o, UINT32_MAX - 20, UINT32_MAX - 10), 0);
	assert_int_equal(ooo_add(&o, UINT32_MAX - 2, 3), 0);
	assert_int_equal(o.r[0].start, UINT32_MAX - 20);
	assert_int_equal(o.r[1].start, UINT32_MAX - 2);
	assert_int_equal(o.r[2].start, 10);
	assert_int_equal(ooo_sack_blocks(&o, b, 3), 3);
	assert_int_equal(b[0].start, UINT32_MAX - 2);
	assert_int_equal(b[0].end, 3);
	assert_int_equal(b[1].start, UINT32_MAX - 20);
	assert_int_equal(b[2].start, 10);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random segments into a window, against a byte map of what is held. */
#define WIN 3000

static void random_vs_bitmap(void **state)
{
	static uint8_t have[WIN]; /* by offset from rcv_nxt */
	uint64_t seed = 11;
	uint32_t base = UINT32_MAX - 200000; /* rcv_nxt; crosses 2^32 */
	struct ooo o;
	int enospc = 0;

	ooo_init(&o);
	memset(have, 0, sizeof(have));
	for (int op = 0; op < 100000; op++) {
		uint64_t x = rng_next(&seed);

		if (x % 8) {
			uint32_t off = 1 + (uint32_t)(x >> 8) % (WIN - 100);
			uint32_t len = 1 + (uint32_t)(x >> 32) % 40;
			struct ooo saved = o;
			int ret = ooo_add(&o, base + off, base + off + len);

			if (ret == -ENOSPC) {
				enospc++;
				assert_memory_equal(&o, &saved, sizeof(o));
			} else {
				assert_int_equal(ret, 0);
				memset(have + off, 1, len);
				/* The most recent block is a held range. */
				int found = 0;

				for (int k = 0; k < o.n; k++)
					found += o.r[k].start == o.last_start &&
						 o.r[k].end == o.last_end;
				assert_int_equal(found, 1);
				assert_true(o.last_start - base <= off);
				assert_true(o.last_end - base >= off + len);
			}
		} else {
			/* In-order data of 1..200 bytes arrives, then ooo_advance. */
			uint32_t len = 1 + (uint32_t)(x >> 8) % 200, adv, nxt;

			nxt = ooo_advance(&o, base + len);
			adv = nxt - base;
			assert_true(adv >= len);
			for (uint32_t i = len; i < adv; i++)
				assert_true(have[i]);
			if (adv < WIN)
				assert_false(have[adv]);
			memmove(have, have + adv, WIN - adv);
			memset(have + WIN - adv, 0, adv);
			base = nxt;
		}
		/* The ranges are exactly the runs of the map. */
		assert_true(ooo_valid(&o));
		int k = 0;

		for (uint32_t i = 0; i < WIN; i++) {
			if (!have[i] || (i && have[i - 1]))
				continue;
			uint32_t j = i;

			while (j < WIN && have[j])
				j++;
			assert_true(k < o.n);
			assert_int_equal(o.r[k].start, base + i);
			assert_int_equal(o.r[k].end, base + j);
			k++;
		}
		assert_int_equal(k, o.n);
	}
	assert_true(enospc > 0);
	assert_true(base - (UINT32_MAX - 200000) > 200000); /* wrapped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_overlap_shape),
		cmocka_unit_test(bridging),
		cmocka_unit_test(empty_and_invalid),
		cmocka_unit_test(enospc),
		cmocka_unit_test(advance),
		cmocka_unit_test(sack_order),
		cmocka_unit_test(random_vs_bitmap),
	};

	return cmocka_run_group_tests_name("ooo", tests, NULL, NULL);
}
