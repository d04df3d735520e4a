/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * params.c - each channel's limits, hysteresis, stuck time and rate, from
 * what its backend reported at probe and the configuration: built whole at
 * create and at every reload (struct sampler_params), applied by the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_int.h"

/* The [sensor X] section for sensor @chip/@name: X is "chip/name" with the
 * full chip string or the chip name alone (before '/'), and may be a glob;
 * the first section that matches is the one. */
const struct rt_conf_section *sampler_sensor_section(const struct rt_config *cfg,
						     const char *chip, const char *name)
{
	char full[2 * SOV_NAME_LEN + 2], shortn[2 * SOV_NAME_LEN + 2], chipname[SOV_NAME_LEN];
	size_t i, n = strcspn(chip, "/");

	if (n >= sizeof(chipname))
		n = sizeof(chipname) - 1;
	memcpy(chipname, chip, n);
	chipname[n] = '\0';
	snprintf(full, sizeof(full), "%s/%s", chip, name);
	snprintf(shortn, sizeof(shortn), "%s/%s", chipname, name);
	for (i = 0; i < cfg->nsec; i++) {
		const struct rt_conf_section *s = &cfg->sec[i];

		if (strcmp(s->name, "sensor") || !s->arg)
			continue;
		if (rt_glob_match(s->arg, full) || rt_glob_match(s->arg, shortn))
			return s;
	}
	return NULL;
}

/*
 * The drivers of VRM controllers (drivers/hwmon/pmbus/): their rails are
 * polled like a BMC does, at one rate, whatever the channel's kind.
 */
static const char *const vrm_chips[] = {
	"pmbus", "mp2975", "mp2888", "mp2856", "mp2891", "mp2993", "mp5023", "mp9941",
	"isl68137", "raa228000", "xdpe12284", "xdpe152", "tps53679", "tps53688", "tps546d24",
	"ir35221", "ir38064", "ir36021", "pxe1610", "tda38640", "max20730", "max16601",
	"max34440", "adm1275", "lm25066", "ucd9000", "zl6100", NULL
};
/* DIMM sensors: JC-42.4 (DDR4) and the SPD5118 hub's (DDR5). */
static const char *const dimm_chips[] = { "jc42", "spd5118", NULL };
/* CPU temperature read in the loop (hwmon.c hwmon_fast_drivers, and MSRs). */
static const char *const cpu_temp_chips[] = { "k10temp", "coretemp", NULL };

/*
 * A CPU temperature of one die or core, not the package's control one:
 * k10temp's Tccd1.. (Tctl is what the fans follow), coretemp's "Core N"
 * (beside "Package id N"), the MSRs' core-N-temp.  The package's is the
 * one a BMC polls fast; these are detail, read at their own slower rate
 * (2 sockets of 8 CCDs: 16 of k10temp's 18 reads a cycle).
 */
static bool cpu_core_temp(const struct sov_sensor *base)
{
	if (base->source == SOV_SRC_MSR)
		return !strncmp(base->name, "core-", 5);
	return !strncmp(base->label, "Tccd", 4) || !strncmp(base->label, "Core ", 5);
}

/* Is the chip name of @chip ("name" or "name/device") in @list? */
static bool chip_in(const char *chip, const char *const *list)
{
	size_t n = strcspn(chip, "/");

	for (; *list; list++)
		if (strlen(*list) == n && !strncmp(chip, *list, n))
			return true;
	return false;
}

/*
 * The kind of rate of channel @base (enum sampler_rate), or -1 for a
 * channel of no hardware source (the sampler's own, derived, a test's
 * backend): those keep the grid's rate.  The chip decides before the kind:
 * a DIMM's alarm is polled with its temperature, a VRM's power with its
 * rails (a CPU's RAPL energy is not a VRM's).
 */
static int rate_kind(const struct sensor_ops *ops, const struct sov_sensor *base)
{
	switch (base->source) {
	case SOV_SRC_MSR: case SOV_SRC_HWMON: case SOV_SRC_POWERCAP: case SOV_SRC_I2C:
	case SOV_SRC_PERF:
		break;
	default:
		return -1;
	}
	if (chip_in(base->chip, dimm_chips) || (ops && (!strcmp(ops->name, "i2c_jc42") ||
							!strcmp(ops->name, "i2c_spd5118"))))
		return SAMPLER_RATE_DIMM;
	if (chip_in(base->chip, vrm_chips) || (ops && !strcmp(ops->name, "i2c_pmbus")))
		return SAMPLER_RATE_VRM;
	switch (base->kind) {
	case SOV_KIND_TEMP:
		if (base->source == SOV_SRC_MSR || chip_in(base->chip, cpu_temp_chips))
			return cpu_core_temp(base) ? SAMPLER_RATE_CPU_CORE_TEMP
						   : SAMPLER_RATE_CPU_TEMP;
		return SAMPLER_RATE_BOARD;
	case SOV_KIND_ENERGY: case SOV_KIND_POWER:
		return SAMPLER_RATE_ENERGY;
	case SOV_KIND_FAN_RPM: case SOV_KIND_FAN_DUTY: case SOV_KIND_FAN_RPM_SET:
		return SAMPLER_RATE_FAN;
	case SOV_KIND_VOLTAGE:
		return SAMPLER_RATE_VOLTAGE;
	case SOV_KIND_CURRENT:
		return SAMPLER_RATE_CURRENT;
	default:
		return SAMPLER_RATE_BOARD;
	}
}

/* The default period of channel @base with no rate of its own: its kind's, else the grid's. */
static uint64_t kind_period_ns(const struct sampler_opts *o, const struct sensor_ops *ops,
			       const struct sov_sensor *base)
{
	int k = rate_kind(ops, base);

	return k >= 0 && o->rate_ns[k] ? o->rate_ns[k] : o->period_ns;
}

static const char *const limit_keys[4] = { "warn_hi", "crit_hi", "warn_lo", "crit_lo" };
static const uint16_t limit_bits[4] = { SOV_SEN_WARN_HI, SOV_SEN_CRIT_HI, SOV_SEN_WARN_LO,
					SOV_SEN_CRIT_LO };

/*
 * Limits that contradict each other are refused (a warning that comes
 * after the critical level, a low limit at or above a high one) when [sensor
 * X] @s set at least one of the two: a chip's own odd limits are its
 * business, a configuration's are a mistake.  Indices as limit_keys.
 */
static int limits_agree(const struct rt_conf_section *s, const struct sov_limits *l,
			struct rt_err *err)
{
	/* a must not be above b (nor equal to it with @eq): a high limit's warning
	 * may equal its critical level, a low limit may not meet a high one. */
	static const struct { int a, b; bool eq; } rule[] = {
		{ 0, 1, false },  /* warn_hi > crit_hi */
		{ 3, 2, false },  /* crit_lo > warn_lo */
		{ 2, 0, true },   /* warn_lo >= warn_hi */
		{ 2, 1, true },
		{ 3, 0, true },
		{ 3, 1, true },
	};
	const int64_t *v = &l->warn_hi;
	bool conf[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		const char *t = rt_conf_get(s, limit_keys[i]);

		conf[i] = t && strcmp(t, "none");
	}
	for (i = 0; i < sizeof(rule) / sizeof(rule[0]); i++) {
		int a = rule[i].a, b = rule[i].b;

		if (!(l->flags & limit_bits[a]) || !(l->flags & limit_bits[b]) || (!conf[a] && !conf[b]))
			continue;
		if (v[a] > v[b] || (rule[i].eq && v[a] == v[b]))
			return rt_conf_errorf(err, s, limit_keys[conf[a] ? a : b],
					      "%s %lld is %s %s %lld%s%s: the limits contradict each other",
					      limit_keys[a], (long long)v[a],
					      rule[i].eq ? "at or above" : "above", limit_keys[b],
					      (long long)v[b], conf[a] && conf[b] ? "" : ", the chip's ",
					      conf[a] && conf[b] ? "" : limit_keys[conf[a] ? b : a]);
	}
	return 0;
}

/*
 * Limits, rates and hysteresis of channel @c from @base -- its table entry
 * as the backend gave it, before any configuration: the probe-time limits
 * and rate, never the ones applied so far (a limit removed from the file
 * goes back to the probe's, or none) -- and its [sensor X] in @cfg.
 * Reads nothing the loop writes: the control thread calls it at reload.
 */
static int chan_params_for(const struct rt_config *cfg, const struct sampler_opts *o,
			   const struct rt_chan *c, const struct sov_sensor *base,
			   struct chan_params *p, struct rt_err *err)
{
	const struct rt_conf_section *s = sensor_section(cfg, c);
	uint64_t min_ns = c->ops ? (uint64_t)c->ops->min_period_ms * 1000000u : 0;
	long long v;
	int i, rc;

	memset(p, 0, sizeof(*p));
	p->lim.flags = base->flags & SOV_SEN_LIMITS;
	p->lim.warn_hi = base->warn_hi;
	p->lim.crit_hi = base->crit_hi;
	p->lim.warn_lo = base->warn_lo;
	p->lim.crit_lo = base->crit_lo;
	p->hyst = base->kind == SOV_KIND_TEMP ? DEFAULT_TEMP_HYST : 0;
	p->period_ns = base->period_ms ? (uint64_t)base->period_ms * 1000000u
				       : kind_period_ns(o, c->ops, base);
	/* Counters must move; a frozen energy counter means a dead sensor. */
	p->stuck_ns = base->kind == SOV_KIND_ENERGY ? 30 * NSEC_PER_SEC : o->stuck_ns;
	if (base->kind == SOV_KIND_SMI_COUNT)
		p->stuck_ns = 0; /* zero SMIs is the goal, not a fault */
	/* Alarms stay 0, settings stay put and an info channel is 1: not frozen. */
	if (base->kind == SOV_KIND_ALARM || base->kind == SOV_KIND_STATE ||
	    base->kind == SOV_KIND_FAN_RPM_SET || base->kind == SOV_KIND_CHIP_INFO)
		p->stuck_ns = 0;

	for (i = 0; s && i < 4; i++) {
		const char *t = rt_conf_get(s, limit_keys[i]);
		int64_t x;

		if (!t)
			continue;
		if (!strcmp(t, "none")) {
			p->lim.flags &= (uint16_t)~limit_bits[i];
			continue;
		}
		if (sampler_parse_value(base->unit, t, &x))
			return rt_conf_errorf(err, s, limit_keys[i],
					      "'%s' is not a value for this sensor (a number in its unit, or with a unit suffix)", t);
		p->lim.flags |= limit_bits[i];
		(&p->lim.warn_hi)[i] = x;
	}
	if (s && (rc = limits_agree(s, &p->lim, err)))
		return rc;
	if (s && rt_conf_get(s, "hysteresis")) {
		int64_t x;

		if (sampler_parse_value(base->unit, rt_conf_get(s, "hysteresis"), &x) || x < 0)
			return rt_conf_errorf(err, s, "hysteresis", "'%s' is not a non-negative value",
					      rt_conf_get(s, "hysteresis"));
		p->hyst = x;
	}
	if ((rc = rt_conf_int(s, "period_ms", 1, 3600000, (long long)(p->period_ns / 1000000u), &v, err)))
		return rc;
	p->period_ns = (uint64_t)v * 1000000u;
	if ((rc = rt_conf_int(s, "stuck_s", 0, 86400, (long long)(p->stuck_ns / NSEC_PER_SEC), &v, err)))
		return rc;
	p->stuck_ns = (uint64_t)v * NSEC_PER_SEC;
	/* Never faster than the backend can give (chip caches), nor than the loop. */
	if (p->period_ns < min_ns)
		p->period_ns = min_ns;
	if (p->period_ns < o->period_ns)
		p->period_ns = o->period_ns;
	return 0;
}

/*
 * The params of @cfg and @o (its [sampler] options) for every channel of
 * @s, numbered @gen.  Context: sampler_create() and the control thread at
 * reload: reads only what is immutable after create (s->base, names).
 */
struct sampler_params *params_build(const struct rt_config *cfg, const struct sampler *s,
				    const struct sampler_opts *o, uint64_t gen, struct rt_err *err)
{
	struct sampler_params *p = calloc(1, sizeof(*p) + s->chans.n * sizeof(p->p[0]));
	size_t i;

	if (!p) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	p->gen = gen;
	p->backoff_cap_ns = o->backoff_cap_ns ? o->backoff_cap_ns : DEFAULT_BACKOFF_CAP;
	p->stale_periods = o->stale_periods ? o->stale_periods : DEFAULT_STALE_PERIODS;
	p->n = s->chans.n;
	for (i = 0; i < s->chans.n; i++) {
		if (chan_params_for(cfg, o, &s->chans.chan[i], &s->base[i], &p->p[i], err)) {
			free(p);
			return NULL;
		}
	}
	return p;
}

void chan_apply_params(struct rt_chan *c, const struct chan_params *p)
{
	c->desc.flags = (uint16_t)((c->desc.flags & ~SOV_SEN_LIMITS) | p->lim.flags);
	c->desc.warn_hi = p->lim.warn_hi;
	c->desc.crit_hi = p->lim.crit_hi;
	c->desc.warn_lo = p->lim.warn_lo;
	c->desc.crit_lo = p->lim.crit_lo;
	c->hyst = p->hyst;
	c->stuck_ns = p->stuck_ns;
}
