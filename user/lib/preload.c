// SPDX-License-Identifier: BSD-2-Clause
/*
 * libxtcp_preload.so: the socket calls of an unmodified program over
 * libxtcp (tools/xtcp-run sets LD_PRELOAD to it).
 *
 * socket(AF_INET or AF_INET6, SOCK_STREAM, 0 or IPPROTO_TCP) makes an xtcp
 * socket; every other socket (AF_UNIX, UDP, raw, netlink...) is the
 * kernel's. When xtcpd cannot be reached (no socket at XTCP_APP_SOCKET or
 * /run/xtcp/app.sock, or nobody listening there) TCP sockets are the
 * kernel's too. There is no routing decision: an xtcp socket reaches what
 * xtcpd reaches (its interface, and 127.0.0.1, ::1 and the host's own
 * addresses inside xtcpd, not Linux's loopback).
 *
 * Each wrapped call asks libxtcp whether the descriptor is one of its
 * sockets (the socket's eventfd is its descriptor) and hands it over, or
 * calls the next definition (dlsym RTLD_NEXT). libxtcp's own system calls
 * come back through these wrappers; a per-thread depth counter sends them
 * straight to libc.
 *
 * Readiness. poll, ppoll and select (by poll) go through xtcp_poll when
 * an xtcp socket is among their descriptors. epoll: an xtcp socket added
 * to an epoll set is not given to the kernel (its eventfd cannot tell
 * readable from writable); the shim keeps it in a table for that set, and
 * epoll_wait on a set holding xtcp sockets runs xtcp_poll over them and
 * the epoll descriptor itself (readable when one of its kernel descriptors
 * is ready), then collects the kernel's events with a zero timeout. So it
 * sleeps until either side has something, with no polling slice.
 * EPOLLET is served as level-triggered; EPOLLONESHOT disarms the entry
 * until EPOLL_CTL_MOD.
 *
 * Descriptors and processes (docs/ARCHITECTURE.md): dup, dup2, dup3 and
 * F_DUPFD go to libxtcp, which counts a socket's descriptors; a fork child
 * keeps using the sockets it inherits (libxtcp's fork handlers); the exec
 * family hands the sockets without FD_CLOEXEC to the new image (below).
 * At exit(), _exit() and _Exit() the sockets still open are closed
 * gracefully, as the kernel closes a process's; after a crash xtcpd resets
 * those no other process holds.
 *
 * Limits: sendmsg/recvmsg carry plain data: ancillary data is refused
 * (EOPNOTSUPP) and none is returned, so descriptors cannot be passed over
 * AF_UNIX as xtcp sockets. posix_spawn, system and popen exec inside libc
 * (as do execveat and a clone() child): their programs get an xtcp
 * socket as a plain eventfd, as does a program exec'd without the shim.
 * stdio streams over a socket (fdopen) and sendfile are not wrapped:
 * libc's internal calls do not come through here.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/xtcp_exec.h"
#include "xtcp/ipc.h"
#include "xtcp/xtcp.h"

/* Inside libxtcp: its own calls go to libc. */
static __thread int depth __attribute__((tls_model("initial-exec")));

#define REAL(name)                                                        \
	({                                                                \
		static __typeof__(name) *real_;                           \
		__typeof__(name) *f_ =                                    \
			__atomic_load_n(&real_, __ATOMIC_RELAXED);        \
		if (!f_) {                                                \
			f_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name); \
			__atomic_store_n(&real_, f_, __ATOMIC_RELAXED);   \
		}                                                         \
		f_;                                                       \
	})

/* Call into libxtcp with its system calls sent to libc. */
#define X(call)                      \
	({                           \
		__typeof__(call) r_; \
		depth++;             \
		r_ = (call);         \
		depth--;             \
		r_;                  \
	})

static bool mine(int fd)
{
	return !depth && xtcp_is_socket(fd);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* --- epoll sets holding xtcp sockets ------------------------------------ */

struct ep_ent {
	int fd;
	bool armed; /* false after an EPOLLONESHOT report */
	struct epoll_event ev;
};

struct ep_set {
	struct ep_set *next;
	int epfd;
	unsigned n, cap, rr;
	struct ep_ent *e;
};

static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ep_set *ep_sets;
static int ep_count; /* sets with entries, read without the lock */

static struct ep_set *ep_find(int epfd)
{
	for (struct ep_set *s = ep_sets; s; s = s->next)
		if (s->epfd == epfd)
			return s;
	return NULL;
}

static int ep_index(const struct ep_set *s, int fd)
{
	for (unsigned i = 0; s && i < s->n; i++)
		if (s->e[i].fd == fd)
			return (int)i;
	return -1;
}

static int ep_ctl(int epfd, int op, int fd, const struct epoll_event *ev)
{
	struct ep_set *s;
	int i, ret = 0;

	if (epfd == fd)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && !ev)
		return -EFAULT;
	pthread_mutex_lock(&ep_lock);
	s = ep_find(epfd);
	i = ep_index(s, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i >= 0) {
			ret = -EEXIST;
			break;
		}
		if (!s) {
			s = calloc(1, sizeof(*s));
			if (!s) {
				ret = -ENOMEM;
				break;
			}
			s->epfd = epfd;
			s->next = ep_sets;
			ep_sets = s;
			__atomic_fetch_add(&ep_count, 1, __ATOMIC_RELEASE);
		}
		if (s->n == s->cap) {
			unsigned cap = s->cap ? s->cap * 2 : 8;
			struct ep_ent *e = realloc(s->e, cap * sizeof(*e));

			if (!e) {
				ret = -ENOMEM;
				break;
			}
			s->e = e;
			s->cap = cap;
		}
		s->e[s->n++] = (struct ep_ent){ fd, true, *ev };
		break;
	case EPOLL_CTL_MOD:
		if (i < 0) {
			ret = -ENOENT;
			break;
		}
		s->e[i].ev = *ev;
		s->e[i].armed = true;
		break;
	case EPOLL_CTL_DEL:
		if (i < 0) {
			ret = -ENOENT;
			break;
		}
		s->e[i] = s->e[--s->n];
		break;
	default:
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&ep_lock);
	return ret;
}

/* @fd is closing: an xtcp socket leaves every set, an epoll set goes. */
static void ep_forget(int fd)
{
	struct ep_set **pp;

	if (!__atomic_load_n(&ep_count, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&ep_lock);
	for (pp = &ep_sets; *pp;) {
		struct ep_set *s = *pp;
		int i;

		if (s->epfd == fd) {
			*pp = s->next;
			free(s->e);
			free(s);
			__atomic_fetch_sub(&ep_count, 1, __ATOMIC_RELEASE);
			continue;
		}
		i = ep_index(s, fd);
		if (i >= 0)
			s->e[i] = s->e[--s->n];
		pp = &s->next;
	}
	pthread_mutex_unlock(&ep_lock);
}

static short ep_to_poll(uint32_t ev)
{
	short p = 0;

	if (ev & EPOLLIN)
		p |= POLLIN;
	if (ev & EPOLLOUT)
		p |= POLLOUT;
	if (ev & EPOLLPRI)
		p |= POLLPRI;
	if (ev & EPOLLRDHUP)
		p |= POLLRDHUP;
	return p;
}

static uint32_t poll_to_ep(short p)
{
	uint32_t ev = 0;

	if (p & POLLIN)
		ev |= EPOLLIN | EPOLLRDNORM;
	if (p & POLLOUT)
		ev |= EPOLLOUT | EPOLLWRNORM;
	if (p & POLLPRI)
		ev |= EPOLLPRI;
	if (p & POLLRDHUP)
		ev |= EPOLLRDHUP;
	if (p & POLLERR)
		ev |= EPOLLERR;
	if (p & POLLHUP)
		ev |= EPOLLHUP;
	return ev;
}

static int ms_left(const struct timespec *until)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (until->tv_sec - now.tv_sec) * 1000 +
	     (until->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void deadline(struct timespec *until, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (long)(ms % 1000) * 1000000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

/*
 * epoll_wait on a set: -1 when it holds no xtcp socket (the caller asks
 * the kernel), else the events, or -1 with errno and *done set.
 */
static int ep_wait(int epfd, struct epoll_event *out, int max, int timeout,
		   bool *done)
{
	struct timespec until;
	struct ep_ent *e = NULL;
	struct pollfd *p = NULL;
	struct ep_set *s;
	unsigned n, rr;
	int k = 0, ret;

	*done = false;
	if (!__atomic_load_n(&ep_count, __ATOMIC_ACQUIRE))
		return -1;
	if (max <= 0) {
		*done = true;
		return fail(EINVAL);
	}
	if (timeout > 0)
		deadline(&until, timeout);
	for (;;) {
		pthread_mutex_lock(&ep_lock);
		s = ep_find(epfd);
		n = s ? s->n : 0;
		if (n) {
			rr = s->rr++;
			free(e);
			e = malloc(n * sizeof(*e));
			if (e)
				memcpy(e, s->e, n * sizeof(*e));
		}
		pthread_mutex_unlock(&ep_lock);
		if (!n) {
			free(e);
			free(p);
			return -1;
		}
		*done = true;
		free(p);
		p = calloc(n + 1, sizeof(*p));
		if (!e || !p) {
			k = fail(ENOMEM);
			break;
		}
		p[0] = (struct pollfd){ .fd = epfd, .events = POLLIN };
		for (unsigned i = 0; i < n; i++) {
			p[i + 1].fd = e[i].armed ? e[i].fd : -1;
			p[i + 1].events = ep_to_poll(e[i].ev.events);
		}
		ret = X(xtcp_poll(p, n + 1,
				  timeout > 0 ? ms_left(&until) : timeout));
		if (ret < 0) {
			k = -1;
			break;
		}
		/* Start at a different socket each time: none starves. */
		for (unsigned j = 0; j < n && k < max; j++) {
			unsigned i = (j + rr) % n;

			if (!p[i + 1].revents || p[i + 1].fd < 0)
				continue;
			out[k].events = poll_to_ep(p[i + 1].revents);
			out[k].data = e[i].ev.data;
			k++;
			if (e[i].ev.events & EPOLLONESHOT) {
				pthread_mutex_lock(&ep_lock);
				s = ep_find(epfd);
				ret = ep_index(s, e[i].fd);
				if (ret >= 0)
					s->e[ret].armed = false;
				pthread_mutex_unlock(&ep_lock);
			}
		}
		if ((p[0].revents & POLLIN) && k < max) {
			ret = REAL(epoll_wait)(epfd, out + k, max - k, 0);
			if (ret > 0)
				k += ret;
		}
		if (k || !timeout || (timeout > 0 && !ms_left(&until)))
			break;
	}
	free(e);
	free(p);
	return k;
}

/*
 * exit() closes the xtcp sockets still open, gracefully, as the kernel
 * closes a process's sockets: left to the session's end they would be
 * reset. After _exit() or a crash they are.
 */
__attribute__((destructor)) static void close_all(void)
{
	int max = (int)sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (int fd = 0; fd < max; fd++)
		if (xtcp_is_socket(fd))
			X(xtcp_close(fd));
}

/*
 * _exit() and _Exit() close a process's descriptors as exit() does, only
 * without atexit handlers and destructors: the kernel closes its sockets
 * gracefully then, and so do we (else xtcpd, seeing the connection end
 * as after a crash, would reset what no other process holds). Shells exit
 * this way (dash), and so do fork children whose exec failed. Not in a
 * vfork child (its memory is its parent's), and only as far as is safe in
 * a signal handler (xtcp__exit_close).
 */
void _exit(int status)
{
	depth++; /* its system calls go to libc */
	xtcp__exit_close();
	REAL(_exit)(status);
	__builtin_unreachable();
}

void _Exit(int status)
{
	depth++; /* its system calls go to libc */
	xtcp__exit_close();
	REAL(_Exit)(status);
	__builtin_unreachable();
}

/* --- sockets ------------------------------------------------------------ */

int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd, err;

	if (depth || (domain != AF_INET && domain != AF_INET6) ||
	    base != SOCK_STREAM || (protocol && protocol != IPPROTO_TCP))
		return REAL(socket)(domain, type, protocol);
	fd = X(xtcp_socket(domain, type, protocol));
	if (fd >= 0)
		return fd;
	err = errno;
	/* No xtcpd to talk to: the kernel's TCP. */
	if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR ||
	    err == EACCES || err == ENAMETOOLONG)
		return REAL(socket)(domain, type, protocol);
	return fail(err);
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
	if (mine(fd))
		return X(xtcp_bind(fd, a, len));
	return REAL(bind)(fd, a, len);
}

int listen(int fd, int backlog)
{
	if (mine(fd))
		return X(xtcp_listen(fd, backlog));
	return REAL(listen)(fd, backlog);
}

int accept(int fd, struct sockaddr *a, socklen_t *len)
{
	if (mine(fd))
		return X(xtcp_accept(fd, a, len));
	return REAL(accept)(fd, a, len);
}

int accept4(int fd, struct sockaddr *a, socklen_t *len, int flags)
{
	if (mine(fd))
		return X(xtcp_accept4(fd, a, len, flags));
	return REAL(accept4)(fd, a, len, flags);
}

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
	if (mine(fd))
		return X(xtcp_connect(fd, a, len));
	return REAL(connect)(fd, a, len);
}

int shutdown(int fd, int how)
{
	if (mine(fd))
		return X(xtcp_shutdown(fd, how));
	return REAL(shutdown)(fd, how);
}

int close(int fd)
{
	if (depth)
		return REAL(close)(fd);
	ep_forget(fd);
	if (xtcp_is_socket(fd))
		return X(xtcp_close(fd));
	return REAL(close)(fd);
}

int setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	if (mine(fd))
		return X(xtcp_setsockopt(fd, level, name, v, len));
	return REAL(setsockopt)(fd, level, name, v, len);
}

int getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	if (mine(fd))
		return X(xtcp_getsockopt(fd, level, name, v, len));
	return REAL(getsockopt)(fd, level, name, v, len);
}

int getsockname(int fd, struct sockaddr *a, socklen_t *len)
{
	if (mine(fd))
		return X(xtcp_getsockname(fd, a, len));
	return REAL(getsockname)(fd, a, len);
}

int getpeername(int fd, struct sockaddr *a, socklen_t *len)
{
	if (mine(fd))
		return X(xtcp_getpeername(fd, a, len));
	return REAL(getpeername)(fd, a, len);
}

/* --- data ---------------------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t n)
{
	if (mine(fd))
		return X(xtcp_read(fd, buf, n));
	return REAL(read)(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (mine(fd))
		return X(xtcp_write(fd, buf, n));
	return REAL(write)(fd, buf, n);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	if (mine(fd))
		return X(xtcp_readv(fd, iov, cnt));
	return REAL(readv)(fd, iov, cnt);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	if (mine(fd))
		return X(xtcp_writev(fd, iov, cnt));
	return REAL(writev)(fd, iov, cnt);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	if (mine(fd))
		return X(xtcp_recv(fd, buf, n, flags));
	return REAL(recv)(fd, buf, n, flags);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	if (mine(fd))
		return X(xtcp_send(fd, buf, n, flags));
	return REAL(send)(fd, buf, n, flags);
}

/* TCP has no source address to report: *len becomes 0, as in Linux. */
ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
		 socklen_t *len)
{
	if (mine(fd)) {
		ssize_t r = X(xtcp_recv(fd, buf, n, flags));

		if (r >= 0 && a && len)
			*len = 0;
		return r;
	}
	return REAL(recvfrom)(fd, buf, n, flags, a, len);
}

/* The address of a connected stream socket is ignored, as Linux does. */
ssize_t sendto(int fd, const void *buf, size_t n, int flags,
	       const struct sockaddr *a, socklen_t len)
{
	if (mine(fd))
		return X(xtcp_send(fd, buf, n, flags));
	return REAL(sendto)(fd, buf, n, flags, a, len);
}

static size_t iov_len(const struct iovec *iov, size_t cnt)
{
	size_t n = 0;

	for (size_t i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

/* sendmsg/recvmsg with flags over several buffers: through one bounce
 * buffer, so MSG_PEEK, MSG_WAITALL and MSG_DONTWAIT keep their meaning. */
static ssize_t x_sendmsg(int fd, const struct msghdr *m, int flags)
{
	size_t n, off = 0;
	ssize_t r;
	char *b;

	if (m->msg_controllen)
		return fail(EOPNOTSUPP);
	if (!flags)
		return xtcp_writev(fd, m->msg_iov, (int)m->msg_iovlen);
	if (m->msg_iovlen <= 1)
		return xtcp_send(fd,
				 m->msg_iovlen ? m->msg_iov[0].iov_base : "",
				 m->msg_iovlen ? m->msg_iov[0].iov_len : 0,
				 flags);
	n = iov_len(m->msg_iov, m->msg_iovlen);
	b = malloc(n ? n : 1);
	if (!b)
		return fail(ENOMEM);
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		memcpy(b + off, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
		off += m->msg_iov[i].iov_len;
	}
	r = xtcp_send(fd, b, n, flags);
	free(b);
	return r;
}

static ssize_t x_recvmsg(int fd, struct msghdr *m, int flags)
{
	size_t n, off = 0;
	ssize_t r;
	char *b;

	m->msg_namelen = 0;
	m->msg_controllen = 0;
	m->msg_flags = 0;
	if (!flags)
		return xtcp_readv(fd, m->msg_iov, (int)m->msg_iovlen);
	if (m->msg_iovlen <= 1)
		return xtcp_recv(fd,
				 m->msg_iovlen ? m->msg_iov[0].iov_base : NULL,
				 m->msg_iovlen ? m->msg_iov[0].iov_len : 0,
				 flags);
	n = iov_len(m->msg_iov, m->msg_iovlen);
	b = malloc(n ? n : 1);
	if (!b)
		return fail(ENOMEM);
	r = xtcp_recv(fd, b, n, flags);
	for (size_t i = 0; r > 0 && i < m->msg_iovlen && off < (size_t)r; i++) {
		size_t k = m->msg_iov[i].iov_len;

		if (k > (size_t)r - off)
			k = (size_t)r - off;
		memcpy(m->msg_iov[i].iov_base, b + off, k);
		off += k;
	}
	free(b);
	return r;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	if (mine(fd))
		return X(x_sendmsg(fd, m, flags));
	return REAL(sendmsg)(fd, m, flags);
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	if (mine(fd))
		return X(x_recvmsg(fd, m, flags));
	return REAL(recvmsg)(fd, m, flags);
}

/* _FORTIFY_SOURCE builds call these instead. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		abort();
	return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		abort();
	return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *a, socklen_t *len);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *a, socklen_t *len)
{
	if (n > buflen)
		abort();
	return recvfrom(fd, buf, n, flags, a, len);
}

/* --- descriptor control -------------------------------------------------- */

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (mine(fd))
		return X(xtcp_ioctl(fd, req, arg));
	return REAL(ioctl)(fd, req, arg);
}

/* glibc's sockatmark calls its own ioctl, which is not interposed. */
int sockatmark(int fd)
{
	int v;

	if (!mine(fd))
		return REAL(sockatmark)(fd);
	return X(xtcp_ioctl(fd, SIOCATMARK, &v)) ? -1 : v;
}

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, long arg)
{
	if (!mine(fd))
		return real(fd, cmd, arg);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_GETFL:
	case F_SETFL:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
		return X(xtcp_fcntl(fd, cmd, arg));
	default: /* F_GETFD, F_SETFD and the rest: the descriptor's own */
		return real(fd, cmd, arg);
	}
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return do_fcntl(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);
int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return do_fcntl(REAL(fcntl64), fd, cmd, arg);
}

int dup(int fd)
{
	if (mine(fd))
		return X(xtcp_dup(fd));
	return REAL(dup)(fd);
}

/* Either side an xtcp socket: libxtcp keeps its table right (an xtcp
 * socket at @to loses that descriptor, as close(2) would). */
int dup2(int fd, int to)
{
	if (mine(fd) || mine(to)) {
		int r = X(xtcp_dup2(fd, to));

		/* Entries of @to's old socket leave the epoll sets. */
		if (r >= 0 && fd != to)
			ep_forget(to);
		return r;
	}
	return REAL(dup2)(fd, to);
}

int dup3(int fd, int to, int flags)
{
	if (mine(fd) || mine(to)) {
		int r = X(xtcp_dup3(fd, to, flags));

		/* Entries of @to's old socket leave the epoll sets. */
		if (r >= 0 && fd != to)
			ep_forget(to);
		return r;
	}
	return REAL(dup3)(fd, to, flags);
}

/* --- exec ------------------------------------------------------------------ */

/*
 * Sockets without FD_CLOEXEC survive exec(2), as the kernel's do (inetd,
 * shells): the exec family passes XTCP_INHERIT_ENV to the new image
 * (libxtcp's description, xtcp_exec.h), whose copy of this shim adopts it
 * at load. posix_spawn, system and popen exec inside libc, not through
 * these: their programs get plain descriptors.
 */
__attribute__((constructor)) static void inherit(void)
{
	const char *d = getenv(XTCP_INHERIT_ENV);

	if (!d)
		return;
	X(xtcp__exec_adopt(d));
	unsetenv(XTCP_INHERIT_ENV);
}

extern char **environ;

/* @envp without any XTCP_INHERIT_ENV, plus @add (if not NULL). */
static char **env_with(char *const envp[], char *add)
{
	size_t n = 0, k = 0, pl = strlen(XTCP_INHERIT_ENV);
	char **e;

	while (envp && envp[n])
		n++;
	e = malloc((n + 2) * sizeof(*e));
	if (!e)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], XTCP_INHERIT_ENV, pl) ||
		    envp[i][pl] != '=')
			e[k++] = envp[i];
	if (add)
		e[k++] = add;
	e[k] = NULL;
	return e;
}

enum exec_kind { EX_PATH, EX_SEARCH, EX_FD };

/* The exec itself, with the hand-over added; undone if it fails. */
static int do_exec(enum exec_kind kind, const char *path, int fd,
		   char *const argv[], char *const envp[])
{
	int handle = -1;
	char *add = depth ? NULL : X(xtcp__exec_env(&handle));
	char **env = env_with(envp, add);
	char *const *use = env ? env : envp;
	int ret, err;

	if (kind == EX_SEARCH)
		ret = REAL(execvpe)(path, argv, use);
	else if (kind == EX_FD)
		ret = REAL(fexecve)(fd, argv, use);
	else
		ret = REAL(execve)(path, argv, use);
	err = errno;
	if (add) {
		depth++;
		xtcp__exec_undo(handle);
		depth--;
	}
	free(env);
	free(add);
	errno = err;
	return ret;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	return do_exec(EX_PATH, path, -1, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	return do_exec(EX_PATH, path, -1, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return do_exec(EX_SEARCH, file, -1, argv, envp);
}

int execvp(const char *file, char *const argv[])
{
	return do_exec(EX_SEARCH, file, -1, argv, environ);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	return do_exec(EX_FD, NULL, fd, argv, envp);
}

/* execl's arguments as an array (malloc'd), and execle's envp after them. */
static char **list_argv(const char *arg0, va_list ap, char *const **envp)
{
	size_t n = 1;
	va_list cp;
	char **v;

	va_copy(cp, ap);
	while (va_arg(cp, char *))
		n++;
	va_end(cp);
	v = malloc((n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	v[0] = (char *)arg0;
	for (size_t i = 1; i <= n; i++) /* the last one read is the NULL */
		v[i] = va_arg(ap, char *);
	if (envp)
		*envp = va_arg(ap, char *const *);
	return v;
}

static int exec_list(enum exec_kind kind, const char *path, char **argv,
		     char *const envp[])
{
	int ret, err;

	if (!argv)
		return fail(ENOMEM);
	ret = do_exec(kind, path, -1, argv, envp);
	err = errno;
	free(argv);
	errno = err;
	return ret;
}

int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_argv(arg, ap, NULL);
	va_end(ap);
	return exec_list(EX_PATH, path, argv, environ);
}

int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_argv(arg, ap, NULL);
	va_end(ap);
	return exec_list(EX_SEARCH, file, argv, environ);
}

int execle(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_argv(arg, ap, &envp);
	va_end(ap);
	return exec_list(EX_PATH, path, argv, envp);
}

/* --- readiness ----------------------------------------------------------- */

static bool any_mine(const struct pollfd *p, nfds_t n)
{
	if (depth)
		return false;
	for (nfds_t i = 0; i < n; i++)
		if (xtcp_is_socket(p[i].fd))
			return true;
	return false;
}

int poll(struct pollfd *p, nfds_t n, int timeout)
{
	if (any_mine(p, n))
		return X(xtcp_poll(p, n, timeout));
	return REAL(poll)(p, n, timeout);
}

int __poll_chk(struct pollfd *p, nfds_t n, int timeout, size_t len);
int __poll_chk(struct pollfd *p, nfds_t n, int timeout, size_t len)
{
	if (n > len / sizeof(*p))
		abort();
	return poll(p, n, timeout);
}

static int ts_ms(const struct timespec *ts)
{
	long long ms;

	if (!ts)
		return -1;
	ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* The signal mask is swapped around the wait, not atomically with it. */
static int x_ppoll(struct pollfd *p, nfds_t n, int ms, const sigset_t *mask)
{
	sigset_t old;
	int r;

	if (mask)
		pthread_sigmask(SIG_SETMASK, mask, &old);
	r = X(xtcp_poll(p, n, ms));
	if (mask) {
		int e = errno;

		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
	}
	return r;
}

int ppoll(struct pollfd *p, nfds_t n, const struct timespec *ts,
	  const sigset_t *mask)
{
	if (any_mine(p, n))
		return x_ppoll(p, n, ts_ms(ts), mask);
	return REAL(ppoll)(p, n, ts, mask);
}

/* select over poll, with Linux's readiness sets; NULL when no xtcp socket
 * is in the sets. */
static struct pollfd *sel_fds(int nfds, fd_set *r, fd_set *w, fd_set *x,
			      nfds_t *cnt)
{
	struct pollfd *p;
	bool any = false;
	nfds_t n = 0;

	if (depth || nfds <= 0)
		return NULL;
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (int fd = 0; fd < nfds && !any; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (x && FD_ISSET(fd, x))) &&
		    xtcp_is_socket(fd))
			any = true;
	if (!any)
		return NULL;
	p = calloc((size_t)nfds, sizeof(*p));
	if (!p)
		return NULL;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (x && FD_ISSET(fd, x))
			ev |= POLLPRI;
		if (ev)
			p[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	*cnt = n;
	return p;
}

static int sel_out(struct pollfd *p, nfds_t n, int ret, fd_set *r, fd_set *w,
		   fd_set *x)
{
	int k = 0;

	if (ret < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++)
		if (p[i].revents & POLLNVAL)
			return fail(EBADF);
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (x)
		FD_ZERO(x);
	for (nfds_t i = 0; i < n; i++) {
		short ev = p[i].revents;

		if (r && (p[i].events & POLLIN) &&
		    (ev & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(p[i].fd, r);
			k++;
		}
		if (w && (p[i].events & POLLOUT) &&
		    (ev & (POLLOUT | POLLERR))) {
			FD_SET(p[i].fd, w);
			k++;
		}
		if (x && (p[i].events & POLLPRI) && (ev & POLLPRI)) {
			FD_SET(p[i].fd, x);
			k++;
		}
	}
	return k;
}

int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	struct timespec until;
	struct pollfd *p;
	nfds_t n = 0;
	int ms = -1, ret;

	p = sel_fds(nfds, r, w, x, &n);
	if (!p)
		return REAL(select)(nfds, r, w, x, tv);
	if (tv) {
		long long t = (long long)tv->tv_sec * 1000 +
			      (tv->tv_usec + 999) / 1000;

		ms = t > INT32_MAX ? INT32_MAX : (int)t;
		deadline(&until, ms);
	}
	ret = X(xtcp_poll(p, n, ms));
	ret = sel_out(p, n, ret, r, w, x);
	free(p);
	/* Linux leaves the time not slept in *tv. */
	if (tv) {
		int left = ms_left(&until);

		tv->tv_sec = left / 1000;
		tv->tv_usec = (left % 1000) * 1000;
	}
	return ret;
}

int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x,
	    const struct timespec *ts, const sigset_t *mask)
{
	struct pollfd *p;
	nfds_t n = 0;
	int ret;

	p = sel_fds(nfds, r, w, x, &n);
	if (!p)
		return REAL(pselect)(nfds, r, w, x, ts, mask);
	ret = x_ppoll(p, n, ts_ms(ts), mask);
	ret = sel_out(p, n, ret, r, w, x);
	free(p);
	return ret;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int ret;

	if (!mine(fd))
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	ret = ep_ctl(epfd, op, fd, ev);
	return ret ? fail(-ret) : 0;
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	bool done;
	int ret;

	if (depth)
		return REAL(epoll_wait)(epfd, ev, max, timeout);
	ret = ep_wait(epfd, ev, max, timeout, &done);
	if (done)
		return ret;
	return REAL(epoll_wait)(epfd, ev, max, timeout);
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
		const sigset_t *mask)
{
	sigset_t old;
	bool done;
	int ret;

	if (depth)
		return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
	if (mask)
		pthread_sigmask(SIG_SETMASK, mask, &old);
	ret = ep_wait(epfd, ev, max, timeout, &done);
	if (mask) {
		int e = errno;

		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
	}
	if (done)
		return ret;
	return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
}
