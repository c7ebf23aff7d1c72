/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * getsockopt(IPPROTO_TCP, TCP_INFO) as Linux answers it: struct
 * xtcp_tcp_info is Linux's struct tcp_info (include/uapi/linux/tcp.h) as of
 * Linux 6.18, 280 bytes, field for field and bit for bit, in fixed-width
 * types so that the engine needs no Linux header. Programs built against
 * any <linux/tcp.h> or glibc's <netinet/tcp.h> read it with their own
 * (shorter or equal) struct: the answer is truncated to the caller's
 * length, as Linux truncates it, and the length returned tells them which
 * fields are there. tests/unit/test_tcp_info.c checks every offset against
 * the system's <linux/tcp.h>.
 *
 * Units are Linux's: times in microseconds (rto, ato, rtt, rttvar,
 * min_rtt) or milliseconds (last_*), windows in bytes after scaling,
 * snd_cwnd and snd_ssthresh in segments (0x7fffffff: no threshold yet).
 * Fields xtcp has no figure for are 0 (max_pacing_rate: ~0, no limit;
 * min_rtt: ~0 before the first sample), as Linux reports them when unset.
 */
#ifndef XTCP_TCP_INFO_H
#define XTCP_TCP_INFO_H

#include <stdint.h>

/* tcpi_state: Linux's TCP states (include/net/tcp_states.h). */
enum xtcp_tcpi_state {
	XTCP_TCPI_ESTABLISHED = 1,
	XTCP_TCPI_SYN_SENT,
	XTCP_TCPI_SYN_RECV,
	XTCP_TCPI_FIN_WAIT1,
	XTCP_TCPI_FIN_WAIT2,
	XTCP_TCPI_TIME_WAIT,
	XTCP_TCPI_CLOSE,
	XTCP_TCPI_CLOSE_WAIT,
	XTCP_TCPI_LAST_ACK,
	XTCP_TCPI_LISTEN,
	XTCP_TCPI_CLOSING,
};

/* tcpi_ca_state: Linux's enum tcp_ca_state. */
enum xtcp_tcpi_ca_state {
	XTCP_TCPI_CA_OPEN = 0,
	XTCP_TCPI_CA_DISORDER, /* duplicate ACKs */
	XTCP_TCPI_CA_CWR, /* cwnd reduced on ECN */
	XTCP_TCPI_CA_RECOVERY, /* fast recovery */
	XTCP_TCPI_CA_LOSS, /* after a retransmission timeout */
};

/* tcpi_options bits (Linux's TCPI_OPT_*). */
#define XTCP_TCPI_OPT_TIMESTAMPS 1
#define XTCP_TCPI_OPT_SACK 2
#define XTCP_TCPI_OPT_WSCALE 4
#define XTCP_TCPI_OPT_ECN 8
#define XTCP_TCPI_ECN_MODE_RFC3168 1 /* tcpi_ecn_mode */
#define XTCP_TCPI_INFINITE_SSTHRESH 0x7fffffffu

struct xtcp_tcp_info {
	uint8_t tcpi_state;
	uint8_t tcpi_ca_state;
	uint8_t tcpi_retransmits;
	uint8_t tcpi_probes;
	uint8_t tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	uint8_t tcpi_delivery_rate_app_limited : 1,
		tcpi_fastopen_client_fail : 2;

	uint32_t tcpi_rto;
	uint32_t tcpi_ato;
	uint32_t tcpi_snd_mss;
	uint32_t tcpi_rcv_mss;

	uint32_t tcpi_unacked;
	uint32_t tcpi_sacked;
	uint32_t tcpi_lost;
	uint32_t tcpi_retrans;
	uint32_t tcpi_fackets;

	uint32_t tcpi_last_data_sent;
	uint32_t tcpi_last_ack_sent;
	uint32_t tcpi_last_data_recv;
	uint32_t tcpi_last_ack_recv;

	uint32_t tcpi_pmtu;
	uint32_t tcpi_rcv_ssthresh;
	uint32_t tcpi_rtt;
	uint32_t tcpi_rttvar;
	uint32_t tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd;
	uint32_t tcpi_advmss;
	uint32_t tcpi_reordering;

	uint32_t tcpi_rcv_rtt;
	uint32_t tcpi_rcv_space;

	uint32_t tcpi_total_retrans;

	uint64_t tcpi_pacing_rate;
	uint64_t tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked;
	uint64_t tcpi_bytes_received;
	uint32_t tcpi_segs_out;
	uint32_t tcpi_segs_in;

	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;
	uint32_t tcpi_data_segs_in;
	uint32_t tcpi_data_segs_out;

	uint64_t tcpi_delivery_rate;

	uint64_t tcpi_busy_time;
	uint64_t tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;

	uint32_t tcpi_delivered;
	uint32_t tcpi_delivered_ce;

	uint64_t tcpi_bytes_sent;
	uint64_t tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups;
	uint32_t tcpi_reord_seen;

	uint32_t tcpi_rcv_ooopack;

	uint32_t tcpi_snd_wnd;
	uint32_t tcpi_rcv_wnd;

	uint32_t tcpi_rehash;

	uint16_t tcpi_total_rto;
	uint16_t tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;
	uint32_t tcpi_received_ce;
	uint32_t tcpi_delivered_e1_bytes;
	uint32_t tcpi_delivered_e0_bytes;
	uint32_t tcpi_delivered_ce_bytes;
	uint32_t tcpi_received_e1_bytes;
	uint32_t tcpi_received_e0_bytes;
	uint32_t tcpi_received_ce_bytes;
	uint32_t tcpi_ecn_mode : 2, tcpi_accecn_opt_seen : 2,
		tcpi_accecn_fail_mode : 4, tcpi_options2 : 24;
};

_Static_assert(sizeof(struct xtcp_tcp_info) == 280,
	       "struct xtcp_tcp_info is Linux 6.18's struct tcp_info");

#endif
