/* SPDX-License-Identifier: BSD-2-Clause */
/* Ethernet II framing with optional 802.1Q/802.1ad tags. */
#ifndef XTCP_WIRE_ETH_H
#define XTCP_WIRE_ETH_H

#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN_ 6
#define ETH_HLEN_ 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8

struct eth_info {
	uint8_t dst[ETH_ALEN_];
	uint8_t src[ETH_ALEN_];
	uint16_t ethertype; /* host order, after any VLAN tags */
	uint16_t hlen; /* bytes up to the network header: 14, 18 or 22 */
};

/* Parse; returns 0 or -WIRE_ETH_SHORT / -WIRE_ETH_TYPE (not IPv4/IPv6). */
int eth_parse(const uint8_t *buf, size_t len, struct eth_info *out);

/* Write a 14-byte untagged header; returns 14 or -WIRE_NOSPACE. */
int eth_emit(uint8_t *buf, size_t cap, const uint8_t dst[ETH_ALEN_],
	     const uint8_t src[ETH_ALEN_], uint16_t ethertype);

#endif
