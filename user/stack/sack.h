/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SACK sender's scoreboard (RFC 6675 3, 4): which sequence ranges above
 * SND.UNA the peer reported with SACK blocks (RFC 2018), and the RFC 6675
 * routines over it: IsLost(), SetPipe() and the retransmission rules of
 * NextSeg(). Pure: no engine state, no clock, unit-tested alone.
 *
 * Ranges are [start, end) in sequence space, sorted, disjoint and
 * non-adjacent, all within (SND.UNA, SND.MAX] (the caller clips what it
 * records), compared modulo 2^32.
 *
 * Sequence numbers follow the engine's conventions rather than the RFC's
 * "highest octet" ones: @una is SND.UNA (HighACK + 1), @high_data is
 * SND.MAX (HighData + 1), and @high_rxt is one past the highest octet
 * retransmitted in this recovery (HighRxt + 1).
 */
#ifndef XTCP_STACK_SACK_H
#define XTCP_STACK_SACK_H

#include <stdbool.h>
#include <stdint.h>

#define SACK_SB_MAX 32
#define SACK_DUPTHRESH 3 /* RFC 6675 2: DupThresh */

struct sack_range {
	uint32_t start, end;
};

struct sack_sb {
	struct sack_range r[SACK_SB_MAX];
	uint8_t n;
	uint32_t sacked; /* bytes in all ranges */
};

void sack_sb_init(struct sack_sb *sb);

/*
 * Record [@start, @end) as SACKed (RFC 6675 Update()). Returns the number
 * of octets newly SACKed (0 if all were known, or the block is empty or
 * reversed). With SACK_SB_MAX ranges held, a block disjoint from all is
 * not recorded: the data is then only retransmitted once more than needed.
 */
uint32_t sack_sb_add(struct sack_sb *sb, uint32_t start, uint32_t end);

/* SND.UNA reached @una: forget what lies below it. */
void sack_sb_advance(struct sack_sb *sb, uint32_t una);

bool sack_sb_empty(const struct sack_sb *sb);

/* Is octet @seq SACKed? If so and @end is not NULL, the end of its range. */
bool sack_sb_sacked(const struct sack_sb *sb, uint32_t seq, uint32_t *end);

/* The start of the first SACKed range above @seq, or @dflt if none. */
uint32_t sack_sb_next_sacked(const struct sack_sb *sb, uint32_t seq,
			     uint32_t dflt);

/*
 * RFC 6675 4 IsLost(@seq): true when DupThresh discontiguous SACKed ranges
 * lie above @seq, or more than (DupThresh - 1) * @smss octets above it are
 * SACKed. (Ranges stand for the RFC's "discontiguous SACKed sequences".)
 */
bool sack_is_lost(const struct sack_sb *sb, uint32_t seq, uint32_t smss);

/*
 * RFC 6675 4 SetPipe(): the octets in (@una .. @high_data) not SACKed
 * count once unless IsLost(), and once more if below @high_rxt
 * (retransmitted).
 */
uint32_t sack_pipe(const struct sack_sb *sb, uint32_t una, uint32_t high_data,
		   uint32_t high_rxt, uint32_t smss);

/*
 * RFC 6675 4 NextSeg(), the retransmission rules. Rule (1): the first
 * unSACKed octet at or above @high_rxt for which IsLost() holds; with
 * @rule3, rule (3) instead: the first unSACKed octet at or above @high_rxt
 * below the highest SACKed one, lost or not (the RFC's rule has no upper
 * bound; retransmitting the tail still in flight only wastes the link). Rule (2), new data, is the caller's. On success *seq and
 * *len give at most @smss octets up to the next SACKed range or @high_data.
 */
bool sack_next_seg(const struct sack_sb *sb, uint32_t una, uint32_t high_data,
		   uint32_t high_rxt, uint32_t smss, bool rule3, uint32_t *seq,
		   uint32_t *len);

/* The invariant: sorted, non-empty, disjoint, non-adjacent, sum correct. */
bool sack_sb_valid(const struct sack_sb *sb);

#endif
