// SPDX-License-Identifier: BSD-2-Clause
/*
 * Segment arrival: RFC 9293 3.10.7, with RFC 5961's defences, RFC 5681 /
 * RFC 6582 loss detection and RFC 1122 delayed ACKs.
 *
 * Everything about the segment being processed lives in struct seg_ctx on
 * the caller's stack. Processing ends at one of three labelled exits, as in
 * BSD's tcp_input: drop (discard silently), drop_after_ack (discard, then
 * ACK what we have), drop_with_reset (discard and answer with RST).
 */
#include "stack/tcb.h"

#include <errno.h>
#include <string.h>

/* A SYN-ACK sent this recently answers a retransmitted SYN too. */
#define SYNACK_AGAIN_US 10000

struct seg_ctx {
	const struct pkt *p;
	uint64_t now;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t wnd; /* window field, unscaled */
	const uint8_t *data; /* after trimming to the receive window */
	uint32_t len; /* data bytes after trimming */
};

static uint32_t seg_len(const struct seg_ctx *s)
{
	return s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
}

/* --- helpers ------------------------------------------------------------ */

static void sync_cc(struct tcb *t, uint64_t now)
{
	t->cc.snd_una = t->snd_una;
	t->cc.snd_nxt = t->snd_max;
	t->cc.flight = t->snd_max - t->snd_una;
	t->cc.srtt_us = t->rtt.has_sample ? t->rtt.srtt_us : 0;
	t->cc.now_us = now;
	t->cc.in_recovery = !!(t->flags & TF_IN_RECOVERY);
}

/*
 * Options a SYN or SYN-ACK carries that shape the connection. On an active
 * open (@active) an option is on when our SYN offered it and the peer's
 * SYN-ACK (or SYN, in a simultaneous open) has it; a listener's child
 * answers what the peer's SYN offers, whatever our own offer would be
 * (tcp(4P): window scale and timestamps are always answered; SACK unless
 * tcp_sack_permitted is 0; ECN unless tcp_ecn_permitted is 0).
 */
static void syn_options(struct tcb *t, const struct seg_ctx *s, bool active)
{
	const struct tcp_opts *o = &s->p->tcp.opts;
	const struct tunables *tun = &t->eng->tun;
	uint8_t peer = 0, on;

	if (o->present & TCP_OPT_WSCALE)
		peer |= TO_WS;
	if (o->present & TCP_OPT_TS)
		peer |= TO_TS;
	if (o->present & TCP_OPT_SACK_PERM)
		peer |= TO_SACK;
	/* RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR; an ECN-setup
	 * SYN-ACK has ECE without CWR. */
	if ((s->flags & TH_ACK) ?
		    (s->flags & (TH_ECE | TH_CWR)) == TH_ECE :
		    (s->flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR))
		peer |= TO_ECN;
	if (active) {
		on = t->opt_offer & peer;
	} else {
		on = peer & (TO_WS | TO_TS);
		if (tun->tcp_sack_permitted)
			on |= peer & TO_SACK;
		if (tun->tcp_ecn_permitted)
			on |= peer & TO_ECN;
	}
	t->opt_on = on;
	/* RFC 7323 2.2: scaling needs both SYNs to carry the option; 2.3:
	 * a shift above 14 is taken as 14. */
	if (on & TO_WS) {
		t->snd_wscale = o->wscale > 14 ? 14 : o->wscale;
		t->rcv_wscale = tcp_wscale_for(t->rcvbuf_limit);
	} else {
		t->snd_wscale = t->rcv_wscale = 0;
	}
	if (on & TO_TS) {
		t->ts_recent = o->ts_val;
		t->ts_recent_age = s->now;
	}
	tcp_set_smss(t, (o->present & TCP_OPT_MSS) ? o->mss : 0);
}

/* RFC 2883: a duplicate of [start, end) arrived; report it once. */
static void note_dsack(struct tcb *t, uint32_t start, uint32_t end)
{
	if (!(t->opt_on & TO_SACK) || !seq_lt(start, end))
		return;
	t->oflags |= OF_DSACK;
	t->dsack_start = start;
	t->dsack_end = end;
	t->flags |= TF_ACKNOW;
}

/*
 * RFC 7323 4.1 (RTTM): the echoed timestamp times the segment that drew
 * this ACK, retransmitted or not (Karn's rule is not needed). False when
 * there is no usable echo.
 */
static bool ts_rtt_sample(struct tcb *t, const struct seg_ctx *s)
{
	const struct tcp_opts *o = &s->p->tcp.opts;
	uint32_t ms, us;

	if (!(t->opt_on & TO_TS) || !(o->present & TCP_OPT_TS) || !o->ts_ecr)
		return false;
	ms = tcp_ts_now(t, s->now) - o->ts_ecr;
	if ((int32_t)ms < 0 || ms > 3600 * 1000)
		return false; /* not one of ours */
	us = ms ? ms * 1000 : 1;
	rtt_sample(&t->rtt, us);
	if (t->cc.ops)
		cc_on_rtt(&t->cc, us);
	return true;
}

static void schedule_ack(struct tcb *t, bool now_please, uint64_t now)
{
	if (now_please || t->opts.quickack) {
		t->flags |= TF_ACKNOW;
		return;
	}
	/* RFC 5681 4.2 / RFC 1122 4.2.3.2: ACK at least every second
	 * full-sized segment, and never delay more than the interval. */
	if (t->unacked_segs >= 2) {
		t->flags |= TF_ACKNOW;
		return;
	}
	if (!(t->flags & TF_DELACK)) {
		t->flags |= TF_DELACK;
		tcb_timer_set(
			t, TT_DELACK,
			now + (uint64_t)t->eng->tun.tcp_deferred_ack_interval *
					1000);
	}
}

/* --- LISTEN (RFC 9293 3.10.7.2) ----------------------------------------- */

static void listen_input(struct engine *e, struct tcb *l, struct seg_ctx *s)
{
	const struct pkt *p = s->p;
	struct tcb *t;
	int err;

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		tcp_respond_rst(e, p, s->now);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	/* A SYN to or from a broadcast/multicast or unspecified address is
	 * not a connection (RFC 1122 4.2.3.10). */
	if (ip_addr_is_any(&p->ip.src) || ip_addr_is_any(&p->ip.dst))
		return;
	if (l->qlen >= l->backlog || l->q0len >= e->tun.tcp_conn_req_max_q0) {
		e->stats.listen_drops++;
		return;
	}
	t = tcb_new(e, &l->opts, &err);
	if (!t || tcb_alloc_buffers(t)) {
		if (t)
			tcb_free(t);
		e->stats.listen_drops++;
		return;
	}
	t->laddr = p->ip.dst;
	t->lport = p->tcp.dport;
	t->faddr = p->ip.src;
	t->fport = p->tcp.sport;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->iss = isn_next(&e->isn, &t->laddr, t->lport, &t->faddr, t->fport,
			  s->now);
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->recover = t->iss;
	/* RFC 7323 2.2: the window in a SYN is never scaled. */
	t->snd_wnd = s->wnd;
	t->max_sndwnd = t->snd_wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = t->iss;
	t->state = TCPS_SYN_RECEIVED;
	t->flags |= TF_PASSIVE;
	t->listener = l;
	t->ts_offset = eng_ts_offset(e, t);
	syn_options(t, s, false);
	conn_insert(e, t);
	l->q0len++;
	e->stats.tcpPassiveOpens++;
	t->rexmit_start = s->now;
	/* Data in a SYN is not acknowledged (no TCP Fast Open): the peer
	 * sends it again once we are synchronized. */
	tcp_output(t, s->now);
}

/* --- SYN-SENT (RFC 9293 3.10.7.3) --------------------------------------- */

static bool ack_process(struct tcb *t, struct seg_ctx *s);
static void text_and_fin(struct tcb *t, struct seg_ctx *s);

static void syn_sent_input(struct tcb *t, struct seg_ctx *s)
{
	struct engine *e = t->eng;
	bool ack_ok = false;

	if (s->flags & TH_ACK) {
		if (seq_leq(s->ack, t->iss) || seq_gt(s->ack, t->snd_max)) {
			if (!(s->flags & TH_RST))
				tcp_respond_rst(e, s->p, s->now);
			return;
		}
		ack_ok = true;
	}
	if (s->flags & TH_RST) {
		/* RFC 5961 3.2 keeps 9293's rule here: a RST is believed in
		 * SYN-SENT only if it acknowledges our SYN. */
		if (ack_ok)
			tcb_closed(t, -ECONNREFUSED, s->now);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;

	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	syn_options(t, s, true);
	if (ack_ok) {
		t->snd_una = s->ack;
		if (seq_lt(t->snd_nxt, t->snd_una))
			t->snd_nxt = t->snd_una;
	}
	if (seq_gt(t->snd_una, t->iss)) {
		/* Our SYN is acknowledged: ESTABLISHED. */
		t->snd_wnd = s->wnd; /* unscaled in a SYN (RFC 7323 2.2) */
		t->max_sndwnd = t->snd_wnd;
		t->snd_wl1 = s->seq;
		t->snd_wl2 = s->ack;
		if ((t->flags & TF_RTT_TIMING) && t->rtt.backoff == 0)
			rtt_sample(&t->rtt, (uint32_t)(s->now - t->rtt_start));
		else
			ts_rtt_sample(t, s);
		t->flags &= ~TF_RTT_TIMING;
		tcb_timer_clear(t, TT_REXMT);
		tcb_established(t, s->now);
		t->flags &= ~TF_REXMIT_EPISODE;
		t->flags |= TF_ACKNOW;
		tcb_event(t, EV_CONNECTED | EV_WRITABLE);
		/* RFC 9293: other text or controls continue at step six. */
		s->seq++;
		s->flags &= (uint8_t)~TH_SYN;
		text_and_fin(t, s);
		tcp_output(t, s->now);
		return;
	}
	/* Simultaneous open (RFC 9293 figure 8): SYN-RECEIVED, and our SYN
	 * goes again, now with an ACK. */
	t->snd_wnd = s->wnd;
	t->max_sndwnd = t->snd_wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = t->snd_una;
	t->state = TCPS_SYN_RECEIVED;
	t->snd_nxt = t->iss;
	tcp_output(t, s->now);
}

/* --- synchronized states (RFC 9293 3.10.7.4) ---------------------------- */

/*
 * First check: is the segment in the receive window (table in 3.10.7.4)?
 * Trims what lies outside. Returns false for an unacceptable segment.
 */
static bool seq_acceptable(struct tcb *t, struct seg_ctx *s)
{
	uint32_t wnd =
		seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t slen = seg_len(s);
	uint32_t trim;

	if (slen == 0) {
		if (wnd == 0)
			return s->seq == t->rcv_nxt;
		return seq_in(s->seq, t->rcv_nxt, t->rcv_nxt + wnd);
	}
	if (wnd == 0) {
		/* A zero window still takes ACKs, URGs and RSTs (3.10.7.4):
		 * keep the control part of an in-sequence segment. */
		if (s->seq != t->rcv_nxt)
			return false;
		if (s->len)
			t->eng->stats.zero_window_probes++;
		/* What is not taken is still answered: a probe of a zero
		 * window gets an ACK (RFC 1122 4.2.2.17, RFC 9293 3.8.6.1),
		 * else the peer's persist timer gives up on us. */
		if (s->len || (s->flags & TH_FIN))
			t->flags |= TF_ACKNOW;
		s->len = 0;
		s->flags &= (uint8_t)~TH_FIN;
		return true;
	}
	if (!seq_in(s->seq, t->rcv_nxt, t->rcv_nxt + wnd) &&
	    !seq_in(s->seq + slen - 1, t->rcv_nxt, t->rcv_nxt + wnd))
		return false;

	/* Trim the front: a SYN first, then data already received. */
	if (seq_lt(s->seq, t->rcv_nxt)) {
		trim = t->rcv_nxt - s->seq;
		if (s->flags & TH_SYN) {
			s->flags &= (uint8_t)~TH_SYN;
			s->seq++;
			trim--;
		}
		note_dsack(t, s->seq, s->seq + (trim < s->len ? trim : s->len));
		if (trim >= s->len) {
			/* Only a FIN can remain, and it is then a duplicate
			 * unless it sits exactly at rcv_nxt. */
			s->seq += s->len;
			s->data = NULL;
			s->len = 0;
		} else {
			s->data += trim;
			s->len -= trim;
			s->seq += trim;
		}
		t->eng->stats.dup_segs_in++;
	}
	/* Trim the back: nothing beyond the window, FIN included. */
	if (seq_gt(s->seq + s->len, t->rcv_nxt + wnd)) {
		s->len = t->rcv_nxt + wnd - s->seq;
		s->flags &= (uint8_t)~TH_FIN;
	}
	return true;
}

/*
 * Accept in-order or out-of-order text into the receive ring. Out-of-order
 * bytes go straight to their place beyond the ring's head; the ooo ranges
 * remember which are there.
 */
static void text_and_fin(struct tcb *t, struct seg_ctx *s)
{
	bool fin = s->flags & TH_FIN;
	bool ack_now = false;

	switch (t->state) {
	case TCPS_ESTABLISHED:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
		break;
	default:
		/* The peer's FIN is behind us: text is a duplicate. An in-
		 * order FIN again is answered (TIME-WAIT restarts below). */
		if (fin && s->seq + s->len + 1 == t->rcv_nxt &&
		    (t->flags & TF_RCVD_FIN)) {
			t->flags |= TF_ACKNOW;
			if (t->state == TCPS_TIME_WAIT)
				tcb_timer_set(
					t, TT_2MSL,
					s->now +
						(uint64_t)t->eng->tun
								.tcp_time_wait_interval *
							1000);
		}
		return;
	}

	if (s->len && tcb_ring_ensure(t, &t->rcvbuf, t->rcvbuf_limit)) {
		/* No memory for it: as if lost, the peer sends it again. */
		t->eng->stats.rcv_nobufs++;
		return;
	}
	if (s->len) {
		struct engine *e = t->eng;

		if (s->seq == t->rcv_nxt) {
			/* The window keeps data within the ring; a peer that
			 * ignores it loses the excess. */
			uint32_t n = ring_write(&t->rcvbuf, s->data, s->len);
			uint32_t nxt;

			t->rcv_nxt += n;
			t->bytes_received += n;
			e->stats.bytes_in += n;
			t->unacked_segs++;
			/* Pull in what out-of-order segments left beyond. */
			if (!ooo_empty(&t->ooo)) {
				nxt = ooo_advance(&t->ooo, t->rcv_nxt);
				if (nxt != t->rcv_nxt) {
					ring_produce(&t->rcvbuf,
						     nxt - t->rcv_nxt);
					t->bytes_received += nxt - t->rcv_nxt;
					t->rcv_nxt = nxt;
				}
				/* RFC 5681 4.2: ACK at once when a segment
				 * fills (part of) a hole. */
				ack_now = true;
			}
			tcb_event(t, EV_READABLE);
		} else {
			uint32_t off = s->seq - t->rcv_nxt;

			/* RFC 5681 4.2: an out-of-order segment is answered
			 * at once with a duplicate ACK. */
			ack_now = true;
			e->stats.ooo_segs_in++;
			t->rcv_ooopack++;
			for (unsigned int i = 0; i < t->ooo.n; i++) {
				uint32_t lo =
					seq_max(s->seq, t->ooo.r[i].start);
				uint32_t hi = seq_min(s->seq + s->len,
						      t->ooo.r[i].end);

				if (seq_lt(lo, hi)) {
					note_dsack(t, lo, hi);
					break;
				}
			}
			if (off + s->len <= ring_free(&t->rcvbuf) &&
			    ooo_add(&t->ooo, s->seq, s->seq + s->len) == 0) {
				ring_write_at(&t->rcvbuf, off, s->data, s->len);
			} else {
				e->stats.ooo_dropped++;
				fin = false;
			}
			if (fin) {
				t->flags |= TF_FIN_PENDING;
				t->rcv_fin_seq = s->seq + s->len;
				fin = false;
			}
		}
		schedule_ack(t, ack_now, s->now);
	} else if (fin && s->seq != t->rcv_nxt) {
		/* A bare FIN ahead of missing data waits for it. */
		t->flags |= TF_FIN_PENDING;
		t->rcv_fin_seq = s->seq;
		t->flags |= TF_ACKNOW;
		fin = false;
	}

	if (!fin && (t->flags & TF_FIN_PENDING) && t->rcv_nxt == t->rcv_fin_seq)
		fin = true;
	else if (fin && s->seq + s->len != t->rcv_nxt)
		fin = false;
	if (!fin)
		return;

	/* Eighth: the FIN, in order (RFC 9293 3.10.7.4). */
	t->flags &= ~TF_FIN_PENDING;
	t->flags |= TF_RCVD_FIN | TF_ACKNOW;
	t->rcv_nxt++;
	tcb_event(t, EV_READABLE);
	switch (t->state) {
	case TCPS_ESTABLISHED:
		tcb_set_state(t, TCPS_CLOSE_WAIT, s->now);
		break;
	case TCPS_FIN_WAIT_1:
		/* Our FIN not yet acknowledged (else we'd be in FIN-WAIT-2):
		 * simultaneous close. */
		tcb_set_state(t, TCPS_CLOSING, s->now);
		break;
	case TCPS_FIN_WAIT_2:
		tcb_set_state(t, TCPS_TIME_WAIT, s->now);
		for (int i = 0; i < TT_MAX; i++)
			t->deadline[i] = TT_OFF;
		tcb_timer_set(
			t, TT_2MSL,
			s->now + (uint64_t)t->eng->tun.tcp_time_wait_interval *
					 1000);
		break;
	default:
		break;
	}
}

/* Enter TIME-WAIT: only the 2MSL timer runs there. */
static void enter_time_wait(struct tcb *t, uint64_t now)
{
	tcb_set_state(t, TCPS_TIME_WAIT, now);
	for (int i = 0; i < TT_MAX; i++)
		t->deadline[i] = TT_OFF;
	tcb_timer_set(t, TT_2MSL,
		      now + (uint64_t)t->eng->tun.tcp_time_wait_interval *
				      1000);
}

/* Loss detection and recovery on a duplicate ACK (RFC 5681 3.2, RFC 6582). */
static void dupack(struct tcb *t, struct seg_ctx *s)
{
	struct engine *e = t->eng;

	e->stats.dup_acks_in++;
	t->dupacks++;
	sync_cc(t, s->now);
	if (t->flags & TF_IN_RECOVERY) {
		/* Step 4: each further duplicate inflates the window. */
		cc_recovery_dupack(&t->cc);
		return;
	}
	if (t->dupacks != 3)
		return; /* 1 and 2: limited transmit (RFC 3042) in output */
	/* RFC 6582 3.2 step 2: only an ACK beyond "recover" starts a new
	 * episode (recover starts at ISS and is set by each RTO). */
	if (!seq_gt(s->ack, t->recover))
		return;
	t->recover = t->snd_max;
	t->flags |= TF_IN_RECOVERY;
	t->flags &= ~TF_RTT_TIMING; /* Karn: nothing timed across a loss */
	cc_on_signal(&t->cc, CC_EV_DUPACK);
	t->cc.in_recovery = true;
	e->stats.fast_retransmits++;
	/* Step 2: retransmit the first unacknowledged segment now. */
	{
		uint32_t nxt = t->snd_nxt;

		t->snd_nxt = t->snd_una;
		t->flags |= TF_FORCE_DATA;
		tcp_output(t, s->now);
		t->flags &= ~TF_FORCE_DATA;
		if (seq_gt(nxt, t->snd_nxt))
			t->snd_nxt = nxt;
	}
}

/*
 * RFC 6675 Update(): record the SACK blocks of an ACK (RFC 2018) in the
 * scoreboard. Returns true when they SACK octets not known before, which
 * makes the ACK a "duplicate acknowledgment" in RFC 6675's sense (2: even
 * if it carries data, changes the window or moves SND.UNA).
 */
static bool sack_update(struct tcb *t, const struct seg_ctx *s)
{
	const struct tcp_opts *o = &s->p->tcp.opts;
	uint32_t top = t->snd_max, newly = 0;

	if (!(t->opt_on & TO_SACK) || !(o->present & TCP_OPT_SACK))
		return false;
	/* Data only: the FIN is never SACKed, so it is always sent again. */
	if (t->flags & TF_FIN_SENT)
		top = tcb_fin_seq(t);
	for (int i = 0; i < o->nsack && i < TCP_MAX_SACK; i++) {
		uint32_t start = o->sack[i].start, end = o->sack[i].end;

		t->eng->stats.sack_blocks_in++;
		/* RFC 2883 4: a first block below the ACK, or within the
		 * second, reports a duplicate (D-SACK): nothing to record
		 * (undo of spurious retransmissions is not done). */
		if (i == 0 &&
		    (seq_leq(end, s->ack) ||
		     (o->nsack > 1 && seq_geq(start, o->sack[1].start) &&
		      seq_leq(end, o->sack[1].end)))) {
			t->eng->stats.dsacks_in++;
			t->dsack_dups++;
			continue;
		}
		/* Blocks outside what is outstanding are not ours. */
		if (!seq_lt(start, end) || seq_gt(end, t->snd_max) ||
		    seq_lt(start, t->snd_una - t->max_sndwnd))
			continue;
		start = seq_max(start, t->snd_una);
		end = seq_min(end, top);
		if (seq_lt(start, end))
			newly += sack_sb_add(&t->sb, start, end);
	}
	return newly > 0;
}

/*
 * RFC 6675 5: a duplicate acknowledgment with SACK. Recovery starts at the
 * third, or as soon as IsLost(HighACK + 1) says the first segment is lost;
 * RFC 6675 5.1: not before SND.UNA reached the RecoveryPoint of an RTO.
 */
static void sack_dupack(struct tcb *t, struct seg_ctx *s)
{
	struct engine *e = t->eng;
	uint32_t end;

	e->stats.dup_acks_in++;
	if (t->flags & TF_IN_RECOVERY)
		return; /* (B): output sends what pipe allows */
	t->dupacks++;
	if (t->dupacks < SACK_DUPTHRESH &&
	    !sack_is_lost(&t->sb, t->snd_una, t->smss))
		return; /* (3): limited transmit in output */
	if (seq_lt(t->snd_una, t->recover) || !t->cc.ops)
		return;
	/* (4.1) RecoveryPoint = HighData; (4.2) ssthresh = cwnd =
	 * FlightSize / 2, through the congestion control; no inflation:
	 * pipe accounts for what left the network. */
	t->recover = t->snd_max;
	t->flags |= TF_IN_RECOVERY;
	sync_cc(t, s->now);
	cc_on_signal(&t->cc, CC_EV_DUPACK);
	t->cc.cwnd = t->cc.ssthresh > t->smss ? t->cc.ssthresh : t->smss;
	t->cc.in_recovery = true;
	e->stats.fast_retransmits++;
	e->stats.sack_recoveries++;
	if (t->opt_on & TO_ECN)
		t->oflags |= OF_CWR; /* RFC 3168 6.1.2: any reduction */
	t->snd_nxt = t->snd_max;
	/* (4.3) The first segment goes now, lost or not by IsLost(). */
	t->high_rxt = t->snd_una;
	end = sack_sb_next_sacked(&t->sb, t->snd_una, t->snd_max);
	tcp_sack_rexmit(t, t->snd_una,
			end - t->snd_una < t->smss ? end - t->snd_una : t->smss,
			s->now);
	/* (4.4, 4.5): the rest as pipe allows, in the output after this. */
}

/* RFC 3168 6.1.2: ECE, at most one reduction per window (cc.c), and CWR
 * on the next new data after it. */
static void ecn_echo(struct tcb *t, struct seg_ctx *s)
{
	bool was = t->cc.in_cwr;
	uint32_t seq = t->cc.cwr_seq;

	t->eng->stats.ecn_ece_in++;
	if (!t->cc.ops)
		return;
	sync_cc(t, s->now);
	cc_on_signal(&t->cc, CC_EV_ECN);
	if (t->cc.in_cwr && (!was || t->cc.cwr_seq != seq)) {
		t->oflags |= OF_CWR;
		t->eng->stats.ecn_reductions++;
	}
}

/*
 * Fifth check: the ACK field. Returns false when the segment was dropped
 * (or the tcb went away).
 */
static bool ack_process(struct tcb *t, struct seg_ctx *s)
{
	struct engine *e = t->eng;
	uint32_t acked;
	bool sack_new = false;

	if (t->state == TCPS_SYN_RECEIVED) {
		struct tcb *l = t->listener;

		/* RFC 9293 3.10.7.4, SYN-RECEIVED: unless SND.UNA < SEG.ACK
		 * =< SND.NXT, <SEQ=SEG.ACK><CTL=RST>. This comes before
		 * RFC 5961 5.2's challenge ACK, which is for synchronized
		 * states: our "ACK" here would be the SYN-ACK again. */
		if (!seq_gt(s->ack, t->snd_una) || seq_gt(s->ack, t->snd_max)) {
			tcp_respond_rst(e, s->p, s->now);
			return false;
		}
		/* A full accept queue: act as if the ACK was lost, so the
		 * SYN-ACK goes again later (the peer sees ESTABLISHED). */
		if (l && l->qlen >= l->backlog) {
			e->stats.listen_drops++;
			return false;
		}
		t->snd_wnd = (uint32_t)s->wnd << t->snd_wscale;
		t->max_sndwnd = t->snd_wnd;
		t->snd_wl1 = s->seq;
		t->snd_wl2 = s->ack;
		tcb_established(t, s->now);
		if (l) {
			l->q0len--;
			if (l->acceptq_tail)
				l->acceptq_tail->q_next = t;
			else
				l->acceptq = t;
			l->acceptq_tail = t;
			t->q_next = NULL;
			l->qlen++;
			tcb_event(l, EV_ACCEPTABLE | EV_READABLE);
		} else {
			tcb_event(t, EV_CONNECTED | EV_WRITABLE);
		}
		/* Fall through: the ACK also acknowledges our SYN. */
	} else if (seq_gt(s->ack, t->snd_max) ||
		   seq_lt(s->ack, t->snd_una - t->max_sndwnd)) {
		/* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA -
		 * MAX.SND.WND, SND.NXT]; answer anything else with an ACK
		 * and drop it. */
		tcp_send_challenge_ack(t, s->now);
		return false;
	}

	if (seq_gt(s->ack, t->snd_una)) {
		uint32_t fin_seq = tcb_fin_seq(t);
		bool fin_acked = (t->flags & TF_FIN_SENT) &&
				 seq_gt(s->ack, fin_seq);
		uint32_t data_acked;

		acked = s->ack - t->snd_una;
		/* The SYN and the FIN take sequence space, not buffer. */
		data_acked = acked;
		if (seq_leq(t->snd_una, t->iss) && seq_gt(s->ack, t->iss))
			data_acked--;
		if (fin_acked)
			data_acked--;
		if (data_acked > ring_used(&t->sndbuf))
			data_acked = ring_used(&t->sndbuf);
		ring_consume(&t->sndbuf, data_acked);
		t->bytes_acked += data_acked;

		/* RFC 7323 4.1 with timestamps; else RFC 6298 5.3 with
		 * Karn: a sample only from a segment not retransmitted. */
		if (ts_rtt_sample(t, s)) {
			t->flags &= ~TF_RTT_TIMING;
		} else if ((t->flags & TF_RTT_TIMING) &&
			   seq_gt(s->ack, t->rtt_seq)) {
			uint32_t r = (uint32_t)(s->now - t->rtt_start);

			rtt_sample(&t->rtt, r);
			cc_on_rtt(&t->cc, r);
			t->flags &= ~TF_RTT_TIMING;
		}
		t->snd_una = s->ack;
		if (seq_lt(t->snd_nxt, t->snd_una))
			t->snd_nxt = t->snd_una;
		t->rexmit_start = s->now;
		t->flags &= ~TF_REXMIT_EPISODE;
		if (t->opt_on & TO_SACK) {
			sack_sb_advance(&t->sb, t->snd_una);
			sack_new = sack_update(t, s);
		}

		sync_cc(t, s->now);
		if (t->flags & TF_IN_RECOVERY) {
			if (seq_geq(s->ack, t->recover)) {
				/* Full ACK: recovery ends (RFC 6582 3.2 s.3). */
				t->flags &= ~TF_IN_RECOVERY;
				t->cc.in_recovery = false;
				cc_on_exit_recovery(&t->cc);
				t->dupacks = 0;
			} else if (t->opt_on & TO_SACK) {
				/* RFC 6675 5 (B): the scoreboard is updated,
				 * output sends what pipe allows; RFC 6298
				 * 5.3: the timer restarts. */
				tcp_arm_rexmt(t, s->now);
			} else {
				/* Partial ACK (step 5): the next hole goes now,
				 * and the RTO restarts. */
				cc_recovery_partial_ack(&t->cc, acked);
				t->snd_nxt = t->snd_una;
				t->flags |= TF_FORCE_DATA;
				tcp_output(t, s->now);
				t->flags &= ~TF_FORCE_DATA;
				t->snd_nxt = t->snd_max;
				tcp_arm_rexmt(t, s->now);
			}
		} else {
			t->dupacks = 0;
			if (t->cc.ops)
				cc_on_ack(&t->cc, acked);
			/* RFC 6582 "recover" only matters until SND.UNA
			 * passes it; then keep it just behind, or after 2^31
			 * bytes "SEG.ACK > recover" turns false in sequence
			 * space (RFC 1982) and fast retransmit stops. */
			if (seq_lt(t->recover, t->snd_una))
				t->recover = t->snd_una - 1;
			/* RFC 6675 5: DupAcks restarts at a cumulative ACK,
			 * which counts as a duplicate if it SACKs more. */
			if (sack_new)
				sack_dupack(t, s);
		}

		/* RFC 6298 5.2/5.3: stop the timer when all is acknowledged,
		 * else restart it. */
		if (t->snd_una == t->snd_max)
			tcb_timer_clear(t, TT_REXMT);
		else if (!(t->flags & TF_IN_RECOVERY))
			tcp_arm_rexmt(t, s->now);
		if (data_acked)
			tcb_event(t, EV_WRITABLE);

		if (fin_acked) {
			switch (t->state) {
			case TCPS_FIN_WAIT_1:
				tcb_set_state(t, TCPS_FIN_WAIT_2, s->now);
				if ((t->flags & TF_USER_CLOSED) &&
				    t->opts.linger2_ms)
					tcb_timer_set(
						t, TT_FINWAIT2,
						s->now +
							(uint64_t)t->opts.linger2_ms *
								1000);
				break;
			case TCPS_CLOSING:
				enter_time_wait(t, s->now);
				break;
			case TCPS_LAST_ACK:
				tcb_closed(t, 0, s->now);
				return false;
			default:
				break;
			}
		}
	} else if ((t->opt_on & TO_SACK) && sack_update(t, s)) {
		/* RFC 6675 2: new SACK information makes it a duplicate. */
		if (s->ack == t->snd_una && t->snd_max != t->snd_una)
			sack_dupack(t, s);
	} else if (s->ack == t->snd_una && s->p->payload_len == 0 &&
		   !(s->p->tcp.flags & (TH_SYN | TH_FIN)) &&
		   t->snd_max != t->snd_una &&
		   (uint32_t)s->wnd << t->snd_wscale == t->snd_wnd) {
		/* RFC 5681 2: the definition of a duplicate ACK, on the
		 * segment as it came: data or a FIN trimmed away (a probe
		 * of our zero window, a partial duplicate) still counts.
		 * With SACK, one without SACK blocks (a D-SACK only is no
		 * news) still counts, for a peer that sends none. */
		if (!(t->opt_on & TO_SACK))
			dupack(t, s);
		else if (!(s->p->tcp.opts.present & TCP_OPT_SACK))
			sack_dupack(t, s);
	}

	if ((t->opt_on & TO_ECN) && (s->flags & TH_ECE))
		ecn_echo(t, s);

	/* Window update (RFC 9293 3.10.7.4, SND.WL1/SND.WL2 rule). */
	if (seq_lt(t->snd_wl1, s->seq) ||
	    (t->snd_wl1 == s->seq && seq_leq(t->snd_wl2, s->ack))) {
		uint32_t old = t->snd_wnd;

		t->snd_wnd = (uint32_t)s->wnd << t->snd_wscale;
		t->snd_wl1 = s->seq;
		t->snd_wl2 = s->ack;
		if (t->snd_wnd > t->max_sndwnd)
			t->max_sndwnd = t->snd_wnd;
		if (t->snd_wnd)
			tcb_timer_clear(t, TT_PERSIST);
		/* The window opens while a zero-window probe is outstanding
		 * and unacknowledged: the peer dropped it. Resume from
		 * SND.UNA rather than leave a hole behind new data. */
		if (!old && t->snd_wnd && t->snd_max - t->snd_una == 1 &&
		    ring_used(&t->sndbuf))
			t->snd_nxt = t->snd_una;
		/* A peer that answers our probes keeps the connection alive
		 * however long its window stays shut (RFC 9293 3.8.6.1). */
		if (!t->snd_wnd || !old)
			t->rexmit_start = s->now;
	}
	return true;
}

/* The table of 3.10.7.4, step by step. */
static void synchronized_input(struct tcb *t, struct seg_ctx *s)
{
	struct engine *e = t->eng;
	uint32_t orig_seq = s->seq;
	bool syn;

	/* A SYN for a connection in TIME-WAIT with a higher sequence number
	 * starts a new incarnation (RFC 9293 3.10.7.4 note, RFC 6191). */
	if (t->state == TCPS_TIME_WAIT && (s->flags & TH_SYN) &&
	    !(s->flags & (TH_ACK | TH_RST)) && seq_gt(s->seq, t->rcv_nxt)) {
		struct tcb *l = listen_lookup(e, &s->p->ip.dst, s->p->tcp.dport,
					      &s->p->ip.src, s->p->tcp.sport);

		if (l) {
			tcb_closed(t, 0, s->now);
			listen_input(e, l, s);
			return;
		}
	}

	/*
	 * A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost. Unless
	 * one left within the last SYNACK_AGAIN_US (our timer and the peer's
	 * expired together, or the SYN was duplicated): that one answers
	 * this SYN too, and a second would be a needless retransmission.
	 */
	if (t->state == TCPS_SYN_RECEIVED && (s->flags & TH_SYN) &&
	    !(s->flags & TH_ACK) && s->seq == t->irs) {
		uint64_t due = t->deadline[TT_REXMT];

		if (due == TT_OFF || due <= s->now ||
		    due - s->now + SYNACK_AGAIN_US <= rtt_rto(&t->rtt)) {
			t->snd_nxt = t->iss;
			tcp_output(t, s->now);
		}
		return;
	}

	/* Simultaneous open, the peer's SYN-ACK (RFC 9293 figure 8, line 6):
	 * its SYN is the one we have; take it as the ACK of ours. */
	if (t->state == TCPS_SYN_RECEIVED && !(t->flags & TF_PASSIVE) &&
	    (s->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
	    s->seq == t->irs && s->ack == t->snd_max) {
		s->flags &= (uint8_t)~TH_SYN;
		s->seq++;
		orig_seq = s->seq;
	}
	/* Trimming may cut a SYN below RCV.NXT off; it still counts. */
	syn = s->flags & TH_SYN;

	/* Timestamps, once negotiated (RFC 7323 3.2): a segment without one
	 * is dropped silently (tcp(4P)), a RST excepted; PAWS (5.3 R1): an
	 * older TSval than TS.Recent is a segment from the past, dropped
	 * and answered with an ACK, unless TS.Recent is from before an idle
	 * time of 24 days, when it no longer counts (5.5). */
	if ((t->opt_on & TO_TS) && !(s->flags & TH_RST)) {
		const struct tcp_opts *o = &s->p->tcp.opts;

		if (!(o->present & TCP_OPT_TS)) {
			e->stats.ts_missing_drops++;
			goto drop;
		}
		if (seq_lt(o->ts_val, t->ts_recent)) {
			if (s->now - t->ts_recent_age <= TS_RECENT_IDLE_US) {
				e->stats.paws_drops++;
				goto drop_after_ack;
			}
			t->ts_recent = o->ts_val;
			t->ts_recent_age = s->now;
		}
	}

	/* First: sequence number. */
	if (!seq_acceptable(t, s)) {
		/* RFC 2883: data wholly below RCV.NXT is a duplicate. */
		if (s->len && seq_leq(s->seq + s->len, t->rcv_nxt))
			note_dsack(t, s->seq, s->seq + s->len);
		/* TIME-WAIT: a retransmitted FIN restarts 2MSL (3.10.7.4). */
		if (t->state == TCPS_TIME_WAIT && (s->flags & TH_FIN) &&
		    !(s->flags & TH_RST) && s->seq + s->len + 1 == t->rcv_nxt)
			tcb_timer_set(
				t, TT_2MSL,
				s->now +
					(uint64_t)e->tun.tcp_time_wait_interval *
						1000);
		if (!(s->flags & TH_RST))
			goto drop_after_ack;
		goto drop;
	}

	/* RFC 7323 4.3 (R3): the TSval to echo is that of the segment
	 * at the left edge, the one our next ACK acknowledges. */
	if ((t->opt_on & TO_TS) && (s->p->tcp.opts.present & TCP_OPT_TS) &&
	    seq_leq(orig_seq, t->last_ack_sent) &&
	    !seq_lt(s->p->tcp.opts.ts_val, t->ts_recent)) {
		t->ts_recent = s->p->tcp.opts.ts_val;
		t->ts_recent_age = s->now;
	}
	/* RFC 3168 6.1.3: CWR ends our echo; a CE-marked data segment
	 * starts it (at once, so the sender hears of it within an RTT). */
	if ((t->opt_on & TO_ECN) && !(s->flags & TH_RST)) {
		if (s->flags & TH_CWR)
			t->oflags &= (uint8_t)~OF_ECE;
		if (s->p->payload_len && (s->p->ip.tos & 3) == IP_ECN_CE) {
			e->stats.ecn_ce_in++;
			t->received_ce++;
			if (!(t->oflags & OF_ECE))
				t->flags |= TF_ACKNOW;
			t->oflags |= OF_ECE;
		}
	}

	/* Second: RST (RFC 5961 3.2). */
	if (s->flags & TH_RST) {
		if (orig_seq != t->rcv_nxt) {
			tcp_send_challenge_ack(t, s->now);
			goto drop;
		}
		switch (t->state) {
		case TCPS_SYN_RECEIVED:
			/* Passive: back to LISTEN, i.e. forget the child.
			 * Active (simultaneous open): refused. */
			tcb_closed(t,
				   (t->flags & TF_PASSIVE) ? 0 : -ECONNREFUSED,
				   s->now);
			return;
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
		case TCPS_CLOSE_WAIT:
			tcb_closed(t, -ECONNRESET, s->now);
			return;
		default:
			tcb_closed(t, 0, s->now);
			return;
		}
	}

	/* Fourth: SYN in a synchronized state, "irrespective of the
	 * sequence number" (RFC 5961 4.2): its data is not taken either. */
	if (syn) {
		tcp_send_challenge_ack(t, s->now);
		goto drop;
	}

	/* Fifth: ACK. */
	if (!(s->flags & TH_ACK))
		goto drop;
	if (!ack_process(t, s))
		return;
	/* RFC 1122 4.2.2.13: new data after the application closed is
	 * answered with RST "to show that data was lost", as CLOSE with
	 * unread data is (eng_close). */
	if ((t->flags & TF_USER_CLOSED) && s->len &&
	    (t->state == TCPS_FIN_WAIT_1 || t->state == TCPS_FIN_WAIT_2)) {
		tcp_send_rst(t, s->now);
		tcb_closed(t, 0, s->now);
		return;
	}

	/* Seventh and eighth, then the sixth (URG, urgent.c): the urgent
	 * byte is taken from the text once it is there. */
	text_and_fin(t, s);
	urg_input(t, s->p, s->now);
	tcb_output_after_input(t, s->now);
	return;

drop_after_ack:
	/* RFC 9293: an unacceptable segment gets <SEQ=SND.NXT><ACK=RCV.NXT>,
	 * rate-limited like challenge ACKs so it cannot be used to amplify. */
	tcp_send_challenge_ack(t, s->now);
drop:
	return;
}

void tcp_input(struct engine *e, const struct pkt *p, uint64_t now)
{
	struct seg_ctx s = {
		.p = p,
		.now = now,
		.seq = p->tcp.seq,
		.ack = p->tcp.ack,
		.flags = p->tcp.flags,
		.wnd = p->tcp.win,
		.data = p->payload,
		.len = p->payload_len,
	};
	struct tcb *t;

	e->stats.tcpInSegs++;
	t = conn_lookup(e, &p->ip.dst, p->tcp.dport, &p->ip.src, p->tcp.sport);
	if (!t) {
		struct tcb *l = listen_lookup(e, &p->ip.dst, p->tcp.dport,
					      &p->ip.src, p->tcp.sport);

		if (l) {
			listen_input(e, l, &s);
			return;
		}
		/* CLOSED (RFC 9293 3.10.7.1): answer with RST, never a RST. */
		tcp_respond_rst(e, p, now);
		return;
	}
	t->segs_in++;
	if (p->payload_len) {
		t->data_segs_in++;
		t->last_data_rcv = now;
	}
	trace_seg_in(t, p, now);
	keep_seg_in(t, now); /* RFC 1122 4.2.3.6: not idle */
	if (t->state == TCPS_SYN_SENT)
		syn_sent_input(t, &s);
	else
		synchronized_input(t, &s);
}
