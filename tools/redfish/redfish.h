/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish.h - a small Redfish client: session or basic auth, GET with ETag,
 * PATCH with If-Match, discovery of the first Manager and the switches of
 * layer 1 (KVM-IP, virtual media, graphical console).  Used by sovereign-bmc
 * and the fleet orchestrator; built as the static library sovereign_redfish.
 *
 * Nothing here prints: every failure returns -errno and describes itself in
 * a struct rf_error.  Nothing here is real-time: calls block on the network
 * for at most the timeouts given in struct rf_opts.
 *
 * Error classes (the -errno returned, with the HTTP status in rf_error):
 *   -EACCES        401: wrong user name or password (or session expired)
 *   -EPERM         403: the account may not do this; TLS peer not verified
 *   -ENOENT        404: no such resource, or a link the resource lacks
 *   -ESTALE        412 twice: the resource kept changing under the PATCH
 *   -EPROTO        a malformed answer (JSON, missing header), a TLS failure,
 *                  428 without an ETag to send
 *   -ECONNREFUSED, -EHOSTUNREACH  nobody answers at the address
 *   -ETIMEDOUT     the connect or the whole request outlived its timeout
 *   -EIO           any other HTTP error status (5xx, 400, 405...)
 *   -EINVAL, -ENOMEM, -E2BIG  bad arguments, out of memory, value too long
 */
#ifndef SOV_REDFISH_H
#define SOV_REDFISH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define RF_URI_MAX 256		/* longest @odata.id kept, with its NUL */
#define RF_ETAG_MAX 128		/* longest ETag kept, with its NUL */
#define RF_PASSWORD_MAX 256	/* longest password read, with its NUL */

/* Defaults for struct rf_opts timeouts given as 0. */
#define RF_CONNECT_TIMEOUT_MS_DEFAULT 3000
#define RF_TIMEOUT_MS_DEFAULT 15000

/* struct rf_error - what went wrong, for the caller to print. */
struct rf_error {
	int code;		/* the -errno also returned */
	long http_status;	/* last HTTP status seen, 0 if none */
	char msg[320];		/* one line, no newline: "PATCH /x: 412 ..." */
};

enum rf_auth {
	RF_AUTH_AUTO = 0,	/* a session if the service has a SessionService
				 * that takes one; else basic auth */
	RF_AUTH_SESSION,	/* a session or fail */
	RF_AUTH_BASIC,		/* basic auth on every request, no session */
};

/* struct rf_opts - where and how to connect.  Every pointer is borrowed for
 * the duration of rf_open() only (the client copies what it keeps). */
struct rf_opts {
	const char *base_url;	/* "https://bmc.lab:443": scheme, host, port;
				 * no path (paths are the service's @odata.id) */
	const char *user;
	const char *password;	/* from rf_password_from_file/_env, never argv */
	const char *ca_file;	/* PEM bundle to verify the BMC against; NULL:
				 * the system's store */
	bool insecure;		/* skip TLS peer and host verification: lab BMCs
				 * with self-signed certificates only */
	enum rf_auth auth;
	long connect_timeout_ms; /* 0: RF_CONNECT_TIMEOUT_MS_DEFAULT */
	long timeout_ms;	/* whole request, 0: RF_TIMEOUT_MS_DEFAULT */
};

struct rf_client;

/**
 * rf_open() - connect to a Redfish service and log in.
 * @opts: where and how; see struct rf_opts.
 * @out: the new client on success, NULL on failure.
 * @err: filled on failure.
 *
 * Reads the service root (no credentials), then, unless opts->auth is
 * RF_AUTH_BASIC, POSTs the user name and password to the Sessions collection
 * the root links to and keeps the X-Auth-Token and the session's Location.
 * RF_AUTH_AUTO falls back to basic auth when the root links no sessions or
 * the service refuses to open one for a reason other than the credentials
 * (404, 405, 501, 503, 403 SessionLimitExceeded); basic auth is then checked
 * with a GET of the Managers collection, so a wrong password fails here.
 * A session that expires later (a 401 to rf_get() or rf_patch()) is opened
 * again once and the request retried once.
 *
 * Context: process context, blocks on the network, not thread-safe with
 * itself on one client (one client per thread).
 * Return: 0; -EACCES on 401 (wrong user or password); see the error classes.
 * Ownership: *out is freed by rf_close(), which also deletes the session.
 */
int rf_open(const struct rf_opts *opts, struct rf_client **out, struct rf_error *err);

/**
 * rf_close() - log out and free the client.
 * @c: may be NULL.
 * @err: may be NULL; filled if the session could not be deleted.
 *
 * DELETEs the session (its Location) if one was opened, whatever happened
 * before on this client, then frees everything.
 * Context: process context, blocks for at most one request's timeout.
 * Return: 0; the -errno of the DELETE if it failed (the client is freed anyway).
 */
int rf_close(struct rf_client *c, struct rf_error *err);

/** rf_is_session() - whether @c logged in with a session (else basic auth). */
bool rf_is_session(const struct rf_client *c);

/**
 * rf_get() - GET a resource.
 * @c: an open client.
 * @path: the resource's @odata.id ("/redfish/v1/Managers/BMC").
 * @body: on success the parsed JSON object; NULL on failure.
 * @etag: may be NULL; else receives the ETag header, or the body's
 *        @odata.etag if there is no header, or "" if neither (RF_ETAG_MAX).
 *
 * Context: process context, blocks.
 * Return: 0; -EPROTO if the body is not a JSON object; see the error classes.
 * Ownership: the caller frees *body with cJSON_Delete().
 */
int rf_get(struct rf_client *c, const char *path, cJSON **body, char *etag,
	   struct rf_error *err);

/**
 * rf_patch() - PATCH a resource with If-Match.
 * @c: an open client.
 * @path: the resource's @odata.id.
 * @body: the JSON object to send (borrowed).
 * @etag: the ETag the caller read the resource with; NULL or "": rf_patch()
 *        GETs the resource first for it.
 *
 * Sends If-Match with the ETag (none if the service gave none).  On 412 the
 * resource changed since it was read: rf_patch() GETs it once for the new
 * ETag and retries once; a second 412 fails with -ESTALE.  A 428 (the
 * service requires If-Match) with no ETag to send fails with -EPROTO.
 * Context: process context, blocks (up to four requests).
 * Return: 0 on a 2xx answer; see the error classes.
 */
int rf_patch(struct rf_client *c, const char *path, const cJSON *body, const char *etag,
	     struct rf_error *err);

/* struct rf_manager - what discovery found; every field a service's URI. */
struct rf_manager {
	char uri[RF_URI_MAX];		/* the first member of Managers */
	char netproto_uri[RF_URI_MAX];	/* its NetworkProtocol */
};

/**
 * rf_discover_manager() - find the first Manager and its NetworkProtocol.
 *
 * Follows @odata.id links only: /redfish/v1/ -> Managers -> Members[0] ->
 * NetworkProtocol; no ID is assumed.
 * Context: process context, blocks (three GETs).
 * Return: 0; -ENOENT if a link is missing or the collection is empty.
 */
int rf_discover_manager(struct rf_client *c, struct rf_manager *m, struct rf_error *err);

/* The layer-1 switches, each a boolean property of a discovered resource. */
enum rf_service {
	RF_SVC_KVMIP,		/* NetworkProtocol KVMIP.ProtocolEnabled */
	RF_SVC_VIRTUAL_MEDIA,	/* NetworkProtocol VirtualMedia.ProtocolEnabled */
	RF_SVC_GRAPHICAL_CONSOLE, /* Manager GraphicalConsole.ServiceEnabled */
};

/** rf_service_name() - the property's path, "KVMIP.ProtocolEnabled". Never NULL. */
const char *rf_service_name(enum rf_service s);

/**
 * rf_service_get() - read one switch.
 * Context: process context, blocks.
 * Return: 0 with *enabled set; -ENOENT if the resource lacks the property.
 */
int rf_service_get(struct rf_client *c, const struct rf_manager *m, enum rf_service s,
		   bool *enabled, struct rf_error *err);

/**
 * rf_service_set() - PATCH one switch and check that it took.
 *
 * GETs the resource (ETag), PATCHes {"<Object>": {"<Property>": enabled}}
 * with If-Match (rf_patch(): one re-GET and retry on 412), then GETs it
 * again: a service that answered 2xx but kept the old value fails with -EIO.
 * Context: process context, blocks.
 * Return: 0; -ENOENT if the resource lacks the property; see rf_patch().
 */
int rf_service_set(struct rf_client *c, const struct rf_manager *m, enum rf_service s,
		   bool enabled, struct rf_error *err);

/**
 * rf_password_from_file() - read a password from a file only its owner reads.
 * @path: the file; its first line is the password (a trailing \n or \r\n
 *        is dropped).
 * @buf: receives the password, RF_PASSWORD_MAX bytes.
 *
 * Refuses a file that is not regular or whose mode has any group or other
 * bit (0600 and 0400 are fine; 0640 and 0644 are not), as ssh does keys.
 * Context: process context.
 * Return: 0; -EPERM for the mode; -EINVAL if not a regular file or empty;
 * -E2BIG if longer than RF_PASSWORD_MAX - 1; -errno of open/read.
 * Ownership: the caller should explicit_bzero() @buf after use.
 */
int rf_password_from_file(const char *path, char *buf, struct rf_error *err);

/**
 * rf_password_from_env() - read a password from an environment variable.
 * @name: the variable ("SOVEREIGN_BMC_PASSWORD").
 * @buf: receives the password, RF_PASSWORD_MAX bytes.
 * Context: process context, not thread-safe with setenv().
 * Return: 0; -ENOENT if unset or empty; -E2BIG if too long.
 */
int rf_password_from_env(const char *name, char *buf, struct rf_error *err);

/* JSON handling, pure (no I/O): redfish_json.c.  Exposed for the tests and
 * the fuzzer; the functions above use them on every answer. */

/**
 * rf_json_parse() - parse an answer's body, which must be a JSON object.
 * @buf: @len bytes, need not be NUL-terminated.
 * Return: 0 with *out set (free with cJSON_Delete()); -EPROTO otherwise.
 */
int rf_json_parse(const char *buf, size_t len, cJSON **out, struct rf_error *err);

/**
 * rf_json_link() - @obj[@prop]["@odata.id"] copied into @uri (RF_URI_MAX).
 *
 * The link must be an absolute path ("/..."), of printable ASCII without
 * spaces, shorter than RF_URI_MAX.
 * Return: 0; -ENOENT if absent; -EPROTO if not a usable path.
 */
int rf_json_link(const cJSON *obj, const char *prop, char *uri, struct rf_error *err);

/**
 * rf_json_first_member() - a collection's Members[0]["@odata.id"] into @uri.
 * Return: 0; -ENOENT if the collection is empty or has no Members; -EPROTO
 * if the member is not a usable path.
 */
int rf_json_first_member(const cJSON *coll, char *uri, struct rf_error *err);

/**
 * rf_json_bool() - @obj[@object][@prop] as a boolean.
 * Return: 0; -ENOENT if absent; -EPROTO if not a boolean.
 */
int rf_json_bool(const cJSON *obj, const char *object, const char *prop, bool *out,
		 struct rf_error *err);

/**
 * rf_json_etag() - @obj["@odata.etag"] into @etag (RF_ETAG_MAX).
 * Return: 0; -ENOENT if absent; -EPROTO if not a short printable string.
 */
int rf_json_etag(const cJSON *obj, char *etag, struct rf_error *err);

/**
 * rf_error_set() - fill @err (may be NULL) and return @code.
 * Context: any.  Return: @code, so "return rf_error_set(err, -EIO, ...);".
 */
int rf_error_set(struct rf_error *err, int code, long http_status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* SOV_REDFISH_H */
