/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_metrics.c - unit tests of sovereign-exporter's renderer on a
 * hand-made segment (writer API): exact lines per family, invalid sensors
 * absent, label escaping, limits, OpenMetrics counters and # EOF, gzip;
 * the fan controller's and the watchdog's segments (live, stale, stopped,
 * absent, disabled).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "metrics.h"

static char seg[64];
static struct sov_writer *w;
static struct sov_reader *r;
static struct sov_sample *s;

static struct sov_sensor mk(uint16_t kind, uint16_t unit, const char *chip, const char *name,
			    const char *label, const char *labels)
{
	struct sov_sensor x;

	memset(&x, 0, sizeof(x));
	x.kind = kind;
	x.unit = unit;
	x.source = SOV_SRC_SIM;
	snprintf(x.chip, sizeof(x.chip), "%s", chip);
	snprintf(x.name, sizeof(x.name), "%s", name);
	snprintf(x.label, sizeof(x.label), "%s", label);
	snprintf(x.labels, sizeof(x.labels), "%s", labels);
	x.id = sov_sensor_id(x.source, x.chip, x.name);
	return x;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum { TCTL, DIMM, FAN, DEAD, ODD, ENERGY, DUTY, POWER, NSEN };

/* Three samples: Tctl 40.5 -> 52.25 -> 45.125 (window min 40.5, max 52.25). */
static void setup(void)
{
	struct sov_sensor t[NSEN];
	struct sov_writer_opts o = { .writer_name = "test", .nslots = 16, .period_ns = 100000000 };
	static const int64_t tctl[3] = { 40500, 52250, 45125 };

	snprintf(seg, sizeof(seg), "/sov-exp-%d", (int)getpid());
	o.name = seg;
	t[TCTL] = mk(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/0000:00:18.3", "temp1", "Tctl", "");
	t[DIMM] = mk(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "jc42/0-0018", "temp1", "DIMM A1",
		     "bus=0,addr=0x18");
	t[DIMM].flags = SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI | SOV_SEN_CRIT_LO;
	t[DIMM].warn_hi = 85000;
	t[DIMM].crit_hi = 95000;
	t[DIMM].crit_lo = -5500;
	t[FAN] = mk(SOV_KIND_FAN_RPM, SOV_UNIT_RPM, "nct6779/nct6775.656", "fan1", "CPU fan", "");
	t[DEAD] = mk(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "nct6779/nct6775.656", "temp7", "dead", "");
	/* Hostile label: quote, backslash, newline; bad and reserved extra names. */
	t[ODD] = mk(SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT, "mp2975/4-0020", "in1", "a\"b\\c\nd",
		    "1bad=x,ok_2=v\"q,chip=evil,__r=y,rail=vin");
	t[ENERGY] = mk(SOV_KIND_ENERGY, SOV_UNIT_MICROJOULE, "powercap/intel-rapl", "package-0",
		       "package-0", "");
	t[ENERGY].flags = SOV_SEN_COUNTER;
	t[DUTY] = mk(SOV_KIND_FAN_DUTY, SOV_UNIT_PERMILLE, "nct6779/nct6775.656", "pwm1", "pwm1", "");
	t[POWER] = mk(SOV_KIND_POWER, SOV_UNIT_MICROWATT, "mp2975/4-0020", "power1", "pin", "");
	sov_shm_unlink(seg);
	cr_assert_eq(sov_writer_create(&o, t, NSEN, &w), 0);
	for (int i = 0; i < 3; i++) {
		struct sov_slot *st = sov_writer_stage(w);
		uint64_t now = mono();

		st->mono_ns = now;
		st->real_ns = 1700000000123456789ull;
		st->cycle_cost_ns = 12345;
		st->overruns = 2;
		st->smi_count = 7;
		st->flags = SOV_SF_SMI_VALID;
		sov_writer_set(w, TCTL, tctl[i], now);
		sov_writer_set(w, DIMM, 31000, now);
		sov_writer_set(w, FAN, 1250, now);
		sov_writer_set_invalid(w, DEAD);
		sov_writer_set(w, ODD, -12, now);
		sov_writer_set(w, ENERGY, 1234567890123, now);
		sov_writer_set(w, DUTY, 412, now);
		sov_writer_set(w, POWER, 255221062, now);
		sov_writer_publish(w);
	}
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	s = sov_sample_alloc(r);
	cr_assert_not_null(s);
}

static void teardown(void)
{
	sov_sample_free(s);
	sov_reader_close(r);
	sov_writer_close(w);
	sov_shm_unlink(seg);
}

TestSuite(metrics, .init = setup, .fini = teardown, .timeout = 30);

static char *render(enum exp_format f, struct exp_snapshot *snap)
{
	struct exp_buf b = { 0 };

	cr_assert_eq(exp_render(snap, f, &b), 0);
	cr_assert_not_null(b.p);
	return b.p;
}

static char *take_and_render(enum exp_format f)
{
	struct exp_snapshot snap = { 0 };
	char *out;

	cr_assert_eq(exp_snapshot_take(r, s, sov_reader_status(r), 60000000000ull, 5000000000ull,
				       &snap), 0);
	cr_assert(snap.up, "state %s", snap.state);
	out = render(f, &snap);
	exp_snapshot_free(&snap);
	return out;
}

/* @text holds @line as a whole line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	cr_assert_fail("missing line:\n%s\nin:\n%s", line, text);
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(metrics, temperatures_dimm_fan_exact_lines)
{
	char *t = take_and_render(EXP_FMT_TEXT);

	has_line(t, "sovereign_up 1");
	has_line(t, "# TYPE sovereign_cpu_temp_celsius gauge");
	has_line(t, "sovereign_cpu_temp_celsius{sensor=\"temp1\",chip=\"k10temp/0000:00:18.3\",label=\"Tctl\"} 45.125");
	has_line(t, "sovereign_dimm_temp_celsius{sensor=\"temp1\",chip=\"jc42/0-0018\",label=\"DIMM A1\",bus=\"0\",addr=\"0x18\"} 31");
	has_line(t, "sovereign_fan_rpm{sensor=\"fan1\",chip=\"nct6779/nct6775.656\",label=\"CPU fan\"} 1250");
	has_line(t, "sovereign_fan_duty_ratio{sensor=\"pwm1\",chip=\"nct6779/nct6775.656\",label=\"pwm1\"} 0.412");
	has_line(t, "sovereign_power_watts{sensor=\"power1\",chip=\"mp2975/4-0020\",label=\"pin\"} 255.221062");
	has_line(t, "sovereign_sampler_cycle_cost_seconds 0.000012345");
	has_line(t, "sovereign_sampler_overruns_total 2");
	has_line(t, "sovereign_smi_total 7");
	has_line(t, "sovereign_sample_timestamp_seconds 1700000000.123");
	/* HELP and TYPE once per family. */
	cr_assert_eq(occurrences(t, "# TYPE sovereign_cpu_temp_celsius gauge\n"), 1);
	cr_assert_eq(occurrences(t, "# HELP sovereign_dimm_temp_celsius "), 1);
	free(t);
}

Test(metrics, window_min_max_over_the_ring)
{
	char *t = take_and_render(EXP_FMT_TEXT);

	has_line(t, "sovereign_cpu_temp_celsius_min_window{sensor=\"temp1\",chip=\"k10temp/0000:00:18.3\",label=\"Tctl\"} 40.5");
	has_line(t, "sovereign_cpu_temp_celsius_max_window{sensor=\"temp1\",chip=\"k10temp/0000:00:18.3\",label=\"Tctl\"} 52.25");
	cr_assert_null(strstr(t, "sovereign_fan_rpm_max_window"), "no window for fans");
	free(t);
}

Test(metrics, invalid_sensor_is_absent_never_zero)
{
	char *t = take_and_render(EXP_FMT_TEXT);

	cr_assert_null(strstr(t, "temp7"), "invalid sensor rendered:\n%s", t);
	free(t);
}

Test(metrics, limits_in_base_units)
{
	char *t = take_and_render(EXP_FMT_TEXT);
	const char *l = "{sensor=\"temp1\",chip=\"jc42/0-0018\",label=\"DIMM A1\",bus=\"0\",addr=\"0x18\"}";
	char line[256];

	snprintf(line, sizeof(line), "sovereign_dimm_temp_celsius_warn_high%s 85", l);
	has_line(t, line);
	snprintf(line, sizeof(line), "sovereign_dimm_temp_celsius_crit_high%s 95", l);
	has_line(t, line);
	snprintf(line, sizeof(line), "sovereign_dimm_temp_celsius_crit_low%s -5.5", l);
	has_line(t, line);
	cr_assert_null(strstr(t, "sovereign_dimm_temp_celsius_warn_low"), "unset limit rendered");
	cr_assert_null(strstr(t, "sovereign_cpu_temp_celsius_warn_high"), "Tctl has no limit");
	free(t);
}

Test(metrics, label_values_escaped_and_bad_names_dropped)
{
	char *t = take_and_render(EXP_FMT_TEXT);

	has_line(t, "sovereign_voltage_volts{sensor=\"in1\",chip=\"mp2975/4-0020\",label=\"a\\\"b\\\\c\\nd\",ok_2=\"v\\\"q\",rail=\"vin\"} -0.012");
	cr_assert_null(strstr(t, "1bad"));
	cr_assert_null(strstr(t, "__r"));
	cr_assert_null(strstr(t, "evil"));
	cr_assert(exp_label_name_ok("a_1", 3));
	cr_assert_not(exp_label_name_ok("1a", 2));
	cr_assert_not(exp_label_name_ok("a-b", 3));
	cr_assert_not(exp_label_name_ok("", 0));
	free(t);
}

Test(metrics, counters_named_per_format)
{
	char *t = take_and_render(EXP_FMT_TEXT);
	char *o = take_and_render(EXP_FMT_OPENMETRICS);
	const char *e = "sovereign_energy_joules_total{sensor=\"package-0\",chip=\"powercap/intel-rapl\",label=\"package-0\"} 1234567.890123";
	size_t n = strlen(o);

	has_line(t, "# TYPE sovereign_energy_joules_total counter");
	has_line(t, e);
	cr_assert_null(strstr(t, "# EOF"));
	has_line(o, "# TYPE sovereign_energy_joules counter");
	has_line(o, "# HELP sovereign_energy_joules Energy accumulated, joules.");
	has_line(o, e);
	has_line(o, "# TYPE sovereign_smi counter");
	has_line(o, "sovereign_smi_total 7");
	has_line(o, "# TYPE sovereign_exporter_requests counter");
	cr_assert(n > 6 && !strcmp(o + n - 6, "# EOF\n"), "ends with # EOF");
	cr_assert_eq(occurrences(o, "# EOF"), 1);
	free(t);
	free(o);
}

Test(metrics, stale_segment_drops_sensor_series)
{
	struct exp_snapshot snap = { 0 };
	char *t;

	usleep(20000);
	/* 10 ms staleness: the samples above are older than that now. */
	cr_assert_eq(exp_snapshot_take(r, s, 0, 60000000000ull, 10000000ull, &snap), 0);
	cr_assert_not(snap.up);
	t = render(EXP_FMT_TEXT, &snap);
	has_line(t, "sovereign_up 0");
	has_line(t, "sovereign_stale 1");
	has_line(t, "sovereign_segment_state{state=\"stale\"} 1");
	cr_assert_null(strstr(t, "sovereign_cpu_temp_celsius"), "stale series shown");
	cr_assert_null(strstr(t, "sovereign_smi_total"));
	free(t);
	exp_snapshot_free(&snap);
}

Test(metrics, stopped_writer_is_reported)
{
	struct exp_snapshot snap = { 0 };
	char *t;

	sov_writer_close(w);
	w = NULL;
	cr_assert_eq(exp_snapshot_take(r, s, sov_reader_status(r), 60000000000ull, 5000000000ull,
				       &snap), 0);
	t = render(EXP_FMT_TEXT, &snap);
	has_line(t, "sovereign_up 0");
	has_line(t, "sovereign_segment_state{state=\"stopped\"} 1");
	cr_assert_null(strstr(t, "sovereign_fan_rpm"));
	free(t);
	exp_snapshot_free(&snap);
}

Test(metrics, absent_segment_renders_up_zero)
{
	struct exp_snapshot snap = { .state = "absent" };
	char *t = render(EXP_FMT_OPENMETRICS, &snap);

	has_line(t, "sovereign_up 0");
	has_line(t, "sovereign_segment_state{state=\"absent\"} 1");
	cr_assert_null(strstr(t, "sovereign_sample_age_seconds"));
	has_line(t, "# EOF");
	free(t);
}

Test(metrics, gzip_round_trip)
{
	char *t = take_and_render(EXP_FMT_TEXT), *gz = NULL, *back;
	size_t glen = 0, n = strlen(t);
	z_stream z = { 0 };

	cr_assert_eq(exp_gzip(t, n, &gz, &glen), 0);
	cr_assert(glen > 10 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b,
		  "gzip magic");
	back = malloc(n + 1);
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)glen;
	z.next_out = (Bytef *)back;
	z.avail_out = (uInt)n + 1;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	cr_assert_eq(z.total_out, n);
	cr_assert_eq(memcmp(back, t, n), 0);
	inflateEnd(&z);
	free(back);
	free(gz);
	free(t);
}

/*
 * A sensor lost after the samples above: its window still holds their
 * min/max, but the window's series must go with the sensor's own.
 */
Test(metrics, window_series_go_with_a_lost_sensor)
{
	struct sov_slot *st = sov_writer_stage(w);
	uint64_t now = mono();
	const char *l = "{sensor=\"temp1\",chip=\"k10temp/0000:00:18.3\",label=\"Tctl\"}";
	char line[256];
	char *t;

	st->mono_ns = now;
	st->real_ns = 1700000000223456789ull;
	for (int i = 0; i < NSEN; i++)
		sov_writer_set(w, i, 1000, now);
	sov_writer_set_invalid(w, TCTL);
	sov_writer_set_invalid(w, DEAD);
	sov_writer_publish(w);
	t = take_and_render(EXP_FMT_TEXT);
	snprintf(line, sizeof(line), "sovereign_cpu_temp_celsius%s", l);
	cr_assert_null(strstr(t, line), "lost Tctl rendered:\n%s", t);
	snprintf(line, sizeof(line), "sovereign_cpu_temp_celsius_min_window%s", l);
	cr_assert_null(strstr(t, line), "lost Tctl's window minimum rendered:\n%s", t);
	snprintf(line, sizeof(line), "sovereign_cpu_temp_celsius_max_window%s", l);
	cr_assert_null(strstr(t, line), "lost Tctl's window maximum rendered:\n%s", t);
	/* A family left with no series has no HELP/TYPE either. */
	cr_assert_null(strstr(t, "# TYPE sovereign_cpu_temp_celsius_max_window"));
	/* The DIMM is still read: its window (31 then 1 °C) stays. */
	has_line(t, "sovereign_dimm_temp_celsius_min_window{sensor=\"temp1\",chip=\"jc42/0-0018\",label=\"DIMM A1\",bus=\"0\",addr=\"0x18\"} 1");
	has_line(t, "sovereign_dimm_temp_celsius_max_window{sensor=\"temp1\",chip=\"jc42/0-0018\",label=\"DIMM A1\",bus=\"0\",addr=\"0x18\"} 31");
	free(t);
}

/* promtool check metrics on @text: its exit status, its output in @out. */
static int promtool(const char *text, char *out, size_t outlen)
{
	char in[64], res[64], cmd[256];
	FILE *f;
	size_t n;
	int rc;

	snprintf(in, sizeof(in), "/tmp/sov-exp-prom-%d.in", (int)getpid());
	snprintf(res, sizeof(res), "/tmp/sov-exp-prom-%d.out", (int)getpid());
	f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s > %s 2>&1", in, res);
	rc = system(cmd);
	f = fopen(res, "r");
	n = f ? fread(out, 1, outlen - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	unlink(in);
	unlink(res);
	cr_assert(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) != 127, "promtool did not run: %s", out);
	return WEXITSTATUS(rc);
}

/*
 * A sysfs label is bytes a driver chose.  One that is not UTF-8 once made
 * Prometheus refuse the whole page ("invalid label value"): each byte not
 * part of a well-formed sequence is now U+FFFD, valid multi-byte text stays.
 */
Test(metrics, non_utf8_label_values_replaced_promtool_accepts)
{
	struct exp_sensor_snap e[2] = { { .valid = true, .value = 41000, .have_window = true,
					  .wmin = 40000, .wmax = 42000 },
					{ .valid = true, .value = 1200 } };
	struct exp_snapshot snap = { .attached = true, .up = true, .state = "live",
				     .have_sample = true, .n = 2, .cap = 2, .sen = e };
	char out[4096];
	char *t;

	/* Invalid bytes, an overlong '/', a surrogate, a truncated euro sign;
	 * then a valid euro sign and a valid 4-byte character. */
	e[0].s = mk(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "nct6779/nct6775.656", "temp2",
		    "CPU\xff\xfe temp", "slot=A\xc0\xafz,s=\xed\xa0\x80,cut=\xe2\x82");
	e[1].s = mk(SOV_KIND_FAN_RPM, SOV_UNIT_RPM, "nct6779/nct6775.656", "fan2",
		    "\xe2\x82\xac fan \xf0\x9f\x94\xa5", "");
	t = render(EXP_FMT_TEXT, &snap);
	has_line(t, "sovereign_temp_celsius{sensor=\"temp2\",chip=\"nct6779/nct6775.656\","
		    "label=\"CPU\xef\xbf\xbd\xef\xbf\xbd temp\",slot=\"A\xef\xbf\xbd\xef\xbf\xbdz\","
		    "s=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",cut=\"\xef\xbf\xbd\xef\xbf\xbd\"} 41");
	has_line(t, "sovereign_temp_celsius_max_window{sensor=\"temp2\",chip=\"nct6779/nct6775.656\","
		    "label=\"CPU\xef\xbf\xbd\xef\xbf\xbd temp\",slot=\"A\xef\xbf\xbd\xef\xbf\xbdz\","
		    "s=\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",cut=\"\xef\xbf\xbd\xef\xbf\xbd\"} 42");
	has_line(t, "sovereign_fan_rpm{sensor=\"fan2\",chip=\"nct6779/nct6775.656\","
		    "label=\"\xe2\x82\xac fan \xf0\x9f\x94\xa5\"} 1200");
	cr_assert_eq(promtool(t, out, sizeof(out)), 0, "promtool check metrics:\n%s\non:\n%s", out, t);
	free(t);
}

/* The whole page of the hand-made segment passes promtool too (escaped
 * quote, backslash and newline in label values included). */
Test(metrics, promtool_accepts_the_page)
{
	char out[4096];
	char *t = take_and_render(EXP_FMT_TEXT);

	cr_assert_eq(promtool(t, out, sizeof(out)), 0, "promtool check metrics:\n%s\non:\n%s", out, t);
	free(t);
}

/* ---- the fan controller's and the watchdog's own segments ---- */

static char fseg[64], wseg[64];
static struct sov_writer *fw, *ww;
static struct sov_reader *fr, *wr;
static struct sov_sample *fs, *ws;

/* As readers/fan publishes: "<zone>-input/-setpoint/-duty/-failsafe", zone=. */
static void mk_fan_zone(struct sov_sensor *t, const char *zone)
{
	static const char *const what[4] = { "input", "setpoint", "duty", "failsafe" };
	static const uint16_t kind[4] = { SOV_KIND_TEMP, SOV_KIND_TEMP, SOV_KIND_FAN_DUTY,
					  SOV_KIND_GAUGE };
	static const uint16_t unit[4] = { SOV_UNIT_MILLICELSIUS, SOV_UNIT_MILLICELSIUS,
					  SOV_UNIT_PERMILLE, SOV_UNIT_NONE };
	char name[64], labels[64];

	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "%s-%s", zone, what[k]);
		snprintf(labels, sizeof(labels), "zone=%s", zone);
		t[k] = mk(kind[k], unit[k], "sovereign-fan", name, what[k], labels);
		t[k].source = SOV_SRC_INTERNAL;
	}
}

/* As readers/watchdog publishes: chip "watchdog", label "inference". */
static struct sov_sensor mk_wd(const char *name, uint16_t kind, uint16_t unit)
{
	struct sov_sensor x = mk(kind, unit, "watchdog", name, "inference", "");

	x.source = SOV_SRC_INTERNAL;
	return x;
}

/* Zone "cpu": 61.5 / 70 / 0.35 / 0; zone "gpu": input invalid, failing safe at 1. */
static void fanwd_setup(void)
{
	struct sov_sensor ft[8], wt[6];
	struct sov_writer_opts o = { .writer_name = "test", .nslots = 16, .period_ns = 100000000 };
	struct sov_slot *st;
	uint64_t now = mono();

	snprintf(fseg, sizeof(fseg), "/sov-exp-fan-%d", (int)getpid());
	snprintf(wseg, sizeof(wseg), "/sov-exp-wd-%d", (int)getpid());
	mk_fan_zone(ft, "cpu");
	mk_fan_zone(ft + 4, "gpu");
	wt[0] = mk_wd("inference_active", SOV_KIND_GAUGE, SOV_UNIT_NONE);
	wt[1] = mk_wd("inference_state", SOV_KIND_GAUGE, SOV_UNIT_NONE);
	snprintf(wt[1].labels, sizeof(wt[1].labels), "states=0unknown_1active_2hung_3dead");
	wt[2] = mk_wd("inference_pid", SOV_KIND_GAUGE, SOV_UNIT_NONE);
	wt[3] = mk_wd("inference_progress_age_ms", SOV_KIND_GAUGE, SOV_UNIT_NONE);
	wt[4] = mk_wd("sampler_fresh", SOV_KIND_GAUGE, SOV_UNIT_NONE);
	wt[5] = mk_wd("watchdog_feeds", SOV_KIND_COUNT, SOV_UNIT_COUNT);
	wt[5].flags = SOV_SEN_COUNTER;
	sov_shm_unlink(fseg);
	sov_shm_unlink(wseg);
	o.name = fseg;
	cr_assert_eq(sov_writer_create(&o, ft, 8, &fw), 0);
	o.name = wseg;
	cr_assert_eq(sov_writer_create(&o, wt, 6, &ww), 0);

	st = sov_writer_stage(fw);
	st->mono_ns = now;
	sov_writer_set(fw, 0, 61500, now);
	sov_writer_set(fw, 1, 70000, now);
	sov_writer_set(fw, 2, 350, now);
	sov_writer_set(fw, 3, 0, now);
	sov_writer_set_invalid(fw, 4);
	sov_writer_set(fw, 5, 75000, now);
	sov_writer_set(fw, 6, 1000, now);
	sov_writer_set(fw, 7, 1, now);
	sov_writer_publish(fw);

	st = sov_writer_stage(ww);
	st->mono_ns = now;
	sov_writer_set(ww, 0, 1, now);
	sov_writer_set(ww, 1, 1, now);
	sov_writer_set(ww, 2, 4242, now);
	sov_writer_set_invalid(ww, 3);
	sov_writer_set(ww, 4, 1, now);
	sov_writer_set(ww, 5, 42, now);
	sov_writer_publish(ww);

	cr_assert_eq(sov_reader_open(fseg, NULL, &fr), 0);
	cr_assert_eq(sov_reader_open(wseg, NULL, &wr), 0);
	fs = sov_sample_alloc(fr);
	ws = sov_sample_alloc(wr);
	cr_assert(fs && ws);
}

static void fanwd_teardown(void)
{
	sov_sample_free(fs);
	sov_sample_free(ws);
	sov_reader_close(fr);
	sov_reader_close(wr);
	sov_writer_close(fw);
	sov_writer_close(ww);
	sov_shm_unlink(fseg);
	sov_shm_unlink(wseg);
}

TestSuite(fanwd, .init = fanwd_setup, .fini = fanwd_teardown, .timeout = 30);

/* Render the fan and watchdog segments (taken with @stale_ns) beside an
 * absent sampler's segment. */
static char *render_fanwd(enum exp_format f, uint64_t stale_ns, bool expect_up)
{
	struct exp_snapshot fan = { 0 }, wd = { 0 };
	struct exp_snapshot top = { .state = "absent", .fan = &fan, .watchdog = &wd };
	char *out;

	cr_assert_eq(exp_snapshot_take(fr, fs, sov_reader_status(fr), 0, stale_ns, &fan), 0);
	cr_assert_eq(exp_snapshot_take(wr, ws, sov_reader_status(wr), 0, stale_ns, &wd), 0);
	cr_assert_eq(fan.up, expect_up, "fan state %s", fan.state);
	cr_assert_eq(wd.up, expect_up, "watchdog state %s", wd.state);
	out = render(f, &top);
	exp_snapshot_free(&fan);
	exp_snapshot_free(&wd);
	return out;
}

Test(fanwd, watchdog_exact_lines)
{
	char *t = render_fanwd(EXP_FMT_TEXT, 5000000000ull, true);
	char *o = render_fanwd(EXP_FMT_OPENMETRICS, 5000000000ull, true);

	has_line(t, "sovereign_watchdog_up 1");
	has_line(t, "# TYPE sovereign_inference_active gauge");
	has_line(t, "sovereign_inference_active 1");
	has_line(t, "sovereign_inference_state 1");
	has_line(t, "# TYPE sovereign_watchdog_feeds_total counter");
	has_line(t, "sovereign_watchdog_feeds_total 42");
	cr_assert_null(strstr(t, "inference_pid"), "pid is not exported");
	has_line(o, "# TYPE sovereign_watchdog_feeds counter");
	has_line(o, "sovereign_watchdog_feeds_total 42");
	has_line(o, "# EOF");
	/* The sampler's absence does not hide the other segments. */
	has_line(t, "sovereign_up 0");
	free(t);
	free(o);
}

Test(fanwd, fan_zone_exact_lines_invalid_absent)
{
	char *t = render_fanwd(EXP_FMT_TEXT, 5000000000ull, true);

	has_line(t, "sovereign_fan_controller_up 1");
	has_line(t, "# TYPE sovereign_fan_zone_input_celsius gauge");
	has_line(t, "sovereign_fan_zone_input_celsius{zone=\"cpu\"} 61.5");
	has_line(t, "sovereign_fan_zone_setpoint_celsius{zone=\"cpu\"} 70");
	has_line(t, "sovereign_fan_zone_setpoint_celsius{zone=\"gpu\"} 75");
	has_line(t, "sovereign_fan_zone_duty_ratio{zone=\"cpu\"} 0.35");
	has_line(t, "sovereign_fan_zone_duty_ratio{zone=\"gpu\"} 1");
	has_line(t, "sovereign_fan_zone_failsafe{zone=\"cpu\"} 0");
	has_line(t, "sovereign_fan_zone_failsafe{zone=\"gpu\"} 1");
	cr_assert_null(strstr(t, "sovereign_fan_zone_input_celsius{zone=\"gpu\"}"),
		       "invalid input rendered:\n%s", t);
	cr_assert_eq(occurrences(t, "# TYPE sovereign_fan_zone_duty_ratio gauge\n"), 1);
	free(t);
}

Test(fanwd, stale_segments_drop_series)
{
	char *t;

	usleep(20000);
	t = render_fanwd(EXP_FMT_TEXT, 10000000ull, false);
	has_line(t, "sovereign_watchdog_up 0");
	has_line(t, "sovereign_fan_controller_up 0");
	cr_assert_null(strstr(t, "sovereign_inference_"), "stale watchdog series:\n%s", t);
	cr_assert_null(strstr(t, "sovereign_watchdog_feeds"));
	cr_assert_null(strstr(t, "sovereign_fan_zone_"), "stale fan series:\n%s", t);
	free(t);
}

Test(fanwd, stopped_writers_drop_series)
{
	char *t;

	sov_writer_close(fw);
	sov_writer_close(ww);
	fw = ww = NULL;
	t = render_fanwd(EXP_FMT_TEXT, 5000000000ull, false);
	has_line(t, "sovereign_watchdog_up 0");
	has_line(t, "sovereign_fan_controller_up 0");
	cr_assert_null(strstr(t, "sovereign_inference_active"));
	cr_assert_null(strstr(t, "sovereign_fan_zone_"));
	free(t);
}

Test(fanwd, absent_and_disabled_segments)
{
	struct exp_snapshot fan = { .state = "absent" }, wd = { .state = "absent" };
	struct exp_snapshot top = { .state = "absent", .fan = &fan, .watchdog = &wd };
	struct exp_snapshot off = { .state = "absent" };
	char *t = render(EXP_FMT_OPENMETRICS, &top), *n = render(EXP_FMT_TEXT, &off);

	has_line(t, "sovereign_watchdog_up 0");
	has_line(t, "sovereign_fan_controller_up 0");
	cr_assert_null(strstr(t, "sovereign_inference_active"), "absent watchdog, made-up value");
	cr_assert_null(strstr(t, "sovereign_fan_zone_"));
	has_line(t, "# EOF");
	/* Disabled ('' option): not even the _up series. */
	cr_assert_null(strstr(n, "sovereign_watchdog_up"));
	cr_assert_null(strstr(n, "sovereign_fan_controller_up"));
	free(t);
	free(n);
}

/* ---- hwmon alarms, settings and chips (node_exporter's names) ---- */

static struct sov_sensor mkh(uint16_t kind, uint16_t unit, const char *chip, const char *name,
			     const char *label, const char *labels)
{
	struct sov_sensor x = mk(kind, unit, chip, name, label, labels);

	x.source = SOV_SRC_HWMON;
	return x;
}

/*
 * Every alarm, fault, beep and setting attribute is a family of its own,
 * named as node_exporter names the file (node_hwmon_fan_target_rpm ->
 * sovereign_hwmon_fan_target_rpm), with chip and sensor labels so that a
 * temp1 of two chips never collides; chips get sovereign_hwmon_chip_info.
 */
Test(metrics, hwmon_attributes_named_as_node_exporter_promtool_accepts)
{
	enum { NE = 17 };
	struct exp_sensor_snap e[NE];
	struct exp_snapshot snap = { .attached = true, .up = true, .state = "live",
				     .have_sample = true, .n = NE, .cap = NE, .sen = e };
	static const char k10[] = "k10temp/0000:00:18.3", nct[] = "nct6775/nct6775.656";
	char out[4096];
	char *t;
	int i = 0;

	memset(e, 0, sizeof(e));
	e[i].s = mkh(SOV_KIND_ALARM, SOV_UNIT_NONE, nct, "temp1_alarm", "SYSTIN", ""), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_ALARM, SOV_UNIT_NONE, k10, "temp1_alarm", "Tctl", ""), e[i++].value = 0;
	e[i].s = mkh(SOV_KIND_ALARM, SOV_UNIT_NONE, nct, "temp1_crit_alarm", "SYSTIN", ""), e[i++].value = 0;
	e[i].s = mkh(SOV_KIND_ALARM, SOV_UNIT_NONE, nct, "temp2_fault", "temp2", ""), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_ALARM, SOV_UNIT_NONE, nct, "intrusion0_alarm", "intrusion0", ""), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_STATE, SOV_UNIT_NONE, nct, "temp1_beep", "SYSTIN", ""), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_STATE, SOV_UNIT_NONE, nct, "beep_enable", "beep_enable", ""), e[i++].value = 0;
	e[i].s = mkh(SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, nct, "fan1_target", "fan1", ""), e[i++].value = 1500;
	e[i].s = mkh(SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, nct, "fan1_min", "fan1", ""), e[i++].value = 300;
	e[i].s = mkh(SOV_KIND_STATE, SOV_UNIT_NONE, nct, "fan1_div", "fan1", ""), e[i++].value = 4;
	e[i].s = mkh(SOV_KIND_STATE, SOV_UNIT_NONE, nct, "pwm1_enable", "pwm1", ""), e[i++].value = 5;
	e[i].s = mkh(SOV_KIND_STATE, SOV_UNIT_NONE, nct, "pwm1_mode", "pwm1", ""), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_HUMIDITY, SOV_UNIT_MILLIPERCENT, "sht4x/1-0044", "humidity1", "humidity1", ""), e[i++].value = 45500;
	e[i].s = mkh(SOV_KIND_FREQ, SOV_UNIT_HERTZ, nct, "freq1", "freq1", ""), e[i++].value = 25000;
	e[i].s = mkh(SOV_KIND_CHIP_INFO, SOV_UNIT_NONE, nct, "chip", "nct6775", "device=platform/nct6775.656"), e[i++].value = 1;
	e[i].s = mkh(SOV_KIND_CHIP_INFO, SOV_UNIT_NONE, "acpitz", "chip", "acpitz", "device="), e[i++].value = 1;
	/* another source's alarm, a name of no hwmon form */
	e[i].s = mk(SOV_KIND_ALARM, SOV_UNIT_NONE, "sim", "door", "door", ""), e[i++].value = 0;
	cr_assert_eq(i, NE);
	for (i = 0; i < NE; i++)
		e[i].valid = true;

	t = render(EXP_FMT_TEXT, &snap);
	has_line(t, "# TYPE sovereign_hwmon_temp_alarm gauge");
	has_line(t, "sovereign_hwmon_temp_alarm{sensor=\"temp1\",chip=\"nct6775/nct6775.656\",label=\"SYSTIN\"} 1");
	has_line(t, "sovereign_hwmon_temp_alarm{sensor=\"temp1\",chip=\"k10temp/0000:00:18.3\",label=\"Tctl\"} 0");
	has_line(t, "sovereign_hwmon_temp_crit_alarm{sensor=\"temp1\",chip=\"nct6775/nct6775.656\",label=\"SYSTIN\"} 0");
	has_line(t, "sovereign_hwmon_temp_fault{sensor=\"temp2\",chip=\"nct6775/nct6775.656\",label=\"temp2\"} 1");
	has_line(t, "sovereign_hwmon_intrusion_alarm{sensor=\"intrusion0\",chip=\"nct6775/nct6775.656\",label=\"intrusion0\"} 1");
	has_line(t, "sovereign_hwmon_temp_beep_enabled{sensor=\"temp1\",chip=\"nct6775/nct6775.656\",label=\"SYSTIN\"} 1");
	has_line(t, "sovereign_hwmon_beep_enabled{sensor=\"beep_enable\",chip=\"nct6775/nct6775.656\",label=\"beep_enable\"} 0");
	has_line(t, "sovereign_hwmon_fan_target_rpm{sensor=\"fan1\",chip=\"nct6775/nct6775.656\",label=\"fan1\"} 1500");
	has_line(t, "sovereign_hwmon_fan_min_rpm{sensor=\"fan1\",chip=\"nct6775/nct6775.656\",label=\"fan1\"} 300");
	has_line(t, "sovereign_hwmon_fan_div{sensor=\"fan1\",chip=\"nct6775/nct6775.656\",label=\"fan1\"} 4");
	has_line(t, "sovereign_hwmon_pwm_enable{sensor=\"pwm1\",chip=\"nct6775/nct6775.656\",label=\"pwm1\"} 5");
	has_line(t, "sovereign_hwmon_pwm_mode{sensor=\"pwm1\",chip=\"nct6775/nct6775.656\",label=\"pwm1\"} 1");
	has_line(t, "sovereign_humidity_ratio{sensor=\"humidity1\",chip=\"sht4x/1-0044\",label=\"humidity1\"} 0.455");
	has_line(t, "sovereign_frequency_hertz{sensor=\"freq1\",chip=\"nct6775/nct6775.656\",label=\"freq1\"} 25000");
	has_line(t, "sovereign_hwmon_chip_info{chip=\"nct6775/nct6775.656\",name=\"nct6775\",device=\"platform/nct6775.656\"} 1");
	has_line(t, "sovereign_hwmon_chip_info{chip=\"acpitz\",name=\"acpitz\",device=\"\"} 1");
	has_line(t, "sovereign_alarm{sensor=\"door\",chip=\"sim\",label=\"door\"} 0");
	/* one header per family, whatever the order of the table */
	cr_expect_eq(occurrences(t, "# TYPE sovereign_hwmon_temp_alarm "), 1, "%s", t);
	cr_expect_eq(occurrences(t, "# HELP sovereign_hwmon_chip_info "), 1, "%s", t);
	cr_assert_eq(promtool(t, out, sizeof(out)), 0, "promtool check metrics:\n%s\non:\n%s", out, t);
	free(t);

	/* an alarm not read is absent, never 0 */
	e[0].valid = false;
	t = render(EXP_FMT_TEXT, &snap);
	cr_expect_null(strstr(t, "sovereign_hwmon_temp_alarm{sensor=\"temp1\",chip=\"nct6775/nct6775.656\""), "%s", t);
	free(t);
}
