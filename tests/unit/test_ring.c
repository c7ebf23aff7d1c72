// SPDX-License-Identifier: BSD-2-Clause
/* Byte ring: exact contents across the end of buf and the 2^32 counter wrap. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stack/ring.h"

static uint8_t mem[4096];

static void fill(uint8_t *p, uint32_t n, uint32_t from)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)((from + i) * 7 + 1);
}

static void init_checks_size(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, mem, 0), -EINVAL);
	assert_int_equal(ring_init(&r, mem, 3), -EINVAL);
	assert_int_equal(ring_init(&r, mem, 6), -EINVAL);
	assert_int_equal(ring_init(&r, mem, 4095), -EINVAL);
	assert_int_equal(ring_init(&r, mem, 0x80000001u), -EINVAL);
	assert_int_equal(ring_init(&r, mem, UINT32_MAX), -EINVAL);
	assert_int_equal(ring_init(&r, NULL, 16), -EINVAL);
	assert_int_equal(ring_init(&r, mem, 1), 0);
	assert_int_equal(ring_free(&r), 1);
	/* The largest: 2^31 (init touches no byte of the buffer). */
	assert_int_equal(ring_init(&r, mem, 0x80000000u), 0);
	assert_int_equal(ring_free(&r), 0x80000000u);
	assert_int_equal(ring_init(&r, mem, 4096), 0);
	assert_ptr_equal(r.buf, mem);
	assert_int_equal(r.size, 4096);
	assert_int_equal(r.head, 0);
	assert_int_equal(r.tail, 0);
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(ring_free(&r), 4096);
}

static void write_read_exact(void **state)
{
	struct ring r;
	uint8_t in[40], out[40];

	fill(in, sizeof(in), 0);
	assert_int_equal(ring_init(&r, mem, 16), 0);
	assert_int_equal(ring_write(&r, in, 10), 10);
	assert_int_equal(ring_used(&r), 10);
	assert_int_equal(ring_free(&r), 6);
	/* Only what fits is taken. */
	assert_int_equal(ring_write(&r, in + 10, 30), 6);
	assert_int_equal(ring_used(&r), 16);
	assert_int_equal(ring_free(&r), 0);
	assert_int_equal(ring_write(&r, in, 1), 0);
	assert_int_equal(r.head, 16);

	memset(out, 0, sizeof(out));
	assert_int_equal(ring_peek(&r, 3, out, 4), 4);
	assert_memory_equal(out, in + 3, 4);
	assert_int_equal(ring_used(&r), 16); /* peek consumes nothing */
	assert_int_equal(ring_peek(&r, 14, out, 10), 2);
	assert_memory_equal(out, in + 14, 2);
	assert_int_equal(ring_peek(&r, 16, out, 10), 0);
	assert_int_equal(ring_peek(&r, 100, out, 10), 0);

	assert_int_equal(ring_read(&r, out, 5), 5);
	assert_memory_equal(out, in, 5);
	assert_int_equal(r.tail, 5);
	assert_int_equal(ring_read(&r, out, 40), 11);
	assert_memory_equal(out, in + 5, 11);
	assert_int_equal(ring_read(&r, out, 40), 0);
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(ring_free(&r), 16);
	assert_int_equal(ring_write(&r, in, 0), 0);
}

static void wrap_at_end_of_buf(void **state)
{
	struct ring r;
	uint8_t in[16], out[16];
	struct iovec iov[2];

	fill(in, sizeof(in), 100);
	assert_int_equal(ring_init(&r, mem, 16), 0);
	memset(mem, 0xee, 16);
	ring_produce(&r, 12);
	ring_consume(&r, 12); /* head = tail = 12 */
	assert_int_equal(ring_write(&r, in, 10), 10);
	/* 4 bytes at the end of buf, 6 at the start. */
	assert_memory_equal(mem + 12, in, 4);
	assert_memory_equal(mem, in + 4, 6);
	assert_int_equal(ring_iov(&r, 0, 10, iov), 2);
	assert_ptr_equal(iov[0].iov_base, mem + 12);
	assert_int_equal(iov[0].iov_len, 4);
	assert_ptr_equal(iov[1].iov_base, mem);
	assert_int_equal(iov[1].iov_len, 6);
	/* Offsets on either side of the wrap. */
	assert_int_equal(ring_iov(&r, 4, 6, iov), 1);
	assert_ptr_equal(iov[0].iov_base, mem);
	assert_int_equal(iov[0].iov_len, 6);
	assert_int_equal(ring_iov(&r, 1, 3, iov), 1);
	assert_ptr_equal(iov[0].iov_base, mem + 13);
	assert_int_equal(iov[0].iov_len, 3);
	assert_int_equal(ring_iov(&r, 3, 2, iov), 2);
	assert_int_equal(iov[0].iov_len, 1);
	assert_int_equal(iov[1].iov_len, 1);
	assert_int_equal(ring_iov(&r, 5, 0, iov), 0);
	assert_int_equal(ring_peek(&r, 2, out, 5), 5);
	assert_memory_equal(out, in + 2, 5);
	assert_int_equal(ring_read(&r, out, 16), 10);
	assert_memory_equal(out, in, 10);

	/* A full ring starting mid-buffer. */
	assert_int_equal(ring_write(&r, in, 16), 16);
	assert_int_equal(ring_iov(&r, 0, 16, iov), 2);
	assert_int_equal(iov[0].iov_len, 10);
	assert_int_equal(iov[1].iov_len, 6);
	assert_int_equal(ring_read(&r, out, 16), 16);
	assert_memory_equal(out, in, 16);
}

static void counters_wrap_2_32(void **state)
{
	struct ring r;
	uint8_t in[64], out[64];
	struct iovec iov[2];

	fill(in, sizeof(in), 7);
	assert_int_equal(ring_init(&r, mem, 32), 0);
	r.head = r.tail = UINT32_MAX - 9; /* 10 bytes before the wrap */
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(ring_free(&r), 32);
	assert_int_equal(ring_write(&r, in, 25), 25);
	assert_int_equal(r.head, 15); /* wrapped */
	assert_int_equal(ring_used(&r), 25);
	assert_int_equal(ring_free(&r), 7);
	/* UINT32_MAX - 9 masked by 31 is 22: 10 bytes to the end of buf. */
	assert_memory_equal(mem + 22, in, 10);
	assert_memory_equal(mem, in + 10, 15);
	assert_int_equal(ring_iov(&r, 0, 25, iov), 2);
	assert_int_equal(iov[0].iov_len, 10);
	assert_int_equal(iov[1].iov_len, 15);
	assert_int_equal(ring_peek(&r, 8, out, 4), 4);
	assert_memory_equal(out, in + 8, 4);
	assert_int_equal(ring_read(&r, out, 9), 9);
	assert_int_equal(r.tail, UINT32_MAX);
	assert_int_equal(ring_used(&r), 16);
	assert_int_equal(ring_read(&r, out + 9, 64), 16);
	assert_int_equal(r.tail, 15);
	assert_memory_equal(out, in, 25);

	/* Full across the wrap. */
	r.head = r.tail = UINT32_MAX - 3;
	assert_int_equal(ring_write(&r, in, 40), 32);
	assert_int_equal(ring_used(&r), 32);
	assert_int_equal(ring_free(&r), 0);
	assert_int_equal(ring_read(&r, out, 64), 32);
	assert_memory_equal(out, in, 32);
}

static void out_of_order_placement(void **state)
{
	struct ring r;
	uint8_t in[32], out[32];

	fill(in, sizeof(in), 55);
	assert_int_equal(ring_init(&r, mem, 16), 0);
	r.head = r.tail = UINT32_MAX - 2;
	/* A hole [0, 5), then [5, 12) arrives first, across both wraps. */
	ring_write_at(&r, 5, in + 5, 7);
	assert_int_equal(ring_used(&r), 0); /* not published */
	assert_int_equal(ring_peek(&r, 0, out, 16), 0);
	ring_write_at(&r, 12, in + 12, 4); /* right up to free */
	ring_write_at(&r, 0, in, 5); /* the hole fills */
	ring_produce(&r, 12);
	assert_int_equal(ring_used(&r), 12);
	assert_int_equal(ring_free(&r), 4);
	ring_produce(&r, 4);
	assert_int_equal(ring_free(&r), 0);
	assert_int_equal(ring_read(&r, out, 32), 16);
	assert_memory_equal(out, in, 16);
	ring_write_at(&r, 0, in, 0);
	ring_produce(&r, 0);
	assert_int_equal(ring_used(&r), 0);
}

/* A hostile peer's counters can garble data, never push copies outside buf. */
static void corrupt_counters_stay_inside(void **state)
{
	struct ring r;
	uint8_t *small = malloc(8), out[64];
	struct iovec iov[2];

	assert_non_null(small);
	assert_int_equal(ring_init(&r, small, 8), 0);
	r.tail = 5;
	r.head = 5 + 1000;
	assert_int_equal(ring_used(&r), 8);
	assert_int_equal(ring_free(&r), 0);
	assert_int_equal(ring_peek(&r, 0, out, sizeof(out)), 8);
	assert_int_equal(ring_peek(&r, 3, out, sizeof(out)), 5);
	assert_int_equal(ring_iov(&r, 0, 8, iov), 2);
	assert_int_equal(iov[0].iov_len + iov[1].iov_len, 8);
	assert_int_equal(ring_write(&r, out, 64), 0);
	r.head = 4; /* head behind tail */
	assert_int_equal(ring_used(&r), 8);
	assert_int_equal(ring_read(&r, out, 64), 8);
	free(small);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random operations against the stream they must reproduce. */
static void random_stream(void **state)
{
	struct ring r;
	uint8_t in[256], out[256];
	uint32_t wrote = 0, got = 0; /* stream offsets */
	uint64_t seed = 3;

	assert_int_equal(ring_init(&r, mem, 128), 0);
	r.head = r.tail = UINT32_MAX - 5000; /* pass 2^32 on the way */
	for (int op = 0; op < 200000; op++) {
		uint64_t x = rng_next(&seed);
		uint32_t len = (uint32_t)(x >> 8) % 200, n;
		uint32_t used = wrote - got;

		assert_int_equal(ring_used(&r), used);
		assert_int_equal(ring_free(&r), 128 - used);
		switch (x % 5) {
		case 0: /* write */
			fill(in, len, wrote);
			n = ring_write(&r, in, len);
			assert_int_equal(n,
					 len < 128 - used ? len : 128 - used);
			wrote += n;
			break;
		case 1: { /* out of order, then produce */
			uint32_t fr = 128 - used, a, b;

			len = len % (fr + 1);
			a = (uint32_t)(x >> 40) % (len + 1);
			b = len - a;
			fill(in, len, wrote);
			ring_write_at(&r, a, in + a, b);
			ring_write_at(&r, 0, in, a);
			ring_produce(&r, len);
			wrote += len;
			break;
		}
		case 2: { /* peek somewhere, and an iovec of it */
			uint32_t off = (uint32_t)(x >> 40) % (used + 2);
			struct iovec iov[2];
			int k;

			n = ring_peek(&r, off, out, len);
			assert_int_equal(n, off >= used ? 0 :
							  (used - off < len ?
								   used - off :
								   len));
			fill(in, n, got + off);
			assert_memory_equal(out, in, n);
			if (off <= used) {
				k = ring_iov(&r, off, n, iov);
				assert_int_equal(k,
						 n == 0 ? 0 : (k == 2 ? 2 : 1));
				if (k >= 1)
					assert_memory_equal(iov[0].iov_base, in,
							    iov[0].iov_len);
				if (k == 2)
					assert_memory_equal(iov[1].iov_base,
							    in + iov[0].iov_len,
							    iov[1].iov_len);
				assert_int_equal(
					k == 0 ?
						0 :
						iov[0].iov_len +
							(k == 2 ?
								 iov[1].iov_len :
								 0),
					n);
			}
			break;
		}
		case 3: /* read */
			n = ring_read(&r, out, len);
			assert_int_equal(n, len < used ? len : used);
			fill(in, n, got);
			assert_memory_equal(out, in, n);
			got += n;
			break;
		default: /* consume without copying */
			n = len < used ? len : used;
			ring_consume(&r, n);
			got += n;
			break;
		}
	}
	assert_true(wrote > 5000); /* the counters did wrap */
}

/* Two threads, one each side: the acquire/release pairs carry the data. */
#define SPSC_BYTES (8u << 20)

static void *producer(void *arg)
{
	struct ring *r = arg;
	uint8_t chunk[1000];
	uint32_t sent = 0;

	while (sent < SPSC_BYTES) {
		uint32_t want = SPSC_BYTES - sent < sizeof(chunk) ?
					SPSC_BYTES - sent :
					(uint32_t)sizeof(chunk);

		fill(chunk, want, sent);
		sent += ring_write(r, chunk, want);
	}
	return NULL;
}

static void threads_spsc(void **state)
{
	static uint8_t big[1024];
	struct ring r;
	pthread_t t;
	uint8_t chunk[777], want[777];
	uint32_t got = 0;

	assert_int_equal(ring_init(&r, big, sizeof(big)), 0);
	r.head = r.tail = UINT32_MAX - 100000;
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	while (got < SPSC_BYTES) {
		uint32_t n = ring_read(&r, chunk, sizeof(chunk));

		fill(want, n, got);
		if (memcmp(chunk, want, n) != 0)
			fail_msg("corrupt data at stream offset %u", got);
		got += n;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(ring_used(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_checks_size),
		cmocka_unit_test(write_read_exact),
		cmocka_unit_test(wrap_at_end_of_buf),
		cmocka_unit_test(counters_wrap_2_32),
		cmocka_unit_test(out_of_order_placement),
		cmocka_unit_test(corrupt_counters_stay_inside),
		cmocka_unit_test(random_stream),
		cmocka_unit_test(threads_spsc),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
