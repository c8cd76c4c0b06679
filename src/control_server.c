/* control_server.c: the control socket's listener and its thread.
 *
 * One thread polls the listening socket, every client and an eventfd that
 * ctl_stop() rings. Sockets are non-blocking, so a client that stops reading
 * or writing holds only its own slot: input is bounded to one request line,
 * and no further request is read from a client until its last reply has been
 * written out. Clients past CTL_CLIENTS_MAX get a "busy" error and are closed;
 * clients silent mid-request for CTL_IDLE_MS are dropped. Requests run on the
 * stack's worker (ctl_handle -> vh_stack_call); this thread never touches
 * stack state. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "stack.h"

struct ctl_client {
	int fd;
	char in[CTL_REQ_MAX + 2];    /* one line and its newline, plus one to see overflow */
	size_t inlen;
	struct ctl_buf out;
	size_t outoff;
	bool closing;                /* stop serving once out is written */
	bool draining;               /* answered and shut down: discard input until EOF */
	uint64_t last_ms;
};

/* Counted on the control thread, read on the worker: relaxed atomics, as
 * nothing else is ordered by them. */
#define CTL_COUNTERS(X)                                                                            \
	X(accepted)          /* connections taken */                                               \
	X(busy)              /* connections refused: every slot taken */                           \
	X(requests)          /* request lines answered */                                          \
	X(refused)           /* of those, answered with an error */                                \
	X(too_long)          /* connections ended for a line past CTL_REQ_MAX */                   \
	X(idle_dropped)      /* connections dropped for silence */                                 \
	X(hangup_midrequest) /* connections that hung up with half a request */

struct ctl_stats {
#define CTL_FIELD(name) atomic_uint_fast64_t name;
	CTL_COUNTERS(CTL_FIELD)
#undef CTL_FIELD
};

#define COUNT(srv, name) atomic_fetch_add_explicit(&(srv)->stats.name, 1, memory_order_relaxed)

struct ctl_server {
	struct vh_stack *st;
	struct ctl_stats stats;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t sock_dev;
	ino_t sock_ino;
	int fd;
	int wake_fd;
	pthread_t thread;
	struct ctl_client clients[CTL_CLIENTS_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ctl_default_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (geteuid() == 0)
		n = snprintf(buf, size, "/run/vhost/vhost.sock");
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, size, "%s/vhost.sock", xdg);
	else
		return -ENOENT;
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

static void client_close(struct ctl_client *c)
{
	close(c->fd);
	ctl_buf_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Write what we can; false once the client is gone. */
static bool client_flush(struct ctl_client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->outoff, c->out.len - c->outoff, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->outoff += (size_t)n;
	}
	ctl_buf_free(&c->out);
	c->outoff = 0;
	if (c->closing && !c->draining) {
		/* Closing now, with the client's bytes still unread, would reset the connection
		 * and could destroy the reply before it is read: end our side and drain theirs
		 * until they hang up or go idle. */
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		c->inlen = 0; /* the rest is read into the whole buffer and thrown away */
	}
	return true;
}

static void answer(struct ctl_server *srv, struct ctl_client *c, size_t len)
{
	ctl_handle(srv->st, c->in, len, &c->out);
	COUNT(srv, requests);
	if (c->out.len > 5 && !memcmp(c->out.p, "error", 5))
		COUNT(srv, refused);
}

/* Serve complete lines, one at a time, until a reply is left unwritten. */
static bool client_serve(struct ctl_server *srv, struct ctl_client *c)
{
	char *nl;

	while (!c->out.len && (nl = memchr(c->in, '\n', c->inlen))) {
		size_t len = (size_t)(nl - c->in);
		answer(srv, c, len && c->in[len - 1] == '\r' ? len - 1 : len);
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
		if (!client_flush(c))
			return false;
	}
	if (!c->out.len && c->inlen > CTL_REQ_MAX) {
		/* No newline within the bound: say why, then hang up. */
		answer(srv, c, c->inlen);
		COUNT(srv, too_long);
		c->closing = true;
		return client_flush(c);
	}
	return true;
}

static bool client_read(struct ctl_server *srv, struct ctl_client *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);

	if (n == 0) {
		/* Hung up, maybe mid-request: nothing to answer. */
		if (c->inlen && !c->draining)
			COUNT(srv, hangup_midrequest);
		return false;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (c->draining)
		return true; /* idle time still runs: a client that keeps sending is dropped */
	c->inlen += (size_t)n;
	c->last_ms = now_ms();
	return client_serve(srv, c);
}

/* Take one waiting connection; false when none is left. */
static bool accept_one(struct ctl_server *srv)
{
	static const char busy[] = "error 46\nvhost is busy: too many control clients at once\n";
	int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	for (unsigned i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = &srv->clients[i];
		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->last_ms = now_ms();
		COUNT(srv, accepted);
		return true;
	}
	/* Fits in any socket buffer, so a non-blocking send is all or nothing. */
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
	}
	close(fd);
	COUNT(srv, busy);
	return true;
}

static void *server_main(void *arg)
{
	struct ctl_server *srv = arg;
	struct pollfd pfd[CTL_CLIENTS_MAX + 2];
	struct ctl_client *who[CTL_CLIENTS_MAX + 2];

	for (;;) {
		unsigned n = 2;
		uint64_t now = now_ms();

		pfd[0] = (struct pollfd){.fd = srv->wake_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = srv->fd, .events = POLLIN};
		for (unsigned i = 0; i < CTL_CLIENTS_MAX; i++) {
			struct ctl_client *c = &srv->clients[i];
			if (c->fd < 0)
				continue;
			/* Idle mid-request (or never reading its reply) for too long: drop it. */
			if (now - c->last_ms > CTL_IDLE_MS) {
				COUNT(srv, idle_dropped);
				client_close(c);
				continue;
			}
			pfd[n] = (struct pollfd){.fd = c->fd,
						 .events = (short)(c->out.len ? POLLOUT : POLLIN)};
			who[n++] = c;
		}
		if (poll(pfd, n, 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (unsigned i = 2; i < n; i++) {
			struct ctl_client *c = who[i];
			bool alive = true;
			if (pfd[i].revents & POLLOUT) {
				alive = client_flush(c) && client_serve(srv, c);
				c->last_ms = now_ms();
			} else if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				alive = client_read(srv, c);
			}
			if (!alive)
				client_close(c);
		}
		/* The whole backlog at once: a burst of clients need not wait a round each. */
		if (pfd[1].revents & POLLIN)
			while (accept_one(srv))
				;
	}
	return NULL;
}

/* Is someone answering at path? Then it is another vhost's, not ours to take. */
static int check_path(const struct sockaddr_un *sa, struct vh_err *err)
{
	struct stat sb;
	int fd, r;

	if (lstat(sa->sun_path, &sb) < 0)
		return errno == ENOENT ? 0 : vh_err_set(err, errno, "control socket %s: %s",
							 sa->sun_path, strerror(errno));
	if (!S_ISSOCK(sb.st_mode))
		return vh_err_set(err, EEXIST, "control socket %s: exists and is not a socket",
				  sa->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vh_err_set(err, errno, "socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0)
		return vh_err_set(err, EADDRINUSE,
				  "control socket %s: another vhost is listening there", sa->sun_path);
	if (errno != ECONNREFUSED)
		return vh_err_set(err, errno, "control socket %s: %s", sa->sun_path, strerror(errno));
	/* Nobody listens: a leftover of a vhost that died. */
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return vh_err_set(err, errno, "control socket %s: cannot remove stale socket: %s",
				  sa->sun_path, strerror(errno));
	return 0;
}

/* Worker: st->ctl is read by vh_stack_counters there, so it is set and cleared there. */
static int attach(struct vh_stack *st, void *arg)
{
	if (arg && st->ctl)
		return -EALREADY;
	st->ctl = arg;
	return 0;
}

void ctl_counters(struct ctl_server *srv, vh_counter_fn fn, void *arg)
{
#define CTL_EMIT(name)                                                                             \
	fn(arg, "ctl", #name, atomic_load_explicit(&srv->stats.name, memory_order_relaxed));
	CTL_COUNTERS(CTL_EMIT)
#undef CTL_EMIT
}

static int listen_on(struct ctl_server *srv, struct vh_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	int r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", srv->path);
	r = check_path(&sa, err);
	if (r < 0)
		return r;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		return vh_err_set(err, errno, "socket: %s", strerror(errno));
	if (bind(srv->fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vh_err_set(err, errno, "control socket %s: %s", srv->path, strerror(errno));
	/* Nobody can connect before listen(), so tightening the mode here leaves no window;
	 * umask() would be process-wide and race other threads. */
	if (chmod(srv->path, 0600) < 0 || stat(srv->path, &sb) < 0) {
		r = vh_err_set(err, errno, "control socket %s: %s", srv->path, strerror(errno));
		unlink(srv->path);
		return r;
	}
	srv->sock_dev = sb.st_dev;
	srv->sock_ino = sb.st_ino;
	if (listen(srv->fd, 64) < 0) {
		r = vh_err_set(err, errno, "control socket %s: listen: %s", srv->path,
			       strerror(errno));
		unlink(srv->path);
		return r;
	}
	return 0;
}

int ctl_start(struct vh_stack *st, const char *path, struct ctl_server **ret, struct vh_err *err)
{
	struct ctl_server *srv;
	int r;

	if (strlen(path) >= sizeof(srv->path))
		return vh_err_set(err, ENAMETOOLONG, "control socket %s: path longer than %zu bytes",
				  path, sizeof(srv->path) - 1);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return vh_err_set(err, ENOMEM, "out of memory");
	srv->st = st;
	srv->fd = -1;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	for (unsigned i = 0; i < CTL_CLIENTS_MAX; i++)
		srv->clients[i].fd = -1;
	srv->wake_fd = -1;
	if (vh_stack_call(st, attach, srv) < 0) {
		free(srv);
		return vh_err_set(err, EALREADY, "this stack already has a control socket");
	}
	srv->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->wake_fd < 0) {
		r = vh_err_set(err, errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	r = listen_on(srv, err);
	if (r < 0)
		goto fail;
	/* Logged before the thread starts: once it runs, a request may change the log
	 * level on the worker, and this thread must not read it any more. */
	infof(st, "control socket %s", srv->path);
	r = pthread_create(&srv->thread, NULL, server_main, srv);
	if (r) {
		unlink(srv->path);
		r = vh_err_set(err, r, "cannot start the control thread: %s", strerror(r));
		goto fail;
	}
	*ret = srv;
	return 0;
fail:
	vh_stack_call(st, attach, NULL);
	if (srv->fd >= 0)
		close(srv->fd);
	if (srv->wake_fd >= 0)
		close(srv->wake_fd);
	free(srv);
	return r;
}

void ctl_stop(struct ctl_server *srv)
{
	uint64_t one = 1;
	struct stat sb;

	if (!srv)
		return;
	if (write(srv->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already rung. */
	}
	pthread_join(srv->thread, NULL);
	vh_stack_call(srv->st, attach, NULL);
	for (unsigned i = 0; i < CTL_CLIENTS_MAX; i++)
		if (srv->clients[i].fd >= 0)
			client_close(&srv->clients[i]);
	/* Someone may have replaced it since (a second vhost after ours was declared dead). */
	if (stat(srv->path, &sb) == 0 && sb.st_dev == srv->sock_dev && sb.st_ino == srv->sock_ino)
		unlink(srv->path);
	close(srv->fd);
	close(srv->wake_fd);
	free(srv);
}
