/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_cpu.c - per-thread CPU time from /proc/PID/task/TID/schedstat
 * (contracts in bench_cpu.h).
 */
#define _GNU_SOURCE
#include "bench_cpu.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_schedstat(pid_t pid, pid_t tid, uint64_t *ns, uint64_t *runs)
{
	char p[96];
	unsigned long long a, b, c;
	FILE *f;
	int n;

	*ns = 0;
	*runs = 0;
	snprintf(p, sizeof(p), "/proc/%ld/task/%ld/schedstat", (long)pid, (long)tid);
	f = fopen(p, "re");
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

/*
 * Call @fn for every thread of @pid with its schedstat figures, until it
 * returns non-zero.  Threads that exit meanwhile are skipped.
 * Return: 0, or -errno if the process is gone.
 */
static int for_each_task(pid_t pid, int (*fn)(void *arg, pid_t tid, uint64_t ns, uint64_t runs),
			 void *arg)
{
	char p[64];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%ld/task", (long)pid);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint64_t ns, runs;
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0 || bench_schedstat(pid, (pid_t)tid, &ns, &runs))
			continue; /* ".", "..", or the thread exited meanwhile */
		if (fn(arg, (pid_t)tid, ns, runs))
			break;
	}
	closedir(d);
	return 0;
}

static int add_ns(void *arg, pid_t tid, uint64_t ns, uint64_t runs)
{
	(void)tid;
	(void)runs;
	*(uint64_t *)arg += ns;
	return 0;
}

int bench_cpu_ns(pid_t pid, uint64_t *ns)
{
	uint64_t sum = 0;
	int ret = for_each_task(pid, add_ns, &sum);

	if (ret == 0)
		*ns = sum;
	return ret;
}

struct task_list {
	pid_t pid;
	struct bench_task *t;
	size_t n, max;
};

static int add_task(void *arg, pid_t tid, uint64_t ns, uint64_t runs)
{
	struct task_list *l = arg;
	struct bench_task *t = &l->t[l->n++];
	char cp[96];
	FILE *f;

	t->tid = (int)tid;
	t->ns = ns;
	t->runs = runs;
	snprintf(t->name, sizeof(t->name), "?");
	snprintf(cp, sizeof(cp), "/proc/%ld/task/%ld/comm", (long)l->pid, (long)tid);
	if ((f = fopen(cp, "re"))) {
		if (fgets(t->name, sizeof(t->name), f))
			t->name[strcspn(t->name, "\n")] = '\0';
		fclose(f);
	}
	return l->n == l->max;
}

size_t bench_tasks(pid_t pid, struct bench_task *t, size_t max)
{
	struct task_list l = { .pid = pid, .t = t, .n = 0, .max = max };

	if (max)
		for_each_task(pid, add_task, &l);
	return l.n;
}
