/* bench-enc28j60.c: frames/s and MB/s through the simulated ENC28J60.
 *
 * The driver (enc_chip_*) runs on the simulator two ways: in process, where
 * the cost is the driver's instructions plus the model's byte-at-a-time SPI
 * decoder, and over the UNIX socket of enc28j60-sim (a server thread here),
 * where every instruction is a round trip. For 64, 512 and 1514-byte frames
 * it times receive (frames put on the cable, then drained by the driver in
 * batches, as after an interrupt) and transmit (enc_chip_tx, which waits for
 * the chip's verdict on each frame).
 *
 * It also prints the SPI bytes the driver clocks per frame, and what that
 * would allow on a real bus at 20 MHz: the chip's own ceiling is the 10 Mb/s
 * wire (about 812 full frames/s at 1514 bytes, 14 880 at 64), so the SPI
 * overhead shows whether the driver, not the wire, would be the limit.
 *
 * Figures only, no assertions; `--quick` for a smoke run. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ifaces/enc28j60/enc28j60.h"
#include "ifaces/enc28j60/sim.h"
#include "ifaces/enc28j60/sim_server.h"
#include "ifaces/enc28j60/spi.h"

static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x42};

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sink(void *arg, const uint8_t *f, size_t len)
{
	(void)f;
	*(uint64_t *)arg += len;
}

struct server {
	struct enc_sim_server *srv;
	atomic_bool stop;
};

static void *serve(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stop))
		enc_sim_server_run(s->srv, 10);
	return NULL;
}

static void run(const char *how, struct enc_spi *spi, struct enc_sim *sim, size_t len,
		unsigned frames)
{
	struct enc_chip *c = calloc(1, sizeof(*c));
	struct enc_chip_config cfg = {.spi = spi, .full_duplex = true};
	uint8_t f[1514], got[1514];
	uint64_t wire_bytes = 0, spi0;
	unsigned rx = 0;
	double t0, trx, ttx;
	size_t n;

	memcpy(cfg.mac, mac, 6);
	if (!c || enc_chip_init(c, &cfg) < 0) {
		fprintf(stderr, "%s: init failed: %s\n", how, c ? c->why : "no memory");
		free(c);
		return;
	}
	enc_sim_set_wire_tx(sim, sink, &wire_bytes);
	memcpy(f, mac, 6);
	memset(f + 6, 0xab, sizeof(f) - 6);
	f[12] = 0x08, f[13] = 0x00;

	/* receive: three frames at a time fit the ring whatever their size */
	spi0 = spi->bytes;
	t0 = secs();
	for (unsigned i = 0; i < frames; i += 3) {
		for (unsigned k = 0; k < 3; k++)
			enc_sim_wire_rx(sim, f, len);
		for (int k = enc_chip_pending(c); k > 0; k--)
			rx += enc_chip_rx(c, got, sizeof(got), &n) == 0;
	}
	trx = secs() - t0;
	double rx_spi = (double)(spi->bytes - spi0) / rx;

	spi0 = spi->bytes;
	t0 = secs();
	for (unsigned i = 0; i < frames; i++)
		enc_chip_tx(c, f, len);
	ttx = secs() - t0;
	double tx_spi = (double)(spi->bytes - spi0) / frames;

	printf("  %-10s %4zu B  rx %8.0f frames/s %7.2f MB/s  (%5.0f SPI bytes/frame, 20 MHz "
	       "bus: %6.0f frames/s)\n",
	       how, len, rx / trx, rx * (double)len / trx / 1e6, rx_spi, 2.5e6 / rx_spi);
	printf("  %-10s %4s    tx %8.0f frames/s %7.2f MB/s  (%5.0f SPI bytes/frame, 20 MHz "
	       "bus: %6.0f frames/s)\n",
	       "", "", frames / ttx, (double)wire_bytes / ttx / 1e6, tx_spi, 2.5e6 / tx_spi);
	if (rx < frames - frames % 3 || c->stats.tx_frames != frames)
		printf("  (lost: rx %u of %u, tx %llu of %u)\n", rx, frames - frames % 3,
		       (unsigned long long)c->stats.tx_frames, frames);
	free(c);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {64, 512, 1514};
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	unsigned frames = quick ? 3000 : 60000, sock_frames = quick ? 600 : 6000;
	struct enc_sim *sim;
	struct enc_spi *spi;
	struct server s = {0};
	char path[64];
	pthread_t t;
	struct vh_err err;

	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	printf("enc28j60 bench: the driver on the simulated chip (wire: 10 Mb/s on real "
	       "hardware)\n");
	if (enc_sim_new(NULL, &sim) < 0 || enc_spi_open_sim(sim, &spi) < 0)
		return 1;
	for (unsigned i = 0; i < 3; i++)
		run("in process", spi, sim, sizes[i], frames);
	enc_spi_close(spi);
	enc_sim_free(sim);

	snprintf(path, sizeof(path), "/tmp/bench-enc28j60-%d.sock", (int)getpid());
	if (enc_sim_new(NULL, &sim) < 0 || enc_sim_server_new(sim, path, &s.srv) < 0)
		return 1;
	pthread_create(&t, NULL, serve, &s);
	if (enc_spi_open_unix(path, &spi, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (unsigned i = 0; i < 3; i++)
		run("socket", spi, sim, sizes[i], sock_frames);
	enc_spi_close(spi);
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	enc_sim_server_free(s.srv);
	enc_sim_free(sim);
	return 0;
}
