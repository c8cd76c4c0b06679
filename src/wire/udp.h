/* udp.h: the UDP header (RFC 768). */
#ifndef VH_WIRE_UDP_H
#define VH_WIRE_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HDR_LEN 8

struct wire_udp {
	uint16_t sport, dport;
	uint16_t len;            /* from the header: header + data */
	uint16_t csum;           /* as sent; 0 means none was computed */
	const uint8_t *payload;
	size_t payload_len;
};

/* buf/len is the IP payload; src/dst (network order) are for the pseudo-header.
 * 0, -EINVAL (length field impossible), -EBADMSG (checksum wrong; not under VH_FUZZING). */
int wire_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   struct wire_udp *ret);
/* Header at buf followed by payload_len bytes already in place; checksum computed. */
void wire_udp_emit(uint8_t *buf, uint16_t sport, uint16_t dport, size_t payload_len, uint32_t src,
		   uint32_t dst);

#endif
