/* test-reasm.c: IPv4 reassembly (RFC 791 §3.2, RFC 1122 §3.3.2): orders,
 * duplicates, overlaps, timeouts, bounds, and a differential test of random
 * fragmentations of random datagrams in random orders.
 *
 *   peer 192.0.2.1 (static) --- test0 192.0.2.2/24 */
#include "check.h"
#include "testnic.h"

#define SLOTS 4

static struct tn_clock clk;
static struct {
	unsigned n;
	size_t len;
	uint8_t data[IPV4_MAX_LEN];
} got[SLOTS]; /* by datagram id % SLOTS */
static unsigned delivered;

static void proto253(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	unsigned id = get_be16(pkt->l3 + 4) % SLOTS;

	(void)st;
	(void)rx;
	delivered++;
	got[id].n++;
	got[id].len = pkt->len;
	memcpy(got[id].data, pkt->data, pkt->len);
	vh_pkt_free(pkt);
}

/* One fragment of datagram `id` from src: payload bytes [off, off+len) of data. */
static void frag_proto(struct vh_dev *dev, const char *src, uint8_t proto, uint16_t id,
		       unsigned off, bool mf, const uint8_t *data, size_t len)
{
	static uint8_t f[2048];
	uint16_t field = (uint16_t)((mf ? IPV4_F_MF : 0) | off / 8);
	size_t n = tn_ipv4_frame(f, dev->hwaddr, tn_peer_mac, tn_addr(src), tn_addr("192.0.2.2"),
				 proto, id, field, data + off, len);
	tn_inject(dev, f, n);
}

static void frag(struct vh_dev *dev, const char *src, uint16_t id, unsigned off, bool mf,
		 const uint8_t *data, size_t len)
{
	frag_proto(dev, src, 253, id, off, mf, data, len);
}

static uint8_t dgram[IPV4_MAX_LEN];

static void fill(uint8_t *d, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

static void reset(void)
{
	memset(got, 0, sizeof(got));
	delivered = 0;
}

static bool got_ok(uint16_t id, const uint8_t *d, size_t n)
{
	unsigned s = id % SLOTS;
	return got[s].n == 1 && got[s].len == n && !memcmp(got[s].data, d, n);
}

#define PEER "192.0.2.1"

static void test_orders(struct vh_dev *dev)
{
	static const struct {
		const char *what;
		size_t total;
		struct {
			const char *src;
			unsigned off, len;
			bool mf;
		} p[6]; /* up to the first without a source */
	} cases[] = {
		{"in order", 3000, {{PEER, 0, 1000, 1}, {PEER, 1000, 1000, 1}, {PEER, 2000, 1000, 0}}},
		{"out of order", 3000,
		 {{PEER, 2000, 1000, 0}, {PEER, 0, 1000, 1}, {PEER, 1000, 1000, 1}}},
		{"reverse", 3000, {{PEER, 2000, 1000, 0}, {PEER, 1000, 1000, 1}, {PEER, 0, 1000, 1}}},
		{"exact duplicates ignored", 3000,
		 {{PEER, 0, 1000, 1}, {PEER, 0, 1000, 1}, {PEER, 2000, 1000, 0},
		  {PEER, 2000, 1000, 0}, {PEER, 1000, 1000, 1}}},
		{"same id from another source is another datagram", 2000,
		 {{PEER, 0, 1000, 1}, {"192.0.2.3", 1000, 1000, 0}, {PEER, 1000, 1000, 0}}},
		{"an empty last fragment only states the end", 1000,
		 {{PEER, 0, 1000, 1}, {PEER, 1000, 0, 0}}},
	};

	fill(dgram, 3000, 1);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t id = (uint16_t)(i + 1);
		reset();
		for (unsigned k = 0; k < 6 && cases[i].p[k].src; k++)
			frag(dev, cases[i].p[k].src, id, cases[i].p[k].off, cases[i].p[k].mf, dgram,
			     cases[i].p[k].len);
		if (!got_ok(id, dgram, cases[i].total))
			fprintf(stderr, "case: %s\n", cases[i].what);
		CHECK(got_ok(id, dgram, cases[i].total));
		CHECK_EQ(delivered, 1);
	}
}

static void test_overlap(struct vh_stack *st, struct vh_dev *dev)
{
	static uint8_t other[3000];
	uint64_t ov = st->drops[VH_DROP_IP_REASM_OVERLAP];

	fill(dgram, 3000, 2);
	memcpy(other, dgram, sizeof(other));
	other[1000] ^= 0xff;
	reset();
	frag(dev, "192.0.2.1", 10, 0, true, dgram, 1008);
	frag(dev, "192.0.2.1", 10, 1000, true, other, 1000); /* overlaps 8 bytes, different */
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 1);
	frag(dev, "192.0.2.1", 10, 2000, false, dgram, 1000);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->ip.reasm.used, 1); /* only the last fragment's fresh context */

	/* Two different ends. */
	frag(dev, "192.0.2.1", 10, 2000, false, dgram, 992);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 2);
	CHECK_EQ(st->ip.reasm.used, 0);
	/* Data past a known end. */
	frag(dev, "192.0.2.1", 11, 1000, false, dgram, 1000);
	frag(dev, "192.0.2.1", 11, 2000, true, dgram, 1000);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 3);
	/* Partial overlap with identical bytes is still an overlap. */
	frag(dev, "192.0.2.1", 12, 0, true, dgram, 1008);
	frag(dev, "192.0.2.1", 12, 1000, false, dgram, 1000);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 4);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->ip.reasm.used, 0);

	/* Same place, same length, different bytes: not a retransmission. */
	frag(dev, "192.0.2.1", 15, 0, true, dgram, 1000);
	frag(dev, "192.0.2.1", 15, 1000, true, other, 1000);
	frag(dev, "192.0.2.1", 15, 1000, true, dgram, 1000);
	frag(dev, "192.0.2.1", 15, 2000, false, dgram, 1000);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 5);
	ov++;
	CHECK_EQ(st->ip.reasm.used, 1); /* the last fragment's fresh context */
	frag(dev, "192.0.2.1", 15, 2000, false, dgram, 992);
	ov++;
	CHECK_EQ(st->ip.reasm.used, 0);

	/* Data past an end that arrives later: [0,8) and [24,32), then an empty last
	 * fragment at 16. The byte count matches the end, but [8,16) was never sent;
	 * delivering would hand out whatever the buffer held before. */
	frag(dev, "192.0.2.1", 13, 0, true, dgram, 8);
	frag(dev, "192.0.2.1", 13, 24, true, dgram, 8);
	frag(dev, "192.0.2.1", 13, 16, false, dgram, 0);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 5);
	/* The same with a non-empty last fragment. */
	frag(dev, "192.0.2.1", 14, 0, true, dgram, 8);
	frag(dev, "192.0.2.1", 14, 32, true, dgram, 8);
	frag(dev, "192.0.2.1", 14, 16, false, dgram, 8);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_OVERLAP], ov + 6);
	CHECK_EQ(st->ip.reasm.used, 0);
}

static void test_bad_fragments(struct vh_stack *st, struct vh_dev *dev)
{
	uint64_t bad = st->drops[VH_DROP_IP_FRAG_BAD];

	fill(dgram, 3000, 3);
	frag(dev, "192.0.2.1", 20, 0, true, dgram, 1001); /* not a multiple of 8 */
	frag(dev, "192.0.2.1", 20, 1000, true, dgram, 0);  /* empty, not last */
	CHECK_EQ(st->drops[VH_DROP_IP_FRAG_BAD], bad + 2);
	CHECK_EQ(st->ip.reasm.used, 0);

	/* Fragments that add up to more than 65535 with the header. */
	fill(dgram, sizeof(dgram), 4);
	reset();
	unsigned off;
	uint64_t oks = st->ip.stats.reasm_oks;
	for (off = 0; off + 1480 < 65528; off += 1480)
		frag(dev, "192.0.2.1", 21, off, true, dgram, 1480);
	frag(dev, "192.0.2.1", 21, off, false, dgram, 65528 - off);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(st->drops[VH_DROP_IP_FRAG_BAD], bad + 3);
	CHECK_EQ(st->ip.stats.reasm_oks, oks); /* refused by reassembly itself */
	CHECK_EQ(st->ip.reasm.used, 0);
	/* The largest that fits: 65515 payload bytes. */
	for (off = 0; off + 1480 < 65515; off += 1480)
		frag(dev, "192.0.2.1", 22, off, true, dgram, 1480);
	frag(dev, "192.0.2.1", 22, off, false, dgram, 65515 - off);
	CHECK(got_ok(22, dgram, 65515));
	CHECK_EQ(st->bigpool.avail, st->bigpool.total);
}

static void test_timeout(struct vh_stack *st, struct vh_dev *dev)
{
	struct wire_ipv4 ip;
	struct wire_icmp m;
	struct vh_pkt *p;
	uint64_t to = st->drops[VH_DROP_IP_REASM_TIMEOUT];

	fill(dgram, 3000, 5);
	tn_clear(dev);
	frag(dev, "192.0.2.1", 30, 0, true, dgram, 1000);    /* first held: ICMP on expiry */
	frag(dev, "192.0.2.1", 31, 1000, false, dgram, 1000); /* first missing: silent */
	tn_advance(st, &clk, REASM_TIMEOUT_NS - VH_SEC, 500 * VH_MS);
	CHECK_EQ(st->ip.reasm.used, 2);
	CHECK_EQ(tn_sent(dev), 0);
	tn_advance(st, &clk, 2 * VH_SEC, 500 * VH_MS);
	CHECK_EQ(st->ip.reasm.used, 0);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_TIMEOUT], to + 2);
	p = tn_pop_ipv4(dev, &ip);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ip.dst, tn_addr("192.0.2.1"));
		CHECK_EQ(wire_icmp_parse(ip.payload, ip.payload_len, &m), 0);
		CHECK_EQ(m.type, ICMP_TIME_EXCEEDED);
		CHECK_EQ(m.code, ICMP_EXC_FRAGTIME);
		CHECK_EQ(get_be16(m.body + 4), 30); /* quotes the first fragment's header */
		CHECK_MEM(m.body + 20, dgram, 8);   /* and its first 8 bytes */
		vh_pkt_free(p);
	}
	CHECK_EQ(tn_sent(dev), 0);
	CHECK_EQ(st->bigpool.avail, st->bigpool.total);
}

static void test_too_many(struct vh_stack *st, struct vh_dev *dev)
{
	uint64_t full = st->drops[VH_DROP_IP_REASM_FULL];

	fill(dgram, 3000, 6);
	for (uint16_t id = 100; id < 100 + REASM_MAX; id++)
		frag(dev, "192.0.2.1", id, 0, true, dgram, 1000);
	CHECK_EQ(st->ip.reasm.used, REASM_MAX);
	frag(dev, "192.0.2.1", 200, 0, true, dgram, 1000);
	CHECK_EQ(st->drops[VH_DROP_IP_REASM_FULL], full + 1);
	/* Those in progress still complete. */
	reset();
	frag(dev, "192.0.2.1", 100, 1000, false, dgram, 500);
	CHECK(got_ok(100, dgram, 1500));
	tn_advance(st, &clk, REASM_TIMEOUT_NS + VH_SEC, VH_SEC);
	CHECK_EQ(st->ip.reasm.used, 0);
	tn_clear(dev);
}

/* "ping -s 4000": a fragmented echo request is answered with a fragmented reply
 * carrying the same identifier, sequence and data. */
static void test_big_ping(struct vh_stack *st, struct vh_dev *dev)
{
	static uint8_t req[4008], got_reply[4008];
	struct wire_ipv4 ip;
	struct wire_icmp m;
	struct vh_pkt *p;
	unsigned have = 0, frags = 0;

	fill(dgram, 4000, 9);
	size_t n = tn_echo(req, 0x1234, 42, dgram, 4000);
	tn_clear(dev);
	for (unsigned off = 0; off < n; off += 1480) {
		unsigned len = n - off > 1480 ? 1480 : (unsigned)(n - off);
		frag_proto(dev, "192.0.2.1", IPPROTO_ICMP_, 77, off, off + len < n, req, len);
		if (off + len < n)
			CHECK_EQ(tn_sent(dev), 0);
	}
	while ((p = tn_pop_ipv4(dev, &ip))) {
		frags++;
		if (ip.proto == IPPROTO_ICMP_ && ip.frag_off + ip.payload_len <= sizeof(got_reply)) {
			memcpy(got_reply + ip.frag_off, ip.payload, ip.payload_len);
			have += (unsigned)ip.payload_len;
		}
		vh_pkt_free(p);
	}
	CHECK_EQ(frags, 3);
	CHECK_EQ(have, n);
	CHECK_EQ(wire_icmp_parse(got_reply, n, &m), 0); /* checksum over the whole reply */
	CHECK_EQ(m.type, ICMP_ECHOREPLY);
	CHECK_EQ(m.rest, 0x1234002au);
	CHECK_EQ(m.body_len, 4000);
	CHECK_MEM(m.body, dgram, 4000);
	CHECK_EQ(st->bigpool.avail, st->bigpool.total);
}

/* Random datagrams cut at random multiples of 8, with duplicates, interleaved
 * and shuffled, must come out byte for byte. */
static void test_differential(struct vh_stack *st, struct vh_dev *dev)
{
	static uint8_t data[SLOTS][9000];
	struct piece {
		uint16_t id;
		unsigned off, len;
		bool mf;
	} pieces[SLOTS * 2400]; /* 9000 / 8 pieces at most, and duplicates */
	unsigned bad = 0, rounds = 300;

	srand(791);
	for (unsigned r = 0; r < rounds; r++) {
		unsigned nd = 1 + (unsigned)rand() % SLOTS, np = 0;
		size_t size[SLOTS];
		reset();
		for (unsigned d = 0; d < nd; d++) {
			uint16_t id = (uint16_t)(r * SLOTS + d);
			unsigned step = 8 * (1 + (unsigned)rand() % 185);
			bool dup = false;
			size[d] = 1 + (size_t)rand() % sizeof(data[0]);
			for (size_t i = 0; i < size[d]; i++)
				data[id % SLOTS][i] = (uint8_t)rand();
			for (unsigned off = 0; off < size[d]; off += step) {
				unsigned len = size[d] - off > step ? step : (unsigned)(size[d] - off);
				pieces[np++] = (struct piece){id, off, len, off + len < size[d]};
				/* One exact duplicate of a fragment at most: a copy of every
				 * fragment, or of a whole datagram, is rightly delivered twice. */
				if (!dup && step < size[d] && rand() % 4 == 0) {
					dup = true;
					pieces[np] = pieces[np - 1];
					np++;
				}
			}
		}
		for (unsigned i = np; i > 1; i--) {
			unsigned j = (unsigned)rand() % i;
			struct piece t = pieces[i - 1];
			pieces[i - 1] = pieces[j];
			pieces[j] = t;
		}
		for (unsigned i = 0; i < np; i++)
			frag(dev, "192.0.2.1", pieces[i].id, pieces[i].off, pieces[i].mf,
			     data[pieces[i].id % SLOTS], pieces[i].len);
		for (unsigned d = 0; d < nd; d++) {
			uint16_t id = (uint16_t)(r * SLOTS + d);
			unsigned s = id % SLOTS;
			/* A duplicate of a piece after completion opens a context that times out. */
			if (got[s].n != 1 || got[s].len != size[d] || memcmp(got[s].data, data[s], size[d])) {
				fprintf(stderr, "round %u id %u size %zu: got %u of %zu\n", r, id, size[d],
					got[s].n, got[s].len);
				bad++;
			}
		}
		tn_advance(st, &clk, REASM_TIMEOUT_NS + VH_SEC, 10 * VH_SEC);
		tn_clear(dev);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(st->ip.reasm.used, 0);
	CHECK_EQ(st->bigpool.avail, st->bigpool.total);
}

int main(void)
{
	struct vh_dev *dev;
	struct vh_stack *st = tn_fixture(&clk, "reasm", &dev);

	ipv4_register(st, 253, proto253);
	test_orders(dev);
	tn_advance(st, &clk, REASM_TIMEOUT_NS + VH_SEC, VH_SEC); /* forget leftovers */
	tn_clear(dev);
	test_overlap(st, dev);
	tn_advance(st, &clk, REASM_TIMEOUT_NS + VH_SEC, VH_SEC);
	tn_clear(dev);
	test_bad_fragments(st, dev);
	test_timeout(st, dev);
	test_too_many(st, dev);
	test_big_ping(st, dev);
	test_differential(st, dev);
	vh_stack_free(st);
	return check_done();
}
