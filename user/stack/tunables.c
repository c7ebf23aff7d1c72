// SPDX-License-Identifier: BSD-2-Clause
/* The tunable table: illumos names, defaults and ranges. */
#include "stack/tunables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/cc/cc.h"

#define T(field, typ, d, lo, hi, u, h)                                         \
	{                                                                      \
#field, typ, offsetof(struct tunables, field), d, lo, hi, u, h \
	}

#define SEC 1000u
#define MIN (60u * SEC)
#define HOUR (60u * MIN)
#define DAY (24u * HOUR)

const struct tunable_desc tunable_table[] = {
	T(tcp_sack_permitted, TUN_U32, 2, 0, 2, "",
	  "SACK: 0 never, 1 only answer a peer's offer, 2 offer and answer"),
	T(tcp_ecn_permitted, TUN_U32, 1, 0, 2, "",
	  "ECN: 0 never, 1 only answer, 2 also offer on active opens"),
	T(tcp_wscale_always, TUN_BOOL, 1, 0, 1, "",
	  "offer window scale on every active open (else only for buffers > 64K)"),
	T(tcp_tstamp_always, TUN_BOOL, 0, 0, 1, "",
	  "offer timestamps on every active open"),
	T(tcp_tstamp_if_wscale, TUN_BOOL, 1, 0, 1, "",
	  "offer timestamps whenever window scale is offered"),
	T(tcp_keepalive_interval, TUN_U32, 2 * HOUR, 10 * SEC, 10 * DAY, "ms",
	  "idle time before the first keep-alive probe"),
	T(tcp_keepalive_abort_interval, TUN_U32, 8 * MIN, 0, UINT32_MAX, "ms",
	  "abort when keep-alive probes go unanswered this long (0 never)"),
	T(tcp_fin_wait_2_flush_interval, TUN_U32, 675 * SEC, 1 * SEC, 2 * HOUR,
	  "ms", "free an orphaned connection stuck in FIN-WAIT-2 after this"),
	T(tcp_time_wait_interval, TUN_U32, 60 * SEC, 1 * SEC, 10 * MIN, "ms",
	  "TIME-WAIT duration (2*MSL)"),
	T(tcp_trace, TUN_BOOL, 0, 0, 1, "",
	  "log the last segments of connections that end by RST"),
	T(tcp_rexmit_interval_initial, TUN_U32, 1 * SEC, 1, 20 * SEC, "ms",
	  "initial retransmission timeout (RFC 6298 2.1)"),
	T(tcp_rexmit_interval_min, TUN_U32, 400, 1, 20 * SEC, "ms",
	  "lower bound of the retransmission timeout"),
	T(tcp_rexmit_interval_max, TUN_U32, 60 * SEC, 1, 2 * HOUR, "ms",
	  "upper bound of the retransmission timeout"),
	T(tcp_ip_abort_interval, TUN_U32, 8 * MIN, 0, UINT32_MAX, "ms",
	  "abort an established connection after retransmitting this long"),
	T(tcp_ip_abort_cinterval, TUN_U32, 3 * MIN, 0, UINT32_MAX, "ms",
	  "abort a connection attempt after retransmitting the SYN this long"),
	T(tcp_slow_start_initial, TUN_U32, 4, 0, 16, "segments",
	  "initial congestion window, capped by RFC 3390 (0: RFC 3390)"),
	T(tcp_smallest_anon_port, TUN_U32, 32768, 1024, 65535, "",
	  "lowest ephemeral port"),
	T(tcp_largest_anon_port, TUN_U32, 65535, 1024, 65535, "",
	  "highest ephemeral port"),
	T(tcp_smallest_nonpriv_port, TUN_U32, 1024, 1024, 32768, "",
	  "ports below this need privilege to bind"),
	T(tcp_xmit_hiwat, TUN_U32, 128000, 4096, 1 << 30, "bytes",
	  "default send buffer"),
	T(tcp_recv_hiwat, TUN_U32, 128000, 2048, 1 << 30, "bytes",
	  "default receive buffer"),
	T(tcp_max_buf, TUN_U32, 1048576, 8192, 1 << 30, "bytes",
	  "largest SO_SNDBUF / SO_RCVBUF"),
	T(tcp_conn_req_max_q, TUN_U32, 128, 1, UINT32_MAX, "",
	  "largest listen backlog of completed connections"),
	T(tcp_conn_req_max_q0, TUN_U32, 1024, 0, UINT32_MAX, "",
	  "largest number of half-open (SYN-RECEIVED) connections per listener"),
	T(tcp_strong_iss, TUN_U32, 2, 0, 2, "",
	  "ISN: 0 sequential, 1 random increments, 2 RFC 6528"),
	T(tcp_deferred_ack_interval, TUN_U32, 100, 1, 200, "ms",
	  "longest an ACK is delayed (RFC 1122 4.2.3.2)"),
	T(tcp_mss_def_ipv4, TUN_U32, 536, 1, 65495, "bytes",
	  "send MSS over IPv4 when the peer sends no MSS option"),
	T(tcp_mss_def_ipv6, TUN_U32, 1220, 1, 65475, "bytes",
	  "send MSS over IPv6 when the peer sends no MSS option"),
	T(tcp_rst_sent_rate_enabled, TUN_BOOL, 1, 0, 1, "",
	  "limit the RSTs sent per second"),
	T(tcp_rst_sent_rate, TUN_U32, 40, 0, UINT32_MAX, "per second",
	  "RSTs sent per second when limited"),
	T(tcp_challenge_ack_limit, TUN_U32, 1000, 1, UINT32_MAX, "per second",
	  "challenge ACKs sent per second (RFC 5961 7)"),
	T(tcp_cwnd_max, TUN_U32, 1048576, 128, 1 << 30, "bytes",
	  "largest congestion window"),
	{ "congestion_control", TUN_STR,
	  offsetof(struct tunables, congestion_control), 0, 0, 0, "",
	  "default congestion control algorithm" },
};

const size_t tunable_count = sizeof(tunable_table) / sizeof(tunable_table[0]);

#define FIELD_U32(t, d) ((uint32_t *)((char *)(t) + (d)->offset))
#define CFIELD_U32(t, d) ((const uint32_t *)((const char *)(t) + (d)->offset))

void tunables_defaults(struct tunables *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable_desc *d = &tunable_table[i];

		if (d->type != TUN_STR)
			*FIELD_U32(t, d) = d->def;
	}
	snprintf(t->congestion_control, sizeof(t->congestion_control), "%s",
		 "newreno");
}

const struct tunable_desc *tunable_find(const char *name)
{
	for (size_t i = 0; i < tunable_count; i++)
		if (!strcmp(tunable_table[i].name, name))
			return &tunable_table[i];
	return NULL;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Rules between fields: a set that breaks one is refused. */
static int cross_check(const struct tunables *t, char *err, size_t errlen)
{
	if (t->tcp_smallest_anon_port > t->tcp_largest_anon_port) {
		snprintf(err, errlen,
			 "tcp_smallest_anon_port above tcp_largest_anon_port");
		return -EINVAL;
	}
	if (t->tcp_rexmit_interval_min > t->tcp_rexmit_interval_max) {
		snprintf(
			err, errlen,
			"tcp_rexmit_interval_min above tcp_rexmit_interval_max");
		return -EINVAL;
	}
	if (t->tcp_xmit_hiwat > t->tcp_max_buf ||
	    t->tcp_recv_hiwat > t->tcp_max_buf) {
		snprintf(err, errlen, "a default buffer exceeds tcp_max_buf");
		return -EINVAL;
	}
	return 0;
}

int tunable_set(struct tunables *t, const struct tunable_desc *d,
		const char *value, char *err, size_t errlen)
{
	struct tunables next = *t;
	uint32_t v;
	int ret;

	if (d->type == TUN_STR) {
		cc_init_builtin();
		if (!cc_find(value)) {
			snprintf(err, errlen, "unknown congestion control '%s'",
				 value);
			return -EINVAL;
		}
		snprintf(next.congestion_control,
			 sizeof(next.congestion_control), "%s", value);
		*t = next;
		return 0;
	}
	if (parse_u32(value, &v)) {
		snprintf(err, errlen, "'%s' is not an unsigned integer", value);
		return -EINVAL;
	}
	if (v < d->min || v > d->max) {
		snprintf(err, errlen, "%u is outside %u..%u", v, d->min,
			 d->max);
		return -EINVAL;
	}
	*FIELD_U32(&next, d) = v;
	ret = cross_check(&next, err, errlen);
	if (ret)
		return ret;
	*t = next;
	return 0;
}

int tunable_get(const struct tunables *t, const struct tunable_desc *d,
		char *buf, size_t len)
{
	if (d->type == TUN_STR)
		return snprintf(buf, len, "%s", t->congestion_control);
	return snprintf(buf, len, "%u", *CFIELD_U32(t, d));
}
