/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Socket buffers the engine does not own: a connection's send and receive
 * rings placed in memory the caller provides (the daemon puts them in an
 * application's shared memory), and the two calls that tell the engine the
 * application moved its end of a ring.
 *
 *	eng_set_buffers(t, snd, snd_size, rcv, rcv_size)
 *	eng_snd_produced(t, n, flags, now)   the app appended n bytes to snd
 *	eng_rcv_consumed(t, n, now)          the app read n bytes from rcv
 *
 * The engine keeps its own ring indices; the caller works out n from what
 * the application wrote in shared memory, and the engine checks it again:
 * an n larger than the ring allows is refused whole (-EINVAL), nothing
 * asserts on it.
 */
#ifndef XTCP_STACK_SOCKBUF_H
#define XTCP_STACK_SOCKBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/engine.h"

/*
 * Give @t's rings this memory (sizes powers of two, at least the
 * connection's buffer limits, see tcb_buf_limits). Data already buffered
 * (a connection that waited in the accept queue) is copied over and the
 * old memory released with ops->buf_free. The new memory is released the
 * same way when the tcb is freed. 0, or -EINVAL (bad size, a listener).
 */
int eng_set_buffers(struct tcb *t, void *snd, uint32_t snd_size, void *rcv,
		    uint32_t rcv_size);
/*
 * The application is closing @t gracefully: move what the engine still
 * needs of its rings (the send ring's unacknowledged bytes) into
 * ops->buf_alloc memory just large enough, release both rings with
 * ops->buf_free, and return the new send ring (released the usual way when
 * the tcb is freed). NULL, with nothing changed, for a listener, a tcb
 * without rings, unread received data (eng_close resets) or no memory.
 */
void *eng_orphan_buffers(struct tcb *t);
/*
 * The application appended @n bytes to the send ring (at its head): queue
 * them and send what the windows allow. Returns n, or the errors of
 * eng_send (so_error, -ENOTCONN, -EPIPE); -EINVAL when n exceeds the free
 * space (then nothing is taken).
 */
long eng_snd_produced(struct tcb *t, uint32_t n, unsigned flags, uint64_t now);
/*
 * The application read @n bytes from the receive ring's tail: release them
 * and send a window update when eng_recv would. Returns n, or -EINVAL when
 * n exceeds what is readable (then nothing is released).
 */
long eng_rcv_consumed(struct tcb *t, uint32_t n, uint64_t now);

/* The buffer limits (SO_SNDBUF/SO_RCVBUF as fixed at the open). */
void tcb_buf_limits(const struct tcb *t, uint32_t *snd, uint32_t *rcv);
/* The engine's ring indices: free-running byte counters. */
struct tcb_rings {
	uint32_t snd_head, snd_tail, snd_size;
	uint32_t rcv_head, rcv_tail, rcv_size;
};
void tcb_rings(const struct tcb *t, struct tcb_rings *r);
/* The peer's FIN arrived in order (data before it may still be unread). */
bool tcb_fin_rcvd(const struct tcb *t);
/* Our side is shut for writing (FIN queued or sent). */
bool tcb_fin_queued(const struct tcb *t);
/* A listener's completed connections waiting for accept. */
uint32_t tcb_acceptq_len(const struct tcb *t);
/* Take so_error without clearing it: peek (0 if none). */
int tcb_peek_error(const struct tcb *t);

/*
 * Urgent data as a reader of the receive ring applies it (urgent.c), in
 * ring counters: reads stop before mark_pos; the byte there is skipped
 * unless oobinline (it is read with RECV_OOB instead); the skip_len bytes
 * at skip_pos are not part of the stream (older out-of-band bytes). What
 * lies behind the tail the engine knows is left out.
 */
struct tcb_urg_view {
	bool mark; /* a mark at or ahead of the tail */
	bool arrived; /* its byte is in the ring */
	bool oob_read; /* and was taken with RECV_OOB */
	bool oobinline; /* SO_OOBINLINE */
	uint32_t mark_pos; /* ring counter of the urgent byte */
	uint32_t skip_pos, skip_len; /* dropped bytes (skip_len 0: none) */
};
void tcb_urg_view(const struct tcb *t, struct tcb_urg_view *v);

#endif
