/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * segments.c - sovereign-exporter's segment polling: the sampler's, the fan
 * controller's and the watchdog's segments, attached, re-attached and
 * snapshotted into a new page only when a request finds something new.
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

/* ---- the segments: read only when a request asks for a fresh page ---- */

static const char *open_state(int rc)
{
	if (rc == -ENOENT)
		return "absent";
	if (rc == -SOV_ENOTREADY)
		return "initialising";
	return "error";
}

/* One segment the exporter follows: the sampler's, the fan's or the watchdog's. */
struct seg_poll {
	const char *name;         /* shm name; "" disables */
	struct sov_reader *r;     /* NULL: not attached */
	struct sov_sample *s;
	uint64_t last_head, last_gen;
	int last_err;             /* last open error said, to say it once */
	int status;               /* sov_reader_status() of this round */
	struct exp_snapshot snap;
};

static void seg_detached(struct seg_poll *p, const char *state)
{
	p->snap.attached = p->snap.up = p->snap.have_sample = false;
	p->snap.n = 0;
	p->snap.state = state;
}

/*
 * seg_step() - attach @p if needed, re-attach it on -SOV_ERESTARTED.
 * Context: refresh().  Return: true when it has a new sample or
 * generation since the last seg_take().
 */
static bool seg_step(struct seg_poll *p)
{
	int rc;

	if (!p->r) {
		rc = sov_reader_open(p->name, NULL, &p->r);
		if (rc) {
			p->r = NULL;
			if (rc != p->last_err)
				fprintf(stderr, PROG ": segment %s: %s\n", p->name, sov_strerror(rc));
			p->last_err = rc;
		} else {
			sov_sample_free(p->s);
			p->s = sov_sample_alloc(p->r);
			if (!p->s) {
				sov_reader_close(p->r);
				p->r = NULL;
				rc = -ENOMEM;
			}
		}
		if (!p->r) {
			seg_detached(p, open_state(rc));
			return false;
		}
		p->last_err = 0;
		p->last_head = 0;
		fprintf(stderr, PROG ": attached to %s, generation %llu\n", p->name,
			(unsigned long long)sov_reader_header(p->r)->generation);
	}
	p->status = sov_reader_status(p->r);
	if (p->status == -SOV_ERESTARTED) {
		/* The writer restarted: a new generation, maybe a new layout. */
		rc = sov_reader_reattach(p->r);
		if (rc == 0) {
			sov_sample_free(p->s);
			p->s = sov_sample_alloc(p->r);
			if (!p->s) {
				sov_reader_close(p->r);
				p->r = NULL;
				seg_detached(p, "error");
				return true;
			}
			p->status = sov_reader_status(p->r);
			fprintf(stderr, PROG ": re-attached to %s, generation %llu\n", p->name,
				(unsigned long long)sov_reader_header(p->r)->generation);
		}
	}
	return sov_reader_head(p->r) != p->last_head ||
	       sov_reader_header(p->r)->generation != p->last_gen;
}

/* The writer's period of @p, or 0 when not attached or unknown. */
static uint64_t seg_period(const struct seg_poll *p)
{
	return p->r ? sov_reader_header(p->r)->period_ns : 0;
}

/* seg_take() - snapshot @p (if attached) for the next rendering. */
static void seg_take(struct seg_poll *p, uint64_t window_ns)
{
	uint64_t period = seg_period(p) ? seg_period(p) : 100000000u;
	uint64_t stale = g.o.stale_ms ? g.o.stale_ms * 1000000u : 5 * period;
	int rc;

	if (!p->r)
		return;
	p->last_head = sov_reader_head(p->r);
	p->last_gen = sov_reader_header(p->r)->generation;
	rc = exp_snapshot_take(p->r, p->s, p->status, window_ns, stale, &p->snap);
	if (rc == -ENOBUFS) {
		sov_sample_free(p->s);
		p->s = sov_sample_alloc(p->r);
	}
}

static void seg_close(struct seg_poll *p)
{
	exp_snapshot_free(&p->snap);
	sov_sample_free(p->s);
	sov_reader_close(p->r);
	p->s = NULL;
	p->r = NULL;
}

enum { SEG_SAMPLER, SEG_FAN, SEG_WATCHDOG, SEG_MAX_ };

/* The segments, read by whichever HTTP request refreshes them (under .lock). */
static struct {
	pthread_mutex_t lock;
	struct seg_poll seg[SEG_MAX_];
	uint64_t last_page_ns;
} segs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * refresh() - make a new page if any segment has a new sample or
 * generation, or the page is a second old (so that age and staleness move
 * while writers are silent); else keep the current page.  Reads only
 * shared memory: never a sensor, and the seqlock reader never waits for
 * the sampler.  A sample nobody asks for costs nothing.
 * Context: an HTTP request (or start-up); serialised by segs.lock.
 */
void refresh(void)
{
	struct seg_poll *seg = segs.seg;
	uint64_t t;
	bool again;

	pthread_mutex_lock(&segs.lock);
	t = now_ns();
	again = !segs.last_page_ns || t - segs.last_page_ns >= 1000000000u;
	for (int i = 0; i < SEG_MAX_; i++)
		if (seg[i].name[0]) /* "": disabled */
			again |= seg_step(&seg[i]);
	if (again) {
		for (int i = 0; i < SEG_MAX_; i++)
			if (seg[i].name[0])
				seg_take(&seg[i], i == SEG_SAMPLER ? g.o.window_s * 1000000000u : 0);
		seg[SEG_SAMPLER].snap.fan = seg[SEG_FAN].name[0] ? &seg[SEG_FAN].snap : NULL;
		seg[SEG_SAMPLER].snap.watchdog =
			seg[SEG_WATCHDOG].name[0] ? &seg[SEG_WATCHDOG].snap : NULL;
		if (!publish(&seg[SEG_SAMPLER].snap))
			segs.last_page_ns = t;
	}
	pthread_mutex_unlock(&segs.lock);
}

void segs_open(void)
{
	segs.seg[SEG_SAMPLER].name = g.o.segment;
	segs.seg[SEG_FAN].name = g.o.fan_segment;
	segs.seg[SEG_WATCHDOG].name = g.o.watchdog_segment;
	refresh(); /* attach now, so that a wrong name is said at start */
}

void segs_close(void)
{
	for (int i = 0; i < SEG_MAX_; i++)
		if (segs.seg[i].name)
			seg_close(&segs.seg[i]);
}
