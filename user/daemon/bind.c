// SPDX-License-Identifier: BSD-2-Clause
/* Port bindings by the rules of tcp(4P) (see bind.h). */
#include "daemon/bind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void bind_init(struct bind_table *bt)
{
	memset(bt, 0, sizeof(*bt));
}

void bind_fini(struct bind_table *bt)
{
	for (uint32_t i = 0; i < BIND_HASH; i++)
		while (bt->tab[i])
			bind_remove(bt, bt->tab[i]);
}

static struct bind_ent **chain(struct bind_table *bt, uint16_t port)
{
	return &bt->tab[port % BIND_HASH];
}

bool bind_is_loopback(const struct ip_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (ip_addr_is_v4(a))
		return a->b[12] == 127;
	return !memcmp(a->b, v6lo, 16);
}

static bool is_wildcard(const struct ip_addr *a)
{
	return ip_addr_is_any(a);
}

/* The address families a binding of @r covers. */
static uint8_t space_of(const struct bind_req *r)
{
	if (ip_addr_is_v4(&r->addr))
		return BIND_V4;
	if (is_wildcard(&r->addr))
		return r->v6only ? BIND_V6 : BIND_V4 | BIND_V6;
	return BIND_V6;
}

int bind_check_addr(const struct bind_req *r, const struct ip_addr *local,
		    int n)
{
	bool v4 = ip_addr_is_v4(&r->addr);

	if (r->family == AF_INET && !v4)
		return -EAFNOSUPPORT;
	if (r->family == AF_INET6 && v4 && r->v6only)
		return -EINVAL;
	if (is_wildcard(&r->addr) || bind_is_loopback(&r->addr))
		return 0;
	for (int i = 0; i < n; i++)
		if (!memcmp(&local[i], &r->addr, sizeof(r->addr)))
			return 0;
	return -EADDRNOTAVAIL;
}

int bind_check_priv(uint16_t port, uint32_t uid, uint16_t nonpriv)
{
	if (port && port < nonpriv && uid != 0)
		return -EACCES;
	return 0;
}

static bool collides(const struct bind_ent *e, const struct bind_req *r,
		     uint8_t space, bool wild)
{
	if (!(e->space & space))
		return false; /* IPv4 against IPv6 only */
	/* SO_EXCLBIND wins over every other option; illumos exempts only
	 * endpoints past ESTABLISHED (a closed connection, finishing). */
	if ((e->exclbind || r->exclbind) && !e->closed)
		return true;
	/* SO_REUSEPORT (socket(7)): set on both before bind, same effective
	 * uid; any uid for a closed connection (Linux: TIME-WAIT). */
	if (e->reuseport && r->reuseport && (e->closed || e->uid == r->uid))
		return false;
	if (e->conn) {
		/* illumos tcp_bindi: with SO_REUSEADDR a connection never
		 * refuses; without it, overlapping addresses do. */
		if (r->reuseaddr)
			return false;
		return wild || e->wildcard ||
		       !memcmp(&e->addr, &r->addr, sizeof(r->addr));
	}
	if (wild && e->wildcard)
		return true;
	if (!wild && !e->wildcard)
		return !memcmp(&e->addr, &r->addr, sizeof(r->addr));
	/* One wildcard, one specific address: equal unless SO_REUSEADDR on
	 * the socket binding now. */
	return !r->reuseaddr;
}

int bind_conflict(const struct bind_table *bt, const struct bind_req *r,
		  uint16_t port)
{
	uint8_t space = space_of(r);
	bool wild = is_wildcard(&r->addr);

	for (const struct bind_ent *e = bt->tab[port % BIND_HASH]; e;
	     e = e->next)
		if (e->port == port && collides(e, r, space, wild))
			return -EADDRINUSE;
	return 0;
}

static int pick_port(struct bind_table *bt, const struct bind_req *r,
		     const struct bind_limits *lim,
		     bool (*taken)(void *arg, uint16_t port), void *arg,
		     uint16_t *out)
{
	uint32_t lo = lim->anon_lo, hi = lim->anon_hi, n;
	/* An ephemeral port is never shared (Linux: SO_REUSEPORT does not
	 * count when the kernel picks the port). */
	struct bind_req own = *r;

	own.reuseport = false;
	r = &own;
	if (!lo || lo > hi)
		return -EADDRINUSE;
	n = hi - lo + 1;
	if (bt->next_eph < lo || bt->next_eph > hi)
		bt->next_eph = lo;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t p = (uint16_t)bt->next_eph;

		bt->next_eph = p >= hi ? lo : p + 1u;
		if (bind_conflict(bt, r, p))
			continue;
		if (taken && taken(arg, p))
			continue;
		*out = p;
		return 0;
	}
	return -EADDRINUSE;
}

static void insert(struct bind_table *bt, struct bind_ent *e, void *owner)
{
	struct bind_ent **head = chain(bt, e->port);

	e->owner = owner;
	e->next = *head;
	if (e->next)
		e->next->pprev = &e->next;
	e->pprev = head;
	*head = e;
	bt->n++;
}

int bind_request(struct bind_table *bt, const struct bind_req *r,
		 const struct ip_addr *local, int nlocal,
		 const struct bind_limits *lim,
		 bool (*taken)(void *arg, uint16_t port), void *arg,
		 void *owner, struct bind_ent **out)
{
	struct bind_ent *e;
	uint16_t port = r->port;
	int ret;

	ret = bind_check_addr(r, local, nlocal);
	if (ret)
		return ret;
	ret = bind_check_priv(port, r->uid, lim->nonpriv);
	if (ret)
		return ret;
	if (port)
		ret = bind_conflict(bt, r, port);
	else
		ret = pick_port(bt, r, lim, taken, arg, &port);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOBUFS;
	e->addr = r->addr;
	e->port = port;
	e->space = space_of(r);
	e->wildcard = is_wildcard(&r->addr);
	e->reuseaddr = r->reuseaddr;
	e->exclbind = r->exclbind;
	e->v6only = r->v6only;
	e->reuseport = r->reuseport;
	e->uid = r->uid;
	insert(bt, e, owner);
	*out = e;
	return 0;
}

struct bind_ent *bind_add_conn(struct bind_table *bt,
			       const struct ip_addr *addr, uint16_t port,
			       const struct bind_ent *like, void *owner)
{
	struct bind_ent *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	*e = *like;
	e->addr = *addr;
	e->port = port;
	e->space = ip_addr_is_v4(addr) ? BIND_V4 : BIND_V6;
	e->wildcard = false;
	e->conn = true;
	e->closed = false;
	insert(bt, e, owner);
	return e;
}

void bind_remove(struct bind_table *bt, struct bind_ent *e)
{
	if (!e)
		return;
	*e->pprev = e->next;
	if (e->next)
		e->next->pprev = e->pprev;
	bt->n--;
	free(e);
}
