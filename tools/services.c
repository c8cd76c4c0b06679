/* services.c: echo (RFC 862), discard (RFC 863), chargen (RFC 864) and a
 * small static HTTP/1.1 server (RFC 9110/9112: GET and HEAD, Content-Length,
 * keep-alive), all on the public socket API, as any program linked against
 * libvh would write them.
 *
 * Each service is one thread with an event loop over vh_poll() and
 * non-blocking sockets, so a thousand clients cost a thousand small
 * structs, not a thousand threads. Every buffer is bounded: a request
 * header longer than HTTP_REQ_MAX gets 431 and the connection closes. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "services.h"
#include "spec.h"
#include "vh_socket.h"

#define SVC_MAX 8
#define SVC_CONN_MAX 4096      /* clients per service; more wait in the listen backlog */
#define SVC_BUF 65536          /* per-connection buffer (echo, http file chunks) */
#define HTTP_REQ_MAX 8192      /* request line + headers */
#define CHARGEN_LINE 74        /* 72 characters + CR LF */

enum svc_kind { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_HTTP };

struct conn {
	int sd;
	uint8_t *buf;              /* echo: pending bytes; http: request, then response */
	size_t len, off;           /* bytes in buf, bytes of them already sent */
	size_t pos;                /* chargen: position in the pattern */
	int file;                  /* http: file being sent, or -1 */
	uint64_t file_left;
	bool keep_alive, closing;
	char *req;                 /* http: request bytes received, NUL-terminated */
	size_t rlen;
};

struct service {
	enum svc_kind kind;
	uint16_t port;
	char root[256];
	struct vh_stack *st;
	int lsd;
	pthread_t thread;
	bool started;
	struct conn *conns[SVC_CONN_MAX];
	unsigned nconns;
	struct vh_pollfd *pfds;
};

struct services {
	struct service sv[SVC_MAX];
	unsigned n;
	atomic_bool stop;
};

static const char chargen_cycle_chars[] =
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
#define CHARGEN_CYCLE (95 * CHARGEN_LINE)
static uint8_t chargen_pat[CHARGEN_CYCLE + SVC_BUF];
static pthread_once_t chargen_once = PTHREAD_ONCE_INIT;

/* RFC 864: line i is 72 characters starting at character i of the printable set. */
static void chargen_init(void)
{
	for (size_t i = 0; i < sizeof(chargen_pat); i++) {
		size_t line = (i / CHARGEN_LINE) % 95, col = i % CHARGEN_LINE;
		chargen_pat[i] = col == 72   ? '\r'
				 : col == 73 ? '\n'
					     : (uint8_t)chargen_cycle_chars[(line + col) % 95];
	}
}

int services_add(struct services **svs, const char *text, struct vh_err *err)
{
	struct vh_spec spec;
	struct service *s;
	char *colon;
	const char *root;
	uint64_t port;
	int r;

	if (!*svs && !(*svs = calloc(1, sizeof(**svs))))
		return -ENOMEM;
	if ((*svs)->n == SVC_MAX)
		return vh_err_set(err, EINVAL, "--service %s: at most %d services", text, SVC_MAX);
	r = vh_spec_parse(text, &spec, err);
	if (r < 0)
		return r;
	s = &(*svs)->sv[(*svs)->n];
	memset(s, 0, sizeof(*s));
	s->lsd = -1;
	colon = strchr(spec.name, ':');
	if (colon)
		*colon++ = 0;
	if (!strcmp(spec.name, "echo"))
		s->kind = SVC_ECHO, s->port = 7;
	else if (!strcmp(spec.name, "discard"))
		s->kind = SVC_DISCARD, s->port = 9;
	else if (!strcmp(spec.name, "chargen"))
		s->kind = SVC_CHARGEN, s->port = 19;
	else if (!strcmp(spec.name, "http"))
		s->kind = SVC_HTTP, s->port = 80;
	else
		return vh_err_set(err, EINVAL,
				  "--service %s: unknown service '%s' (echo, discard, chargen, http)",
				  text, spec.name);
	if (colon) {
		if (vh_parse_u64(colon, 1, 65535, &port) < 0)
			return vh_err_set(err, EINVAL, "--service %s: port '%s' is not 1-65535", text,
					  colon);
		s->port = (uint16_t)port;
	}
	root = vh_spec_get(&spec, "root");
	if (s->kind == SVC_HTTP) {
		if (!root)
			return vh_err_set(err, EINVAL, "--service %s: http needs root=DIR", text);
		if (strlen(root) >= sizeof(s->root))
			return vh_err_set(err, EINVAL, "--service %s: root= is too long", text);
		snprintf(s->root, sizeof(s->root), "%s", root);
	}
	r = vh_spec_check_unused(&spec, err);
	if (r < 0)
		return r;
	(*svs)->n++;
	return 0;
}

static void conn_close(struct service *s, unsigned i)
{
	struct conn *c = s->conns[i];

	vh_close(s->st, c->sd);
	if (c->file >= 0)
		close(c->file);
	free(c->buf);
	free(c->req);
	free(c);
	s->conns[i] = s->conns[--s->nconns];
}

static void accept_all(struct service *s)
{
	while (s->nconns < SVC_CONN_MAX) {
		int sd = vh_accept(s->st, s->lsd, NULL);
		struct conn *c;
		if (sd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (c)
			c->buf = malloc(s->kind == SVC_DISCARD ? 1 : SVC_BUF);
		if (c && s->kind == SVC_HTTP)
			c->req = malloc(HTTP_REQ_MAX + 1);
		if (!c || !c->buf || (s->kind == SVC_HTTP && !c->req)) {
			if (c)
				free(c->buf);
			free(c);
			vh_close(s->st, sd);
			return;
		}
		c->sd = sd; /* non-blocking, and for http without Nagle: from the listener */
		c->file = -1;
		s->conns[s->nconns++] = c;
	}
}

/* Send what is pending in c->buf; true when all of it went. */
static bool flush(struct service *s, struct conn *c, bool *dead)
{
	while (c->off < c->len) {
		ssize_t n = vh_send(s->st, c->sd, c->buf + c->off, c->len - c->off, 0);
		if (n == -EAGAIN)
			return false;
		if (n < 0) {
			*dead = true;
			return false;
		}
		c->off += (size_t)n;
	}
	c->off = c->len = 0;
	return true;
}

static bool serve_echo(struct service *s, struct conn *c)
{
	static uint8_t sink[SVC_BUF];
	bool dead = false;

	for (;;) {
		ssize_t n;
		if (!flush(s, c, &dead))
			return dead;
		n = vh_recv(s->st, c->sd, s->kind == SVC_ECHO ? c->buf : sink, SVC_BUF, 0);
		if (n == -EAGAIN)
			return false;
		if (n <= 0)
			return true; /* end of stream or error */
		if (s->kind == SVC_ECHO)
			c->len = (size_t)n, c->off = 0;
	}
}

static bool serve_chargen(struct service *s, struct conn *c)
{
	static uint8_t sink[4096];
	ssize_t n;

	/* Whatever the client sends is ignored (RFC 864), but end of stream ends us too. */
	while ((n = vh_recv(s->st, c->sd, sink, sizeof(sink), 0)) > 0)
		;
	if (n != -EAGAIN)
		return true;
	for (;;) {
		size_t at = c->pos % CHARGEN_CYCLE;
		n = vh_send(s->st, c->sd, chargen_pat + at, SVC_BUF, 0);
		if (n == -EAGAIN)
			return false;
		if (n < 0)
			return true;
		c->pos += (size_t)n;
	}
}

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html") || !strcmp(dot, ".htm"))
		return "text/html";
	if (!strcmp(dot, ".txt"))
		return "text/plain";
	if (!strcmp(dot, ".css"))
		return "text/css";
	if (!strcmp(dot, ".js"))
		return "text/javascript";
	if (!strcmp(dot, ".json"))
		return "application/json";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg"))
		return "image/jpeg";
	return "application/octet-stream";
}

static void http_status(struct conn *c, int code, const char *reason, bool head)
{
	char body[128];
	int bl = snprintf(body, sizeof(body), "%d %s\n", code, reason);

	c->len = (size_t)snprintf((char *)c->buf, SVC_BUF,
				  "HTTP/1.1 %d %s\r\nServer: vhost\r\nContent-Type: text/plain\r\n"
				  "Content-Length: %d\r\nConnection: %s\r\n\r\n%s",
				  code, reason, bl, c->keep_alive ? "keep-alive" : "close",
				  head ? "" : body);
	c->off = 0;
}

/* One complete request of hlen bytes is at c->buf: prepare the response. */
static void http_request(struct service *s, struct conn *c, size_t hlen)
{
	char *req = c->req, *sp1, *sp2, *eol, path[512 + 256], *p;
	bool head = false, http10;
	struct stat sb;
	int fd;

	req[hlen - 1] = 0;
	eol = strstr(req, "\r\n");
	if (eol)
		*eol = 0;
	sp1 = strchr(req, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	http10 = sp2 && !strncmp(sp2 + 1, "HTTP/1.0", 8);
	/* RFC 9112 §9.3: 1.1 keeps the connection unless told; 1.0 closes unless told. */
	c->keep_alive = !http10;
	for (p = eol ? eol + 2 : NULL; p && *p; ) {
		char *e = strstr(p, "\r\n");
		if (e)
			*e = 0;
		if (!strncasecmp(p, "Connection:", 11)) {
			const char *v = p + 11;
			while (*v == ' ')
				v++;
			if (!strncasecmp(v, "close", 5))
				c->keep_alive = false;
			else if (!strncasecmp(v, "keep-alive", 10))
				c->keep_alive = true;
		}
		p = e ? e + 2 : NULL;
	}
	if (!sp1 || !sp2) {
		c->keep_alive = false;
		http_status(c, 400, "Bad Request", false);
		return;
	}
	*sp1 = *sp2 = 0;
	if (!strcmp(req, "HEAD"))
		head = true;
	else if (strcmp(req, "GET")) {
		http_status(c, 501, "Not Implemented", false);
		return;
	}
	p = sp1 + 1;
	if (*p != '/' || strstr(p, "..") || strlen(p) > 512) {
		/* Nothing outside root, ever. */
		http_status(c, 404, "Not Found", head);
		return;
	}
	if ((sp1 = strchr(p, '?')))
		*sp1 = 0;
	snprintf(path, sizeof(path), "%s%s%s", s->root, p,
		 p[strlen(p) - 1] == '/' ? "index.html" : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_status(c, 404, "Not Found", head);
		return;
	}
	c->len = (size_t)snprintf((char *)c->buf, SVC_BUF,
				  "HTTP/1.1 200 OK\r\nServer: vhost\r\nContent-Type: %s\r\n"
				  "Content-Length: %llu\r\nConnection: %s\r\n\r\n",
				  mime(path), (unsigned long long)sb.st_size,
				  c->keep_alive ? "keep-alive" : "close");
	c->off = 0;
	if (head || !sb.st_size) {
		close(fd);
		return;
	}
	c->file = fd;
	c->file_left = (uint64_t)sb.st_size;
}

static bool serve_http(struct service *s, struct conn *c)
{
	bool dead = false;

	for (;;) {
		if (!flush(s, c, &dead))
			return dead;
		if (c->file >= 0) {
			/* Next chunk of the file. */
			ssize_t n = read(c->file, c->buf, c->file_left < SVC_BUF ? c->file_left : SVC_BUF);
			if (n <= 0)
				return true; /* the file shrank under us: the length is a lie, close */
			c->len = (size_t)n;
			c->off = 0;
			c->file_left -= (uint64_t)n;
			if (!c->file_left) {
				close(c->file);
				c->file = -1;
			}
			continue;
		}
		if (c->closing)
			return true;
		/* Read a request: bytes accumulate in c->req until the blank line; bytes of a
		 * pipelined next request stay there for the next round. */
		for (;;) {
			char *end;
			ssize_t n;
			c->req[c->rlen] = 0;
			end = strstr(c->req, "\r\n\r\n");
			if (end) {
				size_t hlen = (size_t)(end - c->req) + 4;
				http_request(s, c, hlen);
				memmove(c->req, c->req + hlen, c->rlen - hlen);
				c->rlen -= hlen;
				if (!c->keep_alive)
					c->closing = true;
				break;
			}
			if (c->rlen >= HTTP_REQ_MAX) {
				c->keep_alive = false;
				c->closing = true;
				http_status(c, 431, "Request Header Fields Too Large", false);
				c->rlen = 0;
				break;
			}
			n = vh_recv(s->st, c->sd, c->req + c->rlen, HTTP_REQ_MAX - c->rlen, 0);
			if (n == -EAGAIN)
				return false;
			if (n <= 0)
				return true;
			c->rlen += (size_t)n;
		}
	}
}

struct svc_thread_arg {
	struct services *all;
	struct service *s;
};

static void *run(void *arg)
{
	struct svc_thread_arg *a = arg;
	struct service *s = a->s;
	struct services *all = a->all;

	free(a);
	while (!atomic_load(&all->stop)) {
		unsigned n = s->nconns, i;
		int r;
		s->pfds[0] = (struct vh_pollfd){.sd = s->lsd, .events = VH_POLLIN};
		for (i = 0; i < n; i++) {
			struct conn *c = s->conns[i];
			short ev = VH_POLLIN;
			if (c->len > c->off || c->file >= 0 || s->kind == SVC_CHARGEN)
				ev = VH_POLLOUT | (s->kind == SVC_CHARGEN ? VH_POLLIN : 0);
			s->pfds[i + 1] = (struct vh_pollfd){.sd = c->sd, .events = ev};
		}
		r = vh_poll(s->st, s->pfds, n + 1, 200);
		if (r <= 0)
			continue;
		/* Serve in reverse so closing one (which moves the last into its slot) is safe. */
		for (i = n; i-- > 0;) {
			struct conn *c = s->conns[i];
			bool done;
			if (!s->pfds[i + 1].revents)
				continue;
			switch (s->kind) {
			case SVC_CHARGEN:
				done = serve_chargen(s, c);
				break;
			case SVC_HTTP:
				done = serve_http(s, c);
				break;
			default:
				done = serve_echo(s, c);
				break;
			}
			if (done)
				conn_close(s, i);
		}
		if (s->pfds[0].revents)
			accept_all(s);
	}
	while (s->nconns)
		conn_close(s, s->nconns - 1);
	return NULL;
}

int services_start(struct services *svs, struct vh_stack *st, struct vh_err *err)
{
	static const char *const names[] = {"echo", "discard", "chargen", "http"};

	if (!svs)
		return 0;
	pthread_once(&chargen_once, chargen_init);
	for (unsigned i = 0; i < svs->n; i++) {
		struct service *s = &svs->sv[i];
		struct vh_sockaddr_in a = {0, s->port};
		struct svc_thread_arg *ta;
		int r;

		s->st = st;
		s->pfds = calloc(SVC_CONN_MAX + 1, sizeof(*s->pfds));
		if (!s->pfds)
			return -ENOMEM;
		s->lsd = vh_socket(st, VH_SOCK_STREAM);
		if (s->lsd < 0)
			return vh_err_set(err, -s->lsd, "%s: no socket: %s", names[s->kind],
					  strerror(-s->lsd));
		vh_setsockopt(st, s->lsd, VH_SO_NONBLOCK, 1);
		if (s->kind == SVC_HTTP)
			vh_setsockopt(st, s->lsd, VH_TCP_NODELAY, 1); /* responses leave whole */
		r = vh_bind(st, s->lsd, &a);
		if (r == 0)
			r = vh_listen(st, s->lsd, 1024);
		if (r < 0)
			return vh_err_set(err, -r, "%s: cannot listen on port %u: %s", names[s->kind],
					  s->port, strerror(-r));
		ta = malloc(sizeof(*ta));
		if (!ta)
			return -ENOMEM;
		*ta = (struct svc_thread_arg){svs, s};
		r = pthread_create(&s->thread, NULL, run, ta);
		if (r) {
			free(ta);
			return vh_err_set(err, r, "%s: no thread: %s", names[s->kind], strerror(r));
		}
		s->started = true;
	}
	return 0;
}

void services_free(struct services *svs)
{
	if (!svs)
		return;
	atomic_store(&svs->stop, true);
	for (unsigned i = 0; i < svs->n; i++) {
		struct service *s = &svs->sv[i];
		if (s->started)
			pthread_join(s->thread, NULL);
		if (s->lsd >= 0 && s->st)
			vh_close(s->st, s->lsd);
		free(s->pfds);
	}
	free(svs);
}
