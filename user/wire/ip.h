/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers as the TCP stack needs them.
 * Addresses are kept as 16 bytes in network order; an IPv4 address sits in
 * the IPv4-mapped form ::ffff:a.b.c.d (RFC 4291 2.5.5.2), so one type serves
 * both families and compares with memcmp.
 */
#ifndef XTCP_WIRE_IP_H
#define XTCP_WIRE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPPROTO_TCP_ 6
#define IP4_HLEN 20
#define IP6_HLEN 40

struct ip_addr {
	uint8_t b[16];
};

struct ip_info {
	uint8_t version; /* 4 or 6 */
	uint8_t proto; /* upper-layer protocol after extension headers */
	uint8_t ttl; /* TTL or hop limit */
	uint8_t tos; /* TOS or traffic class, ECN in the low 2 bits */
	uint16_t hlen; /* bytes from the IP header to the L4 header */
	uint32_t l4_len; /* bytes of L4 header + payload (from the IP lengths) */
	struct ip_addr src, dst;
};

/* ECN codepoints (RFC 3168 5), the low two bits of tos. */
#define IP_ECN_NOT_ECT 0
#define IP_ECN_ECT1 1
#define IP_ECN_ECT0 2
#define IP_ECN_CE 3

/*
 * Parse an IPv4 header at @buf (@len bytes to the end of the frame).
 * Options are length-checked and skipped; fragments are rejected
 * (-WIRE_IP4_FRAG); the header checksum is verified when @verify_csum.
 * Trailing frame padding beyond the total length is ignored.
 * -WIRE_IP4_SHORT means @len is below 20 or IHL * 4; a total length below
 * IHL * 4 or above @len is -WIRE_IP4_TOTLEN. The checksum is checked right
 * after version and IHL, so a corrupted field it covers reads as
 * -WIRE_IP4_CSUM.
 */
int ip4_parse(const uint8_t *buf, size_t len, bool verify_csum,
	      struct ip_info *out);

/*
 * Parse an IPv6 header and skip hop-by-hop, routing and destination options
 * extension headers (RFC 8200 4); fragments (-WIRE_IP6_FRAG), ESP/AH and
 * unknown headers (-WIRE_IP6_UNSUPP) are rejected.
 * Also -WIRE_IP6_UNSUPP: a routing header with segments left, an option
 * whose type says "discard" (RFC 8200 4.2), more than 8 extension headers.
 * A payload length of 0 (jumbogram, RFC 2675) is -WIRE_IP6_SHORT. Any
 * other next header is returned in proto (the caller rejects non-TCP).
 */
int ip6_parse(const uint8_t *buf, size_t len, struct ip_info *out);

/*
 * Parse by the version nibble: 6 goes to ip6_parse, anything else to
 * ip4_parse (so an empty buffer is -WIRE_IP4_SHORT and an unknown version
 * -WIRE_IP4_VERSION).
 */
int ip_parse(const uint8_t *buf, size_t len, bool verify_csum,
	     struct ip_info *out);

/*
 * Write a 20-byte IPv4 header (DF set, id 0 as RFC 6864 permits for atomic
 * datagrams) with its checksum, or a 40-byte IPv6 header. @l4_len is the
 * length of what follows. Returns the header length or -WIRE_NOSPACE
 * (also for an IPv4 @l4_len above 65515, which no total length can hold).
 * ip4_emit takes the last 4 bytes of IPv4-mapped @src and @dst.
 */
int ip4_emit(uint8_t *buf, size_t cap, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t proto, uint8_t ttl, uint8_t tos,
	     uint16_t l4_len);
int ip6_emit(uint8_t *buf, size_t cap, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t proto, uint8_t hop_limit,
	     uint8_t tclass, uint32_t flow_label, uint16_t l4_len);

/* Address helpers. */
bool ip_addr_is_v4(const struct ip_addr *a); /* ::ffff:0:0/96 */
bool ip_addr_is_any(const struct ip_addr *a); /* :: or ::ffff:0.0.0.0 */
void ip_addr_from_v4(struct ip_addr *a, const uint8_t v4[4]);
/* Checksum pseudo-header partial sum for either family (taken from @src). */
uint32_t ip_pseudo_csum(const struct ip_addr *src, const struct ip_addr *dst,
			uint8_t proto, uint32_t len);
/*
 * "198.18.0.1" or "2001:db8::1"; returns @buf. @len >= 46 (with less, the
 * text may not fit and @buf is set to "").
 */
const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len);

#endif
