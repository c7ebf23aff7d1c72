// SPDX-License-Identifier: BSD-2-Clause
/* Whole frames parsed down to TCP; every rejection reason; error names. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/checksum.h"
#include "wire/packet.h"
#include "wire/wire_err.h"

/*
 * Two SYNs as a Linux client sends them (MSS 1460, SACK-permitted, TS,
 * WS 7), laid out by hand with checksums computed outside the project:
 * 198.18.0.1:40000 -> 198.18.0.2:80, IP checksum 924e, TCP checksum b7a4;
 * 2001:db8::1:40000 -> 2001:db8::2:443, flow label 0x12345, TCP e7e1.
 */
static const uint8_t SYN4[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0x92, 0x4e, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00,
	0x02, 0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
	0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xb7, 0xa4, 0x00, 0x00, 0x02,
	0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x01, 0x02, 0x03, 0x04,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static const uint8_t SYN6[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x01, 0x23, 0x45, 0x00, 0x28, 0x06, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x01, 0xbb, 0xa1, 0xb2,
	0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfd, 0x20, 0xe7, 0xe1,
	0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x01, 0x02,
	0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static int parse_exact(const uint8_t *f, size_t len, unsigned verify,
		       struct pkt *p)
{
	uint8_t *q = dup_exact(f, len);
	int r = pkt_parse_eth(q, len, verify, p);

	/* Pointers into the copy are rebased onto @f for the caller. */
	if (!r) {
		p->l3 = f + (p->l3 - q);
		p->l4 = f + (p->l4 - q);
		p->payload = f + (p->payload - q);
	}
	free(q);
	return r;
}

static int parse_ip_exact(const uint8_t *l3, size_t len, unsigned verify,
			  struct pkt *p)
{
	uint8_t *q = dup_exact(l3, len);
	int r = pkt_parse_ip(q, len, verify, p);

	free(q);
	return r;
}

/*
 * Recompute the TCP checksum of an untagged frame after a mutation, from
 * the IP header's own lengths and addresses (no extension headers).
 */
static void fix_tcp(uint8_t *f)
{
	uint8_t *ip = f + 14;
	uint32_t ph;
	size_t hl, l4;

	if (ip[0] >> 4 == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		l4 = (size_t)(ip[2] << 8 | ip[3]) - hl;
		ph = csum_pseudo_ipv4(ip + 12, ip + 16, 6, (uint16_t)l4);
	} else {
		hl = 40;
		l4 = (size_t)(ip[4] << 8 | ip[5]);
		ph = csum_pseudo_ipv6(ip + 8, ip + 24, 6, (uint32_t)l4);
	}
	tcp_fill_csum(ip + hl, l4, ph);
}

static void fix_ip4(uint8_t *f)
{
	uint8_t *ip = f + 14;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = csum_fold(csum_partial(ip, (size_t)(ip[0] & 0xf) * 4, 0));
	memcpy(ip + 10, &c, 2);
}

/*
 * An ACK with @dlen data bytes built with the emit functions, as the
 * engine builds its segments: Ethernet, IPv4 or IPv6, TCP with TS and two
 * SACK blocks. Returns the frame length (before any padding).
 */
static size_t build_data(uint8_t *f, size_t cap, bool v6, size_t dlen)
{
	static const uint8_t a4[4] = { 198, 18, 0, 2 },
			     b4[4] = { 198, 18, 0, 1 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct tcp_hdr h = { 0 };
	struct ip_addr s, d;
	int el, il, tl;

	if (v6) {
		memcpy(s.b, a6, 16);
		memcpy(d.b, b6, 16);
	} else {
		ip_addr_from_v4(&s, a4);
		ip_addr_from_v4(&d, b4);
	}
	h.sport = 80;
	h.dport = 40000;
	h.seq = 1000;
	h.ack = 2000;
	h.flags = TH_ACK | TH_PSH;
	h.win = 500;
	h.opts.present = TCP_OPT_TS | TCP_OPT_SACK;
	h.opts.ts_val = 77;
	h.opts.ts_ecr = 66;
	h.opts.nsack = 2;
	h.opts.sack[0].start = 3000;
	h.opts.sack[0].end = 4000;
	h.opts.sack[1].start = 5000;
	h.opts.sack[1].end = 6000;

	el = eth_emit(f, cap, MAC_B, MAC_A,
		      v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
	assert_int_equal(el, 14);
	il = v6 ? IP6_HLEN : IP4_HLEN;
	tl = tcp_emit(f + el + il, cap - (size_t)(el + il), &h);
	assert_true(tl > 0);
	for (size_t i = 0; i < dlen; i++)
		f[el + il + tl + (int)i] = (uint8_t)('a' + i % 26);
	if (v6)
		il = ip6_emit(f + el, cap - (size_t)el, &s, &d, 6, 64, 0, 7,
			      (uint16_t)(tl + (int)dlen));
	else
		il = ip4_emit(f + el, cap - (size_t)el, &s, &d, 6, 64, 0,
			      (uint16_t)(tl + (int)dlen));
	assert_true(il > 0);
	tcp_fill_csum(f + el + il, (size_t)tl + dlen,
		      ip_pseudo_csum(&s, &d, 6, (uint32_t)tl + dlen));
	return (size_t)(el + il + tl) + dlen;
}

static void syn_v4(void **state)
{
	struct pkt p;

	assert_int_equal(parse_exact(SYN4, sizeof(SYN4), PKT_VERIFY_ALL, &p),
			 0);
	assert_int_equal(p.eth.ethertype, ETHERTYPE_IPV4);
	assert_int_equal(p.ip.version, 4);
	assert_int_equal(p.ip.l4_len, 40);
	assert_ptr_equal(p.l3, SYN4 + 14);
	assert_ptr_equal(p.l4, SYN4 + 34);
	assert_ptr_equal(p.payload, SYN4 + 74);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.tcp.sport, 40000);
	assert_int_equal(p.tcp.dport, 80);
	assert_int_equal(p.tcp.flags, TH_SYN);
	assert_int_equal(p.tcp.opts.mss, 1460);
	assert_int_equal(p.tcp.opts.wscale, 7);
	assert_int_equal(p.tcp.opts.present, TCP_OPT_MSS | TCP_OPT_SACK_PERM |
						     TCP_OPT_TS |
						     TCP_OPT_WSCALE);

	/* The same from the IP header on. */
	assert_int_equal(parse_ip_exact(SYN4 + 14, sizeof(SYN4) - 14,
					PKT_VERIFY_ALL, &p),
			 0);
	assert_int_equal(p.eth.hlen, 0);
	assert_int_equal(p.tcp.dport, 80);
	assert_int_equal(p.payload_len, 0);
}

static void syn_v6(void **state)
{
	struct pkt p;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	assert_int_equal(parse_exact(SYN6, sizeof(SYN6), PKT_VERIFY_ALL, &p),
			 0);
	assert_int_equal(p.ip.version, 6);
	assert_int_equal(p.ip.hlen, 40);
	assert_int_equal(p.ip.l4_len, 40);
	assert_memory_equal(p.ip.src.b, a, 16);
	assert_ptr_equal(p.l4, SYN6 + 54);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.tcp.dport, 443);
	assert_int_equal(p.tcp.seq, 0xa1b2c3d4);
	assert_int_equal(parse_ip_exact(SYN6 + 14, sizeof(SYN6) - 14,
					PKT_VERIFY_ALL, &p),
			 0);
	assert_int_equal(p.tcp.opts.ts_val, 0x01020304);
}

static void data_and_padding(void **state)
{
	uint8_t f[128];
	struct pkt p;
	size_t len;

	for (int v6 = 0; v6 <= 1; v6++) {
		for (size_t dlen = 0; dlen < 20; dlen++) {
			memset(f, 0xee, sizeof(f));
			len = build_data(f, sizeof(f), v6, dlen);
			/* Frames below 60 bytes get padded on Ethernet. */
			size_t flen = len < 60 ? 60 : len;

			assert_int_equal(
				parse_exact(f, flen, PKT_VERIFY_ALL, &p), 0);
			assert_int_equal(p.payload_len, dlen);
			assert_ptr_equal(p.payload + dlen, f + len);
			if (dlen)
				assert_int_equal(p.payload[0], 'a');
			assert_int_equal(p.tcp.opts.nsack, 2);
			assert_int_equal(p.tcp.opts.sack[1].end, 6000);
			assert_int_equal(p.tcp.flags, TH_ACK | TH_PSH);
			/* Every cut inside the datagram is rejected. */
			for (size_t l = 0; l < len; l++)
				assert_int_not_equal(
					parse_exact(f, l, PKT_VERIFY_ALL, &p),
					0);
		}
	}
}

/* Insert a VLAN tag (and optionally an S-tag) after the MAC addresses. */
static size_t add_tags(uint8_t *out, const uint8_t *f, size_t len, int n)
{
	static const uint8_t tags[] = { 0x88, 0xa8, 0x00, 0x0a,
					0x81, 0x00, 0x20, 0x64 };

	memcpy(out, f, 12);
	memcpy(out + 12, tags + 8 - 4 * n, (size_t)(4 * n));
	memcpy(out + 12 + 4 * n, f + 12, len - 12);
	return len + (size_t)(4 * n);
}

static void vlan(void **state)
{
	uint8_t f[128];
	struct pkt p;

	for (int n = 1; n <= 2; n++) {
		size_t len = add_tags(f, SYN4, sizeof(SYN4), n);

		assert_int_equal(parse_exact(f, len, PKT_VERIFY_ALL, &p), 0);
		assert_int_equal(p.eth.hlen, 14 + 4 * n);
		assert_ptr_equal(p.l3, f + 14 + 4 * n);
		assert_int_equal(p.tcp.dport, 80);
		for (size_t l = 0; l < len; l++)
			assert_int_not_equal(
				parse_exact(f, l, PKT_VERIFY_ALL, &p), 0);

		len = add_tags(f, SYN6, sizeof(SYN6), n);
		assert_int_equal(parse_exact(f, len, PKT_VERIFY_ALL, &p), 0);
		assert_int_equal(p.tcp.dport, 443);
	}
}

/*
 * SYN6 with a destination options header of six Pad1 options between the
 * IPv6 header and TCP.
 */
static size_t syn6_ext(uint8_t *f)
{
	const uint8_t dopt[8] = { 6, 0, 0, 0, 0, 0, 0, 0 };

	memcpy(f, SYN6, 54);
	memcpy(f + 54, dopt, 8);
	memcpy(f + 62, SYN6 + 54, sizeof(SYN6) - 54);
	f[14 + 5] += 8; /* payload length */
	f[14 + 6] = 60; /* next header: destination options */
	return sizeof(SYN6) + 8;
}

static void ipv6_ext(void **state)
{
	uint8_t f[128];
	struct pkt p;
	size_t len = syn6_ext(f);

	/* The TCP checksum does not cover extension headers: still good. */
	assert_int_equal(parse_exact(f, len, PKT_VERIFY_ALL, &p), 0);
	assert_int_equal(p.ip.hlen, 48);
	assert_int_equal(p.ip.l4_len, 40);
	assert_ptr_equal(p.l4, f + 62);
	assert_int_equal(p.tcp.dport, 443);
	for (size_t l = 0; l < len; l++)
		assert_int_not_equal(parse_exact(f, l, PKT_VERIFY_ALL, &p), 0);
}

static void every_truncation(void **state)
{
	struct pkt p;

	for (size_t l = 0; l < sizeof(SYN4); l++) {
		int r = parse_exact(SYN4, l, PKT_VERIFY_ALL, &p);

		assert_int_equal(r, l < 14 ? -WIRE_ETH_SHORT :
				    l < 34 ? -WIRE_IP4_SHORT :
					     -WIRE_IP4_TOTLEN);
		assert_int_not_equal(parse_exact(SYN4, l, 0, &p), 0);
		if (l >= 14)
			assert_int_not_equal(
				parse_ip_exact(SYN4 + 14, l - 14, 0, &p), 0);
	}
	for (size_t l = 0; l < sizeof(SYN6); l++) {
		int r = parse_exact(SYN6, l, PKT_VERIFY_ALL, &p);

		assert_int_equal(r, l < 14 ? -WIRE_ETH_SHORT : -WIRE_IP6_SHORT);
		assert_int_not_equal(parse_exact(SYN6, l, 0, &p), 0);
		if (l >= 14)
			assert_int_not_equal(
				parse_ip_exact(SYN6 + 14, l - 14, 0, &p), 0);
	}
}

/*
 * Bits no check can see. The IPv6 flow label (the low nibble of frame byte
 * 15, bytes 16 and 17 of an untagged frame) is covered by no checksum and
 * not parsed (RFC 8200 6). IPv6 extension headers have no checksum either:
 * a Pad1 turned into PadN or into an unknown option whose two high bits
 * say "skip" (RFC 8200 4.2) leaves a valid header, so only the high bits of
 * syn6_ext's option bytes are checked.
 */
static uint8_t blind_bits(const uint8_t *f, size_t i)
{
	if (f[12] != 0x86)
		return 0;
	if (i == 15)
		return 0x0f;
	if (i == 16 || i == 17)
		return 0xff;
	if (f[20] == 60 && i >= 56 && i < 62)
		return 0x3f;
	return 0;
}

/*
 * Flip bits of each byte of a valid frame, one bit at a time and the whole
 * byte: parsing with every check on must fail or give a different result.
 * For IPv4, every header byte past the version is under the IP checksum and
 * every TCP byte under the TCP checksum, so those must be checksum errors.
 */
static void flip_each_byte(const uint8_t *f, size_t len)
{
	struct pkt base, p;
	uint8_t *q = dup_exact(f, len);

	assert_int_equal(pkt_parse_eth(q, len, PKT_VERIFY_ALL, &base), 0);
	for (size_t i = 0; i < len; i++) {
		for (int mask = 1; mask <= 256; mask <<= 1) {
			uint8_t m = mask == 256 ? 0xff : (uint8_t)mask;
			bool v4 = f[12] == 0x08;
			int r;

			if ((m & ~blind_bits(f, i)) == 0)
				continue;
			q[i] ^= m;
			r = pkt_parse_eth(q, len, PKT_VERIFY_ALL, &p);
			if (r == 0 && !memcmp(&p, &base, sizeof(p)))
				fail_msg("frame %02x%02x len %zu: byte %zu "
					 "^ %02x unseen",
					 f[12], f[13], len, i, m);
			if (v4 && i >= 34)
				assert_int_equal(r, -WIRE_TCP_CSUM);
			if (v4 && i >= 15 && i < 34)
				assert_int_equal(r, -WIRE_IP4_CSUM);
			/* IPv6 addresses on: under the TCP pseudo-header,
			 * or structure the parser checks. */
			if (!v4 && i >= 22)
				assert_int_not_equal(r, 0);
			q[i] ^= m;
		}
	}
	free(q);
}

static void corruption(void **state)
{
	uint8_t f[128];
	size_t len;

	flip_each_byte(SYN4, sizeof(SYN4));
	flip_each_byte(SYN6, sizeof(SYN6));
	len = syn6_ext(f);
	flip_each_byte(f, len);
	/* Data segments built by the emit path. */
	len = build_data(f, sizeof(f), false, 9);
	flip_each_byte(f, len);
	len = build_data(f, sizeof(f), true, 9);
	flip_each_byte(f, len);
}

static void verify_flags(void **state)
{
	uint8_t f[sizeof(SYN4)];
	struct pkt p;

	/* A bad TCP checksum passes unless TCP verification is asked for. */
	memcpy(f, SYN4, sizeof(f));
	f[sizeof(f) - 1] ^= 1; /* wscale 7 -> 6 */
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_ALL, &p),
			 -WIRE_TCP_CSUM);
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_TCP_CSUM, &p),
			 -WIRE_TCP_CSUM);
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_IP4_CSUM, &p), 0);
	assert_int_equal(p.tcp.opts.wscale, 6);
	assert_int_equal(parse_exact(f, sizeof(f), 0, &p), 0);

	/* A bad IP checksum (TTL changed) likewise. */
	memcpy(f, SYN4, sizeof(f));
	f[22] = 1;
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_ALL, &p),
			 -WIRE_IP4_CSUM);
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_IP4_CSUM, &p),
			 -WIRE_IP4_CSUM);
	assert_int_equal(parse_exact(f, sizeof(f), PKT_VERIFY_TCP_CSUM, &p), 0);
	assert_int_equal(p.ip.ttl, 1);
	assert_int_equal(parse_ip_exact(f + 14, sizeof(f) - 14, PKT_VERIFY_ALL,
					&p),
			 -WIRE_IP4_CSUM);
	assert_int_equal(parse_ip_exact(f + 14, sizeof(f) - 14,
					PKT_VERIFY_TCP_CSUM, &p),
			 0);
}

/* One input per rejection reason, each through the public entry points. */
static void every_reason(void **state)
{
	bool seen[WIRE_ERR_MAX] = { false };
	uint8_t f[160];
	struct pkt p;
	int r;

#define V4(stmt, fix_ip, fix_l4)                                           \
	(memcpy(f, SYN4, sizeof(SYN4)), (stmt),                            \
	 (fix_l4) ? fix_tcp(f) : (void)0, (fix_ip) ? fix_ip4(f) : (void)0, \
	 pkt_parse_eth(f, sizeof(SYN4), PKT_VERIFY_ALL, &p))
#define V6(stmt, fix_l4)                        \
	(memcpy(f, SYN6, sizeof(SYN6)), (stmt), \
	 (fix_l4) ? fix_tcp(f) : (void)0,       \
	 pkt_parse_eth(f, sizeof(SYN6), PKT_VERIFY_ALL, &p))
#define EXPECT(call, err)                    \
	do {                                 \
		r = (call);                  \
		assert_int_equal(r, -(err)); \
		seen[err] = true;            \
	} while (0)

	EXPECT(pkt_parse_eth(SYN4, 13, PKT_VERIFY_ALL, &p), WIRE_ETH_SHORT);
	EXPECT(V4(f[13] = 0x06, 0, 0), WIRE_ETH_TYPE);
	EXPECT(pkt_parse_eth(SYN4, 33, PKT_VERIFY_ALL, &p), WIRE_IP4_SHORT);
	EXPECT(V4(f[14] = 0x55, 1, 0), WIRE_IP4_VERSION);
	EXPECT(V4(f[14] = 0x44, 0, 0), WIRE_IP4_IHL);
	EXPECT(V4(f[17] = 19, 1, 0), WIRE_IP4_TOTLEN);
	EXPECT(V4(f[22] = 1, 0, 0), WIRE_IP4_CSUM);
	EXPECT(V4(f[20] = 0x20, 1, 0), WIRE_IP4_FRAG);
	EXPECT(V6(f[14] = 0x45, 0), WIRE_IP6_VERSION);
	EXPECT(pkt_parse_eth(SYN6, 53, PKT_VERIFY_ALL, &p), WIRE_IP6_SHORT);
	EXPECT(V6(f[20] = 60, 0), WIRE_IP6_EXTHDR); /* TCP bytes as an ext */
	EXPECT(V6(f[20] = 44, 0), WIRE_IP6_FRAG);
	EXPECT(V6(f[20] = 50, 0), WIRE_IP6_UNSUPP);
	EXPECT(V4(f[23] = 17, 1, 0), WIRE_L4_PROTO);
	EXPECT(V4(f[17] = 20 + 19, 1, 0), WIRE_TCP_SHORT);
	EXPECT(V4(f[46] = 0x40, 0, 1), WIRE_TCP_DOFF);
	EXPECT(V6(f[66] = 0xb0, 1), WIRE_TCP_SHORT);
	EXPECT(V4(f[73] = 6, 0, 0), WIRE_TCP_CSUM);
	EXPECT(V4(f[55] = 1, 0, 1), WIRE_TCP_OPT);
	EXPECT(V4(f[55] = 3, 0, 1), WIRE_TCP_OPTLEN);
	EXPECT(V4((f[34] = 0, f[35] = 0), 0, 1), WIRE_TCP_PORT);
	EXPECT(V6((f[56] = 0, f[57] = 0), 1), WIRE_TCP_PORT);
	EXPECT(eth_emit(f, 13, MAC_A, MAC_B, ETHERTYPE_IPV4), WIRE_NOSPACE);

	/* IPv4 option: IHL 6 with a length-0 option; TCP moved along. */
	memcpy(f, SYN4, 34);
	f[14] = 0x46;
	f[17] += 4;
	f[34] = 7;
	f[35] = 0;
	f[36] = f[37] = 0;
	memcpy(f + 38, SYN4 + 34, sizeof(SYN4) - 34);
	fix_ip4(f);
	fix_tcp(f);
	EXPECT(pkt_parse_eth(f, sizeof(SYN4) + 4, PKT_VERIFY_ALL, &p),
	       WIRE_IP4_OPTION);
	f[35] = 4; /* a well-formed option: the frame parses */
	fix_ip4(f);
	assert_int_equal(pkt_parse_eth(f, sizeof(SYN4) + 4, PKT_VERIFY_ALL, &p),
			 0);
	assert_int_equal(p.ip.hlen, 24);
	assert_ptr_equal(p.l4, f + 38);
#undef V4
#undef V6
#undef EXPECT

	for (int e = 1; e < WIRE_ERR_MAX; e++) {
		if (!seen[e])
			fail_msg("no input produced %s", wire_err_name(e));
	}
}

static void err_names(void **state)
{
	assert_string_equal(wire_err_name(WIRE_IP4_CSUM), "ip4_csum");
	assert_string_equal(wire_err_name(-WIRE_IP4_CSUM), "ip4_csum");
	assert_string_equal(wire_err_name(0), "ok");
	assert_string_equal(wire_err_name(WIRE_ERR_MAX), "unknown");
	assert_string_equal(wire_err_name(-WIRE_ERR_MAX), "unknown");
	assert_string_equal(wire_err_name(-2147483647 - 1), "unknown");
	assert_string_equal(wire_err_name(2147483647), "unknown");
	for (int i = 0; i < WIRE_ERR_MAX; i++) {
		const char *n = wire_err_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0 && strlen(n) < 16);
		assert_string_not_equal(n, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, wire_err_name(j));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syn_v4),
		cmocka_unit_test(syn_v6),
		cmocka_unit_test(data_and_padding),
		cmocka_unit_test(vlan),
		cmocka_unit_test(ipv6_ext),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(corruption),
		cmocka_unit_test(verify_flags),
		cmocka_unit_test(every_reason),
		cmocka_unit_test(err_names),
	};

	return cmocka_run_group_tests_name("wire_packet", tests, NULL, NULL);
}
