/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h - smi_jitter's outputs: the summary per mode and the overhead
 * B - A with its confidence interval, as a human table, as JSON (cJSON)
 * and as a plot (gnuplot: gap histogram per mode, stolen time with CI).
 */
#ifndef SOVEREIGN_JIT_REPORT_H
#define SOVEREIGN_JIT_REPORT_H

#include <stdio.h>

#include "results.h"
#include "stats.h"

#define JIT_CI_LEVEL 0.95

/* struct jit_mode_sum - one mode over its runs. */
struct jit_mode_sum {
	int runs;
	struct stats_ci stolen_pct;     /* over runs */
	double seconds;                 /* measured core-seconds */
	double gaps_per_s, max_gap_ns;
	uint64_t hist[JIT_NBUCKETS];
	bool sched_valid;
	uint64_t nivcsw;                /* involuntary switches, summed */
	double run_delay_ns;            /* runqueue wait, summed */
	uint64_t irq[IRQ_NKINDS];
	bool irq_valid[IRQ_NKINDS];
	bool smi_valid;
	uint64_t smi;
	bool ipi_valid;
	struct ipi_counts ipi;          /* summed over runs and cores */
	uint64_t scrapes_ok, scrapes_failed;
};

struct jit_summary {
	struct jit_mode_sum mode[JIT_NMODES];
	bool have_overhead;             /* >= 2 complete A/B pairs */
	struct stats_ci overhead_pct;   /* paired B - A, percentage points */
	bool pass;                      /* overhead_pct.hi < bar */
	/*
	 * Secondary: the same with each run's runqueue wait (time other tasks
	 * held the measured core) taken out of its stolen time.  Robust on a
	 * shared machine, but blind to work the stack makes other tasks do
	 * there (a kworker it wakes on that core).
	 */
	bool have_excl;
	struct stats_ci overhead_excl_pct;
};

/* report_summarize() - @s from @b.  Context: any.  Return: 0 or -ENOMEM. */
int report_summarize(const struct jit_bench *b, struct jit_summary *s);

/* report_table() - the human table on @f. */
void report_table(FILE *f, const struct jit_bench *b, const struct jit_summary *s);

/*
 * report_json() - write @path (cJSON); @gaps adds every kept gap of every
 * run.  Return: 0 or -errno.
 */
int report_json(const char *path, const struct jit_bench *b, const struct jit_summary *s,
		bool gaps);

/*
 * report_plot() - render @path (.svg, else PNG) with gnuplot; the script is
 * kept beside it as @path.gp.  Return: 0, or -errno (-ECHILD: gnuplot
 * failed or is missing).
 */
int report_plot(const char *path, const struct jit_bench *b, const struct jit_summary *s);

#endif /* SOVEREIGN_JIT_REPORT_H */
