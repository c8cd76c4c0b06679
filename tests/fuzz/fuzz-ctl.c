/* fuzz-ctl.c: control requests on arbitrary bytes, parsed and then run.
 *
 * ctl_parse() must accept or refuse any input without reading out of bounds,
 * and on success hand back a request whose every field is in range: a known
 * command, a prefix length of at most 32, NUL-terminated names. Whatever it
 * accepts is then run against a fresh stack with one NIC and rendered both
 * ways, so the commands and the renderer see every request the parser lets
 * through; the reply must always be framed. A request that names a file
 * (capture start) is only parsed: the fuzzer must not write files. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *line, size_t len)
{
	struct vh_stack_config cfg;
	struct vh_stack *st;
	struct ctl_buf out = {0};
	unsigned long n;
	const char *nl;

	vh_stack_config_init(&cfg);
	cfg.log_level = VH_LOG_ERROR;
	cfg.pkt_count = 16;
	cfg.big_pkt_count = 1;
	if (vh_stack_new(&cfg, &st) < 0)
		return;
	if (vh_stack_add_nic(st, "null0,addr=192.0.2.2/24", NULL, NULL) == 0) {
		ctl_handle(st, line, len, &out);
		assert(out.p);
		nl = strchr(out.p, '\n');
		assert(nl);
		assert(sscanf(out.p, "%*[a-z] %lu", &n) == 1);
		assert(n == out.len - (size_t)(nl + 1 - out.p));
	}
	ctl_buf_free(&out);
	vh_stack_free(st);
}

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
		/* A request that names a file (capture start) is parsed, not
		 * run: a fuzzer must not create or truncate files it invents. */
		if (!req.path[0])
			run((const char *)data, size);
	} else {
		/* A refusal always says why, on one line. */
		assert(err.msg[0] != 0);
		assert(strchr(err.msg, '\n') == NULL);
	}
	return 0;
}
