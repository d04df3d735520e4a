/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smi.h - the SMI count of one CPU, where the machine exposes it: Intel
 * MSR 0x34 through /dev/cpu/N/msr (or a simulated tree's dev/cpu/N/msr),
 * AMD core PMC event 0x2B ls_smi_rx through perf (docs/hardware.md §R3).  Used by
 * smi_jitter to print the SMIs beside the gaps, since a user-space loop
 * cannot tell an SMI from any other stall.
 */
#ifndef SOVEREIGN_JIT_SMI_H
#define SOVEREIGN_JIT_SMI_H

#include <stdbool.h>
#include <stdint.h>

enum smi_kind { SMI_NONE, SMI_MSR, SMI_PERF };

struct smi_src {
	enum smi_kind kind;
	int fd;
	char what[256];         /* the source, or why there is none */
};

/*
 * smi_open() - find @cpu's SMI counter.  @root is a simulated tree (its
 * proc/cpuinfo and dev/cpu/N/msr are used) or NULL for this machine.
 * Context: process context.  Return: 0 with a source, or -errno with
 * @s->kind SMI_NONE and @s->what saying plainly why not.
 * Ownership: smi_close() (also after a failure).
 */
int smi_open(struct smi_src *s, const char *root, int cpu);

/*
 * smi_read() - the current count (MSR: bits 31:0 only).
 * Context: any thread but the measuring ones.  Return: 0 or -errno.
 */
int smi_read(struct smi_src *s, uint64_t *count);

/* smi_delta() - @b - @a, unwrapping the MSR's 32-bit counter. */
uint64_t smi_delta(const struct smi_src *s, uint64_t a, uint64_t b);

/* smi_close() - close the source.  Safe on a closed or failed one. */
void smi_close(struct smi_src *s);

#endif /* SOVEREIGN_JIT_SMI_H */
