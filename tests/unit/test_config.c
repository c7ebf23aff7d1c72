// SPDX-License-Identifier: BSD-2-Clause
/* xtcpd.conf: parsing, every error with its exact "FILE:LINE: message". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"

static char path[64];

/* Write @text to a fresh temporary file; its name is in path. */
static void write_conf(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/xtcp-test-conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(const char *text, struct daemon_config *cfg, char *err,
		size_t len)
{
	int ret;

	write_conf(text);
	ret = config_load(path, cfg, err, len);
	unlink(path);
	return ret;
}

/* @text must fail with exactly "PATH:LINE: msg". */
static void expect_error(const char *text, int line, const char *msg)
{
	struct daemon_config cfg;
	char err[512], want[512];

	assert_int_equal(load(text, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	assert_string_equal(err, want);
	/* On error the defaults are left. */
	assert_int_equal(cfg.nifaces, 0);
	assert_int_equal(cfg.nservices, 0);
	assert_int_equal(cfg.tun.tcp_sack_permitted, 2);
	config_free(&cfg);
}

static const char full[] = "# xtcpd test configuration\n"
			   "[daemon]\n"
			   "log_level = debug\n"
			   "log = syslog\n"
			   "control_socket = /tmp/xtcp-test.sock\n"
			   "control_mode = 0600\n"
			   "attach = external\n"
			   "xdp_mode = generic\n"
			   "bpf_object = /usr/lib/xtcp/xtcp.bpf.o\n"
			   "pin_path = /sys/fs/bpf/xtcp-test\n"
			   "busy_poll_us = 50\n"
			   "\n"
			   "[interface veth0]\n"
			   "queues = 0-1, 3\n"
			   "frame_size = 2048\n"
			   "frames = 8192\n"
			   "zerocopy = no\n"
			   "\n"
			   "[interface eth1]\n"
			   "queues = 4\n"
			   "\n"
			   "[interface eth2]\n"
			   "\n"
			   "[tunables]\n"
			   "tcp_sack_permitted = 1\n"
			   "tcp_ecn_permitted = 2 ; inline comment\n"
			   "congestion_control = newreno\n"
			   "\n"
			   "[service echo]\n"
			   "port = 7, 7007\n"
			   "address = 198.18.0.2 2001:db8::2\n"
			   "[service discard]\n"
			   "[service chargen]\n"
			   "port = 1919\n"
			   "address = *\n";

static void test_full(void **state)
{
	struct daemon_config cfg;
	const struct cfg_interface *i;
	const struct cfg_service *s;
	char err[256], a[64];

	assert_int_equal(load(full, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.log_level, LOGL_DEBUG);
	assert_true(cfg.log_syslog);
	assert_string_equal(cfg.control_socket, "/tmp/xtcp-test.sock");
	assert_int_equal(cfg.control_mode, 0600);
	assert_int_equal(cfg.attach, CFG_ATTACH_EXTERNAL);
	assert_int_equal(cfg.xdp_mode, CFG_XDP_GENERIC);
	assert_string_equal(cfg.bpf_object, "/usr/lib/xtcp/xtcp.bpf.o");
	assert_string_equal(cfg.pin_path, "/sys/fs/bpf/xtcp-test");
	assert_int_equal(cfg.busy_poll_us, 50);

	assert_int_equal(cfg.nifaces, 3);
	i = &cfg.ifaces[0];
	assert_string_equal(i->name, "veth0");
	assert_int_equal(i->line, 13);
	assert_int_equal(i->nqueues, 3);
	assert_int_equal(i->queue[0], 0);
	assert_int_equal(i->queue[1], 1);
	assert_int_equal(i->queue[2], 3);
	assert_int_equal(i->frame_size, 2048);
	assert_int_equal(i->frames, 8192);
	assert_int_equal(i->zerocopy, CFG_ZC_OFF);
	i = &cfg.ifaces[1];
	assert_string_equal(i->name, "eth1");
	assert_int_equal(i->nqueues, 4); /* a count: 0..3 */
	assert_int_equal(i->queue[3], 3);
	i = &cfg.ifaces[2];
	assert_string_equal(i->name, "eth2");
	assert_int_equal(i->nqueues, 0); /* all */
	assert_int_equal(i->frame_size, 4096);
	assert_int_equal(i->frames, 4096);
	assert_int_equal(i->zerocopy, CFG_ZC_AUTO);

	assert_int_equal(cfg.tun.tcp_sack_permitted, 1);
	assert_int_equal(cfg.tun.tcp_ecn_permitted, 2);
	assert_string_equal(cfg.tun.congestion_control, "newreno");
	assert_int_equal(cfg.tun.tcp_time_wait_interval, 60000); /* default */

	assert_int_equal(cfg.nservices, 3);
	s = &cfg.services[0];
	assert_string_equal(s->kind, "echo");
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->port[0], 7);
	assert_int_equal(s->port[1], 7007);
	assert_int_equal(s->naddrs, 2);
	assert_string_equal(ip_addr_str(&s->addr[0], a, sizeof(a)),
			    "198.18.0.2");
	assert_string_equal(ip_addr_str(&s->addr[1], a, sizeof(a)),
			    "2001:db8::2");
	s = &cfg.services[1];
	assert_string_equal(s->kind, "discard");
	assert_int_equal(s->nports, 1);
	assert_int_equal(s->port[0], 9);
	assert_int_equal(s->naddrs, 1);
	assert_true(ip_addr_is_any(&s->addr[0]));
	s = &cfg.services[2];
	assert_string_equal(s->kind, "chargen");
	assert_int_equal(s->port[0], 1919);
	assert_true(ip_addr_is_any(&s->addr[0]));
	config_free(&cfg);
	config_free(&cfg); /* idempotent */
}

static void test_defaults(void **state)
{
	struct daemon_config cfg, def;
	struct tunables t;
	char err[256];

	config_defaults(&def);
	assert_string_equal(def.control_socket, "/run/xtcp/xtcpd.sock");
	assert_int_equal(def.control_mode, 0660);
	assert_int_equal(def.log_level, LOGL_INFO);
	assert_false(def.log_syslog);
	assert_int_equal(def.attach, CFG_ATTACH_SELF);
	assert_int_equal(def.xdp_mode, CFG_XDP_AUTO);
	assert_string_equal(def.bpf_object, "");
	assert_int_equal(def.busy_poll_us, 0);
	assert_true(def.ack_absorb);
	tunables_defaults(&t);
	assert_memory_equal(&def.tun, &t, sizeof(t));

	/* Comments, blank lines, empty sections: still all defaults. */
	assert_int_equal(load("; nothing\n\n# here\n[daemon]\n[tunables]\n",
			      &cfg, err, sizeof(err)),
			 0);
	assert_memory_equal(&cfg.tun, &t, sizeof(t));
	assert_string_equal(cfg.control_socket, def.control_socket);
	config_free(&cfg);
	config_free(&def);
}

static void test_missing_file(void **state)
{
	struct daemon_config cfg;
	char err[256];

	assert_int_equal(config_load("/nonexistent/xtcpd.conf", &cfg, err,
				     sizeof(err)),
			 -ENOENT);
	assert_string_equal(
		err, "/nonexistent/xtcpd.conf: No such file or directory");
	config_free(&cfg);
}

static void test_syntax_errors(void **state)
{
	expect_error("[daemon]\nthis is not a key\n", 2,
		     "syntax error: expected 'key = value' or '[section]'");
	expect_error("log_level = info\n", 1,
		     "key 'log_level' outside a section");
	expect_error("\n[daemon\nlog = stderr\n", 2,
		     "missing ']' in section header");
	expect_error("[daemon] extra\n", 1,
		     "unexpected text after section header");
	expect_error("[daemon]\n= x\n", 2, "missing key before '='");
	/* CRLF line ends and comments count as lines. */
	expect_error("# c\r\n; c\r\n\r\n[daemon]\r\nlog = nowhere\r\n", 5,
		     "log: 'nowhere' is not one of stderr, syslog");
}

static void test_long_line(void **state)
{
	struct daemon_config cfg;
	char text[6000], msg[64], err[256];

	/* A path of PATH_MAX - 1 characters fits. */
	snprintf(text, sizeof(text), "[daemon]\nbpf_object = /%0*d\n",
		 PATH_MAX - 2, 0);
	assert_int_equal(load(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(strlen(cfg.bpf_object), PATH_MAX - 1);
	config_free(&cfg);

	snprintf(text, sizeof(text), "[daemon]\nbpf_object = /%05000d\n", 0);
	snprintf(msg, sizeof(msg), "line longer than %d characters",
		 CONFIG_MAX_LINE);
	expect_error(text, 2, msg);
}

static void test_sections(void **state)
{
	expect_error("[daemon]\n\n[foo]\n", 3,
		     "unknown section [foo] (daemon, interface NAME, "
		     "tunables, service KIND)");
	expect_error("[daemon]\n[daemon]\n", 2,
		     "duplicate section [daemon] (first at line 1)");
	expect_error("[tunables x]\n", 1, "[tunables] takes no name");
	expect_error("[interface]\n", 1,
		     "[interface] needs a name: [interface eth0]");
	expect_error("[interface a/b]\n", 1,
		     "'a/b' is not a valid interface name");
	expect_error("[interface abcdefghijklmnopq]\n", 1,
		     "'abcdefghijklmnopq' is not a valid interface name");
	expect_error("[interface eth0]\n[interface eth0]\n", 2,
		     "duplicate section [interface eth0] (first at line 1)");
	expect_error("[service daytime]\n", 1,
		     "unknown service 'daytime' (echo, discard or chargen)");
	expect_error("[service echo]\n[service echo]\n", 2,
		     "duplicate section [service echo] (first at line 1); "
		     "list several ports or addresses instead");
}

static void test_daemon_keys(void **state)
{
	expect_error("[daemon]\nbogus = 1\n", 2,
		     "unknown key 'bogus' in [daemon]");
	expect_error("[daemon]\nlog = stderr\nlog = syslog\n", 3,
		     "duplicate key 'log' (first at line 2)");
	expect_error(
		"[daemon]\nlog_level = loud\n", 2,
		"log_level: 'loud' is not one of error, warn, info, debug");
	expect_error("[daemon]\ncontrol_socket = relative.sock\n", 2,
		     "control_socket: 'relative.sock' is not an absolute path");
	expect_error("[daemon]\ncontrol_socket = /run/xtcp/"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     2, "control_socket: path longer than 107 characters");
	expect_error("[daemon]\ncontrol_mode = 0644x\n", 2,
		     "control_mode: '0644x' is not an octal mode with owner "
		     "read and write (0600..0777)");
	expect_error("[daemon]\ncontrol_mode = 0400\n", 2,
		     "control_mode: '0400' is not an octal mode with owner "
		     "read and write (0600..0777)");
	expect_error("[daemon]\nattach = maybe\n", 2,
		     "attach: 'maybe' is not one of self, external");
	expect_error("[daemon]\nxdp_mode = offload\n", 2,
		     "xdp_mode: 'offload' is not one of native, generic, auto");
	expect_error("[daemon]\nbpf_object =\n", 2, "bpf_object: empty path");
	expect_error("[daemon]\nbusy_poll_us = -1\n", 2,
		     "busy_poll_us: '-1' is not an integer in 0..100000");
	expect_error("[daemon]\nbusy_poll_us = 100001\n", 2,
		     "busy_poll_us: '100001' is not an integer in 0..100000");
	expect_error("[daemon]\nack_absorb = auto\n", 2,
		     "ack_absorb: 'auto' is not yes or no");
	expect_error("[daemon]\nack_absorb = 2\n", 2,
		     "ack_absorb: '2' is not yes or no");

	struct daemon_config cfg;
	char err[256];

	assert_int_equal(
		load("[daemon]\nack_absorb = no\n", &cfg, err, sizeof(err)), 0);
	assert_false(cfg.ack_absorb);
	config_free(&cfg);
}

static void test_interface_keys(void **state)
{
	struct daemon_config cfg;
	char err[256];

	expect_error("[interface eth0]\nmtu = 1500\n", 2,
		     "unknown key 'mtu' in [interface eth0]");
	expect_error("[interface eth0]\nqueues = 0\n", 2,
		     "queues: '0' is not 'all', a count in 1..64 or a list "
		     "of queue ids");
	expect_error("[interface eth0]\nqueues = 1,x\n", 2,
		     "queues: 'x' is not a queue id or range in 0..1023");
	expect_error("[interface eth0]\nqueues = 3-1\n", 2,
		     "queues: '3-1' is not a queue id or range in 0..1023");
	expect_error("[interface eth0]\nqueues = 1, 0-2\n", 2,
		     "queues: queue 1 listed twice");
	expect_error("[interface eth0]\nqueues = 0-64\n", 2,
		     "queues: more than 64 queues");
	expect_error("[interface eth0]\nframe_size = 3000\n", 2,
		     "frame_size: '3000' is not 2048 or 4096");
	expect_error("[interface eth0]\nframes = 1000\n", 2,
		     "frames: '1000' is not a power of two in 64..1048576");
	expect_error("[interface eth0]\nzerocopy = sometimes\n", 2,
		     "zerocopy: 'sometimes' is not one of auto, yes, no");

	assert_int_equal(load("[interface eth0]\nqueues = 5-5\nzerocopy = on\n"
			      "[interface eth1]\nqueues = all\n",
			      &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.ifaces[0].nqueues, 1);
	assert_int_equal(cfg.ifaces[0].queue[0], 5);
	assert_int_equal(cfg.ifaces[0].zerocopy, CFG_ZC_ON);
	assert_int_equal(cfg.ifaces[1].nqueues, 0);
	config_free(&cfg);
}

static void test_service_keys(void **state)
{
	expect_error("[service echo]\nbacklog = 5\n", 2,
		     "unknown key 'backlog' in [service echo]");
	expect_error("[service echo]\nport = 0\n", 2,
		     "port: '0' is not a port in 1..65535");
	expect_error("[service echo]\nport = 65536\n", 2,
		     "port: '65536' is not a port in 1..65535");
	expect_error("[service echo]\nport = 7,7\n", 2, "port: 7 listed twice");
	expect_error("[service echo]\nport = ,\n", 2, "port: empty list");
	expect_error("[service echo]\naddress = 198.18.0.300\n", 2,
		     "address: '198.18.0.300' is not an IPv4 or IPv6 address");
	expect_error("[service echo]\naddress = ::, 0.0.0.0\n", 2,
		     "address: 0.0.0.0 listed twice");
	/* Two services on one (address, port): at the later section. */
	expect_error("[service echo]\nport = 7\n\n[service discard]\n"
		     "port = 9, 7\n",
		     4,
		     "service discard: port 7 on :: is already service "
		     "echo's (line 1)");
	expect_error("[service echo]\naddress = 198.18.0.2\n"
		     "[service chargen]\nport = 7\naddress = 198.18.0.2\n",
		     3,
		     "service chargen: port 7 on 198.18.0.2 is already "
		     "service echo's (line 1)");
}

static void test_services_no_clash(void **state)
{
	struct daemon_config cfg;
	char err[256];

	/* Same port on different addresses is fine (and wildcard + exact). */
	assert_int_equal(load("[service echo]\naddress = 198.18.0.2\n"
			      "[service discard]\nport = 7\n"
			      "address = 198.18.0.3, ::\n",
			      &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.nservices, 2);
	config_free(&cfg);
}

static void test_tunables(void **state)
{
	struct daemon_config cfg;
	char err[256];

	expect_error("[tunables]\ntcp_bogus = 1\n", 2,
		     "unknown tunable 'tcp_bogus'");
	expect_error("[tunables]\n\ntcp_sack_permitted = 5\n", 3,
		     "tcp_sack_permitted: 5 is outside 0..2");
	expect_error("[tunables]\ntcp_trace = yes\n", 2,
		     "tcp_trace: 'yes' is not an unsigned integer");
	expect_error("[tunables]\ncongestion_control = bbr\n", 2,
		     "congestion_control: unknown congestion control 'bbr'");
	expect_error("[tunables]\ntcp_sack_permitted = 1\n"
		     "tcp_sack_permitted = 2\n",
		     3, "duplicate key 'tcp_sack_permitted' (first at line 2)");
	/* A rule between fields that the file as a whole breaks. */
	expect_error("[tunables]\ntcp_smallest_anon_port = 40000\n"
		     "tcp_largest_anon_port = 30000\n",
		     3,
		     "tcp_largest_anon_port: tcp_smallest_anon_port above "
		     "tcp_largest_anon_port");

	/* Order does not matter: max below the default min, then min. */
	assert_int_equal(load("[tunables]\ntcp_rexmit_interval_max = 300\n"
			      "tcp_rexmit_interval_min = 200\n"
			      "tcp_xmit_hiwat = 2000000\n"
			      "tcp_max_buf = 4000000\n",
			      &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.tun.tcp_rexmit_interval_min, 200);
	assert_int_equal(cfg.tun.tcp_rexmit_interval_max, 300);
	assert_int_equal(cfg.tun.tcp_xmit_hiwat, 2000000);
	assert_int_equal(cfg.tun.tcp_max_buf, 4000000);
	config_free(&cfg);

	/* Every tunable by name, at its default, is accepted. */
	{
		char text[8192], v[64];
		size_t off = 0;
		struct tunables def;

		tunables_defaults(&def);
		off += (size_t)snprintf(text, sizeof(text), "[tunables]\n");
		for (size_t i = 0; i < tunable_count; i++) {
			tunable_get(&def, &tunable_table[i], v, sizeof(v));
			off += (size_t)snprintf(text + off, sizeof(text) - off,
						"%s = %s\n",
						tunable_table[i].name, v);
		}
		assert_true(off < sizeof(text));
		assert_int_equal(load(text, &cfg, err, sizeof(err)), 0);
		assert_memory_equal(&cfg.tun, &def, sizeof(def));
		config_free(&cfg);
	}
}

static void test_reload(void **state)
{
	struct tunables t, before;
	char err[256], want[256];

	tunables_defaults(&t);
	t.tcp_ecn_permitted = 0; /* as if `xtcpctl set` changed it */

	/* A valid file: defaults + the file (the run-time set is undone). */
	write_conf("[daemon]\nlog = stderr\n[tunables]\n"
		   "tcp_sack_permitted = 0\n");
	assert_int_equal(config_reload_tunables(path, &t, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(t.tcp_sack_permitted, 0);
	assert_int_equal(t.tcp_ecn_permitted, 1);

	/* An error anywhere, even outside [tunables]: nothing changes. */
	before = t;
	write_conf("[tunables]\ntcp_sack_permitted = 2\n"
		   "tcp_ecn_permitted = 2\n[daemon]\nlog = nowhere\n");
	assert_int_equal(config_reload_tunables(path, &t, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:5: log: 'nowhere' is not one of stderr, syslog", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_memory_equal(&t, &before, sizeof(t));

	write_conf(
		"[tunables]\ntcp_sack_permitted = 2\ntcp_ecn_permitted = 9\n");
	assert_int_equal(config_reload_tunables(path, &t, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	assert_memory_equal(&t, &before, sizeof(t));

	assert_int_equal(config_reload_tunables("/nonexistent/x.conf", &t, err,
						sizeof(err)),
			 -ENOENT);
	assert_memory_equal(&t, &before, sizeof(t));
}

static void test_example_file(void **state)
{
	struct daemon_config cfg;
	char err[512];
	int ret;

	/* The shipped example must load. */
	ret = config_load("examples/xtcpd.conf", &cfg, err, sizeof(err));
	if (ret == -ENOENT) {
		config_free(&cfg);
		skip();
	}
	if (ret)
		fail_msg("%s", err);
	assert_true(cfg.nifaces >= 1);
	assert_true(cfg.nservices >= 1);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_daemon_keys),
		cmocka_unit_test(test_interface_keys),
		cmocka_unit_test(test_service_keys),
		cmocka_unit_test(test_services_no_clash),
		cmocka_unit_test(test_tunables),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
