/* fuzz-stack-input.c: arbitrary bytes as a frame received by a whole stack.
 *
 * One stack lives for the whole run, so state (ARP entries, reassembly,
 * pending queues) carries from input to input as it would on a wire. The
 * injected clock advances 50 ms per input, so retries, aging and reassembly
 * timeouts fire. After each input every packet buffer must be accounted for:
 * free, waiting for ARP, held by reassembly, or looped back.
 *
 *   peer 192.0.2.1 (static ARP) --- test0 192.0.2.2/24, 10.1.0.2/16
 *   198.51.100.0/24 via 192.0.2.1;  192.0.2.9 never answers ARP */
#include <stdlib.h>

#include "../unit/testnic.h"
#include "fuzz.h"

static struct tn_clock clk;
static struct vh_stack *st;
static struct vh_dev *nic;

static void setup(void)
{
	uint32_t a;
	unsigned plen;

	st = tn_stack_new(&clk, "fuzz");
	nic = tn_nic(st, "test0", 2, "192.0.2.2/24");
	vh_parse_cidr("10.1.0.2/16", &a, &plen);
	vh_iface_add(st, nic, a, plen, NULL);
	tn_neigh(st, nic, "192.0.2.1");
	rt_add(st, tn_addr("198.51.100.0"), 24, tn_addr("192.0.2.1"), NULL, 0, RT_F_STATIC, NULL);
	tn_clear(nic);
}

static void check_buffers(void)
{
	unsigned held = st->arp.pending + st->ip.reasm.used + st->backlog.len;
	unsigned avail = st->pool.avail + st->bigpool.avail;

	if (avail + held != st->pool.total + st->bigpool.total) {
		fprintf(stderr, "buffer leak: %u free + %u held != %u\n", avail, held,
			st->pool.total + st->bigpool.total);
		abort();
	}
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
	check_buffers();
	return 0;
}
