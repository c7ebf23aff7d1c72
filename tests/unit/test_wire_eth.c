// SPDX-License-Identifier: BSD-2-Clause
/* Ethernet II parsing with VLAN tags, and emission. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/eth.h"
#include "wire/wire_err.h"

static const uint8_t DST[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t SRC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* A heap copy of exactly @len bytes, so ASan sees any read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static int parse_exact(const uint8_t *p, size_t len, struct eth_info *e)
{
	uint8_t *q = dup_exact(p, len);
	int r = eth_parse(q, len, e);

	free(q);
	return r;
}

/* dst, src, then @ntags 4-byte tags with the given TPIDs, then @type. */
static size_t build(uint8_t *f, const uint16_t *tpids, int ntags, uint16_t type)
{
	size_t off = 12;

	memcpy(f, DST, 6);
	memcpy(f + 6, SRC, 6);
	for (int i = 0; i < ntags; i++) {
		f[off] = (uint8_t)(tpids[i] >> 8);
		f[off + 1] = (uint8_t)tpids[i];
		f[off + 2] = 0x20 | (uint8_t)i; /* PCP 1, VID 0x0i64 */
		f[off + 3] = 0x64;
		off += 4;
	}
	f[off] = (uint8_t)(type >> 8);
	f[off + 1] = (uint8_t)type;
	/* Some IP bytes after the header: the parser must not look at them. */
	memset(f + off + 2, 0x45, 8);
	return off + 2;
}

static void untagged(void **state)
{
	uint8_t f[64];
	struct eth_info e;
	size_t h = build(f, NULL, 0, ETHERTYPE_IPV4);

	assert_int_equal(h, 14);
	assert_int_equal(parse_exact(f, h, &e), 0);
	assert_memory_equal(e.dst, DST, 6);
	assert_memory_equal(e.src, SRC, 6);
	assert_int_equal(e.ethertype, ETHERTYPE_IPV4);
	assert_int_equal(e.hlen, 14);

	h = build(f, NULL, 0, ETHERTYPE_IPV6);
	assert_int_equal(parse_exact(f, h + 8, &e), 0);
	assert_int_equal(e.ethertype, ETHERTYPE_IPV6);
	assert_int_equal(e.hlen, 14);
}

static void vlan_tags(void **state)
{
	static const uint16_t q[] = { ETHERTYPE_VLAN };
	static const uint16_t ad[] = { ETHERTYPE_QINQ, ETHERTYPE_VLAN };
	static const uint16_t qq[] = { ETHERTYPE_VLAN, ETHERTYPE_VLAN };
	static const uint16_t three[] = { ETHERTYPE_QINQ, ETHERTYPE_VLAN,
					  ETHERTYPE_VLAN };
	uint8_t f[64];
	struct eth_info e;
	size_t h;

	h = build(f, q, 1, ETHERTYPE_IPV4);
	assert_int_equal(parse_exact(f, h, &e), 0);
	assert_int_equal(e.hlen, 18);
	assert_int_equal(e.ethertype, ETHERTYPE_IPV4);

	h = build(f, ad, 2, ETHERTYPE_IPV6);
	assert_int_equal(parse_exact(f, h, &e), 0);
	assert_int_equal(e.hlen, 22);
	assert_int_equal(e.ethertype, ETHERTYPE_IPV6);

	/* The older double-802.1Q stacking is accepted as well. */
	h = build(f, qq, 2, ETHERTYPE_IPV4);
	assert_int_equal(parse_exact(f, h, &e), 0);
	assert_int_equal(e.hlen, 22);

	/* A third tag is beyond what eth_info describes. */
	h = build(f, three, 3, ETHERTYPE_IPV4);
	assert_int_equal(parse_exact(f, h, &e), -WIRE_ETH_TYPE);
}

static void bad_type(void **state)
{
	static const uint16_t q[] = { ETHERTYPE_VLAN };
	uint8_t f[64];
	struct eth_info e;
	size_t h;

	h = build(f, NULL, 0, 0x0806); /* ARP belongs to the kernel */
	assert_int_equal(parse_exact(f, h, &e), -WIRE_ETH_TYPE);
	assert_int_equal(e.ethertype, 0x0806);
	h = build(f, q, 1, 0x0806);
	assert_int_equal(parse_exact(f, h, &e), -WIRE_ETH_TYPE);
	h = build(f, NULL, 0, 0x0000);
	assert_int_equal(parse_exact(f, h, &e), -WIRE_ETH_TYPE);
}

static void every_truncation(void **state)
{
	static const uint16_t ad[] = { ETHERTYPE_QINQ, ETHERTYPE_VLAN };
	uint8_t f[64];
	struct eth_info e;

	for (int ntags = 0; ntags <= 2; ntags++) {
		size_t h = build(f, ad + 2 - ntags, ntags, ETHERTYPE_IPV4);

		assert_int_equal(parse_exact(f, h, &e), 0);
		for (size_t len = 0; len < h; len++)
			assert_int_equal(parse_exact(f, len, &e),
					 -WIRE_ETH_SHORT);
	}
}

static void emit_roundtrip(void **state)
{
	uint8_t f[ETH_HLEN_];
	struct eth_info e;

	assert_int_equal(eth_emit(f, ETH_HLEN_ - 1, DST, SRC, ETHERTYPE_IPV6),
			 -WIRE_NOSPACE);
	assert_int_equal(eth_emit(f, 0, DST, SRC, ETHERTYPE_IPV6),
			 -WIRE_NOSPACE);
	assert_int_equal(eth_emit(f, sizeof(f), DST, SRC, ETHERTYPE_IPV6),
			 ETH_HLEN_);
	assert_int_equal(f[12], 0x86);
	assert_int_equal(f[13], 0xdd);
	assert_int_equal(parse_exact(f, sizeof(f), &e), 0);
	assert_memory_equal(e.dst, DST, 6);
	assert_memory_equal(e.src, SRC, 6);
	assert_int_equal(e.ethertype, ETHERTYPE_IPV6);
	assert_int_equal(e.hlen, ETH_HLEN_);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(untagged),
		cmocka_unit_test(vlan_tags),
		cmocka_unit_test(bad_type),
		cmocka_unit_test(every_truncation),
		cmocka_unit_test(emit_roundtrip),
	};

	return cmocka_run_group_tests_name("wire_eth", tests, NULL, NULL);
}
