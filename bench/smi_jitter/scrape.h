/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scrape.h - a scraper of sovereign-exporter's /metrics at a fixed rate,
 * as Prometheus would, on a thread pinned to the housekeeping CPU
 * (libcurl), plus a one-shot GET used to wait for the exporter.
 */
#ifndef SOVEREIGN_JIT_SCRAPE_H
#define SOVEREIGN_JIT_SCRAPE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scraper {
	pthread_t th;
	char url[128];
	double hz;
	int cpu;
	atomic_bool stop;
	uint64_t ok, failed, bytes;     /* read after scrape_stop() (join orders them) */
	bool running;
};

/*
 * scrape_start() - scrape @url every 1/@hz s from a thread pinned to @cpu.
 * Context: process context; curl_global_init() done.  Return: 0 or -errno.
 * Ownership: scrape_stop().
 */
int scrape_start(struct scraper *s, const char *url, double hz, int cpu);

/* scrape_stop() - stop and join; the counters are final afterwards. */
void scrape_stop(struct scraper *s);

/*
 * scrape_get() - GET @url once (timeout 1 s) into @body (NUL-terminated,
 * truncated to @cap - 1).  Return: the HTTP status, or -EIO (no answer).
 */
int scrape_get(const char *url, char *body, size_t cap);

#endif /* SOVEREIGN_JIT_SCRAPE_H */
