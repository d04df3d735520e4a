/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.c - fleet_store_open(): pick the store backend (store_sqlite.c,
 * store_pg.c) from the form of the dsn and open it.  Used by sovereign-fleet's
 * API threads and engine, each for its own handle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int fleet_store_open(const char *dsn, const struct fleet_store_ops **ops,
		     struct fleet_store **out, char *err, size_t errlen)
{
	const struct fleet_store_ops *o;

	if (!dsn || !*dsn || !ops || !out) {
		snprintf(err, errlen, "store: empty dsn");
		return -EINVAL;
	}
	/*
	 * libpq's conninfo is "keyword=value ..." (a '=' before any '/'),
	 * its URIs "postgresql://" or "postgres://"; everything else that
	 * is a file is SQLite.
	 */
	if (has_prefix(dsn, "postgresql://") || has_prefix(dsn, "postgres://"))
		o = &fleet_store_pg;
	else if (has_prefix(dsn, "sqlite:") || has_suffix(dsn, ".db"))
		o = &fleet_store_sqlite;
	else if (strchr(dsn, '=') && strcspn(dsn, "=") < strcspn(dsn, "/"))
		o = &fleet_store_pg;
	else {
		snprintf(err, errlen, "store: '%.200s': not sqlite:PATH, PATH.db, "
			 "postgresql://... nor a libpq conninfo", dsn);
		return -EINVAL;
	}
	*ops = o;
	return o->open(dsn, out, err, errlen);
}
