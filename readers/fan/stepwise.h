/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stepwise.h - a table controller (temperature -> duty) with hysteresis,
 * for zones where a PID is overkill (DIMMs, VRMs).  Pure; used by fan.c.
 */
#ifndef SOVEREIGN_FAN_STEPWISE_H
#define SOVEREIGN_FAN_STEPWISE_H

#include <stdint.h>

#define FAN_STEPS_MAX 16

/* struct fan_step - from @temp (m°C) upwards the duty is at least @duty (per-mille). */
struct fan_step {
	int64_t temp;
	int duty;
};

struct fan_stepwise {
	struct fan_step pts[FAN_STEPS_MAX];
	int n;
	int64_t hyst;   /* m°C a temperature must fall below a step to leave it */
	int level;      /* index of the step in force, -1 below the first */
};

/*
 * fan_stepwise_init() - copy @n (1..FAN_STEPS_MAX) steps, strictly rising in
 * temperature and not falling in duty (0..1000), hysteresis @hyst >= 0.
 * Context: any.  Return: 0 or -EINVAL.
 */
int fan_stepwise_init(struct fan_stepwise *sw, const struct fan_step *pts, int n, int64_t hyst);

/*
 * fan_stepwise_eval() - the duty for temperature @temp: the step with the
 * highest temperature <= @temp when rising; a step is left downwards only
 * once @temp < its temperature - hyst (no flapping at a boundary).  Below
 * the first step: the first step's duty.  Context: any; pure but for @sw.
 */
int fan_stepwise_eval(struct fan_stepwise *sw, int64_t temp);

#endif /* SOVEREIGN_FAN_STEPWISE_H */
