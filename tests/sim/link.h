/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A simulated one-way link for xtcp-sim: a rate limit with a drop-tail
 * queue (and optionally ECN marking above a threshold), propagation delay
 * with jitter, and random loss, duplication,
 * reordering and corruption, all from one seeded generator, so a run is a
 * pure function of its seed.
 */
#ifndef XTCP_SIM_LINK_H
#define XTCP_SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link_cfg {
	double loss, dup, reorder, corrupt; /* probabilities per packet */
	uint64_t delay_us, jitter_us; /* one-way propagation */
	uint64_t rate_bps; /* 0 = unlimited */
	uint32_t queue_bytes; /* bottleneck queue, drop-tail */
	/* AQM: above this many queued bytes, ECN-capable packets are
	 * CE-marked (RFC 3168 5) and others dropped; 0 = off. */
	uint32_t mark_bytes;
};

struct link_frame {
	uint64_t at; /* delivery time */
	uint64_t order; /* tie-break, for determinism */
	uint32_t len;
	uint8_t data[];
};

struct link_stats {
	uint64_t sent, delivered, lost, dropped_queue, duplicated, reordered,
		corrupted, bytes, marked, dropped_aqm;
};

struct link {
	struct link_cfg cfg;
	uint64_t rng;
	uint64_t busy_until; /* the transmitter is serializing until then */
	uint64_t order;
	struct link_frame **heap;
	uint32_t n, cap;
	struct link_stats st;
};

int link_init(struct link *l, const struct link_cfg *cfg, uint64_t seed);
void link_free(struct link *l);
/* Offer a packet at @now; it may be lost, queued, duplicated, ... */
void link_send(struct link *l, uint64_t now, const uint8_t *pkt, uint32_t len);
/* Delivery time of the next packet, UINT64_MAX if none. */
uint64_t link_next(const struct link *l);
/* Take the next packet due at or before @now (caller frees), or NULL. */
struct link_frame *link_pop(struct link *l, uint64_t now);
/* Uniform double in [0, 1) from the link's generator. */
double link_rand(struct link *l);

#endif
