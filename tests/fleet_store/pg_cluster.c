/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pg_cluster.c - start, use and remove a throwaway PostgreSQL cluster for
 * tests/fleet_store (see pg_cluster.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pg_cluster.h"

/* pgc_bindir() - the newest /usr/lib/postgresql/N/bin holding initdb. */
static int pgc_bindir(char *out, size_t n)
{
	glob_t g;
	int ret = -ENOENT;

	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0 && g.gl_pathc) {
		/* glob sorts: the last is the highest version (same digit count). */
		snprintf(out, n, "%s", g.gl_pathv[g.gl_pathc - 1]);
		*strrchr(out, '/') = '\0';
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/* pgc_run() - run @argv as @pw (NULL: ourselves), output appended to @log; its exit status. */
static int pgc_run(const struct passwd *pw, char *const argv[], const char *log)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (pw && (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)))
			_exit(126);
		/* Opened as the user: pg_ctl appends to the same log later. */
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void pgc_rmtree(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void pgc_log_tail(const char *log, char *err, size_t errlen)
{
	char buf[4096];
	size_t len = strlen(err);
	FILE *f = fopen(log, "r");
	size_t n;

	if (!f)
		return;
	fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(err + len, errlen - len, ": %s", buf);
}

int pgc_start(char *dir, size_t dirlen, char *err, size_t errlen)
{
	char bin[256], exe[300], data[300], log[300], conf[300];
	const struct passwd *pw = NULL;
	FILE *f;
	int rc;

	if (pgc_bindir(bin, sizeof(bin))) {
		snprintf(err, errlen,
			 "no /usr/lib/postgresql/*/bin/initdb (Debian package postgresql)");
		return -ENOENT;
	}
	snprintf(dir, dirlen, "/tmp/sov-fleet-pg-XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return -errno;
	}
	/* PostgreSQL refuses to run as root: the cluster belongs to `postgres`. */
	if (geteuid() == 0) {
		pw = getpwnam("postgres");
		if (!pw)
			pw = getpwnam("nobody");
		if (!pw || chown(dir, pw->pw_uid, pw->pw_gid)) {
			snprintf(err, errlen, "no postgres user, or chown %s failed", dir);
			goto err_rm;
		}
	}
	chmod(dir, 0700);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/pg.log", dir);
	snprintf(exe, sizeof(exe), "%s/initdb", bin);
	{
		char *const argv[] = { exe, "-D", data, "-A", "trust", "-U", "postgres",
				       "-E", "UTF8", "--locale=C", "--no-sync", NULL };

		rc = pgc_run(pw, argv, log);
	}
	if (rc) {
		snprintf(err, errlen, "initdb exited %d", rc);
		pgc_log_tail(log, err, errlen);
		goto err_rm;
	}
	snprintf(conf, sizeof(conf), "%s/postgresql.conf", data);
	f = fopen(conf, "a");
	if (!f) {
		snprintf(err, errlen, "%s: %s", conf, strerror(errno));
		goto err_rm;
	}
	fprintf(f, "listen_addresses = ''\nunix_socket_directories = '%s'\n"
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
		"max_connections = 50\nshared_buffers = 16MB\n", dir);
	fclose(f);
	snprintf(exe, sizeof(exe), "%s/pg_ctl", bin);
	{
		char *const argv[] = { exe, "-D", data, "-l", log, "-w", "-t", "30", "start",
				       NULL };

		rc = pgc_run(pw, argv, log);
	}
	if (rc) {
		snprintf(err, errlen, "pg_ctl start exited %d", rc);
		pgc_log_tail(log, err, errlen);
		pgc_stop(dir);
		return -EIO;
	}
	return 0;

err_rm:
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return -EIO;
}

void pgc_stop(const char *dir)
{
	char bin[256], exe[300], data[300];
	const struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;

	if (!dir || !*dir)
		return;
	if (pgc_bindir(bin, sizeof(bin)) == 0) {
		char *const argv[] = { exe, "-D", data, "-m", "immediate", "-w", "stop", NULL };

		snprintf(exe, sizeof(exe), "%s/pg_ctl", bin);
		snprintf(data, sizeof(data), "%s/data", dir);
		pgc_run(pw, argv, "/dev/null");
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int pgc_createdb(const char *dir, const char *name, char *err, size_t errlen)
{
	const char *keys[] = { "host", "dbname", "user", NULL };
	const char *vals[] = { dir, "postgres", "postgres", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	char *ident, sql[256];
	PGresult *r;
	int ret = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "connect %s: %s", dir, PQerrorMessage(c));
		PQfinish(c);
		return -EIO;
	}
	ident = PQescapeIdentifier(c, name, strlen(name));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", ident ? ident : "\"\"");
	PQfreemem(ident);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s: %s", sql, PQerrorMessage(c));
		ret = -EIO;
	}
	PQclear(r);
	PQfinish(c);
	return ret;
}
