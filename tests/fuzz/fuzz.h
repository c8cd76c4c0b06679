/* fuzz.h: what every fuzz target shares.
 *
 * Each fuzz-*.c defines LLVMFuzzerTestOneInput. Built with -Dfuzzing=true it
 * links with libFuzzer; otherwise with replay.c, which runs it over a corpus
 * so the corpus is a normal test under any compiler. */
#ifndef VH_TEST_FUZZ_H
#define VH_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t fuzz_sink;

/* Read every byte of a view, so ASan sees any out-of-bounds claim a parser made. */
static inline void fuzz_touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	fuzz_sink ^= x;
}

#endif
