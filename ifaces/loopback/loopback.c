/* loopback.c: a NIC whose every frame comes back in. Frames wait in a small
 * bounded queue; an eventfd makes the worker's poll loop notice them, so the
 * loopback needs no special case in the stack. */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dev.h"
#include "ifaces/drivers.h"
#include "spec.h"

#define LOOPBACK_QUEUE 256

struct loopback {
	struct vh_pktq q;
};

static int lo_open(struct vh_dev *dev, struct vh_err *err)
{
	struct loopback *lo = dev->priv;

	dev->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->fd < 0)
		return vh_err_set(err, errno, "%s: eventfd: %m", dev->name);
	vh_pktq_init(&lo->q, LOOPBACK_QUEUE);
	dev->flags |= VH_DEV_F_LINK | VH_DEV_F_LOOPBACK | VH_DEV_F_NOARP;
	return 0;
}

static void lo_close(struct vh_dev *dev)
{
	struct loopback *lo = dev->priv;

	vh_pktq_purge(&lo->q);
	close(dev->fd);
	dev->fd = -1;
}

static int lo_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct loopback *lo = dev->priv;
	uint64_t one = 1;

	if (vh_pktq_push(&lo->q, pkt) < 0) {
		vh_pkt_free(pkt);
		return -ENOBUFS;
	}
	if (write(dev->fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already set, the worker will look. */
	}
	return 0;
}

static int lo_poll(struct vh_dev *dev, unsigned budget)
{
	struct loopback *lo = dev->priv;
	struct vh_pkt *p;
	uint64_t v;
	unsigned n = 0;

	if (read(dev->fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled; the queue may still hold frames from a full round. */
	}
	while (n < budget && (p = vh_pktq_pop(&lo->q))) {
		vh_dev_input(dev, p);
		n++;
	}
	if (lo->q.len) {
		uint64_t one = 1;
		if (write(dev->fd, &one, sizeof(one)) < 0) {
		}
	}
	return (int)n;
}

static const struct vh_dev_ops lo_ops = {
	.kind = "loopback",
	.open = lo_open,
	.close = lo_close,
	.transmit = lo_transmit,
	.poll = lo_poll,
};

static int lo_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		     struct vh_err *err)
{
	struct vh_dev *dev = vh_dev_alloc(st, &lo_ops, spec->name, sizeof(struct loopback));

	if (!dev)
		return vh_err_set(err, ENOMEM, "out of memory");
	dev->mtu = 65000;
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_loopback = {
	.kind = "lo",
	.prefix = "lo",
	.about = "every frame sent comes back in",
	.create = lo_create,
};
