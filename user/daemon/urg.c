// SPDX-License-Identifier: BSD-2-Clause
/* Urgent data for applications: slot words and SIGURG (see urg.h). */
#include "daemon/urg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xtcp/ipc.h"

#define PROC_FILE_MAX 4096
#define US_PER_SEC 1000000ull

void urg_slot_words(const struct tcb_urg_view *v, uint64_t *mark,
		    uint64_t *skip)
{
	uint32_t fl = 0;

	if (v->mark) {
		fl |= XTCP_UM_MARK;
		if (v->arrived)
			fl |= XTCP_UM_ARRIVED;
		if (v->oob_read)
			fl |= XTCP_UM_READ;
	}
	if (v->oobinline)
		fl |= XTCP_UM_INLINE;
	*mark = (uint64_t)fl << 32 | (v->mark ? v->mark_pos : 0);
	*skip = v->skip_len ? (uint64_t)v->skip_len << 32 | v->skip_pos : 0;
}

/* --- /proc ---------------------------------------------------------------- */

/* The value after "@key" at the start of a line of @buf, or NULL. */
static const char *field(const char *buf, const char *key)
{
	size_t n = strlen(key);

	for (const char *s = buf; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, key, n))
			return s + n;
	}
	return NULL;
}

/* Unsigned decimal numbers in @s, separated by blanks. */
static int parse_uls(const char *s, unsigned long *v, int n)
{
	for (int i = 0; i < n; i++) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		errno = 0;
		v[i] = strtoul(s, &end, 10);
		if (errno)
			return -EINVAL;
		s = end;
	}
	return 0;
}

int urg_parse_status(const char *buf, struct urg_cred *c)
{
	const char *tg = field(buf, "Tgid:"), *uid = field(buf, "Uid:");
	unsigned long t, u[4];

	if (!tg || !uid || parse_uls(tg, &t, 1) || parse_uls(uid, u, 4))
		return -EINVAL;
	c->tgid = (pid_t)t;
	c->ruid = (uid_t)u[0];
	c->suid = (uid_t)u[2];
	return 0;
}

int urg_parse_stat_pgrp(const char *buf, pid_t *pgrp)
{
	/* "pid (comm) state ppid pgrp ...": comm may hold anything, so
	 * the fields start after the last ')'. */
	const char *s = strrchr(buf, ')');
	char state;
	long ppid, g;

	if (!s || sscanf(s + 1, " %c %ld %ld", &state, &ppid, &g) != 3 || g < 0)
		return -EINVAL;
	*pgrp = (pid_t)g;
	return 0;
}

bool urg_may_signal(uid_t uid, const struct urg_cred *c)
{
	return uid == 0 || uid == c->ruid || uid == c->suid;
}

/* Read /proc/<pid>/<name> into @buf; -ESRCH when the task is gone. */
static int proc_read(const char *proc, pid_t pid, const char *name, char *buf,
		     size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/%s", proc, (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = 0;
	return 0;
}

static int task_cred(const char *proc, pid_t pid, struct urg_cred *c)
{
	char buf[PROC_FILE_MAX];
	int ret = proc_read(proc, pid, "status", buf, sizeof(buf));

	if (!ret && urg_parse_status(buf, c))
		ret = -ESRCH;
	return ret;
}

/*
 * Call @fn for every process of group @pgrp under @proc. Returns how many
 * there were, or -errno.
 */
static int pgrp_each(const char *proc, pid_t pgrp,
		     void (*fn)(void *arg, pid_t pid), void *arg)
{
	DIR *d = opendir(proc);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char buf[PROC_FILE_MAX];
		unsigned long pid;
		pid_t g;

		if (parse_uls(de->d_name, &pid, 1) || !pid || pid > INT_MAX ||
		    proc_read(proc, (pid_t)pid, "stat", buf, sizeof(buf)) ||
		    urg_parse_stat_pgrp(buf, &g) || g != pgrp)
			continue;
		n++;
		fn(arg, (pid_t)pid);
	}
	closedir(d);
	return n;
}

struct pgrp_walk {
	const char *proc;
	uid_t uid;
	int allowed;
	bool send;
};

static void pgrp_visit(void *arg, pid_t pid)
{
	struct pgrp_walk *w = arg;
	struct urg_cred c;

	if (task_cred(w->proc, pid, &c) || !urg_may_signal(w->uid, &c))
		return;
	if (w->send && kill(pid, SIGURG))
		return;
	w->allowed++;
}

/* The members of the group @o->id @uid may signal (signalled with @send). */
static int pgrp_run(const struct urg_owner *o, uid_t uid, const char *proc,
		    bool send)
{
	struct pgrp_walk w = { .proc = proc, .uid = uid, .send = send };
	int n = pgrp_each(proc, o->id, pgrp_visit, &w);

	if (n < 0)
		return n;
	if (!n)
		return -ESRCH;
	return w.allowed;
}

int urg_owner_check(const struct urg_owner *o, uid_t uid, const char *proc)
{
	struct urg_cred c;
	int ret;

	if (o->id < 0)
		return -EINVAL;
	if (!o->id)
		return 0;
	switch (o->type) {
	case F_OWNER_TID:
	case F_OWNER_PID:
		ret = task_cred(proc, o->id, &c);
		if (ret)
			return ret;
		/* F_OWNER_PID names a process: a thread id is refused. */
		if (o->type == F_OWNER_PID && c.tgid != o->id)
			return -ESRCH;
		return urg_may_signal(uid, &c) ? 0 : -EPERM;
	case F_OWNER_PGRP:
		ret = pgrp_run(o, uid, proc, false);
		if (ret < 0)
			return ret;
		return ret ? 0 : -EPERM;
	default:
		return -EINVAL;
	}
}

bool urg_rate_ok(struct urg_rate *r, uint64_t now)
{
	if (now - r->start >= US_PER_SEC) {
		r->start = now;
		r->count = 0;
	}
	if (r->count >= URG_SIGNALS_PER_SEC)
		return false;
	r->count++;
	return true;
}

int urg_signal(const struct urg_owner *o, uid_t uid, const char *proc)
{
	struct urg_cred c;
	int ret;

	if (o->id <= 0)
		return 0;
	if (o->type == F_OWNER_PGRP)
		return pgrp_run(o, uid, proc, true);
	ret = task_cred(proc, o->id, &c);
	if (ret)
		return ret;
	if (!urg_may_signal(uid, &c))
		return 0;
	if (o->type == F_OWNER_TID)
		ret = (int)syscall(SYS_tgkill, c.tgid, o->id, SIGURG);
	else
		ret = kill(o->id, SIGURG);
	return ret ? -errno : 1;
}
