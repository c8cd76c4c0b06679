/* icmp.c: ICMP for IPv4 (RFC 792; host rules RFC 1122 §3.2.2; router rules
 * RFC 1812 §4.3).
 *
 * Echo requests to us are answered in place: the request's buffer becomes the
 * reply, so even a reassembled 64 KiB ping is not copied. Errors we send obey
 * RFC 1122 §3.2.2's list of datagrams never to answer, and a token bucket. */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
#include "stack.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* RFC 1812 §4.3.2.3: quote as much as fits in 576 bytes. */
#define ICMP_ERR_MAX 576

static bool take_token(struct vh_stack *st)
{
	struct icmp_state *s = &st->icmp;
	uint64_t now = vh_now(st);
	uint64_t add = (now - s->tokens_at) * ICMP_RATE_PER_SEC / VH_SEC;

	if (add) {
		s->tokens = s->tokens + add > ICMP_RATE_BURST ? ICMP_RATE_BURST : s->tokens + (unsigned)add;
		s->tokens_at = now;
	}
	if (!s->tokens)
		return false;
	s->tokens--;
	return true;
}

int icmp_send_error(struct vh_stack *st, struct vh_pkt *orig, uint8_t type, uint8_t code,
		    uint32_t info)
{
	const uint8_t *h = orig->l3;
	struct ipv4_tx tx = {.proto = IPPROTO_ICMP_};
	struct vh_iface *in;
	struct vh_pkt *p;
	uint32_t src, dst, avail, quote;
	unsigned hl, frag;
	bool bcast;

	if (!h || h < orig->buf || h + IPV4_HDR_MIN > orig->data + orig->len)
		return -EINVAL;
	hl = (h[0] & 0x0fu) * 4;
	src = get_addr(h + 12);
	dst = get_addr(h + 16);
	frag = get_be16(h + 6);
	/* RFC 1122 §3.2.2: never about an ICMP error, a broadcast or multicast datagram,
	 * a non-initial fragment, or a source that does not name one host. */
	if (h[9] == IPPROTO_ICMP_ && (const uint8_t *)h + hl < orig->data + orig->len) {
		uint8_t t = h[hl];
		if (t != ICMP_ECHO && t != ICMP_ECHOREPLY && t != 13 && t != 14 && t != 15 && t != 16)
			goto suppress;
	}
	ipv4_is_local(st, orig->dev, dst, &bcast, NULL);
	if ((orig->flags & (VH_PKT_F_L2_BCAST | VH_PKT_F_L2_MCAST)) || ipv4_is_mcast(dst) || bcast ||
	    (frag & IPV4_OFF_MASK) ||
	    src == 0 || ipv4_is_lbcast(src) || ipv4_is_mcast(src) || ipv4_is_loopback(src) ||
	    ((const uint8_t *)&src)[0] >= 240) /* class E: reserved, names no host */
		goto suppress;
	if (!take_token(st)) {
		st->icmp.stats.out_rate_limited++;
		return -EAGAIN;
	}
	avail = (uint32_t)(orig->data + orig->len - h);
	quote = get_be16(h + 2);
	if (quote > avail)
		quote = avail;
	if (quote > ICMP_ERR_MAX - IPV4_HDR_MIN - ICMP_HDR_LEN)
		quote = ICMP_ERR_MAX - IPV4_HDR_MIN - ICMP_HDR_LEN;
	p = vh_pkt_alloc(st, ICMP_HDR_LEN + quote);
	if (!p) {
		vh_drop(st, orig->dev, NULL, VH_DROP_NOMEM);
		return -ENOBUFS;
	}
	memcpy(vh_pkt_put(p, ICMP_HDR_LEN + quote) + ICMP_HDR_LEN, h, quote);
	wire_icmp_emit(p->data, p->len, type, code, info);
	/* From the address the datagram reached us on: for a router, the arrival NIC's
	 * (RFC 1812 §4.3.2.4); for a host, the address it was sent to. */
	in = vh_iface_by_addr(st, dst);
	if (!in && orig->dev)
		in = orig->dev->ifaces;
	tx.src = in ? in->addr : 0;
	tx.dst = src;
	tx.tos = 0xc0; /* internetwork control, as Linux sends errors */
	st->icmp.stats.out_msgs++;
	if (type == ICMP_DEST_UNREACH)
		st->icmp.stats.out_dest_unreachs++;
	else if (type == ICMP_TIME_EXCEEDED)
		st->icmp.stats.out_time_excds++;
	return ipv4_output(st, p, &tx);
suppress:
	st->icmp.stats.out_suppressed++;
	return -EPERM;
}

static void echo_reply(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx,
		       const struct wire_icmp *m)
{
	struct ipv4_tx tx = {.proto = IPPROTO_ICMP_, .tos = rx->tos};

	if (rx->bcast && st->icmp.echo_ignore_bcast) {
		vh_drop(st, rx->dev, pkt, VH_DROP_ICMP_IGNORED);
		return;
	}
	debugf(st, "echo request from %s, id=%u, seq=%u, len=%u: replying",
	       vh_addr_str(rx->src, (char[VH_ADDR_STR]){0}), m->rest >> 16, m->rest & 0xffff,
	       pkt->len);
	/* The request becomes the reply: same id, sequence and data. */
	wire_icmp_emit(pkt->data, pkt->len, ICMP_ECHOREPLY, 0, m->rest);
	/* Answer from the address that was asked; a broadcast is answered from the NIC's. */
	tx.src = rx->iface ? rx->iface->addr : (rx->dev->ifaces ? rx->dev->ifaces->addr : 0);
	tx.dst = rx->src;
	st->icmp.stats.out_msgs++;
	st->icmp.stats.out_echo_reps++;
	ipv4_output(st, pkt, &tx);
}

static void icmp_input(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	struct wire_icmp m;
	uint32_t qsrc, qdst;
	uint8_t qproto;
	const uint8_t *l4;
	int r;

	st->icmp.stats.in_msgs++;
	r = wire_icmp_parse(pkt->data, pkt->len, &m);
	if (r < 0) {
		st->icmp.stats.in_errors++;
		vh_drop(st, rx->dev, pkt, r == -EBADMSG ? VH_DROP_ICMP_CSUM : VH_DROP_ICMP_BAD);
		return;
	}
	switch (m.type) {
	case ICMP_ECHO:
		st->icmp.stats.in_echos++;
		echo_reply(st, pkt, rx, &m);
		return;
	case ICMP_ECHOREPLY:
		st->icmp.stats.in_echo_reps++;
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMPROB:
		if (m.type == ICMP_DEST_UNREACH)
			st->icmp.stats.in_dest_unreachs++;
		else if (m.type == ICMP_TIME_EXCEEDED)
			st->icmp.stats.in_time_excds++;
		/* Tell the transport the quoted datagram belongs to (RFC 1122 §3.2.2). */
		if (wire_icmp_quote(&m, &qsrc, &qdst, &qproto, &l4) == 0 && st->icmp.notify[qproto])
			st->icmp.notify[qproto](st, m.type, m.code, m.rest, qsrc, qdst, l4,
						(size_t)(m.body + m.body_len - l4));
		break;
	default:
		break;
	}
	vh_pkt_free(pkt);
}

void icmp_init(struct vh_stack *st)
{
	memset(&st->icmp, 0, sizeof(st->icmp));
	st->icmp.tokens = ICMP_RATE_BURST;
	st->icmp.tokens_at = vh_now(st);
	/* As Linux's icmp_echo_ignore_broadcasts=1: broadcast pings are a smurf amplifier. */
	st->icmp.echo_ignore_bcast = true;
	ipv4_register(st, IPPROTO_ICMP_, icmp_input);
}
