/* dev.c: devices and ifaces; the single path every frame takes in and out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "arp.h"
#include "dev.h"
#include "ether.h"
#include "impair.h"
#include "stack.h"

struct vh_dev *vh_dev_alloc(struct vh_stack *st, const struct vh_dev_ops *ops, const char *name,
			    size_t priv_size)
{
	struct vh_dev *dev = calloc(1, sizeof(*dev) + priv_size);

	if (!dev)
		return NULL;
	dev->stack = st;
	dev->ops = ops;
	dev->priv = priv_size ? (void *)(dev + 1) : NULL;
	dev->fd = -1;
	dev->mtu = 1500;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	/* A random locally administered unicast MAC unless the driver or user sets one. */
	if (getrandom(dev->hwaddr, sizeof(dev->hwaddr), 0) != sizeof(dev->hwaddr))
		memset(dev->hwaddr, 0x5a, sizeof(dev->hwaddr));
	dev->hwaddr[0] = (uint8_t)((dev->hwaddr[0] & 0xfc) | 0x02);
	return dev;
}

static void dev_destroy(struct vh_dev *dev)
{
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
	impair_free(dev->impair);
	free(dev);
}

int vh_dev_register(struct vh_stack *st, struct vh_dev *dev, struct vh_err *err)
{
	struct vh_dev **pp;
	int r;

	if (vh_dev_by_name(st, dev->name)) {
		r = vh_err_set(err, EEXIST, "NIC '%s' already exists", dev->name);
		dev_destroy(dev);
		return r;
	}
	if (dev->ops->open) {
		r = dev->ops->open(dev, err);
		if (r < 0) {
			if (err && !err->msg[0])
				vh_err_set(err, r, "%s: cannot open %s NIC: %s", dev->name,
					   dev->ops->kind, strerror(-r));
			dev_destroy(dev);
			return r;
		}
	}
	dev->flags |= VH_DEV_F_UP;
	dev->index = ++st->ndevs;
	for (pp = &st->devs; *pp; pp = &(*pp)->next)
		;
	*pp = dev;
	st->pfds_dirty = true;
	infof(st, "registered, dev=%s, kind=%s, mtu=%u, hwaddr=%02x:%02x:%02x:%02x:%02x:%02x",
	      dev->name, dev->ops->kind, dev->mtu, dev->hwaddr[0], dev->hwaddr[1], dev->hwaddr[2],
	      dev->hwaddr[3], dev->hwaddr[4], dev->hwaddr[5]);
	return 0;
}

void vh_dev_close_all(struct vh_stack *st);
void vh_dev_close_all(struct vh_stack *st)
{
	struct vh_dev *dev = st->devs;

	while (dev) {
		struct vh_dev *next = dev->next;
		struct vh_iface *ifc = dev->ifaces;
		arp_flush_dev(st, dev);
		if ((dev->flags & VH_DEV_F_UP) && dev->ops->close)
			dev->ops->close(dev);
		dev->flags &= ~VH_DEV_F_UP;
		infof(st, "closed, dev=%s", dev->name);
		while (ifc) {
			struct vh_iface *n = ifc->next;
			free(ifc);
			ifc = n;
		}
		dev_destroy(dev);
		dev = next;
	}
	st->devs = NULL;
}

struct vh_dev *vh_dev_by_name(struct vh_stack *st, const char *name)
{
	for (struct vh_dev *d = st->devs; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct vh_dev *vh_dev_by_index(struct vh_stack *st, unsigned index)
{
	for (struct vh_dev *d = st->devs; d; d = d->next)
		if (d->index == index)
			return d;
	return NULL;
}

void vh_dev_set_link(struct vh_dev *dev, bool up)
{
	bool was = (dev->flags & VH_DEV_F_LINK) != 0;

	if (was == up)
		return;
	if (up)
		dev->flags |= VH_DEV_F_LINK;
	else
		dev->flags &= ~VH_DEV_F_LINK;
	infof(dev->stack, "link %s, dev=%s", up ? "up" : "down", dev->name);
	/* Tell the segment who we are again: a cable may have moved us. */
	if (up && (dev->flags & VH_DEV_F_UP))
		for (struct vh_iface *i = dev->ifaces; i; i = i->next)
			arp_announce(i);
}

int vh_dev_mcast_add(struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN])
{
	if (vh_dev_mcast_accepts(dev, mac))
		return 0;
	if (dev->nmcast == VH_DEV_MCAST_MAX)
		return -ENOSPC;
	memcpy(dev->mcast[dev->nmcast++], mac, VH_ETH_ALEN);
	return 0;
}

int vh_dev_mcast_del(struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN])
{
	for (unsigned i = 0; i < dev->nmcast; i++)
		if (!memcmp(dev->mcast[i], mac, VH_ETH_ALEN)) {
			memmove(dev->mcast[i], dev->mcast[i + 1], (dev->nmcast - i - 1) * VH_ETH_ALEN);
			dev->nmcast--;
			return 0;
		}
	return -ENOENT;
}

bool vh_dev_mcast_accepts(const struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN])
{
	for (unsigned i = 0; i < dev->nmcast; i++)
		if (!memcmp(dev->mcast[i], mac, VH_ETH_ALEN))
			return true;
	return false;
}

void vh_drop_at(struct vh_stack *st, struct vh_dev *dev, struct vh_pkt *pkt, enum vh_drop why,
		const char *func, const char *file, int line)
{
	st->drops[why]++;
	if (dev)
		dev->stats.drops[why]++;
	if (vh_log_enabled(st, VH_LOG_DEBUG) && vh_log_ratelimit(st))
		vh_logf(st, VH_LOG_DEBUG, func, file, line, "drop %s, dev=%s, len=%u",
			vh_drop_name(why), dev ? dev->name : "-", pkt ? pkt->len : 0);
	vh_pkt_free(pkt);
}

void vh_dev_input(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct vh_stack *st = dev->stack;

	pkt->dev = dev;
	if (!pkt->ts)
		pkt->ts = vh_now(st);
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += pkt->len;
	if (dev->input_hook) {
		/* not the stack's NIC: no capture, no Ethernet input */
		dev->input_hook(dev->input_hook_arg, dev, pkt);
		return;
	}
	if (st->capture_fn)
		st->capture_fn(st->capture_arg, dev, 0, pkt);
	tracef(st, "dev=%s, len=%u", dev->name, pkt->len);
	vh_dump(st, pkt->data, pkt->len);
	if (dev->impair) {
		impair_input(dev, pkt);
		return;
	}
	ether_input(dev, pkt);
}

int vh_dev_read_frames(struct vh_dev *dev, unsigned budget,
		       long (*rd)(int fd, void *buf, unsigned long len))
{
	struct vh_stack *st = dev->stack;
	uint32_t room = dev->mtu + 18u; /* Ethernet header and a VLAN tag */
	unsigned n;

	for (n = 0; n < budget; n++) {
		struct vh_pkt *p = vh_pkt_alloc(st, room);
		long got;
		if (!p) {
			/* Out of buffers: take the frame into a scratch byte to keep the queue moving. */
			uint8_t scratch;
			if (rd(dev->fd, &scratch, 1) <= 0)
				break;
			dev->stats.rx_dropped++;
			vh_drop(st, dev, NULL, VH_DROP_NOMEM);
			continue;
		}
		got = rd(dev->fd, p->data, vh_pkt_tailroom(p));
		if (got <= 0) {
			vh_pkt_free(p);
			break;
		}
		if ((unsigned long)got > room || (unsigned long)got > vh_pkt_tailroom(p)) {
			/* Larger than our MTU allows: the other side's MTU is higher than ours. */
			dev->stats.rx_dropped++;
			vh_drop(st, dev, p, VH_DROP_TOO_BIG);
			continue;
		}
		p->len = (uint32_t)got;
		vh_dev_input(dev, p);
	}
	return (int)n;
}

unsigned vh_dev_input_async(struct vh_dev *dev, struct vh_pkt **pkts, unsigned n)
{
	struct vh_stack *st = dev->stack;
	unsigned i, queued = 0;

	pthread_mutex_lock(&st->inq_lock);
	for (i = 0; i < n; i++) {
		pkts[i]->dev = dev;
		if (vh_pktq_push(&st->inq, pkts[i]) == 0) {
			queued++;
		} else {
			/* Counted here, under the lock; the worker reads the total. */
			st->inq_drops++;
			vh_pkt_free(pkts[i]);
		}
	}
	pthread_mutex_unlock(&st->inq_lock);
	if (queued)
		vh_stack_wake(st);
	return queued;
}

int vh_dev_xmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct vh_stack *st = dev->stack;
	uint32_t len = pkt->len;
	int r;

	if (st->capture_fn)
		st->capture_fn(st->capture_arg, dev, 1, pkt);
	tracef(st, "dev=%s, len=%u", dev->name, pkt->len);
	vh_dump(st, pkt->data, pkt->len);
	r = dev->ops->transmit(dev, pkt);
	if (r < 0) {
		dev->stats.tx_dropped++;
		dev->stats.drops[VH_DROP_TX_ERROR]++;
		st->drops[VH_DROP_TX_ERROR]++;
		return r;
	}
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	return 0;
}

int vh_dev_output(struct vh_dev *dev, struct vh_pkt *pkt)
{
	if ((dev->flags & (VH_DEV_F_UP | VH_DEV_F_LINK)) != (VH_DEV_F_UP | VH_DEV_F_LINK)) {
		dev->stats.tx_dropped++;
		vh_drop(dev->stack, dev, pkt, VH_DROP_LINK_DOWN);
		return -ENETDOWN;
	}
	if (pkt->len > dev->mtu + 18u) { /* Ethernet header and a VLAN tag at most */
		dev->stats.tx_dropped++;
		vh_drop(dev->stack, dev, pkt, VH_DROP_TOO_BIG);
		return -EMSGSIZE;
	}
	if (dev->impair)
		return impair_output(dev, pkt);
	return vh_dev_xmit(dev, pkt);
}

int vh_iface_add(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, unsigned plen,
		 struct vh_iface **ret)
{
	struct vh_iface *ifc, **pp;
	char a[VH_ADDR_STR], m[VH_ADDR_STR];
	int r;

	if (plen > 32)
		return -EINVAL;
	if (vh_iface_by_addr(st, addr))
		return -EEXIST;
	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	ifc->dev = dev;
	ifc->addr = addr;
	ifc->plen = plen;
	ifc->netmask = plen ? htonl(~0u << (32 - plen)) : 0;
	ifc->bcast = (addr & ifc->netmask) | ~ifc->netmask;
	for (pp = &dev->ifaces; *pp; pp = &(*pp)->next)
		;
	*pp = ifc;
	/* The connected route: the subnet is on this link. A /32 still gets its host route. */
	r = rt_add(st, addr & ifc->netmask, plen, 0, dev, 0, RT_F_CONNECTED, NULL);
	if (r < 0 && r != -EEXIST)
		warnf(st, "no connected route for %s/%u: %s", vh_addr_str(addr, a), plen, strerror(-r));
	infof(st, "iface added, dev=%s, addr=%s/%u, bcast=%s", dev->name, vh_addr_str(addr, a), plen,
	      vh_addr_str(ifc->bcast, m));
	if ((dev->flags & VH_DEV_F_LINK) && !(dev->flags & VH_DEV_F_NOARP))
		arp_announce(ifc);
	if (ret)
		*ret = ifc;
	return 0;
}

int vh_iface_del(struct vh_stack *st, struct vh_dev *dev, uint32_t addr)
{
	for (struct vh_iface **pp = &dev->ifaces; *pp; pp = &(*pp)->next) {
		struct vh_iface *ifc = *pp;
		if (ifc->addr != addr)
			continue;
		*pp = ifc->next;
		/* Only drop the connected route if no other iface on dev has the same subnet
		 * (same prefix and length: a wider or narrower one has a route of its own). */
		bool shared = false;
		for (struct vh_iface *i = dev->ifaces; i; i = i->next)
			shared |= i->plen == ifc->plen &&
				  (i->addr & i->netmask) == (ifc->addr & ifc->netmask);
		if (!shared)
			rt_del(st, addr & ifc->netmask, ifc->plen, 0, dev, NULL);
		free(ifc);
		return 0;
	}
	return -ENOENT;
}

struct vh_iface *vh_iface_by_addr(struct vh_stack *st, uint32_t addr)
{
	for (struct vh_dev *d = st->devs; d; d = d->next)
		for (struct vh_iface *i = d->ifaces; i; i = i->next)
			if (i->addr == addr)
				return i;
	return NULL;
}

struct vh_iface *vh_iface_on_link(struct vh_dev *dev, uint32_t addr)
{
	for (struct vh_iface *i = dev->ifaces; i; i = i->next)
		if ((addr & i->netmask) == (i->addr & i->netmask))
			return i;
	return NULL;
}
