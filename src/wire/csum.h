/* csum.h: the Internet checksum (RFC 1071) and its incremental update (RFC 1624). */
#ifndef VH_WIRE_CSUM_H
#define VH_WIRE_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of data folded into 32 bits, added to `sum`. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
/* Fold and complement: the value that goes in a checksum field (network order bytes). */
uint16_t wire_csum_fold(uint32_t sum);
/* Checksum of one buffer: 0 when a buffer that contains its checksum is intact. */
static inline uint16_t wire_csum(const void *data, size_t len)
{
	return wire_csum_fold(wire_csum_add(0, data, len));
}
/* Sum of the TCP/UDP pseudo-header (addresses in network order). */
uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);
/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from old to new.
 * All three in the byte order they have in the packet. */
uint16_t wire_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

#endif
