/* test-wire.c: parse/emit round trips of src/wire/ and every rejection path
 * of each parser, on hand-built byte arrays. */
#include <errno.h>

#include "check.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/csum.h"
#include "wire/ether.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b};

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t x[4] = {a, b, c, d};
	return get_addr(x);
}

static void test_ether(void)
{
	uint8_t f[64] = {0};
	struct wire_ether e;

	wire_ether_emit(f, mac_b, mac_a, ETHER_TYPE_IPV4);
	CHECK_EQ(wire_ether_parse(f, 60, &e), 0);
	CHECK_MEM(e.dst, mac_b, 6);
	CHECK_MEM(e.src, mac_a, 6);
	CHECK_EQ(e.type, ETHER_TYPE_IPV4);
	CHECK(e.payload == f + 14);
	CHECK_EQ(e.payload_len, 46);
	CHECK_EQ(wire_ether_parse(f, 14, &e), 0);
	CHECK_EQ(e.payload_len, 0);
	CHECK_EQ(wire_ether_parse(f, 13, &e), -EINVAL);
	CHECK_EQ(wire_ether_parse(f, 0, &e), -EINVAL);
	put_be16(f + 12, 0x05dc); /* an 802.3 length */
	CHECK_EQ(wire_ether_parse(f, 60, &e), -EPROTONOSUPPORT);
	put_be16(f + 12, 0x0600);
	CHECK_EQ(wire_ether_parse(f, 60, &e), 0);
	CHECK(ether_is_bcast((const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
	CHECK(!ether_is_bcast((const uint8_t[6]){0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
	CHECK(ether_is_mcast((const uint8_t[6]){0x01, 0, 0x5e, 0, 0, 1}));
	CHECK(!ether_is_mcast(mac_a));
}

static void test_arp(void)
{
	uint8_t p[ARP_LEN + 4] = {0};
	struct wire_arp a;
	uint32_t spa = ip4(192, 0, 2, 1), tpa = ip4(192, 0, 2, 2);

	wire_arp_emit(p, ARP_OP_REQUEST, mac_a, spa, mac_b, tpa);
	/* The bytes, as RFC 826 lays them out. */
	const uint8_t want[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};
	CHECK_MEM(p, want, 8);
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), 0);
	CHECK_EQ(a.op, ARP_OP_REQUEST);
	CHECK_MEM(a.sha, mac_a, 6);
	CHECK_MEM(a.tha, mac_b, 6);
	CHECK_EQ(a.spa, spa);
	CHECK_EQ(a.tpa, tpa);
	CHECK_EQ(wire_arp_parse(p, ARP_LEN + 4, &a), 0); /* Ethernet padding after it */
	CHECK_EQ(wire_arp_parse(p, ARP_LEN - 1, &a), -EINVAL);
	p[7] = 2;
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), 0);
	CHECK_EQ(a.op, ARP_OP_REPLY);
	p[7] = 3; /* RARP request */
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EPROTONOSUPPORT);
	p[7] = 0;
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EPROTONOSUPPORT);
	p[7] = 1;
	p[1] = 6; /* IEEE 802 hardware */
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EPROTONOSUPPORT);
	p[1] = 1;
	p[2] = 0x86, p[3] = 0xdd; /* IPv6 protocol */
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EPROTONOSUPPORT);
	p[2] = 0x08, p[3] = 0;
	p[4] = 8;
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EINVAL);
	p[4] = 6, p[5] = 16;
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), -EINVAL);
	p[5] = 4;
	CHECK_EQ(wire_arp_parse(p, ARP_LEN, &a), 0);
}

/* A valid 20-byte header + 8 bytes of payload in b; returns the length. */
static size_t ipv4_sample(uint8_t *b)
{
	memset(b, 0, 64);
	memcpy(b + 20, "payload!", 8);
	wire_ipv4_emit(b, 28, 0x10, 0x1234, IPV4_F_DF, 64, IPPROTO_UDP_, ip4(10, 0, 0, 1),
		       ip4(10, 0, 0, 2));
	return 28;
}

static void fix_ipv4_csum(uint8_t *b)
{
	unsigned hl = (b[0] & 15u) * 4;
	uint16_t s;
	b[10] = b[11] = 0;
	s = wire_csum(b, hl);
	memcpy(b + 10, &s, 2);
}

static int ipv4_err(const uint8_t *b, size_t len)
{
	struct wire_ipv4 ip;
	enum wire_ipv4_err e = WIRE_IPV4_OK;

	if (wire_ipv4_parse(b, len, &ip, &e) == 0)
		return WIRE_IPV4_OK;
	return (int)e;
}

static void test_ipv4_roundtrip(void)
{
	uint8_t b[64];
	struct wire_ipv4 ip;
	enum wire_ipv4_err e = WIRE_IPV4_CSUM;
	size_t n = ipv4_sample(b);

	CHECK_EQ(wire_ipv4_parse(b, n, &ip, &e), 0);
	CHECK_EQ(e, WIRE_IPV4_OK);
	CHECK_EQ(ip.hdr_len, 20);
	CHECK_EQ(ip.total_len, 28);
	CHECK_EQ(ip.tos, 0x10);
	CHECK_EQ(ip.id, 0x1234);
	CHECK(ip.df && !ip.mf);
	CHECK_EQ(ip.frag_off, 0);
	CHECK_EQ(ip.ttl, 64);
	CHECK_EQ(ip.proto, IPPROTO_UDP_);
	CHECK_EQ(ip.src, ip4(10, 0, 0, 1));
	CHECK_EQ(ip.dst, ip4(10, 0, 0, 2));
	CHECK(ip.payload == b + 20);
	CHECK_EQ(ip.payload_len, 8);
	CHECK_EQ(wire_csum(b, 20), 0);
	/* Link padding after the datagram is allowed and excluded. */
	CHECK_EQ(wire_ipv4_parse(b, 46, &ip, NULL), 0);
	CHECK_EQ(ip.payload_len, 8);
	/* Fragment fields. */
	put_be16(b + 6, IPV4_F_MF | 185);
	fix_ipv4_csum(b);
	CHECK_EQ(wire_ipv4_parse(b, n, &ip, NULL), 0);
	CHECK(ip.mf && !ip.df);
	CHECK_EQ(ip.frag_off, 1480);
	/* Well-formed options: NOP, a 4-byte option, then end of list. */
	uint8_t o[64] = {0};
	wire_ipv4_emit(o, 28, 0, 1, 0, 64, 17, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
	o[0] = 0x46;
	o[20] = 0x94, o[21] = 4, o[22] = o[23] = 0; /* router alert, 4 bytes */
	put_be16(o + 2, 28);
	fix_ipv4_csum(o);
	CHECK_EQ(wire_ipv4_parse(o, 28, &ip, NULL), 0);
	CHECK_EQ(ip.hdr_len, 24);
	CHECK_EQ(ip.payload_len, 4);
	for (int i = 0; i <= WIRE_IPV4_OPTIONS; i++)
		CHECK(strcmp(wire_ipv4_strerror((enum wire_ipv4_err)i), "?") != 0);
}

static void test_ipv4_rejects(void)
{
	uint8_t b[80];
	size_t n;

	n = ipv4_sample(b);
	CHECK_EQ(ipv4_err(b, 19), WIRE_IPV4_SHORT);
	CHECK_EQ(ipv4_err(b, 0), WIRE_IPV4_SHORT);
	b[0] = 0x65;
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_VERSION);
	b[0] = 0x44; /* IHL 4 */
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_IHL);
	b[0] = 0x40;
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_IHL);
	b[0] = 0x48; /* a 32-byte header */
	CHECK_EQ(ipv4_err(b, 40), WIRE_IPV4_TOTLEN); /* total 28 < IHL 32 */
	CHECK_EQ(ipv4_err(b, 28), WIRE_IPV4_IHL);    /* IHL past the buffer */
	b[0] = 0x45;
	put_be16(b + 2, 19); /* total length below the header */
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_TOTLEN);
	put_be16(b + 2, 29); /* past the buffer */
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_TOTLEN);
	n = ipv4_sample(b);
#ifndef VH_FUZZING
	b[8] ^= 1; /* TTL changed under the checksum */
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_CSUM);
	b[8] ^= 1;
#endif
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_OK);
	put_be16(b + 6, IPV4_F_RESERVED);
	fix_ipv4_csum(b);
	CHECK_EQ(ipv4_err(b, n), WIRE_IPV4_FRAG);
	/* The last byte of a fragment may sit at 65534 at most (offset + length <= 65535). */
	static const struct {
		uint16_t off8, plen;
		int want;
	} fr[] = {
		{8191, 8, WIRE_IPV4_FRAG}, /* 65528 + 8 = 65536 */
		{8190, 8, WIRE_IPV4_OK},   /* 65520 + 8 */
		{8190, 15, WIRE_IPV4_OK},  /* 65535 exactly */
		{8190, 16, WIRE_IPV4_FRAG},
	};
	for (unsigned i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		memset(b, 0, sizeof(b));
		wire_ipv4_emit(b, (uint16_t)(20 + fr[i].plen), 0, 1, fr[i].off8, 64, 17,
			       ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
		CHECK_EQ(ipv4_err(b, 20u + fr[i].plen), fr[i].want);
	}

	/* Options: a length octet of 0, 1, past the header, missing; and the good cases. */
	static const struct {
		uint8_t opt[8];
		int want;
	} opts[] = {
		{{0x94, 0, 0, 0, 0, 0, 0, 0}, WIRE_IPV4_OPTIONS},       /* length 0 */
		{{0x94, 1, 0, 0, 0, 0, 0, 0}, WIRE_IPV4_OPTIONS},       /* length 1 */
		{{0x94, 9, 0, 0, 0, 0, 0, 0}, WIRE_IPV4_OPTIONS},       /* past the header */
		{{1, 1, 1, 1, 1, 1, 1, 0x94}, WIRE_IPV4_OPTIONS},       /* no length octet */
		{{0x94, 8, 0, 0, 0, 0, 0, 0}, WIRE_IPV4_OK},            /* exactly fills it */
		{{0, 0x94, 0xff, 0, 0, 0, 0, 0}, WIRE_IPV4_OK},         /* after end of list: padding */
		{{1, 1, 1, 1, 1, 1, 1, 1}, WIRE_IPV4_OK},               /* all NOPs */
		{{0x07, 3, 0, 0x83, 3, 0, 1, 0}, WIRE_IPV4_OK},         /* two 3-byte options */
		{{0x07, 3, 0, 0x83, 6, 0, 1, 0}, WIRE_IPV4_OPTIONS},    /* second runs past */
	};
	for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		memset(b, 0, sizeof(b));
		wire_ipv4_emit(b, 32, 0, 1, 0, 64, 17, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
		b[0] = 0x47;
		put_be16(b + 2, 32);
		memcpy(b + 20, opts[i].opt, 8);
		fix_ipv4_csum(b);
		if (ipv4_err(b, 32) != opts[i].want)
			fprintf(stderr, "options case %u\n", i);
		CHECK_EQ(ipv4_err(b, 32), opts[i].want);
	}
}

static void test_icmp(void)
{
	uint8_t m[64] = {0};
	struct wire_icmp w;

	memcpy(m + 8, "hello", 5);
	wire_icmp_emit(m, 13, ICMP_ECHO, 0, 0x12340007);
	CHECK_EQ(wire_icmp_parse(m, 13, &w), 0);
	CHECK_EQ(w.type, ICMP_ECHO);
	CHECK_EQ(w.code, 0);
	CHECK_EQ(w.rest, 0x12340007);
	CHECK_EQ(w.body_len, 5);
	CHECK_MEM(w.body, "hello", 5);
	CHECK_EQ(wire_icmp_parse(m, 7, &w), -EINVAL);
	CHECK_EQ(wire_icmp_parse(m, 0, &w), -EINVAL);
#ifndef VH_FUZZING
	m[9] ^= 0x20;
	CHECK_EQ(wire_icmp_parse(m, 13, &w), -EBADMSG);
	m[9] ^= 0x20;
	CHECK_EQ(wire_icmp_parse(m, 12, &w), -EBADMSG); /* the checksum covers every byte */
#endif
	/* Quoting: an error with an IPv4 header and 8 bytes of its payload. */
	uint8_t e[8 + 20 + 8] = {0};
	wire_ipv4_emit(e + 8, 40, 0, 1, 0, 64, IPPROTO_UDP_, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2));
	memcpy(e + 28, "\x04\xd2\x00\x35\x00\x14\x00\x00", 8);
	wire_icmp_emit(e, sizeof(e), ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	CHECK_EQ(wire_icmp_parse(e, sizeof(e), &w), 0);
	uint32_t qs = 0, qd = 0;
	uint8_t qp = 0;
	const uint8_t *l4 = NULL;
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), 0);
	CHECK_EQ(qs, ip4(10, 0, 0, 1));
	CHECK_EQ(qd, ip4(10, 0, 0, 2));
	CHECK_EQ(qp, IPPROTO_UDP_);
	CHECK(l4 == e + 28);
	w.body_len = 27; /* header but 7 bytes of payload */
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), -EINVAL);
	w.body_len = 19;
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), -EINVAL);
	w.body_len = 28;
	e[8] = 0x65;
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), -EINVAL);
	e[8] = 0x44;
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), -EINVAL);
	e[8] = 0x46; /* 24-byte header: needs 32 bytes */
	CHECK_EQ(wire_icmp_quote(&w, &qs, &qd, &qp, &l4), -EINVAL);
}

static void test_udp(void)
{
	uint8_t u[64] = {0};
	struct wire_udp w;
	uint32_t s = ip4(192, 0, 2, 1), d = ip4(192, 0, 2, 2);

	memcpy(u + 8, "data", 4);
	wire_udp_emit(u, 1234, 53, 4, s, d);
	CHECK_EQ(get_be16(u + 4), 12);
	CHECK(get_be16(u + 6) != 0);
	CHECK_EQ(wire_udp_parse(u, 12, s, d, &w), 0);
	CHECK_EQ(w.sport, 1234);
	CHECK_EQ(w.dport, 53);
	CHECK_EQ(w.len, 12);
	CHECK_EQ(w.payload_len, 4);
	CHECK_MEM(w.payload, "data", 4);
	/* The IP payload may be longer than the UDP length says. */
	CHECK_EQ(wire_udp_parse(u, 20, s, d, &w), 0);
	CHECK_EQ(w.payload_len, 4);
	CHECK_EQ(wire_udp_parse(u, 7, s, d, &w), -EINVAL);
	CHECK_EQ(wire_udp_parse(u, 11, s, d, &w), -EINVAL); /* length field past the payload */
	put_be16(u + 4, 7);
	CHECK_EQ(wire_udp_parse(u, 12, s, d, &w), -EINVAL); /* below the header */
	put_be16(u + 4, 12);
#ifndef VH_FUZZING
	CHECK_EQ(wire_udp_parse(u, 12, s, ip4(192, 0, 2, 3), &w), -EBADMSG); /* pseudo-header */
	u[9] ^= 1;
	CHECK_EQ(wire_udp_parse(u, 12, s, d, &w), -EBADMSG);
	u[9] ^= 1;
#endif
	/* Zero checksum: none was computed; accepted whatever the data. */
	u[6] = u[7] = 0;
	u[9] ^= 1;
	CHECK_EQ(wire_udp_parse(u, 12, s, d, &w), 0);
	CHECK_EQ(w.csum, 0);
	/* A computed checksum of zero is sent as 0xffff (RFC 768). Find such a payload. */
	int found = 0;
	for (unsigned v = 0; v < 65536 && !found; v++) {
		put_be16(u + 8, (uint16_t)v);
		wire_udp_emit(u, 1234, 53, 4, s, d);
		if (get_be16(u + 6) == 0xffff) {
			found = 1;
			CHECK_EQ(wire_udp_parse(u, 12, s, d, &w), 0);
		}
	}
	CHECK(found);
}

int main(void)
{
	test_ether();
	test_arp();
	test_ipv4_roundtrip();
	test_ipv4_rejects();
	test_icmp();
	test_udp();
	return check_done();
}
