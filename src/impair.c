/* impair.c: loss, duplication, reordering, corruption, delay and rate on a NIC. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ether.h"
#include "wire/ether.h"
#include "impair.h"
#include "spec.h"
#include "stack.h"

/* xorshift64*: fast and good enough to decide which frame to hurt. */
static uint64_t rnd(struct impair *im)
{
	im->rng ^= im->rng >> 12;
	im->rng ^= im->rng << 25;
	im->rng ^= im->rng >> 27;
	return im->rng * 2685821657736338717ull;
}

static int chance(struct impair *im, uint32_t ppm)
{
	return ppm && (uint32_t)(rnd(im) % 1000000u) < ppm;
}

static void deliver(struct impair_dir *d, struct vh_pkt *pkt)
{
	if (d->outbound)
		vh_dev_xmit(d->dev, pkt);
	else
		ether_input(d->dev, pkt);
}

static void line_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct impair_dir *d = t->arg;
	uint64_t now = vh_now(st);

	while (d->line.head && d->line.head->ts <= now)
		deliver(d, vh_pktq_pop(&d->line));
	if (d->line.head)
		vh_timer_arm_at(st, &d->timer, d->line.head->ts);
}

/* After loss/corruption/duplication: through the delay line, or straight on. */
static void send_timed(struct impair *im, struct impair_dir *d, struct vh_pkt *pkt)
{
	struct vh_stack *st = d->dev->stack;
	uint64_t now, release;

	if (!im->delay_ns && !im->rate_bps && !d->line.head) {
		deliver(d, pkt);
		return;
	}
	now = vh_now(st);
	release = now + im->delay_ns;
	if (im->rate_bps) {
		/* Serialisation: a frame leaves only after the previous one has, at the link rate. */
		uint64_t start = d->last_release > now ? d->last_release : now;
		uint64_t tx = (uint64_t)pkt->len * 8u * VH_SEC / im->rate_bps;
		d->last_release = start + tx;
		if (d->last_release + im->delay_ns > release)
			release = d->last_release + im->delay_ns;
	}
	pkt->ts = release;
	if (vh_pktq_push(&d->line, pkt) < 0) {
		im->stats.queue_drops++;
		vh_drop(st, d->dev, pkt, VH_DROP_IMPAIR);
		return;
	}
	im->stats.delayed++;
	if (!vh_timer_pending(&d->timer) || d->timer.expires > release)
		vh_timer_arm_at(st, &d->timer, d->line.head->ts);
}

static void corrupt(struct impair *im, struct vh_pkt *pkt)
{
	/* Past the Ethernet header, so checksums above notice instead of the MAC filter. */
	if (pkt->len > ETHER_HDR_LEN) {
		uint32_t at = ETHER_HDR_LEN + (uint32_t)(rnd(im) % (pkt->len - ETHER_HDR_LEN));
		pkt->data[at] ^= (uint8_t)(1u << (rnd(im) % 8));
		im->stats.corrupted++;
	}
}

static void hold_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct impair_dir *d = t->arg;
	struct vh_pkt *h = d->held;

	(void)st;
	d->held = NULL;
	if (h)
		send_timed(d->dev->impair, d, h);
}

static void impair(struct impair *im, struct impair_dir *d, struct vh_pkt *pkt)
{
	struct vh_stack *st = d->dev->stack;
	struct vh_pkt *dup = NULL;

	if (chance(im, im->loss)) {
		im->stats.lost++;
		vh_drop(st, d->dev, pkt, VH_DROP_IMPAIR);
		return;
	}
	if (chance(im, im->dup) && (dup = vh_pkt_clone(st, pkt)))
		im->stats.duplicated++;
	if (chance(im, im->corrupt))
		corrupt(im, pkt);
	if (!d->held && chance(im, im->reorder)) {
		/* Hold it; it goes out right after the next frame. */
		im->stats.reordered++;
		d->held = pkt;
		pkt = NULL;
		vh_timer_arm(st, &d->hold_timer, IMPAIR_HOLD_MAX_NS);
	}
	if (pkt) {
		send_timed(im, d, pkt);
		if (d->held) {
			struct vh_pkt *h = d->held;
			d->held = NULL;
			vh_timer_cancel(st, &d->hold_timer);
			send_timed(im, d, h);
		}
	}
	if (dup)
		send_timed(im, d, dup);
}

void impair_input(struct vh_dev *dev, struct vh_pkt *pkt)
{
	impair(dev->impair, &dev->impair->in, pkt);
}

int impair_output(struct vh_dev *dev, struct vh_pkt *pkt)
{
	impair(dev->impair, &dev->impair->out, pkt);
	return 0;
}

static void dir_init(struct impair_dir *d, struct vh_dev *dev, int outbound)
{
	vh_pktq_init(&d->line, IMPAIR_QUEUE_MAX);
	d->dev = dev;
	d->outbound = outbound;
	vh_timer_init(&d->timer, line_fire, d);
	vh_timer_init(&d->hold_timer, hold_fire, d);
}

int impair_from_spec(struct vh_dev *dev, struct vh_spec *spec, struct impair **ret,
		     struct vh_err *err)
{
	static const char *const pct[] = {"loss", "dup", "reorder", "corrupt"};
	struct impair im;
	uint32_t *slots[] = {&im.loss, &im.dup, &im.reorder, &im.corrupt};
	const char *v;
	uint64_t n;
	int any = 0;

	memset(&im, 0, sizeof(im));
	for (unsigned i = 0; i < 4; i++) {
		if (!(v = vh_spec_get(spec, pct[i])))
			continue;
		if (vh_parse_percent(v, slots[i]) < 0)
			return vh_err_set(err, EINVAL, "'%s': %s=%s is not a percentage (0-100%%)",
					  spec->text, pct[i], v);
		any = 1;
	}
	if ((v = vh_spec_get(spec, "delay"))) {
		if (vh_parse_u64(v, 0, 10000, &n) < 0)
			return vh_err_set(err, EINVAL, "'%s': delay=%s is not 0-10000 ms", spec->text,
					  v);
		im.delay_ns = n * VH_MS;
		any = 1;
	}
	if ((v = vh_spec_get(spec, "rate"))) {
		if (vh_parse_u64(v, 1, 100000, &n) < 0)
			return vh_err_set(err, EINVAL, "'%s': rate=%s is not 1-100000 Mbit/s",
					  spec->text, v);
		im.rate_bps = n * 1000000u;
		any = 1;
	}
	if (!any) {
		*ret = NULL;
		return 0;
	}
	*ret = malloc(sizeof(im));
	if (!*ret)
		return vh_err_set(err, ENOMEM, "out of memory");
	if (getrandom(&im.rng, sizeof(im.rng), 0) != sizeof(im.rng) || !im.rng)
		im.rng = 0x9e3779b97f4a7c15ull;
	**ret = im;
	dir_init(&(*ret)->in, dev, 0);
	dir_init(&(*ret)->out, dev, 1);
	return 0;
}

void impair_free(struct impair *im)
{
	if (!im)
		return;
	/* Timers were cancelled by the stack's teardown before devices are freed. */
	vh_pktq_purge(&im->in.line);
	vh_pktq_purge(&im->out.line);
	vh_pkt_free(im->in.held);
	vh_pkt_free(im->out.held);
	free(im);
}
