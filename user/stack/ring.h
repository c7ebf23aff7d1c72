/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A byte ring, the engine's socket buffers (send and receive).
 *
 * Single producer, single consumer. head (bytes ever written) and tail
 * (bytes ever consumed) are free-running 32-bit counters that wrap at 2^32;
 * used = head - tail and the position in buf is the counter masked by
 * size - 1, so size must be a power of two. Each counter has one writer,
 * which publishes it with a release store after touching the bytes; the
 * other side reads it with an acquire load before touching them. That is
 * all the synchronization needed for the ring to live in shared memory
 * between an application and the daemon (hence no pointers but buf).
 *
 * Producer side: ring_free, ring_write, ring_write_at, ring_produce.
 * Consumer side: ring_used, ring_peek, ring_read, ring_consume, ring_iov.
 *
 * The counters may be written by an untrusted peer: used is capped at size,
 * so a corrupt head or tail can garble the data but never make a copy
 * leave buf.
 */
#ifndef XTCP_STACK_RING_H
#define XTCP_STACK_RING_H

#include <stdint.h>
#include <sys/uio.h>

struct ring {
	uint8_t *buf;
	uint32_t size; /* power of 2 */
	uint32_t head; /* producer: bytes ever written */
	uint32_t tail; /* consumer: bytes ever consumed */
};

/* Use @size bytes at @mem, empty. -EINVAL if size is 0 or not a power of 2. */
int ring_init(struct ring *r, void *mem, uint32_t size);

/* Bytes readable (head - tail), and bytes writable (size - used). */
uint32_t ring_used(const struct ring *r);
uint32_t ring_free(const struct ring *r);

/* Copy min(@len, free) bytes in at head and publish them; returns the count. */
uint32_t ring_write(struct ring *r, const void *data, uint32_t len);

/*
 * Copy @len bytes to head + @off without publishing them (out-of-order
 * data, RFC 9293 3.10.7.4); off + len <= free is the caller's duty.
 */
void ring_write_at(struct ring *r, uint32_t off, const void *data,
		   uint32_t len);

/* Publish @n bytes already placed at head (n <= free). */
void ring_produce(struct ring *r, uint32_t n);

/* Copy up to @len bytes from tail + @off; returns the count (<= used - off). */
uint32_t ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t len);

/* ring_peek at 0, then ring_consume what was copied. */
uint32_t ring_read(struct ring *r, void *dst, uint32_t len);

/* Release @n bytes at tail to the producer (n <= used). */
void ring_consume(struct ring *r, uint32_t n);

/*
 * The bytes [tail + @off, tail + @off + @len) in place, as 1 or 2 iovecs
 * (2 when they wrap at the end of buf); returns the count, 0 for len 0.
 * off + len <= used is the caller's duty.
 */
int ring_iov(const struct ring *r, uint32_t off, uint32_t len,
	     struct iovec iov[2]);

#endif
