// SPDX-License-Identifier: BSD-2-Clause
/*
 * afxdp_echo: the AF_XDP path end to end, for tests/ns/test_afxdp.sh.
 *
 * Attaches xtcp's XDP program to an interface (or adopts the one there),
 * binds a port (the "::" wildcard: IPv4 and IPv6) in xtcp_bound, opens an
 * AF_XDP socket on one queue, and answers every SYN it receives there with
 * a RST|ACK built by hand (user/wire), so a Linux peer's connect() fails
 * with "connection refused" at once. Half of the answers are built in a
 * fresh TX frame, half in the received frame itself (sent back in place).
 * On exit (SIGTERM, SIGINT, -n answers or -t seconds) it drains the TX path
 * and checks the UMEM invariant: no frame leaked.
 *
 *   afxdp_echo -i IF -p PORT [-q QUEUE] [-o OBJ | -a] [-n N] [-t SECS]
 *              [-f FRAME_SIZE] [-W] [-z]
 *   -a  adopt the program attached to IF (fail if none)
 *   -o  load OBJ instead of the embedded object
 *   -W  without need_wakeup     -z  XDP_ZEROCOPY
 *   -R N  close and reopen the socket N times before serving (binding a
 *         queue right after its last socket closed meets EBUSY for a while:
 *         xio_open must retry); prints "reopen=N reopen_max_ms=.."
 *   -P  probe: exit 0 if the kernel has AF_XDP, 77 if not
 *
 * Prints "READY ..." when the socket is in xsks_map, and one summary line
 * "syn=.. syn4=.. syn6=.. rst=.. ... umem=ok leaked=0" at the end. Exit
 * status: 0, 1 on setup errors, 2 when the invariant or the drain failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>

#include "xtcp/xdp_maps.h"
#include "io/attach.h"
#include "io/umem.h"
#include "io/xsk.h"
#include "wire/packet.h"
#include "wire/checksum.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define BATCH 64

static volatile sig_atomic_t stop;

struct counts {
	unsigned syn, syn4, syn6, rst, other, parse_err, no_frame;
};

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RST|ACK answering the SYN in @p, into @buf; returns its length or -1. */
static int build_rst(const struct pkt *p, uint8_t *buf, size_t cap)
{
	struct tcp_hdr h;
	size_t off = 0;
	int n;

	n = eth_emit(buf, cap, p->eth.src, p->eth.dst, p->eth.ethertype);
	if (n < 0)
		return -1;
	off = n;
	if (p->ip.version == 4)
		n = ip4_emit(buf + off, cap - off, &p->ip.dst, &p->ip.src,
			     IPPROTO_TCP_, 64, 0, TCP_HLEN);
	else
		n = ip6_emit(buf + off, cap - off, &p->ip.dst, &p->ip.src,
			     IPPROTO_TCP_, 64, 0, 0, TCP_HLEN);
	if (n < 0)
		return -1;
	off += n;
	memset(&h, 0, sizeof(h));
	h.sport = p->tcp.dport;
	h.dport = p->tcp.sport;
	/* RFC 9293 3.10.7.1: SEQ=0, ACK=SEG.SEQ+SEG.LEN, RST|ACK. */
	h.seq = 0;
	h.ack = p->tcp.seq + 1 + p->payload_len;
	h.flags = TH_RST | TH_ACK;
	n = tcp_emit(buf + off, cap - off, &h);
	if (n != TCP_HLEN)
		return -1;
	tcp_fill_csum(buf + off, TCP_HLEN,
		      ip_pseudo_csum(&p->ip.dst, &p->ip.src, IPPROTO_TCP_,
				     TCP_HLEN));
	return off + TCP_HLEN;
}

static void serve(struct xio *x, struct counts *c, unsigned max_rst,
		  double deadline)
{
	struct xio_frame rx[BATCH], tx[BATCH], out[BATCH], done[BATCH];
	uint8_t tmp[128];
	struct pollfd pfd = { .fd = xio_fd(x), .events = POLLIN };
	unsigned n, i, ntx, nout, ndone, used, sent;
	struct pkt p;
	int len;

	while (!stop && (!max_rst || c->rst < max_rst) && now_s() < deadline) {
		n = xio_rx(x, rx, BATCH);
		if (!n) {
			/* Nothing waiting: sleep in poll (the only wait). */
			poll(&pfd, 1, 100);
			continue;
		}
		ntx = xio_tx_reserve(x, tx, n);
		nout = ndone = used = 0;
		for (i = 0; i < n; i++) {
			if (pkt_parse_eth(rx[i].data, rx[i].len, PKT_VERIFY_ALL,
					  &p)) {
				c->parse_err++;
				done[ndone++] = rx[i];
				continue;
			}
			if ((p.tcp.flags & (TH_SYN | TH_ACK | TH_RST)) !=
			    TH_SYN) {
				c->other++;
				done[ndone++] = rx[i];
				continue;
			}
			c->syn++;
			if (p.ip.version == 4)
				c->syn4++;
			else
				c->syn6++;
			if (c->syn & 1) {
				/* In place: built aside (p points into the
				 * frame), then over the received bytes. */
				len = build_rst(&p, tmp, sizeof(tmp));
				if (len < 0) {
					done[ndone++] = rx[i];
					continue;
				}
				memcpy(rx[i].data, tmp, len);
				rx[i].len = len;
				out[nout++] = rx[i];
				continue;
			}
			done[ndone++] = rx[i];
			if (used == ntx) {
				c->no_frame++;
				continue;
			}
			len = build_rst(&p, tx[used].data, tx[used].len);
			if (len < 0)
				continue;
			tx[used].len = len;
			out[nout++] = tx[used++];
		}
		/* Unused reserved frames back; then send. */
		xio_tx_release(x, tx + used, ntx - used);
		sent = xio_tx_submit(x, out, nout);
		/* What the ring had no room for is dropped, not leaked. */
		xio_tx_release(x, out + sent, nout - sent);
		xio_tx_kick(x);
		xio_rx_done(x, done, ndone);
		c->rst += sent;
		xio_complete(x);
	}
}

static int bind_port(int map_fd, uint16_t port, bool add)
{
	struct xtcp_bound_key k;
	struct xtcp_bound_val v = { .flags = 0, .id = 1 };

	memset(&k, 0, sizeof(k));
	k.port = htons(port);
	if (!add)
		return bpf_map_delete_elem(map_fd, &k) ? -errno : 0;
	return bpf_map_update_elem(map_fd, &k, &v, BPF_NOEXIST) ? -errno : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: afxdp_echo -i IF -p PORT [-q QUEUE] "
		"[-o OBJ | -a] [-n N] [-t SECS] [-f FRAME] [-W] [-z] [-R N] "
		"| -P\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct xattach_cfg acfg = { .how = XATTACH_LOAD };
	struct xio_cfg xcfg = { .need_wakeup = true };
	unsigned max_rst = 0, port = 0, reopen = 0, i;
	double reopen_max = 0;
	uint64_t retries = 0;
	double secs = 30, t0;
	struct xattach *a = NULL;
	struct xio_stats st;
	struct counts c = { 0 };
	const struct umem *u;
	struct xio *x = NULL;
	const char *why = "";
	bool bound = false, ok;
	int opt, err, ret = 1, fd;

	while ((opt = getopt(argc, argv, "i:p:q:o:an:t:f:WzPR:")) != -1) {
		switch (opt) {
		case 'i':
			acfg.ifname = xcfg.ifname = optarg;
			break;
		case 'p':
			port = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			xcfg.queue = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			acfg.obj_path = optarg;
			break;
		case 'a':
			acfg.how = XATTACH_ADOPT;
			break;
		case 'n':
			max_rst = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'f':
			xcfg.frame_size = strtoul(optarg, NULL, 0);
			break;
		case 'W':
			xcfg.need_wakeup = false;
			break;
		case 'z':
			xcfg.zerocopy = true;
			break;
		case 'R':
			reopen = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			fd = socket(AF_XDP, SOCK_RAW, 0);
			if (fd < 0)
				return 77;
			close(fd);
			return 0;
		default:
			return usage();
		}
	}
	if (!acfg.ifname || !port || port > 65535)
		return usage();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = xattach_open(&a, &acfg);
	if (err) {
		fprintf(stderr, "attach %s: %s\n", acfg.ifname, strerror(-err));
		goto out;
	}
	err = bind_port(xattach_maps(a)->bound, port, true);
	if (err) {
		fprintf(stderr, "bind port %u: %s\n", port, strerror(-err));
		goto out;
	}
	bound = true;
	t0 = now_s();
	err = xio_open(&x, &xcfg, xattach_maps(a)->xsks);
	if (err) {
		fprintf(stderr, "xsk %s queue %u: %s\n", xcfg.ifname,
			xcfg.queue, strerror(-err));
		goto out;
	}
	for (i = 0; i < reopen; i++) {
		xio_close(x);
		x = NULL;
		t0 = now_s();
		err = xio_open(&x, &xcfg, xattach_maps(a)->xsks);
		if (err) {
			fprintf(stderr, "reopen %u: %s\n", i, strerror(-err));
			goto out;
		}
		xio_get_stats(x, &st);
		retries += st.bind_retries;
		if (now_s() - t0 > reopen_max)
			reopen_max = now_s() - t0;
	}
	if (reopen)
		printf("reopen=%u reopen_max_ms=%.0f bind_retries=%llu\n",
		       reopen, reopen_max * 1e3, (unsigned long long)retries);
	printf("READY mode=%s adopted=%d prog=%u maps=%u open_ms=%.0f\n",
	       xattach_mode_name(a), xattach_adopted(a), xattach_prog_id(a),
	       xattach_maps(a)->n, (now_s() - t0) * 1e3);

	serve(x, &c, max_rst, now_s() + secs);

	/* Drain: everything submitted is sent and reaped (bounded). */
	t0 = now_s();
	while (xio_tx_inflight(x) && now_s() - t0 < 2) {
		xio_tx_kick(x);
		xio_complete(x);
		if (xio_tx_inflight(x))
			usleep(1000);
	}
	u = xio_umem(x);
	ok = !umem_check(u, &why);
	if (ok && umem_count(u, UMEM_RX) + umem_count(u, UMEM_TX) +
			  umem_count(u, UMEM_TXQ)) {
		ok = false;
		why = "frames still held after the drain";
	}
	xio_get_stats(x, &st);
	printf("syn=%u syn4=%u syn6=%u rst=%u other=%u parse_err=%u "
	       "no_frame=%u rx=%llu tx=%llu completed=%llu kicks=%llu "
	       "bad=%llu fill_empty=%llu rx_dropped=%llu invalid=%llu "
	       "free=%u fill=%u umem=%s leaked=%u\n",
	       c.syn, c.syn4, c.syn6, c.rst, c.other, c.parse_err, c.no_frame,
	       (unsigned long long)st.rx_packets,
	       (unsigned long long)st.tx_packets,
	       (unsigned long long)st.tx_completed,
	       (unsigned long long)st.kicks, (unsigned long long)st.bad_frames,
	       (unsigned long long)st.rx_fill_ring_empty_descs,
	       (unsigned long long)st.rx_dropped,
	       (unsigned long long)(st.rx_invalid_descs + st.tx_invalid_descs),
	       umem_count(u, UMEM_FREE), umem_count(u, UMEM_FILL),
	       ok ? "ok" : why,
	       u->nframes - umem_count(u, UMEM_FREE) -
		       umem_count(u, UMEM_FILL));
	ret = ok && !st.bad_frames ? 0 : 2;
out:
	xio_close(x);
	if (bound)
		bind_port(xattach_maps(a)->bound, port, false);
	xattach_close(a);
	return ret;
}
