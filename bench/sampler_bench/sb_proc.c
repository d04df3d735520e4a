/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sb_proc.c - sampler_bench's process and clock helpers (see sb_proc.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sb_proc.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Start @argv with stdout and stderr into @log (appended; NULL: inherit),
 * pinned to @cpu (-1: as the parent), killed with the bench (PDEATHSIG).
 */
pid_t spawn(char *const argv[], int cpu, const char *log)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (cpu >= 0)
		pin_to(cpu);
	if (log) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
	}
	execv(argv[0], argv);
	fprintf(stderr, "sampler_bench: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait for @pid up to @timeout_ns; then SIGKILL.  Return: its wait status or -1. */
int reap(pid_t pid, uint64_t timeout_ns)
{
	uint64_t end = now_ns() + timeout_ns;
	int st;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return st;
		if (w < 0)
			return -1;
		if (now_ns() > end) {
			kill(pid, SIGKILL);
			return waitpid(pid, &st, 0) == pid ? st : -1;
		}
		sleep_ns(5 * NS_PER_MS);
	}
}

/* Run @argv to completion with stdout into @buf.  Return: 0 or -1. */
int capture(char *const argv[], char *buf, size_t len)
{
	size_t got = 0;
	int p[2], st;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf + got, len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

void print_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

/* CPU time from /proc/PID/task/TID/schedstat */

int read_schedstat(int pid, int tid, uint64_t *ns, uint64_t *runs)
{
	char p[96];
	unsigned long long a, b, c;
	FILE *f;
	int n;

	snprintf(p, sizeof(p), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(p, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu %llu", &a, &b, &c);
	fclose(f);
	if (n != 3)
		return -EIO;
	*ns = a;
	*runs = c;
	return 0;
}

/* Every thread of @pid with its CPU time.  Return: the number found. */
size_t read_tasks(int pid, struct task_cpu *t, size_t max)
{
	char p[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char cp[96];
		FILE *f;
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0 || tid > INT32_MAX || read_schedstat(pid, (int)tid, &t[n].ns, &t[n].runs))
			continue;
		t[n].tid = (int)tid;
		snprintf(t[n].name, sizeof(t[n].name), "?");
		snprintf(cp, sizeof(cp), "/proc/%d/task/%ld/comm", pid, tid);
		if ((f = fopen(cp, "r"))) {
			if (fgets(t[n].name, sizeof(t[n].name), f))
				t[n].name[strcspn(t[n].name, "\n")] = '\0';
			fclose(f);
		}
		n++;
	}
	closedir(d);
	return n;
}
