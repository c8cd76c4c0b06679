/* route.h: the IPv4 route table.
 *
 * Routes are kept in an array (for listing and for several routes to one
 * prefix with different metrics); the longest-prefix match itself is done by
 * routing/lpm.c, which maps each prefix to its best route. Connected routes
 * come and go with ifaces; static routes come from --route, --gateway and
 * vhctl. Runs on the worker only. */
#ifndef VH_ROUTE_H
#define VH_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "vh.h"

struct vh_stack;
struct vh_dev;
struct vh_iface;
struct lpm;

enum {
	RT_F_CONNECTED = 1u << 0, /* made from an iface: the destination is on the link */
	RT_F_STATIC = 1u << 1,    /* configured by the user */
};

struct rt_entry {
	uint32_t prefix;          /* network order, host bits zero */
	uint8_t plen;
	bool used;
	uint16_t flags;
	uint32_t gateway;         /* network order; 0 for on-link */
	struct vh_dev *dev;       /* NULL: resolved through the gateway's connected route */
	uint32_t metric;
	int next;                 /* next route to the same prefix, or free-list link; -1 ends */
	uint64_t hits;
};

struct rt_table {
	struct lpm *lpm;          /* prefix -> index of the first route of its chain */
	struct rt_entry *r;
	unsigned n, cap, count;   /* slots used so far, allocated, live routes */
	int free;
	uint64_t lookups, misses;
};

/* A lookup's answer: where to send a packet for dst. */
struct rt_result {
	struct vh_dev *dev;
	struct vh_iface *iface;   /* source address to use on dev */
	uint32_t nexthop;         /* gateway, or dst itself when on-link */
	const struct rt_entry *route;
};

int rt_init(struct vh_stack *st);
void rt_fini(struct vh_stack *st);
/* prefix in network order; host bits must be zero (-EINVAL otherwise, named in err).
 * -EEXIST if the same prefix, gateway, device and metric exist. */
int rt_add(struct vh_stack *st, uint32_t prefix, unsigned plen, uint32_t gateway,
	   struct vh_dev *dev, uint32_t metric, unsigned flags, struct vh_err *err);
/* Remove routes matching prefix/plen (and gateway/dev when nonzero/non-NULL). */
int rt_del(struct vh_stack *st, uint32_t prefix, unsigned plen, uint32_t gateway,
	   struct vh_dev *dev, struct vh_err *err);
/* Remove every route through dev (it went away) or made from an iface. */
void rt_del_dev(struct vh_stack *st, struct vh_dev *dev);
int rt_lookup(struct vh_stack *st, uint32_t dst, struct rt_result *ret);
/* Visit every route, best first per prefix. */
void rt_foreach(struct vh_stack *st, void (*fn)(void *arg, const struct rt_entry *r), void *arg);

#endif
