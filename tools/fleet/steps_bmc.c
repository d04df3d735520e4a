// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * steps_bmc.c - the steps that talk to a server's BMC over Redfish
 * (tools/redfish): the firmware update of maintain, and the emergency
 * reset.  Nothing here hard-codes a resource ID or an action target: every
 * one is discovered.
 *
 * One Redfish session per workflow: opened by its first Redfish step, kept
 * in memory between steps (the cache below; a workflow is never run by two
 * workers at once), its URI written in the workflow's data, and deleted
 * when the Redfish part ends, well or not.  A process killed meanwhile
 * leaves the URI in the store: the next process deletes that session
 * before opening its own (BMCs allow few sessions).  A BMC at its session
 * limit gets basic auth (rf_open's RF_AUTH_AUTO).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "redfish.h"
#include "steps_bmc.h"

#define ERRLEN 512
#define NCACHE 256

static struct {
	int64_t wf;
	struct rf_client *c;
} cache[NCACHE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void opts_of(const struct fleet_server *s, const char *password, struct rf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->base_url = s->bmc_url;
	o->user = s->bmc_user;
	o->password = password;
	o->ca_file = s->bmc_ca_file[0] ? s->bmc_ca_file : NULL;
	o->insecure = s->bmc_insecure;
	o->auth = RF_AUTH_AUTO;
	o->connect_timeout_ms = 3000;
	o->timeout_ms = 20000;
}

static const char *data_str(struct step_run *r, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(r->data, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void data_set_str(struct step_run *r, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(r->data, key);
	cJSON_AddStringToObject(r->data, key, value);
}

/* save() - write the workflow's data now, before a side effect (write-ahead). */
static int save(struct step_run *r)
{
	char err[ERRLEN], *text = cJSON_PrintUnformatted(r->data);
	int rc;

	if (!text || strlen(text) >= sizeof(r->wf->data)) {
		cJSON_free(text);
		snprintf(r->reason, sizeof(r->reason), "workflow data too large");
		return -E2BIG;
	}
	strcpy(r->wf->data, text);
	cJSON_free(text);
	r->wf->updated = fleet_now_ms() / 1000;
	rc = r->f->ops->wf_update(r->st, r->wf, r->wf->step, "running", err, sizeof(err));
	if (rc)
		snprintf(r->reason, sizeof(r->reason), "store: %s", err);
	return rc;
}

/* client() - this workflow's Redfish client: cached, or a new session (after
 * deleting one a dead process left).  NULL with r->reason on failure. */
static struct rf_client *client(struct step_run *r)
{
	const char *left = data_str(r, "rf_session");
	char pw[RF_PASSWORD_MAX];
	struct rf_client *c = NULL;
	struct rf_opts o;
	struct rf_error e;
	int i, free_slot = -1;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < NCACHE; i++) {
		if (cache[i].wf == r->wf->id)
			c = cache[i].c;
		if (!cache[i].wf && free_slot < 0)
			free_slot = i;
	}
	pthread_mutex_unlock(&cache_lock);
	if (c)
		return c;
	if (rf_password_from_file(r->srv->credentials, pw, &e)) {
		snprintf(r->reason, sizeof(r->reason), "%s", e.msg);
		return NULL;
	}
	opts_of(r->srv, pw, &o);
	if (left && left[0] && rf_session_delete(&o, left, &e))
		sd_journal_send("MESSAGE=%s: leftover Redfish session %s not deleted: %s",
				r->srv->id, left, e.msg, "PRIORITY=%d", LOG_WARNING,
				"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
	if (rf_open(&o, &c, &e)) {
		explicit_bzero(pw, sizeof(pw));
		snprintf(r->reason, sizeof(r->reason), "Redfish %s: %s", r->srv->bmc_url, e.msg);
		return NULL;
	}
	explicit_bzero(pw, sizeof(pw));
	data_set_str(r, "rf_session", rf_session_uri(c));
	pthread_mutex_lock(&cache_lock);
	if (free_slot >= 0 && !cache[free_slot].wf) {
		cache[free_slot].wf = r->wf->id;
		cache[free_slot].c = c;
	} else {
		free_slot = -1;
	}
	pthread_mutex_unlock(&cache_lock);
	if (free_slot < 0) {
		rf_close(c, NULL);
		snprintf(r->reason, sizeof(r->reason), "more than %d Redfish workflows at once",
			 NCACHE);
		return NULL;
	}
	/* the session's URI on disk before it is used: a crash leaves it findable */
	if (save(r)) {
		return NULL;
	}
	return c;
}

/* client_close() - end this workflow's session (DELETE), forget it. */
static void client_close(struct step_run *r)
{
	struct rf_client *c = NULL;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < NCACHE; i++)
		if (cache[i].wf == r->wf->id) {
			c = cache[i].c;
			cache[i].wf = 0;
			cache[i].c = NULL;
		}
	pthread_mutex_unlock(&cache_lock);
	if (c)
		rf_close(c, NULL);
	fleet_data_clear(r, "rf_session");
}

/* client_drop() - forget a client whose BMC rebooted (its session died with it). */
static void client_drop(struct step_run *r)
{
	struct rf_client *c = NULL;

	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < NCACHE; i++)
		if (cache[i].wf == r->wf->id) {
			c = cache[i].c;
			cache[i].wf = 0;
		}
	pthread_mutex_unlock(&cache_lock);
	/* closing tries a DELETE that fails fast on a dead BMC: bounded */
	if (c)
		rf_close(c, NULL);
	fleet_data_clear(r, "rf_session");
}

static enum step_rc __attribute__((format(printf, 2, 3)))
fail(struct step_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	client_close(r);
	return STEP_FAIL;
}

static bool unreachable(int rc)
{
	return rc == -ECONNREFUSED || rc == -EHOSTUNREACH || rc == -ETIMEDOUT;
}

/* ---- maintain: the firmware update ---------------------------------------- */

enum step_rc fleet_step_update_service(struct step_run *r)
{
	struct rf_client *c;
	struct rf_update u;
	struct rf_manager m;
	struct rf_error e;
	char version[RF_VERSION_MAX];
	int rc;

	if (!r->srv->bmc_url[0])
		return fail(r, "%s", "no bmc_url in the inventory: cannot update its firmware");
	c = client(r);
	if (!c) {
		/* the BMC may still be waking: retry for a while */
		if (r->wf->attempt < 30)
			return fleet_wait(r, 2000);
		return STEP_FAIL;
	}
	rc = rf_update_discover(c, &u, &e);
	if (!rc)
		rc = rf_discover_manager(c, &m, &e);
	if (!rc)
		rc = rf_firmware_version(c, &u, m.uri, version, &e);
	if (rc)
		return fail(r, "discovering the update service: %s", e.msg);
	data_set_str(r, "update_target", u.simple.target);
	data_set_str(r, "manager", m.uri);
	if (!data_str(r, "version_before"))
		data_set_str(r, "version_before", version);
	return STEP_NEXT;
}

enum step_rc fleet_step_simple_update(struct step_run *r)
{
	const char *image = data_str(r, "image"), *manager = data_str(r, "manager");
	const char *targets[2] = { manager, NULL };
	struct rf_client *c;
	struct rf_update u;
	struct rf_task t;
	struct rf_error e;
	char version[RF_VERSION_MAX];
	int rc;

	if (data_str(r, "task_monitor"))
		return STEP_NEXT; /* posted before a restart: follow it */
	if (!image)
		image = r->srv->firmware_image;
	c = client(r);
	if (!c)
		return r->wf->attempt < 30 ? fleet_wait(r, 2000) : STEP_FAIL;
	rc = rf_update_discover(c, &u, &e);
	if (rc)
		return fail(r, "update service: %s", e.msg);
	if (data_str(r, "update_posted")) {
		/*
		 * A restart between the POST and recording its task: never post
		 * twice.  Changed version: it happened; else a person decides.
		 */
		if (!rf_firmware_version(c, &u, manager, version, &e) &&
		    strcmp(version, data_str(r, "version_before"))) {
			data_set_str(r, "task", "posted before a restart; the version changed");
			return STEP_NEXT;
		}
		return fail(r, "%s", "an update was sent before a restart but its task was not "
			    "recorded, and the version has not changed: check the BMC, then "
			    "retry or abort");
	}
	data_set_str(r, "update_posted", image);
	if (save(r))
		return STEP_WAIT;
	rc = rf_simple_update(c, &u, image, manager ? targets : NULL, &t, &e);
	if (rc)
		return fail(r, "SimpleUpdate: %s", e.msg);
	data_set_str(r, "task_monitor", t.monitor);
	cJSON_DeleteItemFromObjectCaseSensitive(r->data, "retry_after_s");
	cJSON_AddNumberToObject(r->data, "retry_after_s", (double)t.retry_after_s);
	return STEP_NEXT;
}

enum step_rc fleet_step_follow_task(struct step_run *r)
{
	const char *monitor = data_str(r, "task_monitor");
	int64_t left = fleet_deadline(r, "task_deadline_ms", r->inv->task_timeout_s);
	cJSON *seen = cJSON_GetObjectItemCaseSensitive(r->data, "task_seen_running");
	cJSON *ra = cJSON_GetObjectItemCaseSensitive(r->data, "retry_after_s");
	struct rf_client *c;
	struct rf_task t;
	struct rf_error e;
	int rc;

	if (!monitor) {
		fleet_data_clear(r, "task_deadline_ms");
		return STEP_NEXT; /* nothing to follow: verify the version */
	}
	if (left <= 0)
		return fail(r, "the update task did not end within %s",
			    "task_timeout_s (a stalled task may need the BMC reset by a person)");
	c = client(r);
	if (!c) {
		/* the BMC rebooting during the update: refused for a while */
		return fleet_wait(r, 2000);
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.monitor, sizeof(t.monitor), "%s", monitor);
	t.seen_running = cJSON_IsTrue(seen);
	t.retry_after_s = cJSON_IsNumber(ra) ? (long)ra->valuedouble : -1;
	t.percent = -1;
	rc = rf_task_poll(c, &t, &e);
	if (t.seen_running && !cJSON_IsTrue(seen)) {
		cJSON_DeleteItemFromObjectCaseSensitive(r->data, "task_seen_running");
		cJSON_AddTrueToObject(r->data, "task_seen_running");
	}
	if (unreachable(rc)) {
		client_drop(r);
		data_set_str(r, "task", "the BMC is rebooting");
		return fleet_wait(r, 2000);
	}
	if (rc == -ENOENT) {
		data_set_str(r, "task", t.seen_running ? "gone after running: verifying the version"
						       : "gone: verifying the version");
		fleet_data_clear(r, "task_deadline_ms");
		return STEP_NEXT;
	}
	if (rc)
		return fail(r, "following the task: %s", e.msg);
	if (!t.done) {
		char progress[96];

		snprintf(progress, sizeof(progress), "%s %d%%", t.state[0] ? t.state : "running",
			 t.percent);
		data_set_str(r, "task", progress);
		return fleet_wait(r, 1000L * (t.retry_after_s > 0 ? t.retry_after_s : 1));
	}
	if (t.state[0] && strcmp(t.state, "Completed")) {
		char why[FLEET_REASON_MAX];

		snprintf(why, sizeof(why), "update task %s (%s): %s", t.state,
			 t.status[0] ? t.status : "no status", t.message[0] ? t.message : "-");
		return fail(r, "%s", why);
	}
	data_set_str(r, "task", t.state[0] ? t.state : "ended");
	fleet_data_clear(r, "task_deadline_ms");
	return STEP_NEXT;
}

enum step_rc fleet_step_verify_version(struct step_run *r)
{
	const char *want = data_str(r, "version"), *before = data_str(r, "version_before");
	int64_t left = fleet_deadline(r, "verify_deadline_ms", r->inv->bmc_reboot_timeout_s);
	char version[RF_VERSION_MAX], why[FLEET_REASON_MAX];
	struct rf_client *c;
	struct rf_update u;
	struct rf_error e;
	int rc;

	if (!want && r->srv->firmware_version[0])
		want = r->srv->firmware_version;
	c = client(r);
	if (!c)
		return left > 0 ? fleet_wait(r, 2000) : STEP_FAIL;
	rc = rf_update_discover(c, &u, &e);
	if (!rc)
		rc = rf_firmware_version(c, &u, data_str(r, "manager"), version, &e);
	if (unreachable(rc) && left > 0) {
		client_drop(r);
		return fleet_wait(r, 2000);
	}
	if (rc)
		return fail(r, "reading the firmware version: %s", e.msg);
	if ((want && strcmp(version, want)) || (!want && before && !strcmp(version, before))) {
		snprintf(why, sizeof(why), "firmware version %s after the update, expected %s",
			 version, want ? want : "a change");
		return fail(r, "%s", why);
	}
	data_set_str(r, "version_after", version);
	fleet_data_clear(r, "verify_deadline_ms");
	client_close(r);
	return STEP_NEXT;
}

/* ---- reset: the emergency ------------------------------------------------- */

static void audit(struct step_run *r, const char *what, const char *outcome)
{
	struct fleet_audit a = { .at = fleet_now_ms() / 1000 };
	char err[ERRLEN];

	snprintf(a.who, sizeof(a.who), "engine");
	snprintf(a.what, sizeof(a.what), "%s %s (workflow %lld, %s)", what, r->srv->id,
		 (long long)r->wf->id, r->wf->requested_by);
	snprintf(a.outcome, sizeof(a.outcome), "%s", outcome);
	r->f->ops->audit_add(r->st, &a, err, sizeof(err));
	sd_journal_send("MESSAGE=%s: %s", a.what, outcome, "PRIORITY=%d", LOG_NOTICE,
			"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
}

enum step_rc fleet_step_confirm_down(struct step_run *r)
{
	char url[320];
	struct rf_opts o;
	struct rf_error e;

	snprintf(url, sizeof(url), "http://%s/metrics", r->srv->exporter);
	if (fleet_url_ok(url, 3000)) {
		data_set_str(r, "confirmed", "no: its exporter answers");
		audit(r, "reset not confirmed", "exporter answers: nothing done");
		return STEP_END;
	}
	if (!r->srv->bmc_url[0]) {
		snprintf(r->reason, sizeof(r->reason), "no bmc_url: cannot reset it");
		return STEP_FAIL;
	}
	opts_of(r->srv, "", &o);
	if (rf_service_wait(&o, 5000, &e)) {
		snprintf(r->reason, sizeof(r->reason),
			 "its exporter and its BMC are both unreachable (power or network?): "
			 "%s", e.msg);
		return STEP_FAIL;
	}
	data_set_str(r, "confirmed", "yes: exporter unreachable, BMC answers");
	return STEP_NEXT;
}

struct reset_count {
	int64_t self, since_ms;
	int in_progress, last_hour;
};

static int count_resets(const struct fleet_wf *w, void *ctx)
{
	struct reset_count *c = ctx;
	cJSON *d, *at;

	if (w->id == c->self || strcmp(w->kind, "reset"))
		return 0;
	if (!strcmp(w->status, "running") && w->step >= 2)
		c->in_progress++;
	d = cJSON_Parse(w->data);
	at = cJSON_GetObjectItemCaseSensitive(d, "reset_at_ms");
	if (cJSON_IsNumber(at) && at->valuedouble >= (double)c->since_ms)
		c->last_hour++;
	cJSON_Delete(d);
	return 0;
}

enum step_rc fleet_step_reset_limits(struct step_run *r)
{
	struct reset_count c = { r->wf->id, fleet_now_ms() - 3600 * 1000, 0, 0 };
	struct fleet_server_state s;
	char err[ERRLEN];

	if (!r->f->ops->server_get(r->st, r->srv->id, &s, err, sizeof(err)) &&
	    (!strcmp(s.state, "maintenance") || !strcmp(s.state, "draining") ||
	     !strcmp(s.state, "drained"))) {
		data_set_str(r, "confirmed", "no: in maintenance meanwhile");
		audit(r, "reset refused", "the server is in maintenance");
		return STEP_END;
	}
	if (r->f->ops->wf_list(r->st, NULL, false, 2000, count_resets, &c, err, sizeof(err))) {
		snprintf(r->reason, sizeof(r->reason), "store: %s", err);
		return fleet_wait(r, 5000);
	}
	if (c.in_progress >= r->inv->reset_max_concurrent) {
		data_set_str(r, "waiting", "other resets in progress (emergency max_concurrent)");
		return fleet_wait(r, 5000);
	}
	if (c.last_hour >= r->inv->reset_per_hour) {
		data_set_str(r, "waiting", "reset rate limit (emergency per_hour) reached");
		return fleet_wait(r, 60000);
	}
	fleet_data_clear(r, "waiting");
	return STEP_NEXT;
}

/* split_types() - reset_types "A,B" into @v (NULL-terminated) pointing into @buf. */
static void split_types(const char *types, char *buf, size_t len, const char **v, int max)
{
	char *save = NULL, *w;
	int n = 0;

	snprintf(buf, len, "%s", types);
	for (w = strtok_r(buf, ", ", &save); w && n < max - 1; w = strtok_r(NULL, ", ", &save))
		v[n++] = w;
	v[n] = NULL;
}

enum step_rc fleet_step_system_reset(struct step_run *r)
{
	const char *types[8];
	char buf[128], used[RF_VALUE_MAX] = "", sys[RF_URI_MAX], what[200];
	struct rf_client *c;
	struct rf_error e;
	int rc;

	if (cJSON_GetObjectItemCaseSensitive(r->data, "reset_at_ms"))
		return STEP_NEXT; /* done before a restart: never twice */
	split_types(r->inv->reset_types, buf, sizeof(buf), types, 8);
	if (r->inv->reset_dry_run) {
		snprintf(what, sizeof(what), "dry run: would send ComputerSystem.Reset (%s)",
			 r->inv->reset_types);
		data_set_str(r, "dry_run", what);
		audit(r, "reset (dry run)", what);
		return STEP_END;
	}
	c = client(r);
	if (!c)
		return r->wf->attempt < 3 ? fleet_wait(r, 2000) : STEP_FAIL;
	cJSON_AddNumberToObject(r->data, "reset_at_ms", (double)fleet_now_ms());
	if (save(r)) {
		client_close(r);
		return STEP_WAIT;
	}
	rc = rf_discover_system(c, sys, &e);
	if (!rc)
		rc = rf_system_reset(c, sys, types, used, &e);
	client_close(r);
	if (rc) {
		fleet_data_clear(r, "reset_at_ms"); /* not sent: a retry may send it */
		audit(r, "ComputerSystem.Reset", e.msg);
		snprintf(r->reason, sizeof(r->reason), "ComputerSystem.Reset: %s", e.msg);
		return STEP_FAIL;
	}
	data_set_str(r, "reset_type", used);
	snprintf(what, sizeof(what), "sent %s to %s", used, sys);
	audit(r, "ComputerSystem.Reset", what);
	return STEP_NEXT;
}
