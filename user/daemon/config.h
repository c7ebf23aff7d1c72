/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xtcpd's configuration file (INI, parsed with libinih); the format is in
 * xtcpd.conf(5) and examples/xtcpd.conf. Sections:
 *
 *	[daemon]          log_level, log, control_socket, control_mode,
 *	                  app_socket,
 *	                  attach, xdp_mode, bpf_object, pin_path, busy_poll_us
 *	[interface NAME]  queues, frame_size, frames, zerocopy (one per NIC)
 *	[tunables]        any name of tunable_table, set with tunable_set()
 *	[service KIND]    port, address (KIND: echo, discard, chargen)
 *
 * Every error is one line "FILE:LINE: message" (or "FILE: message" when no
 * line applies, e.g. the file cannot be opened): unknown sections and keys,
 * a key given twice, a key outside a section, bad values, syntax errors,
 * duplicate sections and services that collide on an (address, port).
 *
 * Typical use by the main loop:
 *
 *	struct daemon_config cfg;
 *	char err[256];
 *
 *	if (config_load(path, &cfg, err, sizeof(err))) {
 *		fprintf(stderr, "xtcpd: %s\n", err);
 *		exit(1);
 *	}
 *	... use cfg.tun for struct engine_config, cfg.ifaces, cfg.services ...
 *	config_free(&cfg);
 *
 * and on SIGHUP:
 *
 *	if (config_reload_tunables(path, eng_tunables(eng), err, sizeof(err)))
 *		log_err("reload: %s (tunables unchanged)", err);
 */
#ifndef XTCP_DAEMON_CONFIG_H
#define XTCP_DAEMON_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/log.h"
#include "stack/tunables.h"
#include "wire/ip.h"

#define CONFIG_DEFAULT_PATH "/etc/xtcp/xtcpd.conf"
#define CONFIG_DEFAULT_SOCKET "/run/xtcp/xtcpd.sock"
#define CONFIG_DEFAULT_APP_SOCKET "/run/xtcp/app.sock"
#define CONFIG_DEFAULT_PIN_PATH "/sys/fs/bpf/xtcp"

#define CONFIG_MAX_LINE 4350 /* characters in one line */
#define CFG_MAX_QUEUES 64 /* queue ids listed per interface */
#define CFG_MAX_QUEUE_ID 1023
#define CFG_MAX_PORTS 16 /* ports per service */
#define CFG_MAX_ADDRS 16 /* addresses per service */
#define CFG_MAX_IFACES 64
#define CFG_MAX_SERVICES 64

/* Who attaches the XDP program. */
enum cfg_attach {
	CFG_ATTACH_SELF, /* xtcpd loads and attaches it, detaches at exit */
	CFG_ATTACH_EXTERNAL, /* already attached (xdp-loader, ip link) */
};

/* How xtcpd attaches it (attach = self). */
enum cfg_xdp_mode {
	CFG_XDP_AUTO, /* native, falling back to generic */
	CFG_XDP_NATIVE, /* driver mode only; fail if unsupported */
	CFG_XDP_GENERIC, /* skb mode */
};

/* AF_XDP zero-copy: XDP_ZEROCOPY, XDP_COPY, or try zero-copy first. */
enum cfg_zerocopy { CFG_ZC_AUTO, CFG_ZC_ON, CFG_ZC_OFF };

struct cfg_interface {
	char name[IFNAMSIZ];
	int line; /* of its [interface NAME] header, for messages */
	/*
	 * The receive queues to bind an AF_XDP socket to, in ascending order.
	 * nqueues == 0 means every queue the device has (queues = all).
	 */
	uint32_t nqueues;
	uint32_t queue[CFG_MAX_QUEUES];
	uint32_t frame_size; /* UMEM chunk: 2048 or 4096 */
	uint32_t frames; /* UMEM frames per queue, a power of two */
	enum cfg_zerocopy zerocopy;
};

/* A built-in service (RFC 862/863/864), served by services.c. */
struct cfg_service {
	/* "echo", "discard" or "chargen" (static): svc_kind_parse() it. */
	const char *kind;
	int line; /* of its [service KIND] header */
	uint32_t nports;
	uint16_t port[CFG_MAX_PORTS];
	/* IPv4 as IPv4-mapped; the default is one wildcard address (::). */
	uint32_t naddrs;
	struct ip_addr addr[CFG_MAX_ADDRS];
};

struct daemon_config {
	/* [daemon] */
	enum log_level log_level;
	bool log_syslog;
	char control_socket[108]; /* sizeof(sun_path); absolute */
	mode_t control_mode; /* 0600 or 0660 etc.; default 0660 */
	/* Applications' socket (libxtcp, xtcp/ipc.h); absolute; mode 0666. */
	char app_socket[108];
	enum cfg_attach attach;
	enum cfg_xdp_mode xdp_mode;
	char bpf_object[PATH_MAX]; /* "": the installed default (xtcpd's) */
	char pin_path[256]; /* bpffs directory of the pinned maps */
	/* How long the loop keeps polling without sleeping after the last
	 * frame; 0: the default, 50. */
	uint32_t busy_poll_us;
	/* Let XDP absorb pure in-order ACKs (the fast path); default yes. */
	bool ack_absorb;

	/* [interface NAME]..., in file order */
	struct cfg_interface *ifaces;
	size_t nifaces;

	/* [tunables]: defaults + the file */
	struct tunables tun;

	/* [service KIND]..., in file order */
	struct cfg_service *services;
	size_t nservices;
};

/*
 * The configuration with no file: every default, no interface, no service.
 * @cfg needs config_free() afterwards.
 */
void config_defaults(struct daemon_config *cfg);

/*
 * Read @path into @cfg (which need not be initialised). Returns 0, or a
 * negative errno with "FILE:LINE: message" in @err: -ENOENT/-EACCES/... when
 * the file cannot be read, -EINVAL for any error in it. On error @cfg holds
 * the defaults (config_free() is still safe and needed either way).
 */
int config_load(const char *path, struct daemon_config *cfg, char *err,
		size_t errlen);

/* Free what config_load()/config_defaults() allocated; @cfg is reusable. */
void config_free(struct daemon_config *cfg);

/*
 * For SIGHUP: validate the whole of @path (every section, as config_load
 * does) and, only if it is valid, set *@out to the defaults plus the file's
 * [tunables]. Values changed at run time with `xtcpctl set` are thus
 * temporary: a reload (or a restart) returns to the file. On error *@out is
 * untouched and @err says why. Other sections are read but not applied:
 * they need a restart. Returns 0 or a negative errno.
 */
int config_reload_tunables(const char *path, struct tunables *out, char *err,
			   size_t errlen);

/* Names for logs and `xtcpctl status`. */
const char *cfg_attach_name(enum cfg_attach a);
const char *cfg_xdp_mode_name(enum cfg_xdp_mode m);
const char *cfg_zerocopy_name(enum cfg_zerocopy z);

#endif
