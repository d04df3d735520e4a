// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine.c - the orchestrator's life cycle and its engine: one thread that
 * holds (or waits for) the store's leadership and, each tick, starts the
 * pending workflows the budgets allow and queues the running ones that are
 * due; max_concurrent worker threads take one step each at a time.
 *
 * Durability: a workflow's step number is stored before the step is
 * taken, and the next one (compare-and-set on the step) after it is done.
 * A process killed at any moment resumes every running workflow at its
 * stored step; steps are written so that taking one again is harmless
 * (steps.c says how, for each).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "internal.h"

int64_t fleet_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct fleet_inventory *fleet_inventory_get(struct fleet *f)
{
	struct fleet_inventory *inv;

	pthread_mutex_lock(&f->lock);
	inv = f->inv;
	inv->refs++;
	pthread_mutex_unlock(&f->lock);
	return inv;
}

void fleet_inventory_put(struct fleet *f, struct fleet_inventory *inv)
{
	bool last;

	pthread_mutex_lock(&f->lock);
	last = --inv->refs == 0;
	pthread_mutex_unlock(&f->lock);
	if (last)
		fleet_inventory_free(inv);
}

int fleet_open(const char *conf_path, struct fleet **out, char *err, size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	snprintf(f->conf_path, sizeof(f->conf_path), "%s", conf_path);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->queue_cond, NULL);
	rc = fleet_inventory_load(conf_path, &f->inv, err, errlen);
	if (!rc)
		rc = fleet_store_open(f->inv->store, &f->ops, &f->st, err, errlen);
	if (rc) {
		fleet_inventory_free(f->inv);
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int fleet_reload(struct fleet *f, char *err, size_t errlen)
{
	struct fleet_inventory *inv, *old;
	int rc = fleet_inventory_load(f->conf_path, &inv, err, errlen);

	if (rc)
		return rc;
	if (strcmp(inv->store, f->inv->store) || strcmp(inv->listen, f->inv->listen)) {
		snprintf(err, errlen, "%s: store and listen take effect at a restart only; "
			 "reload refused", f->conf_path);
		fleet_inventory_free(inv);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->lock);
	old = f->inv;
	f->inv = inv;
	pthread_mutex_unlock(&f->lock);
	fleet_inventory_put(f, old);
	return 0;
}

/* ---- the worker side ------------------------------------------------------ */

static bool in_flight(struct fleet *f, int64_t id)
{
	for (int i = 0; i < f->nin_flight; i++)
		if (f->in_flight[i] == id)
			return true;
	return false;
}

static void flight_drop(struct fleet *f, int64_t id)
{
	for (int i = 0; i < f->nin_flight; i++)
		if (f->in_flight[i] == id) {
			f->in_flight[i] = f->in_flight[--f->nin_flight];
			return;
		}
}

/* run_step() - take the stored step of workflow @id.  Return: 0 or -errno. */
static int run_step(struct fleet *f, struct fleet_store *st, int64_t id)
{
	struct fleet_inventory *inv = fleet_inventory_get(f);
	char err[FLEET_ERR] = "";
	struct fleet_wf wf;
	struct step_run r;
	const struct step *steps;
	enum step_rc rc;
	int n, at, res;
	char *text;

	res = f->ops->wf_get(st, id, &wf, err, sizeof(err));
	if (res || strcmp(wf.status, "running") || wf.wake_at > fleet_now_ms())
		goto out;
	steps = fleet_steps(wf.kind, &n);
	memset(&r, 0, sizeof(r));
	r.f = f;
	r.st = st;
	r.inv = inv;
	r.wf = &wf;
	r.srv = fleet_inventory_find(inv, wf.server);
	r.data = cJSON_Parse(wf.data);
	if (!cJSON_IsObject(r.data)) {
		cJSON_Delete(r.data);
		r.data = cJSON_CreateObject();
	}
	at = wf.step;
	if (!steps || !r.srv) {
		snprintf(r.reason, sizeof(r.reason), "%s", !steps ? "unknown workflow kind" :
			 "the server is no longer in the inventory");
		rc = STEP_FAIL;
	} else if (at >= n) {
		rc = STEP_END;
	} else {
		rc = steps[at].fn(&r);
	}
	text = cJSON_PrintUnformatted(r.data);
	if (text && strlen(text) < sizeof(wf.data))
		strcpy(wf.data, text);
	cJSON_free(text);
	cJSON_Delete(r.data);
	wf.updated = fleet_now_ms() / 1000;
	switch (rc) {
	case STEP_NEXT:
		wf.step = at + 1;
		wf.attempt = 0;
		wf.wake_at = 0;
		if (wf.step < n)
			break;
		__attribute__((fallthrough)); /* that was the last step */
	case STEP_END:
		snprintf(wf.status, sizeof(wf.status), "done");
		wf.reason[0] = '\0';
		break;
	case STEP_WAIT:
		wf.attempt++;
		wf.wake_at = r.wake_at;
		break;
	case STEP_FAIL:
		snprintf(wf.status, sizeof(wf.status), "failed");
		snprintf(wf.reason, sizeof(wf.reason), "step %s: %s",
			 steps && at < n ? steps[at].name : "?", r.reason);
		break;
	}
	res = f->ops->wf_update(st, &wf, at, "running", err, sizeof(err));
	if (res) {
		sd_journal_send("MESSAGE=workflow %lld: storing step %d: %s", (long long)id, at, err,
				"PRIORITY=%d", LOG_ERR, "SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
		goto out;
	}
	if (rc == STEP_FAIL && r.srv) {
		fleet_set_server(&r, "needs-attention", wf.reason);
		sd_journal_send("MESSAGE=workflow %lld (%s %s) failed: %s", (long long)id, wf.kind,
				wf.server, wf.reason, "PRIORITY=%d", LOG_WARNING,
				"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
	} else if (!strcmp(wf.status, "done") && r.srv) {
		struct fleet_server_state s;

		/* the server is released by its workflow */
		if (!f->ops->server_get(st, wf.server, &s, err, sizeof(err)) && s.workflow == id) {
			s.workflow = 0;
			s.updated = fleet_now_ms() / 1000;
			f->ops->server_put(st, &s, err, sizeof(err));
		}
	}
out:
	fleet_inventory_put(f, inv);
	return res;
}

static void *worker(void *arg)
{
	struct fleet *f = arg;
	const struct fleet_store_ops *ops;
	struct fleet_store *st = NULL;
	char err[FLEET_ERR];

	if (fleet_store_open(f->inv->store, &ops, &st, err, sizeof(err))) {
		sd_journal_send("MESSAGE=worker: store: %s", err, "PRIORITY=%d", LOG_ERR,
				"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
		return NULL;
	}
	pthread_mutex_lock(&f->lock);
	while (!atomic_load(&f->stop)) {
		int64_t id;

		if (!f->nqueue) {
			pthread_cond_wait(&f->queue_cond, &f->lock);
			continue;
		}
		id = f->queue[--f->nqueue];
		if (in_flight(f, id))
			continue;
		f->in_flight[f->nin_flight++] = id;
		pthread_mutex_unlock(&f->lock);
		run_step(f, st, id);
		pthread_mutex_lock(&f->lock);
		flight_drop(f, id);
	}
	pthread_mutex_unlock(&f->lock);
	f->ops->close(st);
	return NULL;
}

/* ---- the engine thread ---------------------------------------------------- */

#define PENDING_MAX 256

struct tick {
	struct fleet *f;
	const struct fleet_inventory *inv;
	int running;              /* workflows running fleet-wide */
	int64_t due[4096];        /* running workflows whose time has come */
	int ndue;
	/* servers with a running out-of-service workflow: out of service for the
	 * budget even before its first step marks them (started this tick, or
	 * not yet taken by a busy worker) */
	char taken[256][FLEET_ID_MAX];
	int ntaken;
	/* the oldest pending ones: the list comes newest first, so this is a
	 * ring that keeps the last PENDING_MAX seen; npending counts them all */
	struct fleet_wf pending[PENDING_MAX];
	int npending;
};

static void take(struct tick *t, const struct fleet_wf *w)
{
	if (fleet_kind_out_of_service(w->kind) &&
	    t->ntaken < (int)(sizeof(t->taken) / sizeof(t->taken[0])))
		memcpy(t->taken[t->ntaken++], w->server, FLEET_ID_MAX); /* both NUL-terminated */
}

static int collect(const struct fleet_wf *w, void *ctx)
{
	struct tick *t = ctx;

	if (!strcmp(w->status, "running")) {
		t->running++;
		take(t, w);
		if (w->wake_at <= fleet_now_ms() && t->ndue < (int)(sizeof(t->due) / sizeof(t->due[0])))
			t->due[t->ndue++] = w->id;
	} else if (!strcmp(w->status, "pending")) {
		t->pending[t->npending++ % PENDING_MAX] = *w;
	}
	return 0;
}

struct pool_count {
	const struct tick *t;
	const char *pool;
	int out; /* servers of the pool out of service now */
};

static bool taken(const struct tick *t, const char *id)
{
	for (int i = 0; i < t->ntaken; i++)
		if (!strcmp(t->taken[i], id))
			return true;
	return false;
}

static int count_out(const struct fleet_server_state *s, void *ctx)
{
	struct pool_count *c = ctx;
	const struct fleet_server *srv = fleet_inventory_find(c->t->inv, s->id);

	if (srv && !strcmp(srv->pool, c->pool) &&
	    ((strcmp(s->state, "ready") && strcmp(s->state, "resetting")) || taken(c->t, s->id)))
		c->out++;
	return 0;
}

/* budget_allows() - may @w start: fleet-wide concurrency and its pool's disruption budget. */
static bool budget_allows(struct tick *t, struct fleet_store *st, const struct fleet_wf *w)
{
	const struct fleet_server *srv = fleet_inventory_find(t->inv, w->server);
	struct pool_count c = { t, NULL, 0 };
	struct fleet_server_state s;
	char err[FLEET_ERR];
	int size = 0, allowed;

	if (t->running >= t->inv->max_concurrent)
		return false;
	if (!srv || !fleet_kind_out_of_service(w->kind))
		return true;
	/* a server already out of service (drained, needs attention) costs nothing more */
	if (!t->f->ops->server_get(st, w->server, &s, err, sizeof(err)) &&
	    strcmp(s.state, "ready") && strcmp(s.state, "resetting"))
		return true;
	for (size_t i = 0; i < t->inv->nserver; i++)
		size += !strcmp(t->inv->server[i].pool, srv->pool);
	allowed = (size * t->inv->budget_percent) / 100;
	if (allowed < 1)
		allowed = 1;
	c.pool = srv->pool;
	if (t->f->ops->server_list(st, count_out, &c, err, sizeof(err)))
		return false;
	return c.out < allowed;
}

static void start_pending(struct tick *t, struct fleet_store *st)
{
	int n = t->npending < PENDING_MAX ? t->npending : PENDING_MAX;
	char err[FLEET_ERR];

	/* oldest first: the list came newest first; the ring holds the oldest n */
	for (int k = 0; k < n; k++) {
		struct fleet_wf *w = &t->pending[(t->npending - 1 - k) % PENDING_MAX];

		if (!budget_allows(t, st, w))
			continue;
		snprintf(w->status, sizeof(w->status), "running");
		w->updated = fleet_now_ms() / 1000;
		if (t->f->ops->wf_update(st, w, w->step, "pending", err, sizeof(err)))
			continue;
		t->running++;
		take(t, w);
		if (t->ndue < (int)(sizeof(t->due) / sizeof(t->due[0])))
			t->due[t->ndue++] = w->id;
	}
}

static void *engine(void *arg)
{
	struct fleet *f = arg;
	char err[FLEET_ERR];
	bool was_leader = false;
	struct tick *t = calloc(1, sizeof(*t));

	while (t && !atomic_load(&f->stop)) {
		struct fleet_inventory *inv = fleet_inventory_get(f);
		bool lead = false;
		int poll = inv->poll_ms;

		if (f->ops->leader(f->st, &lead, err, sizeof(err)))
			lead = false;
		atomic_store(&f->leader, lead);
		if (lead != was_leader)
			sd_journal_send("MESSAGE=%s", lead ? "leader: taking workflows" :
					"not the leader: standing by", "PRIORITY=%d", LOG_NOTICE,
					"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
		was_leader = lead;
		if (lead) {
			memset(t, 0, offsetof(struct tick, pending));
			t->npending = 0;
			t->f = f;
			t->inv = inv;
			if (!f->ops->wf_list(f->st, NULL, true, 0, collect, t, err, sizeof(err))) {
				start_pending(t, f->st);
				pthread_mutex_lock(&f->lock);
				for (int i = 0; i < t->ndue; i++) {
					if (in_flight(f, t->due[i]) || f->nqueue == f->queue_cap)
						continue;
					f->queue[f->nqueue++] = t->due[i];
				}
				pthread_cond_broadcast(&f->queue_cond);
				pthread_mutex_unlock(&f->lock);
			}
			if (inv->file_sd_dir[0])
				fleet_file_sd_write(f, inv, f->st, err, sizeof(err));
		}
		fleet_inventory_put(f, inv);
		usleep((useconds_t)poll * 1000);
	}
	free(t);
	return NULL;
}

bool fleet_is_leader(struct fleet *f)
{
	return atomic_load(&f->leader);
}

int fleet_engine_start(struct fleet *f, char *err, size_t errlen)
{
	int n = f->inv->max_concurrent;

	f->queue_cap = 4096;
	f->queue = calloc((size_t)f->queue_cap, sizeof(*f->queue));
	f->in_flight = calloc((size_t)n, sizeof(*f->in_flight));
	f->workers = calloc((size_t)n, sizeof(*f->workers));
	if (!f->queue || !f->in_flight || !f->workers) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&f->workers[i], NULL, worker, f)) {
			snprintf(err, errlen, "worker thread: %s", strerror(errno));
			return -EAGAIN;
		}
		f->nworkers++;
	}
	if (pthread_create(&f->engine, NULL, engine, f)) {
		snprintf(err, errlen, "engine thread: %s", strerror(errno));
		return -EAGAIN;
	}
	f->engine_started = true;
	return 0;
}

void fleet_close(struct fleet *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, true);
	pthread_mutex_lock(&f->lock);
	pthread_cond_broadcast(&f->queue_cond);
	pthread_mutex_unlock(&f->lock);
	if (f->engine_started)
		pthread_join(f->engine, NULL);
	for (int i = 0; i < f->nworkers; i++)
		pthread_join(f->workers[i], NULL);
	free(f->workers);
	free(f->in_flight);
	free(f->queue);
	f->ops->close(f->st);
	fleet_inventory_put(f, f->inv);
	pthread_cond_destroy(&f->queue_cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
