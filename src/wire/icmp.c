/* icmp.c: ICMP message parse and emit (RFC 792). */
#include <errno.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/icmp.h"

int wire_icmp_parse(const uint8_t *buf, size_t len, struct wire_icmp *ret)
{
	if (len < ICMP_HDR_LEN)
		return -EINVAL; /* no room for type, code, checksum and the rest word */
#ifndef VH_FUZZING
	if (wire_csum(buf, len) != 0)
		return -EBADMSG; /* the checksum covers the whole message */
#endif
	ret->type = buf[0];
	ret->code = buf[1];
	ret->rest = get_be32(buf + 4);
	ret->body = buf + ICMP_HDR_LEN;
	ret->body_len = len - ICMP_HDR_LEN;
	return 0;
}

void wire_icmp_emit(uint8_t *buf, size_t len, uint8_t type, uint8_t code, uint32_t rest)
{
	uint16_t sum;

	buf[0] = type;
	buf[1] = code;
	buf[2] = buf[3] = 0;
	put_be32(buf + 4, rest);
	sum = wire_csum(buf, len);
	memcpy(buf + 2, &sum, 2);
}

int wire_icmp_quote(const struct wire_icmp *m, uint32_t *ret_src, uint32_t *ret_dst,
		    uint8_t *ret_proto, const uint8_t **ret_l4)
{
	const uint8_t *q = m->body;
	unsigned hl;

	if (m->body_len < 20 || q[0] >> 4 != 4)
		return -EINVAL; /* no quoted IPv4 header */
	hl = (q[0] & 0x0fu) * 4;
	if (hl < 20 || m->body_len < hl + 8)
		return -EINVAL; /* RFC 792 quotes the header and 64 bits of data */
	*ret_src = get_addr(q + 12);
	*ret_dst = get_addr(q + 16);
	*ret_proto = q[9];
	*ret_l4 = q + hl;
	return 0;
}
