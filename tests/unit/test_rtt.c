// SPDX-License-Identifier: BSD-2-Clause
/* RFC 6298 RTO estimator: exact values, clamps, backoff, double reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "stack/rtt.h"

#define SEC 1000000u

static void init_clamps(void **state)
{
	struct rtt_est r;

	rtt_init(&r, 1 * SEC, 400000, 60 * SEC);
	assert_int_equal(r.rto_us, 1 * SEC);
	assert_int_equal(rtt_rto(&r), 1 * SEC);
	assert_false(r.has_sample);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(r.rto_min_us, 400000);
	assert_int_equal(r.rto_max_us, 60 * SEC);

	rtt_init(&r, 100, 400000, 60 * SEC);
	assert_int_equal(r.rto_us, 400000);
	rtt_init(&r, 90 * SEC, 400000, 60 * SEC);
	assert_int_equal(r.rto_us, 60 * SEC);
	rtt_init(&r, 5, 5, 5);
	assert_int_equal(r.rto_us, 5);
}

static void first_sample(void **state)
{
	struct rtt_est r;

	/* RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = R + 4 R/2 = 3R. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 100000);
	assert_true(r.has_sample);
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
	assert_int_equal(r.rto_us, 300000);
	assert_int_equal(rtt_rto(&r), 300000);

	/* Odd R: RTTVAR = 50.5 us, shown truncated; RTO = 101 + 202. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 101);
	assert_int_equal(r.srtt_us, 101);
	assert_int_equal(r.rttvar_us, 50);
	/* 4 * 50.5 = 202 < G: RTO = SRTT + G. */
	assert_int_equal(r.rto_us, 101 + RTT_G_US);

	/* 4*RTTVAR just above G: R = 600 -> 600 + 1200. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 600);
	assert_int_equal(r.rto_us, 1800);
	/* Exactly G: R = 500 -> 500 + 1000. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 500);
	assert_int_equal(r.rto_us, 1500);
}

static void second_sample(void **state)
{
	struct rtt_est r;

	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 100000);
	rtt_sample(&r, 200000);
	/* RTTVAR = 3/4 50000 + 1/4 |100000 - 200000| = 62500 (old SRTT). */
	assert_int_equal(r.rttvar_us, 62500);
	/* SRTT = 7/8 100000 + 1/8 200000 = 112500. */
	assert_int_equal(r.srtt_us, 112500);
	assert_int_equal(r.rto_us, 112500 + 4 * 62500);

	/* A steady RTT: RTTVAR decays by 3/4 per sample, SRTT stays. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 80000);
	rtt_sample(&r, 80000);
	assert_int_equal(r.srtt_us, 80000);
	assert_int_equal(r.rttvar_us, 30000);
	rtt_sample(&r, 80000);
	assert_int_equal(r.rttvar_us, 22500);
	for (int i = 0; i < 200; i++)
		rtt_sample(&r, 80000);
	assert_int_equal(r.srtt_us, 80000);
	assert_int_equal(r.rttvar_us, 0);
	assert_int_equal(r.rto_us, 80000 + RTT_G_US);
}

static void clamp_min_max(void **state)
{
	struct rtt_est r;

	/* A LAN RTT: the computed 3 ms is raised to the 400 ms floor. */
	rtt_init(&r, 1 * SEC, 400000, 60 * SEC);
	rtt_sample(&r, 1000);
	assert_int_equal(r.srtt_us, 1000);
	assert_int_equal(r.rto_us, 400000);

	/* A 30 s RTT: 90 s is cut to the 60 s ceiling. */
	rtt_init(&r, 1 * SEC, 400000, 60 * SEC);
	rtt_sample(&r, 30 * SEC);
	assert_int_equal(r.rto_us, 60 * SEC);

	/* The extremes: no overflow in the scaled arithmetic. */
	rtt_init(&r, 1 * SEC, 0, UINT32_MAX);
	rtt_sample(&r, UINT32_MAX);
	assert_int_equal(r.srtt_us, UINT32_MAX);
	assert_int_equal(r.rttvar_us, UINT32_MAX / 2);
	assert_int_equal(r.rto_us, UINT32_MAX);
	rtt_sample(&r, 0);
	assert_true(r.srtt_us < UINT32_MAX &&
		    r.srtt_us > UINT32_MAX / 8 * 7 - 8);
	assert_int_equal(r.rto_us, UINT32_MAX);
	for (int i = 0; i < 400; i++)
		rtt_sample(&r, 0);
	/*
	 * Round-to-nearest settles within a fraction of a microsecond of
	 * the input (a 1/8 us srtt, hence a 1 us rttvar, can be a fixed
	 * point), which is what keeps the estimate within ~3 us of the
	 * exact filter below.
	 */
	assert_int_equal(r.srtt_us, 0);
	assert_in_range(r.rttvar_us, 0, 1);
	assert_in_range(r.rto_us, RTT_G_US, RTT_G_US + 1);
	for (int i = 0; i < 400; i++)
		rtt_sample(&r, UINT32_MAX);
	assert_in_range(r.srtt_us, UINT32_MAX - 1, UINT32_MAX);
	assert_int_equal(r.rto_us, UINT32_MAX);
}

static void set_bounds(void **state)
{
	struct rtt_est r;

	/* Without a sample: the current RTO is re-clamped. */
	rtt_init(&r, 3 * SEC, 0, 60 * SEC);
	rtt_set_bounds(&r, 0, 2 * SEC);
	assert_int_equal(r.rto_us, 2 * SEC);
	assert_int_equal(r.rto_max_us, 2 * SEC);
	rtt_set_bounds(&r, 5 * SEC, 10 * SEC);
	assert_int_equal(r.rto_us, 5 * SEC);
	assert_int_equal(r.rto_min_us, 5 * SEC);

	/* With one: recomputed from the estimate, so lowering restores it. */
	rtt_init(&r, 1 * SEC, 0, 60 * SEC);
	rtt_sample(&r, 100000);
	assert_int_equal(r.rto_us, 300000);
	rtt_set_bounds(&r, 500000, 60 * SEC);
	assert_int_equal(r.rto_us, 500000);
	rtt_set_bounds(&r, 0, 200000);
	assert_int_equal(r.rto_us, 200000);
	rtt_set_bounds(&r, 0, 60 * SEC);
	assert_int_equal(r.rto_us, 300000);
	/* The estimate itself is untouched. */
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
}

static void backoff_doubles_and_saturates(void **state)
{
	struct rtt_est r;

	rtt_init(&r, 1 * SEC, 200000, 60 * SEC);
	rtt_sample(&r, 100000); /* rto 300 ms */
	assert_int_equal(rtt_rto(&r), 300000);
	for (int i = 1; i <= 7; i++) {
		rtt_backoff(&r);
		assert_int_equal(r.backoff, i);
		assert_int_equal(rtt_rto(&r), 300000u << i);
	}
	/* 300 ms << 8 = 76.8 s: capped at 60 s, and the counter stops there. */
	rtt_backoff(&r);
	assert_int_equal(r.backoff, 8);
	assert_int_equal(rtt_rto(&r), 60 * SEC);
	for (int i = 0; i < 1000; i++)
		rtt_backoff(&r);
	assert_int_equal(r.backoff, 8);
	assert_int_equal(rtt_rto(&r), 60 * SEC);
	/* The base RTO is not changed by backoff. */
	assert_int_equal(r.rto_us, 300000);

	/* RFC 6298 5.7: a new sample collapses the backoff. */
	rtt_sample(&r, 100000);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(rtt_rto(&r), r.rto_us);

	/* Landing exactly on the max: 1 s << 6 = 64 s = max. */
	rtt_init(&r, 1 * SEC, 0, 64 * SEC);
	for (int i = 0; i < 10; i++)
		rtt_backoff(&r);
	assert_int_equal(r.backoff, 6);
	assert_int_equal(rtt_rto(&r), 64 * SEC);

	/* Base RTO already at max: no backoff at all. */
	rtt_init(&r, 60 * SEC, 0, 60 * SEC);
	rtt_backoff(&r);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(rtt_rto(&r), 60 * SEC);
}

static void backoff_no_overflow(void **state)
{
	struct rtt_est r;

	/* The widest bounds: 1 us doubles 31 times, then hits 2^32 - 1. */
	rtt_init(&r, 1, 0, UINT32_MAX);
	for (int i = 0; i < 40; i++)
		rtt_backoff(&r);
	assert_int_equal(r.backoff, 32);
	assert_int_equal(rtt_rto(&r), UINT32_MAX);
	r.backoff = 31;
	assert_int_equal(rtt_rto(&r), 1u << 31);
	/* Any backoff value at all gives a bounded result. */
	for (int b = 0; b <= 255; b++) {
		r.backoff = (uint8_t)b;
		assert_int_equal(rtt_rto(&r), b < 32 ? 1u << b : UINT32_MAX);
	}
	r.rto_us = 0x80000001u;
	r.backoff = 1;
	assert_int_equal(rtt_rto(&r), UINT32_MAX);
	r.rto_max_us = 1000;
	r.rto_us = 1000;
	r.backoff = 255;
	assert_int_equal(rtt_rto(&r), 1000);

	/* A zero RTO (min 0): stays 0, the counter saturates at 255. */
	rtt_init(&r, 0, 0, 60 * SEC);
	for (int i = 0; i < 300; i++)
		rtt_backoff(&r);
	assert_int_equal(r.backoff, 255);
	assert_int_equal(rtt_rto(&r), 0);
}

/* --- double-precision reference ------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double dabs(double x)
{
	return x < 0 ? -x : x;
}

static void against_double_reference(void **state)
{
	uint64_t seed = 42;
	double worst_s = 0, worst_v = 0, worst_rto = 0;

	for (int seq = 0; seq < 2000; seq++) {
		struct rtt_est r;
		uint32_t base = 20 + (uint32_t)(rng_next(&seed) % 3000000);
		uint32_t spread = (uint32_t)(rng_next(&seed) % (base + 1));
		uint32_t lo = (uint32_t)(rng_next(&seed) % 2 ? 0 : 200000);
		uint32_t hi = 120 * SEC;
		double srtt = 0, rttvar = 0;

		rtt_init(&r, 1 * SEC, lo, hi);
		for (int k = 0; k < 300; k++) {
			uint32_t m = base - spread / 2 +
				     (uint32_t)(rng_next(&seed) % (spread + 1));
			double rto;

			if (rng_next(&seed) % 50 == 0)
				m = base * 4; /* an outlier */
			rtt_sample(&r, m);
			if (k == 0) {
				srtt = m;
				rttvar = m / 2.0;
			} else {
				rttvar = 0.75 * rttvar + 0.25 * dabs(srtt - m);
				srtt = 0.875 * srtt + 0.125 * m;
			}
			rto = srtt +
			      (4 * rttvar > RTT_G_US ? 4 * rttvar : RTT_G_US);
			rto = rto < lo ? lo : rto > hi ? hi : rto;

			double es = dabs(r.srtt_us - srtt);
			double ev = dabs(r.rttvar_us - rttvar);
			double er = dabs(r.rto_us - rto);

			worst_s = es > worst_s ? es : worst_s;
			worst_v = ev > worst_v ? ev : worst_v;
			worst_rto = er > worst_rto ? er : worst_rto;
		}
	}
	print_message(
		"worst error: srtt %.3f us, rttvar %.3f us, rto %.3f us\n",
		worst_s, worst_v, worst_rto);
	/*
	 * Whole microseconds truncated from a 1/8 (1/4) us estimate, rounded
	 * to nearest at each step. (Truncating instead of rounding in the
	 * update gives 1.6 us and 3.7-4.2 us here: the bounds are that tight
	 * on purpose; the inputs are fixed, so the result is too.)
	 */
	assert_true(worst_s < 1.5);
	assert_true(worst_v < 1.5);
	assert_true(worst_rto < 3.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_clamps),
		cmocka_unit_test(first_sample),
		cmocka_unit_test(second_sample),
		cmocka_unit_test(clamp_min_max),
		cmocka_unit_test(set_bounds),
		cmocka_unit_test(backoff_doubles_and_saturates),
		cmocka_unit_test(backoff_no_overflow),
		cmocka_unit_test(against_double_reference),
	};

	return cmocka_run_group_tests_name("rtt", tests, NULL, NULL);
}
