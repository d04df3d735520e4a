/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_pg.c - the PostgreSQL store backend (store.h, libpq), for operators
 * running two orchestrators against one database: one leader at a time
 * through a session-level advisory lock.  Every value travels as a
 * parameter of PQexecParams(); SQL text is only ever a constant here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store.h"

#define PG_SCHEMA_VERSION 1
/*
 * Advisory lock keys, fixed for every sovereign-fleet: "SovLeadr" (the
 * leader's session lock) and "SovSchem" (schema creation, transaction lock).
 */
#define PG_KEY_LEADER 0x536f764c65616472LL
#define PG_KEY_SCHEMA 0x536f76536368656dLL

/*
 * Connection defaults, before the operator's dsn so that it can override
 * them (libpq: array entries before an expanded dbname lose to it).
 * Keepalives: a leader whose network died is noticed by the server, which
 * then ends its session and so releases the lock, within ~25 s.
 */
static const char *const pg_keys[] = {
	"connect_timeout", "client_encoding", "application_name",
	"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"dbname", NULL
};
static const char *const pg_defaults[] = {
	"5", "UTF8", "sovereign-fleet",
	"1", "10", "5", "3",
	NULL /* the dsn */, NULL
};

/*
 * Per session: no statement runs longer than 10 s, no lock is waited for
 * longer than 5 s, and a transaction left open by a stuck client ends.
 */
static const char pg_session_sql[] =
	"SET statement_timeout = '10s'; SET lock_timeout = '5s'; SET client_min_messages = warning;"
	" SET idle_in_transaction_session_timeout = '60s'";

/* One transaction under a transaction-level advisory lock: two orchestrators starting at once. */
static const char pg_schema_sql[] =
	"BEGIN;"
	"SELECT pg_advisory_xact_lock(6012154128085050733);" /* PG_KEY_SCHEMA */
	"CREATE TABLE IF NOT EXISTS fleet_schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS fleet_workflows("
	" id BIGSERIAL PRIMARY KEY,"
	" server TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,"
	" step INTEGER NOT NULL, attempt INTEGER NOT NULL, reason TEXT NOT NULL,"
	" data TEXT NOT NULL, requested_by TEXT NOT NULL,"
	" created BIGINT NOT NULL, updated BIGINT NOT NULL, wake_at BIGINT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS fleet_workflows_server ON fleet_workflows(server, id);"
	"CREATE INDEX IF NOT EXISTS fleet_workflows_status ON fleet_workflows(status, id);"
	"CREATE TABLE IF NOT EXISTS fleet_servers("
	" id TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL,"
	" workflow BIGINT REFERENCES fleet_workflows(id), updated BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS fleet_audit("
	" id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL,"
	" what TEXT NOT NULL, outcome TEXT NOT NULL);"
	"INSERT INTO fleet_schema_version(version) SELECT 1"
	" WHERE NOT EXISTS (SELECT 1 FROM fleet_schema_version);"
	"COMMIT";

_Static_assert(PG_KEY_SCHEMA == 6012154128085050733LL, "pg_schema_sql's lock key");

#define WF_COLS "id, server, kind, status, step, attempt, reason, data, requested_by," \
		" created, updated, wake_at"

struct fleet_store {
	PGconn *conn;
	bool leader; /* this session holds PG_KEY_LEADER */
	bool lost;   /* leadership ended with a lost session, not yet reported by leader() */
};

/* pg_lost() - the session is gone, and with it the leader lock, if held. */
static void pg_lost(struct fleet_store *st)
{
	if (st->leader)
		st->lost = true;
	st->leader = false;
}

/* --- errors -------------------------------------------------------------- */

/* pg_oneline() - libpq's multi-line message as one line, in @out. */
static void pg_oneline(const char *msg, char *out, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; msg && msg[i] && j + 1 < n; i++) {
		char c = msg[i] == '\n' || msg[i] == '\t' ? ' ' : msg[i];

		if (c == ' ' && (j == 0 || out[j - 1] == ' '))
			continue;
		out[j++] = c;
	}
	while (j && out[j - 1] == ' ')
		j--;
	if (n)
		out[j] = '\0';
}

/* pg_sqlstate_errno() - the -errno class of a SQLSTATE. */
static int pg_sqlstate_errno(const char *state)
{
	static const struct {
		const char *state;
		int err;
	} map[] = {
		{ "23505", -EEXIST },    /* unique_violation */
		{ "23503", -ENOENT },    /* foreign_key_violation: no such workflow */
		{ "22021", -EILSEQ },    /* character_not_in_repertoire: bad UTF-8 */
		{ "22P05", -EILSEQ },    /* untranslatable_character */
		{ "57014", -ETIMEDOUT }, /* query_canceled: statement_timeout */
		{ "55P03", -EBUSY },     /* lock_not_available: lock_timeout */
		{ "40001", -EBUSY },     /* serialization_failure */
		{ "40P01", -EBUSY },     /* deadlock_detected */
	};

	if (!state)
		return -EIO;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(state, map[i].state) == 0)
			return map[i].err;
	if (strncmp(state, "22", 2) == 0)
		return -EINVAL; /* other data exceptions */
	if (strncmp(state, "53", 2) == 0)
		return -ENOMEM; /* insufficient resources */
	return -EIO;
}

/* pg_fail() - describe a failed @r (or the connection's state) in @err; its -errno. */
static int pg_fail(struct fleet_store *st, PGresult *r, const char *what, char *err,
		   size_t errlen)
{
	char line[512];

	pg_oneline(r ? PQresultErrorMessage(r) : PQerrorMessage(st->conn), line, sizeof(line));
	if (!line[0])
		pg_oneline(PQerrorMessage(st->conn), line, sizeof(line));
	if (PQstatus(st->conn) != CONNECTION_OK) {
		pg_lost(st);
		snprintf(err, errlen, "postgresql %s: %s: connection lost: %s",
			 PQhost(st->conn) ?: "?", what, line);
		return -EIO;
	}
	snprintf(err, errlen, "postgresql: %s: %s", what, line);
	return pg_sqlstate_errno(r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
}

/* --- queries ------------------------------------------------------------- */

/*
 * pg_query() - run @sql with @n text parameters (NULL: SQL NULL); *@out
 * the result when its status is @want, else NULL and the -errno returned.
 */
static int pg_query(struct fleet_store *st, const char *sql, int n, const char *const *vals,
		    ExecStatusType want, PGresult **out, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0);
	int ret;

	*out = NULL;
	if (r && PQresultStatus(r) == want) {
		*out = r;
		return 0;
	}
	if (!r && PQstatus(st->conn) == CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s: out of memory", what);
		return -ENOMEM;
	}
	ret = pg_fail(st, r, what, err, errlen);
	PQclear(r);
	return ret;
}

/* pg_check_text() - @src, a field of @size bytes, has its NUL: else -E2BIG (never truncated). */
static int pg_check_text(const char *src, size_t size, const char *what, char *err, size_t errlen)
{
	if (strnlen(src, size) == size) {
		snprintf(err, errlen, "postgresql: %s: longer than %zu bytes", what, size - 1);
		return -E2BIG;
	}
	return 0;
}

#define CHECK_TEXT(field, what) pg_check_text(field, sizeof(field), what, err, errlen)

/* pg_text() - copy a result's text value into @dst (@size bytes): -E2BIG if it does not fit. */
static int pg_text(const PGresult *r, int row, int col, char *dst, size_t size, const char *what,
		   char *err, size_t errlen)
{
	size_t n = (size_t)PQgetlength(r, row, col);

	if (n >= size) {
		snprintf(err, errlen, "postgresql: stored %s is %zu bytes, more than %zu", what, n,
			 size - 1);
		return -E2BIG;
	}
	memcpy(dst, PQgetvalue(r, row, col), n);
	dst[n] = '\0';
	return 0;
}

#define COL_TEXT(r, row, col, field, what) \
	pg_text(r, row, col, field, sizeof(field), what, err, errlen)

static int64_t pg_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* --- connection ---------------------------------------------------------- */

/* pg_notice_drop() - a library prints nothing: NOTICEs ("already exists, skipping") dropped. */
static void pg_notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_session_init(struct fleet_store *st, char *err, size_t errlen)
{
	PGresult *r;

	PQsetNoticeProcessor(st->conn, pg_notice_drop, NULL);
	r = PQexec(st->conn, pg_session_sql);
	int ret = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		ret = pg_fail(st, r, "session settings", err, errlen);
	PQclear(r);
	return ret;
}

/* pg_connect_error() - "postgresql HOST: why" for a connection that failed. */
static int pg_connect_error(struct fleet_store *st, char *err, size_t errlen)
{
	char line[512];

	/* libpq names the socket or host:port in its message ("connection to server ..."). */
	pg_oneline(PQerrorMessage(st->conn), line, sizeof(line));
	snprintf(err, errlen, "postgresql: %s", line[0] ? line : "cannot connect");
	return -ECONNREFUSED;
}

/*
 * pg_ready() - a usable connection: after a lost one, reconnect (blocking
 * up to connect_timeout) and restore the session settings.  Leadership is
 * not restored here: the old session's lock died with it.
 */
static int pg_ready(struct fleet_store *st, char *err, size_t errlen)
{
	if (PQstatus(st->conn) == CONNECTION_OK)
		return 0;
	pg_lost(st);
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK)
		return pg_connect_error(st, err, errlen);
	return pg_session_init(st, err, errlen);
}

static void pg_close(struct fleet_store *st)
{
	if (!st)
		return;
	PQfinish(st->conn); /* ends the session: the server releases the leader lock */
	free(st);
}

static int pg_schema_init(struct fleet_store *st, char *err, size_t errlen)
{
	PGresult *r = PQexec(st->conn, pg_schema_sql);
	int ret = 0, version;

	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		ret = pg_fail(st, r, "create schema", err, errlen);
		PQclear(r);
		PQclear(PQexec(st->conn, "ROLLBACK"));
		return ret;
	}
	PQclear(r);
	ret = pg_query(st, "SELECT max(version) FROM fleet_schema_version", 0, NULL,
		       PGRES_TUPLES_OK, &r, "schema version", err, errlen);
	if (ret)
		return ret;
	version = PQntuples(r) == 1 ? (int)pg_int(r, 0, 0) : -1;
	PQclear(r);
	if (version != PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "postgresql: schema version %d, this program knows %d",
			 version, PG_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

static int pg_open(const char *dsn, struct fleet_store **out, char *err, size_t errlen)
{
	const char *vals[sizeof(pg_defaults) / sizeof(pg_defaults[0])];
	struct fleet_store *st;
	int ret;

	*out = NULL;
	if (!dsn || !*dsn) {
		snprintf(err, errlen, "postgresql: empty dsn");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "postgresql: out of memory");
		return -ENOMEM;
	}
	memcpy(vals, pg_defaults, sizeof(vals));
	vals[7] = dsn; /* "dbname": expanded as a conninfo or URI */
	_Static_assert(sizeof(pg_keys) == sizeof(pg_defaults), "one default per key");
	st->conn = PQconnectdbParams(pg_keys, vals, 1);
	if (!st->conn) {
		free(st);
		snprintf(err, errlen, "postgresql: out of memory");
		return -ENOMEM;
	}
	if (PQstatus(st->conn) != CONNECTION_OK) {
		ret = pg_connect_error(st, err, errlen);
		goto err_close;
	}
	ret = pg_session_init(st, err, errlen);
	if (!ret)
		ret = pg_schema_init(st, err, errlen);
	if (ret)
		goto err_close;
	*out = st;
	return 0;

err_close:
	pg_close(st);
	return ret;
}

/* --- leadership ---------------------------------------------------------- */

/*
 * pg_holds_lock() - is this session alive and holding the leader lock?
 * One cheap round trip; a bigint advisory key shows in pg_locks as
 * classid (high 32 bits), objid (low 32 bits), objsubid 1.
 */
static int pg_holds_lock(struct fleet_store *st, bool *held, char *err, size_t errlen)
{
	char hi[16], lo[16];
	const char *v[2] = { hi, lo };
	PGresult *r;
	int ret;

	snprintf(hi, sizeof(hi), "%" PRIu32, (uint32_t)((uint64_t)PG_KEY_LEADER >> 32));
	snprintf(lo, sizeof(lo), "%" PRIu32, (uint32_t)PG_KEY_LEADER);
	ret = pg_query(st, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
		       " AND pid = pg_backend_pid() AND classid = $1::oid AND objid = $2::oid"
		       " AND objsubid = 1 AND granted)", 2, v, PGRES_TUPLES_OK, &r,
		       "leader check", err, errlen);
	if (ret)
		return ret;
	*held = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}

static int pg_try_lock(struct fleet_store *st, bool *got, char *err, size_t errlen)
{
	char key[24];
	const char *v[1] = { key };
	PGresult *r;
	int ret;

	snprintf(key, sizeof(key), "%lld", PG_KEY_LEADER);
	ret = pg_query(st, "SELECT pg_try_advisory_lock($1::bigint)", 1, v, PGRES_TUPLES_OK, &r,
		       "pg_try_advisory_lock", err, errlen);
	if (ret)
		return ret;
	*got = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}

/*
 * pg_leader() - when already leader, check the session still holds the lock
 * (a lost connection lost it).  Then leadership is reported false for this
 * call even if the reconnected session gets the lock back at once: the
 * caller must treat the interruption as a loss (another orchestrator may
 * have led in between) and re-read the store; the next call reports true.
 */
static int pg_leader(struct fleet_store *st, bool *is_leader, char *err, size_t errlen)
{
	bool was, held = false;
	int ret;

	*is_leader = false;
	if (st->leader && PQstatus(st->conn) == CONNECTION_OK &&
	    pg_holds_lock(st, &held, err, errlen) == 0 && held) {
		*is_leader = true;
		return 0;
	}
	pg_lost(st);
	was = st->lost;
	ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	ret = pg_try_lock(st, &held, err, errlen);
	if (ret)
		return ret;
	st->leader = held;
	st->lost = false;
	*is_leader = held && !was;
	return 0;
}

/* --- servers ------------------------------------------------------------- */

static int pg_row_server(const PGresult *r, int row, struct fleet_server_state *sv, char *err,
			 size_t errlen)
{
	int ret;

	memset(sv, 0, sizeof(*sv));
	ret = COL_TEXT(r, row, 0, sv->id, "server id");
	if (!ret)
		ret = COL_TEXT(r, row, 1, sv->state, "server state");
	if (!ret)
		ret = COL_TEXT(r, row, 2, sv->reason, "server reason");
	sv->workflow = pg_int(r, row, 3); /* NULL: none */
	sv->updated = pg_int(r, row, 4);
	return ret;
}

static int pg_server_get(struct fleet_store *st, const char *id, struct fleet_server_state *sv,
			 char *err, size_t errlen)
{
	const char *v[1] = { id };
	PGresult *r;
	int ret;

	ret = pg_check_text(id, FLEET_ID_MAX, "server id", err, errlen);
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (!ret)
		ret = pg_query(st, "SELECT id, state, reason, workflow, updated FROM fleet_servers"
			       " WHERE id = $1", 1, v, PGRES_TUPLES_OK, &r, "server_get", err,
			       errlen);
	if (ret)
		return ret;
	if (PQntuples(r) == 1) {
		ret = pg_row_server(r, 0, sv, err, errlen);
	} else {
		snprintf(err, errlen, "postgresql: no server '%s'", id);
		ret = -ENOENT;
	}
	PQclear(r);
	return ret;
}

static int pg_server_put(struct fleet_store *st, const struct fleet_server_state *sv, char *err,
			 size_t errlen)
{
	char wf[24], upd[24];
	const char *v[5] = { sv->id, sv->state, sv->reason, sv->workflow ? wf : NULL, upd };
	PGresult *r;
	int ret;

	if (!sv->id[0]) {
		snprintf(err, errlen, "postgresql: server_put: empty id");
		return -EINVAL;
	}
	ret = CHECK_TEXT(sv->id, "server id");
	if (!ret)
		ret = CHECK_TEXT(sv->state, "server state");
	if (!ret)
		ret = CHECK_TEXT(sv->reason, "server reason");
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	snprintf(wf, sizeof(wf), "%" PRId64, sv->workflow);
	snprintf(upd, sizeof(upd), "%" PRId64, sv->updated);
	ret = pg_query(st, "INSERT INTO fleet_servers(id, state, reason, workflow, updated)"
		       " VALUES($1, $2, $3, $4::bigint, $5::bigint) ON CONFLICT (id) DO UPDATE SET"
		       " state = EXCLUDED.state, reason = EXCLUDED.reason,"
		       " workflow = EXCLUDED.workflow, updated = EXCLUDED.updated",
		       5, v, PGRES_COMMAND_OK, &r, "server_put", err, errlen);
	PQclear(r);
	return ret;
}

static int pg_server_list(struct fleet_store *st, fleet_server_cb cb, void *ctx, char *err,
			  size_t errlen)
{
	struct fleet_server_state sv;
	PGresult *r;
	int ret;

	ret = pg_ready(st, err, errlen);
	if (!ret)
		/* COLLATE "C": byte order, as SQLite's, whatever the database's locale */
		ret = pg_query(st, "SELECT id, state, reason, workflow, updated FROM fleet_servers"
			       " ORDER BY id COLLATE \"C\"", 0, NULL, PGRES_TUPLES_OK, &r,
			       "server_list", err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		ret = pg_row_server(r, i, &sv, err, errlen);
		if (!ret)
			ret = cb(&sv, ctx);
	}
	PQclear(r);
	return ret;
}

/* --- workflows ----------------------------------------------------------- */

static int pg_row_wf(const PGresult *r, int row, struct fleet_wf *w, char *err, size_t errlen)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->id = pg_int(r, row, 0);
	ret = COL_TEXT(r, row, 1, w->server, "workflow server");
	if (!ret)
		ret = COL_TEXT(r, row, 2, w->kind, "workflow kind");
	if (!ret)
		ret = COL_TEXT(r, row, 3, w->status, "workflow status");
	w->step = (int)pg_int(r, row, 4);
	w->attempt = (int)pg_int(r, row, 5);
	if (!ret)
		ret = COL_TEXT(r, row, 6, w->reason, "workflow reason");
	if (!ret)
		ret = COL_TEXT(r, row, 7, w->data, "workflow data");
	if (!ret)
		ret = COL_TEXT(r, row, 8, w->requested_by, "workflow requested_by");
	w->created = pg_int(r, row, 9);
	w->updated = pg_int(r, row, 10);
	w->wake_at = pg_int(r, row, 11);
	return ret;
}

static int pg_wf_create(struct fleet_store *st, struct fleet_wf *w, char *err, size_t errlen)
{
	int64_t now = (int64_t)time(NULL);
	char step[16], attempt[16], at[24], wake[24];
	const char *v[10] = { w->server, w->kind, w->status, step, attempt, w->reason, w->data,
			      w->requested_by, at, wake };
	PGresult *r;
	int ret;

	if (!w->server[0]) {
		snprintf(err, errlen, "postgresql: wf_create: empty server");
		return -EINVAL;
	}
	ret = CHECK_TEXT(w->server, "workflow server");
	if (!ret)
		ret = CHECK_TEXT(w->kind, "workflow kind");
	if (!ret)
		ret = CHECK_TEXT(w->status, "workflow status");
	if (!ret)
		ret = CHECK_TEXT(w->reason, "workflow reason");
	if (!ret)
		ret = CHECK_TEXT(w->data, "workflow data");
	if (!ret)
		ret = CHECK_TEXT(w->requested_by, "workflow requested_by");
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	snprintf(step, sizeof(step), "%d", w->step);
	snprintf(attempt, sizeof(attempt), "%d", w->attempt);
	snprintf(at, sizeof(at), "%" PRId64, now);
	snprintf(wake, sizeof(wake), "%" PRId64, w->wake_at);
	ret = pg_query(st, "INSERT INTO fleet_workflows(server, kind, status, step, attempt,"
		       " reason, data, requested_by, created, updated, wake_at)"
		       " VALUES($1, $2, $3, $4::integer, $5::integer, $6, $7, $8, $9::bigint,"
		       " $9::bigint, $10::bigint) RETURNING id", 10, v, PGRES_TUPLES_OK, &r,
		       "wf_create", err, errlen);
	if (ret)
		return ret;
	w->id = pg_int(r, 0, 0);
	w->created = w->updated = now;
	PQclear(r);
	return 0;
}

static int pg_wf_update(struct fleet_store *st, const struct fleet_wf *w, int expect_step,
			const char *expect_status, char *err, size_t errlen)
{
	char id[24], step[16], attempt[16], wake[24], upd[24], exp[16];
	const char *v[10] = { id, w->status, step, attempt, w->reason, w->data, wake, upd, exp,
			      expect_status };
	PGresult *r;
	int ret;

	ret = CHECK_TEXT(w->status, "workflow status");
	if (!ret)
		ret = CHECK_TEXT(w->reason, "workflow reason");
	if (!ret)
		ret = CHECK_TEXT(w->data, "workflow data");
	if (!ret && expect_status)
		ret = pg_check_text(expect_status, sizeof(w->status), "expected status", err,
				    errlen);
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	snprintf(id, sizeof(id), "%" PRId64, w->id);
	snprintf(step, sizeof(step), "%d", w->step);
	snprintf(attempt, sizeof(attempt), "%d", w->attempt);
	snprintf(wake, sizeof(wake), "%" PRId64, w->wake_at);
	snprintf(upd, sizeof(upd), "%" PRId64, w->updated);
	snprintf(exp, sizeof(exp), "%d", expect_step < 0 ? -1 : expect_step);
	/*
	 * One statement, so one atomic compare and set: the UPDATE's count and,
	 * when nothing matched, whether the row exists at all (-ENOENT) or
	 * moved on (-ESTALE).
	 */
	ret = pg_query(st, "WITH u AS (UPDATE fleet_workflows SET status = $2, step = $3::integer,"
		       " attempt = $4::integer, reason = $5, data = $6, wake_at = $7::bigint,"
		       " updated = $8::bigint WHERE id = $1::bigint"
		       " AND ($9::integer < 0 OR step = $9::integer)"
		       " AND ($10::text IS NULL OR status = $10::text) RETURNING 1)"
		       " SELECT (SELECT count(*) FROM u),"
		       " EXISTS (SELECT 1 FROM fleet_workflows WHERE id = $1::bigint)",
		       10, v, PGRES_TUPLES_OK, &r, "wf_update", err, errlen);
	if (ret)
		return ret;
	if (pg_int(r, 0, 0) == 1) {
		ret = 0;
	} else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
		snprintf(err, errlen,
			 "postgresql: workflow %" PRId64 " is no longer at step %d%s%s", w->id,
			 expect_step, expect_status ? ", status " : "",
			 expect_status ? expect_status : "");
		ret = -ESTALE;
	} else {
		snprintf(err, errlen, "postgresql: no workflow %" PRId64, w->id);
		ret = -ENOENT;
	}
	PQclear(r);
	return ret;
}

static int pg_wf_get(struct fleet_store *st, int64_t id, struct fleet_wf *w, char *err,
		     size_t errlen)
{
	char ids[24];
	const char *v[1] = { ids };
	PGresult *r;
	int ret;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	ret = pg_ready(st, err, errlen);
	if (!ret)
		ret = pg_query(st, "SELECT " WF_COLS " FROM fleet_workflows WHERE id = $1::bigint",
			       1, v, PGRES_TUPLES_OK, &r, "wf_get", err, errlen);
	if (ret)
		return ret;
	if (PQntuples(r) == 1) {
		ret = pg_row_wf(r, 0, w, err, errlen);
	} else {
		snprintf(err, errlen, "postgresql: no workflow %" PRId64, id);
		ret = -ENOENT;
	}
	PQclear(r);
	return ret;
}

static int pg_wf_list(struct fleet_store *st, const char *server, bool active, int limit,
		      fleet_wf_cb cb, void *ctx, char *err, size_t errlen)
{
	char lim[16];
	const char *v[3] = { server, active ? "true" : "false", limit ? lim : NULL };
	struct fleet_wf *w;
	PGresult *r;
	int ret = 0;

	if (limit < 0) {
		snprintf(err, errlen, "postgresql: wf_list: negative limit");
		return -EINVAL;
	}
	if (server)
		ret = pg_check_text(server, FLEET_ID_MAX, "server id", err, errlen);
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	snprintf(lim, sizeof(lim), "%d", limit);
	/* LIMIT NULL: no limit */
	ret = pg_query(st, "SELECT " WF_COLS " FROM fleet_workflows"
		       " WHERE ($1::text IS NULL OR server = $1::text)"
		       " AND (NOT $2::boolean OR status IN ('pending', 'running'))"
		       " ORDER BY id DESC LIMIT $3::bigint", 3, v, PGRES_TUPLES_OK, &r,
		       "wf_list", err, errlen);
	if (ret)
		return ret;
	w = malloc(sizeof(*w)); /* 9 KB: not on an API thread's stack */
	if (!w) {
		PQclear(r);
		snprintf(err, errlen, "postgresql: out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		ret = pg_row_wf(r, i, w, err, errlen);
		if (!ret)
			ret = cb(w, ctx);
	}
	free(w);
	PQclear(r);
	return ret;
}

/* --- audit --------------------------------------------------------------- */

static int pg_audit_add(struct fleet_store *st, const struct fleet_audit *a, char *err,
			size_t errlen)
{
	char at[24];
	const char *v[4] = { at, a->who, a->what, a->outcome };
	PGresult *r;
	int ret;

	ret = CHECK_TEXT(a->who, "audit who");
	if (!ret)
		ret = CHECK_TEXT(a->what, "audit what");
	if (!ret)
		ret = CHECK_TEXT(a->outcome, "audit outcome");
	if (!ret)
		ret = pg_ready(st, err, errlen);
	if (ret)
		return ret;
	snprintf(at, sizeof(at), "%" PRId64, a->at);
	ret = pg_query(st, "INSERT INTO fleet_audit(at, who, what, outcome)"
		       " VALUES($1::bigint, $2, $3, $4)", 4, v, PGRES_COMMAND_OK, &r, "audit_add",
		       err, errlen);
	PQclear(r);
	return ret;
}

static int pg_audit_list(struct fleet_store *st, int limit, fleet_audit_cb cb, void *ctx,
			 char *err, size_t errlen)
{
	char lim[16];
	const char *v[1] = { limit ? lim : NULL };
	struct fleet_audit a;
	PGresult *r;
	int ret;

	if (limit < 0) {
		snprintf(err, errlen, "postgresql: audit_list: negative limit");
		return -EINVAL;
	}
	snprintf(lim, sizeof(lim), "%d", limit);
	ret = pg_ready(st, err, errlen);
	if (!ret)
		ret = pg_query(st, "SELECT at, who, what, outcome FROM fleet_audit"
			       " ORDER BY id DESC LIMIT $1::bigint", 1, v, PGRES_TUPLES_OK, &r,
			       "audit_list", err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < PQntuples(r) && !ret; i++) {
		memset(&a, 0, sizeof(a));
		a.at = pg_int(r, i, 0);
		ret = COL_TEXT(r, i, 1, a.who, "audit who");
		if (!ret)
			ret = COL_TEXT(r, i, 2, a.what, "audit what");
		if (!ret)
			ret = COL_TEXT(r, i, 3, a.outcome, "audit outcome");
		if (!ret)
			ret = cb(&a, ctx);
	}
	PQclear(r);
	return ret;
}

const struct fleet_store_ops fleet_store_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.leader = pg_leader,
	.server_get = pg_server_get,
	.server_put = pg_server_put,
	.server_list = pg_server_list,
	.wf_create = pg_wf_create,
	.wf_update = pg_wf_update,
	.wf_get = pg_wf_get,
	.wf_list = pg_wf_list,
	.audit_add = pg_audit_add,
	.audit_list = pg_audit_list,
};
