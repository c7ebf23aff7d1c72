/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AF_XDP sockets: one socket per receive queue, each with a UMEM of its own.
 *
 * Why a UMEM per queue, not one shared UMEM: each queue is served by one
 * thread (or one loop), and a private UMEM with its own allocator
 * (io/umem.h) needs no lock and no atomics on the frame path; the kernel
 * would need per-queue fill and completion rings with a shared UMEM anyway.
 * The cost is memory that cannot move between queues, which a TCP stack
 * that copies payload into socket buffers never needs.
 *
 * Frames: frame_size bytes (default 4096, one page: holds any frame of a
 * single-buffer XDP device, whose MTU tops out near 3.5k on veth; 2048 also
 * works for MTU 1500), nframes of them (default 4096, 16 MiB). Half of them
 * (rx_frames) are kept in the fill ring for receiving; the rest are for
 * sending. The rings hold every frame they may be given, so submitting to
 * the fill ring never fails; the TX ring is tx_size entries.
 *
 * The frame path makes no allocation and no system call per packet:
 *
 *   n = xio_rx(x, f, N)            peek up to N received frames
 *   ... read f[i].data, f[i].len ...
 *   xio_rx_done(x, f, n)           give them back (to the fill ring)
 *
 *   n = xio_tx_reserve(x, f, N)    up to N empty frames (reaps completions)
 *   ... write f[i].data, set f[i].len ...
 *   xio_tx_submit(x, f, n)         onto the TX ring
 *   xio_tx_kick(x)                 sendto(), only when the kernel asks
 *   xio_complete(x)                reap sent frames back to the free stack
 *
 * A received frame may also be sent as it is (rewritten in place: a reply
 * or a forward): pass it to xio_tx_submit instead of xio_rx_done. Frames
 * the TX ring had no room for stay the caller's: submit them again later or
 * give them back with xio_tx_release.
 *
 * Wakeups (need_wakeup, the default): the kernel sets a flag on the fill and
 * TX rings when it needs a system call to make progress; xio_tx_kick and
 * the refill in xio_rx/xio_rx_done make one only then. Without need_wakeup
 * every xio_tx_kick with frames on the TX ring is a sendto(). In copy mode
 * the kernel sends at most 32 frames per sendto(): xio_tx_kick repeats it
 * (bounded) while the TX ring drains.
 *
 * The socket's fd (xio_fd) is for poll()/epoll: POLLIN when frames arrived.
 *
 * Copy mode (XDP_COPY) is the default; zerocopy asks for XDP_ZEROCOPY and
 * fails (no fallback) where the driver lacks it.
 *
 * One thread at a time per struct xio. All functions returning int return
 * 0 or a negative errno.
 */
#ifndef XTCP_IO_XSK_H
#define XTCP_IO_XSK_H

#include <stdbool.h>
#include <stdint.h>

struct xio;

struct xio_cfg {
	const char *ifname;
	uint32_t queue; /* receive queue id, also the xsks_map key */
	uint32_t frame_size; /* 0: 4096; else a power of two 2048..65536 */
	uint32_t nframes; /* 0: 4096 */
	uint32_t rx_frames; /* frames kept in the fill ring; 0: nframes/2 */
	uint32_t rx_size; /* RX ring entries (power of two); 0: 2048 */
	uint32_t tx_size; /* TX ring entries (power of two); 0: 2048 */
	bool zerocopy; /* XDP_ZEROCOPY instead of XDP_COPY */
	bool need_wakeup; /* XDP_USE_NEED_WAKEUP: kick only when asked */
	uint32_t bind_wait_ms; /* bind retry on EBUSY for up to; 0: 2000 */
};

/*
 * A frame: its UMEM address, its length, and where its bytes are. For RX,
 * len is the received length; for TX, xio_tx_reserve sets len to the
 * room (cap) and the caller sets it to the frame's length before submit.
 */
struct xio_frame {
	uint64_t addr;
	uint32_t len;
	uint32_t meta; /* XDP's metadata word (xdp_maps.h), 0: none */
	uint8_t *data;
};

struct xio_stats {
	/* Ours. */
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes; /* submitted to the TX ring */
	uint64_t tx_completed; /* reaped from the completion ring */
	uint64_t tx_ring_full; /* submits the TX ring had no room for */
	uint64_t tx_no_frame; /* reserves short of free frames */
	uint64_t fill_low; /* refills short of free frames */
	uint64_t kicks; /* sendto() calls */
	uint64_t kick_errors; /* ... that failed (not EAGAIN/EBUSY) */
	uint64_t wakeups; /* recvfrom() calls for the fill ring */
	uint64_t bad_frames; /* frames refused by the allocator */
	uint64_t bind_retries; /* binds refused with EBUSY, then retried */
	/* The kernel's (getsockopt XDP_STATISTICS). */
	uint64_t rx_dropped; /* no room, or other reasons */
	uint64_t rx_invalid_descs;
	uint64_t tx_invalid_descs;
	uint64_t rx_ring_full;
	uint64_t rx_fill_ring_empty_descs; /* arrived with the fill ring empty */
	uint64_t tx_ring_empty_descs;
};

/*
 * Open an AF_XDP socket on cfg->queue of cfg->ifname with its UMEM, fill
 * the fill ring, and (when @xsks_map_fd >= 0) insert the socket into the
 * XDP program's xsks_map at key cfg->queue. A bind refused with EBUSY (the
 * queue's previous socket not yet released) is retried every 20 ms for up to
 * cfg->bind_wait_ms. No XDP program is loaded here (io/attach.h does that).
 */
int xio_open(struct xio **out, const struct xio_cfg *cfg, int xsks_map_fd);
/*
 * Close the socket (which removes it from xsks_map), free the UMEM. Frames
 * the caller still holds are gone with it. NULL is fine.
 */
void xio_close(struct xio *x);
int xio_fd(const struct xio *x);
uint32_t xio_queue(const struct xio *x);

/* Up to @max received frames into @out; returns how many (0: none). */
unsigned xio_rx(struct xio *x, struct xio_frame *out, unsigned max);
/* Give back received frames (refills the fill ring). */
void xio_rx_done(struct xio *x, const struct xio_frame *f, unsigned n);

/* Up to @max empty frames for sending; returns how many. */
unsigned xio_tx_reserve(struct xio *x, struct xio_frame *out, unsigned max);
/*
 * Put frames (reserved, or received) on the TX ring in order; returns how
 * many were taken, a prefix of @f; the rest (no room on the TX ring) stay
 * the caller's. Of those taken, a frame with a bad length (0, or past the
 * end of its frame) is not sent but freed, and an address the caller does
 * not hold is ignored; both count in bad_frames.
 */
unsigned xio_tx_submit(struct xio *x, const struct xio_frame *f, unsigned n);
/* Give back reserved (or received) frames without sending them. */
void xio_tx_release(struct xio *x, const struct xio_frame *f, unsigned n);
/* Make the kernel send what is on the TX ring (a sendto() when needed). */
void xio_tx_kick(struct xio *x);
/* Reap sent frames; returns how many. Also done by xio_tx_reserve. */
unsigned xio_complete(struct xio *x);
/* Frames submitted and not yet reaped. */
uint32_t xio_tx_inflight(const struct xio *x);

/* Our counters plus the kernel's; 0 or -errno (getsockopt). */
int xio_get_stats(struct xio *x, struct xio_stats *st);

/* The frame allocator, for invariant checks (umem_check) and counts. */
const struct umem *xio_umem(const struct xio *x);

#endif
