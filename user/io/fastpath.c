// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's side of the fast-path ACK slots and the flow map. The
 * protocol (who writes what, in which order) is in xtcp/xdp_maps.h.
 *
 * The daemon half is written under ctl_seq with atomic read-modify-writes
 * around relaxed stores: the RMWs are full barriers, which is what the XDP
 * side's "read ctl_seq, fields, CAS gen, ctl_seq again" relies on. The XDP
 * half is read like a seqlock reader: acquire gen, the fields, an acquire
 * fence, gen again.
 */
#include "io/fastpath.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

/* XDP holds gen odd for a few dozen instructions. */
#define SNAP_TRIES 1024
#define QUIESCE_SPINS (1u << 20)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

int xfp_open(struct xfp *fp, int slots_fd, int flows_fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	size_t bytes;
	void *p;

	memset(fp, 0, sizeof(*fp));
	fp->flows_fd = -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(slots_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY ||
	    info.value_size != sizeof(struct xtcp_ack_slot) ||
	    !(info.map_flags & BPF_F_MMAPABLE) || info.max_entries == 0)
		return -EINVAL;
	if (page <= 0)
		page = 4096;
	bytes = (size_t)info.max_entries * info.value_size;
	bytes = (bytes + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, slots_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	fp->slots = p;
	fp->nslots = info.max_entries;
	fp->map_len = bytes;
	fp->flows_fd = flows_fd;
	return 0;
}

void xfp_close(struct xfp *fp)
{
	if (fp->slots)
		munmap(fp->slots, fp->map_len);
	memset(fp, 0, sizeof(*fp));
	fp->flows_fd = -1;
}

static struct xtcp_ack_slot *slot_at(const struct xfp *fp, uint32_t slot)
{
	return fp->slots && slot < fp->nslots ? &fp->slots[slot] : NULL;
}

/* Wait for XDP to leave the slot's XDP half (gen even). */
static int quiesce(struct xtcp_ack_slot *s)
{
	uint32_t i;

	/* Sequentially consistent: ordered after our ctl_seq RMW, so either
	 * XDP sees the new ctl_seq or we see its odd gen. */
	for (i = 0; i < QUIESCE_SPINS; i++) {
		if (!(__atomic_load_n(&s->gen, __ATOMIC_SEQ_CST) & 1))
			return 0;
		cpu_relax();
	}
	return -EBUSY;
}

/*
 * One write of the daemon half: ctl_seq odd, fields, ctl_seq even. fields
 * says which: the whole ctl, or only the sequence numbers.
 */
enum { CTL_ALL, CTL_SEQ, CTL_ELIGIBLE };

static int ctl_write(struct xtcp_ack_slot *s, const struct xfp_ctl *c, int what)
{
	uint32_t old = __atomic_load_n(&s->flags, __ATOMIC_RELAXED), flags;

	flags = old;
	if (what == CTL_ALL) {
		flags = (c->eligible ? XTCP_SLOT_ELIGIBLE : 0) |
			(c->ts ? XTCP_SLOT_TS : 0);
	} else if (what == CTL_ELIGIBLE) {
		flags = c->eligible ? old | XTCP_SLOT_ELIGIBLE :
				      old & ~XTCP_SLOT_ELIGIBLE;
	}

	__atomic_fetch_add(&s->ctl_seq, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->flags, flags, __ATOMIC_RELAXED);
	if (what != CTL_ELIGIBLE) {
		__atomic_store_n(&s->rcv_nxt, c->rcv_nxt, __ATOMIC_RELAXED);
		__atomic_store_n(&s->snd_una_floor, c->snd_una,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&s->snd_max, c->snd_max, __ATOMIC_RELAXED);
	}
	if (what == CTL_ALL) {
		__atomic_store_n(&s->ts_recent, c->ts_recent, __ATOMIC_RELAXED);
		__atomic_store_n(&s->wscale, c->wscale, __ATOMIC_RELAXED);
	}
	__atomic_fetch_add(&s->ctl_seq, 1, __ATOMIC_SEQ_CST);

	if ((old & XTCP_SLOT_ELIGIBLE) && !(flags & XTCP_SLOT_ELIGIBLE))
		return quiesce(s);
	return 0;
}

int xfp_set_ctl(struct xfp *fp, uint32_t slot, const struct xfp_ctl *ctl)
{
	struct xtcp_ack_slot *s = slot_at(fp, slot);

	if (!s)
		return -EINVAL;
	return ctl_write(s, ctl, CTL_ALL);
}

int xfp_set_eligible(struct xfp *fp, uint32_t slot, bool eligible)
{
	struct xtcp_ack_slot *s = slot_at(fp, slot);
	struct xfp_ctl c = { .eligible = eligible };

	if (!s)
		return -EINVAL;
	return ctl_write(s, &c, CTL_ELIGIBLE);
}

int xfp_set_seq(struct xfp *fp, uint32_t slot, uint32_t rcv_nxt,
		uint32_t snd_una, uint32_t snd_max)
{
	struct xtcp_ack_slot *s = slot_at(fp, slot);
	struct xfp_ctl c = {
		.rcv_nxt = rcv_nxt,
		.snd_una = snd_una,
		.snd_max = snd_max,
	};

	if (!s)
		return -EINVAL;
	return ctl_write(s, &c, CTL_SEQ);
}

/*
 * Start the XDP half afresh for a new connection: snd_una at its SND.UNA,
 * nothing absorbed. No flow entry names the slot (it is new, or its
 * quarantine is over), so no XDP program is in it and the daemon may write
 * XDP's fields this once. gen moves on by two, so a reader holding an old
 * snapshot sees a change.
 */
static int xdp_half_reset(struct xtcp_ack_slot *s, const struct xfp_ctl *c)
{
	uint32_t g;

	if (!s || !c)
		return -EINVAL;
	g = __atomic_load_n(&s->gen, __ATOMIC_RELAXED);
	if (g & 1)
		return -EBUSY; /* an XDP program is in it: not unpublished */
	__atomic_store_n(&s->gen, g + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->snd_una, c->snd_una, __ATOMIC_RELAXED);
	__atomic_store_n(&s->snd_wnd, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ts_val, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ts_ecr, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->absorbed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->passed_ack, c->snd_una, __ATOMIC_RELAXED);
	__atomic_store_n(&s->gen, g + 2, __ATOMIC_RELEASE);
	return 0;
}

int xfp_publish(struct xfp *fp, const struct xtcp_flow_key *key, uint32_t slot,
		const struct xfp_ctl *ctl)
{
	struct xtcp_flow_val v = { 0 };
	int err;

	if (slot != XFP_NO_SLOT) {
		err = xdp_half_reset(slot_at(fp, slot), ctl);
		if (err)
			return err;
		err = xfp_set_ctl(fp, slot, ctl);
		if (err)
			return err;
		v.slot = slot;
		v.flags = XTCP_FLOW_SLOT;
	}
	/* The syscall orders the slot's stores before the entry appears. */
	if (bpf_map_update_elem(fp->flows_fd, key, &v, BPF_ANY))
		return -errno;
	return 0;
}

int xfp_unpublish(struct xfp *fp, const struct xtcp_flow_key *key,
		  uint32_t slot)
{
	int err = 0;

	if (slot != XFP_NO_SLOT)
		err = xfp_set_eligible(fp, slot, false);
	if (bpf_map_delete_elem(fp->flows_fd, key) && errno != ENOENT)
		return -errno;
	return err;
}

int xfp_snapshot(const struct xfp *fp, uint32_t slot, struct xfp_snap *out)
{
	struct xtcp_ack_slot *s = slot_at(fp, slot);
	uint32_t g1, g2, i;
	struct xfp_snap t;

	if (!s)
		return -EINVAL;
	for (i = 0; i < SNAP_TRIES; i++) {
		g1 = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
		if (g1 & 1) {
			cpu_relax();
			continue;
		}
		t.snd_una = __atomic_load_n(&s->snd_una, __ATOMIC_RELAXED);
		t.snd_wnd_raw = __atomic_load_n(&s->snd_wnd, __ATOMIC_RELAXED);
		t.ts_val = __atomic_load_n(&s->ts_val, __ATOMIC_RELAXED);
		t.ts_ecr = __atomic_load_n(&s->ts_ecr, __ATOMIC_RELAXED);
		t.absorbed = __atomic_load_n(&s->absorbed, __ATOMIC_RELAXED);
		/* The field loads complete before gen is read again. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&s->gen, __ATOMIC_RELAXED);
		if (g1 != g2)
			continue;
		t.gen = g1;
		/* Our own field: no race. */
		t.snd_wnd =
			(uint64_t)t.snd_wnd_raw
			<< (__atomic_load_n(&s->wscale, __ATOMIC_RELAXED) & 15);
		*out = t;
		return 0;
	}
	return -EAGAIN;
}
