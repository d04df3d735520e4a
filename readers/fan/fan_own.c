/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_own.c - sovereign-fan's ownership of the pwm channels: opening them,
 * recording their original state before the first write (origstate.c),
 * taking them to manual, giving them back on stop, forgetting the record
 * after a clean stop, and --failsafe (full speed after an unclean stop).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fan_int.h"
#include "event.h"
#include "origstate.h"

/*
 * Give fans 0..@n-1 back: the original state where the record knows it,
 * else automatic mode (full speed on a chip without it or refusing it).
 * Return: how many could not be given back.
 */
int fan_own_restore(struct fan_ctx *c, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct fan_pwm *p = &c->fans[i].pwm;
		bool owned = p->owned;
		int rc = fan_pwm_restore(p);

		if (rc) {
			fan_say("%s pwm%d: restore: %s", p->chip, p->channel, strerror(-rc));
			failed++;
		} else if (owned && p->orig_known) {
			fan_say("%s pwm%d: original restored (enable %ld pwm %ld)", p->chip,
				p->channel, p->orig_enable, p->orig_pwm);
		} else if (owned) {
			fan_say("%s pwm%d: original unknown: %s", p->chip, p->channel,
				p->found_enable == FAN_PWM_NO_ENABLE ?
				"left at full speed (no pwm_enable)" : "automatic mode (pwm_enable 2)");
		}
	}
	return failed;
}

/* Open every configured fan's pwmN, in order; *@opened counts those open. */
int fan_own_open(struct fan_ctx *c, int *opened)
{
	for (*opened = 0; *opened < c->nfans; (*opened)++) {
		struct fan *f = &c->fans[*opened];
		int rc = fan_pwm_open(&f->pwm, c->root, f->spec, f->channel);

		if (rc) {
			fan_say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Every fan to manual at the safe duty, saying what it was and what it had. */
int fan_own_take(struct fan_ctx *c)
{
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];
		int rc = fan_pwm_take(&f->pwm, fan_pwm_duty_to_raw(c->safe_duty));

		if (rc) {
			fan_say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			return rc;
		}
		f->duty = c->safe_duty;
		if (f->pwm.orig_known)
			fan_say("%s pwm%d: manual control (was enable %ld pwm %ld; original "
				"enable %ld pwm %ld)", f->pwm.chip, f->channel, f->pwm.found_enable,
				f->pwm.found_pwm, f->pwm.orig_enable, f->pwm.orig_pwm);
		else
			fan_say("%s pwm%d: manual control (was enable %ld pwm %ld; original "
				"unknown)", f->pwm.chip, f->channel, f->pwm.found_enable,
				f->pwm.found_pwm);
	}
	return 0;
}

/*
 * The original state of fans 0..@n-1 (opened, not yet written; one that
 * could not be opened is skipped): from the record at c->orig_path where
 * it has the fan; else as found, unless found
 * in manual mode (or without pwmN_enable) -- a manual duty of unknown origin
 * may be a crashed run's own, so it is recorded unknown and never restored
 * as is.  A corrupt, empty or foreign record counts as no record.  The
 * record is then written (atomically) before any fan is: a crash from here
 * on restarts into the same originals.
 * Return: 0 or -errno of writing the record.
 */
int fan_own_record(struct fan_ctx *c, int n)
{
	static struct fan_orig o;   /* large: not on the stack */
	bool dirty;
	int rc = fan_orig_load(c->orig_path, &o);

	if (rc && rc != -ENOENT)
		fan_say("%s: %s: not a record of ours; fans found in manual mode count as of "
			"unknown origin", c->orig_path, rc == -EINVAL ? "corrupt" : strerror(-rc));
	dirty = rc != 0;
	for (int i = 0; i < n; i++) {
		struct fan_pwm *p = &c->fans[i].pwm;
		const struct fan_orig_entry *e;
		struct fan_orig_entry ne = {
			.channel = p->channel, .enable = p->found_enable, .pwm = p->found_pwm,
			.known = p->found_enable != FAN_PWM_NO_ENABLE &&
				 p->found_enable != FAN_PWM_ENABLE_MANUAL,
		};

		if (p->fd_pwm < 0)
			continue;
		e = fan_orig_find(&o, p->chip, p->channel);
		if (!e) {
			snprintf(ne.chip, sizeof(ne.chip), "%s", p->chip);
			rc = fan_orig_add(&o, &ne);
			if (rc)
				return rc;
			e = &o.e[o.n - 1];
			dirty = true;
		}
		p->orig_known = e->known;
		p->orig_enable = e->enable;
		p->orig_pwm = e->pwm;
	}
	return dirty ? fan_orig_save(c->orig_path, &o) : 0;
}

/*
 * After a clean stop that gave every configured fan back, their entries
 * are done: dropped, and the record removed when none is left.  Entries
 * of channels no longer configured -- taken by an earlier run under
 * another configuration, still in manual mode -- stay for the run that
 * takes them next.  A record no longer readable is removed.
 * Return: 0 or -errno of rewriting or removing it.
 */
int fan_own_forget(struct fan_ctx *c)
{
	static struct fan_orig o, keep;   /* large: not on the stack */
	int rc = fan_orig_load(c->orig_path, &o);

	if (rc)
		return rc == -ENOENT ? 0 : fan_orig_remove(c->orig_path);
	keep.n = 0;
	for (int i = 0; i < o.n; i++) {
		bool ours = false;

		for (int k = 0; k < c->nfans && !ours; k++)
			ours = c->fans[k].pwm.channel == o.e[i].channel &&
			       !strcmp(c->fans[k].pwm.chip, o.e[i].chip);
		if (!ours && (rc = fan_orig_add(&keep, &o.e[i])))
			return rc;
	}
	return keep.n ? fan_orig_save(c->orig_path, &keep) : fan_orig_remove(c->orig_path);
}

/*
 * --failsafe (systemd ExecStopPost=): unless the service stopped cleanly
 * ($SERVICE_RESULT=success, set by systemd for ExecStopPost), every
 * configured fan to full speed -- the controller died (SIGKILL, crash,
 * watchdog, stop timeout) and nothing else drives them.  The original
 * state is recorded first if no run did, so a later run still knows it.
 * Return: the exit status (0, or 1 if a fan could not be set).
 */
int fan_own_failsafe(struct fan_ctx *c)
{
	const char *res = getenv("SERVICE_RESULT"), *code = getenv("EXIT_CODE");
	const char *st = getenv("EXIT_STATUS");
	int n = 0, rc, ret = 0;

	if (res && !strcmp(res, "success")) {
		fan_say("--failsafe: the service stopped cleanly: fans left as they are");
		return 0;
	}
	/* Every fan that can be: one missing does not spare the others. */
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];

		rc = fan_pwm_open(&f->pwm, c->root, f->spec, f->channel);
		if (rc) {
			fan_say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			ret = 1;
		}
	}
	/* The record first, if no run made one: full speed is not an original. */
	rc = fan_own_record(c, c->nfans);
	if (rc)
		fan_say("%s: %s", c->orig_path, strerror(-rc));
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];

		if (f->pwm.fd_pwm < 0)
			continue;
		n++;
		rc = fan_pwm_write(&f->pwm, FAN_PWM_MAX, true);
		if (rc)
			rc = fan_pwm_write(&f->pwm, FAN_PWM_MAX, true);
		if (rc) {
			fan_say("%s pwm%d: full speed: %s", f->pwm.chip, f->channel, strerror(-rc));
			ret = 1;
		}
		fan_pwm_close(&f->pwm);
	}
	fan_event_emit(NULL, c->journal,
		       &(struct fan_event){ .type = SOV_EV_FAILSAFE_ENTER, .severity = SOV_SEV_CRIT,
					    .value = 1000, .reason = "controller_died",
					    .mode = "failsafe" },
		       "failsafe: the controller is gone (SERVICE_RESULT=%s EXIT_CODE=%s "
		       "EXIT_STATUS=%s): %d fan(s) at full speed", res ? res : "-",
		       code ? code : "-", st ? st : "-", n);
	return ret;
}
