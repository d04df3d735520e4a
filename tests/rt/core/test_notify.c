/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_notify.c - the sampler's systemd protocol, over a real NOTIFY_SOCKET:
 * READY=1 only after the first sample, WATCHDOG=1 only while the loop's
 * cycle counter advances (a loop stuck in a read stops the pings), and
 * STOPPING=1 on SIGTERM; and an idle sampler's helper threads (control,
 * slow-bus worker, journal) do not wake up when they have nothing to do;
 * and what journald receives of an event (its name, the segment's number,
 * chip, sensor, the value in its meaning), captured on a socket of ours
 * mounted as /run/systemd/journal in the sampler's own mount namespace.
 * Runs sovereign-sampler built with the fake backend.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sovereign.h"

static char root[64], seg[64];
static pid_t child = -1;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* On any failure too: no orphaned sampler, no leftover files. */
static void teardown(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	sov_shm_unlink(seg);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void put(const char *name, const char *text)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/fake/%s", root, name);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	cr_assert_eq(ftruncate(fd, (off_t)strlen(text)), 0);
	close(fd);
}

/* Next notify message within @ms, or "" on timeout. */
static const char *next_msg(int sock, int ms)
{
	static char buf[512];
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };
	ssize_t n;

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(sock, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * A fresh fixture: @root made, its fake/ chip directory, fake/temp_a at
 * 45 °C, the segment name /sov-notify-@tag-PID, and the configuration
 * root/s.conf (its path in @conf): a [sampler] section with @sampler_keys,
 * root and segment, then @rest.
 */
static void fixture(const char *tag, const char *sampler_keys, const char *rest, char *conf,
		    size_t len)
{
	char d[128];
	FILE *f;

	snprintf(root, sizeof(root), "/tmp/sov-notify-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(d, sizeof(d), "%s/fake", root);
	cr_assert_eq(mkdir(d, 0755), 0);
	snprintf(seg, sizeof(seg), "/sov-notify-%s-%d", tag, (int)getpid());
	put("temp_a", "45000\n");
	snprintf(conf, len, "%s/s.conf", root);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fprintf(f, "[sampler]\n%sroot = %s\nsegment = %s\n%s", sampler_keys, root, seg, rest);
	cr_assert_eq(fclose(f), 0);
}

/* A datagram socket bound at @path (its address in *@sa): the test's end. */
static int bind_dgram(const char *path, struct sockaddr_un *sa)
{
	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(sock, 0);
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	cr_assert_eq(bind(sock, (struct sockaddr *)sa, sizeof(*sa)), 0, "%s: %s", path,
		     strerror(errno));
	return sock;
}

/*
 * Start the sampler on @conf telling systemd's protocol to @notify; with
 * WATCHDOG_USEC=@wd_usec if not NULL (else none), stderr into @log if not
 * NULL.  The child is torn down by teardown() if the test fails.
 */
static pid_t start_sampler(const char *conf, const char *notify, const char *wd_usec,
			   const char *log)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char p[32];

		if (log) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			dup2(fd, 2);
		}
		setenv("NOTIFY_SOCKET", notify, 1);
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		if (wd_usec) {
			snprintf(p, sizeof(p), "%d", (int)getpid());
			setenv("WATCHDOG_USEC", wd_usec, 1);
			setenv("WATCHDOG_PID", p, 1);
		}
		execl(SOV_SAMPLER_FAKE_BIN, SOV_SAMPLER_FAKE_BIN, "-c", conf, "--no-rt", (char *)NULL);
		_exit(127);
	}
	child = pid;
	return pid;
}

Test(notify, ready_then_watchdog_only_while_the_loop_advances, .fini = teardown, .timeout = 60)
{
	struct sockaddr_un sa;
	char conf[128], p[128];
	uint64_t t0, last_ping = 0, gap = 0;
	int sock, pings = 0, st;
	struct sov_reader *r;
	const char *m;
	pid_t pid;

	fixture("ready", "period_ms = 10\njournal = no\n", "[fake]\nenable = yes\n", conf,
		sizeof(conf));
	snprintf(p, sizeof(p), "%s/notify", root);
	sock = bind_dgram(p, &sa);
	pid = start_sampler(conf, sa.sun_path, "200000", NULL);

	m = next_msg(sock, 3000);
	cr_assert(strstr(m, "READY=1"), "first message: '%s'", m);
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	cr_assert_geq(sov_reader_head(r), 1, "READY=1 only once a sample is published");

	/* Healthy: a ping every WATCHDOG_USEC/2 or so. */
	for (t0 = now_ms(); now_ms() - t0 < 1000;)
		pings += strstr(next_msg(sock, 300), "WATCHDOG=1") != NULL;
	cr_assert_geq(pings, 4, "pings while healthy: %d", pings);

	/* Stuck: one read hangs 1.5 s; the loop's counter stops, and so do the pings. */
	put("temp_a", "sleep 1500 45000\n");
	usleep(50000);
	put("temp_a", "45000\n");
	last_ping = now_ms();
	for (t0 = now_ms(); now_ms() - t0 < 2500;) {
		if (strstr(next_msg(sock, 300), "WATCHDOG=1")) {
			if (now_ms() - last_ping > gap)
				gap = now_ms() - last_ping;
			last_ping = now_ms();
		}
	}
	cr_assert_geq(gap, 1200, "longest silence %llu ms: pings went on while the loop was stuck",
		      (unsigned long long)gap);
	cr_assert_lt(now_ms() - last_ping, 500, "pings resumed after the stall");

	kill(pid, SIGTERM);
	for (t0 = now_ms(); now_ms() - t0 < 2000;) {
		m = next_msg(sock, 300);
		if (strstr(m, "STOPPING=1"))
			break;
	}
	cr_assert(strstr(m, "STOPPING=1"), "STOPPING=1 on SIGTERM");
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	child = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	sov_reader_close(r);
	close(sock);
}

/* Times thread @comm of @pid has run (schedstat field 3), or -1 if none. */
static long long thread_runs(pid_t pid, const char *comm)
{
	char p[128], name[32];
	struct dirent *de;
	long long runs = -1;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%d/task", (int)pid);
	d = opendir(p);
	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		unsigned long long a, b, c;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		name[0] = '\0';
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
		if (strcmp(name, comm))
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
		if ((f = fopen(p, "r"))) {
			if (fscanf(f, "%llu %llu %llu", &a, &b, &c) == 3)
				runs = (long long)c;
			fclose(f);
		}
	}
	closedir(d);
	return runs;
}

Test(notify, idle_helper_threads_sleep_until_needed, .fini = teardown, .timeout = 60)
{
	struct sockaddr_un sa;
	long long c0, w0, j0, c1, w1, j1;
	char conf[128], p[192];
	uint64_t t0;
	int sock, st, fd;
	const char *m;
	pid_t pid;

	/* Journal on; a slow channel read once a minute; no watchdog. */
	fixture("idle", "period_ms = 100\njournal = yes\n",
		"[fake]\nenable = yes\n[fake_slow]\nenable = yes\n"
		"[sensor fake_slow/temp_dimm]\nperiod_ms = 60000\n", conf, sizeof(conf));
	snprintf(p, sizeof(p), "%s/fake_slow", root);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/fake_slow/temp_dimm", root);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_eq(write(fd, "33000\n", 6), 6);
	close(fd);
	snprintf(p, sizeof(p), "%s/notify", root);
	sock = bind_dgram(p, &sa);
	pid = start_sampler(conf, sa.sun_path, NULL, NULL);
	m = next_msg(sock, 3000);
	cr_assert(strstr(m, "READY=1"), "first message: '%s'", m);

	/* The journal's back-off reaches 1 s within ~1.6 s of the last event. */
	usleep(2000000);
	c0 = thread_runs(pid, "sov-control");
	w0 = thread_runs(pid, "sov-worker");
	j0 = thread_runs(pid, "sov-journal");
	cr_assert(c0 >= 0 && w0 >= 0 && j0 >= 0, "threads named sov-control/-worker/-journal: %lld %lld %lld",
		  c0, w0, j0);
	usleep(2000000);
	c1 = thread_runs(pid, "sov-control");
	w1 = thread_runs(pid, "sov-worker");
	j1 = thread_runs(pid, "sov-journal");
	/* Before: control 10/s (100 ms timeout), worker 10/s (100 ms cap), journal 20/s (50 ms). */
	cr_assert_leq(c1 - c0, 1, "control thread ran %lld times in 2 s without a signal or watchdog",
		      c1 - c0);
	cr_assert_leq(w1 - w0, 1, "worker ran %lld times in 2 s with its only read due in a minute",
		      w1 - w0);
	/* Idle: ~2 polls in 2 s; an event (an overrun on a loaded machine) resets the
	 * back-off to 50 ms and a preempted run counts twice: 8 is far below 40. */
	cr_assert_leq(j1 - j0, 8, "journal thread ran %lld times in 2 s while idle (back-off to 1 s)",
		      j1 - j0);

	/* A signal still wakes the blocked control thread at once. */
	kill(pid, SIGHUP);
	m = next_msg(sock, 1000);
	cr_assert(strstr(m, "RELOADING=1"), "SIGHUP: '%s'", m);
	m = next_msg(sock, 1000);
	cr_assert(strstr(m, "READY=1"), "after reload: '%s'", m);

	/* SIGTERM: the sleeping worker and journal end at once (sampler_stop wakes them). */
	t0 = now_ms();
	kill(pid, SIGTERM);
	m = next_msg(sock, 1000);
	cr_assert(strstr(m, "STOPPING=1"), "STOPPING=1 on SIGTERM: '%s'", m);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	child = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_assert_lt(now_ms() - t0, 700, "stop took %llu ms", (unsigned long long)(now_ms() - t0));
	close(sock);
}

/* The whole of file @path, for messages ("" if unreadable). */
static const char *slurp_file(const char *path)
{
	static char buf[8192];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* SIGHUP, then RELOADING=1 and READY=1 from the sampler: the reload is over. */
static void reload_and_wait(pid_t pid, int sock)
{
	const char *m;

	kill(pid, SIGHUP);
	m = next_msg(sock, 5000);
	cr_assert(strstr(m, "RELOADING=1"), "SIGHUP: '%s'", m);
	m = next_msg(sock, 5000);
	cr_assert(strstr(m, "READY=1"), "after the reload: '%s'", m);
}

/*
 * A file that is no configuration at SIGHUP -- emptied, replaced by a
 * directory, gone -- is a refused reload: the sampler keeps its running
 * configuration (same generation, every sensor, its limits), says so with
 * the file's name, and a good file afterwards reloads as usual.  (Before:
 * an empty file read as "all defaults", which disables the backends, and
 * the "changed sensor set" restarted the sampler with no sensors.)
 */
Test(notify, reload_of_a_broken_file_keeps_the_old_configuration, .fini = teardown, .timeout = 90)
{
	static const char *const broken[] = { "empty", "directory", "missing" };
	struct sockaddr_un sa;
	char conf[128], sock_path[128], log[128], text[512];
	struct sov_sensor sen;
	struct sov_reader *r;
	uint64_t gen;
	uint32_t n;
	int sock, st, idx, i, k;
	const char *m;
	FILE *f;
	pid_t pid;

	fixture("reload", "period_ms = 10\njournal = no\n",
		"[fake]\nenable = yes\n[sensor fake/temp_a]\ncrit_hi = 90C\n", conf, sizeof(conf));
	put("fan_b", "1200\n");
	snprintf(text, sizeof(text), "%s", slurp_file(conf)); /* the good file */
	cr_assert(strstr(text, "crit_hi = 90C"), "%s", text);
	snprintf(log, sizeof(log), "%s/sampler.log", root);
	snprintf(sock_path, sizeof(sock_path), "%s/notify", root);
	sock = bind_dgram(sock_path, &sa);
	pid = start_sampler(conf, sa.sun_path, NULL, log);
	m = next_msg(sock, 5000);
	cr_assert(strstr(m, "READY=1"), "first message: '%s'", m);
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	gen = sov_reader_header(r)->generation;
	n = sov_reader_nsensors(r);
	idx = sov_reader_find(r, NULL, "temp_a");
	cr_assert_geq(idx, 0);

	for (i = 0; i < 3; i++) {
		char said[256];
		int c = 0;

		f = fopen(conf, "w"); /* the good file ... */
		fputs(text, f);
		fclose(f);
		if (!strcmp(broken[i], "empty")) { /* ... broken */
			f = fopen(conf, "w");
			fclose(f);
		} else {
			cr_assert_eq(unlink(conf), 0, "%s: %s", conf, strerror(errno));
			if (!strcmp(broken[i], "directory"))
				cr_assert_eq(mkdir(conf, 0755), 0);
		}
		reload_and_wait(pid, sock);
		cr_assert_eq(sov_reader_status(r), 0, "%s file: the sampler restarted: %s", broken[i],
			     slurp_file(log));
		cr_assert_eq(sov_reader_header(r)->generation, gen, "%s file", broken[i]);
		cr_assert_eq(sov_reader_nsensors(r), n, "%s file: the table changed", broken[i]);
		cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &sen), 0);
		cr_assert_eq(sen.crit_hi, 90000, "%s file: the limit changed", broken[i]);
		snprintf(said, sizeof(said), "%s: reload refused, keeping the old configuration", conf);
		for (const char *p = slurp_file(log); (p = strstr(p, said)); p++)
			c++;
		cr_assert_eq(c, i + 1, "%s file: not refused with the file's name: %s", broken[i],
			     slurp_file(log));
		if (!strcmp(broken[i], "directory"))
			cr_assert_eq(rmdir(conf), 0);
	}

	/* A good file again: reloaded in place. */
	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\njournal = no\nroot = %s\nsegment = %s\n[fake]\nenable = yes\n"
		 "[sensor fake/temp_a]\ncrit_hi = 80C\n", root, seg);
	f = fopen(conf, "w");
	fputs(text, f);
	fclose(f);
	reload_and_wait(pid, sock);
	for (k = 0; k < 500; k++) {
		cr_assert_eq(sov_reader_sensor(r, (uint32_t)idx, &sen), 0);
		if (sen.crit_hi == 80000)
			break;
		usleep(10000);
	}
	cr_assert_eq(sen.crit_hi, 80000, "the good file was not applied: %s", slurp_file(log));
	cr_assert_eq(sov_reader_header(r)->generation, gen);

	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	child = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	sov_reader_close(r);
	close(sock);
}

/*
 * The journal, as journald receives it: the sampler runs in its own mount
 * namespace where /run/systemd/journal is a directory of ours, so
 * libsystemd's sd_journal_send() datagrams reach this test's socket there.
 */
static int journal_sock = -1;

/* Field @key of the journal datagram @msg into @out; false if absent. */
static bool journal_field(const char *msg, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = msg;

	while (*p) {
		const char *nl = strchrnul(p, '\n');

		if ((size_t)(nl - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(out, len, "%.*s", (int)(nl - p - (ptrdiff_t)kl - 1), p + kl + 1);
			return true;
		}
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

/* The next journal entry whose SOVEREIGN_EVENT is @type, within @ms; "" if none. */
static const char *journal_wait(const char *type, int ms)
{
	static char buf[4096];
	uint64_t t0 = now_ms();
	char v[64];

	while (now_ms() - t0 < (uint64_t)ms) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
		ssize_t n;

		setsockopt(journal_sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = recv(journal_sock, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (journal_field(buf, "SOVEREIGN_EVENT", v, sizeof(v)) && !strcmp(v, type))
			return buf;
	}
	return "";
}

/* The number the segment gave the newest event of @type (0: none yet). */
static uint64_t segment_event(struct sov_reader *r, uint16_t type, uint64_t *cursor)
{
	struct sov_event ev[64];
	uint64_t num = 0;
	int n, i;

	while ((n = sov_reader_events(r, cursor, ev, 64, NULL)) > 0)
		for (i = 0; i < n; i++)
			if (ev[i].type == type)
				num = ev[i].number;
	return num;
}

/* Child: a private /run/systemd/journal that is @dir, then the sampler. */
static void exec_with_journal_at(const char *dir, const char *conf)
{
	const char *jdir = "/run/systemd/journal";
	struct stat st;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		_exit(126);
	if (stat(jdir, &st)) {
		/* No journald here: an empty tmpfs over /run/systemd gives the mount point. */
		if (mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") || mkdir(jdir, 0755))
			_exit(125);
	}
	if (mount(dir, jdir, NULL, MS_BIND, NULL))
		_exit(124);
	execl(SOV_SAMPLER_FAKE_BIN, SOV_SAMPLER_FAKE_BIN, "-c", conf, "--no-rt", (char *)NULL);
	_exit(127);
}

Test(notify, journal_fields_name_the_event_its_number_chip_and_sensor, .fini = teardown,
     .timeout = 60)
{
	struct sockaddr_un sa;
	char conf[128], p[160], jdir[128], v[256];
	struct sov_reader *r = NULL;
	uint64_t cursor = 0, num = 0, t0;
	const char *m;
	int st;
	pid_t pid;

	fixture("journal", "period_ms = 10\njournal = yes\n",
		"[fake]\nenable = yes\n[sensor fake/temp_a]\nlabel = Tctl\ncrit_hi = 95C\n", conf,
		sizeof(conf));
	snprintf(jdir, sizeof(jdir), "%s/journal", root);
	cr_assert_eq(mkdir(jdir, 0755), 0);
	snprintf(p, sizeof(p), "%s/socket", jdir);
	journal_sock = bind_dgram(p, &sa);

	pid = fork();
	if (pid == 0)
		exec_with_journal_at(jdir, conf);
	child = pid;
	for (t0 = now_ms(); now_ms() - t0 < 10000; usleep(20000))
		if (!r && sov_reader_open(seg, NULL, &r) == 0 && sov_reader_head(r) >= 1)
			break;
		else if (r && sov_reader_head(r) >= 1)
			break;
	cr_assert_not_null(r, "the sampler never published (child status: %d)",
			   waitpid(pid, &st, WNOHANG) == pid ? st : -1);

	/* A critical crossing: its name, the segment's number, chip and sensor. */
	put("temp_a", "96500\n");
	m = journal_wait("THRESH_CRIT", 10000);
	cr_assert(m[0], "no THRESH_CRIT entry reached the journal socket");
	for (t0 = now_ms(); !num && now_ms() - t0 < 5000; usleep(10000))
		num = segment_event(r, SOV_EV_THRESH_CRIT, &cursor);
	cr_assert_neq(num, 0, "no THRESH_CRIT in the segment");
	cr_assert(journal_field(m, "SOVEREIGN_EVENT_NUMBER", v, sizeof(v)));
	cr_expect_eq(strtoull(v, NULL, 10), num, "journal number %s, segment number %llu", v,
		     (unsigned long long)num);
	cr_assert(journal_field(m, "SOVEREIGN_CHIP", v, sizeof(v)));
	cr_expect_str_eq(v, "fake/test");
	cr_assert(journal_field(m, "SOVEREIGN_SENSOR", v, sizeof(v)));
	cr_expect_str_eq(v, "temp_a");
	cr_assert(journal_field(m, "SOVEREIGN_LABEL", v, sizeof(v)));
	cr_expect_str_eq(v, "Tctl");
	cr_assert(journal_field(m, "MESSAGE", v, sizeof(v)));
	cr_expect_str_eq(v, "fake/test/temp_a (Tctl): critical limit crossed "
			    "(value 96.500 °C, limit 95.000 °C)");

	/* A failed read: its value is an errno, said by name, not as a temperature. */
	put("temp_a", "error 5\n");
	m = journal_wait("SENSOR_LOST", 10000);
	cr_assert(m[0], "no SENSOR_LOST entry reached the journal socket");
	cr_assert(journal_field(m, "SOVEREIGN_VALUE", v, sizeof(v)));
	cr_expect_str_eq(v, "-5");
	cr_assert(journal_field(m, "MESSAGE", v, sizeof(v)));
	cr_expect(strstr(v, "fake/test/temp_a (Tctl): read failed"), "%s", v);
	cr_expect(strstr(v, "(error EIO: Input/output error)"), "%s", v);
	cr_expect_null(strstr(v, "°C"), "%s", v);

	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	child = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	sov_reader_close(r);
	close(journal_sock);
}
