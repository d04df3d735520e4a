/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump.h - sovereign-dump's parts, shared inside the program only: the
 * options, the dump being built, and the functions one part calls in another
 * (dump_read.c copies from the segment, dump_table.c and dump_json.c print,
 * dump_fmt.c names and formats, dump_follow.c keeps printing, dump.c is main).
 * Context of every function: the one thread of sovereign-dump.
 */
#ifndef SOVEREIGN_TOOLS_DUMP_H
#define SOVEREIGN_TOOLS_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "sovereign.h"

#ifndef SOV_VERSION
#define SOV_VERSION "unknown"
#endif

#define PROG "sovereign-dump"

#define DUMP_INTERVAL_DEFAULT_MS 200
#define DUMP_INTERVAL_MAX_MS     60000  /* a minute: longer is not "following" */
#define DUMP_EVENT_BATCH         64     /* events copied per sov_reader_events() */
#define DUMP_RESTART_TRIES       3      /* one-shot dump: re-attach attempts */

/* Bytes of the largest bounded string field, plus its NUL. */
#define DUMP_STR_MAX (SOV_EVENT_TEXT_LEN > SOV_LABELS_LEN ? SOV_EVENT_TEXT_LEN + 1 : \
		      SOV_LABELS_LEN + 1)

/*
 * How a value in a sensor unit is shown: divided by 10^shift, with
 * @decimals places, followed by @suffix (the base unit).  @name is the
 * integer unit itself, for the sensor table.
 */
struct unit_fmt {
	const char *name;
	const char *suffix;
	unsigned shift;
	unsigned decimals;
};

/* A flag bit and its name, for the header's and a sample's flags. */
struct flag_name {
	uint32_t bit;
	const char *name;
};

#define DUMP_NHEADER_FLAGS 2
#define DUMP_NSAMPLE_FLAGS 4
#define NFLAGS(t) (sizeof(t) / sizeof((t)[0]))

/* A sensor's limit: its flag bit, its name, where its value is in struct sov_sensor. */
struct dump_limit_field {
	uint16_t bit;
	const char *name;
	size_t off;
};

#define DUMP_NLIMITS 4

struct dump_opts {
	const char *name;       /* segment name (sov_shm_path()) */
	bool json;              /* JSON (NDJSON with follow) instead of tables */
	bool follow;            /* keep printing new samples and events */
	bool no_events;         /* leave the event ring out */
	uint32_t interval_ms;   /* follow poll period */
	uint32_t nsamples;      /* samples to print, newest first; 0: latest only */
};

struct dump {
	struct dump_opts o;
	struct sov_reader *r;
	struct sov_sample *sample;   /* sized for r's current layout */
	struct sov_sensor *sensors;  /* copy of the table, nsensors entries */
	uint32_t nsensors;
	uint64_t last_sample;        /* newest sample number printed */
	uint64_t ev_cursor;          /* newest event number read */
	uint64_t ev_lost;            /* events overwritten before being read */
	FILE *out;                   /* text output of the dump being built */
	cJSON *jsamples;             /* JSON array the walk callback fills */
	bool oom;                    /* a cJSON allocation failed */
};

const char *state_name(uint32_t state);

const char *kind_name(uint16_t kind);

const char *source_name(uint16_t source);

const char *severity_name(uint16_t sev);

const char *event_type_name(uint16_t type);

const struct unit_fmt *unit_fmt(uint16_t unit);

extern const struct flag_name header_flags[DUMP_NHEADER_FLAGS];

extern const struct flag_name sample_flags[DUMP_NSAMPLE_FLAGS];

/*
 * Copy the fixed-size segment field @src (@size bytes, maybe without a NUL:
 * the segment is another process's memory) into @dst (@size + 1 bytes),
 * replacing bytes that are not valid UTF-8 by '?', and, when @text_mode,
 * control characters too (a segment must not drive the terminal).
 */
void field_copy(char *dst, const char *src, size_t size, bool text_mode);

/* Display width of UTF-8 @s: one column per code point. */
int utf8_width(const char *s);

/* Print @s left-aligned in @width columns (printf's %-*s counts bytes). */
void put_padded(FILE *out, const char *s, int width);

uint64_t pow10_u64(unsigned n);

/*
 * Format @v / 10^@shift with @decimals places (truncated, @decimals <=
 * @shift) into @buf.  Exact for every int64_t, INT64_MIN included.
 */
void fmt_fixed(char *buf, size_t len, int64_t v, unsigned shift, unsigned decimals);

/* Format @v, in sensor unit @unit, in human units: "45.125 °C". */
void fmt_value(char *buf, size_t len, int64_t v, uint16_t unit);

/* Format CLOCK_REALTIME @ns as ISO 8601 UTC with milliseconds; 0: "-". */
void fmt_time(char *buf, size_t len, uint64_t ns);

/* "A,B" for the set bits of @flags, unknown ones as hex; "-" for none. */
void fmt_flags(char *buf, size_t len, uint32_t flags, const struct flag_name *t,
		      size_t n);

/* Name of @s as shown: its label, or its name when it has none. */
void sensor_display(char *dst, const struct sov_sensor *s, bool text_mode);

/* The table entry of sensor @idx, or NULL (out of range, SOV_NO_SENSOR). */
const struct sov_sensor *dump_sensor(const struct dump *d, uint32_t idx);

const char *status_name(int status);

/* Who an event is about: "chip/name (label)", the label only when it says more. */
void event_who(char *dst, size_t len, const struct sov_sensor *s, bool text_mode);

const char *meaning_name(enum sov_event_meaning m);

/*
 * An event's value in its own meaning (shm_names.h): a reading in the
 * sensor's unit, an errno by name ("EIO (Input/output error)"), a count,
 * a generation.  @s: the event's sensor or NULL.
 */
void fmt_event_value(char *buf, size_t len, const struct sov_event *e,
			    const struct sov_sensor *s);

cJSON *jchk(struct dump *d, cJSON *item);

/* Integers go in as raw text: a double would round values above 2^53. */
void json_i64(struct dump *d, cJSON *obj, const char *key, int64_t v);

void json_u64(struct dump *d, cJSON *obj, const char *key, uint64_t v);

void json_str(struct dump *d, cJSON *obj, const char *key, const char *s);

/* Append @it to @arr; on failure (either NULL) free @it and set d->oom. */
void json_push(struct dump *d, cJSON *arr, cJSON *it);

void json_header(struct dump *d, cJSON *root, int status);

void json_sensors(struct dump *d, cJSON *root);

cJSON *json_sample(struct dump *d, const struct sov_sample *s);

/* The event's fields into @o (an event object, or an NDJSON line). */
void json_event_fields(struct dump *d, cJSON *o, const struct sov_event *e);

void text_header(struct dump *d, FILE *out, int status);

void text_sensors(struct dump *d, FILE *out);

void text_sample(struct dump *d, FILE *out, const struct sov_sample *s);

void text_event(struct dump *d, FILE *out, const struct sov_event *e);

int64_t limit_of(const struct sov_sensor *s, size_t i);

/* The four limits, in the order the table and the JSON print them. */
extern const struct dump_limit_field limit_fields[DUMP_NLIMITS];

/*
 * Print the whole dump to stdout, built in memory first so that a writer
 * restart halfway can be retried without half a dump on stdout.
 * Return: 0 or -errno/-SOV_E* (-SOV_ERESTARTED: re-attach and call again).
 */
int dump_once(struct dump *d);

/*
 * Poll until SIGINT/SIGTERM, printing new samples and events, following
 * the writer through stops and restarts.  Return: 0 or -errno/-SOV_E*.
 */
int follow(struct dump *d);

#endif /* SOVEREIGN_TOOLS_DUMP_H */
