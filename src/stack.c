/* stack.c: struct vh_stack and its worker loop.
 *
 * One worker thread owns the stack. Each round it polls the NICs' fds and its
 * own eventfd, then: takes the frames other threads queued (in one batch,
 * under one lock), runs requests from application threads, reads each
 * readable NIC up to a budget, delivers packets we sent to ourselves, and
 * fires due timers. Frames never cross threads one at a time. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arp.h"
#include "capture_dev.h"
#include "ether.h"
#include "icmp.h"
#include "ifaces/registry.h"
#include "impair.h"
#include "ipv4.h"
#include "routing/forward.h"
#include "spec.h"
#include "stack.h"
#include "wire/ipv4.h"

struct vh_call {
	struct vh_call *next;
	int (*fn)(struct vh_stack *st, void *arg);
	void *arg;
	int rc;
	bool done;
	pthread_cond_t cond;
};

void vh_dev_close_all(struct vh_stack *st);

const char *vh_version(void)
{
	return VH_VERSION;
}

void vh_stack_config_init(struct vh_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pkt_count = 4096;
	cfg->big_pkt_count = 64;
	cfg->log_level = VH_LOG_INFO;
}

int vh_stack_new(const struct vh_stack_config *cfg, struct vh_stack **ret)
{
	struct vh_stack_config def;
	struct vh_stack *st;
	int r;

	if (!cfg) {
		vh_stack_config_init(&def);
		cfg = &def;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (cfg->name)
		snprintf(st->name, sizeof(st->name), "%s", cfg->name);
	if (st->name[0])
		snprintf(st->log.prefix, sizeof(st->log.prefix), "%s ", st->name);
	st->log.level = cfg->log_level;
	st->log.sink = cfg->log_sink;
	st->log.arg = cfg->log_arg;
	st->clock = cfg->clock;
	st->clock_arg = cfg->clock_arg;
	st->log.rl_tokens = 20;
	st->log.rl_last_ns = vh_now(st);
	pthread_mutex_init(&st->inq_lock, NULL);
	vh_pktq_init(&st->inq, VH_INQ_MAX);
	vh_pktq_init(&st->backlog, VH_BACKLOG_MAX);
	st->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (st->wake_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = vh_pool_init(&st->pool, cfg->pkt_count ? cfg->pkt_count : 4096,
			 VH_PKT_HEADROOM + VH_PKT_SMALL);
	if (r < 0)
		goto fail;
	r = vh_pool_init(&st->bigpool, cfg->big_pkt_count, VH_PKT_HEADROOM + VH_PKT_BIG);
	if (r < 0)
		goto fail;
	r = rt_init(st);
	if (r < 0)
		goto fail;
	st->pfds_dirty = true;
	arp_init(st);
	ipv4_init(st);
	icmp_init(st);
	fwd_init(st);
	udp_init(st);
	tcp_init(st);
	if (!st->tcp.hash || sock_init(st) < 0) {
		/* Nothing runs yet: undo in reverse. */
		tcp_fini(st);
		ipv4_fini(st);
		arp_fini(st);
		rt_fini(st);
		r = -ENOMEM;
		goto fail;
	}
	*ret = st;
	return 0;
fail:
	if (st->wake_fd >= 0)
		close(st->wake_fd);
	vh_pool_destroy(&st->pool);
	vh_pool_destroy(&st->bigpool);
	free(st);
	return r;
}

void vh_stack_free(struct vh_stack *st)
{
	if (!st)
		return;
	vh_stack_stop(st);
	/* After the worker, so the last ISBs carry the NICs' final counts. */
	vh_capture_free(st);
	tcp_fini(st);
	sock_fini(st);
	udp_fini(st);
	ipv4_fini(st);
	arp_fini(st);
	/* Impairment delay lines hold timers inside devices: cancel before freeing them. */
	for (struct vh_dev *d = st->devs; d; d = d->next)
		if (d->impair) {
			vh_timer_cancel(st, &d->impair->in.timer);
			vh_timer_cancel(st, &d->impair->out.timer);
			vh_timer_cancel(st, &d->impair->in.hold_timer);
			vh_timer_cancel(st, &d->impair->out.hold_timer);
		}
	vh_dev_close_all(st);
	rt_fini(st);
	vh_pktq_purge(&st->backlog);
	vh_pktq_purge(&st->inq);
	vh_timers_free(&st->timers);
	free(st->pfds);
	free(st->pfd_devs);
	close(st->wake_fd);
	vh_pool_destroy(&st->pool);
	vh_pool_destroy(&st->bigpool);
	pthread_mutex_destroy(&st->inq_lock);
	free(st);
}

void vh_stack_wake(struct vh_stack *st)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is already non-zero: the worker will wake anyway. */
	if (write(st->wake_fd, &one, sizeof(one)) < 0) {
	}
}

bool vh_on_worker(const struct vh_stack *st)
{
	return st->running && pthread_equal(pthread_self(), st->worker);
}

void vh_stack_loopback(struct vh_stack *st, struct vh_pkt *pkt)
{
	if (vh_pktq_push(&st->backlog, pkt) < 0)
		vh_drop(st, pkt->dev, pkt, VH_DROP_QUEUE_FULL);
}

static int rebuild_pfds(struct vh_stack *st)
{
	unsigned n = 1;
	struct pollfd *p;
	struct vh_dev **d;

	for (struct vh_dev *dev = st->devs; dev; dev = dev->next)
		if (dev->fd >= 0)
			n++;
	p = realloc(st->pfds, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	st->pfds = p;
	d = realloc(st->pfd_devs, n * sizeof(*d));
	if (!d)
		return -ENOMEM;
	st->pfd_devs = d;
	p[0] = (struct pollfd){.fd = st->wake_fd, .events = POLLIN};
	d[0] = NULL;
	n = 1;
	for (struct vh_dev *dev = st->devs; dev; dev = dev->next)
		if (dev->fd >= 0) {
			p[n] = (struct pollfd){.fd = dev->fd, .events = POLLIN};
			d[n++] = dev;
		}
	st->npfds = n;
	st->pfds_dirty = false;
	return 0;
}

static void run_inq(struct vh_stack *st)
{
	struct vh_pkt *list;
	struct vh_call *calls;

	pthread_mutex_lock(&st->inq_lock);
	list = st->inq.head;
	vh_pktq_init(&st->inq, VH_INQ_MAX);
	calls = st->calls;
	st->calls = NULL;
	pthread_mutex_unlock(&st->inq_lock);

	while (list) {
		struct vh_pkt *next = list->next;
		list->next = NULL;
		vh_dev_input(list->dev, list);
		list = next;
	}
	/* Calls were pushed newest first: run them in arrival order. */
	struct vh_call *rev = NULL;
	while (calls) {
		struct vh_call *n = calls->next;
		calls->next = rev;
		rev = calls;
		calls = n;
	}
	while (rev) {
		struct vh_call *n = rev->next;
		int rc = rev->fn(st, rev->arg);
		pthread_mutex_lock(&st->inq_lock);
		rev->rc = rc;
		rev->done = true;
		pthread_cond_signal(&rev->cond);
		pthread_mutex_unlock(&st->inq_lock);
		rev = n;
	}
}

int vh_stack_poll(struct vh_stack *st, int timeout_ms)
{
	uint64_t next_timer, now;
	bool busy = false;
	int n, timeout = timeout_ms;

	if (st->pfds_dirty && rebuild_pfds(st) < 0)
		return -ENOMEM;

	now = vh_now(st);
	next_timer = st->timers.n ? (st->timers.heap[0]->expires > now
					     ? st->timers.heap[0]->expires - now
					     : 0)
				  : UINT64_MAX;
	for (struct vh_dev *d = st->devs; d; d = d->next)
		if (d->poll_ns) {
			uint64_t due = d->next_poll > now ? d->next_poll - now : 0;
			if (due < next_timer)
				next_timer = due;
		}
	if (st->backlog.len)
		next_timer = 0;
	if (next_timer != UINT64_MAX) {
		/* Round up so we do not wake a hair early and spin. */
		uint64_t ms = (next_timer + VH_MS - 1) / VH_MS;
		if (timeout < 0 || ms < (uint64_t)timeout)
			timeout = (int)ms;
	}

	n = poll(st->pfds, st->npfds, timeout);
	if (n < 0 && errno != EINTR)
		return -errno;
	if (n > 0 && (st->pfds[0].revents & POLLIN)) {
		uint64_t v;
		if (read(st->wake_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: someone else drained it; nothing to do. */
		}
	}
	run_inq(st);
	for (unsigned i = 1; n > 0 && i < st->npfds; i++) {
		struct vh_dev *dev = st->pfd_devs[i];
		if (!(st->pfds[i].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if (dev->ops->poll(dev, VH_POLL_BUDGET) >= (int)VH_POLL_BUDGET)
			busy = true;
	}
	now = vh_now(st);
	for (struct vh_dev *d = st->devs; d; d = d->next)
		if (d->poll_ns && d->next_poll <= now) {
			d->next_poll = now + d->poll_ns;
			d->ops->poll(d, VH_POLL_BUDGET);
		}
	for (unsigned k = 0; k < VH_BACKLOG_MAX && st->backlog.head; k++) {
		struct vh_pkt *p = vh_pktq_pop(&st->backlog);
		ipv4_input(p->dev, p);
	}
	vh_timers_run(st);
	return busy ? 1 : 0;
}

static void *worker_main(void *arg)
{
	struct vh_stack *st = arg;
	sigset_t all;
	int busy = 0;

	/* Signals belong to the program's main thread, never to the worker. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	infof(st, "worker running");
	while (!atomic_load(&st->stopping)) {
		busy = vh_stack_poll(st, busy > 0 ? 0 : 1000);
		if (busy < 0) {
			errorf(st, "poll failed: %s", strerror(-busy));
			break;
		}
	}
	infof(st, "worker stopped");
	return NULL;
}

int vh_stack_start(struct vh_stack *st)
{
	int r;

	if (st->running)
		return -EALREADY;
	atomic_store(&st->stopping, false);
	st->running = true;
	r = pthread_create(&st->worker, NULL, worker_main, st);
	if (r) {
		st->running = false;
		return -r;
	}
	return 0;
}

void vh_stack_stop(struct vh_stack *st)
{
	if (!st->running)
		return;
	atomic_store(&st->stopping, true);
	vh_stack_wake(st);
	pthread_join(st->worker, NULL);
	st->running = false;
	/* Anyone still waiting gets an answer. */
	run_inq(st);
}

int vh_stack_call(struct vh_stack *st, int (*fn)(struct vh_stack *st, void *arg), void *arg)
{
	struct vh_call c = {.fn = fn, .arg = arg};
	int rc;

	if (!st->running || vh_on_worker(st))
		return fn(st, arg);
	pthread_cond_init(&c.cond, NULL);
	pthread_mutex_lock(&st->inq_lock);
	c.next = st->calls;
	st->calls = &c;
	pthread_mutex_unlock(&st->inq_lock);
	vh_stack_wake(st);
	pthread_mutex_lock(&st->inq_lock);
	while (!c.done)
		pthread_cond_wait(&c.cond, &st->inq_lock);
	rc = c.rc;
	pthread_mutex_unlock(&st->inq_lock);
	pthread_cond_destroy(&c.cond);
	return rc;
}

void vh_stack_set_log_level(struct vh_stack *st, enum vh_log_level level)
{
	st->log.level = level;
}

void vh_stack_set_log_sink(struct vh_stack *st, vh_log_sink sink, void *arg)
{
	st->log.sink = sink;
	st->log.arg = arg;
}

void vh_stack_set_forwarding(struct vh_stack *st, bool on)
{
	st->ip.forwarding = on;
	infof(st, "forwarding %s", on ? "on" : "off");
}

struct add_nic_args {
	const char *spec;
	struct vh_dev **ret;
	struct vh_err *err;
};

#define NIC_MAX_ADDRS 8

static int add_nic(struct vh_stack *st, void *arg)
{
	struct add_nic_args *a = arg;
	struct vh_spec spec;
	struct vh_dev *dev = NULL;
	uint32_t addrs[NIC_MAX_ADDRS];
	unsigned plens[NIC_MAX_ADDRS], naddr = 0;
	const char *v;
	uint64_t mtu;
	int r;

	r = vh_spec_parse(a->spec, &spec, a->err);
	if (r < 0)
		return r;
	/* Check every generic key before touching the system. */
	for (v = vh_spec_get_nth(&spec, "addr", 0); v; v = vh_spec_get_nth(&spec, "addr", naddr)) {
		if (naddr == NIC_MAX_ADDRS)
			return vh_err_set(a->err, EINVAL, "'%s': more than %d addr= keys", a->spec,
					  NIC_MAX_ADDRS);
		if (vh_parse_cidr(v, &addrs[naddr], &plens[naddr]) < 0)
			return vh_err_set(a->err, EINVAL,
					  "'%s': addr=%s is not an IPv4 address/prefix such as "
					  "192.0.2.2/24",
					  a->spec, v);
		if (ipv4_is_mcast(addrs[naddr]) || ipv4_is_lbcast(addrs[naddr]) ||
		    ipv4_is_zeronet(addrs[naddr]))
			return vh_err_set(a->err, EINVAL, "'%s': addr=%s is not a unicast address",
					  a->spec, v);
		naddr++;
	}
	r = vh_nic_create(st, &spec, &dev, a->err);
	if (r < 0)
		return r;
	if ((v = vh_spec_get(&spec, "mac")) && vh_parse_mac(v, dev->hwaddr) < 0) {
		r = vh_err_set(a->err, EINVAL, "'%s': mac=%s is not a unicast MAC such as 02:00:00:00:00:01",
			       a->spec, v);
		goto fail;
	}
	if ((v = vh_spec_get(&spec, "mtu"))) {
		if (vh_parse_u64(v, 68, 65000, &mtu) < 0) {
			r = vh_err_set(a->err, EINVAL, "'%s': mtu=%s is not 68-65000", a->spec, v);
			goto fail;
		}
		dev->mtu = (uint32_t)mtu;
	}
	r = impair_from_spec(dev, &spec, &dev->impair, a->err);
	if (r < 0)
		goto fail;
	r = vh_spec_check_unused(&spec, a->err);
	if (r < 0)
		goto fail;
	r = vh_dev_register(st, dev, a->err);
	if (r < 0)
		return r; /* freed by register */
	for (unsigned i = 0; i < naddr; i++) {
		r = vh_iface_add(st, dev, addrs[i], plens[i], NULL);
		if (r < 0)
			return vh_err_set(a->err, r, "'%s': cannot add address %u: %s", a->spec, i + 1,
					  r == -EEXIST ? "already in use on this host" : strerror(-r));
	}
	if (a->ret)
		*a->ret = dev;
	return 0;
fail:
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
	impair_free(dev->impair);
	free(dev);
	return r;
}

int vh_stack_add_nic(struct vh_stack *st, const char *spec, struct vh_dev **ret, struct vh_err *err)
{
	struct add_nic_args a = {spec, ret, err};

	if (err)
		err->msg[0] = 0;
	return vh_stack_call(st, add_nic, &a);
}
