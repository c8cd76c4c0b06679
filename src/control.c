/* control.c: control requests: the command table, the parser, the commands,
 * and rendering their answers as aligned text or JSON.
 *
 * A request is words separated by blanks: optional flags ("-j" for JSON),
 * an object (route), a verb (add; "show" when omitted), then the arguments
 * the command's row names: positionals first, then "keyword value" pairs in
 * any order. Every value is checked here, before any stack sees it; what
 * needs the stack (does the NIC exist?) is checked by the command. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "capture_dev.h"
#include "control.h"
#include "ipv4.h"
#include "routing/route.h"
#include "spec.h"
#include "stack.h"
#include "wire/ipv4.h"

/* Argument kinds; each fills one field of struct ctl_req and sets its bit in `have`. */
enum {
	CTL_A_PREFIX = 1u << 0, /* A.B.C.D/N with host bits zero, or "default" */
	CTL_A_CIDR = 1u << 1,   /* A.B.C.D/N, an address with its prefix length */
	CTL_A_ADDR = 1u << 2,   /* A.B.C.D */
	CTL_A_VIA = 1u << 3,    /* a gateway address */
	CTL_A_DEV = 1u << 4,    /* a NIC name */
	CTL_A_METRIC = 1u << 5, /* 0..2^32-1 */
	CTL_A_LLADDR = 1u << 6, /* a unicast MAC */
	CTL_A_SCOPE = 1u << 7,  /* a counter scope: ip, arp, dev.tap0... */
	CTL_A_LEVEL = 1u << 8,  /* a log level */
	CTL_A_PATH = 1u << 9,   /* a file name, "-" or a FIFO */
	CTL_A_SIZE = 1u << 10,  /* MB, 1..1000000 */
	CTL_A_FILTER = 1u << 11, /* a libpcap expression: every word to the end of the line */
	CTL_A_LAST = CTL_A_FILTER,
};

#define CTL_KW_MAX 3

struct ctl_ctx;
typedef int (*ctl_exec_fn)(struct ctl_ctx *x);

struct ctl_cmd {
	const char *object;
	const char *verb;
	const char *syntax;       /* the arguments, for help and error lines */
	unsigned pos[2];          /* positional kinds, in order; 0 ends */
	struct {
		const char *word;
		unsigned kind;
	} kw[CTL_KW_MAX];         /* keyword arguments, any order */
	unsigned required;        /* kinds that must be present */
	unsigned any;             /* at least one of these kinds must be present */
	ctl_exec_fn exec;
};

/* ---- tables and buffers ---------------------------------------------------------------- */

/* A failed allocation is remembered in the table or buffer (oom) and reported
 * once, by ctl_exec or ctl_handle, so commands need not check every cell. */

void ctl_table_init(struct ctl_table *t)
{
	memset(t, 0, sizeof(*t));
}

void ctl_table_free(struct ctl_table *t)
{
	free(t->cells);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Doubling: a million-route answer costs a few dozen reallocs, not a million. */
static bool grow(char **p, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 256;
	char *n;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return true;
	n = realloc(*p, c);
	if (!n)
		return false;
	*p = n;
	*cap = c;
	return true;
}

static void buf_add(struct ctl_buf *b, const char *s, size_t n)
{
	if (b->oom || !grow(&b->p, &b->cap, b->len + n + 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_puts(struct ctl_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Format into tmp and return the length; callers format short fields only, so a
 * longer one is cut rather than lost. */
static size_t vfmt(char *tmp, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static size_t vfmt(char *tmp, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(tmp, size, fmt, ap);

	return n < 0 ? 0 : ((size_t)n < size ? (size_t)n : size - 1);
}

static void buf_printf(struct ctl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vfmt(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_add(b, tmp, n);
}

static void table_cols(struct ctl_table *t, unsigned numeric, const char *const *cols)
{
	for (t->ncols = 0; cols[t->ncols] && t->ncols < CTL_COLS_MAX; t->ncols++)
		t->cols[t->ncols] = cols[t->ncols];
	t->numeric = numeric;
}

/* Append one cell; rows are ncols consecutive cells. Cells are NUL-terminated
 * strings packed in one arena and found by offset (offsets survive realloc),
 * so a table is two growing allocations rather than one per cell. */
static void cell(struct ctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell(struct ctl_table *t, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vfmt(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (t->oom)
		return;
	if (t->ncells == t->ncap) {
		size_t c = t->ncap ? t->ncap * 2 : 64;
		size_t *p = realloc(t->cells, c * sizeof(*p));
		if (!p) {
			t->oom = true;
			return;
		}
		t->cells = p;
		t->ncap = c;
	}
	if (!grow(&t->text, &t->cap, t->len + n + 1)) {
		t->oom = true;
		return;
	}
	t->cells[t->ncells++] = t->len;
	memcpy(t->text + t->len, tmp, n + 1);
	t->len += n + 1;
	if (t->ncells % t->ncols == 0)
		t->nrows++;
}

static const char *cell_at(const struct ctl_table *t, unsigned row, unsigned col)
{
	return t->text + t->cells[row * t->ncols + col];
}

static void json_str(struct ctl_buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			/* Names are ASCII; should anything else get in, the JSON stays valid. */
			buf_printf(b, "\\u%04x", c);
		else
			buf_add(b, (const char *)&c, 1);
	}
	buf_puts(b, "\"");
}

static void json_val(const struct ctl_table *t, struct ctl_buf *b, unsigned row, unsigned col)
{
	if (t->numeric & (1u << col))
		buf_puts(b, cell_at(t, row, col));
	else
		json_str(b, cell_at(t, row, col));
}

static void render_json(const struct ctl_table *t, struct ctl_buf *b)
{
	if (t->nested) {
		/* {"ip": {"in_receives": 3, ...}, ...}. Rows must arrive grouped by their first
		 * column (vh_stack_counters gives each scope in one run), or a key would repeat. */
		buf_puts(b, "{");
		for (unsigned r = 0; r < t->nrows; r++) {
			bool first = r == 0 || strcmp(cell_at(t, r, 0), cell_at(t, r - 1, 0));
			if (first) {
				buf_puts(b, r ? "},\n" : "\n");
				json_str(b, cell_at(t, r, 0));
				buf_puts(b, ": {");
			} else {
				buf_puts(b, ", ");
			}
			json_str(b, cell_at(t, r, 1));
			buf_puts(b, ": ");
			json_val(t, b, r, 2);
		}
		buf_puts(b, t->nrows ? "}\n}\n" : "}\n");
		return;
	}
	buf_puts(b, "[");
	for (unsigned r = 0; r < t->nrows; r++) {
		buf_puts(b, r ? ",\n{" : "\n{");
		for (unsigned c = 0; c < t->ncols; c++) {
			if (c)
				buf_puts(b, ", ");
			json_str(b, t->cols[c]);
			buf_puts(b, ": ");
			json_val(t, b, r, c);
		}
		buf_puts(b, "}");
	}
	buf_puts(b, t->nrows ? "\n]\n" : "]\n");
}

/* Two passes, widths first, so every column lines up whatever its longest cell. */
static void render_text(const struct ctl_table *t, struct ctl_buf *b)
{
	size_t w[CTL_COLS_MAX];

	for (unsigned c = 0; c < t->ncols; c++) {
		w[c] = strlen(t->cols[c]);
		for (unsigned r = 0; r < t->nrows; r++)
			if (strlen(cell_at(t, r, c)) > w[c])
				w[c] = strlen(cell_at(t, r, c));
	}
	for (int r = -1; r < (int)t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = r < 0 ? t->cols[c] : cell_at(t, (unsigned)r, c);
			bool last = c + 1 == t->ncols;
			if (r < 0) {
				/* Header in capitals, like ip -br and ss. */
				for (const char *p = s; *p; p++)
					buf_printf(b, "%c", *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			} else {
				buf_puts(b, s);
			}
			if (!last)
				buf_printf(b, "%*s", (int)(w[c] - strlen(s) + 2), "");
		}
		/* An empty last column would leave blanks at the end of the line. */
		while (b->len && b->p[b->len - 1] == ' ')
			b->len--;
		buf_puts(b, "\n");
	}
}

void ctl_table_render(const struct ctl_table *t, bool json, struct ctl_buf *out)
{
	if (!t->ncols)
		return; /* a change: nothing to show */
	if (json)
		render_json(t, out);
	else
		render_text(t, out);
}

/* ---- commands (worker) ----------------------------------------------------------------- */

/* What a command gets: the request, the NIC its "dev" names (resolved once, in
 * ctl_exec, so no command repeats the lookup), and where its rows and its
 * error go. */
struct ctl_ctx {
	struct vh_stack *st;
	const struct ctl_req *req;
	struct vh_dev *dev;       /* NULL when the request names none */
	struct ctl_table *t;
	struct vh_err *err;
};

static int addr_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"dev", "address", "broadcast", NULL};
	char a[VH_ADDR_STR];

	table_cols(x->t, 0, cols);
	for (struct vh_dev *d = x->st->devs; d; d = d->next) {
		if (x->dev && d != x->dev)
			continue;
		for (struct vh_iface *i = d->ifaces; i; i = i->next) {
			cell(x->t, "%s", d->name);
			cell(x->t, "%s/%u", vh_addr_str(i->addr, a), i->plen);
			cell(x->t, "%s", vh_addr_str(i->bcast, a));
		}
	}
	return 0;
}

static int addr_add(struct ctl_ctx *x)
{
	const struct ctl_req *q = x->req;
	char a[VH_ADDR_STR];
	int r;

	vh_addr_str(q->prefix, a);
	if (ipv4_is_mcast(q->prefix) || ipv4_is_lbcast(q->prefix) || ipv4_is_zeronet(q->prefix))
		return vh_err_set(x->err, EINVAL, "%s is not a unicast address", a);
	r = vh_iface_add(x->st, x->dev, q->prefix, q->plen, NULL);
	if (r == -EEXIST)
		return vh_err_set(x->err, EEXIST, "%s is already an address of this host", a);
	if (r < 0)
		return vh_err_set(x->err, r, "cannot add %s/%u: %s", a, q->plen, strerror(-r));
	return 0;
}

static int addr_del(struct ctl_ctx *x)
{
	const struct ctl_req *q = x->req;
	struct vh_iface *ifc = vh_iface_by_addr(x->st, q->prefix);
	char a[VH_ADDR_STR];

	vh_addr_str(q->prefix, a);
	if (!ifc || ifc->dev != x->dev)
		return vh_err_set(x->err, ENOENT, "%s is not an address of %s", a, x->dev->name);
	/* Deleting by a different prefix length than was added is most likely a typo. */
	if (ifc->plen != q->plen)
		return vh_err_set(x->err, ENOENT, "%s is %s/%u on %s, not /%u", a, a, ifc->plen,
				  x->dev->name, q->plen);
	return vh_iface_del(x->st, x->dev, q->prefix);
}

static void route_row(void *arg, const struct rt_entry *e)
{
	struct ctl_table *t = arg;
	char a[VH_ADDR_STR];

	if (e->plen == 0)
		cell(t, "default");
	else
		cell(t, "%s/%u", vh_addr_str(e->prefix, a), e->plen);
	cell(t, "%s", e->gateway ? vh_addr_str(e->gateway, a) : "-");
	cell(t, "%s", e->dev ? e->dev->name : "-");
	cell(t, "%u", e->metric);
	cell(t, "%s", e->flags & RT_F_CONNECTED ? "connected" : "static");
	cell(t, "%llu", (unsigned long long)e->hits);
}

static int route_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"destination", "gateway", "dev", "metric", "proto",
					   "hits", NULL};

	table_cols(x->t, 1u << 3 | 1u << 5, cols); /* metric and hits are numbers */
	rt_foreach(x->st, route_row, x->t);
	return 0;
}

static int route_add(struct ctl_ctx *x)
{
	const struct ctl_req *q = x->req;

	return rt_add(x->st, q->prefix, q->plen, q->gateway, x->dev, q->metric, RT_F_STATIC,
		      x->err);
}

static int route_del(struct ctl_ctx *x)
{
	const struct ctl_req *q = x->req;

	return rt_del(x->st, q->prefix, q->plen, q->gateway, x->dev, x->err);
}

static int neigh_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"address", "dev", "lladdr", "state", NULL};
	char a[VH_ADDR_STR], m[VH_MAC_STR];

	table_cols(x->t, 0, cols);
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		const struct arp_entry *e = &x->st->arp.e[i];
		if (e->state == ARP_FREE || (x->dev && e->dev != x->dev))
			continue;
		cell(x->t, "%s", vh_addr_str(e->addr, a));
		cell(x->t, "%s", e->dev->name);
		cell(x->t, "%s", e->state == ARP_INCOMPLETE ? "-" : vh_mac_str(e->mac, m));
		cell(x->t, "%s", arp_state_name(e->state));
	}
	return 0;
}

static int neigh_add(struct ctl_ctx *x)
{
	if (x->dev->flags & VH_DEV_F_NOARP)
		return vh_err_set(x->err, EINVAL, "%s has no neighbours (it does not use ARP)",
				  x->dev->name);
	if (arp_add_static(x->st, x->dev, x->req->addr, x->req->mac) < 0)
		return vh_err_set(x->err, ENOSPC, "the neighbour cache is full of entries in use");
	return 0;
}

static int neigh_del(struct ctl_ctx *x)
{
	char a[VH_ADDR_STR];

	if (arp_delete(x->st, x->req->addr) < 0)
		return vh_err_set(x->err, ENOENT, "no neighbour %s", vh_addr_str(x->req->addr, a));
	return 0;
}

static int link_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"index", "name", "kind", "state", "carrier", "mtu",
					   "lladdr", NULL};
	char m[VH_MAC_STR];

	table_cols(x->t, 1u << 0 | 1u << 5, cols); /* index and mtu are numbers */
	for (struct vh_dev *d = x->st->devs; d; d = d->next) {
		if (x->dev && d != x->dev)
			continue;
		cell(x->t, "%u", d->index);
		cell(x->t, "%s", d->name);
		cell(x->t, "%s", d->ops->kind);
		cell(x->t, "%s", d->flags & VH_DEV_F_UP ? "up" : "down");
		cell(x->t, "%s", d->flags & VH_DEV_F_LINK ? "yes" : "no");
		cell(x->t, "%u", d->mtu);
		cell(x->t, "%s", vh_mac_str(d->hwaddr, m));
	}
	return 0;
}

struct stats_walk {
	struct ctl_table *t;
	const char *scope;
	unsigned matched;
};

/* "dev" takes every dev.NAME scope; "dev.tap0" only its own. */
static bool scope_match(const char *want, const char *scope)
{
	size_t n = strlen(want);

	return !strncmp(want, scope, n) && (scope[n] == 0 || scope[n] == '.');
}

static void stats_row(void *arg, const char *scope, const char *name, uint64_t value)
{
	struct stats_walk *w = arg;

	if (w->scope[0] && !scope_match(w->scope, scope))
		return;
	w->matched++;
	cell(w->t, "%s", scope);
	cell(w->t, "%s", name);
	cell(w->t, "%llu", (unsigned long long)value);
}

static int stats_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"scope", "counter", "value", NULL};
	struct stats_walk w = {x->t, x->req->have & CTL_A_SCOPE ? x->req->scope : "", 0};

	table_cols(x->t, 1u << 2, cols);
	x->t->nested = true;
	vh_stack_counters(x->st, stats_row, &w);
	if (w.scope[0] && !w.matched)
		return vh_err_set(x->err, ENOENT,
				  "no counters in scope '%s' (try ip, icmp, arp, route, drop, dev, ctl)",
				  w.scope);
	return 0;
}

static int one_value(struct ctl_table *t, const char *col, const char *val)
{
	const char *cols[] = {col, NULL};

	table_cols(t, 0, cols);
	cell(t, "%s", val);
	return 0;
}

static int forward_show(struct ctl_ctx *x)
{
	return one_value(x->t, "forwarding", x->st->ip.forwarding ? "on" : "off");
}

static int forward_on(struct ctl_ctx *x)
{
	vh_stack_set_forwarding(x->st, true);
	return 0;
}

static int forward_off(struct ctl_ctx *x)
{
	vh_stack_set_forwarding(x->st, false);
	return 0;
}

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

static int log_show(struct ctl_ctx *x)
{
	enum vh_log_level l = x->st->log.level;

	return one_value(x->t, "level", level_names[l <= VH_LOG_TRACE ? l : VH_LOG_TRACE]);
}

static int log_level(struct ctl_ctx *x)
{
	vh_stack_set_log_level(x->st, x->req->level);
	infof(x->st, "log level %s", level_names[x->req->level]);
	return 0;
}

/* "capture": the pcapng capture (capture_dev.h). The state is what a user
 * asks first: running, waiting for a FIFO's reader, failed (the reader is
 * gone; frames are counted as dropped), stopping, stopped, off. */
static int cap_show(struct ctl_ctx *x)
{
	static const char *const cols[] = {"state", "path", "written", "filtered", "dropped",
					   "bytes", "files", "error", NULL};
	struct vh_capture_status cs;
	const struct capture_stats *s = &cs.stats;
	const char *state;

	table_cols(x->t, 0x7cu, cols);
	if (vh_capture_status(x->st, &cs) < 0) {
		memset(&cs, 0, sizeof(cs));
		state = "off";
	} else if (s->running) {
		state = s->sink_error ? "failed" : s->sink_open ? "running" : "waiting";
	} else {
		state = s->done ? "stopped" : "stopping";
	}
	cell(x->t, "%s", state);
	cell(x->t, "%s", cs.path);
	cell(x->t, "%llu", (unsigned long long)s->written);
	cell(x->t, "%llu", (unsigned long long)s->filtered);
	cell(x->t, "%llu", (unsigned long long)s->dropped);
	cell(x->t, "%llu", (unsigned long long)s->bytes);
	cell(x->t, "%u", s->files);
	cell(x->t, "%s", s->sink_error ? strerror(-s->sink_error) : "");
	return 0;
}

static int cap_start(struct ctl_ctx *x)
{
	const char *ifaces[1] = {x->dev ? x->dev->name : NULL};
	struct vh_capture_opts o = {
		.path = x->req->path,
		.rotate_bytes = x->req->size_mb * 1000000u, /* as vhost --capture-size */
		.filter = x->req->have & CTL_A_FILTER ? x->req->filter : NULL,
		.ifaces = ifaces,
		.nifaces = x->dev ? 1 : 0,
	};

	return vh_capture_start(x->st, &o, x->err);
}

static int cap_stop(struct ctl_ctx *x)
{
	struct vh_capture_status cs;

	if (vh_capture_status(x->st, &cs) < 0 || !cs.stats.running)
		return vh_err_set(x->err, ENOENT, "no capture is running");
	/* On the worker: returns at once, the writer finishes on its own. */
	vh_capture_stop(x->st);
	return 0;
}

static int help(struct ctl_ctx *x);

/* The commands. The first row of each object is its default verb. */
static const struct ctl_cmd commands[] = {
	{"addr", "show", "[dev NAME]", {0}, {{"dev", CTL_A_DEV}}, 0, 0, addr_show},
	{"addr", "add", "A.B.C.D/N dev NAME", {CTL_A_CIDR}, {{"dev", CTL_A_DEV}},
	 CTL_A_CIDR | CTL_A_DEV, 0, addr_add},
	{"addr", "del", "A.B.C.D/N dev NAME", {CTL_A_CIDR}, {{"dev", CTL_A_DEV}},
	 CTL_A_CIDR | CTL_A_DEV, 0, addr_del},
	{"route", "show", "", {0}, {{0}}, 0, 0, route_show},
	{"route", "add", "PREFIX/N|default [via A.B.C.D] [dev NAME] [metric N]", {CTL_A_PREFIX},
	 {{"via", CTL_A_VIA}, {"dev", CTL_A_DEV}, {"metric", CTL_A_METRIC}}, CTL_A_PREFIX,
	 CTL_A_VIA | CTL_A_DEV, route_add},
	{"route", "del", "PREFIX/N|default [via A.B.C.D] [dev NAME]", {CTL_A_PREFIX},
	 {{"via", CTL_A_VIA}, {"dev", CTL_A_DEV}}, CTL_A_PREFIX, 0, route_del},
	{"neigh", "show", "[dev NAME]", {0}, {{"dev", CTL_A_DEV}}, 0, 0, neigh_show},
	{"neigh", "add", "A.B.C.D lladdr MAC dev NAME", {CTL_A_ADDR},
	 {{"lladdr", CTL_A_LLADDR}, {"dev", CTL_A_DEV}}, CTL_A_ADDR | CTL_A_LLADDR | CTL_A_DEV, 0,
	 neigh_add},
	{"neigh", "del", "A.B.C.D", {CTL_A_ADDR}, {{0}}, CTL_A_ADDR, 0, neigh_del},
	{"link", "show", "[[dev] NAME]", {CTL_A_DEV}, {{"dev", CTL_A_DEV}}, 0, 0, link_show},
	{"stats", "show", "[SCOPE]", {CTL_A_SCOPE}, {{0}}, 0, 0, stats_show},
	{"forward", "show", "", {0}, {{0}}, 0, 0, forward_show},
	{"forward", "on", "", {0}, {{0}}, 0, 0, forward_on},
	{"forward", "off", "", {0}, {{0}}, 0, 0, forward_off},
	{"log", "show", "", {0}, {{0}}, 0, 0, log_show},
	{"log", "level", "error|warn|info|debug|trace", {CTL_A_LEVEL}, {{0}}, CTL_A_LEVEL, 0,
	 log_level},
	{"capture", "show", "", {0}, {{0}}, 0, 0, cap_show},
	{"capture", "start", "PATH|- [size MB] [dev NAME] [filter EXPR...]", {CTL_A_PATH},
	 {{"size", CTL_A_SIZE}, {"dev", CTL_A_DEV}, {"filter", CTL_A_FILTER}}, CTL_A_PATH, 0,
	 cap_start},
	{"capture", "stop", "", {0}, {{0}}, 0, 0, cap_stop},
	{"help", "show", "", {0}, {{0}}, 0, 0, help},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int help(struct ctl_ctx *x)
{
	static const char *const cols[] = {"command", "arguments", NULL};

	table_cols(x->t, 0, cols);
	for (unsigned i = 0; i < NCOMMANDS; i++) {
		cell(x->t, "%s %s", commands[i].object, commands[i].verb);
		cell(x->t, "%s", commands[i].syntax);
	}
	return 0;
}

int ctl_exec(struct vh_stack *st, const struct ctl_req *req, struct ctl_table *out,
	     struct vh_err *err)
{
	struct ctl_ctx x = {st, req, NULL, out, err};
	int r;

	if (err)
		err->msg[0] = 0;
	if ((req->have & CTL_A_DEV) && !(x.dev = vh_dev_by_name(st, req->dev)))
		return vh_err_set(err, ENODEV, "no NIC named '%s' (see vhctl link)", req->dev);
	r = req->cmd->exec(&x);
	if (r == 0 && out->oom)
		r = vh_err_set(err, ENOMEM, "out of memory for the reply");
	if (r < 0 && err && !err->msg[0])
		vh_err_set(err, r, "%s", strerror(-r));
	return r;
}

/* ---- parser ------------------------------------------------------------------------------ */

/* Split into words in place; -E2BIG past CTL_WORDS_MAX. */
static int split(char *s, char **words, unsigned *ret_n)
{
	unsigned n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = 0;
		if (!*s)
			break;
		if (n == CTL_WORDS_MAX)
			return -E2BIG;
		words[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	*ret_n = n;
	return 0;
}

static int parse_value(unsigned kind, const char *w, struct ctl_req *q, struct vh_err *err)
{
	uint64_t v;
	bool ok;

	switch (kind) {
	case CTL_A_PREFIX:
		if (!strcmp(w, "default")) {
			q->prefix = 0;
			q->plen = 0;
			break;
		}
		if (vh_parse_cidr(w, &q->prefix, &q->plen) < 0)
			return vh_err_set(err, EINVAL, "'%s' is not PREFIX/LEN such as 192.0.2.0/24",
					  w);
		/* Host bits are a typo more often than a wish: say so rather than mask them. */
		if (q->prefix & ~(q->plen ? htonl(~0u << (32 - q->plen)) : 0))
			return vh_err_set(err, EINVAL, "'%s' has host bits set", w);
		break;
	case CTL_A_CIDR:
		if (vh_parse_cidr(w, &q->prefix, &q->plen) < 0)
			return vh_err_set(err, EINVAL,
					  "'%s' is not ADDRESS/LEN such as 192.0.2.2/24", w);
		break;
	case CTL_A_ADDR:
	case CTL_A_VIA:
		if (vh_parse_addr(w, kind == CTL_A_ADDR ? &q->addr : &q->gateway) < 0)
			return vh_err_set(err, EINVAL, "'%s' is not an IPv4 address", w);
		break;
	case CTL_A_DEV:
		if (strlen(w) >= sizeof(q->dev))
			return vh_err_set(err, EINVAL, "NIC name '%.20s...' is longer than %zu", w,
					  sizeof(q->dev) - 1);
		snprintf(q->dev, sizeof(q->dev), "%s", w);
		break;
	case CTL_A_METRIC:
		if (vh_parse_u64(w, 0, UINT32_MAX, &v) < 0)
			return vh_err_set(err, EINVAL, "metric '%s' is not a number 0-4294967295", w);
		q->metric = (uint32_t)v;
		break;
	case CTL_A_LLADDR:
		if (vh_parse_mac(w, q->mac) < 0)
			return vh_err_set(err, EINVAL,
					  "'%s' is not a unicast MAC such as 02:00:00:00:00:01", w);
		break;
	case CTL_A_SCOPE:
		if (strlen(w) >= sizeof(q->scope))
			return vh_err_set(err, EINVAL, "scope '%.20s...' is too long", w);
		snprintf(q->scope, sizeof(q->scope), "%s", w);
		break;
	case CTL_A_LEVEL:
		q->level = vh_log_level_parse(w, &ok);
		if (!ok)
			return vh_err_set(err, EINVAL,
					  "log level '%s': use error, warn, info, debug or trace", w);
		break;
	case CTL_A_PATH:
		if (strlen(w) >= sizeof(q->path))
			return vh_err_set(err, EINVAL, "path '%.20s...' is longer than %zu", w,
					  sizeof(q->path) - 1);
		snprintf(q->path, sizeof(q->path), "%s", w);
		break;
	case CTL_A_SIZE:
		if (vh_parse_u64(w, 1, 1000000, &v) < 0)
			return vh_err_set(err, EINVAL, "size '%s' is not 1-1000000 (MB)", w);
		q->size_mb = v;
		break;
	case CTL_A_FILTER:
		/* The words were joined by parse_args(); libpcap checks the rest. */
		if (strlen(w) >= sizeof(q->filter))
			return vh_err_set(err, EINVAL, "filter longer than %zu", sizeof(q->filter) - 1);
		snprintf(q->filter, sizeof(q->filter), "%s", w);
		break;
	default:
		assert(0 && "argument kind without a parser");
		return -EINVAL;
	}
	q->have |= kind;
	return 0;
}

static const char *kind_name(const struct ctl_cmd *c, unsigned kind)
{
	for (unsigned k = 0; k < CTL_KW_MAX && c->kw[k].word; k++)
		if (c->kw[k].kind == kind)
			return c->kw[k].word;
	return kind == CTL_A_PREFIX ? "PREFIX/N" : kind == CTL_A_CIDR ? "A.B.C.D/N"
		 : kind == CTL_A_ADDR ? "A.B.C.D" : kind == CTL_A_LEVEL ? "LEVEL"
		 : kind == CTL_A_PATH ? "PATH" : "an argument";
}

static int keyword(const struct ctl_cmd *c, const char *w)
{
	for (unsigned k = 0; k < CTL_KW_MAX && c->kw[k].word; k++)
		if (!strcmp(c->kw[k].word, w))
			return (int)k;
	return -1;
}

/* The words after the verb, against the command's row: positionals while the
 * word is not one of its keywords, then keyword/value pairs, each at most once;
 * then what is required must be there. */
static int parse_args(const struct ctl_cmd *c, char **w, unsigned n, struct ctl_req *q,
		      struct vh_err *err)
{
	char pre[48];
	unsigned i = 0;
	int r;

	snprintf(pre, sizeof(pre), "%s %s", c->object, c->verb);
	for (unsigned p = 0; p < 2 && c->pos[p] && i < n && keyword(c, w[i]) < 0; p++) {
		r = parse_value(c->pos[p], w[i++], q, err);
		if (r < 0)
			goto named;
	}
	while (i < n) {
		int k = keyword(c, w[i]);
		if (k < 0)
			return vh_err_set(err, EINVAL, "%s: unexpected '%.40s' (arguments: %s)", pre,
					  w[i], c->syntax[0] ? c->syntax : "none");
		if (q->have & c->kw[k].kind)
			return vh_err_set(err, EINVAL, "%s: '%s' given twice", pre, w[i]);
		if (i + 1 == n)
			return vh_err_set(err, EINVAL, "%s: '%s' needs a value", pre, w[i]);
		/* A filter is the rest of the line, put back together (split()
		 * cut it at blanks, which libpcap does not care about). */
		if (c->kw[k].kind == CTL_A_FILTER) {
			for (char *p = w[i + 1]; p < w[n - 1]; p++)
				if (!*p)
					*p = ' ';
			n = i + 2;
		}
		r = parse_value(c->kw[k].kind, w[i + 1], q, err);
		if (r < 0)
			goto named;
		i += 2;
	}
	for (unsigned b = 1; b <= CTL_A_LAST; b <<= 1)
		if ((c->required & b) && !(q->have & b))
			return vh_err_set(err, EINVAL, "%s: missing %s (arguments: %s)", pre,
					  kind_name(c, b), c->syntax);
	if (c->any && !(q->have & c->any))
		return vh_err_set(err, EINVAL, "%s: needs via GATEWAY or dev NAME (arguments: %s)",
				  pre, c->syntax);
	return 0;
named:
	/* Put the command in front of the value's own reason. */
	if (err) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		vh_err_set(err, r, "%s: %s", pre, msg);
	}
	return r;
}

/* For error lines that say what would have been right: the objects, or one
 * object's verbs, straight from the table so they never go stale. */
static void list_objects(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < NCOMMANDS; i++)
		if (i == 0 || strcmp(commands[i].object, commands[i - 1].object))
			len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
						len ? ", " : "", commands[i].object);
}

static void list_verbs(const char *object, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].object, object))
			len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
						len ? ", " : "", commands[i].verb);
}

/* Bytes first (bound, alphabet), then words, then the table: each step can
 * trust what the one before checked. */
int ctl_parse(const char *line, size_t len, struct ctl_req *ret, struct vh_err *err)
{
	char text[CTL_REQ_MAX + 1], *w[CTL_WORDS_MAX], names[128];
	struct ctl_req q = {0};
	const struct ctl_cmd *c = NULL;
	unsigned n, i = 0;

	if (len > CTL_REQ_MAX)
		return vh_err_set(err, E2BIG, "request longer than %d bytes", CTL_REQ_MAX);
	for (size_t k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)line[k];
		/* Words are plain ASCII: no NUL to cut a name short, no escapes to hide in. */
		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f)
			return vh_err_set(err, EINVAL, "request has byte 0x%02x at offset %zu; "
					  "only printable ASCII is allowed", ch, k);
	}
	memcpy(text, line, len);
	text[len] = 0;
	if (split(text, w, &n) < 0)
		return vh_err_set(err, E2BIG, "request has more than %d words", CTL_WORDS_MAX);
	for (; i < n && w[i][0] == '-'; i++) {
		if (strcmp(w[i], "-j"))
			return vh_err_set(err, EINVAL, "unknown request flag '%.20s' (only -j)", w[i]);
		q.json = true;
	}
	list_objects(names, sizeof(names));
	if (i == n)
		return vh_err_set(err, EINVAL, "empty request (commands: %s)", names);
	for (unsigned k = 0; k < NCOMMANDS && !c; k++)
		if (!strcmp(commands[k].object, w[i]))
			c = &commands[k];
	if (!c)
		return vh_err_set(err, EINVAL, "unknown command '%.40s' (commands: %s)", w[i], names);
	i++;
	if (i < n) {
		const struct ctl_cmd *v = NULL;
		for (unsigned k = 0; k < NCOMMANDS && !v; k++)
			if (!strcmp(commands[k].object, c->object) &&
			    !strcmp(commands[k].verb, w[i]))
				v = &commands[k];
		if (v) {
			c = v;
			i++;
		} else if (!c->pos[0] && keyword(c, w[i]) < 0) {
			/* Without a verb the next word must be an argument of the default verb
			 * ("link tap0", "addr dev tap0"); anything else is a mistyped verb. */
			list_verbs(c->object, names, sizeof(names));
			return vh_err_set(err, EINVAL, "%s: unknown action '%.40s' (use %s)",
					  c->object, w[i], names);
		}
	}
	int r = parse_args(c, w + i, n - i, &q, err);
	if (r < 0)
		return r;
	q.cmd = c;
	*ret = q;
	return 0;
}

/* ---- one request, start to finish ---------------------------------------------------------- */

struct exec_job {
	const struct ctl_req *req;
	struct ctl_table *out;
	struct vh_err *err;
};

static int exec_on_worker(struct vh_stack *st, void *arg)
{
	struct exec_job *j = arg;

	return ctl_exec(st, j->req, j->out, j->err);
}

static void reply(struct ctl_buf *out, bool ok, const char *payload, size_t len)
{
	buf_printf(out, "%s %zu\n", ok ? "ok" : "error", len);
	buf_add(out, payload, len);
}

/* Parsing and rendering run on the caller's thread; only ctl_exec runs on the
 * worker, so the worker spends no time on text. */
void ctl_handle(struct vh_stack *st, const char *line, size_t len, struct ctl_buf *out)
{
	struct vh_err err = {{0}};
	struct ctl_req req;
	struct ctl_table t;
	struct ctl_buf body = {0};
	int r;

	ctl_table_init(&t);
	r = ctl_parse(line, len, &req, &err);
	if (r == 0) {
		struct exec_job j = {&req, &t, &err};
		r = vh_stack_call(st, exec_on_worker, &j);
	}
	if (r < 0) {
		buf_puts(&body, err.msg);
		buf_puts(&body, "\n");
	} else {
		ctl_table_render(&t, req.json, &body);
		if (body.oom) {
			ctl_buf_free(&body);
			r = -ENOMEM;
			buf_puts(&body, "out of memory for the reply\n");
		}
	}
	reply(out, r == 0, body.p ? body.p : "", body.len);
	ctl_table_free(&t);
	ctl_buf_free(&body);
}
