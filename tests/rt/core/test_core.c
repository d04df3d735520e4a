/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_core.c - Criterion tests of the sampler's pure helpers: timespec
 * arithmetic, wrap-around accumulators, threshold/stuck judgement, value
 * parsing, and the INI configuration with its file:line errors.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "judge.h"
#include "sampler.h"
#include "timespec.h"
#include "wrap.h"

Test(timespec, add_and_normalise)
{
	struct timespec t = { .tv_sec = 1, .tv_nsec = 999999999 };

	ts_add_ns(&t, 2);
	cr_assert_eq(t.tv_sec, 2);
	cr_assert_eq(t.tv_nsec, 1);
	ts_add_ns(&t, 3 * NSEC_PER_SEC);
	cr_assert_eq(t.tv_sec, 5);
	cr_assert_eq(ts_to_ns(&t), 5 * NSEC_PER_SEC + 1);
	cr_assert_eq(ts_diff_ns(&(struct timespec){ 1, 0 }, &(struct timespec){ 0, 999999999 }), 1);
	cr_assert_lt(ts_cmp(&(struct timespec){ 1, 5 }, &(struct timespec){ 1, 6 }), 0);
	cr_assert_eq(ts_cmp(&t, &t), 0);
}

Test(timespec, next_deadline_catches_up)
{
	uint64_t missed = 0;

	/* On time: the next grid point. */
	cr_assert_eq(ts_next_deadline(1000, 100, 1050, &missed), 1100);
	cr_assert_eq(missed, 0);
	/* Overslept past three deadlines: skip them, count them. */
	cr_assert_eq(ts_next_deadline(1000, 100, 1350, &missed), 1400);
	cr_assert_eq(missed, 3);
	/* Exactly on a deadline counts it as missed. */
	missed = 0;
	cr_assert_eq(ts_next_deadline(1000, 100, 1100, &missed), 1200);
	cr_assert_eq(missed, 1);
}

Test(timespec, grid_is_absolute_multiples_of_the_period)
{
	cr_assert_eq(ts_grid_next(0, 100), 100);
	cr_assert_eq(ts_grid_next(99, 100), 100);
	cr_assert_eq(ts_grid_next(100, 100), 200, "strictly after now");
	cr_assert_eq(ts_grid_next(1234567, 1000), 1235000);
	/* periods that divide each other share instants */
	cr_assert_eq(ts_grid_next(1999999999, 1000000000) % 100000000, 0);
}

Test(wrap, u32_counter_wraps_once)
{
	struct wrap_acc w = { 0 };

	cr_assert_eq(wrap_acc_u32(&w, 0xFFFFFF00u), 0, "first read primes");
	cr_assert_eq(wrap_acc_u32(&w, 0xFFFFFFF0u), 0xF0);
	cr_assert_eq(wrap_acc_u32(&w, 0x10u), 0xF0 + 0x20, "modular delta across the wrap");
	cr_assert_eq(wrap_acc_u32(&w, 0x10u), 0x110, "no change, no growth");
}

Test(wrap, range_counter_and_units)
{
	struct wrap_acc w = { 0 };
	uint64_t max = 262143328850ull;

	wrap_acc_range(&w, max - 100, max);
	cr_assert_eq(wrap_acc_range(&w, 50, max), 151, "100 to max, 1 to 0, 50 after");
	cr_assert_eq(wrap_acc_range(&w, max + 5, max), 151, "above the range: ignored");
	/* 2^16 units of 2^-16 J = 1 J. */
	cr_assert_eq(wrap_units_to_uj(65536, 16), 1000000);
	cr_assert_eq(wrap_units_to_uj(1, 16), 15);        /* 15.258 µJ, truncated */
	cr_assert_eq(wrap_units_to_uj(UINT64_C(1) << 40, 14), (UINT64_C(1) << 26) * 1000000);
}

static struct sov_sensor temp_limits(void)
{
	struct sov_sensor s = { .kind = SOV_KIND_TEMP, .flags = SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI,
				.warn_hi = 80000, .crit_hi = 90000 };
	return s;
}

Test(judge, levels_with_hysteresis)
{
	struct sov_sensor s = temp_limits();
	enum judge_level l = LEVEL_OK;

	l = judge_level(&s, 79999, l, 2000);
	cr_assert_eq(l, LEVEL_OK);
	l = judge_level(&s, 80000, l, 2000);
	cr_assert_eq(l, LEVEL_WARN, "reaching the limit warns");
	l = judge_level(&s, 78500, l, 2000);
	cr_assert_eq(l, LEVEL_WARN, "inside the hysteresis band: still warning");
	l = judge_level(&s, 95000, l, 2000);
	cr_assert_eq(l, LEVEL_CRIT);
	l = judge_level(&s, 88500, l, 2000);
	cr_assert_eq(l, LEVEL_CRIT, "hysteresis holds critical too");
	l = judge_level(&s, 87000, l, 2000);
	cr_assert_eq(l, LEVEL_WARN, "clear of critical, still above warning");
	l = judge_level(&s, 77999, l, 2000);
	cr_assert_eq(l, LEVEL_OK);
	/* Lower limits (voltages). */
	s.flags = SOV_SEN_WARN_LO | SOV_SEN_CRIT_LO;
	s.warn_lo = 1100;
	s.crit_lo = 1000;
	cr_assert_eq(judge_level(&s, 1050, LEVEL_OK, 10), LEVEL_WARN);
	cr_assert_eq(judge_level(&s, 990, LEVEL_OK, 10), LEVEL_CRIT);
	cr_assert_eq(judge_level(&s, 1005, LEVEL_CRIT, 10), LEVEL_CRIT);
	cr_assert_eq(judge_level(&s, 1200, LEVEL_CRIT, 10), LEVEL_OK);
	s.flags = 0;
	cr_assert_eq(judge_level(&s, INT64_MAX, LEVEL_OK, 0), LEVEL_OK, "no limits, no level");
}

Test(judge, stuck_after_configured_time)
{
	int64_t last = 0;
	uint64_t since = 0;
	bool primed = false;

	cr_assert_not(judge_stuck(&last, &since, &primed, 5, 100, 50));
	cr_assert_not(judge_stuck(&last, &since, &primed, 5, 140, 50));
	cr_assert(judge_stuck(&last, &since, &primed, 5, 150, 50));
	cr_assert_not(judge_stuck(&last, &since, &primed, 6, 160, 50), "a change resets it");
	cr_assert_not(judge_stuck(&last, &since, &primed, 6, 10000, 0), "0 disables it");
}

Test(judge, error_classes_and_backoff)
{
	cr_assert(judge_err_permanent(-ENODEV));
	cr_assert(judge_err_permanent(-EACCES));
	cr_assert(judge_err_permanent(-ENOENT));
	cr_assert_not(judge_err_permanent(-EIO));
	cr_assert_not(judge_err_permanent(-EAGAIN));
	cr_assert_not(judge_err_permanent(-ENODATA));
	cr_assert_eq(judge_backoff(0, 100, 1000), 100);
	cr_assert_eq(judge_backoff(100, 100, 1000), 200);
	cr_assert_eq(judge_backoff(800, 100, 1000), 1000, "capped");
}

Test(judge, impossible_readings_per_kind)
{
	/* -128 °C: "no diode" (0x80) of tmp-style, JC-42.4 and SPD5118 sensors */
	cr_assert_not(judge_plausible(SOV_KIND_TEMP, -128000));
	cr_assert_not(judge_plausible(SOV_KIND_TEMP, -60001));
	cr_assert_not(judge_plausible(SOV_KIND_TEMP, 200001));
	cr_assert_not(judge_plausible(SOV_KIND_TEMP, 255000)); /* 0xFF: an unpowered bus */
	cr_assert(judge_plausible(SOV_KIND_TEMP, -60000));
	cr_assert(judge_plausible(SOV_KIND_TEMP, -1250));
	cr_assert(judge_plausible(SOV_KIND_TEMP, 200000));
	cr_assert(judge_plausible(SOV_KIND_FAN_RPM, 0), "a stalled fan is a reading");
	cr_assert_not(judge_plausible(SOV_KIND_FAN_RPM, -1));
	cr_assert_not(judge_plausible(SOV_KIND_FAN_RPM, 1350000)); /* a divider gone wrong */
	cr_assert_not(judge_plausible(SOV_KIND_FAN_DUTY, 1001));
	cr_assert(judge_plausible(SOV_KIND_VOLTAGE, -12000), "the -12 V rail");
	cr_assert_not(judge_plausible(SOV_KIND_POWER, -1));
	cr_assert_not(judge_plausible(SOV_KIND_ENERGY, -1));
	cr_assert(judge_plausible(SOV_KIND_COUNT, INT64_MIN), "counters are not bounded");
	cr_assert(judge_plausible(SOV_KIND_HUMIDITY, 100000));
	cr_assert_not(judge_plausible(SOV_KIND_HUMIDITY, 100001));
	cr_assert_not(judge_plausible(SOV_KIND_HUMIDITY, -1));
	cr_assert_not(judge_plausible(SOV_KIND_FREQ, -1));
	cr_assert(judge_plausible(SOV_KIND_ALARM, 1));
	cr_assert_not(judge_plausible(SOV_KIND_ALARM, 2), "an alarm is 0 or 1");
}

Test(values, units_and_suffixes)
{
	int64_t v;

	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "85C", &v), 0);
	cr_assert_eq(v, 85000);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "-12.5 C", &v), 0);
	cr_assert_eq(v, -12500);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "85000", &v), 0);
	cr_assert_eq(v, 85000, "a bare number is in the sensor's unit");
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLIVOLT, "1.2V", &v), 0);
	cr_assert_eq(v, 1200);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MICROWATT, "300W", &v), 0);
	cr_assert_eq(v, 300000000);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_PERMILLE, "40%", &v), 0);
	cr_assert_eq(v, 400);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "85V", &v), -EINVAL, "wrong unit");
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "85.5", &v), -EINVAL,
		     "fraction of the integer unit");
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "hot", &v), -EINVAL);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "1e300C", &v), -EINVAL);
}

static const char good_conf[] =
	"; a comment\n"
	"[sampler]\n"
	"period_ms = 100\n"
	"cpu = 0\n"
	"\n"
	"[hwmon]\n"
	"chips = k10temp, jc42\n"
	"[sensor k10temp/temp1]\n"
	"label = Tctl\n"
	"crit_hi = 95C   ; inline comment\n";

Test(config, sections_keys_and_lines)
{
	struct rt_config cfg;
	struct rt_err err;
	const struct rt_conf_section *s;
	char items[4][64];
	long long v;

	cr_assert_eq(rt_config_parse_string(good_conf, "t.conf", &cfg, &err), 0, "%s", err.msg);
	s = rt_config_section(&cfg, "sampler", NULL);
	cr_assert_not_null(s);
	cr_assert_eq(rt_conf_int(s, "period_ms", 1, 1000, 5, &v, &err), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(rt_conf_line(s, "period_ms"), 3);
	cr_assert_eq(rt_conf_int(s, "absent", 1, 1000, 5, &v, &err), 0);
	cr_assert_eq(v, 5, "absent key takes the default");
	s = rt_config_section(&cfg, "hwmon", NULL);
	cr_assert_eq(rt_conf_list(s, "chips", items, 4, &err), 2);
	cr_assert_str_eq(items[1], "jc42");
	s = rt_config_section(&cfg, "sensor", "k10temp/temp1");
	cr_assert_not_null(s);
	cr_assert_str_eq(rt_conf_get(s, "crit_hi"), "95C");
	cr_assert_eq(rt_conf_line(s, "label"), 9);
	cr_assert_null(rt_config_section(&cfg, "sensor", "other"));
	rt_config_free(&cfg);
}

/* Each bad config must fail with "t.conf:LINE:" and the reason. */
static void expect_error(const char *text, const char *where, const char *why)
{
	struct rt_config cfg;
	struct rt_err err;

	cr_assert_eq(rt_config_parse_string(text, "t.conf", &cfg, &err), -EINVAL,
		     "accepted: %s", text);
	cr_assert(strstr(err.msg, where), "'%s' lacks '%s'", err.msg, where);
	cr_assert(strstr(err.msg, why), "'%s' lacks '%s'", err.msg, why);
}

Test(config, errors_name_file_and_line)
{
	char longline[400];

	expect_error("[sampler]\nperiod_ms = 1\nthis is not ini\n", "t.conf:3:", "syntax");
	expect_error("key = value\n", "t.conf:1:", "outside any [section]");
	expect_error("[sampler]\n[bad!]\nx = 1\n", "t.conf:2:", "bad section name");
	expect_error("[sampler]\nbad.key = 1\n", "t.conf:2:", "bad key");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	{
		char text[512];

		snprintf(text, sizeof(text), "[sampler]\n\nx = %s\n", longline);
		expect_error(text, "t.conf:3:", "longer than");
	}
}

Test(config, repeated_section_continues_the_first)
{
	struct rt_config cfg;
	struct rt_err err;

	cr_assert_eq(rt_config_parse_string("[hwmon]\nenable = yes\n[msr]\nx = 1\n[hwmon]\nexclude = a/*\nenable = no\n",
					    "t.conf", &cfg, &err), 0);
	cr_assert_eq(cfg.nsec, 2);
	cr_assert_str_eq(rt_conf_get(rt_config_section(&cfg, "hwmon", NULL), "exclude"), "a/*");
	cr_assert_str_eq(rt_conf_get(rt_config_section(&cfg, "hwmon", NULL), "enable"), "no",
			 "the last value wins");
	cr_assert_eq(rt_conf_line(rt_config_section(&cfg, "hwmon", NULL), "enable"), 7);
	rt_config_free(&cfg);
}

Test(config, value_errors_name_key_line_and_range)
{
	struct rt_config cfg;
	struct rt_err err;
	long long v;
	bool b;

	cr_assert_eq(rt_config_parse_string("[sampler]\nperiod_ms = 016\nx = 12abc\nj = maybe\n",
					    "t.conf", &cfg, &err), 0);
	const struct rt_conf_section *s = rt_config_section(&cfg, "sampler", NULL);

	cr_assert_eq(rt_conf_int(s, "period_ms", 1, 100, 0, &v, &err), 0);
	cr_assert_eq(v, 16, "decimal, leading zero and all (test_config.c: numbers)");
	cr_assert_eq(rt_conf_int(s, "x", 1, 100, 0, &v, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "t.conf:3: [sampler] x: '12abc' is not a decimal integer in [1, 100]");
	cr_assert_eq(rt_conf_int(s, "period_ms", 1, 10, 0, &v, &err), -EINVAL, "out of range");
	cr_assert_eq(rt_conf_bool(s, "j", false, &b, &err), -EINVAL);
	cr_assert(strstr(err.msg, "t.conf:4:"));
	rt_config_free(&cfg);
}

Test(config, sampler_options)
{
	struct rt_config cfg;
	struct sampler_opts o;
	struct rt_err err;

	cr_assert_eq(rt_config_parse_string(good_conf, "t.conf", &cfg, &err), 0);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0, "%s", err.msg);
	cr_assert_eq(o.period_ns, 100000000);
	cr_assert_eq(o.priority, 50, "default priority");
	cr_assert_str_eq(o.segment, "/sovereign");
	rt_config_free(&cfg);
	cr_assert_eq(rt_config_parse_string("[sampler]\nslots = 100\n", "t.conf", &cfg, &err), 0);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "t.conf:2: [sampler] slots: 100 is not a power of two"), "%s", err.msg);
	rt_config_free(&cfg);
}

Test(config, missing_file_and_nul_byte)
{
	struct rt_config cfg;
	struct rt_err err;
	char path[] = "/tmp/sov-conf-XXXXXX";
	int fd;

	cr_assert_eq(rt_config_load("/nonexistent/sampler.conf", &cfg, &err), -ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/sampler.conf"), "%s", err.msg);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "[sampler]\nx = 1\0\n", 17), 17);
	close(fd);
	cr_assert_eq(rt_config_load(path, &cfg, &err), -EINVAL);
	cr_assert(strstr(err.msg, ":2: NUL byte"), "%s", err.msg);
	unlink(path);
}

Test(glob, patterns)
{
	cr_assert(rt_glob_match("nct6775*", "nct6775/platform"));
	cr_assert(rt_glob_match("*/in?", "nct6775/in1"));
	cr_assert_not(rt_glob_match("*/in?", "nct6775/in10"));
	cr_assert(rt_glob_match("*", ""));
	cr_assert_not(rt_glob_match("k10temp", "k10temp2"));
}
