/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The maps shared by the XDP program (bpf/xtcp.bpf.c) and userspace: their
 * names, keys, values and the counter indexes.
 *
 * Fixed-width types only and no includes: the BPF side gets __u8..__u64 from
 * vmlinux.h, userspace from <linux/types.h>, included before this header.
 *
 * All maps are pinned by name, under /sys/fs/bpf/xtcp/ when the loader sets
 * that pin root, so the daemon finds them whoever attached the program.
 */
#ifndef XTCP_XDP_MAPS_H
#define XTCP_XDP_MAPS_H

/* Map names, as pinned (at most 15 characters: BPF_OBJ_NAME_LEN - 1). */
#define XTCP_MAP_COUNTERS "xtcp_counters"
#define XTCP_MAP_BOUND "xtcp_bound"
#define XTCP_MAP_XSKS "xsks_map"

#define XTCP_PIN_ROOT "/sys/fs/bpf/xtcp"

/* Capacities, fixed at load time. */
#define XTCP_BOUND_MAX 4096 /* bound (address, port) pairs */
#define XTCP_XSKS_MAX 64 /* AF_XDP sockets: one per receive queue */

/*
 * xtcp_counters: a per-CPU array of __u64 packet counts, one slot per
 * verdict reason. Every frame the program sees is counted exactly once, so
 * the slots sum to the number of frames.
 */
enum xtcp_counter {
	XTCP_CNT_PASS_NOT_IP, /* not IPv4/IPv6 (ARP, LLDP, QinQ, ...) */
	XTCP_CNT_PASS_NOT_TCP, /* IP, but not TCP (ICMP, UDP, ESP, ...) */
	XTCP_CNT_PASS_NOT_OURS, /* TCP to an (address, port) not bound */
	XTCP_CNT_PASS_FRAG, /* a fragment: the kernel reassembles */
	XTCP_CNT_PASS_NO_XSK, /* ours, but no socket on this rx queue */
	XTCP_CNT_REDIRECT, /* ours: sent to the AF_XDP socket */
	XTCP_CNT_DROP_BAD_IP4_CSUM, /* ours, IPv4 header checksum wrong */
	XTCP_CNT_DROP_MALFORMED, /* truncated or invalid L2/IP/TCP header */
	XTCP_CNT_MAX
};

/*
 * xtcp_bound key: a local (address, port) the stack owns. IPv4 addresses
 * are IPv4-mapped (::ffff:a.b.c.d). Wildcards:
 *   ::ffff:0.0.0.0  any IPv4 address
 *   ::              any address, IPv4 and IPv6 (unless XTCP_BOUND_V6ONLY)
 * A packet matches its exact address first, then the wildcards.
 */
struct xtcp_bound_key {
	__u8 addr[16];
	__u16 port; /* network byte order */
	__u16 pad; /* zero: part of the hash key */
};

/* xtcp_bound value flags. */
#define XTCP_BOUND_V6ONLY 0x1 /* "::" matches IPv6 only (IPV6_V6ONLY) */

struct xtcp_bound_val {
	__u32 flags;
	__u32 id; /* the daemon's listener id; XDP does not use it */
};

#endif
