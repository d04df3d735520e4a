/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump_fmt.c - sovereign-dump's names and formats, shared by the table and
 * the JSON: the ABI's enums and flags by name, units, fixed-point values,
 * times, bounded strings made printable.
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

#include "opt.h"
#include "shm_names.h"
#include "sovereign.h"

#include "dump.h"

/* Names of the ABI's enums and flags.  NULL: unknown, print the number. */

const char *state_name(uint32_t state)
{
	switch (state) {
	case SOV_STATE_INIT:    return "INIT";
	case SOV_STATE_LIVE:    return "LIVE";
	case SOV_STATE_STOPPED: return "STOPPED";
	}
	return NULL;
}

const char *kind_name(uint16_t kind)
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

const char *source_name(uint16_t source)
{
	static const char *const names[SOV_SRC_MAX_] = {
		[SOV_SRC_NONE] = "none",         [SOV_SRC_MSR] = "msr",
		[SOV_SRC_HWMON] = "hwmon",       [SOV_SRC_POWERCAP] = "powercap",
		[SOV_SRC_I2C] = "i2c",           [SOV_SRC_PERF] = "perf",
		[SOV_SRC_SIM] = "sim",           [SOV_SRC_INTERNAL] = "internal",
	};

	return source < SOV_SRC_MAX_ ? names[source] : NULL;
}

const char *severity_name(uint16_t sev)
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

const char *event_type_name(uint16_t type)
{
	return sov_event_type_name(type); /* shm_names.h: the journal says the same */
}

const struct unit_fmt *unit_fmt(uint16_t unit)
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

const struct flag_name header_flags[DUMP_NHEADER_FLAGS] = {
	{ SOV_HF_NOT_LOCKED, "NOT_LOCKED" },
	{ SOV_HF_NO_NUMA, "NO_NUMA" },
};

const struct flag_name sample_flags[DUMP_NSAMPLE_FLAGS] = {
	{ SOV_SF_SMI_VALID, "SMI_VALID" },
	{ SOV_SF_NO_RT, "NO_RT" },
	{ SOV_SF_NO_MLOCK, "NO_MLOCK" },
	{ SOV_SF_OVERRUN, "OVERRUN" },
};

/* Pure formatting helpers. */

/*
 * Copy the fixed-size segment field @src (@size bytes, maybe without a NUL:
 * the segment is another process's memory) into @dst (@size + 1 bytes),
 * replacing bytes that are not valid UTF-8 by '?', and, when @text_mode,
 * control characters too (a segment must not drive the terminal).
 */
void field_copy(char *dst, const char *src, size_t size, bool text_mode)
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
int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Print @s left-aligned in @width columns (printf's %-*s counts bytes). */
void put_padded(FILE *out, const char *s, int width)
{
	int w = utf8_width(s);

	fputs(s, out);
	for (; w < width; w++)
		fputc(' ', out);
}

uint64_t pow10_u64(unsigned n)
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
void fmt_fixed(char *buf, size_t len, int64_t v, unsigned shift, unsigned decimals)
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
void fmt_value(char *buf, size_t len, int64_t v, uint16_t unit)
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
void fmt_time(char *buf, size_t len, uint64_t ns)
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
void fmt_flags(char *buf, size_t len, uint32_t flags, const struct flag_name *t,
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
void sensor_display(char *dst, const struct sov_sensor *s, bool text_mode)
{
	field_copy(dst, s->label, sizeof(s->label), text_mode);
	if (!*dst)
		field_copy(dst, s->name, sizeof(s->name), text_mode);
}

/* The table entry of sensor @idx, or NULL (out of range, SOV_NO_SENSOR). */
const struct sov_sensor *dump_sensor(const struct dump *d, uint32_t idx)
{
	return idx < d->nsensors ? &d->sensors[idx] : NULL;
}

/* The header. */

const char *status_name(int status)
{
	switch (status) {
	case 0:               return "live";
	case -SOV_ESTOPPED:   return "stopped";
	case -SOV_ERESTARTED: return "restarted";
	}
	return "unknown";
}

/* Who an event is about: "chip/name (label)", the label only when it says more. */
void event_who(char *dst, size_t len, const struct sov_sensor *s, bool text_mode)
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

const char *meaning_name(enum sov_event_meaning m)
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
void fmt_event_value(char *buf, size_t len, const struct sov_event *e,
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
