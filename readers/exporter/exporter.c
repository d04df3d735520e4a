/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exporter.c - sovereign-exporter: serves the sampler's segment (and,
 * read-only, the fan controller's and the watchdog's) to Prometheus over
 * HTTP (libmicrohttpd).  A request that finds a new sample (or a page a
 * second old) snapshots the segments into a new page; the first scrape of a
 * page renders it in the format and encoding it asks for, and every later
 * scrape of that page is served those bytes.  Scrapes read shared memory
 * only, never a sensor, and never wait for the sampler; a sample nobody
 * scrapes costs nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "metrics.h"

#define PROG "sovereign-exporter"

/* Defaults of readers/fan (state_segment) and readers/watchdog (segment). */
#define EXP_FAN_SEGMENT "/sovereign-fan"
#define EXP_WATCHDOG_SEGMENT "/sovereign-watchdog"

/* ---- options ---- */

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

static struct {
	struct opts o;
	pthread_mutex_t lock;  /* held only to read or swap .cur (and take a ref) */
	struct page *cur;
	atomic_ulong scrapes;
	atomic_ulong requests[EXP_NCODES];
	atomic_ulong render_ns; /* duration of the last rendering */
	struct cred *creds;
	size_t ncreds;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void page_put(struct page *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	for (int f = 0; f < EXP_FMT_MAX_; f++) {
		free(p->body[f]);
		free(p->gz[f]);
	}
	exp_snapshot_free(&p->snap);
	exp_snapshot_free(&p->fan);
	exp_snapshot_free(&p->watchdog);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static struct page *page_get(void)
{
	struct page *p;

	pthread_mutex_lock(&g.lock);
	p = g.cur;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&g.lock);
	return p;
}

static void page_swap(struct page *p)
{
	struct page *old;

	pthread_mutex_lock(&g.lock);
	old = g.cur;
	g.cur = p;
	pthread_mutex_unlock(&g.lock);
	page_put(old); /* responses still sending it hold their own reference */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Make a page of @snap (with its ->fan and ->watchdog, when set) and
 * publish it.  Nothing is rendered here: see page_body().
 * Context: refresh().  Return: 0 or -ENOMEM (the old page stays).
 */
static int publish(const struct exp_snapshot *snap)
{
	struct page *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->mu, NULL);
	rc = exp_snapshot_copy(&p->snap, snap);
	if (!rc && snap->fan && !(rc = exp_snapshot_copy(&p->fan, snap->fan)))
		p->snap.fan = &p->fan;
	if (!rc && snap->watchdog && !(rc = exp_snapshot_copy(&p->watchdog, snap->watchdog)))
		p->snap.watchdog = &p->watchdog;
	if (rc) {
		page_put(p);
		return rc;
	}
	p->up = snap->up;
	snprintf(p->state, sizeof(p->state), "%s", snap->state ? snap->state : "absent");
	page_swap(p);
	return 0;
}

/*
 * page_body() - @p rendered in format @f (gzip-compressed if @gz): made on
 * the first call for that format and encoding, the same bytes after.  The
 * exporter's own counters are as of that rendering.
 * Context: an HTTP thread.  Return: 0 with *@body / *@len pointing into
 * @p (valid while the caller holds its reference), or -ENOMEM / -EIO.
 */
static int page_body(struct page *p, enum exp_format f, bool gz, const char **body, size_t *len)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	if (!p->body[f]) {
		struct exp_buf b = { 0 };
		uint64_t t0 = now_ns();

		p->snap.scrapes = atomic_load(&g.scrapes);
		for (int i = 0; i < EXP_NCODES; i++)
			p->snap.requests[i] = atomic_load(&g.requests[i]);
		p->snap.render_s = (double)atomic_load(&g.render_ns) / 1e9;
		rc = exp_render(&p->snap, f, &b);
		if (rc)
			free(b.p);
		else {
			p->body[f] = b.p;
			p->len[f] = b.len;
			atomic_store(&g.render_ns, now_ns() - t0);
		}
	}
	if (!rc && gz && !p->gz[f])
		rc = exp_gzip(p->body[f], p->len[f], &p->gz[f], &p->gzlen[f]);
	if (!rc) {
		*body = gz ? p->gz[f] : p->body[f];
		*len = gz ? p->gzlen[f] : p->len[f];
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* ---- the segments: read only when a request asks for a fresh page ---- */

static const char *open_state(int rc)
{
	if (rc == -ENOENT)
		return "absent";
	if (rc == -SOV_ENOTREADY)
		return "initialising";
	return "error";
}

/* One segment the exporter follows: the sampler's, the fan's or the watchdog's. */
struct seg_poll {
	const char *name;         /* shm name; "" disables */
	struct sov_reader *r;     /* NULL: not attached */
	struct sov_sample *s;
	uint64_t last_head, last_gen;
	int last_err;             /* last open error said, to say it once */
	int status;               /* sov_reader_status() of this round */
	struct exp_snapshot snap;
};

static void seg_detached(struct seg_poll *p, const char *state)
{
	p->snap.attached = p->snap.up = p->snap.have_sample = false;
	p->snap.n = 0;
	p->snap.state = state;
}

/*
 * seg_step() - attach @p if needed, re-attach it on -SOV_ERESTARTED.
 * Context: refresh().  Return: true when it has a new sample or
 * generation since the last seg_take().
 */
static bool seg_step(struct seg_poll *p)
{
	int rc;

	if (!p->r) {
		rc = sov_reader_open(p->name, NULL, &p->r);
		if (rc) {
			p->r = NULL;
			if (rc != p->last_err)
				fprintf(stderr, PROG ": segment %s: %s\n", p->name, sov_strerror(rc));
			p->last_err = rc;
		} else {
			sov_sample_free(p->s);
			p->s = sov_sample_alloc(p->r);
			if (!p->s) {
				sov_reader_close(p->r);
				p->r = NULL;
				rc = -ENOMEM;
			}
		}
		if (!p->r) {
			seg_detached(p, open_state(rc));
			return false;
		}
		p->last_err = 0;
		p->last_head = 0;
		fprintf(stderr, PROG ": attached to %s, generation %llu\n", p->name,
			(unsigned long long)sov_reader_header(p->r)->generation);
	}
	p->status = sov_reader_status(p->r);
	if (p->status == -SOV_ERESTARTED) {
		/* The writer restarted: a new generation, maybe a new layout. */
		rc = sov_reader_reattach(p->r);
		if (rc == 0) {
			sov_sample_free(p->s);
			p->s = sov_sample_alloc(p->r);
			if (!p->s) {
				sov_reader_close(p->r);
				p->r = NULL;
				seg_detached(p, "error");
				return true;
			}
			p->status = sov_reader_status(p->r);
			fprintf(stderr, PROG ": re-attached to %s, generation %llu\n", p->name,
				(unsigned long long)sov_reader_header(p->r)->generation);
		}
	}
	return sov_reader_head(p->r) != p->last_head ||
	       sov_reader_header(p->r)->generation != p->last_gen;
}

/* The writer's period of @p, or 0 when not attached or unknown. */
static uint64_t seg_period(const struct seg_poll *p)
{
	return p->r ? sov_reader_header(p->r)->period_ns : 0;
}

/* seg_take() - snapshot @p (if attached) for the next rendering. */
static void seg_take(struct seg_poll *p, uint64_t window_ns)
{
	uint64_t period = seg_period(p) ? seg_period(p) : 100000000u;
	uint64_t stale = g.o.stale_ms ? g.o.stale_ms * 1000000u : 5 * period;
	int rc;

	if (!p->r)
		return;
	p->last_head = sov_reader_head(p->r);
	p->last_gen = sov_reader_header(p->r)->generation;
	rc = exp_snapshot_take(p->r, p->s, p->status, window_ns, stale, &p->snap);
	if (rc == -ENOBUFS) {
		sov_sample_free(p->s);
		p->s = sov_sample_alloc(p->r);
	}
}

static void seg_close(struct seg_poll *p)
{
	exp_snapshot_free(&p->snap);
	sov_sample_free(p->s);
	sov_reader_close(p->r);
	p->s = NULL;
	p->r = NULL;
}

enum { SEG_SAMPLER, SEG_FAN, SEG_WATCHDOG, SEG_MAX_ };

/* The segments, read by whichever HTTP request refreshes them (under .lock). */
static struct {
	pthread_mutex_t lock;
	struct seg_poll seg[SEG_MAX_];
	uint64_t last_page_ns;
} segs = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * refresh() - make a new page if any segment has a new sample or
 * generation, or the page is a second old (so that age and staleness move
 * while writers are silent); else keep the current page.  Reads only
 * shared memory: never a sensor, and the seqlock reader never waits for
 * the sampler.  A sample nobody asks for costs nothing.
 * Context: an HTTP request (or start-up); serialised by segs.lock.
 */
static void refresh(void)
{
	struct seg_poll *seg = segs.seg;
	uint64_t t;
	bool again;

	pthread_mutex_lock(&segs.lock);
	t = now_ns();
	again = !segs.last_page_ns || t - segs.last_page_ns >= 1000000000u;
	for (int i = 0; i < SEG_MAX_; i++)
		if (seg[i].name[0]) /* "": disabled */
			again |= seg_step(&seg[i]);
	if (again) {
		for (int i = 0; i < SEG_MAX_; i++)
			if (seg[i].name[0])
				seg_take(&seg[i], i == SEG_SAMPLER ? g.o.window_s * 1000000000u : 0);
		seg[SEG_SAMPLER].snap.fan = seg[SEG_FAN].name[0] ? &seg[SEG_FAN].snap : NULL;
		seg[SEG_SAMPLER].snap.watchdog =
			seg[SEG_WATCHDOG].name[0] ? &seg[SEG_WATCHDOG].snap : NULL;
		if (!publish(&seg[SEG_SAMPLER].snap))
			segs.last_page_ns = t;
	}
	pthread_mutex_unlock(&segs.lock);
}

static void segs_open(void)
{
	segs.seg[SEG_SAMPLER].name = g.o.segment;
	segs.seg[SEG_FAN].name = g.o.fan_segment;
	segs.seg[SEG_WATCHDOG].name = g.o.watchdog_segment;
	refresh(); /* attach now, so that a wrong name is said at start */
}

static void segs_close(void)
{
	for (int i = 0; i < SEG_MAX_; i++)
		if (segs.seg[i].name)
			seg_close(&segs.seg[i]);
}

/* ---- HTTP ---- */

static void count(unsigned code)
{
	for (int i = 0; i < EXP_NCODES; i++)
		if (exp_codes[i] == code)
			atomic_fetch_add(&g.requests[i], 1);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *ctype,
				  const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	count(code);
	return ret;
}

/* Does header @value list @token (case-insensitive), not refused by q=0? */
static bool accepts(const char *value, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = value; p && (p = strcasestr(p, token)); p += n) {
		const char *end = p + n;

		end += strspn(end, " \t");
		if (!strncmp(end, ";q=0", 4) && end[4] != '.')
			continue;
		if (!strncmp(end, ";q=0.0", 6) || !strncmp(end, ";q=0.000", 8))
			continue;
		return true;
	}
	return false;
}

/* Constant-time comparison: the time taken must not tell how much matched. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static bool authorised(struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok = false;

	if (!g.ncreds)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user && pass)
		for (size_t i = 0; i < g.ncreds; i++)
			ok |= same(user, g.creds[i].user) & same(pass, g.creds[i].pass);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static void release_page(void *cls)
{
	page_put(cls);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
	const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_ACCEPT_ENCODING);
	enum exp_format f = acc && accepts(acc, "application/openmetrics-text") ?
			    EXP_FMT_OPENMETRICS : EXP_FMT_TEXT;
	bool gz = enc && accepts(enc, "gzip");
	struct MHD_Response *resp;
	struct page *p;
	enum MHD_Result ret;
	const char *body;
	size_t len;

	if (!authorised(c)) {
		resp = MHD_create_response_from_buffer(13, (void *)"unauthorized\n",
						       MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, "sovereign", resp);
		MHD_destroy_response(resp);
		count(401);
		return ret;
	}
	refresh();
	p = page_get();
	if (!p)
		return reply_text(c, 500, "text/plain", "no page\n");
	if (page_body(p, f, gz, &body, &len)) {
		page_put(p);
		return reply_text(c, 500, "text/plain", "rendering failed\n");
	}
	/* The response borrows the page's bytes and holds a reference to it. */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)body,
								      release_page, p);
	if (!resp) {
		page_put(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				f == EXP_FMT_OPENMETRICS ? EXP_CT_OPENMETRICS : EXP_CT_TEXT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	atomic_fetch_add(&g.scrapes, 1);
	count(200);
	return ret;
}

/* Does the request announce a body (a non-zero length, or chunks)? */
static bool has_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return te || (len && len[strspn(len, " \t0")]);
}

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>Sovereign exporter</title></head>\n"
	"<body><h1>Sovereign exporter</h1>\n"
	"<p>Sensors of this host from the Sovereign sampler's shared-memory ring.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n"
	"</body></html>\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)cls; (void)version; (void)upload;
	/*
	 * The first call has the head only.  What is refused is refused now:
	 * with a response queued at this call, MHD sends no "100 Continue",
	 * reads none of the body announced and closes the connection after
	 * the response.  No endpoint takes a body, so none is ever read.
	 */
	if (!*con_cls) {
		*con_cls = (void *)1;
		exp_conn_head_done(c);
		/* "/metrics%00.html" would read "/metrics" as a C string. */
		if (exp_conn_bad_url(c))
			return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
					  "method not allowed\n");
		if (has_body(c))
			return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain",
					  "no endpoint takes a request body\n");
		/* Served at the next call, which follows at once (no body to
		 * wait for): MHD keeps a connection alive only after a response
		 * queued then. */
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO; /* a body after all (has_body() said none): close */
	if (!strcmp(url, "/metrics"))
		return serve_metrics(c);
	if (!strcmp(url, "/"))
		return reply_text(c, 200, "text/html; charset=utf-8", landing);
	if (!strcmp(url, "/healthz")) {
		struct page *p;
		char body[96];

		refresh();
		p = page_get();

		/* 200 while serving: the exporter is healthy even when the
		 * sampler is not; the body says which. */
		if (!p)
			snprintf(body, sizeof(body), "ok: starting\n");
		else if (p->up)
			snprintf(body, sizeof(body), "ok\n");
		else
			snprintf(body, sizeof(body), "ok: segment %s\n", p->state);
		page_put(p);
		return reply_text(c, 200, "text/plain; charset=utf-8", body);
	}
	return reply_text(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
}

/* ---- setup ---- */

/* strtoull with range check: "@what must be @min..@max". */
static int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": %s must be %llu..%llu, not '%s'\n", what,
			(unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Bind the listening socket for "ADDR:PORT", ":PORT", "[V6]:PORT".  An empty
 * address is every address: IPv6 dual-stack if the host has IPv6, else IPv4.
 */
static int listen_on(const char *spec)
{
	char host[128] = "", port[8];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
	struct addrinfo *ai = NULL, *a;
	uint64_t pn;
	int fd = -1, rc, one = 1, zero = 0;

	if (!colon || (size_t)(colon - spec) >= sizeof(host) ||
	    parse_u64(colon + 1, "--listen port", 1, 65535, &pn))
		goto bad;
	snprintf(port, sizeof(port), "%llu", (unsigned long long)pn);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			goto bad;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : "::", port, &hints, &ai);
	if (rc && !host[0])
		rc = getaddrinfo("0.0.0.0", port, &hints, &ai);
	if (rc) {
		fprintf(stderr, PROG ": --listen %s: %s\n", spec, gai_strerror(rc));
		return -EINVAL;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		rc = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0 && !host[0]) {
		/* No IPv6 on this host: every IPv4 address instead. */
		char v4[16];

		snprintf(v4, sizeof(v4), "0.0.0.0:%s", port);
		return listen_on(v4);
	}
	if (fd < 0)
		fprintf(stderr, PROG ": cannot listen on %s: %s (node_exporter also uses :9100 by default; see --listen)\n",
			spec, strerror(-rc));
	return fd < 0 ? rc : fd;
bad:
	fprintf(stderr, PROG ": --listen wants ADDR:PORT, :PORT or [V6]:PORT, not '%s'\n", spec);
	return -EINVAL;
}

/* Say so when @path (open as @fd) holds a secret any local user can read. */
static void warn_world_readable(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & 0004))
		fprintf(stderr, PROG ": warning: %s is world-readable\n", path);
}

/* The whole of a small file (certificate, key), NUL-terminated; a @secret
 * one (the key) is checked with warn_world_readable(). */
static char *slurp(const char *path, bool secret)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[4096];
	size_t n;

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (secret)
		warn_world_readable(fileno(f), path);
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* "user:password" lines; '#' comments and blank lines ignored. */
static int load_auth(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int lineno = 0;

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -errno;
	}
	warn_world_readable(fileno(f), path);
	while (fgets(line, sizeof(line), f)) {
		char *colon, *nl = strchr(line, '\n');
		struct cred *c;

		lineno++;
		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line) {
			fprintf(stderr, PROG ": %s:%d: want user:password\n", path, lineno);
			fclose(f);
			return -EINVAL;
		}
		*colon = '\0';
		c = realloc(g.creds, (g.ncreds + 1) * sizeof(*c));
		if (!c) {
			fclose(f);
			return -ENOMEM;
		}
		g.creds = c;
		c[g.ncreds].user = strdup(line);
		c[g.ncreds].pass = strdup(colon + 1);
		g.ncreds++;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	if (!g.ncreds) {
		fprintf(stderr, PROG ": %s: no user:password line\n", path);
		return -EINVAL;
	}
	return 0;
}

/* Become @user, keeping its groups (the segment's group among them). */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		fprintf(stderr, PROG ": --user %s: no such user\n", user);
		return -EINVAL;
	}
	if (initgroups(user, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		int e = errno;

		fprintf(stderr, PROG ": cannot become %s: %s\n", user, strerror(e));
		return -e;
	}
	/* Make sure there is no way back. */
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		fprintf(stderr, PROG ": could regain root after dropping it\n");
		return -EPERM;
	}
	return 0;
}

/*
 * libmicrohttpd's own connection limit.  Reaching it makes MHD stop
 * accepting, and what exceeds it waits unanswered in the listen backlog
 * (a scrape from anywhere then times out).  So it is set beyond --max-conn,
 * which exp_conn_accept() enforces by closing the excess at once: MHD still
 * counts a connection closed in its current loop iteration, and at most
 * every open one closes in one iteration.
 */
static unsigned mhd_conn_limit(unsigned max_conn)
{
	return 2 * max_conn + 16;
}

/*
 * Make room for @conns connections in RLIMIT_NOFILE (accept() failing with
 * EMFILE also makes MHD stop accepting).  The soft limit is raised only
 * when it must be: the unit sets LimitNOFILE= instead, since its seccomp
 * filter denies @resources.  Return: 0, or -EMFILE (said).
 */
static int fd_budget(unsigned conns)
{
	rlim_t need = (rlim_t)conns + 64; /* + segments, epoll, listen socket, stdio */
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (!setrlimit(RLIMIT_NOFILE, &rl))
			return 0;
	}
	fprintf(stderr, PROG ": --max-conn %u needs %llu file descriptors, RLIMIT_NOFILE allows %llu (LimitNOFILE= in the unit)\n",
		g.o.max_conn, (unsigned long long)need, (unsigned long long)rl.rlim_max);
	return -EMFILE;
}

/* Written once to end http_loop(). */
static int loop_stop = -1;
/* http_loop() ended on an error (and raised SIGTERM): exit status 1. */
static atomic_bool loop_failed;

/* Say why the HTTP loop cannot go on, and have main() stop. */
static void *loop_fail(const char *what)
{
	fprintf(stderr, PROG ": HTTP loop: %s\n", what);
	atomic_store(&loop_failed, true);
	kill(getpid(), SIGTERM); /* main()'s sigwait() */
	return NULL;
}

/*
 * http_loop() - waits until loop_stop is written; libmicrohttpd serves on
 * its own thread (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL).
 *
 * poll(), level-triggered, not epoll: with epoll (edge-triggered) this
 * libmicrohttpd (0.9.75) was seen, under ASan on a loaded machine, never
 * to notice that connections held at --max-conn were closed by their
 * clients (no read of their end of file, no more accepts for 10 s and
 * more); and its own epoll thread drains epoll_wait() in rounds of 128
 * events, so with exactly 128 or 256 connections ready the round after
 * the last blocks with all of them unserved.  poll() sees every ready
 * descriptor on every round; at the connection limits here (--max-conn
 * 256 by default: at most 2 * 256 + 16 descriptors) its cost is nothing
 * next to a scrape.
 * Context: a thread of its own, so that main() keeps sigwait().
 */
static void *http_loop(void *arg)
{
	struct pollfd p = { .fd = loop_stop, .events = POLLIN };

	(void)arg;
	while (!(p.revents & POLLIN))
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return loop_fail(strerror(errno));
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]...\n"
		"Serve the Sovereign sampler's segment to Prometheus.\n\n"
		"  --segment NAME         shm segment (default " SOV_SHM_DEFAULT_NAME ")\n"
		"  --fan-segment NAME     the fan controller's segment (default " EXP_FAN_SEGMENT ");\n"
		"                         '' disables\n"
		"  --watchdog-segment NAME  the watchdog's segment (default " EXP_WATCHDOG_SEGMENT ");\n"
		"                         '' disables\n"
		"  --listen ADDR:PORT     :9100 (default, every address), 127.0.0.1:9100, [::1]:9100\n"
		"  --window-s N           min/max window, 1..3600 s (default 15)\n"
		"  --stale-s N            sample age making the segment stale, 1..3600 s\n"
		"                         (default 5 x the sampler's period)\n"
		"  --max-conn N           concurrent connections, 1..100000 (default 256);\n"
		"                         more are closed as soon as accepted\n"
		"  --max-conn-per-ip N    concurrent connections from one address,\n"
		"                         0 (no limit)..100000 (default 64)\n"
		"  --timeout-s N          idle connection timeout, 1..3600 s (default 10)\n"
		"  --header-timeout-s N   time to send a whole request head, from connecting\n"
		"                         or from the previous response, 1..3600 s (default 5)\n"
		"  --user USER            drop to USER after binding (when run as root)\n"
		"  --basic-auth-file F    'user:password' lines; /metrics then requires one\n"
		"  --tls-cert F --tls-key F  serve HTTPS\n"
		"  -h, --help\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "segment", required_argument, NULL, 's' },
		{ "fan-segment", required_argument, NULL, 'F' },
		{ "watchdog-segment", required_argument, NULL, 'W' },
		{ "listen", required_argument, NULL, 'l' },
		{ "window-s", required_argument, NULL, 'w' },
		{ "stale-s", required_argument, NULL, 'S' },
		{ "max-conn", required_argument, NULL, 'm' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "max-conn-per-ip", required_argument, NULL, 'P' },
		{ "header-timeout-s", required_argument, NULL, 'H' },
		{ "user", required_argument, NULL, 'u' },
		{ "basic-auth-file", required_argument, NULL, 'a' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t v;
	int c;

	*o = (struct opts){ .segment = SOV_SHM_DEFAULT_NAME, .fan_segment = EXP_FAN_SEGMENT,
			    .watchdog_segment = EXP_WATCHDOG_SEGMENT, .listen = ":9100", .window_s = 15,
			    .max_conn = 256, .max_conn_ip = 64, .timeout_s = 10,
			    .head_timeout_s = 5 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->segment = optarg; break;
		case 'F': o->fan_segment = optarg; break;
		case 'W': o->watchdog_segment = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'w':
			if (parse_u64(optarg, "--window-s", 1, 3600, &o->window_s))
				return -EINVAL;
			break;
		case 'S':
			if (parse_u64(optarg, "--stale-s", 1, 3600, &v))
				return -EINVAL;
			o->stale_ms = v * 1000;
			break;
		case 'm':
			if (parse_u64(optarg, "--max-conn", 1, 100000, &v))
				return -EINVAL;
			o->max_conn = (unsigned)v;
			break;
		case 't':
			if (parse_u64(optarg, "--timeout-s", 1, 3600, &v))
				return -EINVAL;
			o->timeout_s = (unsigned)v;
			break;
		case 'P':
			if (parse_u64(optarg, "--max-conn-per-ip", 0, 100000, &v))
				return -EINVAL;
			o->max_conn_ip = (unsigned)v;
			break;
		case 'H':
			if (parse_u64(optarg, "--header-timeout-s", 1, 3600, &v))
				return -EINVAL;
			o->head_timeout_s = (unsigned)v;
			break;
		case 'u': o->user = optarg; break;
		case 'a': o->auth_file = optarg; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc || !!o->tls_cert != !!o->tls_key) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * libmicrohttpd's messages, rate-limited: a flood makes it say "Server
 * reached connection limit" once per refused connection, and the journal
 * must not become the flood's amplifier.  A burst of LOG_BURST lines, then
 * one per LOG_INTERVAL_S, each saying how many were suppressed before it.
 * Context: libmicrohttpd's polling thread only (every MHD callback runs there).
 */
#define LOG_BURST      10
#define LOG_INTERVAL_S 10

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static unsigned long suppressed;
	static unsigned burst;
	static time_t next;
	struct timespec now;

	(void)cls;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec >= next) {
		burst = 0;
		next = now.tv_sec + LOG_INTERVAL_S;
	}
	if (burst >= LOG_BURST) {
		suppressed++;
		return;
	}
	burst++;
	if (suppressed) {
		fprintf(stderr, PROG ": libmicrohttpd: %lu similar messages suppressed\n", suppressed);
		suppressed = 0;
	}
	fputs(PROG ": libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d = NULL;
	char *cert = NULL, *key = NULL;
	sigset_t set;
	/* MHD's own thread, level-triggered poll(): see http_loop() */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	pthread_t loop;
	int fd, sig, rc, ret = 1;

	if (parse_opts(argc, argv, &g.o))
		return 2;
	if (g.o.auth_file && load_auth(g.o.auth_file))
		return 1;
	if (g.o.tls_cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			fprintf(stderr, PROG ": libmicrohttpd was built without TLS\n");
			return 1;
		}
		cert = slurp(g.o.tls_cert, false);
		key = slurp(g.o.tls_key, true);
		if (!cert || !key)
			goto out_free_tls;
		flags |= MHD_USE_TLS;
	}
	if (fd_budget(mhd_conn_limit(g.o.max_conn)))
		goto out_free_tls;
	fd = listen_on(g.o.listen);
	if (fd < 0)
		goto out_free_tls;
	if (g.o.user && geteuid() == 0 && drop_privileges(g.o.user))
		goto out_close_fd;

	/* Signals go to sigwait below, not to the threads started next. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	segs_open();
	rc = exp_conn_start(g.o.max_conn, g.o.head_timeout_s * 1000u);
	if (rc) {
		fprintf(stderr, PROG ": cannot start the connection guard: %s\n", strerror(-rc));
		goto out_close_segs;
	}
	/* Every callback runs on MHD's one polling thread (conn.h). */
	d = MHD_start_daemon(flags, 0, exp_conn_accept, NULL, handle, NULL,
			     /* first: MHD's own messages about the later options go through it too */
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, mhd_conn_limit(g.o.max_conn),
			     MHD_OPTION_CONNECTION_TIMEOUT, g.o.timeout_s,
			     /* Over it, MHD closes a connection as soon as accepted. */
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, g.o.max_conn_ip,
			     MHD_OPTION_NOTIFY_CONNECTION, exp_conn_notify, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, exp_conn_request_done, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, exp_conn_unescape, NULL,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
			     cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
			     MHD_OPTION_HTTPS_MEM_KEY, key,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, PROG ": cannot start the HTTP server on %s\n", g.o.listen);
		goto out_close_segs;
	}
	loop_stop = eventfd(0, EFD_CLOEXEC);
	rc = loop_stop < 0 ? errno : pthread_create(&loop, NULL, http_loop, d);
	if (rc) {
		fprintf(stderr, PROG ": cannot start the HTTP loop: %s\n", strerror(rc));
		goto out_stop_daemon;
	}
	fprintf(stderr, PROG ": serving %s on %s%s\n", g.o.segment, g.o.listen,
		cert ? " (HTTPS)" : "");
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig != SIGHUP)
			break;
	}
	(void)eventfd_write(loop_stop, 1); /* a counter at 0: cannot fail */
	pthread_join(loop, NULL);
	ret = atomic_load(&loop_failed) ? 1 : 0;
out_stop_daemon:
	/* The loop has ended: MHD's last callbacks (connections closed) run
	 * here, still one thread at a time. */
	MHD_stop_daemon(d);
	if (loop_stop >= 0)
		close(loop_stop);
out_close_segs:
	exp_conn_stop();
	segs_close();
	page_swap(NULL);
out_close_fd:
	if (!d)
		close(fd); /* else MHD_stop_daemon() closed it */
out_free_tls:
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	for (size_t i = 0; i < g.ncreds; i++) {
		explicit_bzero(g.creds[i].pass, strlen(g.creds[i].pass));
		free(g.creds[i].user);
		free(g.creds[i].pass);
	}
	free(g.creds);
	return ret;
}
