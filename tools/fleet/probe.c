// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe.c - what the orchestrator reads of a node: one sample from its
 * exporter's /metrics (Prometheus text format), an instant PromQL query,
 * whether a URL answers.  libcurl, bounded timeouts, no credentials.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"

#define BODY_MAX (4u << 20) /* a node's /metrics is ~100 KB; more is refused */

struct body {
	char *buf;
	size_t len;
};

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	struct body *b = ud;
	size_t add = s * n;
	char *nb;

	if (b->len + add >= BODY_MAX)
		return 0;
	nb = realloc(b->buf, b->len + add + 1);
	if (!nb)
		return 0;
	b->buf = nb;
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

/* get() - GET @url into @b (NUL-terminated); 0 on a 2xx, else -errno with @err. */
static int get(const char *url, long timeout_ms, struct body *b, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode cc;

	b->buf = NULL;
	b->len = 0;
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
		free(b->buf);
		b->buf = NULL;
		return cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
		       cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "%s: HTTP %ld", url, status);
		free(b->buf);
		b->buf = NULL;
		return -EIO;
	}
	if (!b->buf)
		b->buf = calloc(1, 1);
	return b->buf ? 0 : -ENOMEM;
}

bool fleet_url_ok(const char *url, long timeout_ms)
{
	struct body b;
	char err[256];
	int rc = get(url, timeout_ms, &b, err, sizeof(err));

	free(b.buf);
	return rc == 0;
}

int fleet_probe_metric(const char *hostport, const char *name, double *value, char *err,
		       size_t errlen)
{
	char url[320];
	struct body b;
	size_t n = strlen(name);
	const char *line;
	int rc;

	snprintf(url, sizeof(url), "http://%s/metrics", hostport);
	rc = get(url, 5000, &b, err, errlen);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (line = b.buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *v;
		char *end;

		if (strncmp(line, name, n) || (line[n] != ' ' && line[n] != '{'))
			continue;
		v = line + n;
		if (*v == '{') {
			v = strchr(v, '}');
			if (!v)
				break;
			v++;
		}
		*value = strtod(v, &end);
		if (end != v) {
			rc = 0;
			break;
		}
	}
	if (rc)
		snprintf(err, errlen, "%s: no %s", url, name);
	free(b.buf);
	return rc;
}

int fleet_promql(const char *url, const char *q, double *value, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	char *esc, full[2048];
	struct body b;
	cJSON *j, *v;
	int rc;

	if (!c)
		return -ENOMEM;
	esc = curl_easy_escape(c, q, 0);
	curl_easy_cleanup(c);
	if (!esc)
		return -ENOMEM;
	snprintf(full, sizeof(full), "%s/api/v1/query?query=%s", url, esc);
	curl_free(esc);
	rc = get(full, 10000, &b, err, errlen);
	if (rc)
		return rc;
	j = cJSON_Parse(b.buf);
	free(b.buf);
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "result");
	v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(v, 0), "value"),
			       1);
	if (!cJSON_IsString(v)) {
		snprintf(err, errlen, "PromQL '%s': no result", q);
		cJSON_Delete(j);
		return -ENOENT;
	}
	*value = strtod(v->valuestring, NULL);
	cJSON_Delete(j);
	return 0;
}
