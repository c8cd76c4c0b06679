/* test-capture.c: the capture engine, judged by tshark.
 *
 * Synthetic frames of a ping routed through vhost between two NICs are
 * captured to files and FIFOs, and tshark (which must be installed: the
 * test fails without it) reads them back:
 *
 *	peer0 192.0.2.2 --- tap0 [vhost] tap1 --- peer1 198.51.100.2
 *	                192.0.2.1      198.51.100.1
 *
 * Also: a filter, a bad filter, a reader that stalls and one that leaves,
 * rotation, snaplen, and a file whose writes start failing halfway. */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"

static char dir[64];

static const uint8_t mac_tap0[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_tap1[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_peer0[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t mac_peer1[6] = {0x02, 0, 0, 0, 0x02, 0x01};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ip_tap0[4] = {192, 0, 2, 1}, ip_peer0[4] = {192, 0, 2, 2};
static const uint8_t ip_tap1[4] = {198, 51, 100, 1}, ip_peer1[4] = {198, 51, 100, 2};

enum { ID_TAP0 = 1, ID_TAP1 = 2, ID_OTHER = 9 };

/* Run a shell command; its standard output goes to out. Returns the exit status. */
static int sh(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	size_t len = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < size) {
		size_t n = fread(out + len, 1, size - 1 - len, p);

		if (n == 0)
			break;
		len += n;
	}
	out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

static size_t arp(uint8_t *f, uint16_t op, const uint8_t *sha, const uint8_t *sip,
		  const uint8_t *tha, const uint8_t *tip)
{
	static const uint8_t zero[6];
	size_t n = eth(f, op == 1 ? bcast : tha, sha, 0x0806);
	uint8_t *a = f + n;

	a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4, a[6] = 0, a[7] = (uint8_t)op;
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, sip, 4);
	memcpy(a + 18, op == 1 ? zero : tha, 6);
	memcpy(a + 24, tip, 4);
	return n + 28;
}

/* An ICMP echo (type 8) or echo reply (type 0) with 32 bytes of data. */
static size_t icmp(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *sip,
		   const uint8_t *dip, uint8_t type, uint8_t ttl, uint16_t seq)
{
	size_t n = eth(f, dmac, smac, 0x0800);
	uint8_t *ip = f + n, *ic = ip + 20;
	uint16_t c;

	memset(ip, 0, 20 + 8 + 32);
	ip[0] = 0x45, ip[3] = 20 + 8 + 32, ip[5] = (uint8_t)seq, ip[8] = ttl, ip[9] = 1;
	memcpy(ip + 12, sip, 4);
	memcpy(ip + 16, dip, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	ic[0] = type, ic[4] = 0x12, ic[5] = 0x34, ic[6] = (uint8_t)(seq >> 8), ic[7] = (uint8_t)seq;
	for (int i = 0; i < 32; i++)
		ic[8 + i] = (uint8_t)('a' + i % 26);
	c = csum(ic, 8 + 32);
	ic[2] = (uint8_t)(c >> 8), ic[3] = (uint8_t)c;
	return n + 20 + 8 + 32;
}

/* The stack's counters as the ISBs report them: id*10 received, id dropped. */
static int fake_iface_stats(void *arg, unsigned id, uint64_t *ret_recv, uint64_t *ret_drop)
{
	(void)arg;
	*ret_recv = id * 10;
	*ret_drop = id;
	return 0;
}

/* A capture of the two NICs into dir/name, a FIFO if the name ends in
 * ".fifo"; path gets the full name. */
static struct capture *new_capture(struct capture_config *cfg, const char *name, char path[128])
{
	struct capture *c = NULL;
	char err[256];
	int r;

	snprintf(path, 128, "%s/%s", dir, name);
	if (strstr(name, ".fifo"))
		CHECK_EQ(mkfifo(path, 0600), 0);
	cfg->path = path;
	r = capture_new(cfg, &c, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "capture_new: %s\n", err);
	CHECK_EQ(r, 0);
	if (r < 0)
		return NULL;
	CHECK_EQ(capture_add_iface(c, ID_TAP0, "tap0", "vhost tap0 192.0.2.1/24", mac_tap0), 0);
	CHECK_EQ(capture_add_iface(c, ID_TAP1, "tap1", "vhost tap1 198.51.100.1/24", mac_tap1),
		 0);
	return c;
}

/* The ping of the topology above, as vhost routing it sees it: 8 frames on
 * the two NICs, and one on a NIC that is not captured. */
static const char ping_expect[] = "tap0\t0x00000001\tARP\n"
				  "tap0\t0x00000002\tARP\n"
				  "tap0\t0x00000001\tICMP\n"
				  "tap1\t0x00000002\tARP\n"
				  "tap1\t0x00000001\tARP\n"
				  "tap1\t0x00000002\tICMP\n"
				  "tap1\t0x00000001\tICMP\n"
				  "tap0\t0x00000002\tICMP\n";

static void offer_ping(struct capture *c, uint64_t ts)
{
	uint8_t f[128];
	size_t n;

	n = arp(f, 1, mac_peer0, ip_peer0, NULL, ip_tap0);
	capture_frame(c, ID_TAP0, CAPTURE_IN, ts + 1000, f, n);
	n = arp(f, 2, mac_tap0, ip_tap0, mac_peer0, ip_peer0);
	capture_frame(c, ID_TAP0, CAPTURE_OUT, ts + 2000, f, n);
	n = icmp(f, mac_tap0, mac_peer0, ip_peer0, ip_peer1, 8, 64, 1);
	capture_frame(c, ID_TAP0, CAPTURE_IN, ts + 3000, f, n);
	capture_frame(c, ID_OTHER, CAPTURE_IN, ts + 3500, f, n); /* not captured */
	n = arp(f, 1, mac_tap1, ip_tap1, NULL, ip_peer1);
	capture_frame(c, ID_TAP1, CAPTURE_OUT, ts + 4000, f, n);
	n = arp(f, 2, mac_peer1, ip_peer1, mac_tap1, ip_tap1);
	capture_frame(c, ID_TAP1, CAPTURE_IN, ts + 5000, f, n);
	n = icmp(f, mac_peer1, mac_tap1, ip_peer0, ip_peer1, 8, 63, 1);
	capture_frame(c, ID_TAP1, CAPTURE_OUT, ts + 6000, f, n);
	n = icmp(f, mac_tap1, mac_peer1, ip_peer1, ip_peer0, 0, 64, 1);
	capture_frame(c, ID_TAP1, CAPTURE_IN, ts + 7000, f, n);
	n = icmp(f, mac_peer0, mac_tap0, ip_peer1, ip_peer0, 0, 63, 1);
	capture_frame(c, ID_TAP0, CAPTURE_OUT, ts + 8000, f, n);
}

#define TSO "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"

/* tshark reads path without a word on stderr but its root warning, finds no
 * malformed frame and no expert warning or error. */
static void check_clean(const char *path)
{
	char out[8192];

	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' 2>&1 >/dev/null | grep -v 'Running as user'",
		    path),
		 1); /* grep found nothing */
	if (out[0])
		fprintf(stderr, "tshark on %s: %s", path, out);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' " TSO " -q -z expert 2>/dev/null", path), 0);
	CHECK(!strstr(out, "Errors (") && !strstr(out, "Warns ("));
	if (strstr(out, "Errors (") || strstr(out, "Warns ("))
		fprintf(stderr, "expert on %s:\n%s", path, out);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' -Y _ws.malformed 2>/dev/null", path), 0);
	CHECK_EQ(out[0], '\0');
}

static void test_tshark_present(void)
{
	char out[4096];

	/* Without tshark nothing here means anything: fail, loudly. */
	CHECK_EQ(sh(out, sizeof(out), "tshark -v 2>/dev/null"), 0);
	CHECK(strstr(out, "TShark") != NULL);
}

static void test_two_nics(void)
{
	char path[128], out[8192];
	struct capture_config cfg = {.iface_stats = fake_iface_stats};
	struct capture_stats st;
	struct capture *c;
	struct stat sb;
	uint64_t ts = 1700000000ull * 1000000000u + 123456789u;

	c = new_capture(&cfg, "two.pcapng", path);
	if (!c)
		return;
	CHECK_EQ(capture_add_iface(c, ID_TAP0, "again", NULL, NULL), -EEXIST);
	capture_frame(c, ID_TAP0, CAPTURE_IN, ts, mac_tap0, 6); /* not running yet: ignored */
	CHECK_EQ(capture_start(c), 0);
	CHECK_EQ(capture_add_iface(c, 5, "late", NULL, NULL), -EBUSY);
	CHECK_EQ(capture_start(c), -EALREADY);
	offer_ping(c, ts);
	capture_stop(c);
	capture_stop(c); /* idempotent */
	capture_get_stats(c, &st);
	CHECK_EQ(st.seen, 8);
	CHECK_EQ(st.written, 8);
	CHECK_EQ(st.filtered, 0);
	CHECK_EQ(st.dropped, 0);
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(st.files, 1);
	CHECK_EQ(st.sink_error, 0);
	CHECK(!st.running && !st.sink_open);
	CHECK_EQ(stat(path, &sb), 0);
	CHECK_EQ((uint64_t)sb.st_size, st.bytes);
	capture_free(c);

	check_clean(path);
	/* Interface names, directions and protocols, frame by frame. */
	CHECK_EQ(sh(out, sizeof(out),
		    "tshark -r '%s' -T fields -e frame.interface_name "
		    "-e frame.packet_flags_direction -e _ws.col.Protocol 2>/dev/null",
		    path),
		 0);
	CHECK(strcmp(out, ping_expect) == 0);
	if (strcmp(out, ping_expect) != 0)
		fprintf(stderr, "got:\n%s", out);
	/* Nanosecond timestamps survive. */
	CHECK_EQ(sh(out, sizeof(out),
		    "tshark -r '%s' -c 1 -T fields -e frame.time_epoch 2>/dev/null", path),
		 0);
	CHECK(strcmp(out, "1700000000.123457789\n") == 0);
	/* Every IPv4 header and ICMP checksum verified good. */
	CHECK_EQ(sh(out, sizeof(out),
		    "tshark -r '%s' " TSO " -Y 'ip.checksum.status == \"Good\" && "
		    "icmp.checksum.status == \"Good\"' 2>/dev/null | wc -l",
		    path),
		 0);
	CHECK_EQ(atoi(out), 4);
	/* The blocks themselves: MACs, descriptions, and the ISBs' counts. */
	CHECK_EQ(sh(out, sizeof(out),
		    "tshark -r '%s' -X 'read_format:MIME Files Format' -T fields -E separator=/s "
		    "-e pcapng.options.option.data.user_application "
		    "-e pcapng.options.option.data.interface.name "
		    "-e pcapng.options.option.data.mac "
		    "-e pcapng.options.option.data.interface.timestamp_resolution "
		    "-e pcapng.options.option.data.interface.received "
		    "-e pcapng.options.option.data.interface.dropped "
		    "-e pcapng.options.option.data.interface.accepted_by_filter "
		    "-e pcapng.options.option.data.interface.dropped_by_os "
		    "-e pcapng.options.option.data.interface.delivered_to_user 2>/dev/null",
		    path),
		 0);
	CHECK(strcmp(out, "vhost tap0,tap1 02:00:00:00:00:01,02:00:00:00:00:02 0x09,0x09 "
			  "10,20 1,2 4,4 0,0 4,4\n") == 0);
	if (!strstr(out, "vhost tap0"))
		fprintf(stderr, "blocks: %s", out);
	CHECK_EQ(sh(out, sizeof(out),
		    "capinfos -I '%s' 2>/dev/null | grep -c 'Description = vhost'", path),
		 0);
	CHECK_EQ(atoi(out), 2);
}

static void test_filter(void)
{
	char path[128], out[4096];
	struct capture_config cfg = {.filter = "icmp"};
	struct capture_stats st;
	struct capture *c;

	c = new_capture(&cfg, "icmp.pcapng", path);
	if (!c)
		return;
	CHECK_EQ(capture_start(c), 0);
	offer_ping(c, 1700000000ull * 1000000000u);
	capture_stop(c);
	capture_get_stats(c, &st);
	CHECK_EQ(st.seen, 8);
	CHECK_EQ(st.filtered, 4);
	CHECK_EQ(st.written, 4);
	capture_free(c);
	check_clean(path);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' -T fields -e _ws.col.Protocol 2>/dev/null",
		    path),
		 0);
	CHECK(strcmp(out, "ICMP\nICMP\nICMP\nICMP\n") == 0);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' -Y arp 2>/dev/null | wc -l", path), 0);
	CHECK_EQ(atoi(out), 0);
}

static void test_bad_config(void)
{
	struct capture_config cfg = {.path = "/dev/null", .filter = "icmp and and"};
	struct bpf_program prog;
	struct capture *c = (struct capture *)&cfg; /* must not be clobbered */
	char err[256], want[PCAP_ERRBUF_SIZE + 64];
	pcap_t *dead;

	/* The message is libpcap's own, whatever this version says. */
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	CHECK(pcap_compile(dead, &prog, cfg.filter, 1, PCAP_NETMASK_UNKNOWN) < 0);
	snprintf(want, sizeof(want), "capture filter 'icmp and and': %s", pcap_geterr(dead));
	pcap_close(dead);
	CHECK_EQ(capture_new(&cfg, &c, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, want) == 0);
	CHECK(strstr(err, "syntax error") != NULL);
	CHECK(c == (struct capture *)&cfg);

	cfg.filter = NULL;
	cfg.rotate_bytes = 1 << 20;
	CHECK_EQ(capture_new(&cfg, &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "rotation needs a regular file") != NULL);

	cfg.rotate_bytes = 0;
	cfg.ring_bytes = 4096;
	CHECK_EQ(capture_new(&cfg, &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "ring") != NULL);

	cfg.ring_bytes = 0;
	cfg.path = "/nonexistent-dir/x.pcapng";
	CHECK_EQ(capture_new(&cfg, &c, err, sizeof(err)), 0);
	CHECK_EQ(capture_add_iface(c, 1, "tap0", NULL, NULL), 0);
	CHECK_EQ(capture_start(c), -ENOENT);
	capture_free(c);
}

/* Frames longer than snaplen are cut, and keep their length on the wire. */
static void test_snaplen(void)
{
	char path[128], out[256];
	struct capture_config cfg = {.snaplen = 64};
	struct capture *c;
	uint8_t f[1514];
	size_t n = icmp(f, mac_tap0, mac_peer0, ip_peer0, ip_tap0, 8, 64, 7);

	c = new_capture(&cfg, "snap.pcapng", path);
	if (!c)
		return;
	CHECK_EQ(capture_start(c), 0);
	memset(f + n, 0, sizeof(f) - n);
	capture_frame(c, ID_TAP0, CAPTURE_IN, 1, f, sizeof(f));
	capture_free(c);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' -T fields -e frame.len -e frame.cap_len "
				      "2>/dev/null",
		    path),
		 0);
	CHECK(strcmp(out, "1514\t64\n") == 0);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Offer n ICMP frames of 1000 bytes; returns the worst time one call took. */
static uint64_t offer_many(struct capture *c, unsigned n)
{
	uint64_t ts = 1700000000ull * 1000000000u, worst = 0;
	uint8_t f[1000];

	memset(f, 0, sizeof(f));
	icmp(f, mac_tap0, mac_peer0, ip_peer0, ip_tap0, 8, 64, 1);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = now_ns(), dt;

		capture_frame(c, ID_TAP0, CAPTURE_IN, ts + i, f, sizeof(f));
		dt = now_ns() - t0;
		if (dt > worst)
			worst = dt;
	}
	return worst;
}

/* A reader that opens the FIFO and never reads: frames are dropped and
 * counted, capture_frame() keeps returning, capture_stop() gives up after
 * its timeout. */
static void test_fifo_stalled(void)
{
	char path[128];
	struct capture_config cfg = {.snaplen = 2048, .ring_bytes = 16384, .stop_timeout_ms = 200};
	struct capture_stats st;
	struct capture *c;
	uint64_t worst = 0, t0;
	int rfd;

	c = new_capture(&cfg, "stall.fifo", path);
	if (!c)
		return;
	/* No reader yet: the writer waits for one, start does not. */
	CHECK_EQ(capture_start(c), 0);
	capture_get_stats(c, &st);
	CHECK(!st.sink_open);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0);
	for (int i = 0; i < 100 && !st.sink_open; i++) {
		usleep(20000);
		capture_get_stats(c, &st);
	}
	CHECK(st.sink_open);
	/* At a pace the writer keeps up with, until the pipe (64 KiB) and
	 * then the ring (16 KiB) are full and frames are dropped. */
	for (int i = 0; i < 2000 && st.dropped < 1000; i++) {
		uint64_t w = offer_many(c, 10);

		worst = w > worst ? w : worst;
		usleep(500);
		capture_get_stats(c, &st);
	}
	CHECK(st.dropped >= 1000);
	CHECK(st.written >= 1 && st.written <= 63); /* 1044-byte blocks in at most 64 KiB */
	CHECK(st.queued > 0);
	CHECK_EQ(st.seen, st.written + st.dropped + st.queued);
	CHECK_EQ(st.sink_error, 0);
	printf("stalled reader: %llu of %llu dropped, %llu written, worst capture_frame %llu us\n",
	       (unsigned long long)st.dropped, (unsigned long long)st.seen,
	       (unsigned long long)st.written, (unsigned long long)(worst / 1000));
	/* capture_close() does not wait for the stuck reader; the writer
	 * gives up on its own after the stop timeout. */
	t0 = now_ns();
	capture_close(c);
	capture_get_stats(c, &st);
	CHECK(!st.running && !st.done);
	for (int i = 0; i < 500 && !st.done; i++) {
		usleep(10000);
		capture_get_stats(c, &st);
	}
	CHECK(st.done);
	capture_stop(c);
	capture_get_stats(c, &st);
	CHECK_EQ(st.sink_error, -ETIMEDOUT);
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(st.seen, st.written + st.dropped);
	CHECK((now_ns() - t0) / 1000000u < 5000); /* bounded by the stop timeout, loosely */
	capture_free(c);
	close(rfd);
}

/* A reader that reads the header and leaves: EPIPE ends the writing, frames
 * are counted as dropped, the process lives (SIGPIPE is not ignored here). */
static void test_fifo_reader_gone(void)
{
	char path[128], buf[4096];
	struct capture_config cfg = {0};
	struct capture_stats st;
	struct capture *c;
	int rfd;

	c = new_capture(&cfg, "gone.fifo", path);
	if (!c)
		return;
	CHECK_EQ(capture_start(c), 0);
	rfd = open(path, O_RDONLY); /* blocks until the writer opens */
	CHECK(rfd >= 0);
	CHECK(read(rfd, buf, sizeof(buf)) > 0);
	close(rfd);
	for (int i = 0; i < 200; i++) {
		offer_many(c, 10);
		capture_get_stats(c, &st);
		if (st.sink_error)
			break;
		usleep(10000);
	}
	CHECK_EQ(st.sink_error, -EPIPE);
	offer_many(c, 100);
	capture_stop(c);
	capture_get_stats(c, &st);
	CHECK(st.dropped >= 100);
	CHECK_EQ(st.seen, st.written + st.dropped);
	capture_free(c);
}

/* tshark reads a FIFO while frames are being captured, and sees each one
 * before the capture ends. */
static void test_fifo_live(void)
{
	char path[128], cmd[256], line[256];
	struct capture_config cfg = {0};
	struct capture *c;
	struct pollfd pfd;
	uint8_t f[128];
	size_t n = icmp(f, mac_tap0, mac_peer0, ip_peer0, ip_tap0, 8, 64, 1);
	int seen = 0;
	FILE *p;

	c = new_capture(&cfg, "live.fifo", path);
	if (!c)
		return;
	CHECK_EQ(capture_start(c), 0);
	snprintf(cmd, sizeof(cmd),
		 "timeout 30 tshark -l -i '%s' -T fields -e frame.interface_name "
		 "-e icmp.seq 2>/dev/null",
		 path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		goto out;
	pfd.fd = fileno(p);
	pfd.events = POLLIN;
	for (uint16_t seq = 1; seq <= 3; seq++) {
		char want[32];

		n = icmp(f, mac_tap0, mac_peer0, ip_peer0, ip_tap0, 8, 64, seq);
		capture_frame(c, ID_TAP0, CAPTURE_IN, 1700000000ull * 1000000000u, f, n);
		if (poll(&pfd, 1, 20000) != 1 || !fgets(line, sizeof(line), p))
			break;
		snprintf(want, sizeof(want), "tap0\t%u\n", seq);
		CHECK(strcmp(line, want) == 0);
		seen++;
	}
	CHECK_EQ(seen, 3);
	capture_stop(c);
	/* At the end of the stream tshark ends too. */
	CHECK(fgets(line, sizeof(line), p) == NULL);
	CHECK_EQ(pclose(p), 0);
out:
	capture_free(c);
}

/* Rotation: several files, each a whole pcapng with both NICs, none larger
 * than the bound, all frames accounted for. */
static void test_rotation(void)
{
	char path[128], name[160], out[4096];
	struct capture_config cfg = {.rotate_bytes = 4096, .iface_stats = fake_iface_stats};
	struct capture_stats st;
	struct capture *c;
	unsigned files = 0, frames = 0;

	c = new_capture(&cfg, "rot.pcapng", path);
	if (!c)
		return;
	CHECK_EQ(capture_start(c), 0);
	for (int i = 0; i < 10; i++) {
		offer_ping(c, 1700000000ull * 1000000000u + (uint64_t)i * 10000);
		usleep(1000); /* let the writer take some in separate spans */
	}
	capture_stop(c);
	capture_get_stats(c, &st);
	CHECK_EQ(st.written, 80);
	CHECK(st.files >= 3);
	capture_free(c);
	for (unsigned i = 0;; i++) {
		struct stat sb;

		if (i == 0)
			snprintf(name, sizeof(name), "%s", path);
		else
			snprintf(name, sizeof(name), "%s/rot.%u.pcapng", dir, i);
		if (stat(name, &sb) < 0)
			break;
		files++;
		CHECK(sb.st_size <= 4096);
		check_clean(name);
		CHECK_EQ(sh(out, sizeof(out), "capinfos -I '%s' 2>/dev/null | grep -c 'Name = tap'",
			    name),
			 0);
		CHECK_EQ(atoi(out), 2);
		CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' 2>/dev/null | wc -l", name), 0);
		frames += (unsigned)atoi(out);
		/* Only the last file's ISBs carry the NICs' own counts. */
		CHECK_EQ(sh(out, sizeof(out),
			    "tshark -r '%s' -X 'read_format:MIME Files Format' -T fields "
			    "-e pcapng.options.option.data.interface.received 2>/dev/null",
			    name),
			 0);
		CHECK(strcmp(out, i + 1 == st.files ? "10,20\n" : "\n") == 0);
	}
	CHECK_EQ(files, st.files);
	CHECK_EQ(frames, 80);
}

/* A file whose writes fail halfway (the file size limit here, a full disk
 * in life) ends at its last whole block and reads cleanly. In a child, so
 * the limit binds nothing else. */
static void test_file_error(void)
{
	char path[128], out[4096];
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/limit.pcapng", dir);
	fflush(stdout); /* or the child's exit prints it again */
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {.rlim_cur = 3000, .rlim_max = RLIM_INFINITY};
		struct capture_config cfg = {.path = path};
		struct capture_stats cs;
		struct capture *c;
		char err[256];

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		if (capture_new(&cfg, &c, err, sizeof(err)) < 0 ||
		    capture_add_iface(c, ID_TAP0, "tap0", NULL, mac_tap0) < 0 ||
		    capture_start(c) < 0)
			_exit(2);
		offer_many(c, 10);
		capture_stop(c);
		capture_get_stats(c, &cs);
		_exit(cs.sink_error == -EFBIG && cs.written < 10 && cs.written + cs.dropped == 10
			      ? 0
			      : 3);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_clean(path);
	CHECK_EQ(sh(out, sizeof(out), "tshark -r '%s' 2>/dev/null | wc -l", path), 0);
	CHECK(atoi(out) >= 1 && atoi(out) < 10);
}

int main(void)
{
	char out[4096];

	snprintf(dir, sizeof(dir), "/tmp/test-capture.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_tshark_present();
	test_two_nics();
	test_filter();
	test_bad_config();
	test_snaplen();
	test_fifo_stalled();
	test_fifo_reader_gone();
	test_fifo_live();
	test_rotation();
	test_file_error();
	if (!check_failures)
		sh(out, sizeof(out), "rm -rf '%s'", dir);
	else
		fprintf(stderr, "files kept in %s\n", dir);
	return check_done();
}
