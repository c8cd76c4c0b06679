/* fuzz-tcp.c: the TCP input path (wire/tcp.c and the state machine in
 * src/tcp/) on arbitrary segment sequences.
 *
 * The input is a list of records: [len:1][flags:1][bytes...]. Each record is
 * one TCP segment from 192.0.2.1 to a stack with a listener on port 80 and a
 * connection it opened out to 192.0.2.1:5000; flags bit 0 leaves the checksum
 * as the fuzzer wrote it, bits 1-3 advance the clock (up to 7 s, so every
 * timer fires), bit 4 makes the application read, bit 5 write, bit 6 close.
 * The stack must never crash, leak, or read out of bounds; the wire parser
 * must agree with itself on every accepted header. */
#include <assert.h>

#include "fuzz-stack.h"
#include "vh_socket.h"
#include "wire/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_dev *dev;
	struct vh_stack *st = fz_stack(&dev);
	struct vh_sockaddr_in a = {0, 80}, peer = {tn_addr("192.0.2.1"), 5000};
	struct wire_tcp t;
	uint8_t buf[4096];
	int ls, cs;

	if (!st)
		return 0;
	/* The parser alone, on the raw input. */
	if (wire_tcp_parse(data, size, tn_addr("192.0.2.1"), tn_addr("192.0.2.2"), &t) == 0) {
		assert(t.hdr_len >= TCP_HDR_MIN && t.hdr_len <= size);
		assert(t.payload + t.payload_len == data + size);
		assert(t.opt.nsack <= TCP_SACK_MAX);
	}
	ls = vh_socket(st, VH_SOCK_STREAM);
	vh_bind(st, ls, &a);
	vh_listen(st, ls, 4);
	cs = vh_socket(st, VH_SOCK_STREAM);
	vh_setsockopt(st, cs, VH_SO_NONBLOCK, 1);
	vh_setsockopt(st, cs, VH_SO_SNDBUF, 4096);
	vh_setsockopt(st, cs, VH_SO_RCVBUF, 4096);
	vh_connect(st, cs, &peer);
	while (size >= 2) {
		size_t len = data[0], fl = data[1];
		data += 2, size -= 2;
		if (len > size)
			len = size;
		fz_inject(dev, IPPROTO_TCP_, data, len, 16, !(fl & 1));
		data += len, size -= len;
		if (fl & 0x0e) {
			fz_clk.now += ((fl >> 1) & 7) * VH_SEC;
			vh_timers_run(st);
		}
		if (fl & 0x10) {
			int sd = vh_accept(st, ls, NULL);
			vh_recv(st, cs, buf, sizeof(buf), 0);
			if (sd >= 0) {
				vh_recv(st, sd, buf, sizeof(buf), 0);
				vh_close(st, sd);
			}
		}
		if (fl & 0x20)
			vh_send(st, cs, buf, (fl & 0x80) ? sizeof(buf) : 100, VH_MSG_DONTWAIT);
		if (fl & 0x40)
			vh_shutdown(st, cs, VH_SHUT_WR);
		vh_stack_poll(st, 0); /* loopback and due timers */
	}
	vh_close(st, cs);
	vh_close(st, ls);
	vh_stack_free(st);
	return 0;
}
