/* pcapng.c: encoding of pcapng blocks (draft-ietf-opsawg-pcapng).
 *
 * Each encoder first computes the block's total length, refuses a buffer that
 * is too small, then writes front to back with no further checks. Padding
 * bytes are zero so that two encodings of the same block compare equal. */
#include "wire/pcapng.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* Option values are 16-bit lengths. */
#define OPT_LEN_MAX 0xffffu

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An option with its value padded to 32 bits. */
static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* A pcapng timestamp is two 32-bit words, high first, each in the section's
 * byte order (not one 64-bit integer: the halves are not swapped). */
static uint8_t *put_ts(uint8_t *p, uint64_t ts)
{
	p = put32(p, (uint32_t)(ts >> 32));
	return put32(p, (uint32_t)ts);
}

static uint8_t *put_bytes(uint8_t *p, const void *v, size_t len)
{
	memcpy(p, v, len);
	memset(p + len, 0, pad4(len) - len);
	return p + pad4(len);
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *v, size_t len)
{
	p = put16(p, code);
	p = put16(p, (uint16_t)len);
	return put_bytes(p, v, len);
}

static uint8_t *put_opt_ts(uint8_t *p, uint16_t code, uint64_t ts)
{
	p = put16(p, code);
	p = put16(p, 8);
	return put_ts(p, ts);
}

static uint8_t *put_opt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
	return put_opt(p, code, &v, sizeof(v));
}

static uint8_t *put_opt_end(uint8_t *p)
{
	return put32(p, 0);
}

/* Block header; the length is written again by block_end(). */
static uint8_t *block_begin(uint8_t *p, uint32_t type, size_t total)
{
	p = put32(p, type);
	return put32(p, (uint32_t)total);
}

static int block_end(uint8_t *start, uint8_t *p, size_t total)
{
	p = put32(p, (uint32_t)total);
	/* The sizing and the writing must agree, or the block is corrupt. */
	assert((size_t)(p - start) == total);
	return (int)total;
}

int pcapng_shb(uint8_t *buf, size_t size, const char *userappl)
{
	size_t alen = userappl ? strlen(userappl) : 0;
	size_t total = 28;
	uint8_t *p = buf;

	if (alen > OPT_LEN_MAX)
		return -EINVAL;
	if (userappl)
		total += opt_size(alen) + 4;
	if (size < total)
		return -ENOSPC;

	p = block_begin(p, PCAPNG_BT_SHB, total);
	p = put32(p, PCAPNG_BYTE_ORDER_MAGIC);
	p = put16(p, 1); /* major */
	p = put16(p, 0); /* minor */
	/* Section length -1: not known, the file is written as a stream. */
	p = put32(p, 0xffffffffu);
	p = put32(p, 0xffffffffu);
	if (userappl) {
		p = put_opt(p, PCAPNG_OPT_SHB_USERAPPL, userappl, alen);
		p = put_opt_end(p);
	}
	return block_end(buf, p, total);
}

int pcapng_idb(uint8_t *buf, size_t size, const struct pcapng_idb *idb)
{
	size_t nlen = idb->name ? strlen(idb->name) : 0;
	size_t dlen = idb->description ? strlen(idb->description) : 0;
	size_t opts = 0, total;
	uint8_t *p = buf;

	if (nlen > OPT_LEN_MAX || dlen > OPT_LEN_MAX)
		return -EINVAL;
	if (idb->name)
		opts += opt_size(nlen);
	if (idb->description)
		opts += opt_size(dlen);
	if (idb->mac)
		opts += opt_size(6);
	if (idb->tsresol)
		opts += opt_size(1);
	if (opts)
		opts += 4;
	total = 20 + opts;
	if (size < total)
		return -ENOSPC;

	p = block_begin(p, PCAPNG_BT_IDB, total);
	p = put16(p, idb->linktype);
	p = put16(p, 0); /* reserved */
	p = put32(p, idb->snaplen);
	if (idb->name)
		p = put_opt(p, PCAPNG_OPT_IF_NAME, idb->name, nlen);
	if (idb->description)
		p = put_opt(p, PCAPNG_OPT_IF_DESCRIPTION, idb->description, dlen);
	if (idb->mac)
		p = put_opt(p, PCAPNG_OPT_IF_MACADDR, idb->mac, 6);
	if (idb->tsresol)
		p = put_opt(p, PCAPNG_OPT_IF_TSRESOL, &idb->tsresol, 1);
	if (opts)
		p = put_opt_end(p);
	return block_end(buf, p, total);
}

size_t pcapng_epb_size(uint32_t caplen, uint32_t flags)
{
	return PCAPNG_EPB_FIXED + pad4(caplen) + (flags ? PCAPNG_EPB_FLAGS_OPT : 0);
}

int pcapng_epb(uint8_t *buf, size_t size, uint32_t ifid, uint64_t ts, uint32_t flags,
	       const void *data, uint32_t caplen, uint32_t origlen)
{
	size_t total;
	uint8_t *p = buf;

	/* The format allows caplen > origlen, but no reader makes sense of it. */
	if (caplen > PCAPNG_CAPLEN_MAX || caplen > origlen)
		return -EINVAL;
	total = pcapng_epb_size(caplen, flags);
	if (size < total)
		return -ENOSPC;

	p = block_begin(p, PCAPNG_BT_EPB, total);
	p = put32(p, ifid);
	p = put_ts(p, ts);
	p = put32(p, caplen);
	p = put32(p, origlen);
	p = put_bytes(p, data, caplen);
	if (flags) {
		p = put_opt(p, PCAPNG_OPT_EPB_FLAGS, &flags, sizeof(flags));
		p = put_opt_end(p);
	}
	return block_end(buf, p, total);
}

int pcapng_isb(uint8_t *buf, size_t size, const struct pcapng_isb *isb)
{
	/* Counters in the order of their option codes, as most writers do. */
	const struct {
		unsigned bit;
		uint16_t code;
		uint64_t v;
	} ctr[] = {
		{PCAPNG_ISB_HAS_IFRECV, PCAPNG_OPT_ISB_IFRECV, isb->ifrecv},
		{PCAPNG_ISB_HAS_IFDROP, PCAPNG_OPT_ISB_IFDROP, isb->ifdrop},
		{PCAPNG_ISB_HAS_FILTERACCEPT, PCAPNG_OPT_ISB_FILTERACCEPT, isb->filteraccept},
		{PCAPNG_ISB_HAS_OSDROP, PCAPNG_OPT_ISB_OSDROP, isb->osdrop},
		{PCAPNG_ISB_HAS_USRDELIV, PCAPNG_OPT_ISB_USRDELIV, isb->usrdeliv},
	};
	unsigned nopt = 0;
	size_t total;
	uint8_t *p = buf;

	for (unsigned bit = 1; bit <= PCAPNG_ISB_HAS_USRDELIV; bit <<= 1)
		nopt += (isb->present & bit) != 0;
	total = 24 + nopt * opt_size(8) + (nopt ? 4 : 0);
	if (size < total)
		return -ENOSPC;

	p = block_begin(p, PCAPNG_BT_ISB, total);
	p = put32(p, isb->ifid);
	p = put_ts(p, isb->ts);
	if (isb->present & PCAPNG_ISB_HAS_STARTTIME)
		p = put_opt_ts(p, PCAPNG_OPT_ISB_STARTTIME, isb->starttime);
	if (isb->present & PCAPNG_ISB_HAS_ENDTIME)
		p = put_opt_ts(p, PCAPNG_OPT_ISB_ENDTIME, isb->endtime);
	for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++)
		if (isb->present & ctr[i].bit)
			p = put_opt_u64(p, ctr[i].code, ctr[i].v);
	if (nopt)
		p = put_opt_end(p);
	return block_end(buf, p, total);
}
