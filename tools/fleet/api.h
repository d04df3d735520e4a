/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * api.h - internals of sovereign-fleet's HTTP API, shared by api.c (routing,
 * responses), api_auth.c (bearer tokens), api_json.c (pure parsing of
 * request bodies and the Alertmanager webhook), the tests and the fuzzer.
 * The API's entry points, fleet_api_start()/_stop(), are in fleet.h.
 */
#ifndef SOVEREIGN_FLEET_API_H
#define SOVEREIGN_FLEET_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "fleet.h"

#define FLEET_API_BODY_MAX   (64 * 1024) /* a request body; more: 413 */
#define FLEET_API_ALERTS_MAX 1000        /* alerts in one webhook call; more: 400 */
#define FLEET_API_TOKEN_MIN  32          /* bytes of a token, at least */
#define FLEET_API_TOKEN_MAX  128         /* bytes of a token, at most */
#define FLEET_API_TOKEN_NAME 64          /* a token's name, with NUL */

/* fleet_api_port() - the TCP port @a listens on (the one picked for a ":0" listen). */
int fleet_api_port(const struct fleet_api *a);

/* ---- api_json.c: pure, no I/O, no global state; fuzzed by fuzz_fleet_api ---- */

/*
 * fleet_api_id_valid() - is @s a server id: [A-Za-z0-9._-]{1,63}?
 * Context: any.  Return: true if so.
 */
bool fleet_api_id_valid(const char *s);

/*
 * fleet_api_wf_id() - parse a workflow id: decimal, 1..INT64_MAX, no sign,
 * no leading zero, nothing else.  Context: any.
 * Return: 0 with *@id; -EINVAL.
 */
int fleet_api_wf_id(const char *s, int64_t *id);

/*
 * fleet_api_uint() - parse a query value in [@min, @max] (decimal, nothing else).
 * Context: any.  Return: 0 with *@out; -EINVAL (out of range or not a number).
 */
int fleet_api_uint(const char *s, int min, int max, int *out);

/*
 * fleet_api_parse_json() - parse @len bytes of @body (not NUL-terminated,
 * may hold NULs) as one JSON value and nothing after it but whitespace.
 * Context: any (no cJSON global error state is used).
 * Return: 0 with *@out (caller cJSON_Delete()s it); -EINVAL with @err
 * naming the byte offset where parsing failed; -ENOMEM.
 */
int fleet_api_parse_json(const char *body, size_t len, cJSON **out, char *err, size_t errlen);

/*
 * fleet_api_parse_action() - the optional body of POST /servers/{id}/@kind.
 * An empty body is no parameters.  Otherwise a JSON object: maintain takes
 * "image" (string, < 512 bytes) and "version" (string, < 64 bytes); the
 * other kinds take an empty object only.
 * Context: any.  Return: 0 with *@params (NULL for an empty body; caller
 * cJSON_Delete()s it); -EINVAL with @err (malformed JSON, with its offset;
 * an unknown key; a wrong type or length); -ENOMEM.
 */
int fleet_api_parse_action(const char *kind, const char *body, size_t len, cJSON **params,
			   char *err, size_t errlen);

/* struct fleet_api_alert - one alert of an Alertmanager webhook call. */
struct fleet_api_alert {
	bool firing;              /* status "firing" (else "resolved") */
	char alertname[128];      /* labels.alertname, "" if absent */
	char server[FLEET_ID_MAX]; /* labels.server, "" if absent */
	char node[FLEET_ID_MAX];  /* labels.node, "" if absent */
	char instance[256];       /* labels.instance, "" if absent */
	bool bad_label;           /* server/node/instance present but invalid or too long */
};

/*
 * fleet_api_parse_webhook() - an Alertmanager webhook payload (version "4"):
 * an object with "alerts": [ { "status": "firing"|"resolved", "labels":
 * {...} }, ... ] (other members ignored; a "version" other than "4" is
 * refused).  At most FLEET_API_ALERTS_MAX alerts.
 * Context: any.  Return: 0 with *@alerts (caller free()s; NULL when none)
 * and *@n; -EINVAL with @err; -ENOMEM.
 */
int fleet_api_parse_webhook(const char *body, size_t len, struct fleet_api_alert **alerts,
			    size_t *n, char *err, size_t errlen);

/*
 * fleet_api_alert_server() - the inventory server @a is about: labels.server
 * if present, else labels.node, else the server whose exporter address is
 * labels.instance (host:port, host compared case-insensitively).
 * Context: any (@inv is a held snapshot).
 * Return: the server, or NULL (unlabelled, unknown, or a bad label).
 */
const struct fleet_server *fleet_api_alert_server(const struct fleet_api_alert *a,
						  const struct fleet_inventory *inv);

/*
 * fleet_api_node_down() - is @alertname in the comma-separated @set
 * ("SovereignNodeDown,SovereignExporterDown")?  Context: any.
 */
bool fleet_api_node_down(const char *alertname, const char *set);

/* ---- api_auth.c: bearer tokens ---- */

struct fleet_api_tokens;

/*
 * fleet_api_tokens_load() - read @path: "name token" lines, '#' comments and
 * blank lines ignored.  The file must be a regular file of mode 0600 or 0400
 * (no group or other bit); names [A-Za-z0-9._-]{1,63}, unique; tokens
 * FLEET_API_TOKEN_MIN..FLEET_API_TOKEN_MAX printable bytes, unique; at least
 * one token.
 * Context: process context.  Return: 0 with *@out (fleet_api_tokens_free());
 * -EPERM for the mode, -EINVAL for the content (file:line in @err), -errno
 * of open/read.  @err always names @path.
 */
int fleet_api_tokens_load(const char *path, struct fleet_api_tokens **out, char *err,
			  size_t errlen);

/* fleet_api_tokens_free() - wipe and free @t (NULL is fine). */
void fleet_api_tokens_free(struct fleet_api_tokens *t);

/*
 * fleet_api_tokens_check() - the name of the token an Authorization header
 * value @authz ("Bearer <token>", scheme case-insensitive) presents.  The
 * comparison runs over every configured token and the same fixed number of
 * bytes whatever the input (no early exit, no length leak).
 * Context: any thread (@t is read-only).
 * Return: the token's name (owned by @t), or NULL (missing, malformed, unknown).
 */
const char *fleet_api_tokens_check(const struct fleet_api_tokens *t, const char *authz);

/* fleet_api_tokens_count() - how many tokens @t holds. */
size_t fleet_api_tokens_count(const struct fleet_api_tokens *t);

#endif /* SOVEREIGN_FLEET_API_H */
