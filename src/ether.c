/* ether.c: Ethernet II in and out. Accepts frames to our MAC, broadcast, and
 * (when a protocol asks for it later) multicast; the rest is dropped and
 * counted. */
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ether.h"
#include "ipv4.h"
#include "stack.h"
#include "wire/ether.h"

const uint8_t vh_ether_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void ether_input(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct vh_stack *st = dev->stack;
	struct wire_ether eth;

	if (wire_ether_parse(pkt->data, pkt->len, &eth) < 0) {
		vh_drop(st, dev, pkt, pkt->len < ETHER_HDR_LEN ? VH_DROP_ETHER_BAD : VH_DROP_ETHER_TYPE);
		return;
	}
	if (ether_is_bcast(eth.dst)) {
		pkt->flags |= VH_PKT_F_L2_BCAST;
	} else if (ether_is_mcast(eth.dst)) {
		/* Only groups a protocol joined (vh_dev_mcast_add), as a NIC's filter would. */
		pkt->flags |= VH_PKT_F_L2_MCAST;
		if (!(dev->flags & VH_DEV_F_PROMISC) && !vh_dev_mcast_accepts(dev, eth.dst)) {
			vh_drop(st, dev, pkt, VH_DROP_ETHER_NOT_US);
			return;
		}
	} else if (memcmp(eth.dst, dev->hwaddr, 6) != 0 &&
		   !(dev->flags & (VH_DEV_F_PROMISC | VH_DEV_F_NOARP))) {
		vh_drop(st, dev, pkt, VH_DROP_ETHER_NOT_US);
		return;
	}
	vh_pkt_pull(pkt, ETHER_HDR_LEN);
	switch (eth.type) {
	case ETHER_TYPE_ARP:
		arp_input(dev, pkt);
		break;
	case ETHER_TYPE_IPV4:
		ipv4_input(dev, pkt);
		break;
	default:
		vh_drop(st, dev, pkt, VH_DROP_ETHER_TYPE);
	}
}

int ether_output(struct vh_dev *dev, struct vh_pkt *pkt, const uint8_t dst[6], uint16_t type)
{
	uint8_t *h = vh_pkt_push(pkt, ETHER_HDR_LEN);

	if (!h) {
		vh_drop(dev->stack, dev, pkt, VH_DROP_NOMEM);
		return -ENOBUFS;
	}
	wire_ether_emit(h, dst, dev->hwaddr, type);
	/* Short frames are padded to the Ethernet minimum, as a NIC would. */
	if (pkt->len < ETHER_MIN_FRAME) {
		uint32_t pad = ETHER_MIN_FRAME - pkt->len;
		uint8_t *t = vh_pkt_put(pkt, pad);
		if (t)
			memset(t, 0, pad);
	}
	return vh_dev_output(dev, pkt);
}
