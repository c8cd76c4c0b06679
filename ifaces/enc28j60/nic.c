/* nic.c: the ENC28J60 behind the stack's NIC ops (nic.h).
 *
 * One thread per chip owns the bus. Its loop waits for the INT line (a GPIO
 * falling edge, or the in-process simulator's), for frames to send, or for
 * the poll interval when there is no line, then services the chip the way
 * DS39662E §12 describes: INTIE off, EIR, link, overflow, drain EPKTCNT
 * (erratum 6: PKTIF is unreliable), send, INTIE on. Once a second it checks
 * that the chip still holds its set-up and re-initialises it if not, as it
 * does after any bus error, with a growing pause between attempts. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dev.h"
#include "ifaces/drivers.h"
#include "ifaces/registry.h"
#include "log.h"
#include "spec.h"
#include "stack.h"
#include "timer.h"

#include "cable.h"
#include "enc28j60.h"
#include "enc28j60_regs.h"
#include "gpio.h"
#include "nic.h"
#include "sim.h"
#include "spi.h"

enum {
	TXQ_MAX = 64,
	RX_BUDGET = 64,          /* frames per round, so sending is not starved */
	TX_BUDGET = 16,
	POLL_MS = 1,             /* without an INT line: EIR at most 1000 times a second */
	IRQ_SAFETY_MS = 100,     /* with one: still look now and then (erratum 6, lost edges) */
	CHECK_NS = 1000000000,   /* set-up and link check */
	RETRY_MIN_NS = 100000000,
	RETRY_MAX_NS = 5000000000,
};

struct nic {
	struct vh_dev *dev;
	/* from the spec */
	char where[112]; /* dev=: a spidev path or unix:PATH */
	char irq[64];
	uint32_t speed;
	bool full_duplex;
	struct enc_cable wire; /* sim=: the cable, a NIC we own */

	struct enc_sim *sim;
	struct enc_spi *spi;
	struct enc_chip chip;
	int irq_fd;  /* GPIO line events */
	int int_fd;  /* eventfd: the in-process simulator pulled INT low */
	int wake_fd; /* eventfd: frames queued, or stop */
	int news_fd; /* eventfd, dev->fd: the link changed */
	pthread_t thread;
	bool started;
	atomic_bool stop;
	atomic_bool link;

	pthread_mutex_t lock; /* txq and the counters below */
	struct vh_pktq txq;
	struct enc_chip_stats snap;
	uint64_t txq_drops, tx_failed, rx_nobuf, reinits, bus_errors;
	uint8_t scratch[ENC_FRAME_MAX];
};

static void efd_signal(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* a full counter still wakes the reader: nothing to do */
	}
}

static void efd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending */
	}
}

/* ---- the simulated chip (sim=) ---------------------------------------------- */

static void sim_int(void *arg)
{
	efd_signal(((struct nic *)arg)->int_fd);
}

int enc_wire_spec(const char *text, char *buf, size_t size)
{
	const char *colon = strchr(text, ':');
	int k;

	if (!*text) /* a cable must be named */
		return -EINVAL;
	if (colon && colon[1] && strchr(text, ',') == NULL) {
		char kind[32];

		if ((size_t)(colon - text) >= sizeof(kind))
			return -EINVAL;
		memcpy(kind, text, (size_t)(colon - text));
		kind[colon - text] = 0;
		if (vh_driver_by_kind(kind)) {
			k = snprintf(buf, size, "%s,type=%s", colon + 1, kind);
			return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : 0;
		}
	}
	k = snprintf(buf, size, "%s", text);
	return k < 0 || (size_t)k >= size ? -ENAMETOOLONG : 0;
}


/* ---- the chip's thread ------------------------------------------------------ */

static void publish_link(struct nic *n)
{
	if (atomic_exchange(&n->link, n->chip.link) != n->chip.link)
		efd_signal(n->news_fd);
}

static void snapshot(struct nic *n)
{
	pthread_mutex_lock(&n->lock);
	n->snap = n->chip.stats;
	pthread_mutex_unlock(&n->lock);
}

/* Drain the ring into packets for the worker. Returns 1 when frames were
 * left for the next round, 0, or a bus error. */
static int rx_batch(struct nic *n)
{
	struct vh_stack *st = n->dev->stack;
	struct vh_pkt *batch[RX_BUDGET];
	unsigned nb = 0;
	int pending = enc_chip_pending(&n->chip), r = 0, i;

	if (pending < 0)
		return pending;
	for (i = 0; i < pending && i < RX_BUDGET; i++) {
		struct vh_pkt *p = vh_pkt_alloc(st, ENC_FRAME_MAX);
		size_t len;

		/* without a buffer the frame still has to leave the chip */
		r = enc_chip_rx(&n->chip, p ? p->data : n->scratch, ENC_FRAME_MAX, &len);
		if (r == 0 && p) {
			p->len = (uint32_t)len;
			batch[nb++] = p;
			continue;
		}
		if (p)
			vh_pkt_free(p);
		if (r == 0) {
			pthread_mutex_lock(&n->lock);
			n->rx_nobuf++;
			pthread_mutex_unlock(&n->lock);
			continue;
		}
		if (r == -EBADMSG)
			continue;
		if (r == -EIO) {
			warnf(st, "%s: %s", n->dev->name, n->chip.why);
			r = 0;
		}
		break;
	}
	if (nb)
		vh_dev_input_async(n->dev, batch, nb);
	if (r < 0)
		return r;
	return i < pending;
}

/* Send what the worker queued, a budget at a time so receive keeps up.
 * Returns 1 when frames are still queued, 0, or a bus error. A frame that
 * cannot go (16 late collisions) is dropped and counted: the stack's own
 * retransmissions are the better cure than holding up the queue. */
static int tx_batch(struct nic *n)
{
	bool more;

	for (unsigned i = 0; i < TX_BUDGET; i++) {
		struct vh_pkt *p;
		int r;

		pthread_mutex_lock(&n->lock);
		p = vh_pktq_pop(&n->txq);
		pthread_mutex_unlock(&n->lock);
		if (!p)
			return 0;
		r = enc_chip_tx(&n->chip, p->data, p->len);
		vh_pkt_free(p);
		if (r == -EIO || r == -EMSGSIZE) {
			pthread_mutex_lock(&n->lock);
			n->tx_failed++;
			pthread_mutex_unlock(&n->lock);
			debugf(n->dev->stack, "%s: %s", n->dev->name, n->chip.why);
			continue;
		}
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&n->lock);
	more = n->txq.len > 0;
	pthread_mutex_unlock(&n->lock);
	return more;
}

/* One service of the chip (§12). Returns 1 when work was left over. */
static int service(struct nic *n)
{
	unsigned ev;
	int r, more = 0;

	r = enc_chip_service(&n->chip, &ev);
	if (r < 0)
		return r;
	if (ev & ENC_EV_LINK)
		publish_link(n);
	if (ev & ENC_EV_RX) {
		r = rx_batch(n);
		if (r < 0)
			return r;
		more |= r;
	}
	r = tx_batch(n);
	if (r < 0)
		return r;
	more |= r;
	r = enc_chip_irq_arm(&n->chip);
	return r < 0 ? r : more;
}

static int reinit(struct nic *n)
{
	int r = enc_chip_init(&n->chip, &n->chip.cfg);

	pthread_mutex_lock(&n->lock);
	n->reinits++;
	pthread_mutex_unlock(&n->lock);
	if (r == 0) {
		infof(n->dev->stack, "%s: chip re-initialised, link %s", n->dev->name,
		      n->chip.link ? "up" : "down");
		publish_link(n);
	}
	return r;
}

static void *nic_main(void *arg)
{
	struct nic *n = arg;
	struct vh_stack *st = n->dev->stack;
	uint64_t next_check = vh_now(NULL) + CHECK_NS, retry_at = 0, backoff = RETRY_MIN_NS;
	bool broken = false, more = false;

	/* Each round: wait for a reason to look at the chip, look, and once a
	 * second make sure it is still the chip we set up. Work left over
	 * (a budget ran out) skips the wait. */
	while (!atomic_load(&n->stop)) {
		struct pollfd p[4];
		int np = 0, timeout = n->irq_fd >= 0 || n->int_fd >= 0 ? IRQ_SAFETY_MS : POLL_MS;
		uint64_t t;
		int r;

		p[np++] = (struct pollfd){.fd = n->wake_fd, .events = POLLIN};
		if (n->irq_fd >= 0)
			p[np++] = (struct pollfd){.fd = n->irq_fd, .events = POLLIN};
		if (n->int_fd >= 0)
			p[np++] = (struct pollfd){.fd = n->int_fd, .events = POLLIN};
		if (n->wire.nic && n->wire.nic->fd >= 0)
			p[np++] = (struct pollfd){.fd = n->wire.nic->fd, .events = POLLIN};
		if (n->sim && (t = enc_sim_poll(n->sim)) != UINT64_MAX) {
			uint64_t now = vh_now(NULL);
			int ms = t > now ? (int)((t - now) / 1000000 + 1) : 0;

			if (ms < timeout) /* the simulated chip has something timed */
				timeout = ms;
		}
		if (poll(p, (nfds_t)np, more ? 0 : timeout) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (p[i].fd == n->irq_fd)
				enc_gpio_drain(n->irq_fd);
			else if (n->wire.nic && p[i].fd == n->wire.nic->fd)
				n->wire.nic->ops->poll(n->wire.nic, RX_BUDGET);
			else
				efd_drain(p[i].fd);
		}
		if (broken) {
			/* the bus or the chip failed: try again, less and less often,
			 * while the cable keeps feeding a simulated chip above */
			if (vh_now(NULL) < retry_at)
				continue;
			if (reinit(n) < 0) {
				backoff = backoff * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : backoff * 2;
				retry_at = vh_now(NULL) + backoff;
				continue;
			}
			broken = false;
			backoff = RETRY_MIN_NS;
		}
		r = service(n);
		more = r > 0;
		if (r >= 0 && vh_now(NULL) >= next_check) {
			unsigned ev;

			next_check = vh_now(NULL) + CHECK_NS;
			r = enc_chip_check(&n->chip, &ev);
			if (ev & ENC_EV_LINK)
				publish_link(n);
		}
		if (r < 0) {
			warnf(st, "%s: %s; re-initialising the chip", n->dev->name,
			      n->chip.why[0] ? n->chip.why : strerror(-r));
			pthread_mutex_lock(&n->lock);
			n->bus_errors++;
			pthread_mutex_unlock(&n->lock);
			/* the stack stops sending on a link that is down */
			n->chip.link = false;
			publish_link(n);
			broken = true;
			retry_at = 0;
			more = false;
		}
		snapshot(n);
	}
	return NULL;
}

/* ---- NIC ops ------------------------------------------------------------------ */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void release(struct nic *n)
{
	if (n->started) {
		atomic_store(&n->stop, true);
		efd_signal(n->wake_fd);
		pthread_join(n->thread, NULL);
		n->started = false;
	}
	if (n->spi) {
		enc_chip_stop(&n->chip);
		enc_spi_close(n->spi);
		n->spi = NULL;
	}
	enc_cable_unplug(&n->wire);
	if (n->sim) {
		enc_sim_free(n->sim);
		n->sim = NULL;
	}
	close_fd(&n->irq_fd);
	close_fd(&n->int_fd);
	close_fd(&n->wake_fd);
	close_fd(&n->news_fd);
	n->dev->fd = -1;
	vh_pktq_purge(&n->txq);
}

static int open_sim(struct nic *n, struct vh_err *err)
{
	int r = enc_sim_new(NULL, &n->sim);

	if (r < 0 || (r = enc_spi_open_sim(n->sim, &n->spi)) < 0)
		return vh_err_set(err, r, "%s: cannot make the simulated chip: %s", n->dev->name,
				  strerror(-r));
	r = enc_cable_plug(&n->wire, n->sim, err);
	if (r < 0)
		return r;
	n->int_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->int_fd < 0)
		return vh_err_set(err, errno, "%s: eventfd: %s", n->dev->name, strerror(errno));
	enc_sim_set_int_notify(n->sim, sim_int, n);
	return 0;
}

static int nic_open(struct vh_dev *dev, struct vh_err *err)
{
	struct nic *n = dev->priv;
	struct enc_chip_config cfg = {0};
	int r;

	if (dev->mtu > ENC_FRAME_MAX - ENC_ETH_HLEN) /* MAMXFL: 1518 bytes with the FCS */
		return vh_err_set(err, EINVAL, "%s: mtu=%u is too large: the ENC28J60 carries "
					       "frames up to 1518 bytes, mtu at most 1500",
				  dev->name, dev->mtu);
	n->irq_fd = n->int_fd = n->wake_fd = n->news_fd = -1;
	atomic_store(&n->stop, false);
	if (n->wire.nic)
		r = open_sim(n, err);
	else if (!strncmp(n->where, "unix:", 5))
		r = enc_spi_open_unix(n->where + 5, &n->spi, err);
	else
		r = enc_spi_open_spidev(n->where, n->speed, &n->spi, err);
	if (r < 0)
		goto fail;
	if (n->irq[0] && (r = enc_gpio_open(n->irq, &n->irq_fd, err)) < 0)
		goto fail;
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	n->news_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake_fd < 0 || n->news_fd < 0) {
		r = vh_err_set(err, errno, "%s: eventfd: %s", dev->name, strerror(errno));
		goto fail;
	}

	cfg.spi = n->spi;
	memcpy(cfg.mac, dev->hwaddr, sizeof(cfg.mac));
	cfg.full_duplex = n->full_duplex;
	cfg.promisc = dev->flags & VH_DEV_F_PROMISC;
	cfg.multicast = dev->nmcast > 0;
	cfg.polled = n->irq_fd < 0 && n->int_fd < 0;
	r = enc_chip_init(&n->chip, &cfg);
	if (r < 0) {
		vh_err_set(err, r, "%s: the ENC28J60 on %s does not start: %s", dev->name,
			   n->wire.nic ? "the simulator" : n->where,
			   n->chip.why[0] ? n->chip.why : strerror(-r));
		goto fail;
	}
	atomic_store(&n->link, n->chip.link);
	dev->flags |= VH_DEV_F_BROADCAST | (n->chip.link ? VH_DEV_F_LINK : 0);
	dev->fd = n->news_fd;
	r = pthread_create(&n->thread, NULL, nic_main, n);
	if (r) {
		r = vh_err_set(err, r, "%s: cannot start the chip's thread: %s", dev->name,
			       strerror(r));
		goto fail;
	}
	n->started = true;
	infof(dev->stack, "%s: ENC28J60 EREVID 0x%02x on %s, %s duplex, link %s, %s", dev->name,
	      n->chip.rev, n->wire.nic ? "a simulated chip" : n->where,
	      n->full_duplex ? "full" : "half",
	      n->chip.link ? "up" : "down",
	      n->irq_fd >= 0 || n->int_fd >= 0 ? "interrupt driven" : "polled every 1 ms");
	return 0;
fail:
	release(n);
	return r;
}

static void nic_close(struct vh_dev *dev)
{
	release(dev->priv);
}

static int nic_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct nic *n = dev->priv;
	int r;

	if (pkt->len > ENC_FRAME_MAX) { /* the stack keeps to the MTU; be sure */
		vh_pkt_free(pkt);
		return -EMSGSIZE;
	}
	pthread_mutex_lock(&n->lock);
	r = vh_pktq_push(&n->txq, pkt);
	if (r < 0)
		n->txq_drops++;
	pthread_mutex_unlock(&n->lock);
	if (r < 0) {
		vh_pkt_free(pkt);
		return r;
	}
	efd_signal(n->wake_fd);
	return 0;
}

/* Worker: the thread signalled news, which is only ever the link. */
static int nic_poll(struct vh_dev *dev, unsigned budget)
{
	struct nic *n = dev->priv;

	(void)budget;
	efd_drain(n->news_fd);
	vh_dev_set_link(dev, atomic_load(&n->link));
	return 0;
}

static void nic_counters(struct vh_dev *dev, vh_counter_fn fn, void *arg, const char *scope)
{
	struct nic *n = dev->priv;
	struct enc_chip_stats s;
	uint64_t q[5];

	pthread_mutex_lock(&n->lock);
	s = n->snap;
	q[0] = n->txq_drops, q[1] = n->tx_failed, q[2] = n->rx_nobuf, q[3] = n->reinits;
	q[4] = n->bus_errors;
	pthread_mutex_unlock(&n->lock);
#define F(name, v) fn(arg, scope, "enc_" name, (v))
	F("rx_frames", s.rx_frames);
	F("rx_rereads", s.rx_rereads);
	F("rx_bad_header", s.rx_bad_header);
	F("rx_errors", s.rx_errors);
	F("rx_fcs_errors", s.rx_fcs_errors);
	F("rx_overflows", s.rx_overflows);
	F("rx_resets", s.rx_resets);
	F("rx_nobuf", q[2]);
	F("tx_frames", s.tx_frames);
	F("tx_retries", s.tx_retries);
	F("tx_timeouts", s.tx_timeouts);
	F("tx_errors", s.tx_errors);
	F("tx_queue_drops", q[0]);
	F("tx_failed", q[1]);
	F("link_changes", s.link_changes);
	F("mii_timeouts", s.mii_timeouts);
	F("spi_errors", s.spi_errors);
	F("bus_errors", q[4]);
	F("reinits", q[3]);
#undef F
	if (n->sim) {
		struct enc_sim_stats ss;

		enc_sim_get_stats(n->sim, &ss);
		fn(arg, scope, "sim_driver_mistakes", ss.driver_mistakes);
		fn(arg, scope, "sim_rx_overflow", ss.rx_overflow);
		fn(arg, scope, "sim_rx_filtered", ss.rx_filtered);
	}
}

static void nic_destroy(struct vh_dev *dev)
{
	struct nic *n = dev->priv;

	enc_cable_free(&n->wire);
	pthread_mutex_destroy(&n->lock);
}

static const struct vh_dev_ops nic_ops;

struct enc_sim *enc_nic_sim(struct vh_dev *dev)
{
	return dev->ops == &nic_ops ? ((struct nic *)dev->priv)->sim : NULL;
}

static const struct vh_dev_ops nic_ops = {
	.kind = "enc28j60",
	.open = nic_open,
	.close = nic_close,
	.transmit = nic_transmit,
	.poll = nic_poll,
	.destroy = nic_destroy,
	.counters = nic_counters,
};

/* ---- spec ------------------------------------------------------------------------ */

static int nic_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		      struct vh_err *err)
{
	const char *where = vh_spec_get(spec, "dev"), *sim = vh_spec_get(spec, "sim");
	const char *speed = vh_spec_get(spec, "speed"), *irq = vh_spec_get(spec, "irq");
	const char *duplex = vh_spec_get(spec, "duplex");
	bool spidev = where && strncmp(where, "unix:", 5) != 0;
	struct enc_cable wire = {0};
	struct vh_dev *dev;
	uint64_t hz = 0;
	struct nic *n;
	int r;

	if (!where == !sim) /* exactly one place for the chip */
		return vh_err_set(err, EINVAL, "'%s': say where the chip is, once: "
					       "dev=/dev/spidevB.C, dev=unix:PATH or sim=tap:NAME",
				  spec->text);
	if (where && strlen(where) >= sizeof(n->where)) /* it is kept in a fixed buffer */
		return vh_err_set(err, ENAMETOOLONG, "'%s': dev= is too long", spec->text);
	if (speed && (!spidev || vh_parse_u64(speed, 1, ENC_SPI_MAX_HZ, &hz) < 0))
		return vh_err_set(err, EINVAL, "'%s': speed=%s: a clock in Hz up to 20000000, for "
					       "dev=/dev/spidev only", spec->text, speed);
	if (irq && (!spidev || strlen(irq) >= sizeof(n->irq)))
		return vh_err_set(err, EINVAL, "'%s': irq=%s: gpiochipN:LINE, for dev=/dev/spidev "
					       "only", spec->text, irq);
	if (duplex && strcmp(duplex, "half") && strcmp(duplex, "full"))
		return vh_err_set(err, EINVAL, "'%s': duplex=%s: half or full", spec->text, duplex);
	if (sim && (r = enc_cable_new(st, sim, &wire, err)) < 0)
		return r;
	dev = vh_dev_alloc(st, &nic_ops, spec->name, sizeof(struct nic));
	if (!dev) {
		enc_cable_free(&wire);
		return vh_err_set(err, ENOMEM, "out of memory");
	}
	n = dev->priv;
	n->dev = dev;
	n->wire = wire;
	n->irq_fd = n->int_fd = n->wake_fd = n->news_fd = -1;
	snprintf(n->where, sizeof(n->where), "%s", where ? where : "");
	snprintf(n->irq, sizeof(n->irq), "%s", irq ? irq : "");
	n->speed = (uint32_t)hz;
	n->full_duplex = duplex && !strcmp(duplex, "full");
	pthread_mutex_init(&n->lock, NULL);
	vh_pktq_init(&n->txq, TXQ_MAX);
	dev->mtu = ENC_FRAME_MAX - ENC_ETH_HLEN;
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_enc28j60 = {
	.kind = "enc28j60",
	.prefix = "spi",
	.about = "an ENC28J60 on SPI (keys: dev=/dev/spidevB.C|unix:PATH, sim=tap:NAME, "
		 "speed=, irq=gpiochipN:LINE, duplex=)",
	.create = nic_create,
};
