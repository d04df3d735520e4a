/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_metrics.c - unit tests of sovereign-exporter's renderer on a
 * hand-made segment (writer API): exact lines per family, invalid sensors
 * absent, label escaping, limits, OpenMetrics counters and # EOF, gzip.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
