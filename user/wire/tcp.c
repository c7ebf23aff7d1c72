// SPDX-License-Identifier: BSD-2-Clause
/*
 * The TCP header (RFC 9293 3.1) and options: MSS (RFC 9293 3.2), window
 * scale and timestamps (RFC 7323 2, 3), SACK-permitted and SACK (RFC 2018).
 */
#include "wire/tcp.h"

#include <string.h>

#include "wire/be.h"
#include "wire/checksum.h"
#include "wire/wire_err.h"

/* Option lengths, kind and length bytes included. */
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8

/* Emitted sizes, padded to 32 bits with NOPs as the layout in tcp.h says. */
#define TCP_EMIT_MSS 4 /* 2,4,mss */
#define TCP_EMIT_TS 12 /* NOP,NOP,8,10 or 4,2,8,10 + val + ecr */
#define TCP_EMIT_SACKP 4 /* NOP,NOP,4,2 */
#define TCP_EMIT_WSCALE 4 /* NOP,3,3,w */
#define TCP_EMIT_SACK_HDR 4 /* NOP,NOP,5,len */

#define TCP_CSUM_OFF 16

static int tcp_parse_sack(const uint8_t *p, size_t olen, struct tcp_opts *o)
{
	size_t n, i;

	/* RFC 2018 3: length 2 + 8n; 40 option bytes hold at most 4 blocks. */
	if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
	    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK)
		return -WIRE_TCP_OPTLEN;
	n = (olen - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
	if (n > TCP_MAX_SACK) /* cannot happen within 40 bytes; kept cheap */
		n = TCP_MAX_SACK;
	for (i = 0; i < n; i++) {
		const uint8_t *b =
			p + TCPOLEN_SACK_BASE + i * TCPOLEN_SACK_BLOCK;

		o->sack[i].start = wire_get_be32(b);
		o->sack[i].end = wire_get_be32(b + 4);
	}
	o->nsack = (uint8_t)n;
	o->present |= TCP_OPT_SACK;
	return 0;
}

/*
 * Options are recorded whatever the segment's flags: which ones count on a
 * SYN only (MSS, window scale, SACK-permitted) is the engine's decision
 * (RFC 9293 3.7.1, RFC 7323 2.2). A repeated option overwrites the earlier.
 */
static int tcp_parse_opts(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];
		size_t olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -WIRE_TCP_OPT;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -WIRE_TCP_OPT;

		switch (kind) {
		case TCPOPT_MSS:
			if (olen != TCPOLEN_MSS)
				return -WIRE_TCP_OPTLEN;
			o->mss = wire_get_be16(p + i + 2);
			o->present |= TCP_OPT_MSS;
			break;
		case TCPOPT_WSCALE:
			if (olen != TCPOLEN_WSCALE)
				return -WIRE_TCP_OPTLEN;
			/* Stored as sent; clamping to 14 is the receiver's
			 * job and must be logged (RFC 7323 2.3). */
			o->wscale = p[i + 2];
			o->present |= TCP_OPT_WSCALE;
			break;
		case TCPOPT_SACK_PERM:
			if (olen != TCPOLEN_SACK_PERM)
				return -WIRE_TCP_OPTLEN;
			o->present |= TCP_OPT_SACK_PERM;
			break;
		case TCPOPT_SACK: {
			int err = tcp_parse_sack(p + i, olen, o);

			if (err)
				return err;
			break;
		}
		case TCPOPT_TS:
			if (olen != TCPOLEN_TS)
				return -WIRE_TCP_OPTLEN;
			o->ts_val = wire_get_be32(p + i + 2);
			o->ts_ecr = wire_get_be32(p + i + 6);
			o->present |= TCP_OPT_TS;
			break;
		default:
			/* Unknown: skipped by its length (RFC 9293 3.2). */
			break;
		}
		i += olen;
	}
	return 0;
}

int tcp_parse(const uint8_t *buf, size_t len, struct tcp_hdr *out)
{
	size_t doff;

	memset(out, 0, sizeof(*out));
	if (len < TCP_HLEN)
		return -WIRE_TCP_SHORT;
	doff = (size_t)(buf[12] >> 4) * 4;
	if (doff < TCP_HLEN)
		return -WIRE_TCP_DOFF;
	if (doff > len)
		return -WIRE_TCP_SHORT;

	out->sport = wire_get_be16(buf);
	out->dport = wire_get_be16(buf + 2);
	out->seq = wire_get_be32(buf + 4);
	out->ack = wire_get_be32(buf + 8);
	out->doff = (uint8_t)doff;
	out->flags = buf[13];
	out->win = wire_get_be16(buf + 14);
	memcpy(&out->csum, buf + TCP_CSUM_OFF, 2); /* as stored */
	out->urp = wire_get_be16(buf + 18);
	return tcp_parse_opts(buf + TCP_HLEN, doff - TCP_HLEN, &out->opts);
}

int tcp_verify_csum(const uint8_t *buf, size_t len, uint32_t pseudo)
{
	/*
	 * The sum over pseudo-header, header (checksum included) and data is
	 * all ones for an intact segment, which folds to 0 (RFC 9293 3.1).
	 */
	if (csum_fold(csum_partial(buf, len, pseudo)) != 0)
		return -WIRE_TCP_CSUM;
	return 0;
}

void tcp_fill_csum(uint8_t *buf, size_t len, uint32_t pseudo)
{
	uint16_t c;

	if (len < TCP_HLEN) /* not a segment: nothing to fill */
		return;
	/* Sum with the field zero; TCP stores a result of 0 as is. */
	memset(buf + TCP_CSUM_OFF, 0, 2);
	c = csum_fold(csum_partial(buf, len, pseudo));
	memcpy(buf + TCP_CSUM_OFF, &c, 2);
}

/* Bytes of everything but SACK blocks. */
static size_t tcp_opts_base_len(const struct tcp_opts *o)
{
	size_t n = 0;

	if (o->present & TCP_OPT_MSS)
		n += TCP_EMIT_MSS;
	if (o->present & TCP_OPT_TS)
		n += TCP_EMIT_TS; /* SACK-permitted rides in its NOPs */
	else if (o->present & TCP_OPT_SACK_PERM)
		n += TCP_EMIT_SACKP;
	if (o->present & TCP_OPT_WSCALE)
		n += TCP_EMIT_WSCALE;
	return n;
}

/*
 * SACK blocks that will be emitted: the requested ones, at most
 * TCP_MAX_SACK, and only as many as fit in the 40 option bytes left by the
 * other options. RFC 2018 3 expects exactly this trimming (3 blocks beside
 * timestamps); the first blocks are kept since RFC 2018 4 puts the most
 * recent one first. No blocks means no SACK option at all.
 */
static size_t tcp_sack_fit(const struct tcp_opts *o, size_t base)
{
	size_t n, room;

	if (!(o->present & TCP_OPT_SACK))
		return 0;
	n = o->nsack < TCP_MAX_SACK ? o->nsack : TCP_MAX_SACK;
	room = TCP_MAX_OPTLEN - base;
	if (room < TCP_EMIT_SACK_HDR + TCPOLEN_SACK_BLOCK)
		return 0;
	room = (room - TCP_EMIT_SACK_HDR) / TCPOLEN_SACK_BLOCK;
	return n < room ? n : room;
}

/*
 * Always a multiple of 4 and at most 40, and exactly what tcp_emit writes:
 * the other options take at most 20 bytes, so they always fit and only SACK
 * blocks are ever trimmed (see tcp_sack_fit).
 */
size_t tcp_opts_len(const struct tcp_opts *o)
{
	size_t base = tcp_opts_base_len(o), n = tcp_sack_fit(o, base);

	return base + (n ? TCP_EMIT_SACK_HDR + n * TCPOLEN_SACK_BLOCK : 0);
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

static uint8_t *tcp_emit_opts(uint8_t *p, const struct tcp_opts *o)
{
	size_t i, n = tcp_sack_fit(o, tcp_opts_base_len(o));

	if (o->present & TCP_OPT_MSS) {
		p[0] = TCPOPT_MSS;
		p[1] = TCPOLEN_MSS;
		wire_put_be16(p + 2, o->mss);
		p += 4;
	}
	if (o->present & TCP_OPT_TS) {
		if (o->present & TCP_OPT_SACK_PERM)
			p = put4(p, TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM,
				 TCPOPT_TS, TCPOLEN_TS);
		else
			p = put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TS,
				 TCPOLEN_TS);
		wire_put_be32(p, o->ts_val);
		wire_put_be32(p + 4, o->ts_ecr);
		p += 8;
	} else if (o->present & TCP_OPT_SACK_PERM) {
		p = put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM,
			 TCPOLEN_SACK_PERM);
	}
	if (o->present & TCP_OPT_WSCALE)
		p = put4(p, TCPOPT_NOP, TCPOPT_WSCALE, TCPOLEN_WSCALE,
			 o->wscale);
	if (n) {
		p = put4(p, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK,
			 (uint8_t)(TCPOLEN_SACK_BASE + n * TCPOLEN_SACK_BLOCK));
		for (i = 0; i < n; i++) {
			wire_put_be32(p, o->sack[i].start);
			wire_put_be32(p + 4, o->sack[i].end);
			p += TCPOLEN_SACK_BLOCK;
		}
	}
	return p;
}

/* h->doff and h->csum are ignored: doff follows the options, csum is 0. */
int tcp_emit(uint8_t *buf, size_t cap, const struct tcp_hdr *h)
{
	size_t hlen = TCP_HLEN + tcp_opts_len(&h->opts);

	if (cap < hlen)
		return -WIRE_NOSPACE;
	wire_put_be16(buf, h->sport);
	wire_put_be16(buf + 2, h->dport);
	wire_put_be32(buf + 4, h->seq);
	wire_put_be32(buf + 8, h->ack);
	buf[12] = (uint8_t)(hlen / 4 << 4); /* reserved bits 0 */
	buf[13] = h->flags;
	wire_put_be16(buf + 14, h->win);
	wire_put_be16(buf + TCP_CSUM_OFF, 0);
	wire_put_be16(buf + 18, h->urp);
	/* Writes exactly tcp_opts_len() bytes: both use tcp_sack_fit. */
	tcp_emit_opts(buf + TCP_HLEN, &h->opts);
	return (int)hlen;
}
