/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading and attaching xtcp's XDP program, or adopting one already there,
 * and finding its maps.
 *
 * Load: the program comes from cfg->obj_path, or, when that is NULL, from
 * the object embedded in the build's skeleton (build/bpf/xtcp.skel.h): xtcpd
 * carries the program it was built with, so a daemon and its program never
 * disagree on map layouts. Both are opened with the same libbpf calls (the
 * skeleton's ELF bytes through bpf_object__open_mem), with pin_root_path set
 * to cfg->pin_root (default /sys/fs/bpf/xtcp): the maps declared
 * LIBBPF_PIN_BY_NAME are pinned there, or reused when already pinned. The
 * program is attached natively, falling back (logged) to generic (SKB) mode
 * where the driver has no native XDP, unless cfg->xdp_mode says otherwise.
 * One program, attached directly: no libxdp dispatcher.
 *
 * Adopt: a program attached beforehand (`xdp-loader load`, `ip link set dev
 * X xdp obj ...`, an earlier xtcpd), whose pins are wherever its loader put
 * them (e.g. /sys/fs/bpf/tc/globals). Its id comes from the interface, its
 * maps from the program's map ids, matched by name: xsks_map and every
 * xtcp_* map. xsks_map and xtcp_bound must be there, or it is not xtcp's
 * program (-ENOENT). The maps are pinned by name under pin_root so tools
 * (xtcpctl, bpftool) find them the same way in both cases.
 *
 * Close detaches the program only if this attach attached it (and only if
 * it is still the one on the interface), unpins only the pins this attach
 * created, and removes pin_root if it created it and it is empty. With
 * cfg->persist nothing is detached or unpinned.
 *
 * /sys/fs/bpf is mounted (bpffs) when it is not one and pin_root is under it.
 * All functions returning int return 0 or a negative errno.
 */
#ifndef XTCP_IO_ATTACH_H
#define XTCP_IO_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

enum xattach_how {
	XATTACH_AUTO, /* adopt what is attached, else load and attach */
	XATTACH_LOAD, /* load and attach; -EBUSY if a program is attached */
	XATTACH_ADOPT, /* adopt what is attached; -ENOENT if nothing is */
};

enum xattach_xdp_mode {
	XATTACH_XDP_ANY, /* native, falling back to generic */
	XATTACH_XDP_NATIVE, /* native only */
	XATTACH_XDP_GENERIC, /* generic (SKB) only */
};

struct xattach_cfg {
	const char *ifname;
	const char *obj_path; /* NULL: the embedded skeleton's object */
	const char *pin_root; /* NULL: XTCP_PIN_ROOT */
	enum xattach_how how;
	enum xattach_xdp_mode xdp_mode;
	bool persist; /* close leaves the program attached and pinned */
	/* Messages (fallbacks, adoption, stale pins); NULL: stderr. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

#define XATTACH_MAPS_MAX 16

struct xattach_map {
	char name[16];
	uint32_t id;
	int fd;
};

/* The program's maps. Fds stay valid until xattach_close. */
struct xtcp_maps {
	int xsks; /* xsks_map */
	int bound; /* xtcp_bound */
	int counters; /* xtcp_counters, or -1 */
	unsigned n;
	struct xattach_map map[XATTACH_MAPS_MAX]; /* all of them, by name */
};

struct xattach;

int xattach_open(struct xattach **out, const struct xattach_cfg *cfg);
/* Detach and unpin what this attach did (see above). NULL is fine. */
void xattach_close(struct xattach *a);

const struct xtcp_maps *xattach_maps(const struct xattach *a);
/* A map's fd by name, or -ENOENT. */
int xattach_map_fd(const struct xattach *a, const char *name);
/* Did we adopt a program rather than attach our own? */
bool xattach_adopted(const struct xattach *a);
uint32_t xattach_prog_id(const struct xattach *a);
/* "native", "generic" or "offload": how the program is attached. */
const char *xattach_mode_name(const struct xattach *a);

#endif
