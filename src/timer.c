/* timer.c: a binary min-heap of armed timers, ordered by expiry. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "stack.h"
#include "timer.h"

uint64_t vh_now(const struct vh_stack *st)
{
	struct timespec ts;

	if (st && st->clock)
		return st->clock(st->clock_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * VH_SEC + (uint64_t)ts.tv_nsec;
}

void vh_timer_init(struct vh_timer *t, vh_timer_fn fn, void *arg)
{
	t->expires = 0;
	t->slot = 0;
	t->fn = fn;
	t->arg = arg;
}

static void place(struct vh_timers *ts, unsigned i, struct vh_timer *t)
{
	ts->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct vh_timers *ts, unsigned i)
{
	struct vh_timer *t = ts->heap[i];

	while (i > 0) {
		unsigned parent = (i - 1) / 2;
		if (ts->heap[parent]->expires <= t->expires)
			break;
		place(ts, i, ts->heap[parent]);
		i = parent;
	}
	place(ts, i, t);
}

static void sift_down(struct vh_timers *ts, unsigned i)
{
	struct vh_timer *t = ts->heap[i];

	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= ts->n)
			break;
		if (c + 1 < ts->n && ts->heap[c + 1]->expires < ts->heap[c]->expires)
			c++;
		if (t->expires <= ts->heap[c]->expires)
			break;
		place(ts, i, ts->heap[c]);
		i = c;
	}
	place(ts, i, t);
}

static void heap_remove(struct vh_timers *ts, unsigned i)
{
	struct vh_timer *last = ts->heap[--ts->n];

	ts->heap[i]->slot = 0;
	if (i == ts->n)
		return;
	place(ts, i, last);
	sift_down(ts, i);
	sift_up(ts, last->slot - 1);
}

int vh_timer_arm_at(struct vh_stack *st, struct vh_timer *t, uint64_t when)
{
	struct vh_timers *ts = &st->timers;

	if (t->slot) {
		t->expires = when;
		sift_down(ts, t->slot - 1);
		sift_up(ts, t->slot - 1);
		return 0;
	}
	if (ts->n == ts->cap) {
		unsigned cap = ts->cap ? ts->cap * 2 : 64;
		struct vh_timer **h = realloc(ts->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		ts->heap = h;
		ts->cap = cap;
	}
	t->expires = when;
	place(ts, ts->n++, t);
	sift_up(ts, ts->n - 1);
	return 0;
}

int vh_timer_arm(struct vh_stack *st, struct vh_timer *t, uint64_t delay)
{
	return vh_timer_arm_at(st, t, vh_now(st) + delay);
}

void vh_timer_cancel(struct vh_stack *st, struct vh_timer *t)
{
	if (t->slot)
		heap_remove(&st->timers, t->slot - 1);
}

uint64_t vh_timers_run(struct vh_stack *st)
{
	struct vh_timers *ts = &st->timers;
	uint64_t now = vh_now(st);
	/* A callback that re-arms for "now" must not keep this loop going forever. */
	unsigned budget = ts->n + 16;

	while (ts->n && ts->heap[0]->expires <= now && budget--) {
		struct vh_timer *t = ts->heap[0];
		heap_remove(ts, 0);
		t->fn(st, t);
	}
	if (!ts->n)
		return UINT64_MAX;
	return ts->heap[0]->expires > now ? ts->heap[0]->expires - now : 0;
}

void vh_timers_free(struct vh_timers *ts)
{
	for (unsigned i = 0; i < ts->n; i++)
		ts->heap[i]->slot = 0;
	free(ts->heap);
	ts->heap = NULL;
	ts->n = ts->cap = 0;
}
