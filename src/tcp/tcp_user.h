/* tcp_user.h: RFC 9293's user calls, on the worker, for the socket layer. */
#ifndef VH_TCP_USER_H
#define VH_TCP_USER_H

#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp.h"

enum {
	TCP_EV_IN = 1u << 0,    /* data, end of stream, a connection to accept, or an error */
	TCP_EV_OUT = 1u << 1,   /* room in the send buffer */
	TCP_EV_ERR = 1u << 2,
	TCP_EV_HUP = 1u << 3,   /* the connection is gone */
	TCP_EV_RDHUP = 1u << 4, /* the peer closed its side */
};

int tcp_user_listen(struct tcp_conn *c, uint32_t laddr, uint16_t lport, unsigned backlog);
int tcp_user_connect(struct tcp_conn *c, uint32_t laddr, uint16_t lport, uint32_t raddr,
		     uint16_t rport);
/* The oldest established connection of listener l, unlinked; NULL if none. */
struct tcp_conn *tcp_user_accept(struct tcp_conn *l);
/* Bytes queued, or -EAGAIN (no room / not yet connected), -EPIPE, or the pending error. */
long tcp_user_send(struct tcp_conn *c, const void *buf, size_t len);
/* Bytes read, 0 at end of stream, -EAGAIN, or the pending error. */
long tcp_user_recv(struct tcp_conn *c, void *buf, size_t len);
int tcp_user_shutdown(struct tcp_conn *c);
/* Give the connection up to TCP: it finishes (FIN, TIME_WAIT) and frees itself. */
void tcp_user_close(struct tcp_conn *c);
/* RST and free now. */
void tcp_user_abort(struct tcp_conn *c);
unsigned tcp_user_events(const struct tcp_conn *c);

#endif
