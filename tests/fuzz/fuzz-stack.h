/* fuzz-stack.h: a throwaway stack for fuzzing the transport input paths.
 *
 * One small stack per input (deterministic: an injected clock, no threads),
 * with a NIC that drops what it sends, 192.0.2.2/24 on it, and helpers that
 * wrap fuzzer bytes in Ethernet and IPv4 from 192.0.2.1. The checksum is
 * fixed up unless the input asks otherwise, so the fuzzer gets past it in an
 * ordinary build. */
#ifndef VH_FUZZ_STACK_H
#define VH_FUZZ_STACK_H

#include <stdint.h>
#include <string.h>

#include "dev.h"
#include "stack.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ether.h"
#include "wire/ipv4.h"

#define FZ_US 0x020200c0u   /* 192.0.2.2 in network order (little-endian host) */
#define FZ_PEER 0x010200c0u /* 192.0.2.1 */

static uint64_t fz_now;
static uint64_t fz_clock(void *arg)
{
	(void)arg;
	return fz_now;
}
static int fz_open(struct vh_dev *dev, struct vh_err *err)
{
	(void)err;
	dev->flags |= VH_DEV_F_LINK | VH_DEV_F_NOARP;
	return 0;
}
static int fz_transmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	(void)dev;
	vh_pkt_free(pkt);
	return 0;
}
static int fz_poll(struct vh_dev *dev, unsigned budget)
{
	(void)dev;
	(void)budget;
	return 0;
}
static const struct vh_dev_ops fz_ops = {
	.kind = "fuzz", .open = fz_open, .transmit = fz_transmit, .poll = fz_poll};

static struct vh_stack *fz_stack(struct vh_dev **ret_dev)
{
	struct vh_stack_config cfg;
	struct vh_stack *st;
	struct vh_dev *dev;
	struct vh_err err;

	vh_stack_config_init(&cfg);
	cfg.clock = fz_clock;
	cfg.pkt_count = 256;
	cfg.big_pkt_count = 4;
	cfg.log_level = VH_LOG_ERROR;
	fz_now = 1000000000000ull;
	if (vh_stack_new(&cfg, &st) < 0)
		return NULL;
	dev = vh_dev_alloc(st, &fz_ops, "fz0", 0);
	if (!dev || vh_dev_register(st, dev, &err) < 0 || vh_iface_add(st, dev, FZ_US, 24, NULL) < 0) {
		vh_stack_free(st);
		return NULL;
	}
	*ret_dev = dev;
	return st;
}

/* Feed l4 as an IPv4 payload of protocol proto; fix the transport checksum at
 * csum_at (unless it is past the end or fix is false). */
static void fz_inject(struct vh_stack *st, struct vh_dev *dev, uint8_t proto, const uint8_t *l4,
		      size_t len, size_t csum_at, int fix)
{
	struct vh_pkt *p;
	uint8_t *b;

	if (len > 1480)
		len = 1480;
	p = vh_pkt_alloc(st, (uint32_t)(ETHER_HDR_LEN + IPV4_HDR_MIN + len));
	if (!p)
		return;
	b = vh_pkt_put(p, (uint32_t)(ETHER_HDR_LEN + IPV4_HDR_MIN + len));
	if (!b) {
		vh_pkt_free(p);
		return;
	}
	memcpy(b, dev->hwaddr, 6);
	memset(b + 6, 0x22, 6);
	put_be16(b + 12, ETHER_TYPE_IPV4);
	if (len)
		memcpy(b + ETHER_HDR_LEN + IPV4_HDR_MIN, l4, len);
	if (fix && csum_at + 2 <= len) {
		uint8_t *t = b + ETHER_HDR_LEN + IPV4_HDR_MIN;
		uint16_t sum;
		t[csum_at] = t[csum_at + 1] = 0;
		sum = wire_csum_fold(wire_csum_add(wire_csum_pseudo(FZ_PEER, FZ_US, proto, (uint32_t)len),
						   t, len));
		if (proto == IPPROTO_UDP_ && sum == 0)
			sum = 0xffff;
		memcpy(t + csum_at, &sum, 2);
	}
	wire_ipv4_emit(b + ETHER_HDR_LEN, (uint16_t)(IPV4_HDR_MIN + len), 0, 1, 0, 64, proto, FZ_PEER,
		       FZ_US);
	vh_dev_input(dev, p);
}

#endif
