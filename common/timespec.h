/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timespec.h - helpers on struct timespec and nanosecond times, one copy
 * for every program: conversions, comparison, and the absolute-grid
 * deadlines the sampler's threads and sovereign-fan's loop wake on.
 * Pure and inline: any context, the real-time loop's included.
 */
#ifndef SOVEREIGN_COMMON_TIMESPEC_H
#define SOVEREIGN_COMMON_TIMESPEC_H

#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000ull

/* ts_to_ns() - @ts in ns (@ts not before the epoch of its clock). */
static inline uint64_t ts_to_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

/* ts_from_ns() - @ns as a normalised timespec. */
static inline struct timespec ts_from_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NSEC_PER_SEC),
			       .tv_nsec = (long)(ns % NSEC_PER_SEC) };
	return ts;
}

/* ts_add_ns() - advance @ts by @ns, keeping tv_nsec in [0, 1e9). */
static inline void ts_add_ns(struct timespec *ts, uint64_t ns)
{
	*ts = ts_from_ns(ts_to_ns(ts) + ns);
}

/*
 * ts_now_ns() - clock @clk now, in ns.  CLOCK_MONOTONIC and CLOCK_REALTIME
 * are vDSO calls (no system call) and cannot fail with a valid clock id.
 */
static inline uint64_t ts_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts_to_ns(&ts);
}

/* ts_cmp() - <0, 0, >0 as @a is before, equal to or after @b. */
static inline int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* ts_diff_ns() - @a - @b in ns, signed. */
static inline int64_t ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * (int64_t)NSEC_PER_SEC +
	       (int64_t)(a->tv_nsec - b->tv_nsec);
}

/*
 * ts_next_deadline() - the first deadline after @now on the grid
 * @next + k * @period (k >= 1), adding the deadlines skipped to *@missed
 * (the catch-up after an oversleep, as cyclictest does).  @next is the
 * deadline just served.  Return: the next deadline in ns.
 */
static inline uint64_t ts_next_deadline(uint64_t next, uint64_t period, uint64_t now,
					uint64_t *missed)
{
	next += period;
	if (now >= next) {
		uint64_t k = (now - next) / period + 1;

		*missed += k;
		next += k * period;
	}
	return next;
}

/*
 * ts_grid_next() - the first multiple of @period after @now: the absolute
 * grid every periodic thread of the sampler wakes on.  Threads whose
 * periods are multiples of each other then wake at the same instants,
 * one timer interrupt and one wake-up of the core for all of them.
 * Return: ns.
 */
static inline uint64_t ts_grid_next(uint64_t now, uint64_t period)
{
	return (now / period + 1) * period;
}

#endif /* SOVEREIGN_COMMON_TIMESPEC_H */
