/* pkt.c: the bounded packet pools. One allocation per pool at start; after
 * that, alloc and free are a locked pop and push on a free list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "stack.h"

static size_t slot_size(uint32_t room)
{
	/* Keep each buffer's header on a cache line of its own. */
	return (sizeof(struct vh_pkt) + room + 63) & ~(size_t)63;
}

int vh_pool_init(struct vh_pool *p, unsigned count, uint32_t room)
{
	size_t sz = slot_size(room);

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->room = room;
	if (!count)
		return 0;
	p->mem = aligned_alloc(64, sz * count);
	if (!p->mem)
		return -ENOMEM;
	for (unsigned i = count; i-- > 0;) {
		struct vh_pkt *k = (struct vh_pkt *)((uint8_t *)p->mem + sz * i);
		k->pool = p;
		k->room = room;
		k->next = p->free;
		p->free = k;
	}
	p->total = p->avail = p->low = count;
	return 0;
}

void vh_pool_destroy(struct vh_pool *p)
{
	free(p->mem);
	p->mem = NULL;
	pthread_mutex_destroy(&p->lock);
}

static struct vh_pkt *pool_get(struct vh_pool *p)
{
	struct vh_pkt *k;

	pthread_mutex_lock(&p->lock);
	k = p->free;
	if (k) {
		p->free = k->next;
		if (--p->avail < p->low)
			p->low = p->avail;
	} else {
		p->fails++;
	}
	pthread_mutex_unlock(&p->lock);
	return k;
}

struct vh_pkt *vh_pkt_alloc(struct vh_stack *st, uint32_t len)
{
	struct vh_pkt *k = NULL;

	/* Compared as room - headroom, so a huge len cannot wrap around to "fits". */
	if (len <= st->pool.room - VH_PKT_HEADROOM)
		k = pool_get(&st->pool);
	/* Large requests, or small ones when the small pool ran dry, try the big pool. */
	if (!k && len <= st->bigpool.room - VH_PKT_HEADROOM)
		k = pool_get(&st->bigpool);
	if (!k)
		return NULL;
	k->next = NULL;
	k->dev = NULL;
	k->data = k->buf + VH_PKT_HEADROOM;
	k->len = 0;
	k->l3 = NULL;
	k->flags = 0;
	k->ts = 0;
	return k;
}

void vh_pkt_free(struct vh_pkt *k)
{
	struct vh_pool *p;

	if (!k)
		return;
	p = k->pool;
	pthread_mutex_lock(&p->lock);
	k->next = p->free;
	p->free = k;
	p->avail++;
	pthread_mutex_unlock(&p->lock);
}

void vh_pkt_free_list(struct vh_pkt *k)
{
	while (k) {
		struct vh_pkt *n = k->next;
		vh_pkt_free(k);
		k = n;
	}
}

struct vh_pkt *vh_pkt_clone(struct vh_stack *st, const struct vh_pkt *p)
{
	struct vh_pkt *c = vh_pkt_alloc(st, p->len);

	if (!c)
		return NULL;
	memcpy(vh_pkt_put(c, p->len), p->data, p->len);
	c->dev = p->dev;
	c->flags = p->flags;
	c->ts = p->ts;
	if (p->l3 && p->l3 >= p->data && p->l3 < p->data + p->len)
		c->l3 = c->data + (p->l3 - p->data);
	return c;
}

int vh_pktq_push(struct vh_pktq *q, struct vh_pkt *p)
{
	if (q->len >= q->max)
		return -ENOBUFS;
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->len++;
	return 0;
}

struct vh_pkt *vh_pktq_pop(struct vh_pktq *q)
{
	struct vh_pkt *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	p->next = NULL;
	return p;
}

void vh_pktq_purge(struct vh_pktq *q)
{
	vh_pkt_free_list(q->head);
	q->head = q->tail = NULL;
	q->len = 0;
}
