/* vh.h: the public API of libvh, the vhost stack.
 *
 * A struct vh_stack is one independent TCP/IP host: its own NICs, addresses,
 * neighbour cache, timers and counters. Nothing is shared between two stacks
 * in one process. Every function that changes a stack runs on the stack's
 * worker thread; from any other thread, go through vh_stack_call().
 *
 * Errors are 0 or a negative errno. Functions that can fail because of what a
 * user typed also fill a struct vh_err with one line naming the cause. */
#ifndef VH_H
#define VH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vh_stack;
struct vh_dev;
struct vh_iface;

enum vh_log_level {
	VH_LOG_ERROR,
	VH_LOG_WARN,
	VH_LOG_INFO,
	VH_LOG_DEBUG,
	VH_LOG_TRACE, /* adds packet dumps */
};

/* One line of log, already formatted as "time [L] func: msg (file:line)". */
typedef void (*vh_log_sink)(void *arg, enum vh_log_level level, const char *line);

/* A user-facing error: one line naming the cause. */
struct vh_err {
	char msg[256];
};

struct vh_stack_config {
	const char *name;          /* shown in logs when several stacks run; may be NULL */
	unsigned pkt_count;        /* MTU-sized packet buffers (default 4096) */
	unsigned big_pkt_count;    /* 64 KiB buffers for reassembly and large frames (default 64) */
	enum vh_log_level log_level;
	vh_log_sink log_sink;      /* NULL: stderr */
	void *log_arg;
	/* The clock, in nanoseconds, monotonic. NULL: CLOCK_MONOTONIC. Tests inject their own. */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

/* Fill cfg with the defaults. */
void vh_stack_config_init(struct vh_stack_config *cfg);
int vh_stack_new(const struct vh_stack_config *cfg, struct vh_stack **ret);
/* Stops the worker if running, closes and frees every device. */
void vh_stack_free(struct vh_stack *st);

/* Start the worker thread; from then on the stack is driven by it. */
int vh_stack_start(struct vh_stack *st);
/* Ask the worker to finish and wait for it. Safe from any thread but the worker. */
void vh_stack_stop(struct vh_stack *st);
/* Without a worker: run one iteration (poll NICs, queues, timers) in the caller. */
int vh_stack_poll(struct vh_stack *st, int timeout_ms);

/* Run fn(st, arg) on the worker and return its result. Runs it directly when
 * called from the worker or when no worker runs. */
int vh_stack_call(struct vh_stack *st, int (*fn)(struct vh_stack *st, void *arg), void *arg);

/* Add a NIC from a spec such as "tap0,addr=192.0.2.2/24,mtu=1500" and open it.
 * The kind comes from the name's prefix (tap, lo, null, spi...) or "type=". */
int vh_stack_add_nic(struct vh_stack *st, const char *spec, struct vh_dev **ret, struct vh_err *err);

void vh_stack_set_log_level(struct vh_stack *st, enum vh_log_level level);
/* Send log lines to sink (NULL: stderr) from now on. Call before vh_stack_start(). */
void vh_stack_set_log_sink(struct vh_stack *st, vh_log_sink sink, void *arg);
enum vh_log_level vh_log_level_parse(const char *s, bool *ok);

/* Every counter of the stack, one call each: scope is "dev.tap0", "ip", "arp"... */
typedef void (*vh_counter_fn)(void *arg, const char *scope, const char *name, uint64_t value);
void vh_stack_counters(struct vh_stack *st, vh_counter_fn fn, void *arg);

/* IPv4 forwarding between NICs, off by default as on Linux. */
void vh_stack_set_forwarding(struct vh_stack *st, bool on);

const char *vh_version(void);

#ifdef __cplusplus
}
#endif
#endif
