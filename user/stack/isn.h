/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Initial send sequence numbers, selectable like illumos tcp_strong_iss
 * (tcp(4P)): every mode is a 4 us clock (RFC 9293 3.4.1, RFC 6528 3: "M is
 * the 4 microsecond timer") plus an offset, and the modes differ in the
 * offset.
 *
 *   ISN_SEQUENTIAL (0): the offset grows by ISN_INCR / 2 per connection,
 *     like the old BSD and illumos tcp_iss_incr_extra. Fully predictable:
 *     for tests and comparison only.
 *   ISN_RANDOM_INCR (1): the offset starts random and grows by a random
 *     1..ISN_INCR per connection (mean ISN_INCR / 2), drawn from a
 *     splitmix64 generator seeded by the caller. Harder to guess, but one
 *     observed ISN still narrows the next one down (RFC 6528 2).
 *   ISN_RFC6528 (2): the offset is F(4-tuple, key) = SipHash-2-4 of
 *     laddr | lport | faddr | fport (16-byte addresses, ports big-endian),
 *     truncated to its low 32 bits (RFC 6528 3). Each 4-tuple has its own
 *     unguessable sequence space that still advances with the clock, so
 *     old duplicates of a previous incarnation of the same connection fall
 *     behind (RFC 9293 3.4.1). The default.
 *
 * In modes 0 and 1 successive ISNs increase (modulo 2^32, RFC 1982) by the
 * clock ticks plus the increment, whatever the 4-tuples, as long as calls
 * are less than ~2.3 hours apart. isn_next() reads no clock and has no
 * hidden state: everything is in struct isn_gen and the arguments.
 */
#ifndef XTCP_STACK_ISN_H
#define XTCP_STACK_ISN_H

#include <stdint.h>

struct ip_addr; /* wire/ip.h */

/* illumos ISS_INCR: one second's worth of the 4 us clock. */
#define ISN_INCR 250000u

enum isn_mode { ISN_SEQUENTIAL = 0, ISN_RANDOM_INCR = 1, ISN_RFC6528 = 2 };

struct isn_gen {
	enum isn_mode mode;
	uint8_t key[16]; /* mode 2: the SipHash key (RFC 6528 3 secretkey) */
	uint32_t last; /* modes 0/1: the offset added to the clock so far */
	uint64_t rng; /* mode 1: splitmix64 state */
};

/*
 * Set up @g. @key (16 bytes, may be NULL for modes 0 and 1) and @seed come
 * from the caller: the daemon reads them from getrandom(), tests pass
 * constants. An out-of-range @mode is treated as ISN_RFC6528.
 */
void isn_init(struct isn_gen *g, enum isn_mode mode, const uint8_t key[16],
	      uint64_t seed);

/*
 * The ISN for a new connection from (@laddr, @lport) to (@faddr, @fport),
 * ports in host order, at time @now_us.
 */
uint32_t isn_next(struct isn_gen *g, const struct ip_addr *laddr,
		  uint16_t lport, const struct ip_addr *faddr, uint16_t fport,
		  uint64_t now_us);

#endif
