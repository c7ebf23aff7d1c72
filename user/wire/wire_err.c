// SPDX-License-Identifier: BSD-2-Clause
/* Stable names of the rejection reasons: they appear in stats and logs. */
#include "wire/wire_err.h"

static const char *const wire_err_names[WIRE_ERR_MAX] = {
	[WIRE_OK] = "ok",
	[WIRE_ETH_SHORT] = "eth_short",
	[WIRE_ETH_TYPE] = "eth_type",
	[WIRE_IP4_SHORT] = "ip4_short",
	[WIRE_IP4_VERSION] = "ip4_version",
	[WIRE_IP4_IHL] = "ip4_ihl",
	[WIRE_IP4_TOTLEN] = "ip4_totlen",
	[WIRE_IP4_CSUM] = "ip4_csum",
	[WIRE_IP4_FRAG] = "ip4_frag",
	[WIRE_IP4_OPTION] = "ip4_option",
	[WIRE_IP6_SHORT] = "ip6_short",
	[WIRE_IP6_VERSION] = "ip6_version",
	[WIRE_IP6_EXTHDR] = "ip6_exthdr",
	[WIRE_IP6_FRAG] = "ip6_frag",
	[WIRE_IP6_UNSUPP] = "ip6_unsupp",
	[WIRE_L4_PROTO] = "l4_proto",
	[WIRE_TCP_SHORT] = "tcp_short",
	[WIRE_TCP_DOFF] = "tcp_doff",
	[WIRE_TCP_CSUM] = "tcp_csum",
	[WIRE_TCP_OPT] = "tcp_opt",
	[WIRE_TCP_OPTLEN] = "tcp_optlen",
	[WIRE_TCP_PORT] = "tcp_port",
	[WIRE_NOSPACE] = "nospace",
};

/*
 * Accepts the reason or its negation, as parsers return it, so callers can
 * pass a return value straight through.
 */
const char *wire_err_name(int err)
{
	/* Compare before negating: -INT_MIN is undefined. */
	if (err < 0 && err > -WIRE_ERR_MAX)
		err = -err;
	if (err < 0 || err >= WIRE_ERR_MAX || !wire_err_names[err])
		return "unknown";
	return wire_err_names[err];
}
