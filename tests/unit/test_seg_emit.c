// SPDX-License-Identifier: BSD-2-Clause
/* seg_emit: an engine segment to IP bytes, and back through the parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "stack/seg_emit.h"
#include "wire/packet.h"
#include "wire/wire_err.h"

static void fill(struct seg_out *so, bool v6)
{
	memset(so, 0, sizeof(*so));
	if (v6) {
		so->src.b[0] = so->dst.b[0] = 0x20;
		so->src.b[1] = so->dst.b[1] = 0x01;
		so->src.b[2] = so->dst.b[2] = 0x0d;
		so->src.b[3] = so->dst.b[3] = 0xb8;
		so->src.b[15] = 1;
		so->dst.b[15] = 2;
	} else {
		const uint8_t a[4] = { 198, 18, 0, 1 },
			      b[4] = { 198, 19, 7, 2 };

		ip_addr_from_v4(&so->src, a);
		ip_addr_from_v4(&so->dst, b);
	}
	so->ttl = 61;
	so->tos = 0x10;
	so->th.sport = 5001;
	so->th.dport = 40000;
	so->th.seq = 0xfffffff0;
	so->th.ack = 12345;
	so->th.flags = TH_ACK | TH_PSH;
	so->th.win = 4321;
	so->th.opts.present = TCP_OPT_TS | TCP_OPT_SACK;
	so->th.opts.ts_val = 7;
	so->th.opts.ts_ecr = 9;
	so->th.opts.nsack = 1;
	so->th.opts.sack[0].start = 100;
	so->th.opts.sack[0].end = 200;
}

static void round_trip(bool v6)
{
	static const char part1[] = "hello, ", part2[] = "world";
	struct seg_out so;
	struct pkt p;
	uint8_t buf[256];
	int n;

	fill(&so, v6);
	so.data[0].iov_base = (void *)part1;
	so.data[0].iov_len = 7;
	so.data[1].iov_base = (void *)part2;
	so.data[1].iov_len = 5;
	so.ndata = 2;
	so.len = 12;
	n = seg_emit_ip(&so, buf, sizeof(buf));
	assert_int_equal(n, (int)seg_emit_len(&so));
	assert_int_equal(pkt_parse_ip(buf, (size_t)n, PKT_VERIFY_ALL, &p), 0);
	assert_memory_equal(&p.ip.src, &so.src, 16);
	assert_memory_equal(&p.ip.dst, &so.dst, 16);
	assert_int_equal(p.ip.ttl, 61);
	assert_int_equal(p.ip.tos, 0x10);
	assert_int_equal(p.tcp.sport, 5001);
	assert_int_equal(p.tcp.dport, 40000);
	assert_int_equal(p.tcp.seq, 0xfffffff0);
	assert_int_equal(p.tcp.ack, 12345);
	assert_int_equal(p.tcp.flags, TH_ACK | TH_PSH);
	assert_int_equal(p.tcp.win, 4321);
	assert_int_equal(p.tcp.opts.present, TCP_OPT_TS | TCP_OPT_SACK);
	assert_int_equal(p.tcp.opts.ts_val, 7);
	assert_int_equal(p.tcp.opts.sack[0].end, 200);
	assert_int_equal(p.payload_len, 12);
	assert_memory_equal(p.payload, "hello, world", 12);
	/* Any flipped bit is caught by a checksum or changes the parse. */
	for (int i = 0; i < n * 8; i++) {
		struct pkt q;

		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (pkt_parse_ip(buf, (size_t)n, PKT_VERIFY_ALL, &q) == 0 &&
		    !v6)
			fail_msg("bit %d flipped, still parsed clean", i);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

static void round_trip_ipv4(void **state)
{
	round_trip(false);
}

static void round_trip_ipv6(void **state)
{
	round_trip(true);
}

static void too_small(void **state)
{
	struct seg_out so;
	uint8_t buf[64];

	fill(&so, false);
	assert_int_equal(seg_emit_ip(&so, buf, seg_emit_len(&so) - 1),
			 -WIRE_NOSPACE);
	assert_int_equal(seg_emit_ip(&so, buf, seg_emit_len(&so)),
			 (int)seg_emit_len(&so));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_ipv4),
		cmocka_unit_test(round_trip_ipv6),
		cmocka_unit_test(too_small),
	};

	return cmocka_run_group_tests_name("seg_emit", tests, NULL, NULL);
}
