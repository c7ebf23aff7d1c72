// SPDX-License-Identifier: BSD-2-Clause
/*
 * The SACK scoreboard and RFC 6675's IsLost(), SetPipe() and NextSeg(),
 * alone (user/stack/sack.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "stack/sack.h"

#define MSS 1000u
#define U 0xfffff000u /* SND.UNA, near the wrap on purpose */

/* Segment i covers [U + i * MSS, U + (i + 1) * MSS). */
static uint32_t seg(unsigned int i)
{
	return U + i * MSS;
}

static void add_merge_and_count(void **state)
{
	struct sack_sb sb;

	sack_sb_init(&sb);
	assert_true(sack_sb_empty(&sb));
	assert_int_equal(sack_sb_add(&sb, seg(2), seg(3)), MSS);
	assert_int_equal(sack_sb_add(&sb, seg(5), seg(6)), MSS);
	/* Known again: nothing new (not a duplicate ACK, RFC 6675 2). */
	assert_int_equal(sack_sb_add(&sb, seg(2), seg(3)), 0);
	assert_int_equal(sack_sb_add(&sb, seg(2) + 10, seg(3) - 10), 0);
	/* Bridging the two: the gap is new. */
	assert_int_equal(sack_sb_add(&sb, seg(2), seg(6)), 2 * MSS);
	assert_int_equal(sb.n, 1);
	assert_int_equal(sb.sacked, 4 * MSS);
	/* Adjacent ranges merge. */
	assert_int_equal(sack_sb_add(&sb, seg(6), seg(7)), MSS);
	assert_int_equal(sb.n, 1);
	/* Empty and reversed blocks change nothing. */
	assert_int_equal(sack_sb_add(&sb, seg(9), seg(9)), 0);
	assert_int_equal(sack_sb_add(&sb, seg(9), seg(8)), 0);
	assert_true(sack_sb_valid(&sb));
	assert_true(sack_sb_sacked(&sb, seg(4), NULL));
	assert_false(sack_sb_sacked(&sb, seg(1), NULL));
	assert_false(sack_sb_sacked(&sb, seg(7), NULL));
	assert_int_equal(sack_sb_next_sacked(&sb, seg(0), 7), seg(2));
	assert_int_equal(sack_sb_next_sacked(&sb, seg(3), 7), 7);
}

static void advance_trims(void **state)
{
	struct sack_sb sb;

	sack_sb_init(&sb);
	sack_sb_add(&sb, seg(1), seg(2));
	sack_sb_add(&sb, seg(3), seg(5));
	sack_sb_advance(&sb, seg(4));
	assert_int_equal(sb.n, 1);
	assert_int_equal(sb.r[0].start, seg(4));
	assert_int_equal(sb.sacked, MSS);
	sack_sb_advance(&sb, seg(9));
	assert_true(sack_sb_empty(&sb));
	assert_int_equal(sb.sacked, 0);
	assert_true(sack_sb_valid(&sb));
}

static void full_scoreboard_refuses(void **state)
{
	struct sack_sb sb;

	sack_sb_init(&sb);
	for (unsigned int i = 0; i < SACK_SB_MAX; i++)
		assert_int_equal(
			sack_sb_add(&sb, seg(2 * i + 1), seg(2 * i + 2)), MSS);
	/* Disjoint from all: not recorded; overlapping: merged. */
	assert_int_equal(sack_sb_add(&sb, seg(200), seg(201)), 0);
	assert_int_equal(sack_sb_add(&sb, seg(2), seg(3)), MSS);
	assert_int_equal(sb.n, SACK_SB_MAX - 1);
	assert_true(sack_sb_valid(&sb));
}

static void is_lost_dupthresh(void **state)
{
	struct sack_sb sb;

	sack_sb_init(&sb);
	/* Segment 0 lost, 1 and 2 SACKed: 2 * SMSS above is not more than
	 * (DupThresh - 1) * SMSS. */
	sack_sb_add(&sb, seg(1), seg(3));
	assert_false(sack_is_lost(&sb, seg(0), MSS));
	/* A third segment: lost. */
	sack_sb_add(&sb, seg(3), seg(4));
	assert_true(sack_is_lost(&sb, seg(0), MSS));
	/* Three discontiguous small blocks also make it lost. */
	sack_sb_init(&sb);
	sack_sb_add(&sb, seg(1), seg(1) + 10);
	sack_sb_add(&sb, seg(2), seg(2) + 10);
	assert_false(sack_is_lost(&sb, seg(0), MSS));
	sack_sb_add(&sb, seg(3), seg(3) + 10);
	assert_true(sack_is_lost(&sb, seg(0), MSS));
	/* Nothing above the last hole: not lost. */
	assert_false(sack_is_lost(&sb, seg(4), MSS));
}

static void pipe_counts(void **state)
{
	struct sack_sb sb;

	sack_sb_init(&sb);
	/* 10 segments out; 0 and 4 missing, the rest SACKed up to 8; 8-9 in
	 * flight beyond the last SACK. */
	sack_sb_add(&sb, seg(1), seg(4));
	sack_sb_add(&sb, seg(5), seg(8));
	/* Hole 0 (6 SACKed above) and hole 4 (3 above): lost; 8-9 not. */
	assert_int_equal(sack_pipe(&sb, seg(0), seg(10), seg(0), MSS), 2 * MSS);
	/* Segment 0 retransmitted: it counts again. */
	assert_int_equal(sack_pipe(&sb, seg(0), seg(10), seg(1), MSS), 3 * MSS);
	/* And segment 4: all of HighRxt's range counts, SACKed data not. */
	assert_int_equal(sack_pipe(&sb, seg(0), seg(10), seg(5), MSS), 4 * MSS);
	/* Nothing SACKed: everything outstanding is in the pipe. */
	sack_sb_init(&sb);
	assert_int_equal(sack_pipe(&sb, seg(0), seg(10), seg(0), MSS),
			 10 * MSS);
}

static void next_seg_rules(void **state)
{
	struct sack_sb sb;
	uint32_t s, l;

	sack_sb_init(&sb);
	sack_sb_add(&sb, seg(1), seg(4));
	sack_sb_add(&sb, seg(5), seg(6));
	/* Rule 1: the first lost hole, segment 0. */
	assert_true(sack_next_seg(&sb, seg(0), seg(10), seg(0), MSS, false, &s,
				  &l));
	assert_int_equal(s, seg(0));
	assert_int_equal(l, MSS);
	/* Past HighRxt: hole 4 has only one segment SACKed above: not
	 * lost, rule 1 has nothing, rule 3 gives it. */
	assert_false(sack_next_seg(&sb, seg(0), seg(10), seg(1), MSS, false, &s,
				   &l));
	assert_true(
		sack_next_seg(&sb, seg(0), seg(10), seg(1), MSS, true, &s, &l));
	assert_int_equal(s, seg(4));
	assert_int_equal(l, MSS);
	/* Rule 3 never picks the tail beyond the highest SACK. */
	assert_false(
		sack_next_seg(&sb, seg(0), seg(10), seg(5), MSS, true, &s, &l));
	/* A segment never covers SACKed data: capped at the hole's end. */
	sack_sb_init(&sb);
	sack_sb_add(&sb, seg(0) + 300, seg(5));
	assert_true(sack_next_seg(&sb, seg(0), seg(10), seg(0), MSS, false, &s,
				  &l));
	assert_int_equal(s, seg(0));
	assert_int_equal(l, 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_merge_and_count),
		cmocka_unit_test(advance_trims),
		cmocka_unit_test(full_scoreboard_refuses),
		cmocka_unit_test(is_lost_dupthresh),
		cmocka_unit_test(pipe_counts),
		cmocka_unit_test(next_seg_rules),
	};

	return cmocka_run_group_tests_name("sack", tests, NULL, NULL);
}
