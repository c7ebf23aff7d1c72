// SPDX-License-Identifier: BSD-2-Clause
/* AF_XDP frames <-> the engine (see datapath.h). */
#include "daemon/datapath.h"

#include <errno.h>
#include <string.h>

#include <linux/types.h>

#include "io/umem.h"
#include "xtcp/xdp_maps.h"
#include "stack/seg_emit.h"
#include "wire/eth.h"
#include "wire/packet.h"

void dp_init(struct datapath *dp, struct nl *nl, int ifindex,
	     const uint8_t mac[6], uint32_t mtu)
{
	memset(dp, 0, sizeof(*dp));
	dp->nl = nl;
	dp->ifindex = ifindex;
	memcpy(dp->mac, mac, 6);
	dp->mtu = mtu;
	/*
	 * The XDP program verifies IPv4 header checksums of what it redirects;
	 * the TCP checksum is checked here (RFC 9293 3.1: every segment).
	 */
	dp->verify = PKT_VERIFY_TCP_CSUM;
}

int dp_add_port(struct datapath *dp, struct xio *x)
{
	if (dp->nports == DP_MAX_PORTS)
		return -ENOSPC;
	dp->port[dp->nports++] = x;
	dp->frame_cap = xio_umem(x)->frame_size;
	return 0;
}

unsigned dp_rx(struct datapath *dp, struct engine *eng, uint64_t now)
{
	struct xio_frame f[DP_RX_BATCH];
	unsigned total = 0;

	for (unsigned p = 0; p < dp->nports; p++) {
		unsigned n = xio_rx(dp->port[p], f, DP_RX_BATCH);

		if (n && dp->before_rx)
			dp->before_rx(dp->before_rx_arg, now);
		/* One answer per connection for what arrived together. */
		eng_batch_begin(eng);
		for (unsigned i = 0; i < n; i++) {
			struct pkt pk;
			unsigned verify = dp->verify;
			int ret;

			/* XDP verified it (its metadata says): once is
			 * enough. */
			if (f[i].meta ==
			    (XTCP_META_MAGIC | XTCP_META_CSUM_OK)) {
				verify &= ~PKT_VERIFY_TCP_CSUM;
				dp->st.rx_csum_xdp++;
			}
			ret = pkt_parse_eth(f[i].data, f[i].len, verify, &pk);

			if (ret) {
				dp->st.rx_bad++;
				eng_count_bad_wire(eng, ret);
				continue;
			}
			eng_input(eng, &pk, now);
		}
		eng_batch_end(eng, now);
		/* The engine copied what it keeps: the frames go back. */
		if (n)
			xio_rx_done(dp->port[p], f, n);
		dp->st.rx_frames += n;
		total += n;
	}
	return total;
}

/* A free UMEM frame to write into, from the first port. */
static struct xio_frame *tx_slot(struct datapath *dp)
{
	struct xio_frame *f;

	if (dp->ntx == DP_TX_BATCH)
		dp_flush(dp);
	f = &dp->tx[dp->ntx];
	if (xio_tx_reserve(dp->port[0], f, 1) != 1) {
		/* All frames in flight: reap and try once more. */
		dp_flush(dp);
		f = &dp->tx[dp->ntx];
		if (xio_tx_reserve(dp->port[0], f, 1) != 1) {
			dp->st.tx_no_frame++;
			return NULL;
		}
	}
	return f;
}

static void send_ip(struct datapath *dp, const uint8_t dst_mac[6], bool v4,
		    const uint8_t *ip, uint32_t len)
{
	struct xio_frame *f = tx_slot(dp);

	if (!f)
		return;
	eth_emit(f->data, ETH_HLEN_, dst_mac, dp->mac,
		 v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	memcpy(f->data + ETH_HLEN_, ip, len);
	f->len = ETH_HLEN_ + len;
	dp->ntx++;
	dp->st.tx_frames++;
}

static void pend(struct datapath *dp, const struct nl_route *rt,
		 const struct seg_out *so, uint64_t now)
{
	struct dp_pending *p;
	int n;

	dp->st.tx_neigh_wait++;
	if (dp->npend == DP_PENDING) {
		/* Full: the oldest goes (TCP will retransmit it). */
		memmove(&dp->pend[0], &dp->pend[1],
			(DP_PENDING - 1) * sizeof(dp->pend[0]));
		dp->npend--;
		dp->st.tx_neigh_drop++;
	}
	p = &dp->pend[dp->npend];
	n = seg_emit_ip(so, p->pkt, sizeof(p->pkt));
	if (n < 0) {
		dp->st.tx_neigh_drop++;
		return;
	}
	p->since = now;
	p->ifindex = rt->ifindex;
	p->nexthop = rt->nexthop;
	p->len = (uint16_t)n;
	dp->npend++;
}

void dp_output(struct datapath *dp, const struct seg_out *so, uint64_t now)
{
	struct nl_route rt;
	uint8_t mac[6];
	struct xio_frame *f;
	size_t len = seg_emit_len(so);
	int ret;

	if (len > dp->mtu) {
		dp->st.tx_too_big++;
		return;
	}
	ret = nl_route(dp->nl, &so->dst, &rt);
	if (ret || rt.ifindex != dp->ifindex) {
		/* Local delivery and other interfaces come with the socket
		 * layer (issue 5); until then such segments are dropped. */
		if (ret)
			dp->st.tx_no_route++;
		else
			dp->st.local_drops++;
		return;
	}
	ret = nl_neigh(dp->nl, rt.ifindex, &rt.nexthop, mac);
	if (ret == -EAGAIN) {
		pend(dp, &rt, so, now);
		return;
	}
	if (ret) {
		dp->st.tx_neigh_drop++;
		return;
	}
	f = tx_slot(dp);
	if (!f)
		return;
	eth_emit(f->data, ETH_HLEN_, mac, dp->mac,
		 ip_addr_is_v4(&so->dst) ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	ret = seg_emit_ip(so, f->data + ETH_HLEN_, dp->frame_cap - ETH_HLEN_);
	if (ret < 0) {
		xio_tx_release(dp->port[0], f, 1);
		dp->st.tx_too_big++;
		return;
	}
	f->len = ETH_HLEN_ + (uint32_t)ret;
	dp->ntx++;
	dp->st.tx_frames++;
}

void dp_flush(struct datapath *dp)
{
	unsigned done = 0;

	if (dp->ntx && dp->before_tx)
		dp->before_tx(dp->before_tx_arg);
	while (done < dp->ntx) {
		unsigned n = xio_tx_submit(dp->port[0], dp->tx + done,
					   dp->ntx - done);

		if (!n) {
			/* The TX ring is full: let the kernel drain it. */
			xio_tx_kick(dp->port[0]);
			xio_complete(dp->port[0]);
			n = xio_tx_submit(dp->port[0], dp->tx + done,
					  dp->ntx - done);
			if (!n) {
				xio_tx_release(dp->port[0], dp->tx + done,
					       dp->ntx - done);
				break;
			}
		}
		done += n;
	}
	dp->ntx = 0;
	xio_tx_kick(dp->port[0]);
	xio_complete(dp->port[0]);
}

void dp_neigh_ready(struct datapath *dp, int ifindex,
		    const struct ip_addr *addr, const uint8_t *mac,
		    uint64_t now)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < dp->npend; i++) {
		struct dp_pending *p = &dp->pend[i];

		if (p->ifindex == ifindex &&
		    !memcmp(&p->nexthop, addr, sizeof(*addr)) && mac) {
			send_ip(dp, mac, (p->pkt[0] >> 4) == 4, p->pkt, p->len);
			continue;
		}
		if (keep != i)
			dp->pend[keep] = *p;
		keep++;
	}
	dp->npend = keep;
}

void dp_expire(struct datapath *dp, uint64_t now)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < dp->npend; i++) {
		if (now - dp->pend[i].since > DP_PENDING_MAX_AGE_US) {
			dp->st.tx_neigh_drop++;
			continue;
		}
		if (keep != i)
			dp->pend[keep] = dp->pend[i];
		keep++;
	}
	dp->npend = keep;
}
