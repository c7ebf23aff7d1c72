// SPDX-License-Identifier: BSD-2-Clause
/*
 * Keep-alive (RFC 1122 4.2.3.6), on the TT_KEEP timer.
 *
 * With SO_KEEPALIVE, a connection from which nothing has arrived for the
 * idle time (TCP_KEEPALIVE_THRESHOLD in ms or TCP_KEEPIDLE in s; default
 * tcp_keepalive_interval, 2 h) is probed: a segment with SEQ = SND.UNA - 1
 * and no data, which the peer must answer with an ACK (RFC 9293 3.10.7.4:
 * the sequence number is unacceptable), as Linux and BSD send it. RFC 1122
 * allows one garbage octet for peers that ignore an empty probe; none is
 * sent. Probes repeat every TCP_KEEPINTVL (default 75 s, Linux's).
 *
 * Giving up: the connection is reset (RST, ETIMEDOUT, as on a
 * retransmission abort) when the probes go unanswered
 *  - for TCP_KEEPCNT intervals (TCP_KEEPCNT * TCP_KEEPINTVL after the
 *    first probe) when TCP_KEEPCNT is set, as Linux does after that many
 *    probes;
 *  - else for TCP_KEEPALIVE_ABORT_THRESHOLD after the first probe
 *    (default tcp_keepalive_abort_interval, 8 min; 0 = never), as illumos.
 * Setting TCP_KEEPALIVE_ABORT_THRESHOLD clears TCP_KEEPCNT: the last one set
 * decides. Any segment that arrives ends the idleness and the probing.
 *
 * Idleness is checked when the timer fires, from the time of the last
 * segment in: arrivals cost a store, not a timer operation (but the one
 * that answers probes, which re-arms for a full idle time). While data is
 * outstanding or waiting to go, the retransmission and persist timers watch
 * the peer; keep-alive looks again one idle time later.
 */
#include <errno.h>

#include "stack/tcb.h"

static uint64_t ms(uint32_t v)
{
	return (uint64_t)v * 1000;
}

/* The abort time after the first probe, 0 = never. */
static uint64_t keep_abort_us(const struct sock_opts *o)
{
	if (o->keepcnt)
		return (uint64_t)o->keepcnt * ms(o->keepintvl_ms);
	return ms(o->keep_abort_ms);
}

static bool keep_state(const struct tcb *t)
{
	switch (t->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		return true;
	default:
		return false;
	}
}

void keep_arm(struct tcb *t, uint64_t now)
{
	uint64_t at;

	if (!t->opts.keepalive || !keep_state(t)) {
		tcb_timer_clear(t, TT_KEEP);
		return;
	}
	at = t->x.keep.last_rcv + ms(t->opts.keepidle_ms);
	tcb_timer_set(t, TT_KEEP, at > now ? at : now);
}

void keep_start(struct tcb *t, uint64_t now)
{
	keep_seg_in(t, now);
	keep_arm(t, now);
}

void keep_seg_in(struct tcb *t, uint64_t now)
{
	t->x.keep.last_rcv = now;
	/* An answer to our probes: the next one is an idle time away, not
	 * a probe interval (the only arrival that touches the timer). */
	if (t->x.keep.probes) {
		t->x.keep.probes = 0;
		keep_arm(t, now);
	}
}

bool keep_fire(struct tcb *t, uint64_t now)
{
	const struct sock_opts *o = &t->opts;
	uint64_t idle_at, abort_us, next;

	if (!o->keepalive || !keep_state(t))
		return true;
	idle_at = t->x.keep.last_rcv + ms(o->keepidle_ms);
	if (now < idle_at) {
		/* Something arrived since: idle time starts over. */
		tcb_timer_set(t, TT_KEEP, idle_at);
		return true;
	}
	if (t->snd_max != t->snd_una || tcb_snd_unsent(t)) {
		tcb_timer_set(t, TT_KEEP, now + ms(o->keepidle_ms));
		return true;
	}
	abort_us = keep_abort_us(o);
	if (abort_us && now >= idle_at + abort_us) {
		t->eng->stats.timeouts++;
		tcp_send_rst(t, now);
		tcb_closed(t, -ETIMEDOUT, now);
		return false;
	}
	tcp_send_ctl(t, TH_ACK, t->snd_una - 1, now);
	t->x.keep.probes++;
	next = now + ms(o->keepintvl_ms);
	if (abort_us && next > idle_at + abort_us)
		next = idle_at + abort_us;
	tcb_timer_set(t, TT_KEEP, next);
	return true;
}
