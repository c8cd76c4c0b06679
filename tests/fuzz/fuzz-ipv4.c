/* fuzz-ipv4.c: wire_ipv4_parse on arbitrary bytes; every claimed byte is read. */
#include <stdlib.h>

#include "fuzz.h"
#include "wire/ipv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_ipv4 ip;
	enum wire_ipv4_err e;

	if (wire_ipv4_parse(data, size, &ip, &e) < 0) {
		if (e == WIRE_IPV4_OK)
			abort(); /* a rejection always says why */
		(void)wire_ipv4_strerror(e);
		return 0;
	}
	fuzz_touch(ip.hdr, ip.hdr_len);
	fuzz_touch(ip.payload, ip.payload_len);
	if (ip.hdr_len < IPV4_HDR_MIN || ip.hdr_len + ip.payload_len != ip.total_len ||
	    ip.total_len > size || ip.frag_off + ip.payload_len > IPV4_MAX_LEN)
		abort(); /* the view contradicts the validation */
	return 0;
}
