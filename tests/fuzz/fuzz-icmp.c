/* fuzz-icmp.c: wire_icmp_parse and, for errors, wire_icmp_quote. */
#include <stdlib.h>

#include "fuzz.h"
#include "wire/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_icmp m;
	uint32_t src, dst;
	uint8_t proto;
	const uint8_t *l4;

	if (wire_icmp_parse(data, size, &m) < 0)
		return 0;
	fuzz_touch(m.body, m.body_len);
	if (wire_icmp_quote(&m, &src, &dst, &proto, &l4) == 0) {
		if (l4 < m.body || l4 + 8 > m.body + m.body_len)
			abort(); /* RFC 792's 64 bits of data must be inside the message */
		fuzz_touch(l4, (size_t)(m.body + m.body_len - l4));
	}
	return 0;
}
