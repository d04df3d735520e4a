/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_conf.c - sovereign-fan's configuration: the schema of fan.conf, its
 * [fan] settings, each [zone] (sensors, fans, setpoint, PID gains, a
 * stepwise table or an RPM loop), and the command line's overrides on top
 * (fan_conf_load(), at start and on SIGHUP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fan_int.h"
#include "event.h"

/* ---- configuration ---- */

/*
 * The schema: every section and key the loader below reads (load_config(),
 * load_zone(), load_rpm_loop(), load_table()).  Anything else in the file
 * is refused with its file:line, at start and at reload: a misspelt
 * [zone] would leave fans uncontrolled, a misspelt key its default.
 */
static const char *const fan_keys[] = {
	"log", "segment", "state_segment", "root", "period_ms", "stale_periods", "good_samples",
	"min_duty", "safe_duty", "level_start", "level_stale", "level_restart", "level_sensor",
	"level_crit", "level_stall", "state_file", NULL
};
static const char *const zone_keys[] = {
	"sensors", "fans", "setpoint", "kp", "ki", "kd", "d_tau_s", "slew_per_s", "stepwise",
	"hysteresis", "rpm_loop", "rpm_min", "rpm_max", "rpm_kp", "rpm_ki", "rpm_slew_per_s", NULL
};
static const struct rt_conf_schema fan_schema[] = {
	{ "fan", RT_CONF_NO_ARG, fan_keys, NULL },
	{ "zone", RT_CONF_ARG, zone_keys, NULL },
};

/* A real-valued @key of @s within [@lo, @hi] (decimal: no hex, inf or nan); absent: @def. */
static int conf_double(const struct rt_conf_section *s, const char *key, double lo, double hi,
		       double def, double *out, struct rt_err *err)
{
	const char *v = rt_conf_get(s, key);
	char *end;
	double d;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end || errno || !(d >= lo && d <= hi) || strpbrk(v, "xX"))
		return rt_conf_errorf(err, s, key, "'%s' is not a number in [%g, %g]", v, lo, hi);
	*out = d;
	return 0;
}

/* "nct6779:pwm1" or "nct6779/nct6775.656:pwm1" -> chip spec and channel. */
static int parse_fan(const struct rt_conf_section *s, const char *item, struct fan *f,
		     struct rt_err *err)
{
	const char *colon = strrchr(item, ':');
	char *end;
	long ch;

	if (!colon || colon == item || strncmp(colon + 1, "pwm", 3))
		return rt_conf_errorf(err, s, "fans", "'%s' is not CHIP:pwmN", item);
	errno = 0;
	ch = strtol(colon + 4, &end, 10);
	if (end == colon + 4 || *end || errno || ch < 1 || ch > 99)
		return rt_conf_errorf(err, s, "fans", "'%s': channel not in 1..99", item);
	snprintf(f->spec, sizeof(f->spec), "%.*s", (int)(colon - item), item);
	f->channel = (int)ch;
	return 0;
}

static int add_fan(struct fan_ctx *c, const struct rt_conf_section *s, const char *item,
		   struct rt_err *err)
{
	struct fan f;
	int rc = parse_fan(s, item, &f, err);

	if (rc)
		return rc;
	for (int i = 0; i < c->nfans; i++)
		if (!strcmp(c->fans[i].spec, f.spec) && c->fans[i].channel == f.channel)
			return i;
	if (c->nfans == FAN_MAX_FANS)
		return rt_conf_errorf(err, s, "fans", "more than %d fans", FAN_MAX_FANS);
	memset(&c->fans[c->nfans], 0, sizeof(c->fans[0]));
	snprintf(c->fans[c->nfans].spec, sizeof(f.spec), "%s", f.spec);
	c->fans[c->nfans].channel = f.channel;
	c->fans[c->nfans].rpm_idx = -1;
	return c->nfans++;
}

/*
 * "stepwise = 50000:300, 70000:600, 85000:1000" (m°C:per-mille), "hysteresis
 * = 2000".  A step below @min_duty contradicts the floor: refused.
 */
static int load_table(struct fan_zone *z, const struct rt_conf_section *s, int min_duty,
		      struct rt_err *err)
{
	char items[FAN_STEPS_MAX][64];
	struct fan_step pts[FAN_STEPS_MAX];
	long long hyst;
	int n = rt_conf_list(s, "stepwise", items, FAN_STEPS_MAX, err), rc;

	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		char *end, *colon = strchr(items[i], ':');
		long long t, d;

		errno = 0;
		t = colon ? strtoll(items[i], &end, 10) : 0;
		if (!colon || end != colon || errno || t < -50000 || t > 200000)
			return rt_conf_errorf(err, s, "stepwise", "'%s' is not TEMP_mC:DUTY_permille",
					      items[i]);
		d = strtoll(colon + 1, &end, 10);
		if (end == colon + 1 || *end || errno || d < 0 || d > 1000)
			return rt_conf_errorf(err, s, "stepwise", "'%s': duty not in 0..1000", items[i]);
		if (d < min_duty)
			return rt_conf_errorf(err, s, "stepwise",
					      "'%s': duty below min_duty %d, which would override it",
					      items[i], min_duty);
		pts[i].temp = t;
		pts[i].duty = (int)d;
	}
	rc = rt_conf_int(s, "hysteresis", 0, 50000, 2000, &hyst, err);
	if (rc)
		return rc;
	if (fan_stepwise_init(&z->table, pts, n, hyst))
		return rt_conf_errorf(err, s, "stepwise",
				      "temperatures must rise and duties must not fall");
	z->mode = ZONE_TABLE;
	return 0;
}

/*
 * "rpm_loop = yes": the thermal PID's output is an RPM setpoint within
 * [rpm_min, rpm_max]; each fan's inner PI (rpm_kp, rpm_ki, rpm_slew_per_s)
 * drives its duty until its tachometer reads it.  Sets *@scale to convert
 * the duty-unit defaults of the thermal gains into RPM (rpm_max / 1000).
 */
static int load_rpm_loop(struct fan_ctx *c, struct fan_zone *z, const struct rt_conf_section *s,
			 double *scale, struct rt_err *err)
{
	long long lo, hi;
	bool on;
	int rc;

	*scale = 1;
	if ((rc = rt_conf_bool(s, "rpm_loop", false, &on, err)) || !on)
		return rc;
	if ((rc = rt_conf_int(s, "rpm_max", 0, 100000, 0, &hi, err)))
		return rc;
	if (hi < 100)
		return rt_conf_errorf(err, s, "rpm_max",
				      "rpm_loop needs the fans' top speed in RPM (100..100000)");
	if ((rc = rt_conf_int(s, "rpm_min", 0, hi, 0, &lo, err)))
		return rc;
	z->rpm_min = (double)lo;
	z->rpm_max = (double)hi;
	/*
	 * Defaults: a loop gain of about 0.5 on a fan whose speed is roughly
	 * proportional to duty (rpm_max at 1000 per-mille), integral time ~1 s.
	 */
	if ((rc = conf_double(s, "rpm_kp", 0, 10, 500.0 / (double)hi, &z->rpm.kp, err)) ||
	    (rc = conf_double(s, "rpm_ki", 0, 100, 500.0 / (double)hi, &z->rpm.ki, err)) ||
	    (rc = conf_double(s, "rpm_slew_per_s", 0, 100000, 500, &z->rpm.slew_per_s, err)))
		return rc;
	z->rpm.duty_min = c->min_duty;
	z->rpm.duty_max = 1000;
	z->mode = ZONE_RPM;
	*scale = (double)hi / 1000.0;
	return 0;
}

static int load_zone(struct fan_ctx *c, const struct rt_conf_section *s, struct rt_err *err)
{
	struct fan_zone *z = &c->zones[c->nzones];
	struct fan_pid_params p;
	char items[FAN_MAX_FANS][64];
	long long sp;
	double slew, k;
	int n, rc;

	if (c->nzones == FAN_MAX_ZONES)
		return rt_conf_errorf(err, s, NULL, "more than %d zones", FAN_MAX_ZONES);
	memset(z, 0, sizeof(*z));
	if (!s->arg || strlen(s->arg) >= sizeof(z->name))
		return rt_conf_errorf(err, s, NULL, "a zone needs a short name: [zone cpu]");
	snprintf(z->name, sizeof(z->name), "%s", s->arg);
	n = rt_conf_list(s, "sensors", items, FAN_MAX_SENSORS, err);
	if (n < 0)
		return n;
	if (n == 0)
		return rt_conf_errorf(err, s, "sensors", "a zone needs at least one sensor");
	for (int i = 0; i < n; i++) {
		snprintf(z->sens[i].spec, sizeof(z->sens[i].spec), "%s", items[i]);
	}
	z->nsens = n;
	n = rt_conf_list(s, "fans", items, FAN_MAX_FANS, err);
	if (n < 0)
		return n;
	if (n == 0)
		return rt_conf_errorf(err, s, "fans", "a zone needs at least one fan");
	for (int i = 0; i < n; i++) {
		rc = add_fan(c, s, items[i], err);
		if (rc < 0)
			return rc;
		z->fans[z->nfans++] = rc;
	}
	/* 80 °C: a CPU Tctl target with margin to the 95 °C throttle point. */
	rc = rt_conf_int(s, "setpoint", 20000, 110000, 80000, &sp, err);
	if (rc)
		return rc;
	z->setpoint = sp;
	snprintf(z->where, sizeof(z->where), "%s:%d: [zone %s] setpoint", s->file,
		 rt_conf_line(s, "setpoint"), s->arg);
	rc = load_rpm_loop(c, z, s, &k, err);
	if (rc)
		return rc;
	/*
	 * Gains in per-mille of duty per °C (and per °C·s, per °C/s); with
	 * rpm_loop in RPM instead, the defaults and ranges scaled by k.
	 */
	if ((rc = conf_double(s, "kp", 0, 1000 * k, 20 * k, &p.kp, err)) ||
	    (rc = conf_double(s, "ki", 0, 1000 * k, 2 * k, &p.ki, err)) ||
	    (rc = conf_double(s, "kd", 0, 10000 * k, 0, &p.kd, err)) ||
	    (rc = conf_double(s, "d_tau_s", 0, 600, 2, &p.d_tau_s, err)) ||
	    (rc = conf_double(s, "slew_per_s", 0, 100000 * k, 200 * k, &slew, err)))
		return rc;
	p.out_min = z->mode == ZONE_RPM ? z->rpm_min : c->min_duty;
	p.out_max = z->mode == ZONE_RPM ? z->rpm_max : 1000;
	p.slew_per_s = slew;
	if (fan_pid_init(&z->pid, &p, p.out_max))
		return rt_conf_errorf(err, s, NULL, "inconsistent PID parameters");
	if (z->mode == ZONE_RPM && rt_conf_get(s, "stepwise"))
		return rt_conf_errorf(err, s, "stepwise", "a zone has a table or rpm_loop, not both");
	rc = load_table(z, s, c->min_duty, err);
	if (rc)
		return rc;
	for (int i = 0; z->mode == ZONE_RPM && i < z->nfans; i++) {
		struct fan *f = &c->fans[z->fans[i]];

		if (f->rpm_cfg)
			continue;   /* in two RPM zones: the first one's tuning */
		f->rpmp = z->rpm;
		f->rpm_cfg = true;
		if (fan_rpm_init(&f->rpm_pi, &f->rpmp, c->safe_duty))
			return rt_conf_errorf(err, s, "rpm_kp", "inconsistent inner loop parameters");
	}
	fan_fs_init(&z->fs, (uint32_t)c->good_samples);
	z->out = c->safe_duty;
	z->duty_now = c->safe_duty;
	c->nzones++;
	return 0;
}

/* "log = auto | journal | stderr": where the events go. */
static int load_log(const struct rt_conf_section *s, enum fan_log *log, struct rt_err *err)
{
	char logv[16];
	int rc = rt_conf_str(s, "log", "auto", logv, sizeof(logv), err);

	if (rc)
		return rc;
	if (!strcmp(logv, "auto"))
		*log = FAN_LOG_AUTO;
	else if (!strcmp(logv, "journal"))
		*log = FAN_LOG_JOURNAL;
	else if (!strcmp(logv, "stderr"))
		*log = FAN_LOG_STDERR;
	else
		return rt_conf_errorf(err, s, "log", "'%s' is not auto, journal or stderr", logv);
	return 0;
}

/* The segments, root, period, staleness and the record of the originals. */
static int load_places(struct fan_ctx *c, const struct rt_conf_section *s, struct rt_err *err)
{
	char orig_def[PATH_MAX];
	int rc;

	if ((rc = rt_conf_str(s, "segment", SOV_SHM_DEFAULT_NAME, c->segment, sizeof(c->segment), err)) ||
	    (rc = rt_conf_str(s, "state_segment", "/sovereign-fan", c->state_segment,
			   sizeof(c->state_segment), err)) ||
	    (!c->root[0] && (rc = rt_conf_str(s, "root", "", c->root, sizeof(c->root), err))) ||
	    (rc = rt_conf_int(s, "period_ms", 0, 60000, 0, &c->period_ms, err)) ||
	    (rc = rt_conf_int(s, "stale_periods", 1, 1000, 3, &c->stale_periods, err)) ||
	    (rc = rt_conf_int(s, "good_samples", 1, 1000, 3, &c->good_samples, err)))
		return rc;
	/* The record of the original pwm state: under the root, like the tree. */
	snprintf(orig_def, sizeof(orig_def), "%s%s", c->root, FAN_ORIG_DEFAULT);
	if ((rc = rt_conf_str(s, "state_file", orig_def, c->orig_path, sizeof(c->orig_path), err)))
		return rc;
	if (c->orig_path[0] != '/')
		return rt_conf_errorf(err, s, "state_file", "'%s' is not an absolute path",
				      c->orig_path);
	return 0;
}

/* min_duty, safe_duty and the failsafe level of each condition. */
static int load_duties(struct fan_ctx *c, const struct rt_conf_section *s, struct rt_err *err)
{
	static const char *const level_keys[FAN_FS_NCOND] = {
		[FAN_FS_START] = "level_start",   [FAN_FS_STALE] = "level_stale",
		[FAN_FS_RESTART] = "level_restart", [FAN_FS_SENSOR] = "level_sensor",
		[FAN_FS_CRIT] = "level_crit",     [FAN_FS_STALL] = "level_stall",
	};
	long long v;
	int rc;

	/*
	 * The floor: a controller elsewhere that wrote 0 caused a thermal
	 * shutdown.  No duty below it is ever written, failsafe or not, and
	 * no configuration may set it to 0.
	 */
	if ((rc = rt_conf_int(s, "min_duty", 0, 1000, 200, &v, err)))
		return rc;
	if (v == 0)
		return rt_conf_errorf(err, s, "min_duty", "0 would let the fans stop: at least 1");
	c->min_duty = (int)v;
	if ((rc = rt_conf_int(s, "safe_duty", c->min_duty, 1000, 1000, &v, err)))
		return rc;
	c->safe_duty = (int)v;
	for (unsigned i = 0; i < FAN_FS_NCOND; i++) {
		/* No key: a fan that cannot be written leaves its zone's others at full speed. */
		if (!level_keys[i]) {
			c->levels[i] = 1000;
			continue;
		}
		rc = rt_conf_int(s, level_keys[i], c->min_duty, 1000,
				 i == FAN_FS_START ? c->safe_duty : 1000, &v, err);
		if (rc)
			return rc;
		c->levels[i] = (int)v;
	}
	return 0;
}

static int load_config(struct fan_ctx *c, const char *path, struct rt_err *err)
{
	struct rt_config cfg = { 0 };
	const struct rt_conf_section *s;
	int rc;

	rc = rt_config_load(path, &cfg, err);
	if (rc)
		return rc;
	rc = rt_config_check(&cfg, fan_schema, sizeof(fan_schema) / sizeof(fan_schema[0]), err);
	if (rc)
		goto out;
	s = rt_config_section(&cfg, "fan", NULL);
	if ((rc = load_log(s, &c->log, err)) || (rc = load_places(c, s, err)) ||
	    (rc = load_duties(c, s, err)))
		goto out;
	for (size_t i = 0; i < cfg.nsec; i++) {
		if (strcmp(cfg.sec[i].name, "zone"))
			continue;
		rc = load_zone(c, &cfg.sec[i], err);
		if (rc)
			goto out;
	}
	if (!c->nzones)
		rc = rt_config_errorf(err, &cfg, 0, "no [zone NAME] section: no fan would be "
				      "controlled");
out:
	rt_config_free(&cfg);
	return rc;
}
/* ---- SIGHUP: reload ---- */

/* The configuration c->conf_path, with the command line's overrides, into the zeroed @n. */
int fan_conf_load(struct fan_ctx *n, const struct fan_ctx *c, struct rt_err *err)
{
	int rc;

	snprintf(n->root, sizeof(n->root), "%s", c->root_cli);
	rc = load_config(n, c->conf_path, err);
	if (rc)
		return rc;
	if (c->segment_cli[0])
		snprintf(n->segment, sizeof(n->segment), "%s", c->segment_cli);
	if (c->state_cli[0])
		snprintf(n->state_segment, sizeof(n->state_segment), "%s", c->state_cli);
	if (c->orig_cli[0])
		snprintf(n->orig_path, sizeof(n->orig_path), "%s", c->orig_cli);
	return 0;
}
