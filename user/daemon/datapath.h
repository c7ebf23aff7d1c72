/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon's datapath: frames from the AF_XDP sockets into the engine,
 * and the engine's segments out as Ethernet frames.
 *
 *	dp_rx(dp, eng, now)        received frames: parse, give to the engine
 *	dp_output(dp, seg, now)    the engine's output callback: route, find the
 *	                           next hop's MAC, write the frame into UMEM
 *	dp_flush(dp)               submit what was written, kick, reap
 *
 * Frames are built in place in UMEM (one copy of the payload, from the
 * socket buffer) and submitted in batches at dp_flush(): no system call and
 * no allocation per packet. A segment whose next hop has no MAC yet waits in
 * a small queue while the kernel resolves it (ARP/ND stay Linux's job: the
 * XDP program passes them), and leaves when the answer arrives.
 */
#ifndef XTCP_DAEMON_DATAPATH_H
#define XTCP_DAEMON_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/netlink.h"
#include "io/xsk.h"
#include "stack/engine.h"

#define DP_MAX_PORTS 64
#define DP_TX_BATCH 64
#define DP_RX_BATCH 64
#define DP_PENDING 64 /* segments waiting for a neighbour */
#define DP_PENDING_BYTES 2048 /* longest such segment (else dropped) */
#define DP_PENDING_MAX_AGE_US 3000000

struct dp_stats {
	/* rx_csum_xdp: frames whose TCP checksum XDP verified (metadata),
	 * not verified again here. */
	uint64_t rx_frames, rx_bad, rx_csum_xdp, tx_frames, tx_no_frame,
		tx_no_route, tx_neigh_wait, tx_neigh_drop, tx_too_big,
		local_drops;
};

struct dp_pending {
	uint64_t since;
	int ifindex;
	struct ip_addr nexthop;
	uint16_t len;
	uint8_t pkt[DP_PENDING_BYTES]; /* the IP packet, no link header */
};

struct datapath {
	struct nl *nl;
	struct xio *port[DP_MAX_PORTS];
	unsigned nports;
	int ifindex; /* the interface the ports are on */
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t frame_cap; /* bytes in a UMEM frame */
	unsigned verify; /* PKT_VERIFY_* done in userspace */

	struct xio_frame tx[DP_TX_BATCH];
	unsigned ntx;
	struct dp_pending pend[DP_PENDING];
	unsigned npend;

	struct dp_stats st;
	/* Called before frames are handed to the kernel (optional). */
	void (*before_tx)(void *arg);
	void *before_tx_arg;
	/*
	 * Called with received frames in hand, before the engine sees them
	 * (optional): ACKs XDP absorbed before it passed these frames are
	 * older than they are, and must be applied first (flows.c).
	 */
	void (*before_rx)(void *arg, uint64_t now);
	void *before_rx_arg;
};

/* @nl and the ports stay the caller's; @ifindex/@mac/@mtu of the link. */
void dp_init(struct datapath *dp, struct nl *nl, int ifindex,
	     const uint8_t mac[6], uint32_t mtu);
int dp_add_port(struct datapath *dp, struct xio *x);

/* Receive up to a batch per port into @eng; returns frames handled. */
unsigned dp_rx(struct datapath *dp, struct engine *eng, uint64_t now);
/* The engine's output: build and queue one frame. */
void dp_output(struct datapath *dp, const struct seg_out *so, uint64_t now);
/* Submit queued frames, let the kernel send them, reap completions. */
void dp_flush(struct datapath *dp);
/* A neighbour was resolved (netlink callback): send what waited for it. */
void dp_neigh_ready(struct datapath *dp, int ifindex,
		    const struct ip_addr *addr, const uint8_t *mac,
		    uint64_t now);
/* Drop pending segments older than DP_PENDING_MAX_AGE_US. */
void dp_expire(struct datapath *dp, uint64_t now);

#endif
