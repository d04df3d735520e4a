/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.h - sovereign-exporter's metric table and renderer: the one place
 * that maps a sensor's kind/unit/chip to a Prometheus family, and turns a
 * snapshot of the segment into text 0.0.4 or OpenMetrics 1.0.0.  Also the
 * fan actuator's and the watchdog's own segments (read-only), rendered as
 * sovereign_fan_zone_* and sovereign_inference_* / sovereign_watchdog_*.
 */
#ifndef SOVEREIGN_EXPORTER_METRICS_H
#define SOVEREIGN_EXPORTER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sovereign.h"

/* One exposition format. */
enum exp_format {
	EXP_FMT_TEXT = 0,     /* text/plain; version=0.0.4 */
	EXP_FMT_OPENMETRICS,  /* application/openmetrics-text; version=1.0.0 */
	EXP_FMT_MAX_
};

/* Content-Type of each format. */
#define EXP_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define EXP_CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* struct exp_family - one metric family a sensor kind maps to. */
struct exp_family {
	const char *name;   /* family name, without "_total" for counters */
	const char *help;   /* HELP text */
	bool counter;       /* counter (samples end in _total) or gauge */
	bool window;        /* also export min/max over the window */
	bool limits;        /* also export the sensor's limits */
};

/*
 * exp_family_of() - the family sensor @s is exported as.
 * Context: any.  Return: a pointer into a static table, or NULL for a
 * sensor not exported per sensor (SMI counts: the slot carries them).
 */
const struct exp_family *exp_family_of(const struct sov_sensor *s);

/* One sensor as the renderer sees it. */
struct exp_sensor_snap {
	struct sov_sensor s;   /* the table entry (copied) */
	bool valid;            /* value holds a reading: false = series absent */
	int64_t value;         /* in the sensor's unit */
	bool have_window;      /* wmin/wmax hold something */
	int64_t wmin, wmax;    /* min/max over the window, in the sensor's unit */
};

/* Request status codes counted in sovereign_exporter_requests_total. */
#define EXP_NCODES 7
extern const unsigned exp_codes[EXP_NCODES]; /* 200, 304, 401, 404, 405, 413, 500 */

/*
 * struct exp_snapshot - all the renderer needs; plain data, no pointer into
 * the segment.  Filled by exp_snapshot_take() (or by hand in tests).
 */
struct exp_snapshot {
	/* segment state */
	bool attached;          /* a segment is mapped */
	bool up;                /* live writer and fresh sample */
	const char *state;      /* "live", "absent", "initialising", "stopped",
				 * "stale", "restarting", "error": static string */
	bool have_sample;       /* slot/age below are meaningful */
	struct sov_slot slot;   /* newest sample's head */
	double age_s;           /* its age, seconds */
	uint64_t generation;
	double window_s;        /* the min/max window, seconds */
	/* sensors (meaningful only when up) */
	uint32_t n, cap;
	struct exp_sensor_snap *sen; /* owned: exp_snapshot_free() */
	/* the exporter's own figures */
	uint64_t scrapes;
	uint64_t requests[EXP_NCODES];
	double render_s;        /* duration of the previous render */
	/* The fan actuator's and the watchdog's segments, each snapped with
	 * exp_snapshot_take() like the sampler's (their scalars above unused).
	 * NULL: that segment is disabled and none of its series is rendered. */
	const struct exp_snapshot *fan;
	const struct exp_snapshot *watchdog;
};

/*
 * exp_snapshot_take() - fill @snap from reader @r: newest sample, sensor
 * table, min/max over @window_ns via sov_reader_walk().
 * @stale_ns: a sample older than this makes the segment "stale".
 * @status: sov_reader_status() result the caller already has.
 * Context: one thread at a time per reader (the exporter's refresh()).
 * Return: 0, or a negative code from the reader (-SOV_ERESTARTED: the
 * caller re-attaches; @snap then says "restarting").  -ENOMEM.
 * Ownership: @snap->sen is (re)allocated and stays @snap's.
 */
int exp_snapshot_take(struct sov_reader *r, struct sov_sample *sample, int status,
		      uint64_t window_ns, uint64_t stale_ns, struct exp_snapshot *snap);

/*
 * exp_snapshot_copy() - a deep copy of @src into @dst (uninitialised), its
 * own sensor array; @dst->fan and @dst->watchdog are NULL (the caller links
 * copies of its own).  Context: any.  Return: 0 or -ENOMEM (@dst then
 * holds nothing to free).  Ownership: exp_snapshot_free(@dst).
 */
int exp_snapshot_copy(struct exp_snapshot *dst, const struct exp_snapshot *src);

/* exp_snapshot_free() - release @snap's arrays (not @snap itself). */
void exp_snapshot_free(struct exp_snapshot *snap);

/* struct exp_buf - a growing text buffer; err is sticky (-ENOMEM). */
struct exp_buf {
	char *p;
	size_t len, cap;
	int err;
};

/*
 * exp_render() - render @snap in format @fmt, appended to @b; with
 * @snap->fan and @snap->watchdog when set (sovereign_fan_controller_up and
 * sovereign_watchdog_up always then; their other series only while up).
 * Context: any; pure (no system call, no clock, no segment access).
 * Return: 0 or -ENOMEM.  Ownership: @b->p is the caller's (free()).
 */
int exp_render(const struct exp_snapshot *snap, enum exp_format fmt, struct exp_buf *b);

/*
 * exp_label_name_ok() - is @name a valid Prometheus label name
 * ([a-zA-Z_][a-zA-Z0-9_]*, not reserved "__" prefix)?  Context: any.
 */
bool exp_label_name_ok(const char *name, size_t len);

/*
 * exp_gzip() - compress @len bytes at @in into a gzip member.
 * Context: any.  Return: 0 with *out (malloc'd, the caller's) and *outlen,
 * or -ENOMEM / -EIO.
 */
int exp_gzip(const char *in, size_t len, char **out, size_t *outlen);

#endif /* SOVEREIGN_EXPORTER_METRICS_H */
