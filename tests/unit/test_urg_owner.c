// SPDX-License-Identifier: BSD-2-Clause
/*
 * SIGURG to a socket's owner (daemon/urg.c): /proc parsing, kill(2)'s
 * permission rule, owner checks against a made-up /proc (F_SETOWN_EX
 * types, ESRCH, EPERM), real deliveries to this process and to a process
 * group, and the per-session budget.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/urg.h"

static const char status_fmt[] =
	"Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\n"
	"Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t1\n"
	"TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
	"Gid:\t0\t0\t0\t0\n";

static void parse(void **state)
{
	struct urg_cred c;
	char buf[512];
	pid_t g;

	snprintf(buf, sizeof(buf), status_fmt, 100, 101, 1000, 0, 2000, 0);
	assert_int_equal(urg_parse_status(buf, &c), 0);
	assert_int_equal(c.tgid, 100);
	assert_int_equal(c.ruid, 1000);
	assert_int_equal(c.suid, 2000);
	assert_int_equal(urg_parse_status("Name:\tx\nUid:\t1\n", &c), -EINVAL);
	/* The command name may hold spaces and parentheses. */
	assert_int_equal(
		urg_parse_stat_pgrp("42 (a) b (c) S 1 777 777 0 -1", &g), 0);
	assert_int_equal(g, 777);
	assert_int_equal(urg_parse_stat_pgrp("42 (a", &g), -EINVAL);
	/* kill(2): root, or the target's real or saved uid. */
	c = (struct urg_cred){ .ruid = 1000, .suid = 2000 };
	assert_true(urg_may_signal(0, &c));
	assert_true(urg_may_signal(1000, &c));
	assert_true(urg_may_signal(2000, &c));
	assert_false(urg_may_signal(1001, &c));
}

/* A made-up /proc: tasks with a status (Tgid, Uid) and a stat (pgrp). */
static void task(const char *root, int pid, int tgid, unsigned uid, int pgrp)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/status", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, status_fmt, tgid, pid, uid, uid, uid, uid);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d (t (x)) S 1 %d %d 0 -1\n", pid, pgrp, pgrp);
	fclose(f);
}

static void owner_checks(void **state)
{
	char root[] = "/tmp/xtcp-urg-XXXXXX", cmd[64];
	struct urg_owner o;

	assert_non_null(mkdtemp(root));
	task(root, 100, 100, 1000, 100);
	task(root, 101, 100, 1000, 100); /* a thread of 100 */
	task(root, 200, 200, 0, 200);
	task(root, 300, 300, 1000, 300);
	task(root, 301, 301, 0, 300);
	task(root, 400, 400, 0, 400);
	o = (struct urg_owner){ F_OWNER_PID, 100 };
	assert_int_equal(urg_owner_check(&o, 1000, root), 0);
	o = (struct urg_owner){ F_OWNER_PID, 101 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -ESRCH);
	o = (struct urg_owner){ F_OWNER_TID, 101 };
	assert_int_equal(urg_owner_check(&o, 1000, root), 0);
	o = (struct urg_owner){ F_OWNER_PID, 200 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -EPERM);
	assert_int_equal(urg_owner_check(&o, 0, root), 0);
	o = (struct urg_owner){ F_OWNER_PID, 999 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -ESRCH);
	/* A group: some member it may signal is enough (the others are
	 * skipped at delivery). */
	o = (struct urg_owner){ F_OWNER_PGRP, 300 };
	assert_int_equal(urg_owner_check(&o, 1000, root), 0);
	o = (struct urg_owner){ F_OWNER_PGRP, 400 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -EPERM);
	o = (struct urg_owner){ F_OWNER_PGRP, 500 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -ESRCH);
	o = (struct urg_owner){ 7, 100 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -EINVAL);
	o = (struct urg_owner){ F_OWNER_PID, -3 };
	assert_int_equal(urg_owner_check(&o, 1000, root), -EINVAL);
	o = (struct urg_owner){ F_OWNER_PID, 0 }; /* none */
	assert_int_equal(urg_owner_check(&o, 1000, root), 0);
	assert_int_equal(urg_signal(&o, 1000, root), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Wait for SIGURG (blocked by the caller) for at most @ms. */
static bool got_sigurg(int ms)
{
	sigset_t s;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	sigemptyset(&s);
	sigaddset(&s, SIGURG);
	return sigtimedwait(&s, NULL, &ts) == SIGURG;
}

static void deliveries(void **state)
{
	struct urg_owner o = { F_OWNER_PID, getpid() };
	sigset_t s, old;
	int ready[2], status;
	pid_t child;
	char c;

	sigemptyset(&s);
	sigaddset(&s, SIGURG);
	assert_int_equal(sigprocmask(SIG_BLOCK, &s, &old), 0);
	assert_int_equal(urg_signal(&o, getuid(), "/proc"), 1);
	assert_true(got_sigurg(2000));
	/* Someone else's uid may not. */
	assert_int_equal(urg_signal(&o, getuid() + 4242, "/proc"), 0);
	assert_false(got_sigurg(0));
	o.type = F_OWNER_TID;
	assert_int_equal(urg_signal(&o, getuid(), "/proc"), 1);
	assert_true(got_sigurg(2000));
	/* A process group of its own: a child that waits for the signal. */
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		setpgid(0, 0);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		_exit(got_sigurg(5000) ? 0 : 1);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	o = (struct urg_owner){ F_OWNER_PGRP, child };
	assert_int_equal(urg_owner_check(&o, getuid(), "/proc"), 0);
	assert_int_equal(urg_signal(&o, getuid(), "/proc"), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);
	close(ready[1]);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static void budget(void **state)
{
	struct urg_rate r = { 0 };
	uint64_t t = 5000000;

	for (int i = 0; i < URG_SIGNALS_PER_SEC; i++)
		assert_true(urg_rate_ok(&r, t + (uint64_t)i));
	assert_false(urg_rate_ok(&r, t + 999999));
	assert_true(urg_rate_ok(&r, t + 1000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(owner_checks),
		cmocka_unit_test(deliveries),
		cmocka_unit_test(budget),
	};

	return cmocka_run_group_tests_name("urg_owner", tests, NULL, NULL);
}
