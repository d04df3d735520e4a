/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bind_fixture.h - the sensor set the bindings tests publish: Tctl, a DIMM
 * temperature, an invalid temperature and a fan.  Shared by the Criterion
 * test and the helper the Python test drives.
 */
#ifndef SOVEREIGN_TEST_BIND_FIXTURE_H
#define SOVEREIGN_TEST_BIND_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sovereign.h"

enum { FX_TCTL, FX_DIMM, FX_BAD, FX_FAN, FX_N };

static inline struct sov_sensor fx_sensor(uint16_t kind, uint16_t unit, const char *chip,
					  const char *name, const char *label)
{
	struct sov_sensor s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.unit = unit;
	s.source = SOV_SRC_SIM;
	s.period_ms = 1000;
	snprintf(s.chip, sizeof(s.chip), "%s", chip);
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.label, sizeof(s.label), "%s", label);
	s.id = sov_sensor_id(s.source, chip, name);
	return s;
}

/* The fixture's table, in enum order. */
static inline void fx_sensors(struct sov_sensor s[FX_N])
{
	s[FX_TCTL] = fx_sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/pci-0000:00:18.3",
			       "temp1", "Tctl");
	s[FX_DIMM] = fx_sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "jc42/i2c-0-18",
			       "temp1", "DIMM A1");
	s[FX_BAD] = fx_sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/pci-0000:00:18.3",
			      "temp3", "Tccd1");
	s[FX_FAN] = fx_sensor(SOV_KIND_FAN_RPM, SOV_UNIT_RPM, "nct6775/platform-nct6775.656",
			      "fan1", "CPU fan");
}

static inline uint64_t fx_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t fx_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Publish one sample: Tctl @tctl m°C, DIMM @dimm m°C, Tccd1 invalid, fan
 * @rpm; the sample stamped @sample_age_ns in the past.
 */
static inline uint64_t fx_publish(struct sov_writer *w, int64_t tctl, int64_t dimm, int64_t rpm,
				  uint64_t sample_age_ns)
{
	struct sov_slot *st = sov_writer_stage(w);
	uint64_t now = fx_mono_ns() - sample_age_ns;

	st->mono_ns = now;
	st->real_ns = fx_real_ns() - sample_age_ns;
	sov_writer_set(w, FX_TCTL, tctl, now);
	sov_writer_set(w, FX_DIMM, dimm, now);
	sov_writer_set_invalid(w, FX_BAD);
	sov_writer_set(w, FX_FAN, rpm, now);
	return sov_writer_publish(w);
}

#endif /* SOVEREIGN_TEST_BIND_FIXTURE_H */
