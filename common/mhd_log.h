/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhd_log.h - libmicrohttpd's messages on stderr, rate-limited, for the two
 * HTTP servers (sovereign-exporter, sovereign-fleet's API): a flood makes
 * libmicrohttpd say "Server reached connection limit" once per refused
 * connection, and the journal must not become the flood's amplifier.
 */
#ifndef SOVEREIGN_COMMON_MHD_LOG_H
#define SOVEREIGN_COMMON_MHD_LOG_H

#include <stdarg.h>
#include <time.h>

#define SOV_MHD_LOG_BURST      10 /* lines let through at once */
#define SOV_MHD_LOG_INTERVAL_S 10 /* then one line per this many seconds */

/*
 * struct sov_mhd_log - one server's logger state; set only @prefix
 * (SOV_MHD_LOG_INIT) and keep it alive as long as the daemon.
 */
struct sov_mhd_log {
	const char *prefix;       /* "sovereign-exporter: libmicrohttpd: " */
	unsigned long suppressed; /* lines dropped since the last one printed */
	unsigned burst;           /* lines printed in this interval */
	time_t next;              /* CLOCK_MONOTONIC second the interval ends */
};

#define SOV_MHD_LOG_INIT(p) { .prefix = (p) }

/*
 * sov_mhd_log() - the MHD_OPTION_EXTERNAL_LOGGER callback; @cls is a
 * struct sov_mhd_log.  Prints @fmt on stderr after the prefix (a newline
 * added if missing): a burst of SOV_MHD_LOG_BURST lines, then one per
 * SOV_MHD_LOG_INTERVAL_S, the first after a gap saying how many were
 * suppressed.  Printing is this function's job, so it is the exception to
 * "libraries do not print".
 * Context: libmicrohttpd's one polling thread (every MHD callback of a
 * daemon without a thread per connection runs there); one state per daemon,
 * no locking.
 */
__attribute__((format(printf, 2, 0)))
void sov_mhd_log(void *cls, const char *fmt, va_list ap);

#endif /* SOVEREIGN_COMMON_MHD_LOG_H */
