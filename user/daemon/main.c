// SPDX-License-Identifier: BSD-2-Clause
/*
 * xtcpd: the xtcp daemon. It attaches (or adopts) the XDP program, opens an
 * AF_XDP socket per configured queue, and runs the engine: frames in, the
 * engine, frames out, timers, the built-in services and the control socket,
 * in one loop that busy-polls while there is traffic and sleeps in poll()
 * on the sockets, netlink, the control socket and the next timer otherwise.
 *
 *	xtcpd [-c /etc/xtcp/xtcpd.conf] [-d]
 *
 * SIGHUP re-reads the tunables; SIGTERM/SIGINT close the connections,
 * detach what xtcpd attached and unpin what it pinned.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/types.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "daemon/apps.h"
#include "daemon/config.h"
#include "daemon/ctl.h"
#include "daemon/datapath.h"
#include "daemon/flows.h"
#include "daemon/log.h"
#include "daemon/loopback.h"
#include "daemon/netlink.h"
#include "daemon/reserve_ports.h"
#include "daemon/services.h"
#include "io/attach.h"
#include "io/xsk.h"
#include "stack/engine.h"
#include "xtcp/xdp_maps.h"

#define XTCPD_VERSION "0.1"
#define IDLE_POLL_MAX_MS 1000
/* While busy, look at the slow descriptors this often. */
#define SLOW_CHECK_US 1000
/* How long to spin on the ACK slots while absorbed ACKs are due. */
#define WAIT_ACK_SPIN_US 2000

struct xtcpd {
	struct daemon_config cfg;
	const char *cfg_path;
	struct engine *eng;
	struct nl *nl;
	struct xattach *att;
	struct xio *xio[CFG_MAX_QUEUES];
	unsigned nxio;
	struct datapath dp;
	struct svc svc;
	struct flows flows;
	struct apps *apps;
	struct loopback lo;
	struct ctl *ctl;
	struct reserve_ports rp;
	bool rp_applied;
	int sigfd;
	uint64_t start_us, now;
	int ncpus;
	bool stop;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --- engine callbacks ------------------------------------------------------ */

static void on_output(void *user, const struct seg_out *so)
{
	struct xtcpd *d = user;

	/* To ourselves: back into the engine after this call (never from
	 * inside it), not out on the wire. */
	if (lo_is_local(d->nl, &so->dst)) {
		lo_queue(&d->lo, so);
		return;
	}
	dp_output(&d->dp, so, d->now);
}

static void on_event(void *user, struct tcb *t, unsigned ev)
{
	struct xtcpd *d = user;

	if (!svc_event(&d->svc, t, ev))
		apps_event(d->apps, t, ev);
}

/* Application sockets' rings live in their shared memory (apps.c). */
static void *on_buf_alloc(void *user, size_t size)
{
	struct xtcpd *d = user;

	return apps_buf_alloc(d->apps, size);
}

static void on_buf_free(void *user, void *mem, size_t size)
{
	struct xtcpd *d = user;

	apps_buf_free(d->apps, mem, size);
}

static uint32_t on_path_mtu(void *user, const struct ip_addr *dst)
{
	struct xtcpd *d = user;
	struct nl_route rt;

	if (!nl_route(d->nl, dst, &rt) && rt.mtu)
		return rt.mtu < d->dp.mtu ? rt.mtu : d->dp.mtu;
	return d->dp.mtu;
}

static void on_neigh(void *arg, int ifindex, const struct ip_addr *addr,
		     const uint8_t *mac)
{
	struct xtcpd *d = arg;

	dp_neigh_ready(&d->dp, ifindex, addr, mac, d->now);
}

static void on_before_tx(void *arg)
{
	struct xtcpd *d = arg;

	flows_publish(&d->flows);
}

static void on_before_rx(void *arg, uint64_t now)
{
	struct xtcpd *d = arg;

	flows_sync(&d->flows, now);
}

static void *on_svc_open(void *arg, struct tcb *t, uint64_t now)
{
	struct xtcpd *d = arg;

	return flows_add(&d->flows, t, now);
}

static void on_svc_closing(void *arg, struct tcb *t, void *ext, uint64_t now)
{
	struct xtcpd *d = arg;

	flows_del(&d->flows, ext, now);
}

/* tcp_trace: a connection ended by RST; its last segments, one a line. */
static void on_trace(void *user, const struct tcb *t, const char *line)
{
	log_info("rst trace: %s", line);
}

static const struct engine_ops eng_ops = {
	.output = on_output,
	.event = on_event,
	.buf_alloc = on_buf_alloc,
	.buf_free = on_buf_free,
	.path_mtu = on_path_mtu,
	.trace = on_trace,
};

/* --- control socket backend -------------------------------------------- */

static struct tunables *ctl_tunables(void *u)
{
	struct xtcpd *d = u;

	return eng_tunables(d->eng);
}

static struct engine *ctl_engine(void *u)
{
	struct xtcpd *d = u;

	return d->eng;
}

static int ctl_status(void *u, json_t *st)
{
	struct xtcpd *d = u;
	json_t *ifs = json_array();

	json_object_set_new(st, "version", json_string(XTCPD_VERSION));
	json_object_set_new(
		st, "uptime_s",
		json_integer(
			(json_int_t)((mono_us() - d->start_us) / 1000000)));
	json_object_set_new(st, "attach",
			    json_string(xattach_adopted(d->att) ? "adopted" :
								  "self"));
	json_object_set_new(st, "xdp_mode",
			    json_string(xattach_mode_name(d->att)));
	json_object_set_new(st, "xdp_prog_id",
			    json_integer(xattach_prog_id(d->att)));
	for (size_t i = 0; i < d->cfg.nifaces; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name",
				    json_string(d->cfg.ifaces[i].name));
		json_object_set_new(o, "queues", json_integer(d->nxio));
		json_object_set_new(o, "mtu", json_integer(d->dp.mtu));
		json_array_append_new(ifs, o);
	}
	json_object_set_new(st, "interfaces", ifs);
	return 0;
}

static void ctl_tunable_changed(void *u, const struct tunable_desc *desc,
				const char *old_value, const char *new_value)
{
	log_info("tunable %s: %s -> %s", desc->name, old_value, new_value);
}

static const char *const counter_names[] = { XTCP_CNT_NAMES };
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == XTCP_CNT_MAX,
	       "a name for every XDP counter");

static int read_counter(struct xtcpd *d, uint32_t idx, uint64_t *sum)
{
	int fd = d->att ? xattach_maps(d->att)->counters : -1;
	uint64_t vals[1024];

	*sum = 0;
	if (fd < 0 || d->ncpus <= 0 || d->ncpus > 1024)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &idx, vals))
		return -errno;
	for (int c = 0; c < d->ncpus; c++)
		*sum += vals[c];
	return 0;
}

static int ctl_xdp_counters(void *u, ctl_emit_fn emit, void *arg)
{
	struct xtcpd *d = u;

	for (uint32_t i = 0; i < XTCP_CNT_MAX; i++) {
		uint64_t v;
		int ret = read_counter(d, i, &v);

		if (ret)
			return ret;
		emit(arg, counter_names[i] ? counter_names[i] : "?", v);
	}
	return 0;
}

static int ctl_dp_counters(void *u, ctl_emit_fn emit, void *arg)
{
	const struct dp_stats *s = &((struct xtcpd *)u)->dp.st;

	emit(arg, "rx_frames", s->rx_frames);
	emit(arg, "rx_bad", s->rx_bad);
	emit(arg, "rx_csum_xdp", s->rx_csum_xdp);
	emit(arg, "tx_frames", s->tx_frames);
	emit(arg, "tx_no_frame", s->tx_no_frame);
	emit(arg, "tx_no_route", s->tx_no_route);
	emit(arg, "tx_neigh_wait", s->tx_neigh_wait);
	emit(arg, "tx_neigh_drop", s->tx_neigh_drop);
	emit(arg, "tx_too_big", s->tx_too_big);
	emit(arg, "local_drops", s->local_drops);
	return 0;
}

/*
 * Pure ACKs handled in XDP (absorbed into their slot, or dropped as older
 * than one absorbed), of all pure ACKs of ours that reached XDP.
 */
static int ctl_ack_counts(void *u, uint64_t *absorbed, uint64_t *total)
{
	struct xtcpd *d = u;
	uint64_t to_stack, stale;
	int ret = read_counter(d, XTCP_CNT_ACK_ABSORBED, absorbed);

	if (!ret)
		ret = read_counter(d, XTCP_CNT_ACK_STALE, &stale);
	if (!ret)
		ret = read_counter(d, XTCP_CNT_ACK_TO_STACK, &to_stack);
	if (ret)
		return ret;
	*absorbed += stale;
	*total = *absorbed + to_stack;
	return 0;
}

static const struct ctl_ops ctl_ops = {
	.tunables = ctl_tunables,
	.engine = ctl_engine,
	.status = ctl_status,
	.tunable_changed = ctl_tunable_changed,
	.xdp_counters = ctl_xdp_counters,
	.dp_counters = ctl_dp_counters,
	.ack_counts = ctl_ack_counts,
};

/* --- setup ---------------------------------------------------------------- */

static void attach_log(void *arg, const char *msg)
{
	log_info("xdp: %s", msg);
}

static int bind_port(struct xtcpd *d, const struct ip_addr *addr, uint16_t port)
{
	struct xtcp_bound_key k = { 0 };
	struct xtcp_bound_val v = { 0 };
	int fd = xattach_maps(d->att)->bound;

	memcpy(k.addr, addr->b, 16);
	k.port = htons(port);
	v.id = port;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

static void unbind_port(struct xtcpd *d, const struct ip_addr *addr,
			uint16_t port)
{
	struct xtcp_bound_key k = { 0 };

	memcpy(k.addr, addr->b, 16);
	k.port = htons(port);
	bpf_map_delete_elem(xattach_maps(d->att)->bound, &k);
}

static int apps_bind_port(void *arg, const struct ip_addr *addr, uint16_t port,
			  uint32_t flags)
{
	struct xtcpd *d = arg;
	struct xtcp_bound_key k = { 0 };
	struct xtcp_bound_val v = { .flags = flags, .id = port };

	memcpy(k.addr, addr->b, 16);
	k.port = htons(port);
	if (bpf_map_update_elem(xattach_maps(d->att)->bound, &k, &v, BPF_ANY))
		return -errno;
	return 0;
}

static void apps_unbind_port(void *arg, const struct ip_addr *addr,
			     uint16_t port)
{
	unbind_port(arg, addr, port);
}

static int start_apps(struct xtcpd *d)
{
	struct apps_env env = {
		.eng = d->eng,
		.conn_open = on_svc_open,
		.conn_closing = on_svc_closing,
		.nl = d->nl,
		.ifindex = d->dp.ifindex,
		.bind_port = apps_bind_port,
		.unbind_port = apps_unbind_port,
		.arg = d,
	};
	int ret = lo_init(&d->lo);

	if (ret)
		return ret;
	d->apps = apps_open(d->cfg.app_socket, 0666, &env, &ret);
	if (!d->apps) {
		/* The built-in services still run (another xtcpd may own the
		 * default path: give each its own app_socket). */
		log_warn("application socket %s: %s; no applications",
			 d->cfg.app_socket, strerror(-ret));
		return 0;
	}
	log_info("applications on %s", d->cfg.app_socket);
	return 0;
}

/* Bindings a previous (killed) xtcpd left in the map are not ours. */
static void clear_bound(struct xtcpd *d)
{
	int fd = xattach_maps(d->att)->bound;
	struct xtcp_bound_key k, next;
	unsigned n = 0;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		if (bpf_map_delete_elem(fd, &k))
			break;
		n++;
	}
	if (n)
		log_info("removed %u stale bindings from the XDP map", n);
}

/* Is @a one of the interface's addresses (or a wildcard)? */
static bool addr_local(struct xtcpd *d, const struct ip_addr *a)
{
	struct nl_addr addrs[64];
	int n;

	if (ip_addr_is_any(a))
		return true;
	n = nl_addrs(d->nl, d->dp.ifindex, addrs, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (!memcmp(&addrs[i].addr, a, sizeof(*a)))
			return true;
	return false;
}

static void log_addresses(struct xtcpd *d, const char *ifname)
{
	struct nl_addr addrs[64];
	int n = nl_addrs(d->nl, d->dp.ifindex, addrs, 64);

	for (int i = 0; i < n && i < 64; i++) {
		char buf[64];

		log_info("%s: address %s/%u", ifname,
			 ip_addr_str(&addrs[i].addr, buf, sizeof(buf)),
			 addrs[i].prefixlen);
	}
}

static int start_services(struct xtcpd *d)
{
	struct sock_opts o;

	eng_default_opts(d->eng, &o);
	for (size_t i = 0; i < d->cfg.nservices; i++) {
		const struct cfg_service *s = &d->cfg.services[i];
		enum svc_kind kind;

		if (svc_kind_parse(s->kind, &kind))
			return -EINVAL;
		for (uint32_t a = 0; a < s->naddrs; a++) {
			for (uint32_t p = 0; p < s->nports; p++) {
				char buf[64];
				int ret;

				/* A service on an address the interface does not
				 * have could never be reached (tcp(4P): bind
				 * fails with EADDRNOTAVAIL). */
				if (!addr_local(d, &s->addr[a])) {
					log_err("service %s on [%s]:%u: %s",
						s->kind,
						ip_addr_str(&s->addr[a], buf,
							    sizeof(buf)),
						s->port[p],
						strerror(EADDRNOTAVAIL));
					return -EADDRNOTAVAIL;
				}
				ret = svc_listen(
					&d->svc, kind, &s->addr[a], s->port[p],
					eng_tunables(d->eng)->tcp_conn_req_max_q,
					&o);

				if (!ret)
					ret = bind_port(d, &s->addr[a],
							s->port[p]);
				if (ret) {
					log_err("service %s on [%s]:%u: %s",
						s->kind,
						ip_addr_str(&s->addr[a], buf,
							    sizeof(buf)),
						s->port[p], strerror(-ret));
					return ret;
				}
				log_info("service %s on [%s]:%u", s->kind,
					 ip_addr_str(&s->addr[a], buf,
						     sizeof(buf)),
					 s->port[p]);
			}
		}
	}
	return 0;
}

static void stop_services(struct xtcpd *d)
{
	for (size_t i = 0; i < d->cfg.nservices; i++) {
		const struct cfg_service *s = &d->cfg.services[i];

		for (uint32_t a = 0; a < s->naddrs; a++)
			for (uint32_t p = 0; p < s->nports; p++)
				unbind_port(d, &s->addr[a], s->port[p]);
	}
}

static int open_datapath(struct xtcpd *d)
{
	const struct cfg_interface *ifc = &d->cfg.ifaces[0];
	struct nl_link_info li;
	struct xattach_cfg ac = { 0 };
	int ret;

	if (d->cfg.nifaces != 1) {
		log_err("exactly one [interface] is supported, %zu configured",
			d->cfg.nifaces);
		return -EINVAL;
	}
	ret = nl_link(d->nl, ifc->name, &li);
	if (ret) {
		log_err("interface %s: %s", ifc->name, strerror(-ret));
		return ret;
	}
	ac.ifname = ifc->name;
	ac.obj_path = d->cfg.bpf_object[0] ? d->cfg.bpf_object : NULL;
	ac.pin_root = d->cfg.pin_path;
	/* "self" adopts a program a killed xtcpd left attached, rather than
	 * failing; only what this run attached is detached at exit. */
	ac.how = d->cfg.attach == CFG_ATTACH_EXTERNAL ? XATTACH_ADOPT :
							XATTACH_AUTO;
	ac.xdp_mode = d->cfg.xdp_mode == CFG_XDP_NATIVE	 ? XATTACH_XDP_NATIVE :
		      d->cfg.xdp_mode == CFG_XDP_GENERIC ? XATTACH_XDP_GENERIC :
							   XATTACH_XDP_ANY;
	ac.log = attach_log;
	ret = xattach_open(&d->att, &ac);
	if (ret) {
		log_err("xdp on %s: %s", ifc->name, strerror(-ret));
		return ret;
	}
	clear_bound(d);
	log_info("xdp program %u on %s (%s, %s)", xattach_prog_id(d->att),
		 ifc->name, xattach_mode_name(d->att),
		 xattach_adopted(d->att) ? "adopted" : "attached by xtcpd");

	ret = flows_init(&d->flows, xattach_map_fd(d->att, XTCP_MAP_ACK_SLOTS),
			 xattach_map_fd(d->att, XTCP_MAP_FLOWS));
	if (ret)
		log_warn("XDP fast path off: %s", strerror(-ret));
	else if (!d->flows.on && d->cfg.ack_absorb)
		log_warn("XDP fast path off: the program has no ACK slots");
	dp_init(&d->dp, d->nl, li.ifindex, li.mac, li.mtu);
	d->dp.before_tx = on_before_tx;
	d->dp.before_tx_arg = d;
	d->dp.before_rx = on_before_rx;
	d->dp.before_rx_arg = d;
	log_addresses(d, ifc->name);
	nl_set_neigh_cb(d->nl, on_neigh, d);
	for (uint32_t q = 0; q < (ifc->nqueues ? ifc->nqueues : 1); q++) {
		struct xio_cfg xc = {
			.ifname = ifc->name,
			.queue = ifc->nqueues ? ifc->queue[q] : 0,
			.frame_size = ifc->frame_size,
			.nframes = ifc->frames,
			.zerocopy = ifc->zerocopy == CFG_ZC_ON,
			.need_wakeup = true,
		};

		ret = xio_open(&d->xio[d->nxio], &xc,
			       xattach_maps(d->att)->xsks);
		if (ret) {
			log_err("AF_XDP socket on %s queue %u: %s", ifc->name,
				xc.queue, strerror(-ret));
			return ret;
		}
		dp_add_port(&d->dp, d->xio[d->nxio]);
		d->nxio++;
		log_info("AF_XDP socket on %s queue %u", ifc->name, xc.queue);
	}
	return 0;
}

static int setup(struct xtcpd *d)
{
	struct engine_config ec;
	sigset_t mask;
	char err[512];
	int ret;

	ret = config_load(d->cfg_path, &d->cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xtcpd: %s\n", err);
		return ret;
	}
	log_init(d->cfg.log_level, d->cfg.log_syslog);
	d->ncpus = libbpf_num_possible_cpus();

	memset(&ec, 0, sizeof(ec));
	ec.tun = d->cfg.tun;
	if (getrandom(ec.isn_key, sizeof(ec.isn_key), 0) !=
		    (ssize_t)sizeof(ec.isn_key) ||
	    getrandom(&ec.seed, sizeof(ec.seed), 0) !=
		    (ssize_t)sizeof(ec.seed)) {
		log_err("getrandom: %s", strerror(errno));
		return -errno;
	}
	d->eng = eng_create(&ec, &eng_ops, d);
	if (!d->eng)
		return -ENOMEM;
	svc_init(&d->svc, d->eng);
	svc_set_hooks(&d->svc, &(struct svc_hooks){ .opened = on_svc_open,
						    .closing = on_svc_closing,
						    .arg = d });

	/* First the control socket: a live one means another xtcpd, which
	 * must not see its XDP state touched. */
	d->ctl = ctl_open(d->cfg.control_socket, d->cfg.control_mode, &ctl_ops,
			  d, &ret);
	if (!d->ctl) {
		log_err("control socket %s: %s", d->cfg.control_socket,
			strerror(-ret));
		return ret == -EADDRINUSE ? -EALREADY : ret;
	}

	ret = nl_open(&d->nl);
	if (ret) {
		log_err("netlink: %s", strerror(-ret));
		return ret;
	}
	ret = open_datapath(d);
	if (ret)
		return ret;

	/* Linux sockets must not take the ports xtcp hands out. */
	ret = reserve_ports_apply(&d->rp, NULL, NULL,
				  (uint16_t)d->cfg.tun.tcp_smallest_anon_port,
				  (uint16_t)d->cfg.tun.tcp_largest_anon_port);
	d->rp_applied = !ret;
	if (!ret && reserve_ports_linux_left(&d->rp) == 0)
		log_warn(
			"ports %u-%u reserved for xtcp cover Linux's whole ephemeral range: Linux connect() without bind() will fail (set tcp_smallest_anon_port above net.ipv4.ip_local_port_range)",
			d->cfg.tun.tcp_smallest_anon_port,
			d->cfg.tun.tcp_largest_anon_port);
	if (ret)
		log_warn("cannot reserve ports %u-%u in the kernel: %s",
			 d->cfg.tun.tcp_smallest_anon_port,
			 d->cfg.tun.tcp_largest_anon_port, strerror(-ret));

	ret = start_services(d);
	if (ret)
		return ret;
	ret = start_apps(d);
	if (ret)
		return ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	log_info("xtcpd %s ready", XTCPD_VERSION);
	return 0;
}

static void reload(struct xtcpd *d)
{
	char err[512];

	if (config_reload_tunables(d->cfg_path, eng_tunables(d->eng), err,
				   sizeof(err)))
		log_err("reload: %s (tunables unchanged)", err);
	else
		log_info("reloaded tunables from %s", d->cfg_path);
}

static void read_signals(struct xtcpd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

/* --- the loop ------------------------------------------------------------- */

static void run(struct xtcpd *d)
{
	struct pollfd pfd[CFG_MAX_QUEUES + 4];
	uint64_t last_busy = mono_us(), last_slow = 0;
	uint32_t busy_us = d->cfg.busy_poll_us ? d->cfg.busy_poll_us : 50;
	uint32_t spin;

	while (!d->stop) {
		unsigned n;
		uint64_t next;

		d->now = mono_us();
		n = dp_rx(&d->dp, d->eng, d->now);
		n += flows_sync(&d->flows, d->now);
		if (eng_next_deadline(d->eng) <= d->now)
			eng_timers(d->eng, d->now);
		svc_run(&d->svc, d->now);
		n += apps_run(d->apps, d->now);
		/* Segments to ourselves, fed back until none are left. */
		for (unsigned k = 0; k < 64 && lo_pending(&d->lo); k++) {
			n += lo_drain(&d->lo, d->eng, d->now, LO_SLOTS);
			svc_run(&d->svc, d->now);
			n += apps_run(d->apps, d->now);
		}
		n += flows_sync(&d->flows, d->now);
		dp_flush(&d->dp);
		if (n)
			last_busy = d->now;
		/*
		 * ACKs XDP absorbs wake nobody: while some are due, keep
		 * looking at the slots for a while (an RTT on a LAN is tens
		 * of microseconds) before sleeping.
		 */
		spin = d->flows.waiting_acks && busy_us < WAIT_ACK_SPIN_US ?
			       WAIT_ACK_SPIN_US :
			       busy_us;

		/* Busy: spin without system calls, but look at netlink,
		 * control and signals now and then. */
		if (d->now - last_busy < spin &&
		    d->now - last_slow < SLOW_CHECK_US) {
			/*
			 * Nothing happened this round: let whatever shares the
			 * CPU run. The kernel's softirq work (veth delivery,
			 * XDP itself, which fills the ACK slots) may be queued
			 * behind us on this core.
			 */
			if (!n)
				sched_yield();
			continue;
		}

		unsigned np = 0;
		int timeout = 0;

		pfd[np++] =
			(struct pollfd){ .fd = nl_fd(d->nl), .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = ctl_fd(d->ctl),
					     .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = apps_fd(d->apps),
					     .events = POLLIN };
		for (unsigned i = 0; i < d->nxio; i++)
			pfd[np++] = (struct pollfd){ .fd = xio_fd(d->xio[i]),
						     .events = POLLIN };
		if (d->now - last_busy >= spin) {
			/* Idle: sleep until traffic, a request or a timer. */
			next = eng_next_deadline(d->eng);
			timeout = IDLE_POLL_MAX_MS;
			if (d->dp.npend)
				timeout = 10; /* waiting for a neighbour */
			/* ACKs still due (a peer delaying its ACKs, a loss):
			 * look at the slots every millisecond. */
			if (d->flows.waiting_acks)
				timeout = 1;
			if (next != UINT64_MAX) {
				uint64_t ms = next > d->now ? (next - d->now +
							       999) / 1000 :
							      0;

				if (ms < (uint64_t)timeout)
					timeout = (int)ms;
			}
			/* Applications ring the doorbell while we sleep. */
			if (timeout && !apps_sleep(d->apps))
				timeout = 0;
		}
		if (poll(pfd, np, timeout) < 0 && errno != EINTR)
			log_warn("poll: %s", strerror(errno));
		apps_awake(d->apps);
		last_slow = mono_us();
		if (pfd[0].revents)
			nl_process(d->nl);
		if (pfd[1].revents)
			ctl_handle(d->ctl);
		if (pfd[2].revents)
			read_signals(d);
		if (pfd[3].revents && apps_handle(d->apps, last_slow))
			last_busy = last_slow;
		dp_expire(&d->dp, last_slow);
		for (unsigned i = 4; i < np; i++)
			if (pfd[i].revents)
				last_busy = last_slow;
	}
}

/*
 * Detach and unpin what this xtcpd owns. With attach = self, a program an
 * earlier xtcpd left behind (killed before it could clean up) was adopted
 * at start: it is ours too, so it goes like one we attached ourselves.
 */
static void release_xdp(struct xtcpd *d)
{
	bool stale = d->cfg.attach == CFG_ATTACH_SELF &&
		     xattach_adopted(d->att);
	const struct xtcp_maps *m = xattach_maps(d->att);
	char names[XATTACH_MAPS_MAX][16];
	unsigned n = m->n;
	uint32_t id = xattach_prog_id(d->att);

	for (unsigned i = 0; i < n; i++)
		memcpy(names[i], m->map[i].name, sizeof(names[i]));
	xattach_close(d->att);
	d->att = NULL;
	if (!stale)
		return;

	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);

		/* Only if it is still the one there (XDP_FLAGS_REPLACE). */
		if (bpf_xdp_detach(d->dp.ifindex, XDP_FLAGS_REPLACE, &o))
			log_warn("detaching the adopted program: %s",
				 strerror(errno));
		close(fd);
	}
	for (unsigned i = 0; i < n; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", d->cfg.pin_path,
			 names[i]);
		unlink(path);
	}
	rmdir(d->cfg.pin_path);
	log_info("detached and unpinned the program an earlier xtcpd left");
}

/* SIGTERM: connections end gracefully for a moment, then by RST. */
static void shutdown_all(struct xtcpd *d)
{
	uint64_t until;

	if (d->eng) {
		d->now = mono_us();
		/* Applications' connections are reset (apps(3) get
		 * ECONNRESET from the closed application socket anyway). */
		apps_close(d->apps, d->now);
		lo_drain(&d->lo, d->eng, d->now, LO_SLOTS);
		svc_shutdown(&d->svc, false, d->now);
		until = d->now + 500000;
		while (d->att && d->nxio && (d->now = mono_us()) < until) {
			dp_rx(&d->dp, d->eng, d->now);
			if (eng_next_deadline(d->eng) <= d->now)
				eng_timers(d->eng, d->now);
			dp_flush(&d->dp);
			usleep(1000);
		}
	}
	if (d->att)
		stop_services(d);
	flows_fini(&d->flows);
	for (unsigned i = 0; i < d->nxio; i++)
		xio_close(d->xio[i]);
	if (d->eng)
		eng_destroy(d->eng);
	apps_free(d->apps);
	lo_fini(&d->lo);
	if (d->att)
		release_xdp(d);
	if (d->rp_applied)
		reserve_ports_restore(&d->rp);
	if (d->ctl)
		ctl_close(d->ctl);
	if (d->nl)
		nl_close(d->nl);
	if (d->sigfd > 0)
		close(d->sigfd);
	config_free(&d->cfg);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcpd [-c CONFIG] [-d]\n"
		"  -c CONFIG  configuration file (default %s)\n"
		"  -d         log at debug level\n",
		CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static struct xtcpd d;
	bool debug = false;
	int opt, ret;

	d.cfg_path = CONFIG_DEFAULT_PATH;
	d.sigfd = -1;
	while ((opt = getopt(argc, argv, "c:dh")) != -1) {
		switch (opt) {
		case 'c':
			d.cfg_path = optarg;
			break;
		case 'd':
			debug = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	d.start_us = mono_us();
	ret = setup(&d);
	if (!ret) {
		if (debug)
			log_init(LOGL_DEBUG, d.cfg.log_syslog);
		run(&d);
		log_info("stopping");
	}
	shutdown_all(&d);
	return ret ? 1 : 0;
}
