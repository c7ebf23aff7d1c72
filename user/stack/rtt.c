// SPDX-License-Identifier: BSD-2-Clause
/* RFC 6298 retransmission timeout estimation, in fixed point. */
#include "stack/rtt.h"

#include <assert.h>

#define SRTT_SHIFT 3 /* srtt kept in 1/8 us: alpha = 1/8 */
#define RTTVAR_SHIFT 2 /* rttvar kept in 1/4 us: beta = 1/4 */

static uint32_t clamp_u64(uint64_t v, uint32_t lo, uint32_t hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (uint32_t)v;
}

/* srtt << 3 and rttvar << 2, as stored. */
static uint64_t srtt8(const struct rtt_est *r)
{
	return (uint64_t)r->srtt_us << SRTT_SHIFT | r->srtt_frac;
}

static uint64_t rttvar4(const struct rtt_est *r)
{
	return (uint64_t)r->rttvar_us << RTTVAR_SHIFT | r->rttvar_frac;
}

static void store(struct rtt_est *r, uint64_t s8, uint64_t v4)
{
	/* An RTT fits in 32 bits and both are weighted means of RTTs. */
	assert(s8 >> SRTT_SHIFT <= UINT32_MAX);
	assert(v4 >> RTTVAR_SHIFT <= UINT32_MAX);
	r->srtt_us = (uint32_t)(s8 >> SRTT_SHIFT);
	r->srtt_frac = (uint8_t)(s8 & ((1u << SRTT_SHIFT) - 1));
	r->rttvar_us = (uint32_t)(v4 >> RTTVAR_SHIFT);
	r->rttvar_frac = (uint8_t)(v4 & ((1u << RTTVAR_SHIFT) - 1));
}

/* RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4; then 2.4/2.5. */
static uint32_t rto_from_estimate(const struct rtt_est *r)
{
	/* In 1/8 us: K*RTTVAR = 4 * (v4 / 4) us = v4 us = 8 * v4 eighths. */
	uint64_t var8 = rttvar4(r) << SRTT_SHIFT;
	uint64_t g8 = (uint64_t)RTT_G_US << SRTT_SHIFT;
	uint64_t rto8 = srtt8(r) + (var8 > g8 ? var8 : g8);

	/* Round to the nearest microsecond. */
	return clamp_u64((rto8 + 4) >> SRTT_SHIFT, r->rto_min_us,
			 r->rto_max_us);
}

void rtt_init(struct rtt_est *r, uint32_t rto_initial_us, uint32_t rto_min_us,
	      uint32_t rto_max_us)
{
	assert(rto_min_us <= rto_max_us);
	*r = (struct rtt_est){
		.rto_min_us = rto_min_us,
		.rto_max_us = rto_max_us,
	};
	/* RFC 6298 2.1: until a sample is taken, RTO <- the initial value. */
	r->rto_us = clamp_u64(rto_initial_us, rto_min_us, rto_max_us);
}

void rtt_set_bounds(struct rtt_est *r, uint32_t rto_min_us, uint32_t rto_max_us)
{
	assert(rto_min_us <= rto_max_us);
	r->rto_min_us = rto_min_us;
	r->rto_max_us = rto_max_us;
	if (r->has_sample)
		r->rto_us = rto_from_estimate(r);
	else
		r->rto_us = clamp_u64(r->rto_us, rto_min_us, rto_max_us);
}

void rtt_sample(struct rtt_est *r, uint32_t rtt_us)
{
	uint64_t m8 = (uint64_t)rtt_us << SRTT_SHIFT;

	if (!r->has_sample) {
		r->min_us = rtt_us;
		/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2. */
		store(r, m8, (uint64_t)rtt_us << (RTTVAR_SHIFT - 1));
		r->has_sample = true;
	} else {
		uint64_t s8 = srtt8(r), v4 = rttvar4(r);
		/* |SRTT - R'| in 1/8 us, from the SRTT before this update. */
		uint64_t err8 = s8 > m8 ? s8 - m8 : m8 - s8;

		/*
		 * RFC 6298 2.3, in this order:
		 *   RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
		 *   SRTT <- (1 - alpha) * SRTT + alpha * R'
		 * Scaled: v4' = 3/4 v4 + |err| = (6 v4 + err8) / 8 and
		 * s8' = 7/8 s8 + R' = (7 s8 + m8) / 8, rounded to nearest.
		 */
		v4 = (6 * v4 + err8 + 4) >> 3;
		s8 = (7 * s8 + m8 + 4) >> 3;
		store(r, s8, v4);
	}
	if (rtt_us < r->min_us)
		r->min_us = rtt_us;
	r->rto_us = rto_from_estimate(r);
	/* RFC 6298 5.7: a fresh measurement replaces the backed-off RTO. */
	r->backoff = 0;
}

uint32_t rtt_rto(const struct rtt_est *r)
{
	uint64_t v;

	if (r->rto_us == 0)
		return 0;
	/* rto_us < 2^32, so any backoff of 32 or more exceeds every max. */
	if (r->backoff >= 32)
		return r->rto_max_us;
	v = (uint64_t)r->rto_us << r->backoff;
	return v < r->rto_max_us ? (uint32_t)v : r->rto_max_us;
}

void rtt_backoff(struct rtt_est *r)
{
	/* RFC 6298 5.5: RTO <- RTO * 2, bounded above (2.5). */
	if (rtt_rto(r) < r->rto_max_us && r->backoff < UINT8_MAX)
		r->backoff++;
}
