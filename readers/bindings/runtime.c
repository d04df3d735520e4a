/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtime.c - libsovereign_runtime: sensor values in base units with their
 * age, transparent re-attach, for the inference runtime (C and Python).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "shm_units.h"

/* One remembered key of sov_rt_lookup(), resolved again after re-attach. */
struct rt_key {
	char chip[SOV_NAME_LEN];    /* "" : any chip */
	char key[SOV_NAME_LEN];     /* label or name */
	int  idx;                   /* index in the current table, -1 absent */
};

struct sov_rt {
	struct sov_reader *r;
	struct sov_sample *s;       /* sized for the current layout */
	struct sov_sensor *sensors; /* copy of the table: names never change
				     * within a generation */
	uint32_t nsensors;
	int64_t stale_ns;           /* newest sample older than this: -ESTALE */
	uint32_t nkeys;
	struct rt_key keys[SOV_RT_LOOKUPS_MAX];
};

/* --- unit conversion: libsovereign's one table (shm/shm_units.h) --- */

double sov_rt_to_base(uint16_t unit, int64_t raw)
{
	return sov_unit_to_base(unit, raw); /* one correctly rounded division */
}

const char *sov_rt_unit_name(uint16_t unit)
{
	const struct sov_unit_info *u = sov_unit_info(unit);

	return u ? u->base : "";
}

const char *sov_rt_strerror(int err)
{
	return sov_strerror(err);
}

/* --- attachment --- */

static int64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int rt_find(const struct sov_rt *h, const char *chip, const char *key)
{
	uint32_t i;

	for (i = 0; i < h->nsensors; i++) {
		const struct sov_sensor *s = &h->sensors[i];

		if (chip && chip[0] && strncmp(s->chip, chip, sizeof(s->chip)))
			continue;
		if (!strncmp(s->label, key, sizeof(s->label)) ||
		    !strncmp(s->name, key, sizeof(s->name)))
			return (int)i;
	}
	return -ENOENT;
}

/*
 * Copy the table and size the sample for the current attachment, then
 * resolve the remembered keys against it.  On error the handle keeps an
 * empty table (every key -ENOENT) and a NULL sample (snapshots re-attach).
 */
static int rt_load(struct sov_rt *h)
{
	uint32_t n = sov_reader_nsensors(h->r), i;
	struct sov_sensor *tab;
	int rc;

	sov_sample_free(h->s);
	h->s = NULL;
	free(h->sensors);
	h->sensors = NULL;
	h->nsensors = 0;
	for (i = 0; i < h->nkeys; i++)
		h->keys[i].idx = -1;

	tab = calloc(n ? n : 1, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = sov_reader_sensor(h->r, i, &tab[i]);
		if (rc) {
			free(tab);
			return rc;
		}
	}
	h->s = sov_sample_alloc(h->r);
	if (!h->s) {
		free(tab);
		return -ENOMEM;
	}
	h->sensors = tab;
	h->nsensors = n;
	for (i = 0; i < h->nkeys; i++)
		h->keys[i].idx = rt_find(h, h->keys[i].chip, h->keys[i].key);
	return 0;
}

static int rt_reattach(struct sov_rt *h)
{
	int rc = sov_reader_reattach(h->r);

	if (rc) {
		/* Detached: forget the old table so no key answers from it. */
		sov_sample_free(h->s);
		h->s = NULL;
		free(h->sensors);
		h->sensors = NULL;
		h->nsensors = 0;
		for (uint32_t i = 0; i < h->nkeys; i++)
			h->keys[i].idx = -1;
		return rc;
	}
	return rt_load(h);
}

int sov_rt_open(const char *name, struct sov_rt **out)
{
	struct sov_rt *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return -ENOMEM;
	h->stale_ns = (int64_t)(SOV_RT_STALE_DEFAULT_S * 1e9);
	rc = sov_reader_open(name, NULL, &h->r);
	if (!rc)
		rc = rt_load(h);
	if (rc) {
		sov_rt_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void sov_rt_close(struct sov_rt *h)
{
	if (!h)
		return;
	sov_sample_free(h->s);
	free(h->sensors);
	sov_reader_close(h->r);
	free(h);
}

int sov_rt_set_stale_limit(struct sov_rt *h, double seconds)
{
	if (!(seconds > 0.0) || seconds > 1e9)
		return -EINVAL;
	h->stale_ns = (int64_t)(seconds * 1e9);
	return 0;
}

int sov_rt_sensor_count(const struct sov_rt *h)
{
	return (int)h->nsensors;
}

/*
 * Copy the newest sample into h->s, re-attaching once if the writer
 * restarted.  @check_stale: fail with -ESTALE when it is older than the
 * limit.  A stale-looking sample also triggers sov_reader_status(): a
 * writer that unlinked and re-created the object is only seen that way.
 */
static int rt_snap(struct sov_rt *h, int check_stale)
{
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if (!h->s) {
			rc = rt_reattach(h);
			if (rc)
				return rc;
		}
		rc = sov_reader_latest(h->r, h->s);
		if (rc == -SOV_ERESTARTED || rc == -ENOBUFS) {
			rc = rt_reattach(h);
			if (rc)
				return rc;
			rc = sov_reader_latest(h->r, h->s);
		}
		if (rc == -SOV_ENOSAMPLE)
			return -EAGAIN; /* nothing published yet */
		if (rc)
			return rc;
		/*
		 * Fresh data from a live writer: done, without a system call.
		 * A stopped writer (state read live from the mapping) may have
		 * been replaced by a new object under the same name; old data
		 * may mean a replaced object or a dead writer: ask.
		 */
		if (sov_sample_age_ns(h->s) <= h->stale_ns &&
		    sov_reader_state(h->r) == SOV_STATE_LIVE)
			return 0;
		if (sov_reader_status(h->r) != -SOV_ERESTARTED) {
			if (sov_sample_age_ns(h->s) <= h->stale_ns)
				return 0; /* stopped, data still fresh */
			return check_stale ? -ESTALE : 0;
		}
		rc = rt_reattach(h);
		if (rc)
			return rc;
	}
	return check_stale ? -ESTALE : 0;
}

/* Reading @idx of h->s in base units; age since the sensor's own read. */
static int rt_get(const struct sov_rt *h, uint32_t idx, double *value, double *age_s)
{
	int64_t raw;
	uint64_t mono;
	int rc;

	rc = sov_sample_get(h->s, idx, &raw, &mono);
	if (rc)
		return rc;
	if (value)
		*value = sov_rt_to_base(h->sensors[idx].unit, raw);
	if (age_s) {
		int64_t age = mono ? mono_now_ns() - (int64_t)mono : sov_sample_age_ns(h->s);

		*age_s = age > 0 ? (double)age * 1e-9 : 0.0;
	}
	return 0;
}

int sov_rt_value(struct sov_rt *h, const char *key, double *value, double *age_s)
{
	int rc, idx;

	if (!key)
		return -EINVAL;
	rc = rt_snap(h, 1);
	if (rc)
		return rc;
	idx = rt_find(h, NULL, key);
	if (idx < 0)
		return idx;
	return rt_get(h, (uint32_t)idx, value, age_s);
}

int sov_rt_lookup(struct sov_rt *h, const char *chip, const char *key)
{
	struct rt_key *k;
	uint32_t i;
	int idx;

	if (!key)
		return -EINVAL;
	if (strlen(key) >= SOV_NAME_LEN || (chip && strlen(chip) >= SOV_NAME_LEN))
		return -ENAMETOOLONG;
	idx = rt_find(h, chip, key);
	if (idx < 0)
		return idx;
	for (i = 0; i < h->nkeys; i++) {
		k = &h->keys[i];
		if (!strcmp(k->key, key) && !strcmp(k->chip, chip ? chip : ""))
			return (int)i;
	}
	if (h->nkeys >= SOV_RT_LOOKUPS_MAX)
		return -ENOSPC;
	k = &h->keys[h->nkeys];
	snprintf(k->chip, sizeof(k->chip), "%s", chip ? chip : "");
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->idx = idx;
	return (int)h->nkeys++;
}

int sov_rt_value_at(struct sov_rt *h, int index, double *value, double *age_s)
{
	int rc;

	if (index < 0 || (uint32_t)index >= h->nkeys)
		return -EINVAL;
	rc = rt_snap(h, 1);
	if (rc)
		return rc;
	/* Read after rt_snap(): a re-attach there re-resolved the key. */
	if (h->keys[index].idx < 0)
		return -ENOENT;
	return rt_get(h, (uint32_t)h->keys[index].idx, value, age_s);
}

int sov_rt_temperatures(struct sov_rt *h, struct sov_rt_reading *out, int max)
{
	uint32_t i;
	int rc, n = 0;

	if (max < 0)
		return -EINVAL;
	rc = rt_snap(h, 1);
	if (rc)
		return rc;
	for (i = 0; i < h->nsensors && n < max; i++) {
		const struct sov_sensor *s = &h->sensors[i];
		struct sov_rt_reading *o = &out[n];

		if (s->unit != SOV_UNIT_MILLICELSIUS)
			continue;
		if (rt_get(h, i, &o->celsius, &o->age_s))
			continue; /* invalid in this sample: left out */
		snprintf(o->label, sizeof(o->label), "%.*s", (int)sizeof(s->label) - 1,
			 s->label[0] ? s->label : s->name);
		snprintf(o->chip, sizeof(o->chip), "%.*s", (int)sizeof(s->chip) - 1, s->chip);
		n++;
	}
	return n;
}

int sov_rt_age(struct sov_rt *h, double *age_s)
{
	int64_t age;
	int rc = rt_snap(h, 0);

	if (rc)
		return rc;
	age = sov_sample_age_ns(h->s);
	*age_s = age > 0 ? (double)age * 1e-9 : 0.0;
	return 0;
}
