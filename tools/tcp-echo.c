/* tcp-echo: an example program on libvh's socket API (vh_socket.h).
 *
 *   tcp-echo --iface tap0,addr=192.0.2.2/24 server 7
 *       a TCP echo server on vhost's own stack, one thread per client;
 *   tcp-echo --iface tap0,addr=192.0.2.2/24 client 192.0.2.1 5000 [BYTES]
 *       connects out to an echo server (socat, a Linux kernel peer), sends
 *       BYTES of a pseudo-random stream from one thread while another reads
 *       the echo back and checks every byte; exit 0 when all came back.
 *
 * The stack runs on its own worker thread; these threads block in vh_recv
 * and vh_send as they would on kernel sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vh.h"
#include "vh_socket.h"

static struct vh_stack *st;

static void *echo_client(void *arg)
{
	int sd = (int)(intptr_t)arg;
	char buf[16384];
	ssize_t n;

	while ((n = vh_recv(st, sd, buf, sizeof(buf), 0)) > 0)
		if (vh_send(st, sd, buf, (size_t)n, 0) != n)
			break;
	vh_close(st, sd);
	return NULL;
}

static int server(uint16_t port)
{
	struct vh_sockaddr_in a = {0, port}, peer;
	int ls = vh_socket(st, VH_SOCK_STREAM), r;
	char ip[INET_ADDRSTRLEN];

	if (ls < 0)
		return ls;
	if ((r = vh_bind(st, ls, &a)) < 0 || (r = vh_listen(st, ls, 16)) < 0)
		return r;
	printf("echo server on port %u\n", port);
	for (;;) {
		pthread_t t;
		int sd = vh_accept(st, ls, &peer);
		if (sd < 0)
			return sd;
		inet_ntop(AF_INET, &peer.addr, ip, sizeof(ip));
		printf("client %s:%u\n", ip, peer.port);
		if (pthread_create(&t, NULL, echo_client, (void *)(intptr_t)sd) == 0)
			pthread_detach(t);
		else
			vh_close(st, sd);
	}
}

/* The byte at position i of the test stream (xorshift, cheap and not periodic in practice). */
static uint8_t pattern(uint64_t i)
{
	uint64_t x = (i / 8 + 1) * 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (i % 8)));
}

struct sender {
	int sd;
	uint64_t bytes;
	int err;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;
	uint8_t buf[65536];
	uint64_t off = 0;

	while (off < s->bytes) {
		size_t n = s->bytes - off < sizeof(buf) ? (size_t)(s->bytes - off) : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		ssize_t w = vh_send(st, s->sd, buf, n, 0);
		if (w < 0) {
			s->err = (int)w;
			return NULL;
		}
		off += (uint64_t)w;
	}
	/* Half-close: the server sees the end, echoes the rest and closes. */
	vh_shutdown(st, s->sd, VH_SHUT_WR);
	return NULL;
}

static int client(const char *host, uint16_t port, uint64_t bytes)
{
	struct vh_sockaddr_in a = {0, port};
	struct sender s = {.bytes = bytes};
	uint8_t buf[65536];
	uint64_t got = 0;
	pthread_t t;
	int r;

	if (inet_pton(AF_INET, host, &a.addr) != 1)
		return -EINVAL;
	s.sd = vh_socket(st, VH_SOCK_STREAM);
	if (s.sd < 0)
		return s.sd;
	vh_setsockopt(st, s.sd, VH_SO_SNDTIMEO, 10000);
	vh_setsockopt(st, s.sd, VH_SO_RCVTIMEO, 10000);
	r = vh_connect(st, s.sd, &a);
	if (r < 0)
		return r;
	if (pthread_create(&t, NULL, send_all, &s))
		return -EAGAIN;
	for (;;) {
		ssize_t n = vh_recv(st, s.sd, buf, sizeof(buf), 0);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(got + (uint64_t)i)) {
				fprintf(stderr, "tcp-echo: byte %llu differs\n",
					(unsigned long long)(got + (uint64_t)i));
				r = -EBADMSG;
				goto out;
			}
		got += (uint64_t)n;
	}
out:
	pthread_join(t, NULL);
	vh_close(st, s.sd);
	if (r == 0 && s.err)
		r = s.err;
	if (r == 0 && got != bytes)
		r = -EPIPE;
	printf("sent %llu, received and verified %llu bytes\n", (unsigned long long)bytes,
	       (unsigned long long)got);
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcp-echo --iface SPEC [--gateway A] server PORT\n"
			"       tcp-echo --iface SPEC [--gateway A] client ADDR PORT [BYTES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vh_stack_config cfg;
	struct vh_err err;
	int i = 1, r = 0;

	signal(SIGPIPE, SIG_IGN);
	vh_stack_config_init(&cfg);
	cfg.log_level = VH_LOG_WARN;
	if (vh_stack_new(&cfg, &st) < 0)
		return 1;
	while (i + 1 < argc && !strcmp(argv[i], "--iface")) {
		if (vh_stack_add_nic(st, argv[i + 1], NULL, &err) < 0) {
			fprintf(stderr, "tcp-echo: %s\n", err.msg);
			return 2;
		}
		i += 2;
	}
	if (i >= argc)
		usage();
	if (vh_stack_start(st) < 0)
		return 1;
	if (!strcmp(argv[i], "server") && i + 1 < argc)
		r = server((uint16_t)atoi(argv[i + 1]));
	else if (!strcmp(argv[i], "client") && i + 2 < argc)
		r = client(argv[i + 1], (uint16_t)atoi(argv[i + 2]),
			   i + 3 < argc ? strtoull(argv[i + 3], NULL, 0) : 1000000);
	else
		usage();
	if (r < 0)
		fprintf(stderr, "tcp-echo: %s\n", strerror(-r));
	vh_stack_free(st);
	return r < 0 ? 1 : 0;
}
