/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keep Linux sockets off xtcp's ephemeral ports.
 *
 * xtcp shares its interface (and addresses) with the kernel: a frame to a
 * port the stack owns is redirected by XDP, everything else goes to Linux.
 * If Linux picked one of xtcp's ephemeral ports for its own connect() or
 * bind(port 0), replies to that Linux socket would be stolen by the stack
 * (or the reverse). net.ipv4.ip_local_reserved_ports removes ports from the
 * kernel's automatic choice (the inet hash tables serve IPv6 too, so one
 * sysctl covers both families); it is per network namespace. An explicit
 * bind() by a Linux program to a reserved port still succeeds: reservation
 * only guards the automatic choice.
 *
 * The interplay with net.ipv4.ip_local_port_range (Linux's own ephemeral
 * range, 32768-60999 by default): Linux picks from that range minus the
 * reserved ports. Reserving xtcp's default range 32768-65535
 * (tcp_smallest_anon_port..tcp_largest_anon_port, the illumos defaults)
 * covers all of it, and every Linux connect() without an explicit bind
 * then fails with EADDRNOTAVAIL. So either give xtcp a range outside
 * Linux's (61000-65535 with the defaults) or narrow ip_local_port_range;
 * reserve_ports_linux_left() tells the caller how many Linux keeps, so it
 * can refuse or warn. The caller passes the range; nothing here picks one.
 *
 * The sysctl holds a comma-separated list of ports and ranges
 * ("1000,8000-8080"); the kernel keeps it as a 65536-bit map, and so do we.
 */
#ifndef XTCP_DAEMON_RESERVE_PORTS_H
#define XTCP_DAEMON_RESERVE_PORTS_H

#include <stddef.h>
#include <stdint.h>

#define RP_SYSCTL_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define RP_RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"

struct rp_set {
	uint64_t w[65536 / 64]; /* bit p set: port p is in the set */
};

/*
 * Parse the sysctl's text ("", "1,2,10-20", whitespace and a newline
 * around it allowed) into @set. -EINVAL for anything else: empty items,
 * a port above 65535, a range whose start exceeds its end, stray
 * characters.
 */
int rp_parse(const char *s, struct rp_set *set);
/* Add or remove ports @lo..@hi (inclusive; -EINVAL if lo > hi). */
int rp_add(struct rp_set *set, uint16_t lo, uint16_t hi);
int rp_del(struct rp_set *set, uint16_t lo, uint16_t hi);
int rp_test(const struct rp_set *set, uint16_t port);
/*
 * Format as the kernel does ("1,2,10-20", runs as ranges, no newline).
 * Returns the length written (NUL excluded) or -ENOSPC.
 * RP_FMT_MAX is enough for any set.
 */
#define RP_FMT_MAX (65536 / 2 * 6 + 1)
int rp_format(const struct rp_set *set, char *buf, size_t cap);

struct reserve_ports {
	char path[256]; /* the sysctl file (injectable for tests) */
	char range_path[256]; /* ip_local_port_range */
	char *saved; /* its text before reserve_ports_apply() */
	uint16_t lo, hi; /* what we reserved */
	struct rp_set added; /* ports we added (not reserved before) */
	int active;
};

/*
 * Reserve @lo..@hi: read the file at @path (NULL: RP_SYSCTL_PATH), merge
 * our range into what is there and write it back. The previous text is
 * kept for reserve_ports_restore(). @range_path (NULL: RP_RANGE_PATH) is
 * only read by reserve_ports_linux_left(). Errors: -EINVAL (bad range or
 * malformed file content, which is left untouched), -EALREADY, or the
 * errno of the file access.
 */
int reserve_ports_apply(struct reserve_ports *rp, const char *path,
			const char *range_path, uint16_t lo, uint16_t hi);

/*
 * Undo reserve_ports_apply(): if the file still holds what we wrote, put
 * the saved text back; if someone changed it since, remove only the ports
 * we added, keeping their change. Idempotent; a no-op if not applied.
 */
int reserve_ports_restore(struct reserve_ports *rp);

/*
 * How many ports of Linux's ephemeral range (ip_local_port_range) are not
 * reserved: 0 means Linux connect() without bind() will fail.
 */
int reserve_ports_linux_left(const struct reserve_ports *rp);

#endif
