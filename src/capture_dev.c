/* capture_dev.c: the stack's capture hook, feeding the capture engine.
 *
 * The hook runs on the worker for every frame and costs one capture_frame()
 * call. The rest may run on any thread and touches the stack only inside
 * vh_stack_call() (which runs at once on the worker): the NIC list when the
 * capture starts, the hook and st->capture, and the NICs' counters for the
 * last ISBs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture_dev.h"
#include "dev.h"
#include "log.h"
#include "stack.h"
#include "timer.h"

/* st->capture, and the hook's argument while the capture runs. */
struct vh_capture {
	struct vh_stack *st;
	struct capture *cap;
	char *path;
	char *filter;
	unsigned nnics;
	bool logged; /* the summary line is out */
	/* Added to the stack's clock, it gives ns since the Unix epoch, which
	 * is what pcapng readers expect. Modular, like the clocks. */
	uint64_t wall_offset;
	/* The NICs' counters when the capture started: the ISBs count from
	 * there, as pcapng asks. Indexed by device index. */
	unsigned nbase;
	struct nic_base {
		uint64_t recv, drop;
	} *base;
};

static void capture_hook(void *arg, struct vh_dev *dev, int outbound, const struct vh_pkt *pkt)
{
	struct vh_capture *vc = arg;
	/* An outbound pkt->ts is when it was received (forwarded) or is the
	 * release time of a delay line: the frame leaves now. */
	uint64_t ts = outbound ? vh_now(vc->st) : pkt->ts;

	capture_frame(vc->cap, dev->index, outbound ? CAPTURE_OUT : CAPTURE_IN,
		      ts + vc->wall_offset, pkt->data, pkt->len);
}

/* One NIC, as the control thread needs it to declare an interface. */
struct nic_info {
	unsigned index;
	char name[VH_IFNAMSIZ];
	char description[160];
	uint8_t mac[VH_ETH_ALEN];
};

struct list_args {
	struct nic_info *nics; /* room for max */
	unsigned max, n;
};

/* Worker: the NICs, with a description such as "vhost tap NIC 192.0.2.2/24". */
static int list_nics(struct vh_stack *st, void *arg)
{
	struct list_args *a = arg;

	a->n = 0;
	for (struct vh_dev *d = st->devs; d && a->n < a->max; d = d->next) {
		struct nic_info *ni = &a->nics[a->n++];
		size_t len;

		ni->index = d->index;
		snprintf(ni->name, sizeof(ni->name), "%s", d->name);
		memcpy(ni->mac, d->hwaddr, VH_ETH_ALEN);
		len = (size_t)snprintf(ni->description, sizeof(ni->description), "vhost %s NIC",
				       d->ops->kind);
		for (struct vh_iface *i = d->ifaces; i && len < sizeof(ni->description); i = i->next) {
			char a4[VH_ADDR_STR];

			len += (size_t)snprintf(ni->description + len, sizeof(ni->description) - len,
						" %s/%u", vh_addr_str(i->addr, a4), i->plen);
		}
	}
	return 0;
}

/* Worker: a NIC's counters, by device index. */
static int nic_counts(struct vh_stack *st, unsigned index, struct nic_base *ret)
{
	struct vh_dev *d = vh_dev_by_index(st, index);

	if (!d)
		return -ENODEV;
	ret->recv = d->stats.rx_packets;
	ret->drop = d->stats.rx_dropped;
	return 0;
}

/* Worker: note where the NICs' counters stand, and hook in. */
static int hook_in(struct vh_stack *st, void *arg)
{
	struct vh_capture *vc = arg;

	if (st->capture)
		return -EBUSY;
	for (unsigned i = 0; i < vc->nbase; i++)
		if (nic_counts(st, i, &vc->base[i]) < 0)
			vc->base[i] = (struct nic_base){0, 0};
	st->capture = vc;
	st->capture_fn = capture_hook;
	st->capture_arg = vc;
	return 0;
}

/* Worker: unhook the running capture, if any, and tell it to finish; from
 * the return on, the worker offers no more frames. The capture stays in
 * st->capture. */
static int hook_out(struct vh_stack *st, void *arg)
{
	struct vh_capture **ret = arg;
	struct vh_capture *vc = st->capture;

	*ret = NULL;
	if (!vc || st->capture_fn != capture_hook)
		return 0;
	st->capture_fn = NULL;
	st->capture_arg = NULL;
	capture_close(vc->cap); /* asks iface_stats(), which runs here */
	*ret = vc;
	return 0;
}

/* Worker: take a finished capture out of st->capture, so a new one may go
 * in. -EBUSY while one runs or is still writing. */
static int claim(struct vh_stack *st, void *arg)
{
	struct vh_capture **ret = arg;
	struct capture_stats s;

	*ret = NULL;
	if (!st->capture)
		return 0;
	capture_get_stats(st->capture->cap, &s);
	if (!s.done)
		return -EBUSY;
	*ret = st->capture;
	st->capture = NULL;
	return 0;
}

struct count_args {
	struct vh_capture *vc;
	unsigned index;
	struct nic_base *ret;
};

static int count_since_start(struct vh_stack *st, void *arg)
{
	struct count_args *a = arg;
	int r = nic_counts(st, a->index, a->ret);

	if (r == 0 && a->index < a->vc->nbase) {
		a->ret->recv -= a->vc->base[a->index].recv;
		a->ret->drop -= a->vc->base[a->index].drop;
	}
	return r;
}

/* capture_config.iface_stats: runs where capture_close() is called. */
static int iface_stats(void *arg, unsigned id, uint64_t *ret_recv, uint64_t *ret_drop)
{
	struct vh_capture *vc = arg;
	struct nic_base counts;
	struct count_args a = {.vc = vc, .index = id, .ret = &counts};
	int r = vh_stack_call(vc->st, count_since_start, &a);

	if (r < 0)
		return r;
	*ret_recv = counts.recv;
	*ret_drop = counts.drop;
	return 0;
}

static void log_summary(struct vh_stack *st, struct vh_capture *vc)
{
	struct capture_stats s;

	if (vc->logged)
		return;
	vc->logged = true;
	capture_get_stats(vc->cap, &s);
	infof(st,
	      "capture stopped, path=%s, written=%llu, filtered=%llu, dropped=%llu, bytes=%llu, "
	      "files=%u%s%s",
	      vc->path, (unsigned long long)s.written, (unsigned long long)s.filtered,
	      (unsigned long long)s.dropped, (unsigned long long)s.bytes, s.files,
	      s.sink_error ? ", ended by: " : "", s.sink_error ? strerror(-s.sink_error) : "");
}

/* Wait for the writer (at once if it has finished), log, free. */
static void vc_free(struct vh_capture *vc)
{
	if (!vc)
		return;
	if (vc->cap) {
		capture_stop(vc->cap);
		log_summary(vc->st, vc);
		capture_free(vc->cap);
	}
	free(vc->base);
	free(vc->path);
	free(vc->filter);
	free(vc);
}

static bool wanted(const struct vh_capture_opts *o, const char *name)
{
	if (!o->nifaces)
		return true;
	for (unsigned i = 0; i < o->nifaces; i++)
		if (!strcmp(o->ifaces[i], name))
			return true;
	return false;
}

/* Declare the NICs to capture; err names one that does not exist. */
static int add_nics(struct vh_capture *vc, const struct vh_capture_opts *o, struct vh_err *err)
{
	struct nic_info nics[CAPTURE_MAX_IFACES];
	struct list_args la = {.nics = nics, .max = CAPTURE_MAX_IFACES};
	int r;

	vh_stack_call(vc->st, list_nics, &la);
	for (unsigned i = 0; i < o->nifaces; i++) {
		bool found = false;

		for (unsigned k = 0; k < la.n && !found; k++)
			found = !strcmp(nics[k].name, o->ifaces[i]);
		if (!found)
			return vh_err_set(err, ENODEV, "capture: no NIC named '%s'", o->ifaces[i]);
	}
	for (unsigned k = 0; k < la.n; k++) {
		if (!wanted(o, nics[k].name))
			continue;
		r = capture_add_iface(vc->cap, nics[k].index, nics[k].name, nics[k].description,
				      nics[k].mac);
		if (r < 0)
			return vh_err_set(err, -r, "capture: %s: %s", nics[k].name, strerror(-r));
		if (nics[k].index >= vc->nbase)
			vc->nbase = nics[k].index + 1;
		vc->nnics++;
	}
	if (!vc->nnics)
		return vh_err_set(err, ENODEV, "capture: no NIC to capture");
	vc->base = calloc(vc->nbase, sizeof(*vc->base));
	return vc->base ? 0 : vh_err_set(err, ENOMEM, "capture: out of memory");
}

int vh_capture_start(struct vh_stack *st, const struct vh_capture_opts *o, struct vh_err *err)
{
	struct capture_config cfg = {
		.path = o->path,
		.rotate_bytes = o->rotate_bytes,
		.filter = o->filter,
		.snaplen = o->snaplen,
		.ring_bytes = o->ring_bytes,
		.iface_stats = iface_stats,
	};
	struct vh_capture *vc = NULL, *old;
	struct timespec now;
	char msg[sizeof(err->msg)];
	int r;

	/* Before anything opens (and truncates) a file. */
	r = vh_stack_call(st, claim, &old);
	if (r < 0)
		return vh_err_set(err, EBUSY, "capture: one is running or still finishing");
	vc_free(old);
	vc = calloc(1, sizeof(*vc));
	if (!vc || !(vc->path = strdup(o->path)) ||
	    !(vc->filter = strdup(o->filter ? o->filter : ""))) {
		r = vh_err_set(err, ENOMEM, "capture: out of memory");
		goto fail;
	}
	vc->st = st;
	cfg.stats_arg = vc;
	r = capture_new(&cfg, &vc->cap, msg, sizeof(msg));
	if (r < 0) {
		vh_err_set(err, -r, "%s", msg);
		goto fail;
	}
	r = add_nics(vc, o, err);
	if (r < 0)
		goto fail;
	r = capture_start(vc->cap);
	if (r < 0) {
		vh_err_set(err, -r, "capture: cannot write %s: %s", o->path, strerror(-r));
		goto fail;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	vc->wall_offset = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - vh_now(st);
	r = vh_stack_call(st, hook_in, vc);
	if (r < 0) {
		vh_err_set(err, -r, "capture: one is running");
		goto fail;
	}
	infof(st, "capture started, path=%s, nics=%u%s%s", vc->path, vc->nnics,
	      vc->filter[0] ? ", filter=" : "", vc->filter);
	return 0;
fail:
	if (vc)
		vc->logged = true; /* it never ran */
	vc_free(vc);
	return r;
}

void vh_capture_stop(struct vh_stack *st)
{
	struct vh_capture *vc = NULL;

	vh_stack_call(st, hook_out, &vc);
	if (!vc)
		return;
	/* The worker must not wait on a reader: the writer finishes alone,
	 * and the summary comes when the capture is freed. */
	if (vh_on_worker(st)) {
		infof(st, "capture stopping, path=%s", vc->path);
		return;
	}
	capture_stop(vc->cap);
	log_summary(st, vc);
}

static int take(struct vh_stack *st, void *arg)
{
	struct vh_capture **ret = arg;

	*ret = st->capture;
	st->capture = NULL;
	return 0;
}

void vh_capture_free(struct vh_stack *st)
{
	struct vh_capture *vc = NULL;

	vh_capture_stop(st);
	vh_stack_call(st, take, &vc);
	vc_free(vc);
}

static int status(struct vh_stack *st, void *arg)
{
	struct vh_capture_status *ret = arg;
	struct vh_capture *vc = st->capture;

	if (!vc)
		return -ENOENT;
	snprintf(ret->path, sizeof(ret->path), "%s", vc->path);
	snprintf(ret->filter, sizeof(ret->filter), "%s", vc->filter);
	ret->nnics = vc->nnics;
	capture_get_stats(vc->cap, &ret->stats);
	return 0;
}

int vh_capture_status(struct vh_stack *st, struct vh_capture_status *ret)
{
	struct vh_capture_status s;
	int r = vh_stack_call(st, status, &s);

	if (r == 0)
		*ret = s;
	return r;
}

void vh_capture_counters(struct vh_stack *st, vh_counter_fn fn, void *arg)
{
	struct capture_stats s;

	if (!st->capture)
		return;
	capture_get_stats(st->capture->cap, &s);
	fn(arg, "capture", "seen", s.seen);
	fn(arg, "capture", "filtered", s.filtered);
	fn(arg, "capture", "written", s.written);
	fn(arg, "capture", "dropped", s.dropped);
	fn(arg, "capture", "queued", s.queued);
	fn(arg, "capture", "bytes", s.bytes);
	fn(arg, "capture", "files", s.files);
}
