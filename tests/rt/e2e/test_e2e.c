/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_e2e.c - end-to-end tests of the real binaries: sovereign-sim keeps a
 * simulated server's tree alive, sovereign-sampler reads it with its
 * production backends, and a libsovereign reader watches the segment.
 * Also: the loop's system calls counted under ptrace.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
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

#include "model.h"
#include "sim_stack.h"
#include "sovereign.h"

static char dir[64], tree[128], conf[128], seg[64];
static pid_t sim_pid = -1, sampler_pid = -1;

/* The sim's own config for its tree, with the loop period and @extra. */
static void write_conf(const char *period_ms, const char *extra)
{
	stack_write_sampler_conf(SOV_SIM_BIN, tree, conf, period_ms, extra);
}

/*
 * As write_conf(), with @sampler_keys ("key = value\n"...) added to the
 * [sampler] section (after its period_ms line).
 */
static void write_conf_keys(const char *period_ms, const char *sampler_keys, const char *extra)
{
	char cmd[512], line[512];
	FILE *p, *f;

	snprintf(cmd, sizeof(cmd), "%s --root %s --print-config", SOV_SIM_BIN, tree);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "period_ms", 9))
			fprintf(f, "period_ms = %s\n%s", period_ms, sampler_keys);
		else
			fputs(line, f);
	}
	cr_assert_eq(pclose(p), 0);
	fputs(extra, f);
	cr_assert_eq(fclose(f), 0);
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
	static char buf[65536];
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
	stack_hwmon_dir(tree, "nct6779", nct, sizeof(nct));
	rpm0 = latest(r, NULL, "fan1", s);
	snprintf(p, sizeof(p), "%s/pwm1_enable", nct);
	put(p, "1\n");
	snprintf(p, sizeof(p), "%s/pwm1", nct);
	put(p, "255\n");
	stack_sleep_ms(4500); /* the load step, and 1 s of full load (both sockets) */
	rpm1 = latest(r, NULL, "fan1", s);
	cr_assert_gt(rpm1, rpm0 + 1000, "fan1 %lld -> %lld RPM", (long long)rpm0, (long long)rpm1);
	cr_assert_gt(rpm1, 11000);

	t1 = latest(r, NULL, "Tctl", s);
	e1 = latest(r, "powercap/intel-rapl", "package-0", s);
	cr_assert_gt(t1, t0, "Tctl rose after the load step: %lld -> %lld", (long long)t0,
		     (long long)t1);
	cr_assert_gt(e1, e0, "energy accumulates");
	/*
	 * Derived power against the simulator's own: full load (the model's
	 * sim_power_w() at load 1) at 10x simulated speed, seen in real time.
	 * Each reading is one 100 ms energy delta, and the sim steps its
	 * counters every 20 ms: one reading is off by up to one step (20 %),
	 * so the last 5 readings are averaged (one step in 500 ms: 4 %).
	 */
	{
		struct sim_params sp;
		int idx = sov_reader_find(r, "powercap/intel-rapl", "package-0-power");
		uint64_t head = sov_reader_head(r), k;
		double expect, sum = 0;
		int n = 0;

		sim_params_default(&sp, SIM_AMD);
		expect = sim_power_w(&sp, 1.0) * 10.0 * 1e6;
		cr_assert_geq(idx, 0);
		for (k = head - 4; k <= head; k++) {
			int64_t w;

			cr_assert_eq(sov_reader_sample(r, k, s), 0, "sample %llu", (unsigned long long)k);
			cr_assert_eq(sov_sample_get(s, (uint32_t)idx, &w, NULL), 0, "power invalid");
			sum += (double)w;
			n++;
		}
		printf("package power %.0f µW (mean of %d readings), the sim's %.0f µW\n", sum / n, n,
		       expect);
		cr_assert(fabs(sum / n - expect) <= 0.10 * expect,
			  "package power %.0f µW (mean of %d), the sim's %.0f µW", sum / n, n, expect);
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
	for (int i = 0; i < 300 && !strstr(sampler_log(), "reload refused"); i++)
		stack_sleep_ms(10);
	cr_assert(strstr(sampler_log(), "reload refused, keeping the old configuration") &&
		  strstr(sampler_log(), "crit_hi"), "refusal not logged: %s", sampler_log());
	{
		uint64_t h = sov_reader_head(r);

		for (int i = 0; i < 300 && sov_reader_head(r) < h + 3; i++)
			stack_sleep_ms(10);
		cr_assert_geq(sov_reader_head(r), h + 3, "still publishing: %s", sampler_log());
	}
	cr_assert_eq(sov_reader_status(r), 0, "same generation: %s", sampler_log());
	cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &d), 0);
	cr_assert_eq(d.crit_hi, 90000, "the old limit kept: %s", sampler_log());
	cr_assert_eq(sov_reader_header(r)->generation, gen);

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

/* ---- the loop's system calls (ptrace) and allocations (LD_PRELOAD) ---- */

/*
 * Both tests run the sampler on a still tree (no sim process: the test
 * alone changes a file) at a 5 ms grid with energy read every 5 ms, the
 * CPU temperatures every 100 and 200 ms, and the VRM's rails (mp2975, an
 * I2C chip: slow, the worker's) every 100 ms; while it runs the test makes
 * the loop emit events: Tctl crosses its critical limit, then its file
 * answers nothing (the read fails, -EIO), then it is back, then a SIGHUP
 * brings a new limit.
 */
#define RATE_KEYS                                                                                  \
	"energy_period_ms = 5\ncpu_temp_period_ms = 100\ncpu_core_temp_period_ms = 200\n"           \
	"vrm_period_ms = 100\nvoltage_period_ms = 100\ncurrent_period_ms = 100\n"
#define LIMIT_OLD "[sensor k10temp/temp1]\ncrit_hi = 95C\n"
#define LIMIT_NEW "[sensor k10temp/temp1]\ncrit_hi = 91C\n"

/* The steps of the script, at the loop's n-th sleep (ptrace) or cycle (allocations). */
enum { CROSS_AT = 20, FAIL_AT = 50, BACK_AT = 80, HUP_AT = 110 };

struct script {
	char tctl[192];      /* Tctl's file in the tree */
	char conf_new[200];  /* the file the SIGHUP will find */
	pid_t pid;
};

/* The tree, both config files, and Tctl's file; the sampler starts on LIMIT_OLD. */
static void script_prepare(struct script *sc)
{
	char *argv[] = { SOV_SIM_BIN, "--root", tree, "--once", "--quiet", NULL };
	char k10[64];

	cr_assert_eq(stack_run(argv), 0);
	stack_hwmon_dir(tree, "k10temp", k10, sizeof(k10));
	snprintf(sc->tctl, sizeof(sc->tctl), "%s/temp1_input", k10);
	write_conf_keys("5", RATE_KEYS, LIMIT_NEW);
	snprintf(sc->conf_new, sizeof(sc->conf_new), "%s.new", conf);
	cr_assert_eq(rename(conf, sc->conf_new), 0);
	write_conf_keys("5", RATE_KEYS, LIMIT_OLD);
	put(sc->tctl, "45000\n");
}

/* Step @n of the script (nothing at other steps). */
static void script_step(const struct script *sc, unsigned long n)
{
	switch (n) {
	case CROSS_AT:
		put(sc->tctl, "99000\n"); /* over crit_hi 95 °C: THRESH_CRIT */
		break;
	case FAIL_AT:
		put(sc->tctl, ""); /* the chip answers nothing: -EIO, SENSOR_LOST */
		break;
	case BACK_AT:
		put(sc->tctl, "50000\n"); /* readings are back, inside the limits */
		break;
	case HUP_AT:
		cr_assert_eq(rename(sc->conf_new, conf), 0);
		cr_assert_eq(kill(sc->pid, SIGHUP), 0);
		break;
	}
}

/*
 * After the run: the script's events were emitted by the loop after
 * @from_ns (the traced or armed window), and the new limit applied.
 */
static void script_check_events(uint64_t from_ns)
{
	struct sov_reader *r;
	struct sov_sensor d;
	struct sov_event ev[64];
	uint64_t cursor = 0;
	int n, idx, crit = 0, lost = 0, back = 0, cfg = 0;

	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	idx = sov_reader_find(r, NULL, "Tctl");
	cr_assert_geq(idx, 0);
	while ((n = sov_reader_events(r, &cursor, ev, 64, NULL)) > 0) {
		for (int j = 0; j < n; j++) {
			if (ev[j].mono_ns <= from_ns)
				continue;
			crit += ev[j].type == SOV_EV_THRESH_CRIT && ev[j].sensor == (uint32_t)idx;
			lost += ev[j].type == SOV_EV_SENSOR_LOST && ev[j].sensor == (uint32_t)idx &&
				ev[j].value == -EIO;
			back += ev[j].type == SOV_EV_THRESH_CLEAR && ev[j].sensor == (uint32_t)idx;
			cfg += ev[j].type == SOV_EV_CONFIG;
		}
	}
	cr_assert_eq(crit, 1, "Tctl's crossing of its critical limit in the window");
	cr_assert_eq(lost, 1, "Tctl's failed read (-EIO) in the window");
	cr_assert_eq(back, 1, "Tctl back inside its limits in the window");
	cr_assert_eq(cfg, 1, "the SIGHUP's reload in the window");
	cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &d), 0);
	cr_assert_eq(d.crit_hi, 91000, "the SIGHUP's limit was not applied");
	sov_reader_close(r);
}

/* The name of system call @nr (the ones a mutation or a regression would add), or its number. */
static const char *sc_name(long nr)
{
	static char buf[32];
	static const struct {
		long nr;
		const char *name;
	} t[] = {
		{ SYS_read, "read" }, { SYS_pread64, "pread64" }, { SYS_ioctl, "ioctl" },
		{ SYS_write, "write" }, { SYS_getpid, "getpid" }, { SYS_gettid, "gettid" },
		{ SYS_openat, "openat" }, { SYS_open, "open" }, { SYS_close, "close" },
		{ SYS_futex, "futex" }, { SYS_mmap, "mmap" }, { SYS_munmap, "munmap" },
		{ SYS_brk, "brk" }, { SYS_clock_gettime, "clock_gettime" }, { SYS_readv, "readv" },
		{ SYS_preadv, "preadv" }, { SYS_lseek, "lseek" }, { SYS_fstat, "fstat" },
		{ SYS_newfstatat, "newfstatat" }, { SYS_rt_sigprocmask, "rt_sigprocmask" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].nr == nr)
			return t[i].name;
	snprintf(buf, sizeof(buf), "system call %ld", nr);
	return buf;
}

/*
 * Is sensor @d one the loop reads itself, with one system call per read?
 * On the simulated server: k10temp (a fast hwmon driver) and the msr and
 * powercap counters.  Not: the other hwmon chips (slow: the worker's),
 * chip_info (no read), derived power (no read), the sampler's own.
 */
static bool loop_reads(const struct sov_sensor *d)
{
	if (d->source == SOV_SRC_MSR || d->source == SOV_SRC_POWERCAP)
		return d->kind == SOV_KIND_ENERGY;
	return d->source == SOV_SRC_HWMON && !strncmp(d->chip, "k10temp/", 8) &&
	       d->kind != SOV_KIND_CHIP_INFO;
}

#define MAX_FD 4096

/*
 * tree_fds() - mark in @fds (MAX_FD of them) the descriptors of @pid open
 * onto a file of the sensor tree now.
 */
static void tree_fds(pid_t pid, bool *fds)
{
	char d[64], p[96], to[512];
	struct dirent *e;
	DIR *dp;
	int n = 0;

	snprintf(d, sizeof(d), "/proc/%d/fd", (int)pid);
	dp = opendir(d);
	cr_assert_not_null(dp, "%s: %s", d, strerror(errno));
	while ((e = readdir(dp))) {
		long fd = strtol(e->d_name, NULL, 10);
		ssize_t len;

		if (e->d_name[0] == '.' || fd < 0 || fd >= MAX_FD)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		len = readlink(p, to, sizeof(to) - 1);
		if (len <= 0)
			continue;
		to[len] = '\0';
		if (!strncmp(to, tree, strlen(tree)) && to[strlen(tree)] == '/') {
			fds[fd] = true;
			n++;
		}
	}
	closedir(dp);
	cr_assert_gt(n, 10, "only %d descriptors onto the tree at the first sleep", n);
}

#define CYCLES 200

/*
 * The rule of docs/realtime.md, under ptrace, from the loop's first sleep
 * to its last: the loop thread makes no system call but the one sleep per
 * cycle and its sensor reads; a read (read, pread64, ioctl) only on a
 * descriptor that was open onto the sensor tree when the loop first slept,
 * and in each cycle at most as many as the loop's channels due in it (the
 * slow ones are the worker's).  The window holds a threshold crossing, a
 * failed read, a recovery and a SIGHUP reload: the loop's event and
 * reload paths are traced too.  Anything else fails, naming the call.
 */
Test(e2e, loop_makes_only_sensor_reads_and_one_sleep)
{
	static uint64_t deadline[CYCLES + 1];
	static unsigned reads[CYCLES + 1];
	static bool tree_fd[MAX_FD];
	char bad[256] = "";
	unsigned long sleeps = 0, nbad = 0, total_reads = 0;
	struct script sc;
	int st, in_call = 0;
	pid_t pid;

	script_prepare(&sc);
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
	sc.pid = pid;
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
				long nr;

				cr_assert_eq(ptrace(PTRACE_GETREGS, pid, NULL, &regs), 0);
				nr = (long)regs.orig_rax;
				if (nr == SYS_clock_nanosleep && sleeps < CYCLES) {
					long sec, nsec;

					if (!sleeps)
						tree_fds(pid, tree_fd);
					sleeps++;
					/* The deadline: the time of the cycle this sleep ends in. */
					errno = 0;
					sec = ptrace(PTRACE_PEEKDATA, pid, (void *)regs.rdx, NULL);
					nsec = ptrace(PTRACE_PEEKDATA, pid, (void *)(regs.rdx + 8), NULL);
					cr_assert_eq(errno, 0, "the sleep's deadline: %s", strerror(errno));
					deadline[sleeps] = (uint64_t)sec * 1000000000ull + (uint64_t)nsec;
					script_step(&sc, sleeps);
				} else if (!sleeps || sleeps >= CYCLES - 1) {
					/* Start-up; after the last sleep, the last cycle and the exit path. */
				} else if (nr == SYS_read || nr == SYS_pread64 || nr == SYS_ioctl) {
					long fd = (int)regs.rdi; /* an int argument */

					reads[sleeps]++;
					total_reads++;
					if ((fd < 0 || fd >= MAX_FD || !tree_fd[fd]) && !nbad++)
						snprintf(bad, sizeof(bad), "%s(%ld, ...) after sleep %lu: not a "
							 "sensor descriptor open at start", sc_name(nr), fd,
							 sleeps);
				} else {
					if (!nbad++)
						snprintf(bad, sizeof(bad), "%s after sleep %lu%s", sc_name(nr),
							 sleeps, sleeps > HUP_AT ? " (after the SIGHUP)" : "");
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
	cr_assert_eq(sleeps, CYCLES - 1, "one sleep per cycle");
	cr_assert_eq(nbad, 0, "%lu forbidden system call(s) in the loop, the first: %s", nbad, bad);

	/* Reads per cycle against the loop's channels due in it (the last cycle: the exit path's). */
	{
		struct sov_reader *r;
		struct sov_sensor d;
		uint64_t per[512];
		unsigned nper = 0, most = 0;

		cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
		for (uint32_t i = 0; i < sov_reader_nsensors(r); i++) {
			cr_assert_eq(sov_reader_sensor(r, i, &d), 0);
			if (loop_reads(&d) && nper < 512)
				per[nper++] = (uint64_t)d.period_ms * 1000000ull;
		}
		sov_reader_close(r);
		cr_assert_geq(nper, 4, "the loop's own channels: k10temp, msr, powercap");
		for (unsigned long k = 1; k < sleeps; k++) {
			uint64_t t = deadline[k], prev = k > 1 ? deadline[k - 1] : t - 5000000;
			unsigned due = 0;

			/* Due: a multiple of its period in (the cycle before, this one]. */
			for (unsigned j = 0; j < nper; j++)
				due += t / per[j] > prev / per[j];
			cr_assert_leq(reads[k], due,
				      "%u reads in the cycle after sleep %lu, %u of the loop's channels due",
				      reads[k], k, due);
			if (reads[k] > most)
				most = reads[k];
		}
		printf("loop: %lu cycles traced, %lu sensor reads (%.1f per cycle, at most %u), "
		       "%u loop channels\n", sleeps, total_reads, (double)total_reads / (double)sleeps,
		       most, nper);
		cr_assert_geq(total_reads, 3 * (sleeps - 1), "energy (3 counters) read every cycle");
	}
	script_check_events(deadline[1] - 1);
}


#define ALLOC_CYCLES 400
#define ARM_AFTER 40 /* loop sleeps: start-up and the first cycles behind */

/*
 * "The loop allocates nothing": alloc_shim.c, preloaded into the sampler,
 * counts the loop thread's malloc/calloc/realloc/free/aligned forms/mmap
 * from its ARM_AFTER-th sleep on; over the rest of its ALLOC_CYCLES cycles,
 * through the same events and reload as above (driven by the published
 * cycle count), the count stays 0.
 */
Test(e2e, loop_allocates_nothing)
{
	extern char **environ;
	char report[160], line[512], first[64] = "", from[300] = "";
	char *envp[256];
	char env_pre[256], env_arm[64], env_rep[200], env_asan[512];
	unsigned long long armed_ns = 0;
	unsigned long sleeps = 0, allocs = 1;
	size_t first_size = 0;
	struct sov_reader *r = NULL;
	struct script sc;
	unsigned long step = 0;
	static const unsigned long at[] = { CROSS_AT, FAIL_AT, BACK_AT, HUP_AT };
	int n = 0, st;
	FILE *f;

	script_prepare(&sc);
	snprintf(report, sizeof(report), "%s/alloc.txt", dir);
	snprintf(env_pre, sizeof(env_pre), "LD_PRELOAD=%s", SOV_ALLOC_SHIM);
	snprintf(env_arm, sizeof(env_arm), "SOV_ALLOC_ARM_AFTER=%d", ARM_AFTER);
	snprintf(env_rep, sizeof(env_rep), "SOV_ALLOC_REPORT=%s", report);
	{
		/* ASan: the shim is preloaded before its runtime (alloc_shim.c). */
		const char *cur = getenv("ASAN_OPTIONS");

		snprintf(env_asan, sizeof(env_asan), "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
			 cur ? cur : "", cur ? ":" : "");
	}
	for (char **e = environ; *e && n < 250; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "ASAN_OPTIONS=", 13))
			envp[n++] = *e;
	envp[n++] = env_pre;
	envp[n++] = env_arm;
	envp[n++] = env_rep;
	envp[n++] = env_asan;
	envp[n] = NULL;
	sc.pid = fork();
	cr_assert_geq(sc.pid, 0);
	if (sc.pid == 0) {
		char cyc[16], log[160];
		int fd;

		snprintf(log, sizeof(log), "%s/sampler.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		snprintf(cyc, sizeof(cyc), "%d", ALLOC_CYCLES);
		execve(SOV_SAMPLER_BIN, (char *[]){ SOV_SAMPLER_BIN, "-c", conf, "--segment", seg,
			"--cycles", cyc, "--no-rt", NULL }, envp);
		_exit(127);
	}
	sampler_pid = sc.pid;
	/* The script, by the cycles the loop publishes (ARM_AFTER + 1 and on are armed). */
	for (int i = 0; i < 20000 && step < 4; i++) {
		if (!r && sov_reader_open(seg, NULL, &r) != 0)
			r = NULL;
		if (r && sov_reader_head(r) >= ARM_AFTER + 2 * at[step]) {
			script_step(&sc, at[step]);
			step++;
		}
		stack_sleep_ms(1);
	}
	cr_assert_eq(step, 4, "the script did not run: %s", sampler_log());
	cr_assert_eq(waitpid(sc.pid, &st, 0), sc.pid);
	sampler_pid = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x: %s", st, sampler_log());
	cr_assert_eq(sov_reader_head(r), ALLOC_CYCLES, "the script ended after the run");
	sov_reader_close(r);

	f = fopen(report, "r");
	cr_assert_not_null(f, "no report from the shim (not preloaded?): %s", sampler_log());
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	cr_assert_eq(sscanf(line, "armed_ns %llu sleeps %lu allocs %lu first %63s %zu from %299s",
			    &armed_ns, &sleeps, &allocs, first, &first_size, from), 6, "%s", line);
	printf("loop: %lu cycles armed, %lu allocations\n", sleeps, allocs);
	cr_assert_gt(armed_ns, 0, "the shim never armed: %s", line);
	cr_assert_geq(sleeps, ALLOC_CYCLES - ARM_AFTER - 2, "%s", line);
	cr_assert_eq(allocs, 0, "the loop allocated %lu time(s), the first: %s of %zu bytes from %s",
		     allocs, first, first_size, from);
	script_check_events(armed_ns);
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
