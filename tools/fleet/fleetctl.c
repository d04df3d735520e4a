/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fleetctl.c - sovereign-fleetctl, the operator's command-line client of
 * sovereign-fleet's HTTP API (libcurl): servers, workflows, the audit log,
 * and the requests (drain, resume, maintain, standby, reset, retry, abort).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "opt.h"

#define PROG        "sovereign-fleetctl"
#define DEFAULT_URL "http://127.0.0.1:9180"
#define TOKEN_ENV   "SOVEREIGN_FLEET_TOKEN"
#define TOKEN_MAX   256
#define BODY_MAX    (16 * 1024 * 1024) /* an answer, at most */

struct opts {
	const char *url, *token_file, *cacert, *server, *image, *version;
	bool json, active, wait;
	int limit, wait_s;
};

struct buf {
	char *p;
	size_t n;
	bool over;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]... COMMAND [ARG]\n"
		"The command-line client of sovereign-fleet's API.\n\n"
		"Commands:\n"
		"  servers                       the inventory and each server's state\n"
		"  server ID                     one server\n"
		"  workflows [--server ID] [--active] [--limit N]\n"
		"  workflow WF                   one workflow\n"
		"  drain|resume|standby|reset ID request that workflow on server ID\n"
		"  maintain ID [--image URI] [--version V]\n"
		"  retry WF | abort WF           a failed workflow again; end a workflow\n"
		"  audit [--limit N]             the audit log, newest first\n\n"
		"Options:\n"
		"  --url URL           the API (default " DEFAULT_URL ")\n"
		"  --token-file F      the bearer token, first line of F (mode 0600 or 0400);\n"
		"                      else $" TOKEN_ENV "\n"
		"  --cacert F          CA certificate(s) to verify an https API with\n"
		"  --json              print the API's JSON instead of a table\n"
		"  --wait              after a request (or with workflow WF), poll until the\n"
		"                      workflow ends; exit 0 only if it is done\n"
		"  --wait-timeout S    give up waiting after S seconds (default 0: never)\n"
		"  --server ID, --active, --limit N, --image URI, --version V: see above\n"
		"  -h, --help\n\n"
		"Exit status: 0 when the API answered 2xx (and, with --wait, the workflow is\n"
		"done), 1 otherwise (the API's error is printed), 2 for a usage error.\n");
}

/* The token: --token-file (owner-only mode), else the environment.  Never argv. */
static int read_token(const char *path, char *tok)
{
	const char *env;
	struct stat st;
	ssize_t n;
	int fd;

	if (!path) {
		env = getenv(TOKEN_ENV);
		if (!env || !env[0]) {
			fprintf(stderr, PROG ": no token: --token-file F or $" TOKEN_ENV "\n");
			return -ENOENT;
		}
		if (strlen(env) >= TOKEN_MAX || strpbrk(env, "\r\n")) {
			fprintf(stderr, PROG ": $" TOKEN_ENV ": not a token\n");
			return -EINVAL;
		}
		strcpy(tok, env);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, PROG ": --token-file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		fprintf(stderr, PROG ": --token-file %s: must be a regular file of mode 0600 or "
			"0400 (chmod 600 %s)\n", path, path);
		close(fd);
		return -EPERM;
	}
	n = read(fd, tok, TOKEN_MAX - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, PROG ": --token-file %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	if (!tok[0]) {
		fprintf(stderr, PROG ": --token-file %s: empty\n", path);
		return -EINVAL;
	}
	return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	char *nb;

	if (b->n + n > BODY_MAX) {
		b->over = true;
		return 0;
	}
	nb = realloc(b->p, b->n + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->n, p, n);
	b->n += n;
	nb[b->n] = '\0';
	b->p = nb;
	return n;
}

/*
 * call() - @method @path (+ @body JSON) against the API.  Return: the HTTP
 * status with *@out parsed (NULL if not JSON), or -1 (said why).
 */
static long call(const struct opts *o, const char *tok, const char *method, const char *path,
		 const char *body, cJSON **out)
{
	char url[2048], auth[TOKEN_MAX + 32], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	struct buf b = { 0 };
	CURL *c = curl_easy_init();
	long code = -1;
	CURLcode rc;

	*out = NULL;
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "%s%s", o->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: application/json");
	if (body)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, PROG ": %s: %s\n", url, cerr[0] ? cerr : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (b.p)
			*out = cJSON_Parse(b.p);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	explicit_bzero(auth, sizeof(auth));
	free(b.p);
	return code;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

/* A number member as text ("-" if absent or null). */
static const char *num(const cJSON *o, const char *k, char *buf, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (!cJSON_IsNumber(v))
		return "-";
	snprintf(buf, n, "%.0f", v->valuedouble);
	return buf;
}

static void when(const cJSON *o, const char *k, char *buf, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	time_t t = cJSON_IsNumber(v) ? (time_t)v->valuedouble : 0;
	struct tm tm;

	if (!t || !localtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "-");
}

static void print_servers(const cJSON *arr)
{
	const cJSON *s;
	char b[32];

	printf("%-20s %-16s %-9s %-12s %-10s %s\n", "SERVER", "STATE", "WORKFLOW", "POOL", "RACK",
	       "REASON");
	cJSON_ArrayForEach(s, arr)
		printf("%-20s %-16s %-9s %-12s %-10s %s\n", str(s, "id"), str(s, "state"),
		       num(s, "workflow", b, sizeof(b)), str(s, "pool"), str(s, "rack"),
		       str(s, "reason"));
}

static void print_wfs(const cJSON *arr)
{
	const cJSON *w;
	char b[32], t[32];

	printf("%-7s %-20s %-9s %-8s %-20s %-19s %-12s %s\n", "ID", "SERVER", "KIND", "STATUS",
	       "STEP", "UPDATED", "BY", "REASON");
	cJSON_ArrayForEach(w, arr) {
		when(w, "updated", t, sizeof(t));
		printf("%-7s %-20s %-9s %-8s %-20s %-19s %-12s %s\n", num(w, "id", b, sizeof(b)),
		       str(w, "server"), str(w, "kind"), str(w, "status"), str(w, "step_name"), t,
		       str(w, "requested_by"), str(w, "reason"));
	}
}

/* key: value lines of an object's scalar members. */
static void print_object(const cJSON *o)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, o) {
		char *v = cJSON_IsString(m) ? NULL : cJSON_PrintUnformatted(m);

		printf("%-14s %s\n", m->string, v ? v : m->valuestring);
		free(v);
	}
}

static void print_audit(const cJSON *arr)
{
	const cJSON *a;
	char t[32];

	printf("%-19s %-14s %-44s %s\n", "AT", "WHO", "WHAT", "OUTCOME");
	cJSON_ArrayForEach(a, arr) {
		when(a, "at", t, sizeof(t));
		printf("%-19s %-14s %-44s %s\n", t, str(a, "who"), str(a, "what"),
		       str(a, "outcome"));
	}
}

static bool ended(const char *status)
{
	return strcmp(status, "pending") && strcmp(status, "running");
}

/* Poll workflow @id until it ends.  Return: the exit status (0 only if done). */
static int wait_wf(const struct opts *o, const char *tok, long long id)
{
	time_t deadline = o->wait_s ? time(NULL) + o->wait_s : 0;
	char path[64];

	snprintf(path, sizeof(path), "/api/v1/workflows/%lld", id);
	for (;;) {
		cJSON *j;
		long code = call(o, tok, "GET", path, NULL, &j);
		int ret = -1;

		if (code != 200) {
			fprintf(stderr, PROG ": workflow %lld: %s (%ld)\n", id,
				j ? str(j, "error") : "no answer", code);
			ret = 1;
		} else if (ended(str(j, "status"))) {
			if (o->json) {
				char *s = cJSON_Print(j);

				puts(s);
				free(s);
			} else {
				printf("workflow %lld: %s %s\n", id, str(j, "status"),
				       str(j, "reason"));
			}
			ret = strcmp(str(j, "status"), "done") ? 1 : 0;
		}
		cJSON_Delete(j);
		if (ret >= 0)
			return ret;
		if (deadline && time(NULL) >= deadline) {
			fprintf(stderr, PROG ": workflow %lld: still running after %d s\n", id,
				o->wait_s);
			return 1;
		}
		sleep(2);
	}
}

static bool is_action(const char *cmd)
{
	static const char *const a[] = { "drain", "resume", "standby", "reset", "maintain" };

	for (size_t i = 0; i < sizeof(a) / sizeof(*a); i++)
		if (!strcmp(cmd, a[i]))
			return true;
	return false;
}

/* A path segment: refuse what would change the path ('/', '?', '#', '%', space). */
static bool segment_ok(const char *s)
{
	return s[0] && strlen(s) < 64 && !strpbrk(s, "/?#% \t\r\n");
}

static int run(const struct opts *o, const char *tok, const char *cmd, const char *arg)
{
	char path[512], q[256] = "";
	cJSON *j = NULL, *body = NULL;
	char *btext = NULL;
	const char *method = "GET";
	long code;
	int ret = 0;

	if (arg && !segment_ok(arg)) {
		fprintf(stderr, PROG ": %s: bad id '%s'\n", cmd, arg);
		return 2;
	}
	if (!strcmp(cmd, "servers")) {
		snprintf(path, sizeof(path), "/api/v1/servers");
	} else if (!strcmp(cmd, "server")) {
		snprintf(path, sizeof(path), "/api/v1/servers/%s", arg);
	} else if (!strcmp(cmd, "workflows")) {
		if (o->server && !segment_ok(o->server)) {
			fprintf(stderr, PROG ": --server: bad id\n");
			return 2;
		}
		snprintf(q, sizeof(q), "?limit=%d%s%s%s", o->limit ? o->limit : 100,
			 o->active ? "&active=1" : "", o->server ? "&server=" : "",
			 o->server ? o->server : "");
		snprintf(path, sizeof(path), "/api/v1/workflows%s", q);
	} else if (!strcmp(cmd, "workflow")) {
		if (o->wait)
			return wait_wf(o, tok, strtoll(arg, NULL, 10));
		snprintf(path, sizeof(path), "/api/v1/workflows/%s", arg);
	} else if (!strcmp(cmd, "audit")) {
		snprintf(path, sizeof(path), "/api/v1/audit?limit=%d", o->limit ? o->limit : 100);
	} else if (is_action(cmd)) {
		method = "POST";
		snprintf(path, sizeof(path), "/api/v1/servers/%s/%s", arg, cmd);
		if (!strcmp(cmd, "maintain") && (o->image || o->version)) {
			body = cJSON_CreateObject();
			if (o->image)
				cJSON_AddStringToObject(body, "image", o->image);
			if (o->version)
				cJSON_AddStringToObject(body, "version", o->version);
			btext = cJSON_PrintUnformatted(body);
			cJSON_Delete(body);
		}
	} else if (!strcmp(cmd, "retry") || !strcmp(cmd, "abort")) {
		method = "POST";
		snprintf(path, sizeof(path), "/api/v1/workflows/%s/%s", arg, cmd);
	} else {
		fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
		return 2;
	}
	code = call(o, tok, method, path, btext, &j);
	free(btext);
	if (code < 0)
		return 1;
	if (code < 200 || code > 299) {
		fprintf(stderr, PROG ": %s %s: %ld %s\n", method, path, code,
			j ? str(j, "error") : "(no JSON error body)");
		if (o->json && j) {
			char *s = cJSON_Print(j);

			puts(s);
			free(s);
		}
		cJSON_Delete(j);
		return 1;
	}
	if (o->json || !j) {
		char *s = j ? cJSON_Print(j) : NULL;

		if (s)
			puts(s);
		free(s);
	} else if (!strcmp(cmd, "servers")) {
		print_servers(cJSON_GetObjectItemCaseSensitive(j, "servers"));
	} else if (!strcmp(cmd, "workflows")) {
		print_wfs(cJSON_GetObjectItemCaseSensitive(j, "workflows"));
	} else if (!strcmp(cmd, "audit")) {
		print_audit(cJSON_GetObjectItemCaseSensitive(j, "audit"));
	} else if (!strcmp(method, "POST")) {
		char b[32];

		printf("workflow %s: %s %s on %s, %s\n",
		       num(j, !strcmp(cmd, "retry") || !strcmp(cmd, "abort") ? "id" : "workflow",
			   b, sizeof(b)), cmd, str(j, "kind"), str(j, "server"), str(j, "status"));
	} else {
		print_object(j);
	}
	if (o->wait && is_action(cmd)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "workflow");

		ret = cJSON_IsNumber(id) ? wait_wf(o, tok, (long long)id->valuedouble) : 1;
	}
	cJSON_Delete(j);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", no_argument, NULL, 'w' },
		{ "wait-timeout", required_argument, NULL, 'W' },
		{ "server", required_argument, NULL, 's' },
		{ "active", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "image", required_argument, NULL, 'i' },
		{ "version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct opts o = { .url = DEFAULT_URL };
	char tok[TOKEN_MAX];
	const char *cmd, *arg = NULL;
	struct sov_opt_err err;
	bool needs_arg;
	long long v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o.url = optarg; break;
		case 't': o.token_file = optarg; break;
		case 'C': o.cacert = optarg; break;
		case 'j': o.json = true; break;
		case 'w': o.wait = true; break;
		case 's': o.server = optarg; break;
		case 'a': o.active = true; break;
		case 'i': o.image = optarg; break;
		case 'v': o.version = optarg; break;
		case 'l': case 'W':
			if (sov_opt_int(c == 'l' ? "--limit" : "--wait-timeout", optarg,
					c == 'l' ? 1 : 0, c == 'l' ? 1000 : 86400, &v, &err)) {
				fprintf(stderr, PROG ": %s\n", err.msg);
				return 2;
			}
			if (c == 'l')
				o.limit = (int)v;
			else
				o.wait_s = (int)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	needs_arg = strcmp(cmd, "servers") && strcmp(cmd, "workflows") && strcmp(cmd, "audit");
	if (needs_arg)
		arg = optind < argc ? argv[optind++] : NULL;
	if ((needs_arg && !arg) || optind < argc) {
		fprintf(stderr, PROG ": %s: %s\n", cmd, needs_arg && !arg ? "an argument is missing" :
			"too many arguments");
		usage(stderr);
		return 2;
	}
	if (read_token(o.token_file, tok))
		return 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, PROG ": cannot initialise libcurl\n");
		return 1;
	}
	ret = run(&o, tok, cmd, arg);
	explicit_bzero(tok, sizeof(tok));
	curl_global_cleanup();
	return ret;
}
