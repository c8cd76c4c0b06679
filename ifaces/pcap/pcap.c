/* pcap.c: a NIC on a Linux interface through libpcap.
 *
 * The same role as the PF_PACKET driver, through libpcap's portable calls:
 * immediate mode so frames are not held back in a buffer, promiscuous so
 * frames to our MAC arrive, inbound direction only so our own frames do not
 * come back, pcap_inject to send. libpcap hands us a pollable fd, so the
 * worker treats it like any other NIC. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "dev.h"
#include "ifaces/drivers.h"
#include "spec.h"

struct pcapnic {
	char ifname[64];
	pcap_t *p;
};

static int pc_open(struct vh_dev *dev, struct vh_err *err)
{
	struct pcapnic *c = dev->priv;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int fd;

	c->p = pcap_create(c->ifname, ebuf);
	if (!c->p)
		return vh_err_set(err, ENODEV, "%s: libpcap: %s", dev->name, ebuf);
	pcap_set_snaplen(c->p, 65535);
	pcap_set_promisc(c->p, 1);
	pcap_set_immediate_mode(c->p, 1);
	if (pcap_activate(c->p) < 0 || pcap_datalink(c->p) != DLT_EN10MB ||
	    pcap_setnonblock(c->p, 1, ebuf) < 0) {
		int e = pcap_datalink(c->p) == DLT_EN10MB ? EIO : EPROTONOSUPPORT;
		vh_err_set(err, e, "%s: libpcap on '%s': %s", dev->name, c->ifname,
			   e == EPROTONOSUPPORT ? "not an Ethernet interface" : pcap_geterr(c->p));
		pcap_close(c->p);
		c->p = NULL;
		return -e;
	}
	/* Not every platform can filter by direction; if not, our frames come back and are
	 * dropped as not addressed to us. */
	pcap_setdirection(c->p, PCAP_D_IN);
	fd = pcap_get_selectable_fd(c->p);
	if (fd < 0) {
		pcap_close(c->p);
		c->p = NULL;
		return vh_err_set(err, ENOTSUP, "%s: libpcap gives no pollable fd for '%s'", dev->name,
				  c->ifname);
	}
	dev->fd = fd;
	if (!dev->mtu)
		dev->mtu = 1500;
	dev->flags |= VH_DEV_F_BROADCAST | VH_DEV_F_LINK;
	return 0;
}

static void pc_close(struct vh_dev *dev)
{
	struct pcapnic *c = dev->priv;

	if (c->p)
		pcap_close(c->p);
	c->p = NULL;
	dev->fd = -1;
}

static int pc_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct pcapnic *c = dev->priv;
	int n = pcap_inject(c->p, pkt->data, pkt->len);
	int r = n == (int)pkt->len ? 0 : -EIO;

	vh_pkt_free(pkt);
	return r;
}

static void pc_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct vh_dev *dev = (struct vh_dev *)arg;
	struct vh_stack *st = dev->stack;
	struct vh_pkt *p;

	if (h->caplen != h->len || h->caplen > dev->mtu + 18u) {
		dev->stats.rx_dropped++;
		vh_drop(st, dev, NULL, VH_DROP_TOO_BIG);
		return;
	}
	p = vh_pkt_alloc(st, h->caplen);
	if (!p) {
		dev->stats.rx_dropped++;
		vh_drop(st, dev, NULL, VH_DROP_NOMEM);
		return;
	}
	memcpy(vh_pkt_put(p, h->caplen), bytes, h->caplen);
	vh_dev_input(dev, p);
}

static int pc_poll(struct vh_dev *dev, unsigned budget)
{
	struct pcapnic *c = dev->priv;
	int n = pcap_dispatch(c->p, (int)budget, pc_frame, (u_char *)dev);

	return n < 0 ? 0 : n;
}

static const struct vh_dev_ops pc_ops = {
	.kind = "pcap",
	.open = pc_open,
	.close = pc_close,
	.transmit = pc_transmit,
	.poll = pc_poll,
};

static int pc_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		     struct vh_err *err)
{
	const char *ifname = vh_spec_get(spec, "ifname");
	struct vh_dev *dev;
	struct pcapnic *c;

	if (!ifname)
		ifname = spec->name;
	dev = vh_dev_alloc(st, &pc_ops, spec->name, sizeof(struct pcapnic));
	if (!dev)
		return vh_err_set(err, ENOMEM, "out of memory");
	c = dev->priv;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	dev->mtu = 0;
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_pcap = {
	.kind = "pcap",
	.prefix = NULL,
	.about = "a Linux interface through libpcap (type= only; key: ifname=)",
	.create = pc_create,
};
