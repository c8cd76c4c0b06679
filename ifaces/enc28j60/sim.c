/* sim.c: the ENC28J60 model behind sim.h.
 *
 * Datasheet DS39662E sections modelled, in file order:
 *   §4.2     SPI instruction decoder, one byte at a time (Table 4-1)
 *   §3.1     banked control registers, common 0x1B-0x1F, read-only and
 *            write-one-to-clear bits (Table 3-1, Registers 3-1, 3-2, 12-1..3)
 *   §3.2     buffer SRAM, ERDPT/EWRPT auto-increment and wrap, ERXRDPT latch
 *   §3.3     MII access to the PHY (MISTAT.BUSY, MIIRD, MIWRH starts a write,
 *            MIISCAN), PHY registers, PHIE/PHIR/LINKIF
 *   §7.1     transmit: per-packet control byte, padding and CRC (Register 6-2
 *            PADCFG), transmit status vector (Table 7-1)
 *   §7.2     receive: ring placement, next pointer, status vector (Table 7-3),
 *            even alignment, EPKTCNT/PKTDEC, RXERIF
 *   §8       receive filters (ERXFCON, Register 8-1)
 *   §11      soft reset (SRC), TXRST/RXRST
 *   §12      INT pin, EIE/EIR
 *   §13      DMA copy and checksum
 * Silicon errata DS80349 items 2, 5, 6, 12 and 14 are optional behaviours.
 *
 * Locking: every public entry point runs under s->lock and collects the side
 * effects that leave the chip (a frame for the cable, a falling INT edge) in
 * a struct deferred; they are delivered after unlocking so callbacks can call
 * back in. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "enc28j60_regs.h"
#include "fcs.h"
#include "sim.h"
#include "timer.h"
#include "wire/csum.h"

enum {
	DEFAULT_REVID = 0x06,          /* rev B7, the last silicon revision */
	DEFAULT_RESET_NS = 300 * 1000, /* oscillator start-up timer, §2.2 */
	DEFAULT_MII_NS = 10240,        /* 10.24 us per MII operation, §3.3.1 */
	DEFAULT_SEED = 0x5eed,
	/* Bits software may clear in EIR and ESTAT ("R/C"); PKTIF and LINKIF
	 * only change with EPKTCNT and PHIR. */
	EIR_CLEARABLE = ENC_EI_DMA | ENC_EI_TX | ENC_EI_TXER | ENC_EI_RXER,
	ESTAT_CLEARABLE = ENC_ESTAT_BUFER | ENC_ESTAT_LATECOL | ENC_ESTAT_TXABRT,
	EPKTCNT_MAX = 255,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_MAC_CONTROL = 0x8808,
	MAC_CONTROL_PAUSE = 0x0001,
	ETH_MAX_LEN_FIELD = 1500, /* larger values in the type/length field are types */
	ETH_MIN_PAYLOAD = 46,
	TX_MAX = ENC_MEM_SIZE + ENC_ETH_MIN_NOFCS + ENC_ETH_FCS_LEN,
};

/* Which bits of each control register a WCR may change (Table 3-1 and the
 * register descriptions). Zero means read-only or reserved; the special
 * registers (EIR, ESTAT, ECON1, ECON2, ERXRDPT) are handled in code. */
static const uint8_t wmask[ENC_BANKS][32] = {
	[0] = {
		[0x00] = 0xff, [0x01] = 0x1f, /* ERDPT */
		[0x02] = 0xff, [0x03] = 0x1f, /* EWRPT */
		[0x04] = 0xff, [0x05] = 0x1f, /* ETXST */
		[0x06] = 0xff, [0x07] = 0x1f, /* ETXND */
		[0x08] = 0xff, [0x09] = 0x1f, /* ERXST */
		[0x0a] = 0xff, [0x0b] = 0x1f, /* ERXND */
		[0x10] = 0xff, [0x11] = 0x1f, /* EDMAST */
		[0x12] = 0xff, [0x13] = 0x1f, /* EDMAND */
		[0x14] = 0xff, [0x15] = 0x1f, /* EDMADST */
		[0x1b] = 0xfb,                /* EIE */
	},
	[1] = {
		[0x00] = 0xff, [0x01] = 0xff, [0x02] = 0xff, [0x03] = 0xff, /* EHT0-7 */
		[0x04] = 0xff, [0x05] = 0xff, [0x06] = 0xff, [0x07] = 0xff,
		[0x08] = 0xff, [0x09] = 0xff, [0x0a] = 0xff, [0x0b] = 0xff, /* EPMM0-7 */
		[0x0c] = 0xff, [0x0d] = 0xff, [0x0e] = 0xff, [0x0f] = 0xff,
		[0x10] = 0xff, [0x11] = 0xff, /* EPMCS */
		[0x14] = 0xff, [0x15] = 0x1f, /* EPMO */
		[0x18] = 0xff,                /* ERXFCON */
	},
	[2] = {
		[0x00] = 0x0f, /* MACON1 */
		[0x02] = 0xff, /* MACON3 */
		[0x03] = 0x70, /* MACON4 */
		[0x04] = 0x7f, /* MABBIPG */
		[0x06] = 0x7f, [0x07] = 0x7f, /* MAIPG */
		[0x08] = 0x0f, [0x09] = 0x3f, /* MACLCON1, MACLCON2 */
		[0x0a] = 0xff, [0x0b] = 0xff, /* MAMXFL */
		[0x12] = 0x03, /* MICMD */
		[0x14] = 0x1f, /* MIREGADR */
		[0x16] = 0xff, [0x17] = 0xff, /* MIWR */
	},
	[3] = {
		[0x00] = 0xff, [0x01] = 0xff, [0x02] = 0xff, /* MAADR */
		[0x03] = 0xff, [0x04] = 0xff, [0x05] = 0xff,
		[0x06] = 0xff, [0x07] = 0xff, /* EBSTSD, EBSTCON */
		[0x15] = 0x07, /* ECOCON */
		[0x17] = 0x03, /* EFLOCON */
		[0x18] = 0xff, [0x19] = 0xff, /* EPAUS */
	},
};

enum spi_state {
	SPI_OPCODE,   /* next byte is an instruction */
	SPI_RCR_DUMMY, /* MAC/MII read: one dummy byte first (§4.2.1) */
	SPI_RCR,
	SPI_RBM,
	SPI_WBM,
	SPI_WRITE,    /* WCR, BFS or BFC (spi_op): one data byte */
	SPI_SRC,      /* reset happens when CS rises */
	SPI_IGNORE,   /* instruction done or refused: clocks do nothing */
};

struct enc_sim {
	pthread_mutex_t lock;
	struct enc_sim_config cfg;

	uint8_t mem[ENC_MEM_SIZE];
	uint8_t regs[ENC_BANKS][32]; /* common registers live in bank 0 */
	uint16_t phy[ENC_PHY_REGS];

	/* SPI decoder */
	enum spi_state spi;
	uint8_t spi_op, spi_bank, spi_addr;

	uint8_t rdpt_low;       /* ERXRDPTL waits here until ERXRDPTH is written */
	bool rx_lost;           /* a frame was lost since the last stored one (RSV bit 16) */
	bool tx_stalled;        /* erratum 12: TXRTS stuck until TXRST */

	/* MII: one operation at a time, finished by the clock */
	bool mii_busy, mii_write, mii_scan, mii_scan_valid;
	uint8_t mii_reg;
	uint16_t mii_val;
	uint64_t mii_done;

	bool in_reset;
	uint64_t reset_done;

	bool link, link_latch; /* cable state, PHSTAT1.LLSTAT latch */
	bool flap_pending;
	uint64_t flap_up;

	/* faults */
	uint32_t rx_overflow_left, tx_error_left, rx_crc_left, spi_flip_ppm;
	uint64_t rng;

	atomic_bool int_low;
	void (*int_cb)(void *arg);
	void *int_arg;
	void (*tx_cb)(void *arg, const uint8_t *frame, size_t len);
	void *tx_arg;

	struct enc_sim_stats stats;
	uint8_t rxbuf[ENC_MEM_SIZE + ENC_ETH_MIN_NOFCS + ENC_ETH_FCS_LEN];
};

/* Effects to deliver once the lock is released. */
struct deferred {
	bool int_fell;
	uint8_t *tx_buf; /* NULL when the call cannot transmit */
	size_t tx_len;
	bool tx;
};

/* ---- small helpers ---------------------------------------------------- */

/* The Internet checksum as the DMA engine and the pattern matcher compute
 * it (§13, §8), as a big-endian value: EDMACSH and EPMCSH hold the byte
 * that goes first in a packet. */
static uint16_t inet_csum_be(const uint8_t *p, size_t n)
{
	uint16_t c = wire_csum(p, n);
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint64_t rng_next(struct enc_sim *s)
{
	/* xorshift64*: plenty for fault dice, reproducible from the seed */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static uint64_t clock_now(const struct enc_sim *s)
{
	return s->cfg.now_ns ? s->cfg.now_ns(s->cfg.clock_arg) : vh_now(NULL);
}

static void mistake(struct enc_sim *s, const char *what)
{
	s->stats.driver_mistakes++;
	s->stats.last_mistake = what;
}

static uint8_t *reg(struct enc_sim *s, unsigned r)
{
	return &s->regs[enc_reg_bank(r)][enc_reg_addr(r)];
}

static uint16_t ptr_get(struct enc_sim *s, unsigned lo)
{
	return (uint16_t)(*reg(s, lo) | (*reg(s, lo + 1) << 8));
}

static void ptr_set(struct enc_sim *s, unsigned lo, uint16_t v)
{
	*reg(s, lo) = v & 0xff;
	*reg(s, lo + 1) = (v >> 8) & ENC_PTR_HIGH_MASK;
}

static bool errata(const struct enc_sim *s, uint32_t which)
{
	return (s->cfg.errata & which) != 0;
}

/* The next address after p for a reader walking the receive ring: the byte
 * at ERXND is followed by ERXST, 0x1FFF by 0x0000 (§4.2.2). */
static uint16_t ring_next(struct enc_sim *s, uint16_t p)
{
	if (p == ptr_get(s, ENC_ERXNDL))
		return ptr_get(s, ENC_ERXSTL);
	return (p + 1) & ENC_MEM_MASK;
}

/* ---- PHY -------------------------------------------------------------- */

static bool phy_full_duplex(struct enc_sim *s)
{
	return (s->phy[ENC_PHCON1] & ENC_PHCON1_PDPXMD) != 0;
}

static void phy_reset(struct enc_sim *s)
{
	memset(s->phy, 0, sizeof(s->phy));
	s->phy[ENC_PHCON1] = s->cfg.full_duplex_strap ? ENC_PHCON1_PDPXMD : 0;
	s->phy[ENC_PHID1] = ENC_PHID1_VALUE;
	s->phy[ENC_PHID2] = ENC_PHID2_VALUE;
	s->phy[ENC_PHLCON] = ENC_PHLCON_RESET;
	s->link_latch = s->link;
}

/* The cable as the MAC sees it: PHY loopback cuts the twisted pair off. */
static bool phy_carrier(struct enc_sim *s)
{
	return s->link && !(s->phy[ENC_PHCON1] & (ENC_PHCON1_PLOOPBK | ENC_PHCON1_PPWRSV));
}

static void set_link(struct enc_sim *s, bool up)
{
	if (s->link == up)
		return;
	s->link = up;
	if (!up)
		s->link_latch = false; /* LLSTAT remembers a drop until read */
	/* PLNKIF records every change; whether it reaches EIR is PHIE's business */
	s->phy[ENC_PHIR] |= ENC_PHIR_PLNKIF;
	s->stats.link_changes++;
}

/* EIR.LINKIF follows PHIR through PHIE (§12.1): not a stored bit. */
static bool linkif(struct enc_sim *s)
{
	uint16_t ie = s->phy[ENC_PHIE];

	return (ie & ENC_PHIE_PGEIE) && (ie & ENC_PHIE_PLNKIE) &&
	       (s->phy[ENC_PHIR] & ENC_PHIR_PLNKIF);
}

/* A PHY register as read through MII, with the read's side effects. */
static uint16_t phy_read(struct enc_sim *s, uint8_t r)
{
	uint16_t v;

	switch (r) {
	case ENC_PHSTAT1:
		v = ENC_PHSTAT1_PFDPX | ENC_PHSTAT1_PHDPX;
		if (s->link_latch)
			v |= ENC_PHSTAT1_LLSTAT;
		s->link_latch = s->link;
		return v;
	case ENC_PHSTAT2:
		return (s->link ? ENC_PHSTAT2_LSTAT : 0) |
		       (phy_full_duplex(s) ? ENC_PHSTAT2_DPXSTAT : 0);
	case ENC_PHIR:
		v = s->phy[ENC_PHIR];
		if ((v & ENC_PHIR_PLNKIF) && (s->phy[ENC_PHIE] & ENC_PHIE_PLNKIE))
			v |= ENC_PHIR_PGIF;
		s->phy[ENC_PHIR] = 0; /* reading PHIR clears it, and with it LINKIF */
		return v;
	default:
		return r < ENC_PHY_REGS ? s->phy[r] : 0;
	}
}

static void phy_write(struct enc_sim *s, uint8_t r, uint16_t v)
{
	switch (r) {
	case ENC_PHCON1:
		if (v & ENC_PHCON1_PRST) {
			phy_reset(s); /* self-clearing */
			return;
		}
		s->phy[r] = v & (ENC_PHCON1_PLOOPBK | ENC_PHCON1_PPWRSV | ENC_PHCON1_PDPXMD);
		return;
	case ENC_PHCON2:
		s->phy[r] = v & (ENC_PHCON2_FRCLNK | ENC_PHCON2_TXDIS | ENC_PHCON2_JABBER |
				 ENC_PHCON2_HDLDIS);
		return;
	case ENC_PHIE:
		s->phy[r] = v & (ENC_PHIE_PLNKIE | ENC_PHIE_PGEIE);
		return;
	case ENC_PHLCON:
		s->phy[r] = v;
		return;
	default:
		mistake(s, "MII write to a read-only or reserved PHY register");
	}
}

static void mii_finish(struct enc_sim *s)
{
	s->mii_busy = false;
	if (s->mii_write) {
		phy_write(s, s->mii_reg, s->mii_val);
		s->stats.mii_writes++;
		return;
	}
	uint16_t v = phy_read(s, s->mii_reg);

	*reg(s, ENC_MIRDL) = v & 0xff;
	*reg(s, ENC_MIRDH) = v >> 8;
	s->stats.mii_reads++;
}

static void mii_start(struct enc_sim *s, bool write)
{
	if (s->mii_busy) {
		mistake(s, "MII command while MISTAT.BUSY");
		return;
	}
	s->mii_busy = true;
	s->mii_write = write;
	s->mii_reg = *reg(s, ENC_MIREGADR) & 0x1f;
	s->mii_val = (uint16_t)(*reg(s, ENC_MIWRL) | (*reg(s, ENC_MIWRH) << 8));
	s->mii_done = clock_now(s) + s->cfg.mii_ns;
}

/* ---- reset and time --------------------------------------------------- */

/* Register values after a reset (Table 3-2, "Value on Reset"). The buffer
 * SRAM and the PHY keep their contents through a soft reset (§11.2). */
static void regs_reset(struct enc_sim *s)
{
	memset(s->regs, 0, sizeof(s->regs));
	ptr_set(s, ENC_ERDPTL, 0x05fa);
	ptr_set(s, ENC_ERXSTL, 0x05fa);
	ptr_set(s, ENC_ERXNDL, 0x1fff);
	ptr_set(s, ENC_ERXRDPTL, 0x05fa);
	s->rdpt_low = 0xfa;
	*reg(s, ENC_ECON2) = ENC_ECON2_AUTOINC;
	*reg(s, ENC_ERXFCON) = ENC_ERXFCON_UCEN | ENC_ERXFCON_CRCEN | ENC_ERXFCON_BCEN;
	*reg(s, ENC_MACLCON1) = 0x0f;
	*reg(s, ENC_MACLCON2) = 0x37;
	ptr_set(s, ENC_MAMXFLL, 0x0600);
	*reg(s, ENC_ECOCON) = 0x04;
	*reg(s, ENC_EPAUSH) = 0x10;

	s->spi = SPI_OPCODE;
	s->rx_lost = false;
	s->tx_stalled = false;
	s->mii_busy = s->mii_scan = s->mii_scan_valid = false;
}

/* Run the clock forward: finish what was waiting on it. */
static void tick(struct enc_sim *s)
{
	uint64_t now = clock_now(s);

	if (s->in_reset && now >= s->reset_done)
		s->in_reset = false;
	if (s->mii_busy && now >= s->mii_done) {
		mii_finish(s);
		if (s->mii_scan)
			s->mii_scan_valid = true;
	}
	if (s->flap_pending && now >= s->flap_up) {
		s->flap_pending = false;
		set_link(s, true);
	}
}

static uint64_t next_deadline(const struct enc_sim *s)
{
	uint64_t t = UINT64_MAX;

	if (s->in_reset && s->reset_done < t)
		t = s->reset_done;
	if (s->mii_busy && s->mii_done < t)
		t = s->mii_done;
	if (s->flap_pending && s->flap_up < t)
		t = s->flap_up;
	return t;
}

/* ---- interrupts ------------------------------------------------------- */

static uint8_t eir_value(struct enc_sim *s)
{
	return (uint8_t)(*reg(s, ENC_EIR) | (linkif(s) ? ENC_EI_LINK : 0));
}

/* INT is driven low while INTIE is set and an enabled flag is up (§12.0). */
static void int_update(struct enc_sim *s, struct deferred *d)
{
	uint8_t eie = *reg(s, ENC_EIE);
	bool pending = (eie & eir_value(s) & ENC_EI_ALL) != 0;
	bool low = pending && (eie & ENC_EIE_INTIE);

	if (low && !atomic_load(&s->int_low)) {
		d->int_fell = true;
		s->stats.int_edges++;
	}
	atomic_store(&s->int_low, low);
}

static void pktif_update(struct enc_sim *s, bool arrival)
{
	uint8_t *eir = reg(s, ENC_EIR);

	if (!errata(s, ENC_SIM_ERRATUM_6)) {
		/* the ideal flag mirrors EPKTCNT != 0 */
		if (*reg(s, ENC_EPKTCNT))
			*eir |= ENC_EI_PKT;
		else
			*eir &= ~ENC_EI_PKT;
		return;
	}
	/* Erratum 6: an arrival sometimes fails to raise PKTIF, and any
	 * PKTDEC drops it even with packets left. */
	if (arrival) {
		if (rng_next(s) % 4 == 0)
			s->stats.errata_events++;
		else
			*eir |= ENC_EI_PKT;
	} else {
		*eir &= ~ENC_EI_PKT;
	}
}

/* ---- receive (§7.2, §8) ----------------------------------------------- */

static void maadr(struct enc_sim *s, uint8_t mac[6])
{
	for (unsigned i = 0; i < 6; i++)
		mac[i] = *reg(s, enc_maadr_reg(i));
}

/* Pattern match (§8): the bytes EPMM selects from the 64-byte window at
 * EPMO are checksummed and compared with EPMCS. */
static bool match_pattern(struct enc_sim *s, const uint8_t *f, size_t len)
{
	uint16_t off = ptr_get(s, ENC_EPMOL);
	uint8_t sel[64];
	size_t n = 0;

	if ((size_t)off + 64 > len) /* the window must lie inside the frame */
		return false;
	for (unsigned i = 0; i < 64; i++)
		if (*reg(s, ENC_EPMM0 + i / 8) & (1u << (i % 8)))
			sel[n++] = f[off + i];
	return inet_csum_be(sel, n) == ptr_get(s, ENC_EPMCSL);
}

/* Magic Packet (§8): to our address, with six 0xFF then our address
 * sixteen times somewhere in the payload. */
static bool match_magic(const uint8_t *f, size_t len, const uint8_t mac[6])
{
	if (memcmp(f, mac, 6) != 0)
		return false;
	for (size_t i = ENC_ETH_HLEN; i + 6 + 16 * 6 <= len; i++) {
		size_t k;

		for (k = 0; k < 6 && f[i + k] == 0xff; k++)
			;
		if (k < 6)
			continue;
		for (k = 0; k < 16 && memcmp(f + i + 6 + 6 * k, mac, 6) == 0; k++)
			;
		if (k == 16)
			return true;
	}
	return false;
}

/* ERXFCON (Register 8-1): the enabled filters combined by AND or OR, then
 * the CRC check; no filter enabled means promiscuous. */
static bool rx_filter(struct enc_sim *s, const uint8_t *f, size_t len, bool crc_ok)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t fc = *reg(s, ENC_ERXFCON), mac[6], want, hit = 0;

	if ((fc & ENC_ERXFCON_CRCEN) && !crc_ok)
		return false;
	want = fc & (ENC_ERXFCON_UCEN | ENC_ERXFCON_PMEN | ENC_ERXFCON_MPEN | ENC_ERXFCON_HTEN |
		     ENC_ERXFCON_MCEN | ENC_ERXFCON_BCEN);
	if (!want)
		return true;
	maadr(s, mac);
	if (memcmp(f, mac, 6) == 0)
		hit |= ENC_ERXFCON_UCEN;
	if (memcmp(f, bcast, 6) == 0)
		hit |= ENC_ERXFCON_BCEN;
	if (f[0] & 1)
		hit |= ENC_ERXFCON_MCEN;
	if (want & ENC_ERXFCON_HTEN) {
		/* CRC bits 28:23 of the destination pick one of 64 EHT bits */
		unsigned h = (enc_fcs(f, 6) >> 23) & 0x3f;

		if (*reg(s, ENC_EHT0 + h / 8) & (1u << (h % 8)))
			hit |= ENC_ERXFCON_HTEN;
	}
	if ((want & ENC_ERXFCON_PMEN) && match_pattern(s, f, len))
		hit |= ENC_ERXFCON_PMEN;
	if ((want & ENC_ERXFCON_MPEN) && match_magic(f, len, mac))
		hit |= ENC_ERXFCON_MPEN;
	if (fc & ENC_ERXFCON_ANDOR)
		return (hit & want) == want;
	return (hit & want) != 0;
}

static uint32_t rx_status(struct enc_sim *s, const uint8_t *f, size_t flen, bool crc_ok)
{
	uint32_t rsv = (uint32_t)flen;
	unsigned type = (unsigned)(f[12] << 8 | f[13]);
	size_t payload = flen - ENC_ETH_HLEN - ENC_ETH_FCS_LEN;

	if (s->rx_lost)
		rsv |= ENC_RSV_LONG_DROP;
	rsv |= crc_ok ? ENC_RSV_RX_OK : ENC_RSV_CRC_ERR;
	if (f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff &&
	    f[5] == 0xff)
		rsv |= ENC_RSV_BROADCAST;
	else if (f[0] & 1)
		rsv |= ENC_RSV_MULTICAST;
	if (type > ETH_MAX_LEN_FIELD) {
		/* a type, not a length: the chip flags every Ethernet II frame */
		rsv |= ENC_RSV_LEN_OUT_OF_RANGE;
	} else if ((*reg(s, ENC_MACON3) & ENC_MACON3_FRMLNEN) &&
		   (type > payload || (payload > ETH_MIN_PAYLOAD && type != payload))) {
		rsv |= ENC_RSV_LEN_CHECK_ERR;
	}
	if (type == ETHERTYPE_MAC_CONTROL) {
		unsigned op = (unsigned)(f[14] << 8 | f[15]);

		rsv |= ENC_RSV_CONTROL | (op == MAC_CONTROL_PAUSE ? ENC_RSV_PAUSE
								   : ENC_RSV_UNKNOWN_OP);
	}
	if (type == ETHERTYPE_VLAN)
		rsv |= ENC_RSV_VLAN;
	return rsv;
}

static enum enc_sim_rx_result rx_lose(struct enc_sim *s)
{
	*reg(s, ENC_EIR) |= ENC_EI_RXER;
	s->rx_lost = true;
	s->stats.rx_overflow++;
	return ENC_SIM_RX_OVERFLOW;
}

/* Room for need bytes at ERXWRPT that leaves ERXWRPT short of ERXRDPT, so
 * equal pointers always mean an empty ring (§7.2.4). */
static bool rx_room(struct enc_sim *s, size_t need)
{
	uint16_t st = ptr_get(s, ENC_ERXSTL), nd = ptr_get(s, ENC_ERXNDL);
	uint16_t wr = ptr_get(s, ENC_ERXWRPTL), rd = ptr_get(s, ENC_ERXRDPTL);
	size_t size, avail;

	if (nd < st) /* an inverted ring has no room at all */
		return false;
	size = (size_t)nd - st + 1;
	if (wr < st || wr > nd || rd < st || rd > nd || rd == wr)
		avail = size;
	else
		avail = (size_t)((rd - wr + (long)size) % (long)size);
	return need < avail;
}

/* Store the frame (FCS included) at ERXWRPT: next pointer, status vector,
 * data, a pad byte to the next even address, wrapping at ERXND (Fig. 7-3). */
static void rx_store(struct enc_sim *s, const uint8_t *f, size_t flen, uint32_t rsv)
{
	uint16_t p = ptr_get(s, ENC_ERXWRPTL), next = p;
	size_t need = ENC_RX_HDR_LEN + flen + (flen & 1);
	uint8_t hdr[ENC_RX_HDR_LEN];

	for (size_t i = 0; i < need; i++)
		next = ring_next(s, next);
	hdr[0] = next & 0xff;
	hdr[1] = next >> 8;
	if (errata(s, ENC_SIM_ERRATUM_14) && !(ptr_get(s, ENC_ERXRDPTL) & 1)) {
		/* Erratum 14: an even ERXRDPT lets the hardware scribble over
		 * the header; we garble the next pointer, the part that hurts. */
		hdr[0] ^= 0x55;
		hdr[1] ^= 0x0a;
		s->stats.errata_events++;
	}
	hdr[2] = rsv & 0xff;
	hdr[3] = (rsv >> 8) & 0xff;
	hdr[4] = (rsv >> 16) & 0xff;
	hdr[5] = (rsv >> 24) & 0xff;
	for (size_t i = 0; i < ENC_RX_HDR_LEN; i++, p = ring_next(s, p))
		s->mem[p] = hdr[i];
	for (size_t i = 0; i < flen; i++, p = ring_next(s, p))
		s->mem[p] = f[i];
	ptr_set(s, ENC_ERXWRPTL, next);
}

/* A frame arrives at the MAC, without FCS. bad_fcs corrupts the FCS the
 * sender appended; loop says it comes from our own transmitter. */
static enum enc_sim_rx_result rx_frame(struct enc_sim *s, const uint8_t *frame, size_t len,
				       bool loop)
{
	uint8_t *f = s->rxbuf, econ1 = *reg(s, ENC_ECON1);
	size_t flen = len < ENC_ETH_MIN_NOFCS ? ENC_ETH_MIN_NOFCS : len;
	bool crc_ok = true;
	uint32_t fcs;

	if (!loop && !phy_carrier(s)) {
		s->stats.rx_no_link++;
		return ENC_SIM_RX_NO_LINK;
	}
	/* the sender pads short frames and appends the FCS, as on a cable */
	memcpy(f, frame, len);
	memset(f + len, 0, flen - len);
	fcs = enc_fcs(f, flen);
	if (!loop && s->rx_crc_left) {
		s->rx_crc_left--;
		fcs ^= 0x1;
		crc_ok = false;
		s->stats.rx_crc_errors++;
	}
	f[flen++] = fcs & 0xff;
	f[flen++] = (fcs >> 8) & 0xff;
	f[flen++] = (fcs >> 16) & 0xff;
	f[flen++] = (fcs >> 24) & 0xff;

	if (s->in_reset || !(econ1 & ENC_ECON1_RXEN) || (econ1 & ENC_ECON1_RXRST) ||
	    !(*reg(s, ENC_MACON1) & ENC_MACON1_MARXEN) || (*reg(s, ENC_ECON2) & ENC_ECON2_PWRSV)) {
		s->stats.rx_disabled++;
		return ENC_SIM_RX_DISABLED;
	}
	if (!rx_filter(s, f, flen, crc_ok) ||
	    /* MAC control frames stay in the MAC unless PASSALL */
	    ((f[12] << 8 | f[13]) == ETHERTYPE_MAC_CONTROL &&
	     !(*reg(s, ENC_MACON1) & ENC_MACON1_PASSALL))) {
		s->stats.rx_filtered++;
		return ENC_SIM_RX_FILTERED;
	}
	if (flen > ptr_get(s, ENC_MAMXFLL) && !(*reg(s, ENC_MACON3) & ENC_MACON3_HFRMEN)) {
		s->rx_lost = true;
		s->stats.rx_too_long++;
		return ENC_SIM_RX_TOO_LONG;
	}
	if (s->rx_overflow_left) {
		s->rx_overflow_left--;
		return rx_lose(s);
	}
	if (*reg(s, ENC_EPKTCNT) == EPKTCNT_MAX) /* the counter cannot go past 255 */
		return rx_lose(s);
	if (!rx_room(s, ENC_RX_HDR_LEN + flen + (flen & 1)))
		return rx_lose(s);

	rx_store(s, f, flen, rx_status(s, f, flen, crc_ok));
	s->rx_lost = false;
	(*reg(s, ENC_EPKTCNT))++;
	pktif_update(s, true);
	s->stats.rx_frames++;
	s->stats.rx_bytes += flen;
	return ENC_SIM_RX_STORED;
}

/* ---- transmit (§7.1) -------------------------------------------------- */

/* Padding target and whether the MAC appends the CRC, from the per-packet
 * control byte or MACON3.PADCFG/TXCRCEN (Register 6-2). */
static void tx_format(struct enc_sim *s, uint8_t ctl, const uint8_t *f, size_t n, size_t *pad,
		      bool *crc, bool *huge)
{
	uint8_t m3 = *reg(s, ENC_MACON3);

	if (ctl & ENC_TXCTL_POVERRIDE) {
		*crc = ctl & ENC_TXCTL_PCRCEN;
		*pad = (ctl & ENC_TXCTL_PPADEN) ? ENC_ETH_MIN_NOFCS : 0;
		*huge = ctl & ENC_TXCTL_PHUGEEN;
		return;
	}
	*crc = m3 & ENC_MACON3_TXCRCEN;
	*huge = m3 & ENC_MACON3_HFRMEN;
	switch ((m3 & ENC_MACON3_PADCFG_MASK) >> ENC_MACON3_PADCFG_SHIFT) {
	case 1:
		*pad = 60;
		break;
	case 3:
	case 7:
		*pad = 64;
		break;
	case 5: /* VLAN frames to 64, the rest to 60 */
		*pad = (n >= 14 && f[12] == 0x81 && f[13] == 0x00) ? 64 : 60;
		break;
	default:
		*pad = 0;
	}
	if (*pad && !*crc)
		mistake(s, "PADCFG pads but TXCRCEN is clear");
}

static void tx_write_tsv(struct enc_sim *s, uint64_t tsv)
{
	uint16_t p = (ptr_get(s, ENC_ETXNDL) + 1) & ENC_MEM_MASK;

	for (unsigned i = 0; i < ENC_TSV_LEN; i++, p = (p + 1) & ENC_MEM_MASK)
		s->mem[p] = (tsv >> (8 * i)) & 0xff;
}

static void tx_finish(struct enc_sim *s, bool ok, uint64_t tsv)
{
	tx_write_tsv(s, tsv);
	if (ok) {
		*reg(s, ENC_EIR) |= ENC_EI_TX;
		*reg(s, ENC_ECON1) &= ~ENC_ECON1_TXRTS;
		return;
	}
	*reg(s, ENC_EIR) |= ENC_EI_TXER;
	*reg(s, ENC_ESTAT) |= ENC_ESTAT_TXABRT;
	s->stats.tx_aborted++;
	if (errata(s, ENC_SIM_ERRATUM_12)) {
		/* Erratum 12: the transmit logic hangs with TXRTS set */
		s->tx_stalled = true;
		s->stats.errata_events++;
		return;
	}
	*reg(s, ENC_ECON1) &= ~ENC_ECON1_TXRTS;
}

/* ECON1.TXRTS rose: send ETXST+1..ETXND with the control byte at ETXST. */
static void tx_start(struct enc_sim *s, struct deferred *d)
{
	uint16_t st = ptr_get(s, ENC_ETXSTL), nd = ptr_get(s, ENC_ETXNDL);
	uint8_t *f = d->tx_buf, ctl = s->mem[st];
	size_t n = (size_t)((nd - st) & ENC_MEM_MASK), pad, wire;
	bool crc, huge, ok = true;
	uint64_t tsv = 0;
	unsigned type;

	*reg(s, ENC_ESTAT) &= ~(ENC_ESTAT_TXABRT | ENC_ESTAT_LATECOL);
	if (s->tx_stalled) /* erratum 12: nothing moves until TXRST */
		return;
	if (!f) /* only SPI writes can set TXRTS */
		return;
	if (nd < st || n < ENC_ETH_HLEN) {
		/* an empty or inverted window is a driver bug; the MAC aborts */
		mistake(s, "transmit window ETXST..ETXND shorter than a header");
		tx_finish(s, false, 0);
		return;
	}
	for (size_t i = 0; i < n; i++)
		f[i] = s->mem[(st + 1 + i) & ENC_MEM_MASK];
	tx_format(s, ctl, f, n, &pad, &crc, &huge);
	if (n < pad) {
		memset(f + n, 0, pad - n);
		n = pad;
	}
	if (crc) {
		wire = n + ENC_ETH_FCS_LEN;
	} else {
		/* the host supplied the FCS: the last four bytes */
		if (!enc_fcs_ok(f, n))
			tsv |= ENC_TSV_CRC_ERR;
		wire = n;
		n -= ENC_ETH_FCS_LEN;
	}
	if (!!(*reg(s, ENC_MACON3) & ENC_MACON3_FULDPX) != phy_full_duplex(s))
		mistake(s, "MACON3.FULDPX disagrees with PHCON1.PDPXMD");

	type = (unsigned)(f[12] << 8 | f[13]);
	tsv |= wire & 0xffff;
	if (f[0] & 1)
		tsv |= memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) ? ENC_TSV_MULTICAST
								: ENC_TSV_BROADCAST;
	if (type > ETH_MAX_LEN_FIELD)
		tsv |= ENC_TSV_LEN_OUT_OF_RANGE;
	if (type == ETHERTYPE_MAC_CONTROL)
		tsv |= (uint64_t)ENC_TSV6_CONTROL << 48;
	if (type == ETHERTYPE_VLAN)
		tsv |= (uint64_t)ENC_TSV6_VLAN << 48;

	if (wire > ptr_get(s, ENC_MAMXFLL) && !huge) {
		tsv |= ENC_TSV_GIANT;
		ok = false;
	} else if (s->tx_error_left) {
		/* injected: a collision after the slot time, as erratum 13's
		 * false collisions also look */
		s->tx_error_left--;
		tsv |= ENC_TSV_LATE_COLL | (1u << ENC_TSV_COLL_SHIFT);
		*reg(s, ENC_ESTAT) |= ENC_ESTAT_LATECOL;
		ok = false;
	}
	tsv |= (uint64_t)(ok ? wire : 64) << 32; /* bytes on the wire, collided ones too */
	if (ok)
		tsv |= ENC_TSV_DONE;
	tx_finish(s, ok, tsv);
	if (!ok)
		return;

	s->stats.tx_frames++;
	s->stats.tx_bytes += n;
	if (s->phy[ENC_PHCON1] & ENC_PHCON1_PLOOPBK) {
		s->stats.tx_loopback++;
		rx_frame(s, f, n, true);
		return;
	}
	if (!phy_full_duplex(s) && !(s->phy[ENC_PHCON2] & ENC_PHCON2_HDLDIS)) {
		/* half duplex without HDLDIS: the PHY echoes what it sends */
		s->stats.tx_loopback++;
		rx_frame(s, f, n, true);
	}
	if (phy_carrier(s) && !(s->phy[ENC_PHCON2] & ENC_PHCON2_TXDIS)) {
		d->tx = true;
		d->tx_len = n;
	}
}

/* ---- DMA (§13) -------------------------------------------------------- */

static void dma_run(struct enc_sim *s, bool csum)
{
	uint16_t src = ptr_get(s, ENC_EDMASTL), end = ptr_get(s, ENC_EDMANDL);
	uint16_t dst = ptr_get(s, ENC_EDMADSTL);
	uint8_t sum[ENC_MEM_SIZE];
	size_t n = 0;

	/* Both pointers follow the receive-ring wrap; ENC_MEM_SIZE steps
	 * bound a range whose end the walk never meets. */
	for (unsigned i = 0;; i++) {
		if (i == ENC_MEM_SIZE) {
			mistake(s, "DMA range end not reachable from its start");
			break;
		}
		if (csum)
			sum[n++] = s->mem[src];
		else
			s->mem[dst] = s->mem[src];
		if (src == end)
			break;
		src = ring_next(s, src);
		dst = ring_next(s, dst);
	}
	if (csum) {
		uint16_t c = inet_csum_be(sum, n);

		*reg(s, ENC_EDMACSH) = c >> 8;
		*reg(s, ENC_EDMACSL) = c & 0xff;
		s->stats.dma_checksums++;
	} else {
		s->stats.dma_copies++;
	}
	*reg(s, ENC_EIR) |= ENC_EI_DMA;
}

/* ---- control register access (§4.2.1, 4.2.3, 4.2.5, 4.2.6) ------------ */

static uint8_t reg_read(struct enc_sim *s, unsigned bank, unsigned a)
{
	unsigned r;
	uint8_t v;

	if (a >= ENC_REG_COMMON_FIRST)
		bank = 0;
	r = ENC_REG(bank, a) | (enc_addr_is_macmii(bank, a) ? ENC_REG_MACMII : 0);
	v = s->regs[bank][a];
	switch (r) {
	case ENC_EIR:
		return eir_value(s);
	case ENC_ESTAT:
		v &= ~(ENC_ESTAT_CLKRDY | ENC_ESTAT_INT);
		if (*reg(s, ENC_EIE) & eir_value(s) & ENC_EI_ALL)
			v |= ENC_ESTAT_INT;
		if (s->in_reset && errata(s, ENC_SIM_ERRATUM_2)) {
			/* Erratum 2: claims ready while the reset still runs */
			s->stats.errata_events++;
			v |= ENC_ESTAT_CLKRDY;
		} else if (!s->in_reset && !(*reg(s, ENC_ECON2) & ENC_ECON2_PWRSV)) {
			v |= ENC_ESTAT_CLKRDY;
		}
		return v;
	case ENC_MISTAT:
		return (s->mii_busy || s->mii_scan ? ENC_MISTAT_BUSY : 0) |
		       (s->mii_scan ? ENC_MISTAT_SCAN : 0) |
		       (s->mii_scan && !s->mii_scan_valid ? ENC_MISTAT_NVALID : 0);
	case ENC_MIRDL:
	case ENC_MIRDH:
		if (s->mii_scan && s->mii_scan_valid) {
			/* scanning keeps MIRD fresh with the PHY register */
			uint16_t p = phy_read(s, s->mii_reg);

			return r == ENC_MIRDL ? p & 0xff : p >> 8;
		}
		return v;
	case ENC_EREVID:
		return s->cfg.revid;
	default:
		return v;
	}
}

static void econ1_write(struct enc_sim *s, struct deferred *d, uint8_t old, uint8_t val)
{
	uint8_t rise = val & ~old;

	if (val & ENC_ECON1_TXRST) {
		/* transmit logic held in reset: no request survives */
		if (rise & ENC_ECON1_TXRTS)
			mistake(s, "TXRTS set while TXRST holds the transmitter");
		val &= ~ENC_ECON1_TXRTS;
		s->tx_stalled = false;
	}
	*reg(s, ENC_ECON1) = val;
	if (rise & ENC_ECON1_DMAST) {
		dma_run(s, val & ENC_ECON1_CSUMEN);
		*reg(s, ENC_ECON1) &= ~ENC_ECON1_DMAST;
	}
	if ((rise & ENC_ECON1_TXRTS) && !(val & ENC_ECON1_TXRST))
		tx_start(s, d);
}

static void pktdec(struct enc_sim *s)
{
	uint8_t *cnt = reg(s, ENC_EPKTCNT);

	if (*cnt == 0)
		mistake(s, "PKTDEC with EPKTCNT at 0");
	else
		(*cnt)--;
	pktif_update(s, false);
}

static void reg_write(struct enc_sim *s, struct deferred *d, unsigned bank, unsigned a,
		      uint8_t op, uint8_t v)
{
	unsigned r;
	uint8_t *p, old, val;

	if (a >= ENC_REG_COMMON_FIRST)
		bank = 0;
	r = ENC_REG(bank, a) | (enc_addr_is_macmii(bank, a) ? ENC_REG_MACMII : 0);
	p = &s->regs[bank][a];
	old = *p;
	val = op == ENC_OP_BFS ? old | v : op == ENC_OP_BFC ? old & ~v : v;

	switch (r) {
	case ENC_EIR:
		/* flags clear, never set, from the SPI side */
		*p = old & (val | ~EIR_CLEARABLE);
		return;
	case ENC_ESTAT:
		*p = old & (val | ~ESTAT_CLEARABLE);
		return;
	case ENC_ECON1:
		econ1_write(s, d, old, val);
		return;
	case ENC_ECON2:
		if (val & ENC_ECON2_PKTDEC) /* a command bit: always reads 0 */
			pktdec(s);
		*p = val & (ENC_ECON2_AUTOINC | ENC_ECON2_PWRSV | ENC_ECON2_VRPS);
		return;
	case ENC_ERXRDPTL:
		/* held until the high byte arrives (§6.1) */
		s->rdpt_low = val;
		return;
	case ENC_ERXRDPTH:
		*reg(s, ENC_ERXRDPTL) = s->rdpt_low;
		*p = val & ENC_PTR_HIGH_MASK;
		return;
	}
	if (!wmask[bank][a]) {
		mistake(s, "write to a read-only or reserved register");
		return;
	}
	if (s->mii_busy &&
	    (r == ENC_MIREGADR || r == ENC_MIWRL || r == ENC_MIWRH || r == ENC_MICMD))
		mistake(s, "MII register written while MISTAT.BUSY");
	*p = val & wmask[bank][a];

	switch (r) {
	case ENC_ERXSTL:
	case ENC_ERXSTH:
	case ENC_ERXNDL:
	case ENC_ERXNDH:
		if (*reg(s, ENC_ECON1) & ENC_ECON1_RXEN)
			mistake(s, "ERXST/ERXND changed while RXEN is set");
		if (errata(s, ENC_SIM_ERRATUM_5)) {
			/* Erratum 5: the internal write pointer gets 0x0000 */
			ptr_set(s, ENC_ERXWRPTL, 0);
			s->stats.errata_events++;
		} else if (r == ENC_ERXSTL || r == ENC_ERXSTH) {
			ptr_set(s, ENC_ERXWRPTL, ptr_get(s, ENC_ERXSTL));
		}
		break;
	case ENC_MICMD:
		if ((*p & ENC_MICMD_MIIRD) && !(old & ENC_MICMD_MIIRD))
			mii_start(s, false);
		if ((*p & ENC_MICMD_MIISCAN) && !(old & ENC_MICMD_MIISCAN)) {
			s->mii_scan = true;
			s->mii_scan_valid = false;
			mii_start(s, false);
		} else if (!(*p & ENC_MICMD_MIISCAN)) {
			s->mii_scan = false;
		}
		break;
	case ENC_MIWRH:
		mii_start(s, true); /* writing the high byte starts the MII write */
		break;
	}
}

/* ---- SPI decoder (§4.2) ----------------------------------------------- */

static void spi_opcode(struct enc_sim *s, uint8_t b)
{
	uint8_t a = b & ENC_REG_ADDR_MASK;

	s->spi_addr = a;
	s->spi_op = b & ENC_OP_MASK;
	s->spi_bank = *reg(s, ENC_ECON1) & ENC_ECON1_BSEL;
	if (s->in_reset && b != ENC_OP_SRC && b != (ENC_OP_RCR | enc_reg_addr(ENC_ESTAT))) {
		/* only ESTAT answers while the oscillator restarts */
		mistake(s, "SPI access while the chip is in reset");
		s->spi = SPI_IGNORE;
		return;
	}
	switch (b & ENC_OP_MASK) {
	case ENC_OP_RCR:
		s->spi = enc_addr_is_macmii(s->spi_bank, a) ? SPI_RCR_DUMMY : SPI_RCR;
		return;
	case ENC_OP_WCR:
		s->spi = SPI_WRITE;
		return;
	case ENC_OP_BFS:
	case ENC_OP_BFC:
		if (enc_addr_is_macmii(s->spi_bank, a)) {
			/* §4.2.5: bit field operations work on ETH registers only */
			mistake(s, "BFS/BFC on a MAC/MII register (ignored by the chip)");
			s->spi = SPI_IGNORE;
			return;
		}
		s->spi = SPI_WRITE;
		return;
	}
	if (b == ENC_OP_RBM)
		s->spi = SPI_RBM;
	else if (b == ENC_OP_WBM)
		s->spi = SPI_WBM;
	else if (b == ENC_OP_SRC)
		s->spi = SPI_SRC;
	else {
		mistake(s, "undefined SPI opcode");
		s->spi = SPI_IGNORE;
	}
}

/* One byte in each direction; returns what the chip drives on SO. */
static uint8_t spi_byte(struct enc_sim *s, struct deferred *d, uint8_t b)
{
	uint8_t out = 0;
	uint16_t p;

	switch (s->spi) {
	case SPI_OPCODE:
		spi_opcode(s, b);
		break;
	case SPI_RCR_DUMMY:
		s->spi = SPI_RCR;
		break;
	case SPI_RCR:
		/* extra clocks shift the register out again */
		out = reg_read(s, s->spi_bank, s->spi_addr);
		break;
	case SPI_RBM:
		p = ptr_get(s, ENC_ERDPTL);
		out = s->mem[p];
		if (*reg(s, ENC_ECON2) & ENC_ECON2_AUTOINC)
			ptr_set(s, ENC_ERDPTL, ring_next(s, p));
		break;
	case SPI_WBM:
		/* writes never follow the receive ring; only 0x1FFF wraps */
		p = ptr_get(s, ENC_EWRPTL);
		s->mem[p] = b;
		if (*reg(s, ENC_ECON2) & ENC_ECON2_AUTOINC)
			ptr_set(s, ENC_EWRPTL, (p + 1) & ENC_MEM_MASK);
		break;
	case SPI_WRITE:
		reg_write(s, d, s->spi_bank, s->spi_addr, s->spi_op, b);
		s->spi = SPI_IGNORE; /* one data byte per instruction */
		break;
	case SPI_SRC:
	case SPI_IGNORE:
		break;
	}
	if (s->spi_flip_ppm && rng_next(s) % 1000000 < s->spi_flip_ppm) {
		out ^= (uint8_t)(1u << (rng_next(s) % 8));
		s->stats.spi_bit_flips++;
	}
	return out;
}

static void soft_reset(struct enc_sim *s)
{
	regs_reset(s);
	s->in_reset = true;
	s->reset_done = clock_now(s) + s->cfg.reset_ns;
	s->stats.soft_resets++;
}

/* ---- public API ------------------------------------------------------- */

static void lock(struct enc_sim *s)
{
	pthread_mutex_lock(&s->lock);
}

/* Unlock, then let the outside world see what happened. */
static void unlock_deliver(struct enc_sim *s, struct deferred *d)
{
	void (*int_cb)(void *) = s->int_cb;
	void *int_arg = s->int_arg;
	void (*tx_cb)(void *, const uint8_t *, size_t) = s->tx_cb;
	void *tx_arg = s->tx_arg;

	int_update(s, d);
	pthread_mutex_unlock(&s->lock);
	if (d->tx && tx_cb)
		tx_cb(tx_arg, d->tx_buf, d->tx_len);
	if (d->int_fell && int_cb)
		int_cb(int_arg);
}

int enc_sim_new(const struct enc_sim_config *cfg, struct enc_sim **ret_sim)
{
	struct enc_sim *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.revid)
		s->cfg.revid = DEFAULT_REVID;
	if (!s->cfg.reset_ns)
		s->cfg.reset_ns = DEFAULT_RESET_NS;
	if (!s->cfg.mii_ns)
		s->cfg.mii_ns = DEFAULT_MII_NS;
	s->rng = s->cfg.seed ? s->cfg.seed : DEFAULT_SEED;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return -ENOMEM;
	}
	s->link = !s->cfg.link_down;
	regs_reset(s);
	phy_reset(s);
	atomic_init(&s->int_low, false);
	*ret_sim = s;
	return 0;
}

void enc_sim_free(struct enc_sim *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void enc_sim_transfer(struct enc_sim *s, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	uint8_t txbuf[TX_MAX];
	struct deferred d = {.tx_buf = txbuf};

	lock(s);
	tick(s);
	s->stats.spi_transfers++;
	s->stats.spi_bytes += n;
	s->spi = SPI_OPCODE; /* CS fell */
	for (size_t i = 0; i < n; i++) {
		uint8_t out = spi_byte(s, &d, mosi ? mosi[i] : 0);

		if (miso)
			miso[i] = out;
	}
	/* CS rises: SRC acts now; anything unfinished is dropped */
	if (s->spi == SPI_SRC)
		soft_reset(s);
	s->spi = SPI_OPCODE;
	unlock_deliver(s, &d);
}

bool enc_sim_int_asserted(const struct enc_sim *s)
{
	return atomic_load(&s->int_low);
}

void enc_sim_set_int_notify(struct enc_sim *s, void (*cb)(void *arg), void *arg)
{
	lock(s);
	s->int_cb = cb;
	s->int_arg = arg;
	pthread_mutex_unlock(&s->lock);
}

int enc_sim_wire_rx(struct enc_sim *s, const uint8_t *frame, size_t len)
{
	struct deferred d = {0};
	int r;

	if (len < ENC_ETH_HLEN) /* no room for the addresses and type */
		return -EINVAL;
	if (len + ENC_ETH_FCS_LEN > ENC_MEM_SIZE) /* could never fit the buffer */
		return -EMSGSIZE;
	lock(s);
	tick(s);
	r = rx_frame(s, frame, len, false);
	unlock_deliver(s, &d);
	return r;
}

void enc_sim_set_wire_tx(struct enc_sim *s, void (*cb)(void *arg, const uint8_t *frame, size_t len),
			 void *arg)
{
	lock(s);
	s->tx_cb = cb;
	s->tx_arg = arg;
	pthread_mutex_unlock(&s->lock);
}

void enc_sim_set_link(struct enc_sim *s, bool up)
{
	struct deferred d = {0};

	lock(s);
	tick(s);
	s->flap_pending = false;
	set_link(s, up);
	unlock_deliver(s, &d);
}

int enc_sim_inject(struct enc_sim *s, enum enc_sim_fault f, uint32_t arg)
{
	struct deferred d = {0};

	if ((unsigned)f >= ENC_SIM_FAULT__MAX) /* unknown fault */
		return -EINVAL;
	if (f == ENC_SIM_FAULT_SPI_BITS && arg > 1000000) /* a probability in ppm */
		return -EINVAL;
	lock(s);
	tick(s);
	switch (f) {
	case ENC_SIM_FAULT_RX_OVERFLOW:
		s->rx_overflow_left = arg;
		break;
	case ENC_SIM_FAULT_TX_ERROR:
		s->tx_error_left = arg;
		break;
	case ENC_SIM_FAULT_LINK_FLAP:
		set_link(s, false);
		s->flap_pending = true;
		s->flap_up = clock_now(s) + (uint64_t)arg * 1000;
		tick(s);
		break;
	case ENC_SIM_FAULT_SPI_BITS:
		s->spi_flip_ppm = arg;
		break;
	case ENC_SIM_FAULT_RX_CRC:
		s->rx_crc_left = arg;
		break;
	case ENC_SIM_FAULT__MAX:
		break;
	}
	unlock_deliver(s, &d);
	return 0;
}

uint64_t enc_sim_poll(struct enc_sim *s)
{
	struct deferred d = {0};
	uint64_t t;

	lock(s);
	tick(s);
	t = next_deadline(s);
	unlock_deliver(s, &d);
	return t;
}

void enc_sim_get_stats(const struct enc_sim *s, struct enc_sim_stats *ret_stats)
{
	struct enc_sim *m = (struct enc_sim *)s; /* the lock is not part of the value */

	lock(m);
	*ret_stats = s->stats;
	pthread_mutex_unlock(&m->lock);
}

void enc_sim_peek(const struct enc_sim *s, uint16_t addr, uint8_t *buf, size_t n)
{
	struct enc_sim *m = (struct enc_sim *)s;

	lock(m);
	for (size_t i = 0; i < n; i++)
		buf[i] = s->mem[(addr + i) & ENC_MEM_MASK];
	pthread_mutex_unlock(&m->lock);
}

uint16_t enc_sim_peek_phy(const struct enc_sim *s, uint8_t r)
{
	struct enc_sim *m = (struct enc_sim *)s;
	uint16_t v;

	lock(m);
	v = r < ENC_PHY_REGS ? s->phy[r] : 0;
	pthread_mutex_unlock(&m->lock);
	return v;
}
