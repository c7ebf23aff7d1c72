/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transmission control block (RFC 9293 3.3.1) and the engine's
 * internals, shared by the engine's own files only.
 */
#ifndef XTCP_STACK_TCB_H
#define XTCP_STACK_TCB_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "stack/cc/cc.h"
#include "stack/engine.h"
#include "stack/isn.h"
#include "stack/ooo.h"
#include "stack/ring.h"
#include "stack/rtt.h"
#include "stack/sack.h"
#include "stack/seq.h"
#include "stack/sockext.h"
#include "stack/timer_heap.h"
#include "xtcp/tcp_info.h"

/* Per-connection timers: one deadline each, the earliest one in the heap. */
enum tcb_timer {
	TT_REXMT, /* retransmission (RFC 6298), SYN included */
	TT_PERSIST, /* zero-window probe (RFC 9293 3.8.6.1) */
	TT_DELACK, /* delayed ACK (RFC 1122 4.2.3.2) */
	TT_KEEP, /* keep-alive (RFC 1122 4.2.3.6) */
	TT_2MSL, /* TIME-WAIT */
	TT_FINWAIT2, /* FIN-WAIT-2 flush of an orphaned connection */
	TT_MAX
};
#define TT_OFF UINT64_MAX

#define TF_ACKNOW (1u << 0) /* send an ACK at the next output */
#define TF_DELACK (1u << 1) /* an ACK is owed; the delayed-ACK timer runs */
#define TF_FIN_QUEUED (1u << 2) /* the application closed its write side */
#define TF_FIN_SENT (1u << 3) /* our FIN has been sent (is in snd_max) */
#define TF_RCVD_FIN (1u << 4) /* the peer's FIN has been processed */
#define TF_PASSIVE (1u << 5) /* created by a listener */
#define TF_USER_CLOSED (1u << 6) /* the application released its handle */
#define TF_SHUT_RD (1u << 7) /* the application will read no more */
#define TF_RTT_TIMING (1u << 8) /* rtt_seq is being timed */
#define TF_IN_RECOVERY (1u << 9) /* fast recovery (RFC 6582) */
#define TF_ACCEPTED (1u << 10) /* taken from the accept queue */
#define TF_FIN_PENDING \
	(1u << 11) /* an out-of-order FIN is waiting at rcv_fin_seq */
#define TF_FORCE_DATA \
	(1u << 12) /* the persist timer allows one byte past the window */
#define TF_REXMIT_EPISODE \
	(1u << 13) /* at least one RTO fired since the last advance */

/* Options of the SYN exchange (opt_offer: our SYN's; opt_on: in effect). */
#define TO_WS (1u << 0) /* RFC 7323 window scale */
#define TO_TS (1u << 1) /* RFC 7323 timestamps (and PAWS) */
#define TO_SACK (1u << 2) /* RFC 2018 SACK */
#define TO_ECN (1u << 3) /* RFC 3168 ECN */

/* Option state (t->oflags), apart from flags so the two never collide. */
#define OF_DSACK (1u << 0) /* a D-SACK block is due (RFC 2883) */
#define OF_ECE (1u << 1) /* CE seen: set ECE until CWR (RFC 3168 6.1.3) */
#define OF_CWR (1u << 2) /* cwnd reduced: CWR on new data (RFC 3168 6.1.2) */

#define TS_OPT_LEN 12 /* NOP, NOP, kind 8, length 10 (RFC 7323 App. A) */

/* RFC 7323 5.5: TS.Recent is not trusted after 24 days idle. */
#define TS_RECENT_IDLE_US (24ull * 86400 * 1000000)

struct tcb {
	struct engine *eng;
	struct tcb *hnext; /* hash chain */
	uint32_t defer_idx; /* 1 + its place in eng->deferred; 0: none */
	enum tcp_state state;
	uint32_t flags; /* TF_* */

	struct ip_addr laddr, faddr;
	uint16_t lport, fport;

	/* Send sequence space (RFC 9293 3.3.1, figure 4). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_sndwnd; /* largest window the peer offered */
	uint32_t smss; /* effective send MSS */
	uint32_t rmss; /* MSS we announced */
	uint8_t snd_wscale, rcv_wscale;

	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_wnd;
	uint32_t rcv_adv; /* right edge of the window last advertised */
	uint32_t rcv_fin_seq; /* with TF_FIN_PENDING */
	uint32_t unacked_segs; /* full-sized segments since our last ACK */

	/* Buffers: sndbuf's tail is at snd_una (after the SYN); rcvbuf's head
	 * at rcv_nxt. Out-of-order data sits beyond rcvbuf's head. */
	struct ring sndbuf, rcvbuf;
	uint32_t sndbuf_limit, rcvbuf_limit; /* logical sizes <= ring sizes */
	struct ooo ooo;

	/* Timers. */
	uint64_t deadline[TT_MAX];
	struct th_entry th;
	uint64_t rexmit_start; /* when retransmitting began, for the abort */
	uint64_t last_send; /* last data sent, for the RFC 5681 4.1 restart */

	/* RTT and loss recovery. */
	struct rtt_est rtt;
	uint32_t rtt_seq;
	uint64_t rtt_start;
	uint32_t dupacks;
	uint32_t recover; /* RFC 6582 "recover", RFC 6675 RecoveryPoint */
	struct cc_conn cc;

	/* Negotiated options (RFC 7323, 2018, 3168). */
	uint8_t opt_offer, opt_on; /* TO_* */
	uint8_t oflags; /* OF_* */
	uint32_t ts_offset; /* RFC 7323 5.4: added to the ms clock */
	uint32_t ts_recent; /* TS.Recent (RFC 7323 4.3) */
	uint64_t ts_recent_age; /* when TS.Recent was set */
	uint32_t last_ack_sent; /* Last.ACK.sent (RFC 7323 4.3) */
	uint32_t dsack_start, dsack_end; /* with OF_DSACK */
	struct sack_sb sb; /* the SACK scoreboard (RFC 6675) */
	uint32_t high_rxt; /* RFC 6675 HighRxt + 1 */

	struct sock_opts opts;
	int so_error;

	/* Listener side. */
	struct tcb *listener; /* for a child: its listener */
	struct tcb *q_next; /* accept queue / SYN queue link */
	struct tcb *acceptq, *acceptq_tail;
	uint32_t backlog, qlen, q0len;

	void *user;

	/* Counters for tcb_get_info. */
	uint64_t bytes_acked, bytes_received, segs_out, segs_in;
	uint32_t total_retrans;
	/* ...and for TCP_INFO (tcpinfo.c). */
	uint64_t bytes_sent, bytes_retrans; /* data octets sent; resent */
	uint64_t last_data_rcv; /* when in-order data last arrived */
	uint32_t data_segs_in, data_segs_out, dsack_dups, rcv_ooopack;
	uint32_t received_ce, total_rto, rto_recoveries;

	/* Keep-alive, urgent data, RST trace (sockext.h). */
	struct tcb_ext x;
};

struct engine {
	struct engine_ops ops;
	void *user;
	struct tunables tun;
	struct isn_gen isn;
	uint64_t rng;

	/* Connections by 4-tuple; listeners by (laddr, lport). */
	struct tcb **conn_tab;
	uint32_t conn_mask, nconn;
	struct tcb **listen_tab;
	uint32_t listen_mask, nlisten;
	uint8_t hash_key[16];

	struct timer_heap timers;

	/* RFC 5961 7 / illumos tcp_rst_sent_rate: per-second budgets. */
	uint64_t ack_limit_start, rst_limit_start;
	uint32_t ack_limit_count, rst_limit_count;
	uint32_t ack_limit_budget; /* this second's challenge ACKs */

	struct tcp_stats stats;
	uint16_t next_ephemeral;

	/* Between eng_batch_begin and eng_batch_end: connections whose
	 * output waits for the end of the batch (see eng_batch_begin). */
	bool batching;
	uint32_t ndeferred;
	struct tcb *deferred[ENG_BATCH_MAX];
};

/* engine.c */
/* After a segment: send now, or at the end of the batch (eng_batch_*). */
void tcb_output_after_input(struct tcb *t, uint64_t now);
void tcb_timer_set(struct tcb *t, enum tcb_timer which, uint64_t deadline);
void tcb_timer_clear(struct tcb *t, enum tcb_timer which);
/* Put the tcb in the heap at its earliest deadline (or take it out). */
void tcb_timer_resched(struct tcb *t);
void tcb_set_state(struct tcb *t, enum tcp_state s, uint64_t now);
/* The connection is over: report @err (0 for a normal end) and free the
 * tcb if the application no longer holds it. */
void tcb_closed(struct tcb *t, int err, uint64_t now);
void tcb_event(struct tcb *t, unsigned ev);
struct tcb *tcb_new(struct engine *e, const struct sock_opts *o, int *err);
void tcb_free(struct tcb *t);
/* A connection reached ESTABLISHED: start congestion control. */
void tcb_established(struct tcb *t, uint64_t now);
int tcb_alloc_buffers(struct tcb *t);
/* The application consumed @n received bytes: release them and send a
 * window update when the rules call for one (eng_recv, eng_rcv_consumed). */
void tcb_rcv_consume(struct tcb *t, uint32_t n, uint64_t now);
/* Give @r its memory if it has none yet; -ENOBUFS when there is none. */
int tcb_ring_ensure(struct tcb *t, struct ring *r, uint32_t limit);
int conn_insert(struct engine *e, struct tcb *t);
struct tcb *conn_lookup(struct engine *e, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *faddr,
			uint16_t fport);
/* The listener for a segment from (@faddr, @fport) to (@laddr, @lport). */
struct tcb *listen_lookup(struct engine *e, const struct ip_addr *laddr,
			  uint16_t lport, const struct ip_addr *faddr,
			  uint16_t fport);
uint64_t eng_rand(struct engine *e);
/* RFC 7323 5.4: a connection's timestamp offset, keyed by its 4-tuple. */
uint32_t eng_ts_offset(const struct engine *e, const struct tcb *t);
bool eng_rate_ok(uint64_t *start, uint32_t *count, uint32_t limit,
		 uint64_t now);

/* input.c */
void tcp_input(struct engine *e, const struct pkt *p, uint64_t now);

/* output.c */
void tcp_output(struct tcb *t, uint64_t now);
void tcp_send_ack(struct tcb *t, uint64_t now);
void tcp_send_challenge_ack(struct tcb *t, uint64_t now);
/* RST in answer to a segment (RFC 9293 3.10.7.1 / "reset generation"). */
void tcp_respond_rst(struct engine *e, const struct pkt *p, uint64_t now);
void tcp_send_rst(struct tcb *t, uint64_t now);
/* A segment without data at @seq (a keep-alive probe). */
void tcp_send_ctl(struct tcb *t, uint8_t flags, uint32_t seq, uint64_t now);
uint32_t tcp_rcv_window(const struct tcb *t);
/* The send MSS from the peer's option (0 = absent) and our limits. */
void tcp_set_smss(struct tcb *t, uint32_t peer_mss);
void tcp_build_syn_opts(const struct tcb *t, struct tcp_opts *o, uint64_t now);
/* What our SYN offers on an active open (tunables, tcp(4P)). */
void tcp_choose_offer(struct tcb *t);
/* RFC 7323 2.3: the smallest shift that lets the window cover @buf. */
uint8_t tcp_wscale_for(uint32_t buf);
/* Retransmit @len octets at @seq (SACK recovery, RFC 6675). */
void tcp_sack_rexmit(struct tcb *t, uint32_t seq, uint32_t len, uint64_t now);

/* tcpinfo.c: TCP_INFO as Linux's struct tcp_info, of a connection (or
 * listener) at time @now, or of a socket not yet connected. */
void tcb_tcp_info(const struct tcb *t, struct xtcp_tcp_info *ti, uint64_t now);
void sockopts_tcp_info(const struct sock_opts *o, struct xtcp_tcp_info *ti);

/* timer.c */
void tcb_timers_fire(struct tcb *t, uint64_t now);
void tcp_arm_rexmt(struct tcb *t, uint64_t now);

/* RFC 7323 5.4: TSval, a millisecond clock with a per-connection offset. */
static inline uint32_t tcp_ts_now(const struct tcb *t, uint64_t now)
{
	return (uint32_t)(now / 1000) + t->ts_offset;
}

/* In RFC 6675 loss recovery (SACK negotiated). */
static inline bool tcb_sack_recovery(const struct tcb *t)
{
	return (t->opt_on & TO_SACK) && (t->flags & TF_IN_RECOVERY);
}

static inline uint32_t tcb_snd_outstanding(const struct tcb *t)
{
	return t->snd_max - t->snd_una;
}

/*
 * The sequence number of the first byte in the send buffer: the buffer's
 * tail is at snd_una once our SYN is acknowledged, and right after the SYN
 * before that. A queued FIN follows the last buffered byte.
 */
static inline uint32_t tcb_data_seq0(const struct tcb *t)
{
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		return t->iss + 1;
	return t->snd_una;
}

static inline uint32_t tcb_fin_seq(const struct tcb *t)
{
	return tcb_data_seq0(t) + ring_used(&t->sndbuf);
}

/* Bytes in the send buffer at or beyond snd_nxt. */
static inline uint32_t tcb_snd_unsent(const struct tcb *t)
{
	uint32_t used = ring_used(&t->sndbuf);
	uint32_t off = t->snd_nxt - tcb_data_seq0(t);

	if (seq_lt(t->snd_nxt, tcb_data_seq0(t)))
		return used; /* the SYN itself is still to be (re)sent */
	return off < used ? used - off : 0;
}

#endif
