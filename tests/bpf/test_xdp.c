// SPDX-License-Identifier: BSD-2-Clause
/*
 * The XDP program (bpf/xtcp.bpf.c) run with BPF_PROG_TEST_RUN on frames built
 * here: its verdict for each kind of frame, and that exactly the right
 * per-CPU counter moves.
 *
 * The maps are pinned by name; the test pins them into a bpffs of its own,
 * mounted in a private mount namespace, so it never touches the machine's
 * /sys/fs/bpf and leaves nothing behind even if it crashes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp/xdp_maps.h"
#include "bpf/xtcp.skel.h"
#include "wire/checksum.h"

/* TCP4(.field = x) overrides the defaults of a designated initializer. */
#pragma GCC diagnostic ignored "-Woverride-init"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define ETH_P_ARP 0x0806
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define FRAME_MAX 512

/* Loaded once for the whole group; each test leaves xtcp_bound empty. */
static struct {
	struct xtcp_bpf *skel;
	int prog_fd;
	int bound_fd;
	int counters_fd;
	int ncpus;
	char pin_root[64]; /* our bpffs, or "" if pinning is off */
	const char *skip_why; /* set when the machine cannot run BPF */
	int load_err; /* set when loading failed for a real reason */
} g;

/* --- frames ------------------------------------------------------------ */

struct spec {
	int family; /* 4 or 6 */
	int vlans; /* 0, 1 or 2 tags */
	uint16_t tpid; /* outer tag's type (0: 802.1Q) */
	uint8_t proto; /* IP protocol */
	const char *src, *dst;
	uint16_t sport, dport;
	int ip4_opt_words; /* IPv4 options, in 32-bit words (0..10) */
	uint16_t frag; /* IPv4 flags+offset, or IPv6 fragment offset+M */
	bool ip6_frag; /* add an IPv6 fragment header */
	bool ip6_opts; /* add hop-by-hop and destination options headers */
	bool bad_csum; /* corrupt the IPv4 header checksum */
	int tcp_doff; /* TCP data offset field in words (0: 5) */
	size_t payload;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static size_t put_eth(uint8_t *p, const struct spec *s, uint16_t type)
{
	static const uint8_t dmac[6] = { 0x02, 0x78, 0x74, 0, 0, 2 };
	static const uint8_t smac[6] = { 0x02, 0x78, 0x74, 0, 0, 1 };
	size_t n = 12;
	int i;

	memcpy(p, dmac, 6);
	memcpy(p + 6, smac, 6);
	for (i = 0; i < s->vlans; i++) {
		put16(p + n, i == 0 && s->tpid ? s->tpid : ETH_P_8021Q);
		put16(p + n + 2, 100 + i); /* VID */
		n += 4;
	}
	put16(p + n, type);
	return n + 2;
}

/*
 * A UDP header, or a 20-byte TCP header whose data offset field says
 * tcp_doff words (so a test can make it lie), then the payload.
 */
static size_t put_l4(uint8_t *p, const struct spec *s)
{
	size_t hlen = s->proto == PROTO_TCP ? 20 : 8;
	size_t i;

	memset(p, 0, hlen);
	put16(p, s->sport);
	put16(p + 2, s->dport);
	if (s->proto == PROTO_TCP) {
		put32(p + 4, 1000); /* seq */
		put32(p + 8, 2000); /* ack */
		p[12] = (s->tcp_doff ? s->tcp_doff : 5) << 4;
		p[13] = 0x10; /* ACK */
		put16(p + 14, 65535);
	} else if (s->proto == PROTO_UDP) {
		put16(p + 4, 8 + s->payload);
	} else {
		p[0] = 128; /* ICMPv6 echo request */
	}
	for (i = 0; i < s->payload; i++)
		p[hlen + i] = (uint8_t)i;
	return hlen + s->payload;
}

/* The transport checksum, so frames are valid beyond what XDP checks. */
static void set_l4_csum(uint8_t *l4, size_t len, uint32_t pseudo, uint8_t proto)
{
	size_t off = proto == PROTO_TCP ? 16 : proto == PROTO_UDP ? 6 : 2;
	uint16_t c;

	if (len < off + 2)
		return;
	memset(l4 + off, 0, 2);
	c = csum_fold(csum_add(pseudo, csum_partial(l4, len, 0)));
	memcpy(l4 + off, &c, 2);
}

static size_t build(const struct spec *s, uint8_t *f)
{
	uint8_t *ip;
	size_t n, hlen, l4len, ext = 0;
	uint16_t c;

	memset(f, 0, FRAME_MAX);
	if (s->family == 4) {
		n = put_eth(f, s, ETH_P_IP);
		ip = f + n;
		hlen = 20 + 4 * s->ip4_opt_words;
		ip[0] = 0x40 | (hlen / 4);
		put16(ip + 4, 0x1234); /* id */
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = s->proto;
		assert_int_equal(inet_pton(AF_INET, s->src, ip + 12), 1);
		assert_int_equal(inet_pton(AF_INET, s->dst, ip + 16), 1);
		/* Options: NOPs then End of Options, as a sender pads them. */
		memset(ip + 20, 1, hlen - 20);
		if (hlen > 20)
			ip[hlen - 1] = 0;
		l4len = put_l4(ip + hlen, s);
		set_l4_csum(ip + hlen, l4len,
			    csum_pseudo_ipv4(ip + 12, ip + 16, s->proto, l4len),
			    s->proto);
		put16(ip + 2, hlen + l4len);
		c = csum_fold(csum_partial(ip, hlen, 0));
		if (s->bad_csum)
			c ^= 0x0100;
		memcpy(ip + 10, &c, 2);
		return n + hlen + l4len;
	}

	n = put_eth(f, s, ETH_P_IPV6);
	ip = f + n;
	ip[0] = 0x60;
	ip[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, s->src, ip + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, s->dst, ip + 24), 1);
	if (s->ip6_opts) {
		/* Hop-by-hop (8 bytes) then destination options (16). */
		ip[6] = 0;
		ip[40] = 60;
		ip[41] = 0;
		ip[42] = 1; /* PadN */
		ip[43] = 4;
		ip[48] = s->ip6_frag ? 44 : s->proto;
		ip[49] = 1;
		ip[50] = 1;
		ip[51] = 12;
		ext = 24;
	} else {
		ip[6] = s->ip6_frag ? 44 : s->proto;
	}
	if (s->ip6_frag) {
		ip[40 + ext] = s->proto;
		put16(ip + 40 + ext + 2, s->frag);
		put32(ip + 40 + ext + 4, 0xabcd);
		ext += 8;
	}
	l4len = put_l4(ip + 40 + ext, s);
	set_l4_csum(ip + 40 + ext, l4len,
		    csum_pseudo_ipv6(ip + 8, ip + 24, s->proto, l4len),
		    s->proto);
	put16(ip + 4, ext + l4len);
	return n + 40 + ext + l4len;
}

static size_t build_arp(uint8_t *f)
{
	static const struct spec s = { 0 };
	size_t n = put_eth(f, &s, ETH_P_ARP);

	memset(f, 0xff, 6); /* broadcast who-has */
	put16(f + n, 1); /* Ethernet */
	put16(f + n + 2, ETH_P_IP);
	f[n + 4] = 6;
	f[n + 5] = 4;
	put16(f + n + 6, 1); /* request */
	memcpy(f + n + 8, f + 6, 6);
	inet_pton(AF_INET, "198.18.0.1", f + n + 14);
	inet_pton(AF_INET, "198.18.0.2", f + n + 24);
	return n + 28;
}

/* --- the program ------------------------------------------------------- */

/* Sum each counter over all possible CPUs. */
static void counters_read(uint64_t out[XTCP_CNT_MAX])
{
	uint64_t *vals = calloc(g.ncpus, sizeof(*vals));
	uint32_t i;
	int c;

	assert_non_null(vals);
	for (i = 0; i < XTCP_CNT_MAX; i++) {
		assert_int_equal(bpf_map_lookup_elem(g.counters_fd, &i, vals),
				 0);
		out[i] = 0;
		for (c = 0; c < g.ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
}

/* Run the program on len bytes; its XDP action, or -errno. */
static int run(const uint8_t *f, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f,
		    .data_size_in = (__u32)len, .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(g.prog_fd, &opts);
	if (err)
		return -errno;
	return (int)opts.retval;
}

/*
 * Run and check both the action and that counter cnt, and no other, went up
 * by exactly one.
 */
static void expect(const uint8_t *f, size_t len, int action, int cnt)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX];
	int i;

	counters_read(before);
	assert_int_equal(run(f, len), action);
	counters_read(after);
	for (i = 0; i < XTCP_CNT_MAX; i++) {
		if (after[i] - before[i] != (uint64_t)(i == cnt)) {
			print_error("counter %d moved by %llu (expected %d)\n",
				    i,
				    (unsigned long long)(after[i] - before[i]),
				    i == cnt);
			fail();
		}
	}
}

static void expect_spec(const struct spec *s, int action, int cnt)
{
	uint8_t f[FRAME_MAX];

	expect(f, build(s, f), action, cnt);
}

static void bind_addr(const char *addr, uint16_t port, uint32_t flags)
{
	struct xtcp_bound_key k = { 0 };
	struct xtcp_bound_val v = { .flags = flags, .id = 1 };

	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, k.addr), 1);
	} else {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, addr, k.addr + 12), 1);
	}
	k.port = htons(port);
	assert_int_equal(bpf_map_update_elem(g.bound_fd, &k, &v, BPF_ANY), 0);
}

/* IPv4 wildcard: ::ffff:0.0.0.0 */
static void bind_any4(uint16_t port)
{
	bind_addr("::ffff:0.0.0.0", port, 0);
}

static void unbind_all(void)
{
	struct xtcp_bound_key k, next;

	while (bpf_map_get_next_key(g.bound_fd, NULL, &next) == 0) {
		k = next;
		assert_int_equal(bpf_map_delete_elem(g.bound_fd, &k), 0);
	}
}

/* --- setup ------------------------------------------------------------- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/*
 * A bpffs of our own: a private mount namespace (so the mount vanishes with
 * the process) and a fresh bpffs instance in a temporary directory.
 */
static bool private_bpffs(void)
{
	struct statfs st;

	if (unshare(CLONE_NEWNS) != 0)
		return false;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return false;
	snprintf(g.pin_root, sizeof(g.pin_root), "/tmp/xtcp-bpftest.XXXXXX");
	if (!mkdtemp(g.pin_root))
		goto fail;
	if (mount("bpf", g.pin_root, "bpf", 0, "mode=0700") != 0) {
		rmdir(g.pin_root);
		goto fail;
	}
	if (statfs(g.pin_root, &st) != 0 || st.f_type != BPF_FS_MAGIC) {
		umount2(g.pin_root, MNT_DETACH);
		rmdir(g.pin_root);
		goto fail;
	}
	return true;
fail:
	g.pin_root[0] = '\0';
	return false;
}

static struct xtcp_bpf *open_skel(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		    .pin_root_path = g.pin_root[0] ? g.pin_root : NULL);
	struct xtcp_bpf *skel = xtcp_bpf__open_opts(&opts);

	if (skel && !g.pin_root[0]) {
		/* No bpffs of our own: never pin into the machine's. */
		bpf_map__set_pin_path(skel->maps.xtcp_counters, NULL);
		bpf_map__set_pin_path(skel->maps.xtcp_bound, NULL);
		bpf_map__set_pin_path(skel->maps.xsks_map, NULL);
	}
	return skel;
}

static int group_setup(void **state)
{
	int fd;

	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0) {
		g.skip_why = "not root";
		return 0;
	}
	/* Can this kernel run BPF at all? A map is the cheapest probe. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0) {
		if (errno == ENOSYS || errno == EPERM) {
			g.skip_why = "BPF unavailable";
			return 0;
		}
	} else {
		close(fd);
	}
	g.ncpus = libbpf_num_possible_cpus();
	if (g.ncpus <= 0)
		return -1;
	if (!private_bpffs())
		fprintf(stderr, "note: no private bpffs, pinning off\n");

	g.skel = open_skel();
	if (!g.skel) {
		g.load_err = -errno;
		return 0;
	}
	g.load_err = xtcp_bpf__load(g.skel);
	if (g.load_err) {
		xtcp_bpf__destroy(g.skel);
		g.skel = NULL;
		return 0;
	}
	g.prog_fd = bpf_program__fd(g.skel->progs.xtcp_xdp);
	g.bound_fd = bpf_map__fd(g.skel->maps.xtcp_bound);
	g.counters_fd = bpf_map__fd(g.skel->maps.xtcp_counters);
	return 0;
}

static const char *const map_names[] = { XTCP_MAP_COUNTERS, XTCP_MAP_BOUND,
					 XTCP_MAP_XSKS };

static int group_teardown(void **state)
{
	char path[128];
	size_t i;

	xtcp_bpf__destroy(g.skel);
	g.skel = NULL;
	if (g.pin_root[0]) {
		for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", g.pin_root,
				 map_names[i]);
			unlink(path);
		}
		umount2(g.pin_root, MNT_DETACH);
		rmdir(g.pin_root);
	}
	return 0;
}

/* Each test: skip if the machine cannot, fail if the program did not load. */
static int test_setup(void **state)
{
	if (g.skel)
		unbind_all();
	return 0;
}

static int test_teardown(void **state)
{
	if (g.skel)
		unbind_all();
	return 0;
}

#define NEED_PROGRAM()                                              \
	do {                                                        \
		if (g.skip_why) {                                   \
			print_message("skipped: %s\n", g.skip_why); \
			skip();                                     \
		}                                                   \
		if (!g.skel) {                                      \
			print_error("program did not load: %s\n",   \
				    strerror(-g.load_err));         \
			fail();                                     \
		}                                                   \
	} while (0)

/* The common case: IPv4 TCP from the link's peer to host 198.18.0.2. */
#define TCP4(...)                            \
	((struct spec){ .family = 4,         \
			.proto = PROTO_TCP,  \
			.src = "198.18.0.1", \
			.dst = "198.18.0.2", \
			.sport = 40000,      \
			.dport = 80,         \
			.payload = 10,       \
			__VA_ARGS__ })
#define TCP6(...)                             \
	((struct spec){ .family = 6,          \
			.proto = PROTO_TCP,   \
			.src = "2001:db8::1", \
			.dst = "2001:db8::2", \
			.sport = 40000,       \
			.dport = 80,          \
			.payload = 10,        \
			__VA_ARGS__ })

/* --- tests ------------------------------------------------------------- */

static void program_loads(void **state)
{
	NEED_PROGRAM();
	assert_true(g.prog_fd >= 0);
}

static void arp_passes(void **state)
{
	uint8_t f[FRAME_MAX];

	NEED_PROGRAM();
	bind_addr("::", 80, 0);
	expect(f, build_arp(f), XDP_PASS, XTCP_CNT_PASS_NOT_IP);
}

static void ipv4_udp_passes(void **state)
{
	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	expect_spec(&TCP4(.proto = PROTO_UDP), XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
}

static void ipv4_tcp_unbound_passes(void **state)
{
	NEED_PROGRAM();
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	/* Another port, and the right port on another address. */
	bind_addr("198.18.0.2", 81, 0);
	bind_addr("198.18.0.3", 80, 0);
	bind_addr("2001:db8::2", 80, 0);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
}

static void ipv4_tcp_bound_without_xsk(void **state)
{
	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	/* A bare SYN, no payload. */
	expect_spec(&TCP4(.payload = 0), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
}

static void ipv4_bad_header_checksum(void **state)
{
	NEED_PROGRAM();
	/* Not ours: the kernel's to count and drop. */
	expect_spec(&TCP4(.bad_csum = true), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	bind_addr("198.18.0.2", 80, 0);
	expect_spec(&TCP4(.bad_csum = true), XDP_DROP,
		    XTCP_CNT_DROP_BAD_IP4_CSUM);
}

/* Every header length from 20 to 60 bytes, good and bad checksums. */
static void ipv4_options_checksum(void **state)
{
	int w;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	for (w = 0; w <= 10; w++) {
		expect_spec(&TCP4(.ip4_opt_words = w), XDP_PASS,
			    XTCP_CNT_PASS_NO_XSK);
		expect_spec(&TCP4(.ip4_opt_words = w, .bad_csum = true),
			    XDP_DROP, XTCP_CNT_DROP_BAD_IP4_CSUM);
	}
}

static void ipv4_fragments_pass(void **state)
{
	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	/* First fragment (MF), a middle and a last one. */
	expect_spec(&TCP4(.frag = 0x2000), XDP_PASS, XTCP_CNT_PASS_FRAG);
	expect_spec(&TCP4(.frag = 0x2000 | 185), XDP_PASS, XTCP_CNT_PASS_FRAG);
	expect_spec(&TCP4(.frag = 370), XDP_PASS, XTCP_CNT_PASS_FRAG);
	/* DF alone is no fragment. */
	expect_spec(&TCP4(.frag = 0x4000), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	/* A first fragment of ours with a broken header is still dropped;
	 * one not ours is not even looked at. */
	expect_spec(&TCP4(.frag = 0x2000, .bad_csum = true), XDP_DROP,
		    XTCP_CNT_DROP_BAD_IP4_CSUM);
	expect_spec(&TCP4(.frag = 0x2000, .dport = 81), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
}

static void ipv4_malformed(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);

	/* Total length beyond the frame. */
	len = build(&TCP4(), f);
	put16(f + 14 + 2, len - 14 + 1);
	expect(f, len, XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	/* IHL below 5. */
	len = build(&TCP4(), f);
	f[14] = 0x44;
	expect(f, len, XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	/* Version 6 in an IPv4 ethertype. */
	len = build(&TCP4(), f);
	f[14] = 0x65;
	expect(f, len, XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	/* TCP data offset below 5 or past the segment: dropped if ours... */
	expect_spec(&TCP4(.tcp_doff = 4), XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	expect_spec(&TCP4(.tcp_doff = 15, .payload = 10), XDP_DROP,
		    XTCP_CNT_DROP_MALFORMED);
	/* (A data offset that covers the payload is just options.) */
	expect_spec(&TCP4(.tcp_doff = 8, .payload = 12), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	/* ...the kernel's business if not. */
	expect_spec(&TCP4(.tcp_doff = 4, .dport = 81), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	/* Ethernet padding after the IP packet is fine. */
	len = build(&TCP4(.payload = 0), f);
	expect(f, len + 6, XDP_PASS, XTCP_CNT_PASS_NO_XSK);
}

/*
 * Every truncation of a frame: the program must neither crash nor misread,
 * and give PASS (counted as some pass) or DROP (counted as malformed).
 * Truncated frames of ours are always dropped: their IP length is a lie.
 */
static void truncate_all(const struct spec *s, bool ours)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX], moved;
	uint8_t f[FRAME_MAX];
	size_t full = build(s, f), len;
	int act = -1, i, which;

	for (len = 0; len <= full; len++) {
		counters_read(before);
		act = run(f, len);
		counters_read(after);
		if (len < 14) {
			/* The kernel refuses test runs shorter than Ethernet. */
			assert_true(act == -EINVAL || act == XDP_DROP);
			if (act < 0)
				continue;
		}
		moved = 0;
		which = -1;
		for (i = 0; i < XTCP_CNT_MAX; i++) {
			moved += after[i] - before[i];
			if (after[i] != before[i])
				which = i;
		}
		if (moved != 1) {
			print_error("len %zu: %llu counters moved\n", len,
				    (unsigned long long)moved);
			fail();
		}
		if (act == XDP_DROP) {
			assert_int_equal(which, XTCP_CNT_DROP_MALFORMED);
		} else {
			assert_int_equal(act, XDP_PASS);
			assert_true(
				which < XTCP_CNT_PASS_NO_XSK ||
				(which == XTCP_CNT_PASS_NO_XSK && len == full));
		}
		if (ours && len < full)
			assert_int_equal(act, XDP_DROP);
	}
	/* The whole frame is ours and good. */
	if (ours)
		assert_int_equal(act, XDP_PASS);
}

static void truncated_frames(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t full, len;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	bind_addr("2001:db8::2", 80, 0);
	truncate_all(&TCP4(), true);
	truncate_all(&TCP4(.ip4_opt_words = 10), true);
	truncate_all(&TCP4(.vlans = 1), true);
	truncate_all(&TCP6(), true);
	truncate_all(&TCP6(.ip6_opts = true, .vlans = 1), true);
	truncate_all(&TCP4(.dport = 81), false);
	truncate_all(&TCP6(.dport = 81), false);
	truncate_all(&TCP4(.proto = PROTO_UDP), false);

	full = build_arp(f);
	for (len = 14; len <= full; len++)
		expect(f, len, XDP_PASS, XTCP_CNT_PASS_NOT_IP);
}

static void ipv6_tcp(void **state)
{
	NEED_PROGRAM();
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	bind_addr("2001:db8::2", 80, 0);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.dport = 81), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(.dst = "2001:db8::3"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	/* ICMPv6 (neighbour discovery lives there) is the kernel's. */
	expect_spec(&TCP6(.proto = PROTO_ICMPV6), XDP_PASS,
		    XTCP_CNT_PASS_NOT_TCP);
	expect_spec(&TCP6(.proto = PROTO_UDP), XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	/* Malformed: TCP data offset past the segment. */
	expect_spec(&TCP6(.tcp_doff = 15), XDP_DROP, XTCP_CNT_DROP_MALFORMED);
}

static void ipv6_extension_headers(void **state)
{
	NEED_PROGRAM();
	bind_addr("2001:db8::2", 80, 0);
	expect_spec(&TCP6(.ip6_opts = true), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.ip6_opts = true, .dport = 81), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	/* Fragments: first (M set), later (offset), and an atomic one. */
	expect_spec(&TCP6(.ip6_frag = true, .frag = 1), XDP_PASS,
		    XTCP_CNT_PASS_FRAG);
	expect_spec(&TCP6(.ip6_frag = true, .frag = 8 << 3), XDP_PASS,
		    XTCP_CNT_PASS_FRAG);
	expect_spec(&TCP6(.ip6_frag = true, .ip6_opts = true, .frag = 1),
		    XDP_PASS, XTCP_CNT_PASS_FRAG);
	expect_spec(&TCP6(.ip6_frag = true, .frag = 0), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.ip6_frag = true, .proto = PROTO_ICMPV6), XDP_PASS,
		    XTCP_CNT_PASS_NOT_TCP);
}

static void wildcard_bindings(void **state)
{
	NEED_PROGRAM();
	/* "::" takes every address, IPv4 and IPv6. */
	bind_addr("::", 80, 0);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP4(.dst = "198.19.7.9"), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.dst = "2001:db8:ff::77"), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.dport = 81), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	/* ...but not multicast, broadcast or IPv4-mapped on the wire. */
	expect_spec(&TCP4(.dst = "224.0.0.1"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP4(.dst = "255.255.255.255"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(.dst = "ff02::1"), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(.dst = "::ffff:198.18.0.2"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	unbind_all();

	/* IPV6_V6ONLY: "::" for IPv6 only. */
	bind_addr("::", 80, XTCP_BOUND_V6ONLY);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	unbind_all();

	/* ::ffff:0.0.0.0: any IPv4 address, no IPv6. */
	bind_any4(80);
	expect_spec(&TCP4(.dst = "198.18.200.1"), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
}

static void vlan_tagged(void **state)
{
	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	bind_addr("2001:db8::2", 80, 0);
	expect_spec(&TCP4(.vlans = 1), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP4(.vlans = 1, .bad_csum = true), XDP_DROP,
		    XTCP_CNT_DROP_BAD_IP4_CSUM);
	expect_spec(&TCP4(.vlans = 1, .dport = 81), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(.vlans = 1), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.vlans = 1, .tpid = ETH_P_8021AD), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	/* Stacked tags: not for this program to unwrap. */
	expect_spec(&TCP4(.vlans = 2, .tpid = ETH_P_8021AD), XDP_PASS,
		    XTCP_CNT_PASS_NOT_IP);
}

/* Many frames in a row: the per-CPU counters sum to what was sent. */
static void counters_add_up(void **state)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX];
	uint8_t f4[FRAME_MAX], f6[FRAME_MAX], fa[FRAME_MAX];
	size_t l4, l6, la;
	int i;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	l4 = build(&TCP4(), f4);
	l6 = build(&TCP6(), f6);
	la = build_arp(fa);
	counters_read(before);
	for (i = 0; i < 100; i++) {
		assert_int_equal(run(f4, l4), XDP_PASS);
		assert_int_equal(run(f6, l6), XDP_PASS);
		assert_int_equal(run(fa, la), XDP_PASS);
	}
	counters_read(after);
	assert_int_equal(after[XTCP_CNT_PASS_NO_XSK] -
				 before[XTCP_CNT_PASS_NO_XSK],
			 100);
	assert_int_equal(after[XTCP_CNT_PASS_NOT_OURS] -
				 before[XTCP_CNT_PASS_NOT_OURS],
			 100);
	assert_int_equal(after[XTCP_CNT_PASS_NOT_IP] -
				 before[XTCP_CNT_PASS_NOT_IP],
			 100);
}

/*
 * The maps are pinned by name under the loader's pin root, and a second
 * load (xtcpd after xdp-loader, say) reuses them instead of making new ones.
 */
static void maps_pinned_by_name(void **state)
{
	struct bpf_map_info a, b;
	__u32 alen = sizeof(a), blen = sizeof(b);
	struct xtcp_bpf *again;
	char path[128];
	size_t i;
	int fd;

	NEED_PROGRAM();
	if (!g.pin_root[0]) {
		print_message("skipped: no private bpffs\n");
		skip();
	}
	for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", g.pin_root, map_names[i]);
		fd = bpf_obj_get(path);
		assert_true(fd >= 0);
		close(fd);
	}
	again = open_skel();
	assert_non_null(again);
	assert_int_equal(xtcp_bpf__load(again), 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(bpf_obj_get_info_by_fd(g.bound_fd, &a, &alen), 0);
	assert_int_equal(
		bpf_obj_get_info_by_fd(bpf_map__fd(again->maps.xtcp_bound), &b,
				       &blen),
		0);
	assert_int_equal(a.id, b.id);
	xtcp_bpf__destroy(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
		T(program_loads),
		T(arp_passes),
		T(ipv4_udp_passes),
		T(ipv4_tcp_unbound_passes),
		T(ipv4_tcp_bound_without_xsk),
		T(ipv4_bad_header_checksum),
		T(ipv4_options_checksum),
		T(ipv4_fragments_pass),
		T(ipv4_malformed),
		T(truncated_frames),
		T(ipv6_tcp),
		T(ipv6_extension_headers),
		T(wildcard_bindings),
		T(vlan_tagged),
		T(counters_add_up),
		T(maps_pinned_by_name),
#undef T
	};

	return cmocka_run_group_tests_name("xdp", tests, group_setup,
					   group_teardown);
}
