/* fuzz-stack-frames.c: a sequence of frames, with time between them, into a
 * fresh stack per input, so stateful paths (reassembly, ARP resolution and
 * retries, forwarding through an unresolved next hop) are reached and every
 * finding reproduces from its input alone.
 *
 * Input: repeated [delay: 1 byte, x 100 ms][length: 2 bytes, big-endian][frame].
 * The topology is fuzz-stack-input's; at the end the clock runs on a minute
 * so every timer fires, every buffer must be accounted for, and the stack is
 * freed (ASan reports anything left allocated). */
#include <stdlib.h>

#include "../unit/testnic.h"
#include "fuzz.h"

static void check_buffers(struct vh_stack *st)
{
	unsigned held = st->arp.pending + st->ip.reasm.used + st->backlog.len;
	unsigned avail = st->pool.avail + st->bigpool.avail;

	if (avail + held != st->pool.total + st->bigpool.total)
		abort(); /* a packet buffer went missing */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_clock clk = {0};
	struct vh_dev *nic, *nic1;
	struct vh_stack *st = tn_fixture(&clk, "fuzz", &nic);

	nic1 = tn_nic(st, "test1", 3, "198.18.0.1/24");
	nic1->mtu = 576;
	rt_add(st, tn_addr("203.0.113.0"), 24, tn_addr("198.18.0.9"), NULL, 0, RT_F_STATIC, NULL);
	vh_stack_set_forwarding(st, true);
	tn_clear(nic1);
	while (size >= 3) {
		size_t len = (size_t)(data[1] << 8 | data[2]);
		clk.now += data[0] * 100 * VH_MS;
		vh_stack_poll(st, 0);
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		tn_inject(nic, data, len);
		data += len;
		size -= len;
		tn_clear(nic);
		tn_clear(nic1);
		check_buffers(st);
	}
	for (int i = 0; i < 60; i++) {
		clk.now += VH_SEC;
		vh_stack_poll(st, 0);
		tn_clear(nic);
		tn_clear(nic1);
	}
	check_buffers(st);
	vh_stack_free(st);
	return 0;
}
