/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_names.h - the names of the event types of shm_abi.h and what an
 * event's value and limit mean for each, so that every program that shows
 * an event (sovereign-dump, the sampler's journal thread) says the same.
 * Header-only, pure functions.
 */
#ifndef SOVEREIGN_SHM_NAMES_H
#define SOVEREIGN_SHM_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "shm_abi.h"

/*
 * sov_event_type_name() - "THRESH_CRIT" for SOV_EV_THRESH_CRIT, and so on.
 * Context: any.  Return: a static string, or NULL for a type this header
 * does not know (a newer writer): print the number then.
 */
static inline const char *sov_event_type_name(uint16_t type)
{
	static const char *const names[SOV_EV_MAX_] = {
		[SOV_EV_WRITER_START] = "WRITER_START",
		[SOV_EV_WRITER_STOP] = "WRITER_STOP",
		[SOV_EV_DEGRADED] = "DEGRADED",
		[SOV_EV_THRESH_WARN] = "THRESH_WARN",
		[SOV_EV_THRESH_CRIT] = "THRESH_CRIT",
		[SOV_EV_THRESH_CLEAR] = "THRESH_CLEAR",
		[SOV_EV_FAN_STALL] = "FAN_STALL",
		[SOV_EV_SENSOR_LOST] = "SENSOR_LOST",
		[SOV_EV_SENSOR_BACK] = "SENSOR_BACK",
		[SOV_EV_SENSOR_SUSPECT] = "SENSOR_SUSPECT",
		[SOV_EV_OVERRUN] = "OVERRUN",
		[SOV_EV_CONFIG] = "CONFIG",
		[SOV_EV_FAILSAFE_ENTER] = "FAILSAFE_ENTER",
		[SOV_EV_FAILSAFE_EXIT] = "FAILSAFE_EXIT",
		[SOV_EV_ALARM] = "ALARM",
		[SOV_EV_ALARM_CLEAR] = "ALARM_CLEAR",
	};

	return type < SOV_EV_MAX_ ? names[type] : NULL;
}

/* What a number carried by an event is. */
enum sov_event_meaning {
	SOV_EVM_NONE,       /* not used by this type: do not show it */
	SOV_EVM_NUMBER,     /* a plain number */
	SOV_EVM_READING,    /* a reading in the event's sensor's unit */
	SOV_EVM_ERRNO,      /* a negative errno (-EIO) */
	SOV_EVM_COUNT,      /* a count (of missed deadlines) */
	SOV_EVM_GENERATION, /* a generation number (writer, configuration) */
};

/*
 * sov_event_value_meaning() - what @ev->value means.  Thresholds, stalls,
 * recoveries and frozen values carry the reading, in the sensor's unit;
 * ALARM/ALARM_CLEAR the alarm flag's reading (1 or 0);
 * SENSOR_LOST the read's negative errno (a writer that publishes a state
 * there, like the watchdog, publishes it >= 0: a reading); OVERRUN the
 * deadlines missed; WRITER_START/STOP and CONFIG a generation.
 * Context: any.  Return: enum sov_event_meaning.
 */
static inline enum sov_event_meaning sov_event_value_meaning(const struct sov_event *ev)
{
	bool sensor = ev->sensor != SOV_NO_SENSOR;

	switch (ev->type) {
	case SOV_EV_THRESH_WARN: case SOV_EV_THRESH_CRIT: case SOV_EV_THRESH_CLEAR:
	case SOV_EV_FAN_STALL: case SOV_EV_SENSOR_BACK: case SOV_EV_SENSOR_SUSPECT:
	case SOV_EV_ALARM: case SOV_EV_ALARM_CLEAR:
		return sensor ? SOV_EVM_READING : SOV_EVM_NUMBER;
	case SOV_EV_SENSOR_LOST:
		if (ev->value < 0)
			return SOV_EVM_ERRNO;
		return sensor ? SOV_EVM_READING : SOV_EVM_NUMBER;
	case SOV_EV_OVERRUN:
		return SOV_EVM_COUNT;
	case SOV_EV_WRITER_START: case SOV_EV_WRITER_STOP: case SOV_EV_CONFIG:
		return SOV_EVM_GENERATION;
	default:
		return SOV_EVM_NUMBER;
	}
}

/*
 * sov_event_limit_meaning() - what @ev->limit means: the limit crossed
 * (THRESH_WARN/CRIT), the reading before (a fan's FAN_STALL and
 * SENSOR_BACK), both in the sensor's unit; nothing for the other types.
 * Context: any.  Return: SOV_EVM_READING or SOV_EVM_NONE.
 */
static inline enum sov_event_meaning sov_event_limit_meaning(const struct sov_event *ev)
{
	if (ev->sensor == SOV_NO_SENSOR)
		return SOV_EVM_NONE;
	switch (ev->type) {
	case SOV_EV_THRESH_WARN: case SOV_EV_THRESH_CRIT:
		return SOV_EVM_READING;
	case SOV_EV_FAN_STALL: case SOV_EV_SENSOR_BACK:
		return ev->limit ? SOV_EVM_READING : SOV_EVM_NONE;
	default:
		return SOV_EVM_NONE;
	}
}

#endif /* SOVEREIGN_SHM_NAMES_H */
