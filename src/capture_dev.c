/* capture_dev.c: the stack's capture hook, feeding the capture engine.
 *
 * The hook runs on the worker for every frame and costs one capture_frame()
 * call. The rest runs on the control thread, and touches the stack only
 * inside vh_stack_call(): the NIC list when the capture starts, the hook
 * itself, and the NICs' counters for the last ISBs. */
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

/* What the stack's capture_arg points to while a capture runs. */
struct vh_capture {
	struct vh_stack *st;
	struct capture *cap;
	char *path;
	unsigned nnics;
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

	if (st->capture_fn)
		return -EBUSY;
	for (unsigned i = 0; i < vc->nbase; i++)
		if (nic_counts(st, i, &vc->base[i]) < 0)
			vc->base[i] = (struct nic_base){0, 0};
	st->capture_fn = capture_hook;
	st->capture_arg = vc;
	return 0;
}

/* Worker: unhook; from its return on, the worker offers no more frames. */
static int hook_out(struct vh_stack *st, void *arg)
{
	struct vh_capture **ret = arg;

	*ret = st->capture_fn == capture_hook ? st->capture_arg : NULL;
	if (*ret) {
		st->capture_fn = NULL;
		st->capture_arg = NULL;
	}
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

/* capture_config.iface_stats: runs on capture_stop()'s thread, our control
 * thread, so it asks the worker. */
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

static void vc_free(struct vh_capture *vc)
{
	if (!vc)
		return;
	capture_free(vc->cap);
	free(vc->base);
	free(vc->path);
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
	struct vh_capture *vc;
	struct capture_stats running;
	struct timespec now;
	char msg[sizeof(err->msg)];
	int r;

	/* Before anything opens (and truncates) a file. */
	if (vh_capture_get_stats(st, &running) == 0)
		return vh_err_set(err, EBUSY, "capture: a capture already runs");
	vc = calloc(1, sizeof(*vc));
	if (!vc || !(vc->path = strdup(o->path))) {
		free(vc);
		return vh_err_set(err, ENOMEM, "capture: out of memory");
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
		vh_err_set(err, -r, "capture: a capture already runs");
		goto fail;
	}
	infof(st, "capture started, path=%s, nics=%u%s%s", vc->path, vc->nnics,
	      o->filter ? ", filter=" : "", o->filter ? o->filter : "");
	return 0;
fail:
	vc_free(vc);
	return r;
}

void vh_capture_stop(struct vh_stack *st)
{
	struct vh_capture *vc = NULL;
	struct capture_stats s;

	vh_stack_call(st, hook_out, &vc);
	if (!vc)
		return;
	capture_stop(vc->cap);
	capture_get_stats(vc->cap, &s);
	infof(st,
	      "capture stopped, path=%s, written=%llu, filtered=%llu, dropped=%llu, bytes=%llu, "
	      "files=%u%s%s",
	      vc->path, (unsigned long long)s.written, (unsigned long long)s.filtered,
	      (unsigned long long)s.dropped, (unsigned long long)s.bytes, s.files,
	      s.sink_error ? ", ended by: " : "", s.sink_error ? strerror(-s.sink_error) : "");
	vc_free(vc);
}

static int get_stats(struct vh_stack *st, void *arg)
{
	struct capture_stats *ret = arg;

	if (st->capture_fn != capture_hook)
		return -ENOENT;
	capture_get_stats(((struct vh_capture *)st->capture_arg)->cap, ret);
	return 0;
}

int vh_capture_get_stats(struct vh_stack *st, struct capture_stats *ret)
{
	struct capture_stats s;
	int r = vh_stack_call(st, get_stats, &s);

	if (r == 0)
		*ret = s;
	return r;
}
