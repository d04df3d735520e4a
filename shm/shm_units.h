/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_units.h - the one unit table of the segment: what each enum sov_unit
 * of shm_abi.h is, how many of it make one base unit (the Prometheus base
 * units: celsius, volts, amperes, watts, joules, ratio), and the unit each
 * enum sov_kind implies.  Used by every program that shows or exports a
 * value: the exporter, the bindings, sovereign-dump, the sampler's journal.
 * Header-only, pure functions, no allocation.
 */
#ifndef SOVEREIGN_SHM_UNITS_H
#define SOVEREIGN_SHM_UNITS_H

#include <stdint.h>

#include "shm_abi.h"

/* struct sov_unit_info - one row of the unit table. */
struct sov_unit_info {
	uint32_t per_base;   /* integer units per base unit: 1000 m°C per °C */
	const char *base;    /* the base unit, as Prometheus names it ("celsius"),
			      * "" for a dimensionless value */
	const char *symbol;  /* the integer unit as printed ("m°C", "µW"), "" none */
};

/*
 * sov_unit_info() - the row of @unit.
 * Context: any.  Return: a static row, or NULL for a unit this header does
 * not know (a newer writer): show the raw integer then.
 */
static inline const struct sov_unit_info *sov_unit_info(uint16_t unit)
{
	static const struct sov_unit_info units[SOV_UNIT_MAX_] = {
		[SOV_UNIT_NONE]         = { 1,       "",        ""    },
		[SOV_UNIT_MILLICELSIUS] = { 1000,    "celsius", "m°C" },
		[SOV_UNIT_RPM]          = { 1,       "rpm",     "RPM" },
		[SOV_UNIT_PERMILLE]     = { 1000,    "ratio",   "‰"   },
		[SOV_UNIT_MICROWATT]    = { 1000000, "watts",   "µW"  },
		[SOV_UNIT_MICROJOULE]   = { 1000000, "joules",  "µJ"  },
		[SOV_UNIT_MILLIVOLT]    = { 1000,    "volts",   "mV"  },
		[SOV_UNIT_MILLIAMPERE]  = { 1000,    "amperes", "mA"  },
		[SOV_UNIT_COUNT]        = { 1,       "count",   ""    },
		[SOV_UNIT_MILLIPERCENT] = { 100000,  "ratio",   "m%"  }, /* 45500 m% = 0.455 */
		[SOV_UNIT_HERTZ]        = { 1,       "hertz",   "Hz"  },
	};

	return unit < SOV_UNIT_MAX_ ? &units[unit] : NULL;
}

/*
 * sov_unit_to_base() - @raw, an integer in @unit, in the base unit.
 * Context: any.  Return: the value; @raw unchanged for an unknown unit.
 */
static inline double sov_unit_to_base(uint16_t unit, int64_t raw)
{
	const struct sov_unit_info *u = sov_unit_info(unit);

	return u ? (double)raw / (double)u->per_base : (double)raw;
}

/*
 * sov_kind_unit() - the unit a sensor of @kind carries (shm_abi.h: "the
 * unit follows from the kind").
 * Context: any.  Return: an enum sov_unit; SOV_UNIT_NONE for gauges, alarm
 * flags, states, chip descriptions and kinds this header does not know.
 */
static inline uint16_t sov_kind_unit(uint16_t kind)
{
	static const uint16_t units[SOV_KIND_MAX_] = {
		[SOV_KIND_TEMP]        = SOV_UNIT_MILLICELSIUS,
		[SOV_KIND_FAN_RPM]     = SOV_UNIT_RPM,
		[SOV_KIND_FAN_DUTY]    = SOV_UNIT_PERMILLE,
		[SOV_KIND_POWER]       = SOV_UNIT_MICROWATT,
		[SOV_KIND_ENERGY]      = SOV_UNIT_MICROJOULE,
		[SOV_KIND_VOLTAGE]     = SOV_UNIT_MILLIVOLT,
		[SOV_KIND_CURRENT]     = SOV_UNIT_MILLIAMPERE,
		[SOV_KIND_SMI_COUNT]   = SOV_UNIT_COUNT,
		[SOV_KIND_COUNT]       = SOV_UNIT_COUNT,
		[SOV_KIND_HUMIDITY]    = SOV_UNIT_MILLIPERCENT,
		[SOV_KIND_FREQ]        = SOV_UNIT_HERTZ,
		[SOV_KIND_FAN_RPM_SET] = SOV_UNIT_RPM,
	};

	return kind < SOV_KIND_MAX_ ? units[kind] : SOV_UNIT_NONE;
}

#endif /* SOVEREIGN_SHM_UNITS_H */
