/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.c - Student-t confidence interval of a mean (see stats.h).
 */
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "stats.h"

int stats_mean_ci(const double *x, int n, double level, struct stats_ci *ci)
{
	double sum = 0.0, ss = 0.0, half;

	ci->n = n;
	ci->level = level;
	ci->mean = ci->sd = ci->lo = ci->hi = 0.0;
	if (n < 1)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		sum += x[i];
	ci->mean = sum / n;
	ci->lo = ci->hi = ci->mean;
	if (n < 2)
		return 0;
	for (int i = 0; i < n; i++)
		ss += (x[i] - ci->mean) * (x[i] - ci->mean);
	ci->sd = sqrt(ss / (n - 1));
	half = gsl_cdf_tdist_Pinv(0.5 + level / 2.0, n - 1) * ci->sd / sqrt((double)n);
	ci->lo = ci->mean - half;
	ci->hi = ci->mean + half;
	return 0;
}
