/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed 64-bit PRF, the F() of RFC 6528 3 for initial sequence
 * numbers. Written from the paper's specification.
 */
#ifndef XTCP_STACK_SIPHASH_H
#define XTCP_STACK_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/*
 * SipHash-2-4 of @len bytes at @data under the 16-byte @key. The key and
 * message are read as little-endian words as the paper specifies; the
 * result is the 64-bit value v0 ^ v1 ^ v2 ^ v3 (the paper's vectors list
 * it as its little-endian bytes).
 */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data,
		   size_t len);

#endif
