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
#define XTCP_MAP_FLOWS "xtcp_flows"
#define XTCP_MAP_ACK_SLOTS "xtcp_ack_slots"

#define XTCP_PIN_ROOT "/sys/fs/bpf/xtcp"

/* Capacities, fixed at load time. */
#define XTCP_BOUND_MAX 4096 /* bound (address, port) pairs */
#define XTCP_XSKS_MAX 64 /* AF_XDP sockets: one per receive queue */
#define XTCP_FLOWS_MAX 131072 /* connections XDP knows by 4-tuple */
#define XTCP_ACK_SLOTS_MAX 65536 /* connections with a fast-path ACK slot */

/*
 * xtcp_counters: a per-CPU array of __u64 packet counts.
 *
 * The first XTCP_CNT_VERDICTS slots are verdicts: every frame the program
 * sees is counted in exactly one of them, so they sum to the number of
 * frames. The slots after them are events, counted on top of a verdict
 * (an ICMP error sent to the stack is also a REDIRECT or PASS_NO_XSK).
 *
 * Share of ACKs absorbed = (ACK_ABSORBED + ACK_STALE) /
 * (ACK_ABSORBED + ACK_STALE + ACK_TO_STACK).
 *
 * Scripts read the names from this enum, in order: one enumerator a line,
 * new ones appended before XTCP_CNT_MAX.
 */
enum xtcp_counter {
	XTCP_CNT_PASS_NOT_IP, /* not IPv4/IPv6 (ARP, LLDP, QinQ, ...) */
	XTCP_CNT_PASS_NOT_TCP, /* IP, not TCP nor an ICMP error of ours */
	XTCP_CNT_PASS_NOT_OURS, /* TCP to an (address, port) not bound */
	XTCP_CNT_PASS_FRAG, /* a fragment: the kernel reassembles */
	XTCP_CNT_PASS_NO_XSK, /* ours, but no socket on this rx queue */
	XTCP_CNT_REDIRECT, /* ours: sent to the AF_XDP socket */
	XTCP_CNT_DROP_BAD_IP4_CSUM, /* ours, IPv4 header checksum wrong */
	XTCP_CNT_DROP_MALFORMED, /* truncated or invalid L2/IP/TCP header */
	XTCP_CNT_DROP_BAD_TCP_CSUM, /* ours, TCP checksum wrong */
	XTCP_CNT_ACK_ABSORBED, /* pure in-order ACK written to its slot */
	XTCP_CNT_ACK_STALE, /* pure ACK older than one absorbed: dropped */
	/* Events (not verdicts) from here on. */
	XTCP_CNT_ACK_TO_STACK, /* a pure ACK of ours not absorbed */
	XTCP_CNT_CSUM_DEFERRED, /* sent to the stack with checksum unchecked */
	XTCP_CNT_ICMP_TO_STACK, /* ICMP error quoting a flow or bound port */
	XTCP_CNT_MAX
};

#define XTCP_CNT_VERDICTS (XTCP_CNT_ACK_STALE + 1)

/* The counters' names, in enum order, for tools that print them. */
#define XTCP_CNT_NAMES                                                 \
	"PASS_NOT_IP", "PASS_NOT_TCP", "PASS_NOT_OURS", "PASS_FRAG",   \
		"PASS_NO_XSK", "REDIRECT", "DROP_BAD_IP4_CSUM",        \
		"DROP_MALFORMED", "DROP_BAD_TCP_CSUM", "ACK_ABSORBED", \
		"ACK_STALE", "ACK_TO_STACK", "CSUM_DEFERRED", "ICMP_TO_STACK"

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

/*
 * xtcp_flows: a hash of the stack's connections by 4-tuple, seen from this
 * host (local = the packet's destination). It is what classifies the
 * segments of connections that have no xtcp_bound entry (active opens), and
 * it names the connection's fast-path ACK slot. IPv4 addresses are
 * IPv4-mapped, as in xtcp_bound. 36 bytes, no padding.
 */
struct xtcp_flow_key {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport; /* network byte order */
	__u16 rport; /* network byte order */
};

/* xtcp_flows value flags. */
#define XTCP_FLOW_SLOT 0x1 /* slot is valid; without it: classify only */

struct xtcp_flow_val {
	__u32 slot; /* index into xtcp_ack_slots */
	__u32 flags;
};

/*
 * xtcp_ack_slots: an mmap-able array (BPF_F_MMAPABLE) of one slot per
 * connection, shared by XDP and the daemon without a lock (an mmap-able map
 * cannot hold a bpf_spin_lock). Each field has exactly one writer; each
 * half is guarded by its writer's sequence counter, odd while it writes.
 *
 * Daemon half (XDP reads only):
 *   The daemon writes: ctl_seq += 1 (odd); the fields; ctl_seq += 1
 *   (even), both increments atomic read-modify-writes (full barriers).
 *   XDP uses the fields only if it saw the same even ctl_seq before and
 *   after reading them; otherwise it leaves the ACK to the daemon.
 *
 * XDP half (the daemon reads only):
 *   An XDP program reads gen (even, else it leaves the ACK to the daemon)
 *   and snd_una, decides, then takes the half with a compare-and-swap of
 *   gen from that even value to odd: it fails if anyone wrote since, so
 *   two CPUs never write one slot (the loser hands its ACK to the daemon)
 *   and an ACK not absorbed leaves the slot exactly as it was. It then
 *   re-checks ctl_seq, writes the fields and adds 1 to gen (even again);
 *   both are atomic read-modify-writes (full barriers).
 *   The daemon reads gen (retry while odd), the fields, then gen again;
 *   equal means a consistent snapshot, else it retries (a bounded number
 *   of times: XDP holds gen odd for a few instructions).
 *
 * XDP absorbs a segment (updates the slot and drops it) only if all hold:
 *   - the flow has a slot and ELIGIBLE is set, ctl_seq stable;
 *   - flags are ACK, or ACK|PSH (PSH means nothing without data); no
 *     SYN/FIN/RST/URG/ECE/CWR and no reserved bits (AE);
 *   - no payload, checksum verified, window field not zero (a closing
 *     window starts the daemon's persist logic);
 *   - options only NOP, EOL and a timestamp, which is present exactly if
 *     TS is set, and whose TSval is not older than ts_recent (PAWS);
 *     SACK or any other option goes to the daemon;
 *   - seq == rcv_nxt;
 *   - una < ack <= snd_max, where una is the slot's snd_una if that lies
 *     in (snd_una_floor, snd_max], else snd_una_floor. A duplicate ACK
 *     or a window update (ack == una) goes to the daemon: it may end a
 *     zero window or signal loss.
 *
 * Publishing: while no xtcp_flows entry names a slot, no XDP program can
 * be in it, and the daemon owns the whole slot: it resets the XDP half
 * (gen += 2, snd_una = SND.UNA, absorbed = 0, ...), writes its own half,
 * and only then adds the flow entry.
 *
 * Disabling: after clearing ELIGIBLE the daemon waits for gen to be even
 * and reads a snapshot; no ACK is absorbed after that (an XDP program that
 * raced it either sees the new ctl_seq and backs out, or held gen odd when
 * the daemon looked, so its write is in the snapshot).
 *
 * Reusing a slot: the daemon deletes the xtcp_flows entry first and does
 * not hand the slot to another connection until every XDP run that may
 * have looked up the old entry is over (quarantine it for a second).
 *
 * The XDP side orders its plain loads by program order, which x86-64
 * (the target, TSO) keeps; its atomic read-modify-writes are full
 * barriers on every JIT.
 *
 * Sequence numbers, windows and timestamps are in host byte order.
 * 64 bytes, one cache line.
 */
#define XTCP_SLOT_ELIGIBLE 0x1 /* flags: XDP may absorb this flow's ACKs */
#define XTCP_SLOT_TS 0x2 /* flags: timestamps negotiated (RFC 7323) */

struct xtcp_ack_slot {
	/* Written by the daemon. */
	__u32 ctl_seq; /* odd while the daemon writes this half */
	__u32 flags; /* XTCP_SLOT_* */
	__u32 rcv_nxt; /* the seq of an in-order pure ACK */
	__u32 snd_una_floor; /* SND.UNA as the daemon last knew it */
	__u32 snd_max; /* highest seq sent + 1: an ACK must be <= this */
	__u32 ts_recent; /* PAWS: TSval older than this goes to the daemon */
	__u8 wscale; /* the peer's window shift, for snd_wnd */
	__u8 ctl_pad[7];
	/* Written by XDP. */
	__u32 gen; /* odd while XDP writes this half */
	__u32 snd_una; /* ack of the latest absorbed ACK */
	__u32 snd_wnd; /* its raw (unscaled) window field */
	__u32 ts_val; /* its TSval, if it had a timestamp */
	__u32 ts_ecr; /* its TSecr, if it had a timestamp */
	__u32 absorbed; /* ACKs absorbed since publication, wrapping */
	/*
	 * The highest ack of this flow's frames XDP sent to the daemon. An
	 * ACK is absorbed only above it: the daemon may apply the slot
	 * before it reads frames that were queued earlier, and one of those
	 * carrying the same ack (a zero window, say) would then be taken as
	 * newer and its window would replace the slot's.
	 */
	__u32 passed_ack;
	__u32 xdp_pad[1];
} __attribute__((aligned(64)));

/*
 * Frame metadata: when the driver supports it, XDP puts this in front of
 * each frame it sends to the stack (the 4 bytes before the packet; with
 * AF_XDP, before the descriptor's address). It tells userspace whether the
 * transport checksum was verified: if it was not, or the metadata is
 * absent (magic wrong), userspace verifies it.
 */
#define XTCP_META_MAGIC 0x78740000 /* "xt" in the upper half */
#define XTCP_META_CSUM_OK 0x1 /* TCP checksum verified by XDP */

struct xtcp_xdp_meta {
	__u32 word; /* XTCP_META_MAGIC | XTCP_META_* flags */
};

#endif
