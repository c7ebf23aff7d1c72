// SPDX-License-Identifier: BSD-2-Clause
/* echo (RFC 862), discard (RFC 863), chargen (RFC 864). */
#include "daemon/services.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SVC_BUF 16384
/* RFC 864: 72-character lines of the 95 printing ASCII characters. */
#define CHARGEN_LINE 72
#define CHARGEN_CHARS 95

/* A tag at the start of both structs tells them apart behind tcb_user(). */
enum svc_tag { TAG_LISTENER = 0x4c53, TAG_CONN = 0x434e };

struct svc_listener {
	enum svc_tag tag;
	enum svc_kind kind;
	struct tcb *tcb;
	struct ip_addr addr;
	uint16_t port;
	struct svc_listener *next;
};

struct svc_conn {
	enum svc_tag tag;
	enum svc_kind kind;
	struct tcb *tcb;
	struct svc_conn *next, *prev; /* all conns */
	struct svc_conn *rnext; /* ready list */
	bool queued, closing;
	void *ext; /* from hooks.opened */
	uint64_t chargen_pos; /* bytes of the pattern sent */
};

static const char *const names[] = { "echo", "discard", "chargen" };

const char *svc_kind_name(enum svc_kind k)
{
	return (unsigned)k < 3 ? names[k] : "?";
}

int svc_kind_parse(const char *name, enum svc_kind *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum svc_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

void svc_init(struct svc *s, struct engine *eng)
{
	memset(s, 0, sizeof(*s));
	s->eng = eng;
}

void svc_set_hooks(struct svc *s, const struct svc_hooks *h)
{
	s->hooks = *h;
}

int svc_listen(struct svc *s, enum svc_kind kind, const struct ip_addr *addr,
	       uint16_t port, uint32_t backlog, const struct sock_opts *o)
{
	struct svc_listener *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->tag = TAG_LISTENER;
	l->kind = kind;
	l->addr = *addr;
	l->port = port;
	l->tcb = eng_listen(s->eng, addr, port, backlog, o, &err);
	if (!l->tcb) {
		free(l);
		return err;
	}
	tcb_set_user(l->tcb, l);
	l->next = s->listeners;
	s->listeners = l;
	return 0;
}

static void mark(struct svc *s, struct svc_conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->rnext = s->ready;
	s->ready = c;
}

static void accept_all(struct svc *s, struct svc_listener *l, uint64_t now)
{
	struct tcb *t;
	int err;

	while ((t = eng_accept(l->tcb, &err))) {
		struct svc_conn *c = calloc(1, sizeof(*c));

		if (!c) {
			eng_close(t, true, now);
			continue;
		}
		c->tag = TAG_CONN;
		c->kind = l->kind;
		c->tcb = t;
		tcb_set_user(t, c);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->st.accepted++;
		if (s->hooks.opened)
			c->ext = s->hooks.opened(s->hooks.arg, t, now);
		/* Data may already wait, and chargen talks first. */
		mark(s, c);
	}
}

bool svc_event(struct svc *s, struct tcb *t, unsigned ev)
{
	enum svc_tag *tag = tcb_user(t);

	if (!tag)
		return false;
	if (*tag == TAG_LISTENER) {
		/* Accepting re-enters the engine: leave it to svc_run. */
		struct svc_listener *l = (struct svc_listener *)tag;

		(void)l;
		return true;
	}
	if (*tag != TAG_CONN)
		return false;
	mark(s, (struct svc_conn *)tag);
	return true;
}

static void conn_free(struct svc *s, struct svc_conn *c, bool abort,
		      uint64_t now)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (s->hooks.closing)
		s->hooks.closing(s->hooks.arg, c->tcb, c->ext, now);
	eng_close(c->tcb, abort, now);
	s->st.closed++;
	free(c);
}

/* The pattern repeats after 95 lines; built once, copied from after. */
#define CHARGEN_PERIOD (CHARGEN_CHARS * (CHARGEN_LINE + 2))

static const uint8_t *chargen_pattern(void)
{
	static uint8_t pat[2 * CHARGEN_PERIOD];
	static bool built;

	if (!built) {
		for (uint32_t p = 0; p < sizeof(pat); p++) {
			uint32_t line = p / (CHARGEN_LINE + 2);
			uint32_t col = p % (CHARGEN_LINE + 2);

			if (col == CHARGEN_LINE)
				pat[p] = '\r';
			else if (col == CHARGEN_LINE + 1)
				pat[p] = '\n';
			else
				pat[p] = (uint8_t)(' ' + (line + col) %
								 CHARGEN_CHARS);
		}
		built = true;
	}
	return pat;
}

static void chargen_fill(struct svc *s, struct svc_conn *c, uint64_t now)
{
	const uint8_t *pat = chargen_pattern();

	for (;;) {
		uint32_t room = tcb_writable(c->tcb);
		uint32_t off = (uint32_t)(c->chargen_pos % CHARGEN_PERIOD);
		uint32_t n = room < CHARGEN_PERIOD ? room : CHARGEN_PERIOD;
		long w;

		if (!n)
			return;
		/* The table holds two periods: any window of one is there. */
		w = eng_send(c->tcb, pat + off, n, 0, now);
		if (w <= 0)
			return;
		c->chargen_pos += (uint64_t)w;
		s->st.bytes_out += (uint64_t)w;
	}
}

/* Serve one connection; returns false when it is finished and freed. */
static bool serve(struct svc *s, struct svc_conn *c, uint64_t now)
{
	uint8_t buf[SVC_BUF];
	enum tcp_state st = tcb_state(c->tcb);

	if (st == TCPS_CLOSED) {
		conn_free(s, c, false, now);
		return false;
	}
	for (;;) {
		uint32_t room = SVC_BUF;
		long n;

		/* echo reads only what it can send back: flow control
		 * reaches the peer as a closing window. */
		if (c->kind == SVC_ECHO) {
			room = tcb_writable(c->tcb);
			if (room > SVC_BUF)
				room = SVC_BUF;
			if (!room)
				break;
		}
		n = eng_recv(c->tcb, buf, room, 0, now);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* End of stream or error: finish our side. For a
			 * graceful end, queued echo data still goes out
			 * before the FIN. */
			conn_free(s, c, n < 0, now);
			return false;
		}
		s->st.bytes_in += (uint64_t)n;
		if (c->kind == SVC_ECHO) {
			long w = eng_send(c->tcb, buf, (size_t)n, 0, now);

			if (w > 0)
				s->st.bytes_out += (uint64_t)w;
		}
	}
	if (c->kind == SVC_CHARGEN)
		chargen_fill(s, c, now);
	return true;
}

void svc_run(struct svc *s, uint64_t now)
{
	for (struct svc_listener *l = s->listeners; l; l = l->next)
		accept_all(s, l, now);
	while (s->ready) {
		struct svc_conn *c = s->ready;

		s->ready = c->rnext;
		c->queued = false;
		serve(s, c, now);
	}
}

void svc_shutdown(struct svc *s, bool abort, uint64_t now)
{
	struct svc_listener *l;

	s->ready = NULL;
	while (s->conns)
		conn_free(s, s->conns, abort, now);
	while ((l = s->listeners)) {
		s->listeners = l->next;
		eng_close(l->tcb, false, now);
		free(l);
	}
}

void svc_foreach_listener(struct svc *s,
			  void (*fn)(void *arg, enum svc_kind k,
				     const struct ip_addr *addr, uint16_t port),
			  void *arg)
{
	for (struct svc_listener *l = s->listeners; l; l = l->next)
		fn(arg, l->kind, &l->addr, l->port);
}
