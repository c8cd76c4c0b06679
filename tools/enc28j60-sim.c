/* enc28j60-sim: a simulated ENC28J60 with its SPI bus on a UNIX socket and
 * its cable on a NIC (normally a TAP). See enc28j60-sim(1).
 *
 *   vhost --iface spi0,dev=unix:PATH  <--SPI-->  enc28j60-sim  <--cable-->  TAP
 *
 * One thread, one poll loop: the socket's listener and clients, the cable
 * NIC's fd, a signalfd (SIGINT/SIGTERM end it, SIGUSR1 prints the counters)
 * and the chip's timed events. Exit status 0 after a signal, 2 when the
 * command line or the set-up is wrong. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define TOOL_NAME "enc28j60-sim"
#include "tool.h"
#include "dev.h"
#include "ifaces/enc28j60/cable.h"
#include "ifaces/enc28j60/sim.h"
#include "ifaces/enc28j60/sim_server.h"
#include "log.h"
#include "spec.h"
#include "stack.h"
#include "timer.h"

struct options {
	const char *spi;  /* unix:PATH */
	const char *wire; /* a NIC spec, or KIND:NAME */
	struct enc_sim_config cfg;
	uint32_t spi_ppm;
	enum vh_log_level level;
};

struct sim_tool {
	struct vh_stack *st; /* hosts the cable NIC: buffers and log */
	struct enc_cable wire;
	struct enc_sim *sim;
	struct enc_sim_server *srv;
	int sfd;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: enc28j60-sim --spi unix:PATH --wire NIC [options]\n"
		"\n"
		"A register-level ENC28J60 simulator: the SPI bus on a UNIX socket\n"
		"(request: 2-byte big-endian N, N MOSI bytes; reply: N MISO bytes, one\n"
		"chip-select window each), the cable on a vhost NIC such as tap:tap7.\n"
		"\n"
		"  --spi unix:PATH       where to listen for the SPI bus\n"
		"  --wire NIC            the cable: KIND:NAME (tap:tap7) or a vhost NIC spec\n"
		"  --errata LIST         silicon errata to show, e.g. 2,5,6,12,14 (default none)\n"
		"  --spi-errors PPM      flip a bit in this many MISO bytes per million\n"
		"  --link-down           start with the cable unplugged\n"
		"  --full-duplex-strap   PHCON1.PDPXMD set at reset\n"
		"  --revid N             EREVID (default 6, rev B7)\n"
		"  -v, --verbose         more log; -q, --quiet: errors only\n"
		"  -h, --help            this text\n"
		"\nSIGUSR1 prints the chip's counters; SIGINT or SIGTERM ends it and prints them.\n"
		"See enc28j60-sim(1).\n");
}

static int parse_errata(const char *s, uint32_t *ret)
{
	static const unsigned known[] = {2, 5, 6, 12, 14};
	uint32_t m = 0;
	char *end;

	while (*s) {
		unsigned long n = strtoul(s, &end, 10);
		bool ok = false;

		if (end == s)
			return -EINVAL;
		for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= n == known[i];
		if (!ok) /* only the errata the model knows */
			return -EINVAL;
		m |= 1u << n;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -EINVAL;
	}
	*ret = m;
	return 0;
}

enum { OPT_SPI = 256, OPT_WIRE, OPT_ERRATA, OPT_SPI_ERRORS, OPT_LINK_DOWN, OPT_STRAP, OPT_REVID };

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"spi", required_argument, NULL, OPT_SPI},
		{"wire", required_argument, NULL, OPT_WIRE},
		{"errata", required_argument, NULL, OPT_ERRATA},
		{"spi-errors", required_argument, NULL, OPT_SPI_ERRORS},
		{"link-down", no_argument, NULL, OPT_LINK_DOWN},
		{"full-duplex-strap", no_argument, NULL, OPT_STRAP},
		{"revid", required_argument, NULL, OPT_REVID},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	uint64_t v;
	int c;

	o->level = VH_LOG_INFO;
	while ((c = getopt_long(argc, argv, ":vqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SPI:
			o->spi = optarg;
			break;
		case OPT_WIRE:
			o->wire = optarg;
			break;
		case OPT_ERRATA:
			if (parse_errata(optarg, &o->cfg.errata) < 0)
				return fail("--errata %s: a list of 2, 5, 6, 12, 14", optarg);
			break;
		case OPT_SPI_ERRORS:
			if (vh_parse_u64(optarg, 0, 1000000, &v) < 0)
				return fail("--spi-errors %s: parts per million, 0 to 1000000",
					    optarg);
			o->spi_ppm = (uint32_t)v;
			break;
		case OPT_LINK_DOWN:
			o->cfg.link_down = true;
			break;
		case OPT_STRAP:
			o->cfg.full_duplex_strap = true;
			break;
		case OPT_REVID:
			if (vh_parse_u64(optarg, 1, 255, &v) < 0)
				return fail("--revid %s: 1-255", optarg);
			o->cfg.revid = (uint8_t)v;
			break;
		case 'v':
			if (o->level < VH_LOG_TRACE)
				o->level++;
			break;
		case 'q':
			o->level = VH_LOG_ERROR;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return fail("%s needs a value (see --help)", argv[optind - 1]);
		default:
			return fail("unknown option %s (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->spi || strncmp(o->spi, "unix:", 5) || !o->spi[5])
		return fail("--spi unix:PATH is required");
	if (!o->wire)
		return fail("--wire NIC is required, e.g. --wire tap:tap7");
	return 0;
}

static void print_stats(struct sim_tool *t)
{
	struct enc_sim_stats s;

	enc_sim_get_stats(t->sim, &s);
	fprintf(stderr,
		"enc28j60-sim: spi %llu transfers %llu bytes %llu bit flips; rx %llu frames "
		"%llu bytes, lost: %llu no link %llu disabled %llu filtered %llu too long "
		"%llu overflow %llu bad fcs; tx %llu frames %llu bytes %llu aborted %llu "
		"looped, %llu not sent on the cable; %llu resets, %llu link changes, %llu INT "
		"edges, %llu errata events; driver mistakes %llu%s%s\n",
		(unsigned long long)s.spi_transfers, (unsigned long long)s.spi_bytes,
		(unsigned long long)s.spi_bit_flips, (unsigned long long)s.rx_frames,
		(unsigned long long)s.rx_bytes, (unsigned long long)s.rx_no_link,
		(unsigned long long)s.rx_disabled, (unsigned long long)s.rx_filtered,
		(unsigned long long)s.rx_too_long, (unsigned long long)s.rx_overflow,
		(unsigned long long)s.rx_crc_errors, (unsigned long long)s.tx_frames,
		(unsigned long long)s.tx_bytes, (unsigned long long)s.tx_aborted,
		(unsigned long long)s.tx_loopback, (unsigned long long)t->wire.tx_fail,
		(unsigned long long)s.soft_resets, (unsigned long long)s.link_changes,
		(unsigned long long)s.int_edges, (unsigned long long)s.errata_events,
		(unsigned long long)s.driver_mistakes, s.last_mistake ? ", last: " : "",
		s.last_mistake ? s.last_mistake : "");
}

static int setup(struct sim_tool *t, const struct options *o)
{
	struct vh_stack_config sc;
	struct vh_err err = {{0}};
	sigset_t mask;
	int r;

	/* A stack only to host the cable NIC: its buffer pool and its log.
	 * No worker runs and nothing is registered with it. */
	vh_stack_config_init(&sc);
	sc.name = "enc28j60-sim";
	sc.pkt_count = 256;
	sc.big_pkt_count = 2;
	sc.log_level = o->level;
	if ((r = vh_stack_new(&sc, &t->st)) < 0)
		return fail("cannot make a stack for the cable: %s", strerror(-r));
	if ((r = enc_sim_new(&o->cfg, &t->sim)) < 0)
		return fail("cannot make the chip: %s", strerror(-r));
	if ((r = enc_cable_new(t->st, o->wire, &t->wire, &err)) < 0 ||
	    (r = enc_cable_plug(&t->wire, t->sim, &err)) < 0)
		return fail("--wire %s: %s", o->wire, err.msg[0] ? err.msg : strerror(-r));
	if (o->spi_ppm) /* a noisy bus from the start, for driver robustness tests */
		enc_sim_inject(t->sim, ENC_SIM_FAULT_SPI_BITS, o->spi_ppm);
	if ((r = enc_sim_server_new(t->sim, o->spi + 5, &t->srv)) < 0)
		return fail("--spi %s: %s", o->spi, strerror(-r));

	/* signals arrive as reads, so the loop needs no global flag */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	t->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (t->sfd < 0)
		return fail("signalfd: %s", strerror(errno));
	infof(t->st, "listening on %s, cable %s (%s), errata 0x%x", o->spi + 5, o->wire,
	      t->wire.nic->ops->kind, o->cfg.errata);
	return 0;
}

static int run(struct sim_tool *t)
{
	struct vh_dev *wire = t->wire.nic;

	for (;;) {
		struct pollfd pfd[ENC_SIM_SERVER_POLLFDS + 2];
		size_t n = enc_sim_server_pollfds(t->srv, pfd, ENC_SIM_SERVER_POLLFDS), ns = n;
		uint64_t next = enc_sim_poll(t->sim), now = vh_now(NULL);
		int timeout = -1;
		struct signalfd_siginfo si;

		if (next != UINT64_MAX) /* a timed event of the chip (MII, link flap) */
			timeout = next > now ? (int)((next - now) / 1000000 + 1) : 0;
		pfd[n++] = (struct pollfd){.fd = t->sfd, .events = POLLIN};
		/* the cable: a TAP has an fd; a NIC without one is polled on a timer */
		if (wire->fd >= 0)
			pfd[n++] = (struct pollfd){.fd = wire->fd, .events = POLLIN};
		if (wire->poll_ns && (timeout < 0 || (uint64_t)timeout * 1000000 > wire->poll_ns))
			timeout = (int)(wire->poll_ns / 1000000 + 1);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			return fail("poll: %s", strerror(errno));
		/* SPI first: a driver waiting on the bus is what keeps frames moving */
		enc_sim_server_handle(t->srv, pfd, ns);
		if ((n > ns + 1 && pfd[ns + 1].revents) || wire->poll_ns)
			wire->ops->poll(wire, 64);
		while (read(t->sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGUSR1) {
				print_stats(t);
				continue;
			}
			infof(t->st, "signal %u: stopping", si.ssi_signo);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct sim_tool t = {.sfd = -1};
	int r;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;
	r = setup(&t, &o);
	if (!r)
		r = run(&t);
	if (t.sim)
		print_stats(&t);
	enc_sim_server_free(t.srv);
	enc_cable_free(&t.wire);
	enc_sim_free(t.sim);
	if (t.sfd >= 0)
		close(t.sfd);
	if (t.st)
		vh_stack_free(t.st);
	return r;
}
