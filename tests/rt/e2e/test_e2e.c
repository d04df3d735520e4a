/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_e2e.c - end-to-end tests of the real binaries: sovereign-sim keeps a
 * simulated server's tree alive, sovereign-sampler reads it with its
 * production backends, and a libsovereign reader watches the segment.
 * Also: the loop's system calls counted under ptrace.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_stack.h"
#include "sovereign.h"

static char dir[64], tree[128], conf[128], seg[64];
static pid_t sim_pid = -1, sampler_pid = -1;

/* The sim's own config for its tree, with the loop period and @extra. */
static void write_conf(const char *period_ms, const char *extra)
{
	stack_write_sampler_conf(SOV_SIM_BIN, tree, conf, period_ms, extra);
}

static void setup(void)
{
	static int n;

	snprintf(dir, sizeof(dir), "/tmp/sov-e2e-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(conf, sizeof(conf), "%s/sampler.conf", dir);
	snprintf(seg, sizeof(seg), "/sov-e2e-%d-%d", (int)getpid(), n++);
}

static void teardown(void)
{
	stack_stop_child(&sampler_pid);
	stack_stop_child(&sim_pid);
	stack_rm_dir(dir);
	sov_shm_unlink(seg);
}

TestSuite(e2e, .init = setup, .fini = teardown, .timeout = 120);

static void start_sim(const char *profile, const char *speed)
{
	sim_pid = stack_start_sim(SOV_SIM_BIN, tree, profile, speed);
}

/* The sampler's log, for failure messages. */
static const char *sampler_log(void)
{
	static char buf[4096];
	char p[160];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/sampler.log", dir);
	f = fopen(p, "r");
	if (!f)
		return "(no log)";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void start_sampler(void)
{
	char log[160];
	char *argv[] = { SOV_SAMPLER_BIN, "-c", conf, "--segment", seg, NULL };

	snprintf(log, sizeof(log), "%s/sampler.log", dir);
	sampler_pid = stack_spawn(argv, log);
}

/* Attach once the sampler has published. */
static struct sov_reader *attach(void)
{
	struct sov_reader *r = NULL;

	for (int i = 0; i < 500; i++) {
		if (sov_reader_open(seg, NULL, &r) == 0) {
			if (sov_reader_head(r) > 0)
				return r;
			sov_reader_close(r);
		}
		stack_sleep_ms(10);
	}
	cr_assert_fail("no segment from the sampler");
	return NULL;
}

static int64_t latest(struct sov_reader *r, const char *chip, const char *key, struct sov_sample *s)
{
	int idx = sov_reader_find(r, chip, key);
	int64_t v = 0;

	cr_assert_geq(idx, 0, "no sensor %s", key);
	cr_assert_eq(sov_reader_latest(r, s), 0);
	cr_assert_eq(sov_sample_get(s, (uint32_t)idx, &v, NULL), 0, "%s invalid", key);
	return v;
}

static void put(const char *rel, const char *text)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s%s", tree, rel);
	fd = open(p, O_WRONLY);
	cr_assert_geq(fd, 0, "%s", p);
	cr_assert_eq(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	cr_assert_eq(ftruncate(fd, (off_t)strlen(text)), 0);
	close(fd);
}

/* The hwmon directory of chip @name in the tree. */
static void hwmon_dir(const char *name, char *out, size_t len)
{
	for (int i = 0; i < 64; i++) {
		char p[256], buf[64] = "";
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
	cr_assert_fail("no hwmon chip %s", name);
}

Test(e2e, reader_sees_the_simulated_server_change)
{
	struct sov_reader *r;
	struct sov_sample *s;
	char nct[64], p[128];
	int64_t e0, e1, t0, t1, rpm0, rpm1;

	start_sim("step", "10"); /* load steps up at 30 s simulated = 3 s here */
	write_conf("50", "");
	start_sampler();
	r = attach();
	s = sov_sample_alloc(r);
	/* The grid is 50 ms, but nothing is read faster than the CPU
	 * temperature's 100 ms default: the loop publishes every 100 ms, and
	 * says so in the header. */
	cr_assert_eq(sov_reader_header(r)->period_ns, 100000000);
	t0 = latest(r, NULL, "Tctl", s);
	e0 = latest(r, "powercap/intel-rapl", "package-0", s);
	cr_assert(t0 > 20000 && t0 < 60000, "idle Tctl %lld", (long long)t0);

	/* Drive the fans by hand, as the actuator will: the sampler sees them respond. */
	hwmon_dir("nct6779", nct, sizeof(nct));
	rpm0 = latest(r, NULL, "fan1", s);
	snprintf(p, sizeof(p), "%s/pwm1_enable", nct);
	put(p, "1\n");
	snprintf(p, sizeof(p), "%s/pwm1", nct);
	put(p, "255\n");
	stack_sleep_ms(4000);
	rpm1 = latest(r, NULL, "fan1", s);
	cr_assert_gt(rpm1, rpm0 + 1000, "fan1 %lld -> %lld RPM", (long long)rpm0, (long long)rpm1);
	cr_assert_gt(rpm1, 11000);

	t1 = latest(r, NULL, "Tctl", s);
	e1 = latest(r, "powercap/intel-rapl", "package-0", s);
	cr_assert_gt(t1, t0, "Tctl rose after the load step: %lld -> %lld", (long long)t0,
		     (long long)t1);
	cr_assert_gt(e1, e0, "energy accumulates");
	/* Derived power: full load is 360 W, 10x simulated speed -> ~3.6 kW seen in real time. */
	{
		int64_t w = latest(r, "powercap/intel-rapl", "package-0-power", s);

		cr_assert(w > 1000000000 && w < 5000000000LL, "package power %lld µW", (long long)w);
	}
	cr_assert_eq(sov_sample_slot(s)->overruns, 0);
	cr_assert_eq(sov_reader_status(r), 0);
	sov_sample_free(s);
	sov_reader_close(r);
}

Test(e2e, sighup_reload_restart_and_sigterm)
{
	struct sov_reader *r;
	struct sov_sensor d;
	uint64_t gen;
	uint32_t n0;
	int st, idx;

	start_sim("steady", "1");
	write_conf("50", "[sensor k10temp/temp1]\ncrit_hi = 95C\n");
	start_sampler();
	r = attach();
	gen = sov_reader_header(r)->generation;
	n0 = sov_reader_nsensors(r);
	idx = sov_reader_find(r, NULL, "Tctl");
	cr_assert_geq(idx, 0);
	cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &d), 0);
	cr_assert_eq(d.crit_hi, 95000);

	/* New limit: applied in place, same generation, the loop never stopped. */
	write_conf("50", "[sensor k10temp/temp1]\ncrit_hi = 90C\n");
	kill(sampler_pid, SIGHUP);
	for (int i = 0; i < 300 && d.crit_hi != 90000; i++) {
		int rc;

		stack_sleep_ms(10);
		rc = sov_reader_sensor(r, (uint32_t)idx, &d);
		cr_assert_eq(rc, 0, "%s: %s", sov_strerror(rc), sampler_log());
	}
	cr_assert_eq(d.crit_hi, 90000, "reloaded limit");
	cr_assert_eq(sov_reader_status(r), 0, "same generation, writer alive");

	/* A bad config is refused; the sampler keeps running on the old one. */
	{
		FILE *f = fopen(conf, "a");

		fputs("[sensor k10temp/temp1]\ncrit_hi = hot\n", f);
		fclose(f);
	}
	kill(sampler_pid, SIGHUP);
	stack_sleep_ms(300);
	cr_assert_eq(sov_reader_status(r), 0, "still publishing: %s", sampler_log());

	/* A smaller sensor set needs a new generation: the sampler restarts itself. */
	write_conf("50", "[hwmon]\nexclude = jc42/*\n");
	kill(sampler_pid, SIGHUP);
	/* Between the old writer's close and the new one's start it reads STOPPED. */
	for (int i = 0; i < 500 && sov_reader_status(r) != -SOV_ERESTARTED; i++)
		stack_sleep_ms(10);
	cr_assert_eq(sov_reader_status(r), -SOV_ERESTARTED, "%s", sampler_log());
	for (int i = 0; i < 500; i++) {
		if (sov_reader_reattach(r) == 0 && sov_reader_head(r) > 0)
			break;
		stack_sleep_ms(10);
	}
	cr_assert_eq(sov_reader_header(r)->generation, gen + 1);
	cr_assert_lt(sov_reader_nsensors(r), n0, "jc42 DIMMs excluded");
	cr_assert_eq(sov_reader_find(r, NULL, "Tctl") >= 0, 1);

	kill(sampler_pid, SIGTERM);
	cr_assert_eq(waitpid(sampler_pid, &st, 0), sampler_pid);
	sampler_pid = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_assert_eq(sov_reader_status(r), -SOV_ESTOPPED);
	sov_reader_close(r);
}

Test(e2e, bad_config_names_file_and_line)
{
	char log[160], buf[512] = "";
	FILE *f;

	start_sim("steady", "1");
	write_conf("50", "[sensor k10temp/temp1]\nwarn_hi = warm\n");
	{
		char *argv[] = { SOV_SAMPLER_BIN, "-c", conf, "--segment", seg, "--no-rt", NULL };

		snprintf(log, sizeof(log), "%s/sampler.log", dir);
		sampler_pid = stack_spawn(argv, log);
		cr_assert_eq(waitpid(sampler_pid, NULL, 0), sampler_pid);
		sampler_pid = -1;
	}
	f = fopen(log, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert(strstr(buf, "sampler.conf:") && strstr(buf, "warn_hi: 'warm'"), "%s", buf);
}

/* ---- system calls of the loop, counted under ptrace ---- */

#define CYCLES 100
#define HUP_AT 30 /* SIGHUP (a new limit) after this many of the loop's sleeps */

/*
 * The loop's system calls, from its first sleep to its last, are sensor
 * reads and the one sleep per cycle -- also in the cycles right after a
 * SIGHUP reload (the loop picks up and acknowledges the new params with
 * loads and stores: no futex wake of a waiting grace period, no probe).
 */
Test(e2e, loop_makes_only_sensor_reads_and_one_sleep)
{
	char *argv[] = { SOV_SIM_BIN, "--root", tree, "--once", "--quiet", NULL };
	static long sc[200000];
	size_t nsc = 0, i, first = 0, last = 0, sleeps = 0, reads = 0, other = 0, hup_sc = 0;
	size_t other_after = 0, sleeps_after = 0, loop_sleeps = 0;
	char conf_new[160];
	int st, in_call = 0;
	pid_t pid;

	cr_assert_eq(stack_run(argv), 0);
	/* The file the SIGHUP will find: a new limit only (no restart). */
	write_conf("5", "[sensor k10temp/temp1]\ncrit_hi = 91C\n");
	snprintf(conf_new, sizeof(conf_new), "%s.new", conf);
	cr_assert_eq(rename(conf, conf_new), 0);
	write_conf("5", "[sensor k10temp/temp1]\ncrit_hi = 95C\n");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char cyc[16];
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		/* LeakSanitizer stops the world with ptrace, which a traced process cannot. */
		{
			char asan[512];
			const char *cur = getenv("ASAN_OPTIONS");

			snprintf(asan, sizeof(asan), "%s%sdetect_leaks=0", cur ? cur : "", cur ? ":" : "");
			setenv("ASAN_OPTIONS", asan, 1);
		}
		snprintf(cyc, sizeof(cyc), "%d", CYCLES);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execl(SOV_SAMPLER_BIN, SOV_SAMPLER_BIN, "-c", conf, "--segment", seg, "--cycles", cyc,
		      "--no-rt", (char *)NULL);
		_exit(127);
	}
	sampler_pid = pid;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSTOPPED(st));
	cr_assert_eq(ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL)), 0);
	cr_assert_eq(ptrace(PTRACE_SYSCALL, pid, NULL, NULL), 0);
	for (;;) {
		pid_t t = waitpid(-1, &st, __WALL);
		int sig = 0;

		if (t < 0)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (t == pid)
				break;
			continue;
		}
		if (t != pid) {
			/* Helper threads (worker, journal, control) are not the loop: let them run. */
			if (WIFSTOPPED(st) && WSTOPSIG(st) != SIGSTOP && WSTOPSIG(st) != SIGTRAP &&
			    WSTOPSIG(st) != (SIGTRAP | 0x80))
				sig = WSTOPSIG(st);
			ptrace(PTRACE_CONT, t, NULL, (void *)(long)sig);
			continue;
		}
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (!in_call) {
				struct user_regs_struct regs;

				ptrace(PTRACE_GETREGS, pid, NULL, &regs);
				if (nsc < sizeof(sc) / sizeof(sc[0]))
					sc[nsc++] = (long)regs.orig_rax;
				/* Mid-run: the new file, and SIGHUP to the control thread. */
				if ((long)regs.orig_rax == SYS_clock_nanosleep && ++loop_sleeps == HUP_AT) {
					cr_assert_eq(rename(conf_new, conf), 0);
					cr_assert_eq(kill(pid, SIGHUP), 0);
					hup_sc = nsc;
				}
			}
			in_call = !in_call;
		} else if (WSTOPSIG(st) != SIGTRAP) {
			sig = WSTOPSIG(st);
		}
		ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
	}
	sampler_pid = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sampler status %#x", st);

	/* The steady state: from the first sleep to the last one. */
	for (i = 0; i < nsc; i++) {
		if (sc[i] == SYS_clock_nanosleep) {
			if (!first)
				first = i;
			last = i;
		}
	}
	cr_assert_gt(first, 0, "the loop never slept");
	cr_assert_gt(hup_sc, first, "no SIGHUP sent during the trace");
	for (i = first; i <= last; i++) {
		if (sc[i] == SYS_clock_nanosleep) {
			sleeps++;
			sleeps_after += i >= hup_sc;
		} else if (sc[i] == SYS_pread64 || sc[i] == SYS_read || sc[i] == SYS_ioctl) {
			reads++;
		} else {
			other++;
			other_after += i >= hup_sc;
			cr_log_error("system call %ld in the loop%s", sc[i],
				     i >= hup_sc ? " after the SIGHUP" : "");
		}
	}
	printf("loop: %zu cycles traced, %zu sleeps, %zu sensor reads (%.1f per cycle), %zu other "
	       "(%zu cycles after the SIGHUP, %zu other there)\n",
	       sleeps, sleeps, reads, (double)reads / (double)sleeps, other, sleeps_after, other_after);
	cr_assert_eq(other_after, 0, "%zu system calls other than sensor reads and the sleep after a reload",
		     other_after);
	cr_assert_eq(other, 0, "%zu system calls other than sensor reads and the sleep", other);
	cr_assert_eq(sleeps, CYCLES - 1, "one sleep per cycle");
	/* msr and powercap (1 ms minimum) every cycle; hwmon (100 ms) every 20th. */
	cr_assert_geq(reads, 3 * sleeps, "the sensors are read through their held descriptors");

	/* The reload was applied by the traced loop, with cycles to spare after it. */
	{
		struct sov_reader *r;
		struct sov_sample *smp;
		struct sov_sensor d;
		struct sov_event ev[64];
		uint64_t cursor = 0, cfg_ns = 0, head, k, after = 0;
		int n, idx;

		cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
		idx = sov_reader_find(r, NULL, "Tctl");
		cr_assert_geq(idx, 0);
		cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &d), 0);
		cr_assert_eq(d.crit_hi, 91000, "the SIGHUP's limit was not applied");
		while ((n = sov_reader_events(r, &cursor, ev, 64, NULL)) > 0)
			for (int j = 0; j < n; j++)
				if (ev[j].type == SOV_EV_CONFIG)
					cfg_ns = ev[j].mono_ns;
		cr_assert_gt(cfg_ns, 0, "no reload event");
		smp = sov_sample_alloc(r);
		head = sov_reader_head(r);
		for (k = head > 50 ? head - 50 : 1; k <= head; k++)
			if (sov_reader_sample(r, k, smp) == 0 && sov_sample_slot(smp)->mono_ns > cfg_ns)
				after++;
		cr_assert_geq(after, 10, "only %llu traced cycles after the reload",
			      (unsigned long long)after);
		sov_sample_free(smp);
		sov_reader_close(r);
	}
}

/* copy_file() - copy @from to @to with @mode (the test fails if it cannot). */
static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(out, 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n, "%s: %s", to, strerror(errno));
	cr_assert_eq(n, 0, "%s: %s", from, strerror(errno));
	close(in);
	cr_assert_eq(fchmod(out, mode), 0);
	cr_assert_eq(close(out), 0);
}

/*
 * Without privileges the sampler degrades, says so once, publishes the fact.
 * `nobody` may not be able to enter the build tree (a clone under /root is
 * mode 0700): the sampler and libsovereign run from a copy in the test's
 * own directory.
 */
Test(e2e, unprivileged_sampler_degrades_and_says_so)
{
	char bindir[96], bin[128], lib[160], ldpath[112], rundir[96];
	struct sov_reader_opts nobody = { .owner_uid = 65534 };
	struct sov_reader *r;
	struct sov_sample *s;
	struct sov_event ev[32];
	uint64_t cursor = 0;
	char log[160];
	int n, i, degraded = 0, st;
	pid_t pid;

	cr_assert_eq(chmod(dir, 0755), 0);
	/*
	 * nobody cannot write /run/sovereign (root's, 0750): its segment goes
	 * to a directory of its own, and this reader trusts nobody's file.
	 */
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	cr_assert_eq(mkdir(rundir, 0750), 0);
	cr_assert_eq(chown(rundir, 65534, 65534), 0);
	cr_assert_eq(setenv(SOV_RUN_DIR_ENV, rundir, 1), 0);
	start_sim("steady", "1");
	write_conf("50", "");
	cr_assert_eq(chmod(conf, 0644), 0);
	snprintf(log, sizeof(log), "%s/sampler.log", dir);
	snprintf(bindir, sizeof(bindir), "%s/bin", dir);
	snprintf(bin, sizeof(bin), "%s/sovereign-sampler", bindir);
	snprintf(lib, sizeof(lib), "%s/%s", bindir, SOV_LIB_SONAME);
	snprintf(ldpath, sizeof(ldpath), "LD_LIBRARY_PATH=%s", bindir);
	cr_assert_eq(mkdir(bindir, 0755), 0);
	copy_file(SOV_SAMPLER_BIN, bin, 0755);
	copy_file(SOV_LIB_FILE, lib, 0644);
	{
		/* nobody: no CAP_SYS_NICE, no CAP_IPC_LOCK (a memlock limit of 0 for certain). */
		char *argv[] = { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				 "--inh-caps=-all", "--bounding-set=-all", "/usr/bin/prlimit", "--memlock=0",
				 "/usr/bin/env", ldpath, bin, "-c", conf, "--segment", seg,
				 "--cycles", "40", NULL };

		pid = stack_spawn(argv, log);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x: %s", st, sampler_log());
	cr_assert(strstr(sampler_log(), "SCHED_FIFO") && strstr(sampler_log(), "not real-time"),
		  "said once: %s", sampler_log());
	cr_assert_eq(sov_reader_open(seg, NULL, &r), -SOV_EFOREIGN, "root trusts root's files only");
	cr_assert_eq(sov_reader_open(seg, &nobody, &r), 0);
	s = sov_sample_alloc(r);
	cr_assert_eq(sov_reader_latest(r, s), 0);
	cr_assert(sov_sample_slot(s)->flags & SOV_SF_NO_RT, "published in every sample");
#ifndef SOV_SANITIZED
	cr_assert(sov_sample_slot(s)->flags & SOV_SF_NO_MLOCK);
#else
	/* ASan's runtime turns mlock/mlockall into no-ops that succeed. */
#endif
	cr_assert_eq(sov_sample_slot(s)->number, 40, "it ran all its cycles");
	n = sov_reader_events(r, &cursor, ev, 32, NULL);
	for (i = 0; i < n; i++)
		degraded += ev[i].type == SOV_EV_DEGRADED;
#ifndef SOV_SANITIZED
	cr_assert_geq(degraded, 2, "mlock and SCHED_FIFO each published as an event");
#else
	cr_assert_geq(degraded, 1, "SCHED_FIFO published as an event");
#endif
	sov_sample_free(s);
	sov_reader_close(r);
}

/* The configuration shipped in tools/deploy runs as it is on the simulated server. */
Test(e2e, shipped_config_runs)
{
	char *once[] = { SOV_SIM_BIN, "--root", tree, "--once", "--quiet", NULL };
	char *argv[] = { SOV_SAMPLER_BIN, "-c", SOV_SHIPPED_CONF, "--root", tree, "--segment", seg,
			 "--cycles", "2", "--no-rt", NULL };
	struct sov_reader *r;
	struct sov_sensor d;
	int idx;

	cr_assert_eq(stack_run(once), 0);
	cr_assert_eq(stack_run(argv), 0);
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	idx = sov_reader_find(r, NULL, "Tctl");
	cr_assert_geq(idx, 0);
	cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &d), 0);
	cr_assert_eq(d.crit_hi, 95000);
	cr_assert_eq(sov_reader_head(r), 2);
	sov_reader_close(r);
}

/* The period of the first channel of chip @chip (its name before '/') and kind @kind, or -1. */
static long period_of(struct sov_reader *r, const char *chip, uint16_t kind)
{
	struct sov_sensor d;

	for (uint32_t i = 0; i < sov_reader_nsensors(r); i++) {
		cr_assert_eq(sov_reader_sensor(r, i, &d), 0);
		if (d.kind == kind && !strncmp(d.chip, chip, strlen(chip)) &&
		    (d.chip[strlen(chip)] == '/' || !d.chip[strlen(chip)]))
			return (long)d.period_ms;
	}
	return -1;
}

/*
 * The shipped configuration on the simulated 2-socket server: each kind at
 * its BMC-like rate (CPU temperature and energy 10 Hz; fans, voltages,
 * VRM rails 1 Hz; DIMMs 0.2 Hz), the loop on the 100 ms grid.
 */
Test(e2e, shipped_config_rates_per_kind)
{
	char *once[] = { SOV_SIM_BIN, "--root", tree, "--sockets", "2", "--once", "--quiet", NULL };
	char *argv[] = { SOV_SAMPLER_BIN, "-c", SOV_SHIPPED_CONF, "--root", tree, "--segment", seg,
			 "--cycles", "3", "--no-rt", NULL };
	struct sov_reader *r;
	struct sov_sensor d;

	cr_assert_eq(stack_run(once), 0);
	cr_assert_eq(stack_run(argv), 0);
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	cr_assert_eq(sov_reader_header(r)->period_ns, 100000000);
	cr_assert_eq(period_of(r, "k10temp", SOV_KIND_TEMP), 100, "CPU temperature (Tctl, first)");
	cr_assert_eq(sov_reader_sensor(r, (uint32_t)sov_reader_find(r, NULL, "Tccd1"), &d), 0);
	cr_assert_eq(d.period_ms, 1000, "a CCD's temperature: 1 s");
	cr_assert_eq(period_of(r, "powercap", SOV_KIND_ENERGY), 100, "RAPL energy");
	cr_assert_eq(period_of(r, "nct6779", SOV_KIND_FAN_RPM), 1000, "fans");
	cr_assert_eq(period_of(r, "nct6779", SOV_KIND_VOLTAGE), 1000, "voltages");
	cr_assert_eq(period_of(r, "mp2975", SOV_KIND_CURRENT), 1000, "VRM rails");
	cr_assert_eq(period_of(r, "mp2975", SOV_KIND_TEMP), 1000, "a VRM's temperature: a rail");
	cr_assert_eq(period_of(r, "jc42", SOV_KIND_TEMP), 5000, "DIMMs");
	/* 3 cycles: the first at start, then two grid instants 100 ms apart. */
	cr_assert_eq(sov_reader_head(r), 3);
	sov_reader_close(r);
}
