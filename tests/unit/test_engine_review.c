// SPDX-License-Identifier: BSD-2-Clause
/*
 * Scripted engine tests from a review of the engine against the RFCs: each
 * one pins down a bug that was found and fixed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "engine_helpers.h"

#define MSS 1460

/* A 4096-byte receive buffer filled by the peer: our window is shut. */
static void fill_rcv_window(struct harness *h, uint32_t our_seq)
{
	feed_pat(h, "A", 1, 1, 8192, 2048);
	feed_pat(h, "A", 2049, 1, 8192, 2048);
	h_expect_win(h, "A", our_seq, 4097, 0, 0);
	h_expect_none(h);
}

/*
 * RFC 1122 4.2.2.17 / RFC 9293 3.8.6.1 and 3.10.7.4: a receiver with a
 * zero window takes no data but answers every probe with an ACK (a Linux
 * sender aborts after tcp_retries2 unanswered probes).
 */
static void zero_window_probe_acked(void **state)
{
	struct harness h;
	struct sock_opts o;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = 4096;
	est_active(&h, &o, MSS, 8192);
	fill_rcv_window(&h, 1);
	feed_pat(&h, "A", 4097, 1, 8192, 1);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	feed_pat(&h, "PA", 4097, 1, 8192, 1);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	/* A FIN into the shut window is not taken either, but answered. */
	h_feed(&h, "FA", 4097, 1, 8192, NULL, NULL, 0);
	h_expect_win(&h, "A", 1, 4097, 0, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_ESTABLISHED);
	assert_int_equal(tcb_readable(h.tcb), 4096);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zero_window_probe_acked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
