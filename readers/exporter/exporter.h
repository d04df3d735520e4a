/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exporter.h - sovereign-exporter's parts, shared inside the program only:
 * the options, the page (one snapshot and its renderings), the process-wide
 * state, and the functions one part calls in another.  page.c makes and
 * shares pages, segments.c polls the segments, http.c answers requests,
 * auth.c checks Basic credentials and reads secret files, setup.c binds
 * the socket, budgets descriptors and drops privileges, exporter.c is main.
 */
#ifndef SOVEREIGN_READERS_EXPORTER_H
#define SOVEREIGN_READERS_EXPORTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "metrics.h"

#define PROG "sovereign-exporter"

/* Defaults of readers/fan (state_segment) and readers/watchdog (segment). */
#define EXP_FAN_SEGMENT "/sovereign-fan"
#define EXP_WATCHDOG_SEGMENT "/sovereign-watchdog"

struct opts {
	const char *segment;
	const char *fan_segment;      /* "": not exported */
	const char *watchdog_segment; /* "": not exported */
	const char *listen;
	uint64_t window_s;
	uint64_t stale_ms;     /* 0: 5 x the sampler's period, or 5 s */
	unsigned max_conn;
	unsigned max_conn_ip;  /* 0: no per-address limit */
	unsigned timeout_s;
	unsigned head_timeout_s;
	const char *user;
	const char *auth_file;
	const char *tls_cert, *tls_key;
};

/*
 * A page: one snapshot of the segments, and its renderings in each format,
 * plain and gzip, made on first demand (page_body()).  Shared between
 * refresh() (which makes it) and every response that serves it; freed by
 * whichever drops the last reference.
 */
struct page {
	atomic_uint refs;
	pthread_mutex_t mu;     /* guards the renderings below */
	struct exp_snapshot snap, fan, watchdog; /* owned copies; snap links the others */
	char *body[EXP_FMT_MAX_];
	size_t len[EXP_FMT_MAX_];
	char *gz[EXP_FMT_MAX_];
	size_t gzlen[EXP_FMT_MAX_];
	bool up;
	char state[24];
};

struct cred {
	char *user, *pass;
};


/* The process-wide state: the options, the current page, counters, credentials. */
struct exp_global {
	struct opts o;
	pthread_mutex_t lock;  /* held only to read or swap .cur (and take a ref) */
	struct page *cur;
	atomic_ulong scrapes;
	atomic_ulong requests[EXP_NCODES];
	atomic_ulong render_ns; /* duration of the last rendering */
	struct cred *creds;
	size_t ncreds;
};

extern struct exp_global g;

void page_put(struct page *p);

struct page *page_get(void);

void page_swap(struct page *p);

uint64_t now_ns(void);

/*
 * Make a page of @snap (with its ->fan and ->watchdog, when set) and
 * publish it.  Nothing is rendered here: see page_body().
 * Context: refresh().  Return: 0 or -ENOMEM (the old page stays).
 */
int publish(const struct exp_snapshot *snap);

/*
 * page_body() - @p rendered in format @f (gzip-compressed if @gz): made on
 * the first call for that format and encoding, the same bytes after.  The
 * exporter's own counters are as of that rendering.
 * Context: an HTTP thread.  Return: 0 with *@body / *@len pointing into
 * @p (valid while the caller holds its reference), or -ENOMEM / -EIO.
 */
int page_body(struct page *p, enum exp_format f, bool gz, const char **body, size_t *len);

/*
 * refresh() - make a new page if any segment has a new sample or
 * generation, or the page is a second old (so that age and staleness move
 * while writers are silent); else keep the current page.  Reads only
 * shared memory: never a sensor, and the seqlock reader never waits for
 * the sampler.  A sample nobody asks for costs nothing.
 * Context: an HTTP request (or start-up); serialised by segs.lock.
 */
void refresh(void);

void segs_open(void);

void segs_close(void);

/* Does header @value list @token (case-insensitive), not refused by q=0? */
bool accepts(const char *value, const char *token);

enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls);

/* Constant-time comparison: the time taken must not tell how much matched. */
bool same(const char *a, const char *b);

bool authorised(struct MHD_Connection *c);

/* The whole of a small file (certificate, key), NUL-terminated; a @secret
 * one (the key) is checked with warn_world_readable(). */
char *slurp(const char *path, bool secret);

/* "user:password" lines; '#' comments and blank lines ignored. */
int load_auth(const char *path);

/*
 * Bind the listening socket for "ADDR:PORT", ":PORT", "[V6]:PORT".  An empty
 * address is every address: IPv6 dual-stack if the host has IPv6, else IPv4.
 */
int listen_on(const char *spec);

/* Become @user, keeping its groups (the segment's group among them). */
int drop_privileges(const char *user);

/*
 * libmicrohttpd's own connection limit.  Reaching it makes MHD stop
 * accepting, and what exceeds it waits unanswered in the listen backlog
 * (a scrape from anywhere then times out).  So it is set beyond --max-conn,
 * which exp_conn_accept() enforces by closing the excess at once: MHD still
 * counts a connection closed in its current loop iteration, and at most
 * every open one closes in one iteration.
 */
unsigned mhd_conn_limit(unsigned max_conn);

/*
 * Make room for @conns connections in RLIMIT_NOFILE (accept() failing with
 * EMFILE also makes MHD stop accepting).  The soft limit is raised only
 * when it must be: the unit sets LimitNOFILE= instead, since its seccomp
 * filter denies @resources.  Return: 0, or -EMFILE (said).
 */
int fd_budget(unsigned conns);

/* @s as the decimal value of option @what in [@min, @max] (opt.h); a refusal says why. */
int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out);

#endif /* SOVEREIGN_READERS_EXPORTER_H */
