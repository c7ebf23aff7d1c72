// SPDX-License-Identifier: BSD-2-Clause
/* Packet-level scripts for the engine (see harness.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

uint8_t h_flags(const char *s)
{
	uint8_t f = 0;

	for (; *s; s++) {
		switch (*s) {
		case 'F':
			f |= TH_FIN;
			break;
		case 'S':
			f |= TH_SYN;
			break;
		case 'R':
			f |= TH_RST;
			break;
		case 'P':
			f |= TH_PSH;
			break;
		case 'A':
			f |= TH_ACK;
			break;
		case 'U':
			f |= TH_URG;
			break;
		case 'E':
			f |= TH_ECE;
			break;
		case 'C':
			f |= TH_CWR;
			break;
		default:
			fail_msg("bad flag letter '%c'", *s);
		}
	}
	return f;
}

const char *h_flags_str(uint8_t f, char buf[12])
{
	const char *l = "FSRPAUEC";
	int n = 0;

	/* In the order people read them: S before A, F before A, ... */
	static const uint8_t order[] = { TH_SYN, TH_FIN, TH_RST, TH_PSH,
					 TH_ACK, TH_URG, TH_ECE, TH_CWR };
	for (size_t i = 0; i < sizeof(order); i++)
		if (f & order[i])
			buf[n++] = l[__builtin_ctz(order[i])];
	buf[n] = 0;
	return buf;
}

static void cb_output(void *user, const struct seg_out *so)
{
	struct harness *h = user;
	struct h_seg *s;
	uint32_t off = 0;

	if (h->nout >= H_MAXOUT)
		fail_msg("engine emitted more than %d segments", H_MAXOUT);
	s = &h->out[h->nout++];
	s->so = *so;
	s->at = h->now;
	assert_true(so->len <= H_MAXDATA);
	for (int i = 0; i < so->ndata; i++) {
		memcpy(s->data + off, so->data[i].iov_base,
		       so->data[i].iov_len);
		off += (uint32_t)so->data[i].iov_len;
	}
	assert_int_equal(off, so->len);
	s->so.ndata = 0;
	if (!h->have_iss && (so->th.flags & TH_SYN)) {
		h->iss = so->th.seq;
		h->have_iss = true;
	}
}

static void cb_event(void *user, struct tcb *t, unsigned ev)
{
	struct harness *h = user;

	if (t == h->listener)
		h->lev |= ev;
	else
		h->events |= ev;
	if (ev & EV_CLOSED)
		h->closed_events++;
}

static void cb_trace(void *user, const struct tcb *t, const char *line)
{
	struct harness *h = user;

	if (h->ntrace >= (int)(sizeof(h->trace) / sizeof(h->trace[0])))
		fail_msg("more than %d trace lines", h->ntrace);
	snprintf(h->trace[h->ntrace++], sizeof(h->trace[0]), "%s", line);
}

static uint32_t cb_mtu(void *user, const struct ip_addr *dst)
{
	struct harness *h = user;

	return h->mtu;
}

static const struct engine_ops h_ops = {
	.output = cb_output,
	.event = cb_event,
	.path_mtu = cb_mtu,
	.trace = cb_trace,
};

void h_init_tun(struct harness *h, void (*tweak)(struct tunables *t))
{
	static const uint8_t a4[4] = { 198, 18, 0, 1 },
			     b4[4] = { 198, 18, 0, 2 };

	memset(h, 0, sizeof(*h));
	tunables_defaults(&h->cfg.tun);
	if (tweak)
		tweak(&h->cfg.tun);
	for (int i = 0; i < 16; i++)
		h->cfg.isn_key[i] = (uint8_t)(i * 17 + 1);
	h->cfg.seed = 42;
	h->mtu = 1500;
	h->now = 1000000; /* t = 1 s: nothing special about zero */
	ip_addr_from_v4(&h->local, a4);
	ip_addr_from_v4(&h->remote, b4);
	h->lport = 5000;
	h->rport = 40000;
	h->pisn = 1000000;
	h->eng = eng_create(&h->cfg, &h_ops, h);
	assert_non_null(h->eng);
}

void h_init(struct harness *h)
{
	h_init_tun(h, NULL);
}

void h_use_ipv6(struct harness *h)
{
	memset(&h->local, 0, sizeof(h->local));
	memset(&h->remote, 0, sizeof(h->remote));
	h->local.b[0] = h->remote.b[0] = 0x20;
	h->local.b[1] = h->remote.b[1] = 0x01;
	h->local.b[2] = h->remote.b[2] = 0x0d;
	h->local.b[3] = h->remote.b[3] = 0xb8;
	h->local.b[15] = 1;
	h->remote.b[15] = 2;
}

void h_fini(struct harness *h)
{
	h_expect_none(h);
	if (h->tcb)
		eng_close(h->tcb, true, h->now);
	if (h->listener)
		eng_close(h->listener, false, h->now);
	eng_destroy(h->eng);
	h->eng = NULL;
}

void h_connect_opts(struct harness *h, const struct sock_opts *o)
{
	int err;

	h->tcb = eng_connect(h->eng, &h->local, h->lport, &h->remote, h->rport,
			     o, h->now, &err);
	assert_int_equal(err, 0);
	assert_non_null(h->tcb);
}

void h_connect(struct harness *h)
{
	struct sock_opts o;

	eng_default_opts(h->eng, &o);
	h_connect_opts(h, &o);
}

void h_listen(struct harness *h, uint32_t backlog)
{
	struct sock_opts o;
	int err;

	eng_default_opts(h->eng, &o);
	h->listener =
		eng_listen(h->eng, &h->local, h->lport, backlog, &o, &err);
	assert_int_equal(err, 0);
	assert_non_null(h->listener);
}

void h_feed_abs(struct harness *h, const char *flags, uint32_t seq,
		uint32_t ack, uint16_t win, const struct tcp_opts *opts,
		const void *data, uint32_t len)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ip.version = ip_addr_is_v4(&h->remote) ? 4 : 6;
	p.ip.proto = IPPROTO_TCP_;
	p.ip.ttl = 64;
	p.ip.tos = h->feed_tos;
	p.ip.src = h->remote;
	p.ip.dst = h->local;
	p.tcp.sport = h->rport;
	p.tcp.dport = h->lport;
	p.tcp.seq = seq;
	p.tcp.ack = ack;
	p.tcp.flags = h_flags(flags);
	p.tcp.win = win;
	p.tcp.urp = h->urp;
	h->urp = 0;
	if (opts)
		p.tcp.opts = *opts;
	p.tcp.doff = (uint8_t)(TCP_HLEN + tcp_opts_len(&p.tcp.opts));
	p.payload = data;
	p.payload_len = len;
	eng_input(h->eng, &p, h->now);
}

void h_feed(struct harness *h, const char *flags, uint32_t seq, uint32_t ack,
	    uint16_t win, const struct tcp_opts *opts, const void *data,
	    uint32_t len)
{
	h_feed_abs(h, flags, h->pisn + seq, h->iss + ack, win, opts, data, len);
}

void h_feed_urp(struct harness *h, const char *flags, uint32_t seq,
		uint32_t ack, uint16_t win, uint16_t urp, const void *data,
		uint32_t len)
{
	h->urp = urp;
	h_feed(h, flags, seq, ack, win, NULL, data, len);
}

int h_pending(const struct harness *h)
{
	return h->nout - h->rd;
}

static const struct h_seg *next_seg(struct harness *h, const char *what)
{
	if (h->rd >= h->nout)
		fail_msg("expected %s, but the engine sent nothing more", what);
	return &h->out[h->rd++];
}

static void describe(const struct h_seg *s, uint32_t seq_base,
		     uint32_t ack_base, char *buf, size_t len)
{
	char f[12];

	snprintf(buf, len, "%s seq=%u ack=%u len=%u win=%u (at t=%llu)",
		 h_flags_str(s->so.th.flags, f), s->so.th.seq - seq_base,
		 s->so.th.ack - ack_base, s->so.len, s->so.th.win,
		 (unsigned long long)s->at);
}

static const struct h_seg *expect(struct harness *h, const char *flags,
				  uint32_t seq, uint32_t ack, uint32_t len,
				  int win, uint32_t seq_base, uint32_t ack_base)
{
	char want[128], got[160], f[12];
	const struct h_seg *s;
	uint8_t fl = h_flags(flags);

	snprintf(want, sizeof(want), "%s seq=%u ack=%u len=%u",
		 h_flags_str(fl, f), seq, ack, len);
	if (win >= 0)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 " win=%d", win);
	s = next_seg(h, want);
	describe(s, seq_base, ack_base, got, sizeof(got));
	/* The ACK field means nothing without the ACK flag: compare it only
	 * when the flag is there. */
	if (s->so.th.flags != fl || s->so.th.seq - seq_base != seq ||
	    ((fl & TH_ACK) && s->so.th.ack - ack_base != ack) ||
	    s->so.len != len || (win >= 0 && s->so.th.win != win))
		fail_msg("expected %s\n       got %s", want, got);
	/* Every segment must address the peer from the engine's side. */
	assert_memory_equal(&s->so.src, &h->local, sizeof(h->local));
	assert_memory_equal(&s->so.dst, &h->remote, sizeof(h->remote));
	assert_int_equal(s->so.th.sport, h->lport);
	assert_int_equal(s->so.th.dport, h->rport);
	return s;
}

const struct h_seg *h_expect(struct harness *h, const char *flags, uint32_t seq,
			     uint32_t ack, uint32_t len)
{
	return expect(h, flags, seq, ack, len, -1, h->iss, h->pisn);
}

const struct h_seg *h_expect_win(struct harness *h, const char *flags,
				 uint32_t seq, uint32_t ack, uint32_t len,
				 uint16_t win)
{
	return expect(h, flags, seq, ack, len, win, h->iss, h->pisn);
}

const struct h_seg *h_expect_abs(struct harness *h, const char *flags,
				 uint32_t seq, uint32_t ack, uint32_t len)
{
	return expect(h, flags, seq, ack, len, -1, 0, 0);
}

void h_expect_none(struct harness *h)
{
	if (h->rd < h->nout) {
		char got[160];

		describe(&h->out[h->rd], h->iss, h->pisn, got, sizeof(got));
		fail_msg("expected nothing more, got %s (+%d more)", got,
			 h->nout - h->rd - 1);
	}
	/* Start the capture buffer over: tests can run long. */
	h->nout = h->rd = 0;
}

void h_run_until(struct harness *h, uint64_t t)
{
	uint64_t d;

	while ((d = eng_next_deadline(h->eng)) <= t) {
		if (d > h->now)
			h->now = d;
		eng_timers(h->eng, h->now);
	}
	if (t > h->now)
		h->now = t;
}

void h_advance(struct harness *h, uint64_t dt)
{
	h_run_until(h, h->now + dt);
}

uint64_t h_next_timer(struct harness *h)
{
	uint64_t d = eng_next_deadline(h->eng);

	if (d == UINT64_MAX)
		return d;
	h_run_until(h, d);
	return d;
}

void h_establish_active(struct harness *h)
{
	h_connect(h);
	h_expect(h, "S", 0, 0, 0);
	h_feed(h, "SA", 0, 1, 65535, NULL, NULL, 0);
	h_expect(h, "A", 1, 1, 0);
	h_expect_none(h);
	assert_int_equal(tcb_state(h->tcb), TCPS_ESTABLISHED);
	h_events(h);
}

void h_establish_passive(struct harness *h)
{
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1460 };
	int err;

	h_listen(h, 16);
	h_feed(h, "S", 0, 0, 65535, &mss, NULL, 0);
	h_expect(h, "SA", 0, 1, 0);
	h_feed(h, "A", 1, 1, 65535, NULL, NULL, 0);
	h_expect_none(h);
	h->tcb = eng_accept(h->listener, &err);
	assert_int_equal(err, 0);
	assert_non_null(h->tcb);
	assert_int_equal(tcb_state(h->tcb), TCPS_ESTABLISHED);
	h_events(h);
}

unsigned h_events(struct harness *h)
{
	unsigned e = h->events;

	h->events = 0;
	return e;
}
