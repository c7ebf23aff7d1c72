// SPDX-License-Identifier: BSD-2-Clause
/* Loading, attaching or adopting xtcp's XDP program: see attach.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xtcp/xdp_maps.h"
#include "io/attach.h"

/* The skeleton is generated code: it defines helpers this file does not
 * use. Only its embedded object (xtcp_bpf__elf_bytes) is used here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bpf/xtcp.skel.h"
#pragma GCC diagnostic pop

#define BPFFS "/sys/fs/bpf"
#define XTCP_PROG_NAME "xtcp_xdp"
/* Map ids read from an adopted program at most. */
#define PROG_MAPS_MAX 64

struct xattach {
	char ifname[IF_NAMESIZE];
	char root[PATH_MAX - 32]; /* room for "/<map name>" */
	int ifindex;
	struct xattach_cfg cfg;
	struct bpf_object *obj; /* when we loaded it */
	int prog_fd;
	uint32_t prog_id;
	uint32_t xdp_flags; /* the mode we attached in, when we did */
	uint8_t attach_mode; /* XDP_ATTACHED_* */
	bool attached; /* we attached the program */
	bool adopted;
	bool made_root;
	bool existed[XATTACH_MAPS_MAX]; /* pin there before we loaded */
	bool pinned[XATTACH_MAPS_MAX]; /* pin made by us */
	struct xtcp_maps maps;
};

__attribute__((format(printf, 2, 3))) static void alog(struct xattach *a,
						       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a->cfg.log)
		a->cfg.log(a->cfg.log_arg, msg);
	else
		fprintf(stderr, "xtcp attach: %s\n", msg);
}

/* xsks_map and the xtcp_* maps; not libbpf's internal ones (".rodata"
 * etc., whose names carry a dot). */
static bool is_xtcp_map(const char *name)
{
	if (strchr(name, '.'))
		return false;
	return !strcmp(name, XTCP_MAP_XSKS) || !strncmp(name, "xtcp_", 5);
}

static int pin_path(const struct xattach *a, const char *name, char *buf,
		    size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", a->root, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int map_id_of(int fd, uint32_t *id, char *name, size_t len)
{
	struct bpf_map_info info;
	__u32 ilen = sizeof(info);

	*id = 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	*id = info.id;
	if (name)
		snprintf(name, len, "%s", info.name);
	return 0;
}

static int ensure_bpffs(struct xattach *a)
{
	struct statfs st;

	if (strncmp(a->root, BPFFS "/", sizeof(BPFFS)))
		return 0;
	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		alog(a, "cannot mount bpffs at %s: %s", BPFFS, strerror(errno));
		return -errno;
	}
	alog(a, "mounted bpffs at %s", BPFFS);
	return 0;
}

/* mkdir -p the pin root; remember whether its last component is ours. */
static int make_root(struct xattach *a)
{
	char path[sizeof(a->root)];
	char *p;

	snprintf(path, sizeof(path), "%s", a->root);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (!mkdir(path, 0700))
		a->made_root = true;
	else if (errno != EEXIST)
		return -errno;
	return 0;
}

static int add_map(struct xattach *a, const char *name, int fd, uint32_t id)
{
	struct xtcp_maps *m = &a->maps;

	if (m->n == XATTACH_MAPS_MAX) {
		alog(a, "more than %d xtcp maps: %s not tracked",
		     XATTACH_MAPS_MAX, name);
		return -E2BIG;
	}
	snprintf(m->map[m->n].name, sizeof(m->map[m->n].name), "%s", name);
	m->map[m->n].fd = fd;
	m->map[m->n].id = id;
	if (!strcmp(name, XTCP_MAP_XSKS))
		m->xsks = fd;
	else if (!strcmp(name, XTCP_MAP_BOUND))
		m->bound = fd;
	else if (!strcmp(name, XTCP_MAP_COUNTERS))
		m->counters = fd;
	m->n++;
	return 0;
}

/*
 * Every map pinned by name under the root: an existing pin of the same map
 * is left alone (ours only if it was not there before we loaded), a pin of
 * another map (a stale one, from an earlier program) is replaced.
 */
static int pin_maps(struct xattach *a)
{
	char path[PATH_MAX];
	uint32_t id;
	unsigned i;
	int fd, err;

	for (i = 0; i < a->maps.n; i++) {
		err = pin_path(a, a->maps.map[i].name, path, sizeof(path));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			err = map_id_of(fd, &id, NULL, 0);
			close(fd);
			if (!err && id == a->maps.map[i].id) {
				/* Ours only if libbpf made it in load(). */
				a->pinned[i] = a->obj && !a->existed[i];
				continue;
			}
			alog(a, "replacing stale pin %s", path);
			if (unlink(path))
				return -errno;
		}
		if (bpf_obj_pin(a->maps.map[i].fd, path)) {
			err = -errno;
			alog(a, "cannot pin %s: %s", path, strerror(-err));
			return err;
		}
		a->pinned[i] = true;
	}
	return 0;
}

static int prog_id_of(int fd, uint32_t *id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*id = info.id;
	return 0;
}

static struct bpf_program *pick_prog(struct bpf_object *obj)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(obj, XTCP_PROG_NAME);

	if (p)
		return p;
	bpf_object__for_each_program(p, obj)
	{
		if (bpf_program__type(p) == BPF_PROG_TYPE_XDP)
			return p;
	}
	return NULL;
}

static int attach_prog(struct xattach *a)
{
	enum xattach_xdp_mode mode = a->cfg.xdp_mode;
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err = -EINVAL;

	if (mode != XATTACH_XDP_GENERIC) {
		err = bpf_xdp_attach(a->ifindex, a->prog_fd,
				     flags | XDP_FLAGS_DRV_MODE, NULL);
		if (!err) {
			a->xdp_flags = XDP_FLAGS_DRV_MODE;
			a->attach_mode = XDP_ATTACHED_DRV;
			return 0;
		}
		if (mode == XATTACH_XDP_NATIVE || err == -EBUSY ||
		    err == -EEXIST) {
			alog(a, "native XDP on %s: %s", a->ifname,
			     strerror(-err));
			return err;
		}
		alog(a, "native XDP on %s failed (%s): falling back to generic",
		     a->ifname, strerror(-err));
	}
	err = bpf_xdp_attach(a->ifindex, a->prog_fd, flags | XDP_FLAGS_SKB_MODE,
			     NULL);
	if (err) {
		alog(a, "generic XDP on %s: %s", a->ifname, strerror(-err));
		return err;
	}
	a->xdp_flags = XDP_FLAGS_SKB_MODE;
	a->attach_mode = XDP_ATTACHED_SKB;
	return 0;
}

static int load(struct xattach *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = a->root,
		    .object_name = "xtcp");
	char path[PATH_MAX];
	struct bpf_program *prog;
	struct bpf_map *map;
	const void *elf;
	uint32_t id;
	size_t sz;
	int err, fd;

	if (a->cfg.obj_path) {
		a->obj = bpf_object__open_file(a->cfg.obj_path, &oo);
	} else {
		elf = xtcp_bpf__elf_bytes(&sz);
		a->obj = bpf_object__open_mem(elf, sz, &oo);
	}
	if (!a->obj) {
		err = -errno;
		alog(a, "cannot open %s: %s",
		     a->cfg.obj_path ? a->cfg.obj_path : "the embedded object",
		     strerror(-err));
		return err;
	}
	prog = pick_prog(a->obj);
	if (!prog) {
		alog(a, "no XDP program in the object");
		return -ENOENT;
	}
	/* Which pins are there before libbpf pins or reuses them. */
	bpf_object__for_each_map(map, a->obj)
	{
		if (!is_xtcp_map(bpf_map__name(map)) ||
		    a->maps.n == XATTACH_MAPS_MAX)
			continue;
		err = pin_path(a, bpf_map__name(map), path, sizeof(path));
		if (err)
			return err;
		a->existed[a->maps.n] = !access(path, F_OK);
		err = add_map(a, bpf_map__name(map), -1, 0);
		if (err)
			return err;
	}
	err = bpf_object__load(a->obj);
	if (err) {
		alog(a, "cannot load the program: %s", strerror(-err));
		return err;
	}
	a->maps.n = 0;
	a->maps.xsks = a->maps.bound = a->maps.counters = -1;
	bpf_object__for_each_map(map, a->obj)
	{
		if (!is_xtcp_map(bpf_map__name(map)) ||
		    a->maps.n == XATTACH_MAPS_MAX)
			continue;
		fd = dup(bpf_map__fd(map));
		if (fd < 0)
			return -errno;
		err = map_id_of(fd, &id, NULL, 0);
		if (!err)
			err = add_map(a, bpf_map__name(map), fd, id);
		if (err) {
			close(fd);
			return err;
		}
	}
	a->prog_fd = dup(bpf_program__fd(prog));
	if (a->prog_fd < 0)
		return -errno;
	err = prog_id_of(a->prog_fd, &a->prog_id);
	if (err)
		return err;
	/* Pins first: which are ours must be known even if attaching fails,
	 * so close removes what libbpf pinned for us. */
	err = pin_maps(a);
	if (err)
		return err;
	err = attach_prog(a);
	if (err)
		return err;
	a->attached = true;
	return 0;
}

static int adopt(struct xattach *a, uint32_t prog_id)
{
	uint32_t ids[PROG_MAPS_MAX], n, i, id;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	char name[16];
	int err, fd;

	a->adopted = true;
	a->prog_id = prog_id;
	a->prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (a->prog_fd < 0) {
		err = -errno;
		alog(a, "cannot open program id %u: %s", prog_id,
		     strerror(-err));
		return err;
	}
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PROG_MAPS_MAX;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(a->prog_fd, &info, &len))
		return -errno;
	n = info.nr_map_ids < PROG_MAPS_MAX ? info.nr_map_ids : PROG_MAPS_MAX;
	for (i = 0; i < n; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			return -errno;
		err = map_id_of(fd, &id, name, sizeof(name));
		if (!err && is_xtcp_map(name))
			err = add_map(a, name, fd, id);
		else
			close(fd);
		if (err)
			return err;
	}
	if (a->maps.xsks < 0 || a->maps.bound < 0) {
		alog(a, "program id %u (%s) on %s is not xtcp's: no %s or %s",
		     prog_id, info.name, a->ifname, XTCP_MAP_XSKS,
		     XTCP_MAP_BOUND);
		return -ENOENT;
	}
	alog(a, "adopted program id %u (%s) on %s, %u maps", prog_id, info.name,
	     a->ifname, a->maps.n);
	return pin_maps(a);
}

int xattach_open(struct xattach **out, const struct xattach_cfg *cfg)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const char *root = cfg->pin_root ? cfg->pin_root : XTCP_PIN_ROOT;
	struct xattach *a;
	uint32_t id;
	int err;

	*out = NULL;
	if (!cfg->ifname || strlen(cfg->ifname) >= IF_NAMESIZE ||
	    root[0] != '/')
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	a->prog_fd = -1;
	a->maps.xsks = a->maps.bound = a->maps.counters = -1;
	snprintf(a->ifname, sizeof(a->ifname), "%s", cfg->ifname);
	a->cfg.ifname = a->ifname;
	if ((size_t)snprintf(a->root, sizeof(a->root), "%s", root) >=
	    sizeof(a->root)) {
		err = -ENAMETOOLONG;
		goto err;
	}
	/* A trailing slash would double in pin paths. */
	while (strlen(a->root) > 1 && a->root[strlen(a->root) - 1] == '/')
		a->root[strlen(a->root) - 1] = 0;
	a->cfg.pin_root = a->root;
	a->cfg.obj_path = NULL;
	if (cfg->obj_path) {
		a->cfg.obj_path = strdup(cfg->obj_path);
		if (!a->cfg.obj_path) {
			err = -ENOMEM;
			goto err;
		}
	}
	a->ifindex = if_nametoindex(a->ifname);
	if (!a->ifindex) {
		err = -ENODEV;
		goto err;
	}
	err = ensure_bpffs(a);
	if (!err)
		err = make_root(a);
	if (err) {
		alog(a, "cannot create %s: %s", a->root, strerror(-err));
		goto err;
	}
	err = bpf_xdp_query(a->ifindex, 0, &q);
	if (err)
		goto err;
	id = q.prog_id;
	if (q.attach_mode == XDP_ATTACHED_MULTI)
		id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	a->attach_mode = q.attach_mode;
	if (id && cfg->how == XATTACH_LOAD) {
		alog(a, "%s already has XDP program id %u", a->ifname, id);
		err = -EBUSY;
	} else if (id) {
		err = adopt(a, id);
	} else if (cfg->how == XATTACH_ADOPT) {
		alog(a, "no XDP program on %s to adopt", a->ifname);
		err = -ENOENT;
	} else {
		err = load(a);
	}
	if (err)
		goto err;
	*out = a;
	return 0;
err:
	xattach_close(a);
	return err;
}

static void unpin_ours(struct xattach *a)
{
	char path[PATH_MAX];
	uint32_t id;
	unsigned i;
	int fd;

	for (i = 0; i < a->maps.n; i++) {
		if (!a->pinned[i] ||
		    pin_path(a, a->maps.map[i].name, path, sizeof(path)))
			continue;
		/* Only if the pin is still ours. */
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!map_id_of(fd, &id, NULL, 0) && id == a->maps.map[i].id &&
		    unlink(path))
			alog(a, "cannot unpin %s: %s", path, strerror(errno));
		close(fd);
	}
	if (a->made_root)
		rmdir(a->root); /* fails harmlessly when not empty */
}

void xattach_close(struct xattach *a)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	unsigned i;
	int err;

	if (!a)
		return;
	if (!a->cfg.persist) {
		if (a->attached) {
			/* Only if ours is still the one attached. */
			o.old_prog_fd = a->prog_fd;
			err = bpf_xdp_detach(a->ifindex,
					     a->xdp_flags | XDP_FLAGS_REPLACE,
					     &o);
			if (err && err != -ENODEV)
				alog(a, "left %s's XDP program: %s", a->ifname,
				     strerror(-err));
		}
		unpin_ours(a);
	}
	for (i = 0; i < a->maps.n; i++)
		if (a->maps.map[i].fd >= 0)
			close(a->maps.map[i].fd);
	if (a->prog_fd >= 0)
		close(a->prog_fd);
	bpf_object__close(a->obj);
	free((char *)a->cfg.obj_path);
	free(a);
}

const struct xtcp_maps *xattach_maps(const struct xattach *a)
{
	return &a->maps;
}

int xattach_map_fd(const struct xattach *a, const char *name)
{
	unsigned i;

	for (i = 0; i < a->maps.n; i++)
		if (!strcmp(a->maps.map[i].name, name))
			return a->maps.map[i].fd;
	return -ENOENT;
}

bool xattach_adopted(const struct xattach *a)
{
	return a->adopted;
}

uint32_t xattach_prog_id(const struct xattach *a)
{
	return a->prog_id;
}

const char *xattach_mode_name(const struct xattach *a)
{
	switch (a->attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	default:
		return "multi";
	}
}
