/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_dump.c - integration test of sovereign-dump: a writer in this process
 * fills a segment, the built binary (SOV_DUMP_BIN) dumps it as JSON and as
 * tables, once and with --follow, and the output is checked value by value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <criterion/criterion.h>

#include "sovereign.h"

#ifndef SOV_DUMP_BIN
#error "SOV_DUMP_BIN must name the sovereign-dump binary"
#endif

enum { S_TEMP, S_FAN, S_POWER, S_DUTY, S_VCORE, S_ENERGY, NSENSORS };

/* A running child: its pid and the files its stdout and stderr go to. */
struct child {
	pid_t pid;
	int out_fd;
	int err_fd;
};

static char seg_name[64];
static struct sov_writer *writer;

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sensor_init(struct sov_sensor *s, uint16_t kind, uint16_t unit, const char *chip,
			const char *name, const char *label)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->unit = unit;
	s->source = SOV_SRC_SIM;
	s->period_ms = 100;
	snprintf(s->chip, sizeof(s->chip), "%s", chip);
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->id = sov_sensor_id(s->source, s->chip, s->name);
}

/* Stage every sensor (fan invalid, power suspect) and publish one sample. */
static uint64_t publish(int64_t temp)
{
	struct sov_slot *st = sov_writer_stage(writer);
	uint64_t mono = now_ns(CLOCK_MONOTONIC);

	st->mono_ns = mono;
	st->real_ns = now_ns(CLOCK_REALTIME);
	st->cycle_cost_ns = 12345;
	st->overruns = 2;
	st->smi_count = 7;
	st->flags = SOV_SF_SMI_VALID | SOV_SF_NO_RT;
	sov_writer_set(writer, S_TEMP, temp, mono);
	sov_writer_set_invalid(writer, S_FAN);
	sov_writer_set(writer, S_POWER, 12345678, mono);
	sov_writer_set_suspect(writer, S_POWER, true);
	sov_writer_set(writer, S_DUTY, 455, mono);
	sov_writer_set(writer, S_VCORE, 1234, mono);
	sov_writer_set(writer, S_ENERGY, 5000000, mono);
	return sov_writer_publish(writer);
}

static void event(uint16_t type, uint16_t sev, uint32_t sensor, int64_t value, int64_t limit,
		  const char *text)
{
	struct sov_event ev = {
		.mono_ns = now_ns(CLOCK_MONOTONIC),
		.real_ns = now_ns(CLOCK_REALTIME),
		.value = value,
		.limit = limit,
		.sensor = sensor,
		.type = type,
		.severity = sev,
	};

	snprintf(ev.text, sizeof(ev.text), "%s", text);
	sov_writer_event(writer, &ev);
}

/* Create the segment: six sensors, three samples, two events of our own. */
static void create_writer(void)
{
	struct sov_sensor s[NSENSORS];
	struct sov_writer_opts o = {
		.name = seg_name,
		.writer_name = "dump-test",
		.nslots = 16,
		.nevents = 16,
		.period_ns = 10000000,
	};
	int rc;

	sensor_init(&s[S_TEMP], SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/pci-0000:00:18.3",
		    "temp1", "Tctl");
	s[S_TEMP].flags = SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI;
	s[S_TEMP].warn_hi = 85000;
	s[S_TEMP].crit_hi = 95000;
	s[S_TEMP].crit_lo = -999; /* flag bit clear: must not be printed */
	snprintf(s[S_TEMP].labels, sizeof(s[S_TEMP].labels), "socket=0");
	sensor_init(&s[S_FAN], SOV_KIND_FAN_RPM, SOV_UNIT_RPM, "nct6799/isa-0290", "fan1",
		    "CPU Fan");
	sensor_init(&s[S_POWER], SOV_KIND_POWER, SOV_UNIT_MICROWATT, "rapl", "package-0",
		    "Package");
	sensor_init(&s[S_DUTY], SOV_KIND_FAN_DUTY, SOV_UNIT_PERMILLE, "nct6799/isa-0290", "pwm1",
		    "CPU Fan duty");
	sensor_init(&s[S_VCORE], SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT, "nct6799/isa-0290", "in0",
		    "Vcore");
	sensor_init(&s[S_ENERGY], SOV_KIND_ENERGY, SOV_UNIT_MICROJOULE, "rapl", "energy-0", "");
	s[S_ENERGY].flags = SOV_SEN_COUNTER;

	rc = sov_writer_create(&o, s, NSENSORS, &writer);
	cr_assert_eq(rc, 0, "sov_writer_create: %s", sov_strerror(rc));
	publish(44000);
	publish(44500);
	publish(45125);
	event(SOV_EV_THRESH_WARN, SOV_SEV_WARNING, S_TEMP, 86000, 85000, "Tctl above warning");
	/* As the sampler publishes them: SENSOR_LOST carries -errno, OVERRUN a count. */
	event(SOV_EV_SENSOR_LOST, SOV_SEV_ERR, S_FAN, -EIO, 0, "read failed");
	event(SOV_EV_OVERRUN, SOV_SEV_WARNING, SOV_NO_SENSOR, 3, 0, "cycle overran its deadline");
}

static void setup(void)
{
	snprintf(seg_name, sizeof(seg_name), "/sov-dump-test-%d", (int)getpid());
	sov_shm_unlink(seg_name); /* a leftover of a crashed run */
	create_writer();
}

static void teardown(void)
{
	sov_writer_close(writer);
	writer = NULL;
	sov_shm_unlink(seg_name);
}

/* ------------------------------------------------------------------ */
/* Running the binary. */

static int tmp_fd(void)
{
	char path[] = "/tmp/sov-dump-test-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	return fd;
}

/* Start sovereign-dump with @argv (argv[0] is replaced by the binary). */
static void spawn(char **argv, struct child *c)
{
	c->out_fd = tmp_fd();
	c->err_fd = tmp_fd();
	fflush(NULL);
	c->pid = fork();
	cr_assert_geq(c->pid, 0, "fork: %s", strerror(errno));
	if (c->pid == 0) {
		if (dup2(c->out_fd, STDOUT_FILENO) < 0 || dup2(c->err_fd, STDERR_FILENO) < 0)
			_exit(127);
		argv[0] = SOV_DUMP_BIN;
		execv(SOV_DUMP_BIN, argv);
		_exit(127);
	}
}

/* Everything written to @fd so far, NUL-terminated; the caller frees it. */
static char *slurp(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf;

	cr_assert_geq(len, 0);
	buf = malloc((size_t)len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(pread(fd, buf, (size_t)len, 0), (ssize_t)len);
	buf[len] = '\0';
	return buf;
}

/* Wait for @c to exit; return its exit status (-1 if a signal killed it). */
static int reap(struct child *c)
{
	int status;

	cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run sovereign-dump to completion; *out and *err are the caller's. */
static int run(char **argv, char **out, char **err)
{
	struct child c;
	int rc;

	spawn(argv, &c);
	rc = reap(&c);
	*out = slurp(c.out_fd);
	*err = slurp(c.err_fd);
	close(c.out_fd);
	close(c.err_fd);
	return rc;
}

/* Poll @fd (up to 10 s) until its content holds @needle. */
static bool wait_for(int fd, const char *needle)
{
	int i;

	for (i = 0; i < 1000; i++) {
		char *s = slurp(fd);
		bool found = strstr(s, needle) != NULL;

		free(s);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

static cJSON *item(const cJSON *o, const char *key)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	cr_assert_not_null(it, "JSON key \"%s\" missing", key);
	return it;
}

static double num(const cJSON *o, const char *key)
{
	cJSON *it = item(o, key);

	cr_assert(cJSON_IsNumber(it), "JSON key \"%s\" not a number", key);
	return it->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
	cJSON *it = item(o, key);

	cr_assert(cJSON_IsString(it), "JSON key \"%s\" not a string", key);
	return it->valuestring;
}

/* The event of type @type in array @events, or NULL. */
static const cJSON *find_event(const cJSON *events, const char *type)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, events) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");

		if (cJSON_IsString(t) && !strcmp(t->valuestring, type))
			return e;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

TestSuite(dump, .init = setup, .fini = teardown, .timeout = 30);

Test(dump, json_snapshot)
{
	char *argv[] = { "", "--name", seg_name, "--json", NULL };
	const cJSON *h, *sensors, *samples, *s0, *rd, *events, *e;
	char *out, *err;
	cJSON *doc;

	cr_assert_eq(run(argv, &out, &err), 0, "stderr: %s", err);
	doc = cJSON_Parse(out);
	cr_assert_not_null(doc, "not JSON: %s", out);

	cr_assert_str_eq(str(doc, "segment"), seg_name);
	h = item(doc, "header");
	cr_assert_eq(num(h, "generation"), (double)sov_writer_header(writer)->generation);
	cr_assert_str_eq(str(h, "state"), "LIVE");
	cr_assert_str_eq(str(h, "status"), "live");
	cr_assert_str_eq(str(h, "writer_name"), "dump-test");
	cr_assert_eq(num(h, "writer_pid"), (double)getpid());
	cr_assert_eq(num(h, "nsensors"), NSENSORS);
	cr_assert_eq(num(h, "nslots"), 16);
	cr_assert_eq(num(h, "period_ns"), 10000000);
	cr_assert_eq(num(h, "head"), 3);
	{
		char v[16];

		snprintf(v, sizeof(v), "%u.%u", SOV_ABI_MAJOR, SOV_ABI_MINOR);
		cr_assert_str_eq(str(h, "abi_version"), v);
	}

	sensors = item(doc, "sensors");
	cr_assert_eq(cJSON_GetArraySize(sensors), NSENSORS);
	s0 = cJSON_GetArrayItem(sensors, S_TEMP);
	cr_assert_str_eq(str(s0, "label"), "Tctl");
	cr_assert_str_eq(str(s0, "kind"), "temp");
	cr_assert_str_eq(str(s0, "source"), "sim");
	cr_assert_str_eq(str(s0, "labels"), "socket=0");
	cr_assert_eq(num(item(s0, "limits"), "warn_hi"), 85000);
	cr_assert_eq(num(item(s0, "limits"), "crit_hi"), 95000);
	cr_assert_null(cJSON_GetObjectItem(item(s0, "limits"), "crit_lo"),
		       "a limit whose flag is clear is printed");
	cr_assert_str_eq(str(cJSON_GetArrayItem(sensors, S_FAN), "kind"), "fan_rpm");

	samples = item(doc, "samples");
	cr_assert_eq(cJSON_GetArraySize(samples), 1);
	s0 = cJSON_GetArrayItem(samples, 0);
	cr_assert_eq(num(s0, "number"), 3);
	cr_assert_eq(num(s0, "overruns"), 2);
	cr_assert_eq(num(s0, "smi_count"), 7);
	cr_assert_eq(num(s0, "cycle_cost_ns"), 12345);
	cr_assert_geq(num(s0, "age_ms"), 0);
	rd = cJSON_GetArrayItem(item(s0, "readings"), S_TEMP);
	cr_assert_eq(num(rd, "raw"), 45125);
	cr_assert_float_eq(num(rd, "value"), 45.125, 1e-9);
	cr_assert_str_eq(str(rd, "unit"), "°C");
	cr_assert(cJSON_IsFalse(item(rd, "suspect")));
	rd = cJSON_GetArrayItem(item(s0, "readings"), S_FAN);
	cr_assert_str_eq(str(rd, "label"), "CPU Fan");
	cr_assert(cJSON_IsFalse(item(rd, "valid")));
	cr_assert(cJSON_IsNull(item(rd, "value")), "invalid sensor has a value");
	cr_assert(cJSON_IsNull(item(rd, "raw")), "invalid sensor has a raw value");
	rd = cJSON_GetArrayItem(item(s0, "readings"), S_POWER);
	cr_assert(cJSON_IsTrue(item(rd, "suspect")));
	cr_assert_float_eq(num(rd, "value"), 12.345678, 1e-9);
	rd = cJSON_GetArrayItem(item(s0, "readings"), S_DUTY);
	cr_assert_float_eq(num(rd, "value"), 45.5, 1e-9);
	rd = cJSON_GetArrayItem(item(s0, "readings"), S_ENERGY);
	cr_assert_str_eq(str(rd, "label"), "energy-0", "no label: the name stands in");

	events = item(doc, "events");
	cr_assert_not_null(find_event(events, "WRITER_START"));
	e = find_event(events, "THRESH_WARN");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "sensor_label"), "Tctl");
	cr_assert_str_eq(str(e, "severity"), "warning");
	cr_assert_eq(num(e, "value"), 86000);
	cr_assert_eq(num(e, "limit"), 85000);
	cr_assert_str_eq(str(e, "text"), "Tctl above warning");
	/* Several chips have a temp1: the event names chip and sensor. */
	cr_assert_str_eq(str(e, "chip"), "k10temp/pci-0000:00:18.3");
	cr_assert_str_eq(str(e, "sensor_name"), "temp1");
	cr_assert_str_eq(str(e, "value_meaning"), "reading");
	cr_assert_str_eq(str(e, "value_text"), "86.000 °C");
	cr_assert_str_eq(str(e, "limit_meaning"), "reading");
	e = find_event(events, "SENSOR_LOST");
	cr_assert_not_null(e);
	cr_assert_str_eq(str(e, "sensor_label"), "CPU Fan");
	cr_assert_str_eq(str(e, "chip"), "nct6799/isa-0290");
	cr_assert_str_eq(str(e, "sensor_name"), "fan1");
	/* An errno is not a fan speed. */
	cr_assert_eq(num(e, "value"), -EIO);
	cr_assert_str_eq(str(e, "value_meaning"), "errno");
	cr_assert_str_eq(str(e, "error"), "EIO");
	cr_assert_str_eq(str(e, "value_text"), "EIO (Input/output error)");
	cr_assert_str_eq(str(e, "limit_meaning"), "none");
	e = find_event(events, "OVERRUN");
	cr_assert_not_null(e);
	cr_assert(cJSON_IsNull(item(e, "sensor")));
	cr_assert_str_eq(str(e, "value_meaning"), "count");
	cr_assert_str_eq(str(e, "value_text"), "3");
	cr_assert_str_eq(str(find_event(events, "WRITER_START"), "value_meaning"), "generation");
	cr_assert_eq(num(doc, "events_lost"), 0);

	cJSON_Delete(doc);
	free(out);
	free(err);
}

Test(dump, json_walk_and_no_events)
{
	char *argv[] = { "", "--name", seg_name, "--json", "--samples", "2", "--no-events", NULL };
	const cJSON *samples;
	char *out, *err;
	cJSON *doc;

	cr_assert_eq(run(argv, &out, &err), 0, "stderr: %s", err);
	doc = cJSON_Parse(out);
	cr_assert_not_null(doc, "not JSON: %s", out);
	samples = item(doc, "samples");
	cr_assert_eq(cJSON_GetArraySize(samples), 2);
	cr_assert_eq(num(cJSON_GetArrayItem(samples, 0), "number"), 3, "newest first");
	cr_assert_eq(num(cJSON_GetArrayItem(samples, 1), "number"), 2);
	cr_assert_eq(num(cJSON_GetArrayItem(item(cJSON_GetArrayItem(samples, 1), "readings"),
					    S_TEMP), "raw"), 44500);
	cr_assert_null(cJSON_GetObjectItem(doc, "events"));
	cJSON_Delete(doc);
	free(out);
	free(err);
}

Test(dump, table)
{
	char *argv[] = { "", "--name", seg_name, NULL };
	char *out, *err, *sample, *line, *end;

	cr_assert_eq(run(argv, &out, &err), 0, "stderr: %s", err);
	cr_assert_str_empty(err);
	cr_assert(strstr(out, "state         LIVE"), "%s", out);
	cr_assert(strstr(out, "status        live"), "%s", out);
	cr_assert(strstr(out, "dump-test"), "%s", out);
	cr_assert(strstr(out, "k10temp/pci-0000:00:18.3"), "%s", out);
	cr_assert(strstr(out, "labels: socket=0  limits: warn_hi 85.000 °C, crit_hi 95.000 °C"),
		  "%s", out);
	cr_assert_null(strstr(out, "crit_lo"), "%s", out);
	cr_assert(strstr(out, "smi 7"), "%s", out);
	cr_assert(strstr(out, "flags SMI_VALID,NO_RT"), "%s", out);

	sample = strstr(out, "\nSample 3 ");
	cr_assert_not_null(sample, "%s", out);
	cr_assert(strstr(sample, "45.125 °C"), "%s", out);
	cr_assert(strstr(sample, "12.345678 W"), "%s", out);
	cr_assert(strstr(sample, "45.5 %"), "%s", out);
	cr_assert(strstr(sample, "1.234 V"), "%s", out);
	cr_assert(strstr(sample, "5.000000 J"), "%s", out);
	/* The fan's line says invalid, and no number. */
	line = strstr(sample, "CPU Fan ");
	cr_assert_not_null(line, "%s", out);
	end = strchr(line, '\n');
	cr_assert_not_null(end);
	*end = '\0';
	cr_assert(strstr(line, "invalid"), "fan line: %s", line);
	cr_assert_null(strstr(line, "RPM"), "fan line: %s", line);
	*end = '\n';
	line = strstr(sample, "Package");
	cr_assert_not_null(line);
	end = strchr(line, '\n');
	*end = '\0';
	cr_assert(strstr(line, "suspect"), "power line: %s", line);
	*end = '\n';

	cr_assert(strstr(out, "WRITER_START"), "%s", out);
	cr_assert(strstr(out, "THRESH_WARN"), "%s", out);
	cr_assert(strstr(out, "k10temp/pci-0000:00:18.3/temp1 (Tctl)  value 86.000 °C  "
			      "limit 85.000 °C  Tctl above warning"), "%s", out);
	/* SENSOR_LOST's value is an errno, by name; no limit, no RPM. */
	line = strstr(out, "SENSOR_LOST");
	cr_assert_not_null(line, "%s", out);
	end = strchr(line, '\n');
	*end = '\0';
	cr_assert(strstr(line, "nct6799/isa-0290/fan1 (CPU Fan)  error EIO (Input/output error)"
			       "  read failed"), "SENSOR_LOST line: %s", line);
	cr_assert_null(strstr(line, "RPM"), "SENSOR_LOST line: %s", line);
	cr_assert_null(strstr(line, "limit"), "SENSOR_LOST line: %s", line);
	*end = '\n';
	line = strstr(out, "OVERRUN");
	cr_assert_not_null(line, "%s", out);
	cr_assert(strstr(line, "  count 3  cycle overran"), "OVERRUN line: %.120s", line);
	cr_assert(strstr(out, "WRITER_START"), "%s", out);
	cr_assert(strstr(strstr(out, "WRITER_START"), "generation "), "%s", out);
	cr_assert(strstr(out, "0 lost"), "%s", out);
	free(out);
	free(err);
}

Test(dump, errors)
{
	char name[80];
	char *missing[] = { "", "--name", name, NULL };
	char *bad_interval[] = { "", "--name", seg_name, "--interval", "0", NULL };
	char *junk_interval[] = { "", "--name", seg_name, "--interval", "20ms", NULL };
	char *bad_samples[] = { "", "--name", seg_name, "--samples", "-1", NULL };
	char *bad_name[] = { "", "--name", "no-slash", NULL };
	char *help[] = { "", "--help", NULL };
	char *version[] = { "", "--version", NULL };
	char *out, *err;

	snprintf(name, sizeof(name), "/sov-dump-test-missing-%d", (int)getpid());
	cr_assert_eq(run(missing, &out, &err), 1);
	cr_assert_str_empty(out);
	cr_assert(strstr(err, "sovereign-dump: "), "%s", err);
	cr_assert(strstr(err, "No such file or directory"), "%s", err);
	cr_assert(strstr(err, "is the sampler running?"), "%s", err);
	free(out);
	free(err);

	cr_assert_eq(run(bad_interval, &out, &err), 1);
	cr_assert(strstr(err, "--interval"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(junk_interval, &out, &err), 1);
	free(out);
	free(err);
	cr_assert_eq(run(bad_samples, &out, &err), 1);
	free(out);
	free(err);
	cr_assert_eq(run(bad_name, &out, &err), 1);
	cr_assert(strstr(err, "sovereign-dump: "), "%s", err);
	free(out);
	free(err);

	cr_assert_eq(run(help, &out, &err), 0);
	cr_assert(strstr(out, "--follow"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(run(version, &out, &err), 0);
	cr_assert(strstr(out, "sovereign-dump"), "%s", out);
	free(out);
	free(err);
}

Test(dump, follow_json)
{
	char *argv[] = { "", "--name", seg_name, "--json", "--follow", "--interval", "20", NULL };
	bool seen[8] = { false };
	bool snapshot = false, clear = false;
	char *out, *err, *line, *save = NULL;
	struct child c;

	spawn(argv, &c);
	cr_assert(wait_for(c.out_fd, "\"snapshot\""), "no snapshot");
	cr_assert_eq(publish(46000), 4);
	cr_assert_eq(publish(46500), 5);
	event(SOV_EV_THRESH_CLEAR, SOV_SEV_INFO, S_TEMP, 84000, 85000, "Tctl back");
	cr_assert_eq(publish(47000), 6);
	/* Sample lines open with number then age_ms; events have numbers too. */
	cr_assert(wait_for(c.out_fd, "{\"number\":6,\"age_ms\""), "sample 6 not followed");
	cr_assert(wait_for(c.out_fd, "THRESH_CLEAR"), "event not followed");
	cr_assert_eq(kill(c.pid, SIGTERM), 0);
	cr_assert_eq(reap(&c), 0, "SIGTERM should end --follow with status 0");

	out = slurp(c.out_fd);
	err = slurp(c.err_fd);
	cr_assert_str_empty(err);
	/* NDJSON: every line one object. */
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		const char *ev;

		cr_assert_not_null(o, "not JSON: %s", line);
		ev = str(o, "event");
		if (!strcmp(ev, "snapshot")) {
			cr_assert_not(snapshot, "two snapshots");
			snapshot = true;
			cr_assert_eq(num(cJSON_GetArrayItem(item(o, "samples"), 0), "number"), 3);
		} else if (!strcmp(ev, "sample")) {
			int n = (int)num(o, "number");

			cr_assert(n >= 4 && n <= 6, "sample %d followed", n);
			cr_assert_not(seen[n], "sample %d twice", n);
			seen[n] = true;
		} else if (!strcmp(ev, "ring_event")) {
			cr_assert_str_eq(str(o, "type"), "THRESH_CLEAR");
			cr_assert_str_eq(str(o, "sensor_label"), "Tctl");
			clear = true;
		}
		cJSON_Delete(o);
	}
	cr_assert(snapshot && seen[4] && seen[5] && seen[6] && clear);
	close(c.out_fd);
	close(c.err_fd);
	free(out);
	free(err);
}

Test(dump, follow_restart)
{
	char *argv[] = { "", "--name", seg_name, "--json", "--follow", "--interval", "20", NULL };
	char *targv[] = { "", "--name", seg_name, "--follow", "--interval", "20", NULL };
	uint64_t gen = sov_writer_header(writer)->generation;
	char *out, *err, want[64];
	struct child c, t;

	spawn(argv, &c);
	spawn(targv, &t);
	cr_assert(wait_for(c.out_fd, "\"snapshot\""), "no snapshot");
	cr_assert(wait_for(t.out_fd, "\nSample 3 "), "no table snapshot");

	/* A clean stop: both say so and keep waiting. */
	sov_writer_close(writer);
	writer = NULL;
	cr_assert(wait_for(c.out_fd, "\"event\":\"stopped\""), "stop not reported");
	cr_assert(wait_for(c.out_fd, "WRITER_STOP"), "stop event not followed");
	cr_assert(wait_for(t.out_fd, "writer stopped"), "stop not reported (table)");

	/* A new writer on the same object: a new generation, re-attach. */
	create_writer();
	cr_assert_eq(sov_writer_header(writer)->generation, gen + 1);
	snprintf(want, sizeof(want), "\"generation\":%llu", (unsigned long long)(gen + 1));
	cr_assert(wait_for(c.out_fd, "\"event\":\"reattached\""), "restart not reported");
	cr_assert(wait_for(c.out_fd, want), "new generation not reported");
	cr_assert(wait_for(t.out_fd, "reattached"), "restart not reported (table)");
	cr_assert_eq(publish(50000), 4);
	cr_assert(wait_for(c.out_fd, "{\"number\":4,\"age_ms\""),
		  "sample after restart not followed");
	cr_assert(wait_for(t.out_fd, "\nSample 4 "), "sample after restart not followed (table)");
	cr_assert(wait_for(t.out_fd, "50.000 °C"), "new value not printed");

	cr_assert_eq(kill(c.pid, SIGINT), 0);
	cr_assert_eq(kill(t.pid, SIGTERM), 0);
	cr_assert_eq(reap(&c), 0);
	cr_assert_eq(reap(&t), 0);
	err = slurp(c.err_fd);
	cr_assert_str_empty(err);
	free(err);
	err = slurp(t.err_fd);
	cr_assert_str_empty(err);
	free(err);
	out = slurp(t.out_fd);
	cr_assert(strstr(out, "generation    ") && strstr(out, "Sensors (6)"), "%s", out);
	free(out);
	close(c.out_fd);
	close(c.err_fd);
	close(t.out_fd);
	close(t.err_fd);
}

/*
 * The hwmon kinds (alarm, humidity, freq, state, fan_rpm_set, chip_info),
 * their units and an alarm's criticality are shown by name, and ALARM /
 * ALARM_CLEAR events by theirs.
 */
Test(dump, hwmon_kinds_and_alarm_events_by_name)
{
	enum { A_ALARM, A_HUM, A_FREQ, A_STATE, A_SET, A_INFO, NA };
	static const char *const kinds[NA] = { "alarm", "humidity", "freq", "state", "fan_rpm_set",
					       "chip_info" };
	static const char *const units[NA] = { "none", "m%", "Hz", "none", "RPM", "none" };
	struct sov_writer_opts o = { .writer_name = "dump-test", .nslots = 16, .nevents = 16,
				     .period_ns = 10000000 };
	char name[80], *argv[] = { "", "--name", name, "--json", NULL }, *out, *err;
	struct sov_sensor s[NA];
	struct sov_writer *w;
	const cJSON *sensors, *sen, *events, *e;
	cJSON *doc;
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	struct sov_event ev = { .mono_ns = mono, .value = 1, .sensor = A_ALARM,
				.type = SOV_EV_ALARM, .severity = SOV_SEV_CRIT };
	int i = 0;

	snprintf(name, sizeof(name), "%s-hwmon", seg_name);
	o.name = name;
	sensor_init(&s[A_ALARM], SOV_KIND_ALARM, SOV_UNIT_NONE, "nct6775/nct6775.656",
		    "temp1_crit_alarm", "SYSTIN");
	s[A_ALARM].flags = SOV_SEN_CRITICAL;
	sensor_init(&s[A_HUM], SOV_KIND_HUMIDITY, SOV_UNIT_MILLIPERCENT, "sht4x/1-0044", "humidity1", "");
	sensor_init(&s[A_FREQ], SOV_KIND_FREQ, SOV_UNIT_HERTZ, "nct6775/nct6775.656", "freq1", "");
	sensor_init(&s[A_STATE], SOV_KIND_STATE, SOV_UNIT_NONE, "nct6775/nct6775.656", "pwm1_enable", "");
	sensor_init(&s[A_SET], SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, "nct6775/nct6775.656", "fan1_target", "");
	sensor_init(&s[A_INFO], SOV_KIND_CHIP_INFO, SOV_UNIT_NONE, "nct6775/nct6775.656", "chip", "nct6775");
	sov_shm_unlink(name);
	cr_assert_eq(sov_writer_create(&o, s, NA, &w), 0);
	sov_writer_stage(w)->mono_ns = mono;
	for (i = 0; i < NA; i++)
		sov_writer_set(w, (uint32_t)i, i == A_HUM ? 45500 : 1, mono);
	sov_writer_publish(w);
	snprintf(ev.text, sizeof(ev.text), "alarm raised");
	sov_writer_event(w, &ev);
	ev.type = SOV_EV_ALARM_CLEAR;
	ev.value = 0;
	sov_writer_event(w, &ev);

	cr_assert_eq(run(argv, &out, &err), 0, "stderr: %s", err);
	doc = cJSON_Parse(out);
	cr_assert_not_null(doc, "not JSON: %s", out);
	sensors = item(doc, "sensors");
	i = 0;
	cJSON_ArrayForEach(sen, sensors) {
		cr_assert_lt(i, NA);
		cr_expect_str_eq(str(sen, "kind"), kinds[i], "[%d]", i);
		cr_expect_str_eq(str(sen, "unit"), units[i], "[%d]", i);
		i++;
	}
	cr_expect_eq(i, NA);
	cr_expect(cJSON_IsTrue(item(cJSON_GetArrayItem(sensors, A_ALARM), "critical")));
	events = item(doc, "events");
	e = find_event(events, "ALARM");
	cr_assert_not_null(e, "%s", out);
	cr_expect_eq(num(e, "value"), 1);
	cr_expect_not_null(find_event(events, "ALARM_CLEAR"), "%s", out);
	cJSON_Delete(doc);
	free(out);
	free(err);
	sov_writer_close(w);
	sov_shm_unlink(name);
}
