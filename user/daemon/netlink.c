// SPDX-License-Identifier: BSD-2-Clause
/*
 * rtnetlink client: see netlink.h for the model. The parsers at the top are
 * pure and check every length before reading (they are fed hand-built and
 * fuzzed messages); the socket side below them keeps the tables current.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "daemon/netlink.h"

/* --- pure parsers -------------------------------------------------------- */

struct attr {
	const uint8_t *p; /* payload, NULL if the attribute is absent */
	uint16_t len; /* payload length */
};

/*
 * Index the attributes in @len bytes at @p by type (up to @max; others are
 * skipped). Every attribute must fit: a short header, a length below the
 * header or past the end is -EINVAL, and so is a partial attribute at the
 * end (libmnl's iterator would stop there silently).
 */
static int attrs_parse(const uint8_t *p, size_t len, struct attr *tb,
		       unsigned int max)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len > 0) {
		struct nlattr a;
		size_t step;
		unsigned int type;

		if (len < sizeof(a))
			return -EINVAL;
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
			return -EINVAL;
		type = a.nla_type & NLA_TYPE_MASK;
		if (type <= max) {
			tb[type].p = p + NLA_HDRLEN;
			tb[type].len = a.nla_len - NLA_HDRLEN;
		}
		/* The last attribute's padding may be missing. */
		step = NLA_ALIGN(a.nla_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return 0;
}

static int attr_u32(const struct attr *a, uint32_t *v)
{
	if (a->len != sizeof(*v))
		return -EINVAL;
	memcpy(v, a->p, sizeof(*v));
	return 0;
}

static int attr_u8(const struct attr *a, uint8_t *v)
{
	if (a->len != 1)
		return -EINVAL;
	*v = a->p[0];
	return 0;
}

/* An address of @family into the 16-byte form. */
static int attr_ip(const struct attr *a, uint8_t family, struct ip_addr *out)
{
	if (family == AF_INET && a->len == 4) {
		ip_addr_from_v4(out, a->p);
		return 0;
	}
	if (family == AF_INET6 && a->len == 16) {
		memcpy(out->b, a->p, 16);
		return 0;
	}
	return -EINVAL;
}

/*
 * Check the netlink header of one message and find its body: @fixed bytes
 * of family header, then attributes. -ENOMSG if the type is not one of
 * @t1 / @t2.
 */
static int msg_open(const void *buf, size_t len, uint16_t t1, uint16_t t2,
		    size_t fixed, struct nlmsghdr *h, const uint8_t **body,
		    size_t *attrs_len)
{
	size_t blen;

	if (!buf || len < NLMSG_HDRLEN)
		return -EINVAL;
	memcpy(h, buf, sizeof(*h));
	if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
		return -EINVAL;
	if (h->nlmsg_type != t1 && h->nlmsg_type != t2)
		return -ENOMSG;
	blen = h->nlmsg_len - NLMSG_HDRLEN;
	if (blen < NLMSG_ALIGN(fixed))
		return -EINVAL;
	*body = (const uint8_t *)buf + NLMSG_HDRLEN;
	*attrs_len = blen - NLMSG_ALIGN(fixed);
	return 0;
}

int nl_parse_link(const void *buf, size_t len, struct nl_link_info *out)
{
	struct attr tb[IFLA_MAX + 1];
	struct ifinfomsg ifi;
	struct nlmsghdr h;
	const uint8_t *body;
	size_t alen;
	int err;

	err = msg_open(buf, len, RTM_NEWLINK, RTM_DELLINK, sizeof(ifi), &h,
		       &body, &alen);
	if (err)
		return err;
	memcpy(&ifi, body, sizeof(ifi));
	err = attrs_parse(body + NLMSG_ALIGN(sizeof(ifi)), alen, tb, IFLA_MAX);
	if (err)
		return err;
	/* AF_BRIDGE messages describe bridge ports, not the link itself. */
	if (ifi.ifi_family != AF_UNSPEC)
		return -ENOMSG;
	if (ifi.ifi_index <= 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi.ifi_index;
	out->flags = ifi.ifi_flags;
	if (tb[IFLA_IFNAME].p) {
		const struct attr *a = &tb[IFLA_IFNAME];
		size_t n = strnlen((const char *)a->p, a->len);

		/* NUL-terminated inside the attribute, and fits IFNAMSIZ. */
		if (n == a->len || n == 0 || n >= sizeof(out->name))
			return -EINVAL;
		memcpy(out->name, a->p, n);
	} else if (h.nlmsg_type == RTM_NEWLINK) {
		return -EINVAL;
	}
	if (tb[IFLA_MTU].p) {
		if (attr_u32(&tb[IFLA_MTU], &out->mtu))
			return -EINVAL;
	} else if (h.nlmsg_type == RTM_NEWLINK) {
		return -EINVAL;
	}
	if (tb[IFLA_ADDRESS].p) {
		/* Only an Ethernet-sized address is a MAC we can use. */
		if (tb[IFLA_ADDRESS].len == 6) {
			memcpy(out->mac, tb[IFLA_ADDRESS].p, 6);
			out->mac_len = 6;
		}
	}
	if (tb[IFLA_OPERSTATE].p &&
	    attr_u8(&tb[IFLA_OPERSTATE], &out->operstate))
		return -EINVAL;
	return 0;
}

int nl_parse_addr(const void *buf, size_t len, struct nl_addr *out)
{
	struct attr tb[IFA_MAX + 1];
	struct ifaddrmsg ifa;
	struct nlmsghdr h;
	const uint8_t *body;
	const struct attr *a;
	size_t alen;
	int err;

	err = msg_open(buf, len, RTM_NEWADDR, RTM_DELADDR, sizeof(ifa), &h,
		       &body, &alen);
	if (err)
		return err;
	memcpy(&ifa, body, sizeof(ifa));
	err = attrs_parse(body + NLMSG_ALIGN(sizeof(ifa)), alen, tb, IFA_MAX);
	if (err)
		return err;
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return -ENOMSG;
	if (ifa.ifa_index == 0 ||
	    ifa.ifa_prefixlen > (ifa.ifa_family == AF_INET ? 32 : 128))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = (int)ifa.ifa_index;
	out->prefixlen = ifa.ifa_prefixlen;
	out->scope = ifa.ifa_scope;
	out->flags = ifa.ifa_flags;
	/*
	 * IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's
	 * on a point-to-point link and the same as IFA_LOCAL otherwise (IPv6
	 * often sends IFA_ADDRESS alone).
	 */
	a = tb[IFA_LOCAL].p ? &tb[IFA_LOCAL] : &tb[IFA_ADDRESS];
	if (!a->p || attr_ip(a, ifa.ifa_family, &out->addr))
		return -EINVAL;
	/* ifa_flags holds only 8 bits; IFA_FLAGS has all of them. */
	if (tb[IFA_FLAGS].p && attr_u32(&tb[IFA_FLAGS], &out->flags))
		return -EINVAL;
	return 0;
}

static int parse_metrics(const struct attr *m, uint32_t *mtu)
{
	struct attr tb[RTAX_MAX + 1];
	int err;

	err = attrs_parse(m->p, m->len, tb, RTAX_MAX);
	if (err)
		return err;
	if (tb[RTAX_MTU].p)
		return attr_u32(&tb[RTAX_MTU], mtu);
	return 0;
}

int nl_parse_route(const void *buf, size_t len, struct nl_route *out)
{
	struct attr tb[RTA_MAX + 1];
	struct nlmsghdr h;
	struct rtmsg rtm;
	const uint8_t *body;
	size_t alen;
	uint32_t oif;
	int err;

	err = msg_open(buf, len, RTM_NEWROUTE, RTM_NEWROUTE, sizeof(rtm), &h,
		       &body, &alen);
	if (err)
		return err;
	memcpy(&rtm, body, sizeof(rtm));
	err = attrs_parse(body + NLMSG_ALIGN(sizeof(rtm)), alen, tb, RTA_MAX);
	if (err)
		return err;
	if (rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6)
		return -ENOMSG;
	memset(out, 0, sizeof(*out));
	out->type = rtm.rtm_type;
	if (tb[RTA_OIF].p) {
		if (attr_u32(&tb[RTA_OIF], &oif) || oif > INT32_MAX)
			return -EINVAL;
		out->ifindex = (int)oif;
	}
	if (tb[RTA_GATEWAY].p) {
		if (attr_ip(&tb[RTA_GATEWAY], rtm.rtm_family, &out->gateway))
			return -EINVAL;
		out->has_gateway = true;
	} else if (tb[RTA_VIA].p) {
		/* RFC 5549: an IPv4 route via an IPv6 next hop. */
		const struct attr *v = &tb[RTA_VIA];
		struct attr a;
		uint16_t fam;

		if (v->len < sizeof(fam))
			return -EINVAL;
		memcpy(&fam, v->p, sizeof(fam));
		a.p = v->p + sizeof(fam);
		a.len = v->len - sizeof(fam);
		if (fam > UINT8_MAX || attr_ip(&a, (uint8_t)fam, &out->gateway))
			return -EINVAL;
		out->has_gateway = true;
	}
	if (tb[RTA_PREFSRC].p) {
		if (attr_ip(&tb[RTA_PREFSRC], rtm.rtm_family, &out->prefsrc))
			return -EINVAL;
		out->has_prefsrc = true;
	}
	if (tb[RTA_METRICS].p &&
	    parse_metrics(&tb[RTA_METRICS], &out->metric_mtu))
		return -EINVAL;
	out->mtu = out->metric_mtu;
	if (out->has_gateway)
		out->nexthop = out->gateway;
	else if (tb[RTA_DST].p &&
		 attr_ip(&tb[RTA_DST], rtm.rtm_family, &out->nexthop))
		return -EINVAL;
	return 0;
}

int nl_parse_neigh(const void *buf, size_t len, struct nl_neigh_entry *out)
{
	struct attr tb[NDA_MAX + 1];
	struct nlmsghdr h;
	struct ndmsg ndm;
	const uint8_t *body;
	size_t alen;
	int err;

	err = msg_open(buf, len, RTM_NEWNEIGH, RTM_DELNEIGH, sizeof(ndm), &h,
		       &body, &alen);
	if (err)
		return err;
	memcpy(&ndm, body, sizeof(ndm));
	err = attrs_parse(body + NLMSG_ALIGN(sizeof(ndm)), alen, tb, NDA_MAX);
	if (err)
		return err;
	/* Bridge FDB entries share the group; proxy entries are not hosts. */
	if ((ndm.ndm_family != AF_INET && ndm.ndm_family != AF_INET6) ||
	    (ndm.ndm_flags & NTF_PROXY))
		return -ENOMSG;
	if (ndm.ndm_ifindex <= 0 || !tb[NDA_DST].p)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ifindex = ndm.ndm_ifindex;
	out->state = ndm.ndm_state;
	out->flags = ndm.ndm_flags;
	if (attr_ip(&tb[NDA_DST], ndm.ndm_family, &out->addr))
		return -EINVAL;
	if (tb[NDA_LLADDR].p && tb[NDA_LLADDR].len == 6) {
		memcpy(out->mac, tb[NDA_LLADDR].p, 6);
		out->mac_len = 6;
	}
	return 0;
}

int nl_parse_error(const void *buf, size_t len, int *err)
{
	struct nlmsghdr h;
	const uint8_t *body;
	size_t alen;
	int e, r;

	r = msg_open(buf, len, NLMSG_ERROR, NLMSG_ERROR, sizeof(e), &h, &body,
		     &alen);
	if (r)
		return r;
	memcpy(&e, body, sizeof(e));
	if (e > 0 || e < -4095)
		return -EINVAL;
	*err = e;
	return 0;
}

bool nl_nud_usable(uint16_t state)
{
	return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			NUD_PERMANENT | NUD_NOARP);
}

/* --- builders ------------------------------------------------------------ */

static size_t addr_len(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? 4 : 16;
}

static const void *addr_bytes(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? &a->b[12] : a->b;
}

static uint8_t addr_family(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? AF_INET : AF_INET6;
}

/*
 * libmnl writes through struct pointers without bounds checks, so the size
 * is checked here first, and the buffer must be 4-byte aligned.
 */
static struct nlmsghdr *put_hdr(void *buf, size_t cap, size_t need,
				uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (cap < need || ((uintptr_t)buf & 3))
		return NULL;
	memset(buf, 0, need);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

int nl_build_dump(void *buf, size_t cap, uint16_t type, uint8_t family,
		  uint32_t seq)
{
	/* rtgenmsg is enough for every dump; pad to the largest family
	 * header we ask for so strict-checking kernels see a whole one. */
	size_t fixed = sizeof(struct ifinfomsg);
	struct nlmsghdr *nlh;
	uint8_t *fam;

	nlh = put_hdr(buf, cap, NLMSG_HDRLEN + NLMSG_ALIGN(fixed), type,
		      NLM_F_REQUEST | NLM_F_DUMP, seq);
	if (!nlh)
		return -ENOSPC;
	fam = mnl_nlmsg_put_extra_header(nlh, fixed);
	fam[0] = family;
	return (int)nlh->nlmsg_len;
}

int nl_build_route_get(void *buf, size_t cap, uint32_t seq,
		       const struct ip_addr *dst)
{
	size_t alen = addr_len(dst);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = put_hdr(buf, cap,
		      NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*rtm)) +
			      MNL_ATTR_HDRLEN + MNL_ALIGN(alen),
		      RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, seq);
	if (!nlh)
		return -ENOSPC;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = addr_family(dst);
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, addr_bytes(dst));
	return (int)nlh->nlmsg_len;
}

int nl_build_neigh_use(void *buf, size_t cap, uint32_t seq, int ifindex,
		       const struct ip_addr *addr)
{
	size_t alen = addr_len(addr);
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	/*
	 * NTF_USE makes the kernel treat the entry as used by a packet
	 * (neigh_event_send): it creates it if needed (NLM_F_CREATE) and
	 * starts ARP/ND, or confirms a STALE entry. The state field is not
	 * applied with NTF_USE; NUD_NONE says so.
	 */
	nlh = put_hdr(buf, cap,
		      NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ndm)) +
			      MNL_ATTR_HDRLEN + MNL_ALIGN(alen),
		      RTM_NEWNEIGH,
		      NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
		      seq);
	if (!nlh)
		return -ENOSPC;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr_family(addr);
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, alen, addr_bytes(addr));
	return (int)nlh->nlmsg_len;
}

/* --- the client ---------------------------------------------------------- */

#define NL_RXBUF 32768
#define NL_NIL (-1)

struct neigh_slot {
	int32_t next; /* bucket chain or free list */
	int ifindex;
	struct ip_addr addr;
	uint16_t state; /* NUD_*, NUD_NONE for our own placeholder */
	uint8_t mac_len;
	uint8_t mac[6];
	bool requested; /* asked the kernel, waiting for its answer */
	bool nudged; /* asked the kernel to confirm this STALE entry */
	uint32_t seen; /* dump generation, for resync */
	uint64_t req_ms;
};

struct route_slot {
	uint32_t gen; /* valid if equal to nl->route_gen */
	int err;
	struct ip_addr dst;
	struct nl_route r;
};

struct nl {
	struct mnl_socket *ev; /* notifications */
	struct mnl_socket *rq; /* requests and dumps */
	uint32_t rq_portid;
	uint32_t seq;
	nl_neigh_cb cb;
	void *cb_arg;
	struct nl_stats st;
	int nlinks;
	struct nl_link_info links[NL_MAX_LINKS];
	int naddrs;
	struct nl_addr addrs[NL_MAX_ADDRS];
	uint32_t route_gen;
	struct route_slot routes[NL_ROUTE_SLOTS];
	uint32_t dump_gen;
	int32_t neigh_free;
	int32_t buckets[NL_NEIGH_MAX];
	struct neigh_slot neigh[NL_NEIGH_MAX];
	/* Received datagrams; aligned for struct nlmsghdr. */
	uint32_t rxbuf[NL_RXBUF / sizeof(uint32_t)];
	uint32_t txbuf[256 / sizeof(uint32_t)];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a over the key: cheap, and keys are not attacker-chosen at scale
 * (neighbours are on-link hosts the kernel already accepted). */
static uint32_t key_hash(int ifindex, const struct ip_addr *a)
{
	uint32_t h = 2166136261u ^ (uint32_t)ifindex;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ (h >> 15);
}

/* --- links and addresses --- */

static struct nl_link_info *link_find(struct nl *nl, int ifindex)
{
	for (int i = 0; i < nl->nlinks; i++)
		if (nl->links[i].ifindex == ifindex)
			return &nl->links[i];
	return NULL;
}

static void addr_del_at(struct nl *nl, int i)
{
	memmove(&nl->addrs[i], &nl->addrs[i + 1],
		sizeof(nl->addrs[0]) * (size_t)(nl->naddrs - i - 1));
	nl->naddrs--;
}

static void neigh_del_ifindex(struct nl *nl, int ifindex);

static void on_link(struct nl *nl, uint16_t type, const struct nl_link_info *li)
{
	struct nl_link_info *l = link_find(nl, li->ifindex);

	/* Routes carry the link's MTU and may depend on its state. */
	nl->route_gen++;
	if (type == RTM_DELLINK) {
		if (l) {
			*l = nl->links[--nl->nlinks];
		}
		/* The kernel also sends RTM_DELADDR; do not depend on it. */
		for (int i = nl->naddrs - 1; i >= 0; i--)
			if (nl->addrs[i].ifindex == li->ifindex)
				addr_del_at(nl, i);
		neigh_del_ifindex(nl, li->ifindex);
		return;
	}
	if (!l) {
		if (nl->nlinks == NL_MAX_LINKS) {
			nl->st.table_full++;
			return;
		}
		l = &nl->links[nl->nlinks++];
	}
	*l = *li;
}

static void on_addr(struct nl *nl, uint16_t type, const struct nl_addr *a)
{
	int i;

	/* A new address may become a route's preferred source. */
	nl->route_gen++;
	for (i = 0; i < nl->naddrs; i++) {
		struct nl_addr *x = &nl->addrs[i];

		if (x->ifindex == a->ifindex && x->prefixlen == a->prefixlen &&
		    !memcmp(&x->addr, &a->addr, sizeof(a->addr)))
			break;
	}
	if (type == RTM_DELADDR) {
		if (i < nl->naddrs)
			addr_del_at(nl, i);
		return;
	}
	if (i == nl->naddrs) {
		if (nl->naddrs == NL_MAX_ADDRS) {
			nl->st.table_full++;
			return;
		}
		nl->naddrs++;
	}
	nl->addrs[i] = *a;
}

/* --- neighbours --- */

static void neigh_init(struct nl *nl)
{
	for (int i = 0; i < NL_NEIGH_MAX; i++) {
		nl->buckets[i] = NL_NIL;
		nl->neigh[i].next = i + 1 < NL_NEIGH_MAX ? i + 1 : NL_NIL;
	}
	nl->neigh_free = 0;
}

static struct neigh_slot *neigh_find(struct nl *nl, int ifindex,
				     const struct ip_addr *a)
{
	uint32_t b = key_hash(ifindex, a) & (NL_NEIGH_MAX - 1);

	for (int32_t i = nl->buckets[b]; i != NL_NIL; i = nl->neigh[i].next) {
		struct neigh_slot *s = &nl->neigh[i];

		if (s->ifindex == ifindex && !memcmp(&s->addr, a, sizeof(*a)))
			return s;
	}
	return NULL;
}

static struct neigh_slot *neigh_insert(struct nl *nl, int ifindex,
				       const struct ip_addr *a)
{
	uint32_t b = key_hash(ifindex, a) & (NL_NEIGH_MAX - 1);
	int32_t i = nl->neigh_free;
	struct neigh_slot *s;

	if (i == NL_NIL)
		return NULL;
	s = &nl->neigh[i];
	nl->neigh_free = s->next;
	memset(s, 0, sizeof(*s));
	s->ifindex = ifindex;
	s->addr = *a;
	s->seen = nl->dump_gen;
	s->next = nl->buckets[b];
	nl->buckets[b] = i;
	return s;
}

static void neigh_remove(struct nl *nl, struct neigh_slot *s)
{
	uint32_t b = key_hash(s->ifindex, &s->addr) & (NL_NEIGH_MAX - 1);
	int32_t idx = (int32_t)(s - nl->neigh);

	for (int32_t *pp = &nl->buckets[b]; *pp != NL_NIL;
	     pp = &nl->neigh[*pp].next) {
		if (*pp == idx) {
			*pp = s->next;
			s->next = nl->neigh_free;
			nl->neigh_free = idx;
			return;
		}
	}
}

static void neigh_del_ifindex(struct nl *nl, int ifindex)
{
	for (int b = 0; b < NL_NEIGH_MAX; b++) {
		int32_t i = nl->buckets[b];

		while (i != NL_NIL) {
			int32_t next = nl->neigh[i].next;

			if (nl->neigh[i].ifindex == ifindex)
				neigh_remove(nl, &nl->neigh[i]);
			i = next;
		}
	}
}

static void on_neigh(struct nl *nl, uint16_t type,
		     const struct nl_neigh_entry *n)
{
	struct neigh_slot *s = neigh_find(nl, n->ifindex, &n->addr);
	bool usable = nl_nud_usable(n->state) && n->mac_len == 6;
	bool answer;

	if (type == RTM_DELNEIGH) {
		/*
		 * Keep a placeholder we are waiting on: its retry timer
		 * (NL_NEIGH_RETRY_MS) asks again on the next lookup.
		 */
		if (s && s->requested) {
			s->state = NUD_NONE;
			s->mac_len = 0;
		} else if (s) {
			neigh_remove(nl, s);
		}
		return;
	}
	if (!s) {
		s = neigh_insert(nl, n->ifindex, &n->addr);
		if (!s) {
			nl->st.table_full++;
			return;
		}
	}
	if (n->state != s->state)
		s->nudged = false;
	s->state = n->state;
	s->seen = nl->dump_gen;
	s->mac_len = usable ? 6 : 0;
	if (usable)
		memcpy(s->mac, n->mac, 6);
	answer = usable || (n->state & NUD_FAILED);
	if (s->requested && answer) {
		struct ip_addr a = s->addr;
		uint8_t mac[6];

		s->requested = false;
		memcpy(mac, n->mac, 6);
		/* Copies: the callback may change the table. */
		if (nl->cb)
			nl->cb(nl->cb_arg, n->ifindex, &a, usable ? mac : NULL);
	}
}

/* --- sockets --- */

static void dispatch(struct nl *nl, const struct nlmsghdr *nlh, size_t len)
{
	union {
		struct nl_link_info link;
		struct nl_addr addr;
		struct nl_neigh_entry neigh;
	} u;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (!nl_parse_link(nlh, len, &u.link))
			on_link(nl, nlh->nlmsg_type, &u.link);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (!nl_parse_addr(nlh, len, &u.addr))
			on_addr(nl, nlh->nlmsg_type, &u.addr);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* Any route change may change any lookup's answer. */
		nl->route_gen++;
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (!nl_parse_neigh(nlh, len, &u.neigh))
			on_neigh(nl, nlh->nlmsg_type, &u.neigh);
		break;
	default:
		break;
	}
}

static int rq_send(struct nl *nl, const void *msg, size_t len)
{
	if (mnl_socket_sendto(nl->rq, msg, len) < 0)
		return -errno;
	return 0;
}

/*
 * Receive the answer to request @seq. The kernel queues it during our
 * sendmsg (and refills a dump during recvmsg), so EAGAIN here is not
 * expected; a short poll covers it all the same. Each data message goes to
 * @fn (if not NULL); an error message ends it with its errno, NLMSG_DONE
 * or an ACK with 0. Stale replies (other seq) are skipped.
 */
typedef void (*rq_fn)(struct nl *nl, const struct nlmsghdr *nlh, size_t len,
		      void *ctx);

static int rq_recv(struct nl *nl, uint32_t seq, rq_fn fn, void *ctx)
{
	int tries = 0;
	bool intr = false;

	for (;;) {
		const uint8_t *p = (const uint8_t *)nl->rxbuf;
		ssize_t n;

		n = recv(mnl_socket_get_fd(nl->rq), nl->rxbuf,
			 sizeof(nl->rxbuf), MSG_DONTWAIT);
		if (n < 0) {
			struct pollfd pfd = { mnl_socket_get_fd(nl->rq), POLLIN,
					      0 };

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || ++tries > 10)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
			poll(&pfd, 1, 100);
			continue;
		}
		while ((size_t)n >= NLMSG_HDRLEN) {
			const struct nlmsghdr *nlh = (const void *)p;
			size_t step;
			int err;

			if (nlh->nlmsg_len < NLMSG_HDRLEN ||
			    nlh->nlmsg_len > (size_t)n)
				return -EBADMSG;
			step = NLMSG_ALIGN(nlh->nlmsg_len);
			if (step > (size_t)n)
				step = (size_t)n;
			if (nlh->nlmsg_seq == seq &&
			    nlh->nlmsg_pid == nl->rq_portid) {
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = true;
				if (nlh->nlmsg_type == NLMSG_DONE)
					return intr ? -EINTR : 0;
				if (nlh->nlmsg_type == NLMSG_ERROR) {
					if (nl_parse_error(nlh, nlh->nlmsg_len,
							   &err))
						return -EBADMSG;
					return err;
				}
				if (fn)
					fn(nl, nlh, nlh->nlmsg_len, ctx);
			}
			p += step;
			n -= (ssize_t)step;
		}
	}
}

static void dump_fn(struct nl *nl, const struct nlmsghdr *nlh, size_t len,
		    void *ctx)
{
	dispatch(nl, nlh, len);
}

/*
 * One dump into the tables; a dump the kernel marks interrupted (the
 * table changed under it, NLM_F_DUMP_INTR) is retried.
 */
static int dump(struct nl *nl, uint16_t type)
{
	int err = 0;

	for (int i = 0; i < 4; i++) {
		uint32_t seq = ++nl->seq;
		int len = nl_build_dump(nl->txbuf, sizeof(nl->txbuf), type,
					AF_UNSPEC, seq);

		if (len < 0)
			return len;
		err = rq_send(nl, nl->txbuf, (size_t)len);
		if (err)
			return err;
		err = rq_recv(nl, seq, dump_fn, NULL);
		if (err != -EINTR)
			return err;
	}
	return err;
}

/* Reload everything, e.g. after the kernel dropped notifications. */
static int resync(struct nl *nl)
{
	int err;

	nl->nlinks = 0;
	nl->naddrs = 0;
	nl->route_gen++;
	nl->dump_gen++;
	err = dump(nl, RTM_GETLINK);
	if (!err)
		err = dump(nl, RTM_GETADDR);
	if (!err)
		err = dump(nl, RTM_GETNEIGH);
	if (err)
		return err;
	/* Entries the kernel no longer has, except what we wait on. */
	for (int b = 0; b < NL_NEIGH_MAX; b++) {
		int32_t i = nl->buckets[b];

		while (i != NL_NIL) {
			int32_t next = nl->neigh[i].next;
			struct neigh_slot *s = &nl->neigh[i];

			if (s->seen != nl->dump_gen && !s->requested)
				neigh_remove(nl, s);
			i = next;
		}
	}
	return 0;
}

static const unsigned int nl_groups[] = {
	RTNLGRP_LINK,	    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,	 RTNLGRP_NEIGH,
};

static struct mnl_socket *sock_open(void)
{
	struct mnl_socket *s;

	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!s)
		return NULL;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(s);
		errno = e;
		return NULL;
	}
	return s;
}

int nl_open(struct nl **out)
{
	/* Room for bursts (a link going down flushes many neighbours);
	 * an overflow still only costs a resync. */
	int rcvbuf = 1 << 20;
	struct nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	neigh_init(nl);
	nl->route_gen = 1;
	nl->ev = sock_open();
	nl->rq = nl->ev ? sock_open() : NULL;
	if (!nl->rq) {
		err = -errno;
		goto fail;
	}
	nl->rq_portid = mnl_socket_get_portid(nl->rq);
	nl->seq = (uint32_t)time(NULL);
	if (setsockopt(mnl_socket_get_fd(nl->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl->ev), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* Subscribe before the dumps: a change between the two then shows
	 * up as a notification, applied idempotently on top of the dump. */
	for (size_t i = 0; i < sizeof(nl_groups) / sizeof(nl_groups[0]); i++) {
		unsigned int g = nl_groups[i];

		if (mnl_socket_setsockopt(nl->ev, NETLINK_ADD_MEMBERSHIP, &g,
					  sizeof(g)) < 0) {
			err = -errno;
			goto fail;
		}
	}
	err = resync(nl);
	if (err)
		goto fail;
	*out = nl;
	return 0;
fail:
	nl_close(nl);
	return err;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->ev)
		mnl_socket_close(nl->ev);
	if (nl->rq)
		mnl_socket_close(nl->rq);
	free(nl);
}

int nl_fd(const struct nl *nl)
{
	return mnl_socket_get_fd(nl->ev);
}

void nl_set_neigh_cb(struct nl *nl, nl_neigh_cb cb, void *arg)
{
	nl->cb = cb;
	nl->cb_arg = arg;
}

void nl_get_stats(const struct nl *nl, struct nl_stats *out)
{
	*out = nl->st;
}

int nl_process(struct nl *nl)
{
	int count = 0;

	for (;;) {
		const uint8_t *p = (const uint8_t *)nl->rxbuf;
		ssize_t n;
		int err;

		n = recv(mnl_socket_get_fd(nl->ev), nl->rxbuf,
			 sizeof(nl->rxbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return count;
			if (errno != ENOBUFS)
				return -errno;
			/*
			 * Lost notifications: the tables may be wrong. What is
			 * still queued predates the dump about to replace it
			 * (a stale RTM_NEWADDR applied after it would revive
			 * an address whose RTM_DELADDR was lost): discard it.
			 */
			nl->st.resyncs++;
			for (int i = 0; i < 1024; i++)
				if (recv(mnl_socket_get_fd(nl->ev), nl->rxbuf,
					 sizeof(nl->rxbuf), MSG_DONTWAIT) < 0 &&
				    errno != ENOBUFS && errno != EINTR)
					break;
			err = resync(nl);
			if (err)
				return err;
			continue;
		}
		while ((size_t)n >= NLMSG_HDRLEN) {
			const struct nlmsghdr *nlh = (const void *)p;
			size_t step;

			if (nlh->nlmsg_len < NLMSG_HDRLEN ||
			    nlh->nlmsg_len > (size_t)n)
				break;
			dispatch(nl, nlh, nlh->nlmsg_len);
			nl->st.notifications++;
			count++;
			step = NLMSG_ALIGN(nlh->nlmsg_len);
			if (step > (size_t)n)
				step = (size_t)n;
			p += step;
			n -= (ssize_t)step;
		}
	}
}

int nl_link(struct nl *nl, const char *ifname, struct nl_link_info *out)
{
	for (int i = 0; i < nl->nlinks; i++) {
		if (!strncmp(nl->links[i].name, ifname, IF_NAMESIZE)) {
			*out = nl->links[i];
			return 0;
		}
	}
	return -ENODEV;
}

int nl_link_by_index(struct nl *nl, int ifindex, struct nl_link_info *out)
{
	const struct nl_link_info *l = link_find(nl, ifindex);

	if (!l)
		return -ENODEV;
	*out = *l;
	return 0;
}

int nl_addrs(struct nl *nl, int ifindex, struct nl_addr *out, int max)
{
	int n = 0;

	for (int i = 0; i < nl->naddrs; i++) {
		if (nl->addrs[i].ifindex != ifindex)
			continue;
		if (n < max)
			out[n] = nl->addrs[i];
		n++;
	}
	return n;
}

void nl_route_flush(struct nl *nl)
{
	nl->route_gen++;
}

struct route_ctx {
	struct nl_route *r;
	int err;
	bool got;
};

static void route_fn(struct nl *nl, const struct nlmsghdr *nlh, size_t len,
		     void *ctx)
{
	struct route_ctx *c = ctx;

	if (!c->got) {
		c->err = nl_parse_route(nlh, len, c->r);
		c->got = true;
	}
}

/* The kernel's answer to a lookup, as an errno the caller can act on. */
static int route_type_err(uint8_t type)
{
	switch (type) {
	case RTN_UNICAST:
	case RTN_LOCAL:
		return 0;
	case RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case RTN_PROHIBIT:
		return -EACCES;
	default: /* blackhole, broadcast, multicast: not for TCP */
		return -EINVAL;
	}
}

int nl_route(struct nl *nl, const struct ip_addr *dst, struct nl_route *out)
{
	uint32_t h = key_hash(0, dst) & (NL_ROUTE_SLOTS - 1);
	struct route_slot *s = &nl->routes[h];
	struct route_ctx c = { .r = &s->r };
	uint32_t seq;
	int len, err;

	if (nl->route_gen == 0) /* wrapped: 0 marks an empty slot */
		nl->route_gen = 1;
	if (s->gen == nl->route_gen && !memcmp(&s->dst, dst, sizeof(*dst))) {
		nl->st.route_hits++;
		if (!s->err)
			*out = s->r;
		return s->err;
	}
	s->gen = 0;
	nl->st.route_queries++;
	seq = ++nl->seq;
	len = nl_build_route_get(nl->txbuf, sizeof(nl->txbuf), seq, dst);
	if (len < 0)
		return len;
	err = rq_send(nl, nl->txbuf, (size_t)len);
	if (!err)
		err = rq_recv(nl, seq, route_fn, &c);
	switch (err) {
	case 0:
		break;
	/* The kernel's verdicts on the destination: worth caching. */
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -EACCES:
	case -EINVAL:
		goto cache;
	default:
		return err;
	}
	if (!c.got)
		return -EBADMSG;
	err = c.err;
	if (err)
		return err == -EINVAL ? -EBADMSG : err;
	err = route_type_err(s->r.type);
	if (!s->r.has_gateway)
		s->r.nexthop = *dst;
	if (!s->r.mtu) {
		const struct nl_link_info *l = link_find(nl, s->r.ifindex);

		s->r.mtu = l ? l->mtu : 0;
	}
cache:
	s->err = err;
	s->dst = *dst;
	s->gen = nl->route_gen;
	if (!err)
		*out = s->r;
	return err;
}

static int neigh_request(struct nl *nl, int ifindex, const struct ip_addr *a)
{
	uint32_t seq = ++nl->seq;
	int len, err;

	len = nl_build_neigh_use(nl->txbuf, sizeof(nl->txbuf), seq, ifindex, a);
	if (len < 0)
		return len;
	nl->st.neigh_requests++;
	err = rq_send(nl, nl->txbuf, (size_t)len);
	if (!err)
		err = rq_recv(nl, seq, NULL, NULL);
	return err;
}

int nl_neigh(struct nl *nl, int ifindex, const struct ip_addr *nexthop,
	     uint8_t mac[6])
{
	struct neigh_slot *s = neigh_find(nl, ifindex, nexthop);
	uint64_t now;
	int ret, err;

	if (s && s->mac_len == 6 && nl_nud_usable(s->state)) {
		memcpy(mac, s->mac, 6);
		/*
		 * The kernel confirms a STALE entry when a packet uses it;
		 * ours bypass its output path, so tell it once per stale
		 * period, or it would serve a possibly moved MAC until GC.
		 */
		if ((s->state & NUD_STALE) && !s->nudged && !s->requested) {
			s->nudged = true;
			neigh_request(nl, ifindex, nexthop);
		}
		return 0;
	}
	if (!link_find(nl, ifindex))
		return -ENODEV;
	now = now_ms();
	if (!s) {
		s = neigh_insert(nl, ifindex, nexthop);
		if (!s)
			return -ENOSPC;
	} else if (s->requested && now - s->req_ms < NL_NEIGH_RETRY_MS) {
		return -EAGAIN;
	}
	/* A resolution that ended FAILED is reported once, then retried. */
	ret = (s->state & NUD_FAILED) && !s->requested ? -EHOSTUNREACH :
							 -EAGAIN;
	err = neigh_request(nl, ifindex, nexthop);
	if (err) {
		/* Nothing asked: drop a placeholder the kernel never saw. */
		if (s->state == NUD_NONE)
			neigh_remove(nl, s);
		return err;
	}
	s->requested = true;
	s->req_ms = now;
	return ret;
}
