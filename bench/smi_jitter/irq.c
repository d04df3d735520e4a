/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * irq.c - /proc/interrupts parsing for one CPU's column (see irq.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irq.h"

#define IRQ_MAX_COLS 4096

const char *const irq_kind_name[IRQ_NKINDS] = { "CAL", "LOC", "RES", "TLB" };

int irq_read(const int *cpus, int n, struct irq_counts *out)
{
	int *col;       /* column index of each wanted CPU, -1 if offline */
	char *line = NULL, *tok, *save;
	size_t cap = 0;
	FILE *f;
	int ret = 0, c;

	memset(out, 0, (size_t)n * sizeof(*out));
	col = malloc((size_t)n * sizeof(*col));
	if (!col)
		return -ENOMEM;
	f = fopen("/proc/interrupts", "re");
	if (!f) {
		ret = -errno;
		goto err_free;
	}
	/* Header: "CPU0 CPU1 ...": offline CPUs have no column, so map by name. */
	if (getline(&line, &cap, f) < 0) {
		ret = -EIO;
		goto err_close;
	}
	for (int i = 0; i < n; i++)
		col[i] = -1;
	c = 0;
	for (tok = strtok_r(line, " \t\n", &save); tok && c < IRQ_MAX_COLS;
	     tok = strtok_r(NULL, " \t\n", &save), c++)
		for (int i = 0; i < n; i++)
			if (!strncmp(tok, "CPU", 3) && atoi(tok + 3) == cpus[i])
				col[i] = c;
	while (getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " ");
		int k;

		for (k = 0; k < IRQ_NKINDS; k++)
			if (!strncmp(p, irq_kind_name[k], 3) && p[3] == ':')
				break;
		if (k == IRQ_NKINDS)
			continue;
		c = 0;
		for (tok = strtok_r(p + 4, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save), c++) {
			for (int i = 0; i < n; i++) {
				if (col[i] == c) {
					out[i].v[k] = strtoull(tok, NULL, 10);
					out[i].valid[k] = true;
				}
			}
		}
	}
err_close:
	fclose(f);
	free(line);
err_free:
	free(col);
	return ret;
}
