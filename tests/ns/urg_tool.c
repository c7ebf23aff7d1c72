// SPDX-License-Identifier: BSD-2-Clause
/*
 * A libxtcp program for tests/ns/test_urgent.sh: urgent data, SIGURG and
 * TCP_INFO of an xtcp connection to a Linux peer.
 *
 *	urg_tool oob HOST PORT [inline|late]  the peer sends "abc", "X"
 *	                                 with MSG_OOB, "def": once all is
 *	                                 there, print what reads, SIOCATMARK,
 *	                                 MSG_OOB and FIONREAD say, one line;
 *	                                 SO_OOBINLINE before connect (inline)
 *	                                 or once all is there (late)
 *	urg_tool sig HOST PORT none|pid|pgrp  the peer sends "abc", waits for
 *	                                 a line, sends "X" with MSG_OOB: print
 *	                                 the SIGURGs counted before and after
 *	urg_tool setown ID               fcntl(F_SETOWN, ID) on a new socket:
 *	                                 "ok" or the errno name
 *	urg_tool info HOST PORT MB       send MB megabytes, wait until all
 *	                                 is acknowledged, print TCP_INFO's
 *	                                 fields as key=value
 *
 * Errors print as "error: ENAME" and exit 1. Every wait is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xtcp/tcp_info.h"
#include "xtcp/xtcp.h"

#define WAIT_MS 10000

static volatile sig_atomic_t sigurgs;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static int die(const char *what)
{
	printf("error: %s\n", ename(errno));
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	return 1;
}

static int dial(const char *host, const char *port, int (*before)(int fd))
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST },
			*ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai)) {
		errno = EINVAL;
		return -1;
	}
	fd = xtcp_socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && before && before(fd)) {
		xtcp_close(fd);
		fd = -1;
	}
	if (fd >= 0 && xtcp_connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		xtcp_close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Wait for @events on @fd; 0 when they came, -1 (ETIMEDOUT) else. */
static int wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = xtcp_poll(&p, 1, WAIT_MS);

	if (n == 1 && (p.revents & events))
		return 0;
	errno = n < 0 ? errno : ETIMEDOUT;
	return -1;
}

static int fionread(int fd)
{
	int n = -1;

	return xtcp_ioctl(fd, FIONREAD, &n) ? -1 : n;
}

static int atmark(int fd)
{
	int v = -1;

	return xtcp_ioctl(fd, SIOCATMARK, &v) ? -1 : v;
}

static int set_inline(int fd)
{
	int on = 1;

	return xtcp_setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on));
}

/* A read of what is there now, as text. */
static void read_str(int fd, char *out, size_t size)
{
	ssize_t n = xtcp_recv(fd, out, size - 1, MSG_DONTWAIT);

	if (n < 0)
		snprintf(out, size, "%s", ename(errno));
	else
		out[n] = 0;
}

static int cmd_oob(const char *host, const char *port, const char *mode)
{
	int oobinline = !strcmp(mode, "inline"), late = !strcmp(mode, "late");
	char r1[64], r2[64], oob[16];
	int fd = dial(host, port, oobinline ? set_inline : NULL), want, n = 0;
	int m1, m2, pri;
	char c;

	if (fd < 0)
		return die("connect");
	/* All of "abcXdef" there: POLLPRI, then the stream bytes. */
	if (wait_for(fd, POLLPRI))
		return die("POLLPRI");
	want = oobinline ? 7 : 6;
	for (int i = 0; i < WAIT_MS && (n = fionread(fd)) < want; i++)
		usleep(1000);
	if (late) {
		/* The byte joins the stream: FIONREAD counts it now. */
		if (set_inline(fd))
			return die("SO_OOBINLINE");
		n = fionread(fd);
	}
	read_str(fd, r1, sizeof(r1));
	m1 = atmark(fd);
	if (xtcp_recv(fd, &c, 1, MSG_OOB) == 1)
		snprintf(oob, sizeof(oob), "%c", c);
	else
		snprintf(oob, sizeof(oob), "%s", ename(errno));
	pri = wait_for(fd, POLLPRI) == 0;
	read_str(fd, r2, sizeof(r2));
	m2 = atmark(fd);
	printf("fionread=%d r1=%s atmark=%d oob=%s pri=%d r2=%s atmark2=%d\n",
	       n, r1, m1, oob, pri, r2, m2);
	xtcp_close(fd);
	return 0;
}

static void on_sigurg(int sig)
{
	sigurgs++;
}

static int owner_pid(int fd)
{
	return xtcp_fcntl(fd, F_SETOWN, (long)getpid());
}

static int owner_pgrp(int fd)
{
	if (setpgid(0, 0))
		return -1;
	return xtcp_fcntl(fd, F_SETOWN, -(long)getpgrp());
}

/* A request xtcpd answers after any SIGURG it sent before it. */
static void round_trip(int fd)
{
	int v;
	socklen_t len = sizeof(v);

	xtcp_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len);
}

static int cmd_sig(const char *host, const char *port, const char *who)
{
	struct sigaction sa = { .sa_handler = on_sigurg };
	int fd, before, own = -2, pg = -2;
	char buf[16];

	sigaction(SIGURG, &sa, NULL);
	fd = dial(host, port,
		  !strcmp(who, "pid")  ? owner_pid :
		  !strcmp(who, "pgrp") ? owner_pgrp :
					 NULL);
	if (fd < 0)
		return die("connect");
	own = xtcp_fcntl(fd, F_GETOWN);
	xtcp_ioctl(fd, SIOCGPGRP, &pg);
	/* Ordinary data: no signal. */
	if (wait_for(fd, POLLIN) || xtcp_recv(fd, buf, 3, MSG_WAITALL) != 3)
		return die("read abc");
	round_trip(fd);
	before = sigurgs;
	if (xtcp_send(fd, "next\n", 5, 0) != 5)
		return die("send");
	if (wait_for(fd, POLLPRI))
		return die("POLLPRI");
	round_trip(fd);
	printf("before=%d after=%d getown=%s\n", before, (int)sigurgs,
	       own == pg && own == (!strcmp(who, "pid")	 ? getpid() :
				    !strcmp(who, "pgrp") ? -getpgrp() :
							   0) ?
		       "ok" :
		       "wrong");
	xtcp_close(fd);
	return 0;
}

static int cmd_setown(const char *id)
{
	int fd = xtcp_socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return die("socket");
	if (xtcp_fcntl(fd, F_SETOWN, strtol(id, NULL, 10)))
		return die("F_SETOWN");
	puts("ok");
	xtcp_close(fd);
	return 0;
}

static int tcp_info(int fd, struct xtcp_tcp_info *ti, socklen_t *len)
{
	*len = sizeof(*ti);
	memset(ti, 0, sizeof(*ti));
	return xtcp_getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, len);
}

static int cmd_info(const char *host, const char *port, const char *mb)
{
	static char chunk[65536];
	long long left = atoll(mb) * 1000000LL;
	struct xtcp_tcp_info ti;
	socklen_t len, len8 = 8;
	uint8_t small[8];
	int fd = dial(host, port, NULL);

	if (fd < 0)
		return die("connect");
	while (left > 0) {
		ssize_t n = xtcp_send(fd, chunk,
				      left < (long long)sizeof(chunk) ?
					      (size_t)left :
					      sizeof(chunk),
				      0);

		if (n < 0)
			return die("send");
		left -= n;
	}
	for (int i = 0; i < WAIT_MS; i++) {
		if (tcp_info(fd, &ti, &len))
			return die("TCP_INFO");
		if (!ti.tcpi_unacked && !ti.tcpi_notsent_bytes)
			break;
		usleep(1000);
	}
	if (xtcp_getsockopt(fd, IPPROTO_TCP, TCP_INFO, small, &len8))
		return die("TCP_INFO short");
	printf("len=%u len8=%u state=%u ca_state=%u snd_mss=%u rcv_mss=%u "
	       "snd_cwnd=%u snd_ssthresh=%u rtt=%u rttvar=%u rto=%u "
	       "bytes_acked=%llu bytes_sent=%llu total_retrans=%u "
	       "data_segs_out=%u unacked=%u pmtu=%u snd_wnd=%u rcv_wnd=%u "
	       "options=%u\n",
	       (unsigned)len, (unsigned)len8, ti.tcpi_state, ti.tcpi_ca_state,
	       ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh, ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_rto,
	       (unsigned long long)ti.tcpi_bytes_acked,
	       (unsigned long long)ti.tcpi_bytes_sent, ti.tcpi_total_retrans,
	       ti.tcpi_data_segs_out, ti.tcpi_unacked, ti.tcpi_pmtu,
	       ti.tcpi_snd_wnd, ti.tcpi_rcv_wnd, ti.tcpi_options);
	xtcp_close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "oob"))
		return cmd_oob(argv[2], argv[3], argc > 4 ? argv[4] : "");
	if (argc == 5 && !strcmp(argv[1], "sig"))
		return cmd_sig(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "setown"))
		return cmd_setown(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2], argv[3], argv[4]);
	fprintf(stderr,
		"usage: urg_tool oob|sig|setown|info ... (see the source)\n");
	return 2;
}
