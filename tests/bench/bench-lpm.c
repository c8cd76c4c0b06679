/* bench-lpm.c: throughput and memory of the longest-prefix-match table.
 *
 * For 10, 10 000 and 1 000 000 random routes it times the build, then
 * lookups of a precomputed address array (so the generator stays out of the
 * timed loop), the table's memory, and the teardown by deletes. At the two
 * small sizes it also times a naive list scan, the thing the trie replaces,
 * and prints the ratio; at 1 M routes the scan would take hours, so it is
 * skipped. Prefix lengths follow a rough Internet-table mix (mostly /24,
 * a good share of /16-/23, a few longer). Half the lookup addresses fall
 * inside a stored route and half are uniform, so both hits and misses are
 * timed; the hit rate is printed.
 *
 * It only prints figures: timing depends on the machine, so nothing here is
 * an assertion. Build with -O2; `--quick` cuts the lookup counts for a CI
 * smoke run. */
#include "routing/lpm.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct route {
	uint32_t prefix;
	unsigned plen;
	uint32_t value;
};

/* xorshift64*: fast, seedable; quality is ample for picking routes. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t mask_of(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Share of routes per length band, loosely after a full BGP table. */
static const struct {
	unsigned percent, shortest, longest;
} plen_mix[] = {
    {1, 8, 15}, {9, 16, 19}, {8, 20, 21}, {12, 22, 22}, {10, 23, 23}, {55, 24, 24}, {5, 25, 32},
};

static unsigned pick_plen(uint64_t *s)
{
	unsigned p = (unsigned)(next_rand(s) % 100), i = 0;

	while (p >= plen_mix[i].percent) {
		p -= plen_mix[i].percent;
		i++;
	}
	return plen_mix[i].shortest +
	       (unsigned)(next_rand(s) % (plen_mix[i].longest - plen_mix[i].shortest + 1));
}

/* The naive alternative: every route checked, the longest match kept. */
static int naive_lookup(const struct route *r, size_t n, uint32_t addr, uint32_t *ret_value)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if ((addr & mask_of(r[i].plen)) == r[i].prefix && (int)r[i].plen > best) {
			best = (int)r[i].plen;
			*ret_value = r[i].value;
		}
	return best < 0 ? -ENOENT : 0;
}

static volatile uint32_t sink;

/* Best of three passes over addrs; returns lookups per second. */
static double time_lookups(const struct lpm *t, const uint32_t *addrs, size_t n)
{
	double best = 0;

	for (int pass = 0; pass < 3; pass++) {
		double t0 = now_s(), dt;

		for (size_t i = 0; i < n; i++) {
			uint32_t v = 0;

			lpm_lookup(t, addrs[i], &v);
			sink += v;
		}
		dt = now_s() - t0;
		if (n / dt > best)
			best = (double)n / dt;
	}
	return best;
}

static double time_naive(const struct route *r, size_t nr, const uint32_t *addrs, size_t n)
{
	double t0 = now_s();

	for (size_t i = 0; i < n; i++) {
		uint32_t v = 0;

		naive_lookup(r, nr, addrs[i], &v);
		sink += v;
	}
	return (double)n / (now_s() - t0);
}

static int run(size_t nroutes, size_t nlookups, size_t nnaive, uint64_t seed)
{
	struct route *r = calloc(nroutes, sizeof(*r));
	uint32_t *addrs = calloc(nlookups, sizeof(*addrs));
	struct lpm *t = NULL;
	size_t hits = 0, mem;
	double t0, build, lps, del;
	uint64_t s = seed;
	int err;

	if (!r || !addrs || lpm_new(&t) < 0) {
		fprintf(stderr, "out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < nroutes; i++) {
		r[i].plen = pick_plen(&s);
		r[i].prefix = (uint32_t)next_rand(&s) & mask_of(r[i].plen);
		r[i].value = (uint32_t)(i & LPM_VALUE_MAX);
	}
	for (size_t i = 0; i < nlookups; i++) {
		uint64_t x = next_rand(&s);
		const struct route *in = &r[(x >> 33) % nroutes];

		/* Low bit picks uniform vs inside a stored route. */
		addrs[i] = (uint32_t)next_rand(&s);
		if (x & 1)
			addrs[i] = in->prefix | (addrs[i] & ~mask_of(in->plen));
	}

	t0 = now_s();
	for (size_t i = 0; i < nroutes; i++) {
		err = lpm_insert(t, r[i].prefix, r[i].plen, r[i].value);
		if (err < 0) {
			fprintf(stderr, "insert: %s\n", strerror(-err));
			return -1;
		}
	}
	build = now_s() - t0;
	mem = lpm_memory(t);

	for (size_t i = 0; i < nlookups; i++) {
		uint32_t v;

		hits += lpm_lookup(t, addrs[i], &v) == 0;
	}
	lps = time_lookups(t, addrs, nlookups);

	printf("%8zu routes (%zu distinct): build %.1f ms (%.0f ns/insert), memory %.2f MiB "
	       "(%.0f B/route)\n",
	       nroutes, lpm_count(t), build * 1e3, build * 1e9 / (double)nroutes,
	       (double)mem / (1 << 20), (double)mem / (double)lpm_count(t));
	printf("%8s lpm:   %.1f M lookups/s (%.2f ns each, %zu lookups, %.0f%% hit)\n", "",
	       lps / 1e6, 1e9 / lps, nlookups, 100.0 * (double)hits / (double)nlookups);
	if (nnaive) {
		double nps = time_naive(r, nroutes, addrs, nnaive);

		printf("%8s naive: %.3f M lookups/s (%zu lookups); lpm is %.1fx faster\n", "",
		       nps / 1e6, nnaive, lps / nps);
	} else {
		printf("%8s naive: skipped (a full scan per lookup would take hours here)\n", "");
	}

	t0 = now_s();
	for (size_t i = 0; i < nroutes; i++)
		lpm_delete(t, r[i].prefix, r[i].plen); /* duplicates: -ENOENT */
	del = now_s() - t0;
	printf("%8s teardown: %.1f ms (%.0f ns/delete), %zu left, %.2f MiB after\n", "", del * 1e3,
	       del * 1e9 / (double)nroutes, lpm_count(t), (double)lpm_memory(t) / (1 << 20));

	lpm_free(t);
	free(addrs);
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	size_t lookups = quick ? 1000000 : 10000000;

	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	printf("lpm bench%s: best of 3 passes over %zu precomputed addresses\n",
	       quick ? " (quick)" : "", lookups);
	if (run(10, lookups, lookups, 1) < 0 ||
	    run(10000, lookups, quick ? 10000 : 100000, 2) < 0 || run(1000000, lookups, 0, 3) < 0)
		return 1;
	return 0;
}
