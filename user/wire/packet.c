// SPDX-License-Identifier: BSD-2-Clause
/* A frame parsed down to TCP: Ethernet, IPv4 or IPv6, TCP. */
#include "wire/packet.h"

#include <string.h>

#include "wire/wire_err.h"

/*
 * From the IP header on. The segment is bounded by the IP lengths, never by
 * the buffer, so Ethernet padding never reaches TCP. Order: the TCP header
 * must be long enough to hold its checksum field, then the checksum is
 * verified before any other field is believed (a corrupted data offset or
 * option is then counted as a checksum error), then the header is parsed.
 */
static int pkt_parse_l3(const uint8_t *l3, size_t len, int family,
			unsigned verify, struct pkt *out)
{
	bool v4csum = verify & PKT_VERIFY_IP4_CSUM;
	const uint8_t *l4;
	int err;

	if (family == 4)
		err = ip4_parse(l3, len, v4csum, &out->ip);
	else if (family == 6)
		err = ip6_parse(l3, len, &out->ip);
	else
		err = ip_parse(l3, len, v4csum, &out->ip);
	if (err)
		return err;
	if (out->ip.proto != IPPROTO_TCP_)
		return -WIRE_L4_PROTO;

	l4 = l3 + out->ip.hlen;
	if (out->ip.l4_len < TCP_HLEN)
		return -WIRE_TCP_SHORT;
	if (verify & PKT_VERIFY_TCP_CSUM) {
		uint32_t ph = ip_pseudo_csum(&out->ip.src, &out->ip.dst,
					     IPPROTO_TCP_, out->ip.l4_len);

		err = tcp_verify_csum(l4, out->ip.l4_len, ph);
		if (err)
			return err;
	}
	err = tcp_parse(l4, out->ip.l4_len, &out->tcp);
	if (err)
		return err;
	/* Port 0 is reserved (RFC 6335 6) and names no connection. */
	if (out->tcp.sport == 0 || out->tcp.dport == 0)
		return -WIRE_TCP_PORT;

	out->l3 = l3;
	out->l4 = l4;
	out->payload = l4 + out->tcp.doff;
	out->payload_len = out->ip.l4_len - out->tcp.doff;
	return 0;
}

/*
 * The ethertype picks the IP parser, so an IPv6 packet labelled IPv4 fails
 * as -WIRE_IP4_VERSION and the reverse as -WIRE_IP6_VERSION.
 */
int pkt_parse_eth(const uint8_t *frame, size_t len, unsigned verify,
		  struct pkt *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = eth_parse(frame, len, &out->eth);
	if (err)
		return err;
	return pkt_parse_l3(frame + out->eth.hlen, len - out->eth.hlen,
			    out->eth.ethertype == ETHERTYPE_IPV4 ? 4 : 6,
			    verify, out);
}

int pkt_parse_ip(const uint8_t *l3, size_t len, unsigned verify,
		 struct pkt *out)
{
	memset(out, 0, sizeof(*out));
	return pkt_parse_l3(l3, len, 0, verify, out);
}
