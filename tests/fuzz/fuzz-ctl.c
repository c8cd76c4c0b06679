/* fuzz-ctl.c: the control request parser on arbitrary bytes.
 *
 * ctl_parse() must accept or refuse any input without reading out of bounds,
 * and on success hand back a request whose every field is in range: a known
 * command, a prefix length of at most 32, NUL-terminated names. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_err err = {{0}};
	struct ctl_req req;

	if (ctl_parse((const char *)data, size, &req, &err) == 0) {
		assert(req.cmd != NULL);
		assert(req.plen <= 32);
		assert(memchr(req.dev, 0, sizeof(req.dev)) != NULL);
		assert(memchr(req.scope, 0, sizeof(req.scope)) != NULL);
		assert(memchr(req.path, 0, sizeof(req.path)) != NULL);
		assert(memchr(req.filter, 0, sizeof(req.filter)) != NULL);
	} else {
		/* A refusal always says why, on one line. */
		assert(err.msg[0] != 0);
		assert(strchr(err.msg, '\n') == NULL);
	}
	return 0;
}
