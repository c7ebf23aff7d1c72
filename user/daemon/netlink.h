/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rtnetlink client for xtcpd: interfaces, addresses, routes and link-layer
 * neighbours as the kernel knows them.
 *
 * xtcpd sends its frames itself on AF_XDP, so it needs what the kernel's IP
 * output path would have used: the source MAC and MTU of the interface, the
 * route (output interface, next hop, preferred source, MTU) and the next
 * hop's MAC. Linux keeps doing ARP/ND (XDP passes those packets to it), so
 * the neighbour table stays the kernel's: we mirror it and, for an unknown
 * next hop, ask the kernel to resolve it (RTM_NEWNEIGH with NTF_USE makes it
 * send the ARP request / neighbour solicitation itself).
 *
 * Two sockets: a notification socket subscribed to the link, address, route
 * and neighbour groups (nl_fd(), for the daemon's poll loop) and a request
 * socket for dumps and queries. Both are non-blocking. rtnetlink handles a
 * request in the sender's sendmsg() (and continues a dump in recvmsg()), so
 * a query's answer is already queued when the send returns: a lookup costs
 * one round trip through the kernel and never waits on the network.
 *
 * Lookups on the data path (nl_neigh, a cached nl_route, nl_link_by_index)
 * touch only tables allocated in nl_open(): no allocation, no system call
 * on a hit. Not thread-safe: one struct nl per thread (the daemon's loop).
 *
 * Addresses are struct ip_addr (16 bytes, IPv4 as ::ffff:a.b.c.d). All
 * functions return 0 or a count on success and a negative errno on failure.
 */
#ifndef XTCP_DAEMON_NETLINK_H
#define XTCP_DAEMON_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip.h"

/* Table sizes, fixed at nl_open(). */
#define NL_MAX_LINKS 64
#define NL_MAX_ADDRS 256
#define NL_NEIGH_MAX 4096 /* entries (a power of two) */
#define NL_ROUTE_SLOTS 256 /* route cache slots (a power of two) */
/* Re-ask the kernel for a neighbour still unresolved after this long. */
#define NL_NEIGH_RETRY_MS 1000

struct nl;

struct nl_link_info {
	int ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6]; /* zero unless mac_len == 6 */
	uint8_t mac_len; /* IFLA_ADDRESS length: 6 for Ethernet, 0 for none */
	uint32_t mtu;
	uint32_t flags; /* IFF_UP, IFF_RUNNING, IFF_LOOPBACK, ... */
	uint8_t operstate; /* IF_OPER_* (RFC 2863), IF_OPER_UNKNOWN if absent */
};

struct nl_addr {
	int ifindex;
	struct ip_addr addr;
	uint8_t prefixlen;
	uint8_t scope; /* RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST */
	uint32_t flags; /* IFA_F_* (IFA_FLAGS if present: TENTATIVE etc.) */
};

struct nl_route {
	int ifindex; /* output interface */
	uint8_t type; /* RTN_UNICAST, or RTN_LOCAL for our own addresses */
	bool has_gateway; /* next hop is a router */
	bool has_prefsrc;
	struct ip_addr gateway; /* valid if has_gateway */
	/* Whose MAC to ask nl_neigh() for: the gateway, else the destination. */
	struct ip_addr nexthop;
	struct ip_addr prefsrc; /* the source address to use, if has_prefsrc */
	/* RTAX_MTU (a route's mtu, or a learned path MTU) if the route has
	 * one, else the output interface's MTU (0 if that is unknown). */
	uint32_t mtu;
	uint32_t metric_mtu; /* RTAX_MTU alone, 0 if unset */
};

/* A neighbour entry as parsed from RTM_NEWNEIGH / RTM_DELNEIGH. */
struct nl_neigh_entry {
	int ifindex;
	struct ip_addr addr;
	uint16_t state; /* NUD_* */
	uint8_t flags; /* NTF_* */
	uint8_t mac_len; /* NDA_LLADDR length, 0 if absent */
	uint8_t mac[6]; /* valid if mac_len == 6 */
};

/*
 * A neighbour the caller asked for (nl_neigh() returned -EAGAIN) got an
 * answer: @mac is its MAC, or NULL if resolution failed (the kernel marked
 * it NUD_FAILED). Called from nl_process(); retry queued frames from here
 * or after nl_process() returns. May call nl_neigh() but must not call
 * nl_process() or nl_close().
 */
typedef void (*nl_neigh_cb)(void *arg, int ifindex, const struct ip_addr *addr,
			    const uint8_t *mac);

/*
 * Open both sockets, subscribe, and load the current links, addresses and
 * neighbours (initial dumps). *out is freed by nl_close().
 */
int nl_open(struct nl **out);
void nl_close(struct nl *nl);

/* The notification socket: poll it for POLLIN, then call nl_process(). */
int nl_fd(const struct nl *nl);

/*
 * Drain pending notifications without blocking and apply them to the
 * tables; fires the neighbour callback. Returns the number of messages
 * handled. If the kernel dropped notifications (ENOBUFS: our receive
 * buffer overflowed) the tables are reloaded from fresh dumps, so nothing
 * is missed, only late.
 */
int nl_process(struct nl *nl);

void nl_set_neigh_cb(struct nl *nl, nl_neigh_cb cb, void *arg);

/* Counters, for xtcpctl stats and tests. */
struct nl_stats {
	uint64_t notifications; /* messages handled by nl_process() */
	uint64_t resyncs; /* reloads after ENOBUFS */
	uint64_t route_queries; /* RTM_GETROUTE sent (cache misses) */
	uint64_t route_hits; /* nl_route() served from the cache */
	uint64_t neigh_requests; /* NTF_USE sent */
	uint64_t table_full; /* entries dropped: a table was full */
};
void nl_get_stats(const struct nl *nl, struct nl_stats *out);

/* Interface by name or index: 0, or -ENODEV. */
int nl_link(struct nl *nl, const char *ifname, struct nl_link_info *out);
int nl_link_by_index(struct nl *nl, int ifindex, struct nl_link_info *out);

/*
 * The addresses of interface @ifindex (IPv4 and IPv6, link-local
 * included), up to @max of them into @out (which may be NULL when @max is
 * 0). Returns how many the interface has, which may exceed @max.
 */
int nl_addrs(struct nl *nl, int ifindex, struct nl_addr *out, int max);

/*
 * Route to @dst, as `ip route get` answers it. Served from a cache that
 * every route, address or link notification empties. Errors are the
 * kernel's and are cached too: -ENETUNREACH (no route), -EHOSTUNREACH,
 * -EACCES (prohibit), -EINVAL (blackhole/unusable type).
 * RTAX_MTU covers path MTUs the kernel learned from ICMP; for xtcp's own
 * flows ICMP errors go to the stack, which does PMTU discovery itself.
 * Not yet: policy routing by source or mark, and link-local IPv6
 * destinations (they need an output interface, which is not passed).
 */
int nl_route(struct nl *nl, const struct ip_addr *dst, struct nl_route *out);

/* Drop every cached route (the daemon may call it, e.g. on a timer). */
void nl_route_flush(struct nl *nl);

/*
 * Link-layer address of @nexthop on @ifindex:
 *   0             @mac filled: the entry is REACHABLE, STALE, DELAY, PROBE,
 *                 PERMANENT or NOARP (with a MAC). For STALE, the kernel is
 *                 also asked once to confirm it: our frames bypass its
 *                 output path, so it would never see the entry used;
 *   -EAGAIN       unknown or being resolved: the kernel was asked (at most
 *                 once per NL_NEIGH_RETRY_MS per neighbour); the callback
 *                 fires when it answers. Queue the frame and retry;
 *   -EHOSTUNREACH the last resolution failed (NUD_FAILED). A new one is
 *                 started, so a later call may succeed, like Linux retrying
 *                 a FAILED neighbour on the next packet;
 *   -ENOSPC       the table is full; -ENODEV unknown interface.
 */
int nl_neigh(struct nl *nl, int ifindex, const struct ip_addr *nexthop,
	     uint8_t mac[6]);

/*
 * Pure parsers and builders over byte buffers (no socket, no state), for
 * unit tests and fuzzing. A parser takes one netlink message (@buf starts
 * with its struct nlmsghdr, @len bytes are readable; any alignment) and
 * checks every length before reading: -EINVAL for a malformed message
 * (short header, nlmsg_len beyond @len, an attribute overrunning its
 * container, an attribute of the wrong size), -ENOMSG for a well-formed
 * one that is not of the expected kind (other message type or family).
 */
int nl_parse_link(const void *buf, size_t len, struct nl_link_info *out);
int nl_parse_addr(const void *buf, size_t len, struct nl_addr *out);
/* An RTM_NEWROUTE; out->mtu is metric_mtu (the caller adds the link's). */
int nl_parse_route(const void *buf, size_t len, struct nl_route *out);
int nl_parse_neigh(const void *buf, size_t len, struct nl_neigh_entry *out);
/* NLMSG_ERROR: *err is the (negative) errno, 0 for an ACK. */
int nl_parse_error(const void *buf, size_t len, int *err);

/* Builders: return the message length, or -ENOSPC if @cap is too small. */
int nl_build_dump(void *buf, size_t cap, uint16_t type, uint8_t family,
		  uint32_t seq);
int nl_build_route_get(void *buf, size_t cap, uint32_t seq,
		       const struct ip_addr *dst);
int nl_build_neigh_use(void *buf, size_t cap, uint32_t seq, int ifindex,
		       const struct ip_addr *addr);

/* A neighbour state usable for sending: NUD_VALID less NUD_NOARP's need. */
bool nl_nud_usable(uint16_t state);

#endif
