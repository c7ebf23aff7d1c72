/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Out-of-order data above rcv_nxt: the sequence ranges received but not
 * yet deliverable (RFC 9293 3.10.7.4: segments "not starting at RCV.NXT"
 * are held for later processing), and the SACK blocks that report them
 * (RFC 2018). The bytes themselves sit in the receive ring at their
 * offsets; this is only the bookkeeping.
 *
 * Ranges are [start, end) in sequence space, kept sorted, disjoint and
 * non-adjacent, compared modulo 2^32 (stack/seq.h), so they may straddle
 * the wrap. All of them lie within one receive window, less than 2^31
 * wide, which is what makes the comparisons consistent.
 */
#ifndef XTCP_STACK_OOO_H
#define XTCP_STACK_OOO_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/tcp.h"

#define OOO_MAX 32

struct ooo_range {
	uint32_t start, end; /* sequence numbers, [start, end) */
};

struct ooo {
	struct ooo_range r[OOO_MAX];
	uint8_t n;
	/*
	 * The block most recently added to or merged (RFC 2018 4: the
	 * first SACK block reports the one holding the latest segment).
	 * Meaningless once that block has been delivered.
	 */
	uint32_t last_start, last_end;
};

void ooo_init(struct ooo *o);

/*
 * Record [@start, @end), merging it with every range it overlaps or
 * touches. 0 on success (also for an empty range, which changes nothing),
 * -EINVAL if end is before start, -ENOSPC if it is disjoint from all and
 * OOO_MAX ranges are held already (nothing changes; the caller drops the
 * segment).
 */
int ooo_add(struct ooo *o, uint32_t start, uint32_t end);

/*
 * rcv_nxt has reached @rcv_nxt: drop the ranges wholly below it; if the
 * first remaining range starts at or before it, remove that range too and
 * return its end, the new RCV.NXT. Otherwise return @rcv_nxt.
 */
uint32_t ooo_advance(struct ooo *o, uint32_t rcv_nxt);

bool ooo_empty(const struct ooo *o);

/*
 * Fill up to @max SACK blocks (RFC 2018 4): first the block holding the
 * most recently received segment, if it is still queued, then the others
 * in sequence order. Returns the count.
 */
int ooo_sack_blocks(const struct ooo *o, struct tcp_sack_block *out, int max);

/*
 * The invariant every operation keeps: n <= OOO_MAX, each range non-empty,
 * sorted, and separated from the next by a gap. For tests and asserts.
 */
bool ooo_valid(const struct ooo *o);

#endif
