/* log.c: log lines in the microps manner, through each stack's sink. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"
#include "stack.h"

static const char level_chars[] = "EWIDT";

/* Per-packet lines (drops) may burst to this many, refilled at this rate per second. */
#define LOG_RL_BURST 20
#define LOG_RL_PER_SEC 10

int vh_log_enabled(const struct vh_stack *st, enum vh_log_level level)
{
	return st ? level <= st->log.level : level <= VH_LOG_INFO;
}

static const char *short_path(const char *file)
{
	/* Build systems hand us "../src/arp.c"; the reader wants "src/arp.c". */
	while (file[0] == '.' && file[1] == '.' && file[2] == '/')
		file += 3;
	return file;
}

static void emit(struct vh_stack *st, enum vh_log_level level, const char *line)
{
	if (st && st->log.sink)
		st->log.sink(st->log.arg, level, line);
	else
		fprintf(stderr, "%s\n", line);
}

void vh_logf(struct vh_stack *st, enum vh_log_level level, const char *func, const char *file,
	     int line, const char *fmt, ...)
{
	char msg[768], out[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%02d:%02d:%02d.%03d %s[%c] %s: %s (%s:%d)", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)(tv.tv_usec / 1000), st ? st->log.prefix : "",
		 level_chars[level <= VH_LOG_TRACE ? level : VH_LOG_TRACE], func, msg,
		 short_path(file), line);
	emit(st, level, out);
}

int vh_log_ratelimit(struct vh_stack *st)
{
	struct vh_log *l = &st->log;
	uint64_t now = vh_now(st);
	uint64_t refill = (now - l->rl_last_ns) / (VH_SEC / LOG_RL_PER_SEC);

	if (refill) {
		l->rl_tokens = l->rl_tokens + refill > LOG_RL_BURST ? LOG_RL_BURST
								    : l->rl_tokens + (unsigned)refill;
		l->rl_last_ns = now;
	}
	if (l->rl_tokens == 0) {
		l->rl_suppressed++;
		return 0;
	}
	l->rl_tokens--;
	return 1;
}

void vh_log_hexdump(struct vh_stack *st, const char *func, const char *file, int line,
		    const void *data, size_t len)
{
	const uint8_t *p = data;
	char row[16 * 3 + 16 + 16];

	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16, w = 0;
		for (size_t i = 0; i < 16; i++)
			w += (size_t)snprintf(row + w, sizeof(row) - w, i < n ? "%02x " : "   ",
					      i < n ? p[off + i] : 0);
		for (size_t i = 0; i < n; i++)
			row[w++] = p[off + i] >= 0x20 && p[off + i] < 0x7f ? (char)p[off + i] : '.';
		row[w] = 0;
		vh_logf(st, VH_LOG_TRACE, func, file, line, "%04zx: %s", off, row);
	}
}

const char *vh_addr_str(uint32_t addr_be, char buf[VH_ADDR_STR])
{
	const uint8_t *b = (const uint8_t *)&addr_be;
	snprintf(buf, VH_ADDR_STR, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

const char *vh_mac_str(const uint8_t mac[6], char buf[VH_MAC_STR])
{
	snprintf(buf, VH_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}

int vh_err_set(struct vh_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code > 0 ? -code : code;
}

enum vh_log_level vh_log_level_parse(const char *s, bool *ok)
{
	static const char *const names[] = {"error", "warn", "info", "debug", "trace"};

	*ok = true;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i]))
			return (enum vh_log_level)i;
	if (!strcasecmp(s, "warning"))
		return VH_LOG_WARN;
	*ok = false;
	return VH_LOG_INFO;
}
