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
 * before on this client, then frees everything.  A 404 or 401 to the DELETE
 * (the session timed out, or the BMC rebooted and forgot it) is success.
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

/**
 * rf_get_link() - GET @from and copy its link @prop ("@odata.id" of the
 * object @prop) into @to (RF_URI_MAX): one step of discovery.
 * Context: process context, blocks (one GET).
 * Return: 0; -ENOENT if the resource lacks the link; see rf_get().
 */
int rf_get_link(struct rf_client *c, const char *from, const char *prop, char *to,
		struct rf_error *err);

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

/* ---- Actions, resets, firmware update, tasks: redfish_action.c ----------
 *
 * Every action is found in the resource that offers it: its "target" is
 * read, never built, and the values a parameter may take are read from
 * "<Param>@Redfish.AllowableValues" in the action object, else from the
 * Parameters[] of its "@Redfish.ActionInfo".  The pure parsers are in
 * redfish_action_json.c (no I/O; fuzzed). */

#define RF_ALLOW_MAX 24		/* allowable values kept per parameter */
#define RF_VALUE_MAX 48		/* longest value (ResetType...) kept, with NUL */
#define RF_VERSION_MAX 128	/* longest firmware Version kept, with NUL */
#define RF_TASK_MSG_MAX 256	/* longest task message kept, with NUL */

/* struct rf_action - an action as the resource describes it. */
struct rf_action {
	char target[RF_URI_MAX];	/* where to POST */
	char info_uri[RF_URI_MAX];	/* its @Redfish.ActionInfo, "" if none */
	int nallow;			/* -1: the service lists no values (any
					 * may be tried); else how many below */
	char allow[RF_ALLOW_MAX][RF_VALUE_MAX];
};

/* struct rf_update - what rf_update_discover() found. */
struct rf_update {
	char uri[RF_URI_MAX];		/* the UpdateService */
	char inventory_uri[RF_URI_MAX];	/* its FirmwareInventory collection */
	struct rf_action simple;	/* #UpdateService.SimpleUpdate, with the
					 * TransferProtocol values */
};

/* struct rf_task - a long operation being followed (a firmware update). */
struct rf_task {
	char monitor[RF_URI_MAX];	/* what rf_task_poll() GETs: the Location
					 * (task monitor or Task) or the Task's
					 * @odata.id */
	char task_uri[RF_URI_MAX];	/* the Task's @odata.id once seen, or "" */
	long retry_after_s;		/* the service's Retry-After in seconds
					 * (an HTTP-date converted); -1 if none */
	long http_status;		/* status of the last answer, 0 if none */
	char state[RF_VALUE_MAX];	/* TaskState, "" if not said */
	char status[RF_VALUE_MAX];	/* TaskStatus (OK, Warning, Critical), "" */
	int percent;			/* PercentComplete, -1 if not said */
	char message[RF_TASK_MSG_MAX];	/* Messages[0].Message, "" if none */
	bool seen_running;		/* it answered "running" at least once */
	bool done;			/* a final answer came: see rf_task_poll() */
};

/**
 * rf_discover_system() - the first member of the Systems collection.
 * @uri: receives its @odata.id (RF_URI_MAX).
 * Context: process context, blocks (two GETs).
 * Return: 0; -ENOENT if the root links no Systems or it is empty.
 */
int rf_discover_system(struct rf_client *c, char *uri, struct rf_error *err);

/**
 * rf_action_find() - an action of a resource and one parameter's values.
 * @resource_uri: the resource ("/redfish/v1/Systems/437XR1138R2").
 * @action: "#ComputerSystem.Reset"; looked for in Actions, then Actions.Oem.
 * @param: "ResetType", or NULL for the target alone (a->nallow -1).
 *
 * The values come from "<param>@Redfish.AllowableValues" in the action
 * object; if absent and the action names an @Redfish.ActionInfo, from its
 * Parameters[] entry Name == @param, AllowableValues (one more GET).
 * Context: process context, blocks (one or two GETs).
 * Return: 0; -ENOENT if the resource lacks the action or the action its
 * target; -EPROTO if the target is not a usable path; -E2BIG if more than
 * RF_ALLOW_MAX values or one longer than RF_VALUE_MAX - 1.
 */
int rf_action_find(struct rf_client *c, const char *resource_uri, const char *action,
		   const char *param, struct rf_action *a, struct rf_error *err);

/**
 * rf_action_allows() - whether @value may be sent: listed, or nothing listed.
 * Context: any, pure.
 */
bool rf_action_allows(const struct rf_action *a, const char *value);

/**
 * rf_system_reset() - POST ComputerSystem.Reset with a value the system allows.
 * @system_uri: from rf_discover_system().
 * @preferred: ResetType values in order of preference, NULL-terminated
 *             ({"ForceRestart", "PowerCycle", NULL}).
 * @used: may be NULL; receives the value sent (RF_VALUE_MAX).
 *
 * Sends the first preferred value the action's AllowableValues list (the
 * first of @preferred if the service lists none).
 * Context: process context, blocks.
 * Return: 0 on a 2xx answer; -EOPNOTSUPP if none of @preferred is allowed
 * (rf_error names what is); -EINVAL if @preferred is empty; see
 * rf_action_find() and the error classes (400 from the service is -EIO).
 */
int rf_system_reset(struct rf_client *c, const char *system_uri, const char *const *preferred,
		    char *used, struct rf_error *err);

/**
 * rf_manager_reset() - POST Manager.Reset with a value the manager allows.
 *
 * As rf_system_reset() for "#Manager.Reset".  A manager that provides the
 * Redfish service answers, then reboots: the client's session is gone
 * afterwards and the service refuses connections for a while; wait for it
 * with rf_service_wait() and open a new client.
 * Context: process context, blocks.
 * Return: as rf_system_reset().
 */
int rf_manager_reset(struct rf_client *c, const char *manager_uri, const char *const *preferred,
		     char *used, struct rf_error *err);

/**
 * rf_update_discover() - the UpdateService, its SimpleUpdate action and
 * FirmwareInventory, by links from the service root.
 *
 * u->simple.target is the resource's own target (the DMTF mockup's is
 * /redfish/v1/UpdateService/Actions/SimpleUpdate); u->simple.allow holds
 * the TransferProtocol values (AllowableValues or the ActionInfo).
 * Context: process context, blocks (two to three GETs).
 * Return: 0; -ENOENT if the root links no UpdateService, or it lacks the
 * action or FirmwareInventory; see rf_action_find().
 */
int rf_update_discover(struct rf_client *c, struct rf_update *u, struct rf_error *err);

/**
 * rf_simple_update() - start a firmware update; describe the task to follow.
 * @u: from rf_update_discover().
 * @image_uri: the image ("https://repo/fw/bmc-1.2.3.bin"), at most
 *             RF_URI_MAX - 1 bytes.
 * @targets: NULL, or a NULL-terminated list of URIs to update
 *           ("/redfish/v1/Managers/BMC"); sent as Targets.
 * @t: receives the task: t->monitor to poll.
 *
 * POSTs {"ImageURI", "TransferProtocol", "Targets"}.  TransferProtocol is
 * the image's scheme in capitals, sent only when the service lists it (a
 * listed set without it fails with -EOPNOTSUPP before any POST).  Accepted
 * answers: 202 with a Location (task monitor or Task); 200/201/202 whose
 * body is a Task (has TaskState or is under a TaskService, with an
 * @odata.id).  Retry-After (seconds or an HTTP-date) is kept.
 * Context: process context, blocks.
 * Return: 0; -EPROTO if the answer names no task (no Location, no Task
 * body); -E2BIG if @image_uri is too long; see the error classes.
 */
int rf_simple_update(struct rf_client *c, const struct rf_update *u, const char *image_uri,
		     const char *const *targets, struct rf_task *t, struct rf_error *err);

/**
 * rf_task_terminal() - whether @state is final: Completed, Killed,
 * Exception or Cancelled.  Context: any, pure.
 */
bool rf_task_terminal(const char *state);

/**
 * rf_task_poll() - GET the task monitor once and update @t.
 *
 * 202: still running (a body's TaskState / PercentComplete are kept).
 * 200 with a Task body: its TaskState, TaskStatus, PercentComplete and
 * Messages[0].Message; running unless the state is terminal.  Any other 2xx
 * (a monitor's final answer that is not a Task): t->done with t->state as
 * it was.  t->done is set once the task is over: judge the outcome with
 * t->state ("Completed") and t->status ("OK"); an empty state means the
 * outcome is unknown: check the firmware version.  t->seen_running is set
 * by any answer that says the task is not over.
 * Context: process context, blocks; call it every t->retry_after_s seconds
 * (1 s if -1).  A 401 (the session expired) logs in again once (rf_get()).
 * Return: 0; -ENOENT on 404: the task is gone (after t->seen_running this
 * is normal on Dell and iLO: finished, outcome unknown, verify the version);
 * -ECONNREFUSED if the connection is refused or reset (the BMC rebooting:
 * wait with rf_service_wait()); see the error classes.
 */
int rf_task_poll(struct rf_client *c, struct rf_task *t, struct rf_error *err);

/**
 * rf_firmware_version() - the Version of the firmware of a manager (or of
 * any resource), from the FirmwareInventory.
 * @u: from rf_update_discover() (its inventory_uri).
 * @uri: a Manager ("/redfish/v1/Managers/BMC"), or an inventory member.
 * @version: receives the Version (RF_VERSION_MAX).
 *
 * The rule: @uri itself if it is a member of the inventory; else the first
 * member whose RelatedItem[] links @uri; else the first whose Id equals
 * @uri's Id (the resource's "Id", or its last path segment); else the one
 * whose Id is "BMC".
 * Context: process context, blocks (one GET per member at most, plus one).
 * Return: 0; -ENOENT if no member matches or it has no Version.
 */
int rf_firmware_version(struct rf_client *c, const struct rf_update *u, const char *uri,
			char *version, struct rf_error *err);

/**
 * rf_session_uri() - the session's URI (its Location), for the caller to
 * store and delete later if the process dies; "" with basic auth.
 * Context: any.  Return: a string owned by @c, valid until rf_close().
 */
const char *rf_session_uri(const struct rf_client *c);

/**
 * rf_session_delete() - DELETE a session a killed process left behind.
 * @opts: the service and credentials (as for rf_open()).
 * @uri: the session's URI as rf_session_uri() gave it.
 *
 * Authenticates with basic auth (no new session, which a service at its
 * session limit would refuse), else with a new session, deleted after.
 * Context: process context, blocks.
 * Return: 0 if deleted or already gone (404); see the error classes.
 */
int rf_session_delete(const struct rf_opts *opts, const char *uri, struct rf_error *err);

/**
 * rf_service_wait() - wait until GET /redfish/v1/ answers 200 (no auth):
 * after a Manager.Reset or a BMC reboot.
 * @opts: as for rf_open() (checked the same way); no credential is sent.
 * @timeout_ms: how long to try, > 0.
 *
 * Tries every 250 ms, each try bounded by opts' timeouts and what is left.
 * Context: process context, blocks for up to @timeout_ms.
 * Return: 0; -ETIMEDOUT if it never answered 200 in time (rf_error says the
 * last failure); -EINVAL for bad @opts.
 */
int rf_service_wait(const struct rf_opts *opts, long timeout_ms, struct rf_error *err);

/* Pure parsers of actions and tasks (redfish_action_json.c, no I/O). */

/**
 * rf_json_action() - @res's action @name (in Actions or Actions.Oem): its
 * target, @Redfish.ActionInfo and "<@param>@Redfish.AllowableValues".
 * @param: may be NULL.  a->nallow is -1 if the action lists no values.
 * Return: 0; -ENOENT if absent or without target; -EPROTO if a value or
 * link is malformed; -E2BIG if too many or too long values.
 */
int rf_json_action(const cJSON *res, const char *name, const char *param, struct rf_action *a,
		   struct rf_error *err);

/**
 * rf_json_action_info() - the AllowableValues of Parameters[Name == @param]
 * of an ActionInfo into @a (a->target untouched).
 * Return: 0 (a->nallow -1 if the parameter lists none); -ENOENT if the
 * parameter is absent; -EPROTO or -E2BIG as rf_json_action().
 */
int rf_json_action_info(const cJSON *info, const char *param, struct rf_action *a,
			struct rf_error *err);

/**
 * rf_json_task() - a Task body's TaskState, TaskStatus, PercentComplete,
 * Messages[0].Message and @odata.id into @t (fields absent are left).
 * Return: 0 if the body is a Task (it has TaskState); -ENOENT if not;
 * -EPROTO if a field has the wrong type.
 */
int rf_json_task(const cJSON *body, struct rf_task *t, struct rf_error *err);

/**
 * rf_json_related() - whether @item's RelatedItem[] links @uri (trailing
 * '/' ignored).  Return: true or false; pure.
 */
bool rf_json_related(const cJSON *item, const char *uri);

/**
 * rf_retry_after() - a Retry-After header's value in seconds: delta-seconds
 * ("5") or an HTTP-date, counted from @now (0 if in the past).
 * Return: seconds >= 0; -1 if @value is neither.
 */
long rf_retry_after(const char *value, long long now);

/* The HTTP side the action code uses (redfish.c). */

/* struct rf_answer - one answer, whatever its status. */
struct rf_answer {
	long status;
	cJSON *body;			/* the JSON object sent, or NULL */
	char location[RF_URI_MAX];	/* the Location header's path, or "" */
	long retry_after_s;		/* Retry-After in seconds, -1 if none */
};

/**
 * rf_exchange() - one request, with the client's auth (and the re-login on
 * a 401 of rf_get()), whose answer is returned whatever its status.
 * @method: "GET", "POST", "DELETE".
 * @body: may be NULL; the JSON to send (borrowed).
 * @a: filled when an answer came; free with rf_answer_free().
 * Context: process context, blocks.
 * Return: 0 if an answer came (a->status says which); -errno if none:
 * -ECONNREFUSED also for a connection reset or closed without an answer.
 */
int rf_exchange(struct rf_client *c, const char *method, const char *path, const cJSON *body,
		struct rf_answer *a, struct rf_error *err);

/** rf_answer_free() - free @a's body; @a may be zeroed or filled. */
void rf_answer_free(struct rf_answer *a);

/**
 * rf_answer_check() - 0 for a 2xx answer, else its error class (as rf_get()
 * would return it), described in @err with @method and @path.
 */
int rf_answer_check(const struct rf_answer *a, const char *method, const char *path,
		    struct rf_error *err);

#endif /* SOV_REDFISH_H */
