// SPDX-License-Identifier: BSD-2-Clause
/*
 * nl_probe: drives user/daemon/netlink.c and reserve_ports.c inside a test
 * host for tests/ns/test_netlink.sh, printing what they answer in a form
 * the script compares with `ip`:
 *
 *   nl_probe link IFNAME              ifindex, mtu, mac, one "addr A/P" each
 *   nl_probe route DST                dev, via (or "none"), src, mtu; or
 *                                     "error ENETUNREACH" and so on
 *   nl_probe neigh IFNAME ADDR MS     "first <result>" of the first lookup,
 *                                     then waits up to MS for the answer:
 *                                     "callback <mac|failed>", "mac M" or
 *                                     "result <errno name>"
 *   nl_probe watch-addr IFNAME ADDR MS -- CMD...
 *                                     run CMD, then wait up to MS for ADDR to
 *                                     appear through notifications
 *   nl_probe watch-route DST MS -- CMD...
 *                                     look DST up (cached), run CMD, wait up
 *                                     to MS for the answer to change
 *   nl_probe overflow IFNAME MS -- CMD...
 *                                     shrink the notification socket's buffer,
 *                                     run CMD (many changes), process until
 *                                     quiet for MS: "resyncs N", "addrs N"
 *   nl_probe reserve LO HI -- CMD...  reserve LO-HI in ip_local_reserved_ports,
 *                                     print "left N" (Linux ephemeral ports
 *                                     still free), run CMD, restore
 *   nl_probe bind-any 4|6 N           bind N TCP sockets to port 0, print the
 *                                     ports (or EADDRINUSE) on one line
 *   nl_probe canon ADDR[/P]           ADDR as the probe prints it (IPv6
 *                                     compressed), for comparisons
 *
 * Exit status 0 when the operation succeeded, 1 otherwise, 2 for usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "daemon/netlink.h"
#include "daemon/reserve_ports.h"

static int usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of nl_probe.c\n");
	return 2;
}

static int parse_ip(const char *s, struct ip_addr *a)
{
	uint8_t v4[4];

	if (inet_pton(AF_INET, s, v4) == 1) {
		ip_addr_from_v4(a, v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 0;
	fprintf(stderr, "bad address %s\n", s);
	return -EINVAL;
}

static const char *ipstr(const struct ip_addr *a)
{
	/* Rotating, so one printf may show several. */
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return ip_addr_str(a, buf[i], sizeof(buf[i]));
}

static const char *macstr(const uint8_t *m)
{
	static char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *errname(int err)
{
	switch (-err) {
	case 0:
		return "0";
	case EAGAIN:
		return "EAGAIN";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	case EADDRINUSE:
		return "EADDRINUSE";
	case ENODEV:
		return "ENODEV";
	default:
		return strerror(-err);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for notifications until @deadline; 0 on timeout. */
static int wait_process(struct nl *nl, long long deadline)
{
	long long left = deadline - now_ms();
	struct pollfd pfd = { nl_fd(nl), POLLIN, 0 };
	int n;

	if (left <= 0)
		return 0;
	n = poll(&pfd, 1, (int)left);
	if (n <= 0)
		return n;
	n = nl_process(nl);
	if (n < 0)
		fprintf(stderr, "nl_process: %s\n", strerror(-n));
	return n < 0 ? n : 1;
}

static int run(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int cmd_link(struct nl *nl, const char *ifname)
{
	struct nl_addr addrs[64];
	struct nl_link_info li;
	int n, err;

	err = nl_link(nl, ifname, &li);
	if (err) {
		printf("error %s\n", errname(err));
		return 1;
	}
	printf("ifindex %d\nmtu %u\nmac %s\n", li.ifindex, li.mtu,
	       macstr(li.mac));
	n = nl_addrs(nl, li.ifindex, addrs, 64);
	for (int i = 0; i < n && i < 64; i++)
		printf("addr %s/%u\n", ipstr(&addrs[i].addr),
		       addrs[i].prefixlen);
	return 0;
}

static void print_route(struct nl *nl, const struct nl_route *r)
{
	struct nl_link_info li;

	if (nl_link_by_index(nl, r->ifindex, &li))
		snprintf(li.name, sizeof(li.name), "#%d", r->ifindex);
	printf("dev %s\nvia %s\nnexthop %s\nsrc %s\nmtu %u\n", li.name,
	       r->has_gateway ? ipstr(&r->gateway) : "none", ipstr(&r->nexthop),
	       r->has_prefsrc ? ipstr(&r->prefsrc) : "none", r->mtu);
}

static int cmd_route(struct nl *nl, const char *dst)
{
	struct nl_route r;
	struct ip_addr a;
	int err;

	if (parse_ip(dst, &a))
		return 2;
	err = nl_route(nl, &a, &r);
	if (err) {
		printf("error %s\n", errname(err));
		return 1;
	}
	print_route(nl, &r);
	/* A second lookup is served by the cache, identically. */
	{
		struct nl_route r2;

		if (nl_route(nl, &a, &r2) || memcmp(&r, &r2, sizeof(r))) {
			printf("error cache\n");
			return 1;
		}
	}
	return 0;
}

struct cb_state {
	int fired;
};

static void on_neigh(void *arg, int ifindex, const struct ip_addr *addr,
		     const uint8_t *mac)
{
	struct cb_state *cs = arg;

	cs->fired++;
	printf("callback %s %s\n", ipstr(addr), mac ? macstr(mac) : "failed");
}

static int cmd_neigh(struct nl *nl, const char *ifname, const char *addr,
		     int ms)
{
	long long deadline = now_ms() + ms;
	struct cb_state cs = { 0 };
	struct nl_link_info li;
	struct ip_addr a;
	uint8_t mac[6];
	int err;

	if (parse_ip(addr, &a) || nl_link(nl, ifname, &li))
		return 2;
	nl_set_neigh_cb(nl, on_neigh, &cs);
	err = nl_neigh(nl, li.ifindex, &a, mac);
	printf("first %s\n", errname(err));
	while (err == -EAGAIN) {
		if (wait_process(nl, deadline) <= 0)
			break;
		err = nl_neigh(nl, li.ifindex, &a, mac);
	}
	printf("elapsed_ms %lld\n", now_ms() - (deadline - ms));
	if (err) {
		printf("result %s\n", errname(err));
		return 1;
	}
	printf("mac %s\n", macstr(mac));
	return 0;
}

static bool has_addr(struct nl *nl, int ifindex, const struct ip_addr *a)
{
	struct nl_addr addrs[64];
	int n = nl_addrs(nl, ifindex, addrs, 64);

	for (int i = 0; i < n && i < 64; i++)
		if (!memcmp(&addrs[i].addr, a, sizeof(*a)))
			return true;
	return false;
}

static int cmd_watch_addr(struct nl *nl, const char *ifname, const char *addr,
			  int ms, char **cmd)
{
	struct nl_link_info li;
	struct ip_addr a;
	long long deadline;
	int st;

	if (parse_ip(addr, &a) || nl_link(nl, ifname, &li))
		return 2;
	if (has_addr(nl, li.ifindex, &a)) {
		printf("error present before\n");
		return 1;
	}
	st = run(cmd);
	if (st) {
		printf("error command status %d\n", st);
		return 1;
	}
	deadline = now_ms() + ms;
	while (!has_addr(nl, li.ifindex, &a))
		if (wait_process(nl, deadline) <= 0) {
			printf("error not seen\n");
			return 1;
		}
	printf("seen %s\n", addr);
	return 0;
}

static int cmd_watch_route(struct nl *nl, const char *dst, int ms, char **cmd)
{
	struct nl_route before, after;
	struct ip_addr a;
	long long deadline;
	int e1, e2, st;

	if (parse_ip(dst, &a))
		return 2;
	e1 = nl_route(nl, &a, &before);
	printf("before %s\n", e1		 ? errname(e1) :
			      before.has_gateway ? ipstr(&before.gateway) :
						   "onlink");
	st = run(cmd);
	if (st) {
		printf("error command status %d\n", st);
		return 1;
	}
	deadline = now_ms() + ms;
	for (;;) {
		e2 = nl_route(nl, &a, &after);
		if (e2 != e1 || (!e1 && memcmp(&before, &after, sizeof(after))))
			break;
		if (wait_process(nl, deadline) <= 0) {
			printf("error unchanged\n");
			return 1;
		}
	}
	printf("after %s\n", e2		       ? errname(e2) :
			     after.has_gateway ? ipstr(&after.gateway) :
						 "onlink");
	return 0;
}

static int cmd_overflow(struct nl *nl, const char *ifname, int ms, char **cmd)
{
	int tiny = 1; /* the kernel rounds it up to its minimum */
	struct nl_link_info li;
	struct nl_stats st;
	int n, r;

	if (nl_link(nl, ifname, &li))
		return 2;
	if (setsockopt(nl_fd(nl), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)))
		return 1;
	r = run(cmd);
	if (r) {
		printf("error command status %d\n", r);
		return 1;
	}
	while ((r = wait_process(nl, now_ms() + ms)) > 0)
		;
	if (r < 0)
		return 1;
	n = nl_addrs(nl, li.ifindex, NULL, 0);
	nl_get_stats(nl, &st);
	printf("resyncs %llu\naddrs %d\n", (unsigned long long)st.resyncs, n);
	return 0;
}

static int cmd_reserve(int lo, int hi, char **cmd)
{
	struct reserve_ports rp = { 0 };
	int err, st;

	err = reserve_ports_apply(&rp, NULL, NULL, (uint16_t)lo, (uint16_t)hi);
	if (err) {
		printf("error apply %s\n", errname(err));
		return 1;
	}
	printf("left %d\n", reserve_ports_linux_left(&rp));
	fflush(stdout);
	st = run(cmd);
	err = reserve_ports_restore(&rp);
	if (err) {
		printf("error restore %s\n", errname(err));
		return 1;
	}
	return st ? 1 : 0;
}

static int cmd_bind_any(int fam, int n)
{
	int fds[64], nfd = 0, ok = 1;

	for (int i = 0; i < n && i < 64; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl;
		int fd;

		fd = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
		if (fd < 0)
			return 1;
		fds[nfd++] = fd;
		if (fam == 4) {
			struct sockaddr_in *s4 = (void *)&ss;

			s4->sin_family = AF_INET;
			sl = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&ss;

			s6->sin6_family = AF_INET6;
			sl = sizeof(*s6);
		}
		if (bind(fd, (void *)&ss, sl) < 0) {
			printf("%s%s", i ? " " : "", errname(-errno));
			ok = 0;
			continue;
		}
		getsockname(fd, (void *)&ss, &sl);
		printf("%s%u", i ? " " : "",
		       ntohs(fam == 4 ?
				     ((struct sockaddr_in *)&ss)->sin_port :
				     ((struct sockaddr_in6 *)&ss)->sin6_port));
	}
	printf("\n");
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	return ok ? 0 : 1;
}

/* argv[i] must be "--", followed by a command. */
static char **after_dashes(int argc, char **argv, int i)
{
	if (i + 1 >= argc || strcmp(argv[i], "--"))
		return NULL;
	return &argv[i + 1];
}

int main(int argc, char **argv)
{
	struct nl *nl = NULL;
	char **cmd;
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "reserve")) {
		cmd = after_dashes(argc, argv, 4);
		if (argc < 6 || !cmd)
			return usage();
		return cmd_reserve(atoi(argv[2]), atoi(argv[3]), cmd);
	}
	if (!strcmp(argv[1], "canon") && argc == 3) {
		char *slash = strchr(argv[2], '/');
		struct ip_addr a;

		if (slash)
			*slash = '\0';
		if (parse_ip(argv[2], &a))
			return 1;
		printf("%s%s%s\n", ipstr(&a), slash ? "/" : "",
		       slash ? slash + 1 : "");
		return 0;
	}
	if (!strcmp(argv[1], "bind-any")) {
		if (argc != 4)
			return usage();
		return cmd_bind_any(atoi(argv[2]), atoi(argv[3]));
	}
	err = nl_open(&nl);
	if (err) {
		fprintf(stderr, "nl_open: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "link") && argc == 3) {
		ret = cmd_link(nl, argv[2]);
	} else if (!strcmp(argv[1], "route") && argc == 3) {
		ret = cmd_route(nl, argv[2]);
	} else if (!strcmp(argv[1], "neigh") && argc == 5) {
		ret = cmd_neigh(nl, argv[2], argv[3], atoi(argv[4]));
	} else if (!strcmp(argv[1], "watch-addr") && argc >= 7 &&
		   (cmd = after_dashes(argc, argv, 5))) {
		ret = cmd_watch_addr(nl, argv[2], argv[3], atoi(argv[4]), cmd);
	} else if (!strcmp(argv[1], "overflow") && argc >= 6 &&
		   (cmd = after_dashes(argc, argv, 4))) {
		ret = cmd_overflow(nl, argv[2], atoi(argv[3]), cmd);
	} else if (!strcmp(argv[1], "watch-route") && argc >= 6 &&
		   (cmd = after_dashes(argc, argv, 4))) {
		ret = cmd_watch_route(nl, argv[2], atoi(argv[3]), cmd);
	} else {
		ret = usage();
	}
	nl_close(nl);
	return ret;
}
