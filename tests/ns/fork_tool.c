// SPDX-License-Identifier: BSD-2-Clause
/*
 * A plain POSIX sockets program for tests/ns/test_fork.sh, run under
 * xtcp-run (the LD_PRELOAD shim): socket timeouts, dup, fork and exec of
 * xtcp sockets as an unmodified program uses them.
 *
 *	fork_tool timeo PORT MS         SO_RCVTIMEO on a listener (accept),
 *	                                then on the accepted connection
 *	                                (recv, recv MSG_WAITALL with 3 bytes
 *	                                there), SO_SNDTIMEO on a write the
 *	                                peer does not read; prints one line
 *	                                per call: "NAME errno-or-count ms"
 *	fork_tool sockopt               setsockopt/getsockopt of the timeouts
 *	                                (EDOM, EINVAL, the _OLD/_NEW forms)
 *	fork_tool cto HOST PORT MS      connect with SO_SNDTIMEO to a peer
 *	                                that drops SYNs: "connect ERR ms"
 *	fork_tool dupchild PORT         accept one, dup2 it onto 0 and 1,
 *	                                close it; a child echoes 0 -> 1 to the
 *	                                end; the parent closes its 0 and 1
 *	fork_tool forkecho PORT N       accept N, fork a child per connection
 *	                                that echoes it to the end; the parent
 *	                                closes its copy at once
 *	fork_tool prefork PORT W        listen, fork W workers that accept;
 *	                                each connection gets "pid\n" and then
 *	                                an echo; the parent closes its copy
 *	                                of the listener and waits
 *	fork_tool inetd PORT N PROG ARGS  accept N, fork, dup2 onto 0 and 1,
 *	                                exec PROG (inetd's nowait service)
 *	fork_tool execfd PORT N         listen, then exec itself as
 *	                                "fdserve FD N": the listener's own
 *	                                descriptor survives exec
 *	fork_tool fdserve FD N          accept N on FD and echo each
 *
 * Errors print as "error: WHAT ENAME" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static int die(const char *what)
{
	printf("error: %s %s\n", what, ename(errno));
	fflush(stdout);
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listener(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128))
		die("listen");
	return fd;
}

static void set_timeo(int fd, int name, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)))
		die("setsockopt");
}

/* One line: the call's name, its count or errno name, the milliseconds. */
static void report(const char *name, ssize_t r, int err, long long t0)
{
	if (r < 0)
		printf("%s %s %lld\n", name, ename(err), now_ms() - t0);
	else
		printf("%s %zd %lld\n", name, r, now_ms() - t0);
	fflush(stdout);
}

static int timeo(int port, int ms)
{
	static char buf[64 << 20];
	int l = listener(port), c;
	long long t0;
	ssize_t r;

	set_timeo(l, SO_RCVTIMEO, ms);
	t0 = now_ms();
	r = accept(l, NULL, NULL);
	report("accept", r, errno, t0);
	printf("ready\n");
	fflush(stdout);
	set_timeo(l, SO_RCVTIMEO, 0);
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	set_timeo(c, SO_RCVTIMEO, ms);
	t0 = now_ms();
	r = recv(c, buf, 10, 0);
	report("recv", r, errno, t0);
	/* The peer sends 3 bytes once it sees this line. */
	printf("send3\n");
	fflush(stdout);
	t0 = now_ms();
	r = recv(c, buf, 10, MSG_WAITALL);
	report("waitall", r, errno, t0);
	set_timeo(c, SO_SNDTIMEO, ms);
	t0 = now_ms();
	r = send(c, buf, sizeof(buf), 0);
	report("send", r, errno, t0);
	t0 = now_ms();
	r = send(c, buf, sizeof(buf), 0);
	report("send2", r, errno, t0);
	close(c);
	close(l);
	return 0;
}

static int expect(const char *what, int r, int err)
{
	int e = r < 0 ? errno : 0;

	if (e != err) {
		printf("error: %s gave %s, not %s\n", what, ename(e),
		       err ? ename(err) : "0");
		exit(1);
	}
	return 0;
}

static int sockopt(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { 1, 500000 }, got;
	int64_t nv[2] = { 2, 250000 };
	socklen_t len = sizeof(got);

	expect("set", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
	       0);
	expect("get", getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	if (len != sizeof(got) || got.tv_sec != 1 || got.tv_usec != 500000)
		return printf("error: got %ld.%06ld\n", (long)got.tv_sec,
			      (long)got.tv_usec),
		       1;
	expect("new", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_NEW, nv, 16), 0);
	len = sizeof(got);
	expect("get old",
	       getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO_OLD, &got, &len), 0);
	if (got.tv_sec != 2 || got.tv_usec != 250000)
		return printf("error: new/old %ld\n", (long)got.tv_sec), 1;
	tv.tv_usec = 1000000;
	expect("EDOM", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
	       EDOM);
	tv.tv_usec = -1;
	expect("EDOM-",
	       setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
	expect("EINVAL", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 8),
	       EINVAL);
	tv = (struct timeval){ 0, 0 };
	expect("zero", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
	       0);
	len = sizeof(got);
	getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len);
	if (got.tv_sec || got.tv_usec)
		return printf("error: zero not kept\n"), 1;
	printf("ok\n");
	return 0;
}

static int cto(const char *host, int port, int ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	long long t0;
	int r;

	inet_pton(AF_INET, host, &a.sin_addr);
	set_timeo(fd, SO_SNDTIMEO, ms);
	t0 = now_ms();
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	report("connect", r, errno, t0);
	/* The attempt goes on: a second connect is EALREADY. */
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	report("again", r, errno, t0);
	close(fd);
	return 0;
}

/* Echo @in to @out until the end; 0 when all was written back. */
static int echo(int in, int out)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w <= 0)
				return 1;
			off += w;
		}
	}
	return n < 0;
}

static int dupchild(int port)
{
	int l = listener(port), c, d, st;
	pid_t pid;

	printf("ready\n");
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	close(l);
	/* dup, close the original: the socket stays. */
	d = fcntl(c, F_DUPFD_CLOEXEC, 10);
	if (d < 10 || close(c))
		die("F_DUPFD_CLOEXEC");
	c = dup(d);
	close(d);
	if (c < 0 || dup2(c, 0) != 0 || dup3(c, 1, 0) != 1 || close(c))
		die("dup2");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		int r = echo(0, 1);

		close(0);
		close(1);
		_exit(r);
	}
	/* The parent's copies go; the child's keep the connection. */
	close(0);
	close(1);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return printf("error: child %d\n", st), 1;
	return 0;
}

static void reap(int sig)
{
	int e = errno;

	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	errno = e;
}

static int forkecho(int port, int n)
{
	int l = listener(port);

	signal(SIGCHLD, reap);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);
		pid_t pid;

		if (c < 0) {
			if (errno == EINTR)
				i--;
			else
				die("accept");
			continue;
		}
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			int r;

			close(l);
			r = echo(c, c);
			close(c);
			exit(r);
		}
		close(c);
	}
	close(l);
	signal(SIGCHLD, SIG_DFL);
	while (wait(NULL) > 0) {
	}
	return 0;
}

static void worker(int l)
{
	char line[32];

	for (;;) {
		int c = accept(l, NULL, NULL), len;

		if (c < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ECONNABORTED)
				continue;
			die("accept");
		}
		len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
		if (write(c, line, (size_t)len) == len)
			echo(c, c);
		close(c);
	}
}

static int prefork(int port, int w)
{
	int l = listener(port);

	for (int i = 0; i < w; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			worker(l);
		printf("worker %d\n", (int)pid);
	}
	close(l);
	printf("ready\n");
	fflush(stdout);
	while (wait(NULL) > 0) {
	}
	return 0;
}

static int inetd(int port, int n, char **argv)
{
	int l = listener(port);

	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);
		pid_t pid;

		if (c < 0)
			die("accept");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			close(l);
			if (dup2(c, 0) != 0 || dup2(c, 1) != 1)
				die("dup2");
			close(c);
			execvp(argv[0], argv);
			die("exec");
		}
		close(c);
	}
	close(l);
	while (wait(NULL) > 0) {
	}
	return 0;
}

static int execfd(const char *self, int port, const char *n)
{
	int l = listener(port);
	char fd[16];

	snprintf(fd, sizeof(fd), "%d", l);
	execl(self, self, "fdserve", fd, n, (char *)NULL);
	return die("execl");
}

static int fdserve(int l, int n)
{
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			die("accept");
		if (echo(c, c))
			die("echo");
		close(c);
	}
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "timeo"))
		return timeo(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "sockopt"))
		return sockopt();
	if (argc == 5 && !strcmp(argv[1], "cto"))
		return cto(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "dupchild"))
		return dupchild(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "forkecho"))
		return forkecho(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "prefork"))
		return prefork(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "execfd"))
		return execfd(argv[0], atoi(argv[2]), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "fdserve"))
		return fdserve(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "inetd"))
		return inetd(atoi(argv[2]), atoi(argv[3]), argv + 4);
	fprintf(stderr, "usage: see tests/ns/fork_tool.c\n");
	return 2;
}
