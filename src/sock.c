/* sock.c: BSD-like sockets (vh_socket.h) over udp.c and tcp/.
 *
 * Threads. Protocol state belongs to the worker, so every call runs its work
 * there through vh_stack_call(). When that work cannot proceed (no data, no
 * room, no connection yet) it returns -EAGAIN together with the socket's
 * event generation, and the calling thread sleeps on the socket's condition
 * variable until the worker bumps the generation (data arrived, room freed,
 * state changed) or the timeout passes, then tries again. Reading the
 * generation on the worker before giving up closes the lost-wakeup window.
 *
 * Lifetime. The descriptor table holds one reference to a socket and every
 * sleeping thread one more, so a socket closed by one thread while another
 * sleeps on it is freed only when the sleeper leaves (and finds -EBADF). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sock.h"
#include "stack.h"
#include "tcp/tcp.h"
#include "tcp/tcp_user.h"
#include "udp.h"
#include "vh_socket.h"

struct vh_sock {
	struct vh_stack *st;
	int sd, type;
	atomic_int refs;
	/* Waiting: gen is written by the worker under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t gen;
	unsigned waiters;

	/* Worker only from here. */
	struct tcp_conn *tcb;
	struct udp_pcb udp;
	uint32_t laddr;
	uint16_t lport;
	bool bound, listening, connecting, shut_rd, shut_wr, linger0;
	bool nonblock;
	int rcvtimeo_ms, sndtimeo_ms;
	uint32_t sndbuf, rcvbuf;
	bool nodelay, keepalive;
	uint32_t keep_idle, keep_intvl, keep_cnt;
	int error;
};

static void sock_put(struct vh_sock *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		free(s);
	}
}

/* Worker: something changed on s; wake whoever waits on it or polls. */
static void sock_wake(struct vh_sock *s)
{
	struct sock_state *ss = &s->st->sock;

	pthread_mutex_lock(&s->lock);
	s->gen++;
	if (s->waiters)
		pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&ss->lock);
	ss->gen++;
	if (ss->waiters)
		pthread_cond_broadcast(&ss->cond);
	pthread_mutex_unlock(&ss->lock);
}

static void tcp_event(void *user, struct tcp_conn *c)
{
	struct vh_sock *s = user;

	/* The connection ended under us: keep its error for the next call. */
	if (c->state == TCP_CLOSED && c->error && !s->error)
		s->error = c->error;
	sock_wake(s);
}

static void udp_event(void *user)
{
	sock_wake(user);
}

static struct vh_sock *lookup(struct vh_stack *st, int sd)
{
	if (sd < 0 || sd >= VH_SOCK_MAX || !st->sock.tab)
		return NULL;
	return st->sock.tab[sd];
}

static int sock_alloc(struct vh_stack *st, int type, struct vh_sock **ret)
{
	struct sock_state *ss = &st->sock;
	struct vh_sock *s;
	unsigned i;

	if (ss->used >= VH_SOCK_MAX)
		return -EMFILE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* The lowest free descriptor from the hint, as POSIX gives the lowest one. */
	for (i = 0; i < VH_SOCK_MAX && ss->tab[(ss->hint + i) % VH_SOCK_MAX]; i++)
		;
	s->sd = (int)((ss->hint + i) % VH_SOCK_MAX);
	ss->hint = (unsigned)s->sd + 1;
	ss->tab[s->sd] = s;
	ss->used++;
	s->st = st;
	s->type = type;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	{
		/* Timeouts are on CLOCK_MONOTONIC, so a wall-clock step cannot stretch them. */
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->sndbuf = TCP_BUF_DEFAULT;
	s->rcvbuf = TCP_BUF_DEFAULT;
	s->keep_idle = 7200;
	s->keep_intvl = 75;
	s->keep_cnt = 9;
	s->udp.user = s;
	s->udp.event = udp_event;
	s->udp.rcvbuf = s->rcvbuf;
	vh_pktq_init(&s->udp.rxq, UDP_RXQ_MAX);
	*ret = s;
	return 0;
}

static void sock_release(struct vh_stack *st, struct vh_sock *s)
{
	st->sock.tab[s->sd] = NULL;
	st->sock.used--;
	if ((unsigned)s->sd < st->sock.hint)
		st->sock.hint = (unsigned)s->sd;
	s->sd = -1;
	sock_wake(s); /* sleepers retry and find -EBADF */
	sock_put(s);
}

/* A TCP control block for s, configured from its options. */
static struct tcp_conn *tcb_for(struct vh_sock *s)
{
	struct tcp_conn *c = tcp_conn_new(s->st);

	if (!c)
		return NULL;
	c->sndbuf = s->sndbuf;
	c->rcvbuf = s->rcvbuf;
	c->nodelay = s->nodelay;
	c->keepalive = s->keepalive;
	c->keep_idle_s = s->keep_idle;
	c->keep_intvl_s = s->keep_intvl;
	c->keep_cnt = s->keep_cnt;
	c->user = s;
	c->event = tcp_event;
	return c;
}

/* One request from an application thread, run on the worker. */
struct req {
	int sd;
	struct vh_sock *s;     /* set with a reference when the caller must wait */
	uint64_t gen;
	int timeo_ms;          /* the socket's timeout for this kind of wait */
	bool nonblock;
	int flags;
	int i;                 /* option, backlog, how... */
	int *ret_i;
	const void *cbuf;
	void *buf;
	size_t len;
	const struct vh_sockaddr_in *addr;
	struct vh_sockaddr_in *ret_addr;
	struct vh_pollfd *fds;
	unsigned nfds;
};

/* Worker: the call must wait: hand the caller a reference and the generation. */
static int must_wait(struct req *q, struct vh_sock *s, bool send_side)
{
	q->s = s;
	q->gen = s->gen;
	q->timeo_ms = send_side ? s->sndtimeo_ms : s->rcvtimeo_ms;
	q->nonblock = s->nonblock || (q->flags & VH_MSG_DONTWAIT);
	atomic_fetch_add(&s->refs, 1);
	return -EAGAIN;
}

/* The CLOCK_MONOTONIC time ms from now. */
static void deadline_in(int ms, struct timespec *ret)
{
	clock_gettime(CLOCK_MONOTONIC, ret);
	ret->tv_sec += ms / 1000;
	ret->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ret->tv_nsec >= 1000000000L)
		ret->tv_sec++, ret->tv_nsec -= 1000000000L;
}

/* Sleep until *gen moves from snap or the deadline (NULL: none) passes.
 * 0, or -ETIMEDOUT. */
static int wait_gen(pthread_mutex_t *lock, pthread_cond_t *cond, const uint64_t *gen,
		    unsigned *waiters, uint64_t snap, const struct timespec *deadline)
{
	int r = 0;

	pthread_mutex_lock(lock);
	(*waiters)++;
	while (*gen == snap && !r) {
		if (deadline) {
			if (pthread_cond_timedwait(cond, lock, deadline) == ETIMEDOUT)
				r = -ETIMEDOUT;
		} else {
			pthread_cond_wait(cond, lock);
		}
	}
	(*waiters)--;
	pthread_mutex_unlock(lock);
	return r;
}

/* Application thread: run fn on the worker until it stops asking to wait. */
static int call_wait(struct vh_stack *st, int (*fn)(struct vh_stack *, void *), struct req *q)
{
	struct timespec deadline;
	bool have_deadline = false;
	int r;

	for (;;) {
		q->s = NULL;
		r = vh_stack_call(st, fn, q);
		if (r != -EAGAIN || !q->s)
			return r;
		struct vh_sock *s = q->s;
		if (q->nonblock || vh_on_worker(st) || !st->running) {
			sock_put(s);
			return r;
		}
		if (q->timeo_ms > 0 && !have_deadline) {
			deadline_in(q->timeo_ms, &deadline);
			have_deadline = true;
		}
		r = wait_gen(&s->lock, &s->cond, &s->gen, &s->waiters, q->gen,
			     have_deadline ? &deadline : NULL);
		sock_put(s);
		if (r == -ETIMEDOUT)
			return -EAGAIN; /* as SO_RCVTIMEO reports it */
	}
}

/* A call that never waits, on one descriptor with one int argument. */
static int call_sd(struct vh_stack *st, int (*fn)(struct vh_stack *, void *), int sd, int i)
{
	struct req q = {.sd = sd, .i = i};

	return vh_stack_call(st, fn, &q);
}

static int do_socket(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s;
	int r = sock_alloc(st, q->i, &s);

	return r < 0 ? r : s->sd;
}

int vh_socket(struct vh_stack *st, int type)
{
	if (type != VH_SOCK_STREAM && type != VH_SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	return call_sd(st, do_socket, -1, type);
}

static int do_bind(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	int r;

	if (!s)
		return -EBADF;
	if (s->bound)
		return -EINVAL;
	if (q->addr->addr && !vh_iface_by_addr(st, q->addr->addr))
		return -EADDRNOTAVAIL;
	if (s->type == VH_SOCK_DGRAM) {
		r = udp_bind(st, &s->udp, q->addr->addr, q->addr->port);
		if (r < 0)
			return r;
		s->lport = s->udp.lport;
	} else {
		/* TCP binds for real at listen() or connect(), where the 4-tuple is known. */
		s->lport = q->addr->port;
	}
	s->laddr = q->addr->addr;
	s->bound = true;
	return 0;
}

int vh_bind(struct vh_stack *st, int sd, const struct vh_sockaddr_in *addr)
{
	struct req q = {.sd = sd, .addr = addr};

	if (!addr)
		return -EFAULT;
	return vh_stack_call(st, do_bind, &q);
}

static int do_listen(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	unsigned backlog;
	int r;

	if (!s)
		return -EBADF;
	if (s->type != VH_SOCK_STREAM)
		return -EOPNOTSUPP;
	if (!s->lport)
		return -EDESTADDRREQ; /* an ephemeral listener is of no use to anyone */
	if (s->tcb && s->tcb->state != TCP_LISTEN)
		return -EINVAL;
	backlog = q->i <= 0 ? 1 : (q->i > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : (unsigned)q->i);
	if (!s->tcb && !(s->tcb = tcb_for(s)))
		return -ENOBUFS;
	r = tcp_user_listen(s->tcb, s->laddr, s->lport, backlog);
	if (r < 0) {
		tcp_conn_free(s->tcb);
		s->tcb = NULL;
		return r;
	}
	s->listening = true;
	return 0;
}

int vh_listen(struct vh_stack *st, int sd, int backlog)
{
	return call_sd(st, do_listen, sd, backlog);
}

static int do_accept(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd), *n;
	struct tcp_conn *c;
	int r;

	if (!s)
		return -EBADF;
	if (!s->listening || !s->tcb)
		return -EINVAL;
	/* Nothing established yet: SYN_RECEIVED children stay in the SYN queue until
	 * their handshake completes, so accept never hands out a half-open one. */
	if (!s->tcb->acceptq_head)
		return must_wait(q, s, false);
	r = sock_alloc(st, VH_SOCK_STREAM, &n);
	if (r < 0)
		return r; /* the connection waits in the queue for a free descriptor */
	c = tcp_user_accept(s->tcb);
	/* From here the connection's events go to its own socket, not the listener. */
	n->tcb = c;
	c->user = n;
	c->event = tcp_event;
	n->laddr = c->laddr;
	n->lport = c->lport;
	n->bound = true;
	/* Every option is inherited, non-blocking mode too: an event loop that accepts
	 * wants its connections non-blocking, and saves a call per connection. */
	n->nonblock = s->nonblock;
	n->nodelay = s->nodelay;
	n->keepalive = s->keepalive;
	n->sndbuf = s->sndbuf;
	n->rcvbuf = s->rcvbuf;
	n->rcvtimeo_ms = s->rcvtimeo_ms;
	n->sndtimeo_ms = s->sndtimeo_ms;
	if (q->ret_addr)
		*q->ret_addr = (struct vh_sockaddr_in){c->raddr, c->rport};
	/* Reset between the handshake and accept: the first call on it says so. */
	if (c->state == TCP_CLOSED && c->error)
		n->error = c->error;
	return n->sd;
}

int vh_accept(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret_peer)
{
	struct vh_sockaddr_in peer;
	struct req q = {.sd = sd, .ret_addr = &peer};
	int r = call_wait(st, do_accept, &q);

	if (r >= 0 && ret_peer)
		*ret_peer = peer;
	return r;
}

static int do_connect(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	int r;

	if (!s)
		return -EBADF;
	if (s->type == VH_SOCK_DGRAM) {
		/* UDP: a default destination and a filter on what is received. */
		if (!s->udp.bound && (r = udp_bind(st, &s->udp, s->laddr, 0)) < 0)
			return r;
		s->udp.raddr = q->addr->addr;
		s->udp.rport = q->addr->port;
		return 0;
	}
	if (s->listening)
		return -EINVAL;
	if (s->connecting) {
		/* A second call (or the retry of a blocking one): how did it go? */
		if (s->error) {
			r = s->error;
			s->error = 0;
			s->connecting = false;
			return r;
		}
		if (!s->tcb)
			return -ECONNREFUSED;
		/* Still in the handshake: a blocking caller waits; a non-blocking one is
		 * told, as connect(2) says, that it is already under way. */
		if (s->tcb->state == TCP_SYN_SENT || s->tcb->state == TCP_SYN_RECEIVED)
			return s->nonblock ? -EALREADY : must_wait(q, s, true);
		/* Done: this call reports it once; later ones get -EISCONN. */
		s->connecting = false;
		return 0;
	}
	if (s->tcb)
		return -EISCONN;
	if (!(s->tcb = tcb_for(s)))
		return -ENOBUFS;
	r = tcp_user_connect(s->tcb, s->laddr, s->lport, q->addr->addr, q->addr->port);
	if (r < 0) {
		tcp_conn_free(s->tcb);
		s->tcb = NULL;
		return r;
	}
	s->laddr = s->tcb->laddr;
	s->lport = s->tcb->lport;
	s->connecting = true;
	if (s->nonblock)
		return -EINPROGRESS;
	return must_wait(q, s, true);
}

int vh_connect(struct vh_stack *st, int sd, const struct vh_sockaddr_in *addr)
{
	struct req q = {.sd = sd, .addr = addr};

	if (!addr)
		return -EFAULT;
	/* The first round starts the handshake; call_wait's retries find it under way
	 * (s->connecting) and wait for its end. */
	return call_wait(st, do_connect, &q);
}

static int do_send(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	long n;
	int r;

	if (!s)
		return -EBADF;
	if (s->shut_wr)
		return -EPIPE;
	if (s->type == VH_SOCK_DGRAM) {
		const struct vh_sockaddr_in *to = q->addr;
		if (!to && !s->udp.rport)
			return -EDESTADDRREQ;
		r = udp_output(st, &s->udp, to ? to->addr : s->udp.raddr,
			       to ? to->port : s->udp.rport, q->cbuf, q->len);
		return r < 0 ? r : (int)q->len;
	}
	if (!s->tcb)
		return -ENOTCONN;
	if (s->error) {
		r = s->error;
		s->error = 0;
		return r;
	}
	/* The call's result is an int: one call moves at most 2 GiB; vh_sendto loops. */
	if (q->len > INT32_MAX)
		q->len = INT32_MAX;
	n = tcp_user_send(s->tcb, q->cbuf, q->len);
	if (n == -EAGAIN)
		return must_wait(q, s, true);
	return (int)n;
}

ssize_t vh_sendto(struct vh_stack *st, int sd, const void *buf, size_t len, int flags,
		  const struct vh_sockaddr_in *to)
{
	struct req q = {.sd = sd, .cbuf = buf, .len = len, .flags = flags, .addr = to};
	size_t done = 0;
	int r;

	/* A blocking stream send returns when all of it is queued (or on error/timeout). */
	do {
		q.cbuf = (const uint8_t *)buf + done;
		q.len = len - done;
		r = call_wait(st, do_send, &q);
		if (r < 0)
			return done ? (ssize_t)done : r;
		done += (size_t)r;
	} while (done < len && !q.nonblock && !(flags & VH_MSG_DONTWAIT) && r > 0 && !to);
	return (ssize_t)done;
}

ssize_t vh_send(struct vh_stack *st, int sd, const void *buf, size_t len, int flags)
{
	return vh_sendto(st, sd, buf, len, flags, NULL);
}

static int do_recv(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	long n;
	int r;

	if (!s)
		return -EBADF;
	if (s->type == VH_SOCK_DGRAM) {
		struct vh_pkt *p = vh_pktq_pop(&s->udp.rxq);
		uint32_t from;
		uint16_t port;
		if (!p)
			return s->shut_rd ? 0 : must_wait(q, s, false);
		s->udp.rx_bytes -= p->len;
		/* A datagram longer than the buffer is cut, as recv(2) does. */
		n = p->len < q->len ? p->len : (long)q->len;
		memcpy(q->buf, p->data, (size_t)n);
		udp_pkt_from(p, &from, &port);
		if (q->ret_addr)
			*q->ret_addr = (struct vh_sockaddr_in){from, port};
		vh_pkt_free(p);
		return (int)n;
	}
	if (!s->tcb)
		return s->error ? s->error : -ENOTCONN;
	/* SHUT_RD: reads end here. Data that still arrives waits in the ring, and at
	 * close makes it a reset (unread data, RFC 2525 §2.17). */
	if (s->shut_rd)
		return 0;
	if (q->len > INT32_MAX)
		q->len = INT32_MAX;
	n = tcp_user_recv(s->tcb, q->buf, q->len);
	if (n == -EAGAIN)
		return must_wait(q, s, false);
	if (n < 0 && s->error) {
		r = s->error;
		s->error = 0;
		return r;
	}
	return (int)n;
}

ssize_t vh_recvfrom(struct vh_stack *st, int sd, void *buf, size_t len, int flags,
		    struct vh_sockaddr_in *ret_from)
{
	struct vh_sockaddr_in from;
	struct req q = {.sd = sd, .buf = buf, .len = len, .flags = flags, .ret_addr = &from};
	size_t done = 0;
	int r;

	do {
		q.buf = (uint8_t *)buf + done;
		q.len = len - done;
		r = call_wait(st, do_recv, &q);
		if (r < 0)
			return done ? (ssize_t)done : r;
		done += (size_t)r;
	} while ((flags & VH_MSG_WAITALL) && r > 0 && done < len);
	if (ret_from)
		*ret_from = from;
	return (ssize_t)done;
}

ssize_t vh_recv(struct vh_stack *st, int sd, void *buf, size_t len, int flags)
{
	return vh_recvfrom(st, sd, buf, len, flags, NULL);
}

static int do_shutdown(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);

	if (!s)
		return -EBADF;
	if (q->i != VH_SHUT_RD && q->i != VH_SHUT_WR && q->i != VH_SHUT_RDWR)
		return -EINVAL;
	if (s->type == VH_SOCK_STREAM && (!s->tcb || s->listening))
		return -ENOTCONN;
	if (q->i != VH_SHUT_WR)
		s->shut_rd = true;
	if (q->i != VH_SHUT_RD && !s->shut_wr) {
		s->shut_wr = true;
		if (s->tcb)
			tcp_user_shutdown(s->tcb);
	}
	sock_wake(s);
	return 0;
}

int vh_shutdown(struct vh_stack *st, int sd, int how)
{
	return call_sd(st, do_shutdown, sd, how);
}

static int do_close(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);

	if (!s)
		return -EBADF;
	/* TCP outlives the descriptor: the connection finishes its FIN exchange and
	 * TIME_WAIT on its timers and frees itself (tcp_user_close). */
	if (s->tcb) {
		if (s->linger0)
			tcp_user_abort(s->tcb);
		else
			tcp_user_close(s->tcb);
		s->tcb = NULL;
	}
	udp_unbind(st, &s->udp);
	vh_pktq_purge(&s->udp.rxq);
	sock_release(st, s);
	return 0;
}

int vh_close(struct vh_stack *st, int sd)
{
	return call_sd(st, do_close, sd, 0);
}

static int do_setsockopt(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	int v = *q->ret_i;
	struct tcp_conn *c;

	if (!s)
		return -EBADF;
	c = s->tcb;
	switch (q->i) {
	case VH_SO_NONBLOCK:
		s->nonblock = v != 0;
		return 0;
	case VH_SO_RCVTIMEO:
	case VH_SO_SNDTIMEO:
		if (v < 0)
			return -EINVAL;
		*(q->i == VH_SO_RCVTIMEO ? &s->rcvtimeo_ms : &s->sndtimeo_ms) = v;
		return 0;
	case VH_SO_SNDBUF:
	case VH_SO_RCVBUF:
		if (v < (int)TCP_BUF_MIN || v > (int)TCP_BUF_MAX)
			return -EINVAL;
		/* Rings are sized once, when the connection starts. */
		if (c && c->state != TCP_LISTEN)
			return -EISCONN;
		*(q->i == VH_SO_SNDBUF ? &s->sndbuf : &s->rcvbuf) = (uint32_t)v;
		if (q->i == VH_SO_RCVBUF)
			s->udp.rcvbuf = (uint32_t)v;
		if (c)
			*(q->i == VH_SO_SNDBUF ? &c->sndbuf : &c->rcvbuf) = (uint32_t)v;
		return 0;
	case VH_SO_REUSEADDR:
		return 0;
	case VH_SO_KEEPALIVE:
		s->keepalive = v != 0;
		if (c) {
			c->keepalive = s->keepalive;
			tcp_keep_reset(c);
		}
		return 0;
	case VH_SO_BROADCAST:
		s->udp.bcast_ok = v != 0;
		return 0;
	case VH_SO_LINGER0:
		s->linger0 = v != 0;
		return 0;
	case VH_TCP_NODELAY:
		s->nodelay = v != 0;
		if (c) {
			c->nodelay = s->nodelay;
			tcp_output(c);
		}
		return 0;
	case VH_TCP_KEEPIDLE:
	case VH_TCP_KEEPINTVL:
	case VH_TCP_KEEPCNT:
		if (v < 1 || v > 86400)
			return -EINVAL;
		if (q->i == VH_TCP_KEEPIDLE)
			s->keep_idle = (uint32_t)v;
		else if (q->i == VH_TCP_KEEPINTVL)
			s->keep_intvl = (uint32_t)v;
		else
			s->keep_cnt = (uint32_t)v;
		if (c) {
			c->keep_idle_s = s->keep_idle;
			c->keep_intvl_s = s->keep_intvl;
			c->keep_cnt = s->keep_cnt;
			tcp_keep_reset(c);
		}
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int vh_setsockopt(struct vh_stack *st, int sd, int opt, int value)
{
	struct req q = {.sd = sd, .i = opt, .ret_i = &value};

	return vh_stack_call(st, do_setsockopt, &q);
}

static int do_getsockopt(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);
	int *v = q->ret_i;

	if (!s)
		return -EBADF;
	switch (q->i) {
	case VH_SO_NONBLOCK: *v = s->nonblock; return 0;
	case VH_SO_RCVTIMEO: *v = s->rcvtimeo_ms; return 0;
	case VH_SO_SNDTIMEO: *v = s->sndtimeo_ms; return 0;
	case VH_SO_SNDBUF: *v = (int)s->sndbuf; return 0;
	case VH_SO_RCVBUF: *v = (int)s->rcvbuf; return 0;
	case VH_SO_REUSEADDR: *v = 1; return 0;
	case VH_SO_KEEPALIVE: *v = s->keepalive; return 0;
	case VH_SO_BROADCAST: *v = s->udp.bcast_ok; return 0;
	case VH_SO_LINGER0: *v = s->linger0; return 0;
	case VH_SO_TYPE: *v = s->type; return 0;
	case VH_TCP_NODELAY: *v = s->nodelay; return 0;
	case VH_TCP_KEEPIDLE: *v = (int)s->keep_idle; return 0;
	case VH_TCP_KEEPINTVL: *v = (int)s->keep_intvl; return 0;
	case VH_TCP_KEEPCNT: *v = (int)s->keep_cnt; return 0;
	case VH_SO_ERROR:
		*v = s->error;
		if (!*v && s->tcb && s->tcb->error && s->tcb->state == TCP_CLOSED)
			*v = s->tcb->error;
		s->error = 0;
		return 0;
	case VH_TCP_STATE: *v = s->tcb ? (int)s->tcb->state : TCP_CLOSED; return 0;
	default: return -ENOPROTOOPT;
	}
}

int vh_getsockopt(struct vh_stack *st, int sd, int opt, int *ret_value)
{
	int v = 0;
	struct req q = {.sd = sd, .i = opt, .ret_i = &v};
	int r = vh_stack_call(st, do_getsockopt, &q);

	if (r == 0 && ret_value)
		*ret_value = v;
	return r;
}

static int do_name(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	struct vh_sock *s = lookup(st, q->sd);

	if (!s)
		return -EBADF;
	if (q->i) { /* peer */
		if (s->type == VH_SOCK_DGRAM) {
			if (!s->udp.rport)
				return -ENOTCONN;
			*q->ret_addr = (struct vh_sockaddr_in){s->udp.raddr, s->udp.rport};
			return 0;
		}
		if (!s->tcb || s->listening || !s->tcb->rport)
			return -ENOTCONN;
		*q->ret_addr = (struct vh_sockaddr_in){s->tcb->raddr, s->tcb->rport};
		return 0;
	}
	if (s->type == VH_SOCK_DGRAM)
		*q->ret_addr = (struct vh_sockaddr_in){s->udp.laddr, s->udp.lport};
	else if (s->tcb && s->tcb->lport)
		*q->ret_addr = (struct vh_sockaddr_in){s->tcb->laddr, s->tcb->lport};
	else
		*q->ret_addr = (struct vh_sockaddr_in){s->laddr, s->lport};
	return 0;
}

int vh_getsockname(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret)
{
	struct vh_sockaddr_in a;
	struct req q = {.sd = sd, .ret_addr = &a};
	int r = vh_stack_call(st, do_name, &q);

	if (r == 0 && ret)
		*ret = a;
	return r;
}

int vh_getpeername(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret)
{
	struct vh_sockaddr_in a;
	struct req q = {.sd = sd, .i = 1, .ret_addr = &a};
	int r = vh_stack_call(st, do_name, &q);

	if (r == 0 && ret)
		*ret = a;
	return r;
}

/* Worker: poll(2)'s view of a socket. HUP only when the connection is gone
 * entirely; the peer's FIN alone is IN (a read returns 0) plus RDHUP. */
static short sock_events(struct vh_sock *s)
{
	short ev = 0;
	unsigned t;

	if (s->type == VH_SOCK_DGRAM) {
		ev = VH_POLLOUT;
		if (s->udp.rxq.len || s->shut_rd)
			ev |= VH_POLLIN;
		return ev;
	}
	if (!s->tcb)
		return s->error ? VH_POLLERR | VH_POLLIN | VH_POLLOUT | VH_POLLHUP : VH_POLLHUP;
	t = tcp_user_events(s->tcb);
	if (t & TCP_EV_IN)
		ev |= VH_POLLIN;
	if ((t & TCP_EV_OUT) && !s->shut_wr)
		ev |= VH_POLLOUT;
	if ((t & TCP_EV_ERR) || s->error)
		ev |= VH_POLLERR;
	if (t & TCP_EV_HUP)
		ev |= VH_POLLHUP;
	if (t & TCP_EV_RDHUP)
		ev |= VH_POLLRDHUP;
	/* A finished non-blocking connect is writable (or in error), as with poll(2). */
	if (s->connecting && s->tcb->state != TCP_SYN_SENT && s->tcb->state != TCP_SYN_RECEIVED)
		ev |= VH_POLLOUT;
	return ev;
}

static int do_poll(struct vh_stack *st, void *arg)
{
	struct req *q = arg;
	int n = 0;

	for (unsigned i = 0; i < q->nfds; i++) {
		struct vh_pollfd *f = &q->fds[i];
		struct vh_sock *s = lookup(st, f->sd);
		f->revents = 0;
		if (f->sd < 0)
			continue; /* ignored, as poll(2) ignores negative fds */
		if (!s)
			f->revents = VH_POLLNVAL;
		else
			f->revents = (short)(sock_events(s) &
					     (f->events | VH_POLLERR | VH_POLLHUP | VH_POLLNVAL));
		n += f->revents != 0;
	}
	/* Read on the worker after the scan: any event after it moves the generation,
	 * so the caller's sleep cannot miss it. */
	q->gen = st->sock.gen;
	return n;
}

int vh_poll(struct vh_stack *st, struct vh_pollfd *fds, unsigned nfds, int timeout_ms)
{
	struct sock_state *ss = &st->sock;
	struct req q = {.fds = fds, .nfds = nfds};
	struct timespec deadline;
	int r;

	if (timeout_ms > 0)
		deadline_in(timeout_ms, &deadline);
	for (;;) {
		r = vh_stack_call(st, do_poll, &q);
		if (r != 0 || timeout_ms == 0 || vh_on_worker(st) || !st->running)
			return r;
		if (wait_gen(&ss->lock, &ss->cond, &ss->gen, &ss->waiters, q.gen,
			     timeout_ms > 0 ? &deadline : NULL) == -ETIMEDOUT)
			return 0;
	}
}

int sock_init(struct vh_stack *st)
{
	struct sock_state *ss = &st->sock;
	pthread_condattr_t ca;

	ss->tab = calloc(VH_SOCK_MAX, sizeof(*ss->tab));
	if (!ss->tab)
		return -ENOMEM;
	pthread_mutex_init(&ss->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ss->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void sock_fini(struct vh_stack *st)
{
	struct sock_state *ss = &st->sock;

	if (!ss->tab)
		return;
	for (unsigned i = 0; i < VH_SOCK_MAX; i++) {
		struct vh_sock *s = ss->tab[i];
		if (!s)
			continue;
		if (s->tcb) {
			/* tcp_fini left it for us when it still had an owner. */
			s->tcb->event = NULL;
			s->tcb->detached = true;
			tcp_conn_free(s->tcb);
		}
		udp_unbind(st, &s->udp);
		vh_pktq_purge(&s->udp.rxq);
		ss->tab[i] = NULL;
		sock_put(s);
	}
	free(ss->tab);
	ss->tab = NULL;
	pthread_mutex_destroy(&ss->lock);
	pthread_cond_destroy(&ss->cond);
}
