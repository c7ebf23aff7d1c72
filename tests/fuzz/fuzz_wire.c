// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the wire parsers: any byte string, as an Ethernet
 * frame and as a bare IP packet, with and without checksum verification.
 * The input is copied to a buffer of exactly its size so that ASan sees a
 * read past the end. Checks the invariants a caller relies on when a
 * parse succeeds: every pointer and length stays inside the input.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iuser \
 *	tests/fuzz/fuzz_wire.c $(ls user/wire/[a-z]*.c) -o fuzz_wire
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/packet.h"
#include "wire/wire_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *buf, size_t size, int r, const struct pkt *p)
{
	if (r > 0 || r <= -WIRE_ERR_MAX)
		abort();
	if (r)
		return;
	if (p->l3 < buf || p->l4 < p->l3 || p->payload < p->l4 ||
	    p->payload + p->payload_len > buf + size)
		abort();
	if ((size_t)(p->payload - p->l4) != p->tcp.doff ||
	    p->tcp.doff < TCP_HLEN || p->tcp.opts.nsack > TCP_MAX_SACK ||
	    p->tcp.sport == 0 || p->tcp.dport == 0)
		abort();
	if (p->ip.proto != IPPROTO_TCP_ ||
	    (p->ip.version != 4 && p->ip.version != 6))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct pkt p;
	int r;

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	r = pkt_parse_eth(buf, size, PKT_VERIFY_ALL, &p);
	check(buf, size, r, &p);
	r = pkt_parse_eth(buf, size, 0, &p);
	check(buf, size, r, &p);
	r = pkt_parse_ip(buf, size, PKT_VERIFY_ALL, &p);
	check(buf, size, r, &p);
	r = pkt_parse_ip(buf, size, 0, &p);
	check(buf, size, r, &p);

	free(buf);
	return 0;
}
