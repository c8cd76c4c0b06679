/* test-pkt.c: packet pools, headroom and tailroom, bounded queues. */
#include "check.h"
#include "testnic.h"

static void test_pool_exhaustion(struct vh_stack *st)
{
	enum { MAX = 2048 };
	static struct vh_pkt *held[MAX];
	unsigned n = 0, small = st->pool.total, big = st->bigpool.total;

	CHECK_EQ(st->pool.avail, small);
	while (n < MAX && (held[n] = vh_pkt_alloc(st, 100)))
		n++;
	/* Small requests fall back on the big pool when the small one is dry. */
	CHECK_EQ(n, small + big);
	CHECK_EQ(st->pool.avail, 0);
	CHECK_EQ(st->bigpool.avail, 0);
	CHECK_EQ(st->pool.low, 0);
	CHECK(st->pool.fails >= 1);
	CHECK(st->bigpool.fails >= 1);
	uint64_t fails = st->pool.fails;
	CHECK(vh_pkt_alloc(st, 100) == NULL);
	CHECK_EQ(st->pool.fails, fails + 1);
	CHECK(held[0]->pool == &st->pool);
	CHECK(held[n - 1]->pool == &st->bigpool);
	while (n)
		vh_pkt_free(held[--n]);
	CHECK_EQ(st->pool.avail, small);
	CHECK_EQ(st->bigpool.avail, big);
	struct vh_pkt *p = vh_pkt_alloc(st, 100);
	CHECK(p != NULL);
	vh_pkt_free(p);
	vh_pkt_free(NULL); /* harmless */
}

static void test_room(struct vh_stack *st)
{
	struct vh_pkt *p = vh_pkt_alloc(st, 64);
	uint8_t *d;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(p->len, 0);
	CHECK_EQ(vh_pkt_headroom(p), VH_PKT_HEADROOM);
	CHECK_EQ(vh_pkt_tailroom(p), VH_PKT_SMALL);
	d = vh_pkt_put(p, 100);
	CHECK(d == p->data);
	CHECK_EQ(p->len, 100);
	CHECK(vh_pkt_put(p, VH_PKT_SMALL - 100 + 1) == NULL); /* one byte too many */
	CHECK_EQ(p->len, 100);
	CHECK(vh_pkt_put(p, VH_PKT_SMALL - 100) != NULL);
	CHECK_EQ(vh_pkt_tailroom(p), 0);
	CHECK(vh_pkt_put(p, 1) == NULL);
	vh_pkt_trim(p, 10);
	CHECK_EQ(p->len, 10);
	vh_pkt_trim(p, 50); /* never grows */
	CHECK_EQ(p->len, 10);
	CHECK(vh_pkt_push(p, 14) == d - 14);
	CHECK_EQ(p->len, 24);
	CHECK(vh_pkt_push(p, VH_PKT_HEADROOM - 14 + 1) == NULL);
	CHECK(vh_pkt_push(p, VH_PKT_HEADROOM - 14) == p->buf);
	CHECK_EQ(vh_pkt_headroom(p), 0);
	CHECK(vh_pkt_push(p, 1) == NULL);
	CHECK(vh_pkt_pull(p, VH_PKT_HEADROOM - 14) == d - 14);
	CHECK_EQ(p->len, 24);

	/* A clone copies bytes and metadata; l3 keeps its offset. */
	memset(p->data, 0xab, p->len);
	p->l3 = p->data + 14;
	p->flags = VH_PKT_F_L2_BCAST;
	struct vh_pkt *c = vh_pkt_clone(st, p);
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ(c->len, 24);
		CHECK_MEM(c->data, p->data, 24);
		CHECK(c->l3 == c->data + 14);
		CHECK_EQ(c->flags, VH_PKT_F_L2_BCAST);
		vh_pkt_free(c);
	}
	vh_pkt_free(p);
}

static void test_big(struct vh_stack *st)
{
	struct vh_pkt *p = vh_pkt_alloc(st, 3000);

	CHECK(p != NULL && p->pool == &st->bigpool);
	if (p) {
		CHECK(vh_pkt_put(p, IPV4_HDR_MAX + IPV4_MAX_LEN) != NULL);
		vh_pkt_free(p);
	}
	CHECK(vh_pkt_alloc(st, VH_PKT_BIG + 1) == NULL);
	CHECK(vh_pkt_alloc(st, UINT32_MAX) == NULL); /* no wrap-around into a small buffer */
	CHECK(vh_pkt_alloc(st, UINT32_MAX - VH_PKT_HEADROOM + 1) == NULL);
	p = vh_pkt_alloc(st, VH_PKT_BIG);
	CHECK(p != NULL);
	vh_pkt_free(p);
	CHECK_EQ(st->bigpool.avail, st->bigpool.total);
}

static void test_queue(struct vh_stack *st)
{
	struct vh_pktq q;
	struct vh_pkt *p[4];

	vh_pktq_init(&q, 3);
	for (int i = 0; i < 4; i++) {
		p[i] = vh_pkt_alloc(st, 10);
		p[i]->len = (uint32_t)i;
	}
	CHECK(vh_pktq_pop(&q) == NULL);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(vh_pktq_push(&q, p[i]), 0);
	CHECK_EQ(vh_pktq_push(&q, p[3]), -ENOBUFS);
	CHECK_EQ(q.len, 3);
	CHECK(vh_pktq_pop(&q) == p[0]);
	CHECK(p[0]->next == NULL);
	CHECK_EQ(vh_pktq_push(&q, p[3]), 0);
	CHECK(vh_pktq_pop(&q) == p[1]);
	CHECK(vh_pktq_pop(&q) == p[2]);
	CHECK(vh_pktq_pop(&q) == p[3]);
	CHECK(vh_pktq_pop(&q) == NULL);
	CHECK(q.head == NULL && q.tail == NULL && q.len == 0);
	unsigned avail = st->pool.avail;
	for (int i = 0; i < 3; i++)
		vh_pktq_push(&q, p[i]);
	vh_pkt_free(p[3]);
	vh_pktq_purge(&q);
	CHECK_EQ(q.len, 0);
	CHECK_EQ(st->pool.avail, avail + 4);
}

int main(void)
{
	struct tn_clock clk = {0};
	struct vh_stack *st = tn_stack_new(&clk, "pkt");

	test_pool_exhaustion(st);
	test_room(st);
	test_big(st);
	test_queue(st);
	CHECK_EQ(st->pool.avail, st->pool.total);
	vh_stack_free(st);
	return check_done();
}
