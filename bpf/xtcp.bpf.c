// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xtcp's XDP program: the receive fast path.
 *
 * It classifies every frame and keeps the kernel's traffic untouched: a TCP
 * segment whose local (address, port) is in xtcp_bound belongs to the stack
 * and goes to the AF_XDP socket of its receive queue; everything else is
 * XDP_PASS. Frames too broken to tell whose they are (truncated or invalid
 * Ethernet, IP or TCP headers, which the kernel would discard as well) are
 * dropped. Every frame is counted exactly once in xtcp_counters.
 *
 * Checksums: the IPv4 header checksum of the stack's packets is verified
 * here, so the daemon never sees a corrupt header. The TCP checksum is left
 * to the daemon for now.
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

#define IP4_HLEN_MIN 20
#define IP4_HLEN_MAX 60
#define IP6_HLEN 40
#define TCP_HLEN_MIN 20
/* IPv6 extension headers walked before giving up (and passing). */
#define IP6_EXT_MAX 6

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

/* An 802.1Q/802.1ad tag as it follows the MAC addresses. */
struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

static __always_inline int verdict(int action, __u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&xtcp_counters, &idx);

	/* Per-CPU slot: no other writer, no atomics needed. */
	if (c)
		*c += 1;
	return action;
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
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
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

/* Redirect one of ours to the AF_XDP socket of the queue it came in on. */
static __always_inline int to_stack(struct xdp_md *ctx)
{
	int act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

	if (act == XDP_REDIRECT)
		return verdict(act, XTCP_CNT_REDIRECT);
	/* No socket yet (daemon starting, or another queue): the kernel
	 * answers, which is what a host without the listener would do. */
	return verdict(act, XTCP_CNT_PASS_NO_XSK);
}

static __always_inline int handle_ip4(struct xdp_md *ctx, void *l3,
				      void *data_end)
{
	struct xtcp_bound_key key = {};
	struct iphdr *iph = l3;
	struct tcphdr *th;
	__u32 hlen, tot;
	__u16 frag;
	__u8 *daddr;

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
	if (iph->protocol != IPPROTO_TCP)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);

	frag = bpf_ntohs(iph->frag_off);
	/* A later fragment has no ports to classify by. */
	if (frag & IP_OFFSET)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);

	/* The ports are what is needed to tell whose it is. */
	th = l3 + hlen;
	if (tot - hlen < 4 || (void *)th + 4 > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	daddr = (__u8 *)&iph->daddr;
	/* TCP has no multicast or broadcast: leave those to the kernel. */
	if ((daddr[0] & 0xf0) == 0xe0 || iph->daddr == 0xffffffff)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	key.addr[10] = 0xff;
	key.addr[11] = 0xff;
	__builtin_memcpy(&key.addr[12], daddr, 4);
	key.port = th->dest;
	if (!is_bound(&key, true))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);

	if (!ip4_csum_ok(l3, data_end, hlen))
		return verdict(XDP_DROP, XTCP_CNT_DROP_BAD_IP4_CSUM);
	if (frag & IP_MF)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);
	if (!tcp_ok(th, data_end, tot - hlen))
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	return to_stack(ctx);
}

static __always_inline int handle_ip6(struct xdp_md *ctx, void *l3,
				      void *data_end)
{
	struct xtcp_bound_key key = {};
	struct ipv6hdr *ip6 = l3;
	bool first_frag = false;
	__u32 off = IP6_HLEN, end;
	__u8 nexthdr, *p;
	struct tcphdr *th;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	if ((*(__u8 *)ip6 >> 4) != 6)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	end = IP6_HLEN + bpf_ntohs(ip6->payload_len);
	if (l3 + end > data_end)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

	/* Walk the extension headers to TCP. */
	nexthdr = ip6->nexthdr;
	for (i = 0; i < IP6_EXT_MAX; i++) {
		if (nexthdr == IPPROTO_TCP)
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
		default: /* ICMPv6, UDP, ESP, AH, no next header, ... */
			return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
		}
	}
	if (nexthdr != IPPROTO_TCP)
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	if (off > IP6_HLEN + IP6_EXT_MAX * 2048)
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);

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
	__builtin_memcpy(key.addr, &ip6->daddr, sizeof(key.addr));
	key.port = th->dest;
	if (!is_bound(&key, false))
		return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_OURS);

	if (first_frag)
		return verdict(XDP_PASS, XTCP_CNT_PASS_FRAG);
	if (!tcp_ok(th, data_end, end - off))
		return verdict(XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	return to_stack(ctx);
}

SEC("xdp")
int xtcp_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
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
	}
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ip4(ctx, l3, data_end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ip6(ctx, l3, data_end);
	return verdict(XDP_PASS, XTCP_CNT_PASS_NOT_IP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
