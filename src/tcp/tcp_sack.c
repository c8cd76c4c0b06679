/* tcp_sack.c: sets of sequence intervals, for the SACK scoreboard (RFC 2018
 * §4 and §5: what the peer holds above SND.UNA) and for the map of data we
 * hold above RCV.NXT, from which our own SACK blocks come.
 *
 * Small sorted arrays: TCP_IVS_MAX intervals are searched linearly, which is
 * faster than any tree at this size. Sorting is by distance from the first
 * interval's start, so comparisons stay valid across sequence wraparound as
 * long as the set spans less than 2^31, which a window always does. */
#include <string.h>

#include "tcp/tcp.h"

static void remove_at(struct tcp_ivs *v, unsigned i)
{
	memmove(&v->iv[i], &v->iv[i + 1], (v->n - i - 1) * sizeof(v->iv[0]));
	v->n--;
	if (v->last > i)
		v->last--;
	else if (v->last == i)
		v->last = 0;
}

bool tcp_ivs_add(struct tcp_ivs *v, uint32_t s, uint32_t e)
{
	unsigned i, j;

	if (!seq_lt(s, e))
		return false;
	/* First interval that ends at or after s: everything before it stays. */
	for (i = 0; i < v->n && seq_lt(v->iv[i].end, s); i++)
		;
	/* Merge with every interval that overlaps or touches [s, e). */
	for (j = i; j < v->n && seq_le(v->iv[j].start, e); j++) {
		if (seq_lt(v->iv[j].start, s))
			s = v->iv[j].start;
		if (seq_gt(v->iv[j].end, e))
			e = v->iv[j].end;
	}
	if (j > i) {
		/* Replace [i, j) by one. */
		v->iv[i].start = s;
		v->iv[i].end = e;
		memmove(&v->iv[i + 1], &v->iv[j], (v->n - j) * sizeof(v->iv[0]));
		v->n = (uint8_t)(v->n - (j - i - 1));
		v->last = (uint8_t)i;
		return true;
	}
	if (v->n == TCP_IVS_MAX) {
		/* Full: the new one or the highest goes, whichever lies farther out. */
		if (i == v->n)
			return false;
		v->n--;
	}
	memmove(&v->iv[i + 1], &v->iv[i], (v->n - i) * sizeof(v->iv[0]));
	v->iv[i].start = s;
	v->iv[i].end = e;
	v->n++;
	v->last = (uint8_t)i;
	return true;
}

void tcp_ivs_trim(struct tcp_ivs *v, uint32_t seq)
{
	while (v->n && seq_le(v->iv[0].end, seq))
		remove_at(v, 0);
	if (v->n && seq_lt(v->iv[0].start, seq))
		v->iv[0].start = seq;
}

uint32_t tcp_ivs_pop_at(struct tcp_ivs *v, uint32_t seq)
{
	uint32_t end;

	if (!v->n || seq_gt(v->iv[0].start, seq))
		return seq;
	end = seq_max(v->iv[0].end, seq);
	remove_at(v, 0);
	return end;
}

bool tcp_ivs_covers(const struct tcp_ivs *v, uint32_t s, uint32_t e)
{
	for (unsigned i = 0; i < v->n; i++)
		if (seq_le(v->iv[i].start, s) && seq_le(e, v->iv[i].end))
			return true;
	return false;
}

uint32_t tcp_ivs_bytes(const struct tcp_ivs *v)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < v->n; i++)
		n += v->iv[i].end - v->iv[i].start;
	return n;
}
