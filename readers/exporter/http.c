/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http.c - sovereign-exporter's HTTP: the libmicrohttpd request handler,
 * /metrics with content negotiation and gzip, the landing page, /health,
 * and the per-status request counters.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "metrics.h"
#include "mhd_log.h"
#include "opt.h"

#include "exporter.h"

/* ---- HTTP ---- */

static void count(unsigned code)
{
	for (int i = 0; i < EXP_NCODES; i++)
		if (exp_codes[i] == code)
			atomic_fetch_add(&g.requests[i], 1);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *ctype,
				  const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	count(code);
	return ret;
}

/* Does header @value list @token (case-insensitive), not refused by q=0? */
bool accepts(const char *value, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = value; p && (p = strcasestr(p, token)); p += n) {
		const char *end = p + n;

		end += strspn(end, " \t");
		if (!strncmp(end, ";q=0", 4) && end[4] != '.')
			continue;
		if (!strncmp(end, ";q=0.0", 6) || !strncmp(end, ";q=0.000", 8))
			continue;
		return true;
	}
	return false;
}

static void release_page(void *cls)
{
	page_put(cls);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
	const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum exp_format f = acc && accepts(acc, "application/openmetrics-text") ?
			    EXP_FMT_OPENMETRICS : EXP_FMT_TEXT;
	bool gz = enc && accepts(enc, "gzip");
	struct MHD_Response *resp;
	struct page *p;
	enum MHD_Result ret;
	const char *body;
	size_t len;

	if (!authorised(c)) {
		resp = MHD_create_response_from_buffer(13, (void *)"unauthorized\n",
						       MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "sovereign", resp);
		MHD_destroy_response(resp);
		count(401);
		return ret;
	}
	refresh();
	p = page_get();
	if (!p)
		return reply_text(c, 500, "text/plain", "no page\n");
	if (page_body(p, f, gz, &body, &len)) {
		page_put(p);
		return reply_text(c, 500, "text/plain", "rendering failed\n");
	}
	/* The response borrows the page's bytes and holds a reference to it. */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body,
								      release_page, p);
	if (!resp) {
		page_put(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				f == EXP_FMT_OPENMETRICS ? EXP_CT_OPENMETRICS : EXP_CT_TEXT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	atomic_fetch_add(&g.scrapes, 1);
	count(200);
	return ret;
}

/* Does the request announce a body (a non-zero length, or chunks)? */
static bool has_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return te || (len && len[strspn(len, " \t0")]);
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>Sovereign exporter</title></head>\n"
	"<body><h1>Sovereign exporter</h1>\n"
	"<p>Sensors of this host from the Sovereign sampler's shared-memory ring.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
	"</body></html>\n";

enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)cls; (void)version; (void)upload;
	/*
	 * The first call has the head only.  What is refused is refused now:
	 * with a response queued at this call, MHD sends no "100 Continue",
	 * reads none of the body announced and closes the connection after
	 * the response.  No endpoint takes a body, so none is ever read.
	 */
	if (!*con_cls) {
		*con_cls = (void *)1;
		exp_conn_head_done(c);
		/* "/metrics%00.html" would read "/metrics" as a C string. */
		if (exp_conn_bad_url(c))
			return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
					  "method not allowed\n");
		if (has_body(c))
			return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain",
					  "no endpoint takes a request body\n");
		/* Served at the next call, which follows at once (no body to
		 * wait for): MHD keeps a connection alive only after a response
		 * queued then. */
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO; /* a body after all (has_body() said none): close */
	if (!strcmp(url, "/metrics"))
		return serve_metrics(c);
	if (!strcmp(url, "/"))
		return reply_text(c, 200, "text/html; charset=utf-8", landing);
	if (!strcmp(url, "/healthz")) {
		struct page *p;
		char body[96];

		refresh();
		p = page_get();

		/* 200 while serving: the exporter is healthy even when the
		 * sampler is not; the body says which. */
		if (!p)
			snprintf(body, sizeof(body), "ok: starting\n");
		else if (p->up)
			snprintf(body, sizeof(body), "ok\n");
		else
			snprintf(body, sizeof(body), "ok: segment %s\n", p->state);
		page_put(p);
		return reply_text(c, 200, "text/plain; charset=utf-8", body);
	}
	return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
}

/* ---- setup ---- */
