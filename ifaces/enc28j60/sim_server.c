/* sim_server.c: serve an enc_sim over a UNIX stream socket (see
 * sim_server.h for the framing). One request is one chip-select window of
 * the ENC28J60 SPI bus (DS39662E §4.2, "The ... command is terminated by
 * raising the CS pin"), so the client decides where instructions end.
 *
 * Each connection owns an input buffer for one whole request and an output
 * buffer for its reply. While a reply is not fully written the connection
 * reads nothing more, so a client that does not read cannot make the server
 * buffer without bound. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim.h"
#include "sim_server.h"

enum {
	HDR_LEN = 2,
	/* requests handled per service call, so one busy client cannot
	 * starve the others in a poll loop */
	SERVICE_BUDGET = 64,
};

struct client {
	int fd;
	size_t in_len;  /* bytes of the current request received, header included */
	size_t out_off, out_len;
	uint8_t in[HDR_LEN + ENC_SIM_SERVER_MAX_REQUEST];
	uint8_t out[ENC_SIM_SERVER_MAX_REQUEST];
};

struct enc_sim_server {
	struct enc_sim *sim;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients[ENC_SIM_SERVER_MAX_CLIENTS];
};

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) /* must fit with its NUL */
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file nobody answers on is left over from a dead server. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) /* never remove a file that is not ours */
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int enc_sim_server_new(struct enc_sim *sim, const char *path, struct enc_sim_server **ret_srv)
{
	struct enc_sim_server *srv;
	struct sockaddr_un sa;
	int r;

	r = fill_addr(path, &sa);
	if (r < 0)
		return r;
	r = clear_stale(&sa);
	if (r < 0)
		return r;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->sim = sim;
	strcpy(srv->path, sa.sun_path);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0) {
		r = -errno;
		free(srv);
		return r;
	}
	if (bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv->fd, 4) < 0) {
		r = -errno;
		close(srv->fd);
		free(srv);
		return r;
	}
	*ret_srv = srv;
	return 0;
}

static struct client **find(const struct enc_sim_server *srv, int fd)
{
	for (size_t i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i] && srv->clients[i]->fd == fd)
			return (struct client **)&srv->clients[i];
	return NULL;
}

static void drop(struct client **slot)
{
	close((*slot)->fd);
	free(*slot);
	*slot = NULL;
}

void enc_sim_server_free(struct enc_sim_server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS; i++)
		if (srv->clients[i])
			drop(&srv->clients[i]);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
}

int enc_sim_server_listen_fd(const struct enc_sim_server *srv)
{
	return srv->fd;
}

size_t enc_sim_server_nclients(const struct enc_sim_server *srv)
{
	size_t n = 0;

	for (size_t i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS; i++)
		n += srv->clients[i] != NULL;
	return n;
}

int enc_sim_server_accept(struct enc_sim_server *srv)
{
	struct client **slot = NULL, *c;
	int fd;

	for (size_t i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS && !slot; i++)
		if (!srv->clients[i])
			slot = &srv->clients[i];
	fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (!slot) { /* a full bus: refuse rather than queue forever */
		close(fd);
		return -EMFILE;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->in_len = c->out_off = c->out_len = 0;
	*slot = c;
	return fd;
}

short enc_sim_server_events(const struct enc_sim_server *srv, int fd)
{
	struct client **slot = find(srv, fd);

	if (!slot)
		return 0;
	return (*slot)->out_off < (*slot)->out_len ? POLLOUT : POLLIN;
}

/* Write what is left of the reply: 1 when done, 0 when the socket is full,
 * or -errno. */
static int flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		c->out_off += (size_t)w;
	}
	c->out_off = c->out_len = 0;
	return 1;
}

/* The length the header announces; 0 until the header is complete. */
static size_t want(const struct client *c)
{
	if (c->in_len < HDR_LEN)
		return HDR_LEN;
	return HDR_LEN + ((size_t)c->in[0] << 8 | c->in[1]);
}

int enc_sim_server_service(struct enc_sim_server *srv, int fd)
{
	struct client **slot = find(srv, fd), *c;
	int r = 0;

	if (!slot)
		return -ENOENT;
	c = *slot;
	for (unsigned done = 0; done < SERVICE_BUDGET;) {
		size_t need;
		ssize_t n;

		r = flush(c);
		if (r <= 0)
			break; /* 0: wait for POLLOUT */
		need = want(c);
		n = recv(c->fd, c->in + c->in_len, need - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
			break;
		}
		if (n == 0) { /* hung up, perhaps in the middle of a request */
			r = -ECONNRESET;
			break;
		}
		c->in_len += (size_t)n;
		if (c->in_len == HDR_LEN && want(c) == HDR_LEN) {
			r = -EPROTO; /* N = 0 is not a chip-select window */
			break;
		}
		if (c->in_len < HDR_LEN || c->in_len < want(c))
			continue;
		/* one whole request: one CS assertion on the chip */
		c->out_len = c->in_len - HDR_LEN;
		c->out_off = 0;
		enc_sim_transfer(srv->sim, c->in + HDR_LEN, c->out, c->out_len);
		c->in_len = 0;
		done++;
	}
	if (r > 0) /* budget spent with the reply written */
		r = flush(c);
	if (r < 0) {
		drop(slot);
		return r;
	}
	return 0;
}

size_t enc_sim_server_pollfds(const struct enc_sim_server *srv, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	if (max)
		pfd[n++] = (struct pollfd){.fd = srv->fd, .events = POLLIN};
	for (size_t i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS && n < max; i++)
		if (srv->clients[i])
			pfd[n++] = (struct pollfd){
				.fd = srv->clients[i]->fd,
				.events = enc_sim_server_events(srv, srv->clients[i]->fd),
			};
	return n;
}

void enc_sim_server_handle(struct enc_sim_server *srv, const struct pollfd *pfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == srv->fd) {
			while (enc_sim_server_accept(srv) >= 0)
				;
		} else {
			enc_sim_server_service(srv, pfd[i].fd);
		}
	}
}

int enc_sim_server_run(struct enc_sim_server *srv, int timeout_ms)
{
	struct pollfd pfd[ENC_SIM_SERVER_POLLFDS];
	size_t n = enc_sim_server_pollfds(srv, pfd, ENC_SIM_SERVER_POLLFDS);

	if (poll(pfd, n, timeout_ms) < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	enc_sim_server_handle(srv, pfd, n);
	enc_sim_poll(srv->sim);
	return 0;
}
