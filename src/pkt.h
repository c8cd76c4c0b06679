/* pkt.h: packet buffers from bounded, preallocated pools.
 *
 * A buffer has fixed headroom so every layer prepends its header in place;
 * nothing is copied on the way down. Two pools: MTU-sized buffers for the
 * packet path, and a few 64 KiB ones for reassembly and large frames. When a
 * pool is empty the caller gets NULL, drops and counts: nothing waits and
 * nothing is allocated per packet. Pools are locked, so NIC threads (an SPI
 * chip's interrupt thread) may allocate too. */
#ifndef VH_PKT_H
#define VH_PKT_H

#include <pthread.h>
#include <stdint.h>

/* Room for Ethernet + VLAN + a virtio-net header + IPv4 + TCP headers with options. */
#define VH_PKT_HEADROOM 192u
#define VH_PKT_SMALL 2048u  /* data room of a small buffer: a 1500-byte MTU frame and then some */
#define VH_PKT_BIG 65600u   /* data room of a big buffer: a 64 KiB datagram with its headers */

struct vh_dev;
struct vh_pool;

struct vh_pkt {
	struct vh_pkt *next; /* queue link, owned by whoever holds the packet */
	struct vh_pool *pool;
	struct vh_dev *dev;  /* the NIC it came in on (input) */
	uint8_t *data;       /* current layer's first byte */
	uint32_t len;        /* bytes from data */
	uint32_t room;       /* bytes of buf */
	uint8_t *l3;         /* IPv4 header, once parsed (ICMP errors quote it) */
	uint32_t flags;
	uint64_t ts;         /* receive time, ns */
	uint8_t buf[];
};

enum {
	VH_PKT_F_L2_BCAST = 1u << 0, /* arrived as an Ethernet broadcast */
	VH_PKT_F_L2_MCAST = 1u << 1, /* arrived as an Ethernet multicast */
	VH_PKT_F_LOOPED = 1u << 2,   /* sent by us to one of our own addresses */
};

struct vh_pool {
	pthread_mutex_t lock;
	struct vh_pkt *free;
	unsigned total;
	unsigned avail;
	unsigned low;        /* fewest ever free: how close we came to running dry */
	uint32_t room;
	uint64_t fails;      /* allocations refused: the pool was empty */
	void *mem;
};

int vh_pool_init(struct vh_pool *p, unsigned count, uint32_t room);
void vh_pool_destroy(struct vh_pool *p);

struct vh_stack;
/* A buffer with at least `len` bytes of room after the headroom; data is at
 * buf + headroom and len is 0. NULL when the fitting pool is empty (counted). */
struct vh_pkt *vh_pkt_alloc(struct vh_stack *st, uint32_t len);
void vh_pkt_free(struct vh_pkt *p);
void vh_pkt_free_list(struct vh_pkt *p);
/* Copy of a packet (its data bytes and metadata) in a fresh buffer. */
struct vh_pkt *vh_pkt_clone(struct vh_stack *st, const struct vh_pkt *p);

static inline uint32_t vh_pkt_headroom(const struct vh_pkt *p)
{
	return (uint32_t)(p->data - p->buf);
}
static inline uint32_t vh_pkt_tailroom(const struct vh_pkt *p)
{
	return p->room - vh_pkt_headroom(p) - p->len;
}
/* Prepend n bytes; NULL if no headroom (a programming error for our own headers). */
static inline uint8_t *vh_pkt_push(struct vh_pkt *p, uint32_t n)
{
	if (vh_pkt_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}
/* Drop n bytes from the front (caller checked len). */
static inline uint8_t *vh_pkt_pull(struct vh_pkt *p, uint32_t n)
{
	p->data += n;
	p->len -= n;
	return p->data;
}
/* Append n bytes; NULL if no tailroom. */
static inline uint8_t *vh_pkt_put(struct vh_pkt *p, uint32_t n)
{
	uint8_t *t = p->data + p->len;
	if (vh_pkt_tailroom(p) < n)
		return NULL;
	p->len += n;
	return t;
}
static inline void vh_pkt_trim(struct vh_pkt *p, uint32_t len)
{
	if (len < p->len)
		p->len = len;
}

/* A bounded FIFO of packets linked through ->next. */
struct vh_pktq {
	struct vh_pkt *head, *tail;
	unsigned len, max;
};
static inline void vh_pktq_init(struct vh_pktq *q, unsigned max)
{
	q->head = q->tail = 0;
	q->len = 0;
	q->max = max;
}
/* 0, or -ENOBUFS when full (the packet is not taken). */
int vh_pktq_push(struct vh_pktq *q, struct vh_pkt *p);
struct vh_pkt *vh_pktq_pop(struct vh_pktq *q);
void vh_pktq_purge(struct vh_pktq *q);

#endif
