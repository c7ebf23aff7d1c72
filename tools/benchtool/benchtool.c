// SPDX-License-Identifier: BSD-2-Clause
/*
 * benchtool: the client and server of `make bench` (tools/bench/bench.sh).
 * One source, built twice: $(BUILD)/benchtool over the kernel's socket API
 * and $(BUILD)/benchtool-xtcp (-DBENCH_XTCP) over libxtcp, so Linux TCP and
 * xtcp run exactly the same code.
 *
 *	benchtool server PORT [SECS]       serve every mode below on [::]:PORT
 *	                                   (a thread per bulk or rr connection)
 *	benchtool send HOST PORT BYTES SECS  bulk to the server; it answers the
 *	                                   byte count once it has read them all
 *	benchtool recv HOST PORT BYTES SECS  bulk from the server
 *	benchtool rr HOST PORT COUNT SECS  64-byte ping-pong, one sample per
 *	                                   message
 *	benchtool crr HOST PORT COUNT SECS  connect, 64-byte request, 64-byte
 *	                                   answer, the server closes, close
 *	benchtool holdserve PORT N SECS    accept N connections and hold them
 *	benchtool hold HOST PORT N SECS    open N idle connections and hold them
 *
 * Every load stops at its count or its SECS, whichever comes first. Clients
 * print one line of KEY=VALUE results, ending with cpu= (user + system
 * seconds of this process, getrusage).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_XTCP
#include "xtcp/xtcp.h"
#define S(f) xtcp_##f
#define STACK "xtcp"
#else
#define S(f) f
#define STACK "linux"
#endif

#define MSG 64
#define BULK_BUF (1 << 16)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int die(const char *what)
{
	fprintf(stderr, "benchtool(" STACK "): %s: %s\n", what,
		strerror(errno));
	return 1;
}

static bool read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = S(read)(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = S(write)(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void nodelay(int fd)
{
	int one = 1;

	/* Best effort: the same call on both stacks. */
	S(setsockopt)(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * BENCH_CC names the congestion control both stacks run. Per socket,
 * because a network namespace may only choose its default among the
 * algorithms the initial namespace allows (net.ipv4.tcp_allowed_...).
 */
static void set_cc(int fd)
{
	const char *cc = getenv("BENCH_CC");

	if (cc && *cc &&
	    S(setsockopt)(fd, IPPROTO_TCP, TCP_CONGESTION, cc,
			  (socklen_t)strlen(cc))) {
		fprintf(stderr, "benchtool: TCP_CONGESTION %s: %s\n", cc,
			strerror(errno));
		exit(1);
	}
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST },
			*ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai)) {
		errno = EINVAL;
		return -1;
	}
	fd = S(socket)(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0)
		set_cc(fd);
	if (fd >= 0 && S(connect)(fd, ai->ai_addr, ai->ai_addrlen)) {
		int e = errno;

		S(close)(fd);
		errno = e;
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int listener(const char *port, int backlog)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)atoi(port)) };
	int one = 1, fd = S(socket)(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	S(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_cc(fd); /* accepted connections inherit it */
	if (S(bind)(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    S(listen)(fd, backlog))
		return -1;
	return fd;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- server --------------------------------------------------------------- */

/* What a client asks for first: mode byte, byte count, seconds. */
struct hello {
	char mode; /* 'B' sink, 'S' source, 'R' echo, 'C' one request */
	char pad[3];
	uint32_t secs;
	uint64_t bytes;
};

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[BULK_BUF];
	struct hello h;
	uint64_t n = 0;

	if (!read_full(fd, &h, sizeof(h)))
		goto out;
	if (h.mode == 'B') {
		ssize_t r;

		while ((r = S(read)(fd, buf, sizeof(buf))) > 0)
			n += (uint64_t)r;
		write_full(fd, &n, sizeof(n));
	} else if (h.mode == 'S') {
		double end = now() + h.secs;

		memset(buf, 'x', sizeof(buf));
		while (n < h.bytes && now() < end) {
			size_t c = sizeof(buf);

			if (h.bytes - n < c)
				c = (size_t)(h.bytes - n);
			if (!write_full(fd, buf, c))
				break;
			n += c;
		}
	} else if (h.mode == 'R' || h.mode == 'C') {
		nodelay(fd);
		while (read_full(fd, buf, MSG) && write_full(fd, buf, MSG))
			if (h.mode == 'C')
				break;
	}
out:
	S(close)(fd);
	return NULL;
}

static int server(const char *port)
{
	int lfd = listener(port, 1024);

	if (lfd < 0)
		return die("listen");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int fd = S(accept)(lfd, NULL, NULL);
		pthread_t t;
		pthread_attr_t at;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return die("accept");
		}
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 << 10);
		if (pthread_create(&t, &at, serve_conn, (void *)(intptr_t)fd))
			S(close)(fd);
		pthread_attr_destroy(&at);
	}
}

/* --- clients -------------------------------------------------------------- */

static int start(const char *host, const char *port, char mode, uint64_t bytes,
		 uint32_t secs)
{
	struct hello h = { .mode = mode, .secs = secs, .bytes = bytes };
	int fd = dial(host, port);

	if (fd < 0)
		return -1;
	if (mode == 'R' || mode == 'C')
		nodelay(fd);
	if (!write_full(fd, &h, sizeof(h))) {
		S(close)(fd);
		return -1;
	}
	return fd;
}

static int bulk(const char *host, const char *port, bool send, uint64_t bytes,
		double secs)
{
	static char buf[BULK_BUF];
	double t0 = now(), end = t0 + secs, t;
	uint64_t n = 0, acked = 0;
	int fd = start(host, port, send ? 'B' : 'S', bytes, (uint32_t)secs + 1);

	if (fd < 0)
		return die("connect");
	if (send) {
		memset(buf, 'x', sizeof(buf));
		while (n < bytes && now() < end) {
			size_t c = sizeof(buf);

			if (bytes - n < c)
				c = (size_t)(bytes - n);
			if (!write_full(fd, buf, c))
				return die("write");
			n += c;
		}
		S(shutdown)(fd, SHUT_WR);
		/* Done when the receiver has it all. */
		if (!read_full(fd, &acked, sizeof(acked)))
			return die("read ack");
		n = acked;
	} else {
		ssize_t r;

		while ((r = S(read)(fd, buf, sizeof(buf))) > 0) {
			n += (uint64_t)r;
			if (now() > end + 1)
				break;
		}
	}
	t = now() - t0;
	S(close)(fd);
	printf("bytes=%llu secs=%.3f gbps=%.3f cpu=%.3f\n",
	       (unsigned long long)n, t, (double)n * 8 / t / 1e9, cpu_self());
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int rr(const char *host, const char *port, long count, double secs)
{
	char buf[MSG];
	double *lat = calloc((size_t)count, sizeof(*lat));
	double t0 = now(), end = t0 + secs, t;
	long n = 0;
	int fd = start(host, port, 'R', 0, 0);

	if (fd < 0 || !lat)
		return die("connect");
	memset(buf, 'r', sizeof(buf));
	while (n < count) {
		double s = now();

		if (s > end)
			break;
		if (!write_full(fd, buf, MSG) || !read_full(fd, buf, MSG))
			return die("rr");
		lat[n++] = now() - s;
	}
	t = now() - t0;
	S(close)(fd);
	if (!n)
		return 1;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("msgs=%ld secs=%.3f p50_us=%.1f p99_us=%.1f rate=%.0f cpu=%.3f\n",
	       n, t, lat[n / 2] * 1e6, lat[(long)((double)n * 0.99)] * 1e6,
	       (double)n / t, cpu_self());
	free(lat);
	return 0;
}

static int crr(const char *host, const char *port, long count, double secs)
{
	char buf[MSG];
	double t0 = now(), end = t0 + secs, t;
	long n = 0, failed = 0;

	memset(buf, 'c', sizeof(buf));
	while (n < count && now() < end) {
		int fd = start(host, port, 'C', 0, 0);

		if (fd < 0) {
			/* Counted, and bounded by the deadline like the rest. */
			failed++;
			continue;
		}
		if (!write_full(fd, buf, MSG) || !read_full(fd, buf, MSG)) {
			failed++;
		} else {
			/* The server closes first: its side keeps TIME-WAIT. */
			S(read)(fd, buf, 1);
			n++;
		}
		S(close)(fd);
	}
	t = now() - t0;
	printf("conns=%ld failed=%ld secs=%.3f rate=%.0f cpu=%.3f\n", n, failed,
	       t, (double)n / t, cpu_self());
	return 0;
}

/* Hold N connections (opened by dialing, or accepted) for SECS at most. */
static int hold(const char *host, const char *port, long n, double secs)
{
	double end = now() + secs;
	int lfd = -1, *fds = calloc((size_t)n, sizeof(int));
	long i;

	if (!fds)
		return die("calloc");
	if (!host && (lfd = listener(port, 1024)) < 0)
		return die("listen");
	if (!host) {
		printf("listening\n");
		fflush(stdout);
	}
	for (i = 0; i < n && now() < end; i++) {
		fds[i] = host ? dial(host, port) : S(accept)(lfd, NULL, NULL);
		if (fds[i] < 0)
			break;
	}
	printf("held=%ld\n", i);
	fflush(stdout);
	while (now() < end)
		sleep(1);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: benchtool server PORT\n"
			"       benchtool send|recv HOST PORT BYTES SECS\n"
			"       benchtool rr|crr HOST PORT COUNT SECS\n"
			"       benchtool holdserve PORT N SECS\n"
			"       benchtool hold HOST PORT N SECS\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "server") && argc >= 3)
		return server(argv[2]);
	if (!strcmp(m, "holdserve") && argc == 5)
		return hold(NULL, argv[2], atol(argv[3]), atof(argv[4]));
	if (argc != 6)
		return usage();
	if (!strcmp(m, "send") || !strcmp(m, "recv"))
		return bulk(argv[2], argv[3], m[0] == 's',
			    strtoull(argv[4], NULL, 0), atof(argv[5]));
	if (!strcmp(m, "rr"))
		return rr(argv[2], argv[3], atol(argv[4]), atof(argv[5]));
	if (!strcmp(m, "crr"))
		return crr(argv[2], argv[3], atol(argv[4]), atof(argv[5]));
	if (!strcmp(m, "hold"))
		return hold(argv[2], argv[3], atol(argv[4]), atof(argv[5]));
	return usage();
}
