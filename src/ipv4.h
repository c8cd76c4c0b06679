/* ipv4.h: the IPv4 layer: input validation and demux, output with
 * fragmentation, local delivery (RFC 791, RFC 1122 §3). */
#ifndef VH_IPV4_H
#define VH_IPV4_H

#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "ipv4_reasm.h"

#define IPV4_DEFAULT_TTL 64

/* What the layer above learns of a received datagram; pkt->data is the payload
 * and pkt->l3 the header. */
struct ipv4_rx {
	struct vh_dev *dev;
	struct vh_iface *iface;  /* the local address it was sent to, if unicast to us */
	uint32_t src, dst;
	uint8_t proto, ttl, tos;
	uint16_t hdr_len;
	bool bcast;              /* limited or directed broadcast */
	bool mcast;
};

typedef void (*ipv4_handler)(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx);

struct ipv4_tx {
	uint32_t src;            /* 0: the outgoing iface's address */
	uint32_t dst;
	uint8_t proto;
	uint8_t ttl;             /* 0: default */
	uint8_t tos;
	bool df;
	struct vh_dev *dev;      /* force this NIC (broadcasts); NULL: route */
};

struct ipv4_stats {
	uint64_t in_receives, in_hdr_errors, in_addr_errors, in_unknown_protos, in_delivers;
	uint64_t in_discards, forwarded, out_requests, out_no_routes, out_discards;
	uint64_t frag_oks, frag_fails, frag_creates;
	uint64_t reasm_reqds, reasm_oks, reasm_fails;
};

/* Forwarding hook: set by routing/forward.c. Consumes pkt. */
typedef void (*ipv4_forward_fn)(struct vh_stack *st, struct vh_pkt *pkt);

struct ipv4_state {
	ipv4_handler handlers[256];
	uint16_t next_id;
	bool forwarding;
	ipv4_forward_fn forward;
	struct ipv4_reasm reasm;
	struct ipv4_stats stats;
};

void ipv4_init(struct vh_stack *st);
void ipv4_fini(struct vh_stack *st);
void ipv4_register(struct vh_stack *st, uint8_t proto, ipv4_handler fn);
/* Worker: the payload of an Ethernet frame of type IPv4 (consumes pkt). */
void ipv4_input(struct vh_dev *dev, struct vh_pkt *pkt);
/* Worker: send the transport payload at pkt->data. Routes, picks the source,
 * builds the header, fragments if needed (unless df). Consumes pkt.
 * -ENETUNREACH without a route, -EMSGSIZE if too big with df. */
int ipv4_output(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_tx *tx);
/* Worker: send a complete datagram (header at pkt->data) out of iface toward
 * next hop nh, fragmenting to the device MTU when allowed. Used by forwarding. */
int ipv4_output_nh(struct vh_stack *st, struct vh_pkt *pkt, struct vh_iface *iface, uint32_t nh);
/* True if addr is one of ours or a broadcast we accept on dev. For one of ours,
 * *ret_iface (if not NULL) is the iface that owns it; for a broadcast, NULL. */
bool ipv4_is_local(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, bool *ret_bcast,
		   struct vh_iface **ret_iface);

#endif
