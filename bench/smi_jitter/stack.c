/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack.c - child processes of smi_jitter: spawn pinned, stop, sampler
 * config with a new period, a free loopback port (see stack.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stack.h"

pid_t stack_spawn(char *const argv[], int cpu, const char *out_path, const char *log_path)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		cpu_set_t set;
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int out = open(out_path ? out_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(127);
		if (log_path) {
			int err = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

			if (err < 0 || dup2(err, 2) < 0)
				_exit(127);
		}
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(127);
		/* The parent may have blocked signals in its threads; start clean. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "smi_jitter: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

int stack_alive(pid_t pid, int *status)
{
	int st;
	pid_t r = waitpid(pid, &st, WNOHANG);

	if (r < 0)
		return -errno;
	if (r == 0)
		return 1;
	if (status)
		*status = st;
	return 0;
}

int stack_stop(pid_t pid, int timeout_ms)
{
	struct timespec ms10 = { 0, 10000000L };
	int st;

	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -errno;
		nanosleep(&ms10, NULL);
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return st;
}

int stack_run(char *const argv[], int cpu, const char *out_path, const char *log_path)
{
	pid_t pid = stack_spawn(argv, cpu, out_path, log_path);
	int st;

	if (pid < 0)
		return pid;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

int stack_write_config(const char *base_path, unsigned period_ms, int cpu, const char *out_path)
{
	FILE *in, *out;
	char buf[4096];
	size_t n;
	int ret = 0;

	in = fopen(base_path, "re");
	if (!in)
		return -errno;
	out = fopen(out_path, "we");
	if (!out) {
		ret = -errno;
		goto err_close_in;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fprintf(out, "\n# smi_jitter: overrides the base configuration above.\n"
		"[sampler]\nperiod_ms = %u\ncpu = %d\n", period_ms, cpu);
	if (ferror(in) || ferror(out))
		ret = -EIO;
	if (fclose(out) && !ret)
		ret = -errno;
err_close_in:
	fclose(in);
	return ret;
}

int stack_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd, ret;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

const char *stack_find_bin(const char *built, const char *name)
{
	return built && built[0] && access(built, X_OK) == 0 ? built : name;
}
