/* impair.h: link impairment, a decorator on any NIC (the netem we do not have).
 *
 * Keys on --iface: loss=, dup=, reorder=, corrupt= (percent), delay= (ms),
 * rate= (Mbit/s). Applied in both directions, to frames the NIC receives
 * before the stack sees them and to frames the stack sends before the driver
 * does. Delay and rate share one bounded delay line per direction; past its
 * bound frames are dropped and counted, as a real queue would. */
#ifndef VH_IMPAIR_H
#define VH_IMPAIR_H

#include <stdint.h>

#include "pkt.h"
#include "timer.h"

#define IMPAIR_QUEUE_MAX 1024
/* A frame held back for reordering leaves after the next one, or after this
 * long if no next one comes (else the last frame of a burst waits forever). */
#define IMPAIR_HOLD_MAX_NS (2 * 1000000ull)

struct vh_dev;
struct vh_spec;
struct vh_err;

struct impair_stats {
	uint64_t lost, duplicated, reordered, corrupted, delayed, queue_drops;
};

struct impair_dir {
	struct vh_pktq line;      /* frames waiting for their release time (pkt->ts) */
	struct vh_pkt *held;      /* a frame held back to be sent after the next one */
	uint64_t last_release;
	struct vh_timer timer;
	struct vh_timer hold_timer; /* releases `held` when no frame follows it */
	struct vh_dev *dev;
	int outbound;
};

struct impair {
	uint32_t loss, dup, reorder, corrupt; /* parts per million */
	uint64_t delay_ns;
	uint64_t rate_bps;
	uint64_t rng;
	struct impair_dir in, out;
	struct impair_stats stats;
};

/* Take the impairment keys from spec; *ret stays NULL when there are none. */
int impair_from_spec(struct vh_dev *dev, struct vh_spec *spec, struct impair **ret,
		     struct vh_err *err);
void impair_free(struct impair *im);
void impair_input(struct vh_dev *dev, struct vh_pkt *pkt);
int impair_output(struct vh_dev *dev, struct vh_pkt *pkt);

#endif
