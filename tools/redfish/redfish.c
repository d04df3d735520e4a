/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish.c - the Redfish client's HTTP side on libcurl: open and close a
 * session (or basic auth), GET with ETag, PATCH with If-Match and one retry
 * on 412, any request with its status and Location / Retry-After (for the
 * actions and tasks of redfish_action.c), a leftover session deleted, the
 * service waited for after a reboot.  Discovery and the layer-1 switches
 * are in redfish_manager.c. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "redfish.h"

#define RF_BODY_MAX (4u << 20)	/* largest answer read: a resource is KBs */
#define RF_TOKEN_MAX 256	/* longest X-Auth-Token kept, with its NUL */
#define RF_BASE_MAX 200		/* longest base URL, without a path */
#define RF_NAME_MAX 128		/* longest user name */

struct rf_client {
	CURL *curl;
	char base[RF_BASE_MAX];		/* "https://host:port", no trailing '/' */
	char user[RF_NAME_MAX];
	char password[RF_PASSWORD_MAX];	/* zeroed by rf_close() */
	char token[RF_TOKEN_MAX];	/* X-Auth-Token; "" without a session */
	char session_uri[RF_URI_MAX];	/* DELETEd by rf_close(); "" if none */
	bool basic;			/* basic auth on every request */
	enum rf_auth auth;		/* as asked: may a re-login fall back? */
	char sessions_uri[RF_URI_MAX];	/* where to log in again on a 401 */
	char ca_file[RF_URI_MAX];
	bool insecure;
	long connect_timeout_ms, timeout_ms;
	char curl_err[CURL_ERROR_SIZE];
	CURLcode last_rc;		/* of the last transfer, for rf_exchange() */
};

/* struct rf_resp - one answer: status, body, the headers we use. */
struct rf_resp {
	long status;
	char *body;
	size_t len, cap;
	bool too_big;
	char etag[RF_ETAG_MAX];
	char token[RF_TOKEN_MAX];
	char location[RF_URI_MAX];
	char allow[64];
	char retry_after[64];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init() is not thread-safe: once per process. */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void resp_free(struct rf_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct rf_resp *r = ud;
	size_t add = size * n;

	if (r->len + add + 1 > RF_BODY_MAX) {
		r->too_big = true;
		return 0;	/* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	if (r->len + add + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *nb;

		while (cap < r->len + add + 1)
			cap *= 2;
		nb = realloc(r->body, cap);
		if (!nb)
			return 0;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* header_value - if @line is "Name: value", copy the trimmed value (printable
 * ASCII only, else nothing) into @dst of @cap bytes. */
static void header_value(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
	size_t nl = strlen(name), b, e;

	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return;
	b = nl + 1;
	e = n;
	while (b < e && (line[b] == ' ' || line[b] == '\t'))
		b++;
	while (e > b && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ' ||
			 line[e - 1] == '\t'))
		e--;
	if (e - b >= cap)
		return;
	for (size_t i = b; i < e; i++)
		if (line[i] < ' ' || line[i] > '~')
			return;
	memcpy(dst, line + b, e - b);
	dst[e - b] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct rf_resp *r = ud;
	size_t len = size * n;

	/* A new status line (after a 100 Continue, say): forget the old headers. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = r->token[0] = r->location[0] = r->allow[0] = '\0';
		r->retry_after[0] = '\0';
		return len;
	}
	header_value(p, len, "ETag", r->etag, sizeof(r->etag));
	header_value(p, len, "X-Auth-Token", r->token, sizeof(r->token));
	header_value(p, len, "Location", r->location, sizeof(r->location));
	header_value(p, len, "Allow", r->allow, sizeof(r->allow));
	header_value(p, len, "Retry-After", r->retry_after, sizeof(r->retry_after));
	return len;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		return -EPERM;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_GOT_NOTHING:
	case CURLE_WEIRD_SERVER_REPLY:
		return -EPROTO;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* rf_request - one HTTP exchange.  Auth: X-Auth-Token with a session, basic
 * auth once set up, nothing before (the service root, the session POST).
 * Return: 0 if an answer came (any status, in r->status); -errno if none. */
static int rf_request(struct rf_client *c, const char *method, const char *path,
		      const char *body, const char *if_match, struct rf_resp *r,
		      struct rf_error *err)
{
	char url[RF_BASE_MAX + RF_URI_MAX], hdr[RF_TOKEN_MAX + 64];
	struct curl_slist *h = NULL, *t;
	CURLcode rc;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (strlen(path) >= RF_URI_MAX || path[0] != '/')
		return rf_error_set(err, -EINVAL, 0, "%s %s: not an absolute path of < %d bytes",
				    method, path, RF_URI_MAX);
	snprintf(url, sizeof(url), "%s%s", c->base, path);

	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
	if (c->insecure) {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca_file[0]) {
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	}

	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}

	t = curl_slist_append(h, "Accept: application/json");
	h = t ? curl_slist_append(t, "OData-Version: 4.0") : NULL;
	if (h && body)
		h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
	/* No "Expect: 100-continue" round trip for small bodies. */
	if (h && body)
		h = curl_slist_append(h, "Expect:");
	if (h && if_match && if_match[0]) {
		snprintf(hdr, sizeof(hdr), "If-Match: %s", if_match);
		h = curl_slist_append(h, hdr);
	}
	if (h && c->token[0]) {
		snprintf(hdr, sizeof(hdr), "X-Auth-Token: %s", c->token);
		h = curl_slist_append(h, hdr);
	}
	if (!h) {
		curl_slist_free_all(t);
		return rf_error_set(err, -ENOMEM, 0, "%s %s: out of memory", method, path);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	if (c->basic && !c->token[0]) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
	}

	c->curl_err[0] = '\0';
	rc = curl_easy_perform(c->curl);
	c->last_rc = rc;
	if (rc != CURLE_OK) {
		ret = r->too_big ? -E2BIG : curl_errno(rc);
		rf_error_set(err, ret, 0, "%s %s%s: %s", method, c->base, path,
			     r->too_big ? "answer larger than 4 MiB"
			     : c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc));
		resp_free(r);
	} else {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	}
	/* The headers (token, password) are not kept beyond the request. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return ret;
}

/* redfish_message - the service's own words from a Redfish error body:
 * error.@Message.ExtendedInfo[0].Message, else error.message; "" if none. */
static const char *redfish_message(const struct rf_resp *r)
{
	static __thread char msg[160];
	cJSON *j, *e, *m;

	msg[0] = '\0';
	if (!r->body || !r->len)
		return msg;
	j = cJSON_ParseWithLength(r->body, r->len);
	e = cJSON_GetObjectItemCaseSensitive(j, "error");
	m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "@Message.ExtendedInfo"), 0);
	m = cJSON_GetObjectItemCaseSensitive(m, "Message");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(m) && m->valuestring)
		snprintf(msg, sizeof(msg), " (%s)", m->valuestring);
	cJSON_Delete(j);
	return msg;
}

/* status_error - 0 for a 2xx answer, else the error class of the status,
 * described with the method, path and the service's message. */
static int status_error(const struct rf_resp *r, const char *method, const char *path,
			struct rf_error *err)
{
	const char *what;
	int code;

	if (r->status >= 200 && r->status < 300)
		return 0;
	switch (r->status) {
	case 401:
		code = -EACCES;
		what = "401 Unauthorized: wrong user name or password, or the session expired";
		break;
	case 403:
		code = -EPERM;
		what = "403 Forbidden: the account may not do this";
		break;
	case 404:
		code = -ENOENT;
		what = "404 Not Found";
		break;
	case 412:
		code = -ESTALE;
		what = "412 Precondition Failed: the ETag no longer matches";
		break;
	case 428:
		code = -EPROTO;
		what = "428 Precondition Required: the service wants If-Match";
		break;
	default:
		code = -EIO;
		what = "HTTP error";
		break;
	}
	return rf_error_set(err, code, r->status, "%s %s: %s (status %ld)%s", method, path, what,
			    r->status, redfish_message(r));
}

/* location_path - the path of a Location header, which may be absolute
 * ("https://bmc/redfish/v1/SessionService/Sessions/7") or a path. */
static int location_path(const char *loc, char *out)
{
	const char *p = loc, *s = strstr(loc, "://");
	size_t n;

	if (s) {
		p = strchr(s + 3, '/');
		if (!p)
			return -EPROTO;
	}
	n = strlen(p);
	if (n == 0 || n >= RF_URI_MAX || p[0] != '/')
		return -EPROTO;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return -EPROTO;
	memcpy(out, p, n + 1);
	return 0;
}

/* session_open - POST the credentials to @sessions.  Return: 0 with the
 * token and session URI set; 1 if the service will not open a session for
 * a reason other than the credentials (AUTO may fall back to basic auth);
 * -errno otherwise. */
static int session_open(struct rf_client *c, const char *sessions, struct rf_error *err)
{
	struct rf_resp r;
	cJSON *req = cJSON_CreateObject();
	char *body;
	int ret;

	if (!req || !cJSON_AddStringToObject(req, "UserName", c->user) ||
	    !cJSON_AddStringToObject(req, "Password", c->password)) {
		cJSON_Delete(req);
		return rf_error_set(err, -ENOMEM, 0, "session: out of memory");
	}
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!body)
		return rf_error_set(err, -ENOMEM, 0, "session: out of memory");
	ret = rf_request(c, "POST", sessions, body, NULL, &r, err);
	explicit_bzero(body, strlen(body));	/* it held the password */
	cJSON_free(body);
	if (ret)
		return ret;

	switch (r.status) {
	case 403: case 404: case 405: case 501: case 503:
		ret = status_error(&r, "POST", sessions, err);
		resp_free(&r);
		return 1;
	}
	ret = status_error(&r, "POST", sessions, err);
	if (ret) {
		if (ret == -EACCES)
			rf_error_set(err, ret, r.status,
				     "login as %s at %s: 401 Unauthorized: wrong user name or password%s",
				     c->user, c->base, redfish_message(&r));
		resp_free(&r);
		return ret;
	}
	if (!r.token[0]) {
		resp_free(&r);
		return rf_error_set(err, -EPROTO, r.status,
				    "POST %s: status %ld but no X-Auth-Token header", sessions,
				    r.status);
	}
	memcpy(c->token, r.token, sizeof(c->token));
	/* Location names the session; some services only put it in the body. */
	if (!r.location[0] || location_path(r.location, c->session_uri) != 0) {
		cJSON *j = NULL;

		if (rf_json_parse(r.body, r.len, &j, NULL) == 0) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "@odata.id");

			if (cJSON_IsString(id))
				location_path(id->valuestring, c->session_uri);
			cJSON_Delete(j);
		}
	}
	resp_free(&r);
	if (!c->session_uri[0])
		/* Logged in, but nothing to DELETE on close: the session would
		 * stay until the service times it out.  Refuse to go on. */
		return rf_error_set(err, -EPROTO, 0,
				    "POST %s: session opened without a Location: it cannot be "
				    "deleted (it ends at the service's SessionTimeout)", sessions);
	return 0;
}

/* client_new - check @o and make a client that has not logged in (no
 * credentials sent until c->basic or c->token is set). */
static int client_new(const struct rf_opts *o, struct rf_client **out, struct rf_error *err)
{
	struct rf_client *c;
	const char *slash;
	size_t n;

	*out = NULL;
	if (!o || !o->base_url || !o->user || !o->password)
		return rf_error_set(err, -EINVAL, 0, "base URL, user and password are required");
	if (strncmp(o->base_url, "https://", 8) != 0 && strncmp(o->base_url, "http://", 7) != 0)
		return rf_error_set(err, -EINVAL, 0, "%s: the URL must start https:// (or http://)",
				    o->base_url);
	n = strlen(o->base_url);
	while (n > 0 && o->base_url[n - 1] == '/')
		n--;
	if (n >= RF_BASE_MAX || strlen(o->user) >= RF_NAME_MAX ||
	    strlen(o->password) >= RF_PASSWORD_MAX ||
	    (o->ca_file && strlen(o->ca_file) >= RF_URI_MAX))
		return rf_error_set(err, -E2BIG, 0, "URL, user, password or CA file too long");
	slash = strchr(strstr(o->base_url, "://") + 3, '/');
	if (slash && slash < o->base_url + n)
		return rf_error_set(err, -EINVAL, 0, "%s: give the service's scheme://host:port, "
				    "without a path", o->base_url);

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return rf_error_set(err, -ENOMEM, 0, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	c = calloc(1, sizeof(*c));
	if (!c)
		return rf_error_set(err, -ENOMEM, 0, "out of memory");
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return rf_error_set(err, -ENOMEM, 0, "libcurl: cannot create a handle");
	}
	memcpy(c->base, o->base_url, n);
	strcpy(c->user, o->user);
	strcpy(c->password, o->password);
	if (o->ca_file)
		strcpy(c->ca_file, o->ca_file);
	c->insecure = o->insecure;
	c->auth = o->auth;
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
							  : RF_CONNECT_TIMEOUT_MS_DEFAULT;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : RF_TIMEOUT_MS_DEFAULT;
	*out = c;
	return 0;
}

int rf_open(const struct rf_opts *o, struct rf_client **out, struct rf_error *err)
{
	struct rf_client *c;
	char sessions[RF_URI_MAX], check[RF_URI_MAX];
	cJSON *root = NULL;
	int ret;

	*out = NULL;
	ret = client_new(o, &c, err);
	if (ret)
		return ret;

	/* The service root needs no credentials and says where sessions are. */
	ret = rf_get(c, "/redfish/v1/", &root, NULL, err);
	if (ret)
		goto fail;

	ret = o->auth == RF_AUTH_BASIC ? 1 : rf_json_link(cJSON_GetObjectItemCaseSensitive(root,
							  "Links"), "Sessions", sessions, err);
	if (ret == -ENOENT && o->auth == RF_AUTH_AUTO)
		ret = 1;	/* no SessionService: basic auth */
	else if (ret == -ENOENT)
		rf_error_set(err, ret, 0, "%s: the service root links no Sessions collection",
			     c->base);
	if (ret == 0) {
		strcpy(c->sessions_uri, sessions);
		ret = session_open(c, sessions, err);
		if (ret == 1 && o->auth == RF_AUTH_SESSION)
			ret = err ? err->code : -EIO;
	}
	if (ret == 1) {
		/* Basic auth: prove the credentials now rather than at first use. */
		c->basic = true;
		ret = 0;
		if (rf_json_link(root, "Managers", check, NULL) == 0 ||
		    rf_json_link(root, "Systems", check, NULL) == 0) {
			cJSON *j = NULL;

			ret = rf_get(c, check, &j, NULL, err);
			cJSON_Delete(j);
			if (ret == -EACCES)
				rf_error_set(err, ret, 401, "basic auth as %s at %s: 401 Unauthorized: "
					     "wrong user name or password", c->user, c->base);
		}
	}
	if (ret)
		goto fail;
	cJSON_Delete(root);
	*out = c;
	return 0;
fail:
	cJSON_Delete(root);
	rf_close(c, NULL);	/* deletes a session opened before the failure */
	return ret;
}

int rf_close(struct rf_client *c, struct rf_error *err)
{
	struct rf_resp r;
	int ret = 0;

	if (!c)
		return 0;
	if (c->session_uri[0] && c->token[0]) {
		ret = rf_request(c, "DELETE", c->session_uri, NULL, NULL, &r, err);
		if (ret == 0) {
			/* 404: already gone (timed out); 401: the token is no
			 * longer valid, so its session is gone (timed out, or
			 * the BMC rebooted): nothing left behind either way. */
			if (r.status != 404 && r.status != 401)
				ret = status_error(&r, "DELETE", c->session_uri, err);
			resp_free(&r);
		}
	}
	curl_easy_cleanup(c->curl);
	explicit_bzero(c->password, sizeof(c->password));
	explicit_bzero(c->token, sizeof(c->token));
	free(c);
	return ret;
}

bool rf_is_session(const struct rf_client *c)
{
	return c && c->token[0];
}

/* rf_call - rf_request(), and on a 401 to a session (it expired: BMCs time
 * sessions out after SessionTimeout seconds idle) one new login and one
 * retry.  The expired session is gone from the service: nothing to delete.
 * RF_AUTH_AUTO falls back to basic auth if no session can be had now. */
static int rf_call(struct rf_client *c, const char *method, const char *path,
		   const char *body, const char *if_match, struct rf_resp *r,
		   struct rf_error *err)
{
	int ret = rf_request(c, method, path, body, if_match, r, err);

	if (ret || r->status != 401 || !c->token[0] || !c->sessions_uri[0])
		return ret;
	resp_free(r);
	c->token[0] = c->session_uri[0] = '\0';
	ret = session_open(c, c->sessions_uri, err);
	if (ret == 1 && c->auth == RF_AUTH_AUTO) {
		c->basic = true;
		ret = 0;
	} else if (ret == 1) {
		ret = err ? err->code : -EIO;
	}
	if (ret)
		return ret;
	return rf_request(c, method, path, body, if_match, r, err);
}

int rf_get(struct rf_client *c, const char *path, cJSON **body, char *etag,
	   struct rf_error *err)
{
	struct rf_resp r;
	int ret;

	*body = NULL;
	if (etag)
		etag[0] = '\0';
	ret = rf_call(c, "GET", path, NULL, NULL, &r, err);
	if (ret)
		return ret;
	ret = status_error(&r, "GET", path, err);
	if (!ret) {
		struct rf_error why = { 0 };

		ret = rf_json_parse(r.body, r.len, body, &why);
		if (ret)
			rf_error_set(err, ret, r.status, "GET %s: %s", path, why.msg);
	}
	if (!ret && etag) {
		if (r.etag[0])
			memcpy(etag, r.etag, sizeof(r.etag));
		else if (rf_json_etag(*body, etag, NULL) != 0)
			etag[0] = '\0';
	}
	resp_free(&r);
	return ret;
}

int rf_patch(struct rf_client *c, const char *path, const cJSON *body, const char *etag,
	     struct rf_error *err)
{
	char tag[RF_ETAG_MAX] = "", first[RF_ETAG_MAX];
	struct rf_resp r;
	char *txt;
	int ret = 0;

	if (etag && etag[0]) {
		if (strlen(etag) >= sizeof(tag))
			return rf_error_set(err, -E2BIG, 0, "PATCH %s: ETag too long", path);
		strcpy(tag, etag);
	}
	txt = cJSON_PrintUnformatted(body);
	if (!txt)
		return rf_error_set(err, -ENOMEM, 0, "PATCH %s: out of memory", path);

	for (int attempt = 0;; attempt++) {
		if (!tag[0]) {
			cJSON *j = NULL;

			/* No ETag yet (none given, or the 412 retry): read it. */
			ret = rf_get(c, path, &j, tag, err);
			cJSON_Delete(j);
			if (ret)
				break;
		}
		ret = rf_call(c, "PATCH", path, txt, tag, &r, err);
		if (ret)
			break;
		if (r.status == 412 && attempt == 0) {
			/* Changed since read: one re-GET (the loop's head) and
			 * one retry with the new ETag. */
			strcpy(first, tag);
			tag[0] = '\0';
			resp_free(&r);
			continue;
		}
		if (r.status == 412)
			ret = rf_error_set(err, -ESTALE, 412,
					   "PATCH %s: 412 Precondition Failed twice: the resource "
					   "changed again after it was re-read (ETag %s, then %s); "
					   "not retried further", path, first[0] ? first : "none",
					   tag[0] ? tag : "none");
		else if (r.status == 428 && !tag[0])
			ret = rf_error_set(err, -EPROTO, 428,
					   "PATCH %s: 428 Precondition Required, but the service "
					   "gives no ETag (header or @odata.etag) to send", path);
		else
			ret = status_error(&r, "PATCH", path, err);
		resp_free(&r);
		break;
	}
	cJSON_free(txt);
	return ret;
}

const char *rf_session_uri(const struct rf_client *c)
{
	return c && c->token[0] ? c->session_uri : "";
}

/* retry_after_s - the Retry-After header of @r in seconds, -1 if none. */
static long retry_after_s(const struct rf_resp *r)
{
	return r->retry_after[0] ? rf_retry_after(r->retry_after, (long long)time(NULL)) : -1;
}

int rf_exchange(struct rf_client *c, const char *method, const char *path, const cJSON *body,
		struct rf_answer *a, struct rf_error *err)
{
	struct rf_resp r;
	char *txt = NULL;
	int ret;

	memset(a, 0, sizeof(*a));
	a->retry_after_s = -1;
	if (body) {
		txt = cJSON_PrintUnformatted(body);
		if (!txt)
			return rf_error_set(err, -ENOMEM, 0, "%s %s: out of memory", method, path);
	}
	ret = rf_call(c, method, path, txt, NULL, &r, err);
	cJSON_free(txt);
	if (ret) {
		/* Nobody answered: refused, or the peer went away mid-request
		 * (a BMC rebooting cuts its connections). */
		switch (c->last_rc) {
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_GOT_NOTHING:
			ret = -ECONNREFUSED;
			if (err)
				err->code = ret;
			break;
		default:
			break;
		}
		return ret;
	}
	a->status = r.status;
	if (r.location[0] && location_path(r.location, a->location) != 0)
		a->location[0] = '\0';
	a->retry_after_s = retry_after_s(&r);
	if (r.len && rf_json_parse(r.body, r.len, &a->body, NULL) != 0)
		a->body = NULL;	/* not JSON: the status alone speaks */
	/* Keep the body of an error for rf_answer_check()'s message. */
	if (r.status >= 300 && r.len) {
		cJSON_Delete(a->body);
		a->body = cJSON_ParseWithLength(r.body, r.len);
	}
	resp_free(&r);
	return 0;
}

void rf_answer_free(struct rf_answer *a)
{
	cJSON_Delete(a->body);
	a->body = NULL;
}

int rf_answer_check(const struct rf_answer *a, const char *method, const char *path,
		    struct rf_error *err)
{
	struct rf_resp r = { .status = a->status };
	char *txt = a->body ? cJSON_PrintUnformatted(a->body) : NULL;
	int ret;

	if (txt) {
		r.body = txt;
		r.len = strlen(txt);
	}
	ret = status_error(&r, method, path, err);
	cJSON_free(txt);
	return ret;
}

int rf_session_delete(const struct rf_opts *o, const char *uri, struct rf_error *err)
{
	struct rf_client *c;
	struct rf_resp r;
	int ret;

	if (!uri || uri[0] != '/')
		return rf_error_set(err, -EINVAL, 0, "session URI must be an absolute path");
	ret = client_new(o, &c, err);
	if (ret)
		return ret;
	/* Basic auth first: a service at its session limit (the leftovers
	 * filling it) would refuse the new session needed to delete them. */
	c->basic = true;
	ret = rf_request(c, "DELETE", uri, NULL, NULL, &r, err);
	if (ret == 0 && r.status == 401 && o->auth != RF_AUTH_BASIC) {
		char sessions[RF_URI_MAX];
		cJSON *root = NULL;

		resp_free(&r);
		c->basic = false;
		ret = rf_get(c, "/redfish/v1/", &root, NULL, err);
		if (ret == 0)
			ret = rf_json_link(cJSON_GetObjectItemCaseSensitive(root, "Links"),
					   "Sessions", sessions, err);
		cJSON_Delete(root);
		if (ret == 0) {
			ret = session_open(c, sessions, err);
			if (ret == 1)
				ret = err ? err->code : -EIO;
		}
		if (ret == 0)
			ret = rf_request(c, "DELETE", uri, NULL, NULL, &r, err);
	}
	if (ret == 0) {
		ret = r.status == 404 ? 0 : status_error(&r, "DELETE", uri, err);
		resp_free(&r);
	}
	rf_close(c, NULL);	/* deletes the session it may have opened */
	return ret;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rf_service_wait(const struct rf_opts *o, long timeout_ms, struct rf_error *err)
{
	struct rf_error last = { 0 };
	struct rf_client *c;
	long long end;
	int ret;

	if (timeout_ms <= 0)
		return rf_error_set(err, -EINVAL, 0, "timeout must be > 0");
	ret = client_new(o, &c, err);
	if (ret)
		return ret;
	end = mono_ms() + timeout_ms;
	for (;;) {
		long long left = end - mono_ms();
		struct rf_resp r;

		if (left <= 0)
			break;
		c->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
								 : RF_CONNECT_TIMEOUT_MS_DEFAULT;
		c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : RF_TIMEOUT_MS_DEFAULT;
		if (c->connect_timeout_ms > left)
			c->connect_timeout_ms = (long)left;
		if (c->timeout_ms > left)
			c->timeout_ms = (long)left;
		ret = rf_request(c, "GET", "/redfish/v1/", NULL, NULL, &r, &last);
		if (ret == 0) {
			long status = r.status;

			resp_free(&r);
			if (status == 200) {
				rf_close(c, NULL);
				return 0;
			}
			rf_error_set(&last, -EIO, status, "GET %s/redfish/v1/: status %ld", c->base,
				     status);
		}
		left = end - mono_ms();
		if (left <= 0)
			break;
		{
			struct timespec ts = { 0, (left < 250 ? left : 250) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	ret = rf_error_set(err, -ETIMEDOUT, last.http_status,
			   "%s: the service did not answer within %ld ms (last: %s)", o->base_url,
			   timeout_ms, last.msg[0] ? last.msg : "nothing");
	rf_close(c, NULL);
	return ret;
}
