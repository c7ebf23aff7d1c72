// SPDX-License-Identifier: BSD-2-Clause
/* Out-of-order range bookkeeping and SACK blocks (see ooo.h). */
#include "stack/ooo.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "stack/seq.h"

bool ooo_valid(const struct ooo *o)
{
	if (o->n > OOO_MAX)
		return false;
	for (unsigned int i = 0; i < o->n; i++) {
		if (!seq_lt(o->r[i].start, o->r[i].end))
			return false;
		if (i && !seq_gt(o->r[i].start, o->r[i - 1].end))
			return false;
	}
	return true;
}

void ooo_init(struct ooo *o)
{
	memset(o, 0, sizeof(*o));
}

int ooo_add(struct ooo *o, uint32_t start, uint32_t end)
{
	unsigned int i, j, n = o->n;

	assert(ooo_valid(o));
	if (seq_lt(end, start))
		return -EINVAL;
	if (start == end)
		return 0;
	/* i: the first range that ends at or after start (touches or follows). */
	for (i = 0; i < n && seq_lt(o->r[i].end, start); i++)
		;
	/* j: one past the last range that starts at or before end. */
	for (j = i; j < n && seq_leq(o->r[j].start, end); j++)
		;
	if (i == j) {
		/* Disjoint from everything: insert at i. */
		if (n == OOO_MAX)
			return -ENOSPC;
		memmove(&o->r[i + 1], &o->r[i], (n - i) * sizeof(o->r[0]));
		o->r[i].start = start;
		o->r[i].end = end;
		o->n++;
	} else {
		/* Ranges i..j-1 overlap or touch [start, end): fold them into i. */
		o->r[i].start = seq_min(o->r[i].start, start);
		o->r[i].end = seq_max(o->r[j - 1].end, end);
		memmove(&o->r[i + 1], &o->r[j], (n - j) * sizeof(o->r[0]));
		o->n = (uint8_t)(n - (j - i - 1));
	}
	/* RFC 2018 4: this block now holds the most recent segment. */
	o->last_start = o->r[i].start;
	o->last_end = o->r[i].end;
	assert(ooo_valid(o));
	return 0;
}

uint32_t ooo_advance(struct ooo *o, uint32_t rcv_nxt)
{
	unsigned int k = 0;

	assert(ooo_valid(o));
	/* Ranges wholly at or below rcv_nxt are already delivered. */
	while (k < o->n && seq_leq(o->r[k].end, rcv_nxt))
		k++;
	/* RFC 9293 3.10.7.4: the queued text now continues the stream. */
	if (k < o->n && seq_leq(o->r[k].start, rcv_nxt)) {
		rcv_nxt = o->r[k].end;
		k++;
	}
	if (k) {
		memmove(&o->r[0], &o->r[k], (o->n - k) * sizeof(o->r[0]));
		o->n = (uint8_t)(o->n - k);
	}
	/* Ranges never touch, so the next one cannot start at the new rcv_nxt. */
	assert(o->n == 0 || seq_gt(o->r[0].start, rcv_nxt));
	return rcv_nxt;
}

bool ooo_empty(const struct ooo *o)
{
	return o->n == 0;
}

int ooo_sack_blocks(const struct ooo *o, struct tcp_sack_block *out, int max)
{
	int cnt = 0, first = -1;

	assert(ooo_valid(o));
	if (max <= 0 || o->n == 0)
		return 0;
	/*
	 * RFC 2018 4: "The first SACK block ... MUST specify the contiguous
	 * block of data containing the segment which triggered this ACK".
	 * Blocks only grow by merging, which updates last_*, so the recent
	 * block is found by exact match unless it was delivered since.
	 */
	for (unsigned int i = 0; i < o->n; i++) {
		if (o->r[i].start == o->last_start &&
		    o->r[i].end == o->last_end) {
			first = (int)i;
			out[cnt].start = o->r[i].start;
			out[cnt].end = o->r[i].end;
			cnt++;
			break;
		}
	}
	for (unsigned int i = 0; i < o->n && cnt < max; i++) {
		if ((int)i == first)
			continue;
		out[cnt].start = o->r[i].start;
		out[cnt].end = o->r[i].end;
		cnt++;
	}
	return cnt;
}
