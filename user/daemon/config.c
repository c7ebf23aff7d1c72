// SPDX-License-Identifier: BSD-2-Clause
/*
 * xtcpd.conf: INI through libinih.
 *
 * libinih is fed by our own line reader, which counts physical lines (so
 * every message has the right line number), parses section headers itself
 * (so an empty or unknown section is still seen, and "[interface eth0]"
 * opens its record at once), and refuses over-long lines instead of letting
 * libinih split them. Keys arrive in handler(), one at a time, while the
 * reader's line number is still theirs.
 *
 * Tunables are collected and applied at the end with tunable_set(), the
 * validator `xtcpctl set` uses too. Because tunable_set() checks rules
 * between fields (rexmit min <= max, ...) against the values already set,
 * they are applied until no more succeed, so their order in the file does
 * not matter; what still fails is reported at its line.
 */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum section {
	SEC_NONE,
	SEC_DAEMON,
	SEC_INTERFACE,
	SEC_TUNABLES,
	SEC_SERVICE,
};

struct seen_key {
	char *name;
	int line;
};

struct tun_entry {
	const struct tunable_desc *d;
	char *value;
	int line;
	bool done;
};

struct parser {
	const char *path;
	FILE *f;
	char *buf; /* getline's */
	size_t bufcap;
	int line;
	struct daemon_config *cfg;
	char *err;
	size_t errlen;
	int ret; /* first error, negative errno */

	enum section sec;
	int daemon_line, tunables_line; /* 0 until seen */
	struct seen_key *keys; /* of the current section */
	size_t nkeys;
	struct tun_entry *tun;
	size_t ntun;
};

static const struct {
	const char *kind;
	uint16_t port;
} service_kinds[] = {
	{ "echo", 7 }, /* RFC 862 */
	{ "discard", 9 }, /* RFC 863 */
	{ "chargen", 19 }, /* RFC 864 */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4))) static int
fail(struct parser *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->ret)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	p->ret = -EINVAL;
	return 0; /* libinih: handler failed */
}

const char *cfg_attach_name(enum cfg_attach a)
{
	return a == CFG_ATTACH_EXTERNAL ? "external" : "self";
}

const char *cfg_xdp_mode_name(enum cfg_xdp_mode m)
{
	switch (m) {
	case CFG_XDP_NATIVE:
		return "native";
	case CFG_XDP_GENERIC:
		return "generic";
	default:
		return "auto";
	}
}

const char *cfg_zerocopy_name(enum cfg_zerocopy z)
{
	switch (z) {
	case CFG_ZC_ON:
		return "yes";
	case CFG_ZC_OFF:
		return "no";
	default:
		return "auto";
	}
}

void config_defaults(struct daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOGL_INFO;
	cfg->log_syslog = false;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CONFIG_DEFAULT_SOCKET);
	cfg->control_mode = 0660;
	snprintf(cfg->app_socket, sizeof(cfg->app_socket), "%s",
		 CONFIG_DEFAULT_APP_SOCKET);
	cfg->attach = CFG_ATTACH_SELF;
	cfg->xdp_mode = CFG_XDP_AUTO;
	snprintf(cfg->pin_path, sizeof(cfg->pin_path), "%s",
		 CONFIG_DEFAULT_PIN_PATH);
	cfg->ack_absorb = true;
	tunables_defaults(&cfg->tun);
}

void config_free(struct daemon_config *cfg)
{
	free(cfg->ifaces);
	free(cfg->services);
	cfg->ifaces = NULL;
	cfg->services = NULL;
	cfg->nifaces = 0;
	cfg->nservices = 0;
}

/* --- value parsers (0 or -EINVAL) ------------------------------------------ */

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_bool_auto(const char *s, enum cfg_zerocopy *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	if (!strcmp(s, "auto")) {
		*out = CFG_ZC_AUTO;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = CFG_ZC_ON;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = CFG_ZC_OFF;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_addr(const char *s, struct ip_addr *a)
{
	uint8_t v4[4];

	if (!strcmp(s, "*") || !strcmp(s, "any")) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (inet_pton(AF_INET, s, v4) == 1) {
		ip_addr_from_v4(a, v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return 0;
	return -EINVAL;
}

/*
 * Split @value into items separated by commas and/or blanks; call @fn for
 * each. Returns what @fn returns first that is not 0, or 0.
 */
static int for_each_item(const char *value, char *copy, size_t copylen,
			 int (*fn)(struct parser *p, void *arg,
				   const char *item),
			 struct parser *p, void *arg)
{
	char *save = NULL, *tok;
	int ret;

	if (snprintf(copy, copylen, "%s", value) >= (int)copylen)
		return fail(p, p->line, "value too long"), -EINVAL;
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		ret = fn(p, arg, tok);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- [daemon] --------------------------------------------------------------- */

static int set_path(struct parser *p, const char *key, const char *value,
		    char *dst, size_t size, bool absolute)
{
	if (!*value)
		return fail(p, p->line, "%s: empty path", key);
	if (absolute && value[0] != '/')
		return fail(p, p->line, "%s: '%s' is not an absolute path", key,
			    value);
	if (strlen(value) >= size)
		return fail(p, p->line, "%s: path longer than %zu characters",
			    key, size - 1);
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

static int daemon_key(struct parser *p, const char *key, const char *value)
{
	struct daemon_config *c = p->cfg;
	uint32_t v;

	if (!strcmp(key, "log_level")) {
		if (log_level_parse(value, &c->log_level))
			return fail(p, p->line,
				    "log_level: '%s' is not one of error, "
				    "warn, info, debug",
				    value);
	} else if (!strcmp(key, "log")) {
		if (!strcmp(value, "stderr"))
			c->log_syslog = false;
		else if (!strcmp(value, "syslog"))
			c->log_syslog = true;
		else
			return fail(p, p->line,
				    "log: '%s' is not one of stderr, syslog",
				    value);
	} else if (!strcmp(key, "control_socket")) {
		return set_path(p, key, value, c->control_socket,
				sizeof(c->control_socket), true);
	} else if (!strcmp(key, "app_socket")) {
		return set_path(p, key, value, c->app_socket,
				sizeof(c->app_socket), true);
	} else if (!strcmp(key, "control_mode")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(value, &end, 8);
		if (!isdigit((unsigned char)*value) || errno || *end ||
		    m > 0777 || (m & 0600) != 0600)
			return fail(p, p->line,
				    "control_mode: '%s' is not an octal mode "
				    "with owner read and write (0600..0777)",
				    value);
		c->control_mode = (mode_t)m;
	} else if (!strcmp(key, "attach")) {
		if (!strcmp(value, "self"))
			c->attach = CFG_ATTACH_SELF;
		else if (!strcmp(value, "external"))
			c->attach = CFG_ATTACH_EXTERNAL;
		else
			return fail(p, p->line,
				    "attach: '%s' is not one of self, external",
				    value);
	} else if (!strcmp(key, "xdp_mode")) {
		if (!strcmp(value, "auto"))
			c->xdp_mode = CFG_XDP_AUTO;
		else if (!strcmp(value, "native"))
			c->xdp_mode = CFG_XDP_NATIVE;
		else if (!strcmp(value, "generic"))
			c->xdp_mode = CFG_XDP_GENERIC;
		else
			return fail(p, p->line,
				    "xdp_mode: '%s' is not one of native, "
				    "generic, auto",
				    value);
	} else if (!strcmp(key, "bpf_object")) {
		return set_path(p, key, value, c->bpf_object,
				sizeof(c->bpf_object), false);
	} else if (!strcmp(key, "pin_path")) {
		return set_path(p, key, value, c->pin_path, sizeof(c->pin_path),
				true);
	} else if (!strcmp(key, "busy_poll_us")) {
		if (parse_u32(value, 0, 100000, &v))
			return fail(p, p->line,
				    "busy_poll_us: '%s' is not an integer in "
				    "0..100000",
				    value);
		c->busy_poll_us = v;
	} else if (!strcmp(key, "ack_absorb")) {
		enum cfg_zerocopy b;

		if (parse_bool_auto(value, &b) || b == CFG_ZC_AUTO)
			return fail(p, p->line,
				    "ack_absorb: '%s' is not yes or no", value);
		c->ack_absorb = b == CFG_ZC_ON;
	} else {
		return fail(p, p->line, "unknown key '%s' in [daemon]", key);
	}
	return 1;
}

/* --- [interface NAME] ------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int queue_item(struct parser *p, void *arg, const char *item)
{
	struct cfg_interface *ifc = arg;
	uint32_t lo, hi;
	char buf[32], *dash;

	snprintf(buf, sizeof(buf), "%s", item);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_u32(buf, 0, CFG_MAX_QUEUE_ID, &lo))
		goto bad;
	hi = lo;
	if (dash && parse_u32(dash + 1, 0, CFG_MAX_QUEUE_ID, &hi))
		goto bad;
	if (lo > hi)
		goto bad;
	for (uint32_t q = lo; q <= hi; q++) {
		if (ifc->nqueues == CFG_MAX_QUEUES)
			return fail(p, p->line, "queues: more than %d queues",
				    CFG_MAX_QUEUES),
			       -EINVAL;
		ifc->queue[ifc->nqueues++] = q;
	}
	return 0;
bad:
	fail(p, p->line, "queues: '%s' is not a queue id or range in 0..%u",
	     item, CFG_MAX_QUEUE_ID);
	return -EINVAL;
}

static int parse_queues(struct parser *p, struct cfg_interface *ifc,
			const char *value)
{
	char copy[512];
	uint32_t n;

	ifc->nqueues = 0;
	if (!strcmp(value, "all"))
		return 1;
	if (!strpbrk(value, ",- \t")) { /* a count: queues 0..n-1 */
		if (parse_u32(value, 1, CFG_MAX_QUEUES, &n))
			return fail(p, p->line,
				    "queues: '%s' is not 'all', a count in "
				    "1..%d or a list of queue ids",
				    value, CFG_MAX_QUEUES);
		for (uint32_t q = 0; q < n; q++)
			ifc->queue[ifc->nqueues++] = q;
		return 1;
	}
	if (for_each_item(value, copy, sizeof(copy), queue_item, p, ifc))
		return 0;
	if (!ifc->nqueues)
		return fail(p, p->line, "queues: empty list");
	qsort(ifc->queue, ifc->nqueues, sizeof(ifc->queue[0]), cmp_u32);
	for (uint32_t i = 1; i < ifc->nqueues; i++)
		if (ifc->queue[i] == ifc->queue[i - 1])
			return fail(p, p->line, "queues: queue %u listed twice",
				    ifc->queue[i]);
	return 1;
}

static int interface_key(struct parser *p, const char *key, const char *value)
{
	struct cfg_interface *ifc = &p->cfg->ifaces[p->cfg->nifaces - 1];
	uint32_t v;

	if (!strcmp(key, "queues"))
		return parse_queues(p, ifc, value);
	if (!strcmp(key, "frame_size")) {
		if (parse_u32(value, 0, UINT32_MAX, &v) ||
		    (v != 2048 && v != 4096))
			return fail(p, p->line,
				    "frame_size: '%s' is not 2048 or 4096",
				    value);
		ifc->frame_size = v;
	} else if (!strcmp(key, "frames")) {
		if (parse_u32(value, 64, 1u << 20, &v) || (v & (v - 1)))
			return fail(p, p->line,
				    "frames: '%s' is not a power of two in "
				    "64..1048576",
				    value);
		ifc->frames = v;
	} else if (!strcmp(key, "zerocopy")) {
		if (parse_bool_auto(value, &ifc->zerocopy))
			return fail(
				p, p->line,
				"zerocopy: '%s' is not one of auto, yes, no",
				value);
	} else {
		return fail(p, p->line, "unknown key '%s' in [interface %s]",
			    key, ifc->name);
	}
	return 1;
}

/* --- [service KIND] --------------------------------------------------------- */

static int port_item(struct parser *p, void *arg, const char *item)
{
	struct cfg_service *s = arg;
	uint32_t v;

	if (parse_u32(item, 1, 65535, &v))
		return fail(p, p->line, "port: '%s' is not a port in 1..65535",
			    item),
		       -EINVAL;
	for (uint32_t i = 0; i < s->nports; i++)
		if (s->port[i] == v)
			return fail(p, p->line, "port: %u listed twice", v),
			       -EINVAL;
	if (s->nports == CFG_MAX_PORTS)
		return fail(p, p->line, "port: more than %d ports",
			    CFG_MAX_PORTS),
		       -EINVAL;
	s->port[s->nports++] = (uint16_t)v;
	return 0;
}

static bool addr_same(const struct ip_addr *a, const struct ip_addr *b)
{
	if (ip_addr_is_any(a) || ip_addr_is_any(b))
		return ip_addr_is_any(a) && ip_addr_is_any(b);
	return !memcmp(a->b, b->b, sizeof(a->b));
}

static int addr_item(struct parser *p, void *arg, const char *item)
{
	struct cfg_service *s = arg;
	struct ip_addr a;

	if (parse_addr(item, &a))
		return fail(p, p->line,
			    "address: '%s' is not an IPv4 or IPv6 address",
			    item),
		       -EINVAL;
	for (uint32_t i = 0; i < s->naddrs; i++)
		if (addr_same(&s->addr[i], &a))
			return fail(p, p->line, "address: %s listed twice",
				    item),
			       -EINVAL;
	if (s->naddrs == CFG_MAX_ADDRS)
		return fail(p, p->line, "address: more than %d addresses",
			    CFG_MAX_ADDRS),
		       -EINVAL;
	s->addr[s->naddrs++] = a;
	return 0;
}

static int service_key(struct parser *p, const char *key, const char *value)
{
	struct cfg_service *s = &p->cfg->services[p->cfg->nservices - 1];
	char copy[1024];

	if (!strcmp(key, "port")) {
		s->nports = 0;
		if (for_each_item(value, copy, sizeof(copy), port_item, p, s))
			return 0;
		if (!s->nports)
			return fail(p, p->line, "port: empty list");
	} else if (!strcmp(key, "address")) {
		s->naddrs = 0;
		if (for_each_item(value, copy, sizeof(copy), addr_item, p, s))
			return 0;
		if (!s->naddrs)
			return fail(p, p->line, "address: empty list");
	} else {
		return fail(p, p->line, "unknown key '%s' in [service %s]", key,
			    s->kind);
	}
	return 1;
}

/* --- [tunables] ------------------------------------------------------------- */

static int tunables_key(struct parser *p, const char *key, const char *value)
{
	const struct tunable_desc *d = tunable_find(key);
	struct tun_entry *n;

	if (!d)
		return fail(p, p->line, "unknown tunable '%s'", key);
	n = realloc(p->tun, (p->ntun + 1) * sizeof(*n));
	if (!n)
		goto nomem;
	p->tun = n;
	n = &p->tun[p->ntun];
	n->value = strdup(value);
	if (!n->value)
		goto nomem;
	n->d = d;
	n->line = p->line;
	n->done = false;
	p->ntun++;
	return 1;
nomem:
	fail(p, p->line, "out of memory");
	p->ret = -ENOMEM;
	return 0;
}

/* Apply every collected tunable, in as many passes as make progress. */
static void apply_tunables(struct parser *p)
{
	char msg[256];
	size_t left = p->ntun;
	bool progress = true;

	while (left && progress) {
		progress = false;
		for (size_t i = 0; i < p->ntun; i++) {
			struct tun_entry *e = &p->tun[i];

			if (e->done || tunable_set(&p->cfg->tun, e->d, e->value,
						   msg, sizeof(msg)))
				continue;
			e->done = true;
			progress = true;
			left--;
		}
	}
	for (size_t i = 0; i < p->ntun && left; i++) {
		struct tun_entry *e = &p->tun[i];

		if (e->done)
			continue;
		msg[0] = '\0';
		tunable_set(&p->cfg->tun, e->d, e->value, msg, sizeof(msg));
		fail(p, e->line, "%s: %s", e->d->name, msg);
		return;
	}
}

/* --- sections --------------------------------------------------------------- */

static void forget_keys(struct parser *p)
{
	for (size_t i = 0; i < p->nkeys; i++)
		free(p->keys[i].name);
	free(p->keys);
	p->keys = NULL;
	p->nkeys = 0;
}

static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int open_section(struct parser *p, char *name)
{
	struct daemon_config *c = p->cfg;
	char *arg = name + strcspn(name, " \t");

	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
	}
	forget_keys(p);
	p->sec = SEC_NONE;

	if (!strcmp(name, "daemon") || !strcmp(name, "tunables")) {
		bool d = name[0] == 'd';
		int *first = d ? &p->daemon_line : &p->tunables_line;

		if (*arg)
			return fail(p, p->line, "[%s] takes no name", name);
		if (*first)
			return fail(p, p->line,
				    "duplicate section [%s] (first at line %d)",
				    name, *first);
		*first = p->line;
		p->sec = d ? SEC_DAEMON : SEC_TUNABLES;
		return 1;
	}
	if (!strcmp(name, "interface")) {
		struct cfg_interface *ifc;

		if (!*arg)
			return fail(
				p, p->line,
				"[interface] needs a name: [interface eth0]");
		if (!valid_ifname(arg))
			return fail(p, p->line,
				    "'%s' is not a valid interface name", arg);
		for (size_t i = 0; i < c->nifaces; i++)
			if (!strcmp(c->ifaces[i].name, arg))
				return fail(p, p->line,
					    "duplicate section [interface %s] "
					    "(first at line %d)",
					    arg, c->ifaces[i].line);
		if (c->nifaces == CFG_MAX_IFACES)
			return fail(p, p->line, "more than %d interfaces",
				    CFG_MAX_IFACES);
		ifc = realloc(c->ifaces, (c->nifaces + 1) * sizeof(*ifc));
		if (!ifc)
			return p->ret = -ENOMEM, 0;
		c->ifaces = ifc;
		ifc = &c->ifaces[c->nifaces++];
		memset(ifc, 0, sizeof(*ifc));
		snprintf(ifc->name, sizeof(ifc->name), "%s", arg);
		ifc->line = p->line;
		ifc->frame_size = 4096;
		ifc->frames = 4096;
		ifc->zerocopy = CFG_ZC_AUTO;
		p->sec = SEC_INTERFACE;
		return 1;
	}
	if (!strcmp(name, "service")) {
		struct cfg_service *s;
		size_t k;

		for (k = 0; k < ARRAY_SIZE(service_kinds); k++)
			if (!strcmp(arg, service_kinds[k].kind))
				break;
		if (k == ARRAY_SIZE(service_kinds))
			return fail(p, p->line,
				    "unknown service '%s' (echo, discard or "
				    "chargen)",
				    arg);
		for (size_t i = 0; i < c->nservices; i++)
			if (!strcmp(c->services[i].kind, arg))
				return fail(p, p->line,
					    "duplicate section [service %s] "
					    "(first at line %d); list several "
					    "ports or addresses instead",
					    arg, c->services[i].line);
		s = realloc(c->services, (c->nservices + 1) * sizeof(*s));
		if (!s)
			return p->ret = -ENOMEM, 0;
		c->services = s;
		s = &c->services[c->nservices++];
		memset(s, 0, sizeof(*s));
		s->kind = service_kinds[k].kind;
		s->line = p->line;
		s->nports = 1;
		s->port[0] = service_kinds[k].port;
		s->naddrs = 1; /* :: */
		p->sec = SEC_SERVICE;
		return 1;
	}
	return fail(p, p->line,
		    "unknown section [%s%s%s] (daemon, interface NAME, "
		    "tunables, service KIND)",
		    name, *arg ? " " : "", arg);
}

/* A section header line "[...]": 1 if it opened, 0 on error. */
static int section_line(struct parser *p, const char *s)
{
	char name[256];
	const char *end = strchr(s, ']');
	size_t len;

	if (!end)
		return fail(p, p->line, "missing ']' in section header");
	for (const char *t = end + 1; *t && *t != '#' && *t != ';'; t++)
		if (!isspace((unsigned char)*t))
			return fail(p, p->line,
				    "unexpected text after section header");
	s++;
	while (isspace((unsigned char)*s))
		s++;
	len = (size_t)(end - s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= sizeof(name))
		return fail(p, p->line, "section header too long");
	memcpy(name, s, len);
	name[len] = '\0';
	return open_section(p, name);
}

/* libinih's fgets: one physical line per call, so line numbers agree. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	ssize_t n;
	const char *s;

	if (p->ret)
		return NULL;
	errno = 0;
	n = getline(&p->buf, &p->bufcap, p->f);
	if (n < 0) {
		if (ferror(p->f)) {
			snprintf(p->err, p->errlen, "%s: %s", p->path,
				 strerror(errno ? errno : EIO));
			p->ret = errno ? -errno : -EIO;
		}
		return NULL;
	}
	p->line++;
	while (n && (p->buf[n - 1] == '\n' || p->buf[n - 1] == '\r'))
		p->buf[--n] = '\0';
	if ((size_t)n != strlen(p->buf)) {
		fail(p, p->line, "NUL byte in line");
		return NULL;
	}
	if (n + 3 > num) {
		fail(p, p->line, "line longer than %d characters", num - 3);
		return NULL;
	}
	s = p->buf + strspn(p->buf, " \t");
	if (*s == '[' && !section_line(p, s))
		return NULL;
	memcpy(str, p->buf, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	struct seen_key *k;

	(void)section; /* ours, from the reader */
	if (p->ret)
		return 0;
	if (!*name)
		return fail(p, p->line, "missing key before '='");
	if (p->sec == SEC_NONE)
		return fail(p, p->line, "key '%s' outside a section", name);
	if (!value)
		value = "";
	for (size_t i = 0; i < p->nkeys; i++)
		if (!strcmp(p->keys[i].name, name))
			return fail(p, p->line,
				    "duplicate key '%s' (first at line %d)",
				    name, p->keys[i].line);
	k = realloc(p->keys, (p->nkeys + 1) * sizeof(*k));
	if (!k)
		return p->ret = -ENOMEM, 0;
	p->keys = k;
	k[p->nkeys].name = strdup(name);
	if (!k[p->nkeys].name)
		return p->ret = -ENOMEM, 0;
	k[p->nkeys++].line = p->line;

	switch (p->sec) {
	case SEC_DAEMON:
		return daemon_key(p, name, value);
	case SEC_INTERFACE:
		return interface_key(p, name, value);
	case SEC_TUNABLES:
		return tunables_key(p, name, value);
	case SEC_SERVICE:
		return service_key(p, name, value);
	default:
		return 0;
	}
}

/* Two services on one (address, port) would fight over the listener. */
static void check_services(struct parser *p)
{
	const struct daemon_config *c = p->cfg;
	char abuf[64];

	for (size_t i = 0; i < c->nservices; i++) {
		const struct cfg_service *b = &c->services[i];

		for (size_t j = 0; j < i; j++) {
			const struct cfg_service *a = &c->services[j];

			for (uint32_t pa = 0; pa < a->nports; pa++)
				for (uint32_t pb = 0; pb < b->nports; pb++) {
					if (a->port[pa] != b->port[pb])
						continue;
					for (uint32_t x = 0; x < a->naddrs; x++)
						for (uint32_t y = 0;
						     y < b->naddrs; y++) {
							if (!addr_same(
								    &a->addr[x],
								    &b->addr[y]))
								continue;
							fail(p, b->line,
							     "service %s: port "
							     "%u on %s is "
							     "already service "
							     "%s's (line %d)",
							     b->kind,
							     b->port[pb],
							     ip_addr_str(
								     &b->addr[y],
								     abuf,
								     sizeof(abuf)),
							     a->kind, a->line);
							return;
						}
				}
		}
	}
}

static void parser_free(struct parser *p)
{
	forget_keys(p);
	for (size_t i = 0; i < p->ntun; i++)
		free(p->tun[i].value);
	free(p->tun);
	free(p->buf);
	if (p->f)
		fclose(p->f);
}

int config_load(const char *path, struct daemon_config *cfg, char *err,
		size_t errlen)
{
	struct parser p = {
		.path = path,
		.cfg = cfg,
		.err = err,
		.errlen = errlen,
	};
	int r;

	config_defaults(cfg);
	if (errlen)
		err[0] = '\0';
	p.f = fopen(path, "re");
	if (!p.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/*
	 * Line by line, one error, no continuation lines. A heap line buffer
	 * (the stack one is 200 bytes) long enough for a PATH_MAX path; the
	 * reader is told its size and refuses longer lines.
	 */
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = CONFIG_MAX_LINE + 3;
	ini_max_line = CONFIG_MAX_LINE + 3;

	r = ini_parse_stream(reader, &p, handler, &p);
	if (!p.ret && r == -2)
		p.ret = -ENOMEM;
	if (!p.ret && r > 0)
		fail(&p, r,
		     "syntax error: expected 'key = value' or "
		     "'[section]'");
	if (!p.ret)
		apply_tunables(&p);
	if (!p.ret)
		check_services(&p);
	if (p.ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
	r = p.ret;
	parser_free(&p);
	if (r) {
		config_free(cfg);
		config_defaults(cfg);
	}
	return r;
}

int config_reload_tunables(const char *path, struct tunables *out, char *err,
			   size_t errlen)
{
	struct daemon_config tmp;
	int ret;

	ret = config_load(path, &tmp, err, errlen);
	if (!ret)
		*out = tmp.tun;
	config_free(&tmp);
	return ret;
}
