// SPDX-License-Identifier: BSD-2-Clause
/* SipHash-2-4, from the specification in section 2 of the SipHash paper. */
#include "stack/siphash.h"

static uint64_t rotl64(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

/* Little-endian load of @n <= 8 bytes, whatever the host order. */
static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

/* One SipRound (paper, section 2, "SipRound"). */
static void sipround(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

/* Compression: v3 ^= m, c = 2 SipRounds, v0 ^= m. */
static void compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data,
		   size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le(key, 8), k1 = load_le(key + 8, 8);
	/* Initialization: the constants spell "somepseudorandomlygeneratedbytes". */
	struct sip_state s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		.v1 = k1 ^ 0x646f72616e646f6dull,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t tail = len & 7;
	uint64_t last;

	for (const uint8_t *end = p + (len - tail); p < end; p += 8)
		compress(&s, load_le(p, 8));
	/* The last word: the 0..7 remaining bytes, then len mod 256 on top. */
	last = load_le(p, tail) | (uint64_t)(len & 0xff) << 56;
	compress(&s, last);
	/* Finalization: v2 ^= 0xff, d = 4 SipRounds. */
	s.v2 ^= 0xff;
	sipround(&s);
	sipround(&s);
	sipround(&s);
	sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
