// SPDX-License-Identifier: BSD-2-Clause
/* IPv4 (RFC 791) and IPv6 (RFC 8200) header parsing and emission. */
#include "wire/ip.h"

#include <arpa/inet.h>
#include <string.h>

#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/wire_err.h"

/* IPv4 option kinds that have no length byte (RFC 791 3.1). */
#define IP4OPT_EOL 0
#define IP4OPT_NOP 1

#define IP4_FLAG_MF 0x2000
#define IP4_FRAG_OFF_MASK 0x1fff
#define IP4_FLAG_DF 0x4000

/* IPv6 next-header values (IANA "Assigned Internet Protocol Numbers"). */
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_ESP 50
#define NEXTHDR_AUTH 51
#define NEXTHDR_NONE 59
#define NEXTHDR_DEST 60
#define NEXTHDR_MOBILITY 135
#define NEXTHDR_HIP 139
#define NEXTHDR_SHIM6 140
#define NEXTHDR_EXP1 253
#define NEXTHDR_EXP2 254

/* Padding options of hop-by-hop and destination options (RFC 8200 4.2). */
#define IP6OPT_PAD1 0
#define IP6OPT_PADN 1

/*
 * Extension headers walked before giving up with -WIRE_IP6_UNSUPP. RFC 8200
 * 4.1 recommends one of each (destination options at most twice), so a
 * legitimate chain of the kinds we skip has at most four.
 */
#define IP6_MAX_EXTHDR 8

/* ::ffff:0:0/96 (RFC 4291 2.5.5.2) */
static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

bool ip_addr_is_v4(const struct ip_addr *a)
{
	return memcmp(a->b, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

bool ip_addr_is_any(const struct ip_addr *a)
{
	static const uint8_t zero[16];

	if (memcmp(a->b, zero, 16) == 0)
		return true;
	return ip_addr_is_v4(a) && memcmp(a->b + 12, zero, 4) == 0;
}

void ip_addr_from_v4(struct ip_addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4mapped_prefix, sizeof(v4mapped_prefix));
	memcpy(a->b + 12, v4, 4);
}

/*
 * The family is taken from @src; a connection never mixes families, so
 * @dst is of the same kind.
 */
uint32_t ip_pseudo_csum(const struct ip_addr *src, const struct ip_addr *dst,
			uint8_t proto, uint32_t len)
{
	if (ip_addr_is_v4(src))
		return csum_pseudo_ipv4(src->b + 12, dst->b + 12, proto,
					(uint16_t)len);
	return csum_pseudo_ipv6(src->b, dst->b, proto, len);
}

const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t len)
{
	const char *r;

	if (!len)
		return buf;
	/* inet_ntop gives the RFC 5952 canonical text for IPv6. */
	if (ip_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	if (!r)
		buf[0] = '\0';
	return buf;
}

/*
 * Walk the IPv4 options (RFC 791 3.1) only to prove they are well formed:
 * the stack uses none of them. EOL ends the list (what follows is padding);
 * NOP is one byte; every other option has a length byte counting kind and
 * length, so it is at least 2 and must stay inside the header.
 */
static int ip4_check_options(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];
		size_t olen;

		if (kind == IP4OPT_EOL)
			break;
		if (kind == IP4OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -WIRE_IP4_OPTION;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -WIRE_IP4_OPTION;
		i += olen;
	}
	return 0;
}

/*
 * Checks run in the order needed to locate the header: the length, version
 * and IHL must be sane before the header can be summed; once the checksum
 * holds, the fields it covers are trusted, so a corrupted total length or
 * fragment field is reported as a checksum error, not as a length error.
 *
 * -WIRE_IP4_SHORT: @len below 20 or below IHL * 4 (the header itself is cut);
 * -WIRE_IP4_TOTLEN: total length below IHL * 4 or above @len.
 */
int ip4_parse(const uint8_t *buf, size_t len, bool verify_csum,
	      struct ip_info *out)
{
	size_t hlen, totlen;
	uint16_t frag;
	int err;

	memset(out, 0, sizeof(*out));
	if (len < IP4_HLEN)
		return -WIRE_IP4_SHORT;
	if (buf[0] >> 4 != 4)
		return -WIRE_IP4_VERSION;
	hlen = (size_t)(buf[0] & 0x0f) * 4;
	if (hlen < IP4_HLEN)
		return -WIRE_IP4_IHL;
	if (len < hlen)
		return -WIRE_IP4_SHORT;
	/* A correct header sums to all ones, which folds to 0 (RFC 1071). */
	if (verify_csum && csum_fold(csum_partial(buf, hlen, 0)) != 0)
		return -WIRE_IP4_CSUM;

	totlen = wire_get_be16(buf + 2);
	if (totlen < hlen || totlen > len)
		return -WIRE_IP4_TOTLEN;

	/*
	 * No reassembly: TCP's MSS and PMTUD keep a peer from fragmenting
	 * (RFC 9293 3.7.1), so a fragment is rejected, DF is ignored.
	 */
	frag = wire_get_be16(buf + 6);
	if (frag & (IP4_FLAG_MF | IP4_FRAG_OFF_MASK))
		return -WIRE_IP4_FRAG;

	err = ip4_check_options(buf + IP4_HLEN, hlen - IP4_HLEN);
	if (err)
		return err;

	out->version = 4;
	out->tos = buf[1];
	out->ttl = buf[8];
	out->proto = buf[9];
	out->hlen = (uint16_t)hlen;
	/* Frame padding past the total length (short Ethernet) is dropped. */
	out->l4_len = (uint32_t)(totlen - hlen);
	ip_addr_from_v4(&out->src, buf + 12);
	ip_addr_from_v4(&out->dst, buf + 16);
	return 0;
}

/*
 * Check the TLV options of a hop-by-hop or destination options header
 * (RFC 8200 4.2) at @p, @len bytes after its 2-byte preamble. We know only
 * Pad1 and PadN; the two high bits of an unknown option's type say whether
 * it may be skipped (00) or the packet must be discarded (01, 10, 11).
 */
static int ip6_check_tlvs(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t type = p[i];
		size_t olen;

		if (type == IP6OPT_PAD1) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -WIRE_IP6_EXTHDR;
		olen = (size_t)p[i + 1] + 2;
		if (olen > len - i)
			return -WIRE_IP6_EXTHDR;
		if (type != IP6OPT_PADN && (type >> 6) != 0)
			return -WIRE_IP6_UNSUPP;
		i += olen;
	}
	return 0;
}

static bool ip6_is_unsupp_exthdr(uint8_t nh)
{
	switch (nh) {
	case NEXTHDR_ESP:
	case NEXTHDR_AUTH:
	case NEXTHDR_NONE:
	case NEXTHDR_MOBILITY:
	case NEXTHDR_HIP:
	case NEXTHDR_SHIM6:
	case NEXTHDR_EXP1:
	case NEXTHDR_EXP2:
		return true;
	default:
		return false;
	}
}

/*
 * Errors:
 * -WIRE_IP6_SHORT: @len below 40 or below 40 + payload length, or payload
 *   length 0. A zero payload length means a jumbogram (RFC 2675 3), which
 *   needs a hop-by-hop Jumbo Payload option and a link MTU above 64 KiB; no
 *   link the stack drives carries one, so it is rejected as "too short for
 *   what it claims" rather than parsed.
 * -WIRE_IP6_EXTHDR: an extension header or one of its options overruns the
 *   payload, or hop-by-hop is not first (RFC 8200 4.1).
 * -WIRE_IP6_FRAG: a fragment header (no reassembly, as for IPv4).
 * -WIRE_IP6_UNSUPP: ESP, AH, no next header, mobility/HIP/shim6/experimental
 *   headers, a routing header with segments left (we are not its final
 *   destination, RFC 8200 4.4), an option that must not be skipped, or a
 *   chain longer than IP6_MAX_EXTHDR.
 * Any other next header is the upper-layer protocol, returned in proto.
 */
int ip6_parse(const uint8_t *buf, size_t len, struct ip_info *out)
{
	size_t plen, end, off = IP6_HLEN;
	uint8_t nh;
	int n;

	memset(out, 0, sizeof(*out));
	if (len < IP6_HLEN)
		return -WIRE_IP6_SHORT;
	if (buf[0] >> 4 != 6)
		return -WIRE_IP6_VERSION;
	plen = wire_get_be16(buf + 4);
	if (plen == 0 || plen > len - IP6_HLEN)
		return -WIRE_IP6_SHORT;
	end = IP6_HLEN + plen; /* trailing frame padding is dropped */
	nh = buf[6];

	for (n = 0;; n++) {
		size_t ehlen;
		int err;

		if (nh == NEXTHDR_FRAGMENT)
			return -WIRE_IP6_FRAG;
		if (ip6_is_unsupp_exthdr(nh))
			return -WIRE_IP6_UNSUPP;
		if (nh != NEXTHDR_HOP && nh != NEXTHDR_ROUTING &&
		    nh != NEXTHDR_DEST)
			break;
		if (n == IP6_MAX_EXTHDR)
			return -WIRE_IP6_UNSUPP;
		if (nh == NEXTHDR_HOP && n != 0)
			return -WIRE_IP6_EXTHDR;
		/* Next Header, Hdr Ext Len in 8-octet units not counting the
		 * first 8 (RFC 8200 4.3, 4.4, 4.6). */
		if (end - off < 8)
			return -WIRE_IP6_EXTHDR;
		ehlen = ((size_t)buf[off + 1] + 1) * 8;
		if (ehlen > end - off)
			return -WIRE_IP6_EXTHDR;
		if (nh == NEXTHDR_ROUTING) {
			/* Segments Left: byte 3 of every routing type. */
			if (buf[off + 3] != 0)
				return -WIRE_IP6_UNSUPP;
		} else {
			err = ip6_check_tlvs(buf + off + 2, ehlen - 2);
			if (err)
				return err;
		}
		nh = buf[off];
		off += ehlen;
	}

	out->version = 6;
	out->tos = (uint8_t)((buf[0] & 0x0f) << 4 | buf[1] >> 4);
	out->ttl = buf[7];
	out->proto = nh;
	out->hlen = (uint16_t)off;
	out->l4_len = (uint32_t)(end - off);
	memcpy(out->src.b, buf + 8, 16);
	memcpy(out->dst.b, buf + 24, 16);
	return 0;
}

/*
 * An empty buffer has no version to dispatch on; it is reported as
 * -WIRE_IP4_SHORT, and a version other than 4 or 6 as -WIRE_IP4_VERSION.
 */
int ip_parse(const uint8_t *buf, size_t len, bool verify_csum,
	     struct ip_info *out)
{
	if (len && buf[0] >> 4 == 6)
		return ip6_parse(buf, len, out);
	return ip4_parse(buf, len, verify_csum, out);
}

/*
 * @src and @dst must be IPv4-mapped; their last 4 bytes are written. A
 * datagram longer than 65535 bytes cannot be described and is refused as
 * -WIRE_NOSPACE.
 */
int ip4_emit(uint8_t *buf, size_t cap, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t proto, uint8_t ttl, uint8_t tos,
	     uint16_t l4_len)
{
	uint16_t csum;

	if (cap < IP4_HLEN || l4_len > UINT16_MAX - IP4_HLEN)
		return -WIRE_NOSPACE;
	buf[0] = 4 << 4 | IP4_HLEN / 4;
	buf[1] = tos;
	wire_put_be16(buf + 2, (uint16_t)(IP4_HLEN + l4_len));
	wire_put_be16(buf + 4, 0); /* id: RFC 6864 4.1, atomic datagram */
	wire_put_be16(buf + 6, IP4_FLAG_DF);
	buf[8] = ttl;
	buf[9] = proto;
	wire_put_be16(buf + 10, 0);
	memcpy(buf + 12, src->b + 12, 4);
	memcpy(buf + 16, dst->b + 12, 4);
	csum = csum_fold(csum_partial(buf, IP4_HLEN, 0));
	memcpy(buf + 10, &csum, 2); /* already in network order */
	return IP4_HLEN;
}

int ip6_emit(uint8_t *buf, size_t cap, const struct ip_addr *src,
	     const struct ip_addr *dst, uint8_t proto, uint8_t hop_limit,
	     uint8_t tclass, uint32_t flow_label, uint16_t l4_len)
{
	if (cap < IP6_HLEN)
		return -WIRE_NOSPACE;
	/* Version 4 bits, traffic class 8, flow label 20 (RFC 8200 3). */
	wire_put_be32(buf, (uint32_t)6 << 28 | (uint32_t)tclass << 20 |
				   (flow_label & 0xfffff));
	wire_put_be16(buf + 4, l4_len);
	buf[6] = proto;
	buf[7] = hop_limit;
	memcpy(buf + 8, src->b, 16);
	memcpy(buf + 24, dst->b, 16);
	return IP6_HLEN;
}
