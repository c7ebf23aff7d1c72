// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xtcp's XDP program: the receive fast path.
 *
 * It classifies every frame and keeps the kernel's traffic untouched: a TCP
 * segment whose local (address, port) is in xtcp_bound, or whose 4-tuple is
 * in xtcp_flows, belongs to the stack and goes to the AF_XDP socket of its
 * receive queue; so do ICMP errors quoting such a segment. Everything else
 * is XDP_PASS. Frames too broken to tell whose they are (truncated or
 * invalid Ethernet, IP or TCP headers, which the kernel would discard as
 * well) are dropped. Every frame is counted exactly once in a verdict
 * counter of xtcp_counters (events are counted on top).
 *
 * Checksums: the IPv4 header checksum and the TCP checksum of the stack's
 * segments are verified here, so the daemon never sees a corrupt one; a
 * segment whose payload is too long for the bounded loop (see
 * xtcp_l4_csum) goes up unverified, counted as deferred and marked so in
 * its metadata.
 *
 * Fast-path ACKs: a pure in-order ACK of a flow the daemon marked eligible
 * is written into the flow's slot in xtcp_ack_slots and dropped (see the
 * slot protocol in xtcp/xdp_maps.h).
 *
 * The checksum and the ACK absorption are global functions: the verifier
 * checks each once, on its own, instead of once per path through the
 * parsers (VLAN or not, IPv4 or IPv6, flow or bound port), which keeps the
 * program far below the verifier's limits.
 *
 * Fragments are passed to the kernel, which reassembles them: a later
 * fragment carries no ports, so it cannot be classified here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xtcp/xdp_maps.h"

/* UAPI macros that BTF (and so vmlinux.h) cannot carry. */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define IP6_MF 0x0001
#define IP6_OFFSET 0xFFF8
#define PROTO_ICMPV6 58

#define IP4_HLEN_MIN 20
#define IP4_HLEN_MAX 60
#define IP6_HLEN 40
#define TCP_HLEN_MIN 20
#define TCP_HLEN_MAX 60
#define ICMP_HLEN 8
/* IPv6 extension headers walked before giving up (and passing). */
#define IP6_EXT_MAX 6
/* Where a transport header can start: VLAN tag, IPv6 and its headers. */
#define L4_OFF_MAX 16384

/* TCP flags, byte 13 of the header. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/*
 * The payload checksum: 16 chunks of 256 bytes and the pieces of the rest
 * cover the single-buffer veth MTU (3506) with room to spare; a longer
 * payload is left to userspace.
 */
#define CSUM_CHUNK 256
#define CSUM_CHUNKS 16
#define CSUM_PAYLOAD_MAX (CSUM_CHUNK * CSUM_CHUNKS + CSUM_CHUNK - 1)

#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#define barrier() asm volatile("" ::: "memory")

/*
 * Tunables, fixed at load time (the loader sets them in the skeleton's
 * rodata before loading): the verifier prunes what they switch off.
 */
/* Verify TCP checksums; off, every segment goes up marked unverified. */
const volatile bool verify_tcp_csum = true;
/* Absorb pure in-order ACKs of eligible flows (needs verify_tcp_csum). */
const volatile bool absorb_acks = true;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XTCP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xtcp_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTCP_BOUND_MAX);
	__type(key, struct xtcp_bound_key);
	__type(value, struct xtcp_bound_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xtcp_bound SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XTCP_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XTCP_FLOWS_MAX);
	__type(key, struct xtcp_flow_key);
	__type(value, struct xtcp_flow_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xtcp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XTCP_ACK_SLOTS_MAX);
	__type(key, __u32);
	__type(value, struct xtcp_ack_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xtcp_ack_slots SEC(".maps");

/* An 802.1Q/802.1ad tag as it follows the MAC addresses. */
struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&xtcp_counters, &idx);

	/* Per-CPU slot: no other writer, no atomics needed. */
	if (c)
		*c += 1;
}

static __always_inline int verdict(int action, __u32 idx)
{
	count(idx);
	return action;
}

/* Sequence number comparisons, modulo 2^32. */
static __always_inline bool seq_gt(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

static __always_inline bool seq_leq(__u32 a, __u32 b)
{
	return (__s32)(a - b) <= 0;
}

static __always_inline bool seq_lt(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* A ones' complement sum folded to 16 bits. */
static __always_inline __u32 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Is key (exact address, port) bound, or a wildcard for that port? The key's
 * address is clobbered.
 */
static __always_inline bool is_bound(struct xtcp_bound_key *key, bool ip4)
{
	struct xtcp_bound_val *v;

	if (bpf_map_lookup_elem(&xtcp_bound, key))
		return true;
	__builtin_memset(key->addr, 0, sizeof(key->addr));
	if (ip4) {
		/* ::ffff:0.0.0.0, an AF_INET socket bound to INADDR_ANY. */
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		if (bpf_map_lookup_elem(&xtcp_bound, key))
			return true;
		key->addr[10] = 0;
		key->addr[11] = 0;
	}
	v = bpf_map_lookup_elem(&xtcp_bound, key);
	if (!v)
		return false;
	return !(ip4 && (v->flags & XTCP_BOUND_V6ONLY));
}

/*
 * Is this 4-tuple the stack's: a flow, or its local (address, port) bound?
 * *flow is the flow's entry, or NULL when only the binding matched.
 */
static __always_inline bool is_ours(struct xtcp_flow_key *fk, bool ip4,
				    struct xtcp_flow_val **flow)
{
	struct xtcp_bound_key bk = {};

	*flow = bpf_map_lookup_elem(&xtcp_flows, fk);
	if (*flow)
		return true;
	__builtin_memcpy(bk.addr, fk->laddr, sizeof(bk.addr));
	bk.port = fk->lport;
	return is_bound(&bk, ip4);
}

/* ::ffff:a.b.c.d from an IPv4 address as it is on the wire. */
static __always_inline void map4(__u8 *dst, const void *src)
{
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(&dst[12], src, 4);
}

/*
 * The IPv4 header checksum over hlen (20..60) bytes: the ones' complement
 * sum of a correct header, its checksum field included, is 0xffff. Summing
 * native-order words gives the same result in either byte order.
 */
static __always_inline bool ip4_csum_ok(void *l3, void *data_end, __u32 hlen)
{
	__u32 sum = 0, off;
	__u16 *w;
	int i;

	for (i = 0; i < IP4_HLEN_MAX / 2; i++) {
		off = i * 2;
		if (off >= hlen)
			break;
		/* Opaque to LLVM: otherwise it turns the bounds check into
		 * arithmetic on data_end, which the verifier rejects. */
		asm volatile("" : "+r"(off));
		w = l3 + off;
		if ((void *)(w + 1) > data_end)
			return false;
		sum += *w;
	}
	return fold(sum) == 0xffff;
}

/*
 * The TCP header at l4, within seglen bytes of IP payload: at least 20
 * bytes, data offset not below 5 and not past the payload.
 */
static __always_inline bool tcp_ok(void *l4, void *data_end, __u32 seglen)
{
	__u8 *p = l4;
	__u32 doff;

	if (seglen < TCP_HLEN_MIN || (void *)(p + TCP_HLEN_MIN) > data_end)
		return false;
	doff = (p[12] >> 4) * 4;
	return doff >= TCP_HLEN_MIN && doff <= seglen;
}

/*
 * Add the n (a power of two, 4..128) bytes of the payload at pl that the
 * binary decomposition of rem puts there, if rem has bit n. The offset is
 * computed from rem, not carried from piece to piece: the verifier then
 * sees one bounded offset instead of a distinct constant on every path.
 */
#define CSUM_PIECE(n)                                                    \
	do {                                                             \
		if (rem & (n)) {                                         \
			off = rem & ~(2 * (n)-1);                        \
			asm volatile("" : "+r"(off));                    \
			p = pl + off;                                    \
			if (p + (n) > (__u8 *)data_end)                  \
				return -1;                               \
			r = bpf_csum_diff(NULL, 0, (__be32 *)p, (n), 0); \
			if (r < 0)                                       \
				return -1;                               \
			sum += (__u32)r;                                 \
		}                                                        \
	} while (0)

/*
 * The transport checksum of the len bytes at l4_off (hlen of header, then
 * payload), with psum the partial sum of its pseudo-header (0 for none):
 * 1 correct, 0 wrong, -1 not verified here (payload too long, or the
 * helper refused).
 *
 * The payload is summed with bpf_csum_diff: 256-byte chunks in a bounded
 * loop, then the 128..4-byte pieces of the rest, then its last 0..3 bytes
 * by hand (a variable-length bpf_csum_diff over packet data cannot be
 * proven in bounds). Every piece but the last bytes is a multiple of 4
 * long, so each starts at an even offset and its words line up. The header
 * comes last, in a bounded loop of 32-bit words: its exits refine hlen,
 * which would otherwise multiply the payload's paths.
 *
 * Global, so the verifier checks it once whatever the caller's path.
 */
__attribute__((noinline)) int xtcp_l4_csum(struct xdp_md *ctx, __u32 l4_off,
					   __u32 hlen, __u32 len, __u32 psum)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 off, rem, nchunks, i;
	__u64 sum = psum;
	__u8 *l4, *pl, *p;
	__s64 r;

	if (l4_off > L4_OFF_MAX || hlen > TCP_HLEN_MAX || (hlen & 3) ||
	    len < hlen)
		return -1;
	rem = len - hlen;
	if (rem > CSUM_PAYLOAD_MAX)
		return -1;
	l4 = data + l4_off;
	pl = l4 + hlen;

	nchunks = rem / CSUM_CHUNK;
	for (i = 0; i < CSUM_CHUNKS; i++) {
		if (i >= nchunks)
			break;
		off = i * CSUM_CHUNK;
		asm volatile("" : "+r"(off));
		p = pl + off;
		if (p + CSUM_CHUNK > (__u8 *)data_end)
			return -1;
		r = bpf_csum_diff(NULL, 0, (__be32 *)p, CSUM_CHUNK, 0);
		if (r < 0)
			return -1;
		sum += (__u32)r;
	}
	CSUM_PIECE(128);
	CSUM_PIECE(64);
	CSUM_PIECE(32);
	CSUM_PIECE(16);
	CSUM_PIECE(8);
	CSUM_PIECE(4);
	/* An odd last byte is the high byte of a zero-padded word
	 * (RFC 1071), in memory order like every other word. */
	if (rem & 2) {
		off = rem & ~3;
		asm volatile("" : "+r"(off));
		p = pl + off;
		if (p + 2 > (__u8 *)data_end)
			return -1;
		sum += *(__u16 *)p;
	}
	if (rem & 1) {
		off = rem & ~1;
		asm volatile("" : "+r"(off));
		p = pl + off;
		if (p + 1 > (__u8 *)data_end)
			return -1;
		sum += bpf_htons((__u16)p[0] << 8);
	}

	for (i = 0; i < TCP_HLEN_MAX / 4; i++) {
		off = i * 4;
		if (off >= hlen)
			break;
		asm volatile("" : "+r"(off));
		p = l4 + off;
		if (p + 4 > (__u8 *)data_end)
			return -1;
		sum += *(__u32 *)p;
	}
	return fold(sum) == 0xffff;
}

/*
 * A frame of a flow with a slot goes to the daemon: raise the slot's
 * passed_ack to its ack (xdp_maps.h), before the frame is queued. A few
 * tries: XDP on another CPU may raise it too.
 */
static __always_inline void note_passed(__u8 *th, __u32 slot)
{
	__u32 ack = bpf_ntohl(*(__be32 *)(th + 8)), old;
	struct xtcp_ack_slot *s = bpf_map_lookup_elem(&xtcp_ack_slots, &slot);

	/* Beyond what was sent: the engine drops it, window and all. */
	if (!s || seq_gt(ack, READ_ONCE(s->snd_max)))
		return;
	for (int i = 0; i < 4; i++) {
		old = READ_ONCE(s->passed_ack);
		if (!seq_gt(ack, old))
			return;
		if (__sync_val_compare_and_swap(&s->passed_ack, old, ack) ==
		    old)
			return;
	}
}

/*
 * Absorb the pure ACK whose TCP header is at th_off (its checksum verified,
 * no payload, flags ACK or ACK|PSH) into slot: 1 if absorbed (the caller
 * drops it), 0 if it goes to the daemon. The rules and the protocol are in
 * xtcp/xdp_maps.h. Global, so the verifier checks it once.
 */
__attribute__((noinline)) int xtcp_absorb(struct xdp_md *ctx, __u32 th_off,
					  __u32 slot)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 doff, off, i, seq, ack, wnd, tsval = 0, tsecr = 0;
	__u32 c1, flags, rcv_nxt, floor, snd_max, ts_recent, g, una, passed;
	struct xtcp_ack_slot *s;
	bool has_ts = false;
	__u8 *th, *o;
	int ret = 0;

	if (th_off > L4_OFF_MAX)
		return 0;
	th = data + th_off;
	if (th + TCP_HLEN_MIN > (__u8 *)data_end)
		return 0;
	doff = (th[12] >> 4) * 4;
	/* Reserved bits and AE (byte 12), URG, ECE, CWR, SYN, FIN, RST. */
	if ((th[12] & 0x0f) || (th[13] & ~TH_PSH) != TH_ACK)
		return 0;
	wnd = bpf_ntohs(*(__be16 *)(th + 14));
	if (!wnd)
		return 0;

	/* Options: NOP, EOL and one timestamp; anything else (SACK, ...)
	 * is for the daemon. */
	off = TCP_HLEN_MIN;
	for (i = 0; i < TCP_HLEN_MAX - TCP_HLEN_MIN; i++) {
		if (off >= doff)
			break;
		asm volatile("" : "+r"(off));
		o = th + off;
		if (o + 1 > (__u8 *)data_end)
			return 0;
		if (o[0] == 0) /* EOL: the rest is padding */
			break;
		if (o[0] == 1) { /* NOP */
			off++;
			continue;
		}
		if (o[0] != 8 || has_ts || off + 10 > doff)
			return 0;
		if (o + 10 > (__u8 *)data_end || o[1] != 10)
			return 0;
		tsval = bpf_ntohl(*(__be32 *)(o + 2));
		tsecr = bpf_ntohl(*(__be32 *)(o + 6));
		has_ts = true;
		off += 10;
	}
	seq = bpf_ntohl(*(__be32 *)(th + 4));
	ack = bpf_ntohl(*(__be32 *)(th + 8));

	s = bpf_map_lookup_elem(&xtcp_ack_slots, &slot);
	if (!s)
		return 0;

	/* The daemon's half, under its sequence counter. */
	c1 = READ_ONCE(s->ctl_seq);
	if (c1 & 1)
		return 0;
	barrier();
	flags = READ_ONCE(s->flags);
	rcv_nxt = READ_ONCE(s->rcv_nxt);
	floor = READ_ONCE(s->snd_una_floor);
	snd_max = READ_ONCE(s->snd_max);
	ts_recent = READ_ONCE(s->ts_recent);
	if (!(flags & XTCP_SLOT_ELIGIBLE) || seq != rcv_nxt)
		return 0;
	if (has_ts != !!(flags & XTCP_SLOT_TS))
		return 0;
	if (has_ts && (__s32)(tsval - ts_recent) < 0)
		return 0;

	/*
	 * Optimistically: gen, then our last ack, decided on, then gen even to
	 * odd by CAS, which fails if anyone wrote in between. An ACK that is
	 * not absorbed leaves the slot exactly as it was.
	 */
	g = READ_ONCE(s->gen);
	if (g & 1)
		return 0;
	barrier();
	una = READ_ONCE(s->snd_una);
	passed = READ_ONCE(s->passed_ack);
	/* Our last ack counts only inside the daemon's current window; a
	 * stale one (before the floor, or from an earlier use) does not. */
	if (!seq_gt(una, floor) || !seq_leq(una, snd_max))
		una = floor;
	/*
	 * Older than an ACK already taken: no news at all (RFC 9293 3.10.7.4:
	 * SEG.ACK < SND.UNA "can be ignored", and the SND.WL2 rule refuses its
	 * window). ACKs of one flow arrive reordered when the sender's CPUs
	 * feed different receive queues (veth does): drop it here. Equal to
	 * SND.UNA is a duplicate ACK, a loss signal: the daemon's.
	 */
	if (seq_lt(ack, una))
		return 2;
	if (!seq_gt(ack, una) || !seq_leq(ack, snd_max))
		return 0;
	/* Not above a frame the daemon may not have read yet (passed_ack in
	 * xdp_maps.h): this one goes after it, in order. */
	if (!seq_gt(ack, passed))
		return 0;
	if (__sync_val_compare_and_swap(&s->gen, g, g + 1) != g)
		return 0;
	/* After the full barrier of the CAS: did the daemon change its half
	 * while we read it (or since)? Then its new values rule. */
	if (READ_ONCE(s->ctl_seq) != c1)
		goto out;
	WRITE_ONCE(s->snd_una, ack);
	WRITE_ONCE(s->snd_wnd, wnd);
	if (has_ts) {
		WRITE_ONCE(s->ts_val, tsval);
		WRITE_ONCE(s->ts_ecr, tsecr);
	}
	/* We hold gen: the only writer of absorbed. */
	WRITE_ONCE(s->absorbed, s->absorbed + 1);
	ret = 1;
out:
	/* Odd to even; a full barrier, so the fields are seen first. */
	__sync_fetch_and_add(&s->gen, 1);
	return ret;
}

/*
 * Put the metadata in front of a frame going to the stack. Packet pointers
 * are invalid afterwards.
 */
static __always_inline void mark(struct xdp_md *ctx, __u32 flags)
{
	struct xtcp_xdp_meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return; /* no metadata support: userspace verifies */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return;
	m->word = XTCP_META_MAGIC | flags;
}

/* Redirect one of ours to the AF_XDP socket of the queue it came in on. */
static __always_inline int to_stack(struct xdp_md *ctx, __u32 meta)
{
	int act;

	mark(ctx, meta);
	act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		return verdict(act, XTCP_CNT_REDIRECT);
	/* No socket yet (daemon starting, or another queue): the kernel
	 * answers, which is what a host without the listener would do. */
	return verdict(act, XTCP_CNT_PASS_NO_XSK);
}

/* A frame of one of our flows goes to the daemon: first its slot learns
 * its ack (note_passed). */
static __always_inline int tcp_to_stack(struct xdp_md *ctx, __u8 *th,
					__u32 slot, __u32 meta)
{
	if (slot != ~0u && (th[13] & TH_ACK))
		note_passed(th, slot);
	return to_stack(ctx, meta);
}

/*
 * A whole TCP segment of ours, seglen bytes at th_off (header checked by
 * tcp_ok), psum the partial sum of its pseudo-header but the length.
 */
static __always_inline int tcp_in(struct xdp_md *ctx, __u8 *th, __u32 th_off,
				  __u32 seglen, __u64 psum,
				  struct xtcp_flow_val *flow)
{
	__u32 doff = (th[12] >> 4) * 4;
	bool pure_ack;
	__u32 slot;
	int ok;

	slot = flow && (flow->flags & XTCP_FLOW_SLOT) ? flow->slot : ~0u;
	if (!verify_tcp_csum) {
		count(XTCP_CNT_CSUM_DEFERRED);
		return tcp_to_stack(ctx, th, slot, 0);
	}
	/* No SYN, FIN, RST: a pure ACK as the share of absorbed ACKs
	 * counts it (URG, ECE, CWR and PSH are flags of an ACK still). */
	pure_ack = seglen == doff &&
		   (th[13] & (TH_ACK | TH_SYN | TH_FIN | TH_RST)) == TH_ACK;

	psum += bpf_htons(seglen);
	ok = xtcp_l4_csum(ctx, th_off, doff, seglen, fold(psum));
	if (ok < 0) {
		count(XTCP_CNT_CSUM_DEFERRED);
		return tcp_to_stack(ctx, th, slot, 0);
	}
	if (!ok)
		return verdict(XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM);
	if (pure_ack) {
		int a = absorb_acks && slot != ~0u ?
				xtcp_absorb(ctx, th_off, slot) :
				0;

		if (a == 1)
			return verdict(XDP_DROP, XTCP_CNT_ACK_ABSORBED);
		if (a == 2)
			return verdict(XDP_DROP, XTCP_CNT_ACK_STALE);
		count(XTCP_CNT_ACK_TO_STACK);
	}
	return tcp_to_stack(ctx, th, slot, XTCP_META_CSUM_OK);
}

/*
 * An ICMPv4 error at ic (len bytes): ours if the TCP segment it quotes is.
 * Destination unreachable (fragmentation needed among them) and time
 * exceeded; the rest (echo, redirect, ...) is the kernel's.
 */
static __always_inline int icmp4_in(struct xdp_md *ctx, void *l3,
				    void *data_end, __u32 hlen, __u32 len)
{
	struct xtcp_flow_key fk = {};
	struct xtcp_flow_val *flow;
	__u8 *ic = l3 + hlen, *in, *tp;
	__u32 ihl;

	if (len < ICMP_HLEN + IP4_HLEN_MIN + 8 ||
	    (void *)(ic + ICMP_HLEN + IP4_HLEN_MIN) > data_end)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	if (ic[0] != 3 && ic[0] != 11)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	in = ic + ICMP_HLEN;
	ihl = (in[0] & 0x0f) * 4;
	/* The quoted header: IPv4, TCP, a first fragment (it has ports). */
	if ((in[0] >> 4) != 4 || ihl < IP4_HLEN_MIN || in[9] != IPPROTO_TCP ||
	    (bpf_ntohs(*(__be16 *)(in + 6)) & IP_OFFSET))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	if (ICMP_HLEN + ihl + 8 > len)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	tp = in + ihl;
	if ((void *)(tp + 4) > data_end)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	/* It quotes what we sent: its source is our end. */
	map4(fk.laddr, in + 12);
	map4(fk.raddr, in + 16);
	fk.lport = *(__u16 *)tp;
	fk.rport = *(__u16 *)(tp + 2);
	if (!is_ours(&fk, true, &flow))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	if (!ip4_csum_ok(l3, data_end, hlen))
		return verdict(XDP_DROP, XTCP_CNT_DROP_BAD_IP4_CSUM);
	/* Its own checksum (over the quote) is left to userspace. */
	count(XTCP_CNT_ICMP_TO_STACK);
	return to_stack(ctx, 0);
}

/*
 * An ICMPv6 error at ic (len bytes): destination unreachable, packet too
 * big, time exceeded, quoting a TCP segment of ours (the stack sends no
 * extension headers, so TCP follows the quoted header directly). Neighbour
 * discovery, echo and the rest stay with the kernel.
 */
static __always_inline int icmp6_in(struct xdp_md *ctx, __u8 *ic,
				    void *data_end, __u32 len)
{
	struct xtcp_flow_key fk = {};
	struct xtcp_flow_val *flow;
	__u8 *in, *tp;

	if (len < ICMP_HLEN + IP6_HLEN + 8 ||
	    (void *)(ic + ICMP_HLEN + IP6_HLEN + 4) > data_end)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	if (ic[0] != 1 && ic[0] != 2 && ic[0] != 3)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	in = ic + ICMP_HLEN;
	if ((in[0] >> 4) != 6 || in[6] != IPPROTO_TCP)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	tp = in + IP6_HLEN;
	__builtin_memcpy(fk.laddr, in + 8, 16);
	__builtin_memcpy(fk.raddr, in + 24, 16);
	fk.lport = *(__u16 *)tp;
	fk.rport = *(__u16 *)(tp + 2);
	if (!is_ours(&fk, false, &flow))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	count(XTCP_CNT_ICMP_TO_STACK);
	return to_stack(ctx, 0);
}

static __always_inline int handle_ip4(struct xdp_md *ctx, void *l3,
				      __u32 l3_off, void *data_end)
{
	struct xtcp_flow_key fk = {};
	struct xtcp_flow_val *flow;
	struct iphdr *iph = l3;
	__u32 hlen, tot, seglen;
	struct tcphdr *th;
	__u8 *daddr;
	__u64 psum;
	__u16 frag;

	if ((void *)(iph + 1) > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	/* Version and IHL share the first byte; no bitfields, no byte order
	 * questions. */
	if ((*(__u8 *)iph >> 4) != 4)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	hlen = (*(__u8 *)iph & 0x0f) * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (hlen < IP4_HLEN_MIN || tot < hlen || l3 + hlen > data_end ||
	    l3 + tot > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	frag = bpf_ntohs(iph->frag_off);
	if (iph->protocol == IPPROTO_ICMP && !(frag & (IP_OFFSET | IP_MF)))
		return icmp4_in(ctx, l3, data_end, hlen, tot - hlen);
	if (iph->protocol != IPPROTO_TCP)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);

	/* A later fragment has no ports to classify by. */
	if (frag & IP_OFFSET)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);

	/* The ports are what is needed to tell whose it is. */
	th = l3 + hlen;
	seglen = tot - hlen;
	if (seglen < 4 || (void *)th + 4 > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	daddr = (__u8 *)&iph->daddr;
	/* TCP has no multicast or broadcast: leave those to the kernel. */
	if ((daddr[0] & 0xf0) == 0xe0 || iph->daddr == 0xffffffff)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	map4(fk.laddr, daddr);
	map4(fk.raddr, &iph->saddr);
	fk.lport = th->dest;
	fk.rport = th->source;
	if (!is_ours(&fk, true, &flow))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);

	if (!ip4_csum_ok(l3, data_end, hlen))
		return verdict(XDP_DROP, XTCP_CNT_DROP_BAD_IP4_CSUM);
	if (frag & IP_MF)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);
	if (!tcp_ok(th, data_end, seglen))
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	/* Pseudo-header (RFC 9293 3.1): addresses, zero, protocol. */
	psum = (__u64)iph->saddr + iph->daddr + bpf_htons(IPPROTO_TCP);
	return tcp_in(ctx, (__u8 *)th, l3_off + hlen, seglen, psum, flow);
}

static __always_inline int handle_ip6(struct xdp_md *ctx, void *l3,
				      __u32 l3_off, void *data_end)
{
	struct xtcp_flow_key fk = {};
	struct ipv6hdr *ip6 = l3;
	struct xtcp_flow_val *flow;
	bool first_frag = false;
	__u32 off = IP6_HLEN, end;
	__u8 nexthdr, *p;
	struct tcphdr *th;
	__u64 psum = 0;
	__u32 *a;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	if ((*(__u8 *)ip6 >> 4) != 6)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	end = IP6_HLEN + bpf_ntohs(ip6->payload_len);
	if (l3 + end > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	/* Walk the extension headers to TCP (or ICMPv6). */
	nexthdr = ip6->nexthdr;
	for (i = 0; i < IP6_EXT_MAX; i++) {
		if (nexthdr == IPPROTO_TCP || nexthdr == PROTO_ICMPV6)
			break;
		/* Each step adds at most 2048: keep off provably small. */
		if (off > IP6_HLEN + IP6_EXT_MAX * 2048)
			return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
		p = l3 + off;
		if (off + 8 > end || (void *)(p + 8) > data_end)
			return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
		switch (nexthdr) {
		case 0: /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			nexthdr = p[0];
			off += (p[1] + 1) * 8;
			break;
		case 44: { /* fragment */
			__u16 fo = bpf_ntohs(*(__be16 *)(p + 2));

			if (fo & IP6_OFFSET)
				return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);
			first_frag = fo & IP6_MF;
			nexthdr = p[0];
			off += 8;
			break;
		}
		default: /* UDP, ESP, AH, no next header, ... */
			return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
		}
	}
	if (off > IP6_HLEN + IP6_EXT_MAX * 2048)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	if (nexthdr == PROTO_ICMPV6 && !first_frag && off <= end)
		return icmp6_in(ctx, l3 + off, data_end, end - off);
	if (nexthdr != IPPROTO_TCP)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);

	th = l3 + off;
	if (off + 4 > end || (void *)th + 4 > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	/* No TCP to multicast; and an IPv4-mapped destination on the wire
	 * must not match the IPv4 bindings. */
	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff ||
	    (ip6->daddr.in6_u.u6_addr32[0] == 0 &&
	     ip6->daddr.in6_u.u6_addr32[1] == 0 &&
	     ip6->daddr.in6_u.u6_addr32[2] == bpf_htonl(0xffff)))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	__builtin_memcpy(fk.laddr, &ip6->daddr, sizeof(fk.laddr));
	__builtin_memcpy(fk.raddr, &ip6->saddr, sizeof(fk.raddr));
	fk.lport = th->dest;
	fk.rport = th->source;
	if (!is_ours(&fk, false, &flow))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);

	if (first_frag)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);
	if (!tcp_ok(th, data_end, end - off))
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	/* Pseudo-header (RFC 8200 8.1): addresses, then the 32-bit length
	 * (below 2^16: its upper word is zero) and next header. */
	a = (__u32 *)&ip6->saddr;
	for (i = 0; i < 8; i++)
		psum += a[i];
	psum += bpf_htons(IPPROTO_TCP);
	return tcp_in(ctx, (__u8 *)th, l3_off + off, end - off, psum, flow);
}

SEC("xdp")
int xtcp_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	__u32 l3_off = sizeof(*eth);
	void *l3 = eth + 1;
	__be16 proto;

	if (l3 > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	proto = eth->h_proto;
	/* One tag, as a VLAN interface on the NIC would see it untagged;
	 * stacked tags are not the stack's. */
	if (proto == bpf_htons(ETH_P_8021Q) ||
	    proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_tag *tag = l3;

		if ((void *)(tag + 1) > data_end)
			return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
		proto = tag->proto;
		l3 = tag + 1;
		l3_off += sizeof(*tag);
	}
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ip4(ctx, l3, l3_off, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ip6(ctx, l3, l3_off, data_end);
	return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_IP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
