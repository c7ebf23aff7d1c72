// SPDX-License-Identifier: BSD-2-Clause
/*
 * NewReno: RFC 5681 congestion control with the RFC 6582 window rules.
 * The recovery state machine itself (recover, partial ACKs) is the engine
 * core's; this file sizes cwnd and ssthresh.
 *
 * Slow start (cwnd < ssthresh) grows by cwnd += min(N, SMSS) per ACK that
 * acknowledges N new bytes: RFC 5681 3.1 eq. 2, i.e. appropriate byte
 * counting with L = 1*SMSS. The standards-track rule is chosen over the
 * L = 2*SMSS that experimental RFC 3465 2.2 allows, so a delayed ACK
 * covering two segments still adds one SMSS. When cwnd == ssthresh,
 * congestion avoidance is used (RFC 5681 3.1 allows either).
 *
 * Congestion avoidance counts acked bytes (RFC 5681 3.1, RFC 3465 2.1):
 * when bytes_acked reaches cwnd, bytes_acked -= cwnd and cwnd += SMSS,
 * i.e. exactly one SMSS per cwnd of acknowledged data, the exact form of
 * the approximation cwnd += SMSS*SMSS/cwnd (eq. 3). At most one SMSS per
 * ACK.
 */
#include "stack/cc/cc.h"
#include "stack/cc/cc_builtin.h"

struct newreno_priv {
	uint32_t bytes_acked; /* congestion avoidance byte counter */
};
CC_PRIV_CHECK(struct newreno_priv);

static struct newreno_priv *newreno_priv(struct cc_conn *c)
{
	return cc_priv(c);
}

static void newreno_init(struct cc_conn *c)
{
	/* cwnd and ssthresh are set by cc_conn_init(); priv is zeroed. */
}

static void newreno_cong_avoid(struct cc_conn *c, uint32_t acked)
{
	struct newreno_priv *p = newreno_priv(c);

	if (c->cwnd < c->ssthresh) {
		/* RFC 5681 3.1 eq. 2: cwnd += min (N, SMSS) */
		c->cwnd = cc_sat_add(c->cwnd, cc_min(acked, c->smss));
		p->bytes_acked = 0;
		return;
	}
	/* RFC 3465 2.1 / RFC 5681 3.1: +1 SMSS per cwnd bytes acked. */
	p->bytes_acked = cc_sat_add(p->bytes_acked, acked);
	if (p->bytes_acked >= c->cwnd) {
		p->bytes_acked -= c->cwnd;
		c->cwnd = cc_sat_add(c->cwnd, c->smss);
	}
}

static void newreno_cong_signal(struct cc_conn *c, enum cc_event ev)
{
	struct newreno_priv *p = newreno_priv(c);
	/* RFC 5681 3.1 eq. 4: ssthresh = max (FlightSize / 2, 2*SMSS) */
	uint32_t ssthresh = cc_max(c->flight / 2, cc_sat_mul(2, c->smss));

	switch (ev) {
	case CC_EV_DUPACK:
		/* RFC 5681 3.2 step 2, RFC 6582 3.2 step 2:
		 * cwnd = ssthresh + 3*SMSS, inflated by the three segments
		 * that have left the network. */
		c->ssthresh = ssthresh;
		c->cwnd = cc_sat_add(ssthresh, cc_sat_mul(3, c->smss));
		break;
	case CC_EV_ECN:
		/* RFC 3168 6.1.2: halve cwnd and reduce ssthresh as for a
		 * loss, without retransmitting. cwnd = ssthresh, but never
		 * raised by an ECE ("SHOULD NOT increase the congestion
		 * window in response to the receipt of an ECN-Echo"): that
		 * matters only when cwnd < 2*SMSS. */
		c->ssthresh = ssthresh;
		c->cwnd = cc_min(c->cwnd, ssthresh);
		break;
	case CC_EV_RTO:
		/* RFC 5681 3.1: eq. 4, and cwnd = the loss window, 1 SMSS */
		c->ssthresh = ssthresh;
		c->cwnd = c->smss;
		break;
	default:
		return;
	}
	p->bytes_acked = 0;
}

static void newreno_post_recovery(struct cc_conn *c)
{
	/* RFC 6582 3.2 step 3, option 1:
	 * cwnd = min (ssthresh, max (FlightSize, SMSS) + SMSS) */
	c->cwnd = cc_min(c->ssthresh,
			 cc_sat_add(cc_max(c->flight, c->smss), c->smss));
	newreno_priv(c)->bytes_acked = 0;
}

const struct cc_ops cc_newreno_ops = {
	.name = "newreno",
	.init = newreno_init,
	.cong_avoid = newreno_cong_avoid,
	.cong_signal = newreno_cong_signal,
	.post_recovery = newreno_post_recovery,
	/* undo, after_idle: the defaults of cc.c (restore prior_*,
	 * RFC 5681 4.1 restart window) */
};
