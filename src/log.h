/* log.h: microps-style log lines: time, level, function, message, file:line.
 *
 *   21:58:03.114 [I] arp_input: reply 192.0.2.1 is-at 02:00:00:00:00:01 (src/arp.c:212)
 *
 * Every line goes through the stack's sink, so two stacks in one process log
 * independently. Formatting happens only when the level is enabled. */
#ifndef VH_LOG_H
#define VH_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "vh.h"

struct vh_log {
	enum vh_log_level level;
	vh_log_sink sink;
	void *arg;
	char prefix[24]; /* stack name in brackets, or empty */
	/* Token bucket for per-packet debug lines (drops), so a flood cannot flood the log. */
	uint64_t rl_last_ns;
	unsigned rl_tokens;
	uint64_t rl_suppressed;
};

void vh_logf(struct vh_stack *st, enum vh_log_level level, const char *func, const char *file,
	     int line, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int vh_log_enabled(const struct vh_stack *st, enum vh_log_level level);
/* True when a rate-limited per-packet line may be printed now. */
int vh_log_ratelimit(struct vh_stack *st);
void vh_log_hexdump(struct vh_stack *st, const char *func, const char *file, int line,
		    const void *data, size_t len);

#define vh_log_at(st, lvl, ...)                                                                    \
	do {                                                                                       \
		if (vh_log_enabled((st), (lvl)))                                                   \
			vh_logf((st), (lvl), __func__, __FILE__, __LINE__, __VA_ARGS__);            \
	} while (0)

#define errorf(st, ...) vh_log_at(st, VH_LOG_ERROR, __VA_ARGS__)
#define warnf(st, ...) vh_log_at(st, VH_LOG_WARN, __VA_ARGS__)
#define infof(st, ...) vh_log_at(st, VH_LOG_INFO, __VA_ARGS__)
#define debugf(st, ...) vh_log_at(st, VH_LOG_DEBUG, __VA_ARGS__)
#define tracef(st, ...) vh_log_at(st, VH_LOG_TRACE, __VA_ARGS__)
#define vh_dump(st, data, len)                                                                     \
	do {                                                                                       \
		if (vh_log_enabled((st), VH_LOG_TRACE))                                            \
			vh_log_hexdump((st), __func__, __FILE__, __LINE__, (data), (len));         \
	} while (0)

/* Format helpers; buffers are the caller's. */
#define VH_ADDR_STR 16
#define VH_MAC_STR 18
const char *vh_addr_str(uint32_t addr_be, char buf[VH_ADDR_STR]);
const char *vh_mac_str(const uint8_t mac[6], char buf[VH_MAC_STR]);

/* Set err (may be NULL) and return -code. */
int vh_err_set(struct vh_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
