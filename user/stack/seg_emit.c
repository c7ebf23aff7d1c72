// SPDX-License-Identifier: BSD-2-Clause
/* struct seg_out to IP + TCP bytes (RFC 791 / RFC 8200, RFC 9293 3.1). */
#include "stack/seg_emit.h"

#include <string.h>

#include "wire/wire_err.h"

size_t seg_emit_len(const struct seg_out *so)
{
	size_t ip = ip_addr_is_v4(&so->dst) ? IP4_HLEN : IP6_HLEN;

	return ip + TCP_HLEN + tcp_opts_len(&so->th.opts) + so->len;
}

int seg_emit_ip(const struct seg_out *so, uint8_t *buf, size_t cap)
{
	size_t need = seg_emit_len(so);
	bool v4 = ip_addr_is_v4(&so->dst);
	size_t iphl = v4 ? IP4_HLEN : IP6_HLEN;
	uint32_t l4_len = (uint32_t)(need - iphl);
	uint8_t *tcp = buf + iphl, *p;
	int hl, ret;

	if (cap < need || l4_len > 65535)
		return -WIRE_NOSPACE;
	if (v4)
		ret = ip4_emit(buf, cap, &so->src, &so->dst, IPPROTO_TCP_,
			       so->ttl, so->tos, (uint16_t)l4_len);
	else
		ret = ip6_emit(buf, cap, &so->src, &so->dst, IPPROTO_TCP_,
			       so->ttl, so->tos, 0, (uint16_t)l4_len);
	if (ret < 0)
		return ret;
	hl = tcp_emit(tcp, cap - iphl, &so->th);
	if (hl < 0)
		return hl;
	p = tcp + hl;
	for (int i = 0; i < so->ndata; i++) {
		memcpy(p, so->data[i].iov_base, so->data[i].iov_len);
		p += so->data[i].iov_len;
	}
	tcp_fill_csum(tcp, l4_len,
		      ip_pseudo_csum(&so->src, &so->dst, IPPROTO_TCP_, l4_len));
	return (int)need;
}
