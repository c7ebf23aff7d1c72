/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pluggable congestion control (in the manner of Linux tcp_congestion_ops
 * and FreeBSD cc_algo).
 *
 * Division of labour:
 *  - The engine core owns loss detection and the recovery state machine:
 *    duplicate ACK counting, fast retransmit, the RFC 6582 "recover"
 *    variable and partial ACKs, later RFC 6675 SACK recovery, the RTO timer.
 *    It sets in_recovery and keeps the measured fields of struct cc_conn
 *    (flight, snd_una, snd_nxt, srtt_us, min_rtt_us, now_us, smss) current
 *    before it calls any cc_on_*() helper.
 *  - Congestion control owns cwnd and ssthresh: growth on new ACKs (slow
 *    start, congestion avoidance) and the response to congestion signals.
 *
 * The engine calls only the cc_on_*() / cc_conn_*() helpers, never the ops
 * directly: the helpers fill in the defaults of optional callbacks, save
 * prior_cwnd/prior_ssthresh before a reduction (for CC_EV_RTO_ERR undo) and
 * keep the invariants every algorithm must respect:
 *  - cwnd >= smss at all times (RFC 5681 3.1: the loss window is one SMSS);
 *  - ssthresh >= 2 * smss after a congestion signal (RFC 5681 eq. 4);
 *  - no arithmetic wraps: sizes saturate at UINT32_MAX.
 *
 * All of it is pure: no syscalls, no clock reads (time is c->now_us), no
 * allocation. The only file-scope mutable state is the registry of
 * algorithms, filled at start-up (cc_init_builtin(), cc_register()) and
 * read-only afterwards; it is not locked, so register from one thread
 * before connections exist.
 *
 * Sizes are in bytes, times in microseconds.
 */
#ifndef XTCP_STACK_CC_CC_H
#define XTCP_STACK_CC_CC_H

#include <stdbool.h>
#include <stdint.h>

struct cc_ops;

enum cc_event {
	/* new data acked outside recovery */
	CC_EV_ACK,
	/* loss detected by duplicate ACKs / SACK: entering fast recovery */
	CC_EV_DUPACK,
	/* ECN-Echo received (RFC 3168 6.1.2): reduce once per window */
	CC_EV_ECN,
	/* retransmission timeout */
	CC_EV_RTO,
	/* the last RTO was spurious (e.g. RFC 5682/timestamps): undo */
	CC_EV_RTO_ERR,
};

#define CC_PRIV_SIZE 64
#define CC_NAME_MAX 16 /* including the NUL: names are 1..15 characters */
#define CC_MAX_ALGOS 16 /* registry capacity, built-in algorithms included */

/* what congestion control sees of a connection */
struct cc_conn {
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t smss; /* sender MSS, bytes */
	uint32_t flight; /* FlightSize: bytes sent and not yet acked */
	uint32_t snd_una, snd_nxt;
	uint32_t srtt_us, min_rtt_us; /* 0 when unknown */
	uint64_t now_us; /* engine time of the current event */
	/* saved on CC_EV_RTO/DUPACK/ECN for CC_EV_RTO_ERR undo */
	uint32_t prior_cwnd, prior_ssthresh;
	bool in_recovery; /* maintained by the engine core */
	const struct cc_ops *ops;
	/* algorithm private area, zeroed before init */
	uint64_t priv[CC_PRIV_SIZE / 8];

	/*
	 * Bookkeeping of the dispatch helpers in cc.c. Neither the engine
	 * nor the algorithms touch these; cc_conn_init() zeroes them.
	 */
	/* an ECN reduction's window, up to cwr_seq, is still being acked
	 * (RFC 3168 6.1.2: reduce once per window, do not grow meanwhile) */
	bool in_cwr;
	uint32_t cwr_seq; /* snd_nxt at the last ECN reduction */
	/* an RTO happened at snd_una == rto_una and no new data has been
	 * acked since (RFC 5681 3.1: a backed-off retransmission) */
	bool in_rto;
	uint32_t rto_una;
};

struct cc_ops {
	/* required, <= 15 chars, unique */
	const char *name;
	/* required: set initial state (cwnd set by the core beforehand from
	 * the initial window; priv is zeroed) */
	void (*init)(struct cc_conn *c);
	/* required: CC_EV_ACK — slow start / congestion avoidance growth for
	 * 'acked' newly acked bytes */
	void (*cong_avoid)(struct cc_conn *c, uint32_t acked);
	/* required: CC_EV_DUPACK / CC_EV_ECN / CC_EV_RTO: set ssthresh and
	 * cwnd */
	void (*cong_signal)(struct cc_conn *c, enum cc_event ev);
	/* optional: leaving fast recovery (full ACK); default cwnd = ssthresh
	 * ("deflating the window", RFC 5681 3.2 step 6) */
	void (*post_recovery)(struct cc_conn *c);
	/* optional: CC_EV_RTO_ERR; default restores prior_cwnd/prior_ssthresh
	 * (never lowering either: cwnd = max(cwnd, prior_cwnd), the same for
	 * ssthresh) */
	void (*undo)(struct cc_conn *c);
	/* optional: RFC 5681 4.1 restart; default
	 * cwnd = min(cwnd, restart_window) */
	void (*after_idle)(struct cc_conn *c, uint32_t restart_window);
	/* optional (CUBIC/HyStart use it) */
	void (*rtt_sample)(struct cc_conn *c, uint32_t rtt_us);
	/* optional */
	void (*release)(struct cc_conn *c);
};

/*
 * Registry. Names are 1..15 characters of [A-Za-z0-9_.-].
 * cc_register: 0, or -EINVAL (NULL ops, missing required callback or bad
 * name), -EEXIST (duplicate name), -ENOSPC (registry full: CC_MAX_ALGOS).
 */
int cc_register(const struct cc_ops *ops);
/* NULL if unknown (the socket layer turns that into ENOENT) */
const struct cc_ops *cc_find(const char *name);
/* registers newreno and cubic; idempotent. NewReno is in the
 * registry from the start, so cc_find("newreno") works even before. */
void cc_init_builtin(void);
/* always present, the fallback */
const struct cc_ops *cc_newreno(void);
/*
 * Registered names, for xtcpctl, in registration order. Stores up to max
 * names and returns how many it stored; with names == NULL or max <= 0 it
 * stores nothing and returns how many are registered.
 */
int cc_list(const char **names, int max);
/*
 * Test-only: put the registry back in its start-up state (NewReno alone).
 * Never call it while connections hold ops from the registry.
 */
void cc_registry_reset(void);

/*
 * Dispatch helpers the engine calls; they fill defaults for optional
 * callbacks and save prior_* before signals. The engine updates the
 * measured fields of *c (flight, snd_una, snd_nxt, now_us, ...) first;
 * snd_una and snd_nxt must be current, since the ECN once-per-window rule
 * and the backed-off RTO rule below are stated in sequence space.
 */

/*
 * Initialise *c completely: every field is zeroed, then ops (NULL means
 * NewReno), smss (0 means 536, the RFC 9293 3.7.1 default), cwnd =
 * initial_cwnd (0 means cc_initial_window(smss); never below smss) and
 * ssthresh = UINT32_MAX ("arbitrarily high", RFC 5681 3.1) are set and
 * ops->init() is called. The engine fills in the measured fields after.
 */
void cc_conn_init(struct cc_conn *c, const struct cc_ops *ops, uint32_t smss,
		  uint32_t initial_cwnd);
/*
 * CC_EV_ACK: 'acked' bytes of new data were cumulatively acknowledged.
 * Ignored while in_recovery (the engine manages cwnd in fast recovery, see
 * cc_recovery_dupack()/cc_recovery_partial_ack()) and within the window of
 * an ECN reduction (RFC 3168 6.1.2: no growth in response to ECE ACKs).
 */
void cc_on_ack(struct cc_conn *c, uint32_t acked);
/*
 * handles CC_EV_RTO_ERR via undo. Notes:
 *  - CC_EV_ECN is ignored while in_recovery, after an RTO until new data
 *    is acked, and while the window of the previous ECN reduction is
 *    still unacknowledged (RFC 3168 6.1.2).
 *  - A CC_EV_RTO for the same segment as the previous one (no new data
 *    acked in between: a backed-off retransmission) only sets cwnd to one
 *    SMSS; ssthresh and prior_* are kept (RFC 5681 3.1, eq. 4 applies
 *    only if "the given segment has not yet been resent by way of the
 *    retransmission timer").
 *  - CC_EV_ACK is not a signal and is ignored here (use cc_on_ack()).
 */
void cc_on_signal(struct cc_conn *c, enum cc_event ev);
/* Leaving fast recovery: the ACK that covers "recover" (RFC 6582 3.2 step 3) */
void cc_on_exit_recovery(struct cc_conn *c);
/* Restart after idle (RFC 5681 4.1); restart_window is normally the IW */
void cc_on_idle_restart(struct cc_conn *c, uint32_t restart_window);
/* An RTT sample (RFC 6298 rules apply: no samples from retransmissions).
 * Also lowers min_rtt_us to the sample if it is unknown or higher. */
void cc_on_rtt(struct cc_conn *c, uint32_t rtt_us);
/* RFC 3390: min(4*MSS, max(2*MSS, 4380)) bytes */
uint32_t cc_initial_window(uint32_t smss);

/* Additions beyond the core contract. */

/* Calls ops->release() if there is one; *c keeps its last cwnd/ssthresh. */
void cc_conn_release(struct cc_conn *c);
/*
 * Switch a live connection to another algorithm (setsockopt
 * TCP_CONGESTION): releases the old one, zeroes priv, calls the new
 * init(). cwnd and ssthresh carry over. NULL means NewReno.
 */
void cc_conn_set_ops(struct cc_conn *c, const struct cc_ops *ops);
/*
 * Fast recovery window arithmetic, for the engine's recovery state
 * machine, saturating and never below one SMSS:
 *  cc_recovery_dupack: each further duplicate ACK inflates cwnd by SMSS
 *    (RFC 5681 3.2 step 4, RFC 6582 3.2 step 4);
 *  cc_recovery_partial_ack: deflate cwnd by the newly acked bytes and add
 *    back SMSS if at least SMSS was acked (RFC 6582 3.2 step 5).
 */
void cc_recovery_dupack(struct cc_conn *c);
void cc_recovery_partial_ack(struct cc_conn *c, uint32_t acked);

/* For algorithms: their private state, which must fit CC_PRIV_SIZE. */
#define CC_PRIV_CHECK(type)                          \
	_Static_assert(sizeof(type) <= CC_PRIV_SIZE, \
		       #type " does not fit CC_PRIV_SIZE")

static inline void *cc_priv(struct cc_conn *c)
{
	return c->priv;
}

/* Saturating helpers shared by the algorithms. */
static inline uint32_t cc_sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static inline uint32_t cc_sat_sub(uint32_t a, uint32_t b)
{
	return a > b ? a - b : 0;
}

static inline uint32_t cc_sat_mul(uint32_t a, uint32_t b)
{
	uint64_t p = (uint64_t)a * b;

	return p > UINT32_MAX ? UINT32_MAX : (uint32_t)p;
}

static inline uint32_t cc_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t cc_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

#endif /* XTCP_STACK_CC_CC_H */
