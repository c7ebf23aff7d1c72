// SPDX-License-Identifier: BSD-2-Clause
/*
 * linkem's event log: see evlog.h. Nothing here runs for a frame that is
 * forwarded untouched.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "evlog.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IPPROTO_TCP_ 6
/* The longest line is under 400 bytes (two IPv6 addresses, 4 SACK blocks). */
#define LINE_MAX_ 640
/* The stdio buffer: a few hundred lines between write()s. */
#define EVLOG_BUF (64 * 1024)

uint32_t lem_crc32(const uint8_t *p, uint32_t len)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (len--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

int lem_evlog_open(struct lem_evlog *e, const char *path, uint64_t max)
{
	memset(e, 0, sizeof(*e));
	e->max = max;
	e->f = fopen(path, "we");
	if (!e->f)
		return -errno;
	setvbuf(e->f, NULL, _IOFBF, EVLOG_BUF);
	return 0;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int put_mac(char *b, size_t n, const char *key, const uint8_t *m)
{
	return snprintf(b, n, " %s=%02x:%02x:%02x:%02x:%02x:%02x", key, m[0],
			m[1], m[2], m[3], m[4], m[5]);
}

/*
 * " sack=L-R,L-R..." of the SACK option (RFC 2018) among @len bytes of
 * options at @o, if there is a well-formed one: a lost ACK's blocks tell
 * which data its sender was told about.
 */
static int put_sack(char *b, size_t n, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0, k;
	int w = 0;

	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return 0;
		if (o[i] == 5 && o[i + 1] >= 10 && (o[i + 1] - 2) % 8 == 0) {
			for (k = i + 2; k < i + o[i + 1]; k += 8)
				w += snprintf(b + w, n - w, "%s%u-%u",
					      k == i + 2 ? " sack=" : ",",
					      get32(o + k), get32(o + k + 4));
			return w;
		}
		i += o[i + 1];
	}
	return 0;
}

/* " sport=.. plen=N" of the TCP header at @t, @tlen bytes of segment. */
static int put_tcp(char *b, size_t n, const uint8_t *t, uint32_t tlen)
{
	uint32_t doff;
	int w;

	if (tlen < 20)
		return 0;
	doff = (uint32_t)(t[12] >> 4) * 4;
	w = snprintf(b, n,
		     " sport=%u dport=%u seq=%u ack=%u flags=0x%02x plen=%u",
		     get16(t), get16(t + 2), get32(t + 4), get32(t + 8), t[13],
		     tlen >= doff ? tlen - doff : 0);
	if (doff > 20 && doff <= tlen)
		w += put_sack(b + w, n - w, t + 20, doff - 20);
	return w;
}

/* The layer 3 and 4 fields of @f (@len bytes), appended to @b. */
static int put_l3(char *b, size_t n, const uint8_t *f, uint32_t len)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	uint32_t off = ETH_HLEN, hl, tot;
	uint16_t type;
	int w;

	type = get16(f + 12);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) &&
	       off + 4 <= len) {
		type = get16(f + off + 2);
		off += 4;
	}
	if (type == ETH_P_IP && off + 20 <= len && (f[off] >> 4) == 4) {
		hl = (uint32_t)(f[off] & 15) * 4;
		tot = get16(f + off + 2);
		inet_ntop(AF_INET, f + off + 12, sa, sizeof(sa));
		inet_ntop(AF_INET, f + off + 16, da, sizeof(da));
		w = snprintf(b, n, " l3=ip4 saddr=%s daddr=%s proto=%u", sa, da,
			     f[off + 9]);
		/* First fragments only: the others hold no TCP header. */
		if (f[off + 9] == IPPROTO_TCP_ && hl >= 20 && tot >= hl &&
		    off + tot <= len && !(get16(f + off + 6) & 0x1fff))
			w += put_tcp(b + w, n - w, f + off + hl, tot - hl);
		return w;
	}
	if (type == ETH_P_IPV6 && off + 40 <= len && (f[off] >> 4) == 6) {
		tot = get16(f + off + 4);
		inet_ntop(AF_INET6, f + off + 8, sa, sizeof(sa));
		inet_ntop(AF_INET6, f + off + 24, da, sizeof(da));
		w = snprintf(b, n, " l3=ip6 saddr=%s daddr=%s proto=%u", sa, da,
			     f[off + 6]);
		if (f[off + 6] == IPPROTO_TCP_ && off + 40 + tot <= len)
			w += put_tcp(b + w, n - w, f + off + 40, tot);
		return w;
	}
	return snprintf(b, n, " l3=0x%04x", type);
}

void lem_evlog_event(struct lem_evlog *e, const char *dir, const char *ev,
		     int copy, uint8_t *frame, uint32_t len, long bit)
{
	char line[LINE_MAX_];
	struct timespec ts;
	uint8_t mask = 0;
	int w;

	if (!e->f)
		return;
	if (e->logged >= e->max) {
		if (!e->truncated)
			fprintf(e->f, "truncated max=%llu\n",
				(unsigned long long)e->max);
		e->truncated = true;
		e->missed++;
		return;
	}
	/* The frame as it arrived: undo the flip while looking at it. */
	if (bit >= 0) {
		mask = (uint8_t)(1u << (bit & 7));
		frame[bit >> 3] ^= mask;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	w = snprintf(line, sizeof(line),
		     "t=%lld.%09ld dir=%s ev=%s copy=%d len=%u crc=%08x",
		     (long long)ts.tv_sec, ts.tv_nsec, dir, ev, copy, len,
		     lem_crc32(frame, len));
	if (bit >= 0)
		w += snprintf(line + w, sizeof(line) - w, " bit=%ld", bit);
	if (len >= ETH_HLEN) {
		w += put_mac(line + w, sizeof(line) - w, "src", frame + 6);
		w += put_mac(line + w, sizeof(line) - w, "dst", frame);
		put_l3(line + w, sizeof(line) - w, frame, len);
	}
	if (bit >= 0)
		frame[bit >> 3] ^= mask;
	fprintf(e->f, "%s\n", line);
	e->logged++;
}

void lem_evlog_missed(struct lem_evlog *e, uint64_t n)
{
	if (e->f)
		e->missed += n;
}

int lem_evlog_flush(struct lem_evlog *e)
{
	if (e->f && fflush(e->f))
		return -errno;
	return 0;
}

void lem_evlog_close(struct lem_evlog *e)
{
	if (!e->f)
		return;
	fclose(e->f);
	e->f = NULL;
}
