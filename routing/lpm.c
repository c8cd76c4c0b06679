/* lpm.c: IPv4 longest-prefix match as a 16-8-8 multibit trie.
 *
 * Shape. A root array of 2^16 slots is indexed by the top 16 address bits;
 * a slot either holds a route or points at a 256-slot node for the next 8
 * bits, whose slots may point at a third-level node for the last 8 bits. A
 * lookup is therefore at most three dependent loads and two predictable
 * branches, whatever the table size. Routes are expanded into every slot
 * they cover (controlled prefix expansion), so no backtracking is needed.
 *
 * Why not DIR-24-8: its first level alone is 2^24 slots (64 MiB), which a
 * host with three routes cannot justify. The 16-bit root costs 256 KiB and
 * every other byte is allocated only for /17 and longer prefixes, so memory
 * grows with the table. Why not a compressed trie (poptrie and friends):
 * smaller and faster for huge tables, but each update rebuilds compressed
 * nodes; 16-8-8 keeps updates a plain in-place fill and is simple to trust.
 *
 * Slot format (32 bits): bit 31 says "child node", and then the low 24 bits
 * are the node index; otherwise bit 30 says "route here", bits 24-29 are
 * the length of the prefix that wrote the slot and the low 24 bits are its
 * value. An empty slot is 0, i.e. depth 0, so "overwrite slots whose depth
 * is <= plen" is the whole insert rule and also fills empty slots.
 *
 * Deletes. The trie alone forgets prefixes that longer ones fully cover, so
 * the exact prefix set also lives in a hash table (prefix, plen) -> value.
 * Deleting p/len asks that table for the longest stored prefix shorter than
 * len covering p (at most 32 probes), then rewrites the slots p/len still
 * owns (depth == len) with it. Nodes left holding nothing longer than their
 * parent's stride are folded back into the parent slot, so the node count
 * tracks the prefix set.
 *
 * Nodes come from one array grown with realloc and addressed by index (24
 * bits, so a slot stays 32 bits); freed nodes go on a free list threaded
 * through their first slot, and the array is repacked smaller once most of
 * it is free, so memory follows the table down as well as up. Every
 * allocation an insert needs is made before the first slot changes, so
 * -ENOMEM always leaves the table as it was. */
#include "lpm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LPM_EXT 0x80000000u
#define LPM_VALID 0x40000000u
#define LPM_DEPTH_SHIFT 24
#define LPM_DEPTH_MASK 0x3fu
#define LPM_PAYLOAD 0x00ffffffu

#define LPM_ROOT_BITS 16
#define LPM_ROOT_SHIFT (32 - LPM_ROOT_BITS)
#define LPM_NODE_BITS 8
#define LPM_NODE_SLOTS (1u << LPM_NODE_BITS)
/* A node index must fit the 24-bit payload of a slot. */
#define LPM_MAX_NODES (1u << 24)
#define LPM_NO_NODE UINT32_MAX
/* Smallest node array worth allocating (64 KiB); also the trim floor. */
#define LPM_NODES_MIN 64u

/* Smallest rule table; it never shrinks below this. */
#define LPM_RULES_MIN_BITS 4

/* One stored prefix. ent uses the slot format (always with LPM_VALID), so
 * the table can hand a covering route straight to the trie; 0 is empty. */
struct lpm_rule {
	uint32_t prefix;
	uint32_t ent;
};

struct lpm {
	uint32_t *nodes;    /* node i is nodes[i * 256 .. i * 256 + 255] */
	uint32_t node_cap;  /* nodes the array has room for */
	uint32_t node_top;  /* nodes ever handed out; the rest is unused room */
	uint32_t node_free; /* free-list head or LPM_NO_NODE */
	uint32_t node_nfree;

	struct lpm_rule *rules; /* open addressing, linear probing */
	unsigned rule_bits;	/* capacity is 1 << rule_bits */
	size_t rule_count;

	uint32_t root[1u << LPM_ROOT_BITS];
};

static inline uint32_t lpm_mask(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

static inline unsigned lpm_depth(uint32_t ent)
{
	return (ent >> LPM_DEPTH_SHIFT) & LPM_DEPTH_MASK;
}

static inline uint32_t lpm_leaf(uint32_t value, unsigned plen)
{
	return LPM_VALID | (uint32_t)plen << LPM_DEPTH_SHIFT | value;
}

/* Offset of the first slot of the node an LPM_EXT slot points at. */
static inline size_t lpm_base(uint32_t ent)
{
	return (size_t)(ent & LPM_PAYLOAD) << LPM_NODE_BITS;
}

/* ---- prefix set: (prefix, plen) -> slot-format entry ---- */

static size_t lpm_rule_home(uint32_t prefix, unsigned plen, unsigned bits)
{
	/* Fibonacci hashing: the multiply carries every key bit into the top
	 * bits, which matters because masked prefixes end in long zero runs. */
	uint64_t k = ((uint64_t)prefix << 6 | plen) * 0x9e3779b97f4a7c15ull;

	return (size_t)(k >> (64 - bits));
}

static struct lpm_rule *lpm_rule_find(const struct lpm *t, uint32_t prefix, unsigned plen)
{
	size_t mask = ((size_t)1 << t->rule_bits) - 1;
	size_t i = lpm_rule_home(prefix, plen, t->rule_bits);

	/* The load factor stays below 3/4, so an empty slot ends every probe. */
	for (;; i = (i + 1) & mask) {
		struct lpm_rule *r = &t->rules[i];

		if (!r->ent)
			return NULL;
		if (r->prefix == prefix && lpm_depth(r->ent) == plen)
			return r;
	}
}

static void lpm_rule_place(struct lpm_rule *rules, unsigned bits, struct lpm_rule r)
{
	size_t mask = ((size_t)1 << bits) - 1;
	size_t i = lpm_rule_home(r.prefix, lpm_depth(r.ent), bits);

	while (rules[i].ent)
		i = (i + 1) & mask;
	rules[i] = r;
}

static int lpm_rules_resize(struct lpm *t, unsigned bits)
{
	size_t old_cap = (size_t)1 << t->rule_bits;
	struct lpm_rule *rules;

	if (bits >= sizeof(size_t) * 8 - 4)
		return -ENOMEM;
	rules = calloc((size_t)1 << bits, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < old_cap; i++)
		if (t->rules[i].ent)
			lpm_rule_place(rules, bits, t->rules[i]);
	free(t->rules);
	t->rules = rules;
	t->rule_bits = bits;
	return 0;
}

/* Room for one more rule without passing 3/4 load. */
static int lpm_rules_reserve(struct lpm *t)
{
	if ((t->rule_count + 1) * 4 <= ((size_t)3 << t->rule_bits))
		return 0;
	return lpm_rules_resize(t, t->rule_bits + 1);
}

/* Backward-shift deletion: no tombstones, so probes stay short however many
 * deletes a long-running router does. */
static void lpm_rule_remove(struct lpm *t, struct lpm_rule *r)
{
	size_t mask = ((size_t)1 << t->rule_bits) - 1;
	size_t hole = (size_t)(r - t->rules);

	for (size_t i = (hole + 1) & mask; t->rules[i].ent; i = (i + 1) & mask) {
		size_t home =
		    lpm_rule_home(t->rules[i].prefix, lpm_depth(t->rules[i].ent), t->rule_bits);

		/* Entry i may fill the hole only if the hole lies between its
		 * home and i; otherwise a lookup from home would miss it. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->rules[hole] = t->rules[i];
			hole = i;
		}
	}
	t->rules[hole] = (struct lpm_rule){0, 0};
	t->rule_count--;
}

/* Longest stored prefix strictly shorter than plen covering prefix, as a
 * slot entry, or 0 (empty) when there is none. */
static uint32_t lpm_cover(const struct lpm *t, uint32_t prefix, unsigned plen)
{
	while (plen-- > 0) {
		const struct lpm_rule *r = lpm_rule_find(t, prefix & lpm_mask(plen), plen);

		if (r)
			return r->ent;
	}
	return 0;
}

/* ---- node pool ---- */

static int lpm_nodes_reserve(struct lpm *t, uint32_t need)
{
	uint32_t cap;
	uint32_t *nodes;

	if (t->node_nfree + (t->node_cap - t->node_top) >= need)
		return 0;
	/* Grow by half: amortised O(1) per node without doubling the slack of
	 * a table that is mostly nodes. */
	cap = t->node_cap < LPM_NODES_MIN ? LPM_NODES_MIN : t->node_cap + t->node_cap / 2;
	if (cap > LPM_MAX_NODES)
		cap = LPM_MAX_NODES;
	if (t->node_nfree + (cap - t->node_top) < need)
		return -ENOMEM;
	nodes = realloc(t->nodes, (size_t)cap * LPM_NODE_SLOTS * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	t->nodes = nodes;
	t->node_cap = cap;
	return 0;
}

/* Caller has reserved the node; every slot starts as a copy of fill, the
 * parent slot's old contents, so the new level answers as before. */
static uint32_t lpm_node_alloc(struct lpm *t, uint32_t fill)
{
	uint32_t idx;
	uint32_t *n;

	if (t->node_free != LPM_NO_NODE) {
		idx = t->node_free;
		t->node_free = t->nodes[(size_t)idx << LPM_NODE_BITS];
		t->node_nfree--;
	} else {
		idx = t->node_top++;
	}
	n = t->nodes + ((size_t)idx << LPM_NODE_BITS);
	for (unsigned i = 0; i < LPM_NODE_SLOTS; i++)
		n[i] = fill;
	return idx;
}

static void lpm_node_release(struct lpm *t, uint32_t idx)
{
	t->nodes[(size_t)idx << LPM_NODE_BITS] = t->node_free;
	t->node_free = idx;
	t->node_nfree++;
}

/* Copy the node ent points at, and its subtree, to the next free indices of
 * dst; returns its new index. Recursion is at most two levels deep. */
static uint32_t lpm_node_move(const struct lpm *t, uint32_t *dst, uint32_t *next, uint32_t ent)
{
	uint32_t idx = (*next)++;
	uint32_t *n = dst + ((size_t)idx << LPM_NODE_BITS);

	memcpy(n, t->nodes + lpm_base(ent), LPM_NODE_SLOTS * sizeof(*n));
	for (unsigned i = 0; i < LPM_NODE_SLOTS; i++)
		if (n[i] & LPM_EXT)
			n[i] = LPM_EXT | lpm_node_move(t, dst, next, n[i]);
	return idx;
}

/* Give pool memory back after deletes. Free nodes are scattered through
 * the array, so shrinking means packing the live ones into a new, smaller
 * array and renumbering the slots that point at them. Only done when three
 * quarters of the room is unused, so its O(root + live nodes) cost is paid
 * once per many deletes. Best effort: without memory, keep the old array. */
static void lpm_nodes_trim(struct lpm *t)
{
	uint32_t live = t->node_top - t->node_nfree;
	uint32_t cap = live + live / 2, next = 0;
	uint32_t *nodes;

	if (live == 0 && t->node_cap) {
		free(t->nodes);
		t->nodes = NULL;
		t->node_cap = t->node_top = t->node_nfree = 0;
		t->node_free = LPM_NO_NODE;
		return;
	}
	if (t->node_cap <= LPM_NODES_MIN || live >= t->node_cap / 4)
		return;
	if (cap < LPM_NODES_MIN)
		cap = LPM_NODES_MIN;
	nodes = malloc((size_t)cap * LPM_NODE_SLOTS * sizeof(*nodes));
	if (!nodes)
		return;
	for (size_t i = 0; i < sizeof(t->root) / sizeof(t->root[0]); i++)
		if (t->root[i] & LPM_EXT)
			t->root[i] = LPM_EXT | lpm_node_move(t, nodes, &next, t->root[i]);
	free(t->nodes);
	t->nodes = nodes;
	t->node_cap = cap;
	t->node_top = next;
	t->node_free = LPM_NO_NODE;
	t->node_nfree = 0;
}

/* ---- trie updates ---- */

/* Nodes an insert of prefix/plen would have to create. */
static uint32_t lpm_nodes_needed(const struct lpm *t, uint32_t prefix, unsigned plen)
{
	uint32_t ent = t->root[prefix >> LPM_ROOT_SHIFT];
	unsigned shift = LPM_ROOT_SHIFT;

	while (plen > 32 - shift) {
		if (!(ent & LPM_EXT))
			return (plen - (32 - shift) + LPM_NODE_BITS - 1) / LPM_NODE_BITS;
		shift -= LPM_NODE_BITS;
		ent = t->nodes[lpm_base(ent) | ((prefix >> shift) & (LPM_NODE_SLOTS - 1))];
	}
	return 0;
}

/* Write ent into the n slots from slot on, and into every node below them,
 * wherever the current route is no longer than plen. Deeper routes stay:
 * they are more specific than the one being written. */
static void lpm_fill(struct lpm *t, uint32_t *slot, size_t n, unsigned plen, uint32_t ent)
{
	for (size_t i = 0; i < n; i++) {
		if (slot[i] & LPM_EXT)
			lpm_fill(t, t->nodes + lpm_base(slot[i]), LPM_NODE_SLOTS, plen, ent);
		else if (lpm_depth(slot[i]) <= plen)
			slot[i] = ent;
	}
}

/* Slots of the node below *slot, creating it if needed (reserved before). */
static uint32_t *lpm_descend(struct lpm *t, uint32_t *slot)
{
	if (!(*slot & LPM_EXT))
		*slot = LPM_EXT | lpm_node_alloc(t, *slot);
	return t->nodes + lpm_base(*slot);
}

/* Make prefix/plen (already masked) resolve to ent where it is the longest
 * match. A slot at a level with `shift` low bits left covers 2^shift
 * addresses; descend until the prefix spans whole slots. */
static void lpm_apply(struct lpm *t, uint32_t prefix, unsigned plen, uint32_t ent)
{
	uint32_t *slot = &t->root[prefix >> LPM_ROOT_SHIFT];
	unsigned shift = LPM_ROOT_SHIFT;

	while (plen > 32 - shift) {
		shift -= LPM_NODE_BITS;
		slot = lpm_descend(t, slot) + ((prefix >> shift) & (LPM_NODE_SLOTS - 1));
	}
	lpm_fill(t, slot, (size_t)1 << (32 - plen - shift), plen, ent);
}

/* Fold the node below *slot into *slot if it holds nothing longer than
 * limit bits: such slots all come from the one prefix (or none) covering
 * the whole node, so they are identical and the node is redundant. Nodes
 * whose slots merely look alike (two /25s with one value) are kept: that
 * way every stored prefix longer than a level has its node, and a delete
 * never needs to allocate. */
static bool lpm_collapse(struct lpm *t, uint32_t *slot, unsigned limit)
{
	uint32_t idx = *slot & LPM_PAYLOAD;
	const uint32_t *n = t->nodes + lpm_base(*slot);
	uint32_t first = n[0];

	if ((first & LPM_EXT) || lpm_depth(first) > limit)
		return false;
	for (unsigned i = 1; i < LPM_NODE_SLOTS; i++)
		if (n[i] != first)
			return false;
	*slot = first;
	lpm_node_release(t, idx);
	return true;
}

/* After prefix/plen is gone, drop the nodes on its path that no longer
 * carry a longer prefix, deepest first. */
static void lpm_prune(struct lpm *t, uint32_t prefix, unsigned plen)
{
	uint32_t *path[2];
	unsigned limit[2];
	unsigned depth = 0;
	uint32_t *slot = &t->root[prefix >> LPM_ROOT_SHIFT];
	unsigned shift = LPM_ROOT_SHIFT;

	while (plen > 32 - shift && (*slot & LPM_EXT)) {
		path[depth] = slot;
		limit[depth++] = 32 - shift;
		shift -= LPM_NODE_BITS;
		slot = t->nodes + lpm_base(*slot) + ((prefix >> shift) & (LPM_NODE_SLOTS - 1));
	}
	while (depth > 0 && lpm_collapse(t, path[depth - 1], limit[depth - 1]))
		depth--;
}

/* ---- public ---- */

int lpm_new(struct lpm **ret)
{
	struct lpm *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->rules = calloc((size_t)1 << LPM_RULES_MIN_BITS, sizeof(*t->rules));
	if (!t->rules) {
		free(t);
		return -ENOMEM;
	}
	t->rule_bits = LPM_RULES_MIN_BITS;
	t->node_free = LPM_NO_NODE;
	*ret = t;
	return 0;
}

void lpm_free(struct lpm *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->rules);
	free(t);
}

int lpm_insert(struct lpm *t, uint32_t prefix, unsigned plen, uint32_t value)
{
	struct lpm_rule *r;
	uint32_t ent;
	int err;

	if (plen > 32 || value > LPM_VALUE_MAX)
		return -EINVAL;
	prefix &= lpm_mask(plen);
	ent = lpm_leaf(value, plen);

	r = lpm_rule_find(t, prefix, plen);
	if (r) {
		/* Replace: its nodes exist already, nothing to allocate. */
		r->ent = ent;
		lpm_apply(t, prefix, plen, ent);
		return 0;
	}
	err = lpm_rules_reserve(t);
	if (err < 0)
		return err;
	err = lpm_nodes_reserve(t, lpm_nodes_needed(t, prefix, plen));
	if (err < 0)
		return err;
	lpm_rule_place(t->rules, t->rule_bits, (struct lpm_rule){prefix, ent});
	t->rule_count++;
	lpm_apply(t, prefix, plen, ent);
	return 0;
}

int lpm_delete(struct lpm *t, uint32_t prefix, unsigned plen)
{
	struct lpm_rule *r;

	if (plen > 32)
		return -EINVAL;
	prefix &= lpm_mask(plen);
	r = lpm_rule_find(t, prefix, plen);
	if (!r)
		return -ENOENT;
	lpm_rule_remove(t, r);
	/* The slots p/len owns are exactly those in its range at depth len, and
	 * lpm_fill's "depth <= plen" picks those (shorter ones cannot exist
	 * inside a stored prefix's range). Its nodes exist, so nothing is
	 * allocated here. */
	lpm_apply(t, prefix, plen, lpm_cover(t, prefix, plen));
	lpm_prune(t, prefix, plen);
	lpm_nodes_trim(t);
	/* Shrink a mostly empty rule table; on failure the big one still works. */
	if (t->rule_bits > LPM_RULES_MIN_BITS && t->rule_count * 8 < ((size_t)1 << t->rule_bits))
		(void)lpm_rules_resize(t, t->rule_bits - 1);
	return 0;
}

int lpm_lookup(const struct lpm *t, uint32_t addr, uint32_t *ret_value)
{
	uint32_t e = t->root[addr >> LPM_ROOT_SHIFT];

	if (e & LPM_EXT) {
		e = t->nodes[lpm_base(e) | ((addr >> 8) & (LPM_NODE_SLOTS - 1))];
		if (__builtin_expect(e & LPM_EXT, 0))
			e = t->nodes[lpm_base(e) | (addr & (LPM_NODE_SLOTS - 1))];
	}
	if (!(e & LPM_VALID))
		return -ENOENT;
	*ret_value = e & LPM_PAYLOAD;
	return 0;
}

int lpm_get(const struct lpm *t, uint32_t prefix, unsigned plen, uint32_t *ret_value)
{
	const struct lpm_rule *r;

	if (plen > 32)
		return -EINVAL;
	r = lpm_rule_find(t, prefix & lpm_mask(plen), plen);
	if (!r)
		return -ENOENT;
	*ret_value = r->ent & LPM_PAYLOAD;
	return 0;
}

size_t lpm_count(const struct lpm *t)
{
	return t->rule_count;
}

size_t lpm_memory(const struct lpm *t)
{
	return sizeof(*t) + ((size_t)t->node_cap << LPM_NODE_BITS) * sizeof(*t->nodes) +
	       (sizeof(struct lpm_rule) << t->rule_bits);
}
