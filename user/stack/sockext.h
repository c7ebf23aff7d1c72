/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-connection state of keep-alive (keepalive.c), urgent data (urgent.c)
 * and the RST trace (trace.c), embedded in the TCB as `x`, and the hooks the
 * engine's core files call. Included by tcb.h only.
 */
#ifndef XTCP_STACK_SOCKEXT_H
#define XTCP_STACK_SOCKEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcb;
struct pkt;
struct seg_out;
struct tcp_hdr;
struct engine;
struct sock_opts;

/* Keep-alive (RFC 1122 4.2.3.6). */
struct tcb_keep {
	uint64_t last_rcv; /* when the last segment arrived */
	uint32_t probes; /* sent since then, unanswered */
};

/* Urgent data (RFC 9293 3.8.2, RFC 6093). */
enum urg_state {
	URG_NONE = 0, /* no mark ahead of the reader */
	URG_NOTYET, /* a mark announced; its byte has not arrived */
	URG_VALID, /* the byte arrived (in @byte), not read out of band */
	URG_READ, /* the byte was read with RECV_OOB */
};
struct tcb_urg {
	uint32_t snd_up; /* SND.UP: the byte after our urgent byte */
	uint32_t rcv_seq; /* the peer's urgent byte: RCV.UP - 1 */
	/* Out-of-band bytes of replaced marks, dropped from the stream but
	 * still in the ring at the reader: [skip_seq, skip_seq + skip_len). */
	uint32_t skip_seq, skip_len;
	bool snd_mode; /* snd_up is ahead of SND.UNA */
	uint8_t rcv_state; /* enum urg_state */
	uint8_t byte; /* with URG_VALID/URG_READ */
};

/* RST trace (tcp_trace): the last segments each way, in a ring. */
#define TRACE_SEGS 8
struct trace_rec {
	uint64_t at;
	uint32_t seq, ack;
	uint16_t win, urp;
	uint32_t len;
	uint32_t ord; /* the order of events, across both rings */
	uint8_t flags;
	bool used;
};
struct tcb_trace {
	bool on; /* tcp_trace was on when the connection began */
	uint8_t next_in, next_out;
	uint32_t count; /* segments recorded */
	struct trace_rec in[TRACE_SEGS], out[TRACE_SEGS];
};

struct tcb_ext {
	struct tcb_keep keep;
	struct tcb_urg urg;
	bool push; /* send what is queued regardless of Nagle (TCP_CORK off) */
	bool more; /* SEND_MORE: hold a short tail like TCP_CORK */
	struct tcb_trace trace;
};

/* sockopt.c */
/* The defaults of the options engine.c does not fill (keep-alive). */
void sockopts_defaults_ext(const struct engine *e, struct sock_opts *o);

/* keepalive.c */
/* Reset idleness and arm the timer (the connection is ESTABLISHED). */
void keep_start(struct tcb *t, uint64_t now);
/* (Re)arm the timer from the current settings (an option changed). */
void keep_arm(struct tcb *t, uint64_t now);
void keep_seg_in(struct tcb *t, uint64_t now); /* any segment arrived */
bool keep_fire(struct tcb *t, uint64_t now); /* false: @t was closed */

/* urgent.c */
void urg_send_mark(struct tcb *t, uint32_t n); /* eng_send, SEND_OOB */
bool urg_push(const struct tcb *t); /* urgent data waits: send it */
void urg_fill_out(struct tcb *t, struct tcp_hdr *th); /* URG, urgent ptr */
void urg_input(struct tcb *t, const struct pkt *p, uint64_t now);
/* Bytes a read may return from the front of the receive ring (of @avail),
 * after skipping the out-of-band byte (@skip set to 1, and consumed with
 * @consume). */
uint32_t urg_recv_limit(struct tcb *t, uint32_t avail, uint32_t *skip,
			bool consume);
long urg_recv_oob(struct tcb *t, void *buf, size_t len, unsigned flags);
/* Bytes in the receive ring that are not part of the stream: dropped
 * bytes at the tail, and the out-of-band byte. */
uint32_t urg_hidden(const struct tcb *t);

/* trace.c */
void trace_init(struct tcb *t);
void trace_seg_in(struct tcb *t, const struct pkt *p, uint64_t now);
void trace_seg_out(struct tcb *t, const struct seg_out *so, uint64_t now);
void trace_closed(struct tcb *t, int err, uint64_t now);

#endif
