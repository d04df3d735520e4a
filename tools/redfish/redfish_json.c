/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish_json.c - pure JSON handling of Redfish answers (no I/O): parse a
 * body, follow @odata.id links, read booleans and @odata.etag; plus the one
 * error formatter.  The network side (redfish.c) and the fuzzer use it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "redfish.h"

/* Deepest nesting accepted: Redfish resources nest a handful of levels. */
#define RF_JSON_DEPTH_MAX 64

int rf_error_set(struct rf_error *err, int code, long http_status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* One line: a body quoted into the message may carry newlines. */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return code;
}

/* depth_ok - cJSON recurses on nesting; refuse absurd depths before parsing
 * (cJSON's own limit, CJSON_NESTING_LIMIT, is 1000 frames). */
static int depth_ok(const char *buf, size_t len)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"')
			in_str = true;
		else if (ch == '{' || ch == '[') {
			if (++depth > RF_JSON_DEPTH_MAX)
				return 0;
		} else if (ch == '}' || ch == ']')
			depth--;
	}
	return 1;
}

int rf_json_parse(const char *buf, size_t len, cJSON **out, struct rf_error *err)
{
	cJSON *j;

	*out = NULL;
	if (!buf || len == 0)
		return rf_error_set(err, -EPROTO, 0, "empty body where a JSON object was expected");
	if (!depth_ok(buf, len))
		return rf_error_set(err, -EPROTO, 0, "JSON nested deeper than %d levels",
				    RF_JSON_DEPTH_MAX);
	j = cJSON_ParseWithLength(buf, len);
	if (!j)
		return rf_error_set(err, -EPROTO, 0, "body is not JSON (%zu bytes)", len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return rf_error_set(err, -EPROTO, 0, "body is JSON but not an object");
	}
	*out = j;
	return 0;
}

/* copy_path - a link's target must be an absolute path we can put in a URL
 * as it is: printable ASCII, no space, no '#' fragment, shorter than the
 * buffer.  A hostile service could otherwise steer requests elsewhere
 * ("http://evil/") or inject header bytes. */
static int copy_path(const cJSON *id, char *uri, const char *what, struct rf_error *err)
{
	const char *s;
	size_t n;

	if (!cJSON_IsString(id) || !id->valuestring)
		return rf_error_set(err, -EPROTO, 0, "%s: @odata.id is not a string", what);
	s = id->valuestring;
	n = strlen(s);
	if (n == 0 || s[0] != '/' || (n > 1 && s[1] == '/'))
		return rf_error_set(err, -EPROTO, 0, "%s: @odata.id is not an absolute path", what);
	if (n >= RF_URI_MAX)
		return rf_error_set(err, -EPROTO, 0, "%s: @odata.id longer than %d bytes", what,
				    RF_URI_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '#')
			return rf_error_set(err, -EPROTO, 0,
					    "%s: @odata.id has a byte 0x%02x not allowed in a path",
					    what, (unsigned char)s[i]);
	memcpy(uri, s, n + 1);
	return 0;
}

int rf_json_link(const cJSON *obj, const char *prop, char *uri, struct rf_error *err)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, prop);
	const cJSON *id;

	if (!cJSON_IsObject(o))
		return rf_error_set(err, -ENOENT, 0, "no link %s in the resource", prop);
	id = cJSON_GetObjectItemCaseSensitive(o, "@odata.id");
	if (!id)
		return rf_error_set(err, -ENOENT, 0, "link %s has no @odata.id", prop);
	return copy_path(id, uri, prop, err);
}

int rf_json_first_member(const cJSON *coll, char *uri, struct rf_error *err)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(coll, "Members");
	const cJSON *first, *id;

	if (!cJSON_IsArray(m))
		return rf_error_set(err, -ENOENT, 0, "collection has no Members array");
	first = cJSON_GetArrayItem(m, 0);
	if (!first)
		return rf_error_set(err, -ENOENT, 0, "collection is empty");
	id = cJSON_IsObject(first) ? cJSON_GetObjectItemCaseSensitive(first, "@odata.id") : NULL;
	if (!id)
		return rf_error_set(err, -EPROTO, 0, "Members[0] has no @odata.id");
	return copy_path(id, uri, "Members[0]", err);
}

int rf_json_bool(const cJSON *obj, const char *object, const char *prop, bool *out,
		 struct rf_error *err)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, object);
	const cJSON *v;

	if (!cJSON_IsObject(o))
		return rf_error_set(err, -ENOENT, 0, "the resource has no %s", object);
	v = cJSON_GetObjectItemCaseSensitive(o, prop);
	if (!v)
		return rf_error_set(err, -ENOENT, 0, "the resource has no %s.%s", object, prop);
	if (!cJSON_IsBool(v))
		return rf_error_set(err, -EPROTO, 0, "%s.%s is not a boolean", object, prop);
	*out = cJSON_IsTrue(v);
	return 0;
}

int rf_json_etag(const cJSON *obj, char *etag, struct rf_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "@odata.etag");
	size_t n;

	if (!v)
		return rf_error_set(err, -ENOENT, 0, "no @odata.etag");
	if (!cJSON_IsString(v) || !v->valuestring)
		return rf_error_set(err, -EPROTO, 0, "@odata.etag is not a string");
	n = strlen(v->valuestring);
	if (n == 0 || n >= RF_ETAG_MAX)
		return rf_error_set(err, -EPROTO, 0, "@odata.etag empty or longer than %d bytes",
				    RF_ETAG_MAX - 1);
	/* It goes into an If-Match header: printable ASCII only. */
	for (size_t i = 0; i < n; i++)
		if (v->valuestring[i] < ' ' || v->valuestring[i] > '~')
			return rf_error_set(err, -EPROTO, 0, "@odata.etag has a control byte");
	memcpy(etag, v->valuestring, n + 1);
	return 0;
}
