// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine object: connection tables, timers, TCB life cycle, and the
 * socket calls made on behalf of applications.
 */
#include "stack/tcb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CONN_TAB_INIT 1024
#define LISTEN_TAB_SIZE 256
#define RING_MIN 4096

static const char *const state_names[TCPS_NSTATES] = {
	[TCPS_CLOSED] = "CLOSED",	    [TCPS_LISTEN] = "LISTEN",
	[TCPS_SYN_SENT] = "SYN_SENT",	    [TCPS_SYN_RECEIVED] = "SYN_RCVD",
	[TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCPS_FIN_WAIT_2] = "FIN_WAIT_2",   [TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPS_CLOSING] = "CLOSING",	    [TCPS_LAST_ACK] = "LAST_ACK",
	[TCPS_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCPS_NSTATES ? state_names[s] : "?";
}

/* splitmix64: the engine's only source of randomness, seeded by the caller. */
uint64_t eng_rand(struct engine *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A budget of @limit events per second (RFC 5961 7, tcp_rst_sent_rate). */
bool eng_rate_ok(uint64_t *start, uint32_t *count, uint32_t limit, uint64_t now)
{
	if (now - *start >= 1000000) {
		*start = now;
		*count = 0;
	}
	if (*count >= limit)
		return false;
	(*count)++;
	return true;
}

/* --- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint32_t tuple_hash(const struct engine *e, const struct ip_addr *la,
			   uint16_t lp, const struct ip_addr *fa, uint16_t fp)
{
	uint64_t k0, k1, w[4], h;

	memcpy(&k0, e->hash_key, 8);
	memcpy(&k1, e->hash_key + 8, 8);
	memcpy(w, la->b + 8, 8); /* the low halves carry IPv4 entirely */
	memcpy(w + 1, fa->b + 8, 8);
	memcpy(w + 2, la->b, 8);
	memcpy(w + 3, fa->b, 8);
	h = mix64(k0 ^ w[0]);
	h = mix64(h ^ w[1] ^ k1);
	h = mix64(h ^ w[2] ^ ((uint64_t)lp << 16 | fp));
	h = mix64(h ^ w[3]);
	return (uint32_t)h;
}

uint32_t eng_ts_offset(const struct engine *e, const struct tcb *t)
{
	/* Like Linux: random per connection, so TSval reveals no uptime and
	 * the clocks of connections cannot be compared; keyed, so one
	 * 4-tuple keeps its offset (RFC 7323 5.4, 7.1). */
	return (uint32_t)mix64((uint64_t)tuple_hash(e, &t->laddr, t->lport,
						    &t->faddr, t->fport) ^
			       0x7473766c6f666673ull);
}

static bool tuple_eq(const struct tcb *t, const struct ip_addr *la, uint16_t lp,
		     const struct ip_addr *fa, uint16_t fp)
{
	return t->lport == lp && t->fport == fp &&
	       !memcmp(&t->laddr, la, sizeof(*la)) &&
	       !memcmp(&t->faddr, fa, sizeof(*fa));
}

static const struct ip_addr any_addr;

static int conn_grow(struct engine *e)
{
	uint32_t nsize = (e->conn_mask + 1) * 2;
	struct tcb **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (uint32_t i = 0; i <= e->conn_mask; i++) {
		struct tcb *t = e->conn_tab[i], *next;

		for (; t; t = next) {
			uint32_t h = tuple_hash(e, &t->laddr, t->lport,
						&t->faddr, t->fport) &
				     (nsize - 1);

			next = t->hnext;
			t->hnext = nt[h];
			nt[h] = t;
		}
	}
	free(e->conn_tab);
	e->conn_tab = nt;
	e->conn_mask = nsize - 1;
	return 0;
}

int conn_insert(struct engine *e, struct tcb *t)
{
	uint32_t h;

	/* Grow at load factor 1; a failed grow only costs longer chains. */
	if (e->nconn > e->conn_mask)
		(void)conn_grow(e);
	h = tuple_hash(e, &t->laddr, t->lport, &t->faddr, t->fport) &
	    e->conn_mask;
	t->hnext = e->conn_tab[h];
	e->conn_tab[h] = t;
	e->nconn++;
	return 0;
}

static void conn_remove(struct engine *e, struct tcb *t)
{
	uint32_t h = tuple_hash(e, &t->laddr, t->lport, &t->faddr, t->fport) &
		     e->conn_mask;
	struct tcb **pp = &e->conn_tab[h];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			t->hnext = NULL;
			e->nconn--;
			return;
		}
	}
	assert(!"tcb not in the connection table");
}

struct tcb *conn_lookup(struct engine *e, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *faddr,
			uint16_t fport)
{
	uint32_t h = tuple_hash(e, laddr, lport, faddr, fport) & e->conn_mask;

	for (struct tcb *t = e->conn_tab[h]; t; t = t->hnext)
		if (tuple_eq(t, laddr, lport, faddr, fport))
			return t;
	return NULL;
}

static struct tcb **listen_slot(struct engine *e, const struct ip_addr *laddr,
				uint16_t lport)
{
	uint32_t h = tuple_hash(e, laddr, lport, &any_addr, 0) & e->listen_mask;
	struct tcb **pp = &e->listen_tab[h];

	for (; *pp; pp = &(*pp)->hnext)
		if (tuple_eq(*pp, laddr, lport, &any_addr, 0))
			break;
	return pp;
}

/* Does listener @t on (@key, @lport) take a segment (IPv4 if @v4)? */
static bool listen_takes(const struct tcb *t, const struct ip_addr *key,
			 uint16_t lport, bool v4)
{
	/* IPV6_V6ONLY (RFC 3493 5.3): the IPv6 wildcard takes no IPv4. */
	return tuple_eq(t, key, lport, &any_addr, 0) && !(v4 && t->opts.v6only);
}

/*
 * One of the listeners on (@key, @lport) for a segment from (@fa, @fp) to
 * (@la, @lport). Several share it only with SO_REUSEPORT: like Linux, the
 * 4-tuple's hash scaled to their number picks one, so a tuple always
 * finds the same listener while the group stays as it is, and tuples
 * spread over all of them.
 */
static struct tcb *listen_pick(struct engine *e, const struct ip_addr *key,
			       const struct ip_addr *la, uint16_t lport,
			       const struct ip_addr *fa, uint16_t fp)
{
	struct tcb *head = *listen_slot(e, key, lport), *t;
	bool v4 = ip_addr_is_v4(la);
	uint32_t n = 0, i;

	for (t = head; t; t = t->hnext)
		n += listen_takes(t, key, lport, v4);
	if (n <= 1)
		i = 0;
	else
		i = (uint32_t)(((uint64_t)tuple_hash(e, la, lport, fa, fp) *
				n) >>
			       32);
	for (t = head; t; t = t->hnext)
		if (listen_takes(t, key, lport, v4) && !i--)
			return t;
	return NULL;
}

/* The listener for a segment: exact address, then wildcard. */
struct tcb *listen_lookup(struct engine *e, const struct ip_addr *laddr,
			  uint16_t lport, const struct ip_addr *faddr,
			  uint16_t fport)
{
	struct tcb *t = listen_pick(e, laddr, laddr, lport, faddr, fport);

	if (t)
		return t;
	/* An AF_INET wildcard listener first, as Linux scores it higher. */
	if (ip_addr_is_v4(laddr)) {
		struct ip_addr v4any = { .b = { [10] = 0xff, [11] = 0xff } };

		t = listen_pick(e, &v4any, laddr, lport, faddr, fport);
		if (t)
			return t;
	}
	return listen_pick(e, &any_addr, laddr, lport, faddr, fport);
}

/* --- engine ------------------------------------------------------------- */

static void *default_alloc(void *user, size_t size)
{
	return malloc(size);
}

static void default_free(void *user, void *mem, size_t size)
{
	free(mem);
}

struct engine *eng_create(const struct engine_config *cfg,
			  const struct engine_ops *ops, void *user)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ops = *ops;
	if (!e->ops.buf_alloc || !e->ops.buf_free) {
		e->ops.buf_alloc = default_alloc;
		e->ops.buf_free = default_free;
	}
	e->user = user;
	e->tun = cfg->tun;
	e->rng = cfg->seed;
	for (int i = 0; i < 2; i++) {
		uint64_t r = eng_rand(e);

		memcpy(e->hash_key + 8 * i, &r, 8);
	}
	isn_init(&e->isn, (enum isn_mode)e->tun.tcp_strong_iss, cfg->isn_key,
		 cfg->seed);
	cc_init_builtin();
	e->conn_tab = calloc(CONN_TAB_INIT, sizeof(*e->conn_tab));
	e->listen_tab = calloc(LISTEN_TAB_SIZE, sizeof(*e->listen_tab));
	if (!e->conn_tab || !e->listen_tab || th_init(&e->timers, 1024))
		goto err;
	e->conn_mask = CONN_TAB_INIT - 1;
	e->listen_mask = LISTEN_TAB_SIZE - 1;
	e->next_ephemeral = (uint16_t)e->tun.tcp_smallest_anon_port;
	return e;
err:
	free(e->conn_tab);
	free(e->listen_tab);
	free(e);
	return NULL;
}

void eng_destroy(struct engine *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i <= e->conn_mask; i++) {
		struct tcb *t = e->conn_tab[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			tcb_free(t);
		}
	}
	for (uint32_t i = 0; i <= e->listen_mask; i++) {
		struct tcb *t = e->listen_tab[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			tcb_free(t);
		}
	}
	th_free(&e->timers);
	free(e->conn_tab);
	free(e->listen_tab);
	free(e);
}

struct tunables *eng_tunables(struct engine *e)
{
	return &e->tun;
}

const struct tcp_stats *eng_stats(const struct engine *e)
{
	return &e->stats;
}

void eng_count_bad_wire(struct engine *e, int wire_err)
{
	if (wire_err < 0)
		wire_err = -wire_err;
	if ((unsigned)wire_err <
	    sizeof(e->stats.in_bad_wire) / sizeof(e->stats.in_bad_wire[0]))
		e->stats.in_bad_wire[wire_err]++;
	e->stats.tcpInErrs++;
}

void eng_default_opts(const struct engine *e, struct sock_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rto_initial_ms = e->tun.tcp_rexmit_interval_initial;
	o->rto_min_ms = e->tun.tcp_rexmit_interval_min;
	o->rto_max_ms = e->tun.tcp_rexmit_interval_max;
	o->conn_abort_ms = e->tun.tcp_ip_abort_cinterval;
	o->abort_ms = e->tun.tcp_ip_abort_interval;
	o->sndbuf = e->tun.tcp_xmit_hiwat;
	o->rcvbuf = e->tun.tcp_recv_hiwat;
	o->linger2_ms = e->tun.tcp_fin_wait_2_flush_interval;
	o->ttl = 64;
	sockopts_defaults_ext(e, o);
}

/* --- timers ------------------------------------------------------------- */

void tcb_timer_resched(struct tcb *t)
{
	uint64_t min = TT_OFF;

	for (int i = 0; i < TT_MAX; i++)
		if (t->deadline[i] < min)
			min = t->deadline[i];
	if (min == TT_OFF) {
		th_cancel(&t->eng->timers, &t->th);
	} else if (!th_queued(&t->th) || t->th.deadline != min) {
		/* Growing the heap can fail only past its initial capacity;
		 * the tcb then keeps its old slot, and fires early at worst. */
		(void)th_schedule(&t->eng->timers, &t->th, min);
	}
}

void tcb_timer_set(struct tcb *t, enum tcb_timer which, uint64_t deadline)
{
	assert(which < TT_MAX);
	t->deadline[which] = deadline;
	tcb_timer_resched(t);
}

void tcb_timer_clear(struct tcb *t, enum tcb_timer which)
{
	if (t->deadline[which] == TT_OFF)
		return;
	t->deadline[which] = TT_OFF;
	tcb_timer_resched(t);
}

uint64_t eng_next_deadline(const struct engine *e)
{
	return th_next(&e->timers);
}

void eng_timers(struct engine *e, uint64_t now)
{
	struct th_entry *ent;

	while ((ent = th_pop_expired(&e->timers, now))) {
		struct tcb *t =
			(struct tcb *)((char *)ent - offsetof(struct tcb, th));

		tcb_timers_fire(t, now);
	}
}

/* --- tcb life cycle ----------------------------------------------------- */

struct tcb *tcb_new(struct engine *e, const struct sock_opts *o, int *err)
{
	struct tcb *t = calloc(1, sizeof(*t));

	if (!t) {
		*err = -ENOBUFS;
		return NULL;
	}
	t->eng = e;
	t->opts = *o;
	for (int i = 0; i < TT_MAX; i++)
		t->deadline[i] = TT_OFF;
	ooo_init(&t->ooo);
	rtt_init(&t->rtt, o->rto_initial_ms * 1000, o->rto_min_ms * 1000,
		 o->rto_max_ms * 1000);
	trace_init(t);
	return t;
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = RING_MIN;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The buffers' sizes are fixed when the connection starts (RFC 7323 2.2: the
 * window scale is chosen at SYN time, and with it the largest window); their
 * memory comes when first needed, so an idle connection holds none.
 */
int tcb_alloc_buffers(struct tcb *t)
{
	t->sndbuf_limit = t->opts.sndbuf;
	t->rcvbuf_limit = t->opts.rcvbuf;
	return 0;
}

int tcb_ring_ensure(struct tcb *t, struct ring *r, uint32_t limit)
{
	struct engine *e = t->eng;
	uint32_t sz;
	void *m;

	if (r->buf)
		return 0;
	assert(ring_used(r) == 0);
	sz = pow2_at_least(limit);
	m = e->ops.buf_alloc(e->user, sz);
	if (!m)
		return -ENOBUFS;
	ring_init(r, m, sz);
	return 0;
}

void tcb_free(struct tcb *t)
{
	struct engine *e = t->eng;

	th_cancel(&e->timers, &t->th);
	if (t->defer_idx)
		e->deferred[t->defer_idx - 1] = NULL;
	if (t->sndbuf.buf)
		e->ops.buf_free(e->user, t->sndbuf.buf, t->sndbuf.size);
	if (t->rcvbuf.buf)
		e->ops.buf_free(e->user, t->rcvbuf.buf, t->rcvbuf.size);
	if (t->cc.ops)
		cc_conn_release(&t->cc);
	free(t);
}

void tcb_event(struct tcb *t, unsigned ev)
{
	if (t->eng->ops.event && !(t->flags & TF_USER_CLOSED))
		t->eng->ops.event(t->eng->user, t, ev);
}

void tcb_set_state(struct tcb *t, enum tcp_state s, uint64_t now)
{
	assert(s != TCPS_CLOSED); /* tcb_closed() ends connections */
	t->state = s;
}

/* Unlink a child from its listener's SYN queue or accept queue. */
static void child_unlink(struct tcb *t)
{
	struct tcb *l = t->listener, **pp;

	if (!l)
		return;
	if (!(t->flags & TF_ACCEPTED)) {
		for (pp = &l->acceptq; *pp; pp = &(*pp)->q_next) {
			if (*pp == t) {
				*pp = t->q_next;
				if (l->acceptq_tail == t) {
					l->acceptq_tail = NULL;
					for (struct tcb *q = l->acceptq; q;
					     q = q->q_next)
						l->acceptq_tail = q;
				}
				l->qlen--;
				break;
			}
		}
	}
	if (t->state == TCPS_SYN_RECEIVED && l->q0len)
		l->q0len--;
	t->listener = NULL;
}

void tcb_closed(struct tcb *t, int err, uint64_t now)
{
	struct engine *e = t->eng;
	enum tcp_state old = t->state;
	bool in_queue = t->listener && !(t->flags & TF_ACCEPTED);

	trace_closed(t, err, now);
	if (err) {
		t->so_error = err < 0 ? -err : err;
		if (old == TCPS_ESTABLISHED || old == TCPS_CLOSE_WAIT)
			e->stats.tcpEstabResets++;
		if (old == TCPS_SYN_SENT || old == TCPS_SYN_RECEIVED)
			e->stats.tcpAttemptFails++;
	}
	if (t->listener)
		child_unlink(t);
	if (old != TCPS_CLOSED && old != TCPS_LISTEN)
		conn_remove(e, t);
	t->state = TCPS_CLOSED;
	for (int i = 0; i < TT_MAX; i++)
		t->deadline[i] = TT_OFF;
	th_cancel(&e->timers, &t->th);

	/* Nobody holds a child still queued on its listener, nor a tcb
	 * whose application is gone: free it now. */
	if (in_queue || (t->flags & TF_USER_CLOSED)) {
		tcb_free(t);
		return;
	}
	tcb_event(t,
		  EV_CLOSED | (err ? EV_ERROR | EV_READABLE | EV_WRITABLE : 0));
}

/* --- socket calls ------------------------------------------------------- */

struct tcb *eng_listen(struct engine *e, const struct ip_addr *laddr,
		       uint16_t lport, uint32_t backlog,
		       const struct sock_opts *o, int *err)
{
	struct tcb **slot, *t;

	if (!lport) {
		*err = -EINVAL;
		return NULL;
	}
	slot = listen_slot(e, laddr, lport);
	/* Only listeners that all have SO_REUSEPORT share (the first has it
	 * if every one has). */
	if (*slot && !(o->reuseport && (*slot)->opts.reuseport)) {
		*err = -EADDRINUSE;
		return NULL;
	}
	/* After the listeners already there: their order decides the pick. */
	while (*slot)
		slot = &(*slot)->hnext;
	t = tcb_new(e, o, err);
	if (!t)
		return NULL;
	t->laddr = *laddr;
	t->lport = lport;
	t->state = TCPS_LISTEN;
	/* listen(2): the backlog is capped by tcp_conn_req_max_q, and a
	 * backlog of 0 still accepts one connection. */
	t->backlog = backlog ? backlog : 1;
	if (t->backlog > e->tun.tcp_conn_req_max_q)
		t->backlog = e->tun.tcp_conn_req_max_q;
	t->hnext = NULL;
	*slot = t;
	e->nlisten++;
	*err = 0;
	return t;
}

struct tcb *eng_accept(struct tcb *l, int *err)
{
	struct tcb *t = l->acceptq;

	if (l->state != TCPS_LISTEN) {
		*err = -EINVAL;
		return NULL;
	}
	if (!t) {
		*err = -EAGAIN;
		return NULL;
	}
	l->acceptq = t->q_next;
	if (!l->acceptq)
		l->acceptq_tail = NULL;
	l->qlen--;
	t->q_next = NULL;
	t->flags |= TF_ACCEPTED;
	t->listener = NULL;
	*err = 0;
	return t;
}

static int pick_ephemeral(struct engine *e, const struct ip_addr *laddr,
			  const struct ip_addr *faddr, uint16_t fport,
			  uint16_t *out)
{
	uint32_t lo = e->tun.tcp_smallest_anon_port;
	uint32_t hi = e->tun.tcp_largest_anon_port;
	uint32_t n = hi - lo + 1;

	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = e->next_ephemeral;

		e->next_ephemeral = p >= hi ? (uint16_t)lo : (uint16_t)(p + 1);
		if (p < lo || p > hi)
			continue;
		if (!conn_lookup(e, laddr, p, faddr, fport) &&
		    !listen_lookup(e, laddr, p, faddr, fport)) {
			*out = p;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* The congestion control a new connection uses: its own, or the system's. */
static void tcb_cc_start(struct tcb *t)
{
	const struct cc_ops *ops = NULL;
	struct engine *e = t->eng;
	uint32_t iw = cc_initial_window(t->smss);

	if (t->opts.cc[0])
		ops = cc_find(t->opts.cc);
	if (!ops)
		ops = cc_find(e->tun.congestion_control);
	if (!ops)
		ops = cc_newreno();
	/* illumos: tcp_slow_start_initial segments, within RFC 3390, unless
	 * TCP_INIT_CWND asks otherwise (privilege checked by the caller). */
	if (t->opts.init_cwnd)
		iw = t->opts.init_cwnd * t->smss;
	else if (e->tun.tcp_slow_start_initial &&
		 e->tun.tcp_slow_start_initial * t->smss < iw)
		iw = e->tun.tcp_slow_start_initial * t->smss;
	cc_conn_init(&t->cc, ops, t->smss, iw);
}

void tcb_established(struct tcb *t, uint64_t now)
{
	/* RFC 6298 5.7: the timer expired awaiting the ACK of our SYN and
	 * no RTT was measured: data transmission begins with an RTO of (at
	 * least) 3 s, not the backed-off one nor the 1 s initial one. */
	if (!t->rtt.has_sample &&
	    (t->rtt.backoff || (t->flags & TF_REXMIT_EPISODE))) {
		uint32_t rto = 3000000;

		if (rto < t->rtt.rto_min_us)
			rto = t->rtt.rto_min_us;
		if (rto > t->rtt.rto_max_us)
			rto = t->rtt.rto_max_us;
		if (t->rtt.rto_us < rto)
			t->rtt.rto_us = rto;
		t->rtt.backoff = 0;
	}
	/* RFC 9293 3.10.4: a CLOSE before the handshake completed was
	 * queued "for processing after entering ESTABLISHED state". */
	tcb_set_state(t,
		      (t->flags & TF_FIN_QUEUED) ? TCPS_FIN_WAIT_1 :
						   TCPS_ESTABLISHED,
		      now);
	tcb_cc_start(t);
	keep_start(t, now);
}

struct tcb *eng_connect(struct engine *e, const struct ip_addr *laddr,
			uint16_t lport, const struct ip_addr *faddr,
			uint16_t fport, const struct sock_opts *o, uint64_t now,
			int *err)
{
	struct tcb *t;
	int ret;

	if (!fport || ip_addr_is_any(faddr)) {
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	if (!lport) {
		ret = pick_ephemeral(e, laddr, faddr, fport, &lport);
		if (ret) {
			*err = ret;
			return NULL;
		}
	} else if (conn_lookup(e, laddr, lport, faddr, fport)) {
		*err = -EADDRINUSE;
		return NULL;
	}
	t = tcb_new(e, o, err);
	if (!t)
		return NULL;
	if ((ret = tcb_alloc_buffers(t))) {
		*err = ret;
		tcb_free(t);
		return NULL;
	}
	t->laddr = *laddr;
	t->lport = lport;
	t->faddr = *faddr;
	t->fport = fport;
	t->iss = isn_next(&e->isn, laddr, lport, faddr, fport, now);
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->recover = t->iss;
	t->state = TCPS_SYN_SENT;
	t->ts_offset = eng_ts_offset(e, t);
	tcp_choose_offer(t);
	tcp_set_smss(t, 0);
	conn_insert(e, t);
	e->stats.tcpActiveOpens++;
	t->rexmit_start = now;
	tcp_output(t, now);
	*err = 0;
	return t;
}

long eng_send(struct tcb *t, const void *buf, size_t len, unsigned flags,
	      uint64_t now)
{
	uint32_t room, n;

	if (t->so_error) {
		int err = t->so_error;

		t->so_error = 0;
		return -err;
	}
	switch (t->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_LISTEN:
		return -ENOTCONN;
	case TCPS_CLOSED:
		/* A tcb is only CLOSED after a connection (attempt) ended:
		 * POSIX send() says EPIPE, "connection-mode and no longer
		 * connected", once the error itself was reported above. */
		return -EPIPE;
	default:
		return -EPIPE; /* our side is shut: FIN sent or queued */
	}
	if (t->flags & TF_FIN_QUEUED)
		return -EPIPE;
	t->x.more = flags & SEND_MORE;
	if (!len)
		return 0;
	room = ring_used(&t->sndbuf) < t->sndbuf_limit ?
		       t->sndbuf_limit - ring_used(&t->sndbuf) :
		       0;
	if (!room)
		return -EAGAIN;
	n = len < room ? (uint32_t)len : room;
	if (tcb_ring_ensure(t, &t->sndbuf, t->sndbuf_limit))
		return -ENOBUFS;
	n = ring_write(&t->sndbuf, buf, n);
	if (flags & SEND_OOB)
		urg_send_mark(t, n);
	if (t->state != TCPS_SYN_SENT && t->state != TCPS_SYN_RECEIVED)
		tcp_output(t, now);
	return n;
}

/*
 * The application took @n bytes from the receive buffer. Window update
 * (RFC 9293 3.8.6.2.2): tell the peer once the window opens by two
 * segments or half the buffer, and always when it was closed (else the
 * peer waits on its persist timer).
 */
void tcb_rcv_consume(struct tcb *t, uint32_t n, uint64_t now)
{
	uint32_t old_wnd =
		seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t new_wnd;

	ring_consume(&t->rcvbuf, n);
	new_wnd = tcp_rcv_window(t);
	if (t->state != TCPS_CLOSED && t->state != TCPS_TIME_WAIT &&
	    !(t->flags & TF_RCVD_FIN) &&
	    (new_wnd >= old_wnd + 2 * t->rmss ||
	     new_wnd >= old_wnd + t->rcvbuf_limit / 2 ||
	     (old_wnd == 0 && new_wnd > 0))) {
		t->flags |= TF_ACKNOW;
		tcp_output(t, now);
	}
}

long eng_recv(struct tcb *t, void *buf, size_t len, unsigned flags,
	      uint64_t now)
{
	uint32_t avail, n, skip;

	if (flags & RECV_OOB)
		return urg_recv_oob(t, buf, len, flags);
	/* Reads stop at the urgent mark and skip an out-of-band byte. */
	avail = urg_recv_limit(t, ring_used(&t->rcvbuf), &skip,
			       !(flags & RECV_PEEK));
	if (!avail) {
		if (t->so_error) {
			int err = t->so_error;

			t->so_error = 0;
			return -err;
		}
		if (t->flags & (TF_RCVD_FIN | TF_SHUT_RD))
			return 0;
		if (t->state == TCPS_CLOSED)
			return 0;
		if (t->state == TCPS_LISTEN || t->state == TCPS_SYN_SENT)
			return t->state == TCPS_LISTEN ? -ENOTCONN : -EAGAIN;
		return -EAGAIN;
	}
	n = len < avail ? (uint32_t)len : avail;
	if (flags & RECV_PEEK)
		return ring_peek(&t->rcvbuf, skip, buf, n);
	ring_peek(&t->rcvbuf, 0, buf, n);
	tcb_rcv_consume(t, n, now);
	return n;
}

int eng_shutdown(struct tcb *t, int how, uint64_t now)
{
	if (how < 0 || how > 2)
		return -EINVAL;
	if (t->state == TCPS_LISTEN || t->state == TCPS_CLOSED)
		return -ENOTCONN;
	if (how == 0 || how == 2)
		t->flags |= TF_SHUT_RD;
	if (how == 1 || how == 2) {
		if (t->flags & TF_FIN_QUEUED)
			return 0;
		t->flags |= TF_FIN_QUEUED;
		/* RFC 9293 3.10.4 CLOSE: the FIN follows all queued data. */
		if (t->state == TCPS_ESTABLISHED)
			tcb_set_state(t, TCPS_FIN_WAIT_1, now);
		else if (t->state == TCPS_CLOSE_WAIT)
			tcb_set_state(t, TCPS_LAST_ACK, now);
		/* In SYN-SENT and SYN-RECEIVED the FIN waits for
		 * ESTABLISHED (3.10.4): tcb_established() takes it up. */
		tcp_output(t, now);
	}
	return 0;
}

static void listener_close(struct tcb *l, uint64_t now)
{
	struct engine *e = l->eng;
	struct tcb **slot = listen_slot(e, &l->laddr, l->lport);
	struct tcb *c;

	/* Connections nobody accepted are reset (RFC 9293 3.10.4 LISTEN). */
	while ((c = l->acceptq)) {
		c->flags |= TF_USER_CLOSED;
		tcp_send_rst(c, now);
		tcb_closed(c, -ECONNRESET, now);
	}
	/* Children still in SYN-RECEIVED point to the listener: walk the table. */
	for (uint32_t i = 0; i <= e->conn_mask; i++) {
		struct tcb *t = e->conn_tab[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			if (t->listener == l) {
				t->flags |= TF_USER_CLOSED;
				tcp_send_rst(t, now);
				tcb_closed(t, -ECONNRESET, now);
				/* The chain may have changed under us. */
				next = e->conn_tab[i];
			}
		}
	}
	/* Others may share its address and port (SO_REUSEPORT): they go on
	 * with their own queues and connections. */
	while (*slot != l) {
		assert(*slot);
		slot = &(*slot)->hnext;
	}
	*slot = l->hnext;
	e->nlisten--;
	tcb_free(l);
}

void eng_close(struct tcb *t, bool abort, uint64_t now)
{
	assert(!(t->flags & TF_USER_CLOSED));
	/* SO_LINGER with a zero linger time: close is an abort. */
	if (t->opts.linger_on && !t->opts.linger_s)
		abort = true;
	if (t->state == TCPS_LISTEN) {
		listener_close(t, now);
		return;
	}
	t->flags |= TF_USER_CLOSED;
	switch (t->state) {
	case TCPS_CLOSED:
		tcb_free(t);
		return;
	case TCPS_SYN_SENT:
		tcb_closed(t, 0, now);
		return;
	default:
		break;
	}
	/* Data the application never read means it did not get everything:
	 * reset so the peer knows (RFC 9293 3.10.4 / RFC 2525 2.17). */
	if (abort || ring_used(&t->rcvbuf)) {
		if (t->state != TCPS_TIME_WAIT)
			tcp_send_rst(t, now);
		tcb_closed(t, 0, now);
		return;
	}
	if (t->state == TCPS_TIME_WAIT || t->state == TCPS_CLOSING ||
	    t->state == TCPS_LAST_ACK)
		return;
	eng_shutdown(t, 1, now);
	/* An orphan in FIN-WAIT-2 must not linger forever (tcp(4P)). */
	if (t->state == TCPS_FIN_WAIT_2 && t->opts.linger2_ms)
		tcb_timer_set(t, TT_FINWAIT2,
			      now + (uint64_t)t->opts.linger2_ms * 1000);
}

/* --- socket state ------------------------------------------------------- */

enum tcp_state tcb_state(const struct tcb *t)
{
	return t->state;
}

int tcb_take_error(struct tcb *t)
{
	int err = t->so_error;

	t->so_error = 0;
	return err;
}

uint32_t tcb_readable(const struct tcb *t)
{
	return ring_used(&t->rcvbuf) - urg_hidden(t);
}

uint32_t tcb_writable(const struct tcb *t)
{
	uint32_t used = ring_used(&t->sndbuf);

	return used < t->sndbuf_limit ? t->sndbuf_limit - used : 0;
}

bool tcb_eof(const struct tcb *t)
{
	return (t->flags & TF_RCVD_FIN) && !ring_used(&t->rcvbuf);
}

void tcb_set_user(struct tcb *t, void *user)
{
	t->user = user;
}

void *tcb_user(const struct tcb *t)
{
	return t->user;
}

void tcb_addrs(const struct tcb *t, struct ip_addr *laddr, uint16_t *lport,
	       struct ip_addr *faddr, uint16_t *fport)
{
	*laddr = t->laddr;
	*lport = t->lport;
	*faddr = t->faddr;
	*fport = t->fport;
}

void tcb_get_info(const struct tcb *t, struct tcb_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = t->state;
	info->snd_una = t->snd_una;
	info->snd_nxt = t->snd_nxt;
	info->rcv_nxt = t->rcv_nxt;
	info->snd_wnd = t->snd_wnd;
	info->rcv_wnd =
		seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	info->cwnd = t->cc.cwnd;
	info->ssthresh = t->cc.ssthresh;
	info->smss = t->smss;
	info->rmss = t->rmss;
	info->srtt_us = t->rtt.srtt_us;
	info->rttvar_us = t->rtt.rttvar_us;
	info->rto_us = rtt_rto(&t->rtt);
	info->backoff = t->rtt.backoff;
	info->total_retrans = t->total_retrans;
	info->bytes_acked = t->bytes_acked;
	info->bytes_received = t->bytes_received;
	info->segs_out = t->segs_out;
	info->segs_in = t->segs_in;
	if (t->cc.ops)
		memcpy(info->cc, t->cc.ops->name,
		       strnlen(t->cc.ops->name, CC_NAME_MAX - 1));
	info->options = ((t->opt_on & TO_TS) ? TCPI_OPT_TIMESTAMPS : 0) |
			((t->opt_on & TO_SACK) ? TCPI_OPT_SACK : 0) |
			((t->opt_on & TO_WS) ? TCPI_OPT_WSCALE : 0) |
			((t->opt_on & TO_ECN) ? TCPI_OPT_ECN : 0);
	info->snd_wscale = t->snd_wscale;
	info->rcv_wscale = t->rcv_wscale;
}

void eng_foreach(struct engine *e, void (*fn)(void *arg, const struct tcb *t),
		 void *arg)
{
	for (uint32_t i = 0; i <= e->listen_mask; i++)
		for (struct tcb *t = e->listen_tab[i]; t; t = t->hnext)
			fn(arg, t);
	for (uint32_t i = 0; i <= e->conn_mask; i++)
		for (struct tcb *t = e->conn_tab[i]; t; t = t->hnext)
			fn(arg, t);
}

void eng_input(struct engine *e, const struct pkt *p, uint64_t now)
{
	tcp_input(e, p, now);
}

/* --- batched input (engine.h, eng_batch_begin) -------------------------- */

void eng_batch_begin(struct engine *e)
{
	assert(!e->batching && !e->ndeferred);
	e->batching = true;
}

void tcb_output_after_input(struct tcb *t, uint64_t now)
{
	struct engine *e = t->eng;

	/* Out-of-order data wants its duplicate ACK now (RFC 5681 4.2):
	 * only in-order progress waits. */
	if (!e->batching || !ooo_empty(&t->ooo) ||
	    (!t->defer_idx && e->ndeferred == ENG_BATCH_MAX)) {
		tcp_output(t, now);
		return;
	}
	if (!t->defer_idx) {
		e->deferred[e->ndeferred++] = t;
		t->defer_idx = e->ndeferred;
	}
}

void eng_batch_end(struct engine *e, uint64_t now)
{
	e->batching = false;
	/* tcp_output may free nothing here, but a tcb freed earlier in the
	 * batch left NULL in its place (tcb_free). */
	for (uint32_t i = 0; i < e->ndeferred; i++) {
		struct tcb *t = e->deferred[i];

		if (!t)
			continue;
		t->defer_idx = 0;
		e->deferred[i] = NULL;
		tcp_output(t, now);
	}
	e->ndeferred = 0;
}
