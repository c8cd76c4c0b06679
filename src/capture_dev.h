/* capture_dev.h: capture what crosses a stack's NICs.
 *
 * Joins the capture engine (capture.h), which knows nothing of the stack, to
 * the stack's capture hook: vh_dev_input() and vh_dev_xmit() hand it every
 * frame received and every frame sent, forwarded ones included. Inbound
 * frames carry their receive time; outbound ones the time they reach the
 * driver (after link impairment), both moved from the stack's clock to the
 * Unix epoch.
 *
 * One capture per stack, in st->capture from its start until the next
 * start or vh_stack_free(), so that its final counts can still be shown
 * after it stopped. Any thread may call these, the worker included (vhctl's
 * commands run there): on the worker nothing waits for the writer thread,
 * which finishes on its own. */
#ifndef VH_CAPTURE_DEV_H
#define VH_CAPTURE_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "vh.h"

struct vh_capture_opts {
	const char *path;          /* "-", a FIFO or a file, as in capture.h */
	uint64_t rotate_bytes;     /* 0: one file */
	const char *filter;        /* libpcap filter expression; NULL: every frame */
	const char *const *ifaces; /* names of the NICs to capture; nifaces == 0: all */
	unsigned nifaces;
	uint32_t snaplen;          /* 0: CAPTURE_SNAPLEN_DEFAULT */
	size_t ring_bytes;         /* 0: CAPTURE_RING_DEFAULT */
};

/* Capture the stack's NICs (those named, or all) from now on. -EBUSY while a
 * capture runs or is still finishing. On failure err names the cause. */
int vh_capture_start(struct vh_stack *st, const struct vh_capture_opts *o, struct vh_err *err);

/* Stop capturing: the queued frames and the ISBs are written and the sink is
 * closed (see capture_stop()); logs what was written and dropped. Off the
 * worker, waits for that; on the worker, returns at once. No-op if no
 * capture runs. */
void vh_capture_stop(struct vh_stack *st);

/* Wait for a stopped capture to finish and free it; vh_stack_free() calls
 * this. Not on the worker. */
void vh_capture_free(struct vh_stack *st);

struct vh_capture_status {
	char path[256];
	char filter[256]; /* empty: none */
	unsigned nnics;
	struct capture_stats stats;
};

/* The current or last capture's state and counters; -ENOENT if there has
 * been none since the last vh_capture_free(). */
int vh_capture_status(struct vh_stack *st, struct vh_capture_status *ret);

/* Worker: the same counters for vh_stack_counters(), scope "capture"; none
 * when there is no capture. */
void vh_capture_counters(struct vh_stack *st, vh_counter_fn fn, void *arg);

#endif
