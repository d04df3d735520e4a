/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_proc.c - a server's memory from /proc for exporter_bench (contract in
 * eb_proc.h).
 */
#define _GNU_SOURCE
#include "eb_proc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

int eb_mem_kb(pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %" SCNu64, rss_kb) == 1)
			found |= 1;
		else if (sscanf(line, "VmHWM: %" SCNu64, hwm_kb) == 1)
			found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -ENODATA;
}
