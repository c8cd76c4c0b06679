/* lpm.h: longest-prefix-match table for IPv4 forwarding (internal module).
 *
 * Maps prefix/plen to a small integer value (a next-hop or route index that
 * the caller owns) and answers "longest stored prefix covering addr". The
 * router's forwarding path calls lpm_lookup once per packet, so lookups are
 * a few dependent loads with no allocation; inserts and deletes are
 * incremental and touch only the slots the prefix covers. Addresses and
 * prefixes are host byte order. Not thread-safe: the stack's worker thread
 * owns the table for both updates and lookups.
 *
 * Design and figures are described at the top of lpm.c. */
#ifndef VH_ROUTING_LPM_H
#define VH_ROUTING_LPM_H

#include <stddef.h>
#include <stdint.h>

/* Values live in 24 bits of a table slot, next to the prefix length. */
#define LPM_VALUE_MAX 0xffffffu

struct lpm;

int lpm_new(struct lpm **ret);
void lpm_free(struct lpm *t);

/* Insert or replace prefix/plen -> value. plen is 0..32; prefix bits beyond
 * plen are ignored. Returns 0, -EINVAL (plen or value out of range) or
 * -ENOMEM, in which case the table is unchanged. */
int lpm_insert(struct lpm *t, uint32_t prefix, unsigned plen, uint32_t value);

/* Remove exactly prefix/plen: 0 or -ENOENT (-EINVAL for plen > 32).
 * Addresses it covered fall back to the next shorter stored prefix. */
int lpm_delete(struct lpm *t, uint32_t prefix, unsigned plen);

/* Longest match for addr: 0 and *ret_value, or -ENOENT when nothing covers
 * addr. Never allocates. */
int lpm_lookup(const struct lpm *t, uint32_t addr, uint32_t *ret_value);

/* Value stored for exactly prefix/plen: 0, -ENOENT or -EINVAL. */
int lpm_get(const struct lpm *t, uint32_t prefix, unsigned plen, uint32_t *ret_value);

/* Number of prefixes stored. */
size_t lpm_count(const struct lpm *t);

/* Bytes currently allocated by the table (capacity, not just what is used). */
size_t lpm_memory(const struct lpm *t);

#endif
