/* sim_server.h: the ENC28J60 simulator's SPI bus on a UNIX stream socket.
 *
 * Framing, one request at a time per connection:
 *
 *     request:  N (2 bytes, big endian, 1..65535), then N MOSI bytes
 *     reply:    N MISO bytes
 *
 * The N bytes are clocked under one chip-select assertion, so a request is
 * exactly one ENC28J60 instruction window (DS39662E §4.2). A request with
 * N = 0, or a connection that ends inside a request, is a broken client: that
 * connection is closed and the server carries on.
 *
 * Everything is non-blocking so a poll loop can drive the server: poll the
 * listening fd and each client fd for enc_sim_server_events(), then call
 * enc_sim_server_accept() or enc_sim_server_service(). enc_sim_server_run()
 * does one such round itself. */
#ifndef VH_ENC28J60_SIM_SERVER_H
#define VH_ENC28J60_SIM_SERVER_H

#include <poll.h>
#include <stddef.h>

struct enc_sim;
struct enc_sim_server;

enum {
	ENC_SIM_SERVER_MAX_CLIENTS = 16,
	ENC_SIM_SERVER_MAX_REQUEST = 65535, /* the 16-bit length field */
	ENC_SIM_SERVER_POLLFDS = 1 + ENC_SIM_SERVER_MAX_CLIENTS,
};

/* Listen on path; a stale socket left there by a dead server is replaced,
 * a live one is -EADDRINUSE. The server does not own sim. 0 or -errno. */
int enc_sim_server_new(struct enc_sim *sim, const char *path, struct enc_sim_server **ret_srv);
/* Close every connection and the listener, and remove the socket file. */
void enc_sim_server_free(struct enc_sim_server *srv);

int enc_sim_server_listen_fd(const struct enc_sim_server *srv);
size_t enc_sim_server_nclients(const struct enc_sim_server *srv);

/* Accept one pending connection: its fd, or -EAGAIN when none is waiting,
 * -EMFILE when ENC_SIM_SERVER_MAX_CLIENTS are connected (it is refused). */
int enc_sim_server_accept(struct enc_sim_server *srv);
/* The poll events a client fd waits for: POLLIN, or POLLOUT while a reply
 * is still being written. 0 if fd is not a client. */
short enc_sim_server_events(const struct enc_sim_server *srv, int fd);
/* Read what the client sent, run each complete request through the chip,
 * write the replies. 0 while the connection lives; a negative errno once the
 * server has closed it (-ECONNRESET: peer hung up, -EPROTO: bad framing,
 * -ENOENT: not a client fd). */
int enc_sim_server_service(struct enc_sim_server *srv, int fd);

/* For a poll loop with fds of its own: fill pfd (room for max entries) with
 * the listener and every client and their events; returns how many. */
size_t enc_sim_server_pollfds(const struct enc_sim_server *srv, struct pollfd *pfd, size_t max);
/* Act on what poll() reported for the entries enc_sim_server_pollfds() made. */
void enc_sim_server_handle(struct enc_sim_server *srv, const struct pollfd *pfd, size_t n);

/* One round: poll the listener and all clients for up to timeout_ms, accept,
 * service, then enc_sim_poll() the chip. 0 or -errno from poll(). */
int enc_sim_server_run(struct enc_sim_server *srv, int timeout_ms);

#endif
