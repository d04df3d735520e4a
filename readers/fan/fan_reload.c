/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_reload.c - sovereign-fan's SIGHUP: the configuration re-read, checked
 * against the running zone/fan set and the segment's limits, and applied in
 * place without a bump -- or refused, the running one kept.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "fan_int.h"
#include "event.h"

/*
 * Is @n's zone/fan set the running one's?  Return NULL, or what differs
 * (written into @buf).  Zones and fans are compared in order: the same
 * zone names with the same fans, the same fans (chip, channel), the same
 * segments and root.  Sensors, setpoints, gains, modes, levels, limits
 * may differ.
 */
static const char *set_changed(const struct fan_ctx *c, const struct fan_ctx *n, char *buf,
			       size_t len)
{
	if (strcmp(c->segment, n->segment) || strcmp(c->state_segment, n->state_segment) ||
	    strcmp(c->root, n->root) || strcmp(c->orig_path, n->orig_path))
		return "segment, state_segment, root or state_file";
	if (c->nzones != n->nzones || c->nfans != n->nfans)
		return "the number of zones or fans";
	for (int i = 0; i < c->nfans; i++) {
		if (strcmp(c->fans[i].spec, n->fans[i].spec) || c->fans[i].channel != n->fans[i].channel) {
			snprintf(buf, len, "fan %s:pwm%d", c->fans[i].spec, c->fans[i].channel);
			return buf;
		}
	}
	for (int zi = 0; zi < c->nzones; zi++) {
		const struct fan_zone *a = &c->zones[zi], *b = &n->zones[zi];

		if (strcmp(a->name, b->name) || a->nfans != b->nfans ||
		    memcmp(a->fans, b->fans, sizeof(a->fans[0]) * (size_t)a->nfans)) {
			snprintf(buf, len, "zone %s", a->name);
			return buf;
		}
	}
	return NULL;
}

/*
 * Take over @n's settings in place.  Controller state stays: failsafe
 * state and good-sample counts, the integrals (retuned, clamped into the
 * new limits), the table's step and the inner loops -- a zone whose mode
 * changed restarts bumplessly from what its fans do now.
 */
static void apply_config(struct fan_ctx *c, const struct fan_ctx *n)
{
	c->period_ms = n->period_ms;
	c->min_duty = n->min_duty;
	c->safe_duty = n->safe_duty;
	c->stale_periods = n->stale_periods;
	c->good_samples = n->good_samples;
	memcpy(c->levels, n->levels, sizeof(c->levels));
	c->log = n->log;
	c->journal = fan_log_use_journal(c->log);
	for (int zi = 0; zi < c->nzones; zi++) {
		struct fan_zone *z = &c->zones[zi];
		const struct fan_zone *nz = &n->zones[zi];

		memcpy(z->sens, nz->sens, sizeof(z->sens));
		z->nsens = nz->nsens;
		z->setpoint = nz->setpoint;
		z->fs.need_good = nz->fs.need_good;
		z->rpm_min = nz->rpm_min;
		z->rpm_max = nz->rpm_max;
		z->rpm = nz->rpm;
		if (nz->mode == ZONE_TABLE) {
			int level = z->mode == ZONE_TABLE ? z->table.level : -1;

			z->table = nz->table;
			if (level < z->table.n)
				z->table.level = level;
		}
		if (nz->mode == z->mode) {
			fan_pid_retune(&z->pid, &nz->pid.p);   /* validated by load_zone() */
		} else {
			z->pid = nz->pid;
			z->mode = nz->mode;
			if (!z->fs.in)
				fan_zone_bumpless_start(c, z);
		}
	}
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];
		const struct fan *nf = &n->fans[i];

		if (nf->rpm_cfg && f->rpm_cfg)
			fan_rpm_retune(&f->rpm_pi, &nf->rpmp);
		else if (nf->rpm_cfg)
			fan_rpm_init(&f->rpm_pi, &nf->rpmp, f->duty);
		f->rpm_cfg = nf->rpm_cfg;
		f->rpmp = nf->rpmp;
		if (!f->rpm_cfg)
			f->rpm_on = false;
	}
	if (c->r)
		fan_resolve(c);   /* the sensors may have changed */
}

/*
 * SIGHUP: re-read the configuration.  A bad file, or one that changes the
 * zone/fan set, is refused and the running configuration kept; otherwise
 * applied in place, bumplessly.  Either way an event says which.
 */
void fan_reload(struct fan_ctx *c)
{
	static struct fan_ctx n;   /* large: not on the stack */
	struct rt_err err = { "" };
	char buf[96];
	const char *diff;
	int rc;

	memset(&n, 0, sizeof(n));
	rc = fan_conf_load(&n, c, &err);
	if (!rc && c->r) {
		/* The new setpoints against the segment's limits: n borrows the reader. */
		n.r = c->r;
		fan_zones_resolve(&n, true);
		rc = fan_zones_check_setpoints(&n, &err);
		n.r = NULL;
	}
	if (rc) {
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_CONFIG, .severity = SOV_SEV_ERR,
						    .reason = "invalid", .text = "reload refused: invalid" },
			       "reload refused, running configuration kept: %s", err.msg);
		return;
	}
	diff = set_changed(c, &n, buf, sizeof(buf));
	if (diff) {
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_CONFIG, .severity = SOV_SEV_ERR,
						    .reason = "set_changed",
						    .text = "reload refused: zone/fan set changed" },
			       "reload refused, running configuration kept: %s changed; restart the "
			       "service to change the zone/fan set", diff);
		return;
	}
	apply_config(c, &n);
	fan_event_emit(c->w, c->journal,
		       &(struct fan_event){ .type = SOV_EV_CONFIG, .severity = SOV_SEV_NOTICE,
					    .reason = "reload", .text = "configuration reloaded" },
		       "configuration reloaded from %s", c->conf_path);
}
