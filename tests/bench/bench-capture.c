/* bench-capture.c: what capture costs the worker, and what the writer sustains.
 *
 * 1. capture_frame() per call, for small and full-size frames, with and
 *    without a filter, into the default ring (4 MiB) drained to /dev/null.
 *    Frames go in bursts of 1 MiB, timed, and the writer empties the ring
 *    between bursts, untimed: nothing is dropped, so the figure is the
 *    producer's own cost on a warm ring.
 * 2. The writer's throughput to a file: the producer offers full-size
 *    frames as fast as it can for a second; what reaches the file per
 *    second is the writer's rate, and the rest is dropped, not waited for.
 *
 * Usage: bench-capture [DIR]   (DIR for the file of part 2; default /tmp) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* An Ethernet frame of len bytes carrying IPv4/ICMP (proto 1) or ARP. */
static void frame(uint8_t *f, size_t len, int is_icmp)
{
	memset(f, 0, len);
	memset(f, 0xff, 6);
	f[6] = 0x02;
	f[12] = 0x08;
	f[13] = is_icmp ? 0x00 : 0x06;
	if (is_icmp) {
		f[14] = 0x45;
		f[14 + 8] = 64;
		f[14 + 9] = 1;
	}
}

static struct capture *open_capture(const char *path, const char *filter, size_t ring)
{
	struct capture_config cfg = {.path = path, .filter = filter, .ring_bytes = ring};
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	struct capture *c;
	char err[256];

	if (capture_new(&cfg, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	if (capture_add_iface(c, 1, "tap0", NULL, mac) < 0 || capture_start(c) < 0) {
		fprintf(stderr, "capture: cannot start on %s\n", path);
		exit(1);
	}
	return c;
}

static void producer_cost(const char *what, const char *filter, size_t len, int is_icmp,
			  unsigned n)
{
	struct capture *c = open_capture("/dev/null", filter, 0);
	struct capture_stats st;
	uint8_t f[1514];
	unsigned burst = (1u << 20) / (unsigned)(len + 44);
	uint64_t dt = 0;

	frame(f, len, is_icmp);
	for (unsigned done = 0; done < n; done += burst) {
		uint64_t t0 = now_ns();

		for (unsigned i = 0; i < burst; i++)
			capture_frame(c, 1, CAPTURE_IN, t0 + i, f, len);
		dt += now_ns() - t0;
		do
			capture_get_stats(c, &st);
		while (st.queued);
	}
	n = n / burst * burst + (n % burst ? burst : 0);
	capture_stop(c);
	capture_get_stats(c, &st);
	printf("capture_frame %-28s %6.1f ns/frame  (%u frames, %llu written, %llu filtered, "
	       "%llu dropped)\n",
	       what, (double)dt / n, n, (unsigned long long)st.written,
	       (unsigned long long)st.filtered, (unsigned long long)st.dropped);
	capture_free(c);
}

static void writer_rate(const char *dir)
{
	char path[512];
	struct capture *c;
	struct capture_stats st;
	uint8_t f[1514];
	uint64_t t0, dt, n = 0;

	snprintf(path, sizeof(path), "%s/bench-capture.pcapng", dir);
	c = open_capture(path, NULL, 0);
	frame(f, sizeof(f), 1);
	t0 = now_ns();
	do {
		for (int i = 0; i < 1000; i++, n++)
			capture_frame(c, 1, CAPTURE_OUT, t0 + n, f, sizeof(f));
	} while (now_ns() - t0 < 1000000000u);
	capture_stop(c);
	dt = now_ns() - t0;
	capture_get_stats(c, &st);
	printf("writer to %s: %.0f MB/s, %.0f kframes/s of 1514 B (the rest of %llu offered "
	       "dropped)\n",
	       dir, (double)st.bytes / ((double)dt / 1e9) / 1e6,
	       (double)st.written / ((double)dt / 1e9) / 1e3, (unsigned long long)n);
	capture_free(c);
	unlink(path);
}

int main(int argc, char **argv)
{
	producer_cost("60 B, no filter", NULL, 60, 0, 1000000);
	producer_cost("1514 B, no filter", NULL, 1514, 1, 150000);
	producer_cost("60 B, 'icmp' rejects", "icmp", 60, 0, 1000000);
	producer_cost("60 B, 'icmp' accepts", "icmp", 60, 1, 1000000);
	producer_cost("60 B, complex filter", "icmp or (tcp port 80 and host 192.0.2.1) or arp",
		      60, 1, 1000000);
	writer_rate(argc > 1 ? argv[1] : "/tmp");
	return 0;
}
