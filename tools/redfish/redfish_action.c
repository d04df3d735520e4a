/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish_action.c - actions read from the resources that offer them:
 * ComputerSystem.Reset and Manager.Reset with a value the resource allows,
 * UpdateService.SimpleUpdate and the Task it starts (202 + Location, a Task
 * body, Retry-After, 404 and reboots along the way), the firmware Version in
 * FirmwareInventory.  The JSON parsing is in redfish_action_json.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "redfish.h"

int rf_discover_system(struct rf_client *c, char *uri, struct rf_error *err)
{
	struct rf_error why = { 0 };
	char coll[RF_URI_MAX];
	cJSON *j;
	int ret;

	uri[0] = '\0';
	ret = rf_get_link(c, "/redfish/v1/", "Systems", coll, err);
	if (ret)
		return ret;
	ret = rf_get(c, coll, &j, NULL, err);
	if (ret)
		return ret;
	ret = rf_json_first_member(j, uri, &why);
	cJSON_Delete(j);
	if (ret)
		rf_error_set(err, ret, 0, "GET %s: %s", coll, why.msg);
	return ret;
}

int rf_action_find(struct rf_client *c, const char *resource_uri, const char *action,
		   const char *param, struct rf_action *a, struct rf_error *err)
{
	struct rf_error why = { 0 };
	cJSON *j;
	int ret;

	memset(a, 0, sizeof(*a));
	a->nallow = -1;
	ret = rf_get(c, resource_uri, &j, NULL, err);
	if (ret)
		return ret;
	ret = rf_json_action(j, action, param, a, &why);
	cJSON_Delete(j);
	if (ret)
		return rf_error_set(err, ret, 0, "GET %s: %s", resource_uri, why.msg);
	if (!param || a->nallow >= 0 || !a->info_uri[0])
		return 0;
	/* The values are not in the action: its ActionInfo may list them. */
	ret = rf_get(c, a->info_uri, &j, NULL, err);
	if (ret)
		return ret;
	ret = rf_json_action_info(j, param, a, &why);
	cJSON_Delete(j);
	if (ret == -ENOENT)
		return 0;	/* the parameter is not described: any value */
	if (ret)
		rf_error_set(err, ret, 0, "GET %s: %s", a->info_uri, why.msg);
	return ret;
}

bool rf_action_allows(const struct rf_action *a, const char *value)
{
	if (a->nallow < 0)
		return true;
	for (int i = 0; i < a->nallow; i++)
		if (strcmp(a->allow[i], value) == 0)
			return true;
	return false;
}

/* allowed_list - "A, B, C" of @a into @buf (for messages). */
static const char *allowed_list(const struct rf_action *a, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	if (a->nallow == 0)
		snprintf(buf, cap, "nothing");
	for (int i = 0; i < a->nallow && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", a->allow[i]);
	return buf;
}

/* post_action - POST {param: value} to a->target; 0 on a 2xx answer. */
static int post_action(struct rf_client *c, const struct rf_action *a, const char *param,
		       const char *value, struct rf_error *err)
{
	struct rf_answer ans;
	cJSON *body = cJSON_CreateObject();
	int ret;

	if (!body || !cJSON_AddStringToObject(body, param, value)) {
		cJSON_Delete(body);
		return rf_error_set(err, -ENOMEM, 0, "POST %s: out of memory", a->target);
	}
	ret = rf_exchange(c, "POST", a->target, body, &ans, err);
	cJSON_Delete(body);
	if (ret)
		return ret;
	ret = rf_answer_check(&ans, "POST", a->target, err);
	rf_answer_free(&ans);
	return ret;
}

/* reset - the shared body of the two resets. */
static int reset(struct rf_client *c, const char *uri, const char *action,
		 const char *const *preferred, char *used, struct rf_error *err)
{
	struct rf_action a;
	const char *pick = NULL;
	char list[RF_ALLOW_MAX * RF_VALUE_MAX];
	int ret;

	if (used)
		used[0] = '\0';
	if (!preferred || !preferred[0])
		return rf_error_set(err, -EINVAL, 0, "%s: no ResetType given", action);
	ret = rf_action_find(c, uri, action, "ResetType", &a, err);
	if (ret)
		return ret;
	for (const char *const *p = preferred; *p && !pick; p++)
		if (rf_action_allows(&a, *p))
			pick = *p;
	if (!pick) {
		char want[RF_ALLOW_MAX * RF_VALUE_MAX];
		size_t n = 0;

		want[0] = '\0';
		for (const char *const *p = preferred; *p && n < sizeof(want); p++)
			n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s",
					      p == preferred ? "" : ", ", *p);
		return rf_error_set(err, -EOPNOTSUPP, 0,
				    "%s %s: none of %s is allowed; the resource allows %s", uri,
				    action, want, allowed_list(&a, list, sizeof(list)));
	}
	if (strlen(pick) >= RF_VALUE_MAX)
		return rf_error_set(err, -E2BIG, 0, "%s: ResetType too long", action);
	ret = post_action(c, &a, "ResetType", pick, err);
	if (ret == 0 && used)
		strcpy(used, pick);
	return ret;
}

int rf_system_reset(struct rf_client *c, const char *system_uri, const char *const *preferred,
		    char *used, struct rf_error *err)
{
	return reset(c, system_uri, "#ComputerSystem.Reset", preferred, used, err);
}

int rf_manager_reset(struct rf_client *c, const char *manager_uri, const char *const *preferred,
		     char *used, struct rf_error *err)
{
	return reset(c, manager_uri, "#Manager.Reset", preferred, used, err);
}

int rf_update_discover(struct rf_client *c, struct rf_update *u, struct rf_error *err)
{
	struct rf_error why = { 0 };
	cJSON *j;
	int ret;

	memset(u, 0, sizeof(*u));
	ret = rf_get_link(c, "/redfish/v1/", "UpdateService", u->uri, err);
	if (ret)
		return ret;
	ret = rf_get(c, u->uri, &j, NULL, err);
	if (ret)
		return ret;
	ret = rf_json_link(j, "FirmwareInventory", u->inventory_uri, &why);
	cJSON_Delete(j);
	if (ret)
		return rf_error_set(err, ret, 0, "GET %s: %s", u->uri, why.msg);
	return rf_action_find(c, u->uri, "#UpdateService.SimpleUpdate", "TransferProtocol",
			      &u->simple, err);
}

/* task_reset - a fresh task: nothing known yet. */
static void task_reset(struct rf_task *t)
{
	memset(t, 0, sizeof(*t));
	t->retry_after_s = -1;
	t->percent = -1;
}

/* is_task_body - a 2xx body that names a Task we can poll. */
static bool is_task_body(const cJSON *body, struct rf_task *t)
{
	struct rf_task probe;

	task_reset(&probe);
	if (!body || rf_json_task(body, &probe, NULL) != 0 || !probe.task_uri[0])
		return false;
	memcpy(t->state, probe.state, sizeof(t->state));
	memcpy(t->status, probe.status, sizeof(t->status));
	memcpy(t->message, probe.message, sizeof(t->message));
	memcpy(t->task_uri, probe.task_uri, sizeof(t->task_uri));
	t->percent = probe.percent;
	return true;
}

int rf_simple_update(struct rf_client *c, const struct rf_update *u, const char *image_uri,
		     const char *const *targets, struct rf_task *t, struct rf_error *err)
{
	struct rf_answer ans;
	char proto[16] = "";
	const char *colon;
	cJSON *body, *arr;
	int ret;

	task_reset(t);
	if (!u->simple.target[0])
		return rf_error_set(err, -EINVAL, 0, "SimpleUpdate: the UpdateService was not "
				    "discovered");
	if (!image_uri || !image_uri[0])
		return rf_error_set(err, -EINVAL, 0, "SimpleUpdate: no image URI");
	if (strlen(image_uri) >= RF_URI_MAX)
		return rf_error_set(err, -E2BIG, 0, "SimpleUpdate: image URI longer than %d bytes",
				    RF_URI_MAX - 1);
	/* The scheme decides (the schema: TransferProtocol "is ignored if the
	 * URI provided in ImageURI contains a scheme"); older services want it
	 * said as well, so say it when they list it. */
	colon = strstr(image_uri, "://");
	if (colon && (size_t)(colon - image_uri) < sizeof(proto)) {
		for (size_t i = 0; image_uri + i < colon; i++)
			proto[i] = (char)toupper((unsigned char)image_uri[i]);
		proto[colon - image_uri] = '\0';
	}
	if (proto[0] && u->simple.nallow >= 0 && !rf_action_allows(&u->simple, proto)) {
		char list[RF_ALLOW_MAX * RF_VALUE_MAX];

		return rf_error_set(err, -EOPNOTSUPP, 0, "SimpleUpdate: the service takes %s, "
				    "not %s: give the image by another protocol",
				    allowed_list(&u->simple, list, sizeof(list)), proto);
	}

	body = cJSON_CreateObject();
	if (!body || !cJSON_AddStringToObject(body, "ImageURI", image_uri) ||
	    (proto[0] && u->simple.nallow > 0 &&
	     !cJSON_AddStringToObject(body, "TransferProtocol", proto)))
		goto oom;
	if (targets) {
		arr = cJSON_AddArrayToObject(body, "Targets");
		if (!arr)
			goto oom;
		for (const char *const *p = targets; *p; p++) {
			cJSON *s = cJSON_CreateString(*p);

			if (!s || !cJSON_AddItemToArray(arr, s)) {
				cJSON_Delete(s);
				goto oom;
			}
		}
	}
	ret = rf_exchange(c, "POST", u->simple.target, body, &ans, err);
	cJSON_Delete(body);
	if (ret)
		return ret;
	ret = rf_answer_check(&ans, "POST", u->simple.target, err);
	if (ret) {
		rf_answer_free(&ans);
		return ret;
	}
	t->http_status = ans.status;
	t->retry_after_s = ans.retry_after_s;
	is_task_body(ans.body, t);
	if (ans.status == 202 && ans.location[0])
		memcpy(t->monitor, ans.location, sizeof(t->monitor));
	else if (t->task_uri[0])
		memcpy(t->monitor, t->task_uri, sizeof(t->monitor));
	else if (ans.location[0])
		memcpy(t->monitor, ans.location, sizeof(t->monitor));
	rf_answer_free(&ans);
	if (!t->monitor[0])
		return rf_error_set(err, -EPROTO, t->http_status,
				    "POST %s: status %ld, but neither a Location nor a Task to "
				    "follow the update by", u->simple.target, t->http_status);
	return 0;
oom:
	cJSON_Delete(body);
	return rf_error_set(err, -ENOMEM, 0, "SimpleUpdate: out of memory");
}

int rf_task_poll(struct rf_client *c, struct rf_task *t, struct rf_error *err)
{
	struct rf_answer ans;
	int ret;

	if (!t->monitor[0])
		return rf_error_set(err, -EINVAL, 0, "task poll: no task monitor");
	ret = rf_exchange(c, "GET", t->monitor, NULL, &ans, err);
	if (ret)
		return ret;	/* -ECONNREFUSED for refused and reset alike */
	t->http_status = ans.status;
	if (ans.retry_after_s >= 0)
		t->retry_after_s = ans.retry_after_s;
	if (ans.status == 202) {
		/* Running; a monitor may say how far (its body is a Task). */
		if (ans.body)
			rf_json_task(ans.body, t, NULL);
		t->seen_running = true;
		t->done = false;
	} else if (ans.status >= 200 && ans.status < 300) {
		if (ans.body && rf_json_task(ans.body, t, NULL) == 0) {
			t->done = rf_task_terminal(t->state);
			if (!t->done)
				t->seen_running = true;
		} else {
			/* A monitor's final answer: the operation's own
			 * response, not a Task.  Over; outcome by the caller. */
			t->done = true;
		}
	} else {
		ret = rf_answer_check(&ans, "GET", t->monitor, err);
		if (ret == -ENOENT)
			rf_error_set(err, ret, 404, "GET %s: 404: the task is gone%s", t->monitor,
				     t->seen_running ? " after it was seen running: finished, "
				     "outcome unknown (check the firmware version)" : "");
	}
	rf_answer_free(&ans);
	return ret;
}

/* last_segment - "/a/b/BMC" -> "BMC" (trailing slashes ignored), into @id. */
static void last_segment(const char *uri, char *id, size_t cap)
{
	size_t n = strlen(uri), b;

	while (n > 1 && uri[n - 1] == '/')
		n--;
	b = n;
	while (b > 0 && uri[b - 1] != '/')
		b--;
	snprintf(id, cap, "%.*s", (int)(n - b), uri + b);
}

/* item_version - the Version of a SoftwareInventory body. */
static int item_version(const cJSON *item, const char *uri, char *version,
			struct rf_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "Version");

	if (!cJSON_IsString(v) || !v->valuestring)
		return rf_error_set(err, -ENOENT, 0, "%s has no Version", uri);
	if (strlen(v->valuestring) >= RF_VERSION_MAX)
		return rf_error_set(err, -E2BIG, 0, "%s: Version longer than %d bytes", uri,
				    RF_VERSION_MAX - 1);
	strcpy(version, v->valuestring);
	return 0;
}

int rf_firmware_version(struct rf_client *c, const struct rf_update *u, const char *uri,
			char *version, struct rf_error *err)
{
	char id[RF_URI_MAX], by_id[RF_URI_MAX] = "", by_bmc[RF_URI_MAX] = "";
	size_t ni = strlen(u->inventory_uri);
	const cJSON *m, *members;
	cJSON *coll = NULL, *j = NULL;
	int ret;

	version[0] = '\0';
	if (!u->inventory_uri[0])
		return rf_error_set(err, -EINVAL, 0, "no FirmwareInventory discovered");
	/* An inventory member itself. */
	if (strncmp(uri, u->inventory_uri, ni) == 0 && uri[ni] == '/' && uri[ni + 1]) {
		ret = rf_get(c, uri, &j, NULL, err);
		if (ret)
			return ret;
		ret = item_version(j, uri, version, err);
		cJSON_Delete(j);
		return ret;
	}
	/* The resource's Id, else its last path segment. */
	last_segment(uri, id, sizeof(id));
	if (rf_get(c, uri, &j, NULL, NULL) == 0) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Id");

		if (cJSON_IsString(v) && v->valuestring && strlen(v->valuestring) < sizeof(id))
			strcpy(id, v->valuestring);
		cJSON_Delete(j);
		j = NULL;
	}
	ret = rf_get(c, u->inventory_uri, &coll, NULL, err);
	if (ret)
		return ret;
	members = cJSON_GetObjectItemCaseSensitive(coll, "Members");
	cJSON_ArrayForEach(m, members) {
		const cJSON *mid = cJSON_GetObjectItemCaseSensitive(m, "@odata.id");
		char muri[RF_URI_MAX];
		const cJSON *v;

		if (!cJSON_IsString(mid) || !mid->valuestring || mid->valuestring[0] != '/' ||
		    strlen(mid->valuestring) >= sizeof(muri))
			continue;
		strcpy(muri, mid->valuestring);
		if (rf_get(c, muri, &j, NULL, NULL) != 0)
			continue;	/* one unreadable member does not hide the rest */
		if (rf_json_related(j, uri)) {
			ret = item_version(j, muri, version, err);
			cJSON_Delete(j);
			cJSON_Delete(coll);
			return ret;
		}
		v = cJSON_GetObjectItemCaseSensitive(j, "Id");
		if (cJSON_IsString(v) && v->valuestring) {
			if (!by_id[0] && strcmp(v->valuestring, id) == 0)
				strcpy(by_id, muri);
			if (!by_bmc[0] && strcmp(v->valuestring, "BMC") == 0)
				strcpy(by_bmc, muri);
		}
		cJSON_Delete(j);
		j = NULL;
	}
	cJSON_Delete(coll);
	if (!by_id[0] && !by_bmc[0])
		return rf_error_set(err, -ENOENT, 0, "%s: no FirmwareInventory member relates to "
				    "it, has its Id %s, or is BMC", uri, id);
	ret = rf_get(c, by_id[0] ? by_id : by_bmc, &j, NULL, err);
	if (ret)
		return ret;
	ret = item_version(j, by_id[0] ? by_id : by_bmc, version, err);
	cJSON_Delete(j);
	return ret;
}
