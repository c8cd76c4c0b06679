/* vhost: the command. Builds one stack from the command line, starts it, and
 * runs until SIGINT or SIGTERM, then closes every NIC.
 *
 * Anything wrong on the command line, or a NIC that cannot be opened, is one
 * line on stderr naming the cause, exit status 2, and nothing left running. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOOL_NAME "vhost"
#include "tool.h"
#include "capture_dev.h"
#include "control.h"
#include "dev.h"
#include "ifaces/registry.h"
#include "services.h"
#include "spec.h"
#include "stack.h"
#include "vh.h"

#define MAX_LIST 64

struct options {
	const char *ifaces[MAX_LIST];
	unsigned nifaces;
	const char *routes[MAX_LIST];
	unsigned nroutes;
	const char *gateway;
	const char *services[MAX_LIST];
	unsigned nservices;
	const char *control; /* NULL: the default path; "none": no control socket */
	bool forward;
	struct vh_capture_opts capture;
	const char *capture_ifaces[MAX_LIST];
	int verbosity;
	int log_level; /* -1: from -v/-q */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vhost --iface NAME[,key=value...] [--iface ...] [options]\n"
		"\n"
		"A user-space virtual host: its own TCP/IP stack on the NICs you give it.\n"
		"\n"
		"NICs:\n"
		"  --iface SPEC        add a NIC; repeatable. SPEC is NAME[,key=value...]\n"
		"      addr=A.B.C.D/N  an IPv4 address and prefix (repeatable)\n"
		"      mac=MAC         our MAC on this NIC (default: random, locally administered)\n"
		"      mtu=N           IP MTU (default: the NIC's own)\n"
		"      type=KIND       the driver, when the name does not tell it\n"
		"      loss=P%% dup=P%% reorder=P%% corrupt=P%% delay=MS rate=MBIT\n"
		"                      impair the link in both directions\n"
		"    kinds (by name prefix or type=):\n");
	for (const struct vh_driver *const *d = vh_drivers(); *d; d++)
		fprintf(f, "      %-6s %s\n", (*d)->kind, (*d)->about);
	fprintf(f,
		"\nRouting:\n"
		"  --forward           forward IPv4 between NICs (off by default)\n"
		"  --route P/N,via=A[,dev=NAME][,metric=M]\n"
		"                      a static route; repeatable\n"
		"  --gateway A         the default route's next hop\n"
		"\nServices (on every address of this host):\n"
		"  --service NAME[:PORT][,root=DIR]\n"
		"                      echo (7), discard (9), chargen (19) or http (80, needs\n"
		"                      root=DIR: static files); repeatable\n"
		"\nCapture (pcapng, for Wireshark):\n"
		"  --capture PATH|-    write what crosses the NICs to PATH (a file or FIFO)\n"
		"                      or to standard output: vhost ... --capture - | wireshark -k -i -\n"
		"  --capture-size MB   start a new file every MB million bytes (PATH, PATH.1...)\n"
		"  --capture-filter EXPR\n"
		"                      only frames that match EXPR (libpcap syntax, as tcpdump)\n"
		"  --capture-iface NAME\n"
		"                      only this NIC; repeatable (default: every NIC)\n"
		"\nControl:\n"
		"  --control PATH      the control socket for vhctl; 'none': no socket\n"
		"                      (default /run/vhost/vhost.sock for root,\n"
		"                      else $XDG_RUNTIME_DIR/vhost.sock)\n"
		"\nOther:\n"
		"  -v, --verbose       more log (repeat for debug, trace with packet dumps)\n"
		"  -q, --quiet         errors only\n"
		"  --log-level L       error, warn, info (default), debug or trace\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\nExample:\n"
		"  vhost --iface tap0,addr=192.0.2.2/24\n"
		"\nSee vhost(8).\n");
}

/* While the stack is being built, log lines wait here: if the setup fails, the
 * user sees only the one line naming the cause; if it succeeds, they are
 * printed as if nothing had waited. */
#define SETUP_LOG_LINES 256
struct setup_log {
	char *lines[SETUP_LOG_LINES];
	unsigned n, lost;
};

static void setup_sink(void *arg, enum vh_log_level level, const char *line)
{
	struct setup_log *l = arg;

	(void)level;
	if (l->n < SETUP_LOG_LINES && (l->lines[l->n] = strdup(line)))
		l->n++;
	else
		l->lost++;
}

static void setup_log_end(struct setup_log *l, bool print)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (print)
			fprintf(stderr, "%s\n", l->lines[i]);
		free(l->lines[i]);
	}
	if (print && l->lost)
		fprintf(stderr, "(%u setup log lines not shown)\n", l->lost);
	l->n = l->lost = 0;
}

enum {
	OPT_LOG_LEVEL = 256,
	OPT_FORWARD,
	OPT_ROUTE,
	OPT_GATEWAY,
	OPT_CONTROL,
	OPT_CAPTURE,
	OPT_CAPTURE_SIZE,
	OPT_CAPTURE_FILTER,
	OPT_CAPTURE_IFACE,
	OPT_SERVICE,
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"forward", no_argument, NULL, OPT_FORWARD},
		{"route", required_argument, NULL, OPT_ROUTE},
		{"gateway", required_argument, NULL, OPT_GATEWAY},
		{"service", required_argument, NULL, OPT_SERVICE},
		{"capture", required_argument, NULL, OPT_CAPTURE},
		{"capture-size", required_argument, NULL, OPT_CAPTURE_SIZE},
		{"capture-filter", required_argument, NULL, OPT_CAPTURE_FILTER},
		{"capture-iface", required_argument, NULL, OPT_CAPTURE_IFACE},
		{"control", required_argument, NULL, OPT_CONTROL},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int c;
	bool ok;
	uint64_t mb;

	memset(o, 0, sizeof(*o));
	o->log_level = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->nifaces == MAX_LIST)
				return fail("too many --iface options (at most %d)", MAX_LIST);
			o->ifaces[o->nifaces++] = optarg;
			break;
		case OPT_FORWARD:
			o->forward = true;
			break;
		case OPT_ROUTE:
			if (o->nroutes == MAX_LIST)
				return fail("too many --route options (at most %d)", MAX_LIST);
			o->routes[o->nroutes++] = optarg;
			break;
		case OPT_GATEWAY:
			o->gateway = optarg;
			break;
		case OPT_SERVICE:
			if (o->nservices == MAX_LIST)
				return fail("too many --service options (at most %d)", MAX_LIST);
			o->services[o->nservices++] = optarg;
			break;
		case OPT_CAPTURE:
			o->capture.path = optarg;
			break;
		case OPT_CAPTURE_SIZE:
			/* Millions of bytes, as tcpdump -C. */
			if (vh_parse_u64(optarg, 1, 1000000, &mb) < 0)
				return fail("--capture-size %s: give a size in MB, 1 to 1000000",
					    optarg);
			o->capture.rotate_bytes = mb * 1000000u;
			break;
		case OPT_CAPTURE_FILTER:
			o->capture.filter = optarg;
			break;
		case OPT_CAPTURE_IFACE:
			if (o->capture.nifaces == MAX_LIST)
				return fail("too many --capture-iface options (at most %d)", MAX_LIST);
			o->capture_ifaces[o->capture.nifaces++] = optarg;
			break;
		case OPT_CONTROL:
			if (!optarg[0])
				return fail("--control needs a path, or 'none'");
			o->control = optarg;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = (int)vh_log_level_parse(optarg, &ok);
			if (!ok)
				return fail("--log-level %s: use error, warn, info, debug or trace", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("vhost %s\n", vh_version());
			exit(0);
		case ':':
			return fail("option '%s' needs a value", argv[optind - 1]);
		default:
			return fail("unknown option '%s' (see vhost --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s' (see vhost --help)", argv[optind]);
	if (!o->nifaces)
		return fail("no NIC given: add --iface NAME,addr=A.B.C.D/N (see vhost --help)");
	if (!o->capture.path && (o->capture.rotate_bytes || o->capture.filter ||
				 o->capture.nifaces))
		return fail("--capture-size, --capture-filter and --capture-iface need --capture PATH");
	o->capture.ifaces = o->capture_ifaces;
	return 0;
}

/* --route P/N,via=A[,dev=NAME][,metric=M] */
static int add_route(struct vh_stack *st, const char *text, struct vh_err *err)
{
	struct vh_spec s;
	const char *via, *devname, *metric;
	uint32_t prefix, gw = 0;
	unsigned plen;
	uint64_t m = 0;
	struct vh_dev *dev = NULL;
	int r;

	r = vh_spec_parse(text, &s, err);
	if (r < 0)
		return r;
	if (!strcmp(s.name, "default"))
		prefix = 0, plen = 0;
	else if (vh_parse_cidr(s.name, &prefix, &plen) < 0)
		return vh_err_set(err, EINVAL, "--route %s: '%s' is not PREFIX/LEN or 'default'", text,
				  s.name);
	via = vh_spec_get(&s, "via");
	devname = vh_spec_get(&s, "dev");
	metric = vh_spec_get(&s, "metric");
	if (via && vh_parse_addr(via, &gw) < 0)
		return vh_err_set(err, EINVAL, "--route %s: via=%s is not an IPv4 address", text, via);
	if (devname && !(dev = vh_dev_by_name(st, devname)))
		return vh_err_set(err, ENODEV, "--route %s: no NIC named '%s'", text, devname);
	if (metric && vh_parse_u64(metric, 0, UINT32_MAX, &m) < 0)
		return vh_err_set(err, EINVAL, "--route %s: metric=%s is not a number", text, metric);
	if (!via && !dev)
		return vh_err_set(err, EINVAL, "--route %s: needs via=GATEWAY or dev=NIC", text);
	r = vh_spec_check_unused(&s, err);
	if (r < 0)
		return r;
	r = rt_add(st, prefix, plen, gw, dev, (uint32_t)m, RT_F_STATIC, err);
	if (r < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return vh_err_set(err, r, "--route %s: %s", text, msg);
	}
	return 0;
}

/* An explicit --control PATH that cannot be served is fatal. The default path
 * is best effort: a second vhost (a test beside a running one) still runs,
 * and says why it has no control socket. */
static int start_control(struct vh_stack *st, const char *path, struct ctl_server **ret,
			 struct vh_err *err)
{
	char def[108];
	int r;

	if (path && !strcmp(path, "none"))
		return 0;
	if (path)
		return ctl_start(st, path, ret, err);
	if (ctl_default_path(def, sizeof(def)) < 0) {
		fprintf(stderr, "vhost: no control socket: $XDG_RUNTIME_DIR is not set; "
				"use --control PATH\n");
		return 0;
	}
	if (geteuid() == 0 && mkdir("/run/vhost", 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vhost: no control socket: cannot create /run/vhost: %s\n",
			strerror(errno));
		return 0;
	}
	r = ctl_start(st, def, ret, err);
	if (r < 0) {
		fprintf(stderr, "vhost: no control socket: %s (use --control PATH)\n", err->msg);
		err->msg[0] = 0;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct vh_stack_config cfg;
	struct vh_stack *st;
	struct ctl_server *ctl = NULL;
	struct services *svs = NULL;
	struct vh_err err = {{0}};
	struct setup_log setup = {0};
	sigset_t sigs;
	int r, sig;

	r = parse_args(argc, argv, &o);
	if (r)
		return r;

	/* Signals are taken synchronously by this thread; the worker never sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	vh_stack_config_init(&cfg);
	if (o.log_level >= 0)
		cfg.log_level = (enum vh_log_level)o.log_level;
	else if (o.verbosity < 0)
		cfg.log_level = VH_LOG_ERROR;
	else
		cfg.log_level = o.verbosity >= 2 ? VH_LOG_TRACE
						 : (o.verbosity == 1 ? VH_LOG_DEBUG : VH_LOG_INFO);
	cfg.log_sink = setup_sink;
	cfg.log_arg = &setup;
	for (unsigned i = 0; i < o.nservices; i++) {
		r = services_add(&svs, o.services[i], &err);
		if (r < 0) {
			services_free(svs);
			return fail("%s", err.msg[0] ? err.msg : strerror(-r));
		}
	}
	r = vh_stack_new(&cfg, &st);
	if (r < 0)
		return fail("cannot create the stack: %s", strerror(-r));

	for (unsigned i = 0; i < o.nifaces; i++) {
		r = vh_stack_add_nic(st, o.ifaces[i], NULL, &err);
		if (r < 0)
			goto fail_stack;
	}
	for (unsigned i = 0; i < o.nroutes; i++) {
		r = add_route(st, o.routes[i], &err);
		if (r < 0)
			goto fail_stack;
	}
	if (o.gateway) {
		uint32_t gw;
		if (vh_parse_addr(o.gateway, &gw) < 0) {
			vh_err_set(&err, EINVAL, "--gateway %s is not an IPv4 address", o.gateway);
			r = -EINVAL;
			goto fail_stack;
		}
		r = rt_add(st, 0, 0, gw, NULL, 0, RT_F_STATIC, &err);
		if (r < 0)
			goto fail_stack;
	}
	if (o.forward)
		vh_stack_set_forwarding(st, true);
	/* Before the worker starts, so the capture sees its first frame. */
	if (o.capture.path) {
		r = vh_capture_start(st, &o.capture, &err);
		if (r < 0)
			goto fail_stack;
	}

	setup_log_end(&setup, true);
	vh_stack_set_log_sink(st, NULL, NULL);
	r = vh_stack_start(st);
	if (r < 0) {
		vh_err_set(&err, r, "cannot start the worker: %s", strerror(-r));
		goto fail_stack;
	}
	r = start_control(st, o.control, &ctl, &err);
	if (r < 0)
		goto fail_stack;
	r = services_start(svs, st, &err);
	if (r < 0)
		goto fail_stack;
	do {
		sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			break;
	} while (sig == SIGHUP); /* reserved for reopening logs; keep running */
	/* The control thread calls into the worker: it goes first. */
	ctl_stop(ctl);
	/* Services call into the worker too: they stop before it does. */
	services_free(svs);
	vh_stack_stop(st);
	/* After the worker: the last ISBs get the NICs' final counts. */
	vh_capture_stop(st);
	vh_stack_free(st);
	return 0;

fail_stack:
	ctl_stop(ctl);
	services_free(svs);
	vh_stack_free(st);
	setup_log_end(&setup, false);
	return fail("%s", err.msg[0] ? err.msg : strerror(-r));
}
