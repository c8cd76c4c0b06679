/* timer.h: one-shot timers on the stack's clock, kept in a binary heap.
 *
 * A timer is embedded in the object it serves (an ARP entry, a reassembly
 * context, a TCP connection), so arming one allocates nothing beyond the
 * heap's slot array, which grows only with the number of objects. Callbacks
 * run on the worker thread. */
#ifndef VH_TIMER_H
#define VH_TIMER_H

#include <stdint.h>

struct vh_stack;
struct vh_timer;
typedef void (*vh_timer_fn)(struct vh_stack *st, struct vh_timer *t);

struct vh_timer {
	uint64_t expires;  /* ns on the stack clock */
	unsigned slot;     /* index in the heap + 1; 0 when not armed */
	vh_timer_fn fn;
	void *arg;
};

struct vh_timers {
	struct vh_timer **heap;
	unsigned n, cap;
};

#define VH_MS 1000000ull
#define VH_SEC 1000000000ull

void vh_timer_init(struct vh_timer *t, vh_timer_fn fn, void *arg);
/* (Re)arm to fire `delay` ns from now. -ENOMEM only if the heap cannot grow. */
int vh_timer_arm(struct vh_stack *st, struct vh_timer *t, uint64_t delay);
int vh_timer_arm_at(struct vh_stack *st, struct vh_timer *t, uint64_t when);
void vh_timer_cancel(struct vh_stack *st, struct vh_timer *t);
static inline int vh_timer_pending(const struct vh_timer *t)
{
	return t->slot != 0;
}
/* Fire everything due; returns ns until the next timer, or UINT64_MAX. */
uint64_t vh_timers_run(struct vh_stack *st);
void vh_timers_free(struct vh_timers *ts);

uint64_t vh_now(const struct vh_stack *st);

#endif
