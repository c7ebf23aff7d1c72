// SPDX-License-Identifier: BSD-2-Clause
/* Binary min-heap of timer deadlines with back-pointers (see timer_heap.h). */
#include "stack/timer_heap.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

/* idx is slot + 1 in a uint32_t, so the last usable slot is UINT32_MAX - 2. */
#define TH_MAX_ENTRIES (UINT32_MAX - 1)

static void place(struct timer_heap *h, uint32_t slot, struct th_entry *e)
{
	h->v[slot] = e;
	e->idx = slot + 1;
}

static void sift_up(struct timer_heap *h, uint32_t slot)
{
	struct th_entry *e = h->v[slot];

	while (slot > 0) {
		uint32_t parent = (slot - 1) / 2;

		if (h->v[parent]->deadline <= e->deadline)
			break;
		place(h, slot, h->v[parent]);
		slot = parent;
	}
	place(h, slot, e);
}

static void sift_down(struct timer_heap *h, uint32_t slot)
{
	struct th_entry *e = h->v[slot];

	for (;;) {
		uint64_t child = 2 * (uint64_t)slot + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n &&
		    h->v[child + 1]->deadline < h->v[child]->deadline)
			child++;
		if (e->deadline <= h->v[child]->deadline)
			break;
		place(h, slot, h->v[child]);
		slot = (uint32_t)child;
	}
	place(h, slot, e);
}

/* Restore the order around @slot after its entry's deadline changed. */
static void fix(struct timer_heap *h, uint32_t slot)
{
	if (slot > 0 && h->v[slot]->deadline < h->v[(slot - 1) / 2]->deadline)
		sift_up(h, slot);
	else
		sift_down(h, slot);
}

static int grow(struct timer_heap *h)
{
	uint64_t ncap = h->cap ? 2 * (uint64_t)h->cap : 16;
	struct th_entry **nv;

	if (h->cap >= TH_MAX_ENTRIES)
		return -ENOMEM;
	if (ncap > TH_MAX_ENTRIES)
		ncap = TH_MAX_ENTRIES;
	if (ncap > SIZE_MAX / sizeof(*nv))
		return -ENOMEM;
	nv = realloc(h->v, (size_t)ncap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	h->v = nv;
	h->cap = (uint32_t)ncap;
	return 0;
}

int th_init(struct timer_heap *h, uint32_t initial_cap)
{
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
	if (initial_cap == 0)
		return 0;
	if (initial_cap > TH_MAX_ENTRIES)
		initial_cap = TH_MAX_ENTRIES;
	h->v = calloc(initial_cap, sizeof(*h->v));
	if (!h->v)
		return -ENOMEM;
	h->cap = initial_cap;
	return 0;
}

void th_free(struct timer_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
	h->cap = 0;
}

int th_schedule(struct timer_heap *h, struct th_entry *e, uint64_t deadline)
{
	if (th_queued(e)) {
		assert(e->idx <= h->n && h->v[e->idx - 1] == e);
		e->deadline = deadline;
		fix(h, e->idx - 1);
		return 0;
	}
	if (h->n == h->cap) {
		int err = grow(h);

		if (err)
			return err;
	}
	e->deadline = deadline;
	place(h, h->n++, e);
	sift_up(h, h->n - 1);
	return 0;
}

void th_cancel(struct timer_heap *h, struct th_entry *e)
{
	uint32_t slot, last;

	if (!th_queued(e))
		return;
	slot = e->idx - 1;
	assert(slot < h->n && h->v[slot] == e);
	last = --h->n;
	e->idx = 0;
	if (slot != last) {
		/* Move the last entry into the hole; it may go either way. */
		place(h, slot, h->v[last]);
		fix(h, slot);
	}
	h->v[last] = NULL;
}

uint64_t th_next(const struct timer_heap *h)
{
	return h->n ? h->v[0]->deadline : UINT64_MAX;
}

struct th_entry *th_pop_expired(struct timer_heap *h, uint64_t now)
{
	struct th_entry *e;

	if (h->n == 0 || h->v[0]->deadline > now)
		return NULL;
	e = h->v[0];
	th_cancel(h, e);
	return e;
}

bool th_valid(const struct timer_heap *h)
{
	if (h->n > h->cap || (h->cap && !h->v))
		return false;
	for (uint32_t i = 0; i < h->n; i++) {
		const struct th_entry *e = h->v[i];

		if (!e || e->idx != i + 1)
			return false;
		if (i > 0 && h->v[(i - 1) / 2]->deadline > e->deadline)
			return false;
	}
	return true;
}
