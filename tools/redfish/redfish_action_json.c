/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish_action_json.c - pure parsing (no I/O) of what the actions and
 * tasks of redfish_action.c read: an action's target and allowable values,
 * an ActionInfo's parameters, a Task's state, a RelatedItem link and a
 * Retry-After header.  Fuzzed with redfish_json.c by tests/fuzz. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redfish.h"

/* short_string - @v as a printable string shorter than @cap, into @dst. */
static int short_string(const cJSON *v, char *dst, size_t cap, const char *what,
			struct rf_error *err)
{
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return rf_error_set(err, -EPROTO, 0, "%s is not a string", what);
	n = strlen(v->valuestring);
	if (n >= cap)
		return rf_error_set(err, -E2BIG, 0, "%s longer than %zu bytes", what, cap - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v->valuestring[i] < ' ' || v->valuestring[i] == 0x7f)
			return rf_error_set(err, -EPROTO, 0, "%s has a control byte", what);
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* path_string - @v as an absolute path usable in a URL (as rf_json_link()
 * demands of @odata.id: printable, no space, no '#', not "//host"). */
static int path_string(const cJSON *v, char *dst, const char *what, struct rf_error *err)
{
	const char *s;
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return rf_error_set(err, -EPROTO, 0, "%s is not a string", what);
	s = v->valuestring;
	n = strlen(s);
	if (n == 0 || s[0] != '/' || (n > 1 && s[1] == '/'))
		return rf_error_set(err, -EPROTO, 0, "%s is not an absolute path", what);
	if (n >= RF_URI_MAX)
		return rf_error_set(err, -EPROTO, 0, "%s longer than %d bytes", what,
				    RF_URI_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '#')
			return rf_error_set(err, -EPROTO, 0,
					    "%s has a byte 0x%02x not allowed in a path", what,
					    (unsigned char)s[i]);
	memcpy(dst, s, n + 1);
	return 0;
}

/* values - a JSON array of strings into a->allow. */
static int values(const cJSON *arr, struct rf_action *a, const char *what, struct rf_error *err)
{
	const cJSON *v;
	int n = 0, ret;

	if (!cJSON_IsArray(arr))
		return rf_error_set(err, -EPROTO, 0, "%s is not an array", what);
	cJSON_ArrayForEach(v, arr) {
		if (n >= RF_ALLOW_MAX)
			return rf_error_set(err, -E2BIG, 0, "%s: more than %d values", what,
					    RF_ALLOW_MAX);
		ret = short_string(v, a->allow[n], RF_VALUE_MAX, what, err);
		if (ret)
			return ret;
		n++;
	}
	a->nallow = n;
	return 0;
}

int rf_json_action(const cJSON *res, const char *name, const char *param, struct rf_action *a,
		   struct rf_error *err)
{
	const cJSON *acts = cJSON_GetObjectItemCaseSensitive(res, "Actions");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(acts, name);
	const cJSON *v;
	char key[RF_VALUE_MAX + 32];
	int ret;

	memset(a, 0, sizeof(*a));
	a->nallow = -1;
	if (!cJSON_IsObject(act)) {
		const cJSON *oem = cJSON_GetObjectItemCaseSensitive(acts, "Oem");

		act = cJSON_GetObjectItemCaseSensitive(oem, name);
	}
	if (!cJSON_IsObject(act))
		return rf_error_set(err, -ENOENT, 0, "the resource has no action %s", name);
	v = cJSON_GetObjectItemCaseSensitive(act, "target");
	if (!v)
		return rf_error_set(err, -ENOENT, 0, "action %s has no target", name);
	ret = path_string(v, a->target, "the action's target", err);
	if (ret)
		return ret;
	v = cJSON_GetObjectItemCaseSensitive(act, "@Redfish.ActionInfo");
	if (v) {
		ret = path_string(v, a->info_uri, "@Redfish.ActionInfo", err);
		if (ret)
			return ret;
	}
	if (!param)
		return 0;
	if (strlen(param) >= RF_VALUE_MAX)
		return rf_error_set(err, -E2BIG, 0, "parameter name too long");
	snprintf(key, sizeof(key), "%s@Redfish.AllowableValues", param);
	v = cJSON_GetObjectItemCaseSensitive(act, key);
	return v ? values(v, a, key, err) : 0;
}

int rf_json_action_info(const cJSON *info, const char *param, struct rf_action *a,
			struct rf_error *err)
{
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(info, "Parameters");
	const cJSON *p, *v;

	if (!cJSON_IsArray(ps))
		return rf_error_set(err, -ENOENT, 0, "the ActionInfo has no Parameters");
	cJSON_ArrayForEach(p, ps) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "Name");

		if (!cJSON_IsString(name) || !name->valuestring ||
		    strcmp(name->valuestring, param) != 0)
			continue;
		a->nallow = -1;
		v = cJSON_GetObjectItemCaseSensitive(p, "AllowableValues");
		return v ? values(v, a, "AllowableValues", err) : 0;
	}
	return rf_error_set(err, -ENOENT, 0, "the ActionInfo has no parameter %s", param);
}

int rf_json_task(const cJSON *body, struct rf_task *t, struct rf_error *err)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "TaskState");
	const cJSON *v;
	char state[RF_VALUE_MAX], status[RF_VALUE_MAX] = "", uri[RF_URI_MAX] = "";
	char msg[RF_TASK_MSG_MAX] = "";
	int ret, pct = -1;

	if (!st)
		return rf_error_set(err, -ENOENT, 0, "the body is not a Task (no TaskState)");
	ret = short_string(st, state, sizeof(state), "TaskState", err);
	if (ret)
		return ret;
	v = cJSON_GetObjectItemCaseSensitive(body, "TaskStatus");
	if (v && !cJSON_IsNull(v)) {
		ret = short_string(v, status, sizeof(status), "TaskStatus", err);
		if (ret)
			return ret;
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "PercentComplete");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v))
			return rf_error_set(err, -EPROTO, 0, "PercentComplete is not a number");
		/* Clamped: the value is reported, never used to index. */
		pct = v->valuedouble < 0 ? 0 : v->valuedouble > 100 ? 100 : (int)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(body, "Messages"), 0), "Message");
	if (cJSON_IsString(v) && v->valuestring) {
		/* A message is for people: truncate, drop control bytes. */
		size_t n = 0;

		for (const char *p = v->valuestring; *p && n < sizeof(msg) - 1; p++)
			msg[n++] = (unsigned char)*p < ' ' ? ' ' : *p;
		msg[n] = '\0';
	}
	v = cJSON_GetObjectItemCaseSensitive(body, "@odata.id");
	if (v && path_string(v, uri, "the Task's @odata.id", NULL) != 0)
		uri[0] = '\0';
	memcpy(t->state, state, sizeof(state));
	if (status[0])
		memcpy(t->status, status, sizeof(status));
	if (pct >= 0)
		t->percent = pct;
	if (msg[0])
		memcpy(t->message, msg, sizeof(msg));
	if (uri[0])
		memcpy(t->task_uri, uri, sizeof(uri));
	return 0;
}

/* same_uri - @a and @b equal but for trailing slashes. */
static bool same_uri(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na > 1 && a[na - 1] == '/')
		na--;
	while (nb > 1 && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

bool rf_json_related(const cJSON *item, const char *uri)
{
	const cJSON *rel = cJSON_GetObjectItemCaseSensitive(item, "RelatedItem");
	const cJSON *r;

	if (!cJSON_IsArray(rel) || !uri)
		return false;
	cJSON_ArrayForEach(r, rel) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "@odata.id");

		if (cJSON_IsString(id) && id->valuestring && same_uri(id->valuestring, uri))
			return true;
	}
	return false;
}

bool rf_task_terminal(const char *state)
{
	static const char *const fin[] = { "Completed", "Killed", "Exception", "Cancelled" };

	for (size_t i = 0; state && i < sizeof(fin) / sizeof(fin[0]); i++)
		if (strcmp(state, fin[i]) == 0)
			return true;
	return false;
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date
 * (H. Hinnant's algorithm): no timegm(), no locale. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

long rf_retry_after(const char *value, long long now)
{
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char wd[4], mon[4], gmt[4];
	int d, y, hh, mm, ss, used = 0;
	const char *p;
	long long t;

	if (!value)
		return -1;
	if (value[0] >= '0' && value[0] <= '9') {
		char *end;
		unsigned long long s = strtoull(value, &end, 10);

		if (*end != '\0')
			return -1;
		return s > 86400 ? 86400 : (long)s;	/* a day at most */
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7). */
	if (sscanf(value, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wd, &d, mon, &y,
		   &hh, &mm, &ss, gmt, &used) != 8 || value[used] != '\0' ||
	    strcmp(gmt, "GMT") != 0 || strlen(mon) != 3)
		return -1;
	p = strstr(mons, mon);
	if (!p || (p - mons) % 3 != 0 || d < 1 || d > 31 || y < 1970 || hh > 23 || mm > 59 ||
	    ss > 60 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	t = days_from_civil(y, (unsigned)((p - mons) / 3 + 1), (unsigned)d) * 86400LL +
	    hh * 3600LL + mm * 60LL + ss;
	if (t <= now)
		return 0;
	return t - now > 86400 ? 86400 : (long)(t - now);
}
