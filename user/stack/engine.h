/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The protocol engine's public interface.
 *
 * The engine is a pure state machine: it never reads a clock, never makes a
 * system call and never touches a NIC. Time comes in as a value (`now`, in
 * microseconds of any monotonic clock), received segments come in already
 * parsed (struct pkt), and segments go out through ops->output. The daemon,
 * the simulator and the scripted tests drive it the same way:
 *
 *	eng_input(e, &pkt, now);      // for each received segment
 *	eng_timers(e, now);           // when now >= eng_next_deadline(e)
 *	eng_send / eng_recv / ...     // on behalf of applications
 *
 * Every call may emit segments and events synchronously, before it returns.
 */
#ifndef XTCP_STACK_ENGINE_H
#define XTCP_STACK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "stack/tunables.h"
#include "wire/ip.h"
#include "wire/packet.h"
#include "wire/tcp.h"

struct engine;
struct tcb;

/* A segment the engine emits: addressing, a TCP header, and its data. */
struct seg_out {
	struct ip_addr src, dst;
	uint8_t ttl;
	uint8_t tos; /* including the ECN codepoint */
	struct tcp_hdr th; /* opts filled; doff and csum left to emit */
	struct iovec data[2]; /* payload, in at most two pieces (ring wrap) */
	uint8_t ndata;
	uint32_t len; /* payload bytes */
	const struct tcb *tcb; /* NULL for a reply to a segment without one */
};

/* Socket events passed to ops->event (a bit mask). */
#define EV_READABLE (1u << 0) /* data, FIN or an error to read */
#define EV_WRITABLE (1u << 1) /* send buffer space opened */
#define EV_CONNECTED (1u << 2) /* an active open completed */
#define EV_ACCEPTABLE (1u << 3) /* a listener has a connection to accept */
#define EV_ERROR (1u << 4) /* so_error was set */
#define EV_CLOSED (1u << 5) /* the connection reached CLOSED */
#define EV_URGENT (1u << 6) /* urgent data arrived (SIGURG) */

struct engine_ops {
	/* Emit one segment; @seg is valid only during the call. */
	void (*output)(void *user, const struct seg_out *seg);
	/*
	 * Socket state changed for @tcb (a mask of EV_*). Optional. Called in
	 * the middle of the engine's work: it must not call back into the
	 * engine (no eng_* on any tcb); note the event and act after the
	 * engine call returns.
	 */
	void (*event)(void *user, struct tcb *tcb, unsigned events);
	/*
	 * Socket buffer memory for a connection's rings (power-of-two size).
	 * Optional: malloc/free by default. Returning NULL fails the open with
	 * ENOBUFS.
	 */
	void *(*buf_alloc)(void *user, size_t size);
	void (*buf_free)(void *user, void *mem, size_t size);
	/* The MTU towards @dst, for the MSS we announce. Optional: 1500. */
	uint32_t (*path_mtu)(void *user, const struct ip_addr *dst);
	/*
	 * One line of an RST trace (tcp_trace, trace.c): a connection ended
	 * by RST, and these were its last segments. Optional. Like event, it
	 * must not call back into the engine.
	 */
	void (*trace)(void *user, const struct tcb *t, const char *line);
};

struct engine_config {
	struct tunables tun;
	uint8_t isn_key[16]; /* secret for RFC 6528; the daemon reads getrandom */
	uint64_t seed; /* for ISN mode 1 and any other randomness */
};

/* RFC 9293 3.3.2 states. */
enum tcp_state {
	TCPS_CLOSED = 0,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
	TCPS_NSTATES
};

const char *tcp_state_name(enum tcp_state s);

/* Per-connection settings: socket options, with tunables as defaults. */
struct sock_opts {
	uint32_t rto_initial_ms, rto_min_ms, rto_max_ms;
	uint32_t conn_abort_ms; /* TCP_CONN_ABORT_THRESHOLD, 0 = never */
	uint32_t abort_ms; /* TCP_ABORT_THRESHOLD, 0 = never */
	uint32_t sndbuf, rcvbuf; /* SO_SNDBUF, SO_RCVBUF */
	uint32_t init_cwnd; /* TCP_INIT_CWND segments, 0 = default */
	uint32_t linger2_ms; /* TCP_LINGER2: FIN-WAIT-2 flush */
	uint32_t mss; /* TCP_MAXSEG; 0 = from the route MTU */
	uint8_t ttl, tos;
	bool nodelay; /* TCP_NODELAY */
	bool cork; /* TCP_CORK */
	bool quickack; /* TCP_QUICKACK */
	char cc[CC_NAME_MAX]; /* TCP_CONGESTION, "" = system default */
	/* Keep-alive (RFC 1122 4.2.3.6), see keepalive.c. */
	bool keepalive; /* SO_KEEPALIVE */
	uint32_t keepidle_ms; /* TCP_KEEPALIVE_THRESHOLD / TCP_KEEPIDLE */
	uint32_t keepintvl_ms; /* TCP_KEEPINTVL */
	uint32_t keepcnt; /* TCP_KEEPCNT, 0 = by keep_abort_ms */
	uint32_t keep_abort_ms; /* TCP_KEEPALIVE_ABORT_THRESHOLD, 0 = never */
	bool oobinline; /* SO_OOBINLINE */
	bool exclbind; /* SO_EXCLBIND, for the socket layer's bind */
	/* Set by the socket layer before eng_listen (its bind decided):
	 * IPV6_V6ONLY, a wildcard listener takes no IPv4; SO_REUSEPORT,
	 * listeners on one address and port that all have it share the
	 * connections by a hash of the 4-tuple. */
	bool v6only, reuseport;
	bool linger_on; /* SO_LINGER l_onoff: l_linger 0 makes close a RST */
	uint32_t linger_s; /* SO_LINGER l_linger, for the socket layer */
	/* SO_SNDBUF or SO_RCVBUF set above 64K before connect/listen: ask for
	 * window scale even without tcp_wscale_always (tcp(4P), RFC 7323). */
	bool buf_big;
};

/* Fill @o from the engine's tunables (what a new socket starts with). */
void eng_default_opts(const struct engine *e, struct sock_opts *o);

/* Engine life cycle. Returns NULL on allocation failure. */
struct engine *eng_create(const struct engine_config *cfg,
			  const struct engine_ops *ops, void *user);
void eng_destroy(struct engine *e);
struct tunables *eng_tunables(struct engine *e);

/* Counters (RFC 4022 tcpMIB names where there is one). */
struct tcp_stats {
	uint64_t tcpActiveOpens, tcpPassiveOpens, tcpAttemptFails,
		tcpEstabResets, tcpInSegs, tcpOutSegs, tcpRetransSegs,
		tcpInErrs, tcpOutRsts;
	uint64_t in_bad_wire[32]; /* by enum wire_err */
	uint64_t challenge_acks, challenge_acks_limited, rsts_limited;
	uint64_t dup_acks_in, fast_retransmits, rto_expiries, timeouts,
		ooo_segs_in, ooo_dropped, dup_segs_in, listen_drops, syn_drops,
		paws_drops, zero_window_probes, delayed_acks, rcv_nobufs;
	/* RFC 7323 3.2: segments without the negotiated timestamp option. */
	uint64_t ts_missing_drops;
	/* SACK (RFC 2018, 2883, 6675) and ECN (RFC 3168). */
	uint64_t sack_blocks_in, dsacks_in, dsacks_out, sack_recoveries,
		ecn_ce_in, ecn_ece_in, ecn_reductions;
	uint64_t bytes_in, bytes_out, bytes_retrans;
};
const struct tcp_stats *eng_stats(const struct engine *e);
/* Count a frame the caller's parser rejected (enum wire_err). */
void eng_count_bad_wire(struct engine *e, int wire_err);

/* Input and timers. */
void eng_input(struct engine *e, const struct pkt *p, uint64_t now);

/*
 * Segments that arrived together: between eng_batch_begin and
 * eng_batch_end, what a connection sends in answer to an in-order segment
 * (an ACK, data the ACK let out) waits for the end of the batch, so a
 * burst of N segments is acknowledged once with the state after all of
 * them, as Linux does after GRO merged them. Anything urgent (a duplicate
 * ACK for out-of-order data, an answer to an unacceptable segment, RST,
 * handshake) still goes at once. At most ENG_BATCH_MAX connections wait;
 * beyond that they send at once.
 */
#define ENG_BATCH_MAX 64
void eng_batch_begin(struct engine *e);
void eng_batch_end(struct engine *e, uint64_t now);
void eng_timers(struct engine *e, uint64_t now);
/* The earliest time eng_timers has work; UINT64_MAX when none. */
uint64_t eng_next_deadline(const struct engine *e);

/*
 * Sockets. Addresses are 16-byte (IPv4 mapped). A tcb returned to the
 * caller stays valid until eng_close() on it, whatever the connection does.
 */
/*
 * A listener on (@laddr, @lport): -EADDRINUSE when one is there already,
 * unless it and @o both have reuseport (then they share). A segment's
 * listener: the exact address, then the IPv4 wildcard (for IPv4), then
 * the IPv6 one (not for IPv4 if v6only).
 */
struct tcb *eng_listen(struct engine *e, const struct ip_addr *laddr,
		       uint16_t lport, uint32_t backlog,
		       const struct sock_opts *o, int *err);
/* Pop a completed connection from @l's accept queue; -EAGAIN if none. */
struct tcb *eng_accept(struct tcb *l, int *err);
/* Active open; the SYN goes out before it returns. */
struct tcb *eng_connect(struct engine *e, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *faddr,
			uint16_t fport, const struct sock_opts *o, uint64_t now,
			int *err);

#define SEND_OOB (1u << 0) /* MSG_OOB: the last byte is urgent */
#define SEND_MORE (1u << 1) /* MSG_MORE: hold like TCP_CORK */
/* Queue data; returns bytes taken, -EAGAIN when full, -EPIPE, -errno. */
long eng_send(struct tcb *t, const void *buf, size_t len, unsigned flags,
	      uint64_t now);
#define RECV_PEEK (1u << 0)
#define RECV_OOB (1u << 1)
/* Read data; returns bytes, 0 at end of stream, -EAGAIN, -errno. */
long eng_recv(struct tcb *t, void *buf, size_t len, unsigned flags,
	      uint64_t now);
/* SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2 as in <sys/socket.h>. */
int eng_shutdown(struct tcb *t, int how, uint64_t now);
/*
 * Release the caller's handle: a graceful close (FIN after queued data),
 * or an abortive one (RST) with @abort, as SO_LINGER with l_linger 0 does.
 * Unread received data also turns a close into RST (RFC 9293 3.10.4 /
 * RFC 2525 2.17). The engine frees the tcb when the connection is done.
 */
void eng_close(struct tcb *t, bool abort, uint64_t now);

/* Socket state for the layer above. */
enum tcp_state tcb_state(const struct tcb *t);
int tcb_take_error(struct tcb *t); /* SO_ERROR: read and clear */
uint32_t tcb_readable(const struct tcb *t); /* bytes ready to read */
uint32_t tcb_writable(const struct tcb *t); /* send buffer space */
bool tcb_eof(const struct tcb *t); /* peer's FIN consumed in order */
void tcb_set_user(struct tcb *t, void *user);
void *tcb_user(const struct tcb *t);
void tcb_addrs(const struct tcb *t, struct ip_addr *laddr, uint16_t *lport,
	       struct ip_addr *faddr, uint16_t *fport);

/* Per-connection figures, like Linux's tcp_info. */
struct tcb_info {
	enum tcp_state state;
	uint32_t snd_una, snd_nxt, rcv_nxt, snd_wnd, rcv_wnd;
	uint32_t cwnd, ssthresh, smss, rmss;
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t retransmits, backoff;
	uint64_t bytes_acked, bytes_received, segs_out, segs_in, total_retrans;
	char cc[CC_NAME_MAX];
	uint8_t options; /* TCPI_OPT_*: what the SYN exchange negotiated */
	uint8_t snd_wscale, rcv_wscale;
};
/* tcb_info.options, as Linux's tcpi_options. */
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK 2
#define TCPI_OPT_WSCALE 4
#define TCPI_OPT_ECN 8
void tcb_get_info(const struct tcb *t, struct tcb_info *info);
/* What the XDP fast path may check a connection's ACKs against. */
struct tcb_fp_view {
	bool eligible; /* pure in-order ACKs change nothing but SND.UNA */
	uint32_t rcv_nxt, snd_una, snd_max;
	uint8_t snd_wscale;
	bool ts; /* timestamps negotiated: ACKs carry them, PAWS applies */
	uint32_t ts_recent; /* TS.Recent, for XDP's PAWS check */
};
void tcb_fp_view(const struct tcb *t, struct tcb_fp_view *v);
/*
 * @n ACKs XDP absorbed, the latest acknowledging @ack with window field
 * @wnd and (when timestamps are on) timestamp @ts_val/@ts_ecr: applied now,
 * as @n pure in-order ACKs evenly spaced up to @ack. Stale news (not in
 * (SND.UNA, SND.MAX]) is ignored.
 */
void eng_fast_ack(struct tcb *t, uint32_t ack, uint16_t wnd, uint32_t ts_val,
		  uint32_t ts_ecr, uint32_t n, uint64_t now);

/* Call @fn for every connection (listeners included), for xtcpctl conns. */
void eng_foreach(struct engine *e, void (*fn)(void *arg, const struct tcb *t),
		 void *arg);

/* --- socket options (sockopt.c) ------------------------------------------
 *
 * setsockopt/getsockopt for the socket layer, on a connection (or listener)
 * or on the sock_opts it keeps before one exists. Levels SOL_SOCKET,
 * IPPROTO_TCP, IPPROTO_IP and IPPROTO_IPV6; Linux numbers for the options
 * Linux has, include/xtcp/xtcp.h for the illumos ones. Return 0 or -errno:
 * -ENOPROTOOPT for an unknown level or option, -EINVAL for a short optlen or
 * a value out of range, -ENOENT for an unknown TCP_CONGESTION, -EPERM for
 * TCP_INIT_CWND above RFC 3390 without privilege, -ENOBUFS for SO_SNDBUF /
 * SO_RCVBUF above tcp_max_buf. docs/SOCKOPTS.md has the table.
 */
struct eng_cred {
	uid_t uid;
	bool net_admin; /* CAP_NET_ADMIN (illumos PRIV_SYS_NET_CONFIG) */
};
int eng_setsockopt(struct tcb *t, int level, int name, const void *val,
		   socklen_t len, const struct eng_cred *cred, uint64_t now);
/* *len in: the room at @val; out: the bytes stored (truncated as Linux).
 * @now dates TCP_INFO's last_* figures. TCP_INFO is Linux's struct
 * tcp_info (include/xtcp/tcp_info.h). */
int eng_getsockopt(struct tcb *t, int level, int name, void *val,
		   socklen_t *len, uint64_t now);
int sockopts_set(struct engine *e, struct sock_opts *o, int level, int name,
		 const void *val, socklen_t len, const struct eng_cred *cred);
int sockopts_get(const struct engine *e, const struct sock_opts *o, int level,
		 int name, void *val, socklen_t *len);

/* SIOCATMARK: the next byte to read is at the urgent mark (urgent.c). */
bool tcb_at_mark(const struct tcb *t);

#endif
