// SPDX-License-Identifier: BSD-2-Clause
/*
 * A libxtcp program for the namespace tests (tests/ns/test_sockapi.sh).
 *
 *	xtcp_tool nc HOST PORT [-N]       connect; stdin -> socket, socket ->
 *	                                  stdout; -N: shutdown(SHUT_WR) at
 *	                                  stdin's end; ends at the socket's end
 *	xtcp_tool serve PORT [N] [-N]     accept N (default 1) connections one
 *	                                  after the other on [::]:PORT and do
 *	                                  the same with each
 *	xtcp_tool echo PORT N             accept N connections, echo each
 *	xtcp_tool bind FAMILY ADDR PORT [reuse] [excl] [v6only] [hold]
 *	                                  print "ok" or the errno name; hold:
 *	                                  keep the socket (listening) until
 *	                                  stdin ends
 *	xtcp_tool connect HOST PORT [twice]  "ok" or the errno name; twice:
 *	                                  then connect again (EISCONN)
 *	xtcp_tool nbconnect HOST PORT     non-blocking: EINPROGRESS, EALREADY,
 *	                                  then poll and SO_ERROR
 *	xtcp_tool abort HOST PORT         connect, write a line, SO_LINGER 0,
 *	                                  close: the peer sees RST
 *	xtcp_tool hold HOST PORT read|write  block in read (or in write on a
 *	                                  peer that does not read); print the
 *	                                  errno name, the milliseconds
 *	                                  from "blocked" to the return and
 *	                                  the wall-clock time of the return
 *	                                  (ms since the epoch)
 *	xtcp_tool halfserve PORT          accept one, read to the end, then
 *	                                  answer "got N" and close
 *	xtcp_tool halfclient HOST PORT N  send N bytes, shutdown(SHUT_WR),
 *	                                  print what comes back until the end
 *	xtcp_tool hostile APP_SOCKET HOST PORT  forged and malformed requests
 *
 * Errors print as "error: ENAME" on stdout and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xtcp/ipc.h"
#include "xtcp/xtcp.h"

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static int die(const char *what)
{
	printf("error: %s\n", ename(errno));
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	fflush(stdout);
	return 1;
}

static int resolve(const char *host, const char *port, int passive,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST |
					      (passive ? AI_PASSIVE : 0) },
			*ai;

	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int dial(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (resolve(host, port, 0, &ss, &len)) {
		errno = EINVAL;
		return -1;
	}
	fd = xtcp_socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (xtcp_connect(fd, (struct sockaddr *)&ss, len)) {
		int e = errno;

		xtcp_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int listener(const char *port, int backlog)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)atoi(port)) };
	int fd = xtcp_socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (xtcp_bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    xtcp_listen(fd, backlog))
		return -1;
	return fd;
}

static bool write_all(int fd, const char *p, size_t n, bool sock)
{
	while (n) {
		ssize_t w = sock ? xtcp_write(fd, p, n) : write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* stdin -> fd, fd -> stdout, until fd ends. */
static int pump(int fd, bool half_close)
{
	static char buf[1 << 16];
	bool in_open = true;

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = 0, .events = POLLIN } };
		ssize_t n;

		if (xtcp_poll(p, in_open ? 2 : 1, -1) < 0)
			return die("poll");
		if (p[0].revents) {
			n = xtcp_read(fd, buf, sizeof(buf));
			if (n < 0)
				return die("read");
			if (n == 0)
				return 0;
			if (!write_all(1, buf, (size_t)n, false))
				return die("stdout");
		}
		if (in_open && p[1].revents) {
			n = read(0, buf, sizeof(buf));
			if (n < 0)
				return die("stdin");
			if (n == 0) {
				in_open = false;
				if (half_close && xtcp_shutdown(fd, SHUT_WR))
					return die("shutdown");
				continue;
			}
			if (!write_all(fd, buf, (size_t)n, true))
				return die("write");
		}
	}
}

static int cmd_nc(int argc, char **argv)
{
	int fd = dial(argv[2], argv[3]);

	if (fd < 0)
		return die("connect");
	if (pump(fd, argc > 4 && !strcmp(argv[4], "-N")))
		return 1;
	return xtcp_close(fd) ? die("close") : 0;
}

static int cmd_serve(int argc, char **argv, bool echo)
{
	int n = argc > 3 ? atoi(argv[3]) : 1;
	bool half = argc > 4 && !strcmp(argv[4], "-N");
	int lfd = listener(argv[2], 128);
	static char buf[1 << 16];

	if (lfd < 0)
		return die("listen");
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int fd = xtcp_accept(lfd, NULL, NULL);
		ssize_t r;

		if (fd < 0)
			return die("accept");
		if (!echo) {
			if (pump(fd, half))
				return 1;
		} else {
			while ((r = xtcp_read(fd, buf, sizeof(buf))) > 0)
				if (!write_all(fd, buf, (size_t)r, true))
					break;
		}
		if (xtcp_close(fd))
			return die("close");
	}
	return xtcp_close(lfd) ? die("close") : 0;
}

static int cmd_bind(int argc, char **argv)
{
	int fam = !strcmp(argv[2], "6") ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1;
	bool hold = false;

	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(argv[4]));
		if (inet_pton(AF_INET6, argv[3], &s6->sin6_addr) != 1)
			return 2;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(argv[4]));
		if (inet_pton(AF_INET, argv[3], &s4->sin_addr) != 1)
			return 2;
		len = sizeof(*s4);
	}
	fd = xtcp_socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return die("socket");
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "reuse") &&
		    xtcp_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				    sizeof(one)))
			return die("SO_REUSEADDR");
		if (!strcmp(argv[i], "excl") &&
		    xtcp_setsockopt(fd, SOL_SOCKET, SO_EXCLBIND, &one,
				    sizeof(one)))
			return die("SO_EXCLBIND");
		if (!strcmp(argv[i], "v6only") &&
		    xtcp_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				    sizeof(one)))
			return die("IPV6_V6ONLY");
		if (!strcmp(argv[i], "hold"))
			hold = true;
	}
	if (xtcp_bind(fd, (struct sockaddr *)&ss, len))
		return die("bind");
	if (hold && xtcp_listen(fd, 16))
		return die("listen");
	printf("ok\n");
	fflush(stdout);
	if (hold) {
		char c;

		while (read(0, &c, 1) > 0)
			;
	}
	xtcp_close(fd);
	return 0;
}

static int cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (resolve(argv[2], argv[3], 0, &ss, &len))
		return 2;
	fd = xtcp_socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return die("socket");
	if (xtcp_connect(fd, (struct sockaddr *)&ss, len))
		return die("connect");
	if (argc > 4 && !strcmp(argv[4], "twice") &&
	    xtcp_connect(fd, (struct sockaddr *)&ss, len))
		return die("connect again");
	printf("ok\n");
	xtcp_close(fd);
	return 0;
}

static int cmd_nbconnect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len, elen = sizeof(int);
	int fd, err = 0;
	struct pollfd p;

	if (resolve(argv[2], argv[3], 0, &ss, &len))
		return 2;
	fd = xtcp_socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return die("socket");
	if (!xtcp_connect(fd, (struct sockaddr *)&ss, len) ||
	    errno != EINPROGRESS)
		return die("connect (want EINPROGRESS)");
	printf("%s", ename(errno));
	if (!xtcp_connect(fd, (struct sockaddr *)&ss, len))
		printf(" 0");
	else
		printf(" %s", ename(errno));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (xtcp_poll(&p, 1, 5000) != 1)
		return die("poll");
	if (xtcp_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return die("SO_ERROR");
	printf(" %s\n", err ? ename(err) : "0");
	xtcp_close(fd);
	return 0;
}

static int cmd_abort(int argc, char **argv)
{
	struct linger l = { 1, 0 };
	int fd = dial(argv[2], argv[3]);

	if (fd < 0)
		return die("connect");
	if (!write_all(fd, "bye\n", 4, true))
		return die("write");
	usleep(200000);
	if (xtcp_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		return die("SO_LINGER");
	return xtcp_close(fd) ? die("close") : 0;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int cmd_hold(int argc, char **argv)
{
	static char buf[1 << 16];
	int fd = dial(argv[2], argv[3]);
	bool wr = argc > 4 && !strcmp(argv[4], "write");
	uint64_t t0;
	ssize_t n;

	if (fd < 0)
		return die("connect");
	signal(SIGPIPE, SIG_IGN);
	if (wr) {
		/* Fill the send buffer and the peer's window first. */
		int fl = xtcp_fcntl(fd, F_GETFL);

		xtcp_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		for (int idle = 0; idle < 20;) {
			if (xtcp_write(fd, buf, sizeof(buf)) > 0)
				idle = 0;
			else
				idle++, usleep(50000);
		}
		xtcp_fcntl(fd, F_SETFL, fl);
	}
	printf("blocked\n");
	fflush(stdout);
	t0 = ms_now();
	do
		n = wr ? xtcp_write(fd, buf, sizeof(buf)) :
			 xtcp_read(fd, buf, sizeof(buf));
	while (n > 0);
	{
		struct timespec ts;

		/* When it returned, wall clock, for the test to compare. */
		clock_gettime(CLOCK_REALTIME, &ts);
		printf("%s %llu %llu\n", n == 0 ? "EOF" : ename(errno),
		       (unsigned long long)(ms_now() - t0),
		       (unsigned long long)ts.tv_sec * 1000 +
			       (unsigned long long)ts.tv_nsec / 1000000);
	}
	return 0;
}

static int cmd_halfserve(int argc, char **argv)
{
	static char buf[1 << 16];
	int lfd = listener(argv[2], 4), fd;
	unsigned long total = 0;
	char line[64];
	ssize_t n;

	if (lfd < 0)
		return die("listen");
	printf("listening\n");
	fd = xtcp_accept(lfd, NULL, NULL);
	if (fd < 0)
		return die("accept");
	while ((n = xtcp_read(fd, buf, sizeof(buf))) > 0)
		total += (unsigned long)n;
	if (n < 0)
		return die("read");
	snprintf(line, sizeof(line), "got %lu\n", total);
	if (!write_all(fd, line, strlen(line), true))
		return die("write after EOF");
	xtcp_close(fd);
	xtcp_close(lfd);
	return 0;
}

static int cmd_halfclient(int argc, char **argv)
{
	static char buf[1 << 16];
	int fd = dial(argv[2], argv[3]);
	long left = atol(argv[4]);
	ssize_t n;

	if (fd < 0)
		return die("connect");
	memset(buf, 'x', sizeof(buf));
	while (left > 0) {
		n = xtcp_write(fd, buf,
			       left < (long)sizeof(buf) ? (size_t)left :
							  sizeof(buf));
		if (n <= 0)
			return die("write");
		left -= n;
	}
	if (xtcp_shutdown(fd, SHUT_WR))
		return die("shutdown");
	while ((n = xtcp_read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0)
		return die("read");
	xtcp_close(fd);
	return 0;
}

/* --- hostile: talk the protocol by hand ---------------------------------- */

static int hfd = -1;
static uint32_t hseq;

static int hcall(struct xtcp_ipc_req *q, size_t len, struct xtcp_ipc_rep *r,
		 int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	q->version = XTCP_IPC_VERSION;
	q->seq = ++hseq;
	if (send(hfd, q, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1000;
	n = recvmsg(hfd, &m, 0);
	if (n != (ssize_t)sizeof(*r))
		return -1001;
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) /
				      sizeof(int));
			memcpy(fds, CMSG_DATA(c), (size_t)*nfds * sizeof(int));
		}
	return r->err;
}

#define EXPECT(cond, what)                                                \
	do {                                                              \
		if (!(cond)) {                                            \
			printf("FAILED: %s (line %d)\n", what, __LINE__); \
			return 1;                                         \
		}                                                         \
	} while (0)

static int cmd_hostile(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	struct xtcp_shm_hdr *hdr;
	struct xtcp_shm_slot *sl;
	int fds[4], nfds, ret;
	uint8_t *base;
	uint32_t slot, gen;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[2]);
	hfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (connect(hfd, (struct sockaddr *)&sun, sizeof(sun)))
		return die("connect");
	/* Before HELLO: nothing. */
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_SOCKET;
	q.arg[0] = AF_INET;
	q.arg[1] = SOCK_STREAM;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == -EPROTO,
	       "SOCKET before HELLO");
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_HELLO;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == 0 && nfds == 2, "HELLO");
	base = mmap(NULL, r.u64, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	EXPECT(base != MAP_FAILED, "mmap");
	hdr = (void *)base;
	/* The region cannot be shrunk under the daemon. */
	EXPECT(ftruncate(fds[0], 4096) < 0, "ftruncate refused (sealed)");
	/* Wrong sizes: short, long. */
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_SOCKET;
	EXPECT(hcall(&q, 10, &r, fds, &nfds) == -EINVAL, "short request");
	{
		static uint8_t big[sizeof(q) + 100];

		memcpy(big, &q, sizeof(q));
		EXPECT(hcall((void *)big, sizeof(big), &r, fds, &nfds) ==
			       -EINVAL,
		       "long request");
	}
	/* Bad version, op, len, family. */
	memset(&q, 0, sizeof(q));
	q.op = 999;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == -EOPNOTSUPP, "bad op");
	q.op = XTCP_OP_BIND;
	q.len = 100000;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == -EINVAL, "bad len");
	/* A socket of our own. */
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_SOCKET;
	q.arg[0] = AF_INET;
	q.arg[1] = SOCK_STREAM;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == 0 && nfds == 1,
	       "SOCKET");
	slot = r.slot;
	gen = r.gen;
	/* Out-of-range and unknown slots, wrong generations. */
	uint32_t bad[][2] = {
		{ 0xffffffffu, 0 },	   { 1u << 30, 1 },
		{ XTCP_SHM_SLOTS_MAX, 1 }, { slot, gen + 1 },
		{ slot + 1, gen },	   { slot ? slot - 1 : 5, 1 }
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ops[] = { XTCP_OP_BIND,	XTCP_OP_LISTEN,
			      XTCP_OP_ACCEPT,	XTCP_OP_CONNECT,
			      XTCP_OP_CLOSE,	XTCP_OP_GETNAME,
			      XTCP_OP_SEND_OOB, XTCP_OP_RECV_OOB,
			      XTCP_OP_SHUTDOWN, XTCP_OP_GETSOCKOPT };

		for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			memset(&q, 0, sizeof(q));
			q.op = (uint16_t)ops[k];
			q.slot = bad[i][0];
			q.gen = bad[i][1];
			ret = hcall(&q, sizeof(q), &r, fds, &nfds);
			EXPECT(ret == -EBADF && r.len == 0 && nfds == 0,
			       "forged slot refused");
		}
	}
	/* Corrupt every shared index of our slot, and the pending map. */
	sl = (void *)(base + hdr->slot_off);
	for (uint32_t i = 0; i < hdr->nslots; i++) {
		sl[i].rx_tail = 0x80000000u;
		sl[i].tx_head = 0x7fffffffu;
		sl[i].want = 1;
	}
	memset(hdr->pending_map, 0xff, sizeof(hdr->pending_map));
	hdr->pending = 1;
	/* Connect it somewhere so the rings exist, then corrupt again. */
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_CONNECT;
	q.slot = slot;
	q.gen = gen;
	q.addr.family = AF_INET;
	q.addr.port = (uint16_t)atoi(argv[4]);
	q.addr.addr[10] = q.addr.addr[11] = 0xff;
	inet_pton(AF_INET, argv[3], q.addr.addr + 12);
	ret = hcall(&q, sizeof(q), &r, fds, &nfds);
	EXPECT(ret == -EINPROGRESS, "CONNECT");
	usleep(200000);
	sl[slot].rx_tail += 12345678;
	sl[slot].tx_head -= 1000;
	memset(hdr->pending_map, 0xff, sizeof(hdr->pending_map));
	hdr->pending = 1;
	usleep(200000);
	sl[slot].tx_head += 0x40000000u;
	hdr->pending_map[slot / 64] |= 1ull << (slot % 64);
	hdr->pending = 1;
	usleep(200000);
	/* Still answering. */
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_GETNAME;
	q.slot = slot;
	q.gen = gen;
	EXPECT(hcall(&q, sizeof(q), &r, fds, &nfds) == 0, "GETNAME after");
	/* A descriptor sent to the daemon is dropped, not kept. */
	printf("hostile ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "nc"))
		return cmd_nc(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc, argv, false);
	if (argc >= 4 && !strcmp(argv[1], "echo"))
		return cmd_serve(argc, argv, true);
	if (argc >= 5 && !strcmp(argv[1], "bind"))
		return cmd_bind(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "connect"))
		return cmd_connect(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "nbconnect"))
		return cmd_nbconnect(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "abort"))
		return cmd_abort(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "hold"))
		return cmd_hold(argc, argv);
	if (argc >= 3 && !strcmp(argv[1], "halfserve"))
		return cmd_halfserve(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "halfclient"))
		return cmd_halfclient(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "hostile"))
		return cmd_hostile(argc, argv);
	fprintf(stderr, "usage: see tests/ns/xtcp_tool.c\n");
	return 2;
}
