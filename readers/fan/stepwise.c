/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stepwise.c - the fan actuator's table controller (see stepwise.h).
 */
#include <errno.h>

#include "stepwise.h"

int fan_stepwise_init(struct fan_stepwise *sw, const struct fan_step *pts, int n, int64_t hyst)
{
	if (n < 1 || n > FAN_STEPS_MAX || hyst < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (pts[i].duty < 0 || pts[i].duty > 1000)
			return -EINVAL;
		if (i && (pts[i].temp <= pts[i - 1].temp || pts[i].duty < pts[i - 1].duty))
			return -EINVAL;
		sw->pts[i] = pts[i];
	}
	sw->n = n;
	sw->hyst = hyst;
	sw->level = -1;
	return 0;
}

int fan_stepwise_eval(struct fan_stepwise *sw, int64_t temp)
{
	/* Up: as far as the temperature reaches. */
	while (sw->level + 1 < sw->n && temp >= sw->pts[sw->level + 1].temp)
		sw->level++;
	/* Down: only past the hysteresis below the step in force. */
	while (sw->level >= 0 && temp < sw->pts[sw->level].temp - sw->hyst)
		sw->level--;
	return sw->pts[sw->level < 0 ? 0 : sw->level].duty;
}
