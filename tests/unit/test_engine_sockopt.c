// SPDX-License-Identifier: BSD-2-Clause
/*
 * Socket options (sockopt.c): every errno of the validator, getsockopt,
 * and what an option changes on a live connection, on the wire: Nagle and
 * TCP_NODELAY, TCP_CORK (RFC 1122 4.2.3.4, tcp(4P)), delayed ACKs and
 * TCP_QUICKACK (RFC 1122 4.2.3.2), TCP_CONGESTION, the RTO bounds and
 * abort thresholds (RFC 6298), TCP_LINGER2 and SO_LINGER.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "engine_helpers.h"
#include "xtcp/tcp_info.h"
#include "xtcp/xtcp.h"

#define MSS 1460

static const struct eng_cred user_cred = { .uid = 1000 };
static const struct eng_cred root_cred = { .uid = 0 };
static const struct eng_cred admin_cred = { .uid = 1000, .net_admin = true };

static int oset(struct harness *h, struct sock_opts *o, int level, int name,
		int v)
{
	return sockopts_set(h->eng, o, level, name, &v, sizeof(v), &user_cred);
}

static int tset(struct harness *h, int level, int name, int v)
{
	return eng_setsockopt(h->tcb, level, name, &v, sizeof(v), &user_cred,
			      h->now);
}

static int oget(struct harness *h, const struct sock_opts *o, int level,
		int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	assert_int_equal(sockopts_get(h->eng, o, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

static int tget(struct harness *h, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	assert_int_equal(eng_getsockopt(h->tcb, level, name, &v, &len, h->now),
			 0);
	assert_int_equal(len, sizeof(v));
	return v;
}

/* --- the validator ------------------------------------------------------- */

static void unknown_and_short(void **state)
{
	struct harness h;
	struct sock_opts o, before;
	struct linger l = { 1, 0 };
	int v = 1;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	before = o;
	assert_int_equal(oset(&h, &o, 9999, TCP_NODELAY, 1), -ENOPROTOOPT);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, 9999, 1), -ENOPROTOOPT);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, 9999, 1), -ENOPROTOOPT);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, 9999, 1), -ENOPROTOOPT);
	assert_int_equal(oset(&h, &o, IPPROTO_IPV6, 9999, 1), -ENOPROTOOPT);
	/* Read-only: TCP_INFO, SO_ERROR. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_INFO, 1), -ENOPROTOOPT);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_ERROR, 1), -ENOPROTOOPT);
	/* Short optlen. */
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_NODELAY, &v,
				      2, NULL),
			 -EINVAL);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_NODELAY, NULL,
				      sizeof(v), NULL),
			 -EINVAL);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_RTO_MIN, &v,
				      3, NULL),
			 -EINVAL);
	assert_int_equal(sockopts_set(h.eng, &o, SOL_SOCKET, SO_LINGER, &l,
				      sizeof(l) - 1, NULL),
			 -EINVAL);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      "cubic", 0, NULL),
			 -EINVAL);
	/* A refused set changes nothing. */
	assert_memory_equal(&o, &before, sizeof(o));
	h_fini(&h);
}

static void ranges(void **state)
{
	struct harness h;
	struct sock_opts o;
	uint32_t u;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	/* TCP_KEEPALIVE_THRESHOLD: 10 s..10 days (tcp(4P)). */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_THRESHOLD,
			      9999),
			 -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_THRESHOLD,
			      864000001),
			 -EINVAL);
	assert_int_equal(
		oset(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_THRESHOLD, 10000), 0);
	assert_int_equal(o.keepidle_ms, 10000);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_THRESHOLD,
			      864000000),
			 0);
	/* TCP_KEEPIDLE, the same in seconds. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPIDLE, 9), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPIDLE, 864001),
			 -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPIDLE, 10), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_THRESHOLD),
			 10000);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_KEEPIDLE), 10);
	/* TCP_KEEPINTVL 1..864000 s, TCP_KEEPCNT 1..127. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPINTVL, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPINTVL, -1), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPINTVL, 864001),
			 -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPCNT, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL);
	/* Defaults: 75 s interval, the 8 min abort makes 7 probes. */
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_KEEPCNT), 7);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP,
			      TCP_KEEPALIVE_ABORT_THRESHOLD),
			 480000);
	/* A count makes the abort time; a time set later clears it. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPINTVL, 10), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_KEEPCNT, 5), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP,
			      TCP_KEEPALIVE_ABORT_THRESHOLD),
			 50000);
	assert_int_equal(
		oset(&h, &o, IPPROTO_TCP, TCP_KEEPALIVE_ABORT_THRESHOLD, 0), 0);
	assert_int_equal(o.keepcnt, 0);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_KEEPCNT), 0);

	/* TCP_LINGER2: seconds, not above tcp_fin_wait_2_flush_interval
	 * (675 s); 0 is that default. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_LINGER2, 676), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_LINGER2, -1), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_LINGER2, 30), 0);
	assert_int_equal(o.linger2_ms, 30000);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_LINGER2, 0), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_LINGER2), 675);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_LINGER2, 675), 0);

	/* Buffers: ENOBUFS above tcp_max_buf (illumos), the floor raised. */
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_RCVBUF, 1048577),
			 -ENOBUFS);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_SNDBUF, 1048577),
			 -ENOBUFS);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_RCVBUF, -1), -EINVAL);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_RCVBUF, 100), 0);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_RCVBUF), 2048);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_SNDBUF, 100), 0);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_SNDBUF), 4096);
	assert_false(o.buf_big);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_RCVBUF, 65535), 0);
	assert_false(o.buf_big);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_RCVBUF, 1048576), 0);
	assert_true(o.buf_big);

	/* RTO: bounds, and min <= max both ways. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_INITIAL, 0),
			 -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_INITIAL, 20001),
			 -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_INITIAL, 2000), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MIN, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MAX, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MAX, 7200001),
			 -EINVAL);
	/* The default floor is 400 ms: a 300 ms ceiling needs it lower. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MAX, 300), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MIN, 100), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MAX, 300), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MIN, 301), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MIN, 300), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_RTO_MAX, 299), -EINVAL);
	u = 0;
	{
		socklen_t len = sizeof(u);

		assert_int_equal(sockopts_get(h.eng, &o, IPPROTO_TCP,
					      TCP_RTO_MAX, &u, &len),
				 0);
		assert_int_equal(u, 300);
	}

	/* TCP_MAXSEG: 0 or 88..65535. */
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_MAXSEG, 87), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_MAXSEG, 65536), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_MAXSEG, -5), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_TCP, TCP_MAXSEG, 88), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_MAXSEG), 88);

	/* IP level. */
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TTL, 0), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TTL, 256), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TTL, -2), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TTL, 7), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_IP, IP_TTL), 7);
	assert_int_equal(oget(&h, &o, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 7);
	assert_int_equal(oset(&h, &o, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_IP, IP_TTL), 64);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TOS, 256), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TOS, -1), -EINVAL);
	assert_int_equal(oset(&h, &o, IPPROTO_IP, IP_TOS, 0x10), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_IPV6, IPV6_TCLASS), 0x10);
	assert_int_equal(oset(&h, &o, IPPROTO_IPV6, IPV6_TCLASS, -1), 0);
	assert_int_equal(oget(&h, &o, IPPROTO_IP, IP_TOS), 0);
	assert_int_equal(oset(&h, &o, IPPROTO_IPV6, IPV6_TCLASS, -2), -EINVAL);
	h_fini(&h);
}

static void congestion_and_init_cwnd(void **state)
{
	struct harness h;
	struct sock_opts o;
	char name[CC_NAME_MAX];
	socklen_t len = sizeof(name);
	uint32_t u;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      "bogus", 5, NULL),
			 -ENOENT);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      "", 1, NULL),
			 -ENOENT);
	/* The system default until set; the length need not hold a NUL. */
	assert_int_equal(sockopts_get(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      name, &len),
			 0);
	assert_string_equal(name, "newreno");
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      "cubicXYZ", 5, NULL),
			 0);
	assert_string_equal(o.cc, "cubic");
	/* A short buffer gets what fits, as Linux. */
	len = 3;
	memset(name, 0, sizeof(name));
	assert_int_equal(sockopts_get(h.eng, &o, IPPROTO_TCP, TCP_CONGESTION,
				      name, &len),
			 0);
	assert_int_equal(len, 3);
	assert_string_equal(name, "cub");

	/* TCP_INIT_CWND: more than RFC 3390's 4 segments needs privilege. */
	u = 5;
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), &user_cred),
			 -EPERM);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), NULL),
			 -EPERM);
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), &root_cred),
			 0);
	u = 10;
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), &admin_cred),
			 0);
	u = 1025;
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), &admin_cred),
			 -EINVAL);
	u = 4;
	assert_int_equal(sockopts_set(h.eng, &o, IPPROTO_TCP, TCP_INIT_CWND, &u,
				      sizeof(u), &user_cred),
			 0);
	assert_int_equal(o.init_cwnd, 4);
	h_fini(&h);

	/* On a connection the limit follows its MSS: 3 segments of 1460. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	u = 4;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_INIT_CWND, &u,
					sizeof(u), &user_cred, h.now),
			 -EPERM);
	u = 3;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_INIT_CWND, &u,
					sizeof(u), &user_cred, h.now),
			 0);
	/* TCP_CONGESTION switches the live connection. */
	assert_string_equal(info_of(h.tcb).cc, "newreno");
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_CONGESTION,
					"nope", 4, NULL, h.now),
			 -ENOENT);
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_CONGESTION,
					"cubic", 5, NULL, h.now),
			 0);
	assert_string_equal(info_of(h.tcb).cc, "cubic");
	len = sizeof(name);
	assert_int_equal(eng_getsockopt(h.tcb, IPPROTO_TCP, TCP_CONGESTION,
					name, &len, h.now),
			 0);
	assert_string_equal(name, "cubic");
	h_fini(&h);
}

static void get_info_and_truncation(void **state)
{
	struct harness h;
	struct xtcp_tcp_info info;
	struct sock_opts o;
	struct linger l;
	socklen_t len;
	uint8_t b[2] = { 0xaa, 0xaa };
	int v;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	/* Unconnected: TCP_INFO says TCP_CLOSE (Linux's 7); TCP_MAXSEG the
	 * default. */
	len = sizeof(info);
	assert_int_equal(
		sockopts_get(h.eng, &o, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
	assert_int_equal(len, sizeof(info));
	assert_int_equal(info.tcpi_state, 7);
	assert_int_equal(info.tcpi_snd_mss, 536);
	assert_int_equal(oget(&h, &o, IPPROTO_TCP, TCP_MAXSEG), 536);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_ERROR), 0);
	/* Unknown options to get: ENOPROTOOPT. */
	len = sizeof(v);
	assert_int_equal(sockopts_get(h.eng, &o, IPPROTO_TCP, 9999, &v, &len),
			 -ENOPROTOOPT);
	assert_int_equal(sockopts_get(h.eng, &o, 9999, TCP_NODELAY, &v, &len),
			 -ENOPROTOOPT);
	/* SO_LINGER as a struct. */
	l.l_onoff = 1;
	l.l_linger = -1;
	assert_int_equal(sockopts_set(h.eng, &o, SOL_SOCKET, SO_LINGER, &l,
				      sizeof(l), NULL),
			 -EINVAL);
	l.l_linger = 7;
	assert_int_equal(sockopts_set(h.eng, &o, SOL_SOCKET, SO_LINGER, &l,
				      sizeof(l), NULL),
			 0);
	memset(&l, 0, sizeof(l));
	len = sizeof(l);
	assert_int_equal(
		sockopts_get(h.eng, &o, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 1);
	assert_int_equal(l.l_linger, 7);
	/* Booleans read back as 0/1; a short buffer gets the low bytes. */
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_KEEPALIVE, 42), 0);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_OOBINLINE, 1), 0);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_OOBINLINE), 1);
	assert_int_equal(oset(&h, &o, SOL_SOCKET, SO_EXCLBIND, 1), 0);
	assert_int_equal(oget(&h, &o, SOL_SOCKET, SO_EXCLBIND), 1);
	assert_true(o.exclbind);
	len = 1;
	assert_int_equal(
		sockopts_get(h.eng, &o, SOL_SOCKET, SO_KEEPALIVE, b, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 0xaa);
	h_fini(&h);

	/* Connected: TCP_INFO of the connection, TCP_MAXSEG its MSS. */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	len = sizeof(info);
	assert_int_equal(eng_getsockopt(h.tcb, IPPROTO_TCP, TCP_INFO, &info,
					&len, h.now),
			 0);
	assert_int_equal(info.tcpi_state, 1); /* Linux's TCP_ESTABLISHED */
	assert_int_equal(info.tcpi_snd_mss, MSS);
	assert_int_equal(tget(&h, IPPROTO_TCP, TCP_MAXSEG), MSS);
	/* Truncated to the caller's room, as Linux does. */
	memset(&info, 0xaa, sizeof(info));
	len = 4;
	assert_int_equal(eng_getsockopt(h.tcb, IPPROTO_TCP, TCP_INFO, &info,
					&len, h.now),
			 0);
	assert_int_equal(len, 4);
	assert_int_equal(info.tcpi_state, 1);
	assert_int_equal(info.tcpi_rto, 0xaaaaaaaa);
	h_fini(&h);
}

/* --- live effects on the wire --------------------------------------------- */

static void cork_on_a_connection(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 1), 0);
	assert_int_equal(tget(&h, IPPROTO_TCP, TCP_CORK), 1);
	/* Corked: a short write waits even with nothing in flight. */
	send_pat(&h, 0, 100);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	/* Only full segments go. */
	send_pat(&h, 100, 1400);
	h_expect_win(&h, "A", 1, 1, MSS, 65535);
	h_expect_none(&h);
	/* Uncorked: the tail goes at once, although data is in flight
	 * (Nagle would hold it). */
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 0), 0);
	h_expect(&h, "PA", 1461, 1, 40);
	h_expect_none(&h);
	/* Corked again, up to the congestion window (3 * 1460, RFC 3390):
	 * the full segments that fit go, the rest waits. */
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 1), 0);
	send_pat(&h, 1500, 3000);
	h_expect(&h, "A", 1501, 1, MSS);
	h_expect_none(&h);
	/* Uncorking sends nothing the congestion window does not allow. */
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 0), 0);
	h_expect(&h, "A", 2961, 1, 1420);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 4381, 65535, NULL, NULL, 0);
	h_expect(&h, "PA", 4381, 1, 120);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 4501, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	/* Then Nagle is back. */
	assert_int_equal(eng_send(h.tcb, "a", 1, 0, h.now), 1);
	h_expect(&h, "PA", 4501, 1, 1);
	assert_int_equal(eng_send(h.tcb, "b", 1, 0, h.now), 1);
	h_expect_none(&h);
	h_expect_none(&h);
	h_fini(&h);
}

static void cork_release_within_windows(void **state)
{
	struct harness h;

	/* The peer offers 2000 bytes: uncorking sends what fits. */
	h_init(&h);
	est_active(&h, NULL, MSS, 2000);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 1), 0);
	send_pat(&h, 0, 1000);
	h_expect_none(&h);
	send_pat(&h, 1000, 1500);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_CORK, 0), 0);
	/* 540 more fit the window; the last 500 wait for it. */
	h_expect(&h, "A", 1461, 1, 540);
	h_expect_none(&h);
	h_feed(&h, "A", 1, 2001, 2000, NULL, NULL, 0);
	h_expect(&h, "PA", 2001, 1, 500);
	h_expect_none(&h);
	h_fini(&h);
}

static void send_more_holds_like_cork(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_send(h.tcb, pat(0), 100, SEND_MORE, h.now), 100);
	h_expect_none(&h);
	assert_int_equal(eng_send(h.tcb, pat(100), 100, 0, h.now), 100);
	h_expect(&h, "PA", 1, 1, 200);
	h_expect_none(&h);
	h_fini(&h);
}

static void nodelay_pushes(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_send(h.tcb, "a", 1, 0, h.now), 1);
	h_expect(&h, "PA", 1, 1, 1);
	assert_int_equal(eng_send(h.tcb, "bc", 2, 0, h.now), 2);
	h_expect_none(&h); /* Nagle (RFC 1122 4.2.3.4) */
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	h_expect(&h, "PA", 2, 1, 2);
	assert_int_equal(eng_send(h.tcb, "d", 1, 0, h.now), 1);
	h_expect(&h, "PA", 4, 1, 1);
	assert_int_equal(tget(&h, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_NODELAY, 0), 0);
	assert_int_equal(eng_send(h.tcb, "e", 1, 0, h.now), 1);
	h_expect_none(&h);
	h_fini(&h);
}

static void quickack_sends_the_owed_ack(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	feed_pat(&h, "PA", 1, 1, 65535, 100);
	h_expect_none(&h); /* delayed */
	h_advance(&h, 30 * MSEC);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_QUICKACK, 1), 0);
	h_expect(&h, "A", 1, 101, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	/* From now on every segment is acknowledged at once. */
	feed_pat(&h, "PA", 101, 1, 65535, 100);
	h_expect(&h, "A", 1, 201, 0);
	/* Off again: delayed again. */
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_QUICKACK, 0), 0);
	feed_pat(&h, "PA", 201, 1, 65535, 100);
	h_expect_none(&h);
	h_advance(&h, 100 * MSEC);
	h_expect(&h, "A", 1, 301, 0);
	h_fini(&h);
}

static void tweak_delack_200(struct tunables *t)
{
	t->tcp_deferred_ack_interval = 200;
}

static void delayed_ack_limits(void **state)
{
	struct harness h;

	/* The longest delay the tunable allows is 200 ms (RFC 1122 4.2.3.2:
	 * "MUST be less than 0.5 seconds"), exactly. */
	h_init_tun(&h, tweak_delack_200);
	est_active(&h, NULL, MSS, 65535);
	feed_pat(&h, "PA", 1, 1, 65535, 10);
	h_advance(&h, 200 * MSEC - 1);
	h_expect_none(&h);
	h_advance(&h, 1);
	h_expect(&h, "A", 1, 11, 0);
	/* Every second full-sized segment is acknowledged at once (RFC 5681
	 * 4.2). */
	feed_pat(&h, "A", 11, 1, 65535, MSS);
	h_expect_none(&h);
	feed_pat(&h, "A", 11 + MSS, 1, 65535, MSS);
	h_expect(&h, "A", 1, 11 + 2 * MSS, 0);
	h_expect_none(&h);
	assert_int_equal(eng_next_deadline(h.eng), UINT64_MAX);
	h_fini(&h);
}

static void rto_bounds_on_a_connection(void **state)
{
	static const uint64_t at[] = { 100, 300, 600, 900 };
	struct harness h;
	uint64_t t0;
	uint32_t u;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	/* An RTT of 0 puts the RTO at its floor, 400 ms; lower the floor
	 * and the ceiling. */
	assert_int_equal(info_of(h.tcb).rto_us, 400 * MSEC);
	u = 100;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_RTO_MIN, &u,
					sizeof(u), NULL, h.now),
			 0);
	u = 300;
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_RTO_MAX, &u,
					sizeof(u), NULL, h.now),
			 0);
	assert_int_equal(info_of(h.tcb).rto_us, 100 * MSEC);
	t0 = h.now;
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		assert_int_equal(h_next_timer(&h), t0 + at[i] * MSEC);
		h_expect(&h, "PA", 1, 1, 10);
	}
	h_expect_none(&h);
	h_fini(&h);
}

static void abort_threshold_on_a_connection(void **state)
{
	struct harness h;
	uint64_t t0;
	uint32_t u = 1000;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(eng_setsockopt(h.tcb, IPPROTO_TCP, TCP_ABORT_THRESHOLD,
					&u, sizeof(u), NULL, h.now),
			 0);
	t0 = h.now;
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	assert_int_equal(h_next_timer(&h), t0 + 400 * MSEC);
	h_expect(&h, "PA", 1, 1, 10);
	/* The next RTO (800 ms) would pass the threshold: the abort comes
	 * at exactly 1 s. */
	assert_int_equal(h_next_timer(&h), t0 + 1000 * MSEC);
	h_expect(&h, "RA", 11, 1, 0);
	h_expect_none(&h);
	assert_int_equal(tcb_state(h.tcb), TCPS_CLOSED);
	assert_int_equal(tcb_take_error(h.tcb), ETIMEDOUT);
	h_fini(&h);
}

static void linger2_flush(void **state)
{
	struct harness h;
	uint64_t t0;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_LINGER2, 676), -EINVAL);
	assert_int_equal(tset(&h, IPPROTO_TCP, TCP_LINGER2, 5), 0);
	assert_int_equal(tget(&h, IPPROTO_TCP, TCP_LINGER2), 5);
	eng_close(h.tcb, false, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_feed(&h, "A", 1, 2, 65535, NULL, NULL, 0);
	h_expect_none(&h);
	t0 = h.now;
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_2);
	h_run_until(&h, t0 + 5 * SEC - 1);
	assert_int_equal(conn_state(&h, h.rport), TCPS_FIN_WAIT_2);
	assert_int_equal(h_next_timer(&h), t0 + 5 * SEC);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h_expect_none(&h);
	h.tcb = NULL; /* freed with the connection */
	h_fini(&h);
}

static void so_linger_zero_resets(void **state)
{
	struct harness h;
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	send_pat(&h, 0, 10);
	h_expect(&h, "PA", 1, 1, 10);
	assert_int_equal(eng_setsockopt(h.tcb, SOL_SOCKET, SO_LINGER, &l,
					sizeof(l), NULL, h.now),
			 0);
	/* A graceful close becomes an abort: RST, no FIN. */
	eng_close(h.tcb, false, h.now);
	h_expect(&h, "RA", 11, 1, 0);
	h_expect_none(&h);
	assert_int_equal(conn_state(&h, h.rport), TCPS_CLOSED);
	h.tcb = NULL;
	h_fini(&h);

	/* l_onoff with a linger time: the engine closes gracefully (the
	 * socket layer is the one that waits). */
	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	l.l_linger = 5;
	assert_int_equal(eng_setsockopt(h.tcb, SOL_SOCKET, SO_LINGER, &l,
					sizeof(l), NULL, h.now),
			 0);
	eng_close(h.tcb, false, h.now);
	h_expect(&h, "FA", 1, 1, 0);
	h_expect_none(&h);
	h.tcb = NULL;
	h_fini(&h);
}

static void buffers_on_a_connection(void **state)
{
	struct harness h;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(tcb_writable(h.tcb), 128000);
	/* Not above what it holds; not beyond the memory it has. */
	send_pat(&h, 0, 10000);
	h_expect(&h, "A", 1, 1, MSS);
	h_expect(&h, "A", 1461, 1, MSS);
	h_expect(&h, "A", 2921, 1, MSS);
	h_expect_none(&h);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_SNDBUF, 4096), 0);
	assert_int_equal(tcb_writable(h.tcb), 0);
	assert_int_equal(tget(&h, SOL_SOCKET, SO_SNDBUF), 4096);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_SNDBUF, 1048576), 0);
	/* The ring is 128 KiB: that is the most it can hold now. */
	assert_int_equal(tcb_writable(h.tcb), 131072 - 10000);
	assert_int_equal(tset(&h, SOL_SOCKET, SO_SNDBUF, 2000000), -ENOBUFS);
	/* After connect, a big buffer no longer asks for window scale. */
	assert_int_equal(tset(&h, SOL_SOCKET, SO_RCVBUF, 1048576), 0);
	h_fini(&h);
}

static void ttl_and_tos_on_the_wire(void **state)
{
	struct harness h;
	const struct h_seg *s;

	h_init(&h);
	est_active(&h, NULL, MSS, 65535);
	assert_int_equal(tset(&h, IPPROTO_IP, IP_TTL, 9), 0);
	assert_int_equal(tset(&h, IPPROTO_IP, IP_TOS, 0xb9), 0);
	send_pat(&h, 0, 10);
	s = h_expect(&h, "PA", 1, 1, 10);
	assert_int_equal(s->so.ttl, 9);
	/* The ECN field stays the engine's (RFC 3168 6.1.1). */
	assert_int_equal(s->so.tos & 0xfc, 0xb8);
	h_fini(&h);
}

static void listener_options_reach_children(void **state)
{
	struct harness h;
	const struct h_seg *s;
	struct tcp_opts mss = { .present = TCP_OPT_MSS, .mss = 1460 };
	int err;

	h_init(&h);
	h_listen(&h, 16);
	{
		int v = 33;

		assert_int_equal(eng_setsockopt(h.listener, IPPROTO_IP, IP_TTL,
						&v, sizeof(v), NULL, h.now),
				 0);
	}
	h_feed(&h, "S", 0, 0, 65535, &mss, NULL, 0);
	s = h_expect(&h, "SA", 0, 1, 0);
	assert_int_equal(s->so.ttl, 33);
	h_feed(&h, "A", 1, 1, 65535, NULL, NULL, 0);
	h.tcb = eng_accept(h.listener, &err);
	assert_non_null(h.tcb);
	assert_int_equal(tget(&h, IPPROTO_IP, IP_TTL), 33);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_and_short),
		cmocka_unit_test(ranges),
		cmocka_unit_test(congestion_and_init_cwnd),
		cmocka_unit_test(get_info_and_truncation),
		cmocka_unit_test(cork_on_a_connection),
		cmocka_unit_test(cork_release_within_windows),
		cmocka_unit_test(send_more_holds_like_cork),
		cmocka_unit_test(nodelay_pushes),
		cmocka_unit_test(quickack_sends_the_owed_ack),
		cmocka_unit_test(delayed_ack_limits),
		cmocka_unit_test(rto_bounds_on_a_connection),
		cmocka_unit_test(abort_threshold_on_a_connection),
		cmocka_unit_test(linger2_flush),
		cmocka_unit_test(so_linger_zero_resets),
		cmocka_unit_test(buffers_on_a_connection),
		cmocka_unit_test(ttl_and_tos_on_the_wire),
		cmocka_unit_test(listener_options_reach_children),
	};

	return cmocka_run_group_tests_name("engine_sockopt", tests, NULL, NULL);
}
