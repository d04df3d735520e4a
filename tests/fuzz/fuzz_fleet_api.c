/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_fleet_api.c - libFuzzer target: arbitrary bytes as what a client
 * sends sovereign-fleet's API, through tools/fleet/api_json.c alone: the
 * body of every POST /servers/{id}/{kind}, an Alertmanager webhook payload
 * (each alert mapped against a small inventory), and the first line as an
 * id, a workflow id and a ?limit=.  Any input must give 0 or -errno with a
 * message, never a crash; what is accepted must be what the API promises.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static void check_err(int ret, const char *err)
{
	if (ret > 0 || (ret < 0 && !err[0]) || !memchr(err, '\0', 256))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "drain", "resume", "maintain", "standby", "reset" };
	static struct fleet_server servers[3] = {
		{ .id = "n1", .exporter = "10.0.0.1:9100" },
		{ .id = "n2", .exporter = "node2.example:9100" },
		{ .id = "n3", .exporter = "" },
	};
	static struct fleet_inventory inv = { .server = servers, .nserver = 3 };
	const char *body = (const char *)data;
	struct fleet_api_alert *al;
	char err[256], line[128];
	cJSON *params;
	int64_t id;
	size_t n;
	int ret, v;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		memset(err, 0, sizeof(err));
		ret = fleet_api_parse_action(kinds[k], body, size, &params, err, sizeof(err));
		check_err(ret, err);
		if (!ret && params) {
			const cJSON *m;

			if (!cJSON_IsObject(params) || (strcmp(kinds[k], "maintain") &&
							params->child))
				abort();
			cJSON_ArrayForEach(m, params)
				if (!cJSON_IsString(m) || strlen(m->valuestring) >= 512)
					abort();
		}
		if (ret && params)
			abort();
		cJSON_Delete(params);
	}

	memset(err, 0, sizeof(err));
	ret = fleet_api_parse_webhook(body, size, &al, &n, err, sizeof(err));
	check_err(ret, err);
	if (ret && (al || n))
		abort();
	if (n > FLEET_API_ALERTS_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct fleet_server *s = fleet_api_alert_server(&al[i], &inv);

		if (s && (s < servers || s >= servers + 3))
			abort();
		if (s && al[i].bad_label)
			abort();
		(void)fleet_api_node_down(al[i].alertname, "SovereignNodeDown,SovereignExporterDown");
	}
	free(al);

	/* the first line as the URL's parts */
	n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (fleet_api_id_valid(line) &&
	    (strlen(line) >= FLEET_ID_MAX || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(line)))
		abort();
	if (!fleet_api_wf_id(line, &id) && id <= 0)
		abort();
	if (!fleet_api_uint(line, 1, 1000, &v) && (v < 1 || v > 1000))
		abort();
	return 0;
}
