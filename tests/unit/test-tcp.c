/* test-tcp.c: TCP and UDP driven without threads, on an injected clock and a
 * test NIC that captures what the stack sends.
 *
 * The "peer" is this program: it builds segments byte by byte, feeds them to
 * vh_dev_input(), and parses what comes out with the wire parser. Covered:
 * the handshake and its options, in-order and out-of-order data with SACK
 * blocks, RFC 5961 challenge ACKs for blind RST and SYN, the exact-RST reset,
 * retransmission timeout with exponential backoff, the active close through
 * TIME_WAIT to CLOSED, queued data sent when the peer's FIN brings the ACK
 * that lets it go, the SYN queue bound under a flood, the receive window
 * as the out-of-order bound, and UDP demux, checksum and port unreachable.
 * The interval sets behind SACK are checked against a naive bitmap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stack.h"
#include "tcp/tcp.h"
#include "testnic.h"
#include "vh_socket.h"
#include "wire/tcp.h"

static struct tn_clock clk;
static struct vh_stack *st;
static struct vh_dev *nic;

#define US tn_addr("192.0.2.2")
#define PEER tn_addr("192.0.2.1")

static void advance(uint64_t ns)
{
	tn_advance(st, &clk, ns, ns);
}

/* Feed one IPv4 datagram from the peer with the given transport payload. */
static void inject(uint8_t proto, uint32_t src, uint32_t dst, const uint8_t *l4, size_t len)
{
	uint8_t frame[ETHER_HDR_LEN + IPV4_HDR_MIN + 2048];

	CHECK_EQ(tn_inject(nic, frame,
			   tn_ipv4_frame(frame, nic->hwaddr, tn_peer_mac, src, dst, proto, 1,
					 IPV4_F_DF, l4, len)),
		 0);
	vh_timers_run(st);
}

struct seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	struct wire_tcp_opts opt;
	const uint8_t *data;
	size_t len;
};

static void send_seg(const struct seg *s)
{
	uint8_t buf[2048];
	struct wire_tcp h = {.sport = s->sport, .dport = s->dport, .seq = s->seq, .ack = s->ack,
			     .flags = s->flags, .wnd = s->wnd};
	size_t ol = wire_tcp_emit_opts(buf + TCP_HDR_MIN, &s->opt);

	if (s->len)
		memcpy(buf + TCP_HDR_MIN + ol, s->data, s->len);
	wire_tcp_emit(buf, &h, ol, s->len, PEER, US);
	inject(IPPROTO_TCP_, PEER, US, buf, TCP_HDR_MIN + ol + s->len);
}

/* The next TCP segment the stack sent; false if none. Payload copied to data. */
static bool next_out(struct wire_tcp *t, uint8_t *data)
{
	struct wire_ipv4 ip;
	struct vh_pkt *p;
	int r;

	while ((p = tn_pop_ipv4(nic, &ip))) {
		if (ip.proto != IPPROTO_TCP_) {
			vh_pkt_free(p);
			continue;
		}
		r = wire_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, t);
		CHECK_EQ(r, 0);
		if (data && t->payload_len)
			memcpy(data, t->payload, t->payload_len);
		vh_pkt_free(p);
		return r == 0;
	}
	return false;
}

static void drain(void)
{
	tn_clear(nic);
}

static void setup(void)
{
	st = tn_fixture(&clk, "tcp", &nic);
}

static void teardown(void)
{
	drain();
	vh_stack_free(st);
	st = NULL;
}

/* A connection accepted on port 80 from the peer's port `pport`; returns the
 * descriptor and our ISS+1 in *snd, the peer's next seq in *rcv. */
static int open_passive(int ls, uint16_t pport, uint32_t *snd, uint32_t *rcv, bool opts)
{
	struct seg s = {.sport = pport, .dport = 80, .seq = 1000, .flags = TCP_SYN, .wnd = 65535};
	struct wire_tcp t;

	if (opts) {
		s.opt.has_mss = true, s.opt.mss = 1460;
		s.opt.has_ws = true, s.opt.ws = 7;
		s.opt.sack_perm = true;
	}
	send_seg(&s);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.flags, TCP_SYN | TCP_ACK);
	CHECK_EQ(t.ack, 1001);
	if (opts) {
		CHECK(t.opt.has_mss && t.opt.mss == 1460);
		CHECK(t.opt.has_ws);
		CHECK(t.opt.sack_perm);
	} else {
		/* Not offered: not echoed (RFC 7323 §1.3, RFC 2018 §2). */
		CHECK(!t.opt.has_ws && !t.opt.sack_perm && !t.opt.has_ts);
	}
	*snd = t.seq + 1;
	*rcv = 1001;
	s = (struct seg){.sport = pport, .dport = 80, .seq = 1001, .ack = *snd, .flags = TCP_ACK,
			 .wnd = 65535};
	send_seg(&s);
	return vh_accept(st, ls, NULL);
}

static int listener(void)
{
	int ls = vh_socket(st, VH_SOCK_STREAM);
	struct vh_sockaddr_in a = {0, 80};

	CHECK(ls >= 0);
	CHECK_EQ(vh_bind(st, ls, &a), 0);
	CHECK_EQ(vh_listen(st, ls, 8), 0);
	return ls;
}

static void test_handshake_data_close(void)
{
	uint32_t snd, rcv;
	uint8_t buf[4096], out[2048];
	struct wire_tcp t;
	int ls, sd, v;

	setup();
	ls = listener();
	CHECK_EQ(vh_accept(st, ls, NULL), -EAGAIN); /* nothing yet, and no worker: no wait */
	sd = open_passive(ls, 40000, &snd, &rcv, true);
	CHECK(sd >= 0);
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_ESTABLISHED);

	/* In order: delivered; a lone small pushed segment is ACKed at once. */
	memset(buf, 'a', 100);
	send_seg(&(struct seg){40000, 80, rcv, snd, TCP_ACK | TCP_PSH, 65535, {0}, buf, 100});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, rcv + 100);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), 100);
	rcv += 100;

	/* Out of order: a dupack with a SACK block at once; the hole's filling ACKs both. */
	memset(buf, 'c', 200);
	send_seg(&(struct seg){40000, 80, rcv + 200, snd, TCP_ACK, 65535, {0}, buf, 200});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, rcv);
	CHECK_EQ(t.opt.nsack, 1);
	CHECK_EQ(t.opt.sack[0].start, rcv + 200);
	CHECK_EQ(t.opt.sack[0].end, rcv + 400);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), -EAGAIN);
	memset(buf, 'b', 200);
	send_seg(&(struct seg){40000, 80, rcv, snd, TCP_ACK, 65535, {0}, buf, 200});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, rcv + 400);
	CHECK_EQ(t.opt.nsack, 0);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), 400);
	CHECK(out[0] == 'b' && out[199] == 'b' && out[200] == 'c' && out[399] == 'c');
	rcv += 400;

	/* Beyond the window: not taken (the window is the out-of-order bound). */
	send_seg(&(struct seg){40000, 80, rcv + TCP_BUF_DEFAULT + 10, snd, TCP_ACK, 65535, {0}, buf,
			       100});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, rcv);
	CHECK_EQ(t.opt.nsack, 0);

	/* RFC 5961 §3.2: a RST in the window but not at RCV.NXT draws a challenge ACK. */
	uint64_t chal = st->tcp.stats.challenge_acks;
	send_seg(&(struct seg){40000, 80, rcv + 10, 0, TCP_RST, 0, {0}, NULL, 0});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.flags, TCP_ACK);
	CHECK_EQ(st->tcp.stats.challenge_acks, chal + 1);
	/* §4: so does a SYN on an established connection. */
	send_seg(&(struct seg){40000, 80, rcv + 5, 0, TCP_SYN, 0, {0}, NULL, 0});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.flags, TCP_ACK);
	CHECK_EQ(t.ack, rcv);
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_ESTABLISHED);

	/* We send; the peer ACKs; then we close: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT, gone. */
	CHECK_EQ(vh_send(st, sd, "hello", 5, 0), 5);
	CHECK(next_out(&t, out));
	CHECK_EQ(t.payload_len, 5);
	CHECK_EQ(t.seq, snd);
	send_seg(&(struct seg){40000, 80, rcv, snd + 5, TCP_ACK, 65535, {0}, NULL, 0});
	snd += 5;
	CHECK_EQ(vh_shutdown(st, sd, VH_SHUT_WR), 0);
	CHECK(next_out(&t, NULL));
	CHECK(t.flags & TCP_FIN);
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_FIN_WAIT_1);
	send_seg(&(struct seg){40000, 80, rcv, snd + 1, TCP_ACK, 65535, {0}, NULL, 0});
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_FIN_WAIT_2);
	send_seg(&(struct seg){40000, 80, rcv, snd + 1, TCP_ACK | TCP_FIN, 65535, {0}, NULL, 0});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, rcv + 1);
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_TIME_WAIT);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), 0); /* end of stream */
	CHECK_EQ(vh_close(st, sd), 0);
	unsigned before = st->tcp.count;
	advance(2 * TCP_MSL_NS + VH_SEC);
	CHECK_EQ(st->tcp.count, before - 1); /* TIME_WAIT ended and freed it */
	CHECK_EQ(vh_close(st, ls), 0);
	CHECK_EQ(st->tcp.count, 0);
	teardown();
}

static void test_reset_and_closed_port(void)
{
	uint32_t snd, rcv;
	uint8_t out[64];
	struct wire_tcp t;
	int ls, sd;

	setup();
	ls = listener();
	sd = open_passive(ls, 40001, &snd, &rcv, false);
	CHECK(sd >= 0);
	/* The exact RST resets. */
	send_seg(&(struct seg){40001, 80, rcv, 0, TCP_RST, 0, {0}, NULL, 0});
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), -ECONNRESET);
	CHECK_EQ(vh_close(st, sd), 0);
	/* A SYN to a port nobody listens on: RST+ACK, ack = seq + 1. */
	drain();
	send_seg(&(struct seg){40002, 81, 5000, 0, TCP_SYN, 65535, {0}, NULL, 0});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.flags, TCP_RST | TCP_ACK);
	CHECK_EQ(t.ack, 5001);
	/* A RST is never answered. */
	send_seg(&(struct seg){40002, 81, 5000, 0, TCP_RST, 0, {0}, NULL, 0});
	CHECK(!next_out(&t, NULL));
	vh_close(st, ls);
	teardown();
}

static void test_rto_backoff(void)
{
	uint32_t snd, rcv;
	struct wire_tcp t;
	int ls, sd;

	setup();
	ls = listener();
	sd = open_passive(ls, 40003, &snd, &rcv, true);
	drain();
	CHECK_EQ(vh_send(st, sd, "0123456789", 10, 0), 10);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.seq, snd);
	/* Without an RTT sample RTO is the initial 1 s (RFC 6298 §2.1); the handshake
	 * without timestamps gave none. Each timeout doubles it (§5.5). */
	advance(999 * VH_MS);
	CHECK(!next_out(&t, NULL));
	for (int i = 0; i < 4; i++) {
		/* Find the next retransmission by stepping the clock. */
		uint64_t waited = 0;
		while (!next_out(&t, NULL) && waited < 120 * VH_SEC) {
			advance(10 * VH_MS);
			waited += 10 * VH_MS;
		}
		CHECK_EQ(t.seq, snd);
		CHECK_EQ(t.payload_len, 10);
		if (i > 0) {
			/* The gap doubles: 2 s, 4 s, 8 s (within the 10 ms step). */
			uint64_t want = (1ull << i) * VH_SEC;
			CHECK(waited + 20 * VH_MS >= want && waited <= want + 20 * VH_MS);
		}
	}
	/* An ACK ends it. */
	send_seg(&(struct seg){40003, 80, rcv, snd + 10, TCP_ACK, 65535, {0}, NULL, 0});
	drain();
	advance(60 * VH_SEC);
	CHECK(!next_out(&t, NULL));
	vh_close(st, sd);
	vh_close(st, ls);
	teardown();
}

static void test_zero_window_and_keepalive(void)
{
	uint32_t snd, rcv;
	struct wire_tcp t;
	uint8_t out[64];
	int ls, sd;

	setup();
	ls = listener();
	sd = open_passive(ls, 40004, &snd, &rcv, false);
	/* The peer closes its window: data waits, then a one-byte probe (RFC 9293 §3.8.6.1). */
	send_seg(&(struct seg){40004, 80, rcv, snd, TCP_ACK, 0, {0}, NULL, 0});
	drain();
	CHECK_EQ(vh_send(st, sd, "abcdef", 6, 0), 6);
	CHECK(!next_out(&t, NULL));
	advance(TCP_RTO_INIT_NS + VH_MS);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.payload_len, 1);
	CHECK_EQ(t.seq, snd);
	/* Still closed: the next probe waits twice as long. */
	send_seg(&(struct seg){40004, 80, rcv, snd, TCP_ACK, 0, {0}, NULL, 0});
	advance(TCP_RTO_INIT_NS + VH_MS);
	CHECK(!next_out(&t, NULL));
	advance(TCP_RTO_INIT_NS);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.payload_len, 1);
	/* It opens: everything goes. */
	send_seg(&(struct seg){40004, 80, rcv, snd, TCP_ACK, 1000, {0}, NULL, 0});
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.seq, snd);
	CHECK_EQ(t.payload_len, 6);
	send_seg(&(struct seg){40004, 80, rcv, snd + 6, TCP_ACK, 1000, {0}, NULL, 0});
	snd += 6;
	drain();
	/* Keepalive: a probe at SND.NXT-1 after the idle time, then give up (RFC 1122
	 * §4.2.3.6) after KEEPCNT unanswered ones. */
	CHECK_EQ(vh_setsockopt(st, sd, VH_TCP_KEEPIDLE, 10), 0);
	CHECK_EQ(vh_setsockopt(st, sd, VH_TCP_KEEPINTVL, 2), 0);
	CHECK_EQ(vh_setsockopt(st, sd, VH_TCP_KEEPCNT, 2), 0);
	CHECK_EQ(vh_setsockopt(st, sd, VH_SO_KEEPALIVE, 1), 0);
	advance(9 * VH_SEC);
	CHECK(!next_out(&t, NULL));
	advance(VH_SEC + VH_MS);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.seq, snd - 1);
	CHECK_EQ(t.payload_len, 0);
	/* An answer resets the count. */
	send_seg(&(struct seg){40004, 80, rcv, snd, TCP_ACK, 1000, {0}, NULL, 0});
	advance(10 * VH_SEC + VH_MS);
	CHECK(next_out(&t, NULL));
	advance(2 * VH_SEC + VH_MS);
	CHECK(next_out(&t, NULL));
	advance(2 * VH_SEC + VH_MS);
	CHECK(next_out(&t, NULL));
	CHECK(t.flags & TCP_RST);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), -ETIMEDOUT);
	vh_close(st, sd);
	vh_close(st, ls);
	teardown();
}

/* Drain what the stack sent; true if one of the segments carried `len` bytes at `seq`. */
static bool sent_data_at(uint32_t seq, uint32_t len)
{
	struct wire_tcp t;
	bool found = false;

	while (next_out(&t, NULL))
		if (t.seq == seq && t.payload_len == len)
			found = true;
	return found;
}

/* The peer's FIN arrives on a segment whose ACK also opens room to send: the
 * data waiting in the send ring must go at once. Nothing else would send it:
 * with everything acknowledged no timer runs and the peer has nothing left to
 * ACK, and an application blocked on a full send ring is not woken by a
 * sliver of space. This stalled the impaired echo of tcp-bulk.sh for good. */
static void test_fin_with_ack_sends_queued_data(void)
{
	static uint8_t big[4000];
	uint8_t d[100];
	uint32_t snd, rcv;
	int ls, sd, v;

	memset(big, 'q', sizeof(big));
	memset(d, 'p', sizeof(d));
	setup();
	ls = listener();

	/* The FIN in order: without options, MSS 536; a window of two segments. */
	sd = open_passive(ls, 40007, &snd, &rcv, false);
	send_seg(&(struct seg){40007, 80, rcv, snd, TCP_ACK, 1072, {0}, NULL, 0});
	drain();
	CHECK_EQ(vh_send(st, sd, big, sizeof(big), 0), (long)sizeof(big));
	CHECK(sent_data_at(snd + 536, 536));
	CHECK(!sent_data_at(snd + 1072, 536)); /* the window is full */
	send_seg(&(struct seg){40007, 80, rcv, snd + 1072, TCP_ACK | TCP_FIN, 1072, {0}, NULL, 0});
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_CLOSE_WAIT);
	CHECK(sent_data_at(snd + 1608, 536));
	vh_close(st, sd);
	drain();

	/* The FIN above a hole (RFC 9293 §3.10.7.4, eighth step: it waits), then the
	 * retransmission that fills the hole brings the ACK: the CI capture's shape. */
	sd = open_passive(ls, 40008, &snd, &rcv, false);
	send_seg(&(struct seg){40008, 80, rcv, snd, TCP_ACK, 1072, {0}, NULL, 0});
	drain();
	CHECK_EQ(vh_send(st, sd, big, sizeof(big), 0), (long)sizeof(big));
	CHECK(sent_data_at(snd + 536, 536));
	send_seg(&(struct seg){40008, 80, rcv + 100, snd, TCP_ACK | TCP_FIN, 1072, {0}, d, 100});
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_ESTABLISHED);
	drain();
	send_seg(&(struct seg){40008, 80, rcv, snd + 1072, TCP_ACK, 1072, {0}, d, 100});
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_CLOSE_WAIT);
	CHECK(sent_data_at(snd + 1608, 536));
	vh_close(st, sd);
	vh_close(st, ls);
	teardown();
}

static void test_active_open(void)
{
	struct vh_sockaddr_in to = {PEER, 5000}, me;
	struct vh_pollfd pf;
	struct wire_tcp t;
	int sd, v;

	setup();
	sd = vh_socket(st, VH_SOCK_STREAM);
	CHECK_EQ(vh_setsockopt(st, sd, VH_SO_NONBLOCK, 1), 0);
	CHECK_EQ(vh_connect(st, sd, &to), -EINPROGRESS);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.flags, TCP_SYN);
	CHECK(t.opt.has_mss && t.opt.has_ws && t.opt.sack_perm && t.opt.has_ts);
	CHECK(t.sport >= TCP_EPHEMERAL_LO);
	CHECK_EQ(vh_connect(st, sd, &to), -EALREADY);
	pf = (struct vh_pollfd){.sd = sd, .events = VH_POLLOUT};
	CHECK_EQ(vh_poll(st, &pf, 1, 0), 0);
	/* SYN-ACK without options: none are used (RFC 7323 §1.3, RFC 2018 §2). */
	send_seg(&(struct seg){5000, t.sport, 7000, t.seq + 1, TCP_SYN | TCP_ACK, 30000, {0}, NULL, 0});
	CHECK_EQ(vh_poll(st, &pf, 1, 0), 1);
	CHECK(pf.revents & VH_POLLOUT);
	CHECK_EQ(vh_connect(st, sd, &to), 0);
	CHECK_EQ(vh_connect(st, sd, &to), -EISCONN);
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_ESTABLISHED);
	CHECK(next_out(&t, NULL));
	CHECK_EQ(t.ack, 7001);
	CHECK(!t.opt.has_ts);
	CHECK_EQ(vh_getsockname(st, sd, &me), 0);
	CHECK_EQ(me.addr, US);
	vh_close(st, sd);
	drain();
	/* Refused: a RST that acknowledges our SYN. */
	sd = vh_socket(st, VH_SOCK_STREAM);
	vh_setsockopt(st, sd, VH_SO_NONBLOCK, 1);
	CHECK_EQ(vh_connect(st, sd, &to), -EINPROGRESS);
	CHECK(next_out(&t, NULL));
	/* A RST that does not acknowledge the SYN is ignored. */
	send_seg(&(struct seg){5000, t.sport, 0, t.seq + 7, TCP_RST | TCP_ACK, 0, {0}, NULL, 0});
	CHECK_EQ(vh_getsockopt(st, sd, VH_TCP_STATE, &v), 0);
	CHECK_EQ(v, TCP_SYN_SENT);
	send_seg(&(struct seg){5000, t.sport, 0, t.seq + 1, TCP_RST | TCP_ACK, 0, {0}, NULL, 0});
	CHECK_EQ(vh_getsockopt(st, sd, VH_SO_ERROR, &v), 0);
	CHECK_EQ(v, -ECONNREFUSED);
	vh_close(st, sd);
	/* The refused one is gone; the first still closes (FIN_WAIT_1) without its socket. */
	CHECK_EQ(st->tcp.count, 1);
	teardown();
}

static void test_syn_flood_bound(void)
{
	int ls;

	setup();
	ls = listener(); /* backlog 8: the SYN queue holds max(16, 64) */
	for (unsigned i = 0; i < 5000; i++)
		send_seg(&(struct seg){(uint16_t)(1024 + i), 80, i * 7919u, 0, TCP_SYN, 65535, {0}, NULL,
				       0});
	drain();
	CHECK(st->tcp.count <= 1 + TCP_SYNQ_MIN);
	CHECK(st->tcp.stats.synq_evictions >= 5000 - TCP_SYNQ_MIN);
	/* A real client still gets in. */
	uint32_t snd, rcv;
	int sd = open_passive(ls, 60000, &snd, &rcv, true);
	CHECK(sd >= 0);
	vh_close(st, sd);
	vh_close(st, ls);
	/* Half-open ones die with the listener. */
	CHECK(st->tcp.count <= 1);
	teardown();
}

static void test_udp(void)
{
	uint8_t buf[64] = {0}, out[64];
	struct vh_sockaddr_in a = {0, 5353}, from;
	int sd;

	setup();
	sd = vh_socket(st, VH_SOCK_DGRAM);
	CHECK_EQ(vh_bind(st, sd, &a), 0);
	memcpy(buf + UDP_HDR_LEN, "ping", 4);
	wire_udp_emit(buf, 1234, 5353, 4, PEER, US);
	inject(IPPROTO_UDP_, PEER, US, buf, UDP_HDR_LEN + 4);
	CHECK_EQ(vh_recvfrom(st, sd, out, sizeof(out), 0, &from), 4);
	CHECK_MEM(out, "ping", 4);
	CHECK_EQ(from.port, 1234);
	CHECK_EQ(from.addr, PEER);
	/* A directed broadcast reaches a socket bound to any address. */
	wire_udp_emit(buf, 1234, 5353, 4, PEER, tn_addr("192.0.2.255"));
	inject(IPPROTO_UDP_, PEER, tn_addr("192.0.2.255"), buf, UDP_HDR_LEN + 4);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), 4);
	/* Sending to one needs SO_BROADCAST. */
	struct vh_sockaddr_in bc = {tn_addr("192.0.2.255"), 9};
	CHECK_EQ(vh_sendto(st, sd, "x", 1, 0, &bc), -EACCES);
	CHECK_EQ(vh_setsockopt(st, sd, VH_SO_BROADCAST, 1), 0);
	CHECK_EQ(vh_sendto(st, sd, "x", 1, 0, &bc), 1);
	drain();
	wire_udp_emit(buf, 1234, 5353, 4, PEER, US);
	/* A broken checksum is dropped and counted. */
	buf[UDP_HDR_LEN] ^= 1;
	inject(IPPROTO_UDP_, PEER, US, buf, UDP_HDR_LEN + 4);
	CHECK_EQ(vh_recv(st, sd, out, sizeof(out), 0), -EAGAIN);
	CHECK_EQ(st->drops[VH_DROP_UDP_CSUM], 1);
	/* No one on the port: ICMP port unreachable. */
	drain();
	wire_udp_emit(buf, 1234, 9999, 4, PEER, US);
	inject(IPPROTO_UDP_, PEER, US, buf, UDP_HDR_LEN + 4);
	struct wire_ipv4 ip;
	struct vh_pkt *p = tn_pop_ipv4(nic, &ip);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ip.proto, IPPROTO_ICMP_);
		CHECK_EQ(ip.payload[0], ICMP_DEST_UNREACH);
		CHECK_EQ(ip.payload[1], ICMP_PORT_UNREACH);
		vh_pkt_free(p);
	}
	/* Sending: the checksum verifies. */
	drain();
	struct vh_sockaddr_in to = {PEER, 7777};
	CHECK_EQ(vh_sendto(st, sd, "pong", 4, 0, &to), 4);
	p = tn_pop_ipv4(nic, &ip);
	CHECK(p != NULL);
	if (p) {
		struct wire_udp u;
		CHECK_EQ(wire_udp_parse(ip.payload, ip.payload_len, US, PEER, &u), 0);
		CHECK_EQ(u.dport, 7777);
		vh_pkt_free(p);
	}
	vh_close(st, sd);
	teardown();
}

/* Differential: interval sets against a bitmap, positions straddling 2^32. */
static void test_ivs_vs_bitmap(void)
{
	enum { CELLS = 16, CELL = 64 };
	const uint32_t base = 0xfffffe00u; /* wraps inside the range */
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		struct tcp_ivs v = {0};
		bool bit[CELLS * CELL] = {0};
		uint32_t cut = 0;
		for (int op = 0; op < 12; op++) {
			seed = seed * 1103515245u + 12345u;
			unsigned a = (seed >> 8) % CELLS, b = (seed >> 16) % CELLS;
			if (a > b) {
				unsigned x = a;
				a = b, b = x;
			}
			if ((seed >> 4) % 5 == 0) {
				/* Trim below a point (SND.UNA moving). */
				cut = a * CELL > cut ? a * CELL : cut;
				tcp_ivs_trim(&v, base + cut);
				for (unsigned i = 0; i < cut; i++)
					bit[i] = false;
				continue;
			}
			/* Half-open cells [a, b+1), never below the trim point. */
			uint32_t s = a * CELL, e = (b + 1) * CELL;
			if (s < cut)
				s = cut;
			if (s >= e)
				continue;
			tcp_ivs_add(&v, base + s, base + e);
			for (unsigned i = s; i < e; i++)
				bit[i] = true;
		}
		/* Same membership, sorted, disjoint, non-adjacent. */
		for (unsigned i = 0; i < CELLS * CELL; i += 7)
			CHECK_EQ(tcp_ivs_covers(&v, base + i, base + i + 1), bit[i]);
		for (unsigned k = 1; k < v.n; k++)
			CHECK(seq_lt(v.iv[k - 1].end, v.iv[k].start));
		unsigned count = 0;
		for (unsigned i = 0; i < CELLS * CELL; i++)
			count += bit[i];
		CHECK_EQ(tcp_ivs_bytes(&v), count);
	}
}

int main(void)
{
	test_ivs_vs_bitmap();
	test_handshake_data_close();
	test_reset_and_closed_port();
	test_rto_backoff();
	test_zero_window_and_keepalive();
	test_fin_with_ack_sends_queued_data();
	test_active_open();
	test_syn_flood_bound();
	test_udp();
	return check_done();
}
