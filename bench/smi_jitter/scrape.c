/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scrape.c - fixed-rate /metrics scraper and one-shot GET with libcurl
 * (see scrape.h).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scrape.h"

struct sink {
	char *buf;
	size_t cap, len;
	uint64_t total;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;

	k->total += n;
	if (k->buf && k->len + 1 < k->cap) {
		size_t c = n < k->cap - 1 - k->len ? n : k->cap - 1 - k->len;

		memcpy(k->buf + k->len, p, c);
		k->len += c;
		k->buf[k->len] = '\0';
	}
	return n;
}

static CURL *handle(const char *url, struct sink *k)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* Prometheus asks for gzip; the exporter serves it pre-compressed. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
	return c;
}

int scrape_get(const char *url, char *body, size_t cap)
{
	struct sink k = { .buf = body, .cap = cap };
	long code = 0;
	CURL *c;
	CURLcode rc;

	if (cap)
		body[0] = '\0';
	c = handle(url, &k);
	if (!c)
		return -ENOMEM;
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? (int)code : -EIO;
}

static void *scrape_main(void *arg)
{
	struct scraper *s = arg;
	struct sink k = { 0 };
	const uint64_t period = (uint64_t)(1e9 / s->hz);
	struct timespec ts;
	uint64_t next;
	cpu_set_t set;
	CURL *c;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	c = handle(s->url, &k);
	if (!c)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	next = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		long code = 0;

		/* Keep-alive: the handle reuses its connection, as Prometheus does. */
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code == 200)
			s->ok++;
		else
			s->failed++;
		next += period;
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	s->bytes = k.total;
	curl_easy_cleanup(c);
	return NULL;
}

int scrape_start(struct scraper *s, const char *url, double hz, int cpu)
{
	int ret;

	memset(s, 0, sizeof(*s));
	snprintf(s->url, sizeof(s->url), "%s", url);
	s->hz = hz;
	s->cpu = cpu;
	atomic_init(&s->stop, false);
	ret = pthread_create(&s->th, NULL, scrape_main, s);
	if (ret)
		return -ret;
	s->running = true;
	return 0;
}

void scrape_stop(struct scraper *s)
{
	if (!s->running)
		return;
	atomic_store_explicit(&s->stop, true, memory_order_relaxed);
	pthread_join(s->th, NULL);      /* within one period (<= 1/hz s) */
	s->running = false;
}
