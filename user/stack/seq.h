/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sequence number arithmetic modulo 2^32 (RFC 9293 3.4, RFC 1982): a is
 * "before" b when the signed 32-bit difference is negative. Valid while
 * the two are less than 2^31 apart, which the window limits guarantee.
 */
#ifndef XTCP_STACK_SEQ_H
#define XTCP_STACK_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

/* lo <= a < hi, modulo 2^32. */
static inline bool seq_in(uint32_t a, uint32_t lo, uint32_t hi)
{
	return a - lo < hi - lo;
}

#endif
