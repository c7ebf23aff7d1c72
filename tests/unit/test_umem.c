// SPDX-License-Identifier: BSD-2-Clause
/*
 * The UMEM frame allocator: counts, address normalisation, refused moves
 * (double frees, strays, wrong places), the invariant check catching
 * corruption, and randomized runs against a shadow model, one of them
 * cycling frames through model fill/RX/TX/completion rings as xsk.c does.
 * After every step every frame is in exactly one place and none leaks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "io/umem.h"

#define FS 4096

static void assert_ok(const struct umem *u)
{
	const char *why = NULL;
	int err = umem_check(u, &why);

	if (err)
		fail_msg("umem_check: %s", why);
}

static void init_checks_args(void **state)
{
	struct umem u;

	assert_int_equal(umem_init(&u, 0, FS), -EINVAL);
	assert_int_equal(umem_init(&u, 8, 0), -EINVAL);
	assert_int_equal(umem_init(&u, 8, 1024), -EINVAL);
	assert_int_equal(umem_init(&u, 8, 3000), -EINVAL);
	assert_int_equal(umem_init(&u, 8, 131072), -EINVAL);
	assert_int_equal(umem_init(&u, UMEM_NFRAMES_MAX + 1, FS), -EINVAL);
	assert_int_equal(umem_init(&u, 8, 2048), 0);
	assert_int_equal(umem_size(&u), 8 * 2048);
	umem_fini(&u);
	assert_int_equal(umem_init(&u, 8, 65536), 0);
	assert_int_equal(umem_size(&u), 8 * 65536);
	umem_fini(&u);
	assert_int_equal(umem_init(&u, 100, FS), 0);
	assert_int_equal(umem_count(&u, UMEM_FREE), 100);
	assert_int_equal(u.nfree, 100);
	for (int p = UMEM_FILL; p < UMEM_NPLACES; p++)
		assert_int_equal(umem_count(&u, p), 0);
	assert_ok(&u);
	umem_fini(&u);
	assert_null(u.stack);
	/* fini twice (and on a zeroed struct) is harmless. */
	umem_fini(&u);
}

static void alloc_order_and_counts(void **state)
{
	uint64_t a[16];
	struct umem u;

	assert_int_equal(umem_init(&u, 10, FS), 0);
	assert_int_equal(umem_alloc(&u, a, 3, UMEM_FILL), 3);
	assert_int_equal(a[0], 0);
	assert_int_equal(a[1], FS);
	assert_int_equal(a[2], 2 * FS);
	assert_int_equal(umem_count(&u, UMEM_FILL), 3);
	assert_int_equal(umem_count(&u, UMEM_FREE), 7);
	assert_int_equal(umem_place_of(&u, FS + 100), UMEM_FILL);
	assert_int_equal(umem_place_of(&u, 3 * FS), UMEM_FREE);
	assert_int_equal(umem_place_of(&u, 10 * FS), -EINVAL);
	/* More than is free: what there is, and counted. */
	assert_int_equal(umem_alloc(&u, a, 16, UMEM_TX), 7);
	assert_int_equal(u.alloc_short, 1);
	assert_int_equal(umem_alloc(&u, a, 1, UMEM_TX), 0);
	assert_int_equal(u.alloc_short, 2);
	assert_int_equal(umem_count(&u, UMEM_TX), 7);
	assert_ok(&u);
	umem_fini(&u);
}

static void alloc_to_free_refused(void **state)
{
	uint64_t a[4];
	struct umem u;

	assert_int_equal(umem_init(&u, 4, FS), 0);
	assert_int_equal(umem_alloc(&u, a, 2, UMEM_FREE), 0);
	assert_int_equal(umem_alloc(&u, a, 2, (enum umem_place)UMEM_NPLACES),
			 0);
	assert_int_equal(umem_count(&u, UMEM_FREE), 4);
	assert_ok(&u);
	umem_fini(&u);
}

static void free_normalises_and_is_lifo(void **state)
{
	uint64_t a[4], b[4];
	struct umem u;

	assert_int_equal(umem_init(&u, 4, FS), 0);
	assert_int_equal(umem_alloc(&u, a, 4, UMEM_RX), 4);
	/* The kernel's RX addresses point past the headroom. */
	b[0] = a[2] + 256;
	b[1] = a[0] + FS - 1;
	assert_int_equal(umem_free(&u, b, 2, UMEM_RX), 0);
	assert_int_equal(u.stack[0], a[2]);
	assert_int_equal(u.stack[1], a[0]);
	/* Last freed, first allocated. */
	assert_int_equal(umem_alloc(&u, b, 2, UMEM_TX), 2);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[1], a[2]);
	assert_ok(&u);
	umem_fini(&u);
}

static void double_free_and_strays_refused(void **state)
{
	uint64_t a[4], x[3];
	struct umem u;

	assert_int_equal(umem_init(&u, 8, FS), 0);
	assert_int_equal(umem_alloc(&u, a, 2, UMEM_TX), 2);
	assert_int_equal(umem_free(&u, a, 1, UMEM_TX), 0);
	/* Freed twice. */
	assert_int_equal(umem_free(&u, a, 1, UMEM_TX), 1);
	assert_int_equal(u.bad_moves, 1);
	/* Freeing "from free" is a double free by definition. */
	assert_int_equal(umem_free(&u, a, 1, UMEM_FREE), 1);
	assert_int_equal(u.bad_moves, 2);
	/* Wrong place: a[1] is in TX, not RX. */
	assert_int_equal(umem_free(&u, &a[1], 1, UMEM_RX), 1);
	assert_int_equal(umem_place_of(&u, a[1]), UMEM_TX);
	/* Out of range. */
	x[0] = 8 * FS;
	x[1] = UINT64_MAX;
	assert_int_equal(umem_free(&u, x, 2, UMEM_TX), 2);
	/* Twice in one batch: the second is refused. */
	x[0] = a[1];
	x[1] = a[1] + 10;
	x[2] = a[1];
	assert_int_equal(umem_free(&u, x, 3, UMEM_TX), 2);
	assert_int_equal(u.bad_moves, 7);
	/* A free frame cannot be moved anywhere but by umem_alloc. */
	assert_int_equal(umem_move(&u, a, 1, UMEM_P(UMEM_FREE), UMEM_RX), 1);
	assert_int_equal(umem_move(&u, a, 1,
				   UMEM_P(UMEM_FREE) | UMEM_P(UMEM_TX),
				   UMEM_RX),
			 1);
	assert_int_equal(umem_place_of(&u, a[0]), UMEM_FREE);
	/* Bad destination. */
	assert_int_equal(umem_alloc(&u, a, 1, UMEM_RX), 1);
	assert_int_equal(umem_move(&u, a, 1, UMEM_P(UMEM_RX),
				   (enum umem_place)UMEM_NPLACES),
			 1);
	assert_int_equal(umem_place_of(&u, a[0]), UMEM_RX);
	/* Nothing lost on the way. */
	assert_ok(&u);
	assert_int_equal(umem_count(&u, UMEM_FREE), 7);
	assert_int_equal(umem_free(&u, a, 1, UMEM_RX), 0);
	assert_int_equal(umem_count(&u, UMEM_FREE), 8);
	assert_ok(&u);
	umem_fini(&u);
}

static void moves_between_places(void **state)
{
	uint64_t a[6];
	struct umem u;

	assert_int_equal(umem_init(&u, 6, 2048), 0);
	assert_int_equal(umem_alloc(&u, a, 6, UMEM_FILL), 6);
	assert_int_equal(umem_move(&u, a, 3, UMEM_P(UMEM_FILL), UMEM_RX), 0);
	/* A received frame sent as it is (a reply built in place). */
	assert_int_equal(umem_move(&u, a, 1, UMEM_P(UMEM_TX) | UMEM_P(UMEM_RX),
				   UMEM_TXQ),
			 0);
	assert_int_equal(umem_count(&u, UMEM_FILL), 3);
	assert_int_equal(umem_count(&u, UMEM_RX), 2);
	assert_int_equal(umem_count(&u, UMEM_TXQ), 1);
	assert_int_equal(u.moves, 6 + 3 + 1);
	assert_ok(&u);
	umem_fini(&u);
}

static void check_detects_corruption(void **state)
{
	const char *why = NULL;
	uint64_t a[4];
	struct umem u;

	assert_int_equal(umem_init(&u, 4, FS), 0);
	assert_int_equal(umem_alloc(&u, a, 2, UMEM_TX), 2);

	/* A frame in use pushed on the free stack behind the allocator. */
	u.stack[u.nfree++] = a[0];
	u.count[UMEM_FREE]++;
	u.count[UMEM_TX]--;
	assert_int_equal(umem_check(&u, &why), -EUCLEAN);
	assert_non_null(why);
	u.nfree--;
	u.count[UMEM_FREE]--;
	u.count[UMEM_TX]++;
	assert_ok(&u);

	/* The same free frame twice on the stack (and another lost). */
	u.stack[0] = u.stack[1];
	assert_int_equal(umem_check(&u, &why), -EUCLEAN);
	assert_string_equal(why, "frame twice on the free stack");
	u.stack[0] = 3 * FS;
	assert_ok(&u);

	/* A misaligned address on the stack. */
	u.stack[0] += 1;
	assert_int_equal(umem_check(&u, &why), -EUCLEAN);
	u.stack[0] -= 1;

	/* Counts that do not add up. */
	u.count[UMEM_RX]++;
	assert_int_equal(umem_check(&u, NULL), -EUCLEAN);
	u.count[UMEM_RX]--;
	/* Counts that add up but do not match the frames. */
	u.count[UMEM_RX]++;
	u.count[UMEM_TX]--;
	assert_int_equal(umem_check(&u, &why), -EUCLEAN);
	u.count[UMEM_RX]--;
	u.count[UMEM_TX]++;
	/* A frame in no known place. */
	u.place[a[1] / FS] = 77;
	assert_int_equal(umem_check(&u, &why), -EUCLEAN);
	u.place[a[1] / FS] = UMEM_TX;
	assert_ok(&u);
	umem_fini(&u);
}

/* xorshift64*: reproducible from the seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

#define RN 257 /* frames: not a power of two */

/* Every frame's place in the allocator equals the shadow's. */
static void assert_matches(const struct umem *u, const uint8_t *shadow)
{
	uint32_t n[UMEM_NPLACES] = { 0 };

	for (uint32_t i = 0; i < RN; i++) {
		assert_int_equal(umem_place_of(u, (uint64_t)i * FS), shadow[i]);
		n[shadow[i]]++;
	}
	for (int p = 0; p < UMEM_NPLACES; p++)
		assert_int_equal(umem_count(u, p), n[p]);
	assert_ok(u);
}

/*
 * Random allocations and moves of random frames, valid or not: a move is
 * refused exactly when the shadow says the frame is not where the caller
 * claims, and nothing else changes.
 */
static void random_ops_match_shadow(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull, a[32], bad_expected = 0;
	uint8_t shadow[RN];
	struct umem u;

	for (int round = 0; round < 4; round++) {
		assert_int_equal(umem_init(&u, RN, FS), 0);
		memset(shadow, UMEM_FREE, sizeof(shadow));
		bad_expected = 0;
		for (int step = 0; step < 20000; step++) {
			unsigned n = rnd(&seed) % 32 + 1, refused = 0, got;
			enum umem_place to = rnd(&seed) % UMEM_NPLACES;
			unsigned from = rnd(&seed) % (1u << UMEM_NPLACES);

			if (rnd(&seed) % 3 == 0 && to != UMEM_FREE) {
				unsigned before = u.nfree;

				got = umem_alloc(&u, a, n, to);
				assert_int_equal(got, n < before ? n : before);
				for (unsigned i = 0; i < got; i++) {
					assert_int_equal(shadow[a[i] / FS],
							 UMEM_FREE);
					shadow[a[i] / FS] = to;
				}
			} else {
				for (unsigned i = 0; i < n; i++) {
					/* Sometimes out of range, sometimes
           * inside a frame, not at its base. */
					a[i] = rnd(&seed) % (RN + 2) * FS +
					       (rnd(&seed) % 4 ?
							0 :
							rnd(&seed) % FS);
				}
				/* The shadow's verdict, in order (a frame
         * twice in a batch moves once). */
				for (unsigned i = 0; i < n; i++) {
					uint64_t f = a[i] / FS;

					if (f >= RN || shadow[f] == UMEM_FREE ||
					    !(from & UMEM_P(shadow[f]))) {
						refused++;
						continue;
					}
					shadow[f] = to;
				}
				assert_int_equal(umem_move(&u, a, n, from, to),
						 refused);
				bad_expected += refused;
			}
			assert_int_equal(u.bad_moves, bad_expected);
			if (step % 97 == 0)
				assert_matches(&u, shadow);
		}
		assert_matches(&u, shadow);
		umem_fini(&u);
	}
}

/* A FIFO of frame addresses standing in for one of the kernel's rings. */
struct mring {
	uint64_t a[RN];
	uint32_t head, tail; /* free-running */
};

static void mpush(struct mring *r, uint64_t v)
{
	assert_true(r->tail - r->head < RN);
	r->a[r->tail++ % RN] = v;
}

static uint64_t mpop(struct mring *r)
{
	assert_true(r->tail != r->head);
	return r->a[r->head++ % RN];
}

static uint32_t mlen(const struct mring *r)
{
	return r->tail - r->head;
}

/*
 * The xsk.c cycle with model rings: refill the fill ring from the free
 * stack; the "kernel" receives into fill frames (a random offset, as past a
 * headroom) and puts them on the RX ring; the application peeks a batch
 * (FILL -> RX), then releases it (RX -> FREE) or sends some of it back in
 * place (RX -> TXQ); it reserves frames to send (FREE -> TX), submits them
 * (TX -> TXQ) or gives them back; the "kernel" transmits and completes;
 * completions are reaped (TXQ -> FREE). Every step keeps the invariant; in
 * the end everything drains back to the free stack: no frame leaked.
 */
static void ring_cycles_never_leak(void **state)
{
	static struct mring fill, rxr, txr, comp;
	uint64_t seed = 12345, held[RN], tx[RN], a[64];
	uint32_t nheld = 0, ntx = 0, target = RN / 2;
	uint64_t received = 0, sent = 0;
	struct umem u;

	assert_int_equal(umem_init(&u, RN, FS), 0);
	memset(&fill, 0, sizeof(fill));
	memset(&rxr, 0, sizeof(rxr));
	memset(&txr, 0, sizeof(txr));
	memset(&comp, 0, sizeof(comp));
	for (int step = 0; step < 200000; step++) {
		unsigned n, k, i;

		switch (rnd(&seed) % 8) {
		case 0: /* refill */
			while (umem_count(&u, UMEM_FILL) < target) {
				k = target - umem_count(&u, UMEM_FILL);
				n = umem_alloc(&u, a, k < 64 ? k : 64,
					       UMEM_FILL);
				if (!n)
					break;
				for (i = 0; i < n; i++)
					mpush(&fill, a[i]);
			}
			break;
		case 1: /* kernel receives */
			n = rnd(&seed) % 16;
			for (i = 0; i < n && mlen(&fill); i++)
				mpush(&rxr,
				      mpop(&fill) + 256 + rnd(&seed) % 64);
			break;
		case 2: /* application peeks a batch */
			n = rnd(&seed) % 32;
			for (k = 0; k < n && mlen(&rxr); k++)
				a[k] = mpop(&rxr);
			assert_int_equal(umem_move(&u, a, k, UMEM_P(UMEM_FILL),
						   UMEM_RX),
					 0);
			memcpy(&held[nheld], a, k * sizeof(a[0]));
			nheld += k;
			received += k;
			break;
		case 3: /* ... releases it, or replies in place */
			if (!nheld)
				break;
			if (rnd(&seed) % 4 == 0) {
				assert_int_equal(umem_move(&u, held, 1,
							   UMEM_P(UMEM_RX),
							   UMEM_TXQ),
						 0);
				mpush(&txr, held[0]);
				assert_int_equal(umem_free(&u, held + 1,
							   nheld - 1, UMEM_RX),
						 0);
			} else {
				assert_int_equal(
					umem_free(&u, held, nheld, UMEM_RX), 0);
			}
			nheld = 0;
			break;
		case 4: /* reserve frames to send */
			n = umem_alloc(&u, &tx[ntx], rnd(&seed) % 16, UMEM_TX);
			ntx += n;
			break;
		case 5: /* submit them, or give some back */
			if (rnd(&seed) % 5 == 0 && ntx) {
				assert_int_equal(umem_free(&u, tx, 1, UMEM_TX),
						 0);
				memmove(tx, tx + 1, --ntx * sizeof(tx[0]));
			}
			assert_int_equal(umem_move(&u, tx, ntx, UMEM_P(UMEM_TX),
						   UMEM_TXQ),
					 0);
			for (i = 0; i < ntx; i++)
				mpush(&txr, tx[i]);
			sent += ntx;
			ntx = 0;
			break;
		case 6: /* kernel transmits and completes */
			n = rnd(&seed) % 32;
			for (i = 0; i < n && mlen(&txr); i++)
				mpush(&comp, mpop(&txr));
			break;
		case 7: /* reap completions */
			for (k = 0; k < 64 && mlen(&comp); k++)
				a[k] = mpop(&comp);
			assert_int_equal(umem_move(&u, a, k, UMEM_P(UMEM_TXQ),
						   UMEM_FREE),
					 0);
			break;
		}
		/* Where the rings and the holders say, and nowhere else. */
		assert_int_equal(umem_count(&u, UMEM_FILL),
				 mlen(&fill) + mlen(&rxr));
		assert_int_equal(umem_count(&u, UMEM_RX), nheld);
		assert_int_equal(umem_count(&u, UMEM_TX), ntx);
		assert_int_equal(umem_count(&u, UMEM_TXQ),
				 mlen(&txr) + mlen(&comp));
		if (step % 1000 == 0)
			assert_ok(&u);
	}
	assert_true(received > 10000);
	assert_true(sent > 10000);

	/* Drain: the kernel gives back fill frames on close, sends the rest,
   * the application releases what it holds. */
	assert_int_equal(umem_free(&u, held, nheld, UMEM_RX), 0);
	assert_int_equal(umem_free(&u, tx, ntx, UMEM_TX), 0);
	while (mlen(&rxr)) {
		a[0] = mpop(&rxr);
		assert_int_equal(umem_free(&u, a, 1, UMEM_FILL), 0);
	}
	while (mlen(&fill)) {
		a[0] = mpop(&fill);
		assert_int_equal(umem_free(&u, a, 1, UMEM_FILL), 0);
	}
	while (mlen(&txr))
		mpush(&comp, mpop(&txr));
	while (mlen(&comp)) {
		a[0] = mpop(&comp);
		assert_int_equal(umem_free(&u, a, 1, UMEM_TXQ), 0);
	}
	assert_int_equal(umem_count(&u, UMEM_FREE), RN);
	assert_int_equal(u.bad_moves, 0);
	assert_ok(&u);
	umem_fini(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_checks_args),
		cmocka_unit_test(alloc_order_and_counts),
		cmocka_unit_test(alloc_to_free_refused),
		cmocka_unit_test(free_normalises_and_is_lifo),
		cmocka_unit_test(double_free_and_strays_refused),
		cmocka_unit_test(moves_between_places),
		cmocka_unit_test(check_detects_corruption),
		cmocka_unit_test(random_ops_match_shadow),
		cmocka_unit_test(ring_cycles_never_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
