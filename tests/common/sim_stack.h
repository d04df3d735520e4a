/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim_stack.h - what the Criterion tests that run the real binaries on the
 * simulated server share (tests/rt/e2e, tests/readers/fan): children that
 * log to a file and are always reaped, the sim's tree built whole before a
 * sampler probes it, and the sim's own sampler config.  Header-only; each
 * function asserts (Criterion) rather than returning errors.
 */
#ifndef SOVEREIGN_TESTS_SIM_STACK_H
#define SOVEREIGN_TESTS_SIM_STACK_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sovereign.h"

static inline int stack_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* stack_rm_dir() - remove @dir and everything below it. */
static inline void stack_rm_dir(const char *dir)
{
	nftw(dir, stack_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* stack_stop_child() - kill and reap *@pid (even a stopped one); *@pid = -1. */
static inline void stack_stop_child(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGCONT); /* a test may have stopped it */
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

/* stack_spawn() - start @argv with stdout and stderr appended to @out (NULL: /dev/null). */
static inline pid_t stack_spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* stack_run() - run @argv to its end.  Return: its exit status, or 128 + signal. */
static inline int stack_run(char *const argv[])
{
	int st;
	pid_t pid = stack_spawn(argv, NULL);

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void stack_sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
}

static inline int64_t stack_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * stack_start_sim() - build the sim's whole tree at @tree first (a sampler
 * probing a half-made tree would see a smaller sensor set, and rightly
 * restart when it grows), then keep it alive with @profile at @speed.
 * Return: the sim's pid.
 */
static inline pid_t stack_start_sim(const char *sim, const char *tree, const char *profile,
				    const char *speed)
{
	char *once[] = { (char *)sim, "--root", (char *)tree, "--once", "--quiet", NULL };
	char *argv[] = { (char *)sim, "--root", (char *)tree, "--period-ms", "20", "--profile",
			 (char *)profile, "--speed", (char *)speed, "--quiet", NULL };

	cr_assert_eq(stack_run(once), 0, "sovereign-sim --once");
	return stack_spawn(argv, NULL);
}

/* stack_write_sampler_conf() - the sim's config for @tree into @conf, loop period @period_ms, then @extra. */
static inline void stack_write_sampler_conf(const char *sim, const char *tree, const char *conf,
					    const char *period_ms, const char *extra)
{
	char cmd[512], line[512];
	FILE *p, *f;

	snprintf(cmd, sizeof(cmd), "%s --root %s --print-config", sim, tree);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "period_ms", 9))
			fprintf(f, "period_ms = %s\n", period_ms);
		else
			fputs(line, f);
	}
	cr_assert_eq(pclose(p), 0);
	fputs(extra, f);
	fclose(f);
}

/*
 * stack_file_text() - the first 8 KiB of @dir/@name (a child's log), for a
 * failure message; "(none)" when it cannot be read.  A static buffer.
 */
static inline const char *stack_file_text(const char *dir, const char *name)
{
	static char buf[8192];
	char p[4200];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return "(none)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * stack_hwmon_dir() - "/sys/class/hwmon/hwmonN", chip @name's directory in
 * the sim's @tree (relative to the tree: prefix @tree for a real path).
 */
static inline void stack_hwmon_dir(const char *tree, const char *name, char *out, size_t len)
{
	for (int i = 0; i < 64; i++) {
		char p[4200], buf[64] = "";
		FILE *f;

		snprintf(p, sizeof(p), "%s/sys/class/hwmon/hwmon%d/name", tree, i);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, name, strlen(name))) {
			fclose(f);
			snprintf(out, len, "/sys/class/hwmon/hwmon%d", i);
			return;
		}
		fclose(f);
	}
	cr_assert_fail("no hwmon chip %s in %s", name, tree);
}

/* stack_hwmon_path() - as stack_hwmon_dir(), the whole path: "@tree/sys/class/hwmon/hwmonN". */
static inline void stack_hwmon_path(const char *tree, const char *name, char *out, size_t len)
{
	char rel[64];

	stack_hwmon_dir(tree, name, rel, sizeof(rel));
	snprintf(out, len, "%s%s", tree, rel);
}

/*
 * stack_attach() - a reader of segment @name once it has a sample, waiting
 * up to 20 s (a writer starts slowly on loaded cores); fails with the log
 * @dir/@log in the message.
 */
static inline struct sov_reader *stack_attach(const char *name, const char *dir, const char *log)
{
	struct sov_reader *r = NULL;

	for (int i = 0; i < 2000; i++) {
		if (sov_reader_open(name, NULL, &r) == 0) {
			if (sov_reader_head(r) > 0)
				return r;
			sov_reader_close(r);
		}
		stack_sleep_ms(10);
	}
	cr_assert_fail("no segment %s: %s", name, stack_file_text(dir, log));
	return NULL;
}

/* stack_value() - the latest value of sensor @key in @r, INT64_MIN if none is valid. */
static inline int64_t stack_value(struct sov_reader *r, const char *key)
{
	struct sov_sample *s = sov_sample_alloc(r);
	int idx = sov_reader_find(r, NULL, key);
	int64_t v = INT64_MIN;

	cr_assert_not_null(s);
	cr_assert_geq(idx, 0, "no sensor %s", key);
	if (sov_reader_latest(r, s) == 0 && sov_sample_get(s, (uint32_t)idx, &v, NULL))
		v = INT64_MIN;
	sov_sample_free(s);
	return v;
}

#endif /* SOVEREIGN_TESTS_SIM_STACK_H */
