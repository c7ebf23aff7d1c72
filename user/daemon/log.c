// SPDX-License-Identifier: BSD-2-Clause
/* Leveled logging to stderr or syslog. */
#include "daemon/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

enum log_level log_threshold = LOGL_INFO;
static bool log_syslog;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_init(enum log_level level, bool use_syslog)
{
	if ((unsigned)level > LOGL_DEBUG)
		level = LOGL_DEBUG;
	log_threshold = level;
	if (use_syslog && !log_syslog)
		openlog("xtcpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
}

void log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i <= LOGL_DEBUG; i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level <= LOGL_DEBUG ? level_names[level] : "?";
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int saved = errno;

	if ((unsigned)level > LOGL_DEBUG)
		level = LOGL_DEBUG;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	buf[strcspn(buf, "\n")] = '\0';
	if (log_syslog)
		syslog(level_prio[level], "%s", buf);
	else
		fprintf(stderr, "xtcpd: %s: %s\n", level_names[level], buf);
	errno = saved;
}
