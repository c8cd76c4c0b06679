/* connrate.c: connections per second against a TCP port, on kernel sockets.
 *
 *   connrate client A.B.C.D PORT SECONDS THREADS
 *       each thread connects, closes, and repeats; prints connections/s;
 *   connrate server PORT
 *       a discard server for the kernel's side of the comparison: accepts and
 *       reads until the client closes, one poll loop, no forks.
 * Closing with SO_LINGER 0 would spare TIME_WAIT but is not what clients do:
 * the client closes normally and the server answers the FIN. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in dst;
static atomic_long total;
static atomic_long failed;
static double until;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *client(void *arg)
{
	(void)arg;
	while (now() < until) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		char c;
		if (s < 0)
			continue;
		if (connect(s, (struct sockaddr *)&dst, sizeof(dst)) == 0) {
			shutdown(s, SHUT_WR);
			/* Wait for the server's FIN: a complete exchange, not just a SYN. */
			while (read(s, &c, 1) > 0)
				;
			atomic_fetch_add(&total, 1);
		} else {
			atomic_fetch_add(&failed, 1);
		}
		close(s);
	}
	return NULL;
}

static int server(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static struct pollfd fds[4096];
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	unsigned n = 1;
	char buf[65536];

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1024) < 0) {
		perror("connrate: listen");
		return 1;
	}
	fds[0] = (struct pollfd){.fd = ls, .events = POLLIN};
	for (;;) {
		if (poll(fds, n, -1) < 0)
			continue;
		for (unsigned i = n; i-- > 1;)
			if (fds[i].revents) {
				ssize_t r = read(fds[i].fd, buf, sizeof(buf));
				if (r <= 0) {
					close(fds[i].fd);
					fds[i] = fds[--n];
				}
			}
		if (fds[0].revents && n < 4096) {
			int s = accept(ls, NULL, NULL);
			if (s >= 0)
				fds[n++] = (struct pollfd){.fd = s, .events = POLLIN};
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc != 6 || strcmp(argv[1], "client")) {
		fprintf(stderr, "usage: connrate client A.B.C.D PORT SECONDS THREADS | server PORT\n");
		return 2;
	}
	int threads = atoi(argv[5]);
	double secs = atof(argv[4]), t0;
	pthread_t t[64];

	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &dst.sin_addr);
	if (threads < 1 || threads > 64)
		threads = 4;
	t0 = now();
	until = t0 + secs;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, client, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("%.0f conn/s (%ld connections, %ld failed)\n", (double)total / (now() - t0),
	       (long)total, (long)failed);
	return 0;
}
