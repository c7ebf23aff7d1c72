// SPDX-License-Identifier: BSD-2-Clause
/*
 * linkem's link model: see model.h.
 *
 * The order of decisions for a frame arriving in one direction:
 *   1. loss: independent loss, then the Gilbert-Elliott chain (one step per
 *      frame: first the state transition, then the loss in the new state);
 *   2. duplication: the frame and maybe one copy, each then on its own:
 *   3. the byte queue and the rate: a FIFO serializer whose backlog is known
 *      from when it becomes free, so the departure time of each copy is
 *      computed at its arrival; a copy that would overfill the queue is
 *      dropped (drop-tail);
 *   4. delay and jitter after serialization; without jitter-reorder the
 *      departure is at least the previous frame's (FIFO kept); a frame
 *      picked by `reorder` is held reorder_ms longer and outside that
 *      floor, so the frames after it overtake it;
 *   5. corruption.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

const char *const lem_dir_name[LEM_NDIR] = { "ab", "ba" };

#define NS_PER_MS 1000000.0

void lem_params_default(struct lem_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ge_r = 1.0;
	p->ge_h = 0.0;
	p->ge_k = 1.0;
	p->reorder_ms = 10.0;
	p->queue_bytes = 128 * 1024;
}

/* --- random streams: splitmix64 seeds xoshiro256** ------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A non-negative double to the nearest integer (no libm). */
static inline uint64_t ns_round(double v)
{
	return (uint64_t)(v + 0.5);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t lem_rand(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, 1). */
static double rand_unit(uint64_t s[4])
{
	return (double)(lem_rand(s) >> 11) * 0x1.0p-53;
}

bool lem_chance(uint64_t s[4], double prob)
{
	if (prob <= 0.0)
		return false;
	if (prob >= 1.0)
		return true;
	return rand_unit(s) < prob;
}

void lem_dir_reseed(struct lem_dir *d, uint64_t seed, int dir)
{
	uint64_t x;
	int i, j;

	for (i = 0; i < RS_MAX; i++) {
		x = seed ^ ((uint64_t)(dir * RS_MAX + i + 1) << 56);
		for (j = 0; j < 4; j++)
			d->rng[i][j] = splitmix64(&x);
	}
	d->ge_bad = false;
}

void lem_dir_init(struct lem_dir *d, uint64_t seed, int dir, uint32_t *heap)
{
	memset(d, 0, sizeof(*d));
	lem_params_default(&d->p);
	lem_dir_reseed(d, seed, dir);
	d->heap = heap;
}

/* --- decisions ------------------------------------------------------------ */

bool lem_lose(struct lem_dir *d)
{
	const struct lem_params *p = &d->p;
	bool lost = false;

	if (lem_chance(d->rng[RS_LOSS], p->loss)) {
		d->st.lost++;
		lost = true;
	} else if (p->ge_p > 0.0) {
		uint64_t *s = d->rng[RS_GE];

		if (!d->ge_bad)
			d->ge_bad = lem_chance(s, p->ge_p);
		else
			d->ge_bad = !lem_chance(s, p->ge_r);
		if (lem_chance(s, 1.0 - (d->ge_bad ? p->ge_h : p->ge_k))) {
			d->st.ge_lost++;
			lost = true;
		}
	}
	if (lost && !d->last_lost)
		d->st.loss_bursts++;
	d->last_lost = lost;
	return lost;
}

bool lem_dup(struct lem_dir *d)
{
	if (!lem_chance(d->rng[RS_DUP], d->p.dup))
		return false;
	d->st.dup++;
	return true;
}

bool lem_admit(struct lem_dir *d, struct lem_frame *f, uint64_t now)
{
	const struct lem_params *p = &d->p;
	uint64_t base = now, due;
	double delay;

	if (p->rate_mbit > 0.0) {
		/* Bytes per nanosecond. */
		double bpns = p->rate_mbit * 1e6 / 8.0 / 1e9;
		double backlog;

		if (d->link_free < now)
			d->link_free = now;
		backlog = (double)(d->link_free - now) * bpns;
		if (backlog > 0.0 &&
		    backlog + f->len > (double)p->queue_bytes) {
			d->st.qdrop++;
			return false;
		}
		d->link_free += ns_round(f->len / bpns);
		base = d->link_free;
	}
	delay = p->delay_ms;
	if (p->jitter_ms > 0.0)
		delay += (2.0 * rand_unit(d->rng[RS_JITTER]) - 1.0) *
			 p->jitter_ms;
	if (delay < 0.0)
		delay = 0.0;
	due = base + ns_round(delay * NS_PER_MS);
	if (lem_chance(d->rng[RS_REORDER], p->reorder)) {
		due += ns_round(p->reorder_ms * NS_PER_MS);
		d->st.reorder_held++;
	} else {
		if (!p->jitter_reorder && due < d->last_due)
			due = d->last_due;
		if (due > d->last_due)
			d->last_due = due;
	}
	f->due = due;
	f->seq = d->next_seq++;
	return true;
}

long lem_corrupt(struct lem_dir *d, uint8_t *frame, uint32_t len)
{
	uint64_t *s = d->rng[RS_CORRUPT];
	uint64_t r;
	uint32_t at;

	if (len <= LEM_ETH_HLEN || !lem_chance(s, d->p.corrupt))
		return -1;
	r = lem_rand(s);
	at = LEM_ETH_HLEN + (r >> 3) % (len - LEM_ETH_HLEN);
	frame[at] ^= (uint8_t)(1u << (r & 7));
	d->st.corrupted++;
	return (long)at * 8 + (long)(r & 7);
}

void lem_sent(struct lem_dir *d, const struct lem_frame *f)
{
	d->st.tx++;
	d->st.tx_bytes += f->len;
	if (d->any_out && f->seq < d->max_seq_out) {
		d->st.reordered++;
		return;
	}
	d->max_seq_out = f->seq;
	d->any_out = true;
}

/* --- departure heap ------------------------------------------------------- */

static inline bool before(const struct lem_frame *fr, uint32_t a, uint32_t b)
{
	return fr[a].due < fr[b].due ||
	       (fr[a].due == fr[b].due && fr[a].seq < fr[b].seq);
}

void lem_heap_push(struct lem_dir *d, const struct lem_frame *fr, uint32_t idx)
{
	uint32_t i = d->nheap++, up;

	while (i > 0) {
		up = (i - 1) / 2;
		if (!before(fr, idx, d->heap[up]))
			break;
		d->heap[i] = d->heap[up];
		i = up;
	}
	d->heap[i] = idx;
}

uint32_t lem_heap_pop(struct lem_dir *d, const struct lem_frame *fr)
{
	uint32_t top = d->heap[0], last = d->heap[--d->nheap];
	uint32_t i = 0, c;

	while ((c = 2 * i + 1) < d->nheap) {
		if (c + 1 < d->nheap && before(fr, d->heap[c + 1], d->heap[c]))
			c++;
		if (!before(fr, d->heap[c], last))
			break;
		d->heap[i] = d->heap[c];
		i = c;
	}
	if (d->nheap)
		d->heap[i] = last;
	return top;
}

/* --- parameters ----------------------------------------------------------- */

enum kind { K_MS, K_PROB, K_BOOL, K_MBIT, K_BYTES };

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
} keys[] = {
	{ "delay", K_MS, offsetof(struct lem_params, delay_ms) },
	{ "jitter", K_MS, offsetof(struct lem_params, jitter_ms) },
	{ "jitter-reorder", K_BOOL,
	  offsetof(struct lem_params, jitter_reorder) },
	{ "loss", K_PROB, offsetof(struct lem_params, loss) },
	{ "ge-p", K_PROB, offsetof(struct lem_params, ge_p) },
	{ "ge-r", K_PROB, offsetof(struct lem_params, ge_r) },
	{ "ge-h", K_PROB, offsetof(struct lem_params, ge_h) },
	{ "ge-k", K_PROB, offsetof(struct lem_params, ge_k) },
	{ "dup", K_PROB, offsetof(struct lem_params, dup) },
	{ "reorder", K_PROB, offsetof(struct lem_params, reorder) },
	{ "reorder-delay", K_MS, offsetof(struct lem_params, reorder_ms) },
	{ "corrupt", K_PROB, offsetof(struct lem_params, corrupt) },
	{ "rate", K_MBIT, offsetof(struct lem_params, rate_mbit) },
	{ "queue", K_BYTES, offsetof(struct lem_params, queue_bytes) },
};

#define MAX_MS 60000.0
#define MAX_MBIT 1000000.0
#define MAX_QUEUE (1ULL << 30)

/* A finite number, the whole token; "%" divides by 100 (probabilities). */
static int parse_num(const char *s, enum kind kind, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno || !__builtin_isfinite(*v) || *v < 0.0)
		return -EINVAL;
	if (kind == K_PROB && *end == '%') {
		*v /= 100.0;
		end++;
	} else if (kind == K_BYTES && *end) {
		if (!strcasecmp(end, "k") || !strcasecmp(end, "kb"))
			*v *= 1024.0;
		else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb"))
			*v *= 1024.0 * 1024.0;
		else
			return -EINVAL;
		end += strlen(end);
	}
	if (*end)
		return -EINVAL;
	switch (kind) {
	case K_PROB:
		return *v <= 1.0 ? 0 : -EINVAL;
	case K_MS:
		return *v <= MAX_MS ? 0 : -EINVAL;
	case K_MBIT:
		return *v <= MAX_MBIT ? 0 : -EINVAL;
	case K_BYTES:
		return *v >= 1.0 && *v <= (double)MAX_QUEUE ? 0 : -EINVAL;
	case K_BOOL:
		return -EINVAL;
	}
	return -EINVAL;
}

static int set_key(struct lem_params *p, const struct key *k, const char *val)
{
	char *field = (char *)p + k->off;
	double v;

	if (k->kind == K_BOOL) {
		if (!strcmp(val, "on") || !strcmp(val, "1") ||
		    !strcmp(val, "yes"))
			*(bool *)field = true;
		else if (!strcmp(val, "off") || !strcmp(val, "0") ||
			 !strcmp(val, "no"))
			*(bool *)field = false;
		else
			return -EINVAL;
		return 0;
	}
	if (parse_num(val, k->kind, &v))
		return -EINVAL;
	if (k->kind == K_BYTES)
		*(uint64_t *)field = (uint64_t)v;
	else
		*(double *)field = v;
	return 0;
}

int lem_params_parse(struct lem_params p[LEM_NDIR], int argc, char **argv,
		     char *err, size_t errlen)
{
	struct lem_params np[LEM_NDIR];
	bool on[LEM_NDIR] = { true, true };
	char name[32];
	const char *val;
	size_t i;
	int a, x;

	memcpy(np, p, sizeof(np));
	for (a = 0; a < argc; a++) {
		const char *tok = argv[a], *eq = strchr(tok, '=');
		const struct key *k = NULL;

		snprintf(name, sizeof(name), "%s", tok);
		if (!strcmp(tok, "ab") || !strcmp(tok, "ba") ||
		    !strcmp(tok, "both")) {
			on[LEM_AB] = strcmp(tok, "ba") != 0;
			on[LEM_BA] = strcmp(tok, "ab") != 0;
			continue;
		}
		if (eq) {
			if ((size_t)(eq - tok) >= sizeof(name))
				goto bad_key;
			memcpy(name, tok, eq - tok);
			name[eq - tok] = '\0';
			val = eq + 1;
		} else {
			if (a + 1 >= argc) {
				snprintf(err, errlen, "%s: missing value", tok);
				return -EINVAL;
			}
			val = argv[++a];
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(name, keys[i].name))
				k = &keys[i];
		if (!k)
			goto bad_key;
		for (x = 0; x < LEM_NDIR; x++) {
			if (on[x] && set_key(&np[x], k, val)) {
				snprintf(err, errlen, "%s: bad value '%s'",
					 name, val);
				return -EINVAL;
			}
		}
	}
	memcpy(p, np, sizeof(np));
	return 0;

bad_key:
	snprintf(err, errlen, "unknown parameter '%s'", name);
	return -EINVAL;
}

int lem_params_format(const struct lem_params *p, char *buf, size_t len)
{
	return snprintf(buf, len,
			"delay=%g jitter=%g jitter-reorder=%s loss=%g "
			"ge-p=%g ge-r=%g ge-h=%g ge-k=%g dup=%g reorder=%g "
			"reorder-delay=%g corrupt=%g rate=%g queue=%llu",
			p->delay_ms, p->jitter_ms,
			p->jitter_reorder ? "on" : "off", p->loss, p->ge_p,
			p->ge_r, p->ge_h, p->ge_k, p->dup, p->reorder,
			p->reorder_ms, p->corrupt, p->rate_mbit,
			(unsigned long long)p->queue_bytes);
}

int lem_stats_format(const struct lem_dir *d, char *buf, size_t len)
{
	const struct lem_stats *s = &d->st;

	return snprintf(
		buf, len,
		"rx=%llu rx_bytes=%llu tx=%llu tx_bytes=%llu lost=%llu "
		"ge_lost=%llu loss_bursts=%llu dup=%llu reorder_held=%llu "
		"reordered=%llu corrupted=%llu qdrop=%llu nobuf=%llu "
		"oversize=%llu csum_fixed=%llu tx_err=%llu sock_drops=%llu "
		"queued=%u",
		(unsigned long long)s->rx, (unsigned long long)s->rx_bytes,
		(unsigned long long)s->tx, (unsigned long long)s->tx_bytes,
		(unsigned long long)s->lost, (unsigned long long)s->ge_lost,
		(unsigned long long)s->loss_bursts, (unsigned long long)s->dup,
		(unsigned long long)s->reorder_held,
		(unsigned long long)s->reordered,
		(unsigned long long)s->corrupted, (unsigned long long)s->qdrop,
		(unsigned long long)s->nobuf, (unsigned long long)s->oversize,
		(unsigned long long)s->csum_fixed,
		(unsigned long long)s->tx_err,
		(unsigned long long)s->sock_drops, d->nheap);
}
