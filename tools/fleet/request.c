// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * request.c - what the API and the webhook ask of the orchestrator: a
 * workflow created "pending" (the engine starts it when the budgets
 * allow), a retry or an abort; and the JSON the API shows.  Every change
 * here is one store call; the engine thread alone takes steps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const kinds[] = { "drain", "resume", "maintain", "standby", "reset", NULL };

static bool kind_ok(const char *k)
{
	for (int i = 0; kinds[i]; i++)
		if (!strcmp(k, kinds[i]))
			return true;
	return false;
}

struct busy {
	int64_t id;
};

static int first_active(const struct fleet_wf *w, void *ctx)
{
	((struct busy *)ctx)->id = w->id;
	return 1; /* stop */
}

/* params_data() - the workflow's starting data from the request's params. */
static int params_data(const char *kind, const cJSON *params, char *data, size_t len,
		       char *err, size_t errlen)
{
	cJSON *d = cJSON_CreateObject(), *v;
	char *text;
	int rc = 0;

	if (params && !cJSON_IsObject(params))
		rc = -EINVAL;
	cJSON_ArrayForEach(v, params) {
		if (rc)
			break;
		if (!strcmp(kind, "maintain") &&
		    (!strcmp(v->string, "image") || !strcmp(v->string, "version")) &&
		    cJSON_IsString(v) && strlen(v->valuestring) < 512)
			cJSON_AddStringToObject(d, v->string, v->valuestring);
		else
			rc = -EINVAL;
	}
	if (rc) {
		snprintf(err, errlen, "%s takes %s", kind,
			 strcmp(kind, "maintain") ? "no parameters"
						  : "only \"image\" and \"version\" (strings)");
		cJSON_Delete(d);
		return rc;
	}
	text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	if (!text || strlen(text) >= len) {
		cJSON_free(text);
		return -ENOMEM;
	}
	strcpy(data, text);
	cJSON_free(text);
	return 0;
}

int fleet_request(struct fleet *f, struct fleet_store *st, const char *server, const char *kind,
		  const char *who, const cJSON *params, int64_t *id, char *err, size_t errlen)
{
	struct fleet_inventory *inv = fleet_inventory_get(f);
	const struct fleet_server *srv = fleet_inventory_find(inv, server);
	struct fleet_server_state s;
	struct busy b = { 0 };
	struct fleet_wf w;
	int rc;

	memset(&w, 0, sizeof(w));
	if (!srv) {
		snprintf(err, errlen, "no server '%s' in the inventory", server);
		rc = -ENOENT;
		goto out;
	}
	if (!kind_ok(kind)) {
		snprintf(err, errlen, "unknown workflow '%s'", kind);
		rc = -EINVAL;
		goto out;
	}
	rc = params_data(kind, params, w.data, sizeof(w.data), err, errlen);
	if (rc)
		goto out;
	if (!strcmp(kind, "maintain") && !srv->firmware_image[0] &&
	    !strstr(w.data, "\"image\"")) {
		snprintf(err, errlen, "maintain needs a firmware image: \"image\" in the request "
			 "or firmware_image in the server's inventory");
		rc = -EINVAL;
		goto out;
	}
	rc = f->ops->server_get(st, server, &s, err, errlen);
	if (rc == -ENOENT) {
		memset(&s, 0, sizeof(s));
		snprintf(s.id, sizeof(s.id), "%s", server);
		snprintf(s.state, sizeof(s.state), "ready");
		rc = 0;
	}
	if (rc)
		goto out;
	if (!strcmp(kind, "reset") && (!strcmp(s.state, "maintenance") ||
				       !strcmp(s.state, "draining") || !strcmp(s.state, "drained"))) {
		snprintf(err, errlen, "%s is in %s: never reset by the orchestrator", server,
			 s.state);
		rc = -EPERM;
		goto out;
	}
	rc = f->ops->wf_list(st, server, true, 1, first_active, &b, err, errlen);
	if (rc < 0)
		goto out;
	if (b.id) {
		*id = b.id;
		snprintf(err, errlen, "%s already has workflow %lld in progress", server,
			 (long long)b.id);
		rc = -EBUSY;
		goto out;
	}
	snprintf(w.server, sizeof(w.server), "%s", server);
	snprintf(w.kind, sizeof(w.kind), "%s", kind);
	snprintf(w.status, sizeof(w.status), "pending");
	snprintf(w.requested_by, sizeof(w.requested_by), "%s", who);
	rc = f->ops->wf_create(st, &w, err, errlen);
	if (rc)
		goto out;
	*id = w.id;
	s.workflow = w.id;
	s.updated = w.created;
	rc = f->ops->server_put(st, &s, err, errlen);
out:
	fleet_inventory_put(f, inv);
	return rc;
}

int fleet_emergency(struct fleet *f, struct fleet_store *st, const char *server,
		    const char *alertname, int64_t *id, char *err, size_t errlen)
{
	char who[64];

	snprintf(who, sizeof(who), "alertmanager:%s", alertname);
	return fleet_request(f, st, server, "reset", who, NULL, id, err, errlen);
}

int fleet_wf_retry(struct fleet *f, struct fleet_store *st, int64_t id, const char *who,
		   char *err, size_t errlen)
{
	struct fleet_wf w;
	int rc = f->ops->wf_get(st, id, &w, err, errlen);

	if (rc)
		return rc;
	if (strcmp(w.status, "failed")) {
		snprintf(err, errlen, "workflow %lld is %s: only a failed one is retried",
			 (long long)id, w.status);
		return -EINVAL;
	}
	snprintf(w.status, sizeof(w.status), "running");
	snprintf(w.reason, sizeof(w.reason), "retried by %s", who);
	w.attempt = 0;
	w.wake_at = 0;
	w.updated = fleet_now_ms() / 1000;
	return f->ops->wf_update(st, &w, w.step, "failed", err, errlen);
}

int fleet_wf_abort(struct fleet *f, struct fleet_store *st, int64_t id, const char *who,
		   char *err, size_t errlen)
{
	struct fleet_server_state s;
	struct fleet_wf w;
	char was[16];
	int rc = f->ops->wf_get(st, id, &w, err, errlen);

	if (rc)
		return rc;
	if (!strcmp(w.status, "done") || !strcmp(w.status, "aborted")) {
		snprintf(err, errlen, "workflow %lld has ended (%s)", (long long)id, w.status);
		return -EINVAL;
	}
	snprintf(was, sizeof(was), "%s", w.status);
	snprintf(w.status, sizeof(w.status), "aborted");
	snprintf(w.reason, sizeof(w.reason), "aborted by %s at step %d", who, w.step);
	w.updated = fleet_now_ms() / 1000;
	rc = f->ops->wf_update(st, &w, w.step, was, err, errlen);
	if (rc)
		return rc;
	if (f->ops->server_get(st, w.server, &s, err, errlen))
		return 0;
	/* a workflow stopped part way leaves its server for an operator to judge */
	if (w.step > 0 || strcmp(s.state, "ready")) {
		snprintf(s.state, sizeof(s.state), "needs-attention");
		snprintf(s.reason, sizeof(s.reason), "%s", w.reason);
	}
	s.workflow = 0;
	s.updated = w.updated;
	return f->ops->server_put(st, &s, err, errlen);
}

cJSON *fleet_wf_json(const struct fleet_wf *w)
{
	cJSON *o = cJSON_CreateObject(), *d = cJSON_Parse(w->data);

	cJSON_AddNumberToObject(o, "id", (double)w->id);
	cJSON_AddStringToObject(o, "server", w->server);
	cJSON_AddStringToObject(o, "kind", w->kind);
	cJSON_AddStringToObject(o, "status", w->status);
	cJSON_AddNumberToObject(o, "step", w->step);
	{
		int n;
		const struct step *s = fleet_steps(w->kind, &n);

		cJSON_AddStringToObject(o, "step_name",
					s && w->step < n ? s[w->step].name : "end");
	}
	cJSON_AddNumberToObject(o, "attempt", w->attempt);
	cJSON_AddStringToObject(o, "reason", w->reason);
	cJSON_AddStringToObject(o, "requested_by", w->requested_by);
	cJSON_AddNumberToObject(o, "created", (double)w->created);
	cJSON_AddNumberToObject(o, "updated", (double)w->updated);
	cJSON_AddItemToObject(o, "data", d ? d : cJSON_CreateObject());
	return o;
}

cJSON *fleet_server_json(const struct fleet_server *s, const struct fleet_server_state *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", s->id);
	cJSON_AddStringToObject(o, "exporter", s->exporter);
	cJSON_AddStringToObject(o, "bmc_url", s->bmc_url);
	cJSON_AddStringToObject(o, "rack", s->rack);
	cJSON_AddStringToObject(o, "pool", s->pool);
	cJSON_AddStringToObject(o, "state", st && st->state[0] ? st->state : "ready");
	cJSON_AddStringToObject(o, "reason", st ? st->reason : "");
	if (st && st->workflow)
		cJSON_AddNumberToObject(o, "workflow", (double)st->workflow);
	else
		cJSON_AddNullToObject(o, "workflow");
	cJSON_AddNumberToObject(o, "updated", st ? (double)st->updated : 0);
	return o;
}
