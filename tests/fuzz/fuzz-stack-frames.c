/* fuzz-stack-frames.c: a sequence of frames, with time between them, into a
 * fresh stack per input, so stateful paths (reassembly, ARP resolution and
 * retries, forwarding through an unresolved next hop) are reached and every
 * finding reproduces from its input alone.
 *
 * Input: [log level: 1 byte, mod 5] then repeated
 *        [delay: 1 byte, x 100 ms][length: 2 bytes, big-endian][frame];
 * at debug and trace levels every log line and packet dump is formatted too.
 * The topology is fuzz-stack-input's; at the end the clock runs on a minute
 * so every timer fires, every buffer must be accounted for, and the stack is
 * freed (ASan reports anything left allocated).
 *
 * An oracle for reassembly: every byte of a datagram delivered to protocol
 * 253 must have been sent, at that offset, by some frame of the input with the
 * same source, destination and identification. A datagram with a hole or a
 * misplaced fragment aborts. */
#include <stdlib.h>

#include "../unit/testnic.h"
#include "fuzz.h"

#define FRAGS_MAX 512

static struct frag {
	uint32_t src, dst;
	uint16_t id;
	unsigned off;
	const uint8_t *data;
	size_t len;
} frags[FRAGS_MAX];
static unsigned nfrags;
static uint8_t covered[IPV4_MAX_LEN];

static void record(const uint8_t *frame, size_t len)
{
	struct wire_ether eth;
	struct wire_ipv4 ip;

	if (nfrags == FRAGS_MAX || wire_ether_parse(frame, len, &eth) < 0 ||
	    eth.type != ETHER_TYPE_IPV4 ||
	    wire_ipv4_parse(eth.payload, eth.payload_len, &ip, NULL) < 0 || ip.proto != 253)
		return;
	frags[nfrags++] = (struct frag){ip.src, ip.dst, ip.id, ip.frag_off, ip.payload,
					ip.payload_len};
}

static void proto253(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	uint16_t id = get_be16(pkt->l3 + 4);

	(void)st;
	memset(covered, 0, pkt->len);
	for (unsigned f = 0; f < nfrags; f++) {
		const struct frag *g = &frags[f];
		if (g->src != rx->src || g->dst != rx->dst || g->id != id)
			continue;
		for (size_t i = 0; i < g->len && g->off + i < pkt->len; i++)
			covered[g->off + i] |= g->data[i] == pkt->data[g->off + i];
	}
	for (uint32_t i = 0; i < pkt->len; i++)
		if (!covered[i]) {
			fprintf(stderr, "byte %u of a %u-byte datagram was never sent\n", i, pkt->len);
			abort();
		}
	vh_pkt_free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_clock clk = {0};
	struct vh_dev *nic, *nic1;
	/* Small pools: a stack is made and freed for every input. */
	struct vh_stack *st = tn_fixture_sized(&clk, "fuzz", 128, 20, &nic);

	nic1 = tn_nic(st, "test1", 3, "198.18.0.1/24");
	nic1->mtu = 576;
	rt_add(st, tn_addr("203.0.113.0"), 24, tn_addr("198.18.0.9"), NULL, 0, RT_F_STATIC, NULL);
	vh_stack_set_forwarding(st, true);
	ipv4_register(st, 253, proto253);
	nfrags = 0;
	tn_clear(nic1);
	if (size) {
		vh_stack_set_log_level(st, (enum vh_log_level)(data[0] % 5));
		data++;
		size--;
	}
	while (size >= 3) {
		size_t len = (size_t)(data[1] << 8 | data[2]);
		clk.now += data[0] * 100 * VH_MS;
		vh_stack_poll(st, 0);
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		record(data, len);
		tn_inject(nic, data, len);
		data += len;
		size -= len;
		tn_clear(nic);
		tn_clear(nic1);
		if (!tn_buffers_ok(st))
			abort();
	}
	vh_stack_poll(st, 0);
	tn_advance(st, &clk, 60 * VH_SEC, VH_SEC);
	tn_clear(nic);
	tn_clear(nic1);
	if (!tn_buffers_ok(st))
		abort();
	vh_stack_free(st);
	return 0;
}
