/* ether.c: Ethernet II parse and emit. */
#include <errno.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/ether.h"

int wire_ether_parse(const uint8_t *buf, size_t len, struct wire_ether *ret)
{
	uint16_t type;

	if (len < ETHER_HDR_LEN)
		return -EINVAL; /* not even a header */
	type = get_be16(buf + 12);
	if (type < 0x0600)
		return -EPROTONOSUPPORT; /* an 802.3 length field: LLC frames are not ours */
	ret->dst = buf;
	ret->src = buf + 6;
	ret->type = type;
	ret->payload = buf + ETHER_HDR_LEN;
	ret->payload_len = len - ETHER_HDR_LEN;
	return 0;
}

void wire_ether_emit(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put_be16(buf + 12, type);
}
