// SPDX-License-Identifier: BSD-2-Clause
/* The UMEM frame allocator: see umem.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/umem.h"

/* Marks a frame seen while umem_check walks the free stack. */
#define PLACE_MARK 0x80

static const char *const place_names[UMEM_NPLACES] = {
	[UMEM_FREE] = "free", [UMEM_FILL] = "fill", [UMEM_RX] = "rx",
	[UMEM_TX] = "tx",     [UMEM_TXQ] = "txq",
};

const char *umem_place_name(enum umem_place p)
{
	return (unsigned)p < UMEM_NPLACES ? place_names[p] : "?";
}

int umem_init(struct umem *u, uint32_t nframes, uint32_t frame_size)
{
	uint32_t i;

	memset(u, 0, sizeof(*u));
	if (!nframes || nframes > UMEM_NFRAMES_MAX ||
	    frame_size < UMEM_FRAME_MIN || frame_size > UMEM_FRAME_MAX ||
	    (frame_size & (frame_size - 1)))
		return -EINVAL;
	u->stack = calloc(nframes, sizeof(*u->stack));
	u->place = calloc(nframes, sizeof(*u->place));
	if (!u->stack || !u->place) {
		umem_fini(u);
		return -ENOMEM;
	}
	u->nframes = nframes;
	u->frame_size = frame_size;
	u->frame_shift = __builtin_ctz(frame_size);
	/* Lowest addresses on top: the first allocations are the first
	 * frames, which is what a reader of a dump expects. */
	for (i = 0; i < nframes; i++)
		u->stack[i] = (uint64_t)(nframes - 1 - i) << u->frame_shift;
	u->nfree = nframes;
	u->count[UMEM_FREE] = nframes;
	return 0;
}

void umem_fini(struct umem *u)
{
	free(u->stack);
	free(u->place);
	memset(u, 0, sizeof(*u));
}

unsigned umem_alloc(struct umem *u, uint64_t *addrs, unsigned n,
		    enum umem_place to)
{
	unsigned i, got = n < u->nfree ? n : u->nfree;
	uint64_t a;

	if ((unsigned)to >= UMEM_NPLACES || to == UMEM_FREE)
		return 0;
	if (got < n)
		u->alloc_short++;
	for (i = 0; i < got; i++) {
		a = u->stack[--u->nfree];
		u->place[a >> u->frame_shift] = to;
		addrs[i] = a;
	}
	u->count[UMEM_FREE] -= got;
	u->count[to] += got;
	u->moves += got;
	return got;
}

unsigned umem_move(struct umem *u, const uint64_t *addrs, unsigned n,
		   unsigned from, enum umem_place to)
{
	unsigned i, bad = 0;
	uint64_t idx;
	uint8_t p;

	if ((unsigned)to >= UMEM_NPLACES) {
		u->bad_moves += n;
		return n;
	}
	/* Frames leave the free stack only through umem_alloc. */
	from &= ~UMEM_P(UMEM_FREE);
	for (i = 0; i < n; i++) {
		idx = addrs[i] >> u->frame_shift;
		if (idx >= u->nframes) {
			bad++;
			continue;
		}
		p = u->place[idx];
		if (!(from & UMEM_P(p))) {
			bad++;
			continue;
		}
		u->count[p]--;
		u->count[to]++;
		u->place[idx] = to;
		/* The stack has room for every frame: no overflow. */
		if (to == UMEM_FREE)
			u->stack[u->nfree++] = idx << u->frame_shift;
	}
	u->moves += n - bad;
	u->bad_moves += bad;
	return bad;
}

unsigned umem_free(struct umem *u, const uint64_t *addrs, unsigned n,
		   enum umem_place from)
{
	if (from == UMEM_FREE) {
		/* Freeing a free frame is always a double free. */
		u->bad_moves += n;
		return n;
	}
	return umem_move(u, addrs, n, UMEM_P(from), UMEM_FREE);
}

int umem_place_of(const struct umem *u, uint64_t addr)
{
	uint64_t idx = addr >> u->frame_shift;

	if (idx >= u->nframes)
		return -EINVAL;
	return u->place[idx];
}

int umem_check(const struct umem *u, const char **why)
{
	uint32_t seen[UMEM_NPLACES] = { 0 };
	const char *msg = NULL;
	uint32_t i, total = 0;
	uint64_t a, idx;

	for (i = 0; i < UMEM_NPLACES; i++)
		total += u->count[i];
	if (total != u->nframes) {
		msg = "place counts do not sum to nframes";
		goto out;
	}
	if (u->nfree != u->count[UMEM_FREE]) {
		msg = "free stack depth differs from the free count";
		goto out;
	}
	for (i = 0; i < u->nframes; i++) {
		if (u->place[i] >= UMEM_NPLACES) {
			msg = "frame in an unknown place";
			goto out;
		}
		seen[u->place[i]]++;
	}
	for (i = 0; i < UMEM_NPLACES; i++) {
		if (seen[i] != u->count[i]) {
			msg = "a place count differs from its frames";
			goto out;
		}
	}
	/* Each stack entry: a frame base, a free frame, seen once. */
	for (i = 0; i < u->nfree; i++) {
		a = u->stack[i];
		idx = a >> u->frame_shift;
		if (a & (u->frame_size - 1) || idx >= u->nframes) {
			msg = "free stack holds a bad address";
			break;
		}
		if (u->place[idx] != UMEM_FREE) {
			msg = u->place[idx] == (UMEM_FREE | PLACE_MARK) ?
				      "frame twice on the free stack" :
				      "free stack holds a frame in use";
			break;
		}
		u->place[idx] |= PLACE_MARK;
	}
	for (i = 0; i < u->nframes; i++)
		u->place[i] &= ~PLACE_MARK;
out:
	if (why)
		*why = msg;
	return msg ? -EUCLEAN : 0;
}
