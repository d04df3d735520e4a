/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump_read.c - one complete sovereign-dump: copies the sensor table, walks
 * the newest samples and reads the events from the segment, and builds the
 * whole dump in memory before it reaches stdout.
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

/* Copy the whole table out of the segment.  Return: 0 or -errno/-SOV_E*. */
static int load_sensors(struct dump *d)
{
	uint32_t n = sov_reader_nsensors(d->r), i;
	struct sov_sensor *t;
	int rc;

	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = sov_reader_sensor(d->r, i, &t[i]);
		if (rc) {
			free(t);
			return rc;
		}
	}
	free(d->sensors);
	d->sensors = t;
	d->nsensors = n;
	return 0;
}

const struct dump_limit_field limit_fields[DUMP_NLIMITS] = {
	{ SOV_SEN_WARN_HI, "warn_hi", offsetof(struct sov_sensor, warn_hi) },
	{ SOV_SEN_CRIT_HI, "crit_hi", offsetof(struct sov_sensor, crit_hi) },
	{ SOV_SEN_WARN_LO, "warn_lo", offsetof(struct sov_sensor, warn_lo) },
	{ SOV_SEN_CRIT_LO, "crit_lo", offsetof(struct sov_sensor, crit_lo) },
};

int64_t limit_of(const struct sov_sensor *s, size_t i)
{
	int64_t v;

	memcpy(&v, (const char *)s + limit_fields[i].off, sizeof(v));
	return v;
}

/* sov_walk_fn: print or collect one sample of the walk, newest first. */
static int walk_one(const struct sov_sample *s, void *arg)
{
	struct dump *d = arg;
	cJSON *o;

	if (sov_sample_slot(s)->number > d->last_sample)
		d->last_sample = sov_sample_slot(s)->number;
	if (!d->o.json) {
		text_sample(d, d->out, s);
		return 0;
	}
	o = json_sample(d, s);
	json_push(d, d->jsamples, o);
	return d->oom;
}

/*
 * The newest sample, or the last --samples N.  Sets d->last_sample.
 * Return: 0 (also when nothing is published yet) or -errno/-SOV_E*.
 */
static int dump_samples(struct dump *d, cJSON *root)
{
	int rc;

	d->last_sample = 0;
	if (d->o.json)
		d->jsamples = jchk(d, cJSON_AddArrayToObject(root, "samples"));
	if (d->o.nsamples) {
		rc = sov_reader_walk(d->r, d->o.nsamples, walk_one, d);
		rc = rc > 0 ? 0 : rc;
	} else {
		rc = sov_reader_latest(d->r, d->sample);
		if (rc == 0)
			rc = walk_one(d->sample, d) ? -ENOMEM : 0;
	}
	if (rc == -SOV_ENOSAMPLE) {
		if (!d->o.json)
			fprintf(d->out, "\nNo sample published yet\n");
		rc = 0;
	}
	d->jsamples = NULL;
	return rc;
}

/* Events. */

/*
 * Read the events after d->ev_cursor, print (text) or collect them into
 * @arr (JSON), and advance the cursor.  Return: events read, or -SOV_E*.
 */
static int read_events(struct dump *d, FILE *out, cJSON *arr)
{
	struct sov_event buf[DUMP_EVENT_BATCH];
	int rc, i, total = 0;

	do {
		rc = sov_reader_events(d->r, &d->ev_cursor, buf, DUMP_EVENT_BATCH, &d->ev_lost);
		if (rc < 0)
			return rc;
		for (i = 0; i < rc; i++) {
			cJSON *o;

			if (!d->o.json) {
				text_event(d, out, &buf[i]);
				continue;
			}
			o = jchk(d, cJSON_CreateObject());
			json_event_fields(d, o, &buf[i]);
			json_push(d, arr, o);
		}
		total += rc;
		/* Fewer than a batch: caught up with event_head as it was. */
	} while (rc == DUMP_EVENT_BATCH);
	return total;
}

static int dump_events(struct dump *d, cJSON *root)
{
	cJSON *arr = NULL;
	int rc;

	d->ev_cursor = 0;
	d->ev_lost = 0;
	if (d->o.no_events) {
		/* Follow starts after the events that exist now. */
		d->ev_cursor = sov_reader_event_head(d->r);
		return 0;
	}
	if (d->o.json)
		arr = jchk(d, cJSON_AddArrayToObject(root, "events"));
	else
		fprintf(d->out, "\nEvents\n");
	rc = read_events(d, d->out, arr);
	if (rc < 0)
		return rc;
	if (d->o.json) {
		json_u64(d, root, "events_lost", d->ev_lost);
		return 0;
	}
	if (rc == 0)
		fprintf(d->out, "  none\n");
	fprintf(d->out, "  %" PRIu64 " lost (overwritten before being read)\n", d->ev_lost);
	return 0;
}

/* One complete dump. */

/*
 * Print the whole dump to stdout, built in memory first so that a writer
 * restart halfway can be retried without half a dump on stdout.
 * Return: 0 or -errno/-SOV_E* (-SOV_ERESTARTED: re-attach and call again).
 */
int dump_once(struct dump *d)
{
	cJSON *root = NULL;
	char *text = NULL;
	size_t text_len = 0;
	int status, rc;

	rc = load_sensors(d);
	if (rc)
		return rc;
	status = sov_reader_status(d->r);
	if (status == -SOV_ERESTARTED)
		return status;
	d->oom = false;
	if (d->o.json) {
		root = cJSON_CreateObject();
		if (!root)
			return -ENOMEM;
		if (d->o.follow)
			json_str(d, root, "event", "snapshot");
		json_str(d, root, "segment", d->o.name);
		json_header(d, root, status);
		json_sensors(d, root);
	} else {
		d->out = open_memstream(&text, &text_len);
		if (!d->out)
			return -errno;
		text_header(d, d->out, status);
		text_sensors(d, d->out);
	}
	rc = dump_samples(d, root);
	if (rc)
		goto out_free;
	rc = dump_events(d, root);
	if (rc)
		goto out_free;

	if (d->o.json) {
		text = d->o.follow ? cJSON_PrintUnformatted(root) : cJSON_Print(root);
		if (!text || d->oom) {
			rc = -ENOMEM;
			goto out_free;
		}
		printf("%s\n", text);
	} else {
		if (fclose(d->out)) {
			d->out = NULL;
			rc = -errno;
			goto out_free;
		}
		d->out = NULL;
		fwrite(text, 1, text_len, stdout);
	}
	fflush(stdout);
out_free:
	if (d->out)
		fclose(d->out);
	d->out = NULL;
	free(text);
	cJSON_Delete(root);
	return rc;
}
