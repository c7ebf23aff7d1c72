/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CUBIC (RFC 9438): the fixed-point pieces of cubic.c, exposed so the unit
 * tests can hold them against a floating-point reference. The engine uses
 * CUBIC only through the registry (cc_find("cubic")).
 *
 * Time in the cubic function is in ticks of 1/1024 s (CUBIC_HZ); windows
 * are in bytes, converted from the RFC's segments with the SMSS.
 */
#ifndef XTCP_STACK_CC_CUBIC_H
#define XTCP_STACK_CC_CUBIC_H

#include <stdint.h>

#include "stack/cc/cc.h"

#define CUBIC_HZ_SHIFT 10
#define CUBIC_HZ (1u << CUBIC_HZ_SHIFT) /* ticks per second */

/* floor(cbrt(x)), exact for every 64-bit x */
uint32_t cubic_icbrt(uint64_t x);
/* microseconds to ticks, rounded to nearest; saturates past ~12 days */
uint64_t cubic_us_to_ticks(uint64_t us);
/*
 * RFC 9438 4.2 eq. 2: K = cubic_root((W_max - cwnd_epoch) / C) in ticks,
 * the windows in bytes; 0 when cwnd_epoch >= w_max.
 */
uint32_t cubic_k_ticks(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss);
/*
 * RFC 9438 4.2 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, in bytes,
 * saturated to 0..UINT32_MAX; t_us is the time since the epoch started.
 */
uint32_t cubic_w_cubic(uint64_t t_us, uint32_t k_ticks, uint32_t w_max,
		       uint32_t smss);

/* Read-only views of a CUBIC connection's state, for tests and stats. */
uint32_t cubic_w_max(const struct cc_conn *c); /* bytes, 0 = unset */
uint32_t cubic_k(const struct cc_conn *c); /* ticks of the epoch */
uint32_t cubic_w_est(const struct cc_conn *c); /* bytes */
/* whether a congestion avoidance epoch is running, and since when */
int cubic_epoch(const struct cc_conn *c, uint64_t *start_us);

#endif /* XTCP_STACK_CC_CUBIC_H */
