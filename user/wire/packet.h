/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A whole frame parsed down to TCP: what the engine consumes. Pure function
 * of the bytes: length checked at every layer before reading.
 */
#ifndef XTCP_WIRE_PACKET_H
#define XTCP_WIRE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/eth.h"
#include "wire/ip.h"
#include "wire/tcp.h"

struct pkt {
	struct eth_info eth; /* valid when parsed from Ethernet */
	struct ip_info ip;
	struct tcp_hdr tcp;
	const uint8_t *l3; /* IP header */
	const uint8_t *l4; /* TCP header */
	const uint8_t *payload; /* data after the TCP header */
	uint32_t payload_len;
};

/* Checks pkt_parse_* performs besides parsing. */
#define PKT_VERIFY_IP4_CSUM (1u << 0)
#define PKT_VERIFY_TCP_CSUM (1u << 1)
#define PKT_VERIFY_ALL (PKT_VERIFY_IP4_CSUM | PKT_VERIFY_TCP_CSUM)

/*
 * Parse Ethernet + IP + TCP. Returns 0 or -enum wire_err. Per layer, the
 * lengths come first, then the checksum (when asked), then the fields it
 * covers; the TCP segment is bounded by the IP lengths, never by @len, so
 * link padding is ignored. On failure *out holds the layers parsed so far.
 */
int pkt_parse_eth(const uint8_t *frame, size_t len, unsigned verify,
		  struct pkt *out);
/* Parse IP + TCP (no link header), as the simulator's link carries. */
int pkt_parse_ip(const uint8_t *l3, size_t len, unsigned verify,
		 struct pkt *out);

#endif
