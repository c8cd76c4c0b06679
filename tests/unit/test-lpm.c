/* test-lpm.c: unit tests for the longest-prefix-match table (routing/lpm.c).
 *
 * Two halves. Hand-written cases pin the edges byte for byte: default route,
 * host routes, nesting across the 16/24 stride boundaries, deletes of inner
 * and outer prefixes, replace, host bits in prefixes, bad arguments, memory
 * going back to baseline. Then a differential test drives the table and a
 * deliberately naive model (an array scanned for the longest match) with
 * the same seeded random inserts and deletes and compares them after every
 * batch. The model is too simple to share the trie's bugs, and prefixes are
 * drawn around a few anchors so that nesting, stride-crossing and covering
 * routes are the common case rather than luck. */
#include "routing/lpm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Sanitizers that reserve huge shadow mappings: with them an address-space
 * cap cannot make just the table's allocations fail. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BIG_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define BIG_SHADOW 1
#endif
#endif

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Sentinel the out-parameter must keep when a lookup fails. */
#define UNTOUCHED 0xdeadbeefu

static uint32_t mask_of(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

/* Lookup result folded into one number: the value, or -1 for no match, so
 * one CHECK_EQ covers both the return code and the out-parameter. */
static long long look(const struct lpm *t, uint32_t addr)
{
	uint32_t v = UNTOUCHED;
	int r = lpm_lookup(t, addr, &v);

	if (r == -ENOENT && v == UNTOUCHED)
		return -1;
	if (r == 0)
		return v;
	return -2; /* wrong code, or ret_value clobbered on failure */
}

static struct lpm *new_table(void)
{
	struct lpm *t = NULL;

	if (lpm_new(&t) < 0) {
		fprintf(stderr, "lpm_new failed\n");
		exit(1);
	}
	return t;
}

static void test_empty(void)
{
	struct lpm *t = new_table();
	uint32_t v = UNTOUCHED;

	CHECK_EQ(lpm_count(t), 0);
	CHECK_EQ(look(t, 0), -1);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), -1);
	CHECK_EQ(look(t, 0xffffffffu), -1);
	CHECK_EQ(lpm_get(t, 0, 0, &v), -ENOENT);
	CHECK_EQ(v, UNTOUCHED);
	CHECK_EQ(lpm_delete(t, 0, 0), -ENOENT);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 8), -ENOENT);
	lpm_free(t);
	lpm_free(NULL);
}

static void test_invalid(void)
{
	struct lpm *t = new_table();
	uint32_t v = UNTOUCHED;

	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 33, 1), -EINVAL);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 8, LPM_VALUE_MAX + 1), -EINVAL);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 8, UINT32_MAX), -EINVAL);
	CHECK_EQ(lpm_count(t), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 1)), -1);

	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 8, LPM_VALUE_MAX), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 1)), LPM_VALUE_MAX);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 33), -EINVAL);
	CHECK_EQ(lpm_get(t, IP(10, 0, 0, 0), 33, &v), -EINVAL);
	CHECK_EQ(v, UNTOUCHED);
	CHECK_EQ(lpm_count(t), 1);
	CHECK(LPM_VALUE_MAX >= (1u << 24) - 1);
	lpm_free(t);
}

static void test_default_route(void)
{
	struct lpm *t = new_table();

	CHECK_EQ(lpm_insert(t, 0, 0, 7), 0);
	CHECK_EQ(look(t, 0), 7);
	CHECK_EQ(look(t, IP(192, 168, 1, 1)), 7);
	CHECK_EQ(look(t, 0xffffffffu), 7);

	/* Host bits of a /0 are all bits: anything names the default route. */
	CHECK_EQ(lpm_insert(t, IP(1, 2, 3, 4), 0, 8), 0);
	CHECK_EQ(lpm_count(t), 1);
	CHECK_EQ(look(t, IP(9, 9, 9, 9)), 8);

	CHECK_EQ(lpm_insert(t, IP(192, 168, 1, 0), 24, 1), 0);
	CHECK_EQ(lpm_insert(t, IP(192, 168, 1, 77), 32, 2), 0);
	CHECK_EQ(look(t, IP(192, 168, 1, 5)), 1);
	CHECK_EQ(look(t, IP(192, 168, 1, 77)), 2);
	CHECK_EQ(look(t, IP(192, 168, 2, 0)), 8);
	CHECK_EQ(look(t, IP(192, 168, 0, 255)), 8);

	CHECK_EQ(lpm_delete(t, IP(255, 0, 0, 0), 0), 0);
	CHECK_EQ(look(t, IP(192, 168, 2, 0)), -1);
	CHECK_EQ(look(t, 0), -1);
	CHECK_EQ(look(t, IP(192, 168, 1, 5)), 1);
	CHECK_EQ(look(t, IP(192, 168, 1, 77)), 2);
	CHECK_EQ(lpm_delete(t, 0, 0), -ENOENT);
	CHECK_EQ(lpm_count(t), 2);
	lpm_free(t);
}

static void test_host_routes(void)
{
	struct lpm *t = new_table();

	CHECK_EQ(lpm_insert(t, 0, 32, 1), 0);
	CHECK_EQ(lpm_insert(t, 0xffffffffu, 32, 2), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 3), 32, 3), 0);
	CHECK_EQ(look(t, 0), 1);
	CHECK_EQ(look(t, 1), -1);
	CHECK_EQ(look(t, 0xffffffffu), 2);
	CHECK_EQ(look(t, 0xfffffffeu), -1);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), 3);
	CHECK_EQ(look(t, IP(10, 1, 2, 2)), -1);
	CHECK_EQ(look(t, IP(10, 1, 2, 4)), -1);

	/* A covering /24 appears around the host route but not over it. */
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 0), 24, 4), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 2)), 4);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), 3);
	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 3), 32), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), 4);
	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 3), 32), -ENOENT);
	CHECK_EQ(lpm_count(t), 3);
	lpm_free(t);
}

/* 10/8 > 10.1/16 > 10.1.2/24 > 10.1.2.128/25 > 10.1.2.129/32, plus a /20
 * and /17 so that every level of the trie holds nested routes. */
static void insert_nest(struct lpm *t)
{
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 8, 1), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 0, 0), 16, 2), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 0), 24, 3), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 128), 25, 4), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 129), 32, 5), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 0, 0), 20, 6), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 17, 7), 0);
	CHECK_EQ(lpm_count(t), 7);
}

static void test_nested(void)
{
	struct lpm *t = new_table();

	insert_nest(t);
	CHECK_EQ(look(t, IP(9, 255, 255, 255)), -1);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), 7);
	CHECK_EQ(look(t, IP(10, 0, 127, 255)), 7);
	CHECK_EQ(look(t, IP(10, 0, 128, 0)), 1);
	CHECK_EQ(look(t, IP(10, 1, 0, 0)), 6);
	CHECK_EQ(look(t, IP(10, 1, 1, 255)), 6);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), 3);
	CHECK_EQ(look(t, IP(10, 1, 2, 127)), 3);
	CHECK_EQ(look(t, IP(10, 1, 2, 128)), 4);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 5);
	CHECK_EQ(look(t, IP(10, 1, 2, 130)), 4);
	CHECK_EQ(look(t, IP(10, 1, 2, 255)), 4);
	CHECK_EQ(look(t, IP(10, 1, 3, 0)), 6);
	CHECK_EQ(look(t, IP(10, 1, 15, 255)), 6);
	CHECK_EQ(look(t, IP(10, 1, 16, 0)), 2);
	CHECK_EQ(look(t, IP(10, 1, 255, 255)), 2);
	CHECK_EQ(look(t, IP(10, 2, 0, 0)), 1);
	CHECK_EQ(look(t, IP(10, 255, 255, 255)), 1);
	CHECK_EQ(look(t, IP(11, 0, 0, 0)), -1);

	/* Delete an inner prefix: its addresses fall to the /20 (the next
	 * shorter one), not to the /16 or /8; deeper ones are untouched. */
	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 0), 24), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), 6);
	CHECK_EQ(look(t, IP(10, 1, 2, 127)), 6);
	CHECK_EQ(look(t, IP(10, 1, 2, 128)), 4);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 5);

	/* Delete the outer /8: only addresses it alone covered go dark. */
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 8), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 1)), 7);
	CHECK_EQ(look(t, IP(10, 0, 128, 0)), -1);
	CHECK_EQ(look(t, IP(10, 2, 0, 0)), -1);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), 6);
	CHECK_EQ(look(t, IP(10, 1, 200, 0)), 2);

	/* Delete the /20 and /16 under the /25: the /25's neighbours go dark. */
	CHECK_EQ(lpm_delete(t, IP(10, 1, 0, 0), 20), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), 2);
	CHECK_EQ(lpm_delete(t, IP(10, 1, 0, 0), 16), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), -1);
	CHECK_EQ(look(t, IP(10, 1, 2, 128)), 4);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 5);
	CHECK_EQ(look(t, IP(10, 1, 2, 255)), 4);
	CHECK_EQ(look(t, IP(10, 1, 3, 0)), -1);

	/* Put the outer ones back: the deeper routes must survive that. */
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 8, 11), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 0)), 11);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 5);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), 7);
	CHECK_EQ(lpm_count(t), 4);

	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 129), 32), 0);
	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 128), 25), 0);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 17), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 11);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), 11);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 8), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), -1);
	CHECK_EQ(lpm_count(t), 0);
	lpm_free(t);
}

static void test_replace(void)
{
	struct lpm *t = new_table();
	uint32_t v = 0;

	insert_nest(t);
	/* Replacing a covered prefix changes only the slots it still owns. */
	CHECK_EQ(lpm_insert(t, IP(10, 1, 0, 0), 16, 20), 0);
	CHECK_EQ(lpm_count(t), 7);
	CHECK_EQ(look(t, IP(10, 1, 16, 0)), 20);
	CHECK_EQ(look(t, IP(10, 1, 0, 0)), 6);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 5);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 129), 32, 50), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 129)), 50);
	CHECK_EQ(look(t, IP(10, 1, 2, 130)), 4);
	CHECK_EQ(lpm_get(t, IP(10, 1, 0, 0), 16, &v), 0);
	CHECK_EQ(v, 20);
	/* Same value again is a no-op replace, not a second entry. */
	CHECK_EQ(lpm_insert(t, IP(10, 1, 0, 0), 16, 20), 0);
	CHECK_EQ(lpm_count(t), 7);
	/* A deleted-then-reinserted route takes its new value. */
	CHECK_EQ(lpm_delete(t, IP(10, 1, 0, 0), 16), 0);
	CHECK_EQ(look(t, IP(10, 1, 16, 0)), 1);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 0, 0), 16, 21), 0);
	CHECK_EQ(look(t, IP(10, 1, 16, 0)), 21);
	lpm_free(t);
}

/* Sibling prefixes with one value make a node whose slots are all alike,
 * yet each must stay deletable on its own. */
static void test_equal_siblings(void)
{
	struct lpm *t = new_table();

	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 25, 5), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 128), 25, 5), 0);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 9), 32, 9), 0);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 9), 32), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 9)), 5);
	CHECK_EQ(lpm_insert(t, IP(10, 0, 0, 0), 24, 6), 0);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 25), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), 6);
	CHECK_EQ(look(t, IP(10, 0, 0, 127)), 6);
	CHECK_EQ(look(t, IP(10, 0, 0, 128)), 5);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 24), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), -1);
	CHECK_EQ(look(t, IP(10, 0, 0, 255)), 5);

	/* The same one level up: two /17s filling a /16. */
	CHECK_EQ(lpm_insert(t, IP(20, 0, 0, 0), 17, 3), 0);
	CHECK_EQ(lpm_insert(t, IP(20, 0, 128, 0), 17, 3), 0);
	CHECK_EQ(lpm_delete(t, IP(20, 0, 128, 0), 17), 0);
	CHECK_EQ(look(t, IP(20, 0, 127, 255)), 3);
	CHECK_EQ(look(t, IP(20, 0, 128, 0)), -1);
	lpm_free(t);
}

static void test_host_bits(void)
{
	struct lpm *t = new_table();
	uint32_t v = 0;

	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 3), 8, 1), 0);
	CHECK_EQ(look(t, IP(10, 0, 0, 0)), 1);
	CHECK_EQ(look(t, IP(10, 255, 255, 255)), 1);
	CHECK_EQ(lpm_get(t, IP(10, 0, 0, 0), 8, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(lpm_get(t, IP(10, 200, 0, 0), 8, &v), 0);
	/* Same prefix spelt with other host bits replaces, not adds. */
	CHECK_EQ(lpm_insert(t, IP(10, 9, 9, 9), 8, 2), 0);
	CHECK_EQ(lpm_count(t), 1);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), 2);
	/* Same bits at another length is another prefix. */
	CHECK_EQ(lpm_get(t, IP(10, 0, 0, 0), 9, &v), -ENOENT);
	CHECK_EQ(lpm_delete(t, IP(10, 0, 0, 0), 9), -ENOENT);
	CHECK_EQ(lpm_insert(t, IP(10, 1, 2, 255), 25, 3), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 128)), 3);
	CHECK_EQ(look(t, IP(10, 1, 2, 127)), 2);
	CHECK_EQ(lpm_delete(t, IP(10, 1, 2, 200), 25), 0);
	CHECK_EQ(lpm_delete(t, IP(10, 77, 0, 1), 8), 0);
	CHECK_EQ(lpm_count(t), 0);
	CHECK_EQ(look(t, IP(10, 1, 2, 3)), -1);
	lpm_free(t);
}

/* Every prefix length around the 16 and 24 stride edges, one inside the
 * other, checked at both ends of each range and just outside. */
static void test_stride_edges(void)
{
	struct lpm *t = new_table();
	uint32_t base = IP(172, 16, 0, 0);

	for (unsigned plen = 12; plen <= 32; plen++)
		CHECK_EQ(lpm_insert(t, base, plen, 100 + plen), 0);
	for (unsigned plen = 12; plen <= 32; plen++) {
		uint32_t last = base | ~mask_of(plen);

		/* last is inside plen but outside every longer prefix. */
		CHECK_EQ(look(t, last), 100 + plen);
		if (plen > 12)
			CHECK_EQ(look(t, last + 1), 100 + plen - 1);
	}
	CHECK_EQ(look(t, base), 132);
	CHECK_EQ(look(t, base - 1), -1);
	/* Remove every other length; each gap resolves to the next shorter. */
	for (unsigned plen = 13; plen <= 32; plen += 2)
		CHECK_EQ(lpm_delete(t, base, plen), 0);
	for (unsigned plen = 13; plen <= 32; plen += 2)
		CHECK_EQ(look(t, base | ~mask_of(plen)), 100 + plen - 1);
	CHECK_EQ(look(t, base), 132);
	lpm_free(t);
}

static void test_memory(void)
{
	struct lpm *t = new_table();
	size_t empty = lpm_memory(t);

	/* A small host's table must stay small (the root level is 256 KiB). */
	CHECK(empty < 512 * 1024);
	CHECK_EQ(lpm_insert(t, 0, 0, 1), 0);
	CHECK_EQ(lpm_insert(t, IP(192, 168, 1, 0), 24, 2), 0);
	CHECK_EQ(lpm_insert(t, IP(192, 168, 1, 1), 32, 3), 0);
	printf("memory: empty %zu B, 3 routes %zu B\n", empty, lpm_memory(t));
	CHECK(lpm_memory(t) < 1024 * 1024);

	/* Growth is bounded by use and given back when the routes go. */
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 2000; i++)
			CHECK_EQ(lpm_insert(t, i * 0x10001u << 3, 30, i), 0);
		CHECK_EQ(lpm_count(t), 2003);
		for (uint32_t i = 0; i < 2000; i++)
			CHECK_EQ(lpm_delete(t, i * 0x10001u << 3, 30), 0);
		CHECK_EQ(lpm_count(t), 3);
		CHECK(lpm_memory(t) < 1024 * 1024);
	}
	CHECK_EQ(look(t, IP(192, 168, 1, 1)), 3);
	CHECK_EQ(lpm_delete(t, 0, 0), 0);
	CHECK_EQ(lpm_delete(t, IP(192, 168, 1, 0), 24), 0);
	CHECK_EQ(lpm_delete(t, IP(192, 168, 1, 1), 32), 0);
	CHECK_EQ(lpm_memory(t), empty);
	lpm_free(t);
}

/* ---- differential test against a naive model ---- */

struct rng {
	uint64_t s;
};

/* splitmix64: tiny, seedable, and good enough to drive test cases. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

#define MODEL_MAX 4096
#define ANCHORS 8

struct model_route {
	uint32_t prefix;
	unsigned plen;
	uint32_t value;
};

struct model {
	struct model_route r[MODEL_MAX];
	size_t n;
	uint32_t anchor[ANCHORS];
};

static long long model_lookup(const struct model *m, uint32_t addr)
{
	long long best = -1;
	int best_len = -1;

	/* This scan dominates the test's runtime, so keep it call-free; the
	 * 64-bit shift makes /0 an all-zero mask without a special case. */
	for (const struct model_route *r = m->r; r < m->r + m->n; r++) {
		if ((addr & (uint32_t)(~0ull << (32 - r->plen))) == r->prefix &&
		    (int)r->plen > best_len) {
			best_len = (int)r->plen;
			best = r->value;
		}
	}
	return best;
}

static struct model_route *model_find(struct model *m, uint32_t prefix, unsigned plen)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].plen == plen && m->r[i].prefix == (prefix & mask_of(plen)))
			return &m->r[i];
	return NULL;
}

/* Addresses near a handful of anchors, so random prefixes nest and share
 * nodes; a quarter are uniform so sparse parts of the root get used too. */
static uint32_t gen_addr(struct rng *r, const struct model *m)
{
	uint32_t a = m->anchor[rng_below(r, ANCHORS)];

	switch (rng_below(r, 4)) {
	case 0:
		return (uint32_t)rng_next(r);
	case 1:
		return a ^ (uint32_t)(rng_next(r) & 0xffffff);
	case 2:
		return a ^ (uint32_t)(rng_next(r) & 0xfff);
	default:
		return a ^ (uint32_t)(rng_next(r) & 0x3);
	}
}

/* Mostly /8../32; now and then shorter, down to the default route. */
static unsigned gen_plen(struct rng *r)
{
	if (rng_below(r, 100) < 4)
		return rng_below(r, 8);
	return 8 + rng_below(r, 25);
}

/* The edges of prefix/plen and one address either side of it. */
static void check_edges(const struct lpm *t, const struct model *m, uint32_t prefix, unsigned plen,
			int *bad)
{
	uint32_t first = prefix & mask_of(plen), last = first | ~mask_of(plen);
	uint32_t probe[4] = {first, last, first - 1, last + 1};

	for (int i = 0; i < 4; i++) {
		long long want = model_lookup(m, probe[i]), got = look(t, probe[i]);

		if (want != got && (*bad)++ < 5)
			fprintf(stderr, "edge of %08x/%u: lookup %08x = %lld, model %lld\n", prefix,
				plen, probe[i], got, want);
		CHECK_EQ(got, want);
	}
}

static void check_against_model(const struct lpm *t, const struct model *m, struct rng *r,
				const struct model_route *touched, size_t ntouched)
{
	int bad = 0;

	CHECK_EQ(lpm_count(t), m->n);
	for (size_t i = 0; i < m->n; i++) {
		uint32_t v = UNTOUCHED;

		CHECK_EQ(lpm_get(t, m->r[i].prefix | ~mask_of(m->r[i].plen), m->r[i].plen, &v), 0);
		CHECK_EQ(v, m->r[i].value);
	}
	for (size_t i = 0; i < ntouched; i++)
		check_edges(t, m, touched[i].prefix, touched[i].plen, &bad);
	for (int i = 0; i < 16 && m->n; i++) {
		const struct model_route *mr = &m->r[rng_below(r, (uint32_t)m->n)];

		check_edges(t, m, mr->prefix, mr->plen, &bad);
	}
	for (int i = 0; i < 120; i++) {
		uint32_t a = gen_addr(r, m);
		long long want = model_lookup(m, a), got = look(t, a);

		if (want != got && bad++ < 5)
			fprintf(stderr, "lookup %08x = %lld, model %lld\n", a, got, want);
		CHECK_EQ(got, want);
	}
}

/* One random insert or delete on both table and model; returns the prefix
 * touched so its edges get checked. delete_pct steers the table's size. */
static struct model_route random_op(struct lpm *t, struct model *m, struct rng *r,
				    unsigned delete_pct)
{
	struct model_route op = {gen_addr(r, m), gen_plen(r), rng_below(r, LPM_VALUE_MAX + 1)};
	struct model_route *hit;

	if (rng_below(r, 100) < delete_pct || m->n == MODEL_MAX) {
		/* Mostly delete something stored (spelt with random host bits),
		 * sometimes something that probably is not. */
		if (m->n && rng_below(r, 4)) {
			hit = &m->r[rng_below(r, (uint32_t)m->n)];
			op.plen = hit->plen;
			op.prefix = hit->prefix | (op.prefix & ~mask_of(hit->plen));
		}
		hit = model_find(m, op.prefix, op.plen);
		CHECK_EQ(lpm_delete(t, op.prefix, op.plen), hit ? 0 : -ENOENT);
		if (hit)
			*hit = m->r[--m->n];
	} else {
		hit = model_find(m, op.prefix, op.plen);
		CHECK_EQ(lpm_insert(t, op.prefix, op.plen, op.value), 0);
		if (!hit) {
			hit = &m->r[m->n++];
			hit->prefix = op.prefix & mask_of(op.plen);
			hit->plen = op.plen;
		}
		hit->value = op.value;
	}
	return op;
}

static void test_differential(uint64_t seed)
{
	/* Phases: grow to ~1000 routes, churn, then drain to empty. */
	static const struct {
		unsigned delete_pct, batches;
	} phase[] = {{25, 100}, {50, 100}, {90, 100}};
	struct model *m = calloc(1, sizeof(*m));
	struct lpm *t = new_table();
	struct rng r = {seed};
	size_t empty = lpm_memory(t), peak = 0, ops = 0;
	unsigned fails_before = (unsigned)check_failures;

	if (!m)
		exit(1);
	for (int i = 0; i < ANCHORS; i++)
		m->anchor[i] = (uint32_t)rng_next(&r);
	for (size_t p = 0; p < sizeof(phase) / sizeof(phase[0]); p++) {
		for (unsigned b = 0; b < phase[p].batches; b++) {
			struct model_route touched[25];

			for (size_t i = 0; i < 25; i++)
				touched[i] = random_op(t, m, &r, phase[p].delete_pct);
			ops += 25;
			check_against_model(t, m, &r, touched, 25);
			if (lpm_memory(t) > peak)
				peak = lpm_memory(t);
		}
		/* A full sweep of every address around one anchor. */
		for (uint32_t a = 0; a < 4096; a++) {
			uint32_t addr = (m->anchor[p] & ~0xfffu) | a;

			CHECK_EQ(look(t, addr), model_lookup(m, addr));
		}
	}
	/* Drain whatever is left: memory must return to an empty table's. */
	while (m->n) {
		CHECK_EQ(lpm_delete(t, m->r[m->n - 1].prefix, m->r[m->n - 1].plen), 0);
		m->n--;
	}
	check_against_model(t, m, &r, NULL, 0);
	CHECK_EQ(lpm_memory(t), empty);
	printf("differential seed %llu: %zu ops, peak memory %zu B%s\n", (unsigned long long)seed,
	       ops, peak, (unsigned)check_failures == fails_before ? "" : " FAILED");
	lpm_free(t);
	free(m);
}

/* ---- allocation failure ---- */

#ifndef BIG_SHADOW
static long vm_bytes(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &pages) != 1)
		pages = -1;
	fclose(f);
	return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

/* In a child capped by RLIMIT_AS: insert routes that each need new nodes
 * until -ENOMEM, then check that the failed insert left the table exactly
 * as it was and that it still works. Returns the failures seen here. */
static int enomem_child(void)
{
	enum { N = 1 << 20 };
	uint32_t *keys = calloc(N, sizeof(*keys));
	struct lpm *t = new_table();
	struct rlimit lim;
	long vm = vm_bytes();
	int fails_before = check_failures;
	uint32_t v = UNTOUCHED;
	size_t n = 0;
	int err = 0;

	if (!keys || vm < 0)
		return 1;
	CHECK_EQ(lpm_insert(t, 0, 0, 0), 0);
	lim.rlim_cur = lim.rlim_max = (rlim_t)vm + (32 << 20);
	if (setrlimit(RLIMIT_AS, &lim) < 0)
		return 1;
	/* /32s spread over distinct /16s: two 1 KiB nodes per route. */
	for (n = 0; n < N; n++) {
		keys[n] = (uint32_t)(n * 0x9e3779b1u) | 1;
		err = lpm_insert(t, keys[n], 32, (uint32_t)n + 1);
		if (err)
			break;
	}
	CHECK_EQ(err, -ENOMEM);
	CHECK(n > 1000);
	CHECK_EQ(lpm_count(t), n + 1);
	CHECK_EQ(look(t, keys[n]), 0);
	CHECK_EQ(lpm_get(t, keys[n], 32, &v), -ENOENT);
	CHECK_EQ(v, UNTOUCHED);
	for (size_t i = 0; i < n; i++)
		if (look(t, keys[i]) != (long long)i + 1)
			CHECK_EQ(look(t, keys[i]), i + 1);
	/* Room freed by deletes is reused, so inserts work again. */
	for (size_t i = 0; i < 64; i++)
		CHECK_EQ(lpm_delete(t, keys[i], 32), 0);
	CHECK_EQ(lpm_insert(t, keys[n], 32, 7), 0);
	CHECK_EQ(look(t, keys[n]), 7);
	printf("enomem: -ENOMEM after %zu routes, table intact\n", n);
	fflush(stdout);
	lpm_free(t);
	free(keys);
	return check_failures - fails_before;
}
#endif

static void test_enomem(void)
{
#ifdef BIG_SHADOW
	/* The plain and UBSan-only builds cover this. */
	printf("enomem: skipped under a shadow-memory sanitizer\n");
#else
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(enomem_child() ? 1 : 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

int main(void)
{
	test_empty();
	test_invalid();
	test_default_route();
	test_host_routes();
	test_nested();
	test_replace();
	test_equal_siblings();
	test_host_bits();
	test_stride_edges();
	test_memory();
	test_differential(1);
	test_differential(0x5eed);
	test_differential(0xc0ffee);
	test_enomem();
	return check_done();
}
