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
