/* tap.c: a TAP device through /dev/net/tun (IFF_TAP | IFF_NO_PI).
 *
 * vhost attaches to tapNAME, creating it if it does not exist. Frames are
 * whole Ethernet frames with no packet-information header. The kernel side
 * keeps its own MAC; ours is the stack's. The kernel side's MTU becomes ours
 * unless mtu= says otherwise. Reads and writes never block: a full kernel
 * queue drops the frame and counts it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev.h"
#include "ifaces/drivers.h"
#include "log.h"
#include "spec.h"

struct tap {
	char ifname[IFNAMSIZ];
};

/* An ioctl on the kernel side of the TAP, through any socket of this netns. */
static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, req, ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

static int tap_open(struct vh_dev *dev, struct vh_err *err)
{
	struct tap *t = dev->priv;
	struct ifreq ifr;
	int fd, r;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ENODEV)
			return vh_err_set(err, r, "%s: /dev/net/tun is missing (load the tun module, "
						  "or in a container pass the device in)", dev->name);
		if (r == -EACCES || r == -EPERM)
			return vh_err_set(err, r, "%s: no permission to open /dev/net/tun (run as root "
						  "or with CAP_NET_ADMIN)", dev->name);
		return vh_err_set(err, r, "%s: cannot open /dev/net/tun: %s", dev->name, strerror(-r));
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", t->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		if (r == -EPERM || r == -EACCES)
			return vh_err_set(err, r, "%s: no permission to attach a TAP (run as root or "
						  "with CAP_NET_ADMIN)", dev->name);
		if (r == -EBUSY)
			return vh_err_set(err, r, "%s: the TAP is already attached to another program",
					  dev->name);
		if (r == -EINVAL)
			return vh_err_set(err, r, "%s: '%s' exists and is not a TAP device", dev->name,
					  t->ifname);
		return vh_err_set(err, r, "%s: TUNSETIFF: %s", dev->name, strerror(-r));
	}
	/* The kernel may have picked the name (a "tap%d" pattern). */
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	dev->fd = fd;

	memset(&ifr, 0, sizeof(ifr));
	if (!dev->mtu && ifreq_ioctl(t->ifname, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68)
		dev->mtu = (uint32_t)ifr.ifr_mtu;
	if (!dev->mtu)
		dev->mtu = 1500;
	/* Bring the kernel side up when it is still in our namespace; once moved
	 * elsewhere, whoever moved it brings it up, and failing here is fine. */
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(t->ifname, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ifreq_ioctl(t->ifname, SIOCSIFFLAGS, &ifr) < 0)
			debugf(dev->stack, "%s: could not bring the kernel side up", dev->name);
	}
	/* An attached TAP has carrier for as long as we hold the fd. */
	dev->flags |= VH_DEV_F_BROADCAST | VH_DEV_F_LINK;
	return 0;
}

static void tap_close(struct vh_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static int tap_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	ssize_t n = write(dev->fd, pkt->data, pkt->len);
	int r = n == (ssize_t)pkt->len ? 0 : (n < 0 ? -errno : -EIO);

	vh_pkt_free(pkt);
	return r;
}

static long tap_read(int fd, void *buf, unsigned long len)
{
	/* A TAP read returns one frame, cut to len: a longer frame shows as len bytes,
	 * and the buffer always has room past the MTU, so that is caught as too big. */
	return read(fd, buf, len);
}

static int tap_poll(struct vh_dev *dev, unsigned budget)
{
	return vh_dev_read_frames(dev, budget, tap_read);
}

static const struct vh_dev_ops tap_ops = {
	.kind = "tap",
	.open = tap_open,
	.close = tap_close,
	.transmit = tap_transmit,
	.poll = tap_poll,
};

static int tap_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		      struct vh_err *err)
{
	const char *ifname = vh_spec_get(spec, "ifname");
	struct vh_dev *dev;
	struct tap *t;

	if (!ifname)
		ifname = spec->name;
	if (strlen(ifname) >= IFNAMSIZ)
		return vh_err_set(err, EINVAL, "'%s': TAP name '%s' is longer than %d characters",
				  spec->text, ifname, IFNAMSIZ - 1);
	dev = vh_dev_alloc(st, &tap_ops, spec->name, sizeof(struct tap));
	if (!dev)
		return vh_err_set(err, ENOMEM, "out of memory");
	t = dev->priv;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	dev->mtu = 0; /* learnt from the kernel side at open, unless mtu= sets it */
	*ret = dev;
	return 0;
}

const struct vh_driver vh_driver_tap = {
	.kind = "tap",
	.prefix = "tap",
	.about = "a TAP device through /dev/net/tun, created if missing (key: ifname=)",
	.create = tap_create,
};
