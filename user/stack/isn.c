// SPDX-License-Identifier: BSD-2-Clause
/* Initial sequence numbers: RFC 6528, and illumos's weaker tcp_strong_iss. */
#include "stack/isn.h"

#include <assert.h>
#include <string.h>

#include "stack/siphash.h"
#include "wire/ip.h"

/* splitmix64 (Steele, Lea and Flood, 2014): one 64-bit word per call. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void isn_init(struct isn_gen *g, enum isn_mode mode, const uint8_t key[16],
	      uint64_t seed)
{
	assert(mode == ISN_SEQUENTIAL || mode == ISN_RANDOM_INCR ||
	       mode == ISN_RFC6528);
	memset(g, 0, sizeof(*g));
	if (mode != ISN_SEQUENTIAL && mode != ISN_RANDOM_INCR)
		mode = ISN_RFC6528;
	assert(key || mode != ISN_RFC6528);
	g->mode = mode;
	if (key)
		memcpy(g->key, key, sizeof(g->key));
	g->rng = seed;
	/* Mode 1 starts from a random point; mode 0 from the bare clock. */
	if (mode == ISN_RANDOM_INCR)
		g->last = (uint32_t)(splitmix64(&g->rng) >> 32);
}

/* RFC 6528 3: F(localip, localport, remoteip, remoteport, secretkey). */
static uint32_t isn_f(const struct isn_gen *g, const struct ip_addr *laddr,
		      uint16_t lport, const struct ip_addr *faddr,
		      uint16_t fport)
{
	uint8_t m[2 * sizeof(struct ip_addr) + 4];
	uint8_t *p = m;

	memcpy(p, laddr->b, sizeof(laddr->b));
	p += sizeof(laddr->b);
	*p++ = (uint8_t)(lport >> 8);
	*p++ = (uint8_t)lport;
	memcpy(p, faddr->b, sizeof(faddr->b));
	p += sizeof(faddr->b);
	*p++ = (uint8_t)(fport >> 8);
	*p++ = (uint8_t)fport;
	assert(p == m + sizeof(m));
	return (uint32_t)siphash24(g->key, m, sizeof(m));
}

uint32_t isn_next(struct isn_gen *g, const struct ip_addr *laddr,
		  uint16_t lport, const struct ip_addr *faddr, uint16_t fport,
		  uint64_t now_us)
{
	/* RFC 6528 3 / RFC 9293 3.4.1: M, a 4 us timer, modulo 2^32. */
	uint32_t m = (uint32_t)(now_us / 4);

	switch (g->mode) {
	case ISN_SEQUENTIAL:
		g->last += ISN_INCR / 2;
		return m + g->last;
	case ISN_RANDOM_INCR:
		g->last += 1 + (uint32_t)(splitmix64(&g->rng) % ISN_INCR);
		return m + g->last;
	case ISN_RFC6528:
	default:
		/* ISN = M + F(localip, localport, remoteip, remoteport, key) */
		return m + isn_f(g, laddr, lport, faddr, fport);
	}
}
