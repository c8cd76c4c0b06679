/* ipv4_reasm.h: IPv4 reassembly (RFC 791 §3.2, RFC 815 ideas, RFC 5722's
 * stance on overlaps applied to IPv4).
 *
 * Each datagram in progress owns one big packet buffer and a bitmap of the
 * 8-byte units received. Bounds: REASM_MAX datagrams at once, each ≤ 65535
 * bytes, REASM_TIMEOUT_NS to complete. Overlapping fragments that are not
 * exact duplicates discard the whole datagram: honest senders never overlap,
 * and accepting overlaps is how filters get evaded. */
#ifndef VH_IPV4_REASM_H
#define VH_IPV4_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "timer.h"

#define REASM_MAX 16
#define REASM_TIMEOUT_NS (30 * VH_SEC)
#define REASM_UNITS (65536 / 8)

struct vh_pkt;
struct vh_dev;
struct wire_ipv4;

struct reasm_ctx {
	bool used;
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint16_t hdr_len;        /* of the first fragment's header, kept in the buffer */
	uint32_t total;          /* payload length once the last fragment came, else 0 */
	uint32_t have;           /* payload bytes received */
	uint64_t expires;
	struct vh_pkt *buf;      /* header at data, payload after it */
	struct vh_dev *dev;
	bool first_seen;         /* offset 0 arrived: a time-exceeded may quote it */
	uint64_t bitmap[REASM_UNITS / 64];
};

struct ipv4_reasm {
	struct reasm_ctx ctx[REASM_MAX];
	unsigned used;
	struct vh_timer tick;
};

struct vh_stack;
void ipv4_reasm_init(struct vh_stack *st);
void ipv4_reasm_fini(struct vh_stack *st);
/* Worker: add a fragment (consumes pkt; pkt->data at the IP header). Returns the
 * whole datagram, header at data with fragment fields cleared, or NULL. */
struct vh_pkt *ipv4_reasm_input(struct vh_stack *st, struct vh_pkt *pkt, const struct wire_ipv4 *ip);

#endif
