/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * linkem's link model, without I/O: per-direction parameters and their
 * parser, the seeded random streams, the fate of an arriving frame (loss,
 * Gilbert-Elliott loss, duplication, rate and byte queue, delay, jitter,
 * reordering, corruption), the time-ordered departure heap, statistics.
 *
 * Times are nanoseconds on one monotonic clock, passed in by the caller.
 */
#ifndef LINKEM_MODEL_H
#define LINKEM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LEM_AB, LEM_BA, LEM_NDIR };

/* Parameters of one direction. Probabilities are in [0, 1]. */
struct lem_params {
	double delay_ms; /* fixed one-way delay */
	double jitter_ms; /* uniform in [-jitter, +jitter] around it */
	bool jitter_reorder; /* may jitter reorder frames? (else FIFO) */
	double loss; /* independent (Bernoulli) loss */
	double ge_p; /* Gilbert-Elliott: P(good -> bad); 0 = off */
	double ge_r; /* P(bad -> good) */
	double ge_h; /* P(delivered | bad) */
	double ge_k; /* P(delivered | good) */
	double dup; /* one extra copy */
	double reorder; /* held back reorder_ms, others overtake */
	double reorder_ms;
	double corrupt; /* one random bit flipped after the Ethernet header */
	double rate_mbit; /* serialization rate of frame bytes; 0 = none */
	uint64_t queue_bytes; /* byte queue before the rate (drop-tail) */
};

struct lem_stats {
	uint64_t rx, rx_bytes; /* frames in */
	uint64_t tx, tx_bytes; /* frames out */
	uint64_t lost; /* random loss */
	uint64_t ge_lost; /* Gilbert-Elliott loss */
	uint64_t loss_bursts; /* runs of consecutive lost frames (either) */
	uint64_t dup; /* extra copies made */
	uint64_t reorder_held; /* frames held back by `reorder` */
	uint64_t reordered; /* frames sent after a later arrival */
	uint64_t corrupted;
	uint64_t qdrop; /* byte queue full */
	uint64_t nobuf; /* frame pool empty */
	uint64_t oversize; /* larger than the egress MTU or truncated */
	uint64_t csum_fixed; /* partial checksums completed */
	uint64_t tx_err; /* the egress socket refused the frame */
	uint64_t sock_drops; /* the ingress socket's buffer overflowed */
};

/* Independent random streams, so that one feature's draws do not shift
 * another's: a run with the same seed and the same frames decides alike. */
enum { RS_LOSS, RS_GE, RS_DUP, RS_REORDER, RS_CORRUPT, RS_JITTER, RS_MAX };

struct lem_frame {
	uint64_t due; /* departure time */
	uint64_t seq; /* arrival order within the direction */
	uint32_t len;
	uint16_t off; /* where the frame starts in its slot */
};

struct lem_dir {
	struct lem_params p;
	struct lem_stats st;
	uint64_t rng[RS_MAX][4];
	bool ge_bad;
	bool last_lost;
	uint64_t link_free; /* the serializer is busy until then */
	uint64_t last_due; /* FIFO floor for the next frame */
	uint64_t next_seq;
	uint64_t max_seq_out;
	bool any_out;
	/* Min-heap of slot indexes by (due, seq). */
	uint32_t *heap;
	uint32_t nheap;
};

#define LEM_ETH_HLEN 14

void lem_params_default(struct lem_params *p);

/*
 * Parse "[ab|ba|both] KEY VALUE ..." (or KEY=VALUE) into @p[LEM_NDIR];
 * a direction word applies to the keys after it, "both" at the start.
 * @p is changed only when every token is valid; otherwise -EINVAL with a
 * message in @err.
 */
int lem_params_parse(struct lem_params p[LEM_NDIR], int argc, char **argv,
		     char *err, size_t errlen);

/* "key=value ..." of one direction; returns the length written. */
int lem_params_format(const struct lem_params *p, char *buf, size_t len);
int lem_stats_format(const struct lem_dir *d, char *buf, size_t len);

extern const char *const lem_dir_name[LEM_NDIR];

void lem_dir_init(struct lem_dir *d, uint64_t seed, int dir, uint32_t *heap);
/* Restart the random streams and the Gilbert-Elliott state. */
void lem_dir_reseed(struct lem_dir *d, uint64_t seed, int dir);

/* A uniform 64-bit value, and true with probability @prob. */
uint64_t lem_rand(uint64_t s[4]);
bool lem_chance(uint64_t s[4], double prob);

/* Is an arriving frame lost (random or Gilbert-Elliott)? Counts it. */
bool lem_lose(struct lem_dir *d);

/* Should an extra copy be made? Counts it. */
bool lem_dup(struct lem_dir *d);

/*
 * Admit a copy of @len bytes arriving at @now: through the byte queue and
 * the rate, then the delay, jitter and reordering. Returns false (counted
 * as qdrop) when the queue is full, else sets @f->due and @f->seq.
 */
bool lem_admit(struct lem_dir *d, struct lem_frame *f, uint64_t now);

/*
 * Maybe flip one bit of @frame after the Ethernet header. Counts it.
 * Returns the bit flipped (byte offset * 8 + bit, the bit's mask being
 * 1 << (ret & 7)), or -1 when the frame is left alone.
 */
long lem_corrupt(struct lem_dir *d, uint8_t *frame, uint32_t len);

/* Departure heap over the frame table @fr. */
void lem_heap_push(struct lem_dir *d, const struct lem_frame *fr, uint32_t idx);
uint32_t lem_heap_pop(struct lem_dir *d, const struct lem_frame *fr);
static inline bool lem_heap_due(const struct lem_dir *d,
				const struct lem_frame *fr, uint64_t now)
{
	return d->nheap && fr[d->heap[0]].due <= now;
}

/* A frame left: count it and whether a later arrival left before it. */
void lem_sent(struct lem_dir *d, const struct lem_frame *f);

#endif
