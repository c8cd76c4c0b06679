/* spec.c: "NAME[,key=value]..." as typed on the command line or sent to vhctl. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int vh_spec_parse(const char *text, struct vh_spec *ret, struct vh_err *err)
{
	struct vh_spec s;
	char *tok, *save = NULL;

	memset(&s, 0, sizeof(s));
	s.text = text;
	if (strlen(text) >= sizeof(s.buf))
		return vh_err_set(err, EINVAL, "'%.40s...': spec too long", text);
	strcpy(s.buf, text);
	tok = strtok_r(s.buf, ",", &save);
	if (!tok || strchr(tok, '='))
		return vh_err_set(err, EINVAL, "'%s': a spec starts with a NIC name", text);
	s.name = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok)
			return vh_err_set(err, EINVAL, "'%s': '%s' is not key=value", text, tok);
		if (s.n == VH_SPEC_MAX_KEYS)
			return vh_err_set(err, EINVAL, "'%s': too many keys", text);
		*eq = 0;
		s.kv[s.n].key = tok;
		s.kv[s.n].val = eq + 1;
		s.n++;
	}
	*ret = s;
	/* The copy moved the buffer: re-point name and keys into ret's own buf. */
	ret->name = ret->buf + (s.name - s.buf);
	for (unsigned i = 0; i < s.n; i++) {
		ret->kv[i].key = ret->buf + (s.kv[i].key - s.buf);
		ret->kv[i].val = ret->buf + (s.kv[i].val - s.buf);
	}
	return 0;
}

const char *vh_spec_get_nth(struct vh_spec *s, const char *key, unsigned nth)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].key, key) && nth-- == 0) {
			s->kv[i].used = true;
			return s->kv[i].val;
		}
	return NULL;
}

const char *vh_spec_get(struct vh_spec *s, const char *key)
{
	return vh_spec_get_nth(s, key, 0);
}

int vh_spec_check_unused(const struct vh_spec *s, struct vh_err *err)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!s->kv[i].used)
			return vh_err_set(err, EINVAL, "'%s': unknown key '%s' for this NIC", s->text,
					  s->kv[i].key);
	return 0;
}

int vh_parse_addr(const char *s, uint32_t *ret_addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret_addr = a.s_addr;
	return 0;
}

int vh_parse_cidr(const char *s, uint32_t *ret_addr, unsigned *ret_plen)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint64_t plen;
	uint32_t a;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (vh_parse_addr(buf, &a) < 0 || vh_parse_u64(slash + 1, 0, 32, &plen) < 0)
		return -EINVAL;
	*ret_addr = a;
	*ret_plen = (unsigned)plen;
	return 0;
}

int vh_parse_mac(const char *s, uint8_t ret_mac[6])
{
	unsigned b[6];
	char tail;

	/* sscanf's %x would also take spaces and a sign ("-2" is 0xfffffffe). */
	for (const char *c = s; *c; c++)
		if (!strchr("0123456789abcdefABCDEF:", *c))
			return -EINVAL;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	if (b[0] & 1)
		return -EINVAL; /* a multicast address cannot be a NIC's own */
	for (int i = 0; i < 6; i++)
		ret_mac[i] = (uint8_t)b[i];
	return 0;
}

int vh_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL; /* strtoull would skip spaces and take signs: " -1" is 2^64 - 1 */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int vh_parse_percent(const char *s, uint32_t *ret_ppm)
{
	char *end;
	double v;

	/* Plain decimal only: strtod would also take " 5", "0x10", "inf" and "nan". */
	if (!*s || strspn(s, "0123456789.%") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* Written so that NaN fails too: every comparison with it is false. */
	if (errno || end == s || (*end && strcmp(end, "%")) || !(v >= 0 && v <= 100))
		return -EINVAL;
	*ret_ppm = (uint32_t)(v * 10000.0 + 0.5);
	return 0;
}
