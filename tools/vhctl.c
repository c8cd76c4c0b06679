/* vhctl: look at and change a running vhost through its control socket.
 *
 *   vhctl [-s PATH] [-j] OBJECT [VERB] [ARGS...]
 *
 * The words become one request line. The line is checked here first with the
 * parser vhost itself uses, so a typo is a usage error (exit 2) without a
 * round trip; what only vhost can judge (no such NIC, route exists) comes back
 * as a refusal (exit 1). Exit 2 also when the socket cannot be reached, with
 * one line naming why. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TOOL_NAME "vhctl"
#include "tool.h"
#include "control.h"
#include "vh.h"

#define REPLY_TIMEOUT_MS 10000
#define REPLY_MAX (1u << 30) /* a sanity bound on a reply's announced length */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vhctl [-s PATH] [-j] OBJECT [VERB] [ARGS...]\n"
		"\n"
		"Look at and change a running vhost.\n"
		"\n"
		"Objects and verbs (the verb defaults to show):\n"
		"  addr    [show [dev NAME] | add A.B.C.D/N dev NAME | del A.B.C.D/N dev NAME]\n"
		"  route   [show | add PREFIX/N|default [via A] [dev NAME] [metric N]\n"
		"                | del PREFIX/N|default [via A] [dev NAME]]\n"
		"  neigh   [show [dev NAME] | add A lladdr MAC dev NAME | del A]\n"
		"  link    [show [[dev] NAME]]\n"
		"  stats   [show [SCOPE]]    every counter; SCOPE: ip, icmp, arp, route, drop, dev,\n"
		"                            ctl...\n"
		"  forward [show | on | off]\n"
		"  log     [show | level error|warn|info|debug|trace]\n"
		"  capture [show | start PATH|- [size MB] [dev NAME] [filter EXPR...] | stop]\n"
		"                            pcapng for Wireshark; the filter comes last\n"
		"  help                      the commands this vhost knows\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH   vhost's control socket (default /run/vhost/vhost.sock for\n"
		"                      root, else $XDG_RUNTIME_DIR/vhost.sock)\n"
		"  -j, --json          answer in JSON\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"Exit status: 0 done, 1 refused by vhost, 2 usage error or vhost unreachable.\n"
		"See vhctl(8).\n");
}

static int connect_to(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail("socket path %s is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT)
			return fail("no such socket %s (is vhost running? see -s)", path);
		if (e == EACCES || e == EPERM)
			return fail("permission denied on %s (run as the user that runs vhost)", path);
		if (e == ECONNREFUSED)
			return fail("vhost is not running (nobody listens on %s)", path);
		if (e == ENOTSOCK || e == ENOTDIR)
			return fail("%s is not a socket", path);
		return fail("cannot connect to %s: %s", path, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

/* Read exactly n bytes, waiting at most REPLY_TIMEOUT_MS for each piece.
 * 0, or 2 after printing why not. */
static int read_full(int fd, char *buf, size_t n, const char *path)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t k;
		int r = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (r == 0)
			return fail("vhost on %s did not answer within %d s", path,
				    REPLY_TIMEOUT_MS / 1000);
		if (r < 0 && errno != EINTR)
			return fail("poll: %s", strerror(errno));
		k = read(fd, buf + got, n - got);
		if (k == 0)
			return fail("vhost on %s hung up without a complete answer", path);
		if (k < 0 && errno != EINTR && errno != EAGAIN)
			return fail("reading from %s: %s", path, strerror(errno));
		if (k > 0)
			got += (size_t)k;
	}
	return 0;
}

/* Reply: "ok LEN\n" or "error LEN\n", then LEN bytes. */
static int talk(const char *path, const char *line, size_t len)
{
	char head[32], *body;
	unsigned long n;
	size_t hl = 0;
	int fd = -1, r;
	bool ok;

	r = connect_to(path, &fd);
	if (r)
		return r;
	/* A busy vhost answers and hangs up before reading our request: the answer
	 * is still there to read even though sending failed. */
	if (send(fd, line, len, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		close(fd);
		return fail("sending to %s: %s", path, strerror(errno));
	}
	for (;;) {
		if (hl == sizeof(head) - 1) {
			close(fd);
			return fail("%s: not a vhost control socket (bad reply)", path);
		}
		r = read_full(fd, head + hl, 1, path);
		if (r) {
			close(fd);
			return r;
		}
		if (head[hl++] == '\n')
			break;
	}
	head[hl] = 0;
	ok = !strncmp(head, "ok ", 3);
	if ((!ok && strncmp(head, "error ", 6)) ||
	    sscanf(head + (ok ? 3 : 6), "%lu", &n) != 1 || n > REPLY_MAX) {
		close(fd);
		return fail("%s: not a vhost control socket (bad reply)", path);
	}
	body = malloc(n + 1);
	if (!body) {
		close(fd);
		return fail("out of memory for a %lu-byte reply", n);
	}
	r = read_full(fd, body, n, path);
	close(fd);
	if (r) {
		free(body);
		return r;
	}
	body[n] = 0;
	if (ok) {
		fwrite(body, 1, n, stdout);
	} else {
		/* The message is one line; keep it so. */
		fprintf(stderr, "vhctl: %.*s\n", (int)strcspn(body, "\n"), body);
	}
	free(body);
	if (fflush(stdout) != 0)
		return fail("writing the answer: %s", strerror(errno));
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	char line[CTL_REQ_MAX + 2], defpath[108];
	const char *path = NULL;
	struct vh_err err = {{0}};
	struct ctl_req req;
	bool json = false;
	size_t len = 0;
	int c;

	opterr = 0;
	/* "+": stop at the first word, so "route del ..." arguments are never options. */
	while ((c = getopt_long(argc, argv, "+:s:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vhctl %s\n", vh_version());
			return 0;
		case ':':
			return fail("option '%s' needs a value", argv[optind - 1]);
		default:
			return fail("unknown option '%s' (see vhctl --help)", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return fail("no command given: try vhctl addr, route, neigh, link or stats "
			    "(see vhctl --help)");
	if (json)
		len = (size_t)snprintf(line, sizeof(line), "-j");
	for (int i = optind; i < argc; i++) {
		size_t wl = strlen(argv[i]);
		/* After "filter", the words are one libpcap expression: blanks
		 * there change nothing, and a quoted filter is the natural way. */
		bool filter = i > optind && !strcmp(argv[i - 1], "filter");
		if (len + wl + 2 > CTL_REQ_MAX)
			return fail("command longer than %d bytes", CTL_REQ_MAX);
		/* A blank inside an argument would silently become two words. */
		if (!wl || strpbrk(argv[i], filter ? "\n" : " \t\n"))
			return fail("argument '%s' is empty or has blanks", argv[i]);
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", len ? " " : "",
					argv[i]);
	}
	if (ctl_parse(line, len, &req, &err) < 0)
		return fail("%s", err.msg);
	if (!path) {
		if (ctl_default_path(defpath, sizeof(defpath)) < 0)
			return fail("no socket given and $XDG_RUNTIME_DIR is not set: use -s PATH");
		path = defpath;
	}
	line[len++] = '\n';
	return talk(path, line, len);
}
