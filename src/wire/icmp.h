/* icmp.h: ICMP for IPv4 (RFC 792). */
#ifndef VH_WIRE_ICMP_H
#define VH_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_HDR_LEN 8
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMPROB 12

/* Destination unreachable codes. */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
/* Time exceeded codes. */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

struct wire_icmp {
	uint8_t type, code;
	uint32_t rest;         /* bytes 4..7 as a big-endian word: id/seq, MTU, pointer */
	const uint8_t *body;   /* after the 8-byte header */
	size_t body_len;
};

/* 0 and a view, -EINVAL if shorter than a header, -EBADMSG if the checksum over
 * the whole message is wrong (not enforced under VH_FUZZING). */
int wire_icmp_parse(const uint8_t *buf, size_t len, struct wire_icmp *ret);
/* Write the 8-byte header and checksum over header + len-8 bytes already at buf+8. */
void wire_icmp_emit(uint8_t *buf, size_t len, uint8_t type, uint8_t code, uint32_t rest);
/* An error's quoted datagram: 0 if body holds at least an IPv4 header and 8 bytes
 * of its payload (RFC 792), filling the inner addresses and protocol. */
int wire_icmp_quote(const struct wire_icmp *m, uint32_t *ret_src, uint32_t *ret_dst,
		    uint8_t *ret_proto, const uint8_t **ret_l4);

#endif
