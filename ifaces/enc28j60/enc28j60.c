/* enc28j60.c: the ENC28J60 driver (see enc28j60.h), from Microchip
 * DS39662E and the rev. B7 silicon errata DS80349:
 *
 *   §4.2   instructions: RCR (dummy byte on MAC/MII), WCR, BFS/BFC on ETH
 *          registers only, RBM/WBM with AUTOINC, SRC
 *   §6     initialisation: buffers, receive filters, MAC, PHY, RXEN last
 *   §7.1   transmit: control byte, ETXST/ETXND, TXRTS, status vector
 *   §7.2   receive: next pointer, status vector, freeing space, PKTDEC
 *   §3.3   PHY registers through MIREGADR/MICMD/MIWR/MIRD and MISTAT.BUSY
 *   §12    interrupts: INTIE cleared while servicing, set again at the end
 *   errata 2 (wait after SRC), 5 (ring at 0), 6 (count, not PKTIF), 12
 *          (TXRST before each transmission), 13 (bounded waits, late
 *          collision retries), 14 (odd ERXRDPT)
 *
 * The bus may flip bits on the way back (a long ribbon cable, a marginal
 * clock): decisions rest on values read twice alike, received headers are
 * checked against each other, and every frame's FCS is checked again after
 * it crossed the bus. Errors stick in c->err for the rest of a call, so the
 * instruction helpers need no error plumbing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "enc28j60.h"
#include "enc28j60_regs.h"
#include "fcs.h"
#include "timer.h"

enum {
	RX_SIZE = ENC_RX_END - ENC_RX_START + 1,
	RESET_WAIT_NS = 2000000,     /* erratum 2: CLKRDY is not to be trusted; Linux waits 2 ms */
	CLKRDY_TIMEOUT_NS = 50000000,
	MII_WAIT_NS = 10240,         /* §3.3.1: 10.24 us per MII operation */
	MII_TIMEOUT_NS = 1000000,
	TX_TIMEOUT_NS = 20000000,    /* a 1518-byte frame takes 1.2 ms at 10 Mb/s */
	TX_NS_PER_BYTE = 800,
	TX_POLL_NS = 50000,
	FRAME_MAX_FCS = ENC_FRAME_MAX + ENC_ETH_FCS_LEN,
	FRAME_MIN_FCS = ENC_ETH_HLEN + ENC_ETH_FCS_LEN,
	RX_READS = 8,                /* tries to read a frame whose FCS checks out */
	PHLCON_LEDS = 0x3476,        /* LEDA link, LEDB rx/tx activity, stretched;
				      * not the duplex+collision mode (erratum 11) */
	MABBIPG_FULL = 0x15,         /* §6.5 recommended back-to-back gaps */
	MABBIPG_HALF = 0x12,
	MAIPGL_VALUE = 0x12,
	MAIPGH_HALF = 0x0c,
};

/* ---- time ------------------------------------------------------------- */

static uint64_t now(struct enc_chip *c)
{
	return c->cfg.now_ns ? c->cfg.now_ns(c->cfg.clock_arg) : vh_now(NULL);
}

static void nap(struct enc_chip *c, uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	if (c->cfg.sleep_ns) {
		c->cfg.sleep_ns(c->cfg.clock_arg, ns);
		return;
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- instructions (§4.2) ------------------------------------------------ */

static void xfer(struct enc_chip *c, size_t n)
{
	int r;

	if (c->err)
		return;
	r = enc_spi_xfer(c->cfg.spi, c->mosi, c->miso, n);
	if (r < 0) {
		c->err = r;
		c->stats.spi_errors++;
		snprintf(c->why, sizeof(c->why), "SPI transfer failed: %s", strerror(-r));
	}
}

static void op2(struct enc_chip *c, uint8_t op, uint8_t data)
{
	c->mosi[0] = op;
	c->mosi[1] = data;
	xfer(c, 2);
}

/* Switch banks with BFC/BFS on ECON1 so TXRTS and RXEN are left alone. */
static void bank(struct enc_chip *c, unsigned reg)
{
	unsigned want = enc_reg_bank(reg);

	if (enc_reg_is_common(reg) || (int)want == c->bank)
		return;
	if (c->bank < 0) {
		op2(c, ENC_OP_BFC | enc_reg_addr(ENC_ECON1), ENC_ECON1_BSEL);
		c->bank = 0;
	}
	if (c->bank & ~want)
		op2(c, ENC_OP_BFC | enc_reg_addr(ENC_ECON1), (uint8_t)(c->bank & ~want));
	if (want & ~c->bank)
		op2(c, ENC_OP_BFS | enc_reg_addr(ENC_ECON1), (uint8_t)(want & ~c->bank));
	c->bank = c->err ? -1 : (int)want;
}

static uint8_t rcr(struct enc_chip *c, unsigned reg)
{
	size_t n = enc_reg_is_macmii(reg) ? 3 : 2; /* MAC/MII: a dummy byte first */

	bank(c, reg);
	memset(c->mosi, 0, n);
	c->mosi[0] = (uint8_t)(ENC_OP_RCR | enc_reg_addr(reg));
	xfer(c, n);
	return c->err ? 0 : c->miso[n - 1];
}

/* A register read until two reads agree, for values a decision rests on. */
static uint8_t rcr_sure(struct enc_chip *c, unsigned reg)
{
	uint8_t v = rcr(c, reg);

	for (unsigned i = 0; i < 4 && !c->err; i++) {
		uint8_t w = rcr(c, reg);

		if (w == v)
			break;
		v = w;
	}
	return v;
}

static void wcr(struct enc_chip *c, unsigned reg, uint8_t v)
{
	bank(c, reg);
	op2(c, (uint8_t)(ENC_OP_WCR | enc_reg_addr(reg)), v);
}

static void bfs(struct enc_chip *c, unsigned reg, uint8_t mask)
{
	bank(c, reg); /* only ever on ETH registers (§4.2.5) */
	op2(c, (uint8_t)(ENC_OP_BFS | enc_reg_addr(reg)), mask);
}

static void bfc(struct enc_chip *c, unsigned reg, uint8_t mask)
{
	bank(c, reg);
	op2(c, (uint8_t)(ENC_OP_BFC | enc_reg_addr(reg)), mask);
}

/* Low byte first: ERXRDPT takes the pair when the high byte is written. */
static void wcr16(struct enc_chip *c, unsigned lo, uint16_t v)
{
	wcr(c, lo, v & 0xff);
	wcr(c, lo + 1, v >> 8);
}

/* n bytes of buffer memory from ERDPT; they are left at c->miso + 1. */
static const uint8_t *rbm(struct enc_chip *c, uint16_t at, size_t n)
{
	wcr16(c, ENC_ERDPTL, at);
	memset(c->mosi, 0, n + 1);
	c->mosi[0] = ENC_OP_RBM;
	xfer(c, n + 1);
	return c->miso + 1;
}

/* ---- PHY (§3.3) --------------------------------------------------------- */

static void mii_wait(struct enc_chip *c)
{
	uint64_t end;

	nap(c, MII_WAIT_NS);
	end = now(c) + MII_TIMEOUT_NS;
	while (!c->err && (rcr(c, ENC_MISTAT) & ENC_MISTAT_BUSY)) {
		if (now(c) > end) {
			c->stats.mii_timeouts++;
			snprintf(c->why, sizeof(c->why), "MII stayed busy");
			return;
		}
		nap(c, MII_WAIT_NS / 4);
	}
}

static uint16_t phy_read(struct enc_chip *c, uint8_t reg)
{
	wcr(c, ENC_MIREGADR, reg);
	wcr(c, ENC_MICMD, ENC_MICMD_MIIRD);
	mii_wait(c);
	wcr(c, ENC_MICMD, 0);
	return (uint16_t)(rcr(c, ENC_MIRDL) | rcr(c, ENC_MIRDH) << 8);
}

static void phy_write(struct enc_chip *c, uint8_t reg, uint16_t v)
{
	wcr(c, ENC_MIREGADR, reg);
	wcr(c, ENC_MIWRL, v & 0xff);
	wcr(c, ENC_MIWRH, v >> 8); /* writing the high byte starts the MII write */
	mii_wait(c);
}

/* PHSTAT2.LSTAT, read until two reads agree. */
static bool phy_link(struct enc_chip *c)
{
	bool up = phy_read(c, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT;

	for (unsigned i = 0; i < 4 && !c->err; i++) {
		bool again = phy_read(c, ENC_PHSTAT2) & ENC_PHSTAT2_LSTAT;

		if (again == up)
			break;
		up = again;
	}
	return up;
}

static void link_update(struct enc_chip *c, unsigned *ev)
{
	bool up;

	phy_read(c, ENC_PHIR); /* reading PHIR clears it and EIR.LINKIF */
	up = phy_link(c);
	if (c->err || up == c->link)
		return;
	c->link = up;
	c->stats.link_changes++;
	*ev |= ENC_EV_LINK;
}

/* ---- set-up (§6) --------------------------------------------------------- */

static void ring_setup(struct enc_chip *c)
{
	wcr16(c, ENC_ERXSTL, ENC_RX_START); /* also loads ERXWRPT */
	wcr16(c, ENC_ERXNDL, ENC_RX_END);
	wcr16(c, ENC_ERXRDPTL, ENC_RX_END); /* odd: erratum 14 */
	c->next = ENC_RX_START;
}

static uint8_t erxfcon(const struct enc_chip *c)
{
	/* No filter bit with CRCEN alone means every frame whose CRC holds. */
	if (c->cfg.promisc)
		return ENC_ERXFCON_CRCEN;
	return ENC_ERXFCON_UCEN | ENC_ERXFCON_CRCEN | ENC_ERXFCON_BCEN |
	       (c->cfg.multicast ? ENC_ERXFCON_MCEN : 0);
}

static int reset_wait(struct enc_chip *c)
{
	uint64_t end;

	c->mosi[0] = ENC_OP_SRC;
	xfer(c, 1);
	c->bank = 0; /* the reset cleared ECON1 */
	nap(c, RESET_WAIT_NS);
	end = now(c) + CLKRDY_TIMEOUT_NS;
	while (!c->err && !(rcr(c, ENC_ESTAT) & ENC_ESTAT_CLKRDY)) {
		if (now(c) > end) {
			snprintf(c->why, sizeof(c->why), "the oscillator never came ready");
			return -ETIMEDOUT;
		}
		nap(c, RESET_WAIT_NS / 10);
	}
	return c->err;
}

int enc_chip_init(struct enc_chip *c, const struct enc_chip_config *cfg)
{
	bool full;
	int r;

	if (cfg != &c->cfg)
		c->cfg = *cfg;
	full = c->cfg.full_duplex;
	c->err = 0;
	c->bank = -1;
	c->why[0] = 0;
	c->stats.inits++;
	r = reset_wait(c);
	if (r < 0)
		return r;
	wcr(c, ENC_ECON1, 0);
	c->rev = rcr_sure(c, ENC_EREVID);
	if (!c->err && (c->rev == 0x00 || c->rev == 0xff)) {
		/* MISO stuck low or floating high: nothing is there */
		snprintf(c->why, sizeof(c->why), "EREVID reads 0x%02x: no chip on the bus", c->rev);
		return -ENODEV;
	}
	wcr(c, ENC_ECON2, ENC_ECON2_AUTOINC | ENC_ECON2_VRPS);
	ring_setup(c);
	wcr(c, ENC_ERXFCON, erxfcon(c));

	/* MAC (§6.5): receive, pause frames in full duplex, pad to 60 and
	 * append the CRC, check lengths, duplex as the PHY */
	wcr(c, ENC_MACON1, ENC_MACON1_MARXEN | (full ? ENC_MACON1_TXPAUS | ENC_MACON1_RXPAUS : 0));
	wcr(c, ENC_MACON3, ENC_MACON3_PADCFG0 | ENC_MACON3_TXCRCEN | ENC_MACON3_FRMLNEN |
				   (full ? ENC_MACON3_FULDPX : 0));
	wcr(c, ENC_MACON4, full ? 0 : ENC_MACON4_DEFER);
	wcr16(c, ENC_MAMXFLL, FRAME_MAX_FCS);
	wcr(c, ENC_MABBIPG, full ? MABBIPG_FULL : MABBIPG_HALF);
	wcr(c, ENC_MAIPGL, MAIPGL_VALUE);
	wcr(c, ENC_MAIPGH, full ? 0 : MAIPGH_HALF);
	for (unsigned i = 0; i < 6; i++)
		wcr(c, enc_maadr_reg(i), c->cfg.mac[i]); /* MAADR1 = first octet, at 0x04 */
	if (!c->err && rcr_sure(c, enc_maadr_reg(0)) != c->cfg.mac[0]) {
		/* a bus that reads back something else cannot be trusted */
		snprintf(c->why, sizeof(c->why), "MAADR1 does not read back what was written");
		return c->err ? c->err : -EIO;
	}

	/* PHY (§6.6): the same duplex; no echo of our own frames in half
	 * duplex; LEDs; link change interrupts */
	phy_write(c, ENC_PHCON1, full ? ENC_PHCON1_PDPXMD : 0);
	phy_write(c, ENC_PHCON2, ENC_PHCON2_HDLDIS);
	phy_write(c, ENC_PHLCON, PHLCON_LEDS);
	phy_write(c, ENC_PHIE, ENC_PHIE_PGEIE | ENC_PHIE_PLNKIE);
	phy_read(c, ENC_PHIR);
	c->link = phy_link(c);

	/* interrupts (§12): receive, link, receive errors; transmission is
	 * waited for in enc_chip_tx */
	c->eie = ENC_EI_PKT | ENC_EI_LINK | ENC_EI_RXER;
	bfc(c, ENC_EIR, ENC_EI_ALL);
	wcr(c, ENC_EIE, (c->cfg.polled ? 0 : ENC_EIE_INTIE) | c->eie);
	bfs(c, ENC_ECON1, ENC_ECON1_RXEN); /* last: everything is ready */
	return c->err;
}

void enc_chip_stop(struct enc_chip *c)
{
	c->err = 0;
	bfc(c, ENC_ECON1, ENC_ECON1_RXEN);
	wcr(c, ENC_EIE, 0);
}

/* ---- interrupts (§12) ---------------------------------------------------- */

int enc_chip_service(struct enc_chip *c, unsigned *ret_ev)
{
	unsigned ev = 0;
	uint8_t eir;

	c->err = 0;
	if (!c->cfg.polled)
		bfc(c, ENC_EIE, ENC_EIE_INTIE); /* a new edge only after enc_chip_irq_arm() */
	eir = rcr(c, ENC_EIR);
	if (eir & ENC_EI_LINK)
		link_update(c, &ev);
	if (eir & ENC_EI_RXER) {
		/* the chip dropped frames for want of room; the ring is intact */
		c->stats.rx_overflows++;
		bfc(c, ENC_EIR, ENC_EI_RXER);
	}
	if (!c->err && rcr(c, ENC_EPKTCNT))
		ev |= ENC_EV_RX;
	*ret_ev = ev;
	return c->err;
}

int enc_chip_irq_arm(struct enc_chip *c)
{
	c->err = 0;
	if (!c->cfg.polled)
		bfs(c, ENC_EIE, ENC_EIE_INTIE);
	return c->err;
}

int enc_chip_check(struct enc_chip *c, unsigned *ret_ev)
{
	unsigned ev = 0;

	c->err = 0;
	*ret_ev = 0;
	/* RXEN and the enabled sources are ours: a reset clears them */
	if (!(rcr_sure(c, ENC_ECON1) & ENC_ECON1_RXEN) ||
	    (rcr_sure(c, ENC_EIE) & ENC_EI_ALL) != c->eie) {
		if (c->err)
			return c->err;
		snprintf(c->why, sizeof(c->why), "the chip lost its set-up (a reset?)");
		return -ESTALE;
	}
	link_update(c, &ev);
	*ret_ev = ev;
	return c->err;
}

/* ---- receive (§7.2) ------------------------------------------------------- */

static uint16_t ring_add(uint16_t p, size_t n)
{
	size_t q = p + n;

	return (uint16_t)(q > ENC_RX_END ? q - RX_SIZE : q);
}

/* Why a header cannot be right, or NULL. The next pointer must be where
 * this packet ends, rounded up to even (§7.2.2): a check that catches a
 * flipped bit as well as erratum 14's damage. */
static const char *header_bad(struct enc_chip *c, uint16_t nn, uint32_t rsv)
{
	size_t len = rsv & 0xffff;

	if (rsv & 0x80000000u)
		return "status bit 31 set";
	if (len < FRAME_MIN_FCS || len > FRAME_MAX_FCS)
		return "length out of range";
	if (nn > ENC_RX_END || (nn & 1))
		return "next pointer outside the ring or odd";
	if (nn != ring_add(c->next, ENC_RX_HDR_LEN + len + (len & 1)))
		return "next pointer does not follow the length";
	return NULL;
}

/* Start over with an empty ring (§11.4): the only cure when the ring's
 * bookkeeping no longer adds up. */
static void rx_reset(struct enc_chip *c)
{
	bfc(c, ENC_ECON1, ENC_ECON1_RXEN);
	bfs(c, ENC_ECON1, ENC_ECON1_RXRST);
	bfc(c, ENC_ECON1, ENC_ECON1_RXRST);
	ring_setup(c);
	for (unsigned i = 0; i < 256 && !c->err && rcr_sure(c, ENC_EPKTCNT); i++)
		bfs(c, ENC_ECON2, ENC_ECON2_PKTDEC);
	bfc(c, ENC_EIR, ENC_EI_RXER);
	bfs(c, ENC_ECON1, ENC_ECON1_RXEN);
	c->stats.rx_resets++;
}

int enc_chip_pending(struct enc_chip *c)
{
	uint8_t n;

	c->err = 0;
	n = rcr_sure(c, ENC_EPKTCNT);
	return c->err ? c->err : n;
}

/* Give the packet's space back: ERXRDPT just below the next packet, which
 * is odd since packets start even (erratum 14), then one less in EPKTCNT. */
static void rx_free(struct enc_chip *c, uint16_t nn)
{
	wcr16(c, ENC_ERXRDPTL, nn == ENC_RX_START ? ENC_RX_END : nn - 1);
	bfs(c, ENC_ECON2, ENC_ECON2_PKTDEC);
	c->next = nn;
}

int enc_chip_rx(struct enc_chip *c, uint8_t *buf, size_t cap, size_t *ret_len)
{
	const uint8_t *h, *f = NULL;
	const char *bad = NULL;
	uint16_t nn = 0;
	uint32_t rsv = 0;
	size_t len = 0;

	c->err = 0;
	for (unsigned try = 0; try < 2; try++) {
		h = rbm(c, c->next, ENC_RX_HDR_LEN);
		if (c->err)
			return c->err;
		nn = (uint16_t)(h[0] | h[1] << 8);
		rsv = (uint32_t)(h[2] | h[3] << 8 | h[4] << 16 | (uint32_t)h[5] << 24);
		bad = header_bad(c, nn, rsv);
		if (!bad)
			break;
		c->stats.rx_rereads++; /* a flipped bit reads right the second time */
	}
	if (bad) {
		snprintf(c->why, sizeof(c->why), "receive header at 0x%04x: %s (next 0x%04x, "
			 "status 0x%08x): ring reset", c->next, bad, nn, rsv);
		c->stats.rx_bad_header++;
		rx_reset(c);
		return c->err ? c->err : -EIO;
	}
	len = rsv & 0xffff;
	if ((rsv & ENC_RSV_RX_OK) && len - ENC_ETH_FCS_LEN <= cap) {
		for (unsigned try = 0; try < RX_READS && !f; try++) {
			f = rbm(c, ring_add(c->next, ENC_RX_HDR_LEN), len);
			if (c->err)
				return c->err;
			if (!enc_fcs_ok(f, len)) { /* it crossed the bus damaged */
				f = NULL;
				c->stats.rx_rereads++;
			}
		}
	}
	if (f) /* before the next instruction reuses the buffer */
		memcpy(buf, f, len - ENC_ETH_FCS_LEN);
	rx_free(c, nn);
	if (c->err)
		return c->err;
	if (!(rsv & ENC_RSV_RX_OK) || len - ENC_ETH_FCS_LEN > cap) {
		c->stats.rx_errors++;
		return -EBADMSG;
	}
	if (!f) {
		c->stats.rx_fcs_errors++;
		return -EBADMSG;
	}
	len -= ENC_ETH_FCS_LEN;
	*ret_len = len;
	c->stats.rx_frames++;
	c->stats.rx_bytes += len;
	return 0;
}

/* ---- transmit (§7.1) ------------------------------------------------------ */

/* EIR once TXIF or TXERIF shows, 0 after TX_TIMEOUT_NS (erratum 13). */
static uint8_t tx_wait(struct enc_chip *c, size_t len)
{
	uint64_t end = now(c) + TX_TIMEOUT_NS;
	uint64_t first = (len + 8 + 4 + 12) * TX_NS_PER_BYTE; /* preamble, FCS, gap */
	bool slept = false;

	for (;;) {
		uint8_t eir = rcr(c, ENC_EIR);

		if (c->err)
			return 0;
		if (eir & (ENC_EI_TX | ENC_EI_TXER))
			return rcr_sure(c, ENC_EIR); /* a flipped bit must not end the wait */
		if (now(c) > end)
			return 0;
		nap(c, slept ? TX_POLL_NS : first);
		slept = true;
	}
}

int enc_chip_tx(struct enc_chip *c, const uint8_t *frame, size_t len)
{
	uint16_t end = (uint16_t)(ENC_TX_START + len);

	if (len < ENC_ETH_HLEN || len > ENC_FRAME_MAX) /* the buffer plan holds no more */
		return -EMSGSIZE;
	c->err = 0;
	/* control byte 0: padding and CRC as MACON3 says */
	wcr16(c, ENC_EWRPTL, ENC_TX_START);
	c->mosi[0] = ENC_OP_WBM;
	c->mosi[1] = 0x00;
	memcpy(c->mosi + 2, frame, len);
	xfer(c, len + 2);
	wcr16(c, ENC_ETXSTL, ENC_TX_START);
	wcr16(c, ENC_ETXNDL, end);

	for (unsigned attempt = 0; attempt <= ENC_TX_RETRIES && !c->err; attempt++) {
		const uint8_t *tsv;
		uint8_t eir;

		if (attempt)
			c->stats.tx_retries++;
		/* erratum 12: a past abort may have wedged the transmitter */
		bfs(c, ENC_ECON1, ENC_ECON1_TXRST);
		bfc(c, ENC_ECON1, ENC_ECON1_TXRST);
		bfc(c, ENC_EIR, ENC_EI_TX | ENC_EI_TXER);
		bfs(c, ENC_ECON1, ENC_ECON1_TXRTS);
		eir = tx_wait(c, len);
		if (c->err)
			break;
		if (!eir) {
			c->stats.tx_timeouts++; /* erratum 13: do not wait for ever */
			bfc(c, ENC_ECON1, ENC_ECON1_TXRTS);
			continue;
		}
		if (!(eir & ENC_EI_TXER)) {
			c->stats.tx_frames++;
			c->stats.tx_bytes += len;
			return 0;
		}
		/* aborted: the status vector says why (Table 7-1) */
		tsv = rbm(c, (uint16_t)(end + 1), ENC_TSV_LEN);
		bfc(c, ENC_ECON1, ENC_ECON1_TXRTS);
		if (c->err)
			break;
		if (tsv[3] & (ENC_TSV_LATE_COLL >> 24))
			continue; /* erratum 13: often a link pulse taken for a collision */
		snprintf(c->why, sizeof(c->why), "transmission aborted, status %02x%02x%02x%02x",
			 tsv[3], tsv[2], tsv[1], tsv[0]);
		c->stats.tx_errors++;
		return -EIO;
	}
	if (c->err)
		return c->err;
	snprintf(c->why, sizeof(c->why), "transmission failed %u times", ENC_TX_RETRIES + 1);
	c->stats.tx_errors++;
	return -EIO;
}
