/* spi.h: how the ENC28J60 driver reaches a chip: one call, one full-duplex
 * transfer of n bytes under one chip-select assertion (DS39662E §4.2: every
 * instruction is framed by CS). Three transports sit behind it:
 *
 *   spidev     /dev/spidevB.C, SPI mode 0, 8-bit words, up to 20 MHz (§4.1)
 *   unix:PATH  the simulator served by enc28j60-sim (sim_server.h framing)
 *   sim        a simulator in this process (sim.h)
 *
 * The unix transport reconnects on the next transfer after a failure, so a
 * restarted simulator is picked up; the driver sees the failure and
 * re-initialises the chip. */
#ifndef VH_ENC28J60_SPI_H
#define VH_ENC28J60_SPI_H

#include <stddef.h>
#include <stdint.h>

#include "vh.h"

struct enc_sim;

enum {
	ENC_SPI_MAX_HZ = 20000000,   /* §16.0, SPI clock frequency */
	ENC_SPI_MAX_XFER = 4096,     /* spidev's default buffer (module parameter bufsiz) */
	ENC_SPI_UNIX_TIMEOUT_MS = 2000,
};

struct enc_spi {
	/* 0 or -errno; mosi NULL clocks zeros, miso NULL discards. */
	int (*xfer)(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n);
	void (*close)(struct enc_spi *spi);
	const char *kind;
	uint64_t transfers, bytes, errors;
};

/* speed_hz 0 means ENC_SPI_MAX_HZ. */
int enc_spi_open_spidev(const char *path, uint32_t speed_hz, struct enc_spi **ret_spi,
			struct vh_err *err);
int enc_spi_open_unix(const char *path, struct enc_spi **ret_spi, struct vh_err *err);
/* The simulator stays the caller's. */
int enc_spi_open_sim(struct enc_sim *sim, struct enc_spi **ret_spi);

static inline int enc_spi_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	int r = spi->xfer(spi, mosi, miso, n);

	spi->transfers++;
	spi->bytes += n;
	if (r < 0)
		spi->errors++;
	return r;
}

void enc_spi_close(struct enc_spi *spi);

#endif
