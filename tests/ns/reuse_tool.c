// SPDX-License-Identifier: BSD-2-Clause
/*
 * A libxtcp program for tests/ns/test_reuseport.sh: servers sharing a port
 * (SO_REUSEPORT), IPV6_V6ONLY, SO_REUSEADDR after TIME-WAIT, and a client
 * carried inside the daemon.
 *
 *	reuse_tool serve FAMILY ADDR PORT TAG [OPT...]
 *		bind and listen; print "listening PID reuseport=R v6only=V"
 *		(getsockopt's answers) or "error: ENAME" and exit 1. Then on
 *		each connection print "conn PEER", write "TAG PEER\n" and echo
 *		what comes until the peer's end (closefirst: close right after
 *		the line, so this side goes to TIME-WAIT). SIGUSR1 closes the
 *		listener only ("closed"), its accepted connections go on;
 *		SIGTERM ends the program.
 *		OPT: reuseport reuseaddr v6only excl noaccept closefirst
 *	reuse_tool count HOST PORT N [eof]
 *		N connections one after the other, each reading one line and
 *		closing (eof: after the server's end, so the server's side
 *		goes to TIME-WAIT); print "WORD COUNT" per first word of the
 *		lines (or "error:ENAME"), sorted.
 *
 * FAMILY is 4 or 6. Errors print as "error: ENAME" on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xtcp/xtcp.h"

#define MAX_CONNS 512
#define MAX_WORDS 16

static volatile sig_atomic_t got_usr1, got_term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

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

static bool has(int argc, char **argv, const char *opt)
{
	for (int i = 6; i < argc; i++)
		if (!strcmp(argv[i], opt))
			return true;
	return false;
}

static int addr_of(int fam, const char *a, const char *port,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, a, &s6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *s4 = (void *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)atoi(port));
	*len = sizeof(*s4);
	return inet_pton(AF_INET, a, &s4->sin_addr) == 1 ? 0 : -1;
}

static void peer_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(s4->sin_port));
	}
}

static int set_opt(int fd, int level, int name)
{
	int one = 1;

	return xtcp_setsockopt(fd, level, name, &one, sizeof(one));
}

static int get_opt(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (xtcp_getsockopt(fd, level, name, &v, &len))
		return -errno;
	return v;
}

static int open_listener(int argc, char **argv, int fam)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (addr_of(fam, argv[3], argv[4], &ss, &len)) {
		errno = EINVAL;
		return -1;
	}
	fd = xtcp_socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if ((has(argc, argv, "reuseport") &&
	     set_opt(fd, SOL_SOCKET, SO_REUSEPORT)) ||
	    (has(argc, argv, "reuseaddr") &&
	     set_opt(fd, SOL_SOCKET, SO_REUSEADDR)) ||
	    (has(argc, argv, "excl") && set_opt(fd, SOL_SOCKET, SO_EXCLBIND)) ||
	    (has(argc, argv, "v6only") &&
	     set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY)) ||
	    xtcp_bind(fd, (struct sockaddr *)&ss, len) || xtcp_listen(fd, 128))
		return -1;
	return fd;
}

/* The connection at @p ended or failed: close it, take it out. */
static void drop(struct pollfd *p, int *n, int i)
{
	xtcp_close(p[i].fd);
	p[i] = p[--*n];
}

static void serve_conn(struct pollfd *p, int *n, int i)
{
	char buf[4096];
	ssize_t r = xtcp_read(p[i].fd, buf, sizeof(buf));

	if (r <= 0 || xtcp_write(p[i].fd, buf, (size_t)r) != r)
		drop(p, n, i);
}

static void take_conn(struct pollfd *p, int *n, const char *tag,
		      bool closefirst)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char peer[80], line[128];
	int fd = xtcp_accept(p[0].fd, (struct sockaddr *)&ss, &len);
	size_t l;

	if (fd < 0)
		return;
	peer_str(&ss, peer, sizeof(peer));
	printf("conn %s\n", peer);
	fflush(stdout);
	l = (size_t)snprintf(line, sizeof(line), "%s %s\n", tag, peer);
	if (xtcp_write(fd, line, l) != (ssize_t)l || closefirst ||
	    *n >= MAX_CONNS) {
		xtcp_close(fd);
		return;
	}
	p[*n] = (struct pollfd){ .fd = fd, .events = POLLIN };
	(*n)++;
}

static int cmd_serve(int argc, char **argv)
{
	static struct pollfd p[MAX_CONNS + 1];
	int fam = !strcmp(argv[2], "6") ? AF_INET6 : AF_INET;
	bool noaccept = has(argc, argv, "noaccept");
	bool closefirst = has(argc, argv, "closefirst");
	int n = 1, lfd;

	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lfd = open_listener(argc, argv, fam);
	if (lfd < 0)
		return die("listen");
	printf("listening %d reuseport=%d v6only=%d\n", (int)getpid(),
	       get_opt(lfd, SOL_SOCKET, SO_REUSEPORT),
	       fam == AF_INET6 ? get_opt(lfd, IPPROTO_IPV6, IPV6_V6ONLY) : 0);
	fflush(stdout);
	p[0] = (struct pollfd){ .fd = lfd, .events = noaccept ? 0 : POLLIN };
	while (!got_term) {
		/* Signals are looked at every 100 ms: no wakeup is lost. */
		if (xtcp_poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			return die("poll");
		if (got_usr1 && p[0].fd >= 0) {
			xtcp_close(p[0].fd);
			p[0].fd = -1;
			printf("closed\n");
			fflush(stdout);
		}
		for (int i = n - 1; i >= 1; i--)
			if (p[i].revents)
				serve_conn(p, &n, i);
		if (p[0].fd >= 0 && (p[0].revents & POLLIN))
			take_conn(p, &n, argv[5], closefirst);
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			xtcp_close(p[i].fd);
	return 0;
}

struct word {
	char w[64];
	int n;
};

static void count_word(struct word *ws, int *nw, const char *w)
{
	for (int i = 0; i < *nw; i++) {
		if (!strcmp(ws[i].w, w)) {
			ws[i].n++;
			return;
		}
	}
	if (*nw == MAX_WORDS)
		return;
	snprintf(ws[*nw].w, sizeof(ws[*nw].w), "%s", w);
	ws[(*nw)++].n = 1;
}

/* One connection: the first word of the line it gets, or error:ENAME. */
static void one(const struct addrinfo *ai, bool eof, char *word, size_t n)
{
	char line[128];
	size_t got = 0;
	int fd = xtcp_socket(ai->ai_family, SOCK_STREAM, 0);

	if (fd < 0 || xtcp_connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		snprintf(word, n, "error:%s", ename(errno));
		if (fd >= 0)
			xtcp_close(fd);
		return;
	}
	while (got < sizeof(line) - 1) {
		ssize_t r = xtcp_read(fd, line + got, sizeof(line) - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = 0;
	while (eof && got && xtcp_read(fd, word, n) > 0)
		;
	line[strcspn(line, " \n")] = 0;
	snprintf(word, n, "%.63s", got ? line : "error:EOF");
	xtcp_close(fd);
}

static int cmp_word(const void *a, const void *b)
{
	return strcmp(((const struct word *)a)->w, ((const struct word *)b)->w);
}

static int cmd_count(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST },
			*ai;
	struct word ws[MAX_WORDS];
	int nw = 0, n = atoi(argv[4]);
	bool eof = argc > 5 && !strcmp(argv[5], "eof");

	if (getaddrinfo(argv[2], argv[3], &hints, &ai))
		return 2;
	for (int i = 0; i < n; i++) {
		char w[64];

		one(ai, eof, w, sizeof(w));
		count_word(ws, &nw, w);
	}
	freeaddrinfo(ai);
	qsort(ws, (size_t)nw, sizeof(ws[0]), cmp_word);
	for (int i = 0; i < nw; i++)
		printf("%s %d\n", ws[i].w, ws[i].n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "count"))
		return cmd_count(argc, argv);
	fprintf(stderr, "usage: reuse_tool serve FAMILY ADDR PORT TAG [OPT...]"
			" | count HOST PORT N [eof]\n");
	return 2;
}
