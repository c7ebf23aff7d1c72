// SPDX-License-Identifier: BSD-2-Clause
/* IPv4 and IPv6 header parsing/emission and the address helpers. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/checksum.h"
#include "wire/ip.h"
#include "wire/wire_err.h"

static const uint8_t A4[4] = { 198, 18, 0, 1 };
static const uint8_t B4[4] = { 198, 18, 0, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [8] = 0xfe, [15] = 2 };

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static int p4(const uint8_t *p, size_t len, bool v, struct ip_info *ip)
{
	uint8_t *q = dup_exact(p, len);
	int r = ip4_parse(q, len, v, ip);

	free(q);
	return r;
}

static int p6(const uint8_t *p, size_t len, struct ip_info *ip)
{
	uint8_t *q = dup_exact(p, len);
	int r = ip6_parse(q, len, ip);

	free(q);
	return r;
}

static int pany(const uint8_t *p, size_t len, struct ip_info *ip)
{
	uint8_t *q = dup_exact(p, len);
	int r = ip_parse(q, len, true, ip);

	free(q);
	return r;
}

static void fix_csum4(uint8_t *h)
{
	uint16_t c;

	h[10] = h[11] = 0;
	c = ref_csum(h, (size_t)(h[0] & 0xf) * 4);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

/* IPv4 header with @olen option bytes and @l4 payload bytes after it. */
static size_t build4(uint8_t *h, const uint8_t *opts, size_t olen, size_t l4)
{
	size_t hl = 20 + olen;

	assert_true(olen % 4 == 0 && olen <= 40);
	memset(h, 0, hl + l4);
	h[0] = (uint8_t)(0x40 | hl / 4);
	h[1] = 0xb9; /* DSCP 46, ECT(1) */
	h[2] = (uint8_t)((hl + l4) >> 8);
	h[3] = (uint8_t)(hl + l4);
	h[4] = 0x12;
	h[5] = 0x34;
	h[6] = 0x40; /* DF */
	h[8] = 63;
	h[9] = 6;
	memcpy(h + 12, A4, 4);
	memcpy(h + 16, B4, 4);
	if (olen)
		memcpy(h + 20, opts, olen);
	for (size_t i = 0; i < l4; i++)
		h[hl + i] = (uint8_t)(i + 1);
	fix_csum4(h);
	return hl + l4;
}

static void v4_basic(void **state)
{
	uint8_t h[128];
	struct ip_info ip;
	size_t len = build4(h, NULL, 0, 24);
	struct ip_addr a;

	assert_int_equal(p4(h, len, true, &ip), 0);
	assert_int_equal(ip.version, 4);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.ttl, 63);
	assert_int_equal(ip.tos, 0xb9);
	assert_int_equal(ip.tos & 3, IP_ECN_ECT1);
	assert_int_equal(ip.hlen, 20);
	assert_int_equal(ip.l4_len, 24);
	ip_addr_from_v4(&a, A4);
	assert_memory_equal(&ip.src, &a, 16);
	ip_addr_from_v4(&a, B4);
	assert_memory_equal(&ip.dst, &a, 16);
	assert_true(ip_addr_is_v4(&ip.src));

	/* Ethernet padding after the datagram is not part of it. */
	memset(h + len, 0xee, 20);
	assert_int_equal(p4(h, len + 20, true, &ip), 0);
	assert_int_equal(ip.l4_len, 24);
	/* Through the version dispatch as well. */
	assert_int_equal(pany(h, len + 20, &ip), 0);
	assert_int_equal(ip.version, 4);
}

static void v4_options(void **state)
{
	/* NOP, Record Route (7) with room for 2 addresses, timestamp, EOL. */
	const uint8_t opts[] = { 1,    7,    11,   4,	 198, 18, 0,	1,
				 0,    0,    0,	   68,	 12,  5,  0x00, 0x00,
				 0x01, 0x02, 0x03, 0x04, 0,   0,  0x77, 0x77 };
	uint8_t h[128];
	struct ip_info ip;
	size_t len = build4(h, opts, sizeof(opts), 8);

	assert_int_equal(p4(h, len, true, &ip), 0);
	assert_int_equal(ip.hlen, 20 + sizeof(opts));
	assert_int_equal(ip.l4_len, 8);
	assert_int_equal(h[ip.hlen], 1); /* first payload byte */

	/* 40 bytes of NOPs, the longest header. */
	{
		uint8_t nops[40];

		memset(nops, 1, sizeof(nops));
		len = build4(h, nops, sizeof(nops), 0);
		assert_int_equal(p4(h, len, true, &ip), 0);
		assert_int_equal(ip.hlen, 60);
		assert_int_equal(ip.l4_len, 0);
	}
}

static void v4_bad_options(void **state)
{
	static const uint8_t bad[][8] = {
		{ 7, 0, 0, 0, 0, 0, 0, 0 }, /* length 0 */
		{ 7, 1, 0, 0, 0, 0, 0, 0 }, /* length 1 */
		{ 7, 9, 4, 0, 0, 0, 0, 0 }, /* past the header */
		{ 1, 1, 1, 1, 1, 1, 1, 130 }, /* no length byte */
		{ 1, 68, 8, 5, 0, 0, 0, 0 }, /* overruns by one after NOP */
		{ 130, 2, 131, 255, 0, 0, 0, 0 }, /* second overruns */
	};
	uint8_t h[128];
	struct ip_info ip;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = build4(h, bad[i], 8, 4);

		assert_int_equal(p4(h, len, true, &ip), -WIRE_IP4_OPTION);
		assert_int_equal(p4(h, len, false, &ip), -WIRE_IP4_OPTION);
	}
	/* What follows EOL is padding, never parsed. */
	{
		const uint8_t eol[8] = { 1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff };
		size_t len = build4(h, eol, 8, 4);

		assert_int_equal(p4(h, len, true, &ip), 0);
	}
}

static void v4_errors(void **state)
{
	uint8_t h[128], c[128];
	struct ip_info ip;
	size_t len = build4(h, NULL, 0, 20);

#define MUT(stmt, want)                                           \
	do {                                                      \
		memcpy(c, h, len);                                \
		stmt;                                             \
		assert_int_equal(p4(c, len, false, &ip), (want)); \
		fix_csum4(c);                                     \
		assert_int_equal(p4(c, len, true, &ip), (want));  \
	} while (0)

	MUT(c[0] = 0x65, -WIRE_IP4_VERSION);
	MUT(c[0] = 0x45 - 0x40, -WIRE_IP4_VERSION);
	for (int ihl = 0; ihl < 5; ihl++)
		MUT(c[0] = (uint8_t)(0x40 | ihl), -WIRE_IP4_IHL);
	/* IHL 15 = 60 bytes, only 40 in the buffer. */
	memcpy(c, h, len);
	c[0] = 0x4f;
	assert_int_equal(p4(c, 40, true, &ip), -WIRE_IP4_SHORT);
	/* Total length below the header and above the buffer. */
	MUT(c[3] = 19, -WIRE_IP4_TOTLEN);
	MUT((c[2] = 0, c[3] = 0), -WIRE_IP4_TOTLEN);
	MUT(c[3] = (uint8_t)(len + 1), -WIRE_IP4_TOTLEN);
	MUT(c[2] = 0xff, -WIRE_IP4_TOTLEN);
	/* Fragments: MF, any offset; DF and the reserved bit are ignored. */
	MUT(c[6] = 0x20, -WIRE_IP4_FRAG);
	MUT((c[6] = 0x00, c[7] = 1), -WIRE_IP4_FRAG);
	MUT((c[6] = 0x5f, c[7] = 0xff), -WIRE_IP4_FRAG);
	MUT(c[6] = 0x00, 0);
	MUT(c[6] = 0x80, 0);
	/* Exactly 20 bytes, nothing after: a valid empty datagram. */
	MUT(c[3] = 20, 0);
#undef MUT

	/*
	 * The checksum covers every byte; it is checked right after the
	 * version and IHL (byte 0) locate the header, so a corrupted length
	 * or fragment field reads as a checksum error. Unverified, only the
	 * bytes without a meaning of their own parse.
	 */
	for (size_t i = 1; i < 20; i++) {
		memcpy(c, h, len);
		c[i] ^= 0x10;
		assert_int_equal(p4(c, len, true, &ip), -WIRE_IP4_CSUM);
		if (i != 2 && i != 3 && i != 6 && i != 7)
			assert_int_equal(p4(c, len, false, &ip), 0);
	}
	/* A flip in the options is caught too. */
	{
		const uint8_t nops[4] = { 1, 1, 1, 1 };
		size_t l2 = build4(c, nops, 4, 0);

		c[21] = 0;
		assert_int_equal(p4(c, l2, true, &ip), -WIRE_IP4_CSUM);
	}
	/* A corrupted total length is a checksum error when verifying. */
	memcpy(c, h, len);
	c[3] = 0xff;
	assert_int_equal(p4(c, len, true, &ip), -WIRE_IP4_CSUM);
}

static void v4_truncations(void **state)
{
	const uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	uint8_t h[128];
	struct ip_info ip;
	size_t len = build4(h, opts, sizeof(opts), 13);

	assert_int_equal(p4(h, len, true, &ip), 0);
	for (size_t l = 0; l < len; l++) {
		int r = p4(h, l, true, &ip);

		assert_true(r == -WIRE_IP4_SHORT || r == -WIRE_IP4_TOTLEN);
		if (l < 28)
			assert_int_equal(r, -WIRE_IP4_SHORT);
		else
			assert_int_equal(r, -WIRE_IP4_TOTLEN);
	}
}

/*
 * IPv6 header, then the extension headers in @ext (@elen bytes, already
 * chained; @first is the first next header), then @l4 payload bytes.
 */
static size_t build6(uint8_t *h, uint8_t first, const uint8_t *ext, size_t elen,
		     size_t l4)
{
	size_t plen = elen + l4;

	memset(h, 0, 40 + plen);
	h[0] = 0x6b; /* traffic class 0xb9 */
	h[1] = 0x9a;
	h[2] = 0xbc;
	h[3] = 0xde;
	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	h[6] = first;
	h[7] = 255;
	memcpy(h + 8, A6, 16);
	memcpy(h + 24, B6, 16);
	if (elen)
		memcpy(h + 40, ext, elen);
	for (size_t i = 0; i < l4; i++)
		h[40 + elen + i] = (uint8_t)(0xa0 + i);
	return 40 + plen;
}

static void v6_basic(void **state)
{
	uint8_t h[256];
	struct ip_info ip;
	size_t len = build6(h, 6, NULL, 0, 20);

	assert_int_equal(p6(h, len, &ip), 0);
	assert_int_equal(ip.version, 6);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.ttl, 255);
	assert_int_equal(ip.tos, 0xb9);
	assert_int_equal(ip.hlen, 40);
	assert_int_equal(ip.l4_len, 20);
	assert_memory_equal(ip.src.b, A6, 16);
	assert_memory_equal(ip.dst.b, B6, 16);
	assert_false(ip_addr_is_v4(&ip.src));
	/* Padding after the payload is ignored. */
	assert_int_equal(p6(h, len + 7, &ip), 0);
	assert_int_equal(ip.l4_len, 20);
	assert_int_equal(pany(h, len, &ip), 0);
	assert_int_equal(ip.version, 6);
	/* Another upper layer is reported, not rejected, at this layer. */
	h[6] = 17;
	assert_int_equal(p6(h, len, &ip), 0);
	assert_int_equal(ip.proto, 17);
}

/* Hop-by-hop (PadN, router alert), routing (type 2, segments left 0),
 * destination options (Pad1s, an unknown skippable option), then TCP. */
static const uint8_t CHAIN[] = {
	/* hop-by-hop: next 43, len 0; PadN(2), router alert(5) */
	43,
	0,
	1,
	0,
	5,
	2,
	0,
	0,
	/* routing: next 60, len 2 (24 bytes), type 2, segments left 0 */
	60,
	2,
	2,
	0,
	0,
	0,
	0,
	0, /* */
	0x20,
	0x01,
	0x0d,
	0xb8,
	0,
	0,
	0,
	0, /* */
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	9,
	/* destination options: next 6, len 1 (16 bytes) */
	6,
	1,
	0,
	0,
	0x1e,
	3,
	0xaa,
	0xbb, /* */
	0xcc,
	1,
	4,
	0,
	0,
	0,
	0,
	0,
};

static void v6_ext_chain(void **state)
{
	uint8_t h[256];
	struct ip_info ip;
	size_t len = build6(h, 0, CHAIN, sizeof(CHAIN), 21);

	assert_int_equal(p6(h, len, &ip), 0);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.hlen, 40 + sizeof(CHAIN));
	assert_int_equal(ip.l4_len, 21);
	assert_int_equal(h[ip.hlen], 0xa0);

	/* Every truncation of the datagram, and of its payload length. */
	for (size_t l = 0; l < len; l++) {
		int r = p6(h, l, &ip);

		assert_int_equal(r, -WIRE_IP6_SHORT);
	}
	for (size_t pl = 1; pl < sizeof(CHAIN); pl++) {
		h[4] = 0;
		h[5] = (uint8_t)pl;
		assert_int_equal(p6(h, len, &ip), -WIRE_IP6_EXTHDR);
	}
	/* No payload at all after the extension headers is fine here. */
	h[5] = sizeof(CHAIN);
	assert_int_equal(p6(h, len, &ip), 0);
	assert_int_equal(ip.l4_len, 0);
}

static void v6_ext_errors(void **state)
{
	uint8_t h[256], e[sizeof(CHAIN)];
	struct ip_info ip;
	size_t len;

#define CASE(first, stmt, want)                             \
	do {                                                \
		memcpy(e, CHAIN, sizeof(e));                \
		stmt;                                       \
		len = build6(h, (first), e, sizeof(e), 20); \
		assert_int_equal(p6(h, len, &ip), (want));  \
	} while (0)

	CASE(0, (void)0, 0);
	/* Next header values that end the walk. */
	CASE(44, (void)0, -WIRE_IP6_FRAG);
	CASE(0, e[0] = 44, -WIRE_IP6_FRAG);
	CASE(0, e[32] = 44, -WIRE_IP6_FRAG);
	CASE(50, (void)0, -WIRE_IP6_UNSUPP);
	CASE(51, (void)0, -WIRE_IP6_UNSUPP);
	CASE(59, (void)0, -WIRE_IP6_UNSUPP);
	CASE(135, (void)0, -WIRE_IP6_UNSUPP);
	CASE(0, e[32] = 59, -WIRE_IP6_UNSUPP);
	CASE(0, e[8] = 51, -WIRE_IP6_UNSUPP);
	/* Hop-by-hop anywhere but first (RFC 8200 4.1). */
	CASE(0, e[0] = 0, -WIRE_IP6_EXTHDR);
	/* A header longer than the payload. */
	CASE(0, e[9] = 200, -WIRE_IP6_EXTHDR);
	CASE(0, e[33] = 2, -WIRE_IP6_EXTHDR);
	/* Routing header we are not the final hop of (RFC 8200 4.4). */
	CASE(0, e[11] = 1, -WIRE_IP6_UNSUPP);
	/* An option overrunning its header; a missing option length. */
	CASE(0, e[5] = 3, -WIRE_IP6_EXTHDR);
	CASE(0, (e[2] = 0, e[3] = 0, e[4] = 0, e[5] = 0, e[6] = 0, e[7] = 5),
	     -WIRE_IP6_EXTHDR);
	/* Unknown options whose high bits demand a discard (RFC 8200 4.2). */
	CASE(0, e[36] = 0x5e, -WIRE_IP6_UNSUPP);
	CASE(0, e[36] = 0x9e, -WIRE_IP6_UNSUPP);
	CASE(0, e[36] = 0xde, -WIRE_IP6_UNSUPP);
	/* The Jumbo Payload option (0xc2) included. */
	CASE(0, (e[4] = 0xc2, e[5] = 0), -WIRE_IP6_UNSUPP);
#undef CASE

	/* A long chain of destination options is given up on. */
	{
		uint8_t ext[9 * 8];

		for (int i = 0; i < 9; i++) {
			memset(ext + 8 * i, 0, 8);
			ext[8 * i] = i == 8 ? 6 : 60;
		}
		len = build6(h, 60, ext, 8 * 8, 20);
		/* 8 headers is the limit: the 8th's next header is TCP. */
		ext[8 * 7] = 6;
		len = build6(h, 60, ext, 8 * 8, 20);
		assert_int_equal(p6(h, len, &ip), 0);
		assert_int_equal(ip.hlen, 40 + 64);
		ext[8 * 7] = 60;
		len = build6(h, 60, ext, 9 * 8, 20);
		assert_int_equal(p6(h, len, &ip), -WIRE_IP6_UNSUPP);
	}
}

static void v6_errors(void **state)
{
	uint8_t h[256];
	struct ip_info ip;
	size_t len = build6(h, 6, NULL, 0, 20);

	for (size_t l = 0; l < len; l++)
		assert_int_equal(p6(h, l, &ip), -WIRE_IP6_SHORT);
	h[0] = 0x4b;
	assert_int_equal(p6(h, len, &ip), -WIRE_IP6_VERSION);
	h[0] = 0x7b;
	assert_int_equal(p6(h, len, &ip), -WIRE_IP6_VERSION);
	h[0] = 0x6b;
	/* Payload length 0: a jumbogram (RFC 2675), unsupported. */
	h[4] = h[5] = 0;
	assert_int_equal(p6(h, len, &ip), -WIRE_IP6_SHORT);
	h[5] = 21;
	assert_int_equal(p6(h, len, &ip), -WIRE_IP6_SHORT);
	h[4] = 0xff;
	assert_int_equal(p6(h, len, &ip), -WIRE_IP6_SHORT);
}

static void dispatch(void **state)
{
	uint8_t h[64];
	struct ip_info ip;
	size_t len = build4(h, NULL, 0, 4);

	assert_int_equal(pany(h, 0, &ip), -WIRE_IP4_SHORT);
	h[0] = 0x55;
	assert_int_equal(pany(h, len, &ip), -WIRE_IP4_VERSION);
	h[0] = 0x05;
	assert_int_equal(pany(h, len, &ip), -WIRE_IP4_VERSION);
	/* The version nibble alone picks the parser. */
	h[0] = 0x65;
	assert_int_equal(pany(h, len, &ip), -WIRE_IP6_SHORT);
	assert_int_equal(pany(h, 1, &ip), -WIRE_IP6_SHORT);
	h[0] = 0x45;
	assert_int_equal(pany(h, 1, &ip), -WIRE_IP4_SHORT);
}

static void emit4(void **state)
{
	uint8_t h[64];
	struct ip_addr s, d;
	struct ip_info ip;

	ip_addr_from_v4(&s, A4);
	ip_addr_from_v4(&d, B4);
	assert_int_equal(ip4_emit(h, 19, &s, &d, 6, 64, 2, 0), -WIRE_NOSPACE);
	assert_int_equal(ip4_emit(h, 64, &s, &d, 6, 64, 2, 65516),
			 -WIRE_NOSPACE);
	assert_int_equal(ip4_emit(h, 20, &s, &d, 6, 64, 2, 65515), 20);
	assert_int_equal(h[2], 0xff);
	assert_int_equal(h[3], 0xff);
	memset(h, 0xcc, sizeof(h));
	assert_int_equal(ip4_emit(h, 20, &s, &d, 6, 64, IP_ECN_CE, 24), 20);
	assert_int_equal(h[0], 0x45);
	assert_int_equal(h[4], 0);
	assert_int_equal(h[5], 0);
	assert_int_equal(h[6], 0x40); /* DF */
	assert_int_equal(h[7], 0);
	assert_int_equal(ref_csum(h, 20), 0);
	assert_int_equal(p4(h, 44, true, &ip), 0);
	assert_int_equal(ip.version, 4);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.tos, IP_ECN_CE);
	assert_int_equal(ip.l4_len, 24);
	assert_memory_equal(&ip.src, &s, 16);
	assert_memory_equal(&ip.dst, &d, 16);
}

static void emit6(void **state)
{
	uint8_t h[64];
	struct ip_addr s, d;
	struct ip_info ip;

	memcpy(s.b, A6, 16);
	memcpy(d.b, B6, 16);
	assert_int_equal(ip6_emit(h, 39, &s, &d, 6, 64, 0, 0, 0),
			 -WIRE_NOSPACE);
	assert_int_equal(ip6_emit(h, 40, &s, &d, 6, 33, 0xb9, 0xfffabcde, 20),
			 40);
	/* Version 6, class 0xb9, label masked to 20 bits 0xabcde. */
	assert_int_equal(h[0], 0x6b);
	assert_int_equal(h[1], 0x9a);
	assert_int_equal(h[2], 0xbc);
	assert_int_equal(h[3], 0xde);
	assert_int_equal(p6(h, 60, &ip), 0);
	assert_int_equal(ip.version, 6);
	assert_int_equal(ip.proto, 6);
	assert_int_equal(ip.ttl, 33);
	assert_int_equal(ip.tos, 0xb9);
	assert_int_equal(ip.hlen, 40);
	assert_int_equal(ip.l4_len, 20);
	assert_memory_equal(&ip.src, &s, 16);
	assert_memory_equal(&ip.dst, &d, 16);
}

static void addr_helpers(void **state)
{
	struct ip_addr a, b, z = { { 0 } };
	char s[46];
	const uint8_t zero4[4] = { 0 };

	ip_addr_from_v4(&a, A4);
	assert_true(ip_addr_is_v4(&a));
	assert_false(ip_addr_is_any(&a));
	assert_string_equal(ip_addr_str(&a, s, sizeof(s)), "198.18.0.1");
	assert_true(ip_addr_is_any(&z));
	assert_false(ip_addr_is_v4(&z));
	assert_string_equal(ip_addr_str(&z, s, sizeof(s)), "::");
	ip_addr_from_v4(&a, zero4);
	assert_true(ip_addr_is_any(&a));
	assert_true(ip_addr_is_v4(&a));
	assert_string_equal(ip_addr_str(&a, s, sizeof(s)), "0.0.0.0");

	memcpy(b.b, A6, 16);
	assert_false(ip_addr_is_v4(&b));
	assert_false(ip_addr_is_any(&b));
	assert_string_equal(ip_addr_str(&b, s, sizeof(s)), "2001:db8::1");
	memcpy(b.b, B6, 16);
	assert_string_equal(ip_addr_str(&b, s, sizeof(s)),
			    "2001:db8::fe00:0:0:2");
	/* ::1 and ::ffff:0:1 prefixes that are not quite v4-mapped. */
	z.b[15] = 1;
	assert_false(ip_addr_is_v4(&z));
	assert_false(ip_addr_is_any(&z));
	assert_string_equal(ip_addr_str(&z, s, sizeof(s)), "::1");
	z.b[10] = 0xff;
	assert_false(ip_addr_is_v4(&z));
	/* The longest text fits in 46 bytes. */
	memset(b.b, 0xff, 16);
	b.b[10] = b.b[11] = 0;
	assert_string_equal(ip_addr_str(&b, s, sizeof(s)),
			    "ffff:ffff:ffff:ffff:ffff:0:ffff:ffff");
	/* Too small a buffer yields an empty string, not an overflow. */
	assert_string_equal(ip_addr_str(&b, s, 4), "");
}

static void pseudo(void **state)
{
	struct ip_addr s, d;

	ip_addr_from_v4(&s, A4);
	ip_addr_from_v4(&d, B4);
	assert_int_equal(csum_fold(ip_pseudo_csum(&s, &d, 6, 1234)),
			 csum_fold(csum_pseudo_ipv4(A4, B4, 6, 1234)));
	memcpy(s.b, A6, 16);
	memcpy(d.b, B6, 16);
	assert_int_equal(csum_fold(ip_pseudo_csum(&s, &d, 6, 70000)),
			 csum_fold(csum_pseudo_ipv6(A6, B6, 6, 70000)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4_basic),
		cmocka_unit_test(v4_options),
		cmocka_unit_test(v4_bad_options),
		cmocka_unit_test(v4_errors),
		cmocka_unit_test(v4_truncations),
		cmocka_unit_test(v6_basic),
		cmocka_unit_test(v6_ext_chain),
		cmocka_unit_test(v6_ext_errors),
		cmocka_unit_test(v6_errors),
		cmocka_unit_test(dispatch),
		cmocka_unit_test(emit4),
		cmocka_unit_test(emit6),
		cmocka_unit_test(addr_helpers),
		cmocka_unit_test(pseudo),
	};

	return cmocka_run_group_tests_name("wire_ip", tests, NULL, NULL);
}
