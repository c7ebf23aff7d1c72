// SPDX-License-Identifier: BSD-2-Clause
/*
 * Congestion control framework: the registry of algorithms and the
 * dispatch helpers the engine calls. See cc.h for the contract.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "stack/cc/cc.h"
#include "stack/cc/cc_builtin.h"
#include "stack/seq.h"

/*
 * The registry: the only file-scope mutable state of the engine. Filled at
 * start-up, read-only afterwards. NewReno is present from the start so the
 * fallback can always be found by name.
 */
static const struct cc_ops *cc_registry[CC_MAX_ALGOS] = { &cc_newreno_ops };
static int cc_registry_len = 1;

/* CUBIC (RFC 9438), in cubic.c */
extern const struct cc_ops cc_cubic_ops;

/* The algorithms cc_init_builtin() makes sure are registered. */
static const struct cc_ops *const cc_builtins[] = {
	&cc_newreno_ops,
	&cc_cubic_ops,
};

/* RFC 9293 3.7.1: the default effective send MSS (IPv4) */
#define CC_DEFAULT_SMSS 536

static bool cc_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, CC_NAME_MAX);
	if (len == 0 || len >= CC_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '.'))
			return false;
	}
	return true;
}

int cc_register(const struct cc_ops *ops)
{
	if (!ops || !ops->init || !ops->cong_avoid || !ops->cong_signal ||
	    !cc_name_valid(ops->name))
		return -EINVAL;
	if (cc_find(ops->name))
		return -EEXIST;
	if (cc_registry_len >= CC_MAX_ALGOS)
		return -ENOSPC;
	cc_registry[cc_registry_len++] = ops;
	return 0;
}

const struct cc_ops *cc_find(const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < cc_registry_len; i++)
		if (strncmp(cc_registry[i]->name, name, CC_NAME_MAX) == 0)
			return cc_registry[i];
	return NULL;
}

void cc_init_builtin(void)
{
	for (size_t i = 0; i < sizeof(cc_builtins) / sizeof(cc_builtins[0]);
	     i++)
		if (!cc_find(cc_builtins[i]->name))
			cc_register(cc_builtins[i]);
}

const struct cc_ops *cc_newreno(void)
{
	return &cc_newreno_ops;
}

int cc_list(const char **names, int max)
{
	int n;

	if (!names || max <= 0)
		return cc_registry_len;
	n = max < cc_registry_len ? max : cc_registry_len;
	for (int i = 0; i < n; i++)
		names[i] = cc_registry[i]->name;
	return n;
}

void cc_registry_reset(void)
{
	memset(cc_registry, 0, sizeof(cc_registry));
	cc_registry[0] = &cc_newreno_ops;
	cc_registry_len = 1;
}

/* --- dispatch helpers ---------------------------------------------------- */

static const struct cc_ops *cc_ops_of(const struct cc_conn *c)
{
	/* A connection that was never initialised gets the fallback rather
	 * than a NULL dereference. */
	return c->ops ? c->ops : &cc_newreno_ops;
}

/* cwnd never below one SMSS: the loss window (RFC 5681 3.1). */
static void cc_clamp_cwnd(struct cc_conn *c)
{
	if (c->cwnd < c->smss)
		c->cwnd = c->smss;
}

/* After a congestion signal: ssthresh >= 2*SMSS (RFC 5681 eq. 4). */
static void cc_clamp_signal(struct cc_conn *c)
{
	uint32_t floor = cc_sat_mul(2, c->smss);

	if (c->ssthresh < floor)
		c->ssthresh = floor;
	cc_clamp_cwnd(c);
}

/* The window of the last ECN reduction is over once something sent after
 * it (the segment carrying CWR, RFC 3168 6.1.2) is acknowledged. */
static void cc_cwr_expire(struct cc_conn *c)
{
	if (c->in_cwr && seq_gt(c->snd_una, c->cwr_seq))
		c->in_cwr = false;
}

static void cc_save_prior(struct cc_conn *c)
{
	c->prior_cwnd = c->cwnd;
	c->prior_ssthresh = c->ssthresh;
}

void cc_conn_init(struct cc_conn *c, const struct cc_ops *ops, uint32_t smss,
		  uint32_t initial_cwnd)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops ? ops : &cc_newreno_ops;
	c->smss = smss ? smss : CC_DEFAULT_SMSS;
	c->cwnd = initial_cwnd ? initial_cwnd : cc_initial_window(c->smss);
	cc_clamp_cwnd(c);
	/* RFC 5681 3.1: "The initial value of ssthresh SHOULD be set
	 * arbitrarily high (e.g., to the size of the largest possible
	 * advertised window)". */
	c->ssthresh = UINT32_MAX;
	c->ops->init(c);
	cc_clamp_cwnd(c);
}

void cc_conn_release(struct cc_conn *c)
{
	const struct cc_ops *ops = cc_ops_of(c);

	if (ops->release)
		ops->release(c);
}

void cc_conn_set_ops(struct cc_conn *c, const struct cc_ops *ops)
{
	cc_conn_release(c);
	memset(c->priv, 0, sizeof(c->priv));
	c->ops = ops ? ops : &cc_newreno_ops;
	c->ops->init(c);
	cc_clamp_cwnd(c);
}

void cc_on_ack(struct cc_conn *c, uint32_t acked)
{
	if (acked == 0)
		return;
	/* New data is acked: a later RTO is for another segment. */
	c->in_rto = false;
	cc_cwr_expire(c);
	/* Fast recovery sizes cwnd itself (RFC 5681 3.2, RFC 6582 3.2); after
	 * an ECE the sender SHOULD NOT increase cwnd (RFC 3168 6.1.2). */
	if (c->in_recovery || c->in_cwr)
		return;
	cc_ops_of(c)->cong_avoid(c, acked);
	cc_clamp_cwnd(c);
}

static void cc_undo(struct cc_conn *c)
{
	const struct cc_ops *ops = cc_ops_of(c);

	if (ops->undo) {
		ops->undo(c);
	} else {
		c->cwnd = cc_max(c->cwnd, c->prior_cwnd);
		c->ssthresh = cc_max(c->ssthresh, c->prior_ssthresh);
	}
	c->in_rto = false;
	cc_clamp_signal(c);
}

void cc_on_signal(struct cc_conn *c, enum cc_event ev)
{
	const struct cc_ops *ops = cc_ops_of(c);

	switch (ev) {
	case CC_EV_DUPACK:
		cc_save_prior(c);
		ops->cong_signal(c, ev);
		cc_clamp_signal(c);
		/* Fast recovery supersedes an ECN reduction in progress. */
		c->in_cwr = false;
		c->in_rto = false;
		break;
	case CC_EV_ECN:
		/* RFC 3168 6.1.2: react at most once per window of data, and
		 * not at all if a loss reduction is already in progress (fast
		 * recovery, or an RTO with nothing new acked yet). */
		cc_cwr_expire(c);
		if (c->in_recovery || c->in_cwr || c->in_rto)
			break;
		cc_save_prior(c);
		ops->cong_signal(c, ev);
		cc_clamp_signal(c);
		c->in_cwr = true;
		c->cwr_seq = c->snd_nxt;
		break;
	case CC_EV_RTO:
		if (c->in_rto && c->snd_una == c->rto_una) {
			/* The same segment timed out again (exponential
			 * backoff): ssthresh is not reduced again, since eq. 4
			 * applies only when "the given segment has not yet
			 * been resent by way of the retransmission timer"
			 * (RFC 5681 3.1); prior_* keep the values from before
			 * the first timeout for undo. cwnd is the loss
			 * window. */
			c->cwnd = c->smss;
			break;
		}
		cc_save_prior(c);
		ops->cong_signal(c, ev);
		cc_clamp_signal(c);
		c->in_cwr = false;
		c->in_rto = true;
		c->rto_una = c->snd_una;
		break;
	case CC_EV_RTO_ERR:
		cc_undo(c);
		break;
	case CC_EV_ACK:
	default:
		/* Not a signal: growth goes through cc_on_ack(). */
		break;
	}
}

void cc_on_exit_recovery(struct cc_conn *c)
{
	const struct cc_ops *ops = cc_ops_of(c);

	if (ops->post_recovery)
		ops->post_recovery(c);
	else
		c->cwnd = c->ssthresh; /* RFC 5681 3.2 step 6 */
	cc_clamp_cwnd(c);
}

void cc_on_idle_restart(struct cc_conn *c, uint32_t restart_window)
{
	const struct cc_ops *ops = cc_ops_of(c);

	if (ops->after_idle)
		ops->after_idle(c, restart_window);
	else
		c->cwnd = cc_min(c->cwnd, restart_window); /* RFC 5681 4.1 */
	cc_clamp_cwnd(c);
}

void cc_on_rtt(struct cc_conn *c, uint32_t rtt_us)
{
	const struct cc_ops *ops = cc_ops_of(c);

	/* min_rtt_us == 0 means unknown, so a sample is at least 1 us. */
	if (rtt_us == 0)
		rtt_us = 1;
	if (c->min_rtt_us == 0 || rtt_us < c->min_rtt_us)
		c->min_rtt_us = rtt_us;
	if (ops->rtt_sample)
		ops->rtt_sample(c, rtt_us);
}

uint32_t cc_initial_window(uint32_t smss)
{
	/* RFC 3390 1: min (4*MSS, max (2*MSS, 4380 bytes)) */
	return cc_min(cc_sat_mul(4, smss), cc_max(cc_sat_mul(2, smss), 4380));
}

void cc_recovery_dupack(struct cc_conn *c)
{
	/* RFC 5681 3.2 step 4 / RFC 6582 3.2 step 4: inflate by one SMSS for
	 * each additional duplicate ACK. */
	c->cwnd = cc_sat_add(c->cwnd, c->smss);
}

void cc_recovery_partial_ack(struct cc_conn *c, uint32_t acked)
{
	/* RFC 6582 3.2 step 5: "deflate the congestion window by the amount
	 * of new data acknowledged by the Cumulative Acknowledgment field. If
	 * the partial ACK acknowledges at least one SMSS of new data, then add
	 * back SMSS bytes to the congestion window." */
	c->cwnd = cc_sat_sub(c->cwnd, acked);
	if (acked >= c->smss)
		c->cwnd = cc_sat_add(c->cwnd, c->smss);
	cc_clamp_cwnd(c);
}
