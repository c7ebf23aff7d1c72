// SPDX-License-Identifier: BSD-2-Clause
/*
 * reserve_ports: the ip_local_reserved_ports list (parse, merge, format)
 * and apply/restore on a temporary file standing in for the sysctl.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/reserve_ports.h"

static struct rp_set set;
static char fmt[RP_FMT_MAX];

static const char *roundtrip(const char *in)
{
	assert_int_equal(rp_parse(in, &set), 0);
	assert_true(rp_format(&set, fmt, sizeof(fmt)) >= 0);
	return fmt;
}

static void test_parse_format(void **state)
{
	assert_string_equal(roundtrip(""), "");
	assert_string_equal(roundtrip("\n"), "");
	assert_string_equal(roundtrip("8080\n"), "8080");
	assert_string_equal(roundtrip(" 1,2,10-20 \n"), "1-2,10-20");
	/* Overlaps and adjacent runs merge; order does not matter. */
	assert_string_equal(roundtrip("50-60,1000,55-70,71,999"),
			    "50-71,999-1000");
	assert_string_equal(roundtrip("0,65535"), "0,65535");
	assert_string_equal(roundtrip("0-65535"), "0-65535");
	assert_string_equal(roundtrip("7-7"), "7");
	assert_true(rp_test(&set, 7));
	assert_false(rp_test(&set, 8));
}

static void test_parse_malformed(void **state)
{
	static const char *bad[] = {
		"1,,2", "1-",	 "-1",	  "a",	 "65536", "10-5", "1 2",
		"1,",	",1",	 "1-2-3", "1;2", "0x10",  "1-a",  "99999999999",
		"1\n2", "1-\n2", "1, 2",  "+1",	 "1.5",
	};

	memset(&set, 0xff, sizeof(set));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rp_set before = set;

		if (rp_parse(bad[i], &set) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* A rejected text leaves the set alone. */
		assert_memory_equal(&before, &set, sizeof(set));
	}
}

static void test_add_del(void **state)
{
	memset(&set, 0, sizeof(set));
	assert_int_equal(rp_add(&set, 32768, 65535), 0);
	assert_int_equal(rp_add(&set, 100, 99), -EINVAL);
	assert_int_equal(rp_del(&set, 40000, 40009), 0);
	assert_int_equal(rp_format(&set, fmt, sizeof(fmt)), 23);
	assert_string_equal(fmt, "32768-39999,40010-65535");
	/* Too small a buffer: -ENOSPC, and a terminated prefix. */
	assert_int_equal(rp_format(&set, fmt, 12), -ENOSPC);
	assert_string_equal(fmt, "32768-39999");
	assert_int_equal(rp_format(&set, fmt, 0), -ENOSPC);
}

/* The worst case: every other port, 32768 single items. */
static void test_format_worst_case(void **state)
{
	int len;

	memset(&set, 0, sizeof(set));
	for (uint32_t p = 1; p < 65536; p += 2)
		rp_add(&set, (uint16_t)p, (uint16_t)p);
	len = rp_format(&set, fmt, sizeof(fmt));
	assert_true(len > 0 && (size_t)len < sizeof(fmt));
	{
		struct rp_set back;

		assert_int_equal(rp_parse(fmt, &back), 0);
		assert_memory_equal(&back, &set, sizeof(set));
	}
}

struct files {
	char dir[64];
	char path[96];
	char range[96];
};

static int setup(void **state)
{
	struct files *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/xtcp-rp-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/reserved", f->dir);
	snprintf(f->range, sizeof(f->range), "%s/range", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct files *f = *state;

	unlink(f->path);
	unlink(f->range);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const char *get(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_apply_restore(void **state)
{
	struct files *f = *state;
	struct reserve_ports rp = { 0 };

	put(f->path, "1000,40000-40010\n");
	assert_int_equal(
		reserve_ports_apply(&rp, f->path, f->range, 32768, 65535), 0);
	assert_string_equal(get(f->path), "1000,32768-65535\n");
	assert_int_equal(reserve_ports_apply(&rp, f->path, f->range, 1, 2),
			 -EALREADY);
	assert_int_equal(reserve_ports_restore(&rp), 0);
	/* The previous text, byte for byte. */
	assert_string_equal(get(f->path), "1000,40000-40010\n");
	/* Idempotent. */
	assert_int_equal(reserve_ports_restore(&rp), 0);
	assert_string_equal(get(f->path), "1000,40000-40010\n");
}

static void test_restore_keeps_others(void **state)
{
	struct files *f = *state;
	struct reserve_ports rp = { 0 };

	put(f->path, "40000-40010\n");
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 39000, 41000),
			 0);
	assert_string_equal(get(f->path), "39000-41000\n");
	/* Someone reserves 2000 and 50000 meanwhile. */
	put(f->path, "2000,39000-41000,50000\n");
	assert_int_equal(reserve_ports_restore(&rp), 0);
	/* Ours are gone, theirs stay, and what was reserved before stays. */
	assert_string_equal(get(f->path), "2000,40000-40010,50000\n");
}

static void test_apply_errors(void **state)
{
	struct files *f = *state;
	struct reserve_ports rp = { 0 };

	put(f->path, "1000,,2000\n");
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 61000, 65535),
			 -EINVAL);
	/* Malformed content is left as it was. */
	assert_string_equal(get(f->path), "1000,,2000\n");
	assert_int_equal(rp.active, 0);
	put(f->path, "\n");
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 2000, 1000),
			 -EINVAL);
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 0, 1000),
			 -EINVAL);
	unlink(f->path);
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 1000, 2000),
			 -ENOENT);
	assert_int_equal(reserve_ports_restore(&rp), 0);
}

static void test_empty_restores_empty(void **state)
{
	struct files *f = *state;
	struct reserve_ports rp = { 0 };

	put(f->path, "\n");
	assert_int_equal(reserve_ports_apply(&rp, f->path, NULL, 61000, 65535),
			 0);
	assert_string_equal(get(f->path), "61000-65535\n");
	assert_int_equal(reserve_ports_restore(&rp), 0);
	assert_string_equal(get(f->path), "\n");
}

static void test_linux_left(void **state)
{
	struct files *f = *state;
	struct reserve_ports rp = { 0 };

	put(f->range, "32768\t60999\n");
	put(f->path, "\n");
	/* xtcp's default range covers Linux's default one entirely. */
	assert_int_equal(
		reserve_ports_apply(&rp, f->path, f->range, 32768, 65535), 0);
	assert_int_equal(reserve_ports_linux_left(&rp), 0);
	assert_int_equal(reserve_ports_restore(&rp), 0);
	/* Above Linux's range: it keeps all 28232 of its ports. */
	assert_int_equal(
		reserve_ports_apply(&rp, f->path, f->range, 61000, 65535), 0);
	assert_int_equal(reserve_ports_linux_left(&rp), 60999 - 32768 + 1);
	assert_int_equal(reserve_ports_restore(&rp), 0);
	put(f->range, "garbage\n");
	assert_int_equal(
		reserve_ports_apply(&rp, f->path, f->range, 61000, 65535), 0);
	assert_int_equal(reserve_ports_linux_left(&rp), -EINVAL);
	assert_int_equal(reserve_ports_restore(&rp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_format_worst_case),
		cmocka_unit_test_setup_teardown(test_apply_restore, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restore_keeps_others,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_restores_empty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_left, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
