/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler_bench.h - the figures sampler_bench measures (one struct per
 * rate, one for the 1 kHz wake-up comparison with cyclictest), shared by
 * the measuring part (sampler_bench.c) and the reporting part (sb_report.c).
 */
#ifndef SOVEREIGN_SAMPLER_BENCH_H
#define SOVEREIGN_SAMPLER_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_stats.h"

#define SB_NRATES     4            /* 1, 10, 100, 1000 Hz */
#define SB_MAX_BACKENDS 16
#define SB_MAX_THREADS  16
#define SB_NAME_LEN     32
/* The goal (issue 14): the whole sampler, all threads, with the shipped
 * configuration on the simulated 2-socket server, at most this much CPU
 * time per second -- half the seed's 0.5 ms/s for all housekeeping. */
#define SB_GOAL_MS_PER_S 0.25
#define SB_HIST_US      2000       /* wake-up histogram buckets, 1 µs each */

/* struct sb_thread - one thread of the sampler over the measured window. */
struct sb_thread {
	char name[SB_NAME_LEN];    /* /proc/PID/task/TID/comm */
	int tid;
	double share_pct;          /* CPU time / wall time, % of one core */
	double wakeups_per_s;      /* schedstat field 3 (times run on a CPU) per second */
};

/* struct sb_backend - one backend's <name>-read-ns channel, cycles with reads only. */
struct sb_backend {
	char name[SB_NAME_LEN];
	struct bench_dist read_ns;
};

/* struct sb_rate - everything measured at one loop rate. */
struct sb_rate {
	unsigned hz;                           /* the loop's grid */
	double window_s;                       /* measured wall time */
	/* CPU, from /proc schedstat (ns on CPU, all threads) */
	double share_pct;                      /* the sampler process */
	double wakeups_per_s;                  /* its threads together */
	double floor_pct;                      /* bare clock_nanosleep loop, same rate, same core */
	double floor_wake_us;                  /* its CPU time per wake-up */
	double own_pct;                        /* share - floor: the sampler's own work */
	size_t nthreads;
	struct sb_thread thr[SB_MAX_THREADS];
	/* from the ring */
	size_t nbackends;
	struct sb_backend be[SB_MAX_BACKENDS];
	struct bench_dist cycle_ns;            /* slot cycle_cost_ns (whole cycle) */
	struct bench_dist wake_ns;             /* sampler-wake-ns */
	struct bench_dist visible_ns;          /* deadline (mono_ns) -> reader sees the slot */
	struct bench_dist change_ns;           /* hwmon file written -> reader sees the value */
	unsigned change_lost;                  /* trials the reader never saw (timeout) */
	unsigned change_period_ms;             /* the changed channel's own period */
	uint64_t missed_samples;               /* ring samples the reader lost (lapped) */
	uint32_t wake_hist[SB_HIST_US + 1];    /* sampler wake, µs buckets; last: overflow */
};

/* struct sb_cyclic - cyclictest beside the sampler at 1 kHz on the same core. */
struct sb_cyclic {
	bool ran;
	struct bench_dist lat_us;              /* its histogram: mean, p50, p99, max */
	uint32_t hist[SB_HIST_US + 1];
};

struct sb_result {
	int cpu, reader_cpu, priority;
	char shipped_conf[256];                /* the shipped configuration measured */
	double duration_s;
	bool rt;                               /* the sampler ran SCHED_FIFO */
	char sim_conf[128];                    /* what the sim simulates, for the header */
	struct sb_rate rate[SB_NRATES];        /* the sim's config at each loop rate */
	struct sb_rate shipped;                /* the shipped configuration (its own rates) */
	struct sb_cyclic ct;
};

/*
 * sb_dist_of_hist() - summary of a histogram of 1-unit buckets, the last
 * one counting everything at or above its index (nearest-rank percentiles;
 * samples: bench_dist_of()).  Context: any.
 */
struct bench_dist sb_dist_of_hist(const uint32_t *hist, size_t nb, double max_seen);

/* sb_print_table() - the human report on @f.  Context: any. */
void sb_print_table(const struct sb_result *r, FILE *f);

/*
 * sb_write_json() - the report as JSON into @path.
 * Return: 0 or -errno (-ENOMEM when cJSON fails to build it).
 */
int sb_write_json(const struct sb_result *r, const char *path);

/*
 * sb_write_plot() - wake-latency histograms (sampler vs cyclictest, 1 kHz)
 * and CPU share per rate (with the floor) through gnuplot into @path;
 * .png gives PNG (pngcairo), anything else SVG.  The script is written to
 * @workdir/plot.gp.  Context: main thread (it starts gnuplot).
 * Return: 0, -errno, or -EIO when gnuplot fails.
 */
int sb_write_plot(const struct sb_result *r, const char *path, const char *workdir);

/*
 * sb_check() - every figure present, positive and finite (the smoke test's
 * assertion); prints each failure on @f.  Return: the number of failures.
 */
int sb_check(const struct sb_result *r, FILE *f);

#endif /* SOVEREIGN_SAMPLER_BENCH_H */
