/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c - the sampler's configuration surface: [sampler] into struct
 * sampler_opts, values with unit suffixes ("85C", "1.2V"), and the schema
 * every file is checked against (sampler_check_config()).  Used by main.c
 * at start and at SIGHUP, and by the core for [sensor X] values.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_int.h"

int sampler_parse_value(uint16_t unit, const char *text, int64_t *out)
{
	static const struct { uint16_t unit; const char *suffix; double scale; } sfx[] = {
		{ SOV_UNIT_MILLICELSIUS, "C", 1e3 }, { SOV_UNIT_MILLICELSIUS, "°C", 1e3 },
		{ SOV_UNIT_MILLIVOLT, "V", 1e3 },    { SOV_UNIT_MILLIVOLT, "mV", 1 },
		{ SOV_UNIT_MILLIAMPERE, "A", 1e3 },  { SOV_UNIT_MILLIAMPERE, "mA", 1 },
		{ SOV_UNIT_MICROWATT, "W", 1e6 },    { SOV_UNIT_MICROWATT, "mW", 1e3 },
		{ SOV_UNIT_MICROJOULE, "J", 1e6 },   { SOV_UNIT_RPM, "rpm", 1 },
		{ SOV_UNIT_RPM, "RPM", 1 },          { SOV_UNIT_PERMILLE, "%", 10 },
	};
	char *end;
	double v;
	size_t i;

	/* Decimal only: strtod would read "0x55" as 85 and "0x55C" as 1372. */
	if (strpbrk(text, "xX"))
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v))
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (!*end) {
		if (v != floor(v) || fabs(v) > 9e18)
			return -EINVAL; /* a bare number is in the sensor's own integer unit */
		*out = (int64_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (sfx[i].unit == unit && !strcmp(end, sfx[i].suffix)) {
			v *= sfx[i].scale;
			if (fabs(v) > 9e18)
				return -EINVAL;
			*out = (int64_t)llround(v);
			return 0;
		}
	}
	return -EINVAL;
}

const struct sampler_rate_key sampler_rate_keys[SAMPLER_RATE_N] = {
	[SAMPLER_RATE_CPU_TEMP] = { "cpu_temp_period_ms", 100 },
	[SAMPLER_RATE_CPU_CORE_TEMP] = { "cpu_core_temp_period_ms", 1000 },
	[SAMPLER_RATE_ENERGY] = { "energy_period_ms", 100 },
	[SAMPLER_RATE_FAN] = { "fan_period_ms", 1000 },
	[SAMPLER_RATE_VOLTAGE] = { "voltage_period_ms", 1000 },
	[SAMPLER_RATE_CURRENT] = { "current_period_ms", 1000 },
	[SAMPLER_RATE_VRM] = { "vrm_period_ms", 1000 },
	[SAMPLER_RATE_DIMM] = { "dimm_period_ms", 5000 },
	[SAMPLER_RATE_BOARD] = { "board_period_ms", 1000 },
};

/* Every key read from [sampler] (sampler_parse_opts(), main.c) and [sensor X] (chan_params_for(), apply_sensor_overrides()). */
static const char *const sampler_keys[] = {
	"root", "segment", "group", "cpu", "priority", "period_ms", "slots", "stuck_s",
	"backoff_max_s", "journal", "stale_periods", "cpu_temp_period_ms", "cpu_core_temp_period_ms",
	"energy_period_ms",
	"fan_period_ms", "voltage_period_ms", "current_period_ms", "vrm_period_ms",
	"dimm_period_ms", "board_period_ms", NULL
};
static const char *const sensor_keys[] = {
	"label", "labels", "ignore", "warn_hi", "crit_hi", "warn_lo", "crit_lo", "hysteresis",
	"period_ms", "stuck_s", NULL
};
static const char *const backend_common_keys[] = { "enable", NULL };

int sampler_check_config(const struct rt_config *cfg, struct rt_err *err)
{
	size_t i, n = rt_backend_count();
	struct rt_conf_schema *sch = calloc(n + 2, sizeof(*sch));
	int rc;

	if (!sch) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	sch[0] = (struct rt_conf_schema){ "sampler", RT_CONF_NO_ARG, sampler_keys, NULL };
	sch[1] = (struct rt_conf_schema){ "sensor", RT_CONF_ARG, sensor_keys, NULL };
	for (i = 0; i < n; i++) {
		const struct sensor_ops *ops = rt_backend_at(i);

		sch[i + 2] = (struct rt_conf_schema){ ops->name, RT_CONF_NO_ARG, ops->keys,
						      backend_common_keys };
	}
	rc = rt_config_check(cfg, sch, n + 2, err);
	free(sch);
	return rc;
}

int sampler_parse_opts(const struct rt_config *cfg, struct sampler_opts *o, struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "sampler", NULL);
	long long v;
	int rc;

	memset(o, 0, sizeof(*o));
	o->root = rt_conf_get(s, "root");
	if (!o->root)
		o->root = "";
	o->segment = rt_conf_get(s, "segment");
	if (!o->segment)
		o->segment = SOV_SHM_DEFAULT_NAME;
	/* Resolved here, so that a group that does not exist is named with its file:line. */
	if ((rc = rt_conf_group(s, "group", &o->group, err)))
		return rc;
	if ((rc = rt_conf_int(s, "cpu", 0, 4095, 0, &v, err)))
		return rc;
	o->cpu = (int)v;
	if ((rc = rt_conf_int(s, "priority", 1, 99, 50, &v, err)))
		return rc;
	o->priority = (int)v;
	/* 1 ms .. 1 h: the loop must hold 1 kHz. */
	if ((rc = rt_conf_int(s, "period_ms", 1, 3600000, 1000, &v, err)))
		return rc;
	o->period_ns = (uint64_t)v * 1000000u;
	/* Per kind, as a BMC polls; never faster than the grid (params.c). */
	for (size_t k = 0; k < SAMPLER_RATE_N; k++) {
		if ((rc = rt_conf_int(s, sampler_rate_keys[k].key, 1, 3600000,
				      sampler_rate_keys[k].default_ms, &v, err)))
			return rc;
		o->rate_ns[k] = (uint64_t)v * 1000000u;
	}
	if ((rc = rt_conf_int(s, "slots", 4, 65536, 256, &v, err)))
		return rc;
	if (v & (v - 1))
		return rt_conf_errorf(err, s, "slots", "%lld is not a power of two", v);
	o->nslots = (uint32_t)v;
	if ((rc = rt_conf_int(s, "stuck_s", 0, 86400, 0, &v, err)))
		return rc;
	o->stuck_ns = (uint64_t)v * NSEC_PER_SEC;
	if ((rc = rt_conf_int(s, "backoff_max_s", 1, 3600, 60, &v, err)))
		return rc;
	o->backoff_cap_ns = (uint64_t)v * NSEC_PER_SEC;
	/* 2 at least: a reading on time is up to one period + its read old. */
	if ((rc = rt_conf_int(s, "stale_periods", 2, 1000, DEFAULT_STALE_PERIODS, &v, err)))
		return rc;
	o->stale_periods = (uint32_t)v;
	if ((rc = rt_conf_bool(s, "journal", true, &o->journal, err)))
		return rc;
	return 0;
}
