/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.h - sovereign-fleet's durable state behind one small interface:
 * servers' states, workflows (each step written before it is taken), the
 * audit log, and leadership.  Two backends, one ops table each:
 *   store_sqlite.c  "sqlite:/var/lib/sovereign/fleet.db" (embedded default,
 *                   WAL; leadership: an exclusive lock file next to the db)
 *   store_pg.c      "postgresql://..." or any libpq conninfo (libpq); two
 *                   orchestrators share one database, one leader at a time
 *                   through a session-level pg_try_advisory_lock.
 *
 * Context: process context, blocking (bounded: a PostgreSQL connection
 * uses connect_timeout and statement_timeout).  A store handle belongs to
 * one thread at a time: the API threads and the engine each open their own.
 * Errors: -errno with a one-line description in @err; nothing printed.
 *   -ENOENT no such row (also: server_put naming a workflow that does not
 *   exist); -EEXIST duplicate; -ESTALE wf_update's compare failed;
 *   -E2BIG a text field without its NUL within its array, or a stored value
 *   longer than the field (never truncated); -EILSEQ PostgreSQL refused
 *   invalid UTF-8 (SQLite stores the bytes as given); -ECONNREFUSED
 *   database unreachable (PostgreSQL, within connect_timeout, 5 s by
 *   default); -EIO database failed, or its connection was lost (the next
 *   call reconnects); -EBUSY / -ETIMEDOUT a lock or statement timeout
 *   (transient: retry); -EPROTONOSUPPORT the schema is newer than this
 *   program; -EINVAL bad argument; -ENOMEM.
 * Callbacks (*_list): a non-zero return stops the walk and is returned; a
 * callback may call other operations on the same handle, but must not
 * list the same kind again (SQLite: -EBUSY).  @limit 0: no limit.
 */
#ifndef SOVEREIGN_FLEET_STORE_H
#define SOVEREIGN_FLEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_ID_MAX 64       /* server id, with NUL: [A-Za-z0-9._-]{1,63} */
#define FLEET_REASON_MAX 512
#define FLEET_DATA_MAX 8192   /* a workflow's own JSON values */

/* struct fleet_server_state - what the orchestrator knows of a server now. */
struct fleet_server_state {
	char id[FLEET_ID_MAX];
	char state[24];   /* ready, draining, drained, maintenance, needs-attention, resetting */
	char reason[FLEET_REASON_MAX]; /* why (needs-attention), "" otherwise */
	int64_t workflow;  /* the workflow that holds it, 0 if none */
	int64_t updated;   /* unix seconds */
};

/* struct fleet_wf - one workflow. */
struct fleet_wf {
	int64_t id;                 /* assigned by wf_create */
	char server[FLEET_ID_MAX];
	char kind[16];              /* drain, resume, maintain, standby, reset */
	char status[16];            /* pending, running, done, failed, aborted */
	int step;                   /* the step to take next; stored before it is taken */
	int attempt;                /* attempts of this step (retry counts) */
	char reason[FLEET_REASON_MAX]; /* failure or abort reason */
	char data[FLEET_DATA_MAX];  /* JSON object, the workflow's own values; "{}" at start */
	char requested_by[64];      /* the API token's name, or "alertmanager" */
	int64_t created, updated;   /* unix seconds */
	int64_t wake_at;            /* unix ms: not before (Retry-After, poll period); 0 now */
};

/* struct fleet_audit - one line of the audit log. */
struct fleet_audit {
	int64_t at;          /* unix seconds */
	char who[64];        /* token name, "alertmanager", "engine" */
	char what[256];      /* "POST /api/v1/servers/n1/maintain" */
	char outcome[256];   /* "202 workflow 12", "401 bad token" */
};

struct fleet_store;

typedef int (*fleet_server_cb)(const struct fleet_server_state *s, void *ctx);
typedef int (*fleet_wf_cb)(const struct fleet_wf *w, void *ctx);
typedef int (*fleet_audit_cb)(const struct fleet_audit *a, void *ctx);

struct fleet_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	/* open() - connect and create the schema if missing (idempotent). */
	int (*open)(const char *dsn, struct fleet_store **out, char *err, size_t errlen);
	void (*close)(struct fleet_store *st);
	/*
	 * leader() - try to be (or stay) the leader: *@is_leader true if this
	 * handle holds leadership now.  Non-blocking.  The lock is tied to the
	 * handle (session): a dead process's leadership ends with its
	 * connection (PostgreSQL) or its file lock (SQLite).  PostgreSQL:
	 * when the session was lost (checked on every call), the call that
	 * notices reports false even if the reconnected session got the
	 * lock back; the next call reports true.
	 */
	int (*leader)(struct fleet_store *st, bool *is_leader, char *err, size_t errlen);
	int (*server_get)(struct fleet_store *st, const char *id, struct fleet_server_state *s,
			  char *err, size_t errlen);
	/* server_put() - insert or replace (updated set by the caller). */
	int (*server_put)(struct fleet_store *st, const struct fleet_server_state *s, char *err,
			  size_t errlen);
	/* server_list() - every server, by id; a non-zero return of @cb stops and is returned. */
	int (*server_list)(struct fleet_store *st, fleet_server_cb cb, void *ctx, char *err,
			   size_t errlen);
	/* wf_create() - insert @w (status/step as given), set w->id and w->created/updated. */
	int (*wf_create)(struct fleet_store *st, struct fleet_wf *w, char *err, size_t errlen);
	/*
	 * wf_update() - store @w's status, step, attempt, reason, data, wake_at
	 * and updated, only if the row still has step @expect_step and status
	 * @expect_status (compare and set: a worker finishing a step never
	 * overwrites an abort made meanwhile).  -ESTALE when the row differs;
	 * @expect_step < 0 / @expect_status NULL skip that check.
	 */
	int (*wf_update)(struct fleet_store *st, const struct fleet_wf *w, int expect_step,
			 const char *expect_status, char *err, size_t errlen);
	int (*wf_get)(struct fleet_store *st, int64_t id, struct fleet_wf *w, char *err,
		      size_t errlen);
	/*
	 * wf_list() - workflows, newest first: of @server (NULL: all), only
	 * pending/running ones when @active, at most @limit (0: no limit).
	 */
	int (*wf_list)(struct fleet_store *st, const char *server, bool active, int limit,
		       fleet_wf_cb cb, void *ctx, char *err, size_t errlen);
	int (*audit_add)(struct fleet_store *st, const struct fleet_audit *a, char *err,
			 size_t errlen);
	/* audit_list() - newest first, at most @limit. */
	int (*audit_list)(struct fleet_store *st, int limit, fleet_audit_cb cb, void *ctx,
			  char *err, size_t errlen);
};

extern const struct fleet_store_ops fleet_store_sqlite;
extern const struct fleet_store_ops fleet_store_pg;

/*
 * fleet_store_open() - the backend @dsn names ("sqlite:PATH", a path
 * ending in .db, "postgresql://...", "postgres://...", or "host=... dbname=..."),
 * opened.  *@ops receives its table.  Return: 0 or -errno with @err.
 */
int fleet_store_open(const char *dsn, const struct fleet_store_ops **ops,
		     struct fleet_store **out, char *err, size_t errlen);

#endif /* SOVEREIGN_FLEET_STORE_H */
