/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timespec.h - helpers on struct timespec and nanosecond times for the
 * readers and tools (sovereign-fan's period loop first).  The same names
 * and meanings as rt/timespec.h, which the sampler keeps for now with its
 * grid helpers on top; a file includes one of the two, never both.
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

#endif /* SOVEREIGN_COMMON_TIMESPEC_H */
