// SPDX-License-Identifier: BSD-2-Clause
/*
 * TCP_INFO: a connection's figures in Linux's struct tcp_info
 * (include/xtcp/tcp_info.h), with Linux's units and meanings, so that
 * programs written for Linux (iperf3, ss-like tools) read them right.
 * What xtcp has no figure for stays 0; see docs/SOCKOPTS.md.
 */
#include <string.h>

#include "stack/tcb.h"

#define US_PER_MS 1000u

/* RFC 9293 states as Linux numbers them (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state s)
{
	static const uint8_t map[TCPS_NSTATES] = {
		[TCPS_CLOSED] = XTCP_TCPI_CLOSE,
		[TCPS_LISTEN] = XTCP_TCPI_LISTEN,
		[TCPS_SYN_SENT] = XTCP_TCPI_SYN_SENT,
		[TCPS_SYN_RECEIVED] = XTCP_TCPI_SYN_RECV,
		[TCPS_ESTABLISHED] = XTCP_TCPI_ESTABLISHED,
		[TCPS_FIN_WAIT_1] = XTCP_TCPI_FIN_WAIT1,
		[TCPS_FIN_WAIT_2] = XTCP_TCPI_FIN_WAIT2,
		[TCPS_CLOSE_WAIT] = XTCP_TCPI_CLOSE_WAIT,
		[TCPS_CLOSING] = XTCP_TCPI_CLOSING,
		[TCPS_LAST_ACK] = XTCP_TCPI_LAST_ACK,
		[TCPS_TIME_WAIT] = XTCP_TCPI_TIME_WAIT,
	};

	return (unsigned)s < TCPS_NSTATES ? map[s] : XTCP_TCPI_CLOSE;
}

/* Linux's congestion-avoidance state machine, from the engine's flags. */
static uint8_t ca_state(const struct tcb *t)
{
	if ((t->flags & TF_REXMIT_EPISODE) || t->cc.in_rto)
		return XTCP_TCPI_CA_LOSS;
	if (t->flags & TF_IN_RECOVERY)
		return XTCP_TCPI_CA_RECOVERY;
	if (t->cc.in_cwr)
		return XTCP_TCPI_CA_CWR;
	if (t->dupacks)
		return XTCP_TCPI_CA_DISORDER;
	return XTCP_TCPI_CA_OPEN;
}

static uint32_t div_up(uint64_t n, uint32_t d)
{
	uint64_t q = d ? (n + d - 1) / d : 0;

	return q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Milliseconds from @then to @now; 0 when @then never happened. */
static uint32_t ms_since(uint64_t then, uint64_t now)
{
	if (!then || now < then)
		return 0;
	return clamp32((now - then) / US_PER_MS);
}

static void info_options(const struct tcb *t, struct xtcp_tcp_info *ti)
{
	ti->tcpi_options =
		((t->opt_on & TO_TS) ? XTCP_TCPI_OPT_TIMESTAMPS : 0) |
		((t->opt_on & TO_SACK) ? XTCP_TCPI_OPT_SACK : 0) |
		((t->opt_on & TO_WS) ? XTCP_TCPI_OPT_WSCALE : 0) |
		((t->opt_on & TO_ECN) ? XTCP_TCPI_OPT_ECN : 0);
	/* Linux fills the shifts only when window scaling is on. */
	if (t->opt_on & TO_WS) {
		ti->tcpi_snd_wscale = t->snd_wscale & 0xf;
		ti->tcpi_rcv_wscale = t->rcv_wscale & 0xf;
	}
	if (t->opt_on & TO_ECN)
		ti->tcpi_ecn_mode = XTCP_TCPI_ECN_MODE_RFC3168;
}

/* RTT, RTO, windows and MSS. */
static void info_path(const struct tcb *t, struct xtcp_tcp_info *ti)
{
	const struct engine *e = t->eng;
	uint32_t smss = t->smss ? t->smss : 1;
	uint32_t hdr = ip_addr_is_v4(&t->faddr) ? IP4_HLEN + TCP_HLEN :
						  IP6_HLEN + TCP_HLEN;

	ti->tcpi_rto = rtt_rto(&t->rtt);
	ti->tcpi_ato = e->tun.tcp_deferred_ack_interval * US_PER_MS;
	ti->tcpi_snd_mss = t->smss;
	/* The peer's segments are at most the MSS we announced, less the
	 * timestamp option every one of them carries (RFC 7323 3.2). */
	ti->tcpi_rcv_mss = t->rmss;
	if ((t->opt_on & TO_TS) && t->rmss > TS_OPT_LEN)
		ti->tcpi_rcv_mss -= TS_OPT_LEN;
	ti->tcpi_advmss = t->rmss;
	ti->tcpi_pmtu = e->ops.path_mtu ? e->ops.path_mtu(e->user, &t->faddr) :
					  t->rmss + hdr;
	/* The largest window we could advertise (Linux: the clamp its
	 * receive-window growth works towards). */
	ti->tcpi_rcv_ssthresh = t->rcvbuf_limit;
	if (ti->tcpi_rcv_ssthresh > (uint32_t)65535 << t->rcv_wscale)
		ti->tcpi_rcv_ssthresh = (uint32_t)65535 << t->rcv_wscale;
	if (t->rtt.has_sample) {
		ti->tcpi_rtt = t->rtt.srtt_us;
		ti->tcpi_rttvar = t->rtt.rttvar_us;
		ti->tcpi_min_rtt = t->rtt.min_us;
	} else {
		ti->tcpi_min_rtt = UINT32_MAX;
	}
	/* Linux counts the windows in segments; ours are in bytes. */
	ti->tcpi_snd_ssthresh = t->cc.ssthresh / smss;
	if (t->cc.ssthresh == UINT32_MAX ||
	    ti->tcpi_snd_ssthresh > XTCP_TCPI_INFINITE_SSTHRESH)
		ti->tcpi_snd_ssthresh = XTCP_TCPI_INFINITE_SSTHRESH;
	ti->tcpi_snd_cwnd = t->cc.cwnd / smss;
	if (t->cc.cwnd && !ti->tcpi_snd_cwnd)
		ti->tcpi_snd_cwnd = 1;
	ti->tcpi_reordering = SACK_DUPTHRESH; /* RFC 5681/6675 DupThresh */
	ti->tcpi_snd_wnd = t->snd_wnd;
	ti->tcpi_rcv_wnd =
		seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
}

/* Segments in flight, counters, times. */
static void info_counts(const struct tcb *t, struct xtcp_tcp_info *ti,
			uint64_t now)
{
	uint32_t smss = t->smss ? t->smss : 1;

	ti->tcpi_retransmits = t->rtt.backoff;
	ti->tcpi_backoff = t->rtt.backoff;
	ti->tcpi_probes =
		(uint8_t)(t->x.keep.probes > 255 ? 255 : t->x.keep.probes);
	ti->tcpi_unacked = div_up(tcb_snd_outstanding(t), smss);
	if (t->opt_on & TO_SACK)
		ti->tcpi_sacked = div_up(t->sb.sacked, smss);
	ti->tcpi_last_data_sent = ms_since(t->last_send, now);
	ti->tcpi_last_data_recv = ms_since(t->last_data_rcv, now);
	ti->tcpi_last_ack_recv = ms_since(t->x.keep.last_rcv, now);
	ti->tcpi_total_retrans = t->total_retrans;
	ti->tcpi_max_pacing_rate = UINT64_MAX; /* no pacing: no limit */
	ti->tcpi_bytes_acked = t->bytes_acked;
	ti->tcpi_bytes_received = t->bytes_received;
	ti->tcpi_segs_out = clamp32(t->segs_out);
	ti->tcpi_segs_in = clamp32(t->segs_in);
	ti->tcpi_notsent_bytes = tcb_snd_unsent(t);
	ti->tcpi_data_segs_in = t->data_segs_in;
	ti->tcpi_data_segs_out = t->data_segs_out;
	/* Linux counts delivered segments; ours are bytes acknowledged. */
	ti->tcpi_delivered = div_up(t->bytes_acked, smss);
	ti->tcpi_bytes_sent = t->bytes_sent;
	ti->tcpi_bytes_retrans = t->bytes_retrans;
	ti->tcpi_dsack_dups = t->dsack_dups;
	ti->tcpi_rcv_ooopack = t->rcv_ooopack;
	ti->tcpi_total_rto = (uint16_t)(t->total_rto > UINT16_MAX ?
						UINT16_MAX :
						t->total_rto);
	ti->tcpi_total_rto_recoveries =
		(uint16_t)(t->rto_recoveries > UINT16_MAX ? UINT16_MAX :
							    t->rto_recoveries);
	ti->tcpi_received_ce = t->received_ce;
}

void tcb_tcp_info(const struct tcb *t, struct xtcp_tcp_info *ti, uint64_t now)
{
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = linux_state(t->state);
	if (t->state == TCPS_LISTEN) {
		/* Linux: the accept queue and its limit. */
		ti->tcpi_unacked = t->qlen;
		ti->tcpi_sacked = t->backlog;
		ti->tcpi_max_pacing_rate = UINT64_MAX;
		ti->tcpi_min_rtt = UINT32_MAX;
		return;
	}
	ti->tcpi_ca_state = ca_state(t);
	info_options(t, ti);
	info_path(t, ti);
	info_counts(t, ti, now);
}

void sockopts_tcp_info(const struct sock_opts *o, struct xtcp_tcp_info *ti)
{
	/* A socket not yet connected, as Linux describes a new one. */
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = XTCP_TCPI_CLOSE;
	ti->tcpi_rto = o->rto_initial_ms * US_PER_MS;
	ti->tcpi_snd_mss = o->mss ? o->mss : 536; /* RFC 9293 3.7.1 */
	ti->tcpi_snd_ssthresh = XTCP_TCPI_INFINITE_SSTHRESH;
	ti->tcpi_reordering = SACK_DUPTHRESH;
	ti->tcpi_min_rtt = UINT32_MAX;
	ti->tcpi_max_pacing_rate = UINT64_MAX;
}
