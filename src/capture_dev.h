/* capture_dev.h: capture what crosses a stack's NICs.
 *
 * Joins the capture engine (capture.h), which knows nothing of the stack, to
 * the stack's capture hook: vh_dev_input() and vh_dev_xmit() hand it every
 * frame received and every frame sent, forwarded ones included. Inbound
 * frames carry their receive time; outbound ones the time they reach the
 * driver (after link impairment), both moved from the stack's clock to the
 * Unix epoch.
 *
 * Start and stop from a control thread (never the worker): the hook is set
 * and removed on the worker through vh_stack_call(), and stopping waits for
 * the writer thread. */
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

/* Capture the stack's NICs (those named, or all) from now on. One capture per
 * stack: -EBUSY if one runs. On failure err names the cause. */
int vh_capture_start(struct vh_stack *st, const struct vh_capture_opts *o, struct vh_err *err);

/* Stop capturing: the queued frames and the ISBs are written and the sink is
 * closed (see capture_stop()). Logs what was written and dropped. No-op if
 * no capture runs. */
void vh_capture_stop(struct vh_stack *st);

/* The running capture's counters; -ENOENT if none runs. */
int vh_capture_get_stats(struct vh_stack *st, struct capture_stats *ret);

#endif
