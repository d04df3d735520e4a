/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler.c - the sampler core (see sampler.h): channel set, the per-cycle
 * read/judge/publish work, the slow-bus worker, the journal thread.
 */
#define _GNU_SOURCE
/*
 * No _LGPL_SOURCE: liburcu's out-of-line queue, stack and pointer calls
 * (still lock-free and system-call free).  Its inline cds_lfs_push() forms
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
#include <urcu/arch.h>
#include <urcu/pointer.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>
#include <urcu/wfcqueue.h>

#include "judge.h"
#include "sampler.h"
#include "shm_names.h"
#include "shm_seq.h"
#include "timespec.h"

#define JOURNAL_POOL      256          /* events in flight to journald */
#define DEFAULT_BACKOFF_CAP (60 * NSEC_PER_SEC)
#define DEFAULT_TEMP_HYST 2000         /* m°C */
#define DEFAULT_STALE_PERIODS 3
/* A reload polls for the loop's acknowledgement this often (control thread). */
#define RELOAD_POLL_NS    (1000000ull)
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
 * writer (worker), one reader (loop): the seqcount of shm_seq.h, every
 * field accessed with CMM_LOAD_SHARED/CMM_STORE_SHARED inside it. */
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
	uint64_t period_ns;   /* the channel's period this schedule follows */
	bool disabled;
};

/* Loop-side view of a slow channel's mailbox (the worker never touches it). */
struct slow_seen {
	uint64_t posted;      /* posted count consumed */
	uint64_t at_ns;       /* when the newest consumed reading was taken (or
			       * the loop's first cycle, or a new rate): staleness
			       * counts from here */
	bool stale;           /* published invalid for want of a new reading */
};

/* What the configuration did to a probed channel's name (for reload). */
struct chan_names {
	char label[SOV_NAME_LEN];     /* as the backend gave it */
	char labels[SOV_LABELS_LEN];
};

/* A probed channel "ignore = yes" left out of the table (for reload). */
struct chan_ignored {
	char chip[SOV_NAME_LEN];
	char name[SOV_NAME_LEN];
};

/* One key of a backend's section in the running configuration. */
struct conf_entry {
	char *sec, *key, *value;
};

/* The backend sections of the running configuration, sorted. */
struct conf_snap {
	struct conf_entry *e;
	size_t n;
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
	/*
	 * Threads and what they share (each access below names its partner):
	 *   loop    -- sampler_run()/sampler_cycle(): chans (desc limits, state),
	 *              seen, applied_gen, stale_periods, the writer
	 *   worker  -- worker_main(): sched, the mailboxes' writing side
	 *   control -- sampler_reload(): builds params, retired list
	 *   shared  -- params (RCU pointer: control -> loop), params_ack
	 *              (loop -> control), running (loop -> control), the
	 *              channels' period_ns and backoff_cap_ns (loop -> worker),
	 *              mbox (worker -> loop, seqcount), stop, st
	 *   immutable after sampler_create() -- o, chans' ops/priv/slow/desc
	 *              names, base, names, ignored, snap (control reads them)
	 */
	struct sampler_params *params;        /* RCU pointer: control -> loop */
	struct sampler_params *retired;       /* control: replaced, awaiting the ack */
	uint64_t params_ack;                  /* loop -> control: newest gen applied */
	int running;                          /* loop -> control: inside sampler_run() */
	uint64_t applied_gen;                 /* loop: gen of the params applied */
	uint64_t backoff_cap_ns;              /* loop -> worker: applied backoff_max_s */
	uint32_t stale_periods;               /* loop: applied stale_periods */
	struct sov_sensor *base;              /* per channel: desc before any config (probe-time
					       * limits and rate), the base of every params */
	struct chan_names *names;             /* per probed channel: probe-time label(s) */
	struct chan_ignored *ignored;         /* channels left out by "ignore" */
	size_t nignored;
	struct conf_snap snap;                /* backend sections of the running config */
	struct mailbox *mbox;                 /* per channel; used by slow ones */
	struct slow_sched *sched;             /* per channel; worker only */
	struct slow_seen *seen;               /* per channel; loop only */
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

	/* Decimal only: strtod would read "0x55" as 85 and "0x55C" as 1372. */
	if (strpbrk(text, "xX"))
		return -EINVAL;
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

/* Every key read from [sampler] (sampler_parse_opts(), main.c) and [sensor X] (chan_params_for(), apply_sensor_overrides()). */
static const char *const sampler_keys[] = {
	"root", "segment", "group", "cpu", "priority", "period_ms", "slots", "stuck_s",
	"backoff_max_s", "journal", "stale_periods", NULL
};
static const char *const sensor_keys[] = {
	"label", "labels", "ignore", "warn_hi", "crit_hi", "warn_lo", "crit_lo", "hysteresis",
	"period_ms", "stuck_s", NULL
};
static const char *const backend_common_keys[] = { "enable", NULL };

int sampler_check_config(const struct rt_config *cfg, struct rt_err *err)
{
	size_t i, n = rt_backend_count();
	struct rt_conf_schema *sch = calloc(n + 2, sizeof(*sch));
	int rc;

	if (!sch) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	sch[0] = (struct rt_conf_schema){ "sampler", RT_CONF_NO_ARG, sampler_keys, NULL };
	sch[1] = (struct rt_conf_schema){ "sensor", RT_CONF_ARG, sensor_keys, NULL };
	for (i = 0; i < n; i++) {
		const struct sensor_ops *ops = rt_backend_at(i);

		sch[i + 2] = (struct rt_conf_schema){ ops->name, RT_CONF_NO_ARG, ops->keys,
						      backend_common_keys };
	}
	rc = rt_config_check(cfg, sch, n + 2, err);
	free(sch);
	return rc;
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
	/* Resolved here, so that a group that does not exist is named with its file:line. */
	if ((rc = rt_conf_group(s, "group", &o->group, err)))
		return rc;
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
	/* 2 at least: a reading on time is up to one period + its read old. */
	if ((rc = rt_conf_int(s, "stale_periods", 2, 1000, DEFAULT_STALE_PERIODS, &v, err)))
		return rc;
	o->stale_periods = (uint32_t)v;
	if ((rc = rt_conf_bool(s, "journal", true, &o->journal, err)))
		return rc;
	return 0;
}

/* The [sensor X] section for sensor @chip/@name: X is "chip/name" with the
 * full chip string or the chip name alone (before '/'), and may be a glob;
 * the first section that matches is the one. */
static const struct rt_conf_section *sensor_section_for(const struct rt_config *cfg,
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

/* The [sensor X] section for channel @c (its chip and name never change). */
static const struct rt_conf_section *sensor_section(const struct rt_config *cfg,
						    const struct rt_chan *c)
{
	return sensor_section_for(cfg, c->desc.chip, c->desc.name);
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
	p->lim.flags = base->flags & (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI | SOV_SEN_WARN_LO |
				      SOV_SEN_CRIT_LO);
	p->lim.warn_hi = base->warn_hi;
	p->lim.crit_hi = base->crit_hi;
	p->lim.warn_lo = base->warn_lo;
	p->lim.crit_lo = base->crit_lo;
	p->hyst = base->kind == SOV_KIND_TEMP ? DEFAULT_TEMP_HYST : 0;
	p->period_ns = base->period_ms ? (uint64_t)base->period_ms * 1000000u : o->period_ns;
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
static struct sampler_params *params_build(const struct rt_config *cfg, struct sampler *s,
					   const struct sampler_opts *o, uint64_t gen,
					   struct rt_err *err)
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
static int sections_name_backends(const struct rt_config *cfg, struct rt_err *err)
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
	return sections_name_backends(cfg, err);
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
static int build_channels(struct sampler *s, const struct rt_config *cfg, struct rt_err *err)
{
	int rc = probe_backends(&s->o, &s->chans, cfg, err, &s->notes);

	if (!rc)
		rc = apply_sensor_overrides(s, cfg, err);
	if (!rc)
		note_other_cpus(&s->o, &s->chans, &s->notes); /* of the channels kept */
	return rc;
}

/* ------------------------------------------------------------------ */
/* what a reload may change: decided from the configuration alone       */

static int conf_entry_cmp(const void *a, const void *b)
{
	const struct conf_entry *x = a, *y = b;
	int c = strcmp(x->sec, y->sec);

	return c ? c : strcmp(x->key, y->key);
}

static void conf_snap_free(struct conf_snap *sn)
{
	size_t i;

	for (i = 0; i < sn->n; i++) {
		free(sn->e[i].sec);
		free(sn->e[i].key);
		free(sn->e[i].value);
	}
	free(sn->e);
	memset(sn, 0, sizeof(*sn));
}

/*
 * The keys of every backend section of @cfg (all but [sampler] and
 * [sensor X]), each with its last value, sorted by section and key: what
 * decides which devices the probes find and how.  Return: 0 or -ENOMEM
 * (@sn empty).  Ownership: conf_snap_free().
 */
static int conf_snap_take(const struct rt_config *cfg, struct conf_snap *sn)
{
	size_t i, j, k, cap = 0;

	memset(sn, 0, sizeof(*sn));
	for (i = 0; i < cfg->nsec; i++)
		cap += cfg->sec[i].nkv;
	sn->e = calloc(cap ? cap : 1, sizeof(*sn->e));
	if (!sn->e)
		return -ENOMEM;
	for (i = 0; i < cfg->nsec; i++) {
		const struct rt_conf_section *sec = &cfg->sec[i];
		char name[2 * RT_ERR_LEN];

		if (!strcmp(sec->name, "sampler") || !strcmp(sec->name, "sensor"))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", sec->name, sec->arg ? " " : "",
			 sec->arg ? sec->arg : "");
		for (j = 0; j < sec->nkv; j++) {
			struct conf_entry *e = &sn->e[sn->n];

			for (k = 0; k < sn->n; k++)
				if (!strcmp(sn->e[k].sec, name) && !strcmp(sn->e[k].key, sec->kv[j].key))
					break;
			if (k < sn->n)
				continue; /* already there, with its last value */
			sn->n++;
			e->sec = strdup(name);
			e->key = strdup(sec->kv[j].key);
			e->value = strdup(rt_conf_get(sec, sec->kv[j].key));
			if (!e->sec || !e->key || !e->value) {
				conf_snap_free(sn);
				return -ENOMEM;
			}
		}
	}
	qsort(sn->e, sn->n, sizeof(*sn->e), conf_entry_cmp);
	return 0;
}

/* Is @b (new) not @a (running)?  The first difference is said in @err. */
static bool conf_snap_differ(const struct conf_snap *a, const struct conf_snap *b,
			     struct rt_err *err)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : conf_entry_cmp(&a->e[i], &b->e[j]);

		if (c < 0) {
			snprintf(err->msg, sizeof(err->msg), "[%s] %s removed (was '%s')",
				 a->e[i].sec, a->e[i].key, a->e[i].value);
			return true;
		}
		if (c > 0) {
			snprintf(err->msg, sizeof(err->msg), "[%s] %s added ('%s')", b->e[j].sec,
				 b->e[j].key, b->e[j].value);
			return true;
		}
		if (strcmp(a->e[i].value, b->e[j].value)) {
			snprintf(err->msg, sizeof(err->msg), "[%s] %s changed ('%s' -> '%s')",
				 a->e[i].sec, a->e[i].key, a->e[i].value, b->e[j].value);
			return true;
		}
		i++;
		j++;
	}
	return false;
}

/* @a and @b differ once cut to a table field of @len bytes (as create cut them). */
static bool name_differs(const char *a, const char *b, size_t len)
{
	return strncmp(a, b, len - 1) != 0;
}

/*
 * Would @cfg with options @o publish another sensor table, or need what
 * only a new generation applies?  Decided from the configuration alone,
 * against what sampler_create() kept: no probe, no remove(), no device
 * touched (a PMBus probe writes PAGE: under the worker it would make one
 * rail's reading come out under another's name).  Conservative: any key
 * of a backend's section counts, since only its probe knows what it does.
 * Context: the control thread; reads only what is immutable after create.
 * Return: 1 with @err saying what (a restart is needed), 0 (limits and
 * rates only), or -errno with @err (the file is refused).
 */
static int reload_needs_restart(const struct sampler *s, const struct rt_config *cfg,
				const struct sampler_opts *o, struct rt_err *err)
{
	const struct sampler_opts *r = &s->o;
	const char *key = NULL;
	struct conf_snap sn;
	size_t i;
	int rc;

	if (strcmp(o->root ? o->root : "", r->root))
		key = "root";
	else if (strcmp(o->segment ? o->segment : SOV_SHM_DEFAULT_NAME, r->segment))
		key = "segment";
	else if (strcmp(o->group ? o->group : "", r->group ? r->group : ""))
		key = "group";
	else if (o->cpu != r->cpu)
		key = "cpu";
	else if (o->priority != r->priority)
		key = "priority";
	else if (o->period_ns != r->period_ns)
		key = "period_ms";
	else if (o->nslots != r->nslots)
		key = "slots";
	else if (o->journal != r->journal)
		key = "journal";
	if (key) {
		snprintf(err->msg, sizeof(err->msg), "[sampler] %s changed", key);
		return 1;
	}
	/* A [section] that names no backend is refused, as at start. */
	if ((rc = sections_name_backends(cfg, err)))
		return rc;
	if ((rc = conf_snap_take(cfg, &sn))) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return rc;
	}
	rc = conf_snap_differ(&s->snap, &sn, err);
	conf_snap_free(&sn);
	if (rc)
		return 1;
	/* [sensor X] ignore, label, labels: each channel in the table ... */
	for (i = 0; i < s->nprobed; i++) {
		const struct rt_chan *c = &s->chans.chan[i];
		const struct rt_conf_section *sec = sensor_section(cfg, c);
		const char *label = rt_conf_get(sec, "label"), *labels = rt_conf_get(sec, "labels");
		bool ignore;

		if ((rc = rt_conf_bool(sec, "ignore", false, &ignore, err)))
			return rc;
		if (ignore) {
			snprintf(err->msg, sizeof(err->msg), "[sensor %s] ignore: %s/%s would leave the table",
				 sec->arg, c->desc.chip, c->desc.name);
			return 1;
		}
		if (name_differs(label ? label : s->names[i].label, c->desc.label, sizeof(c->desc.label))) {
			snprintf(err->msg, sizeof(err->msg), "the label of %s/%s changes ('%s' -> '%s')",
				 c->desc.chip, c->desc.name, c->desc.label,
				 label ? label : s->names[i].label);
			return 1;
		}
		if (name_differs(labels ? labels : s->names[i].labels, c->desc.labels,
				 sizeof(c->desc.labels))) {
			snprintf(err->msg, sizeof(err->msg), "the labels of %s/%s change", c->desc.chip,
				 c->desc.name);
			return 1;
		}
	}
	/* ... and each one "ignore" left out. */
	for (i = 0; i < s->nignored; i++) {
		const struct chan_ignored *ig = &s->ignored[i];
		const struct rt_conf_section *sec = sensor_section_for(cfg, ig->chip, ig->name);
		bool ignore;

		if ((rc = rt_conf_bool(sec, "ignore", false, &ignore, err)))
			return rc;
		if (!ignore) {
			snprintf(err->msg, sizeof(err->msg), "%s/%s, ignored, would come back into the table",
				 ig->chip, ig->name);
			return 1;
		}
	}
	return 0;
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
	if (!s->o.stale_periods)
		s->o.stale_periods = DEFAULT_STALE_PERIODS;

	rc = build_channels(s, cfg, err);
	if (rc)
		goto err_destroy;
	s->nprobed = s->chans.n;
	if ((rc = add_derived_power(s)) || (rc = add_backend_stats(s)) ||
	    (rc = add_internal(s, SOV_KIND_GAUGE, SOV_UNIT_NONE, "sampler-wake-ns",
			       "wake-up latency (ns)", 0, &s->wake_idx)))
		goto err_destroy;
	/* What the backends gave, before any limit or rate of the file: every
	 * params, at start and at each reload, is built from this. */
	s->base = calloc(s->chans.n ? s->chans.n : 1, sizeof(*s->base));
	if (!s->base || conf_snap_take(cfg, &s->snap)) {
		rc = -ENOMEM;
		goto err_destroy;
	}
	for (i = 0; i < s->chans.n; i++)
		s->base[i] = s->chans.chan[i].desc;

	s->params = params_build(cfg, s, &s->o, 1, err);
	if (!s->params) {
		rc = -EINVAL;
		goto err_destroy;
	}
	s->params_ack = s->params->gen;
	s->backoff_cap_ns = s->params->backoff_cap_ns;
	s->stale_periods = s->params->stale_periods;
	s->mbox = aligned_alloc(64, sizeof(*s->mbox) * (s->chans.n ? s->chans.n : 1));
	s->sched = calloc(s->chans.n ? s->chans.n : 1, sizeof(*s->sched));
	s->seen = calloc(s->chans.n ? s->chans.n : 1, sizeof(*s->seen));
	table = calloc(s->chans.n ? s->chans.n : 1, sizeof(*table));
	if (!s->mbox || !s->sched || !s->seen || !table) {
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
	/* A chip's alarm flag (hwmon *_alarm, *_fault): news when it rises, also
	 * when found raised at the first reading, and when it falls. */
	if (c->desc.kind == SOV_KIND_ALARM && (v != 0) != (prev_at && prev_value != 0))
		emit(s, v ? SOV_EV_ALARM : SOV_EV_ALARM_CLEAR,
		     !v ? SOV_SEV_NOTICE : c->desc.flags & SOV_SEN_CRITICAL ? SOV_SEV_CRIT
									: SOV_SEV_WARNING,
		     c->idx, v, 0, at, v ? "alarm raised" : "alarm cleared");
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
	c->backoff_ns = judge_backoff(c->backoff_ns, c->period_ns, s->backoff_cap_ns);
}

/*
 * Pick up a SIGHUP's new limits and rates (RCU, no lock), and acknowledge
 * them so that the control thread may free the ones they replace: loads,
 * stores and one fence, never a system call (liburcu's QSBR quiescent
 * state could FUTEX_WAKE a waiting synchronize_rcu()).
 */
static void apply_params(struct sampler *s, uint64_t now)
{
	/*
	 * Dependency-ordered load of the pointer: the params' contents as the
	 * control thread built them.  Pairs with rcu_assign_pointer() in
	 * sampler_reload().
	 */
	const struct sampler_params *p = rcu_dereference(s->params);
	size_t i;

	if (p->gen == s->applied_gen)
		return;
	s->stale_periods = p->stale_periods;
	/* Read by the worker for its back-off: pairs with the CMM_LOAD_SHARED in worker_main(). */
	CMM_STORE_SHARED(s->backoff_cap_ns, p->backoff_cap_ns);
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
			/* The worker schedules slow channels by it: pairs with the
			 * CMM_LOAD_SHARED in worker_main(). */
			CMM_STORE_SHARED(c->period_ns, cp->period_ns);
			c->next_due_ns = now; /* take the new rate from now */
			if (c->slow && s->seen[i].at_ns && s->seen[i].at_ns < now)
				s->seen[i].at_ns = now; /* and count staleness from now */
		}
		sov_writer_update_limits(s->w, c->idx, &cp->lim);
	}
	s->applied_gen = p->gen;
	/*
	 * Orders every load this thread made from this and older params before
	 * the acknowledgement: once the control thread sees gen here, the loop
	 * is done with every older params (it only ever loads s->params, which
	 * moves forward).  Pairs with the cmm_smp_mb() after the ack's load in
	 * params_reclaim().
	 */
	cmm_smp_mb();
	CMM_STORE_SHARED(s->params_ack, p->gen);
	emit(s, SOV_EV_CONFIG, SOV_SEV_INFO, SOV_NO_SENSOR, (int64_t)p->gen, 0, now,
	     "configuration reloaded: limits and rates");
}

/* Take a slow channel's new reading from its mailbox, if the worker posted one; at cycle @now. */
static void consume_mailbox(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	const struct mailbox *m = &s->mbox[c->idx];
	struct slow_seen *seen = &s->seen[c->idx];
	struct backend_stats *b;
	uint64_t seq, posted, mono, read_ns;
	int64_t value;
	int32_t err;

	/* The seqcount's read side: its barriers pair with the worker's
	 * sov_seq_write_begin()/_end() in worker_main(). */
	seq = sov_seq_read_begin(&m->seq);
	posted = CMM_LOAD_SHARED(m->posted);
	value = CMM_LOAD_SHARED(m->value);
	mono = CMM_LOAD_SHARED(m->mono_ns);
	read_ns = CMM_LOAD_SHARED(m->read_ns);
	err = CMM_LOAD_SHARED(m->err);
	/* Torn (the worker is posting right now): take it next cycle. */
	if (sov_seq_read_retry(&m->seq, seq) || posted == seen->posted)
		return;
	seen->posted = posted;
	seen->at_ns = now; /* the worker is alive: staleness counts from here */
	b = stats_of(s, c->ops);
	if (b)
		b->ns += read_ns;
	if (err) {
		if (b)
			b->errors++;
		if (!c->disabled)
			take_error(s, c, err, mono);
	} else {
		bool first = !c->last_ok_ns;

		take_value(s, c, value, mono);
		/* take_value() says "back" only for a channel that had a value:
		 * one that went stale before its first reading is said here. */
		if (seen->stale && first && c->valid)
			emit(s, SOV_EV_SENSOR_BACK, SOV_SEV_NOTICE, c->idx, value, 0, mono,
			     "readings are back");
	}
	seen->stale = false;
}

/*
 * A slow channel whose worker posted nothing new for stale_periods x its
 * period (a hung bus, a read that never returns) is published invalid
 * with SENSOR_LOST, once, until a new reading comes: take_value() then
 * says "back" (the silence counts as a failed read).  Without it a hung
 * bus would freeze the last DIMM or VRM temperature, valid, in every new
 * sample.  From @now, the cycle's time: no clock read, no system call.
 * Already invalid after a failed read, it has been said: nothing to add.
 */
static void check_stale(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	struct slow_seen *seen = &s->seen[c->idx];
	uint64_t limit = (uint64_t)s->stale_periods * c->period_ns;

	if (!seen->at_ns)
		seen->at_ns = now; /* the first cycle: the worker has had no time yet */
	if (seen->stale || c->disabled || now <= seen->at_ns || now - seen->at_ns <= limit)
		return;
	if (!c->valid && seen->posted)
		return; /* a failed read said so already; the worker posts its retries */
	seen->stale = true;
	c->valid = false;
	c->errors++;
	c->last_err = -ETIMEDOUT;
	sov_writer_set_invalid(s->w, c->idx);
	if (c->power_idx != UINT32_MAX) {
		s->chans.chan[c->power_idx].valid = false;
		sov_writer_set_invalid(s->w, c->power_idx);
	}
	emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_WARNING, c->idx, -ETIMEDOUT, 0, now,
	     "slow bus: no new reading in stale_periods periods: invalid");
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
			consume_mailbox(s, c, now);
			check_stale(s, c, now);
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
}

int sampler_run(struct sampler *s, uint64_t max_cycles)
{
	struct timespec ts, now;
	uint64_t next, missed;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->start_ns = ts_to_ns(&ts);
	next = s->start_ns;
	/* A reload waits for our acknowledgement only while we run: pairs
	 * with the uatomic_read() in reload_wait_ack(). */
	uatomic_set(&s->running, 1);
	rc = 0;
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
			break;
		rc = 0;
	}
	uatomic_set(&s->running, 0);
	return -rc;
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
			uint64_t period;
			int64_t v = 0;
			int rc;

			if (!c->ops || !c->slow || sc->disabled)
				continue;
			/* The loop applies a reload's rates: pairs with the
			 * CMM_STORE_SHARED in apply_params(); a new one is taken
			 * from now, as the loop does (sampler_reload() wakes us). */
			period = CMM_LOAD_SHARED(c->period_ns);
			if (period != sc->period_ns) {
				sc->period_ns = period;
				if (!sc->backoff_ns)
					sc->next_due_ns = now;
			}
			if (now >= sc->next_due_ns) {
				clock_gettime(CLOCK_MONOTONIC, &a);
				rc = c->ops->read(c, now, &v);
				clock_gettime(CLOCK_MONOTONIC, &z);
				/* Pairs with the loop's sov_seq_read_begin()/_retry()
				 * in consume_mailbox(). */
				sov_seq_write_begin(&m->seq);
				CMM_STORE_SHARED(m->value, v);
				CMM_STORE_SHARED(m->err, rc);
				CMM_STORE_SHARED(m->mono_ns, ts_to_ns(&a));
				CMM_STORE_SHARED(m->read_ns, (uint64_t)ts_diff_ns(&z, &a));
				CMM_STORE_SHARED(m->posted, m->posted + 1);
				sov_seq_write_end(&m->seq);
				if (rc) {
					/* Pairs with the CMM_STORE_SHARED in apply_params(). */
					uint64_t cap = CMM_LOAD_SHARED(s->backoff_cap_ns);

					sc->disabled = judge_err_permanent(rc);
					sc->backoff_ns = judge_backoff(sc->backoff_ns, period, cap);
					sc->next_due_ns = now + sc->backoff_ns;
				} else {
					/* On the grid: with the loop, one wake-up of the core. */
					sc->backoff_ns = 0;
					sc->next_due_ns = ts_grid_next(now, period);
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

/*
 * Free the retired params the loop can no longer reach: those older than
 * the generation it acknowledged (apply_params() always loads the newest
 * pointer, so having applied gen it never loads an older one again).
 * Context: the control thread, or sampler_destroy() once the loop ended.
 */
static void params_reclaim(struct sampler *s)
{
	uint64_t ack = CMM_LOAD_SHARED(s->params_ack);
	struct sampler_params **pp = &s->retired;

	/*
	 * Orders the ack's load before the frees (the allocator's stores into
	 * that memory).  Pairs with the cmm_smp_mb() before the ack's store in
	 * apply_params().
	 */
	cmm_smp_mb();
	while (*pp) {
		struct sampler_params *r = *pp;

		if (r->gen < ack) {
			*pp = r->retired_next;
			free(r);
		} else {
			pp = &r->retired_next;
		}
	}
}

/*
 * Wait while the loop runs for it to acknowledge params @gen (it applies
 * them at its next cycle): 1 ms sleeps, at most two periods + 100 ms and
 * never more than 1 s (the control thread also feeds systemd's watchdog).
 * Without a running loop (a test driving sampler_cycle() itself) there is
 * nothing to wait for: the params are applied at the next cycle anyway.
 */
static void reload_wait_ack(struct sampler *s, uint64_t gen)
{
	uint64_t wait = 2 * s->o.period_ns + 100000000ull, deadline;
	struct timespec now;

	if (wait > NSEC_PER_SEC)
		wait = NSEC_PER_SEC;
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = ts_to_ns(&now) + wait;
	/* running: pairs with the uatomic_set()s in sampler_run(). */
	while (CMM_LOAD_SHARED(s->params_ack) < gen && uatomic_read(&s->running) &&
	       !uatomic_read(&s->stop) && ts_to_ns(&now) < deadline) {
		struct timespec ts = ts_from_ns(RELOAD_POLL_NS);

		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
}

int sampler_reload(struct sampler *s, const struct rt_config *cfg,
		   const struct sampler_opts *o, bool *restart, struct rt_err *err)
{
	struct sampler_params *np, *old;
	int rc;

	*restart = false;
	err->msg[0] = '\0';
	rc = reload_needs_restart(s, cfg, o, err);
	if (rc < 0)
		return rc;
	if (rc) {
		*restart = true;
		return 0;
	}
	/* s->params is only ever stored by this thread: a plain load. */
	old = s->params;
	np = params_build(cfg, s, o, old->gen + 1, err);
	if (!np)
		return -EINVAL;
	old->retired_next = s->retired; /* a field the loop never reads */
	s->retired = old;
	/*
	 * Publishes np: its contents are ordered before the pointer.  Pairs
	 * with rcu_dereference() in apply_params().
	 */
	rcu_assign_pointer(s->params, np);
	reload_wait_ack(s, np->gen);
	params_reclaim(s);
	/*
	 * The worker sleeps until its next due read, by the old rates: wake it
	 * to take the new ones (wait_stop_until() returns; stop is not set).
	 */
	if (s->has_slow)
		syscall(SYS_futex, &s->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
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
	/* The loop has ended: nothing reaches the retired params any more. */
	while (s->retired) {
		struct sampler_params *r = s->retired;

		s->retired = r->retired_next;
		free(r);
	}
	free(s->params);
	free(s->base);
	free(s->names);
	free(s->ignored);
	conf_snap_free(&s->snap);
	free(s->mbox);
	free(s->sched);
	free(s->seen);
	free(s->bstats);
	free(s->jpool);
	free(s->notes.msg);
	free(s->root);
	free(s->segment);
	free(s->group);
	free(s);
}
