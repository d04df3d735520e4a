/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_proc.c - child processes and /proc accounting for exporter_bench
 * (contracts in eb_proc.h).
 */
#define _GNU_SOURCE
#include "eb_proc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EB_POLL_NS 5000000L /* 5 ms between looks at a child */

uint64_t eb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* In the child: open @path for appending onto @fd; NULL means /dev/null. */
static int child_redirect(const char *path, int fd)
{
	int f = open(path ? path : "/dev/null",
		     path ? O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC : O_WRONLY | O_CLOEXEC, 0644);

	if (f < 0)
		return -1;
	if (dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

pid_t eb_spawn(char *const argv[], const char *out_path, const char *err_path, int cpu)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;

	/* Child: only async-signal-safe calls until exec. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* the bench already died: do not start an orphan */
	signal(SIGPIPE, SIG_DFL);
	if (child_redirect(NULL, STDIN_FILENO) < 0 || child_redirect(out_path, STDOUT_FILENO) < 0)
		_exit(127);
	if (err_path && out_path && strcmp(err_path, out_path) == 0) {
		if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(127);
	} else if (child_redirect(err_path, STDERR_FILENO) < 0) {
		_exit(127);
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(127);
	}
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "exporter_bench: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

bool eb_exited(pid_t pid, int *status)
{
	int st = 0;
	pid_t r;

	if (pid <= 0)
		return true;
	r = waitpid(pid, &st, WNOHANG);
	if (r == 0)
		return false;
	if (status)
		*status = r == pid ? st : 0;
	return true;
}

int eb_wait_ms(pid_t pid, unsigned ms, int *status)
{
	uint64_t end = eb_now_ns() + (uint64_t)ms * 1000000u;
	struct timespec poll = { 0, EB_POLL_NS };

	for (;;) {
		if (eb_exited(pid, status))
			return 0;
		if (eb_now_ns() >= end)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL); /* EINTR only shortens one poll */
	}
}

void eb_stop(pid_t pid, unsigned grace_ms)
{
	if (pid <= 0 || eb_exited(pid, NULL))
		return;
	kill(pid, SIGTERM);
	if (eb_wait_ms(pid, grace_ms, NULL) == 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int eb_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		ret = -errno;
	else
		ret = ntohs(a.sin_port);
	close(fd);
	return ret;
}

int eb_cpu_ns(pid_t pid, uint64_t *ns)
{
	char path[64];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char p[128];
		uint64_t run;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/task/%s/schedstat", (long)pid, de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue; /* the thread exited meanwhile */
		if (fscanf(f, "%" SCNu64, &run) == 1)
			sum += run;
		fclose(f);
	}
	closedir(d);
	*ns = sum;
	return 0;
}

int eb_mem_kb(pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %" SCNu64, rss_kb) == 1)
			found |= 1;
		else if (sscanf(line, "VmHWM: %" SCNu64, hwm_kb) == 1)
			found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -ENODATA;
}

int eb_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}
