/* tcp.c: the TCP connection table, initial sequence numbers (RFC 6528),
 * connection life and death, and the byte rings (RFC 9293 §3.3, §3.9).
 *
 * Connections live in one hash table keyed by the 4-tuple; a listener sits
 * in it with a zero remote end. The table, each connection's rings, each
 * listener's SYN and accept queues and the TIME_WAIT population are bounded:
 * when the table is full the oldest TIME_WAIT entry is recycled, and when
 * that is impossible a new connection is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "stack.h"
#include "wire/ipv4.h"
#include "tcp/tcp.h"

static const char *const state_names[] = {
	"CLOSED",    "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",     "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_fsm s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* SipHash-2-4 (Aumasson and Bernstein), the keyed PRF RFC 6528 asks for. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                          \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                             \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                             \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                          \
	} while (0)

static uint64_t siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
	uint64_t k0, k1, m, b = (uint64_t)len << 56;
	uint64_t v0, v1, v2, v3;
	size_t i;

	memcpy(&k0, key, 8);
	memcpy(&k1, key + 8, 8);
	v0 = k0 ^ 0x736f6d6570736575ull;
	v1 = k1 ^ 0x646f72616e646f6dull;
	v2 = k0 ^ 0x6c7967656e657261ull;
	v3 = k1 ^ 0x7465646279746573ull;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, in + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The keyed hash of a 4-tuple. */
static uint64_t tuple_hash(const struct vh_stack *st, uint32_t laddr, uint16_t lport,
			   uint32_t raddr, uint16_t rport)
{
	uint8_t in[12];

	memcpy(in, &laddr, 4);
	memcpy(in + 4, &raddr, 4);
	memcpy(in + 8, &lport, 2);
	memcpy(in + 10, &rport, 2);
	return siphash(st->tcp.isn_key, in, sizeof(in));
}

uint32_t tcp_isn(struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport)
{
	/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
	 * M a timer ticking every 4 microseconds. */
	return (uint32_t)(vh_now(st) / 4000) + (uint32_t)tuple_hash(st, laddr, lport, raddr, rport);
}

static unsigned hash4(const struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		      uint16_t rport)
{
	/* Keyed (the same secret, other bits), so a peer cannot aim connections at one bucket. */
	return (unsigned)(tuple_hash(st, laddr, lport, raddr, rport) >> 32) & (TCP_HASH_SIZE - 1);
}

static struct tcp_conn *find(struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			     uint16_t rport)
{
	for (struct tcp_conn *c = st->tcp.hash[hash4(st, laddr, lport, raddr, rport)]; c;
	     c = c->hnext)
		if (c->lport == lport && c->rport == rport && c->laddr == laddr && c->raddr == raddr)
			return c;
	return NULL;
}

struct tcp_conn *tcp_lookup(struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			    uint16_t rport)
{
	struct tcp_conn *c = find(st, laddr, lport, raddr, rport);

	/* Then a listener on that address, then one on any address. */
	if (!c)
		c = find(st, laddr, lport, 0, 0);
	if (!c)
		c = find(st, 0, lport, 0, 0);
	return c;
}

int tcp_hash_add(struct tcp_conn *c)
{
	struct vh_stack *st = c->st;
	unsigned h;

	if (find(st, c->laddr, c->lport, c->raddr, c->rport))
		return -EADDRINUSE;
	h = hash4(st, c->laddr, c->lport, c->raddr, c->rport);
	c->hnext = st->tcp.hash[h];
	st->tcp.hash[h] = c;
	c->hashed = true;
	return 0;
}

void tcp_hash_del(struct tcp_conn *c)
{
	struct tcp_conn **pp;

	if (!c->hashed)
		return;
	pp = &c->st->tcp.hash[hash4(c->st, c->laddr, c->lport, c->raddr, c->rport)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	c->hashed = false;
}

static void tw_unlink(struct tcp_conn *c)
{
	struct tcp_state *t = &c->st->tcp;

	if (!c->tw_listed)
		return;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		t->tw_head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		t->tw_tail = c->qprev;
	c->qnext = c->qprev = NULL;
	c->tw_listed = false;
}

void tcp_listener_unlink(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener, **head, **tail;

	if (!l)
		return;
	if (c->lq == 1) {
		head = &l->synq_head, tail = &l->synq_tail;
		l->synq_len--;
	} else {
		head = &l->acceptq_head, tail = &l->acceptq_tail;
		l->acceptq_len--;
	}
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		*head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		*tail = c->qprev;
	c->qnext = c->qprev = NULL;
	c->listener = NULL;
	c->lq = 0;
}

struct tcp_conn *tcp_conn_new(struct vh_stack *st)
{
	struct tcp_conn *c;

	if (st->tcp.count >= TCP_CONN_MAX) {
		/* Full: recycle the oldest TIME_WAIT (its 2 MSL matter least). */
		struct tcp_conn *old = st->tcp.tw_head;
		if (!old)
			return NULL;
		st->tcp.stats.tw_recycled++;
		tcp_done(old, 0);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	st->tcp.count++;
	c->st = st;
	c->sndbuf = TCP_BUF_DEFAULT;
	c->rcvbuf = TCP_BUF_DEFAULT;
	c->rto = TCP_RTO_INIT_NS;
	c->keep_idle_s = 7200;
	c->keep_intvl_s = 75;
	c->keep_cnt = 9;
	tcp_timers_init(c);
	return c;
}

void tcp_conn_free(struct tcp_conn *c)
{
	if (!c)
		return;
	tcp_timers_cancel(c);
	tcp_hash_del(c);
	tw_unlink(c);
	tcp_listener_unlink(c);
	free(c->snd.buf);
	free(c->rcv.buf);
	c->st->tcp.count--;
	c->st->tcp.stats.conns_freed++;
	free(c);
}

/* Rings come at establishment (or connect), never for a half-open entry, so a
 * SYN flood cannot make us allocate buffers. */
int tcp_alloc_bufs(struct tcp_conn *c)
{
	if (!c->snd.buf) {
		c->snd.buf = malloc(c->sndbuf);
		if (!c->snd.buf)
			return -ENOMEM;
		c->snd.size = c->sndbuf;
	}
	if (!c->rcv.buf) {
		c->rcv.buf = malloc(c->rcvbuf);
		if (!c->rcv.buf)
			return -ENOMEM;
		c->rcv.size = c->rcvbuf;
	}
	return 0;
}

/* Copy n bytes at offset off from the ring's head; the caller checked the bounds.
 * At most two memcpy: before and after the wrap. */
void tcp_ring_read(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t at = (r->head + off) % r->size;
	uint32_t first = r->size - at < n ? r->size - at : n;

	memcpy(dst, r->buf + at, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_write(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t at = (r->head + off) % r->size;
	uint32_t first = r->size - at < n ? r->size - at : n;

	memcpy(r->buf + at, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
	uint32_t size = c->rcv.buf ? c->rcv.size : c->rcvbuf;
	return size - c->rcv.len;
}

/* A child not yet accepted has no owner: its listener hears instead, since
 * an established child is what makes the listener readable. */
void tcp_notify(struct tcp_conn *c)
{
	if (c->event)
		c->event(c->user, c);
	else if (c->listener && c->listener->event)
		c->listener->event(c->listener->user, c->listener);
}

void tcp_set_state(struct tcp_conn *c, enum tcp_fsm s)
{
	struct tcp_stats *ts = &c->st->tcp.stats;

	if (c->state == s)
		return;
	debugf(c->st, "%u > %u: %s -> %s", c->lport, c->rport, tcp_state_name(c->state),
	       tcp_state_name(s));
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)
		if (s != TCP_ESTABLISHED && s != TCP_CLOSE_WAIT)
			ts->curr_estab--;
	if ((s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT) &&
	    !(c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT))
		ts->curr_estab++;
	c->state = s;
	tcp_notify(c);
}

void tcp_tw_enter(struct tcp_conn *c)
{
	struct tcp_state *t = &c->st->tcp;

	tcp_set_state(c, TCP_TIME_WAIT);
	vh_timer_cancel(c->st, &c->t_rtx);
	vh_timer_cancel(c->st, &c->t_delack);
	/* RFC 9293 §3.10.7.4: TIME_WAIT lasts 2 MSL. */
	vh_timer_arm(c->st, &c->t_keep, 2 * TCP_MSL_NS);
	if (c->detached) {
		free(c->snd.buf);
		free(c->rcv.buf);
		c->snd.buf = c->rcv.buf = NULL;
	}
	if (!c->tw_listed && !c->listener) {
		c->qprev = t->tw_tail;
		c->qnext = NULL;
		if (t->tw_tail)
			t->tw_tail->qnext = c;
		else
			t->tw_head = c;
		t->tw_tail = c;
		c->tw_listed = true;
	}
}

/* The end of every connection. Owned ones stay allocated (CLOSED, with the
 * error) until their socket closes, so a descriptor never points at freed
 * memory; orphans and unaccepted children are freed here. */
void tcp_done(struct tcp_conn *c, int err)
{
	tcp_timers_cancel(c);
	tcp_hash_del(c);
	tw_unlink(c);
	if (c->listener) {
		/* A child nobody accepted yet: it dies with no one to tell. */
		tcp_conn_free(c);
		return;
	}
	tcp_set_state(c, TCP_CLOSED);
	if (c->detached || !c->event) {
		tcp_conn_free(c);
		return;
	}
	if (err && !c->error)
		c->error = err;
	tcp_notify(c);
}

void tcp_init(struct vh_stack *st)
{
	struct tcp_state *t = &st->tcp;

	memset(t, 0, sizeof(*t));
	t->hash = calloc(TCP_HASH_SIZE, sizeof(*t->hash));
	if (getrandom(t->isn_key, sizeof(t->isn_key), 0) != sizeof(t->isn_key)) {
		/* No entropy source: the clock and our address are the best left. */
		uint64_t now = vh_now(st);
		uintptr_t p = (uintptr_t)st;
		memcpy(t->isn_key, &now, 8);
		memcpy(t->isn_key + 8, &p, sizeof(p) < 8 ? sizeof(p) : 8);
	}
	t->next_port = (uint16_t)(TCP_EPHEMERAL_LO +
				  (t->isn_key[0] | t->isn_key[1] << 8) %
					  (TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1));
	t->chal_tokens = TCP_CHALLENGE_PER_SEC;
	t->chal_at = vh_now(st);
	ipv4_register(st, IPPROTO_TCP_, tcp_input);
}

void tcp_fini(struct vh_stack *st)
{
	struct tcp_state *t = &st->tcp;

	if (!t->hash)
		return;
	/* Free children first (through their listeners), then everything else. */
	for (unsigned h = 0; h < TCP_HASH_SIZE; h++)
		while (t->hash[h]) {
			struct tcp_conn *c = t->hash[h];
			tcp_hash_del(c);
			if (c->state == TCP_LISTEN) {
				while (c->synq_head)
					tcp_conn_free(c->synq_head);
				while (c->acceptq_head)
					tcp_conn_free(c->acceptq_head);
			}
			/* A connection its socket still refers to is freed by the socket layer. */
			if (c->event && !c->detached) {
				tcp_timers_cancel(c);
				tw_unlink(c);
				c->state = TCP_CLOSED;
				continue;
			}
			tcp_conn_free(c);
		}
	free(t->hash);
	t->hash = NULL;
}
