// SPDX-License-Identifier: BSD-2-Clause
/*
 * xtcp-sim: two engines joined by a simulated link, sending random data both
 * ways at once and then closing. Deterministic: one seed, one run.
 *
 *	xtcp-sim --bytes 10M --loss 0.05 --dup 0.02 --reorder 0.05 \
 *		 --corrupt 0.01 --seed 7
 *
 * Exit status 0 only if every byte arrived exactly once and in order
 * (lengths and SHA-256 match both ways) and both ends closed cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "link.h"
#include "stack/cc/cc.h"
#include "stack/engine.h"
#include "stack/seg_emit.h"
#include "wire/packet.h"
#include "wire/wire_err.h"

#define CHUNK 65536
#define PORT 5001

struct side {
	const char *name;
	struct engine *eng;
	struct link *out; /* where this side's packets go */
	struct tcb *tcb, *listener;
	struct ip_addr addr;
	uint64_t rng;
	uint64_t to_send, sent, received;
	uint8_t chunk[CHUNK];
	uint32_t chunk_len, chunk_off;
	EVP_MD_CTX *tx_hash, *rx_hash;
	bool shut, eof, closed_ok, released;
	int error;
	uint64_t now_hint;
};

struct sim {
	struct side a, b;
	struct link ab, ba;
	uint64_t now;
	uint8_t pkt[70000];
	uint64_t bad_frames;
	bool verbose, trace;
	uint8_t a_options; /* A's negotiated options, kept at its release */
};

static struct sim S;

static uint64_t next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void cb_output(void *user, const struct seg_out *so)
{
	struct side *s = user;
	int n = seg_emit_ip(so, S.pkt, sizeof(S.pkt));

	if (n < 0) {
		fprintf(stderr, "%s: cannot emit a segment (%s)\n", s->name,
			wire_err_name(-n));
		exit(2);
	}
	if (S.trace) {
		char f[9] = "";
		int k = 0;

		for (int i = 0; i < 8; i++)
			if (so->th.flags & (1u << i))
				f[k++] = "FSRPAUEC"[i];
		printf("%10.6f %s> %-4s seq %u ack %u len %u win %u",
		       S.now / 1e6, s->name, f, so->th.seq, so->th.ack, so->len,
		       so->th.win);
		if (so->th.opts.present & TCP_OPT_TS)
			printf(" ts %u/%u", so->th.opts.ts_val,
			       so->th.opts.ts_ecr);
		for (int i = 0; i < so->th.opts.nsack; i++)
			printf(" sack %u-%u", so->th.opts.sack[i].start,
			       so->th.opts.sack[i].end);
		if (so->tos & 3)
			printf(" ecn %u", so->tos & 3);
		printf("\n");
	}
	link_send(s->out, S.now, S.pkt, (uint32_t)n);
}

static void cb_event(void *user, struct tcb *t, unsigned ev)
{
	/* The main loop polls every side after each step; nothing to do. */
}

static const struct engine_ops ops = {
	.output = cb_output,
	.event = cb_event,
};

static void deliver(struct side *to, struct link_frame *f)
{
	struct pkt p;
	int ret = pkt_parse_ip(f->data, f->len, PKT_VERIFY_ALL, &p);

	if (ret) {
		/* Corruption is caught by a checksum and counted. */
		S.bad_frames++;
		eng_count_bad_wire(to->eng, ret);
		return;
	}
	eng_input(to->eng, &p, S.now);
}

static void refill(struct side *s)
{
	uint64_t left = s->to_send - s->sent;
	uint32_t n = left < CHUNK ? (uint32_t)left : CHUNK;

	for (uint32_t i = 0; i < n; i += 8) {
		uint64_t r = next64(&s->rng);

		memcpy(s->chunk + i, &r, n - i < 8 ? n - i : 8);
	}
	s->chunk_len = n;
	s->chunk_off = 0;
}

/* What an application does: write while it can, read all, then close. */
static bool service(struct side *s)
{
	uint8_t buf[CHUNK];
	bool progress = false;
	long n;

	if (!s->tcb && s->listener) {
		int err;

		s->tcb = eng_accept(s->listener, &err);
		if (!s->tcb)
			return false;
		progress = true;
	}
	if (!s->tcb || s->released)
		return false;

	enum tcp_state st = tcb_state(s->tcb);

	if (st == TCPS_SYN_SENT || st == TCPS_SYN_RECEIVED)
		return progress;

	while (s->sent < s->to_send && st != TCPS_CLOSED) {
		if (s->chunk_off == s->chunk_len)
			refill(s);
		n = eng_send(s->tcb, s->chunk + s->chunk_off,
			     s->chunk_len - s->chunk_off, 0, S.now);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			s->error = (int)-n;
			return false;
		}
		EVP_DigestUpdate(s->tx_hash, s->chunk + s->chunk_off,
				 (size_t)n);
		s->chunk_off += (uint32_t)n;
		s->sent += (uint64_t)n;
		progress = true;
	}
	if (s->sent == s->to_send && !s->shut) {
		int ret = eng_shutdown(s->tcb, 1, S.now);

		if (ret && tcb_state(s->tcb) != TCPS_CLOSED) {
			s->error = -ret;
			return false;
		}
		s->shut = true;
		progress = true;
	}
	while (!s->eof) {
		n = eng_recv(s->tcb, buf, sizeof(buf), 0, S.now);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			s->error = (int)-n;
			return false;
		}
		if (n == 0) {
			s->eof = true;
			progress = true;
			break;
		}
		EVP_DigestUpdate(s->rx_hash, buf, (size_t)n);
		s->received += (uint64_t)n;
		progress = true;
	}
	if (!s->error && tcb_take_error(s->tcb) != 0)
		s->error = ECONNRESET;
	st = tcb_state(s->tcb);
	/* A clean end: all sent and read, our FIN acknowledged. */
	if (s->shut && s->eof && (st == TCPS_TIME_WAIT || st == TCPS_CLOSED))
		s->closed_ok = true;
	return progress;
}

static void release(struct side *s)
{
	if (s->tcb && !s->released) {
		struct tcb_info i;

		tcb_get_info(s->tcb, &i);
		if (s == &S.a)
			S.a_options = i.options;
		eng_close(s->tcb, false, S.now);
		s->released = true;
	}
	if (s->listener) {
		eng_close(s->listener, false, S.now);
		s->listener = NULL;
	}
}

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'k':
	case 'K':
		v *= 1e3;
		break;
	case 'm':
	case 'M':
		v *= 1e6;
		break;
	case 'g':
	case 'G':
		v *= 1e9;
		break;
	default:
		break;
	}
	return (uint64_t)v;
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int count_conns_cb_n;
static void count_cb(void *arg, const struct tcb *t)
{
	count_conns_cb_n++;
}

static int count_conns(struct engine *e)
{
	count_conns_cb_n = 0;
	eng_foreach(e, count_cb, NULL);
	return count_conns_cb_n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcp-sim [--bytes N[K|M|G]] [--loss P] [--dup P] [--reorder P]\n"
		"                [--corrupt P] [--delay MS] [--jitter MS] [--rate MBIT]\n"
		"                [--queue BYTES] [--seed N] [--ipv6] [--time-limit S] [-v]\n"
		"                [--trace] [--cc NAME]\n"
		"                [--sack] [--ts] [--wscale] [--ecn] [--mark-threshold BYTES]\n"
		"                [--oneway]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bytes", 1, 0, 'b' },
		{ "loss", 1, 0, 'l' },
		{ "dup", 1, 0, 'd' },
		{ "reorder", 1, 0, 'r' },
		{ "corrupt", 1, 0, 'c' },
		{ "delay", 1, 0, 'D' },
		{ "jitter", 1, 0, 'j' },
		{ "rate", 1, 0, 'R' },
		{ "queue", 1, 0, 'q' },
		{ "seed", 1, 0, 's' },
		{ "ipv6", 0, 0, '6' },
		{ "time-limit", 1, 0, 't' },
		{ "verbose", 0, 0, 'v' },
		{ "help", 0, 0, 'h' },
		{ "trace", 0, 0, 'T' },
		{ "cc", 1, 0, 'C' },
		/* Negotiated options, each on both engines (else off). */
		{ "sack", 0, 0, 'K' },
		{ "ts", 0, 0, 'S' },
		{ "wscale", 0, 0, 'W' },
		{ "ecn", 0, 0, 'E' },
		{ "mark-threshold", 1, 0, 'M' },
		{ "oneway", 0, 0, 'O' },
		{ 0 },
	};
	struct link_cfg lc = { .delay_us = 5000,
			       .rate_bps = 100000000,
			       .queue_bytes = 256 * 1024 };
	uint64_t bytes = 1000000, seed = 1, limit_s = 3600;
	bool v6 = false;
	const char *cc_name = NULL; /* --cc: both engines' algorithm */
	bool o_sack = false, o_ts = false, o_ws = false, o_ecn = false;
	bool oneway = false; /* --oneway: B sends nothing back */
	struct engine_config cfg;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (opt) {
		case 'b':
			bytes = parse_size(optarg);
			break;
		case 'l':
			lc.loss = atof(optarg);
			break;
		case 'd':
			lc.dup = atof(optarg);
			break;
		case 'r':
			lc.reorder = atof(optarg);
			break;
		case 'c':
			lc.corrupt = atof(optarg);
			break;
		case 'D':
			lc.delay_us = (uint64_t)(atof(optarg) * 1000);
			break;
		case 'j':
			lc.jitter_us = (uint64_t)(atof(optarg) * 1000);
			break;
		case 'R':
			lc.rate_bps = (uint64_t)(atof(optarg) * 1e6);
			break;
		case 'q':
			lc.queue_bytes = (uint32_t)parse_size(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case '6':
			v6 = true;
			break;
		case 't':
			limit_s = strtoull(optarg, NULL, 0);
			break;
		case 'v':
			S.verbose = true;
			break;
		case 'T':
			S.trace = true;
			break;
		case 'C':
			cc_init_builtin();
			if (!cc_find(optarg)) {
				fprintf(stderr, "unknown --cc %s\n", optarg);
				usage();
			}
			cc_name = optarg;
			break;
		case 'K':
			o_sack = true;
			break;
		case 'S':
			o_ts = true;
			break;
		case 'W':
			o_ws = true;
			break;
		case 'E':
			o_ecn = true;
			break;
		case 'M':
			lc.mark_bytes = (uint32_t)parse_size(optarg);
			break;
		case 'O':
			oneway = true;
			break;
		default:
			usage();
		}
	}

	tunables_defaults(&cfg.tun);
	if (cc_name)
		snprintf(cfg.tun.congestion_control,
			 sizeof(cfg.tun.congestion_control), "%s", cc_name);
	/* Short TIME-WAIT so a run ends soon after both sides close. */
	cfg.tun.tcp_time_wait_interval = 1000;
	/* Options: off unless asked for, so a run tests what it names. */
	cfg.tun.tcp_sack_permitted = o_sack ? 2 : 0;
	cfg.tun.tcp_tstamp_always = o_ts;
	cfg.tun.tcp_tstamp_if_wscale = 0;
	cfg.tun.tcp_wscale_always = o_ws;
	cfg.tun.tcp_ecn_permitted = o_ecn ? 2 : 0;
	if (o_ws)
		cfg.tun.tcp_max_buf = 4 << 20;
	uint64_t k = seed;

	for (int i = 0; i < 16; i++)
		cfg.isn_key[i] = (uint8_t)next64(&k);
	cfg.seed = seed;
	S.a.name = "A";
	S.b.name = "B";
	S.a.eng = eng_create(&cfg, &ops, &S.a);
	cfg.seed = seed ^ 0x5a5a;
	S.b.eng = eng_create(&cfg, &ops, &S.b);
	if (!S.a.eng || !S.b.eng || link_init(&S.ab, &lc, seed * 3 + 1) ||
	    link_init(&S.ba, &lc, seed * 5 + 2))
		return 2;
	S.a.out = &S.ab;
	S.b.out = &S.ba;
	if (v6) {
		S.a.addr.b[0] = S.b.addr.b[0] = 0x20;
		S.a.addr.b[1] = S.b.addr.b[1] = 0x01;
		S.a.addr.b[2] = S.b.addr.b[2] = 0x0d;
		S.a.addr.b[3] = S.b.addr.b[3] = 0xb8;
		S.a.addr.b[15] = 1;
		S.b.addr.b[15] = 2;
	} else {
		const uint8_t a4[4] = { 198, 18, 0, 1 },
			      b4[4] = { 198, 18, 0, 2 };

		ip_addr_from_v4(&S.a.addr, a4);
		ip_addr_from_v4(&S.b.addr, b4);
	}
	for (struct side *s = &S.a; s; s = s == &S.a ? &S.b : NULL) {
		s->to_send = oneway && s == &S.b ? 0 : bytes;
		s->rng = seed * 7919 + (s == &S.b);
		s->tx_hash = EVP_MD_CTX_new();
		s->rx_hash = EVP_MD_CTX_new();
		EVP_DigestInit_ex(s->tx_hash, EVP_sha256(), NULL);
		EVP_DigestInit_ex(s->rx_hash, EVP_sha256(), NULL);
	}

	struct sock_opts o;

	S.now = 1000000;
	eng_default_opts(S.b.eng, &o);
	if (o_ws) /* buffers that need window scale (RFC 7323 2) */
		o.rcvbuf = o.sndbuf = 4 << 20;
	S.b.listener = eng_listen(S.b.eng, &S.b.addr, PORT, 16, &o, &err);
	eng_default_opts(S.a.eng, &o);
	if (o_ws)
		o.rcvbuf = o.sndbuf = 4 << 20;
	S.a.tcb = eng_connect(S.a.eng, &S.a.addr, 0, &S.b.addr, PORT, &o, S.now,
			      &err);
	if (!S.b.listener || !S.a.tcb) {
		fprintf(stderr, "setup failed: %s\n", strerror(-err));
		return 2;
	}

	uint64_t end = S.now + limit_s * 1000000ull;
	bool done = false, ok = true;

	for (;;) {
		while (service(&S.a) | service(&S.b))
			;
		if (S.a.error || S.b.error)
			break;
		if (!done && S.a.closed_ok && S.b.closed_ok) {
			done = true;
			release(&S.a);
			release(&S.b);
		}
		if (done && !count_conns(S.a.eng) && !count_conns(S.b.eng))
			break;

		uint64_t t = link_next(&S.ab), u;

		if ((u = link_next(&S.ba)) < t)
			t = u;
		if ((u = eng_next_deadline(S.a.eng)) < t)
			t = u;
		if ((u = eng_next_deadline(S.b.eng)) < t)
			t = u;
		if (t == UINT64_MAX) {
			fprintf(stderr, "stalled: nothing left to happen\n");
			ok = false;
			break;
		}
		if (t > end) {
			fprintf(stderr, "time limit of %" PRIu64 " s reached\n",
				limit_s);
			ok = false;
			break;
		}
		if (t > S.now)
			S.now = t;
		struct link_frame *f;

		while ((f = link_pop(&S.ab, S.now))) {
			deliver(&S.b, f);
			free(f);
		}
		while ((f = link_pop(&S.ba, S.now))) {
			deliver(&S.a, f);
			free(f);
		}
		eng_timers(S.a.eng, S.now);
		eng_timers(S.b.eng, S.now);
	}

	uint8_t d[4][32];
	char hx[4][65];
	unsigned dl;

	EVP_DigestFinal_ex(S.a.tx_hash, d[0], &dl);
	EVP_DigestFinal_ex(S.b.rx_hash, d[1], &dl);
	EVP_DigestFinal_ex(S.b.tx_hash, d[2], &dl);
	EVP_DigestFinal_ex(S.a.rx_hash, d[3], &dl);
	for (int i = 0; i < 4; i++)
		hex(d[i], hx[i]);
	bool ab_ok = S.a.sent == bytes && S.b.received == bytes &&
		     !memcmp(d[0], d[1], 32);
	uint64_t back = oneway ? 0 : bytes;
	bool ba_ok = S.b.sent == back && S.a.received == back &&
		     !memcmp(d[2], d[3], 32);
	const struct tcp_stats *sa = eng_stats(S.a.eng),
			       *sb = eng_stats(S.b.eng);

	printf("seed %" PRIu64
	       " %s loss %.3f dup %.3f reorder %.3f corrupt %.3f "
	       "delay %.1f ms rate %.0f Mbit/s\n",
	       seed, v6 ? "IPv6" : "IPv4", lc.loss, lc.dup, lc.reorder,
	       lc.corrupt, lc.delay_us / 1000.0, lc.rate_bps / 1e6);
	printf("A->B: %" PRIu64 " of %" PRIu64 " bytes delivered, sha256 %s\n",
	       S.b.received, bytes, ab_ok ? "match" : "MISMATCH");
	printf("B->A: %" PRIu64 " of %" PRIu64 " bytes delivered, sha256 %s\n",
	       S.a.received, back, ba_ok ? "match" : "MISMATCH");
	if (S.verbose) {
		printf("  A sent %s\n  B got  %s\n", hx[0], hx[1]);
		printf("  B sent %s\n  A got  %s\n", hx[2], hx[3]);
	}
	{
		struct tcb_info ia;

		memset(&ia, 0, sizeof(ia));
		if (S.a.tcb && !S.a.released)
			tcb_get_info(S.a.tcb, &ia);
		else
			ia.options = S.a_options;
		printf("negotiated: WS %s, TS %s, SACK %s, ECN %s\n",
		       ia.options & TCPI_OPT_WSCALE ? "yes" : "no",
		       ia.options & TCPI_OPT_TIMESTAMPS ? "yes" : "no",
		       ia.options & TCPI_OPT_SACK ? "yes" : "no",
		       ia.options & TCPI_OPT_ECN ? "yes" : "no");
	}
	printf("retransmitted bytes: A %" PRIu64 ", B %" PRIu64
	       ", total %" PRIu64 "\n",
	       sa->bytes_retrans, sb->bytes_retrans,
	       sa->bytes_retrans + sb->bytes_retrans);
	if (S.verbose)
		printf("SACK: blocks in A %" PRIu64 " B %" PRIu64
		       ", D-SACKs in A %" PRIu64 " B %" PRIu64
		       ", recoveries A %" PRIu64 " B %" PRIu64 "\n",
		       sa->sack_blocks_in, sb->sack_blocks_in, sa->dsacks_in,
		       sb->dsacks_in, sa->sack_recoveries, sb->sack_recoveries);
	if (lc.mark_bytes)
		printf("ECN: %" PRIu64 " packets CE-marked, %" PRIu64
		       " CE received, %" PRIu64 " reductions\n",
		       S.ab.st.marked + S.ba.st.marked,
		       sa->ecn_ce_in + sb->ecn_ce_in,
		       sa->ecn_reductions + sb->ecn_reductions);
	printf("retransmitted segments: A %" PRIu64 ", B %" PRIu64
	       "; RTOs: A %" PRIu64 ", B %" PRIu64
	       "; fast retransmits: A %" PRIu64 ", B %" PRIu64 "\n",
	       sa->tcpRetransSegs, sb->tcpRetransSegs, sa->rto_expiries,
	       sb->rto_expiries, sa->fast_retransmits, sb->fast_retransmits);
	printf("link: %" PRIu64 " packets, %" PRIu64 " lost, %" PRIu64
	       " queue drops, %" PRIu64 " duplicated, %" PRIu64
	       " reordered, %" PRIu64 " corrupted (%" PRIu64
	       " caught by checksums)\n",
	       S.ab.st.sent + S.ba.st.sent, S.ab.st.lost + S.ba.st.lost,
	       S.ab.st.dropped_queue + S.ba.st.dropped_queue,
	       S.ab.st.duplicated + S.ba.st.duplicated,
	       S.ab.st.reordered + S.ba.st.reordered,
	       S.ab.st.corrupted + S.ba.st.corrupted, S.bad_frames);
	printf("simulated time: %.3f s\n", (S.now - 1000000) / 1e6);
	if (S.a.error || S.b.error)
		printf("error: A %s, B %s\n",
		       S.a.error ? strerror(S.a.error) : "none",
		       S.b.error ? strerror(S.b.error) : "none");
	ok = ok && ab_ok && ba_ok && !S.a.error && !S.b.error &&
	     S.a.closed_ok && S.b.closed_ok;
	printf("closed: A %s, B %s\nresult: %s\n",
	       S.a.closed_ok ? "clean" : "NOT clean",
	       S.b.closed_ok ? "clean" : "NOT clean", ok ? "PASS" : "FAIL");

	for (struct side *s = &S.a; s; s = s == &S.a ? &S.b : NULL) {
		EVP_MD_CTX_free(s->tx_hash);
		EVP_MD_CTX_free(s->rx_hash);
	}
	if (!done) {
		release(&S.a);
		release(&S.b);
	}
	eng_destroy(S.a.eng);
	eng_destroy(S.b.eng);
	link_free(&S.ab);
	link_free(&S.ba);
	return ok ? 0 : 1;
}
