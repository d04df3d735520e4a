/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failsafe.h - the fan actuator's failsafe decision as pure functions:
 * active conditions -> duty level, and the enter/exit state machine
 * (enter at once, leave after N consecutive good samples).  Used by fan.c
 * and the unit tests.
 */
#ifndef SOVEREIGN_FAN_FAILSAFE_H
#define SOVEREIGN_FAN_FAILSAFE_H

#include <stdbool.h>
#include <stdint.h>

/* enum fan_fs_cond - why a zone fails safe; a bitmask of these is "active". */
enum fan_fs_cond {
	FAN_FS_START   = 0, /* no good reading yet since start */
	FAN_FS_STALE   = 1, /* newest sample older than the allowed age */
	FAN_FS_RESTART = 2, /* segment gone, writer stopped/restarted, not yet published */
	FAN_FS_SENSOR  = 3, /* a zone sensor is missing, invalid or suspect */
	FAN_FS_CRIT    = 4, /* a zone temperature at or above its critical limit */
	FAN_FS_STALL   = 5, /* a zone fan reads 0 RPM while driven above the minimum */
	FAN_FS_PWM     = 6, /* a zone fan's pwmN write failed twice in a row */
	FAN_FS_NCOND
};

/* fan_fs_cond_name() - short name of condition @c ("stale"), "?" if unknown. */
const char *fan_fs_cond_name(unsigned c);

/*
 * fan_fs_level() - the duty (per-mille) the active conditions @active ask
 * for: the highest of @levels[c] over the bits c set (the highest wins),
 * or -1 if none is set.  Context: any; pure.
 */
int fan_fs_level(uint32_t active, const int levels[FAN_FS_NCOND]);

/* struct fan_fs - one zone's failsafe state. */
struct fan_fs {
	bool in;            /* failing safe now */
	uint32_t active;    /* conditions of the last update */
	uint32_t good;      /* consecutive good samples seen while in */
	uint32_t need_good; /* good samples needed to leave */
};

/* enum fan_fs_edge - what fan_fs_update() did. */
enum fan_fs_edge {
	FAN_FS_SAME  = 0,
	FAN_FS_ENTER = 1,   /* just entered (or a new condition joined: see below) */
	FAN_FS_EXIT  = 2,
};

/*
 * fan_fs_init() - a zone that starts in failsafe (FAN_FS_START active)
 * and needs @need_good (>= 1) consecutive good samples to leave.
 */
void fan_fs_init(struct fan_fs *fs, uint32_t need_good);

/*
 * fan_fs_update() - feed one period's conditions @active; @new_sample says
 * the period brought a sample not seen before (only those count as good).
 * Enters at once on any condition; leaves only after need_good consecutive
 * new samples with no condition.  Context: any; pure.
 * Return: FAN_FS_ENTER when failsafe starts or a condition not active in
 * the previous update appears while in it (each reason is reported),
 * FAN_FS_EXIT when it ends, FAN_FS_SAME otherwise.
 */
enum fan_fs_edge fan_fs_update(struct fan_fs *fs, uint32_t active, bool new_sample);

#endif /* SOVEREIGN_FAN_FAILSAFE_H */
