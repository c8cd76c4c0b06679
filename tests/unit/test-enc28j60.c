/* test-enc28j60.c: the ENC28J60 driver against the simulated chip.
 *
 *   test  --(enc_chip_* calls)-->  driver  --(SPI windows)-->  simulator
 *     ^                                                            |
 *     +-------------------- frames on the simulated cable <--------+
 *
 * The driver and the simulator share a fake clock that the driver's sleeps
 * advance, so reset and MII waits take no real time. Every test ends by
 * asking the simulator whether the driver did anything a real chip would
 * have silently mishandled (its driver-mistake counter). The faults are
 * injected one by one and each must be recovered from. The last test runs
 * the whole NIC (thread, queue, link) under a stack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ifaces/enc28j60/enc28j60.h"
#include "ifaces/enc28j60/enc28j60_regs.h"
#include "ifaces/enc28j60/nic.h"
#include "ifaces/enc28j60/sim.h"
#include "ifaces/enc28j60/spi.h"
#include "testnic.h"

enum { CAP = 64 };

struct rig {
	uint64_t now;
	struct enc_sim *sim;
	struct enc_spi *spi;
	struct enc_chip chip;
	unsigned ntx;
	size_t txlen[CAP];
	uint8_t tx[CAP][1600];
};

static const uint8_t mac[6] = {0x02, 0x12, 0x34, 0x56, 0x78, 0x9a};
static const uint8_t peer[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint64_t rig_now(void *arg)
{
	return ((struct rig *)arg)->now;
}

static void rig_sleep(void *arg, uint64_t ns)
{
	((struct rig *)arg)->now += ns;
}

static void rig_wire_tx(void *arg, const uint8_t *f, size_t len)
{
	struct rig *r = arg;

	/* a ring of the last CAP frames */
	memcpy(r->tx[r->ntx % CAP], f, len);
	r->txlen[r->ntx % CAP] = len;
	r->ntx++;
}

static struct enc_chip_config rig_cfg(struct rig *r, bool full)
{
	struct enc_chip_config cfg = {
		.spi = r->spi,
		.full_duplex = full,
		.now_ns = rig_now,
		.sleep_ns = rig_sleep,
		.clock_arg = r,
	};

	memcpy(cfg.mac, mac, 6);
	return cfg;
}

/* A rig with a chip made to cfg's errata, the driver initialised. */
static struct rig *rig_new(uint32_t errata, bool full)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct enc_sim_config sc = {.errata = errata, .seed = 7, .now_ns = rig_now, .clock_arg = r};
	struct enc_chip_config cfg;

	r->now = 1000000000;
	if (!r || enc_sim_new(&sc, &r->sim) < 0 || enc_spi_open_sim(r->sim, &r->spi) < 0)
		abort();
	enc_sim_set_wire_tx(r->sim, rig_wire_tx, r);
	cfg = rig_cfg(r, full);
	CHECK_EQ(enc_chip_init(&r->chip, &cfg), 0);
	return r;
}

static uint64_t mistakes(struct rig *r)
{
	struct enc_sim_stats st;

	enc_sim_get_stats(r->sim, &st);
	if (st.driver_mistakes)
		fprintf(stderr, "simulator: %llu driver mistakes, last: %s\n",
			(unsigned long long)st.driver_mistakes, st.last_mistake);
	return st.driver_mistakes;
}

static void rig_free(struct rig *r)
{
	CHECK_EQ(mistakes(r), 0);
	enc_spi_close(r->spi);
	enc_sim_free(r->sim);
	free(r);
}

static size_t frame(uint8_t *buf, const uint8_t *dst, size_t len, unsigned seed)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, peer, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i);
	return len;
}

/* Take every waiting frame; returns how many matched want (len, bytes). */
static unsigned drain(struct rig *r, const uint8_t *want, size_t wlen, unsigned *bad)
{
	uint8_t got[1600];
	unsigned ok = 0;
	int n = enc_chip_pending(&r->chip);

	for (int i = 0; i < n; i++) {
		size_t len;
		int e = enc_chip_rx(&r->chip, got, sizeof(got), &len);

		if (e < 0)
			continue;
		if (len >= wlen && !memcmp(got, want, wlen))
			ok++;
		else if (bad)
			(*bad)++;
	}
	return ok;
}

/* ---- set-up ------------------------------------------------------------ */

static void test_init(void)
{
	struct rig *r = rig_new(0, false);
	uint8_t f[100];

	CHECK_EQ(r->chip.rev, 0x06);
	CHECK(r->chip.link);
	/* PHY as DS39662E §6.6 and erratum 11 want it */
	CHECK_EQ(enc_sim_peek_phy(r->sim, ENC_PHCON1) & ENC_PHCON1_PDPXMD, 0);
	CHECK(enc_sim_peek_phy(r->sim, ENC_PHCON2) & ENC_PHCON2_HDLDIS);
	CHECK_EQ(enc_sim_peek_phy(r->sim, ENC_PHLCON), 0x3476);
	CHECK_EQ(enc_sim_peek_phy(r->sim, ENC_PHIE), ENC_PHIE_PGEIE | ENC_PHIE_PLNKIE);
	/* MAADR in the chip's order: a frame to our MAC gets in, others not */
	CHECK_EQ(enc_sim_wire_rx(r->sim, f, frame(f, mac, 100, 1)), ENC_SIM_RX_STORED);
	CHECK_EQ(enc_sim_wire_rx(r->sim, f, frame(f, bcast, 100, 1)), ENC_SIM_RX_STORED);
	CHECK_EQ(enc_sim_wire_rx(r->sim, f, frame(f, peer, 100, 1)), ENC_SIM_RX_FILTERED);
	CHECK_EQ(enc_chip_pending(&r->chip), 2);
	rig_free(r);

	/* full duplex on both sides; a transmission is not echoed back */
	r = rig_new(0, true);
	CHECK(enc_sim_peek_phy(r->sim, ENC_PHCON1) & ENC_PHCON1_PDPXMD);
	CHECK_EQ(enc_chip_tx(&r->chip, f, frame(f, bcast, 60, 2)), 0);
	CHECK_EQ(r->ntx, 1);
	CHECK_EQ(enc_chip_pending(&r->chip), 0);
	rig_free(r);
}

/* A bus with nothing on it: MISO held at one level. */
struct dead_bus {
	struct enc_spi spi;
	uint8_t level;
};

static int dead_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	(void)mosi;
	if (miso)
		memset(miso, ((struct dead_bus *)spi)->level, n);
	return 0;
}

static int failing_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	(void)spi, (void)mosi, (void)miso, (void)n;
	return -EIO;
}

static void test_no_chip(void)
{
	struct rig r = {.now = 1};
	struct dead_bus bus = {.spi = {.xfer = dead_xfer, .kind = "dead"}};
	struct enc_chip_config cfg;

	r.spi = &bus.spi;
	cfg = rig_cfg(&r, false);
	bus.level = 0xff; /* floating high: CLKRDY seems set, EREVID 0xFF */
	CHECK_EQ(enc_chip_init(&r.chip, &cfg), -ENODEV);
	CHECK(strstr(r.chip.why, "no chip") != NULL);
	bus.level = 0x00; /* stuck low: CLKRDY never comes */
	CHECK_EQ(enc_chip_init(&r.chip, &cfg), -ETIMEDOUT);
	bus.spi.xfer = failing_xfer;
	CHECK_EQ(enc_chip_init(&r.chip, &cfg), -EIO);
	CHECK(r.chip.stats.spi_errors > 0);
}

/* ---- traffic ------------------------------------------------------------- */

/* Whether the last frame on the cable is f (padded to 60 by the chip). */
static bool sent_is(struct rig *r, unsigned before, const uint8_t *f, size_t len)
{
	unsigned i = before % CAP;

	return r->ntx == before + 1 && r->txlen[i] == (len < 60 ? 60 : len) &&
	       !memcmp(r->tx[i], f, len);
}

static void test_roundtrip(uint32_t errata)
{
	static const size_t sizes[] = {14, 60, 61, 254, 255, 511, 1000, 1513, 1514};
	struct rig *r = rig_new(errata, false);
	unsigned ok = 0, stored = 0, txok = 0;
	uint8_t f[1600];

	/* sizes around the edges: minimum, odd, 254 (byte count 0x0102, which
	 * a byte-borrow bug reads as 0xfe), maximum; 600 frames wrap the ring
	 * a hundred times */
	for (unsigned i = 0; i < 600; i++) {
		size_t len = sizes[i % 9];
		unsigned before = r->ntx;

		frame(f, i % 5 ? mac : bcast, len, i);
		stored += enc_sim_wire_rx(r->sim, f, len) == ENC_SIM_RX_STORED;
		ok += drain(r, f, len, NULL);
		txok += enc_chip_tx(&r->chip, f, len) == 0 && sent_is(r, before, f, len);
	}
	CHECK_EQ(stored, 600);
	CHECK_EQ(ok, 600);
	CHECK_EQ(txok, 600);
	CHECK_EQ(r->chip.stats.rx_frames, 600);
	CHECK_EQ(r->chip.stats.rx_rereads + r->chip.stats.rx_resets, 0);
	CHECK_EQ(enc_chip_tx(&r->chip, f, 1515), -EMSGSIZE);
	rig_free(r);
}

/* ---- faults, each recovered from ------------------------------------------ */

static void test_overflow(void)
{
	struct rig *r = rig_new(0, false);
	uint8_t f[1600];
	unsigned ev, stored = 0, got;

	/* a burst the 6.5 KB ring cannot hold, and nobody reading */
	for (unsigned i = 0; i < 20; i++)
		stored += enc_sim_wire_rx(r->sim, f, frame(f, mac, 1514, 3)) == ENC_SIM_RX_STORED;
	CHECK_EQ(stored, 4);
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK(ev & ENC_EV_RX);
	CHECK_EQ(r->chip.stats.rx_overflows, 1);
	got = drain(r, f, 1514, NULL);
	CHECK_EQ(got, 4);
	/* and the fault injected: the next frames find no room */
	CHECK_EQ(enc_sim_inject(r->sim, ENC_SIM_FAULT_RX_OVERFLOW, 3), 0);
	for (unsigned i = 0; i < 5; i++)
		enc_sim_wire_rx(r->sim, f, frame(f, mac, 300, 4));
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK_EQ(r->chip.stats.rx_overflows, 2);
	CHECK_EQ(drain(r, f, 300, NULL), 2);
	CHECK_EQ(enc_chip_irq_arm(&r->chip), 0);
	CHECK_EQ(r->chip.stats.rx_resets, 0); /* the ring stays good: no reset needed */
	rig_free(r);
}

static void test_tx_error(uint32_t errata)
{
	struct rig *r = rig_new(errata, false);
	uint8_t f[100];

	frame(f, peer, 100, 5);
	/* one late collision: sent again, once on the cable */
	CHECK_EQ(enc_sim_inject(r->sim, ENC_SIM_FAULT_TX_ERROR, 1), 0);
	CHECK_EQ(enc_chip_tx(&r->chip, f, 100), 0);
	CHECK_EQ(r->ntx, 1);
	CHECK_EQ(r->chip.stats.tx_retries, 1);
	/* seventeen: sixteen retries, then the driver gives up */
	enc_sim_inject(r->sim, ENC_SIM_FAULT_TX_ERROR, 17);
	CHECK_EQ(enc_chip_tx(&r->chip, f, 100), -EIO);
	CHECK_EQ(r->ntx, 1);
	CHECK_EQ(r->chip.stats.tx_retries, 1 + ENC_TX_RETRIES);
	CHECK(strstr(r->chip.why, "17 times") != NULL);
	CHECK_EQ(r->chip.stats.tx_errors, 1);
	/* and the next frame goes, erratum 12 or not */
	CHECK_EQ(enc_chip_tx(&r->chip, f, 100), 0);
	CHECK_EQ(r->ntx, 2);
	rig_free(r);
}

static void test_link_flap(void)
{
	struct rig *r = rig_new(0, false);
	unsigned ev;

	CHECK_EQ(enc_sim_inject(r->sim, ENC_SIM_FAULT_LINK_FLAP, 1000), 0);
	CHECK(enc_sim_int_asserted(r->sim)); /* LINKIF through PHIE */
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK(ev & ENC_EV_LINK);
	CHECK(!r->chip.link);
	CHECK_EQ(enc_chip_irq_arm(&r->chip), 0);
	CHECK(!enc_sim_int_asserted(r->sim)); /* PHIR was read */
	r->now += 1000000;
	enc_sim_poll(r->sim);
	CHECK(enc_sim_int_asserted(r->sim));
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK(ev & ENC_EV_LINK);
	CHECK(r->chip.link);
	CHECK_EQ(r->chip.stats.link_changes, 2);
	/* a cable pulled while nobody looks at INT: the periodic check sees it */
	enc_sim_set_link(r->sim, false);
	CHECK_EQ(enc_chip_check(&r->chip, &ev), 0);
	CHECK(ev & ENC_EV_LINK);
	CHECK(!r->chip.link);
	rig_free(r);
}

static void test_spi_bit_errors(void)
{
	struct rig *r = rig_new(0, false);
	uint8_t f[1600], got[1600];
	unsigned good = 0, wrong = 0, txok = 0;

	/* one MISO byte in 2000 has a bit flipped: about one per full frame */
	CHECK_EQ(enc_sim_inject(r->sim, ENC_SIM_FAULT_SPI_BITS, 500), 0);
	for (unsigned i = 0; i < 1000; i++) {
		size_t len = 60 + (i * 131) % 1455, n;
		unsigned before = r->ntx;
		int k;

		enc_sim_wire_rx(r->sim, f, frame(f, mac, len, i));
		k = enc_chip_pending(&r->chip);
		for (int j = 0; j < k; j++) {
			if (enc_chip_rx(&r->chip, got, sizeof(got), &n) < 0)
				continue;
			if (n == len && !memcmp(got, f, len))
				good++;
			else
				wrong++;
		}
		txok += enc_chip_tx(&r->chip, f, len) == 0 && sent_is(r, before, f, len);
	}
	/* nothing damaged gets through; almost everything does get through */
	CHECK_EQ(wrong, 0);
	CHECK(good >= 990);
	CHECK(txok >= 990);
	CHECK(r->chip.stats.rx_rereads > 0);
	enc_sim_inject(r->sim, ENC_SIM_FAULT_SPI_BITS, 0);
	printf("spi bit errors: %u/1000 received, %u sent, %llu re-reads, %llu ring resets\n",
	       good, txok, (unsigned long long)r->chip.stats.rx_rereads,
	       (unsigned long long)r->chip.stats.rx_resets);
	/* the ring is in step afterwards */
	enc_sim_wire_rx(r->sim, f, frame(f, mac, 200, 9));
	CHECK_EQ(drain(r, f, 200, NULL), 1);
	/* misread registers may make the driver PKTDEC at zero: the price of a
	 * noisy bus, not a mistake in the driver's logic */
	{
		struct enc_sim_stats st;

		enc_sim_get_stats(r->sim, &st);
		CHECK(st.driver_mistakes <= 2);
		enc_spi_close(r->spi);
		enc_sim_free(r->sim);
		free(r);
	}
}

static void test_bad_fcs(void)
{
	struct rig *r = rig_new(0, false);
	uint8_t f[200];

	CHECK_EQ(enc_sim_inject(r->sim, ENC_SIM_FAULT_RX_CRC, 2), 0);
	for (unsigned i = 0; i < 4; i++)
		enc_sim_wire_rx(r->sim, f, frame(f, mac, 200, 1));
	CHECK_EQ(drain(r, f, 200, NULL), 2); /* CRCEN: the chip kept the bad ones out */
	rig_free(r);
}

static void test_reset_behind_back(void)
{
	struct rig *r = rig_new(0, false);
	struct enc_chip_config cfg = r->chip.cfg;
	uint8_t f[200], src = ENC_OP_SRC;
	unsigned ev;

	enc_sim_wire_rx(r->sim, f, frame(f, mac, 200, 1));
	enc_sim_transfer(r->sim, &src, NULL, 1); /* a brown-out, say */
	r->now += 1000000;
	CHECK_EQ(enc_chip_check(&r->chip, &ev), -ESTALE);
	CHECK_EQ(enc_chip_init(&r->chip, &cfg), 0);
	CHECK_EQ(r->chip.stats.inits, 2);
	enc_sim_wire_rx(r->sim, f, frame(f, mac, 200, 2));
	CHECK_EQ(drain(r, f, 200, NULL), 1);
	CHECK_EQ(enc_chip_tx(&r->chip, f, 200), 0);
	rig_free(r);
}

/* Erratum 14 made to bite by writing an even ERXRDPT behind the driver's
 * back: the next header is garbage, the driver resets the ring and goes on. */
static void test_ring_corruption(void)
{
	struct rig *r = rig_new(ENC_SIM_ERRATUM_14, false);
	uint8_t f[200], got[1600];
	size_t n;
	uint8_t w[][2] = {
		{ENC_OP_BFC | 0x1f, 0x03},            /* bank 0 */
		{ENC_OP_WCR | 0x0c, 0x00},            /* ERXRDPTL */
		{ENC_OP_WCR | 0x0d, 0x10},            /* ERXRDPTH: 0x1000, even */
	};

	for (unsigned i = 0; i < 3; i++)
		enc_sim_transfer(r->sim, w[i], NULL, 2);
	r->chip.bank = -1;
	enc_sim_wire_rx(r->sim, f, frame(f, mac, 200, 1));
	CHECK_EQ(enc_chip_pending(&r->chip), 1);
	CHECK_EQ(enc_chip_rx(&r->chip, got, sizeof(got), &n), -EIO);
	CHECK_EQ(r->chip.stats.rx_bad_header, 1);
	CHECK_EQ(r->chip.stats.rx_resets, 1);
	CHECK(strstr(r->chip.why, "next pointer") != NULL);
	CHECK_EQ(enc_chip_pending(&r->chip), 0);
	for (unsigned i = 0; i < 50; i++) {
		enc_sim_wire_rx(r->sim, f, frame(f, mac, 100 + i, i));
		CHECK_EQ(drain(r, f, 100 + i, NULL), 1);
	}
	rig_free(r);
}

/* The service loop's INTIE dance gives a fresh edge per event (§12). */
static void test_int_edges(void)
{
	struct rig *r = rig_new(0, false);
	uint8_t f[100];
	unsigned ev;

	CHECK(!enc_sim_int_asserted(r->sim));
	enc_sim_wire_rx(r->sim, f, frame(f, mac, 100, 1));
	CHECK(enc_sim_int_asserted(r->sim));
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK(!enc_sim_int_asserted(r->sim)); /* INTIE off while we work */
	CHECK(ev & ENC_EV_RX);
	drain(r, f, 100, NULL);
	CHECK_EQ(enc_chip_irq_arm(&r->chip), 0);
	CHECK(!enc_sim_int_asserted(r->sim)); /* nothing left */
	/* a frame left behind pulls INT low again when re-armed */
	enc_sim_wire_rx(r->sim, f, frame(f, mac, 100, 2));
	CHECK_EQ(enc_chip_service(&r->chip, &ev), 0);
	CHECK_EQ(enc_chip_irq_arm(&r->chip), 0);
	CHECK(enc_sim_int_asserted(r->sim));
	rig_free(r);
}

/* ---- the whole NIC under a stack ----------------------------------------------- */

struct capture {
	pthread_mutex_t lock;
	unsigned n;
	size_t len[16];
	uint8_t f[16][1600];
};

static void cap_tx(void *arg, const uint8_t *f, size_t len)
{
	struct capture *c = arg;

	pthread_mutex_lock(&c->lock);
	if (c->n < 16) {
		memcpy(c->f[c->n], f, len);
		c->len[c->n] = len;
	}
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

/* The first captured frame with this EtherType and these bytes at off. */
static int cap_find(struct capture *c, uint16_t type, size_t off, const void *b, size_t n)
{
	int found = -1;

	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->n && i < 16 && found < 0; i++)
		if ((c->f[i][12] << 8 | c->f[i][13]) == type && c->len[i] >= off + n &&
		    !memcmp(c->f[i] + off, b, n))
			found = (int)i;
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* Run the worker (in this thread) until cond holds, for at most 2 s. */
#define RUN_UNTIL(st, cond)                                                                        \
	do {                                                                                       \
		for (unsigned i_ = 0; i_ < 400 && !(cond); i_++)                                   \
			vh_stack_poll((st), 5);                                                    \
	} while (0)

static void test_nic(void)
{
	struct tn_clock clk = {0};
	struct vh_stack *st = tn_stack_new(&clk, "enc");
	struct capture cap = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct vh_err err;
	struct vh_dev *dev = NULL;
	struct enc_sim *sim;
	uint8_t f[200], echo[64];
	uint32_t me = tn_addr("192.0.2.2"), him = tn_addr("192.0.2.1");

	/* keys that cannot work are refused with a reason */
	CHECK_EQ(vh_stack_add_nic(st, "spi0", NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "dev=") != NULL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,dev=unix:/x,sim=null:n0", NULL, &err), -EINVAL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,dev=unix:/x,speed=1000", NULL, &err), -EINVAL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,dev=/dev/spidev9.9,speed=30000000", NULL, &err),
		 -EINVAL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,sim=null:n0,duplex=quarter", NULL, &err), -EINVAL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,sim=null:n0,mtu=1600", NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "1500") != NULL);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,dev=/dev/spidev9.9", NULL, &err), -ENOENT);
	CHECK_EQ(vh_stack_add_nic(st, "spi0,dev=unix:/nonexistent/sock", NULL, &err), -ENOENT);

	CHECK_EQ(vh_stack_add_nic(st, "spi0,sim=null:n0,mac=02:00:00:00:00:02,addr=192.0.2.2/24",
				  &dev, &err),
		 0);
	if (!dev) {
		fprintf(stderr, "%s\n", err.msg);
		vh_stack_free(st);
		return;
	}
	sim = enc_nic_sim(dev);
	CHECK(sim != NULL);
	enc_sim_set_wire_tx(sim, cap_tx, &cap);
	CHECK(dev->flags & VH_DEV_F_LINK);

	/* an ARP request on the cable is answered on the cable */
	tn_arp_frame(f, bcast, 1, tn_peer_mac, him, (const uint8_t[6]){0}, me);
	CHECK_EQ(enc_sim_wire_rx(sim, f, 42), ENC_SIM_RX_STORED);
	/* (after the gratuitous ARP the stack sends on its own) */
	RUN_UNTIL(st, cap_find(&cap, 0x0806, 0, tn_peer_mac, 6) >= 0);
	CHECK(cap_find(&cap, 0x0806, 20, "\x00\x02", 2) >= 0); /* op: reply */
	/* and a ping */
	{
		size_t n = tn_echo(echo, 7, 1, "enc28j60", 8);
		size_t len = tn_ipv4_frame(f, dev->hwaddr, tn_peer_mac, him, me, 1, 1, 0, echo, n);

		CHECK_EQ(enc_sim_wire_rx(sim, f, len), ENC_SIM_RX_STORED);
		/* ICMP (protocol 1) echo reply (type 0) */
		RUN_UNTIL(st, cap_find(&cap, 0x0800, 23, "\x01", 1) >= 0);
		CHECK(cap_find(&cap, 0x0800, 34, "\x00", 1) >= 0);
		CHECK(cap_find(&cap, 0x0800, 42, "enc28j60", 8) >= 0);
	}
	/* the cable pulled and put back: the stack hears of both */
	enc_sim_set_link(sim, false);
	RUN_UNTIL(st, !(dev->flags & VH_DEV_F_LINK));
	CHECK(!(dev->flags & VH_DEV_F_LINK));
	enc_sim_set_link(sim, true);
	RUN_UNTIL(st, dev->flags & VH_DEV_F_LINK);
	CHECK(dev->flags & VH_DEV_F_LINK);
	RUN_UNTIL(st, tn_counter(st, "dev.spi0", "enc_link_changes") == 2);
	CHECK_EQ(tn_counter(st, "dev.spi0", "enc_link_changes"), 2);
	CHECK_EQ(tn_counter(st, "dev.spi0", "sim_driver_mistakes"), 0);
	CHECK_EQ(tn_counter(st, "dev.spi0", "enc_rx_frames"), 2);
	vh_stack_free(st);
}

static void test_wire_spec(void)
{
	char b[64];

	CHECK_EQ(enc_wire_spec("tap:tap7", b, sizeof(b)), 0);
	CHECK(!strcmp(b, "tap7,type=tap"));
	CHECK_EQ(enc_wire_spec("tap7,ifname=x", b, sizeof(b)), 0);
	CHECK(!strcmp(b, "tap7,ifname=x"));
	CHECK_EQ(enc_wire_spec("nosuchkind:x", b, sizeof(b)), 0);
	CHECK(!strcmp(b, "nosuchkind:x"));
	CHECK_EQ(enc_wire_spec("", b, sizeof(b)), -EINVAL);
	CHECK_EQ(enc_wire_spec("tap:averyveryverylongname", b, 10), -ENAMETOOLONG);
}

int main(void)
{
	test_init();
	test_no_chip();
	test_roundtrip(0);
	/* every erratum at once: the workarounds must cover them all */
	test_roundtrip(ENC_SIM_ERRATUM_2 | ENC_SIM_ERRATUM_5 | ENC_SIM_ERRATUM_6 |
		       ENC_SIM_ERRATUM_12 | ENC_SIM_ERRATUM_14);
	test_overflow();
	test_tx_error(0);
	test_tx_error(ENC_SIM_ERRATUM_12);
	test_link_flap();
	test_spi_bit_errors();
	test_bad_fcs();
	test_reset_behind_back();
	test_ring_corruption();
	test_int_edges();
	test_nic();
	test_wire_spec();
	return check_done();
}
