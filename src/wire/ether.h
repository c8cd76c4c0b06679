/* ether.h: Ethernet II framing (IEEE 802.3 with EtherType). */
#ifndef VH_WIRE_ETHER_H
#define VH_WIRE_ETHER_H

#include <stddef.h>
#include <stdint.h>

#define ETHER_HDR_LEN 14
#define ETHER_MIN_FRAME 60 /* without FCS */
#define ETHER_TYPE_IPV4 0x0800
#define ETHER_TYPE_ARP 0x0806
#define ETHER_TYPE_VLAN 0x8100
#define ETHER_TYPE_IPV6 0x86dd

struct wire_ether {
	const uint8_t *dst;
	const uint8_t *src;
	uint16_t type;
	const uint8_t *payload;
	size_t payload_len;
};

/* 0 and a view, or -EINVAL if too short. EtherTypes below 0x0600 are 802.3
 * lengths, not types: -EPROTONOSUPPORT. */
int wire_ether_parse(const uint8_t *buf, size_t len, struct wire_ether *ret);
/* Write the 14-byte header at buf. */
void wire_ether_emit(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

static inline int ether_is_bcast(const uint8_t *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}
static inline int ether_is_mcast(const uint8_t *a)
{
	return a[0] & 1;
}

#endif
