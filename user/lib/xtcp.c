// SPDX-License-Identifier: BSD-2-Clause
/*
 * libxtcp: POSIX sockets over xtcpd (include/xtcp/xtcp.h is the API,
 * include/xtcp/ipc.h the contract with the daemon).
 *
 * Control goes over one SOCK_SEQPACKET connection per process, one request
 * at a time under a lock; data goes through the rings in the shared region
 * without a system call while both sides are busy. A socket's descriptor
 * is its eventfd: the daemon writes it when the socket changes and the
 * application said (slot want) that it is about to sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/urg_read.h"
#include "xtcp/ipc.h"
#include "xtcp/xtcp.h"
/* After the public headers: the shim's private part of the API. */
#include "lib/xtcp_exec.h"

#define TAB_PAGES 1024
#define TAB_PAGE 1024 /* descriptors up to TAB_PAGES * TAB_PAGE */
#define WAIT_SLICE_MS 250
#define BUSY_POLL_US_DEFAULT 50

struct xsock {
	int fd; /* the eventfd */
	uint32_t idx, gen;
	int domain;
	struct xtcp_shm_slot *sl;
	uint8_t *rx, *tx;
	uint32_t rx_size, tx_size, tx_cap;
	bool rings;
	bool nonblock;
	bool linger_on;
	int linger_s;
	int owner_type, owner_id; /* F_SETOWN_EX; id 0: none */
	pthread_mutex_t rlock, wlock;
	int refs; /* descriptors naming it (dup), under G.lock */
	int64_t rcvtimeo, sndtimeo; /* SO_RCVTIMEO/SNDTIMEO: us, 0 forever */
};

static struct {
	pthread_mutex_t lock; /* the control channel and session set-up */
	int ctl;
	bool dead;
	uint32_t seq;
	uint8_t *base;
	uint64_t size;
	struct xtcp_shm_hdr *hdr;
	struct xtcp_shm_slot *slots;
	uint32_t nslots;
	int doorbell;
	/* fork and exec (ipc.h): the session's token, our member id, the
	 * region's memfd (kept for exec), the pid that owns ctl, and the
	 * connection made for a child between prepare and child/parent. */
	uint8_t token[XTCP_TOKEN_LEN];
	uint32_t id, fork_id;
	int memfd, fork_ctl;
	pid_t pid;
} G = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.ctl = -1,
	.doorbell = -1,
	.memfd = -1,
	.fork_ctl = -1 };

static struct xsock **tab[TAB_PAGES];

static struct xsock *lookup(int fd)
{
	struct xsock **page;

	if (fd < 0 || fd >= TAB_PAGES * TAB_PAGE)
		return NULL;
	page = __atomic_load_n(&tab[fd / TAB_PAGE], __ATOMIC_ACQUIRE);
	if (!page)
		return NULL;
	return __atomic_load_n(&page[fd % TAB_PAGE], __ATOMIC_ACQUIRE);
}

/* Under G.lock. */
static int tab_set(int fd, struct xsock *xs)
{
	struct xsock **page;

	if (fd < 0 || fd >= TAB_PAGES * TAB_PAGE)
		return -EMFILE;
	page = tab[fd / TAB_PAGE];
	if (!page) {
		page = calloc(TAB_PAGE, sizeof(*page));
		if (!page)
			return -ENOBUFS;
		__atomic_store_n(&tab[fd / TAB_PAGE], page, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&page[fd % TAB_PAGE], xs, __ATOMIC_RELEASE);
	return 0;
}

int xtcp_is_socket(int fd)
{
	return lookup(fd) != NULL;
}

static int fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool dead(void)
{
	return __atomic_load_n(&G.dead, __ATOMIC_ACQUIRE);
}

static void set_dead(void)
{
	__atomic_store_n(&G.dead, true, __ATOMIC_RELEASE);
}

/* --- the control channel --------------------------------------------- */

/* One request and its reply, under G.lock; fds received into @fds. */
static uint32_t spin_us(void);

/*
 * The reply: looked for without sleeping for a while first (the daemon
 * answers within microseconds when it is busy; see spin_us), then waited
 * for.
 */
static ssize_t recv_reply(struct msghdr *m)
{
	uint32_t budget = spin_us();
	struct timespec t0, t;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (budget) {
		n = recvmsg(G.ctl, m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000 >=
		    budget)
			break;
		sched_yield();
	}
	do
		n = recvmsg(G.ctl, m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	return n;
}

static int call_locked(struct xtcp_ipc_req *q, struct xtcp_ipc_rep *r, int *fds,
		       unsigned maxfds, unsigned *nfds)
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
	unsigned got = 0;

	if (nfds)
		*nfds = 0;
	if (G.ctl < 0 || dead())
		return -ECONNRESET;
	q->version = XTCP_IPC_VERSION;
	q->seq = ++G.seq;
	do
		n = send(G.ctl, q, sizeof(*q), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*q)) {
		set_dead();
		return -ECONNRESET;
	}
	/* A busy daemon looks at the region every round but at its sockets
	 * only now and then: tell it there is a request (ipc.h). */
	if (G.hdr)
		__atomic_store_n(&G.hdr->pending, 1, __ATOMIC_SEQ_CST);
	n = recv_reply(&m);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c;
	     c = CMSG_NXTHDR(&m, c)) {
		int in[4];
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > 4)
			k = 4;
		memcpy(in, CMSG_DATA(c), k * sizeof(int));
		for (size_t i = 0; i < k; i++) {
			if (got < maxfds)
				fds[got++] = in[i];
			else
				close(in[i]);
		}
	}
	if (n != (ssize_t)sizeof(*r) || r->seq != q->seq ||
	    r->version != XTCP_IPC_VERSION) {
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		set_dead();
		return -ECONNRESET;
	}
	if (nfds)
		*nfds = got;
	return r->err;
}

/* A new control connection to xtcpd: its descriptor or -errno. */
static int ctl_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv(XTCP_APP_SOCKET_ENV);
	int fd, ret;

	if (!path || !*path)
		path = XTCP_APP_SOCKET_DEFAULT;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static void atfork_once(void);

/*
 * Map the session's region (@memfd, @size bytes) and check its header;
 * G takes @memfd and @doorbell. On failure nothing is mapped and the
 * caller still owns both.
 */
static int region_map_locked(int memfd, uint64_t size, int doorbell)
{
	const struct xtcp_shm_hdr *h;
	void *base;

	if (size < sizeof(*h) || size > SIZE_MAX)
		return -EPROTO;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (base == MAP_FAILED)
		return -errno;
	h = base;
	if (load_acq(&h->magic) != XTCP_SHM_MAGIC ||
	    h->version != XTCP_IPC_VERSION ||
	    h->slot_size != sizeof(struct xtcp_shm_slot) ||
	    h->nslots > XTCP_SHM_SLOTS_MAX ||
	    (uint64_t)h->slot_off +
			    (uint64_t)h->nslots * sizeof(struct xtcp_shm_slot) >
		    size) {
		munmap(base, size);
		return -EPROTO;
	}
	G.base = base;
	G.size = size;
	G.hdr = base;
	G.slots = (struct xtcp_shm_slot *)(G.base + h->slot_off);
	G.nslots = h->nslots;
	G.memfd = memfd;
	G.doorbell = doorbell;
	return 0;
}

static int session_open_locked(void)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int fds[2], ret;
	unsigned nfds;

	/* dead with no connection: a fork child that could not attach. */
	if (G.ctl >= 0 || dead())
		return dead() ? -ECONNRESET : 0;
	G.ctl = ctl_connect();
	if (G.ctl < 0)
		return G.ctl;
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_HELLO;
	q.slot = XTCP_IPC_NO_SLOT;
	ret = call_locked(&q, &r, fds, 2, &nfds);
	if (ret || nfds != 2) {
		if (!ret)
			ret = -EPROTO;
		for (unsigned i = 0; !ret && i < nfds; i++)
			close(fds[i]);
		goto fail;
	}
	ret = region_map_locked(fds[0], r.u64, fds[1]);
	if (ret) {
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (r.len == XTCP_TOKEN_LEN)
		memcpy(G.token, r.data, XTCP_TOKEN_LEN);
	G.id = (uint32_t)r.val[1];
	G.pid = getpid();
	atfork_once();
	return 0;
fail:
	close(G.ctl);
	G.ctl = -1;
	G.dead = false;
	return ret;
}

static int call(struct xtcp_ipc_req *q, struct xtcp_ipc_rep *r, int *fds,
		unsigned maxfds, unsigned *nfds)
{
	int ret;

	pthread_mutex_lock(&G.lock);
	ret = session_open_locked();
	if (!ret)
		ret = call_locked(q, r, fds, maxfds, nfds);
	pthread_mutex_unlock(&G.lock);
	return ret;
}

static void req_init(struct xtcp_ipc_req *q, const struct xsock *xs, int op)
{
	memset(q, 0, sizeof(*q));
	q->op = (uint16_t)op;
	q->slot = xs ? xs->idx : XTCP_IPC_NO_SLOT;
	q->gen = xs ? xs->gen : 0;
}

/* --- addresses ----------------------------------------------------------- */

static int sa_in(const struct xsock *xs, const struct sockaddr *sa,
		 socklen_t len, struct xtcp_ipc_addr *o)
{
	memset(o, 0, sizeof(*o));
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (xs->domain == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		if (sa->sa_family != AF_INET)
			return -EAFNOSUPPORT;
		if (len < (socklen_t)sizeof(*s4))
			return -EINVAL;
		o->family = AF_INET;
		o->port = ntohs(s4->sin_port);
		o->addr[10] = o->addr[11] = 0xff;
		memcpy(o->addr + 12, &s4->sin_addr, 4);
		return 0;
	}
	const struct sockaddr_in6 *s6 = (const void *)sa;

	if (sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < (socklen_t)sizeof(*s6))
		return -EINVAL;
	o->family = AF_INET6;
	o->port = ntohs(s6->sin6_port);
	o->scope_id = s6->sin6_scope_id;
	o->flowinfo = s6->sin6_flowinfo;
	memcpy(o->addr, &s6->sin6_addr, 16);
	return 0;
}

static void sa_out(const struct xsock *xs, const struct xtcp_ipc_addr *a,
		   struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t full;

	if (!sa || !len)
		return;
	memset(&ss, 0, sizeof(ss));
	if (xs->domain == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr + 12, 4);
		full = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		full = sizeof(*s6);
	}
	memcpy(sa, &ss, *len < full ? *len : full);
	*len = full;
}

/* --- sockets ------------------------------------------------------------- */

static struct xsock *xs_new(int fd, uint32_t idx, uint32_t gen, int domain)
{
	struct xsock *xs;

	if (idx >= G.nslots)
		return NULL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return NULL;
	xs->fd = fd;
	xs->idx = idx;
	xs->gen = gen;
	xs->domain = domain;
	xs->owner_type = F_OWNER_PID;
	xs->refs = 1;
	xs->sl = &G.slots[idx];
	pthread_mutex_init(&xs->rlock, NULL);
	pthread_mutex_init(&xs->wlock, NULL);
	return xs;
}

/* The rings the daemon placed for a connection, checked against the map. */
static int xs_rings(struct xsock *xs)
{
	struct xtcp_shm_slot *sl = xs->sl;
	uint32_t rxo = sl->rx_off, rxs = sl->rx_size, txo = sl->tx_off,
		 txs = sl->tx_size, txc = sl->tx_cap;

	if (xs->rings)
		return 0;
	if (!rxs || (rxs & (rxs - 1)) || !txs || (txs & (txs - 1)) ||
	    (uint64_t)rxo + rxs > G.size || (uint64_t)txo + txs > G.size ||
	    txc > txs)
		return -EPROTO;
	xs->rx = G.base + rxo;
	xs->rx_size = rxs;
	xs->tx = G.base + txo;
	xs->tx_size = txs;
	xs->tx_cap = txc;
	__atomic_store_n(&xs->rings, true, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Make a new socket's descriptor (its eventfd) answer for it: O_NONBLOCK
 * and close-on-exec as @flags (SOCK_*) ask (it arrives close-on-exec; a
 * socket is so only when asked, for exec), then the table. On failure the
 * slot goes back to the daemon and the descriptor is closed.
 */
static int xs_install(struct xsock *xs, int flags)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	xs->nonblock = flags & SOCK_NONBLOCK;
	if (!(flags & SOCK_CLOEXEC))
		fcntl(xs->fd, F_SETFD, 0);
	pthread_mutex_lock(&G.lock);
	ret = tab_set(xs->fd, xs);
	pthread_mutex_unlock(&G.lock);
	if (ret) {
		req_init(&q, xs, XTCP_OP_CLOSE);
		call(&q, &r, NULL, 0, NULL);
		close(xs->fd);
		free(xs);
	}
	return ret;
}

int xtcp_socket(int domain, int type, int protocol)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	struct xsock *xs;
	unsigned nfds;
	int fd, ret;

	if (domain != AF_INET && domain != AF_INET6)
		return fail(-EAFNOSUPPORT);
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return fail(-EPROTONOSUPPORT);
	req_init(&q, NULL, XTCP_OP_SOCKET);
	q.arg[0] = domain;
	q.arg[1] = SOCK_STREAM;
	ret = call(&q, &r, &fd, 1, &nfds);
	if (ret)
		return fail(ret);
	if (nfds != 1)
		return fail(-EPROTO);
	xs = xs_new(fd, r.slot, r.gen, domain);
	if (!xs) {
		close(fd);
		return fail(-ENOBUFS);
	}
	ret = xs_install(xs, type);
	return ret ? fail(ret) : fd;
}

static struct xsock *get(int fd)
{
	struct xsock *xs = lookup(fd);

	if (!xs)
		errno = fd < 0 ? EBADF : ENOTSOCK;
	return xs;
}

int xtcp_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	req_init(&q, xs, XTCP_OP_BIND);
	ret = sa_in(xs, addr, len, &q.addr);
	if (!ret)
		ret = call(&q, &r, NULL, 0, NULL);
	return ret ? fail(ret) : 0;
}

int xtcp_listen(int fd, int backlog)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	req_init(&q, xs, XTCP_OP_LISTEN);
	q.arg[0] = backlog;
	ret = call(&q, &r, NULL, 0, NULL);
	return ret ? fail(ret) : 0;
}

/*
 * Tell the daemon this slot's indices moved (the caller stored them with
 * release). The bit is always set with a full barrier, never skipped when
 * it looks set already: that look could be ordered before the index store
 * and see a bit the daemon is just taking, so the daemon would sync the old
 * index and then find neither the bit nor a reason to look again.
 */
static void kick(struct xsock *xs)
{
	uint64_t bit = 1ull << (xs->idx % 64);
	uint64_t *w = &G.hdr->pending_map[xs->idx / 64];

	__atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST);
	__atomic_store_n(&G.hdr->pending, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&G.hdr->daemon_sleeping, __ATOMIC_SEQ_CST)) {
		uint64_t one = 1;

		if (write(G.doorbell, &one, sizeof(one)) < 0) {
			/* full counter: the daemon is being woken anyway */
		}
	}
}

static uint32_t changes(const struct xsock *xs)
{
	return load_acq(&xs->sl->changes);
}

static int remaining_ms(const struct timespec *until)
{
	struct timespec now;
	long long ns;
	long ms;

	if (!until)
		return WAIT_SLICE_MS;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(until->tv_sec - now.tv_sec) * 1000000000 +
	     (until->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	/* Rounded up: a wait never ends before its time. */
	ms = (long)((ns + 999999) / 1000000);
	return ms < WAIT_SLICE_MS ? (int)ms : WAIT_SLICE_MS;
}

/*
 * SO_RCVTIMEO/SO_SNDTIMEO of @timeo (us, 0: none) as a deadline from now in
 * @until; NULL without one.
 */
/*
 * Busy-poll (as SO_BUSY_POLL does): an answer on a LAN comes within tens
 * of microseconds, sooner than a sleep and a wake-up through the eventfd
 * take. XTCP_BUSY_POLL_US sets how long (0: never). The CPU is given up
 * between looks, so whatever shares it (the peer, xtcpd) still runs.
 */
static uint32_t spin_us(void)
{
	static int us = -1;
	int v = __atomic_load_n(&us, __ATOMIC_RELAXED);

	if (v < 0) {
		const char *e = getenv("XTCP_BUSY_POLL_US");

		v = e ? atoi(e) : BUSY_POLL_US_DEFAULT;
		if (v < 0 || v > 100000)
			v = BUSY_POLL_US_DEFAULT;
		__atomic_store_n(&us, v, __ATOMIC_RELAXED);
	}
	return (uint32_t)v;
}

static bool spin_for_change(const struct xsock *xs, uint32_t seen)
{
	uint32_t budget = spin_us();
	struct timespec t0, t;

	if (!budget)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0;; i++) {
		if (changes(xs) != seen || dead())
			return true;
		if ((i & 63) == 63) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((t.tv_sec - t0.tv_sec) * 1000000 +
				    (t.tv_nsec - t0.tv_nsec) / 1000 >=
			    budget)
				return false;
			sched_yield();
		}
		__builtin_ia32_pause();
	}
}

static const struct timespec *xs_deadline(int64_t timeo, struct timespec *until)
{
	if (!timeo)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, until);
	if (timeo < 0) /* a negative time: no wait at all, as Linux */
		return until;
	until->tv_sec += timeo / 1000000;
	until->tv_nsec += (long)(timeo % 1000000) * 1000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
	return until;
}

/*
 * Sleep until the slot changes after @seen (its changes counter), for at
 * most a slice. -ECONNRESET when xtcpd is gone; -EAGAIN once @until (a
 * socket timeout, may be NULL) has passed.
 */
static int xs_wait(struct xsock *xs, uint32_t seen,
		   const struct timespec *until)
{
	struct pollfd p[2] = {
		{ .fd = xs->fd, .events = POLLIN },
		{ .fd = G.ctl, .events = POLLRDHUP },
	};
	uint64_t v;

	if (dead())
		return -ECONNRESET;
	if (spin_for_change(xs, seen))
		return dead() ? -ECONNRESET : 0;
	if (read(xs->fd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	__atomic_store_n(&xs->sl->want, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (changes(xs) != seen)
		return 0;
	if (until && !remaining_ms(until))
		return -EAGAIN;
	if (poll(p, 2, remaining_ms(until)) < 0 && errno != EINTR)
		return -errno;
	if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) {
		set_dead();
		return -ECONNRESET;
	}
	return 0;
}

static bool tcp_state(const struct xsock *xs, uint32_t st)
{
	return st >= XTCP_SS_TCP && st <= XTCP_SS_TCP + 10;
}

/* States of the engine (enum tcp_state) as the slot carries them. */
#define SS(x) (XTCP_SS_TCP + (x))
enum { T_CLOSED, T_LISTEN, T_SYN_SENT, T_SYN_RCVD, T_ESTABLISHED };

static bool connecting(uint32_t st)
{
	return st == SS(T_SYN_SENT) || st == SS(T_SYN_RCVD);
}

static int take_error(struct xsock *xs)
{
	if (!__atomic_load_n(&xs->sl->so_error, __ATOMIC_ACQUIRE))
		return 0;
	return __atomic_exchange_n(&xs->sl->so_error, 0, __ATOMIC_ACQ_REL);
}

int xtcp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct xsock *xs = get(fd);
	const struct timespec *up;
	struct timespec until;
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	req_init(&q, xs, XTCP_OP_CONNECT);
	ret = sa_in(xs, addr, len, &q.addr);
	if (ret)
		return fail(ret);
	/* A connection attempt that failed reports its error here first. */
	if (__atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE) &&
	    load_acq(&xs->sl->state) == SS(T_CLOSED)) {
		int err = take_error(xs);

		if (err)
			return fail(-err);
	}
	ret = call(&q, &r, NULL, 0, NULL);
	if (ret != -EINPROGRESS)
		return fail(ret ? ret : -EPROTO);
	ret = xs_rings(xs);
	if (ret)
		return fail(ret);
	if (xs->nonblock)
		return fail(-EINPROGRESS);
	up = xs_deadline(xs->sndtimeo, &until);
	for (;;) {
		uint32_t seen = changes(xs);
		uint32_t st = load_acq(&xs->sl->state);

		if (tcp_state(xs, st) && !connecting(st)) {
			int err = take_error(xs);

			if (st == SS(T_CLOSED))
				return fail(err ? -err : -ECONNREFUSED);
			return 0;
		}
		/* SO_SNDTIMEO: the attempt goes on (Linux's connect). */
		ret = xs_wait(xs, seen, up);
		if (ret)
			return fail(ret == -EAGAIN ? -EINPROGRESS : ret);
	}
}

int xtcp_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct xsock *xs = get(fd), *c;
	struct timespec until;
	const struct timespec *up;
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	unsigned nfds;
	int cfd, ret;

	if (!xs)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(-EINVAL);
	up = xs_deadline(xs->rcvtimeo, &until);
	for (;;) {
		uint32_t seen = changes(xs);
		uint32_t st = load_acq(&xs->sl->state);

		if (st != XTCP_SS_LISTEN)
			return fail(-EINVAL);
		if (load_acq(&xs->sl->flags) & XTCP_SF_READABLE) {
			req_init(&q, xs, XTCP_OP_ACCEPT);
			ret = call(&q, &r, &cfd, 1, &nfds);
			if (!ret)
				break;
			if (ret != -EAGAIN)
				return fail(ret);
			continue;
		}
		if (xs->nonblock)
			return fail(-EAGAIN);
		ret = xs_wait(xs, seen, up);
		if (ret)
			return fail(ret == -ECONNRESET ? -ECONNABORTED : ret);
	}
	if (nfds != 1)
		return fail(-EPROTO);
	c = xs_new(cfd, r.slot, r.gen, xs->domain);
	if (!c || xs_rings(c)) {
		free(c);
		close(cfd);
		return fail(-EPROTO);
	}
	ret = xs_install(c, flags);
	if (ret)
		return fail(ret);
	sa_out(xs, &r.addr, addr, len);
	return cfd;
}

int xtcp_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return xtcp_accept4(fd, addr, len, 0);
}

/* --- data ---------------------------------------------------------------- */

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;

	for (int i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* Copy @n bytes at ring position @pos out into the iovecs from @skip. */
static void ring_to_iov(const struct xsock *xs, uint32_t pos, size_t n,
			const struct iovec *iov, int cnt, size_t skip)
{
	int i = 0;

	while (i < cnt && skip >= iov[i].iov_len)
		skip -= iov[i++].iov_len;
	while (n && i < cnt) {
		size_t room = iov[i].iov_len - skip;
		size_t k = n < room ? n : room;
		uint8_t *dst = (uint8_t *)iov[i].iov_base + skip;

		while (k) {
			uint32_t at = pos & (xs->rx_size - 1);
			uint32_t run = xs->rx_size - at;
			uint32_t c = k < run ? (uint32_t)k : run;

			memcpy(dst, xs->rx + at, c);
			dst += c;
			pos += c;
			k -= c;
			n -= c;
			skip += c;
		}
		if (skip == iov[i].iov_len) {
			skip = 0;
			i++;
		}
	}
}

static void iov_to_ring(struct xsock *xs, uint32_t pos, size_t n,
			const struct iovec *iov, int cnt, size_t skip)
{
	int i = 0;

	while (i < cnt && skip >= iov[i].iov_len)
		skip -= iov[i++].iov_len;
	while (n && i < cnt) {
		size_t room = iov[i].iov_len - skip;
		size_t k = n < room ? n : room;
		const uint8_t *src = (const uint8_t *)iov[i].iov_base + skip;

		while (k) {
			uint32_t at = pos & (xs->tx_size - 1);
			uint32_t run = xs->tx_size - at;
			uint32_t c = k < run ? (uint32_t)k : run;

			memcpy(xs->tx + at, src, c);
			src += c;
			pos += c;
			k -= c;
			n -= c;
			skip += c;
		}
		if (skip == iov[i].iov_len) {
			skip = 0;
			i++;
		}
	}
}

static ssize_t recv_oob(struct xsock *xs, const struct iovec *iov, int cnt,
			int flags)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	req_init(&q, xs, XTCP_OP_RECV_OOB);
	q.arg[0] = flags & MSG_PEEK;
	ret = call(&q, &r, NULL, 0, NULL);
	if (ret)
		return ret;
	if (r.len > XTCP_IPC_DATA_MAX)
		return -EPROTO;
	if (r.len && cnt && iov[0].iov_len)
		memcpy(iov[0].iov_base, r.data, 1);
	return r.len ? 1 : 0;
}

/* The slot's urgent words; loaded after rx_head (ipc.h). */
static void urg_words(const struct xsock *xs, uint64_t *mark, uint64_t *skip)
{
	*mark = __atomic_load_n(&xs->sl->urg_mark, __ATOMIC_ACQUIRE);
	*skip = __atomic_load_n(&xs->sl->urg_skip, __ATOMIC_ACQUIRE);
}

static ssize_t xs_recv(struct xsock *xs, const struct iovec *iov, int cnt,
		       int flags)
{
	size_t want = iov_total(iov, cnt), got = 0;
	bool peek = flags & MSG_PEEK;
	bool block = !xs->nonblock && !(flags & MSG_DONTWAIT);
	uint32_t ppos; /* MSG_PEEK: the ring counter to look at next */
	struct timespec until[1];
	const struct timespec *up = xs_deadline(xs->rcvtimeo, until);
	ssize_t ret = 0;

	if (flags & MSG_OOB)
		return recv_oob(xs, iov, cnt, flags);
	if (!__atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE))
		return -ENOTCONN;
	if (!want)
		return 0;
	pthread_mutex_lock(&xs->rlock);
	ppos = xs->sl->rx_tail;
	for (;;) {
		uint32_t seen = changes(xs);
		uint32_t fl = load_acq(&xs->sl->flags);
		uint32_t head = load_acq(&xs->sl->rx_head);
		uint32_t pos = peek ? ppos : xs->sl->rx_tail;
		uint32_t avail = head - pos;
		struct xurg_plan p;
		uint64_t mark, skip;
		int err;

		urg_words(xs, &mark, &skip); /* after rx_head (ipc.h) */
		if (avail > xs->rx_size)
			avail = 0; /* not the daemon's doing */
		xurg_plan(mark, skip, pos, avail, &p);
		/* tcp(4P): "the system never returns data across the urgent
		 * mark in a single read(2) call". */
		if (got && p.at_mark)
			break;
		if (p.lead || p.n) {
			size_t n = want - got < p.n ? want - got : p.n;

			pos += p.lead; /* bytes not in the stream */
			ring_to_iov(xs, pos, n, iov, cnt, got);
			got += n;
			pos += (uint32_t)n;
			if (peek) {
				ppos = pos;
			} else {
				store_rel(&xs->sl->rx_tail, pos);
				kick(xs);
			}
			if (got == want || (got && !(flags & MSG_WAITALL)))
				break;
			continue;
		}
		err = take_error(xs);
		if (err) {
			if (got) /* reported with the next call */
				__atomic_store_n(&xs->sl->so_error, err,
						 __ATOMIC_RELEASE);
			else
				ret = -err;
			break;
		}
		if (fl & (XTCP_SF_FIN | XTCP_SF_CLOSED))
			break;
		if (dead()) {
			ret = got ? 0 : -ECONNRESET;
			break;
		}
		if (!block) {
			if (!got)
				ret = -EAGAIN;
			break;
		}
		ret = xs_wait(xs, seen, up); /* -EAGAIN: SO_RCVTIMEO */
		if (ret) {
			if (got)
				ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&xs->rlock);
	return ret < 0 ? ret : (ssize_t)got;
}

static ssize_t send_oob(struct xsock *xs, const struct iovec *iov, int cnt)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	size_t n = 0;
	int ret;

	req_init(&q, xs, XTCP_OP_SEND_OOB);
	for (int i = 0; i < cnt && n < XTCP_IPC_DATA_MAX; i++) {
		size_t k = iov[i].iov_len;

		if (k > XTCP_IPC_DATA_MAX - n)
			k = XTCP_IPC_DATA_MAX - n;
		memcpy(q.data + n, iov[i].iov_base, k);
		n += k;
	}
	q.len = (uint32_t)n;
	pthread_mutex_lock(&xs->wlock);
	ret = call(&q, &r, NULL, 0, NULL);
	if (!ret)
		store_rel(&xs->sl->tx_head, (uint32_t)r.val[1]);
	pthread_mutex_unlock(&xs->wlock);
	return ret ? ret : r.val[0];
}

static ssize_t xs_send(struct xsock *xs, const struct iovec *iov, int cnt,
		       int flags)
{
	size_t want = iov_total(iov, cnt), got = 0;
	bool block = !xs->nonblock && !(flags & MSG_DONTWAIT);
	struct timespec until[1];
	const struct timespec *up = xs_deadline(xs->sndtimeo, until);
	ssize_t ret = 0;

	if (!__atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE))
		return load_acq(&xs->sl->state) == XTCP_SS_LISTEN ? -ENOTCONN :
								    -ENOTCONN;
	if (flags & MSG_OOB)
		return send_oob(xs, iov, cnt);
	pthread_mutex_lock(&xs->wlock);
	while (got < want) {
		uint32_t seen = changes(xs);
		uint32_t fl = load_acq(&xs->sl->flags);
		uint32_t st = load_acq(&xs->sl->state);
		uint32_t tail = load_acq(&xs->sl->tx_tail);
		uint32_t head = xs->sl->tx_head;
		uint32_t used = head - tail;
		uint32_t room = used < xs->tx_cap ? xs->tx_cap - used : 0;
		int err = take_error(xs);

		if (err) {
			ret = -err;
			break;
		}
		if (dead() || (fl & (XTCP_SF_SHUT_WR | XTCP_SF_CLOSED)) ||
		    st == SS(T_CLOSED)) {
			ret = -EPIPE;
			break;
		}
		if (room) {
			size_t n = want - got < room ? want - got : room;

			iov_to_ring(xs, head, n, iov, cnt, got);
			store_rel(&xs->sl->tx_head, head + (uint32_t)n);
			kick(xs);
			got += n;
			continue;
		}
		if (!block) {
			if (!got)
				ret = -EAGAIN;
			break;
		}
		ret = xs_wait(xs, seen, up);
		if (ret) {
			/* SO_SNDTIMEO: what was sent, or EAGAIN. */
			if (ret != -EAGAIN)
				ret = -EPIPE;
			break;
		}
	}
	pthread_mutex_unlock(&xs->wlock);
	if (got)
		return (ssize_t)got;
	if (ret == -EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return ret;
}

ssize_t xtcp_recv(int fd, void *buf, size_t n, int flags)
{
	struct xsock *xs = get(fd);
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	ssize_t ret;

	if (!xs)
		return -1;
	ret = xs_recv(xs, &iov, 1, flags);
	return ret < 0 ? fail((int)ret) : ret;
}

ssize_t xtcp_send(int fd, const void *buf, size_t n, int flags)
{
	struct xsock *xs = get(fd);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	ssize_t ret;

	if (!xs)
		return -1;
	ret = xs_send(xs, &iov, 1, flags);
	return ret < 0 ? fail((int)ret) : ret;
}

ssize_t xtcp_read(int fd, void *buf, size_t n)
{
	return xtcp_recv(fd, buf, n, 0);
}

ssize_t xtcp_write(int fd, const void *buf, size_t n)
{
	return xtcp_send(fd, buf, n, 0);
}

ssize_t xtcp_readv(int fd, const struct iovec *iov, int cnt)
{
	struct xsock *xs = get(fd);
	ssize_t ret;

	if (!xs)
		return -1;
	if (cnt < 0 || cnt > IOV_MAX)
		return fail(-EINVAL);
	ret = xs_recv(xs, iov, cnt, 0);
	return ret < 0 ? fail((int)ret) : ret;
}

ssize_t xtcp_writev(int fd, const struct iovec *iov, int cnt)
{
	struct xsock *xs = get(fd);
	ssize_t ret;

	if (!xs)
		return -1;
	if (cnt < 0 || cnt > IOV_MAX)
		return fail(-EINVAL);
	ret = xs_send(xs, iov, cnt, 0);
	return ret < 0 ? fail((int)ret) : ret;
}

/* --- several descriptors (dup), fork -------------------------------------- */

/* Another descriptor of @xs than @except, or -1 (G.lock held). */
static int other_fd(const struct xsock *xs, int except)
{
	for (int p = 0; p < TAB_PAGES; p++) {
		struct xsock **page = tab[p];

		for (int i = 0; page && i < TAB_PAGE; i++)
			if (page[i] == xs && p * TAB_PAGE + i != except)
				return p * TAB_PAGE + i;
	}
	return -1;
}

/*
 * Descriptor @fd stops naming @xs (close, or dup2 onto it), G.lock held;
 * the caller closes @fd if it must. POSIX close(2): the socket is closed
 * when its last descriptor is, so only then does CLOSE go to xtcpd (and
 * there it lets go of this process's hold: another process may hold it
 * too, ipc.h). 0 or what xtcpd answered; @xs is freed with its last.
 */
static int xs_unref_locked(struct xsock *xs, int fd)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	tab_set(fd, NULL);
	if (--xs->refs > 0) {
		/* Our waits poll xs->fd: keep it one that stays open. */
		if (xs->fd == fd)
			__atomic_store_n(&xs->fd, other_fd(xs, fd),
					 __ATOMIC_RELEASE);
		return 0;
	}
	req_init(&q, xs, XTCP_OP_CLOSE);
	q.arg[0] = xs->linger_on && xs->linger_s == 0;
	ret = call_locked(&q, &r, NULL, 0, NULL);
	pthread_mutex_destroy(&xs->rlock);
	pthread_mutex_destroy(&xs->wlock);
	free(xs);
	/* With xtcpd gone the socket is gone too: nothing to report. */
	return ret == -ECONNRESET ? 0 : ret;
}

/* @nfd, just made a copy of one of @xs's descriptors, names it too. */
static int xs_ref_locked(struct xsock *xs, int nfd)
{
	int ret = tab_set(nfd, xs);

	if (!ret)
		xs->refs++;
	return ret;
}

/* dup(2) and fcntl(2) F_DUPFD/F_DUPFD_CLOEXEC: the lowest free >= @min. */
static int xs_dupfd(int fd, int cmd, int min)
{
	struct xsock *xs;
	int nfd, ret;

	if (!get(fd))
		return -1;
	pthread_mutex_lock(&G.lock);
	xs = lookup(fd);
	nfd = xs ? fcntl(fd, cmd, min) : -1;
	ret = !xs ? -EBADF : nfd < 0 ? -errno : xs_ref_locked(xs, nfd);
	pthread_mutex_unlock(&G.lock);
	if (ret && nfd >= 0)
		close(nfd);
	return ret ? fail(ret) : nfd;
}

int xtcp_dup(int fd)
{
	return xs_dupfd(fd, F_DUPFD, 0);
}

/*
 * dup3(2) with libxtcp's table kept right, for any two descriptors: an
 * xtcp socket at @nfd loses that descriptor (and is closed if it was its
 * last) and @ofd's socket, if it is one, gets it. The kernel replaces @nfd
 * atomically; the table follows under G.lock.
 */
int xtcp_dup3(int ofd, int nfd, int flags)
{
	struct xsock *ox, *nx;
	int ret = 0;

	if (ofd == nfd || (flags & ~O_CLOEXEC))
		return fail(-EINVAL);
	pthread_mutex_lock(&G.lock);
	ox = lookup(ofd);
	nx = lookup(nfd);
	if (dup3(ofd, nfd, flags) < 0) {
		ret = -errno;
		goto out;
	}
	if (nx)
		ret = xs_unref_locked(nx, nfd);
	if (ox && xs_ref_locked(ox, nfd)) {
		close(nfd);
		ret = -EMFILE;
	}
out:
	pthread_mutex_unlock(&G.lock);
	return ret ? fail(ret) : nfd;
}

int xtcp_dup2(int ofd, int nfd)
{
	/* POSIX: the same descriptor twice is itself, if it is open. */
	if (ofd == nfd)
		return fcntl(ofd, F_GETFD) < 0 ? -1 : nfd;
	return xtcp_dup3(ofd, nfd, 0);
}

/*
 * fork (ipc.h). Before fork() returns, with G.lock held so no request is
 * in flight, a new control connection joins the session as a member
 * holding what we hold; the child takes it, the parent closes its copy.
 * If that fails, the child's sockets fail as with xtcpd gone.
 */
static int attach_new_locked(uint32_t *id)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	ssize_t n;
	int fd;

	fd = ctl_connect();
	if (fd < 0)
		return fd;
	memset(&q, 0, sizeof(q));
	q.version = XTCP_IPC_VERSION;
	q.op = XTCP_OP_ATTACH;
	q.slot = XTCP_IPC_NO_SLOT;
	q.seq = 1;
	q.arg[0] = (int32_t)G.id;
	q.len = XTCP_TOKEN_LEN;
	memcpy(q.data, G.token, XTCP_TOKEN_LEN);
	do
		n = send(fd, &q, sizeof(q), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(q)) {
		do
			n = recv(fd, &r, sizeof(r), 0);
		while (n < 0 && errno == EINTR);
	}
	if (n != (ssize_t)sizeof(r) || r.seq != q.seq || r.err ||
	    r.version != XTCP_IPC_VERSION) {
		close(fd);
		return -ECONNRESET;
	}
	*id = (uint32_t)r.val[1];
	return fd;
}

static void atfork_prepare(void)
{
	int fd;

	pthread_mutex_lock(&G.lock);
	G.fork_ctl = -1;
	if (G.ctl < 0 || dead())
		return;
	fd = attach_new_locked(&G.fork_id);
	G.fork_ctl = fd < 0 ? -1 : fd;
}

static void atfork_parent(void)
{
	if (G.fork_ctl >= 0)
		close(G.fork_ctl);
	G.fork_ctl = -1;
	pthread_mutex_unlock(&G.lock);
}

static void atfork_child(void)
{
	if (G.ctl >= 0) {
		close(G.ctl);
		G.ctl = G.fork_ctl;
		G.id = G.fork_id;
		G.pid = getpid();
		if (G.ctl < 0)
			set_dead();
	}
	G.fork_ctl = -1;
	/* Only this thread lives on: locks other threads held are free. */
	for (int p = 0; p < TAB_PAGES; p++) {
		struct xsock **page = tab[p];

		for (int i = 0; page && i < TAB_PAGE; i++) {
			if (!page[i])
				continue;
			pthread_mutex_init(&page[i]->rlock, NULL);
			pthread_mutex_init(&page[i]->wlock, NULL);
		}
	}
	pthread_mutex_unlock(&G.lock);
}

static void atfork_register(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void atfork_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, atfork_register);
}

/*
 * exec (ipc.h, preload.c). The new image is the same process and the same
 * member: it takes over the control connection, the region's memfd and
 * the doorbell (FD_CLOEXEC cleared for the exec, set again by the new
 * image) and every socket descriptor without FD_CLOEXEC. The description:
 * "1 CTL MEMFD DOORBELL SIZE ID TOKEN" then per descriptor
 * " FD,SLOT,GEN,DOMAIN,FLAGS,RCVTIMEO,SNDTIMEO,LINGER", FD -1 for one
 * FD_CLOEXEC closes: the new image lets go of a socket left with none.
 */
#define EXEC_NONBLOCK 1u
#define EXEC_LINGER 2u
#define EXEC_RINGS 4u

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int tries = 0; tries < 2 && !b->oom; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
		} else if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		} else {
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *np = realloc(b->p, cap);

			if (!np)
				b->oom = true;
			b->p = np ? np : b->p;
			b->cap = np ? cap : b->cap;
		}
	}
}

/* FD_CLOEXEC on the session's descriptors: @ctl (G.ctl or a new member's
 * connection), the memfd and the doorbell. */
static void exec_cloexec(int ctl, bool on)
{
	int fds[3] = { ctl, G.memfd, G.doorbell };

	for (int i = 0; i < 3; i++) {
		int fl = fcntl(fds[i], F_GETFD);

		if (fl >= 0)
			fcntl(fds[i], F_SETFD,
			      on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
	}
}

/*
 * A vfork child (dash, posix_spawn-like code) runs in our memory without
 * the fork handlers: it has no connection of its own. It makes one for its
 * new image as a fork does (ATTACH), touching nothing the parent sees: no
 * lock (another thread of the parent may hold it), no global written, and
 * descriptor flags only in its own table.
 */
char *xtcp__exec_env(int *handle)
{
	bool vforked = G.pid != getpid();
	struct sbuf b = { 0 };
	uint32_t id = G.id;
	int ctl = G.ctl;

	*handle = -1;
	if (!vforked)
		pthread_mutex_lock(&G.lock);
	if (G.ctl < 0 || dead() || G.memfd < 0)
		goto out;
	if (vforked) {
		ctl = attach_new_locked(&id);
		if (ctl < 0)
			goto out;
		*handle = ctl;
	}
	sb_add(&b, "%s=1 %d %d %d %llu %u ", XTCP_INHERIT_ENV, ctl, G.memfd,
	       G.doorbell, (unsigned long long)G.size, id);
	for (int i = 0; i < XTCP_TOKEN_LEN; i++)
		sb_add(&b, "%02x", G.token[i]);
	for (int p = 0; p < TAB_PAGES; p++) {
		for (int i = 0; tab[p] && i < TAB_PAGE; i++) {
			struct xsock *xs = tab[p][i];
			int fd = p * TAB_PAGE + i, fl;

			if (!xs)
				continue;
			fl = fcntl(fd, F_GETFD);
			sb_add(&b, " %d,%u,%u,%d,%u,%lld,%lld,%d",
			       fl >= 0 && !(fl & FD_CLOEXEC) ? fd : -1, xs->idx,
			       xs->gen, xs->domain,
			       (xs->nonblock ? EXEC_NONBLOCK : 0) |
				       (xs->linger_on ? EXEC_LINGER : 0) |
				       (xs->rings ? EXEC_RINGS : 0),
			       (long long)xs->rcvtimeo, (long long)xs->sndtimeo,
			       xs->linger_s);
		}
	}
	if (b.oom) {
		free(b.p);
		b.p = NULL;
		if (*handle >= 0)
			close(*handle);
		*handle = -1;
		goto out;
	}
	exec_cloexec(ctl, false);
out:
	if (!vforked)
		pthread_mutex_unlock(&G.lock);
	return b.p;
}

void xtcp__exec_undo(int handle)
{
	if (handle >= 0) { /* a vfork child's own connection */
		exec_cloexec(handle, true);
		close(handle);
		return;
	}
	pthread_mutex_lock(&G.lock);
	if (G.ctl >= 0)
		exec_cloexec(G.ctl, true);
	pthread_mutex_unlock(&G.lock);
}

static struct xsock *find_slot(uint32_t idx, uint32_t gen)
{
	for (int p = 0; p < TAB_PAGES; p++)
		for (int i = 0; tab[p] && i < TAB_PAGE; i++)
			if (tab[p][i] && tab[p][i]->idx == idx &&
			    tab[p][i]->gen == gen)
				return tab[p][i];
	return NULL;
}

/*
 * _exit() may come from a signal handler that interrupted libxtcp or
 * malloc: only the control lock, tried, and system calls here; nothing is
 * freed (the process is ending). A vfork child leaves its parent's state
 * alone; with the lock busy, xtcpd sees the connection end instead.
 */
void xtcp__exit_close(void)
{
	if ((G.pid && G.pid != getpid()) || pthread_mutex_trylock(&G.lock))
		return;
	for (int p = 0; p < TAB_PAGES; p++) {
		for (int i = 0; tab[p] && i < TAB_PAGE; i++) {
			struct xsock *xs = tab[p][i];
			struct xtcp_ipc_req q;
			struct xtcp_ipc_rep r;

			if (!xs)
				continue;
			tab[p][i] = NULL;
			if (--xs->refs > 0)
				continue;
			req_init(&q, xs, XTCP_OP_CLOSE);
			q.arg[0] = xs->linger_on && xs->linger_s == 0;
			call_locked(&q, &r, NULL, 0, NULL);
		}
	}
}

struct exec_ent {
	int fd, domain;
	unsigned idx, gen, flags;
	long long rcvtimeo, sndtimeo;
	int linger_s;
};

/* One descriptor's socket in the new image: a new xsock or a dup. */
static int adopt_one(const struct exec_ent *e)
{
	struct xsock *xs = find_slot(e->idx, e->gen);

	if (xs)
		return xs_ref_locked(xs, e->fd);
	xs = xs_new(e->fd, e->idx, e->gen, e->domain);
	if (!xs)
		return -EPROTO;
	xs->nonblock = e->flags & EXEC_NONBLOCK;
	xs->linger_on = e->flags & EXEC_LINGER;
	xs->linger_s = e->linger_s;
	xs->rcvtimeo = e->rcvtimeo;
	xs->sndtimeo = e->sndtimeo;
	if (((e->flags & EXEC_RINGS) && xs_rings(xs)) || tab_set(e->fd, xs)) {
		free(xs);
		return -EPROTO;
	}
	return 0;
}

/* A socket the old image held that no descriptor carried over. */
static void adopt_release(const struct exec_ent *e)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;

	if (find_slot(e->idx, e->gen))
		return;
	memset(&q, 0, sizeof(q));
	q.op = XTCP_OP_CLOSE;
	q.slot = e->idx;
	q.gen = e->gen;
	q.arg[0] = (e->flags & EXEC_LINGER) && !e->linger_s;
	/* The second CLOSE of one slot (two such descriptors) is EBADF. */
	call_locked(&q, &r, NULL, 0, NULL);
}

static bool fd_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

static int adopt_entries(const char *s, bool keep)
{
	struct exec_ent e;
	int n, ret = 0;

	while (sscanf(s, " %d,%u,%u,%d,%u,%lld,%lld,%d%n", &e.fd, &e.idx,
		      &e.gen, &e.domain, &e.flags, &e.rcvtimeo, &e.sndtimeo,
		      &e.linger_s, &n) == 8) {
		s += n;
		if (e.idx >= G.nslots ||
		    (e.domain != AF_INET && e.domain != AF_INET6))
			return -EPROTO;
		if (keep && fd_open(e.fd) && !lookup(e.fd))
			ret = adopt_one(&e);
		else if (!keep && !fd_open(e.fd))
			adopt_release(&e);
		if (ret)
			return ret;
	}
	return 0;
}

int xtcp__exec_adopt(const char *s)
{
	unsigned long long size;
	int ctl, memfd, bell, n, ret;
	char hex[2 * XTCP_TOKEN_LEN + 1];
	unsigned id;

	if (sscanf(s, "1 %d %d %d %llu %u %32s%n", &ctl, &memfd, &bell, &size,
		   &id, hex, &n) != 6 ||
	    strlen(hex) != 2 * XTCP_TOKEN_LEN)
		return -EINVAL;
	pthread_mutex_lock(&G.lock);
	ret = -EBUSY;
	if (G.ctl >= 0 || G.base)
		goto out;
	ret = -EBADF;
	if (!fd_open(ctl) || !fd_open(memfd) || !fd_open(bell))
		goto out;
	ret = region_map_locked(memfd, size, bell);
	if (ret)
		goto out;
	G.ctl = ctl;
	exec_cloexec(G.ctl, true);
	for (int i = 0; i < XTCP_TOKEN_LEN; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		G.token[i] = (uint8_t)v;
	}
	G.id = id;
	G.pid = getpid();
	atfork_once();
	/* First what survived, then let go of what did not. */
	ret = adopt_entries(s + n, true);
	if (!ret)
		ret = adopt_entries(s + n, false);
out:
	pthread_mutex_unlock(&G.lock);
	return ret;
}

/* --- control ------------------------------------------------------------- */

int xtcp_shutdown(int fd, int how)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail(-EINVAL);
	req_init(&q, xs, XTCP_OP_SHUTDOWN);
	q.arg[0] = how;
	/* Bytes already in the ring go before the FIN: the daemon takes
	 * them first. */
	pthread_mutex_lock(&xs->wlock);
	ret = call(&q, &r, NULL, 0, NULL);
	pthread_mutex_unlock(&xs->wlock);
	return ret ? fail(ret) : 0;
}

int xtcp_close(int fd)
{
	struct xsock *xs;
	int ret;

	if (!get(fd))
		return -1;
	pthread_mutex_lock(&G.lock);
	xs = lookup(fd); /* again: another thread may have closed it */
	ret = xs ? xs_unref_locked(xs, fd) : -EBADF;
	pthread_mutex_unlock(&G.lock);
	if (xs)
		close(fd);
	return ret ? fail(ret) : 0;
}

/*
 * SO_RCVTIMEO and SO_SNDTIMEO are the library's: its calls do the waiting.
 * Linux's numbers: _OLD takes struct timeval (the native long pair), _NEW
 * two int64_t; glibc's SO_RCVTIMEO is one of them by time_t's size.
 */
static int64_t *timeo_of(struct xsock *xs, int name)
{
	switch (name) {
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		return &xs->rcvtimeo;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		return &xs->sndtimeo;
	default:
		return NULL;
	}
}

/* Linux's sock_set_timeout(): EDOM for tv_usec out of [0, 1e6), a
 * negative tv_sec means no wait at all, {0, 0} forever. */
static int timeo_set(int64_t *t, int name, const void *val, socklen_t len)
{
	int64_t sec, usec;

	if (name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW) {
		int64_t v[2];

		if (len < sizeof(v))
			return -EINVAL;
		memcpy(v, val, sizeof(v));
		sec = v[0];
		usec = v[1];
	} else {
		struct timeval tv;

		if (len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		sec = tv.tv_sec;
		usec = tv.tv_usec;
	}
	if (usec < 0 || usec >= 1000000)
		return -EDOM;
	if (sec < 0)
		*t = -1;
	else if (sec >= INT64_MAX / 1000000 - 1)
		*t = 0;
	else
		*t = sec * 1000000 + usec;
	return 0;
}

/* Linux answers both forms with a long pair and truncates to the room. */
static int timeo_get(int64_t t, void *val, socklen_t *len)
{
	struct timeval tv = { 0 };

	if (!val || !len)
		return -EFAULT;
	if (t > 0) {
		tv.tv_sec = t / 1000000;
		tv.tv_usec = t % 1000000;
	}
	if (*len > sizeof(tv))
		*len = sizeof(tv);
	memcpy(val, &tv, *len);
	return 0;
}

int xtcp_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	if (!val && len)
		return fail(-EFAULT);
	if (len > XTCP_IPC_DATA_MAX)
		return fail(-EINVAL);
	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l;

		if (len < sizeof(l))
			return fail(-EINVAL);
		memcpy(&l, val, sizeof(l));
		xs->linger_on = l.l_onoff != 0;
		xs->linger_s = l.l_linger;
	}
	if (level == SOL_SOCKET && timeo_of(xs, name)) {
		ret = timeo_set(timeo_of(xs, name), name, val, len);
		return ret ? fail(ret) : 0;
	}
	req_init(&q, xs, XTCP_OP_SETSOCKOPT);
	q.arg[0] = level;
	q.arg[1] = name;
	q.len = len;
	if (len)
		memcpy(q.data, val, len);
	ret = call(&q, &r, NULL, 0, NULL);
	/* SO_LINGER is the library's business (close sends the RST). */
	if (ret == -ENOPROTOOPT && level == SOL_SOCKET && name == SO_LINGER)
		ret = 0;
	return ret ? fail(ret) : 0;
}

static int int_out(void *val, socklen_t *len, int v)
{
	if (!val || !len)
		return -EFAULT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int xtcp_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			ret = int_out(val, len, take_error(xs));
			return ret ? fail(ret) : 0;
		case SO_TYPE:
			ret = int_out(val, len, SOCK_STREAM);
			return ret ? fail(ret) : 0;
		case SO_DOMAIN:
			ret = int_out(val, len, xs->domain);
			return ret ? fail(ret) : 0;
		case SO_PROTOCOL:
			ret = int_out(val, len, IPPROTO_TCP);
			return ret ? fail(ret) : 0;
		default:
			break;
		}
		if (timeo_of(xs, name)) {
			ret = timeo_get(*timeo_of(xs, name), val, len);
			return ret ? fail(ret) : 0;
		}
	}
	if (!val || !len)
		return fail(-EFAULT);
	req_init(&q, xs, XTCP_OP_GETSOCKOPT);
	q.arg[0] = level;
	q.arg[1] = name;
	q.len = *len < XTCP_IPC_DATA_MAX ? *len : XTCP_IPC_DATA_MAX;
	ret = call(&q, &r, NULL, 0, NULL);
	if (ret == -ENOPROTOOPT && level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l = { xs->linger_on, xs->linger_s };

		if (*len < sizeof(l))
			return fail(-EINVAL);
		memcpy(val, &l, sizeof(l));
		*len = sizeof(l);
		return 0;
	}
	if (ret)
		return fail(ret);
	if (r.len > XTCP_IPC_DATA_MAX)
		return fail(-EPROTO);
	memcpy(val, r.data, r.len < *len ? r.len : *len);
	*len = r.len < *len ? r.len : *len;
	return 0;
}

static int getname(int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	struct xsock *xs = get(fd);
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	if (!xs)
		return -1;
	if (!addr || !len)
		return fail(-EFAULT);
	req_init(&q, xs, XTCP_OP_GETNAME);
	ret = call(&q, &r, NULL, 0, NULL);
	if (ret)
		return fail(ret);
	if (peer) {
		uint32_t st = load_acq(&xs->sl->state);

		if (!r.addr2.family || connecting(st) || st == SS(T_CLOSED))
			return fail(-ENOTCONN);
		sa_out(xs, &r.addr2, addr, len);
	} else {
		sa_out(xs, &r.addr, addr, len);
	}
	return 0;
}

int xtcp_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(fd, addr, len, false);
}

int xtcp_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname(fd, addr, len, true);
}

/* Stream bytes in the receive ring (FIONREAD), out-of-band ones left out. */
static uint32_t rx_avail(const struct xsock *xs)
{
	uint32_t n, tail = xs->sl->rx_tail;
	uint64_t mark, skip;

	if (!__atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE))
		return 0;
	n = load_acq(&xs->sl->rx_head) - tail;
	urg_words(xs, &mark, &skip);
	return n <= xs->rx_size ? xurg_readable(mark, skip, tail, n) : 0;
}

/* The owner (F_SETOWN_EX) xtcpd signals on urgent data; id 0: none. */
static int set_owner(struct xsock *xs, int type, int id)
{
	struct xtcp_ipc_req q;
	struct xtcp_ipc_rep r;
	int ret;

	req_init(&q, xs, XTCP_OP_SETOWN);
	q.arg[0] = type;
	q.arg[1] = id;
	ret = call(&q, &r, NULL, 0, NULL);
	if (!ret) {
		xs->owner_type = type;
		xs->owner_id = id;
	}
	return ret;
}

/* F_SETOWN, FIOSETOWN, SIOCSPGRP: a pid, or a process group negated. */
static int set_owner_arg(struct xsock *xs, long v)
{
	if (v < -(long)INT_MAX || v > INT_MAX)
		return -EINVAL;
	if (v < 0)
		return set_owner(xs, F_OWNER_PGRP, (int)-v);
	return set_owner(xs, F_OWNER_PID, (int)v);
}

static int get_owner(const struct xsock *xs)
{
	return xs->owner_type == F_OWNER_PGRP ? -xs->owner_id : xs->owner_id;
}

int xtcp_ioctl(int fd, unsigned long req, ...)
{
	struct xsock *xs = get(fd);
	va_list ap;
	int *arg, ret;

	if (!xs)
		return -1;
	va_start(ap, req);
	arg = va_arg(ap, int *);
	va_end(ap);
	if (!arg)
		return fail(-EFAULT);
	switch (req) {
	case FIONREAD:
		*arg = (int)rx_avail(xs);
		return 0;
	case FIONBIO:
		xs->nonblock = *arg != 0;
		return 0;
	case SIOCATMARK: {
		uint64_t mark, skip;

		/* From the slot, against our own tail (ipc.h). */
		if (!__atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE))
			return fail(-EINVAL);
		urg_words(xs, &mark, &skip);
		*arg = xurg_atmark(mark, skip, xs->sl->rx_tail);
		return 0;
	}
	case FIOSETOWN:
	case SIOCSPGRP:
		ret = set_owner_arg(xs, *arg);
		return ret ? fail(ret) : 0;
	case FIOGETOWN:
	case SIOCGPGRP:
		*arg = get_owner(xs);
		return 0;
	default:
		return fail(-ENOTTY);
	}
}

int xtcp_fcntl(int fd, int cmd, ...)
{
	struct xsock *xs = get(fd);
	va_list ap;
	long arg;
	int ret;

	if (!xs)
		return -1;
	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (xs->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		xs->nonblock = (arg & O_NONBLOCK) != 0;
		return 0;
	case F_GETOWN:
		return get_owner(xs);
	case F_SETOWN:
		ret = set_owner_arg(xs, arg);
		return ret ? fail(ret) : 0;
	case F_GETOWN_EX:
	case F_SETOWN_EX: {
		struct f_owner_ex *o = (struct f_owner_ex *)arg;

		if (!o)
			return fail(-EFAULT);
		if (cmd == F_GETOWN_EX) {
			o->type = xs->owner_type;
			o->pid = xs->owner_id;
			return 0;
		}
		if (o->type != F_OWNER_TID && o->type != F_OWNER_PID &&
		    o->type != F_OWNER_PGRP)
			return fail(-EINVAL);
		ret = set_owner(xs, o->type, o->pid);
		return ret ? fail(ret) : 0;
	}
	case F_GETFD:
	case F_SETFD:
		return fcntl(fd, cmd, arg);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return xs_dupfd(fd, cmd, (int)arg);
	default:
		return fail(-EINVAL);
	}
}

/* --- poll ------------------------------------------------------------------ */

static short xs_revents(struct xsock *xs, short events)
{
	uint32_t st = load_acq(&xs->sl->state);
	uint32_t fl = load_acq(&xs->sl->flags);
	short rev = 0;

	if (dead())
		return (short)(POLLERR | POLLHUP |
			       (events & (POLLIN | POLLOUT)));
	if (st == XTCP_SS_LISTEN) {
		if (fl & XTCP_SF_READABLE)
			rev |= POLLIN | POLLRDNORM;
	} else if (tcp_state(xs, st) &&
		   __atomic_load_n(&xs->rings, __ATOMIC_ACQUIRE)) {
		bool err = __atomic_load_n(&xs->sl->so_error, __ATOMIC_ACQUIRE);

		uint64_t mark, skip;

		if (rx_avail(xs) || (fl & (XTCP_SF_FIN | XTCP_SF_CLOSED)) ||
		    err)
			rev |= POLLIN | POLLRDNORM;
		/* Urgent data waiting (Linux's tcp_poll: EPOLLPRI). */
		urg_words(xs, &mark, &skip);
		if (xurg_pending(mark, skip, xs->sl->rx_tail))
			rev |= POLLPRI;
		if (fl & XTCP_SF_FIN)
			rev |= POLLRDHUP;
		if (!connecting(st)) {
			uint32_t used = load_acq(&xs->sl->tx_head) -
					load_acq(&xs->sl->tx_tail);

			if ((fl & (XTCP_SF_CLOSED | XTCP_SF_SHUT_WR)) || err ||
			    used < xs->tx_cap)
				rev |= POLLOUT | POLLWRNORM;
		}
		if (err)
			rev |= POLLERR;
		if (st == SS(T_CLOSED) ||
		    ((fl & XTCP_SF_FIN) && (fl & XTCP_SF_SHUT_WR)))
			rev |= POLLHUP;
	} else {
		/* Neither connected nor listening: as Linux says. */
		rev |= POLLOUT | POLLHUP;
	}
	return (short)(rev & (events | POLLERR | POLLHUP | POLLNVAL));
}

int xtcp_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec until, *up = NULL;
	struct pollfd *p = NULL;
	int ret = 0;

	if (timeout > 0) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += timeout / 1000;
		until.tv_nsec += (long)(timeout % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		up = &until;
	}
	p = calloc(n + 1, sizeof(*p));
	if (!p)
		return fail(-ENOMEM);
	for (;;) {
		int ready = 0, slice;

		/* The xtcp sockets as they stand; want set first so no
		 * change after this look goes unsignalled. */
		for (nfds_t i = 0; i < n; i++) {
			struct xsock *xs = lookup(fds[i].fd);

			fds[i].revents = 0;
			if (!xs)
				continue;
			__atomic_store_n(&xs->sl->want, 1, __ATOMIC_SEQ_CST);
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (nfds_t i = 0; i < n; i++) {
			struct xsock *xs = lookup(fds[i].fd);

			if (xs)
				fds[i].revents = xs_revents(xs, fds[i].events);
			if (fds[i].revents)
				ready++;
		}
		if (ready) {
			ret = ready;
			break;
		}
		if (timeout == 0)
			break;
		slice = timeout < 0 ? WAIT_SLICE_MS : remaining_ms(up);
		for (nfds_t i = 0; i < n; i++) {
			p[i] = fds[i];
			if (lookup(fds[i].fd))
				p[i].events = POLLIN;
			p[i].revents = 0;
		}
		p[n].fd = dead() ? -1 : G.ctl;
		p[n].events = POLLRDHUP;
		ret = poll(p, n + 1, slice);
		if (ret < 0) {
			ret = errno == EINTR ? fail(-EINTR) : -1;
			break;
		}
		if (p[n].revents & (POLLHUP | POLLRDHUP | POLLERR))
			set_dead();
		ready = 0;
		for (nfds_t i = 0; i < n; i++) {
			struct xsock *xs = lookup(fds[i].fd);

			if (xs) {
				uint64_t v;

				if ((p[i].revents & POLLIN) &&
				    read(xs->fd, &v, sizeof(v)) < 0) {
					/* drained by another thread */
				}
				fds[i].revents = xs_revents(xs, fds[i].events);
			} else {
				fds[i].revents = p[i].revents;
			}
			if (fds[i].revents)
				ready++;
		}
		if (ready) {
			ret = ready;
			break;
		}
		ret = 0;
		if (timeout > 0 && !remaining_ms(up))
			break;
	}
	free(p);
	return ret;
}
