// SPDX-License-Identifier: BSD-2-Clause
/*
 * RST tracing (illumos tcp_trace, tcp(7P)): with the tunable on when a
 * connection begins, it keeps the TCP headers of its last TRACE_SEGS
 * segments each way in a ring inside the TCB (no allocation, a few stores
 * per segment). When the connection ends by RST, sent or received, they
 * are reported through ops->trace one line each, oldest first, with the IP
 * addresses, as illumos logs them with strlog(9F).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stack/tcb.h"

void trace_init(struct tcb *t)
{
	memset(&t->x.trace, 0, sizeof(t->x.trace));
	t->x.trace.on = t->eng->tun.tcp_trace != 0;
}

static void rec_put(struct tcb_trace *tr, struct trace_rec *r, uint64_t now,
		    const struct tcp_hdr *h, uint32_t len)
{
	r->ord = tr->count++;
	r->at = now;
	r->seq = h->seq;
	r->ack = h->ack;
	r->win = h->win;
	r->urp = h->urp;
	r->len = len;
	r->flags = h->flags;
	r->used = true;
}

void trace_seg_in(struct tcb *t, const struct pkt *p, uint64_t now)
{
	struct tcb_trace *tr = &t->x.trace;

	if (!tr->on)
		return;
	rec_put(tr, &tr->in[tr->next_in], now, &p->tcp, p->payload_len);
	tr->next_in = (uint8_t)((tr->next_in + 1) % TRACE_SEGS);
}

void trace_seg_out(struct tcb *t, const struct seg_out *so, uint64_t now)
{
	struct tcb_trace *tr = &t->x.trace;

	if (!tr->on)
		return;
	rec_put(tr, &tr->out[tr->next_out], now, &so->th, so->len);
	tr->next_out = (uint8_t)((tr->next_out + 1) % TRACE_SEGS);
}

static const struct trace_rec *last(const struct trace_rec *ring, uint8_t next)
{
	const struct trace_rec *r = &ring[(next + TRACE_SEGS - 1) % TRACE_SEGS];

	return r->used ? r : NULL;
}

static void flags_str(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = { { TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' },
		      { TH_PSH, 'P' }, { TH_ACK, 'A' }, { TH_URG, 'U' },
		      { TH_ECE, 'E' }, { TH_CWR, 'C' } };
	int n = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (f & order[i].bit)
			buf[n++] = order[i].c;
	if (!n)
		buf[n++] = '.';
	buf[n] = 0;
}

static void report(struct tcb *t, const struct trace_rec *r, bool out,
		   const char *la, const char *fa)
{
	struct engine *e = t->eng;
	char line[256], f[12];

	flags_str(r->flags, f);
	snprintf(line, sizeof(line),
		 "  %" PRIu64 ".%06" PRIu64
		 " %s %s.%u > %s.%u %s seq %u ack %u win %u urp %u len %u",
		 r->at / 1000000, r->at % 1000000, out ? "out" : "in ",
		 out ? la : fa, out ? t->lport : t->fport, out ? fa : la,
		 out ? t->fport : t->lport, f, r->seq, r->ack, r->win, r->urp,
		 r->len);
	e->ops.trace(e->user, t, line);
}

void trace_closed(struct tcb *t, int err, uint64_t now)
{
	struct tcb_trace *tr = &t->x.trace;
	struct engine *e = t->eng;
	const struct trace_rec *lo, *li;
	char la[64], fa[64], line[256];
	bool sent, rcvd;
	int i = 0, o = 0;

	if (!tr->on || !e->ops.trace)
		return;
	/* Ended by RST: the last segment sent was one, or the one being
	 * processed now is. */
	lo = last(tr->out, tr->next_out);
	li = last(tr->in, tr->next_in);
	sent = lo && (lo->flags & TH_RST);
	rcvd = li && (li->flags & TH_RST) && li->at == now;
	if (!sent && !rcvd)
		return;
	tr->on = false; /* once */
	ip_addr_str(&t->laddr, la, sizeof(la));
	ip_addr_str(&t->faddr, fa, sizeof(fa));
	snprintf(line, sizeof(line),
		 "xtcp trace: %s.%u - %s.%u ended by RST %s in %s, error %d",
		 la, t->lport, fa, t->fport, rcvd ? "received" : "sent",
		 tcp_state_name(t->state), err < 0 ? -err : err);
	e->ops.trace(e->user, t, line);
	/* Both rings oldest first, merged in the order things happened. */
	while (i < TRACE_SEGS || o < TRACE_SEGS) {
		const struct trace_rec *ri =
			i < TRACE_SEGS ?
				&tr->in[(tr->next_in + i) % TRACE_SEGS] :
				NULL;
		const struct trace_rec *ro =
			o < TRACE_SEGS ?
				&tr->out[(tr->next_out + o) % TRACE_SEGS] :
				NULL;

		if (ri && !ri->used) {
			i++;
			continue;
		}
		if (ro && !ro->used) {
			o++;
			continue;
		}
		if (ri && (!ro || ri->ord < ro->ord)) {
			report(t, ri, false, la, fa);
			i++;
		} else if (ro) {
			report(t, ro, true, la, fa);
			o++;
		}
	}
}
