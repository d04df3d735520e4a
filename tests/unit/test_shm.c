/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_shm.c - Criterion unit tests of libsovereign: layout, round trips,
 * validation errors, read-only mapping, generations, wrap-around, and the
 * no-system-call publish path.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm_internal.h" /* sov_test_attach_hook */
#include "shm_seq.h"      /* CMM_STORE_SHARED, cmm_smp_wmb */
#include "sovereign.h"

static char name[64];
static char tmpdir[64];  /* a test's private directory, see private_run_dir() */

static void setup(void)
{
	static int seq;

	snprintf(name, sizeof(name), "/sov-unit-%d-%d", (int)getpid(), seq++);
	sov_shm_unlink(name);
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];

	sov_shm_unlink(name);
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

/* The file of the test's segment, as the library resolves it. */
static const char *seg_path(void)
{
	static char p[PATH_MAX];

	cr_assert_eq(sov_shm_path(name, p, sizeof(p)), 0);
	return p;
}

/* The writers' lock file of the test's segment. */
static const char *lock_path(void)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", seg_path());
	snprintf(strrchr(p, '/'), sizeof(p) - (size_t)(strrchr(p, '/') - p), "/.%s.lock",
		 name + 1);
	return p;
}

/*
 * Put this test's segments under a fresh directory, "<tmpdir>/run", not
 * yet created (returned).  Criterion runs each test in its own process:
 * the variable goes with it.
 */
static const char *private_run_dir(void)
{
	static char run[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sov-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	cr_assert_eq(setenv(SOV_RUN_DIR_ENV, run, 1), 0);
	return run;
}

TestSuite(shm, .init = setup, .fini = teardown, .timeout = 60);

static struct sov_sensor mk_sensor(uint16_t kind, uint16_t unit, const char *chip,
				   const char *sname, const char *label)
{
	struct sov_sensor s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.unit = unit;
	s.source = SOV_SRC_SIM;
	snprintf(s.chip, sizeof(s.chip), "%s", chip);
	snprintf(s.name, sizeof(s.name), "%s", sname);
	snprintf(s.label, sizeof(s.label), "%s", label);
	s.id = sov_sensor_id(s.source, chip, sname);
	return s;
}

/* Three sensors of different kinds, with every table field set. */
static void three_sensors(struct sov_sensor s[3])
{
	s[0] = mk_sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/pci-0000:00:18.3",
			 "temp1", "Tctl");
	s[0].flags = SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI;
	s[0].warn_hi = 85000;
	s[0].crit_hi = 95000;
	s[0].period_ms = 1000;
	snprintf(s[0].labels, sizeof(s[0].labels), "socket=0");
	s[1] = mk_sensor(SOV_KIND_ENERGY, SOV_UNIT_MICROJOULE, "rapl", "package-0", "package");
	s[1].flags = SOV_SEN_COUNTER;
	s[1].period_ms = 100;
	s[2] = mk_sensor(SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT, "pmbus/i2c-3-40", "in1", "VDDCR_CPU");
	s[2].flags = SOV_SEN_WARN_LO | SOV_SEN_CRIT_LO;
	s[2].warn_lo = 700;
	s[2].crit_lo = -650; /* negative limits survive too */
}

static struct sov_writer *mk_writer(uint32_t nslots, uint32_t nevents)
{
	struct sov_writer_opts o = { .name = name, .nslots = nslots, .nevents = nevents,
				     .period_ns = 1000000, .writer_name = "test" };
	struct sov_sensor s[3];
	struct sov_writer *w;
	int rc;

	three_sensors(s);
	rc = sov_writer_create(&o, s, 3, &w);
	cr_assert_eq(rc, 0, "create: %s", sov_strerror(rc));
	return w;
}

static struct sov_reader *mk_reader(void)
{
	struct sov_reader *r;
	int rc = sov_reader_open(name, NULL, &r);

	cr_assert_eq(rc, 0, "open: %s", sov_strerror(rc));
	return r;
}

/* Publish sample k with values derived from k. */
static void publish_k(struct sov_writer *w, uint64_t k)
{
	struct sov_slot *st = sov_writer_stage(w);

	st->mono_ns = 1000 * k;
	st->real_ns = 2000 * k;
	st->cycle_cost_ns = 3 * k;
	sov_writer_set(w, 0, (int64_t)(40000 + k), 1000 * k);
	sov_writer_set(w, 1, (int64_t)(k * 1000000), 1000 * k - 1);
	sov_writer_set(w, 2, -(int64_t)k, 1000 * k - 2);
	sov_writer_publish(w);
}

Test(shm, layout_is_stable)
{
	/* The ABI in numbers: a reader compiled elsewhere relies on these. */
	cr_assert_eq(sizeof(struct sov_header), 384);
	cr_assert_eq(offsetof(struct sov_header, generation), 256);
	cr_assert_eq(offsetof(struct sov_header, head) % 8, 0);
	cr_assert_eq(sizeof(struct sov_sensor), 256);
	cr_assert_eq(sizeof(struct sov_slot), 64);
	cr_assert_eq(sizeof(struct sov_event), 128);
	cr_assert_eq(sov_bitmap_words(1), 1);
	cr_assert_eq(sov_bitmap_words(64), 1);
	cr_assert_eq(sov_bitmap_words(65), 2);
	cr_assert_eq(sov_slot_size(3), 128);           /* 64 + 16 + 48 = 128 */
	cr_assert_eq(sov_slot_size(1024) % SOV_ALIGN, 0);
	cr_assert_eq(sov_slot_size(1024), sov_align_up(64 + 2 * 8 * 16 + 16 * 1024));

	struct sov_writer *w = mk_writer(8, 16);
	const struct sov_header *h = sov_writer_header(w);

	cr_assert_eq(h->magic, SOV_MAGIC);
	cr_assert_eq(h->abi_version, SOV_ABI_VERSION);
	cr_assert_eq(h->sensor_off % SOV_ALIGN, 0);
	cr_assert_eq(h->ring_off % SOV_ALIGN, 0);
	cr_assert_eq(h->event_off % SOV_ALIGN, 0);
	cr_assert_eq(h->ring_off, h->sensor_off + sov_align_up(3 * 256));
	cr_assert_eq(h->event_off, h->ring_off + 8 * h->slot_size);
	cr_assert_eq(h->total_size, h->event_off + 16 * 128);
	cr_assert_eq(h->writer_pid, getpid());
	cr_assert_eq(h->state, SOV_STATE_LIVE);
	cr_assert_str_eq(h->writer_name, "test");
	sov_writer_close(w);
}

Test(shm, segment_mode_is_0640)
{
	struct sov_writer *w = mk_writer(8, 16);
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s", seg_path());
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
	sov_writer_close(w);
}

Test(shm, configured_group_owns_segment)
{
	struct sov_writer_opts o = { .name = name, .group = "daemon" };
	struct sov_sensor s[3];
	struct sov_writer *w;
	char path[128];
	struct stat st;

	three_sensors(s);
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), 0);
	snprintf(path, sizeof(path), "%s", seg_path());
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_gid, 1, "group daemon is gid 1 on Debian, got %u", st.st_gid);
	sov_writer_close(w);

	o.group = "no-such-group-sovereign";
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -SOV_ENOGROUP);
}

Test(shm, round_trip_every_field)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	struct sov_sensor in[3], out;
	struct sov_slot *st = sov_writer_stage(w);
	const struct sov_slot *sl;
	int64_t v;
	uint64_t t;
	uint32_t i;

	three_sensors(in);
	cr_assert_eq(sov_reader_nsensors(r), 3);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(sov_reader_sensor(r, i, &out), 0);
		cr_assert_eq(memcmp(&out, &in[i], sizeof(out)), 0, "sensor %u differs", i);
	}
	cr_assert_eq(sov_reader_sensor(r, 3, &out), -ERANGE);
	cr_assert_eq(sov_reader_latest(r, smp), -SOV_ENOSAMPLE, "nothing published yet");

	st->mono_ns = UINT64_C(123456789012);
	st->real_ns = UINT64_C(1764000000000000000);
	st->cycle_cost_ns = 4242;
	st->overruns = 7;
	st->smi_count = UINT64_C(0xfedcba9876543210);
	st->flags = SOV_SF_SMI_VALID | SOV_SF_NO_RT;
	sov_writer_set(w, 0, INT64_MIN, 11);
	sov_writer_set(w, 1, INT64_MAX, 22);
	sov_writer_set(w, 2, -1, 33);
	sov_writer_set_suspect(w, 1, true);
	cr_assert_eq(sov_writer_publish(w), 1);

	cr_assert_eq(sov_reader_latest(r, smp), 0);
	sl = sov_sample_slot(smp);
	cr_assert_eq(sl->number, 1);
	cr_assert_eq(sl->mono_ns, UINT64_C(123456789012));
	cr_assert_eq(sl->real_ns, UINT64_C(1764000000000000000));
	cr_assert_eq(sl->cycle_cost_ns, 4242);
	cr_assert_eq(sl->overruns, 7);
	cr_assert_eq(sl->smi_count, UINT64_C(0xfedcba9876543210));
	cr_assert_eq(sl->flags, SOV_SF_SMI_VALID | SOV_SF_NO_RT);
	cr_assert_eq(sl->nsensors, 3);
	cr_assert_eq(sov_sample_get(smp, 0, &v, &t), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(t, 11);
	cr_assert_eq(sov_sample_get(smp, 1, &v, &t), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(t, 22);
	cr_assert_eq(sov_sample_get(smp, 2, &v, &t), 0);
	cr_assert_eq(v, -1);
	cr_assert(sov_sample_suspect(smp, 1));
	cr_assert_not(sov_sample_suspect(smp, 0));
	cr_assert_eq(sov_sample_get(smp, 3, &v, NULL), -ERANGE);

	/* An invalid reading is never a number, not even the previous one. */
	sov_writer_set_invalid(w, 2);
	sov_writer_set_suspect(w, 1, false);
	cr_assert_eq(sov_writer_publish(w), 2);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	v = 99;
	cr_assert_eq(sov_sample_get(smp, 2, &v, NULL), -ENODATA);
	cr_assert_eq(v, 99, "value untouched for an invalid sensor");
	cr_assert_not(sov_sample_suspect(smp, 1));
	/* A sensor not read this cycle keeps its last value and its own time. */
	cr_assert_eq(sov_sample_get(smp, 0, &v, &t), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(t, 11);

	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, events_round_trip_and_wrap)
{
	struct sov_writer *w = mk_writer(8, 4);
	struct sov_reader *r = mk_reader();
	struct sov_event ev = { 0 }, out[8];
	uint64_t cursor = 0, lost = 0;
	int n, i;

	/* The writer announced itself. */
	n = sov_reader_events(r, &cursor, out, 8, &lost);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].type, SOV_EV_WRITER_START);
	cr_assert_eq(out[0].number, 1);
	cr_assert_eq(cursor, 1);

	ev.type = SOV_EV_THRESH_CRIT;
	ev.severity = SOV_SEV_CRIT;
	ev.sensor = 0;
	ev.value = 96125;
	ev.limit = 95000;
	ev.mono_ns = 5;
	ev.real_ns = 6;
	snprintf(ev.text, sizeof(ev.text), "Tctl above critical");
	cr_assert_eq(sov_writer_event(w, &ev), 2);
	n = sov_reader_events(r, &cursor, out, 8, &lost);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].number, 2);
	cr_assert_eq(out[0].type, SOV_EV_THRESH_CRIT);
	cr_assert_eq(out[0].severity, SOV_SEV_CRIT);
	cr_assert_eq(out[0].sensor, 0);
	cr_assert_eq(out[0].value, 96125);
	cr_assert_eq(out[0].limit, 95000);
	cr_assert_eq(out[0].mono_ns, 5);
	cr_assert_eq(out[0].real_ns, 6);
	cr_assert_str_eq(out[0].text, "Tctl above critical");
	cr_assert_eq(lost, 0);

	/* Ten more into a ring of four: the reader is told what it lost. */
	for (i = 0; i < 10; i++) {
		ev.value = i;
		sov_writer_event(w, &ev);
	}
	n = sov_reader_events(r, &cursor, out, 8, &lost);
	/* Events 3..12 published; 10..12 readable (11 - 4 + ... oldest safe = 12 + 2 - 4). */
	cr_assert_eq(n, 3, "got %d", n);
	cr_assert_eq(out[0].number, 10);
	cr_assert_eq(out[2].number, 12);
	cr_assert_eq(out[2].value, 9);
	cr_assert_eq(lost, 7);
	cr_assert_eq(cursor, 12);
	cr_assert_eq(sov_reader_events(r, &cursor, out, 8, &lost), 0);

	/* max bounds the copy; the cursor resumes where it stopped. */
	sov_writer_event(w, &ev);
	sov_writer_event(w, &ev);
	cr_assert_eq(sov_reader_events(r, &cursor, out, 1, &lost), 1);
	cr_assert_eq(out[0].number, 13);
	cr_assert_eq(sov_reader_events(r, &cursor, out, 1, &lost), 1);
	cr_assert_eq(out[0].number, 14);

	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, ring_wraps_around)
{
	struct sov_writer *w = mk_writer(4, 16);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	uint64_t k;
	int64_t v;

	for (k = 1; k <= 10; k++)
		publish_k(w, k);
	cr_assert_eq(sov_reader_head(r), 10);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	cr_assert_eq(sov_sample_slot(smp)->number, 10);
	cr_assert_eq(sov_sample_get(smp, 0, &v, NULL), 0);
	cr_assert_eq(v, 40010);
	/* nslots - 1 samples stay readable; the oldest slot is the next write. */
	for (k = 8; k <= 10; k++) {
		cr_assert_eq(sov_reader_sample(r, k, smp), 0, "sample %" PRIu64, k);
		cr_assert_eq(sov_sample_slot(smp)->number, k);
		cr_assert_eq(sov_sample_get(smp, 2, &v, NULL), 0);
		cr_assert_eq(v, -(int64_t)k);
	}
	cr_assert_eq(sov_reader_sample(r, 7, smp), -SOV_EGONE);
	cr_assert_eq(sov_reader_sample(r, 11, smp), -SOV_EGONE);
	cr_assert_eq(sov_reader_sample(r, 0, smp), -SOV_EGONE);
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

struct walk_acc {
	uint64_t numbers[16];
	int n;
	int stop_after;
};

static int walk_cb(const struct sov_sample *s, void *arg)
{
	struct walk_acc *a = arg;

	a->numbers[a->n++] = sov_sample_slot(s)->number;
	return a->stop_after && a->n >= a->stop_after;
}

Test(shm, walk_newest_first)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct walk_acc a = { 0 };
	uint64_t k;

	cr_assert_eq(sov_reader_walk(r, 5, walk_cb, &a), -SOV_ENOSAMPLE);
	for (k = 1; k <= 20; k++)
		publish_k(w, k);
	cr_assert_eq(sov_reader_walk(r, 5, walk_cb, &a), 5);
	cr_assert_eq(a.numbers[0], 20);
	cr_assert_eq(a.numbers[4], 16);
	memset(&a, 0, sizeof(a));
	cr_assert_eq(sov_reader_walk(r, 100, walk_cb, &a), 7, "capped at nslots - 1");
	cr_assert_eq(a.numbers[6], 14);
	memset(&a, 0, sizeof(a));
	a.stop_after = 2;
	cr_assert_eq(sov_reader_walk(r, 100, walk_cb, &a), 2, "callback stops the walk");
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, limits_update_seen_by_reader)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct sov_limits lim = { .flags = SOV_SEN_CRIT_HI, .crit_hi = 90000 };
	struct sov_sensor s;

	cr_assert_eq(sov_writer_update_limits(w, 0, &lim), 0);
	cr_assert_eq(sov_writer_update_limits(w, 3, &lim), -ERANGE);
	cr_assert_eq(sov_reader_sensor(r, 0, &s), 0);
	cr_assert_eq(s.crit_hi, 90000);
	cr_assert_eq(s.flags & (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI), SOV_SEN_CRIT_HI);
	cr_assert_str_eq(s.label, "Tctl", "the rest of the entry is untouched");
	cr_assert_eq(sov_writer_header(w)->table_seq, 2);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, find_by_label_or_name)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();

	cr_assert_eq(sov_reader_find(r, NULL, "Tctl"), 0);
	cr_assert_eq(sov_reader_find(r, NULL, "package-0"), 1);
	cr_assert_eq(sov_reader_find(r, "pmbus/i2c-3-40", "VDDCR_CPU"), 2);
	cr_assert_eq(sov_reader_find(r, "rapl", "VDDCR_CPU"), -ENOENT);
	cr_assert_eq(sov_reader_find(r, NULL, "nope"), -ENOENT);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, second_live_writer_refused)
{
	struct sov_writer *w = mk_writer(8, 16), *w2 = NULL;
	struct sov_writer_opts o = { .name = name };
	struct sov_sensor s[3];
	pid_t pid;
	int status;

	three_sensors(s);
	cr_assert_eq(sov_writer_create(&o, s, 3, &w2), -SOV_EOWNED);
	cr_assert_null(w2);
	/* From another process too. */
	pid = fork();
	if (pid == 0)
		_exit(sov_writer_create(&o, s, 3, &w2) == -SOV_EOWNED ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sov_writer_close(w);
	/* The lock goes with the writer. */
	cr_assert_eq(sov_writer_create(&o, s, 3, &w2), 0);
	sov_writer_close(w2);
}

Test(shm, dead_writer_lock_released_and_seen_stopped)
{
	struct sov_writer_opts o = { .name = name };
	struct sov_sensor s[3];
	struct sov_writer *w;
	struct sov_reader *r;
	int pipefd[2], status;
	char c;
	pid_t pid;

	three_sensors(s);
	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		if (sov_writer_create(&o, s, 3, &w))
			_exit(1);
		publish_k(w, 1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause(); /* killed without closing: LIVE stays in the header */
		_exit(0);
	}
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	r = mk_reader();
	cr_assert_eq(sov_reader_status(r), 0, "live writer");
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(sov_reader_status(r), -SOV_ESTOPPED, "dead writer is detected");
	/* The kernel dropped its lock: a new writer may start. */
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), 0);
	cr_assert_eq(sov_reader_status(r), -SOV_ERESTARTED);
	sov_writer_close(w);
	sov_reader_close(r);
}

Test(shm, generation_change_and_reattach)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	struct sov_writer_opts o = { .name = name, .nslots = 16, .sensors_max = 200 };
	struct sov_sensor s[3], out;
	uint64_t gen = sov_reader_header(r)->generation, cursor = 0;
	struct sov_event ev[4];

	cr_assert_geq(gen, 1);
	publish_k(w, 1);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	sov_writer_close(w);
	cr_assert_eq(sov_reader_status(r), -SOV_ESTOPPED);
	cr_assert_eq(sov_reader_latest(r, smp), 0, "a stopped writer's last data stays readable");

	/* A restart with a bigger layout: readers must notice and re-attach. */
	three_sensors(s);
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), 0);
	cr_assert_eq(sov_writer_header(w)->generation, gen + 1);
	cr_assert_eq(sov_reader_latest(r, smp), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_sensor(r, 0, &out), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_events(r, &cursor, ev, 4, NULL), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_status(r), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_reattach(r), 0);
	cr_assert_eq(sov_reader_header(r)->generation, gen + 1);
	cr_assert_eq(sov_reader_header(r)->nslots, 16);
	cr_assert_eq(sov_reader_latest(r, smp), -ENOBUFS, "old sample is too small");
	sov_sample_free(smp);
	smp = sov_sample_alloc(r);
	cr_assert_eq(sov_reader_latest(r, smp), -SOV_ENOSAMPLE, "new generation starts empty");
	publish_k(w, 1);
	cr_assert_eq(sov_reader_latest(r, smp), 0);

	/* An in-place reset (new sensor set) is a new generation too. */
	cr_assert_eq(sov_writer_reset(w, s, 2), 0);
	cr_assert_eq(sov_reader_latest(r, smp), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_reattach(r), 0);
	cr_assert_eq(sov_reader_nsensors(r), 2);
	cr_assert_eq(sov_reader_header(r)->generation, gen + 2);
	cr_assert_eq(sov_writer_reset(w, s, 201), -E2BIG);
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

/*
 * Attach racing with a writer re-initialisation, driven through the
 * reader's test hook: no sleeps, the interleaving is forced.
 */
static struct sov_writer *race_w;
static int race_calls;

/*
 * At the reader's first load: play a writer preempted in the middle of
 * writer_init_generation(), in its store order: INIT, the new generation,
 * then part of the header (nsensors), but not yet LIVE.
 */
static void hook_half_init(enum sov_hook_point at)
{
	struct sov_header *h = (struct sov_header *)sov_writer_header(race_w);

	if (at != SOV_HOOK_ATTACH_GEN || race_calls++)
		return;
	CMM_STORE_SHARED(h->state, SOV_STATE_INIT);
	cmm_smp_wmb();
	CMM_STORE_SHARED(h->generation, h->generation + 1);
	cmm_smp_wmb();
	h->nsensors = 2;
}

Test(shm, attach_during_reinit_refused)
{
	struct sov_sensor s[3];
	struct sov_reader *r = NULL;
	uint64_t gen;
	int rc;

	race_w = mk_writer(8, 16);
	gen = sov_writer_header(race_w)->generation;
	sov_test_attach_hook = hook_half_init;
	rc = sov_reader_open(name, NULL, &r);
	sov_test_attach_hook = NULL;
	cr_assert_geq(race_calls, 1, "hook ran");
	cr_assert_eq(rc, -SOV_ENOTREADY, "attached to a half-initialised segment: rc %d (%s), "
		     "generation %" PRIu64 ", nsensors %u", rc, sov_strerror(rc),
		     r ? sov_reader_header(r)->generation : 0, r ? sov_reader_nsensors(r) : 0);
	cr_assert_null(r);
	/* The writer finishes (a whole re-init): the reader attaches to it. */
	three_sensors(s);
	cr_assert_eq(sov_writer_reset(race_w, s, 2), 0);
	r = mk_reader();
	cr_assert_eq(sov_reader_header(r)->generation, gen + 2);
	cr_assert_eq(sov_reader_nsensors(r), 2);
	cr_assert_eq(sov_reader_state(r), SOV_STATE_LIVE);
	sov_reader_close(r);
	sov_writer_close(race_w);
}

/* After the reader's header copy: a whole re-init with another sensor set. */
static void hook_reinit_after_copy(enum sov_hook_point at)
{
	struct sov_sensor s[3];

	if (at != SOV_HOOK_ATTACH_COPIED || race_calls++)
		return;
	three_sensors(s);
	cr_assert_eq(sov_writer_reset(race_w, s, 1), 0);
}

Test(shm, attach_rechecks_generation_after_copy)
{
	struct sov_reader *r = NULL;
	uint64_t gen;
	int rc;

	race_w = mk_writer(8, 16);
	gen = sov_writer_header(race_w)->generation;
	sov_test_attach_hook = hook_reinit_after_copy;
	rc = sov_reader_open(name, NULL, &r);
	sov_test_attach_hook = NULL;
	cr_assert_eq(race_calls, 2, "the header was copied again after the re-init");
	cr_assert_eq(rc, 0, "open: %s", sov_strerror(rc));
	/* The copy taken before the re-init was dropped: this is the new one. */
	cr_assert_eq(sov_reader_header(r)->generation, gen + 1);
	cr_assert_eq(sov_reader_nsensors(r), 1);
	cr_assert_eq(sov_reader_status(r), 0);
	sov_reader_close(r);
	sov_writer_close(race_w);
}

Test(shm, unlinked_segment_means_restart)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct stat st;

	cr_assert_eq(sov_reader_status(r), 0);
	cr_assert_eq(sov_shm_unlink(name), 0);
	cr_assert_eq(stat(lock_path(), &st), 0, "the live writer's lock file stays");
	cr_assert_eq(sov_reader_status(r), -SOV_ERESTARTED);
	cr_assert_eq(sov_reader_reattach(r), -ENOENT);
	cr_assert_eq(sov_reader_latest(r, NULL), -SOV_ERESTARTED, "detached reader fails cleanly");
	sov_reader_close(r);
	sov_writer_close(w);
	cr_assert_eq(stat(lock_path(), &st), -1, "the writer took it with it");
	cr_assert_eq(errno, ENOENT);
}

/* Open the object behind the test's segment read-write, as an attacker would. */
static int raw_fd(void)
{
	int fd = open(seg_path(), O_RDWR);

	cr_assert_geq(fd, 0);
	return fd;
}

static void poke(off_t off, const void *buf, size_t len)
{
	int fd = raw_fd();

	cr_assert_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static int open_err(void)
{
	struct sov_reader *r = NULL;
	int rc = sov_reader_open(name, NULL, &r);

	cr_assert_null(r);
	return rc;
}

Test(shm, corrupt_heads_stay_bounded)
{
	struct sov_writer *w = mk_writer(8, 4);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	struct sov_event out[8];
	uint64_t cursor = 0, lost = 0, huge = UINT64_MAX;

	publish_k(w, 1);
	/* A hostile or broken writer's heads: the reader stays bounded and refuses. */
	poke(offsetof(struct sov_header, event_head), &huge, sizeof(huge));
	poke(offsetof(struct sov_header, head), &huge, sizeof(huge));
	cr_assert_eq(sov_reader_events(r, &cursor, out, 8, &lost), 0, "no event matches its number");
	cr_assert_eq(cursor, UINT64_MAX, "cursor advanced to the head, in at most nevents - 1 steps");
	cr_assert_eq(sov_reader_latest(r, smp), -SOV_EBUSY, "slot number never matches");
	cr_assert_eq(sov_reader_sample(r, 1, smp), -SOV_EGONE);
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, wrong_magic_refused)
{
	uint64_t bad = UINT64_C(0x0123456789abcdef);

	sov_writer_close(mk_writer(8, 16));
	poke(offsetof(struct sov_header, magic), &bad, sizeof(bad));
	cr_assert_eq(open_err(), -SOV_EMAGIC);
	cr_assert_str_eq(sov_strerror(-SOV_EMAGIC), "not a Sovereign segment (bad magic number)");
}

Test(shm, wrong_version_refused)
{
	uint32_t v = ((SOV_ABI_MAJOR + 1) << 16);

	sov_writer_close(mk_writer(8, 16));
	poke(offsetof(struct sov_header, abi_version), &v, sizeof(v));
	cr_assert_eq(open_err(), -SOV_EVERSION);
	/* A newer minor version of the same major is compatible. */
	v = (SOV_ABI_MAJOR << 16) | (SOV_ABI_MINOR + 1);
	poke(offsetof(struct sov_header, abi_version), &v, sizeof(v));
	struct sov_reader *r = mk_reader();
	sov_reader_close(r);
}

Test(shm, inconsistent_layout_refused)
{
	uint32_t v;
	uint64_t off;

	sov_writer_close(mk_writer(8, 16));
	v = 6; /* not a power of two */
	poke(offsetof(struct sov_header, nslots), &v, sizeof(v));
	cr_assert_eq(open_err(), -SOV_ELAYOUT);
	v = 8;
	poke(offsetof(struct sov_header, nslots), &v, sizeof(v));
	sov_reader_close(mk_reader()); /* restored: accepted again */

	v = 100; /* sensor entry of another size */
	poke(offsetof(struct sov_header, sensor_size), &v, sizeof(v));
	cr_assert_eq(open_err(), -SOV_ELAYOUT);
	v = sizeof(struct sov_sensor);
	poke(offsetof(struct sov_header, sensor_size), &v, sizeof(v));

	off = 64; /* ring overlapping the header */
	poke(offsetof(struct sov_header, ring_off), &off, sizeof(off));
	cr_assert_eq(open_err(), -SOV_ELAYOUT);
}

Test(shm, unknown_state_is_not_live)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	uint32_t st = 7; /* no writer ever writes it */

	cr_assert_eq(sov_reader_status(r), 0, "live writer");
	poke(offsetof(struct sov_header, state), &st, sizeof(st));
	cr_assert_eq(sov_reader_status(r), -SOV_ESTOPPED, "an unknown state is not live");
	cr_assert_eq(open_err(), -SOV_ESTATE, "nor attachable");
	cr_assert_str_neq(sov_strerror(-SOV_ESTATE), "unknown libsovereign error");
	st = SOV_STATE_INIT; /* a re-init has begun under this generation */
	poke(offsetof(struct sov_header, state), &st, sizeof(st));
	cr_assert_eq(sov_reader_status(r), -SOV_ERESTARTED);
	st = SOV_STATE_LIVE;
	poke(offsetof(struct sov_header, state), &st, sizeof(st));
	cr_assert_eq(sov_reader_status(r), 0);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, truncated_segment_refused)
{
	struct sov_writer *w = mk_writer(8, 16);
	uint64_t total = sov_writer_header(w)->total_size;
	int fd;

	sov_writer_close(w);
	fd = raw_fd();
	cr_assert_eq(ftruncate(fd, (off_t)total - 1), 0);
	cr_assert_eq(open_err(), -SOV_ETRUNC);
	cr_assert_eq(ftruncate(fd, 100), 0); /* shorter than a header */
	cr_assert_eq(open_err(), -SOV_ETRUNC);
	cr_assert_eq(ftruncate(fd, 0), 0);   /* created, never written */
	cr_assert_eq(open_err(), -SOV_ENOTREADY);
	close(fd);
}

Test(shm, missing_segment_is_enoent)
{
	cr_assert_eq(open_err(), -ENOENT);
	cr_assert_eq(sov_reader_open("no-slash", NULL, &(struct sov_reader *){ NULL }), -EINVAL);
	cr_assert_eq(sov_reader_open("/", NULL, &(struct sov_reader *){ NULL }), -EINVAL);
	/* A further slash: an absolute file path. */
	cr_assert_eq(sov_reader_open("/nonexistent-sov/b", NULL, &(struct sov_reader *){ NULL }),
		     -ENOENT);
}

Test(shm, foreign_segment_refused)
{
	struct sov_reader_opts ro = { .owner_uid = 4242 };
	struct sov_writer_opts o = { .name = name };
	struct sov_sensor s[3];
	struct sov_reader *r;
	struct sov_writer *w;
	int fd;

	/* A segment someone made group- or other-writable is not a writer's. */
	sov_writer_close(mk_writer(8, 16));
	fd = raw_fd();
	cr_assert_eq(fchmod(fd, 0666), 0);
	cr_assert_eq(open_err(), -SOV_EFOREIGN);
	cr_assert_eq(fchmod(fd, 0660), 0);
	cr_assert_eq(open_err(), -SOV_EFOREIGN, "group-writable");
	cr_assert_eq(fchmod(fd, 0642), 0);
	cr_assert_eq(open_err(), -SOV_EFOREIGN, "other-writable");
	cr_assert_eq(fchmod(fd, 0640), 0);
	/* A reader that names the owner it expects refuses any other. */
	cr_assert_eq(sov_reader_open(name, &ro, &r), -SOV_EFOREIGN);
	ro.owner_uid = (int64_t)geteuid();
	cr_assert_eq(sov_reader_open(name, &ro, &r), 0);
	sov_reader_close(r);
	ro.owner_uid = -7;
	cr_assert_eq(sov_reader_open(name, &ro, &r), -EINVAL, "not a uid nor a SOV_OWNER_*");
	/* Another user's file: refused by default (root or self only), and by a writer. */
	cr_assert_eq(fchown(fd, 65534, (gid_t)-1), 0);
	cr_assert_eq(open_err(), -SOV_EFOREIGN, "owned by nobody");
	ro.owner_uid = SOV_OWNER_SELF;
	cr_assert_eq(sov_reader_open(name, &ro, &r), -SOV_EFOREIGN);
	ro.owner_uid = 65534;
	cr_assert_eq(sov_reader_open(name, &ro, &r), 0, "the owner asked for");
	sov_reader_close(r);
	cr_assert_str_eq(sov_strerror(-SOV_EFOREIGN),
			 "segment not trusted: its file, directory or lock file belongs to another "
			 "user, is writable by group/others, or is not a plain file/directory");
	three_sensors(s);
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -SOV_EFOREIGN);
	close(fd);
}

Test(shm, reader_trusts_its_own_user)
{
	const char *run = private_run_dir();
	pid_t pid;
	int status;

	sov_writer_close(mk_writer(8, 16));
	cr_assert_eq(chmod(tmpdir, 0755), 0); /* let nobody in */
	cr_assert_eq(chmod(run, 0755), 0);
	cr_assert_eq(chown(seg_path(), 65534, 65534), 0);
	pid = fork();
	if (pid == 0) {
		struct sov_reader_opts self = { .owner_uid = SOV_OWNER_SELF };
		struct sov_reader *r;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (sov_reader_open(name, NULL, &r))
			_exit(11); /* the default trusts the reader's own user */
		sov_reader_close(r);
		if (sov_reader_open(name, &self, &r))
			_exit(12);
		sov_reader_close(r);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	/* Root does not trust nobody's file. */
	cr_assert_eq(open_err(), -SOV_EFOREIGN);
}

Test(shm, reader_refuses_fifo_without_blocking)
{
	const char *run = private_run_dir();

	cr_assert_eq(mkdir(run, 0750), 0);
	cr_assert_eq(mkfifo(seg_path(), 0640), 0);
	cr_assert_eq(open_err(), -SOV_EFOREIGN);
}

Test(shm, name_resolves_into_run_dir)
{
	char p[PATH_MAX];

	cr_assert_eq(unsetenv(SOV_RUN_DIR_ENV), 0);
	cr_assert_eq(sov_shm_path("/sovereign", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/run/sovereign/sovereign");
	cr_assert_eq(sov_shm_path(NULL, p, sizeof(p)), 0);
	cr_assert_str_eq(p, SOV_RUN_DIR "/" "sovereign");
	cr_assert_eq(sov_shm_path("/var/lib/x/seg", p, sizeof(p)), 0, "absolute path");
	cr_assert_str_eq(p, "/var/lib/x/seg");
	cr_assert_eq(setenv(SOV_RUN_DIR_ENV, "/tmp/x//", 1), 0);
	cr_assert_eq(sov_shm_path("/seg", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/tmp/x/seg");
	cr_assert_eq(sov_shm_path("/v/seg", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/v/seg", "the directory applies to \"/x\" names only");
	cr_assert_eq(setenv(SOV_RUN_DIR_ENV, "/", 1), 0);
	cr_assert_eq(sov_shm_path("/seg", p, sizeof(p)), 0);
	cr_assert_str_eq(p, "/seg");
	cr_assert_eq(setenv(SOV_RUN_DIR_ENV, "relative", 1), 0);
	cr_assert_eq(sov_shm_path("/seg", p, sizeof(p)), -EINVAL);
	cr_assert_eq(unsetenv(SOV_RUN_DIR_ENV), 0);
	cr_assert_eq(sov_shm_path("seg", p, sizeof(p)), -EINVAL);
	cr_assert_eq(sov_shm_path("/", p, sizeof(p)), -EINVAL);
	cr_assert_eq(sov_shm_path("/.", p, sizeof(p)), -EINVAL);
	cr_assert_eq(sov_shm_path("/..", p, sizeof(p)), -EINVAL);
	cr_assert_eq(sov_shm_path("/a/", p, sizeof(p)), -EINVAL);
	cr_assert_eq(sov_shm_path("/sovereign", p, 8), -ENAMETOOLONG);
}

Test(shm, writer_makes_its_directory)
{
	struct sov_writer_opts o = { .name = name, .group = "daemon" };
	const char *run = private_run_dir();
	struct sov_sensor s[3];
	struct sov_writer *w;
	struct stat st;

	three_sensors(s);
	umask(077); /* the directory must still let the group in */
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), 0);
	cr_assert_eq(lstat(run, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750, "mode %o", st.st_mode & 07777);
	cr_assert_eq(st.st_gid, 1, "group daemon");
	cr_assert_eq(stat(seg_path(), &st), 0, "segment in %s", run);
	cr_assert_eq(st.st_mode & 07777, 0640);
	cr_assert_eq(stat(lock_path(), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "lock file mode %o", st.st_mode & 07777);
	sov_reader_close(mk_reader());
	sov_writer_close(w);
	/* unlink takes the lock file too, once no writer holds it */
	cr_assert_eq(sov_shm_unlink(name), 0);
	cr_assert_eq(stat(lock_path(), &st), -1);
	cr_assert_eq(stat(seg_path(), &st), -1);
}

/* sov_writer_create() on the test's name; the writer, if any, closed. */
static int create_err(void)
{
	struct sov_writer_opts o = { .name = name };
	struct sov_sensor s[3];
	struct sov_writer *w = NULL;
	int rc;

	three_sensors(s);
	rc = sov_writer_create(&o, s, 3, &w);
	cr_assert((rc == 0) == (w != NULL));
	sov_writer_close(w);
	return rc;
}

Test(shm, squatted_directory_refused)
{
	const char *run = private_run_dir();
	char real[128];
	struct stat st;

	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(chown(run, 65534, 65534), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "directory of another user");
	cr_assert_eq(stat(seg_path(), &st), -1, "nothing made in it");
	cr_assert_eq(chown(run, 0, 0), 0);
	cr_assert_eq(chmod(run, 01777), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "world-writable, sticky or not");
	cr_assert_eq(chmod(run, 0770), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "group-writable");
	cr_assert_eq(stat(seg_path(), &st), -1, "nothing made in it");
	cr_assert_eq(rmdir(run), 0);
	snprintf(real, sizeof(real), "%s/real", tmpdir);
	cr_assert_eq(mkdir(real, 0750), 0);
	cr_assert_eq(symlink(real, run), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "a symlink");
	cr_assert_eq(unlink(run), 0);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(create_err(), 0, "root's, writable by root only");
}

Test(shm, squatted_files_refused)
{
	const char *run = private_run_dir();
	char victim[128];
	struct stat st;
	int fd;

	cr_assert_eq(mkdir(run, 0750), 0);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "x", 1), 1);
	close(fd);

	/* A symlink under the segment's name: not followed, the target untouched. */
	cr_assert_eq(symlink(victim, seg_path()), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "symlink");
	cr_assert_eq(unlink(seg_path()), 0);
	/* A hard link: fchmod/ftruncate would reach the other name's file. */
	cr_assert_eq(link(victim, seg_path()), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "hard link");
	cr_assert_eq(unlink(seg_path()), 0);
	cr_assert_eq(stat(victim, &st), 0);
	cr_assert_eq(st.st_size, 1, "victim not truncated");
	cr_assert_eq(st.st_mode & 07777, 0644, "victim mode kept");
	/* A FIFO: refused, without blocking. */
	cr_assert_eq(mkfifo(seg_path(), 0640), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "fifo");
	cr_assert_eq(unlink(seg_path()), 0);
	/* The lock file (left by the attempts above): another user's, or a symlink. */
	cr_assert_eq(unlink(lock_path()), 0);
	fd = open(lock_path(), O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fchown(fd, 65534, 65534), 0);
	close(fd);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "lock file of another user");
	cr_assert_eq(unlink(lock_path()), 0);
	cr_assert_eq(symlink(victim, lock_path()), 0);
	cr_assert_eq(create_err(), -SOV_EFOREIGN, "lock file symlink");
	cr_assert_eq(unlink(lock_path()), 0);
	cr_assert_eq(create_err(), 0, "a clean name");
}

Test(shm, reader_locks_do_not_stop_writer)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	struct sov_writer *w;
	pid_t pid;
	int fd, status;

	sov_writer_close(mk_writer(8, 16)); /* the file stays, as after a restart */
	/* What a member of the readers' group can do with its read-only fd: */
	fd = open(seg_path(), O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), 0, "flock on a read-only fd");
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), 0, "an OFD read lock on a read-only fd");
	fl.l_type = F_WRLCK;
	cr_assert_eq(fcntl(fd, F_OFD_SETLK, &fl), -1, "but no write lock");
	cr_assert_eq(errno, EBADF);
	/* ... and none of it keeps the writer out. */
	w = mk_writer(8, 16);
	/* A second writer still is kept out, from this process or another. */
	cr_assert_eq(create_err(), -SOV_EOWNED);
	pid = fork();
	if (pid == 0)
		_exit(create_err() == -SOV_EOWNED ? 0 : 1);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The writers' lock file is not for readers: they cannot even open it. */
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		_exit(open(lock_path(), O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	sov_writer_close(w);
	close(fd);
}

Test(shm, bad_writer_options_refused)
{
	struct sov_sensor s[3];
	struct sov_writer *w;
	struct sov_writer_opts o = { .name = name, .nslots = 6 };

	three_sensors(s);
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -EINVAL, "nslots not a power of two");
	o.nslots = 2;
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -EINVAL, "nslots below 4");
	o.nslots = 8;
	o.sensors_max = 2;
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -EINVAL, "more sensors than capacity");
	o.sensors_max = 0;
	o.name = "bad";
	cr_assert_eq(sov_writer_create(&o, s, 3, &w), -EINVAL, "name without slash");
}

/* Find our segment's mapping in /proc/self/maps: its address and permissions. */
static void *find_mapping(char perms[5])
{
	char line[512], want[128];
	FILE *f = fopen("/proc/self/maps", "r");
	void *addr = NULL;

	snprintf(want, sizeof(want), "%s", seg_path());
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo;

		if (!strstr(line, want))
			continue;
		cr_assert_eq(sscanf(line, "%lx-%*x %4s", &lo, perms), 2);
		addr = (void *)lo;
		break;
	}
	fclose(f);
	return addr;
}

Test(shm, reader_mapping_is_read_only, .signal = SIGSEGV)
{
	struct sov_writer_opts o = { .name = name };
	struct sov_sensor s[3];
	struct sov_writer *w;
	struct sov_reader *r;
	char perms[5] = "";
	volatile uint64_t *magic;
	pid_t pid;
	int pipefd[2], status;
	char c;

	/* The writer lives in another process, so the only mapping here is the reader's. */
	three_sensors(s);
	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		if (sov_writer_create(&o, s, 3, &w))
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	r = mk_reader();
	magic = find_mapping(perms);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* This test dies by SIGSEGV, before teardown; the writer's lock went with it. */
	sov_shm_unlink(name);
	cr_assert_not_null(magic, "reader mapping not found");
	cr_assert_str_eq(perms, "r--s", "mapping permissions %s", perms);
	cr_assert_eq(*magic, sov_reader_header(r)->magic);
	/* Under ASan, its own SIGSEGV handler would turn the fault into an abort. */
	signal(SIGSEGV, SIG_DFL);
	*magic = 0; /* must fault: PROT_READ */
	cr_assert_fail("write through the reader's mapping did not fault");
}

/*
 * The system call a publish path made under allow_only_exit(), or -1:
 * written by on_sigsys() into a page shared with the parent.
 */
static volatile long *forbidden_nr;

/* SIGSYS from the filter: record the call and leave with exit(2), the one call allowed. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	*forbidden_nr = si->si_syscall;
	syscall(SYS_exit, 3);
}

/*
 * Install a seccomp filter that lets only exit and exit_group through;
 * every other system call (read and write included, which
 * SECCOMP_MODE_STRICT would allow) raises SIGSYS instead of running.
 * Return: 0, or -1 when the filter could not be installed.
 */
static int allow_only_exit(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -1 : 0;
}

Test(shm, publish_makes_no_system_call)
{
	pid_t pid;
	int status;

	forbidden_nr = mmap(NULL, sizeof(*forbidden_nr), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq((void *)forbidden_nr, MAP_FAILED);
	*forbidden_nr = -1;
	/*
	 * A seccomp filter that allows only exit: any other system call on
	 * the publish paths (read and write included) ends the child with
	 * status 3 and leaves its number in *forbidden_nr.
	 */
	pid = fork();
	if (pid == 0) {
		struct sov_writer *w = mk_writer(8, 16);
		struct sov_limits lim = { .flags = SOV_SEN_WARN_HI, .warn_hi = 1 };
		struct sov_event ev = { .type = SOV_EV_OVERRUN, .severity = SOV_SEV_WARNING };
		uint64_t k;

		if (allow_only_exit())
			_exit(2);
		for (k = 1; k <= 10000; k++) {
			publish_k(w, k);
			sov_writer_set_invalid(w, 1);
			sov_writer_set_suspect(w, 2, k & 1);
			sov_writer_event(w, &ev);
			sov_writer_update_limits(w, 0, &lim);
		}
		syscall(SYS_exit, 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "publish child died by signal %d",
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	cr_assert_neq(WEXITSTATUS(status), 2, "could not install the seccomp filter");
	cr_assert_eq(WEXITSTATUS(status), 0, "publish path made system call %ld (exit %d)",
		     *forbidden_nr, WEXITSTATUS(status));
	cr_assert_eq(*forbidden_nr, -1);
	munmap((void *)forbidden_nr, sizeof(*forbidden_nr));
}

Test(shm, strerror_covers_every_code)
{
	int e;

	for (e = SOV_EBASE + 1; e < SOV_ELAST_; e++) {
		const char *m = sov_strerror(-e);

		cr_assert_not_null(m);
		cr_assert_str_neq(m, "unknown libsovereign error", "code %d has no message", e);
	}
	cr_assert_str_eq(sov_strerror(-ENOENT), "No such file or directory");
	cr_assert_str_eq(sov_strerror(SOV_ELAST_ + 5), "unknown libsovereign error");
	cr_assert_str_eq(sov_strerror(0), "success");
}

Test(shm, sample_age)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	struct timespec ts;
	int64_t age;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sov_writer_stage(w)->mono_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec -
				      2000000000u;
	sov_writer_publish(w);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	age = sov_sample_age_ns(smp);
	cr_assert(age >= 2000000000 && age < 3000000000, "age %" PRId64, age);
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

/* The seq of the slot that holds (or will hold) sample @number, read through a raw mapping. */
static uint64_t raw_slot_seq(uint64_t number)
{
	struct sov_header h;
	uint64_t seq;
	int fd = raw_fd();

	cr_assert_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	cr_assert_eq(pread(fd, &seq, sizeof(seq),
			   (off_t)(h.ring_off + (number & (h.nslots - 1)) * h.slot_size)),
		     (ssize_t)sizeof(seq));
	close(fd);
	return seq;
}

Test(shm, publish_in_place_carries_unset_sensors_forward)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	struct sov_sample *smp = sov_sample_alloc(r);
	const int64_t many[3] = { 7, 8, 9 };
	struct sov_slot *st;
	int64_t v;
	uint64_t t;

	publish_k(w, 1);
	/* The next sample is written straight into slot 2: its seq is odd while it fills. */
	st = sov_writer_stage(w);
	cr_assert_eq(raw_slot_seq(2) & 1, 1, "write section open while the sample fills");
	cr_assert_eq(st->mono_ns, 1000, "head fields carried forward from sample 1");
	cr_assert_eq(st->cycle_cost_ns, 3);
	sov_writer_set(w, 0, 123, 555);
	sov_writer_set_invalid(w, 2);
	/* Readers still see sample 1, whole, while sample 2 is half written. */
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	cr_assert_eq(sov_sample_slot(smp)->number, 1);
	cr_assert_eq(sov_sample_get(smp, 0, &v, NULL), 0);
	cr_assert_eq(v, 40001);
	cr_assert_eq(sov_writer_publish(w), 2);
	cr_assert_eq(raw_slot_seq(2) & 1, 0, "section closed by publish");
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	cr_assert_eq(sov_sample_slot(smp)->number, 2);
	cr_assert_eq(sov_sample_slot(smp)->mono_ns, 1000, "unset head fields repeat");
	cr_assert_eq(sov_sample_get(smp, 0, &v, &t), 0);
	cr_assert_eq(v, 123);
	cr_assert_eq(t, 555);
	/* Sensor 1 was not set: last value and time, still valid. */
	cr_assert_eq(sov_sample_get(smp, 1, &v, &t), 0, "unset sensor keeps its validity");
	cr_assert_eq(v, 1000000);
	cr_assert_eq(t, 999);
	cr_assert_eq(sov_sample_get(smp, 2, &v, NULL), -ENODATA, "marked invalid");

	/* A publish with nothing set repeats everything, invalid stays invalid. */
	for (t = 3; t <= 12; t++)
		cr_assert_eq(sov_writer_publish(w), t); /* laps the 8-slot ring */
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	cr_assert_eq(sov_sample_get(smp, 1, &v, NULL), 0);
	cr_assert_eq(v, 1000000, "carried across a full lap of the ring");
	cr_assert_eq(sov_sample_get(smp, 2, &v, NULL), -ENODATA);

	/* Bulk setter: all three valid again, one time; out of range ignored. */
	sov_writer_set_many(w, 0, 3, many, 4242);
	sov_writer_set_many(w, 3, 1, many, 1);
	sov_writer_set(w, 3, 1, 1);
	sov_writer_set_invalid(w, 99);
	sov_writer_set_suspect(w, 99, true);
	cr_assert_eq(sov_writer_publish(w), 13);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	for (t = 0; t < 3; t++) {
		uint64_t at;

		cr_assert_eq(sov_sample_get(smp, (uint32_t)t, &v, &at), 0);
		cr_assert_eq(v, many[t]);
		cr_assert_eq(at, 4242);
	}
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, many_sensors_settle_every_bit)
{
	struct sov_writer_opts o = { .name = name, .nslots = 4, .writer_name = "test" };
	struct sov_sensor s[130];
	struct sov_writer *w;
	struct sov_reader *r;
	struct sov_sample *smp;
	uint32_t i;
	int64_t v;

	for (i = 0; i < 130; i++) {
		char n[16];

		snprintf(n, sizeof(n), "s%u", i);
		s[i] = mk_sensor(SOV_KIND_GAUGE, SOV_UNIT_NONE, "t", n, n);
	}
	cr_assert_eq(sov_writer_create(&o, s, 130, &w), 0);
	for (i = 0; i < 130; i++)
		sov_writer_set(w, i, i, 1);
	sov_writer_publish(w);
	/* Odd sensors invalid, multiples of 5 untouched, the rest new. */
	for (i = 0; i < 130; i++) {
		if (i % 5 == 0)
			continue;
		if (i % 2)
			sov_writer_set_invalid(w, i);
		else
			sov_writer_set(w, i, 1000 + i, 2);
	}
	sov_writer_publish(w);
	r = mk_reader();
	smp = sov_sample_alloc(r);
	cr_assert_eq(sov_reader_latest(r, smp), 0);
	for (i = 0; i < 130; i++) {
		int rc = sov_sample_get(smp, i, &v, NULL);

		if (i % 5 == 0) {
			cr_assert_eq(rc, 0, "sensor %u untouched: carried", i);
			cr_assert_eq(v, i);
		} else if (i % 2) {
			cr_assert_eq(rc, -ENODATA, "sensor %u invalid", i);
		} else {
			cr_assert_eq(rc, 0, "sensor %u set", i);
			cr_assert_eq(v, 1000 + i);
		}
	}
	sov_sample_free(smp);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, one_reading_read)
{
	struct sov_writer *w = mk_writer(8, 16);
	struct sov_reader *r = mk_reader();
	uint64_t t, n;
	int64_t v;

	cr_assert_eq(sov_reader_value(r, 0, &v, &t, &n), -SOV_ENOSAMPLE, "nothing published yet");
	cr_assert_str_eq(sov_strerror(-SOV_ENOSAMPLE), "the writer has published no sample yet");
	cr_assert_neq(-SOV_ENOSAMPLE, -SOV_EBUSY);
	cr_assert_neq(-SOV_ENOSAMPLE, -ENODATA);
	publish_k(w, 1);
	publish_k(w, 2);
	cr_assert_eq(sov_reader_value(r, 1, &v, &t, &n), 0);
	cr_assert_eq(v, 2000000);
	cr_assert_eq(t, 1999);
	cr_assert_eq(n, 2);
	cr_assert_eq(sov_reader_value(r, 2, &v, NULL, NULL), 0, "NULL outputs allowed");
	cr_assert_eq(v, -2);
	sov_writer_set_invalid(w, 0);
	sov_writer_publish(w);
	cr_assert_eq(sov_reader_value(r, 0, &v, &t, &n), -ENODATA, "invalid sensor");
	cr_assert_eq(n, 3, "the sample number is given even for an invalid reading");
	cr_assert_eq(sov_reader_value(r, 3, &v, NULL, NULL), -ERANGE);
	/* A writer restart: the reader is told, never given the new generation's data. */
	cr_assert_eq(sov_writer_reset(w, NULL, 0), 0);
	cr_assert_eq(sov_reader_value(r, 1, &v, NULL, NULL), -SOV_ERESTARTED);
	sov_reader_close(r);
	sov_writer_close(w);
}

Test(shm, unit_table_covers_every_unit_and_kind)
{
	uint16_t u, k;

	for (u = 0; u < SOV_UNIT_MAX_; u++) {
		const struct sov_unit_info *ui = sov_unit_info(u);

		cr_assert_not_null(ui, "unit %u has no row", u);
		cr_assert_gt(ui->per_base, 0, "unit %u", u);
		cr_assert_not_null(ui->base);
	}
	cr_assert_null(sov_unit_info(SOV_UNIT_MAX_), "unknown unit: no row");
	cr_assert_float_eq(sov_unit_to_base(SOV_UNIT_MILLICELSIUS, 45500), 45.5, 1e-9);
	cr_assert_float_eq(sov_unit_to_base(SOV_UNIT_MICROWATT, 2500000), 2.5, 1e-9);
	cr_assert_float_eq(sov_unit_to_base(SOV_UNIT_MILLIPERCENT, 45500), 0.455, 1e-9);
	cr_assert_float_eq(sov_unit_to_base(SOV_UNIT_PERMILLE, 500), 0.5, 1e-9);
	cr_assert_float_eq(sov_unit_to_base(SOV_UNIT_MAX_, 7), 7.0, 1e-9);
	cr_assert_str_eq(sov_unit_info(SOV_UNIT_MICROJOULE)->base, "joules");
	cr_assert_eq(sov_kind_unit(SOV_KIND_TEMP), SOV_UNIT_MILLICELSIUS);
	cr_assert_eq(sov_kind_unit(SOV_KIND_ENERGY), SOV_UNIT_MICROJOULE);
	cr_assert_eq(sov_kind_unit(SOV_KIND_HUMIDITY), SOV_UNIT_MILLIPERCENT);
	cr_assert_eq(sov_kind_unit(SOV_KIND_MAX_ + 5), SOV_UNIT_NONE);
	for (k = 1; k < SOV_KIND_MAX_; k++)
		cr_assert_lt(sov_kind_unit(k), SOV_UNIT_MAX_, "kind %u", k);
}
