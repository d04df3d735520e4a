/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fleet_api.c - sovereign-fleet's HTTP API in-process (fleet_open on a
 * temporary fleet.conf and SQLite store, fleet_api_start on 127.0.0.1:0, no
 * engine: workflows stay pending), hit with libcurl, the curl binary and
 * sovereign-fleetctl; a flood and slow clients beside a normal request.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "api.h"
#include "fleet.h"

#define TOKEN_OPS "ops-0123456789abcdef0123456789abcdef"
#define TOKEN_AM  "am-fedcba9876543210fedcba9876543210xx"

static char dir[64];
static char base[64];
static struct fleet *fl;
static struct fleet_api *api;
static bool chunked_next; /* req_from() sends its body chunked */

static void write_file(const char *name, mode_t mode, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert(f, "%s: %s", p, strerror(errno));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(p, mode), 0);
}

static void write_conf(const char *extra)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
		 "[fleet]\nlisten = 127.0.0.1:0\nstore = sqlite:%s/fleet.db\n"
		 "tokens_file = %s/tokens\n%s\n"
		 "[server n1]\nexporter = 127.0.0.1:19101\nfirmware_image = http://fw/img.bin\n"
		 "[server n2]\nexporter = Node2.example:9100\npool = p2\n"
		 "[server n3]\nexporter = 127.0.0.1:19103\n", dir, dir, extra);
	write_file("fleet.conf", 0644, conf);
}

static int start(void)
{
	char p[256], err[512] = "";
	int ret;

	snprintf(p, sizeof(p), "%s/fleet.conf", dir);
	ret = fleet_open(p, &fl, err, sizeof(err));
	cr_assert_eq(ret, 0, "fleet_open: %s", err);
	ret = fleet_api_start(fl, &api, err, sizeof(err));
	if (!ret)
		snprintf(base, sizeof(base), "http://127.0.0.1:%d", fleet_api_port(api));
	return ret;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fleet-api-XXXXXX");
	cr_assert(mkdtemp(dir));
	write_file("tokens", 0600, "# operators\nops " TOKEN_OPS "\n\nalertmanager " TOKEN_AM
		   "  # the webhook\n");
	write_conf("");
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(start(), 0);
}

static void teardown(void)
{
	char cmd[128];

	fleet_api_stop(api);
	api = NULL;
	if (fl)
		fleet_close(fl);
	fl = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

/* ---- libcurl ---- */

struct resp {
	long code;
	char body[1 << 16];
	size_t n;
	char location[256];
	char allow[64];
	char www_auth[128];
	double secs;
};

static size_t on_body(char *p, size_t s, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = s * n, room = sizeof(r->body) - 1 - r->n;

	memcpy(r->body + r->n, p, len < room ? len : room);
	r->n += len < room ? len : room;
	r->body[r->n] = '\0';
	return len;
}

static size_t on_header(char *p, size_t s, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = s * n;
	char line[512];

	snprintf(line, sizeof(line), "%.*s", (int)len, p);
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "Location: ", 10))
		snprintf(r->location, sizeof(r->location), "%s", line + 10);
	if (!strncasecmp(line, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%s", line + 7);
	if (!strncasecmp(line, "WWW-Authenticate: ", 18))
		snprintf(r->www_auth, sizeof(r->www_auth), "%s", line + 18);
	return len;
}

/*
 * req() - @method @path with @token (NULL: none) and @body of @ctype; from
 * local address @from (NULL: any).  Return: the body parsed (NULL if not JSON).
 */
static cJSON *req_from(const char *from, const char *method, const char *path,
		       const char *token, const char *ctype, const char *body, size_t blen,
		       struct resp *r)
{
	struct curl_slist *h = NULL;
	char url[512], hdr[256];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (token) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, hdr);
	}
	if (ctype) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
	}
	h = curl_slist_append(h, "Expect:");
	if (chunked_next)
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	chunked_next = false;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (from) {
		snprintf(hdr, sizeof(hdr), "host!%s", from);
		curl_easy_setopt(c, CURLOPT_INTERFACE, hdr);
	}
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
	}
	rc = curl_easy_perform(c);
	cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->secs);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return cJSON_Parse(r->body);
}

static cJSON *req(const char *method, const char *path, const char *token, const char *body,
		  struct resp *r)
{
	return req_from(NULL, method, path, token, body ? "application/json" : NULL, body,
			body ? strlen(body) : 0, r);
}

static const char *jstr(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* An error answer: JSON {"error": non-empty, "status": @code}. */
static void assert_error(const cJSON *j, const struct resp *r, long code)
{
	cr_assert_eq(r->code, code, "want %ld, got %ld: %s", code, r->code, r->body);
	cr_assert(j, "error body is not JSON: %s", r->body);
	cr_assert(jstr(j, "error")[0], "no error message: %s", r->body);
	cr_assert_eq((long)jnum(j, "status"), code, "%s", r->body);
}

/* Does the audit log hold a line with @who, @what and an outcome starting @outcome? */
static bool audited(const char *who, const char *what, const char *outcome)
{
	struct resp r;
	cJSON *j = req("GET", "/api/v1/audit?limit=1000", TOKEN_OPS, NULL, &r), *a;
	bool found = false;

	cr_assert_eq(r.code, 200, "%s", r.body);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "audit"))
		if (!strcmp(jstr(a, "who"), who) && !strcmp(jstr(a, "what"), what) &&
		    !strncmp(jstr(a, "outcome"), outcome, strlen(outcome)))
			found = true;
	cJSON_Delete(j);
	return found;
}

TestSuite(fleet_api, .init = setup, .fini = teardown, .timeout = 120);

Test(fleet_api, every_route)
{
	struct resp r;
	cJSON *j, *arr;
	char path[128];
	int64_t id;

	j = req("GET", "/healthz", NULL, NULL, &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(jstr(j, "status"), "ok");
	cr_assert(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "leader")));
	cJSON_Delete(j);

	j = req("GET", "/api/v1/servers", TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 200, "%s", r.body);
	arr = cJSON_GetObjectItemCaseSensitive(j, "servers");
	cr_assert_eq(cJSON_GetArraySize(arr), 3);
	cr_assert_str_eq(jstr(cJSON_GetArrayItem(arr, 1), "id"), "n2");
	cr_assert_str_eq(jstr(cJSON_GetArrayItem(arr, 1), "pool"), "p2");
	cr_assert_str_eq(jstr(cJSON_GetArrayItem(arr, 0), "state"), "ready");
	cJSON_Delete(j);

	j = req("GET", "/api/v1/servers/n3", TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(jstr(j, "exporter"), "127.0.0.1:19103");
	cJSON_Delete(j);

	j = req("POST", "/api/v1/servers/n1/maintain", TOKEN_OPS,
		"{\"image\": \"http://fw/new.bin\", \"version\": \"2.1\"}", &r);
	cr_assert_eq(r.code, 202, "%s", r.body);
	id = (int64_t)jnum(j, "workflow");
	cr_assert_gt(id, 0);
	snprintf(path, sizeof(path), "/api/v1/workflows/%lld", (long long)id);
	cr_assert_str_eq(r.location, path);
	cr_assert_str_eq(jstr(j, "status"), "pending");
	cr_assert_str_eq(jstr(j, "kind"), "maintain");
	cJSON_Delete(j);

	j = req("GET", path, TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 200);
	cr_assert_str_eq(jstr(j, "server"), "n1");
	cr_assert_str_eq(jstr(j, "requested_by"), "ops");
	cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(j, "data"), "version"), "2.1");
	cJSON_Delete(j);

	j = req("POST", "/api/v1/servers/n2/drain", TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 202, "%s", r.body);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows?server=n1&active=1&limit=5", TOKEN_OPS, NULL, &r);
	arr = cJSON_GetObjectItemCaseSensitive(j, "workflows");
	cr_assert_eq(cJSON_GetArraySize(arr), 1, "%s", r.body);
	cr_assert_eq((int64_t)jnum(cJSON_GetArrayItem(arr, 0), "id"), id);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows", TOKEN_OPS, NULL, &r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "workflows")), 2);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows?limit=1", TOKEN_OPS, NULL, &r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "workflows")), 1);
	cJSON_Delete(j);

	/* retry of a pending workflow: its state forbids it */
	snprintf(path, sizeof(path), "/api/v1/workflows/%lld/retry", (long long)id);
	j = req("POST", path, TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 409);
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/api/v1/workflows/%lld/abort", (long long)id);
	j = req("POST", path, TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 200, "%s", r.body);
	cr_assert_str_eq(jstr(j, "status"), "aborted");
	cJSON_Delete(j);
	j = req("POST", path, TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 409);
	cJSON_Delete(j);
	j = req("POST", "/api/v1/workflows/999999/abort", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);

	cr_assert(audited("ops", "POST /api/v1/servers/n1/maintain", "202 workflow "));
	cr_assert(audited("ops", "POST /api/v1/servers/n2/drain", "202 workflow "));
	snprintf(path, sizeof(path), "POST /api/v1/workflows/%lld/abort", (long long)id);
	cr_assert(audited("ops", path, "200"));
	cr_assert(audited("ops", path, "409"));
}

Test(fleet_api, authentication)
{
	struct resp r;
	cJSON *j;

	j = req("GET", "/api/v1/servers", NULL, NULL, &r);
	assert_error(j, &r, 401);
	cr_assert(!strncmp(r.www_auth, "Bearer", 6), "WWW-Authenticate: %s", r.www_auth);
	cJSON_Delete(j);
	j = req("POST", "/api/v1/servers/n1/drain", TOKEN_OPS "x", NULL, &r);
	assert_error(j, &r, 401);
	cJSON_Delete(j);
	/* a prefix of a valid token, and the other token's name as a token */
	j = req("GET", "/api/v1/servers", "ops-0123456789abcdef0123456789abcde", NULL, &r);
	assert_error(j, &r, 401);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers", "alertmanager", NULL, &r);
	assert_error(j, &r, 401);
	cJSON_Delete(j);
	/* the webhook authenticates too */
	j = req("POST", "/api/v1/alertmanager", NULL, "{\"alerts\": []}", &r);
	assert_error(j, &r, 401);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers", TOKEN_AM, NULL, &r);
	cr_assert_eq(r.code, 200);
	cJSON_Delete(j);

	cr_assert(audited("-", "GET /api/v1/servers", "401 no token"));
	cr_assert(audited("-", "POST /api/v1/servers/n1/drain", "401 bad token"));
	cr_assert(audited("-", "POST /api/v1/alertmanager", "401 no token"));
	/* nothing was requested */
	j = req("GET", "/api/v1/workflows", TOKEN_OPS, NULL, &r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "workflows")), 0);
	cJSON_Delete(j);
}

Test(fleet_api, conflict_and_refusals)
{
	struct fleet_server_state s = { .id = "n3", .state = "maintenance" };
	const struct fleet_store_ops *ops;
	struct fleet_store *st;
	char dsn[128], err[256];
	struct resp r;
	int64_t first;
	cJSON *j;

	j = req("POST", "/api/v1/servers/n2/drain", TOKEN_OPS, NULL, &r);
	cr_assert_eq(r.code, 202);
	first = (int64_t)jnum(j, "workflow");
	cJSON_Delete(j);
	j = req("POST", "/api/v1/servers/n2/maintain", TOKEN_OPS, "{\"image\": \"x\"}", &r);
	assert_error(j, &r, 409);
	cr_assert_eq((int64_t)jnum(j, "workflow"), first, "%s", r.body);
	cJSON_Delete(j);
	cr_assert(audited("ops", "POST /api/v1/servers/n2/maintain", "409"));

	j = req("POST", "/api/v1/servers/nope/drain", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);

	/* maintain without an image anywhere (n3 has no firmware_image): 400 */
	j = req("POST", "/api/v1/servers/n3/maintain", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);

	/* a reset of a server in maintenance: 403 */
	snprintf(dsn, sizeof(dsn), "sqlite:%s/fleet.db", dir);
	cr_assert_eq(fleet_store_open(dsn, &ops, &st, err, sizeof(err)), 0, "%s", err);
	s.updated = time(NULL);
	cr_assert_eq(ops->server_put(st, &s, err, sizeof(err)), 0, "%s", err);
	ops->close(st);
	j = req("POST", "/api/v1/servers/n3/reset", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 403);
	cJSON_Delete(j);
	cr_assert(audited("ops", "POST /api/v1/servers/n3/reset", "403"));
	j = req("GET", "/api/v1/servers/n3", TOKEN_OPS, NULL, &r);
	cr_assert_str_eq(jstr(j, "state"), "maintenance");
	cJSON_Delete(j);
}

Test(fleet_api, errors_are_json)
{
	static char big[70 * 1024];
	struct resp r;
	cJSON *j;

	j = req("GET", "/api/v1/nothing", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);
	j = req("GET", "/nothing", NULL, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers/n1/", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers/nope", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 404);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers/n1/drain", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 405);
	cr_assert_str_eq(r.allow, "POST");
	cJSON_Delete(j);
	j = req("DELETE", "/api/v1/servers", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 405);
	cr_assert_str_eq(r.allow, "GET, HEAD");
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers/bad$id", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/servers/n1%00x", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows/012", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows?limit=0", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("GET", "/api/v1/workflows?server=a/b", TOKEN_OPS, NULL, &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);

	j = req("POST", "/api/v1/servers/n1/maintain", TOKEN_OPS, "{\"image\": ", &r);
	assert_error(j, &r, 400);
	cr_assert(strstr(jstr(j, "error"), "at byte"), "%s", r.body);
	cJSON_Delete(j);
	j = req("POST", "/api/v1/servers/n1/drain", TOKEN_OPS, "{\"image\": \"x\"}", &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("POST", "/api/v1/servers/n1/maintain", TOKEN_OPS, "[1]", &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);

	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	j = req_from(NULL, "POST", "/api/v1/servers/n1/maintain", TOKEN_OPS, "application/json",
		     big, sizeof(big), &r);
	assert_error(j, &r, 413);
	cJSON_Delete(j);
	/* chunked: no Content-Length to refuse early, counted as it comes */
	chunked_next = true;
	j = req_from(NULL, "POST", "/api/v1/servers/n1/maintain", TOKEN_OPS, "application/json",
		     big, sizeof(big), &r);
	assert_error(j, &r, 413);
	cJSON_Delete(j);
	j = req_from(NULL, "POST", "/api/v1/servers/n1/drain", TOKEN_OPS, "text/plain", "{}", 2,
		     &r);
	assert_error(j, &r, 415);
	cJSON_Delete(j);
	cr_assert(audited("ops", "POST /api/v1/servers/n1/drain", "415"));
	/* none of these requested anything */
	j = req("GET", "/api/v1/workflows", TOKEN_OPS, NULL, &r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "workflows")), 0);
	cJSON_Delete(j);
}

Test(fleet_api, alertmanager_webhook)
{
	const char *payload =
		"{\"version\": \"4\", \"status\": \"firing\", \"receiver\": \"fleet\","
		" \"groupKey\": \"{}:{}\", \"alerts\": ["
		"{\"status\": \"firing\", \"labels\": {\"alertname\": \"SovereignNodeDown\","
		"  \"server\": \"n1\", \"instance\": \"127.0.0.1:19103\"}},"
		"{\"status\": \"firing\", \"labels\": {\"alertname\": \"SovereignExporterDown\","
		"  \"instance\": \"node2.EXAMPLE:9100\", \"job\": \"sovereign\"}},"
		"{\"status\": \"resolved\", \"labels\": {\"alertname\": \"SovereignNodeDown\","
		"  \"node\": \"n3\"}},"
		"{\"status\": \"firing\", \"labels\": {\"alertname\": \"HostHighCpu\","
		"  \"node\": \"n3\"}},"
		"{\"status\": \"firing\", \"labels\": {\"alertname\": \"SovereignNodeDown\","
		"  \"instance\": \"10.9.9.9:9100\"}}]}";
	struct resp r;
	cJSON *j, *arr, *a;

	j = req("POST", "/api/v1/alertmanager", TOKEN_AM, payload, &r);
	cr_assert_eq(r.code, 200, "%s", r.body);
	cr_assert_eq(jnum(j, "resets"), 2, "%s", r.body);
	arr = cJSON_GetObjectItemCaseSensitive(j, "alerts");
	cr_assert_eq(cJSON_GetArraySize(arr), 5);
	a = cJSON_GetArrayItem(arr, 0); /* by the server label, not its instance */
	cr_assert_str_eq(jstr(a, "server"), "n1");
	cr_assert_str_eq(jstr(a, "action"), "reset requested");
	cr_assert_gt(jnum(a, "workflow"), 0);
	a = cJSON_GetArrayItem(arr, 1); /* by instance, host without case */
	cr_assert_str_eq(jstr(a, "server"), "n2");
	cr_assert_str_eq(jstr(a, "action"), "reset requested");
	a = cJSON_GetArrayItem(arr, 2);
	cr_assert_str_eq(jstr(a, "action"), "ignored: resolved");
	a = cJSON_GetArrayItem(arr, 3);
	cr_assert_str_eq(jstr(a, "action"), "ignored: not a node-down alert");
	a = cJSON_GetArrayItem(arr, 4);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "server")));
	cJSON_Delete(j);

	j = req("GET", "/api/v1/workflows", TOKEN_OPS, NULL, &r);
	arr = cJSON_GetObjectItemCaseSensitive(j, "workflows");
	cr_assert_eq(cJSON_GetArraySize(arr), 2, "%s", r.body);
	cJSON_ArrayForEach(a, arr) {
		cr_assert_str_eq(jstr(a, "kind"), "reset");
		cr_assert_str_neq(jstr(a, "server"), "n3");
	}
	cJSON_Delete(j);
	cr_assert(audited("alertmanager", "POST /api/v1/alertmanager", "200 5 alerts: 2 resets"));

	/* the same alert again: the server's reset is already active */
	j = req("POST", "/api/v1/alertmanager", TOKEN_AM, payload, &r);
	cr_assert_eq(r.code, 200);
	cr_assert_eq(jnum(j, "resets"), 0);
	cr_assert(strstr(r.body, "busy"), "%s", r.body);
	cJSON_Delete(j);

	j = req("POST", "/api/v1/alertmanager", TOKEN_AM, "{\"version\": \"3\", \"alerts\": []}",
		&r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
	j = req("POST", "/api/v1/alertmanager", TOKEN_AM, "{\"alerts\": [{\"labels\": 1}]}", &r);
	assert_error(j, &r, 400);
	cJSON_Delete(j);
}

Test(fleet_api_conf, tokens_file_mode, .fini = teardown, .timeout = 60)
{
	char err[512] = "", p[256];
	struct fleet_api *a = NULL;
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/fleet-api-XXXXXX");
	cr_assert(mkdtemp(dir));
	write_file("tokens", 0644, "ops " TOKEN_OPS "\n");
	write_conf("");
	snprintf(p, sizeof(p), "%s/fleet.conf", dir);
	cr_assert_eq(fleet_open(p, &fl, err, sizeof(err)), 0, "%s", err);
	ret = fleet_api_start(fl, &a, err, sizeof(err));
	cr_assert_eq(ret, -EPERM, "%d %s", ret, err);
	snprintf(p, sizeof(p), "%s/tokens", dir);
	cr_assert(strstr(err, p), "error does not name the file: %s", err);
	cr_assert_null(a);

	/* a short token: refused, naming file:line */
	write_file("tokens", 0600, "# x\nops short\n");
	ret = fleet_api_start(fl, &a, err, sizeof(err));
	cr_assert_eq(ret, -EINVAL);
	cr_assert(strstr(err, "tokens:2"), "%s", err);
	write_file("tokens", 0400, "ops " TOKEN_OPS "\n");
	ret = fleet_api_start(fl, &a, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s", err);
	api = a;
}

/* ---- the curl binary and sovereign-fleetctl ---- */

/* Run @cmd through sh; its stdout into @out.  Return: its exit status. */
static int run(const char *cmd, char *out, size_t outlen)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	cr_assert(p, "%s", cmd);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(fleet_api, curl_binary)
{
	char cmd[1024], out[8192];

	snprintf(cmd, sizeof(cmd), "curl -sS -w ' %%{http_code}' -H 'Authorization: Bearer "
		 TOKEN_OPS "' %s/api/v1/servers", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0);
	cr_assert(strstr(out, "\"n2\"") && strstr(out, " 200"), "%s", out);
	snprintf(cmd, sizeof(cmd), "curl -sS -w ' %%{http_code}' -H 'Authorization: Bearer "
		 TOKEN_OPS "' -H 'Content-Type: application/json' -d '{\"version\":\"7\"}' "
		 "%s/api/v1/servers/n1/maintain", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0);
	cr_assert(strstr(out, "\"workflow\"") && strstr(out, " 202"), "%s", out);
	snprintf(cmd, sizeof(cmd), "curl -sS -i -X POST %s/api/v1/servers/n1/drain", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0);
	cr_assert(strstr(out, " 401 ") && strcasestr(out, "WWW-Authenticate: Bearer"), "%s",
		  out);
	snprintf(cmd, sizeof(cmd), "curl -sS -w ' %%{http_code}' %s/healthz", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0);
	cr_assert(strstr(out, "\"ok\"") && strstr(out, " 200"), "%s", out);
}

Test(fleet_api, fleetctl)
{
	char cmd[1024], out[8192], tf[256];
	long long id;
	char *p;

	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " " FLEETCTL
		 " --url %s servers", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "SERVER") && strstr(out, "n1") && strstr(out, "n3"), "%s", out);
	cr_assert(strstr(out, "ready"), "%s", out);

	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " " FLEETCTL
		 " --url %s maintain n3 --image http://fw/x.bin --version 9", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	p = strstr(out, "workflow ");
	cr_assert(p, "%s", out);
	id = strtoll(p + 9, NULL, 10);
	cr_assert_gt(id, 0, "%s", out);

	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " " FLEETCTL
		 " --url %s --json workflow %lld", base, id);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"pending\"") && strstr(out, "\"n3\""), "%s", out);

	/* busy: exit 1 with the API's message on stderr */
	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " " FLEETCTL
		 " --url %s drain n3 2>&1", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "409") && strstr(out, "already has"), "%s", out);

	/* the token from a 0600 file */
	snprintf(tf, sizeof(tf), "%s/ctl-token", dir);
	write_file("ctl-token", 0600, TOKEN_OPS "\n");
	snprintf(cmd, sizeof(cmd), FLEETCTL " --url %s --token-file %s abort %lld", base, tf, id);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), FLEETCTL " --url %s --token-file %s workflows --server n3",
		 base, tf);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "aborted"), "%s", out);
	/* --wait on an ended, not done, workflow: exit 1 */
	snprintf(cmd, sizeof(cmd), FLEETCTL " --url %s --token-file %s --wait workflow %lld",
		 base, tf, id);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "aborted"), "%s", out);
	snprintf(cmd, sizeof(cmd), FLEETCTL " --url %s --token-file %s audit", base, tf);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "POST /api/v1/servers/n3/maintain"), "%s", out);

	/* refused: a 0644 token file, a wrong token, no token, an unknown server */
	chmod(tf, 0644);
	snprintf(cmd, sizeof(cmd), FLEETCTL " --url %s --token-file %s servers 2>&1", base, tf);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "0600"), "%s", out);
	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=wrong-token-wrong-token-wrong-token-x "
		 FLEETCTL " --url %s servers 2>&1", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "401"), "%s", out);
	snprintf(cmd, sizeof(cmd), "env -u SOVEREIGN_FLEET_TOKEN " FLEETCTL
		 " --url %s servers 2>&1", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " " FLEETCTL
		 " --url %s server nope 2>&1", base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "404"), "%s", out);
}

/* ---- a flood and slow clients ---- */

/* A TCP connection to the API from local address @from, sending @head (no end). */
static int slow_client(const char *from, const char *head)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons((uint16_t)fleet_api_port(api));
	cr_assert_eq(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0, "%s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		close(fd);
		return -1;
	}
	(void)!write(fd, head, strlen(head));
	return fd;
}

/* Has the server closed @fd (within @ms)? */
static bool closed_by_server(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[256];

	return poll(&p, 1, ms) == 1 && read(fd, b, sizeof(b)) <= 0;
}

Test(fleet_api, flood_and_slow_clients, .timeout = 180)
{
	enum { SLOW = 100, FLOOD = 500 };
	char cmd[1024], urls[256];
	int fds[SLOW], held = 0;
	struct resp r;
	double worst = 0;
	pid_t flood;
	FILE *f;
	cJSON *j;

	/* Slowloris from 127.0.0.2: a request head never finished. */
	for (int i = 0; i < SLOW; i++)
		fds[i] = slow_client("127.0.0.2", "GET /api/v1/servers HTTP/1.1\r\nHost: x\r\n");
	usleep(300 * 1000);
	for (int i = 0; i < SLOW; i++)
		if (fds[i] >= 0 && !closed_by_server(fds[i], 10))
			held++;
	printf("slow clients: %d of %d connections from one address held open\n", held, SLOW);
	cr_assert_leq(held, 32, "per-address limit not enforced: %d held", held);
	cr_assert_gt(held, 0);

	/* 500 concurrent connections from 127.0.0.1 (curl --parallel), while... */
	snprintf(urls, sizeof(urls), "%s/urls", dir);
	f = fopen(urls, "w");
	for (int i = 0; i < FLOOD; i++)
		fprintf(f, "url = \"%s/api/v1/servers\"\noutput = \"/dev/null\"\n", base);
	fclose(f);
	flood = fork();
	cr_assert_geq(flood, 0);
	if (!flood) {
		snprintf(cmd, sizeof(cmd), "for i in 1 2 3; do curl -s --parallel --parallel-max %d "
			 "--parallel-immediate -H 'Authorization: Bearer " TOKEN_OPS "' -K %s "
			 ">/dev/null 2>&1; done", FLOOD, urls);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	usleep(300 * 1000);
	/* ...a normal request from another address answers within 2 s. */
	for (int i = 0; i < 5; i++) {
		j = req_from("127.0.0.3", "GET", "/api/v1/servers", TOKEN_OPS, NULL, NULL, 0, &r);
		cr_assert_eq(r.code, 200, "%s", r.body);
		cJSON_Delete(j);
		if (r.secs > worst)
			worst = r.secs;
		usleep(200 * 1000);
	}
	printf("under a %d-connection flood and %d slow clients: normal request worst %.3f s\n",
	       FLOOD, held, worst);
	cr_assert_lt(worst, 2.0);
	kill(flood, SIGTERM);
	waitpid(flood, NULL, 0);
	/* The slow clients are cut off by the idle timeout (10 s). */
	sleep(1);
	for (int i = 0; i < SLOW; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	j = req("GET", "/healthz", NULL, NULL, &r);
	cr_assert_eq(r.code, 200);
	cJSON_Delete(j);
}

/* ---- TLS ---- */

/* The API over HTTPS (tls_cert, tls_key): a self-signed certificate made by
 * openssl; curl and sovereign-fleetctl verify it with --cacert; plain HTTP
 * to the TLS port gets no answer. */
Test(fleet_api_conf, tls, .fini = teardown, .timeout = 120)
{
	char err[512] = "", p[256], cmd[1536], out[8192], extra[512];
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/fleet-api-XXXXXX");
	cr_assert(mkdtemp(dir));
	write_file("tokens", 0600, "ops " TOKEN_OPS "\n");
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
		 "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem "
		 "2>/dev/null", dir, dir);
	cr_assert_eq(system(cmd), 0, "openssl req");
	snprintf(extra, sizeof(extra), "tls_cert = %s/cert.pem\ntls_key = %s/key.pem\n", dir, dir);
	write_conf(extra);
	snprintf(p, sizeof(p), "%s/fleet.conf", dir);
	cr_assert_eq(fleet_open(p, &fl, err, sizeof(err)), 0, "%s", err);
	ret = fleet_api_start(fl, &api, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s", err);
	snprintf(base, sizeof(base), "https://127.0.0.1:%d", fleet_api_port(api));

	snprintf(cmd, sizeof(cmd), "curl -sS --cacert %s/cert.pem -w ' %%{http_code}' -H "
		 "'Authorization: Bearer " TOKEN_OPS "' %s/api/v1/servers", dir, base);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "\"n1\"") && strstr(out, " 200"), "%s", out);
	/* an unverified certificate is refused by the client */
	snprintf(cmd, sizeof(cmd), "curl -sS -o /dev/null %s/healthz 2>/dev/null", base);
	cr_assert_neq(run(cmd, out, sizeof(out)), 0, "curl trusted a self-signed certificate");
	/* plain HTTP to the TLS port: no HTTP answer */
	snprintf(cmd, sizeof(cmd), "curl -sS -m 5 -o /dev/null -w '%%{http_code}' "
		 "http://127.0.0.1:%d/healthz 2>/dev/null", fleet_api_port(api));
	run(cmd, out, sizeof(out));
	cr_assert(strcmp(out, "200"), "plain HTTP was answered on the TLS port");
	/* sovereign-fleetctl with --cacert */
	snprintf(cmd, sizeof(cmd), "SOVEREIGN_FLEET_TOKEN=" TOKEN_OPS " %s --url %s --cacert "
		 "%s/cert.pem servers", FLEETCTL, base, dir);
	cr_assert_eq(run(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "n2"), "%s", out);
}
