/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_out.c - JSON files and gnuplot runs of the benchmarks (contracts
 * in bench_out.h).
 */
#define _GNU_SOURCE
#include "bench_out.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>

#include "bench_proc.h"

int bench_json_write(cJSON *root, const char *path)
{
	char *text = root ? cJSON_Print(root) : NULL;
	FILE *f;
	int ret = 0;

	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
	} else {
		if (fputs(text, f) < 0 || fputc('\n', f) < 0)
			ret = -EIO;
		if (fclose(f) != 0 && ret == 0)
			ret = -errno;
	}
	cJSON_free(text);
	return ret;
}

int bench_gnuplot(const char *gnuplot, const char *script, int cpu, const char *log,
		  unsigned timeout_ms)
{
	char *argv[] = { (char *)(gnuplot ? gnuplot : "gnuplot"), (char *)script, NULL };

	return bench_run(argv, cpu, log, log, timeout_ms, NULL);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0; /* go on with the rest */
}

void bench_rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
