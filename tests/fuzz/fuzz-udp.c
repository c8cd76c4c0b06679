/* fuzz-udp.c: wire_udp_parse. The first 8 bytes are the pseudo-header's
 * addresses, the rest the IP payload. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_udp u;
	uint32_t src, dst;

	if (size < 8)
		return 0;
	memcpy(&src, data, 4);
	memcpy(&dst, data + 4, 4);
	data += 8;
	size -= 8;
	if (wire_udp_parse(data, size, src, dst, &u) < 0)
		return 0;
	fuzz_touch(u.payload, u.payload_len);
	if (u.len < UDP_HDR_LEN || u.len > size || u.payload_len + UDP_HDR_LEN != u.len)
		abort();
	return 0;
}
