/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_stats.h - the summary of a set of samples that the benchmarks
 * report: count, mean, median, 99th percentile and maximum (GSL quantiles,
 * interpolated between neighbouring samples).  Used by exporter_bench
 * (scrape latencies) and sampler_bench (cycle cost, wake-up and end-to-end
 * latency).
 */
#ifndef SOVEREIGN_BENCH_STATS_H
#define SOVEREIGN_BENCH_STATS_H

#include <stddef.h>

/* struct bench_dist - a distribution summary, in the unit of the samples. */
struct bench_dist {
	size_t n;
	double mean, p50, p99, max;
};

/*
 * bench_dist_of() - the summary of @n samples in @v, which it sorts in
 * place (ascending).  Context: any; no allocation.  Return: the summary;
 * n = 0 and NaN figures when @n is 0.
 */
struct bench_dist bench_dist_of(double *v, size_t n);

#endif /* SOVEREIGN_BENCH_STATS_H */
