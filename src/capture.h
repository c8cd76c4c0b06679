/* capture.h: what crosses vhost's NICs, written as pcapng for Wireshark.
 *
 * One capture serves several NICs: each becomes an Interface Description
 * Block (name, description, MAC, nanosecond timestamps), each frame an
 * Enhanced Packet Block with its direction, and each NIC gets an Interface
 * Statistics Block when a file is closed.
 *
 * The stack's worker offers every frame with capture_frame(). That call
 * never blocks and never allocates: it filters the frame, encodes the EPB
 * into a bounded ring and returns. A writer thread drains the ring into the
 * sink. When the sink is slow or gone the ring fills and frames are dropped
 * and counted (isb_osdrop); the stack keeps running.
 *
 * Sinks: "-" (standard output), a FIFO, or a regular file, which may be
 * rotated by size. Only whole blocks reach a file: after a write error the
 * file is cut back to the last whole block, so what was written stays
 * readable.
 *
 * Threads: capture_frame() on one producer thread (the worker); the other
 * calls from one thread at a time, never concurrently with capture_frame()
 * (the worker may make them itself), except capture_get_stats(), which any
 * thread may call at any time. */
#ifndef VH_CAPTURE_H
#define VH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_SNAPLEN_DEFAULT 262144u
#define CAPTURE_RING_DEFAULT (4u << 20)
#define CAPTURE_RING_MAX (1u << 30)
#define CAPTURE_STOP_TIMEOUT_MS_DEFAULT 1000u
#define CAPTURE_MAX_IFACES 64

struct capture;

/* The values are pcapng's epb_flags direction bits. */
enum capture_dir {
	CAPTURE_IN = 1,
	CAPTURE_OUT = 2,
};

struct capture_config {
	/* "-" for standard output, the path of a FIFO, or of a file (created
	 * or truncated; anything that is not a FIFO is opened as a file). */
	const char *path;
	/* Start a new file when the current one would pass this many bytes;
	 * 0: one file. Regular files only. The first file is path itself, the
	 * next ones get a number before the extension: out.pcapng,
	 * out.1.pcapng, out.2.pcapng... (no extension: out, out.1, out.2). */
	uint64_t rotate_bytes;
	/* A libpcap filter expression ("icmp or arp"); NULL or "": every frame. */
	const char *filter;
	uint32_t snaplen;         /* bytes kept of each frame; 0: CAPTURE_SNAPLEN_DEFAULT */
	/* The bound on queued frames, rounded up to a power of two, at most
	 * CAPTURE_RING_MAX; 0: CAPTURE_RING_DEFAULT. */
	size_t ring_bytes;
	/* After capture_stop(), the writer waits this long for a slow reader
	 * to take what is queued, then gives up; 0:
	 * CAPTURE_STOP_TIMEOUT_MS_DEFAULT. */
	unsigned stop_timeout_ms;
	/* Optional: a NIC's received and dropped counts for the ISBs that end
	 * the capture (isb_ifrecv, isb_ifdrop). Return 0 to include them, or a
	 * negative errno to leave them out. Called by capture_stop() or
	 * capture_close(), on its caller's thread. The ISBs of a file closed by rotation carry only
	 * the capture's own counts. */
	int (*iface_stats)(void *arg, unsigned id, uint64_t *ret_recv, uint64_t *ret_drop);
	void *stats_arg;
	/* Wall clock for the ISB times, in ns since the Unix epoch;
	 * NULL: CLOCK_REALTIME. */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

struct capture_stats {
	uint64_t seen;     /* frames offered on captured NICs while running */
	uint64_t filtered; /* rejected by the filter */
	uint64_t written;  /* written to the sink */
	uint64_t dropped;  /* accepted but not written: ring full, sink gone, stop timeout */
	uint64_t queued;   /* accepted, not yet written nor dropped */
	uint64_t bytes;    /* bytes written to the sink, every block counted */
	unsigned files;    /* files opened so far */
	bool running;      /* between capture_start() and capture_stop() */
	bool sink_open;    /* the sink is open (a FIFO waits for its reader) */
	bool done;         /* stopped, and the writer has finished */
	int sink_error;    /* 0, or the negative errno that ended writing (-EPIPE: reader gone) */
};

/* Check the configuration and compile the filter. On failure, err holds one
 * line naming the cause (for a filter, libpcap's message). */
int capture_new(const struct capture_config *cfg, struct capture **ret, char *err, size_t errlen);

/* Capture the NIC the stack knows as id. Before capture_start() only; NICs
 * appear in the file in the order they are added. name and description are
 * copied; description and mac may be NULL. -EEXIST if id is already added,
 * -ENOSPC past CAPTURE_MAX_IFACES. */
int capture_add_iface(struct capture *c, unsigned id, const char *name, const char *description,
		      const uint8_t mac[6]);

/* Open the sink and start the writer thread, which writes the section
 * header and the interfaces first. A FIFO is opened by the writer thread,
 * without blocking, once a reader has it open; until then frames queue in
 * the ring and are then dropped. 0 or a negative errno (opening the file). */
int capture_start(struct capture *c);

/* Worker: offer one frame seen on NIC id, at ts_ns nanoseconds since the
 * Unix epoch. Ignored for NICs not added, and when not running. Never
 * blocks. */
void capture_frame(struct capture *c, unsigned id, enum capture_dir dir, uint64_t ts_ns,
		   const uint8_t *frame, size_t len);

/* Stop taking frames, write what is queued (waiting at most the stop
 * timeout for a slow reader), the ISBs, and close the sink. Idempotent; a
 * stopped capture does not start again (make a new one). */
void capture_stop(struct capture *c);

/* The first half of capture_stop(), which returns at once: frames are no
 * longer taken, the NICs' counts are read, and the writer finishes on its
 * own (stats.done tells when). capture_stop() or capture_free() then only
 * waits for the thread to end. For a caller that must not wait, such as the
 * stack's worker. */
void capture_close(struct capture *c);

/* Stops the capture if running, then frees it. NULL is a no-op. */
void capture_free(struct capture *c);

/* Any thread. Counters are read one by one, not as one snapshot. */
void capture_get_stats(const struct capture *c, struct capture_stats *ret);

#endif
