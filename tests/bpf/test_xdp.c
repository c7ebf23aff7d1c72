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
#include <pthread.h>
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
#include "io/fastpath.h"

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

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* Room for a segment as big as single-buffer XDP on veth takes (MTU 3506). */
#define FRAME_MAX 4096
#define VETH_MTU_MAX 3506

/* Slots [0, SLOTS_USED) are the tests' and zeroed between tests. */
#define SLOTS_USED 16

/* Loaded once for the whole group; each test leaves xtcp_bound and
 * xtcp_flows empty. */
static struct {
	struct xtcp_bpf *skel;
	int prog_fd;
	int bound_fd;
	int counters_fd;
	int flows_fd;
	int slots_fd;
	struct xfp fp; /* the mmapped xtcp_ack_slots */
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
	int tcp_doff; /* TCP data offset field in words (0: 5 + options) */
	size_t payload;
	/* TCP header fields (TCP4() and TCP6() set defaults). */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opts; /* TCP options, optlen bytes (a multiple of 4) */
	size_t optlen;
	bool bad_tcp_csum; /* corrupt the TCP (UDP, ICMP) checksum */
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
	size_t hlen = s->proto == PROTO_TCP ? 20 + s->optlen : (size_t)8;
	size_t i;

	memset(p, 0, hlen);
	put16(p, s->sport);
	put16(p + 2, s->dport);
	if (s->proto == PROTO_TCP) {
		put32(p + 4, s->seq);
		put32(p + 8, s->ack);
		p[12] = (s->tcp_doff ? s->tcp_doff : 5 + (int)s->optlen / 4)
			<< 4;
		p[13] = s->flags;
		put16(p + 14, s->win);
		if (s->optlen)
			memcpy(p + 20, s->opts, s->optlen);
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

/* Flip one bit of the transport checksum. */
static void spoil_l4_csum(uint8_t *l4, uint8_t proto)
{
	l4[proto == PROTO_TCP ? 17 : proto == PROTO_UDP ? 7 : 3] ^= 0x20;
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
		if (s->bad_tcp_csum)
			spoil_l4_csum(ip + hlen, s->proto);
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
	if (s->bad_tcp_csum)
		spoil_l4_csum(ip + 40 + ext, s->proto);
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
 * Check that of the counters [from, to) exactly cnt went up, by one (none if
 * cnt is -1).
 */
static void counters_moved(const uint64_t *before, const uint64_t *after,
			   int from, int to, int cnt)
{
	int i;

	for (i = from; i < to; i++) {
		if (after[i] - before[i] != (uint64_t)(i == cnt)) {
			print_error("counter %d moved by %llu (expected %d)\n",
				    i,
				    (unsigned long long)(after[i] - before[i]),
				    i == cnt);
			fail();
		}
	}
}

/*
 * Run and check the action, that verdict counter cnt and no other went up
 * by exactly one, and that event counter ev (-1: none) and no other did.
 */
static void expect_ev(const uint8_t *f, size_t len, int action, int cnt, int ev)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX];

	counters_read(before);
	assert_int_equal(run(f, len), action);
	counters_read(after);
	counters_moved(before, after, 0, XTCP_CNT_VERDICTS, cnt);
	counters_moved(before, after, XTCP_CNT_VERDICTS, XTCP_CNT_MAX, ev);
}

/* The same for the verdict alone: events may move or not. */
static void expect(const uint8_t *f, size_t len, int action, int cnt)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX];

	counters_read(before);
	assert_int_equal(run(f, len), action);
	counters_read(after);
	counters_moved(before, after, 0, XTCP_CNT_VERDICTS, cnt);
}

static void expect_spec_ev(const struct spec *s, int action, int cnt, int ev)
{
	uint8_t f[FRAME_MAX];

	expect_ev(f, build(s, f), action, cnt, ev);
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
		bpf_map__set_pin_path(skel->maps.xtcp_flows, NULL);
		bpf_map__set_pin_path(skel->maps.xtcp_ack_slots, NULL);
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
	g.flows_fd = bpf_map__fd(g.skel->maps.xtcp_flows);
	g.slots_fd = bpf_map__fd(g.skel->maps.xtcp_ack_slots);
	g.load_err = xfp_open(&g.fp, g.slots_fd, g.flows_fd);
	if (g.load_err) {
		xtcp_bpf__destroy(g.skel);
		g.skel = NULL;
	}
	return 0;
}

static const char *const map_names[] = { XTCP_MAP_COUNTERS, XTCP_MAP_BOUND,
					 XTCP_MAP_XSKS, XTCP_MAP_FLOWS,
					 XTCP_MAP_ACK_SLOTS };

static int group_teardown(void **state)
{
	char path[128];
	size_t i;

	xfp_close(&g.fp);
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
/* No flows, and the slots the tests use zeroed. */
static void unflow_all(void)
{
	struct xtcp_flow_key k, next;

	while (bpf_map_get_next_key(g.flows_fd, NULL, &next) == 0) {
		k = next;
		assert_int_equal(bpf_map_delete_elem(g.flows_fd, &k), 0);
	}
	memset(g.fp.slots, 0, SLOTS_USED * sizeof(*g.fp.slots));
}

static int test_setup(void **state)
{
	if (g.skel) {
		unbind_all();
		unflow_all();
	}
	return 0;
}

static int test_teardown(void **state)
{
	if (g.skel) {
		unbind_all();
		unflow_all();
	}
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
			.seq = 1000,         \
			.ack = 2000,         \
			.flags = TH_ACK,     \
			.win = 65535,        \
			__VA_ARGS__ })
#define TCP6(...)                             \
	((struct spec){ .family = 6,          \
			.proto = PROTO_TCP,   \
			.src = "2001:db8::1", \
			.dst = "2001:db8::2", \
			.sport = 40000,       \
			.dport = 80,          \
			.payload = 10,        \
			.seq = 1000,          \
			.ack = 2000,          \
			.flags = TH_ACK,      \
			.win = 65535,         \
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
static void truncate_frame(const uint8_t *f, size_t full, bool ours,
			   int full_act, int full_cnt)
{
	uint64_t before[XTCP_CNT_MAX], after[XTCP_CNT_MAX], moved;
	size_t len;
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
		for (i = 0; i < XTCP_CNT_VERDICTS; i++) {
			moved += after[i] - before[i];
			if (after[i] != before[i])
				which = i;
		}
		if (moved != 1) {
			print_error("len %zu: %llu counters moved\n", len,
				    (unsigned long long)moved);
			fail();
		}
		if (len == full && ours) {
			assert_int_equal(act, full_act);
			assert_int_equal(which, full_cnt);
		} else if (act == XDP_DROP) {
			assert_int_equal(which, XTCP_CNT_DROP_MALFORMED);
		} else {
			assert_int_equal(act, XDP_PASS);
			assert_true(which < XTCP_CNT_PASS_NO_XSK);
		}
		if (ours && len < full)
			assert_int_equal(act, XDP_DROP);
	}
}

static void truncate_all(const struct spec *s, bool ours)
{
	uint8_t f[FRAME_MAX];

	truncate_frame(f, build(s, f), ours, XDP_PASS, XTCP_CNT_PASS_NO_XSK);
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

/* --- the flow map, TCP checksums, fast-path ACKs, ICMP errors ------------ */

/* A 4-tuple as the host sees it; IPv4 addresses get mapped. */
static struct xtcp_flow_key flow_key(const char *laddr, uint16_t lport,
				     const char *raddr, uint16_t rport)
{
	struct xtcp_flow_key k;
	const char *a[2] = { laddr, raddr };
	uint8_t *dst[2];
	int i;

	memset(&k, 0, sizeof(k));
	dst[0] = k.laddr;
	dst[1] = k.raddr;
	for (i = 0; i < 2; i++) {
		if (strchr(a[i], ':')) {
			assert_int_equal(inet_pton(AF_INET6, a[i], dst[i]), 1);
		} else {
			dst[i][10] = 0xff;
			dst[i][11] = 0xff;
			assert_int_equal(inet_pton(AF_INET, a[i], dst[i] + 12),
					 1);
		}
	}
	k.lport = htons(lport);
	k.rport = htons(rport);
	return k;
}

/* The connections of TCP4() and TCP6(), from the host's side. */
#define FLOW4 flow_key("198.18.0.2", 80, "198.18.0.1", 40000)
#define FLOW6 flow_key("2001:db8::2", 80, "2001:db8::1", 40000)

/*
 * The fast-path scenario: TCP4()'s seq (1000) is RCV.NXT, SND.UNA is 1900
 * and SND.MAX 3000, so its ack (2000) is an in-order advance.
 */
#define CTL(...)                             \
	((struct xfp_ctl){ .eligible = true, \
			   .rcv_nxt = 1000,  \
			   .snd_una = 1900,  \
			   .snd_max = 3000,  \
			   __VA_ARGS__ })
#define ACK4(...) TCP4(.payload = 0, __VA_ARGS__)
#define ACK6(...) TCP6(.payload = 0, __VA_ARGS__)

static void publish(struct xtcp_flow_key k, uint32_t slot,
		    const struct xfp_ctl *c)
{
	assert_int_equal(xfp_publish(&g.fp, &k, slot, c), 0);
}

static struct xfp_snap snap(uint32_t slot)
{
	struct xfp_snap t;

	assert_int_equal(xfp_snapshot(&g.fp, slot, &t), 0);
	assert_int_equal(t.gen & 1, 0);
	return t;
}

/*
 * s goes to the stack, not absorbed, and leaves slot exactly as it was
 * (its generation too, so it is as even as it was).
 */
static void expect_not_absorbed(const struct spec *s, uint32_t slot, int ev)
{
	struct xtcp_ack_slot before = g.fp.slots[slot];

	/* ... but for passed_ack, raised to its ack when within what was
	 * sent (xdp_maps.h). */
	if ((s->flags & TH_ACK) && (int32_t)(s->ack - before.passed_ack) > 0 &&
	    (int32_t)(s->ack - before.snd_max) <= 0)
		before.passed_ack = s->ack;
	expect_spec_ev(s, XDP_PASS, XTCP_CNT_PASS_NO_XSK, ev);
	assert_memory_equal(&before, &g.fp.slots[slot], sizeof(before));
}

/* Older than an ACK already absorbed: dropped, the slot untouched. */
static void expect_stale(const struct spec *s, uint32_t slot)
{
	struct xtcp_ack_slot before = g.fp.slots[slot];

	expect_spec_ev(s, XDP_DROP, XTCP_CNT_ACK_STALE, -1);
	assert_memory_equal(&before, &g.fp.slots[slot], sizeof(before));
}

static void expect_absorbed(const struct spec *s)
{
	expect_spec_ev(s, XDP_DROP, XTCP_CNT_ACK_ABSORBED, -1);
}

static void flow_classifies_ipv4(void **state)
{
	struct xtcp_flow_key k = FLOW4;

	NEED_PROGRAM();
	/* No binding: an active open's connection is known by its flow. */
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	publish(k, XFP_NO_SLOT, NULL);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP4(.vlans = 1, .ip4_opt_words = 3), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP4(.flags = TH_SYN | TH_ACK), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	/* Any other element of the 4-tuple: not ours. */
	expect_spec(&TCP4(.sport = 40001), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP4(.dport = 81), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP4(.src = "198.18.0.9"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP4(.dst = "198.18.0.3"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	/* A flow's IP header is verified like a bound port's. */
	expect_spec(&TCP4(.bad_csum = true), XDP_DROP,
		    XTCP_CNT_DROP_BAD_IP4_CSUM);
	expect_spec(&TCP4(.tcp_doff = 15), XDP_DROP, XTCP_CNT_DROP_MALFORMED);
	assert_int_equal(xfp_unpublish(&g.fp, &k, XFP_NO_SLOT), 0);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	/* Unpublishing twice is fine. */
	assert_int_equal(xfp_unpublish(&g.fp, &k, XFP_NO_SLOT), 0);
}

static void flow_classifies_ipv6(void **state)
{
	struct xtcp_flow_key k = FLOW6;

	NEED_PROGRAM();
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	publish(k, XFP_NO_SLOT, NULL);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.ip6_opts = true, .vlans = 1), XDP_PASS,
		    XTCP_CNT_PASS_NO_XSK);
	expect_spec(&TCP6(.sport = 1), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP6(.src = "2001:db8::7"), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	expect_spec(&TCP4(), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	/* Bound and a flow at once: one verdict. */
	bind_addr("2001:db8::2", 80, 0);
	expect_spec(&TCP6(), XDP_PASS, XTCP_CNT_PASS_NO_XSK);
}

/* Pure ACKs and control segments with 0..40 bytes of options. */
static void tcp_csum_header_only(void **state)
{
	static const uint8_t nops[40] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					  1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	size_t n;

	NEED_PROGRAM();
	/* The kernel's segments are the kernel's to verify. */
	expect_spec(&ACK4(.bad_tcp_csum = true), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	bind_addr("198.18.0.2", 80, 0);
	bind_addr("2001:db8::2", 80, 0);
	for (n = 0; n <= sizeof(nops); n += 4) {
		expect_spec_ev(&ACK4(.opts = nops, .optlen = n), XDP_PASS,
			       XTCP_CNT_PASS_NO_XSK, XTCP_CNT_ACK_TO_STACK);
		expect_spec_ev(&ACK4(.opts = nops, .optlen = n,
				     .bad_tcp_csum = true),
			       XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
		expect_spec_ev(&ACK6(.opts = nops, .optlen = n), XDP_PASS,
			       XTCP_CNT_PASS_NO_XSK, XTCP_CNT_ACK_TO_STACK);
		expect_spec_ev(&ACK6(.opts = nops, .optlen = n,
				     .bad_tcp_csum = true, .ip6_opts = true),
			       XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
	}
	/* Control segments: not pure ACKs, verified all the same. */
	expect_spec_ev(&ACK4(.flags = TH_SYN), XDP_PASS, XTCP_CNT_PASS_NO_XSK,
		       -1);
	expect_spec_ev(&ACK4(.flags = TH_SYN, .bad_tcp_csum = true), XDP_DROP,
		       XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
	expect_spec_ev(&ACK4(.flags = TH_RST, .bad_tcp_csum = true,
			     .ip4_opt_words = 10, .vlans = 1),
		       XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
	expect_spec_ev(&ACK6(.flags = TH_FIN | TH_ACK, .bad_tcp_csum = true,
			     .ip6_frag = true),
		       XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
}

/*
 * Segments with every payload length up to 700 bytes and some up to the
 * single-buffer veth MTU: good ones go up, and a flipped bit in the first or
 * the last payload byte is caught (so every piece of the sum counts).
 */
static void tcp_csum_payload(void **state)
{
	static const size_t big[] = {
		1000, 1023, 1024, 1025, 1459,
		2047, 2900, 3000, 3465, VETH_MTU_MAX - 40
	};
	uint8_t f[FRAME_MAX];
	size_t n, len, k;
	int fam;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	bind_addr("2001:db8::2", 80, 0);
	for (fam = 4; fam <= 6; fam += 2) {
		for (k = 0; k < 700 + sizeof(big) / sizeof(big[0]); k++) {
			n = k < 700 ? k + 1 : big[k - 700];
			if (fam == 6 && n > VETH_MTU_MAX - 60)
				continue;
			len = fam == 4 ? build(&TCP4(.payload = n), f) :
					 build(&TCP6(.payload = n), f);
			expect_ev(f, len, XDP_PASS, XTCP_CNT_PASS_NO_XSK, -1);
			f[len - 1] ^= 0x01;
			expect_ev(f, len, XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM,
				  -1);
			f[len - 1] ^= 0x01;
			f[len - n] ^= 0x80;
			expect_ev(f, len, XDP_DROP, XTCP_CNT_DROP_BAD_TCP_CSUM,
				  -1);
		}
	}
	/* Ethernet padding after an odd payload is not summed. */
	len = build(&TCP4(.payload = 1), f);
	memset(f + len, 0xa5, 8);
	expect_ev(f, len + 8, XDP_PASS, XTCP_CNT_PASS_NO_XSK, -1);
}

static void ack_absorbed(void **state)
{
	struct xfp_snap t;

	NEED_PROGRAM();
	publish(FLOW4, 3, &CTL(.wscale = 7));
	/* Published: XDP's half starts at SND.UNA, gen moved on by 2. */
	t = snap(3);
	assert_int_equal(t.gen, 2);
	assert_int_equal(t.snd_una, 1900);
	assert_int_equal(t.absorbed, 0);
	expect_absorbed(&ACK4());
	t = snap(3);
	assert_int_equal(t.gen, 4);
	assert_int_equal(t.snd_una, 2000);
	assert_int_equal(t.snd_wnd_raw, 65535);
	assert_int_equal(t.snd_wnd, 65535u << 7);
	assert_int_equal(t.absorbed, 1);
	/* Each advance, up to and including SND.MAX; PSH means nothing
	 * without data. */
	expect_absorbed(&ACK4(.ack = 2500, .win = 1000));
	expect_absorbed(&ACK4(.ack = 2501, .flags = TH_ACK | TH_PSH));
	expect_absorbed(
		&ACK4(.ack = 3000, .win = 7, .vlans = 1, .ip4_opt_words = 2));
	t = snap(3);
	assert_int_equal(t.gen, 10);
	assert_int_equal(t.snd_una, 3000);
	assert_int_equal(t.snd_wnd_raw, 7);
	assert_int_equal(t.absorbed, 4);
	/* Absorbed ACKs are in the verdicts; the share is computable. */
	expect_not_absorbed(&ACK4(.ack = 3000), 3, XTCP_CNT_ACK_TO_STACK);
}

static void ack_absorbed_ipv6_and_wrap(void **state)
{
	struct xfp_snap t;

	NEED_PROGRAM();
	publish(FLOW6, 4, &CTL());
	expect_absorbed(&ACK6(.ip6_opts = true));
	assert_int_equal(snap(4).snd_una, 2000);
	/* Sequence numbers wrap: una 2^32 - 10, max 20. */
	publish(FLOW4, 5,
		&CTL(.rcv_nxt = 0xfffffff0, .snd_una = 0xfffffff6,
		     .snd_max = 20));
	expect_not_absorbed(&ACK4(.seq = 0xfffffff0, .ack = 21), 5,
			    XTCP_CNT_ACK_TO_STACK);
	expect_absorbed(&ACK4(.seq = 0xfffffff0, .ack = 0xfffffffe));
	expect_absorbed(&ACK4(.seq = 0xfffffff0, .ack = 4));
	/* Behind the 4 just taken (across the wrap): stale. */
	expect_stale(&ACK4(.seq = 0xfffffff0, .ack = 0xffffffff), 5);
	t = snap(5);
	assert_int_equal(t.snd_una, 4);
	assert_int_equal(t.absorbed, 2);
}

/* Everything unusual goes to the daemon and leaves the slot alone. */
static void ack_not_absorbed(void **state)
{
	static const uint8_t sack[12] = { 1, 1,	  5, 10, 0,  0,
					  7, 208, 0, 0,	 11, 184 };
	static const uint8_t mss[4] = { 2, 4, 5, 180 };
	static const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 2, 88, 0, 0, 0, 77 };
	struct xtcp_flow_key k = FLOW4;
	const int ev = XTCP_CNT_ACK_TO_STACK;

	NEED_PROGRAM();
	publish(k, 6, &CTL());
	/* XDP's SND.UNA is now 2000; the daemon's floor still 1900. */
	expect_absorbed(&ACK4());

	expect_not_absorbed(&ACK4(), 6, ev); /* duplicate */
	expect_not_absorbed(&ACK4(.win = 100), 6, ev); /* window update */
	expect_stale(&ACK4(.ack = 1950), 6); /* older than one absorbed */
	expect_stale(&ACK4(.ack = 1800), 6); /* below the floor */
	expect_not_absorbed(&ACK4(.ack = 3001), 6, ev); /* beyond SND.MAX */
	expect_not_absorbed(&ACK4(.ack = 2100, .seq = 999), 6, ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .seq = 1001), 6, ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .opts = sack, .optlen = 12), 6,
			    ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .opts = mss, .optlen = 4), 6,
			    ev);
	/* A timestamp on a connection without them. */
	expect_not_absorbed(&ACK4(.ack = 2100, .opts = ts, .optlen = 12), 6,
			    ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .win = 0), 6, ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_ECE), 6,
			    ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_CWR), 6,
			    ev);
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_URG), 6,
			    ev);
	/* Not pure ACKs at all. */
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_FIN), 6,
			    -1);
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_RST), 6,
			    -1);
	expect_not_absorbed(&ACK4(.ack = 2100, .flags = TH_ACK | TH_SYN), 6,
			    -1);
	expect_not_absorbed(&TCP4(.ack = 2100, .payload = 1), 6, -1);
	expect_not_absorbed(&TCP4(.ack = 2100, .flags = TH_ACK | TH_PSH), 6,
			    -1);
	/* A bad checksum is dropped before anything else. */
	expect_spec_ev(&ACK4(.ack = 2100, .bad_tcp_csum = true), XDP_DROP,
		       XTCP_CNT_DROP_BAD_TCP_CSUM, -1);

	/* Not eligible (recovery, say): nothing is absorbed. */
	assert_int_equal(xfp_set_eligible(&g.fp, 6, false), 0);
	expect_not_absorbed(&ACK4(.ack = 2100), 6, ev);
	assert_int_equal(xfp_set_eligible(&g.fp, 6, true), 0);
	/* Frames with ack 2100 went to the daemon: an ACK equal to them is
	 * the daemon's too (it reads them later), one above is absorbed. */
	expect_not_absorbed(&ACK4(.ack = 2100), 6, ev);
	expect_absorbed(&ACK4(.ack = 2150));

	/* Bound port, no flow: no slot to absorb into. */
	assert_int_equal(xfp_unpublish(&g.fp, &k, 6), 0);
	expect_spec(&ACK4(.ack = 2200), XDP_PASS, XTCP_CNT_PASS_NOT_OURS);
	bind_addr("198.18.0.2", 80, 0);
	expect_not_absorbed(&ACK4(.ack = 2100), 6, ev);
	/* A flow without a slot. */
	publish(k, XFP_NO_SLOT, NULL);
	expect_not_absorbed(&ACK4(.ack = 2100), 6, ev);
}

static void ack_timestamps(void **state)
{
	static const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 2, 88, 0, 0, 0, 77 };
	static const uint8_t ts_eol[12] = { 8, 10, 0, 0,  2, 89,
					    0, 0,  0, 78, 0, 0 };
	static const uint8_t old[12] = { 1, 1, 8, 10, 0, 0, 1, 144, 0, 0, 0, 1 };
	static const uint8_t two[20] = { 1, 1,	8, 10, 0, 0,  2, 88, 0, 0,
					 0, 77, 1, 1,  8, 10, 0, 0,  2, 88 };
	static const uint8_t bad_len[12] = { 1, 1,  8, 9, 0, 0,
					     2, 88, 0, 0, 0, 77 };
	struct xfp_snap t;

	NEED_PROGRAM();
	publish(FLOW4, 7, &CTL(.ts = true, .ts_recent = 500));
	expect_not_absorbed(&ACK4(), 7, XTCP_CNT_ACK_TO_STACK); /* none */
	expect_not_absorbed(&ACK4(.opts = old, .optlen = 12), 7,
			    XTCP_CNT_ACK_TO_STACK); /* PAWS: 400 < 500 */
	expect_not_absorbed(&ACK4(.opts = two, .optlen = 20), 7,
			    XTCP_CNT_ACK_TO_STACK);
	expect_not_absorbed(&ACK4(.opts = bad_len, .optlen = 12), 7,
			    XTCP_CNT_ACK_TO_STACK);
	/* Above the ack (2000) of the frames that went to the daemon. */
	expect_absorbed(&ACK4(.ack = 2001, .opts = ts, .optlen = 12));
	t = snap(7);
	assert_int_equal(t.ts_val, 600);
	assert_int_equal(t.ts_ecr, 77);
	expect_absorbed(&ACK4(.ack = 2002, .opts = ts_eol, .optlen = 12));
	t = snap(7);
	assert_int_equal(t.ts_val, 601);
	assert_int_equal(t.ts_ecr, 78);
	assert_int_equal(t.snd_una, 2002);
}

/* The sequence counters: XDP backs off rather than wait or collide. */
static void ack_slot_protocol(void **state)
{
	volatile struct xtcp_ack_slot *s;
	struct xtcp_flow_key k = FLOW4;
	struct xfp_snap t;

	NEED_PROGRAM();
	publish(k, 8, &CTL());
	s = xfp_slot(&g.fp, 8);
	assert_non_null(s);
	assert_null(xfp_slot(&g.fp, g.fp.nslots));
	assert_int_equal(s->ctl_seq, 2);

	/* The daemon in the middle of a write. (Acks below SND.UNA, so the
	 * frames passed do not raise passed_ack for what follows.) */
	s->ctl_seq = 3;
	expect_not_absorbed(&ACK4(.ack = 1850), 8, XTCP_CNT_ACK_TO_STACK);
	s->ctl_seq = 4;
	/* Another CPU in the middle of absorbing: its slot, untouched. */
	s->gen = 5;
	expect_not_absorbed(&ACK4(.ack = 1850), 8, XTCP_CNT_ACK_TO_STACK);
	assert_int_equal(xfp_snapshot(&g.fp, 8, &t), -EAGAIN);
	s->gen = 6;
	/* A stale snd_una from an earlier connection in this slot (beyond
	 * SND.MAX): the daemon's floor rules. */
	s->snd_una = 5000;
	expect_absorbed(&ACK4(.ack = 1901));
	t = snap(8);
	assert_int_equal(t.gen, 8);
	assert_int_equal(t.snd_una, 1901);

	/* The daemon moves the window: what XDP checks follows. */
	assert_int_equal(xfp_set_seq(&g.fp, 8, 1000, 2000, 2500), 0);
	assert_int_equal(s->ctl_seq, 6);
	expect_not_absorbed(&ACK4(.ack = 2000), 8, XTCP_CNT_ACK_TO_STACK);
	expect_not_absorbed(&ACK4(.ack = 2600), 8, XTCP_CNT_ACK_TO_STACK);
	expect_absorbed(&ACK4(.ack = 2400));
	assert_int_equal(xfp_set_seq(&g.fp, 8, 1001, 2400, 2500), 0);
	expect_not_absorbed(&ACK4(.ack = 2450), 8, XTCP_CNT_ACK_TO_STACK);
	/* That frame (ack 2450) went to the daemon: 2450 again would be
	 * the daemon's too (passed_ack); above it XDP takes it. */
	expect_not_absorbed(&ACK4(.ack = 2450, .seq = 1001), 8,
			    XTCP_CNT_ACK_TO_STACK);
	expect_absorbed(&ACK4(.ack = 2460, .seq = 1001));

	/* Unpublished: not ours, no longer eligible, snapshot still there. */
	assert_int_equal(xfp_unpublish(&g.fp, &k, 8), 0);
	assert_int_equal(s->flags & XTCP_SLOT_ELIGIBLE, 0);
	expect_spec(&ACK4(.ack = 2470, .seq = 1001), XDP_PASS,
		    XTCP_CNT_PASS_NOT_OURS);
	t = snap(8);
	assert_int_equal(t.snd_una, 2460);
	assert_int_equal(t.absorbed, 3);

	/* Bad arguments. */
	assert_int_equal(xfp_publish(&g.fp, &k, g.fp.nslots, &CTL()), -EINVAL);
	assert_int_equal(xfp_snapshot(&g.fp, g.fp.nslots, &t), -EINVAL);
	assert_int_equal(xfp_set_eligible(&g.fp, g.fp.nslots, true), -EINVAL);
}

/* xfp_open takes only an mmap-able array of slots. */
static void fastpath_open_checks(void **state)
{
	struct xfp other;

	NEED_PROGRAM();
	assert_int_equal(xfp_open(&other, g.bound_fd, g.flows_fd), -EINVAL);
	assert_int_equal(xfp_open(&other, g.counters_fd, g.flows_fd), -EINVAL);
	assert_int_equal(xfp_open(&other, g.slots_fd, g.flows_fd), 0);
	assert_int_equal(other.nslots, XTCP_ACK_SLOTS_MAX);
	/* Two mappings, one map. */
	other.slots[9].ts_recent = 1234;
	assert_int_equal(g.fp.slots[9].ts_recent, 1234);
	xfp_close(&other);
	assert_null(other.slots);
}

/*
 * Many absorbed ACKs, each with TSval == ack, while another thread takes
 * snapshots: every snapshot is one ACK's, never a mix.
 */
struct hammer {
	volatile bool stop;
	unsigned snaps, torn;
};

static void *snapshot_reader(void *arg)
{
	struct hammer *h = arg;
	struct xfp_snap t;

	while (!h->stop) {
		/* Nothing absorbed yet: no ACK to be consistent with. */
		if (xfp_snapshot(&g.fp, 10, &t) || !t.absorbed)
			continue;
		h->snaps++;
		if (t.ts_val != t.snd_una || t.ts_ecr != t.snd_una + 1) {
			if (!h->torn)
				print_message(
					"torn: gen %u una %u val %u ecr %u absorbed %u\n",
					t.gen, t.snd_una, t.ts_val, t.ts_ecr,
					t.absorbed);
			h->torn++;
		}
	}
	return NULL;
}

static void ack_snapshots_consistent(void **state)
{
	struct hammer h = { 0 };
	uint8_t opt[12] = { 1, 1, 8, 10 };
	uint8_t f[FRAME_MAX];
	pthread_t th;
	uint32_t i, ack;
	size_t len;

	NEED_PROGRAM();
	publish(FLOW4, 10,
		&CTL(.ts = true, .snd_una = 100000, .snd_max = 200000));
	assert_int_equal(pthread_create(&th, NULL, snapshot_reader, &h), 0);
	for (i = 1; i <= 5000; i++) {
		ack = 100000 + i;
		put32(opt + 4, ack);
		put32(opt + 8, ack + 1);
		len = build(&ACK4(.ack = ack, .opts = opt, .optlen = 12), f);
		assert_int_equal(run(f, len), XDP_DROP);
	}
	h.stop = true;
	pthread_join(th, NULL);
	print_message("%u snapshots, %u torn\n", h.snaps, h.torn);
	assert_int_equal(h.torn, 0);
	assert_int_equal(snap(10).absorbed, 5000);
	assert_int_equal(snap(10).gen, 2 + 10000);
}

/*
 * An ICMP error from a router about the segment q (as this host sent it),
 * quoting qlen bytes of it (0: all).
 */
static size_t build_icmp(const struct spec *q, uint8_t type, uint8_t code,
			 size_t qlen, uint8_t *f)
{
	uint8_t qf[FRAME_MAX], *ip, *ic;
	size_t n, hlen, len;
	uint32_t pseudo = 0;
	uint16_t c;

	len = build(q, qf) - 14;
	if (qlen && qlen < len)
		len = qlen;
	memset(f, 0, FRAME_MAX);
	n = put_eth(f, &(struct spec){ 0 },
		    q->family == 4 ? ETH_P_IP : ETH_P_IPV6);
	ip = f + n;
	hlen = q->family == 4 ? 20 : 40;
	ic = ip + hlen;
	ic[0] = type;
	ic[1] = code;
	if (type == 3 && code == 4)
		put16(ic + 6, 1280); /* next-hop MTU */
	if (q->family == 6 && type == 2)
		put32(ic + 4, 1280);
	memcpy(ic + 8, qf + 14, len);
	if (q->family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, hlen + 8 + len);
		ip[8] = 64;
		ip[9] = PROTO_ICMP;
		inet_pton(AF_INET, "198.18.0.254", ip + 12);
		memcpy(ip + 16, qf + 14 + 12, 4); /* to the quoted source */
		c = csum_fold(csum_partial(ip, hlen, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, 8 + len);
		ip[6] = PROTO_ICMPV6;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8::fe", ip + 8);
		memcpy(ip + 24, qf + 14 + 8, 16);
		pseudo = csum_pseudo_ipv6(ip + 8, ip + 24, PROTO_ICMPV6,
					  8 + len);
	}
	c = csum_fold(csum_add(pseudo, csum_partial(ic, 8 + len, 0)));
	memcpy(ic + 2, &c, 2);
	return n + hlen + 8 + len;
}

/* What the stack sent on the connections of TCP4() and TCP6(). */
#define SENT4(...)                                                  \
	TCP4(.src = "198.18.0.2", .dst = "198.18.0.1", .sport = 80, \
	     .dport = 40000, __VA_ARGS__)
#define SENT6(...)                                                    \
	TCP6(.src = "2001:db8::2", .dst = "2001:db8::1", .sport = 80, \
	     .dport = 40000, __VA_ARGS__)

static void expect_icmp(const struct spec *q, uint8_t type, uint8_t code,
			size_t qlen, bool ours)
{
	uint8_t f[FRAME_MAX];
	size_t len = build_icmp(q, type, code, qlen, f);

	if (ours)
		expect_ev(f, len, XDP_PASS, XTCP_CNT_PASS_NO_XSK,
			  XTCP_CNT_ICMP_TO_STACK);
	else
		expect_ev(f, len, XDP_PASS, XTCP_CNT_PASS_NOT_TCP, -1);
}

static void icmp_errors(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	NEED_PROGRAM();
	/* Before the flows exist: the kernel's. */
	expect_icmp(&SENT4(), 3, 3, 0, false);
	expect_icmp(&SENT6(), 2, 0, 0, false);
	publish(FLOW4, XFP_NO_SLOT, NULL);
	publish(FLOW6, XFP_NO_SLOT, NULL);

	/* Port unreachable, fragmentation needed, time exceeded. */
	expect_icmp(&SENT4(), 3, 3, 0, true);
	expect_icmp(&SENT4(), 3, 4, 0, true);
	expect_icmp(&SENT4(), 11, 0, 0, true);
	/* The minimum quote: IP header and 8 bytes; with IP options. */
	expect_icmp(&SENT4(), 3, 1, 28, true);
	expect_icmp(&SENT4(.ip4_opt_words = 3), 3, 1, 40, true);
	/* Too short a quote to find the ports in. */
	expect_icmp(&SENT4(), 3, 1, 24, false);
	/* Other flows, other types, other protocols. */
	expect_icmp(&SENT4(.sport = 81), 3, 3, 0, false);
	expect_icmp(&SENT4(.dst = "198.18.0.9"), 3, 3, 0, false);
	expect_icmp(&SENT4(), 5, 1, 0, false); /* redirect */
	expect_icmp(&SENT4(), 12, 0, 0, false); /* parameter problem */
	expect_icmp(&SENT4(.proto = PROTO_UDP), 3, 3, 0, false);
	expect_spec(&TCP4(.proto = PROTO_ICMP), XDP_PASS,
		    XTCP_CNT_PASS_NOT_TCP); /* an echo-like message */
	/* An error about a listener's segment (a SYN-ACK): bound port. */
	expect_icmp(&SENT4(.src = "198.18.0.3"), 3, 1, 0, false);
	bind_addr("198.18.0.3", 80, 0);
	expect_icmp(&SENT4(.src = "198.18.0.3"), 3, 1, 0, true);
	/* Ours with a broken IP header: dropped like TCP. */
	len = build_icmp(&SENT4(), 3, 4, 0, f);
	f[14 + 10] ^= 0x01;
	expect_ev(f, len, XDP_DROP, XTCP_CNT_DROP_BAD_IP4_CSUM, -1);

	/* ICMPv6: destination unreachable, packet too big, time exceeded. */
	expect_icmp(&SENT6(), 1, 4, 0, true);
	expect_icmp(&SENT6(), 2, 0, 0, true);
	expect_icmp(&SENT6(), 3, 0, 0, true);
	expect_icmp(&SENT6(), 2, 0, 48, true);
	expect_icmp(&SENT6(), 2, 0, 44, false);
	expect_icmp(&SENT6(.sport = 81), 2, 0, 0, false);
	/* Neighbour solicitation and echo stay with the kernel. */
	expect_icmp(&SENT6(), 135, 0, 0, false);
	expect_icmp(&SENT6(), 128, 0, 0, false);
	/* The stack sends no extension headers: such a quote is not ours. */
	expect_icmp(&SENT6(.ip6_opts = true), 2, 0, 0, false);
}

static void truncated_fast_path_frames(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len;

	NEED_PROGRAM();
	publish(FLOW4, 11, &CTL());
	publish(FLOW6, 12, &CTL());
	publish(flow_key("198.18.0.2", 80, "198.18.0.1", 40001), XFP_NO_SLOT,
		NULL);
	/* Every truncation of an absorbable ACK is malformed; the whole
	 * one is absorbed, once. */
	len = build(&ACK4(.vlans = 1), f);
	truncate_frame(f, len, true, XDP_DROP, XTCP_CNT_ACK_ABSORBED);
	len = build(&ACK6(.ip6_opts = true), f);
	truncate_frame(f, len, true, XDP_DROP, XTCP_CNT_ACK_ABSORBED);
	assert_int_equal(snap(11).absorbed, 1);
	assert_int_equal(snap(12).absorbed, 1);
	truncate_all(&TCP4(.sport = 40001, .payload = 333), true);
	/* ICMP errors quoting a flow, and some not. */
	len = build_icmp(&SENT4(), 3, 4, 0, f);
	truncate_frame(f, len, true, XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	len = build_icmp(&SENT6(), 2, 0, 0, f);
	truncate_frame(f, len, true, XDP_PASS, XTCP_CNT_PASS_NO_XSK);
	len = build_icmp(&SENT4(.sport = 99), 3, 4, 0, f);
	truncate_frame(f, len, false, XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
	len = build_icmp(&SENT6(.sport = 99), 1, 0, 0, f);
	truncate_frame(f, len, false, XDP_PASS, XTCP_CNT_PASS_NOT_TCP);
}

/*
 * Frames to the stack carry metadata saying whether XDP verified the
 * checksum; BPF_PROG_TEST_RUN hands it back in front of the frame.
 */
static void frames_marked(void **state)
{
	uint8_t f[FRAME_MAX], out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	uint32_t meta;
	size_t len;

	NEED_PROGRAM();
	bind_addr("198.18.0.2", 80, 0);
	len = build(&TCP4(.payload = 100), f);
	opts.data_size_in = len;
	assert_int_equal(bpf_prog_test_run_opts(g.prog_fd, &opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
	assert_int_equal(opts.data_size_out, len + sizeof(meta));
	memcpy(&meta, out, sizeof(meta));
	assert_int_equal(meta, XTCP_META_MAGIC | XTCP_META_CSUM_OK);
	assert_memory_equal(out + sizeof(meta), f, len);
	/* The kernel's frames are left as they are. */
	len = build(&TCP4(.dport = 81), f);
	opts.data_size_in = len;
	opts.data_size_out = sizeof(out);
	assert_int_equal(bpf_prog_test_run_opts(g.prog_fd, &opts), 0);
	assert_int_equal(opts.data_size_out, len);
}

/* The program loaded again with other tunables, sharing the pinned maps. */
static struct xtcp_bpf *load_variant(bool verify, bool absorb)
{
	struct xtcp_bpf *v = open_skel();

	assert_non_null(v);
	v->rodata->verify_tcp_csum = verify;
	v->rodata->absorb_acks = absorb;
	assert_int_equal(xtcp_bpf__load(v), 0);
	return v;
}

static void tunables(void **state)
{
	int main_fd = g.prog_fd;
	struct xtcp_bpf *v;

	NEED_PROGRAM();
	if (!g.pin_root[0]) {
		print_message("skipped: no private bpffs\n");
		skip();
	}
	publish(FLOW4, 13, &CTL());

	/* No verification: nothing dropped or absorbed, all marked. */
	v = load_variant(false, true);
	g.prog_fd = bpf_program__fd(v->progs.xtcp_xdp);
	expect_spec_ev(&ACK4(.ack = 1850, .bad_tcp_csum = true), XDP_PASS,
		       XTCP_CNT_PASS_NO_XSK, XTCP_CNT_CSUM_DEFERRED);
	expect_not_absorbed(&ACK4(.ack = 1850), 13, XTCP_CNT_CSUM_DEFERRED);
	g.prog_fd = main_fd;
	xtcp_bpf__destroy(v);

	/* No absorption: verified, counted as ACKs to the stack. */
	v = load_variant(true, false);
	g.prog_fd = bpf_program__fd(v->progs.xtcp_xdp);
	expect_spec_ev(&ACK4(.bad_tcp_csum = true), XDP_DROP,
		       XTCP_CNT_DROP_BAD_TCP_CSUM, -1);
	expect_not_absorbed(&ACK4(.ack = 1850), 13, XTCP_CNT_ACK_TO_STACK);
	g.prog_fd = main_fd;
	xtcp_bpf__destroy(v);

	/* The defaults: on. */
	assert_true(g.skel->rodata->verify_tcp_csum);
	assert_true(g.skel->rodata->absorb_acks);
	expect_absorbed(&ACK4());
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
		T(flow_classifies_ipv4),
		T(flow_classifies_ipv6),
		T(tcp_csum_header_only),
		T(tcp_csum_payload),
		T(ack_absorbed),
		T(ack_absorbed_ipv6_and_wrap),
		T(ack_not_absorbed),
		T(ack_timestamps),
		T(ack_slot_protocol),
		T(fastpath_open_checks),
		T(ack_snapshots_consistent),
		T(icmp_errors),
		T(truncated_fast_path_frames),
		T(frames_marked),
		T(tunables),
#undef T
	};

	return cmocka_run_group_tests_name("xdp", tests, group_setup,
					   group_teardown);
}
