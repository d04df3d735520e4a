/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pg_cluster.h - a throwaway PostgreSQL cluster for tests: initdb + pg_ctl
 * (Debian's /usr/lib/postgresql/N/bin) in a fresh directory under /tmp, run
 * as the `postgres` user when the test runs as root, listening only on a
 * unix socket in that directory (no TCP), fsync off.
 */
#ifndef SOVEREIGN_TESTS_PG_CLUSTER_H
#define SOVEREIGN_TESTS_PG_CLUSTER_H

#include <stddef.h>

/*
 * pgc_start() - create and start a cluster; @dir (>= 64 bytes) receives its
 * directory, which is also the socket directory ("host=DIR").  Return: 0, or
 * -errno with @err (and the directory removed).
 */
int pgc_start(char *dir, size_t dirlen, char *err, size_t errlen);

/* pgc_stop() - stop the cluster in @dir (-m immediate) and remove @dir. */
void pgc_stop(const char *dir);

/*
 * pgc_createdb() - create database @name in the cluster at @dir (superuser
 * postgres).  Return: 0 or -EIO with @err.
 */
int pgc_createdb(const char *dir, const char *name, char *err, size_t errlen);

/* pgc_rmtree() - remove @dir and everything under it (no symlink followed). */
void pgc_rmtree(const char *dir);

#endif /* SOVEREIGN_TESTS_PG_CLUSTER_H */
