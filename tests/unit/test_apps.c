// SPDX-License-Identifier: BSD-2-Clause
/*
 * What the daemon takes from applications: IPC requests
 * (apps_check_req), ring indices moved in shared memory (apps_ring_delta,
 * eng_snd_produced, eng_rcv_consumed) with hostile values, and rings in
 * caller memory (eng_set_buffers).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "daemon/apps.h"
#include "engine_helpers.h"
#include "stack/sockbuf.h"

static struct xtcp_ipc_req good(void)
{
	struct xtcp_ipc_req q;

	memset(&q, 0, sizeof(q));
	q.version = XTCP_IPC_VERSION;
	q.op = XTCP_OP_BIND;
	q.addr.family = AF_INET;
	q.addr.addr[10] = q.addr.addr[11] = 0xff;
	q.addr.addr[12] = 198;
	return q;
}

static void requests(void **state)
{
	struct xtcp_ipc_req q = good(), out;
	uint8_t big[sizeof(q) + 1];

	assert_int_equal(apps_check_req(&q, sizeof(q), &out), 0);
	assert_memory_equal(&q, &out, sizeof(q));
	/* Sizes: exact only. */
	for (size_t len = 0; len < sizeof(q); len += 7)
		assert_int_equal(apps_check_req(&q, len, &out), -EINVAL);
	memcpy(big, &q, sizeof(q));
	assert_int_equal(apps_check_req(big, sizeof(big), &out), -EINVAL);
	/* Version, op. */
	q.version = XTCP_IPC_VERSION + 1;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EPROTO);
	q = good();
	q.op = 0;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EOPNOTSUPP);
	q.op = XTCP_OP_MAX;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EOPNOTSUPP);
	q.op = 0xffff;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EOPNOTSUPP);
	/* len beyond data. */
	q = good();
	q.len = XTCP_IPC_DATA_MAX;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), 0);
	q.len = XTCP_IPC_DATA_MAX + 1;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EINVAL);
	q.len = 0xffffffffu;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EINVAL);
	/* Families; AF_INET must be IPv4-mapped. */
	q = good();
	q.addr.family = AF_UNIX;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EINVAL);
	q.addr.family = AF_INET6;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), 0);
	q.addr.family = AF_INET;
	q.addr.addr[10] = 0;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), -EINVAL);
	q.addr.family = 0;
	assert_int_equal(apps_check_req(&q, sizeof(q), &out), 0);
}

static void ring_deltas(void **state)
{
	uint32_t n = 7;

	assert_int_equal(apps_ring_delta(100, 100, 50, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(apps_ring_delta(150, 100, 50, &n), 0);
	assert_int_equal(n, 50);
	/* Too far, backwards, across the 2^32 wrap. */
	n = 7;
	assert_int_equal(apps_ring_delta(151, 100, 50, &n), -EINVAL);
	assert_int_equal(apps_ring_delta(99, 100, 50, &n), -EINVAL);
	assert_int_equal(apps_ring_delta(0x80000000u, 0, 0xffffffffu >> 1, &n),
			 -EINVAL);
	assert_int_equal(n, 7);
	assert_int_equal(apps_ring_delta(10, 0xfffffff0u, 32, &n), 0);
	assert_int_equal(n, 26);
	assert_int_equal(apps_ring_size(0), 4096);
	assert_int_equal(apps_ring_size(4096), 4096);
	assert_int_equal(apps_ring_size(128000), 131072);
	assert_int_equal(apps_ring_size(0x80000001u), 0);
}

/* An established connection with its rings in memory we own. */
static void *snd_mem, *rcv_mem;

static void establish(struct harness *h)
{
	h_init(h);
	h_establish_active(h);
	snd_mem = malloc(131072);
	rcv_mem = malloc(131072);
}

static void set_buffers(void **state)
{
	struct harness h;
	struct tcb_rings r;
	uint32_t sl, rl;

	establish(&h);
	tcb_buf_limits(h.tcb, &sl, &rl);
	/* Not a power of two, too small, missing: refused. */
	assert_int_equal(eng_set_buffers(h.tcb, snd_mem, 100000, rcv_mem,
					 131072),
			 -EINVAL);
	assert_int_equal(eng_set_buffers(h.tcb, snd_mem, 4096, rcv_mem, 131072),
			 -EINVAL);
	assert_int_equal(eng_set_buffers(h.tcb, NULL, 131072, rcv_mem, 131072),
			 -EINVAL);
	/* Data already received moves with the ring. */
	feed_pat(&h, "PA", 1, 1, 65535, 1000);
	h_advance(&h, 200 * MSEC);
	h_expect(&h, "A", 1, 1001, 0);
	assert_int_equal(
		eng_set_buffers(h.tcb, snd_mem, 131072, rcv_mem, 131072), 0);
	tcb_rings(h.tcb, &r);
	assert_int_equal(r.rcv_head - r.rcv_tail, 1000);
	assert_memory_equal((uint8_t *)rcv_mem + (r.rcv_tail & 131071), pat(0),
			    1000);
	assert_int_equal(eng_rcv_consumed(h.tcb, 1000, h.now), 1000);
	h_fini(&h);
}

static void hostile_counts(void **state)
{
	struct harness h;
	struct tcb_rings r;
	uint32_t sl, rl;

	establish(&h);
	assert_int_equal(
		eng_set_buffers(h.tcb, snd_mem, 131072, rcv_mem, 131072), 0);
	tcb_buf_limits(h.tcb, &sl, &rl);
	/* Produced: more than the buffer allows is refused whole. */
	assert_int_equal(eng_snd_produced(h.tcb, sl + 1, 0, h.now), -EINVAL);
	assert_int_equal(eng_snd_produced(h.tcb, 0xffffffffu, 0, h.now),
			 -EINVAL);
	assert_int_equal(eng_snd_produced(h.tcb, 0x80000000u, 0, h.now),
			 -EINVAL);
	tcb_rings(h.tcb, &r);
	assert_int_equal(r.snd_head, r.snd_tail);
	h_expect_none(&h);
	/* A valid count sends what the app wrote in place. */
	memcpy((uint8_t *)snd_mem + (r.snd_head & 131071), pat(0), 100);
	assert_int_equal(eng_snd_produced(h.tcb, 100, 0, h.now), 100);
	{
		const struct h_seg *s = h_expect(&h, "PA", 1, 1, 100);

		assert_memory_equal(s->data, pat(0), 100);
	}
	/* Consumed: more than is readable is refused; nothing moves. */
	assert_int_equal(eng_rcv_consumed(h.tcb, 1, h.now), -EINVAL);
	assert_int_equal(eng_rcv_consumed(h.tcb, 0xffffffffu, h.now), -EINVAL);
	feed_pat(&h, "PA", 1, 101, 65535, 10);
	assert_int_equal(eng_rcv_consumed(h.tcb, 11, h.now), -EINVAL);
	tcb_rings(h.tcb, &r);
	assert_int_equal(r.rcv_head - r.rcv_tail, 10);
	assert_int_equal(eng_rcv_consumed(h.tcb, 10, h.now), 10);
	h_advance(&h, 500 * MSEC);
	while (h_pending(&h))
		h_expect(&h, "A", 101, 11, 0);
	/* After our FIN: produced is EPIPE, as eng_send. */
	assert_int_equal(eng_shutdown(h.tcb, SHUT_WR, h.now), 0);
	h_expect(&h, "FA", 101, 11, 0);
	assert_int_equal(eng_snd_produced(h.tcb, 1, 0, h.now), -EPIPE);
	h_feed(&h, "A", 11, 102, 65535, NULL, NULL, 0);
	h_feed(&h, "FA", 11, 102, 65535, NULL, NULL, 0);
	h_expect(&h, "A", 102, 12, 0);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requests),
		cmocka_unit_test(ring_deltas),
		cmocka_unit_test(set_buffers),
		cmocka_unit_test(hostile_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
