/* test-route.c: the route table: connected routes, static routes via
 * gateways, metrics and ties, deletion, gateway reachability, and a
 * differential test against a naive list scan.
 *
 *   test0 192.0.2.2/24 (gateways 192.0.2.1, .3, .4)    test1 198.18.0.2/16 */
#include "check.h"
#include "testnic.h"

static struct tn_clock clk;

static int lookup(struct vh_stack *st, const char *dst, struct rt_result *r)
{
	memset(r, 0, sizeof(*r));
	return rt_lookup(st, tn_addr(dst), r);
}

static void test_connected(struct vh_stack *st, struct vh_dev *d0, struct vh_dev *d1)
{
	struct rt_result r;

	CHECK_EQ(lookup(st, "192.0.2.77", &r), 0);
	CHECK(r.dev == d0);
	CHECK(r.iface && r.iface->addr == tn_addr("192.0.2.2"));
	CHECK_EQ(r.nexthop, tn_addr("192.0.2.77"));
	CHECK(r.route && (r.route->flags & RT_F_CONNECTED) && r.route->plen == 24);
	CHECK_EQ(lookup(st, "198.18.200.1", &r), 0);
	CHECK(r.dev == d1);
	CHECK_EQ(lookup(st, "203.0.113.1", &r), -ENETUNREACH);
	uint64_t misses = st->rt.misses;
	lookup(st, "203.0.113.1", &r);
	CHECK_EQ(st->rt.misses, misses + 1);
	/* A second address on the same subnet does not duplicate the route; removing one
	 * address keeps it, removing the last drops it. */
	unsigned count = st->rt.count;
	CHECK_EQ(vh_iface_add(st, d1, tn_addr("198.18.0.3"), 16, NULL), 0);
	CHECK_EQ(st->rt.count, count);
	CHECK_EQ(vh_iface_del(st, d1, tn_addr("198.18.0.3")), 0);
	CHECK_EQ(lookup(st, "198.18.200.1", &r), 0);
	CHECK_EQ(vh_iface_add(st, d1, tn_addr("100.64.0.1"), 10, NULL), 0);
	CHECK_EQ(lookup(st, "100.100.1.1", &r), 0);
	CHECK_EQ(vh_iface_del(st, d1, tn_addr("100.64.0.1")), 0);
	CHECK_EQ(lookup(st, "100.100.1.1", &r), -ENETUNREACH);
	CHECK_EQ(st->rt.count, count);
	/* Nested subnets on one NIC: each address keeps its own connected route, and
	 * removing one removes its route, not the other's. */
	CHECK_EQ(vh_iface_add(st, d1, tn_addr("10.0.0.1"), 8, NULL), 0);
	CHECK_EQ(vh_iface_add(st, d1, tn_addr("10.0.0.2"), 24, NULL), 0);
	CHECK_EQ(vh_iface_del(st, d1, tn_addr("10.0.0.1")), 0);
	CHECK_EQ(lookup(st, "10.5.5.5", &r), -ENETUNREACH);
	CHECK_EQ(lookup(st, "10.0.0.9", &r), 0);
	CHECK_EQ(vh_iface_add(st, d1, tn_addr("10.0.0.1"), 8, NULL), 0);
	CHECK_EQ(vh_iface_del(st, d1, tn_addr("10.0.0.2")), 0);
	CHECK_EQ(lookup(st, "10.0.0.9", &r), 0);
	CHECK(r.route && r.route->plen == 8);
	CHECK_EQ(vh_iface_del(st, d1, tn_addr("10.0.0.1")), 0);
	CHECK_EQ(st->rt.count, count);
	tn_clear(d0);
	tn_clear(d1);
}

static void test_static(struct vh_stack *st, struct vh_dev *d0)
{
	struct rt_result r;
	struct vh_err err;
	uint32_t gw1 = tn_addr("192.0.2.1"), gw3 = tn_addr("192.0.2.3"), gw4 = tn_addr("192.0.2.4");
	uint32_t net = tn_addr("198.51.100.0");

	CHECK_EQ(rt_add(st, net, 24, gw1, NULL, 10, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK(r.dev == d0);
	CHECK_EQ(r.nexthop, gw1);
	CHECK(r.iface && r.iface->addr == tn_addr("192.0.2.2"));
	/* A better metric wins; equal metrics keep the first. */
	CHECK_EQ(rt_add(st, net, 24, gw3, NULL, 5, RT_F_STATIC, &err), 0);
	CHECK_EQ(rt_add(st, net, 24, gw4, NULL, 5, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK_EQ(r.nexthop, gw3);
	CHECK_EQ(rt_del(st, net, 24, gw3, NULL, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK_EQ(r.nexthop, gw4);
	CHECK_EQ(rt_del(st, net, 24, gw4, NULL, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK_EQ(r.nexthop, gw1);
	/* A more specific prefix, then deleted: the shorter one is back. */
	CHECK_EQ(rt_add(st, tn_addr("198.51.100.0"), 25, gw4, NULL, 100, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK_EQ(r.nexthop, gw4);
	CHECK_EQ(lookup(st, "198.51.100.200", &r), 0);
	CHECK_EQ(r.nexthop, gw1);
	CHECK_EQ(rt_del(st, tn_addr("198.51.100.0"), 25, 0, NULL, &err), 0);
	CHECK_EQ(lookup(st, "198.51.100.5", &r), 0);
	CHECK_EQ(r.nexthop, gw1);
	/* The connected route beats a static one to the same prefix at the same metric. */
	CHECK_EQ(rt_add(st, tn_addr("192.0.2.0"), 24, gw1, NULL, 0, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "192.0.2.77", &r), 0);
	CHECK_EQ(r.nexthop, tn_addr("192.0.2.77"));
	CHECK_EQ(rt_del(st, tn_addr("192.0.2.0"), 24, gw1, NULL, &err), 0);
	/* Default route. */
	CHECK_EQ(rt_add(st, 0, 0, gw1, NULL, 0, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "203.0.113.1", &r), 0);
	CHECK_EQ(r.nexthop, gw1);
	CHECK_EQ(rt_del(st, 0, 0, 0, NULL, &err), 0);
	CHECK_EQ(lookup(st, "203.0.113.1", &r), -ENETUNREACH);

	/* A gateway with no connected route is unusable: the next route to the prefix serves. */
	uint32_t far = tn_addr("203.0.113.0");
	CHECK_EQ(rt_add(st, far, 24, tn_addr("10.9.9.9"), NULL, 1, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "203.0.113.1", &r), -ENETUNREACH);
	CHECK_EQ(rt_add(st, far, 24, gw3, NULL, 2, RT_F_STATIC, &err), 0);
	CHECK_EQ(lookup(st, "203.0.113.1", &r), 0);
	CHECK_EQ(r.nexthop, gw3);
	CHECK_EQ(rt_del(st, far, 24, 0, NULL, &err), 0); /* both */
	CHECK_EQ(lookup(st, "203.0.113.1", &r), -ENETUNREACH);

	/* Errors name the cause. */
	CHECK_EQ(rt_add(st, tn_addr("198.51.100.1"), 24, gw1, NULL, 0, 0, &err), -EINVAL);
	CHECK(strstr(err.msg, "198.51.100.1/24 has host bits set") != NULL);
	CHECK_EQ(rt_add(st, net, 33, gw1, NULL, 0, 0, &err), -EINVAL);
	CHECK_EQ(rt_add(st, net, 24, 0, NULL, 0, 0, &err), -EINVAL);
	CHECK_EQ(rt_add(st, net, 24, gw1, NULL, 10, RT_F_STATIC, &err), -EEXIST);
	CHECK_EQ(rt_del(st, tn_addr("198.51.99.0"), 24, 0, NULL, &err), -ENOENT);
	CHECK(strstr(err.msg, "no route 198.51.99.0/24") != NULL);
	CHECK_EQ(rt_del(st, net, 24, gw4, NULL, &err), -ENOENT);
	CHECK_EQ(rt_del(st, net, 24, gw1, NULL, &err), 0);
}

/* The naive reference: every live route in a list; the answer is the longest
 * matching prefix, and among its routes the lowest metric, first added on ties. */
struct nroute {
	bool live;
	uint32_t prefix, gw, metric;
	unsigned plen, seq;
};

static uint32_t mask(unsigned plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

static const struct nroute *naive(const struct nroute *t, unsigned n, uint32_t dst)
{
	const struct nroute *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		const struct nroute *e = &t[i];
		if (!e->live || (dst & mask(e->plen)) != e->prefix)
			continue;
		if (!best || e->plen > best->plen ||
		    (e->plen == best->plen &&
		     (e->metric < best->metric || (e->metric == best->metric && e->seq < best->seq))))
			best = e;
	}
	return best;
}

static uint32_t rand_addr(void)
{
	static const uint8_t tops[] = {10, 172, 198};
	uint32_t h = (uint32_t)tops[rand() % 3] << 24 | ((uint32_t)rand() & 0xffffff);
	if (rand() % 2)
		h &= 0xffff00ffu | ((uint32_t)(rand() % 4) << 8); /* crowd some prefixes */
	return htonl(h);
}

static void test_differential(struct vh_stack *st)
{
	enum { MAXR = 3000 };
	static struct nroute t[MAXR];
	const uint32_t gws[3] = {tn_addr("192.0.2.1"), tn_addr("192.0.2.3"), tn_addr("192.0.2.4")};
	unsigned n = 0, seq = 1, bad_add = 0, bad_lookup = 0, lookups = 0;

	/* The connected routes of main() take part: gateway 0 means on-link. */
	t[n++] = (struct nroute){true, tn_addr("192.0.2.0"), 0, 0, 24, 0};
	t[n++] = (struct nroute){true, tn_addr("198.18.0.0"), 0, 0, 16, 0};

	srand(4632);
	for (int step = 0; step < 20000; step++) {
		int op = rand() % 10;
		if (op < 4 && n < MAXR) {
			unsigned plen = (unsigned)(rand() % 33);
			struct nroute e = {true, rand_addr() & mask(plen), gws[rand() % 3],
					   (uint32_t)(rand() % 3), plen, seq++};
			bool dup = false;
			for (unsigned i = 0; i < n; i++)
				dup |= t[i].live && t[i].prefix == e.prefix && t[i].plen == plen &&
				       t[i].gw == e.gw && t[i].metric == e.metric;
			int r = rt_add(st, e.prefix, plen, e.gw, NULL, e.metric, RT_F_STATIC, NULL);
			if (r != (dup ? -EEXIST : 0))
				bad_add++;
			if (!dup)
				t[n++] = e;
		} else if (op < 6 && n > 2) {
			/* Not the connected routes: every gateway must stay reachable. */
			struct nroute *v = &t[2 + rand() % (n - 2)];
			if (!v->live)
				continue;
			bool by_gw = rand() % 2;
			if (rt_del(st, v->prefix, v->plen, by_gw ? v->gw : 0, NULL, NULL) != 0)
				bad_add++;
			uint32_t p = v->prefix, g = v->gw;
			unsigned pl = v->plen;
			for (unsigned i = 0; i < n; i++)
				if (t[i].live && t[i].prefix == p && t[i].plen == pl && (!by_gw || t[i].gw == g))
					t[i].live = false;
		} else {
			uint32_t dst = rand_addr();
			struct rt_result r;
			const struct nroute *want = naive(t, n, dst);
			int rc = rt_lookup(st, dst, &r);
			lookups++;
			if (!want) {
				bad_lookup += rc != -ENETUNREACH;
				continue;
			}
			if (rc != 0 || r.route->prefix != want->prefix || r.route->plen != want->plen ||
			    r.nexthop != (want->gw ? want->gw : dst) || r.route->metric != want->metric) {
				char a[VH_ADDR_STR];
				fprintf(stderr, "lookup %s: rc %d, /%u metric %u\n", vh_addr_str(dst, a), rc,
					rc ? 0 : r.route->plen, rc ? 0 : r.route->metric);
				bad_lookup++;
			}
		}
	}
	CHECK_EQ(bad_add, 0);
	CHECK_EQ(bad_lookup, 0);
	CHECK(lookups > 5000);
}

int main(void)
{
	struct vh_stack *st = tn_stack_new(&clk, "route");
	struct vh_dev *d0 = tn_nic(st, "test0", 2, "192.0.2.2/24");
	struct vh_dev *d1 = tn_nic(st, "test1", 3, "198.18.0.2/16");

	test_connected(st, d0, d1);
	test_static(st, d0);
	test_differential(st);
	vh_stack_free(st);
	return check_done();
}
