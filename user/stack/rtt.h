/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Retransmission timeout estimator (RFC 6298).
 *
 * The smoothed RTT and RTT variance are kept in fixed point: srtt to 1/8 us
 * and rttvar to 1/4 us, the classic scaling of the 4.4BSD and Linux stacks,
 * so alpha = 1/8 and beta = 1/4 are exact shifts. The whole microseconds are
 * in srtt_us/rttvar_us (what callers read); the fractional bits live in
 * srtt_frac/rttvar_frac, which sit in what would otherwise be padding and are
 * private to rtt.c.
 *
 * rto_us is the base RTO; the timer to arm is rtt_rto(), which applies the
 * exponential backoff of RFC 6298 5.5 and the upper bound.
 */
#ifndef XTCP_STACK_RTT_H
#define XTCP_STACK_RTT_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 6298 2: the clock granularity G, 1 ms. */
#define RTT_G_US 1000u

struct rtt_est {
	uint32_t srtt_us, rttvar_us; /* valid when has_sample */
	uint32_t rto_us; /* base RTO, before backoff */
	uint32_t rto_min_us, rto_max_us;
	uint32_t min_us; /* the smallest sample (TCP_INFO), valid with one */
	uint8_t backoff; /* number of consecutive RTO expiries */
	bool has_sample;
	uint8_t srtt_frac; /* private: srtt's low 3 bits, in 1/8 us */
	uint8_t rttvar_frac; /* private: rttvar's low 2 bits, in 1/4 us */
};

/*
 * RFC 6298 2.1: before any sample the RTO is @rto_initial_us (clamped to
 * [@rto_min_us, @rto_max_us]; rto_min_us <= rto_max_us is required).
 */
void rtt_init(struct rtt_est *r, uint32_t rto_initial_us, uint32_t rto_min_us,
	      uint32_t rto_max_us);

/*
 * Change the bounds (e.g. tcp_rexmit_interval_min/max changed). With a
 * sample the base RTO is recomputed from srtt/rttvar and clamped to the new
 * bounds; without one the current base RTO is re-clamped.
 */
void rtt_set_bounds(struct rtt_est *r, uint32_t rto_min_us,
		    uint32_t rto_max_us);

/*
 * Take one RTT measurement (the caller applies Karn's rule, RFC 6298 3: no
 * samples from retransmitted segments unless timestamps disambiguate).
 * RFC 6298 2.2 for the first sample, 2.3 afterwards; rto = srtt +
 * max(G, 4 * rttvar) clamped to the bounds. Resets the backoff (RFC 6298 5.7
 * note: a new sample after backoff collapses it).
 */
void rtt_sample(struct rtt_est *r, uint32_t rtt_us);

/* The timeout to arm: min(rto_us << backoff, rto_max_us), for any backoff. */
uint32_t rtt_rto(const struct rtt_est *r);

/*
 * RFC 6298 5.5: the retransmission timer expired, double the RTO. The
 * counter stops once rtt_rto() has reached rto_max_us (or at 255), so it
 * is not a retransmission count: callers that need one (RFC 1122 4.2.3.5
 * R1/R2) keep their own.
 */
void rtt_backoff(struct rtt_est *r);

#endif
