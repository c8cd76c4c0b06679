/* control.h: the control socket, what vhctl talks to.
 *
 * A UNIX stream socket, one request per line of text, one framed reply per
 * request (the protocol is in man/vhctl.8). Parsing is kept apart from
 * execution: ctl_parse() turns bytes into a validated struct ctl_req without
 * touching any stack, so vhctl checks a command line with the same code the
 * server uses, and the fuzzer needs no stack at all. ctl_exec() runs a request
 * against a stack and must run on its worker. ctl_start() adds a thread that
 * accepts clients and hands each request to the worker through
 * vh_stack_call(), so stack state is only ever touched there.
 *
 * Commands are rows of one table (control.c); a new command is one row with
 * its arguments and an exec function. */
#ifndef VH_CONTROL_H
#define VH_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev.h"
#include "vh.h"

#define CTL_REQ_MAX 4096     /* longest request line, without its newline */
#define CTL_WORDS_MAX 16     /* words in a request */
#define CTL_CLIENTS_MAX 32   /* clients served at once; more are told "busy" and closed */
#define CTL_IDLE_MS 10000    /* a client that neither sends nor reads this long is dropped */
#define CTL_SCOPE_MAX 32
#define CTL_PATH_MAX 256
#define CTL_FILTER_MAX 1024

struct ctl_cmd;
struct ctl_server;

/* A validated request. Which fields mean something is in `have` (CTL_A_* bits). */
struct ctl_req {
	const struct ctl_cmd *cmd;
	bool json;
	unsigned have;
	uint32_t prefix;             /* CTL_A_PREFIX, CTL_A_CIDR: network order */
	unsigned plen;
	uint32_t addr;               /* CTL_A_ADDR */
	uint32_t gateway;            /* CTL_A_VIA */
	char dev[VH_IFNAMSIZ];       /* CTL_A_DEV */
	uint32_t metric;             /* CTL_A_METRIC */
	uint8_t mac[VH_ETH_ALEN];    /* CTL_A_LLADDR */
	char scope[CTL_SCOPE_MAX];   /* CTL_A_SCOPE */
	enum vh_log_level level;     /* CTL_A_LEVEL */
	char path[CTL_PATH_MAX];     /* CTL_A_PATH */
	uint64_t size_mb;            /* CTL_A_SIZE */
	char filter[CTL_FILTER_MAX]; /* CTL_A_FILTER: the rest of the line */
};

/* A reply's payload before rendering: named columns and rows of text cells.
 * Numeric columns are written as JSON numbers. */
#define CTL_COLS_MAX 8
struct ctl_table {
	unsigned ncols;
	const char *cols[CTL_COLS_MAX];
	unsigned numeric;            /* bit i: column i is a number */
	bool nested;                 /* JSON: {col0: {col1: col2}} rather than an array */
	unsigned nrows, ncells;
	size_t *cells;               /* offsets into text, ncells of them */
	size_t ncap;
	char *text;
	size_t len, cap;
	bool oom;
};

/* A growable output buffer. */
struct ctl_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Parse one request line (without its newline; need not be NUL-terminated).
 * 0 and *ret filled, or -EINVAL/-E2BIG with err naming the cause; *ret is
 * untouched on failure. */
int ctl_parse(const char *line, size_t len, struct ctl_req *ret, struct vh_err *err);

/* Worker: run req against st. Rows for "show" commands go to out, which the
 * caller set up with ctl_table_init() and frees with ctl_table_free(). */
int ctl_exec(struct vh_stack *st, const struct ctl_req *req, struct ctl_table *out,
	     struct vh_err *err);

void ctl_table_init(struct ctl_table *t);
void ctl_table_free(struct ctl_table *t);
/* Render as aligned text with a header line, or as JSON. */
void ctl_table_render(const struct ctl_table *t, bool json, struct ctl_buf *out);

void ctl_buf_free(struct ctl_buf *b);

/* The complete framed reply for one request line: parse, run on the worker, render. */
void ctl_handle(struct vh_stack *st, const char *line, size_t len, struct ctl_buf *out);

/* Where vhost listens and vhctl connects when no path is given:
 * /run/vhost/vhost.sock for root, else $XDG_RUNTIME_DIR/vhost.sock.
 * -ENOENT when neither applies. */
int ctl_default_path(char *buf, size_t size);

/* Listen on path (mode 0600) and serve st from a thread of our own. A live
 * socket at path is -EADDRINUSE and left alone; a stale one is replaced. One
 * per stack (-EALREADY for a second).
 * Call ctl_stop() before vh_stack_stop()/vh_stack_free(). */
int ctl_start(struct vh_stack *st, const char *path, struct ctl_server **ret, struct vh_err *err);
/* Stop the thread, close every client, unlink the socket if it is still ours. */
void ctl_stop(struct ctl_server *srv);
/* Worker: the control socket's own counters (scope "ctl"), for vh_stack_counters. */
void ctl_counters(struct ctl_server *srv, vh_counter_fn fn, void *arg);

#endif
