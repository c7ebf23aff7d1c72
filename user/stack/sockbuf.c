// SPDX-License-Identifier: BSD-2-Clause
/* Socket buffers in caller-provided memory (see sockbuf.h). */
#include "stack/sockbuf.h"

#include <errno.h>
#include <string.h>

#include "stack/tcb.h"

#define ORPHAN_RING_MIN 64

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/*
 * Copy @n bytes of @r from counter @from into @mem (@size, a power of 2)
 * at the same counter positions: runs bounded by the wrap of either ring.
 */
static void ring_copy_out(const struct ring *r, uint32_t from, uint32_t n,
			  uint8_t *mem, uint32_t size)
{
	while (n) {
		uint32_t s = from & (r->size - 1), d = from & (size - 1);
		uint32_t k = n;

		if (k > r->size - s)
			k = r->size - s;
		if (k > size - d)
			k = size - d;
		memcpy(mem + d, r->buf + s, k);
		from += k;
		n -= k;
	}
}

/*
 * Move @r to @mem (@size >= r->size), keeping its counters and the @span
 * bytes from the tail on that mean something.
 */
static void ring_move(struct tcb *t, struct ring *r, uint32_t span,
		      uint8_t *mem, uint32_t size)
{
	struct engine *e = t->eng;

	if (r->buf) {
		ring_copy_out(r, r->tail, span, mem, size);
		e->ops.buf_free(e->user, r->buf, r->size);
	}
	r->buf = mem;
	r->size = size;
}

int eng_set_buffers(struct tcb *t, void *snd, uint32_t snd_size, void *rcv,
		    uint32_t rcv_size)
{
	if (t->state == TCPS_LISTEN || !snd || !rcv || !pow2(snd_size) ||
	    !pow2(rcv_size) || snd_size < t->sndbuf_limit ||
	    rcv_size < t->rcvbuf_limit ||
	    (t->sndbuf.buf && snd_size < t->sndbuf.size) ||
	    (t->rcvbuf.buf && rcv_size < t->rcvbuf.size))
		return -EINVAL;
	/* The send ring's bytes are its used ones; the receive ring may also
	 * hold out-of-order data beyond its head, anywhere in it. */
	ring_move(t, &t->sndbuf, ring_used(&t->sndbuf), snd, snd_size);
	ring_move(t, &t->rcvbuf,
		  ooo_empty(&t->ooo) ? ring_used(&t->rcvbuf) : t->rcvbuf.size,
		  rcv, rcv_size);
	return 0;
}

void *eng_orphan_buffers(struct tcb *t)
{
	struct engine *e = t->eng;
	struct ring *snd = &t->sndbuf, *rcv = &t->rcvbuf;
	uint32_t used = ring_used(snd), size = ORPHAN_RING_MIN;
	uint8_t *mem;

	if (t->state == TCPS_LISTEN || !snd->buf || ring_used(rcv))
		return NULL;
	while (size < used)
		size <<= 1;
	mem = e->ops.buf_alloc(e->user, size);
	if (!mem)
		return NULL;
	/* Only what is still to be sent or acknowledged. */
	ring_copy_out(snd, snd->tail, used, mem, size);
	e->ops.buf_free(e->user, snd->buf, snd->size);
	snd->buf = mem;
	snd->size = size;
	/* Data arriving from now on is refused (RST) or, before, allocated
	 * again by tcb_ring_ensure: the empty ring can go. */
	if (rcv->buf) {
		e->ops.buf_free(e->user, rcv->buf, rcv->size);
		rcv->buf = NULL;
	}
	return mem;
}

long eng_snd_produced(struct tcb *t, uint32_t n, unsigned flags, uint64_t now)
{
	uint32_t used = ring_used(&t->sndbuf);
	uint32_t room = used < t->sndbuf_limit ? t->sndbuf_limit - used : 0;

	/* The rules of eng_send. */
	if (t->so_error) {
		int err = t->so_error;

		t->so_error = 0;
		return -err;
	}
	switch (t->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_LISTEN:
		return -ENOTCONN;
	default:
		return -EPIPE;
	}
	if (t->flags & TF_FIN_QUEUED)
		return -EPIPE;
	if (!n)
		return 0;
	if (!t->sndbuf.buf || n > room || n > ring_free(&t->sndbuf))
		return -EINVAL;
	ring_produce(&t->sndbuf, n);
	if (t->state != TCPS_SYN_SENT && t->state != TCPS_SYN_RECEIVED)
		tcp_output(t, now);
	return n;
}

long eng_rcv_consumed(struct tcb *t, uint32_t n, uint64_t now)
{
	if (!n)
		return 0;
	if (!t->rcvbuf.buf || t->state == TCPS_LISTEN ||
	    n > ring_used(&t->rcvbuf))
		return -EINVAL;
	tcb_rcv_consume(t, n, now);
	return n;
}

void tcb_buf_limits(const struct tcb *t, uint32_t *snd, uint32_t *rcv)
{
	*snd = t->sndbuf_limit;
	*rcv = t->rcvbuf_limit;
}

void tcb_rings(const struct tcb *t, struct tcb_rings *r)
{
	r->snd_head = t->sndbuf.head;
	r->snd_tail = t->sndbuf.tail;
	r->snd_size = t->sndbuf.size;
	r->rcv_head = t->rcvbuf.head;
	r->rcv_tail = t->rcvbuf.tail;
	r->rcv_size = t->rcvbuf.size;
}

bool tcb_fin_rcvd(const struct tcb *t)
{
	return t->flags & TF_RCVD_FIN;
}

bool tcb_fin_queued(const struct tcb *t)
{
	return t->flags & TF_FIN_QUEUED;
}

uint32_t tcb_acceptq_len(const struct tcb *t)
{
	return t->state == TCPS_LISTEN ? t->qlen : 0;
}

int tcb_peek_error(const struct tcb *t)
{
	return t->so_error;
}
