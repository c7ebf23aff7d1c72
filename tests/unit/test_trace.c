// SPDX-License-Identifier: BSD-2-Clause
/*
 * RST tracing (tcp_trace, trace.c): with the tunable on, a connection that
 * ends by RST, received or sent, reports its last segments each way
 * through ops->trace; nothing otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine_helpers.h"

#define MSS 1460

static void tweak_trace(struct tunables *t)
{
	t->tcp_trace = 1;
}

static void contains(const char *line, const char *what)
{
	if (!strstr(line, what))
		fail_msg("'%s' not in '%s'", what, line);
}

static void off_by_default(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	h_feed(&h, "RA", 1, 1, 0, NULL, NULL, 0);
	assert_int_equal(tcb_take_error(h.tcb), ECONNRESET);
	assert_int_equal(h.ntrace, 0);
	h_fini(&h);
}

static void rst_received(void **state)
{
	struct harness h;
	char want[160];

	h_init_tun(&h, tweak_trace);
	h.now = 5 * SEC + 250;
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	h_advance(&h, 1000);
	h_feed(&h, "A", 1, 11, 65535, NULL, NULL, 0);
	h_feed(&h, "RA", 1, 11, 0, NULL, NULL, 0);
	assert_int_equal(tcb_take_error(h.tcb), ECONNRESET);
	/* A header, then SYN, SYN-ACK, ACK, data, ACK, RST in the order
	 * they came and went. */
	assert_int_equal(h.ntrace, 7);
	contains(h.trace[0],
		 "198.18.0.1.5000 - 198.18.0.2.40000 ended by RST received "
		 "in ESTABLISHED, error 104");
	snprintf(want, sizeof(want),
		 "  5.000250 out 198.18.0.1.5000 > 198.18.0.2.40000 S seq %u "
		 "ack 0 win 65535 urp 0 len 0",
		 h.iss);
	assert_string_equal(h.trace[1], want);
	snprintf(want, sizeof(want),
		 "  5.000250 in  198.18.0.2.40000 > 198.18.0.1.5000 SA seq %u "
		 "ack %u win 65535 urp 0 len 0",
		 h.pisn, h.iss + 1);
	assert_string_equal(h.trace[2], want);
	contains(h.trace[3], " out 198.18.0.1.5000 > 198.18.0.2.40000 A ");
	contains(h.trace[4], " out ");
	contains(h.trace[4], " PA ");
	contains(h.trace[4], " len 10");
	contains(h.trace[5], "  5.001250 in ");
	contains(h.trace[6], "  5.001250 in ");
	contains(h.trace[6], " RA ");
	contains(h.trace[6], " win 0 ");
	h_fini(&h);
}

static void rst_sent_keeps_the_last_eight(void **state)
{
	struct harness h;
	int outs = 0, ins = 0;

	h_init_tun(&h, tweak_trace);
	est_active(&h, NULL, MSS, 65535);
	for (uint32_t i = 0; i < 20; i++) {
		send_pat(&h, i, 1);
		h_expect(&h, "PA", 1 + i, 1, 1);
		h_advance(&h, 1000);
		h_feed(&h, "A", 1, 2 + i, 65535, NULL, NULL, 0);
	}
	h_expect_none(&h);
	eng_close(h.tcb, true, h.now);
	h_expect(&h, "RA", 21, 1, 0);
	h.tcb = NULL;
	assert_int_equal(h.ntrace, 1 + 8 + 8);
	contains(h.trace[0], "ended by RST sent in ESTABLISHED, error 0");
	for (int i = 1; i < h.ntrace; i++) {
		if (strstr(h.trace[i], " out "))
			outs++;
		else if (strstr(h.trace[i], " in "))
			ins++;
	}
	assert_int_equal(outs, 8);
	assert_int_equal(ins, 8);
	/* The last one is our RST; the oldest kept is data byte 14. */
	contains(h.trace[16], " out ");
	contains(h.trace[16], " RA ");
	contains(h.trace[1], " in ");
	h_fini(&h);
}

static void timeouts_and_normal_ends(void **state)
{
	struct harness h;
	struct sock_opts o;

	/* A retransmission abort ends with our RST: traced. */
	h_init_tun(&h, tweak_trace);
	eng_default_opts(h.eng, &o);
	o.abort_ms = 1000;
	est_active(&h, &o, MSS, 65535);
	send_pat(&h, 0, 5);
	h_expect(&h, "PA", 1, 1, 5);
	h_advance(&h, 2 * SEC);
	h_expect(&h, "PA", 1, 1, 5);
	h_expect(&h, "RA", 6, 1, 0);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	assert_int_equal(h.ntrace, 1 + 2 + 4);
	contains(h.trace[0], "ended by RST sent in ESTABLISHED, error 110");
	h_fini(&h);

	/* A graceful close: nothing. */
	h_init_tun(&h, tweak_trace);
	est_active(&h, NULL, MSS, 65535);
	eng_close(h.tcb, false, h.now);
	h.tcb = NULL;
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "FA", 1, 2, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 2, 2, 0);
	h_advance(&h, 120 * SEC);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	assert_int_equal(h.ntrace, 0);
	h_fini(&h);

	/* Refused (RST to our SYN): traced too. */
	h_init_tun(&h, tweak_trace);
	h_connect(&h);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "RA", 0, 1, 0, NULL, NULL, 0);
	assert_int_equal(tcb_take_error(h.tcb), ECONNREFUSED);
	assert_int_equal(h.ntrace, 3);
	contains(h.trace[0], "ended by RST received in SYN_SENT, error 111");
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off_by_default),
		cmocka_unit_test(rst_received),
		cmocka_unit_test(rst_sent_keeps_the_last_eight),
		cmocka_unit_test(timeouts_and_normal_ends),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
