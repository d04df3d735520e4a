/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_proc.h - child processes and /proc accounting for exporter_bench: spawn
 * a server that dies with the bench, stop it, find a free loopback port, and
 * read a process's CPU time and memory.  Used by exporter_bench.c only.
 */
#ifndef EB_PROC_H
#define EB_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * eb_spawn: fork and exec @argv (argv[0] is a path) with stdin on /dev/null,
 * stdout appended to @out_path and stderr to @err_path (the same file when
 * the paths are equal; NULL means /dev/null).  The child gets
 * PR_SET_PDEATHSIG(SIGKILL), so it dies with the bench even if the bench is
 * SIGKILLed; call only from the bench's single thread (the death signal
 * follows the forking thread).  @cpu >= 0 pins the child to that CPU.
 * Context: the main thread.  Return: the child's pid, or -errno (the fork
 * failed).  An exec failure shows as the child exiting with status 127 and a
 * line in @err_path.  The caller reaps the child (eb_stop() or waitpid()).
 */
pid_t eb_spawn(char *const argv[], const char *out_path, const char *err_path, int cpu);

/*
 * eb_exited: has @pid exited?  Reaps it if so and stores its wait status in
 * *@status (may be NULL).  Return: true if it exited (or is not our child).
 */
bool eb_exited(pid_t pid, int *status);

/*
 * eb_wait_ms: wait up to @ms for @pid to exit and reap it.
 * Return: 0 with *@status set, or -ETIMEDOUT (the child still runs).
 */
int eb_wait_ms(pid_t pid, unsigned ms, int *status);

/*
 * eb_stop: SIGTERM @pid, wait up to @grace_ms, then SIGKILL, and reap it.
 * Harmless on a pid already reaped or <= 0.  Context: main thread.
 */
void eb_stop(pid_t pid, unsigned grace_ms);

/*
 * eb_free_port: a TCP port on 127.0.0.1 that was free a moment ago (bind to
 * port 0, read it back, close).  Return: the port, or -errno.
 */
int eb_free_port(void);

/*
 * eb_cpu_ns: CPU time of every live thread of @pid, from the first field of
 * /proc/PID/task/TID/schedstat (ns on a CPU).  Threads that exited earlier
 * are not counted.  Return: 0 with *@ns set, or -errno (no such process).
 */
int eb_cpu_ns(pid_t pid, uint64_t *ns);

/*
 * eb_mem_kb: VmRSS and VmHWM of @pid from /proc/PID/status, in KiB.
 * Return: 0, or -errno (-ENODATA if a field is missing).
 */
int eb_mem_kb(pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb);

/* eb_pin_self: pin the calling thread to @cpu.  Return: 0 or -errno. */
int eb_pin_self(int cpu);

/* eb_now_ns: CLOCK_MONOTONIC in ns. */
uint64_t eb_now_ns(void);

#endif /* EB_PROC_H */
