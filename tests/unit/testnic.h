/* testnic.h: drive a stack from a test without threads or real NICs.
 *
 * A test stack has an injected clock (tn_clock, advanced by the test), logs
 * only errors, into a sink that keeps the last line. A test NIC is a driver
 * whose transmit appends frames to a capture queue and whose poll does
 * nothing; frames are injected with tn_inject(), which goes through
 * vh_dev_input() as a driver would. Shared by the unit tests and the fuzzers. */
#ifndef VH_TEST_TESTNIC_H
#define VH_TEST_TESTNIC_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "spec.h"
#include "stack.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#define TN_T0 (1000 * VH_SEC) /* the clock starts away from 0, as a monotonic clock does */
#define TN_CAPTURE_MAX 4096

struct tn_clock {
	uint64_t now;
	char last_log[512];
	unsigned log_lines;
};

struct tn_priv {
	struct vh_pktq sent;
	uint64_t transmits;
};

static inline uint64_t tn_clock_fn(void *arg)
{
	return ((struct tn_clock *)arg)->now;
}

static inline void tn_log_sink(void *arg, enum vh_log_level level, const char *line)
{
	struct tn_clock *c = arg;

	(void)level;
	snprintf(c->last_log, sizeof(c->last_log), "%s", line);
	c->log_lines++;
}

/* A stack on clk's clock with the given pool sizes; aborts the test program if
 * it cannot be made. */
static inline struct vh_stack *tn_stack_new_sized(struct tn_clock *clk, const char *name,
						  unsigned pkts, unsigned big)
{
	struct vh_stack_config cfg;
	struct vh_stack *st;

	if (!clk->now)
		clk->now = TN_T0;
	vh_stack_config_init(&cfg);
	cfg.name = name;
	cfg.pkt_count = pkts;
	cfg.big_pkt_count = big;
	cfg.log_level = VH_LOG_ERROR;
	cfg.log_sink = tn_log_sink;
	cfg.log_arg = clk;
	cfg.clock = tn_clock_fn;
	cfg.clock_arg = clk;
	if (vh_stack_new(&cfg, &st) < 0) {
		fprintf(stderr, "vh_stack_new failed\n");
		exit(2);
	}
	return st;
}

static inline struct vh_stack *tn_stack_new(struct tn_clock *clk, const char *name)
{
	return tn_stack_new_sized(clk, name, 1024, 24);
}

static inline int tn_open(struct vh_dev *dev, struct vh_err *err)
{
	(void)err;
	dev->flags |= VH_DEV_F_LINK | VH_DEV_F_BROADCAST;
	return 0;
}

static inline int tn_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	struct tn_priv *p = dev->priv;

	p->transmits++;
	if (vh_pktq_push(&p->sent, pkt) < 0)
		vh_pkt_free(pkt);
	return 0;
}

static inline int tn_poll(struct vh_dev *dev, unsigned budget)
{
	(void)dev;
	(void)budget;
	return 0;
}

static inline void tn_destroy(struct vh_dev *dev)
{
	struct tn_priv *p = dev->priv;

	vh_pktq_purge(&p->sent);
}

static const struct vh_dev_ops tn_ops = {
	.kind = "test",
	.open = tn_open,
	.transmit = tn_transmit,
	.poll = tn_poll,
	.destroy = tn_destroy,
};

static inline uint32_t tn_addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad address in test: %s\n", s);
		exit(2);
	}
	return a.s_addr;
}

/* A registered test NIC with MAC 02:00:00:00:00:<mac_last> and, if cidr is not
 * NULL, that address. The gratuitous ARP this sends is left in the capture. */
static inline struct vh_dev *tn_nic(struct vh_stack *st, const char *name, uint8_t mac_last,
				    const char *cidr)
{
	struct vh_dev *dev = vh_dev_alloc(st, &tn_ops, name, sizeof(struct tn_priv));
	struct tn_priv *p;
	uint32_t a;
	unsigned plen;

	if (!dev)
		exit(2);
	p = dev->priv;
	vh_pktq_init(&p->sent, TN_CAPTURE_MAX);
	memcpy(dev->hwaddr, (uint8_t[6]){0x02, 0, 0, 0, 0, mac_last}, 6);
	if (vh_dev_register(st, dev, NULL) < 0)
		exit(2);
	if (cidr) {
		if (vh_parse_cidr(cidr, &a, &plen) < 0 || vh_iface_add(st, dev, a, plen, NULL) < 0)
			exit(2);
	}
	return dev;
}

/* Frames sent on dev, oldest first; the caller frees what it pops. */
static inline struct vh_pkt *tn_pop(struct vh_dev *dev)
{
	return vh_pktq_pop(&((struct tn_priv *)dev->priv)->sent);
}

static inline unsigned tn_sent(struct vh_dev *dev)
{
	return ((struct tn_priv *)dev->priv)->sent.len;
}

static inline void tn_clear(struct vh_dev *dev)
{
	vh_pktq_purge(&((struct tn_priv *)dev->priv)->sent);
}

/* Hand len bytes to the stack as a frame received on dev. 0, or -ENOBUFS. */
static inline int tn_inject(struct vh_dev *dev, const void *frame, size_t len)
{
	struct vh_pkt *p = vh_pkt_alloc(dev->stack, (uint32_t)len);

	if (!p)
		return -ENOBUFS;
	memcpy(vh_pkt_put(p, (uint32_t)len), frame, len);
	vh_dev_input(dev, p);
	return 0;
}

/* Advance the clock by ns in steps of at most step ns, running timers at each. */
static inline void tn_advance(struct vh_stack *st, struct tn_clock *clk, uint64_t ns, uint64_t step)
{
	while (ns) {
		uint64_t d = ns < step ? ns : step;
		clk->now += d;
		ns -= d;
		vh_timers_run(st);
	}
}

static const uint8_t tn_peer_mac[6] = {0x02, 0xaa, 0, 0, 0, 0x01};

/* An Ethernet + ARP frame into buf (60 bytes, padded); returns its length. */
static inline size_t tn_arp_frame(uint8_t *buf, const uint8_t *eth_dst, uint16_t op,
				  const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	memset(buf, 0, ETHER_MIN_FRAME);
	wire_ether_emit(buf, eth_dst, sha, ETHER_TYPE_ARP);
	wire_arp_emit(buf + ETHER_HDR_LEN, op, sha, spa, tha, tpa);
	return ETHER_MIN_FRAME;
}

/* An Ethernet + IPv4 frame (20-byte header) carrying plen bytes of payload. */
static inline size_t tn_ipv4_frame(uint8_t *buf, const uint8_t *eth_dst, const uint8_t *eth_src,
				   uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
				   uint16_t frag, const void *payload, size_t plen)
{
	wire_ether_emit(buf, eth_dst, eth_src, ETHER_TYPE_IPV4);
	wire_ipv4_emit(buf + ETHER_HDR_LEN, (uint16_t)(IPV4_HDR_MIN + plen), 0, id, frag, 64, proto,
		       src, dst);
	memcpy(buf + ETHER_HDR_LEN + IPV4_HDR_MIN, payload, plen);
	return ETHER_HDR_LEN + IPV4_HDR_MIN + plen;
}

/* An ICMP echo request message (header + data) into buf; returns its length. */
static inline size_t tn_echo(uint8_t *buf, uint16_t id, uint16_t seq, const void *data, size_t n)
{
	memcpy(buf + ICMP_HDR_LEN, data, n);
	wire_icmp_emit(buf, ICMP_HDR_LEN + n, ICMP_ECHO, 0, (uint32_t)id << 16 | seq);
	return ICMP_HDR_LEN + n;
}

/* Pop the next frame and parse it as Ethernet + IPv4; NULL if none or not IPv4. */
static inline struct vh_pkt *tn_pop_ipv4(struct vh_dev *dev, struct wire_ipv4 *ip)
{
	struct vh_pkt *p;
	struct wire_ether eth;

	while ((p = tn_pop(dev))) {
		if (wire_ether_parse(p->data, p->len, &eth) == 0 && eth.type == ETHER_TYPE_IPV4 &&
		    wire_ipv4_parse(eth.payload, eth.payload_len, ip, NULL) == 0)
			return p;
		vh_pkt_free(p);
	}
	return NULL;
}

/* Pop the next frame and parse it as Ethernet + ARP; NULL if none or not ARP. */
static inline struct vh_pkt *tn_pop_arp(struct vh_dev *dev, struct wire_ether *eth,
					struct wire_arp *arp)
{
	struct vh_pkt *p;

	while ((p = tn_pop(dev))) {
		if (wire_ether_parse(p->data, p->len, eth) == 0 && eth->type == ETHER_TYPE_ARP &&
		    wire_arp_parse(eth->payload, eth->payload_len, arp) == 0)
			return p;
		vh_pkt_free(p);
	}
	return NULL;
}

/* Send n bytes of `tag` to dst through ipv4_output (protocol 253, for experiments). */
static inline int tn_send_ip(struct vh_stack *st, const char *dst, uint8_t tag, size_t n, bool df)
{
	struct vh_pkt *p = vh_pkt_alloc(st, (uint32_t)n);
	struct ipv4_tx tx = {.dst = tn_addr(dst), .proto = 253, .df = df};

	if (!p)
		return -ENOBUFS;
	memset(vh_pkt_put(p, (uint32_t)n), tag, n);
	return ipv4_output(st, p, &tx);
}

struct tn_counter_q {
	const char *scope, *name;
	uint64_t value;
	int found;
};

static inline void tn_counter_fn(void *arg, const char *scope, const char *name, uint64_t value)
{
	struct tn_counter_q *q = arg;

	if (!strcmp(scope, q->scope) && !strcmp(name, q->name)) {
		q->value = value;
		q->found++;
	}
}

/* One counter as vhctl shows it (scope "arp", name "rx_requests"); -1 if absent. */
static inline int64_t tn_counter(struct vh_stack *st, const char *scope, const char *name)
{
	struct tn_counter_q q = {scope, name, 0, 0};

	vh_stack_counters(st, tn_counter_fn, &q);
	return q.found == 1 ? (int64_t)q.value : -1;
}

/* Teach the stack that addr is at tn_peer_mac on dev (a static entry). */
static inline void tn_neigh(struct vh_stack *st, struct vh_dev *dev, const char *addr)
{
	arp_add_static(st, dev, tn_addr(addr), tn_peer_mac);
}

/* Every packet buffer is free or accounted for: waiting for ARP, held by
 * reassembly, or looped back. Call with the test NICs' captures empty. */
static inline bool tn_buffers_ok(const struct vh_stack *st)
{
	unsigned held = st->arp.pending + st->ip.reasm.used + st->backlog.len;
	unsigned avail = st->pool.avail + st->bigpool.avail;

	if (avail + held == st->pool.total + st->bigpool.total)
		return true;
	fprintf(stderr, "buffer leak: %u free + %u held != %u\n", avail, held,
		st->pool.total + st->bigpool.total);
	return false;
}

/* The usual fixture: stack `name` with test0 (02:00:00:00:00:02) at 192.0.2.2/24
 * and the peer 192.0.2.1 at tn_peer_mac in its ARP cache; the capture is empty. */
static inline struct vh_stack *tn_fixture_sized(struct tn_clock *clk, const char *name,
						unsigned pkts, unsigned big, struct vh_dev **ret_dev)
{
	struct vh_stack *st = tn_stack_new_sized(clk, name, pkts, big);

	*ret_dev = tn_nic(st, "test0", 2, "192.0.2.2/24");
	tn_neigh(st, *ret_dev, "192.0.2.1");
	tn_clear(*ret_dev);
	return st;
}

static inline struct vh_stack *tn_fixture(struct tn_clock *clk, const char *name,
					  struct vh_dev **ret_dev)
{
	return tn_fixture_sized(clk, name, 1024, 24, ret_dev);
}

#endif
