/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The UMEM frame allocator: fixed-size frames of one AF_XDP UMEM, a free
 * stack of frame addresses, and the place every frame is in.
 *
 * Pure bookkeeping over frame addresses: no socket, no ring, no system call,
 * so it is unit-tested on its own (tests/unit/test_umem.c). user/io/xsk.c
 * moves frames between places as it moves their addresses between rings.
 *
 * Every frame is in exactly one place at any time:
 *
 *   UMEM_FREE  on the free stack, owned by nobody
 *   UMEM_FILL  given to the kernel to receive into: in the fill ring, in the
 *              driver, or received and in the RX ring but not yet peeked
 *   UMEM_RX    a received frame the application holds (peeked, not released)
 *   UMEM_TX    reserved by the application to build a frame to send
 *   UMEM_TXQ   submitted for transmission: in the TX ring, in the driver, or
 *              completed and in the completion ring but not yet reaped
 *
 * Moves check the frame's current place; a move of a frame that is not where
 * the caller says (a double free, a stray address, a frame released twice)
 * is refused, counted in umem->bad_moves and leaves that frame untouched, so
 * a caller bug can never give one frame to two owners. umem_check() verifies
 * the whole invariant (counts, free stack without duplicates).
 *
 * Addresses are UMEM offsets. A frame is named by any address inside it
 * (the kernel hands out RX addresses past a headroom): moves normalise to
 * the frame's base. frame_size is a power of two (AF_XDP aligned mode).
 *
 * Not thread-safe: one allocator per queue, owned by the thread serving it.
 * No allocation after umem_init().
 */
#ifndef XTCP_IO_UMEM_H
#define XTCP_IO_UMEM_H

#include <stdbool.h>
#include <stdint.h>

enum umem_place {
	UMEM_FREE,
	UMEM_FILL,
	UMEM_RX,
	UMEM_TX,
	UMEM_TXQ,
	UMEM_NPLACES
};

/* A set of places, for moves accepting more than one source. */
#define UMEM_P(p) (1u << (p))

#define UMEM_FRAME_MIN 2048 /* the kernel's smallest aligned chunk */
#define UMEM_FRAME_MAX 65536
#define UMEM_NFRAMES_MAX (1u << 24)

struct umem {
	uint64_t *stack; /* free frames' base addresses; top at nfree - 1 */
	uint8_t *place; /* per frame: enum umem_place */
	uint32_t nframes;
	uint32_t frame_size;
	uint32_t frame_shift; /* log2(frame_size) */
	uint32_t nfree;
	uint32_t count[UMEM_NPLACES]; /* frames per place */
	uint64_t moves; /* frames moved successfully, allocations included */
	uint64_t bad_moves; /* refused: frame not where the caller said */
	uint64_t alloc_short; /* umem_alloc calls that got fewer than asked */
};

/*
 * Set up @nframes frames of @frame_size bytes (a power of two in
 * [UMEM_FRAME_MIN, UMEM_FRAME_MAX]), all free. Returns 0, -EINVAL or
 * -ENOMEM.
 */
int umem_init(struct umem *u, uint32_t nframes, uint32_t frame_size);
void umem_fini(struct umem *u);

/* Bytes of UMEM the frames span: nframes * frame_size. */
static inline uint64_t umem_size(const struct umem *u)
{
	return (uint64_t)u->nframes << u->frame_shift;
}

/* The base address of the frame holding @addr. */
static inline uint64_t umem_frame_base(const struct umem *u, uint64_t addr)
{
	return addr & ~(uint64_t)(u->frame_size - 1);
}

/*
 * Take up to @n free frames (most recently freed first) and put them in
 * place @to (not UMEM_FREE); their base addresses go to @addrs. Returns how
 * many.
 */
unsigned umem_alloc(struct umem *u, uint64_t *addrs, unsigned n,
		    enum umem_place to);

/*
 * Move the frames at @addrs (any address inside each) from one of the places
 * in the set @from (UMEM_P(...) | ...) to @to; UMEM_FREE as @to pushes them
 * on the free stack. Frames leave UMEM_FREE only through umem_alloc, so a
 * free frame is never in @from. A frame out of range or not in @from is
 * refused and counted in bad_moves. Returns the number refused (0 when all
 * moved).
 */
unsigned umem_move(struct umem *u, const uint64_t *addrs, unsigned n,
		   unsigned from, enum umem_place to);

/* Shorthand: umem_move(u, addrs, n, UMEM_P(from), UMEM_FREE). */
unsigned umem_free(struct umem *u, const uint64_t *addrs, unsigned n,
		   enum umem_place from);

/* The place of the frame holding @addr, or -EINVAL when out of range. */
int umem_place_of(const struct umem *u, uint64_t addr);

static inline uint32_t umem_count(const struct umem *u, enum umem_place p)
{
	return u->count[p];
}

/*
 * Verify the invariant: the counts sum to nframes and match the per-frame
 * places, the free stack holds exactly the free frames, each once, at frame
 * bases. O(nframes). Returns 0 or -EUCLEAN; when @why is not NULL it gets a
 * static string naming the first violation.
 */
int umem_check(const struct umem *u, const char **why);

const char *umem_place_name(enum umem_place p);

#endif
