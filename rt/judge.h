/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * judge.h - pure decisions on one channel's readings: threshold level with
 * hysteresis, frozen ("stuck") detection, fan stall, read-error class and
 * back-off.  No I/O; the sampler core acts on the verdicts (unit-tested in
 * tests/rt/core).
 */
#ifndef SOVEREIGN_RT_JUDGE_H
#define SOVEREIGN_RT_JUDGE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "shm_abi.h"

enum judge_level { LEVEL_OK = 0, LEVEL_WARN = 1, LEVEL_CRIT = 2 };

/*
 * judge_level() - the threshold level of @v given the limits of @s and the
 * level @prev it was at.  Entering a level needs the limit reached; leaving
 * it needs the value back past the limit by @hyst (in the sensor's unit),
 * so a value hovering at a limit does not flood the event ring.
 */
static inline enum judge_level judge_level(const struct sov_sensor *s, int64_t v,
					   enum judge_level prev, int64_t hyst)
{
	enum judge_level lvl = LEVEL_OK;
	int64_t h;

	if ((s->flags & SOV_SEN_CRIT_HI) && v >= s->crit_hi)
		lvl = LEVEL_CRIT;
	else if ((s->flags & SOV_SEN_CRIT_LO) && v <= s->crit_lo)
		lvl = LEVEL_CRIT;
	else if ((s->flags & SOV_SEN_WARN_HI) && v >= s->warn_hi)
		lvl = LEVEL_WARN;
	else if ((s->flags & SOV_SEN_WARN_LO) && v <= s->warn_lo)
		lvl = LEVEL_WARN;
	if (lvl >= prev)
		return lvl;
	/* Going down: stay at prev until clear of its limit by hyst. */
	h = hyst < 0 ? 0 : hyst;
	if (prev == LEVEL_CRIT &&
	    (((s->flags & SOV_SEN_CRIT_HI) && v > s->crit_hi - h) ||
	     ((s->flags & SOV_SEN_CRIT_LO) && v < s->crit_lo + h)))
		return LEVEL_CRIT;
	if (prev >= LEVEL_WARN && lvl < LEVEL_WARN &&
	    (((s->flags & SOV_SEN_WARN_HI) && v > s->warn_hi - h) ||
	     ((s->flags & SOV_SEN_WARN_LO) && v < s->warn_lo + h)))
		return LEVEL_WARN;
	return lvl;
}

/*
 * judge_stuck() - update the frozen-value tracker with reading @v at @now
 * (ns).  Return: true when the value has not changed for @stuck_ns or more
 * (0 disables).  A counter (energy, SMIs) is expected to move too.
 */
static inline bool judge_stuck(int64_t *last, uint64_t *same_since, bool *primed, int64_t v,
			       uint64_t now, uint64_t stuck_ns)
{
	if (!*primed || v != *last) {
		*last = v;
		*same_since = now;
		*primed = true;
		return false;
	}
	return stuck_ns && now - *same_since >= stuck_ns;
}

/*
 * Physical ranges: a reading outside them is no measurement but a fault
 * code or a broken conversion, published invalid (see judge_plausible()).
 * Temperature: -128 °C (-128000 m°C) is what a sensor with no diode gives
 * (the two's-complement 0x80 of tmp-style and SPD5118 registers, JC-42.4
 * sign-extended; drivetemp's INVALID_TEMP 0x80), and nothing a server
 * meets lies below -60 °C or above 200 °C (silicon trips near 105-125 °C).
 */
#define JUDGE_TEMP_MIN_MC   (-60000)      /* m°C */
#define JUDGE_TEMP_MAX_MC   200000        /* m°C */
#define JUDGE_FAN_MAX_RPM   100000        /* fastest fans spin ~30000 RPM */
#define JUDGE_DUTY_MAX      1000          /* per-mille */
#define JUDGE_VOLT_MAX_MV   1000000       /* |V| <= 1 kV (HVDC racks: 380 V) */
#define JUDGE_CURR_MAX_MA   100000000     /* |I| <= 100 kA */
#define JUDGE_POWER_MAX_UW  INT64_C(1000000000000) /* 0 <= P <= 1 MW */
#define JUDGE_HUMIDITY_MAX  100000        /* m%: relative humidity 0..100 % */

/*
 * judge_plausible() - can a sensor of @kind read @v at all?  Per kind, in
 * its sysfs unit: temperature -60..200 °C, fan speed 0..100000 RPM, duty
 * 0..1000 per-mille, voltage |V| <= 1 kV, current |I| <= 100 kA, power
 * 0..1 MW, energy >= 0, relative humidity 0..100 %, frequency >= 0, an
 * alarm 0 or 1; counters, gauges and settings are not bounded.  The sampler
 * checks every reading here, in one place for every backend (also derived
 * power), and treats an implausible one as a transient read error
 * (-ERANGE): invalid, counted, said once; never a value that drives a fan.
 * Return: true when @v is a possible reading.
 */
static inline bool judge_plausible(uint16_t kind, int64_t v)
{
	switch (kind) {
	case SOV_KIND_TEMP:
		return v >= JUDGE_TEMP_MIN_MC && v <= JUDGE_TEMP_MAX_MC;
	case SOV_KIND_FAN_RPM:
		return v >= 0 && v <= JUDGE_FAN_MAX_RPM;
	case SOV_KIND_FAN_DUTY:
		return v >= 0 && v <= JUDGE_DUTY_MAX;
	case SOV_KIND_VOLTAGE:
		return v >= -JUDGE_VOLT_MAX_MV && v <= JUDGE_VOLT_MAX_MV;
	case SOV_KIND_CURRENT:
		return v >= -JUDGE_CURR_MAX_MA && v <= JUDGE_CURR_MAX_MA;
	case SOV_KIND_POWER:
		return v >= 0 && v <= JUDGE_POWER_MAX_UW;
	case SOV_KIND_ENERGY:
	case SOV_KIND_FREQ:
		return v >= 0;
	case SOV_KIND_HUMIDITY:
		return v >= 0 && v <= JUDGE_HUMIDITY_MAX;
	case SOV_KIND_ALARM:
		return v == 0 || v == 1;
	default:
		return true;
	}
}

/*
 * judge_err_permanent() - is read error @err (negative errno) permanent?
 * ENOENT, ENODEV, ENXIO, EACCES, EPERM, EBADF: the device or the right to
 * read it is gone; disable the channel and say why once.  Everything else
 * (EIO, EAGAIN, ETIMEDOUT, ENODATA, EPROTO...) is transient: count, mark
 * invalid, back off, retry.
 */
static inline bool judge_err_permanent(int err)
{
	switch (-err) {
	case ENOENT: case ENODEV: case ENXIO: case EACCES: case EPERM: case EBADF:
		return true;
	default:
		return false;
	}
}

/*
 * judge_backoff() - next back-off after another failed read: the period,
 * then doubling, capped at @cap_ns.
 */
static inline uint64_t judge_backoff(uint64_t prev, uint64_t period_ns, uint64_t cap_ns)
{
	uint64_t b = prev ? prev * 2 : period_ns;

	return b > cap_ns ? (cap_ns > period_ns ? cap_ns : period_ns) : b;
}

#endif /* SOVEREIGN_RT_JUDGE_H */
