// SPDX-License-Identifier: BSD-2-Clause
/*
 * The rtnetlink parsers and builders of user/daemon/netlink.c on
 * hand-built messages: well-formed ones as the kernel sends them, and
 * every way of being short, overrunning or mis-sized.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "daemon/netlink.h"

static const uint8_t MAC[6] = { 0x02, 0x78, 0x74, 0x00, 0x00, 0x01 };
static const uint8_t V4A[4] = { 198, 18, 0, 1 };
static const uint8_t V4B[4] = { 198, 18, 0, 2 };
static const uint8_t V4C[4] = { 198, 18, 1, 254 };
static const uint8_t V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* Aligned scratch space for building. */
static uint32_t bufw[1024];
#define BUF ((void *)bufw)

static struct nlmsghdr *hdr(uint16_t type, const void *fam, size_t flen)
{
	struct nlmsghdr *nlh;
	void *p;

	memset(bufw, 0, sizeof(bufw));
	nlh = mnl_nlmsg_put_header(BUF);
	nlh->nlmsg_type = type;
	p = mnl_nlmsg_put_extra_header(nlh, flen);
	memcpy(p, fam, flen);
	return nlh;
}

static struct nlmsghdr *link_msg(uint16_t type, uint8_t family)
{
	struct ifinfomsg ifi = { .ifi_family = family,
				 .ifi_index = 7,
				 .ifi_flags = 0x1043 };
	struct nlmsghdr *nlh = hdr(type, &ifi, sizeof(ifi));

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "xt1234l0a");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, MAC);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6 /* IF_OPER_UP */);
	return nlh;
}

static void ip4(struct ip_addr *a, const uint8_t v4[4])
{
	ip_addr_from_v4(a, v4);
}

static void ip6(struct ip_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

static void test_link_ok(void **state)
{
	struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, AF_UNSPEC);
	struct nl_link_info li;

	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), 0);
	assert_int_equal(li.ifindex, 7);
	assert_string_equal(li.name, "xt1234l0a");
	assert_int_equal(li.mtu, 1500);
	assert_int_equal(li.mac_len, 6);
	assert_memory_equal(li.mac, MAC, 6);
	assert_int_equal(li.flags, 0x1043);
	assert_int_equal(li.operstate, 6);
	/* Trailing bytes after the message (the next one) are not read. */
	assert_int_equal(nl_parse_link(nlh, sizeof(bufw), &li), 0);
}

static void test_link_del_minimal(void **state)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 9 };
	struct nlmsghdr *nlh = hdr(RTM_DELLINK, &ifi, sizeof(ifi));
	struct nl_link_info li;

	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), 0);
	assert_int_equal(li.ifindex, 9);
	/* A new link without its name or MTU is not usable. */
	nlh->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);
}

static void test_link_not_ours(void **state)
{
	struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, AF_BRIDGE);
	struct nl_link_info li;

	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -ENOMSG);
	nlh = link_msg(RTM_NEWADDR, AF_UNSPEC);
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -ENOMSG);
	assert_int_equal(nl_parse_link(NULL, 0, &li), -EINVAL);
}

/*
 * Cut a good message at every length: with the header's length kept, the
 * buffer is shorter than it says; with the header's length cut too, the
 * body ends inside the family header or an attribute. Either way the
 * answer is -EINVAL, except for cuts at an attribute boundary, which are
 * well-formed messages with fewer attributes.
 */
static void test_link_truncated(void **state)
{
	struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, AF_UNSPEC);
	uint32_t full = nlh->nlmsg_len;
	struct nl_link_info li;
	uint8_t copy[256];
	/* Ends of the family header and of each attribute, with all,
	 * part or none of the last one's padding. */
	size_t bounds[] = { 32, 46, 47, 48, 56, 66, 67, 68, 73, 74, 75 };

	assert_true(full <= sizeof(copy));
	for (uint32_t cut = 0; cut < full; cut++) {
		bool boundary = false;

		memcpy(copy, nlh, full);
		assert_int_equal(nl_parse_link(copy, cut, &li), -EINVAL);
		((struct nlmsghdr *)copy)->nlmsg_len = cut;
		for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
			boundary |= cut == bounds[i];
		if (cut < 16 + 16 || !boundary)
			assert_int_equal(nl_parse_link(copy, cut, &li),
					 -EINVAL);
	}
	/* Cut after IFLA_IFNAME and IFLA_MTU: still a whole link. */
	memcpy(copy, nlh, full);
	((struct nlmsghdr *)copy)->nlmsg_len = 16 + 16 + 16 + 8;
	assert_int_equal(nl_parse_link(copy, full, &li), 0);
	assert_int_equal(li.mac_len, 0);
}

static void test_link_bad_attrs(void **state)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 3 };
	struct nl_link_info li;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* IFLA_MTU of 2 bytes. */
	nlh = hdr(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);

	/* A name without its NUL. */
	nlh = hdr(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);

	/* A name longer than IFNAMSIZ allows. */
	nlh = hdr(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "a-very-long-ifname");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);

	/* An attribute whose length is below its own header. */
	nlh = hdr(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	a->nla_len = 3;
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);

	/* An attribute claiming more than the message holds. */
	a->nla_len = 200;
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);

	/* An 8-byte link-layer address (not Ethernet): no MAC, no error. */
	nlh = hdr(RTM_NEWLINK, &ifi, sizeof(ifi));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "ib0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 2044);
	mnl_attr_put(nlh, IFLA_ADDRESS, 8, "\1\2\3\4\5\6\7\10");
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), 0);
	assert_int_equal(li.mac_len, 0);

	/* A negative or zero ifindex. */
	ifi.ifi_index = 0;
	nlh = link_msg(RTM_NEWLINK, AF_UNSPEC);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = -1;
	assert_int_equal(nl_parse_link(nlh, nlh->nlmsg_len, &li), -EINVAL);
}

/* Any alignment: the parser copies what it reads. */
static void test_link_unaligned(void **state)
{
	struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, AF_UNSPEC);
	uint8_t *copy = malloc(nlh->nlmsg_len + 1);
	struct nl_link_info li;

	assert_non_null(copy);
	memcpy(copy + 1, nlh, nlh->nlmsg_len);
	assert_int_equal(nl_parse_link(copy + 1, nlh->nlmsg_len, &li), 0);
	assert_int_equal(li.mtu, 1500);
	free(copy);
}

static struct nlmsghdr *addr_msg(uint16_t type, uint8_t family,
				 uint8_t prefixlen)
{
	struct ifaddrmsg ifa = { .ifa_family = family,
				 .ifa_prefixlen = prefixlen,
				 .ifa_flags = IFA_F_PERMANENT,
				 .ifa_scope = RT_SCOPE_UNIVERSE,
				 .ifa_index = 7 };

	return hdr(type, &ifa, sizeof(ifa));
}

static void test_addr_v4(void **state)
{
	struct nlmsghdr *nlh = addr_msg(RTM_NEWADDR, AF_INET, 24);
	struct ip_addr want;
	struct nl_addr a;

	/* Point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL is ours. */
	mnl_attr_put(nlh, IFA_ADDRESS, 4, V4B);
	mnl_attr_put(nlh, IFA_LOCAL, 4, V4A);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), 0);
	ip4(&want, V4A);
	assert_memory_equal(&a.addr, &want, 16);
	assert_int_equal(a.ifindex, 7);
	assert_int_equal(a.prefixlen, 24);
	assert_int_equal(a.flags, IFA_F_PERMANENT);
	assert_int_equal(a.scope, RT_SCOPE_UNIVERSE);
	/* 4 bytes in IPv4-mapped form. */
	assert_true(ip_addr_is_v4(&a.addr));
}

static void test_addr_v6(void **state)
{
	struct nlmsghdr *nlh = addr_msg(RTM_DELADDR, AF_INET6, 64);
	struct ip_addr want;
	struct nl_addr a;

	mnl_attr_put(nlh, IFA_ADDRESS, 16, V6A);
	/* IFA_FLAGS carries the flags above bit 7. */
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD | IFA_F_PERMANENT);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), 0);
	ip6(&want, V6A);
	assert_memory_equal(&a.addr, &want, 16);
	assert_int_equal(a.flags, IFA_F_NODAD | IFA_F_PERMANENT);
}

static void test_addr_bad(void **state)
{
	struct nlmsghdr *nlh;
	struct nl_addr a;

	/* Prefix longer than the family allows. */
	nlh = addr_msg(RTM_NEWADDR, AF_INET, 33);
	mnl_attr_put(nlh, IFA_LOCAL, 4, V4A);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -EINVAL);
	/* An IPv6 address in an IPv4 message. */
	nlh = addr_msg(RTM_NEWADDR, AF_INET, 24);
	mnl_attr_put(nlh, IFA_LOCAL, 16, V6A);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -EINVAL);
	/* No address at all. */
	nlh = addr_msg(RTM_NEWADDR, AF_INET6, 64);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -EINVAL);
	/* IFA_FLAGS of the wrong size. */
	nlh = addr_msg(RTM_NEWADDR, AF_INET6, 64);
	mnl_attr_put(nlh, IFA_ADDRESS, 16, V6A);
	mnl_attr_put_u16(nlh, IFA_FLAGS, 1);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -EINVAL);
	/* Other families and types are not addresses for us. */
	nlh = addr_msg(RTM_NEWADDR, AF_PACKET, 0);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -ENOMSG);
	nlh = addr_msg(RTM_NEWLINK, AF_INET, 24);
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -ENOMSG);
	/* The family header cut short. */
	nlh = addr_msg(RTM_NEWADDR, AF_INET, 24);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	assert_int_equal(nl_parse_addr(nlh, nlh->nlmsg_len, &a), -EINVAL);
}

static struct nlmsghdr *route_msg(uint8_t family, uint8_t type)
{
	struct rtmsg rtm = { .rtm_family = family,
			     .rtm_dst_len = family == AF_INET ? 32 : 128,
			     .rtm_table = RT_TABLE_MAIN,
			     .rtm_type = type };

	return hdr(RTM_NEWROUTE, &rtm, sizeof(rtm));
}

static void test_route_v4_gateway(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, RTN_UNICAST);
	struct nlattr *nest;
	struct ip_addr gw, src;
	struct nl_route r;

	mnl_attr_put(nlh, RTA_DST, 4, V4C);
	mnl_attr_put_u32(nlh, RTA_OIF, 4);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, V4B);
	mnl_attr_put(nlh, RTA_PREFSRC, 4, V4A);
	nest = mnl_attr_nest_start(nlh, RTA_METRICS);
	mnl_attr_put_u32(nlh, RTAX_ADVMSS, 1460);
	mnl_attr_put_u32(nlh, RTAX_MTU, 1400);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), 0);
	ip4(&gw, V4B);
	ip4(&src, V4A);
	assert_int_equal(r.ifindex, 4);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_true(r.has_gateway);
	assert_memory_equal(&r.gateway, &gw, 16);
	assert_memory_equal(&r.nexthop, &gw, 16);
	assert_true(r.has_prefsrc);
	assert_memory_equal(&r.prefsrc, &src, 16);
	assert_int_equal(r.metric_mtu, 1400);
	assert_int_equal(r.mtu, 1400);
}

static void test_route_v6_onlink(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET6, RTN_UNICAST);
	struct ip_addr dst;
	struct nl_route r;

	mnl_attr_put(nlh, RTA_DST, 16, V6B);
	mnl_attr_put_u32(nlh, RTA_OIF, 5);
	mnl_attr_put(nlh, RTA_PREFSRC, 16, V6A);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), 0);
	ip6(&dst, V6B);
	assert_false(r.has_gateway);
	assert_memory_equal(&r.nexthop, &dst, 16);
	assert_int_equal(r.ifindex, 5);
	assert_int_equal(r.metric_mtu, 0);
}

static void test_route_via(void **state)
{
	struct nlmsghdr *nlh = route_msg(AF_INET, RTN_UNICAST);
	uint8_t via[18];
	uint16_t fam = AF_INET6;
	struct ip_addr gw;
	struct nl_route r;

	memcpy(via, &fam, 2);
	memcpy(via + 2, V6B, 16);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), 0);
	ip6(&gw, V6B);
	assert_true(r.has_gateway);
	assert_memory_equal(&r.gateway, &gw, 16);

	/* A via whose address does not match its family. */
	nlh = route_msg(AF_INET, RTN_UNICAST);
	fam = AF_INET;
	memcpy(via, &fam, 2);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -EINVAL);
}

static void test_route_bad(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct nl_route r;

	/* A metric overrunning its nest. */
	nlh = route_msg(AF_INET, RTN_UNICAST);
	nest = mnl_attr_nest_start(nlh, RTA_METRICS);
	mnl_attr_put_u32(nlh, RTAX_MTU, 1400);
	mnl_attr_nest_end(nlh, nest);
	((struct nlattr *)mnl_attr_get_payload(nest))->nla_len = 12;
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -EINVAL);
	/* RTAX_MTU of the wrong size. */
	nlh = route_msg(AF_INET, RTN_UNICAST);
	nest = mnl_attr_nest_start(nlh, RTA_METRICS);
	mnl_attr_put_u16(nlh, RTAX_MTU, 1400);
	mnl_attr_nest_end(nlh, nest);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -EINVAL);
	/* A 16-byte gateway on an IPv4 route. */
	nlh = route_msg(AF_INET, RTN_UNICAST);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, V6B);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -EINVAL);
	/* RTA_OIF of 2 bytes. */
	nlh = route_msg(AF_INET6, RTN_UNICAST);
	mnl_attr_put_u16(nlh, RTA_OIF, 2);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -EINVAL);
	/* A deletion is not an answer; an MPLS route is not ours. */
	nlh = route_msg(AF_INET, RTN_UNICAST);
	nlh->nlmsg_type = RTM_DELROUTE;
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -ENOMSG);
	nlh = route_msg(28 /* AF_MPLS */, RTN_UNICAST);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), -ENOMSG);
	/* Unusable types parse; nl_route() turns them into errors. */
	nlh = route_msg(AF_INET, RTN_UNREACHABLE);
	assert_int_equal(nl_parse_route(nlh, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.type, RTN_UNREACHABLE);
}

static struct nlmsghdr *neigh_msg(uint16_t type, uint8_t family, uint16_t state,
				  uint8_t flags)
{
	struct ndmsg ndm = { .ndm_family = family,
			     .ndm_ifindex = 7,
			     .ndm_state = state,
			     .ndm_flags = flags };

	return hdr(type, &ndm, sizeof(ndm));
}

static void test_neigh_ok(void **state)
{
	struct nlmsghdr *nlh;
	struct nl_neigh_entry n;
	struct ip_addr want;

	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_DST, 4, V4B);
	mnl_attr_put(nlh, NDA_LLADDR, 6, MAC);
	mnl_attr_put_u32(nlh, NDA_PROBES, 1);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), 0);
	ip4(&want, V4B);
	assert_memory_equal(&n.addr, &want, 16);
	assert_int_equal(n.ifindex, 7);
	assert_int_equal(n.state, NUD_REACHABLE);
	assert_int_equal(n.mac_len, 6);
	assert_memory_equal(n.mac, MAC, 6);

	/* FAILED: no link-layer address. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET6, NUD_FAILED, 0);
	mnl_attr_put(nlh, NDA_DST, 16, V6B);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), 0);
	ip6(&want, V6B);
	assert_memory_equal(&n.addr, &want, 16);
	assert_int_equal(n.state, NUD_FAILED);
	assert_int_equal(n.mac_len, 0);

	/* A non-Ethernet link-layer address is not a MAC. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET6, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_DST, 16, V6B);
	mnl_attr_put(nlh, NDA_LLADDR, 8, "\1\2\3\4\5\6\7\10");
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.mac_len, 0);
}

static void test_neigh_bad(void **state)
{
	struct nlmsghdr *nlh;
	struct nl_neigh_entry n;

	/* Bridge FDB entries and proxy entries are not neighbours. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_BRIDGE, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_LLADDR, 6, MAC);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), -ENOMSG);
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, NUD_NONE, NTF_PROXY);
	mnl_attr_put(nlh, NDA_DST, 4, V4B);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), -ENOMSG);
	/* No destination; a destination of the wrong size. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_LLADDR, 6, MAC);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), -EINVAL);
	nlh = neigh_msg(RTM_DELNEIGH, AF_INET6, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_DST, 4, V4B);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len, &n), -EINVAL);
	/* nlmsg_len beyond the buffer, and below the header. */
	nlh = neigh_msg(RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, 0);
	mnl_attr_put(nlh, NDA_DST, 4, V4B);
	assert_int_equal(nl_parse_neigh(nlh, nlh->nlmsg_len - 1, &n), -EINVAL);
	nlh->nlmsg_len = 8;
	assert_int_equal(nl_parse_neigh(nlh, 64, &n), -EINVAL);
}

static void test_error(void **state)
{
	struct nlmsgerr e = { .error = -ENETUNREACH };
	struct nlmsghdr *nlh = hdr(NLMSG_ERROR, &e, sizeof(e));
	int err = 1;

	assert_int_equal(nl_parse_error(nlh, nlh->nlmsg_len, &err), 0);
	assert_int_equal(err, -ENETUNREACH);
	e.error = 0;
	nlh = hdr(NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(nl_parse_error(nlh, nlh->nlmsg_len, &err), 0);
	assert_int_equal(err, 0);
	e.error = 5;
	nlh = hdr(NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(nl_parse_error(nlh, nlh->nlmsg_len, &err), -EINVAL);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(nl_parse_error(nlh, nlh->nlmsg_len, &err), -EINVAL);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(nl_parse_error(nlh, 64, &err), -ENOMSG);
}

static void test_build_route_get(void **state)
{
	struct ip_addr dst;
	struct nlmsghdr *nlh = BUF;
	struct rtmsg *rtm;
	struct nlattr *a;
	int len;

	ip4(&dst, V4C);
	len = nl_build_route_get(BUF, sizeof(bufw), 42, &dst);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(*rtm) + 8);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, RTM_GETROUTE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 42);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 32);
	a = mnl_nlmsg_get_payload_offset(nlh, sizeof(*rtm));
	assert_int_equal(mnl_attr_get_type(a), RTA_DST);
	assert_int_equal(mnl_attr_get_payload_len(a), 4);
	assert_memory_equal(mnl_attr_get_payload(a), V4C, 4);

	ip6(&dst, V6B);
	len = nl_build_route_get(BUF, sizeof(bufw), 43, &dst);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(*rtm) + 20);
	assert_int_equal(rtm->rtm_family, AF_INET6);
	assert_int_equal(rtm->rtm_dst_len, 128);
	assert_memory_equal(mnl_attr_get_payload(a), V6B, 16);
	/* Too small, or unaligned for libmnl. */
	assert_int_equal(nl_build_route_get(BUF, 40, 1, &dst), -ENOSPC);
	assert_int_equal(nl_build_route_get((uint8_t *)BUF + 1, 100, 1, &dst),
			 -ENOSPC);
}

static void test_build_neigh_use(void **state)
{
	struct nlmsghdr *nlh = BUF;
	struct ip_addr a;
	struct ndmsg *ndm;
	struct nlattr *at;
	int len;

	ip4(&a, V4B);
	len = nl_build_neigh_use(BUF, sizeof(bufw), 7, 12, &a);
	assert_int_equal(len, NLMSG_HDRLEN + sizeof(*ndm) + 8);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWNEIGH);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK |
						   NLM_F_CREATE |
						   NLM_F_REPLACE);
	ndm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ndm->ndm_family, AF_INET);
	assert_int_equal(ndm->ndm_ifindex, 12);
	assert_int_equal(ndm->ndm_flags, NTF_USE);
	at = mnl_nlmsg_get_payload_offset(nlh, sizeof(*ndm));
	assert_int_equal(mnl_attr_get_type(at), NDA_DST);
	assert_memory_equal(mnl_attr_get_payload(at), V4B, 4);
	assert_int_equal(nl_build_neigh_use(BUF, 20, 7, 12, &a), -ENOSPC);
}

static void test_build_dump(void **state)
{
	struct nlmsghdr *nlh = BUF;
	int len;

	len = nl_build_dump(BUF, sizeof(bufw), RTM_GETNEIGH, AF_UNSPEC, 9);
	assert_true(len >= (int)(NLMSG_HDRLEN + 1));
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, RTM_GETNEIGH);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nl_build_dump(BUF, 8, RTM_GETLINK, 0, 1), -ENOSPC);
}

static void test_nud_usable(void **state)
{
	assert_true(nl_nud_usable(NUD_REACHABLE));
	assert_true(nl_nud_usable(NUD_STALE));
	assert_true(nl_nud_usable(NUD_DELAY));
	assert_true(nl_nud_usable(NUD_PROBE));
	assert_true(nl_nud_usable(NUD_PERMANENT));
	assert_false(nl_nud_usable(NUD_NONE));
	assert_false(nl_nud_usable(NUD_INCOMPLETE));
	assert_false(nl_nud_usable(NUD_FAILED));
}

/*
 * Random bytes behind a plausible header, and random flips of good
 * messages: every parser answers 0, -EINVAL or -ENOMSG and reads nothing
 * outside the buffer (checked under ASan in `make SAN=1`).
 */
static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void parse_all(const uint8_t *p, size_t len)
{
	union {
		struct nl_link_info l;
		struct nl_addr a;
		struct nl_route r;
		struct nl_neigh_entry n;
	} u;
	int e, r[5];

	r[0] = nl_parse_link(p, len, &u.l);
	r[1] = nl_parse_addr(p, len, &u.a);
	r[2] = nl_parse_route(p, len, &u.r);
	r[3] = nl_parse_neigh(p, len, &u.n);
	r[4] = nl_parse_error(p, len, &e);
	for (int i = 0; i < 5; i++)
		assert_true(r[i] == 0 || r[i] == -EINVAL || r[i] == -ENOMSG);
}

static void test_random(void **state)
{
	static const uint16_t types[] = { RTM_NEWLINK,	RTM_NEWADDR,
					  RTM_NEWROUTE, RTM_NEWNEIGH,
					  NLMSG_ERROR,	RTM_DELLINK };

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % 96;
		uint8_t *p = malloc(len ? len : 1);
		struct nlmsghdr h = { 0 };

		assert_non_null(p);
		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)rnd();
		if (len >= sizeof(h) && (rnd() & 1)) {
			h.nlmsg_len = (uint32_t)(len - (rnd() % 4 == 0));
			h.nlmsg_type = types[rnd() % 6];
			memcpy(p, &h, sizeof(h));
			/* Family byte: sometimes a real one. */
			if (len > 16 && (rnd() & 1))
				p[16] = (rnd() & 1) ? AF_INET : AF_INET6;
		}
		parse_all(p, len);
		free(p);
	}
	/* Bit flips in a good message. */
	for (int iter = 0; iter < 5000; iter++) {
		struct nlmsghdr *nlh = link_msg(RTM_NEWLINK, AF_UNSPEC);
		size_t len = nlh->nlmsg_len;
		uint8_t *p = malloc(len);

		assert_non_null(p);
		memcpy(p, nlh, len);
		for (int k = 0; k < 3; k++)
			p[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		parse_all(p, len);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_ok),
		cmocka_unit_test(test_link_del_minimal),
		cmocka_unit_test(test_link_not_ours),
		cmocka_unit_test(test_link_truncated),
		cmocka_unit_test(test_link_bad_attrs),
		cmocka_unit_test(test_link_unaligned),
		cmocka_unit_test(test_addr_v4),
		cmocka_unit_test(test_addr_v6),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_route_v4_gateway),
		cmocka_unit_test(test_route_v6_onlink),
		cmocka_unit_test(test_route_via),
		cmocka_unit_test(test_route_bad),
		cmocka_unit_test(test_neigh_ok),
		cmocka_unit_test(test_neigh_bad),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_build_route_get),
		cmocka_unit_test(test_build_neigh_use),
		cmocka_unit_test(test_build_dump),
		cmocka_unit_test(test_nud_usable),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
