/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Urgent data on libxtcp's side of a receive ring: where a read stops and
 * what it skips, from the slot's urg_mark and urg_skip words (xtcp/ipc.h).
 * Pure and header-only: libxtcp uses it on the live slot, the unit tests
 * (tests/unit/test_urg_ring.c) against the engine.
 *
 * The semantics are Linux's (tcp(7), tcp_recvmsg) and tcp(4P)'s: "the
 * system never returns data across the urgent mark in a single read(2)
 * call"; without SO_OOBINLINE the urgent byte is not part of the stream (a
 * read at the mark skips it; MSG_OOB returns it), with it the byte is read
 * in place. Ring positions are free-running 32-bit counters.
 */
#ifndef XTCP_LIB_URG_READ_H
#define XTCP_LIB_URG_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "xtcp/ipc.h"

/* Bytes at ring counter @pos that are dropped from the stream. */
static inline uint32_t xurg_lead(uint64_t skip, uint32_t pos)
{
	uint32_t start = (uint32_t)skip, len = (uint32_t)(skip >> 32);
	uint32_t in = pos - start;

	return in < len ? len - in : 0;
}

/* A read at ring counter @pos with @avail bytes there: skip @lead bytes,
 * then take at most @n; @at_mark: the next stream byte is the urgent one. */
struct xurg_plan {
	uint32_t lead, n;
	bool at_mark;
};

static inline void xurg_plan(uint64_t mark, uint64_t skip, uint32_t pos,
			     uint32_t avail, struct xurg_plan *p)
{
	uint32_t fl = (uint32_t)(mark >> 32), at = (uint32_t)mark;
	uint32_t rd, off;

	p->lead = xurg_lead(skip, pos);
	if (p->lead > avail)
		p->lead = avail;
	p->n = avail - p->lead;
	rd = pos + p->lead;
	p->at_mark = (fl & XTCP_UM_MARK) && at == rd;
	if (!(fl & XTCP_UM_MARK))
		return;
	off = at - rd; /* a mark behind the reader is far ahead: ignored */
	if (off >= p->n)
		return;
	if (off) {
		p->n = off; /* stop before the mark */
	} else if (!(fl & XTCP_UM_INLINE)) {
		p->lead++; /* at the mark, out of band: not in the stream */
		p->n--;
	}
}

/* FIONREAD: the stream bytes in the ring (out-of-band ones left out). */
static inline uint32_t xurg_readable(uint64_t mark, uint64_t skip,
				     uint32_t tail, uint32_t avail)
{
	uint32_t fl = (uint32_t)(mark >> 32), at = (uint32_t)mark;
	uint32_t lead = xurg_lead(skip, tail), n;

	if (lead > avail)
		lead = avail;
	n = avail - lead;
	if ((fl & XTCP_UM_MARK) && !(fl & XTCP_UM_INLINE) &&
	    at - (tail + lead) < n)
		n--;
	return n;
}

/* SIOCATMARK: the next byte read is at the mark (Linux: even before the
 * urgent byte arrived). */
static inline bool xurg_atmark(uint64_t mark, uint64_t skip, uint32_t tail)
{
	return ((uint32_t)(mark >> 32) & XTCP_UM_MARK) &&
	       (uint32_t)mark == tail + xurg_lead(skip, tail);
}

/* POLLPRI (select's exceptional condition): the urgent byte arrived, was
 * not read out of band, and the reader has not passed it. */
static inline bool xurg_pending(uint64_t mark, uint64_t skip, uint32_t tail)
{
	uint32_t fl = (uint32_t)(mark >> 32);
	uint32_t rd = tail + xurg_lead(skip, tail);

	return (fl & XTCP_UM_MARK) && (fl & XTCP_UM_ARRIVED) &&
	       !(fl & XTCP_UM_READ) && (int32_t)((uint32_t)mark - rd) >= 0;
}

#endif
