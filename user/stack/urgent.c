// SPDX-License-Identifier: BSD-2-Clause
/*
 * Urgent data (RFC 9293 3.8.2, RFC 6093), with the socket semantics of
 * Linux and BSD: one urgent byte, MSG_OOB.
 *
 * Sending: eng_send with SEND_OOB makes the last byte written urgent. SND.UP
 * is the sequence number of the byte *after* it: RFC 6093 2 found that this
 * (RFC 793's page-17 reading) is what implementations do, and RFC 9293
 * 3.8.2 adopted it. Every segment whose sequence number is below SND.UP
 * carries URG and the urgent pointer SND.UP - SEG.SEQ (at most 65535, which
 * points "at least this far"), pure ACKs included, so the peer learns of the
 * urgent data even while the window keeps it from being sent. Urgent data
 * is sent past Nagle and TCP_CORK. Urgent mode ends when SND.UNA reaches
 * SND.UP.
 *
 * Receiving (RFC 9293 3.10.7.4, sixth step): in ESTABLISHED, FIN-WAIT-1 and
 * FIN-WAIT-2, a pointer beyond the current one (and beyond what was read)
 * sets RCV.UP and raises EV_URGENT (the socket layer's SIGURG), before the
 * urgent byte itself may have arrived. When it has, the byte is kept:
 * without SO_OOBINLINE it leaves the stream (reads skip it) and RECV_OOB
 * returns it once; with SO_OOBINLINE it stays in the stream and RECV_OOB is
 * EINVAL. Reads never cross the mark: a read stops before the urgent byte,
 * so tcb_at_mark() (SIOCATMARK) is true for the next one. A newer mark
 * replaces an older one whose byte was not read, as in Linux; when the
 * reader stands at that older out-of-band byte, it leaves the stream
 * (Linux's tcp_check_urg). The engine never moves the ring's tail on its
 * own, since an application may be reading the ring directly (sockbuf.h):
 * such bytes are remembered as dropped (skip_seq, skip_len) and skipped by
 * every reader, eng_recv here and libxtcp through tcb_urg_view().
 *
 * RECV_OOB, as Linux's tcp_recv_urg: EINVAL with SO_OOBINLINE, when there
 * is no mark, or when its byte was already read; the byte when it is
 * there; 0 at end of stream; else EAGAIN (announced, not yet arrived).
 */
#include <errno.h>
#include <string.h>

#include "stack/sockbuf.h"
#include "stack/tcb.h"

/* The sequence number of the next byte the application takes from the
 * ring (the ring's tail). */
static uint32_t copied_seq(const struct tcb *t)
{
	return t->rcv_nxt - ring_used(&t->rcvbuf);
}

/* The next byte of the stream: the tail, past the dropped bytes there. */
static uint32_t read_seq(const struct tcb *t)
{
	const struct tcb_urg *u = &t->x.urg;
	uint32_t c = copied_seq(t);

	if (u->skip_len && seq_lt(c, u->skip_seq + u->skip_len))
		return u->skip_seq + u->skip_len;
	return c;
}

/* The reader went past the mark (or the dropped bytes): they are over. */
static void urg_expire(struct tcb *t)
{
	struct tcb_urg *u = &t->x.urg;
	uint32_t c = copied_seq(t);

	if (u->rcv_state != URG_NONE && seq_lt(u->rcv_seq, c))
		u->rcv_state = URG_NONE;
	if (u->skip_len && !seq_lt(c, u->skip_seq + u->skip_len))
		u->skip_len = 0;
}

/* The urgent byte is in the ring and not part of the stream. */
static bool urg_oob_here(const struct tcb *t)
{
	const struct tcb_urg *u = &t->x.urg;

	return u->rcv_state != URG_NONE && !t->opts.oobinline &&
	       !seq_lt(u->rcv_seq, read_seq(t)) &&
	       seq_lt(u->rcv_seq, t->rcv_nxt);
}

/* --- sending -------------------------------------------------------------- */

void urg_send_mark(struct tcb *t, uint32_t n)
{
	if (!n)
		return;
	t->x.urg.snd_up = tcb_data_seq0(t) + ring_used(&t->sndbuf);
	t->x.urg.snd_mode = true;
}

bool urg_push(const struct tcb *t)
{
	return t->x.urg.snd_mode && seq_gt(t->x.urg.snd_up, t->snd_nxt);
}

void urg_fill_out(struct tcb *t, struct tcp_hdr *th)
{
	struct tcb_urg *u = &t->x.urg;
	uint32_t d;

	if (!u->snd_mode)
		return;
	if (seq_geq(t->snd_una, u->snd_up)) {
		u->snd_mode = false; /* the urgent byte is acknowledged */
		return;
	}
	if ((th->flags & (TH_SYN | TH_RST)) || !seq_lt(th->seq, u->snd_up))
		return;
	d = u->snd_up - th->seq;
	th->flags |= TH_URG;
	th->urp = (uint16_t)(d > 65535 ? 65535 : d);
}

/* --- receiving ------------------------------------------------------------ */

void urg_input(struct tcb *t, const struct pkt *p, uint64_t now)
{
	const struct tcp_hdr *h = &p->tcp;
	struct tcb_urg *u = &t->x.urg;

	urg_expire(t);
	if ((h->flags & TH_URG) && h->urp &&
	    (t->state == TCPS_ESTABLISHED || t->state == TCPS_FIN_WAIT_1 ||
	     t->state == TCPS_FIN_WAIT_2)) {
		/* The pointer is to the byte after the urgent one. */
		uint32_t ptr = h->seq + h->urp - 1;
		uint32_t rd = read_seq(t);

		if (!seq_lt(ptr, rd) &&
		    (u->rcv_state == URG_NONE || seq_gt(ptr, u->rcv_seq))) {
			/* An older out-of-band byte the reader stands at
			 * leaves the stream with its mark (Linux's
			 * tcp_check_urg). It stays in the ring, which the
			 * application may be reading itself: it is skipped
			 * there, as the engine skips it (skip_seq). */
			if (u->rcv_state != URG_NONE && !t->opts.oobinline &&
			    u->rcv_seq == rd && seq_lt(rd, t->rcv_nxt)) {
				if (!u->skip_len)
					u->skip_seq = rd;
				u->skip_len++;
			}
			u->rcv_seq = ptr;
			u->rcv_state = URG_NOTYET;
			tcb_event(t, EV_URGENT);
		}
	}
	if (u->rcv_state == URG_NOTYET && seq_lt(u->rcv_seq, t->rcv_nxt)) {
		(void)ring_peek(&t->rcvbuf, u->rcv_seq - copied_seq(t),
				&u->byte, 1);
		u->rcv_state = URG_VALID;
	}
}

uint32_t urg_recv_limit(struct tcb *t, uint32_t avail, uint32_t *skip,
			bool consume)
{
	struct tcb_urg *u = &t->x.urg;
	uint32_t lead, n;

	urg_expire(t);
	/* Dropped bytes at the tail are not part of the stream. */
	lead = read_seq(t) - copied_seq(t);
	if (lead > avail)
		lead = avail;
	n = avail - lead;
	if (u->rcv_state != URG_NONE) {
		uint32_t off = u->rcv_seq - read_seq(t);

		if (off < n) {
			if (off) {
				n = off; /* stop before the mark */
			} else if (!t->opts.oobinline) {
				/* At the mark, out of band: not part of the
				 * stream. Inline, it is read from here. */
				lead++;
				n--;
			}
		}
	}
	if (consume && lead) {
		ring_consume(&t->rcvbuf, lead);
		urg_expire(t);
		lead = 0;
	}
	*skip = lead;
	return n;
}

long urg_recv_oob(struct tcb *t, void *buf, size_t len, unsigned flags)
{
	struct tcb_urg *u = &t->x.urg;

	urg_expire(t);
	if (t->opts.oobinline || u->rcv_state == URG_NONE ||
	    u->rcv_state == URG_READ)
		return -EINVAL;
	if (u->rcv_state == URG_VALID) {
		if (!(flags & RECV_PEEK))
			u->rcv_state = URG_READ;
		if (!len)
			return 0;
		memcpy(buf, &u->byte, 1);
		return 1;
	}
	if (t->state == TCPS_CLOSED || (t->flags & (TF_RCVD_FIN | TF_SHUT_RD)))
		return 0;
	return -EAGAIN;
}

uint32_t urg_hidden(const struct tcb *t)
{
	return read_seq(t) - copied_seq(t) + (urg_oob_here(t) ? 1 : 0);
}

bool tcb_at_mark(const struct tcb *t)
{
	const struct tcb_urg *u = &t->x.urg;

	return u->rcv_state != URG_NONE && u->rcv_seq == read_seq(t);
}

void tcb_urg_view(const struct tcb *t, struct tcb_urg_view *v)
{
	const struct tcb_urg *u = &t->x.urg;
	uint32_t c = copied_seq(t), tail = t->rcvbuf.tail;

	memset(v, 0, sizeof(*v));
	/* Ring counters: the tail is at copied_seq. A mark or dropped bytes
	 * the application read past since the engine last looked are left
	 * out (it applies them by position anyway). */
	if (u->rcv_state != URG_NONE && !seq_lt(u->rcv_seq, c)) {
		v->mark = true;
		v->mark_pos = tail + (u->rcv_seq - c);
		v->arrived = u->rcv_state == URG_VALID ||
			     u->rcv_state == URG_READ;
		v->oob_read = u->rcv_state == URG_READ;
	}
	v->oobinline = t->opts.oobinline;
	if (u->skip_len && seq_lt(c, u->skip_seq + u->skip_len)) {
		v->skip_pos = tail + (u->skip_seq - c);
		v->skip_len = u->skip_len;
	}
}
