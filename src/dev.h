/* dev.h: net_device and net_iface, in the manner of microps.
 *
 * A vh_dev is a NIC: a driver behind an ops table (TAP, loopback, null, an
 * ENC28J60...), with an MTU, a hardware address, flags and counters. A
 * vh_iface binds an IPv4 address and prefix to a device; a device may carry
 * several. Every frame in or out passes through vh_dev_input()/vh_dev_output(),
 * the one place where capture and link impairment see it. */
#ifndef VH_DEV_H
#define VH_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "pkt.h"
#include "vh.h"

#define VH_IFNAMSIZ 16
#define VH_ETH_ALEN 6

enum {
	VH_DEV_F_UP = 1u << 0,        /* opened by the stack */
	VH_DEV_F_LINK = 1u << 1,      /* carrier present */
	VH_DEV_F_BROADCAST = 1u << 2, /* Ethernet with broadcast */
	VH_DEV_F_LOOPBACK = 1u << 3,  /* frames come back to us */
	VH_DEV_F_NOARP = 1u << 4,     /* no neighbour resolution (loopback, null) */
	VH_DEV_F_PROMISC = 1u << 5,   /* accept every destination MAC */
};

struct vh_dev;
struct vh_spec;

struct vh_dev_ops {
	const char *kind;
	/* Open the NIC. A reason it cannot (no such file, no permission) goes in err. */
	int (*open)(struct vh_dev *dev, struct vh_err *err);
	void (*close)(struct vh_dev *dev);
	/* Send the Ethernet frame at pkt->data. Always consumes pkt. 0 or -errno. */
	int (*transmit)(struct vh_dev *dev, struct vh_pkt *pkt);
	/* Worker: read up to budget frames and hand each to vh_dev_input(); returns the count.
	 * Called when dev->fd is readable, and every dev->poll_ns if that is set. */
	int (*poll)(struct vh_dev *dev, unsigned budget);
	/* Release priv (after close). */
	void (*destroy)(struct vh_dev *dev);
	/* Optional: the driver's own counters, reported under the device's scope. */
	void (*counters)(struct vh_dev *dev, vh_counter_fn fn, void *arg, const char *scope);
};

struct vh_dev_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_dropped, tx_dropped;
	uint64_t drops[VH_DROP__MAX];
};

struct impair;

#define VH_DEV_MCAST_MAX 16

struct vh_dev {
	struct vh_stack *stack;
	unsigned index;            /* 1.. in registration order */
	char name[VH_IFNAMSIZ];
	const struct vh_dev_ops *ops;
	void *priv;
	unsigned flags;
	uint32_t mtu;              /* IP MTU: largest L3 packet */
	uint8_t hwaddr[VH_ETH_ALEN];
	int fd;                    /* readable => ops->poll; -1 if none */
	uint64_t poll_ns;          /* > 0: ops->poll at least this often */
	uint64_t next_poll;        /* ns, for poll_ns */
	struct vh_iface *ifaces;
	uint8_t mcast[VH_DEV_MCAST_MAX][VH_ETH_ALEN]; /* multicast MACs we accept */
	unsigned nmcast;
	struct impair *impair;     /* optional link impairment (loss, delay...) */
	/* A NIC that a driver owns instead of the stack (vh_nic_create, never
	 * registered: the ENC28J60 simulator's cable) hands what it receives
	 * here; the hook takes the packet. */
	void (*input_hook)(void *arg, struct vh_dev *dev, struct vh_pkt *pkt);
	void *input_hook_arg;
	struct vh_dev_stats stats;
	struct vh_dev *next;
};

struct vh_iface {
	struct vh_iface *next;     /* on the same device */
	struct vh_dev *dev;
	uint32_t addr;             /* network byte order, as all addresses */
	uint32_t netmask;
	uint32_t bcast;            /* directed broadcast of the subnet */
	unsigned plen;
};

/* Allocate a device with priv_size bytes of driver state at dev->priv. */
struct vh_dev *vh_dev_alloc(struct vh_stack *st, const struct vh_dev_ops *ops, const char *name,
			    size_t priv_size);
/* Register (gives it an index) and open it. On failure the device is freed. */
int vh_dev_register(struct vh_stack *st, struct vh_dev *dev, struct vh_err *err);
struct vh_dev *vh_dev_by_name(struct vh_stack *st, const char *name);
struct vh_dev *vh_dev_by_index(struct vh_stack *st, unsigned index);
void vh_dev_set_link(struct vh_dev *dev, bool up);
/* Accept frames to a multicast MAC (a protocol joined a group). -ENOSPC when full. */
int vh_dev_mcast_add(struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN]);
int vh_dev_mcast_del(struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN]);
bool vh_dev_mcast_accepts(const struct vh_dev *dev, const uint8_t mac[VH_ETH_ALEN]);

/* Worker: a frame arrived on dev (consumes pkt). */
void vh_dev_input(struct vh_dev *dev, struct vh_pkt *pkt);
/* Worker: the receive loop of a NIC whose fd gives one frame per call: read up
 * to budget frames with rd (which returns the frame's full length, or <= 0
 * when there is none), drop and count frames larger than the MTU allows or
 * when buffers run out, hand the rest to vh_dev_input(). Returns the count. */
int vh_dev_read_frames(struct vh_dev *dev, unsigned budget,
		       long (*rd)(int fd, void *buf, unsigned long len));
/* Any thread: hand received frames to the worker in one batch. Frames beyond
 * the queue's bound are dropped and counted. Returns how many were queued. */
unsigned vh_dev_input_async(struct vh_dev *dev, struct vh_pkt **pkts, unsigned n);
/* Worker: send the frame at pkt->data (consumes pkt). */
int vh_dev_output(struct vh_dev *dev, struct vh_pkt *pkt);
/* The driver's transmit, after impairment; also used by impairment's delay line. */
int vh_dev_xmit(struct vh_dev *dev, struct vh_pkt *pkt);

/* Free pkt and count why, on dev (may be NULL) and on the stack. */
void vh_drop_at(struct vh_stack *st, struct vh_dev *dev, struct vh_pkt *pkt, enum vh_drop why,
		const char *func, const char *file, int line);
#define vh_drop(st, dev, pkt, why)                                                                 \
	vh_drop_at((st), (dev), (pkt), (why), __func__, __FILE__, __LINE__)

int vh_iface_add(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, unsigned plen,
		 struct vh_iface **ret);
int vh_iface_del(struct vh_stack *st, struct vh_dev *dev, uint32_t addr);
/* The iface that owns addr, on any device; NULL if none. */
struct vh_iface *vh_iface_by_addr(struct vh_stack *st, uint32_t addr);
/* The first iface of dev whose subnet contains addr; NULL if none. */
struct vh_iface *vh_iface_on_link(struct vh_dev *dev, uint32_t addr);

#endif
