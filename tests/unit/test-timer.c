/* test-timer.c: the timer heap, on an injected clock, against a naive reference. */
#include "check.h"
#include "testnic.h"

struct rec {
	struct vh_timer t;
	int id;
	unsigned fired;
	uint64_t fired_at;
	int rearm;           /* re-arm itself this many more times, 1 s apart */
};

static int order[4096];
static unsigned norder;
static struct tn_clock clk;

static void on_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct rec *r = t->arg;

	r->fired++;
	r->fired_at = vh_now(st);
	if (norder < 4096)
		order[norder++] = r->id;
	if (r->rearm > 0) {
		r->rearm--;
		vh_timer_arm(st, t, VH_SEC);
	} else if (r->rearm < 0) {
		vh_timer_arm(st, t, 0); /* for "now", forever */
	}
}

static void init(struct rec *r, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = i;
		vh_timer_init(&r[i].t, on_fire, &r[i]);
	}
}

static void heap_ok(struct vh_stack *st)
{
	struct vh_timers *ts = &st->timers;
	unsigned bad = 0;

	for (unsigned i = 0; i < ts->n; i++) {
		if (ts->heap[i]->slot != i + 1)
			bad++;
		if (i && ts->heap[(i - 1) / 2]->expires > ts->heap[i]->expires)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

static void test_order(struct vh_stack *st)
{
	static struct rec r[200];
	unsigned bad = 0;

	init(r, 200);
	norder = 0;
	srand(7);
	for (int i = 0; i < 200; i++)
		vh_timer_arm(st, &r[i].t, (uint64_t)(rand() % 1000) * VH_MS);
	heap_ok(st);
	CHECK_EQ(st->timers.n, 200);
	tn_advance(st, &clk, 2 * VH_SEC, 2 * VH_SEC);
	CHECK_EQ(norder, 200);
	for (unsigned i = 1; i < norder; i++)
		if (r[order[i - 1]].t.expires > r[order[i]].t.expires)
			bad++;
	CHECK_EQ(bad, 0);
	CHECK_EQ(st->timers.n, 0);
	CHECK_EQ(vh_timers_run(st), UINT64_MAX);
}

static void test_rearm_cancel(struct vh_stack *st)
{
	static struct rec r[10];

	init(r, 10);
	vh_timer_arm(st, &r[0].t, 10 * VH_MS);
	vh_timer_arm(st, &r[0].t, 5 * VH_MS); /* earlier */
	CHECK_EQ(st->timers.n, 1);
	CHECK_EQ(vh_timers_run(st), 5 * VH_MS);
	tn_advance(st, &clk, 5 * VH_MS, VH_MS);
	CHECK_EQ(r[0].fired, 1);
	vh_timer_arm(st, &r[1].t, 5 * VH_MS);
	vh_timer_arm(st, &r[1].t, 50 * VH_MS); /* later */
	tn_advance(st, &clk, 10 * VH_MS, VH_MS);
	CHECK_EQ(r[1].fired, 0);
	tn_advance(st, &clk, 40 * VH_MS, VH_MS);
	CHECK_EQ(r[1].fired, 1);

	/* Cancel one in the middle of the heap. */
	for (int i = 2; i < 10; i++)
		vh_timer_arm(st, &r[i].t, (uint64_t)i * VH_MS);
	vh_timer_cancel(st, &r[5].t);
	CHECK(!vh_timer_pending(&r[5].t));
	vh_timer_cancel(st, &r[5].t); /* twice is harmless */
	heap_ok(st);
	tn_advance(st, &clk, 20 * VH_MS, VH_MS);
	for (int i = 2; i < 10; i++)
		CHECK_EQ(r[i].fired, i == 5 ? 0u : 1u);
	/* A cancelled-then-rearmed timer fires. */
	vh_timer_arm(st, &r[5].t, VH_MS);
	tn_advance(st, &clk, VH_MS, VH_MS);
	CHECK_EQ(r[5].fired, 1);
}

static void test_self_rearm(struct vh_stack *st)
{
	static struct rec r[2];

	init(r, 2);
	r[0].rearm = 9;
	vh_timer_arm(st, &r[0].t, VH_SEC);
	tn_advance(st, &clk, 20 * VH_SEC, 100 * VH_MS);
	CHECK_EQ(r[0].fired, 10);
	CHECK(!vh_timer_pending(&r[0].t));
	/* One that re-arms for "now" forever: each run ends anyway. */
	r[1].rearm = -1;
	vh_timer_arm(st, &r[1].t, 0);
	vh_timers_run(st);
	CHECK(r[1].fired >= 1 && r[1].fired < 100);
	CHECK(vh_timer_pending(&r[1].t));
	vh_timer_cancel(st, &r[1].t);
}

/* Random arm/cancel/advance against a list of (armed, expires). */
static void test_random(struct vh_stack *st)
{
	enum { N = 300 };
	static struct rec r[N];
	static bool armed[N];
	static uint64_t when[N];
	unsigned bad_set = 0, bad_order = 0;

	init(r, N);
	memset(armed, 0, sizeof(armed));
	srand(12345);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % N, op = rand() % 10;
		if (op < 5) {
			uint64_t d = (uint64_t)(rand() % 200) * VH_MS;
			vh_timer_arm(st, &r[i].t, d);
			armed[i] = true;
			when[i] = clk.now + d;
		} else if (op < 7) {
			vh_timer_cancel(st, &r[i].t);
			armed[i] = false;
		} else {
			uint64_t before[N];
			for (int k = 0; k < N; k++)
				before[k] = r[k].fired;
			clk.now += (uint64_t)(rand() % 50) * VH_MS;
			norder = 0;
			vh_timers_run(st);
			for (int k = 0; k < N; k++) {
				bool due = armed[k] && when[k] <= clk.now;
				if ((r[k].fired != before[k]) != due)
					bad_set++;
				if (due)
					armed[k] = false;
				if (vh_timer_pending(&r[k].t) != armed[k])
					bad_set++;
			}
			for (unsigned k = 1; k < norder; k++)
				if (when[order[k - 1]] > when[order[k]])
					bad_order++;
		}
	}
	heap_ok(st);
	CHECK_EQ(bad_set, 0);
	CHECK_EQ(bad_order, 0);
	for (int i = 0; i < N; i++)
		vh_timer_cancel(st, &r[i].t);
	CHECK_EQ(st->timers.n, 0);
}

int main(void)
{
	struct vh_stack *st = tn_stack_new(&clk, "timer");

	CHECK_EQ(vh_now(st), TN_T0);
	test_order(st);
	test_rearm_cancel(st);
	test_self_rearm(st);
	test_random(st);
	vh_stack_free(st);
	return check_done();
}
