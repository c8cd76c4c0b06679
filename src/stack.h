/* stack.h: struct vh_stack, the whole state of one host.
 *
 * Each module owns its slice (arp, ip, icmp, rt, ...); only the worker thread
 * touches them. The fields under "cross-thread" are the only ones other
 * threads use, always under inq_lock. */
#ifndef VH_STACK_H
#define VH_STACK_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "arp.h"
#include "counters.h"
#include "dev.h"
#include "icmp.h"
#include "ipv4.h"
#include "log.h"
#include "pkt.h"
#include "routing/route.h"
#include "sock.h"
#include "tcp/tcp.h"
#include "timer.h"
#include "udp.h"
#include "vh.h"

#define VH_INQ_MAX 1024      /* frames queued to the worker from other threads */
#define VH_BACKLOG_MAX 256   /* packets looped back to ourselves */
/* Frames read from one NIC per round: enough to drain a TAP queue (1000 frames by
 * default), so a burst is forwarded back to back as the trivial copier does (64
 * cost 15% of forwarding throughput); bounded, so one flooded NIC delays the
 * others by a few milliseconds at most. */
#define VH_POLL_BUDGET 1024

struct vh_call;
struct vh_capture;
struct ctl_server;

struct vh_stack {
	char name[16];
	struct vh_log log;
	uint64_t (*clock)(void *arg);
	void *clock_arg;

	struct vh_pool pool;      /* MTU-sized buffers */
	struct vh_pool bigpool;   /* 64 KiB buffers */

	struct vh_dev *devs;      /* registration order */
	unsigned ndevs;
	struct vh_timers timers;

	struct arp_table arp;
	struct ipv4_state ip;
	struct icmp_state icmp;
	struct rt_table rt;
	struct udp_state udp;
	struct tcp_state tcp;
	struct sock_state sock;

	struct vh_pktq backlog;   /* worker-only: IPv4 packets to ourselves */
	uint64_t drops[VH_DROP__MAX];

	/* Capture decorator: every frame in and out, when set. */
	void (*capture_fn)(void *arg, struct vh_dev *dev, int outbound, const struct vh_pkt *pkt);
	void *capture_arg;
	struct vh_capture *capture; /* capture_dev.c: running, or stopped and kept for status */

	struct ctl_server *ctl;   /* the control socket serving this stack, if any */

	/* Worker loop. */
	struct pollfd *pfds;
	struct vh_dev **pfd_devs;
	unsigned npfds;
	bool pfds_dirty;
	pthread_t worker;
	bool running;
	atomic_bool stopping;

	/* Cross-thread. */
	pthread_mutex_t inq_lock;
	struct vh_pktq inq;       /* frames from NIC threads */
	struct vh_call *calls;    /* requests from application threads */
	int wake_fd;              /* eventfd: something was queued */
	uint64_t inq_drops;
};

/* Worker: wake up the poll loop from another thread. */
void vh_stack_wake(struct vh_stack *st);
/* Worker: loop a packet for one of our own addresses back to input. */
void vh_stack_loopback(struct vh_stack *st, struct vh_pkt *pkt);
bool vh_on_worker(const struct vh_stack *st);

#endif
