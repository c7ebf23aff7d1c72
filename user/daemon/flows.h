/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's half of the XDP fast path: connections published to XDP
 * (xtcp_flows + a slot in xtcp_ack_slots), ACKs XDP absorbed fed to the
 * engine, and what XDP checks ACKs against kept current.
 *
 *	f = flows_add(fl, tcb, now)    a connection the daemon serves
 *	flows_sync(fl, now)            each loop: absorbed ACKs -> engine,
 *	                               engine state -> slots
 *	flows_del(fl, f, now)          before the tcb is released
 *
 * A slot goes back to use only after a grace period (xtcp/xdp_maps.h):
 * XDP may still be writing into it for a moment after its flow entry went.
 */
#ifndef XTCP_DAEMON_FLOWS_H
#define XTCP_DAEMON_FLOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "io/fastpath.h"
#include "stack/engine.h"

#define FLOWS_GRACE_US 1000000

struct flow {
	struct tcb *t;
	uint32_t slot;
	struct xtcp_flow_key key;
	uint32_t absorbed; /* the slot's count at our last look */
	struct tcb_fp_view pub; /* what the slot's daemon half says */
	struct flow *next, *prev;
};

struct flows_stats {
	uint64_t published, unpublished, no_slot, acks_applied, syncs;
};

struct flows {
	struct xfp fp;
	bool on;
	struct flow *list;
	uint32_t *free_slots; /* stack of usable slots */
	uint32_t nfree;
	struct {
		uint32_t slot;
		uint64_t until;
	} * grace; /* slots waiting out the grace period, FIFO */
	uint32_t grace_head, grace_n, grace_cap;
	uint32_t waiting_acks;
	struct flows_stats st;
};

/* Map the slots and take the flow map; slots_fd < 0 turns the fast path
 * off (every call below is then a no-op). */
int flows_init(struct flows *fl, int slots_fd, int flows_fd);
void flows_fini(struct flows *fl);
struct flow *flows_add(struct flows *fl, struct tcb *t, uint64_t now);
void flows_del(struct flows *fl, struct flow *f, uint64_t now);
/*
 * Returns the number of absorbed ACKs fed to the engine. Sets
 * fl->waiting_acks: how many published flows have data in flight whose
 * ACKs XDP may absorb without waking anyone.
 */
unsigned flows_sync(struct flows *fl, uint64_t now);
/*
 * Only the second half of flows_sync: slots brought up to the engine's
 * state, no engine call. For the datapath to call just before frames leave
 * (even from inside an engine call): an ACK for a segment must never reach
 * XDP before the slot's SND.MAX covers that segment, or XDP hands it to
 * the daemon.
 */
void flows_publish(struct flows *fl);

#endif
