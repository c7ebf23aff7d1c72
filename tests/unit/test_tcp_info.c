// SPDX-License-Identifier: BSD-2-Clause
/*
 * TCP_INFO (tcpinfo.c, include/xtcp/tcp_info.h): the layout is Linux's
 * struct tcp_info (every offset checked against <linux/tcp.h>, the fields
 * newer than the installed header against this kernel's own answer), and
 * the figures of a scripted connection come out in Linux's units: Linux
 * states, microseconds, segments, bytes, truncation to the caller's room.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "xtcp/tcp_info.h"

#define MSS 1460

#define SAME_OFFSET(f)                                      \
	assert_int_equal(offsetof(struct xtcp_tcp_info, f), \
			 offsetof(struct tcp_info, f))

static void layout_is_linux(void **state)
{
	struct xtcp_tcp_info x;
	struct tcp_info l;

	/* Every field the installed <linux/tcp.h> has. */
	SAME_OFFSET(tcpi_state);
	SAME_OFFSET(tcpi_ca_state);
	SAME_OFFSET(tcpi_retransmits);
	SAME_OFFSET(tcpi_probes);
	SAME_OFFSET(tcpi_backoff);
	SAME_OFFSET(tcpi_options);
	SAME_OFFSET(tcpi_rto);
	SAME_OFFSET(tcpi_ato);
	SAME_OFFSET(tcpi_snd_mss);
	SAME_OFFSET(tcpi_rcv_mss);
	SAME_OFFSET(tcpi_unacked);
	SAME_OFFSET(tcpi_sacked);
	SAME_OFFSET(tcpi_lost);
	SAME_OFFSET(tcpi_retrans);
	SAME_OFFSET(tcpi_fackets);
	SAME_OFFSET(tcpi_last_data_sent);
	SAME_OFFSET(tcpi_last_ack_sent);
	SAME_OFFSET(tcpi_last_data_recv);
	SAME_OFFSET(tcpi_last_ack_recv);
	SAME_OFFSET(tcpi_pmtu);
	SAME_OFFSET(tcpi_rcv_ssthresh);
	SAME_OFFSET(tcpi_rtt);
	SAME_OFFSET(tcpi_rttvar);
	SAME_OFFSET(tcpi_snd_ssthresh);
	SAME_OFFSET(tcpi_snd_cwnd);
	SAME_OFFSET(tcpi_advmss);
	SAME_OFFSET(tcpi_reordering);
	SAME_OFFSET(tcpi_rcv_rtt);
	SAME_OFFSET(tcpi_rcv_space);
	SAME_OFFSET(tcpi_total_retrans);
	SAME_OFFSET(tcpi_pacing_rate);
	SAME_OFFSET(tcpi_max_pacing_rate);
	SAME_OFFSET(tcpi_bytes_acked);
	SAME_OFFSET(tcpi_bytes_received);
	SAME_OFFSET(tcpi_segs_out);
	SAME_OFFSET(tcpi_segs_in);
	SAME_OFFSET(tcpi_notsent_bytes);
	SAME_OFFSET(tcpi_min_rtt);
	SAME_OFFSET(tcpi_data_segs_in);
	SAME_OFFSET(tcpi_data_segs_out);
	SAME_OFFSET(tcpi_delivery_rate);
	SAME_OFFSET(tcpi_busy_time);
	SAME_OFFSET(tcpi_rwnd_limited);
	SAME_OFFSET(tcpi_sndbuf_limited);
	SAME_OFFSET(tcpi_delivered);
	SAME_OFFSET(tcpi_delivered_ce);
	SAME_OFFSET(tcpi_bytes_sent);
	SAME_OFFSET(tcpi_bytes_retrans);
	SAME_OFFSET(tcpi_dsack_dups);
	SAME_OFFSET(tcpi_reord_seen);
	SAME_OFFSET(tcpi_rcv_ooopack);
	SAME_OFFSET(tcpi_snd_wnd);
	assert_true(sizeof(struct tcp_info) <= sizeof(struct xtcp_tcp_info));
	/* The bit fields land in the same bits. */
	memset(&x, 0, sizeof(x));
	x.tcpi_snd_wscale = 7;
	x.tcpi_rcv_wscale = 9;
	x.tcpi_delivery_rate_app_limited = 1;
	x.tcpi_fastopen_client_fail = 2;
	memcpy(&l, &x, sizeof(l));
	assert_int_equal(l.tcpi_snd_wscale, 7);
	assert_int_equal(l.tcpi_rcv_wscale, 9);
	assert_int_equal(l.tcpi_delivery_rate_app_limited, 1);
	assert_int_equal(l.tcpi_fastopen_client_fail, 2);
	/* Linux 6.18's tail, after tcpi_snd_wnd (uapi/linux/tcp.h). */
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_rcv_wnd), 232);
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_rehash), 236);
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_total_rto), 240);
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_total_rto_time),
			 244);
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_received_ce), 248);
	assert_int_equal(offsetof(struct xtcp_tcp_info, tcpi_received_ce_bytes),
			 272);
	assert_int_equal(sizeof(struct xtcp_tcp_info), 280);
}

/* A loopback connection of this kernel's TCP; skips when there is none. */
static int kernel_pair(int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*c = *s = -1;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &alen))
		goto out;
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	*s = accept(l, NULL, NULL);
out:
	if (l >= 0)
		close(l);
	return *c >= 0 && *s >= 0 ? 0 : -1;
}

static socklen_t kernel_info(int fd, struct xtcp_tcp_info *ti)
{
	uint8_t buf[1024];
	socklen_t len = sizeof(buf);

	memset(ti, 0, sizeof(*ti));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len), 0);
	memcpy(ti, buf, len < sizeof(*ti) ? len : sizeof(*ti));
	return len;
}

/*
 * The fields newer than the installed header, read at our offsets from
 * what the running kernel answers: they must hold what the kernel would
 * put there (on a kernel older than 6.18 the answer is shorter: only the
 * common part is checked).
 */
static void kernel_agrees(void **state)
{
	static char data[1000];
	struct xtcp_tcp_info ti;
	socklen_t len;
	int c, s;

	if (kernel_pair(&c, &s))
		skip();
	assert_int_equal(write(c, data, sizeof(data)), (ssize_t)sizeof(data));
	assert_int_equal(read(s, data, sizeof(data)) > 0, 1);
	for (int i = 0; i < 1000; i++) {
		len = kernel_info(c, &ti);
		if (ti.tcpi_bytes_acked >= sizeof(data) && !ti.tcpi_unacked)
			break;
		usleep(1000);
	}
	assert_true(len <= sizeof(ti));
	assert_int_equal(ti.tcpi_state, XTCP_TCPI_ESTABLISHED);
	/* Linux counts the SYN among the octets acknowledged. */
	assert_in_range(ti.tcpi_bytes_acked, sizeof(data), sizeof(data) + 1);
	assert_int_equal(ti.tcpi_bytes_sent, sizeof(data));
	assert_true(ti.tcpi_snd_wnd > 0);
	if (len >= 280) {
		assert_true(ti.tcpi_rcv_wnd > 0);
		assert_int_equal(ti.tcpi_total_rto, 0);
		assert_int_equal(ti.tcpi_received_ce, 0);
		len = kernel_info(s, &ti);
		assert_int_equal(ti.tcpi_bytes_received, sizeof(data));
		assert_true(ti.tcpi_rcv_wnd > 0);
	}
	close(c);
	close(s);
}

static struct xtcp_tcp_info info(struct harness *h, socklen_t *lenp)
{
	struct xtcp_tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0xee, sizeof(ti));
	assert_int_equal(eng_getsockopt(h->tcb, IPPROTO_TCP, TCP_INFO, &ti,
					&len, h->now),
			 0);
	if (lenp)
		*lenp = len;
	return ti;
}

static void connection_figures(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct xtcp_tcp_info ti;
	socklen_t len;

	h_init(&h);
	eng_default_opts(h.eng, &o);
	o.init_cwnd = 10;
	est_active_rtt(&h, &o, MSS, 65535, 30 * MSEC);
	ti = info(&h, &len);
	assert_int_equal(len, sizeof(ti));
	assert_int_equal(ti.tcpi_state, XTCP_TCPI_ESTABLISHED);
	assert_int_equal(ti.tcpi_ca_state, XTCP_TCPI_CA_OPEN);
	assert_int_equal(ti.tcpi_snd_mss, MSS);
	assert_int_equal(ti.tcpi_advmss, MSS);
	assert_int_equal(ti.tcpi_rtt, 30000); /* microseconds */
	assert_int_equal(ti.tcpi_min_rtt, 30000);
	assert_int_equal(ti.tcpi_snd_cwnd, 10); /* segments */
	assert_int_equal(ti.tcpi_snd_ssthresh, XTCP_TCPI_INFINITE_SSTHRESH);
	assert_int_equal(ti.tcpi_snd_wnd, 65535);
	assert_int_equal(ti.tcpi_options, 0);
	assert_int_equal(ti.tcpi_reordering, 3);
	assert_int_equal(ti.tcpi_max_pacing_rate, UINT64_MAX);
	assert_int_equal(ti.tcpi_unacked, 0);
	/* Ten segments out, acknowledged 50 ms later. */
	send_pat(&h, 0, 10 * MSS);
	for (uint32_t k = 0; k < 10; k++)
		h_expect(&h, k < 9 ? "A" : "PA", 1 + k * MSS, 1, MSS);
	ti = info(&h, NULL);
	assert_int_equal(ti.tcpi_unacked, 10);
	assert_int_equal(ti.tcpi_data_segs_out, 10);
	assert_int_equal(ti.tcpi_bytes_sent, 10 * MSS);
	assert_int_equal(ti.tcpi_notsent_bytes, 0);
	h_advance(&h, 50 * MSEC);
	h_feed(&h, "A", 1, 1 + 10 * MSS, 65535, NULL, NULL, 0);
	ti = info(&h, NULL);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ti.tcpi_bytes_acked, 10 * MSS);
	assert_int_equal(ti.tcpi_delivered, 10);
	assert_true(ti.tcpi_snd_cwnd > 10); /* slow start */
	assert_true(ti.tcpi_rtt > 30000 && ti.tcpi_rtt <= 50000);
	assert_int_equal(ti.tcpi_min_rtt, 30000);
	assert_int_equal(ti.tcpi_last_data_sent, 50); /* milliseconds */
	/* Data from the peer, then 2 s of quiet. */
	feed_pat(&h, "PA", 1, 1 + 10 * MSS, 65535, 1000);
	h_advance(&h, 2 * SEC);
	h_expect(&h, "A", 1 + 10 * MSS, 1001, 0);
	ti = info(&h, NULL);
	assert_int_equal(ti.tcpi_bytes_received, 1000);
	assert_int_equal(ti.tcpi_data_segs_in, 1);
	assert_int_equal(ti.tcpi_last_data_recv, 2000);
	assert_int_equal(ti.tcpi_last_ack_recv, 2000);
	assert_true(ti.tcpi_rcv_wnd > 0);
	assert_int_equal(ti.tcpi_segs_in, 3); /* SYN-ACK, ACK, data */
	recv_pat(&h, 0, 1000);
	/* A segment lost for good: the RTO fires, Linux's Loss state. */
	send_pat(&h, 10 * MSS, 100);
	h_expect(&h, "PA", 1 + 10 * MSS, 1001, 100);
	h_run_until(&h, h_next_timer(&h));
	h_expect(&h, "PA", 1 + 10 * MSS, 1001, 100);
	ti = info(&h, NULL);
	assert_int_equal(ti.tcpi_ca_state, XTCP_TCPI_CA_LOSS);
	assert_int_equal(ti.tcpi_backoff, 1);
	assert_int_equal(ti.tcpi_total_rto, 1);
	assert_int_equal(ti.tcpi_total_rto_recoveries, 1);
	assert_int_equal(ti.tcpi_total_retrans, 1);
	assert_int_equal(ti.tcpi_bytes_retrans, 100);
	assert_int_equal(ti.tcpi_snd_cwnd, 1);
	assert_int_not_equal(ti.tcpi_snd_ssthresh, XTCP_TCPI_INFINITE_SSTHRESH);
	h_feed(&h, "A", 1001, 1 + 10 * MSS + 100, 65535, NULL, NULL, 0);
	/* Short room: Linux's truncation, the length says what is there. */
	{
		uint8_t buf[8];

		len = sizeof(buf);
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(eng_getsockopt(h.tcb, IPPROTO_TCP, TCP_INFO,
						buf, &len, h.now),
				 0);
		assert_int_equal(len, 8);
		assert_int_equal(buf[0], XTCP_TCPI_ESTABLISHED);
	}
	h_fini(&h);
}

static void all_options(struct tunables *t)
{
	t->tcp_wscale_always = 1;
	t->tcp_tstamp_always = 1;
	t->tcp_sack_permitted = 2;
}

static void options_and_listener(void **state)
{
	struct harness h;
	struct sock_opts o;
	struct xtcp_tcp_info ti;
	struct tcp_opts op = { .present = TCP_OPT_MSS | TCP_OPT_WSCALE |
					  TCP_OPT_SACK_PERM | TCP_OPT_TS,
			       .mss = MSS,
			       .wscale = 7,
			       .ts_val = 1000 };
	socklen_t len = sizeof(ti);

	/* A listener: Linux gives the accept queue and its limit. */
	h_init(&h);
	h_listen(&h, 5);
	assert_int_equal(eng_getsockopt(h.listener, IPPROTO_TCP, TCP_INFO, &ti,
					&len, h.now),
			 0);
	assert_int_equal(ti.tcpi_state, XTCP_TCPI_LISTEN);
	assert_int_equal(ti.tcpi_unacked, 0);
	assert_int_equal(ti.tcpi_sacked, 5);
	h_fini(&h);

	/* Window scale, timestamps and SACK, as negotiated by the SYN-ACK. */
	h_init_tun(&h, all_options);
	eng_default_opts(h.eng, &o);
	o.rcvbuf = o.sndbuf = 1 << 20;
	h_connect_opts(&h, &o);
	h_expect(&h, "S", 0, 0, 0);
	h_feed(&h, "SA", 0, 1, 65535, &op, NULL, 0);
	h_expect(&h, "A", 1, 1, 0);
	ti = info(&h, NULL);
	assert_int_equal(ti.tcpi_options, XTCP_TCPI_OPT_WSCALE |
						  XTCP_TCPI_OPT_TIMESTAMPS |
						  XTCP_TCPI_OPT_SACK);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	assert_int_equal(ti.tcpi_rcv_wscale, 5); /* 2^20 / 65535 < 2^5 */
	assert_int_equal(ti.tcpi_snd_mss, MSS - 12); /* less the TS option */
	assert_int_equal(ti.tcpi_rcv_mss, ti.tcpi_advmss - 12);
	assert_int_equal(ti.tcpi_snd_wnd, 65535); /* a SYN's is unscaled */
	/* Not yet connected: Linux's TCP_CLOSE and its defaults. */
	len = sizeof(ti);
	assert_int_equal(
		sockopts_get(h.eng, &o, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_state, XTCP_TCPI_CLOSE);
	assert_int_equal(ti.tcpi_rto, o.rto_initial_ms * 1000);
	assert_int_equal(ti.tcpi_snd_ssthresh, XTCP_TCPI_INFINITE_SSTHRESH);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_linux),
		cmocka_unit_test(kernel_agrees),
		cmocka_unit_test(connection_figures),
		cmocka_unit_test(options_and_listener),
	};

	return cmocka_run_group_tests_name("tcp_info", tests, NULL, NULL);
}
