/* ipv4_reasm.c: reassembly of fragmented datagrams (RFC 791 §3.2,
 * "Reassembly"; RFC 1122 §3.3.2).
 *
 * A datagram is identified by (source, destination, protocol, identification).
 * Its payload is copied into one big buffer at the fragment's offset; a bitmap
 * of 8-byte units records what arrived. Non-final fragments carry a multiple
 * of 8 bytes (RFC 791), so every fragment starts on a unit boundary and only
 * the final one may end inside a unit. */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
#include "stack.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* The payload lives at buf->data + IPV4_HDR_MAX; the first fragment's header
 * goes right before it, so the finished datagram is contiguous. */
#define PAYLOAD_AT IPV4_HDR_MAX

static bool bit(const uint64_t *bm, unsigned i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static void set_bit(uint64_t *bm, unsigned i)
{
	bm[i / 64] |= 1ull << (i % 64);
}

/* True if any unit at or after `from` was received. */
static bool data_past(const uint64_t *bm, unsigned from)
{
	for (unsigned u = from; u < REASM_UNITS; u++) {
		if (u % 64 == 0 && !bm[u / 64]) {
			u += 63; /* a whole empty word */
			continue;
		}
		if (bit(bm, u))
			return true;
	}
	return false;
}

static void ctx_free(struct vh_stack *st, struct reasm_ctx *c)
{
	vh_pkt_free(c->buf);
	c->buf = NULL;
	c->used = false;
	st->ip.reasm.used--;
}

static void fail(struct vh_stack *st, struct reasm_ctx *c, enum vh_drop why)
{
	st->ip.stats.reasm_fails++;
	vh_drop(st, c->dev, NULL, why);
	ctx_free(st, c);
}

static void reasm_tick(struct vh_stack *st, struct vh_timer *t)
{
	struct ipv4_reasm *r = &st->ip.reasm;
	uint64_t now = vh_now(st);

	(void)t;
	for (unsigned i = 0; i < REASM_MAX; i++) {
		struct reasm_ctx *c = &r->ctx[i];
		if (!c->used || c->expires > now)
			continue;
		/* RFC 792 / RFC 1122 §3.3.2: time exceeded (reassembly), only if we hold the
		 * first fragment, whose header and first 8 bytes the message quotes. */
		if (c->first_seen) {
			struct vh_pkt *b = c->buf;
			b->data = b->buf + VH_PKT_HEADROOM + PAYLOAD_AT - c->hdr_len;
			b->len = c->hdr_len + 8u; /* the first fragment brought at least 8 bytes */
			b->l3 = b->data;
			icmp_send_error(st, b, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
		}
		fail(st, c, VH_DROP_IP_REASM_TIMEOUT);
	}
	if (r->used)
		vh_timer_arm(st, &r->tick, VH_SEC);
}

static struct reasm_ctx *ctx_find(struct vh_stack *st, const struct wire_ipv4 *ip,
				  struct vh_dev *dev)
{
	struct ipv4_reasm *r = &st->ip.reasm;
	struct reasm_ctx *c, *free_slot = NULL;

	for (unsigned i = 0; i < REASM_MAX; i++) {
		c = &r->ctx[i];
		if (!c->used) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		if (c->src == ip->src && c->dst == ip->dst && c->id == ip->id && c->proto == ip->proto)
			return c;
	}
	if (!free_slot)
		return NULL;
	c = free_slot;
	/* The buffer holds the header (up to 60) and up to 65535 - 20 payload bytes. */
	c->buf = vh_pkt_alloc(st, IPV4_HDR_MAX + IPV4_MAX_LEN);
	if (!c->buf)
		return NULL;
	c->used = true;
	c->src = ip->src;
	c->dst = ip->dst;
	c->id = ip->id;
	c->proto = ip->proto;
	c->hdr_len = IPV4_HDR_MIN;
	c->total = 0;
	c->have = 0;
	c->first_seen = false;
	c->dev = dev;
	c->expires = vh_now(st) + REASM_TIMEOUT_NS;
	memset(c->bitmap, 0, sizeof(c->bitmap));
	r->used++;
	if (!vh_timer_pending(&r->tick))
		vh_timer_arm(st, &r->tick, VH_SEC);
	return c;
}

struct vh_pkt *ipv4_reasm_input(struct vh_stack *st, struct vh_pkt *pkt, const struct wire_ipv4 *ip)
{
	struct vh_dev *dev = pkt->dev;
	struct reasm_ctx *c;
	unsigned off = ip->frag_off, len = (unsigned)ip->payload_len;
	unsigned first = off / 8, last, dup_units = 0;
	uint8_t *dst;

	/* RFC 791: every fragment but the last carries a multiple of 8 bytes, and a
	 * fragment carries data. */
	if ((ip->mf && (len % 8 || len == 0)) || (!ip->mf && len == 0 && off == 0)) {
		st->ip.stats.reasm_fails++;
		vh_drop(st, dev, pkt, VH_DROP_IP_FRAG_BAD);
		return NULL;
	}
	c = ctx_find(st, ip, dev);
	if (!c) {
		st->ip.stats.reasm_fails++;
		vh_drop(st, dev, pkt, VH_DROP_IP_REASM_FULL);
		return NULL;
	}
	if (len == 0) { /* an empty last fragment only states the total length */
		last = first;
	} else {
		last = (off + len - 1) / 8;
	}
	/* A second "last" fragment with another end, or data past a known end: corrupt. */
	if ((!ip->mf && c->total && c->total != off + len) || (c->total && off + len > c->total)) {
		vh_pkt_free(pkt);
		fail(st, c, VH_DROP_IP_REASM_OVERLAP);
		return NULL;
	}
	/* The last fragment may arrive after others that lie past its end: then "have"
	 * can equal the total while a hole remains. Such a datagram is corrupt. */
	if (!ip->mf && !c->total && data_past(c->bitmap, (off + len + 7) / 8)) {
		vh_pkt_free(pkt);
		fail(st, c, VH_DROP_IP_REASM_OVERLAP);
		return NULL;
	}
	dst = c->buf->data + PAYLOAD_AT;
	for (unsigned u = first; len && u <= last; u++)
		dup_units += bit(c->bitmap, u);
	if (dup_units) {
		/* An exact retransmission of what we hold is harmless; anything else overlaps. */
		if (dup_units == last - first + 1 && !memcmp(dst + off, ip->payload, len)) {
			vh_pkt_free(pkt);
			return NULL;
		}
		vh_pkt_free(pkt);
		fail(st, c, VH_DROP_IP_REASM_OVERLAP);
		return NULL;
	}
	memcpy(dst + off, ip->payload, len);
	for (unsigned u = first; len && u <= last; u++)
		set_bit(c->bitmap, u);
	c->have += len;
	if (!ip->mf)
		c->total = off + len;
	if (off == 0) {
		/* The first fragment's header (with its options) becomes the datagram's. */
		c->first_seen = true;
		c->hdr_len = ip->hdr_len;
		memcpy(dst - ip->hdr_len, ip->hdr, ip->hdr_len);
	}
	vh_pkt_free(pkt);
	if (!c->total || c->have != c->total || !c->first_seen)
		return NULL;
	if (c->hdr_len + c->total > IPV4_MAX_LEN) {
		fail(st, c, VH_DROP_IP_FRAG_BAD); /* would not fit a total-length field */
		return NULL;
	}

	/* Complete: since nothing overlaps, have == total means every byte is here. */
	struct vh_pkt *out = c->buf;
	uint8_t *h = dst - c->hdr_len;
	uint16_t sum;
	out->data = h;
	out->len = c->hdr_len + c->total;
	out->dev = dev;
	out->flags = 0;
	put_be16(h + 2, (uint16_t)out->len);
	put_be16(h + 6, 0);
	h[10] = h[11] = 0;
	sum = wire_csum(h, c->hdr_len);
	memcpy(h + 10, &sum, 2);
	c->buf = NULL;
	ctx_free(st, c);
	return out;
}

void ipv4_reasm_init(struct vh_stack *st)
{
	memset(&st->ip.reasm, 0, sizeof(st->ip.reasm));
	vh_timer_init(&st->ip.reasm.tick, reasm_tick, NULL);
}

void ipv4_reasm_fini(struct vh_stack *st)
{
	vh_timer_cancel(st, &st->ip.reasm.tick);
	for (unsigned i = 0; i < REASM_MAX; i++)
		if (st->ip.reasm.ctx[i].used)
			ctx_free(st, &st->ip.reasm.ctx[i]);
}
