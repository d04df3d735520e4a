/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * api.c - sovereign-fleet's HTTP API (libmicrohttpd, JSON): routing, bearer
 * authentication, the audit of every state change and refusal, and the
 * Alertmanager webhook receiver.  It only ever calls fleet_request*(),
 * fleet_emergency() and fleet_wf_*(): the engine alone takes steps.
 *
 * Threads: one, libmicrohttpd's internal polling thread (poll(), not epoll:
 * libmicrohttpd 0.9.75's epoll loop stalls with exactly 128 or 256 ready
 * connections, see readers/exporter/exporter.c).  Every callback runs there;
 * the API's own store handle is still taken under a mutex so that
 * fleet_api_stop() and any future second thread stay correct.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "mhd_log.h"

#define API_MAX_CONN      256  /* connections served at once; more closed at accept */
#define API_MAX_CONN_IP   32   /* from one address */
#define API_TIMEOUT_S     10   /* idle connection timeout (slow clients) */
#define API_LIMIT_DEFAULT 100  /* ?limit= default */
#define API_LIMIT_MAX     1000
/* Alertmanager alerts that mean "this node is down". */

struct fleet_api {
	struct fleet *f;
	struct MHD_Daemon *d;
	struct fleet_api_tokens *tokens;
	const struct fleet_store_ops *ops;
	struct fleet_store *st;   /* the API's own handle, under @lock */
	pthread_mutex_t lock;
	atomic_uint nconn;        /* open connections (accept policy) */
	char *cert, *key;         /* TLS, PEM in memory */
	int port;
};

/* One request's state, in MHD's *con_cls. */
struct req {
	char *body;
	size_t len;
	bool too_big;
	bool answered;            /* a response was queued before the body */
	char who[FLEET_API_TOKEN_NAME]; /* the token's name, "" before auth */
};

enum route_kind {
	R_HEALTHZ, R_SERVERS, R_SERVER, R_SERVER_ACTION, R_WFS, R_WF, R_WF_ACTION,
	R_AUDIT, R_WEBHOOK
};

struct route {
	enum route_kind kind;
	bool post;                /* the method the route takes: POST, else GET/HEAD */
	char id[FLEET_ID_MAX];    /* server id */
	int64_t wf;               /* workflow id */
	char action[16];
};

static const char *const server_actions[] = { "drain", "resume", "maintain", "standby", "reset" };

/* ---- responses ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, cJSON *j,
			     const char *location, const char *allow)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t n;

	cJSON_Delete(j);
	if (!text)
		text = strdup("{\"error\":\"out of memory\",\"status\":500}");
	if (!text)
		return MHD_NO;
	n = strlen(text);
	text[n] = '\0';
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"sovereign-fleet\"");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* {"error": msg, "status": code} (+ "workflow" when @wf). */
static cJSON *error_json(unsigned code, const char *msg, int64_t wf)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "error", msg);
	cJSON_AddNumberToObject(j, "status", code);
	if (wf > 0)
		cJSON_AddNumberToObject(j, "workflow", (double)wf);
	return j;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned code, const char *msg,
				   const char *allow)
{
	return reply(c, code, error_json(code, msg, 0), NULL, allow);
}

/* The HTTP status for a -errno of fleet_request() and friends. */
static unsigned status_of(int e)
{
	switch (e) {
	case -ENOENT: return MHD_HTTP_NOT_FOUND;
	case -EINVAL: return MHD_HTTP_BAD_REQUEST;
	case -EBUSY: return MHD_HTTP_CONFLICT;
	case -EPERM: return MHD_HTTP_FORBIDDEN;
	case -ECONNREFUSED: case -EIO: case -ETIMEDOUT: return MHD_HTTP_SERVICE_UNAVAILABLE;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* ---- audit ---- */

/* Add an audit line; a store failure is not the client's: the answer stands.
 * Context: MHD's thread, @a->lock held. */
static void __audit(struct fleet_api *a, const char *who, const char *method, const char *url,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void __audit(struct fleet_api *a, const char *who, const char *method, const char *url,
		    const char *fmt, ...)
{
	struct fleet_audit au = { .at = time(NULL) };
	char err[256];
	va_list ap;

	snprintf(au.who, sizeof(au.who), "%s", who && who[0] ? who : "-");
	snprintf(au.what, sizeof(au.what), "%s %.200s", method, url);
	va_start(ap, fmt);
	vsnprintf(au.outcome, sizeof(au.outcome), fmt, ap);
	va_end(ap);
	(void)a->ops->audit_add(a->st, &au, err, sizeof(err));
}

/* ---- routing ---- */

/*
 * route() - @url to @r.  Return: 0, or the HTTP status of a refusal (404
 * unknown route, 400 bad id), with @msg.
 */
static unsigned route(const char *url, struct route *r, const char **msg)
{
	char seg[3][FLEET_ID_MAX + 1];
	const char *p;
	size_t nseg = 0;

	memset(r, 0, sizeof(*r));
	*msg = "no such route";
	if (!strcmp(url, "/healthz")) {
		r->kind = R_HEALTHZ;
		return 0;
	}
	if (strncmp(url, "/api/v1/", 8))
		return MHD_HTTP_NOT_FOUND;
	for (p = url + 8; ; ) {
		size_t w = strcspn(p, "/");

		if (w == 0 || nseg == 3)
			return MHD_HTTP_NOT_FOUND;
		if (w > FLEET_ID_MAX) {
			*msg = "id too long (at most 63 bytes)";
			return MHD_HTTP_BAD_REQUEST;
		}
		memcpy(seg[nseg], p, w);
		seg[nseg++][w] = '\0';
		p += w;
		if (!*p)
			break;
		p++;
	}
	if (!strcmp(seg[0], "servers")) {
		if (nseg == 1) {
			r->kind = R_SERVERS;
			return 0;
		}
		if (!fleet_api_id_valid(seg[1])) {
			*msg = "bad server id (want [A-Za-z0-9._-]{1,63})";
			return MHD_HTTP_BAD_REQUEST;
		}
		snprintf(r->id, sizeof(r->id), "%s", seg[1]);
		if (nseg == 2) {
			r->kind = R_SERVER;
			return 0;
		}
		for (size_t i = 0; i < sizeof(server_actions) / sizeof(*server_actions); i++)
			if (!strcmp(seg[2], server_actions[i])) {
				r->kind = R_SERVER_ACTION;
				r->post = true;
				snprintf(r->action, sizeof(r->action), "%s", seg[2]);
				return 0;
			}
		return MHD_HTTP_NOT_FOUND;
	}
	if (!strcmp(seg[0], "workflows")) {
		if (nseg == 1) {
			r->kind = R_WFS;
			return 0;
		}
		if (fleet_api_wf_id(seg[1], &r->wf)) {
			*msg = "bad workflow id (want a positive integer)";
			return MHD_HTTP_BAD_REQUEST;
		}
		if (nseg == 2) {
			r->kind = R_WF;
			return 0;
		}
		if (!strcmp(seg[2], "retry") || !strcmp(seg[2], "abort")) {
			r->kind = R_WF_ACTION;
			r->post = true;
			snprintf(r->action, sizeof(r->action), "%s", seg[2]);
			return 0;
		}
		return MHD_HTTP_NOT_FOUND;
	}
	if (nseg == 1 && !strcmp(seg[0], "audit")) {
		r->kind = R_AUDIT;
		return 0;
	}
	if (nseg == 1 && !strcmp(seg[0], "alertmanager")) {
		r->kind = R_WEBHOOK;
		r->post = true;
		return 0;
	}
	return MHD_HTTP_NOT_FOUND;
}

/* ---- handlers (MHD's thread; @a->lock held for the store) ---- */

/* The store's state of @s, or a fresh "ready" one if it has none yet. */
static cJSON *server_json(struct fleet_api *a, const struct fleet_server *s, int *ret, char *err,
			  size_t errlen)
{
	struct fleet_server_state ss;

	*ret = a->ops->server_get(a->st, s->id, &ss, err, errlen);
	if (*ret == -ENOENT) { /* never seen by the engine: fleet_server_json() says ready */
		*ret = 0;
		return fleet_server_json(s, NULL);
	}
	return *ret ? NULL : fleet_server_json(s, &ss);
}

static enum MHD_Result get_servers(struct fleet_api *a, struct MHD_Connection *c,
				   const struct route *r)
{
	struct fleet_inventory *inv = fleet_inventory_get(a->f);
	cJSON *out = NULL, *arr, *one;
	char err[256] = "";
	unsigned code = MHD_HTTP_OK;
	int ret = 0;

	if (r->kind == R_SERVER) {
		const struct fleet_server *s = fleet_inventory_find(inv, r->id);

		if (!s) {
			fleet_inventory_put(a->f, inv);
			return reply_error(c, MHD_HTTP_NOT_FOUND, "no such server", NULL);
		}
		out = server_json(a, s, &ret, err, sizeof(err));
	} else {
		out = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(out, "servers");
		for (size_t i = 0; i < inv->nserver && !ret; i++) {
			one = server_json(a, &inv->server[i], &ret, err, sizeof(err));
			if (one)
				cJSON_AddItemToArray(arr, one);
		}
	}
	fleet_inventory_put(a->f, inv);
	if (ret) {
		cJSON_Delete(out);
		code = status_of(ret);
		return reply(c, code, error_json(code, err, 0), NULL, NULL);
	}
	return reply(c, code, out, NULL, NULL);
}

static int wf_add(const struct fleet_wf *w, void *ctx)
{
	cJSON *j = fleet_wf_json(w);

	if (!j)
		return -ENOMEM;
	cJSON_AddItemToArray(ctx, j);
	return 0;
}

static int audit_add_json(const struct fleet_audit *au, void *ctx)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "at", (double)au->at);
	cJSON_AddStringToObject(j, "who", au->who);
	cJSON_AddStringToObject(j, "what", au->what);
	cJSON_AddStringToObject(j, "outcome", au->outcome);
	cJSON_AddItemToArray(ctx, j);
	return 0;
}

/* ?limit=: API_LIMIT_DEFAULT if absent.  Return: 0 or -EINVAL. */
static int query_limit(struct MHD_Connection *c, int *limit)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");

	*limit = API_LIMIT_DEFAULT;
	return v ? fleet_api_uint(v, 1, API_LIMIT_MAX, limit) : 0;
}

static enum MHD_Result get_workflows(struct fleet_api *a, struct MHD_Connection *c,
				     const struct route *r)
{
	const char *server = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "server");
	const char *active = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "active");
	char err[256] = "";
	struct fleet_wf *w;
	cJSON *out, *arr;
	bool act = false;
	int limit, ret;

	if (r->kind == R_WF) {
		w = malloc(sizeof(*w));
		if (!w)
			return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
		ret = a->ops->wf_get(a->st, r->wf, w, err, sizeof(err));
		out = ret ? NULL : fleet_wf_json(w);
		free(w);
		if (ret == -ENOENT)
			return reply_error(c, MHD_HTTP_NOT_FOUND, "no such workflow", NULL);
		if (ret)
			return reply_error(c, status_of(ret), err, NULL);
		return reply(c, MHD_HTTP_OK, out, NULL, NULL);
	}
	if (server && !fleet_api_id_valid(server))
		return reply_error(c, MHD_HTTP_BAD_REQUEST,
				   "server: bad id (want [A-Za-z0-9._-]{1,63})", NULL);
	if (active) {
		if (!strcmp(active, "1") || !strcmp(active, "true"))
			act = true;
		else if (strcmp(active, "0") && strcmp(active, "false"))
			return reply_error(c, MHD_HTTP_BAD_REQUEST, "active: want 1 or 0", NULL);
	}
	if (query_limit(c, &limit))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "limit: want 1..1000", NULL);
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "workflows");
	ret = a->ops->wf_list(a->st, server, act, limit, wf_add, arr, err, sizeof(err));
	if (ret) {
		cJSON_Delete(out);
		return reply_error(c, status_of(ret), err, NULL);
	}
	return reply(c, MHD_HTTP_OK, out, NULL, NULL);
}

static enum MHD_Result get_audit(struct fleet_api *a, struct MHD_Connection *c)
{
	char err[256] = "";
	cJSON *out, *arr;
	int limit, ret;

	if (query_limit(c, &limit))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, "limit: want 1..1000", NULL);
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "audit");
	ret = a->ops->audit_list(a->st, limit, audit_add_json, arr, err, sizeof(err));
	if (ret) {
		cJSON_Delete(out);
		return reply_error(c, status_of(ret), err, NULL);
	}
	return reply(c, MHD_HTTP_OK, out, NULL, NULL);
}

/* 202 with the stored workflow @id (or just its id, should it not read back). */
static enum MHD_Result accepted(struct fleet_api *a, struct MHD_Connection *c, int64_t id)
{
	struct fleet_wf *w = malloc(sizeof(*w));
	char loc[64], err[256];
	cJSON *j = NULL;

	if (w && !a->ops->wf_get(a->st, id, w, err, sizeof(err)))
		j = fleet_wf_json(w);
	free(w);
	if (!j)
		j = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(j, "workflow");
	cJSON_AddNumberToObject(j, "workflow", (double)id);
	snprintf(loc, sizeof(loc), "/api/v1/workflows/%lld", (long long)id);
	return reply(c, MHD_HTTP_ACCEPTED, j, loc, NULL);
}

static enum MHD_Result post_server(struct fleet_api *a, struct MHD_Connection *c,
				   const struct route *r, struct req *q, const char *url)
{
	char err[FLEET_REASON_MAX] = "";
	cJSON *params = NULL;
	int64_t id = 0;
	unsigned code;
	int ret;

	ret = fleet_api_parse_action(r->action, q->body, q->len, &params, err, sizeof(err));
	if (!ret)
		ret = fleet_request(a->f, a->st, r->id, r->action, q->who, params, &id, err,
				    sizeof(err));
	cJSON_Delete(params);
	if (!ret) {
		__audit(a, q->who, "POST", url, "202 workflow %lld", (long long)id);
		return accepted(a, c, id);
	}
	code = status_of(ret);
	if (ret == -ENOENT && !err[0])
		snprintf(err, sizeof(err), "no such server");
	if (ret == -EBUSY)
		snprintf(err, sizeof(err), "%s already has an active workflow (%lld)", r->id,
			 (long long)id);
	if (ret == -EPERM && !err[0])
		snprintf(err, sizeof(err), "%s is in maintenance: no reset", r->id);
	__audit(a, q->who, "POST", url, "%u %s", code, err);
	return reply(c, code, error_json(code, err, ret == -EBUSY ? id : 0), NULL, NULL);
}

static enum MHD_Result post_wf(struct fleet_api *a, struct MHD_Connection *c,
			       const struct route *r, struct req *q, const char *url)
{
	char err[FLEET_REASON_MAX] = "";
	struct fleet_wf *w;
	unsigned code;
	cJSON *j = NULL;
	int ret;

	if (q->len && !fleet_api_parse_action("", q->body, q->len, &j, err, sizeof(err)) && j) {
		cJSON_Delete(j);
		j = NULL;
	}
	if (err[0]) {
		__audit(a, q->who, "POST", url, "400 %s", err);
		return reply_error(c, MHD_HTTP_BAD_REQUEST, err, NULL);
	}
	ret = !strcmp(r->action, "retry") ?
	      fleet_wf_retry(a->f, a->st, r->wf, q->who, err, sizeof(err)) :
	      fleet_wf_abort(a->f, a->st, r->wf, q->who, err, sizeof(err));
	if (ret) {
		/* -EINVAL here is the workflow's state, not the request's form. */
		code = ret == -EINVAL ? MHD_HTTP_CONFLICT : status_of(ret);
		if (!err[0])
			snprintf(err, sizeof(err), "%s", ret == -ENOENT ? "no such workflow" :
				 strerror(-ret));
		__audit(a, q->who, "POST", url, "%u %s", code, err);
		return reply_error(c, code, err, NULL);
	}
	__audit(a, q->who, "POST", url, "200 workflow %lld %s", (long long)r->wf, r->action);
	w = malloc(sizeof(*w));
	if (w && !a->ops->wf_get(a->st, r->wf, w, err, sizeof(err)))
		j = fleet_wf_json(w);
	free(w);
	return reply(c, MHD_HTTP_OK, j ? j : cJSON_CreateObject(), NULL, NULL);
}

static enum MHD_Result post_webhook(struct fleet_api *a, struct MHD_Connection *c,
				    struct req *q, const char *url)
{
	struct fleet_inventory *inv;
	struct fleet_api_alert *al;
	char err[FLEET_REASON_MAX] = "";
	unsigned resets = 0, ignored = 0;
	cJSON *out, *arr;
	size_t n;
	int ret;

	ret = fleet_api_parse_webhook(q->body, q->len, &al, &n, err, sizeof(err));
	if (ret) {
		__audit(a, q->who, "POST", url, "%u %s", status_of(ret), err);
		return reply_error(c, status_of(ret), err, NULL);
	}
	inv = fleet_inventory_get(a->f);
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "alerts");
	for (size_t i = 0; i < n; i++) {
		const struct fleet_server *s = fleet_api_alert_server(&al[i], inv);
		cJSON *j = cJSON_CreateObject();
		const char *action;
		int64_t id = 0;

		cJSON_AddStringToObject(j, "alertname", al[i].alertname);
		cJSON_AddStringToObject(j, "status", al[i].firing ? "firing" : "resolved");
		if (s)
			cJSON_AddStringToObject(j, "server", s->id);
		else
			cJSON_AddNullToObject(j, "server");
		err[0] = '\0';
		if (!al[i].firing) {
			action = "ignored: resolved";
		} else if (!fleet_api_node_down(al[i].alertname, inv->node_down_alerts)) {
			action = "ignored: not a node-down alert";
		} else if (!s) {
			action = "ignored: no inventory server matches its labels";
		} else {
			ret = fleet_emergency(a->f, a->st, s->id, al[i].alertname, &id, err,
					      sizeof(err));
			action = !ret ? "reset requested" :
				 ret == -EBUSY ? "busy: the server has an active workflow" :
				 ret == -EPERM ? "refused: the server is in maintenance" : "failed";
			if (!ret)
				resets++;
			if (id > 0)
				cJSON_AddNumberToObject(j, "workflow", (double)id);
			if (ret && err[0])
				cJSON_AddStringToObject(j, "error", err);
		}
		if (!strncmp(action, "ignored", 7))
			ignored++;
		cJSON_AddStringToObject(j, "action", action);
		cJSON_AddItemToArray(arr, j);
	}
	fleet_inventory_put(a->f, inv);
	free(al);
	cJSON_AddNumberToObject(out, "resets", resets);
	__audit(a, q->who, "POST", url, "200 %zu alerts: %u resets requested, %u ignored", n,
		resets, ignored);
	return reply(c, MHD_HTTP_OK, out, NULL, NULL);
}

static enum MHD_Result healthz(struct fleet_api *a, struct MHD_Connection *c)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "status", "ok");
	cJSON_AddBoolToObject(j, "leader", fleet_is_leader(a->f));
	return reply(c, MHD_HTTP_OK, j, NULL, NULL);
}

/* ---- libmicrohttpd callbacks ---- */

/* Is the request's Content-Type application/json (parameters allowed)? */
static bool json_type(struct MHD_Connection *c)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");

	return t && !strncasecmp(t, "application/json", n) &&
	       (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

/* Does the request announce a body (Content-Length > 0 or chunked)?  *@len: its length. */
static bool has_body(struct MHD_Connection *c, unsigned long long *len)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);

	*len = cl ? strtoull(cl, NULL, 10) : 0;
	return *len > 0 || (te && strcasecmp(te, "identity"));
}

/*
 * first_call() - the request head is in: route, method, authentication and
 * the body's announced type and size.  Return: MHD_YES to read the body;
 * otherwise the refusal is queued and q->answered set.
 */
static enum MHD_Result first_call(struct fleet_api *a, struct MHD_Connection *c, struct req *q,
				  const char *url, const char *method)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	unsigned long long blen;
	const char *msg, *name;
	struct route r;
	unsigned code;
	enum MHD_Result ret;

	code = route(url, &r, &msg);
	if (!code && r.kind != R_HEALTHZ) {
		/* Every /api/v1 request authenticates, reads included. */
		name = fleet_api_tokens_check(a->tokens, MHD_lookup_connection_value(
							 c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_AUTHORIZATION));
		if (!name) {
			const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								    MHD_HTTP_HEADER_AUTHORIZATION);

			pthread_mutex_lock(&a->lock);
			__audit(a, "-", method, url, "401 %s", h ? "bad token" : "no token");
			pthread_mutex_unlock(&a->lock);
			q->answered = true;
			return reply_error(c, MHD_HTTP_UNAUTHORIZED,
					   h ? "bad token" : "missing bearer token", NULL);
		}
		snprintf(q->who, sizeof(q->who), "%s", name);
	}
	if (code) {
		q->answered = true;
		return reply_error(c, code, msg, NULL);
	}
	if (r.post ? !post : !get) {
		q->answered = true;
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
				   r.post ? "POST" : "GET, HEAD");
	}
	if (has_body(c, &blen)) {
		code = 0;
		if (!post)
			code = MHD_HTTP_BAD_REQUEST, msg = "a GET takes no body";
		else if (blen > FLEET_API_BODY_MAX)
			code = MHD_HTTP_CONTENT_TOO_LARGE, msg = "body over 64 KiB";
		else if (!json_type(c))
			code = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, msg = "body must be application/json";
		if (code) {
			q->answered = true;
			if (post) {
				pthread_mutex_lock(&a->lock);
				__audit(a, q->who, method, url, "%u %s", code, msg);
				pthread_mutex_unlock(&a->lock);
			}
			ret = reply_error(c, code, msg, NULL);
			return ret;
		}
	}
	return MHD_YES;
}

static enum MHD_Result dispatch(struct fleet_api *a, struct MHD_Connection *c, struct req *q,
				const char *url)
{
	const char *msg;
	struct route r;
	enum MHD_Result ret;

	if (route(url, &r, &msg)) /* first_call() routed it already */
		return reply_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
	if (r.kind == R_HEALTHZ)
		return healthz(a, c);
	if (q->too_big) {
		pthread_mutex_lock(&a->lock);
		__audit(a, q->who, "POST", url, "413 body over 64 KiB");
		pthread_mutex_unlock(&a->lock);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body over 64 KiB", NULL);
	}
	pthread_mutex_lock(&a->lock);
	switch (r.kind) {
	case R_SERVERS: case R_SERVER: ret = get_servers(a, c, &r); break;
	case R_WFS: case R_WF: ret = get_workflows(a, c, &r); break;
	case R_AUDIT: ret = get_audit(a, c); break;
	case R_SERVER_ACTION: ret = post_server(a, c, &r, q, url); break;
	case R_WF_ACTION: ret = post_wf(a, c, &r, q, url); break;
	case R_WEBHOOK: ret = post_webhook(a, c, q, url); break;
	default: ret = reply_error(c, MHD_HTTP_NOT_FOUND, "no such route", NULL); break;
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct fleet_api *a = cls;
	struct req *q = *con_cls;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		return first_call(a, c, q, url, method);
	}
	if (q->answered) { /* refused before its body: drop what comes */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Bounded: a chunked body is counted as it comes. */
		if (q->too_big || q->len + *upload_size > FLEET_API_BODY_MAX) {
			q->too_big = true;
			free(q->body);
			q->body = NULL;
			q->len = 0;
		} else {
			char *nb = realloc(q->body, q->len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			memcpy(nb + q->len, upload, *upload_size);
			q->len += *upload_size;
			nb[q->len] = '\0';
			q->body = nb;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(a, c, q, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

/*
 * The connection limit, enforced at accept: MHD's own limit stops accepting
 * and leaves the excess waiting in the listen backlog, where a normal
 * request would wait too; closing the excess at once keeps the queue moving.
 */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct fleet_api *a = cls;

	(void)addr, (void)len;
	return atomic_load(&a->nconn) >= API_MAX_CONN ? MHD_NO : MHD_YES;
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context,
		   enum MHD_ConnectionNotificationCode code)
{
	struct fleet_api *a = cls;

	(void)c, (void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&a->nconn, 1);
	else
		atomic_fetch_sub(&a->nconn, 1);
}

/*
 * %HH-decode @s in place, except %00, left as is: a NUL would cut the C
 * string the handler sees ("/api/v1/servers/n1%00x" would read as n1), and
 * '%' is never valid in an id, so such a URL is refused.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls, (void)c;
	for (char *r = s; *r; ) {
		unsigned v;

		if (r[0] == '%' && r[1] && r[2] && sscanf(r + 1, "%2x", &v) == 1 &&
		    ((r[1] >= '0' && r[1] <= '9') || (r[1] | 0x20) >= 'a') && v != 0 &&
		    strspn(r + 1, "0123456789abcdefABCDEF") >= 2) {
			*w++ = (char)v;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* libmicrohttpd's messages, rate-limited (common/mhd_log.h).  Context: MHD's thread. */
static struct sov_mhd_log mhd_log = SOV_MHD_LOG_INIT("sovereign-fleet: api: ");

/* ---- start and stop ---- */

/* The whole of a small PEM file, NUL-terminated; a @secret one must not be world-readable. */
static int slurp_pem(const char *path, bool secret, char **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t n = 0, cap = 65536;
	struct stat st;
	char *b = NULL;
	ssize_t r;
	int ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size >= (off_t)cap) {
		snprintf(err, errlen, "%s: not a regular file under 64 KiB", path);
		goto out;
	}
	if (secret && (st.st_mode & 0004)) {
		ret = -EPERM;
		snprintf(err, errlen, "%s: the TLS key is world-readable: refused", path);
		goto out;
	}
	b = malloc(cap);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	while ((r = read(fd, b + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	if (r < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		free(b);
		goto out;
	}
	b[n] = '\0';
	*out = b;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* A listening socket for "host:port", ":port" or "[v6]:port". Return: fd or -errno. */
static int listen_on(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	const char *colon = strrchr(spec, ':');
	struct addrinfo *ai = NULL, *p;
	char host[128] = "";
	int fd = -1, rc, one = 1, port;

	if (!colon || (size_t)(colon - spec) >= sizeof(host) ||
	    fleet_api_uint(colon + 1, 0, 65535, &port)) {
		snprintf(err, errlen, "listen: want ADDR:PORT, :PORT or [V6]:PORT, not '%s'", spec);
		return -EINVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']') {
			snprintf(err, errlen, "listen: bad address '%s'", spec);
			return -EINVAL;
		}
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : "0.0.0.0", colon + 1, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "listen %s: %s", spec, gai_strerror(rc));
		return -EINVAL;
	}
	rc = -EADDRNOTAVAIL;
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, p->ai_addr, p->ai_addrlen) && !listen(fd, 1024))
			break;
		rc = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(-rc));
	return fd < 0 ? rc : fd;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int fleet_api_port(const struct fleet_api *a)
{
	return a->port;
}

int fleet_api_start(struct fleet *f, struct fleet_api **out, char *err, size_t errlen)
{
	struct fleet_inventory *inv = fleet_inventory_get(f);
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	struct fleet_api *a = calloc(1, sizeof(*a));
	int fd = -1, ret;

	*out = NULL;
	if (!a) {
		fleet_inventory_put(f, inv);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->f = f;
	pthread_mutex_init(&a->lock, NULL);
	ret = fleet_api_tokens_load(inv->tokens_file, &a->tokens, err, errlen);
	if (ret)
		goto err_free;
	if (!!inv->tls_cert[0] != !!inv->tls_key[0]) {
		ret = -EINVAL;
		snprintf(err, errlen, "tls_cert and tls_key: both or neither");
		goto err_free;
	}
	if (inv->tls_cert[0]) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			ret = -ENOTSUP;
			snprintf(err, errlen, "libmicrohttpd was built without TLS");
			goto err_free;
		}
		ret = slurp_pem(inv->tls_cert, false, &a->cert, err, errlen);
		if (!ret)
			ret = slurp_pem(inv->tls_key, true, &a->key, err, errlen);
		if (ret)
			goto err_free;
		flags |= MHD_USE_TLS;
	}
	ret = fleet_store_open(inv->store, &a->ops, &a->st, err, errlen);
	if (ret)
		goto err_free;
	fd = listen_on(inv->listen, err, errlen);
	if (fd < 0) {
		ret = fd;
		goto err_store;
	}
	a->port = local_port(fd);
	a->d = MHD_start_daemon(flags, 0, accept_policy, a, handle, a,
				MHD_OPTION_EXTERNAL_LOGGER, sov_mhd_log, &mhd_log,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, 2u * API_MAX_CONN + 16,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)API_MAX_CONN_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				MHD_OPTION_NOTIFY_CONNECTION, notify, a,
				MHD_OPTION_NOTIFY_COMPLETED, completed, a,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, a,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
				a->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, a->cert,
				MHD_OPTION_HTTPS_MEM_KEY, a->key,
				MHD_OPTION_END);
	if (!a->d) {
		ret = -EIO;
		snprintf(err, errlen, "cannot start the HTTP server on %s", inv->listen);
		close(fd);
		goto err_store;
	}
	fleet_inventory_put(f, inv);
	*out = a;
	return 0;

err_store:
	a->ops->close(a->st);
err_free:
	fleet_inventory_put(f, inv);
	fleet_api_tokens_free(a->tokens);
	free(a->cert);
	if (a->key)
		explicit_bzero(a->key, strlen(a->key));
	free(a->key);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return ret;
}

void fleet_api_stop(struct fleet_api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->d); /* joins MHD's thread: no callback runs after */
	a->ops->close(a->st);
	fleet_api_tokens_free(a->tokens);
	free(a->cert);
	if (a->key)
		explicit_bzero(a->key, strlen(a->key));
	free(a->key);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
