/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack.h - the sampler configuration smi_jitter runs its stack with: the
 * base configuration (a sovereign-sim's --print-config, or the user's) at
 * the period and housekeeping CPU of the run.  Starting and stopping the
 * stack's processes is bench/common's (bench_proc.h).
 */
#ifndef SOVEREIGN_JIT_STACK_H
#define SOVEREIGN_JIT_STACK_H

/*
 * stack_write_config() - write @out_path: the sampler configuration
 * @base_path followed by a [sampler] section setting period_ms and cpu
 * (common/config.h: a repeated section continues the first, and a repeated key
 * takes its last value, so these override the base).
 * Context: any.  Return: 0 or -errno.
 */
int stack_write_config(const char *base_path, unsigned period_ms, int cpu, const char *out_path);

#endif /* SOVEREIGN_JIT_STACK_H */
