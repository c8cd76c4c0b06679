/* tcp_user.c: the user calls of RFC 9293 §3.10.1-3.10.6 (OPEN, SEND,
 * RECEIVE, CLOSE, ABORT, STATUS), run on the worker for the socket layer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "routing/route.h"
#include "stack.h"
#include "tcp/tcp.h"
#include "tcp/tcp_user.h"

int tcp_user_listen(struct tcp_conn *c, uint32_t laddr, uint16_t lport, unsigned backlog)
{
	int r;

	if (c->state == TCP_LISTEN) {
		c->backlog = backlog; /* listen() again changes the backlog only */
		return 0;
	}
	if (c->state != TCP_CLOSED || !lport)
		return -EINVAL;
	c->laddr = laddr;
	c->lport = lport;
	c->raddr = 0;
	c->rport = 0;
	/* A listener on every address and one on a given address may not share a port. */
	{
		struct tcp_conn *any = tcp_lookup(c->st, 0, lport, 0, 0);
		if (laddr && any && any->state == TCP_LISTEN)
			return -EADDRINUSE;
	}
	r = tcp_hash_add(c);
	if (r < 0)
		return r;
	c->backlog = backlog;
	c->state = TCP_LISTEN;
	return 0;
}

/* Choose an ephemeral port that makes a unique 4-tuple (RFC 6056 §3.3.3's
 * simple counter, started at a random point). */
static int pick_port(struct tcp_conn *c)
{
	struct tcp_state *t = &c->st->tcp;
	unsigned span = TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO + 1;

	for (unsigned i = 0; i < span; i++) {
		uint16_t p = t->next_port;
		t->next_port = (uint16_t)(p == TCP_EPHEMERAL_HI ? TCP_EPHEMERAL_LO : p + 1);
		struct tcp_conn *o = tcp_lookup(c->st, c->laddr, p, c->raddr, c->rport);
		if (o && o->rport == c->rport && o->raddr == c->raddr)
			continue;
		if (o && o->state == TCP_LISTEN)
			continue;
		c->lport = p;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

int tcp_user_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport, uint32_t raddr,
		     uint16_t rport)
{
	struct vh_stack *st = c->st;
	struct rt_result rt;
	int r;

	if (c->state != TCP_CLOSED)
		return c->state == TCP_SYN_SENT ? -EALREADY : -EISCONN;
	if (!raddr || !rport)
		return -EINVAL;
	if (!laddr) {
		/* The source is the outgoing iface's address (or the destination itself). */
		struct vh_iface *self = vh_iface_by_addr(st, raddr);
		if (self)
			laddr = self->addr;
		else if (rt_lookup(st, raddr, &rt) == 0 && rt.iface)
			laddr = rt.iface->addr;
		else
			return -ENETUNREACH;
	}
	c->laddr = laddr;
	c->raddr = raddr;
	c->rport = rport;
	c->lport = lport;
	if (!lport && (r = pick_port(c)) < 0)
		return r;
	r = tcp_hash_add(c);
	if (r < 0)
		return r;
	r = tcp_alloc_bufs(c);
	if (r < 0) {
		tcp_hash_del(c);
		return r;
	}
	c->iss = tcp_isn(st, c->laddr, c->lport, c->raddr, c->rport);
	c->ts_offset = c->iss;
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	c->recover = c->iss;
	c->rcv_wscale = 0;
	while (c->rcv_wscale < 14 && (c->rcvbuf >> c->rcv_wscale) > 65535)
		c->rcv_wscale++;
	{
		/* The MSS we offer: the route's MTU less 40 (RFC 9293 §3.7.1). */
		struct vh_iface *self = vh_iface_by_addr(st, raddr);
		uint32_t mtu = self ? self->dev->mtu
				    : (rt_lookup(st, raddr, &rt) == 0 && rt.dev ? rt.dev->mtu : 1500);
		c->mss_local = (uint16_t)(mtu > 65535 ? 65495 : mtu - 40);
	}
	c->state = TCP_SYN_SENT;
	st->tcp.stats.active_opens++;
	c->rtt_ts = vh_now(st);
	tcp_send_segment(c, TCP_SYN, c->iss, 0);
	tcp_rearm_rtx(c);
	return 0;
}

struct tcp_conn *tcp_user_accept(struct tcp_conn *l)
{
	struct tcp_conn *c = l->acceptq_head;

	if (!c)
		return NULL;
	l->acceptq_head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = NULL;
	else
		l->acceptq_tail = NULL;
	l->acceptq_len--;
	c->qnext = c->qprev = NULL;
	c->listener = NULL;
	c->lq = 0;
	return c;
}

static bool can_send(const struct tcp_conn *c)
{
	return c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT;
}

long tcp_user_send(struct tcp_conn *c, const void *buf, size_t len)
{
	uint32_t room, n;

	if (c->error)
		return c->error;
	/* RFC 9293 §3.10.2 allows queueing data before the handshake ends; waiting in
	 * the caller instead keeps the send ring unallocated for half-open entries. */
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
		return -EAGAIN;
	if (!can_send(c) || c->fin_queued)
		return c->state == TCP_CLOSED ? -ENOTCONN : -EPIPE;
	room = c->snd.size - c->snd.len;
	/* Copy what fits; the ring is the whole send buffer, so a full ring is the
	 * application's back-pressure. */
	n = len < room ? (uint32_t)len : room;
	if (!n)
		return -EAGAIN;
	tcp_ring_write(&c->snd, c->snd.len, buf, n);
	c->snd.len += n;
	tcp_output(c);
	return n;
}

long tcp_user_recv(struct tcp_conn *c, void *buf, size_t len)
{
	uint32_t n, before;

	if (c->rcv.len == 0) {
		if (c->error)
			return c->error;
		switch (c->state) {
		case TCP_CLOSE_WAIT:
		case TCP_LAST_ACK:
		case TCP_CLOSING:
		case TCP_TIME_WAIT:
		case TCP_CLOSED:
			return 0; /* the peer closed: end of stream */
		default:
			return -EAGAIN;
		}
	}
	n = len < c->rcv.len ? (uint32_t)len : c->rcv.len;
	before = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	tcp_ring_read(&c->rcv, 0, buf, n);
	c->rcv.head = (c->rcv.head + n) % c->rcv.size;
	c->rcv.len -= n;
	/* RFC 1122 §4.2.3.3 (receiver SWS avoidance): announce the opened window once it
	 * grew by a good share of the buffer or two segments. */
	if (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	    c->state == TCP_FIN_WAIT_2) {
		uint32_t now = tcp_rcv_window(c), grow = c->rcv.size / 4;
		if (grow > 2u * c->mss)
			grow = 2u * c->mss;
		if (now >= before + grow)
			tcp_send_ack(c);
	}
	return n;
}

int tcp_user_shutdown(struct tcp_conn *c)
{
	/* RFC 9293 §3.10.4 CLOSE: queue a FIN after the data. */
	switch (c->state) {
	case TCP_SYN_SENT:
		tcp_done(c, 0);
		return 0;
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		c->fin_queued = true;
		tcp_set_state(c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		c->fin_queued = true;
		tcp_set_state(c, TCP_LAST_ACK);
		break;
	default:
		return 0; /* already closing */
	}
	tcp_output(c);
	return 0;
}

void tcp_user_abort(struct tcp_conn *c)
{
	/* RFC 9293 §3.10.5 ABORT: a RST in synchronized states, then gone. */
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSE_WAIT:
		tcp_send_rst(c);
		break;
	default:
		break;
	}
	c->detached = true;
	c->event = NULL;
	tcp_done(c, 0);
}

void tcp_user_close(struct tcp_conn *c)
{
	if (c->state == TCP_LISTEN) {
		/* Half-open and unaccepted connections die with their listener. */
		while (c->synq_head)
			tcp_user_abort(c->synq_head);
		while (c->acceptq_head)
			tcp_user_abort(c->acceptq_head);
		c->detached = true;
		c->event = NULL;
		tcp_done(c, 0);
		return;
	}
	/* RFC 2525 §2.17: closing with unread data loses it: tell the peer with a RST. */
	if (c->rcv.len && c->state != TCP_CLOSED) {
		tcp_user_abort(c);
		return;
	}
	c->event = NULL;
	c->detached = true;
	switch (c->state) {
	case TCP_CLOSED:
	case TCP_SYN_SENT:
		tcp_done(c, 0);
		return;
	case TCP_TIME_WAIT:
		free(c->snd.buf);
		free(c->rcv.buf);
		c->snd.buf = c->rcv.buf = NULL;
		c->snd.len = c->rcv.len = 0;
		return; /* the timer frees it */
	case TCP_FIN_WAIT_2:
		vh_timer_arm(c->st, &c->t_keep, TCP_FIN_WAIT2_NS);
		return;
	default:
		tcp_user_shutdown(c);
		return;
	}
}

unsigned tcp_user_events(const struct tcp_conn *c)
{
	unsigned ev = 0;

	if (c->state == TCP_LISTEN)
		return c->acceptq_head ? TCP_EV_IN : 0;
	if (c->rcv.len || c->error)
		ev |= TCP_EV_IN;
	switch (c->state) {
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
	case TCP_TIME_WAIT:
		ev |= TCP_EV_IN | TCP_EV_RDHUP;
		break;
	case TCP_CLOSED:
		ev |= TCP_EV_IN | TCP_EV_HUP;
		break;
	default:
		break;
	}
	if (can_send(c) && !c->fin_queued && c->snd.size - c->snd.len >= c->snd.size / 4)
		ev |= TCP_EV_OUT;
	if (c->error)
		ev |= TCP_EV_ERR;
	return ev;
}
