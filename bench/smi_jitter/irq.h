/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * irq.h - per-CPU counts of the interrupts that steal time from a busy core
 * (function-call IPIs, local timer, rescheduling IPIs, TLB shootdowns),
 * read from one CPU's column of /proc/interrupts.  Used by smi_jitter
 * before and after each run.
 */
#ifndef SOVEREIGN_JIT_IRQ_H
#define SOVEREIGN_JIT_IRQ_H

#include <stdbool.h>
#include <stdint.h>

enum irq_kind { IRQ_CAL, IRQ_LOC, IRQ_RES, IRQ_TLB, IRQ_NKINDS };

/* The /proc/interrupts row names, in enum irq_kind order. */
extern const char *const irq_kind_name[IRQ_NKINDS];

struct irq_counts {
	uint64_t v[IRQ_NKINDS];
	bool valid[IRQ_NKINDS];         /* the row and the CPU's column exist */
};

/*
 * irq_read() - @cpus[0..@n-1]'s columns of the rows above into @out[0..@n-1].
 * Context: process context (reads a file; never from a measuring thread).
 * Return: 0, or -errno if /proc/interrupts cannot be read or has no header.
 */
int irq_read(const int *cpus, int n, struct irq_counts *out);

#endif /* SOVEREIGN_JIT_IRQ_H */
