/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_cpu.h - CPU time of a process and of its threads, from
 * /proc/PID/task/TID/schedstat (field 1: ns on a CPU; field 3: times it
 * was run, about its wake-ups).  Used by exporter_bench (a server's CPU per
 * scrape) and sampler_bench (the sampler's share of its core).
 */
#ifndef SOVEREIGN_BENCH_CPU_H
#define SOVEREIGN_BENCH_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_TASK_NAME_LEN 32

/* struct bench_task - one thread's CPU time, from its schedstat. */
struct bench_task {
	int tid;
	char name[BENCH_TASK_NAME_LEN]; /* /proc/PID/task/TID/comm; "?" if unreadable */
	uint64_t ns;                    /* field 1: time on a CPU, ns */
	uint64_t runs;                  /* field 3: times it was run (~ wake-ups) */
};

/*
 * bench_schedstat() - CPU ns and run count of thread @tid of process @pid.
 * Context: any.  Return: 0, or -errno (-ENOENT: no such thread; -EIO on an
 * unexpected format); on error *@ns and *@runs are 0.
 */
int bench_schedstat(pid_t pid, pid_t tid, uint64_t *ns, uint64_t *runs);

/*
 * bench_cpu_ns() - CPU time of every live thread of @pid, summed.  Threads
 * that exited earlier are not counted (take differences over threads that
 * live through the interval, or over a process whose threads do).
 * Context: any.  Return: 0 with *@ns set, or -errno (no such process).
 */
int bench_cpu_ns(pid_t pid, uint64_t *ns);

/*
 * bench_tasks() - every live thread of @pid, at most @max, with its name and
 * CPU time into @t[].  Context: any.  Return: the number filled in (0 if the
 * process is gone).
 */
size_t bench_tasks(pid_t pid, struct bench_task *t, size_t max);

#endif /* SOVEREIGN_BENCH_CPU_H */
