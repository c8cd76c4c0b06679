/* sim.h: a register-level model of the Microchip ENC28J60, for driver tests.
 *
 * The model has two sides. The SPI side takes whole chip-select windows
 * (enc_sim_transfer) and decodes them byte by byte as the chip does
 * (DS39662E §4.2), so a driver runs on it unchanged. The wire side takes
 * frames from the cable (enc_sim_wire_rx) and hands transmitted frames to a
 * callback. Between them sit the buffer SRAM with its pointers and wrap rules
 * (§3.2), the receive filters (§8), the receive and transmit engines with
 * their status vectors (§7), the MII/PHY (§3.3), interrupts (§12), the DMA
 * and checksum engine (§13) and resets (§11).
 *
 * Out of the box the model is an ideal chip. Silicon errata (DS80349) are
 * switched on one by one, faults are injected on demand, and mistakes a real
 * chip would silently swallow (BFS on a MAC register, PKTDEC with no packet,
 * writes while the chip resets...) are counted so tests can assert on them.
 *
 * Time comes from the caller's clock (cfg.now_ns); timed behaviour (MII busy,
 * reset, link flap) is evaluated lazily at every call and by enc_sim_poll().
 *
 * Threads: every entry point takes an internal mutex, so the SPI side and the
 * wire side may run on different threads. Callbacks (wire_tx, int notify) run
 * after the mutex is released, on the thread whose call caused them, and may
 * call back into the simulator. */
#ifndef VH_ENC28J60_SIM_H
#define VH_ENC28J60_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct enc_sim;

/* Errata switches (DS80349 numbering, silicon rev B7). */
enum {
	ENC_SIM_ERRATUM_2 = 1u << 2,   /* CLKRDY reads 1 after SRC while the chip still resets */
	ENC_SIM_ERRATUM_5 = 1u << 5,   /* writing ERXST loads 0x0000 into ERXWRPT */
	ENC_SIM_ERRATUM_6 = 1u << 6,   /* PKTIF unreliable: missed on some arrivals, cleared by any
					* PKTDEC */
	ENC_SIM_ERRATUM_12 = 1u << 12, /* after an abort TXRTS stays set until TXRST */
	ENC_SIM_ERRATUM_14 = 1u << 14, /* an even ERXRDPT corrupts the next stored frame header */
};

struct enc_sim_config {
	uint8_t revid;          /* EREVID; 0 means 0x06 (rev B7) */
	bool link_down;         /* start with the cable unplugged */
	bool full_duplex_strap; /* PHCON1.PDPXMD at reset (the LEDB strap) */
	uint32_t errata;        /* ENC_SIM_ERRATUM_* */
	uint64_t seed;          /* for SPI bit errors and erratum 6; 0 picks a fixed seed */
	uint64_t reset_ns;      /* how long SRC keeps the chip busy; 0 means 300 us */
	uint64_t mii_ns;        /* MISTAT.BUSY time per MII operation; 0 means 10.24 us */
	/* The clock, in ns; NULL means CLOCK_MONOTONIC. */
	uint64_t (*now_ns)(void *arg);
	void *clock_arg;
};

enum enc_sim_fault {
	ENC_SIM_FAULT_RX_OVERFLOW, /* arg: the next arg frames find the buffer full */
	ENC_SIM_FAULT_TX_ERROR,    /* arg: the next arg transmissions abort (late collision) */
	ENC_SIM_FAULT_LINK_FLAP,   /* arg: link down now, back up after arg microseconds */
	ENC_SIM_FAULT_SPI_BITS,    /* arg: per-MISO-byte bit flip probability in ppm; 0 stops */
	ENC_SIM_FAULT_RX_CRC,      /* arg: the next arg frames arrive with a bad FCS */
	ENC_SIM_FAULT__MAX,
};

/* Why a frame from the cable was or was not stored (enc_sim_wire_rx). */
enum enc_sim_rx_result {
	ENC_SIM_RX_STORED,
	ENC_SIM_RX_NO_LINK,  /* cable down or PHY in reset/power save */
	ENC_SIM_RX_DISABLED, /* RXEN/MARXEN clear, RXRST held, or chip in reset */
	ENC_SIM_RX_FILTERED, /* ERXFCON rejected it */
	ENC_SIM_RX_TOO_LONG, /* longer than MAMXFL and huge frames not enabled */
	ENC_SIM_RX_OVERFLOW, /* no room in the ring or EPKTCNT at 255: RXERIF */
};

struct enc_sim_stats {
	uint64_t spi_transfers, spi_bytes, spi_bit_flips;
	uint64_t rx_frames, rx_bytes; /* stored in the ring (bytes with FCS) */
	uint64_t rx_no_link, rx_disabled, rx_filtered, rx_too_long, rx_overflow;
	uint64_t rx_crc_errors;       /* frames that arrived with a bad FCS */
	uint64_t tx_frames, tx_bytes; /* sent by the MAC (bytes without FCS) */
	uint64_t tx_aborted;          /* TXERIF */
	uint64_t tx_loopback;         /* frames fed back to receive (PLOOPBK, or half duplex
				       * without HDLDIS) */
	uint64_t soft_resets, dma_copies, dma_checksums, mii_reads, mii_writes;
	uint64_t link_changes, int_edges;
	uint64_t errata_events;  /* times a switched-on erratum changed the outcome */
	uint64_t driver_mistakes;
	const char *last_mistake; /* static string naming the latest mistake, or NULL */
};

/* Create a chip in its power-on state. cfg may be NULL for defaults.
 * 0 or -errno; *ret_sim is set only on success. */
int enc_sim_new(const struct enc_sim_config *cfg, struct enc_sim **ret_sim);
void enc_sim_free(struct enc_sim *s);

/* One chip-select window: CS low, n bytes clocked full duplex, CS high.
 * mosi NULL clocks zeros; miso NULL discards. An instruction cut short by
 * the end of the window is abandoned, as CS high ends it on the chip. */
void enc_sim_transfer(struct enc_sim *s, const uint8_t *mosi, uint8_t *miso, size_t n);

/* The INT pin is active low: true when it is driven low. */
bool enc_sim_int_asserted(const struct enc_sim *s);
/* cb runs on every falling edge of INT (a GPIO line's falling-edge event). */
void enc_sim_set_int_notify(struct enc_sim *s, void (*cb)(void *arg), void *arg);

/* A frame from the cable: destination MAC .. payload, without FCS. Frames
 * shorter than 60 bytes are padded as the sender's MAC would. Returns an
 * enum enc_sim_rx_result (>= 0), or -EINVAL for a frame shorter than an
 * Ethernet header, -EMSGSIZE for one longer than the chip's memory. */
int enc_sim_wire_rx(struct enc_sim *s, const uint8_t *frame, size_t len);
/* cb receives each frame the chip puts on the cable, without FCS. */
void enc_sim_set_wire_tx(struct enc_sim *s, void (*cb)(void *arg, const uint8_t *frame, size_t len),
			 void *arg);

/* Plug or unplug the cable. */
void enc_sim_set_link(struct enc_sim *s, bool up);

/* Inject a fault (see enum enc_sim_fault for arg). 0 or -EINVAL. */
int enc_sim_inject(struct enc_sim *s, enum enc_sim_fault f, uint32_t arg);

/* Evaluate timed events (MII completion, end of reset, link coming back)
 * now, firing callbacks; returns the clock time of the next one, or
 * UINT64_MAX if none is pending. Hosts with an idle INT line call this from
 * their timer so a link-up after a flap still raises LINKIF on time. */
uint64_t enc_sim_poll(struct enc_sim *s);

void enc_sim_get_stats(const struct enc_sim *s, struct enc_sim_stats *ret_stats);

/* Back doors for tests and diagnostics; the chip has no such port. */
void enc_sim_peek(const struct enc_sim *s, uint16_t addr, uint8_t *buf, size_t n);
uint16_t enc_sim_peek_phy(const struct enc_sim *s, uint8_t reg);

#endif
