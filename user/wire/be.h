/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Big-endian loads and stores for the wire modules. Byte shifts only: frame
 * buffers carry no alignment guarantee (an IPv4 header behind a 14-byte
 * Ethernet header is 2 bytes off a word boundary), so no pointer casts.
 */
#ifndef XTCP_WIRE_BE_H
#define XTCP_WIRE_BE_H

#include <stdint.h>

static inline uint16_t wire_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t wire_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void wire_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
