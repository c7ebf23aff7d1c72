/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The socket layer's port bindings, by the rules of tcp(4P) "Listening And
 * Connecting". Pure: no system call, no engine; the daemon passes in the
 * interface's addresses (netlink) and the peer's uid (SO_PEERCRED).
 *
 * - IPv4 INADDR_ANY and the IPv6 unspecified address compare equal to any
 *   address: a socket bound to (any, N) keeps every other socket off port
 *   N, and the other way round.
 * - With SO_REUSEADDR on the socket doing the bind, a wildcard compares
 *   equal only to a wildcard: two sockets may share a port unless both are
 *   wildcards or both have the same address.
 * - A socket with SO_EXCLBIND keeps every other socket off its port; a
 *   closed connection still finishing (FIN-WAIT, TIME-WAIT) does not count,
 *   as illumos exempts endpoints past ESTABLISHED (tcp_bindi).
 * - SO_REUSEPORT (Linux, socket(7)): sockets that all set it before bind
 *   and have the same effective uid may bind the same address and port;
 *   a closed connection's uid does not matter (Linux's TIME-WAIT rule).
 *   SO_EXCLBIND on either side still refuses.
 * - Connections hold their port too (accepted ones, connected ones whose
 *   port was bound explicitly, and those closed but still finishing, e.g.
 *   in TIME-WAIT): they refuse a bind whose address overlaps theirs unless
 *   the binding socket has SO_REUSEADDR (illumos tcp_bindi: with it only a
 *   listening or bound socket on the same address refuses), so a server
 *   restarted with SO_REUSEADDR gets its port back at once.
 * - An AF_INET6 socket's wildcard covers IPv4 too unless IPV6_V6ONLY;
 *   IPv4 and IPv6 addresses never collide otherwise. IPv4 is kept as
 *   ::ffff:a.b.c.d, the AF_INET wildcard as ::ffff:0.0.0.0.
 * - EADDRNOTAVAIL: a specific address the interface does not have (the
 *   loopback addresses 127.0.0.0/8 and ::1 are always there, served inside
 *   the daemon). EACCES: a port below tcp_smallest_nonpriv_port and a uid
 *   other than 0. Port 0: an ephemeral port from
 *   [tcp_smallest_anon_port, tcp_largest_anon_port].
 */
#ifndef XTCP_DAEMON_BIND_H
#define XTCP_DAEMON_BIND_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/ip.h"

#define BIND_V4 1u
#define BIND_V6 2u

struct bind_ent {
	struct ip_addr addr;
	uint16_t port;
	uint8_t space; /* BIND_V4 | BIND_V6: the address families it covers */
	bool wildcard, reuseaddr, exclbind, v6only, reuseport;
	bool conn; /* a connection's (accepted, or connected) */
	bool closed; /* its socket is closed, the connection finishing */
	uint32_t uid; /* effective uid of the binding application */
	void *owner;
	struct bind_ent *next, **pprev; /* in its port's chain */
};

/* Entries chained by port: a bind looks at one chain. */
#define BIND_HASH 1024u

struct bind_table {
	struct bind_ent *tab[BIND_HASH];
	uint32_t n;
	uint32_t next_eph; /* where the ephemeral search starts */
};

/* What a bind(2) asks for, after the library's sockaddr checks. */
struct bind_req {
	int family; /* AF_INET or AF_INET6: the socket's */
	struct ip_addr addr; /* IPv4 as ::ffff:a.b.c.d */
	uint16_t port; /* 0: pick an ephemeral one */
	bool v6only, reuseaddr, exclbind, reuseport;
	uint32_t uid;
};

/* The limits bind_request applies (from the tunables). */
struct bind_limits {
	uint16_t anon_lo, anon_hi; /* tcp_smallest/largest_anon_port */
	uint16_t nonpriv; /* tcp_smallest_nonpriv_port */
};

void bind_init(struct bind_table *bt);
/* Free every entry (their owners are not touched). */
void bind_fini(struct bind_table *bt);

/* Is @a a loopback address (127.0.0.0/8 as IPv4-mapped, or ::1)? */
bool bind_is_loopback(const struct ip_addr *a);
/*
 * Check @r's address: 0, -EADDRNOTAVAIL (not one of @local[0..n) nor a
 * loopback address), -EINVAL (IPv4-mapped on an IPV6_V6ONLY socket),
 * -EAFNOSUPPORT (an IPv6 address on an AF_INET socket).
 */
int bind_check_addr(const struct bind_req *r, const struct ip_addr *local,
		    int n);
/* 0 or -EACCES: @port below @nonpriv needs uid 0 (port 0 is fine). */
int bind_check_priv(uint16_t port, uint32_t uid, uint16_t nonpriv);
/* 0, or -EADDRINUSE when (@r's address, @port) collides with a binding. */
int bind_conflict(const struct bind_table *bt, const struct bind_req *r,
		  uint16_t port);
/*
 * The whole of bind(2): address, privilege, port (an ephemeral one for
 * port 0, skipping those @taken says are used elsewhere, e.g. by the
 * engine; @taken may be NULL), conflicts, then the entry, owned by @owner.
 * Returns 0 with *out set, or a negative errno (-EADDRINUSE when no
 * ephemeral port is free).
 */
int bind_request(struct bind_table *bt, const struct bind_req *r,
		 const struct ip_addr *local, int nlocal,
		 const struct bind_limits *lim,
		 bool (*taken)(void *arg, uint16_t port), void *arg,
		 void *owner, struct bind_ent **out);
/*
 * The binding of a connection a listener @like accepted: its own local
 * (@addr, @port), the listener's options and uid, marked conn. No
 * conflict check: the connection exists. NULL when out of memory.
 */
struct bind_ent *bind_add_conn(struct bind_table *bt,
			       const struct ip_addr *addr, uint16_t port,
			       const struct bind_ent *like, void *owner);
/* Remove and free @e (NULL is fine). */
void bind_remove(struct bind_table *bt, struct bind_ent *e);

#endif
