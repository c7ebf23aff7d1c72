/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A binary min-heap of deadlines: the next timer of every connection in
 * one place, so the daemon sleeps exactly until th_next() and an idle
 * connection costs nothing. Insert, move, cancel and pop are O(log n).
 *
 * Entries are embedded in the caller's structs and found again with
 * container_of; the heap only holds pointers to them. Each entry records
 * its own slot (idx = slot + 1, 0 when not queued), which is what makes
 * cancel and reschedule O(log n) without a search.
 *
 * Deadlines are absolute uint64_t microseconds (the engine's clock); ties
 * come out in an unspecified but deterministic order.
 */
#ifndef XTCP_STACK_TIMER_HEAP_H
#define XTCP_STACK_TIMER_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct th_entry {
	uint64_t deadline;
	uint32_t idx; /* 0 = not queued; heap slot + 1 */
};

struct timer_heap {
	struct th_entry **v;
	uint32_t n, cap;
};

/* An empty heap with room for @initial_cap entries (0 is allowed). -ENOMEM. */
int th_init(struct timer_heap *h, uint32_t initial_cap);

/* Frees the array; the entries are the caller's and are left marked queued. */
void th_free(struct timer_heap *h);

/*
 * Queue @e at @deadline, or move it there if it is already queued. -ENOMEM
 * only when the array must grow and cannot; @e is then left not queued.
 */
int th_schedule(struct timer_heap *h, struct th_entry *e, uint64_t deadline);

/* Remove @e; a no-op if it is not queued. */
void th_cancel(struct timer_heap *h, struct th_entry *e);

static inline bool th_queued(const struct th_entry *e)
{
	return e->idx != 0;
}

/* The earliest deadline, UINT64_MAX when empty. */
uint64_t th_next(const struct timer_heap *h);

/* Remove and return one entry with deadline <= @now (the earliest), or NULL. */
struct th_entry *th_pop_expired(struct timer_heap *h, uint64_t now);

/*
 * Check every invariant: the heap order, each entry's idx pointing back at
 * its slot, n <= cap. For tests and debug builds; O(n).
 */
bool th_valid(const struct timer_heap *h);

#endif
