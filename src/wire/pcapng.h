/* pcapng.h: encoding of pcapng blocks into caller buffers.
 *
 * The PCAP Next Generation capture file format (draft-ietf-opsawg-pcapng):
 * a Section Header Block (SHB), one Interface Description Block (IDB) per
 * interface, then Enhanced Packet Blocks (EPB) and Interface Statistics
 * Blocks (ISB). Every block is
 *
 *	type(4) total_length(4) body... options... total_length(4)
 *
 * with the body and every option padded to 32 bits. Blocks are written in
 * host byte order; the byte-order magic in the SHB tells readers which one.
 *
 * Pure wire code: no allocation, no logging, no state. Each encoder returns
 * the number of bytes written, or -ENOSPC when the buffer is too small (the
 * buffer is then left in an unspecified state), or -EINVAL for values the
 * format cannot carry. */
#ifndef VH_WIRE_PCAPNG_H
#define VH_WIRE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

enum {
	PCAPNG_BT_SHB = 0x0A0D0D0A,
	PCAPNG_BT_IDB = 0x00000001,
	PCAPNG_BT_ISB = 0x00000005,
	PCAPNG_BT_EPB = 0x00000006,
	PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D,
	PCAPNG_LINKTYPE_ETHERNET = 1,
	PCAPNG_TSRESOL_NS = 9, /* if_tsresol: 10^-9 s */
};

/* Option codes (section 3.5 and the per-block option tables). */
enum {
	PCAPNG_OPT_END = 0,
	PCAPNG_OPT_SHB_USERAPPL = 4,
	PCAPNG_OPT_IF_NAME = 2,
	PCAPNG_OPT_IF_DESCRIPTION = 3,
	PCAPNG_OPT_IF_MACADDR = 6,
	PCAPNG_OPT_IF_TSRESOL = 9,
	PCAPNG_OPT_EPB_FLAGS = 2,
	PCAPNG_OPT_ISB_STARTTIME = 2,
	PCAPNG_OPT_ISB_ENDTIME = 3,
	PCAPNG_OPT_ISB_IFRECV = 4,
	PCAPNG_OPT_ISB_IFDROP = 5,
	PCAPNG_OPT_ISB_FILTERACCEPT = 6,
	PCAPNG_OPT_ISB_OSDROP = 7,
	PCAPNG_OPT_ISB_USRDELIV = 8,
};

/* epb_flags bits 0-1: the direction of the packet. */
enum pcapng_dir {
	PCAPNG_DIR_UNKNOWN = 0,
	PCAPNG_DIR_INBOUND = 1,
	PCAPNG_DIR_OUTBOUND = 2,
};

/* Fixed parts, for callers that size buffers. */
enum {
	PCAPNG_EPB_FIXED = 32,     /* header(8) ifid ts_hi ts_lo caplen origlen, trailer(4) */
	PCAPNG_EPB_FLAGS_OPT = 12, /* epb_flags(8) + opt_endofopt(4) */
	PCAPNG_ISB_MAX = 24 + 7 * 12 + 4, /* fixed part, every counter option, endofopt */
};

struct pcapng_idb {
	uint16_t linktype;       /* PCAPNG_LINKTYPE_ETHERNET */
	uint32_t snaplen;        /* 0: no limit */
	const char *name;        /* if_name; NULL: omitted */
	const char *description; /* if_description; NULL: omitted */
	const uint8_t *mac;      /* if_MACaddr, 6 bytes; NULL: omitted */
	uint8_t tsresol;         /* if_tsresol; 0: omitted (readers assume microseconds) */
};

/* Which ISB counters are present. */
enum {
	PCAPNG_ISB_HAS_STARTTIME = 1u << 0,
	PCAPNG_ISB_HAS_ENDTIME = 1u << 1,
	PCAPNG_ISB_HAS_IFRECV = 1u << 2,
	PCAPNG_ISB_HAS_IFDROP = 1u << 3,
	PCAPNG_ISB_HAS_FILTERACCEPT = 1u << 4,
	PCAPNG_ISB_HAS_OSDROP = 1u << 5,
	PCAPNG_ISB_HAS_USRDELIV = 1u << 6,
};

struct pcapng_isb {
	uint32_t ifid;     /* IDB index in the section */
	uint64_t ts;       /* when the statistics were taken, in the IDB's units */
	unsigned present;  /* PCAPNG_ISB_HAS_* */
	uint64_t starttime, endtime;
	uint64_t ifrecv, ifdrop, filteraccept, osdrop, usrdeliv;
};

/* Section Header Block, version 1.0, section length unknown (-1), with
 * shb_userappl when userappl is not NULL. */
int pcapng_shb(uint8_t *buf, size_t size, const char *userappl);

int pcapng_idb(uint8_t *buf, size_t size, const struct pcapng_idb *idb);

/* Size of the EPB pcapng_epb() writes for caplen bytes, with or without the
 * epb_flags option (flags != 0). caplen must be at most PCAPNG_CAPLEN_MAX. */
size_t pcapng_epb_size(uint32_t caplen, uint32_t flags);
#define PCAPNG_CAPLEN_MAX (UINT32_C(1) << 30)

/* Enhanced Packet Block: caplen bytes of data out of a packet of origlen,
 * timestamp ts in the IDB's units, epb_flags when flags != 0. */
int pcapng_epb(uint8_t *buf, size_t size, uint32_t ifid, uint64_t ts, uint32_t flags,
	       const void *data, uint32_t caplen, uint32_t origlen);

int pcapng_isb(uint8_t *buf, size_t size, const struct pcapng_isb *isb);

#endif
