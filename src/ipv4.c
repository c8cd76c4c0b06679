/* ipv4.c: IPv4 input and output (RFC 791, RFC 1122 §3.2-3.3).
 *
 * Input: validate the header (wire/ipv4.c), refuse impossible sources, decide
 * whether the datagram is ours (weak host model, as Linux: any of our
 * addresses on any NIC), reassemble, and hand the payload to the protocol.
 * Datagrams not for us go to the forwarding hook when forwarding is on.
 * Output: route, choose the source, build the header, fragment to the MTU. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "ether.h"
#include "icmp.h"
#include "ipv4.h"
#include "stack.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

void ipv4_register(struct vh_stack *st, uint8_t proto, ipv4_handler fn)
{
	st->ip.handlers[proto] = fn;
}

bool ipv4_is_local(struct vh_stack *st, struct vh_dev *dev, uint32_t addr, bool *ret_bcast,
		   struct vh_iface **ret_iface)
{
	struct vh_iface *own;

	*ret_bcast = false;
	if (ret_iface)
		*ret_iface = NULL;
	if (ipv4_is_lbcast(addr)) {
		*ret_bcast = true;
		return true;
	}
	/* Directed broadcast of a subnet on the arrival NIC (RFC 1122 §3.3.6). */
	if (dev)
		for (struct vh_iface *i = dev->ifaces; i; i = i->next)
			if (i->plen < 31 && addr == i->bcast) {
				*ret_bcast = true;
				return true;
			}
	own = vh_iface_by_addr(st, addr);
	if (ret_iface)
		*ret_iface = own;
	return own != NULL;
}

static bool src_is_bcast(struct vh_stack *st, struct vh_dev *dev, uint32_t src)
{
	bool bcast;

	return ipv4_is_local(st, dev, src, &bcast, NULL) && bcast;
}

static void deliver(struct vh_stack *st, struct vh_pkt *pkt, const struct wire_ipv4 *ip,
		    struct ipv4_rx *rx)
{
	ipv4_handler h = st->ip.handlers[ip->proto];

	rx->proto = ip->proto;
	rx->ttl = ip->ttl;
	rx->tos = ip->tos;
	rx->hdr_len = ip->hdr_len;
	rx->src = ip->src;
	rx->dst = ip->dst;
	pkt->l3 = pkt->data;
	vh_pkt_pull(pkt, ip->hdr_len);
	if (!h) {
		st->ip.stats.in_unknown_protos++;
		/* RFC 1122 §3.2.2.1: protocol unreachable, never for broadcasts. */
		if (!rx->bcast && !rx->mcast)
			icmp_send_error(st, pkt, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
		vh_drop(st, pkt->dev, pkt, VH_DROP_IP_PROTO);
		return;
	}
	st->ip.stats.in_delivers++;
	h(st, pkt, rx);
}

void ipv4_input(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct vh_stack *st = dev->stack;
	struct wire_ipv4 ip;
	enum wire_ipv4_err why;
	struct ipv4_rx rx = {.dev = dev};
	char a[VH_ADDR_STR], b[VH_ADDR_STR];

	st->ip.stats.in_receives++;
	if (wire_ipv4_parse(pkt->data, pkt->len, &ip, &why) < 0) {
		st->ip.stats.in_hdr_errors++;
		debugf(st, "bad header (%s), dev=%s", wire_ipv4_strerror(why), dev->name);
		vh_drop(st, dev, pkt, why == WIRE_IPV4_CSUM ? VH_DROP_IP_CSUM : VH_DROP_IP_BAD);
		return;
	}
	/* Link-layer padding past the datagram is not data. */
	vh_pkt_trim(pkt, ip.total_len);
	pkt->l3 = pkt->data;
	/* RFC 1122 §3.2.1.3: a source that is broadcast (limited, or the directed
	 * broadcast of the arrival NIC's subnet) or multicast is impossible; our own
	 * address as the source on a frame from the wire is spoofed or looped. */
	if (ipv4_is_mcast(ip.src) || src_is_bcast(st, dev, ip.src) ||
	    (!(pkt->flags & VH_PKT_F_LOOPED) && vh_iface_by_addr(st, ip.src))) {
		st->ip.stats.in_addr_errors++;
		vh_drop(st, dev, pkt, VH_DROP_IP_MARTIAN);
		return;
	}
	tracef(st, "%s > %s, proto=%u, len=%u, dev=%s", vh_addr_str(ip.src, a), vh_addr_str(ip.dst, b),
	       ip.proto, ip.total_len, dev->name);

	rx.mcast = ipv4_is_mcast(ip.dst);
	if (rx.mcast || !ipv4_is_local(st, dev, ip.dst, &rx.bcast, &rx.iface)) {
		if (!rx.mcast && st->ip.forwarding && st->ip.forward &&
		    !(pkt->flags & (VH_PKT_F_L2_BCAST | VH_PKT_F_L2_MCAST))) {
			st->ip.forward(st, pkt);
			return;
		}
		st->ip.stats.in_addr_errors++;
		vh_drop(st, dev, pkt, VH_DROP_IP_NOT_US);
		return;
	}
	if (ip.mf || ip.frag_off) {
		st->ip.stats.reasm_reqds++;
		pkt = ipv4_reasm_input(st, pkt, &ip);
		if (!pkt)
			return;
		st->ip.stats.reasm_oks++;
		/* Re-read the reassembled header: lengths changed. */
		if (wire_ipv4_parse(pkt->data, pkt->len, &ip, NULL) < 0) {
			vh_drop(st, dev, pkt, VH_DROP_IP_FRAG_BAD);
			return;
		}
	}
	deliver(st, pkt, &ip, &rx);
}

/* Send one datagram (header at pkt->data) on iface toward nh: broadcast, to
 * ourselves, or through ARP. */
static int xmit(struct vh_pkt *pkt, struct vh_iface *iface, uint32_t nh, uint32_t dst)
{
	struct vh_dev *dev = iface->dev;

	if (ipv4_is_lbcast(dst) || (dst == iface->bcast && iface->plen < 31) || ipv4_is_mcast(dst)) {
		uint8_t mac[6];
		if (ipv4_is_mcast(dst)) {
			/* RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group. */
			const uint8_t *g = (const uint8_t *)&dst;
			mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e;
			mac[3] = g[1] & 0x7f, mac[4] = g[2], mac[5] = g[3];
		} else {
			memcpy(mac, vh_ether_bcast, 6);
		}
		return ether_output(dev, pkt, mac, ETHER_TYPE_IPV4);
	}
	if (dev->flags & VH_DEV_F_NOARP)
		return ether_output(dev, pkt, dev->hwaddr, ETHER_TYPE_IPV4);
	return arp_output(iface, nh, pkt);
}

/* The options that travel in every fragment after the first: those with the
 * "copied" bit (RFC 791 §3.1, "Options"). Returns the padded length. */
static unsigned copied_options(const uint8_t *opt, unsigned len, uint8_t out[40])
{
	unsigned i = 0, n = 0;

	while (i < len && opt[i] != 0) {
		unsigned olen = opt[i] == 1 ? 1 : opt[i + 1]; /* validated by the parser */
		if (opt[i] & 0x80) {
			memcpy(out + n, opt + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = 0; /* end of options list, as padding */
	return n;
}

/* Split the datagram at pkt->data into fragments that fit mtu (RFC 791 §3.2,
 * "Fragmentation"). Offsets are relative to the datagram's own offset, so a
 * fragment that is fragmented again keeps its place. */
static int fragment(struct vh_stack *st, struct vh_pkt *pkt, struct vh_iface *iface, uint32_t nh,
		    uint32_t mtu)
{
	const uint8_t *h = pkt->data;
	unsigned hl = (h[0] & 0x0fu) * 4, tl = get_be16(h + 2);
	unsigned frag = get_be16(h + 6), base = (frag & IPV4_OFF_MASK) * 8u;
	unsigned off = 0, payload = tl - hl, later_hl;
	uint8_t later_opts[40];
	uint32_t dst = get_addr(h + 16);
	int r = 0;

	later_hl = IPV4_HDR_MIN + copied_options(h + IPV4_HDR_MIN, hl - IPV4_HDR_MIN, later_opts);
	if (mtu < hl + 8) {
		vh_drop(st, iface->dev, pkt, VH_DROP_IP_DF);
		return -EMSGSIZE;
	}
	while (off < payload) {
		unsigned fhl = off == 0 ? hl : later_hl;
		unsigned chunk = (mtu - fhl) & ~7u;
		unsigned n = payload - off > chunk ? chunk : payload - off;
		bool mf = off + n < payload || (frag & IPV4_F_MF);
		struct vh_pkt *f = vh_pkt_alloc(st, fhl + n);
		uint8_t *fh;
		uint16_t sum;
		if (!f) {
			st->ip.stats.frag_fails++;
			vh_drop(st, iface->dev, pkt, VH_DROP_NOMEM);
			return -ENOBUFS;
		}
		fh = vh_pkt_put(f, fhl + n);
		memcpy(fh, h, IPV4_HDR_MIN);
		memcpy(fh + IPV4_HDR_MIN, off == 0 ? h + IPV4_HDR_MIN : later_opts, fhl - IPV4_HDR_MIN);
		memcpy(fh + fhl, h + hl + off, n);
		fh[0] = (uint8_t)(0x40 | fhl / 4);
		put_be16(fh + 2, (uint16_t)(fhl + n));
		put_be16(fh + 6, (uint16_t)((frag & IPV4_F_DF) | (mf ? IPV4_F_MF : 0) | ((base + off) / 8)));
		fh[10] = fh[11] = 0;
		sum = wire_csum(fh, fhl);
		memcpy(fh + 10, &sum, 2);
		st->ip.stats.frag_creates++;
		r = xmit(f, iface, nh, dst);
		off += n;
	}
	st->ip.stats.frag_oks++;
	vh_pkt_free(pkt);
	return r;
}

int ipv4_output_nh(struct vh_stack *st, struct vh_pkt *pkt, struct vh_iface *iface, uint32_t nh)
{
	uint32_t mtu = iface->dev->mtu;
	uint32_t dst = get_addr(pkt->data + 16);

	if (pkt->len <= mtu)
		return xmit(pkt, iface, nh, dst);
	if (get_be16(pkt->data + 6) & IPV4_F_DF) {
		st->ip.stats.frag_fails++;
		vh_drop(st, iface->dev, pkt, VH_DROP_IP_DF);
		return -EMSGSIZE;
	}
	return fragment(st, pkt, iface, nh, mtu);
}

int ipv4_output(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_tx *tx)
{
	struct rt_result rt = {0};
	struct vh_iface *local = vh_iface_by_addr(st, tx->dst);
	uint32_t src = tx->src;
	uint8_t *h;

	st->ip.stats.out_requests++;
	if (local) {
		/* To one of our own addresses: it never touches a wire. */
		rt.dev = local->dev;
		rt.iface = local;
	} else if (tx->dev && (ipv4_is_lbcast(tx->dst) || ipv4_is_mcast(tx->dst))) {
		rt.dev = tx->dev;
		rt.iface = tx->dev->ifaces;
		rt.nexthop = tx->dst;
	} else if (rt_lookup(st, tx->dst, &rt) < 0) {
		rt.iface = NULL;
	}
	if (!rt.iface) {
		st->ip.stats.out_no_routes++;
		vh_drop(st, rt.dev, pkt, VH_DROP_IP_NO_ROUTE);
		return -ENETUNREACH;
	}
	if (!src)
		src = rt.iface->addr;
	h = vh_pkt_push(pkt, IPV4_HDR_MIN);
	if (!h || pkt->len > IPV4_MAX_LEN) {
		st->ip.stats.out_discards++;
		vh_drop(st, rt.dev, pkt, VH_DROP_TOO_BIG);
		return -EMSGSIZE;
	}
	wire_ipv4_emit(h, (uint16_t)pkt->len, tx->tos, st->ip.next_id++, tx->df ? IPV4_F_DF : 0,
		       tx->ttl ? tx->ttl : IPV4_DEFAULT_TTL, tx->proto, src, tx->dst);
	pkt->l3 = NULL; /* our own packet: a failure here sends no ICMP error to ourselves */
	if (local) {
		pkt->dev = local->dev;
		pkt->flags |= VH_PKT_F_LOOPED;
		vh_stack_loopback(st, pkt);
		return 0;
	}
	if (pkt->len > rt.dev->mtu && tx->df) {
		st->ip.stats.frag_fails++;
		vh_drop(st, rt.dev, pkt, VH_DROP_IP_DF);
		return -EMSGSIZE;
	}
	return ipv4_output_nh(st, pkt, rt.iface, rt.nexthop);
}

void ipv4_init(struct vh_stack *st)
{
	uint16_t id;

	memset(&st->ip, 0, sizeof(st->ip));
	/* Start IDs somewhere unguessable-ish; RFC 6864 only asks them not to repeat quickly. */
	id = (uint16_t)(vh_now(st) ^ (uintptr_t)st);
	st->ip.next_id = id;
	ipv4_reasm_init(st);
}

void ipv4_fini(struct vh_stack *st)
{
	ipv4_reasm_fini(st);
}
