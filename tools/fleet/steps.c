// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * steps.c - the workflows, as lists of steps, and the steps that need no
 * BMC (the BMC ones are in steps_bmc.c).  Every step can be taken again
 * after a crash without harm: marks set a state; hooks are documented to
 * be idempotent (fleet.conf(5)); waits keep their deadline in the
 * workflow's data, so a restart does not extend them.
 *
 *   drain     mark draining, drain hook, wait until inactive, mark drained
 *   resume    undrain hook, mark ready
 *   standby   BMC standby hook, SMI count flat
 *   maintain  mark draining, drain hook, wait until inactive, mark maintenance,
 *             BMC wake, Redfish update service, SimpleUpdate, follow the task,
 *             verify the version, BMC standby, SMI count flat, undrain, ready
 *   reset     confirm the node is down, rate limits, ComputerSystem.Reset, mark
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "steps_bmc.h"

#define ERRLEN 512

int fleet_set_server(struct step_run *r, const char *state, const char *reason)
{
	struct fleet_server_state s;
	char err[ERRLEN];
	int rc = r->f->ops->server_get(r->st, r->wf->server, &s, err, sizeof(err));

	if (rc == -ENOENT) {
		memset(&s, 0, sizeof(s));
		snprintf(s.id, sizeof(s.id), "%s", r->wf->server);
	} else if (rc) {
		snprintf(r->reason, sizeof(r->reason), "store: %s", err);
		return rc;
	}
	snprintf(s.state, sizeof(s.state), "%s", state);
	snprintf(s.reason, sizeof(s.reason), "%s", reason ? reason : "");
	s.workflow = strcmp(r->wf->status, "running") ? 0 : r->wf->id;
	s.updated = fleet_now_ms() / 1000;
	rc = r->f->ops->server_put(r->st, &s, err, sizeof(err));
	if (rc)
		snprintf(r->reason, sizeof(r->reason), "store: %s", err);
	return rc;
}

static enum step_rc mark(struct step_run *r, const char *state)
{
	return fleet_set_server(r, state, NULL) ? STEP_WAIT : STEP_NEXT;
}

static enum step_rc mark_draining(struct step_run *r)
{
	return mark(r, "draining");
}

static enum step_rc mark_drained(struct step_run *r)
{
	return mark(r, "drained");
}

static enum step_rc mark_maintenance(struct step_run *r)
{
	return mark(r, "maintenance");
}

static enum step_rc mark_ready(struct step_run *r)
{
	return mark(r, "ready");
}

/* wait_again() - STEP_WAIT in @ms (the engine's tick at least). */
enum step_rc fleet_wait(struct step_run *r, int64_t ms)
{
	r->wake_at = fleet_now_ms() + ms;
	return STEP_WAIT;
}

/*
 * fleet_deadline() - the deadline of this step, set on its first attempt
 * (data "<key>") and kept across restarts.  Return: ms left, <= 0 past it.
 */
int64_t fleet_deadline(struct step_run *r, const char *key, int seconds)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(r->data, key);

	if (!cJSON_IsNumber(d))
		d = cJSON_AddNumberToObject(r->data, key,
					    (double)(fleet_now_ms() + (int64_t)seconds * 1000));
	return (int64_t)d->valuedouble - fleet_now_ms();
}

/* fleet_data_clear() - drop @key from the data (a step done, its scratch gone). */
void fleet_data_clear(struct step_run *r, const char *key)
{
	cJSON_DeleteItemFromObjectCaseSensitive(r->data, key);
}

static enum step_rc hook(struct step_run *r, const struct fleet_hook *h, const char *what)
{
	char err[ERRLEN];
	int rc;

	if (!h->argv[0] && !h->url[0]) {
		cJSON_DeleteItemFromObjectCaseSensitive(r->data, what);
		cJSON_AddStringToObject(r->data, what, "no hook configured");
		return STEP_NEXT;
	}
	rc = fleet_hook_run(h, r->srv->id, 120, err, sizeof(err));
	if (rc) {
		/* a hook is retried a few times: a load balancer may be briefly busy */
		if (r->wf->attempt < 3)
			return fleet_wait(r, 2000);
		snprintf(r->reason, sizeof(r->reason), "%s hook: %s", what, err);
		return STEP_FAIL;
	}
	return STEP_NEXT;
}

static enum step_rc drain_hook(struct step_run *r)
{
	return hook(r, &r->srv->drain, "drain");
}

static enum step_rc undrain_hook(struct step_run *r)
{
	return hook(r, &r->srv->undrain, "undrain");
}

enum step_rc fleet_bmc_wake_hook(struct step_run *r)
{
	return hook(r, &r->srv->bmc_wake, "bmc_wake");
}

enum step_rc fleet_bmc_standby_hook(struct step_run *r)
{
	return hook(r, &r->srv->bmc_standby, "bmc_standby");
}

/* wait_inactive - no work in flight: the PromQL query or the exporter's gauge is 0. */
static enum step_rc wait_inactive(struct step_run *r)
{
	int64_t left = fleet_deadline(r, "inactive_deadline_ms", r->inv->drain_timeout_s);
	char err[ERRLEN];
	double v = NAN;
	int rc;

	if (r->srv->inactive_query[0] && r->inv->prometheus_url[0])
		rc = fleet_promql(r->inv->prometheus_url, r->srv->inactive_query, &v, err,
				  sizeof(err));
	else
		rc = fleet_probe_metric(r->srv->exporter, "sovereign_inference_active", &v, err,
					sizeof(err));
	if (!rc && v == 0) {
		fleet_data_clear(r, "inactive_deadline_ms");
		return STEP_NEXT;
	}
	if (left <= 0) {
		snprintf(r->reason, sizeof(r->reason), "%s after %d s: %s",
			 rc ? "could not tell whether work is in flight" : "still active",
			 r->inv->drain_timeout_s, rc ? err : "inference active");
		return STEP_FAIL;
	}
	return fleet_wait(r, r->inv->poll_ms < 1000 ? r->inv->poll_ms : 1000);
}

/*
 * smi_flat - the node's SMI count (its exporter's sovereign_smi_total) does
 * not rise for smi_flat_s: the BMC is silent again.  A node whose CPU cannot
 * count SMIs passes with a note.
 */
static enum step_rc smi_flat(struct step_run *r)
{
	cJSON *first = cJSON_GetObjectItemCaseSensitive(r->data, "smi_first");
	int64_t left = fleet_deadline(r, "smi_deadline_ms", r->inv->smi_flat_s);
	char err[ERRLEN];
	double v;
	int rc = fleet_probe_metric(r->srv->exporter, "sovereign_smi_total", &v, err, sizeof(err));

	if (rc == -ENOENT) {
		cJSON_AddStringToObject(r->data, "smi", "not countable on this node's CPU");
		fleet_data_clear(r, "smi_deadline_ms");
		return STEP_NEXT;
	}
	if (rc) {
		if (r->wf->attempt < 30)
			return fleet_wait(r, 1000);
		snprintf(r->reason, sizeof(r->reason), "exporter %s: %s", r->srv->exporter, err);
		return STEP_FAIL;
	}
	if (!cJSON_IsNumber(first)) {
		cJSON_AddNumberToObject(r->data, "smi_first", v);
		return left > 0 ? fleet_wait(r, left) : STEP_WAIT;
	}
	if (v > first->valuedouble) {
		snprintf(r->reason, sizeof(r->reason),
			 "SMI count rose by %.0f in %d s: the BMC is not silent", v - first->valuedouble,
			 r->inv->smi_flat_s);
		fleet_data_clear(r, "smi_first");
		fleet_data_clear(r, "smi_deadline_ms");
		return STEP_FAIL;
	}
	if (left > 0)
		return fleet_wait(r, left);
	fleet_data_clear(r, "smi_first");
	fleet_data_clear(r, "smi_deadline_ms");
	cJSON_DeleteItemFromObjectCaseSensitive(r->data, "smi");
	cJSON_AddStringToObject(r->data, "smi", "flat");
	return STEP_NEXT;
}

static const struct step drain[] = {
	{ "mark-draining", mark_draining },
	{ "drain-hook", drain_hook },
	{ "wait-inactive", wait_inactive },
	{ "mark-drained", mark_drained },
};

static const struct step resume[] = {
	{ "undrain-hook", undrain_hook },
	{ "mark-ready", mark_ready },
};

static const struct step standby[] = {
	{ "bmc-standby", fleet_bmc_standby_hook },
	{ "smi-flat", smi_flat },
};

static const struct step maintain[] = {
	{ "mark-draining", mark_draining },
	{ "drain-hook", drain_hook },
	{ "wait-inactive", wait_inactive },
	{ "mark-maintenance", mark_maintenance },
	{ "bmc-wake", fleet_bmc_wake_hook },
	{ "update-service", fleet_step_update_service },
	{ "simple-update", fleet_step_simple_update },
	{ "follow-task", fleet_step_follow_task },
	{ "verify-version", fleet_step_verify_version },
	{ "bmc-standby", fleet_bmc_standby_hook },
	{ "smi-flat", smi_flat },
	{ "undrain-hook", undrain_hook },
	{ "mark-ready", mark_ready },
};

static const struct step reset[] = {
	{ "confirm-down", fleet_step_confirm_down },
	{ "rate-limit", fleet_step_reset_limits },
	{ "system-reset", fleet_step_system_reset },
	{ "mark-ready", mark_ready },
};

#define KIND(k, out) { #k, k, sizeof(k) / sizeof(k[0]), out }

static const struct {
	const char *kind;
	const struct step *steps;
	int n;
	bool out_of_service;
} kinds[] = {
	KIND(drain, true), KIND(resume, false), KIND(standby, false), KIND(maintain, true),
	KIND(reset, false),
};

const struct step *fleet_steps(const char *kind, int *n)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind)) {
			*n = kinds[i].n;
			return kinds[i].steps;
		}
	*n = 0;
	return NULL;
}

bool fleet_kind_out_of_service(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind))
			return kinds[i].out_of_service;
	return false;
}
