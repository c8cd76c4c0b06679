/* fuzz-arp.c: wire_arp_parse on arbitrary bytes; a valid view re-emits identically. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_arp a;
	uint8_t out[ARP_LEN];

	if (wire_arp_parse(data, size, &a) < 0)
		return 0;
	fuzz_touch(a.sha, 6);
	fuzz_touch(a.tha, 6);
	wire_arp_emit(out, a.op, a.sha, a.spa, a.tha, a.tpa);
	if (memcmp(out, data, ARP_LEN))
		abort(); /* parse and emit disagree */
	return 0;
}
