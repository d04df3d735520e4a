/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_redfish.c - libFuzzer target: arbitrary bytes as the body of a
 * Redfish GET, through what the client does with every answer
 * (tools/redfish/redfish_json.c): parse it as an object, follow the links
 * discovery follows (Managers, Links.Sessions, Members[0], NetworkProtocol),
 * read the layer-1 switches and @odata.etag; and through what the actions
 * and tasks do (tools/redfish/redfish_action_json.c): an action's target
 * and allowable values, an ActionInfo's parameters, a Task's state and
 * message, a RelatedItem; the bytes as a Retry-After header too.  Any input
 * must give 0 or -errno, never a crash; a link or target taken must be a
 * path safe to put in a URL; every string kept is NUL-terminated in bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redfish.h"

/* What a link may be once rf_json_link()/rf_json_first_member() took it. */
static void check_path(const char *uri)
{
	size_t n = strlen(uri);

	if (n == 0 || n >= RF_URI_MAX || uri[0] != '/' || (n > 1 && uri[1] == '/'))
		abort();
	for (size_t i = 0; i < n; i++)
		if (uri[i] <= ' ' || uri[i] > '~' || uri[i] == '#')
			abort();
}

static void check_ret(int ret, const struct rf_error *err)
{
	if (ret > 0 || (ret < 0 && err->code != ret) || memchr(err->msg, '\n', sizeof(err->msg)))
		abort();
}

/* check_action - what rf_json_action()/rf_json_action_info() leave. */
static void check_action(const struct rf_action *a, bool target)
{
	if (target)
		check_path(a->target);
	if (a->info_uri[0])
		check_path(a->info_uri);
	if (a->nallow < -1 || a->nallow > RF_ALLOW_MAX)
		abort();
	for (int i = 0; i < a->nallow; i++)
		if (strnlen(a->allow[i], RF_VALUE_MAX) >= RF_VALUE_MAX)
			abort();
}

/* actions_and_tasks - the parsers of redfish_action_json.c on @j. */
static void actions_and_tasks(const cJSON *j)
{
	static const char *const acts[][2] = {
		{ "#ComputerSystem.Reset", "ResetType" },
		{ "#Manager.Reset", "ResetType" },
		{ "#UpdateService.SimpleUpdate", "TransferProtocol" },
		{ "#X.Y", NULL },
	};
	struct rf_error err = { 0 };
	struct rf_action a;
	struct rf_task t;
	int ret;

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		ret = rf_json_action(j, acts[i][0], acts[i][1], &a, &err);
		check_ret(ret, &err);
		if (!ret)
			check_action(&a, true);
	}
	memset(&a, 0, sizeof(a));
	ret = rf_json_action_info(j, "TransferProtocol", &a, &err);
	check_ret(ret, &err);
	if (!ret)
		check_action(&a, false);
	memset(&t, 0, sizeof(t));
	t.percent = -1;
	ret = rf_json_task(j, &t, &err);
	check_ret(ret, &err);
	if (!ret) {
		if (strnlen(t.state, sizeof(t.state)) >= sizeof(t.state) ||
		    strnlen(t.status, sizeof(t.status)) >= sizeof(t.status) ||
		    strnlen(t.message, sizeof(t.message)) >= sizeof(t.message) ||
		    t.percent < -1 || t.percent > 100)
			abort();
		if (t.task_uri[0])
			check_path(t.task_uri);
		(void)rf_task_terminal(t.state);
	}
	(void)rf_json_related(j, "/redfish/v1/Managers/BMC");
}

/* retry_after - the bytes as a Retry-After value: -1 or 0..86400. */
static void retry_after(const uint8_t *data, size_t size)
{
	char v[64];
	long s;

	if (size >= sizeof(v))
		return;
	memcpy(v, data, size);
	v[size] = '\0';
	s = rf_retry_after(v, 1700000000LL);
	if (s < -1 || s > 86400)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const links[] = { "Managers", "Systems", "NetworkProtocol",
					     "SessionService", "Chassis" };
	static const char *const flags[][2] = { { "KVMIP", "ProtocolEnabled" },
						{ "VirtualMedia", "ProtocolEnabled" },
						{ "GraphicalConsole", "ServiceEnabled" } };
	struct rf_error err = { 0 };
	char uri[RF_URI_MAX], etag[RF_ETAG_MAX];
	cJSON *j = NULL;
	bool on;
	int ret;

	retry_after(data, size);
	ret = rf_json_parse((const char *)data, size, &j, &err);
	check_ret(ret, &err);
	if (ret) {
		if (j)
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		ret = rf_json_link(j, links[i], uri, &err);
		check_ret(ret, &err);
		if (!ret)
			check_path(uri);
	}
	ret = rf_json_link(cJSON_GetObjectItemCaseSensitive(j, "Links"), "Sessions", uri, &err);
	check_ret(ret, &err);
	if (!ret)
		check_path(uri);
	ret = rf_json_first_member(j, uri, &err);
	check_ret(ret, &err);
	if (!ret)
		check_path(uri);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		ret = rf_json_bool(j, flags[i][0], flags[i][1], &on, &err);
		check_ret(ret, &err);
	}
	ret = rf_json_etag(j, etag, &err);
	check_ret(ret, &err);
	if (!ret && (strlen(etag) == 0 || strlen(etag) >= RF_ETAG_MAX))
		abort();
	actions_and_tasks(j);
	cJSON_Delete(j);
	return 0;
}
