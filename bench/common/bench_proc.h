/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_proc.h - the child processes of a benchmark: start one pinned, with
 * its output in a log, that dies with the bench; see whether it still runs,
 * wait for it, stop and reap it; run one to completion; find the programs;
 * a free loopback port for a server it starts; the clock and pinning the
 * waits use.  Shared by bench/smi_jitter, exporter_bench and sampler_bench.
 */
#ifndef SOVEREIGN_BENCH_PROC_H
#define SOVEREIGN_BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* bench_now_ns() - CLOCK_MONOTONIC in ns.  Context: any. */
uint64_t bench_now_ns(void);

/* bench_pin_self() - pin the calling thread to @cpu.  Context: any thread.  Return: 0 or -errno. */
int bench_pin_self(int cpu);

/*
 * bench_spawn() - fork and exec @argv (argv[0] is a path, or a name looked
 * up in PATH) with stdin on /dev/null, stdout appended to @out_path (NULL:
 * /dev/null) and stderr appended to @err_path (the same open file when the
 * two paths are equal; NULL: the bench's stderr).  Files are created 0644.
 * @cpu >= 0 pins the child to that CPU before exec (-1: the caller's
 * affinity).  SIGPIPE, SIGINT and SIGTERM are reset to their defaults.
 * The child gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the bench even
 * when the bench is SIGKILLed; the death signal follows the forking thread,
 * so call it from the thread that lives as long as the bench (main).
 * Context: process context, main thread.  Return: the child's pid, or
 * -errno (the fork failed).  A failed redirect, pin or exec shows as the
 * child exiting with status 127 (an exec failure also with a line on its
 * stderr).  Ownership: the caller reaps the child (bench_stop(),
 * bench_reap(), bench_wait_ms() or bench_alive()).
 */
pid_t bench_spawn(char *const argv[], int cpu, const char *out_path, const char *err_path);

/*
 * bench_alive() - whether the child @pid still runs; reaps it if it exited.
 * Context: the parent.  Return: 1 running; 0 exited and reaped (*@status
 * set when non-NULL); -EINVAL for @pid <= 0; -errno of waitpid (-ECHILD:
 * not our child, or already reaped).
 */
int bench_alive(pid_t pid, int *status);

/*
 * bench_wait_ms() - wait up to @ms for the child @pid to exit (polling every
 * 5 ms) and reap it.  Context: the parent.  Return: 0 with *@status set
 * (when non-NULL); -ETIMEDOUT (it still runs, not signalled); other -errno
 * as bench_alive().
 */
int bench_wait_ms(pid_t pid, unsigned ms, int *status);

/*
 * bench_reap() - wait up to @ms for the child @pid to exit by itself, then
 * SIGKILL it, and reap it (@ms 0: kill at once).  Context: the parent.
 * Return: its wait status (>= 0), or -errno as bench_alive().
 */
int bench_reap(pid_t pid, unsigned ms);

/*
 * bench_stop() - SIGTERM the child @pid, give it @grace_ms to exit, then
 * SIGKILL, and reap it.  A child that already exited is only reaped; one
 * already reaped (or @pid <= 0) is not signalled at all, so a stale pid
 * never reaches a recycled process.  Context: the parent.
 * Return: its wait status (>= 0), or -errno as bench_alive().
 */
int bench_stop(pid_t pid, unsigned grace_ms);

/*
 * bench_run() - bench_spawn() @argv and wait for it: without limit when
 * @timeout_ms is 0, else up to @timeout_ms and then bench_stop() it (1 s
 * grace).  Context: process context, main thread.  Return: 0 if it exited
 * 0; -ECHILD if it exited otherwise (*@status holds the wait status when
 * non-NULL; the log says why); -ETIMEDOUT if it ran over; other -errno.
 */
int bench_run(char *const argv[], int cpu, const char *out_path, const char *err_path,
	      unsigned timeout_ms, int *status);

/*
 * bench_find_bin() - @built if that file is executable (the build tree's
 * program, compiled in), else @name (for bench_spawn() to look up in PATH:
 * the installed one).  Context: any.  Return: one of the two pointers.
 */
const char *bench_find_bin(const char *built, const char *name);

/*
 * bench_free_port() - a TCP port on 127.0.0.1 that was free a moment ago
 * (bind to port 0, read it back, close), for a server the bench starts.
 * Context: any.  Return: the port, or -errno.
 */
int bench_free_port(void);

#endif /* SOVEREIGN_BENCH_PROC_H */
