/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Internet checksum (RFC 1071) and the TCP pseudo-headers of IPv4
 * (RFC 9293 3.1) and IPv6 (RFC 8200 8.1).
 *
 * Sums are kept as 32-bit partial sums of native-order 16-bit words: the
 * ones' complement sum is byte-order independent (RFC 1071 2.(B)), so the
 * folded result is already in network byte order and is stored into a
 * header as is, with memcpy.
 */
#ifndef XTCP_WIRE_CHECKSUM_H
#define XTCP_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Add @len bytes at @buf to the partial sum @sum. When sums over several
 * buffers are chained, every buffer but the last must have an even length.
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* Fold a partial sum to 16 bits and complement it: the value to store. */
uint16_t csum_fold(uint32_t sum);

/* Add two partial sums (ones' complement addition with end-around carry). */
uint32_t csum_add(uint32_t a, uint32_t b);

/* Partial sum of the IPv4 pseudo-header; addresses in network byte order. */
uint32_t csum_pseudo_ipv4(const void *saddr, const void *daddr, uint8_t proto,
			  uint16_t len);

/* Partial sum of the IPv6 pseudo-header; 16-byte addresses. */
uint32_t csum_pseudo_ipv6(const void *saddr, const void *daddr, uint8_t proto,
			  uint32_t len);

/*
 * RFC 1624 incremental update: the checksum @check (as stored) after a
 * 16-bit field changed from @old to @new (both as stored).
 */
uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new_val);

#endif
