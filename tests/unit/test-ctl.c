/* test-ctl.c: the control request parser, each command against a stack
 * without a worker thread, the framing of replies, and the socket's life:
 * mode 0600, refusing a live socket, replacing a stale one, unlinking. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "control.h"
#include "routing/route.h"
#include "spec.h"
#include "stack.h"

static int parse(const char *s, struct ctl_req *q, struct vh_err *err)
{
	return ctl_parse(s, strlen(s), q, err);
}

static void test_parse_ok(void)
{
	struct vh_err err;
	struct ctl_req q;
	uint32_t a;

	CHECK_EQ(parse("route", &q, &err), 0);
	CHECK(!q.json);
	CHECK_EQ(parse("-j route show", &q, &err), 0);
	CHECK(q.json);
	CHECK_EQ(parse("route add 198.51.100.0/24 via 192.0.2.1 dev tap0 metric 7", &q, &err), 0);
	vh_parse_addr("198.51.100.0", &a);
	CHECK_EQ(q.prefix, a);
	CHECK_EQ(q.plen, 24);
	vh_parse_addr("192.0.2.1", &a);
	CHECK_EQ(q.gateway, a);
	CHECK(!strcmp(q.dev, "tap0"));
	CHECK_EQ(q.metric, 7);
	/* Keywords in any order, blanks of either kind. */
	CHECK_EQ(parse("route\tadd 198.51.100.0/24  metric 7 dev tap0", &q, &err), 0);
	CHECK_EQ(parse("route add default via 192.0.2.1", &q, &err), 0);
	CHECK_EQ(q.plen, 0);
	CHECK_EQ(q.prefix, 0);
	CHECK_EQ(parse("route del default", &q, &err), 0);
	CHECK_EQ(parse("addr add 192.0.2.7/24 dev null0", &q, &err), 0);
	CHECK_EQ(parse("neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev tap0", &q, &err), 0);
	CHECK_EQ(q.mac[5], 9);
	CHECK_EQ(parse("neigh del 192.0.2.9", &q, &err), 0);
	CHECK_EQ(parse("addr dev tap0", &q, &err), 0);
	CHECK(!strcmp(q.dev, "tap0"));
	CHECK_EQ(parse("link dev tap0", &q, &err), 0);
	CHECK(!strcmp(q.dev, "tap0"));
	CHECK_EQ(parse("link tap0", &q, &err), 0);
	CHECK(!strcmp(q.dev, "tap0"));
	CHECK_EQ(parse("stats ip", &q, &err), 0);
	CHECK(!strcmp(q.scope, "ip"));
	CHECK_EQ(parse("stats show dev.tap0", &q, &err), 0);
	CHECK_EQ(parse("forward on", &q, &err), 0);
	CHECK_EQ(parse("log level debug", &q, &err), 0);
	CHECK_EQ(q.level, VH_LOG_DEBUG);
	CHECK_EQ(parse("help", &q, &err), 0);
	/* capture: a filter is the rest of the line, whatever the blanks. */
	CHECK_EQ(parse("capture start /tmp/x.pcapng size 5 filter icmp  or\tarp", &q, &err), 0);
	CHECK(!strcmp(q.path, "/tmp/x.pcapng"));
	CHECK_EQ(q.size_mb, 5);
	CHECK(!strcmp(q.filter, "icmp  or arp"));
	CHECK_EQ(parse("capture start - dev tap0", &q, &err), 0);
	CHECK(!strcmp(q.path, "-") && !strcmp(q.dev, "tap0"));
	CHECK_EQ(parse("capture", &q, &err), 0);
	CHECK_EQ(parse("capture stop", &q, &err), 0);
}

/* Each refusal is -errno with one line naming the cause; *ret stays as it was. */
static void expect_err(const char *s, int code, const char *needle)
{
	struct vh_err err = {{0}};
	struct ctl_req q, before;
	int r;

	memset(&q, 0x5a, sizeof(q));
	before = q;
	r = parse(s, &q, &err);
	CHECK_EQ(r, -code);
	CHECK(strstr(err.msg, needle) != NULL);
	CHECK(!strchr(err.msg, '\n'));
	CHECK_MEM(&q, &before, sizeof(q));
	if (r != -code || !strstr(err.msg, needle))
		fprintf(stderr, "  request '%.60s': %d '%s'\n", s, r, err.msg);
}

static void test_parse_errors(void)
{
	expect_err("", EINVAL, "empty request");
	expect_err("   ", EINVAL, "empty request");
	expect_err("-j", EINVAL, "empty request");
	expect_err("-x route", EINVAL, "unknown request flag");
	expect_err("frobnicate", EINVAL, "unknown command 'frobnicate'");
	expect_err("route bogus", EINVAL, "unknown action 'bogus'");
	expect_err("addr bogus", EINVAL, "unknown action 'bogus' (use show, add, del)");
	expect_err("route add", EINVAL, "missing PREFIX/N");
	expect_err("route add 198.51.100.0/24", EINVAL, "needs via GATEWAY or dev NAME");
	expect_err("route add 198.51.100.1/24 via 192.0.2.1", EINVAL, "host bits");
	expect_err("route add 198.51.100.0/33 via 192.0.2.1", EINVAL, "not PREFIX/LEN");
	expect_err("route add 198.51.100.0/24 via 192.0.2.300", EINVAL, "not an IPv4 address");
	expect_err("route add 198.51.100.0/24 via", EINVAL, "'via' needs a value");
	expect_err("route add 198.51.100.0/24 via 192.0.2.1 via 192.0.2.2", EINVAL, "given twice");
	expect_err("route add 198.51.100.0/24 via 192.0.2.1 metric -1", EINVAL, "metric");
	expect_err("route add 198.51.100.0/24 via 192.0.2.1 metric 4294967296", EINVAL, "metric");
	expect_err("route add 198.51.100.0/24 via 192.0.2.1 color red", EINVAL, "unexpected 'color'");
	expect_err("route show extra", EINVAL, "unexpected 'extra'");
	expect_err("link tap0 dev tap1", EINVAL, "'dev' given twice");
	expect_err("addr add 192.0.2.7/24", EINVAL, "missing dev");
	expect_err("addr add 192.0.2.7 dev x", EINVAL, "not ADDRESS/LEN");
	expect_err("addr add 192.0.2.7/24 dev aaaaaaaaaaaaaaaaaaaaaaaa", EINVAL, "longer than 15");
	expect_err("neigh add 192.0.2.9 dev tap0", EINVAL, "missing lladdr");
	expect_err("neigh add 192.0.2.9 lladdr ff:ff:ff:ff:ff:ff dev tap0", EINVAL, "unicast MAC");
	expect_err("neigh add 192.0.2.9 lladdr zz dev tap0", EINVAL, "unicast MAC");
	expect_err("log level loud", EINVAL, "log level 'loud'");
	expect_err("capture start", EINVAL, "missing PATH");
	expect_err("capture start /tmp/x size 0", EINVAL, "size '0' is not 1-1000000");
	expect_err("capture start /tmp/x filter", EINVAL, "'filter' needs a value");
	expect_err("capture stop now", EINVAL, "unexpected 'now'");
	expect_err("stats aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", EINVAL, "too long");
	expect_err("a b c d e f g h i j k l m n o p q", E2BIG, "more than 16 words");

	/* Bytes: NUL, control, DEL, high bit are refused with their offset. */
	struct vh_err err;
	struct ctl_req q;
	CHECK_EQ(ctl_parse("route\0show", 10, &q, &err), -EINVAL);
	CHECK(strstr(err.msg, "0x00 at offset 5") != NULL);
	CHECK_EQ(ctl_parse("route\x7f", 6, &q, &err), -EINVAL);
	CHECK_EQ(ctl_parse("route \xc3\xa9", 8, &q, &err), -EINVAL);
	CHECK_EQ(ctl_parse("route\n", 6, &q, &err), -EINVAL);

	/* The length bound, exactly: CTL_REQ_MAX is fine, one more is not. */
	char *big = malloc(CTL_REQ_MAX + 2);
	memset(big, ' ', CTL_REQ_MAX + 1);
	memcpy(big, "route", 5);
	CHECK_EQ(ctl_parse(big, CTL_REQ_MAX, &q, &err), 0);
	CHECK_EQ(ctl_parse(big, CTL_REQ_MAX + 1, &q, &err), -E2BIG);
	CHECK(strstr(err.msg, "longer than 4096") != NULL);
	free(big);
}

/* A device that speaks ARP and sends nowhere, so neighbours can be added. */
static int fake_xmit(struct vh_dev *dev, struct vh_pkt *pkt)
{
	(void)dev;
	vh_pkt_free(pkt);
	return 0;
}

static int fake_poll(struct vh_dev *dev, unsigned budget)
{
	(void)dev;
	(void)budget;
	return 0;
}

static const struct vh_dev_ops fake_ops = {
	.kind = "fake",
	.transmit = fake_xmit,
	.poll = fake_poll,
};

static struct vh_stack *new_stack(void)
{
	struct vh_stack_config cfg;
	struct vh_stack *st = NULL;
	struct vh_err err = {{0}};
	struct vh_dev *dev;

	vh_stack_config_init(&cfg);
	cfg.log_level = VH_LOG_ERROR;
	cfg.pkt_count = 64;
	cfg.big_pkt_count = 2;
	CHECK_EQ(vh_stack_new(&cfg, &st), 0);
	CHECK_EQ(vh_stack_add_nic(st, "null0,addr=192.0.2.2/24", NULL, &err), 0);
	dev = vh_dev_alloc(st, &fake_ops, "eth0", 0);
	CHECK_EQ(vh_dev_register(st, dev, &err), 0);
	vh_dev_set_link(dev, true);
	CHECK_EQ(vh_iface_add(st, dev, htonl(0xc6336402) /* 198.51.100.2 */, 24, NULL), 0);
	return st;
}

/* Run a request line through ctl_handle; returns the payload after checking the frame. */
static char *run(struct vh_stack *st, const char *line, bool want_ok)
{
	struct ctl_buf out = {0};
	unsigned long n = 0;
	char *nl, *body;

	ctl_handle(st, line, strlen(line), &out);
	CHECK(out.p != NULL);
	if (!out.p)
		return strdup("");
	nl = strchr(out.p, '\n');
	CHECK(nl != NULL);
	CHECK_EQ(!strncmp(out.p, "ok ", 3), want_ok);
	if (want_ok != !strncmp(out.p, "ok ", 3))
		fprintf(stderr, "  '%s' -> %s", line, out.p);
	CHECK_EQ(sscanf(out.p + (want_ok ? 3 : 6), "%lu", &n), 1);
	CHECK_EQ(n, out.len - (size_t)(nl + 1 - out.p));
	body = strdup(nl + 1);
	ctl_buf_free(&out);
	return body;
}

static void run_ok(struct vh_stack *st, const char *line, const char *needle)
{
	char *b = run(st, line, true);
	CHECK(!needle || strstr(b, needle));
	if (needle && !strstr(b, needle))
		fprintf(stderr, "  '%s' lacks '%s':\n%s", line, needle, b);
	free(b);
}

static void run_err(struct vh_stack *st, const char *line, const char *needle)
{
	char *b = run(st, line, false);
	CHECK(strstr(b, needle) != NULL);
	/* One line naming the cause. */
	CHECK(strchr(b, '\n') == b + strlen(b) - 1);
	if (!strstr(b, needle))
		fprintf(stderr, "  '%s' -> '%s', wanted '%s'\n", line, b, needle);
	free(b);
}

static void count_fn(void *arg, const char *scope, const char *name, uint64_t value)
{
	(void)scope;
	(void)name;
	(void)value;
	(*(unsigned *)arg)++;
}

static void test_commands(void)
{
	struct vh_stack *st = new_stack();
	struct rt_result rr;
	uint32_t a;

	/* addr */
	run_ok(st, "addr", "null0  192.0.2.2/24     192.0.2.255");
	run_ok(st, "addr add 192.0.2.7/24 dev null0", NULL);
	CHECK(vh_iface_by_addr(st, htonl(0xc0000207)) != NULL);
	run_ok(st, "addr show dev null0", "192.0.2.7/24");
	run_err(st, "addr add 192.0.2.7/24 dev null0", "already an address");
	run_err(st, "addr add 192.0.2.8/24 dev nope", "no NIC named 'nope'");
	run_err(st, "addr add 224.0.0.1/24 dev null0", "not a unicast address");
	run_err(st, "addr del 192.0.2.7/25 dev null0", "not /25");
	run_err(st, "addr del 192.0.2.7/24 dev eth0", "not an address of eth0");
	run_ok(st, "addr del 192.0.2.7/24 dev null0", NULL);
	CHECK(vh_iface_by_addr(st, htonl(0xc0000207)) == NULL);

	/* route: takes effect at once, as the forwarding path sees it. */
	vh_parse_addr("203.0.113.5", &a);
	CHECK_EQ(rt_lookup(st, a, &rr), -ENETUNREACH);
	run_ok(st, "route add default via 192.0.2.1 metric 5", NULL);
	CHECK_EQ(rt_lookup(st, a, &rr), 0);
	CHECK(rr.dev && !strcmp(rr.dev->name, "null0"));
	run_ok(st, "route", "default          192.0.2.1  -      5");
	run_ok(st, "-j route", "\"destination\": \"default\", \"gateway\": \"192.0.2.1\"");
	run_ok(st, "-j route", "\"metric\": 5,");
	run_err(st, "route add default via 192.0.2.1 metric 5", "exists");
	run_err(st, "route add 198.51.100.0/24 via 192.0.2.1 dev nope", "no NIC named");
	run_ok(st, "route del default", NULL);
	CHECK_EQ(rt_lookup(st, a, &rr), -ENETUNREACH);
	run_err(st, "route del default", "no route 0.0.0.0/0");

	/* neigh */
	run_ok(st, "neigh add 198.51.100.9 lladdr 02:00:00:00:00:09 dev eth0", NULL);
	vh_parse_addr("198.51.100.9", &a);
	CHECK(arp_lookup(st, vh_dev_by_name(st, "eth0"), a) != NULL);
	run_ok(st, "neigh", "198.51.100.9  eth0  02:00:00:00:00:09  permanent");
	run_ok(st, "-j neigh", "\"state\": \"permanent\"");
	run_err(st, "neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev null0", "does not use ARP");
	run_ok(st, "neigh del 198.51.100.9", NULL);
	CHECK(arp_lookup(st, vh_dev_by_name(st, "eth0"), a) == NULL);
	run_err(st, "neigh del 198.51.100.9", "no neighbour 198.51.100.9");

	/* link */
	run_ok(st, "link", "2      eth0   fake  up     yes");
	run_ok(st, "-j link null0", "\"index\": 1, \"name\": \"null0\"");
	run_err(st, "link nope", "no NIC named 'nope'");

	/* stats: every counter, one row each. */
	unsigned n = 0, lines = 0;
	char *b = run(st, "stats", true);
	vh_stack_counters(st, count_fn, &n);
	for (char *p = b; *p; p++)
		lines += *p == '\n';
	CHECK_EQ(lines, n + 1); /* and the header */
	free(b);
	run_ok(st, "stats dev", "dev.eth0");
	run_ok(st, "-j stats ip", "\"ip\": {\"in_receives\": 0,");
	run_err(st, "stats nosuch", "no counters in scope 'nosuch'");
	run_err(st, "stats de", "no counters in scope 'de'");

	/* forward, log */
	run_ok(st, "forward", "off");
	run_ok(st, "forward on", NULL);
	CHECK(st->ip.forwarding);
	run_ok(st, "-j forward", "[\n{\"forwarding\": \"on\"}\n]\n");
	run_ok(st, "forward off", NULL);
	CHECK(!st->ip.forwarding);
	run_ok(st, "log level warn", NULL);
	CHECK_EQ(st->log.level, VH_LOG_WARN);
	run_ok(st, "log", "warn");
	run_ok(st, "help", "route add");

	/* capture, on a stack without a worker: start, show, stop, show. */
	char path[64], out[160];
	snprintf(path, sizeof(path), "/tmp/test-ctl-%d.pcapng", (int)getpid());
	run_ok(st, "capture", "off");
	snprintf(out, sizeof(out), "capture start %s filter icmp or arp", path);
	run_ok(st, out, NULL);
	run_err(st, out, "one is running");
	run_ok(st, "capture", "running");
	run_ok(st, "-j capture", "\"written\": 0,");
	run_ok(st, "-j stats capture", "\"capture\": {\"seen\": 0, \"filtered\": 0, \"written\": 0");
	run_ok(st, "capture stop", NULL);
	run_ok(st, "capture", "stopped");
	run_err(st, "capture stop", "no capture is running");
	snprintf(out, sizeof(out), "capture start %s filter icmp and and", path);
	run_err(st, out, "capture filter 'icmp and and': ");
	run_err(st, "capture start /tmp/x.pcapng dev nope", "no NIC named 'nope'");
	run_err(st, "capture start /nonexistent/x.pcapng", "cannot write /nonexistent");
	unlink(path);

	/* Refused before the stack sees it. */
	run_err(st, "route add", "missing");
	run_err(st, "\x01\x02", "byte 0x01");

	vh_stack_free(st);
}

static void test_json_escape(void)
{
	struct ctl_table t;
	struct ctl_buf b = {0};

	/* Names come from users; a quote or control byte in one must still make valid JSON. */
	ctl_table_init(&t);
	t.ncols = 1;
	t.cols[0] = "name";
	t.text = strdup("a\"b\\c\x01");
	t.len = t.cap = strlen(t.text) + 1;
	t.cells = calloc(1, sizeof(*t.cells));
	t.ncells = t.ncap = 1;
	t.nrows = 1;
	ctl_table_render(&t, true, &b);
	CHECK(b.p && !strcmp(b.p, "[\n{\"name\": \"a\\\"b\\\\c\\u0001\"}\n]\n"));
	ctl_table_free(&t);
	ctl_buf_free(&b);
}

/* Send a line on a fresh connection, return the reply header line. */
static int ask(const char *path, const char *line, char *reply, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t got = 0;
	ssize_t k;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	if (write(fd, line, strlen(line)) < 0) {
		close(fd);
		return -errno;
	}
	shutdown(fd, SHUT_WR); /* so the server sees the end and hangs up after answering */
	while (got + 1 < size && (k = read(fd, reply + got, size - 1 - got)) > 0)
		got += (size_t)k;
	reply[got] = 0;
	close(fd);
	return 0;
}

static void test_server(void)
{
	char dir[] = "/tmp/test-ctl-XXXXXX", path[64], reply[4096];
	struct vh_stack *st = new_stack();
	struct ctl_server *srv = NULL, *srv2 = NULL;
	struct vh_err err = {{0}};
	struct stat sb;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/vh.sock", dir);
	CHECK_EQ(vh_stack_start(st), 0);

	/* A regular file in the way is not ours to remove. */
	fd = creat(path, 0600);
	close(fd);
	CHECK_EQ(ctl_start(st, path, &srv, &err), -EEXIST);
	CHECK(strstr(err.msg, "not a socket") != NULL);
	unlink(path);

	/* A stale socket (nobody listening) is replaced. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	CHECK_EQ(ctl_start(st, path, &srv, &err), 0);
	CHECK_EQ(stat(path, &sb), 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	CHECK(S_ISSOCK(sb.st_mode));

	/* One per stack. */
	CHECK_EQ(ctl_start(st, path, &srv2, &err), -EALREADY);
	CHECK(srv2 == NULL);

	/* A live one is refused and left alone. */
	struct vh_stack *st2 = new_stack();
	CHECK_EQ(ctl_start(st2, path, &srv2, &err), -EADDRINUSE);
	CHECK(strstr(err.msg, "another vhost") != NULL);
	CHECK(srv2 == NULL);
	CHECK(st2->ctl == NULL);
	vh_stack_free(st2);

	/* Two requests on one connection, answered in order; the reply is framed. */
	CHECK_EQ(ask(path, "forward on\nforward\n", reply, sizeof(reply)), 0);
	CHECK(!strcmp(reply, "ok 0\nok 14\nFORWARDING\non\n"));
	CHECK_EQ(ask(path, "bogus\n", reply, sizeof(reply)), 0);
	CHECK(!strncmp(reply, "error ", 6) && strstr(reply, "unknown command 'bogus'"));

	/* No newline within the bound: an error, then the connection closes. */
	char *big = malloc(CTL_REQ_MAX + 100);
	memset(big, 'x', CTL_REQ_MAX + 99);
	big[CTL_REQ_MAX + 99] = 0;
	CHECK_EQ(ask(path, big, reply, sizeof(reply)), 0);
	CHECK(strstr(reply, "longer than 4096") != NULL);
	free(big);
	CHECK_EQ(ask(path, "link\n", reply, sizeof(reply)), 0);
	CHECK(strstr(reply, "eth0") != NULL);
	CHECK_EQ(ask(path, "route add 198.51", reply, sizeof(reply)), 0);
	CHECK_EQ(reply[0], 0);

	/* What the socket saw is counted among the stack's counters: six connections
	 * and the second stack's liveness probe; the request asking is not counted yet. */
	CHECK_EQ(ask(path, "stats ctl\n", reply, sizeof(reply)), 0);
	CHECK(strstr(reply, "ctl    accepted           7\n") != NULL);
	CHECK(strstr(reply, "ctl    requests           5\n") != NULL);
	CHECK(strstr(reply, "ctl    refused            2\n") != NULL);
	CHECK(strstr(reply, "ctl    too_long           1\n") != NULL);
	CHECK(strstr(reply, "ctl    hangup_midrequest  1\n") != NULL);
	CHECK(strstr(reply, "ctl    busy               0\n") != NULL);

	ctl_stop(srv);
	CHECK(st->ctl == NULL);
	CHECK_EQ(stat(path, &sb), -1);
	CHECK_EQ(errno, ENOENT);
	rmdir(dir);
	vh_stack_free(st);
}

int main(void)
{
	test_parse_ok();
	test_parse_errors();
	test_commands();
	test_json_escape();
	test_server();
	return check_done();
}
