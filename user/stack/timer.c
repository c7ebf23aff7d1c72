// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-connection timers. Each TCB keeps one deadline per timer (enum
 * tcb_timer) and sits in the engine's heap at the earliest of them, so an
 * idle connection costs nothing until its deadline.
 */
#include "stack/tcb.h"

#include <errno.h>

/*
 * RFC 6298 5.4-5.7: retransmit the earliest unacknowledged segment, back
 * off, and give up after the abort threshold (TCP_CONN_ABORT_THRESHOLD
 * before ESTABLISHED, TCP_ABORT_THRESHOLD after; 0 means never).
 */
static bool rexmt_fire(struct tcb *t, uint64_t now)
{
	struct engine *e = t->eng;
	bool syn = t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED;
	uint32_t abort_ms = syn ? t->opts.conn_abort_ms : t->opts.abort_ms;

	if (t->snd_una == t->snd_max)
		return true; /* everything got acknowledged meanwhile */
	e->stats.rto_expiries++;
	if (abort_ms && now - t->rexmit_start >= (uint64_t)abort_ms * 1000) {
		e->stats.timeouts++;
		tcp_send_rst(t, now);
		tcb_closed(t, -ETIMEDOUT, now);
		return false;
	}
	rtt_backoff(&t->rtt);
	t->flags &= ~TF_RTT_TIMING; /* Karn */
	t->total_rto++;
	if (!(t->flags & TF_REXMIT_EPISODE))
		t->rto_recoveries++;
	t->flags |= TF_REXMIT_EPISODE;
	/* A zero-window probe that timed out says nothing about congestion:
	 * the peer simply has no room (RFC 9293 3.8.6.1). */
	if (!syn && t->cc.ops && t->snd_wnd) {
		t->cc.snd_una = t->snd_una;
		t->cc.snd_nxt = t->snd_max;
		t->cc.flight = t->snd_max - t->snd_una;
		t->cc.now_us = now;
		t->cc.in_recovery = false;
		cc_on_signal(&t->cc, CC_EV_RTO);
	}
	/* RFC 6582 4: after a timeout, no fast retransmit for what was
	 * already sent. */
	t->recover = t->snd_max;
	t->flags &= ~TF_IN_RECOVERY;
	t->dupacks = 0;
	/* RFC 6675 5.1: the RTO ends SACK recovery; the scoreboard is
	 * cleared (the receiver may have reneged, RFC 2018 8), and what is
	 * SACKed after the timeout is left out as the go-back proceeds. */
	sack_sb_init(&t->sb);
	t->high_rxt = t->snd_una;
	/* RFC 3168 6.1.2: CWR follows any reduction, a timeout's too. */
	if (!syn && (t->opt_on & TO_ECN))
		t->oflags |= OF_CWR;
	/* Go back: resend from the first unacknowledged byte. */
	t->snd_nxt = syn ? t->iss : t->snd_una;
	tcp_arm_rexmt(t, now);
	if (syn) {
		t->flags |= TF_ACKNOW;
		tcp_output(t, now);
		return true;
	}
	t->flags |= TF_FORCE_DATA;
	tcp_output(t, now);
	t->flags &= ~TF_FORCE_DATA;
	/* A lone FIN, or data beyond a closed window, still counts as sent. */
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	return true;
}

/*
 * RFC 9293 3.8.6.1: probe a zero window with one byte of new data; or, with
 * a window too small for SWS avoidance, send what fits (3.8.6.2.1).
 */
static void persist_fire(struct tcb *t, uint64_t now)
{
	if (!tcb_snd_unsent(t) || t->snd_max != t->snd_una)
		return;
	if (!t->snd_wnd) {
		t->eng->stats.zero_window_probes++;
		/* RFC 1122 4.2.2.17: the interval between successive probes
		 * grows exponentially. The probe's retransmissions (the
		 * RTO timer) double from here. */
		rtt_backoff(&t->rtt);
	}
	t->flags |= TF_FORCE_DATA;
	tcp_output(t, now);
	t->flags &= ~TF_FORCE_DATA;
}

void tcb_timers_fire(struct tcb *t, uint64_t now)
{
	for (int i = 0; i < TT_MAX; i++) {
		if (t->deadline[i] > now)
			continue;
		t->deadline[i] = TT_OFF;
		switch ((enum tcb_timer)i) {
		case TT_REXMT:
			if (!rexmt_fire(t, now))
				return; /* aborted: @t may be gone */
			break;
		case TT_PERSIST:
			persist_fire(t, now);
			break;
		case TT_DELACK:
			if (t->flags & TF_DELACK) {
				t->eng->stats.delayed_acks++;
				t->flags |= TF_ACKNOW;
				tcp_output(t, now);
			}
			break;
		case TT_KEEP:
			if (!keep_fire(t, now))
				return; /* aborted: @t may be gone */
			break;
		case TT_2MSL:
			/* TIME-WAIT is over (RFC 9293 3.10.8). */
			tcb_closed(t, 0, now);
			return;
		case TT_FINWAIT2:
			/* tcp(4P): an orphan stuck in FIN-WAIT-2 is freed. */
			if (t->state == TCPS_FIN_WAIT_2) {
				tcb_closed(t, 0, now);
				return;
			}
			break;
		case TT_MAX:
			break;
		}
	}
	/* The heap popped us: queue again for what remains. */
	tcb_timer_resched(t);
}
