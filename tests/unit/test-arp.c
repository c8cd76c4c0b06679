/* test-arp.c: ARP reception (RFC 826), the neighbour cache's states, its
 * pending queue bounds, retries and aging, on a test NIC and an injected clock.
 *
 *   peers 192.0.2.1, .50, .60 ... --- test0 02:00:00:00:00:02, 192.0.2.2/24 */
#include "check.h"
#include "testnic.h"

static struct tn_clock clk;
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero[6];
static const uint8_t mac_x[6] = {0x02, 0xbb, 0, 0, 0, 0x09};

static void inject_arp(struct vh_dev *dev, uint16_t op, const uint8_t *sha, const char *spa,
		       const uint8_t *tha, const char *tpa)
{
	uint8_t f[64];
	size_t n = tn_arp_frame(f, op == ARP_OP_REQUEST ? bcast : dev->hwaddr, op, sha,
				tn_addr(spa), tha, tn_addr(tpa));
	tn_inject(dev, f, n);
}

static int state_of(struct vh_stack *st, struct vh_dev *dev, const char *a)
{
	const struct arp_entry *e = arp_lookup(st, dev, tn_addr(a));
	return e ? e->state : ARP_FREE;
}

/* Requests for addr sent since the last clear. */
static unsigned count_requests(struct vh_dev *dev, const char *addr, bool *ret_unicast)
{
	struct wire_ether eth;
	struct wire_arp arp;
	struct vh_pkt *p;
	unsigned n = 0;

	while ((p = tn_pop_arp(dev, &eth, &arp))) {
		if (arp.op == ARP_OP_REQUEST && arp.tpa == tn_addr(addr)) {
			n++;
			if (ret_unicast)
				*ret_unicast = !ether_is_bcast(eth.dst);
		}
		vh_pkt_free(p);
	}
	return n;
}

static void test_gratuitous(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ether eth;
	struct wire_arp arp;
	struct vh_pkt *p = tn_pop_arp(dev, &eth, &arp);

	/* tn_nic added 192.0.2.2: RFC 5227 announcement, sender = target = us. */
	CHECK(p != NULL);
	if (p) {
		CHECK(ether_is_bcast(eth.dst));
		CHECK_EQ(arp.op, ARP_OP_REQUEST);
		CHECK_EQ(arp.spa, tn_addr("192.0.2.2"));
		CHECK_EQ(arp.tpa, tn_addr("192.0.2.2"));
		CHECK_MEM(arp.sha, dev->hwaddr, 6);
		vh_pkt_free(p);
	}
	CHECK_EQ(st->arp.stats.tx_gratuitous, 1);
	CHECK_EQ(vh_iface_add(st, dev, tn_addr("198.18.0.2"), 24, NULL), 0);
	CHECK_EQ(st->arp.stats.tx_gratuitous, 2);
	CHECK_EQ(count_requests(dev, "198.18.0.2", NULL), 1);
	tn_clear(dev);
}

static void test_request_reply(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ether eth;
	struct wire_arp arp;
	struct vh_pkt *p;

	inject_arp(dev, ARP_OP_REQUEST, tn_peer_mac, "192.0.2.1", zero, "192.0.2.2");
	p = tn_pop_arp(dev, &eth, &arp);
	CHECK(p != NULL);
	if (p) {
		CHECK_MEM(eth.dst, tn_peer_mac, 6);
		CHECK_MEM(eth.src, dev->hwaddr, 6);
		CHECK_EQ(arp.op, ARP_OP_REPLY);
		CHECK_MEM(arp.sha, dev->hwaddr, 6);
		CHECK_EQ(arp.spa, tn_addr("192.0.2.2"));
		CHECK_MEM(arp.tha, tn_peer_mac, 6);
		CHECK_EQ(arp.tpa, tn_addr("192.0.2.1"));
		CHECK_EQ(p->len, ETHER_MIN_FRAME); /* padded */
		vh_pkt_free(p);
	}
	CHECK_EQ(tn_sent(dev), 0);
	CHECK_EQ(st->arp.stats.tx_replies, 1);
	/* The requester, new and asking for us, was learned. */
	CHECK_EQ(state_of(st, dev, "192.0.2.1"), ARP_REACHABLE);
	const struct arp_entry *e = arp_lookup(st, dev, tn_addr("192.0.2.1"));
	CHECK(e && !memcmp(e->mac, tn_peer_mac, 6));

	/* Not our address: no reply, counted, and a new sender is not learned. */
	uint64_t not_us = st->drops[VH_DROP_ARP_NOT_US];
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.50", zero, "192.0.2.77");
	CHECK_EQ(tn_sent(dev), 0);
	CHECK_EQ(st->drops[VH_DROP_ARP_NOT_US], not_us + 1);
	CHECK_EQ(state_of(st, dev, "192.0.2.50"), ARP_FREE);
	/* Nor for an address of ours on another subnet? It is ours: we answer (weak host). */
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.50", zero, "198.18.0.2");
	CHECK_EQ(tn_sent(dev), 1);
	tn_clear(dev);
	/* A sender off our subnets is answered but not cached: we would never send to it there. */
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "10.99.0.1", zero, "192.0.2.2");
	CHECK_EQ(tn_sent(dev), 1);
	CHECK_EQ(state_of(st, dev, "10.99.0.1"), ARP_FREE);
	tn_clear(dev);
	/* A reply to us from a new sender is learned too. */
	inject_arp(dev, ARP_OP_REPLY, mac_x, "192.0.2.60", dev->hwaddr, "192.0.2.2");
	CHECK_EQ(state_of(st, dev, "192.0.2.60"), ARP_REACHABLE);
	CHECK_EQ(tn_sent(dev), 0); /* replies are not answered */

	/* Senders claiming a multicast MAC or ours are refused. */
	uint64_t bad = st->drops[VH_DROP_ARP_BAD];
	inject_arp(dev, ARP_OP_REQUEST, bcast, "192.0.2.61", zero, "192.0.2.2");
	inject_arp(dev, ARP_OP_REQUEST, dev->hwaddr, "192.0.2.62", zero, "192.0.2.2");
	CHECK_EQ(st->drops[VH_DROP_ARP_BAD], bad + 2);
	CHECK_EQ(tn_sent(dev), 0);
	/* A truncated ARP packet. */
	uint8_t f[64];
	tn_arp_frame(f, bcast, ARP_OP_REQUEST, mac_x, tn_addr("192.0.2.63"), zero,
		     tn_addr("192.0.2.2"));
	tn_inject(dev, f, ETHER_HDR_LEN + ARP_LEN - 1);
	CHECK_EQ(st->drops[VH_DROP_ARP_BAD], bad + 3);
}

static void test_merge(struct vh_stack *st, struct vh_dev *dev)
{
	const struct arp_entry *e;

	/* RFC 826: a cached sender is updated by any ARP, even one not aimed at us. */
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.1", zero, "192.0.2.77");
	e = arp_lookup(st, dev, tn_addr("192.0.2.1"));
	CHECK(e && !memcmp(e->mac, mac_x, 6));
	inject_arp(dev, ARP_OP_REPLY, tn_peer_mac, "192.0.2.1", mac_x, "192.0.2.78");
	e = arp_lookup(st, dev, tn_addr("192.0.2.1"));
	CHECK(e && !memcmp(e->mac, tn_peer_mac, 6));
	/* A static entry is the user's word: the wire does not change it. */
	CHECK_EQ(arp_add_static(st, dev, tn_addr("192.0.2.70"), mac_x), 0);
	inject_arp(dev, ARP_OP_REQUEST, tn_peer_mac, "192.0.2.70", zero, "192.0.2.2");
	e = arp_lookup(st, dev, tn_addr("192.0.2.70"));
	CHECK(e && e->state == ARP_STATIC && !memcmp(e->mac, mac_x, 6));
	tn_clear(dev);
}

static void test_conflict(struct vh_stack *st, struct vh_dev *dev)
{
	uint64_t c = st->arp.stats.conflicts;

	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.2", zero, "192.0.2.2");
	CHECK_EQ(st->arp.stats.conflicts, c + 1);
	inject_arp(dev, ARP_OP_REPLY, mac_x, "192.0.2.2", dev->hwaddr, "192.0.2.1");
	CHECK_EQ(st->arp.stats.conflicts, c + 2);
	CHECK_EQ(tn_sent(dev), 0);
	/* An RFC 5227 probe (sender 0.0.0.0) is answered and is no conflict. */
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "0.0.0.0", zero, "192.0.2.2");
	CHECK_EQ(st->arp.stats.conflicts, c + 2);
	CHECK_EQ(tn_sent(dev), 1);
	CHECK_EQ(state_of(st, dev, "0.0.0.0"), ARP_FREE);
	tn_clear(dev);
}

static void test_pending(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ipv4 ip;
	struct vh_pkt *p;

	/* Three packets wait for 192.0.2.9; one broadcast request goes out. */
	for (uint8_t i = 1; i <= 3; i++)
		CHECK_EQ(tn_send_ip(st, "192.0.2.9", i, 20, false), 0);
	CHECK_EQ(state_of(st, dev, "192.0.2.9"), ARP_INCOMPLETE);
	CHECK_EQ(st->arp.pending, 3);
	bool uni = true;
	CHECK_EQ(count_requests(dev, "192.0.2.9", &uni), 1);
	CHECK(!uni);
	/* The answer releases them, in order, to the MAC it gave. */
	inject_arp(dev, ARP_OP_REPLY, mac_x, "192.0.2.9", dev->hwaddr, "192.0.2.2");
	CHECK_EQ(st->arp.pending, 0);
	CHECK_EQ(st->arp.stats.resolved, 1);
	for (uint8_t i = 1; i <= 3; i++) {
		p = tn_pop_ipv4(dev, &ip);
		CHECK(p != NULL);
		if (!p)
			break;
		CHECK_MEM(p->data, mac_x, 6);
		CHECK_EQ(ip.dst, tn_addr("192.0.2.9"));
		CHECK_EQ(ip.payload[0], i);
		vh_pkt_free(p);
	}
	CHECK_EQ(tn_sent(dev), 0);

	/* Per-entry bound. */
	uint64_t full = st->drops[VH_DROP_ARP_QUEUE_FULL];
	for (int i = 0; i < ARP_PENDING_PER_ENTRY + 2; i++)
		tn_send_ip(st, "192.0.2.10", 0, 20, false);
	CHECK_EQ(st->arp.pending, ARP_PENDING_PER_ENTRY);
	CHECK_EQ(st->drops[VH_DROP_ARP_QUEUE_FULL], full + 2);
	arp_delete(st, tn_addr("192.0.2.10"));
	CHECK_EQ(st->arp.pending, 0);

	/* Total bound: 33 neighbours x 8 packets is past 256. */
	full = st->drops[VH_DROP_ARP_QUEUE_FULL];
	char a[32];
	for (int n = 0; n < 33; n++) {
		snprintf(a, sizeof(a), "192.0.2.%d", 100 + n);
		for (int i = 0; i < ARP_PENDING_PER_ENTRY; i++)
			tn_send_ip(st, a, 0, 20, false);
	}
	CHECK_EQ(st->arp.pending, ARP_PENDING_TOTAL);
	CHECK_EQ(st->drops[VH_DROP_ARP_QUEUE_FULL], full + 33 * ARP_PENDING_PER_ENTRY -
							   ARP_PENDING_TOTAL);
	tn_clear(dev);

	/* Nobody answers: requests at 0, 1 and 2 s, then at 3 s the entries and their
	 * packets go, counted. */
	uint64_t failed = st->drops[VH_DROP_ARP_FAILED], f = st->arp.stats.failed;
	unsigned reqs[4] = {0};
	for (int s = 0; s < 4; s++) {
		tn_advance(st, &clk, 950 * VH_MS, 50 * VH_MS);
		reqs[s] = count_requests(dev, "192.0.2.100", NULL);
		tn_advance(st, &clk, 50 * VH_MS, 50 * VH_MS);
		reqs[s] += count_requests(dev, "192.0.2.100", NULL);
	}
	CHECK_EQ(reqs[0], 1);
	CHECK_EQ(reqs[1], 1);
	CHECK_EQ(reqs[2], 0);
	CHECK_EQ(reqs[3], 0);
	tn_advance(st, &clk, 200 * VH_MS, 50 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.100"), ARP_FREE);
	CHECK_EQ(st->arp.pending, 0);
	CHECK_EQ(st->arp.stats.failed, f + 33);
	CHECK_EQ(st->drops[VH_DROP_ARP_FAILED], failed + ARP_PENDING_TOTAL);
	tn_clear(dev);
}

static void test_aging(struct vh_stack *st, struct vh_dev *dev)
{
	bool uni = false;
	struct wire_ipv4 ip;
	struct vh_pkt *p;

	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.30", zero, "192.0.2.2");
	tn_clear(dev);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_REACHABLE);
	tn_advance(st, &clk, ARP_REACHABLE_NS - VH_SEC, 100 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_REACHABLE);
	tn_advance(st, &clk, 2 * VH_SEC, 100 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_STALE);
	/* Using a stale entry sends the packet at once and a unicast probe. */
	tn_send_ip(st, "192.0.2.30", 7, 20, false);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_PROBE);
	p = tn_pop_ipv4(dev, &ip);
	CHECK(p != NULL && !memcmp(p->data, mac_x, 6));
	vh_pkt_free(p);
	inject_arp(dev, ARP_OP_REPLY, mac_x, "192.0.2.30", dev->hwaddr, "192.0.2.2");
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_REACHABLE);
	tn_clear(dev);
	tn_send_ip(st, "192.0.2.30", 7, 20, false);
	CHECK_EQ(count_requests(dev, "192.0.2.30", NULL), 0);

	/* Stale again, probed, never answered: gone after the retries. */
	tn_advance(st, &clk, ARP_REACHABLE_NS + VH_SEC, 100 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_STALE);
	tn_clear(dev);
	tn_send_ip(st, "192.0.2.30", 7, 20, false);
	CHECK_EQ(count_requests(dev, "192.0.2.30", &uni), 1);
	CHECK(uni);
	tn_advance(st, &clk, 4 * VH_SEC, 100 * VH_MS);
	CHECK_EQ(count_requests(dev, "192.0.2.30", &uni), 2);
	CHECK(uni);
	CHECK_EQ(state_of(st, dev, "192.0.2.30"), ARP_FREE);

	/* Stale and unused: forgotten after ARP_STALE_NS. */
	inject_arp(dev, ARP_OP_REQUEST, mac_x, "192.0.2.31", zero, "192.0.2.2");
	tn_advance(st, &clk, ARP_REACHABLE_NS + VH_SEC, 100 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.31"), ARP_STALE);
	tn_advance(st, &clk, ARP_STALE_NS + VH_SEC, 100 * VH_MS);
	CHECK_EQ(state_of(st, dev, "192.0.2.31"), ARP_FREE);
	tn_clear(dev);
}

static void test_eviction(struct vh_stack *st, struct vh_dev *dev)
{
	char a[32];

	/* Fill the cache with learned neighbours on a wide subnet, let them go stale,
	 * and touch all but the first: a new neighbour takes the least recently used. */
	CHECK_EQ(vh_iface_add(st, dev, tn_addr("10.0.0.2"), 16, NULL), 0);
	tn_clear(dev);
	for (unsigned i = 0; st->arp.count < ARP_CACHE_SIZE; i++) {
		snprintf(a, sizeof(a), "10.0.%u.%u", 1 + i / 250, 1 + i % 250);
		inject_arp(dev, ARP_OP_REQUEST, mac_x, a, zero, "10.0.0.2");
	}
	tn_clear(dev);
	tn_advance(st, &clk, ARP_REACHABLE_NS + VH_SEC, 100 * VH_MS);
	/* As if a packet had gone through each but the first (sending one would probe it). */
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		if (st->arp.e[i].addr != tn_addr("10.0.1.1"))
			st->arp.e[i].used = clk.now;
	uint64_t ev = st->arp.stats.evicted;
	CHECK_EQ(tn_send_ip(st, "10.0.99.1", 0, 20, false), 0);
	CHECK_EQ(st->arp.stats.evicted, ev + 1);
	CHECK_EQ(state_of(st, dev, "10.0.1.1"), ARP_FREE); /* the first, least recently used */
	CHECK_EQ(state_of(st, dev, "10.0.1.2"), ARP_STALE);
	CHECK_EQ(state_of(st, dev, "10.0.99.1"), ARP_INCOMPLETE);
	CHECK_EQ(st->arp.count, ARP_CACHE_SIZE);
	/* Forget them all. */
	arp_flush_dev(st, dev);
	CHECK_EQ(st->arp.count, 0);
	CHECK_EQ(st->arp.pending, 0);
	CHECK_EQ(vh_iface_del(st, dev, tn_addr("10.0.0.2")), 0);
	tn_clear(dev);
}

static void test_cache_full(struct vh_stack *st, struct vh_dev *dev)
{
	char a[32];

	/* Fill the cache with static entries: none may be evicted, so a new one is refused. */
	for (unsigned i = 0; st->arp.count < ARP_CACHE_SIZE; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.1", 200 + i / 256, i % 256);
		arp_add_static(st, dev, tn_addr(a), mac_x);
	}
	uint64_t full = st->drops[VH_DROP_ARP_CACHE_FULL];
	CHECK_EQ(tn_send_ip(st, "192.0.2.40", 0, 20, false), -ENOBUFS);
	CHECK_EQ(st->drops[VH_DROP_ARP_CACHE_FULL], full + 1);
	tn_clear(dev);
}

int main(void)
{
	struct vh_stack *st = tn_stack_new(&clk, "arp");
	struct vh_dev *dev = tn_nic(st, "test0", 2, "192.0.2.2/24");

	test_gratuitous(st, dev);
	test_request_reply(st, dev);
	test_merge(st, dev);
	test_conflict(st, dev);
	test_pending(st, dev);
	test_aging(st, dev);
	test_eviction(st, dev);
	test_cache_full(st, dev);
	vh_stack_free(st);
	return check_done();
}
