// SPDX-License-Identifier: BSD-2-Clause
/* Segments to the stack's own addresses, back into the engine. */
#include "daemon/loopback.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bind.h"
#include "stack/seg_emit.h"
#include "wire/packet.h"

int lo_init(struct loopback *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->seg = calloc(LO_SLOTS, sizeof(*lo->seg));
	lo->len = calloc(LO_SLOTS, sizeof(*lo->len));
	if (!lo->seg || !lo->len) {
		lo_fini(lo);
		return -ENOMEM;
	}
	return 0;
}

void lo_fini(struct loopback *lo)
{
	free(lo->seg);
	free(lo->len);
	memset(lo, 0, sizeof(*lo));
}

bool lo_is_local(struct nl *nl, const struct ip_addr *dst)
{
	struct nl_route rt;

	if (bind_is_loopback(dst))
		return true;
	return nl && !nl_route(nl, dst, &rt) && rt.type == RTN_LOCAL;
}

void lo_queue(struct loopback *lo, const struct seg_out *so)
{
	uint32_t i = lo->head % LO_SLOTS;
	int n;

	if (!lo->seg || lo->head - lo->tail >= LO_SLOTS) {
		lo->st.dropped++;
		return;
	}
	n = seg_emit_ip(so, lo->seg[i], LO_SEG_BYTES);
	if (n < 0) {
		lo->st.dropped++;
		return;
	}
	lo->len[i] = (uint16_t)n;
	lo->head++;
	lo->st.queued++;
}

unsigned lo_drain(struct loopback *lo, struct engine *eng, uint64_t now,
		  unsigned max)
{
	unsigned done = 0;

	/* Segments queued while we feed these wait for the next call. */
	for (uint32_t end = lo->head; lo->tail != end && done < max; done++) {
		uint32_t i = lo->tail % LO_SLOTS;
		struct pkt p;

		/* The engine copies what it keeps before returning; the slot
		 * is released only after the call, so a segment queued
		 * during it cannot take this one's place. */
		if (pkt_parse_ip(lo->seg[i], lo->len[i], 0, &p) == 0) {
			eng_input(eng, &p, now);
			lo->st.delivered++;
		} else {
			lo->st.bad++;
		}
		lo->tail++;
	}
	return done;
}
