/* udp.c: UDP input and output (RFC 768; RFC 1122 §4.1.3).
 *
 * Input verifies the checksum (wire/udp.c), finds the socket by port and
 * queues the packet itself, bounded in bytes and count: nothing is copied
 * until the application reads. A datagram for no socket draws an ICMP port
 * unreachable (RFC 1122 §4.1.3.1), which icmp_send_error rate-limits and
 * never sends about broadcasts. */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ipv4.h"
#include "routing/route.h"
#include "stack.h"
#include "udp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

static unsigned bucket(uint16_t port)
{
	return port % UDP_HASH;
}

/* The socket for a datagram: one bound to dst exactly, else one bound to any
 * address (the only kind that hears broadcasts); a connected socket only
 * matches its peer, and is preferred over an unconnected one. */
static struct udp_pcb *find(struct vh_stack *st, uint32_t dst, uint16_t dport, uint32_t src,
			    uint16_t sport)
{
	struct udp_pcb *best = NULL;

	for (struct udp_pcb *p = st->udp.hash[bucket(dport)]; p; p = p->next) {
		if (p->lport != dport)
			continue;
		/* A connected socket hears only its peer (RFC 1122 §4.1.3.4 leaves it to us). */
		if (p->rport && (p->raddr != src || p->rport != sport))
			continue;
		if (p->laddr == dst)
			return p;
		if (!p->laddr && (!best || best->rport < p->rport))
			best = p;
	}
	return best;
}

static void udp_input(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	struct udp_stats *s = &st->udp.stats;
	struct wire_udp u;
	struct udp_pcb *pcb;
	int r;

	r = wire_udp_parse(pkt->data, pkt->len, rx->src, rx->dst, &u);
	if (r < 0) {
		s->in_errors++;
		vh_drop(st, pkt->dev, pkt, r == -EBADMSG ? VH_DROP_UDP_CSUM : VH_DROP_UDP_BAD);
		return;
	}
	pcb = find(st, rx->dst, u.dport, rx->src, u.sport);
	if (!pcb) {
		s->no_ports++;
		/* RFC 1122 §4.1.3.1: port unreachable (icmp.c skips broadcasts). */
		icmp_send_error(st, pkt, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		vh_drop(st, pkt->dev, pkt, VH_DROP_UDP_NO_PORT);
		return;
	}
	/* Two bounds: bytes (the socket's buffer) and datagrams, since every queued
	 * datagram holds a whole packet buffer from the shared pool. */
	if (pcb->rxq.len >= pcb->rxq.max || pcb->rx_bytes + u.payload_len > pcb->rcvbuf) {
		s->rcvbuf_errors++;
		vh_drop(st, pkt->dev, pkt, VH_DROP_UDP_RCVBUF);
		return;
	}
	s->in_datagrams++;
	vh_pkt_pull(pkt, UDP_HDR_LEN);
	vh_pkt_trim(pkt, (uint32_t)u.payload_len);
	vh_pktq_push(&pcb->rxq, pkt);
	pcb->rx_bytes += pkt->len;
	if (pcb->event)
		pcb->event(pcb->user);
}

void udp_pkt_from(const struct vh_pkt *p, uint32_t *ret_addr, uint16_t *ret_port)
{
	*ret_addr = get_addr(p->l3 + 12);
	*ret_port = get_be16(p->data - UDP_HDR_LEN);
}

int udp_bind(struct vh_stack *st, struct udp_pcb *pcb, uint32_t laddr, uint16_t lport)
{
	unsigned span = UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1;

	if (pcb->bound)
		return -EINVAL;
	if (laddr && !vh_iface_by_addr(st, laddr))
		return -EADDRNOTAVAIL;
	if (!lport) {
		for (unsigned i = 0; i < span && !lport; i++) {
			uint16_t p = st->udp.next_port;
			bool used = false;
			st->udp.next_port =
				(uint16_t)(p == UDP_EPHEMERAL_HI ? UDP_EPHEMERAL_LO : p + 1);
			for (struct udp_pcb *q = st->udp.hash[bucket(p)]; q; q = q->next)
				used |= q->lport == p;
			if (!used)
				lport = p;
		}
		if (!lport)
			return -EADDRNOTAVAIL;
	} else {
		/* A port on one address and the same port on any address would both claim
		 * the same datagrams: refused, as without SO_REUSEADDR on Linux. */
		for (struct udp_pcb *q = st->udp.hash[bucket(lport)]; q; q = q->next)
			if (q->lport == lport && (q->laddr == laddr || !q->laddr || !laddr))
				return -EADDRINUSE;
	}
	pcb->laddr = laddr;
	pcb->lport = lport;
	pcb->bound = true;
	if (!pcb->rxq.max)
		vh_pktq_init(&pcb->rxq, UDP_RXQ_MAX);
	pcb->next = st->udp.hash[bucket(lport)];
	st->udp.hash[bucket(lport)] = pcb;
	return 0;
}

void udp_unbind(struct vh_stack *st, struct udp_pcb *pcb)
{
	struct udp_pcb **pp;

	if (!pcb->bound)
		return;
	for (pp = &st->udp.hash[bucket(pcb->lport)]; *pp; pp = &(*pp)->next)
		if (*pp == pcb) {
			*pp = pcb->next;
			break;
		}
	pcb->bound = false;
	vh_pktq_purge(&pcb->rxq);
	pcb->rx_bytes = 0;
}

int udp_output(struct vh_stack *st, struct udp_pcb *pcb, uint32_t raddr, uint16_t rport,
	       const void *data, size_t len)
{
	struct ipv4_tx tx = {.proto = IPPROTO_UDP_, .dst = raddr};
	struct rt_result rt;
	struct vh_iface *ifa;
	struct vh_pkt *p;
	uint32_t src = pcb->laddr;
	bool bcast = ipv4_is_lbcast(raddr);
	int r;

	if (len > IPV4_MAX_LEN - IPV4_HDR_MIN - UDP_HDR_LEN)
		return -EMSGSIZE;
	if (!raddr || !rport)
		return -EDESTADDRREQ;
	if (!pcb->bound && (r = udp_bind(st, pcb, 0, 0)) < 0)
		return r;
	/* Pick the source now: the checksum covers it. */
	if (bcast) {
		if (!pcb->bcast_ok)
			return -EACCES;
		ifa = src ? vh_iface_by_addr(st, src) : NULL;
		if (!ifa)
			for (struct vh_dev *d = st->devs; d && !ifa; d = d->next)
				if (d->ifaces && !(d->flags & VH_DEV_F_LOOPBACK))
					ifa = d->ifaces;
		if (!ifa)
			return -ENETUNREACH;
		tx.dev = ifa->dev;
		src = ifa->addr;
	} else if (!src) {
		if ((ifa = vh_iface_by_addr(st, raddr)))
			src = ifa->addr;
		else if (rt_lookup(st, raddr, &rt) == 0 && rt.iface)
			src = rt.iface->addr;
		else
			return -ENETUNREACH;
		for (struct vh_dev *d = st->devs; d; d = d->next)
			for (struct vh_iface *i = d->ifaces; i; i = i->next)
				if (i->plen < 31 && i->bcast == raddr && !pcb->bcast_ok)
					return -EACCES; /* a directed broadcast needs SO_BROADCAST */
	}
	tx.src = src;
	p = vh_pkt_alloc(st, (uint32_t)(UDP_HDR_LEN + len));
	if (!p) {
		st->udp.stats.out_errors++;
		return -ENOBUFS;
	}
	memcpy(vh_pkt_put(p, (uint32_t)(UDP_HDR_LEN + len)) + UDP_HDR_LEN, data, len);
	wire_udp_emit(p->data, pcb->lport, rport, len, src, raddr);
	st->udp.stats.out_datagrams++;
	r = ipv4_output(st, p, &tx);
	return r < 0 ? r : 0;
}

void udp_init(struct vh_stack *st)
{
	memset(&st->udp, 0, sizeof(st->udp));
	st->udp.next_port = (uint16_t)(UDP_EPHEMERAL_LO + (vh_now(st) / 1000) % 16384);
	ipv4_register(st, IPPROTO_UDP_, udp_input);
}

void udp_fini(struct vh_stack *st)
{
	for (unsigned b = 0; b < UDP_HASH; b++)
		while (st->udp.hash[b])
			udp_unbind(st, st->udp.hash[b]);
}
