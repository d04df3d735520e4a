/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_sqlite.c - the SQLite store backend (store.h), sovereign-fleet's
 * embedded default: one database file in WAL mode, every statement prepared
 * once per handle, leadership an exclusive flock() on "<db>.leader".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define SQ_SCHEMA_VERSION 1
#define SQ_BUSY_MS 5000 /* wait this long for another writer's transaction */

/*
 * The schema.  servers.workflow is NULL when no workflow holds the server
 * (0 in struct fleet_server_state), so that the foreign key can hold.
 * AUTOINCREMENT: workflow ids are never reused, so "newest first" is id
 * order even across deletions.
 */
static const char sq_schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS workflows("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" server TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,"
	" step INTEGER NOT NULL, attempt INTEGER NOT NULL, reason TEXT NOT NULL,"
	" data TEXT NOT NULL, requested_by TEXT NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL, wake_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS workflows_server ON workflows(server, id);"
	"CREATE INDEX IF NOT EXISTS workflows_status ON workflows(status, id);"
	"CREATE TABLE IF NOT EXISTS servers("
	" id TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL,"
	" workflow INTEGER REFERENCES workflows(id), updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, who TEXT NOT NULL,"
	" what TEXT NOT NULL, outcome TEXT NOT NULL);"
	"INSERT INTO schema_version(version) SELECT 1"
	" WHERE NOT EXISTS (SELECT 1 FROM schema_version);";

#define WF_COLS "id, server, kind, status, step, attempt, reason, data, requested_by," \
		" created, updated, wake_at"

enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SERVER_GET,
	SQ_SERVER_PUT,
	SQ_SERVER_LIST,
	SQ_WF_CREATE,
	SQ_WF_UPDATE,
	SQ_WF_EXISTS,
	SQ_WF_GET,
	SQ_WF_LIST,
	SQ_AUDIT_ADD,
	SQ_AUDIT_LIST,
	SQ_NSTMT
};

static const char *const sq_sql[SQ_NSTMT] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_SERVER_GET] = "SELECT id, state, reason, workflow, updated FROM servers WHERE id = ?1",
	[SQ_SERVER_PUT] = "INSERT INTO servers(id, state, reason, workflow, updated)"
			  " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET"
			  " state = excluded.state, reason = excluded.reason,"
			  " workflow = excluded.workflow, updated = excluded.updated",
	[SQ_SERVER_LIST] = "SELECT id, state, reason, workflow, updated FROM servers ORDER BY id",
	[SQ_WF_CREATE] = "INSERT INTO workflows(server, kind, status, step, attempt, reason, data,"
			 " requested_by, created, updated, wake_at)"
			 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
	[SQ_WF_UPDATE] = "UPDATE workflows SET status = ?2, step = ?3, attempt = ?4, reason = ?5,"
			 " data = ?6, wake_at = ?7, updated = ?8"
			 " WHERE id = ?1 AND (?9 < 0 OR step = ?9)"
			 " AND (?10 IS NULL OR status = ?10)",
	[SQ_WF_EXISTS] = "SELECT 1 FROM workflows WHERE id = ?1",
	[SQ_WF_GET] = "SELECT " WF_COLS " FROM workflows WHERE id = ?1",
	[SQ_WF_LIST] = "SELECT " WF_COLS " FROM workflows"
		       " WHERE (?1 IS NULL OR server = ?1)"
		       " AND (?2 = 0 OR status IN ('pending', 'running'))"
		       " ORDER BY id DESC LIMIT ?3",
	[SQ_AUDIT_ADD] = "INSERT INTO audit(at, who, what, outcome) VALUES(?1, ?2, ?3, ?4)",
	[SQ_AUDIT_LIST] = "SELECT at, who, what, outcome FROM audit ORDER BY id DESC LIMIT ?1",
};

struct fleet_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_NSTMT];
	bool listing[SQ_NSTMT];     /* a list statement is stepping (its callback runs) */
	char path[PATH_MAX];        /* the database file */
	char lock_path[PATH_MAX];   /* path + ".leader" */
	int lock_fd;                /* -1 until leader() first runs */
	bool leader;                /* lock_fd holds LOCK_EX */
};

/* --- errors -------------------------------------------------------------- */

/* sq_errno() - the -errno class of an SQLite (extended) result code. */
static int sq_errno(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT; /* servers.workflow names no workflow */
	}
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_READONLY:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int sq_fail(struct fleet_store *st, int rc, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "sqlite %s: %s: %s", st->path, what,
		 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return sq_errno(rc);
}

/* --- binding and reading bounded text ------------------------------------ */

/*
 * sq_bind_text() - bind @src, a field of @size bytes, as text: -E2BIG when
 * it has no NUL within @size (never truncated).  SQLITE_STATIC: the caller's
 * struct outlives the statement's use.
 */
static int sq_bind_text(struct fleet_store *st, sqlite3_stmt *s, int i, const char *src,
			size_t size, const char *what, char *err, size_t errlen)
{
	size_t n = strnlen(src, size);
	int rc;

	if (n == size) {
		snprintf(err, errlen, "sqlite: %s: longer than %zu bytes", what, size - 1);
		return -E2BIG;
	}
	rc = sqlite3_bind_text(s, i, src, (int)n, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : sq_fail(st, rc, what, err, errlen);
}

/* sq_col_text() - copy column @i into @dst (@size bytes): -E2BIG if it does not fit. */
static int sq_col_text(sqlite3_stmt *s, int i, char *dst, size_t size, const char *what,
		       char *err, size_t errlen)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

	if (!t) {
		dst[0] = '\0';
		return 0;
	}
	if (n >= size) {
		snprintf(err, errlen, "sqlite: stored %s is %zu bytes, more than %zu", what, n,
			 size - 1);
		return -E2BIG;
	}
	memcpy(dst, t, n);
	dst[n] = '\0';
	return 0;
}

#define BIND_TEXT(st, s, i, field, what) \
	sq_bind_text(st, s, i, field, sizeof(field), what, err, errlen)
#define COL_TEXT(s, i, field, what) sq_col_text(s, i, field, sizeof(field), what, err, errlen)

/* sq_done() - reset a statement after use, so it holds no read snapshot. */
static void sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* sq_exec1() - run a prepared statement that returns no row (BEGIN, COMMIT, ...). */
static int sq_exec1(struct fleet_store *st, enum sq_stmt k, const char *what, char *err,
		    size_t errlen)
{
	int rc = sqlite3_step(st->stmt[k]);

	sq_done(st->stmt[k]);
	return rc == SQLITE_DONE ? 0 : sq_fail(st, rc, what, err, errlen);
}

/* --- open and close ------------------------------------------------------ */

static void sq_close(struct fleet_store *st)
{
	if (!st)
		return;
	for (int k = 0; k < SQ_NSTMT; k++)
		sqlite3_finalize(st->stmt[k]);
	sqlite3_close_v2(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the leader lock */
	free(st);
}

static int sq_pragma_check(struct fleet_store *st, const char *sql, const char *want,
			   char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	int ret = 0;

	if (rc != SQLITE_OK)
		return sq_fail(st, rc, sql, err, errlen);
	/*
	 * Switching a new file to WAL needs an exclusive lock, and SQLite
	 * answers SQLITE_BUSY at once there, without the busy handler, when
	 * another process opens the same new file at the same moment (two
	 * orchestrators starting together): retry for the busy timeout.
	 */
	for (int waited = 0;; waited += 10) {
		rc = sqlite3_step(s);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= SQ_BUSY_MS)
			break;
		sqlite3_reset(s);
		usleep(10000);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = sq_fail(st, rc, sql, err, errlen);
	} else if (want && (rc != SQLITE_ROW ||
			    strcmp((const char *)sqlite3_column_text(s, 0) ?: "", want))) {
		snprintf(err, errlen, "sqlite %s: %s: did not give '%s'", st->path, sql, want);
		ret = -EIO;
	}
	sqlite3_finalize(s);
	return ret;
}

static int sq_schema_init(struct fleet_store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc, ret, version;

	/* BEGIN IMMEDIATE: two processes opening a new file create it once. */
	ret = sq_exec1(st, SQ_BEGIN, "begin (schema)", err, errlen);
	if (ret)
		return ret;
	rc = sqlite3_exec(st->db, sq_schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = sq_fail(st, rc, "create schema", err, errlen);
		goto err_rollback;
	}
	rc = sqlite3_prepare_v2(st->db, "SELECT max(version) FROM schema_version", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		ret = sq_fail(st, rc, "schema_version", err, errlen);
		goto err_rollback;
	}
	rc = sqlite3_step(s);
	version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version != SQ_SCHEMA_VERSION) {
		snprintf(err, errlen, "sqlite %s: schema version %d, this program knows %d",
			 st->path, version, SQ_SCHEMA_VERSION);
		ret = -EPROTONOSUPPORT;
		goto err_rollback;
	}
	return sq_exec1(st, SQ_COMMIT, "commit (schema)", err, errlen);

err_rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static int sq_open(const char *dsn, struct fleet_store **out, char *err, size_t errlen)
{
	const char *path = strncmp(dsn, "sqlite:", 7) == 0 ? dsn + 7 : dsn;
	struct fleet_store *st;
	int rc, ret;

	*out = NULL;
	if (!*path) {
		snprintf(err, errlen, "sqlite: empty path in '%s'", dsn);
		return -EINVAL;
	}
	if (strlen(path) + sizeof(".leader") > PATH_MAX) {
		snprintf(err, errlen, "sqlite: path too long");
		return -ENAMETOOLONG;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "sqlite: out of memory");
		return -ENOMEM;
	}
	st->lock_fd = -1;
	snprintf(st->path, sizeof(st->path), "%s", path);
	snprintf(st->lock_path, sizeof(st->lock_path), "%s.leader", path);

	/* NOMUTEX: a handle belongs to one thread at a time (store.h). */
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		ret = sq_fail(st, rc, "open", err, errlen);
		if (ret == -ENOENT || ret == -EACCES || ret == -EIO) {
			int e = sqlite3_system_errno(st->db);

			ret = e ? -e : ret;
		}
		goto err_close;
	}
	sqlite3_busy_timeout(st->db, SQ_BUSY_MS);
	/*
	 * WAL: readers (the API threads) never block the engine's writes.
	 * synchronous=FULL: a step is on disk before it is taken, also across
	 * a power loss (NORMAL would only survive a process crash).
	 */
	ret = sq_pragma_check(st, "PRAGMA journal_mode=WAL", "wal", err, errlen);
	if (!ret)
		ret = sq_pragma_check(st, "PRAGMA synchronous=FULL", NULL, err, errlen);
	if (!ret)
		ret = sq_pragma_check(st, "PRAGMA foreign_keys=ON", NULL, err, errlen);
	if (ret)
		goto err_close;
	for (int k = 0; k < SQ_NSTMT && k <= SQ_ROLLBACK; k++) {
		rc = sqlite3_prepare_v3(st->db, sq_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[k], NULL);
		if (rc != SQLITE_OK) {
			ret = sq_fail(st, rc, sq_sql[k], err, errlen);
			goto err_close;
		}
	}
	ret = sq_schema_init(st, err, errlen);
	if (ret)
		goto err_close;
	for (int k = SQ_ROLLBACK + 1; k < SQ_NSTMT; k++) {
		rc = sqlite3_prepare_v3(st->db, sq_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[k], NULL);
		if (rc != SQLITE_OK) {
			ret = sq_fail(st, rc, sq_sql[k], err, errlen);
			goto err_close;
		}
	}
	*out = st;
	return 0;

err_close:
	sq_close(st);
	return ret;
}

/* --- leadership ---------------------------------------------------------- */

/*
 * The lock file is never removed: a leader holding a lock on an unlinked
 * file would share leadership with whoever creates the next one.  Should
 * someone remove it anyway, the inode check below notices and the holder
 * gives leadership up.
 */
static bool sq_lock_is_current(struct fleet_store *st)
{
	struct stat a, b;

	return fstat(st->lock_fd, &a) == 0 && stat(st->lock_path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int sq_leader(struct fleet_store *st, bool *is_leader, char *err, size_t errlen)
{
	*is_leader = false;
	if (st->leader) {
		if (sq_lock_is_current(st)) {
			*is_leader = true;
			return 0;
		}
		close(st->lock_fd); /* the file was replaced: start again */
		st->lock_fd = -1;
		st->leader = false;
	}
	if (st->lock_fd < 0) {
		/* O_CLOEXEC: hook commands the engine runs must not inherit leadership. */
		st->lock_fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (st->lock_fd < 0) {
			int e = errno;

			snprintf(err, errlen, "sqlite: open %s: %s", st->lock_path, strerror(e));
			return -e;
		}
	}
	for (;;) {
		if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return 0;
		{
			int e = errno;

			snprintf(err, errlen, "sqlite: flock %s: %s", st->lock_path, strerror(e));
			return -e;
		}
	}
	if (!sq_lock_is_current(st)) {
		close(st->lock_fd); /* locked a file that was just unlinked; next call retries */
		st->lock_fd = -1;
		return 0;
	}
	st->leader = true;
	*is_leader = true;
	return 0;
}

/* --- servers ------------------------------------------------------------- */

static int sq_row_server(sqlite3_stmt *s, struct fleet_server_state *sv, char *err, size_t errlen)
{
	int ret;

	memset(sv, 0, sizeof(*sv));
	ret = COL_TEXT(s, 0, sv->id, "server id");
	if (!ret)
		ret = COL_TEXT(s, 1, sv->state, "server state");
	if (!ret)
		ret = COL_TEXT(s, 2, sv->reason, "server reason");
	sv->workflow = sqlite3_column_int64(s, 3); /* NULL reads as 0 */
	sv->updated = sqlite3_column_int64(s, 4);
	return ret;
}

static int sq_server_get(struct fleet_store *st, const char *id, struct fleet_server_state *sv,
			 char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_SERVER_GET];
	int rc, ret;

	ret = sq_bind_text(st, s, 1, id, FLEET_ID_MAX, "server id", err, errlen);
	if (ret)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = sq_row_server(s, sv, err, errlen);
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "sqlite: no server '%.*s'", FLEET_ID_MAX, id);
		ret = -ENOENT;
	} else {
		ret = sq_fail(st, rc, "server_get", err, errlen);
	}
out:
	sq_done(s);
	return ret;
}

static int sq_server_put(struct fleet_store *st, const struct fleet_server_state *sv, char *err,
			 size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_SERVER_PUT];
	int rc, ret;

	if (!sv->id[0]) {
		snprintf(err, errlen, "sqlite: server_put: empty id");
		return -EINVAL;
	}
	ret = BIND_TEXT(st, s, 1, sv->id, "server id");
	if (!ret)
		ret = BIND_TEXT(st, s, 2, sv->state, "server state");
	if (!ret)
		ret = BIND_TEXT(st, s, 3, sv->reason, "server reason");
	if (ret)
		goto out;
	if (sv->workflow)
		sqlite3_bind_int64(s, 4, sv->workflow);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, sv->updated);
	rc = sqlite3_step(s);
	ret = rc == SQLITE_DONE ? 0 : sq_fail(st, rc, "server_put", err, errlen);
out:
	sq_done(s);
	return ret;
}

/*
 * sq_list_begin() - claim a list statement: a callback that lists with the
 * same statement again would reset the walk under its caller.
 */
static int sq_list_begin(struct fleet_store *st, enum sq_stmt k, char *err, size_t errlen)
{
	if (st->listing[k]) {
		snprintf(err, errlen, "sqlite: a list callback listed again on the same handle");
		return -EBUSY;
	}
	st->listing[k] = true;
	return 0;
}

static int sq_server_list(struct fleet_store *st, fleet_server_cb cb, void *ctx, char *err,
			  size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_SERVER_LIST];
	struct fleet_server_state sv;
	int rc, ret;

	ret = sq_list_begin(st, SQ_SERVER_LIST, err, errlen);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = sq_row_server(s, &sv, err, errlen);
		if (!ret)
			ret = cb(&sv, ctx);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "server_list", err, errlen);
out:
	sq_done(s);
	st->listing[SQ_SERVER_LIST] = false;
	return ret;
}

/* --- workflows ----------------------------------------------------------- */

static int sq_row_wf(sqlite3_stmt *s, struct fleet_wf *w, char *err, size_t errlen)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->id = sqlite3_column_int64(s, 0);
	ret = COL_TEXT(s, 1, w->server, "workflow server");
	if (!ret)
		ret = COL_TEXT(s, 2, w->kind, "workflow kind");
	if (!ret)
		ret = COL_TEXT(s, 3, w->status, "workflow status");
	w->step = sqlite3_column_int(s, 4);
	w->attempt = sqlite3_column_int(s, 5);
	if (!ret)
		ret = COL_TEXT(s, 6, w->reason, "workflow reason");
	if (!ret)
		ret = COL_TEXT(s, 7, w->data, "workflow data");
	if (!ret)
		ret = COL_TEXT(s, 8, w->requested_by, "workflow requested_by");
	w->created = sqlite3_column_int64(s, 9);
	w->updated = sqlite3_column_int64(s, 10);
	w->wake_at = sqlite3_column_int64(s, 11);
	return ret;
}

static int sq_wf_create(struct fleet_store *st, struct fleet_wf *w, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_WF_CREATE];
	int64_t now = (int64_t)time(NULL);
	int rc, ret;

	if (!w->server[0]) {
		snprintf(err, errlen, "sqlite: wf_create: empty server");
		return -EINVAL;
	}
	ret = BIND_TEXT(st, s, 1, w->server, "workflow server");
	if (!ret)
		ret = BIND_TEXT(st, s, 2, w->kind, "workflow kind");
	if (!ret)
		ret = BIND_TEXT(st, s, 3, w->status, "workflow status");
	if (!ret)
		ret = BIND_TEXT(st, s, 6, w->reason, "workflow reason");
	if (!ret)
		ret = BIND_TEXT(st, s, 7, w->data, "workflow data");
	if (!ret)
		ret = BIND_TEXT(st, s, 8, w->requested_by, "workflow requested_by");
	if (ret)
		goto out;
	sqlite3_bind_int(s, 4, w->step);
	sqlite3_bind_int(s, 5, w->attempt);
	sqlite3_bind_int64(s, 9, now);
	sqlite3_bind_int64(s, 10, w->wake_at);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(st, rc, "wf_create", err, errlen);
		goto out;
	}
	/* One statement, one connection: the rowid is this insert's. */
	w->id = sqlite3_last_insert_rowid(st->db);
	w->created = w->updated = now;
out:
	sq_done(s);
	return ret;
}

static int sq_wf_update(struct fleet_store *st, const struct fleet_wf *w, int expect_step,
			const char *expect_status, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_WF_UPDATE], *e = st->stmt[SQ_WF_EXISTS];
	int rc, ret;

	ret = sq_exec1(st, SQ_BEGIN, "wf_update begin", err, errlen);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, w->id);
	ret = BIND_TEXT(st, s, 2, w->status, "workflow status");
	if (!ret)
		ret = BIND_TEXT(st, s, 5, w->reason, "workflow reason");
	if (!ret)
		ret = BIND_TEXT(st, s, 6, w->data, "workflow data");
	if (!ret && expect_status)
		ret = sq_bind_text(st, s, 10, expect_status, sizeof(w->status), "expected status",
				   err, errlen);
	if (ret)
		goto err_rollback;
	sqlite3_bind_int(s, 3, w->step);
	sqlite3_bind_int(s, 4, w->attempt);
	sqlite3_bind_int64(s, 7, w->wake_at);
	sqlite3_bind_int64(s, 8, w->updated);
	sqlite3_bind_int(s, 9, expect_step < 0 ? -1 : expect_step);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(st, rc, "wf_update", err, errlen);
		goto err_rollback;
	}
	if (sqlite3_changes(st->db) == 0) {
		/* Nothing matched: no such workflow, or its step moved on. */
		sqlite3_bind_int64(e, 1, w->id);
		rc = sqlite3_step(e);
		if (rc == SQLITE_ROW) {
			snprintf(err, errlen, "sqlite: workflow %lld is no longer at step %d%s%s",
				 (long long)w->id, expect_step, expect_status ? ", status " : "",
				 expect_status ? expect_status : "");
			ret = -ESTALE;
		} else if (rc == SQLITE_DONE) {
			snprintf(err, errlen, "sqlite: no workflow %lld", (long long)w->id);
			ret = -ENOENT;
		} else {
			ret = sq_fail(st, rc, "wf_update check", err, errlen);
		}
		goto err_rollback;
	}
	sq_done(s);
	return sq_exec1(st, SQ_COMMIT, "wf_update commit", err, errlen);

err_rollback:
	sq_done(s);
	sq_done(e);
	sq_exec1(st, SQ_ROLLBACK, "wf_update rollback", NULL, 0);
	return ret;
}

static int sq_wf_get(struct fleet_store *st, int64_t id, struct fleet_wf *w, char *err,
		     size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_WF_GET];
	int rc, ret;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = sq_row_wf(s, w, err, errlen);
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "sqlite: no workflow %lld", (long long)id);
		ret = -ENOENT;
	} else {
		ret = sq_fail(st, rc, "wf_get", err, errlen);
	}
	sq_done(s);
	return ret;
}

static int sq_wf_list(struct fleet_store *st, const char *server, bool active, int limit,
		      fleet_wf_cb cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_WF_LIST];
	struct fleet_wf *w;
	int rc, ret;

	if (limit < 0) {
		snprintf(err, errlen, "sqlite: wf_list: negative limit");
		return -EINVAL;
	}
	w = malloc(sizeof(*w)); /* 9 KB: not on an API thread's stack */
	if (!w) {
		snprintf(err, errlen, "sqlite: out of memory");
		return -ENOMEM;
	}
	ret = sq_list_begin(st, SQ_WF_LIST, err, errlen);
	if (ret)
		goto out_free;
	if (server)
		ret = sq_bind_text(st, s, 1, server, FLEET_ID_MAX, "server id", err, errlen);
	if (ret)
		goto out;
	sqlite3_bind_int(s, 2, active);
	sqlite3_bind_int(s, 3, limit ? limit : -1); /* LIMIT -1: none */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = sq_row_wf(s, w, err, errlen);
		if (!ret)
			ret = cb(w, ctx);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "wf_list", err, errlen);
out:
	sq_done(s);
	st->listing[SQ_WF_LIST] = false;
out_free:
	free(w);
	return ret;
}

/* --- audit --------------------------------------------------------------- */

static int sq_audit_add(struct fleet_store *st, const struct fleet_audit *a, char *err,
			size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_AUDIT_ADD];
	int rc, ret;

	sqlite3_bind_int64(s, 1, a->at);
	ret = BIND_TEXT(st, s, 2, a->who, "audit who");
	if (!ret)
		ret = BIND_TEXT(st, s, 3, a->what, "audit what");
	if (!ret)
		ret = BIND_TEXT(st, s, 4, a->outcome, "audit outcome");
	if (!ret) {
		rc = sqlite3_step(s);
		ret = rc == SQLITE_DONE ? 0 : sq_fail(st, rc, "audit_add", err, errlen);
	}
	sq_done(s);
	return ret;
}

static int sq_audit_list(struct fleet_store *st, int limit, fleet_audit_cb cb, void *ctx,
			 char *err, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[SQ_AUDIT_LIST];
	struct fleet_audit a;
	int rc, ret;

	if (limit < 0) {
		snprintf(err, errlen, "sqlite: audit_list: negative limit");
		return -EINVAL;
	}
	ret = sq_list_begin(st, SQ_AUDIT_LIST, err, errlen);
	if (ret)
		return ret;
	sqlite3_bind_int(s, 1, limit ? limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.at = sqlite3_column_int64(s, 0);
		ret = COL_TEXT(s, 1, a.who, "audit who");
		if (!ret)
			ret = COL_TEXT(s, 2, a.what, "audit what");
		if (!ret)
			ret = COL_TEXT(s, 3, a.outcome, "audit outcome");
		if (!ret)
			ret = cb(&a, ctx);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "audit_list", err, errlen);
out:
	sq_done(s);
	st->listing[SQ_AUDIT_LIST] = false;
	return ret;
}

const struct fleet_store_ops fleet_store_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.leader = sq_leader,
	.server_get = sq_server_get,
	.server_put = sq_server_put,
	.server_list = sq_server_list,
	.wf_create = sq_wf_create,
	.wf_update = sq_wf_update,
	.wf_get = sq_wf_get,
	.wf_list = sq_wf_list,
	.audit_add = sq_audit_add,
	.audit_list = sq_audit_list,
};
