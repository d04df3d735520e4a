/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failsafe.c - the fan actuator's failsafe decision (see failsafe.h): pure,
 * no I/O, unit-tested without a segment or a fan.
 */
#include "failsafe.h"

static const char *const cond_names[FAN_FS_NCOND] = {
	[FAN_FS_START] = "start",     [FAN_FS_STALE] = "stale",   [FAN_FS_RESTART] = "restart",
	[FAN_FS_SENSOR] = "sensor",   [FAN_FS_CRIT] = "critical", [FAN_FS_STALL] = "stall",
	[FAN_FS_PWM] = "pwm",
};

const char *fan_fs_cond_name(unsigned c)
{
	return c < FAN_FS_NCOND ? cond_names[c] : "?";
}

int fan_fs_level(uint32_t active, const int levels[FAN_FS_NCOND])
{
	int level = -1;

	for (unsigned c = 0; c < FAN_FS_NCOND; c++)
		if ((active & (1u << c)) && levels[c] > level)
			level = levels[c];
	return level;
}

void fan_fs_init(struct fan_fs *fs, uint32_t need_good)
{
	fs->in = true;
	fs->active = 1u << FAN_FS_START;
	fs->good = 0;
	fs->need_good = need_good ? need_good : 1;
}

enum fan_fs_edge fan_fs_update(struct fan_fs *fs, uint32_t active, bool new_sample)
{
	uint32_t prev = fs->active;

	/* START lasts until the first exit: it is not a fresh condition each period. */
	if (fs->in && (prev & (1u << FAN_FS_START)))
		active |= 1u << FAN_FS_START;
	fs->active = active;
	if (active & ~(1u << FAN_FS_START)) {
		bool fresh = !fs->in || (active & ~prev);

		fs->in = true;
		fs->good = 0;
		return fresh ? FAN_FS_ENTER : FAN_FS_SAME;
	}
	if (!fs->in)
		return FAN_FS_SAME;
	/* Only a sample not seen before is evidence: a dead writer repeats itself. */
	if (new_sample)
		fs->good++;
	if (fs->good < fs->need_good)
		return FAN_FS_SAME;
	fs->in = false;
	fs->active = 0;
	fs->good = 0;
	return FAN_FS_EXIT;
}
