/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reload.c - SIGHUP: decide from the new file alone whether it needs a new
 * generation (restart) or only new limits and rates, and hand those to the
 * loop through an RCU pointer; free what the loop has let go of.  Runs in
 * main.c's control thread, never in the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <urcu/arch.h>
#include <urcu/pointer.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>

#include "sampler_int.h"
#include "shm_names.h"

/* A reload polls for the loop's acknowledgement this often (control thread). */
#define RELOAD_POLL_NS    (1000000ull)

static int conf_entry_cmp(const void *a, const void *b)
{
	const struct conf_entry *x = a, *y = b;
	int c = strcmp(x->sec, y->sec);

	return c ? c : strcmp(x->key, y->key);
}

void conf_snap_free(struct conf_snap *sn)
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
int conf_snap_take(const struct rt_config *cfg, struct conf_snap *sn)
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

/* The first [sampler] key of @o that differs from the running @r and only a restart applies, or NULL. */
static const char *restart_key(const struct sampler_opts *r, const struct sampler_opts *o)
{
	if (strcmp(o->root ? o->root : "", r->root))
		return "root";
	if (strcmp(o->segment ? o->segment : SOV_SHM_DEFAULT_NAME, r->segment))
		return "segment";
	if (strcmp(o->group ? o->group : "", r->group ? r->group : ""))
		return "group";
	if (o->cpu != r->cpu)
		return "cpu";
	if (o->priority != r->priority)
		return "priority";
	if (o->period_ns != r->period_ns)
		return "period_ms";
	if (o->nslots != r->nslots)
		return "slots";
	if (o->journal != r->journal)
		return "journal";
	return NULL;
}

/*
 * Would the [sensor X] ignore, label and labels of @cfg change the table:
 * a channel in it ignored or renamed, or one "ignore" left out coming
 * back?  Return: 1 with @err saying which, 0, or -errno with @err.
 */
static int table_would_change(const struct sampler *s, const struct rt_config *cfg,
			      struct rt_err *err)
{
	size_t i;
	int rc;

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
	for (i = 0; i < s->nignored; i++) {
		const struct chan_ignored *ig = &s->ignored[i];
		const struct rt_conf_section *sec = sampler_sensor_section(cfg, ig->chip, ig->name);
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
	const char *key = restart_key(&s->o, o);
	struct conf_snap sn;
	int rc;

	if (key) {
		snprintf(err->msg, sizeof(err->msg), "[sampler] %s changed", key);
		return 1;
	}
	/* A [section] that names no backend is refused, as at start. */
	if ((rc = channels_name_backends(cfg, err)))
		return rc;
	if ((rc = conf_snap_take(cfg, &sn))) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return rc;
	}
	rc = conf_snap_differ(&s->snap, &sn, err);
	conf_snap_free(&sn);
	if (rc)
		return 1;
	return table_would_change(s, cfg, err);
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
 * them at its next cycle): 1 ms sleeps, at most two heartbeats (the loop's
 * longest sleep, sampler.c heartbeat_ns()) + 100 ms and never more than
 * 1 s (the control thread also feeds systemd's watchdog).
 * Without a running loop (a test driving sampler_cycle() itself) there is
 * nothing to wait for: the params are applied at the next cycle anyway.
 */
static void reload_wait_ack(struct sampler *s, uint64_t gen)
{
	uint64_t wait = 2 * s->heartbeat_ns + 100000000ull, deadline;
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
	 * to take the new ones (sampler_wait_stop_until() returns; stop is not set).
	 */
	if (s->has_slow)
		syscall(SYS_futex, &s->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	return 0;
}
