// SPDX-License-Identifier: BSD-2-Clause
/* The control socket: JSON lines over AF_UNIX, in the daemon's poll loop. */
#include "daemon/ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stack/cc/cc.h"
#include "wire/wire_err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LISTENER ((uint64_t)-1)

/* --- replies ---------------------------------------------------------------- */

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EIO";
}

__attribute__((format(printf, 2, 3))) static json_t *
err_reply(int e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", msg, "errno",
			 errno_name(e));
}

static json_t *ok_reply(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* Attach @val under @key (stealing it); false on allocation failure. */
static bool put(json_t *obj, const char *key, json_t *val)
{
	return val && !json_object_set_new(obj, key, val);
}

static bool put_u64(json_t *obj, const char *key, uint64_t v)
{
	return put(obj, key, json_integer((json_int_t)v));
}

/* --- tunables ----------------------------------------------------------------- */

static const char *type_name(enum tunable_type t)
{
	return t == TUN_STR ? "string" : t == TUN_BOOL ? "bool" : "u32";
}

/* A value as tunable_get() formats it, typed for JSON. */
static json_t *value_json(const struct tunable_desc *d, const char *s)
{
	if (d->type == TUN_STR)
		return json_string(s);
	return json_integer((json_int_t)strtoull(s, NULL, 10));
}

static json_t *prop_json(const struct tunables *t, const struct tunable_desc *d)
{
	struct tunables defs;
	char cur[64], def[64];
	json_t *o = json_object();

	tunables_defaults(&defs);
	tunable_get(t, d, cur, sizeof(cur));
	tunable_get(&defs, d, def, sizeof(def));
	if (!o || !put(o, "name", json_string(d->name)) ||
	    !put(o, "value", value_json(d, cur)) ||
	    !put(o, "default", value_json(d, def)) ||
	    !put(o, "unit", json_string(d->unit)) ||
	    !put(o, "type", json_string(type_name(d->type))) ||
	    !put(o, "help", json_string(d->help)))
		goto fail;
	if (d->type == TUN_STR) {
		const char *names[32];
		json_t *a = json_array();
		int n;

		cc_init_builtin();
		n = cc_list(names, (int)ARRAY_SIZE(names));
		if (!put(o, "choices", a))
			goto fail;
		for (int i = 0; i < n; i++)
			if (json_array_append_new(a, json_string(names[i])))
				goto fail;
	} else if (!put_u64(o, "min", d->min) || !put_u64(o, "max", d->max)) {
		goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *cmd_props(const struct ctl_ops *ops, void *user, json_t *req)
{
	const struct tunables *t = ops->tunables(user);
	json_t *r = ok_reply(), *a = json_array();

	if (!put(r, "props", a))
		goto fail;
	for (size_t i = 0; i < tunable_count; i++)
		if (json_array_append_new(a, prop_json(t, &tunable_table[i])))
			goto fail;
	return r;
fail:
	json_decref(r);
	return NULL;
}

/* The "name" argument as a known tunable, or an error reply in *@reply. */
static const struct tunable_desc *arg_tunable(json_t *req, json_t **reply)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	const struct tunable_desc *d;

	if (!name) {
		*reply = err_reply(EINVAL, "missing \"name\" (a string)");
		return NULL;
	}
	d = tunable_find(name);
	if (!d)
		*reply = err_reply(ENOENT, "unknown tunable '%s'", name);
	return d;
}

static json_t *cmd_get(const struct ctl_ops *ops, void *user, json_t *req)
{
	const struct tunable_desc *d;
	json_t *r = NULL;

	d = arg_tunable(req, &r);
	if (!d)
		return r;
	r = ok_reply();
	if (!put(r, "prop", prop_json(ops->tunables(user), d))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static json_t *cmd_set(const struct ctl_ops *ops, void *user, json_t *req)
{
	struct tunables *t = ops->tunables(user);
	const struct tunable_desc *d;
	char value[64], old[64], now[64], msg[256];
	json_t *v, *r = NULL;

	d = arg_tunable(req, &r);
	if (!d)
		return r;
	v = json_object_get(req, "value");
	if (json_is_string(v)) {
		if (snprintf(value, sizeof(value), "%s",
			     json_string_value(v)) >= (int)sizeof(value))
			return err_reply(EINVAL, "%s: value too long", d->name);
	} else if (json_is_integer(v)) {
		snprintf(value, sizeof(value), "%lld",
			 (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(value, sizeof(value), "%d", json_is_true(v));
	} else {
		return err_reply(EINVAL,
				 "missing \"value\" (a string or an integer)");
	}
	tunable_get(t, d, old, sizeof(old));
	msg[0] = '\0';
	if (tunable_set(t, d, value, msg, sizeof(msg)))
		return err_reply(EINVAL, "%s: %s", d->name, msg);
	tunable_get(t, d, now, sizeof(now));
	if (ops->tunable_changed)
		ops->tunable_changed(user, d, old, now);
	r = ok_reply();
	if (!put(r, "name", json_string(d->name)) ||
	    !put(r, "old", value_json(d, old)) ||
	    !put(r, "value", value_json(d, now))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* --- connections -------------------------------------------------------------- */

struct conn_walk {
	json_t *array; /* conns, or NULL to count only */
	uint64_t by_state[TCPS_NSTATES];
	uint64_t total;
	bool nomem;
};

static json_t *conn_json(const struct tcb *t)
{
	struct ip_addr la, fa;
	uint16_t lp, fp;
	struct tcb_info i;
	char lbuf[64], fbuf[64];

	tcb_get_info(t, &i);
	tcb_addrs(t, &la, &lp, &fa, &fp);
	return json_pack(
		"{s:s, s:i, s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		" s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
		"local", ip_addr_str(&la, lbuf, sizeof(lbuf)), "lport", lp,
		"remote", ip_addr_str(&fa, fbuf, sizeof(fbuf)), "rport", fp,
		"state", tcp_state_name(i.state), "cwnd", (json_int_t)i.cwnd,
		"ssthresh", (json_int_t)i.ssthresh, "smss", (json_int_t)i.smss,
		"rmss", (json_int_t)i.rmss, "srtt_us", (json_int_t)i.srtt_us,
		"rttvar_us", (json_int_t)i.rttvar_us, "rto_us",
		(json_int_t)i.rto_us, "retransmits", (json_int_t)i.retransmits,
		"backoff", (json_int_t)i.backoff, "total_retrans",
		(json_int_t)i.total_retrans, "snd_wnd", (json_int_t)i.snd_wnd,
		"rcv_wnd", (json_int_t)i.rcv_wnd, "bytes_acked",
		(json_int_t)i.bytes_acked, "bytes_received",
		(json_int_t)i.bytes_received, "segs_out",
		(json_int_t)i.segs_out, "segs_in", (json_int_t)i.segs_in, "cc",
		i.cc);
}

static void conn_visit(void *arg, const struct tcb *t)
{
	struct conn_walk *w = arg;
	enum tcp_state s = tcb_state(t);

	w->total++;
	if ((unsigned)s < TCPS_NSTATES)
		w->by_state[s]++;
	if (w->array && !w->nomem &&
	    json_array_append_new(w->array, conn_json(t)))
		w->nomem = true;
}

static struct engine *need_engine(const struct ctl_ops *ops, void *user,
				  json_t **reply)
{
	struct engine *e = ops->engine ? ops->engine(user) : NULL;

	if (!e)
		*reply = err_reply(ENODEV, "no engine running");
	return e;
}

static json_t *cmd_conns(const struct ctl_ops *ops, void *user, json_t *req)
{
	struct conn_walk w = { 0 };
	struct engine *e;
	json_t *r = NULL;

	e = need_engine(ops, user, &r);
	if (!e)
		return r;
	r = ok_reply();
	w.array = json_array();
	if (!put(r, "conns", w.array))
		goto fail;
	eng_foreach(e, conn_visit, &w);
	if (w.nomem)
		goto fail;
	return r;
fail:
	json_decref(r);
	return NULL;
}

static json_t *cmd_status(const struct ctl_ops *ops, void *user, json_t *req)
{
	struct engine *e = ops->engine ? ops->engine(user) : NULL;
	json_t *r = ok_reply(), *st = json_object(), *c;
	int ret;

	if (!put(r, "status", st) || !put_u64(st, "pid", (uint64_t)getpid()))
		goto fail;
	if (e) {
		struct conn_walk w = { 0 };

		eng_foreach(e, conn_visit, &w);
		c = json_object();
		if (!put(st, "connections", c) || !put_u64(c, "total", w.total))
			goto fail;
		for (int s = 0; s < TCPS_NSTATES; s++)
			if (w.by_state[s] &&
			    !put_u64(c, tcp_state_name((enum tcp_state)s),
				     w.by_state[s]))
				goto fail;
	}
	if (ops->status) {
		ret = ops->status(user, st);
		if (ret) {
			json_decref(r);
			return err_reply(-ret, "status: %s", strerror(-ret));
		}
	}
	return r;
fail:
	json_decref(r);
	return NULL;
}

/* --- stats -------------------------------------------------------------------- */

#define STAT(f)                                   \
	{                                         \
#f, offsetof(struct tcp_stats, f) \
	}
static const struct {
	const char *name;
	size_t off;
} mib_counters[] = {
	STAT(tcpActiveOpens), STAT(tcpPassiveOpens), STAT(tcpAttemptFails),
	STAT(tcpEstabResets), STAT(tcpInSegs),	     STAT(tcpOutSegs),
	STAT(tcpRetransSegs), STAT(tcpInErrs),	     STAT(tcpOutRsts),
}, ext_counters[] = {
	STAT(challenge_acks),	  STAT(challenge_acks_limited),
	STAT(rsts_limited),	  STAT(dup_acks_in),
	STAT(fast_retransmits),	  STAT(rto_expiries),
	STAT(timeouts),		  STAT(ooo_segs_in),
	STAT(ooo_dropped),	  STAT(dup_segs_in),
	STAT(listen_drops),	  STAT(syn_drops),
	STAT(paws_drops),	  STAT(zero_window_probes),
	STAT(delayed_acks),	  STAT(bytes_in),
	STAT(bytes_out),	  STAT(bytes_retrans),
};

static uint64_t stat_at(const struct tcp_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

struct emit_ctx {
	json_t *obj;
	bool nomem;
};

static void emit_counter(void *arg, const char *name, uint64_t value)
{
	struct emit_ctx *x = arg;

	if (!x->nomem && !put_u64(x->obj, name, value))
		x->nomem = true;
}

static json_t *cmd_stats(const struct ctl_ops *ops, void *user, json_t *req)
{
	const struct tunables *t = ops->tunables(user);
	struct conn_walk w = { 0 };
	const struct tcp_stats *s;
	json_t *r = NULL, *mib, *ext, *bad, *x;
	struct emit_ctx ec;
	struct engine *e;
	int ret;

	e = need_engine(ops, user, &r);
	if (!e)
		return r;
	s = eng_stats(e);
	eng_foreach(e, conn_visit, &w);
	r = ok_reply();
	mib = json_object();
	ext = json_object();
	bad = json_object();
	if (!put(r, "mib", mib) || !put(r, "ext", ext) ||
	    !put(r, "bad_wire", bad))
		goto fail;
	/* RFC 4022 order: rfc2988(5) is the RFC 6298 algorithm. */
	if (!put_u64(mib, "tcpRtoAlgorithm", 5) ||
	    !put_u64(mib, "tcpRtoMin", t->tcp_rexmit_interval_min) ||
	    !put_u64(mib, "tcpRtoMax", t->tcp_rexmit_interval_max) ||
	    !put(mib, "tcpMaxConn", json_integer(-1)))
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(mib_counters); i++) {
		if (!put_u64(mib, mib_counters[i].name,
			     stat_at(s, mib_counters[i].off)))
			goto fail;
		if (!strcmp(mib_counters[i].name, "tcpEstabResets") &&
		    !put_u64(mib, "tcpCurrEstab",
			     w.by_state[TCPS_ESTABLISHED] +
				     w.by_state[TCPS_CLOSE_WAIT]))
			goto fail;
	}
	if (!put_u64(mib, "tcpHCInSegs", s->tcpInSegs) ||
	    !put_u64(mib, "tcpHCOutSegs", s->tcpOutSegs))
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(ext_counters); i++)
		if (!put_u64(ext, ext_counters[i].name,
			     stat_at(s, ext_counters[i].off)))
			goto fail;
	for (int i = 1; i < WIRE_ERR_MAX && i < (int)ARRAY_SIZE(s->in_bad_wire);
	     i++)
		if (s->in_bad_wire[i] &&
		    !put_u64(bad, wire_err_name(i), s->in_bad_wire[i]))
			goto fail;
	if (ops->xdp_counters) {
		x = json_object();
		if (!put(r, "xdp", x))
			goto fail;
		ec = (struct emit_ctx){ .obj = x };
		ret = ops->xdp_counters(user, emit_counter, &ec);
		if (ec.nomem)
			goto fail;
		if (ret) {
			json_decref(r);
			return err_reply(-ret, "XDP counters: %s",
					 strerror(-ret));
		}
	}
	if (ops->dp_counters) {
		x = json_object();
		if (!put(r, "datapath", x))
			goto fail;
		ec = (struct emit_ctx){ .obj = x };
		ret = ops->dp_counters(user, emit_counter, &ec);
		if (ec.nomem)
			goto fail;
		if (ret) {
			json_decref(r);
			return err_reply(-ret, "datapath counters: %s",
					 strerror(-ret));
		}
	}
	if (ops->ack_counts) {
		uint64_t absorbed = 0, total = 0;

		ret = ops->ack_counts(user, &absorbed, &total);
		if (ret) {
			json_decref(r);
			return err_reply(-ret, "ACK counters: %s",
					 strerror(-ret));
		}
		x = json_pack("{s:I, s:I, s:f}", "absorbed",
			      (json_int_t)absorbed, "total", (json_int_t)total,
			      "share",
			      total ? (double)absorbed / (double)total : 0.0);
		if (!put(r, "acks", x))
			goto fail;
	}
	return r;
fail:
	json_decref(r);
	return NULL;
}

/* --- dispatch ----------------------------------------------------------------- */

static const struct {
	const char *name;
	json_t *(*fn)(const struct ctl_ops *ops, void *user, json_t *req);
} commands[] = {
	{ "status", cmd_status }, { "props", cmd_props },
	{ "get", cmd_get },	  { "set", cmd_set },
	{ "conns", cmd_conns },	  { "stats", cmd_stats },
};

int ctl_permitted(const char *cmd, uid_t uid)
{
	if (!strcmp(cmd, "set") && uid != 0)
		return -EPERM;
	return 0;
}

static json_t *dispatch(const struct ctl_ops *ops, void *user, uid_t uid,
			const char *text, size_t len)
{
	json_error_t jerr;
	const char *cmd;
	json_t *req, *r = NULL;
	size_t i;

	req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return err_reply(EINVAL, "malformed JSON at %d: %s",
				 jerr.position, jerr.text);
	if (!json_is_object(req)) {
		r = err_reply(EINVAL, "request is not a JSON object");
		goto out;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		r = err_reply(EINVAL, "missing \"cmd\" (a string)");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands)) {
		r = err_reply(EINVAL, "unknown command '%.64s'", cmd);
		goto out;
	}
	if (ctl_permitted(cmd, uid)) {
		r = err_reply(EPERM, "%s needs root (uid 0), you are uid %u",
			      cmd, (unsigned)uid);
		goto out;
	}
	r = commands[i].fn(ops, user, req);
out:
	json_decref(req);
	return r;
}

char *ctl_dispatch(const struct ctl_ops *ops, void *user, uid_t uid,
		   const char *req, size_t len)
{
	json_t *r = dispatch(ops, user, uid, req, len);
	char *s;

	if (!r)
		r = err_reply(ENOMEM, "out of memory");
	if (!r)
		return NULL;
	s = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	return s;
}

/* --- the server --------------------------------------------------------------- */

struct client {
	int fd;
	uid_t uid;
	char *in; /* CTL_MAX_REQUEST + 1 bytes */
	size_t inlen;
	char *out; /* one reply line being written */
	size_t outlen, outoff;
	uint32_t events; /* registered with epoll */
	bool eof; /* peer shut down its sending side */
	bool closing; /* close once out is written */
};

struct ctl {
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	const struct ctl_ops *ops;
	void *user;
	struct client *cl[CTL_MAX_CLIENTS];
	unsigned n;
};

int ctl_fd(const struct ctl *c)
{
	return c->epfd;
}

unsigned ctl_nclients(const struct ctl *c)
{
	return c->n;
}

static void client_drop(struct ctl *c, unsigned slot)
{
	struct client *k = c->cl[slot];

	epoll_ctl(c->epfd, EPOLL_CTL_DEL, k->fd, NULL);
	close(k->fd);
	free(k->in);
	free(k->out);
	free(k);
	c->cl[slot] = NULL;
	c->n--;
}

static int client_events(struct ctl *c, unsigned slot, uint32_t ev)
{
	struct client *k = c->cl[slot];
	struct epoll_event e = { .events = ev, .data.u64 = slot };

	if (k->events == ev)
		return 0;
	if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, k->fd, &e))
		return -errno;
	k->events = ev;
	return 0;
}

/* Queue the reply to one request line (the client has nothing pending). */
static void client_answer(struct ctl *c, struct client *k, const char *line,
			  size_t len)
{
	char *s = ctl_dispatch(c->ops, c->user, k->uid, line, len);
	size_t n;

	if (s && strlen(s) + 1 > CTL_MAX_REPLY) {
		free(s);
		s = strdup("{\"ok\":false,\"error\":\"reply too large\","
			   "\"errno\":\"E2BIG\"}");
	}
	if (!s) {
		k->closing = true;
		return;
	}
	n = strlen(s);
	s[n] = '\n'; /* over the NUL: sent by length, never used as a string */
	k->out = s;
	k->outlen = n + 1;
	k->outoff = 0;
}

/* Write what is pending; 0, or -1 if the client is gone. */
static int client_flush(struct client *k)
{
	while (k->outoff < k->outlen) {
		ssize_t n = send(k->fd, k->out + k->outoff,
				 k->outlen - k->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		k->outoff += (size_t)n;
	}
	free(k->out);
	k->out = NULL;
	k->outlen = k->outoff = 0;
	return 0;
}

/* Take the next complete request from k->in; false if none. */
static bool client_next(struct ctl *c, struct client *k, int *answered)
{
	char *nl = memchr(k->in, '\n', k->inlen);
	size_t len, skip;

	if (!nl) {
		if (k->inlen > CTL_MAX_REQUEST) {
			char *s = strdup("{\"ok\":false,\"error\":\"request "
					 "longer than 65536 bytes\","
					 "\"errno\":\"EMSGSIZE\"}\n");

			k->inlen = 0;
			k->closing = true;
			if (s) {
				k->out = s;
				k->outlen = strlen(s);
				k->outoff = 0;
			}
			return s != NULL;
		}
		if (!k->eof || !k->inlen)
			return false;
		len = skip = k->inlen; /* the last request, unterminated */
	} else {
		len = (size_t)(nl - k->in);
		skip = len + 1;
	}
	if (len && k->in[len - 1] == '\r')
		len--;
	if (strspn(k->in, " \t\r") < len) {
		client_answer(c, k, k->in, len);
		(*answered)++;
	}
	memmove(k->in, k->in + skip, k->inlen - skip);
	k->inlen -= skip;
	return true;
}

static void client_run(struct ctl *c, unsigned slot, uint32_t ev, int *answered)
{
	struct client *k = c->cl[slot];
	uint32_t want;

	if ((ev & EPOLLIN) && !k->eof && !k->closing && !k->out) {
		ssize_t n = recv(k->fd, k->in + k->inlen,
				 CTL_MAX_REQUEST + 1 - k->inlen, MSG_DONTWAIT);

		if (n > 0)
			k->inlen += (size_t)n;
		else if (n == 0)
			k->eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			goto drop;
	} else if ((ev & (EPOLLERR | EPOLLHUP)) && !k->out) {
		k->eof = true;
	}
	for (;;) {
		if (k->out && client_flush(k))
			goto drop;
		if (k->out || k->closing)
			break;
		if (!client_next(c, k, answered))
			break;
	}
	if (!k->out && (k->closing || (k->eof && !k->inlen)))
		goto drop;
	want = k->out ? EPOLLOUT : EPOLLIN;
	if (client_events(c, slot, want))
		goto drop;
	return;
drop:
	client_drop(c, slot);
}

static void ctl_accept(struct ctl *c)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many "
				   "clients\",\"errno\":\"EBUSY\"}\n";

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct epoll_event e = { .events = EPOLLIN };
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct client *k;
		unsigned slot;
		int fd;

		fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a peer gone before accept */
		if (c->n == CTL_MAX_CLIENTS) {
			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to tell */
			}
			close(fd);
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			close(fd);
			continue;
		}
		k = calloc(1, sizeof(*k));
		if (k)
			k->in = malloc(CTL_MAX_REQUEST + 1);
		if (!k || !k->in) {
			if (k)
				free(k);
			close(fd);
			continue;
		}
		for (slot = 0; c->cl[slot]; slot++)
			;
		k->fd = fd;
		k->uid = cred.uid;
		k->events = EPOLLIN;
		e.data.u64 = slot;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &e)) {
			free(k->in);
			free(k);
			close(fd);
			continue;
		}
		c->cl[slot] = k;
		c->n++;
	}
}

int ctl_handle(struct ctl *c)
{
	struct epoll_event ev[CTL_MAX_CLIENTS + 1];
	int n, answered = 0;

	n = epoll_wait(c->epfd, ev, (int)ARRAY_SIZE(ev), 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t slot = ev[i].data.u64;

		if (slot == LISTENER) {
			if (ev[i].events & EPOLLERR)
				return -EIO;
			ctl_accept(c);
		} else if (slot < CTL_MAX_CLIENTS && c->cl[slot]) {
			client_run(c, (unsigned)slot, ev[i].events, &answered);
		}
	}
	return answered;
}

/* mkdir the parent of @path if missing (one level, like /run/xtcp). */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* A socket file nobody listens on is stale; a live one is another xtcpd. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret = 0;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED && unlink(sa->sun_path) &&
		 errno != ENOENT)
		ret = -errno;
	close(fd);
	return ret;
}

struct ctl *ctl_open(const char *path, mode_t mode, const struct ctl_ops *ops,
		     void *user, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = LISTENER };
	struct ctl *c;
	struct stat st;
	mode_t old;
	int ret;

	if (!ops || !ops->tunables) {
		*err = -EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->lfd = c->epfd = -1;
	c->ops = ops;
	c->user = user;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = make_parent(path);
	if (ret)
		goto fail;
	ret = clear_stale(&sa);
	if (ret)
		goto fail;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		ret = -errno;
		goto fail;
	}
	old = umask(~mode & 0777);
	ret = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (ret)
		goto fail;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (lstat(path, &st)) {
		ret = -errno;
		unlink(path);
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (chmod(path, mode) || listen(c->lfd, 32)) {
		ret = -errno;
		goto fail;
	}
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &e)) {
		ret = -errno;
		goto fail;
	}
	return c;
fail:
	ctl_close(c);
	*err = ret;
	return NULL;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->cl[i])
			client_drop(c, i);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->lfd >= 0)
		close(c->lfd);
	/* Remove the file only if it is still ours (not a newer daemon's). */
	if (c->path[0] && !lstat(c->path, &st) && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlink(c->path);
	free(c);
}
