/* nic.h: the ENC28J60 as a vhost NIC (driver kind "enc28j60", names spiN).
 *
 *   spiN,dev=/dev/spidevB.C[,speed=HZ][,irq=gpiochipN:LINE]   a real chip
 *   spiN,dev=unix:PATH                                      enc28j60-sim
 *   spiN,sim=tap:NAME                                       a simulated chip in
 *                                                           vhost, its cable a NIC
 *   [,duplex=half|full] [,mac=..] [,addr=CIDR] ...          as for every NIC
 *
 * The chip is driven from a thread of its own, because a transfer on a real
 * SPI bus sleeps: received frames go to the worker with
 * vh_dev_input_async(), frames to send wait in a bounded queue, and link
 * changes reach the worker through the device's fd. */
#ifndef VH_ENC28J60_NIC_H
#define VH_ENC28J60_NIC_H

#include <stddef.h>

#include "vh.h"

struct vh_dev;
struct enc_sim;

/* A cable given as "KIND:NAME" (tap:tap7) becomes the NIC spec
 * "NAME,type=KIND"; anything else is taken as a NIC spec as it is.
 * 0, or -EINVAL / -ENAMETOOLONG. */
int enc_wire_spec(const char *text, char *buf, size_t size);

/* The simulator behind a sim= NIC, for tests; NULL for a real chip. */
struct enc_sim *enc_nic_sim(struct vh_dev *dev);

#endif
