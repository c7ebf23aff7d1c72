// SPDX-License-Identifier: BSD-2-Clause
/* The tunable table: illumos defaults, ranges, the one validator. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "stack/tunables.h"

static void illumos_defaults(void **state)
{
	struct tunables t;

	tunables_defaults(&t);
	/* The values tcp(4P) states. */
	assert_int_equal(t.tcp_sack_permitted, 2);
	assert_int_equal(t.tcp_ecn_permitted, 1);
	assert_int_equal(t.tcp_wscale_always, 1);
	assert_int_equal(t.tcp_tstamp_always, 0);
	assert_int_equal(t.tcp_tstamp_if_wscale, 1);
	assert_int_equal(t.tcp_keepalive_interval, 2 * 3600 * 1000);
	assert_int_equal(t.tcp_keepalive_abort_interval, 8 * 60 * 1000);
	assert_int_equal(t.tcp_fin_wait_2_flush_interval, 675 * 1000);
	assert_int_equal(t.tcp_trace, 0);
	assert_int_equal(t.tcp_strong_iss, 2);
	assert_int_equal(t.tcp_ip_abort_cinterval, 3 * 60 * 1000);
	assert_int_equal(t.tcp_ip_abort_interval, 8 * 60 * 1000);
	assert_int_equal(t.tcp_smallest_nonpriv_port, 1024);
	assert_string_equal(t.congestion_control, "newreno");
	/* Every default lies in its own range. */
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable_desc *d = &tunable_table[i];

		if (d->type == TUN_STR)
			continue;
		assert_true(d->def >= d->min && d->def <= d->max);
	}
}

static void set_and_get(void **state)
{
	struct tunables t;
	char err[128], buf[32];
	const struct tunable_desc *d;

	tunables_defaults(&t);
	d = tunable_find("tcp_ecn_permitted");
	assert_non_null(d);
	assert_int_equal(tunable_set(&t, d, "2", err, sizeof(err)), 0);
	assert_int_equal(t.tcp_ecn_permitted, 2);
	tunable_get(&t, d, buf, sizeof(buf));
	assert_string_equal(buf, "2");
	assert_null(tunable_find("tcp_no_such_thing"));
}

static void rejects_bad_values(void **state)
{
	struct tunables t, before;
	char err[128];
	const struct tunable_desc *d = tunable_find("tcp_sack_permitted");
	const char *bad[] = { "3", "-1", "", "1x", "x", "4294967296", "+1" };

	tunables_defaults(&t);
	before = t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(tunable_set(&t, d, bad[i], err, sizeof(err)),
				 -22);
		assert_true(err[0] != 0);
		assert_memory_equal(&t, &before, sizeof(t));
	}
	/* TCP_KEEPALIVE_THRESHOLD's range: 10 s to 10 days. */
	d = tunable_find("tcp_keepalive_interval");
	assert_int_equal(tunable_set(&t, d, "9999", err, sizeof(err)), -22);
	assert_int_equal(tunable_set(&t, d, "10000", err, sizeof(err)), 0);
	assert_int_equal(tunable_set(&t, d, "864000001", err, sizeof(err)),
			 -22);
}

static void cross_field_rules(void **state)
{
	struct tunables t;
	char err[128];

	tunables_defaults(&t);
	assert_int_equal(tunable_set(&t, tunable_find("tcp_largest_anon_port"),
				     "2000", err, sizeof(err)),
			 -22);
	assert_non_null(strstr(err, "anon"));
	assert_int_equal(tunable_set(&t,
				     tunable_find("tcp_rexmit_interval_min"),
				     "70000", err, sizeof(err)),
			 -22);
	assert_int_equal(tunable_set(&t, tunable_find("tcp_max_buf"), "65536",
				     err, sizeof(err)),
			 -22);
}

static void congestion_control_by_name(void **state)
{
	struct tunables t;
	char err[128];
	const struct tunable_desc *d = tunable_find("congestion_control");

	tunables_defaults(&t);
	assert_int_equal(tunable_set(&t, d, "newreno", err, sizeof(err)), 0);
	assert_int_equal(tunable_set(&t, d, "bogus", err, sizeof(err)), -22);
	assert_string_equal(t.congestion_control, "newreno");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(illumos_defaults),
		cmocka_unit_test(set_and_get),
		cmocka_unit_test(rejects_bad_values),
		cmocka_unit_test(cross_field_rules),
		cmocka_unit_test(congestion_control_by_name),
	};

	return cmocka_run_group_tests_name("tunables", tests, NULL, NULL);
}
