/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump_follow.c - sovereign-dump --follow: prints new samples and events as
 * they come, re-attaches across sampler restarts, stops on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "opt.h"
#include "shm_names.h"
#include "sovereign.h"

#include "dump.h"

/* Set by the SIGINT/SIGTERM handler, polled by the follow loop. */
static volatile sig_atomic_t stop_requested;
/* --follow. */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Print one NDJSON line and free @o.  Return: 0 or -ENOMEM. */
static int emit_json(struct dump *d, cJSON *o)
{
	char *line = d->oom ? NULL : cJSON_PrintUnformatted(o);
	int rc = 0;

	if (line) {
		printf("%s\n", line);
		fflush(stdout);
	} else {
		rc = -ENOMEM;
	}
	free(line);
	cJSON_Delete(o);
	d->oom = false;
	return rc;
}

/* A status line: {"event":@what, ...} or "sovereign-dump: @msg". */
static int emit_status(struct dump *d, const char *what, const char *msg, int err)
{
	const struct sov_header *h = sov_reader_header(d->r);
	cJSON *o;

	if (!d->o.json) {
		printf("--- %s ---\n", msg);
		fflush(stdout);
		return 0;
	}
	o = jchk(d, cJSON_CreateObject());
	json_str(d, o, "event", what);
	json_str(d, o, "message", msg);
	if (err)
		json_str(d, o, "error", sov_strerror(err));
	else {
		json_u64(d, o, "generation", h->generation);
		json_i64(d, o, "writer_pid", h->writer_pid);
	}
	return emit_json(d, o);
}

/* Print the samples published since d->last_sample.  Return: 0 or -SOV_E*. */
static int follow_samples(struct dump *d)
{
	const struct sov_header *h = sov_reader_header(d->r);
	uint64_t head = sov_reader_head(d->r), n;
	int rc;

	if (head <= d->last_sample)
		return 0;
	n = d->last_sample + 1;
	/* Fell behind by more than the ring holds: skip to what is there. */
	if (head - n + 2 > h->nslots)
		n = head + 2 - h->nslots;
	for (; n <= head && !stop_requested; n++) {
		rc = sov_reader_sample(d->r, n, d->sample);
		if (rc == -SOV_EGONE)
			continue; /* overwritten meanwhile */
		if (rc == -SOV_EBUSY)
			return 0; /* writer too quick for one copy: next poll */
		if (rc)
			return rc;
		d->last_sample = n;
		if (d->o.json) {
			cJSON *o = json_sample(d, d->sample);

			json_str(d, o, "event", "sample");
			rc = emit_json(d, o);
			if (rc)
				return rc;
		} else {
			text_sample(d, stdout, d->sample);
			fflush(stdout);
		}
	}
	return 0;
}

/* Print the events published since d->ev_cursor.  Return: 0 or -SOV_E*. */
static int follow_events(struct dump *d)
{
	struct sov_event buf[DUMP_EVENT_BATCH];
	uint64_t lost = 0;
	int rc, i;

	if (d->o.no_events)
		return 0;
	do {
		rc = sov_reader_events(d->r, &d->ev_cursor, buf, DUMP_EVENT_BATCH, &lost);
		if (rc < 0)
			return rc;
		for (i = 0; i < rc; i++) {
			if (d->o.json) {
				cJSON *o = jchk(d, cJSON_CreateObject());

				json_str(d, o, "event", "ring_event");
				json_event_fields(d, o, &buf[i]);
				if (emit_json(d, o))
					return -ENOMEM;
			} else {
				text_event(d, stdout, &buf[i]);
			}
		}
	} while (rc == DUMP_EVENT_BATCH);
	if (lost) {
		d->ev_lost += lost;
		if (d->o.json) {
			cJSON *o = jchk(d, cJSON_CreateObject());

			json_str(d, o, "event", "events_lost");
			json_u64(d, o, "count", lost);
			if (emit_json(d, o))
				return -ENOMEM;
		} else {
			printf("--- %" PRIu64 " events lost (overwritten before being read) ---\n",
			       lost);
		}
	}
	fflush(stdout);
	return 0;
}

/* Errors a re-attach may meet while a new writer is coming up. */
static bool transient(int rc)
{
	return rc == -ENOENT || rc == -SOV_ENOTREADY || rc == -SOV_EBUSY ||
	       rc == -SOV_ERESTARTED;
}

/*
 * Re-attach after a writer restart and print a fresh snapshot.
 * Return: 0 (attached), 1 (not yet: try at the next poll), or -errno/-SOV_E*.
 */
static int follow_reattach(struct dump *d, bool *waiting)
{
	char msg[128];
	int rc;

	rc = sov_reader_reattach(d->r);
	if (rc) {
		if (!transient(rc))
			return rc;
		if (!*waiting) {
			rc = emit_status(d, "waiting", "writer gone: waiting for a new one", rc);
			if (rc)
				return rc;
		}
		*waiting = true;
		return 1;
	}
	*waiting = false;
	/* The layout may have changed: a sample from the old one is -ENOBUFS. */
	sov_sample_free(d->sample);
	d->sample = sov_sample_alloc(d->r);
	if (!d->sample)
		return -ENOMEM;
	snprintf(msg, sizeof(msg), "writer restarted: reattached (generation %" PRIu64 ", pid %" PRId32
		 ")", sov_reader_header(d->r)->generation, sov_reader_header(d->r)->writer_pid);
	rc = emit_status(d, "reattached", msg, 0);
	if (rc)
		return rc;
	rc = dump_once(d);
	return rc == -SOV_ERESTARTED ? 1 : rc;
}

/*
 * Poll until SIGINT/SIGTERM, printing new samples and events, following
 * the writer through stops and restarts.  Return: 0 or -errno/-SOV_E*.
 */
int follow(struct dump *d)
{
	struct timespec ts = {
		.tv_sec = d->o.interval_ms / 1000,
		.tv_nsec = (long)(d->o.interval_ms % 1000) * 1000000L,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	bool stopped = false, waiting = false, detached = false;
	int rc = 0;

	/*
	 * Blocked except inside ppoll(), which unblocks them atomically: a
	 * signal arriving between the flag check and the sleep still wakes it.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &orig))
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		rc = -errno;
		goto out_restore;
	}

	while (!stop_requested) {
		if (ppoll(NULL, 0, &ts, &orig) < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (stop_requested)
			break;
		if (detached) {
			rc = follow_reattach(d, &waiting);
			if (rc < 0)
				break;
			detached = rc > 0;
			stopped = false;
			rc = 0;
			continue;
		}
		rc = follow_samples(d);
		if (rc == 0)
			rc = follow_events(d);
		if (rc == 0)
			rc = sov_reader_status(d->r);
		if (rc == -SOV_ESTOPPED) {
			if (!stopped) {
				rc = emit_status(d, "stopped", "writer stopped: waiting", 0);
				if (rc)
					break;
			}
			stopped = true;
			rc = 0;
		} else if (rc == -SOV_ERESTARTED) {
			detached = true;
			rc = 0;
		} else if (rc) {
			break;
		}
	}
out_restore:
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return rc;
}
