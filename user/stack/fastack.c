// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's side of the XDP fast path: what XDP may check an ACK
 * against, and ACKs XDP absorbed, applied as if they had arrived here.
 */
#include "stack/tcb.h"

#include <string.h>

void tcb_fp_view(const struct tcb *t, struct tcb_fp_view *v)
{
	memset(v, 0, sizeof(*v));
	v->rcv_nxt = t->rcv_nxt;
	v->snd_una = t->snd_una;
	v->snd_max = t->snd_max;
	v->snd_wscale = t->snd_wscale;
	v->ts = t->opt_on & TO_TS;
	v->ts_recent = t->ts_recent;
	/*
	 * A pure in-order ACK that only moves SND.UNA forward: nothing in it
	 * can change state here. Recovery, a closed window (persist) or our
	 * FIN in flight make ACKs matter at once, so those go to the engine;
	 * so does SACKed data above SND.UNA (RFC 6675 loss detection).
	 */
	v->eligible =
		(t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT) &&
		!(t->flags & (TF_IN_RECOVERY | TF_FIN_SENT)) && !t->dupacks &&
		t->snd_wnd && sack_sb_empty(&t->sb);
}

void eng_fast_ack(struct tcb *t, uint32_t ack, uint16_t wnd, uint32_t ts_val,
		  uint32_t ts_ecr, uint32_t n, uint64_t now)
{
	uint32_t una = t->snd_una, span = ack - una;
	struct pkt p;

	/* The caller holds @t (has not released it with eng_close), so no
	 * input below can free it: it only ends in CLOSED. */
	assert(!(t->flags & TF_USER_CLOSED));
	/* Only news: what lies in (SND.UNA, SND.MAX]. */
	if (!seq_gt(ack, una) || seq_gt(ack, t->snd_max) ||
	    t->state == TCPS_CLOSED)
		return;
	if (!n)
		n = 1;
	if (n > span)
		n = span;
	memset(&p, 0, sizeof(p));
	p.ip.version = ip_addr_is_v4(&t->faddr) ? 4 : 6;
	p.ip.proto = IPPROTO_TCP_;
	p.ip.src = t->faddr;
	p.ip.dst = t->laddr;
	p.tcp.sport = t->fport;
	p.tcp.dport = t->lport;
	p.tcp.flags = TH_ACK;
	p.tcp.win = wnd;
	/* With timestamps XDP absorbs only ACKs that carry one (and pass
	 * PAWS): the engine takes TS.Recent and an RTT sample from it. */
	if (t->opt_on & TO_TS) {
		p.tcp.opts.present = TCP_OPT_TS;
		p.tcp.opts.ts_val = ts_val;
		p.tcp.opts.ts_ecr = ts_ecr;
	}
	/*
	 * XDP kept only the latest of @n ACKs: give the engine @n evenly
	 * spaced ones, so congestion control grows per ACK as it would have
	 * (RFC 5681 3.1 counts ACKs in slow start).
	 */
	for (uint32_t i = 1; i <= n; i++) {
		p.tcp.seq = t->rcv_nxt;
		p.tcp.ack = una + (uint32_t)((uint64_t)span * i / n);
		eng_input(t->eng, &p, now);
		if (t->state == TCPS_CLOSED)
			break;
	}
}
