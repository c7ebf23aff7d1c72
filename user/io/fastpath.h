/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's side of the XDP fast path: the flow map (xtcp_flows) and the
 * fast-path ACK slots (xtcp_ack_slots), mmapped. The slot protocol is in
 * xtcp/xdp_maps.h; this is its one userspace implementation.
 *
 * One thread owns a slot's daemon half (the connection's thread): the
 * writers here are not safe against each other on the same slot. Readers
 * (xfp_snapshot) may run anywhere. Nothing allocates after xfp_open.
 *
 * All functions returning int return 0 or a negative errno.
 */
#ifndef XTCP_IO_FASTPATH_H
#define XTCP_IO_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "xtcp/xdp_maps.h"

struct xfp {
	struct xtcp_ack_slot *slots; /* the mmapped array */
	uint32_t nslots;
	size_t map_len; /* bytes mapped */
	int flows_fd; /* xtcp_flows; not owned */
};

/* A flow published without a slot: classified, its ACKs never absorbed. */
#define XFP_NO_SLOT UINT32_MAX

/* What the daemon tells XDP about a connection (the slot's daemon half). */
struct xfp_ctl {
	bool eligible; /* established, no recovery in progress, ... */
	bool ts; /* timestamps negotiated */
	uint8_t wscale; /* the peer's window shift */
	uint32_t rcv_nxt;
	uint32_t snd_una;
	uint32_t snd_max;
	uint32_t ts_recent;
};

/* A consistent copy of a slot's XDP half. */
struct xfp_snap {
	uint32_t gen; /* even; changes with every absorbed ACK */
	uint32_t snd_una; /* ack of the latest absorbed ACK */
	uint32_t snd_wnd_raw; /* its window field */
	uint32_t ts_val, ts_ecr; /* its timestamp, if it had one */
	uint32_t absorbed; /* ACKs absorbed since publication (wraps) */
	uint64_t snd_wnd; /* snd_wnd_raw << the slot's wscale */
};

/*
 * Map the slot array (slots_fd: an xtcp_ack_slots fd, which must be an
 * mmap-able array of struct xtcp_ack_slot) and remember flows_fd.
 */
int xfp_open(struct xfp *fp, int slots_fd, int flows_fd);
void xfp_close(struct xfp *fp);

/*
 * Make a connection known to XDP: its slot first (the XDP half reset to
 * snd_una = ctl->snd_una and nothing absorbed, then the daemon half), then
 * its xtcp_flows entry, so XDP never finds a flow whose slot is stale. The
 * slot must not be published (see xfp_unpublish). slot may be XFP_NO_SLOT
 * (ctl is then ignored).
 */
int xfp_publish(struct xfp *fp, const struct xtcp_flow_key *key, uint32_t slot,
		const struct xfp_ctl *ctl);

/*
 * Forget a connection: no ACK is absorbed into its slot once this returns
 * (the slot is disabled and quiesced), then its xtcp_flows entry goes. The
 * slot may go to another connection only after a grace period (see
 * xtcp/xdp_maps.h). A missing flow entry is not an error.
 */
int xfp_unpublish(struct xfp *fp, const struct xtcp_flow_key *key,
		  uint32_t slot);

/*
 * Rewrite the slot's daemon half. Turning eligibility off also waits for
 * XDP to leave the slot: when it returns, every ACK XDP will ever absorb
 * under the old values is in the next snapshot (-EBUSY if XDP held the slot
 * implausibly long).
 */
int xfp_set_ctl(struct xfp *fp, uint32_t slot, const struct xfp_ctl *ctl);

/* Just eligibility, the rest unchanged. */
int xfp_set_eligible(struct xfp *fp, uint32_t slot, bool eligible);

/* The per-segment update: what XDP checks an ACK against. */
int xfp_set_seq(struct xfp *fp, uint32_t slot, uint32_t rcv_nxt,
		uint32_t snd_una, uint32_t snd_max);

/*
 * Read the XDP half consistently: retried while XDP writes it, a bounded
 * number of times (-EAGAIN after that). snd_una is news to the daemon when
 * it lies in (its SND.UNA, SND.MAX]; absorbed tells how many ACKs it
 * stands for.
 */
int xfp_snapshot(const struct xfp *fp, uint32_t slot, struct xfp_snap *out);

/* The slot itself, for tests and xtcpctl; NULL if out of range. */
static inline volatile struct xtcp_ack_slot *xfp_slot(const struct xfp *fp,
						      uint32_t slot)
{
	return slot < fp->nslots ? &fp->slots[slot] : NULL;
}

#endif
