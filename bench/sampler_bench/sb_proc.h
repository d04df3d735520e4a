/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sb_proc.h - sampler_bench's own process and clock helpers: sleep, capture
 * a child program's output, show a child's log.  Starting, stopping and
 * pinning children, the clock and per-thread CPU time come from bench/common
 * (bench_proc.h, bench_cpu.h).
 */
#ifndef SOVEREIGN_SB_PROC_H
#define SOVEREIGN_SB_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NS_PER_S        UINT64_C(1000000000)
#define NS_PER_MS       UINT64_C(1000000)

/* sleep_ns() - sleep @ns, resuming after signals.  Context: any thread. */
void sleep_ns(uint64_t ns);

/*
 * capture() - run @argv to completion with its stdout into @buf (@len
 * bytes with the NUL; longer output is cut).  Return: 0 if it exited 0, else -1.
 */
int capture(char *const argv[], char *buf, size_t len);

/* print_log() - copy the file @path to stderr, each line indented (failure reports). */
void print_log(const char *path);

#endif /* SOVEREIGN_SB_PROC_H */
