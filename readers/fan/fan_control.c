/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_control.c - sovereign-fan's control loop: each period the zones'
 * conditions and controllers (PID, table, RPM), the fans' duties with the
 * inner speed loops, foreign writes taken back, a failed write failing its
 * zones safe at once, the published state; and the absolute-deadline loop
 * around it (fan_run()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fan_int.h"
#include "event.h"

/* ---- the fans ---- */

/*
 * The inner loop of fan @f toward @sp RPM; @direct is what the zones ask
 * for directly (the floor, another zone's duty).  The larger one wins; when
 * @direct wins, the loop tracks it so that it takes over from there.
 */
static int rpm_loop(struct fan *f, double sp, int direct, double dt_s)
{
	int duty;

	if (f->rpm < 0)   /* no tachometer: the zone fails safe; hold meanwhile */
		return f->duty > direct ? f->duty : direct;
	if (!f->rpm_on)   /* engaging (start, after failsafe): from the duty it has */
		fan_pid_reset(&f->rpm_pi, f->duty);
	f->rpm_on = true;
	duty = (int)lround(fan_rpm_step(&f->rpm_pi, sp, (double)f->rpm, dt_s));
	if (direct > duty) {
		fan_pid_reset(&f->rpm_pi, direct);
		duty = direct;
	}
	return duty;
}

/*
 * Write @duty to fan @f (pwmN_enable re-asserted first if @reassert); a
 * failed write is tried once more, mode included.  f->duty changes only
 * when pwmN took the value: it is always the duty on the chip.  A write
 * failing twice is this period's f->werr -- its zones fail safe (FAN_FS_PWM)
 * -- and an event, once per occurrence; so is the first write that works
 * again.  Return: 0 or the -errno of the retry.
 */
static int fan_set(struct fan_ctx *c, struct fan *f, int duty, bool reassert)
{
	int raw = fan_pwm_duty_to_raw(duty), was = f->werr, rc;
	char text[SOV_EVENT_TEXT_LEN], name[80];

	rc = fan_pwm_write(&f->pwm, raw, reassert);
	if (rc)
		rc = fan_pwm_write(&f->pwm, raw, true);
	f->werr = rc;
	if (!rc)
		f->duty = duty;
	if (!!rc == !!was)
		return rc;
	snprintf(name, sizeof(name), "%s pwm%d", f->pwm.chip, f->channel);
	if (rc) {
		snprintf(text, sizeof(text), "pwm%d write failed: %s", f->channel, strerror(-rc));
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_DEGRADED, .severity = SOV_SEV_ERR,
						    .value = f->duty, .reason = "pwm_write",
						    .fan = name, .text = text },
			       "%s pwm%d: writing duty %d.%d %% failed twice (%s): the chip keeps "
			       "%d.%d %%; its zones fail safe", f->pwm.chip, f->channel, duty / 10,
			       duty % 10, strerror(-rc), f->duty / 10, f->duty % 10);
	} else {
		snprintf(text, sizeof(text), "pwm%d writes again", f->channel);
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_DEGRADED, .severity = SOV_SEV_NOTICE,
						    .value = f->duty, .reason = "pwm_write_ok",
						    .fan = name, .text = text },
			       "%s pwm%d: writes again, duty %d.%d %%", f->pwm.chip, f->channel,
			       duty / 10, duty % 10);
	}
	return rc;
}

/* FAN_FS_PWM if a fan of @z could not be written this period. */
static uint32_t zone_pwm_faults(const struct fan_ctx *c, const struct fan_zone *z)
{
	for (int i = 0; i < z->nfans; i++)
		if (c->fans[z->fans[i]].werr)
			return 1u << FAN_FS_PWM;
	return 0;
}

static void drive_fans(struct fan_ctx *c, double dt_s)
{
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];
		int duty = c->min_duty, rc;
		long en = -1, pwm = -1;
		double sp = 0;
		bool rpm_fs = false;

		/*
		 * A fan shared by zones gets the most any of them asks for, and
		 * follows the highest RPM setpoint -- unless a zone of its inner
		 * loop fails safe: then that zone's level overrides both loops.
		 */
		for (int zi = 0; zi < c->nzones; zi++) {
			const struct fan_zone *z = &c->zones[zi];

			for (int k = 0; k < z->nfans; k++) {
				if (z->fans[k] != i)
					continue;
				if (z->out > duty)
					duty = z->out;
				if (z->mode == ZONE_RPM && z->fs.in)
					rpm_fs = true;
				else if (z->mode == ZONE_RPM && z->rpm_sp > sp)
					sp = z->rpm_sp;
			}
		}
		if (f->rpm_cfg && sp > 0 && !rpm_fs)
			duty = rpm_loop(f, sp, duty, dt_s);
		else
			f->rpm_on = false;
		if (duty < c->min_duty)
			duty = c->min_duty;
		if (duty > 1000)
			duty = 1000;
		/*
		 * Someone else wrote (BIOS after resume, a script, the chip's
		 * own automatic mode): say so once per occurrence, take it back.
		 */
		rc = fan_pwm_check(&f->pwm, &en, &pwm);
		if (rc == 1 && !f->tampered) {
			char text[SOV_EVENT_TEXT_LEN], name[80];

			snprintf(text, sizeof(text), "pwm%d: enable %ld pwm %ld by another writer; re-asserting",
				 f->channel, en, pwm);
			snprintf(name, sizeof(name), "%s pwm%d", f->pwm.chip, f->channel);
			fan_event_emit(c->w, c->journal,
				       &(struct fan_event){ .type = SOV_EV_DEGRADED,
							    .severity = SOV_SEV_WARNING, .value = en,
							    .reason = "foreign_write", .fan = name,
							    .text = text },
				       "%s %s", f->pwm.chip, text);
		}
		if (rc >= 0)
			f->tampered = rc == 1;
		fan_set(c, f, duty, rc != 0);
	}
}
/* ---- the loop ---- */

/* "crit,stale": the names of the conditions in @active, for a reason. */
static void describe(uint32_t active, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < FAN_FS_NCOND; i++)
		if (active & (1u << i))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						off ? "," : "", fan_fs_cond_name(i));
}

/* One zone's failsafe transition @e as an event with its reason. */
static void zone_event(struct fan_ctx *c, struct fan_zone *z, enum fan_fs_edge e)
{
	char why[64], text[SOV_EVENT_TEXT_LEN];

	if (e == FAN_FS_ENTER) {
		int level = fan_fs_level(z->fs.active, c->levels);

		describe(z->fs.active, why, sizeof(why));
		/* The text (72 bytes) keeps the zone; the message has the whole detail. */
		snprintf(text, sizeof(text), "%s zone=%s%s%s", why, z->name, z->why[0] ? " " : "",
			 z->why);
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_FAILSAFE_ENTER,
						    .severity = SOV_SEV_CRIT, .value = level,
						    .zone = z->name, .reason = why,
						    .mode = "failsafe", .text = text },
			       "zone %s: failsafe (%s%s%s): duty %d.%d %%", z->name, why,
			       z->why[0] ? ": " : "", z->why, level / 10, level % 10);
	} else if (e == FAN_FS_EXIT) {
		snprintf(text, sizeof(text), "zone=%s %lld good samples", z->name, c->good_samples);
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_FAILSAFE_EXIT,
						    .severity = SOV_SEV_NOTICE, .value = z->out,
						    .zone = z->name, .reason = "good_samples",
						    .mode = fan_zone_mode_name(z->mode),
						    .text = text },
			       "zone %s: failsafe over after %lld good samples, back to %s control",
			       z->name, c->good_samples, fan_zone_mode_name(z->mode));
	}
}

/*
 * A fan that could not be written this period fails its zones safe at
 * once (FAN_FS_PWM, with an event naming it): their other fans get the
 * failsafe level now, not a period later.
 */
static void pwm_failsafe(struct fan_ctx *c)
{
	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];
		uint32_t pw = zone_pwm_faults(c, z);
		int level;

		if (!pw || (z->fs.active & pw))
			continue;   /* none, or known since the period began */
		for (int k = 0; k < z->nfans; k++) {
			const struct fan *f = &c->fans[z->fans[k]];

			if (f->werr) {
				snprintf(z->why, sizeof(z->why), "%.40s pwm%d: %s", f->pwm.chip,
					 f->channel, strerror(-f->werr));
				break;
			}
		}
		zone_event(c, z, fan_fs_update(&z->fs, z->fs.active | pw, false));
		z->rpm_sp = 0;
		level = fan_fs_level(z->fs.active, c->levels);
		if (level > z->out)
			z->out = level;
		for (int k = 0; k < z->nfans; k++) {
			struct fan *f = &c->fans[z->fans[k]];

			if (!f->werr && f->duty < z->out)
				fan_set(c, f, z->out, false);
		}
	}
}

void fan_control(struct fan_ctx *c, int64_t now, double dt_s)
{
	bool new_sample;
	uint32_t global = fan_read_segment(c, &new_sample);

	fan_read_fans(c, !global);
	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];
		uint32_t active = global ? global : fan_zone_conditions(c, z, now);
		enum fan_fs_edge e;

		if (global) {
			z->input_ok = false;
			z->why[0] = '\0';
		}
		/* A fan not written last period keeps its zones failing safe. */
		active |= zone_pwm_faults(c, z);
		e = fan_fs_update(&z->fs, active, new_sample);
		zone_event(c, z, e);
		/* Bumpless: start from the failsafe duty (or speed) and slew down. */
		if (e == FAN_FS_EXIT)
			fan_zone_bumpless_start(c, z);
		z->rpm_sp = 0;
		if (z->fs.in) {
			int level = fan_fs_level(z->fs.active, c->levels);

			/* Counting good samples: hold the failsafe duty. */
			if (level >= 0)
				z->out = level;
		} else if (z->mode == ZONE_TABLE) {
			z->out = fan_stepwise_eval(&z->table, z->input);
		} else if (z->mode == ZONE_RPM) {
			/* The thermal PID's output is the fans' speed; the floor stays direct. */
			z->rpm_sp = fan_pid_step(&z->pid, z->setpoint / 1000.0, z->input / 1000.0, dt_s);
			z->out = c->min_duty;
		} else {
			z->out = (int)lround(fan_pid_step(&z->pid, z->setpoint / 1000.0,
							  z->input / 1000.0, dt_s));
		}
		if (z->out < c->min_duty)
			z->out = c->min_duty;
	}
	drive_fans(c, dt_s);
	pwm_failsafe(c);
	/*
	 * Published: what the chips have, never a duty not written -- the
	 * least of the zone's fans (an RPM zone: the most, as its fans
	 * differ), and a fan that could not be written caps it.
	 */
	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];
		int lo = 1000, hi = 0, failed = 1000;

		for (int k = 0; k < z->nfans; k++) {
			const struct fan *f = &c->fans[z->fans[k]];

			lo = f->duty < lo ? f->duty : lo;
			hi = f->duty > hi ? f->duty : hi;
			if (f->werr && f->duty < failed)
				failed = f->duty;
		}
		z->duty_now = z->mode == ZONE_RPM ? hi : lo;
		if (failed < z->duty_now)
			z->duty_now = failed;
	}
	fan_state_publish(c, now);
}
void fan_run(struct fan_ctx *c, int64_t period_ns, volatile sig_atomic_t *stop,
	     volatile sig_atomic_t *reload)
{
	struct timespec next;
	int64_t prev = (int64_t)ts_now_ns(CLOCK_MONOTONIC);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!*stop) {
		int64_t now = (int64_t)ts_now_ns(CLOCK_MONOTONIC);
		int rc;

		if (*reload) {
			*reload = 0;
			fan_reload(c);
		}
		fan_control(c, now, (double)(now - prev) / NS_PER_S);
		prev = now;
		if (c->period_ms)
			period_ns = c->period_ms * 1000000;
		else if (c->r)
			period_ns = c->sampler_period_ns;
		ts_add_ns(&next, (uint64_t)period_ns);
		/* Overslept (stopped, swapped): skip the missed deadlines, do not burst. */
		while (ts_to_ns(&next) <= ts_now_ns(CLOCK_MONOTONIC))
			ts_add_ns(&next, (uint64_t)period_ns);
		/* clock_nanosleep returns its error; EINTR is a stop or reload signal. */
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (rc && rc != EINTR)
			fan_say("clock_nanosleep: %s", strerror(rc));
	}
}
