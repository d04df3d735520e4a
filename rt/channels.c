/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * channels.c - the channel set, built once at create: probe the enabled
 * backends, apply [sensor X] labels and "ignore", add a power channel per
 * energy counter and the sampler's own channels (per-backend read time and
 * errors, wake-up latency), and keep the notes on what was skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_int.h"

static int add_internal(struct sampler *s, uint16_t kind, uint16_t unit, const char *name,
			const char *label, uint16_t flags, uint32_t *idx)
{
	struct rt_probe_ctx ctx = { .chans = &s->chans };
	struct sov_sensor d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	d.unit = unit;
	d.flags = flags;
	snprintf(d.chip, sizeof(d.chip), "sampler");
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.label, sizeof(d.label), "%s", label);
	rt_probe_current_ops = NULL;
	rc = rt_chan_add(&ctx, &d, NULL);
	if (rc)
		return rc;
	s->chans.chan[s->chans.n - 1].desc.source = SOV_SRC_INTERNAL;
	*idx = (uint32_t)(s->chans.n - 1);
	return 0;
}

/* A power channel derived from each energy accumulator: µW from deltas. */
static int add_derived_power(struct sampler *s)
{
	size_t i, n = s->chans.n;

	for (i = 0; i < n; i++) {
		struct rt_chan *e = &s->chans.chan[i];
		struct rt_probe_ctx ctx = { .chans = &s->chans };
		struct sov_sensor d;
		size_t len;
		int rc;

		if (e->desc.kind != SOV_KIND_ENERGY)
			continue;
		d = e->desc;
		d.kind = SOV_KIND_POWER;
		d.unit = SOV_UNIT_MICROWATT;
		d.flags = 0;
		d.id = 0;
		len = strlen(d.name);
		if (len > 7 && !strcmp(d.name + len - 7, "-energy"))
			d.name[len - 7] = '\0';
		if (strlen(d.name) + 7 >= sizeof(d.name))
			d.name[sizeof(d.name) - 7] = '\0';
		strcat(d.name, "-power");
		rt_probe_current_ops = NULL;
		rc = rt_chan_add(&ctx, &d, NULL);
		if (rc)
			return rc;
		e = &s->chans.chan[i]; /* the list may have moved */
		s->chans.chan[s->chans.n - 1].desc.source = e->desc.source;
		e->power_idx = (uint32_t)(s->chans.n - 1);
	}
	return 0;
}

static int add_backend_stats(struct sampler *s)
{
	size_t i, j;

	s->bstats = calloc(rt_backend_count() ? rt_backend_count() : 1, sizeof(*s->bstats));
	if (!s->bstats)
		return -ENOMEM;
	for (i = 0; i < rt_backend_count(); i++) {
		const struct sensor_ops *ops = rt_backend_at(i);
		struct backend_stats *b;
		char name[SOV_NAME_LEN];
		int rc;

		for (j = 0; j < s->chans.n; j++)
			if (s->chans.chan[j].ops == ops)
				break;
		if (j == s->chans.n)
			continue; /* no channels: nothing to account */
		b = &s->bstats[s->nbstats++];
		b->ops = ops;
		snprintf(name, sizeof(name), "%s-read-ns", ops->name);
		if ((rc = add_internal(s, SOV_KIND_GAUGE, SOV_UNIT_NONE, name, "read time (ns)", 0,
				       &b->idx_ns)))
			return rc;
		snprintf(name, sizeof(name), "%s-errors", ops->name);
		if ((rc = add_internal(s, SOV_KIND_COUNT, SOV_UNIT_COUNT, name, "read errors",
				       SOV_SEN_COUNTER, &b->idx_err)))
			return rc;
	}
	return 0;
}

struct backend_stats *backend_stats_of(struct sampler *s, const struct sensor_ops *ops)
{
	size_t i;

	for (i = 0; i < s->nbstats; i++)
		if (s->bstats[i].ops == ops)
			return &s->bstats[i];
	return NULL;
}

/* Each line of @msg is a note of its own (a probe may say several things). */
static void note_add(struct probe_notes *notes, const char *msg)
{
	char (*nm)[RT_ERR_LEN];

	while (notes && *msg) {
		int len = (int)strcspn(msg, "\n");

		if (len) {
			nm = realloc(notes->msg, (notes->n + 1) * sizeof(*nm));
			if (!nm)
				return; /* a lost note, not a lost sensor */
			notes->msg = nm;
			snprintf(nm[notes->n++], RT_ERR_LEN, "%.*s", len, msg);
		}
		msg += len + (msg[len] == '\n');
	}
}

/*
 * Every section of @cfg but [sampler] and [sensor X] names a backend: a
 * typo worth stopping for (callers of sampler_create() that skip
 * sampler_check_config() still get it).  Return: 0 or -EINVAL with @err.
 */
int channels_name_backends(const struct rt_config *cfg, struct rt_err *err)
{
	size_t i;

	for (i = 0; i < cfg->nsec; i++) {
		const char *n = cfg->sec[i].name;

		if (strcmp(n, "sampler") && strcmp(n, "sensor") && !rt_backend_find(n))
			return rt_conf_errorf(err, &cfg->sec[i], NULL, "no backend called '%s'", n);
	}
	return 0;
}

static int probe_backends(const struct sampler_opts *o, struct rt_chan_list *l,
			  const struct rt_config *cfg, struct rt_err *err, struct probe_notes *notes)
{
	size_t i;

	for (i = 0; i < rt_backend_count(); i++) {
		const struct sensor_ops *ops = rt_backend_at(i);
		const struct rt_conf_section *sec = rt_config_section(cfg, ops->name, NULL);
		bool enabled, explicit_on = rt_conf_get(sec, "enable") != NULL;
		int rc;

		if ((rc = rt_conf_bool(sec, "enable", ops->default_enabled, &enabled, err)))
			return rc;
		if (!enabled)
			continue;
		rc = rt_backend_probe(ops, o->root, o->cpu, sec, l, err);
		/* An absent interface is normal unless the config asked for it. */
		if (rc == -ENODEV && !explicit_on) {
			note_add(notes, err->msg);
			err->msg[0] = '\0';
			continue;
		}
		/* A probe that found devices but skipped some may say why: in
		 * its list's notes (whole), else in err->msg. */
		if (!rc) {
			char *n = rt_chan_list_take_notes(l);

			note_add(notes, n ? n : err->msg);
			free(n);
		}
		if (rc)
			return rc;
	}
	return channels_name_backends(cfg, err);
}

/*
 * Apply [sensor X] labels and "ignore" to @s->chans before the table is
 * published, keeping what a reload compares against: each kept channel's
 * label(s) as probed (@s->names) and the chip/name of each one left out
 * (@s->ignored).
 */
static int apply_sensor_overrides(struct sampler *s, const struct rt_config *cfg,
				  struct rt_err *err)
{
	struct rt_chan_list *l = &s->chans;
	size_t i, j = 0;

	s->names = calloc(l->n ? l->n : 1, sizeof(*s->names));
	s->ignored = calloc(l->n ? l->n : 1, sizeof(*s->ignored));
	if (!s->names || !s->ignored)
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		struct rt_chan *c = &l->chan[i];
		const struct rt_conf_section *sec = sensor_section(cfg, c);
		const char *label = rt_conf_get(sec, "label");
		bool ignore;
		int rc;

		if ((rc = rt_conf_bool(sec, "ignore", false, &ignore, err)))
			return rc;
		if (ignore) {
			struct chan_ignored *ig = &s->ignored[s->nignored++];

			memcpy(ig->chip, c->desc.chip, sizeof(ig->chip));
			memcpy(ig->name, c->desc.name, sizeof(ig->name));
			if (c->ops && c->ops->remove)
				c->ops->remove(c);
			continue;
		}
		memcpy(s->names[j].label, c->desc.label, sizeof(s->names[j].label));
		memcpy(s->names[j].labels, c->desc.labels, sizeof(s->names[j].labels));
		if (label)
			snprintf(c->desc.label, sizeof(c->desc.label), "%s", label);
		if (rt_conf_get(sec, "labels"))
			snprintf(c->desc.labels, sizeof(c->desc.labels), "%s", rt_conf_get(sec, "labels"));
		if (j != i)
			l->chan[j] = *c;
		l->chan[j].idx = (uint32_t)j;
		j++;
	}
	l->n = j;
	return 0;
}

/*
 * The CPU a channel's reads run on, from its "cpu=N" label (msr.c labels
 * every channel of a CPU's device so), or -1 when it has none.
 */
static int chan_cpu(const struct rt_chan *c)
{
	const char *p = c->desc.labels;

	while ((p = strstr(p, "cpu="))) {
		if (p == c->desc.labels || p[-1] == ',') {
			char *end;
			long v = strtol(p + 4, &end, 10);

			if (end != p + 4 && (*end == ',' || *end == '\0') && v >= 0 && v <= INT_MAX)
				return (int)v;
		}
		p += 4;
	}
	return -1;
}

/*
 * Say loudly, once per CPU, when a channel reads another CPU than the
 * housekeeping one: each read interrupts that CPU (docs/realtime.md, "Touch
 * no other core").  The note is printed at start and published as an event.
 */
static void note_other_cpus(const struct sampler_opts *o, const struct rt_chan_list *l,
			    struct probe_notes *notes)
{
	for (size_t i = 0; i < l->n; i++) {
		int cpu = chan_cpu(&l->chan[i]);
		size_t j;
		char msg[RT_ERR_LEN];

		if (cpu < 0 || cpu == o->cpu)
			continue;
		for (j = 0; j < i && chan_cpu(&l->chan[j]) != cpu; j++)
			;
		if (j < i)
			continue; /* said for this CPU already */
		snprintf(msg, sizeof(msg),
			 "warning: %s reads CPU %d, not the housekeeping CPU %d: every read "
			 "interrupts CPU %d (an IPI on a core the workload owns)",
			 l->chan[i].desc.chip, cpu, o->cpu, cpu);
		note_add(notes, msg);
	}
}

/*
 * The channels the configuration gives: probe the enabled backends, then
 * [sensor X] labels and "ignore".  Only at create: a reload never probes
 * (it decides from the configuration alone, see reload_needs_restart()).
 */
int channels_build(struct sampler *s, const struct rt_config *cfg, struct rt_err *err)
{
	int rc = probe_backends(&s->o, &s->chans, cfg, err, &s->notes);

	if (!rc)
		rc = apply_sensor_overrides(s, cfg, err);
	if (rc)
		return rc;
	note_other_cpus(&s->o, &s->chans, &s->notes); /* of the channels kept */
	s->nprobed = s->chans.n;
	if ((rc = add_derived_power(s)) || (rc = add_backend_stats(s)))
		return rc;
	return add_internal(s, SOV_KIND_GAUGE, SOV_UNIT_NONE, "sampler-wake-ns",
			    "wake-up latency (ns)", 0, &s->wake_idx);
}
