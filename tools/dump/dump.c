/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump.c - sovereign-dump: what `sensors` is to lm-sensors.  Attaches to the
 * segment read-only like any reader and prints its header, sensor table,
 * newest samples and events as a table or JSON; --follow keeps printing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "shm_names.h"
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

/* Set by the SIGINT/SIGTERM handler, polled by the follow loop. */
static volatile sig_atomic_t stop_requested;

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

/* ------------------------------------------------------------------ */
/* Names of the ABI's enums and flags.  NULL: unknown, print the number. */

static const char *state_name(uint32_t state)
{
	switch (state) {
	case SOV_STATE_INIT:    return "INIT";
	case SOV_STATE_LIVE:    return "LIVE";
	case SOV_STATE_STOPPED: return "STOPPED";
	}
	return NULL;
}

static const char *kind_name(uint16_t kind)
{
	static const char *const names[SOV_KIND_MAX_] = {
		[SOV_KIND_TEMP] = "temp",           [SOV_KIND_FAN_RPM] = "fan_rpm",
		[SOV_KIND_FAN_DUTY] = "fan_duty",   [SOV_KIND_POWER] = "power",
		[SOV_KIND_ENERGY] = "energy",       [SOV_KIND_VOLTAGE] = "voltage",
		[SOV_KIND_CURRENT] = "current",     [SOV_KIND_SMI_COUNT] = "smi_count",
		[SOV_KIND_COUNT] = "count",         [SOV_KIND_GAUGE] = "gauge",
		[SOV_KIND_ALARM] = "alarm",         [SOV_KIND_HUMIDITY] = "humidity",
		[SOV_KIND_FREQ] = "freq",           [SOV_KIND_STATE] = "state",
		[SOV_KIND_FAN_RPM_SET] = "fan_rpm_set", [SOV_KIND_CHIP_INFO] = "chip_info",
	};

	return kind < SOV_KIND_MAX_ ? names[kind] : NULL;
}

static const char *source_name(uint16_t source)
{
	static const char *const names[SOV_SRC_MAX_] = {
		[SOV_SRC_NONE] = "none",         [SOV_SRC_MSR] = "msr",
		[SOV_SRC_HWMON] = "hwmon",       [SOV_SRC_POWERCAP] = "powercap",
		[SOV_SRC_I2C] = "i2c",           [SOV_SRC_PERF] = "perf",
		[SOV_SRC_SIM] = "sim",           [SOV_SRC_INTERNAL] = "internal",
	};

	return source < SOV_SRC_MAX_ ? names[source] : NULL;
}

static const char *severity_name(uint16_t sev)
{
	switch (sev) {
	case SOV_SEV_CRIT:    return "crit";
	case SOV_SEV_ERR:     return "err";
	case SOV_SEV_WARNING: return "warning";
	case SOV_SEV_NOTICE:  return "notice";
	case SOV_SEV_INFO:    return "info";
	}
	return NULL;
}

static const char *event_type_name(uint16_t type)
{
	return sov_event_type_name(type); /* shm_names.h: the journal says the same */
}

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

static const struct unit_fmt *unit_fmt(uint16_t unit)
{
	static const struct unit_fmt fmts[SOV_UNIT_MAX_] = {
		[SOV_UNIT_NONE]         = { "none",  "",    0, 0 },
		[SOV_UNIT_MILLICELSIUS] = { "m°C",   "°C",  3, 3 },
		[SOV_UNIT_RPM]          = { "RPM",   "RPM", 0, 0 },
		[SOV_UNIT_PERMILLE]     = { "‰",     "%",   1, 1 },
		[SOV_UNIT_MICROWATT]    = { "µW",    "W",   6, 6 },
		[SOV_UNIT_MICROJOULE]   = { "µJ",    "J",   6, 6 },
		[SOV_UNIT_MILLIVOLT]    = { "mV",    "V",   3, 3 },
		[SOV_UNIT_MILLIAMPERE]  = { "mA",    "A",   3, 3 },
		[SOV_UNIT_COUNT]        = { "count", "",    0, 0 },
		[SOV_UNIT_MILLIPERCENT] = { "m%",    "%",   3, 3 },
		[SOV_UNIT_HERTZ]        = { "Hz",    "Hz",  0, 0 },
	};

	return unit < SOV_UNIT_MAX_ ? &fmts[unit] : NULL;
}

struct flag_name {
	uint32_t bit;
	const char *name;
};

static const struct flag_name header_flags[] = {
	{ SOV_HF_NOT_LOCKED, "NOT_LOCKED" },
	{ SOV_HF_NO_NUMA, "NO_NUMA" },
};

static const struct flag_name sample_flags[] = {
	{ SOV_SF_SMI_VALID, "SMI_VALID" },
	{ SOV_SF_NO_RT, "NO_RT" },
	{ SOV_SF_NO_MLOCK, "NO_MLOCK" },
	{ SOV_SF_OVERRUN, "OVERRUN" },
};

#define NFLAGS(t) (sizeof(t) / sizeof((t)[0]))

/* ------------------------------------------------------------------ */
/* Pure formatting helpers. */

/*
 * Copy the fixed-size segment field @src (@size bytes, maybe without a NUL:
 * the segment is another process's memory) into @dst (@size + 1 bytes),
 * replacing bytes that are not valid UTF-8 by '?', and, when @text_mode,
 * control characters too (a segment must not drive the terminal).
 */
static void field_copy(char *dst, const char *src, size_t size, bool text_mode)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strnlen(src, size), i = 0, j = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
			     (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		size_t k;
		bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2);

		for (k = 1; ok && k < len; k++)
			ok = (s[i + k] & 0xc0) == 0x80;
		if (!ok) {
			dst[j++] = '?';
			i++;
			continue;
		}
		if (len == 1 && text_mode && (c < 0x20 || c == 0x7f))
			c = '?';
		if (len == 1)
			dst[j++] = (char)c;
		else
			for (k = 0; k < len; k++)
				dst[j++] = (char)s[i + k];
		i += len;
	}
	dst[j] = '\0';
}

/* Display width of UTF-8 @s: one column per code point. */
static int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Print @s left-aligned in @width columns (printf's %-*s counts bytes). */
static void put_padded(FILE *out, const char *s, int width)
{
	int w = utf8_width(s);

	fputs(s, out);
	for (; w < width; w++)
		fputc(' ', out);
}

static uint64_t pow10_u64(unsigned n)
{
	uint64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

/*
 * Format @v / 10^@shift with @decimals places (truncated, @decimals <=
 * @shift) into @buf.  Exact for every int64_t, INT64_MIN included.
 */
static void fmt_fixed(char *buf, size_t len, int64_t v, unsigned shift, unsigned decimals)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t div = pow10_u64(shift);
	uint64_t frac = (mag % div) / pow10_u64(shift - decimals);

	if (decimals)
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "",
			 mag / div, (int)decimals, frac);
	else
		snprintf(buf, len, "%s%" PRIu64, v < 0 ? "-" : "", mag / div);
}

/* Format @v, in sensor unit @unit, in human units: "45.125 °C". */
static void fmt_value(char *buf, size_t len, int64_t v, uint16_t unit)
{
	const struct unit_fmt *f = unit_fmt(unit);
	char num[32];

	if (!f) {
		snprintf(buf, len, "%" PRId64 " (unit %u)", v, (unsigned)unit);
		return;
	}
	fmt_fixed(num, sizeof(num), v, f->shift, f->decimals);
	snprintf(buf, len, "%s%s%s", num, *f->suffix ? " " : "", f->suffix);
}

/* Format CLOCK_REALTIME @ns as ISO 8601 UTC with milliseconds; 0: "-". */
static void fmt_time(char *buf, size_t len, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	char date[32];

	if (ns == 0 || !gmtime_r(&secs, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s.%03uZ", date, (unsigned)(ns % 1000000000u / 1000000u));
}

/* "A,B" for the set bits of @flags, unknown ones as hex; "-" for none. */
static void fmt_flags(char *buf, size_t len, uint32_t flags, const struct flag_name *t,
		      size_t n)
{
	size_t used = 0, i;
	uint32_t rest = flags;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!(flags & t[i].bit))
			continue;
		rest &= ~t[i].bit;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "," : "", t[i].name);
	}
	if (rest)
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s0x%" PRIx32,
					 used ? "," : "", rest);
	if (!used)
		snprintf(buf, len, "-");
}

/* Name of @s as shown: its label, or its name when it has none. */
static void sensor_display(char *dst, const struct sov_sensor *s, bool text_mode)
{
	field_copy(dst, s->label, sizeof(s->label), text_mode);
	if (!*dst)
		field_copy(dst, s->name, sizeof(s->name), text_mode);
}

/* The table entry of sensor @idx, or NULL (out of range, SOV_NO_SENSOR). */
static const struct sov_sensor *dump_sensor(const struct dump *d, uint32_t idx)
{
	return idx < d->nsensors ? &d->sensors[idx] : NULL;
}

/* ------------------------------------------------------------------ */
/* JSON helpers: every failed allocation sets d->oom, checked at print. */

static cJSON *jchk(struct dump *d, cJSON *item)
{
	if (!item)
		d->oom = true;
	return item;
}

/* Integers go in as raw text: a double would round values above 2^53. */
static void json_i64(struct dump *d, cJSON *obj, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	jchk(d, cJSON_AddRawToObject(obj, key, num));
}

static void json_u64(struct dump *d, cJSON *obj, const char *key, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	jchk(d, cJSON_AddRawToObject(obj, key, num));
}

static void json_str(struct dump *d, cJSON *obj, const char *key, const char *s)
{
	jchk(d, cJSON_AddStringToObject(obj, key, s));
}

/* A fixed-size segment field, bounded; cJSON does the escaping. */
static void json_field(struct dump *d, cJSON *obj, const char *key, const char *field,
		       size_t size)
{
	char buf[DUMP_STR_MAX];

	field_copy(buf, field, size < sizeof(buf) ? size : sizeof(buf) - 1, false);
	json_str(d, obj, key, buf);
}

/* Append @it to @arr; on failure (either NULL) free @it and set d->oom. */
static void json_push(struct dump *d, cJSON *arr, cJSON *it)
{
	if (!cJSON_AddItemToArray(arr, it)) {
		cJSON_Delete(it);
		d->oom = true;
	}
}

/* An enum: its name, or its number when this tool does not know it. */
static void json_enum(struct dump *d, cJSON *obj, const char *key, const char *name,
		      int64_t raw)
{
	if (name)
		json_str(d, obj, key, name);
	else
		json_i64(d, obj, key, raw);
}

/* Flags as an array of names; unknown bits as one number. */
static void json_flags(struct dump *d, cJSON *obj, const char *key, uint32_t flags,
		       const struct flag_name *t, size_t n)
{
	cJSON *arr = jchk(d, cJSON_AddArrayToObject(obj, key));
	uint32_t rest = flags;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(flags & t[i].bit))
			continue;
		rest &= ~t[i].bit;
		json_push(d, arr, cJSON_CreateString(t[i].name));
	}
	if (rest)
		json_push(d, arr, cJSON_CreateNumber(rest));
}

/* ------------------------------------------------------------------ */
/* The header. */

static const char *status_name(int status)
{
	switch (status) {
	case 0:               return "live";
	case -SOV_ESTOPPED:   return "stopped";
	case -SOV_ERESTARTED: return "restarted";
	}
	return "unknown";
}

static void text_header(struct dump *d, FILE *out, int status)
{
	const struct sov_header *h = sov_reader_header(d->r);
	const char *state = state_name(h->state);
	char wname[sizeof(h->writer_name) + 1], buf[96], magic[sizeof(h->magic) + 1];
	size_t i;

	/* The magic is ASCII ("$SOVRNG1") stored little-endian. */
	for (i = 0; i < sizeof(h->magic); i++) {
		unsigned char c = (unsigned char)(h->magic >> (8 * i));

		magic[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	magic[sizeof(h->magic)] = '\0';
	field_copy(wname, h->writer_name, sizeof(h->writer_name), true);

	fprintf(out, "Segment %s\n", d->o.name);
	fprintf(out, "  magic         0x%016" PRIx64 " (%s), ABI %u.%u\n", h->magic, magic,
		SOV_ABI_MAJOR_OF(h->abi_version), h->abi_version & 0xffffu);
	fprintf(out, "  generation    %" PRIu64 "\n", h->generation);
	if (state)
		fprintf(out, "  state         %s\n", state);
	else
		fprintf(out, "  state         %" PRIu32 "\n", h->state);
	fprintf(out, "  writer        %s, pid %" PRId32 ", cpu %" PRId32 "\n",
		*wname ? wname : "-", h->writer_pid, h->writer_cpu);
	fprintf(out, "  status        %s\n", status_name(status));
	fprintf(out, "  numa node     %" PRId32 "\n", h->numa_node);
	fmt_flags(buf, sizeof(buf), h->flags, header_flags, NFLAGS(header_flags));
	fprintf(out, "  flags         %s\n", buf);
	fmt_fixed(buf, sizeof(buf), (int64_t)h->period_ns, 6, 3);
	fprintf(out, "  period        %s ms\n", buf);
	fprintf(out, "  slots         %" PRIu32 " of %" PRIu32 " bytes\n", h->nslots, h->slot_size);
	fprintf(out, "  events        %" PRIu32 "\n", h->nevents);
	fprintf(out, "  sensors       %" PRIu32 " of %" PRIu32 "\n", h->nsensors, h->sensors_max);
	fmt_time(buf, sizeof(buf), h->created_real_ns);
	fprintf(out, "  created       %s\n", buf);
	fprintf(out, "  head          %" PRIu64 "\n", sov_reader_head(d->r));
	fprintf(out, "  event head    %" PRIu64 "\n", sov_reader_event_head(d->r));
}

static void json_header(struct dump *d, cJSON *root, int status)
{
	const struct sov_header *h = sov_reader_header(d->r);
	cJSON *o = jchk(d, cJSON_AddObjectToObject(root, "header"));
	char buf[64];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, h->magic);
	json_str(d, o, "magic", buf);
	snprintf(buf, sizeof(buf), "%u.%u", SOV_ABI_MAJOR_OF(h->abi_version),
		 h->abi_version & 0xffffu);
	json_str(d, o, "abi_version", buf);
	json_u64(d, o, "generation", h->generation);
	json_enum(d, o, "state", state_name(h->state), h->state);
	json_str(d, o, "status", status_name(status));
	json_i64(d, o, "writer_pid", h->writer_pid);
	json_field(d, o, "writer_name", h->writer_name, sizeof(h->writer_name));
	json_i64(d, o, "writer_cpu", h->writer_cpu);
	json_i64(d, o, "numa_node", h->numa_node);
	json_flags(d, o, "flags", h->flags, header_flags, NFLAGS(header_flags));
	json_u64(d, o, "period_ns", h->period_ns);
	json_u64(d, o, "nslots", h->nslots);
	json_u64(d, o, "slot_size", h->slot_size);
	json_u64(d, o, "nevents", h->nevents);
	json_u64(d, o, "nsensors", h->nsensors);
	json_u64(d, o, "sensors_max", h->sensors_max);
	json_u64(d, o, "created_real_ns", h->created_real_ns);
	fmt_time(buf, sizeof(buf), h->created_real_ns);
	json_str(d, o, "created", buf);
	json_u64(d, o, "head", sov_reader_head(d->r));
	json_u64(d, o, "event_head", sov_reader_event_head(d->r));
}

/* ------------------------------------------------------------------ */
/* The sensor table. */

/* Copy the whole table out of the segment.  Return: 0 or -errno/-SOV_E*. */
static int load_sensors(struct dump *d)
{
	uint32_t n = sov_reader_nsensors(d->r), i;
	struct sov_sensor *t;
	int rc;

	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = sov_reader_sensor(d->r, i, &t[i]);
		if (rc) {
			free(t);
			return rc;
		}
	}
	free(d->sensors);
	d->sensors = t;
	d->nsensors = n;
	return 0;
}

static const struct {
	uint16_t bit;
	const char *name;
	size_t off;
} limit_fields[] = {
	{ SOV_SEN_WARN_HI, "warn_hi", offsetof(struct sov_sensor, warn_hi) },
	{ SOV_SEN_CRIT_HI, "crit_hi", offsetof(struct sov_sensor, crit_hi) },
	{ SOV_SEN_WARN_LO, "warn_lo", offsetof(struct sov_sensor, warn_lo) },
	{ SOV_SEN_CRIT_LO, "crit_lo", offsetof(struct sov_sensor, crit_lo) },
};

static int64_t limit_of(const struct sov_sensor *s, size_t i)
{
	int64_t v;

	memcpy(&v, (const char *)s + limit_fields[i].off, sizeof(v));
	return v;
}

static void text_sensors(struct dump *d, FILE *out)
{
	int wchip = 4, wname = 4, wlabel = 5;
	char chip[SOV_NAME_LEN + 1], name[SOV_NAME_LEN + 1], label[SOV_NAME_LEN + 1];
	char labels[SOV_LABELS_LEN + 1], num[16], val[64];
	uint32_t i;
	size_t k;

	fprintf(out, "\nSensors (%" PRIu32 ")\n", d->nsensors);
	if (!d->nsensors)
		return;
	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		int w;

		field_copy(chip, s->chip, sizeof(s->chip), true);
		field_copy(name, s->name, sizeof(s->name), true);
		field_copy(label, s->label, sizeof(s->label), true);
		w = utf8_width(chip);
		wchip = w > wchip ? w : wchip;
		w = utf8_width(name);
		wname = w > wname ? w : wname;
		w = utf8_width(label);
		wlabel = w > wlabel ? w : wlabel;
	}
	fprintf(out, "  IDX  ID          KIND       UNIT   SOURCE    PERIOD    ");
	put_padded(out, "CHIP", wchip + 2);
	put_padded(out, "NAME", wname + 2);
	fprintf(out, "LABEL\n");
	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		const struct unit_fmt *uf = unit_fmt(s->unit);
		const char *kn = kind_name(s->kind), *sn = source_name(s->source);
		bool any = false, first;

		fprintf(out, "  %3" PRIu32 "  0x%08" PRIx32 "  ", i, s->id);
		snprintf(num, sizeof(num), "%u", (unsigned)s->kind);
		put_padded(out, kn ? kn : num, 11);
		snprintf(num, sizeof(num), "%u", (unsigned)s->unit);
		put_padded(out, uf ? uf->name : num, 7);
		snprintf(num, sizeof(num), "%u", (unsigned)s->source);
		put_padded(out, sn ? sn : num, 10);
		snprintf(val, sizeof(val), "%" PRIu32 " ms", s->period_ms);
		put_padded(out, val, 10);
		field_copy(chip, s->chip, sizeof(s->chip), true);
		field_copy(name, s->name, sizeof(s->name), true);
		field_copy(label, s->label, sizeof(s->label), true);
		put_padded(out, *chip ? chip : "-", wchip + 2);
		put_padded(out, *name ? name : "-", wname + 2);
		fprintf(out, "%s\n", *label ? label : "-");

		/* Continuation line: extra labels, the limits that are set, counter. */
		field_copy(labels, s->labels, sizeof(s->labels), true);
		if (*labels) {
			fprintf(out, "       labels: %s", labels);
			any = true;
		}
		first = true;
		for (k = 0; k < sizeof(limit_fields) / sizeof(limit_fields[0]); k++) {
			if (!(s->flags & limit_fields[k].bit))
				continue;
			fmt_value(val, sizeof(val), limit_of(s, k), s->unit);
			if (first)
				fputs(any ? "  limits: " : "       limits: ", out);
			fprintf(out, "%s%s %s", first ? "" : ", ", limit_fields[k].name, val);
			first = false;
			any = true;
		}
		if (s->flags & SOV_SEN_COUNTER) {
			fputs(any ? "  counter" : "       counter", out);
			any = true;
		}
		if (s->kind == SOV_KIND_ALARM && (s->flags & SOV_SEN_CRITICAL)) {
			fputs(any ? "  critical" : "       critical", out);
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
}

static void json_sensors(struct dump *d, cJSON *root)
{
	cJSON *arr = jchk(d, cJSON_AddArrayToObject(root, "sensors"));
	uint32_t i;
	size_t k;

	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		const struct unit_fmt *uf = unit_fmt(s->unit);
		cJSON *o = jchk(d, cJSON_CreateObject()), *lim;
		char id[16];

		json_push(d, arr, o);
		if (d->oom)
			return;
		json_u64(d, o, "index", i);
		snprintf(id, sizeof(id), "0x%08" PRIx32, s->id);
		json_str(d, o, "id", id);
		json_enum(d, o, "kind", kind_name(s->kind), s->kind);
		json_enum(d, o, "unit", uf ? uf->name : NULL, s->unit);
		json_enum(d, o, "source", source_name(s->source), s->source);
		json_field(d, o, "chip", s->chip, sizeof(s->chip));
		json_field(d, o, "name", s->name, sizeof(s->name));
		json_field(d, o, "label", s->label, sizeof(s->label));
		json_field(d, o, "labels", s->labels, sizeof(s->labels));
		lim = jchk(d, cJSON_AddObjectToObject(o, "limits"));
		for (k = 0; k < sizeof(limit_fields) / sizeof(limit_fields[0]); k++)
			if (s->flags & limit_fields[k].bit)
				json_i64(d, lim, limit_fields[k].name, limit_of(s, k));
		jchk(d, cJSON_AddBoolToObject(o, "counter", (s->flags & SOV_SEN_COUNTER) != 0));
		if (s->kind == SOV_KIND_ALARM)
			jchk(d, cJSON_AddBoolToObject(o, "critical",
						      (s->flags & SOV_SEN_CRITICAL) != 0));
		json_u64(d, o, "period_ms", s->period_ms);
	}
}

/* ------------------------------------------------------------------ */
/* Samples. */

static void text_sample(struct dump *d, FILE *out, const struct sov_sample *s)
{
	const struct sov_slot *slot = sov_sample_slot(s);
	char age[32], cost[32], flags[96], val[64], disp[SOV_NAME_LEN + 1];
	int wlabel = 5, w;
	uint32_t i;

	fmt_fixed(age, sizeof(age), sov_sample_age_ns(s) / 1000, 3, 3);
	fmt_fixed(cost, sizeof(cost), (int64_t)slot->cycle_cost_ns, 3, 3);
	fmt_flags(flags, sizeof(flags), slot->flags, sample_flags, NFLAGS(sample_flags));
	fprintf(out, "\nSample %" PRIu64 "  age %s ms  cost %s µs  overruns %" PRIu64,
		slot->number, age, cost, slot->overruns);
	if (slot->flags & SOV_SF_SMI_VALID)
		fprintf(out, "  smi %" PRIu64, slot->smi_count);
	fprintf(out, "  flags %s\n", flags);

	for (i = 0; i < d->nsensors; i++) {
		sensor_display(disp, &d->sensors[i], true);
		w = utf8_width(disp);
		wlabel = w > wlabel ? w : wlabel;
	}
	for (i = 0; i < d->nsensors; i++) {
		int64_t v;

		sensor_display(disp, &d->sensors[i], true);
		fprintf(out, "  %3" PRIu32 "  ", i);
		put_padded(out, *disp ? disp : "-", wlabel + 2);
		/* An invalid reading has no value: never print 0 or a stale one. */
		if (sov_sample_get(s, i, &v, NULL) == 0)
			fmt_value(val, sizeof(val), v, d->sensors[i].unit);
		else
			snprintf(val, sizeof(val), "invalid");
		if (sov_sample_suspect(s, i)) {
			put_padded(out, val, 18);
			fputs("  suspect\n", out);
		} else {
			fprintf(out, "%s\n", val);
		}
	}
}

static cJSON *json_sample(struct dump *d, const struct sov_sample *s)
{
	const struct sov_slot *slot = sov_sample_slot(s);
	cJSON *o = jchk(d, cJSON_CreateObject()), *arr;
	uint32_t i;

	json_u64(d, o, "number", slot->number);
	jchk(d, cJSON_AddNumberToObject(o, "age_ms", (double)sov_sample_age_ns(s) / 1e6));
	json_u64(d, o, "mono_ns", slot->mono_ns);
	json_u64(d, o, "real_ns", slot->real_ns);
	json_u64(d, o, "cycle_cost_ns", slot->cycle_cost_ns);
	json_u64(d, o, "overruns", slot->overruns);
	if (slot->flags & SOV_SF_SMI_VALID)
		json_u64(d, o, "smi_count", slot->smi_count);
	json_flags(d, o, "flags", slot->flags, sample_flags, NFLAGS(sample_flags));
	arr = jchk(d, cJSON_AddArrayToObject(o, "readings"));
	for (i = 0; i < d->nsensors; i++) {
		const struct unit_fmt *uf = unit_fmt(d->sensors[i].unit);
		cJSON *rd = jchk(d, cJSON_CreateObject());
		char disp[SOV_NAME_LEN + 1];
		uint64_t mono;
		int64_t v;

		json_push(d, arr, rd);
		if (d->oom)
			break;
		json_u64(d, rd, "index", i);
		sensor_display(disp, &d->sensors[i], false);
		json_str(d, rd, "label", disp);
		if (sov_sample_get(s, i, &v, &mono) == 0) {
			jchk(d, cJSON_AddBoolToObject(rd, "valid", 1));
			json_i64(d, rd, "raw", v);
			if (uf && uf->shift)
				jchk(d, cJSON_AddNumberToObject(rd, "value",
								(double)v / (double)pow10_u64(uf->shift)));
			else
				json_i64(d, rd, "value", v);
			json_u64(d, rd, "mono_ns", mono);
		} else {
			/* Invalid: no number at all, so nobody graphs a 0. */
			jchk(d, cJSON_AddBoolToObject(rd, "valid", 0));
			jchk(d, cJSON_AddNullToObject(rd, "raw"));
			jchk(d, cJSON_AddNullToObject(rd, "value"));
		}
		if (uf)
			json_str(d, rd, "unit", uf->suffix);
		else
			json_i64(d, rd, "unit", d->sensors[i].unit);
		jchk(d, cJSON_AddBoolToObject(rd, "suspect", sov_sample_suspect(s, i)));
	}
	return o;
}

/* sov_walk_fn: print or collect one sample of the walk, newest first. */
static int walk_one(const struct sov_sample *s, void *arg)
{
	struct dump *d = arg;
	cJSON *o;

	if (sov_sample_slot(s)->number > d->last_sample)
		d->last_sample = sov_sample_slot(s)->number;
	if (!d->o.json) {
		text_sample(d, d->out, s);
		return 0;
	}
	o = json_sample(d, s);
	json_push(d, d->jsamples, o);
	return d->oom;
}

/*
 * The newest sample, or the last --samples N.  Sets d->last_sample.
 * Return: 0 (also when nothing is published yet) or -errno/-SOV_E*.
 */
static int dump_samples(struct dump *d, cJSON *root)
{
	int rc;

	d->last_sample = 0;
	if (d->o.json)
		d->jsamples = jchk(d, cJSON_AddArrayToObject(root, "samples"));
	if (d->o.nsamples) {
		rc = sov_reader_walk(d->r, d->o.nsamples, walk_one, d);
		rc = rc > 0 ? 0 : rc;
	} else {
		rc = sov_reader_latest(d->r, d->sample);
		if (rc == 0)
			rc = walk_one(d->sample, d) ? -ENOMEM : 0;
	}
	if (rc == -SOV_ENOSAMPLE) {
		if (!d->o.json)
			fprintf(d->out, "\nNo sample published yet\n");
		rc = 0;
	}
	d->jsamples = NULL;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Events. */

/* Who an event is about: "chip/name (label)", the label only when it says more. */
static void event_who(char *dst, size_t len, const struct sov_sensor *s, bool text_mode)
{
	char chip[SOV_NAME_LEN + 1], name[SOV_NAME_LEN + 1], label[SOV_NAME_LEN + 1];

	field_copy(chip, s->chip, sizeof(s->chip), text_mode);
	field_copy(name, s->name, sizeof(s->name), text_mode);
	field_copy(label, s->label, sizeof(s->label), text_mode);
	if (*label && strcmp(label, name))
		snprintf(dst, len, "%s/%s (%s)", chip, name, label);
	else
		snprintf(dst, len, "%s/%s", chip, name);
}

static const char *meaning_name(enum sov_event_meaning m)
{
	switch (m) {
	case SOV_EVM_READING:    return "reading";
	case SOV_EVM_ERRNO:      return "errno";
	case SOV_EVM_COUNT:      return "count";
	case SOV_EVM_GENERATION: return "generation";
	case SOV_EVM_NUMBER:     return "number";
	default:                 return "none";
	}
}

/*
 * An event's value in its own meaning (shm_names.h): a reading in the
 * sensor's unit, an errno by name ("EIO (Input/output error)"), a count,
 * a generation.  @s: the event's sensor or NULL.
 */
static void fmt_event_value(char *buf, size_t len, const struct sov_event *e,
			    const struct sov_sensor *s)
{
	enum sov_event_meaning m = sov_event_value_meaning(e);
	int err = e->value < 0 && e->value >= -4095 ? (int)-e->value : 0;
	const char *ename = err ? strerrorname_np(err) : NULL;

	switch (m) {
	case SOV_EVM_READING:
		if (s) {
			fmt_value(buf, len, e->value, s->unit);
			break;
		}
		snprintf(buf, len, "%" PRId64, e->value);
		break;
	case SOV_EVM_ERRNO:
		if (ename)
			snprintf(buf, len, "%s (%s)", ename, strerrordesc_np(err));
		else
			snprintf(buf, len, "errno %" PRId64, -e->value);
		break;
	default:
		snprintf(buf, len, "%" PRId64, e->value);
		break;
	}
}

static void text_event(struct dump *d, FILE *out, const struct sov_event *e)
{
	const struct sov_sensor *s = e->sensor == SOV_NO_SENSOR ? NULL : dump_sensor(d, e->sensor);
	const char *sev = severity_name(e->severity), *type = event_type_name(e->type);
	enum sov_event_meaning vm = sov_event_value_meaning(e), lm = sov_event_limit_meaning(e);
	char when[48], num[16], who[3 * SOV_NAME_LEN + 8], val[96], lim[64];
	char text[SOV_EVENT_TEXT_LEN + 1];

	fmt_time(when, sizeof(when), e->real_ns);
	fprintf(out, "  %6" PRIu64 "  %s  ", e->number, when);
	snprintf(num, sizeof(num), "%u", (unsigned)e->severity);
	put_padded(out, sev ? sev : num, 8);
	snprintf(num, sizeof(num), "%u", (unsigned)e->type);
	put_padded(out, type ? type : num, 15);
	if (s)
		event_who(who, sizeof(who), s, true);
	else if (e->sensor != SOV_NO_SENSOR)
		snprintf(who, sizeof(who), "#%" PRIu32, e->sensor);
	else
		snprintf(who, sizeof(who), "-");
	put_padded(out, *who ? who : "-", 14);
	fputs("  ", out);
	/* Each number in its own meaning: an errno is not a temperature. */
	fmt_event_value(val, sizeof(val), e, s);
	switch (vm) {
	case SOV_EVM_ERRNO:      fprintf(out, "error %s", val); break;
	case SOV_EVM_COUNT:      fprintf(out, "count %s", val); break;
	case SOV_EVM_GENERATION: fprintf(out, "generation %s", val); break;
	default:                 fprintf(out, "value %s", val); break;
	}
	if (lm == SOV_EVM_READING && s) {
		fmt_value(lim, sizeof(lim), e->limit, s->unit);
		fprintf(out, "  %s %s", e->type == SOV_EV_THRESH_WARN || e->type == SOV_EV_THRESH_CRIT
					? "limit" : "before", lim);
	}
	field_copy(text, e->text, sizeof(e->text), true);
	fprintf(out, "%s%s\n", *text ? "  " : "", text);
}

/* The event's fields into @o (an event object, or an NDJSON line). */
static void json_event_fields(struct dump *d, cJSON *o, const struct sov_event *e)
{
	const struct sov_sensor *s = e->sensor == SOV_NO_SENSOR ? NULL : dump_sensor(d, e->sensor);
	enum sov_event_meaning vm = sov_event_value_meaning(e), lm = sov_event_limit_meaning(e);
	char when[48], who[SOV_NAME_LEN + 1], val[96];

	json_u64(d, o, "number", e->number);
	json_u64(d, o, "real_ns", e->real_ns);
	fmt_time(when, sizeof(when), e->real_ns);
	json_str(d, o, "time", when);
	json_enum(d, o, "severity", severity_name(e->severity), e->severity);
	json_enum(d, o, "type", event_type_name(e->type), e->type);
	if (e->sensor == SOV_NO_SENSOR) {
		jchk(d, cJSON_AddNullToObject(o, "sensor"));
	} else {
		json_u64(d, o, "sensor", e->sensor);
		if (s) {
			/* Several chips have a temp1: chip and name say which. */
			json_field(d, o, "chip", s->chip, sizeof(s->chip));
			json_field(d, o, "sensor_name", s->name, sizeof(s->name));
			sensor_display(who, s, false);
			json_str(d, o, "sensor_label", who);
		}
	}
	json_i64(d, o, "value", e->value);
	json_str(d, o, "value_meaning", meaning_name(vm));
	fmt_event_value(val, sizeof(val), e, s);
	json_str(d, o, "value_text", val);
	if (vm == SOV_EVM_ERRNO && e->value >= -4095 && strerrorname_np((int)-e->value))
		json_str(d, o, "error", strerrorname_np((int)-e->value));
	json_i64(d, o, "limit", e->limit);
	json_str(d, o, "limit_meaning", meaning_name(lm));
	json_field(d, o, "text", e->text, sizeof(e->text));
}

/*
 * Read the events after d->ev_cursor, print (text) or collect them into
 * @arr (JSON), and advance the cursor.  Return: events read, or -SOV_E*.
 */
static int read_events(struct dump *d, FILE *out, cJSON *arr)
{
	struct sov_event buf[DUMP_EVENT_BATCH];
	int rc, i, total = 0;

	do {
		rc = sov_reader_events(d->r, &d->ev_cursor, buf, DUMP_EVENT_BATCH, &d->ev_lost);
		if (rc < 0)
			return rc;
		for (i = 0; i < rc; i++) {
			cJSON *o;

			if (!d->o.json) {
				text_event(d, out, &buf[i]);
				continue;
			}
			o = jchk(d, cJSON_CreateObject());
			json_event_fields(d, o, &buf[i]);
			json_push(d, arr, o);
		}
		total += rc;
		/* Fewer than a batch: caught up with event_head as it was. */
	} while (rc == DUMP_EVENT_BATCH);
	return total;
}

static int dump_events(struct dump *d, cJSON *root)
{
	cJSON *arr = NULL;
	int rc;

	d->ev_cursor = 0;
	d->ev_lost = 0;
	if (d->o.no_events) {
		/* Follow starts after the events that exist now. */
		d->ev_cursor = sov_reader_event_head(d->r);
		return 0;
	}
	if (d->o.json)
		arr = jchk(d, cJSON_AddArrayToObject(root, "events"));
	else
		fprintf(d->out, "\nEvents\n");
	rc = read_events(d, d->out, arr);
	if (rc < 0)
		return rc;
	if (d->o.json) {
		json_u64(d, root, "events_lost", d->ev_lost);
		return 0;
	}
	if (rc == 0)
		fprintf(d->out, "  none\n");
	fprintf(d->out, "  %" PRIu64 " lost (overwritten before being read)\n", d->ev_lost);
	return 0;
}

/* ------------------------------------------------------------------ */
/* One complete dump. */

/*
 * Print the whole dump to stdout, built in memory first so that a writer
 * restart halfway can be retried without half a dump on stdout.
 * Return: 0 or -errno/-SOV_E* (-SOV_ERESTARTED: re-attach and call again).
 */
static int dump_once(struct dump *d)
{
	cJSON *root = NULL;
	char *text = NULL;
	size_t text_len = 0;
	int status, rc;

	rc = load_sensors(d);
	if (rc)
		return rc;
	status = sov_reader_status(d->r);
	if (status == -SOV_ERESTARTED)
		return status;
	d->oom = false;
	if (d->o.json) {
		root = cJSON_CreateObject();
		if (!root)
			return -ENOMEM;
		if (d->o.follow)
			json_str(d, root, "event", "snapshot");
		json_str(d, root, "segment", d->o.name);
		json_header(d, root, status);
		json_sensors(d, root);
	} else {
		d->out = open_memstream(&text, &text_len);
		if (!d->out)
			return -errno;
		text_header(d, d->out, status);
		text_sensors(d, d->out);
	}
	rc = dump_samples(d, root);
	if (rc)
		goto out_free;
	rc = dump_events(d, root);
	if (rc)
		goto out_free;

	if (d->o.json) {
		text = d->o.follow ? cJSON_PrintUnformatted(root) : cJSON_Print(root);
		if (!text || d->oom) {
			rc = -ENOMEM;
			goto out_free;
		}
		printf("%s\n", text);
	} else {
		if (fclose(d->out)) {
			d->out = NULL;
			rc = -errno;
			goto out_free;
		}
		d->out = NULL;
		fwrite(text, 1, text_len, stdout);
	}
	fflush(stdout);
out_free:
	if (d->out)
		fclose(d->out);
	d->out = NULL;
	free(text);
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* --follow. */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Print one NDJSON line and free @o.  Return: 0 or -ENOMEM. */
static int emit_json(struct dump *d, cJSON *o)
{
	char *line = d->oom ? NULL : cJSON_PrintUnformatted(o);
	int rc = 0;

	if (line) {
		printf("%s\n", line);
		fflush(stdout);
	} else {
		rc = -ENOMEM;
	}
	free(line);
	cJSON_Delete(o);
	d->oom = false;
	return rc;
}

/* A status line: {"event":@what, ...} or "sovereign-dump: @msg". */
static int emit_status(struct dump *d, const char *what, const char *msg, int err)
{
	const struct sov_header *h = sov_reader_header(d->r);
	cJSON *o;

	if (!d->o.json) {
		printf("--- %s ---\n", msg);
		fflush(stdout);
		return 0;
	}
	o = jchk(d, cJSON_CreateObject());
	json_str(d, o, "event", what);
	json_str(d, o, "message", msg);
	if (err)
		json_str(d, o, "error", sov_strerror(err));
	else {
		json_u64(d, o, "generation", h->generation);
		json_i64(d, o, "writer_pid", h->writer_pid);
	}
	return emit_json(d, o);
}

/* Print the samples published since d->last_sample.  Return: 0 or -SOV_E*. */
static int follow_samples(struct dump *d)
{
	const struct sov_header *h = sov_reader_header(d->r);
	uint64_t head = sov_reader_head(d->r), n;
	int rc;

	if (head <= d->last_sample)
		return 0;
	n = d->last_sample + 1;
	/* Fell behind by more than the ring holds: skip to what is there. */
	if (head - n + 2 > h->nslots)
		n = head + 2 - h->nslots;
	for (; n <= head && !stop_requested; n++) {
		rc = sov_reader_sample(d->r, n, d->sample);
		if (rc == -SOV_EGONE)
			continue; /* overwritten meanwhile */
		if (rc == -SOV_EBUSY)
			return 0; /* writer too quick for one copy: next poll */
		if (rc)
			return rc;
		d->last_sample = n;
		if (d->o.json) {
			cJSON *o = json_sample(d, d->sample);

			json_str(d, o, "event", "sample");
			rc = emit_json(d, o);
			if (rc)
				return rc;
		} else {
			text_sample(d, stdout, d->sample);
			fflush(stdout);
		}
	}
	return 0;
}

/* Print the events published since d->ev_cursor.  Return: 0 or -SOV_E*. */
static int follow_events(struct dump *d)
{
	struct sov_event buf[DUMP_EVENT_BATCH];
	uint64_t lost = 0;
	int rc, i;

	if (d->o.no_events)
		return 0;
	do {
		rc = sov_reader_events(d->r, &d->ev_cursor, buf, DUMP_EVENT_BATCH, &lost);
		if (rc < 0)
			return rc;
		for (i = 0; i < rc; i++) {
			if (d->o.json) {
				cJSON *o = jchk(d, cJSON_CreateObject());

				json_str(d, o, "event", "ring_event");
				json_event_fields(d, o, &buf[i]);
				if (emit_json(d, o))
					return -ENOMEM;
			} else {
				text_event(d, stdout, &buf[i]);
			}
		}
	} while (rc == DUMP_EVENT_BATCH);
	if (lost) {
		d->ev_lost += lost;
		if (d->o.json) {
			cJSON *o = jchk(d, cJSON_CreateObject());

			json_str(d, o, "event", "events_lost");
			json_u64(d, o, "count", lost);
			if (emit_json(d, o))
				return -ENOMEM;
		} else {
			printf("--- %" PRIu64 " events lost (overwritten before being read) ---\n",
			       lost);
		}
	}
	fflush(stdout);
	return 0;
}

/* Errors a re-attach may meet while a new writer is coming up. */
static bool transient(int rc)
{
	return rc == -ENOENT || rc == -SOV_ENOTREADY || rc == -SOV_EBUSY ||
	       rc == -SOV_ERESTARTED;
}

/*
 * Re-attach after a writer restart and print a fresh snapshot.
 * Return: 0 (attached), 1 (not yet: try at the next poll), or -errno/-SOV_E*.
 */
static int follow_reattach(struct dump *d, bool *waiting)
{
	char msg[128];
	int rc;

	rc = sov_reader_reattach(d->r);
	if (rc) {
		if (!transient(rc))
			return rc;
		if (!*waiting) {
			rc = emit_status(d, "waiting", "writer gone: waiting for a new one", rc);
			if (rc)
				return rc;
		}
		*waiting = true;
		return 1;
	}
	*waiting = false;
	/* The layout may have changed: a sample from the old one is -ENOBUFS. */
	sov_sample_free(d->sample);
	d->sample = sov_sample_alloc(d->r);
	if (!d->sample)
		return -ENOMEM;
	snprintf(msg, sizeof(msg), "writer restarted: reattached (generation %" PRIu64 ", pid %" PRId32
		 ")", sov_reader_header(d->r)->generation, sov_reader_header(d->r)->writer_pid);
	rc = emit_status(d, "reattached", msg, 0);
	if (rc)
		return rc;
	rc = dump_once(d);
	return rc == -SOV_ERESTARTED ? 1 : rc;
}

/*
 * Poll until SIGINT/SIGTERM, printing new samples and events, following
 * the writer through stops and restarts.  Return: 0 or -errno/-SOV_E*.
 */
static int follow(struct dump *d)
{
	struct timespec ts = {
		.tv_sec = d->o.interval_ms / 1000,
		.tv_nsec = (long)(d->o.interval_ms % 1000) * 1000000L,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	bool stopped = false, waiting = false, detached = false;
	int rc = 0;

	/*
	 * Blocked except inside ppoll(), which unblocks them atomically: a
	 * signal arriving between the flag check and the sleep still wakes it.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &orig))
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		rc = -errno;
		goto out_restore;
	}

	while (!stop_requested) {
		if (ppoll(NULL, 0, &ts, &orig) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (stop_requested)
			break;
		if (detached) {
			rc = follow_reattach(d, &waiting);
			if (rc < 0)
				break;
			detached = rc > 0;
			stopped = false;
			rc = 0;
			continue;
		}
		rc = follow_samples(d);
		if (rc == 0)
			rc = follow_events(d);
		if (rc == 0)
			rc = sov_reader_status(d->r);
		if (rc == -SOV_ESTOPPED) {
			if (!stopped) {
				rc = emit_status(d, "stopped", "writer stopped: waiting", 0);
				if (rc)
					break;
			}
			stopped = true;
			rc = 0;
		} else if (rc == -SOV_ERESTARTED) {
			detached = true;
			rc = 0;
		} else if (rc) {
			break;
		}
	}
out_restore:
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Options. */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [OPTION]...\n"
		"Print the Sovereign shared-memory segment: header, sensor table, newest\n"
		"sample(s) and events.  Attaches read-only, like any reader.\n"
		"\n"
		"  -n, --name NAME     segment name (default " SOV_SHM_DEFAULT_NAME ")\n"
		"  -j, --json          one JSON document (with --follow: one object per line)\n"
		"  -f, --follow        then print new samples and events until SIGINT/SIGTERM\n"
		"  -i, --interval MS   --follow poll interval, 1..%d ms (default %d)\n"
		"  -s, --samples N     print the last N samples, newest first (default: the newest)\n"
		"  -E, --no-events     leave the event ring out\n"
		"  -h, --help          this help\n"
		"  -V, --version       version and segment ABI\n"
		"\n"
		"Exit status: 0 on success, 1 on any error.\n",
		DUMP_INTERVAL_MAX_MS, DUMP_INTERVAL_DEFAULT_MS);
}

/* Parse @s as a decimal in [@min, @max].  Return: 0, -EINVAL or -ERANGE. */
static int parse_u32(const char *s, long min, long max, uint32_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* Return: 0 to run, 1 to exit 0 (--help, --version), -EINVAL on misuse. */
static int parse_args(int argc, char **argv, struct dump_opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "samples", required_argument, NULL, 's' },
		{ "no-events", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*o = (struct dump_opts){
		.name = SOV_SHM_DEFAULT_NAME,
		.interval_ms = DUMP_INTERVAL_DEFAULT_MS,
	};
	while ((c = getopt_long(argc, argv, "n:jfi:s:EhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'i':
			rc = parse_u32(optarg, 1, DUMP_INTERVAL_MAX_MS, &o->interval_ms);
			if (rc) {
				fprintf(stderr, PROG ": --interval %s: want 1..%d ms: %s\n", optarg,
					DUMP_INTERVAL_MAX_MS, sov_strerror(rc));
				return -EINVAL;
			}
			break;
		case 's':
			rc = parse_u32(optarg, 1, SOV_NSLOTS_MAX, &o->nsamples);
			if (rc) {
				fprintf(stderr, PROG ": --samples %s: want 1..%u: %s\n", optarg,
					SOV_NSLOTS_MAX, sov_strerror(rc));
				return -EINVAL;
			}
			break;
		case 'E':
			o->no_events = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROG " %s (segment ABI %u.%u)\n", SOV_VERSION, SOV_ABI_MAJOR,
			       SOV_ABI_MINOR);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* What to try when attaching fails with @rc. */
static const char *attach_hint(int rc)
{
	switch (rc) {
	case -ENOENT:        return " (is the sampler running?)";
	case -EACCES:        return " (is this user in the segment's group?)";
	case -SOV_ENOTREADY: return " (try again in a moment)";
	case -EINVAL:        return " (a name is \"/x\": one leading slash, no other)";
	}
	return "";
}

int main(int argc, char **argv)
{
	struct dump d = { 0 };
	int rc, tries;

	rc = parse_args(argc, argv, &d.o);
	if (rc)
		return rc > 0 ? 0 : 1;

	rc = sov_reader_open(d.o.name, NULL, &d.r);
	if (rc) {
		fprintf(stderr, PROG ": cannot attach to %s: %s%s\n", d.o.name, sov_strerror(rc),
			attach_hint(rc));
		return 1;
	}
	d.sample = sov_sample_alloc(d.r);
	if (!d.sample) {
		rc = -ENOMEM;
		fprintf(stderr, PROG ": sample buffer: %s\n", sov_strerror(rc));
		goto out_close_reader;
	}

	/* A writer restarting under a one-shot dump: attach to the new one. */
	for (tries = 0; tries < DUMP_RESTART_TRIES; tries++) {
		rc = dump_once(&d);
		if (rc != -SOV_ERESTARTED)
			break;
		rc = sov_reader_reattach(d.r);
		if (rc)
			break;
		sov_sample_free(d.sample);
		d.sample = sov_sample_alloc(d.r);
		if (!d.sample) {
			rc = -ENOMEM;
			break;
		}
		rc = -SOV_ERESTARTED;
	}
	if (rc) {
		fprintf(stderr, PROG ": reading %s: %s%s\n", d.o.name, sov_strerror(rc),
			attach_hint(rc));
		goto out_free_sample;
	}
	if (d.o.follow) {
		rc = follow(&d);
		if (rc) {
			fprintf(stderr, PROG ": following %s: %s\n", d.o.name, sov_strerror(rc));
			goto out_free_sample;
		}
	}
	if (fflush(stdout) || ferror(stdout)) {
		rc = -EIO;
		fprintf(stderr, PROG ": writing output: %s\n", sov_strerror(rc));
		goto out_free_sample;
	}

out_free_sample:
	sov_sample_free(d.sample);
	free(d.sensors);
out_close_reader:
	sov_reader_close(d.r);
	return rc ? 1 : 0;
}
