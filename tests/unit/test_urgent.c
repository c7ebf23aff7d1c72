// SPDX-License-Identifier: BSD-2-Clause
/*
 * Urgent data (RFC 9293 3.8.2 and the sixth step of 3.10.7.4, RFC 6093;
 * urgent.c) with Linux's socket semantics: SEND_OOB marks the last byte,
 * URG and the pointer to the byte after it on every segment below SND.UP;
 * EV_URGENT, reads that stop at the mark, the out-of-band byte with
 * RECV_OOB (EINVAL, EAGAIN, 0), SO_OOBINLINE, tcb_at_mark (SIOCATMARK).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>

#include "engine_helpers.h"
#include "stack/sockbuf.h"

#define MSS 1460

static long rd(struct harness *h, char *buf, size_t len, unsigned flags)
{
	long n = eng_recv(h->tcb, buf, len, flags, h->now);

	if (n > 0 && (size_t)n < len)
		buf[n] = 0;
	return n;
}

/* --- sending -------------------------------------------------------------- */

static void send_marks_the_last_byte(void **state)
{
	struct harness h;
	const struct h_seg *s;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_send(h.tcb, "abc", 3, 0, h.now), 3);
	h_expect(&h, "PA", 1, 1, 3);
	/* Nagle would hold "xy!" (data in flight); urgent data goes. The
	 * pointer is to the byte after the urgent one: 4 + 3 - 4 = 3. */
	assert_int_equal(eng_send(h.tcb, "xy!", 3, SEND_OOB, h.now), 3);
	s = h_expect(&h, "PAU", 4, 1, 3);
	assert_int_equal(s->so.th.urp, 3);
	h_expect_none(&h);
	/* The peer acknowledges "abc" only: an ACK of ours (for its data)
	 * still carries the pointer, from SND.MAX... which is past SND.UP:
	 * no URG there. */
	h_feed(&h, "A", 1, 4, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* Retransmitted, the urgent segment carries it again. */
	h_run_until(&h, h.now + 400 * MSEC);
	s = h_expect(&h, "PAU", 4, 1, 3);
	assert_int_equal(s->so.th.urp, 3);
	/* Acknowledged: urgent mode is over. */
	h_feed(&h, "A", 1, 7, 65535, NULL, NULL, 0);
	assert_int_equal(eng_send(h.tcb, "z", 1, 0, h.now), 1);
	s = h_expect(&h, "PA", 7, 1, 1);
	assert_int_equal(s->so.th.urp, 0);
	h_expect_none(&h);
	h_fini(&h);
}

static void pointer_announced_before_the_data(void **state)
{
	struct harness h;
	const struct h_seg *s;

	/* The peer's window is full: the urgent byte cannot go, but the
	 * ACKs we send announce it (RFC 9293 3.8.2: "as soon as possible"). */
	h_init(&h);
	est_active(&h, NULL, MSS, 4);
	assert_int_equal(eng_send(h.tcb, "abcd", 4, 0, h.now), 4);
	h_expect(&h, "PA", 1, 1, 4);
	assert_int_equal(eng_send(h.tcb, "efg!", 4, SEND_OOB, h.now), 4);
	h_expect_none(&h);
	/* Data from the peer: our ACK, at SND.MAX = 5, points 4 ahead. */
	feed_pat(&h, "PA", 1, 1, 0, 1);
	h_advance(&h, 100 * MSEC);
	s = h_expect(&h, "AU", 5, 2, 0);
	assert_int_equal(s->so.th.urp, 4);
	h_expect_none(&h);
	/* The window opens: the urgent data goes, marked. */
	h_feed(&h, "A", 2, 5, 65535, NULL, NULL, 0);
	s = h_expect(&h, "PAU", 5, 2, 4);
	assert_int_equal(s->so.th.urp, 4);
	h_expect_none(&h);
	h_fini(&h);
}

/* --- receiving ------------------------------------------------------------ */

static void out_of_band_byte(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	/* Nothing urgent yet: RECV_OOB is EINVAL, and no mark. */
	assert_int_equal(rd(&h, buf, sizeof(buf), RECV_OOB), -EINVAL);
	assert_false(tcb_at_mark(h.tcb));
	/* "abc!" with the pointer after '!' (seq 1 + 4). */
	h_feed_urp(&h, "PAU", 1, 1, 65535, 4, "abc!", 4);
	assert_true(h_events(&h) & EV_URGENT);
	/* The urgent byte is not in the stream, nor counted (FIONREAD). */
	assert_int_equal(tcb_readable(h.tcb), 3);
	assert_int_equal(rd(&h, buf, sizeof(buf), RECV_PEEK), 3);
	assert_string_equal(buf, "abc");
	/* A read stops at the mark. */
	assert_int_equal(rd(&h, buf, 2, 0), 2);
	assert_false(tcb_at_mark(h.tcb));
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "c");
	assert_true(tcb_at_mark(h.tcb));
	assert_int_equal(tcb_readable(h.tcb), 0);
	/* The byte, once; a peek leaves it. */
	assert_int_equal(rd(&h, buf, 1, RECV_OOB | RECV_PEEK), 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	assert_true(tcb_at_mark(h.tcb));
	/* Reading on skips it: nothing else is there yet. */
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), -EAGAIN);
	assert_false(tcb_at_mark(h.tcb));
	h_feed(&h, "PA", 5, 1, 65535, NULL, "def", 3);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 3);
	assert_string_equal(buf, "def");
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 8, 0);
	h_fini(&h);
}

static void read_past_the_mark_without_oob(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	h_feed_urp(&h, "PAU", 1, 1, 65535, 3, "ab!cd", 5);
	assert_true(h_events(&h) & EV_URGENT);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "ab");
	assert_true(tcb_at_mark(h.tcb));
	assert_int_equal(tcb_readable(h.tcb), 2);
	/* The application reads on without RECV_OOB: the byte is dropped
	 * from the stream, and RECV_OOB is EINVAL once past it. */
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "cd");
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 6, 0);
	h_fini(&h);
}

static void oobinline(void **state)
{
	struct harness h;
	char buf[64];
	int v = 1;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_setsockopt(h.tcb, SOL_SOCKET, SO_OOBINLINE, &v,
					sizeof(v), NULL, h.now),
			 0);
	h_feed_urp(&h, "PAU", 1, 1, 65535, 4, "abc!de", 6);
	assert_true(h_events(&h) & EV_URGENT);
	assert_int_equal(tcb_readable(h.tcb), 6);
	/* Reads still stop at the mark; the byte is then read inline. */
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 3);
	assert_string_equal(buf, "abc");
	assert_true(tcb_at_mark(h.tcb));
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 3);
	assert_string_equal(buf, "!de");
	assert_false(tcb_at_mark(h.tcb));
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 7, 0);
	h_fini(&h);
}

static void pointer_ahead_of_the_byte(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	/* The pointer says the urgent byte is seq 5; 2 bytes are here. */
	h_feed_urp(&h, "PAU", 1, 1, 65535, 5, "ab", 2);
	assert_true(h_events(&h) & EV_URGENT);
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EAGAIN);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "ab");
	/* The same pointer again: no new signal. */
	h_feed_urp(&h, "PAU", 3, 1, 65535, 3, "cd", 2);
	assert_false(h_events(&h) & EV_URGENT);
	h_expect(&h, "A", 1, 5, 0); /* second segment: ACK at once */
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EAGAIN);
	h_feed(&h, "PA", 5, 1, 65535, NULL, "!e", 2);
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "cd");
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "e");
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 7, 0);
	h_fini(&h);
}

static void a_newer_mark_replaces(void **state)
{
	struct harness h;
	char buf[64];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	h_feed_urp(&h, "PAU", 1, 1, 65535, 2, "a!", 2);
	assert_true(h_events(&h) & EV_URGENT);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_true(tcb_at_mark(h.tcb));
	/* A second urgent byte before the first was read: Linux drops the
	 * first from the stream; the new one is the out-of-band byte. */
	h_feed_urp(&h, "PAU", 3, 1, 65535, 2, "b?", 2);
	assert_true(h_events(&h) & EV_URGENT);
	h_expect(&h, "A", 1, 5, 0);
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), 1);
	assert_int_equal(buf[0], '?');
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "b");
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), -EAGAIN);
	/* A pointer to data already read is ignored (a retransmission
	 * overlapping new data). */
	h_feed_urp(&h, "PAU", 3, 1, 65535, 1, "b?x", 3);
	assert_false(h_events(&h) & EV_URGENT);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "x");
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 6, 0);
	h_fini(&h);
}

/* The ring's tail as the engine keeps it (what the application owns). */
static uint32_t rcv_tail(struct harness *h)
{
	struct tcb_rings r;

	tcb_rings(h->tcb, &r);
	return r.rcv_tail;
}

static void replaced_marks_are_skipped_in_place(void **state)
{
	struct harness h;
	struct tcb_urg_view v;
	uint32_t t0;
	char buf[64];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = rcv_tail(&h);
	h_feed_urp(&h, "PAU", 1, 1, 65535, 2, "a!", 2);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_true(tcb_at_mark(h.tcb));
	/* Two newer marks while the reader stands at the older byte: both
	 * older bytes leave the stream, but stay in the ring (an application
	 * may be reading it): the tail does not move, they are skipped. */
	h_feed_urp(&h, "PAU", 3, 1, 65535, 1, "?", 1);
	assert_true(h_events(&h) & EV_URGENT);
	h_expect(&h, "A", 1, 4, 0);
	h_feed_urp(&h, "PAU", 4, 1, 65535, 1, "#x", 2);
	assert_true(h_events(&h) & EV_URGENT);
	assert_int_equal(rcv_tail(&h), t0 + 1);
	tcb_urg_view(h.tcb, &v);
	assert_int_equal(v.skip_pos, t0 + 1);
	assert_int_equal(v.skip_len, 2); /* '!' and '?' */
	assert_true(v.mark);
	assert_int_equal(v.mark_pos, t0 + 3); /* '#' */
	assert_true(v.arrived);
	assert_false(v.oob_read);
	/* The reader is at the newest mark: past the dropped bytes. */
	assert_true(tcb_at_mark(h.tcb));
	assert_int_equal(tcb_readable(h.tcb), 1); /* "x" */
	assert_int_equal(rd(&h, buf, sizeof(buf), RECV_PEEK), 1);
	assert_string_equal(buf, "x");
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), 1);
	assert_int_equal(buf[0], '#');
	tcb_urg_view(h.tcb, &v);
	assert_true(v.oob_read);
	assert_int_equal(rd(&h, buf, sizeof(buf), 0), 1);
	assert_string_equal(buf, "x");
	assert_int_equal(rcv_tail(&h), t0 + 5);
	tcb_urg_view(h.tcb, &v);
	assert_false(v.mark);
	assert_int_equal(v.skip_len, 0);
	assert_false(tcb_at_mark(h.tcb));
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 6, 0);
	h_fini(&h);
}

/* The application's reader moves the tail itself (eng_rcv_consumed): the
 * engine's view follows, whatever the application took. */
static void view_follows_the_application(void **state)
{
	struct harness h;
	struct tcb_urg_view v;
	uint32_t t0;
	char buf[8];
	int on = 1;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	t0 = rcv_tail(&h);
	tcb_urg_view(h.tcb, &v);
	assert_false(v.mark);
	/* Announced ahead of its byte. */
	h_feed_urp(&h, "PAU", 1, 1, 65535, 6, "abc", 3);
	tcb_urg_view(h.tcb, &v);
	assert_true(v.mark);
	assert_false(v.arrived);
	assert_int_equal(v.mark_pos, t0 + 5);
	h_feed(&h, "PA", 4, 1, 65535, NULL, "de!f", 4);
	tcb_urg_view(h.tcb, &v);
	assert_true(v.arrived);
	assert_int_equal(v.mark_pos, t0 + 5);
	/* The application read "abcde", skipped '!' and read "f". */
	assert_int_equal(eng_rcv_consumed(h.tcb, 5, h.now), 5);
	assert_true(tcb_at_mark(h.tcb));
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(eng_rcv_consumed(h.tcb, 2, h.now), 2);
	tcb_urg_view(h.tcb, &v);
	assert_false(v.mark);
	assert_false(tcb_at_mark(h.tcb));
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	/* SO_OOBINLINE shows in the view. */
	assert_int_equal(eng_setsockopt(h.tcb, SOL_SOCKET, SO_OOBINLINE, &on,
					sizeof(on), NULL, h.now),
			 0);
	tcb_urg_view(h.tcb, &v);
	assert_true(v.oobinline);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 8, 0);
	h_fini(&h);
}

static void urg_ignored_after_fin_and_zero_pointer(void **state)
{
	struct harness h;
	char buf[8];

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	/* An urgent pointer of 0 points at nothing new (RFC 6093). */
	h_feed_urp(&h, "PAU", 1, 1, 65535, 0, "ab", 2);
	assert_false(h_events(&h) & EV_URGENT);
	/* CLOSE-WAIT: "ignore the urgent field" (3.10.7.4). */
	h_feed(&h, "FA", 3, 1, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 1, 4, 0);
	h_feed_urp(&h, "AU", 4, 1, 65535, 5, NULL, 0);
	assert_false(h_events(&h) & EV_URGENT);
	assert_int_equal(rd(&h, buf, 1, RECV_OOB), -EINVAL);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(send_marks_the_last_byte),
		cmocka_unit_test(pointer_announced_before_the_data),
		cmocka_unit_test(out_of_band_byte),
		cmocka_unit_test(read_past_the_mark_without_oob),
		cmocka_unit_test(oobinline),
		cmocka_unit_test(pointer_ahead_of_the_byte),
		cmocka_unit_test(a_newer_mark_replaces),
		cmocka_unit_test(replaced_marks_are_skipped_in_place),
		cmocka_unit_test(view_follows_the_application),
		cmocka_unit_test(urg_ignored_after_fin_and_zero_pointer),
	};

	return cmocka_run_group_tests_name("urgent", tests, NULL, NULL);
}
