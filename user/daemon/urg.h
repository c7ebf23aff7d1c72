/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Urgent data for applications (apps.c): the slot's urgent words, and
 * SIGURG to a socket's owner.
 *
 * tcp(4P): "The receiver on the other side of the stream is notified of
 * the urgent data by a SIGURG signal", sent to the process or process
 * group set with fcntl(F_SETOWN) (POSIX: no owner, no signal). libxtcp
 * cannot learn of urgent data by itself, so xtcpd sends the signal. An
 * application may name only targets it could signal itself (kill(2): its
 * uid, from SO_PEERCRED, is root or the target's real or saved uid),
 * checked when the owner is set (-EPERM, -ESRCH) and again at each
 * delivery (the pid may have been reused or changed uid meanwhile); a
 * process group gets the signal member by member, those it may signal.
 * Deliveries are limited per session (URG_SIGNALS_PER_SEC): a peer sending
 * a new urgent pointer in every segment cannot make xtcpd scan /proc at
 * line rate.
 *
 * Owners are pids as xtcpd sees them: the application and xtcpd share a
 * pid namespace.
 */
#ifndef XTCP_DAEMON_URG_H
#define XTCP_DAEMON_URG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/sockbuf.h"

#define URG_SIGNALS_PER_SEC 100

/* The slot's urg_mark and urg_skip words (xtcp/ipc.h) for @v. */
void urg_slot_words(const struct tcb_urg_view *v, uint64_t *mark,
		    uint64_t *skip);

/* F_SETOWN_EX's target: type F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP;
 * id 0: no owner. */
struct urg_owner {
	int type;
	pid_t id;
};

/* What /proc/<pid>/status says of a task's credentials. */
struct urg_cred {
	uid_t ruid, suid;
	pid_t tgid;
};

/* Parse /proc/<pid>/status text ("Tgid:", "Uid:" real effective saved
 * fs): 0 or -EINVAL. */
int urg_parse_status(const char *buf, struct urg_cred *c);
/* The process group in /proc/<pid>/stat text (after the command name,
 * which may hold spaces and parentheses): 0 or -EINVAL. */
int urg_parse_stat_pgrp(const char *buf, pid_t *pgrp);
/* kill(2)'s rule: @uid may signal a task with credentials @c. */
bool urg_may_signal(uid_t uid, const struct urg_cred *c);

/*
 * May an application running as @uid own its socket with @o? 0, -EINVAL
 * (bad type or id), -ESRCH (no such thread, process or group under
 * @proc, normally "/proc"), -EPERM (none of them may be signalled by it).
 */
int urg_owner_check(const struct urg_owner *o, uid_t uid, const char *proc);

/* A per-session budget of deliveries. */
struct urg_rate {
	uint64_t start; /* of the current second, microseconds */
	uint32_t count;
};
bool urg_rate_ok(struct urg_rate *r, uint64_t now);

/* Send SIGURG to @o as an application running as @uid may: the number of
 * processes signalled (0 when none may be), or -errno. */
int urg_signal(const struct urg_owner *o, uid_t uid, const char *proc);

#endif
