/* capture.c: the capture engine, a pcapng writer fed through a ring.
 *
 * The producer (the stack's worker) encodes each accepted frame as a whole
 * Enhanced Packet Block straight into a single-producer single-consumer ring
 * of bytes, so the writer thread only has to copy ring spans to the sink,
 * many blocks per write(). A block never wraps around the ring's end: when
 * it would, the producer leaves a 4-byte skip marker (block type 0, which
 * pcapng reserves) and starts again at offset 0.
 *
 * Waking the writer costs the producer one eventfd write, and only when the
 * writer has announced it is about to sleep; under load the writer is busy
 * and the producer makes no system call.
 *
 * The writer uses a non-blocking descriptor for pipes and FIFOs and waits in
 * poll() together with the wake eventfd, so capture_stop() can end a wait
 * on a reader that never reads. SIGPIPE is blocked on the writer thread:
 * a reader that leaves shows up as EPIPE, whatever the process does with
 * the signal. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wire/pcapng.h"

/* Filters come from libpcap, an optional dependency (meson -Dpcap). */
#ifdef VH_HAVE_PCAP
#include <pcap/pcap.h>
#endif

_Static_assert((int)CAPTURE_IN == PCAPNG_DIR_INBOUND, "capture_dir is epb_flags");
_Static_assert((int)CAPTURE_OUT == PCAPNG_DIR_OUTBOUND, "capture_dir is epb_flags");

enum {
	RING_SKIP = 0,          /* block type 0: the rest of the ring is unused */
	FIFO_RETRY_MS = 100,    /* how often the writer looks for a FIFO reader */
	BATCH_BYTES = 64 << 10, /* a drain smaller than this waits for more */
	CACHELINE = 64,
};

enum sink_kind {
	SINK_STDOUT,
	SINK_FIFO,
	SINK_FILE,  /* a regular file (or a new one): may rotate */
	SINK_OTHER, /* a character device such as /dev/null */
};

/* Counters are written by one thread each and read by any: a relaxed load
 * and store is enough, and costs no locked instruction. */
typedef atomic_uint_fast64_t counter_t;

static void ctr_add(counter_t *ctr, uint64_t n)
{
	atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static uint64_t ctr_get(const counter_t *ctr)
{
	return atomic_load_explicit(ctr, memory_order_relaxed);
}

struct capture_iface {
	unsigned id; /* the stack's device index */
	char *name;
	char *description;
	uint8_t mac[6];
	bool has_mac;
	/* The NIC's own counts for the last ISBs, taken by capture_stop(). */
	bool has_nic_stats;
	uint64_t nic_recv, nic_drop;
	/* Written by the producer. */
	counter_t seen, filtered, dropped;
};

/* Per NIC, written by the writer; apart from struct capture_iface so that
 * the two threads do not write the same cache lines frame after frame. */
struct capture_out {
	counter_t written, lost;
};

struct capture {
	/* Configuration, fixed after capture_start(). */
	char *path;
	enum sink_kind kind;
	uint64_t rotate_bytes;
	uint32_t snaplen;
	unsigned stop_timeout_ms;
#ifdef VH_HAVE_PCAP
	struct bpf_program prog;
#endif
	bool has_filter;
	int (*iface_stats)(void *arg, unsigned id, uint64_t *ret_recv, uint64_t *ret_drop);
	void *stats_arg;
	uint64_t (*clock)(void *arg);
	void *clock_arg;
	struct capture_iface ifaces[CAPTURE_MAX_IFACES];
	unsigned n_ifaces;
	uint8_t *ring;
	size_t ring_size; /* a power of two */
	uint8_t *hdr;     /* SHB and IDBs, written at the start of every file */
	size_t hdr_len;
	int wake_fd;      /* eventfd: the producer or capture_stop() wakes the writer */
	pthread_t thread;
	enum { CAP_NEW, CAP_STARTED, CAP_CLOSING, CAP_STOPPED } state; /* of the control thread */
	uint64_t start_ns;
	int stdout_flags; /* SINK_STDOUT: fd 1's file status flags, restored at stop */

	/* Producer side. */
	_Alignas(CACHELINE) atomic_size_t head;
	size_t tail_cache; /* the last tail the producer read */

	/* Writer side. */
	_Alignas(CACHELINE) atomic_size_t tail;
	int fd;
	uint64_t file_bytes;  /* whole blocks in the current file */
	uint64_t file_frames;
	unsigned file_seq;
	uint64_t stop_deadline; /* CLOCK_MONOTONIC ns; valid once stopping */
	counter_t bytes;
	counter_t files;

	_Alignas(CACHELINE) struct capture_out out[CAPTURE_MAX_IFACES];

	/* Read by the producer on every frame, seldom written. */
	_Alignas(CACHELINE) atomic_bool running;
	atomic_int sink_error;

	/* Flags between the writer and the control thread. */
	_Alignas(CACHELINE) atomic_bool writer_sleeping;
	atomic_bool stopping;
	atomic_bool sink_open;
	atomic_bool done; /* the writer has finished */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(const struct capture *c)
{
	struct timespec ts;

	if (c->clock)
		return c->clock(c->clock_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int sink_kind_of(const char *path, enum sink_kind *ret)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		*ret = SINK_STDOUT;
		return 0;
	}
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret = SINK_FILE;
		return 0;
	}
	if (S_ISFIFO(st.st_mode))
		*ret = SINK_FIFO;
	else if (S_ISREG(st.st_mode))
		*ret = SINK_FILE;
	else if (S_ISDIR(st.st_mode))
		return -EISDIR;
	else
		*ret = SINK_OTHER;
	return 0;
}

#ifdef VH_HAVE_PCAP
/* Compile with libpcap for Ethernet, as tcpdump would for such a NIC. */
static int compile_filter(struct capture *c, const char *expr, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)c->snaplen);
	int r = 0;

	if (!dead) {
		snprintf(err, errlen, "capture filter: pcap_open_dead failed");
		return -ENOMEM;
	}
	if (pcap_compile(dead, &c->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "capture filter '%s': %s", expr, pcap_geterr(dead));
		r = -EINVAL;
	} else {
		c->has_filter = true;
	}
	pcap_close(dead);
	return r;
}

static bool filter_match(const struct capture *c, const uint8_t *frame, uint32_t caplen,
			 uint32_t origlen)
{
	struct pcap_pkthdr h = {.caplen = caplen, .len = origlen};

	return pcap_offline_filter(&c->prog, &h, frame) != 0;
}

static void filter_free(struct capture *c)
{
	pcap_freecode(&c->prog);
}
#else
static int compile_filter(struct capture *c, const char *expr, char *err, size_t errlen)
{
	(void)c;
	snprintf(err, errlen, "capture filter '%s': vhost was built without libpcap", expr);
	return -ENOTSUP;
}

static bool filter_match(const struct capture *c, const uint8_t *frame, uint32_t caplen,
			 uint32_t origlen)
{
	(void)c, (void)frame, (void)caplen, (void)origlen;
	return true;
}

static void filter_free(struct capture *c)
{
	(void)c;
}
#endif

int capture_new(const struct capture_config *cfg, struct capture **ret, char *err, size_t errlen)
{
	struct capture *c;
	size_t max_block;
	int r;

	if (errlen)
		err[0] = '\0';
	if (!cfg->path || !cfg->path[0]) {
		snprintf(err, errlen, "capture: no output path");
		return -EINVAL;
	}
	/* aligned_alloc wants a multiple of the alignment. */
	c = aligned_alloc(CACHELINE, (sizeof(*c) + CACHELINE - 1) / CACHELINE * CACHELINE);
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->wake_fd = -1;
	c->rotate_bytes = cfg->rotate_bytes;
	c->snaplen = cfg->snaplen ? cfg->snaplen : CAPTURE_SNAPLEN_DEFAULT;
	if (c->snaplen > PCAPNG_CAPLEN_MAX)
		c->snaplen = PCAPNG_CAPLEN_MAX;
	c->stop_timeout_ms = cfg->stop_timeout_ms ? cfg->stop_timeout_ms
						  : CAPTURE_STOP_TIMEOUT_MS_DEFAULT;
	c->iface_stats = cfg->iface_stats;
	c->stats_arg = cfg->stats_arg;
	c->clock = cfg->clock;
	c->clock_arg = cfg->clock_arg;

	r = -ENOMEM;
	c->path = strdup(cfg->path);
	if (!c->path)
		goto fail;
	r = sink_kind_of(c->path, &c->kind);
	if (r < 0) {
		snprintf(err, errlen, "capture: %s: %s", c->path, strerror(-r));
		goto fail;
	}
	r = -EINVAL;
	/* A terminal would show garbage, and the terminal is not a capture reader. */
	if (c->kind == SINK_STDOUT && isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "capture: standard output is a terminal; "
				      "pipe it to a reader (| wireshark -k -i -) or give a file");
		goto fail;
	}
	/* Rotation renames nothing; it needs a path it can number. */
	if (c->rotate_bytes && c->kind != SINK_FILE) {
		snprintf(err, errlen, "capture: %s: rotation needs a regular file", c->path);
		goto fail;
	}

	/* Any frame must fit in an empty ring wherever the head stands: a
	 * largest block, plus a skip of almost as much before it. */
	max_block = pcapng_epb_size(c->snaplen, CAPTURE_OUT);
	if (cfg->ring_bytes > CAPTURE_RING_MAX) {
		snprintf(err, errlen, "capture: a ring of %zu bytes is more than %u",
			 cfg->ring_bytes, CAPTURE_RING_MAX);
		goto fail;
	}
	c->ring_size = pow2_at_least(cfg->ring_bytes ? cfg->ring_bytes : CAPTURE_RING_DEFAULT);
	if (c->ring_size < 2 * max_block) {
		snprintf(err, errlen, "capture: a ring of %zu bytes cannot hold two %u-byte frames",
			 c->ring_size, c->snaplen);
		goto fail;
	}
	r = -ENOMEM;
	c->ring = malloc(c->ring_size);
	if (!c->ring)
		goto fail;
	/* Fault the pages in now rather than on the worker's first frames. */
	memset(c->ring, 0, c->ring_size);

	if (cfg->filter && cfg->filter[0]) {
		r = compile_filter(c, cfg->filter, err, errlen);
		if (r < 0)
			goto fail;
	}
	*ret = c;
	return 0;
fail:
	if (r == -ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "capture: out of memory");
	capture_free(c);
	return r;
}

int capture_add_iface(struct capture *c, unsigned id, const char *name, const char *description,
		      const uint8_t mac[6])
{
	struct capture_iface *ifc = &c->ifaces[c->n_ifaces];

	if (c->state != CAP_NEW)
		return -EBUSY;
	for (unsigned i = 0; i < c->n_ifaces; i++)
		if (c->ifaces[i].id == id)
			return -EEXIST;
	if (c->n_ifaces == CAPTURE_MAX_IFACES)
		return -ENOSPC;
	ifc->id = id;
	ifc->name = strdup(name);
	ifc->description = description ? strdup(description) : NULL;
	if (!ifc->name || (description && !ifc->description)) {
		free(ifc->name);
		free(ifc->description);
		memset(ifc, 0, sizeof(*ifc));
		return -ENOMEM;
	}
	if (mac) {
		memcpy(ifc->mac, mac, 6);
		ifc->has_mac = true;
	}
	c->n_ifaces++;
	return 0;
}

/* The SHB and one IDB per NIC, into c->hdr. */
static int build_header(struct capture *c)
{
	size_t size = 64, len;
	uint8_t *buf;
	int n;

	for (unsigned i = 0; i < c->n_ifaces; i++)
		size += 64 + strlen(c->ifaces[i].name) +
			(c->ifaces[i].description ? strlen(c->ifaces[i].description) : 0);
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	n = pcapng_shb(buf, size, "vhost");
	if (n < 0)
		goto fail;
	len = (size_t)n;
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		const struct capture_iface *ifc = &c->ifaces[i];
		struct pcapng_idb idb = {
			.linktype = PCAPNG_LINKTYPE_ETHERNET,
			.snaplen = c->snaplen,
			.name = ifc->name,
			.description = ifc->description,
			.mac = ifc->has_mac ? ifc->mac : NULL,
			.tsresol = PCAPNG_TSRESOL_NS,
		};

		n = pcapng_idb(buf + len, size - len, &idb);
		if (n < 0)
			goto fail;
		len += (size_t)n;
	}
	c->hdr = buf;
	c->hdr_len = len;
	return 0;
fail:
	free(buf);
	return n;
}

/* The name of the seq'th file: path, then a number before the extension. */
static void file_name(const struct capture *c, unsigned seq, char *buf, size_t len)
{
	const char *base = strrchr(c->path, '/');
	const char *dot;

	base = base ? base + 1 : c->path;
	dot = strrchr(base, '.');
	if (seq == 0)
		snprintf(buf, len, "%s", c->path);
	else if (dot && dot != base)
		snprintf(buf, len, "%.*s.%u%s", (int)(dot - c->path), c->path, seq, dot);
	else
		snprintf(buf, len, "%s.%u", c->path, seq);
}

static int open_file(struct capture *c)
{
	char name[4096];

	file_name(c, c->file_seq, name, sizeof(name));
	c->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return c->fd < 0 ? -errno : 0;
}

/* Wait until fd takes more bytes, or the stop deadline passes. */
static int wait_writable(struct capture *c)
{
	struct pollfd pfd[2] = {
		{.fd = c->fd, .events = POLLOUT},
		{.fd = c->wake_fd, .events = POLLIN},
	};
	int timeout = -1;
	uint64_t cnt;

	if (atomic_load(&c->stopping)) {
		uint64_t now = mono_ns();

		if (now >= c->stop_deadline)
			return -ETIMEDOUT;
		timeout = (int)((c->stop_deadline - now) / 1000000u) + 1;
	}
	if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
		return -errno;
	/* A wake from the producer or from capture_stop(): the loop above
	 * us drains after this write, and the deadline is checked again. */
	if (pfd[1].revents & POLLIN)
		(void)!read(c->wake_fd, &cnt, sizeof(cnt));
	return 0;
}

/* Write all of buf to the sink; *ret_done tells how much went out, also
 * on failure. */
static int sink_put(struct capture *c, const uint8_t *buf, size_t len, size_t *ret_done)
{
	size_t done = 0;

	*ret_done = 0;
	while (done < len) {
		ssize_t n = write(c->fd, buf + done, len - done);
		int r;

		if (n > 0) {
			done += (size_t)n;
			*ret_done = done;
			continue;
		}
		if (n == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_writable(c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The sink failed: stop writing for good. A file is cut back to its last
 * whole block so that readers see a clean end. */
static void sink_fail(struct capture *c, int err)
{
	sigset_t pipe_set;
	struct timespec zero = {0, 0};

	if (c->kind == SINK_FILE && c->fd >= 0)
		(void)!ftruncate(c->fd, (off_t)c->file_bytes);
	if (err == -EPIPE) {
		/* Consume the SIGPIPE left pending on this thread. */
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	atomic_store(&c->sink_error, err);
}

static bool sink_ok(const struct capture *c)
{
	return atomic_load_explicit(&c->sink_error, memory_order_relaxed) == 0;
}

/* Write whole blocks (the header, ISBs) outside the frame accounting. */
static void put_blocks(struct capture *c, const uint8_t *buf, size_t len)
{
	size_t done;
	int r;

	if (!sink_ok(c))
		return;
	r = sink_put(c, buf, len, &done);
	if (r < 0) {
		sink_fail(c, r);
		return;
	}
	c->file_bytes += len;
	ctr_add(&c->bytes, len);
}

/* Every NIC's ISB. The NIC's own counts go only in the ISBs that end the
 * capture: they are read on capture_stop()'s thread, which is the one the
 * stack said it could read them on. */
static void write_isbs(struct capture *c, bool final)
{
	uint64_t now = wall_ns(c);

	for (unsigned i = 0; i < c->n_ifaces; i++) {
		const struct capture_iface *ifc = &c->ifaces[i];
		uint8_t buf[PCAPNG_ISB_MAX];
		struct pcapng_isb isb = {
			.ifid = i,
			.ts = now,
			.present = PCAPNG_ISB_HAS_STARTTIME | PCAPNG_ISB_HAS_ENDTIME |
				   PCAPNG_ISB_HAS_FILTERACCEPT | PCAPNG_ISB_HAS_OSDROP |
				   PCAPNG_ISB_HAS_USRDELIV,
			.starttime = c->start_ns,
			.endtime = now,
			.filteraccept = ctr_get(&ifc->seen) - ctr_get(&ifc->filtered),
			/* The capture's own losses stand where an OS would count its drops. */
			.osdrop = ctr_get(&ifc->dropped) + ctr_get(&c->out[i].lost),
			.usrdeliv = ctr_get(&c->out[i].written),
		};
		int n;

		if (final && ifc->has_nic_stats) {
			isb.present |= PCAPNG_ISB_HAS_IFRECV | PCAPNG_ISB_HAS_IFDROP;
			isb.ifrecv = ifc->nic_recv;
			isb.ifdrop = ifc->nic_drop;
		}
		n = pcapng_isb(buf, sizeof(buf), &isb);
		if (n > 0)
			put_blocks(c, buf, (size_t)n);
	}
}

/* Start a file: the section header and the interfaces. */
static void begin_file(struct capture *c)
{
	c->file_bytes = 0;
	c->file_frames = 0;
	ctr_add(&c->files, 1);
	put_blocks(c, c->hdr, c->hdr_len);
}

static void rotate(struct capture *c)
{
	int r;

	write_isbs(c, false);
	close(c->fd);
	c->fd = -1;
	if (!sink_ok(c))
		return;
	c->file_seq++;
	r = open_file(c);
	if (r < 0) {
		atomic_store(&c->sink_open, false);
		sink_fail(c, r);
		return;
	}
	begin_file(c);
}

/* Write (or, once the sink failed, discard) a span of whole EPBs. A frame
 * counts as written when its whole block went out; a file that fails is
 * cut back to the last whole block. */
static void emit_span(struct capture *c, const uint8_t *buf, size_t len)
{
	size_t done = 0, whole = 0;
	int r = 0;

	if (sink_ok(c))
		r = sink_put(c, buf, len, &done);
	while (whole < len) {
		uint32_t blen, ifid;

		memcpy(&blen, buf + whole + 4, 4);
		memcpy(&ifid, buf + whole + 8, 4);
		if (whole + blen > done)
			break;
		ctr_add(&c->out[ifid].written, 1);
		c->file_frames++;
		whole += blen;
	}
	for (size_t off = whole; off < len;) {
		uint32_t blen, ifid;

		memcpy(&blen, buf + off + 4, 4);
		memcpy(&ifid, buf + off + 8, 4);
		ctr_add(&c->out[ifid].lost, 1);
		off += blen;
	}
	c->file_bytes += whole;
	ctr_add(&c->bytes, whole);
	if (r < 0)
		sink_fail(c, r);
}

/* Would a block of blen bytes after span bytes, and the ISBs that close the
 * file, overflow the current file? A file takes at least one frame, however
 * large. */
static bool must_rotate(const struct capture *c, size_t span, uint32_t blen, uint64_t frames)
{
	uint64_t isbs = (uint64_t)c->n_ifaces * PCAPNG_ISB_MAX;

	return c->rotate_bytes && sink_ok(c) && c->file_frames + frames > 0 &&
	       c->file_bytes + span + blen + isbs > c->rotate_bytes;
}

/* Writer: take everything queued. Returns the bytes taken. */
static size_t drain(struct capture *c)
{
	size_t head = atomic_load_explicit(&c->head, memory_order_acquire);
	size_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
	size_t taken = 0;

	while (tail != head) {
		size_t off = tail & (c->ring_size - 1), span = 0;
		uint64_t frames = 0;
		bool rot = false;
		uint32_t word;

		memcpy(&word, c->ring + off, 4);
		if (word == RING_SKIP) {
			tail += c->ring_size - off;
			taken += c->ring_size - off;
			continue;
		}
		/* A span of whole blocks, up to the head, the ring's end, a
		 * skip marker, or the block that starts the next file. */
		while (tail + span != head && off + span < c->ring_size) {
			const uint8_t *b = c->ring + off + span;
			uint32_t blen;

			memcpy(&word, b, 4);
			if (word == RING_SKIP)
				break;
			memcpy(&blen, b + 4, 4);
			if (must_rotate(c, span, blen, frames)) {
				rot = true;
				break;
			}
			frames++;
			span += blen;
		}
		emit_span(c, c->ring + off, span);
		tail += span;
		taken += span;
		atomic_store_explicit(&c->tail, tail, memory_order_release);
		if (rot)
			rotate(c);
	}
	atomic_store_explicit(&c->tail, tail, memory_order_release);
	return taken;
}

/* Writer: sleep until the producer or capture_stop() wakes us. */
static void wait_work(struct capture *c)
{
	struct pollfd pfd = {.fd = c->wake_fd, .events = POLLIN};
	uint64_t cnt;

	/* Announce the sleep, then look again: a producer that published
	 * before seeing the flag is caught by this second look (both sides
	 * use sequentially consistent operations). */
	atomic_store(&c->writer_sleeping, true);
	if (atomic_load(&c->head) != atomic_load_explicit(&c->tail, memory_order_relaxed) ||
	    atomic_load(&c->stopping)) {
		atomic_store(&c->writer_sleeping, false);
		return;
	}
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	(void)!read(c->wake_fd, &cnt, sizeof(cnt));
	atomic_store(&c->writer_sleeping, false);
}

/* Writer: a FIFO opens for writing only once it has a reader. Look for one
 * every FIFO_RETRY_MS until capture_stop(). */
static int open_fifo(struct capture *c)
{
	struct pollfd pfd = {.fd = c->wake_fd, .events = POLLIN};
	uint64_t cnt;

	for (;;) {
		c->fd = open(c->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->fd >= 0)
			return 0;
		if (errno != ENXIO && errno != EINTR)
			return -errno;
		if (atomic_load(&c->stopping))
			return -ENXIO;
		if (poll(&pfd, 1, FIFO_RETRY_MS) > 0)
			(void)!read(c->wake_fd, &cnt, sizeof(cnt));
	}
}

static void *writer_main(void *arg)
{
	/* Short against what the ring holds: 4 MiB last 3 ms at 10 Gb/s. */
	static const struct timespec batch_delay = {0, 200000};
	struct capture *c = arg;
	sigset_t pipe_set;
	int r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	if (c->kind == SINK_FIFO) {
		r = open_fifo(c);
		if (r < 0)
			sink_fail(c, r);
	}
	if (sink_ok(c)) {
		atomic_store(&c->sink_open, true); /* a FIFO's, now */
		begin_file(c);
	}
	for (;;) {
		bool stop = atomic_load(&c->stopping);
		size_t taken = drain(c);

		/* Everything published before the stop request is drained
		 * before we leave. */
		if (taken == 0) {
			if (stop)
				break;
			wait_work(c);
		} else if (taken < BATCH_BYTES && !stop) {
			/* Frames keep coming: let them gather rather than chase
			 * the producer block by block, which would pull the
			 * cache lines it is writing and cost a write() each. */
			nanosleep(&batch_delay, NULL);
		}
	}
	write_isbs(c, true);
	if (c->fd >= 0) {
		if (c->kind == SINK_STDOUT)
			fcntl(c->fd, F_SETFL, c->stdout_flags);
		close(c->fd);
		c->fd = -1;
	}
	atomic_store(&c->sink_open, false);
	atomic_store(&c->done, true);
	return NULL;
}

/* Open the sink's descriptor where that cannot block (all but FIFOs). */
static int open_sink(struct capture *c)
{
	switch (c->kind) {
	case SINK_STDOUT:
		/* Our own descriptor, so that closing it leaves fd 1 alone. */
		c->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (c->fd < 0)
			return -errno;
		c->stdout_flags = fcntl(c->fd, F_GETFL);
		/* A pipe to a reader: write without blocking, wait in poll(). */
		if (c->stdout_flags >= 0)
			fcntl(c->fd, F_SETFL, c->stdout_flags | O_NONBLOCK);
		return 0;
	case SINK_FILE:
		return open_file(c);
	case SINK_OTHER:
		c->fd = open(c->path, O_WRONLY | O_CLOEXEC);
		return c->fd < 0 ? -errno : 0;
	case SINK_FIFO:
		return 0;
	}
	return -EINVAL;
}

int capture_start(struct capture *c)
{
	int r;

	if (c->state != CAP_NEW)
		return -EALREADY;
	free(c->hdr); /* from an earlier attempt that failed */
	c->hdr = NULL;
	r = build_header(c);
	if (r < 0)
		return r;
	if (c->wake_fd < 0)
		c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	r = open_sink(c);
	if (r < 0)
		return r;
	c->start_ns = wall_ns(c);
	atomic_store(&c->sink_open, c->kind != SINK_FIFO); /* the writer opens a FIFO */
	r = -pthread_create(&c->thread, NULL, writer_main, c);
	if (r < 0) {
		atomic_store(&c->sink_open, false);
		close(c->fd);
		c->fd = -1;
		return r;
	}
	c->state = CAP_STARTED;
	atomic_store(&c->running, true);
	return 0;
}

static struct capture_iface *iface_of(struct capture *c, unsigned id)
{
	for (unsigned i = 0; i < c->n_ifaces; i++)
		if (c->ifaces[i].id == id)
			return &c->ifaces[i];
	return NULL;
}

void capture_frame(struct capture *c, unsigned id, enum capture_dir dir, uint64_t ts_ns,
		   const uint8_t *frame, size_t len)
{
	struct capture_iface *ifc;
	uint32_t caplen, origlen;
	size_t head, off, need, room;

	if (!atomic_load_explicit(&c->running, memory_order_relaxed))
		return;
	ifc = iface_of(c, id);
	if (!ifc)
		return;
	ctr_add(&ifc->seen, 1);
	/* pcapng lengths are 32-bit; nothing the stack sends comes near. */
	origlen = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	caplen = origlen < c->snaplen ? origlen : c->snaplen;
	if (c->has_filter && !filter_match(c, frame, caplen, origlen)) {
		ctr_add(&ifc->filtered, 1);
		return;
	}
	/* The reader is gone: no point in queueing. */
	if (!sink_ok(c))
		goto drop;

	need = pcapng_epb_size(caplen, dir);
	head = atomic_load_explicit(&c->head, memory_order_relaxed);
	off = head & (c->ring_size - 1);
	room = need;
	if (c->ring_size - off < need)
		room += c->ring_size - off; /* a skip to the ring's start first */
	if (c->ring_size - (head - c->tail_cache) < room) {
		c->tail_cache = atomic_load_explicit(&c->tail, memory_order_acquire);
		if (c->ring_size - (head - c->tail_cache) < room)
			goto drop;
	}
	if (room != need) {
		uint32_t skip = RING_SKIP;

		memcpy(c->ring + off, &skip, 4);
		head += c->ring_size - off;
		off = 0;
	}
	pcapng_epb(c->ring + off, need, (uint32_t)(ifc - c->ifaces), ts_ns, dir, frame, caplen,
		   origlen);
	/* Publish, then look whether the writer sleeps (pairs with wait_work()). */
	atomic_store(&c->head, head + need);
	if (atomic_load(&c->writer_sleeping) && atomic_exchange(&c->writer_sleeping, false)) {
		uint64_t one = 1;

		(void)!write(c->wake_fd, &one, sizeof(one));
	}
	return;
drop:
	ctr_add(&ifc->dropped, 1);
}

void capture_close(struct capture *c)
{
	uint64_t one = 1;

	if (c->state != CAP_STARTED)
		return;
	atomic_store(&c->running, false);
	/* Before the writer is told to stop: it reads these once it is. */
	for (unsigned i = 0; i < c->n_ifaces && c->iface_stats; i++) {
		struct capture_iface *ifc = &c->ifaces[i];
		int r = c->iface_stats(c->stats_arg, ifc->id, &ifc->nic_recv, &ifc->nic_drop);

		ifc->has_nic_stats = r == 0;
	}
	c->stop_deadline = mono_ns() + (uint64_t)c->stop_timeout_ms * 1000000u;
	atomic_store(&c->stopping, true);
	(void)!write(c->wake_fd, &one, sizeof(one));
	c->state = CAP_CLOSING;
}

void capture_stop(struct capture *c)
{
	capture_close(c);
	if (c->state != CAP_CLOSING)
		return;
	pthread_join(c->thread, NULL);
	c->state = CAP_STOPPED;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	capture_stop(c);
	if (c->has_filter)
		filter_free(c);
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		free(c->ifaces[i].name);
		free(c->ifaces[i].description);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c->ring);
	free(c->hdr);
	free(c->path);
	free(c);
}

void capture_get_stats(const struct capture *c, struct capture_stats *ret)
{
	struct capture_stats s = {0};

	for (unsigned i = 0; i < c->n_ifaces; i++) {
		const struct capture_iface *ifc = &c->ifaces[i];

		s.seen += ctr_get(&ifc->seen);
		s.filtered += ctr_get(&ifc->filtered);
		s.written += ctr_get(&c->out[i].written);
		s.dropped += ctr_get(&ifc->dropped) + ctr_get(&c->out[i].lost);
	}
	/* Read one by one, the sum can run ahead of seen for a moment. */
	if (s.seen > s.filtered + s.written + s.dropped)
		s.queued = s.seen - s.filtered - s.written - s.dropped;
	s.bytes = ctr_get(&c->bytes);
	s.files = (unsigned)ctr_get(&c->files);
	s.running = atomic_load(&c->running);
	s.sink_open = atomic_load(&c->sink_open);
	s.done = atomic_load(&c->done);
	s.sink_error = atomic_load(&c->sink_error);
	*ret = s;
}
