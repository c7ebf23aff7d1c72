// SPDX-License-Identifier: BSD-2-Clause
/*
 * Urgent data on the shared receive ring: the engine's view
 * (tcb_urg_view), the daemon's slot words (urg_slot_words, daemon/urg.c)
 * and libxtcp's reader (lib/urg_read.h) together, with an application
 * that reads the ring itself and tells the engine late (eng_rcv_consumed),
 * as libxtcp and xtcpd do. Reads stop at the mark, the out-of-band byte is
 * skipped (or read inline with SO_OOBINLINE), FIONREAD, SIOCATMARK and
 * POLLPRI agree, MSG_PEEK too; counters wrap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/urg.h"
#include "engine_helpers.h"
#include "lib/urg_read.h"
#include "stack/sockbuf.h"

#define MSS 1460
#define RING (1u << 17)

/* The application's side: its own tail, as in the slot. The rings are
 * the engine's to free (the default buf_free). */
struct app {
	struct harness h;
	uint8_t *rcv;
	uint32_t tail; /* rx_tail */
};

static void app_open(struct app *a, bool oobinline)
{
	struct tcb_rings r;
	int on = 1;

	uint8_t *snd = malloc(RING);

	h_init(&a->h);
	est_active(&a->h, NULL, MSS, 65535);
	a->rcv = malloc(RING);
	assert_non_null(snd);
	assert_non_null(a->rcv);
	assert_int_equal(eng_set_buffers(a->h.tcb, snd, RING, a->rcv, RING), 0);
	tcb_rings(a->h.tcb, &r);
	a->tail = r.rcv_tail;
	if (oobinline)
		assert_int_equal(eng_setsockopt(a->h.tcb, SOL_SOCKET,
						SO_OOBINLINE, &on, sizeof(on),
						NULL, a->h.now),
				 0);
}

/* What xtcpd would publish now: the words and rx_head. */
static uint32_t slot(struct app *a, uint64_t *mark, uint64_t *skip)
{
	struct tcb_urg_view v;
	struct tcb_rings r;

	tcb_urg_view(a->h.tcb, &v);
	urg_slot_words(&v, mark, skip);
	tcb_rings(a->h.tcb, &r);
	return r.rcv_head;
}

/* xtcpd applies what the application moved (apps.c sync_sock). */
static void sync_app(struct app *a)
{
	struct tcb_rings r;

	tcb_rings(a->h.tcb, &r);
	if (a->tail != r.rcv_tail)
		assert_int_equal(eng_rcv_consumed(a->h.tcb,
						  a->tail - r.rcv_tail,
						  a->h.now),
				 (long)(a->tail - r.rcv_tail));
}

/* One read as libxtcp's xs_recv does it (one pass); NUL-terminated. */
static long app_read(struct app *a, char *buf, size_t len, bool peek)
{
	uint64_t mark, skip;
	uint32_t head = slot(a, &mark, &skip), pos = a->tail;
	struct xurg_plan p;
	uint32_t n;

	xurg_plan(mark, skip, pos, head - pos, &p);
	if (!p.lead && !p.n)
		return -EAGAIN;
	pos += p.lead;
	n = p.n < len - 1 ? p.n : (uint32_t)len - 1;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = (char)a->rcv[(pos + i) & (RING - 1)];
	buf[n] = 0;
	if (!peek)
		a->tail = pos + n;
	return n;
}

static uint32_t fionread(struct app *a)
{
	uint64_t mark, skip;
	uint32_t head = slot(a, &mark, &skip);

	return xurg_readable(mark, skip, a->tail, head - a->tail);
}

static bool atmark(struct app *a)
{
	uint64_t mark, skip;

	slot(a, &mark, &skip);
	return xurg_atmark(mark, skip, a->tail);
}

static bool pollpri(struct app *a)
{
	uint64_t mark, skip;

	slot(a, &mark, &skip);
	return xurg_pending(mark, skip, a->tail);
}

/* MSG_OOB: xtcpd syncs the application's tail first (op_recv_oob). */
static long app_oob(struct app *a, char *c, unsigned flags)
{
	sync_app(a);
	return eng_recv(a->h.tcb, c, 1, RECV_OOB | flags, a->h.now);
}

static void out_of_band(void **state)
{
	struct app a;
	char buf[64], c;

	app_open(&a, false);
	/* "abc", then "X" urgent, then "def" (Linux: send(MSG_OOB)). */
	h_feed(&a.h, "PA", 1, 1, 65535, NULL, "abc", 3);
	assert_false(pollpri(&a));
	h_feed_urp(&a.h, "PAU", 4, 1, 65535, 1, "X", 1);
	h_expect(&a.h, "A", 1, 5, 0); /* every second segment */
	h_feed(&a.h, "PA", 5, 1, 65535, NULL, "def", 3);
	assert_true(pollpri(&a));
	assert_int_equal(fionread(&a), 6); /* the urgent byte left out */
	assert_false(atmark(&a));
	/* MSG_PEEK stops at the mark too. */
	assert_int_equal(app_read(&a, buf, sizeof(buf), true), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 3);
	assert_string_equal(buf, "abc");
	assert_true(atmark(&a));
	assert_int_equal(fionread(&a), 3);
	/* A peek at the mark shows what follows the out-of-band byte. */
	assert_int_equal(app_read(&a, buf, sizeof(buf), true), 3);
	assert_string_equal(buf, "def");
	assert_true(atmark(&a));
	assert_int_equal(app_oob(&a, &c, 0), 1);
	assert_int_equal(c, 'X');
	assert_false(pollpri(&a)); /* taken */
	assert_true(atmark(&a));
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 3);
	assert_string_equal(buf, "def");
	assert_false(atmark(&a));
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), -EAGAIN);
	/* The engine agrees with what the application took. */
	sync_app(&a);
	assert_int_equal(tcb_readable(a.h.tcb), 0);
	assert_false(tcb_at_mark(a.h.tcb));
	assert_int_equal(app_oob(&a, &c, 0), -EINVAL);
	h_advance(&a.h, 100 * MSEC);
	h_expect(&a.h, "A", 1, 8, 0);
	h_fini(&a.h);
}

static void oob_inline(void **state)
{
	struct app a;
	char buf[64], c;

	app_open(&a, true);
	h_feed(&a.h, "PA", 1, 1, 65535, NULL, "abc", 3);
	h_feed_urp(&a.h, "PAU", 4, 1, 65535, 1, "X", 1);
	h_expect(&a.h, "A", 1, 5, 0); /* every second segment */
	h_feed(&a.h, "PA", 5, 1, 65535, NULL, "def", 3);
	assert_int_equal(fionread(&a), 7);
	assert_true(pollpri(&a));
	/* Two reads, split at the mark. */
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 3);
	assert_string_equal(buf, "abc");
	assert_true(atmark(&a));
	assert_int_equal(app_oob(&a, &c, 0), -EINVAL);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 4);
	assert_string_equal(buf, "Xdef");
	assert_false(atmark(&a));
	assert_false(pollpri(&a));
	sync_app(&a);
	assert_int_equal(tcb_readable(a.h.tcb), 0);
	h_advance(&a.h, 100 * MSEC);
	h_expect(&a.h, "A", 1, 8, 0);
	h_fini(&a.h);
}

/* Two newer marks while the application stands at an older out-of-band
 * byte: both older bytes are skipped, where the application reads. */
static void replaced_marks(void **state)
{
	struct app a;
	char buf[64], c;

	app_open(&a, false);
	h_feed_urp(&a.h, "PAU", 1, 1, 65535, 2, "a!", 2);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 1);
	sync_app(&a); /* xtcpd knows the reader is at the mark */
	h_feed_urp(&a.h, "PAU", 3, 1, 65535, 1, "?", 1);
	h_expect(&a.h, "A", 1, 4, 0);
	h_feed_urp(&a.h, "PAU", 4, 1, 65535, 1, "#x", 2);
	assert_true(atmark(&a)); /* at '#', past the dropped '!' and '?' */
	assert_int_equal(fionread(&a), 1);
	assert_int_equal(app_read(&a, buf, sizeof(buf), true), 1);
	assert_string_equal(buf, "x");
	assert_int_equal(app_oob(&a, &c, 0), 1);
	assert_int_equal(c, '#');
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 1);
	assert_string_equal(buf, "x");
	sync_app(&a);
	assert_int_equal(tcb_readable(a.h.tcb), 0);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), -EAGAIN);
	h_advance(&a.h, 100 * MSEC);
	h_expect(&a.h, "A", 1, 6, 0);
	h_fini(&a.h);
}

/* The application passed the mark and xtcpd has not heard yet: the stale
 * mark behind its tail changes nothing. */
static void stale_mark_behind_the_reader(void **state)
{
	struct app a;
	char buf[64];

	app_open(&a, false);
	h_feed_urp(&a.h, "PAU", 1, 1, 65535, 2, "a!bc", 4);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 1);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 2);
	assert_string_equal(buf, "bc");
	h_feed(&a.h, "PA", 5, 1, 65535, NULL, "de", 2);
	h_expect(&a.h, "A", 1, 7, 0);
	assert_false(atmark(&a));
	assert_false(pollpri(&a));
	assert_int_equal(fionread(&a), 2);
	assert_int_equal(app_read(&a, buf, sizeof(buf), false), 2);
	assert_string_equal(buf, "de");
	sync_app(&a);
	assert_int_equal(tcb_readable(a.h.tcb), 0);
	h_fini(&a.h);
}

/* The pure reader on raw words, across the counters' wrap. */
static void words_wrap(void **state)
{
	uint64_t mark = (uint64_t)(XTCP_UM_MARK | XTCP_UM_ARRIVED) << 32 | 2u;
	uint64_t skip = (uint64_t)1 << 32 | 0xffffffffu;
	struct xurg_plan p;

	/* Tail at 2^32 - 2: one stream byte, one dropped, one stream byte,
	 * then the urgent byte at 2, then more. */
	xurg_plan(mark, 0, 0xfffffffeu, 10, &p);
	assert_int_equal(p.lead, 0);
	assert_int_equal(p.n, 4);
	assert_false(p.at_mark);
	xurg_plan(mark, skip, 0xffffffffu, 9, &p);
	assert_int_equal(p.lead, 1);
	assert_int_equal(p.n, 2);
	xurg_plan(mark, skip, 2, 6, &p);
	assert_true(p.at_mark);
	assert_int_equal(p.lead, 1);
	assert_int_equal(p.n, 5);
	assert_int_equal(xurg_readable(mark, skip, 0xffffffffu, 9), 7);
	assert_true(xurg_atmark(mark, 0, 2));
	assert_true(xurg_pending(mark, 0, 0xfffffff0u));
	assert_false(xurg_pending(mark, 0, 3));
	/* Announced, not arrived: a mark, no POLLPRI. */
	mark = (uint64_t)XTCP_UM_MARK << 32 | 2u;
	assert_true(xurg_atmark(mark, 0, 2));
	assert_false(xurg_pending(mark, 0, 2));
	/* No mark: everything. */
	xurg_plan(0, 0, 5, 7, &p);
	assert_int_equal(p.n, 7);
	assert_int_equal(p.lead, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(out_of_band),
		cmocka_unit_test(oob_inline),
		cmocka_unit_test(replaced_marks),
		cmocka_unit_test(stale_mark_behind_the_reader),
		cmocka_unit_test(words_wrap),
	};

	return cmocka_run_group_tests_name("urg_ring", tests, NULL, NULL);
}
