/* csum.c: RFC 1071 Internet checksum, RFC 1624 incremental update.
 *
 * The sum is computed over the bytes in memory order; because one's-complement
 * addition is byte-order independent (RFC 1071 §2(B)), the folded result can
 * be stored back as-is without swapping. */
#include <string.h>

#include "wire/csum.h"

uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/* 8 bytes at a time into a 64-bit accumulator: carries land in the high half. */
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high-order byte of a 16-bit word padded with zero (in memory order). */
		uint16_t w = 0;
		memcpy(&w, p, 1);
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t wire_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	uint8_t ph[12];
	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(len >> 8);
	ph[11] = (uint8_t)len;
	return wire_csum_add(0, ph, sizeof(ph));
}

uint16_t wire_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~csum;
	s += (uint16_t)~old;
	s += new_;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}
