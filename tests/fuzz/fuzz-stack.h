/* fuzz-stack.h: the transport fuzzers' stack and segment injector.
 *
 * A fresh test stack per input (tn_fixture: 192.0.2.2/24, the peer 192.0.2.1
 * known), so each input replays alike. fz_inject wraps fuzzer bytes in IPv4
 * from the peer and fixes up the transport checksum unless asked not to, so
 * the fuzzer gets past it in an ordinary (non-VH_FUZZING) build too. */
#ifndef VH_FUZZ_STACK_H
#define VH_FUZZ_STACK_H

#include "../unit/testnic.h"
#include "fuzz.h"

#define FZ_MAX_L4 1480

static struct tn_clock fz_clk;

static inline struct vh_stack *fz_stack(struct vh_dev **ret_dev)
{
	memset(&fz_clk, 0, sizeof(fz_clk));
	return tn_fixture(&fz_clk, "fuzz", ret_dev);
}

static inline void fz_inject(struct vh_dev *dev, uint8_t proto, const uint8_t *l4, size_t len,
			     size_t csum_at, int fix)
{
	uint8_t seg[FZ_MAX_L4], frame[ETHER_HDR_LEN + IPV4_HDR_MIN + FZ_MAX_L4];
	uint32_t src = tn_addr("192.0.2.1"), dst = tn_addr("192.0.2.2");

	if (len > FZ_MAX_L4)
		len = FZ_MAX_L4;
	memcpy(seg, l4, len);
	if (fix && csum_at + 2 <= len) {
		uint16_t sum;
		seg[csum_at] = seg[csum_at + 1] = 0;
		sum = wire_csum_fold(
			wire_csum_add(wire_csum_pseudo(src, dst, proto, (uint32_t)len), seg, len));
		if (proto == IPPROTO_UDP_ && sum == 0)
			sum = 0xffff; /* zero means "no checksum" in UDP */
		memcpy(seg + csum_at, &sum, 2);
	}
	tn_inject(dev, frame,
		  tn_ipv4_frame(frame, dev->hwaddr, tn_peer_mac, src, dst, proto, 1, 0, seg, len));
}

#endif
