/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * page.c - sovereign-exporter's pages: one snapshot of the segments, shared
 * by reference between the request that made it and every response serving
 * it, rendered per format and encoding on first demand.
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

struct exp_global g = { .lock = PTHREAD_MUTEX_INITIALIZER };

void page_put(struct page *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	for (int f = 0; f < EXP_FMT_MAX_; f++) {
		free(p->body[f]);
		free(p->gz[f]);
	}
	exp_snapshot_free(&p->snap);
	exp_snapshot_free(&p->fan);
	exp_snapshot_free(&p->watchdog);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct page *page_get(void)
{
	struct page *p;

	pthread_mutex_lock(&g.lock);
	p = g.cur;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&g.lock);
	return p;
}

void page_swap(struct page *p)
{
	struct page *old;

	pthread_mutex_lock(&g.lock);
	old = g.cur;
	g.cur = p;
	pthread_mutex_unlock(&g.lock);
	page_put(old); /* responses still sending it hold their own reference */
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Make a page of @snap (with its ->fan and ->watchdog, when set) and
 * publish it.  Nothing is rendered here: see page_body().
 * Context: refresh().  Return: 0 or -ENOMEM (the old page stays).
 */
int publish(const struct exp_snapshot *snap)
{
	struct page *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->mu, NULL);
	rc = exp_snapshot_copy(&p->snap, snap);
	if (!rc && snap->fan && !(rc = exp_snapshot_copy(&p->fan, snap->fan)))
		p->snap.fan = &p->fan;
	if (!rc && snap->watchdog && !(rc = exp_snapshot_copy(&p->watchdog, snap->watchdog)))
		p->snap.watchdog = &p->watchdog;
	if (rc) {
		page_put(p);
		return rc;
	}
	p->up = snap->up;
	snprintf(p->state, sizeof(p->state), "%s", snap->state ? snap->state : "absent");
	page_swap(p);
	return 0;
}

/*
 * page_body() - @p rendered in format @f (gzip-compressed if @gz): made on
 * the first call for that format and encoding, the same bytes after.  The
 * exporter's own counters are as of that rendering.
 * Context: an HTTP thread.  Return: 0 with *@body / *@len pointing into
 * @p (valid while the caller holds its reference), or -ENOMEM / -EIO.
 */
int page_body(struct page *p, enum exp_format f, bool gz, const char **body, size_t *len)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	if (!p->body[f]) {
		struct exp_buf b = { 0 };
		uint64_t t0 = now_ns();

		p->snap.scrapes = atomic_load(&g.scrapes);
		for (int i = 0; i < EXP_NCODES; i++)
			p->snap.requests[i] = atomic_load(&g.requests[i]);
		p->snap.render_s = (double)atomic_load(&g.render_ns) / 1e9;
		rc = exp_render(&p->snap, f, &b);
		if (rc)
			free(b.p);
		else {
			p->body[f] = b.p;
			p->len[f] = b.len;
			atomic_store(&g.render_ns, now_ns() - t0);
		}
	}
	if (!rc && gz && !p->gz[f])
		rc = exp_gzip(p->body[f], p->len[f], &p->gz[f], &p->gzlen[f]);
	if (!rc) {
		*body = gz ? p->gz[f] : p->body[f];
		*len = gz ? p->gzlen[f] : p->len[f];
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}
