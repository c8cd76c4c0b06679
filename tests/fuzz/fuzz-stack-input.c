/* fuzz-stack-input.c: arbitrary bytes as a frame received by a whole stack.
 *
 * One stack lives for the whole run, so state (ARP entries, reassembly,
 * pending queues) carries from input to input as it would on a wire. The
 * injected clock advances 50 ms per input, so retries, aging and reassembly
 * timeouts fire. After each input every packet buffer must be accounted for:
 * free, waiting for ARP, held by reassembly, or looped back.
 *
 *   peer 192.0.2.1 (static ARP) --- test0 192.0.2.2/24, 10.1.0.2/16
 *                                    test1 198.18.0.1/24 --- (nobody answers ARP)
 *   198.51.100.0/24 via 192.0.2.1, 203.0.113.0/24 via 198.18.0.9; forwarding on,
 *   so frames for other hosts take the router's path too. */
#include <stdlib.h>

#include "../unit/testnic.h"
#include "fuzz.h"

static struct tn_clock clk;
static struct vh_stack *st;
static struct vh_dev *nic, *nic1;

static void setup(void)
{
	uint32_t a;
	unsigned plen;

	st = tn_fixture(&clk, "fuzz", &nic);
	vh_parse_cidr("10.1.0.2/16", &a, &plen);
	vh_iface_add(st, nic, a, plen, NULL);
	nic1 = tn_nic(st, "test1", 3, "198.18.0.1/24");
	rt_add(st, tn_addr("198.51.100.0"), 24, tn_addr("192.0.2.1"), NULL, 0, RT_F_STATIC, NULL);
	rt_add(st, tn_addr("203.0.113.0"), 24, tn_addr("198.18.0.9"), NULL, 0, RT_F_STATIC, NULL);
	nic1->mtu = 576; /* forwarded datagrams get fragmented, or refused with DF */
	vh_stack_set_forwarding(st, true);
	tn_clear(nic);
	tn_clear(nic1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st)
		setup();
	if (size > VH_PKT_BIG)
		return 0;
	tn_inject(nic, data, size);
	clk.now += 50 * VH_MS;
	vh_stack_poll(st, 0); /* looped-back packets and due timers */
	tn_clear(nic);
	tn_clear(nic1);
	if (!tn_buffers_ok(st))
		abort();
	return 0;
}
