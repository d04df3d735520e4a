/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_zone.c - sovereign-fan's inputs: attaching the sampler's segment and
 * following its restarts, matching the zones' sensor specs and the fans'
 * tachometers in its table, and judging each zone's input every period
 * (validity, range, age) into failsafe conditions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fan_int.h"

/* ---- the sampler's segment ---- */

/* Does sensor @d match "chip:key" / "key"?  chip is the driver name or the whole chip string. */
static bool sensor_matches(const struct sov_sensor *d, const char *spec)
{
	const char *colon = strrchr(spec, ':');
	const char *key = colon ? colon + 1 : spec;

	if (strcmp(d->label, key) && strcmp(d->name, key))
		return false;
	if (colon) {
		size_t n = (size_t)(colon - spec);
		const char *slash = strchr(d->chip, '/');
		size_t dl = slash ? (size_t)(slash - d->chip) : strlen(d->chip);

		if (strncmp(d->chip, spec, n) || (d->chip[n] && !(n == dl && d->chip[n] == '/')))
			return false;
	}
	return true;
}

/* "jc42:DIMM A1": sensor @d as a reason names it (its driver and label, else name). */
static void sensor_name(const struct sov_sensor *d, char *buf, size_t len)
{
	size_t cl = strcspn(d->chip, "/");

	snprintf(buf, len, "%.*s:%s", (int)(cl < 24 ? cl : 24), d->chip,
		 d->label[0] ? d->label : d->name);
}

/* Look every zone sensor up in the attached table (@quiet: say nothing of missing ones). */
void fan_zones_resolve(struct fan_ctx *c, bool quiet)
{
	uint32_t n = sov_reader_nsensors(c->r);
	struct sov_sensor d;

	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];

		z->nidx = 0;
		for (int i = 0; i < z->nsens; i++) {
			z->sens[i].found = false;
			for (uint32_t k = 0; k < n && z->nidx < FAN_MAX_MATCHES; k++) {
				if (sov_reader_sensor(c->r, k, &d) == 0 && sensor_matches(&d, z->sens[i].spec)) {
					z->idx[z->nidx++] = (int)k;
					z->sens[i].found = true;
				}
			}
			if (!z->sens[i].found && !quiet)
				fan_say("zone %s: sensor %s not in %s: failing safe", z->name,
					z->sens[i].spec, c->segment);
		}
	}
}

/*
 * A zone setpoint at or above the critical limit (the sampler's crit_hi)
 * of one of its sensors contradicts the hardware: the PID would hold the
 * temperature at the limit, failing safe on and off.  Zones must be
 * resolved (fan_zones_resolve()).  Return: 0, or -EINVAL with @err naming the
 * setpoint's file:line, the sensor and its limit.
 */
int fan_zones_check_setpoints(const struct fan_ctx *c, struct rt_err *err)
{
	struct sov_sensor d;
	char name[64];

	for (int zi = 0; zi < c->nzones; zi++) {
		const struct fan_zone *z = &c->zones[zi];

		for (int i = 0; z->mode != ZONE_TABLE && i < z->nidx; i++) {
			if (sov_reader_sensor(c->r, (uint32_t)z->idx[i], &d) ||
			    !(d.flags & SOV_SEN_CRIT_HI) || z->setpoint < d.crit_hi)
				continue;
			sensor_name(&d, name, sizeof(name));
			snprintf(err->msg, sizeof(err->msg),
				 "%s: %lld m°C is at or above %s's critical limit %lld m°C (the "
				 "sampler's crit_hi): the zone would be held at its critical limit",
				 z->where, (long long)z->setpoint, name, (long long)d.crit_hi);
			return -EINVAL;
		}
	}
	return 0;
}

/* Look every zone sensor and fan tachometer up in the freshly attached table. */
void fan_resolve(struct fan_ctx *c)
{
	fan_zones_resolve(c, false);
	for (int i = 0; i < c->nfans; i++) {
		char key[16];
		int rc;

		snprintf(key, sizeof(key), "fan%d", c->fans[i].channel);
		rc = sov_reader_find(c->r, c->fans[i].pwm.chip, key);
		c->fans[i].rpm_idx = rc >= 0 ? rc : -1;
	}
	c->sampler_period_ns = (int64_t)sov_reader_header(c->r)->period_ns;
	if (c->sampler_period_ns <= 0)
		c->sampler_period_ns = NS_PER_S;
}

/* Attach, follow restarts, take the newest sample.  Return: conditions common to all zones. */
uint32_t fan_read_segment(struct fan_ctx *c, bool *new_sample)
{
	int rc;

	*new_sample = false;
	if (!c->r) {
		rc = sov_reader_open(c->segment, NULL, &c->r);
		if (rc)
			return 1u << FAN_FS_RESTART;
		c->s = sov_sample_alloc(c->r);
		if (!c->s) {
			sov_reader_close(c->r);
			c->r = NULL;
			return 1u << FAN_FS_RESTART;
		}
		fan_resolve(c);
	}
	rc = sov_reader_status(c->r);
	if (rc == -SOV_ERESTARTED) {
		if (sov_reader_reattach(c->r) == 0) {
			sov_sample_free(c->s);
			c->s = sov_sample_alloc(c->r);
			if (c->s)
				fan_resolve(c);
		}
		return 1u << FAN_FS_RESTART;
	}
	if (rc || !c->s)
		return 1u << FAN_FS_RESTART;   /* writer stopped or died */
	rc = sov_reader_latest(c->r, c->s);
	if (rc == -SOV_ENOSAMPLE || rc == -SOV_ERESTARTED)
		return 1u << FAN_FS_RESTART;
	if (rc)
		return 1u << FAN_FS_STALE;     /* -SOV_EBUSY: no consistent copy */
	if (sov_sample_age_ns(c->s) > c->stale_periods * c->sampler_period_ns)
		return 1u << FAN_FS_STALE;
	*new_sample = sov_sample_slot(c->s)->number != c->last_number;
	c->last_number = sov_sample_slot(c->s)->number;
	return 0;
}

/* The first input problem of a period, as the zone's failsafe reason details it. */
static void zone_why(struct fan_zone *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void zone_why(struct fan_zone *z, const char *fmt, ...)
{
	va_list ap;

	if (z->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(z->why, sizeof(z->why), fmt, ap);
	va_end(ap);
}

/*
 * The zone's own conditions from the sample at @now; sets z->input and
 * z->why.  Each input is judged by itself: its validity, whether any
 * sensor can read that value, and its own age -- a channel with its own
 * (slower) period keeps its last reading in every sample, so a fresh
 * sample may carry an old reading; it is stale past stale_periods of its
 * own period (or of the sampler's, if faster).
 */
uint32_t fan_zone_conditions(struct fan_ctx *c, struct fan_zone *z, int64_t now)
{
	uint32_t active = 0;
	struct sov_sensor d;
	char name[64];

	z->input_ok = false;
	z->why[0] = '\0';
	for (int i = 0; i < z->nsens; i++) {
		if (!z->sens[i].found) {
			active |= 1u << FAN_FS_SENSOR;
			zone_why(z, "%s not in the segment", z->sens[i].spec);
		}
	}
	for (int i = 0; i < z->nidx; i++) {
		int idx = z->idx[i];
		/* Limits may change at run time (sampler SIGHUP): read them each time. */
		bool have_d = sov_reader_sensor(c->r, (uint32_t)idx, &d) == 0;
		int64_t v, limit = c->stale_periods * c->sampler_period_ns;
		uint64_t t;

		if (have_d)
			sensor_name(&d, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "sensor %d", idx);
		if (sov_sample_get(c->s, (uint32_t)idx, &v, &t) ||
		    sov_sample_suspect(c->s, (uint32_t)idx)) {
			active |= 1u << FAN_FS_SENSOR;
			zone_why(z, "%s invalid", name);
			continue;
		}
		if (v < FAN_TEMP_MIN_MC || v > FAN_TEMP_MAX_MC) {
			active |= 1u << FAN_FS_SENSOR;
			zone_why(z, "%s reads %lld m°C, no temperature", name, (long long)v);
			continue;
		}
		if (have_d && (int64_t)d.period_ms * 1000000 > c->sampler_period_ns)
			limit = c->stale_periods * (int64_t)d.period_ms * 1000000;
		if (now - (int64_t)t > limit) {
			active |= 1u << FAN_FS_STALE;
			zone_why(z, "%s %lld ms old", name, (long long)((now - (int64_t)t) / 1000000));
			continue;
		}
		if (!z->input_ok || v > z->input)
			z->input = v;
		z->input_ok = true;
		if (have_d && (d.flags & SOV_SEN_CRIT_HI) && v >= d.crit_hi)
			active |= 1u << FAN_FS_CRIT;
	}
	for (int i = 0; i < z->nfans; i++) {
		struct fan *f = &c->fans[z->fans[i]];

		if (f->rpm == 0 && f->duty > c->min_duty)
			active |= 1u << FAN_FS_STALL;
		/* The inner loop needs the fan's tachometer. */
		if (z->mode == ZONE_RPM && f->rpm < 0)
			active |= 1u << FAN_FS_SENSOR;
	}
	return active;
}

/* Every fan's tachometer in this period's sample (-1: none, unreadable, or no sample). */
void fan_read_fans(struct fan_ctx *c, bool have_sample)
{
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];
		int64_t v;

		f->rpm = -1;
		if (have_sample && f->rpm_idx >= 0 &&
		    sov_sample_get(c->s, (uint32_t)f->rpm_idx, &v, NULL) == 0 && v >= 0)
			f->rpm = v;
	}
}

const char *fan_zone_mode_name(enum zone_mode m)
{
	return m == ZONE_TABLE ? "stepwise" : m == ZONE_RPM ? "rpm" : "pid";
}

/*
 * Bumpless (re)start of @z's controller from what its fans do now: on
 * leaving failsafe and on a mode change by reload.  A PID restarts from
 * the duty the fans have, the RPM PID from the fastest fan's speed; both
 * then slew down from the failsafe level instead of dropping.
 */
void fan_zone_bumpless_start(struct fan_ctx *c, struct fan_zone *z)
{
	if (z->mode == ZONE_RPM) {
		double rpm = -1;

		for (int i = 0; i < z->nfans; i++)
			if (c->fans[z->fans[i]].rpm > rpm)
				rpm = (double)c->fans[z->fans[i]].rpm;
		fan_pid_reset(&z->pid, rpm >= 0 ? rpm : z->rpm_max);
	} else {
		fan_pid_reset(&z->pid, z->duty_now);
	}
}
