/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connections inside the daemon: segments the engine sends to one of the
 * host's own addresses (route type RTN_LOCAL), to 127.0.0.0/8 or to ::1
 * come back into the engine instead of going out. The engine must not be
 * re-entered from its output callback, so they wait in a queue:
 *
 *	on_output: if (lo_is_local(lo, nl, &seg->dst)) lo_queue(lo, seg, now)
 *	later, outside any engine call: lo_drain(lo, eng, now)
 *
 * Fixed memory (LO_SLOTS segments of at most LO_SEG_BYTES); when full, a
 * segment is dropped and TCP sends it again. Linux's loopback is not used.
 */
#ifndef XTCP_DAEMON_LOOPBACK_H
#define XTCP_DAEMON_LOOPBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/netlink.h"
#include "stack/engine.h"

#define LO_SLOTS 1024
#define LO_SEG_BYTES 2048

struct lo_stats {
	uint64_t queued, delivered, dropped, bad;
};

struct loopback {
	uint8_t (*seg)[LO_SEG_BYTES];
	uint16_t *len;
	uint32_t head, tail; /* free-running */
	struct lo_stats st;
};

int lo_init(struct loopback *lo);
void lo_fini(struct loopback *lo);
/* Is @dst served inside the daemon? (@nl may be NULL: loopback only.) */
bool lo_is_local(struct nl *nl, const struct ip_addr *dst);
void lo_queue(struct loopback *lo, const struct seg_out *so);
/* Feed queued segments to the engine (at most @max); returns how many. */
unsigned lo_drain(struct loopback *lo, struct engine *eng, uint64_t now,
		  unsigned max);
static inline bool lo_pending(const struct loopback *lo)
{
	return lo->head != lo->tail;
}

#endif
