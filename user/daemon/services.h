/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Built-in services served by the daemon itself, so the datapath can be
 * tested and benchmarked without applications: echo (RFC 862), discard
 * (RFC 863) and chargen (RFC 864), each on any configured port.
 *
 * Engine callbacks only mark a connection ready (the engine must not be
 * re-entered from its own callbacks); svc_run() does the work afterwards.
 */
#ifndef XTCP_DAEMON_SERVICES_H
#define XTCP_DAEMON_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/engine.h"

enum svc_kind { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN };

struct svc_listener;
struct svc_conn;

struct svc_stats {
	uint64_t accepted, closed, bytes_in, bytes_out;
};

/*
 * Told when a connection starts being served and before it is released:
 * what @opened returns is handed back to @closing (the daemon publishes
 * connections to the XDP fast path this way).
 */
struct svc_hooks {
	void *(*opened)(void *arg, struct tcb *t, uint64_t now);
	void (*closing)(void *arg, struct tcb *t, void *ext, uint64_t now);
	void *arg;
};

struct svc {
	struct engine *eng;
	struct svc_hooks hooks;
	struct svc_listener *listeners;
	struct svc_conn *conns; /* all live connections */
	struct svc_conn *ready; /* marked by events, served by svc_run */
	struct svc_stats st;
};

const char *svc_kind_name(enum svc_kind k);
int svc_kind_parse(const char *name, enum svc_kind *out);

void svc_init(struct svc *s, struct engine *eng);
void svc_set_hooks(struct svc *s, const struct svc_hooks *h);
/* Listen on (addr, port) for @kind; the tcb's user pointer is ours. */
int svc_listen(struct svc *s, enum svc_kind kind, const struct ip_addr *addr,
	       uint16_t port, uint32_t backlog, const struct sock_opts *o);
/* Route an engine event to the service owning @t; false if not ours. */
bool svc_event(struct svc *s, struct tcb *t, unsigned ev);
/* Serve every connection marked ready. */
void svc_run(struct svc *s, uint64_t now);
/* Close everything: connections with @abort (RST) or gracefully. */
void svc_shutdown(struct svc *s, bool abort, uint64_t now);
/* Visit listeners, e.g. to publish them in the XDP bound map. */
void svc_foreach_listener(struct svc *s,
			  void (*fn)(void *arg, enum svc_kind k,
				     const struct ip_addr *addr, uint16_t port),
			  void *arg);

#endif
