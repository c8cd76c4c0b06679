/* enc28j60_regs.h: the ENC28J60 register map, bits and SPI opcodes.
 *
 * Shared by the user-space driver and the simulator so both speak the same
 * names. Sources: Microchip DS39662E §3.1 (Table 3-1 control register map,
 * Registers 3-1, 3-2, 12-1..12-3), §3.3 (PHY registers, Table 3-3), §4.2
 * (Table 4-1 SPI instruction set), §6 (Registers 6-1..6-3, MACON1..4), §7.1
 * (Figure 7-1 per-packet control byte, Table 7-1 transmit status vector),
 * §7.2 (Table 7-3 receive status vector), §8 (Register 8-1 ERXFCON).
 *
 * A control register is named by one integer: address in bits 4:0, bank in
 * bits 6:5, and ENC_REG_MACMII when it lives in the MAC or MII block. That
 * flag matters on the wire: RCR of such a register shifts out a dummy byte
 * before the data (§4.2.1), and BFS/BFC do not work on it (§4.2.5-6).
 * Addresses 0x1B..0x1F are the same registers in every bank. */
#ifndef VH_ENC28J60_REGS_H
#define VH_ENC28J60_REGS_H

#include <stdbool.h>
#include <stdint.h>

#define ENC_REG(bank, addr) (((bank) << 5) | (addr))
#define ENC_MREG(bank, addr) (ENC_REG(bank, addr) | ENC_REG_MACMII)

enum {
	ENC_REG_ADDR_MASK = 0x1f,
	ENC_REG_BANK_SHIFT = 5,
	ENC_REG_MACMII = 0x100,
	ENC_REG_COMMON_FIRST = 0x1b, /* EIE..ECON1 are mapped into all four banks */
	ENC_BANKS = 4,
};

/* 8 KB of dual-port SRAM; every buffer pointer is 13 bits (§3.2). */
enum {
	ENC_MEM_SIZE = 0x2000,
	ENC_MEM_MASK = 0x1fff,
	ENC_PTR_HIGH_MASK = 0x1f,
};

/* SPI instruction set (§4.2, Table 4-1): 3-bit opcode, 5-bit argument. */
enum {
	ENC_OP_MASK = 0xe0,
	ENC_OP_RCR = 0x00,
	ENC_OP_RBM = 0x3a, /* opcode 001 with the constant 0x1A */
	ENC_OP_WCR = 0x40,
	ENC_OP_WBM = 0x7a, /* opcode 011 with the constant 0x1A */
	ENC_OP_BFS = 0x80,
	ENC_OP_BFC = 0xa0,
	ENC_OP_SRC = 0xff,
};

enum enc_reg {
	/* bank 0: buffer pointers and DMA (ETH) */
	ENC_ERDPTL = ENC_REG(0, 0x00),
	ENC_ERDPTH = ENC_REG(0, 0x01),
	ENC_EWRPTL = ENC_REG(0, 0x02),
	ENC_EWRPTH = ENC_REG(0, 0x03),
	ENC_ETXSTL = ENC_REG(0, 0x04),
	ENC_ETXSTH = ENC_REG(0, 0x05),
	ENC_ETXNDL = ENC_REG(0, 0x06),
	ENC_ETXNDH = ENC_REG(0, 0x07),
	ENC_ERXSTL = ENC_REG(0, 0x08),
	ENC_ERXSTH = ENC_REG(0, 0x09),
	ENC_ERXNDL = ENC_REG(0, 0x0a),
	ENC_ERXNDH = ENC_REG(0, 0x0b),
	ENC_ERXRDPTL = ENC_REG(0, 0x0c),
	ENC_ERXRDPTH = ENC_REG(0, 0x0d),
	ENC_ERXWRPTL = ENC_REG(0, 0x0e),
	ENC_ERXWRPTH = ENC_REG(0, 0x0f),
	ENC_EDMASTL = ENC_REG(0, 0x10),
	ENC_EDMASTH = ENC_REG(0, 0x11),
	ENC_EDMANDL = ENC_REG(0, 0x12),
	ENC_EDMANDH = ENC_REG(0, 0x13),
	ENC_EDMADSTL = ENC_REG(0, 0x14),
	ENC_EDMADSTH = ENC_REG(0, 0x15),
	ENC_EDMACSL = ENC_REG(0, 0x16),
	ENC_EDMACSH = ENC_REG(0, 0x17),

	/* common to all banks */
	ENC_EIE = ENC_REG(0, 0x1b),
	ENC_EIR = ENC_REG(0, 0x1c),
	ENC_ESTAT = ENC_REG(0, 0x1d),
	ENC_ECON2 = ENC_REG(0, 0x1e),
	ENC_ECON1 = ENC_REG(0, 0x1f),

	/* bank 1: receive filters (ETH) */
	ENC_EHT0 = ENC_REG(1, 0x00), /* EHT0..EHT7 at 0x00..0x07 */
	ENC_EPMM0 = ENC_REG(1, 0x08), /* EPMM0..EPMM7 at 0x08..0x0f */
	ENC_EPMCSL = ENC_REG(1, 0x10),
	ENC_EPMCSH = ENC_REG(1, 0x11),
	ENC_EPMOL = ENC_REG(1, 0x14),
	ENC_EPMOH = ENC_REG(1, 0x15),
	ENC_ERXFCON = ENC_REG(1, 0x18),
	ENC_EPKTCNT = ENC_REG(1, 0x19),

	/* bank 2: MAC and MII (dummy byte on read, no BFS/BFC) */
	ENC_MACON1 = ENC_MREG(2, 0x00),
	ENC_MACON3 = ENC_MREG(2, 0x02),
	ENC_MACON4 = ENC_MREG(2, 0x03),
	ENC_MABBIPG = ENC_MREG(2, 0x04),
	ENC_MAIPGL = ENC_MREG(2, 0x06),
	ENC_MAIPGH = ENC_MREG(2, 0x07),
	ENC_MACLCON1 = ENC_MREG(2, 0x08),
	ENC_MACLCON2 = ENC_MREG(2, 0x09),
	ENC_MAMXFLL = ENC_MREG(2, 0x0a),
	ENC_MAMXFLH = ENC_MREG(2, 0x0b),
	ENC_MICMD = ENC_MREG(2, 0x12),
	ENC_MIREGADR = ENC_MREG(2, 0x14),
	ENC_MIWRL = ENC_MREG(2, 0x16),
	ENC_MIWRH = ENC_MREG(2, 0x17),
	ENC_MIRDL = ENC_MREG(2, 0x18),
	ENC_MIRDH = ENC_MREG(2, 0x19),

	/* bank 3: station address (MAC), MISTAT (MII), the rest ETH.
	 * Datasheet numbering: MAADR1 is the first octet on the wire. */
	ENC_MAADR5 = ENC_MREG(3, 0x00),
	ENC_MAADR6 = ENC_MREG(3, 0x01),
	ENC_MAADR3 = ENC_MREG(3, 0x02),
	ENC_MAADR4 = ENC_MREG(3, 0x03),
	ENC_MAADR1 = ENC_MREG(3, 0x04),
	ENC_MAADR2 = ENC_MREG(3, 0x05),
	ENC_EBSTSD = ENC_REG(3, 0x06),
	ENC_EBSTCON = ENC_REG(3, 0x07),
	ENC_EBSTCSL = ENC_REG(3, 0x08),
	ENC_EBSTCSH = ENC_REG(3, 0x09),
	ENC_MISTAT = ENC_MREG(3, 0x0a),
	ENC_EREVID = ENC_REG(3, 0x12),
	ENC_ECOCON = ENC_REG(3, 0x15),
	ENC_EFLOCON = ENC_REG(3, 0x17),
	ENC_EPAUSL = ENC_REG(3, 0x18),
	ENC_EPAUSH = ENC_REG(3, 0x19),
};

/* EIE (Register 12-1) and EIR (Register 12-2) share bit positions. */
enum {
	ENC_EIE_INTIE = 0x80, /* EIE only: gates the INT pin */
	ENC_EI_PKT = 0x40,
	ENC_EI_DMA = 0x20,
	ENC_EI_LINK = 0x10,
	ENC_EI_TX = 0x08,
	ENC_EI_TXER = 0x02,
	ENC_EI_RXER = 0x01,
	ENC_EI_ALL = 0x7b,
};

enum {
	ENC_ESTAT_INT = 0x80,
	ENC_ESTAT_BUFER = 0x40,
	ENC_ESTAT_LATECOL = 0x10,
	ENC_ESTAT_RXBUSY = 0x04,
	ENC_ESTAT_TXABRT = 0x02,
	ENC_ESTAT_CLKRDY = 0x01,
};

enum {
	ENC_ECON1_TXRST = 0x80,
	ENC_ECON1_RXRST = 0x40,
	ENC_ECON1_DMAST = 0x20,
	ENC_ECON1_CSUMEN = 0x10,
	ENC_ECON1_TXRTS = 0x08,
	ENC_ECON1_RXEN = 0x04,
	ENC_ECON1_BSEL = 0x03,
};

enum {
	ENC_ECON2_AUTOINC = 0x80,
	ENC_ECON2_PKTDEC = 0x40,
	ENC_ECON2_PWRSV = 0x20,
	ENC_ECON2_VRPS = 0x08,
};

/* ERXFCON (Register 8-1) */
enum {
	ENC_ERXFCON_UCEN = 0x80,
	ENC_ERXFCON_ANDOR = 0x40,
	ENC_ERXFCON_CRCEN = 0x20,
	ENC_ERXFCON_PMEN = 0x10,
	ENC_ERXFCON_MPEN = 0x08,
	ENC_ERXFCON_HTEN = 0x04,
	ENC_ERXFCON_MCEN = 0x02,
	ENC_ERXFCON_BCEN = 0x01,
};

/* MACON1, MACON3, MACON4 (Registers 6-1..6-3) */
enum {
	ENC_MACON1_TXPAUS = 0x08,
	ENC_MACON1_RXPAUS = 0x04,
	ENC_MACON1_PASSALL = 0x02,
	ENC_MACON1_MARXEN = 0x01,

	ENC_MACON3_PADCFG_MASK = 0xe0,
	ENC_MACON3_PADCFG_SHIFT = 5,
	ENC_MACON3_PADCFG0 = 0x20,
	ENC_MACON3_TXCRCEN = 0x10,
	ENC_MACON3_PHDREN = 0x08,
	ENC_MACON3_HFRMEN = 0x04,
	ENC_MACON3_FRMLNEN = 0x02,
	ENC_MACON3_FULDPX = 0x01,

	ENC_MACON4_DEFER = 0x40,
	ENC_MACON4_BPEN = 0x20,
	ENC_MACON4_NOBKOFF = 0x10,
};

/* MICMD, MISTAT (Registers 3-3, 3-4) */
enum {
	ENC_MICMD_MIISCAN = 0x02,
	ENC_MICMD_MIIRD = 0x01,
	ENC_MISTAT_NVALID = 0x04,
	ENC_MISTAT_SCAN = 0x02,
	ENC_MISTAT_BUSY = 0x01,
};

/* PHY registers, 16 bits, reached only through MIREGADR/MICMD/MIWR/MIRD (§3.3). */
enum enc_phy_reg {
	ENC_PHCON1 = 0x00,
	ENC_PHSTAT1 = 0x01,
	ENC_PHID1 = 0x02,
	ENC_PHID2 = 0x03,
	ENC_PHCON2 = 0x10,
	ENC_PHSTAT2 = 0x11,
	ENC_PHIE = 0x12,
	ENC_PHIR = 0x13,
	ENC_PHLCON = 0x14,
	ENC_PHY_REGS = 0x20,
};

enum {
	ENC_PHCON1_PRST = 0x8000,
	ENC_PHCON1_PLOOPBK = 0x4000,
	ENC_PHCON1_PPWRSV = 0x0800,
	ENC_PHCON1_PDPXMD = 0x0100,

	ENC_PHSTAT1_PFDPX = 0x1000,
	ENC_PHSTAT1_PHDPX = 0x0800,
	ENC_PHSTAT1_LLSTAT = 0x0004,
	ENC_PHSTAT1_JBSTAT = 0x0002,

	ENC_PHCON2_FRCLNK = 0x4000,
	ENC_PHCON2_TXDIS = 0x2000,
	ENC_PHCON2_JABBER = 0x0400,
	ENC_PHCON2_HDLDIS = 0x0100,

	ENC_PHSTAT2_TXSTAT = 0x2000,
	ENC_PHSTAT2_RXSTAT = 0x1000,
	ENC_PHSTAT2_COLSTAT = 0x0800,
	ENC_PHSTAT2_LSTAT = 0x0400,
	ENC_PHSTAT2_DPXSTAT = 0x0200,
	ENC_PHSTAT2_PLRITY = 0x0020,

	ENC_PHIE_PLNKIE = 0x0010,
	ENC_PHIE_PGEIE = 0x0002,
	ENC_PHIR_PLNKIF = 0x0010,
	ENC_PHIR_PGIF = 0x0004,

	ENC_PHID1_VALUE = 0x0083,
	ENC_PHID2_VALUE = 0x1400, /* PHY number 000101, revision 0000 */
	ENC_PHID2_REV_MASK = 0x000f,
	ENC_PHLCON_RESET = 0x3422,
};

/* Per-packet control byte written at ETXST (§7.1, Figure 7-1). */
enum {
	ENC_TXCTL_PHUGEEN = 0x08,
	ENC_TXCTL_PPADEN = 0x04,
	ENC_TXCTL_PCRCEN = 0x02,
	ENC_TXCTL_POVERRIDE = 0x01,
};

/* Receive status vector (Table 7-3): 6 bytes before each received frame. */
enum {
	ENC_RX_HDR_LEN = 6,
	ENC_RSV_LONG_DROP = 1u << 16,
	ENC_RSV_CARRIER = 1u << 18,
	ENC_RSV_CRC_ERR = 1u << 20,
	ENC_RSV_LEN_CHECK_ERR = 1u << 21,
	ENC_RSV_LEN_OUT_OF_RANGE = 1u << 22,
	ENC_RSV_RX_OK = 1u << 23,
	ENC_RSV_MULTICAST = 1u << 24,
	ENC_RSV_BROADCAST = 1u << 25,
	ENC_RSV_DRIBBLE = 1u << 26,
	ENC_RSV_CONTROL = 1u << 27,
	ENC_RSV_PAUSE = 1u << 28,
	ENC_RSV_UNKNOWN_OP = 1u << 29,
	ENC_RSV_VLAN = 1u << 30,
};

/* Transmit status vector (Table 7-1): 7 bytes the chip writes at ETXND + 1.
 * Bits 0..31 as a little-endian 32-bit word, 32..51 in the last three bytes. */
enum {
	ENC_TSV_LEN = 7,
	ENC_TSV_COLL_SHIFT = 16,
	ENC_TSV_COLL_MASK = 0xfu << 16,
	ENC_TSV_CRC_ERR = 1u << 20,
	ENC_TSV_LEN_CHECK_ERR = 1u << 21,
	ENC_TSV_LEN_OUT_OF_RANGE = 1u << 22,
	ENC_TSV_DONE = 1u << 23,
	ENC_TSV_MULTICAST = 1u << 24,
	ENC_TSV_BROADCAST = 1u << 25,
	ENC_TSV_DEFER = 1u << 26,
	ENC_TSV_EXCESS_DEFER = 1u << 27,
	ENC_TSV_EXCESS_COLL = 1u << 28,
	ENC_TSV_LATE_COLL = 1u << 29,
	ENC_TSV_GIANT = 1u << 30,
	/* byte 6 (bits 55:48) */
	ENC_TSV6_CONTROL = 0x01,
	ENC_TSV6_PAUSE = 0x02,
	ENC_TSV6_BACKPRESSURE = 0x04,
	ENC_TSV6_VLAN = 0x08,
};

/* Ethernet sizes the chip cares about. */
enum {
	ENC_ETH_HLEN = 14,
	ENC_ETH_FCS_LEN = 4,
	ENC_ETH_MIN_NOFCS = 60,   /* padding target without FCS */
	ENC_ETH_MAX_FRAME = 1518, /* with FCS, untagged */
};

static inline unsigned enc_reg_addr(unsigned reg)
{
	return reg & ENC_REG_ADDR_MASK;
}

static inline unsigned enc_reg_bank(unsigned reg)
{
	return (reg >> ENC_REG_BANK_SHIFT) & (ENC_BANKS - 1);
}

static inline bool enc_reg_is_common(unsigned reg)
{
	return enc_reg_addr(reg) >= ENC_REG_COMMON_FIRST;
}

static inline bool enc_reg_is_macmii(unsigned reg)
{
	return (reg & ENC_REG_MACMII) != 0;
}

/* Whether (bank, addr) is a MAC or MII register, for a chip model that sees
 * only the bank select and the 5-bit argument (Table 3-1). */
static inline bool enc_addr_is_macmii(unsigned bank, unsigned addr)
{
	if (bank == 2)
		return addr < 0x1a;
	if (bank == 3)
		return addr <= 0x05 || addr == 0x0a;
	return false;
}

/* The register holding octet i (0 = first on the wire) of the station
 * address: MAADR1..6 sit at 0x04 0x05 0x02 0x03 0x00 0x01 in bank 3. */
static inline unsigned enc_maadr_reg(unsigned octet)
{
	return ENC_MREG(3, 4 - 2 * (octet / 2) + octet % 2);
}

#endif
