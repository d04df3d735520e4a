/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * measure.h - the measuring loop of smi_jitter: a busy loop reading the TSC
 * on one pinned core, recording every gap between two reads longer than a
 * threshold (count, stolen time, max, log-scale histogram, and a bounded
 * list of the individual gaps).  Like the kernel's hwlat tracer and
 * sysjitter, but per core and in user space.
 */
#ifndef SOVEREIGN_JIT_MEASURE_H
#define SOVEREIGN_JIT_MEASURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsc.h"

/* Histogram edges in ns: a 1-2-5 series, bucket i is [edge[i-1], edge[i]). */
#define JIT_NBUCKETS 21         /* < 100 ns, ..., >= 500 ms */
extern const double jit_bucket_edge_ns[JIT_NBUCKETS - 1];

/* struct jit_gap - one gap: where (TSC at its start) and how long. */
struct jit_gap {
	uint64_t tsc;           /* TSC read before the gap */
	uint64_t cycles;        /* its length, TSC ticks */
};

/*
 * struct jit_core_run - one core's result of one run.  Written only by the
 * measuring thread while it runs; read by others after pthread_join (which
 * orders it).  @gaps is preallocated (and prefaulted) by jit_core_alloc().
 */
struct jit_core_run {
	_Alignas(64) int cpu;          /* own cache lines: one writer per core */
	uint64_t start_tsc, end_tsc;
	uint64_t count;                 /* gaps above the threshold */
	uint64_t stolen;                /* their total, TSC ticks */
	uint64_t max;                   /* the longest, TSC ticks */
	uint64_t loops;                 /* iterations of the loop */
	uint64_t nivcsw;                /* involuntary context switches during the loop */
	uint64_t run_delay_ns;          /* time runnable but waiting for the CPU (schedstat) */
	bool sched_valid;               /* the two above could be read */
	uint64_t hist[JIT_NBUCKETS];
	struct jit_gap *gaps;           /* the first @gaps_cap gaps, in order */
	size_t gaps_cap, ngaps;
	int err;                        /* 0, or -errno from pinning */
};

/* struct jit_measure_args - what one measuring thread needs; read-only while it runs. */
struct jit_measure_args {
	struct jit_core_run *r;
	uint64_t threshold;             /* TSC ticks */
	uint64_t bucket_edge[JIT_NBUCKETS - 1];  /* in TSC ticks */
	uint64_t duration;              /* TSC ticks */
	int fifo_prio;                  /* > 0: run the loop SCHED_FIFO at this priority */
	const atomic_bool *stop;        /* set by a signal: end early */
	pthread_barrier_t *go;          /* all threads start together */
};

/*
 * jit_core_alloc() - preallocate and prefault @r's gap list for @cap gaps.
 * Context: process context, before the run.  Return: 0 or -ENOMEM.
 * Ownership: jit_core_free().
 */
int jit_core_alloc(struct jit_core_run *r, int cpu, size_t cap);

/* jit_core_reset() - clear @r's results, keep its buffer. */
void jit_core_reset(struct jit_core_run *r);

/* jit_core_free() - release @r's gap list. */
void jit_core_free(struct jit_core_run *r);

/* jit_measure_set_edges() - fill @a's bucket edges from ns to @ti's ticks. */
void jit_measure_set_edges(struct jit_measure_args *a, const struct tsc_info *ti);

/*
 * jit_measure_thread() - pthread start routine: pin to @a->r->cpu (and
 * switch to SCHED_FIFO @a->fifo_prio if set), wait at
 * @a->go, then loop on the TSC for @a->duration ticks (or until *@a->stop).
 * The loop neither allocates nor makes system calls.
 * Context: its own thread.  Return: NULL; @a->r->err says if pinning or the policy failed.
 */
void *jit_measure_thread(void *a);

#endif /* SOVEREIGN_JIT_MEASURE_H */
