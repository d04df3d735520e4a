/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * results.h - what one smi_jitter benchmark produced: the runs of each
 * mode, per measured core, with the interrupt, SMI and IPI counts beside
 * the gaps.  Filled by main.c, printed by report.c (table, JSON, plot).
 */
#ifndef SOVEREIGN_JIT_RESULTS_H
#define SOVEREIGN_JIT_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ipitrace.h"
#include "irq.h"
#include "measure.h"
#include "smi.h"
#include "tsc.h"

enum jit_mode { JIT_BASELINE, JIT_LOADED, JIT_NMODES };

/* struct jit_cell - one measured core in one run. */
struct jit_cell {
	int cpu;
	double dur_ns;                  /* the loop's own span */
	double stolen_ns, max_ns;
	uint64_t count, loops;
	bool sched_valid;
	uint64_t nivcsw;                /* involuntary switches: other tasks took the core */
	double run_delay_ns;            /* of which, time waiting on the runqueue */
	uint64_t hist[JIT_NBUCKETS];
	uint64_t irq[IRQ_NKINDS];       /* deltas over the run */
	bool irq_valid[IRQ_NKINDS];
	bool smi_valid;
	uint64_t smi;                   /* delta over the run */
	bool ipi_valid;
	struct ipi_counts ipi;
	size_t ngaps;                   /* kept gaps (JSON gap list), owned */
	double *gap_t_ns, *gap_len_ns;  /* start since the run's start, length */
	uint64_t gaps_dropped;          /* gaps beyond the bounded list */
};

/* struct jit_run - one run (all cores measured at once). */
struct jit_run {
	enum jit_mode mode;
	int pair;                       /* index of the A/B pair, or of the run */
	double start_s;                 /* since the benchmark started */
	uint64_t scrapes_ok, scrapes_failed;
	struct jit_cell *cell;          /* [ncpus], owned */
};

struct jit_bench {
	/* the setup */
	int ncpus;
	int *cpus;                      /* measured */
	int hk_cpu;                     /* housekeeping: sampler, exporter, scraper, us */
	int fifo_prio;                  /* measuring loops' SCHED_FIFO priority, 0: SCHED_OTHER */
	double duration_s, threshold_ns, rate_hz, scrape_hz, bar_pct;
	bool modes[JIT_NMODES];         /* which modes ran */
	char mode_label[JIT_NMODES][96];
	char sampler_config[512];       /* the base configuration used */
	struct tsc_info tsc;
	char (*smi_what)[256];          /* [ncpus]: SMI source or why none */
	char ipi_what[256];
	bool ipi_on;
	/* the runs, in the order they ran */
	struct jit_run *runs;
	int nruns;
};

/* jit_run_stolen_pct() - stolen time of @r over all its cores, % of the span. */
double jit_run_stolen_pct(const struct jit_bench *b, const struct jit_run *r);

#endif /* SOVEREIGN_JIT_RESULTS_H */
