/* bytes.h: big-endian loads and stores on unaligned bytes. */
#ifndef VH_WIRE_BYTES_H
#define VH_WIRE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
/* An IPv4 address kept in network order in a uint32_t, as the stack keeps them. */
static inline uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;
	memcpy(&a, p, 4);
	return a;
}
static inline void put_addr(uint8_t *p, uint32_t a)
{
	memcpy(p, &a, 4);
}

#endif
