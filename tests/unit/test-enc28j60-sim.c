/* test-enc28j60-sim.c: the ENC28J60 simulator against the datasheet.
 *
 * Every test talks to the model the way a driver talks to the chip: SPI
 * instruction windows (DS39662E §4.2) and frames on the wire. Expected values
 * come from the datasheet (section named in each test), not from the model;
 * the FCS and the hash filter are checked against a naive bit-by-bit CRC-32.
 * The last tests drive the UNIX-socket server with real clients, including
 * broken ones. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "ifaces/enc28j60/enc28j60_regs.h"
#include "ifaces/enc28j60/sim.h"
#include "ifaces/enc28j60/sim_server.h"

/* ---- fixture: a chip, a fake clock and a capture of the cable --------- */

enum { MAX_CAPTURE = 16 };

struct fx {
	struct enc_sim *s;
	uint64_t now;
	unsigned ntx;
	size_t txlen[MAX_CAPTURE];
	uint8_t tx[MAX_CAPTURE][2048];
	unsigned edges;
	uint16_t next; /* where the driver-side reader expects the next packet */
};

static const uint8_t our_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t peer_mac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint64_t fx_now(void *arg)
{
	return ((struct fx *)arg)->now;
}

static void fx_wire_tx(void *arg, const uint8_t *frame, size_t len)
{
	struct fx *f = arg;

	if (f->ntx < MAX_CAPTURE && len <= sizeof(f->tx[0])) {
		memcpy(f->tx[f->ntx], frame, len);
		f->txlen[f->ntx] = len;
	}
	f->ntx++;
}

static void fx_int(void *arg)
{
	((struct fx *)arg)->edges++;
}

static struct fx *fx_new(uint32_t errata)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct enc_sim_config cfg = {
		.errata = errata,
		.seed = 42,
		.now_ns = fx_now,
		.clock_arg = f,
	};

	f->now = 1000000;
	if (enc_sim_new(&cfg, &f->s) < 0)
		abort();
	enc_sim_set_wire_tx(f->s, fx_wire_tx, f);
	enc_sim_set_int_notify(f->s, fx_int, f);
	return f;
}

static void fx_free(struct fx *f)
{
	enc_sim_free(f->s);
	free(f);
}

static struct enc_sim_stats stats(struct fx *f)
{
	struct enc_sim_stats st;

	enc_sim_get_stats(f->s, &st);
	return st;
}

/* ---- SPI helpers: one instruction per chip-select window --------------- */

static void op2(struct fx *f, uint8_t a, uint8_t b)
{
	uint8_t m[2] = {a, b};

	enc_sim_transfer(f->s, m, NULL, 2);
}

static void bank(struct fx *f, unsigned r)
{
	if (enc_reg_is_common(r))
		return;
	op2(f, ENC_OP_BFC | enc_reg_addr(ENC_ECON1), ENC_ECON1_BSEL);
	op2(f, ENC_OP_BFS | enc_reg_addr(ENC_ECON1), (uint8_t)enc_reg_bank(r));
}

static uint8_t rd(struct fx *f, unsigned r)
{
	uint8_t mosi[3] = {(uint8_t)(ENC_OP_RCR | enc_reg_addr(r))}, miso[3];

	bank(f, r);
	if (enc_reg_is_macmii(r)) {
		enc_sim_transfer(f->s, mosi, miso, 3);
		return miso[2];
	}
	enc_sim_transfer(f->s, mosi, miso, 2);
	return miso[1];
}

static void wr(struct fx *f, unsigned r, uint8_t v)
{
	bank(f, r);
	op2(f, (uint8_t)(ENC_OP_WCR | enc_reg_addr(r)), v);
}

static void bfs(struct fx *f, unsigned r, uint8_t m)
{
	bank(f, r);
	op2(f, (uint8_t)(ENC_OP_BFS | enc_reg_addr(r)), m);
}

static void bfc(struct fx *f, unsigned r, uint8_t m)
{
	bank(f, r);
	op2(f, (uint8_t)(ENC_OP_BFC | enc_reg_addr(r)), m);
}

static void wr16(struct fx *f, unsigned lo, uint16_t v)
{
	wr(f, lo, v & 0xff); /* low first: ERXRDPT latches on the high byte */
	wr(f, lo + 1, v >> 8);
}

static uint16_t rd16(struct fx *f, unsigned lo)
{
	return (uint16_t)(rd(f, lo) | rd(f, lo + 1) << 8);
}

static void rbm(struct fx *f, uint8_t *buf, size_t n)
{
	uint8_t mosi[2048] = {ENC_OP_RBM}, miso[2048];

	enc_sim_transfer(f->s, mosi, miso, n + 1);
	memcpy(buf, miso + 1, n);
}

static void wbm(struct fx *f, const uint8_t *buf, size_t n)
{
	uint8_t mosi[2048] = {ENC_OP_WBM};

	memcpy(mosi + 1, buf, n);
	enc_sim_transfer(f->s, mosi, NULL, n + 1);
}

static uint16_t phy_rd(struct fx *f, uint8_t r)
{
	wr(f, ENC_MIREGADR, r);
	wr(f, ENC_MICMD, ENC_MICMD_MIIRD);
	f->now += 11000; /* §3.3.1: 10.24 us */
	wr(f, ENC_MICMD, 0);
	return (uint16_t)(rd(f, ENC_MIRDL) | rd(f, ENC_MIRDH) << 8);
}

static void phy_wr(struct fx *f, uint8_t r, uint16_t v)
{
	wr(f, ENC_MIREGADR, r);
	wr(f, ENC_MIWRL, v & 0xff);
	wr(f, ENC_MIWRH, v >> 8);
	f->now += 11000;
}

/* Naive reference: IEEE 802.3 CRC-32, one bit at a time. */
static uint32_t ref_crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < 8; b++) {
			uint32_t bit = ((c ^ (p[i] >> b)) & 1);

			c >>= 1;
			if (bit)
				c ^= 0xedb88320u;
		}
	return ~c;
}

static size_t mkframe(uint8_t *buf, const uint8_t *dst, uint16_t type, size_t len, uint8_t seed)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, peer_mac, 6);
	buf[12] = type >> 8;
	buf[13] = type & 0xff;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	return len;
}

/* What a driver does at init, minimally: ring at rxst..rxnd, our MAC,
 * full duplex on both sides, receive on. */
static void chip_init(struct fx *f, uint16_t rxst, uint16_t rxnd, uint8_t erxfcon)
{
	wr16(f, ENC_ERXSTL, rxst);
	wr16(f, ENC_ERXNDL, rxnd);
	f->next = rxst;
	wr16(f, ENC_ERXRDPTL, rxnd); /* odd, erratum 14 */
	for (unsigned i = 0; i < 6; i++)
		wr(f, enc_maadr_reg(i), our_mac[i]);
	wr(f, ENC_MACON1, ENC_MACON1_MARXEN);
	wr(f, ENC_MACON3, ENC_MACON3_PADCFG0 | ENC_MACON3_TXCRCEN | ENC_MACON3_FULDPX);
	phy_wr(f, ENC_PHCON1, ENC_PHCON1_PDPXMD);
	wr(f, ENC_ERXFCON, erxfcon);
	bfs(f, ENC_ECON1, ENC_ECON1_RXEN);
}

/* The receive loop of a careful driver (§7.2.3, erratum 14): read the
 * header at *next, the frame, free the space, PKTDEC. Returns the RSV. */
static uint32_t drain_one(struct fx *f, uint16_t *next, uint8_t *frame, size_t *len)
{
	uint8_t h[ENC_RX_HDR_LEN];
	uint16_t st = rd16(f, ENC_ERXSTL), nd = rd16(f, ENC_ERXNDL), nn, rdpt;
	uint32_t rsv;

	wr16(f, ENC_ERDPTL, *next);
	rbm(f, h, sizeof(h));
	nn = (uint16_t)(h[0] | h[1] << 8);
	rsv = (uint32_t)(h[2] | h[3] << 8 | h[4] << 16 | (uint32_t)h[5] << 24);
	*len = rsv & 0xffff;
	rbm(f, frame, *len);
	*next = nn;
	rdpt = (nn == st) ? nd : nn - 1;
	wr16(f, ENC_ERXRDPTL, rdpt);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	return rsv;
}

/* Put a frame at ETXST (control byte first), ETXND on its last byte, go. */
static void transmit(struct fx *f, uint16_t at, uint8_t ctl, const uint8_t *frame, size_t len)
{
	wr16(f, ENC_EWRPTL, at);
	wbm(f, &ctl, 1);
	wbm(f, frame, len);
	wr16(f, ENC_ETXSTL, at);
	wr16(f, ENC_ETXNDL, (uint16_t)(at + len));
	bfc(f, ENC_EIR, ENC_EI_TX | ENC_EI_TXER);
	bfs(f, ENC_ECON1, ENC_ECON1_TXRTS);
}

static uint64_t tsv_at(struct fx *f, uint16_t at, size_t len)
{
	uint8_t t[ENC_TSV_LEN];
	uint64_t v = 0;

	enc_sim_peek(f->s, (uint16_t)(at + len + 1), t, sizeof(t));
	for (unsigned i = 0; i < ENC_TSV_LEN; i++)
		v |= (uint64_t)t[i] << (8 * i);
	return v;
}

/* ---- §4.2: instructions ----------------------------------------------- */

static void test_opcodes_eth(void)
{
	struct fx *f = fx_new(0);
	uint8_t mosi[4] = {ENC_OP_RCR | 0x02, 0, 0, 0}, miso[4];

	wr(f, ENC_EWRPTL, 0xa5);
	enc_sim_transfer(f->s, mosi, miso, 2);
	CHECK_EQ(miso[1], 0xa5); /* ETH registers: data right after the opcode */
	enc_sim_transfer(f->s, mosi, miso, 4);
	CHECK_EQ(miso[2], 0xa5); /* more clocks repeat it */

	wr(f, ENC_EIE, 0x00);
	bfs(f, ENC_EIE, 0x41);
	CHECK_EQ(rd(f, ENC_EIE), 0x41);
	bfs(f, ENC_EIE, 0x80);
	CHECK_EQ(rd(f, ENC_EIE), 0xc1);
	bfc(f, ENC_EIE, 0x40);
	CHECK_EQ(rd(f, ENC_EIE), 0x81);
	CHECK_EQ(stats(f).driver_mistakes, 0);
	fx_free(f);
}

static void test_macmii_dummy(void)
{
	struct fx *f = fx_new(0);
	uint8_t mosi[3] = {ENC_OP_RCR | enc_reg_addr(ENC_MAMXFLL)}, miso[3];

	wr(f, ENC_MAMXFLL, 0xee);
	bank(f, ENC_MAMXFLL);
	enc_sim_transfer(f->s, mosi, miso, 3);
	CHECK_EQ(miso[1], 0x00); /* §4.2.1: a dummy byte first */
	CHECK_EQ(miso[2], 0xee);
	CHECK_EQ(rd(f, ENC_MAMXFLH), 0x06); /* reset value 1536 */
	CHECK_EQ(rd(f, ENC_MISTAT), 0);
	CHECK_EQ(rd(f, ENC_EREVID), 0x06); /* bank 3 but ETH: no dummy */
	wr(f, enc_maadr_reg(0), 0x12);
	CHECK_EQ(rd(f, ENC_MAADR1), 0x12);
	CHECK_EQ(enc_maadr_reg(5), ENC_MAADR6);
	fx_free(f);
}

static void test_bfs_mac_ignored(void)
{
	struct fx *f = fx_new(0);
	struct enc_sim_stats st;

	wr(f, ENC_MACON3, 0x30);
	bfs(f, ENC_MACON3, 0x01);
	bfc(f, ENC_MACON3, 0x10);
	CHECK_EQ(rd(f, ENC_MACON3), 0x30); /* §4.2.5: ETH registers only */
	st = stats(f);
	CHECK_EQ(st.driver_mistakes, 2);
	CHECK(st.last_mistake && strstr(st.last_mistake, "BFS/BFC"));
	fx_free(f);
}

static void test_banks_common(void)
{
	struct fx *f = fx_new(0);

	wr(f, ENC_ERDPTL, 0x10);
	wr(f, ENC_EHT0, 0x21);
	wr(f, ENC_MACON1, 0x03);
	wr(f, ENC_MAADR5, 0x43);
	CHECK_EQ(rd(f, ENC_ERDPTL), 0x10);
	CHECK_EQ(rd(f, ENC_EHT0), 0x21);
	CHECK_EQ(rd(f, ENC_MACON1), 0x03);
	CHECK_EQ(rd(f, ENC_MAADR5), 0x43);
	CHECK_EQ(rd(f, ENC_ECON1) & ENC_ECON1_BSEL, 3);

	/* 0x1B-0x1F are the same registers whatever the bank */
	for (unsigned b = 0; b < 4; b++) {
		op2(f, ENC_OP_WCR | enc_reg_addr(ENC_ECON1), (uint8_t)b);
		op2(f, ENC_OP_WCR | enc_reg_addr(ENC_EIE), (uint8_t)(0x10 + b));
		CHECK_EQ(rd(f, ENC_ECON1), b);
	}
	op2(f, ENC_OP_WCR | enc_reg_addr(ENC_ECON1), 0);
	CHECK_EQ(rd(f, ENC_EIE), 0x13);
	/* pointer high bytes are 5 bits (§3.2) */
	wr(f, ENC_ERDPTH, 0xff);
	CHECK_EQ(rd(f, ENC_ERDPTH), 0x1f);
	/* read-only registers refuse writes, and say so */
	wr(f, ENC_EREVID, 0x99);
	CHECK_EQ(rd(f, ENC_EREVID), 0x06);
	CHECK_EQ(stats(f).driver_mistakes, 1);
	fx_free(f);
}

static void test_split_instruction(void)
{
	struct fx *f = fx_new(0);
	uint8_t a = ENC_OP_WCR | enc_reg_addr(ENC_EIE), b = 0x80;

	wr(f, ENC_EIE, 0);
	/* CS high after the opcode ends the WCR: the next window's first
	 * byte is an opcode again (BFS ERDPTL, with no data) */
	enc_sim_transfer(f->s, &a, NULL, 1);
	enc_sim_transfer(f->s, &b, NULL, 1);
	CHECK_EQ(rd(f, ENC_EIE), 0);
	CHECK_EQ(rd(f, ENC_ERDPTL), 0xfa);
	/* an empty window does nothing */
	enc_sim_transfer(f->s, NULL, NULL, 0);
	CHECK_EQ(stats(f).driver_mistakes, 0);
	fx_free(f);
}

/* ---- §3.2, §4.2.2, §4.2.4: buffer memory ------------------------------ */

static void test_rbm_wrap(void)
{
	struct fx *f = fx_new(0);
	uint8_t pat[4] = {1, 2, 3, 4}, got[4];

	wr16(f, ENC_ERXSTL, 0x0000);
	wr16(f, ENC_ERXNDL, 0x0fff);
	wr16(f, ENC_EWRPTL, 0x0ffe);
	wbm(f, pat, 2);
	wr16(f, ENC_EWRPTL, 0x0000);
	wbm(f, pat + 2, 2);
	/* reading the byte at ERXND moves ERDPT to ERXST */
	wr16(f, ENC_ERDPTL, 0x0ffe);
	rbm(f, got, 4);
	CHECK_MEM(got, pat, 4);
	CHECK_EQ(rd16(f, ENC_ERDPTL), 0x0002);
	/* above ERXND the pointer just counts on (not Renode's rule) */
	wr16(f, ENC_ERDPTL, 0x1000);
	rbm(f, got, 1);
	CHECK_EQ(rd16(f, ENC_ERDPTL), 0x1001);
	/* 0x1FFF wraps to 0 when ERXND is elsewhere */
	wr16(f, ENC_ERDPTL, 0x1fff);
	rbm(f, got, 2);
	CHECK_EQ(got[1], 3); /* pat[2], written at 0x0000 */
	CHECK_EQ(rd16(f, ENC_ERDPTL), 0x0001);
	/* AUTOINC off: the same byte again and again */
	bfc(f, ENC_ECON2, ENC_ECON2_AUTOINC);
	wr16(f, ENC_ERDPTL, 0x0ffe);
	rbm(f, got, 3);
	CHECK(got[0] == 1 && got[1] == 1 && got[2] == 1);
	CHECK_EQ(rd16(f, ENC_ERDPTL), 0x0ffe);
	fx_free(f);
}

static void test_wbm_wrap(void)
{
	struct fx *f = fx_new(0);
	uint8_t pat[4] = {9, 8, 7, 6}, got[4];

	wr16(f, ENC_ERXNDL, 0x0fff);
	wr16(f, ENC_EWRPTL, 0x1ffe);
	wbm(f, pat, 4);
	CHECK_EQ(rd16(f, ENC_EWRPTL), 0x0002);
	enc_sim_peek(f->s, 0x1ffe, got, 4);
	CHECK_MEM(got, pat, 4);
	/* writes ignore the receive ring */
	wr16(f, ENC_EWRPTL, 0x0fff);
	wbm(f, pat, 2);
	CHECK_EQ(rd16(f, ENC_EWRPTL), 0x1001);
	fx_free(f);
}

static void test_erxrdpt_latch(void)
{
	struct fx *f = fx_new(0);

	CHECK_EQ(rd16(f, ENC_ERXRDPTL), 0x05fa); /* reset value */
	wr(f, ENC_ERXRDPTL, 0x35);
	CHECK_EQ(rd(f, ENC_ERXRDPTL), 0xfa); /* not yet */
	wr(f, ENC_ERXRDPTH, 0x12);
	CHECK_EQ(rd16(f, ENC_ERXRDPTL), 0x1235);
	/* ERXST loads ERXWRPT, which is read-only */
	wr16(f, ENC_ERXSTL, 0x0100);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 0x0100);
	wr(f, ENC_ERXWRPTL, 0x44);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 0x0100);
	CHECK_EQ(stats(f).driver_mistakes, 1);
	fx_free(f);
}

/* ---- §7.2: receive ---------------------------------------------------- */

static void test_rx_placement(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[200], mem[200];
	uint32_t rsv, fcs;

	chip_init(f, 0x0000, 0x0fff, ENC_ERXFCON_UCEN | ENC_ERXFCON_CRCEN | ENC_ERXFCON_BCEN);
	mkframe(fr, our_mac, 0x0800, 100, 1);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 100), ENC_SIM_RX_STORED);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 1);
	CHECK(rd(f, ENC_EIR) & ENC_EI_PKT);
	enc_sim_peek(f->s, 0, mem, 6 + 104);
	CHECK_EQ(mem[0] | mem[1] << 8, 110); /* 6 + 100 + FCS, already even */
	rsv = (uint32_t)(mem[2] | mem[3] << 8 | mem[4] << 16 | (uint32_t)mem[5] << 24);
	CHECK_EQ(rsv & 0xffff, 104); /* the byte count includes the FCS */
	CHECK(rsv & ENC_RSV_RX_OK);
	CHECK(rsv & ENC_RSV_LEN_OUT_OF_RANGE); /* 0x0800 is a type, > 1500 */
	CHECK(!(rsv & (ENC_RSV_BROADCAST | ENC_RSV_MULTICAST | ENC_RSV_CRC_ERR)));
	CHECK_MEM(mem + 6, fr, 100);
	fcs = ref_crc(fr, 100);
	CHECK_EQ(mem[106] | mem[107] << 8 | mem[108] << 16 | (uint32_t)mem[109] << 24, fcs);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 110);

	/* odd length: a pad byte keeps the next packet even */
	mkframe(fr, our_mac, 0x0800, 61, 2);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 61), ENC_SIM_RX_STORED);
	enc_sim_peek(f->s, 110, mem, 2);
	CHECK_EQ(mem[0] | mem[1] << 8, 110 + 6 + 65 + 1);
	/* short frames arrive padded to 60 by the sender */
	mkframe(fr, bcast_mac, 0x0806, 42, 3);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 42), ENC_SIM_RX_STORED);
	enc_sim_peek(f->s, 182, mem, 6 + 64);
	CHECK_EQ(mem[2], 64);
	CHECK(mem[5] & (ENC_RSV_BROADCAST >> 24));
	CHECK_EQ(mem[6 + 42], 0);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 3);
	CHECK_EQ(stats(f).rx_frames, 3);
	fx_free(f);
}

static void test_rx_wrap_stream(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[400], got[400];
	uint16_t next = 0;
	size_t len;
	int bad = 0;

	/* a 512-byte ring so frames keep crossing ERXND */
	chip_init(f, 0x0000, 0x01ff, ENC_ERXFCON_UCEN | ENC_ERXFCON_CRCEN);
	for (unsigned i = 0; i < 200; i++) {
		size_t n = 60 + (i * 37) % 300;
		uint32_t rsv;

		mkframe(fr, our_mac, 0x0800, n, (uint8_t)i);
		if (enc_sim_wire_rx(f->s, fr, n) != ENC_SIM_RX_STORED) {
			bad++;
			continue;
		}
		rsv = drain_one(f, &next, got, &len);
		if (len != n + 4 || memcmp(got, fr, n) != 0 || !(rsv & ENC_RSV_RX_OK))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 0);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_PKT));
	CHECK_EQ(stats(f).driver_mistakes, 0);
	fx_free(f);
}

static void test_pktdec(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[64];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 64, 0);
	enc_sim_wire_rx(f->s, fr, 64);
	enc_sim_wire_rx(f->s, fr, 64);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 2);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 1);
	CHECK(rd(f, ENC_EIR) & ENC_EI_PKT);
	CHECK_EQ(rd(f, ENC_ECON2) & ENC_ECON2_PKTDEC, 0); /* a command, reads 0 */
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_PKT));
	CHECK_EQ(stats(f).driver_mistakes, 0);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 0);
	CHECK_EQ(stats(f).driver_mistakes, 1);
	/* PKTIF is read-only: a BFC cannot clear it */
	enc_sim_wire_rx(f->s, fr, 64);
	bfc(f, ENC_EIR, ENC_EI_PKT);
	CHECK(rd(f, ENC_EIR) & ENC_EI_PKT);
	fx_free(f);
}

static void test_epktcnt_saturates(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];
	int r = 0;

	chip_init(f, 0, 0x1fff - 0x100, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	/* free the space but never PKTDEC: the count climbs to 255 */
	for (unsigned i = 0; i < 255; i++) {
		r = enc_sim_wire_rx(f->s, fr, 60);
		if (r != ENC_SIM_RX_STORED)
			break;
		uint16_t w = rd16(f, ENC_ERXWRPTL);

		wr16(f, ENC_ERXRDPTL, w ? w - 1 : 0x1fff - 0x100);
	}
	CHECK_EQ(r, ENC_SIM_RX_STORED);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 255);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_RXER));
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_OVERFLOW);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 255);
	CHECK(rd(f, ENC_EIR) & ENC_EI_RXER);
	fx_free(f);
}

static void test_rx_overflow(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[300], got[400];
	uint16_t next = 0;
	size_t len;
	unsigned stored = 0;
	uint32_t rsv;

	chip_init(f, 0, 0x03ff, 0); /* 1 KB ring */
	mkframe(fr, our_mac, 0x0800, 300, 0);
	while (enc_sim_wire_rx(f->s, fr, 300) == ENC_SIM_RX_STORED)
		stored++;
	CHECK_EQ(stored, 3); /* 3 x 310 fit in 1023 usable bytes, a fourth does not */
	CHECK(rd(f, ENC_EIR) & ENC_EI_RXER);
	CHECK_EQ(stats(f).rx_overflow, 1);
	/* the ring is intact; the first frame after the loss says so */
	drain_one(f, &next, got, &len);
	CHECK_EQ(len, 304);
	bfc(f, ENC_EIR, ENC_EI_RXER);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_RXER));
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 300), ENC_SIM_RX_STORED);
	drain_one(f, &next, got, &len);
	drain_one(f, &next, got, &len);
	rsv = drain_one(f, &next, got, &len);
	CHECK(rsv & ENC_RSV_LONG_DROP);
	CHECK_MEM(got, fr, 300);
	fx_free(f);
}

static void test_rx_gating(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[64];

	mkframe(fr, our_mac, 0x0800, 64, 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 64), ENC_SIM_RX_DISABLED); /* RXEN at reset: 0 */
	chip_init(f, 0, 0x0fff, 0);
	wr(f, ENC_MACON1, 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 64), ENC_SIM_RX_DISABLED); /* no MARXEN */
	wr(f, ENC_MACON1, ENC_MACON1_MARXEN);
	bfs(f, ENC_ECON1, ENC_ECON1_RXRST);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 64), ENC_SIM_RX_DISABLED);
	bfc(f, ENC_ECON1, ENC_ECON1_RXRST);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 64), ENC_SIM_RX_STORED);
	enc_sim_set_link(f->s, false);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 64), ENC_SIM_RX_NO_LINK);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 13), -EINVAL);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 9000), -EMSGSIZE);
	/* changing the ring with RXEN set is a mistake (§7.2.1) */
	enc_sim_set_link(f->s, true);
	wr16(f, ENC_ERXNDL, 0x0ffd);
	CHECK_EQ(stats(f).driver_mistakes, 2);
	fx_free(f);
}

static void test_rx_length(void)
{
	struct fx *f = fx_new(0);
	static uint8_t fr[1700];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 1514, 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 1514), ENC_SIM_RX_STORED);
	mkframe(fr, our_mac, 0x0800, 1600, 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 1600), ENC_SIM_RX_TOO_LONG); /* > MAMXFL 1536 */
	wr(f, ENC_MACON3, ENC_MACON3_HFRMEN | ENC_MACON3_TXCRCEN | ENC_MACON3_FULDPX);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 1600), ENC_SIM_RX_STORED);
	fx_free(f);
}

static uint32_t rsv_of_last(struct fx *f)
{
	uint8_t got[1600];
	size_t len;
	uint32_t rsv = 0;

	while (rd(f, ENC_EPKTCNT))
		rsv = drain_one(f, &f->next, got, &len);
	return rsv;
}

static void test_rx_status_bits(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[100], mc[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

	chip_init(f, 0, 0x0fff, 0);
	wr(f, ENC_MACON3, ENC_MACON3_TXCRCEN | ENC_MACON3_FRMLNEN | ENC_MACON3_FULDPX);
	enc_sim_wire_rx(f->s, fr, mkframe(fr, mc, 0x0800, 80, 0));
	CHECK(rsv_of_last(f) & ENC_RSV_MULTICAST);
	enc_sim_wire_rx(f->s, fr, mkframe(fr, our_mac, 0x8100, 80, 0));
	CHECK(rsv_of_last(f) & ENC_RSV_VLAN);
	/* 802.3 length field: 66 bytes of payload, field says 66: fine */
	enc_sim_wire_rx(f->s, fr, mkframe(fr, our_mac, 66, 80, 0));
	CHECK(!(rsv_of_last(f) & (ENC_RSV_LEN_CHECK_ERR | ENC_RSV_LEN_OUT_OF_RANGE)));
	/* field says 50 but 66 came: a length check error with FRMLNEN */
	enc_sim_wire_rx(f->s, fr, mkframe(fr, our_mac, 50, 80, 0));
	CHECK(rsv_of_last(f) & ENC_RSV_LEN_CHECK_ERR);
	/* a padded frame may carry fewer bytes than its minimum payload */
	enc_sim_wire_rx(f->s, fr, mkframe(fr, our_mac, 20, 34, 0));
	CHECK(!(rsv_of_last(f) & ENC_RSV_LEN_CHECK_ERR));
	/* MAC control frames stay in the MAC unless PASSALL */
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, mkframe(fr, our_mac, 0x8808, 60, 0)),
		 ENC_SIM_RX_FILTERED);
	wr(f, ENC_MACON1, ENC_MACON1_MARXEN | ENC_MACON1_PASSALL);
	fr[14] = 0x00;
	fr[15] = 0x01;
	enc_sim_wire_rx(f->s, fr, 60);
	CHECK(rsv_of_last(f) & ENC_RSV_PAUSE);
	fx_free(f);
}

/* ---- §8: filters ------------------------------------------------------ */

static int rx_with(struct fx *f, uint8_t erxfcon, const uint8_t *dst, size_t len)
{
	static uint8_t fr[1600];
	int r;

	bfc(f, ENC_ECON1, ENC_ECON1_RXEN); /* §7.2.1: filters change with RXEN clear */
	wr(f, ENC_ERXFCON, erxfcon);
	bfs(f, ENC_ECON1, ENC_ECON1_RXEN);
	mkframe(fr, dst, 0x0800, len, 5);
	r = enc_sim_wire_rx(f->s, fr, len);
	rsv_of_last(f);
	return r;
}

static void test_filters(void)
{
	struct fx *f = fx_new(0);
	uint8_t other[6] = {0x02, 0, 0, 0, 0, 1}, mc[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t mc2[6] = {0x33, 0x33, 0, 0, 0, 2};
	unsigned h = (ref_crc(mc, 6) >> 23) & 0x3f;
	const int S = ENC_SIM_RX_STORED, F = ENC_SIM_RX_FILTERED;

	chip_init(f, 0, 0x0fff, 0);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_UCEN, our_mac, 60), S);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_UCEN, other, 60), F);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_UCEN, bcast_mac, 60), F);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_UCEN | ENC_ERXFCON_BCEN, bcast_mac, 60), S);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_UCEN | ENC_ERXFCON_BCEN, mc, 60), F);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_MCEN, mc, 60), S);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_MCEN, bcast_mac, 60), S); /* group bit set */
	CHECK_EQ(rx_with(f, ENC_ERXFCON_MCEN, our_mac, 60), F);
	CHECK_EQ(rx_with(f, 0, other, 60), S); /* promiscuous */
	CHECK_EQ(rx_with(f, ENC_ERXFCON_CRCEN, other, 60), S);
	/* ANDOR: every enabled filter must agree */
	CHECK_EQ(rx_with(f, ENC_ERXFCON_ANDOR | ENC_ERXFCON_UCEN | ENC_ERXFCON_BCEN, our_mac, 60),
		 F);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_ANDOR | ENC_ERXFCON_MCEN | ENC_ERXFCON_BCEN, bcast_mac,
			 60),
		 S);

	/* hash table: CRC bits 28:23 of the destination select the EHT bit */
	for (unsigned i = 0; i < 8; i++)
		wr(f, ENC_EHT0 + i, 0);
	CHECK_EQ(rx_with(f, ENC_ERXFCON_HTEN, mc, 60), F);
	wr(f, ENC_EHT0 + h / 8, (uint8_t)(1u << (h % 8)));
	CHECK_EQ(rx_with(f, ENC_ERXFCON_HTEN, mc, 60), S);
	if (((ref_crc(mc2, 6) >> 23) & 0x3f) != h)
		CHECK_EQ(rx_with(f, ENC_ERXFCON_HTEN, mc2, 60), F);

	/* pattern match: bytes 0..1 of the payload window at offset 14 */
	{
		uint8_t fr[80];
		uint16_t cs;

		mkframe(fr, our_mac, 0x0800, 80, 5);
		cs = (uint16_t)~(fr[14] << 8 | fr[15]);
		for (unsigned i = 0; i < 8; i++)
			wr(f, ENC_EPMM0 + i, 0);
		wr(f, ENC_EPMM0, 0x03);
		wr16(f, ENC_EPMOL, 14);
		wr(f, ENC_EPMCSL, cs & 0xff);
		wr(f, ENC_EPMCSH, cs >> 8);
		CHECK_EQ(rx_with(f, ENC_ERXFCON_PMEN, other, 80), S);
		wr(f, ENC_EPMCSL, (cs & 0xff) ^ 1);
		CHECK_EQ(rx_with(f, ENC_ERXFCON_PMEN, other, 80), F);
		/* the 64-byte window must fit inside the frame */
		wr(f, ENC_EPMCSL, cs & 0xff);
		CHECK_EQ(rx_with(f, ENC_ERXFCON_PMEN, other, 60), F);
	}
	/* magic packet: FF x6 then our address x16 */
	{
		uint8_t fr[200];

		mkframe(fr, our_mac, 0x0842, 200, 0);
		memset(fr + 20, 0xff, 6);
		for (unsigned i = 0; i < 16; i++)
			memcpy(fr + 26 + 6 * i, our_mac, 6);
		bfc(f, ENC_ECON1, ENC_ECON1_RXEN);
		wr(f, ENC_ERXFCON, ENC_ERXFCON_MPEN);
		bfs(f, ENC_ECON1, ENC_ECON1_RXEN);
		CHECK_EQ(enc_sim_wire_rx(f->s, fr, 200), S);
		rsv_of_last(f);
		fr[30] ^= 1;
		CHECK_EQ(enc_sim_wire_rx(f->s, fr, 200), F);
	}
	fx_free(f);
}

static void test_crc_fault(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[80];
	uint32_t rsv;

	chip_init(f, 0, 0x0fff, ENC_ERXFCON_UCEN | ENC_ERXFCON_CRCEN);
	mkframe(fr, our_mac, 0x0800, 80, 0);
	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_RX_CRC, 2), 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 80), ENC_SIM_RX_FILTERED); /* CRCEN drops it */
	bfc(f, ENC_ECON1, ENC_ECON1_RXEN);
	wr(f, ENC_ERXFCON, ENC_ERXFCON_UCEN);
	bfs(f, ENC_ECON1, ENC_ECON1_RXEN);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 80), ENC_SIM_RX_STORED);
	rsv = rsv_of_last(f);
	CHECK(rsv & ENC_RSV_CRC_ERR);
	CHECK(!(rsv & ENC_RSV_RX_OK));
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 80), ENC_SIM_RX_STORED);
	CHECK(rsv_of_last(f) & ENC_RSV_RX_OK);
	CHECK_EQ(stats(f).rx_crc_errors, 2);
	fx_free(f);
}

/* ---- §7.1: transmit --------------------------------------------------- */

static void test_tx(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[100];
	uint64_t tsv;

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, peer_mac, 0x0800, 100, 9);
	transmit(f, 0x1000, 0x00, fr, 100);
	CHECK_EQ(f->ntx, 1);
	CHECK_EQ(f->txlen[0], 100);
	CHECK_MEM(f->tx[0], fr, 100);
	CHECK(!(rd(f, ENC_ECON1) & ENC_ECON1_TXRTS));
	CHECK(rd(f, ENC_EIR) & ENC_EI_TX);
	tsv = tsv_at(f, 0x1000, 100);
	CHECK_EQ(tsv & 0xffff, 104); /* with the CRC the MAC appended */
	CHECK(tsv & ENC_TSV_DONE);
	CHECK(!(tsv & (ENC_TSV_LATE_COLL | ENC_TSV_CRC_ERR | ENC_TSV_BROADCAST)));
	CHECK_EQ((tsv >> 32) & 0xffff, 104);

	/* PADCFG=001: short frames go out as 60 bytes + CRC */
	mkframe(fr, bcast_mac, 0x0806, 42, 1);
	transmit(f, 0x1000, 0x00, fr, 42);
	CHECK_EQ(f->ntx, 2);
	CHECK_EQ(f->txlen[1], 60);
	CHECK_EQ(f->tx[1][59], 0);
	tsv = tsv_at(f, 0x1000, 42);
	CHECK_EQ(tsv & 0xffff, 64);
	CHECK(tsv & ENC_TSV_BROADCAST);

	/* override: no pad, no CRC; the host's FCS is the last 4 bytes */
	{
		uint32_t fcs = ref_crc(fr, 42);

		fr[42] = fcs & 0xff;
		fr[43] = (fcs >> 8) & 0xff;
		fr[44] = (fcs >> 16) & 0xff;
		fr[45] = fcs >> 24;
		transmit(f, 0x1000, ENC_TXCTL_POVERRIDE, fr, 46);
		CHECK_EQ(f->txlen[2], 42);
		CHECK(!(tsv_at(f, 0x1000, 46) & ENC_TSV_CRC_ERR));
		fr[45] ^= 0xff;
		transmit(f, 0x1000, ENC_TXCTL_POVERRIDE, fr, 46);
		CHECK(tsv_at(f, 0x1000, 46) & ENC_TSV_CRC_ERR);
		/* override with PPADEN|PCRCEN pads even when MACON3 would not */
		wr(f, ENC_MACON3, ENC_MACON3_TXCRCEN | ENC_MACON3_FULDPX);
		transmit(f, 0x1000, 0x00, fr, 42);
		CHECK_EQ(f->txlen[4], 42);
		transmit(f, 0x1000, ENC_TXCTL_POVERRIDE | ENC_TXCTL_PPADEN | ENC_TXCTL_PCRCEN, fr,
			 42);
		CHECK_EQ(f->txlen[5], 60);
	}
	/* a giant without HFRMEN aborts */
	{
		static uint8_t big[1600];

		mkframe(big, peer_mac, 0x0800, 1600, 0);
		transmit(f, 0x1000, 0x00, big, 1600);
		CHECK_EQ(f->ntx, 6);
		CHECK(tsv_at(f, 0x1000, 1600) & ENC_TSV_GIANT);
		CHECK(rd(f, ENC_EIR) & ENC_EI_TXER);
	}
	CHECK_EQ(stats(f).driver_mistakes, 0);
	fx_free(f);
}

static void test_tx_duplex_mismatch(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, 0);
	phy_wr(f, ENC_PHCON1, 0); /* PHY half, MAC full */
	phy_wr(f, ENC_PHCON2, ENC_PHCON2_HDLDIS);
	transmit(f, 0x1000, 0, fr, mkframe(fr, peer_mac, 0x0800, 60, 0));
	CHECK_EQ(stats(f).driver_mistakes, 1);
	CHECK(strstr(stats(f).last_mistake, "FULDPX") != NULL);
	fx_free(f);
}

static void test_tx_loopback(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, ENC_ERXFCON_UCEN | ENC_ERXFCON_BCEN);
	wr(f, ENC_MACON3, ENC_MACON3_PADCFG0 | ENC_MACON3_TXCRCEN);
	phy_wr(f, ENC_PHCON1, 0);
	mkframe(fr, bcast_mac, 0x0806, 60, 0);
	/* half duplex without HDLDIS: the PHY hands our broadcast back */
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 1);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 1);
	phy_wr(f, ENC_PHCON2, ENC_PHCON2_HDLDIS);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 2);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 1);
	/* PLOOPBK: back to us only, nothing on the cable */
	phy_wr(f, ENC_PHCON1, ENC_PHCON1_PLOOPBK);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 2);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 2);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_NO_LINK);
	CHECK_EQ(stats(f).tx_loopback, 2);
	fx_free(f);
}

static void test_tx_error(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];
	uint64_t tsv;

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, peer_mac, 0x0800, 60, 0);
	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_TX_ERROR, 1), 0);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 0);
	CHECK(rd(f, ENC_EIR) & ENC_EI_TXER);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_TX));
	CHECK(rd(f, ENC_ESTAT) & ENC_ESTAT_TXABRT);
	CHECK(!(rd(f, ENC_ECON1) & ENC_ECON1_TXRTS));
	tsv = tsv_at(f, 0x1000, 60);
	CHECK(tsv & ENC_TSV_LATE_COLL);
	CHECK(!(tsv & ENC_TSV_DONE));
	/* the retry goes out, and the abort flag is gone */
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 1);
	CHECK(!(rd(f, ENC_ESTAT) & ENC_ESTAT_TXABRT));
	CHECK_EQ(stats(f).tx_aborted, 1);
	fx_free(f);
}

static void test_erratum12(void)
{
	struct fx *f = fx_new(ENC_SIM_ERRATUM_12);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, peer_mac, 0x0800, 60, 0);
	enc_sim_inject(f->s, ENC_SIM_FAULT_TX_ERROR, 1);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK(rd(f, ENC_EIR) & ENC_EI_TXER);
	CHECK(rd(f, ENC_ECON1) & ENC_ECON1_TXRTS); /* stuck */
	bfc(f, ENC_ECON1, ENC_ECON1_TXRTS);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 0);
	CHECK(rd(f, ENC_ECON1) & ENC_ECON1_TXRTS);
	/* the workaround: pulse TXRST */
	bfs(f, ENC_ECON1, ENC_ECON1_TXRST);
	bfc(f, ENC_ECON1, ENC_ECON1_TXRST);
	CHECK(!(rd(f, ENC_ECON1) & ENC_ECON1_TXRTS));
	transmit(f, 0x1000, 0, fr, 60);
	CHECK_EQ(f->ntx, 1);
	CHECK(stats(f).errata_events >= 1);
	fx_free(f);
}

/* ---- §3.3: PHY -------------------------------------------------------- */

static void test_phy(void)
{
	struct fx *f = fx_new(0);

	CHECK_EQ(phy_rd(f, ENC_PHID1), 0x0083);
	CHECK_EQ(phy_rd(f, ENC_PHID2), 0x1400);
	CHECK_EQ(phy_rd(f, ENC_PHLCON), 0x3422);
	CHECK(phy_rd(f, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT);

	/* MISTAT.BUSY for the MII time; MIRD only valid after it */
	wr(f, ENC_MIREGADR, ENC_PHID1);
	wr(f, ENC_MIRDL, 0); /* read-only */
	wr(f, ENC_MICMD, ENC_MICMD_MIIRD);
	CHECK(rd(f, ENC_MISTAT) & ENC_MISTAT_BUSY);
	f->now += 5000;
	CHECK(rd(f, ENC_MISTAT) & ENC_MISTAT_BUSY);
	f->now += 6000;
	CHECK(!(rd(f, ENC_MISTAT) & ENC_MISTAT_BUSY));
	wr(f, ENC_MICMD, 0);
	CHECK_EQ(rd(f, ENC_MIRDL), 0x83);

	/* MIWRL alone does nothing; MIWRH starts the write */
	wr(f, ENC_MIREGADR, ENC_PHLCON);
	wr(f, ENC_MIWRL, 0x76);
	CHECK(!(rd(f, ENC_MISTAT) & ENC_MISTAT_BUSY));
	wr(f, ENC_MIWRH, 0x04);
	CHECK(rd(f, ENC_MISTAT) & ENC_MISTAT_BUSY);
	CHECK_EQ(enc_sim_peek_phy(f->s, ENC_PHLCON), 0x3422);
	CHECK(enc_sim_poll(f->s) != UINT64_MAX); /* something is pending */
	f->now += 11000;
	CHECK_EQ(enc_sim_poll(f->s), UINT64_MAX);
	CHECK_EQ(enc_sim_peek_phy(f->s, ENC_PHLCON), 0x0476);
	CHECK_EQ(stats(f).driver_mistakes, 1); /* the MIRDL write */
	/* a second command while busy is a mistake */
	wr(f, ENC_MIWRH, 0x04);
	wr(f, ENC_MIWRH, 0x04);
	CHECK_EQ(stats(f).driver_mistakes, 3);
	f->now += 11000;

	/* MIISCAN keeps MIRD fresh */
	wr(f, ENC_MIREGADR, ENC_PHSTAT2);
	wr(f, ENC_MICMD, ENC_MICMD_MIISCAN);
	CHECK(rd(f, ENC_MISTAT) & ENC_MISTAT_NVALID);
	f->now += 11000;
	CHECK(!(rd(f, ENC_MISTAT) & ENC_MISTAT_NVALID));
	CHECK(rd(f, ENC_MIRDH) & (ENC_PHSTAT2_LSTAT >> 8));
	enc_sim_set_link(f->s, false);
	CHECK(!(rd(f, ENC_MIRDH) & (ENC_PHSTAT2_LSTAT >> 8)));
	wr(f, ENC_MICMD, 0);
	CHECK(!(rd(f, ENC_MISTAT) & ENC_MISTAT_SCAN));
	fx_free(f);
}

static void test_link_change(void)
{
	struct fx *f = fx_new(0);

	/* without PHIE, a link change raises no LINKIF */
	wr(f, ENC_EIE, ENC_EIE_INTIE | ENC_EI_LINK);
	enc_sim_set_link(f->s, false);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_LINK));
	CHECK(!enc_sim_int_asserted(f->s));
	phy_rd(f, ENC_PHIR);
	enc_sim_set_link(f->s, true);

	phy_wr(f, ENC_PHIE, ENC_PHIE_PGEIE | ENC_PHIE_PLNKIE);
	phy_rd(f, ENC_PHIR); /* clear what is pending */
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_LINK));
	f->edges = 0;
	enc_sim_set_link(f->s, false);
	CHECK(rd(f, ENC_EIR) & ENC_EI_LINK);
	CHECK(enc_sim_int_asserted(f->s));
	CHECK_EQ(f->edges, 1);
	CHECK(!(phy_rd(f, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT));
	/* BFC cannot clear LINKIF; reading PHIR does */
	bfc(f, ENC_EIR, ENC_EI_LINK);
	CHECK(rd(f, ENC_EIR) & ENC_EI_LINK);
	CHECK(phy_rd(f, ENC_PHIR) & (ENC_PHIR_PLNKIF | ENC_PHIR_PGIF));
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_LINK));
	CHECK(!enc_sim_int_asserted(f->s));
	/* LLSTAT latches the drop until PHSTAT1 is read */
	enc_sim_set_link(f->s, true);
	CHECK(!(phy_rd(f, ENC_PHSTAT1) & ENC_PHSTAT1_LLSTAT));
	CHECK(phy_rd(f, ENC_PHSTAT1) & ENC_PHSTAT1_LLSTAT);
	CHECK_EQ(f->edges, 2);
	fx_free(f);
}

static void test_link_flap(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	uint64_t t0 = f->now;

	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_LINK_FLAP, 1000), 0);
	CHECK(!(phy_rd(f, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT));
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_NO_LINK);
	CHECK_EQ(enc_sim_poll(f->s), t0 + 1000000); /* the link returns 1 ms after the drop */
	f->now += 1000000;
	enc_sim_poll(f->s);
	CHECK(phy_rd(f, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_STORED);
	CHECK_EQ(stats(f).link_changes, 2);
	/* a zero-length flap still leaves its mark in PHIR and LLSTAT */
	phy_rd(f, ENC_PHIR);
	phy_rd(f, ENC_PHSTAT1);
	enc_sim_inject(f->s, ENC_SIM_FAULT_LINK_FLAP, 0);
	CHECK_EQ(stats(f).link_changes, 4);
	CHECK(phy_rd(f, ENC_PHIR) & ENC_PHIR_PLNKIF);
	CHECK(!(phy_rd(f, ENC_PHSTAT1) & ENC_PHSTAT1_LLSTAT));
	fx_free(f);
}

/* ---- §12: INT pin ----------------------------------------------------- */

static void test_int_pin(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	CHECK(!enc_sim_int_asserted(f->s));
	wr(f, ENC_EIE, ENC_EI_PKT); /* no INTIE: the pin stays high */
	enc_sim_wire_rx(f->s, fr, 60);
	CHECK(!enc_sim_int_asserted(f->s));
	CHECK(rd(f, ENC_ESTAT) & ENC_ESTAT_INT);
	bfs(f, ENC_EIE, ENC_EIE_INTIE);
	CHECK(enc_sim_int_asserted(f->s));
	CHECK_EQ(f->edges, 1);
	enc_sim_wire_rx(f->s, fr, 60);
	CHECK_EQ(f->edges, 1); /* already low: no new edge */
	/* the service routine's dance: INTIE off, work, INTIE on = new edge */
	bfc(f, ENC_EIE, ENC_EIE_INTIE);
	CHECK(!enc_sim_int_asserted(f->s));
	bfs(f, ENC_EIE, ENC_EIE_INTIE);
	CHECK_EQ(f->edges, 2);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	CHECK(!enc_sim_int_asserted(f->s));
	/* TXIF and RXERIF reach the pin too */
	wr(f, ENC_EIE, ENC_EIE_INTIE | ENC_EI_TX);
	transmit(f, 0x1000, 0, fr, 60);
	CHECK(enc_sim_int_asserted(f->s));
	bfc(f, ENC_EIR, ENC_EI_TX);
	CHECK(!enc_sim_int_asserted(f->s));
	CHECK_EQ(stats(f).int_edges, f->edges);
	fx_free(f);
}

/* ---- §11: reset ------------------------------------------------------- */

static void test_soft_reset(void)
{
	struct fx *f = fx_new(0);
	uint8_t src = ENC_OP_SRC, b[4] = {1, 2, 3, 4}, got[4];

	chip_init(f, 0, 0x0fff, ENC_ERXFCON_UCEN);
	phy_wr(f, ENC_PHLCON, 0x0476);
	wr16(f, ENC_EWRPTL, 0x1800);
	wbm(f, b, 4);
	enc_sim_transfer(f->s, &src, NULL, 1);
	CHECK_EQ(stats(f).soft_resets, 1);
	/* the oscillator restarts: CLKRDY low, everything else ignored */
	CHECK(!(rd(f, ENC_ESTAT) & ENC_ESTAT_CLKRDY));
	op2(f, ENC_OP_WCR | enc_reg_addr(ENC_EIE), 0xc0);
	CHECK_EQ(stats(f).driver_mistakes, 1);
	f->now += 300000;
	CHECK(rd(f, ENC_ESTAT) & ENC_ESTAT_CLKRDY);
	CHECK_EQ(rd(f, ENC_EIE), 0);
	CHECK_EQ(rd(f, ENC_ECON1), 0);
	CHECK_EQ(rd(f, ENC_ECON2), ENC_ECON2_AUTOINC);
	CHECK_EQ(rd(f, ENC_ERXFCON), 0xa1);
	CHECK_EQ(rd16(f, ENC_ERXSTL), 0x05fa);
	CHECK_EQ(rd16(f, ENC_ERXNDL), 0x1fff);
	CHECK_EQ(rd16(f, ENC_ERXRDPTL), 0x05fa);
	CHECK_EQ(rd(f, ENC_MACON1), 0);
	CHECK_EQ(rd16(f, ENC_MAMXFLL), 0x0600);
	/* buffer SRAM and PHY keep their contents */
	enc_sim_peek(f->s, 0x1800, got, 4);
	CHECK_MEM(got, b, 4);
	CHECK_EQ(phy_rd(f, ENC_PHLCON), 0x0476);
	fx_free(f);
}

static void test_erratum2(void)
{
	struct fx *f = fx_new(ENC_SIM_ERRATUM_2);
	uint8_t src = ENC_OP_SRC;

	enc_sim_transfer(f->s, &src, NULL, 1);
	CHECK(rd(f, ENC_ESTAT) & ENC_ESTAT_CLKRDY); /* lies */
	wr(f, ENC_EIE, 0x40);
	f->now += 1000000; /* the workaround: wait 1 ms regardless */
	CHECK_EQ(rd(f, ENC_EIE), 0);
	CHECK(stats(f).driver_mistakes >= 1);
	wr(f, ENC_EIE, 0x40);
	CHECK_EQ(rd(f, ENC_EIE), 0x40);
	fx_free(f);
}

/* ---- other errata ----------------------------------------------------- */

static void test_erratum5(void)
{
	struct fx *f = fx_new(ENC_SIM_ERRATUM_5);

	wr16(f, ENC_ERXSTL, 0x0800);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 0x0000);
	fx_free(f);
	f = fx_new(0);
	wr16(f, ENC_ERXSTL, 0x0800);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 0x0800);
	fx_free(f);
}

static void test_erratum6(void)
{
	struct fx *f = fx_new(ENC_SIM_ERRATUM_6);
	uint8_t fr[60];
	unsigned missed = 0;

	chip_init(f, 0, 0x1fff - 0x200, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	for (unsigned i = 0; i < 40; i++) {
		enc_sim_wire_rx(f->s, fr, 60);
		if (!(rd(f, ENC_EIR) & ENC_EI_PKT))
			missed++;
		bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
		wr16(f, ENC_ERXRDPTL, (uint16_t)(rd16(f, ENC_ERXWRPTL) - 1));
	}
	CHECK(missed > 0 && missed < 40);
	/* PKTDEC drops PKTIF even with packets still waiting */
	enc_sim_wire_rx(f->s, fr, 60);
	enc_sim_wire_rx(f->s, fr, 60);
	enc_sim_wire_rx(f->s, fr, 60);
	bfs(f, ENC_ECON2, ENC_ECON2_PKTDEC);
	CHECK_EQ(rd(f, ENC_EPKTCNT), 2);
	CHECK(!(rd(f, ENC_EIR) & ENC_EI_PKT));
	fx_free(f);
}

static void test_erratum14(void)
{
	struct fx *f = fx_new(ENC_SIM_ERRATUM_14);
	uint8_t fr[60], h[2];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	enc_sim_wire_rx(f->s, fr, 60); /* ERXRDPT = 0x0FFF: odd, safe */
	enc_sim_peek(f->s, 0, h, 2);
	CHECK_EQ(h[0] | h[1] << 8, 70);
	wr16(f, ENC_ERXRDPTL, 70); /* even: the erratum bites */
	enc_sim_wire_rx(f->s, fr, 60);
	enc_sim_peek(f->s, 70, h, 2);
	CHECK((h[0] | h[1] << 8) != 140);
	CHECK_EQ(rd16(f, ENC_ERXWRPTL), 140); /* the chip itself knows better */
	CHECK_EQ(stats(f).errata_events, 1);
	fx_free(f);
}

/* ---- faults ----------------------------------------------------------- */

static void test_rx_overflow_fault(void)
{
	struct fx *f = fx_new(0);
	uint8_t fr[60];

	chip_init(f, 0, 0x0fff, 0);
	mkframe(fr, our_mac, 0x0800, 60, 0);
	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_RX_OVERFLOW, 2), 0);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_OVERFLOW);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_OVERFLOW);
	CHECK(rd(f, ENC_EIR) & ENC_EI_RXER);
	CHECK_EQ(enc_sim_wire_rx(f->s, fr, 60), ENC_SIM_RX_STORED);
	CHECK(rsv_of_last(f) & ENC_RSV_LONG_DROP);
	CHECK_EQ(stats(f).rx_overflow, 2);
	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT__MAX, 0), -EINVAL);
	fx_free(f);
}

static void test_spi_bits(void)
{
	struct fx *f = fx_new(0);
	unsigned wrong = 0;

	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_SPI_BITS, 2000000), -EINVAL);
	bank(f, ENC_EREVID);
	CHECK_EQ(enc_sim_inject(f->s, ENC_SIM_FAULT_SPI_BITS, 1000000), 0);
	for (unsigned i = 0; i < 8; i++) {
		uint8_t m[2] = {ENC_OP_RCR | enc_reg_addr(ENC_EREVID)}, s[2];
		uint8_t x;

		enc_sim_transfer(f->s, m, s, 2);
		x = s[1] ^ 0x06;
		wrong += x && !(x & (x - 1)); /* exactly one bit off */
	}
	CHECK_EQ(wrong, 8);
	enc_sim_inject(f->s, ENC_SIM_FAULT_SPI_BITS, 0);
	CHECK_EQ(rd(f, ENC_EREVID), 0x06);
	CHECK(stats(f).spi_bit_flips >= 8);
	fx_free(f);
}

/* ---- §13: DMA --------------------------------------------------------- */

static void test_dma(void)
{
	struct fx *f = fx_new(0);
	/* an IPv4 header whose checksum field (b8 61) makes the sum 0 */
	uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t got[20];

	wr16(f, ENC_ERXNDL, 0x0fff);
	wr16(f, ENC_EWRPTL, 0x1000);
	wbm(f, ip, 20);
	wr16(f, ENC_EDMASTL, 0x1000);
	wr16(f, ENC_EDMANDL, 0x1013);
	wr16(f, ENC_EDMADSTL, 0x1100);
	bfs(f, ENC_ECON1, ENC_ECON1_DMAST);
	CHECK(!(rd(f, ENC_ECON1) & ENC_ECON1_DMAST));
	CHECK(rd(f, ENC_EIR) & ENC_EI_DMA);
	enc_sim_peek(f->s, 0x1100, got, 20);
	CHECK_MEM(got, ip, 20);
	bfc(f, ENC_EIR, ENC_EI_DMA);

	bfs(f, ENC_ECON1, ENC_ECON1_CSUMEN | ENC_ECON1_DMAST);
	CHECK_EQ(rd16(f, ENC_EDMACSL), 0x0000);
	wr16(f, ENC_EWRPTL, 0x100a);
	wbm(f, (const uint8_t[]){0, 0}, 2);
	bfs(f, ENC_ECON1, ENC_ECON1_DMAST);
	CHECK_EQ(rd(f, ENC_EDMACSH), 0xb8);
	CHECK_EQ(rd(f, ENC_EDMACSL), 0x61);
	CHECK(rd(f, ENC_EIR) & ENC_EI_DMA);
	/* a copy out of the ring follows the ring's wrap */
	wr16(f, ENC_EWRPTL, 0x0ffe);
	wbm(f, (const uint8_t[]){0xa1, 0xa2}, 2);
	wr16(f, ENC_EWRPTL, 0x0000);
	wbm(f, (const uint8_t[]){0xa3, 0xa4}, 2);
	bfc(f, ENC_ECON1, ENC_ECON1_CSUMEN);
	wr16(f, ENC_ERXSTL, 0);
	wr16(f, ENC_EDMASTL, 0x0ffe);
	wr16(f, ENC_EDMANDL, 0x0001);
	wr16(f, ENC_EDMADSTL, 0x1200);
	bfs(f, ENC_ECON1, ENC_ECON1_DMAST);
	enc_sim_peek(f->s, 0x1200, got, 4);
	CHECK(got[0] == 0xa1 && got[1] == 0xa2 && got[2] == 0xa3 && got[3] == 0xa4);
	CHECK_EQ(stats(f).dma_copies, 2);
	CHECK_EQ(stats(f).dma_checksums, 2);
	fx_free(f);
}

/* ---- threads: SPI side and wire side at once ---------------------------- */

struct blaster {
	struct enc_sim *s;
	atomic_bool stop;
	unsigned sent;
};

static void *blast(void *arg)
{
	struct blaster *b = arg;
	uint8_t fr[128];

	mkframe(fr, our_mac, 0x0800, 128, 0);
	while (!atomic_load(&b->stop)) {
		enc_sim_wire_rx(b->s, fr, 128);
		b->sent++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct fx *f = fx_new(0);
	struct blaster b = {.s = f->s};
	uint8_t got[200];
	uint16_t next = 0;
	unsigned ok = 0, bad = 0;
	pthread_t t;
	size_t len;

	chip_init(f, 0, 0x17ff, 0);
	pthread_create(&t, NULL, blast, &b);
	while (ok < 2000 && bad == 0) {
		if (!rd(f, ENC_EPKTCNT))
			continue;
		drain_one(f, &next, got, &len);
		if (len == 132 && got[0] == our_mac[0])
			ok++;
		else
			bad++;
	}
	atomic_store(&b.stop, true);
	pthread_join(t, NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(ok, 2000);
	fx_free(f);
}

/* ---- the socket server ------------------------------------------------ */

/* The server is single-threaded: its thread publishes the client count. */
struct srv_thread {
	struct enc_sim_server *srv;
	atomic_bool stop;
	atomic_size_t nclients;
};

static void *serve(void *arg)
{
	struct srv_thread *st = arg;

	while (!atomic_load(&st->stop)) {
		enc_sim_server_run(st->srv, 10);
		atomic_store(&st->nclients, enc_sim_server_nclients(st->srv));
	}
	return NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool full_write(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool full_read(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* One CS window through the socket. */
static bool sock_xfer(int fd, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	uint8_t h[2] = {(uint8_t)(n >> 8), (uint8_t)n};

	return full_write(fd, h, 2) && full_write(fd, mosi, n) && full_read(fd, miso, n);
}

/* The server thread notices hang-ups in its own time; wait for it. */
static bool wait_clients(struct srv_thread *st, size_t n)
{
	for (unsigned i = 0; i < 2000; i++) {
		if (atomic_load(&st->nclients) == n)
			return true;
		usleep(1000);
	}
	return false;
}

static void test_server(void)
{
	struct fx *f = fx_new(0);
	struct srv_thread st = {0};
	char path[64];
	uint8_t miso[4];
	pthread_t t;
	int fd, fd2;

	snprintf(path, sizeof(path), "/tmp/vh-enc-test-%d.sock", (int)getpid());
	CHECK_EQ(enc_sim_server_new(f->s, path, &st.srv), 0);
	if (!st.srv) {
		fx_free(f);
		return;
	}
	{
		struct enc_sim_server *dup = NULL;

		CHECK_EQ(enc_sim_server_new(f->s, path, &dup), -EADDRINUSE); /* live */
		CHECK(dup == NULL);
	}
	pthread_create(&t, NULL, serve, &st);

	fd = connect_to(path);
	CHECK(fd >= 0);
	/* bank 3, then RCR EREVID: two requests, two windows */
	CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_BFS | 0x1f, 0x03}, miso, 2));
	CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_RCR | 0x12, 0x00}, miso, 2));
	CHECK_EQ(miso[1], 0x06);
	/* pipelined: both requests in one write, replies in order */
	{
		uint8_t req[] = {0, 2, ENC_OP_RCR | 0x12, 0, 0, 3, ENC_OP_RCR | 0x0a, 0, 0};
		uint8_t rep[5];

		CHECK(full_write(fd, req, sizeof(req)));
		CHECK(full_read(fd, rep, sizeof(rep)));
		CHECK_EQ(rep[1], 0x06);
		CHECK_EQ(rep[4], 0x00); /* MISTAT after its dummy */
	}
	/* a full 65535-byte window: WBM, then read back through RBM */
	{
		static uint8_t big[65535], back[65535];

		big[0] = ENC_OP_WBM;
		for (size_t i = 1; i < sizeof(big); i++)
			big[i] = (uint8_t)(i * 13);
		CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_BFC | 0x1f, 0x03}, miso, 2));
		CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_WCR | 0x02, 0x00}, miso, 2));
		CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_WCR | 0x03, 0x00}, miso, 2));
		CHECK(sock_xfer(fd, big, back, sizeof(big)));
		/* the last 8192 bytes written are what memory holds */
		enc_sim_peek(f->s, (uint16_t)((sizeof(big) - 1 - 8192) & 0x1fff), back, 8192);
		CHECK_MEM(back, big + sizeof(big) - 8192, 8192);
	}

	/* N = 0 is refused: the connection closes, the server lives */
	fd2 = connect_to(path);
	CHECK(full_write(fd2, (const uint8_t[]){0, 0}, 2));
	CHECK(!full_read(fd2, miso, 1));
	close(fd2);
	/* a client that dies mid-request */
	fd2 = connect_to(path);
	CHECK(full_write(fd2, (const uint8_t[]){0, 10, 1, 2, 3}, 5));
	close(fd2);
	CHECK(wait_clients(&st, 1));
	CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_BFS | 0x1f, 0x03}, miso, 2));
	CHECK(sock_xfer(fd, (const uint8_t[]){ENC_OP_RCR | 0x12, 0x00}, miso, 2));
	CHECK_EQ(miso[1], 0x06);

	/* a seventeenth client is turned away */
	{
		int many[ENC_SIM_SERVER_MAX_CLIENTS];
		unsigned n = 0;

		for (unsigned i = 0; i < ENC_SIM_SERVER_MAX_CLIENTS; i++)
			many[n++] = connect_to(path);
		CHECK(wait_clients(&st, ENC_SIM_SERVER_MAX_CLIENTS));
		CHECK(!full_read(many[n - 1], miso, 1));
		for (unsigned i = 0; i < n; i++)
			close(many[i]);
	}
	close(fd);
	atomic_store(&st.stop, true);
	pthread_join(t, NULL);
	enc_sim_server_free(st.srv);
	CHECK(access(path, F_OK) != 0); /* the socket file is gone */
	fx_free(f);
}

static void test_server_stale_and_direct(void)
{
	struct fx *f = fx_new(0);
	struct enc_sim_server *srv = NULL;
	char path[64];
	uint8_t rep[2];
	int lfd, c, sfd;

	snprintf(path, sizeof(path), "/tmp/vh-enc-stale-%d.sock", (int)getpid());
	/* a socket file with nobody behind it is replaced */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		strcpy(sa.sun_path, path);
		CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(lfd);
	CHECK_EQ(enc_sim_server_new(f->s, path, &srv), 0);
	if (!srv) {
		fx_free(f);
		return;
	}
	/* drive it by hand, as a poll loop would */
	CHECK_EQ(enc_sim_server_accept(srv), -EAGAIN);
	c = connect_to(path);
	sfd = enc_sim_server_accept(srv);
	CHECK(sfd >= 0);
	CHECK_EQ(enc_sim_server_events(srv, sfd), POLLIN);
	CHECK_EQ(enc_sim_server_service(srv, sfd), 0); /* nothing yet */
	/* a request in two pieces */
	CHECK(full_write(c, (const uint8_t[]){0, 2, ENC_OP_RCR | 0x1e}, 3));
	CHECK_EQ(enc_sim_server_service(srv, sfd), 0);
	CHECK(full_write(c, (const uint8_t[]){0}, 1));
	CHECK_EQ(enc_sim_server_service(srv, sfd), 0);
	CHECK(full_read(c, rep, 2));
	CHECK_EQ(rep[1], ENC_ECON2_AUTOINC);
	close(c);
	CHECK_EQ(enc_sim_server_service(srv, sfd), -ECONNRESET);
	CHECK_EQ(enc_sim_server_service(srv, sfd), -ENOENT);
	CHECK_EQ(enc_sim_server_nclients(srv), 0);
	enc_sim_server_free(srv);
	/* not a socket: left alone */
	{
		FILE *fp = fopen(path, "w");
		struct enc_sim_server *no = NULL;

		fclose(fp);
		CHECK_EQ(enc_sim_server_new(f->s, path, &no), -EEXIST);
		unlink(path);
	}
	fx_free(f);
}

int main(void)
{
	test_opcodes_eth();
	test_macmii_dummy();
	test_bfs_mac_ignored();
	test_banks_common();
	test_split_instruction();
	test_rbm_wrap();
	test_wbm_wrap();
	test_erxrdpt_latch();
	test_rx_placement();
	test_rx_wrap_stream();
	test_pktdec();
	test_epktcnt_saturates();
	test_rx_overflow();
	test_rx_gating();
	test_rx_length();
	test_rx_status_bits();
	test_filters();
	test_crc_fault();
	test_tx();
	test_tx_duplex_mismatch();
	test_tx_loopback();
	test_tx_error();
	test_erratum12();
	test_phy();
	test_link_change();
	test_link_flap();
	test_int_pin();
	test_soft_reset();
	test_erratum2();
	test_erratum5();
	test_erratum6();
	test_erratum14();
	test_rx_overflow_fault();
	test_spi_bits();
	test_dma();
	test_threads();
	test_server();
	test_server_stale_and_direct();
	return check_done();
}
