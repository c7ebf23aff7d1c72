// SPDX-License-Identifier: BSD-2-Clause
/*
 * AF_XDP sockets over libxdp's xsk API: see xsk.h.
 *
 * The rings are libxdp's (inline producer/consumer helpers); frame ownership
 * is io/umem.c's. Every frame moves between rings and the allocator's places
 * in the same step, so umem_check() holds whenever no call is in progress.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "io/umem.h"
#include "io/xsk.h"

#define XIO_FRAME_SIZE 4096
#define XIO_NFRAMES 4096
#define XIO_RING 2048
#define XIO_BIND_WAIT_MS 2000
#define XIO_BIND_STEP_MS 20
/* Addresses moved per allocator call (on the stack). */
#define XIO_CHUNK 64
/* Where a received packet starts in its frame: no UMEM headroom of ours,
 * then the kernel's XDP_PACKET_HEADROOM; XDP's metadata word just before. */
#define XIO_RX_DATA_OFF XDP_PACKET_HEADROOM
#define XIO_META_LEN 4
/* sendto() calls one xio_tx_kick makes at most while the ring drains. */
#define XIO_KICKS_MAX 64

struct xio {
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_umem *xumem;
	struct xsk_socket *xsk;
	void *area;
	uint64_t area_len;
	struct umem u;
	uint32_t queue;
	uint32_t rx_frames; /* fill target */
	uint32_t tx_size;
	int fd;
	bool need_wakeup;
	struct xio_stats st;
};

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wake the kernel for the fill ring when it asked. Without need_wakeup it
 * never needs to be. */
static void fill_wakeup(struct xio *x)
{
	if (x->need_wakeup && xsk_ring_prod__needs_wakeup(&x->fill)) {
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		x->st.wakeups++;
	}
}

/* Top the fill ring up to rx_frames frames from the free stack. */
static void refill(struct xio *x)
{
	uint32_t have = umem_count(&x->u, UMEM_FILL), want, n, i, idx;
	uint64_t a[XIO_CHUNK];

	while (have < x->rx_frames) {
		want = x->rx_frames - have;
		if (want > XIO_CHUNK)
			want = XIO_CHUNK;
		n = umem_alloc(&x->u, a, want, UMEM_FILL);
		if (!n) {
			x->st.fill_low++;
			break;
		}
		/* The ring is sized for rx_frames: never short. Be safe. */
		if (xsk_ring_prod__reserve(&x->fill, n, &idx) != n) {
			umem_free(&x->u, a, n, UMEM_FILL);
			x->st.fill_low++;
			break;
		}
		for (i = 0; i < n; i++) {
			/* Whatever the frame held before (a frame we sent,
			 * say) must not pass for XDP's metadata. */
			memset((uint8_t *)x->area + a[i] + XIO_RX_DATA_OFF -
				       XIO_META_LEN,
			       0, XIO_META_LEN);
			*xsk_ring_prod__fill_addr(&x->fill, idx + i) = a[i];
		}
		xsk_ring_prod__submit(&x->fill, n);
		have += n;
		if (n < want) {
			x->st.fill_low++;
			break;
		}
	}
	fill_wakeup(x);
}

static int check_cfg(const struct xio_cfg *c, struct xio_cfg *o)
{
	*o = *c;
	if (!c->ifname || !*c->ifname)
		return -EINVAL;
	o->frame_size = c->frame_size ? c->frame_size : XIO_FRAME_SIZE;
	o->nframes = c->nframes ? c->nframes : XIO_NFRAMES;
	o->rx_frames = c->rx_frames ? c->rx_frames : o->nframes / 2;
	o->rx_size = c->rx_size ? c->rx_size : XIO_RING;
	o->tx_size = c->tx_size ? c->tx_size : XIO_RING;
	o->bind_wait_ms = c->bind_wait_ms ? c->bind_wait_ms : XIO_BIND_WAIT_MS;
	if (!is_pow2(o->frame_size) || o->frame_size < UMEM_FRAME_MIN ||
	    o->frame_size > UMEM_FRAME_MAX || o->nframes < 2 ||
	    o->nframes > UMEM_NFRAMES_MAX || o->rx_frames >= o->nframes ||
	    !o->rx_frames || !is_pow2(o->rx_size) || !is_pow2(o->tx_size))
		return -EINVAL;
	return 0;
}

int xio_open(struct xio **out, const struct xio_cfg *cfg, int xsks_map_fd)
{
	struct xsk_umem_config ucfg = { 0 };
	struct xsk_socket_config scfg = { 0 };
	unsigned waited = 0;
	struct xio_cfg c;
	struct xio *x;
	int err;

	*out = NULL;
	err = check_cfg(cfg, &c);
	if (err)
		return err;
	if (!if_nametoindex(c.ifname))
		return -ENODEV;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = -1;
	x->queue = c.queue;
	x->rx_frames = c.rx_frames;
	x->tx_size = c.tx_size;
	x->need_wakeup = c.need_wakeup;

	err = umem_init(&x->u, c.nframes, c.frame_size);
	if (err)
		goto err;
	x->area_len = umem_size(&x->u);
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		err = -errno;
		goto err;
	}

	/* The fill ring holds the fill target, the completion ring every
	 * frame: neither can overflow. */
	ucfg.fill_size = pow2_at_least(c.rx_frames);
	ucfg.comp_size = pow2_at_least(c.nframes);
	ucfg.frame_size = c.frame_size;
	ucfg.frame_headroom = 0;
	err = xsk_umem__create(&x->xumem, x->area, x->area_len, &x->fill,
			       &x->comp, &ucfg);
	if (err)
		goto err;

	scfg.rx_size = c.rx_size;
	scfg.tx_size = c.tx_size;
	/* The program is attached by io/attach.c, never by libxdp. */
	scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	scfg.bind_flags = c.zerocopy ? XDP_ZEROCOPY : XDP_COPY;
	if (c.need_wakeup)
		scfg.bind_flags |= XDP_USE_NEED_WAKEUP;
	for (;;) {
		err = xsk_socket__create(&x->xsk, c.ifname, c.queue, x->xumem,
					 &x->rx, &x->tx, &scfg);
		/* EBUSY: the queue's last socket is still being torn down
		 * (released after an RCU grace period). */
		if (err != -EBUSY || waited >= c.bind_wait_ms)
			break;
		sleep_ms(XIO_BIND_STEP_MS);
		waited += XIO_BIND_STEP_MS;
		x->st.bind_retries++;
	}
	if (err)
		goto err;
	x->fd = xsk_socket__fd(x->xsk);

	/* Frames to receive into before the program may redirect here. */
	refill(x);
	if (xsks_map_fd >= 0) {
		err = bpf_map_update_elem(xsks_map_fd, &c.queue, &x->fd, 0);
		if (err)
			goto err;
	}
	*out = x;
	return 0;
err:
	xio_close(x);
	return err < 0 ? err : -EINVAL;
}

void xio_close(struct xio *x)
{
	if (!x)
		return;
	/* Closing the socket removes it from every XSKMAP (the kernel does
	 * on release), and only our entry: a newer socket that replaced it
	 * at the same key stays. */
	if (x->xsk)
		xsk_socket__delete(x->xsk);
	if (x->xumem)
		xsk_umem__delete(x->xumem);
	if (x->area)
		munmap(x->area, x->area_len);
	umem_fini(&x->u);
	free(x);
}

int xio_fd(const struct xio *x)
{
	return x->fd;
}

uint32_t xio_queue(const struct xio *x)
{
	return x->queue;
}

const struct umem *xio_umem(const struct xio *x)
{
	return &x->u;
}

unsigned xio_rx(struct xio *x, struct xio_frame *out, unsigned max)
{
	const struct xdp_desc *d;
	unsigned n, i, k = 0;
	uint32_t idx = 0;
	uint64_t a;

	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	if (!n) {
		fill_wakeup(x);
		return 0;
	}
	for (i = 0; i < n; i++) {
		d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		a = d->addr;
		/* Only frames we gave the kernel ... */
		if (umem_move(&x->u, &a, 1, UMEM_P(UMEM_FILL), UMEM_RX)) {
			x->st.bad_frames++;
			continue;
		}
		/* ... and within them (else it is ours again, unread). */
		if (!d->len ||
		    a - umem_frame_base(&x->u, a) + d->len > x->u.frame_size) {
			umem_free(&x->u, &a, 1, UMEM_RX);
			x->st.bad_frames++;
			continue;
		}
		out[k].addr = a;
		out[k].len = d->len;
		out[k].data = (uint8_t *)x->area + a;
		/* Metadata only where refill cleared it (copy mode puts the
		 * packet XDP_PACKET_HEADROOM into the frame). */
		out[k].meta = 0;
		if (a - umem_frame_base(&x->u, a) == XIO_RX_DATA_OFF)
			memcpy(&out[k].meta, out[k].data - XIO_META_LEN,
			       XIO_META_LEN);
		x->st.rx_bytes += d->len;
		k++;
	}
	xsk_ring_cons__release(&x->rx, n);
	x->st.rx_packets += k;
	return k;
}

/* Move frames in @from to the free stack, XIO_CHUNK at a time. */
static void free_frames(struct xio *x, const struct xio_frame *f, unsigned n,
			unsigned from)
{
	uint64_t a[XIO_CHUNK];
	unsigned i, k;

	while (n) {
		k = n < XIO_CHUNK ? n : XIO_CHUNK;
		for (i = 0; i < k; i++)
			a[i] = f[i].addr;
		x->st.bad_frames += umem_move(&x->u, a, k, from, UMEM_FREE);
		f += k;
		n -= k;
	}
}

void xio_rx_done(struct xio *x, const struct xio_frame *f, unsigned n)
{
	free_frames(x, f, n, UMEM_P(UMEM_RX));
	refill(x);
}

unsigned xio_complete(struct xio *x)
{
	unsigned n, i, total = 0, bad;
	uint64_t a[XIO_CHUNK];
	uint32_t idx = 0;

	do {
		n = xsk_ring_cons__peek(&x->comp, XIO_CHUNK, &idx);
		for (i = 0; i < n; i++)
			a[i] = *xsk_ring_cons__comp_addr(&x->comp, idx + i);
		if (n)
			xsk_ring_cons__release(&x->comp, n);
		bad = umem_move(&x->u, a, n, UMEM_P(UMEM_TXQ), UMEM_FREE);
		x->st.bad_frames += bad;
		total += n - bad;
	} while (n == XIO_CHUNK);
	x->st.tx_completed += total;
	return total;
}

unsigned xio_tx_reserve(struct xio *x, struct xio_frame *out, unsigned max)
{
	uint32_t deficit, avail, n, i, k, got = 0;
	uint64_t a[XIO_CHUNK];

	xio_complete(x);
	/* What the fill ring lacks is the fill ring's: receiving must not
	 * starve because sending took every frame. */
	deficit = x->rx_frames - umem_count(&x->u, UMEM_FILL);
	avail = x->u.nfree > deficit ? x->u.nfree - deficit : 0;
	n = max < avail ? max : avail;
	while (got < n) {
		k = n - got < XIO_CHUNK ? n - got : XIO_CHUNK;
		k = umem_alloc(&x->u, a, k, UMEM_TX);
		for (i = 0; i < k; i++) {
			out[got + i].addr = a[i];
			out[got + i].len = x->u.frame_size;
			out[got + i].data = (uint8_t *)x->area + a[i];
		}
		got += k;
		if (!k)
			break;
	}
	if (got < max)
		x->st.tx_no_frame++;
	return got;
}

/* Validate and move up to @n frames to UMEM_TXQ, then put them on the TX
 * ring, which has room for @n. */
static void tx_chunk(struct xio *x, const struct xio_frame *f, unsigned n)
{
	uint64_t a[XIO_CHUNK], off;
	uint32_t len[XIO_CHUNK];
	uint32_t i, k = 0, idx = 0;
	struct xdp_desc *d;

	for (i = 0; i < n; i++) {
		off = f[i].addr - umem_frame_base(&x->u, f[i].addr);
		if (!f[i].len || off + f[i].len > x->u.frame_size) {
			/* Bad length: not sent, and ours again. */
			x->st.bad_frames++;
			x->st.bad_frames += umem_move(
				&x->u, &f[i].addr, 1,
				UMEM_P(UMEM_TX) | UMEM_P(UMEM_RX), UMEM_FREE);
			continue;
		}
		if (umem_move(&x->u, &f[i].addr, 1,
			      UMEM_P(UMEM_TX) | UMEM_P(UMEM_RX), UMEM_TXQ)) {
			x->st.bad_frames++;
			continue;
		}
		a[k] = f[i].addr;
		len[k] = f[i].len;
		x->st.tx_bytes += f[i].len;
		k++;
	}
	if (!k)
		return;
	xsk_ring_prod__reserve(&x->tx, k, &idx);
	for (i = 0; i < k; i++) {
		d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
		d->addr = a[i];
		d->len = len[i];
		d->options = 0;
	}
	xsk_ring_prod__submit(&x->tx, k);
	x->st.tx_packets += k;
}

unsigned xio_tx_submit(struct xio *x, const struct xio_frame *f, unsigned n)
{
	uint32_t room, m, done, k;

	room = xsk_prod_nb_free(&x->tx, n);
	m = n < room ? n : room;
	if (m < n)
		x->st.tx_ring_full++;
	for (done = 0; done < m; done += k) {
		k = m - done < XIO_CHUNK ? m - done : XIO_CHUNK;
		tx_chunk(x, f + done, k);
	}
	return m;
}

void xio_tx_release(struct xio *x, const struct xio_frame *f, unsigned n)
{
	free_frames(x, f, n, UMEM_P(UMEM_TX) | UMEM_P(UMEM_RX));
	refill(x);
}

/* Entries on the TX ring the kernel has not taken yet. */
static uint32_t tx_pending(struct xio *x)
{
	return x->tx_size - xsk_prod_nb_free(&x->tx, x->tx_size);
}

void xio_tx_kick(struct xio *x)
{
	uint32_t pending, before;
	int i;

	for (i = 0; i < XIO_KICKS_MAX; i++) {
		before = pending = tx_pending(x);
		if (!pending)
			break;
		if (x->need_wakeup && !xsk_ring_prod__needs_wakeup(&x->tx))
			break;
		x->st.kicks++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN && errno != EBUSY && errno != ENOBUFS &&
		    errno != ENETDOWN) {
			x->st.kick_errors++;
			break;
		}
		/* Room in the completion ring for the next batch. */
		xio_complete(x);
		if (tx_pending(x) >= before)
			break;
	}
}

uint32_t xio_tx_inflight(const struct xio *x)
{
	return umem_count(&x->u, UMEM_TXQ);
}

int xio_get_stats(struct xio *x, struct xio_stats *st)
{
	struct xdp_statistics ks = { 0 };
	socklen_t len = sizeof(ks);

	*st = x->st;
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &ks, &len))
		return -errno;
	st->rx_dropped = ks.rx_dropped;
	st->rx_invalid_descs = ks.rx_invalid_descs;
	st->tx_invalid_descs = ks.tx_invalid_descs;
	st->rx_ring_full = ks.rx_ring_full;
	st->rx_fill_ring_empty_descs = ks.rx_fill_ring_empty_descs;
	st->tx_ring_empty_descs = ks.tx_ring_empty_descs;
	return 0;
}
