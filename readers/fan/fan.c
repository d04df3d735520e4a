/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan.c - sovereign-fan, the fan PID actuator: reads the sampler's segment
 * read-only, runs one PID (pid.c) per thermal zone -- or a table
 * (stepwise.c), or a PID whose output is an RPM setpoint followed by an
 * inner speed loop per fan (rpm.c) -- drives hwmon pwmN (pwm.c), fails
 * safe (failsafe.c), publishes its own state and events into a segment of
 * its own and the events to the journal (event.c), and re-reads its
 * configuration on SIGHUP.  The fans' original state is recorded before
 * the first write and given back on stop (origstate.c); --failsafe sets
 * full speed after an unclean stop (systemd ExecStopPost=).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "failsafe.h"
#include "origstate.h"
#include "pid.h"
#include "pwm.h"
#include "rpm.h"
#include "sovereign.h"
#include "stepwise.h"

#define FAN_MAX_ZONES    8
#define FAN_MAX_FANS     16
#define FAN_MAX_SENSORS  16      /* specs per zone */
#define FAN_MAX_MATCHES  64      /* sensors those specs match, per zone */
#define FAN_STATE_PER_ZONE 5     /* input, setpoint, duty, failsafe, rpm-target */
#define NS_PER_S         1000000000LL
/* The record of the fans' original state (origstate.h), under --root. */
#define FAN_ORIG_DEFAULT "/run/sovereign/fan-original.state"
/*
 * A zone input outside these is no temperature any sensor gives: -128 °C
 * is an 8-bit sensor's "no diode" value, below -40 °C no server runs (the
 * JC-42.4 extended range ends there), above 150 °C every die has shut
 * down.  Such a reading is invalid input, never a cool temperature.
 */
#define FAN_TEMP_MIN_MC  (-40000)
#define FAN_TEMP_MAX_MC  150000

/*
 * One sensor spec of a zone, as configured ("k10temp:Tctl", "Tctl", or
 * "jc42:temp1" matching every DIMM), and whether it matched anything.
 */
struct zone_sensor {
	char spec[64];
	bool found;
};

/* How a zone computes what its fans get when it is not failing safe. */
enum zone_mode {
	ZONE_PID = 0,    /* thermal PID -> duty */
	ZONE_TABLE = 1,  /* stepwise table -> duty */
	ZONE_RPM = 2,    /* thermal PID -> RPM setpoint -> each fan's inner loop -> duty */
};

struct zone {
	char name[32];
	struct zone_sensor sens[FAN_MAX_SENSORS];
	int nsens;
	int idx[FAN_MAX_MATCHES];  /* sampler's table indices every spec matched */
	int nidx;
	int fans[FAN_MAX_FANS];  /* indices into ctx.fans */
	int nfans;
	int64_t setpoint;        /* m°C */
	enum zone_mode mode;
	struct fan_stepwise table;
	struct fan_pid pid;      /* ZONE_RPM: output in RPM, within [rpm_min, rpm_max] */
	struct fan_fs fs;
	double rpm_min, rpm_max; /* ZONE_RPM: the range of the RPM setpoint */
	struct fan_rpm_params rpm; /* ZONE_RPM: its fans' inner loop tuning */
	int out;                 /* per-mille asked for this period, directly */
	double rpm_sp;           /* ZONE_RPM, not failing safe: RPM its fans follow; else 0 */
	int duty_now;            /* per-mille its fans got (published as -duty) */
	int64_t input;           /* m°C, the zone's hottest sensor */
	bool input_ok;
	char why[64];            /* which input failed it safe ("jc42:DIMM A1 4.1 s old"), or "" */
	char where[160];         /* "fan.conf:13: [zone cpu] setpoint", for checks against the segment */
};

struct fan {
	char spec[64];           /* chip as configured: "nct6779" */
	int channel;
	struct fan_pwm pwm;
	int rpm_idx;             /* fanN in the sampler's table, -1 none */
	int64_t rpm;             /* fanN this period, -1 unknown */
	bool rpm_cfg;            /* in a ZONE_RPM zone: has an inner loop */
	bool rpm_on;             /* the inner loop drove it last period */
	struct fan_rpm_params rpmp; /* from the first ZONE_RPM zone listing it */
	struct fan_pid rpm_pi;   /* the inner loop (rpm.h) */
	int duty;                /* per-mille on the chip: the last duty pwmN took */
	bool tampered;           /* another writer seen, not yet said cleared */
	int werr;                /* -errno of this period's failed write (after the retry), or 0 */
};

struct ctx {
	/* configuration */
	char root[PATH_MAX];
	char segment[64];
	char state_segment[64];
	char orig_path[PATH_MAX]; /* the record of the fans' original state */
	long long period_ms;     /* 0: the sampler's */
	int min_duty, safe_duty;
	long long stale_periods, good_samples;
	int levels[FAN_FS_NCOND];
	enum fan_log log;
	struct zone zones[FAN_MAX_ZONES];
	int nzones;
	struct fan fans[FAN_MAX_FANS];
	int nfans;
	/* command line (kept for reloads) */
	char conf_path[PATH_MAX];
	char root_cli[PATH_MAX], segment_cli[64], state_cli[64], orig_cli[PATH_MAX];
	/* run time */
	bool journal;            /* events to the journal, else stderr */
	struct sov_reader *r;
	struct sov_sample *s;
	uint64_t last_number;
	int64_t sampler_period_ns;
	struct sov_writer *w;
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	/* stderr: journald takes it from there under systemd. */
	fputs("sovereign-fan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

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

static int add_fan(struct ctx *c, const struct rt_conf_section *s, const char *item,
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
static int load_table(struct zone *z, const struct rt_conf_section *s, int min_duty,
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
static int load_rpm_loop(struct ctx *c, struct zone *z, const struct rt_conf_section *s,
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

static int load_zone(struct ctx *c, const struct rt_conf_section *s, struct rt_err *err)
{
	struct zone *z = &c->zones[c->nzones];
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

static int load_config(struct ctx *c, const char *path, struct rt_err *err)
{
	static const char *const level_keys[FAN_FS_NCOND] = {
		[FAN_FS_START] = "level_start",   [FAN_FS_STALE] = "level_stale",
		[FAN_FS_RESTART] = "level_restart", [FAN_FS_SENSOR] = "level_sensor",
		[FAN_FS_CRIT] = "level_crit",     [FAN_FS_STALL] = "level_stall",
	};
	struct rt_config cfg = { 0 };
	const struct rt_conf_section *s;
	char logv[16], orig_def[PATH_MAX];
	long long v;
	int rc;

	rc = rt_config_load(path, &cfg, err);
	if (rc)
		return rc;
	rc = rt_config_check(&cfg, fan_schema, sizeof(fan_schema) / sizeof(fan_schema[0]), err);
	if (rc)
		goto out;
	s = rt_config_section(&cfg, "fan", NULL);
	if ((rc = rt_conf_str(s, "log", "auto", logv, sizeof(logv), err)))
		goto out;
	if (!strcmp(logv, "auto")) {
		c->log = FAN_LOG_AUTO;
	} else if (!strcmp(logv, "journal")) {
		c->log = FAN_LOG_JOURNAL;
	} else if (!strcmp(logv, "stderr")) {
		c->log = FAN_LOG_STDERR;
	} else {
		rc = rt_conf_errorf(err, s, "log", "'%s' is not auto, journal or stderr", logv);
		goto out;
	}
	if ((rc = rt_conf_str(s, "segment", SOV_SHM_DEFAULT_NAME, c->segment, sizeof(c->segment), err)) ||
	    (rc = rt_conf_str(s, "state_segment", "/sovereign-fan", c->state_segment,
			   sizeof(c->state_segment), err)) ||
	    (!c->root[0] && (rc = rt_conf_str(s, "root", "", c->root, sizeof(c->root), err))) ||
	    (rc = rt_conf_int(s, "period_ms", 0, 60000, 0, &c->period_ms, err)) ||
	    (rc = rt_conf_int(s, "stale_periods", 1, 1000, 3, &c->stale_periods, err)) ||
	    (rc = rt_conf_int(s, "good_samples", 1, 1000, 3, &c->good_samples, err)))
		goto out;
	/* The record of the original pwm state: under the root, like the tree. */
	snprintf(orig_def, sizeof(orig_def), "%s%s", c->root, FAN_ORIG_DEFAULT);
	if ((rc = rt_conf_str(s, "state_file", orig_def, c->orig_path, sizeof(c->orig_path), err)))
		goto out;
	if (c->orig_path[0] != '/') {
		rc = rt_conf_errorf(err, s, "state_file", "'%s' is not an absolute path", c->orig_path);
		goto out;
	}
	/*
	 * The floor: a controller elsewhere that wrote 0 caused a thermal
	 * shutdown.  No duty below it is ever written, failsafe or not, and
	 * no configuration may set it to 0.
	 */
	if ((rc = rt_conf_int(s, "min_duty", 0, 1000, 200, &v, err)))
		goto out;
	if (v == 0) {
		rc = rt_conf_errorf(err, s, "min_duty", "0 would let the fans stop: at least 1");
		goto out;
	}
	c->min_duty = (int)v;
	if ((rc = rt_conf_int(s, "safe_duty", c->min_duty, 1000, 1000, &v, err)))
		goto out;
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
			goto out;
		c->levels[i] = (int)v;
	}
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
static void resolve_zones(struct ctx *c, bool quiet)
{
	uint32_t n = sov_reader_nsensors(c->r);
	struct sov_sensor d;

	for (int zi = 0; zi < c->nzones; zi++) {
		struct zone *z = &c->zones[zi];

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
				say("zone %s: sensor %s not in %s: failing safe", z->name, z->sens[i].spec,
				    c->segment);
		}
	}
}

/*
 * A zone setpoint at or above the critical limit (the sampler's crit_hi)
 * of one of its sensors contradicts the hardware: the PID would hold the
 * temperature at the limit, failing safe on and off.  Zones must be
 * resolved (resolve_zones()).  Return: 0, or -EINVAL with @err naming the
 * setpoint's file:line, the sensor and its limit.
 */
static int check_setpoints(const struct ctx *c, struct rt_err *err)
{
	struct sov_sensor d;
	char name[64];

	for (int zi = 0; zi < c->nzones; zi++) {
		const struct zone *z = &c->zones[zi];

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
static void resolve(struct ctx *c)
{
	resolve_zones(c, false);
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
static uint32_t read_segment(struct ctx *c, bool *new_sample)
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
		resolve(c);
	}
	rc = sov_reader_status(c->r);
	if (rc == -SOV_ERESTARTED) {
		if (sov_reader_reattach(c->r) == 0) {
			sov_sample_free(c->s);
			c->s = sov_sample_alloc(c->r);
			if (c->s)
				resolve(c);
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
static void zone_why(struct zone *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void zone_why(struct zone *z, const char *fmt, ...)
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
static uint32_t zone_conditions(struct ctx *c, struct zone *z, int64_t now)
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
static void read_fans(struct ctx *c, bool have_sample)
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

static const char *mode_name(enum zone_mode m)
{
	return m == ZONE_TABLE ? "stepwise" : m == ZONE_RPM ? "rpm" : "pid";
}

/*
 * Bumpless (re)start of @z's controller from what its fans do now: on
 * leaving failsafe and on a mode change by reload.  A PID restarts from
 * the duty the fans have, the RPM PID from the fastest fan's speed; both
 * then slew down from the failsafe level instead of dropping.
 */
static void bumpless_start(struct ctx *c, struct zone *z)
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

static void describe(uint32_t active, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < FAN_FS_NCOND; i++)
		if (active & (1u << i))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
						off ? "," : "", fan_fs_cond_name(i));
}

/* ---- own state segment ---- */

static int create_state(struct ctx *c, int64_t period_ns)
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

static void publish_state(struct ctx *c, int64_t now)
{
	struct sov_slot *st = sov_writer_stage(c->w);
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	st->mono_ns = (uint64_t)now;
	st->real_ns = (uint64_t)rt.tv_sec * NS_PER_S + (uint64_t)rt.tv_nsec;
	for (int zi = 0; zi < c->nzones; zi++) {
		struct zone *z = &c->zones[zi];
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
static int fan_set(struct ctx *c, struct fan *f, int duty, bool reassert)
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
static uint32_t zone_pwm_faults(const struct ctx *c, const struct zone *z)
{
	for (int i = 0; i < z->nfans; i++)
		if (c->fans[z->fans[i]].werr)
			return 1u << FAN_FS_PWM;
	return 0;
}

static void drive_fans(struct ctx *c, double dt_s)
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
			const struct zone *z = &c->zones[zi];

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

/*
 * Give fans 0..@n-1 back: the original state where the record knows it,
 * else automatic mode (full speed on a chip without it or refusing it).
 * Return: how many could not be given back.
 */
static int restore_fans(struct ctx *c, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		struct fan_pwm *p = &c->fans[i].pwm;
		bool owned = p->owned;
		int rc = fan_pwm_restore(p);

		if (rc) {
			say("%s pwm%d: restore: %s", p->chip, p->channel, strerror(-rc));
			failed++;
		} else if (owned && p->orig_known) {
			say("%s pwm%d: original restored (enable %ld pwm %ld)", p->chip, p->channel,
			    p->orig_enable, p->orig_pwm);
		} else if (owned) {
			say("%s pwm%d: original unknown: %s", p->chip, p->channel,
			    p->found_enable == FAN_PWM_NO_ENABLE ? "left at full speed (no pwm_enable)"
								 : "automatic mode (pwm_enable 2)");
		}
	}
	return failed;
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
static int record_originals(struct ctx *c, int n)
{
	static struct fan_orig o;   /* large: not on the stack */
	bool dirty;
	int rc = fan_orig_load(c->orig_path, &o);

	if (rc && rc != -ENOENT)
		say("%s: %s: not a record of ours; fans found in manual mode count as of unknown "
		    "origin", c->orig_path, rc == -EINVAL ? "corrupt" : strerror(-rc));
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
static int forget_originals(struct ctx *c)
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
static int failsafe_mode(struct ctx *c)
{
	const char *res = getenv("SERVICE_RESULT"), *code = getenv("EXIT_CODE");
	const char *st = getenv("EXIT_STATUS");
	int n = 0, rc, ret = 0;

	if (res && !strcmp(res, "success")) {
		say("--failsafe: the service stopped cleanly: fans left as they are");
		return 0;
	}
	/* Every fan that can be: one missing does not spare the others. */
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];

		rc = fan_pwm_open(&f->pwm, c->root, f->spec, f->channel);
		if (rc) {
			say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			ret = 1;
		}
	}
	/* The record first, if no run made one: full speed is not an original. */
	rc = record_originals(c, c->nfans);
	if (rc)
		say("%s: %s", c->orig_path, strerror(-rc));
	for (int i = 0; i < c->nfans; i++) {
		struct fan *f = &c->fans[i];

		if (f->pwm.fd_pwm < 0)
			continue;
		n++;
		rc = fan_pwm_write(&f->pwm, FAN_PWM_MAX, true);
		if (rc)
			rc = fan_pwm_write(&f->pwm, FAN_PWM_MAX, true);
		if (rc) {
			say("%s pwm%d: full speed: %s", f->pwm.chip, f->channel, strerror(-rc));
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

/* ---- the loop ---- */

/* One zone's failsafe transition @e as an event with its reason. */
static void zone_event(struct ctx *c, struct zone *z, enum fan_fs_edge e)
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
						    .mode = mode_name(z->mode), .text = text },
			       "zone %s: failsafe over after %lld good samples, back to %s control",
			       z->name, c->good_samples, mode_name(z->mode));
	}
}

/*
 * A fan that could not be written this period fails its zones safe at
 * once (FAN_FS_PWM, with an event naming it): their other fans get the
 * failsafe level now, not a period later.
 */
static void pwm_failsafe(struct ctx *c)
{
	for (int zi = 0; zi < c->nzones; zi++) {
		struct zone *z = &c->zones[zi];
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

static void control(struct ctx *c, int64_t now, double dt_s)
{
	bool new_sample;
	uint32_t global = read_segment(c, &new_sample);

	read_fans(c, !global);
	for (int zi = 0; zi < c->nzones; zi++) {
		struct zone *z = &c->zones[zi];
		uint32_t active = global ? global : zone_conditions(c, z, now);
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
			bumpless_start(c, z);
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
		struct zone *z = &c->zones[zi];
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
	publish_state(c, now);
}

/* ---- SIGHUP: reload ---- */

/* The configuration @path, with the command line's overrides, into the zeroed @n. */
static int load_with_cli(struct ctx *n, const struct ctx *c, struct rt_err *err)
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

/*
 * Is @n's zone/fan set the running one's?  Return NULL, or what differs
 * (written into @buf).  Zones and fans are compared in order: the same
 * zone names with the same fans, the same fans (chip, channel), the same
 * segments and root.  Sensors, setpoints, gains, modes, levels, limits
 * may differ.
 */
static const char *set_changed(const struct ctx *c, const struct ctx *n, char *buf, size_t len)
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
		const struct zone *a = &c->zones[zi], *b = &n->zones[zi];

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
static void apply_config(struct ctx *c, const struct ctx *n)
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
		struct zone *z = &c->zones[zi];
		const struct zone *nz = &n->zones[zi];

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
				bumpless_start(c, z);
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
		resolve(c);   /* the sensors may have changed */
}

/*
 * SIGHUP: re-read the configuration.  A bad file, or one that changes the
 * zone/fan set, is refused and the running configuration kept; otherwise
 * applied in place, bumplessly.  Either way an event says which.
 */
static void reload(struct ctx *c)
{
	static struct ctx n;   /* large: not on the stack */
	struct rt_err err = { "" };
	char buf[96];
	const char *diff;
	int rc;

	memset(&n, 0, sizeof(n));
	rc = load_with_cli(&n, c, &err);
	if (!rc && c->r) {
		/* The new setpoints against the segment's limits: n borrows the reader. */
		n.r = c->r;
		resolve_zones(&n, true);
		rc = check_setpoints(&n, &err);
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

static void ts_add(struct timespec *t, int64_t ns)
{
	t->tv_nsec += ns % NS_PER_S;
	t->tv_sec += ns / NS_PER_S + t->tv_nsec / NS_PER_S;
	t->tv_nsec %= NS_PER_S;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * NS_PER_S + t->tv_nsec;
}

static void run(struct ctx *c, int64_t period_ns)
{
	struct timespec next;
	int64_t prev = mono_ns();

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_requested) {
		int64_t now = mono_ns();
		int rc;

		if (reload_requested) {
			reload_requested = 0;
			reload(c);
		}
		control(c, now, (double)(now - prev) / NS_PER_S);
		prev = now;
		if (c->period_ms)
			period_ns = c->period_ms * 1000000;
		else if (c->r)
			period_ns = c->sampler_period_ns;
		ts_add(&next, period_ns);
		/* Overslept (stopped, swapped): skip the missed deadlines, do not burst. */
		while (ts_ns(&next) <= mono_ns())
			ts_add(&next, period_ns);
		/* clock_nanosleep returns its error; EINTR is a stop or reload signal. */
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (rc && rc != EINTR)
			say("clock_nanosleep: %s", strerror(rc));
	}
}

static void usage(FILE *f)
{
	fputs("Usage: sovereign-fan -c CONF [--root DIR] [--segment NAME] [--state-segment NAME]\n"
	      "                     [--state-file PATH] [--failsafe]\n"
	      "Drive the fans from the sampler's segment; fail safe to full speed.\n"
	      "SIGHUP re-reads CONF (see readers/fan/README.md).\n"
	      "--failsafe: every configured fan to full speed and exit, unless\n"
	      "  $SERVICE_RESULT is \"success\" (systemd ExecStopPost= after a clean stop).\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "segment", required_argument, NULL, 's' },
		{ "state-segment", required_argument, NULL, 'S' },
		{ "state-file", required_argument, NULL, 'o' },
		{ "failsafe", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct ctx c;
	const char *conf = NULL, *seg = NULL, *state = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct rt_err err = { "" };
	int64_t period_ns = NS_PER_S;
	int opt, rc, opened = 0;
	bool failsafe = false;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'r': snprintf(c.root_cli, sizeof(c.root_cli), "%s", optarg); break;
		case 's': seg = optarg; break;
		case 'S': state = optarg; break;
		case 'o': snprintf(c.orig_cli, sizeof(c.orig_cli), "%s", optarg); break;
		case 'F': failsafe = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}
	snprintf(c.conf_path, sizeof(c.conf_path), "%s", conf);
	snprintf(c.segment_cli, sizeof(c.segment_cli), "%s", seg ? seg : "");
	snprintf(c.state_cli, sizeof(c.state_cli), "%s", state ? state : "");
	if (load_with_cli(&c, &c, &err)) {
		say("%s", err.msg);
		return 1;
	}
	c.journal = fan_log_use_journal(c.log);
	if (failsafe)
		return failsafe_mode(&c);

	/* No SA_RESTART: the signal must cut the sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* The period: configured, else the sampler's, else 1 s. */
	if (sov_reader_open(c.segment, NULL, &c.r) == 0) {
		c.s = sov_sample_alloc(c.r);
		if (!c.s) {
			sov_reader_close(c.r);
			c.r = NULL;
		}
	}
	if (c.period_ms)
		period_ns = c.period_ms * 1000000;
	else if (c.r && sov_reader_header(c.r)->period_ns > 0)
		period_ns = (int64_t)sov_reader_header(c.r)->period_ns;

	rc = create_state(&c, period_ns);
	if (rc) {
		say("state segment %s: %s", c.state_segment, sov_strerror(rc));
		goto err_close_reader;
	}
	for (opened = 0; opened < c.nfans; opened++) {
		struct fan *f = &c.fans[opened];

		rc = fan_pwm_open(&f->pwm, c.root, f->spec, f->channel);
		if (rc) {
			say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			goto err_restore;
		}
	}
	/* A setpoint the hardware contradicts is refused before any fan is touched. */
	if (c.r) {
		resolve_zones(&c, true);
		rc = check_setpoints(&c, &err);
		if (rc) {
			say("%s", err.msg);
			goto err_restore;
		}
	}
	/* The original state on record before the first write. */
	rc = record_originals(&c, c.nfans);
	if (rc) {
		say("%s: %s: not touching the fans without a record of their original state",
		    c.orig_path, strerror(-rc));
		goto err_restore;
	}
	/* Take every fan, at the safe duty until the first good readings. */
	for (int i = 0; i < c.nfans; i++) {
		struct fan *f = &c.fans[i];

		rc = fan_pwm_take(&f->pwm, fan_pwm_duty_to_raw(c.safe_duty));
		if (rc) {
			say("fan %s:pwm%d: %s", f->spec, f->channel, strerror(-rc));
			goto err_restore;
		}
		f->duty = c.safe_duty;
		if (f->pwm.orig_known)
			say("%s pwm%d: manual control (was enable %ld pwm %ld; original enable %ld "
			    "pwm %ld)", f->pwm.chip, f->channel, f->pwm.found_enable,
			    f->pwm.found_pwm, f->pwm.orig_enable, f->pwm.orig_pwm);
		else
			say("%s pwm%d: manual control (was enable %ld pwm %ld; original unknown)",
			    f->pwm.chip, f->channel, f->pwm.found_enable, f->pwm.found_pwm);
	}
	if (c.r)
		resolve(&c);   /* after the fans: the tachometers need the chips' names */
	for (int zi = 0; zi < c.nzones; zi++) {
		char why[SOV_EVENT_TEXT_LEN];

		snprintf(why, sizeof(why), "start zone=%s", c.zones[zi].name);
		fan_event_emit(c.w, c.journal,
			       &(struct fan_event){ .type = SOV_EV_FAILSAFE_ENTER,
						    .severity = SOV_SEV_NOTICE, .value = c.safe_duty,
						    .zone = c.zones[zi].name, .reason = "start",
						    .mode = "failsafe", .text = why },
			       "zone %s: failsafe (start) at duty %d.%d %% until good readings, then %s",
			       c.zones[zi].name, c.safe_duty / 10, c.safe_duty % 10,
			       mode_name(c.zones[zi].mode));
	}
	say("%d zone(s), %d fan(s), every %lld ms, from %s; state in %s", c.nzones, c.nfans,
	    (long long)(period_ns / 1000000), c.segment, c.state_segment);

	run(&c, period_ns);

	/* Stopping: the safe duty, then the chip's own settings back. */
	for (int i = 0; i < c.nfans; i++)
		fan_pwm_write(&c.fans[i].pwm, fan_pwm_duty_to_raw(c.safe_duty), true);
	fan_event_emit(NULL, c.journal,
		       &(struct fan_event){ .type = SOV_EV_WRITER_STOP, .severity = SOV_SEV_NOTICE,
					    .value = c.safe_duty, .reason = "stop" },
		       "stopping: restoring the fans' original settings");
	/* All given back: the hardware holds the originals again, the record is done. */
	if (!restore_fans(&c, opened) && (rc = forget_originals(&c)))
		say("%s: %s", c.orig_path, strerror(-rc));
	rc = 0;
err_restore:
	restore_fans(&c, opened);
	sov_writer_close(c.w);
err_close_reader:
	sov_sample_free(c.s);
	sov_reader_close(c.r);
	return rc ? 1 : 0;
}
