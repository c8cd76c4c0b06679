/* arp.h: the neighbour cache and ARP protocol (RFC 826, RFC 1122 §2.3.2).
 *
 * Entries move INCOMPLETE -> REACHABLE -> STALE -> (probed) REACHABLE or gone.
 * Packets waiting for an answer sit in a per-entry queue bounded both per
 * entry and in total; past either bound they are dropped and counted. */
#ifndef VH_ARP_H
#define VH_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "dev.h"
#include "timer.h"

#define ARP_CACHE_SIZE 512
#define ARP_HASH_SIZE 1024
#define ARP_PENDING_PER_ENTRY 8
#define ARP_PENDING_TOTAL 256
#define ARP_RETRIES 3
#define ARP_RETRY_NS (1 * VH_SEC)
#define ARP_REACHABLE_NS (30 * VH_SEC)
#define ARP_STALE_NS (60 * VH_SEC) /* a STALE entry unused this long is forgotten */
#define ARP_TICK_NS (100 * VH_MS)

enum arp_state {
	ARP_FREE,
	ARP_INCOMPLETE, /* request sent, no answer yet */
	ARP_REACHABLE,  /* answered recently */
	ARP_STALE,      /* usable; the next use sends a unicast probe */
	ARP_PROBE,      /* STALE and probed; REACHABLE again on answer, gone after retries */
	ARP_STATIC,     /* configured; never ages */
};

struct arp_entry {
	uint32_t addr;           /* network order */
	struct vh_dev *dev;
	uint8_t mac[6];
	uint8_t state;
	uint8_t tries;
	uint64_t changed;        /* ns: last state change or confirmation */
	uint64_t next_try;       /* ns: next retry while INCOMPLETE/PROBE */
	uint64_t used;           /* ns: last time a packet went through it */
	struct vh_pktq pending;
	int hnext;               /* hash chain, -1 ends */
};

struct arp_stats {
	uint64_t rx_requests, rx_replies, tx_requests, tx_replies, tx_gratuitous;
	uint64_t resolved, failed, evicted, conflicts;
};

struct arp_table {
	struct arp_entry e[ARP_CACHE_SIZE];
	int hash[ARP_HASH_SIZE];
	unsigned count;
	unsigned pending;        /* packets queued across all entries */
	struct vh_timer tick;
	struct arp_stats stats;
};

struct vh_iface;
void arp_init(struct vh_stack *st);
void arp_fini(struct vh_stack *st);
void arp_input(struct vh_dev *dev, struct vh_pkt *pkt);
/* Send the IPv4 packet at pkt->data to next hop `nh` on iface's device,
 * resolving first if needed (consumes pkt). */
int arp_output(struct vh_iface *iface, uint32_t nh, struct vh_pkt *pkt);
/* Gratuitous ARP for a new address (RFC 5227 announcement). */
void arp_announce(struct vh_iface *iface);
int arp_add_static(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, const uint8_t mac[6]);
int arp_delete(struct vh_stack *st, uint32_t addr);
/* Forget every entry on dev (device going away). */
void arp_flush_dev(struct vh_stack *st, struct vh_dev *dev);
const char *arp_state_name(enum arp_state s);
/* Look up without side effects; NULL if absent. */
const struct arp_entry *arp_lookup(struct vh_stack *st, struct vh_dev *dev, uint32_t addr);

#endif
