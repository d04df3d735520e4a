/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_proc.c - a benchmark's child processes: spawn, wait, stop, run,
 * find; a free loopback port (contracts in bench_proc.h).
 */
#define _GNU_SOURCE
#include "bench_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_POLL_NS      5000000L /* 5 ms between looks at a child */
#define BENCH_RUN_GRACE_MS 1000u    /* bench_run(): SIGTERM to SIGKILL after a timeout */

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

int bench_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

/* In the child: open @path for appending (NULL: /dev/null) onto @fd.  Return: 0 or -1. */
static int child_redirect(const char *path, int fd)
{
	int f = open(path ? path : "/dev/null",
		     path ? O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC : O_RDWR | O_CLOEXEC, 0644);

	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

pid_t bench_spawn(char *const argv[], int cpu, const char *out_path, const char *err_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;

	/* Child: only async-signal-safe calls until exec (the bench may have threads). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* the bench already died: do not start an orphan */
	/* Ignored signals stay ignored across exec; handlers are reset by it anyway. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (child_redirect(NULL, STDIN_FILENO) < 0 || child_redirect(out_path, STDOUT_FILENO) < 0)
		_exit(127);
	if (err_path && out_path && strcmp(err_path, out_path) == 0) {
		if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(127);
	} else if (err_path && child_redirect(err_path, STDERR_FILENO) < 0) {
		_exit(127);
	}
	if (cpu >= 0 && bench_pin_self(cpu) < 0)
		_exit(127);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "%s: exec %s: %s\n", program_invocation_short_name, argv[0],
		strerror(errno));
	_exit(127);
}

int bench_alive(pid_t pid, int *status)
{
	int st = 0;
	pid_t r;

	if (pid <= 0)
		return -EINVAL; /* waitpid would take any child */
	r = waitpid(pid, &st, WNOHANG);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 1;
	if (status)
		*status = st;
	return 0;
}

int bench_wait_ms(pid_t pid, unsigned ms, int *status)
{
	uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000u;
	struct timespec poll = { 0, BENCH_POLL_NS };

	for (;;) {
		int r = bench_alive(pid, status);

		if (r <= 0)
			return r;
		if (bench_now_ns() >= end)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL); /* EINTR only shortens one poll */
	}
}

int bench_reap(pid_t pid, unsigned ms)
{
	int st = 0, r = bench_wait_ms(pid, ms, &st);

	if (r != -ETIMEDOUT)
		return r < 0 ? r : st;
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return st;
}

int bench_stop(pid_t pid, unsigned grace_ms)
{
	int st = 0, r = bench_alive(pid, &st);

	if (r <= 0)
		return r < 0 ? r : st;
	kill(pid, SIGTERM);
	return bench_reap(pid, grace_ms);
}

int bench_run(char *const argv[], int cpu, const char *out_path, const char *err_path,
	      unsigned timeout_ms, int *status)
{
	pid_t pid = bench_spawn(argv, cpu, out_path, err_path);
	int st = 0, r;

	if (pid < 0)
		return pid;
	if (timeout_ms) {
		r = bench_wait_ms(pid, timeout_ms, &st);
		if (r == -ETIMEDOUT)
			bench_stop(pid, BENCH_RUN_GRACE_MS);
		if (r < 0)
			return r;
	} else {
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return -errno;
	}
	if (status)
		*status = st;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

const char *bench_find_bin(const char *built, const char *name)
{
	return built && built[0] && access(built, X_OK) == 0 ? built : name;
}

int bench_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	/* Port 0: the kernel picks a free one; it stays free for a while after close. */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	else
		ret = ntohs(a.sin_port);
	close(fd);
	return ret;
}
