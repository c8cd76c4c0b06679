/* arp.h: ARP for IPv4 over Ethernet (RFC 826). */
#ifndef VH_WIRE_ARP_H
#define VH_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct wire_arp {
	uint16_t op;
	const uint8_t *sha; /* sender hardware address */
	uint32_t spa;       /* sender protocol address, network order */
	const uint8_t *tha;
	uint32_t tpa;
};

/* 0 and a view, -EINVAL for a malformed packet, -EPROTONOSUPPORT for hardware
 * or protocol types other than Ethernet/IPv4 or an unknown opcode. */
int wire_arp_parse(const uint8_t *buf, size_t len, struct wire_arp *ret);
void wire_arp_emit(uint8_t *buf, uint16_t op, const uint8_t sha[6], uint32_t spa,
		   const uint8_t tha[6], uint32_t tpa);

#endif
