/* tcp.h: the TCP header and its options (RFC 9293 §3.1; MSS RFC 9293 §3.7.1;
 * window scale and timestamps RFC 7323; SACK RFC 2018).
 *
 * Pure parse and emit over caller bytes: no allocation, no stack state. */
#ifndef VH_WIRE_TCP_H
#define VH_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HDR_MIN 20
#define TCP_HDR_MAX 60
#define TCP_SACK_MAX 4 /* blocks that fit in 40 bytes of options (3 with timestamps) */

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
};

enum {
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,
	TCP_OPT_WS = 3,
	TCP_OPT_SACK_PERM = 4,
	TCP_OPT_SACK = 5,
	TCP_OPT_TS = 8,
};

struct wire_tcp_sack {
	uint32_t start, end; /* [start, end) in sequence space */
};

/* Options as found; a `has_` flag says whether each was present and well formed. */
struct wire_tcp_opts {
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct wire_tcp_sack sack[TCP_SACK_MAX];
};

struct wire_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;            /* unscaled, as on the wire */
	uint16_t urp;
	uint8_t hdr_len;
	struct wire_tcp_opts opt;
	const uint8_t *payload;
	size_t payload_len;
};

/* buf/len is the whole TCP segment (the IP payload); src/dst in network order
 * for the pseudo-header. 0, -EINVAL (malformed header or option), -EBADMSG
 * (checksum; passes under VH_FUZZING). */
int wire_tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
		   struct wire_tcp *ret);

/* Length of the options emit_opts writes for o (a multiple of 4, at most 40). */
size_t wire_tcp_opts_len(const struct wire_tcp_opts *o);
/* Write the options of o at buf; returns the length (see wire_tcp_opts_len). */
size_t wire_tcp_emit_opts(uint8_t *buf, const struct wire_tcp_opts *o);
/* Header at buf: 20 bytes + options already written at buf+20 (opt_len of them),
 * followed by payload_len bytes in place. Computes the checksum. */
void wire_tcp_emit(uint8_t *buf, const struct wire_tcp *h, size_t opt_len, size_t payload_len,
		   uint32_t src, uint32_t dst);

#endif
