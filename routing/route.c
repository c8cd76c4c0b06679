/* route.c: the route table: connected and static routes, longest-prefix match
 * through lpm.c, best metric among routes to the same prefix. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "routing/lpm.h"
#include "routing/route.h"
#include "stack.h"

int rt_init(struct vh_stack *st)
{
	memset(&st->rt, 0, sizeof(st->rt));
	st->rt.free = -1;
	return lpm_new(&st->rt.lpm);
}

void rt_fini(struct vh_stack *st)
{
	lpm_free(st->rt.lpm);
	free(st->rt.r);
	memset(&st->rt, 0, sizeof(st->rt));
}

static uint32_t mask_of(unsigned plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

static int slot_new(struct rt_table *t)
{
	int i;

	if (t->free >= 0) {
		i = t->free;
		t->free = t->r[i].next;
		return i;
	}
	if (t->n == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 16;
		struct rt_entry *r = realloc(t->r, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->r = r;
		t->cap = cap;
	}
	return (int)t->n++;
}

static void slot_free(struct rt_table *t, int i)
{
	t->r[i].used = false;
	t->r[i].next = t->free;
	t->free = i;
}

/* Routes to one prefix form a chain sorted by metric; the LPM points at its head. */
static int chain_head(struct rt_table *t, uint32_t prefix, unsigned plen)
{
	uint32_t v;

	if (lpm_get(t->lpm, ntohl(prefix), plen, &v) < 0)
		return -1;
	return (int)v;
}

int rt_add(struct vh_stack *st, uint32_t prefix, unsigned plen, uint32_t gateway,
	   struct vh_dev *dev, uint32_t metric, unsigned flags, struct vh_err *err)
{
	struct rt_table *t = &st->rt;
	char a[VH_ADDR_STR];
	int head, i, *pp, r;

	if (plen > 32)
		return vh_err_set(err, EINVAL, "prefix length %u is more than 32", plen);
	if (prefix & ~mask_of(plen))
		return vh_err_set(err, EINVAL, "%s/%u has host bits set", vh_addr_str(prefix, a), plen);
	if (!dev && !gateway)
		return vh_err_set(err, EINVAL, "a route needs a gateway or a device");
	head = chain_head(t, prefix, plen);
	for (i = head; i >= 0; i = t->r[i].next)
		if (t->r[i].gateway == gateway && t->r[i].dev == dev && t->r[i].metric == metric)
			return vh_err_set(err, EEXIST, "route %s/%u exists", vh_addr_str(prefix, a), plen);
	i = slot_new(t);
	if (i < 0)
		return vh_err_set(err, ENOMEM, "out of memory for routes");
	t->r[i] = (struct rt_entry){.prefix = prefix, .plen = (uint8_t)plen, .used = true,
				    .flags = (uint16_t)flags, .gateway = gateway, .dev = dev,
				    .metric = metric, .next = -1};
	/* Insert by metric; the connected route wins ties, as the most direct. */
	for (pp = &head; *pp >= 0; pp = &t->r[*pp].next)
		if (t->r[*pp].metric > metric)
			break;
	t->r[i].next = *pp;
	*pp = i;
	r = lpm_insert(t->lpm, ntohl(prefix), plen, (uint32_t)head);
	if (r < 0) {
		/* Undo: unlink the new slot from the chain (the LPM still holds the old head). */
		for (pp = &head; *pp != i; pp = &t->r[*pp].next)
			;
		*pp = t->r[i].next;
		slot_free(t, i);
		return vh_err_set(err, r, "route table full: %s", strerror(-r));
	}
	t->count++;
	return 0;
}

int rt_del(struct vh_stack *st, uint32_t prefix, unsigned plen, uint32_t gateway,
	   struct vh_dev *dev, struct vh_err *err)
{
	struct rt_table *t = &st->rt;
	char a[VH_ADDR_STR];
	int head = plen <= 32 ? chain_head(t, prefix, plen) : -1, *pp, n = 0;

	for (pp = &head; *pp >= 0;) {
		struct rt_entry *e = &t->r[*pp];
		if ((!gateway || e->gateway == gateway) && (!dev || e->dev == dev)) {
			int dead = *pp;
			*pp = e->next;
			slot_free(t, dead);
			t->count--;
			n++;
		} else {
			pp = &e->next;
		}
	}
	if (!n)
		return vh_err_set(err, ENOENT, "no route %s/%u", vh_addr_str(prefix, a), plen);
	if (head < 0)
		lpm_delete(t->lpm, ntohl(prefix), plen);
	else
		lpm_insert(t->lpm, ntohl(prefix), plen, (uint32_t)head); /* replaces: cannot fail */
	return 0;
}

void rt_del_dev(struct vh_stack *st, struct vh_dev *dev)
{
	struct rt_table *t = &st->rt;

	for (unsigned i = 0; i < t->n; i++)
		if (t->r[i].used && t->r[i].dev == dev)
			rt_del(st, t->r[i].prefix, t->r[i].plen, t->r[i].gateway, dev, NULL);
}

/* Resolve a gateway to the device and iface that reach it, through its
 * connected route (one level: a gateway must be on a link of ours). */
static int resolve_gw(struct vh_stack *st, uint32_t gw, struct vh_dev *dev, struct rt_result *ret)
{
	uint32_t v;

	if (dev) {
		ret->dev = dev;
		ret->iface = vh_iface_on_link(dev, gw);
		if (!ret->iface)
			ret->iface = dev->ifaces;
		return ret->iface ? 0 : -ENETUNREACH;
	}
	if (lpm_lookup(st->rt.lpm, ntohl(gw), &v) < 0)
		return -ENETUNREACH;
	for (int i = (int)v; i >= 0; i = st->rt.r[i].next)
		if ((st->rt.r[i].flags & RT_F_CONNECTED) && st->rt.r[i].dev) {
			ret->dev = st->rt.r[i].dev;
			ret->iface = vh_iface_on_link(ret->dev, gw);
			return ret->iface ? 0 : -ENETUNREACH;
		}
	return -ENETUNREACH;
}

int rt_lookup(struct vh_stack *st, uint32_t dst, struct rt_result *ret)
{
	struct rt_table *t = &st->rt;
	struct rt_result r = {0};
	uint32_t v;

	t->lookups++;
	if (lpm_lookup(t->lpm, ntohl(dst), &v) < 0) {
		t->misses++;
		return -ENETUNREACH;
	}
	/* The chain's head is the best metric; fall to the next if it cannot be used now. */
	for (int i = (int)v; i >= 0; i = t->r[i].next) {
		struct rt_entry *e = &t->r[i];
		if (e->gateway) {
			if (resolve_gw(st, e->gateway, e->dev, &r) < 0)
				continue;
			r.nexthop = e->gateway;
		} else {
			r.dev = e->dev;
			r.iface = vh_iface_on_link(e->dev, dst);
			if (!r.iface)
				r.iface = e->dev->ifaces;
			r.nexthop = dst;
		}
		if (!r.iface || !(r.dev->flags & VH_DEV_F_UP))
			continue;
		e->hits++;
		r.route = e;
		*ret = r;
		return 0;
	}
	t->misses++;
	return -ENETUNREACH;
}

void rt_foreach(struct vh_stack *st, void (*fn)(void *arg, const struct rt_entry *r), void *arg)
{
	struct rt_table *t = &st->rt;

	/* Chains first by head so each prefix lists best first. */
	for (unsigned i = 0; i < t->n; i++) {
		uint32_t v;
		if (!t->r[i].used ||
		    lpm_get(t->lpm, ntohl(t->r[i].prefix), t->r[i].plen, &v) < 0 || v != i)
			continue;
		for (int k = (int)i; k >= 0; k = t->r[k].next)
			fn(arg, &t->r[k]);
	}
}
