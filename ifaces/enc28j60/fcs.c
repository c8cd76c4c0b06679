/* fcs.c: CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320), four bits
 * a step so the table stays small. */
#include "fcs.h"

static const uint32_t nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t enc_fcs(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		c = (c >> 4) ^ nibble[c & 15];
		c = (c >> 4) ^ nibble[c & 15];
	}
	return ~c;
}

bool enc_fcs_ok(const uint8_t *p, size_t n)
{
	uint32_t want;

	if (n < 4) /* no room for an FCS at all */
		return false;
	want = enc_fcs(p, n - 4);
	p += n - 4;
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) == want;
}
