// SPDX-License-Identifier: BSD-2-Clause
/*
 * Several descriptors and several processes for one xtcp socket (issue 5):
 * libxtcp in this process against the daemon's application side
 * (apps.c) served by a thread, on an engine without a network. A socket's
 * life is watched through its port: bound while it lives, free once
 * closed. Covers dup/dup2/dup3/F_DUPFD reference counts, fork holds (the
 * parent's close, the child's close, a killed child), the session
 * outliving its first process, ATTACH's checks (token, member, uid) and
 * SO_RCVTIMEO on accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/apps.h"
#include "stack/tunables.h"
#include "xtcp/ipc.h"
#include "xtcp/xtcp.h"

static struct {
	struct apps *a;
	struct engine *eng;
	pthread_t th;
	int stop;
	char dir[48], path[96];
} D;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void out_none(void *user, const struct seg_out *seg)
{
}

static void on_event(void *user, struct tcb *t, unsigned ev)
{
	apps_event(D.a, t, ev);
}

static void *buf_alloc(void *user, size_t size)
{
	return apps_buf_alloc(D.a, size);
}

static void buf_free(void *user, void *mem, size_t size)
{
	apps_buf_free(D.a, mem, size);
}

/* xtcpd's loop, the application side only: requests, then the slots. */
static void *daemon_loop(void *arg)
{
	while (!__atomic_load_n(&D.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = apps_fd(D.a), .events = POLLIN };

		poll(&p, 1, 5);
		apps_handle(D.a, now_us());
	}
	return NULL;
}

static int setup(void **state)
{
	static const struct engine_ops ops = { .output = out_none,
					       .event = on_event,
					       .buf_alloc = buf_alloc,
					       .buf_free = buf_free };
	struct engine_config ec = { .seed = 1 };
	struct apps_env env = { 0 };
	int err;

	snprintf(D.dir, sizeof(D.dir), "/tmp/xtcp-fork-XXXXXX");
	if (!mkdtemp(D.dir))
		return -1;
	chmod(D.dir, 0755); /* another uid connects in attach_checks */
	snprintf(D.path, sizeof(D.path), "%s/app.sock", D.dir);
	setenv(XTCP_APP_SOCKET_ENV, D.path, 1);
	tunables_defaults(&ec.tun);
	D.eng = eng_create(&ec, &ops, NULL);
	env.eng = D.eng;
	D.a = apps_open(D.path, 0666, &env, &err);
	if (!D.eng || !D.a)
		return -1;
	return pthread_create(&D.th, NULL, daemon_loop, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	__atomic_store_n(&D.stop, 1, __ATOMIC_RELEASE);
	pthread_join(D.th, NULL);
	apps_close(D.a, now_us());
	eng_destroy(D.eng);
	apps_free(D.a);
	unlink(D.path);
	rmdir(D.dir);
	return 0;
}

static struct sockaddr_in lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return a;
}

/* A listener on 127.0.0.1:@port. */
static int listen_on(uint16_t port)
{
	struct sockaddr_in a = lo(port);
	int fd = xtcp_socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(xtcp_bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(xtcp_listen(fd, 8), 0);
	return fd;
}

/* 0 if a new socket can bind @port (the old one is closed), else -errno. */
static int try_bind(uint16_t port)
{
	struct sockaddr_in a = lo(port);
	int fd = xtcp_socket(AF_INET, SOCK_STREAM, 0), ret;

	assert_true(fd >= 0);
	ret = xtcp_bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	xtcp_close(fd);
	return ret;
}

/* The daemon sees a process's end asynchronously: wait for the port. */
static int wait_free(uint16_t port)
{
	for (int i = 0; i < 400; i++) {
		if (!try_bind(port))
			return 0;
		usleep(5000);
	}
	return try_bind(port);
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (xtcp_getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

static void dup_refs(void **state)
{
	int s = listen_on(7001), d, e, c;

	/* Close-on-exec only when asked, as socket(2). */
	assert_false(fcntl(s, F_GETFD) & FD_CLOEXEC);
	c = xtcp_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fcntl(c, F_GETFD) & FD_CLOEXEC);
	xtcp_close(c);

	d = xtcp_dup(s);
	assert_true(d >= 0 && d != s);
	assert_true(xtcp_is_socket(d));
	assert_int_equal(xtcp_close(s), 0);
	assert_false(xtcp_is_socket(s));
	/* POSIX close(2): the socket lives while a descriptor does. */
	assert_int_equal(try_bind(7001), -EADDRINUSE);
	assert_int_equal(port_of(d), 7001);
	e = xtcp_fcntl(d, F_DUPFD_CLOEXEC, 100);
	assert_true(e >= 100);
	assert_true(fcntl(e, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(xtcp_close(d), 0);
	assert_int_equal(try_bind(7001), -EADDRINUSE);
	assert_int_equal(port_of(e), 7001);
	assert_int_equal(xtcp_close(e), 0);
	assert_int_equal(try_bind(7001), 0);
	/* Closed twice: EBADF's cousin for a descriptor that is no socket. */
	assert_int_equal(xtcp_close(e), -1);
}

static void dup2_rules(void **state)
{
	int s1 = listen_on(7002), s2 = listen_on(7003), s, p[2];

	/* Onto another xtcp socket: that one loses its last descriptor. */
	assert_int_equal(xtcp_dup2(s1, s2), s2);
	assert_int_equal(try_bind(7003), 0);
	assert_int_equal(port_of(s2), 7002);
	assert_int_equal(xtcp_dup2(s1, s1), s1);
	assert_int_equal(xtcp_dup3(s1, s1, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xtcp_dup3(s1, s2, 0x4000), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xtcp_close(s1), 0);
	assert_int_equal(try_bind(7002), -EADDRINUSE);
	assert_int_equal(xtcp_close(s2), 0);
	assert_int_equal(try_bind(7002), 0);
	/* A kernel descriptor onto an xtcp socket closes that socket. */
	s = listen_on(7004);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(xtcp_dup3(p[0], s, O_CLOEXEC), s);
	assert_false(xtcp_is_socket(s));
	assert_true(fcntl(s, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(try_bind(7004), 0);
	close(s);
	close(p[0]);
	close(p[1]);
}

static void fork_parent_closes(void **state)
{
	int s = listen_on(7005), p[2], st;
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* The child holds the listener after its parent closed it. */
		int ok;

		alarm(20); /* never outlives a failed parent */
		ok = read(p[0], &c, 1) == 1 && port_of(s) == 7005 &&
		     try_bind(7005) == -EADDRINUSE && !xtcp_close(s);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(xtcp_close(s), 0);
	assert_int_equal(try_bind(7005), -EADDRINUSE);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The last holder closed it. */
	assert_int_equal(wait_free(7005), 0);
	close(p[0]);
	close(p[1]);
}

static void fork_child_killed(void **state)
{
	int s = listen_on(7006), t = listen_on(7007), st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		alarm(20); /* never outlives a failed parent */
		pause();
		_exit(0);
	}
	/* The parent still holds 7006: the child's death leaves it open. */
	assert_int_equal(xtcp_close(t), 0);
	assert_int_equal(try_bind(7007), -EADDRINUSE);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* 7007's last holder died: it goes; 7006 stays with us. */
	assert_int_equal(wait_free(7007), 0);
	assert_int_equal(try_bind(7006), -EADDRINUSE);
	assert_int_equal(xtcp_close(s), 0);
	assert_int_equal(try_bind(7006), 0);
}

/* --- the protocol itself, over raw connections ---------------------------- */

static int raw_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", D.path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* One request, its reply; descriptors that come with it are closed. */
static int raw_call(int fd, struct xtcp_ipc_req *q, struct xtcp_ipc_rep *r)
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
	q->seq++;
	if (send(fd, q, sizeof(*q), 0) != (ssize_t)sizeof(*q))
		return -EPIPE;
	n = recvmsg(fd, &m, 0);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c;
	     c = CMSG_NXTHDR(&m, c)) {
		int fds[4];
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		memcpy(fds, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++)
			close(fds[i]);
	}
	if (n != (ssize_t)sizeof(*r))
		return -ECONNRESET;
	return r->err;
}

static void req(struct xtcp_ipc_req *q, int op, uint32_t slot, uint32_t gen)
{
	uint32_t seq = q->seq;

	memset(q, 0, sizeof(*q));
	q->seq = seq;
	q->op = (uint16_t)op;
	q->slot = slot;
	q->gen = gen;
}

static int attach(int fd, const uint8_t *token, int32_t parent)
{
	struct xtcp_ipc_req q = { 0 };
	struct xtcp_ipc_rep r;

	req(&q, XTCP_OP_ATTACH, XTCP_IPC_NO_SLOT, 0);
	q.arg[0] = parent;
	q.len = XTCP_TOKEN_LEN;
	memcpy(q.data, token, XTCP_TOKEN_LEN);
	return raw_call(fd, &q, &r);
}

static void attach_checks(void **state)
{
	struct xtcp_ipc_req q = { 0 };
	struct xtcp_ipc_rep r;
	uint8_t token[XTCP_TOKEN_LEN], bad[XTCP_TOKEN_LEN];
	int l = raw_connect(), m, st;
	uint32_t slot, gen;
	pid_t pid;

	req(&q, XTCP_OP_HELLO, XTCP_IPC_NO_SLOT, 0);
	assert_int_equal(raw_call(l, &q, &r), 0);
	assert_int_equal(r.len, XTCP_TOKEN_LEN);
	assert_int_equal(r.val[1], 0);
	memcpy(token, r.data, sizeof(token));
	/* A listener on the leader's connection. */
	req(&q, XTCP_OP_SOCKET, XTCP_IPC_NO_SLOT, 0);
	q.arg[0] = AF_INET;
	q.arg[1] = SOCK_STREAM;
	assert_int_equal(raw_call(l, &q, &r), 0);
	slot = r.slot;
	gen = r.gen;
	req(&q, XTCP_OP_BIND, slot, gen);
	q.addr.family = AF_INET;
	q.addr.port = 7008;
	q.addr.addr[10] = q.addr.addr[11] = 0xff;
	q.addr.addr[12] = 127;
	q.addr.addr[15] = 1;
	assert_int_equal(raw_call(l, &q, &r), 0);

	/* A wrong token: refused, and the connection dropped. */
	memcpy(bad, token, sizeof(bad));
	bad[7] ^= 1;
	m = raw_connect();
	assert_int_equal(attach(m, bad, 0), -EACCES);
	close(m);
	/* No such member. */
	m = raw_connect();
	assert_int_equal(attach(m, token, 99), -ESRCH);
	close(m);
	/* Another uid with the right token. */
	if (!getuid()) {
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			int c;

			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(2);
			/* No cmocka here: a plain exit status. */
			struct sockaddr_un sun = { .sun_family = AF_UNIX };

			alarm(20);

			snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
				 D.path);
			c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
			if (connect(c, (struct sockaddr *)&sun, sizeof(sun)))
				_exit(3);
			_exit(attach(c, token, 0) == -EACCES ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	/* The right one: a member holding the leader's socket. */
	m = raw_connect();
	assert_int_equal(attach(m, token, 0), 0);
	/* A second ATTACH or a HELLO on a member: no. */
	req(&q, XTCP_OP_HELLO, XTCP_IPC_NO_SLOT, 0);
	assert_int_not_equal(raw_call(m, &q, &r), 0);
	close(m);
	m = raw_connect();
	assert_int_equal(attach(m, token, 0), 0);
	/* The leader's process goes: the member keeps the session. */
	close(l);
	usleep(50000);
	assert_int_equal(try_bind(7008), -EADDRINUSE);
	/* Its own new socket works too. */
	req(&q, XTCP_OP_SOCKET, XTCP_IPC_NO_SLOT, 0);
	q.arg[0] = AF_INET;
	q.arg[1] = SOCK_STREAM;
	assert_int_equal(raw_call(m, &q, &r), 0);
	/* Not its slot any more once closed: EBADF. */
	req(&q, XTCP_OP_CLOSE, slot, gen);
	assert_int_equal(raw_call(m, &q, &r), 0);
	assert_int_equal(raw_call(m, &q, &r), -EBADF);
	assert_int_equal(wait_free(7008), 0);
	close(m);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void rcvtimeo_accept(void **state)
{
	struct timeval tv = { 0, 200000 }, got;
	socklen_t len = sizeof(got);
	int s = listen_on(7009);
	struct timespec t0;
	long long ms;

	assert_int_equal(xtcp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
					 sizeof(tv)),
			 0);
	assert_int_equal(
		xtcp_getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	assert_int_equal(got.tv_usec, 200000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xtcp_accept(s, NULL, NULL), -1);
	ms = ms_since(&t0);
	assert_int_equal(errno, EAGAIN);
	/* After at least the timeout, well before 10 times it. */
	assert_true(ms >= 200 && ms < 2000);
	/* A negative time: no wait at all. */
	tv = (struct timeval){ -1, 0 };
	assert_int_equal(xtcp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
					 sizeof(tv)),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xtcp_accept(s, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(ms_since(&t0) < 150);
	tv = (struct timeval){ 0, 1000000 };
	assert_int_equal(xtcp_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
					 sizeof(tv)),
			 -1);
	assert_int_equal(errno, EDOM);
	xtcp_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dup_refs),
		cmocka_unit_test(dup2_rules),
		cmocka_unit_test(fork_parent_closes),
		cmocka_unit_test(fork_child_killed),
		cmocka_unit_test(attach_checks),
		cmocka_unit_test(rcvtimeo_accept),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
