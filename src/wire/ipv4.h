/* ipv4.h: the IPv4 header (RFC 791). */
#ifndef VH_WIRE_IPV4_H
#define VH_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_MIN 20
#define IPV4_HDR_MAX 60
#define IPV4_MAX_LEN 65535
#define IPV4_F_RESERVED 0x8000
#define IPV4_F_DF 0x4000
#define IPV4_F_MF 0x2000
#define IPV4_OFF_MASK 0x1fff

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct wire_ipv4 {
	const uint8_t *hdr;
	uint16_t hdr_len;
	uint16_t total_len;   /* from the header, checked against the buffer */
	uint8_t tos;
	uint8_t ttl;
	uint8_t proto;
	uint16_t id;
	bool df, mf;
	uint16_t frag_off;    /* in bytes */
	uint32_t src, dst;    /* network order */
	const uint8_t *payload;
	size_t payload_len;   /* total_len - hdr_len: link padding excluded */
};

enum wire_ipv4_err {
	WIRE_IPV4_OK = 0,
	WIRE_IPV4_SHORT,      /* buffer shorter than the header */
	WIRE_IPV4_VERSION,    /* not version 4 */
	WIRE_IPV4_IHL,        /* header length below 20 or past the buffer */
	WIRE_IPV4_TOTLEN,     /* total length below the header or past the buffer */
	WIRE_IPV4_CSUM,       /* header checksum wrong */
	WIRE_IPV4_FRAG,       /* reserved flag, or fragment past 65535 */
	WIRE_IPV4_OPTIONS,    /* an option runs past the header */
};

/* 0 and a validated view, or -EINVAL with *ret_err saying why (may be NULL).
 * Under VH_FUZZING the checksum is not enforced. */
int wire_ipv4_parse(const uint8_t *buf, size_t len, struct wire_ipv4 *ret,
		    enum wire_ipv4_err *ret_err);
const char *wire_ipv4_strerror(enum wire_ipv4_err e);

/* Write a 20-byte header (no options) at buf, checksum included. */
void wire_ipv4_emit(uint8_t *buf, uint16_t total_len, uint8_t tos, uint16_t id, uint16_t frag,
		    uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst);

static inline bool ipv4_is_mcast(uint32_t a_be)
{
	return (((const uint8_t *)&a_be)[0] & 0xf0) == 0xe0;
}
static inline bool ipv4_is_lbcast(uint32_t a_be)
{
	return a_be == 0xffffffffu;
}
static inline bool ipv4_is_zeronet(uint32_t a_be)
{
	return ((const uint8_t *)&a_be)[0] == 0;
}
static inline bool ipv4_is_loopback(uint32_t a_be)
{
	return ((const uint8_t *)&a_be)[0] == 127;
}
static inline bool ipv4_is_linklocal(uint32_t a_be)
{
	const uint8_t *b = (const uint8_t *)&a_be;
	return b[0] == 169 && b[1] == 254;
}

#endif
