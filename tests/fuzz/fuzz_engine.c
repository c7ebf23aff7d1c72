// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the engine's input path: an engine holding a
 * listener and an established connection receives arbitrary segments, time
 * steps and application calls. Records are decoded from the input so the
 * fuzzer can reach deep states: most segments are aimed at the connection
 * with sequence and acknowledgement numbers near the live ones, others are
 * raw bytes through the wire parser.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stack/engine.h"
#include "stack/seg_emit.h"
#include "stack/sockbuf.h"
#include "wire/packet.h"

struct fz {
	struct engine *eng;
	struct tcb *l, *c, *acc[4];
	int nacc;
	uint64_t now;
	struct ip_addr me, peer;
	uint32_t peer_seq; /* the peer's next sequence number */
	uint32_t our_iss_seen; /* the last sequence number the engine sent */
	uint32_t our_ack_seen;
	uint8_t scratch[70000];
};

static void out(void *user, const struct seg_out *so)
{
	struct fz *f = user;

	/* Emitting exercises seg_emit and the iovecs the engine hands out. */
	if (seg_emit_ip(so, f->scratch, sizeof(f->scratch)) < 0)
		__builtin_trap();
	if (so->tcb) {
		f->our_iss_seen = so->th.seq + so->len;
		f->our_ack_seen = so->th.ack;
	}
}

static const struct engine_ops ops = { .output = out };

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct rd *r, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v <<= 8;
		if (r->n) {
			v |= *r->p++;
			r->n--;
		}
	}
	return v;
}

static void feed(struct fz *f, uint16_t sport, uint16_t dport, uint8_t flags,
		 uint32_t seq, uint32_t ack, uint16_t win,
		 const struct tcp_opts *o, const uint8_t *data, uint32_t len)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ip.version = 4;
	p.ip.proto = 6;
	p.ip.src = f->peer;
	p.ip.dst = f->me;
	p.tcp.sport = sport;
	p.tcp.dport = dport;
	p.tcp.seq = seq;
	p.tcp.ack = ack;
	p.tcp.flags = flags;
	p.tcp.win = win;
	if (o)
		p.tcp.opts = *o;
	p.payload = data;
	p.payload_len = len;
	eng_input(f->eng, &p, f->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t a4[4] = { 198, 18, 0, 1 },
			     b4[4] = { 198, 18, 0, 2 };
	static struct fz f;
	struct engine_config cfg;
	struct sock_opts so;
	struct rd r = { data, size };
	uint8_t buf[4096];
	int err;

	memset(&f, 0, sizeof(f));
	tunables_defaults(&cfg.tun);
	memset(cfg.isn_key, 7, sizeof(cfg.isn_key));
	cfg.seed = 1;
	f.eng = eng_create(&cfg, &ops, &f);
	if (!f.eng)
		return 0;
	ip_addr_from_v4(&f.me, a4);
	ip_addr_from_v4(&f.peer, b4);
	f.now = 1000000;
	eng_default_opts(f.eng, &so);
	so.rcvbuf = 8192; /* small, so windows fill and close */
	f.l = eng_listen(f.eng, &f.me, 80, 2, &so, &err);

	/* An established connection through a real handshake. */
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1000 };

	f.peer_seq = 5000;
	feed(&f, 1234, 80, TH_SYN, f.peer_seq, 0, 65535, &mss, NULL, 0);
	f.peer_seq++;
	feed(&f, 1234, 80, TH_ACK, f.peer_seq, f.our_iss_seen + 1, 65535, NULL,
	     NULL, 0);
	f.c = eng_accept(f.l, &err);

	while (r.n) {
		uint8_t op = (uint8_t)take(&r, 1);

		switch (op % 8) {
		case 0:
		case 1:
		case 2: { /* a segment for the connection, near the live numbers */
			uint8_t flags = (uint8_t)take(&r, 1);
			int32_t dseq = (int16_t)take(&r, 2);
			int32_t dack = (int16_t)take(&r, 2);
			uint16_t win = (uint16_t)take(&r, 2);
			uint32_t len = take(&r, 2) % 3000;
			struct tcp_opts o = { 0 };

			if (flags & 0x80) {
				o.present = TCP_OPT_MSS;
				o.mss = (uint16_t)take(&r, 2);
			}
			memset(buf, 'd', sizeof(buf));
			if (len > sizeof(buf))
				len = sizeof(buf);
			feed(&f, 1234, 80, flags & 0x3f,
			     f.our_ack_seen + (uint32_t)dseq,
			     f.our_iss_seen + (uint32_t)dack, win, &o, buf,
			     len);
			break;
		}
		case 3: { /* another 4-tuple: listener or closed port */
			uint16_t sport = (uint16_t)(take(&r, 1) + 1);
			uint16_t dport = take(&r, 1) & 1 ? 80 : 81;
			uint8_t flags = (uint8_t)take(&r, 1);
			uint32_t seq = take(&r, 4), ack = take(&r, 4);

			feed(&f, sport, dport, flags & 0x3f, seq, ack,
			     (uint16_t)take(&r, 2), NULL, NULL, 0);
			break;
		}
		case 4: { /* raw bytes through the parser */
			uint32_t len = take(&r, 2) % 200;
			struct pkt p;

			if (len > r.n)
				len = (uint32_t)r.n;
			if (!pkt_parse_ip(r.p, len, 0, &p))
				eng_input(f.eng, &p, f.now);
			r.p += len;
			r.n -= len;
			break;
		}
		case 5: /* time passes */
			f.now += (uint64_t)take(&r, 3) * 100;
			eng_timers(f.eng, f.now);
			break;
		case 6: { /* the application acts */
			uint8_t a = (uint8_t)take(&r, 1);
			struct tcb *t = f.c;

			if (!t)
				break;
			switch (a % 6) {
			case 0:
				eng_send(t, buf, take(&r, 2) % sizeof(buf), 0,
					 f.now);
				break;
			case 1:
				eng_recv(t, buf, take(&r, 2) % sizeof(buf),
					 (a & 0x80 ? RECV_PEEK : 0) |
						 (a & 0x40 ? RECV_OOB : 0),
					 f.now);
				break;
			case 2:
				eng_shutdown(t, a >> 6 & 3, f.now);
				break;
			case 3:
				eng_close(t, a & 0x40, f.now);
				f.c = NULL;
				break;
			case 4: {
				struct tcb_info ti;

				uint8_t tcpi[512];
				socklen_t len = sizeof(tcpi);
				struct tcb_urg_view v;
				struct tcb_rings rg;

				tcb_get_info(t, &ti);
				eng_getsockopt(t, IPPROTO_TCP, TCP_INFO, tcpi,
					       &len, f.now);
				/* What a ring reader skips and where it stops
				 * lie within what is buffered. */
				tcb_urg_view(t, &v);
				tcb_rings(t, &rg);
				if (v.skip_len &&
				    v.skip_pos - rg.rcv_tail + v.skip_len >
					    rg.rcv_head - rg.rcv_tail)
					abort();
				if (tcb_readable(t) > rg.rcv_head - rg.rcv_tail)
					abort();
				tcb_take_error(t);
				break;
			}
			default: {
				struct tcb *n = eng_accept(f.l, &err);

				if (n && f.nacc < 4)
					f.acc[f.nacc++] = n;
				else if (n)
					eng_close(n, false, f.now);
				break;
			}
			}
			break;
		}
		default: /* an active open to the peer */
			if (!f.c) {
				f.c = eng_connect(f.eng, &f.me, 0, &f.peer, 80,
						  &so, f.now, &err);
			}
			break;
		}
	}
	if (f.c)
		eng_close(f.c, false, f.now);
	for (int i = 0; i < f.nacc; i++)
		eng_close(f.acc[i], false, f.now);
	if (f.l)
		eng_close(f.l, false, f.now);
	eng_destroy(f.eng);
	return 0;
}
