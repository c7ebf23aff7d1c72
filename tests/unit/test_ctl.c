// SPDX-License-Identifier: BSD-2-Clause
/*
 * The control socket: every command through a real socket against a fake
 * backend (a real engine with a listener and a connection attempt),
 * malformed and oversize requests, pipelining, many clients, permissions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/ctl.h"

/* --- the fake backend ------------------------------------------------------- */

struct fake {
	struct engine *eng;
	bool no_engine;
	int changed;
	char old[64], now[64];
	int status_err;
};

static void out_nop(void *user, const struct seg_out *seg)
{
}

static struct tunables *f_tunables(void *u)
{
	return eng_tunables(((struct fake *)u)->eng);
}

static struct engine *f_engine(void *u)
{
	struct fake *f = u;

	return f->no_engine ? NULL : f->eng;
}

static int f_status(void *u, json_t *st)
{
	struct fake *f = u;

	if (f->status_err)
		return f->status_err;
	json_object_set_new(st, "version", json_string("test"));
	json_object_set_new(st, "interfaces", json_pack("[s]", "veth0"));
	return 0;
}

static void f_changed(void *u, const struct tunable_desc *d, const char *old,
		      const char *now)
{
	struct fake *f = u;

	f->changed++;
	snprintf(f->old, sizeof(f->old), "%s", old);
	snprintf(f->now, sizeof(f->now), "%s", now);
}

static int f_xdp(void *u, ctl_emit_fn emit, void *arg)
{
	emit(arg, "pass_not_ip", 3);
	emit(arg, "redirect", 42);
	return 0;
}

static int f_acks(void *u, uint64_t *absorbed, uint64_t *total)
{
	*absorbed = 3;
	*total = 4;
	return 0;
}

static const struct ctl_ops ops = {
	.tunables = f_tunables,
	.engine = f_engine,
	.status = f_status,
	.tunable_changed = f_changed,
	.xdp_counters = f_xdp,
	.ack_counts = f_acks,
};

struct env {
	struct fake f;
	struct ctl *ctl;
	char dir[64], path[96];
};

static int setup(void **state)
{
	static const struct engine_ops eops = { .output = out_nop };
	struct engine_config ec = { .seed = 1 };
	struct env *v = calloc(1, sizeof(*v));
	struct ip_addr any = { 0 }, la, fa;
	static const uint8_t l4[4] = { 198, 18, 0, 2 },
			     f4[4] = { 198, 18, 0, 1 };
	struct sock_opts o;
	int err;

	assert_non_null(v);
	tunables_defaults(&ec.tun);
	v->f.eng = eng_create(&ec, &eops, NULL);
	assert_non_null(v->f.eng);
	eng_default_opts(v->f.eng, &o);
	assert_non_null(eng_listen(v->f.eng, &any, 7, 16, &o, &err));
	ip_addr_from_v4(&la, l4);
	ip_addr_from_v4(&fa, f4);
	assert_non_null(
		eng_connect(v->f.eng, &la, 40000, &fa, 80, &o, 1000, &err));

	snprintf(v->dir, sizeof(v->dir), "/tmp/xtcp-ctl-test.XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	/* A directory that does not exist yet: ctl_open makes it. */
	snprintf(v->path, sizeof(v->path), "%s/run/xtcpd.sock", v->dir);
	v->ctl = ctl_open(v->path, 0660, &ops, &v->f, &err);
	assert_non_null(v->ctl);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct env *v = *state;
	char d[128];

	ctl_close(v->ctl);
	snprintf(d, sizeof(d), "%s/run", v->dir);
	rmdir(d);
	rmdir(v->dir);
	eng_destroy(v->f.eng);
	free(v);
	return 0;
}

/* --- a client ------------------------------------------------------------------- */

/* What read_reply() has read past the last line, for one fd at a time. */
static char rbuf[1 << 20];
static size_t rhave;
static int rfd = -1;

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	rfd = -1;
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/*
 * Run the server until @fd has a whole reply line (returned, malloc'd,
 * without the newline) or EOF (NULL, *eof set).
 */
static char *read_reply(struct env *v, int fd, bool *eof)
{
	char *buf = rbuf;
	size_t have;

	if (fd != rfd) {
		rhave = 0;
		rfd = fd;
	}
	have = rhave;
	if (eof)
		*eof = false;
	for (int i = 0; i < 20000; i++) {
		char *nl = memchr(buf, '\n', have);
		struct pollfd p = { .fd = ctl_fd(v->ctl), .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - buf);
			char *s = strndup(buf, len);

			memmove(buf, nl + 1, have - len - 1);
			rhave = have - len - 1;
			return s;
		}
		poll(&p, 1, 1);
		assert_true(ctl_handle(v->ctl) >= 0);
		n = recv(fd, buf + have, sizeof(rbuf) - have, MSG_DONTWAIT);
		if (n == 0) {
			if (eof)
				*eof = true;
			rhave = have;
			return NULL;
		}
		if (n > 0)
			have += (size_t)n;
	}
	rhave = have;
	fail_msg("no reply");
	return NULL;
}

static json_t *ask(struct env *v, int fd, const char *req)
{
	json_error_t jerr;
	json_t *r;
	char *s;

	send_all(fd, req, strlen(req));
	s = read_reply(v, fd, NULL);
	assert_non_null(s);
	r = json_loads(s, 0, &jerr);
	if (!r)
		fail_msg("bad reply '%s': %s", s, jerr.text);
	free(s);
	return r;
}

static void assert_error(json_t *r, const char *errname, const char *text)
{
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "errno")),
			    errname);
	if (text)
		assert_non_null(strstr(
			json_string_value(json_object_get(r, "error")), text));
}

static void assert_ok(json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("error reply: %s",
			 json_string_value(json_object_get(r, "error")));
}

/* --- commands through the socket -------------------------------------------- */

static void test_socket_mode(void **state)
{
	struct env *v = *state;
	struct stat st;

	assert_int_equal(lstat(v->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
}

static void test_status(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r = ask(v, fd, "{\"cmd\":\"status\"}\n"), *st, *c;

	assert_ok(r);
	st = json_object_get(r, "status");
	assert_int_equal(json_integer_value(json_object_get(st, "pid")),
			 getpid());
	c = json_object_get(st, "connections");
	assert_int_equal(json_integer_value(json_object_get(c, "total")), 2);
	assert_int_equal(json_integer_value(json_object_get(c, "LISTEN")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "SYN_SENT")), 1);
	assert_string_equal(json_string_value(json_object_get(st, "version")),
			    "test");
	json_decref(r);

	v->f.status_err = -EIO;
	r = ask(v, fd, "{\"cmd\":\"status\"}\n");
	assert_error(r, "EIO", "status");
	json_decref(r);
	v->f.status_err = 0;
	close(fd);
}

static void test_props(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r = ask(v, fd, "{\"cmd\":\"props\"}\n"), *a, *p;
	size_t i;

	assert_ok(r);
	a = json_object_get(r, "props");
	assert_int_equal(json_array_size(a), tunable_count);
	json_array_foreach(a, i, p)
	{
		const struct tunable_desc *d = &tunable_table[i];

		assert_string_equal(
			json_string_value(json_object_get(p, "name")), d->name);
		assert_string_equal(
			json_string_value(json_object_get(p, "unit")), d->unit);
		if (d->type == TUN_STR) {
			assert_string_equal(
				json_string_value(json_object_get(p, "value")),
				"newreno");
			assert_true(json_array_size(json_object_get(
					    p, "choices")) >= 1);
			continue;
		}
		assert_int_equal(
			json_integer_value(json_object_get(p, "default")),
			d->def);
		assert_int_equal(json_integer_value(json_object_get(p, "min")),
				 d->min);
		assert_int_equal(json_integer_value(json_object_get(p, "max")),
				 d->max);
		assert_int_equal(
			json_integer_value(json_object_get(p, "value")),
			d->def);
	}
	json_decref(r);
	close(fd);
}

static void test_get(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r, *p;

	r = ask(v, fd, "{\"cmd\":\"get\",\"name\":\"tcp_sack_permitted\"}\n");
	assert_ok(r);
	p = json_object_get(r, "prop");
	assert_int_equal(json_integer_value(json_object_get(p, "value")), 2);
	assert_string_equal(json_string_value(json_object_get(p, "type")),
			    "u32");
	json_decref(r);

	r = ask(v, fd, "{\"cmd\":\"get\",\"name\":\"tcp_bogus\"}\n");
	assert_error(r, "ENOENT", "unknown tunable 'tcp_bogus'");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":\"get\"}\n");
	assert_error(r, "EINVAL", "missing \"name\"");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":\"get\",\"name\":7}\n");
	assert_error(r, "EINVAL", "missing \"name\"");
	json_decref(r);
	close(fd);
}

static void test_set(void **state)
{
	struct env *v = *state;
	struct tunables *t = eng_tunables(v->f.eng);
	int fd = client(v->path);
	json_t *r;

	/* The test runs as root; the daemon's tunables change in place. */
	if (getuid() != 0)
		skip();
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_ecn_permitted\",\"value\":2}\n");
	assert_ok(r);
	assert_int_equal(json_integer_value(json_object_get(r, "old")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "value")), 2);
	assert_int_equal(t->tcp_ecn_permitted, 2);
	assert_int_equal(v->f.changed, 1);
	assert_string_equal(v->f.old, "1");
	assert_string_equal(v->f.now, "2");
	json_decref(r);

	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_sack_permitted\","
		"\"value\":\"0\"}\n");
	assert_ok(r);
	assert_int_equal(t->tcp_sack_permitted, 0);
	json_decref(r);

	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_trace\",\"value\":true}\n");
	assert_ok(r);
	assert_int_equal(t->tcp_trace, 1);
	json_decref(r);

	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"congestion_control\","
		"\"value\":\"newreno\"}\n");
	assert_ok(r);
	assert_string_equal(json_string_value(json_object_get(r, "value")),
			    "newreno");
	json_decref(r);

	/* Refusals, with tunable_set's reason; nothing changes. */
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_ecn_permitted\",\"value\":5}\n");
	assert_error(r, "EINVAL", "tcp_ecn_permitted: 5 is outside 0..2");
	json_decref(r);
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_ecn_permitted\","
		"\"value\":-1}\n");
	assert_error(r, "EINVAL", "is not an unsigned integer");
	json_decref(r);
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"congestion_control\","
		"\"value\":\"bbr\"}\n");
	assert_error(r, "EINVAL", "unknown congestion control 'bbr'");
	json_decref(r);
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_ecn_permitted\","
		"\"value\":1.5}\n");
	assert_error(r, "EINVAL", "missing \"value\"");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":\"set\",\"name\":\"tcp_ecn_permitted\"}\n");
	assert_error(r, "EINVAL", "missing \"value\"");
	json_decref(r);
	r = ask(v, fd,
		"{\"cmd\":\"set\",\"name\":\"tcp_largest_anon_port\","
		"\"value\":2000}\n");
	assert_error(r, "EINVAL",
		     "tcp_smallest_anon_port above tcp_largest_anon_port");
	json_decref(r);
	assert_int_equal(t->tcp_ecn_permitted, 2);
	assert_int_equal(t->tcp_largest_anon_port, 65535);
	assert_int_equal(v->f.changed, 4);
	close(fd);
}

static void test_conns(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r = ask(v, fd, "{\"cmd\":\"conns\"}\n"), *a, *c;
	bool listen = false, syn = false;
	size_t i;

	assert_ok(r);
	a = json_object_get(r, "conns");
	assert_int_equal(json_array_size(a), 2);
	json_array_foreach(a, i, c)
	{
		const char *s = json_string_value(json_object_get(c, "state"));

		if (!strcmp(s, "LISTEN")) {
			listen = true;
			assert_int_equal(
				json_integer_value(json_object_get(c, "lport")),
				7);
		} else {
			syn = true;
			assert_string_equal(s, "SYN_SENT");
			assert_string_equal(
				json_string_value(json_object_get(c, "local")),
				"198.18.0.2");
			assert_string_equal(
				json_string_value(json_object_get(c, "remote")),
				"198.18.0.1");
			assert_int_equal(
				json_integer_value(json_object_get(c, "lport")),
				40000);
			assert_int_equal(
				json_integer_value(json_object_get(c, "rport")),
				80);
			assert_true(
				json_is_integer(json_object_get(c, "cwnd")));
			assert_true(json_integer_value(
					    json_object_get(c, "rto_us")) > 0);
			assert_true(json_is_string(json_object_get(c, "cc")));
		}
	}
	assert_true(listen && syn);
	json_decref(r);

	v->f.no_engine = true;
	r = ask(v, fd, "{\"cmd\":\"conns\"}\n");
	assert_error(r, "ENODEV", "no engine");
	json_decref(r);
	v->f.no_engine = false;
	close(fd);
}

static void test_stats(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r = ask(v, fd, "{\"cmd\":\"stats\"}\n"), *mib, *x, *acks;
	static const char *const order[] = {
		"tcpRtoAlgorithm", "tcpRtoMin",	     "tcpRtoMax",
		"tcpMaxConn",	   "tcpActiveOpens", "tcpPassiveOpens",
		"tcpAttemptFails", "tcpEstabResets", "tcpCurrEstab",
		"tcpInSegs",	   "tcpOutSegs",     "tcpRetransSegs",
		"tcpInErrs",	   "tcpOutRsts",     "tcpHCInSegs",
		"tcpHCOutSegs",
	};
	const char *key;
	json_t *val;
	size_t i = 0;

	assert_ok(r);
	mib = json_object_get(r, "mib");
	/* The RFC 4022 names, in the MIB's order. */
	json_object_foreach(mib, key, val)
	{
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(key, order[i]);
		i++;
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));
	assert_int_equal(
		json_integer_value(json_object_get(mib, "tcpRtoAlgorithm")), 5);
	assert_int_equal(json_integer_value(json_object_get(mib, "tcpRtoMin")),
			 eng_tunables(v->f.eng)->tcp_rexmit_interval_min);
	assert_int_equal(json_integer_value(json_object_get(mib, "tcpOutSegs")),
			 eng_stats(v->f.eng)->tcpOutSegs);
	assert_true(json_integer_value(json_object_get(mib, "tcpOutSegs")) >=
		    1); /* the SYN */
	assert_int_equal(
		json_integer_value(json_object_get(mib, "tcpCurrEstab")), 0);
	assert_non_null(
		json_object_get(json_object_get(r, "ext"), "bytes_retrans"));
	assert_true(json_is_object(json_object_get(r, "bad_wire")));
	x = json_object_get(r, "xdp");
	assert_int_equal(json_integer_value(json_object_get(x, "redirect")),
			 42);
	assert_int_equal(json_integer_value(json_object_get(x, "pass_not_ip")),
			 3);
	acks = json_object_get(r, "acks");
	assert_int_equal(json_integer_value(json_object_get(acks, "absorbed")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(acks, "total")), 4);
	assert_true(json_number_value(json_object_get(acks, "share")) == 0.75);
	json_decref(r);
	close(fd);
}

/* --- malformed, oversize, pipelined, many ---------------------------------- */

static void test_malformed(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r;

	r = ask(v, fd, "{\"cmd\":\n");
	assert_error(r, "EINVAL", "malformed JSON");
	json_decref(r);
	r = ask(v, fd, "[1,2]\n");
	assert_error(r, "EINVAL", "not a JSON object");
	json_decref(r);
	r = ask(v, fd, "{}\n");
	assert_error(r, "EINVAL", "missing \"cmd\"");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":5}\n");
	assert_error(r, "EINVAL", "missing \"cmd\"");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":\"reboot\"}\n");
	assert_error(r, "EINVAL", "unknown command 'reboot'");
	json_decref(r);
	r = ask(v, fd, "{\"cmd\":\"status\",\"cmd\":\"set\"}\n");
	assert_error(r, "EINVAL", "malformed JSON");
	json_decref(r);
	{
		/* NUL bytes and garbage. */
		static const char junk[] = "\x01\x00\xff{{{\n";

		send_all(fd, junk, sizeof(junk) - 1);
		r = ask(v, fd, "");
		assert_error(r, "EINVAL", "malformed JSON");
		json_decref(r);
	}
	/* Blank lines are skipped, CRLF accepted; still usable. */
	r = ask(v, fd, "\n  \r\n{\"cmd\":\"status\"}\r\n");
	assert_ok(r);
	json_decref(r);
	close(fd);
}

static void test_deep_nesting(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	static char req[CTL_MAX_REQUEST];
	size_t n = 30000;
	json_t *r;

	memset(req, '[', n);
	req[n] = '\n';
	req[n + 1] = '\0';
	r = ask(v, fd, req);
	assert_error(r, "EINVAL", "malformed JSON");
	json_decref(r);
	close(fd);
}

static void test_oversize(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	size_t len = CTL_MAX_REQUEST + 100, off = 0;
	char *big = malloc(len);
	json_t *r;
	bool eof;
	char *s;

	assert_non_null(big);
	memset(big, ' ', len);
	/* Feed it in pieces while the server runs (the socket buffer). */
	while (off < len) {
		ssize_t n = send(fd, big + off, len - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break; /* the server may already have closed */
		ctl_handle(v->ctl);
	}
	free(big);
	s = read_reply(v, fd, &eof);
	assert_non_null(s);
	r = json_loads(s, 0, NULL);
	free(s);
	assert_error(r, "EMSGSIZE", "longer than 65536");
	json_decref(r);
	/* Then the server closes the connection. */
	assert_null(read_reply(v, fd, &eof));
	assert_true(eof);
	close(fd);
}

static void test_pipelined_and_halfclose(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);
	json_t *r;
	bool eof;
	char *s;

	/* Two requests in one write, the second without a newline, then EOF. */
	send_all(fd,
		 "{\"cmd\":\"get\",\"name\":\"tcp_strong_iss\"}\n"
		 "{\"cmd\":\"get\",\"name\":\"tcp_trace\"}",
		 strlen("{\"cmd\":\"get\",\"name\":\"tcp_strong_iss\"}\n"
			"{\"cmd\":\"get\",\"name\":\"tcp_trace\"}"));
	shutdown(fd, SHUT_WR);
	s = read_reply(v, fd, &eof);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"tcp_strong_iss\""));
	free(s);
	s = read_reply(v, fd, &eof);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"tcp_trace\""));
	free(s);
	assert_null(read_reply(v, fd, &eof));
	assert_true(eof);
	close(fd);

	/* Many requests without reading: replies wait, none is lost. */
	fd = client(v->path);
	for (int i = 0; i < 60; i++)
		send_str(fd, "{\"cmd\":\"props\"}\n");
	for (int i = 0; i < 60; i++) {
		s = read_reply(v, fd, &eof);
		assert_non_null(s);
		r = json_loads(s, 0, NULL);
		free(s);
		assert_ok(r);
		json_decref(r);
	}
	close(fd);
}

static void test_many_clients(void **state)
{
	struct env *v = *state;
	int fd[CTL_MAX_CLIENTS + 1];
	json_t *r;
	bool eof;
	char *s;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		fd[i] = client(v->path);
		send_str(fd[i], "{\"cmd\":\"status\"}\n");
		ctl_handle(v->ctl); /* accept: the listen backlog is finite */
	}
	/* All are served, in whatever order the server sees them. */
	for (int i = CTL_MAX_CLIENTS - 1; i >= 0; i--) {
		r = ask(v, fd[i], "");
		assert_ok(r);
		json_decref(r);
	}
	assert_int_equal(ctl_nclients(v->ctl), CTL_MAX_CLIENTS);
	/* One more is told and closed. */
	fd[CTL_MAX_CLIENTS] = client(v->path);
	s = read_reply(v, fd[CTL_MAX_CLIENTS], &eof);
	assert_non_null(s);
	r = json_loads(s, 0, NULL);
	free(s);
	assert_error(r, "EBUSY", "too many clients");
	json_decref(r);
	close(fd[CTL_MAX_CLIENTS]);
	/* Clients that go away free their slots. */
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		close(fd[i]);
	for (int i = 0; i < 100 && ctl_nclients(v->ctl); i++)
		ctl_handle(v->ctl);
	assert_int_equal(ctl_nclients(v->ctl), 0);
}

static void test_client_vanishes(void **state)
{
	struct env *v = *state;
	int fd = client(v->path);

	/* Half a request, then gone; then a request and gone before reading. */
	send_str(fd, "{\"cmd\":\"sta");
	ctl_handle(v->ctl);
	close(fd);
	fd = client(v->path);
	send_str(fd, "{\"cmd\":\"props\"}\n");
	close(fd);
	for (int i = 0; i < 100 && ctl_nclients(v->ctl); i++)
		ctl_handle(v->ctl);
	assert_int_equal(ctl_nclients(v->ctl), 0);
}

/* --- permission, socket file life cycle ---------------------------------------- */

static void test_permitted(void **state)
{
	assert_int_equal(ctl_permitted("set", 0), 0);
	assert_int_equal(ctl_permitted("set", 1000), -EPERM);
	assert_int_equal(ctl_permitted("get", 1000), 0);
	assert_int_equal(ctl_permitted("props", 65534), 0);
	assert_int_equal(ctl_permitted("stats", 1000), 0);
}

static void test_dispatch_uid(void **state)
{
	struct env *v = *state;
	static const char req[] =
		"{\"cmd\":\"set\",\"name\":\"tcp_sack_permitted\",\"value\":1}";
	char *s;
	json_t *r;

	s = ctl_dispatch(&ops, &v->f, 1000, req, strlen(req));
	assert_non_null(s);
	r = json_loads(s, 0, NULL);
	free(s);
	assert_error(r, "EPERM", "set needs root");
	json_decref(r);
	assert_int_equal(eng_tunables(v->f.eng)->tcp_sack_permitted, 2);

	s = ctl_dispatch(&ops, &v->f, 0, req, strlen(req));
	r = json_loads(s, 0, NULL);
	free(s);
	assert_ok(r);
	json_decref(r);
	assert_int_equal(eng_tunables(v->f.eng)->tcp_sack_permitted, 1);
}

/* A real non-root peer (SO_PEERCRED), when the test runs as root. */
static void test_set_nonroot_peer(void **state)
{
	struct env *v = *state;
	int status = -1, err;
	struct ctl *c;
	char path[128];
	pid_t pid;

	if (getuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/open.sock", v->dir);
	assert_int_equal(chmod(v->dir, 0755), 0);
	c = ctl_open(path, 0666, &ops, &v->f, &err);
	assert_non_null(c);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[512] = { 0 };
		ssize_t n;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = client(path);
		send_str(fd, "{\"cmd\":\"set\",\"name\":\"tcp_trace\","
			     "\"value\":1}\n");
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		_exit(n > 0 && strstr(buf, "\"EPERM\"") ? 0 : 4);
	}
	for (int i = 0; i < 5000; i++) {
		struct pollfd p = { .fd = ctl_fd(c), .events = POLLIN };

		poll(&p, 1, 1);
		ctl_handle(c);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	ctl_close(c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(eng_tunables(v->f.eng)->tcp_trace, 0);
}

static void test_socket_file(void **state)
{
	struct env *v = *state;
	struct ctl *c;
	char path[100];
	int err, fd;

	/* A live socket: another daemon. */
	c = ctl_open(v->path, 0600, &ops, &v->f, &err);
	assert_null(c);
	assert_int_equal(err, -EADDRINUSE);

	/* A stale socket file (nobody listening) is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", v->dir);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(fd);
	}
	c = ctl_open(path, 0600, &ops, &v->f, &err);
	assert_non_null(c);
	ctl_close(c);
	assert_int_equal(access(path, F_OK), -1); /* removed on close */

	/* A regular file in the way is not removed. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(ctl_open(path, 0600, &ops, &v->f, &err));
	assert_int_equal(err, -EEXIST);
	unlink(path);

	assert_null(
		ctl_open("/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			 "aaaaaaaaaaaaaaaaaaaaaaaaa.sock",
			 0600, &ops, &v->f, &err));
	assert_int_equal(err, -ENAMETOOLONG);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_socket_mode),
		T(test_status),
		T(test_props),
		T(test_get),
		T(test_set),
		T(test_conns),
		T(test_stats),
		T(test_malformed),
		T(test_deep_nesting),
		T(test_oversize),
		T(test_pipelined_and_halfclose),
		T(test_many_clients),
		T(test_client_vanishes),
		cmocka_unit_test(test_permitted),
		T(test_dispatch_uid),
		T(test_set_nonroot_peer),
		T(test_socket_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
