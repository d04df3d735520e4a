/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_state.c - sovereign-fan's own state segment: per zone its input,
 * setpoint, duty, failsafe state and RPM target, for the exporter and
 * sovereign-dump.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fan_int.h"

/* ---- own state segment ---- */

int fan_state_create(struct fan_ctx *c, int64_t period_ns)
{
	/* rpm-target: the RPM setpoint of an rpm_loop zone, invalid otherwise. */
	static const char *const what[FAN_STATE_PER_ZONE] = { "input", "setpoint", "duty", "failsafe",
								"rpm-target" };
	static const uint16_t kind[FAN_STATE_PER_ZONE] = { SOV_KIND_TEMP, SOV_KIND_TEMP,
							   SOV_KIND_FAN_DUTY, SOV_KIND_GAUGE,
							   SOV_KIND_FAN_RPM };
	static const uint16_t unit[FAN_STATE_PER_ZONE] = { SOV_UNIT_MILLICELSIUS, SOV_UNIT_MILLICELSIUS,
							   SOV_UNIT_PERMILLE, SOV_UNIT_NONE,
							   SOV_UNIT_RPM };
	struct sov_sensor t[FAN_MAX_ZONES * FAN_STATE_PER_ZONE];
	struct sov_writer_opts o = {
		.name = c->state_segment, .writer_name = "sovereign-fan",
		.period_ns = (uint64_t)period_ns,
	};
	uint32_t n = 0;

	memset(t, 0, sizeof(t));
	for (int zi = 0; zi < c->nzones; zi++) {
		for (int k = 0; k < FAN_STATE_PER_ZONE; k++, n++) {
			struct sov_sensor *d = &t[n];

			d->kind = kind[k];
			d->unit = unit[k];
			d->source = SOV_SRC_INTERNAL;
			d->period_ms = (uint32_t)(period_ns / 1000000);
			snprintf(d->chip, sizeof(d->chip), "sovereign-fan");
			snprintf(d->name, sizeof(d->name), "%.20s-%s", c->zones[zi].name, what[k]);
			snprintf(d->label, sizeof(d->label), "%s", what[k]);
			snprintf(d->labels, sizeof(d->labels), "zone=%.50s", c->zones[zi].name);
			d->id = sov_sensor_id(d->source, d->chip, d->name);
		}
	}
	return sov_writer_create(&o, t, n, &c->w);
}

void fan_state_publish(struct fan_ctx *c, int64_t now)
{
	struct sov_slot *st = sov_writer_stage(c->w);

	st->mono_ns = (uint64_t)now;
	st->real_ns = ts_now_ns(CLOCK_REALTIME);
	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];
		uint32_t b = (uint32_t)zi * FAN_STATE_PER_ZONE;

		if (z->input_ok)
			sov_writer_set(c->w, b, z->input, (uint64_t)now);
		else
			sov_writer_set_invalid(c->w, b);
		sov_writer_set(c->w, b + 1, z->setpoint, (uint64_t)now);
		sov_writer_set(c->w, b + 2, z->duty_now, (uint64_t)now);
		sov_writer_set(c->w, b + 3, z->fs.in, (uint64_t)now);
		if (z->mode == ZONE_RPM && !z->fs.in)
			sov_writer_set(c->w, b + 4, llround(z->rpm_sp), (uint64_t)now);
		else
			sov_writer_set_invalid(c->w, b + 4);
	}
	sov_writer_publish(c->w);
}
