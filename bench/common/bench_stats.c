/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_stats.c - distribution summaries with GSL (contract in bench_stats.h).
 */
#include "bench_stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

struct bench_dist bench_dist_of(double *v, size_t n)
{
	struct bench_dist d = { .n = n, .mean = NAN, .p50 = NAN, .p99 = NAN, .max = NAN };

	if (!n)
		return d;
	gsl_sort(v, 1, n);
	d.mean = gsl_stats_mean(v, 1, n);
	d.p50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.50);
	d.p99 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.99);
	d.max = v[n - 1];
	return d;
}
