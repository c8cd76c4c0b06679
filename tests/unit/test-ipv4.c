/* test-ipv4.c: IPv4 input validation and delivery, ICMP echo and errors with
 * their rate limit, output fragmentation (RFC 791, RFC 1122 §3).
 *
 *   peer 192.0.2.1 (02:aa:..:01, static) --- test0 192.0.2.2/24 (02:00:..:02) */
#include "check.h"
#include "testnic.h"

static struct tn_clock clk;
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct {
	unsigned n;
	struct ipv4_rx rx;
	uint8_t data[64];
	size_t len;
} got;

static void proto253(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	(void)st;
	got.n++;
	got.rx = *rx;
	got.len = pkt->len < sizeof(got.data) ? pkt->len : sizeof(got.data);
	memcpy(got.data, pkt->data, got.len);
	vh_pkt_free(pkt);
}

/* Inject an IPv4 datagram from src to dst, to our MAC (or broadcast). */
static void inject(struct vh_dev *dev, const char *src, const char *dst, uint8_t proto,
		   const void *payload, size_t n, bool l2_bcast)
{
	static uint8_t f[2048];
	size_t len = tn_ipv4_frame(f, l2_bcast ? bcast : dev->hwaddr, tn_peer_mac, tn_addr(src),
				   tn_addr(dst), proto, 0x4242, 0, payload, n);
	tn_inject(dev, f, len);
}

static void test_validation(struct vh_stack *st, struct vh_dev *dev)
{
	uint8_t f[64];
	size_t n = tn_ipv4_frame(f, dev->hwaddr, tn_peer_mac, tn_addr("192.0.2.1"),
				 tn_addr("192.0.2.2"), 253, 1, 0, "abcdefgh", 8);
	uint64_t bad = st->drops[VH_DROP_IP_BAD], csum = st->drops[VH_DROP_IP_CSUM];
	uint64_t hdr = st->ip.stats.in_hdr_errors;

	tn_inject(dev, f, ETHER_HDR_LEN + 19); /* short */
	f[ETHER_HDR_LEN + 8] ^= 1;             /* TTL under the checksum */
	tn_inject(dev, f, n);
	f[ETHER_HDR_LEN + 8] ^= 1;
	f[ETHER_HDR_LEN] = 0x55; /* version 5 */
	tn_inject(dev, f, n);
	f[ETHER_HDR_LEN] = 0x45;
	CHECK_EQ(st->drops[VH_DROP_IP_BAD], bad + 2);
	CHECK_EQ(st->drops[VH_DROP_IP_CSUM], csum + 1);
	CHECK_EQ(st->ip.stats.in_hdr_errors, hdr + 3);
	CHECK_EQ(dev->stats.drops[VH_DROP_IP_CSUM], 1); /* per NIC too */
	CHECK_EQ(got.n, 0);
	/* The intact frame, with Ethernet padding after it, is delivered without the padding. */
	memset(f + n, 0xee, 10);
	tn_inject(dev, f, n + 10);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.len, 8);
	CHECK_MEM(got.data, "abcdefgh", 8);
	CHECK_EQ(tn_sent(dev), 0);
}

static void test_delivery(struct vh_stack *st, struct vh_dev *dev)
{
	got.n = 0;
	inject(dev, "192.0.2.1", "192.0.2.2", 253, "x", 1, false);
	CHECK_EQ(got.n, 1);
	CHECK(!got.rx.bcast && !got.rx.mcast);
	CHECK(got.rx.iface && got.rx.iface->addr == tn_addr("192.0.2.2"));
	CHECK_EQ(got.rx.src, tn_addr("192.0.2.1"));
	CHECK_EQ(got.rx.proto, 253);
	CHECK_EQ(got.rx.hdr_len, 20);
	inject(dev, "192.0.2.1", "192.0.2.255", 253, "x", 1, true); /* directed broadcast */
	CHECK_EQ(got.n, 2);
	CHECK(got.rx.bcast && got.rx.iface == NULL);
	inject(dev, "192.0.2.1", "255.255.255.255", 253, "x", 1, true); /* limited */
	CHECK_EQ(got.n, 3);
	CHECK(got.rx.bcast);
	inject(dev, "0.0.0.0", "255.255.255.255", 253, "x", 1, true); /* a DHCP client's */
	CHECK_EQ(got.n, 4);

	/* Not ours, not forwarding: dropped and counted. */
	uint64_t not_us = st->drops[VH_DROP_IP_NOT_US];
	inject(dev, "192.0.2.1", "203.0.113.5", 253, "x", 1, false);
	inject(dev, "192.0.2.1", "198.51.100.255", 253, "x", 1, true); /* someone else's bcast */
	inject(dev, "192.0.2.1", "224.0.0.251", 253, "x", 1, true);     /* no groups joined */
	CHECK_EQ(got.n, 4);
	CHECK_EQ(st->drops[VH_DROP_IP_NOT_US], not_us + 3);

	/* Martian sources. */
	uint64_t m = st->drops[VH_DROP_IP_MARTIAN];
	inject(dev, "224.0.0.1", "192.0.2.2", 253, "x", 1, false);
	inject(dev, "255.255.255.255", "192.0.2.2", 253, "x", 1, false);
	inject(dev, "192.0.2.2", "192.0.2.2", 253, "x", 1, false); /* ourselves, from the wire */
	/* Our subnet's broadcast names no host (RFC 1122 §3.2.1.3): answering it, with an
	 * echo reply or an ICMP error, would go to every host on the link. */
	inject(dev, "192.0.2.255", "192.0.2.2", 253, "x", 1, false);
	inject(dev, "192.0.2.255", "192.0.2.2", 99, "12345678", 8, false);
	CHECK_EQ(st->drops[VH_DROP_IP_MARTIAN], m + 5);
	CHECK_EQ(got.n, 4);
	CHECK_EQ(tn_sent(dev), 0);
}

static void test_proto_unreachable(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ipv4 ip;
	struct wire_icmp m;
	struct vh_pkt *p;
	uint64_t unk = st->drops[VH_DROP_IP_PROTO];

	inject(dev, "192.0.2.1", "192.0.2.2", 99, "12345678", 8, false);
	CHECK_EQ(st->drops[VH_DROP_IP_PROTO], unk + 1);
	p = tn_pop_ipv4(dev, &ip);
	CHECK(p != NULL);
	if (p) {
		CHECK_MEM(p->data, tn_peer_mac, 6);
		CHECK_EQ(ip.src, tn_addr("192.0.2.2"));
		CHECK_EQ(ip.dst, tn_addr("192.0.2.1"));
		CHECK_EQ(ip.proto, IPPROTO_ICMP_);
		CHECK_EQ(wire_icmp_parse(ip.payload, ip.payload_len, &m), 0);
		CHECK_EQ(m.type, ICMP_DEST_UNREACH);
		CHECK_EQ(m.code, ICMP_PROT_UNREACH);
		CHECK_EQ(m.body_len, 28); /* the whole offending datagram */
		CHECK_EQ(m.body[9], 99);
		CHECK_MEM(m.body + 20, "12345678", 8);
		vh_pkt_free(p);
	}
	CHECK_EQ(tn_sent(dev), 0);
	/* Never for a broadcast. */
	inject(dev, "192.0.2.1", "192.0.2.255", 99, "12345678", 8, true);
	inject(dev, "192.0.2.1", "255.255.255.255", 99, "12345678", 8, true);
	CHECK_EQ(st->drops[VH_DROP_IP_PROTO], unk + 3);
	CHECK_EQ(tn_sent(dev), 0);
	/* Nor about a unicast datagram that came as a link-layer broadcast (RFC 1122 §3.2.2). */
	inject(dev, "192.0.2.1", "192.0.2.2", 99, "12345678", 8, true);
	CHECK_EQ(tn_sent(dev), 0);
	/* Nor to a class E source, even with a route that would carry the error there. */
	CHECK_EQ(rt_add(st, 0, 0, tn_addr("192.0.2.1"), NULL, 0, RT_F_STATIC, NULL), 0);
	inject(dev, "240.0.0.1", "192.0.2.2", 99, "12345678", 8, false);
	CHECK_EQ(tn_sent(dev), 0);
	inject(dev, "203.0.113.1", "192.0.2.2", 99, "12345678", 8, false); /* control: it would */
	CHECK_EQ(tn_sent(dev), 1);
	vh_pkt_free(tn_pop(dev));
	CHECK_EQ(rt_del(st, 0, 0, 0, NULL, NULL), 0);
}

static void test_echo(struct vh_stack *st, struct vh_dev *dev)
{
	uint8_t msg[64];
	struct wire_ipv4 ip;
	struct wire_icmp m;
	struct vh_pkt *p;
	size_t n = tn_echo(msg, 0xbeef, 7, "ping data 123", 13);

	inject(dev, "192.0.2.1", "192.0.2.2", IPPROTO_ICMP_, msg, n, false);
	CHECK_EQ(st->icmp.stats.in_echos, 1);
	p = tn_pop_ipv4(dev, &ip);
	CHECK(p != NULL);
	if (p) {
		CHECK_MEM(p->data, tn_peer_mac, 6);
		CHECK_MEM(p->data + 6, dev->hwaddr, 6);
		CHECK_EQ(wire_csum(ip.hdr, ip.hdr_len), 0);
		CHECK_EQ(ip.src, tn_addr("192.0.2.2"));
		CHECK_EQ(ip.dst, tn_addr("192.0.2.1"));
		CHECK_EQ(ip.ttl, IPV4_DEFAULT_TTL);
		CHECK_EQ(wire_csum(ip.payload, ip.payload_len), 0);
		CHECK_EQ(wire_icmp_parse(ip.payload, ip.payload_len, &m), 0);
		CHECK_EQ(m.type, ICMP_ECHOREPLY);
		CHECK_EQ(m.code, 0);
		CHECK_EQ(m.rest, 0xbeef0007u);
		CHECK_EQ(m.body_len, 13);
		CHECK_MEM(m.body, "ping data 123", 13);
		vh_pkt_free(p);
	}
	/* A bad checksum is dropped, counted, not answered. */
	msg[9] ^= 1;
	inject(dev, "192.0.2.1", "192.0.2.2", IPPROTO_ICMP_, msg, n, false);
	CHECK_EQ(st->drops[VH_DROP_ICMP_CSUM], 1);
	msg[9] ^= 1;
	/* Broadcast pings are ignored (as Linux's icmp_echo_ignore_broadcasts). */
	inject(dev, "192.0.2.1", "192.0.2.255", IPPROTO_ICMP_, msg, n, true);
	CHECK_EQ(st->drops[VH_DROP_ICMP_IGNORED], 1);
	CHECK_EQ(tn_sent(dev), 0);
}

static void test_fragmentation(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ipv4 ip;
	struct vh_pkt *p;
	unsigned next = 0, frags = 0, bad = 0;
	bool last_seen = false;

	CHECK_EQ(tn_send_ip(st, "192.0.2.1", 0x5a, 4000, false), 0);
	while ((p = tn_pop_ipv4(dev, &ip))) {
		frags++;
		if (ip.total_len > dev->mtu || ip.frag_off != next || last_seen)
			bad++;
		if (ip.mf && ip.payload_len % 8)
			bad++;
		if (!ip.mf)
			last_seen = true;
		if (ip.df || ip.hdr_len != 20 || wire_csum(ip.hdr, ip.hdr_len))
			bad++;
		for (size_t i = 0; i < ip.payload_len; i++)
			bad += ip.payload[i] != 0x5a;
		next += (unsigned)ip.payload_len;
		vh_pkt_free(p);
	}
	CHECK_EQ(frags, 3); /* 1480 + 1480 + 1040 */
	CHECK_EQ(next, 4000);
	CHECK(last_seen);
	CHECK_EQ(bad, 0);

	/* An MTU that leaves a payload room not a multiple of 8: 1010 - 20 = 990 -> 984. */
	dev->mtu = 1010;
	CHECK_EQ(tn_send_ip(st, "192.0.2.1", 0x5b, 2000, false), 0);
	unsigned sizes[4] = {0}, k = 0;
	while ((p = tn_pop_ipv4(dev, &ip))) {
		if (k < 4)
			sizes[k] = (unsigned)ip.payload_len;
		k++;
		vh_pkt_free(p);
	}
	CHECK_EQ(k, 3);
	CHECK_EQ(sizes[0], 984);
	CHECK_EQ(sizes[1], 984);
	CHECK_EQ(sizes[2], 32);
	dev->mtu = 1500;

	/* DF: refused, counted. */
	uint64_t df = st->drops[VH_DROP_IP_DF];
	CHECK_EQ(tn_send_ip(st, "192.0.2.1", 0, 1481, true), -EMSGSIZE);
	CHECK_EQ(st->drops[VH_DROP_IP_DF], df + 1);
	CHECK_EQ(tn_send_ip(st, "192.0.2.1", 0, 1480, true), 0);
	CHECK_EQ(tn_sent(dev), 1);
	tn_clear(dev);
	/* No route. */
	CHECK_EQ(tn_send_ip(st, "203.0.113.1", 0, 10, false), -ENETUNREACH);

	/* Options: copied ones (router alert, 0x94) go in every fragment, the others
	 * (type 7, record route) only in the first (RFC 791 §3.1). */
	struct vh_iface *ifc = vh_iface_by_addr(st, tn_addr("192.0.2.2"));
	const uint8_t opts[8] = {0x94, 4, 0, 0, 0x07, 3, 4, 0};
	p = vh_pkt_alloc(st, 3000);
	uint8_t *h = vh_pkt_put(p, 28 + 2000);
	wire_ipv4_emit(h, 28 + 2000, 0, 99, 0, 64, 253, tn_addr("192.0.2.2"), tn_addr("192.0.2.1"));
	h[0] = 0x47;
	memcpy(h + 20, opts, 8);
	memset(h + 28, 0x33, 2000);
	h[10] = h[11] = 0;
	uint16_t s = wire_csum(h, 28);
	memcpy(h + 10, &s, 2);
	CHECK_EQ(ipv4_output_nh(st, p, ifc, tn_addr("192.0.2.1")), 0);
	frags = next = 0;
	while ((p = tn_pop_ipv4(dev, &ip))) {
		if (frags == 0) {
			CHECK_EQ(ip.hdr_len, 28);
			CHECK_MEM(ip.hdr + 20, opts, 8);
		} else {
			CHECK_EQ(ip.hdr_len, 24);
			CHECK_MEM(ip.hdr + 20, opts, 4);
		}
		CHECK_EQ(ip.frag_off, next);
		CHECK_EQ(ip.id, 99);
		next += (unsigned)ip.payload_len;
		frags++;
		vh_pkt_free(p);
	}
	CHECK_EQ(frags, 2);
	CHECK_EQ(next, 2000);
}

static void test_to_ourselves(struct vh_stack *st, struct vh_dev *dev)
{
	got.n = 0;
	/* A datagram to one of our addresses is looped back, never sent, and delivered
	 * on the next poll with our address as source. */
	CHECK_EQ(tn_send_ip(st, "192.0.2.2", 0x77, 30, false), 0);
	CHECK_EQ(tn_sent(dev), 0);
	CHECK_EQ(got.n, 0);
	vh_stack_poll(st, 0);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.rx.src, tn_addr("192.0.2.2"));
	CHECK_EQ(got.len, 30);
	CHECK_EQ(got.data[29], 0x77);
	CHECK_EQ(tn_sent(dev), 0);
	CHECK_EQ(st->drops[VH_DROP_IP_MARTIAN], 5); /* not a martian: it never left us */
	/* The loopback queue is bounded. */
	got.n = 0;
	uint64_t full = st->drops[VH_DROP_QUEUE_FULL];
	for (int i = 0; i < VH_BACKLOG_MAX + 10; i++)
		tn_send_ip(st, "192.0.2.2", 0, 8, false);
	CHECK_EQ(st->drops[VH_DROP_QUEUE_FULL], full + 10);
	vh_stack_poll(st, 0);
	CHECK_EQ(got.n, VH_BACKLOG_MAX);
}

static void test_link(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ether eth;
	struct wire_arp arp;
	struct vh_pkt *p;
	uint64_t down = st->drops[VH_DROP_LINK_DOWN], big = st->drops[VH_DROP_TOO_BIG];

	vh_dev_set_link(dev, false);
	CHECK_EQ(tn_send_ip(st, "192.0.2.1", 0, 100, false), -ENETDOWN);
	CHECK_EQ(st->drops[VH_DROP_LINK_DOWN], down + 1);
	CHECK_EQ(tn_sent(dev), 0);
	/* Carrier back: we announce ourselves again. */
	vh_dev_set_link(dev, true);
	p = tn_pop_arp(dev, &eth, &arp);
	CHECK(p && arp.spa == tn_addr("192.0.2.2") && arp.tpa == arp.spa);
	vh_pkt_free(p);
	/* A frame larger than the NIC takes never reaches the driver. */
	struct vh_pkt *f = vh_pkt_alloc(st, 1600);
	memset(vh_pkt_put(f, 1600), 0, 1600);
	CHECK_EQ(vh_dev_output(dev, f), -EMSGSIZE);
	CHECK_EQ(st->drops[VH_DROP_TOO_BIG], big + 1);
	CHECK_EQ(tn_sent(dev), 0);
}

static void test_rate_limit(struct vh_stack *st, struct vh_dev *dev)
{
	unsigned sent = 0;
	uint64_t limited = st->icmp.stats.out_rate_limited;

	/* Refill to the full burst first. */
	clk.now += 10 * VH_SEC;
	for (int i = 0; i < ICMP_RATE_BURST + 30; i++)
		inject(dev, "192.0.2.1", "192.0.2.2", 99, "12345678", 8, false);
	sent = tn_sent(dev);
	tn_clear(dev);
	CHECK_EQ(sent, ICMP_RATE_BURST);
	CHECK_EQ(st->icmp.stats.out_rate_limited, limited + 30);
	/* 100 ms later: ICMP_RATE_PER_SEC / 10 more. */
	clk.now += 100 * VH_MS;
	for (int i = 0; i < 30; i++)
		inject(dev, "192.0.2.1", "192.0.2.2", 99, "12345678", 8, false);
	CHECK_EQ(tn_sent(dev), ICMP_RATE_PER_SEC / 10);
	tn_clear(dev);
	/* Echo replies are not errors: not limited. */
	uint8_t msg[16];
	size_t n = tn_echo(msg, 1, 1, "x", 1);
	for (int i = 0; i < 5; i++)
		inject(dev, "192.0.2.1", "192.0.2.2", IPPROTO_ICMP_, msg, n, false);
	CHECK_EQ(tn_sent(dev), 5);
	tn_clear(dev);
}

int main(void)
{
	struct vh_dev *dev;
	struct vh_stack *st = tn_fixture(&clk, "ipv4", &dev);

	ipv4_register(st, 253, proto253);
	test_validation(st, dev);
	test_delivery(st, dev);
	test_proto_unreachable(st, dev);
	test_echo(st, dev);
	test_fragmentation(st, dev);
	test_to_ourselves(st, dev);
	test_link(st, dev);
	test_rate_limit(st, dev);
	CHECK_EQ(st->pool.avail, st->pool.total);
	vh_stack_free(st);
	return check_done();
}
