/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_notify.c - the sampler's systemd protocol, over a real NOTIFY_SOCKET:
 * READY=1 only after the first sample, WATCHDOG=1 only while the loop's
 * cycle counter advances (a loop stuck in a read stops the pings), and
 * STOPPING=1 on SIGTERM.  Runs sovereign-sampler built with the fake backend.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

Test(notify, ready_then_watchdog_only_while_the_loop_advances, .fini = teardown, .timeout = 60)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char conf[128], d[128];
	uint64_t t0, last_ping = 0, gap = 0;
	int sock, pings = 0, st;
	struct sov_reader *r;
	const char *m;
	FILE *f;
	pid_t pid;

	snprintf(root, sizeof(root), "/tmp/sov-notify-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(d, sizeof(d), "%s/fake", root);
	mkdir(d, 0755);
	snprintf(seg, sizeof(seg), "/sov-notify-%d", (int)getpid());
	put("temp_a", "45000\n");
	snprintf(conf, sizeof(conf), "%s/s.conf", root);
	f = fopen(conf, "w");
	fprintf(f, "[sampler]\nperiod_ms = 10\njournal = no\nroot = %s\nsegment = %s\n[fake]\nenable = yes\n",
		root, seg);
	fclose(f);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", root);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);

	pid = fork();
	if (pid == 0) {
		char p[32];

		snprintf(p, sizeof(p), "%d", (int)getpid());
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		setenv("WATCHDOG_USEC", "200000", 1);
		setenv("WATCHDOG_PID", p, 1);
		execl(SOV_SAMPLER_FAKE_BIN, SOV_SAMPLER_FAKE_BIN, "-c", conf, "--no-rt", (char *)NULL);
		_exit(127);
	}
	child = pid;

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
