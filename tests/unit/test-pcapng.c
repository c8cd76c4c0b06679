/* test-pcapng.c: byte-exact encodings of the pcapng blocks vhost writes.
 *
 * The expected bytes are written out by hand from the block layouts in
 * draft-ietf-opsawg-pcapng, in little-endian order (the encoder writes host
 * order; the byte-order magic tells readers which). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "wire/pcapng.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the expected bytes below are little-endian"
#endif

/* Encode into a buffer of exactly the expected size and one byte less,
 * and check that nothing past the block is touched. */
#define CHECK_BLOCK(call_with_buf_size, expect)                                                    \
	do {                                                                                       \
		uint8_t buf[512];                                                                  \
		size_t size = sizeof(expect);                                                      \
		memset(buf, 0xa5, sizeof(buf));                                                    \
		CHECK_EQ(call_with_buf_size, (int)sizeof(expect));                                 \
		CHECK_MEM(buf, expect, sizeof(expect));                                            \
		CHECK_EQ(buf[sizeof(expect)], 0xa5);                                               \
		size = sizeof(expect) - 1;                                                         \
		CHECK_EQ(call_with_buf_size, -ENOSPC);                                             \
		size = 0;                                                                          \
		CHECK_EQ(call_with_buf_size, -ENOSPC);                                             \
	} while (0)

static void test_shb(void)
{
	static const uint8_t with_appl[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0,           /* type, length */
		0x4d, 0x3c, 0x2b, 0x1a,                         /* byte-order magic */
		1, 0, 0, 0,                                     /* version 1.0 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* section length -1 */
		4, 0, 5, 0, 'v', 'h', 'o', 's', 't', 0, 0, 0,   /* shb_userappl, padded */
		0, 0, 0, 0,                                     /* opt_endofopt */
		44, 0, 0, 0,
	};
	static const uint8_t bare[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0,    0,    0,    0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
		0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28,   0,    0, 0,
	};

	CHECK_BLOCK(pcapng_shb(buf, size, "vhost"), with_appl);
	CHECK_BLOCK(pcapng_shb(buf, size, NULL), bare);
}

static void test_idb(void)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x01, 0x0a};
	static const uint8_t full[] = {
		1, 0, 0, 0, 68, 0, 0, 0,                         /* IDB, length */
		1, 0, 0, 0,                                      /* Ethernet, reserved */
		0, 0, 4, 0,                                      /* snaplen 262144 */
		2, 0, 4, 0, 't', 'a', 'p', '0',                  /* if_name, no padding */
		3, 0, 9, 0, 'v', 'h', 'o', 's', 't', ' ', 'N', 'I', 'C', 0, 0, 0, /* description */
		6, 0, 6, 0, 0x02, 0, 0, 0, 0x01, 0x0a, 0, 0,     /* if_MACaddr */
		9, 0, 1, 0, 9, 0, 0, 0,                          /* if_tsresol = ns */
		0, 0, 0, 0,                                      /* opt_endofopt */
		68, 0, 0, 0,
	};
	static const uint8_t bare[] = {
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xdc, 0x05, 0, 0, 20, 0, 0, 0,
	};
	struct pcapng_idb idb = {
		.linktype = PCAPNG_LINKTYPE_ETHERNET,
		.snaplen = 262144,
		.name = "tap0",
		.description = "vhost NIC",
		.mac = mac,
		.tsresol = PCAPNG_TSRESOL_NS,
	};
	struct pcapng_idb plain = {.linktype = PCAPNG_LINKTYPE_ETHERNET, .snaplen = 1500};

	CHECK_BLOCK(pcapng_idb(buf, size, &idb), full);
	CHECK_BLOCK(pcapng_idb(buf, size, &plain), bare);
}

static void test_epb(void)
{
	static const uint8_t data[5] = {0xde, 0xad, 0xbe, 0xef, 0x42};
	static const uint8_t inbound[] = {
		6, 0, 0, 0, 52, 0, 0, 0,          /* EPB, length */
		1, 0, 0, 0,                       /* interface 1 */
		1, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, /* ts high 1, low 0x12345678 */
		5, 0, 0, 0, 60, 0, 0, 0,          /* caplen 5 of 60 */
		0xde, 0xad, 0xbe, 0xef, 0x42, 0, 0, 0, /* data, padded */
		2, 0, 4, 0, 1, 0, 0, 0,           /* epb_flags: inbound */
		0, 0, 0, 0,                       /* opt_endofopt */
		52, 0, 0, 0,
	};
	static const uint8_t noflags[] = {
		6, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0,
		4, 0, 0, 0, 4, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 36, 0, 0, 0,
	};
	uint8_t out[64];

	CHECK_BLOCK(pcapng_epb(buf, size, 1, 0x112345678ull, PCAPNG_DIR_INBOUND, data, 5, 60),
		    inbound);
	CHECK_BLOCK(pcapng_epb(buf, size, 0, 9, 0, data, 4, 4), noflags);
	CHECK_EQ(pcapng_epb_size(5, PCAPNG_DIR_OUTBOUND), sizeof(inbound));
	CHECK_EQ(pcapng_epb_size(4, 0), sizeof(noflags));
	CHECK_EQ(pcapng_epb_size(0, 0), PCAPNG_EPB_FIXED);

	/* A snapshot longer than the packet is refused. */
	CHECK_EQ(pcapng_epb(out, sizeof(out), 0, 0, 0, data, 5, 4), -EINVAL);
	/* An empty frame is a valid block. */
	CHECK_EQ(pcapng_epb(out, sizeof(out), 0, 0, 0, data, 0, 0), PCAPNG_EPB_FIXED);
}

static void test_isb(void)
{
	static const uint8_t full[] = {
		5, 0, 0, 0, 88, 0, 0, 0,            /* ISB, length */
		1, 0, 0, 0,                         /* interface 1 */
		0, 0, 0, 0, 100, 0, 0, 0,           /* ts 100 */
		2, 0, 8, 0, 0, 0, 0, 0, 10, 0, 0, 0, /* isb_starttime 10 */
		3, 0, 8, 0, 0, 0, 0, 0, 99, 0, 0, 0, /* isb_endtime 99 */
		4, 0, 8, 0, 7, 0, 0, 0, 0, 0, 0, 0, /* isb_ifrecv 7 */
		5, 0, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0, /* isb_ifdrop 2 */
		7, 0, 8, 0, 3, 0, 0, 0, 1, 0, 0, 0, /* isb_osdrop 2^32 + 3 */
		0, 0, 0, 0,                         /* opt_endofopt */
		88, 0, 0, 0,
	};
	static const uint8_t bare[] = {
		5, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 24, 0, 0, 0,
	};
	struct pcapng_isb isb = {
		.ifid = 1,
		.ts = 100,
		.present = PCAPNG_ISB_HAS_STARTTIME | PCAPNG_ISB_HAS_ENDTIME |
			   PCAPNG_ISB_HAS_IFRECV | PCAPNG_ISB_HAS_IFDROP | PCAPNG_ISB_HAS_OSDROP,
		.starttime = 10,
		.endtime = 99,
		.ifrecv = 7,
		.ifdrop = 2,
		.osdrop = (1ull << 32) + 3,
		.filteraccept = 12345, /* not present: not written */
	};
	struct pcapng_isb empty = {.ts = 1};
	struct pcapng_isb all = {.present = ~0u};
	uint8_t out[PCAPNG_ISB_MAX];

	CHECK_BLOCK(pcapng_isb(buf, size, &isb), full);
	CHECK_BLOCK(pcapng_isb(buf, size, &empty), bare);
	/* Every option fits in the bound callers size their buffers with. */
	CHECK_EQ(pcapng_isb(out, sizeof(out), &all), PCAPNG_ISB_MAX);
}

int main(void)
{
	test_shb();
	test_idb();
	test_epb();
	test_isb();
	return check_done();
}
