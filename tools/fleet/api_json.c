/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * api_json.c - sovereign-fleet API's pure parsing: ids, query numbers, the
 * action bodies and the Alertmanager webhook payload.  No I/O and no global
 * state, so that fuzz_fleet_api runs it alone.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

bool fleet_api_id_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= FLEET_ID_MAX - 1)
			return false;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return n > 0;
}

int fleet_api_wf_id(const char *s, int64_t *id)
{
	int64_t v = 0;

	if (!s || s[0] < '1' || s[0] > '9')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (*s - '0')) / 10) /* catch int64 overflow */
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*id = v;
	return 0;
}

int fleet_api_uint(const char *s, int min, int max, int *out)
{
	long v = 0;

	if (!s || !*s || strlen(s) > 9)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int fleet_api_parse_json(const char *body, size_t len, cJSON **out, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *j;

	*out = NULL;
	if (!body || len == 0) {
		snprintf(err, errlen, "malformed JSON at byte 0: empty body");
		return -EINVAL;
	}
	/* cJSON_ParseWithLengthOpts sets @end to where it stopped, on failure too:
	 * unlike cJSON_GetErrorPtr(), no global state shared between threads. */
	j = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!j) {
		size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;

		snprintf(err, errlen, "malformed JSON at byte %zu", at);
		return -EINVAL;
	}
	while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != body + len) {
		snprintf(err, errlen, "malformed JSON at byte %zu: data after the value",
			 (size_t)(end - body));
		cJSON_Delete(j);
		return -EINVAL;
	}
	*out = j;
	return 0;
}

/* Is @len bytes of @body only whitespace? */
static bool blank(const char *body, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\n' && body[i] != '\r')
			return false;
	return true;
}

int fleet_api_parse_action(const char *kind, const char *body, size_t len, cJSON **params,
			   char *err, size_t errlen)
{
	bool maintain = kind && !strcmp(kind, "maintain");
	const cJSON *m;
	cJSON *j;
	int ret;

	*params = NULL;
	if (!body || blank(body, len))
		return 0;
	ret = fleet_api_parse_json(body, len, &j, err, errlen);
	if (ret)
		return ret;
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "the body must be a JSON object");
		cJSON_Delete(j);
		return -EINVAL;
	}
	cJSON_ArrayForEach(m, j) {
		size_t max;

		if (maintain && m->string && !strcmp(m->string, "image")) {
			max = sizeof(((struct fleet_server *)0)->firmware_image);
		} else if (maintain && m->string && !strcmp(m->string, "version")) {
			max = sizeof(((struct fleet_server *)0)->firmware_version);
		} else {
			snprintf(err, errlen, "%s takes no parameter \"%.64s\"", kind ? kind : "?",
				 m->string ? m->string : "");
			cJSON_Delete(j);
			return -EINVAL;
		}
		if (!cJSON_IsString(m) || strlen(m->valuestring) >= max) {
			snprintf(err, errlen, "\"%s\" must be a string shorter than %zu bytes",
				 m->string, max);
			cJSON_Delete(j);
			return -EINVAL;
		}
	}
	*params = j;
	return 0;
}

/*
 * take_label() - labels.@name into @buf: "" if absent; sets a->bad_label
 * when present but not a string or too long (or, with @id, not an id).
 */
static void take_label(const cJSON *labels, const char *name, char *buf, size_t size, bool id,
		       struct fleet_api_alert *a)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, name);

	buf[0] = '\0';
	if (!v)
		return;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= size ||
	    (id && !fleet_api_id_valid(v->valuestring))) {
		a->bad_label = true;
		return;
	}
	memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
}

int fleet_api_parse_webhook(const char *body, size_t len, struct fleet_api_alert **alerts,
			    size_t *n, char *err, size_t errlen)
{
	const cJSON *ver, *arr, *al;
	struct fleet_api_alert *out = NULL;
	size_t count, i = 0;
	cJSON *j;
	int ret;

	*alerts = NULL;
	*n = 0;
	ret = fleet_api_parse_json(body, len, &j, err, errlen);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "the payload must be a JSON object");
		goto out;
	}
	ver = cJSON_GetObjectItemCaseSensitive(j, "version");
	if (ver && !(cJSON_IsString(ver) && !strcmp(ver->valuestring, "4"))) {
		snprintf(err, errlen, "webhook payload version must be \"4\"");
		goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(j, "alerts");
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "\"alerts\" must be an array");
		goto out;
	}
	count = (size_t)cJSON_GetArraySize(arr);
	if (count > FLEET_API_ALERTS_MAX) {
		snprintf(err, errlen, "%zu alerts: at most %d in one call", count,
			 FLEET_API_ALERTS_MAX);
		goto out;
	}
	if (count) {
		out = calloc(count, sizeof(*out));
		if (!out) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto out;
		}
	}
	cJSON_ArrayForEach(al, arr) {
		struct fleet_api_alert *a = &out[i];
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(al, "status");
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(al, "labels");

		if (!cJSON_IsObject(al) || !cJSON_IsString(st) || !cJSON_IsObject(labels)) {
			snprintf(err, errlen, "alert %zu: needs \"status\" and \"labels\"", i);
			goto out;
		}
		if (!strcmp(st->valuestring, "firing")) {
			a->firing = true;
		} else if (strcmp(st->valuestring, "resolved")) {
			snprintf(err, errlen, "alert %zu: status must be firing or resolved", i);
			goto out;
		}
		take_label(labels, "alertname", a->alertname, sizeof(a->alertname), false, a);
		a->bad_label = false; /* a long alertname is just not ours */
		take_label(labels, "server", a->server, sizeof(a->server), true, a);
		take_label(labels, "node", a->node, sizeof(a->node), true, a);
		take_label(labels, "instance", a->instance, sizeof(a->instance), false, a);
		i++;
	}
	*alerts = out;
	*n = count;
	out = NULL;
	ret = 0;
out:
	free(out);
	cJSON_Delete(j);
	return ret;
}

/* Same host:port?  Hosts compared without case, ports exactly. */
static bool same_addr(const char *a, const char *b)
{
	const char *pa = strrchr(a, ':'), *pb = strrchr(b, ':');

	if (!pa || !pb || pa - a != pb - b || pa == a)
		return false;
	return !strncasecmp(a, b, (size_t)(pa - a)) && !strcmp(pa, pb);
}

/* The server @id of @inv (fleet_inventory_find()'s job, here so that this
 * file links alone into the fuzzer). */
static const struct fleet_server *find(const struct fleet_inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->nserver; i++)
		if (!strcmp(inv->server[i].id, id))
			return &inv->server[i];
	return NULL;
}

const struct fleet_server *fleet_api_alert_server(const struct fleet_api_alert *a,
						  const struct fleet_inventory *inv)
{
	if (a->bad_label)
		return NULL;
	if (a->server[0])
		return find(inv, a->server);
	if (a->node[0])
		return find(inv, a->node);
	if (!a->instance[0])
		return NULL;
	for (size_t i = 0; i < inv->nserver; i++)
		if (inv->server[i].exporter[0] && same_addr(a->instance, inv->server[i].exporter))
			return &inv->server[i];
	return NULL;
}

bool fleet_api_node_down(const char *alertname, const char *set)
{
	size_t n = strlen(alertname);

	if (!n)
		return false;
	while (*set) {
		size_t w = strcspn(set, ",");

		if (w == n && !strncmp(set, alertname, n))
			return true;
		set += w;
		if (*set == ',')
			set++;
	}
	return false;
}
