/* spec.h: NIC specs as users type them: "NAME[,key=value]...".
 *
 * The parser only splits and checks the shape; each driver takes the keys it
 * knows, and whatever is left unused is an error naming the key, so a typo
 * never passes silently. */
#ifndef VH_SPEC_H
#define VH_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "vh.h"

#define VH_SPEC_MAX_KEYS 24

struct vh_spec {
	const char *text;  /* as typed, for messages */
	char *name;
	unsigned n;
	struct {
		char *key;
		char *val;
		bool used;
	} kv[VH_SPEC_MAX_KEYS];
	char buf[512];
};

int vh_spec_parse(const char *text, struct vh_spec *ret, struct vh_err *err);
/* The value of key (first occurrence), marking it used; NULL if absent. */
const char *vh_spec_get(struct vh_spec *s, const char *key);
/* The i-th value of a key that may repeat (addr=...), marking it used. */
const char *vh_spec_get_nth(struct vh_spec *s, const char *key, unsigned i);
/* -EINVAL naming the first key no one used. */
int vh_spec_check_unused(const struct vh_spec *s, struct vh_err *err);

/* Value parsers: each names the spec and key in its error. */
int vh_parse_cidr(const char *s, uint32_t *ret_addr, unsigned *ret_plen);
int vh_parse_addr(const char *s, uint32_t *ret_addr);
int vh_parse_mac(const char *s, uint8_t ret_mac[6]);
int vh_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* "5%", "5", "0.5%": a percentage as parts per million. */
int vh_parse_percent(const char *s, uint32_t *ret_ppm);

#endif
