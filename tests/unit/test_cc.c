// SPDX-License-Identifier: BSD-2-Clause
/*
 * Congestion control framework and NewReno: the registry, RFC 3390 initial
 * windows, RFC 5681 slow start and congestion avoidance, the responses to
 * each signal (RFC 5681 3.1/3.2, RFC 6582 3.2, RFC 3168 6.1.2), undo, idle
 * restart and saturation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "stack/cc/cc.h"

/* --- a test algorithm that records what the helpers call ----------------- */

static int n_init, n_avoid, n_signal, n_post, n_undo, n_idle, n_rtt, n_release;
static uint32_t last_acked, last_rtt, last_rw;
static enum cc_event last_ev;

static void reset_counts(void)
{
	n_init = n_avoid = n_signal = n_post = n_undo = n_idle = n_rtt = 0;
	n_release = 0;
	last_acked = last_rtt = last_rw = 0;
	last_ev = CC_EV_ACK;
}

static void t_init(struct cc_conn *c)
{
	n_init++;
}

static void t_avoid(struct cc_conn *c, uint32_t acked)
{
	n_avoid++;
	last_acked = acked;
}

static void t_signal(struct cc_conn *c, enum cc_event ev)
{
	n_signal++;
	last_ev = ev;
	c->ssthresh = 0; /* misbehaving: the helpers must clamp */
	c->cwnd = 0;
}

static void t_post(struct cc_conn *c)
{
	n_post++;
}

static void t_undo(struct cc_conn *c)
{
	n_undo++;
}

static void t_idle(struct cc_conn *c, uint32_t rw)
{
	n_idle++;
	last_rw = rw;
}

static void t_rtt(struct cc_conn *c, uint32_t rtt_us)
{
	n_rtt++;
	last_rtt = rtt_us;
}

static void t_release(struct cc_conn *c)
{
	n_release++;
}

static const struct cc_ops full_ops = {
	.name = "testfull",
	.init = t_init,
	.cong_avoid = t_avoid,
	.cong_signal = t_signal,
	.post_recovery = t_post,
	.undo = t_undo,
	.after_idle = t_idle,
	.rtt_sample = t_rtt,
	.release = t_release,
};

static const struct cc_ops min_ops = {
	.name = "testmin",
	.init = t_init,
	.cong_avoid = t_avoid,
	.cong_signal = t_signal,
};

static int setup(void **state)
{
	cc_registry_reset();
	reset_counts();
	return 0;
}

/* A NewReno connection with MSS 1000 and the given window state. */
static struct cc_conn nr(uint32_t cwnd, uint32_t ssthresh, uint32_t flight)
{
	struct cc_conn c;

	cc_conn_init(&c, cc_newreno(), 1000, cwnd);
	c.ssthresh = ssthresh;
	c.flight = flight;
	c.snd_una = 1000000;
	c.snd_nxt = c.snd_una + flight;
	return c;
}

/* --- registry ------------------------------------------------------------ */

static void register_missing_required(void **state)
{
	struct cc_ops o = min_ops;

	assert_int_equal(cc_register(NULL), -EINVAL);
	o = min_ops;
	o.init = NULL;
	assert_int_equal(cc_register(&o), -EINVAL);
	o = min_ops;
	o.cong_avoid = NULL;
	assert_int_equal(cc_register(&o), -EINVAL);
	o = min_ops;
	o.cong_signal = NULL;
	assert_int_equal(cc_register(&o), -EINVAL);
	o = min_ops;
	o.name = NULL;
	assert_int_equal(cc_register(&o), -EINVAL);
	assert_null(cc_find("testmin"));
	assert_int_equal(cc_list(NULL, 0), 1);
	/* Optional callbacks may all be missing. */
	assert_int_equal(cc_register(&min_ops), 0);
	assert_ptr_equal(cc_find("testmin"), &min_ops);
}

static void register_bad_names(void **state)
{
	static const char *const bad[] = {
		"",
		"sixteen_chars_xx",
		"way_too_long_for_a_name",
		"new reno",
		"a/b",
		"tab\t",
		"caf\xc3\xa9",
	};
	static struct cc_ops o, o2;

	o = min_ops;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.name = bad[i];
		assert_int_equal(cc_register(&o), -EINVAL);
	}
	o.name = "fifteen_chars_x"; /* exactly 15: the longest allowed */
	assert_int_equal(strlen(o.name), 15);
	assert_int_equal(cc_register(&o), 0);
	assert_non_null(cc_find("fifteen_chars_x"));
	/* A second ops struct: the registry keeps the pointer. */
	o2 = min_ops;
	o2.name = "a-b.c_D9";
	assert_int_equal(cc_register(&o2), 0);
	assert_ptr_equal(cc_find("a-b.c_D9"), &o2);
}

static void register_duplicate(void **state)
{
	struct cc_ops o = min_ops;

	assert_int_equal(cc_register(&min_ops), 0);
	assert_int_equal(cc_register(&min_ops), -EEXIST);
	/* Another ops struct with a taken name. */
	assert_int_equal(cc_register(&o), -EEXIST);
	o.name = "newreno";
	assert_int_equal(cc_register(&o), -EEXIST);
	assert_ptr_equal(cc_find("newreno"), cc_newreno());
	assert_int_equal(cc_list(NULL, 0), 2);
}

static void register_full(void **state)
{
	static struct cc_ops ops[CC_MAX_ALGOS + 1];
	static char names[CC_MAX_ALGOS + 1][CC_NAME_MAX];

	/* NewReno takes one of the CC_MAX_ALGOS (16) slots. */
	for (int i = 0; i <= CC_MAX_ALGOS; i++) {
		ops[i] = min_ops;
		snprintf(names[i], sizeof(names[i]), "algo%d", i);
		ops[i].name = names[i];
	}
	for (int i = 0; i < CC_MAX_ALGOS - 1; i++)
		assert_int_equal(cc_register(&ops[i]), 0);
	assert_int_equal(cc_list(NULL, 0), CC_MAX_ALGOS);
	assert_int_equal(cc_register(&ops[CC_MAX_ALGOS - 1]), -ENOSPC);
	/* A duplicate is still reported as such when full. */
	assert_int_equal(cc_register(&ops[0]), -EEXIST);
	/* And a bad one as invalid. */
	assert_int_equal(cc_register(NULL), -EINVAL);
	for (int i = 0; i < CC_MAX_ALGOS - 1; i++)
		assert_ptr_equal(cc_find(names[i]), &ops[i]);
	assert_null(cc_find(names[CC_MAX_ALGOS - 1]));
}

static void find_and_unknown(void **state)
{
	/* NewReno is there before cc_init_builtin(). */
	assert_non_null(cc_newreno());
	assert_ptr_equal(cc_find("newreno"), cc_newreno());
	assert_string_equal(cc_newreno()->name, "newreno");
	assert_null(cc_find("cubic_x"));
	assert_null(cc_find("NewReno")); /* names are case-sensitive */
	assert_null(cc_find("newren"));
	assert_null(cc_find("newreno2"));
	assert_null(cc_find(""));
	assert_null(cc_find(NULL));
	assert_int_equal(cc_register(&full_ops), 0);
	assert_ptr_equal(cc_find("testfull"), &full_ops);
}

static void list_names(void **state)
{
	const char *names[CC_MAX_ALGOS];

	cc_init_builtin(); /* newreno, cubic */
	assert_int_equal(cc_register(&min_ops), 0);
	assert_int_equal(cc_register(&full_ops), 0);
	assert_int_equal(cc_list(NULL, 0), 4);
	assert_int_equal(cc_list(names, 0), 4);
	assert_int_equal(cc_list(names, CC_MAX_ALGOS), 4);
	assert_string_equal(names[0], "newreno");
	assert_string_equal(names[1], "cubic");
	assert_string_equal(names[2], "testmin");
	assert_string_equal(names[3], "testfull");
	names[1] = NULL;
	assert_int_equal(cc_list(names, 1), 1);
	assert_string_equal(names[0], "newreno");
	assert_null(names[1]);
}

static void init_builtin_idempotent(void **state)
{
	cc_init_builtin();
	cc_init_builtin();
	assert_int_equal(cc_list(NULL, 0), 2); /* newreno, cubic */
	assert_ptr_equal(cc_find("newreno"), cc_newreno());
	cc_registry_reset();
	assert_int_equal(cc_register(&min_ops), 0);
	cc_init_builtin();
	assert_int_equal(cc_list(NULL, 0), 3);
}

/* --- initial window ------------------------------------------------------ */

static void initial_window_rfc3390(void **state)
{
	/* RFC 3390 1: min (4*MSS, max (2*MSS, 4380 bytes)) */
	assert_int_equal(cc_initial_window(536), 2144); /* 4 segments */
	assert_int_equal(cc_initial_window(1460), 4380); /* 3 segments */
	assert_int_equal(cc_initial_window(2190), 4380); /* 2 segments */
	assert_int_equal(cc_initial_window(4000), 8000); /* 2*MSS */
	assert_int_equal(cc_initial_window(9000), 18000);
	assert_int_equal(cc_initial_window(1095), 4380); /* 4*1095 */
	assert_int_equal(cc_initial_window(1094), 4376);
	assert_int_equal(cc_initial_window(UINT32_MAX), UINT32_MAX);
	assert_int_equal(cc_initial_window(0x80000000u), UINT32_MAX);
}

static void conn_init_defaults(void **state)
{
	struct cc_conn c;

	memset(&c, 0xa5, sizeof(c));
	cc_conn_init(&c, NULL, 1460, 0);
	assert_ptr_equal(c.ops, cc_newreno());
	assert_int_equal(c.smss, 1460);
	assert_int_equal(c.cwnd, 4380);
	assert_int_equal(c.ssthresh, UINT32_MAX);
	assert_int_equal(c.flight, 0);
	assert_int_equal(c.prior_cwnd, 0);
	assert_false(c.in_recovery);
	for (int i = 0; i < CC_PRIV_SIZE / 8; i++)
		assert_int_equal(c.priv[i], 0);

	cc_conn_init(&c, cc_newreno(), 1460, 10 * 1460);
	assert_int_equal(c.cwnd, 14600);
	/* Never below one SMSS. */
	cc_conn_init(&c, cc_newreno(), 1460, 100);
	assert_int_equal(c.cwnd, 1460);
	/* MSS 0 is the RFC 9293 default of 536. */
	cc_conn_init(&c, cc_newreno(), 0, 0);
	assert_int_equal(c.smss, 536);
	assert_int_equal(c.cwnd, 2144);

	cc_conn_init(&c, &full_ops, 1460, 0);
	assert_int_equal(n_init, 1);
	assert_ptr_equal(c.ops, &full_ops);
	cc_conn_release(&c);
	assert_int_equal(n_release, 1);
}

/* --- slow start and congestion avoidance --------------------------------- */

static void slow_start_exact(void **state)
{
	struct cc_conn c;

	cc_conn_init(&c, cc_newreno(), 1460, 0);
	assert_int_equal(c.cwnd, 4380);
	cc_on_ack(&c, 1460);
	assert_int_equal(c.cwnd, 5840);
	/* L = 1*SMSS: a delayed ACK for two segments adds one SMSS. */
	cc_on_ack(&c, 2920);
	assert_int_equal(c.cwnd, 7300);
	/* A small ACK adds what it acknowledged (eq. 2: min (N, SMSS)). */
	cc_on_ack(&c, 100);
	assert_int_equal(c.cwnd, 7400);
	cc_on_ack(&c, 0);
	assert_int_equal(c.cwnd, 7400);

	/* One ACK per segment doubles cwnd per round trip. */
	cc_conn_init(&c, cc_newreno(), 1000, 2000);
	for (int round = 0; round < 8; round++) {
		uint32_t start = c.cwnd;

		for (uint32_t i = 0; i < start / 1000; i++)
			cc_on_ack(&c, 1000);
		assert_int_equal(c.cwnd, 2 * start);
	}
	assert_int_equal(c.cwnd, 512000);

	/* Slow start while cwnd < ssthresh, may overshoot by < 1 SMSS, then
	 * congestion avoidance. */
	c = nr(9500, 10000, 0);
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 10500);
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 10500);
	/* cwnd == ssthresh is congestion avoidance. */
	c = nr(10000, 10000, 0);
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 10000);
}

static void cong_avoid_one_smss_per_window(void **state)
{
	struct cc_conn c = nr(10000, 10000, 0);

	/* 200 rounds, each acking exactly cwnd bytes one segment at a time
	 * (the last ACK of a round may be short): exactly +1 SMSS each. */
	for (uint32_t round = 1; round <= 200; round++) {
		uint32_t left = c.cwnd, start = c.cwnd;

		while (left) {
			uint32_t a = left < 1000 ? left : 1000;

			cc_on_ack(&c, a);
			left -= a;
			/* No growth before the window is fully acked. */
			if (left)
				assert_int_equal(c.cwnd, start);
		}
		assert_int_equal(c.cwnd, 10000 + round * 1000);
	}

	/* Irregular ACK sizes: the byte counter carries the remainder, so
	 * growth matches an exact reference model over many rounds. */
	c = nr(14600, 14600, 0);
	c.smss = 1460;
	uint64_t counter = 0, ref = 14600, total = 0;
	uint32_t sizes[] = { 1460, 2920, 700, 1460, 4380, 1, 1459, 2920 };

	for (int i = 0; i < 20000; i++) {
		uint32_t a = sizes[i % 8], before = c.cwnd;

		cc_on_ack(&c, a);
		total += a;
		counter += a;
		if (counter >= ref) {
			counter -= ref;
			ref += 1460;
		}
		assert_int_equal(c.cwnd, ref);
		/* At most one SMSS per ACK (RFC 5681 3.1). */
		assert_true(c.cwnd - before <= 1460);
	}
	/* Against a floating-point model: dW/dB = SMSS/W, so
	 * W(B)^2 = W0^2 + 2*SMSS*B; the per-window steps stay within a
	 * couple of SMSS of the continuous curve. */
	double w = 14600.0, sq = w * w + 2.0 * 1460.0 * (double)total;
	double wf = w;

	for (int i = 0; i < 100; i++) /* Newton: wf = sqrt(sq) */
		wf = (wf + sq / wf) / 2;
	assert_true((double)c.cwnd > wf - 2 * 1460.0);
	assert_true((double)c.cwnd < wf + 2 * 1460.0);
}

static void no_growth_in_recovery(void **state)
{
	struct cc_conn c = nr(10000, 20000, 10000);

	c.in_recovery = true;
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 10000);
	c.in_recovery = false;
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 11000);

	/* The framework calls cong_avoid outside recovery only. */
	cc_conn_init(&c, &full_ops, 1000, 0);
	c.in_recovery = true;
	cc_on_ack(&c, 1000);
	assert_int_equal(n_avoid, 0);
	c.in_recovery = false;
	cc_on_ack(&c, 1234);
	assert_int_equal(n_avoid, 1);
	assert_int_equal(last_acked, 1234);
}

/* --- congestion signals -------------------------------------------------- */

static void signal_dupack(void **state)
{
	struct cc_conn c = nr(20000, UINT32_MAX, 20000);

	cc_on_signal(&c, CC_EV_DUPACK);
	/* RFC 5681 eq. 4 and 3.2 step 2 */
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.cwnd, 13000);
	assert_int_equal(c.prior_cwnd, 20000);
	assert_int_equal(c.prior_ssthresh, UINT32_MAX);

	/* FlightSize, not cwnd (RFC 5681 3.1 implementation note). */
	c = nr(20000, UINT32_MAX, 9001);
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 4500);
	assert_int_equal(c.cwnd, 7500);

	/* Floor of 2*SMSS. */
	c = nr(20000, UINT32_MAX, 3000);
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.cwnd, 5000);

	/* Recovery window arithmetic for the engine. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_DUPACK);
	c.in_recovery = true;
	cc_recovery_dupack(&c); /* RFC 5681 3.2 step 4 */
	assert_int_equal(c.cwnd, 14000);
	cc_recovery_partial_ack(&c, 3000); /* RFC 6582 3.2 step 5 */
	assert_int_equal(c.cwnd, 12000);
	cc_recovery_partial_ack(&c, 999); /* less than SMSS: no add-back */
	assert_int_equal(c.cwnd, 11001);
	cc_recovery_partial_ack(&c, 50000);
	assert_int_equal(c.cwnd, 1000); /* never below one SMSS */
}

static void post_recovery_rfc6582(void **state)
{
	struct cc_conn c = nr(20000, UINT32_MAX, 20000);

	cc_on_signal(&c, CC_EV_DUPACK);
	/* Full ACK with a lot still in flight: cwnd = ssthresh. */
	c.flight = 15000;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 10000);
	assert_int_equal(c.ssthresh, 10000);

	/* Little in flight: max (FlightSize, SMSS) + SMSS, no burst. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_DUPACK);
	c.flight = 4000;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 5000);
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_DUPACK);
	c.flight = 0;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 2000);

	/* An algorithm without post_recovery: deflate to ssthresh. */
	cc_conn_init(&c, &min_ops, 1000, 30000);
	c.ssthresh = 7000;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 7000);
	cc_conn_init(&c, &full_ops, 1000, 30000);
	cc_on_exit_recovery(&c);
	assert_int_equal(n_post, 1);
	assert_int_equal(c.cwnd, 30000);
}

static void signal_ecn(void **state)
{
	struct cc_conn c = nr(20000, UINT32_MAX, 20000);

	cc_on_signal(&c, CC_EV_ECN);
	/* RFC 3168 6.1.2: halve, as for a loss, no inflation. */
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.cwnd, 10000);
	assert_int_equal(c.prior_cwnd, 20000);
	assert_int_equal(c.prior_ssthresh, UINT32_MAX);

	/* Once per window: more ECEs before snd_nxt at the reduction has
	 * been passed are ignored, and cwnd does not grow meanwhile. */
	c.flight = 10000;
	c.snd_una += 10000;
	cc_on_ack(&c, 10000);
	assert_int_equal(c.cwnd, 10000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.cwnd, 10000);
	assert_int_equal(c.ssthresh, 10000);
	/* The whole window at the reduction acked: the ECE may still be
	 * the receiver repeating itself until it sees CWR. */
	c.flight = 0;
	c.snd_una += 10000;
	assert_int_equal(c.snd_una, c.snd_nxt);
	cc_on_ack(&c, 10000);
	assert_int_equal(c.cwnd, 10000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.cwnd, 10000);
	/* Data sent after the reduction (with CWR) is acked: over. */
	c.snd_nxt += 10000;
	c.snd_una += 1000;
	c.flight = 9000;
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 10000); /* CA byte counter: 1000 of 10000 */
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 4500);
	assert_int_equal(c.cwnd, 4500);
	assert_int_equal(c.prior_cwnd, 10000);
	assert_int_equal(c.prior_ssthresh, 10000);

	/* Ignored in fast recovery. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_DUPACK);
	c.in_recovery = true;
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.cwnd, 13000);
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.prior_cwnd, 20000);

	/* Never raises cwnd: with cwnd of one SMSS it stays one SMSS. */
	c = nr(1000, UINT32_MAX, 1000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.cwnd, 1000);

	/* Ignored after an RTO until new data is acked. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_RTO);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.prior_cwnd, 20000);
	c.snd_una += 1000;
	c.flight = 1000;
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 2000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.cwnd, 2000);

	/* A loss in the ECN window still reduces (fast recovery). */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_ECN);
	c.flight = 10000;
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 5000);
	assert_int_equal(c.cwnd, 8000);
}

static void signal_rto(void **state)
{
	struct cc_conn c = nr(20000, 30000, 20000);

	cc_on_signal(&c, CC_EV_RTO);
	/* RFC 5681 3.1 eq. 4, loss window of one SMSS */
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.prior_cwnd, 20000);
	assert_int_equal(c.prior_ssthresh, 30000);

	/* Backed-off timeout of the same segment: ssthresh held, prior_*
	 * kept for undo. */
	c.flight = 1000;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.ssthresh, 10000);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.prior_cwnd, 20000);
	assert_int_equal(c.prior_ssthresh, 30000);

	/* Then slow start up to ssthresh. */
	c.snd_una += 1000;
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, 2000);
	/* A new segment times out: a fresh reduction. */
	c.flight = 2000;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.prior_cwnd, 2000);
	assert_int_equal(c.prior_ssthresh, 10000);

	/* snd_una moved even without cc_on_ack (e.g. in recovery). */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_RTO);
	c.snd_una += 5000;
	c.flight = 8000;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.ssthresh, 4000);
	assert_int_equal(c.prior_cwnd, 1000);

	/* CC_EV_ACK is not a signal. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_ACK);
	assert_int_equal(c.cwnd, 20000);
	assert_int_equal(c.ssthresh, UINT32_MAX);
}

static void undo_spurious_rto(void **state)
{
	struct cc_conn c = nr(20000, 30000, 20000);

	cc_on_signal(&c, CC_EV_RTO);
	cc_on_signal(&c, CC_EV_RTO); /* backed off */
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 20000);
	assert_int_equal(c.ssthresh, 30000);

	/* From slow start: ssthresh goes back to "arbitrarily high". */
	c = nr(8000, UINT32_MAX, 8000);
	cc_on_signal(&c, CC_EV_RTO);
	c.snd_una += 1000;
	cc_on_ack(&c, 1000); /* cwnd 2000 */
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 8000);
	assert_int_equal(c.ssthresh, UINT32_MAX);

	/* Undo never lowers. */
	c = nr(20000, 30000, 20000);
	cc_on_signal(&c, CC_EV_RTO);
	c.cwnd = 25000;
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 25000);
	assert_int_equal(c.ssthresh, 30000);

	/* Without a previous reduction: nothing to undo. */
	c = nr(20000, 30000, 20000);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 20000);
	assert_int_equal(c.ssthresh, 30000);

	/* Undo after a fast retransmit too. */
	c = nr(20000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_DUPACK);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 20000);
	assert_int_equal(c.ssthresh, UINT32_MAX);

	/* An algorithm's own undo replaces the default. */
	cc_conn_init(&c, &full_ops, 1000, 20000);
	c.ssthresh = 30000;
	c.flight = 20000;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(n_signal, 1);
	assert_int_equal(last_ev, CC_EV_RTO);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(n_undo, 1);
	assert_int_equal(n_signal, 1);
	assert_int_equal(c.cwnd, 1000); /* t_undo restores nothing */
}

static void helpers_clamp_algorithms(void **state)
{
	struct cc_conn c;

	/* t_signal sets cwnd and ssthresh to 0. */
	cc_conn_init(&c, &full_ops, 1000, 20000);
	c.flight = 20000;
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(last_ev, CC_EV_DUPACK);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.prior_cwnd, 20000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(last_ev, CC_EV_ECN);
	assert_int_equal(n_signal, 2);
	cc_on_signal(&c, CC_EV_ACK);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(n_signal, 2);
}

static void idle_restart(void **state)
{
	struct cc_conn c = nr(50000, 40000, 0);

	/* RFC 5681 4.1: cwnd = RW = min (IW, cwnd) */
	cc_on_idle_restart(&c, cc_initial_window(1000));
	assert_int_equal(c.cwnd, 4000);
	assert_int_equal(c.ssthresh, 40000);
	cc_on_idle_restart(&c, 10000);
	assert_int_equal(c.cwnd, 4000);
	cc_on_idle_restart(&c, 0);
	assert_int_equal(c.cwnd, 1000);

	cc_conn_init(&c, &full_ops, 1000, 50000);
	cc_on_idle_restart(&c, 4000);
	assert_int_equal(n_idle, 1);
	assert_int_equal(last_rw, 4000);
	assert_int_equal(c.cwnd, 50000);
}

static void rtt_samples(void **state)
{
	struct cc_conn c;

	cc_conn_init(&c, &full_ops, 1000, 0);
	cc_on_rtt(&c, 5000);
	assert_int_equal(c.min_rtt_us, 5000);
	assert_int_equal(n_rtt, 1);
	assert_int_equal(last_rtt, 5000);
	cc_on_rtt(&c, 7000);
	assert_int_equal(c.min_rtt_us, 5000);
	cc_on_rtt(&c, 3000);
	assert_int_equal(c.min_rtt_us, 3000);
	cc_on_rtt(&c, 0);
	assert_int_equal(c.min_rtt_us, 1);
	assert_int_equal(last_rtt, 1);
	/* NewReno has no rtt_sample: the helper copes. */
	c = nr(10000, 10000, 0);
	cc_on_rtt(&c, 2500);
	assert_int_equal(c.min_rtt_us, 2500);
}

static void switch_algorithm(void **state)
{
	struct cc_conn c;

	cc_conn_init(&c, &full_ops, 1000, 0);
	c.cwnd = 33000;
	c.ssthresh = 22000;
	c.priv[0] = 42;
	cc_conn_set_ops(&c, NULL);
	assert_int_equal(n_release, 1);
	assert_ptr_equal(c.ops, cc_newreno());
	assert_int_equal(c.priv[0], 0);
	assert_int_equal(c.cwnd, 33000);
	assert_int_equal(c.ssthresh, 22000);
	cc_conn_set_ops(&c, &full_ops);
	assert_int_equal(n_init, 2);
	assert_int_equal(n_release, 1);
}

/* --- saturation ---------------------------------------------------------- */

static void no_overflow(void **state)
{
	struct cc_conn c;

	/* Slow start at the top. */
	c = nr(UINT32_MAX - 10, UINT32_MAX, 0);
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, UINT32_MAX);
	cc_on_ack(&c, 1000);
	assert_int_equal(c.cwnd, UINT32_MAX);
	/* Congestion avoidance at the top. */
	c = nr(UINT32_MAX - 500, 1000, 0);
	for (int i = 0; i < 4; i++)
		cc_on_ack(&c, UINT32_MAX);
	assert_int_equal(c.cwnd, UINT32_MAX);
	for (int i = 0; i < 100; i++)
		cc_on_ack(&c, 1 << 30);
	assert_int_equal(c.cwnd, UINT32_MAX);

	/* Signals with the largest flight. */
	c = nr(UINT32_MAX, UINT32_MAX, UINT32_MAX);
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, UINT32_MAX / 2);
	assert_int_equal(c.cwnd, UINT32_MAX / 2 + 3000);
	for (int i = 0; i < 10; i++)
		cc_recovery_dupack(&c);
	assert_int_equal(c.cwnd, UINT32_MAX / 2 + 13000);
	c.cwnd = UINT32_MAX - 1;
	cc_recovery_dupack(&c);
	assert_int_equal(c.cwnd, UINT32_MAX);
	c.flight = UINT32_MAX;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, UINT32_MAX / 2);

	/* Absurd MSS: every multiple of it saturates. */
	cc_conn_init(&c, cc_newreno(), 0x7fffffffu, 0);
	assert_int_equal(c.cwnd, 0xfffffffeu); /* 2*MSS */
	c.flight = UINT32_MAX;
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 0xfffffffeu); /* 2*SMSS */
	assert_int_equal(c.cwnd, UINT32_MAX);
	c.flight = UINT32_MAX;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 0xfffffffeu);
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.cwnd, 0x7fffffffu);
	cc_on_ack(&c, UINT32_MAX); /* slow start: + min (N, SMSS) */
	assert_int_equal(c.cwnd, 0xfffffffeu);
	cc_conn_init(&c, cc_newreno(), UINT32_MAX, 0);
	c.flight = 12345;
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, UINT32_MAX);
	assert_int_equal(c.cwnd, UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(register_missing_required, setup),
		cmocka_unit_test_setup(register_bad_names, setup),
		cmocka_unit_test_setup(register_duplicate, setup),
		cmocka_unit_test_setup(register_full, setup),
		cmocka_unit_test_setup(find_and_unknown, setup),
		cmocka_unit_test_setup(list_names, setup),
		cmocka_unit_test_setup(init_builtin_idempotent, setup),
		cmocka_unit_test_setup(initial_window_rfc3390, setup),
		cmocka_unit_test_setup(conn_init_defaults, setup),
		cmocka_unit_test_setup(slow_start_exact, setup),
		cmocka_unit_test_setup(cong_avoid_one_smss_per_window, setup),
		cmocka_unit_test_setup(no_growth_in_recovery, setup),
		cmocka_unit_test_setup(signal_dupack, setup),
		cmocka_unit_test_setup(post_recovery_rfc6582, setup),
		cmocka_unit_test_setup(signal_ecn, setup),
		cmocka_unit_test_setup(signal_rto, setup),
		cmocka_unit_test_setup(undo_spurious_rto, setup),
		cmocka_unit_test_setup(helpers_clamp_algorithms, setup),
		cmocka_unit_test_setup(idle_restart, setup),
		cmocka_unit_test_setup(rtt_samples, setup),
		cmocka_unit_test_setup(switch_algorithm, setup),
		cmocka_unit_test_setup(no_overflow, setup),
	};

	return cmocka_run_group_tests_name("cc", tests, NULL, NULL);
}
