// SPDX-License-Identifier: BSD-2-Clause
/*
 * linkem: a link emulator for kernels without netem. It runs in a middle
 * namespace and forwards Ethernet frames between two interfaces, delaying,
 * losing, duplicating, reordering, corrupting and rate-limiting them per
 * direction ("ab": in on IFA, out on IFB; "ba": the other way).
 *
 *   linkem [OPTIONS] IFA IFB [[ab|ba|both] KEY VALUE ...]...
 *   linkem ctl SOCKET COMMAND [ARGS...]
 *
 * Options may come anywhere; the first two other words are the interfaces.
 *
 * Keys (see model.h; probabilities as 0.1 or 10%):
 *   delay MS, jitter MS, jitter-reorder on|off, loss P,
 *   ge-p P, ge-r P, ge-h P, ge-k P (Gilbert-Elliott; on when ge-p > 0),
 *   dup P, reorder P, reorder-delay MS, corrupt P,
 *   rate MBIT (0: none), queue BYTES (k, m suffixes)
 *
 * Control socket (SOCK_SEQPACKET, one request and one reply per
 * connection; `linkem ctl` is its client):
 *   stats            per direction: "ab rx=... tx=... lost=..." lines
 *   show             per direction: the parameters
 *   set ARGS...      as on the command line; all or nothing
 *   reset            zero the statistics
 *   seed N           restart the random streams (and the Gilbert-Elliott
 *                    state) as --seed N would: the same frames then meet
 *                    the same fates
 *   flush            write out the event log (--event-log); answers
 *                    "events=N missed=M truncated=0|1": M drops could not
 *                    be logged (the log was full, the frame pool empty or
 *                    the receive socket overflowed), so a log with M > 0
 *                    does not name every frame the emulator lost
 * Errors are answered "error: ...". SIGUSR1 prints the statistics to
 * stderr; SIGINT, SIGTERM and SIGHUP print them and exit.
 *
 * I/O: one AF_PACKET socket per interface (bound before it receives, so
 * nothing from other interfaces slips in; promiscuous; PACKET_QDISC_BYPASS;
 * PACKET_IGNORE_OUTGOING, so it does not see its own transmissions),
 * recvmmsg/sendmmsg in batches into a frame pool allocated at start. Each
 * direction keeps its frames in a heap ordered by departure time and the
 * loop sleeps in ppoll() until the earliest one (timer slack 1 ns).
 * PACKET_VNET_HDR tells which frames carry a partial checksum (a Linux
 * sender on veth with tx checksum offload on): linkem completes those
 * checksums before anything else, as a real wire would have seen them.
 * PACKET_AUXDATA gives back VLAN tags the interface took off; they are put
 * back into the frame.
 *
 * --event-log PATH writes a line per frame lost, dropped or corrupted
 * (evlog.h has the format), so a capture can tell which retransmissions
 * the emulator caused; nothing is done for frames forwarded untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>
#include <arpa/inet.h>

#include "wire/checksum.h"
#include "evlog.h"
#include "model.h"

#define BATCH 64
#define RX_BUDGET 8 /* batches per port per loop turn */
#define MAX_CLIENTS 8
#define CTL_REQ_MAX 1024
#define CTL_REPLY_MAX 4096
#define VLAN_HLEN 4
#define DEFAULT_FRAMES 8192
#define SOCK_BUF (8 << 20)

struct port {
	const char *name;
	int ifindex;
	int fd;
	uint32_t max_len; /* largest frame it may send: MTU + headers */
};

struct lem {
	struct port port[LEM_NDIR]; /* direction x arrives on port[x] */
	struct lem_dir dir[LEM_NDIR];
	uint8_t *data; /* nslots slots of slot_size bytes */
	size_t slot_size;
	uint32_t nslots;
	struct lem_frame *fr;
	uint32_t *free;
	uint32_t nfree;
	uint8_t *scratch; /* receives what cannot be kept (pool empty) */
	const char *ctl_path;
	int ctl_fd;
	int clients[MAX_CLIENTS];
	int sig_fd;
	struct lem_evlog ev;
	bool quiet;
	bool stop;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint8_t *slot_data(struct lem *l, uint32_t idx)
{
	return l->data + (size_t)idx * l->slot_size;
}

static inline uint8_t *frame_data(struct lem *l, uint32_t idx)
{
	return slot_data(l, idx) + l->fr[idx].off;
}

static inline void slot_free(struct lem *l, uint32_t idx)
{
	l->free[l->nfree++] = idx;
}

/* --- ports ---------------------------------------------------------------- */

static int port_open(struct port *pt, const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct ifreq ifr = { 0 };
	int one = 1, buf = SOCK_BUF, err;

	pt->name = name;
	pt->fd = -1;
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	pt->ifindex = if_nametoindex(name);
	if (!pt->ifindex)
		return -errno;
	/* Protocol 0: it receives nothing until bound to the interface. */
	pt->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (pt->fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(pt->fd, SIOCGIFMTU, &ifr))
		goto fail;
	/* Ethernet header and up to two VLAN tags in the frame. */
	pt->max_len = ifr.ifr_mtu + ETH_HLEN + 2 * VLAN_HLEN;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_VNET_HDR, &one,
		       sizeof(one)) ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)))
		goto fail;
	if (setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(pt->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(pt->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = pt->ifindex;
	if (bind(pt->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	mr.mr_ifindex = pt->ifindex;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)))
		goto fail;
	return 0;

fail:
	err = -errno;
	close(pt->fd);
	pt->fd = -1;
	return err;
}

/* Complete a partial checksum: the field holds the pseudo-header's sum. */
static bool csum_complete(uint8_t *f, uint32_t len,
			  const struct virtio_net_hdr *vh)
{
	uint32_t start = le16toh(vh->csum_start);
	uint32_t at = start + le16toh(vh->csum_offset);
	uint16_t c;

	if (start >= len || at + 2 > len)
		return false;
	c = csum_fold(csum_partial(f + start, len - start, 0));
	memcpy(f + at, &c, 2);
	return true;
}

/* The VLAN tag the interface took off, if any. */
static bool vlan_of(struct msghdr *mh, uint16_t *tpid, uint16_t *tci)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET ||
		    c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (!(aux.tp_status & TP_STATUS_VLAN_VALID))
			return false;
		*tci = aux.tp_vlan_tci;
		*tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ?
				aux.tp_vlan_tpid :
				ETH_P_8021Q;
		return true;
	}
	return false;
}

/* One received frame in slot @idx: its fate in direction @x. */
static void rx_frame(struct lem *l, int x, uint32_t idx, uint32_t len,
		     struct msghdr *mh, const struct virtio_net_hdr *vh,
		     uint64_t now)
{
	struct lem_dir *d = &l->dir[x];
	const struct port *out = &l->port[!x];
	struct lem_frame *f = &l->fr[idx];
	uint64_t ge_lost = d->st.ge_lost;
	uint16_t tpid, tci;
	uint8_t *p;
	int copies, c;
	long bit;

	d->st.rx++;
	d->st.rx_bytes += len;
	f->off = VLAN_HLEN;
	f->len = len;
	p = slot_data(l, idx) + VLAN_HLEN;
	if ((mh->msg_flags & MSG_TRUNC) || len < ETH_HLEN) {
		/* Not all of it is here to be logged. */
		lem_evlog_missed(&l->ev, 1);
		goto oversize;
	}
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		if (!csum_complete(p, len, vh))
			goto oversize;
		d->st.csum_fixed++;
	}
	if (vlan_of(mh, &tpid, &tci)) {
		uint16_t tag[2] = { htons(tpid), htons(tci) };

		memmove(p - VLAN_HLEN, p, 2 * ETH_ALEN);
		memcpy(p - VLAN_HLEN + 2 * ETH_ALEN, tag, VLAN_HLEN);
		f->off = 0;
		f->len += VLAN_HLEN;
	}
	if (f->len > out->max_len) {
		lem_evlog_event(&l->ev, lem_dir_name[x], "oversize", 0,
				frame_data(l, idx), f->len, -1);
		goto oversize;
	}
	if (lem_lose(d)) {
		lem_evlog_event(&l->ev, lem_dir_name[x],
				d->st.ge_lost != ge_lost ? "ge_lost" : "lost",
				0, frame_data(l, idx), f->len, -1);
		slot_free(l, idx);
		return;
	}
	copies = 1 + lem_dup(d);
	for (c = 0; c < copies; c++) {
		uint32_t i = idx;

		if (c > 0) {
			if (!l->nfree) {
				d->st.nobuf++;
				break;
			}
			i = l->free[--l->nfree];
			l->fr[i].off = f->off;
			l->fr[i].len = f->len;
			memcpy(frame_data(l, i), frame_data(l, idx), f->len);
		}
		if (!lem_admit(d, &l->fr[i], now)) {
			lem_evlog_event(&l->ev, lem_dir_name[x], "qdrop", c,
					frame_data(l, i), l->fr[i].len, -1);
			slot_free(l, i);
			continue;
		}
		bit = lem_corrupt(d, frame_data(l, i), l->fr[i].len);
		if (bit >= 0)
			lem_evlog_event(&l->ev, lem_dir_name[x], "corrupt", c,
					frame_data(l, i), l->fr[i].len, bit);
		lem_heap_push(d, l->fr, i);
	}
	return;

oversize:
	d->st.oversize++;
	slot_free(l, idx);
}

/*
 * Receive up to RX_BUDGET batches from port @x. Returns 0, or a negative
 * errno when the socket failed.
 */
static int rx_port(struct lem *l, int x)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH][2];
	static struct virtio_net_hdr vh[BATCH];
	static union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cm[BATCH];
	uint32_t idx[BATCH];
	int fd = l->port[x].fd, b, i, k, n;
	uint64_t now;

	for (b = 0; b < RX_BUDGET; b++) {
		k = l->nfree < BATCH ? (int)l->nfree : BATCH;
		for (i = 0; i < (k ? k : BATCH); i++) {
			idx[i] = k ? l->free[--l->nfree] : UINT32_MAX;
			iov[i][0].iov_base = &vh[i];
			iov[i][0].iov_len = sizeof(vh[i]);
			iov[i][1].iov_base =
				k ? slot_data(l, idx[i]) + VLAN_HLEN :
				    l->scratch;
			iov[i][1].iov_len = l->slot_size - VLAN_HLEN;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = iov[i];
			msgs[i].msg_hdr.msg_iovlen = 2;
			msgs[i].msg_hdr.msg_control = cm[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
		}
		n = recvmmsg(fd, msgs, k ? k : BATCH, MSG_DONTWAIT, NULL);
		now = now_ns();
		if (n < 0) {
			n = -errno;
			for (i = 0; i < k; i++)
				slot_free(l, idx[i]);
			if (n == -EAGAIN || n == -EINTR)
				return 0;
			/* Gone with its interface: say so, go on. */
			return n;
		}
		if (!k) {
			/* Pool empty: what came in is dropped, unseen. */
			l->dir[x].st.rx += n;
			l->dir[x].st.nobuf += n;
			lem_evlog_missed(&l->ev, n);
		}
		for (i = 0; k && i < n; i++) {
			uint32_t len = msgs[i].msg_len;

			len = len > sizeof(vh[i]) ? len - sizeof(vh[i]) : 0;
			rx_frame(l, x, idx[i], len, &msgs[i].msg_hdr, &vh[i],
				 now);
		}
		for (i = n; i < k; i++)
			slot_free(l, idx[i]);
		if (n < (k ? k : BATCH))
			return 0;
	}
	return 0;
}

/* Send what is due in direction @x. */
static void tx_dir(struct lem *l, int x, uint64_t now)
{
	static const struct virtio_net_hdr vh0;
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH][2];
	struct lem_dir *d = &l->dir[x];
	uint32_t idx[BATCH];
	int fd = l->port[!x].fd, i, n, sent;

	while (lem_heap_due(d, l->fr, now)) {
		for (n = 0; n < BATCH && lem_heap_due(d, l->fr, now); n++) {
			idx[n] = lem_heap_pop(d, l->fr);
			iov[n][0].iov_base = (void *)&vh0;
			iov[n][0].iov_len = sizeof(vh0);
			iov[n][1].iov_base = frame_data(l, idx[n]);
			iov[n][1].iov_len = l->fr[idx[n]].len;
			memset(&msgs[n].msg_hdr, 0, sizeof(msgs[n].msg_hdr));
			msgs[n].msg_hdr.msg_iov = iov[n];
			msgs[n].msg_hdr.msg_iovlen = 2;
		}
		sent = sendmmsg(fd, msgs, n, MSG_DONTWAIT);
		if (sent < 0)
			sent = 0;
		for (i = 0; i < sent; i++) {
			lem_sent(d, &l->fr[idx[i]]);
			slot_free(l, idx[i]);
		}
		if (sent < n) {
			/* The first refused frame is dropped (so a dead
			 * port cannot stall the loop); the rest go back. */
			d->st.tx_err++;
			lem_evlog_event(&l->ev, lem_dir_name[x], "tx_err", 0,
					frame_data(l, idx[sent]),
					l->fr[idx[sent]].len, -1);
			slot_free(l, idx[sent]);
			for (i = sent + 1; i < n; i++)
				lem_heap_push(d, l->fr, idx[i]);
		}
	}
}

static void sock_drops(struct lem *l)
{
	struct tpacket_stats ps;
	socklen_t sl;
	int x;

	for (x = 0; x < LEM_NDIR; x++) {
		sl = sizeof(ps);
		/* Reading the counters resets them: they add up here. */
		if (!getsockopt(l->port[x].fd, SOL_PACKET, PACKET_STATISTICS,
				&ps, &sl)) {
			l->dir[x].st.sock_drops += ps.tp_drops;
			lem_evlog_missed(&l->ev, ps.tp_drops);
		}
	}
}

static int format_stats(struct lem *l, char *buf, size_t len)
{
	size_t n = 0;
	int x;

	sock_drops(l);
	for (x = 0; x < LEM_NDIR && n < len; x++) {
		n += snprintf(buf + n, len - n, "%s ", lem_dir_name[x]);
		if (n < len)
			n += lem_stats_format(&l->dir[x], buf + n, len - n);
		if (n < len)
			n += snprintf(buf + n, len - n, "\n");
	}
	return n < len ? (int)n : (int)len - 1;
}

static int format_params(struct lem *l, char *buf, size_t len)
{
	size_t n = 0;
	int x;

	for (x = 0; x < LEM_NDIR && n < len; x++) {
		n += snprintf(buf + n, len - n, "%s ", lem_dir_name[x]);
		if (n < len)
			n += lem_params_format(&l->dir[x].p, buf + n, len - n);
		if (n < len)
			n += snprintf(buf + n, len - n, "\n");
	}
	return n < len ? (int)n : (int)len - 1;
}

static void print_stats(struct lem *l)
{
	char buf[CTL_REPLY_MAX];

	format_stats(l, buf, sizeof(buf));
	fprintf(stderr, "%s", buf);
	fflush(stderr);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (end == s || *end || errno || *v > max || *s == '-')
		return -EINVAL;
	return 0;
}

/* --- control socket ------------------------------------------------------- */

static int split(char *s, char **argv, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, " \t\r\n", &save); t && n < max;
	     t = strtok_r(NULL, " \t\r\n", &save))
		argv[n++] = t;
	return t ? -E2BIG : n;
}

static void ctl_handle(struct lem *l, char *req, char *reply, size_t len)
{
	struct lem_params p[LEM_NDIR];
	char *argv[64], err[128];
	int argc, x;

	argc = split(req, argv, 64);
	if (argc <= 0) {
		snprintf(reply, len, "error: %s\n",
			 argc ? "too many words" : "empty request");
	} else if (!strcmp(argv[0], "stats") && argc == 1) {
		format_stats(l, reply, len);
	} else if (!strcmp(argv[0], "show") && argc == 1) {
		format_params(l, reply, len);
	} else if (!strcmp(argv[0], "reset") && argc == 1) {
		sock_drops(l);
		for (x = 0; x < LEM_NDIR; x++) {
			memset(&l->dir[x].st, 0, sizeof(l->dir[x].st));
			l->dir[x].last_lost = false;
		}
		snprintf(reply, len, "ok\n");
	} else if (!strcmp(argv[0], "seed") && argc == 2) {
		uint64_t seed;

		if (parse_u64(argv[1], UINT64_MAX, &seed)) {
			snprintf(reply, len, "error: bad seed '%s'\n", argv[1]);
			return;
		}
		for (x = 0; x < LEM_NDIR; x++)
			lem_dir_reseed(&l->dir[x], seed, x);
		snprintf(reply, len, "ok\n");
	} else if (!strcmp(argv[0], "flush") && argc == 1) {
		int e;

		if (!l->ev.f) {
			snprintf(reply, len, "error: no event log\n");
			return;
		}
		sock_drops(l);
		e = lem_evlog_flush(&l->ev);
		if (e) {
			snprintf(reply, len, "error: event log: %s\n",
				 strerror(-e));
			return;
		}
		snprintf(reply, len, "events=%llu missed=%llu truncated=%d\n",
			 (unsigned long long)l->ev.logged,
			 (unsigned long long)l->ev.missed, l->ev.truncated);
	} else if (!strcmp(argv[0], "set")) {
		for (x = 0; x < LEM_NDIR; x++)
			p[x] = l->dir[x].p;
		if (lem_params_parse(p, argc - 1, argv + 1, err, sizeof(err))) {
			snprintf(reply, len, "error: %s\n", err);
			return;
		}
		for (x = 0; x < LEM_NDIR; x++)
			l->dir[x].p = p[x];
		format_params(l, reply, len);
	} else {
		snprintf(reply, len,
			 "error: unknown request (stats, show, set, reset, "
			 "seed, flush)\n");
	}
}

static int ctl_open(struct lem *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	if (strlen(l->ctl_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, l->ctl_path, strlen(l->ctl_path) + 1);
	/* A socket an earlier linkem left; nothing else is replaced. */
	if (!lstat(l->ctl_path, &st) && S_ISSOCK(st.st_mode))
		unlink(l->ctl_path);
	l->ctl_fd = socket(AF_UNIX,
			   SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->ctl_fd < 0)
		return -errno;
	if (bind(l->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(l->ctl_path, 0600) || listen(l->ctl_fd, MAX_CLIENTS)) {
		err = -errno;
		close(l->ctl_fd);
		l->ctl_fd = -1;
		return err;
	}
	return 0;
}

static void ctl_accept(struct lem *l)
{
	int fd, i;

	while ((fd = accept4(l->ctl_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0; i < MAX_CLIENTS && l->clients[i] >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			close(fd);
			continue;
		}
		l->clients[i] = fd;
	}
}

static void ctl_client(struct lem *l, int i)
{
	char req[CTL_REQ_MAX], reply[CTL_REPLY_MAX];
	ssize_t n;

	n = recv(l->clients[i], req, sizeof(req) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		req[n] = '\0';
		ctl_handle(l, req, reply, sizeof(reply));
		send(l->clients[i], reply, strlen(reply), MSG_NOSIGNAL);
	}
	close(l->clients[i]);
	l->clients[i] = -1;
}

/* The client: `linkem ctl SOCKET COMMAND [ARGS...]`. */
static int ctl_main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char req[CTL_REQ_MAX], reply[CTL_REPLY_MAX + 1];
	size_t n = 0;
	ssize_t r;
	int fd, i;

	if (argc < 2) {
		fprintf(stderr, "usage: linkem ctl SOCKET COMMAND [ARGS...]\n");
		return 2;
	}
	if (strlen(argv[0]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "linkem: socket path too long\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[0], strlen(argv[0]) + 1);
	for (i = 1; i < argc; i++) {
		int w = snprintf(req + n, sizeof(req) - n, "%s%s",
				 i > 1 ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= sizeof(req) - n) {
			fprintf(stderr, "linkem: request too long\n");
			return 2;
		}
		n += w;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "linkem: %s: %s\n", argv[0], strerror(errno));
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, n, MSG_NOSIGNAL) < 0 ||
	    (r = recv(fd, reply, CTL_REPLY_MAX, 0)) <= 0) {
		fprintf(stderr, "linkem: %s: no reply\n", argv[0]);
		close(fd);
		return 2;
	}
	close(fd);
	reply[r] = '\0';
	if (!strncmp(reply, "error:", 6)) {
		fprintf(stderr, "linkem: %s", reply);
		return 1;
	}
	fputs(reply, stdout);
	return 0;
}

/* --- main loop ------------------------------------------------------------ */

static void handle_signals(struct lem *l)
{
	struct signalfd_siginfo si;

	while (read(l->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			print_stats(l);
		else
			l->stop = true;
	}
}

static int run(struct lem *l)
{
	enum { P_A, P_B, P_SIG, P_CTL, P_CLI };
	struct pollfd pfd[P_CLI + MAX_CLIENTS];
	struct timespec ts, *tsp;
	uint64_t now, next;
	int x, i, n, err;

	while (!l->stop) {
		now = now_ns();
		next = UINT64_MAX;
		for (x = 0; x < LEM_NDIR; x++) {
			tx_dir(l, x, now);
			if (l->dir[x].nheap &&
			    l->fr[l->dir[x].heap[0]].due < next)
				next = l->fr[l->dir[x].heap[0]].due;
		}
		tsp = NULL;
		if (next != UINT64_MAX) {
			now = now_ns();
			next = next > now ? next - now : 0;
			ts.tv_sec = next / 1000000000ULL;
			ts.tv_nsec = next % 1000000000ULL;
			tsp = &ts;
		}
		pfd[P_A] = (struct pollfd){ .fd = l->port[0].fd,
					    .events = POLLIN };
		pfd[P_B] = (struct pollfd){ .fd = l->port[1].fd,
					    .events = POLLIN };
		pfd[P_SIG] =
			(struct pollfd){ .fd = l->sig_fd, .events = POLLIN };
		pfd[P_CTL] =
			(struct pollfd){ .fd = l->ctl_fd, .events = POLLIN };
		n = P_CLI;
		for (i = 0; i < MAX_CLIENTS; i++)
			pfd[n++] = (struct pollfd){ .fd = l->clients[i],
						    .events = POLLIN };
		if (ppoll(pfd, n, tsp, NULL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (x = 0; x < LEM_NDIR; x++) {
			if (pfd[P_A + x].revents & (POLLERR | POLLNVAL)) {
				err = -ENETDOWN;
				fprintf(stderr, "linkem: %s: %s\n",
					l->port[x].name, strerror(-err));
				return err;
			}
			if (pfd[P_A + x].revents & POLLIN) {
				err = rx_port(l, x);
				if (err) {
					fprintf(stderr, "linkem: %s: %s\n",
						l->port[x].name,
						strerror(-err));
					return err;
				}
			}
		}
		if (pfd[P_SIG].revents & POLLIN)
			handle_signals(l);
		if (pfd[P_CTL].revents & POLLIN)
			ctl_accept(l);
		for (i = 0; i < MAX_CLIENTS; i++)
			if (l->clients[i] >= 0 && pfd[P_CLI + i].revents)
				ctl_client(l, i);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: linkem [OPTIONS] IFA IFB [[ab|ba|both] KEY VALUE ...]...\n"
		"       linkem ctl SOCKET stats|show|reset|seed N|flush|set ARGS...\n"
		"Forwards frames between IFA and IFB; \"ab\" is IFA to IFB.\n"
		"keys (per direction, \"both\" unless ab/ba precedes them):\n"
		"  delay MS, jitter MS, jitter-reorder on|off, loss P,\n"
		"  ge-p P, ge-r P, ge-h P, ge-k P   Gilbert-Elliott loss\n"
		"        (on when ge-p > 0; h, k: delivery in bad, good)\n"
		"  dup P, reorder P, reorder-delay MS, corrupt P,\n"
		"  rate MBIT (0: unlimited), queue BYTES (k/m suffix)\n"
		"  P: a probability, 0.1 or 10%%\n"
		"options:\n"
		"  -s, --seed N        random seed (default 1)\n"
		"  -c, --control PATH  control socket (SOCK_SEQPACKET)\n"
		"  -n, --frames N      frame pool size (default %d)\n"
		"  -r, --reorder       jitter may reorder (jitter-reorder on)\n"
		"  -q, --quiet         no statistics at exit\n"
		"  -e, --event-log PATH  a line per frame dropped or corrupted\n"
		"  -E, --event-log-max N  lines before it stops (default %d)\n"
		"  -h, --help          this text\n",
		DEFAULT_FRAMES, LEM_EVLOG_DEFAULT_MAX);
}

static int lem_setup(struct lem *l, uint32_t nframes, uint64_t seed)
{
	uint32_t max_len, i;
	int x;

	max_len = l->port[0].max_len > l->port[1].max_len ? l->port[0].max_len :
							    l->port[1].max_len;
	/* Room to put a VLAN tag back in front, 64-byte aligned slots. */
	l->slot_size = (max_len + VLAN_HLEN + 63) & ~(size_t)63;
	l->nslots = nframes;
	l->data = malloc((size_t)nframes * l->slot_size);
	l->fr = calloc(nframes, sizeof(*l->fr));
	l->free = malloc(nframes * sizeof(*l->free));
	l->scratch = malloc(l->slot_size);
	if (!l->data || !l->fr || !l->free || !l->scratch)
		return -ENOMEM;
	for (i = 0; i < nframes; i++)
		l->free[i] = nframes - 1 - i;
	l->nfree = nframes;
	for (x = 0; x < LEM_NDIR; x++) {
		uint32_t *heap = malloc(nframes * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		lem_dir_init(&l->dir[x], seed, x, heap);
	}
	return 0;
}

static void lem_free(struct lem *l)
{
	int x, i;

	for (x = 0; x < LEM_NDIR; x++) {
		if (l->port[x].fd >= 0)
			close(l->port[x].fd);
		free(l->dir[x].heap);
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (l->clients[i] >= 0)
			close(l->clients[i]);
	lem_evlog_close(&l->ev);
	if (l->ctl_fd >= 0) {
		close(l->ctl_fd);
		unlink(l->ctl_path);
	}
	if (l->sig_fd >= 0)
		close(l->sig_fd);
	free(l->data);
	free(l->fr);
	free(l->free);
	free(l->scratch);
}

struct args {
	uint64_t seed, nframes, evlog_max;
	const char *evlog;
	struct lem_params p[LEM_NDIR];
	const char *ifname[LEM_NDIR];
};

/* Returns 0, 1 after --help, or -EINVAL on a usage error. */
static int parse_args(struct lem *l, struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'n' },
		{ "reorder", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "event-log", required_argument, NULL, 'e' },
		{ "event-log-max", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool reorder = false;
	char err[128];
	int c, x;

	a->seed = 1;
	a->nframes = DEFAULT_FRAMES;
	a->evlog = NULL;
	a->evlog_max = LEM_EVLOG_DEFAULT_MAX;
	while ((c = getopt_long(argc, argv, "s:c:n:rqe:E:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			if (parse_u64(optarg, UINT64_MAX, &a->seed))
				return -EINVAL;
			break;
		case 'c':
			l->ctl_path = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 1u << 22, &a->nframes) ||
			    a->nframes < 2 * BATCH)
				return -EINVAL;
			break;
		case 'r':
			reorder = true;
			break;
		case 'q':
			l->quiet = true;
			break;
		case 'e':
			a->evlog = optarg;
			break;
		case 'E':
			if (parse_u64(optarg, UINT64_MAX, &a->evlog_max))
				return -EINVAL;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (argc - optind < 2)
		return -EINVAL;
	for (x = 0; x < LEM_NDIR; x++) {
		a->ifname[x] = argv[optind + x];
		lem_params_default(&a->p[x]);
		a->p[x].jitter_reorder = reorder;
	}
	if (lem_params_parse(a->p, argc - optind - 2, argv + optind + 2, err,
			     sizeof(err))) {
		fprintf(stderr, "linkem: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lem l = { .ctl_fd = -1, .sig_fd = -1 };
	struct args a;
	char line[512];
	sigset_t ss;
	int x, i, ret = 1, e;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 2, argv + 2);
	for (i = 0; i < MAX_CLIENTS; i++)
		l.clients[i] = -1;
	for (x = 0; x < LEM_NDIR; x++)
		l.port[x].fd = -1;
	e = parse_args(&l, &a, argc, argv);
	if (e) {
		if (e < 0)
			usage(stderr);
		return e < 0 ? 2 : 0;
	}

	for (x = 0; x < LEM_NDIR; x++) {
		e = port_open(&l.port[x], a.ifname[x]);
		if (e) {
			fprintf(stderr, "linkem: %s: %s\n", a.ifname[x],
				strerror(-e));
			goto out;
		}
	}
	if (l.port[0].ifindex == l.port[1].ifindex) {
		fprintf(stderr, "linkem: IFA and IFB are the same interface\n");
		goto out;
	}
	if (lem_setup(&l, (uint32_t)a.nframes, a.seed)) {
		fprintf(stderr, "linkem: out of memory\n");
		goto out;
	}
	for (x = 0; x < LEM_NDIR; x++)
		l.dir[x].p = a.p[x];
	if (a.evlog) {
		e = lem_evlog_open(&l.ev, a.evlog, a.evlog_max);
		if (e) {
			fprintf(stderr, "linkem: %s: %s\n", a.evlog,
				strerror(-e));
			goto out;
		}
	}

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	l.sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l.sig_fd < 0) {
		perror("linkem: signalfd");
		goto out;
	}
	/* Wake-ups at the departure time asked for, not up to 50 us late. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	/* Last: once the control socket exists, linkem forwards. */
	if (l.ctl_path) {
		e = ctl_open(&l);
		if (e) {
			fprintf(stderr, "linkem: %s: %s\n", l.ctl_path,
				strerror(-e));
			goto out;
		}
	}
	if (!l.quiet) {
		fprintf(stderr, "linkem: %s <-> %s, seed %llu, %u frames\n",
			l.port[0].name, l.port[1].name,
			(unsigned long long)a.seed, l.nslots);
		for (x = 0; x < LEM_NDIR; x++) {
			lem_params_format(&l.dir[x].p, line, sizeof(line));
			fprintf(stderr, "linkem: %s %s\n", lem_dir_name[x],
				line);
		}
	}
	ret = run(&l) ? 1 : 0;
	if (!l.quiet)
		print_stats(&l);
	if (l.ev.f && !l.quiet)
		fprintf(stderr, "linkem: event log: %llu events, %llu missed\n",
			(unsigned long long)l.ev.logged,
			(unsigned long long)l.ev.missed);
out:
	lem_free(&l);
	return ret;
}
