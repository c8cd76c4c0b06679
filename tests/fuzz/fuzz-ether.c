/* fuzz-ether.c: wire_ether_parse on arbitrary bytes. */
#include "fuzz.h"
#include "wire/ether.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_ether e;

	if (wire_ether_parse(data, size, &e) < 0)
		return 0;
	fuzz_touch(e.dst, 6);
	fuzz_touch(e.src, 6);
	fuzz_touch(e.payload, e.payload_len);
	(void)(ether_is_bcast(e.dst) + ether_is_mcast(e.dst));
	return 0;
}
