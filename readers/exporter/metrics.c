/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics.c - the kind/unit -> Prometheus family table, the snapshot taken
 * from the segment, and the pure renderer of text 0.0.4 and OpenMetrics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "metrics.h"
#include "shm_units.h"

const unsigned exp_codes[EXP_NCODES] = { 200, 304, 401, 404, 405, 413, 500 };

/*
 * The one table.  Values in the segment are integers in sysfs milli-units;
 * the segment's unit table (shm_units.h: the unit each kind carries, and
 * how many of it make one base unit) brings them to Prometheus base units
 * (celsius, watts, joules, volts, amperes, ratio).  Temperatures are split
 * by chip so that a dashboard needs no regex on chip names.
 */
enum fam_id {
	FAM_CPU_TEMP, FAM_DIMM_TEMP, FAM_TEMP, FAM_FAN_RPM, FAM_FAN_DUTY, FAM_POWER,
	FAM_ENERGY, FAM_VOLTAGE, FAM_CURRENT, FAM_COUNT, FAM_GAUGE, FAM_HUMIDITY, FAM_FREQ,
	FAM_MAX_
};

static const struct exp_family families[FAM_MAX_] = {
	[FAM_CPU_TEMP]  = { "sovereign_cpu_temp_celsius", "CPU temperature (k10temp, coretemp, MSR), degrees Celsius.", false, true, true },
	[FAM_DIMM_TEMP] = { "sovereign_dimm_temp_celsius", "DIMM temperature (jc42, spd5118), degrees Celsius.", false, true, true },
	[FAM_TEMP]      = { "sovereign_temp_celsius", "Other temperature sensors, degrees Celsius.", false, true, true },
	[FAM_FAN_RPM]   = { "sovereign_fan_rpm", "Fan speed, revolutions per minute.", false, false, true },
	[FAM_FAN_DUTY]  = { "sovereign_fan_duty_ratio", "Fan duty cycle, 0 to 1.", false, false, true },
	[FAM_POWER]     = { "sovereign_power_watts", "Power, watts.", false, true, true },
	[FAM_ENERGY]    = { "sovereign_energy_joules", "Energy accumulated, joules.", true, false, false },
	[FAM_VOLTAGE]   = { "sovereign_voltage_volts", "Voltage, volts.", false, false, true },
	[FAM_CURRENT]   = { "sovereign_current_amperes", "Current, amperes.", false, false, true },
	[FAM_COUNT]     = { "sovereign_sensor_events", "Other monotonic counters of the sampler.", true, false, false },
	[FAM_GAUGE]     = { "sovereign_sensor_value", "Other dimensionless gauges of the sampler.", false, false, true },
	[FAM_HUMIDITY]  = { "sovereign_humidity_ratio", "Relative humidity, 0 to 1.", false, true, false },
	[FAM_FREQ]      = { "sovereign_frequency_hertz", "Frequency, hertz.", false, false, false },
};

/* Does @chip ("driver/device") name one of @drivers? */
static bool chip_is(const char *chip, const char *const *drivers)
{
	size_t n = strcspn(chip, "/");

	for (; *drivers; drivers++)
		if (strlen(*drivers) == n && !strncmp(chip, *drivers, n))
			return true;
	return false;
}

static const char *const cpu_chips[] = { "k10temp", "coretemp", "msr", NULL };
static const char *const dimm_chips[] = { "jc42", "spd5118", "i2c_jc42", "i2c_spd5118", NULL };

const struct exp_family *exp_family_of(const struct sov_sensor *s)
{
	switch (s->kind) {
	case SOV_KIND_TEMP:
		if (chip_is(s->chip, cpu_chips))
			return &families[FAM_CPU_TEMP];
		if (chip_is(s->chip, dimm_chips))
			return &families[FAM_DIMM_TEMP];
		return &families[FAM_TEMP];
	case SOV_KIND_FAN_RPM:  return &families[FAM_FAN_RPM];
	case SOV_KIND_FAN_DUTY: return &families[FAM_FAN_DUTY];
	case SOV_KIND_POWER:    return &families[FAM_POWER];
	case SOV_KIND_ENERGY:   return &families[FAM_ENERGY];
	case SOV_KIND_VOLTAGE:  return &families[FAM_VOLTAGE];
	case SOV_KIND_CURRENT:  return &families[FAM_CURRENT];
	case SOV_KIND_COUNT:    return &families[FAM_COUNT];
	case SOV_KIND_GAUGE:    return &families[FAM_GAUGE];
	case SOV_KIND_HUMIDITY: return &families[FAM_HUMIDITY];
	case SOV_KIND_FREQ:     return &families[FAM_FREQ];
	default:
		/* SMI counts come from the slot (sovereign_smi_total), once per host;
		 * alarms, settings and chip info go by their attribute
		 * (render_attrs()). */
		return NULL;
	}
}

/* ---- snapshot ---- */

struct walk_ctx {
	struct exp_snapshot *snap;
	uint64_t since_ns;   /* oldest sample time still in the window */
};

static int window_visit(const struct sov_sample *s, void *arg)
{
	struct walk_ctx *w = arg;

	if (sov_sample_slot(s)->mono_ns < w->since_ns)
		return 1; /* newest first: everything further is older */
	for (uint32_t i = 0; i < w->snap->n; i++) {
		struct exp_sensor_snap *e = &w->snap->sen[i];
		int64_t v;

		if (sov_sample_get(s, i, &v, NULL))
			continue; /* invalid readings do not count as 0 in a min */
		if (!e->have_window) {
			e->wmin = e->wmax = v;
			e->have_window = true;
		} else {
			e->wmin = v < e->wmin ? v : e->wmin;
			e->wmax = v > e->wmax ? v : e->wmax;
		}
	}
	return 0;
}

int exp_snapshot_take(struct sov_reader *r, struct sov_sample *sample, int status,
		      uint64_t window_ns, uint64_t stale_ns, struct exp_snapshot *snap)
{
	const struct sov_header *h = sov_reader_header(r);
	uint32_t n = sov_reader_nsensors(r);
	struct walk_ctx w = { .snap = snap };
	uint64_t nwalk;
	int rc;

	snap->attached = true;
	snap->up = false;
	snap->have_sample = false;
	snap->n = 0;
	snap->generation = h->generation;
	snap->window_s = (double)window_ns / 1e9;
	if (status == -SOV_ERESTARTED) {
		snap->state = "restarting";
		return status;
	}
	rc = sov_reader_latest(r, sample);
	if (rc == -SOV_ENOSAMPLE) {
		snap->state = status ? "stopped" : "initialising";
		return 0;
	}
	if (rc) {
		snap->state = rc == -SOV_ERESTARTED ? "restarting" : "error";
		return rc;
	}
	snap->have_sample = true;
	snap->slot = *sov_sample_slot(sample);
	snap->age_s = (double)sov_sample_age_ns(sample) / 1e9;
	if (status == -SOV_ESTOPPED) {
		snap->state = "stopped";
		return 0;
	}
	if (status) {
		snap->state = "error";
		return 0;
	}
	if (sov_sample_age_ns(sample) > (int64_t)stale_ns) {
		snap->state = "stale";
		return 0;
	}
	if (n > snap->cap) {
		struct exp_sensor_snap *p = realloc(snap->sen, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		snap->sen = p;
		snap->cap = n;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct exp_sensor_snap *e = &snap->sen[i];

		memset(e, 0, sizeof(*e));
		rc = sov_reader_sensor(r, i, &e->s);
		if (rc) {
			snap->state = rc == -SOV_ERESTARTED ? "restarting" : "error";
			return rc;
		}
		e->valid = sov_sample_get(sample, i, &e->value, NULL) == 0;
	}
	snap->n = n;
	/* Samples in the window: window / period, bounded by the ring. */
	nwalk = h->period_ns ? window_ns / h->period_ns + 1 : h->nslots;
	if (nwalk > h->nslots)
		nwalk = h->nslots;
	w.since_ns = snap->slot.mono_ns > window_ns ? snap->slot.mono_ns - window_ns : 0;
	rc = sov_reader_walk(r, (uint32_t)nwalk, window_visit, &w);
	if (rc < 0 && rc != -SOV_ENOSAMPLE) {
		snap->n = 0;
		snap->state = rc == -SOV_ERESTARTED ? "restarting" : "error";
		return rc;
	}
	snap->state = "live";
	snap->up = true;
	return 0;
}

int exp_snapshot_copy(struct exp_snapshot *dst, const struct exp_snapshot *src)
{
	*dst = *src;
	dst->fan = dst->watchdog = NULL;
	dst->sen = NULL;
	dst->cap = 0;
	if (!src->n)
		return 0;
	dst->sen = malloc(src->n * sizeof(*dst->sen));
	if (!dst->sen) {
		dst->n = 0;
		return -ENOMEM;
	}
	memcpy(dst->sen, src->sen, src->n * sizeof(*dst->sen));
	dst->cap = src->n;
	return 0;
}

void exp_snapshot_free(struct exp_snapshot *snap)
{
	free(snap->sen);
	snap->sen = NULL;
	snap->cap = snap->n = 0;
}

/* ---- buffer ---- */

static void put(struct exp_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct exp_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct exp_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = b->err ? b->err : -EOVERFLOW;
		return;
	}
	put(b, tmp, (size_t)n);
}

/* How many of @unit make one base unit (shm_units.h); 1 for a unit it does not know. */
static uint32_t unit_per_base(uint16_t unit)
{
	const struct sov_unit_info *u = sov_unit_info(unit);

	return u ? u->per_base : 1;
}

/*
 * @v / @div written exactly in decimal (no binary floating point on the way:
 * 45250 m°C is "45.25", never "45.250000000000004").
 */
static void put_scaled(struct exp_buf *b, int64_t v, uint32_t div)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = mag / div, fp = mag % div;
	char frac[16];
	int digits = 0;

	for (uint32_t d = div; d > 1; d /= 10)
		digits++;
	putf(b, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);
	if (fp) {
		int len = snprintf(frac, sizeof(frac), "%0*llu", digits, (unsigned long long)fp);

		while (len > 0 && frac[len - 1] == '0')
			frac[--len] = '\0';
		putf(b, ".%s", frac);
	}
}

bool exp_label_name_ok(const char *name, size_t len)
{
	if (!len || (len >= 2 && name[0] == '_' && name[1] == '_'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/*
 * Length of the well-formed UTF-8 sequence at @s (@n bytes left), or 0
 * where there is none: a stray continuation byte, a truncated, overlong or
 * surrogate sequence, a code point past U+10FFFF (RFC 3629).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1fu, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0fu, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * A label value as both formats require: UTF-8, with \\, \" and \n
 * escaped.  Every value goes through here, and sysfs labels are bytes a
 * driver chose: each byte not part of a well-formed UTF-8 sequence becomes
 * U+FFFD, or Prometheus would refuse the whole exposition.
 */
static void put_value(struct exp_buf *b, const char *v, size_t len)
{
	const unsigned char *u = (const unsigned char *)v;

	put(b, "\"", 1);
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_len(u + i, len - i);
		if (!n) {
			put(b, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER */
			n = 1;
		} else if (v[i] == '\\') {
			put(b, "\\\\", 2);
		} else if (v[i] == '"') {
			put(b, "\\\"", 2);
		} else if (v[i] == '\n') {
			put(b, "\\n", 2);
		} else {
			put(b, v + i, n);
		}
	}
	put(b, "\"", 1);
}

/* Bounded strlen of a fixed-size name field (the writer NUL-terminates, but
 * a reader trusts no segment). */
static size_t field_len(const char *f, size_t max)
{
	const char *z = memchr(f, '\0', max);

	return z ? (size_t)(z - f) : max;
}

static bool reserved_label(const char *k, size_t n)
{
	static const char *const reserved[] = { "sensor", "chip", "label", NULL };

	for (const char *const *r = reserved; *r; r++)
		if (strlen(*r) == n && !strncmp(k, *r, n))
			return true;
	return false;
}

/* {sensor="..",chip="..",label="..",k="v",...}: the extras from "k=v,k=v",
 * those with an invalid or reserved name dropped (a bad label must not make
 * the whole exposition unparsable).  The sensor label is @slen bytes of
 * the name (all of it for every family but render_attrs()'). */
static void put_labels_n(struct exp_buf *b, const struct sov_sensor *s, size_t slen)
{
	const char *p = s->labels, *end = s->labels + field_len(s->labels, SOV_LABELS_LEN);

	puts_(b, "{sensor=");
	put_value(b, s->name, slen);
	puts_(b, ",chip=");
	put_value(b, s->chip, field_len(s->chip, SOV_NAME_LEN));
	puts_(b, ",label=");
	put_value(b, s->label, field_len(s->label, SOV_NAME_LEN));
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (eq && exp_label_name_ok(p, (size_t)(eq - p)) && !reserved_label(p, (size_t)(eq - p))) {
			put(b, ",", 1);
			put(b, p, (size_t)(eq - p));
			put(b, "=", 1);
			put_value(b, eq + 1, (size_t)(stop - eq - 1));
		}
		p = stop + 1;
	}
	puts_(b, "}");
}

static void put_labels(struct exp_buf *b, const struct sov_sensor *s)
{
	put_labels_n(b, s, field_len(s->name, SOV_NAME_LEN));
}

/* What one pass over the sensors of a family prints. */
enum variant {
	V_VALUE, V_WARN_HI, V_CRIT_HI, V_WARN_LO, V_CRIT_LO, V_MIN_WIN, V_MAX_WIN, V_MAX_
};

static const struct {
	const char *suffix, *help;
	uint16_t flag;
} variants[V_MAX_] = {
	[V_VALUE]   = { "", NULL, 0 },
	[V_WARN_HI] = { "_warn_high", "Upper warning limit.", SOV_SEN_WARN_HI },
	[V_CRIT_HI] = { "_crit_high", "Upper critical limit.", SOV_SEN_CRIT_HI },
	[V_WARN_LO] = { "_warn_low", "Lower warning limit.", SOV_SEN_WARN_LO },
	[V_CRIT_LO] = { "_crit_low", "Lower critical limit.", SOV_SEN_CRIT_LO },
	[V_MIN_WIN] = { "_min_window", "Minimum over the window (--window-s).", 0 },
	[V_MAX_WIN] = { "_max_window", "Maximum over the window (--window-s).", 0 },
};

/* The value of @e for variant @v, or false if it has none. */
static bool variant_value(const struct exp_family *f, const struct exp_sensor_snap *e,
			  enum variant v, int64_t *out)
{
	switch (v) {
	case V_VALUE:
		*out = e->value;
		return e->valid;
	case V_WARN_HI: *out = e->s.warn_hi; break;
	case V_CRIT_HI: *out = e->s.crit_hi; break;
	case V_WARN_LO: *out = e->s.warn_lo; break;
	case V_CRIT_LO: *out = e->s.crit_lo; break;
	/* The window's series go with their sensor: none while it is
	 * invalid or lost, however valid its older samples were. */
	case V_MIN_WIN:
		*out = e->wmin;
		return f->window && e->have_window && e->valid;
	case V_MAX_WIN:
		*out = e->wmax;
		return f->window && e->have_window && e->valid;
	default:
		return false;
	}
	return f->limits && (e->s.flags & variants[v].flag);
}

/* HELP and TYPE of family @name (@name without _total for counters). */
static void put_header(struct exp_buf *b, enum exp_format fmt, const char *name,
		       const char *suffix, bool counter, const char *help, const char *help2)
{
	/* Text 0.0.4 names the family by its samples' name; OpenMetrics names
	 * a counter family without "_total". */
	const char *tot = counter && fmt == EXP_FMT_TEXT ? "_total" : "";

	putf(b, "# HELP %s%s%s %s%s%s\n", name, suffix, tot, help, help2 ? " " : "",
	     help2 ? help2 : "");
	putf(b, "# TYPE %s%s%s %s\n", name, suffix, tot, counter ? "counter" : "gauge");
}

static void render_family(const struct exp_snapshot *snap, enum exp_format fmt,
			  const struct exp_family *f, struct exp_buf *b)
{
	for (int v = 0; v < V_MAX_; v++) {
		bool header = false;

		for (uint32_t i = 0; i < snap->n; i++) {
			const struct exp_sensor_snap *e = &snap->sen[i];
			int64_t val;

			if (exp_family_of(&e->s) != f || !variant_value(f, e, (enum variant)v, &val))
				continue;
			if (!header) {
				put_header(b, fmt, f->name, variants[v].suffix, f->counter && v == V_VALUE,
					   f->help, variants[v].help);
				header = true;
			}
			puts_(b, f->name);
			puts_(b, variants[v].suffix);
			if (f->counter && v == V_VALUE)
				puts_(b, "_total");
			put_labels(b, &e->s);
			put(b, " ", 1);
			put_scaled(b, val, unit_per_base(sov_kind_unit(e->s.kind)));
			put(b, "\n", 1);
		}
	}
}

/* One unlabelled series with its HELP and TYPE. */
static void put_simple(struct exp_buf *b, enum exp_format fmt, const char *name, bool counter,
		       const char *help, const char *value)
{
	put_header(b, fmt, name, "", counter, help, NULL);
	putf(b, "%s%s %s\n", name, counter ? "_total" : "", value);
}

/* ---- the watchdog's and the fan actuator's own segments ---- */

/* The valid value of the sensor named @name in @snap, or false. */
static bool find_value(const struct exp_snapshot *snap, const char *name, int64_t *out)
{
	size_t n = strlen(name);

	for (uint32_t i = 0; i < snap->n; i++) {
		const struct exp_sensor_snap *e = &snap->sen[i];

		if (field_len(e->s.name, SOV_NAME_LEN) == n && !strncmp(e->s.name, name, n) &&
		    e->valid) {
			*out = e->value;
			return true;
		}
	}
	return false;
}

/*
 * readers/watchdog's segment ("/sovereign-watchdog"): gauges
 * inference_active (1/0), inference_state (enum wd_state, readers/watchdog/wd.h:
 * 0 unknown, 1 active, 2 hung, 3 dead) and counter watchdog_feeds.  Nothing
 * but sovereign_watchdog_up while the segment is absent, stopped or stale:
 * never a made-up "inactive".
 */
static void render_watchdog(const struct exp_snapshot *wd, enum exp_format fmt,
			    struct exp_buf *b)
{
	char v[32];
	int64_t x;

	put_simple(b, fmt, "sovereign_watchdog_up", false,
		   "1 when the watchdog's segment is live and its newest sample fresh; 0 when absent, stopped or stale (the inference series are then absent).",
		   wd->up ? "1" : "0");
	if (!wd->up)
		return;
	if (find_value(wd, "inference_active", &x))
		put_simple(b, fmt, "sovereign_inference_active", false,
			   "1 while the watched inference process is alive and progressing, else 0 (from the watchdog).",
			   x ? "1" : "0");
	if (find_value(wd, "inference_state", &x)) {
		snprintf(v, sizeof(v), "%lld", (long long)x);
		put_simple(b, fmt, "sovereign_inference_state", false,
			   "Inference process state as the watchdog sees it: 0 unknown, 1 active, 2 hung, 3 dead.",
			   v);
	}
	if (find_value(wd, "watchdog_feeds", &x)) {
		snprintf(v, sizeof(v), "%lld", (long long)x);
		put_simple(b, fmt, "sovereign_watchdog_feeds", true,
			   "Hardware watchdog feeds since the watchdog started.", v);
	}
}

/* The fan actuator's per-zone series, in the order of the header below. */
static const struct {
	const char *what;    /* sensor name "<zone>-<what>" */
	const char *name, *help;
	bool boolean;        /* rendered as 1/0 */
} fan_zone[] = {
	{ "input", "sovereign_fan_zone_input_celsius",
	  "Control input of the fan zone (its hottest sensor), degrees Celsius.", false },
	{ "setpoint", "sovereign_fan_zone_setpoint_celsius",
	  "Temperature setpoint of the fan zone, degrees Celsius.", false },
	{ "duty", "sovereign_fan_zone_duty_ratio",
	  "Duty the fan controller commands for the zone, 0 to 1.", false },
	{ "failsafe", "sovereign_fan_zone_failsafe",
	  "1 while the fan zone fails safe (fixed safe duty), else 0.", true },
};

/* Does sensor @s name "<zone>-@what"? */
static bool fan_sensor_is(const struct sov_sensor *s, const char *what)
{
	size_t n = field_len(s->name, SOV_NAME_LEN), w = strlen(what);

	return n > w + 1 && s->name[n - w - 1] == '-' && !strncmp(s->name + n - w, what, w);
}

/* {zone="..."}: the "zone=" entry of the sensor's labels, else the name
 * before "-@what" (the writer truncates that one to 20 characters). */
static void put_zone(struct exp_buf *b, const struct sov_sensor *s, const char *what)
{
	const char *p = s->labels, *end = s->labels + field_len(s->labels, SOV_LABELS_LEN);

	puts_(b, "{zone=");
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if (stop - p >= 5 && !strncmp(p, "zone=", 5)) {
			put_value(b, p + 5, (size_t)(stop - p - 5));
			puts_(b, "}");
			return;
		}
		p = stop + 1;
	}
	put_value(b, s->name, field_len(s->name, SOV_NAME_LEN) - strlen(what) - 1);
	puts_(b, "}");
}

/*
 * readers/fan's state segment ("/sovereign-fan"): four sensors per zone,
 * "<zone>-input/-setpoint/-duty/-failsafe" labelled zone=<zone>.  An
 * invalid reading (no input while failing safe) is absent, never 0.
 */
static void render_fan(const struct exp_snapshot *fan, enum exp_format fmt, struct exp_buf *b)
{
	put_simple(b, fmt, "sovereign_fan_controller_up", false,
		   "1 when the fan controller's segment is live and its newest sample fresh; 0 when absent, stopped or stale (the per-zone series are then absent).",
		   fan->up ? "1" : "0");
	if (!fan->up)
		return;
	for (size_t f = 0; f < sizeof(fan_zone) / sizeof(fan_zone[0]); f++) {
		bool header = false;

		for (uint32_t i = 0; i < fan->n; i++) {
			const struct exp_sensor_snap *e = &fan->sen[i];

			if (!e->valid || !fan_sensor_is(&e->s, fan_zone[f].what))
				continue;
			if (!header) {
				put_header(b, fmt, fan_zone[f].name, "", false, fan_zone[f].help, NULL);
				header = true;
			}
			puts_(b, fan_zone[f].name);
			put_zone(b, &e->s, fan_zone[f].what);
			put(b, " ", 1);
			if (fan_zone[f].boolean)
				puts_(b, e->value ? "1" : "0");
			else
				put_scaled(b, e->value, unit_per_base(e->s.unit));
			put(b, "\n", 1);
		}
	}
}

/* ---- hwmon alarms, settings and chips, by attribute ---- */

/* The longest family name render_attrs() builds, with its NUL. */
#define ATTR_FAMILY_LEN (sizeof("sovereign_hwmon__enabled") + SOV_NAME_LEN)

/* One sensor of render_attrs(): its family and how much of its name is the sensor. */
struct attr_series {
	char family[ATTR_FAMILY_LEN];
	uint32_t idx;          /* in the snapshot */
	size_t slen;           /* bytes of the name that are the sensor label */
};

/*
 * attr_family() - the family of an alarm, setting or fan-speed setting,
 * named as node_exporter's hwmon collector names a file's series: the
 * sensor's name "<type>N_<attribute>" (the sysfs file, "temp1_crit_alarm",
 * "fan1_target", "pwm1_enable") gives "sovereign_hwmon_<type>_<attribute>"
 * with the unit of the quantity (_rpm for fan speeds; _enabled for a beep,
 * as node_hwmon_temp_beep_enabled), the sensor label "<type>N".  The
 * chip-wide beep_enable is sovereign_hwmon_beep_enabled{sensor="beep_enable"}.
 * A name of another form (another source) goes to sovereign_alarm,
 * sovereign_state or sovereign_fan_setting_rpm with its whole name.
 */
static void attr_family(const struct sov_sensor *s, struct attr_series *a)
{
	size_t n = field_len(s->name, SOV_NAME_LEN), t = 0, d, i;
	const char *attr;
	char *o;

	while (t < n && s->name[t] >= 'a' && s->name[t] <= 'z')
		t++;
	for (d = t; d < n && s->name[d] >= '0' && s->name[d] <= '9'; d++)
		;
	a->slen = n;
	if (s->source == SOV_SRC_HWMON && n == 11 && !strncmp(s->name, "beep_enable", 11)) {
		snprintf(a->family, sizeof(a->family), "sovereign_hwmon_beep_enabled");
		return;
	}
	if (s->source != SOV_SRC_HWMON || !t || d == t || d + 1 >= n || s->name[d] != '_') {
		snprintf(a->family, sizeof(a->family), "%s",
			 s->kind == SOV_KIND_ALARM ? "sovereign_alarm" :
			 s->kind == SOV_KIND_FAN_RPM_SET ? "sovereign_fan_setting_rpm" : "sovereign_state");
		return;
	}
	attr = s->name + d + 1;
	snprintf(a->family, sizeof(a->family), "sovereign_hwmon_%.*s_%.*s%s", (int)t, s->name,
		 (int)(n - d - 1), attr,
		 s->kind == SOV_KIND_FAN_RPM_SET ? "_rpm" :
		 n - d - 1 == 4 && !strncmp(attr, "beep", 4) ? "_enabled" : "");
	/* A segment is not trusted: nothing but [a-z0-9_] in a metric name. */
	for (o = a->family, i = 0; o[i]; i++)
		if (!((o[i] >= 'a' && o[i] <= 'z') || (o[i] >= '0' && o[i] <= '9') || o[i] == '_'))
			o[i] = '_';
	a->slen = d;
}

static int attr_series_cmp(const void *x, const void *y)
{
	const struct attr_series *a = x, *b = y;
	int c = strcmp(a->family, b->family);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* HELP of an attribute family, by the sensor's kind. */
static const char *attr_help(uint16_t kind)
{
	switch (kind) {
	case SOV_KIND_ALARM:
		return "Alarm or fault flag the chip raises (hwmon *_alarm, *_fault): 1 raised, 0 clear.";
	case SOV_KIND_FAN_RPM_SET:
		return "Fan speed the chip holds or watches (hwmon fanN_target, _min, _max), revolutions per minute.";
	default:
		return "Setting or state of the chip, its own integer code (hwmon pwmN_enable, pwmN_mode, fanN_div, fanN_pulses; *_beep 1 enabled).";
	}
}

/*
 * Alarms, settings and fan-speed settings, one family per attribute
 * (attr_family()), each family's series together as the format asks.
 * Invalid readings are absent.  Return: nothing; -ENOMEM sticks in @b.
 */
static void render_attrs(const struct exp_snapshot *snap, enum exp_format fmt, struct exp_buf *b)
{
	struct attr_series *v;
	uint32_t i, n = 0;

	v = malloc((snap->n ? snap->n : 1) * sizeof(*v));
	if (!v) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	for (i = 0; i < snap->n; i++) {
		const struct exp_sensor_snap *e = &snap->sen[i];

		if (!e->valid || (e->s.kind != SOV_KIND_ALARM && e->s.kind != SOV_KIND_STATE &&
				  e->s.kind != SOV_KIND_FAN_RPM_SET))
			continue;
		attr_family(&e->s, &v[n]);
		v[n++].idx = i;
	}
	qsort(v, n, sizeof(*v), attr_series_cmp);
	for (i = 0; i < n; i++) {
		const struct exp_sensor_snap *e = &snap->sen[v[i].idx];

		if (!i || strcmp(v[i].family, v[i - 1].family))
			put_header(b, fmt, v[i].family, "", false, attr_help(e->s.kind), NULL);
		puts_(b, v[i].family);
		put_labels_n(b, &e->s, v[i].slen);
		putf(b, " %lld\n", (long long)e->value);
	}
	free(v);
}

/*
 * sovereign_hwmon_chip_info{chip,name,device} 1 for each chip's CHIP_INFO
 * sensor, as node_exporter's node_hwmon_chip_names: chip the sensors'
 * chip label, name the driver's, device the path below /sys/devices.
 */
static void render_chip_info(const struct exp_snapshot *snap, enum exp_format fmt,
			     struct exp_buf *b)
{
	bool header = false;

	for (uint32_t i = 0; i < snap->n; i++) {
		const struct sov_sensor *s = &snap->sen[i].s;
		const char *dev = "";
		size_t dlen = 0, ll = field_len(s->labels, SOV_LABELS_LEN);

		if (!snap->sen[i].valid || s->kind != SOV_KIND_CHIP_INFO)
			continue;
		if (ll >= 7 && !strncmp(s->labels, "device=", 7)) {
			dev = s->labels + 7;
			dlen = ll - 7;
		}
		if (!header) {
			put_header(b, fmt, "sovereign_hwmon_chip_info", "", false,
				   "Each hwmon chip: its chip label, driver name and device path below /sys/devices; always 1.",
				   NULL);
			header = true;
		}
		puts_(b, "sovereign_hwmon_chip_info{chip=");
		put_value(b, s->chip, field_len(s->chip, SOV_NAME_LEN));
		puts_(b, ",name=");
		put_value(b, s->label, field_len(s->label, SOV_NAME_LEN));
		puts_(b, ",device=");
		put_value(b, dev, dlen);
		puts_(b, "} 1\n");
	}
}

int exp_render(const struct exp_snapshot *snap, enum exp_format fmt, struct exp_buf *b)
{
	char v[64];

	snprintf(v, sizeof(v), "%d", snap->up ? 1 : 0);
	put_simple(b, fmt, "sovereign_up", false,
		   "1 when the sampler's segment is live and its newest sample fresh; 0 when absent, stopped or stale (see sovereign_segment_state).",
		   v);
	put_header(b, fmt, "sovereign_segment_state", "", false,
		   "State of the sampler's segment as the exporter sees it: live, absent, initialising, stopped, stale, restarting, error.",
		   NULL);
	puts_(b, "sovereign_segment_state{state=");
	put_value(b, snap->state ? snap->state : "absent", strlen(snap->state ? snap->state : "absent"));
	puts_(b, "} 1\n");
	snprintf(v, sizeof(v), "%d", snap->attached && snap->have_sample && !snap->up &&
		 snap->state && !strcmp(snap->state, "stale") ? 1 : 0);
	put_simple(b, fmt, "sovereign_stale", false,
		   "1 when the newest sample is older than --stale-s: sensor series are then dropped.", v);

	if (snap->attached) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)snap->generation);
		put_simple(b, fmt, "sovereign_sampler_generation", false,
			   "Generation of the segment: bumped at every sampler (re)start.", v);
	}
	if (snap->have_sample) {
		snprintf(v, sizeof(v), "%.6f", snap->age_s);
		put_simple(b, fmt, "sovereign_sample_age_seconds", false,
			   "Age of the newest sample when this exposition was rendered.", v);
		snprintf(v, sizeof(v), "%llu.%03llu",
			 (unsigned long long)(snap->slot.real_ns / 1000000000u),
			 (unsigned long long)(snap->slot.real_ns % 1000000000u / 1000000u));
		put_simple(b, fmt, "sovereign_sample_timestamp_seconds", false,
			   "Wall-clock time of the newest sample, seconds since the epoch.", v);
	}
	if (snap->up) {
		snprintf(v, sizeof(v), "%.9f", (double)snap->slot.cycle_cost_ns / 1e9);
		put_simple(b, fmt, "sovereign_sampler_cycle_cost_seconds", false,
			   "Time the sampler spent in its previous cycle.", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)snap->slot.overruns);
		put_simple(b, fmt, "sovereign_sampler_overruns", true,
			   "Deadlines the sampler missed since it started.", v);
		if (snap->slot.flags & SOV_SF_SMI_VALID) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)snap->slot.smi_count);
			put_simple(b, fmt, "sovereign_smi", true,
				   "System management interrupts since boot (MSR_SMI_COUNT or perf).", v);
		}
		for (int f = 0; f < FAM_MAX_; f++)
			render_family(snap, fmt, &families[f], b);
		render_attrs(snap, fmt, b);
		render_chip_info(snap, fmt, b);
	}
	/* sovereign_inference_active comes from readers/watchdog's own segment
	 * only: absent (never 0) while that segment is absent or stale. */
	if (snap->watchdog)
		render_watchdog(snap->watchdog, fmt, b);
	if (snap->fan)
		render_fan(snap->fan, fmt, b);

	snprintf(v, sizeof(v), "%.9f", snap->render_s);
	put_simple(b, fmt, "sovereign_exporter_render_seconds", false,
		   "Time the previous rendering of this exposition took.", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)snap->scrapes);
	put_simple(b, fmt, "sovereign_exporter_scrapes", true,
		   "Requests for /metrics served (as of this rendering).", v);
	put_header(b, fmt, "sovereign_exporter_requests", "", true,
		   "HTTP requests by status code (as of this rendering).", NULL);
	for (int i = 0; i < EXP_NCODES; i++)
		putf(b, "sovereign_exporter_requests_total{code=\"%u\"} %llu\n", exp_codes[i],
		     (unsigned long long)snap->requests[i]);
	if (fmt == EXP_FMT_OPENMETRICS)
		puts_(b, "# EOF\n");
	return b->err;
}

int exp_gzip(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream z = { 0 };
	uLong cap;
	char *p;
	int rc;

	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)len) + 32;
	p = malloc(cap);
	if (!p) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)p;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(p);
		return -EIO;
	}
	*out = p;
	return 0;
}
