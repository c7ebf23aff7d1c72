/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Serialize a segment the engine emitted into an IP packet: IPv4 or IPv6
 * header, TCP header with options, payload, checksums. What the daemon
 * writes into a UMEM frame (after the link header) and the simulator puts
 * on its link.
 */
#ifndef XTCP_STACK_SEG_EMIT_H
#define XTCP_STACK_SEG_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "stack/engine.h"

/* Bytes seg_emit_ip() writes for @so. */
size_t seg_emit_len(const struct seg_out *so);

/* Write @so at @buf; returns the packet length or -WIRE_NOSPACE. */
int seg_emit_ip(const struct seg_out *so, uint8_t *buf, size_t cap);

#endif
