/* counters.h: why packets are dropped, one reason per name.
 *
 * Every drop on the packet path is one call, vh_drop(), which frees the
 * packet and counts the reason on the NIC it concerns and on the stack. The
 * names are what vhctl prints. */
#ifndef VH_COUNTERS_H
#define VH_COUNTERS_H

#define VH_DROP_REASONS(X)                                                                         \
	X(NOMEM, "no_buffer")                 /* a packet pool was empty */                         \
	X(QUEUE_FULL, "queue_full")           /* the worker's input queue was full */               \
	X(LINK_DOWN, "link_down")             /* NIC down or without carrier */                     \
	X(TX_ERROR, "tx_error")               /* the driver could not send */                       \
	X(TOO_BIG, "too_big")                 /* frame larger than the NIC takes */                 \
	X(IMPAIR, "impair_loss")              /* dropped on purpose by link impairment */           \
	X(ETHER_BAD, "ether_malformed")       /* shorter than an Ethernet header */                 \
	X(ETHER_NOT_US, "ether_not_us")       /* destination MAC neither ours nor broadcast */      \
	X(ETHER_TYPE, "ether_unknown_type")   /* EtherType we do not speak */                       \
	X(ARP_BAD, "arp_malformed")           /* ARP packet failed validation */                    \
	X(ARP_NOT_US, "arp_not_us")           /* ARP about an address that is not ours */           \
	X(ARP_QUEUE_FULL, "arp_queue_full")   /* too many packets waiting for resolution */         \
	X(ARP_FAILED, "arp_unresolved")       /* the next hop never answered */                     \
	X(ARP_CACHE_FULL, "arp_cache_full")   /* no room for a new neighbour */                     \
	X(IP_BAD, "ip_malformed")             /* IPv4 header failed validation */                   \
	X(IP_CSUM, "ip_bad_checksum")         /* IPv4 header checksum wrong */                      \
	X(IP_MARTIAN, "ip_martian")           /* impossible source address */                       \
	X(IP_NOT_US, "ip_not_us")             /* not for us and not forwarding */                   \
	X(IP_PROTO, "ip_unknown_protocol")    /* no handler for the protocol */                     \
	X(IP_NO_ROUTE, "ip_no_route")         /* no route to the destination */                     \
	X(IP_TTL, "ip_ttl_expired")           /* TTL ran out while forwarding */                    \
	X(IP_DF, "ip_needs_frag")             /* larger than the MTU with DF set */                 \
	X(IP_FRAG_BAD, "ip_frag_malformed")   /* fragment with impossible fields */                 \
	X(IP_REASM_OVERLAP, "ip_reasm_overlap") /* overlapping fragments: datagram discarded */     \
	X(IP_REASM_TIMEOUT, "ip_reasm_timeout") /* fragments that never completed */                \
	X(IP_REASM_FULL, "ip_reasm_full")     /* reassembly memory bound reached */                 \
	X(IP_FORWARD_BAD, "ip_fwd_refused")   /* not forwardable: link-local, broadcast... */       \
	X(ICMP_BAD, "icmp_malformed")         /* ICMP failed validation */                          \
	X(ICMP_CSUM, "icmp_bad_checksum")     /* ICMP checksum wrong */                             \
	X(ICMP_IGNORED, "icmp_ignored")       /* valid but not answered (e.g. broadcast echo) */    \
	X(UDP_BAD, "udp_malformed")           /* UDP failed validation */                           \
	X(UDP_CSUM, "udp_bad_checksum")       /* UDP checksum wrong */                              \
	X(UDP_NO_PORT, "udp_no_port")         /* nobody bound to the port */                        \
	X(UDP_RCVBUF, "udp_rcvbuf_full")      /* socket receive queue full */                       \
	X(TCP_BAD, "tcp_malformed")           /* TCP failed validation */                           \
	X(TCP_CSUM, "tcp_bad_checksum")       /* TCP checksum wrong */                              \
	X(TCP_NO_PORT, "tcp_no_listener")     /* segment for no connection (answered by RST) */     \
	X(TCP_STATE, "tcp_unacceptable")      /* not acceptable in the connection's state */        \
	X(TCP_BACKLOG, "tcp_backlog_full")    /* listen queue full */                               \
	X(TCP_OOO_FULL, "tcp_ooo_full")       /* out-of-order queue at its bound */                 \
	X(CAPTURE, "capture")                 /* (unused on the data path) */

enum vh_drop {
#define VH_DROP_ENUM(id, name) VH_DROP_##id,
	VH_DROP_REASONS(VH_DROP_ENUM)
#undef VH_DROP_ENUM
		VH_DROP__MAX
};

const char *vh_drop_name(enum vh_drop r);

#endif
