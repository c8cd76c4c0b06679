/* pfpacket.c: a NIC on a Linux interface through a raw PF_PACKET socket.
 *
 * vhost takes a Linux interface (a veth end, a physical port) and uses it as
 * its own wire: it sends whole Ethernet frames with its own MAC and receives
 * every frame on the interface, so the interface is put in promiscuous mode
 * (our MAC is not the interface's). Frames the kernel itself sends on the
 * interface are ignored (PACKET_IGNORE_OUTGOING), so we never see our own
 * transmissions come back. Give the interface no address of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev.h"
#include "ifaces/drivers.h"
#include "spec.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct pfpacket {
	char ifname[IF_NAMESIZE];
	int ifindex;
};

static int pf_open(struct vh_dev *dev, struct vh_err *err)
{
	struct pfpacket *p = dev->priv;
	struct sockaddr_ll sll = {0};
	struct packet_mreq mr = {0};
	struct ifreq ifr = {0};
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return vh_err_set(err, errno, "%s: cannot open a packet socket: %s%s", dev->name,
				  strerror(errno), errno == EPERM ? " (run as root or with CAP_NET_RAW)" : "");
	p->ifindex = (int)if_nametoindex(p->ifname);
	if (!p->ifindex) {
		close(fd);
		return vh_err_set(err, ENODEV, "%s: no interface '%s' in this network namespace",
				  dev->name, p->ifname);
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = p->ifindex;
	mr.mr_ifindex = p->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		int e = errno;
		close(fd);
		return vh_err_set(err, e, "%s: cannot bind to '%s': %s", dev->name, p->ifname,
				  strerror(e));
	}
	/* Not fatal on old kernels: we would just see our own frames and drop them as not us. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", p->ifname);
	if (!dev->mtu && ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68)
		dev->mtu = (uint32_t)ifr.ifr_mtu;
	if (!dev->mtu)
		dev->mtu = 1500;
	dev->fd = fd;
	dev->flags |= VH_DEV_F_BROADCAST | VH_DEV_F_LINK;
	return 0;
}

static void pf_close(struct vh_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static int pf_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	ssize_t n = send(dev->fd, pkt->data, pkt->len, MSG_DONTWAIT);
	int r = n == (ssize_t)pkt->len ? 0 : (n < 0 ? -errno : -EIO);

	vh_pkt_free(pkt);
	return r;
}

static long pf_recv(int fd, void *buf, unsigned long len)
{
	/* MSG_TRUNC: the frame's real length, so an oversized one is seen, not cut short. */
	return recv(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);
}

static int pf_poll(struct vh_dev *dev, unsigned budget)
{
	return vh_dev_read_frames(dev, budget, pf_recv);
}

static const struct vh_dev_ops pf_ops = {
	.kind = "packet",
	.open = pf_open,
	.close = pf_close,
	.transmit = pf_transmit,
	.poll = pf_poll,
};

static int pf_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		     struct vh_err *err)
{
	const char *ifname = vh_spec_get(spec, "ifname");
	struct vh_dev *dev;
	struct pfpacket *p;

	if (!ifname)
		ifname = spec->name;
	if (strlen(ifname) >= IF_NAMESIZE)
		return vh_err_set(err, EINVAL, "'%s': interface name '%s' is too long", spec->text,
				  ifname);
	dev = vh_dev_alloc(st, &pf_ops, spec->name, sizeof(struct pfpacket));
	if (!dev)
		return vh_err_set(err, ENOMEM, "out of memory");
	p = dev->priv;
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	dev->mtu = 0; /* the interface's, at open, unless mtu= says otherwise */
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_pfpacket = {
	.kind = "packet",
	.prefix = NULL,
	.about = "a Linux interface through a raw PF_PACKET socket (type= only; key: ifname=)",
	.create = pf_create,
};
