// SPDX-License-Identifier: BSD-2-Clause
/* Initial sequence numbers: the three tcp_strong_iss modes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "stack/isn.h"
#include "stack/seq.h"
#include "stack/siphash.h"
#include "wire/ip.h"

static const uint8_t key0[16] = { 0, 1, 2,  3,	4,  5,	6,  7,
				  8, 9, 10, 11, 12, 13, 14, 15 };

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ip_addr x = { .b = { [10] = 0xff, [11] = 0xff } };

	x.b[12] = a;
	x.b[13] = b;
	x.b[14] = c;
	x.b[15] = d;
	return x;
}

static void rfc6528_exact_value(void **state)
{
	struct isn_gen g;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);

	isn_init(&g, ISN_RFC6528, key0, 0);
	assert_int_equal(g.mode, ISN_RFC6528);
	/*
	 * F = low 32 bits of SipHash-2-4(key 00..0f, ::ffff:198.18.0.1 | 3039
	 * | ::ffff:198.18.0.2 | 0050) = 0xb51bd08d7c52b2ac, computed with
	 * OpenSSL's SIPHASH; M = 4 s / 4 us = 1000000.
	 */
	assert_int_equal(isn_next(&g, &l, 12345, &f, 80, 4000000),
			 0x7c52b2acu + 1000000u);
	assert_int_equal(isn_next(&g, &l, 12345, &f, 80, 0), 0x7c52b2acu);
}

static void rfc6528_matches_definition(void **state)
{
	struct isn_gen g;
	struct ip_addr l, f;
	uint8_t m[36];

	memset(&l, 0, sizeof(l));
	memset(&f, 0, sizeof(f));
	l.b[0] = 0x20, l.b[1] = 0x01, l.b[2] = 0x0d, l.b[3] = 0xb8, l.b[15] = 1;
	f.b[0] = 0x20, f.b[1] = 0x01, f.b[2] = 0x0d, f.b[3] = 0xb8, f.b[15] = 2;
	memcpy(m, l.b, 16);
	m[16] = 0xab, m[17] = 0xcd; /* ports big-endian */
	memcpy(m + 18, f.b, 16);
	m[34] = 0x01, m[35] = 0xbb;
	isn_init(&g, ISN_RFC6528, key0, 12345);
	assert_int_equal(isn_next(&g, &l, 0xabcd, &f, 443, 1234567),
			 (uint32_t)siphash24(key0, m, sizeof(m)) + 1234567 / 4);
}

static void rfc6528_deterministic_and_distinct(void **state)
{
	struct isn_gen g1, g2, g3;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);
	struct ip_addr f2 = v4(198, 18, 0, 3);
	uint8_t key1[16];
	uint32_t a;

	memcpy(key1, key0, 16);
	key1[15] ^= 0x80;
	isn_init(&g1, ISN_RFC6528, key0, 1);
	isn_init(&g2, ISN_RFC6528, key0, 999); /* the seed plays no part */
	isn_init(&g3, ISN_RFC6528, key1, 1);

	a = isn_next(&g1, &l, 1000, &f, 80, 5000);
	/* Same inputs, same key: same ISN, from any generator, any order. */
	assert_int_equal(isn_next(&g2, &l, 1000, &f, 80, 5000), a);
	assert_int_equal(isn_next(&g1, &l, 1000, &f, 80, 5000), a);
	/* Each part of the 4-tuple, and the key, changes it. */
	assert_int_not_equal(isn_next(&g1, &l, 1001, &f, 80, 5000), a);
	assert_int_not_equal(isn_next(&g1, &l, 1000, &f, 81, 5000), a);
	assert_int_not_equal(isn_next(&g1, &l, 1000, &f2, 80, 5000), a);
	assert_int_not_equal(isn_next(&g1, &f, 1000, &l, 80, 5000), a);
	assert_int_not_equal(isn_next(&g1, &l, 80, &f, 1000, 5000), a);
	assert_int_not_equal(isn_next(&g3, &l, 1000, &f, 80, 5000), a);

	/* Many ports: no collisions expected among 1000 32-bit values. */
	uint32_t seen[1000];

	for (int i = 0; i < 1000; i++) {
		seen[i] = isn_next(&g1, &l, (uint16_t)(30000 + i), &f, 80, 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(seen[i], seen[j]);
	}
}

static void rfc6528_clock(void **state)
{
	struct isn_gen g;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);
	uint64_t t0 = 1000000000000ull; /* divisible by 4 */
	uint32_t a;

	isn_init(&g, ISN_RFC6528, key0, 0);
	a = isn_next(&g, &l, 1, &f, 2, t0);
	/* 1 per 4 us: unchanged within a tick, +1 at the next. */
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + 3), a);
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + 4), a + 1);
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + 7), a + 1);
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + 4000000), a + 1000000);
	/* M wraps modulo 2^32 after 4 * 2^32 us (~4.8 hours). */
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + (4ull << 32)), a);
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, t0 + (4ull << 32) - 4),
			 a - 1);
}

static void sequential_exact(void **state)
{
	struct isn_gen g;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);

	isn_init(&g, ISN_SEQUENTIAL, NULL, 0);
	/* ISS_INCR / 2 per connection plus the 4 us clock: predictable. */
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, 0), 125000);
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, 0), 250000);
	assert_int_equal(isn_next(&g, &f, 9, &l, 7, 400), 375000 + 100);
	assert_int_equal(g.last, 375000);
	/* The offset and the clock both wrap modulo 2^32. */
	g.last = UINT32_MAX - 100000;
	assert_int_equal(isn_next(&g, &l, 1, &f, 2, 400), 25000 - 1 + 100);
}

static void monotonic(enum isn_mode mode, uint64_t seed)
{
	struct isn_gen g;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);
	uint64_t now = 123456789, s = seed;
	uint32_t prev;

	isn_init(&g, mode, key0, seed);
	prev = isn_next(&g, &l, 1, &f, 2, now);
	for (int i = 0; i < 100000; i++) {
		uint64_t dt;
		uint32_t isn, d;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		dt = (s >> 33) % 100000; /* up to 0.1 s between connections */
		now += dt;
		f.b[15] = (uint8_t)i; /* any 4-tuple: one sequence for all */
		isn = isn_next(&g, &l, (uint16_t)(s >> 20), &f, 80, now);
		assert_true(seq_gt(isn, prev));
		d = isn - prev;
		/* The ticks of the clock, plus the per-connection increment. */
		if (mode == ISN_SEQUENTIAL)
			assert_in_range(d, dt / 4 + ISN_INCR / 2,
					dt / 4 + 1 + ISN_INCR / 2);
		else
			assert_in_range(d, dt / 4 + 1, dt / 4 + 1 + ISN_INCR);
		prev = isn;
	}
}

static void sequential_monotonic(void **state)
{
	monotonic(ISN_SEQUENTIAL, 0);
}

static void random_incr_monotonic(void **state)
{
	monotonic(ISN_RANDOM_INCR, 1);
	monotonic(ISN_RANDOM_INCR, 0xdeadbeefcafef00dull);
}

static void random_incr_seeded(void **state)
{
	struct isn_gen a, b, c;
	struct ip_addr l = v4(198, 18, 0, 1), f = v4(198, 18, 0, 2);
	int same_incr = 0;
	uint32_t pa = 0, pb = 0;

	isn_init(&a, ISN_RANDOM_INCR, NULL, 42);
	isn_init(&b, ISN_RANDOM_INCR, NULL, 42);
	isn_init(&c, ISN_RANDOM_INCR, NULL, 43);
	/* Deterministic for a seed; another seed starts elsewhere. */
	assert_int_equal(a.last, b.last);
	assert_int_not_equal(a.last, c.last);
	for (int i = 0; i < 1000; i++) {
		uint32_t x = isn_next(&a, &l, 1, &f, 2, 1000);
		uint32_t y = isn_next(&b, &l, 1, &f, 2, 1000);

		assert_int_equal(x, y);
		assert_int_not_equal(x, isn_next(&c, &l, 1, &f, 2, 1000));
		/* The increments vary, unlike mode 0's. */
		if (i > 0 && x - pa == pb)
			same_incr++;
		pb = x - pa;
		pa = x;
	}
	assert_true(same_incr < 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc6528_exact_value),
		cmocka_unit_test(rfc6528_matches_definition),
		cmocka_unit_test(rfc6528_deterministic_and_distinct),
		cmocka_unit_test(rfc6528_clock),
		cmocka_unit_test(sequential_exact),
		cmocka_unit_test(sequential_monotonic),
		cmocka_unit_test(random_incr_monotonic),
		cmocka_unit_test(random_incr_seeded),
	};

	return cmocka_run_group_tests_name("isn", tests, NULL, NULL);
}
