/* null.c: a NIC that sends frames nowhere and receives none. Useful to give
 * the stack an address without a wire, and as the simplest driver to read. */
#include <errno.h>

#include "dev.h"
#include "spec.h"
#include "ifaces/drivers.h"

static int null_open(struct vh_dev *dev, struct vh_err *err)
{
	(void)err;
	dev->flags |= VH_DEV_F_LINK | VH_DEV_F_NOARP;
	return 0;
}

static int null_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	(void)dev;
	vh_pkt_free(pkt);
	return 0;
}

static int null_poll(struct vh_dev *dev, unsigned budget)
{
	(void)dev;
	(void)budget;
	return 0;
}

static const struct vh_dev_ops null_ops = {
	.kind = "null",
	.open = null_open,
	.transmit = null_transmit,
	.poll = null_poll,
};

static int null_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		       struct vh_err *err)
{
	struct vh_dev *dev = vh_dev_alloc(st, &null_ops, spec->name, 0);

	if (!dev)
		return vh_err_set(err, ENOMEM, "out of memory");
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_null = {
	.kind = "null",
	.prefix = "null",
	.about = "discards what it sends, receives nothing",
	.create = null_create,
};
