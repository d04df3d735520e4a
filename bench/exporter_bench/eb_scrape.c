/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_scrape.c - sequential libcurl scrapes, series counting and wrk runs for
 * exporter_bench (contracts in eb_scrape.h).
 */
#define _GNU_SOURCE
#include "eb_scrape.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "bench_proc.h"

#define EB_SCRAPE_TIMEOUT_S 10L  /* Prometheus's default scrape_timeout */
#define EB_WRK_SLACK_MS     15000u /* wrk's own start-up and teardown */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct eb_peer *p = arg;
	size_t n = size * nmemb;

	p->got += n;
	if (!p->keep)
		return n;
	if (p->len + n + 1 > p->cap) {
		size_t cap = (p->len + n + 1) * 2;
		char *b = realloc(p->body, cap);

		if (!b)
			return 0; /* libcurl reports CURLE_WRITE_ERROR */
		p->body = b;
		p->cap = cap;
	}
	memcpy(p->body + p->len, data, n);
	p->len += n;
	p->body[p->len] = '\0';
	return n;
}

int eb_peer_init(struct eb_peer *p, int port, bool gzip)
{
	static const char *const hdrs[] = {
		"Accept: " EB_ACCEPT,
		"User-Agent: Prometheus/2.42.0",
		"X-Prometheus-Scrape-Timeout-Seconds: 10",
	};
	size_t i;

	memset(p, 0, sizeof(*p));
	snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%d/metrics", port);
	p->h = curl_easy_init();
	if (!p->h)
		return -ENOMEM;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		struct curl_slist *l = curl_slist_append(p->hdrs, hdrs[i]);

		if (!l)
			return -ENOMEM;
		p->hdrs = l;
	}
	if (curl_easy_setopt(p->h, CURLOPT_URL, p->url) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->hdrs) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_WRITEDATA, p) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, p->err) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_TIMEOUT, EB_SCRAPE_TIMEOUT_S) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(p->h, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK ||
	    /* "gzip" sends the header and inflates the body; NULL sends neither. */
	    curl_easy_setopt(p->h, CURLOPT_ACCEPT_ENCODING, gzip ? "gzip" : NULL) != CURLE_OK)
		return -ENOMEM;
	return 0;
}

void eb_peer_free(struct eb_peer *p)
{
	if (p->h)
		curl_easy_cleanup(p->h);
	curl_slist_free_all(p->hdrs);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

int eb_scrape(struct eb_peer *p, bool keep, uint64_t *ns, uint64_t *wire)
{
	curl_off_t dl = 0;
	long code = 0;
	uint64_t t0;
	CURLcode rc;

	p->keep = keep;
	p->len = 0;
	p->got = 0;
	p->err[0] = '\0';
	t0 = bench_now_ns();
	rc = curl_easy_perform(p->h);
	*ns = bench_now_ns() - t0;
	if (rc != CURLE_OK) {
		if (!p->err[0])
			snprintf(p->err, sizeof(p->err), "%s", curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(p->h, CURLINFO_SIZE_DOWNLOAD_T, &dl);
	*wire = (uint64_t)dl;
	if (code != 200) {
		snprintf(p->err, sizeof(p->err), "HTTP status %ld", code);
		return -EPROTO;
	}
	return 0;
}

const char *eb_content_type(struct eb_peer *p)
{
	char *ct = NULL;

	if (curl_easy_getinfo(p->h, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK || !ct)
		return "";
	return ct;
}

void eb_count_series(const char *body, size_t len, const char *prefix, const char *contains,
		     size_t *total, size_t *matching)
{
	const char *s = body, *end = body + len;
	size_t plen = strlen(prefix);

	*total = *matching = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		if (n > 0 && s[0] != '#') {
			++*total;
			if (n >= plen && memcmp(s, prefix, plen) == 0 &&
			    (!contains || memmem(s, n, contains, strlen(contains))))
				++*matching;
		}
		s += n + 1;
	}
}

/* "1.23ms" -> µs; false if the unit is unknown. */
static bool wrk_time_us(double v, const char *unit, double *us)
{
	if (strcmp(unit, "us") == 0)
		*us = v;
	else if (strcmp(unit, "ms") == 0)
		*us = v * 1e3;
	else if (strcmp(unit, "s") == 0)
		*us = v * 1e6;
	else if (strcmp(unit, "m") == 0)
		*us = v * 60e6;
	else
		return false;
	return true;
}

/* Parse wrk's output in @f into *@r.  Return: 0, or -EPROTO if incomplete. */
static int wrk_parse(FILE *f, struct eb_wrk *r)
{
	char line[512], unit[8];
	bool have_rps = false, have_n = false;
	double v;

	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		uint64_t a, b, c, d;
		double secs;
		char pct[8];

		if (sscanf(line, " Requests/sec: %lf", &v) == 1) {
			r->rps = v;
			have_rps = true;
		} else if (sscanf(line, " %" SCNu64 " requests in %lf%7[a-z]", &a, &secs, unit) == 3) {
			r->requests = a;
			have_n = wrk_time_us(secs, unit, &v);
			r->secs = v / 1e6;
		} else if (sscanf(line, " Non-2xx or 3xx responses: %" SCNu64, &a) == 1) {
			r->non2xx = a;
		} else if (sscanf(line, " Socket errors: connect %" SCNu64 ", read %" SCNu64
				  ", write %" SCNu64 ", timeout %" SCNu64, &a, &b, &c, &d) == 4) {
			r->sock_errors = a + b + c + d;
		} else if (sscanf(line, " %7[0-9]%% %lf%7[a-z]", pct, &v, unit) == 3) {
			if (strcmp(pct, "50") == 0)
				wrk_time_us(v, unit, &r->p50_us);
			else if (strcmp(pct, "99") == 0)
				wrk_time_us(v, unit, &r->p99_us);
		}
	}
	return have_rps && have_n ? 0 : -EPROTO;
}

int eb_wrk_run(const char *wrk, int port, unsigned secs, int cpu, const char *log,
	       volatile sig_atomic_t *stop, struct eb_wrk *r)
{
	char url[64], dur[24];
	char *argv[] = { (char *)wrk, "-t2", "-c8", dur, "--latency", "-H", "Accept: " EB_ACCEPT,
			 url, NULL };
	uint64_t end;
	int st = 0, ret;
	pid_t pid;
	FILE *f;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	snprintf(dur, sizeof(dur), "-d%us", secs);
	f = fopen(log, "we"); /* truncate: the file holds this run only */
	if (!f)
		return -errno;
	fclose(f);
	pid = bench_spawn(argv, cpu, log, log);
	if (pid < 0)
		return pid;
	end = bench_now_ns() + (uint64_t)(secs * 1000u + EB_WRK_SLACK_MS) * 1000000u;
	for (;;) {
		struct timespec poll = { 0, 20000000L };

		if (bench_alive(pid, &st) != 1)
			break;
		if (*stop || bench_now_ns() > end) {
			bench_stop(pid, 1000);
			return *stop ? -EINTR : -EPROTO;
		}
		nanosleep(&poll, NULL);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EPROTO;
	f = fopen(log, "re");
	if (!f)
		return -errno;
	ret = wrk_parse(f, r);
	fclose(f);
	return ret;
}
