// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filesd.c - the Prometheus file_sd targets of the fleet: one target group
 * per server, its exporter address, labelled server, rack, pool and state
 * (so that Alertmanager inhibits the alerts of servers in maintenance).
 * Written atomically (temp file + rename: Prometheus never reads half a
 * file) to <file_sd_dir>/sovereign-fleet.json, only when it changed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "internal.h"

struct states {
	const struct fleet_inventory *inv;
	cJSON *by_id; /* id -> state */
};

static int collect(const struct fleet_server_state *s, void *ctx)
{
	struct states *st = ctx;

	cJSON_AddStringToObject(st->by_id, s->id, s->state);
	return 0;
}

int fleet_file_sd_write(struct fleet *f, const struct fleet_inventory *inv,
			struct fleet_store *st, char *err, size_t errlen)
{
	struct states s = { inv, cJSON_CreateObject() };
	char path[PATH_MAX + 32], *text;
	cJSON *all = cJSON_CreateArray();
	int rc;

	rc = f->ops->server_list(st, collect, &s, err, errlen);
	for (size_t i = 0; !rc && i < inv->nserver; i++) {
		const struct fleet_server *v = &inv->server[i];
		cJSON *g = cJSON_CreateObject(), *t = cJSON_AddArrayToObject(g, "targets");
		cJSON *l = cJSON_AddObjectToObject(g, "labels");
		cJSON *state = cJSON_GetObjectItemCaseSensitive(s.by_id, v->id);

		cJSON_AddItemToArray(t, cJSON_CreateString(v->exporter));
		cJSON_AddStringToObject(l, "server", v->id);
		cJSON_AddStringToObject(l, "rack", v->rack);
		cJSON_AddStringToObject(l, "pool", v->pool);
		cJSON_AddStringToObject(l, "state", cJSON_IsString(state) ? state->valuestring
									  : "ready");
		cJSON_AddItemToArray(all, g);
	}
	cJSON_Delete(s.by_id);
	text = rc ? NULL : cJSON_Print(all);
	cJSON_Delete(all);
	if (rc)
		return rc;
	if (!text)
		return -ENOMEM;
	if (strlen(text) < sizeof(f->last_file_sd) && !strcmp(text, f->last_file_sd)) {
		cJSON_free(text);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/sovereign-fleet.json", inv->file_sd_dir);
	rc = sov_write_atomic(path, text, strlen(text), 0644);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	else if (strlen(text) < sizeof(f->last_file_sd))
		strcpy(f->last_file_sd, text);
	cJSON_free(text);
	return rc;
}
