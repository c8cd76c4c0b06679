/* forward.c: the forwarding path of an IPv4 router (RFC 1812 §5.2-5.3).
 *
 * A datagram not addressed to us arrives here from ipv4_input() with a header
 * that has already been validated (version, lengths, checksum). In order:
 *  1. refuse what a router must not forward (§5.3.7, §4.2.2.11, §5.3.5);
 *  2. TTL: expire it with a time exceeded (§5.3.1);
 *  3. route it, or answer net unreachable (§5.2.7.1);
 *  4. decrement the TTL and patch the checksum incrementally (RFC 1624);
 *  5. fit it to the next hop's MTU: fragment, or with DF answer
 *     fragmentation needed with the next-hop MTU (RFC 1191 §4);
 *  6. hand it to ARP for the next hop; if that fails, ARP answers host
 *     unreachable for every packet that waited.
 * Every refusal is counted on the arrival NIC. */
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
#include "routing/forward.h"
#include "routing/route.h"
#include "stack.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* Addresses that never appear as a forwarded source (RFC 1812 §5.3.7, RFC 3927 §2.7). */
static bool bad_source(uint32_t a)
{
	const uint8_t *b = (const uint8_t *)&a;
	return a == 0 || ipv4_is_zeronet(a) || ipv4_is_loopback(a) || ipv4_is_linklocal(a) ||
	       ipv4_is_mcast(a) || b[0] >= 240;
}

/* Destinations a router keeps to the link they were sent on. */
static bool bad_dest(uint32_t a)
{
	const uint8_t *b = (const uint8_t *)&a;
	return ipv4_is_zeronet(a) || ipv4_is_loopback(a) || ipv4_is_linklocal(a) || b[0] >= 240;
}

/* True if dst is the directed broadcast of one of our connected subnets: RFC 2644
 * says a router must not forward those by default. */
static bool directed_bcast(struct vh_stack *st, uint32_t dst)
{
	for (struct vh_dev *d = st->devs; d; d = d->next)
		for (struct vh_iface *i = d->ifaces; i; i = i->next)
			if (i->plen < 31 && dst == i->bcast)
				return true;
	return false;
}

static void fwd_input(struct vh_stack *st, struct vh_pkt *pkt)
{
	struct vh_dev *in = pkt->dev;
	uint8_t *h = pkt->data;
	uint32_t src = get_addr(h + 12), dst = get_addr(h + 16);
	struct rt_result rt;
	uint16_t old, new_, sum;

	pkt->l3 = h;
	/* 1. What must stay where it is. */
	if (bad_source(src) || bad_dest(dst) || directed_bcast(st, dst)) {
		vh_drop(st, in, pkt, VH_DROP_IP_FORWARD_BAD);
		return;
	}
	/* 2. "If the TTL is reduced to zero (or less), the packet MUST be discarded, and ...
	 * the router MUST send an ICMP Time Exceeded message". */
	if (h[8] <= 1) {
		icmp_send_error(st, pkt, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
		vh_drop(st, in, pkt, VH_DROP_IP_TTL);
		return;
	}
	/* 3. Route. */
	if (rt_lookup(st, dst, &rt) < 0) {
		st->ip.stats.out_no_routes++;
		icmp_send_error(st, pkt, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0);
		vh_drop(st, in, pkt, VH_DROP_IP_NO_ROUTE);
		return;
	}
	/* 5 (checked first so the quoted header carries the TTL it arrived with). */
	if (pkt->len > rt.dev->mtu && (get_be16(h + 6) & IPV4_F_DF)) {
		st->ip.stats.frag_fails++;
		icmp_send_error(st, pkt, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, rt.dev->mtu & 0xffff);
		vh_drop(st, in, pkt, VH_DROP_IP_DF);
		return;
	}
	/* 4. TTL and checksum: the TTL shares a 16-bit word with the protocol. */
	memcpy(&old, h + 8, 2);
	h[8]--;
	memcpy(&new_, h + 8, 2);
	memcpy(&sum, h + 10, 2);
	sum = wire_csum_update16(sum, old, new_);
	memcpy(h + 10, &sum, 2);

	st->ip.stats.forwarded++;
	/* The frame arrived as unicast to us; what leaves is a new frame. */
	pkt->flags &= ~(VH_PKT_F_L2_BCAST | VH_PKT_F_L2_MCAST);
	/* 5-6. Fragment if needed (DF clear), resolve the next hop, send. */
	ipv4_output_nh(st, pkt, rt.iface, rt.nexthop);
}

void fwd_init(struct vh_stack *st)
{
	st->ip.forward = fwd_input;
}
