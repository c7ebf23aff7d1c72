/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Why a frame was rejected by a parser. Each reason is a counter in the
 * stack's statistics, so every rejection must name exactly one of these.
 * Parsers return 0 or the negated reason.
 */
#ifndef XTCP_WIRE_ERR_H
#define XTCP_WIRE_ERR_H

enum wire_err {
	WIRE_OK = 0,
	WIRE_ETH_SHORT, /* frame shorter than an Ethernet header */
	WIRE_ETH_TYPE, /* ethertype neither IPv4 nor IPv6 (after VLAN) */
	WIRE_IP4_SHORT, /* shorter than 20 bytes or than IHL/total length */
	WIRE_IP4_VERSION, /* version field is not 4 */
	WIRE_IP4_IHL, /* IHL below 5 */
	WIRE_IP4_TOTLEN, /* total length below IHL or above the frame */
	WIRE_IP4_CSUM, /* bad header checksum */
	WIRE_IP4_FRAG, /* a fragment (MF set or offset nonzero) */
	WIRE_IP4_OPTION, /* malformed IPv4 option */
	WIRE_IP6_SHORT, /* shorter than 40 bytes or than payload length */
	WIRE_IP6_VERSION, /* version field is not 6 */
	WIRE_IP6_EXTHDR, /* malformed or truncated extension header */
	WIRE_IP6_FRAG, /* a fragment header */
	WIRE_IP6_UNSUPP, /* ESP/AH/no-next-header/unknown chain */
	WIRE_L4_PROTO, /* transport protocol is not TCP */
	WIRE_TCP_SHORT, /* shorter than 20 bytes or than data offset */
	WIRE_TCP_DOFF, /* data offset below 5 */
	WIRE_TCP_CSUM, /* bad TCP checksum */
	WIRE_TCP_OPT, /* malformed TCP option (length 0/1, overrun) */
	WIRE_TCP_OPTLEN, /* known option with the wrong length */
	WIRE_TCP_PORT, /* source or destination port 0 */
	WIRE_NOSPACE, /* emit: buffer too small */
	WIRE_ERR_MAX
};

/* A short stable name for stats and logs, e.g. "ip4_csum". */
const char *wire_err_name(int err);

#endif
