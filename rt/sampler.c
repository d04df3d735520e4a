/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler.c - the sampler core (see sampler.h): channel set, the per-cycle
 * read/judge/publish work, the slow-bus worker, the journal thread.
 */
#define _GNU_SOURCE
/*
 * No _LGPL_SOURCE: liburcu's out-of-line queue, stack and QSBR calls (still
 * lock-free and system-call free).  Its inline cds_lfs_push() forms
 * &head->node from a NULL head on purpose, which UBSan would report in our
 * sanitizer build.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>
#include <urcu/lfstack.h>
#include <urcu/pointer.h>
#include <urcu/urcu-qsbr.h>
#include <urcu/wfcqueue.h>

#include "judge.h"
#include "sampler.h"
#include "shm_names.h"
#include "shm_seq.h"
#include "timespec.h"

#define JOURNAL_POOL      256          /* events in flight to journald */
#define DEFAULT_BACKOFF_CAP (60 * NSEC_PER_SEC)
#define DEFAULT_TEMP_HYST 2000         /* m°C */
/*
 * The journal thread polls its queue (the loop may make no system call, so
 * it cannot wake it): every JOURNAL_IDLE_MIN_NS after an event, doubling
 * while the queue stays empty up to JOURNAL_IDLE_MAX_NS.  An idle sampler
 * thus wakes it once a second; an event waits at most that long for
 * journald (it is in the segment at once).
 */
#define JOURNAL_IDLE_MIN_NS (50 * 1000000ull)
#define JOURNAL_IDLE_MAX_NS (1 * NSEC_PER_SEC)

/* A slow channel's reading, handed from the worker to the loop.  One
 * writer (worker), one reader (loop): the seqcount of shm_seq.h. */
struct mailbox {
	uint64_t seq;
	uint64_t posted;      /* readings posted so far (loop: new if moved) */
	int64_t value;
	uint64_t mono_ns;     /* when it was read */
	uint64_t read_ns;     /* how long the read took */
	int32_t err;          /* 0 or -errno */
	uint32_t pad_;
} __attribute__((aligned(64)));

/* Worker-side schedule of a slow channel (the loop never touches it). */
struct slow_sched {
	uint64_t next_due_ns;
	uint64_t backoff_ns;
	bool disabled;
};

struct journal_node {
	struct cds_wfcq_node q;    /* in the queue to the journal thread */
	struct cds_lfs_node free;  /* in the free stack */
	struct sov_event ev;
	char chip[SOV_NAME_LEN];
	char name[SOV_NAME_LEN];
	char label[SOV_NAME_LEN];
	uint16_t unit;
};

/* Why backends found nothing or were skipped: said once at start. */
struct probe_notes {
	char (*msg)[RT_ERR_LEN];
	size_t n;
};

/* Per-backend accounting, published as the sampler's own channels. */
struct backend_stats {
	const struct sensor_ops *ops;
	uint32_t idx_ns;           /* channel: read time this cycle, ns */
	uint32_t idx_err;          /* channel: errors since start */
	uint64_t ns;               /* accumulated this cycle (loop) */
	uint64_t errors;
};

struct sampler {
	struct sampler_opts o;         /* its strings point into the copies below */
	char *root, *segment, *group;  /* owned: the config is freed after create */
	struct rt_chan_list chans;
	struct sov_writer *w;
	struct sampler_params *params;        /* RCU-protected */
	uint64_t applied_gen;                 /* loop: gen of the params applied */
	struct mailbox *mbox;                 /* per channel; used by slow ones */
	struct slow_sched *sched;             /* per channel; worker only */
	uint64_t *mbox_seen;                  /* loop: posted count consumed */
	struct backend_stats *bstats;
	size_t nbstats;
	size_t nprobed;                       /* channels from backends (before derived ones) */
	struct probe_notes notes;             /* skipped backends and devices, and why */
	uint32_t smi_idx;                     /* channel of the SMI count, or UINT32_MAX */
	uint32_t wake_idx;                    /* channel sampler-wake-ns */
	uint32_t extra_flags;                 /* SOV_SF_NO_RT, SOV_SF_NO_MLOCK */
	uint64_t last_cost_ns;
	uint64_t start_ns;
	uint64_t real_now_ns;                 /* CLOCK_REALTIME of this cycle */
	int stop;                             /* uatomic + futex word: set by sampler_stop() */
	struct sampler_stats st;              /* written by the loop, read with uatomic */
	bool has_slow;
	/* journal */
	struct cds_wfcq_head jq_head;
	struct cds_wfcq_tail jq_tail;
	struct cds_lfs_stack jfree;
	struct journal_node *jpool;
	pthread_t worker, journal;
	bool worker_started, journal_started;
};

/* ------------------------------------------------------------------ */
/* options and values                                                   */

int sampler_parse_value(uint16_t unit, const char *text, int64_t *out)
{
	static const struct { uint16_t unit; const char *suffix; double scale; } sfx[] = {
		{ SOV_UNIT_MILLICELSIUS, "C", 1e3 }, { SOV_UNIT_MILLICELSIUS, "°C", 1e3 },
		{ SOV_UNIT_MILLIVOLT, "V", 1e3 },    { SOV_UNIT_MILLIVOLT, "mV", 1 },
		{ SOV_UNIT_MILLIAMPERE, "A", 1e3 },  { SOV_UNIT_MILLIAMPERE, "mA", 1 },
		{ SOV_UNIT_MICROWATT, "W", 1e6 },    { SOV_UNIT_MICROWATT, "mW", 1e3 },
		{ SOV_UNIT_MICROJOULE, "J", 1e6 },   { SOV_UNIT_RPM, "rpm", 1 },
		{ SOV_UNIT_RPM, "RPM", 1 },          { SOV_UNIT_PERMILLE, "%", 10 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v))
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (!*end) {
		if (v != floor(v) || fabs(v) > 9e18)
			return -EINVAL; /* a bare number is in the sensor's own integer unit */
		*out = (int64_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (sfx[i].unit == unit && !strcmp(end, sfx[i].suffix)) {
			v *= sfx[i].scale;
			if (fabs(v) > 9e18)
				return -EINVAL;
			*out = (int64_t)llround(v);
			return 0;
		}
	}
	return -EINVAL;
}

int sampler_parse_opts(const struct rt_config *cfg, struct sampler_opts *o, struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "sampler", NULL);
	long long v;
	int rc;

	memset(o, 0, sizeof(*o));
	o->root = rt_conf_get(s, "root");
	if (!o->root)
		o->root = "";
	o->segment = rt_conf_get(s, "segment");
	if (!o->segment)
		o->segment = SOV_SHM_DEFAULT_NAME;
	o->group = rt_conf_get(s, "group");
	if ((rc = rt_conf_int(s, "cpu", 0, 4095, 0, &v, err)))
		return rc;
	o->cpu = (int)v;
	if ((rc = rt_conf_int(s, "priority", 1, 99, 50, &v, err)))
		return rc;
	o->priority = (int)v;
	/* 1 ms .. 1 h: the loop must hold 1 kHz. */
	if ((rc = rt_conf_int(s, "period_ms", 1, 3600000, 1000, &v, err)))
		return rc;
	o->period_ns = (uint64_t)v * 1000000u;
	if ((rc = rt_conf_int(s, "slots", 4, 65536, 256, &v, err)))
		return rc;
	if (v & (v - 1))
		return rt_conf_errorf(err, s, "slots", "%lld is not a power of two", v);
	o->nslots = (uint32_t)v;
	if ((rc = rt_conf_int(s, "stuck_s", 0, 86400, 0, &v, err)))
		return rc;
	o->stuck_ns = (uint64_t)v * NSEC_PER_SEC;
	if ((rc = rt_conf_int(s, "backoff_max_s", 1, 3600, 60, &v, err)))
		return rc;
	o->backoff_cap_ns = (uint64_t)v * NSEC_PER_SEC;
	if ((rc = rt_conf_bool(s, "journal", true, &o->journal, err)))
		return rc;
	return 0;
}

/* The [sensor X] section for channel @c: X is "chip/name" with the full
 * chip string or the chip name alone (before '/'), and may be a glob. */
static const struct rt_conf_section *sensor_section(const struct rt_config *cfg,
						    const struct rt_chan *c)
{
	char full[2 * SOV_NAME_LEN + 2], shortn[2 * SOV_NAME_LEN + 2], chipname[SOV_NAME_LEN];
	size_t i, n = strcspn(c->desc.chip, "/");

	memcpy(chipname, c->desc.chip, n);
	chipname[n] = '\0';
	snprintf(full, sizeof(full), "%s/%s", c->desc.chip, c->desc.name);
	snprintf(shortn, sizeof(shortn), "%s/%s", chipname, c->desc.name);
	for (i = 0; i < cfg->nsec; i++) {
		const struct rt_conf_section *s = &cfg->sec[i];

		if (strcmp(s->name, "sensor") || !s->arg)
			continue;
		if (rt_glob_match(s->arg, full) || rt_glob_match(s->arg, shortn))
			return s;
	}
	return NULL;
}

static const char *const limit_keys[4] = { "warn_hi", "crit_hi", "warn_lo", "crit_lo" };
static const uint16_t limit_bits[4] = { SOV_SEN_WARN_HI, SOV_SEN_CRIT_HI, SOV_SEN_WARN_LO,
					SOV_SEN_CRIT_LO };

/* Limits, rates and hysteresis of channel @c from its defaults and [sensor X]. */
static int chan_params_for(const struct rt_config *cfg, const struct sampler_opts *o,
			   const struct rt_chan *c, struct chan_params *p, struct rt_err *err)
{
	const struct rt_conf_section *s = sensor_section(cfg, c);
	uint64_t min_ns = c->ops ? (uint64_t)c->ops->min_period_ms * 1000000u : 0;
	long long v;
	int i, rc;

	memset(p, 0, sizeof(*p));
	p->lim.flags = c->desc.flags & (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI | SOV_SEN_WARN_LO |
					SOV_SEN_CRIT_LO);
	p->lim.warn_hi = c->desc.warn_hi;
	p->lim.crit_hi = c->desc.crit_hi;
	p->lim.warn_lo = c->desc.warn_lo;
	p->lim.crit_lo = c->desc.crit_lo;
	p->hyst = c->desc.kind == SOV_KIND_TEMP ? DEFAULT_TEMP_HYST : 0;
	p->period_ns = c->desc.period_ms ? (uint64_t)c->desc.period_ms * 1000000u : o->period_ns;
	/* Counters must move; a frozen energy counter means a dead sensor. */
	p->stuck_ns = c->desc.kind == SOV_KIND_ENERGY ? 30 * NSEC_PER_SEC : o->stuck_ns;
	if (c->desc.kind == SOV_KIND_SMI_COUNT)
		p->stuck_ns = 0; /* zero SMIs is the goal, not a fault */

	for (i = 0; s && i < 4; i++) {
		const char *t = rt_conf_get(s, limit_keys[i]);
		int64_t x;

		if (!t)
			continue;
		if (!strcmp(t, "none")) {
			p->lim.flags &= (uint16_t)~limit_bits[i];
			continue;
		}
		if (sampler_parse_value(c->desc.unit, t, &x))
			return rt_conf_errorf(err, s, limit_keys[i],
					      "'%s' is not a value for this sensor (a number in its unit, or with a unit suffix)", t);
		p->lim.flags |= limit_bits[i];
		(&p->lim.warn_hi)[i] = x;
	}
	if (s && rt_conf_get(s, "hysteresis")) {
		int64_t x;

		if (sampler_parse_value(c->desc.unit, rt_conf_get(s, "hysteresis"), &x) || x < 0)
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

static struct sampler_params *params_build(const struct rt_config *cfg, struct sampler *s,
					   uint64_t gen, struct rt_err *err)
{
	struct sampler_params *p = calloc(1, sizeof(*p) + s->chans.n * sizeof(p->p[0]));
	size_t i;

	if (!p) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	p->gen = gen;
	p->n = s->chans.n;
	for (i = 0; i < s->chans.n; i++) {
		if (chan_params_for(cfg, &s->o, &s->chans.chan[i], &p->p[i], err)) {
			free(p);
			return NULL;
		}
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* building the channel set                                             */

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

static struct backend_stats *stats_of(struct sampler *s, const struct sensor_ops *ops)
{
	size_t i;

	for (i = 0; i < s->nbstats; i++)
		if (s->bstats[i].ops == ops)
			return &s->bstats[i];
	return NULL;
}

static void note_add(struct probe_notes *notes, const char *msg)
{
	char (*nm)[RT_ERR_LEN];

	if (!notes || !msg[0])
		return;
	nm = realloc(notes->msg, (notes->n + 1) * sizeof(*nm));
	if (!nm)
		return; /* a lost note, not a lost sensor */
	notes->msg = nm;
	snprintf(nm[notes->n++], RT_ERR_LEN, "%s", msg);
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
		/* A probe that found devices but skipped some may say why. */
		if (!rc)
			note_add(notes, err->msg);
		if (rc)
			return rc;
	}
	/* A [section] that names no backend is a typo worth stopping for. */
	for (i = 0; i < cfg->nsec; i++) {
		const char *n = cfg->sec[i].name;

		if (strcmp(n, "sampler") && strcmp(n, "sensor") && !rt_backend_find(n))
			return rt_conf_errorf(err, &cfg->sec[i], NULL, "no backend called '%s'", n);
	}
	return 0;
}

/* Apply [sensor X] labels and "ignore" before the table is published. */
static int apply_sensor_overrides(struct rt_chan_list *l, const struct rt_config *cfg,
				  struct rt_err *err)
{
	size_t i, j = 0;

	for (i = 0; i < l->n; i++) {
		struct rt_chan *c = &l->chan[i];
		const struct rt_conf_section *sec = sensor_section(cfg, c);
		const char *label = rt_conf_get(sec, "label");
		bool ignore;
		int rc;

		if ((rc = rt_conf_bool(sec, "ignore", false, &ignore, err)))
			return rc;
		if (ignore) {
			if (c->ops && c->ops->remove)
				c->ops->remove(c);
			continue;
		}
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
 * The channels the configuration gives: probe the enabled backends, then
 * [sensor X] labels and "ignore".  Used at create and, to tell whether a
 * reload changes the sensor set, at reload.
 */
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
 * housekeeping one: each read interrupts that CPU (DESIGN.md, "touch no
 * other core").  The note is printed at start and published as an event.
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

static int build_channels(const struct sampler_opts *o, const struct rt_config *cfg,
			  struct rt_chan_list *l, struct rt_err *err, struct probe_notes *notes)
{
	int rc = probe_backends(o, l, cfg, err, notes);

	if (!rc)
		rc = apply_sensor_overrides(l, cfg, err);
	if (!rc)
		note_other_cpus(o, l, notes); /* of the channels kept */
	return rc;
}

/* Does @l publish a different table than the first @n channels of @cur? */
static bool channels_differ(const struct rt_chan_list *cur, size_t n, const struct rt_chan_list *l)
{
	size_t i;

	if (l->n != n)
		return true;
	for (i = 0; i < n; i++) {
		const struct sov_sensor *a = &cur->chan[i].desc, *b = &l->chan[i].desc;

		if (cur->chan[i].ops != l->chan[i].ops || a->id != b->id ||
		    strcmp(a->label, b->label) || strcmp(a->labels, b->labels) ||
		    a->kind != b->kind || a->unit != b->unit)
			return true;
	}
	return false;
}

int sampler_create(const struct rt_config *cfg, const struct sampler_opts *o,
		   struct sampler **out, struct rt_err *err)
{
	struct sov_writer_opts wo;
	struct sampler *s;
	struct sov_sensor *table = NULL;
	size_t i;
	int rc;

	*out = NULL;
	err->msg[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->root = strdup(o->root ? o->root : "");
	s->segment = strdup(o->segment ? o->segment : SOV_SHM_DEFAULT_NAME);
	s->group = o->group ? strdup(o->group) : NULL;
	if (!s->root || !s->segment || (o->group && !s->group)) {
		rc = -ENOMEM;
		goto err_destroy;
	}
	s->o.root = s->root;
	s->o.segment = s->segment;
	s->o.group = s->group;
	s->smi_idx = UINT32_MAX;
	if (!s->o.backoff_cap_ns)
		s->o.backoff_cap_ns = DEFAULT_BACKOFF_CAP;

	rc = build_channels(&s->o, cfg, &s->chans, err, &s->notes);
	if (rc)
		goto err_destroy;
	s->nprobed = s->chans.n;
	if ((rc = add_derived_power(s)) || (rc = add_backend_stats(s)) ||
	    (rc = add_internal(s, SOV_KIND_GAUGE, SOV_UNIT_NONE, "sampler-wake-ns",
			       "wake-up latency (ns)", 0, &s->wake_idx)))
		goto err_destroy;

	s->params = params_build(cfg, s, 1, err);
	if (!s->params) {
		rc = -EINVAL;
		goto err_destroy;
	}
	s->mbox = aligned_alloc(64, sizeof(*s->mbox) * (s->chans.n ? s->chans.n : 1));
	s->sched = calloc(s->chans.n ? s->chans.n : 1, sizeof(*s->sched));
	s->mbox_seen = calloc(s->chans.n ? s->chans.n : 1, sizeof(*s->mbox_seen));
	table = calloc(s->chans.n ? s->chans.n : 1, sizeof(*table));
	if (!s->mbox || !s->sched || !s->mbox_seen || !table) {
		rc = -ENOMEM;
		goto err_destroy;
	}
	memset(s->mbox, 0, sizeof(*s->mbox) * (s->chans.n ? s->chans.n : 1));
	for (i = 0; i < s->chans.n; i++) {
		struct rt_chan *c = &s->chans.chan[i];
		const struct chan_params *p = &s->params->p[i];

		c->desc.flags = (uint16_t)((c->desc.flags & ~(SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI |
							     SOV_SEN_WARN_LO | SOV_SEN_CRIT_LO)) |
					   p->lim.flags);
		c->desc.warn_hi = p->lim.warn_hi;
		c->desc.crit_hi = p->lim.crit_hi;
		c->desc.warn_lo = p->lim.warn_lo;
		c->desc.crit_lo = p->lim.crit_lo;
		c->desc.period_ms = (uint32_t)(p->period_ns / 1000000u);
		c->period_ns = p->period_ns;
		c->stuck_ns = p->stuck_ns;
		c->hyst = p->hyst;
		if (c->slow)
			s->has_slow = true;
		if (c->desc.kind == SOV_KIND_SMI_COUNT && s->smi_idx == UINT32_MAX)
			s->smi_idx = (uint32_t)i;
		table[i] = c->desc;
	}
	s->applied_gen = s->params->gen;

	memset(&wo, 0, sizeof(wo));
	wo.name = s->o.segment;
	wo.group = s->o.group;
	wo.writer_name = "sovereign-sampler";
	wo.nslots = s->o.nslots;
	wo.period_ns = s->o.period_ns;
	rc = sov_writer_create(&wo, table, (uint32_t)s->chans.n, &s->w);
	free(table);
	table = NULL;
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "segment %s: %s", s->o.segment, sov_strerror(rc));
		goto err_destroy;
	}

	s->jpool = calloc(JOURNAL_POOL, sizeof(*s->jpool));
	if (!s->jpool) {
		rc = -ENOMEM;
		goto err_destroy;
	}
	/* What was skipped, and why, is in the segment too (the SEL's successor). */
	for (i = 0; i < s->notes.n; i++)
		sov_writer_note(s->w, SOV_EV_DEGRADED, SOV_SEV_NOTICE, 0, s->notes.msg[i]);
	cds_wfcq_init(&s->jq_head, &s->jq_tail);
	cds_lfs_init(&s->jfree);
	for (i = 0; i < JOURNAL_POOL; i++) {
		cds_wfcq_node_init(&s->jpool[i].q);
		cds_lfs_node_init(&s->jpool[i].free);
		cds_lfs_push(&s->jfree, &s->jpool[i].free);
	}
	*out = s;
	return 0;

err_destroy:
	free(table);
	sampler_destroy(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* events                                                               */

static void emit(struct sampler *s, uint16_t type, uint16_t sev, uint32_t idx, int64_t value,
		 int64_t limit, uint64_t mono, const char *text)
{
	struct sov_event ev;
	struct cds_lfs_node *fn;
	struct journal_node *jn;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.severity = sev;
	ev.sensor = idx;
	ev.value = value;
	ev.limit = limit;
	ev.mono_ns = mono;
	ev.real_ns = s->real_now_ns;
	strncpy(ev.text, text, sizeof(ev.text) - 1);
	/* The segment numbers the event; journald gets the same number. */
	ev.number = sov_writer_event(s->w, &ev);

	if (!s->o.journal)
		return;
	/* Only the loop pops (single popper), so the unlocked pop is safe. */
	fn = __cds_lfs_pop(&s->jfree);
	if (!fn) {
		uatomic_inc(&s->st.journal_dropped);
		return;
	}
	jn = caa_container_of(fn, struct journal_node, free);
	jn->ev = ev;
	if (idx != SOV_NO_SENSOR && idx < s->chans.n) {
		const struct sov_sensor *d = &s->chans.chan[idx].desc;

		memcpy(jn->chip, d->chip, sizeof(jn->chip));
		memcpy(jn->name, d->name, sizeof(jn->name));
		memcpy(jn->label, d->label, sizeof(jn->label));
		jn->unit = d->unit;
	} else {
		jn->chip[0] = jn->name[0] = jn->label[0] = '\0';
		jn->unit = SOV_UNIT_NONE;
	}
	cds_wfcq_node_init(&jn->q);
	/* Wait-free; orders the node's contents before it is reachable. */
	cds_wfcq_enqueue(&s->jq_head, &s->jq_tail, &jn->q);
}

static const char *unit_text(uint16_t unit, int64_t v, char *buf, size_t len)
{
	switch (unit) {
	case SOV_UNIT_MILLICELSIUS: snprintf(buf, len, "%.3f °C", (double)v / 1e3); break;
	case SOV_UNIT_MILLIVOLT:    snprintf(buf, len, "%.3f V", (double)v / 1e3); break;
	case SOV_UNIT_MILLIAMPERE:  snprintf(buf, len, "%.3f A", (double)v / 1e3); break;
	case SOV_UNIT_MICROWATT:    snprintf(buf, len, "%.3f W", (double)v / 1e6); break;
	case SOV_UNIT_MICROJOULE:   snprintf(buf, len, "%.3f J", (double)v / 1e6); break;
	case SOV_UNIT_RPM:          snprintf(buf, len, "%lld RPM", (long long)v); break;
	case SOV_UNIT_PERMILLE:     snprintf(buf, len, "%.1f %%", (double)v / 10.0); break;
	default:                    snprintf(buf, len, "%lld", (long long)v); break;
	}
	return buf;
}

/* Who an event is about: "chip/sensor (label)", the label only when it says more; "" for none. */
static void journal_who(const struct journal_node *jn, char *buf, size_t len)
{
	if (!jn->chip[0] && !jn->name[0]) {
		buf[0] = '\0';
		return;
	}
	if (jn->label[0] && strcmp(jn->label, jn->name))
		snprintf(buf, len, "%s/%s (%s)", jn->chip, jn->name, jn->label);
	else
		snprintf(buf, len, "%s/%s", jn->chip, jn->name);
}

/*
 * The event's value and limit in their own meaning (shm_names.h): a reading
 * in the sensor's unit, an errno by name, a count, a generation; " (...)",
 * or "" when the event carries nothing worth saying.
 */
static void journal_detail(const struct journal_node *jn, char *buf, size_t len)
{
	enum sov_event_meaning vm = sov_event_value_meaning(&jn->ev);
	enum sov_event_meaning lm = sov_event_limit_meaning(&jn->ev);
	char v[64], u[48], l[48];
	int e = (int)-jn->ev.value;

	switch (vm) {
	case SOV_EVM_READING:
		snprintf(v, sizeof(v), "value %s", unit_text(jn->unit, jn->ev.value, u, sizeof(u)));
		break;
	case SOV_EVM_ERRNO:
		snprintf(v, sizeof(v), "error %s: %s",
			 strerrorname_np(e) ? strerrorname_np(e) : "?",
			 strerrordesc_np(e) ? strerrordesc_np(e) : "unknown error");
		break;
	case SOV_EVM_COUNT:
		snprintf(v, sizeof(v), "count %lld", (long long)jn->ev.value);
		break;
	case SOV_EVM_GENERATION:
		snprintf(v, sizeof(v), "generation %lld", (long long)jn->ev.value);
		break;
	case SOV_EVM_NUMBER:
		if (!jn->ev.value) {
			v[0] = '\0';
			break;
		}
		snprintf(v, sizeof(v), "value %lld", (long long)jn->ev.value);
		break;
	default:
		v[0] = '\0';
		break;
	}
	if (lm == SOV_EVM_READING)
		unit_text(jn->unit, jn->ev.limit, l, sizeof(l));
	if (!v[0])
		buf[0] = '\0';
	else if (lm == SOV_EVM_READING)
		snprintf(buf, len, " (%s, %s %s)", v,
			 jn->ev.type == SOV_EV_THRESH_WARN || jn->ev.type == SOV_EV_THRESH_CRIT
				 ? "limit" : "before", l);
	else
		snprintf(buf, len, " (%s)", v);
}

/*
 * Sleep until CLOCK_MONOTONIC @deadline_ns (UINT64_MAX: no deadline) or
 * until sampler_stop(), whichever comes first: a futex wait on s->stop
 * while it is 0, woken by the FUTEX_WAKE in sampler_stop().  A stop that
 * lands before the wait makes it return at once (the word is no longer 0),
 * so no wake-up is lost.  Context: the worker and journal threads.
 */
static void wait_stop_until(struct sampler *s, uint64_t deadline_ns)
{
	struct timespec ts = ts_from_ns(deadline_ns);

	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time; EINTR,
	 * EAGAIN and ETIMEDOUT all mean "look again", which the callers do. */
	syscall(SYS_futex, &s->stop, FUTEX_WAIT_BITSET_PRIVATE, 0,
		deadline_ns == UINT64_MAX ? NULL : &ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

/* The journal thread: the SEL's successor, off the real-time path. */
static void *journal_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t idle_ns = JOURNAL_IDLE_MIN_NS;

	while (!uatomic_read(&s->stop) || !cds_wfcq_empty(&s->jq_head, &s->jq_tail)) {
		struct cds_wfcq_node *qn;

		/* Single dequeuer: the unlocked form is safe. */
		qn = __cds_wfcq_dequeue_blocking(&s->jq_head, &s->jq_tail);
		if (!qn) {
			struct timespec now;

			/* Idle: back off (see JOURNAL_IDLE_MAX_NS), waking on the
			 * loop's grid (no wake-up of the core of its own); stop ends
			 * the wait. */
			clock_gettime(CLOCK_MONOTONIC, &now);
			wait_stop_until(s, ts_grid_next(ts_to_ns(&now) + idle_ns, s->o.period_ns));
			idle_ns = idle_ns * 2 < JOURNAL_IDLE_MAX_NS ? idle_ns * 2 : JOURNAL_IDLE_MAX_NS;
			continue;
		}
		idle_ns = JOURNAL_IDLE_MIN_NS; /* events flow: look again soon */
		{
			struct journal_node *jn = caa_container_of(qn, struct journal_node, q);
			const char *type = sov_event_type_name(jn->ev.type);
			char who[3 * SOV_NAME_LEN + 8], detail[128], num[16];

			snprintf(num, sizeof(num), "%u", (unsigned)jn->ev.type);
			journal_who(jn, who, sizeof(who));
			journal_detail(jn, detail, sizeof(detail));
			sd_journal_send("MESSAGE=%s%s%s%s", who, who[0] ? ": " : "", jn->ev.text,
					detail,
					"PRIORITY=%d", jn->ev.severity,
					"SOVEREIGN_EVENT=%s", type ? type : num,
					"SOVEREIGN_EVENT_NUMBER=%llu", (unsigned long long)jn->ev.number,
					"SOVEREIGN_CHIP=%s", jn->chip,
					"SOVEREIGN_SENSOR=%s", jn->name,
					"SOVEREIGN_LABEL=%s", jn->label,
					"SOVEREIGN_VALUE=%lld", (long long)jn->ev.value,
					"SOVEREIGN_LIMIT=%lld", (long long)jn->ev.limit,
					NULL);
			cds_lfs_push(&s->jfree, &jn->free);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the cycle                                                            */

static void take_error(struct sampler *s, struct rt_chan *c, int err, uint64_t at);

/* Judge a fresh reading of channel @c and stage it. */
static void take_value(struct sampler *s, struct rt_chan *c, int64_t v, uint64_t at)
{
	bool stuck, primed = c->last_ok_ns != 0;
	enum judge_level lvl;
	int64_t prev_value = c->last_value;
	uint64_t prev_at = c->last_ok_ns;

	/* No sensor reads this (-128 °C: no diode): a failed read, never a value. */
	if (!judge_plausible(c->desc.kind, v)) {
		take_error(s, c, -ERANGE, at);
		return;
	}
	if (!c->valid && c->errors && primed)
		emit(s, SOV_EV_SENSOR_BACK, SOV_SEV_NOTICE, c->idx, v, 0, at, "readings are back");
	c->valid = true;
	c->last_err = 0;
	c->backoff_ns = 0;

	stuck = judge_stuck(&c->last_value, &c->same_since_ns, &primed, v, at, c->stuck_ns);
	c->last_ok_ns = at;
	if (stuck != c->suspect) {
		c->suspect = stuck;
		sov_writer_set_suspect(s->w, c->idx, stuck);
		if (stuck)
			emit(s, SOV_EV_SENSOR_SUSPECT, SOV_SEV_WARNING, c->idx, v, 0, at,
			     "value frozen: sensor suspect");
	}

	lvl = judge_level(&c->desc, v, (enum judge_level)c->level, c->hyst);
	if (lvl != c->level) {
		if (lvl == LEVEL_CRIT)
			emit(s, SOV_EV_THRESH_CRIT, SOV_SEV_CRIT, c->idx, v,
			     (c->desc.flags & SOV_SEN_CRIT_HI) && v >= c->desc.crit_hi ? c->desc.crit_hi
										   : c->desc.crit_lo,
			     at, "critical limit crossed");
		else if (lvl == LEVEL_WARN)
			emit(s, SOV_EV_THRESH_WARN, SOV_SEV_WARNING, c->idx, v,
			     (c->desc.flags & SOV_SEN_WARN_HI) && v >= c->desc.warn_hi ? c->desc.warn_hi
										   : c->desc.warn_lo,
			     at, c->level > lvl ? "back below critical, still warning" : "warning limit crossed");
		else
			emit(s, SOV_EV_THRESH_CLEAR, SOV_SEV_NOTICE, c->idx, v, 0, at,
			     "back inside limits");
		c->level = (uint8_t)lvl;
	}
	/* A fan that stops is news even without a configured limit. */
	if (c->desc.kind == SOV_KIND_FAN_RPM && primed && (v == 0) != (prev_value == 0) &&
	    prev_at)
		emit(s, v == 0 ? SOV_EV_FAN_STALL : SOV_EV_SENSOR_BACK,
		     v == 0 ? SOV_SEV_CRIT : SOV_SEV_NOTICE, c->idx, v, prev_value, at,
		     v == 0 ? "fan stalled: 0 RPM" : "fan turning again");

	sov_writer_set(s->w, c->idx, v, at);

	/* Power from the energy accumulator's delta since its last read. */
	if (c->power_idx != UINT32_MAX && prev_at && at > prev_at && v >= prev_value) {
		double uw = (double)(v - prev_value) * 1e9 / (double)(at - prev_at);

		take_value(s, &s->chans.chan[c->power_idx], (int64_t)llround(uw), at);
	}
}

/* A failed read of channel @c: invalid (never 0), counted, backed off. */
static void take_error(struct sampler *s, struct rt_chan *c, int err, uint64_t at)
{
	bool was_valid = c->valid || !c->errors;

	c->errors++;
	c->valid = false;
	sov_writer_set_invalid(s->w, c->idx);
	if (c->power_idx != UINT32_MAX) {
		s->chans.chan[c->power_idx].valid = false;
		sov_writer_set_invalid(s->w, c->power_idx);
	}
	if (judge_err_permanent(err)) {
		c->disabled = true;
		emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, c->idx, err, 0, at,
		     "read failed permanently: channel disabled");
	} else if (was_valid || c->last_err != err) {
		emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_WARNING, c->idx, err, 0, at,
		     err == -ERANGE ? "impossible reading (no diode?): invalid until it recovers"
				    : "read failed: value invalid until it recovers");
	}
	c->last_err = err;
	c->backoff_ns = judge_backoff(c->backoff_ns, c->period_ns, s->o.backoff_cap_ns);
}

/* Pick up a SIGHUP's new limits and rates (RCU, no lock). */
static void apply_params(struct sampler *s, uint64_t now)
{
	const struct sampler_params *p = rcu_dereference(s->params);
	size_t i;

	if (p->gen == s->applied_gen)
		return;
	for (i = 0; i < s->chans.n && i < p->n; i++) {
		struct rt_chan *c = &s->chans.chan[i];
		const struct chan_params *cp = &p->p[i];

		c->desc.flags = (uint16_t)((c->desc.flags & ~(SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI |
							     SOV_SEN_WARN_LO | SOV_SEN_CRIT_LO)) |
					   cp->lim.flags);
		c->desc.warn_hi = cp->lim.warn_hi;
		c->desc.crit_hi = cp->lim.crit_hi;
		c->desc.warn_lo = cp->lim.warn_lo;
		c->desc.crit_lo = cp->lim.crit_lo;
		c->hyst = cp->hyst;
		c->stuck_ns = cp->stuck_ns;
		if (c->period_ns != cp->period_ns) {
			c->period_ns = cp->period_ns;
			c->next_due_ns = now; /* take the new rate from now */
		}
		sov_writer_update_limits(s->w, c->idx, &cp->lim);
	}
	s->applied_gen = p->gen;
	emit(s, SOV_EV_CONFIG, SOV_SEV_INFO, SOV_NO_SENSOR, (int64_t)p->gen, 0, now,
	     "configuration reloaded: limits and rates");
}

static void consume_mailbox(struct sampler *s, struct rt_chan *c)
{
	const struct mailbox *m = &s->mbox[c->idx];
	struct backend_stats *b;
	uint64_t seq, posted, mono, read_ns;
	int64_t value;
	int32_t err;

	seq = sov_seq_read_begin(&m->seq);
	posted = m->posted;
	value = m->value;
	mono = m->mono_ns;
	read_ns = m->read_ns;
	err = m->err;
	/* Torn (the worker is posting right now): take it next cycle. */
	if (sov_seq_read_retry(&m->seq, seq) || posted == s->mbox_seen[c->idx])
		return;
	s->mbox_seen[c->idx] = posted;
	b = stats_of(s, c->ops);
	if (b)
		b->ns += read_ns;
	if (err) {
		if (b)
			b->errors++;
		if (!c->disabled)
			take_error(s, c, err, mono);
	} else {
		take_value(s, c, value, mono);
	}
}

void sampler_cycle(struct sampler *s, uint64_t now)
{
	struct timespec t0, t1, rt;
	struct sov_slot *st;
	int64_t wake_ns;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &rt);
	s->real_now_ns = ts_to_ns(&rt);
	/* Wake-up latency: from the deadline to the start of this cycle. */
	wake_ns = ts_to_ns(&t0) > now ? (int64_t)(ts_to_ns(&t0) - now) : 0;
	apply_params(s, now);
	for (i = 0; i < s->nbstats; i++)
		s->bstats[i].ns = 0;

	for (i = 0; i < s->chans.n; i++) {
		struct rt_chan *c = &s->chans.chan[i];
		struct backend_stats *b;
		struct timespec a, z;
		int64_t v;
		int rc;

		if (!c->ops)
			continue; /* derived or internal */
		if (c->slow) {
			consume_mailbox(s, c);
			continue;
		}
		if (c->disabled || now < c->next_due_ns)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = c->ops->read(c, now, &v);
		clock_gettime(CLOCK_MONOTONIC, &z);
		b = stats_of(s, c->ops);
		if (b)
			b->ns += (uint64_t)ts_diff_ns(&z, &a);
		if (rc) {
			if (b)
				b->errors++;
			take_error(s, c, rc, now);
			c->next_due_ns = now + c->backoff_ns;
		} else {
			take_value(s, c, v, now);
			/* Keep the channel on its own grid, not drifting with reads. */
			c->next_due_ns = c->next_due_ns ? c->next_due_ns + c->period_ns : now + c->period_ns;
			if (c->next_due_ns <= now)
				c->next_due_ns = now + c->period_ns;
		}
	}
	for (i = 0; i < s->nbstats; i++) {
		sov_writer_set(s->w, s->bstats[i].idx_ns, (int64_t)s->bstats[i].ns, now);
		sov_writer_set(s->w, s->bstats[i].idx_err, (int64_t)s->bstats[i].errors, now);
	}
	sov_writer_set(s->w, s->wake_idx, wake_ns, now);

	st = sov_writer_stage(s->w);
	st->mono_ns = now;
	st->real_ns = s->real_now_ns;
	st->cycle_cost_ns = s->last_cost_ns;
	st->overruns = s->st.overruns;
	st->flags = s->extra_flags;
	if (s->smi_idx != UINT32_MAX && s->chans.chan[s->smi_idx].valid) {
		st->smi_count = (uint64_t)s->chans.chan[s->smi_idx].last_value;
		st->flags |= SOV_SF_SMI_VALID;
	}
	sov_writer_publish(s->w);
	uatomic_set(&s->st.cycles, s->st.cycles + 1);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->last_cost_ns = (uint64_t)ts_diff_ns(&t1, &t0);
	/* Quiescent state: a SIGHUP reload waiting for the old params may free them. */
	urcu_qsbr_quiescent_state();
}

int sampler_run(struct sampler *s, uint64_t max_cycles)
{
	struct timespec ts, now;
	uint64_t next, missed;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->start_ns = ts_to_ns(&ts);
	next = s->start_ns;
	while (!uatomic_read(&s->stop)) {
		sampler_cycle(s, next);
		if (max_cycles && s->st.cycles >= max_cycles)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		missed = 0;
		if (next == s->start_ns) {
			/* After the first cycle: onto the absolute grid, counting
			 * the grid deadlines a long first cycle ran over. */
			uint64_t g = ts_grid_next(s->start_ns, s->o.period_ns);

			if (ts_to_ns(&now) >= g)
				missed = (ts_to_ns(&now) - g) / s->o.period_ns + 1;
			next = ts_grid_next(ts_to_ns(&now), s->o.period_ns);
		} else
			next = ts_next_deadline(next, s->o.period_ns, ts_to_ns(&now), &missed);
		if (missed) {
			uatomic_set(&s->st.overruns, s->st.overruns + missed);
			emit(s, SOV_EV_OVERRUN, SOV_SEV_WARNING, SOV_NO_SENSOR, (int64_t)missed, 0,
			     ts_to_ns(&now), "cycle overran its deadline");
		}
		ts = ts_from_ns(next);
		/* clock_nanosleep returns its error, it does not set errno. */
		do {
			rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} while (rc == EINTR && !uatomic_read(&s->stop));
		if (rc && rc != EINTR)
			return -rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the slow-bus worker                                                  */

static void *worker_main(void *arg)
{
	struct sampler *s = arg;

	while (!uatomic_read(&s->stop)) {
		struct timespec now_ts;
		uint64_t now, next = UINT64_MAX;
		size_t i;

		clock_gettime(CLOCK_MONOTONIC, &now_ts);
		now = ts_to_ns(&now_ts);
		for (i = 0; i < s->chans.n; i++) {
			struct rt_chan *c = &s->chans.chan[i];
			struct slow_sched *sc = &s->sched[i];
			struct mailbox *m = &s->mbox[i];
			struct timespec a, z;
			int64_t v = 0;
			int rc;

			if (!c->ops || !c->slow || sc->disabled)
				continue;
			if (now >= sc->next_due_ns) {
				clock_gettime(CLOCK_MONOTONIC, &a);
				rc = c->ops->read(c, now, &v);
				clock_gettime(CLOCK_MONOTONIC, &z);
				sov_seq_write_begin(&m->seq);
				m->value = v;
				m->err = rc;
				m->mono_ns = ts_to_ns(&a);
				m->read_ns = (uint64_t)ts_diff_ns(&z, &a);
				m->posted++;
				sov_seq_write_end(&m->seq);
				if (rc) {
					sc->disabled = judge_err_permanent(rc);
					sc->backoff_ns = judge_backoff(sc->backoff_ns, c->period_ns,
								       s->o.backoff_cap_ns);
					sc->next_due_ns = now + sc->backoff_ns;
				} else {
					/* On the grid: with the loop, one wake-up of the core. */
					sc->backoff_ns = 0;
					sc->next_due_ns = ts_grid_next(now, c->period_ns);
				}
			}
			if (sc->next_due_ns < next)
				next = sc->next_due_ns;
		}
		/* Sleep to the next due read (none: until stop); stop wakes it. */
		wait_stop_until(s, next);
	}
	return NULL;
}

int sampler_start_threads(struct sampler *s, bool rt)
{
	int rc;

	if (s->has_slow) {
		pthread_attr_t attr;
		cpu_set_t set;

		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET(s->o.cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (rt) {
			/* Below the loop on the same core: a slow bus never delays it. */
			struct sched_param sp = { .sched_priority = s->o.priority > 1 ? s->o.priority - 1 : 1 };

			pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
			pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
			pthread_attr_setschedparam(&attr, &sp);
		}
		rc = pthread_create(&s->worker, &attr, worker_main, s);
		if (rc && rt) { /* no RT rights after all: run it as a normal thread */
			pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
			rc = pthread_create(&s->worker, &attr, worker_main, s);
		}
		pthread_attr_destroy(&attr);
		if (rc)
			return -rc;
		s->worker_started = true;
		/* Names for top, schedstat and the benchmark's per-thread CPU. */
		pthread_setname_np(s->worker, "sov-worker");
	}
	if (s->o.journal) {
		rc = pthread_create(&s->journal, NULL, journal_main, s);
		if (rc)
			return -rc;
		s->journal_started = true;
		pthread_setname_np(s->journal, "sov-journal");
	}
	return 0;
}

void sampler_stop(struct sampler *s)
{
	int saved = errno; /* a signal handler may call this */

	uatomic_set(&s->stop, 1);
	/* Wake the worker and journal threads sleeping in wait_stop_until();
	 * the futex system call is async-signal-safe.  The loop is not woken:
	 * it sees the flag after its current sleep (at most one period). */
	syscall(SYS_futex, &s->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	errno = saved;
}

int sampler_reload(struct sampler *s, const struct rt_config *cfg,
		   const struct sampler_opts *o, bool *restart, struct rt_err *err)
{
	struct sampler_params *np, *old;
	struct rt_chan_list l = { 0 };
	int rc;

	*restart = false;
	/* What only a new generation can change: the segment, the loop, the root. */
	if (strcmp(o->root, s->o.root) || strcmp(o->segment, s->o.segment) || o->cpu != s->o.cpu ||
	    o->period_ns != s->o.period_ns || o->nslots != s->o.nslots) {
		*restart = true;
		return 0;
	}
	/* ... and the sensor set: probe again (off the RT path) and compare. */
	rc = build_channels(o, cfg, &l, err, NULL);
	if (!rc)
		*restart = channels_differ(&s->chans, s->nprobed, &l);
	rt_chan_list_free(&l);
	if (rc || *restart)
		return rc;
	np = params_build(cfg, s, s->params->gen + 1, err);
	if (!np)
		return -EINVAL;
	old = s->params;
	rcu_assign_pointer(s->params, np);
	/*
	 * The loop dereferences params once per cycle (apply_params()) and keeps
	 * only their gen; after a grace period it has passed a quiescent state,
	 * so no cycle still reads old.
	 */
	urcu_qsbr_synchronize_rcu();
	free(old);
	return 0;
}

struct sampler_stats sampler_stats(const struct sampler *s)
{
	struct sampler_stats st = {
		.cycles = uatomic_read(&s->st.cycles),
		.overruns = uatomic_read(&s->st.overruns),
		.journal_dropped = uatomic_read(&s->st.journal_dropped),
	};
	return st;
}

void sampler_flag(struct sampler *s, uint32_t flags)
{
	s->extra_flags |= flags;
}

const char *sampler_note(const struct sampler *s, size_t i)
{
	return i < s->notes.n ? s->notes.msg[i] : NULL;
}

const struct rt_chan_list *sampler_channels(const struct sampler *s)
{
	return &s->chans;
}

struct sov_writer *sampler_writer(struct sampler *s)
{
	return s->w;
}

void sampler_destroy(struct sampler *s)
{
	if (!s)
		return;
	sampler_stop(s);
	if (s->worker_started)
		pthread_join(s->worker, NULL);
	if (s->journal_started)
		pthread_join(s->journal, NULL);
	sov_writer_close(s->w);
	rt_chan_list_free(&s->chans);
	free(s->params);
	free(s->mbox);
	free(s->sched);
	free(s->mbox_seen);
	free(s->bstats);
	free(s->jpool);
	free(s->notes.msg);
	free(s->root);
	free(s->segment);
	free(s->group);
	free(s);
}
