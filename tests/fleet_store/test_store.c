/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_store.c - the fleet store (tools/fleet/store.h) against both
 * backends: every test body takes a backend and runs in suite "sqlite" and
 * suite "pg".  PostgreSQL is a throwaway cluster (pg_cluster.c) started
 * once for the binary in a PRE_ALL hook and removed in POST_ALL; each pg
 * test gets its own database.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "pg_cluster.h"
#include "store.h"

#define PGDIR_ENV "SOV_TEST_FLEET_PGDIR" /* the cluster's dir, or "!reason" */
#define SQDIR_ENV "SOV_TEST_FLEET_SQDIR" /* where each SQLite test makes its dir */

enum backend { B_SQLITE, B_PG };

static char g_pgdir[256];
static char g_sqdir[] = "/tmp/sov-fleet-sq-XXXXXX";

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char err[1024] = "", val[1100];

	(void)set;
	if (mkdtemp(g_sqdir))
		setenv(SQDIR_ENV, g_sqdir, 1);
	/* Test workers are fresh processes: they find the cluster through the environment. */
	if (pgc_start(g_pgdir, sizeof(g_pgdir), err, sizeof(err))) {
		g_pgdir[0] = '\0';
		snprintf(val, sizeof(val), "!%s", err);
	} else {
		snprintf(val, sizeof(val), "%s", g_pgdir);
	}
	setenv(PGDIR_ENV, val, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	pgc_stop(g_pgdir);
	pgc_rmtree(g_sqdir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *pg_dir(void)
{
	const char *d = getenv(PGDIR_ENV);

	cr_assert(d && *d, "no PostgreSQL cluster (PRE_ALL hook did not run)");
	cr_assert(d[0] != '!', "PostgreSQL cluster did not start: %s", d + 1);
	return d;
}

/* make_dsn() - a fresh, empty store for this test: a new db file or a new database. */
static void make_dsn(enum backend b, char *dsn, size_t n)
{
	static int seq;
	char err[512];

	if (b == B_SQLITE) {
		const char *root = getenv(SQDIR_ENV);
		char dir[256];

		cr_assert(root, "no SQLite test directory (PRE_ALL hook did not run)");
		snprintf(dir, sizeof(dir), "%s/XXXXXX", root);
		cr_assert(mkdtemp(dir));
		snprintf(dsn, n, "sqlite:%s/fleet.db", dir);
	} else {
		const char *d = pg_dir();
		char name[64];

		snprintf(name, sizeof(name), "t_%d_%d", (int)getpid(), seq++);
		cr_assert_eq(pgc_createdb(d, name, err, sizeof(err)), 0, "%s", err);
		snprintf(dsn, n, "host=%s dbname=%s user=postgres", d, name);
	}
}

struct h {
	const struct fleet_store_ops *ops;
	struct fleet_store *st;
	char err[512];
};

static void h_open(struct h *h, const char *dsn)
{
	int ret = fleet_store_open(dsn, &h->ops, &h->st, h->err, sizeof(h->err));

	cr_assert_eq(ret, 0, "open %s: %d %s", dsn, ret, h->err);
	cr_assert(h->st);
}

static void h_close(struct h *h)
{
	h->ops->close(h->st);
	h->st = NULL;
}

#define BOTH(name)                                                    \
	static void name(enum backend b);                             \
	Test(sqlite, name, .timeout = 30) { name(B_SQLITE); }         \
	Test(pg, name, .timeout = 30) { name(B_PG); }                 \
	static void name(enum backend b)

/* --- servers --------------------------------------------------------------- */

static struct fleet_server_state srv(const char *id, const char *state, int64_t upd)
{
	struct fleet_server_state s = { .updated = upd };

	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.state, sizeof(s.state), "%s", state);
	return s;
}

struct collect {
	char ids[16][FLEET_ID_MAX];
	int64_t wids[16];
	int n, stop_at;
};

static int collect_srv(const struct fleet_server_state *s, void *ctx)
{
	struct collect *c = ctx;

	snprintf(c->ids[c->n], FLEET_ID_MAX, "%s", s->id);
	c->n++;
	return c->n == c->stop_at ? 42 : 0;
}

BOTH(server_roundtrip)
{
	struct fleet_server_state a = srv("n2", "ready", 100), got;
	struct collect c = { 0 };
	struct h h;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	cr_assert_eq(h.ops->server_put(h.st, &a, h.err, sizeof(h.err)), 0, "%s", h.err);
	a = srv("n1", "draining", 101);
	cr_assert_eq(h.ops->server_put(h.st, &a, h.err, sizeof(h.err)), 0, "%s", h.err);
	a = srv("n3", "needs-attention", 102);
	snprintf(a.reason, sizeof(a.reason), "update failed: task Exception");
	cr_assert_eq(h.ops->server_put(h.st, &a, h.err, sizeof(h.err)), 0, "%s", h.err);

	cr_assert_eq(h.ops->server_get(h.st, "n3", &got, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_str_eq(got.id, "n3");
	cr_assert_str_eq(got.state, "needs-attention");
	cr_assert_str_eq(got.reason, "update failed: task Exception");
	cr_assert_eq(got.workflow, 0);
	cr_assert_eq(got.updated, 102);

	/* put replaces */
	a = srv("n3", "ready", 200);
	cr_assert_eq(h.ops->server_put(h.st, &a, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->server_get(h.st, "n3", &got, h.err, sizeof(h.err)), 0);
	cr_assert_str_eq(got.state, "ready");
	cr_assert_str_eq(got.reason, "");
	cr_assert_eq(got.updated, 200);

	cr_assert_eq(h.ops->server_get(h.st, "nope", &got, h.err, sizeof(h.err)), -ENOENT);
	cr_assert_eq(h.ops->server_list(h.st, collect_srv, &c, h.err, sizeof(h.err)), 0, "%s",
		     h.err);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.ids[0], "n1");
	cr_assert_str_eq(c.ids[1], "n2");
	cr_assert_str_eq(c.ids[2], "n3");
	/* a callback's non-zero return stops the walk and is returned */
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	cr_assert_eq(h.ops->server_list(h.st, collect_srv, &c, h.err, sizeof(h.err)), 42);
	cr_assert_eq(c.n, 2);

	/* the workflow holding a server must exist (foreign key) */
	a = srv("n1", "draining", 300);
	a.workflow = 9999;
	cr_assert_eq(h.ops->server_put(h.st, &a, h.err, sizeof(h.err)), -ENOENT, "%s", h.err);
	cr_assert_eq(h.ops->server_get(h.st, "n1", &got, h.err, sizeof(h.err)), 0);
	cr_assert_eq(got.updated, 101, "a refused put changed the row");
	h_close(&h);
}

/* --- workflows ------------------------------------------------------------- */

static struct fleet_wf wf(const char *server, const char *kind, const char *status)
{
	struct fleet_wf w = { 0 };

	snprintf(w.server, sizeof(w.server), "%s", server);
	snprintf(w.kind, sizeof(w.kind), "%s", kind);
	snprintf(w.status, sizeof(w.status), "%s", status);
	snprintf(w.data, sizeof(w.data), "{}");
	snprintf(w.requested_by, sizeof(w.requested_by), "ops");
	return w;
}

static int collect_wf(const struct fleet_wf *w, void *ctx)
{
	struct collect *c = ctx;

	c->wids[c->n++] = w->id;
	return 0;
}

static void list_wf(struct h *h, const char *server, bool active, int limit, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	cr_assert_eq(h->ops->wf_list(h->st, server, active, limit, collect_wf, c, h->err,
				     sizeof(h->err)), 0, "%s", h->err);
}

BOTH(workflows)
{
	struct fleet_wf w[5], got;
	static const char *const sv[5] = { "n1", "n2", "n1", "n3", "n1" };
	static const char *const status[5] = { "done", "running", "pending", "failed", "running" };
	int64_t t0 = (int64_t)time(NULL);
	struct collect c;
	struct h h;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	for (int i = 0; i < 5; i++) {
		w[i] = wf(sv[i], "maintain", status[i]);
		w[i].step = i;
		w[i].attempt = 7 * i;
		w[i].wake_at = 1700000000123LL + i;
		snprintf(w[i].data, sizeof(w[i].data),
			 "{\"task\":\"/redfish/v1/TaskService/Tasks/%d\"}", i);
		cr_assert_eq(h.ops->wf_create(h.st, &w[i], h.err, sizeof(h.err)), 0, "%s", h.err);
		cr_assert_gt(w[i].id, i ? w[i - 1].id : 0, "ids increase");
		cr_assert_geq(w[i].created, t0);
		cr_assert_eq(w[i].updated, w[i].created);
	}
	cr_assert_eq(h.ops->wf_get(h.st, w[3].id, &got, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(got.id, w[3].id);
	cr_assert_str_eq(got.server, "n3");
	cr_assert_str_eq(got.kind, "maintain");
	cr_assert_str_eq(got.status, "failed");
	cr_assert_eq(got.step, 3);
	cr_assert_eq(got.attempt, 21);
	cr_assert_str_eq(got.data, "{\"task\":\"/redfish/v1/TaskService/Tasks/3\"}");
	cr_assert_str_eq(got.requested_by, "ops");
	cr_assert_eq(got.created, w[3].created);
	cr_assert_eq(got.wake_at, 1700000000126LL);
	cr_assert_eq(h.ops->wf_get(h.st, w[4].id + 100, &got, h.err, sizeof(h.err)), -ENOENT);

	list_wf(&h, NULL, false, 0, &c); /* all, newest first */
	cr_assert_eq(c.n, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(c.wids[i], w[4 - i].id);
	list_wf(&h, "n1", false, 0, &c);
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.wids[0], w[4].id);
	cr_assert_eq(c.wids[1], w[2].id);
	cr_assert_eq(c.wids[2], w[0].id);
	list_wf(&h, NULL, true, 0, &c); /* pending and running only */
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.wids[0], w[4].id);
	cr_assert_eq(c.wids[1], w[2].id);
	cr_assert_eq(c.wids[2], w[1].id);
	list_wf(&h, "n1", true, 1, &c);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.wids[0], w[4].id);
	list_wf(&h, NULL, false, 2, &c);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.wids[1], w[3].id);
	list_wf(&h, "n9", false, 0, &c);
	cr_assert_eq(c.n, 0);

	/* a server may point at an existing workflow */
	{
		struct fleet_server_state s = srv("n1", "draining", 5), gs;

		s.workflow = w[4].id;
		cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), 0, "%s", h.err);
		cr_assert_eq(h.ops->server_get(h.st, "n1", &gs, h.err, sizeof(h.err)), 0);
		cr_assert_eq(gs.workflow, w[4].id);
	}
	h_close(&h);
}

BOTH(wf_update_cas)
{
	struct fleet_wf w = wf("n1", "drain", "pending"), u, got;
	struct h h;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);

	u = w;
	snprintf(u.status, sizeof(u.status), "running");
	u.step = 1;
	u.attempt = 2;
	u.updated = 1234;
	u.wake_at = 99;
	snprintf(u.data, sizeof(u.data), "{\"hook\":\"ok\"}");
	snprintf(u.reason, sizeof(u.reason), "retry");
	cr_assert_eq(h.ops->wf_update(h.st, &u, 0, NULL, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->wf_get(h.st, w.id, &got, h.err, sizeof(h.err)), 0);
	cr_assert_str_eq(got.status, "running");
	cr_assert_eq(got.step, 1);
	cr_assert_eq(got.attempt, 2);
	cr_assert_eq(got.updated, 1234);
	cr_assert_eq(got.wake_at, 99);
	cr_assert_str_eq(got.data, "{\"hook\":\"ok\"}");
	cr_assert_str_eq(got.reason, "retry");
	cr_assert_str_eq(got.kind, "drain", "kind is not part of an update");

	/* a second writer still believing step 0: stale, and the row is unchanged */
	{
		struct fleet_wf other = w;

		other.step = 5;
		snprintf(other.status, sizeof(other.status), "failed");
		snprintf(other.data, sizeof(other.data), "{\"x\":1}");
		cr_assert_eq(h.ops->wf_update(h.st, &other, 0, NULL, h.err, sizeof(h.err)), -ESTALE,
			     "%s", h.err);
	}
	cr_assert_eq(h.ops->wf_get(h.st, w.id, &got, h.err, sizeof(h.err)), 0);
	cr_assert_eq(got.step, 1);
	cr_assert_str_eq(got.status, "running");
	cr_assert_str_eq(got.data, "{\"hook\":\"ok\"}");

	/* the handle is usable after a refused update (no transaction left open) */
	u.step = 2;
	cr_assert_eq(h.ops->wf_update(h.st, &u, 1, NULL, h.err, sizeof(h.err)), 0, "%s", h.err);
	u.step = 3;
	cr_assert_eq(h.ops->wf_update(h.st, &u, -1, NULL, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->wf_get(h.st, w.id, &got, h.err, sizeof(h.err)), 0);
	cr_assert_eq(got.step, 3);

	/* status compare: an abort made meanwhile is not overwritten by a finishing step */
	{
		struct fleet_wf ab = got, fin = got;

		snprintf(ab.status, sizeof(ab.status), "aborted");
		snprintf(ab.reason, sizeof(ab.reason), "operator abort");
		cr_assert_eq(h.ops->wf_update(h.st, &ab, -1, "running", h.err, sizeof(h.err)), 0,
			     "%s", h.err);
		fin.step = 4;
		snprintf(fin.status, sizeof(fin.status), "done");
		cr_assert_eq(h.ops->wf_update(h.st, &fin, 3, "running", h.err, sizeof(h.err)),
			     -ESTALE, "%s", h.err);
		cr_assert_eq(h.ops->wf_get(h.st, w.id, &got, h.err, sizeof(h.err)), 0);
		cr_assert_str_eq(got.status, "aborted");
		cr_assert_str_eq(got.reason, "operator abort");
		cr_assert_eq(got.step, 3);
		cr_assert_eq(h.ops->wf_update(h.st, &fin, 3, "aborted", h.err, sizeof(h.err)), 0,
			     "%s", h.err);
	}
	u.id = w.id + 1000;
	cr_assert_eq(h.ops->wf_update(h.st, &u, 3, NULL, h.err, sizeof(h.err)), -ENOENT, "%s",
		     h.err);
	h_close(&h);
}

/* the engine's pattern: walk the active workflows and move each one on */
struct advance {
	struct h *h;
	int n;
};

static int advance_wf(const struct fleet_wf *w, void *ctx)
{
	struct advance *a = ctx;
	struct fleet_wf u = *w;
	struct collect inner;

	u.step = w->step + 1;
	snprintf(u.status, sizeof(u.status), "done");
	cr_assert_eq(a->h->ops->wf_update(a->h->st, &u, w->step, "running", a->h->err,
					  sizeof(a->h->err)), 0, "%s", a->h->err);
	memset(&inner, 0, sizeof(inner));
	/* the same list from its own callback: SQLite refuses, PostgreSQL may answer */
	if (a->h->ops == &fleet_store_sqlite)
		cr_assert_eq(a->h->ops->wf_list(a->h->st, NULL, false, 0, collect_wf, &inner,
						a->h->err, sizeof(a->h->err)), -EBUSY);
	a->n++;
	return 0;
}

BOTH(update_from_list_callback)
{
	struct h h;
	struct advance a = { &h, 0 };
	struct collect c;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	for (int i = 0; i < 3; i++) {
		struct fleet_wf w = wf("n1", "drain", "running");

		cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);
	}
	cr_assert_eq(h.ops->wf_list(h.st, NULL, true, 0, advance_wf, &a, h.err, sizeof(h.err)), 0,
		     "%s", h.err);
	cr_assert_eq(a.n, 3);
	list_wf(&h, NULL, true, 0, &c);
	cr_assert_eq(c.n, 0, "updates made from the callback were lost");
	h_close(&h);
}

/* two writers racing on one step: exactly one wins, the others get -ESTALE */
BOTH(cas_race)
{
	enum { NCHILD = 4 };
	struct fleet_wf w = wf("n1", "maintain", "running"), got;
	int go[2], wins = 0, stale = 0;
	pid_t pid[NCHILD];
	char dsn[512];
	struct h h;

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(pipe(go), 0);
	for (int i = 0; i < NCHILD; i++) {
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0) {
			const struct fleet_store_ops *ops;
			struct fleet_store *st;
			struct fleet_wf u = w;
			char err[512], c;
			int ret;

			close(go[1]);
			if (fleet_store_open(dsn, &ops, &st, err, sizeof(err)))
				_exit(1);
			if (read(go[0], &c, 1) != 0) /* EOF: all start together */
				_exit(1);
			u.step = 1;
			snprintf(u.data, sizeof(u.data), "{\"by\":%d}", i);
			ret = ops->wf_update(st, &u, 0, "running", err, sizeof(err));
			if (ret && ret != -ESTALE)
				fprintf(stderr, "child %d: %d %s\n", i, ret, err);
			_exit(ret == 0 ? 0 : ret == -ESTALE ? 10 : 1);
		}
	}
	close(go[0]);
	usleep(200000); /* let every child connect */
	close(go[1]);
	for (int i = 0; i < NCHILD; i++) {
		int status;

		cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		cr_assert(WIFEXITED(status), "child %d crashed", i);
		wins += WEXITSTATUS(status) == 0;
		stale += WEXITSTATUS(status) == 10;
	}
	cr_assert_eq(wins, 1, "%d writers won the same step", wins);
	cr_assert_eq(stale, NCHILD - 1);
	cr_assert_eq(h.ops->wf_get(h.st, w.id, &got, h.err, sizeof(h.err)), 0);
	cr_assert_eq(got.step, 1);
	h_close(&h);
}

/* --- audit ----------------------------------------------------------------- */

struct alist {
	struct fleet_audit a[8];
	int n;
};

static int collect_audit(const struct fleet_audit *a, void *ctx)
{
	struct alist *l = ctx;

	l->a[l->n++] = *a;
	return 0;
}

BOTH(audit)
{
	struct alist l = { 0 };
	struct h h;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	for (int i = 0; i < 5; i++) {
		/* same second for some: order is insertion order, not only time */
		struct fleet_audit a = { .at = 1000 + i / 2 };

		snprintf(a.who, sizeof(a.who), "tok%d", i);
		snprintf(a.what, sizeof(a.what), "POST /api/v1/servers/n%d/maintain", i);
		snprintf(a.outcome, sizeof(a.outcome), "202 workflow %d", i);
		cr_assert_eq(h.ops->audit_add(h.st, &a, h.err, sizeof(h.err)), 0, "%s", h.err);
	}
	cr_assert_eq(h.ops->audit_list(h.st, 0, collect_audit, &l, h.err, sizeof(h.err)), 0,
		     "%s", h.err);
	cr_assert_eq(l.n, 5);
	for (int i = 0; i < 5; i++) {
		char want[64];

		snprintf(want, sizeof(want), "tok%d", 4 - i);
		cr_assert_str_eq(l.a[i].who, want, "newest first");
		cr_assert_eq(l.a[i].at, 1000 + (4 - i) / 2);
	}
	cr_assert_str_eq(l.a[0].what, "POST /api/v1/servers/n4/maintain");
	cr_assert_str_eq(l.a[0].outcome, "202 workflow 4");
	memset(&l, 0, sizeof(l));
	cr_assert_eq(h.ops->audit_list(h.st, 2, collect_audit, &l, h.err, sizeof(h.err)), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.a[1].who, "tok3");
	h_close(&h);
}

/* --- hostile and over-long strings ------------------------------------------ */

BOTH(hostile_strings)
{
	static const char *const valid[] = {
		"x'); DROP TABLE servers; --",
		"a\"b'c\\d\\\\'e",
		"$1 %s %n ?1 :x @y",
		"\xc3\xa9t\xc3\xa9 \xe2\x9c\x93",   /* valid UTF-8 */
	};
	static const char bad_utf8[] = "n\xff\xfe\xc0\x80'); DROP TABLE workflows; --";
	struct fleet_server_state s, got;
	struct fleet_wf w, gw;
	struct h h;
	char dsn[512];
	int ret;

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		s = srv(valid[i], "needs-attention", 1);
		snprintf(s.reason, sizeof(s.reason), "%s", valid[i]);
		cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), 0, "%s", h.err);
		cr_assert_eq(h.ops->server_get(h.st, valid[i], &got, h.err, sizeof(h.err)), 0,
			     "%s", h.err);
		cr_assert_eq(memcmp(got.id, valid[i], strlen(valid[i]) + 1), 0);
		cr_assert_eq(memcmp(got.reason, valid[i], strlen(valid[i]) + 1), 0);
		w = wf(valid[i], "drain", "pending");
		snprintf(w.reason, sizeof(w.reason), "%s", valid[i]);
		snprintf(w.data, sizeof(w.data), "{\"s\":\"%s\"}", valid[i]);
		cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);
		cr_assert_eq(h.ops->wf_get(h.st, w.id, &gw, h.err, sizeof(h.err)), 0);
		cr_assert_str_eq(gw.server, valid[i]);
		cr_assert_str_eq(gw.reason, valid[i]);
		cr_assert_str_eq(gw.data, w.data);
	}

	s = srv(bad_utf8, "needs-attention", 1);
	snprintf(s.reason, sizeof(s.reason), "%s", bad_utf8);
	ret = h.ops->server_put(h.st, &s, h.err, sizeof(h.err));
	if (b == B_SQLITE) {
		/* SQLite keeps TEXT bytes as given: byte for byte back */
		cr_assert_eq(ret, 0, "%s", h.err);
		cr_assert_eq(h.ops->server_get(h.st, bad_utf8, &got, h.err, sizeof(h.err)), 0);
		cr_assert_eq(memcmp(got.id, bad_utf8, sizeof(bad_utf8)), 0);
		cr_assert_eq(memcmp(got.reason, bad_utf8, sizeof(bad_utf8)), 0);
	} else {
		/* PostgreSQL's UTF8 database refuses invalid UTF-8: a clean -EILSEQ */
		cr_assert_eq(ret, -EILSEQ, "%d %s", ret, h.err);
		cr_assert(strstr(h.err, "UTF8"), "%s", h.err);
		cr_assert_eq(h.ops->server_get(h.st, bad_utf8, &got, h.err, sizeof(h.err)),
			     -EILSEQ);
	}
	/* every table still there, the handle still works */
	{
		struct collect c = { 0 };

		cr_assert_eq(h.ops->server_list(h.st, collect_srv, &c, h.err, sizeof(h.err)), 0,
			     "%s", h.err);
		cr_assert_eq(c.n, b == B_SQLITE ? 5 : 4);
		list_wf(&h, NULL, false, 0, &c);
		cr_assert_eq(c.n, 4);
	}
	h_close(&h);
}

BOTH(too_long)
{
	struct fleet_server_state s = srv("n1", "ready", 1), got;
	struct fleet_wf w = wf("n1", "drain", "pending");
	struct h h;
	char dsn[512];

	make_dsn(b, dsn, sizeof(dsn));
	h_open(&h, dsn);
	memset(s.reason, 'r', sizeof(s.reason)); /* no NUL: refused, not truncated */
	cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), -E2BIG);
	cr_assert_eq(h.ops->server_get(h.st, "n1", &got, h.err, sizeof(h.err)), -ENOENT);
	memset(w.data, '{', sizeof(w.data));
	cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), -E2BIG);
	w = wf("n1", "drain", "pending");
	cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);
	memset(w.status, 's', sizeof(w.status));
	cr_assert_eq(h.ops->wf_update(h.st, &w, -1, NULL, h.err, sizeof(h.err)), -E2BIG);
	/* the longest that fits is stored whole */
	memset(s.reason, 'r', sizeof(s.reason) - 1);
	s.reason[sizeof(s.reason) - 1] = '\0';
	cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->server_get(h.st, "n1", &got, h.err, sizeof(h.err)), 0);
	cr_assert_eq(strlen(got.reason), sizeof(s.reason) - 1);
	/* ...and the wf update refused above left the handle usable */
	w = wf("n1", "drain", "pending");
	cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0, "%s", h.err);
	h_close(&h);
}

/* --- concurrent first open: the schema is created once ----------------------- */

BOTH(concurrent_open)
{
	enum { NCHILD = 4 };
	pid_t pid[NCHILD];
	char dsn[512];
	struct h h;

	make_dsn(b, dsn, sizeof(dsn));
	for (int i = 0; i < NCHILD; i++) {
		pid[i] = fork();
		cr_assert_geq(pid[i], 0);
		if (pid[i] == 0) {
			const struct fleet_store_ops *ops;
			struct fleet_store *st;
			struct fleet_wf w = wf("n1", "drain", "pending");
			char err[512];

			if (fleet_store_open(dsn, &ops, &st, err, sizeof(err))) {
				fprintf(stderr, "child open: %s\n", err);
				_exit(1);
			}
			if (ops->wf_create(st, &w, err, sizeof(err))) {
				fprintf(stderr, "child wf_create: %s\n", err);
				_exit(2);
			}
			ops->close(st);
			_exit(0);
		}
	}
	for (int i = 0; i < NCHILD; i++) {
		int status;

		cr_assert_eq(waitpid(pid[i], &status, 0), pid[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", i);
	}
	h_open(&h, dsn);
	{
		struct collect c;

		list_wf(&h, NULL, false, 0, &c);
		cr_assert_eq(c.n, NCHILD);
	}
	h_close(&h);
}

/* --- leadership ---------------------------------------------------------------- */

BOTH(leadership)
{
	int p[2];
	char dsn[512], c;
	pid_t pid;
	struct h h, h2;
	bool lead = true;
	double t0, dt;
	int status;

	make_dsn(b, dsn, sizeof(dsn));
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const struct fleet_store_ops *ops;
		struct fleet_store *st;
		bool l = false;
		char err[512];

		close(p[0]);
		if (fleet_store_open(dsn, &ops, &st, err, sizeof(err)) ||
		    ops->leader(st, &l, err, sizeof(err)) || !l)
			_exit(1);
		if (write(p[1], "L", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "child did not become leader");
	close(p[0]);

	h_open(&h, dsn);
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_not(lead, "two leaders");
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_not(lead, "two leaders");

	t0 = now_s();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	do {
		cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
		if (!lead)
			usleep(20000);
	} while (!lead && now_s() - t0 < 5.0);
	dt = now_s() - t0;
	cr_assert(lead, "no takeover within 5 s");
	fprintf(stderr, "%s: takeover after SIGKILL of the leader: %.1f ms\n",
		b == B_SQLITE ? "sqlite" : "pg", dt * 1e3);

	/* staying leader; a second handle in this process is not leader */
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert(lead);
	h_open(&h2, dsn);
	cr_assert_eq(h2.ops->leader(h2.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_not(lead, "second handle is leader too");
	/* closing the leader's handle hands leadership over */
	h_close(&h);
	t0 = now_s();
	do {
		cr_assert_eq(h2.ops->leader(h2.st, &lead, h2.err, sizeof(h2.err)), 0);
		if (!lead)
			usleep(20000);
	} while (!lead && now_s() - t0 < 5.0);
	cr_assert(lead, "close did not release leadership");
	h_close(&h2);
}

/* --- durability (SQLite) --------------------------------------------------------- */

Test(sqlite, kill9_durability, .timeout = 60)
{
	enum { ACKED_BEFORE_KILL = 300 };
	char dsn[512], path[512];
	int p[2], status, last = -1;
	int64_t id;
	pid_t pid;
	struct h h;
	struct fleet_wf got;
	double t0, dt;

	make_dsn(B_SQLITE, dsn, sizeof(dsn));
	snprintf(path, sizeof(path), "%s", dsn + strlen("sqlite:"));
	h_open(&h, dsn);
	{
		struct fleet_wf w = wf("n1", "maintain", "running");

		cr_assert_eq(h.ops->wf_create(h.st, &w, h.err, sizeof(h.err)), 0);
		id = w.id;
	}
	h_close(&h);

	cr_assert_eq(pipe(p), 0);
	t0 = now_s();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const struct fleet_store_ops *ops;
		struct fleet_store *st;
		struct fleet_wf w;
		char err[512];

		close(p[0]);
		if (fleet_store_open(dsn, &ops, &st, err, sizeof(err)) ||
		    ops->wf_get(st, id, &w, err, sizeof(err)))
			_exit(1);
		for (int i = 1;; i++) {
			struct fleet_audit a = { .at = i };

			w.step = i;
			snprintf(w.data, sizeof(w.data), "{\"i\":%d}", i);
			snprintf(a.who, sizeof(a.who), "engine");
			snprintf(a.what, sizeof(a.what), "step %d", i);
			if (ops->wf_update(st, &w, i - 1, NULL, err, sizeof(err)) ||
			    ops->audit_add(st, &a, err, sizeof(err)))
				_exit(2);
			/* acknowledged only once both are committed */
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(3);
		}
	}
	close(p[1]);
	for (;;) {
		int i;

		cr_assert_eq(read(p[0], &i, sizeof(i)), (ssize_t)sizeof(i), "child died early");
		last = i;
		if (last >= ACKED_BEFORE_KILL)
			break;
	}
	dt = now_s() - t0;
	kill(pid, SIGKILL); /* mid-way: the child is inside its next update */
	/* acknowledgements already in the pipe are committed too */
	{
		int i;

		while (read(p[0], &i, sizeof(i)) == (ssize_t)sizeof(i))
			last = i;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was not killed");

	{
		sqlite3 *db;
		sqlite3_stmt *s;

		cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
		cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL),
			     SQLITE_OK);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	h_open(&h, dsn);
	cr_assert_eq(h.ops->wf_get(h.st, id, &got, h.err, sizeof(h.err)), 0, "%s", h.err);
	/* every acknowledged step is there; at most the one in flight beyond */
	cr_assert(got.step == last || got.step == last + 1, "step %d, last acknowledged %d",
		  got.step, last);
	{
		char want[32];

		snprintf(want, sizeof(want), "{\"i\":%d}", got.step);
		cr_assert_str_eq(got.data, want);
	}
	{
		struct alist l = { 0 };

		cr_assert_eq(h.ops->audit_list(h.st, 1, collect_audit, &l, h.err,
					       sizeof(h.err)), 0);
		cr_assert_eq(l.n, 1);
		cr_assert_geq(l.a[0].at, last, "audit lost committed rows");
	}
	fprintf(stderr, "sqlite: killed after %d acknowledged updates (%.2f ms per wf_update +"
		" audit_add, synchronous=FULL); step on reopen %d\n", last,
		dt * 1e3 / ACKED_BEFORE_KILL, got.step);
	h_close(&h);
}

/* --- unreachable PostgreSQL ------------------------------------------------------ */

Test(pg, unreachable_socket, .timeout = 30)
{
	char dir[] = "/tmp/sov-fleet-nopg-XXXXXX", dsn[256], err[512];
	const struct fleet_store_ops *ops;
	struct fleet_store *st = NULL;
	double t0, dt;
	int ret;

	cr_assert(mkdtemp(dir));
	snprintf(dsn, sizeof(dsn), "host=%s dbname=fleet user=postgres", dir);
	t0 = now_s();
	ret = fleet_store_open(dsn, &ops, &st, err, sizeof(err));
	dt = now_s() - t0;
	rmdir(dir);
	fprintf(stderr, "pg: no server at %s: %d after %.0f ms: %s\n", dir, ret, dt * 1e3, err);
	cr_assert(ret == -ECONNREFUSED || ret == -EIO, "%d", ret);
	cr_assert_null(st);
	cr_assert_lt(dt, 6.0);
	cr_assert(strstr(err, dir), "message does not name the socket: %s", err);
}

Test(pg, unreachable_tcp_timeout, .timeout = 30)
{
	/*
	 * A listener that never accepts nor answers: the kernel completes the
	 * handshake, libpq then waits for the server's reply, which never
	 * comes; connect_timeout (5 s) must end the wait.
	 */
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	const struct fleet_store_ops *ops;
	struct fleet_store *st = NULL;
	char dsn[128], err[512], where[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0), ret;
	double t0, dt;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(dsn, sizeof(dsn), "postgresql://fleet@127.0.0.1:%d/fleet", ntohs(sa.sin_port));
	snprintf(where, sizeof(where), "port %d", ntohs(sa.sin_port));
	t0 = now_s();
	ret = fleet_store_open(dsn, &ops, &st, err, sizeof(err));
	dt = now_s() - t0;
	close(fd);
	fprintf(stderr, "pg: %s (never answers): %d after %.0f ms: %s\n", dsn, ret, dt * 1e3, err);
	cr_assert(ret == -ECONNREFUSED || ret == -EIO, "%d", ret);
	cr_assert_null(st);
	cr_assert_geq(dt, 4.0, "returned before connect_timeout: %s", err);
	cr_assert_lt(dt, 7.0);
	cr_assert(strstr(err, "127.0.0.1") && strstr(err, where), "message names no host: %s", err);
}

/* terminate_sessions() - end every sovereign-fleet session on the database of @dsn. */
static int terminate_sessions(const char *dsn)
{
	char conninfo[600];
	PGconn *c;
	PGresult *r;
	int n;

	snprintf(conninfo, sizeof(conninfo), "%s application_name=test", dsn);
	c = PQconnectdb(conninfo);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
		      " WHERE application_name = 'sovereign-fleet'"
		      " AND datname = current_database()");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

Test(pg, leader_connection_lost, .timeout = 30)
{
	struct fleet_server_state s = srv("n1", "ready", 1), got;
	char dsn[512];
	bool lead = false;
	struct h h;
	int ret;

	make_dsn(B_PG, dsn, sizeof(dsn));
	h_open(&h, dsn);
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert(lead);
	cr_assert_eq(terminate_sessions(dsn), 1);
	/* the lock died with the session: not leader now, whatever the reconnect gives */
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_not(lead, "leadership survived its session");
	/* nobody else wanted it: the reconnected session holds it, reported from the next call */
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert(lead);
	/* a statement on a dropped connection fails once (-EIO), the next reconnects */
	cr_assert_eq(terminate_sessions(dsn), 1);
	ret = h.ops->server_put(h.st, &s, h.err, sizeof(h.err));
	cr_assert_eq(ret, -EIO, "%d %s", ret, h.err);
	cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->server_get(h.st, "n1", &got, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_eq(h.ops->leader(h.st, &lead, h.err, sizeof(h.err)), 0, "%s", h.err);
	cr_assert_not(lead, "leadership survived its second session");
	h_close(&h);
}

Test(pg, uri_dsn, .timeout = 30)
{
	char dsn[512], uri[600];
	struct h h;
	struct fleet_server_state s = srv("n1", "ready", 1), got;

	make_dsn(B_PG, dsn, sizeof(dsn));
	/* "host=DIR dbname=NAME user=postgres" -> postgresql:///NAME?host=DIR&user=postgres */
	{
		char dir[256], name[64];

		cr_assert_eq(sscanf(dsn, "host=%255s dbname=%63s", dir, name), 2);
		snprintf(uri, sizeof(uri), "postgresql:///%s?host=%s&user=postgres", name, dir);
	}
	h_open(&h, uri);
	cr_assert_str_eq(h.ops->name, "postgresql");
	cr_assert_eq(h.ops->server_put(h.st, &s, h.err, sizeof(h.err)), 0, "%s", h.err);
	h_close(&h);
	h_open(&h, dsn); /* the same database through conninfo */
	cr_assert_eq(h.ops->server_get(h.st, "n1", &got, h.err, sizeof(h.err)), 0, "%s", h.err);
	h_close(&h);
}

/* --- dsn dispatch ------------------------------------------------------------------ */

Test(sqlite, dsn_forms, .timeout = 30)
{
	char dir[256], dsn[256], err[256];
	const struct fleet_store_ops *ops = NULL;
	struct fleet_store *st;

	cr_assert(getenv(SQDIR_ENV));
	snprintf(dir, sizeof(dir), "%s/XXXXXX", getenv(SQDIR_ENV));
	cr_assert(mkdtemp(dir));
	snprintf(dsn, sizeof(dsn), "%s/plain.db", dir);
	cr_assert_eq(fleet_store_open(dsn, &ops, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ops, &fleet_store_sqlite);
	ops->close(st);
	cr_assert_eq(fleet_store_open("mysql://x/y", &ops, &st, err, sizeof(err)), -EINVAL);
	cr_assert_eq(fleet_store_open("", &ops, &st, err, sizeof(err)), -EINVAL);
	cr_assert_eq(fleet_store_open("sqlite:", &ops, &st, err, sizeof(err)), -EINVAL);
	snprintf(dsn, sizeof(dsn), "sqlite:%s/no/such/dir/x.db", dir);
	cr_assert_lt(fleet_store_open(dsn, &ops, &st, err, sizeof(err)), 0);
	cr_assert(strstr(err, "no/such/dir"), "%s", err);
}
