// SPDX-License-Identifier: BSD-2-Clause
/* The Internet checksum: RFC 1071, RFC 1624. */
#include "wire/checksum.h"

#include <string.h>

static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint32_t csum_add(uint32_t a, uint32_t b)
{
	return fold64((uint64_t)a + b);
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	/*
	 * Native 32-bit words into a 64-bit accumulator: no carry is lost for
	 * any length below 2^32 words (RFC 1071 4.1 "deferred carries").
	 */
	while (len >= 32) {
		uint32_t w[8];

		memcpy(w, p, sizeof(w));
		s += (uint64_t)w[0] + w[1] + w[2] + w[3];
		s += (uint64_t)w[4] + w[5] + w[6] + w[7];
		p += 32;
		len -= 32;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* A trailing byte is padded with a zero byte after it. */
		uint16_t w = 0;

		memcpy(&w, p, 1);
		s += w;
	}
	return fold64(s);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t be16_native(uint16_t host)
{
	uint8_t b[2] = { (uint8_t)(host >> 8), (uint8_t)host };
	uint16_t w;

	memcpy(&w, b, 2);
	return w;
}

uint32_t csum_pseudo_ipv4(const void *saddr, const void *daddr, uint8_t proto,
			  uint16_t len)
{
	uint32_t s = csum_partial(saddr, 4, 0);

	s = csum_partial(daddr, 4, s);
	return csum_add(s, (uint32_t)be16_native(proto) + be16_native(len));
}

uint32_t csum_pseudo_ipv6(const void *saddr, const void *daddr, uint8_t proto,
			  uint32_t len)
{
	uint32_t s = csum_partial(saddr, 16, 0);

	s = csum_partial(daddr, 16, s);
	s = csum_add(s, be16_native((uint16_t)(len >> 16)));
	s = csum_add(s, be16_native((uint16_t)len));
	return csum_add(s, be16_native(proto));
}

uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new_val)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~check;

	s += (uint16_t)~old;
	s += new_val;
	return csum_fold(s);
}
