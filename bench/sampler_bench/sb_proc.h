/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sb_proc.h - sampler_bench's process and clock helpers: start, reap and
 * capture child programs, pin, sleep, and read per-thread CPU time from
 * /proc/PID/task/TID/schedstat.
 */
#ifndef SOVEREIGN_SB_PROC_H
#define SOVEREIGN_SB_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sampler_bench.h"

#define NS_PER_S        UINT64_C(1000000000)
#define NS_PER_MS       UINT64_C(1000000)

/* struct task_cpu - one thread's CPU time, from its schedstat. */
struct task_cpu {
	int tid;
	char name[SB_NAME_LEN];    /* /proc/PID/task/TID/comm */
	uint64_t ns;               /* field 1: time on a CPU, ns */
	uint64_t runs;             /* field 3: times it was run (~ wake-ups) */
};

/* now_ns() - CLOCK_MONOTONIC in ns.  Context: any. */
uint64_t now_ns(void);

/* sleep_ns() - sleep @ns, resuming after signals.  Context: any thread. */
void sleep_ns(uint64_t ns);

/* pin_to() - pin the calling thread to @cpu.  Return: 0 or -errno. */
int pin_to(int cpu);

/*
 * spawn() - fork and exec @argv[0] (a path) with stdout and stderr appended
 * to @log (NULL: inherited), pinned to @cpu (-1: as the caller), and sent
 * SIGTERM when the bench dies (PR_SET_PDEATHSIG).
 * Return: the child's pid, or -1 with errno.  The caller reaps it.
 */
pid_t spawn(char *const argv[], int cpu, const char *log);

/*
 * reap() - wait for @pid up to @timeout_ns, then SIGKILL it and wait.
 * Return: its wait status, or -1 if it could not be waited for.
 */
int reap(pid_t pid, uint64_t timeout_ns);

/*
 * capture() - run @argv to completion with its stdout into @buf (@len
 * bytes with the NUL; longer output is cut).  Return: 0 if it exited 0, else -1.
 */
int capture(char *const argv[], char *buf, size_t len);

/* print_log() - copy the file @path to stderr, each line indented (failure reports). */
void print_log(const char *path);

/*
 * read_schedstat() - CPU ns and run count of thread @tid of @pid.
 * Return: 0, or -errno (-EIO on an unexpected format).
 */
int read_schedstat(int pid, int tid, uint64_t *ns, uint64_t *runs);

/*
 * read_tasks() - every thread of @pid, at most @max, with name and CPU time.
 * Return: the number filled in (0 if the process is gone).
 */
size_t read_tasks(int pid, struct task_cpu *t, size_t max);

#endif /* SOVEREIGN_SB_PROC_H */
