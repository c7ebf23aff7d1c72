// SPDX-License-Identifier: BSD-2-Clause
/* SPSC byte ring with free-running counters (see ring.h). */
#include "stack/ring.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

static uint32_t load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* head - tail, capped at size against a corrupt counter. */
static uint32_t used_of(const struct ring *r, uint32_t head, uint32_t tail)
{
	uint32_t used = head - tail;

	return used <= r->size ? used : r->size;
}

/* Copy @len <= size bytes into buf from counter position @pos, wrapping. */
static void copy_in(struct ring *r, uint32_t pos, const void *data,
		    uint32_t len)
{
	uint32_t at = pos & (r->size - 1);
	uint32_t first = r->size - at < len ? r->size - at : len;

	assert(len <= r->size);
	memcpy(r->buf + at, data, first);
	memcpy(r->buf, (const uint8_t *)data + first, len - first);
}

static void copy_out(const struct ring *r, uint32_t pos, void *dst,
		     uint32_t len)
{
	uint32_t at = pos & (r->size - 1);
	uint32_t first = r->size - at < len ? r->size - at : len;

	assert(len <= r->size);
	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, len - first);
}

int ring_init(struct ring *r, void *mem, uint32_t size)
{
	if (!mem || size == 0 || (size & (size - 1)) != 0)
		return -EINVAL;
	r->buf = mem;
	r->size = size;
	store_release(&r->head, 0);
	store_release(&r->tail, 0);
	return 0;
}

uint32_t ring_used(const struct ring *r)
{
	/*
	 * Load tail first: head only grows and never passes a later tail, so
	 * an observer on either side never sees head - tail go negative.
	 */
	uint32_t tail = load_acquire(&r->tail);

	return used_of(r, load_acquire(&r->head), tail);
}

uint32_t ring_free(const struct ring *r)
{
	uint32_t tail = load_acquire(&r->tail);

	return r->size - used_of(r, load_acquire(&r->head), tail);
}

uint32_t ring_write(struct ring *r, const void *data, uint32_t len)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	uint32_t space = r->size - used_of(r, head, load_acquire(&r->tail));
	uint32_t n = len < space ? len : space;

	if (n == 0)
		return 0;
	copy_in(r, head, data, n);
	store_release(&r->head, head + n);
	return n;
}

void ring_write_at(struct ring *r, uint32_t off, const void *data, uint32_t len)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	assert((uint64_t)off + len <= ring_free(r));
	if (len)
		copy_in(r, head + off, data, len);
}

void ring_produce(struct ring *r, uint32_t n)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);

	assert(n <= ring_free(r));
	store_release(&r->head, head + n);
}

uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t tail = load_acquire(&r->tail);
	uint32_t used = used_of(r, load_acquire(&r->head), tail);
	uint32_t n;

	if (off >= used)
		return 0;
	n = used - off < len ? used - off : len;
	copy_out(r, tail + off, dst, n);
	return n;
}

uint32_t ring_read(struct ring *r, void *dst, uint32_t len)
{
	uint32_t n = ring_peek(r, 0, dst, len);

	if (n)
		ring_consume(r, n);
	return n;
}

void ring_consume(struct ring *r, uint32_t n)
{
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);

	assert(n <= ring_used(r));
	store_release(&r->tail, tail + n);
}

int ring_iov(const struct ring *r, uint32_t off, uint32_t len,
	     struct iovec iov[2])
{
	uint32_t tail = load_acquire(&r->tail);
	uint32_t at, first;

	assert((uint64_t)off + len <= used_of(r, load_acquire(&r->head), tail));
	if (len == 0)
		return 0;
	at = (tail + off) & (r->size - 1);
	first = r->size - at < len ? r->size - at : len;
	iov[0].iov_base = r->buf + at;
	iov[0].iov_len = first;
	if (first == len)
		return 1;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = len - first;
	return 2;
}
