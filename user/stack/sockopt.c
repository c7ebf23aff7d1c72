// SPDX-License-Identifier: BSD-2-Clause
/*
 * Socket options: setsockopt/getsockopt on a connection, a listener, or the
 * struct sock_opts the socket layer keeps before either exists.
 *
 * Values are validated against the illumos tcp(4P) ranges and errnos where
 * illumos documents them, Linux's elsewhere (docs/SOCKOPTS.md has the whole
 * table). One validator serves both entry points: eng_setsockopt() checks
 * and stores into a copy of the connection's options, then applies what
 * changes a live connection (push queued data, send an owed ACK, switch
 * congestion control, new RTO bounds, keep-alive timer, buffer limits).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "stack/tcb.h"
#include "xtcp/xtcp.h"

#define SEC_MS 1000u
#define DAY_MS (24u * 3600u * SEC_MS)
/* tcp(4P): TCP_KEEPALIVE_THRESHOLD "minimum value is ten seconds. The
 * maximum is ten days". TCP_KEEPIDLE is the same in seconds. */
#define KEEPIDLE_MIN_MS (10u * SEC_MS)
#define KEEPIDLE_MAX_MS (10u * DAY_MS)
#define KEEPINTVL_DEF_MS (75u * SEC_MS) /* Linux's tcp_keepalive_intvl */
#define KEEPCNT_MAX 127 /* Linux's MAX_TCP_KEEPCNT */
#define MAXSEG_MIN 88 /* Linux's TCP_MIN_MSS */
#define INIT_CWND_MAX 1024 /* segments, even with privilege */
#define RTO_INITIAL_MAX_MS (20u * SEC_MS) /* tcp_rexmit_interval_initial */
#define RTO_MIN_MAX_MS (20u * SEC_MS) /* tcp_rexmit_interval_min */
#define RTO_MAX_MAX_MS (2u * 3600u * SEC_MS) /* tcp_rexmit_interval_max */
#define SNDBUF_MIN 4096 /* tcp_xmit_hiwat's lower bound */
#define RCVBUF_MIN 2048 /* tcp_recv_hiwat's lower bound */
#define WIN_UNSCALED 65535

void sockopts_defaults_ext(const struct engine *e, struct sock_opts *o)
{
	o->keepidle_ms = e->tun.tcp_keepalive_interval;
	o->keepintvl_ms = KEEPINTVL_DEF_MS;
	o->keepcnt = 0;
	o->keep_abort_ms = e->tun.tcp_keepalive_abort_interval;
}

static int get_int(const void *val, socklen_t len, int *out)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int get_u32(const void *val, socklen_t len, uint32_t *out)
{
	if (!val || len < sizeof(uint32_t))
		return -EINVAL;
	memcpy(out, val, sizeof(uint32_t));
	return 0;
}

/* RFC 3390's initial window in segments for @smss: what TCP_INIT_CWND may
 * ask without privilege. Before a connection has an MSS, the most RFC 3390
 * ever allows (4, at an MSS of 1095 or less). */
static uint32_t rfc3390_segs(const struct tcb *t)
{
	if (!t || !t->smss || t->state == TCPS_LISTEN)
		return 4;
	return cc_initial_window(t->smss) / t->smss;
}

static bool privileged(const struct eng_cred *cred)
{
	return cred && (cred->uid == 0 || cred->net_admin);
}

/* A live connection (not a listener, not over). */
static bool live(const struct tcb *t)
{
	return t && t->state != TCPS_LISTEN && t->state != TCPS_CLOSED;
}

static int set_buf(const struct engine *e, struct sock_opts *o,
		   const struct tcb *t, bool snd, const void *val,
		   socklen_t len)
{
	int v, ret = get_int(val, len, &v);
	uint32_t min = snd ? SNDBUF_MIN : RCVBUF_MIN;

	if (ret)
		return ret;
	if (v < 0)
		return -EINVAL;
	/* illumos refuses a buffer above tcp_max_buf with ENOBUFS (Linux
	 * clamps silently); one below the smallest is raised to it. */
	if ((uint32_t)v > e->tun.tcp_max_buf)
		return -ENOBUFS;
	if ((uint32_t)v < min)
		v = (int)min;
	if (snd)
		o->sndbuf = (uint32_t)v;
	else
		o->rcvbuf = (uint32_t)v;
	/* tcp(4P): only buffers set above 64K before listen/connect get a
	 * window scale; afterwards "it is too late". */
	if ((!t || t->state == TCPS_LISTEN) && v > WIN_UNSCALED)
		o->buf_big = true;
	return 0;
}

/* Keep-alive abort time after the first probe: TCP_KEEPCNT probes at
 * TCP_KEEPINTVL when set, else TCP_KEEPALIVE_ABORT_THRESHOLD. */
static uint32_t keep_abort_eff(const struct sock_opts *o)
{
	uint64_t ms;

	if (!o->keepcnt)
		return o->keep_abort_ms;
	ms = (uint64_t)o->keepcnt * o->keepintvl_ms;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static int set_socket(const struct engine *e, struct sock_opts *o,
		      const struct tcb *t, int name, const void *val,
		      socklen_t len)
{
	struct linger l;
	int v, ret;

	switch (name) {
	case SO_SNDBUF:
		return set_buf(e, o, t, true, val, len);
	case SO_RCVBUF:
		return set_buf(e, o, t, false, val, len);
	case SO_LINGER:
		if (!val || len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		if (l.l_linger < 0)
			return -EINVAL;
		o->linger_on = l.l_onoff != 0;
		o->linger_s = (uint32_t)l.l_linger;
		return 0;
	case SO_KEEPALIVE:
	case SO_OOBINLINE:
	case SO_EXCLBIND:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		if (name == SO_KEEPALIVE)
			o->keepalive = v != 0;
		else if (name == SO_OOBINLINE)
			o->oobinline = v != 0;
		else
			o->exclbind = v != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int set_tcp(const struct engine *e, struct sock_opts *o,
		   const struct tcb *t, int name, const void *val,
		   socklen_t len, const struct eng_cred *cred)
{
	uint32_t u;
	int v, ret;

	switch (name) {
	case TCP_NODELAY:
	case TCP_CORK:
	case TCP_QUICKACK:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		if (name == TCP_NODELAY)
			o->nodelay = v != 0;
		else if (name == TCP_CORK)
			o->cork = v != 0;
		else
			o->quickack = v != 0;
		return 0;
	case TCP_MAXSEG:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		if (v && (v < MAXSEG_MIN || v > WIN_UNSCALED))
			return -EINVAL;
		o->mss = (uint32_t)v;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		if (v < 1 || (uint32_t)v > KEEPIDLE_MAX_MS / SEC_MS)
			return -EINVAL;
		if (name == TCP_KEEPINTVL) {
			o->keepintvl_ms = (uint32_t)v * SEC_MS;
			return 0;
		}
		if ((uint32_t)v * SEC_MS < KEEPIDLE_MIN_MS)
			return -EINVAL;
		o->keepidle_ms = (uint32_t)v * SEC_MS;
		return 0;
	case TCP_KEEPCNT:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		if (v < 1 || v > KEEPCNT_MAX)
			return -EINVAL;
		o->keepcnt = (uint32_t)v;
		return 0;
	case TCP_KEEPALIVE_THRESHOLD:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (u < KEEPIDLE_MIN_MS || u > KEEPIDLE_MAX_MS)
			return -EINVAL;
		o->keepidle_ms = u;
		return 0;
	case TCP_KEEPALIVE_ABORT_THRESHOLD:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		/* The last one set wins: a time replaces a probe count. */
		o->keep_abort_ms = u;
		o->keepcnt = 0;
		return 0;
	case TCP_LINGER2:
		ret = get_int(val, len, &v);
		if (ret)
			return ret;
		/* tcp(7P): "cannot be set higher than the system default";
		 * 0 means that default. */
		if (v < 0 ||
		    (uint64_t)v * SEC_MS > e->tun.tcp_fin_wait_2_flush_interval)
			return -EINVAL;
		o->linger2_ms = v ? (uint32_t)v * SEC_MS :
				    e->tun.tcp_fin_wait_2_flush_interval;
		return 0;
	case TCP_CONGESTION: {
		char name_buf[CC_NAME_MAX];
		size_t n = len < sizeof(name_buf) - 1 ? len :
							sizeof(name_buf) - 1;

		if (!val || len < 1)
			return -EINVAL;
		memcpy(name_buf, val, n);
		name_buf[n] = 0;
		/* tcp(4P): an algorithm that does not exist is ENOENT. */
		if (!cc_find(name_buf))
			return -ENOENT;
		memcpy(o->cc, name_buf, sizeof(o->cc));
		return 0;
	}
	case TCP_ABORT_THRESHOLD:
	case TCP_CONN_ABORT_THRESHOLD:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (name == TCP_ABORT_THRESHOLD)
			o->abort_ms = u;
		else
			o->conn_abort_ms = u;
		return 0;
	case TCP_RTO_INITIAL:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (u < 1 || u > RTO_INITIAL_MAX_MS)
			return -EINVAL;
		o->rto_initial_ms = u;
		return 0;
	case TCP_RTO_MIN:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (u < 1 || u > RTO_MIN_MAX_MS || u > o->rto_max_ms)
			return -EINVAL;
		o->rto_min_ms = u;
		return 0;
	case TCP_RTO_MAX:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (u < 1 || u > RTO_MAX_MAX_MS || u < o->rto_min_ms)
			return -EINVAL;
		o->rto_max_ms = u;
		return 0;
	case TCP_INIT_CWND:
		ret = get_u32(val, len, &u);
		if (ret)
			return ret;
		if (u > INIT_CWND_MAX)
			return -EINVAL;
		/* tcp(4P): more than RFC 3390 allows needs privilege. */
		if (u > rfc3390_segs(t) && !privileged(cred))
			return -EPERM;
		o->init_cwnd = u;
		return 0;
	case TCP_INFO:
	default:
		return -ENOPROTOOPT;
	}
}

/* IP_TTL and IPV6_UNICAST_HOPS: 1..255, or -1 for the default. */
static int set_hops(struct sock_opts *o, const void *val, socklen_t len)
{
	int v, ret = get_int(val, len, &v);

	if (ret)
		return ret;
	if (v == -1)
		v = 0; /* the engine's default, 64 */
	else if (v < 1 || v > 255)
		return -EINVAL;
	o->ttl = (uint8_t)v;
	return 0;
}

/* IP_TOS and IPV6_TCLASS: 0..255 (IPV6_TCLASS also -1, the default); the
 * ECN bits are the engine's and not taken from here. */
static int set_tos(struct sock_opts *o, bool v6, const void *val, socklen_t len)
{
	int v, ret = get_int(val, len, &v);

	if (ret)
		return ret;
	if (v6 && v == -1)
		v = 0;
	if (v < 0 || v > 255)
		return -EINVAL;
	o->tos = (uint8_t)v;
	return 0;
}

static int opt_set(const struct engine *e, struct sock_opts *o,
		   const struct tcb *t, int level, int name, const void *val,
		   socklen_t len, const struct eng_cred *cred)
{
	switch (level) {
	case SOL_SOCKET:
		return set_socket(e, o, t, name, val, len);
	case IPPROTO_TCP:
		return set_tcp(e, o, t, name, val, len, cred);
	case IPPROTO_IP:
		if (name == IP_TOS)
			return set_tos(o, false, val, len);
		if (name == IP_TTL)
			return set_hops(o, val, len);
		return -ENOPROTOOPT;
	case IPPROTO_IPV6:
		if (name == IPV6_TCLASS)
			return set_tos(o, true, val, len);
		if (name == IPV6_UNICAST_HOPS)
			return set_hops(o, val, len);
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

int sockopts_set(struct engine *e, struct sock_opts *o, int level, int name,
		 const void *val, socklen_t len, const struct eng_cred *cred)
{
	struct sock_opts n = *o;
	int ret = opt_set(e, &n, NULL, level, name, val, len, cred);

	if (!ret)
		*o = n;
	return ret;
}

/* A buffer's new size on a live connection: never below what it holds (or,
 * receiving, what the peer was told it may send), never beyond the memory
 * it already has; the window a connection offers never grows past what
 * its window scale can express anyway (tcp_rcv_window). */
static void live_buffers(struct tcb *t)
{
	uint32_t v = t->opts.sndbuf, used = ring_used(&t->sndbuf);

	if (v < used)
		v = used;
	if (t->sndbuf.buf && v > t->sndbuf.size)
		v = t->sndbuf.size;
	t->sndbuf_limit = v;

	v = t->opts.rcvbuf;
	used = ring_used(&t->rcvbuf);
	if (seq_gt(t->rcv_adv, t->rcv_nxt))
		used += t->rcv_adv - t->rcv_nxt;
	if (v < used)
		v = used;
	if (t->rcvbuf.buf && v > t->rcvbuf.size)
		v = t->rcvbuf.size;
	t->rcvbuf_limit = v;
}

/* What a new value changes on a live connection. */
static void apply_live(struct tcb *t, int level, int name, uint64_t now)
{
	if (level == SOL_SOCKET) {
		if (name == SO_SNDBUF || name == SO_RCVBUF) {
			live_buffers(t);
			if (name == SO_SNDBUF && tcb_writable(t))
				tcb_event(t, EV_WRITABLE);
		} else if (name == SO_KEEPALIVE) {
			if (t->opts.keepalive)
				keep_arm(t, now);
			else
				tcb_timer_clear(t, TT_KEEP);
		}
		return;
	}
	if (level != IPPROTO_TCP)
		return;
	switch (name) {
	case TCP_NODELAY:
		/* Linux pushes what Nagle held when TCP_NODELAY is set. */
		if (t->opts.nodelay)
			tcp_output(t, now);
		break;
	case TCP_CORK:
		/* tcp(4P): cleared, "all currently buffered data is sent out
		 * (as permitted by the peer's receive window and the current
		 * congestion window)": Nagle does not hold the tail this once. */
		if (!t->opts.cork) {
			t->x.push = true;
			tcp_output(t, now);
			t->x.push = false;
		}
		break;
	case TCP_QUICKACK:
		/* An ACK we were delaying goes now (RFC 1122 4.2.3.2 allows
		 * the delay, nothing requires it). */
		if (t->opts.quickack && (t->flags & TF_DELACK)) {
			t->flags |= TF_ACKNOW;
			tcp_output(t, now);
		}
		break;
	case TCP_CONGESTION:
		if (t->cc.ops)
			cc_conn_set_ops(&t->cc, cc_find(t->opts.cc));
		break;
	case TCP_RTO_MIN:
	case TCP_RTO_MAX:
		rtt_set_bounds(&t->rtt, t->opts.rto_min_ms * 1000,
			       t->opts.rto_max_ms * 1000);
		break;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_KEEPALIVE_THRESHOLD:
	case TCP_KEEPALIVE_ABORT_THRESHOLD:
		if (t->opts.keepalive)
			keep_arm(t, now);
		break;
	default:
		/* The abort thresholds are read at the next RTO; TCP_MAXSEG,
		 * TCP_RTO_INITIAL, TCP_INIT_CWND at the next (re)start. */
		break;
	}
}

int eng_setsockopt(struct tcb *t, int level, int name, const void *val,
		   socklen_t len, const struct eng_cred *cred, uint64_t now)
{
	struct sock_opts n = t->opts;
	int ret = opt_set(t->eng, &n, t, level, name, val, len, cred);

	if (ret)
		return ret;
	t->opts = n;
	if (live(t))
		apply_live(t, level, name, now);
	return 0;
}

/* --- getsockopt ---------------------------------------------------------- */

/* Store @n bytes of @src, truncated to *len as Linux does. */
static int put(void *val, socklen_t *len, const void *src, size_t n)
{
	if (!len || (*len && !val))
		return -EINVAL;
	if (*len > n)
		*len = (socklen_t)n;
	memcpy(val, src, *len);
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	return put(val, len, &v, sizeof(v));
}

static int put_u32(void *val, socklen_t *len, uint32_t v)
{
	return put(val, len, &v, sizeof(v));
}

static int opt_get(const struct engine *e, const struct sock_opts *o,
		   struct tcb *t, int level, int name, void *val,
		   socklen_t *len, uint64_t now)
{
	if (level == SOL_SOCKET) {
		struct linger l;

		switch (name) {
		case SO_SNDBUF:
			return put_int(val, len, (int)o->sndbuf);
		case SO_RCVBUF:
			return put_int(val, len, (int)o->rcvbuf);
		case SO_KEEPALIVE:
			return put_int(val, len, o->keepalive);
		case SO_OOBINLINE:
			return put_int(val, len, o->oobinline);
		case SO_EXCLBIND:
			return put_int(val, len, o->exclbind);
		case SO_LINGER:
			memset(&l, 0, sizeof(l));
			l.l_onoff = o->linger_on;
			l.l_linger = (int)o->linger_s;
			return put(val, len, &l, sizeof(l));
		case SO_ERROR:
			return put_int(val, len, t ? tcb_take_error(t) : 0);
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_IP || level == IPPROTO_IPV6) {
		if ((level == IPPROTO_IP && name == IP_TOS) ||
		    (level == IPPROTO_IPV6 && name == IPV6_TCLASS))
			return put_int(val, len, o->tos);
		if ((level == IPPROTO_IP && name == IP_TTL) ||
		    (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS))
			return put_int(val, len, o->ttl ? o->ttl : 64);
		return -ENOPROTOOPT;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		return put_int(val, len, o->nodelay);
	case TCP_CORK:
		return put_int(val, len, o->cork);
	case TCP_QUICKACK:
		return put_int(val, len, o->quickack);
	case TCP_MAXSEG:
		/* Linux: the MSS in use once connected, else what was set or
		 * the RFC 9293 3.7.1 default. */
		if (live(t) && t->smss)
			return put_int(val, len, (int)t->smss);
		return put_int(val, len, o->mss ? (int)o->mss : 536);
	case TCP_KEEPIDLE:
		return put_int(val, len, (int)(o->keepidle_ms / SEC_MS));
	case TCP_KEEPINTVL:
		return put_int(val, len, (int)(o->keepintvl_ms / SEC_MS));
	case TCP_KEEPCNT: {
		uint32_t n = o->keepcnt;

		/* Without a count, the probes that fit the abort time. */
		if (!n && o->keep_abort_ms && o->keepintvl_ms)
			n = (o->keep_abort_ms + o->keepintvl_ms - 1) /
			    o->keepintvl_ms;
		return put_int(val, len, (int)n);
	}
	case TCP_KEEPALIVE_THRESHOLD:
		return put_u32(val, len, o->keepidle_ms);
	case TCP_KEEPALIVE_ABORT_THRESHOLD:
		return put_u32(val, len, keep_abort_eff(o));
	case TCP_LINGER2:
		return put_int(val, len, (int)(o->linger2_ms / SEC_MS));
	case TCP_CONGESTION: {
		char name_buf[CC_NAME_MAX];
		const char *s = o->cc[0] ? o->cc : e->tun.congestion_control;

		if (t && t->cc.ops)
			s = t->cc.ops->name;
		memset(name_buf, 0, sizeof(name_buf));
		memcpy(name_buf, s, strnlen(s, CC_NAME_MAX - 1));
		return put(val, len, name_buf, sizeof(name_buf));
	}
	case TCP_INFO: {
		/* Linux's struct tcp_info, truncated to the caller's room
		 * (Linux's do_tcp_getsockopt). */
		struct xtcp_tcp_info info;

		if (t)
			tcb_tcp_info(t, &info, now);
		else
			sockopts_tcp_info(o, &info);
		return put(val, len, &info, sizeof(info));
	}
	case TCP_ABORT_THRESHOLD:
		return put_u32(val, len, o->abort_ms);
	case TCP_CONN_ABORT_THRESHOLD:
		return put_u32(val, len, o->conn_abort_ms);
	case TCP_RTO_INITIAL:
		return put_u32(val, len, o->rto_initial_ms);
	case TCP_RTO_MIN:
		return put_u32(val, len, o->rto_min_ms);
	case TCP_RTO_MAX:
		return put_u32(val, len, o->rto_max_ms);
	case TCP_INIT_CWND:
		return put_u32(val, len, o->init_cwnd);
	default:
		return -ENOPROTOOPT;
	}
}

int eng_getsockopt(struct tcb *t, int level, int name, void *val,
		   socklen_t *len, uint64_t now)
{
	return opt_get(t->eng, &t->opts, t, level, name, val, len, now);
}

int sockopts_get(const struct engine *e, const struct sock_opts *o, int level,
		 int name, void *val, socklen_t *len)
{
	return opt_get(e, o, NULL, level, name, val, len, 0);
}
