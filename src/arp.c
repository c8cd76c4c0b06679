/* arp.c: address resolution (RFC 826) and the neighbour cache.
 *
 * Reception follows RFC 826's "Packet Reception" algorithm step by step,
 * including its merge rule: a sender already in the cache is refreshed by any
 * ARP packet, a new sender is learned only if the packet was aimed at us.
 * Replies go only for our own addresses. Retries and aging run from one
 * periodic tick that is armed only while the cache has entries. */
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ether.h"
#include "stack.h"
#include "wire/arp.h"
#include "wire/ether.h"

static const uint8_t zero_mac[6];

const char *arp_state_name(enum arp_state s)
{
	switch (s) {
	case ARP_FREE:
		return "free";
	case ARP_INCOMPLETE:
		return "incomplete";
	case ARP_REACHABLE:
		return "reachable";
	case ARP_STALE:
		return "stale";
	case ARP_PROBE:
		return "probe";
	case ARP_STATIC:
		return "permanent";
	}
	return "?";
}

static unsigned hash_of(uint32_t addr)
{
	uint32_t h = addr * 2654435761u;
	return (h >> 16) % ARP_HASH_SIZE;
}

static struct arp_entry *find(struct arp_table *t, struct vh_dev *dev, uint32_t addr)
{
	for (int i = t->hash[hash_of(addr)]; i >= 0; i = t->e[i].hnext)
		if (t->e[i].addr == addr && t->e[i].dev == dev)
			return &t->e[i];
	return NULL;
}

const struct arp_entry *arp_lookup(struct vh_stack *st, struct vh_dev *dev, uint32_t addr)
{
	return find(&st->arp, dev, addr);
}

static void unlink_entry(struct arp_table *t, struct arp_entry *e)
{
	int idx = (int)(e - t->e);
	for (int *pp = &t->hash[hash_of(e->addr)]; *pp >= 0; pp = &t->e[*pp].hnext)
		if (*pp == idx) {
			*pp = e->hnext;
			break;
		}
}

static void entry_free(struct vh_stack *st, struct arp_entry *e, enum vh_drop why)
{
	struct arp_table *t = &st->arp;
	struct vh_pkt *p;

	while ((p = vh_pktq_pop(&e->pending))) {
		t->pending--;
		/* A forwarded packet whose next hop never answered earns its sender a host unreachable. */
		if (why == VH_DROP_ARP_FAILED && p->l3)
			icmp_send_error(st, p, 3 /* dest unreach */, 1 /* host */, 0);
		vh_drop(st, e->dev, p, why);
	}
	unlink_entry(t, e);
	e->state = ARP_FREE;
	t->count--;
}

static void arm_tick(struct vh_stack *st)
{
	if (!vh_timer_pending(&st->arp.tick))
		vh_timer_arm(st, &st->arp.tick, ARP_TICK_NS);
}

static struct arp_entry *entry_new(struct vh_stack *st, struct vh_dev *dev, uint32_t addr)
{
	struct arp_table *t = &st->arp;
	struct arp_entry *e = NULL, *oldest = NULL;

	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *c = &t->e[i];
		if (c->state == ARP_FREE) {
			e = c;
			break;
		}
		/* Only stale, unprobed entries may be evicted: nothing is waiting on them. */
		if (c->state == ARP_STALE && (!oldest || c->used < oldest->used))
			oldest = c;
	}
	if (!e) {
		if (!oldest)
			return NULL;
		t->stats.evicted++;
		entry_free(st, oldest, VH_DROP_ARP_CACHE_FULL);
		e = oldest;
	}
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->dev = dev;
	e->used = vh_now(st);
	vh_pktq_init(&e->pending, ARP_PENDING_PER_ENTRY);
	e->hnext = t->hash[hash_of(addr)];
	t->hash[hash_of(addr)] = (int)(e - t->e);
	t->count++;
	arm_tick(st);
	return e;
}

static int send_arp(struct vh_dev *dev, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
		    uint32_t spa, uint32_t tpa)
{
	struct vh_stack *st = dev->stack;
	struct vh_pkt *p = vh_pkt_alloc(st, ETHER_MIN_FRAME);

	if (!p) {
		vh_drop(st, dev, NULL, VH_DROP_NOMEM);
		return -ENOBUFS;
	}
	wire_arp_emit(vh_pkt_put(p, ARP_LEN), op, dev->hwaddr, spa, tha, tpa);
	return ether_output(dev, p, eth_dst, ETHER_TYPE_ARP);
}

static void send_request(struct vh_stack *st, struct arp_entry *e, bool unicast)
{
	struct vh_iface *ifc = vh_iface_on_link(e->dev, e->addr);
	char a[VH_ADDR_STR];

	if (!ifc)
		ifc = e->dev->ifaces;
	if (!ifc)
		return;
	st->arp.stats.tx_requests++;
	debugf(st, "who-has %s tell %s, dev=%s%s", vh_addr_str(e->addr, a),
	       vh_addr_str(ifc->addr, (char[VH_ADDR_STR]){0}), e->dev->name,
	       unicast ? " (unicast probe)" : "");
	send_arp(e->dev, ARP_OP_REQUEST, unicast ? e->mac : vh_ether_bcast, zero_mac, ifc->addr,
		 e->addr);
}

static void flush_pending(struct vh_stack *st, struct arp_entry *e)
{
	struct vh_pkt *p;

	while ((p = vh_pktq_pop(&e->pending))) {
		st->arp.pending--;
		ether_output(e->dev, p, e->mac, ETHER_TYPE_IPV4);
	}
}

/* Record that addr is at mac; sends whatever was waiting for it. */
static void confirm(struct vh_stack *st, struct arp_entry *e, const uint8_t *mac)
{
	char a[VH_ADDR_STR], m[VH_MAC_STR];

	if (e->state == ARP_STATIC)
		return; /* the user's word beats the wire's */
	if (e->state == ARP_FREE) {
		infof(st, "learned, %s is-at %s, dev=%s", vh_addr_str(e->addr, a), vh_mac_str(mac, m),
		      e->dev->name);
	} else if (e->state == ARP_INCOMPLETE) {
		st->arp.stats.resolved++;
		infof(st, "resolved, %s is-at %s, dev=%s", vh_addr_str(e->addr, a), vh_mac_str(mac, m),
		      e->dev->name);
	} else if (memcmp(e->mac, mac, 6)) {
		infof(st, "changed, %s is-at %s (was %s), dev=%s", vh_addr_str(e->addr, a),
		      vh_mac_str(mac, m), vh_mac_str(e->mac, (char[VH_MAC_STR]){0}), e->dev->name);
	}
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->changed = vh_now(st);
	flush_pending(st, e);
}

void arp_input(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct vh_stack *st = dev->stack;
	struct wire_arp arp;
	struct vh_iface *me;
	struct arp_entry *e;
	bool merge = false;
	char a[VH_ADDR_STR], b[VH_ADDR_STR];

	if (wire_arp_parse(pkt->data, pkt->len, &arp) < 0) {
		vh_drop(st, dev, pkt, VH_DROP_ARP_BAD);
		return;
	}
	if (arp.op == ARP_OP_REQUEST)
		st->arp.stats.rx_requests++;
	else
		st->arp.stats.rx_replies++;
	/* A sender claiming a broadcast/multicast MAC or our own address is lying or looped. */
	if (ether_is_mcast(arp.sha) || !memcmp(arp.sha, dev->hwaddr, 6)) {
		vh_drop(st, dev, pkt, VH_DROP_ARP_BAD);
		return;
	}
	if (vh_iface_by_addr(st, arp.spa) && arp.spa != 0) {
		st->arp.stats.conflicts++;
		warnf(st, "address conflict: %s claimed by %s, dev=%s", vh_addr_str(arp.spa, a),
		      vh_mac_str(arp.sha, (char[VH_MAC_STR]){0}), dev->name);
		vh_drop(st, dev, pkt, VH_DROP_ARP_BAD);
		return;
	}
	/* RFC 826: "If the pair <protocol type, sender protocol address> is already in my
	 * translation table, update the sender hardware address field ... set Merge_flag". */
	if (arp.spa != 0 && (e = find(&st->arp, dev, arp.spa)) != NULL) {
		confirm(st, e, arp.sha);
		merge = true;
	}
	/* "Am I the target protocol address?" */
	me = vh_iface_by_addr(st, arp.tpa);
	if (!me || me->dev != dev) {
		vh_drop(st, dev, pkt, VH_DROP_ARP_NOT_US);
		return;
	}
	/* "If Merge_flag is false, add the triplet" (skipping probes from 0.0.0.0, RFC 5227). */
	if (!merge && arp.spa != 0 && vh_iface_on_link(dev, arp.spa)) {
		e = entry_new(st, dev, arp.spa);
		if (e)
			confirm(st, e, arp.sha);
	}
	/* "Is the opcode ares_op$REQUEST? ... swap ... send the packet". */
	if (arp.op == ARP_OP_REQUEST) {
		debugf(st, "request from %s for %s, replying, dev=%s", vh_addr_str(arp.spa, a),
		       vh_addr_str(arp.tpa, b), dev->name);
		st->arp.stats.tx_replies++;
		uint8_t sha[6];
		memcpy(sha, arp.sha, 6);
		send_arp(dev, ARP_OP_REPLY, sha, sha, me->addr, arp.spa);
	}
	vh_pkt_free(pkt);
}

int arp_output(struct vh_iface *iface, uint32_t nh, struct vh_pkt *pkt)
{
	struct vh_dev *dev = iface->dev;
	struct vh_stack *st = dev->stack;
	struct arp_entry *e = find(&st->arp, dev, nh);

	if (!e) {
		e = entry_new(st, dev, nh);
		if (!e) {
			vh_drop(st, dev, pkt, VH_DROP_ARP_CACHE_FULL);
			return -ENOBUFS;
		}
		e->state = ARP_INCOMPLETE;
		e->tries = 1;
		e->next_try = vh_now(st) + ARP_RETRY_NS;
		send_request(st, e, false);
	}
	e->used = vh_now(st);
	switch (e->state) {
	case ARP_REACHABLE:
	case ARP_STATIC:
	case ARP_PROBE:
		return ether_output(dev, pkt, e->mac, ETHER_TYPE_IPV4);
	case ARP_STALE:
		/* Keep using it while we check it is still right (RFC 1122 §2.3.2.1). */
		e->state = ARP_PROBE;
		e->tries = 1;
		e->next_try = e->used + ARP_RETRY_NS;
		send_request(st, e, true);
		return ether_output(dev, pkt, e->mac, ETHER_TYPE_IPV4);
	default:
		break;
	}
	/* INCOMPLETE: queue, within bounds per entry and in total. */
	if (st->arp.pending >= ARP_PENDING_TOTAL || vh_pktq_push(&e->pending, pkt) < 0) {
		vh_drop(st, dev, pkt, VH_DROP_ARP_QUEUE_FULL);
		return -ENOBUFS;
	}
	st->arp.pending++;
	return 0;
}

static void arp_tick(struct vh_stack *st, struct vh_timer *t)
{
	struct arp_table *tab = &st->arp;
	uint64_t now = vh_now(st);
	char a[VH_ADDR_STR];

	(void)t;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &tab->e[i];
		switch (e->state) {
		case ARP_INCOMPLETE:
		case ARP_PROBE:
			if (now < e->next_try)
				break;
			if (e->tries >= ARP_RETRIES) {
				tab->stats.failed++;
				infof(st, "no answer from %s after %d tries, dev=%s",
				      vh_addr_str(e->addr, a), ARP_RETRIES, e->dev->name);
				entry_free(st, e, VH_DROP_ARP_FAILED);
				break;
			}
			e->tries++;
			e->next_try = now + ARP_RETRY_NS;
			send_request(st, e, e->state == ARP_PROBE);
			break;
		case ARP_REACHABLE:
			if (now - e->changed >= ARP_REACHABLE_NS) {
				e->state = ARP_STALE;
				e->changed = now;
			}
			break;
		case ARP_STALE:
			if (now - e->used >= ARP_STALE_NS && now - e->changed >= ARP_STALE_NS)
				entry_free(st, e, VH_DROP_ARP_FAILED);
			break;
		default:
			break;
		}
	}
	if (tab->count)
		vh_timer_arm(st, &tab->tick, ARP_TICK_NS);
}

void arp_announce(struct vh_iface *iface)
{
	struct vh_dev *dev = iface->dev;
	char a[VH_ADDR_STR];

	if (dev->flags & VH_DEV_F_NOARP)
		return;
	dev->stack->arp.stats.tx_gratuitous++;
	infof(dev->stack, "gratuitous ARP for %s, dev=%s", vh_addr_str(iface->addr, a), dev->name);
	/* RFC 5227 §2.3: an ARP request with sender and target both our address. */
	send_arp(dev, ARP_OP_REQUEST, vh_ether_bcast, zero_mac, iface->addr, iface->addr);
}

int arp_add_static(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, const uint8_t mac[6])
{
	struct arp_entry *e = find(&st->arp, dev, addr);

	if (!e && !(e = entry_new(st, dev, addr)))
		return -ENOSPC;
	memcpy(e->mac, mac, 6);
	flush_pending(st, e);
	e->state = ARP_STATIC;
	return 0;
}

int arp_delete(struct vh_stack *st, uint32_t addr)
{
	int n = 0;

	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (st->arp.e[i].state != ARP_FREE && st->arp.e[i].addr == addr) {
			entry_free(st, &st->arp.e[i], VH_DROP_ARP_FAILED);
			n++;
		}
	return n ? 0 : -ENOENT;
}

void arp_flush_dev(struct vh_stack *st, struct vh_dev *dev)
{
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (st->arp.e[i].state != ARP_FREE && st->arp.e[i].dev == dev)
			entry_free(st, &st->arp.e[i], VH_DROP_LINK_DOWN);
}

void arp_init(struct vh_stack *st)
{
	memset(&st->arp, 0, sizeof(st->arp));
	for (unsigned i = 0; i < ARP_HASH_SIZE; i++)
		st->arp.hash[i] = -1;
	vh_timer_init(&st->arp.tick, arp_tick, NULL);
}

void arp_fini(struct vh_stack *st)
{
	vh_timer_cancel(st, &st->arp.tick);
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (st->arp.e[i].state != ARP_FREE)
			entry_free(st, &st->arp.e[i], VH_DROP_LINK_DOWN);
}
