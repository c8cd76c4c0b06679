/* vh_socket.h: BSD-like sockets over a vh_stack's UDP and TCP.
 *
 * Every call is safe from any application thread while the stack's worker
 * runs: the work is done on the worker (vh_stack_call) and a call that has to
 * wait sleeps on the socket's own condition variable, which the worker
 * signals; the worker itself never blocks. Calls made on the worker (from a
 * timer or a callback) must be non-blocking.
 *
 * A socket is a small integer, a descriptor of its stack, not of the kernel.
 * Addresses are IPv4 in network byte order, ports in host byte order.
 * Every call returns 0 (or a count) or a negative errno; out-parameters are
 * untouched on failure. See libvhost(3). */
#ifndef VH_SOCKET_H
#define VH_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vh.h"

#ifdef __cplusplus
extern "C" {
#endif

enum vh_sock_type {
	VH_SOCK_STREAM = 1, /* TCP */
	VH_SOCK_DGRAM = 2,  /* UDP */
};

struct vh_sockaddr_in {
	uint32_t addr; /* network order; 0 = any */
	uint16_t port; /* host order; 0 = any */
};

/* Flags of vh_send/vh_recv. */
enum {
	VH_MSG_DONTWAIT = 1 << 0, /* this call does not block, whatever the socket's mode */
	VH_MSG_WAITALL = 1 << 1,  /* recv: wait for len bytes (or end, error, timeout) */
};

enum vh_shut {
	VH_SHUT_RD = 0,
	VH_SHUT_WR = 1,
	VH_SHUT_RDWR = 2,
};

/* Options of vh_setsockopt/vh_getsockopt; values are ints. */
enum vh_sockopt {
	VH_SO_NONBLOCK = 1, /* 1: calls return -EAGAIN instead of waiting */
	VH_SO_RCVTIMEO,     /* ms a blocking receive/accept waits; 0 = forever (default) */
	VH_SO_SNDTIMEO,     /* ms a blocking send/connect waits; 0 = forever */
	VH_SO_SNDBUF,       /* bytes, 4 KiB to 4 MiB; before connect/listen (default 256 KiB) */
	VH_SO_RCVBUF,       /* bytes, likewise; also bounds UDP's receive queue */
	VH_SO_REUSEADDR,    /* accepted for portability; a listener may always rebind */
	VH_SO_KEEPALIVE,    /* 1: probe an idle connection */
	VH_SO_BROADCAST,    /* 1: UDP may send to broadcast addresses */
	VH_SO_LINGER0,      /* 1: close() aborts with a RST instead of a FIN */
	VH_SO_ERROR,        /* get only: the pending error (negative errno), cleared */
	VH_SO_TYPE,         /* get only */
	VH_TCP_NODELAY,     /* 1: no Nagle */
	VH_TCP_KEEPIDLE,    /* s before the first probe (default 7200) */
	VH_TCP_KEEPINTVL,   /* s between probes (default 75) */
	VH_TCP_KEEPCNT,     /* probes before giving up (default 9) */
	VH_TCP_STATE,       /* get only: RFC 9293 state, 0 CLOSED .. 10 TIME_WAIT */
};

#define VH_SOCK_MAX 16384 /* descriptors per stack */

/* Readiness, for vh_poll. */
enum {
	VH_POLLIN = 0x001,
	VH_POLLOUT = 0x004,
	VH_POLLERR = 0x008,
	VH_POLLHUP = 0x010,
	VH_POLLNVAL = 0x020,
	VH_POLLRDHUP = 0x2000,
};

struct vh_pollfd {
	int sd;
	short events;
	short revents;
};

int vh_socket(struct vh_stack *st, int type);
int vh_bind(struct vh_stack *st, int sd, const struct vh_sockaddr_in *addr);
int vh_listen(struct vh_stack *st, int sd, int backlog);
/* A new descriptor for the next connection; its peer in ret_peer (may be NULL). */
int vh_accept(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret_peer);
/* TCP: open a connection (non-blocking: -EINPROGRESS, then VH_POLLOUT). UDP: set
 * the default destination and filter what is received. */
int vh_connect(struct vh_stack *st, int sd, const struct vh_sockaddr_in *addr);
ssize_t vh_send(struct vh_stack *st, int sd, const void *buf, size_t len, int flags);
ssize_t vh_recv(struct vh_stack *st, int sd, void *buf, size_t len, int flags);
ssize_t vh_sendto(struct vh_stack *st, int sd, const void *buf, size_t len, int flags,
		  const struct vh_sockaddr_in *to);
ssize_t vh_recvfrom(struct vh_stack *st, int sd, void *buf, size_t len, int flags,
		    struct vh_sockaddr_in *ret_from);
int vh_shutdown(struct vh_stack *st, int sd, int how);
int vh_close(struct vh_stack *st, int sd);
int vh_setsockopt(struct vh_stack *st, int sd, int opt, int value);
int vh_getsockopt(struct vh_stack *st, int sd, int opt, int *ret_value);
int vh_getsockname(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret);
int vh_getpeername(struct vh_stack *st, int sd, struct vh_sockaddr_in *ret);
/* Wait until one of fds is ready or timeout_ms passes (-1: forever, 0: just look).
 * Returns how many have revents set. */
int vh_poll(struct vh_stack *st, struct vh_pollfd *fds, unsigned nfds, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
