/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Applications over xtcp: sessions on the application socket
 * (include/xtcp/ipc.h is the contract), each with a shared-memory region
 * holding its sockets' slots and rings, and the sockets themselves on top
 * of the engine.
 *
 *	a = apps_open(path, mode, &env, &err)
 *	apps_fd(a)                  one fd for the daemon's poll set (epoll of
 *	                            the listening socket, the sessions and
 *	                            their doorbells): call apps_handle() on
 *	                            POLLIN
 *	apps_event(a, tcb, ev)      from the engine's event callback: only
 *	                            notes the socket (never re-enters)
 *	apps_run(a, now)            each loop: bytes the apps produced or
 *	                            consumed (slots marked pending) to the
 *	                            engine, then engine state to the slots and
 *	                            eventfds of apps that wait
 *	apps_sleep(a) / apps_awake(a)  around the daemon's poll(): apps_sleep
 *	                            returns false when work is pending
 *	apps_close(a, now)          every connection reset, every session gone
 *
 * The engine's buffers of application sockets are the rings in the
 * region: ops->buf_alloc/buf_free go to apps_buf_alloc/apps_buf_free, so a
 * ring outlives its socket until the engine lets go of the connection, and
 * a region outlives its session until its last ring is released.
 */
#ifndef XTCP_DAEMON_APPS_H
#define XTCP_DAEMON_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/bind.h"
#include "daemon/netlink.h"
#include "stack/engine.h"
#include "xtcp/ipc.h"

/* What the sessions need from the daemon. */
struct apps_env {
	struct engine *eng;
	/*
	 * A connection starts / stops being served (the daemon publishes it
	 * to the XDP fast path, flows.c); what conn_open returns is given back
	 * to conn_closing. Either may be NULL. Not called for connections
	 * inside the daemon. When conn_open returns NULL, the connection's
	 * (address, port) goes into the bound map instead (bind_port).
	 */
	void *(*conn_open)(void *arg, struct tcb *t, uint64_t now);
	void (*conn_closing)(void *arg, struct tcb *t, void *ext, uint64_t now);
	struct nl *nl; /* may be NULL (tests): no route, no address */
	int ifindex; /* the interface xtcp serves */
	/* Publish / withdraw a local (address, port) in the XDP bound map;
	 * either may be NULL. flags: XTCP_BOUND_* of xtcp/xdp_maps.h. */
	int (*bind_port)(void *arg, const struct ip_addr *a, uint16_t port,
			 uint32_t flags);
	void (*unbind_port)(void *arg, const struct ip_addr *a, uint16_t port);
	void *arg;
	uint32_t region_size; /* 0: APPS_REGION_SIZE */
	uint32_t nslots; /* 0: APPS_SLOTS */
};

#define APPS_REGION_SIZE (128u << 20)
#define APPS_SLOTS 1024u
#define APPS_RING_MIN 4096u

struct apps_stats {
	uint64_t sessions, sessions_closed, requests, bad_requests, bad_indices,
		wakeups, doorbells, syncs;
	uint64_t sigurgs, sigurgs_limited; /* SIGURG to owners (urg.h) */
};

struct apps;

struct apps *apps_open(const char *path, mode_t mode,
		       const struct apps_env *env, int *err);
/* Reset every connection and end every session (before eng_destroy). */
void apps_close(struct apps *a, uint64_t now);
/* Free what is left (after eng_destroy: it may release rings). */
void apps_free(struct apps *a);
int apps_fd(const struct apps *a);
/* Accept sessions, serve requests, note doorbells; returns work done. */
unsigned apps_handle(struct apps *a, uint64_t now);
/* Route an engine event; false if @t is not an application's. */
bool apps_event(struct apps *a, struct tcb *t, unsigned ev);
unsigned apps_run(struct apps *a, uint64_t now);
bool apps_sleep(struct apps *a);
void apps_awake(struct apps *a);
const struct apps_stats *apps_stats(const struct apps *a);

/* engine_ops buf_alloc/buf_free: rings in regions, malloc otherwise. */
void *apps_buf_alloc(struct apps *a, size_t size);
void apps_buf_free(struct apps *a, void *mem, size_t size);

/*
 * Pure checks, unit-tested.
 *
 * A request as received: exactly sizeof(struct xtcp_ipc_req) bytes, our
 * version, a known op, len within data, an address family of 0, AF_INET
 * or AF_INET6 (AF_INET: an IPv4-mapped address). 0 with *out filled, or
 * -EINVAL / -EPROTO (version) / -EOPNOTSUPP (op).
 */
int apps_check_req(const void *buf, size_t len, struct xtcp_ipc_req *out);
/*
 * How far an index the app moved went: @app - @ours, accepted only when it
 * is at most @limit (bytes readable for a tail, free for a head). 0 with
 * *n set, or -EINVAL (backwards or too far: nothing is applied).
 */
int apps_ring_delta(uint32_t app, uint32_t ours, uint32_t limit, uint32_t *n);
/* The ring size for a buffer limit: a power of two >= max(limit, 4096);
 * 0 when too large. */
uint32_t apps_ring_size(uint32_t limit);

#endif
