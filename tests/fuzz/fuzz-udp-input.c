/* fuzz-udp-input.c: the UDP input path (wire/udp.c and src/udp.c) on arbitrary
 * datagrams.
 *
 * The input is a list of records: [len:1][flags:1][bytes...], each one UDP
 * datagram from 192.0.2.1 to a stack with sockets bound to ports 53 (any
 * address) and 5353 (connected to 192.0.2.1:53); flags bit 0 leaves the
 * checksum as written, bit 1 makes the sockets read. Unbound ports draw ICMP
 * errors, so the rate limiter runs too. */
#include <assert.h>

#include "fuzz-stack.h"
#include "vh_socket.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_dev *dev;
	struct vh_stack *st = fz_stack(&dev);
	struct vh_sockaddr_in a = {0, 53}, b = {tn_addr("192.0.2.2"), 5353}, c = {tn_addr("192.0.2.1"), 53}, from;
	struct wire_udp u;
	uint8_t buf[2048];
	int s1, s2;

	if (!st)
		return 0;
	if (wire_udp_parse(data, size, tn_addr("192.0.2.1"), tn_addr("192.0.2.2"), &u) == 0) {
		assert(u.len >= UDP_HDR_LEN && u.len <= size);
		assert(u.payload_len == (size_t)u.len - UDP_HDR_LEN);
	}
	s1 = vh_socket(st, VH_SOCK_DGRAM);
	vh_bind(st, s1, &a);
	s2 = vh_socket(st, VH_SOCK_DGRAM);
	vh_bind(st, s2, &b);
	vh_connect(st, s2, &c);
	while (size >= 2) {
		size_t len = data[0], fl = data[1];
		data += 2, size -= 2;
		if (len > size)
			len = size;
		fz_inject(dev, IPPROTO_UDP_, data, len, 6, !(fl & 1));
		data += len, size -= len;
		if (fl & 2) {
			vh_recvfrom(st, s1, buf, sizeof(buf), 0, &from);
			vh_recvfrom(st, s2, buf, sizeof(buf), 0, &from);
		}
		vh_stack_poll(st, 0);
	}
	vh_close(st, s1);
	vh_close(st, s2);
	vh_stack_free(st);
	return 0;
}
