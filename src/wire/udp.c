/* udp.c: UDP parse and emit (RFC 768; checksum rules of RFC 1122 §4.1.3.4). */
#include <errno.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

int wire_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   struct wire_udp *ret)
{
	uint16_t ulen, sum;

	if (len < UDP_HDR_LEN)
		return -EINVAL; /* no room for the header */
	ulen = get_be16(buf + 4);
	if (ulen < UDP_HDR_LEN || ulen > len)
		return -EINVAL; /* the length field must fit inside the IP payload */
	memcpy(&sum, buf + 6, 2);
#ifndef VH_FUZZING
	if (sum != 0 &&
	    wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, IPPROTO_UDP_, ulen), buf, ulen)) != 0)
		return -EBADMSG;
#else
	(void)src;
	(void)dst;
#endif
	ret->sport = get_be16(buf);
	ret->dport = get_be16(buf + 2);
	ret->len = ulen;
	ret->csum = sum;
	ret->payload = buf + UDP_HDR_LEN;
	ret->payload_len = ulen - UDP_HDR_LEN;
	return 0;
}

void wire_udp_emit(uint8_t *buf, uint16_t sport, uint16_t dport, size_t payload_len, uint32_t src,
		   uint32_t dst)
{
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + payload_len), sum;

	put_be16(buf, sport);
	put_be16(buf + 2, dport);
	put_be16(buf + 4, ulen);
	buf[6] = buf[7] = 0;
	sum = wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, IPPROTO_UDP_, ulen), buf, ulen));
	if (sum == 0)
		sum = 0xffff; /* zero would mean "no checksum" */
	memcpy(buf + 6, &sum, 2);
}
