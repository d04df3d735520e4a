/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * internal.h - what the orchestrator's own files share: struct fleet, the
 * workflow step machinery (steps.c), probes (probe.c), hooks (hook.c) and
 * file_sd (filesd.c).  Not for the API (fleet.h is its interface).
 */
#ifndef SOVEREIGN_FLEET_INTERNAL_H
#define SOVEREIGN_FLEET_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "fleet.h"

#define FLEET_ERR 512

struct fleet {
	char conf_path[PATH_MAX];
	pthread_mutex_t lock;             /* inv, in_flight, reset times */
	struct fleet_inventory *inv;      /* current snapshot, one reference held */
	const struct fleet_store_ops *ops; /* every handle of this process uses it */
	struct fleet_store *st;           /* the engine thread's handle */
	pthread_t engine;
	bool engine_started;
	atomic_bool stop;
	atomic_bool leader;
	pthread_t *workers;
	int nworkers;
	/* workflows a worker is running now (never two workers on one) */
	int64_t *in_flight;
	int nin_flight;
	/* workflows ready to run, filled by the engine thread */
	int64_t *queue;
	int nqueue, queue_cap;
	pthread_cond_t queue_cond;
	char last_file_sd[65536];         /* what file_sd was last written with */
};

/* A step's outcome. */
enum step_rc {
	STEP_NEXT, /* done: the next step (or the end) */
	STEP_WAIT, /* not yet: run again at run->wake_at */
	STEP_FAIL, /* failed: run->reason says why; the server needs attention */
	STEP_END,  /* the workflow ends here, successfully (skip the rest) */
};

/* struct step_run - one step of one workflow being taken. */
struct step_run {
	struct fleet *f;
	struct fleet_store *st;
	const struct fleet_inventory *inv;
	const struct fleet_server *srv;
	struct fleet_wf *wf;
	cJSON *data;          /* wf->data parsed; written back by the engine */
	int64_t wake_at;      /* unix ms, for STEP_WAIT */
	char reason[FLEET_REASON_MAX];
};

typedef enum step_rc (*step_fn)(struct step_run *r);

struct step {
	const char *name;
	step_fn fn;
};

/* steps.c: the step list of a workflow kind; NULL for an unknown kind. */
const struct step *fleet_steps(const char *kind, int *n);
/* fleet_kind_out_of_service() - whether @kind takes its server out of service (budget). */
bool fleet_kind_out_of_service(const char *kind);

/* steps.c helpers the engine uses */
int fleet_set_server(struct step_run *r, const char *state, const char *reason);

/* probe.c: the exporter's metrics and Prometheus. */
/* fleet_probe_metric() - sample @name (no labels, or the first series) from the
 * exporter at @hostport.  Return: 0 with *@value; -ENOENT absent; -errno unreachable. */
int fleet_probe_metric(const char *hostport, const char *name, double *value, char *err,
		       size_t errlen);
/* fleet_promql() - the first value of instant query @q at Prometheus @url. */
int fleet_promql(const char *url, const char *q, double *value, char *err, size_t errlen);
/* fleet_url_ok() - GET @url answers 2xx within @timeout_ms (no auth). */
bool fleet_url_ok(const char *url, long timeout_ms);

/* hook.c: run @h for server @id; 0, or -errno / -EIO with @err (exit status, stderr). */
int fleet_hook_run(const struct fleet_hook *h, const char *id, int timeout_s, char *err,
		   size_t errlen);

/* filesd.c: write the Prometheus file_sd targets if they changed. */
int fleet_file_sd_write(struct fleet *f, const struct fleet_inventory *inv,
			struct fleet_store *st, char *err, size_t errlen);

/* now */
int64_t fleet_now_ms(void);

#endif /* SOVEREIGN_FLEET_INTERNAL_H */
