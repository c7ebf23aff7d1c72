/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stack's tunables, with the illumos names, defaults and ranges of
 * tcp(4P) and ipadm(8)'s TCP properties. One table describes them all, so
 * the config file, `xtcpctl props/get/set` and the engine share one parser
 * and one validator.
 */
#ifndef XTCP_STACK_TUNABLES_H
#define XTCP_STACK_TUNABLES_H

#include <stddef.h>
#include <stdint.h>

#define CC_NAME_MAX 16

struct tunables {
	uint32_t tcp_sack_permitted; /* 0 never, 1 answer, 2 offer */
	uint32_t tcp_ecn_permitted; /* 0 never, 1 answer, 2 offer */
	uint32_t tcp_wscale_always;
	uint32_t tcp_tstamp_always;
	uint32_t tcp_tstamp_if_wscale;
	uint32_t tcp_keepalive_interval; /* ms */
	uint32_t tcp_keepalive_abort_interval; /* ms */
	uint32_t tcp_fin_wait_2_flush_interval; /* ms */
	uint32_t tcp_time_wait_interval; /* ms, 2*MSL */
	uint32_t tcp_trace;
	uint32_t tcp_rexmit_interval_initial; /* ms */
	uint32_t tcp_rexmit_interval_min; /* ms */
	uint32_t tcp_rexmit_interval_max; /* ms */
	uint32_t tcp_ip_abort_interval; /* ms, 0 = never */
	uint32_t tcp_ip_abort_cinterval; /* ms, 0 = never */
	uint32_t tcp_slow_start_initial; /* segments, 0 = RFC 3390 */
	uint32_t tcp_smallest_anon_port;
	uint32_t tcp_largest_anon_port;
	uint32_t tcp_smallest_nonpriv_port;
	uint32_t tcp_xmit_hiwat; /* bytes */
	uint32_t tcp_recv_hiwat; /* bytes */
	uint32_t tcp_max_buf; /* bytes */
	uint32_t tcp_conn_req_max_q; /* accept queue */
	uint32_t tcp_conn_req_max_q0; /* SYN-RECEIVED queue */
	uint32_t tcp_strong_iss; /* 0, 1, 2 (RFC 6528) */
	uint32_t tcp_deferred_ack_interval; /* ms */
	uint32_t tcp_mss_def_ipv4; /* MSS assumed without option */
	uint32_t tcp_mss_def_ipv6;
	uint32_t tcp_rst_sent_rate_enabled;
	uint32_t tcp_rst_sent_rate; /* RSTs per second */
	uint32_t tcp_challenge_ack_limit; /* RFC 5961 7, per second */
	uint32_t tcp_cwnd_max; /* bytes */
	char congestion_control[CC_NAME_MAX];
};

enum tunable_type { TUN_U32, TUN_BOOL, TUN_STR };

struct tunable_desc {
	const char *name;
	enum tunable_type type;
	size_t offset;
	uint32_t def, min, max; /* for TUN_STR: unused */
	const char *unit; /* "ms", "bytes", ... or "" */
	const char *help;
};

extern const struct tunable_desc tunable_table[];
extern const size_t tunable_count;

void tunables_defaults(struct tunables *t);
const struct tunable_desc *tunable_find(const char *name);
/*
 * Parse and validate @value for @d and store it in @t. Returns 0, -EINVAL
 * (not a number, out of range, unknown algorithm) with a reason in @err.
 * Cross-field rules (anon port range ordered, rexmit min <= max) are checked
 * against the other values in @t.
 */
int tunable_set(struct tunables *t, const struct tunable_desc *d,
		const char *value, char *err, size_t errlen);
/* Format the current value; returns snprintf's result. */
int tunable_get(const struct tunables *t, const struct tunable_desc *d,
		char *buf, size_t len);

#endif
