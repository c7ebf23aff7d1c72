// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUBIC (RFC 9438): registration; the fixed-point cube root, K and W_cubic
 * against a double-precision reference written here; cwnd trajectories
 * against a floating-point model of the RFC's per-ACK rules; the exact
 * window after each event; fast convergence; the Reno-friendly region;
 * saturation at extreme windows and times.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "stack/cc/cc.h"
#include "stack/cc/cubic.h"

/* --- the double-precision reference -------------------------------------- */

#define REF_C 0.4
#define REF_BETA 0.7
#define REF_ALPHA (3.0 * (1.0 - REF_BETA) / (1.0 + REF_BETA))

static double ref_abs(double x)
{
	return x < 0 ? -x : x;
}

/* cbrt without libm: Newton's method from a power-of-two guess */
static double ref_cbrt(double x)
{
	double y = 1;

	if (x <= 0)
		return 0;
	while (y * y * y < x)
		y *= 2;
	for (int i = 0; i < 200; i++) {
		double n = y - (y * y * y - x) / (3 * y * y);

		if (ref_abs(n - y) <= 1e-15 * y)
			break;
		y = n;
	}
	return y;
}

/* RFC 9438 4.2 eq. 2, seconds; windows in bytes */
static double ref_k(double w_max, double cwnd_epoch, double smss)
{
	if (cwnd_epoch >= w_max)
		return 0;
	return ref_cbrt((w_max - cwnd_epoch) / smss / REF_C);
}

/* RFC 9438 4.2 eq. 1, bytes, clamped to what a uint32_t holds */
static double ref_w(double t, double k, double w_max, double smss)
{
	double w = (REF_C * (t - k) * (t - k) * (t - k)) * smss + w_max;

	if (w < 0)
		return 0;
	if (w > UINT32_MAX)
		return UINT32_MAX;
	return w;
}

/*
 * The RFC's congestion avoidance per ACK in doubles (RFC 9438 4.2-4.5),
 * byte-counted as cubic.c does: W_est += alpha * acked * SMSS / cwnd;
 * Reno-friendly if W_cubic(t) < W_est; otherwise cwnd grows by
 * (target - cwnd) * acked / cwnd with target = W_cubic(t + RTT) in
 * [cwnd, 1.5 cwnd].
 */
struct ref_cubic {
	double cwnd, ssthresh, smss, w_max, k, w_est, cwnd_prior;
	double epoch; /* s; < 0: no epoch */
};

static void ref_ack(struct ref_cubic *r, double now, double rtt, double acked)
{
	double t, w_t, target;

	if (r->cwnd < r->ssthresh) {
		r->cwnd += acked < r->smss ? acked : r->smss;
		return;
	}
	if (r->epoch < 0) {
		r->epoch = now;
		if (r->w_max <= r->cwnd) {
			r->w_max = r->cwnd;
			r->k = 0;
		} else {
			r->k = ref_k(r->w_max, r->cwnd, r->smss);
		}
		r->w_est = r->cwnd;
	}
	t = now - r->epoch;
	r->w_est += (r->w_est >= r->cwnd_prior ? 1.0 : REF_ALPHA) * acked *
		    r->smss / r->cwnd;
	w_t = ref_w(t, r->k, r->w_max, r->smss);
	if (w_t < r->w_est) {
		if (r->w_est > r->cwnd)
			r->cwnd = r->w_est;
		return;
	}
	target = ref_w(t + rtt, r->k, r->w_max, r->smss);
	if (target > 1.5 * r->cwnd)
		target = 1.5 * r->cwnd;
	if (target > r->cwnd)
		r->cwnd += (target - r->cwnd) * acked / r->cwnd;
}

/* RFC 9438 4.6/4.7, then RFC 6582 3.2 step 3 at the end of recovery */
static void ref_loss(struct ref_cubic *r, double flight)
{
	r->cwnd_prior = r->cwnd;
	r->w_max = r->cwnd < r->w_max ? r->cwnd * (1 + REF_BETA) / 2 : r->cwnd;
	r->ssthresh = (double)(uint64_t)(flight * 7 / 10); /* as bytes */
	r->cwnd = r->ssthresh;
	r->epoch = -1;
}

/* --- helpers ------------------------------------------------------------- */

static int setup(void **state)
{
	cc_registry_reset();
	cc_init_builtin();
	return 0;
}

static const struct cc_ops *cubic(void)
{
	const struct cc_ops *o = cc_find("cubic");

	assert_non_null(o);
	return o;
}

/* A CUBIC connection with the given SMSS and window state. */
static struct cc_conn cu(uint32_t smss, uint32_t cwnd, uint32_t ssthresh,
			 uint32_t flight)
{
	struct cc_conn c;

	cc_conn_init(&c, cubic(), smss, cwnd);
	c.ssthresh = ssthresh;
	c.flight = flight;
	c.snd_una = 1000000;
	c.snd_nxt = c.snd_una + flight;
	c.srtt_us = 100000;
	c.min_rtt_us = 100000;
	return c;
}

/* One ACK of 'acked' bytes at time now, the sender cwnd-limited. */
static void ack_at(struct cc_conn *c, uint64_t now, uint32_t acked)
{
	c->now_us = now;
	c->snd_una += acked;
	c->flight = c->cwnd > acked ? c->cwnd - acked : 0;
	c->snd_nxt = c->snd_una + c->flight;
	cc_on_ack(c, acked);
}

/* A fast retransmit and its recovery, ending with cwnd = ssthresh. */
static void loss_at(struct cc_conn *c, uint64_t now)
{
	c->now_us = now;
	c->flight = c->cwnd;
	c->snd_nxt = c->snd_una + c->flight;
	cc_on_signal(c, CC_EV_DUPACK);
	c->in_recovery = true;
	c->snd_una += c->flight; /* the full ACK */
	c->flight = c->ssthresh;
	c->in_recovery = false;
	cc_on_exit_recovery(c);
}

/* --- registration -------------------------------------------------------- */

static void registered(void **state)
{
	const struct cc_ops *o = cubic();
	const char *names[CC_MAX_ALGOS];
	int n = cc_list(names, CC_MAX_ALGOS);
	bool listed = false;

	assert_string_equal(o->name, "cubic");
	assert_non_null(o->init);
	assert_non_null(o->cong_avoid);
	assert_non_null(o->cong_signal);
	assert_non_null(o->post_recovery);
	assert_non_null(o->undo);
	assert_non_null(o->after_idle);
	assert_ptr_not_equal(o, cc_newreno());
	for (int i = 0; i < n; i++)
		listed |= strcmp(names[i], "cubic") == 0;
	assert_true(listed);
	/* Idempotent, and back after a reset. */
	cc_init_builtin();
	assert_int_equal(cc_list(NULL, 0), n);
	cc_registry_reset();
	assert_null(cc_find("cubic"));
	cc_init_builtin();
	assert_ptr_equal(cc_find("cubic"), o);
	assert_null(cc_find("CUBIC"));
}

static void init_state(void **state)
{
	struct cc_conn c;

	cc_conn_init(&c, cubic(), 1460, 0);
	assert_int_equal(c.cwnd, 4380); /* RFC 3390 */
	assert_int_equal(c.ssthresh, UINT32_MAX);
	assert_int_equal(cubic_w_max(&c), 0);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	/* Slow start as RFC 5681 3.1 eq. 2. */
	c.flight = c.cwnd;
	ack_at(&c, 1000, 1460);
	assert_int_equal(c.cwnd, 4380 + 1460);
	ack_at(&c, 2000, 2920);
	assert_int_equal(c.cwnd, 4380 + 2 * 1460);
	ack_at(&c, 3000, 100);
	assert_int_equal(c.cwnd, 4380 + 2 * 1460 + 100);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
}

/* --- fixed-point arithmetic against the reference ------------------------ */

static void icbrt_exact(void **state)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	assert_int_equal(cubic_icbrt(0), 0);
	assert_int_equal(cubic_icbrt(1), 1);
	assert_int_equal(cubic_icbrt(7), 1);
	assert_int_equal(cubic_icbrt(8), 2);
	assert_int_equal(cubic_icbrt(26), 2);
	assert_int_equal(cubic_icbrt(27), 3);
	assert_int_equal(cubic_icbrt(UINT64_MAX), 2642245);
	/* Every n^3 - 1, n^3, n^3 + 1 up to the largest root. */
	for (uint64_t n = 2; n <= 2642245; n++) {
		uint64_t n3 = n * n * n;

		if (cubic_icbrt(n3) != n || cubic_icbrt(n3 - 1) != n - 1 ||
		    (n < 2642245 && cubic_icbrt(n3 + 1) != n))
			fail_msg("icbrt wrong near %" PRIu64 "^3", n);
	}
	/* Random values: r^3 <= x < (r + 1)^3. */
	for (int i = 0; i < 1000000; i++) {
		uint64_t x, r;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		x = s >> (s & 63);
		r = cubic_icbrt(x);
		assert_true(r * r * r <= x);
		if (r < 2642245)
			assert_true((r + 1) * (r + 1) * (r + 1) > x);
	}
}

static const uint32_t smss_set[] = { 536, 1000, 1460, 8960, 65535 };
static const double w_max_segs[] = { 10,    11,	   17,	  33,	 64,
				     100,   317,   1000,  3333,	 10000,
				     31623, 65536, 99999, 100000 };

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * K: floor of the exact cube root in ticks, so never more than one tick
 * (1/1024 s) short, and never long; the floor of the argument adds less.
 */
static void k_against_reference(void **state)
{
	double worst = 0;

	for (size_t i = 0; i < N_ELEMS(smss_set); i++) {
		for (size_t j = 0; j < N_ELEMS(w_max_segs); j++) {
			uint32_t smss = smss_set[i];
			double wm = w_max_segs[j] * smss;
			uint32_t w_max, epoch, k;
			double ref, err;

			if (wm > UINT32_MAX)
				continue;
			w_max = (uint32_t)wm;
			/* after a loss: cwnd_epoch = beta * W_max */
			epoch = (uint32_t)(w_max * 7ull / 10);
			k = cubic_k_ticks(w_max, epoch, smss);
			ref = ref_k(w_max, epoch, smss);
			err = ref - (double)k / CUBIC_HZ;
			assert_true(err >= 0);
			assert_true(err < 1.0 / CUBIC_HZ);
			if (err > worst)
				worst = err;
			/* other epochs: half of W_max, one segment */
			k = cubic_k_ticks(w_max, w_max / 2, smss);
			err = ref_k(w_max, w_max / 2, smss) -
			      (double)k / CUBIC_HZ;
			assert_true(err >= 0 && err < 1.0 / CUBIC_HZ);
			k = cubic_k_ticks(w_max, smss, smss);
			err = ref_k(w_max, smss, smss) - (double)k / CUBIC_HZ;
			assert_true(err >= 0 && err < 1.0 / CUBIC_HZ);
		}
	}
	/* No K when cwnd_epoch is at or beyond W_max. */
	assert_int_equal(cubic_k_ticks(10000, 10000, 1000), 0);
	assert_int_equal(cubic_k_ticks(10000, 20000, 1000), 0);
	/* RFC 9438 4.2 example-like check: W_max 100 segments, beta 0.7:
	 * K = cbrt(30 / 0.4) = cbrt(75) = 4.2172 s. */
	assert_int_equal(cubic_k_ticks(100000, 70000, 1000),
			 (uint32_t)(ref_cbrt(75.0) * CUBIC_HZ));
	print_message("K: worst error %.3f ms (bound 1 tick = 0.977 ms)\n",
		      worst * 1e3);
}

/*
 * W_cubic over W_max 10..100000 segments, t 0..100 s, five SMSS: the
 * fixed-point value (with the fixed-point K) is within one SMSS or 0.1 %
 * of the exact one, whichever is larger. The measured worst cases are
 * printed.
 */
static void w_cubic_against_reference(void **state)
{
	double worst_rel = 0, worst_seg = 0;
	uint64_t points = 0;

	for (size_t i = 0; i < N_ELEMS(smss_set); i++) {
		for (size_t j = 0; j < N_ELEMS(w_max_segs); j++) {
			uint32_t smss = smss_set[i];
			double wm = w_max_segs[j] * smss;
			uint32_t w_max, epoch, k;
			double kr;

			if (wm > UINT32_MAX)
				continue;
			w_max = (uint32_t)wm;
			epoch = (uint32_t)(w_max * 7ull / 10);
			k = cubic_k_ticks(w_max, epoch, smss);
			kr = ref_k(w_max, epoch, smss);
			/* 0..100 s in steps of 1.234567 ms, plus exact
			 * seconds */
			for (uint64_t t = 0; t <= 100000000; t += 1234) {
				double ref = ref_w(t / 1e6, kr, w_max, smss);
				double got = cubic_w_cubic(t, k, w_max, smss);
				double err = ref_abs(got - ref);
				double seg = err / smss,
				       rel = ref > 0 ? err / ref : 0;

				points++;
				if (err > smss && rel > 1e-3)
					fail_msg("W_cubic(%.6f s) W_max %u "
						 "smss %u: %.0f, want %.0f",
						 t / 1e6, w_max, smss, got,
						 ref);
				if (seg > worst_seg)
					worst_seg = seg;
				if (rel > worst_rel)
					worst_rel = rel;
			}
		}
	}
	print_message("W_cubic: %" PRIu64 " points, worst error %.3f SMSS, "
		      "worst relative error %.4f %% (bound: max(1 SMSS, "
		      "0.1 %%))\n",
		      points, worst_seg, worst_rel * 100);
}

/* W_cubic's shape: W_max at t = K, concave before, convex after, and
 * C * K^3 segments below W_max at t = 0 (= W_max - cwnd_epoch). */
static void w_cubic_shape(void **state)
{
	uint32_t smss = 1000, w_max = 100000, k;

	k = cubic_k_ticks(w_max, 70000, smss);
	assert_int_equal(cubic_w_cubic((uint64_t)k * 1000000 / CUBIC_HZ, k,
				       w_max, smss),
			 w_max);
	assert_in_range(cubic_w_cubic(0, k, w_max, smss), 69990, 70010);
	/* monotonic non-decreasing */
	for (uint64_t t = 0, last = 0; t < 20000000; t += 997) {
		uint32_t w = cubic_w_cubic(t, k, w_max, smss);

		assert_true(w >= last);
		last = w;
	}
	/* K = 0 (after a timeout): starts at W_max, convex */
	assert_int_equal(cubic_w_cubic(0, 0, 50000, 1000), 50000);
	assert_in_range(cubic_w_cubic(1000000, 0, 50000, 1000), 50399, 50400);
	assert_in_range(cubic_w_cubic(10000000, 0, 50000, 1000), 449999,
			450000);
}

/* --- the window after each event ----------------------------------------- */

static void event_dupack(void **state)
{
	struct cc_conn c = cu(1000, 100000, 50000, 100000);

	cc_on_signal(&c, CC_EV_DUPACK);
	/* RFC 9438 4.6: ssthresh = flight * 0.7; fast recovery inflated by
	 * three segments (RFC 5681 3.2 step 2). */
	assert_int_equal(c.ssthresh, 70000);
	assert_int_equal(c.cwnd, 73000);
	assert_int_equal(c.prior_cwnd, 100000);
	assert_int_equal(c.prior_ssthresh, 50000);
	assert_int_equal(cubic_w_max(&c), 100000);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	/* ssthresh from the flight size, not cwnd */
	c = cu(1000, 100000, 50000, 60000);
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 42000);
	assert_int_equal(c.cwnd, 45000);
	assert_int_equal(cubic_w_max(&c), 100000);
	/* Floor of 2 SMSS (RFC 9438 4.6, RFC 5681 eq. 4) */
	c = cu(1460, 10000, 5000, 2000);
	cc_on_signal(&c, CC_EV_DUPACK);
	assert_int_equal(c.ssthresh, 2920);
	assert_int_equal(c.cwnd, 2920 + 3 * 1460);

	/* Recovery ends: cwnd = min(ssthresh, max(flight, SMSS) + SMSS) */
	c = cu(1000, 100000, 50000, 100000);
	cc_on_signal(&c, CC_EV_DUPACK);
	c.in_recovery = true;
	cc_recovery_dupack(&c);
	assert_int_equal(c.cwnd, 74000);
	c.in_recovery = false;
	c.flight = 80000;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 70000);
	c.flight = 20000;
	cc_on_exit_recovery(&c);
	assert_int_equal(c.cwnd, 21000);

	/* The first congestion avoidance ACK starts the epoch:
	 * K = cbrt((100000 - 70000) / 1000 / 0.4) s. */
	c = cu(1000, 100000, 50000, 100000);
	loss_at(&c, 5000000);
	assert_int_equal(c.cwnd, 70000);
	ack_at(&c, 5100000, 1000);
	{
		uint64_t t0;

		assert_int_equal(cubic_epoch(&c, &t0), 1);
		assert_int_equal(t0, 5100000);
	}
	assert_int_equal(cubic_k(&c), cubic_k_ticks(100000, 70000, 1000));
	assert_int_equal(cubic_w_est(&c), 70000 + 1000 * 9 / 17 * 1000 / 70000);
}

static void event_ecn(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);

	cc_on_signal(&c, CC_EV_ECN);
	/* RFC 9438 4.6: ssthresh = flight * 0.7, cwnd = max(ssthresh, 1),
	 * no inflation, never raised */
	assert_int_equal(c.ssthresh, 70000);
	assert_int_equal(c.cwnd, 70000);
	assert_int_equal(cubic_w_max(&c), 100000);
	/* Small flight: cwnd down to max(ssthresh, 1 SMSS) */
	c = cu(1000, 100000, UINT32_MAX, 1000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 2000);
	assert_int_equal(c.cwnd, 1000);
	/* Never raised: flight beyond cwnd */
	c = cu(1000, 10000, UINT32_MAX, 20000);
	cc_on_signal(&c, CC_EV_ECN);
	assert_int_equal(c.ssthresh, 14000);
	assert_int_equal(c.cwnd, 10000);
	/* No growth until the reduced window is acked (cc.c), then a new
	 * epoch from the reduced cwnd. */
	c = cu(1000, 100000, UINT32_MAX, 100000);
	c.snd_nxt = c.snd_una + 100000;
	cc_on_signal(&c, CC_EV_ECN);
	ack_at(&c, 1000000, 50000);
	assert_int_equal(c.cwnd, 70000);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	ack_at(&c, 1100000, 60000);
	assert_int_equal(cubic_epoch(&c, NULL), 1);
	assert_int_equal(cubic_k(&c), cubic_k_ticks(100000, 70000, 1000));
}

static void event_rto(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);
	uint64_t t0;

	loss_at(&c, 1000000);
	ack_at(&c, 1100000, 1000);
	assert_int_equal(cubic_epoch(&c, NULL), 1);
	c.flight = 80000;
	cc_on_signal(&c, CC_EV_RTO);
	/* RFC 9438 4.8: cwnd = 1 SMSS as Reno, ssthresh = flight * 0.7,
	 * W_max and the epoch reset */
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.ssthresh, 56000);
	assert_int_equal(cubic_w_max(&c), 0);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	/* The same segment again (backed off): ssthresh kept (cc.c). */
	c.cwnd = 5000;
	c.flight = 10000;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.cwnd, 1000);
	assert_int_equal(c.ssthresh, 56000);
	/* Slow start to ssthresh, then K = 0 and W_max = cwnd_epoch. */
	for (uint64_t now = 2000000; c.cwnd < c.ssthresh; now += 1000)
		ack_at(&c, now, 1000);
	assert_int_equal(c.cwnd, 56000);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	ack_at(&c, 3000000, 1000);
	assert_int_equal(cubic_epoch(&c, &t0), 1);
	assert_int_equal(t0, 3000000);
	assert_int_equal(cubic_w_max(&c), 56000);
	assert_int_equal(cubic_k(&c), 0);
	/* alpha_cubic = 9/17 until W_est reaches the cwnd before the RTO */
	assert_true(c.prior_cwnd > 56000);
	assert_int_equal(cubic_w_est(&c),
			 56000 + 9 * 1000 * 1000 / (17 * 56000));
}

/* RFC 9438 4.9: undoing a spurious timeout restores the state from
 * before it, epoch included. */
static void event_undo(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);
	uint32_t cwnd, ssthresh, w_max, k, w_est;
	uint64_t t0, t1;

	loss_at(&c, 1000000);
	for (uint64_t now = 1100000; now < 3000000; now += 10000)
		ack_at(&c, now, 1000);
	cwnd = c.cwnd;
	ssthresh = c.ssthresh;
	w_max = cubic_w_max(&c);
	k = cubic_k(&c);
	w_est = cubic_w_est(&c);
	assert_int_equal(cubic_epoch(&c, &t0), 1);
	c.flight = cwnd;
	cc_on_signal(&c, CC_EV_RTO);
	assert_int_equal(c.cwnd, 1000);
	ack_at(&c, 3100000, 1000);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, cwnd);
	assert_int_equal(c.ssthresh, ssthresh);
	assert_int_equal(cubic_w_max(&c), w_max);
	assert_int_equal(cubic_k(&c), k);
	assert_int_equal(cubic_w_est(&c), w_est);
	assert_int_equal(cubic_epoch(&c, &t1), 1);
	assert_int_equal(t1, t0);
	/* Growth continues on the original curve. */
	ack_at(&c, 3200000, 1000);
	assert_true(c.cwnd >= cwnd);

	/* Undo after a fast retransmit too; from slow start, no epoch. */
	c = cu(1000, 30000, UINT32_MAX, 30000);
	cc_on_signal(&c, CC_EV_DUPACK);
	cc_on_signal(&c, CC_EV_RTO_ERR);
	assert_int_equal(c.cwnd, 30000);
	assert_int_equal(c.ssthresh, UINT32_MAX);
	assert_int_equal(cubic_w_max(&c), 0);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
}

/* RFC 9438 4.7: a loss before W_max is reached again lowers W_max to
 * cwnd * (1 + beta) / 2; one at or beyond it sets W_max = cwnd. */
static void fast_convergence(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);

	loss_at(&c, 1000000);
	assert_int_equal(cubic_w_max(&c), 100000);
	/* grow a little, stay below 100000 */
	for (uint64_t now = 1100000; now < 2000000; now += 10000)
		ack_at(&c, now, 1000);
	assert_true(c.cwnd < 100000 && c.cwnd > 70000);
	{
		uint32_t cw = c.cwnd;

		loss_at(&c, 2000000);
		assert_int_equal(cubic_w_max(&c), (uint32_t)(cw * 17ull / 20));
		assert_int_equal(c.ssthresh, (uint32_t)(cw * 7ull / 10));
	}
	/* Beyond W_max: no fast convergence */
	c = cu(1000, 100000, UINT32_MAX, 100000);
	loss_at(&c, 1000000);
	for (uint64_t now = 1100000; c.cwnd <= 100000; now += 10000)
		ack_at(&c, now, 1000);
	{
		uint32_t cw = c.cwnd;

		loss_at(&c, 30000000);
		assert_int_equal(cubic_w_max(&c), cw);
	}
	/* The next epoch's K follows the lowered W_max. */
	c = cu(1000, 100000, UINT32_MAX, 100000);
	loss_at(&c, 1000000);
	c.cwnd = 90000;
	loss_at(&c, 2000000);
	assert_int_equal(cubic_w_max(&c), 76500);
	assert_int_equal(c.cwnd, 63000);
	ack_at(&c, 2100000, 1000);
	assert_int_equal(cubic_k(&c), cubic_k_ticks(76500, 63000, 1000));
}

/* RFC 5681 4.1 restart; the epoch ends so t does not count idle time. */
static void after_idle_restart(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);
	uint64_t t0;
	uint32_t cw;

	loss_at(&c, 1000000);
	for (uint64_t now = 1100000; now < 2000000; now += 10000)
		ack_at(&c, now, 1000);
	assert_int_equal(cubic_epoch(&c, NULL), 1);
	c.now_us = 60000000;
	cc_on_idle_restart(&c, 4000);
	assert_int_equal(c.cwnd, 4000);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	assert_int_equal(cubic_w_max(&c), 100000);
	/* Without the restart window lowering it, the epoch still ends */
	c = cu(1000, 100000, UINT32_MAX, 100000);
	loss_at(&c, 1000000);
	ack_at(&c, 1100000, 1000);
	cw = c.cwnd;
	c.now_us = 60000000;
	cc_on_idle_restart(&c, UINT32_MAX);
	assert_int_equal(c.cwnd, cw);
	assert_int_equal(cubic_epoch(&c, NULL), 0);
	/* A minute later the next ACK starts a new epoch: no jump (the
	 * old epoch would have had cwnd 1.5 times larger). */
	ack_at(&c, 61000000, 1000);
	assert_int_equal(cubic_epoch(&c, &t0), 1);
	assert_int_equal(t0, 61000000);
	assert_in_range(c.cwnd, cw, cw + 100);
	assert_int_equal(cubic_k(&c), cubic_k_ticks(100000, cw, 1000));
}

/* RFC 9438 5.8: no growth while application limited. */
static void app_limited(void **state)
{
	struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);

	loss_at(&c, 1000000);
	for (uint64_t now = 1100000; now < 5000000; now += 10000) {
		c.now_us = now;
		c.flight = 20000;
		cc_on_ack(&c, 1000);
	}
	assert_int_equal(c.cwnd, 70000);
	c.flight = 69000;
	c.now_us = 5000000;
	cc_on_ack(&c, 1000);
	assert_true(c.cwnd > 70000);
}

/* --- trajectories against the floating-point model ----------------------- */

/*
 * A connection with SMSS smss and RTT rtt_us loses at cwnd w0 bytes, then
 * is ACK-clocked (one ACK per 'per_ack' bytes, cwnd per RTT) for 'secs'
 * seconds with a loss every 'loss_every' seconds (0: none). cwnd is
 * compared to the model at every ACK: within 0.5 % or two SMSS.
 */
static double trajectory(uint32_t smss, uint32_t rtt_us, uint32_t w0,
			 uint32_t per_ack, double secs, double loss_every,
			 uint32_t *final)
{
	struct cc_conn c = cu(smss, w0, UINT32_MAX, w0);
	struct ref_cubic r = {
		.cwnd = w0, .ssthresh = UINT32_MAX, .smss = smss, .epoch = -1
	};
	double worst = 0, next_loss = loss_every;
	uint64_t now = 1000000, end = now + (uint64_t)(secs * 1e6);

	c.srtt_us = rtt_us;
	loss_at(&c, now);
	ref_loss(&r, w0);
	assert_int_equal(c.ssthresh, (uint32_t)r.ssthresh);
	assert_int_equal(c.cwnd, (uint32_t)r.cwnd);
	while (now < end) {
		/* ACKs spread over one RTT */
		uint64_t gap = (uint64_t)rtt_us * per_ack / c.cwnd;
		double err, tol;

		now += gap ? gap : 1;
		if (loss_every > 0 && (now - 1000000) / 1e6 >= next_loss) {
			uint32_t cw = c.cwnd;

			r.cwnd = cw; /* compare the reaction, not the drift */
			loss_at(&c, now);
			ref_loss(&r, cw);
			next_loss += loss_every;
			assert_int_equal(c.ssthresh, (uint32_t)r.ssthresh);
		}
		ack_at(&c, now, per_ack);
		ref_ack(&r, now / 1e6, rtt_us / 1e6, per_ack);
		err = ref_abs(c.cwnd - r.cwnd);
		tol = r.cwnd * 0.005;
		if (tol < 2.0 * smss)
			tol = 2.0 * smss;
		if (err > tol)
			fail_msg("t %.3f s: cwnd %u, model %.0f (smss %u rtt "
				 "%u us)",
				 (now - 1000000) / 1e6, c.cwnd, r.cwnd, smss,
				 rtt_us);
		if (err / r.cwnd > worst)
			worst = err / r.cwnd;
	}
	if (final)
		*final = c.cwnd;
	return worst;
}

static void trajectory_against_model(void **state)
{
	static const struct {
		uint32_t smss, rtt_us, w0, per_ack;
		double secs, loss_every;
	} cases[] = {
		/* long fat pipe: 100 ms, 1000 segments; concave, plateau,
		 * convex */
		{ 1460, 100000, 1460 * 1000, 1460, 30, 0 },
		/* delayed ACKs: two segments per ACK */
		{ 1460, 100000, 1460 * 1000, 2920, 30, 0 },
		/* jumbo frames, periodic losses (fast convergence) */
		{ 8960, 50000, 8960 * 5000, 8960, 60, 7 },
		/* 10 ms, periodic losses */
		{ 1000, 10000, 1000 * 200, 1000, 40, 3 },
		/* big window */
		{ 1460, 200000, 1460 * 50000, 14600, 40, 0 },
	};
	double worst = 0;

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		double w = trajectory(cases[i].smss, cases[i].rtt_us,
				      cases[i].w0, cases[i].per_ack,
				      cases[i].secs, cases[i].loss_every, NULL);

		if (w > worst)
			worst = w;
	}
	print_message("trajectories: worst cwnd deviation from the model "
		      "%.4f %%\n",
		      worst * 100);
}

/* Concave approach: cwnd comes back to W_max at about t = K and stays
 * near it (the plateau) before probing beyond. */
static void concave_then_convex(void **state)
{
	struct cc_conn c = cu(1460, 1460 * 1000, UINT32_MAX, 1460 * 1000);
	uint64_t now = 1000000, k_us;
	uint32_t w_max = 1460 * 1000;

	loss_at(&c, now);
	ack_at(&c, now + 1, 1460);
	k_us = (uint64_t)cubic_k(&c) * 1000000 / CUBIC_HZ;
	while (now < 1000000 + k_us) {
		now += (uint64_t)100000 * 1460 / c.cwnd;
		ack_at(&c, now, 1460);
		assert_true(c.cwnd <= w_max + 1460 * 3);
	}
	/* at K: within 1 % of W_max (target is W_cubic(t + RTT)) */
	assert_in_range(c.cwnd, w_max - w_max / 100, w_max + w_max / 100);
	while (now < 1000000 + 2 * k_us) {
		now += (uint64_t)100000 * 1460 / c.cwnd;
		ack_at(&c, now, 1460);
	}
	/* at 2K: convex, W_max + (W_max - cwnd_epoch) */
	assert_in_range(c.cwnd, w_max + w_max * 29 / 100,
			w_max + w_max * 31 / 100);
}

/*
 * RFC 9438 4.3: with a short RTT and a small window the Reno-friendly
 * estimate dominates: cwnd follows W_est, about Reno's one segment per
 * RTT, far above the cubic curve.
 */
static void reno_friendly_small_bdp(void **state)
{
	struct cc_conn c = cu(1000, 20000, UINT32_MAX, 20000);
	struct ref_cubic r = {
		.cwnd = 20000, .ssthresh = UINT32_MAX, .smss = 1000, .epoch = -1
	};
	uint64_t now = 1000000;
	int rtts = 0;

	c.srtt_us = 1000; /* 1 ms */
	loss_at(&c, now);
	ref_loss(&r, 20000);
	while (now < 3000000) {
		/* one RTT: cwnd / SMSS ACKs */
		uint32_t n = c.cwnd / 1000;

		for (uint32_t i = 0; i < n; i++) {
			now += 1000 / n ? 1000 / n : 1;
			ack_at(&c, now, 1000);
			ref_ack(&r, now / 1e6, 0.001, 1000);
		}
		rtts++;
		if (rtts == 5) {
			/* alpha = 9/17 segment per RTT while below the
			 * cwnd before the loss */
			assert_in_range(c.cwnd,
					14000 + 5 * 9 * 1000 / 17 - 1000,
					14000 + 5 * 9 * 1000 / 17 + 1000);
		}
	}
	/* The cubic curve is still below W_max = 20 segments (K = 2.47 s);
	 * W_est has grown about one segment per RTT past 20 segments. */
	assert_true(cubic_w_cubic(now - 1000000, cubic_k(&c), 20000, 1000) <=
		    20000);
	assert_int_equal(c.cwnd, cubic_w_est(&c));
	assert_true(c.cwnd > 20000 + (uint32_t)(rtts - 20) * 900);
	assert_true(ref_abs(c.cwnd - r.cwnd) <= r.cwnd * 0.005 + 2000);
}

/* --- saturation ---------------------------------------------------------- */

static void no_overflow_extremes(void **state)
{
	static const uint32_t smss[] = { 1, 536, 1460, 9000, 65535, UINT32_MAX };
	static const uint64_t times[] = { 0,
					  1,
					  999999,
					  3600000000ull, /* 1 h */
					  36000000000ull, /* 10 h */
					  (1ull << 40),
					  UINT64_MAX / 2,
					  UINT64_MAX };

	for (size_t i = 0; i < N_ELEMS(smss); i++) {
		uint32_t k = cubic_k_ticks(UINT32_MAX, 0, smss[i]);

		assert_true(k <= 2642245);
		for (size_t j = 0; j < N_ELEMS(times); j++) {
			uint32_t w =
				cubic_w_cubic(times[j], k, UINT32_MAX, smss[i]);

			if (times[j] >= 3600000000ull)
				assert_int_equal(w, UINT32_MAX);
			w = cubic_w_cubic(times[j], UINT32_MAX, 1u << 30,
					  smss[i]);
			assert_true(w <= 1u << 30);
		}
	}
	/* A 1 GB window, hours of congestion avoidance, huge ACKs. */
	for (size_t i = 1; i < N_ELEMS(smss) - 1; i++) {
		struct cc_conn c = cu(smss[i], 1u << 30, UINT32_MAX, 1u << 30);
		uint64_t now = 1000000;
		uint32_t last;

		c.srtt_us = 3000000;
		loss_at(&c, now);
		last = c.cwnd;
		for (int h = 0; h < 50; h++) {
			now += 360000000ull; /* 6 minutes */
			ack_at(&c, now, c.cwnd);
			assert_true(c.cwnd >= last);
			last = c.cwnd;
		}
		assert_int_equal(c.cwnd, UINT32_MAX);
		ack_at(&c, now + 36000000000ull, UINT32_MAX);
		assert_int_equal(c.cwnd, UINT32_MAX);
		c.flight = UINT32_MAX;
		cc_on_signal(&c, CC_EV_DUPACK);
		assert_int_equal(c.ssthresh,
				 (uint32_t)(UINT32_MAX * 7ull / 10));
		assert_int_equal(c.cwnd, (uint32_t)(UINT32_MAX * 7ull / 10) +
						 3 * smss[i]);
		assert_int_equal(cubic_w_max(&c), UINT32_MAX);
		c.flight = c.ssthresh;
		cc_on_exit_recovery(&c);
		ack_at(&c, UINT64_MAX / 2, UINT32_MAX);
		assert_true(c.cwnd >= (uint32_t)(UINT32_MAX * 7ull / 10));
	}
	/* Time going backwards (a caller's bug) does not wrap t. */
	{
		struct cc_conn c = cu(1000, 100000, UINT32_MAX, 100000);

		loss_at(&c, 5000000);
		ack_at(&c, 5000000, 1000);
		ack_at(&c, 1000, 1000);
		assert_in_range(c.cwnd, 70000, 71000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(registered, setup),
		cmocka_unit_test_setup(init_state, setup),
		cmocka_unit_test_setup(icbrt_exact, setup),
		cmocka_unit_test_setup(k_against_reference, setup),
		cmocka_unit_test_setup(w_cubic_against_reference, setup),
		cmocka_unit_test_setup(w_cubic_shape, setup),
		cmocka_unit_test_setup(event_dupack, setup),
		cmocka_unit_test_setup(event_ecn, setup),
		cmocka_unit_test_setup(event_rto, setup),
		cmocka_unit_test_setup(event_undo, setup),
		cmocka_unit_test_setup(fast_convergence, setup),
		cmocka_unit_test_setup(after_idle_restart, setup),
		cmocka_unit_test_setup(app_limited, setup),
		cmocka_unit_test_setup(trajectory_against_model, setup),
		cmocka_unit_test_setup(concave_then_convex, setup),
		cmocka_unit_test_setup(reno_friendly_small_bdp, setup),
		cmocka_unit_test_setup(no_overflow_extremes, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
