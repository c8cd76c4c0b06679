/* icmp.h: ICMP: echo, errors out (rate-limited) and in (RFC 792, RFC 1122 §3.2.2,
 * RFC 1812 §4.3). */
#ifndef VH_ICMP_H
#define VH_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

#define ICMP_RATE_PER_SEC 100
#define ICMP_RATE_BURST 50

struct icmp_stats {
	uint64_t in_msgs, in_errors, in_echos, in_echo_reps, in_dest_unreachs, in_time_excds;
	uint64_t out_msgs, out_echo_reps, out_dest_unreachs, out_time_excds, out_rate_limited;
	uint64_t out_suppressed; /* errors RFC 1122 forbids (about broadcasts, errors, fragments) */
};

struct icmp_state {
	uint64_t tokens_at;      /* ns of the last refill */
	unsigned tokens;
	bool echo_ignore_bcast;
	struct icmp_stats stats;
	/* Upper layers learn of errors about their packets (port unreachable...). */
	void (*notify[256])(struct vh_stack *st, uint8_t type, uint8_t code, uint32_t info,
			    uint32_t src, uint32_t dst, const uint8_t *l4, size_t l4_len);
};

struct vh_stack;
void icmp_init(struct vh_stack *st);
/* Send an ICMP error about `orig` (pkt->l3 must point at its IPv4 header).
 * Does not consume orig. Obeys RFC 1122's never-send rules and the rate limit. */
int icmp_send_error(struct vh_stack *st, struct vh_pkt *orig, uint8_t type, uint8_t code,
		    uint32_t info);

#endif
