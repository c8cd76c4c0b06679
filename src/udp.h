/* udp.h: UDP (RFC 768; RFC 1122 §4.1): port demux, checksums, ICMP port
 * unreachable, broadcast receive on sockets bound to any address. */
#ifndef VH_UDP_H
#define VH_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define UDP_HASH 256
#define UDP_RXQ_MAX 256          /* datagrams queued per socket, besides the byte bound */
#define UDP_EPHEMERAL_LO 49152
#define UDP_EPHEMERAL_HI 65535

struct vh_stack;

/* One bound UDP endpoint (a socket's protocol half). */
struct udp_pcb {
	struct udp_pcb *next;
	uint32_t laddr, raddr;   /* network order; 0: any */
	uint16_t lport, rport;   /* host order; rport 0: not connected */
	bool bound, bcast_ok;
	struct vh_pktq rxq;      /* data at the payload; l3 at the IPv4 header */
	uint32_t rx_bytes, rcvbuf;
	void *user;
	void (*event)(void *user);
};

struct udp_stats {
	uint64_t in_datagrams, no_ports, in_errors, rcvbuf_errors, out_datagrams, out_errors;
};

struct udp_state {
	struct udp_pcb *hash[UDP_HASH];
	uint16_t next_port;
	struct udp_stats stats;
};

void udp_init(struct vh_stack *st);
void udp_fini(struct vh_stack *st);
/* Bind pcb to laddr:lport (lport 0: an ephemeral port). -EADDRINUSE. */
int udp_bind(struct vh_stack *st, struct udp_pcb *pcb, uint32_t laddr, uint16_t lport);
void udp_unbind(struct vh_stack *st, struct udp_pcb *pcb);
/* Send one datagram; binds an ephemeral port first if needed. */
int udp_output(struct vh_stack *st, struct udp_pcb *pcb, uint32_t raddr, uint16_t rport,
	       const void *data, size_t len);
/* Source address and port of a queued datagram. */
void udp_pkt_from(const struct vh_pkt *p, uint32_t *ret_addr, uint16_t *ret_port);

#endif
