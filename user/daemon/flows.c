// SPDX-License-Identifier: BSD-2-Clause
/* Connections on the XDP fast path (see flows.h). */
#include "daemon/flows.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int flows_init(struct flows *fl, int slots_fd, int flows_fd)
{
	int ret;

	memset(fl, 0, sizeof(*fl));
	if (slots_fd < 0 || flows_fd < 0)
		return 0;
	ret = xfp_open(&fl->fp, slots_fd, flows_fd);
	if (ret)
		return ret;
	fl->free_slots = calloc(fl->fp.nslots, sizeof(*fl->free_slots));
	fl->grace = calloc(fl->fp.nslots, sizeof(*fl->grace));
	if (!fl->free_slots || !fl->grace) {
		flows_fini(fl);
		return -ENOMEM;
	}
	/* Lowest slots first out. */
	for (uint32_t i = 0; i < fl->fp.nslots; i++)
		fl->free_slots[i] = fl->fp.nslots - 1 - i;
	fl->nfree = fl->fp.nslots;
	fl->grace_cap = fl->fp.nslots;
	fl->on = true;
	return 0;
}

void flows_fini(struct flows *fl)
{
	while (fl->list)
		flows_del(fl, fl->list, 0);
	if (fl->fp.slots)
		xfp_close(&fl->fp);
	free(fl->free_slots);
	free(fl->grace);
	memset(fl, 0, sizeof(*fl));
}

static void reclaim(struct flows *fl, uint64_t now)
{
	while (fl->grace_n) {
		uint32_t i = fl->grace_head;

		if (fl->grace[i].until > now)
			break;
		fl->free_slots[fl->nfree++] = fl->grace[i].slot;
		fl->grace_head = (i + 1) % fl->grace_cap;
		fl->grace_n--;
	}
}

static void to_ctl(const struct tcb_fp_view *v, struct xfp_ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->eligible = v->eligible;
	c->wscale = v->snd_wscale;
	c->ts = v->ts, c->ts_recent = v->ts_recent;
	c->rcv_nxt = v->rcv_nxt;
	c->snd_una = v->snd_una;
	c->snd_max = v->snd_max;
}

struct flow *flows_add(struct flows *fl, struct tcb *t, uint64_t now)
{
	struct ip_addr la, fa;
	uint16_t lp, fp;
	struct xfp_ctl c;
	struct flow *f;

	if (!fl->on)
		return NULL;
	reclaim(fl, now);
	if (!fl->nfree) {
		fl->st.no_slot++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->t = t;
	f->slot = fl->free_slots[--fl->nfree];
	tcb_addrs(t, &la, &lp, &fa, &fp);
	memcpy(f->key.laddr, la.b, 16);
	memcpy(f->key.raddr, fa.b, 16);
	f->key.lport = htons(lp);
	f->key.rport = htons(fp);
	tcb_fp_view(t, &f->pub);
	to_ctl(&f->pub, &c);
	if (xfp_publish(&fl->fp, &f->key, f->slot, &c)) {
		fl->free_slots[fl->nfree++] = f->slot;
		free(f);
		return NULL;
	}
	f->next = fl->list;
	if (fl->list)
		fl->list->prev = f;
	fl->list = f;
	fl->st.published++;
	return f;
}

void flows_del(struct flows *fl, struct flow *f, uint64_t now)
{
	if (!f)
		return;
	xfp_unpublish(&fl->fp, &f->key, f->slot);
	if (f->prev)
		f->prev->next = f->next;
	else
		fl->list = f->next;
	if (f->next)
		f->next->prev = f->prev;
	/* XDP may be inside the slot still: reuse it only later. */
	fl->grace[(fl->grace_head + fl->grace_n) % fl->grace_cap].slot =
		f->slot;
	fl->grace[(fl->grace_head + fl->grace_n) % fl->grace_cap].until =
		now + FLOWS_GRACE_US;
	fl->grace_n++;
	fl->st.unpublished++;
	free(f);
}

static bool same_view(const struct tcb_fp_view *a, const struct tcb_fp_view *b)
{
	return a->eligible == b->eligible && a->rcv_nxt == b->rcv_nxt &&
	       a->snd_una == b->snd_una && a->snd_max == b->snd_max &&
	       a->snd_wscale == b->snd_wscale && a->ts == b->ts;
	/* ts_recent is left out on purpose: it moves with every ACK, and a
	 * stale (older) value only makes XDP's PAWS check laxer; the engine
	 * checks PAWS again when it applies the absorbed ACK. */
}

/* Bring the slot's daemon half up to the engine's view of @f. */
static void publish_one(struct flows *fl, struct flow *f)
{
	struct tcb_fp_view v;

	tcb_fp_view(f->t, &v);
	if (v.eligible && v.snd_max != v.snd_una)
		fl->waiting_acks++;
	if (same_view(&v, &f->pub))
		return;
	if (v.eligible != f->pub.eligible ||
	    v.snd_wscale != f->pub.snd_wscale || v.ts != f->pub.ts) {
		struct xfp_ctl c;

		to_ctl(&v, &c);
		xfp_set_ctl(&fl->fp, f->slot, &c);
	} else {
		xfp_set_seq(&fl->fp, f->slot, v.rcv_nxt, v.snd_una, v.snd_max);
	}
	f->pub = v;
}

unsigned flows_sync(struct flows *fl, uint64_t now)
{
	unsigned applied = 0;

	fl->waiting_acks = 0;
	if (!fl->on)
		return 0;
	fl->st.syncs++;
	for (struct flow *f = fl->list; f; f = f->next) {
		volatile struct xtcp_ack_slot *s = xfp_slot(&fl->fp, f->slot);

		/* Absorbed ACKs first: they are older than anything the
		 * engine does next. */
		if (s->absorbed != f->absorbed) {
			struct xfp_snap snap;

			if (!xfp_snapshot(&fl->fp, f->slot, &snap)) {
				eng_fast_ack(f->t, snap.snd_una,
					     (uint16_t)snap.snd_wnd_raw,
					     snap.ts_val, snap.ts_ecr,
					     snap.absorbed - f->absorbed, now);
				applied += snap.absorbed - f->absorbed;
				fl->st.acks_applied +=
					snap.absorbed - f->absorbed;
				f->absorbed = snap.absorbed;
			}
		}
		publish_one(fl, f);
	}
	return applied;
}

void flows_publish(struct flows *fl)
{
	if (!fl->on)
		return;
	fl->waiting_acks = 0;
	for (struct flow *f = fl->list; f; f = f->next)
		publish_one(fl, f);
}
