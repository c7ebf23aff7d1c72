// SPDX-License-Identifier: BSD-2-Clause
/*
 * The built-in services, served by one engine to a client engine over an
 * in-memory link: echo returns every byte (also past the buffers, so flow
 * control works), discard swallows, chargen sends the RFC 864 pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/services.h"
#include "stack/seg_emit.h"

#define QMAX 4096

struct q {
	uint8_t *pkt[QMAX];
	uint32_t len[QMAX];
	unsigned head, tail;
};

struct world {
	struct engine *srv, *cli;
	struct svc svc;
	struct q to_srv, to_cli;
	uint64_t now;
};

static struct world W;

static void enq(struct q *q, const struct seg_out *so)
{
	uint8_t *b = malloc(seg_emit_len(so));
	int n;

	assert_non_null(b);
	n = seg_emit_ip(so, b, seg_emit_len(so));
	assert_true(n > 0);
	assert_true(q->tail - q->head < QMAX);
	q->pkt[q->tail % QMAX] = b;
	q->len[q->tail % QMAX] = (uint32_t)n;
	q->tail++;
}

static void out_srv(void *u, const struct seg_out *so)
{
	enq(&W.to_cli, so);
}

static void out_cli(void *u, const struct seg_out *so)
{
	enq(&W.to_srv, so);
}

static void ev_srv(void *u, struct tcb *t, unsigned ev)
{
	svc_event(&W.svc, t, ev);
}

static const struct engine_ops srv_ops = { .output = out_srv, .event = ev_srv };
static const struct engine_ops cli_ops = { .output = out_cli };

static bool deliver(struct q *q, struct engine *e)
{
	bool any = false;

	while (q->head != q->tail) {
		struct pkt p;
		uint8_t *b = q->pkt[q->head % QMAX];

		assert_int_equal(pkt_parse_ip(b, q->len[q->head % QMAX],
					      PKT_VERIFY_ALL, &p),
				 0);
		q->head++;
		eng_input(e, &p, W.now);
		free(b);
		any = true;
	}
	return any;
}

/* Run until nothing moves; time steps to the next timer when idle. */
static void settle(int max_timer_steps)
{
	for (;;) {
		bool any = deliver(&W.to_srv, W.srv);

		any |= deliver(&W.to_cli, W.cli);
		svc_run(&W.svc, W.now);
		if (any || W.to_srv.head != W.to_srv.tail ||
		    W.to_cli.head != W.to_cli.tail)
			continue;
		if (max_timer_steps-- <= 0)
			return;
		uint64_t a = eng_next_deadline(W.srv),
			 b = eng_next_deadline(W.cli);
		uint64_t t = a < b ? a : b;

		if (t == UINT64_MAX)
			return;
		if (t > W.now)
			W.now = t;
		eng_timers(W.srv, W.now);
		eng_timers(W.cli, W.now);
	}
}

static struct ip_addr A4(uint8_t last) {
	const uint8_t a[4] = { 198, 18, 0, last };
	struct ip_addr r;

	ip_addr_from_v4(&r, a);
	return r;
}

static int
setup(void **state)
{
	struct engine_config cfg;
	struct sock_opts o;
	struct ip_addr any = { 0 };

	memset(&W, 0, sizeof(W));
	tunables_defaults(&cfg.tun);
	cfg.tun.tcp_time_wait_interval = 1000;
	memset(cfg.isn_key, 3, 16);
	cfg.seed = 9;
	W.srv = eng_create(&cfg, &srv_ops, NULL);
	W.cli = eng_create(&cfg, &cli_ops, NULL);
	W.now = 1000000;
	svc_init(&W.svc, W.srv);
	eng_default_opts(W.srv, &o);
	assert_int_equal(svc_listen(&W.svc, SVC_ECHO, &any, 7, 16, &o), 0);
	assert_int_equal(svc_listen(&W.svc, SVC_DISCARD, &any, 9, 16, &o), 0);
	assert_int_equal(svc_listen(&W.svc, SVC_CHARGEN, &any, 19, 16, &o), 0);
	return 0;
}

static int teardown(void **state)
{
	svc_shutdown(&W.svc, true, W.now);
	settle(0);
	eng_destroy(W.srv);
	eng_destroy(W.cli);
	return 0;
}

static struct tcb *dial(uint16_t port)
{
	struct sock_opts o;
	struct ip_addr c = A4(1), s = A4(2);
	struct tcb *t;
	int err;

	eng_default_opts(W.cli, &o);
	t = eng_connect(W.cli, &c, 0, &s, port, &o, W.now, &err);
	assert_non_null(t);
	settle(0);
	assert_int_equal(tcb_state(t), TCPS_ESTABLISHED);
	return t;
}

static void echo_returns_everything(void **state)
{
	struct tcb *t = dial(7);
	size_t total = 1000000, sent = 0, got = 0;
	uint8_t *in = malloc(total), *back = malloc(total);

	for (size_t i = 0; i < total; i++)
		in[i] = (uint8_t)(i * 131 + (i >> 9));
	/* Far more than both buffers: echo must pace by flow control. */
	for (int rounds = 0; got < total && rounds < 100000; rounds++) {
		long n;

		if (sent < total) {
			n = eng_send(t, in + sent, total - sent, 0, W.now);
			if (n > 0)
				sent += (size_t)n;
		}
		settle(1);
		while ((n = eng_recv(t, back + got, total - got, 0, W.now)) > 0)
			got += (size_t)n;
	}
	assert_int_equal(got, total);
	assert_memory_equal(in, back, total);
	/* Half-close: the service finishes and closes its side. */
	eng_shutdown(t, 1, W.now);
	settle(3);
	assert_int_equal(eng_recv(t, back, 1, 0, W.now), 0);
	eng_close(t, false, W.now);
	settle(5);
	assert_int_equal(W.svc.st.closed, W.svc.st.accepted);
	free(in);
	free(back);
}

static void discard_swallows(void **state)
{
	struct tcb *t = dial(9);
	uint8_t buf[4096] = { 1 };
	size_t sent = 0;

	while (sent < 300000) {
		long n = eng_send(t, buf, sizeof(buf), 0, W.now);

		if (n > 0)
			sent += (size_t)n;
		settle(1);
	}
	settle(3);
	assert_int_equal(eng_recv(t, buf, sizeof(buf), 0, W.now), -EAGAIN);
	assert_int_equal(W.svc.st.bytes_in, sent);
	eng_close(t, false, W.now);
	settle(5);
}

static void chargen_pattern(void **state)
{
	struct tcb *t = dial(19);
	uint8_t buf[74 * 3];
	size_t got = 0;

	settle(2);
	while (got < sizeof(buf)) {
		long n = eng_recv(t, buf + got, sizeof(buf) - got, 0, W.now);

		assert_true(n > 0);
		got += (size_t)n;
	}
	/* RFC 864: line k starts with character k of the 95. */
	assert_memory_equal(buf, " !\"#$%&'()*+,-./0123456789", 26);
	assert_int_equal(buf[72], '\r');
	assert_int_equal(buf[73], '\n');
	assert_memory_equal(buf + 74, "!\"#$%&'()*+,-./0123456789", 25);
	assert_int_equal(buf[74 + 71], (uint8_t)(' ' + (1 + 71) % 95));
	eng_close(t, true, W.now);
	settle(3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(echo_returns_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(discard_swallows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(chargen_pattern, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
