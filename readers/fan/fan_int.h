/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan_int.h - sovereign-fan's internals shared by its files (not a library):
 * the configuration and run-time state (struct fan_ctx, its zones and fans)
 * and the functions each file gives the others.  fan.c: main and options;
 * fan_conf.c: configuration loading; fan_zone.c: the sampler's segment and
 * the zones' inputs; fan_control.c: the control loop; fan_own.c: pwm
 * ownership (record, take, give back, --failsafe); fan_state.c: the state
 * segment; fan_reload.c: SIGHUP.  All of it runs on the one main thread.
 */
#ifndef SOVEREIGN_FAN_INT_H
#define SOVEREIGN_FAN_INT_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "timespec.h"
#include "failsafe.h"
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
#define NS_PER_S         ((int64_t)NSEC_PER_SEC)
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

struct fan_zone {
	char name[32];
	struct zone_sensor sens[FAN_MAX_SENSORS];
	int nsens;
	int idx[FAN_MAX_MATCHES];  /* sampler's table indices every spec matched */
	int nidx;
	int fans[FAN_MAX_FANS];  /* indices into fan_ctx.fans */
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

struct fan_ctx {
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
	struct fan_zone zones[FAN_MAX_ZONES];
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

/* fan.c */

/*
 * fan_say() - one line "sovereign-fan: ..." on stderr (journald takes it
 * from there under systemd).  Context: the main thread.
 */
void fan_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fan_conf.c */

/*
 * fan_conf_load() - the configuration c->conf_path with the command line's
 * overrides in @c (root_cli, segment_cli, state_cli, orig_cli) into the
 * zeroed @n (@n may be @c at start).  Context: the main thread, at start
 * and on SIGHUP.  Return: 0, or -errno with @err naming file:line.
 */
int fan_conf_load(struct fan_ctx *n, const struct fan_ctx *c, struct rt_err *err);

/* fan_zone.c */

/*
 * fan_zones_resolve() - look every zone sensor up in the attached table
 * c->r (@quiet: say nothing of missing ones).  Context: main thread.
 */
void fan_zones_resolve(struct fan_ctx *c, bool quiet);

/*
 * fan_zones_check_setpoints() - a zone setpoint at or above the critical
 * limit (the sampler's crit_hi) of one of its sensors contradicts the
 * hardware: the PID would hold the temperature at the limit, failing safe
 * on and off.  Zones must be resolved (fan_zones_resolve()).
 * Return: 0, or -EINVAL with @err naming the setpoint's file:line, the
 * sensor and its limit.
 */
int fan_zones_check_setpoints(const struct fan_ctx *c, struct rt_err *err);

/*
 * fan_resolve() - every zone sensor and fan tachometer looked up in the
 * freshly attached table, and the sampler's period taken.  Context: main.
 */
void fan_resolve(struct fan_ctx *c);

/*
 * fan_read_segment() - attach, follow restarts, take the newest sample
 * into c->s; *@new_sample says whether it is one not seen before.
 * Return: the FAN_FS_* conditions common to all zones (0: a fresh sample).
 */
uint32_t fan_read_segment(struct fan_ctx *c, bool *new_sample);

/*
 * fan_zone_conditions() - @z's own FAN_FS_* conditions from the sample at
 * @now (CLOCK_MONOTONIC ns); sets z->input, z->input_ok and z->why.
 */
uint32_t fan_zone_conditions(struct fan_ctx *c, struct fan_zone *z, int64_t now);

/* fan_read_fans() - every fan's tachometer in this period's sample (-1: none). */
void fan_read_fans(struct fan_ctx *c, bool have_sample);

/* fan_zone_mode_name() - "pid", "stepwise" or "rpm": a static string. */
const char *fan_zone_mode_name(enum zone_mode m);

/*
 * fan_zone_bumpless_start() - (re)start @z's controller from what its fans
 * do now: on leaving failsafe and on a mode change by reload.
 */
void fan_zone_bumpless_start(struct fan_ctx *c, struct fan_zone *z);

/* fan_state.c */

/*
 * fan_state_create() - the state segment c->state_segment, FAN_STATE_PER_ZONE
 * channels a zone, into c->w.  Return: 0 or -errno / -SOV_E* (sov_strerror()).
 */
int fan_state_create(struct fan_ctx *c, int64_t period_ns);

/* fan_state_publish() - every zone's input, setpoint, duty, failsafe, RPM target at @now. */
void fan_state_publish(struct fan_ctx *c, int64_t now);

/* fan_control.c */

/*
 * fan_control() - one period at @now (CLOCK_MONOTONIC ns), @dt_s after the
 * last: read the segment, judge every zone, drive the fans, publish.
 */
void fan_control(struct fan_ctx *c, int64_t now, double dt_s);

/*
 * fan_run() - the loop: fan_control() every period on an absolute
 * CLOCK_MONOTONIC grid until *@stop; *@reload (SIGHUP) re-reads the
 * configuration first.  @period_ns: until the configuration or the
 * sampler gives one.  Context: the main thread; the flags are set by the
 * signal handler only.
 */
void fan_run(struct fan_ctx *c, int64_t period_ns, volatile sig_atomic_t *stop,
	     volatile sig_atomic_t *reload);

/* fan_own.c */

/*
 * fan_own_open() - open every configured fan's pwmN under c->root, in
 * order, without writing; *@opened: how many are open (fans 0..*@opened-1,
 * to give back with fan_own_restore() whatever happens next).
 * Return: 0, or the -errno of the fan that could not be opened (said).
 */
int fan_own_open(struct fan_ctx *c, int *opened);

/*
 * fan_own_record() - record the original state of fans 0..@n-1 at
 * c->orig_path before any is written.  Return: 0 or -errno.
 */
int fan_own_record(struct fan_ctx *c, int n);

/*
 * fan_own_take() - every fan to manual at the safe duty.
 * Return: 0 or the -errno of the first fan refusing (said).
 */
int fan_own_take(struct fan_ctx *c);

/*
 * fan_own_restore() - give fans 0..@n-1 back (original state where known,
 * else automatic mode).  Return: how many could not be given back.
 */
int fan_own_restore(struct fan_ctx *c, int n);

/*
 * fan_own_forget() - after a clean stop, drop the record's entries of the
 * configured fans (remove it when none is left).  Return: 0 or -errno.
 */
int fan_own_forget(struct fan_ctx *c);

/*
 * fan_own_failsafe() - --failsafe (systemd ExecStopPost=): every fan to
 * full speed unless the service stopped cleanly.  Return: the exit status.
 */
int fan_own_failsafe(struct fan_ctx *c);

/* fan_reload.c */

/*
 * fan_reload() - SIGHUP: re-read the configuration; refuse a bad one or a
 * changed zone/fan set, else apply it in place, bumplessly; an event says
 * which.  Context: the main thread, between periods.
 */
void fan_reload(struct fan_ctx *c);

#endif /* SOVEREIGN_FAN_INT_H */
