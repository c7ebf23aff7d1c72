/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xtcpd's leveled log: to stderr (the default, with a level prefix) or to
 * syslog (facility LOG_DAEMON, ident "xtcpd").
 *
 *	log_init(LOGL_INFO, false);
 *	log_info("listening on %s", path);
 *	log_err("bind %s: %s", path, strerror(-ret));
 *
 * The macros are lower case (log_err, log_warn, log_info, log_debug) because
 * <syslog.h> already defines LOG_ERR, LOG_INFO and LOG_DEBUG as priorities.
 * Arguments are not evaluated when the level is filtered out. The format is
 * checked like printf's. A message ends at its first newline; one is added.
 */
#ifndef XTCP_DAEMON_LOG_H
#define XTCP_DAEMON_LOG_H

#include <stdbool.h>

enum log_level {
	LOGL_ERROR = 0,
	LOGL_WARN,
	LOGL_INFO,
	LOGL_DEBUG,
};

/* The current threshold; messages above it are dropped. */
extern enum log_level log_threshold;

/* Set the level and destination; may be called again (e.g. after SIGHUP). */
void log_init(enum log_level level, bool use_syslog);
/* Close syslog if it was open. */
void log_close(void);
/* "error", "warn", "info", "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_at(level, ...)                             \
	do {                                           \
		if ((level) <= log_threshold)          \
			log_msg((level), __VA_ARGS__); \
	} while (0)

#define log_err(...) log_at(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...) log_at(LOGL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOGL_DEBUG, __VA_ARGS__)

#endif
