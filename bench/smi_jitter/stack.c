/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack.c - smi_jitter's sampler configuration with a new period and CPU
 * (see stack.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "stack.h"

int stack_write_config(const char *base_path, unsigned period_ms, int cpu, const char *out_path)
{
	FILE *in, *out;
	char buf[4096];
	size_t n;
	int ret = 0;

	in = fopen(base_path, "re");
	if (!in)
		return -errno;
	out = fopen(out_path, "we");
	if (!out) {
		ret = -errno;
		goto err_close_in;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fprintf(out, "\n# smi_jitter: overrides the base configuration above.\n"
		"[sampler]\nperiod_ms = %u\ncpu = %d\n", period_ms, cpu);
	if (ferror(in) || ferror(out))
		ret = -EIO;
	if (fclose(out) && !ret)
		ret = -errno;
err_close_in:
	fclose(in);
	return ret;
}
