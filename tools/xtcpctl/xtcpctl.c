// SPDX-License-Identifier: BSD-2-Clause
/*
 * xtcpctl: talk to xtcpd over its control socket (see daemon/ctl.h for the
 * protocol and xtcpctl(8) for the commands).
 *
 * Exit status: 0 ok, 1 the daemon answered with an error (or garbage),
 * 2 usage error or xtcpd cannot be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/ctl.h"

#define EXIT_REPLY 1
#define EXIT_USAGE 2
#define TIMEOUT_S 10

static const char *sock_path = CONFIG_DEFAULT_SOCKET;
static bool opt_json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xtcpctl [-s PATH] [--json] COMMAND\n"
		"commands:\n"
		"  status              daemon state\n"
		"  props               every tunable: value, default, range\n"
		"  get NAME            one tunable's value\n"
		"  set NAME VALUE      change a tunable (root)\n"
		"  conns               connections, like ss -tni\n"
		"  stats               TCP MIB (RFC 4022), XDP counters\n"
		"options:\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -j, --json          print the daemon's JSON reply\n"
		"  -h, --help          this text\n",
		CONFIG_DEFAULT_SOCKET);
}

static int connect_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xtcpctl: socket path too long: %s\n",
			sock_path);
		return -1;
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("xtcpctl: socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR)
			fprintf(stderr, "xtcpctl: xtcpd is not running (%s)\n",
				sock_path);
		else
			fprintf(stderr, "xtcpctl: %s: %s\n", sock_path,
				strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send @req, return the parsed reply or NULL (message printed). */
static json_t *transact(json_t *req, int *status)
{
	char *text = json_dumps(req, JSON_COMPACT);
	size_t len, cap = 0, have = 0;
	char *buf = NULL, *nl = NULL;
	json_error_t jerr;
	json_t *reply = NULL;
	int fd;

	*status = EXIT_USAGE;
	if (!text)
		return NULL;
	fd = connect_daemon();
	if (fd < 0)
		goto out;
	*status = EXIT_REPLY;
	len = strlen(text);
	text[len] = '\n'; /* over the NUL; sent by length */
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(fd, text + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0) {
			fprintf(stderr, "xtcpctl: send: %s\n", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while (!nl) {
		ssize_t n;

		if (have == cap) {
			char *b;

			if (cap > CTL_MAX_REPLY) {
				fprintf(stderr, "xtcpctl: reply too long\n");
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			b = realloc(buf, cap);
			if (!b) {
				fprintf(stderr, "xtcpctl: out of memory\n");
				goto out;
			}
			buf = b;
		}
		n = recv(fd, buf + have, cap - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "xtcpctl: %s\n",
				errno == EAGAIN ? "no reply from xtcpd" :
						  strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		nl = memchr(buf + have, '\n', (size_t)n);
		have += (size_t)n;
	}
	if (!nl) {
		fprintf(stderr, "xtcpctl: xtcpd closed the connection\n");
		goto out;
	}
	reply = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	if (!reply || !json_is_object(reply)) {
		fprintf(stderr, "xtcpctl: bad reply from xtcpd: %s\n",
			reply ? "not an object" : jerr.text);
		json_decref(reply);
		reply = NULL;
		goto out;
	}
	*status = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(text);
	return reply;
}

/* --- printers --------------------------------------------------------------- */

static void print_scalar(json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		printf("%g", json_real_value(v));
	else if (json_is_true(v))
		fputs("yes", stdout);
	else if (json_is_false(v))
		fputs("no", stdout);
	else if (json_is_null(v))
		fputs("-", stdout);
}

static bool is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

/* Objects as indented "key: value" lines, arrays of scalars on one line. */
static void print_tree(json_t *v, int depth)
{
	const char *key;
	json_t *x, *y;
	size_t i;

	json_object_foreach(v, key, x)
	{
		printf("%*s%s:", depth * 4, "", key);
		if (is_scalar(x)) {
			putchar(' ');
			print_scalar(x);
			putchar('\n');
		} else if (json_is_object(x)) {
			putchar('\n');
			print_tree(x, depth + 1);
		} else {
			bool flat = true;

			json_array_foreach(x, i, y) flat &= is_scalar(y);
			if (flat) {
				json_array_foreach(x, i, y)
				{
					fputs(i ? ", " : " ", stdout);
					print_scalar(y);
				}
				putchar('\n');
			} else {
				putchar('\n');
				json_array_foreach(x, i, y)
				{
					printf("%*s-\n", depth * 4 + 4, "");
					print_tree(y, depth + 2);
				}
			}
		}
	}
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void value_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
}

static void possible_text(json_t *p, char *buf, size_t len)
{
	json_t *choices = json_object_get(p, "choices"), *v;
	size_t i, off = 0;

	buf[0] = '\0';
	if (json_is_array(choices)) {
		json_array_foreach(choices, i, v)
		{
			int n = snprintf(buf + off, len - off, "%s%s",
					 i ? "," : "", json_string_value(v));

			if (n < 0 || (size_t)n >= len - off)
				break;
			off += (size_t)n;
		}
		return;
	}
	if (!strcmp(jstr(p, "type"), "bool"))
		snprintf(buf, len, "0,1");
	else
		snprintf(buf, len, "%lld-%lld", jint(p, "min"), jint(p, "max"));
}

static void print_props(json_t *props)
{
	char cur[64], def[64], pos[256];
	int w = (int)strlen("PROPERTY");
	json_t *p;
	size_t i;

	json_array_foreach(props, i, p)
	{
		int n = (int)strlen(jstr(p, "name"));

		w = n > w ? n : w;
	}
	printf("%-*s %-10s %-10s %-24s %s\n", w, "PROPERTY", "CURRENT",
	       "DEFAULT", "POSSIBLE", "UNIT");
	json_array_foreach(props, i, p)
	{
		value_text(json_object_get(p, "value"), cur, sizeof(cur));
		value_text(json_object_get(p, "default"), def, sizeof(def));
		possible_text(p, pos, sizeof(pos));
		printf("%-*s %-10s %-10s %-24s %s\n", w, jstr(p, "name"), cur,
		       def, pos, *jstr(p, "unit") ? jstr(p, "unit") : "-");
	}
}

static void endpoint(char *buf, size_t len, const char *addr, long long port)
{
	if (strchr(addr, ':'))
		snprintf(buf, len, "[%s]:%lld", addr, port);
	else
		snprintf(buf, len, "%s:%lld", addr, port);
}

static void print_conns(json_t *conns)
{
	char l[80], r[80];
	json_t *c;
	size_t i;

	printf("%-12s %-28s %-28s\n", "State", "Local Address:Port",
	       "Peer Address:Port");
	json_array_foreach(conns, i, c)
	{
		endpoint(l, sizeof(l), jstr(c, "local"), jint(c, "lport"));
		if (jint(c, "rport"))
			endpoint(r, sizeof(r), jstr(c, "remote"),
				 jint(c, "rport"));
		else
			snprintf(r, sizeof(r), "*:*"); /* a listener */
		printf("%-12s %-28s %-28s\n", jstr(c, "state"), l, r);
		if (!strcmp(jstr(c, "state"), "LISTEN"))
			continue;
		printf("\t %s mss:%lld rmss:%lld cwnd:%lld ssthresh:%lld "
		       "rtt:%.3f/%.3f rto:%.3f retrans:%lld/%lld backoff:%lld "
		       "bytes_acked:%lld bytes_received:%lld segs_out:%lld "
		       "segs_in:%lld snd_wnd:%lld rcv_wnd:%lld\n",
		       *jstr(c, "cc") ? jstr(c, "cc") : "-", jint(c, "smss"),
		       jint(c, "rmss"), jint(c, "cwnd"), jint(c, "ssthresh"),
		       (double)jint(c, "srtt_us") / 1000.0,
		       (double)jint(c, "rttvar_us") / 1000.0,
		       (double)jint(c, "rto_us") / 1000.0,
		       jint(c, "retransmits"), jint(c, "total_retrans"),
		       jint(c, "backoff"), jint(c, "bytes_acked"),
		       jint(c, "bytes_received"), jint(c, "segs_out"),
		       jint(c, "segs_in"), jint(c, "snd_wnd"),
		       jint(c, "rcv_wnd"));
	}
}

static void print_counters(const char *title, json_t *obj)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return;
	printf("%s\n", title);
	if (!json_object_size(obj))
		printf("    (none)\n");
	json_object_foreach(obj, key, v)
	{
		printf("    %-28s ", key);
		print_scalar(v);
		putchar('\n');
	}
}

static void print_stats(json_t *r)
{
	json_t *acks = json_object_get(r, "acks");

	print_counters("TCP (RFC 4022 tcpMIB):", json_object_get(r, "mib"));
	print_counters("TCP, other counters:", json_object_get(r, "ext"));
	print_counters("Frames rejected by the parser:",
		       json_object_get(r, "bad_wire"));
	print_counters("XDP verdicts:", json_object_get(r, "xdp"));
	print_counters("Datapath (userspace):", json_object_get(r, "datapath"));
	if (json_is_object(acks))
		printf("ACKs absorbed by XDP: %lld of %lld (%.1f%%)\n",
		       jint(acks, "absorbed"), jint(acks, "total"),
		       100.0 * json_number_value(
				       json_object_get(acks, "share")));
}

/* --- main ------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	json_t *req, *reply;
	int c, nargs, status;

	while ((c = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	nargs = argc - optind;
	/* Accept options after the command too: xtcpctl props --json. */
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			opt_json = true;
			memmove(&argv[i], &argv[i + 1],
				(size_t)(argc - i) * sizeof(argv[0]));
			argc--;
			nargs--;
			i--;
		}
	}
	if (!strcmp(cmd, "status") || !strcmp(cmd, "props") ||
	    !strcmp(cmd, "conns") || !strcmp(cmd, "stats")) {
		if (nargs != 0)
			goto bad_args;
		req = json_pack("{s:s}", "cmd", cmd);
	} else if (!strcmp(cmd, "get")) {
		if (nargs != 1)
			goto bad_args;
		req = json_pack("{s:s, s:s}", "cmd", cmd, "name", argv[optind]);
	} else if (!strcmp(cmd, "set")) {
		if (nargs != 2)
			goto bad_args;
		req = json_pack("{s:s, s:s, s:s}", "cmd", cmd, "name",
				argv[optind], "value", argv[optind + 1]);
	} else {
		fprintf(stderr, "xtcpctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!req) {
		fprintf(stderr, "xtcpctl: out of memory\n");
		return EXIT_REPLY;
	}
	reply = transact(req, &status);
	json_decref(req);
	if (!reply)
		return status;
	if (opt_json) {
		json_dumpf(reply, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		/* below */
	} else if (!strcmp(cmd, "status")) {
		print_tree(json_object_get(reply, "status"), 0);
	} else if (!strcmp(cmd, "props")) {
		print_props(json_object_get(reply, "props"));
	} else if (!strcmp(cmd, "get")) {
		json_t *p = json_object_get(reply, "prop");

		print_scalar(json_object_get(p, "value"));
		putchar('\n');
	} else if (!strcmp(cmd, "set")) {
		char o[64], n[64];

		value_text(json_object_get(reply, "old"), o, sizeof(o));
		value_text(json_object_get(reply, "value"), n, sizeof(n));
		printf("%s: %s -> %s\n", jstr(reply, "name"), o, n);
	} else if (!strcmp(cmd, "conns")) {
		print_conns(json_object_get(reply, "conns"));
	} else if (!strcmp(cmd, "stats")) {
		print_stats(reply);
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "xtcpctl: %s: %s\n", cmd,
			*jstr(reply, "error") ? jstr(reply, "error") :
						"error reply");
		status = EXIT_REPLY;
	}
	json_decref(reply);
	return status;

bad_args:
	fprintf(stderr, "xtcpctl: wrong number of arguments for '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
