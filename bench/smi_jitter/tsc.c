/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tsc.c - TSC calibration against CLOCK_MONOTONIC_RAW and the cpuinfo
 * constant_tsc/nonstop_tsc check (see tsc.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tsc.h"

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Both clocks read back to back; the pair with the shortest bracket wins. */
static void pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	*tsc = 0;
	*ns = 0;
	for (int i = 0; i < 16; i++) {
		uint64_t a = tsc_now(), n = raw_ns(), b = tsc_now();

		if (i == 0 || b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = n;
		}
	}
}

static void read_flags(struct tsc_info *ti)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		/* The flags line lists words separated by spaces. */
		ti->constant = strstr(line, " constant_tsc") != NULL;
		ti->nonstop = strstr(line, " nonstop_tsc") != NULL;
		ti->flags_read = true;
		break;  /* the first CPU's flags: the TSC flags are global */
	}
	fclose(f);
}

int tsc_calibrate(struct tsc_info *ti, unsigned ms)
{
	struct timespec d = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	uint64_t t0, n0, t1, n1;
	int ret;

	memset(ti, 0, sizeof(*ti));
	read_flags(ti);
	pair(&t0, &n0);
	ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
	if (ret)
		return -ret;
	pair(&t1, &n1);
	if (n1 <= n0 || t1 <= t0)
		return -EINVAL;
	ti->hz = (double)(t1 - t0) * 1e9 / (double)(n1 - n0);
	return 0;
}
