/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sampler.c - Criterion tests of the sampler core through the fake
 * backends (fake_backend.c): what a reader of the segment sees after
 * cycles at chosen times -- values, invalid reads, thresholds, own rates,
 * derived power, frozen sensors, the slow worker, and SIGHUP-style reload.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <systemd/sd-journal.h>

#include "fake_backend.h"
#include "sampler.h"
#include "shm_reader.h"

#define SEC 1000000000ull

static char root[64], seg[64];

/*
 * The journal, as the journal thread sees it: this definition interposes
 * libsystemd's (sd_journal_send() expands to it, adding CODE_FILE and the
 * like), so the test reads the MESSAGE field the thread formats.
 */
static char journal_msg[8][256];
static int journal_n;

int sd_journal_send_with_location(const char *file, const char *line, const char *func,
				  const char *format, ...)
{
	(void)file; (void)line; (void)func;
	int n = __atomic_load_n(&journal_n, __ATOMIC_ACQUIRE);
	va_list ap;

	va_start(ap, format);
	if (n < 8)
		vsnprintf(journal_msg[n], sizeof(journal_msg[n]), format, ap);
	va_end(ap);
	__atomic_store_n(&journal_n, n + 1, __ATOMIC_RELEASE);
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static void setup(void)
{
	static int n;
	char d[128];

	snprintf(root, sizeof(root), "/tmp/sov-core-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(d, sizeof(d), "%s/fake", root);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/fake_slow", root);
	mkdir(d, 0755);
	snprintf(seg, sizeof(seg), "/sov-core-%d-%d", (int)getpid(), n++);
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	sov_shm_unlink(seg);
}

TestSuite(sampler, .init = setup, .fini = teardown, .timeout = 60);

/* Write @text into fixture file @dir/@name in place (held fds keep working). */
static void put(const char *dir, const char *name, const char *text)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s/%s", root, dir, name);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	cr_assert_eq(ftruncate(fd, (off_t)strlen(text)), 0);
	close(fd);
}

static struct sampler *mk(const char *extra, struct rt_err *err, int *rc)
{
	char text[2048];
	struct rt_config cfg;
	struct sampler_opts o;
	struct sampler *s = NULL;

	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\nslots = 64\njournal = no\nroot = %s\nsegment = %s\n"
		 "[fake]\nenable = yes\n[fake_slow]\nenable = yes\n%s",
		 root, seg, extra);
	cr_assert_eq(rt_config_parse_string(text, "test.conf", &cfg, err), 0, "%s", err->msg);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, err), 0, "%s", err->msg);
	*rc = sampler_create(&cfg, &o, &s, err);
	rt_config_free(&cfg);
	return s;
}

static struct sampler *mk_ok(const char *extra)
{
	struct rt_err err;
	int rc;
	struct sampler *s = mk(extra, &err, &rc);

	cr_assert_eq(rc, 0, "create: %s", err.msg);
	return s;
}

struct view {
	struct sov_reader *r;
	struct sov_sample *smp;
	uint64_t cursor;
};

static void view_open(struct view *v)
{
	cr_assert_eq(sov_reader_open(seg, NULL, &v->r), 0);
	v->smp = sov_sample_alloc(v->r);
	v->cursor = 0;
}

static void view_close(struct view *v)
{
	sov_sample_free(v->smp);
	sov_reader_close(v->r);
}

static int idx_of(struct view *v, const char *name)
{
	int i = sov_reader_find(v->r, NULL, name);

	cr_assert_geq(i, 0, "no sensor %s", name);
	return i;
}

/* Value of sensor @name in the newest sample; -ENODATA if invalid. */
static int value(struct view *v, const char *name, int64_t *out)
{
	cr_assert_eq(sov_reader_latest(v->r, v->smp), 0);
	return sov_sample_get(v->smp, (uint32_t)idx_of(v, name), out, NULL);
}

/* Count new events of @type since the last call (any type: 0). */
static int events(struct view *v, uint16_t type, int64_t *last_value)
{
	struct sov_event ev[64];
	int n = sov_reader_events(v->r, &v->cursor, ev, 64, NULL), i, c = 0;

	for (i = 0; i < n; i++) {
		if (type && ev[i].type != type)
			continue;
		c++;
		if (last_value)
			*last_value = ev[i].value;
	}
	return c;
}

Test(sampler, publishes_values_and_changes)
{
	struct sampler *s;
	struct view v;
	int64_t x;

	put("fake", "temp_a", "45000\n");
	put("fake", "fan_b", "1200\n");
	s = mk_ok("");
	view_open(&v);
	cr_assert_eq(sov_reader_nsensors(v.r), 2 + 2 + 1,
		     "2 fake + read-ns/errors of the fake backend (fake_slow found nothing) + sampler-wake-ns");
	sampler_cycle(s, 1 * SEC);
	cr_assert_eq(value(&v, "temp_a", &x), 0);
	cr_assert_eq(x, 45000);
	cr_assert_eq(value(&v, "fan_b", &x), 0);
	cr_assert_eq(x, 1200);
	cr_assert_eq(sov_sample_slot(v.smp)->mono_ns, 1 * SEC);
	put("fake", "temp_a", "-5250\n");
	sampler_cycle(s, 1 * SEC + 10000000);
	cr_assert_eq(value(&v, "temp_a", &x), 0);
	cr_assert_eq(x, -5250);
	cr_assert_eq(sov_sample_slot(v.smp)->number, 2);
	cr_assert_eq(value(&v, "fake-errors", &x), 0);
	cr_assert_eq(x, 0);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, failed_read_is_invalid_never_zero)
{
	struct sampler *s;
	struct view v;
	int64_t x;
	uint64_t t = SEC;

	put("fake", "temp_a", "45000\n");
	s = mk_ok("");
	view_open(&v);
	sampler_cycle(s, t);
	events(&v, 0, NULL);
	put("fake", "temp_a", "error 5\n"); /* EIO: transient */
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(value(&v, "temp_a", &x), -ENODATA);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, &x), 1);
	cr_assert_eq(x, -EIO);
	cr_assert_eq(value(&v, "fake-errors", &x), 0);
	cr_assert_eq(x, 1);
	/* Backed off: the next cycle does not read it again. */
	put("fake", "temp_a", "46000\n");
	sampler_cycle(s, t += 5000000);
	cr_assert_eq(value(&v, "temp_a", &x), -ENODATA, "still backing off");
	sampler_cycle(s, t += 20000000);
	cr_assert_eq(value(&v, "temp_a", &x), 0);
	cr_assert_eq(x, 46000);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_BACK, NULL), 1);
	/* A permanent error disables the channel and says so once. */
	put("fake", "temp_a", "error 19\n"); /* ENODEV */
	sampler_cycle(s, t += 20000000);
	sampler_cycle(s, t += 20000000);
	put("fake", "temp_a", "47000\n");
	sampler_cycle(s, t += 20000000);
	cr_assert_eq(value(&v, "temp_a", &x), -ENODATA, "disabled for good");
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 1);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, thresholds_with_hysteresis_make_events)
{
	struct sampler *s;
	struct view v;
	struct sov_sensor d;
	int64_t x;
	uint64_t t = SEC;

	put("fake", "temp_a", "45000\n");
	s = mk_ok("[sensor fake/temp_a]\nlabel = Tctl\nwarn_hi = 80C\ncrit_hi = 90C\nhysteresis = 3C\n");
	view_open(&v);
	cr_assert_eq(sov_reader_sensor(v.r, (uint32_t)idx_of(&v, "Tctl"), &d), 0, "label applied");
	cr_assert_eq(d.crit_hi, 90000);
	cr_assert(d.flags & SOV_SEN_CRIT_HI);
	sampler_cycle(s, t);
	events(&v, 0, NULL);
	put("fake", "temp_a", "85000\n");
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(events(&v, SOV_EV_THRESH_WARN, &x), 1);
	cr_assert_eq(x, 85000);
	put("fake", "temp_a", "95000\n");
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(events(&v, SOV_EV_THRESH_CRIT, NULL), 1);
	put("fake", "temp_a", "88000\n"); /* within 3 °C of critical */
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(events(&v, 0, NULL), 0, "hysteresis: no event");
	put("fake", "temp_a", "70000\n");
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(events(&v, SOV_EV_THRESH_CLEAR, NULL), 1);
	cr_assert_eq(value(&v, "Tctl", &x), 0);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, sensors_keep_their_own_rate_and_time)
{
	struct sampler *s;
	struct view v;
	int64_t x;
	uint64_t at;
	uint32_t i;

	put("fake", "temp_dimm", "30000\n");
	put("fake", "temp_cpu", "50000\n");
	s = mk_ok("[sensor fake/temp_dimm]\nperiod_ms = 30\n");
	view_open(&v);
	i = (uint32_t)idx_of(&v, "temp_dimm");
	sampler_cycle(s, SEC);
	put("fake", "temp_dimm", "31000\n");
	put("fake", "temp_cpu", "51000\n");
	sampler_cycle(s, SEC + 10000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_eq(sov_sample_get(v.smp, i, &x, &at), 0);
	cr_assert_eq(x, 30000, "not due: last value kept");
	cr_assert_eq(at, SEC, "with its own timestamp");
	cr_assert_eq(value(&v, "temp_cpu", &x), 0);
	cr_assert_eq(x, 51000, "the 10 ms sensor was read");
	/* Due again on its own grid (multiples of 30 ms: 1.02 s), not at the
	 * first read + 30 ms: channels of one rate share their wake-ups. */
	sampler_cycle(s, SEC + 20000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_eq(sov_sample_get(v.smp, i, &x, &at), 0);
	cr_assert_eq(x, 31000);
	cr_assert_eq(at, SEC + 20000000);
	put("fake", "temp_dimm", "32000\n");
	sampler_cycle(s, SEC + 30000000);
	sampler_cycle(s, SEC + 40000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_eq(sov_sample_get(v.smp, i, &x, &at), 0);
	cr_assert_eq(x, 31000, "not due before 1.05 s");
	sampler_cycle(s, SEC + 50000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_eq(sov_sample_get(v.smp, i, &x, &at), 0);
	cr_assert_eq(x, 32000);
	cr_assert_eq(at, SEC + 50000000);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, power_derived_from_energy)
{
	struct sampler *s;
	struct view v;
	int64_t x;

	put("fake", "energy_pkg", "5000000\n");
	s = mk_ok("");
	view_open(&v);
	sampler_cycle(s, SEC);
	cr_assert_eq(value(&v, "energy_pkg-power", &x), -ENODATA, "one reading: no power yet");
	put("fake", "energy_pkg", "5250000\n"); /* +0.25 J */
	sampler_cycle(s, SEC + 500000000);   /* in 0.5 s */
	cr_assert_eq(value(&v, "energy_pkg-power", &x), 0);
	cr_assert_eq(x, 500000, "0.25 J / 0.5 s = 0.5 W = 500000 µW");
	cr_assert_eq(value(&v, "energy_pkg", &x), 0);
	cr_assert_eq(x, 5250000);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, frozen_sensor_flagged_suspect)
{
	struct sampler *s;
	struct view v;
	uint64_t t = SEC;
	int k;

	put("fake", "temp_a", "40000\n");
	s = mk_ok("[sensor fake/temp_a]\nstuck_s = 1\n");
	view_open(&v);
	for (k = 0; k < 5; k++)
		sampler_cycle(s, t += 300000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert(sov_sample_suspect(v.smp, (uint32_t)idx_of(&v, "temp_a")));
	cr_assert_eq(events(&v, SOV_EV_SENSOR_SUSPECT, NULL), 1);
	put("fake", "temp_a", "40125\n");
	sampler_cycle(s, t += 300000000);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_not(sov_sample_suspect(v.smp, (uint32_t)idx_of(&v, "temp_a")));
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, smi_count_in_the_sample_head)
{
	struct sampler *s;
	struct view v;

	put("fake", "smi_count", "17\n");
	s = mk_ok("");
	view_open(&v);
	sampler_cycle(s, SEC);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert(sov_sample_slot(v.smp)->flags & SOV_SF_SMI_VALID);
	cr_assert_eq(sov_sample_slot(v.smp)->smi_count, 17);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, slow_channels_come_from_the_worker)
{
	struct sampler *s;
	struct view v;
	int64_t x = 0;
	int k;

	put("fake_slow", "temp_dimm", "33250\n");
	s = mk_ok("");
	view_open(&v);
	cr_assert_eq(sampler_start_threads(s, false), 0);
	/* The loop never reads it itself: it appears once the worker posts it. */
	for (k = 0; k < 200; k++) {
		sampler_run(s, sampler_stats(s).cycles + 1);
		if (value(&v, "temp_dimm", &x) == 0)
			break;
		usleep(5000);
	}
	cr_assert_eq(x, 33250, "worker's reading published");
	cr_assert_eq(value(&v, "fake_slow-read-ns", &x), 0);
	view_close(&v);
	sampler_destroy(s);
}

struct loop_arg {
	struct sampler *s;
};

static void *loop_thread(void *arg)
{
	struct loop_arg *a = arg;

	sampler_run(a->s, 0);
	return NULL;
}

Test(sampler, reload_changes_limits_without_stopping)
{
	struct rt_config cfg;
	struct sampler_opts o;
	struct rt_err err;
	struct sampler *s;
	struct loop_arg a;
	struct sov_sensor d;
	struct view v;
	pthread_t th;
	bool restart;
	char text[1024];
	uint64_t before;

	put("fake", "temp_a", "45000\n");
	s = mk_ok("[sensor fake/temp_a]\ncrit_hi = 90C\n");
	view_open(&v);
	/* This thread now plays the control thread. */
	a.s = s;
	cr_assert_eq(pthread_create(&th, NULL, loop_thread, &a), 0);
	while (sampler_stats(s).cycles < 3)
		usleep(1000);
	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\nslots = 64\njournal = no\nroot = %s\nsegment = %s\n"
		 "[fake]\nenable = yes\n[fake_slow]\nenable = yes\n[sensor fake/temp_a]\ncrit_hi = 85C\n",
		 root, seg);
	cr_assert_eq(rt_config_parse_string(text, "new.conf", &cfg, &err), 0);
	before = sampler_stats(s).cycles;
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0);
	cr_assert_eq(sampler_reload(s, &cfg, &o, &restart, &err), 0, "%s", err.msg);
	cr_assert_not(restart);
	rt_config_free(&cfg);
	while (sampler_stats(s).cycles < before + 3)
		usleep(1000);
	cr_assert_eq(sov_reader_sensor(v.r, (uint32_t)idx_of(&v, "temp_a"), &d), 0);
	cr_assert_eq(d.crit_hi, 85000, "new limit in the table, same generation");
	cr_assert_eq(sov_reader_status(v.r), 0);
	cr_assert_geq(events(&v, SOV_EV_CONFIG, NULL), 1);

	/* A new period needs a new generation: the caller is told to restart. */
	cr_assert_eq(rt_config_parse_string("[sampler]\nperiod_ms = 20\n", "new.conf", &cfg, &err), 0);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0);
	cr_assert_eq(sampler_reload(s, &cfg, &o, &restart, &err), 0);
	cr_assert(restart);
	rt_config_free(&cfg);
	sampler_stop(s);
	pthread_join(th, NULL);
	view_close(&v);
	sampler_destroy(s);
}

/* sampler_reload() with the test's [sampler] and @extra; *@restart and @err as it left them. */
static int reload(struct sampler *s, const char *extra, bool *restart, struct rt_err *err)
{
	char text[2048];
	struct rt_config cfg;
	struct sampler_opts o;
	int rc;

	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\nslots = 64\njournal = no\nroot = %s\nsegment = %s\n"
		 "[fake]\nenable = yes\n[fake_slow]\nenable = yes\n%s",
		 root, seg, extra);
	cr_assert_eq(rt_config_parse_string(text, "new.conf", &cfg, err), 0, "%s", err->msg);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, err), 0, "%s", err->msg);
	rc = sampler_reload(s, &cfg, &o, restart, err);
	rt_config_free(&cfg);
	return rc;
}

/* Limits of sensor @name as the segment's table has them. */
static struct sov_sensor table_entry(struct view *v, const char *name)
{
	struct sov_sensor d;

	cr_assert_eq(sov_reader_sensor(v->r, (uint32_t)idx_of(v, name), &d), 0);
	return d;
}

/*
 * A reload decides from the file alone: no probe(), no remove() (a PMBus
 * probe writes PAGE under the worker), and a change that would change the
 * sensor set is reported as needing a restart, with what changed.
 */
Test(sampler, reload_never_probes_and_says_when_a_restart_is_needed)
{
	static const struct {
		const char *extra, *said;
	} set_changes[] = {
		{ "[sensor fake/temp_a]\nignore = yes\n", "ignore: fake/test/temp_a would leave the table" },
		{ "[sensor fake/temp_a]\nlabel = Tctl\n", "label of fake/test/temp_a changes" },
		{ "[sensor fake/*]\nlabels = socket=1\n", "labels of fake/test/temp_a change" },
		{ "[sensor fake_slow/temp_gone]\nlabel = back\n", "temp_gone, ignored, would come back" },
		{ "[fake]\ndir = /elsewhere\n", "[fake] dir added ('/elsewhere')" },
		{ "[fake_slow]\nenable = no\n", "[fake_slow] enable changed ('yes' -> 'no')" },
		{ "[sampler]\npriority = 60\n", "[sampler] priority changed" },
		{ "[sampler]\nslots = 128\n", "[sampler] slots changed" },
	};
	struct rt_err err;
	struct sampler *s;
	struct view v;
	bool restart = true;
	int probes, removes;
	size_t i;

	put("fake", "temp_a", "45000\n");
	put("fake_slow", "temp_dimm", "33000\n");
	put("fake_slow", "temp_gone", "30000\n");
	s = mk_ok("[sensor fake/temp_a]\ncrit_hi = 90C\n[sensor fake_slow/temp_gone]\nignore = yes\n");
	view_open(&v);
	sampler_cycle(s, SEC);
	probes = fake_probe_calls();
	removes = fake_remove_calls();

	/* Limits and rates: applied, nothing probed or removed. */
	cr_assert_eq(reload(s, "[sensor fake/temp_a]\ncrit_hi = 85C\n[sensor fake_slow/temp_gone]\nignore = yes\n"
			    "[sensor fake_slow/temp_dimm]\nperiod_ms = 100\n", &restart, &err), 0, "%s", err.msg);
	cr_assert_not(restart, "%s", err.msg);
	sampler_cycle(s, SEC + 10000000);
	cr_assert_eq(table_entry(&v, "temp_a").crit_hi, 85000);
	cr_assert_eq(fake_probe_calls(), probes, "a reload probed the backends");
	cr_assert_eq(fake_remove_calls(), removes, "a reload removed channels");

	/* Whatever would change the sensor set: a restart, said with what. */
	for (i = 0; i < sizeof(set_changes) / sizeof(set_changes[0]); i++) {
		char extra[512];

		snprintf(extra, sizeof(extra), "[sensor fake_slow/temp_gone]\nignore = %s\n%s",
			 strstr(set_changes[i].extra, "temp_gone") ? "no" : "yes", set_changes[i].extra);
		restart = false;
		cr_assert_eq(reload(s, extra, &restart, &err), 0, "%s: %s", set_changes[i].extra, err.msg);
		cr_assert(restart, "no restart for %s", set_changes[i].extra);
		cr_assert(strstr(err.msg, set_changes[i].said), "%s: said '%s'", set_changes[i].extra,
			  err.msg);
	}
	cr_assert_eq(fake_probe_calls(), probes, "a reload probed the backends");
	cr_assert_eq(fake_remove_calls(), removes, "a reload removed channels");
	/* A value that is no value: refused, the old configuration stays. */
	cr_assert_eq(reload(s, "[sensor fake_slow/temp_gone]\nignore = yes\n[sensor fake/temp_a]\ncrit_hi = hot\n",
			    &restart, &err), -EINVAL);
	cr_assert(strstr(err.msg, "crit_hi"), "%s", err.msg);
	sampler_cycle(s, SEC + 20000000);
	cr_assert_eq(table_entry(&v, "temp_a").crit_hi, 85000);
	view_close(&v);
	sampler_destroy(s);
}

/*
 * A reload's new rate reaches the slow worker (it reads the channel's
 * period the loop stores, and the reload wakes it from a sleep planned by
 * the old rate), while the loop runs and frees nothing itself.
 */
Test(sampler, reload_gives_the_worker_its_new_rate)
{
	struct rt_err err;
	struct sampler *s;
	struct loop_arg a;
	struct view v;
	pthread_t th;
	bool restart;
	int64_t x = 0;
	int k;

	put("fake_slow", "temp_dimm", "33000\n");
	s = mk_ok("[sensor fake_slow/temp_dimm]\nperiod_ms = 60000\n");
	view_open(&v);
	cr_assert_eq(sampler_start_threads(s, false), 0);
	/* This thread now plays the control thread. */
	a.s = s;
	cr_assert_eq(pthread_create(&th, NULL, loop_thread, &a), 0);
	while (sampler_stats(s).cycles < 1)
		usleep(1000);
	for (k = 0; k < 1000 && (value(&v, "temp_dimm", &x) || x != 33000); k++)
		usleep(10000);
	cr_assert_eq(x, 33000, "first reading");
	/* The worker now sleeps ~60 s to its next read. */
	put("fake_slow", "temp_dimm", "34000\n");
	cr_assert_eq(reload(s, "[sensor fake_slow/temp_dimm]\nperiod_ms = 50\n", &restart, &err), 0,
		     "%s", err.msg);
	cr_assert_not(restart, "%s", err.msg);
	for (k = 0; k < 1000 && (value(&v, "temp_dimm", &x) || x != 34000); k++)
		usleep(10000);
	cr_assert_eq(x, 34000, "the worker kept the old 60 s rate");
	/* And keeps the new one: another reading within a few periods. */
	put("fake_slow", "temp_dimm", "35000\n");
	for (k = 0; k < 1000 && (value(&v, "temp_dimm", &x) || x != 35000); k++)
		usleep(10000);
	cr_assert_eq(x, 35000);
	sampler_stop(s);
	pthread_join(th, NULL);
	view_close(&v);
	sampler_destroy(s);
}

/*
 * The applied limits are rebuilt at every reload from what the probe
 * reported plus the new file: a limit taken out of the file goes back to
 * the chip's own, or to none.
 */
Test(sampler, reload_rebuilds_limits_from_the_probe)
{
	struct rt_err err;
	struct sampler *s;
	struct view v;
	struct sov_sensor d;
	bool restart;

	put("fake", "temp_a", "45000\n");
	put("fake", "temp_a.crit_hi", "100000\n"); /* what the chip reports */
	put("fake", "temp_b", "40000\n");
	s = mk_ok("[sensor fake/temp_a]\ncrit_hi = 90C\n[sensor fake/temp_b]\nwarn_hi = 70C\n");
	view_open(&v);
	sampler_cycle(s, SEC);
	cr_assert_eq(table_entry(&v, "temp_a").crit_hi, 90000, "the file's limit over the chip's");
	d = table_entry(&v, "temp_b");
	cr_assert(d.flags & SOV_SEN_WARN_HI);
	cr_assert_eq(d.warn_hi, 70000);

	cr_assert_eq(reload(s, "", &restart, &err), 0, "%s", err.msg);
	cr_assert_not(restart, "%s", err.msg);
	sampler_cycle(s, SEC + 10000000);
	d = table_entry(&v, "temp_a");
	cr_assert(d.flags & SOV_SEN_CRIT_HI);
	cr_assert_eq(d.crit_hi, 100000, "crit_hi %lld: not back to the chip's own", (long long)d.crit_hi);
	d = table_entry(&v, "temp_b");
	cr_assert_not(d.flags & SOV_SEN_WARN_HI, "warn_hi %lld kept after it left the file",
		      (long long)d.warn_hi);

	/* And judged by it: 95 °C is no longer above a limit. */
	put("fake", "temp_b", "95000\n");
	events(&v, 0, NULL);
	sampler_cycle(s, SEC + 20000000);
	cr_assert_eq(events(&v, SOV_EV_THRESH_WARN, NULL), 0);
	cr_assert_eq(events(&v, SOV_EV_THRESH_CRIT, NULL), 0);
	view_close(&v);
	sampler_destroy(s);
}

static uint64_t mono_ns(void);

/*
 * One cycle at the clock's time, never before @*t (the cycle's time is
 * left there); when it took a new reading of @name (its timestamp moved
 * from @*at), that time goes to @last_new too.  Return: @name's validity.
 */
static int cycle_now(struct sampler *s, struct view *v, uint64_t *t, const char *name,
		     uint64_t *at, uint64_t *last_new, int64_t *x)
{
	uint64_t now = mono_ns(), a = 0;
	int rc;

	*t = now > *t ? now : *t + 1;
	sampler_cycle(s, *t);
	cr_assert_eq(sov_reader_latest(v->r, v->smp), 0);
	rc = sov_sample_get(v->smp, (uint32_t)idx_of(v, name), x, &a);
	if (!rc && a != *at) {
		*at = a;
		if (last_new)
			*last_new = *t;
	}
	return rc;
}

/* Cycles (cycle_now()) until @name reads @want; 20 s at most. */
static void cycle_until(struct sampler *s, struct view *v, uint64_t *t, const char *name,
			int64_t want, uint64_t *at, uint64_t *last_new)
{
	int64_t x = 0;
	int k;

	for (k = 0; k < 4000; k++) {
		if (cycle_now(s, v, t, name, at, last_new, &x) == 0 && x == want)
			return;
		usleep(5000);
	}
	cr_assert_fail("%s never read %lld (last %lld)", name, (long long)want, (long long)x);
}

/*
 * A slow channel whose bus hangs: after stale_periods x its period with no
 * new reading it is published invalid with SENSOR_LOST -- not a frozen
 * valid value -- and valid again with SENSOR_BACK when the read returns.
 */
Test(sampler, slow_channel_goes_stale_and_comes_back)
{
	struct sampler *s;
	struct view v;
	uint64_t t = 0, at = 0, last_new = 0;
	const uint64_t limit = 4 * SEC; /* stale_periods x period */
	int64_t x;
	int k, idx;

	/* A 1 s period: a slow machine cannot make it stale before the test does. */
	put("fake_slow", "temp_dimm", "33000\n");
	s = mk_ok("[sampler]\nstale_periods = 4\n[sensor fake_slow/temp_dimm]\nperiod_ms = 1000\n");
	view_open(&v);
	idx = idx_of(&v, "temp_dimm");
	cr_assert_eq(sampler_start_threads(s, false), 0);
	cycle_until(s, &v, &t, "temp_dimm", 33000, &at, &last_new);

	/* The bus hangs: the worker's next read (within a second) blocks at the gate. */
	fake_gate_close();
	put("fake_slow", "temp_dimm", "block 34000\n");
	for (k = 0; k < 4000 && fake_gate_waiting() == 0; k++) {
		cr_assert_eq(cycle_now(s, &v, &t, "temp_dimm", &at, &last_new, &x), 0);
		usleep(5000);
	}
	cr_assert_eq(fake_gate_waiting(), 1, "the worker never reached the hung read");
	/* Take what it posted before it hung: from here nothing new comes. */
	cr_assert_eq(cycle_now(s, &v, &t, "temp_dimm", &at, &last_new, &x), 0);
	cr_assert_eq(x, 33000);
	cr_assert_lt(t - last_new, limit, "the test was too slow to see it fresh");
	events(&v, 0, NULL);

	/* stale_periods x period after the last new reading: still valid; 1 ns later: stale. */
	sampler_cycle(s, last_new + limit);
	cr_assert_eq(value(&v, "temp_dimm", &x), 0, "stale before stale_periods x period");
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 0);
	sampler_cycle(s, last_new + limit + 1);
	cr_assert_eq(value(&v, "temp_dimm", &x), -ENODATA,
		     "a reading 4 s old from a hung bus published as valid (%lld)", (long long)x);
	{
		struct sov_event ev[16];
		int n = sov_reader_events(v.r, &v.cursor, ev, 16, NULL), i, lost = 0;

		for (i = 0; i < n; i++) {
			if (ev[i].type != SOV_EV_SENSOR_LOST)
				continue;
			lost++;
			cr_assert_eq(ev[i].sensor, (uint32_t)idx);
			cr_assert_eq(ev[i].value, -ETIMEDOUT);
		}
		cr_assert_eq(lost, 1, "one SENSOR_LOST for the stale channel");
	}
	sampler_cycle(s, t = last_new + 2 * limit);
	cr_assert_eq(value(&v, "temp_dimm", &x), -ENODATA);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 0, "said once");

	/* The bus answers: valid again, and said. */
	fake_gate_open();
	cycle_until(s, &v, &t, "temp_dimm", 34000, &at, NULL);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_BACK, NULL), 1);
	view_close(&v);
	sampler_destroy(s);
}

/* A slow bus hung from the start: said after stale_periods x period, and when it answers. */
Test(sampler, slow_channel_silent_from_the_start_is_said)
{
	struct sampler *s;
	struct view v;
	uint64_t t0, t = 0, at = 0;
	int k;

	fake_gate_close();
	put("fake_slow", "temp_dimm", "block 33000\n");
	s = mk_ok("[sensor fake_slow/temp_dimm]\nperiod_ms = 1000\n");
	view_open(&v);
	cr_assert_eq(sampler_start_threads(s, false), 0);
	t0 = mono_ns();
	sampler_cycle(s, t0); /* the loop's first cycle: staleness counts from here */
	events(&v, 0, NULL);
	for (k = 0; k < 4000 && fake_gate_waiting() == 0; k++)
		usleep(5000);
	cr_assert_eq(fake_gate_waiting(), 1, "the worker never reached the hung read");
	sampler_cycle(s, t0 + 3 * SEC);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 0, "stale before 3 x 1 s");
	sampler_cycle(s, t = t0 + 3 * SEC + 1);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 1, "a bus silent from the start not said");
	fake_gate_open();
	cycle_until(s, &v, &t, "temp_dimm", 33000, &at, NULL);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_BACK, NULL), 1);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, config_mistakes_are_refused_with_their_line)
{
	struct rt_err err;
	int rc;
	struct sampler *s;

	put("fake", "temp_a", "45000\n");
	s = mk("[sensor fake/temp_a]\ncrit_hi = 90V\n", &err, &rc);
	cr_assert_null(s);
	cr_assert_eq(rc, -EINVAL);
	cr_assert(strstr(err.msg, "test.conf:12: [sensor fake/temp_a] crit_hi: '90V'"), "%s", err.msg);
	s = mk("[fnord]\nx = 1\n", &err, &rc);
	cr_assert_null(s);
	cr_assert(strstr(err.msg, "no backend called 'fnord'"), "%s", err.msg);
}

Test(sampler, events_reach_the_journal_thread)
{
	struct rt_err err;
	struct sampler *s;
	int rc, i;

	put("fake", "temp_a", "45000\n");
	s = mk("[sampler]\njournal = yes\n[sensor fake/temp_a]\nlabel = Tctl\ncrit_hi = 95C\n", &err, &rc);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(sampler_start_threads(s, false), 0);
	sampler_cycle(s, SEC);
	put("fake", "temp_a", "96500\n");
	sampler_cycle(s, SEC + 10000000);
	for (i = 0; i < 200 && __atomic_load_n(&journal_n, __ATOMIC_ACQUIRE) < 1; i++)
		usleep(10000);
	cr_assert_eq(__atomic_load_n(&journal_n, __ATOMIC_ACQUIRE), 1, "one event, one journal entry");
	cr_assert_str_eq(journal_msg[0],
			 "MESSAGE=fake/test/temp_a (Tctl): critical limit crossed (value 96.500 °C, limit 95.000 °C)");
	sampler_destroy(s);
}

Test(sampler, fan_stall_is_an_event)
{
	struct sampler *s;
	struct view v;
	int64_t x;

	put("fake", "fan_cpu", "2400\n");
	s = mk_ok("");
	view_open(&v);
	sampler_cycle(s, SEC);
	events(&v, 0, NULL);
	put("fake", "fan_cpu", "0\n");
	sampler_cycle(s, SEC + 10000000);
	cr_assert_eq(events(&v, SOV_EV_FAN_STALL, &x), 1);
	cr_assert_eq(x, 0);
	cr_assert_eq(value(&v, "fan_cpu", &x), 0, "0 RPM is a valid reading");
	cr_assert_eq(x, 0);
	put("fake", "fan_cpu", "1800\n");
	sampler_cycle(s, SEC + 20000000);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_BACK, NULL), 1, "turning again");
	view_close(&v);
	sampler_destroy(s);
}

/* -128 °C ("no diode") and other impossible readings: invalid, counted, said once. */
Test(sampler, impossible_reading_is_invalid_not_a_value)
{
	struct sampler *s;
	struct view v;
	int64_t x;
	uint64_t t = SEC, cursor;

	put("fake", "temp_dimm", "45000\n");
	s = mk_ok("[sensor fake/temp_dimm]\nwarn_lo = 5C\n");
	view_open(&v);
	sampler_cycle(s, t);
	cr_assert_eq(value(&v, "temp_dimm", &x), 0);
	events(&v, 0, NULL);
	put("fake", "temp_dimm", "-128000\n");
	sampler_cycle(s, t += 10000000);
	cr_assert_eq(value(&v, "temp_dimm", &x), -ENODATA, "-128 °C published as a value");
	cursor = v.cursor;
	cr_assert_eq(events(&v, SOV_EV_THRESH_WARN, NULL), 0, "no warning from a non-reading");
	v.cursor = cursor; /* the same events again */
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, &x), 1);
	cr_assert_eq(x, -ERANGE);
	sampler_cycle(s, t += 40000000);
	cr_assert_eq(value(&v, "temp_dimm", &x), -ENODATA);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_LOST, NULL), 0, "said once");
	put("fake", "temp_dimm", "250000\n");
	sampler_cycle(s, t += 40000000);
	cr_assert_eq(value(&v, "temp_dimm", &x), -ENODATA, "250 °C published as a value");
	put("fake", "temp_dimm", "46000\n");
	sampler_cycle(s, t += 100000000);
	cr_assert_eq(value(&v, "temp_dimm", &x), 0);
	cr_assert_eq(x, 46000);
	cr_assert_eq(events(&v, SOV_EV_SENSOR_BACK, NULL), 1);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, overruns_are_counted_and_caught_up)
{
	struct sampler *s;
	struct view v;

	/* A 35 ms read in a 10 ms loop: deadlines are missed, counted, skipped. */
	put("fake", "temp_a", "sleep 35 45000\n");
	s = mk_ok("");
	view_open(&v);
	cr_assert_eq(sampler_run(s, 4), 0);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	cr_assert_eq(sov_sample_slot(v.smp)->number, 4);
	cr_assert_geq(sov_sample_slot(v.smp)->overruns, 6, "3 sleeps, about 3 missed deadlines each");
	cr_assert_geq(sampler_stats(s).overruns, 9);
	cr_assert_geq(events(&v, SOV_EV_OVERRUN, NULL), 3);
	cr_assert_geq(sov_sample_slot(v.smp)->cycle_cost_ns, 35000000, "the cost is published");
	view_close(&v);
	sampler_destroy(s);
}

/*
 * Slow buses never stretch the cycle (docs/realtime.md): a slow channel
 * whose every read takes 35 ms, due every 100 ms, beside a loop channel
 * read every 10 ms grid step: the worker reads it, the loop keeps its
 * 10 ms deadlines -- no overrun, every cycle's cost below the period --
 * and publishes the worker's readings.  Every cycle is looked at (the
 * ring holds 64 of them, polled every 5 ms).  The loop and the worker are
 * SCHED_FIFO as in production (the test runs as root), so that other
 * work on the machine cannot make an overrun the sampler did not cause.
 */
Test(sampler, slow_bus_never_stretches_the_cycle)
{
	const uint64_t period = 10000000;
	struct sampler *s;
	struct loop_arg a;
	struct view v;
	pthread_t th;
	uint64_t seen = 0, most = 0, posted = 0, k;
	int64_t x;

	put("fake", "temp_a", "45000\n");
	put("fake_slow", "temp_dimm", "sleep 35 33250\n");
	s = mk_ok("[sensor fake/temp_a]\nperiod_ms = 10\n[sensor fake_slow/temp_dimm]\nperiod_ms = 100\n");
	view_open(&v);
	cr_assert_eq(sampler_start_threads(s, true), 0);
	a.s = s;
	{
		pthread_attr_t at;
		struct sched_param sp = { .sched_priority = 50 };

		cr_assert_eq(pthread_attr_init(&at), 0);
		cr_assert_eq(pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED), 0);
		cr_assert_eq(pthread_attr_setschedpolicy(&at, SCHED_FIFO), 0);
		cr_assert_eq(pthread_attr_setschedparam(&at, &sp), 0);
		cr_assert_eq(pthread_create(&th, &at, loop_thread, &a), 0, "a SCHED_FIFO loop (root?)");
		pthread_attr_destroy(&at);
	}
	while (seen < 150) {
		uint64_t head = sov_reader_head(v.r);

		for (k = seen + 1; k <= head; k++) {
			const struct sov_slot *sl;

			cr_assert_eq(sov_reader_sample(v.r, k, v.smp), 0, "cycle %llu: missed by the test",
				     (unsigned long long)k);
			sl = sov_sample_slot(v.smp);
			cr_assert_eq(sl->overruns, 0, "cycle %llu: %llu deadlines missed",
				     (unsigned long long)k, (unsigned long long)sl->overruns);
			/* The cost of the cycle before (the first has none). */
			cr_assert_lt(sl->cycle_cost_ns, period, "cycle %llu cost %llu ns",
				     (unsigned long long)k - 1, (unsigned long long)sl->cycle_cost_ns);
			if (sl->cycle_cost_ns > most)
				most = sl->cycle_cost_ns;
			posted += sov_sample_get(v.smp, (uint32_t)idx_of(&v, "temp_dimm"), &x, NULL) == 0;
		}
		seen = head;
		usleep(5000);
	}
	sampler_stop(s);
	pthread_join(th, NULL);
	cr_assert_eq(sampler_stats(s).overruns, 0);
	cr_assert_gt(posted, 100, "the worker's 35 ms readings reach the samples (%llu of %llu)",
		     (unsigned long long)posted, (unsigned long long)seen);
	cr_assert_eq(value(&v, "fake_slow-read-ns", &x), 0);
	cr_log_info("150 cycles at 10 ms beside a 35 ms slow read: no overrun, cost at most %llu ns",
		    (unsigned long long)most);
	view_close(&v);
	sampler_destroy(s);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

Test(sampler, wake_latency_is_published)
{
	struct sampler *s;
	struct view v;
	uint64_t t;
	int64_t x = -1;

	put("fake", "temp_a", "45000\n");
	s = mk_ok("");
	view_open(&v);
	/* A cycle started 5 ms after its deadline says so. */
	t = mono_ns();
	sampler_cycle(s, t - 5000000);
	cr_assert_eq(value(&v, "sampler-wake-ns", &x), 0, "sampler-wake-ns published");
	cr_assert_geq(x, 5000000, "wake %lld ns: the cycle began >= 5 ms after its deadline", (long long)x);
	cr_assert_lt(x, 5 * (int64_t)SEC, "wake %lld ns", (long long)x);
	/* A deadline in the future (tests drive the clock) reads as 0, never negative. */
	sampler_cycle(s, mono_ns() + 10 * SEC);
	cr_assert_eq(value(&v, "sampler-wake-ns", &x), 0);
	cr_assert_eq(x, 0);
	/* The loop itself: a real wake-up latency, below a period's worth here. */
	sampler_run(s, sampler_stats(s).cycles + 3);
	cr_assert_eq(value(&v, "sampler-wake-ns", &x), 0);
	cr_assert(x >= 0 && x < 10 * 1000000, "loop wake %lld ns", (long long)x);
	view_close(&v);
	sampler_destroy(s);
}

Test(sampler, stop_wakes_the_sleeping_worker_at_once)
{
	struct sampler *s;
	uint64_t t;

	put("fake_slow", "temp_dimm", "33250\n");
	/* A slow channel due every 60 s: the worker sleeps that long (no 100 ms cap). */
	s = mk_ok("[sensor fake_slow/temp_dimm]\nperiod_ms = 60000\n");
	cr_assert_eq(sampler_start_threads(s, false), 0);
	usleep(300000); /* the worker has read once and sleeps ~60 s */
	t = mono_ns();
	sampler_destroy(s);
	t = mono_ns() - t;
	cr_assert_lt(t, 40000000ull, "destroy took %llu ms: the threads were not woken by stop",
		     (unsigned long long)(t / 1000000));
}

/* A channel reading another CPU (labels "cpu=N") is said loudly, once per CPU. */
Test(sampler, reading_another_cpu_is_said_once_per_cpu)
{
	struct sampler *s;
	size_t i, warned = 0;

	put("fake", "temp_a", "45000\n");
	put("fake", "fan_b", "1200\n");
	s = mk_ok("[sampler]\ncpu = 0\n[sensor fake/temp_a]\nlabels = cpu=3\n"
		  "[sensor fake/fan_b]\nlabels = bus=0,cpu=3\n");
	for (i = 0; sampler_note(s, i); i++)
		if (strstr(sampler_note(s, i), "reads CPU 3, not the housekeeping CPU 0")) {
			cr_expect(strstr(sampler_note(s, i), "warning:"), "%s", sampler_note(s, i));
			warned++;
		}
	cr_expect_eq(warned, 1, "one warning for CPU 3, got %zu", warned);
	sampler_destroy(s);

	s = mk_ok("[sampler]\ncpu = 0\n[sensor fake/temp_a]\nlabels = cpu=0\n");
	for (i = 0; sampler_note(s, i); i++)
		cr_expect_null(strstr(sampler_note(s, i), "reads CPU"), "%s", sampler_note(s, i));
	sampler_destroy(s);
}

/* The loop runs on the absolute grid k * period after its first cycle. */
Test(sampler, deadlines_on_the_absolute_grid)
{
	struct sampler *s;
	struct view v;
	uint64_t n;

	put("fake", "temp_a", "45000\n");
	s = mk_ok("");
	cr_assert_eq(sampler_run(s, 4), 0);
	view_open(&v);
	cr_assert_eq(sov_reader_latest(v.r, v.smp), 0);
	n = sov_sample_slot(v.smp)->number;
	cr_assert_eq(n, 4);
	for (uint64_t k = 2; k <= n; k++) {
		cr_assert_eq(sov_reader_sample(v.r, k, v.smp), 0);
		cr_expect_eq(sov_sample_slot(v.smp)->mono_ns % 10000000u, 0,
			     "cycle %llu at %llu ns: not a multiple of the 10 ms period",
			     (unsigned long long)k,
			     (unsigned long long)sov_sample_slot(v.smp)->mono_ns);
	}
	view_close(&v);
	sampler_destroy(s);
}

/*
 * The loop wakes only when a channel is due, on the absolute grid: a 10 ms
 * grid whose every channel is read each 50 ms runs about 20 cycles a
 * second, not 100, and every sample after the first is at a multiple of
 * 50 ms of CLOCK_MONOTONIC.
 */
Test(sampler, loop_wakes_only_when_something_is_due)
{
	struct sampler *s;
	struct loop_arg a;
	struct view v;
	pthread_t th;
	uint64_t cycles, n, at;
	int64_t x;

	put("fake", "temp_a", "45000\n");
	put("fake", "temp_b", "46000\n");
	s = mk_ok("[sensor fake/*]\nperiod_ms = 50\n");
	view_open(&v);
	cr_assert_eq(sov_reader_header(v.r)->period_ns, 50000000,
		     "the header's period is the loop's longest sleep");
	a.s = s;
	cr_assert_eq(pthread_create(&th, NULL, loop_thread, &a), 0);
	usleep(1000000);
	sampler_stop(s);
	pthread_join(th, NULL);
	cycles = sampler_stats(s).cycles;
	/* 1 s: 20 due instants + the first cycle; a loaded machine may lose some. */
	cr_assert(cycles >= 10 && cycles <= 22, "%llu cycles in 1 s at 20 due instants a second",
		  (unsigned long long)cycles);
	for (n = 2; n <= sov_reader_head(v.r); n++) {
		const struct sov_slot *sl;

		cr_assert_eq(sov_reader_sample(v.r, n, v.smp), 0, "sample %llu", (unsigned long long)n);
		sl = sov_sample_slot(v.smp);
		cr_assert_eq(sl->mono_ns % 50000000, 0, "sample %llu at %llu ns: off the 50 ms grid",
			     (unsigned long long)n, (unsigned long long)sl->mono_ns);
		cr_assert_eq(sov_sample_get(v.smp, (uint32_t)idx_of(&v, "temp_a"), &x, &at), 0);
		cr_assert_eq(at, sl->mono_ns, "each wake-up reads what was due");
	}
	view_close(&v);
	sampler_destroy(s);
}
