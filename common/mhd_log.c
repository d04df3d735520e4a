// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mhd_log.c - the rate-limited libmicrohttpd logger (mhd_log.h), shared by
 * sovereign-exporter and sovereign-fleet's API.
 */
#include "mhd_log.h"

#include <stdio.h>
#include <string.h>

void sov_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sov_mhd_log *l = cls;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec >= l->next) {
		l->burst = 0;
		l->next = now.tv_sec + SOV_MHD_LOG_INTERVAL_S;
	}
	if (l->burst >= SOV_MHD_LOG_BURST) {
		l->suppressed++;
		return;
	}
	l->burst++;
	if (l->suppressed) {
		fprintf(stderr, "%s%lu similar messages suppressed\n", l->prefix, l->suppressed);
		l->suppressed = 0;
	}
	fputs(l->prefix, stderr);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}
