/* ipv4.c: IPv4 header validation and emission (RFC 791 §3.1, RFC 1122 §3.2.1).
 *
 * Every field that states a length is checked against the buffer before use:
 * after wire_ipv4_parse() succeeds, hdr[0..hdr_len) and payload[0..payload_len)
 * are inside the caller's bytes. */
#include <errno.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ipv4.h"

static int options_ok(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t type = opt[i];
		if (type == 0) /* end of option list: the rest is padding */
			return 1;
		if (type == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return 0; /* a length octet must follow */
		if (opt[i + 1] < 2 || opt[i + 1] > len - i)
			return 0; /* length counts type and length octets and stays in the header */
		i += opt[i + 1];
	}
	return 1;
}

int wire_ipv4_parse(const uint8_t *buf, size_t len, struct wire_ipv4 *ret,
		    enum wire_ipv4_err *ret_err)
{
	enum wire_ipv4_err e;
	unsigned hl, tl, frag;

	if (len < IPV4_HDR_MIN) {
		e = WIRE_IPV4_SHORT;
		goto bad;
	}
	if (buf[0] >> 4 != 4) {
		e = WIRE_IPV4_VERSION;
		goto bad;
	}
	hl = (buf[0] & 0x0fu) * 4;
	if (hl < IPV4_HDR_MIN || hl > len) {
		e = WIRE_IPV4_IHL;
		goto bad;
	}
	tl = get_be16(buf + 2);
	if (tl < hl || tl > len) {
		e = WIRE_IPV4_TOTLEN; /* frames may carry padding after the datagram, never less */
		goto bad;
	}
#ifndef VH_FUZZING
	if (wire_csum(buf, hl) != 0) {
		e = WIRE_IPV4_CSUM;
		goto bad;
	}
#endif
	frag = get_be16(buf + 6);
	if (frag & IPV4_F_RESERVED) {
		e = WIRE_IPV4_FRAG; /* RFC 791: must be zero */
		goto bad;
	}
	if ((frag & IPV4_OFF_MASK) * 8u + (tl - hl) > IPV4_MAX_LEN) {
		e = WIRE_IPV4_FRAG; /* would reassemble past the largest datagram */
		goto bad;
	}
	if (hl > IPV4_HDR_MIN && !options_ok(buf + IPV4_HDR_MIN, hl - IPV4_HDR_MIN)) {
		e = WIRE_IPV4_OPTIONS;
		goto bad;
	}
	ret->hdr = buf;
	ret->hdr_len = (uint16_t)hl;
	ret->total_len = (uint16_t)tl;
	ret->tos = buf[1];
	ret->id = get_be16(buf + 4);
	ret->df = (frag & IPV4_F_DF) != 0;
	ret->mf = (frag & IPV4_F_MF) != 0;
	ret->frag_off = (uint16_t)((frag & IPV4_OFF_MASK) * 8u);
	ret->ttl = buf[8];
	ret->proto = buf[9];
	ret->src = get_addr(buf + 12);
	ret->dst = get_addr(buf + 16);
	ret->payload = buf + hl;
	ret->payload_len = tl - hl;
	if (ret_err)
		*ret_err = WIRE_IPV4_OK;
	return 0;
bad:
	if (ret_err)
		*ret_err = e;
	return -EINVAL;
}

const char *wire_ipv4_strerror(enum wire_ipv4_err e)
{
	switch (e) {
	case WIRE_IPV4_OK:
		return "ok";
	case WIRE_IPV4_SHORT:
		return "shorter than a header";
	case WIRE_IPV4_VERSION:
		return "not version 4";
	case WIRE_IPV4_IHL:
		return "bad header length";
	case WIRE_IPV4_TOTLEN:
		return "bad total length";
	case WIRE_IPV4_CSUM:
		return "bad header checksum";
	case WIRE_IPV4_FRAG:
		return "bad fragment fields";
	case WIRE_IPV4_OPTIONS:
		return "malformed options";
	}
	return "?";
}

void wire_ipv4_emit(uint8_t *buf, uint16_t total_len, uint8_t tos, uint16_t id, uint16_t frag,
		    uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst)
{
	uint16_t sum;

	buf[0] = 0x45;
	buf[1] = tos;
	put_be16(buf + 2, total_len);
	put_be16(buf + 4, id);
	put_be16(buf + 6, frag);
	buf[8] = ttl;
	buf[9] = proto;
	buf[10] = buf[11] = 0;
	put_addr(buf + 12, src);
	put_addr(buf + 16, dst);
	sum = wire_csum(buf, IPV4_HDR_MIN);
	memcpy(buf + 10, &sum, 2);
}
