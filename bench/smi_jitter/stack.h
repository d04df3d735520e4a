/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack.h - the processes smi_jitter starts and stops around its runs:
 * sovereign-sim (only for its --print-config, or as the simulated server),
 * sovereign-sampler at a given period, sovereign-exporter on a free
 * loopback port.  Children are pinned to the housekeeping CPU before exec.
 */
#ifndef SOVEREIGN_JIT_STACK_H
#define SOVEREIGN_JIT_STACK_H

#include <stdio.h>
#include <sys/types.h>

/*
 * stack_spawn() - fork and exec @argv (argv[0] is a path, or a name looked
 * up in PATH), pinned to @cpu, stdin from /dev/null, stdout to @out_path
 * (truncated; NULL: /dev/null) and stderr appended to @log_path (NULL:
 * inherited).  Context: process context.  Return: the child's pid, or -errno
 * (a failed exec shows as the child exiting 127).
 */
pid_t stack_spawn(char *const argv[], int cpu, const char *out_path, const char *log_path);

/*
 * stack_alive() - whether @pid is still running (reaps it if not).
 * Return: 1 running, 0 exited (*@status set if non-NULL), -errno.
 */
int stack_alive(pid_t pid, int *status);

/*
 * stack_stop() - SIGTERM @pid, wait up to @timeout_ms, then SIGKILL, and reap.
 * Return: the wait status, or -errno.
 */
int stack_stop(pid_t pid, int timeout_ms);

/*
 * stack_run() - stack_spawn() and wait for the child.  Return: 0 if it
 * exited 0, -ECHILD if it failed (the log says why), other -errno.
 */
int stack_run(char *const argv[], int cpu, const char *out_path, const char *log_path);

/*
 * stack_write_config() - write @out_path: the sampler configuration
 * @base_path followed by a [sampler] section setting period_ms and cpu
 * (rt/config.h: a repeated section continues the first, and a repeated key
 * takes its last value, so these override the base).
 * Return: 0 or -errno.
 */
int stack_write_config(const char *base_path, unsigned period_ms, int cpu, const char *out_path);

/* stack_free_port() - a TCP port on 127.0.0.1 free right now.  Return: port or -errno. */
int stack_free_port(void);

/*
 * stack_find_bin() - @built if that file is executable (the build tree),
 * else @name (looked up in PATH at exec).  Return: one of the two.
 */
const char *stack_find_bin(const char *built, const char *name);

#endif /* SOVEREIGN_JIT_STACK_H */
