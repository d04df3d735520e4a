/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_watchdog.c - Criterion tests of sovereign-watchdog: the pure helpers,
 * then the real binary watching a fake inference process (heartbeat or
 * health URL), with a fake sampler segment published by this test and a
 * regular file standing in for /dev/watchdog (one byte per feed).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heartbeat.h"
#include "sovereign.h"
#include "wd.h"

#define PERIOD_MS 100
#define HANG_MS   600
#define STALE_MS  400

static char dir[64], sampler_name[64], wd_name[64], conf[128], dev[128], pidf[128],
	hbf[128], portf[128];
static pid_t fake_pid, wd_pid;
static pid_t squat_pid;      /* another user bumping a heartbeat of its own */
static pid_t bus_pid, sysd_pid; /* unit mode: a private dbus-daemon and a fake systemd */
static struct sov_writer *sw;
static pthread_t pub_thread;
static bool pub_started;
static int pub_run = 1;      /* 0: stop publishing (stale), -1: exit thread */

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The fake sampler: one gauge, a sample every 20 ms while pub_run is 1. */
static void *publisher(void *arg)
{
	int run;

	(void)arg;
	while ((run = __atomic_load_n(&pub_run, __ATOMIC_ACQUIRE)) >= 0) {
		if (run) {
			struct timespec ts;
			uint64_t m;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			m = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			sov_writer_stage(sw)->mono_ns = m;
			sov_writer_set(sw, 0, 42, m);
			sov_writer_publish(sw);
		}
		sleep_ms(20);
	}
	return NULL;
}

/* fork + exec with PDEATHSIG, so a child never outlives a timed-out test. */
static pid_t spawn(char *const argv[])
{
	pid_t p = fork();

	cr_assert(p >= 0, "fork: %s", strerror(errno));
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(127);
	}
	return p;
}

/*
 * Copy file @from into @dir/bin as @name (NULL: its own name), mode @mode
 * (@dir/bin made 0755, @dir 0711): another user may not be able to enter
 * the build tree (a clone under /root is mode 0700).
 * Return: the copy's path, in a static buffer.
 */
static const char *reachable_copy(const char *from, const char *name, mode_t mode)
{
	static char to[256];
	char buf[65536], d[192];
	const char *base = name ? name : strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
	int in, out;
	ssize_t n;

	cr_assert_eq(chmod(dir, 0711), 0);
	snprintf(d, sizeof(d), "%s/bin", dir);
	cr_assert(mkdir(d, 0755) == 0 || errno == EEXIST, "%s: %s", d, strerror(errno));
	snprintf(to, sizeof(to), "%s/%s", d, base);
	in = open(from, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(out, 0, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n, "%s: %s", to, strerror(errno));
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(fchmod(out, mode), 0);
	cr_assert_eq(close(out), 0);
	return to;
}

/*
 * As spawn(), running as uid and gid @uid (no supplementary groups), from a
 * copy of the program, and of libsovereign (a build may link it although
 * the program calls nothing of it), that @uid can reach.  PDEATHSIG after
 * the switch: changing credentials clears it.
 */
static pid_t spawn_as(char *const argv[], uid_t uid)
{
	char prog[256], libdir[256];
	pid_t p;

	snprintf(libdir, sizeof(libdir), "%s", reachable_copy(WD_LIB_FILE, WD_LIB_SONAME, 0644));
	*strrchr(libdir, '/') = '\0';
	snprintf(prog, sizeof(prog), "%s", reachable_copy(argv[0], NULL, 0755));
	p = fork();
	cr_assert(p >= 0, "fork: %s", strerror(errno));
	if (p == 0) {
		setenv("LD_LIBRARY_PATH", libdir, 1);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(prog, argv);
		_exit(127);
	}
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	struct sov_sensor s;
	struct sov_writer_opts o = { .nslots = 16, .nevents = 16, .period_ns = 20000000 };

	snprintf(dir, sizeof(dir), "/tmp/sov-wd-%d-XXXXXX", (int)getpid());
	cr_assert(mkdtemp(dir));
	snprintf(sampler_name, sizeof(sampler_name), "/sov-wd-%d-s", (int)getpid());
	snprintf(wd_name, sizeof(wd_name), "/sov-wd-%d", (int)getpid());
	snprintf(conf, sizeof(conf), "%s/watchdog.conf", dir);
	snprintf(dev, sizeof(dev), "%s/watchdog-dev", dir);
	snprintf(pidf, sizeof(pidf), "%s/inference.pid", dir);
	snprintf(hbf, sizeof(hbf), "%s/heartbeat", dir);
	snprintf(portf, sizeof(portf), "%s/port", dir);
	sov_shm_unlink(sampler_name);
	sov_shm_unlink(wd_name);

	memset(&s, 0, sizeof(s));
	s.kind = SOV_KIND_TEMP;
	s.unit = SOV_UNIT_MILLICELSIUS;
	s.source = SOV_SRC_SIM;
	strcpy(s.chip, "fake");
	strcpy(s.name, "temp1");
	s.id = sov_sensor_id(s.source, s.chip, s.name);
	o.name = sampler_name;
	cr_assert_eq(sov_writer_create(&o, &s, 1, &sw), 0);
	pub_run = 1;
	cr_assert_eq(pthread_create(&pub_thread, NULL, publisher, NULL), 0);
	pub_started = true;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

/* Kill and reap the child *@pid, if any, and forget it. */
static void reap(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

static void teardown(void)
{
	/* Children first: nothing may keep running after the test. */
	reap(&wd_pid);
	reap(&fake_pid);
	reap(&squat_pid);
	reap(&sysd_pid);
	reap(&bus_pid);
	if (pub_started) {
		__atomic_store_n(&pub_run, -1, __ATOMIC_RELEASE);
		pthread_join(pub_thread, NULL);
		pub_started = false;
	}
	sov_writer_close(sw);
	sw = NULL;
	sov_shm_unlink(sampler_name);
	sov_shm_unlink(wd_name);
	if (dir[0])
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(wd, .init = setup, .fini = teardown, .timeout = 25);

/*
 * Write the watchdog's config with [target] @target and [progress]
 * @progress (each "key = value" lines), then start the watchdog.
 */
static void start_watchdog(const char *target, const char *progress, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[watchdog]\nsegment = %s\nsampler_segment = %s\nperiod_ms = %d\n"
		 "hang_ms = %d\nsampler_max_age_ms = %d\n"
		 "[target]\n%s\n[progress]\n%s\n"
		 "[device]\npath = %s\ntimeout_s = 2\n%s\n",
		 wd_name, sampler_name, PERIOD_MS, HANG_MS, STALE_MS, target, progress, dev,
		 extra ? extra : "");
	write_file(conf, text);
	write_file(dev, "");
	{
		char *argv[] = { WD_BIN, "-c", conf, NULL };

		wd_pid = spawn(argv);
	}
}

/* Start the fake runtime (@mode "heartbeat" or "http"), its pid file and the watchdog. */
static void start(const char *mode, const char *extra)
{
	char text[32], port[16] = "", target[256], progress[256];
	uint64_t t0;

	if (strcmp(mode, "heartbeat") == 0) {
		char *argv[] = { WD_FAKE_BIN, "heartbeat", hbf, NULL };

		fake_pid = spawn(argv);
	} else {
		char *argv[] = { WD_FAKE_BIN, "http", portf, NULL };
		FILE *f;

		fake_pid = spawn(argv);
		for (t0 = ms_now(); ms_now() - t0 < 5000 && access(portf, R_OK) != 0;)
			sleep_ms(10);
		f = fopen(portf, "r");
		cr_assert(f, "fake http server wrote no port");
		cr_assert(fgets(port, sizeof(port), f));
		fclose(f);
		port[strcspn(port, "\n")] = '\0';
	}
	snprintf(text, sizeof(text), "%d\n", (int)fake_pid);
	write_file(pidf, text);
	snprintf(target, sizeof(target), "pid_file = %s", pidf);
	if (strcmp(mode, "heartbeat") == 0)
		snprintf(progress, sizeof(progress), "heartbeat = %s", hbf);
	else
		snprintf(progress, sizeof(progress),
			 "health_timeout_ms = 50\nhealth_url = http://127.0.0.1:%s/healthz", port);
	start_watchdog(target, progress, extra);
}

/*
 * Command mode: the watchdog starts the fake runtime itself (through
 * /bin/sh -c, as a unit's ExecStart would be written) and judges progress
 * by the mtime of the file it touches.
 */
static void start_command_mtime(void)
{
	char target[512], progress[256];

	snprintf(target, sizeof(target), "command = %s mtime %s", WD_FAKE_BIN, hbf);
	snprintf(progress, sizeof(progress), "mtime_file = %s", hbf);
	start_watchdog(target, progress, NULL);
}

/* The watchdog's child (the runtime it started), or 0 when it has none yet. */
static pid_t wd_child(void)
{
	char path[64];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)wd_pid, (int)wd_pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

/* The watchdog's published values; -1 where unavailable. */
struct seen {
	int64_t active, state, sampler_ok, feeds;
};

static int read_wd(struct seen *out)
{
	struct sov_reader *r;
	struct sov_sample *s;
	int rc;

	rc = sov_reader_open(wd_name, NULL, &r);
	if (rc < 0)
		return rc;
	s = sov_sample_alloc(r);
	rc = s ? sov_reader_latest(r, s) : -ENOMEM;
	if (rc == 0) {
		int64_t *f[] = { &out->active, &out->state, NULL, NULL, &out->sampler_ok,
				 &out->feeds };

		for (int i = 0; i < 6; i++)
			if (f[i] && sov_sample_get(s, (uint32_t)i, f[i], NULL) < 0)
				*f[i] = -1;
	}
	sov_sample_free(s);
	sov_reader_close(r);
	return rc;
}

/*
 * Wait until the published field at @off in struct seen (offsetof) is
 * @want; return the ms it took, or -1 after @timeout_ms.
 */
static int64_t wait_seen(size_t off, int64_t want, int timeout_ms)
{
	uint64_t t0 = ms_now();
	struct seen v;

	while (ms_now() - t0 < (uint64_t)timeout_ms) {
		if (read_wd(&v) == 0 && *(const int64_t *)((const char *)&v + off) == want)
			return (int64_t)(ms_now() - t0);
		sleep_ms(10);
	}
	return -1;
}

/* Wait until the published state is @state; return the ms it took, or -1. */
static int64_t wait_state(int64_t state, int timeout_ms)
{
	return wait_seen(offsetof(struct seen, state), state, timeout_ms);
}

/* Wait until sampler_fresh is @ok; return the ms it took, or -1. */
static int64_t wait_sampler_ok(int64_t ok, int timeout_ms)
{
	return wait_seen(offsetof(struct seen, sampler_ok), ok, timeout_ms);
}

static off_t dev_bytes(void)
{
	struct stat st;

	cr_assert_eq(stat(dev, &st), 0);
	return st.st_size;
}

/* Feeds of the fake device during @ms. */
static off_t feeds_during(int ms)
{
	off_t a = dev_bytes();

	sleep_ms(ms);
	return dev_bytes() - a;
}

/* Is there an event of @type in the watchdog's segment? */
static bool has_event(uint16_t type)
{
	struct sov_event ev[32];
	struct sov_reader *r;
	uint64_t cur = 0;
	bool found = false;
	int n;

	if (sov_reader_open(wd_name, NULL, &r) < 0)
		return false;
	n = sov_reader_events(r, &cur, ev, 32, NULL);
	for (int i = 0; i < n; i++)
		found |= ev[i].type == type;
	sov_reader_close(r);
	return found;
}

/* How many events of @type in the watchdog's segment have @text in their text? */
static int count_events(uint16_t type, const char *text)
{
	struct sov_event ev[64];
	struct sov_reader *r;
	uint64_t cur = 0;
	int n, found = 0;

	if (sov_reader_open(wd_name, NULL, &r) < 0)
		return 0;
	n = sov_reader_events(r, &cur, ev, 64, NULL);
	for (int i = 0; i < n; i++)
		found += ev[i].type == type && strstr(ev[i].text, text) != NULL;
	sov_reader_close(r);
	return found;
}

/* Wait until an event of @type with @text is published; false on timeout. */
static bool wait_event(uint16_t type, const char *text, int timeout_ms)
{
	uint64_t t0 = ms_now();

	while (ms_now() - t0 < (uint64_t)timeout_ms) {
		if (count_events(type, text) > 0)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void wait_file(const char *path, int timeout_ms)
{
	uint64_t t0 = ms_now();

	while (ms_now() - t0 < (uint64_t)timeout_ms && access(path, F_OK) != 0)
		sleep_ms(10);
	cr_assert_eq(access(path, F_OK), 0, "%s never appeared", path);
}

/*
 * A runtime directory owned by @uid (as RuntimeDirectory= makes one), and
 * the heartbeat file in it; the test directory becomes traversable (0711).
 */
static void runtime_dir_of(uid_t uid)
{
	char d[160];

	cr_assert_eq(chmod(dir, 0711), 0);
	snprintf(d, sizeof(d), "%s/rt", dir);
	cr_assert_eq(mkdir(d, 0755), 0);
	cr_assert_eq(chown(d, uid, uid), 0);
	snprintf(hbf, sizeof(hbf), "%s/heartbeat", d);
}

/* [target] watching the pid file. */
static const char *pidfile_target(void)
{
	static char t[160];

	snprintf(t, sizeof(t), "pid_file = %s", pidf);
	return t;
}

/* The published state now, or -1. */
static int64_t state_now(void)
{
	struct seen v;

	return read_wd(&v) == 0 ? v.state : -1;
}

/* Write the pid file naming @pid, the process the watchdog watches. */
static void target_is(pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d\n", (int)pid);
	write_file(pidf, text);
}

/* --- pure helpers --- */

Test(pure, state_machine)
{
	struct wd_eval e = { .found = true, .alive = true, .now_ms = 10000,
			     .progress_ms = 9500, .hang_ms = 1000 };

	cr_expect_eq(wd_state_eval(&e), WD_ACTIVE);
	e.progress_ms = 8000;
	cr_expect_eq(wd_state_eval(&e), WD_HUNG);
	e.alive = false;
	cr_expect_eq(wd_state_eval(&e), WD_UNKNOWN, "exited but never found before");
	e.was_found = true;
	cr_expect_eq(wd_state_eval(&e), WD_DEAD);
	e.found = false;
	e.was_found = false;
	cr_expect_eq(wd_state_eval(&e), WD_UNKNOWN);
	e = (struct wd_eval){ .found = true, .alive = true, .now_ms = 5, .progress_ms = 9,
			      .hang_ms = 1 };
	cr_expect_eq(wd_state_eval(&e), WD_ACTIVE, "progress after now is not a hang");
	cr_expect_str_eq(wd_state_name(WD_HUNG), "hung");
}

Test(pure, url_and_status)
{
	struct wd_url u;

	cr_expect_eq(wd_url_parse("http://127.0.0.1:8080/health", &u), 0);
	cr_expect_eq(u.port, 8080);
	cr_expect_str_eq(u.path, "/health");
	cr_expect_eq(wd_url_parse("http://localhost:9", &u), 0);
	cr_expect_str_eq(u.path, "/");
	cr_expect_eq(wd_url_parse("http://10.0.0.1:80/", &u), -EINVAL, "not loopback");
	cr_expect_eq(wd_url_parse("http://127.0.0.1:70000/", &u), -EINVAL);
	cr_expect_eq(wd_url_parse("http://127.0.0.1:80/a b", &u), -EINVAL);
	cr_expect_eq(wd_http_status("HTTP/1.1 200 OK\r\n", 17), 200);
	cr_expect_eq(wd_http_status("HTTP/1.0 503\r\n", 14), 503);
	cr_expect_eq(wd_http_status("HTTP/1.0 2000", 13), -EPROTO);
	cr_expect_eq(wd_http_status("SSH-2.0-x", 9), -EPROTO);
}

Test(pure, http_check_refused_and_pidfile, .init = setup, .fini = teardown)
{
	struct wd_url u;
	char p[160];

	/* Port 1 on loopback: nobody listens there in a test container. */
	cr_assert_eq(wd_url_parse("http://127.0.0.1:1/", &u), 0);
	cr_expect_lt(wd_http_check(&u, 200), 0);
	snprintf(p, sizeof(p), "%s/p", dir);
	write_file(p, "1234\n");
	cr_expect_eq(wd_read_pidfile(p), 1234);
	write_file(p, "12x\n");
	cr_expect_eq(wd_read_pidfile(p), -EINVAL);
	write_file(p, "-5");
	cr_expect_eq(wd_read_pidfile(p), -EINVAL);
	cr_expect_eq(wd_read_pidfile("/nonexistent/pid"), -ENOENT);
}

Test(pure, heartbeat_roundtrip, .init = setup, .fini = teardown)
{
	struct sov_heartbeat *hb;
	struct sov_hb_info f = { .counter = 99 };
	struct stat st;
	char p[160];

	snprintf(p, sizeof(p), "%s/hb", dir);
	umask(077); /* the file is made 0644 whatever the umask: the watchdog reads it */
	cr_assert_eq(sov_hb_create(p, &hb), 0);
	umask(022);
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644, "mode %o", (unsigned)(st.st_mode & 07777));
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), 0);
	cr_expect_eq(f.counter, 0);
	cr_expect_eq(f.pid, getpid());
	sov_hb_bump(hb);
	sov_hb_bump(hb);
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), 0);
	cr_expect_eq(f.counter, 2);
	sov_hb_close(hb);
	/* Taken over by its owner again: the counter goes on. */
	cr_assert_eq(sov_hb_create(p, &hb), 0);
	sov_hb_bump(hb);
	sov_hb_close(hb);
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), 0);
	cr_expect_eq(f.counter, 3);
	write_file(p, "not a heartbeat, but long enough to be mapped: 64 bytes.......");
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), -EBADMSG);
	write_file(p, "short");
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), -EBADMSG);
}

/*
 * The runtime side: sov_hb_create() takes over only a regular file of its
 * own with one name and no group/other write bit, never through a symlink
 * and never blocking on a FIFO; what it refuses it leaves as it was.
 */
Test(pure, heartbeat_create_refuses_what_is_not_its_own, .init = setup, .fini = teardown)
{
	const char squat[] = "squatter's bytes";
	struct sov_heartbeat *hb = NULL;
	char p[160], q[160], buf[64] = "";
	struct stat st;
	FILE *f;

	/* Another user's file (a squatter's, made before the runtime started). */
	snprintf(p, sizeof(p), "%s/hb", dir);
	write_file(p, squat);
	cr_assert_eq(chown(p, 65534, 65534), 0);
	cr_expect_eq(sov_hb_create(p, &hb), -EPERM, "another user's file taken over");
	cr_assert_eq(stat(p, &st), 0);
	cr_expect_eq(st.st_size, (off_t)strlen(squat), "a refused file is left as it was");
	f = fopen(p, "r");
	cr_assert(f);
	cr_expect(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_expect_str_eq(buf, squat);

	/* Ours, but others may write it (or hold it open for writing). */
	cr_assert_eq(chown(p, 0, 0), 0);
	cr_assert_eq(chmod(p, 0666), 0);
	cr_expect_eq(sov_hb_create(p, &hb), -EPERM, "a world-writable file taken over");
	cr_assert_eq(chmod(p, 0620), 0);
	cr_expect_eq(sov_hb_create(p, &hb), -EPERM, "a group-writable file taken over");

	/* Ours, with a second name: our writes would land there too. */
	cr_assert_eq(chmod(p, 0644), 0);
	snprintf(q, sizeof(q), "%s/hb-link", dir);
	cr_assert_eq(link(p, q), 0);
	cr_expect_eq(sov_hb_create(p, &hb), -EPERM, "a hard-linked file taken over");
	cr_assert_eq(unlink(q), 0);

	/* A symlink is never followed; a FIFO is refused without blocking. */
	cr_assert_eq(symlink(p, q), 0);
	cr_expect_eq(sov_hb_create(q, &hb), -ELOOP);
	cr_assert_eq(unlink(q), 0);
	cr_assert_eq(mkfifo(q, 0600), 0);
	cr_expect_eq(sov_hb_create(q, &hb), -EPERM, "a FIFO taken over");

	/* Its own plain file is taken over. */
	cr_expect_eq(sov_hb_create(p, &hb), 0);
	sov_hb_close(hb);
}

/*
 * The watchdog side: sov_hb_read() believes a regular file of root or of
 * a uid it is given, with no group/other write bit, and says which rule
 * failed through the owner and mode it found.
 */
Test(pure, heartbeat_read_trusts_root_and_the_given_uids, .init = setup, .fini = teardown)
{
	struct sov_heartbeat *hb;
	struct sov_hb_info f;
	uid_t target = 1000;
	char p[160], q[160];

	snprintf(p, sizeof(p), "%s/hb", dir);
	cr_assert_eq(sov_hb_create(p, &hb), 0);
	sov_hb_bump(hb);
	sov_hb_close(hb);
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), 0, "root's file");
	cr_expect_eq(f.counter, 1);

	cr_assert_eq(chown(p, 65534, 65534), 0);
	cr_expect_eq(sov_hb_read(p, &target, 1, &f), -EPERM, "uid 65534's file believed");
	cr_expect_eq(f.uid, 65534);
	cr_expect_eq(sov_hb_trust(f.uid, f.mode, &target, 1), SOV_HB_FOREIGN);
	target = 65534;
	cr_expect_eq(sov_hb_read(p, &target, 1, &f), 0, "the trusted uid's file refused");
	cr_expect_eq(f.counter, 1);

	cr_assert_eq(chmod(p, 0646), 0);
	cr_expect_eq(sov_hb_read(p, &target, 1, &f), -EPERM, "a world-writable file believed");
	cr_expect_eq(sov_hb_trust(f.uid, f.mode, &target, 1), SOV_HB_WRITABLE);
	cr_assert_eq(chown(p, 0, 0), 0);
	cr_assert_eq(chmod(p, 0664), 0);
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), -EPERM, "a group-writable root file believed");
	cr_assert_eq(chmod(p, 0644), 0);

	snprintf(q, sizeof(q), "%s/hb-link", dir);
	cr_assert_eq(symlink(p, q), 0);
	cr_expect_eq(sov_hb_read(q, NULL, 0, &f), -ELOOP, "a symlink followed");
	cr_assert_eq(unlink(q), 0);
	cr_assert_eq(mkfifo(q, 0644), 0);
	cr_expect_eq(sov_hb_read(q, NULL, 0, &f), -EPERM, "a FIFO read (or waited on)");
	cr_expect_eq(sov_hb_trust(f.uid, f.mode, NULL, 0), SOV_HB_NOT_REGULAR);
	cr_assert_eq(unlink(q), 0);
	cr_assert_eq(mkdir(q, 0755), 0);
	cr_expect_eq(sov_hb_read(q, NULL, 0, &f), -EPERM, "a directory read");
}

/*
 * Test hook (the link wraps fstat, tests/readers/watchdog/CMakeLists.txt):
 * truncate file truncate_after_fstat to 0 bytes right after the next
 * fstat() returns, as a runtime reopening its heartbeat with O_TRUNC
 * would do at the worst moment for a reader that checks the size and
 * then maps the file.
 */
int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
static const char *truncate_after_fstat;

int __wrap_fstat(int fd, struct stat *st)
{
	int rc = __real_fstat(fd, st);
	const char *p = truncate_after_fstat;

	if (p) {
		truncate_after_fstat = NULL;
		cr_assert_eq(truncate(p, 0), 0, "%s: %s", p, strerror(errno));
	}
	return rc;
}

/* Truncated between the check and the read: a refusal, not a SIGBUS. */
Test(pure, heartbeat_read_survives_truncation_after_the_check, .init = setup, .fini = teardown)
{
	struct sov_heartbeat *hb;
	struct sov_hb_info f;
	char p[160];

	snprintf(p, sizeof(p), "%s/hb", dir);
	cr_assert_eq(sov_hb_create(p, &hb), 0);
	sov_hb_bump(hb);
	cr_assert_eq(sov_hb_read(p, NULL, 0, &f), 0);
	truncate_after_fstat = p;
	cr_expect_eq(sov_hb_read(p, NULL, 0, &f), -EBADMSG);
	cr_expect_null(truncate_after_fstat, "the hook did not run: no fstat in sov_hb_read()?");
	sov_hb_close(hb);
}

Test(pure, bad_config_names_file_and_line, .init = setup, .fini = teardown)
{
	char out[160], cmd[512], line[512] = "";
	FILE *f;
	int status;

	write_file(conf, "[watchdog]\nperiod_ms = 5\n[target]\npid_file = /x\n");
	snprintf(out, sizeof(out), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "%s -c %s 2>%s", WD_BIN, conf, out);
	status = system(cmd);
	cr_assert(WIFEXITED(status));
	cr_expect_eq(WEXITSTATUS(status), 2);
	f = fopen(out, "r");
	cr_assert(f);
	cr_expect(fgets(line, sizeof(line), f));
	fclose(f);
	cr_expect(strstr(line, "watchdog.conf:2"), "error names file:line: %s", line);
}

/* heartbeat_owner: a user or uid, only with a heartbeat; errors name file:line. */
Test(pure, heartbeat_owner_config_errors, .init = setup, .fini = teardown)
{
	static const struct {
		const char *progress, *says;
	} bad[] = {
		{ "health_url = http://127.0.0.1:1/\nheartbeat_owner = 0", "without heartbeat" },
		{ "heartbeat = /x\nheartbeat_owner = no-such-user-here", "no user 'no-such-user-here'" },
		{ "heartbeat = /x\nheartbeat_owner = 4294967295", "out of range" },
		{ "heartbeat = /x\nheartbeat_owner =", "empty" },
	};
	char text[512], out[160], cmd[512], line[512];

	snprintf(out, sizeof(out), "%s/err", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f;
		int status;

		snprintf(text, sizeof(text), "[target]\npid_file = /x\n[progress]\n%s\n",
			 bad[i].progress);
		write_file(conf, text);
		snprintf(cmd, sizeof(cmd), "%s -c %s 2>%s", WD_BIN, conf, out);
		status = system(cmd);
		cr_assert(WIFEXITED(status));
		cr_expect_eq(WEXITSTATUS(status), 2, "%s: accepted", bad[i].progress);
		f = fopen(out, "r");
		cr_assert(f);
		line[0] = '\0';
		cr_expect(fgets(line, sizeof(line), f));
		fclose(f);
		cr_expect(strstr(line, "watchdog.conf:") && strstr(line, "heartbeat_owner") &&
			  strstr(line, bad[i].says), "%s: %s", bad[i].progress, line);
	}
}

/* --- the binary --- */

Test(wd, active_then_dead)
{
	struct seen v;
	int64_t t;

	start("heartbeat", NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 1);
	cr_expect_eq(v.sampler_ok, 1);
	cr_expect_geq(feeds_during(500), 3, "device fed while active");
	cr_expect(has_event(SOV_EV_FAILSAFE_EXIT), "event: feeding started");

	kill(fake_pid, SIGKILL);
	waitpid(fake_pid, NULL, 0);
	fake_pid = 0;
	/* The pidfd wakes the watchdog at once; allow a loaded machine a period or two. */
	t = wait_state(WD_DEAD, 1000);
	cr_assert_geq(t, 0, "never became dead");
	cr_expect_leq(t, 3 * PERIOD_MS, "dead after %lld ms", (long long)t);
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 0);
	cr_expect(has_event(SOV_EV_SENSOR_LOST), "event: inference lost");
	cr_expect(has_event(SOV_EV_FAILSAFE_ENTER), "event: feeding stopped");
	cr_expect_eq(feeds_during(500), 0, "device not fed while dead");
}

Test(wd, hang_then_back)
{
	struct seen v;
	int64_t t;

	start("heartbeat", NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	kill(fake_pid, SIGSTOP);
	t = wait_state(WD_HUNG, HANG_MS + 2000);
	cr_assert_geq(t, 0, "never became hung");
	cr_expect_geq(t, HANG_MS - 2 * PERIOD_MS, "hung too early: %lld ms", (long long)t);
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 0);
	cr_expect(has_event(SOV_EV_DEGRADED), "event: hung");
	cr_expect_eq(feeds_during(500), 0, "device not fed while hung");

	kill(fake_pid, SIGCONT);
	cr_assert_geq(wait_state(WD_ACTIVE, 2000), 0, "never came back");
	cr_expect(has_event(SOV_EV_SENSOR_BACK), "event: back");
	cr_expect_geq(feeds_during(500), 3, "fed again once back");
}

Test(wd, stale_sampler_not_fed)
{
	struct seen v;

	start("heartbeat", NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	cr_expect_geq(feeds_during(400), 2, "fed while all is well");
	__atomic_store_n(&pub_run, 0, __ATOMIC_RELEASE);
	cr_assert_geq(wait_sampler_ok(0, STALE_MS + 2000), 0, "stale sampler not noticed");
	cr_expect_eq(feeds_during(500), 0, "device not fed while the sampler is stale");
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 1, "the inference process itself is still active");
	__atomic_store_n(&pub_run, 1, __ATOMIC_RELEASE);
	cr_assert_geq(wait_sampler_ok(1, 2000), 0, "fresh sampler not noticed");
	cr_expect_geq(feeds_during(500), 3, "fed again");
}

Test(wd, no_reboot_on_hang_keeps_feeding)
{
	start("heartbeat", "reboot_on_hang = no");
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	kill(fake_pid, SIGSTOP);
	cr_assert_geq(wait_state(WD_HUNG, HANG_MS + 2000), 0, "never became hung");
	cr_expect_geq(feeds_during(500), 3, "reboot_on_hang = no: fed while hung");
}

/* SIGTERM to the watchdog, which must exit within 3 s; its wait status. */
static int stop_wd(void)
{
	uint64_t t0;
	int status = 0;

	kill(wd_pid, SIGTERM);
	for (t0 = ms_now(); ms_now() - t0 < 3000;) {
		if (waitpid(wd_pid, &status, WNOHANG) == wd_pid)
			break;
		sleep_ms(10);
	}
	cr_assert(ms_now() - t0 < 3000, "watchdog did not stop on SIGTERM");
	wd_pid = 0;
	return status;
}

Test(wd, clean_stop_writes_magic_close)
{
	char last = 0;
	int status, fd;

	start("heartbeat", NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	cr_assert_geq(feeds_during(300), 1);
	status = stop_wd();
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fd = open(dev, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &last, 1, dev_bytes() - 1), 1);
	close(fd);
	cr_expect_eq(last, 'V', "magic close written last");
}

Test(wd, health_url_active_then_hung)
{
	struct seen v;

	start("http", NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active over HTTP");
	cr_expect_geq(feeds_during(400), 2);
	/* Stopped, the server still accepts (backlog) but never answers: a timeout. */
	kill(fake_pid, SIGSTOP);
	cr_assert_geq(wait_state(WD_HUNG, HANG_MS + 2000), 0, "never became hung");
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 0);
	cr_expect_eq(feeds_during(400), 0);
}

Test(wd, command_mode_mtime_progress)
{
	struct seen v;
	int64_t t;

	start_command_mtime();
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active (command + mtime)");
	fake_pid = wd_child(); /* teardown kills it if the watchdog does not */
	cr_assert_gt(fake_pid, 0, "the watchdog started no runtime");
	cr_expect_geq(feeds_during(400), 2, "fed while the file is being touched");

	/* Stopped, the file's mtime stands still: hung after hang_ms. */
	kill(fake_pid, SIGSTOP);
	t = wait_state(WD_HUNG, HANG_MS + 2000);
	cr_assert_geq(t, 0, "never became hung on a still mtime");
	cr_expect_geq(t, HANG_MS - 2 * PERIOD_MS, "hung too early: %lld ms", (long long)t);
	cr_expect_eq(feeds_during(400), 0, "not fed while hung");
	kill(fake_pid, SIGCONT);
	cr_assert_geq(wait_state(WD_ACTIVE, 2000), 0, "never came back when touched again");

	/* The runtime it started dies: dead at once (pidfd), and not restarted. */
	kill(fake_pid, SIGKILL);
	t = wait_state(WD_DEAD, 1000);
	cr_assert_geq(t, 0, "never became dead");
	cr_expect_leq(t, 3 * PERIOD_MS, "dead after %lld ms", (long long)t);
	cr_assert_eq(read_wd(&v), 0);
	cr_expect_eq(v.active, 0);
	sleep_ms(3 * PERIOD_MS);
	cr_expect_eq(wd_child(), 0, "the watchdog restarted the runtime (a supervisor's job)");
	fake_pid = 0; /* reaped by the watchdog */
}

Test(wd, command_mode_stop_takes_the_runtime_down)
{
	int status;
	pid_t child;

	start_command_mtime();
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active (command + mtime)");
	child = fake_pid = wd_child();
	cr_assert_gt(child, 0, "the watchdog started no runtime");
	status = stop_wd();
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The runtime it started was stopped and reaped with it, not orphaned. */
	cr_expect_eq(kill(child, 0), -1, "runtime %d outlived the watchdog", (int)child);
	cr_expect_eq(errno, ESRCH);
	fake_pid = 0;
}

/* Start a fake runtime and make it the unit's MainPID. */
static void unit_main_pid_is_new_fake(const char *mainpid)
{
	char *argv[] = { WD_FAKE_BIN, "heartbeat", hbf, NULL };
	char text[32];

	fake_pid = spawn(argv);
	snprintf(text, sizeof(text), "%d\n", (int)fake_pid);
	write_file(mainpid, text);
}

/*
 * Unit mode: the watchdog asks systemd for the unit's MainPID over D-Bus.
 * Here a private dbus-daemon stands in for the system bus and fake_systemd
 * for systemd (GetUnit and the Service's MainPID property).
 */
Test(wd, unit_mode_follows_the_units_main_pid)
{
	char sock[160], addr[192], mainpid[160], progress[256];
	uint64_t t0;

	snprintf(sock, sizeof(sock), "%s/system_bus_socket", dir);
	snprintf(addr, sizeof(addr), "unix:path=%s", sock);
	snprintf(mainpid, sizeof(mainpid), "%s/mainpid", dir);
	{
		char *argv[] = { "/usr/bin/dbus-daemon", "--session", "--nofork", "--nopidfile",
				 "--address", addr, NULL };

		bus_pid = spawn(argv);
	}
	for (t0 = ms_now(); ms_now() - t0 < 5000 && access(sock, F_OK) != 0;)
		sleep_ms(10);
	cr_assert_eq(access(sock, F_OK), 0, "dbus-daemon made no socket");
	/* The children find the bus the way sd_bus_open_system() looks. */
	cr_assert_eq(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);
	{
		char *argv[] = { WD_FAKE_SYSTEMD_BIN, "inference.service", mainpid, NULL };

		sysd_pid = spawn(argv);
	}
	unit_main_pid_is_new_fake(mainpid);
	snprintf(progress, sizeof(progress), "heartbeat = %s", hbf);
	start_watchdog("unit = inference.service", progress, NULL);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active (unit MainPID)");
	cr_expect_geq(feeds_during(400), 2, "fed while the unit's process is active");

	/* The unit's process dies: dead; systemd restarts it: active again. */
	kill(fake_pid, SIGKILL);
	waitpid(fake_pid, NULL, 0);
	write_file(mainpid, "0\n"); /* a stopped unit has MainPID 0 */
	cr_assert_geq(wait_state(WD_DEAD, 2000), 0, "never became dead");
	cr_expect_eq(feeds_during(400), 0, "not fed while the unit is down");
	unit_main_pid_is_new_fake(mainpid);
	cr_assert_geq(wait_state(WD_ACTIVE, 3000), 0, "did not follow the unit's new MainPID");
}

/*
 * A squatter: another user (uid 65534) owns the heartbeat file and bumps
 * it while the runtime (root) makes no progress.  Not progress: the
 * runtime is hung after hang_ms, and the watchdog says why, once.
 */
Test(wd, squatted_heartbeat_is_not_progress)
{
	char *sleeper[] = { "/bin/sleep", "300", NULL };
	char progress[256];
	int64_t t;

	runtime_dir_of(65534);
	{
		char *argv[] = { WD_FAKE_BIN, "heartbeat", hbf, NULL };

		squat_pid = spawn_as(argv, 65534);
	}
	wait_file(hbf, 5000);
	fake_pid = spawn(sleeper);
	target_is(fake_pid);
	snprintf(progress, sizeof(progress), "heartbeat = %s", hbf);
	start_watchdog(pidfile_target(), progress, NULL);
	t = wait_state(WD_HUNG, HANG_MS + 3000);
	cr_assert_geq(t, 0, "another user's heartbeat taken for the runtime's progress");
	cr_expect(wait_event(SOV_EV_SENSOR_LOST, "heartbeat not trusted: owned by uid 65534", 2000),
		  "untrusted heartbeat not said");
	cr_expect_eq(feeds_during(500), 0, "device fed while the runtime is hung");
	/* Said once, not every period; still hung while the squatter bumps on. */
	sleep_ms(5 * PERIOD_MS);
	cr_expect_eq(count_events(SOV_EV_SENSOR_LOST, "heartbeat not trusted"), 1);
	cr_expect_eq(state_now(), WD_HUNG);
}

/* A heartbeat others may write is no proof of the runtime's progress. */
Test(wd, writable_heartbeat_is_not_progress)
{
	start("heartbeat", NULL);
	wait_file(hbf, 5000);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	cr_assert_eq(chmod(hbf, 0666), 0);
	cr_assert_geq(wait_state(WD_HUNG, HANG_MS + 3000), 0,
		      "a world-writable heartbeat taken for progress");
	cr_expect(wait_event(SOV_EV_SENSOR_LOST, "mode 0666, group/other-writable", 2000),
		  "untrusted heartbeat not said");
	cr_assert_eq(chmod(hbf, 0620), 0);
	sleep_ms(3 * PERIOD_MS);
	cr_expect_eq(state_now(), WD_HUNG, "a group-writable heartbeat taken for progress");
	cr_assert_eq(chmod(hbf, 0644), 0);
	cr_expect_geq(wait_state(WD_ACTIVE, 3000), 0, "not active again once 0644");
}

/*
 * A runtime running as its own user (65534 here), bumping its heartbeat
 * in its own directory: progress.  Given to another user (the runtime
 * still bumps it through its mapping), it is not; given back, it is again.
 */
Test(wd, target_uid_heartbeat_is_progress)
{
	char progress[256];

	runtime_dir_of(65534);
	{
		char *argv[] = { WD_FAKE_BIN, "heartbeat", hbf, NULL };

		fake_pid = spawn_as(argv, 65534);
	}
	wait_file(hbf, 5000);
	target_is(fake_pid);
	snprintf(progress, sizeof(progress), "heartbeat = %s", hbf);
	start_watchdog(pidfile_target(), progress, NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	sleep_ms(HANG_MS + 3 * PERIOD_MS);
	cr_expect_eq(state_now(), WD_ACTIVE, "the target's own heartbeat not believed");
	cr_expect_eq(count_events(SOV_EV_SENSOR_LOST, "heartbeat not trusted"), 0);

	cr_assert_eq(chown(hbf, 65533, 65533), 0);
	cr_assert_geq(wait_state(WD_HUNG, HANG_MS + 3000), 0,
		      "a heartbeat of uid 65533 believed for a runtime of uid 65534");
	cr_expect(wait_event(SOV_EV_SENSOR_LOST, "owned by uid 65533", 2000));
	cr_assert_eq(chown(hbf, 65534, 65534), 0);
	cr_expect_geq(wait_state(WD_ACTIVE, 3000), 0, "not active again once the target's");
}

/* heartbeat_owner: the configured user's heartbeat is believed too. */
Test(wd, heartbeat_owner_is_trusted)
{
	char *sleeper[] = { "/bin/sleep", "300", NULL };
	char progress[256];

	runtime_dir_of(65534);
	{
		char *argv[] = { WD_FAKE_BIN, "heartbeat", hbf, NULL };

		squat_pid = spawn_as(argv, 65534);
	}
	wait_file(hbf, 5000);
	fake_pid = spawn(sleeper); /* root: 65534 is trusted only by the key */
	target_is(fake_pid);
	snprintf(progress, sizeof(progress), "heartbeat = %s\nheartbeat_owner = nobody", hbf);
	start_watchdog(pidfile_target(), progress, NULL);
	cr_assert_geq(wait_state(WD_ACTIVE, 5000), 0, "never became active");
	sleep_ms(HANG_MS + 3 * PERIOD_MS);
	cr_expect_eq(state_now(), WD_ACTIVE, "heartbeat_owner's heartbeat not believed");
	cr_expect_eq(count_events(SOV_EV_SENSOR_LOST, "heartbeat not trusted"), 0);
}
