// SPDX-License-Identifier: BSD-2-Clause
/* The SACK scoreboard and the RFC 6675 routines over it (see sack.h). */
#include "stack/sack.h"

#include <string.h>

#include "stack/seq.h"

void sack_sb_init(struct sack_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
}

bool sack_sb_empty(const struct sack_sb *sb)
{
	return sb->n == 0;
}

bool sack_sb_valid(const struct sack_sb *sb)
{
	uint32_t sum = 0;

	if (sb->n > SACK_SB_MAX)
		return false;
	for (unsigned int i = 0; i < sb->n; i++) {
		if (!seq_lt(sb->r[i].start, sb->r[i].end))
			return false;
		if (i && !seq_gt(sb->r[i].start, sb->r[i - 1].end))
			return false;
		sum += sb->r[i].end - sb->r[i].start;
	}
	return sum == sb->sacked;
}

uint32_t sack_sb_add(struct sack_sb *sb, uint32_t start, uint32_t end)
{
	unsigned int i, j, n = sb->n;
	uint32_t before = sb->sacked, covered = 0;

	if (!seq_lt(start, end))
		return 0;
	/* i: the first range that ends at or after start. */
	for (i = 0; i < n && seq_lt(sb->r[i].end, start); i++)
		;
	/* j: one past the last range that starts at or before end. */
	for (j = i; j < n && seq_leq(sb->r[j].start, end); j++)
		;
	if (i == j) {
		if (n == SACK_SB_MAX)
			return 0;
		memmove(&sb->r[i + 1], &sb->r[i], (n - i) * sizeof(sb->r[0]));
		sb->r[i].start = start;
		sb->r[i].end = end;
		sb->n++;
		sb->sacked += end - start;
		return end - start;
	}
	for (unsigned int k = i; k < j; k++)
		covered += sb->r[k].end - sb->r[k].start;
	sb->r[i].start = seq_min(sb->r[i].start, start);
	sb->r[i].end = seq_max(sb->r[j - 1].end, end);
	memmove(&sb->r[i + 1], &sb->r[j], (n - j) * sizeof(sb->r[0]));
	sb->n = (uint8_t)(n - (j - i - 1));
	sb->sacked = before - covered + (sb->r[i].end - sb->r[i].start);
	return sb->sacked - before;
}

void sack_sb_advance(struct sack_sb *sb, uint32_t una)
{
	unsigned int k = 0;

	while (k < sb->n && seq_leq(sb->r[k].end, una)) {
		sb->sacked -= sb->r[k].end - sb->r[k].start;
		k++;
	}
	if (k) {
		memmove(&sb->r[0], &sb->r[k], (sb->n - k) * sizeof(sb->r[0]));
		sb->n = (uint8_t)(sb->n - k);
	}
	if (sb->n && seq_lt(sb->r[0].start, una)) {
		sb->sacked -= una - sb->r[0].start;
		sb->r[0].start = una;
	}
}

bool sack_sb_sacked(const struct sack_sb *sb, uint32_t seq, uint32_t *end)
{
	for (unsigned int i = 0; i < sb->n; i++) {
		if (seq_lt(seq, sb->r[i].start))
			return false;
		if (seq_lt(seq, sb->r[i].end)) {
			if (end)
				*end = sb->r[i].end;
			return true;
		}
	}
	return false;
}

uint32_t sack_sb_next_sacked(const struct sack_sb *sb, uint32_t seq,
			     uint32_t dflt)
{
	for (unsigned int i = 0; i < sb->n; i++)
		if (seq_gt(sb->r[i].start, seq))
			return sb->r[i].start;
	return dflt;
}

static bool lost_above(uint32_t ranges, uint32_t bytes, uint32_t smss)
{
	return ranges >= SACK_DUPTHRESH ||
	       bytes > (uint64_t)(SACK_DUPTHRESH - 1) * smss;
}

bool sack_is_lost(const struct sack_sb *sb, uint32_t seq, uint32_t smss)
{
	uint32_t ranges = 0, bytes = 0;

	for (unsigned int i = 0; i < sb->n; i++) {
		if (seq_gt(sb->r[i].start, seq)) {
			ranges++;
			bytes += sb->r[i].end - sb->r[i].start;
		} else if (seq_gt(sb->r[i].end, seq + 1)) {
			bytes += sb->r[i].end - (seq + 1);
		}
	}
	return lost_above(ranges, bytes, smss);
}

uint32_t sack_pipe(const struct sack_sb *sb, uint32_t una, uint32_t high_data,
		   uint32_t high_rxt, uint32_t smss)
{
	uint32_t pipe = 0, ranges = 0, bytes = 0;

	if (seq_lt(high_rxt, una))
		high_rxt = una;
	/*
	 * Hole i lies below range i (hole n below high_data). Every octet of
	 * a hole has the same SACKed data above it, so IsLost() is decided
	 * once per hole; walking down accumulates what is above.
	 */
	for (int i = sb->n; i >= 0; i--) {
		uint32_t lo = i ? sb->r[i - 1].end : una;
		uint32_t hi = i < sb->n ? sb->r[i].start : high_data;

		if (i < sb->n) {
			ranges++;
			bytes += sb->r[i].end - sb->r[i].start;
		}
		if (seq_lt(lo, una))
			lo = una;
		if (!seq_lt(lo, hi))
			continue;
		if (!lost_above(ranges, bytes, smss))
			pipe += hi - lo; /* (a) not lost: still in flight */
		if (seq_gt(high_rxt, lo)) /* (b) retransmitted */
			pipe += seq_min(hi, high_rxt) - lo;
	}
	return pipe;
}

bool sack_next_seg(const struct sack_sb *sb, uint32_t una, uint32_t high_data,
		   uint32_t high_rxt, uint32_t smss, bool rule3, uint32_t *seq,
		   uint32_t *len)
{
	if (seq_lt(high_rxt, una))
		high_rxt = una;
	for (unsigned int i = 0; i <= sb->n; i++) {
		uint32_t lo = i ? sb->r[i - 1].end : una;
		uint32_t hi = i < sb->n ? sb->r[i].start : high_data;

		if (seq_lt(lo, high_rxt))
			lo = high_rxt;
		if (!seq_lt(lo, hi))
			continue;
		/* IsLost() is the same for every octet of the hole; it only
		 * turns false going up, so no later hole is lost either. */
		if (!rule3 && !sack_is_lost(sb, lo, smss))
			return false;
		/* Rule (3) only for holes below SACKed data: what lies
		 * beyond the highest SACK is in flight, as far as anyone
		 * knows (a deviation: the RFC names any unSACKed octet). */
		if (rule3 && i == sb->n)
			return false;
		*seq = lo;
		*len = hi - lo < smss ? hi - lo : smss;
		return true;
	}
	return false;
}
