/* tool.h: what the programs in tools/ share: the one-line error a user sees. */
#ifndef VH_TOOL_H
#define VH_TOOL_H

#include <stdarg.h>
#include <stdio.h>

/* Print "PROG: message" on stderr and return 2, the usage-error exit status.
 * Each program defines TOOL_NAME before including this header. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs(TOOL_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

#endif
