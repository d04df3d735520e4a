/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler.c - the sampler core's life cycle (see sampler.h): create (the
 * channel set, the params, the segment), the helper threads' start and
 * stop, the accessors, destroy.  The work itself is in the files listed
 * in sampler_int.h.
 */
#define _GNU_SOURCE
/*
 * No _LGPL_SOURCE (in any file of the core): liburcu's out-of-line queue,
 * stack and pointer calls (still lock-free and system-call free).  Its
 * inline cds_lfs_push() forms &head->node from a NULL head on purpose,
 * which UBSan would report in our sanitizer build.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <urcu/uatomic.h>

#include "sampler_int.h"
#include "shm_names.h"

/* Own copies of @o's strings (the caller's config is freed after create). */
static int sampler_copy_opts(struct sampler *s, const struct sampler_opts *o)
{
	s->o = *o;
	s->root = strdup(o->root ? o->root : "");
	s->segment = strdup(o->segment ? o->segment : SOV_SHM_DEFAULT_NAME);
	s->group = o->group ? strdup(o->group) : NULL;
	if (!s->root || !s->segment || (o->group && !s->group))
		return -ENOMEM;
	s->o.root = s->root;
	s->o.segment = s->segment;
	s->o.group = s->group;
	if (!s->o.backoff_cap_ns)
		s->o.backoff_cap_ns = DEFAULT_BACKOFF_CAP;
	if (!s->o.stale_periods)
		s->o.stale_periods = DEFAULT_STALE_PERIODS;
	return 0;
}

/*
 * The first params (generation 1) from @cfg, and what every later one is
 * built from: each channel's table entry as the backends gave it (s->base)
 * and the backend sections of the file (s->snap).  Return: 0 or -errno
 * with @err.
 */
static int sampler_first_params(struct sampler *s, const struct rt_config *cfg,
				struct rt_err *err)
{
	size_t i, n = s->chans.n ? s->chans.n : 1;

	s->base = calloc(n, sizeof(*s->base));
	if (!s->base || conf_snap_take(cfg, &s->snap))
		return -ENOMEM;
	for (i = 0; i < s->chans.n; i++)
		s->base[i] = s->chans.chan[i].desc;
	s->params = params_build(cfg, s, &s->o, 1, err);
	if (!s->params)
		return -EINVAL;
	s->params_ack = s->params->gen;
	s->applied_gen = s->params->gen;
	s->backoff_cap_ns = s->params->backoff_cap_ns;
	s->stale_periods = s->params->stale_periods;
	return 0;
}

/*
 * The longest the loop may sleep: the shortest period of a channel read
 * (at create: a reload keeps it), as a whole number of grid steps, the
 * grid's when nothing is read; at most HEARTBEAT_MAX_NS (or one grid step
 * when that is longer), so that a reload is acknowledged within the
 * control thread's wait (reload.c).  It is the header's period: readers
 * judge a sample's age by it (the fan controller, the watchdog).
 */
static uint64_t heartbeat_ns(const struct sampler *s)
{
	uint64_t grid = s->o.period_ns, beat = UINT64_MAX;
	size_t i;

	for (i = 0; i < s->chans.n; i++)
		if (s->chans.chan[i].ops && s->chans.chan[i].period_ns < beat)
			beat = s->chans.chan[i].period_ns;
	if (beat > HEARTBEAT_MAX_NS)
		beat = HEARTBEAT_MAX_NS;
	if (beat < grid)
		return grid;
	return beat / grid * grid;
}

/*
 * The first params into every channel, and the table to publish into the
 * new segment @table (s->chans.n entries): limits and rates applied, the
 * worker's and the loop's per-channel state allocated.  Return: 0 or -ENOMEM.
 */
static int sampler_apply_first(struct sampler *s, struct sov_sensor *table)
{
	size_t i, n = s->chans.n ? s->chans.n : 1;

	s->mbox = aligned_alloc(64, sizeof(*s->mbox) * n);
	s->sched = calloc(n, sizeof(*s->sched));
	s->seen = calloc(n, sizeof(*s->seen));
	if (!s->mbox || !s->sched || !s->seen)
		return -ENOMEM;
	memset(s->mbox, 0, sizeof(*s->mbox) * n);
	s->smi_idx = UINT32_MAX;
	for (i = 0; i < s->chans.n; i++) {
		struct rt_chan *c = &s->chans.chan[i];
		const struct chan_params *p = &s->params->p[i];

		chan_apply_params(c, p);
		c->desc.period_ms = (uint32_t)(p->period_ns / 1000000u);
		c->period_ns = p->period_ns;
		if (c->slow)
			s->has_slow = true;
		if (c->desc.kind == SOV_KIND_SMI_COUNT && s->smi_idx == UINT32_MAX)
			s->smi_idx = (uint32_t)i;
		table[i] = c->desc;
	}
	s->heartbeat_ns = heartbeat_ns(s);
	return 0;
}

/* The segment, with @table; what the probes skipped, and why, in its events. */
static int sampler_open_segment(struct sampler *s, const struct sov_sensor *table,
				struct rt_err *err)
{
	struct sov_writer_opts wo;
	size_t i;
	int rc;

	memset(&wo, 0, sizeof(wo));
	wo.name = s->o.segment;
	wo.group = s->o.group;
	wo.writer_name = "sovereign-sampler";
	wo.nslots = s->o.nslots;
	wo.period_ns = s->heartbeat_ns;
	rc = sov_writer_create(&wo, table, (uint32_t)s->chans.n, &s->w);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "segment %s: %s", s->o.segment, sov_strerror(rc));
		return rc;
	}
	/* The SEL's successor keeps them too. */
	for (i = 0; i < s->notes.n; i++)
		sov_writer_note(s->w, SOV_EV_DEGRADED, SOV_SEV_NOTICE, 0, s->notes.msg[i]);
	return 0;
}

int sampler_create(const struct rt_config *cfg, const struct sampler_opts *o,
		   struct sampler **out, struct rt_err *err)
{
	struct sov_sensor *table = NULL;
	struct sampler *s;
	int rc;

	*out = NULL;
	err->msg[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if ((rc = sampler_copy_opts(s, o)) || (rc = channels_build(s, cfg, err)) ||
	    (rc = sampler_first_params(s, cfg, err)))
		goto err_destroy;
	table = calloc(s->chans.n ? s->chans.n : 1, sizeof(*table));
	if (!table) {
		rc = -ENOMEM;
		goto err_destroy;
	}
	if ((rc = sampler_apply_first(s, table)) || (rc = sampler_open_segment(s, table, err)) ||
	    (rc = journal_init(s)))
		goto err_destroy;
	free(table);
	*out = s;
	return 0;

err_destroy:
	free(table);
	sampler_destroy(s);
	return rc;
}

/*
 * Sleep until CLOCK_MONOTONIC @deadline_ns (UINT64_MAX: no deadline) or
 * until sampler_stop(), whichever comes first: a futex wait on s->stop
 * while it is 0, woken by the FUTEX_WAKE in sampler_stop().  A stop that
 * lands before the wait makes it return at once (the word is no longer 0),
 * so no wake-up is lost.  Context: the worker and journal threads.
 */
void sampler_wait_stop_until(struct sampler *s, uint64_t deadline_ns)
{
	struct timespec ts = ts_from_ns(deadline_ns);

	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time; EINTR,
	 * EAGAIN and ETIMEDOUT all mean "look again", which the callers do. */
	syscall(SYS_futex, &s->stop, FUTEX_WAIT_BITSET_PRIVATE, 0,
		deadline_ns == UINT64_MAX ? NULL : &ts, NULL, FUTEX_BITSET_MATCH_ANY);
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
		rc = pthread_create(&s->worker, &attr, slow_worker_main, s);
		if (rc && rt) { /* no RT rights after all: run it as a normal thread */
			pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
			rc = pthread_create(&s->worker, &attr, slow_worker_main, s);
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
	/* Wake the worker and journal threads sleeping in sampler_wait_stop_until();
	 * the futex system call is async-signal-safe.  The loop is not woken:
	 * it sees the flag after its current sleep (at most one period). */
	syscall(SYS_futex, &s->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	errno = saved;
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
