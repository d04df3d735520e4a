/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - mean and Student-t confidence interval (GSL quantile), used by
 * smi_jitter for each mode's stolen time and for the paired differences
 * B - A of alternating runs.
 */
#ifndef SOVEREIGN_JIT_STATS_H
#define SOVEREIGN_JIT_STATS_H

/* struct stats_ci - mean of n values and its two-sided confidence interval. */
struct stats_ci {
	int n;
	double mean, sd;        /* sd: sample standard deviation (n - 1) */
	double lo, hi;          /* mean -/+ t(level, n - 1) sd / sqrt(n); = mean if n < 2 */
	double level;           /* e.g. 0.95 */
};

/*
 * stats_mean_ci() - @ci for @x[0..@n-1] at confidence @level (0 < level < 1).
 * Context: any.  Return: 0, or -EINVAL if @n < 1 (lo/hi equal the mean
 * when @n == 1: no interval from one value).
 */
int stats_mean_ci(const double *x, int n, double level, struct stats_ci *ci);

#endif /* SOVEREIGN_JIT_STATS_H */
