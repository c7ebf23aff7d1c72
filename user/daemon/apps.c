// SPDX-License-Identifier: BSD-2-Clause
/* Application sessions and their sockets (see apps.h, xtcp/ipc.h). */
#include "daemon/apps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/urg.h"
#include "stack/sockbuf.h"
#include "xtcp/xdp_maps.h"
#include "xtcp/xtcp.h"

#define SOCK_TAG 0x41505053u /* "APPS": tcb_user of an app socket */
#define MAX_ORDERS 32
#define CONNECT_TRIES 64
#define MAX_LOCAL_ADDRS 64
#define SESS_MAX_EVENTS 64

/* Epoll user data: what became ready. */
enum ep_kind { EP_LISTEN = 1, EP_SESS, EP_DOORBELL };

/* --- regions ---------------------------------------------------------- */

struct region {
	int memfd;
	uint8_t *base;
	uint64_t size;
	uint64_t data_off, bump;
	struct {
		uint64_t *off;
		uint32_t n, cap;
	} free[MAX_ORDERS];
	uint32_t refs; /* rings handed out, + 1 while the session lives */
	struct region *next;
};

/* --- sockets and sessions --------------------------------------------- */

enum sock_kind { SK_OPEN, SK_LISTEN, SK_CONN };

struct app_sess;

struct app_sock {
	uint32_t tag; /* SOCK_TAG, first: services tell theirs apart so */
	struct app_sess *s;
	uint32_t idx, gen;
	int efd;
	enum sock_kind kind;
	int domain;
	bool v6only, reuseaddr, exclbind, reuseport;
	bool local; /* a connection carried inside the daemon */
	bool autobound; /* connect chose its port: not held after close */
	bool xdp_bound; /* (laddr, lport) in the XDP bound map */
	struct ip_addr xdp_addr;
	uint16_t xdp_port;
	uint32_t xdp_flags;
	struct bind_ent *bind;
	struct sock_opts opts;
	struct tcb *t;
	void *ext; /* from env.conn_open */
	bool has_rings;
	bool dirty;
	bool urg_sig; /* urgent data arrived: SIGURG at the next publish */
	struct urg_owner owner; /* F_SETOWN */
	struct app_sock *dnext;
};

struct app_sess {
	struct apps *a;
	int fd, doorbell;
	struct ucred cred;
	bool hello;
	struct region *rg;
	struct xtcp_shm_hdr *hdr;
	struct xtcp_shm_slot *slots;
	uint32_t nslots;
	struct app_sock **socks;
	uint32_t *free_idx, nfree;
	/*
	 * Members (ipc.h, fork): a session that said HELLO owns the region and
	 * the sockets; one that said ATTACH has leader set and serves the
	 * leader's. holds: which slots this member's process holds; the
	 * leader counts per slot how many members hold it (holders), and its
	 * members (itself while its connection lasts); gone: its own
	 * connection ended while members remain.
	 */
	struct app_sess *leader;
	uint8_t *holds;
	uint32_t *holders;
	uint32_t id, next_id, members;
	uint8_t token[XTCP_TOKEN_LEN];
	bool gone;
	uint32_t seq;
	struct app_sess *next, *prev;
	bool dead;
	struct urg_rate urg_rate; /* SIGURG deliveries */
};

struct xdp_ref {
	struct ip_addr addr;
	uint16_t port;
	uint32_t refs, v6only; /* v6only: refs with XTCP_BOUND_V6ONLY */
	struct xdp_ref *next;
};

struct linger_rec {
	const void *ring; /* the send ring: its release ends the linger */
	struct ip_addr addr;
	uint16_t port;
	bool xdp; /* holds a bound-map reference on (addr, port) */
	struct bind_ent *bind; /* the socket's binding, kept (closed) */
	struct linger_rec *next;
};

/*
 * Both are looked up per connection opened or closed, and a busy server
 * has tens of thousands in TIME-WAIT: hashed, not lists.
 */
#define XDP_REF_BUCKETS 1024
#define LINGER_BUCKETS 4096

struct apps {
	struct apps_env env;
	struct xdp_ref *xdp_refs[XDP_REF_BUCKETS];
	struct linger_rec *lingers[LINGER_BUCKETS];
	uint32_t nlingers;
	bool requests; /* a session said it sent a control request */
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct app_sess *sessions;
	struct region *regions;
	struct app_sock *dirty;
	struct bind_table binds;
	struct apps_stats st;
	uint64_t now;
};

/* The session whose sockets and region @s serves: itself or its leader. */
static struct app_sess *fam(struct app_sess *s)
{
	return s->leader ? s->leader : s;
}

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* --- pure checks ------------------------------------------------------ */

int apps_check_req(const void *buf, size_t len, struct xtcp_ipc_req *out)
{
	if (len != sizeof(*out))
		return -EINVAL;
	memcpy(out, buf, sizeof(*out));
	if (out->version != XTCP_IPC_VERSION)
		return -EPROTO;
	if (out->op < XTCP_OP_HELLO || out->op >= XTCP_OP_MAX)
		return -EOPNOTSUPP;
	if (out->len > XTCP_IPC_DATA_MAX)
		return -EINVAL;
	if (out->addr.family != 0 && out->addr.family != AF_INET &&
	    out->addr.family != AF_INET6)
		return -EINVAL;
	if (out->addr.family == AF_INET) {
		struct ip_addr a;

		memcpy(a.b, out->addr.addr, 16);
		if (!ip_addr_is_v4(&a))
			return -EINVAL;
	}
	return 0;
}

int apps_ring_delta(uint32_t app, uint32_t ours, uint32_t limit, uint32_t *n)
{
	uint32_t d = app - ours;

	if (d > limit)
		return -EINVAL;
	*n = d;
	return 0;
}

uint32_t apps_ring_size(uint32_t limit)
{
	uint32_t p = APPS_RING_MIN;

	while (p < limit) {
		if (p >= (1u << 30))
			return 0;
		p <<= 1;
	}
	return p;
}

/* --- region allocator --------------------------------------------------- */

static int order_of(uint64_t size)
{
	int o = 0;

	while ((1ull << o) < size)
		o++;
	return o;
}

static struct region *region_new(uint64_t size, uint64_t data_off)
{
	struct region *rg = calloc(1, sizeof(*rg));

	if (!rg)
		return NULL;
	rg->memfd = memfd_create("xtcp-app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rg->memfd < 0)
		goto err;
	if (ftruncate(rg->memfd, (off_t)size))
		goto err;
	/* The app must not be able to shrink it under us (SIGBUS). */
	if (fcntl(rg->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		goto err;
	rg->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			rg->memfd, 0);
	if (rg->base == MAP_FAILED) {
		rg->base = NULL;
		goto err;
	}
	rg->size = size;
	rg->data_off = rg->bump = data_off;
	rg->refs = 1;
	return rg;
err:
	if (rg->memfd >= 0)
		close(rg->memfd);
	free(rg);
	return NULL;
}

static void region_destroy(struct region *rg)
{
	for (int i = 0; i < MAX_ORDERS; i++)
		free(rg->free[i].off);
	if (rg->base)
		munmap(rg->base, rg->size);
	if (rg->memfd >= 0)
		close(rg->memfd);
	free(rg);
}

/* A power-of-two block, aligned to its size (at most a page). */
static void *region_alloc(struct region *rg, uint32_t size)
{
	int o = order_of(size);
	uint64_t off;

	if (o >= MAX_ORDERS)
		return NULL;
	if (rg->free[o].n) {
		off = rg->free[o].off[--rg->free[o].n];
	} else {
		off = (rg->bump + 4095) & ~4095ull;
		if (off + (1ull << o) > rg->size)
			return NULL;
		rg->bump = off + (1ull << o);
	}
	rg->refs++;
	return rg->base + off;
}

static void region_put(struct apps *a, struct region *rg)
{
	struct region **pp;

	if (--rg->refs)
		return;
	for (pp = &a->regions; *pp; pp = &(*pp)->next) {
		if (*pp == rg) {
			*pp = rg->next;
			break;
		}
	}
	region_destroy(rg);
}

static void region_free(struct apps *a, struct region *rg, void *mem,
			size_t size)
{
	int o = order_of(size);
	uint64_t off = (uint64_t)((uint8_t *)mem - rg->base);

	if (rg->free[o].n == rg->free[o].cap) {
		uint32_t cap = rg->free[o].cap ? 2 * rg->free[o].cap : 16;
		uint64_t *n = realloc(rg->free[o].off, cap * sizeof(*n));

		/* Without room to remember it the block is lost to this
		 * region, which is all. */
		if (n) {
			rg->free[o].off = n;
			rg->free[o].cap = cap;
		}
	}
	if (rg->free[o].n < rg->free[o].cap)
		rg->free[o].off[rg->free[o].n++] = off;
	region_put(a, rg);
}

static struct region *region_of(struct apps *a, const void *mem)
{
	for (struct region *rg = a->regions; rg; rg = rg->next)
		if ((const uint8_t *)mem >= rg->base &&
		    (const uint8_t *)mem < rg->base + rg->size)
			return rg;
	return NULL;
}

static void linger_end(struct apps *a, const void *ring);

void *apps_buf_alloc(struct apps *a, size_t size)
{
	return malloc(size);
}

void apps_buf_free(struct apps *a, void *mem, size_t size)
{
	struct region *rg = a ? region_of(a, mem) : NULL;

	if (a && a->nlingers)
		linger_end(a, mem);
	if (rg)
		region_free(a, rg, mem, size);
	else
		free(mem);
}

/* --- publishing --------------------------------------------------------- */

static struct xtcp_shm_slot *slot_of(struct app_sock *as)
{
	return &as->s->slots[as->idx];
}

static void mark_dirty(struct apps *a, struct app_sock *as)
{
	if (as->dirty)
		return;
	as->dirty = true;
	as->dnext = a->dirty;
	a->dirty = as;
}

static void unmark_dirty(struct apps *a, struct app_sock *as)
{
	struct app_sock **pp;

	if (!as->dirty)
		return;
	for (pp = &a->dirty; *pp; pp = &(*pp)->dnext) {
		if (*pp == as) {
			*pp = as->dnext;
			break;
		}
	}
	as->dirty = false;
}

/* Move an error the engine holds into the slot (the app takes it there). */
static void take_error(struct app_sock *as)
{
	int err;

	if (!as->t)
		return;
	err = tcb_take_error(as->t);
	if (err)
		__atomic_store_n(&slot_of(as)->so_error, err, __ATOMIC_RELEASE);
}

static void wake(struct apps *a, struct app_sock *as)
{
	struct xtcp_shm_slot *sl = slot_of(as);
	uint64_t one = 1;

	/* Pairs with the app's store of want before its last look. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sl->want, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&sl->want, 0, __ATOMIC_SEQ_CST)) {
		a->st.wakeups++;
		if (write(as->efd, &one, sizeof(one)) < 0) {
			/* The counter is full: the app is awake anyway. */
		}
	}
}

/* Urgent data arrived for @as: SIGURG to its owner, if it has one. */
static void urg_notify(struct apps *a, struct app_sock *as)
{
	int n;

	as->urg_sig = false;
	__atomic_fetch_add(&slot_of(as)->urg_count, 1, __ATOMIC_RELEASE);
	if (!as->owner.id)
		return; /* POSIX: no owner, no signal */
	if (!urg_rate_ok(&as->s->urg_rate, a->now)) {
		a->st.sigurgs_limited++;
		return;
	}
	n = urg_signal(&as->owner, as->s->cred.uid, "/proc");
	if (n > 0)
		a->st.sigurgs += (uint64_t)n;
}

/* The urgent mark, before rx_head moves past its byte: an app that sees
 * the byte sees the mark (it loads rx_head first). */
static void publish_urg(struct app_sock *as)
{
	struct xtcp_shm_slot *sl = slot_of(as);
	struct tcb_urg_view v;
	uint64_t mark, skip;

	tcb_urg_view(as->t, &v);
	urg_slot_words(&v, &mark, &skip);
	__atomic_store_n(&sl->urg_skip, skip, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->urg_mark, mark, __ATOMIC_RELEASE);
}

static void publish(struct apps *a, struct app_sock *as)
{
	struct xtcp_shm_slot *sl = slot_of(as);
	uint32_t flags = 0, state;

	if (as->kind == SK_LISTEN && as->t) {
		state = XTCP_SS_LISTEN;
		if (tcb_acceptq_len(as->t))
			flags |= XTCP_SF_READABLE;
	} else if (as->kind == SK_CONN && as->t) {
		struct tcb_rings r;
		enum tcp_state ts = tcb_state(as->t);

		take_error(as);
		tcb_rings(as->t, &r);
		publish_urg(as);
		store_rel(&sl->rx_head, r.rcv_head);
		store_rel(&sl->tx_tail, r.snd_tail);
		state = XTCP_SS_TCP + (uint32_t)ts;
		if (tcb_fin_rcvd(as->t))
			flags |= XTCP_SF_FIN | XTCP_SF_READABLE;
		if (ts == TCPS_CLOSED)
			flags |= XTCP_SF_CLOSED | XTCP_SF_READABLE;
		if (r.rcv_head != r.rcv_tail)
			flags |= XTCP_SF_READABLE;
		if (ts >= TCPS_ESTABLISHED ||
		    (ts == TCPS_CLOSED &&
		     !__atomic_load_n(&sl->so_error, __ATOMIC_RELAXED)))
			flags |= XTCP_SF_CONNECTED;
		if (tcb_fin_queued(as->t))
			flags |= XTCP_SF_SHUT_WR;
		if (ts == TCPS_ESTABLISHED || ts == TCPS_CLOSE_WAIT)
			flags |= XTCP_SF_WRITABLE;
		if (__atomic_load_n(&sl->so_error, __ATOMIC_RELAXED))
			flags |= XTCP_SF_ERROR;
	} else {
		state = XTCP_SS_OPEN;
	}
	store_rel(&sl->flags, flags);
	store_rel(&sl->state, state);
	__atomic_fetch_add(&sl->changes, 1, __ATOMIC_RELEASE);
	wake(a, as);
	if (as->urg_sig)
		urg_notify(a, as);
}

static void publish_dirty(struct apps *a)
{
	while (a->dirty) {
		struct app_sock *as = a->dirty;

		a->dirty = as->dnext;
		as->dirty = false;
		publish(a, as);
	}
}

bool apps_event(struct apps *a, struct tcb *t, unsigned ev)
{
	struct app_sock *as = tcb_user(t);

	if (!a || !as || as->tag != SOCK_TAG)
		return false;
	if (ev & EV_URGENT)
		as->urg_sig = true;
	mark_dirty(a, as);
	return true;
}

/* --- data: what the app moved ------------------------------------------ */

static void sync_sock(struct apps *a, struct app_sock *as, uint64_t now)
{
	struct xtcp_shm_slot *sl = slot_of(as);
	struct tcb_rings r;
	uint32_t snd_lim, rcv_lim, n, used;

	if (as->kind != SK_CONN || !as->t || !as->has_rings)
		return;
	a->st.syncs++;
	tcb_rings(as->t, &r);
	tcb_buf_limits(as->t, &snd_lim, &rcv_lim);
	used = r.rcv_head - r.rcv_tail;
	if (!apps_ring_delta(load_acq(&sl->rx_tail), r.rcv_tail, used, &n)) {
		if (n)
			eng_rcv_consumed(as->t, n, now);
	} else {
		a->st.bad_indices++;
	}
	used = r.snd_head - r.snd_tail;
	if (!apps_ring_delta(load_acq(&sl->tx_head), r.snd_head,
			     used < snd_lim ? snd_lim - used : 0, &n)) {
		if (n) {
			long ret;

			take_error(as);
			ret = eng_snd_produced(as->t, n, 0, now);
			if (ret == -EINVAL)
				a->st.bad_indices++;
		}
	} else {
		a->st.bad_indices++;
	}
	mark_dirty(a, as);
}

static unsigned sync_session(struct apps *a, struct app_sess *s, uint64_t now)
{
	unsigned n = 0;

	/* Members share their leader's region: it is synced once. */
	if (!s->hello || s->leader ||
	    !__atomic_load_n(&s->hdr->pending, __ATOMIC_ACQUIRE))
		return 0;
	/* Also the sign of a control request (ipc.h): serve it this round
	 * rather than at the next look at the sockets. */
	a->requests = true;
	/* Cleared before the map is read, with a full barrier between: a bit
	 * set after our look comes with pending set again. */
	__atomic_store_n(&s->hdr->pending, 0, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t w = 0; w < (s->nslots + 63) / 64; w++) {
		uint64_t bits;

		if (!__atomic_load_n(&s->hdr->pending_map[w], __ATOMIC_RELAXED))
			continue;
		bits = __atomic_exchange_n(&s->hdr->pending_map[w], 0,
					   __ATOMIC_ACQ_REL);
		while (bits) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (i < s->nslots && s->socks[i]) {
				sync_sock(a, s->socks[i], now);
				n++;
			}
		}
	}
	return n;
}

unsigned apps_run(struct apps *a, uint64_t now)
{
	unsigned n = 0;

	if (!a)
		return 0;
	a->now = now;
	for (struct app_sess *s = a->sessions; s; s = s->next)
		n += sync_session(a, s, now);
	if (a->requests) {
		a->requests = false;
		n += apps_handle(a, now);
	}
	publish_dirty(a);
	return n;
}

bool apps_sleep(struct apps *a)
{
	bool work = false;

	if (!a)
		return true;
	for (struct app_sess *s = a->sessions; s; s = s->next) {
		if (!s->hello || s->leader)
			continue;
		__atomic_store_n(&s->hdr->daemon_sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->hdr->pending, __ATOMIC_SEQ_CST))
			work = true;
	}
	if (work)
		apps_awake(a);
	return !work && !a->dirty;
}

void apps_awake(struct apps *a)
{
	if (!a)
		return;
	for (struct app_sess *s = a->sessions; s; s = s->next)
		if (s->hello && !s->leader)
			__atomic_store_n(&s->hdr->daemon_sleeping, 0,
					 __ATOMIC_RELAXED);
}

/* --- sockets ------------------------------------------------------------ */

static int local_addrs(struct apps *a, struct ip_addr *out, int max)
{
	struct nl_addr na[MAX_LOCAL_ADDRS];
	int n;

	if (!a->env.nl)
		return 0;
	n = nl_addrs(a->env.nl, a->env.ifindex, na, MAX_LOCAL_ADDRS);
	if (n < 0)
		return 0;
	if (n > MAX_LOCAL_ADDRS)
		n = MAX_LOCAL_ADDRS;
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++)
		out[i] = na[i].addr;
	return n;
}

static struct app_sock *sock_new(struct apps *a, struct app_sess *s, int domain,
				 int *err)
{
	struct app_sock *as;
	struct xtcp_shm_slot *sl;
	uint32_t idx;

	if (!s->nfree) {
		*err = -EMFILE;
		return NULL;
	}
	as = calloc(1, sizeof(*as));
	if (!as) {
		*err = -ENOBUFS;
		return NULL;
	}
	as->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (as->efd < 0) {
		*err = -errno;
		free(as);
		return NULL;
	}
	idx = s->free_idx[--s->nfree];
	sl = &s->slots[idx];
	as->tag = SOCK_TAG;
	as->s = s;
	as->idx = idx;
	as->gen = sl->gen + 1;
	if (!as->gen)
		as->gen = 1;
	as->domain = domain;
	as->kind = SK_OPEN;
	eng_default_opts(a->env.eng, &as->opts);
	memset(sl, 0, sizeof(*sl));
	sl->gen = as->gen;
	sl->state = XTCP_SS_OPEN;
	s->socks[idx] = as;
	return as;
}

/*
 * Entries of the XDP bound map, counted: a listener, a connection without
 * a fast-path slot and a closed connection the engine still finishes may
 * share one (address, port), and so may listeners with SO_REUSEPORT: the
 * entry stays while any of them holds it. "::" takes IPv4 unless every
 * listener on it is IPV6_V6ONLY.
 */
static struct xdp_ref **xdp_bucket(struct apps *a, const struct ip_addr *addr,
				   uint16_t port)
{
	uint32_t h = port * 0x9e3779b1u;

	for (unsigned i = 0; i < sizeof(addr->b); i++)
		h = (h ^ addr->b[i]) * 0x01000193u;
	return &a->xdp_refs[h % XDP_REF_BUCKETS];
}

static uint32_t xdp_ref_flags(const struct xdp_ref *r)
{
	return r->v6only == r->refs ? XTCP_BOUND_V6ONLY : 0;
}

static bool xdp_get(struct apps *a, const struct ip_addr *addr, uint16_t port,
		    uint32_t flags)
{
	struct xdp_ref *r, **head;
	uint32_t old;

	if (!a->env.bind_port || bind_is_loopback(addr))
		return false;
	head = xdp_bucket(a, addr, port);
	for (r = *head; r; r = r->next) {
		if (r->port != port || memcmp(&r->addr, addr, sizeof(*addr)))
			continue;
		/* A dual-stack listener joins IPV6_V6ONLY ones: IPv4 too. */
		old = xdp_ref_flags(r);
		if ((old & flags) != old &&
		    a->env.bind_port(a->env.arg, addr, port, old & flags))
			return false;
		r->refs++;
		r->v6only += !!(flags & XTCP_BOUND_V6ONLY);
		return true;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return false;
	if (a->env.bind_port(a->env.arg, addr, port, flags)) {
		free(r);
		return false;
	}
	log_debug("xdp bind port %u", port);
	r->addr = *addr;
	r->port = port;
	r->refs = 1;
	r->v6only = !!(flags & XTCP_BOUND_V6ONLY);
	r->next = *head;
	*head = r;
	return true;
}

static void xdp_put(struct apps *a, const struct ip_addr *addr, uint16_t port,
		    uint32_t flags)
{
	for (struct xdp_ref **pp = xdp_bucket(a, addr, port), *r; (r = *pp);
	     pp = &r->next) {
		uint32_t old;

		if (r->port != port || memcmp(&r->addr, addr, sizeof(*addr)))
			continue;
		old = xdp_ref_flags(r);
		r->v6only -= !!(flags & XTCP_BOUND_V6ONLY);
		if (--r->refs) {
			/* The last dual-stack listener went: IPv6 only now. */
			if (xdp_ref_flags(r) != old)
				a->env.bind_port(a->env.arg, addr, port,
						 xdp_ref_flags(r));
			return;
		}
		*pp = r->next;
		log_debug("xdp unbind port %u", port);
		if (a->env.unbind_port)
			a->env.unbind_port(a->env.arg, addr, port);
		free(r);
		return;
	}
}

static void xdp_unbind(struct apps *a, struct app_sock *as)
{
	if (as->xdp_bound)
		xdp_put(a, &as->xdp_addr, as->xdp_port, as->xdp_flags);
	as->xdp_bound = false;
}

static void xdp_bind(struct apps *a, struct app_sock *as,
		     const struct ip_addr *addr, uint16_t port, uint32_t flags)
{
	if (!xdp_get(a, addr, port, flags))
		return;
	as->xdp_bound = true;
	as->xdp_addr = *addr;
	as->xdp_port = port;
	as->xdp_flags = flags;
}

/*
 * A connection the app closed goes on (its data and FIN, TIME-WAIT) until
 * the engine frees it, which it tells by releasing its send ring @ring
 * (moved out of the region by sock_free, or still there): until then
 * its segments must keep reaching us, through a bound-map entry for its
 * local (address, port), and it keeps its port bound (bind.h: a restarted
 * server needs SO_REUSEADDR), unless connect chose that port; both are
 * dropped in apps_buf_free.
 */
static struct linger_rec **linger_bucket(struct apps *a, const void *ring)
{
	/* Rings are at least 64-byte aligned blocks. */
	uintptr_t h = ((uintptr_t)ring >> 6) * 0x9e3779b97f4a7c15ull;

	return &a->lingers[(h >> 32) % LINGER_BUCKETS];
}

static void linger_start(struct apps *a, struct app_sock *as, const void *ring)
{
	bool keep_bind = as->bind && !as->autobound;
	struct linger_rec *l;
	struct ip_addr la, fa;
	uint16_t lp, fp;

	if ((as->local && !keep_bind) || !as->has_rings || !as->t || !ring)
		return;
	tcb_addrs(as->t, &la, &lp, &fa, &fp);
	l = calloc(1, sizeof(*l));
	if (!l)
		return;
	l->xdp = !as->local && xdp_get(a, &la, lp, 0);
	if (keep_bind) {
		l->bind = as->bind;
		l->bind->closed = true;
		l->bind->owner = l;
		as->bind = NULL;
	}
	if (!l->xdp && !l->bind) {
		free(l);
		return;
	}
	l->ring = ring;
	l->addr = la;
	l->port = lp;
	l->next = *linger_bucket(a, ring);
	*linger_bucket(a, ring) = l;
	a->nlingers++;
}

static void linger_end(struct apps *a, const void *ring)
{
	for (struct linger_rec **pp = linger_bucket(a, ring), *l; (l = *pp);
	     pp = &l->next) {
		if (l->ring != ring)
			continue;
		*pp = l->next;
		a->nlingers--;
		if (l->xdp)
			xdp_put(a, &l->addr, l->port, 0);
		bind_remove(&a->binds, l->bind);
		free(l);
		return;
	}
}

/*
 * Release a socket: its connection (gracefully unless @abort), binding,
 * slot, eventfd and rings. A connection closed gracefully goes on in the
 * engine (unsent data, FIN, TIME-WAIT) with what it still needs of the
 * send ring moved to daemon memory, so neither the slot nor the region's
 * ring memory waits for TIME-WAIT; otherwise the rings go when the engine
 * frees the tcb.
 */
static void sock_free(struct apps *a, struct app_sock *as, bool abort,
		      uint64_t now)
{
	struct app_sess *s = as->s;
	struct xtcp_shm_slot *sl = slot_of(as);

	unmark_dirty(a, as);
	if (as->ext && a->env.conn_closing)
		a->env.conn_closing(a->env.arg, as->t, as->ext, now);
	as->ext = NULL;
	if (as->kind == SK_CONN && as->t && as->has_rings) {
		void *ring = NULL;

		if (!abort)
			ring = eng_orphan_buffers(as->t);
		if (!ring)
			ring = as->s->rg->base + sl->tx_off;
		linger_start(a, as, ring);
	}
	xdp_unbind(a, as);
	if (as->t) {
		tcb_set_user(as->t, NULL);
		eng_close(as->t, abort, now);
		as->t = NULL;
	}
	bind_remove(&a->binds, as->bind);
	if (as->efd >= 0)
		close(as->efd);
	store_rel(&sl->state, XTCP_SS_FREE);
	store_rel(&sl->flags, XTCP_SF_CLOSED);
	s->socks[as->idx] = NULL;
	s->free_idx[s->nfree++] = as->idx;
	free(as);
}

/* Member @m's process holds slot @idx (a new socket, or by fork). */
static void hold(struct app_sess *m, uint32_t idx)
{
	m->holds[idx] = 1;
	fam(m)->holders[idx]++;
}

/*
 * Member @m lets go of slot @idx. The socket is closed with its last
 * holder, as a kernel socket with its last descriptor (close(2)): with a
 * RST when @abort (SO_LINGER 0, or the process ended without closing it),
 * else gracefully. Another holder keeps it open, untouched.
 */
static void release(struct apps *a, struct app_sess *m, uint32_t idx,
		    bool abort, uint64_t now)
{
	struct app_sess *f = fam(m);
	struct app_sock *as = f->socks[idx];

	m->holds[idx] = 0;
	if (--f->holders[idx] || !as)
		return;
	sync_sock(a, as, now);
	sock_free(a, as, abort, now);
}

/* Rings in the session's region for a connection, handed to the engine. */
static int sock_rings(struct apps *a, struct app_sock *as)
{
	struct region *rg = as->s->rg;
	struct xtcp_shm_slot *sl = slot_of(as);
	uint32_t snd_lim, rcv_lim, snd_sz, rcv_sz;
	struct tcb_rings r;
	void *snd, *rcv;
	int ret;

	tcb_buf_limits(as->t, &snd_lim, &rcv_lim);
	tcb_rings(as->t, &r);
	snd_sz = apps_ring_size(snd_lim > r.snd_size ? snd_lim : r.snd_size);
	rcv_sz = apps_ring_size(rcv_lim > r.rcv_size ? rcv_lim : r.rcv_size);
	if (!snd_sz || !rcv_sz)
		return -ENOBUFS;
	snd = region_alloc(rg, snd_sz);
	rcv = region_alloc(rg, rcv_sz);
	if (!snd || !rcv) {
		if (snd)
			region_free(a, rg, snd, snd_sz);
		if (rcv)
			region_free(a, rg, rcv, rcv_sz);
		return -ENOBUFS;
	}
	ret = eng_set_buffers(as->t, snd, snd_sz, rcv, rcv_sz);
	if (ret) {
		region_free(a, rg, snd, snd_sz);
		region_free(a, rg, rcv, rcv_sz);
		return ret;
	}
	as->has_rings = true;
	tcb_rings(as->t, &r);
	sl->tx_off = (uint32_t)((uint8_t *)snd - rg->base);
	sl->tx_size = snd_sz;
	sl->tx_cap = snd_lim;
	sl->rx_off = (uint32_t)((uint8_t *)rcv - rg->base);
	sl->rx_size = rcv_sz;
	sl->rx_cap = rcv_lim;
	store_rel(&sl->tx_head, r.snd_head);
	store_rel(&sl->tx_tail, r.snd_tail);
	store_rel(&sl->rx_tail, r.rcv_tail);
	store_rel(&sl->rx_head, r.rcv_head);
	return 0;
}

static void addr_out(struct xtcp_ipc_addr *o, int domain,
		     const struct ip_addr *ip, uint16_t port)
{
	memset(o, 0, sizeof(*o));
	o->family = (uint16_t)domain;
	o->port = port;
	memcpy(o->addr, ip->b, 16);
}

static void conn_opened(struct apps *a, struct app_sock *as, uint64_t now)
{
	struct ip_addr la, fa;
	uint16_t lp, fp;

	tcb_set_user(as->t, as);
	as->kind = SK_CONN;
	if (as->local)
		return;
	if (a->env.conn_open)
		as->ext = a->env.conn_open(a->env.arg, as->t, now);
	if (as->ext)
		return;
	/* No fast-path slot: the bound map still brings the segments. */
	tcb_addrs(as->t, &la, &lp, &fa, &fp);
	xdp_bind(a, as, &la, lp, 0);
}

/* --- requests ------------------------------------------------------------ */

struct reply {
	struct xtcp_ipc_rep r;
	int fds[2];
	unsigned nfds;
};

static int op_socket(struct apps *a, struct app_sess *s,
		     const struct xtcp_ipc_req *q, struct reply *rp)
{
	struct app_sock *as;
	int err;

	if (q->arg[0] != AF_INET && q->arg[0] != AF_INET6)
		return -EAFNOSUPPORT;
	if ((q->arg[1] & 0xff) != SOCK_STREAM)
		return -EPROTONOSUPPORT;
	as = sock_new(a, fam(s), q->arg[0], &err);
	if (!as)
		return err;
	hold(s, as->idx);
	rp->r.slot = as->idx;
	rp->r.gen = as->gen;
	rp->fds[rp->nfds++] = as->efd;
	return 0;
}

static int req_addr(const struct app_sock *as, const struct xtcp_ipc_req *q,
		    struct ip_addr *ip)
{
	if (q->addr.family != as->domain)
		return as->domain == AF_INET ? -EAFNOSUPPORT : -EINVAL;
	memcpy(ip->b, q->addr.addr, 16);
	return 0;
}

static int do_bind(struct apps *a, struct app_sock *as,
		   const struct ip_addr *ip, uint16_t port)
{
	struct ip_addr local[MAX_LOCAL_ADDRS];
	int n = local_addrs(a, local, MAX_LOCAL_ADDRS);
	const struct tunables *tun = eng_tunables(a->env.eng);
	struct bind_limits lim = {
		.anon_lo = (uint16_t)tun->tcp_smallest_anon_port,
		.anon_hi = (uint16_t)tun->tcp_largest_anon_port,
		.nonpriv = (uint16_t)tun->tcp_smallest_nonpriv_port,
	};
	struct bind_req br = {
		.family = as->domain,
		.addr = *ip,
		.port = port,
		.v6only = as->v6only,
		.reuseaddr = as->reuseaddr,
		.exclbind = as->exclbind,
		.reuseport = as->reuseport,
		.uid = as->s->cred.uid,
	};

	return bind_request(&a->binds, &br, local, n, &lim, NULL, NULL, as,
			    &as->bind);
}

static int op_bind(struct apps *a, struct app_sock *as,
		   const struct xtcp_ipc_req *q)
{
	struct ip_addr ip;
	int ret;

	if (as->bind || as->kind != SK_OPEN)
		return -EINVAL;
	ret = req_addr(as, q, &ip);
	if (ret)
		return ret;
	return do_bind(a, as, &ip, q->addr.port);
}

static void wildcard(const struct app_sock *as, struct ip_addr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (as->domain == AF_INET) {
		ip->b[10] = 0xff;
		ip->b[11] = 0xff;
	}
}

static int op_listen(struct apps *a, struct app_sock *as,
		     const struct xtcp_ipc_req *q, uint64_t now)
{
	struct ip_addr ip;
	uint32_t backlog = q->arg[0] < 0 ? 0 : (uint32_t)q->arg[0];
	int err;

	if (as->kind == SK_LISTEN)
		return 0;
	if (as->kind != SK_OPEN)
		return -EINVAL;
	if (!as->bind) {
		wildcard(as, &ip);
		err = do_bind(a, as, &ip, 0);
		if (err)
			return err;
	}
	/* What the bind was decided with, for the engine's lookup. */
	as->opts.v6only = as->bind->v6only;
	as->opts.reuseport = as->bind->reuseport;
	as->t = eng_listen(a->env.eng, &as->bind->addr, as->bind->port, backlog,
			   &as->opts, &err);
	if (!as->t)
		return err;
	tcb_set_user(as->t, as);
	as->kind = SK_LISTEN;
	xdp_bind(a, as, &as->bind->addr, as->bind->port,
		 as->bind->wildcard && as->v6only &&
				 !ip_addr_is_v4(&as->bind->addr) ?
			 XTCP_BOUND_V6ONLY :
			 0);
	mark_dirty(a, as);
	return 0;
}

static bool is_local_dst(struct apps *a, const struct ip_addr *dst)
{
	struct nl_route rt;

	if (bind_is_loopback(dst))
		return true;
	return a->env.nl && !nl_route(a->env.nl, dst, &rt) &&
	       rt.type == RTN_LOCAL;
}

static int op_accept(struct apps *a, struct app_sess *m, struct app_sock *as,
		     struct reply *rp, uint64_t now)
{
	struct app_sess *s = fam(m);
	struct app_sock *c;
	struct ip_addr la, fa;
	uint16_t lp, fp;
	struct tcb *t;
	int err;

	if (as->kind != SK_LISTEN)
		return -EINVAL;
	if (!s->nfree)
		return -EMFILE;
	t = eng_accept(as->t, &err);
	mark_dirty(a, as);
	if (!t)
		return err;
	c = sock_new(a, s, as->domain, &err);
	if (!c) {
		eng_close(t, true, now);
		return err;
	}
	c->t = t;
	tcb_addrs(t, &la, &lp, &fa, &fp);
	c->local = is_local_dst(a, &fa);
	/* The connection holds its port as the listener did (bind.h). */
	c->bind = bind_add_conn(&a->binds, &la, lp, as->bind, c);
	err = c->bind ? sock_rings(a, c) : -ENOBUFS;
	if (err) {
		sock_free(a, c, true, now);
		return err;
	}
	conn_opened(a, c, now);
	mark_dirty(a, c);
	publish(a, c);
	hold(m, c->idx);
	rp->r.slot = c->idx;
	rp->r.gen = c->gen;
	addr_out(&rp->r.addr, as->domain, &fa, fp);
	rp->fds[rp->nfds++] = c->efd;
	return 0;
}

static bool first_addr(struct apps *a, bool v4, struct ip_addr *out)
{
	struct nl_addr na[MAX_LOCAL_ADDRS];
	int n;

	if (!a->env.nl)
		return false;
	n = nl_addrs(a->env.nl, a->env.ifindex, na, MAX_LOCAL_ADDRS);
	if (n > MAX_LOCAL_ADDRS)
		n = MAX_LOCAL_ADDRS;
	/* A global address first, a link-local one only if nothing else. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			if (ip_addr_is_v4(&na[i].addr) != v4)
				continue;
			if (!pass && na[i].scope != RT_SCOPE_UNIVERSE)
				continue;
			*out = na[i].addr;
			return true;
		}
	}
	return false;
}

/* The source address and locality of a connection to @dst. */
static int route_src(struct apps *a, struct app_sock *as,
		     const struct ip_addr *dst, struct ip_addr *src,
		     bool *local)
{
	struct nl_route rt;
	bool v4 = ip_addr_is_v4(dst);
	int ret;

	*local = bind_is_loopback(dst);
	if (!*local) {
		if (!a->env.nl)
			return -ENETUNREACH;
		ret = nl_route(a->env.nl, dst, &rt);
		if (ret)
			return ret;
		*local = rt.type == RTN_LOCAL;
		if (!*local && rt.ifindex != a->env.ifindex)
			return -ENETUNREACH;
	}
	if (as->bind && !as->bind->wildcard) {
		*src = as->bind->addr;
		if (ip_addr_is_v4(src) != v4)
			return -EAFNOSUPPORT;
		return 0;
	}
	if (*local) {
		*src = *dst;
		return 0;
	}
	if (rt.has_prefsrc && ip_addr_is_v4(&rt.prefsrc) == v4) {
		*src = rt.prefsrc;
		return 0;
	}
	return first_addr(a, v4, src) ? 0 : -EADDRNOTAVAIL;
}

static int op_connect(struct apps *a, struct app_sock *as,
		      const struct xtcp_ipc_req *q, uint64_t now)
{
	struct ip_addr dst, src;
	uint16_t dport = q->addr.port;
	bool local;
	int ret, err = 0;

	if (as->kind == SK_LISTEN)
		return -EISCONN;
	if (as->kind == SK_CONN) {
		switch (tcb_state(as->t)) {
		case TCPS_SYN_SENT:
		case TCPS_SYN_RECEIVED:
			return -EALREADY;
		case TCPS_CLOSED: {
			/* The attempt failed: its error, reported once. */
			int e;

			take_error(as);
			e = __atomic_exchange_n(&slot_of(as)->so_error, 0,
						__ATOMIC_ACQ_REL);
			return e > 0 && e < 4096 ? -e : -ECONNABORTED;
		}
		default:
			return -EISCONN;
		}
	}
	ret = req_addr(as, q, &dst);
	if (ret)
		return ret;
	if (as->domain == AF_INET6 && as->v6only && ip_addr_is_v4(&dst))
		return -ENETUNREACH;
	if (!dport || ip_addr_is_any(&dst))
		return -ECONNREFUSED;
	ret = route_src(a, as, &dst, &src, &local);
	if (ret)
		return ret;
	for (int i = 0; i < CONNECT_TRIES; i++) {
		bool autobind = !as->bind;

		if (autobind) {
			ret = do_bind(a, as, &src, 0);
			if (ret)
				return ret;
			as->autobound = true;
		}
		as->t = eng_connect(a->env.eng, &src, as->bind->port, &dst,
				    dport, &as->opts, now, &err);
		if (as->t)
			break;
		if (!autobind || err != -EADDRINUSE)
			return err;
		/* The engine still has that 4-tuple (TIME-WAIT): next. */
		bind_remove(&a->binds, as->bind);
		as->bind = NULL;
	}
	if (!as->t)
		return -EADDRNOTAVAIL;
	as->local = local;
	ret = sock_rings(a, as);
	if (ret) {
		eng_close(as->t, true, now);
		as->t = NULL;
		return ret;
	}
	as->bind->conn = true;
	conn_opened(a, as, now);
	mark_dirty(a, as);
	return -EINPROGRESS;
}

static int op_shutdown(struct apps *a, struct app_sock *as,
		       const struct xtcp_ipc_req *q, uint64_t now)
{
	int ret;

	if (as->kind != SK_CONN)
		return -ENOTCONN;
	if (q->arg[0] < 0 || q->arg[0] > 2)
		return -EINVAL;
	sync_sock(a, as, now);
	ret = eng_shutdown(as->t, q->arg[0], now);
	mark_dirty(a, as);
	return ret;
}

static int int_opt(const struct xtcp_ipc_req *q, int *v)
{
	if (q->len < sizeof(int))
		return -EINVAL;
	memcpy(v, q->data, sizeof(int));
	return 0;
}

static int op_setsockopt(struct apps *a, struct app_sock *as,
			 const struct xtcp_ipc_req *q, uint64_t now)
{
	int level = q->arg[0], name = q->arg[1], v, ret;

	/* Binding options: read at bind (SO_REUSEPORT, as Linux says, must
	 * be set before it to count). */
	if (level == SOL_SOCKET &&
	    (name == SO_REUSEADDR || name == SO_EXCLBIND ||
	     name == SO_REUSEPORT)) {
		ret = int_opt(q, &v);
		if (ret)
			return ret;
		if (name == SO_REUSEADDR)
			as->reuseaddr = v != 0;
		else if (name == SO_REUSEPORT)
			as->reuseport = v != 0;
		else
			as->exclbind = v != 0;
		return 0;
	}
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
		if (as->domain != AF_INET6)
			return -ENOPROTOOPT;
		if (as->bind || as->kind != SK_OPEN)
			return -EINVAL;
		ret = int_opt(q, &v);
		if (ret)
			return ret;
		as->v6only = v != 0;
		return 0;
	}
	/* Everything else is the engine's (sockopt.c): on the connection, or
	 * on the options kept for it before there is one. */
	{
		struct eng_cred cred = { .uid = as->s->cred.uid,
					 .net_admin = as->s->cred.uid == 0 };

		if (!as->t)
			return sockopts_set(a->env.eng, &as->opts, level, name,
					    q->data, q->len, &cred);
		/* Republished: SO_OOBINLINE is in the urgent mark's word. */
		mark_dirty(a, as);
		return eng_setsockopt(as->t, level, name, q->data, q->len,
				      &cred, now);
	}
}

static int op_getsockopt(struct apps *a, struct app_sock *as,
			 const struct xtcp_ipc_req *q, struct reply *rp,
			 uint64_t now)
{
	int level = q->arg[0], name = q->arg[1], v;

	/* What the app moved in its rings before asking counts (TCP_INFO's
	 * unacked and notsent bytes, SO_NREAD-like figures). */
	sync_sock(a, as, now);
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		v = as->reuseaddr;
	else if (level == SOL_SOCKET && name == SO_EXCLBIND)
		v = as->exclbind;
	else if (level == SOL_SOCKET && name == SO_REUSEPORT)
		v = as->reuseport;
	else if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
		v = as->kind == SK_LISTEN;
	else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY &&
		 as->domain == AF_INET6)
		v = as->v6only;
	else {
		socklen_t len = q->len < XTCP_IPC_DATA_MAX ? q->len :
							     XTCP_IPC_DATA_MAX;
		int ret = as->t ? eng_getsockopt(as->t, level, name, rp->r.data,
						 &len, now) :
				  sockopts_get(a->env.eng, &as->opts, level,
					       name, rp->r.data, &len);

		if (ret)
			return ret;
		rp->r.len = len <= XTCP_IPC_DATA_MAX ? len : XTCP_IPC_DATA_MAX;
		return 0;
	}
	if (q->len < sizeof(v))
		return -EINVAL;
	memcpy(rp->r.data, &v, sizeof(v));
	rp->r.len = sizeof(v);
	return 0;
}

static int op_getname(struct apps *a, struct app_sock *as, struct reply *rp)
{
	struct ip_addr la, fa;
	uint16_t lp, fp;

	if (as->t) {
		tcb_addrs(as->t, &la, &lp, &fa, &fp);
		addr_out(&rp->r.addr, as->domain, &la, lp);
		if (as->kind == SK_CONN)
			addr_out(&rp->r.addr2, as->domain, &fa, fp);
	} else if (as->bind) {
		addr_out(&rp->r.addr, as->domain, &as->bind->addr,
			 as->bind->port);
	} else {
		wildcard(as, &la);
		addr_out(&rp->r.addr, as->domain, &la, 0);
	}
	return 0;
}

static int op_send_oob(struct apps *a, struct app_sock *as,
		       const struct xtcp_ipc_req *q, struct reply *rp,
		       uint64_t now)
{
	struct tcb_rings r;
	long n;

	if (as->kind != SK_CONN)
		return -ENOTCONN;
	if (!q->len)
		return 0;
	sync_sock(a, as, now);
	take_error(as);
	n = eng_send(as->t, q->data, q->len, SEND_OOB, now);
	tcb_rings(as->t, &r);
	rp->r.val[0] = (int32_t)(n > 0 ? n : 0);
	rp->r.val[1] = (int32_t)r.snd_head;
	mark_dirty(a, as);
	return n < 0 ? (int)n : 0;
}

static int op_recv_oob(struct apps *a, struct app_sock *as,
		       const struct xtcp_ipc_req *q, struct reply *rp,
		       uint64_t now)
{
	long n;

	if (as->kind != SK_CONN)
		return -EINVAL;
	sync_sock(a, as, now);
	n = eng_recv(as->t, rp->r.data, 1,
		     RECV_OOB | ((q->arg[0] & MSG_PEEK) ? RECV_PEEK : 0), now);
	if (n < 0)
		return (int)n;
	rp->r.len = (uint32_t)n;
	return 0;
}

static int op_setown(struct app_sock *as, const struct xtcp_ipc_req *q)
{
	struct urg_owner o = { .type = q->arg[0], .id = q->arg[1] };
	int ret = urg_owner_check(&o, as->s->cred.uid, "/proc");

	if (!ret)
		as->owner = o;
	return ret;
}

static int dispatch(struct apps *a, struct app_sess *s,
		    const struct xtcp_ipc_req *q, struct reply *rp,
		    uint64_t now)
{
	struct app_sess *f = fam(s);
	struct app_sock *as = NULL;

	if (q->op == XTCP_OP_SOCKET)
		return op_socket(a, s, q, rp);
	/* A slot this process does not hold is not its socket. */
	if (q->slot >= f->nslots || !f->socks[q->slot] ||
	    f->socks[q->slot]->gen != q->gen || !s->holds[q->slot])
		return -EBADF;
	as = f->socks[q->slot];
	switch (q->op) {
	case XTCP_OP_BIND:
		return op_bind(a, as, q);
	case XTCP_OP_LISTEN:
		return op_listen(a, as, q, now);
	case XTCP_OP_ACCEPT:
		return op_accept(a, s, as, rp, now);
	case XTCP_OP_CONNECT:
		return op_connect(a, as, q, now);
	case XTCP_OP_SHUTDOWN:
		return op_shutdown(a, as, q, now);
	case XTCP_OP_CLOSE:
		release(a, s, q->slot, q->arg[0] != 0, now);
		return 0;
	case XTCP_OP_SETSOCKOPT:
		return op_setsockopt(a, as, q, now);
	case XTCP_OP_GETSOCKOPT:
		return op_getsockopt(a, as, q, rp, now);
	case XTCP_OP_GETNAME:
		return op_getname(a, as, rp);
	case XTCP_OP_SEND_OOB:
		return op_send_oob(a, as, q, rp, now);
	case XTCP_OP_RECV_OOB:
		return op_recv_oob(a, as, q, rp, now);
	case XTCP_OP_ATMARK:
		if (as->kind != SK_CONN)
			return -EINVAL;
		sync_sock(a, as, now);
		rp->r.val[0] = tcb_at_mark(as->t);
		return 0;
	case XTCP_OP_SETOWN:
		return op_setown(as, q);
	default:
		return -EOPNOTSUPP;
	}
}

/* --- sessions ---------------------------------------------------------- */

static int send_reply(struct app_sess *s, struct reply *rp)
{
	struct iovec iov = { .iov_base = &rp->r, .iov_len = sizeof(rp->r) };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 2)];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	rp->r.nfds = rp->nfds;
	if (rp->nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * rp->nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * rp->nfds);
		memcpy(CMSG_DATA(c), rp->fds, sizeof(int) * rp->nfds);
	}
	if (sendmsg(s->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(rp->r))
		return -errno ? -errno : -EIO;
	return 0;
}

static int op_hello(struct apps *a, struct app_sess *s, struct reply *rp)
{
	uint32_t nslots = a->env.nslots ? a->env.nslots : APPS_SLOTS;
	uint64_t size = a->env.region_size ? a->env.region_size :
					     APPS_REGION_SIZE;
	uint64_t slot_off = 4096, data_off;
	struct region *rg;

	if (s->hello)
		return -EISCONN;
	if (nslots > XTCP_SHM_SLOTS_MAX)
		nslots = XTCP_SHM_SLOTS_MAX;
	data_off = (slot_off + (uint64_t)nslots * sizeof(struct xtcp_shm_slot) +
		    4095) &
		   ~4095ull;
	if (data_off >= size)
		return -EINVAL;
	s->socks = calloc(nslots, sizeof(*s->socks));
	s->free_idx = calloc(nslots, sizeof(*s->free_idx));
	s->holds = calloc(nslots, sizeof(*s->holds));
	s->holders = calloc(nslots, sizeof(*s->holders));
	if (!s->socks || !s->free_idx || !s->holds || !s->holders)
		return -ENOMEM;
	/* The proof a forked process gives in ATTACH: never guessable. */
	if (getrandom(s->token, sizeof(s->token), 0) != sizeof(s->token))
		return -EAGAIN;
	s->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->doorbell < 0)
		return -errno;
	rg = region_new(size, data_off);
	if (!rg)
		return -ENOMEM;
	rg->next = a->regions;
	a->regions = rg;
	s->rg = rg;
	s->hdr = (struct xtcp_shm_hdr *)rg->base;
	s->slots = (struct xtcp_shm_slot *)(rg->base + slot_off);
	s->nslots = nslots;
	for (uint32_t i = 0; i < nslots; i++)
		s->free_idx[i] = nslots - 1 - i;
	s->nfree = nslots;
	s->hdr->version = XTCP_IPC_VERSION;
	s->hdr->size = size;
	s->hdr->nslots = nslots;
	s->hdr->slot_off = (uint32_t)slot_off;
	s->hdr->slot_size = sizeof(struct xtcp_shm_slot);
	s->hdr->data_off = (uint32_t)data_off;
	__atomic_store_n(&s->hdr->magic, XTCP_SHM_MAGIC, __ATOMIC_RELEASE);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, s->doorbell,
		      &(struct epoll_event){
			      .events = EPOLLIN,
			      .data.u64 = (uint64_t)(uintptr_t)s | EP_DOORBELL,
		      }))
		return -errno;
	s->hello = true;
	s->members = 1;
	rp->r.val[0] = (int32_t)nslots;
	rp->r.val[1] = (int32_t)s->id;
	rp->r.u64 = size;
	memcpy(rp->r.data, s->token, sizeof(s->token));
	rp->r.len = sizeof(s->token);
	rp->fds[rp->nfds++] = rg->memfd;
	rp->fds[rp->nfds++] = s->doorbell;
	return 0;
}

/* Constant time: how long it takes tells nothing about the token. */
static bool token_eq(const uint8_t *x, const uint8_t *y)
{
	uint8_t d = 0;

	for (int i = 0; i < XTCP_TOKEN_LEN; i++)
		d |= x[i] ^ y[i];
	return !d;
}

static struct app_sess *member_of(struct apps *a, const uint8_t *token,
				  uint32_t id, struct app_sess **leader)
{
	struct app_sess *f = NULL;

	for (struct app_sess *x = a->sessions; x && !f; x = x->next)
		if (x->hello && !x->leader && token_eq(x->token, token))
			f = x;
	*leader = f;
	for (struct app_sess *x = a->sessions; f && x; x = x->next)
		if (x->hello && fam(x) == f && x->id == id && !x->gone)
			return x;
	return NULL;
}

/*
 * A process about to fork joins the session of its member @q->arg[0] on a
 * new connection (ipc.h, fork): the token proves it knows the session, the
 * uid must be the session's; it holds what that member holds.
 */
static int op_attach(struct apps *a, struct app_sess *s,
		     const struct xtcp_ipc_req *q, struct reply *rp)
{
	struct app_sess *f, *p;

	if (s->hello)
		return -EISCONN;
	if (q->len != XTCP_TOKEN_LEN)
		return -EINVAL;
	p = member_of(a, q->data, (uint32_t)q->arg[0], &f);
	if (!f || f->cred.uid != s->cred.uid)
		return -EACCES;
	if (!p)
		return -ESRCH;
	s->holds = calloc(f->nslots, sizeof(*s->holds));
	if (!s->holds)
		return -ENOMEM;
	s->leader = f;
	for (uint32_t i = 0; i < f->nslots; i++)
		if (p->holds[i])
			hold(s, i);
	s->id = ++f->next_id;
	s->hello = true;
	f->members++;
	rp->r.val[0] = (int32_t)f->nslots;
	rp->r.val[1] = (int32_t)s->id;
	rp->r.u64 = f->rg->size;
	return 0;
}

static void sess_free(struct apps *a, struct app_sess *s, uint64_t now)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		a->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	/* Its connections are reset: nobody is left to read or write. */
	for (uint32_t i = 0; s->socks && i < s->nslots; i++)
		if (s->socks[i])
			sock_free(a, s->socks[i], true, now);
	if (s->doorbell >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, s->doorbell, NULL);
		close(s->doorbell);
	}
	if (s->fd >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	if (s->rg)
		region_put(a, s->rg);
	free(s->socks);
	free(s->free_idx);
	free(s->holds);
	free(s->holders);
	a->st.sessions_closed++;
	log_debug("app session pid %d uid %u closed", (int)s->cred.pid,
		  s->cred.uid);
	free(s);
}

/*
 * A member's connection ended: its process let go of all it held (a socket
 * nobody else holds is reset: nobody is left to read or write). The session
 * ends with its last member; a leader whose forked members remain stays,
 * without a connection of its own (gone).
 */
static void sess_end(struct apps *a, struct app_sess *s, uint64_t now)
{
	struct app_sess *f = fam(s);

	for (uint32_t i = 0; s->holds && i < f->nslots; i++)
		if (s->holds[i])
			release(a, s, i, true, now);
	if (!s->hello) {
		sess_free(a, s, now);
		return;
	}
	f->members--;
	if (s != f) {
		sess_free(a, s, now);
		if (!f->members)
			sess_free(a, f, now);
		return;
	}
	if (!f->members) {
		sess_free(a, s, now);
		return;
	}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	s->dead = false;
	s->gone = true;
	log_debug("app session pid %d: its forked members remain",
		  (int)s->cred.pid);
}

/* Close any descriptor a client sent us: we take none. */
static void drop_fds(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[64];

		if (n > 64)
			n = 64;
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
	}
}

/* Serve what one session sent; false when it is gone. */
static bool sess_serve(struct apps *a, struct app_sess *s, uint64_t now)
{
	for (int k = 0; k < 64; k++) {
		union {
			struct xtcp_ipc_req q;
			uint8_t raw[sizeof(struct xtcp_ipc_req) + 1];
		} in;
		union {
			char buf[CMSG_SPACE(sizeof(int) * 64)];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { .iov_base = in.raw,
				     .iov_len = sizeof(in.raw) };
		struct msghdr m = { .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.buf,
				    .msg_controllen = sizeof(cm.buf) };
		struct xtcp_ipc_req q = { 0 };
		struct reply rp;
		ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		int ret;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0)
			return false;
		drop_fds(&m);
		a->st.requests++;
		memset(&rp, 0, sizeof(rp));
		rp.r.version = XTCP_IPC_VERSION;
		ret = (m.msg_flags & MSG_TRUNC) ?
			      -EINVAL :
			      apps_check_req(in.raw, (size_t)n, &q);
		if (!ret) {
			rp.r.op = q.op;
			rp.r.seq = q.seq;
			if (q.op == XTCP_OP_HELLO)
				ret = op_hello(a, s, &rp);
			else if (q.op == XTCP_OP_ATTACH)
				ret = op_attach(a, s, &q, &rp);
			else if (!s->hello)
				ret = -EPROTO;
			else
				ret = dispatch(a, s, &q, &rp, now);
		}
		if (ret && ret != -EINPROGRESS && ret != -EAGAIN)
			a->st.bad_requests++;
		rp.r.err = ret;
		if (ret && ret != -EINPROGRESS)
			rp.nfds = 0;
		/* What the request changed is in the slots before the app
		 * reads the reply (listen, then accept at once). */
		publish_dirty(a);
		/* A client that does not read its replies is dropped. */
		if (send_reply(s, &rp))
			return false;
		if ((q.op == XTCP_OP_HELLO || q.op == XTCP_OP_ATTACH) && ret)
			return false;
	}
	return true;
}

static void accept_sessions(struct apps *a)
{
	for (;;) {
		struct app_sess *s;
		socklen_t len = sizeof(struct ucred);
		int fd = accept4(a->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		s = calloc(1, sizeof(*s));
		if (!s) {
			close(fd);
			continue;
		}
		s->a = a;
		s->fd = fd;
		s->doorbell = -1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &s->cred, &len) ||
		    epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd,
			      &(struct epoll_event){
				      .events = EPOLLIN | EPOLLRDHUP,
				      .data.u64 = (uint64_t)(uintptr_t)s |
						  EP_SESS,
			      })) {
			close(fd);
			free(s);
			continue;
		}
		s->next = a->sessions;
		if (a->sessions)
			a->sessions->prev = s;
		a->sessions = s;
		a->st.sessions++;
		log_debug("app session pid %d uid %u", (int)s->cred.pid,
			  s->cred.uid);
	}
}

unsigned apps_handle(struct apps *a, uint64_t now)
{
	struct epoll_event ev[SESS_MAX_EVENTS];
	unsigned work = 0;
	int n;

	if (!a)
		return 0;
	n = epoll_wait(a->epfd, ev, SESS_MAX_EVENTS, 0);
	a->now = now;
	for (int i = 0; i < n; i++) {
		uint64_t u = ev[i].data.u64;
		enum ep_kind k = (enum ep_kind)(u & 3);
		struct app_sess *s = (struct app_sess *)(uintptr_t)(u & ~3ull);

		if (k == EP_LISTEN) {
			accept_sessions(a);
		} else if (k == EP_DOORBELL) {
			uint64_t v;

			a->st.doorbells++;
			if (read(s->doorbell, &v, sizeof(v)) < 0) {
				/* drained already */
			}
		} else if (k == EP_SESS) {
			s->dead = !sess_serve(a, s, now);
		}
		work++;
	}
	/* Sessions go only after the batch: a later event may name them.
	 * Ending one may free its leader too: start over after each. */
	for (struct app_sess *s = a->sessions; s;) {
		if (s->dead) {
			sess_end(a, s, now);
			s = a->sessions;
			continue;
		}
		s = s->next;
	}
	work += apps_run(a, now);
	return work;
}

/* --- life cycle ------------------------------------------------------- */

struct apps *apps_open(const char *path, mode_t mode,
		       const struct apps_env *env, int *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct apps *a = calloc(1, sizeof(*a));
	char dir[sizeof(sun.sun_path)];
	char *slash;

	*err = 0;
	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	a->env = *env;
	a->lfd = a->epfd = -1;
	bind_init(&a->binds);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*err = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	a->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->lfd < 0 || a->epfd < 0) {
		*err = -errno;
		goto fail;
	}
	/* A socket file left by a killed xtcpd: nobody answers on it. */
	if (connect(a->lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		*err = -EADDRINUSE;
		goto fail;
	}
	close(a->lfd);
	a->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	unlink(path);
	if (a->lfd < 0 || bind(a->lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, mode) || listen(a->lfd, 128) ||
	    epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->lfd,
		      &(struct epoll_event){ .events = EPOLLIN,
					     .data.u64 = EP_LISTEN })) {
		*err = -errno;
		goto fail;
	}
	return a;
fail:
	if (a->lfd >= 0)
		close(a->lfd);
	if (a->epfd >= 0)
		close(a->epfd);
	free(a);
	return NULL;
}

void apps_close(struct apps *a, uint64_t now)
{
	if (!a)
		return;
	while (a->sessions)
		sess_free(a, a->sessions, now);
	/* The engine frees what lingers later: its bindings go now. */
	for (unsigned i = 0; i < LINGER_BUCKETS; i++)
		for (struct linger_rec *l = a->lingers[i]; l; l = l->next)
			l->bind = NULL;
	bind_fini(&a->binds);
	close(a->lfd);
	close(a->epfd);
	unlink(a->path);
	a->lfd = a->epfd = -1;
	a->dirty = NULL;
}

void apps_free(struct apps *a)
{
	if (!a)
		return;
	/* Regions the engine still held (graceful closes) are freed now
	 * that the engine is gone. */
	while (a->regions) {
		struct region *rg = a->regions;

		a->regions = rg->next;
		region_destroy(rg);
	}
	for (unsigned i = 0; i < LINGER_BUCKETS; i++) {
		while (a->lingers[i]) {
			struct linger_rec *l = a->lingers[i];

			a->lingers[i] = l->next;
			free(l);
		}
	}
	for (unsigned i = 0; i < XDP_REF_BUCKETS; i++) {
		while (a->xdp_refs[i]) {
			struct xdp_ref *r = a->xdp_refs[i];

			a->xdp_refs[i] = r->next;
			free(r);
		}
	}
	free(a);
}

int apps_fd(const struct apps *a)
{
	return a ? a->epfd : -1;
}

const struct apps_stats *apps_stats(const struct apps *a)
{
	return &a->st;
}
