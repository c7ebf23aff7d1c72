// SPDX-License-Identifier: BSD-2-Clause
/*
 * What to send and when: RFC 9293 3.8.6 (windows, silly window syndrome
 * avoidance on both sides), RFC 896 / RFC 1122 4.2.3.4 (Nagle), RFC 5681
 * (congestion window, RFC 3042 limited transmit, 4.1 restart after idle),
 * RFC 6298 (the retransmission timer).
 */
#include "stack/tcb.h"

#include <string.h>

#define MSS_MIN 64

static bool is_v4(const struct tcb *t)
{
	return ip_addr_is_v4(&t->faddr);
}

/*
 * Our MSS (announced) and the send MSS: RFC 9293 3.7.1. Without the peer's
 * option the send MSS is 536 over IPv4 and 1220 over IPv6 (tcp_mss_def_*).
 */
void tcp_set_smss(struct tcb *t, uint32_t peer_mss)
{
	struct engine *e = t->eng;
	uint32_t mtu = e->ops.path_mtu ? e->ops.path_mtu(e->user, &t->faddr) :
					 1500;
	uint32_t hdr = is_v4(t) ? IP4_HLEN + TCP_HLEN : IP6_HLEN + TCP_HLEN;
	uint32_t mss = mtu > hdr + MSS_MIN ? mtu - hdr : MSS_MIN;

	if (t->opts.mss && t->opts.mss < mss)
		mss = t->opts.mss < MSS_MIN ? MSS_MIN : t->opts.mss;
	t->rmss = mss > 65535 ? 65535 : mss;
	if (!peer_mss)
		peer_mss = is_v4(t) ? e->tun.tcp_mss_def_ipv4 :
				      e->tun.tcp_mss_def_ipv6;
	/* Send no more than the peer takes nor than our own path carries. */
	t->smss = peer_mss < t->rmss ? peer_mss : t->rmss;
	/* RFC 6691 / RFC 7323 3.2: the MSS excludes options, and every
	 * segment will carry a timestamp. */
	if (t->opt_on & TO_TS)
		t->smss -= TS_OPT_LEN;
	if (t->smss < MSS_MIN)
		t->smss = MSS_MIN;
}

uint8_t tcp_wscale_for(uint32_t buf)
{
	uint8_t s = 0;

	/* RFC 7323 2.3: the shift is at most 14. */
	while (s < 14 && ((uint32_t)65535 << s) < buf)
		s++;
	return s;
}

/*
 * What our SYN offers (tcp(4P) "Additional Configuration"): window scale
 * with tcp_wscale_always, or when the application asked for a buffer above
 * 64K before connect (sock_opts.buf_big, set by the socket layer);
 * timestamps with tcp_tstamp_always, or with window scale when
 * tcp_tstamp_if_wscale; SACK-permitted when tcp_sack_permitted is 2; an
 * ECN-setup SYN (RFC 3168 6.1.1) when tcp_ecn_permitted is 2.
 */
void tcp_choose_offer(struct tcb *t)
{
	const struct tunables *tun = &t->eng->tun;
	bool ws = tun->tcp_wscale_always || t->opts.buf_big;

	t->opt_offer = 0;
	if (ws)
		t->opt_offer |= TO_WS;
	if (tun->tcp_tstamp_always || (ws && tun->tcp_tstamp_if_wscale))
		t->opt_offer |= TO_TS;
	if (tun->tcp_sack_permitted == 2)
		t->opt_offer |= TO_SACK;
	if (tun->tcp_ecn_permitted == 2)
		t->opt_offer |= TO_ECN;
}

/*
 * The options of our SYN (what we offer) or SYN-ACK (what we answer: the
 * options negotiated). RFC 7323 3.2: TSecr is 0 in a SYN, TS.Recent (the
 * peer's SYN's TSval) in a SYN-ACK.
 */
void tcp_build_syn_opts(const struct tcb *t, struct tcp_opts *o, uint64_t now)
{
	uint8_t set = t->state == TCPS_SYN_SENT ? t->opt_offer : t->opt_on;

	memset(o, 0, sizeof(*o));
	o->present = TCP_OPT_MSS;
	o->mss = (uint16_t)t->rmss;
	if (set & TO_WS) {
		o->present |= TCP_OPT_WSCALE;
		o->wscale = t->state == TCPS_SYN_SENT ?
				    tcp_wscale_for(t->rcvbuf_limit) :
				    t->rcv_wscale;
	}
	if (set & TO_SACK)
		o->present |= TCP_OPT_SACK_PERM;
	if (set & TO_TS) {
		o->present |= TCP_OPT_TS;
		o->ts_val = tcp_ts_now(t, now);
		o->ts_ecr = t->state == TCPS_SYN_SENT ? 0 : t->ts_recent;
	}
}

/* Bytes the SACK option of our next segment takes (RFC 2018 3). */
static uint32_t sack_optlen(const struct tcb *t)
{
	uint32_t n, max = (t->opt_on & TO_TS) ? 3 : 4;

	if (!(t->opt_on & TO_SACK))
		return 0;
	n = t->ooo.n + !!(t->oflags & OF_DSACK);
	if (n > max)
		n = max;
	return n ? 4 + 8 * n : 0;
}

/*
 * Options of a segment after the SYN: the timestamp on every one once
 * negotiated (RFC 7323 3.2, RST included as it SHOULD), and SACK blocks
 * while out-of-order data is held (RFC 2018 4): a D-SACK block first
 * (RFC 2883 4), then the block of the latest segment, then the others.
 */
static void build_opts(struct tcb *t, struct tcp_opts *o, uint8_t flags,
		       uint64_t now)
{
	if (t->opt_on & TO_TS) {
		o->present |= TCP_OPT_TS;
		o->ts_val = tcp_ts_now(t, now);
		o->ts_ecr = t->ts_recent;
	}
	if ((t->opt_on & TO_SACK) && !(flags & TH_RST)) {
		int max = (t->opt_on & TO_TS) ? 3 : 4, n = 0;

		if (t->oflags & OF_DSACK) {
			o->sack[0].start = t->dsack_start;
			o->sack[0].end = t->dsack_end;
			n = 1;
			t->oflags &= (uint8_t)~OF_DSACK;
			t->eng->stats.dsacks_out++;
		}
		n += ooo_sack_blocks(&t->ooo, o->sack + n, max - n);
		if (n) {
			o->present |= TCP_OPT_SACK;
			o->nsack = (uint8_t)n;
		}
	}
}

/*
 * The window to advertise (RFC 9293 3.8.6.2.2): the free buffer, but the
 * right edge moves only by at least min(buffer/2, MSS) at a time, and never
 * back (no shrinking).
 */
uint32_t tcp_rcv_window(const struct tcb *t)
{
	uint32_t used = ring_used(&t->rcvbuf);
	uint32_t space = t->rcvbuf_limit > used ? t->rcvbuf_limit - used : 0;
	uint32_t cur =
		seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t step = t->rcvbuf_limit / 2 < t->rmss ? t->rcvbuf_limit / 2 :
							t->rmss;
	uint32_t max = (uint32_t)65535 << t->rcv_wscale;

	if (space > max)
		space = max;
	if (space < cur || space - cur < step)
		space = cur;
	/* What scaling cannot express is not offered. */
	return space >> t->rcv_wscale << t->rcv_wscale;
}

static void xmit(struct tcb *t, uint8_t flags, uint32_t seq, uint32_t off,
		 uint32_t len, uint64_t now)
{
	struct engine *e = t->eng;
	struct seg_out so;
	uint32_t wnd;

	memset(&so, 0, sizeof(so));
	so.src = t->laddr;
	so.dst = t->faddr;
	so.ttl = t->opts.ttl ? t->opts.ttl : 64;
	so.tos = t->opts.tos & (uint8_t)~3u; /* ECN bits are the engine's */
	so.th.sport = t->lport;
	so.th.dport = t->fport;
	so.th.seq = seq;
	so.tcb = t;
	if (t->opt_on & TO_ECN) {
		bool new_data = len && seq == t->snd_max &&
				!((t->flags & TF_FORCE_DATA) && !t->snd_wnd);

		/* RFC 3168 6.1.3: ECE on our ACKs until the peer's CWR. */
		if ((t->oflags & OF_ECE) && (flags & TH_ACK) &&
		    !(flags & (TH_SYN | TH_RST)))
			flags |= TH_ECE;
		/* 6.1.2: CWR on the first new data after a reduction; 6.1.1
		 * and 6.1.5: ECT only on new data, never on SYNs, pure ACKs,
		 * window probes or retransmissions. */
		if (new_data) {
			so.tos |= IP_ECN_ECT0;
			if (t->oflags & OF_CWR) {
				flags |= TH_CWR;
				t->oflags &= (uint8_t)~OF_CWR;
			}
		}
	}
	so.th.flags = flags;
	if (flags & TH_ACK) {
		so.th.ack = t->rcv_nxt;
		t->last_ack_sent = t->rcv_nxt; /* RFC 7323 4.3 */
	}
	if (flags & TH_SYN) {
		tcp_build_syn_opts(t, &so.th.opts, now);
		/* RFC 7323 2.2: the window of a SYN is not scaled; what it
		 * cannot say is not offered. */
		wnd = tcp_rcv_window(t);
		so.th.win = (uint16_t)(wnd > 65535 ? 65535 : wnd);
		wnd = so.th.win;
	} else {
		wnd = tcp_rcv_window(t);
		so.th.win = (uint16_t)((wnd >> t->rcv_wscale) > 65535 ?
					       65535 :
					       wnd >> t->rcv_wscale);
		wnd = (uint32_t)so.th.win << t->rcv_wscale;
		build_opts(t, &so.th.opts, flags, now);
	}
	if (!(flags & TH_RST) && seq_gt(t->rcv_nxt + wnd, t->rcv_adv))
		t->rcv_adv = t->rcv_nxt + wnd;
	if (len) {
		so.ndata = (uint8_t)ring_iov(&t->sndbuf, off, len, so.data);
		so.len = len;
	}
	if (flags & TH_ACK) {
		/* This segment carries the ACK we owed. */
		t->flags &= ~(TF_ACKNOW | TF_DELACK);
		t->unacked_segs = 0;
		if (t->deadline[TT_DELACK] != TT_OFF)
			tcb_timer_clear(t, TT_DELACK);
	}
	t->segs_out++;
	/* RFC 5681 4.1 restarts after an interval without sending data:
	 * pure ACKs do not count. */
	if (len) {
		t->last_send = now;
		t->data_segs_out++;
		t->bytes_sent += len;
	}
	e->stats.tcpOutSegs++;
	if (flags & TH_RST)
		e->stats.tcpOutRsts++;
	urg_fill_out(t, &so.th); /* RFC 9293 3.8.2: URG and the pointer */
	trace_seg_out(t, &so, now);
	e->ops.output(e->user, &so);
}

void tcp_send_ctl(struct tcb *t, uint8_t flags, uint32_t seq, uint64_t now)
{
	xmit(t, flags, seq, 0, 0, now);
}

/* Arm the retransmission timer for the oldest outstanding segment. The
 * deadline never passes the abort threshold, so the abort is on time. */
void tcp_arm_rexmt(struct tcb *t, uint64_t now)
{
	uint64_t when = now + rtt_rto(&t->rtt);
	bool syn = t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED;
	uint32_t abort_ms = syn ? t->opts.conn_abort_ms : t->opts.abort_ms;

	if (abort_ms) {
		uint64_t limit = t->rexmit_start + (uint64_t)abort_ms * 1000;

		if (when > limit)
			when = limit > now ? limit : now;
	}
	tcb_timer_set(t, TT_REXMT, when);
}

static void send_syn(struct tcb *t, uint64_t now)
{
	uint8_t flags = TH_SYN;

	if (t->state == TCPS_SYN_RECEIVED)
		flags |= TH_ACK;
	/* RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR, an ECN-setup
	 * SYN-ACK ECE alone. */
	if (t->state == TCPS_SYN_SENT && (t->opt_offer & TO_ECN))
		flags |= TH_ECE | TH_CWR;
	else if (t->state == TCPS_SYN_RECEIVED && (t->opt_on & TO_ECN))
		flags |= TH_ECE;
	if (t->snd_max == t->iss && !(t->flags & TF_RTT_TIMING)) {
		t->flags |= TF_RTT_TIMING;
		t->rtt_seq = t->iss;
		t->rtt_start = now;
	} else if (t->snd_max != t->iss) {
		/* Karn (RFC 6298 3): however it comes to be sent again (the
		 * peer's SYN repeated, a challenge ACK, the timer), the ACK
		 * of a SYN sent twice gives no sample. */
		t->flags &= ~TF_RTT_TIMING;
		t->eng->stats.tcpRetransSegs++;
		t->total_retrans++;
	}
	xmit(t, flags, t->iss, 0, 0, now);
	t->snd_nxt = t->iss + 1;
	if (seq_gt(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	if (t->deadline[TT_REXMT] == TT_OFF) {
		t->rexmit_start = now;
		tcp_arm_rexmt(t, now);
	}
}

/*
 * Sender-side decision for one segment of @len bytes (RFC 9293 3.8.6.2.1,
 * RFC 1122 4.2.3.4): full segments go; a short one goes only if it empties
 * the buffer and Nagle allows it (nothing in flight, or TCP_NODELAY), or it
 * is at least half the largest window the peer offered.
 */
static bool worth_sending(const struct tcb *t, uint32_t len, uint32_t mss,
			  uint32_t unsent, bool retransmit)
{
	if (len >= mss || retransmit)
		return true;
	/* Urgent data, and TCP_CORK just cleared: "all currently buffered
	 * data is sent out (as permitted by the peer's receive window and
	 * the current congestion window)" (tcp(4P)). */
	if (urg_push(t) || t->x.push)
		return true;
	if (t->opts.cork || t->x.more)
		return false;
	if (len == unsent && (t->opts.nodelay || t->snd_max == t->snd_una))
		return true;
	if (t->max_sndwnd && len >= t->max_sndwnd / 2)
		return true;
	return false;
}

void tcp_output(struct tcb *t, uint64_t now)
{
	bool sent_any = false;

	switch (t->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		/* Nothing but our SYN until the handshake completes. */
		if (t->snd_nxt == t->iss || (t->flags & TF_ACKNOW)) {
			t->flags &= ~TF_ACKNOW;
			send_syn(t, now);
		}
		return;
	default:
		break;
	}

	/* RFC 5681 4.1: after an idle period longer than the RTO, restart
	 * from at most the initial window. */
	if (t->snd_max == t->snd_una && t->cc.ops && t->last_send &&
	    now - t->last_send > rtt_rto(&t->rtt) && tcb_snd_unsent(t)) {
		uint32_t iw = cc_initial_window(t->smss);

		if (t->opts.init_cwnd)
			iw = t->opts.init_cwnd * t->smss;
		cc_on_idle_restart(&t->cc, iw);
	}

	for (;;) {
		uint32_t seq0 = tcb_data_seq0(t);
		uint32_t used = ring_used(&t->sndbuf);
		uint32_t off = t->snd_nxt - seq0;
		uint32_t unsent = off < used ? used - off : 0;
		uint32_t inflight = t->snd_nxt - t->snd_una;
		uint32_t cwnd = t->cc.cwnd, wnd, avail, len;
		bool force = t->flags & TF_FORCE_DATA;
		bool retransmit = seq_lt(t->snd_nxt, t->snd_max);
		bool fin_due, fin;
		uint8_t flags = TH_ACK;
		/* Room for the SACK blocks this segment will carry. */
		uint32_t mss = t->smss - sack_optlen(t);
		bool sack_rec = tcb_sack_recovery(t);
		uint32_t cwnd_room = 0, rseq, rlen;

		if (seq_lt(t->snd_nxt, seq0)) {
			/* Our SYN went unacknowledged into synchronized state:
			 * cannot happen, the ACK that got us here covered it. */
			assert(0);
			return;
		}
		if (sack_rec) {
			uint32_t pipe = sack_pipe(&t->sb, t->snd_una,
						  t->snd_max, t->high_rxt,
						  t->smss);

			/* RFC 6675 5 (C): send while cwnd - pipe >= 1 SMSS,
			 * what NextSeg() rule (1) finds lost first. */
			if (pipe + t->smss > cwnd)
				break;
			if (sack_next_seg(&t->sb, t->snd_una, t->snd_max,
					  t->high_rxt, mss, false, &rseq,
					  &rlen)) {
				tcp_sack_rexmit(t, rseq, rlen, now);
				sent_any = true;
				continue;
			}
			cwnd_room = cwnd - pipe;
		} else if (retransmit && !sack_sb_empty(&t->sb)) {
			/* Going back after a timeout: what the peer SACKed
			 * since (RFC 6675 5.1) need not go again. */
			uint32_t end;

			if (sack_sb_sacked(&t->sb, t->snd_nxt, &end)) {
				t->snd_nxt = seq_min(end, t->snd_max);
				continue;
			}
			end = sack_sb_next_sacked(&t->sb, t->snd_nxt,
						  t->snd_max);
			if (end - t->snd_nxt < unsent)
				unsent = end - t->snd_nxt;
		}
		/* RFC 3042: the first two duplicate ACKs each allow one new
		 * segment beyond cwnd. */
		if (!(t->flags & TF_IN_RECOVERY) && t->dupacks &&
		    t->dupacks < 3)
			cwnd += t->dupacks * t->smss;
		wnd = t->snd_wnd < cwnd ? t->snd_wnd : cwnd;
		avail = wnd > inflight ? wnd - inflight : 0;
		if (sack_rec) {
			/* Rule (2): new data, as pipe and the peer's window
			 * allow. */
			avail = t->snd_wnd > inflight ? t->snd_wnd - inflight :
							0;
			if (avail > cwnd_room)
				avail = cwnd_room;
		}
		len = unsent < avail ? unsent : avail;
		if (force && unsent) {
			/* One segment regardless of the windows: a
			 * retransmission, or the persist timer's new data. */
			len = unsent;
			if (retransmit && !t->snd_wnd &&
			    len > t->snd_max - t->snd_nxt) {
				/* Resending a zero-window probe: only what
				 * went before, never new data past a closed
				 * window (RFC 9293 3.8.6.1). */
				len = t->snd_max - t->snd_nxt;
			} else if (!retransmit) {
				/* A probe of 1 byte into a zero window, or
				 * the sender SWS override (RFC 9293
				 * 3.8.6.2.1): what the offered window takes,
				 * however small. */
				uint32_t room = t->snd_wnd > inflight ?
							t->snd_wnd - inflight :
							0;

				len = room ? (unsent < room ? unsent : room) :
					     1;
			}
		}
		if (len > mss)
			len = mss;

		if (len &&
		    !worth_sending(t, len, mss, unsent, retransmit || force))
			len = 0;
		/* The FIN rides on the segment that ends the data, until it
		 * is acknowledged (RFC 9293 3.10.4). */
		fin_due = (t->flags & TF_FIN_QUEUED) &&
			  (t->state == TCPS_FIN_WAIT_1 ||
			   t->state == TCPS_CLOSING ||
			   t->state == TCPS_LAST_ACK);
		fin = fin_due && off + len == used &&
		      !seq_gt(t->snd_una, tcb_fin_seq(t));
		if (!len && !fin) {
			/* Rule (3): no new data to send, so an unSACKed
			 * segment not yet deemed lost. */
			if (sack_rec &&
			    sack_next_seg(&t->sb, t->snd_una, t->snd_max,
					  t->high_rxt, mss, true, &rseq,
					  &rlen)) {
				tcp_sack_rexmit(t, rseq, rlen, now);
				sent_any = true;
				continue;
			}
			break;
		}

		if (fin)
			flags |= TH_FIN;
		if (len && off + len == used)
			flags |= TH_PSH;
		if (retransmit) {
			t->eng->stats.tcpRetransSegs++;
			t->eng->stats.bytes_retrans += len;
			t->bytes_retrans += len;
			t->total_retrans++;
		} else if (len) {
			t->eng->stats.bytes_out += len;
		}
		/* Time one new segment at a time (RFC 6298 3, Karn). */
		if (!retransmit && len && !(t->flags & TF_RTT_TIMING)) {
			t->flags |= TF_RTT_TIMING;
			t->rtt_seq = t->snd_nxt;
			t->rtt_start = now;
		}
		xmit(t, flags, t->snd_nxt, off, len, now);
		sent_any = true;
		t->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			t->flags |= TF_FIN_SENT;
		if (seq_gt(t->snd_nxt, t->snd_max))
			t->snd_max = t->snd_nxt;
		if (t->deadline[TT_REXMT] == TT_OFF) {
			/* The abort clock starts with the first segment that
			 * goes unacknowledged (the RTO handler re-arms before
			 * it retransmits, keeping the clock). */
			t->rexmit_start = now;
			tcp_arm_rexmt(t, now);
		}
		tcb_timer_clear(t, TT_PERSIST);
		if (force || fin)
			break;
	}

	if (!sent_any && (t->flags & TF_ACKNOW))
		tcp_send_ack(t, now);

	/*
	 * Data waiting and nothing in flight to clock it out: a zero window
	 * is probed when the persist timer fires (RFC 9293 3.8.6.1); a
	 * window too small for sender SWS avoidance to use is filled anyway
	 * then, the "override timeout" of RFC 9293 3.8.6.2.1 (else a peer
	 * that keeps offering less than half its largest window would stall
	 * the connection for good). TCP_CORK holds data by request.
	 */
	if (tcb_snd_unsent(t) && t->snd_max == t->snd_una && !t->opts.cork &&
	    !t->x.more && t->deadline[TT_REXMT] == TT_OFF &&
	    t->deadline[TT_PERSIST] == TT_OFF)
		tcb_timer_set(t, TT_PERSIST, now + rtt_rto(&t->rtt));
}

/*
 * RFC 6675 5 (C.1, C.2): retransmit [@seq, @seq + @len) of the send buffer
 * (the FIN with it, if outstanding there) and move HighRxt past it.
 */
void tcp_sack_rexmit(struct tcb *t, uint32_t seq, uint32_t len, uint64_t now)
{
	uint32_t seq0 = tcb_data_seq0(t), used = ring_used(&t->sndbuf);
	uint32_t off = seq - seq0;
	uint32_t mss = t->smss - sack_optlen(t);
	uint8_t flags = TH_ACK;
	bool fin = false;

	if (len > mss)
		len = mss;
	t->high_rxt = seq + len;
	if (seq_lt(seq, seq0))
		return;
	if (off >= used) {
		if (!(t->flags & TF_FIN_SENT) || off != used)
			return;
		len = 0;
		fin = true;
	} else {
		if (len > used - off)
			len = used - off;
		if (off + len == used) {
			flags |= TH_PSH;
			fin = t->flags & TF_FIN_SENT;
		}
	}
	if (fin) {
		flags |= TH_FIN;
		t->high_rxt = seq + len + 1;
	}
	t->eng->stats.tcpRetransSegs++;
	t->eng->stats.bytes_retrans += len;
	t->bytes_retrans += len;
	t->total_retrans++;
	/* Karn: the timed segment went again. */
	if ((t->flags & TF_RTT_TIMING) && seq_leq(seq, t->rtt_seq))
		t->flags &= ~TF_RTT_TIMING;
	xmit(t, flags, seq, off, len, now);
	if (t->deadline[TT_REXMT] == TT_OFF) {
		t->rexmit_start = now;
		tcp_arm_rexmt(t, now);
	}
}

void tcp_send_ack(struct tcb *t, uint64_t now)
{
	if (t->state == TCPS_SYN_RECEIVED) {
		/* Our "ACK" here is the SYN-ACK itself. */
		uint32_t nxt = t->snd_nxt;

		send_syn(t, now);
		t->snd_nxt = nxt;
		return;
	}
	if (t->state == TCPS_CLOSED || t->state == TCPS_LISTEN ||
	    t->state == TCPS_SYN_SENT)
		return;
	/* A pure ACK carries SND.MAX, not a rewound SND.NXT: after a
	 * timeout the peer has seen more than snd_nxt, and would find an
	 * older sequence number unacceptable and drop the ACK with it. */
	xmit(t, TH_ACK, t->snd_max, 0, 0, now);
}

/*
 * RFC 5961 7: challenge ACKs (and ACKs to unacceptable segments) are
 * limited per second across the stack. A fixed budget is a side channel
 * (CVE-2016-5696: an off-path attacker counts the ACKs it draws and learns
 * whether its guess hit a window), so each second's budget is drawn anew
 * around tcp_challenge_ack_limit, from [limit/2, 3*limit/2).
 */
void tcp_send_challenge_ack(struct tcb *t, uint64_t now)
{
	struct engine *e = t->eng;
	uint32_t limit = e->tun.tcp_challenge_ack_limit;

	if (now - e->ack_limit_start >= 1000000 || !e->ack_limit_start) {
		e->ack_limit_start = now;
		e->ack_limit_count = 0;
		e->ack_limit_budget =
			(limit + 1) / 2 + (uint32_t)(eng_rand(e) % limit);
	}
	if (e->ack_limit_count >= e->ack_limit_budget) {
		e->stats.challenge_acks_limited++;
		return;
	}
	e->ack_limit_count++;
	e->stats.challenge_acks++;
	tcp_send_ack(t, now);
}

void tcp_send_rst(struct tcb *t, uint64_t now)
{
	switch (t->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
	case TCPS_TIME_WAIT:
		return;
	default:
		break;
	}
	/* RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>; with the ACK as
	 * other stacks do, so a peer in any state takes it. */
	xmit(t, TH_RST | TH_ACK, t->snd_max, 0, 0, now);
}

/* RFC 9293 3.10.7.1: the reply of a CLOSED port. */
void tcp_respond_rst(struct engine *e, const struct pkt *p, uint64_t now)
{
	struct seg_out so;
	const struct tcp_hdr *h = &p->tcp;

	if (h->flags & TH_RST)
		return;
	if (ip_addr_is_any(&p->ip.src))
		return;
	if (e->tun.tcp_rst_sent_rate_enabled &&
	    !eng_rate_ok(&e->rst_limit_start, &e->rst_limit_count,
			 e->tun.tcp_rst_sent_rate, now)) {
		e->stats.rsts_limited++;
		return;
	}
	memset(&so, 0, sizeof(so));
	so.src = p->ip.dst;
	so.dst = p->ip.src;
	so.ttl = 64;
	so.th.sport = h->dport;
	so.th.dport = h->sport;
	if (h->flags & TH_ACK) {
		so.th.seq = h->ack;
		so.th.flags = TH_RST;
	} else {
		so.th.seq = 0;
		so.th.ack = h->seq + p->payload_len + !!(h->flags & TH_SYN) +
			    !!(h->flags & TH_FIN);
		so.th.flags = TH_RST | TH_ACK;
	}
	e->stats.tcpOutSegs++;
	e->stats.tcpOutRsts++;
	e->ops.output(e->user, &so);
}
