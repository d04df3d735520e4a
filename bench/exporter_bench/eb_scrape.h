/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_scrape.h - the two ways exporter_bench loads a server: one scrape at a
 * time over a kept-alive libcurl connection, as Prometheus does, and wrk.
 * Also counts the series of an exposition.  Used by exporter_bench.c only.
 */
#ifndef EB_SCRAPE_H
#define EB_SCRAPE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/*
 * The Accept header Prometheus (>= 2.49) sends for scrape_protocols:
 * [PrometheusText0.0.4]: the text format, which both servers serve.
 */
#define EB_ACCEPT "text/plain;version=0.0.4;q=0.5,*/*;q=0.4"

/* One scrape target: a libcurl easy handle kept across scrapes (keep-alive). */
struct eb_peer {
	CURL *h;
	struct curl_slist *hdrs;
	char url[64];
	char *body;          /* the last body when kept (decompressed); owned */
	size_t len, cap;     /* of body */
	size_t got;          /* body bytes of the last scrape, kept or not */
	bool keep;           /* store the body of the next scrape */
	char err[CURL_ERROR_SIZE];
};

/*
 * eb_peer_init: prepare @p to scrape http://127.0.0.1:@port/metrics with
 * Prometheus's headers; @gzip adds "Accept-Encoding: gzip" and libcurl then
 * inflates the body, as Prometheus does.  Needs curl_global_init() first.
 * Return: 0 or -ENOMEM.  Release with eb_peer_free() in every case.
 */
int eb_peer_init(struct eb_peer *p, int port, bool gzip);

/* eb_peer_free: release @p's handle, headers and body.  Idempotent. */
void eb_peer_free(struct eb_peer *p);

/*
 * eb_scrape: one GET of /metrics over @p's connection (reused if still
 * open).  @keep stores the body in p->body (NUL-terminated).  *@ns is the
 * wall time of curl_easy_perform(), *@wire the bytes received on the wire
 * (compressed size with gzip).  Return: 0 on HTTP 200, -EIO on a transfer
 * error (message in p->err), -EPROTO on another status.
 */
int eb_scrape(struct eb_peer *p, bool keep, uint64_t *ns, uint64_t *wire);

/*
 * eb_content_type: Content-Type of @p's last response, or "" (points into
 * libcurl's handle, valid until the next scrape).
 */
const char *eb_content_type(struct eb_peer *p);

/*
 * eb_count_series: count the samples of a text exposition: *@total gets
 * every non-comment, non-empty line, *@matching the lines that start with
 * @prefix and, if @contains is not NULL, contain it.
 */
void eb_count_series(const char *body, size_t len, const char *prefix, const char *contains,
		     size_t *total, size_t *matching);

/* What wrk reported. */
struct eb_wrk {
	double rps;             /* Requests/sec */
	uint64_t requests;      /* "N requests in" */
	double secs;            /* the run's length as wrk printed it */
	double p50_us, p99_us;  /* --latency distribution */
	uint64_t non2xx;        /* "Non-2xx or 3xx responses" */
	uint64_t sock_errors;   /* connect + read + write + timeout */
};

/*
 * eb_wrk_run: run `@wrk -t2 -c8 -d@secs --latency -H "Accept: ..." URL`
 * against 127.0.0.1:@port/metrics, pinned to @cpu if >= 0, write its output
 * to @log (truncated first), and parse it into *@r.  The run is abandoned (wrk killed) when
 * *@stop becomes non-zero.  Return: 0; -EINTR when stopped; -EPROTO when wrk
 * failed or printed no Requests/sec; -errno on a spawn failure.
 */
int eb_wrk_run(const char *wrk, int port, unsigned secs, int cpu, const char *log,
	       volatile sig_atomic_t *stop, struct eb_wrk *r);

#endif /* EB_SCRAPE_H */
