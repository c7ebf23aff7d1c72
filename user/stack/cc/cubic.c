// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUBIC congestion control, RFC 9438, in fixed point.
 *
 * Units. Windows are bytes, as everywhere in cc/; where the RFC counts
 * segments the SMSS converts. Time in the cubic function is in ticks of
 * 1/1024 s (CUBIC_HZ): engine time (microseconds) is converted by rounding
 * to the nearest tick, so t carries at most 0.49 ms of error. No floating
 * point: the constants are the exact fractions
 *   C          = 0.4 = 2/5 segments per s^3        (RFC 9438 4.2, 5)
 *   beta_cubic = 0.7 = 7/10                        (RFC 9438 4.6)
 *   (1 + beta_cubic) / 2 = 17/20                   (RFC 9438 4.7)
 *   alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 (RFC 9438 4.3)
 *
 * W_cubic (RFC 9438 4.2 eq. 1), with d = |t - K| in ticks:
 *   C d^3 / 1024^3 segments = (2 d^3 / 5) >> 30 segments.
 * d is clamped below 2^21 ticks (34 minutes), so d^3 < 2^63 and 2 d^3 fits
 * 64 bits; by then the window is far beyond 4 GB for any SMSS >= 1 and the
 * result saturates at UINT32_MAX bytes anyway. The segment count is kept
 * with 10 fractional bits before multiplying by the SMSS, so the
 * arithmetic adds less than SMSS/1024 bytes of error.
 *
 * K (RFC 9438 4.2 eq. 2): K^3 = (W_max - cwnd_epoch) / C seconds^3
 *   = 5 (W_max - cwnd_epoch) / (2 SMSS) s^3
 *   = 5 (W_max - cwnd_epoch) 2^29 / SMSS ticks^3,
 * the integer cube root of which is K in ticks (floor: at most one tick,
 * 0.98 ms, short). The argument saturates at UINT64_MAX (K ~ 43 minutes),
 * reached only with an absurd SMSS of a few bytes.
 *
 * The integer cube root is the binary digit-by-digit method (as for square
 * roots by hand; cf. Hacker's Delight 11-2): take x three bits at a time
 * from the top; with y the root of the bits consumed so far and x the
 * remainder, appending a bit to y turns 2y into 2y + 1 when the remainder
 * (shifted down to the current group) holds at least
 * (2y + 1)^3 - (2y)^3 = 3 (2y)(2y + 1) + 1. 22 steps cover 64 bits; the
 * comparison is done on x >> s, so b << s is only formed when it is <= x
 * and never overflows. The result is exact: floor(cbrt(x)).
 *
 * What the engine does and CUBIC does not: loss detection, fast recovery
 * window inflation (cc_recovery_dupack/partial_ack), the choice of when an
 * RTO is a backed-off one (cc.c). HyStart++ (RFC 9406) is not implemented:
 * slow start is RFC 5681's, as in NewReno (RFC 9438 4.10 allows either).
 */
#include "stack/cc/cc.h"
#include "stack/cc/cubic.h"

#define CUBIC_BETA_NUM 7 /* beta_cubic = 7/10 */
#define CUBIC_BETA_DEN 10
#define CUBIC_FC_NUM 17 /* (1 + beta_cubic) / 2 = 17/20 */
#define CUBIC_FC_DEN 20
#define CUBIC_ALPHA_NUM 9 /* alpha_cubic = 9/17 */
#define CUBIC_ALPHA_DEN 17
/* |t - K| is clamped below this many ticks: d^3 < 2^63 */
#define CUBIC_D_MAX ((1ull << 21) - 1)
/* microseconds beyond which time saturates (2^40 us ~ 12.7 days) */
#define CUBIC_US_MAX (1ull << 40)

enum {
	CUBIC_F_EPOCH = 1, /* a congestion avoidance epoch is running */
};

struct cubic_priv {
	uint64_t epoch_us; /* t_epoch: start of the epoch (RFC 9438 4.2) */
	/* remainder of the W_est increments, in bytes * 17 * cwnd */
	uint64_t est_rem;
	uint64_t prior_epoch_us; /* RFC 9438 4.9: state before the event */
	uint32_t w_max; /* bytes; 0 = unset (RFC 9438 4.8, 4.10) */
	uint32_t k; /* ticks */
	uint32_t w_est; /* bytes (RFC 9438 4.3) */
	uint32_t cnt_rem; /* remainder of the cwnd increments, bytes*cwnd */
	uint32_t prior_w_max, prior_k, prior_w_est;
	uint8_t flags, prior_flags;
};
CC_PRIV_CHECK(struct cubic_priv);

static struct cubic_priv *cubic_priv(struct cc_conn *c)
{
	return cc_priv(c);
}

static const struct cubic_priv *cubic_cpriv(const struct cc_conn *c)
{
	return (const struct cubic_priv *)c->priv;
}

/* --- fixed-point arithmetic ---------------------------------------------- */

uint32_t cubic_icbrt(uint64_t x)
{
	uint64_t y = 0;

	for (int s = 63; s >= 0; s -= 3) {
		uint64_t b;

		y <<= 1;
		b = 3 * y * (y + 1) + 1; /* (y + 1)^3 - y^3, y even */
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return (uint32_t)y;
}

uint64_t cubic_us_to_ticks(uint64_t us)
{
	if (us > CUBIC_US_MAX)
		us = CUBIC_US_MAX;
	return ((us << CUBIC_HZ_SHIFT) + 500000) / 1000000;
}

uint32_t cubic_k_ticks(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss)
{
	uint64_t x;

	if (cwnd_epoch >= w_max || smss == 0)
		return 0;
	/* K^3 = 5 * (W_max - cwnd_epoch) * 2^29 / SMSS ticks^3 */
	x = ((uint64_t)(w_max - cwnd_epoch) << 29) / smss;
	x = x > UINT64_MAX / 5 ? UINT64_MAX : x * 5;
	return cubic_icbrt(x);
}

uint32_t cubic_w_cubic(uint64_t t_us, uint32_t k_ticks, uint32_t w_max,
		       uint32_t smss)
{
	uint64_t t = cubic_us_to_ticks(t_us), d, seg_q10, delta;
	bool below = t < k_ticks; /* concave side: W_cubic < W_max */

	d = below ? k_ticks - t : t - k_ticks;
	if (d > CUBIC_D_MAX)
		d = CUBIC_D_MAX;
	/* C d^3 segments with 10 fractional bits: (2 d^3 / 5) >> 20 */
	seg_q10 = (d * d * d * 2 / 5) >> 20;
	if (smss && seg_q10 > UINT64_MAX / smss)
		delta = UINT64_MAX;
	else
		delta = (seg_q10 * smss) >> 10;
	if (below)
		return delta >= w_max ? 0 : (uint32_t)(w_max - delta);
	if (delta >= (uint64_t)UINT32_MAX - w_max)
		return UINT32_MAX;
	return (uint32_t)(w_max + delta);
}

/* --- state views --------------------------------------------------------- */

uint32_t cubic_w_max(const struct cc_conn *c)
{
	return cubic_cpriv(c)->w_max;
}

uint32_t cubic_k(const struct cc_conn *c)
{
	return cubic_cpriv(c)->k;
}

uint32_t cubic_w_est(const struct cc_conn *c)
{
	return cubic_cpriv(c)->w_est;
}

int cubic_epoch(const struct cc_conn *c, uint64_t *start_us)
{
	const struct cubic_priv *p = cubic_cpriv(c);

	if (start_us)
		*start_us = p->epoch_us;
	return !!(p->flags & CUBIC_F_EPOCH);
}

/* --- the algorithm ------------------------------------------------------- */

static void cubic_init(struct cc_conn *c)
{
	/* priv is zeroed: no W_max, no epoch. cwnd and ssthresh are set by
	 * cc_conn_init() (RFC 9438 4.10: slow start as RFC 5681). When an
	 * algorithm is switched mid-connection, the first congestion
	 * avoidance ACK starts an epoch from the current cwnd. */
}

/* x * num / den in 64 bits, saturated to 32 */
static uint32_t cubic_frac(uint32_t x, uint32_t num, uint32_t den)
{
	uint64_t v = (uint64_t)x * num / den;

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/*
 * A new congestion avoidance stage (RFC 9438 4.2): t_epoch = now,
 * cwnd_epoch = cwnd, W_est = cwnd_epoch (4.3). Without a W_max (after a
 * timeout, 4.8, or when slow start ended without a loss, 4.10), or if cwnd
 * is already at or beyond it, W_max = cwnd_epoch and K = 0: the curve
 * starts in its convex region.
 */
static void cubic_epoch_start(struct cc_conn *c, struct cubic_priv *p)
{
	p->flags |= CUBIC_F_EPOCH;
	p->epoch_us = c->now_us;
	if (p->w_max <= c->cwnd) {
		p->w_max = c->cwnd;
		p->k = 0;
	} else {
		p->k = cubic_k_ticks(p->w_max, c->cwnd, c->smss);
	}
	p->w_est = c->cwnd;
	p->est_rem = 0;
	p->cnt_rem = 0;
}

/*
 * RFC 9438 4.3: W_est += alpha_cubic * segments_acked / cwnd segments, in
 * bytes alpha * acked * SMSS / cwnd; alpha_cubic becomes 1 once W_est has
 * reached cwnd_prior, the cwnd before the last reduction (prior_cwnd of
 * struct cc_conn).
 */
static void cubic_update_w_est(struct cc_conn *c, struct cubic_priv *p,
			       uint32_t acked)
{
	uint64_t num = (uint64_t)acked * c->smss, den, inc;
	uint32_t a = CUBIC_ALPHA_NUM;

	if (p->w_est >= c->prior_cwnd)
		a = CUBIC_ALPHA_DEN; /* alpha_cubic = 1 */
	if (num > UINT64_MAX / 32)
		num = UINT64_MAX / 32; /* acked * SMSS beyond 2^59: never */
	den = (uint64_t)CUBIC_ALPHA_DEN * c->cwnd;
	p->est_rem += num * a;
	inc = p->est_rem / den;
	p->est_rem %= den;
	p->w_est = inc >= (uint64_t)UINT32_MAX - p->w_est ?
			   UINT32_MAX :
			   p->w_est + (uint32_t)inc;
}

static void cubic_cong_avoid(struct cc_conn *c, uint32_t acked)
{
	struct cubic_priv *p = cubic_priv(c);
	uint64_t t, rtt, inc;
	uint32_t w_t, target;

	if (c->cwnd < c->ssthresh) {
		/* RFC 9438 4.10 / RFC 5681 3.1 eq. 2: cwnd += min(N, SMSS) */
		c->cwnd = cc_sat_add(c->cwnd, cc_min(acked, c->smss));
		return;
	}
	/*
	 * RFC 9438 5.8: no growth while the flow is application limited
	 * (the sender or the receiver's window kept at least one segment of
	 * cwnd unused before this ACK). Otherwise cwnd would grow without
	 * bound where it is never tested.
	 */
	if (cc_sat_add(cc_sat_add(c->flight, acked), c->smss) <= c->cwnd)
		return;
	if (!(p->flags & CUBIC_F_EPOCH))
		cubic_epoch_start(c, p);
	t = c->now_us > p->epoch_us ? c->now_us - p->epoch_us : 0;
	rtt = c->srtt_us ? c->srtt_us : c->min_rtt_us;

	cubic_update_w_est(c, p, acked);
	w_t = cubic_w_cubic(t, p->k, p->w_max, c->smss);
	if (w_t < p->w_est) {
		/* RFC 9438 4.3: the Reno-friendly region, cwnd = W_est (never
		 * lowered on an ACK). */
		c->cwnd = cc_max(c->cwnd, p->w_est);
		p->cnt_rem = 0;
		return;
	}
	/*
	 * RFC 9438 4.4 (concave) and 4.5 (convex): target = W_cubic(t + RTT)
	 * bounded to [cwnd, 1.5 cwnd] (4.2), and cwnd grows by
	 * (target - cwnd) / cwnd segments per segment acked, i.e.
	 * (target - cwnd) * acked / cwnd bytes, the remainder carried.
	 */
	target = cubic_w_cubic(t + rtt, p->k, p->w_max, c->smss);
	target = cc_min(target, cc_sat_add(c->cwnd, c->cwnd / 2));
	if (target <= c->cwnd)
		return;
	inc = (uint64_t)(target - c->cwnd) * acked + p->cnt_rem;
	p->cnt_rem = (uint32_t)(inc % c->cwnd);
	inc /= c->cwnd;
	c->cwnd = inc >= UINT32_MAX ? UINT32_MAX :
				      cc_sat_add(c->cwnd, (uint32_t)inc);
}

static void cubic_save_prior(struct cubic_priv *p)
{
	p->prior_w_max = p->w_max;
	p->prior_k = p->k;
	p->prior_w_est = p->w_est;
	p->prior_epoch_us = p->epoch_us;
	p->prior_flags = p->flags;
}

static void cubic_cong_signal(struct cc_conn *c, enum cc_event ev)
{
	struct cubic_priv *p = cubic_priv(c);
	/*
	 * RFC 9438 4.6: ssthresh = flight_size * beta_cubic. The flight size
	 * (not cwnd) is what the RFC asks for, since cwnd may have grown
	 * beyond what was in use; cc.c raises ssthresh to 2 SMSS.
	 */
	uint32_t ssthresh =
		cubic_frac(c->flight, CUBIC_BETA_NUM, CUBIC_BETA_DEN);

	if (ev != CC_EV_DUPACK && ev != CC_EV_ECN && ev != CC_EV_RTO)
		return;
	cubic_save_prior(p);
	/* Every event ends the epoch (RFC 9438 4.2: the next congestion
	 * avoidance stage starts a new one). */
	p->flags &= ~CUBIC_F_EPOCH;
	p->cnt_rem = 0;
	p->est_rem = 0;
	c->ssthresh = cc_max(ssthresh, cc_sat_mul(2, c->smss));

	switch (ev) {
	case CC_EV_DUPACK:
	case CC_EV_ECN:
		/* RFC 9438 4.7 fast convergence: a W_max not reached again
		 * means the available capacity shrank; release some. */
		if (c->cwnd < p->w_max)
			p->w_max =
				cubic_frac(c->cwnd, CUBIC_FC_NUM, CUBIC_FC_DEN);
		else
			p->w_max = c->cwnd;
		if (ev == CC_EV_DUPACK) {
			/* RFC 9438 4.6: cwnd = max(ssthresh, 2); the engine's
			 * fast recovery then inflates by the three segments
			 * that left the network (RFC 5681 3.2 step 2) and
			 * deflates at the end (post_recovery). */
			c->cwnd =
				cc_sat_add(c->ssthresh, cc_sat_mul(3, c->smss));
		} else {
			/* RFC 9438 4.6: cwnd = max(ssthresh, 1), and never
			 * raised by an ECN-Echo (RFC 3168 6.1.2). */
			c->cwnd = cc_min(c->cwnd, cc_max(ssthresh, c->smss));
		}
		break;
	case CC_EV_RTO:
		/* RFC 9438 4.8: Reno's loss window (RFC 5681 3.1: one SMSS)
		 * with ssthresh from beta_cubic; the first congestion
		 * avoidance stage after it starts with K = 0 and
		 * W_max = cwnd_epoch. */
		c->cwnd = c->smss;
		p->w_max = 0;
		p->k = 0;
		break;
	default:
		break;
	}
}

static void cubic_post_recovery(struct cc_conn *c)
{
	/* RFC 6582 3.2 step 3, option 1, as NewReno:
	 * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). The epoch
	 * starts at the next congestion avoidance ACK. */
	c->cwnd = cc_min(c->ssthresh,
			 cc_sat_add(cc_max(c->flight, c->smss), c->smss));
}

static void cubic_undo(struct cc_conn *c)
{
	struct cubic_priv *p = cubic_priv(c);

	/* RFC 9438 4.9: a spurious congestion event is undone by restoring
	 * the state from before it: cwnd and ssthresh (never lowered, as
	 * cc.c's default), W_max, K, W_est and the epoch, so t again counts
	 * from the original t_epoch. */
	c->cwnd = cc_max(c->cwnd, c->prior_cwnd);
	c->ssthresh = cc_max(c->ssthresh, c->prior_ssthresh);
	p->w_max = p->prior_w_max;
	p->k = p->prior_k;
	p->w_est = p->prior_w_est;
	p->epoch_us = p->prior_epoch_us;
	p->flags = p->prior_flags;
	p->cnt_rem = 0;
	p->est_rem = 0;
}

static void cubic_after_idle(struct cc_conn *c, uint32_t restart_window)
{
	struct cubic_priv *p = cubic_priv(c);

	/* RFC 5681 4.1: restart from at most the restart window. The
	 * epoch ends, so t does not count the idle time (RFC 9438 5.8): the
	 * next congestion avoidance ACK starts a new one from the then
	 * cwnd, toward the same W_max. */
	c->cwnd = cc_min(c->cwnd, restart_window);
	p->flags &= ~CUBIC_F_EPOCH;
	p->cnt_rem = 0;
	p->est_rem = 0;
}

const struct cc_ops cc_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.cong_avoid = cubic_cong_avoid,
	.cong_signal = cubic_cong_signal,
	.post_recovery = cubic_post_recovery,
	.undo = cubic_undo,
	.after_idle = cubic_after_idle,
};
