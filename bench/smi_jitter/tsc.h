/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tsc.h - the time base of smi_jitter: rdtscp, the TSC frequency calibrated
 * against CLOCK_MONOTONIC_RAW, and the cpuinfo flags that make the TSC a
 * trustworthy clock (constant_tsc, nonstop_tsc).
 */
#ifndef SOVEREIGN_JIT_TSC_H
#define SOVEREIGN_JIT_TSC_H

#include <stdbool.h>
#include <stdint.h>
#include <x86intrin.h>

/*
 * tsc_now() - the TSC, read with rdtscp (waits for earlier instructions to
 * finish, so back-to-back reads bracket the work between them).
 * Context: any thread; RT-safe (one instruction, no system call).
 */
static inline uint64_t tsc_now(void)
{
	unsigned int aux;

	return __rdtscp(&aux);
}

/* struct tsc_info - what the tool knows about its clock. */
struct tsc_info {
	double hz;              /* calibrated TSC ticks per second */
	bool constant;          /* cpuinfo flag constant_tsc: rate independent of P-state */
	bool nonstop;           /* cpuinfo flag nonstop_tsc: ticks in deep C-states */
	bool flags_read;        /* /proc/cpuinfo was readable */
};

/*
 * tsc_calibrate() - measure the TSC rate over @ms milliseconds against
 * CLOCK_MONOTONIC_RAW (not slewed by NTP) and read the cpuinfo flags.
 * Context: process context (sleeps).  Return: 0, or -errno.
 */
int tsc_calibrate(struct tsc_info *ti, unsigned ms);

/* tsc_to_ns() - @cycles at @ti's rate, in ns. */
static inline double tsc_to_ns(const struct tsc_info *ti, uint64_t cycles)
{
	return (double)cycles * 1e9 / ti->hz;
}

#endif /* SOVEREIGN_JIT_TSC_H */
