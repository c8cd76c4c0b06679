/* enc28j60.h: the ENC28J60 driver proper, as the datasheet and its errata
 * say to drive the chip, over any SPI transport (spi.h). No threads, no
 * stack: nic.c puts it behind a vh_dev, tests put it on the simulator.
 *
 * Buffer plan (DS39662E §3.2, §6.1; errata DS80349 #5 and #14):
 *
 *   0x0000 .. 0x19FF  receive ring: at 0 so erratum 5 (ERXWRPT loaded with
 *                     0 when ERXST is written) cannot hurt; ERXND odd so
 *                     ERXRDPT = ERXND is a safe odd value (erratum 14)
 *   0x1A00 .. 0x1FFF  transmit: control byte, up to 1514 bytes of frame,
 *                     the 7-byte status vector the chip writes after it
 *
 * Every function returns 0 or a negative errno; a transport failure comes
 * back as it is and the caller re-initialises the chip once the bus works. */
#ifndef VH_ENC28J60_H
#define VH_ENC28J60_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spi.h"

enum {
	ENC_RX_START = 0x0000,
	ENC_RX_END = 0x19ff,
	ENC_TX_START = 0x1a00,
	ENC_FRAME_MAX = 1514,   /* without FCS: MAMXFL 1518 with it */
	ENC_TX_RETRIES = 16,    /* erratum 13: late collisions that were not */
};

/* What enc_chip_service() found. */
enum {
	ENC_EV_LINK = 1u << 0, /* the link state changed: see chip->link */
	ENC_EV_RX = 1u << 1,   /* frames wait in the ring */
};

struct enc_chip_config {
	struct enc_spi *spi;
	uint8_t mac[6];
	bool full_duplex;   /* PHY and MAC alike; the chip does not negotiate */
	bool promisc;       /* every frame with a good CRC */
	bool multicast;     /* every multicast frame (the stack filters groups) */
	bool polled;        /* no INT line: INTIE stays off, no edge dance */
	/* The clock for bounded waits; NULL: CLOCK_MONOTONIC and nanosleep. */
	uint64_t (*now_ns)(void *arg);
	void (*sleep_ns)(void *arg, uint64_t ns);
	void *clock_arg;
};

struct enc_chip_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_rereads;    /* a header or frame read again: SPI bits flipped */
	uint64_t rx_bad_header; /* header still wrong when read again: ring reset */
	uint64_t rx_errors;     /* the chip's status said the frame is bad */
	uint64_t rx_fcs_errors; /* FCS wrong over SPI on every read: dropped */
	uint64_t rx_overflows;  /* RXERIF: the chip lost frames for want of room */
	uint64_t rx_resets;     /* receive ring reset */
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_retries;    /* late collision (erratum 13), sent again */
	uint64_t tx_timeouts;   /* no TXIF/TXERIF in time (errata 12, 13) */
	uint64_t tx_errors;     /* given up */
	uint64_t link_changes, inits, mii_timeouts, spi_errors;
};

struct enc_chip {
	struct enc_chip_config cfg;
	int err;           /* first transport error of the current call */
	int bank;          /* ECON1.BSEL as we last set it; -1 unknown */
	uint16_t next;     /* where the next received packet starts */
	bool link;
	uint8_t rev;       /* EREVID */
	uint8_t eie;       /* the interrupt sources we enable, without INTIE */
	struct enc_chip_stats stats;
	char why[112];     /* the latest anomaly, for the log */
	uint8_t mosi[ENC_SPI_MAX_XFER], miso[ENC_SPI_MAX_XFER];
};

/* Reset the chip and set it up (§6): -ENODEV when nothing answers on the
 * bus, -ETIMEDOUT when the oscillator never comes ready, -EIO when what we
 * write does not read back. Safe to call again to recover. */
int enc_chip_init(struct enc_chip *c, const struct enc_chip_config *cfg);
/* Receive off, interrupts off. */
void enc_chip_stop(struct enc_chip *c);

/* The interrupt service: INTIE off, then look at EIR (link, overflow).
 * *ret_ev gets ENC_EV_*. Re-arm with enc_chip_irq_arm() when done. */
int enc_chip_service(struct enc_chip *c, unsigned *ret_ev);
int enc_chip_irq_arm(struct enc_chip *c);

/* Packets waiting (EPKTCNT read until it reads the same twice; erratum 6
 * makes PKTIF useless). Negative on a transport error. */
int enc_chip_pending(struct enc_chip *c);
/* Take one packet off the ring into buf (without FCS). -EBADMSG: one bad
 * frame was dropped, go on; -EIO: the ring made no sense and was reset. */
int enc_chip_rx(struct enc_chip *c, uint8_t *buf, size_t cap, size_t *ret_len);
/* Send one frame (without FCS; padded by the chip), retrying late
 * collisions; -EIO when it could not go. */
int enc_chip_tx(struct enc_chip *c, const uint8_t *frame, size_t len);

/* Is the chip still as we set it up? -ESTALE when it reset behind our back.
 * Also re-reads the link (ENC_EV_LINK in *ret_ev when it changed). */
int enc_chip_check(struct enc_chip *c, unsigned *ret_ev);

#endif
