/* test-checksum.c: the Internet checksum (RFC 1071), its incremental update
 * (RFC 1624) and the TCP/UDP pseudo-header, against a naive reference. */
#include <stdlib.h>

#include "check.h"
#include "wire/bytes.h"
#include "wire/csum.h"

/* The RFC 1071 definition, word by word in network order: the checksum as a
 * big-endian value. */
static uint16_t naive_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8; /* padded with a zero octet */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Our checksum as stored in a packet, read back big-endian. */
static uint16_t stored(uint16_t c)
{
	uint8_t b[2];
	memcpy(b, &c, 2);
	return get_be16(b);
}

static void test_rfc1071_example(void)
{
	/* RFC 1071 §3: the sum of these words is ddf2, so the checksum is 220d. */
	const uint8_t d[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	CHECK_EQ(stored(wire_csum(d, 8)), 0x220d);
	CHECK_EQ(naive_csum(d, 8), 0x220d);
	/* Split sums give the same answer as one pass. */
	CHECK_EQ(stored(wire_csum_fold(wire_csum_add(wire_csum_add(0, d, 4), d + 4, 4))), 0x220d);
	/* A buffer with its checksum in it sums to zero. */
	uint8_t e[10];
	memcpy(e, d, 8);
	uint16_t c = wire_csum(d, 8);
	memcpy(e + 8, &c, 2);
	CHECK_EQ(wire_csum(e, 10), 0);
	CHECK_EQ(stored(wire_csum(NULL, 0)), 0xffff);
}

static void test_odd_lengths_and_alignment(void)
{
	uint8_t buf[300];
	unsigned bad = 0;

	srand(1071);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % 260), off = (size_t)(rand() % 8);
		for (size_t i = 0; i < len; i++)
			buf[off + i] = (uint8_t)rand();
		if (stored(wire_csum(buf + off, len)) != naive_csum(buf + off, len))
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* One odd byte is the high half of a word. */
	const uint8_t one = 0x12;
	CHECK_EQ(stored(wire_csum(&one, 1)), (uint16_t)~0x1200);
	/* Sums that carry many times fold correctly. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(stored(wire_csum(buf, 299)), naive_csum(buf, 299));
}

static void test_incremental_update(void)
{
	uint8_t h[20];
	unsigned bad = 0;

	srand(1624);
	for (int round = 0; round < 5000; round++) {
		for (int i = 0; i < 20; i++)
			h[i] = (uint8_t)rand();
		h[0] = 0x45; /* never all zero */
		h[10] = h[11] = 0;
		uint16_t c = wire_csum(h, 20), oldv, newv;
		memcpy(h + 10, &c, 2);
		unsigned at = 2 * (unsigned)(rand() % 10);
		if (at == 10)
			at = 8; /* not the checksum field itself: the TTL/protocol word */
		memcpy(&oldv, h + at, 2);
		newv = (uint16_t)rand();
		memcpy(h + at, &newv, 2);
		uint16_t inc = wire_csum_update16(c, oldv, newv);
		h[10] = h[11] = 0;
		if (inc != wire_csum(h, 20))
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* The RFC 1624 §4 example: eqn. 3 gives 0x0000 where eqn. 2 gave the wrong 0xffff.
	 * HC = 0xdd2f, m = 0x5555, m' = 0x3285. */
	uint8_t hc[2] = {0xdd, 0x2f}, m[2] = {0x55, 0x55}, m2[2] = {0x32, 0x85};
	uint16_t vhc, vm, vm2;
	memcpy(&vhc, hc, 2);
	memcpy(&vm, m, 2);
	memcpy(&vm2, m2, 2);
	CHECK_EQ(stored(wire_csum_update16(vhc, vm, vm2)), 0x0000);
}

static void test_pseudo_header(void)
{
	/* 192.0.2.1 -> 198.51.100.2, UDP, length 12, then the 12-byte segment. */
	const uint8_t ph[12] = {192, 0, 2, 1, 198, 51, 100, 2, 0, 17, 0, 12};
	const uint8_t seg[12] = {0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0, 0, 'a', 'b', 'c', 'd'};
	uint8_t all[24];
	uint32_t src = get_addr(ph), dst = get_addr(ph + 4);

	memcpy(all, ph, 12);
	memcpy(all + 12, seg, 12);
	CHECK_EQ(wire_csum_fold(wire_csum_pseudo(src, dst, 17, 12)), wire_csum(ph, 12));
	CHECK_EQ(stored(wire_csum_fold(wire_csum_add(wire_csum_pseudo(src, dst, 17, 12), seg, 12))),
		 naive_csum(all, 24));
	/* The protocol is part of the sum. */
	CHECK(wire_csum_pseudo(src, dst, 6, 1) != wire_csum_pseudo(src, dst, 17, 1));
}

int main(void)
{
	test_rfc1071_example();
	test_odd_lengths_and_alignment();
	test_incremental_update();
	test_pseudo_header();
	return check_done();
}
