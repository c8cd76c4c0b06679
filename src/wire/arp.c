/* arp.c: ARP packet parse and emit (RFC 826, Ethernet hardware, IPv4 protocol). */
#include <errno.h>
#include <string.h>

#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/ether.h"

int wire_arp_parse(const uint8_t *buf, size_t len, struct wire_arp *ret)
{
	uint16_t op;

	if (len < ARP_LEN)
		return -EINVAL; /* shorter than an Ethernet/IPv4 ARP packet */
	if (get_be16(buf) != 1 || get_be16(buf + 2) != ETHER_TYPE_IPV4)
		return -EPROTONOSUPPORT; /* hardware not Ethernet or protocol not IPv4 */
	if (buf[4] != 6 || buf[5] != 4)
		return -EINVAL; /* address lengths contradict the types */
	op = get_be16(buf + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return -EPROTONOSUPPORT; /* RARP and friends */
	ret->op = op;
	ret->sha = buf + 8;
	ret->spa = get_addr(buf + 14);
	ret->tha = buf + 18;
	ret->tpa = get_addr(buf + 24);
	return 0;
}

void wire_arp_emit(uint8_t *buf, uint16_t op, const uint8_t sha[6], uint32_t spa,
		   const uint8_t tha[6], uint32_t tpa)
{
	put_be16(buf, 1);
	put_be16(buf + 2, ETHER_TYPE_IPV4);
	buf[4] = 6;
	buf[5] = 4;
	put_be16(buf + 6, op);
	memcpy(buf + 8, sha, 6);
	put_addr(buf + 14, spa);
	memcpy(buf + 18, tha, 6);
	put_addr(buf + 24, tpa);
}
