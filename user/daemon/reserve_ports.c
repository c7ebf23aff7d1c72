// SPDX-License-Identifier: BSD-2-Clause
/* ip_local_reserved_ports: see reserve_ports.h for why. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/reserve_ports.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A decimal port at *s (digits only, at most 65535); advances *s. */
static int parse_port(const char **s, uint32_t *out)
{
	const char *p = *s;
	uint32_t v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint32_t)(*p - '0');
		if (v > 65535)
			return -EINVAL;
		p++;
	}
	*s = p;
	*out = v;
	return 0;
}

int rp_parse(const char *s, struct rp_set *set)
{
	struct rp_set tmp;

	memset(&tmp, 0, sizeof(tmp));
	while (is_space(*s))
		s++;
	while (*s && !is_space(*s)) {
		uint32_t lo, hi;

		if (parse_port(&s, &lo))
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (parse_port(&s, &hi) || lo > hi)
				return -EINVAL;
		}
		rp_add(&tmp, (uint16_t)lo, (uint16_t)hi);
		if (*s == ',') {
			s++;
			/* "1," has an empty last item. */
			if (!*s || is_space(*s))
				return -EINVAL;
		} else if (*s && !is_space(*s)) {
			return -EINVAL;
		}
	}
	while (is_space(*s))
		s++;
	if (*s)
		return -EINVAL;
	*set = tmp;
	return 0;
}

static void set_bits(struct rp_set *set, uint16_t lo, uint16_t hi, int on)
{
	for (uint32_t p = lo; p <= hi; p++) {
		uint64_t bit = 1ull << (p % 64);

		if (on)
			set->w[p / 64] |= bit;
		else
			set->w[p / 64] &= ~bit;
	}
}

int rp_add(struct rp_set *set, uint16_t lo, uint16_t hi)
{
	if (lo > hi)
		return -EINVAL;
	set_bits(set, lo, hi, 1);
	return 0;
}

int rp_del(struct rp_set *set, uint16_t lo, uint16_t hi)
{
	if (lo > hi)
		return -EINVAL;
	set_bits(set, lo, hi, 0);
	return 0;
}

int rp_test(const struct rp_set *set, uint16_t port)
{
	return !!(set->w[port / 64] & (1ull << (port % 64)));
}

int rp_format(const struct rp_set *set, char *buf, size_t cap)
{
	size_t len = 0;
	uint32_t p = 0;

	if (cap == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (p < 65536) {
		uint32_t start;
		int n;

		if (!rp_test(set, (uint16_t)p)) {
			p++;
			continue;
		}
		start = p;
		while (p < 65536 && rp_test(set, (uint16_t)p))
			p++;
		if (p - 1 == start)
			n = snprintf(buf + len, cap - len, "%s%u",
				     len ? "," : "", start);
		else
			n = snprintf(buf + len, cap - len, "%s%u-%u",
				     len ? "," : "", start, p - 1);
		if (n < 0 || (size_t)n >= cap - len) {
			buf[len] = '\0';
			return -ENOSPC;
		}
		len += (size_t)n;
	}
	return (int)len;
}

/* The whole file into a malloc'd NUL-terminated string. */
static int read_file(const char *path, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/*
 * One write() of the whole text: a sysctl parses what a single write
 * gives it, so a split write could apply half a list. O_TRUNC matters
 * only for a regular file standing in for the sysctl in tests.
 */
static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, err = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int write_set(const char *path, const struct rp_set *set)
{
	char *buf = malloc(RP_FMT_MAX + 1);
	int len, err;

	if (!buf)
		return -ENOMEM;
	len = rp_format(set, buf, RP_FMT_MAX);
	if (len < 0) {
		err = len;
		goto out;
	}
	/* The kernel accepts and prints a trailing newline. */
	buf[len] = '\n';
	buf[len + 1] = '\0';
	err = write_file(path, buf);
out:
	free(buf);
	return err;
}

static void copy_path(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

int reserve_ports_apply(struct reserve_ports *rp, const char *path,
			const char *range_path, uint16_t lo, uint16_t hi)
{
	struct rp_set *cur = NULL;
	char *saved = NULL;
	int err;

	if (rp->active)
		return -EALREADY;
	if (lo > hi || lo == 0)
		return -EINVAL;
	copy_path(rp->path, sizeof(rp->path), path ? path : RP_SYSCTL_PATH);
	copy_path(rp->range_path, sizeof(rp->range_path),
		  range_path ? range_path : RP_RANGE_PATH);
	cur = malloc(sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	err = read_file(rp->path, &saved);
	if (err)
		goto out;
	/* Never overwrite what we cannot read back exactly. */
	err = rp_parse(saved, cur);
	if (err)
		goto out;
	memset(&rp->added, 0, sizeof(rp->added));
	for (uint32_t p = lo; p <= hi; p++)
		if (!rp_test(cur, (uint16_t)p))
			rp_add(&rp->added, (uint16_t)p, (uint16_t)p);
	rp_add(cur, lo, hi);
	err = write_set(rp->path, cur);
	if (err)
		goto out;
	rp->saved = saved;
	saved = NULL;
	rp->lo = lo;
	rp->hi = hi;
	rp->active = 1;
out:
	free(saved);
	free(cur);
	return err;
}

int reserve_ports_restore(struct reserve_ports *rp)
{
	struct rp_set *cur = NULL, *mine = NULL;
	char *now = NULL;
	int err;

	if (!rp->active)
		return 0;
	cur = malloc(sizeof(*cur));
	mine = malloc(sizeof(*mine));
	if (!cur || !mine) {
		err = -ENOMEM;
		goto out;
	}
	err = read_file(rp->path, &now);
	if (!err)
		err = rp_parse(now, cur);
	if (err)
		goto out;
	/* What we wrote: the saved set plus our range. */
	err = rp_parse(rp->saved, mine);
	if (err)
		goto out;
	rp_add(mine, rp->lo, rp->hi);
	if (!memcmp(cur, mine, sizeof(*cur))) {
		err = write_file(rp->path, rp->saved);
	} else {
		/* Changed by someone else meanwhile: keep their change. */
		for (size_t i = 0; i < sizeof(cur->w) / sizeof(cur->w[0]); i++)
			cur->w[i] &= ~rp->added.w[i];
		err = write_set(rp->path, cur);
	}
	if (err)
		goto out;
	free(rp->saved);
	rp->saved = NULL;
	rp->active = 0;
out:
	free(now);
	free(mine);
	free(cur);
	return err;
}

int reserve_ports_linux_left(const struct reserve_ports *rp)
{
	struct rp_set *cur = NULL;
	unsigned int lo, hi;
	char *text = NULL;
	int err, left = 0;

	err = read_file(rp->range_path[0] ? rp->range_path : RP_RANGE_PATH,
			&text);
	if (err)
		return err;
	if (sscanf(text, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535) {
		err = -EINVAL;
		goto out;
	}
	free(text);
	text = NULL;
	cur = malloc(sizeof(*cur));
	if (!cur) {
		err = -ENOMEM;
		goto out;
	}
	err = read_file(rp->path[0] ? rp->path : RP_SYSCTL_PATH, &text);
	if (!err)
		err = rp_parse(text, cur);
	if (err)
		goto out;
	for (unsigned int p = lo; p <= hi; p++)
		left += !rp_test(cur, (uint16_t)p);
out:
	free(text);
	free(cur);
	return err ? err : left;
}
