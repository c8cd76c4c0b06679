/* tcp.c: TCP header and option parse/emit (RFC 9293 §3.1, RFC 7323, RFC 2018). */
#include <errno.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

/* RFC 9293 §3.1: options are kind, or kind+length+data; each known option has a
 * fixed length and a wrong one makes the whole segment suspect. */
static int parse_opts(const uint8_t *p, size_t len, struct wire_tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i], olen;
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EINVAL; /* a length byte must follow the kind */
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL; /* the option must fit inside the header */
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != 4)
				return -EINVAL;
			o->has_mss = true;
			o->mss = get_be16(p + i + 2);
			break;
		case TCP_OPT_WS:
			if (olen != 3)
				return -EINVAL;
			o->has_ws = true;
			/* RFC 7323 §2.3: a shift above 14 is treated as 14. */
			o->ws = p[i + 2] > 14 ? 14 : p[i + 2];
			break;
		case TCP_OPT_SACK_PERM:
			if (olen != 2)
				return -EINVAL;
			o->sack_perm = true;
			break;
		case TCP_OPT_TS:
			if (olen != 10)
				return -EINVAL;
			o->has_ts = true;
			o->tsval = get_be32(p + i + 2);
			o->tsecr = get_be32(p + i + 6);
			break;
		case TCP_OPT_SACK:
			/* RFC 2018 §3: 8 bytes per block, 1 to 4 blocks. */
			if ((olen - 2) % 8 || olen < 10 || (olen - 2) / 8 > TCP_SACK_MAX)
				return -EINVAL;
			o->nsack = (uint8_t)((olen - 2) / 8);
			for (unsigned b = 0; b < o->nsack; b++) {
				o->sack[b].start = get_be32(p + i + 2 + 8 * b);
				o->sack[b].end = get_be32(p + i + 6 + 8 * b);
			}
			break;
		default:
			break; /* unknown options are skipped (RFC 9293 §3.1, MUST-6) */
		}
		i += olen;
	}
	return 0;
}

int wire_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   struct wire_tcp *ret)
{
	struct wire_tcp t;
	size_t hl;
	int r;

	if (len < TCP_HDR_MIN)
		return -EINVAL; /* no room for the fixed header */
	hl = (size_t)(buf[12] >> 4) * 4;
	if (hl < TCP_HDR_MIN || hl > len)
		return -EINVAL; /* data offset must cover the header and fit the segment */
#ifndef VH_FUZZING
	if (wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, IPPROTO_TCP_, (uint32_t)len),
					 buf, len)) != 0)
		return -EBADMSG;
#else
	(void)src;
	(void)dst;
#endif
	r = parse_opts(buf + TCP_HDR_MIN, hl - TCP_HDR_MIN, &t.opt);
	if (r < 0)
		return r;
	t.sport = get_be16(buf);
	t.dport = get_be16(buf + 2);
	t.seq = get_be32(buf + 4);
	t.ack = get_be32(buf + 8);
	t.flags = buf[13];
	t.wnd = get_be16(buf + 14);
	t.urp = get_be16(buf + 18);
	t.hdr_len = (uint8_t)hl;
	t.payload = buf + hl;
	t.payload_len = len - hl;
	*ret = t;
	return 0;
}

size_t wire_tcp_opts_len(const struct wire_tcp_opts *o)
{
	size_t n = 0;

	if (o->has_mss)
		n += 4;
	if (o->has_ws)
		n += 4; /* NOP + 3 */
	if (o->has_ts)
		n += 12; /* NOP NOP + 10, or SACK-permitted + 10 */
	else if (o->sack_perm)
		n += 4;
	if (o->nsack)
		n += 4 + 8u * o->nsack; /* NOP NOP + 2 + blocks */
	return n;
}

size_t wire_tcp_emit_opts(uint8_t *buf, const struct wire_tcp_opts *o)
{
	uint8_t *p = buf;

	if (o->has_mss) {
		*p++ = TCP_OPT_MSS, *p++ = 4;
		put_be16(p, o->mss), p += 2;
	}
	if (o->has_ws) {
		*p++ = TCP_OPT_NOP, *p++ = TCP_OPT_WS, *p++ = 3, *p++ = o->ws;
	}
	if (o->has_ts) {
		/* SACK-permitted fills the two bytes of padding timestamps need anyway. */
		if (o->sack_perm)
			*p++ = TCP_OPT_SACK_PERM, *p++ = 2;
		else
			*p++ = TCP_OPT_NOP, *p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_TS, *p++ = 10;
		put_be32(p, o->tsval), p += 4;
		put_be32(p, o->tsecr), p += 4;
	} else if (o->sack_perm) {
		*p++ = TCP_OPT_NOP, *p++ = TCP_OPT_NOP, *p++ = TCP_OPT_SACK_PERM, *p++ = 2;
	}
	if (o->nsack) {
		*p++ = TCP_OPT_NOP, *p++ = TCP_OPT_NOP;
		*p++ = TCP_OPT_SACK, *p++ = (uint8_t)(2 + 8 * o->nsack);
		for (unsigned b = 0; b < o->nsack; b++) {
			put_be32(p, o->sack[b].start), p += 4;
			put_be32(p, o->sack[b].end), p += 4;
		}
	}
	return (size_t)(p - buf);
}

void wire_tcp_emit(uint8_t *buf, const struct wire_tcp *h, size_t opt_len, size_t payload_len,
		   uint32_t src, uint32_t dst)
{
	size_t len = TCP_HDR_MIN + opt_len + payload_len;
	uint16_t sum;

	put_be16(buf, h->sport);
	put_be16(buf + 2, h->dport);
	put_be32(buf + 4, h->seq);
	put_be32(buf + 8, h->ack);
	buf[12] = (uint8_t)(((TCP_HDR_MIN + opt_len) / 4) << 4);
	buf[13] = h->flags;
	put_be16(buf + 14, h->wnd);
	buf[16] = buf[17] = 0;
	put_be16(buf + 18, h->urp);
	sum = wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, IPPROTO_TCP_, (uint32_t)len),
					   buf, len));
	memcpy(buf + 16, &sum, 2);
}
