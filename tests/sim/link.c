// SPDX-License-Identifier: BSD-2-Clause
/* The simulated link (see link.h). Frames sit in a min-heap by time. */
#include "link.h"

#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/ip.h"

static uint64_t next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double link_rand(struct link *l)
{
	return (double)(next64(&l->rng) >> 11) * (1.0 / 9007199254740992.0);
}

int link_init(struct link *l, const struct link_cfg *cfg, uint64_t seed)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->rng = seed;
	l->cap = 1024;
	l->heap = malloc(l->cap * sizeof(*l->heap));
	return l->heap ? 0 : -1;
}

void link_free(struct link *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		free(l->heap[i]);
	free(l->heap);
	l->heap = NULL;
}

static bool before(const struct link_frame *a, const struct link_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void push(struct link *l, struct link_frame *f)
{
	uint32_t i;

	if (l->n == l->cap) {
		l->cap *= 2;
		l->heap = realloc(l->heap, l->cap * sizeof(*l->heap));
		if (!l->heap)
			abort();
	}
	i = l->n++;
	while (i && before(f, l->heap[(i - 1) / 2])) {
		l->heap[i] = l->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	l->heap[i] = f;
}

static void enqueue(struct link *l, uint64_t at, const uint8_t *pkt,
		    uint32_t len, bool corrupt)
{
	struct link_frame *f = malloc(sizeof(*f) + len);

	if (!f)
		abort();
	f->at = at;
	f->order = l->order++;
	f->len = len;
	memcpy(f->data, pkt, len);
	if (corrupt && len) {
		uint32_t bit = (uint32_t)(next64(&l->rng) % (len * 8ull));

		f->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		l->st.corrupted++;
	}
	push(l, f);
}

/* The packet's ECN codepoint (RFC 3168 5): IPv4 TOS, IPv6 traffic class. */
static int ecn_of(const uint8_t *pkt, uint32_t len)
{
	if (len < 2)
		return -1;
	if (pkt[0] >> 4 == 4)
		return pkt[1] & 3;
	if (pkt[0] >> 4 == 6)
		return (pkt[1] >> 4) & 3;
	return -1;
}

/* Set CE in place; IPv4's header checksum follows (RFC 1624). */
static void mark_ce(uint8_t *pkt)
{
	if (pkt[0] >> 4 == 4) {
		uint16_t old = (uint16_t)(pkt[0] << 8 | pkt[1]), nw, c;

		pkt[1] |= IP_ECN_CE;
		nw = (uint16_t)(pkt[0] << 8 | pkt[1]);
		c = (uint16_t)(pkt[10] << 8 | pkt[11]);
		c = csum_replace2(c, old, nw);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
	} else {
		pkt[1] |= IP_ECN_CE << 4;
	}
}

void link_send(struct link *l, uint64_t now, const uint8_t *pkt, uint32_t len)
{
	uint8_t copy[70000];
	uint64_t start, at;

	l->st.sent++;
	l->st.bytes += len;
	if (l->cfg.rate_bps) {
		start = l->busy_until > now ? l->busy_until : now;
		/* Drop-tail: the queue holds what waits to be serialized. */
		if (l->cfg.queue_bytes &&
		    (start - now) * l->cfg.rate_bps / 8000000 >
			    l->cfg.queue_bytes) {
			l->st.dropped_queue++;
			return;
		}
		/* A marking queue (RFC 3168 5, 7): past the threshold, CE
		 * for ECT packets, a drop for the others. */
		if (l->cfg.mark_bytes &&
		    (start - now) * l->cfg.rate_bps / 8000000 >
			    l->cfg.mark_bytes) {
			int ecn = ecn_of(pkt, len);

			if (ecn <= 0) {
				l->st.dropped_aqm++;
				return;
			}
			if (ecn != IP_ECN_CE && len <= sizeof(copy)) {
				memcpy(copy, pkt, len);
				mark_ce(copy);
				pkt = copy;
				l->st.marked++;
			}
		}
		l->busy_until =
			start + (uint64_t)len * 8000000 / l->cfg.rate_bps;
		at = l->busy_until;
	} else {
		at = now;
	}
	if (link_rand(l) < l->cfg.loss) {
		l->st.lost++;
		return;
	}
	at += l->cfg.delay_us;
	if (l->cfg.jitter_us)
		at += next64(&l->rng) % (l->cfg.jitter_us + 1);
	if (link_rand(l) < l->cfg.reorder) {
		/* Held back long enough for later packets to overtake it. */
		at += l->cfg.delay_us / 2 + 1000 +
		      next64(&l->rng) % (l->cfg.delay_us + 1000);
		l->st.reordered++;
	}
	enqueue(l, at, pkt, len, link_rand(l) < l->cfg.corrupt);
	if (link_rand(l) < l->cfg.dup) {
		l->st.duplicated++;
		enqueue(l, at + 1 + next64(&l->rng) % 1000, pkt, len,
			link_rand(l) < l->cfg.corrupt);
	}
}

uint64_t link_next(const struct link *l)
{
	return l->n ? l->heap[0]->at : UINT64_MAX;
}

struct link_frame *link_pop(struct link *l, uint64_t now)
{
	struct link_frame *top, *last;
	uint32_t i = 0;

	if (!l->n || l->heap[0]->at > now)
		return NULL;
	top = l->heap[0];
	last = l->heap[--l->n];
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= l->n)
			break;
		if (c + 1 < l->n && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], last))
			break;
		l->heap[i] = l->heap[c];
		i = c;
	}
	if (l->n)
		l->heap[i] = last;
	l->st.delivered++;
	return top;
}
