// SPDX-License-Identifier: BSD-2-Clause
/* Ethernet II (IEEE 802.3 clause 3) with 802.1Q / 802.1ad tags. */
#include "wire/eth.h"

#include <string.h>

#include "wire/be.h"
#include "wire/wire_err.h"

/* A VLAN tag is 4 bytes: TPID (read as the ethertype) and TCI. */
#define VLAN_TAG_LEN 4
/* 802.1ad S-tag + 802.1Q C-tag is the deepest stack eth_info describes. */
#define ETH_MAX_TAGS 2

static int is_vlan_tpid(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

int eth_parse(const uint8_t *buf, size_t len, struct eth_info *out)
{
	size_t off = ETH_HLEN_ - 2; /* the ethertype / first TPID */
	uint16_t type;
	int tags = 0;

	memset(out, 0, sizeof(*out));
	if (len < ETH_HLEN_)
		return -WIRE_ETH_SHORT;
	memcpy(out->dst, buf, ETH_ALEN_);
	memcpy(out->src, buf + ETH_ALEN_, ETH_ALEN_);
	type = wire_get_be16(buf + off);

	/*
	 * Each tag pushes the real ethertype 4 bytes further. The TCI (PCP,
	 * DEI, VID) is not kept: the stack serves one link, and the kernel
	 * (XDP_PASS) owns any other VLAN.
	 */
	while (is_vlan_tpid(type)) {
		if (++tags > ETH_MAX_TAGS)
			return -WIRE_ETH_TYPE;
		off += VLAN_TAG_LEN;
		if (len < off + 2)
			return -WIRE_ETH_SHORT;
		type = wire_get_be16(buf + off);
	}
	out->ethertype = type;
	out->hlen = (uint16_t)(off + 2);
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return -WIRE_ETH_TYPE;
	return 0;
}

int eth_emit(uint8_t *buf, size_t cap, const uint8_t dst[ETH_ALEN_],
	     const uint8_t src[ETH_ALEN_], uint16_t ethertype)
{
	if (cap < ETH_HLEN_)
		return -WIRE_NOSPACE;
	memcpy(buf, dst, ETH_ALEN_);
	memcpy(buf + ETH_ALEN_, src, ETH_ALEN_);
	wire_put_be16(buf + 2 * ETH_ALEN_, ethertype);
	return ETH_HLEN_;
}
