// SPDX-License-Identifier: BSD-2-Clause
/* The Internet checksum against RFC 1071's vectors and a bytewise reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "wire/checksum.h"

/* The textbook definition: big-endian 16-bit words, summed one at a time. */
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

/* What csum_fold returns, read as the big-endian value on the wire. */
static uint16_t wire16(uint16_t stored)
{
	uint8_t b[2];

	memcpy(b, &stored, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void rfc1071_example(void **state)
{
	/* RFC 1071 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	assert_int_equal(wire16(csum_fold(csum_partial(b, sizeof(b), 0))),
			 (uint16_t)~0xddf2);
}

static void ipv4_header_vector(void **state)
{
	/* A real IPv4 header whose checksum field holds b861. */
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
			0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c = csum_fold(csum_partial(h, sizeof(h), 0));

	assert_int_equal(wire16(c), 0xb861);
	memcpy(h + 10, &c, 2);
	/* A header with a correct checksum sums to all ones: folds to 0. */
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0);
}

static void all_lengths_and_alignments(void **state)
{
	uint8_t buf[600];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= 300; len++)
			assert_int_equal(wire16(csum_fold(csum_partial(
						 buf + off, len, 0))),
					 ref_csum(buf + off, len));
	/* All-0xff data: the sum must wrap many times without losing carries. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(wire16(csum_fold(csum_partial(buf, 599, 0))),
			 ref_csum(buf, 599));
}

static void chained_even_chunks(void **state)
{
	uint8_t buf[257];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	uint32_t s = csum_partial(buf, 100, 0);
	s = csum_partial(buf + 100, 56, s);
	s = csum_partial(buf + 156, 101, s);
	assert_int_equal(wire16(csum_fold(s)), ref_csum(buf, sizeof(buf)));
}

/* Pseudo-header + segment, laid out by hand, summed by the reference. */
static void pseudo_ipv4(void **state)
{
	const uint8_t src[4] = { 198, 18, 0, 1 }, dst[4] = { 198, 18, 0, 2 };
	uint8_t seg[21];
	uint8_t ph[12 + sizeof(seg)];

	for (size_t i = 0; i < sizeof(seg); i++)
		seg[i] = (uint8_t)(0xa5 ^ i);
	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[11] = sizeof(seg);
	memcpy(ph + 12, seg, sizeof(seg));

	uint32_t s = csum_pseudo_ipv4(src, dst, 6, sizeof(seg));
	assert_int_equal(wire16(csum_fold(csum_partial(seg, sizeof(seg), s))),
			 ref_csum(ph, sizeof(ph)));
}

static void pseudo_ipv6(void **state)
{
	uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8 },
		dst[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t seg[33];
	uint8_t ph[40 + sizeof(seg)];

	src[15] = 1;
	dst[15] = 2;
	dst[8] = 0xfe;
	for (size_t i = 0; i < sizeof(seg); i++)
		seg[i] = (uint8_t)(0x3c + 11 * i);
	memset(ph, 0, 40);
	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[35] = sizeof(seg); /* upper-layer length, 32 bits */
	ph[39] = 6; /* next header */
	memcpy(ph + 40, seg, sizeof(seg));

	uint32_t s = csum_pseudo_ipv6(src, dst, 6, sizeof(seg));
	assert_int_equal(wire16(csum_fold(csum_partial(seg, sizeof(seg), s))),
			 ref_csum(ph, sizeof(ph)));

	/* A length above 65535 (jumbogram) carries into the upper word. */
	s = csum_pseudo_ipv6(src, dst, 6, 0x12345);
	memset(ph, 0, 40);
	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[33] = 0x01;
	ph[34] = 0x23;
	ph[35] = 0x45;
	ph[39] = 6;
	assert_int_equal(wire16(csum_fold(s)), ref_csum(ph, 40));
}

static void incremental_update(void **state)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			  0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
			  0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c = csum_fold(csum_partial(h, sizeof(h), 0)), old, nw;

	memcpy(h + 10, &c, 2);
	memcpy(&old, h + 8, 2);
	h[8] = 0x3f; /* TTL decremented */
	memcpy(&nw, h + 8, 2);
	c = csum_replace2(c, old, nw);
	memcpy(h + 10, &c, 2);
	assert_int_equal(csum_fold(csum_partial(h, sizeof(h), 0)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc1071_example),
		cmocka_unit_test(ipv4_header_vector),
		cmocka_unit_test(all_lengths_and_alignments),
		cmocka_unit_test(chained_even_chunks),
		cmocka_unit_test(pseudo_ipv4),
		cmocka_unit_test(pseudo_ipv6),
		cmocka_unit_test(incremental_update),
	};

	return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
