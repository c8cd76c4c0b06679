/* test-stack.c: whole stacks: two in one process share nothing; the worker
 * thread runs calls from other threads; vh_stack_add_nic's errors are one
 * line naming the cause. With the argument "tap", the same separation over
 * two real TAPs (needs root and /dev/net/tun; fails rather than skips).
 *
 *   peer --- test0 [stack A] 192.0.2.2/24      peer --- test0 [stack B] 192.0.2.2/24
 *   kernel tapvhA --- [stack A]                 kernel tapvhB --- [stack B]   (tap) */
#include <linux/if_ether.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testnic.h"

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero[6];

static void test_two_stacks(void)
{
	struct tn_clock ca = {0}, cb = {0};
	struct vh_stack *a = tn_stack_new(&ca, "A"), *b = tn_stack_new(&cb, "B");
	struct vh_dev *da = tn_nic(a, "test0", 2, "192.0.2.2/24");
	struct vh_dev *db = tn_nic(b, "test0", 3, "192.0.2.2/24"); /* same name and address */
	uint8_t f[64];

	tn_clear(da);
	tn_clear(db);
	tn_arp_frame(f, bcast, ARP_OP_REQUEST, tn_peer_mac, tn_addr("192.0.2.1"), zero,
		     tn_addr("192.0.2.2"));
	tn_inject(da, f, ETHER_MIN_FRAME);
	CHECK_EQ(tn_sent(da), 1);
	CHECK_EQ(tn_sent(db), 0);
	CHECK(arp_lookup(a, da, tn_addr("192.0.2.1")) != NULL);
	CHECK(arp_lookup(b, db, tn_addr("192.0.2.1")) == NULL);
	CHECK_EQ(tn_counter(a, "arp", "rx_requests"), 1);
	CHECK_EQ(tn_counter(b, "arp", "rx_requests"), 0);
	CHECK_EQ(tn_counter(a, "arp", "entries"), 1);
	CHECK_EQ(tn_counter(b, "arp", "entries"), 0);
	CHECK_EQ(tn_counter(a, "dev.test0", "rx_packets"), 1);
	CHECK_EQ(tn_counter(b, "dev.test0", "rx_packets"), 0);
	/* Addresses and routes. */
	CHECK_EQ(vh_iface_add(a, da, tn_addr("10.0.0.1"), 8, NULL), 0);
	CHECK(vh_iface_by_addr(a, tn_addr("10.0.0.1")) != NULL);
	CHECK(vh_iface_by_addr(b, tn_addr("10.0.0.1")) == NULL);
	struct rt_result r;
	CHECK_EQ(rt_lookup(a, tn_addr("10.1.2.3"), &r), 0);
	CHECK_EQ(rt_lookup(b, tn_addr("10.1.2.3"), &r), -ENETUNREACH);
	/* Drops. */
	tn_inject(db, f, 10);
	CHECK_EQ(b->drops[VH_DROP_ETHER_BAD], 1);
	CHECK_EQ(a->drops[VH_DROP_ETHER_BAD], 0);
	/* Logs go to each stack's own sink, with its name. */
	unsigned la = ca.log_lines, lb = cb.log_lines;
	vh_stack_set_log_level(a, VH_LOG_INFO);
	vh_iface_add(a, da, tn_addr("198.18.0.1"), 24, NULL);
	CHECK(ca.log_lines > la);
	CHECK_EQ(cb.log_lines, lb);
	CHECK(strstr(ca.last_log, "A ") != NULL);
	/* Clocks. */
	ca.now += VH_SEC;
	CHECK_EQ(vh_now(a) - vh_now(b), VH_SEC);
	vh_stack_free(a);
	vh_stack_free(b);
}

struct shared {
	struct vh_stack *st;
	unsigned count;      /* touched only on the worker */
	int on_worker;
	pthread_t worker_tid;
};

static int incr(struct vh_stack *st, void *arg)
{
	struct shared *s = arg;

	if (!vh_on_worker(st))
		s->on_worker = 0;
	s->worker_tid = pthread_self();
	return (int)++s->count;
}

static void *caller(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < 500; i++)
		vh_stack_call(s->st, incr, s);
	return NULL;
}

static int has_addr(struct vh_stack *st, void *arg)
{
	return vh_iface_by_addr(st, *(uint32_t *)arg) != NULL;
}

static void test_threads(void)
{
	struct tn_clock c = {0};
	struct vh_stack *st = tn_stack_new(&c, "T");
	struct shared s = {st, 0, 1, 0};
	pthread_t t1, t2;
	struct vh_err err;

	/* Without a worker, calls run in the caller. */
	CHECK_EQ(vh_stack_call(st, incr, &s), 1);
	CHECK(pthread_equal(s.worker_tid, pthread_self()));
	CHECK_EQ(vh_stack_start(st), 0);
	CHECK_EQ(vh_stack_start(st), -EALREADY);
	s.on_worker = 1;
	pthread_create(&t1, NULL, caller, &s);
	pthread_create(&t2, NULL, caller, &s);
	caller(&s);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(s.count, 1 + 3 * 500);
	CHECK(s.on_worker);
	CHECK(!pthread_equal(s.worker_tid, pthread_self()));
	/* NICs can be added while the worker runs. */
	struct vh_dev *dev = NULL;
	CHECK_EQ(vh_stack_add_nic(st, "null0,addr=10.9.0.1/24", &dev, &err), 0);
	CHECK(dev != NULL);
	uint32_t a = tn_addr("10.9.0.1");
	CHECK_EQ(vh_stack_call(st, has_addr, &a), 1);
	vh_stack_stop(st);
	vh_stack_stop(st); /* twice is harmless */
	CHECK_EQ(vh_stack_call(st, incr, &s), 1 + 3 * 500 + 1);
	/* And again. */
	CHECK_EQ(vh_stack_start(st), 0);
	CHECK_EQ(vh_stack_call(st, incr, &s), 1 + 3 * 500 + 2);
	vh_stack_free(st); /* stops the worker */
}

static void test_add_nic_errors(void)
{
	static const struct {
		const char *spec, *want;
	} cases[] = {
		{"null0,addr=300.1.1.1/24", "addr=300.1.1.1/24 is not an IPv4 address"},
		{"null0,addr=10.0.0.1", "addr=10.0.0.1 is not an IPv4 address/prefix"},
		{"null0,addr=224.0.0.1/4", "is not a unicast address"},
		{"null0,colour=red", "unknown key 'colour'"},
		{"foo0,addr=10.0.0.1/24", "cannot tell the NIC kind from the name 'foo0'"},
		{"x0,type=bogus", "unknown NIC type 'bogus'"},
		{"null0,mtu=10", "mtu=10 is not 68-65000"},
		{"null0,mac=01:00:00:00:00:01", "mac=01:00:00:00:00:01 is not a unicast MAC"},
		{",addr=10.0.0.1/24", "a spec starts with a NIC name"},
		{"null0,mtu", "'mtu' is not key=value"},
		{"null1", "NIC 'null1' already exists"},
	};
	struct tn_clock c = {0};
	struct vh_stack *st = tn_stack_new(&c, "E");
	struct vh_err err;

	CHECK_EQ(vh_stack_add_nic(st, "null1", NULL, &err), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 'x', sizeof(err));
		int r = vh_stack_add_nic(st, cases[i].spec, NULL, &err);
		bool ok = r < 0 && strnlen(err.msg, sizeof(err.msg)) < sizeof(err.msg) &&
			  strstr(err.msg, cases[i].want) && !strchr(err.msg, '\n');
		if (!ok)
			fprintf(stderr, "spec '%s': r=%d msg='%.*s'\n", cases[i].spec, r,
				(int)sizeof(err.msg), err.msg);
		CHECK(ok);
	}
	/* A failed add leaves nothing behind. */
	CHECK(vh_dev_by_name(st, "null0") == NULL);
	CHECK(vh_iface_by_addr(st, tn_addr("10.0.0.1")) == NULL);
	CHECK_EQ(vh_stack_add_nic(st, "null0,addr=10.0.0.1/24,mtu=9000", NULL, &err), 0);
	CHECK(vh_dev_by_name(st, "null0") && vh_dev_by_name(st, "null0")->mtu == 9000);
	vh_stack_free(st);
}

/* Two stacks on two real TAPs: a frame sent into tapvhA by the kernel reaches
 * stack A only. */
struct tap_peek {
	const char *scope, *name;
};

static int read_counter(struct vh_stack *st, void *arg)
{
	struct tap_peek *p = arg;
	return (int)tn_counter(st, p->scope, p->name);
}

static int64_t wait_counter(struct vh_stack *st, const char *scope, const char *name, int64_t want)
{
	struct tap_peek p = {scope, name};
	int v = -1;

	for (int i = 0; i < 200; i++) {
		v = vh_stack_call(st, read_counter, &p);
		if (v >= want)
			break;
		usleep(10000);
	}
	return v;
}

static int test_taps(void)
{
	struct tn_clock ca = {0}, cb = {0};
	struct vh_stack *a = tn_stack_new(&ca, "A"), *b = tn_stack_new(&cb, "B");
	struct vh_err err = {{0}};
	struct vh_dev *da = NULL, *db = NULL;
	uint8_t f[64];
	int s;

	if (geteuid() != 0)
		fprintf(stderr, "the TAP test needs root\n");
	CHECK_EQ(vh_stack_add_nic(a, "tapvhA,addr=192.0.2.2/24", &da, &err), 0);
	if (!da) {
		fprintf(stderr, "tapvhA: %s\n", err.msg);
		goto out;
	}
	CHECK_EQ(vh_stack_add_nic(b, "tapvhB,addr=192.0.2.2/24", &db, &err), 0);
	if (!db) {
		fprintf(stderr, "tapvhB: %s\n", err.msg);
		goto out;
	}
	/* The TAP is A's: B cannot attach it too. */
	CHECK_EQ(vh_stack_add_nic(b, "tapvhA", NULL, &err), -EBUSY);
	CHECK(strstr(err.msg, "already attached") != NULL);
	CHECK_EQ(vh_stack_start(a), 0);
	CHECK_EQ(vh_stack_start(b), 0);

	/* The kernel side sends an ARP request for 192.0.2.2 into tapvhA. */
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(s >= 0);
	if (s >= 0) {
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_ifindex = (int)if_nametoindex("tapvhA"),
					  .sll_halen = 6};
		memcpy(sll.sll_addr, bcast, 6);
		tn_arp_frame(f, bcast, ARP_OP_REQUEST, tn_peer_mac, tn_addr("192.0.2.1"), zero,
			     tn_addr("192.0.2.2"));
		CHECK(sll.sll_ifindex > 0);
		CHECK_EQ(sendto(s, f, ETHER_MIN_FRAME, 0, (struct sockaddr *)&sll, sizeof(sll)),
			 ETHER_MIN_FRAME);
		close(s);
	}
	CHECK_EQ(wait_counter(a, "arp", "rx_requests", 1), 1);
	CHECK_EQ(wait_counter(a, "arp", "tx_replies", 1), 1);
	CHECK_EQ(wait_counter(b, "arp", "rx_requests", 0), 0);
	CHECK_EQ(wait_counter(a, "arp", "entries", 1), 1);
	CHECK_EQ(wait_counter(b, "arp", "entries", 0), 0);
	CHECK(wait_counter(a, "dev.tapvhA", "tx_packets", 2) >= 2); /* announcement, reply */
	CHECK_EQ(wait_counter(b, "dev.tapvhA", "tx_packets", -1), -1); /* no such NIC in B */
out:
	vh_stack_free(a);
	vh_stack_free(b);
	return da && db ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "tap")) {
		CHECK_EQ(test_taps(), 0);
		return check_done();
	}
	test_two_stacks();
	test_threads();
	test_add_nic_errors();
	return check_done();
}
