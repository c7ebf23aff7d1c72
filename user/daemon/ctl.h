/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xtcpd's control socket: the server side of xtcpctl(8).
 *
 * Transport. An AF_UNIX SOCK_STREAM socket at the configured path (default
 * /run/xtcp/xtcpd.sock), created with the configured mode (default 0660).
 * Messages are JSON objects, one per line ("JSON lines": compact JSON never
 * holds a raw newline). A client sends a request line and reads one reply
 * line per request, in order; it may pipeline requests or half-close after
 * sending. A request longer than CTL_MAX_REQUEST bytes gets an error reply
 * (EMSGSIZE) and the connection is closed. A reply longer than CTL_MAX_REPLY
 * bytes (conns with very many connections) is replaced by an error reply
 * (E2BIG). The next request of a client is read only once its previous
 * reply is written, so a client that does not read holds one reply at most.
 * Malformed JSON, a request that is not an object, an unknown command or a
 * missing argument get an error reply and the connection stays usable.
 * At most CTL_MAX_CLIENTS at once; one more is told EBUSY and closed.
 *
 * Peers are identified with SO_PEERCRED when they connect; "set" needs uid 0
 * (ctl_permitted()), everything else is open to whoever can connect.
 *
 * Requests:
 *	{"cmd":"status"}
 *	{"cmd":"props"}
 *	{"cmd":"get","name":"tcp_sack_permitted"}
 *	{"cmd":"set","name":"tcp_ecn_permitted","value":2}   value: int or string
 *	{"cmd":"conns"}
 *	{"cmd":"stats"}
 * Replies: {"ok":true, ...} or {"ok":false,"error":"text","errno":"EINVAL"}.
 *	status: {"ok":true,"status":{"pid":..,"connections":{"total":N,
 *	         "ESTABLISHED":n,...}, ...whatever ops->status adds}}
 *	props:  {"ok":true,"props":[PROP, ...]} in tunable_table order, with
 *	        PROP = {"name","value","default","min","max","unit","type",
 *	        "help"}; "type" is "u32", "bool" or "string"; value and default
 *	        are integers, or strings for "string" (then min/max are absent
 *	        and "choices" lists the congestion control algorithms).
 *	get:    {"ok":true,"prop":PROP}
 *	set:    {"ok":true,"name":N,"old":V,"value":V}
 *	conns:  {"ok":true,"conns":[{"local","lport","remote","rport","state",
 *	        "cwnd","ssthresh","smss","rmss","srtt_us","rttvar_us","rto_us",
 *	        "retransmits","backoff","total_retrans","snd_wnd","rcv_wnd",
 *	        "bytes_acked","bytes_received","segs_out","segs_in","cc"}, ...]}
 *	stats:  {"ok":true,"mib":{RFC 4022 tcpMIB names: tcpRtoAlgorithm, ...,
 *	        tcpHCOutSegs},"ext":{the other struct tcp_stats counters},
 *	        "bad_wire":{wire_err_name: count, only nonzero},
 *	        "xdp":{ops->xdp_counters},
 *	        "acks":{"absorbed":A,"total":T,"share":A/T}}  (acks: if provided)
 *
 * Integration with the daemon's poll loop: the control socket, every client
 * and their pending output live in one internal epoll set, so the daemon
 * polls a single descriptor, ctl_fd(), for POLLIN and calls ctl_handle()
 * when it is readable. Nothing blocks.
 *
 *	static struct tunables *my_tun(void *u) { return eng_tunables(ENG(u)); }
 *	static struct engine *my_eng(void *u) { return ENG(u); }
 *	static const struct ctl_ops ops = { .tunables = my_tun,
 *					    .engine = my_eng, ... };
 *	int err;
 *	struct ctl *ctl = ctl_open(cfg.control_socket, cfg.control_mode,
 *				   &ops, daemon, &err);
 *	if (!ctl) { log_err("control socket: %s", strerror(-err)); ... }
 *	pfd[i] = (struct pollfd){ .fd = ctl_fd(ctl), .events = POLLIN };
 *	... poll ...
 *	if (pfd[i].revents) ctl_handle(ctl);
 *	...
 *	ctl_close(ctl);   // also removes the socket file
 *
 * All callbacks run inside ctl_handle(), from the daemon's own thread, never
 * from inside an engine call, so they may use the engine freely.
 */
#ifndef XTCP_DAEMON_CTL_H
#define XTCP_DAEMON_CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/engine.h"
#include "stack/tunables.h"

#define CTL_MAX_REQUEST 65536 /* bytes in one request line */
#define CTL_MAX_REPLY (64u << 20) /* bytes in one reply line */
#define CTL_MAX_CLIENTS 64

/* Passed to ops->xdp_counters: call it once per counter, in display order. */
typedef void (*ctl_emit_fn)(void *arg, const char *name, uint64_t value);

struct ctl_ops {
	/*
	 * Required. The live tunables: props and get read them, set changes
	 * them in place with tunable_set() (the config file's validator).
	 */
	struct tunables *(*tunables)(void *user);
	/*
	 * The engine, for conns (eng_foreach, tcb_get_info, tcb_addrs), stats
	 * (eng_stats) and the connection counts in status. Optional: without
	 * it (or when it returns NULL) conns and stats answer ENODEV.
	 */
	struct engine *(*engine)(void *user);
	/* Optional: add fields to the status object; 0 or a negative errno. */
	int (*status)(void *user, json_t *status);
	/* Optional: told after a set succeeded (e.g. to log or push to XDP). */
	void (*tunable_changed)(void *user, const struct tunable_desc *d,
				const char *old_value, const char *new_value);
	/*
	 * Optional: the XDP verdict counters (summed over CPUs): call
	 * emit(arg, name, value) for each. 0 or a negative errno.
	 */
	int (*xdp_counters)(void *user, ctl_emit_fn emit, void *arg);
	/* Optional: the userspace datapath's counters, emitted the same way
	 * (stats answers them as "datapath"). 0 or a negative errno. */
	int (*dp_counters)(void *user, ctl_emit_fn emit, void *arg);
	/*
	 * Optional: pure ACKs absorbed by XDP, and all pure ACKs received
	 * (absorbed + those the engine processed). 0 or a negative errno.
	 */
	int (*ack_counts)(void *user, uint64_t *absorbed, uint64_t *total);
};

struct ctl;

/*
 * Create the control socket at @path with @mode (e.g. 0660), creating its
 * directory (0755) when missing. A stale socket file (nobody listening) is
 * replaced; a live one means another xtcpd: -EADDRINUSE. @ops and @user must
 * outlive the ctl. Returns NULL with a negative errno in *@err.
 */
struct ctl *ctl_open(const char *path, mode_t mode, const struct ctl_ops *ops,
		     void *user, int *err);
/* The one descriptor to poll for POLLIN (an epoll set). */
int ctl_fd(const struct ctl *c);
/*
 * Accept clients, read requests, answer them, flush pending replies: all
 * that is ready now, without blocking. Returns the number of requests
 * answered, or a negative errno if the control socket itself failed.
 */
int ctl_handle(struct ctl *c);
/* Clients connected now. */
unsigned ctl_nclients(const struct ctl *c);
/* Disconnect every client, close the socket and unlink its path. */
void ctl_close(struct ctl *c);

/* 0 if a peer with @uid may run @cmd, else -EPERM ("set" needs uid 0). */
int ctl_permitted(const char *cmd, uid_t uid);

/*
 * Answer one request (@len bytes of JSON, no newline needed) from a peer
 * with @uid, as the socket does; returns the compact reply without a newline
 * (free() it), or NULL if out of memory. Exposed for tests and fuzzing.
 */
char *ctl_dispatch(const struct ctl_ops *ops, void *user, uid_t uid,
		   const char *req, size_t len);

#endif
