/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - sovereign-exporter's per-connection guard (see conn.h): the
 * connection limit at accept, the request-head deadline and its reaper
 * thread, and the %00 check of the request target.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conn.h"

/* One connection, from MHD_CONNECTION_NOTIFY_STARTED to _CLOSED. */
struct exp_conn {
	struct exp_conn *prev, *next; /* in guard.armed while armed; under guard.mu */
	uint64_t deadline_ns;         /* CLOCK_MONOTONIC: head in by then; under guard.mu */
	int fd;                       /* MHD's socket, open until after NOTIFY_CLOSED */
	bool bad_url;                 /* MHD's event loop only */
};

static struct {
	pthread_mutex_t mu;     /* guards .armed, .stop and each armed record's links */
	pthread_cond_t cv;      /* the reaper sleeps on it (CLOCK_MONOTONIC) */
	/* Armed connections, earliest deadline first: every deadline is
	 * "now + head_ns", so appending keeps the order. */
	struct exp_conn armed;  /* list head (sentinel) */
	bool stop;
	bool running;
	pthread_t reaper;
	unsigned max_conn;
	uint64_t head_ns;
	unsigned open;          /* connections MHD holds; MHD's event loop only */
} guard = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.armed = { .prev = &guard.armed, .next = &guard.armed },
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool armed(const struct exp_conn *x)
{
	return x->next != NULL;
}

/* Take @x off the armed list.  Context: guard.mu held. */
static void __disarm(struct exp_conn *x)
{
	if (!armed(x))
		return;
	x->prev->next = x->next;
	x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

/* (Re)start @x's head deadline: now + head_ns, at the list's tail. */
static void arm(struct exp_conn *x)
{
	bool was_empty;

	pthread_mutex_lock(&guard.mu);
	__disarm(x);
	x->deadline_ns = mono_ns() + guard.head_ns;
	was_empty = guard.armed.next == &guard.armed;
	x->prev = guard.armed.prev;
	x->next = &guard.armed;
	guard.armed.prev->next = x;
	guard.armed.prev = x;
	/* A non-empty list already has the reaper waiting for an earlier
	 * deadline than this one. */
	if (was_empty)
		pthread_cond_signal(&guard.cv);
	pthread_mutex_unlock(&guard.mu);
}

static void disarm(struct exp_conn *x)
{
	pthread_mutex_lock(&guard.mu);
	__disarm(x);
	pthread_mutex_unlock(&guard.mu);
}

/*
 * The reaper: sleeps until the earliest head deadline (forever while no
 * connection waits for a head), then shuts the late socket down.  MHD sees
 * end-of-file on it and closes the connection in its own thread.  The
 * descriptor is still open here: MHD closes it only after NOTIFY_CLOSED,
 * whose disarm() waits for guard.mu, so it cannot be a reused number.
 */
static void *reaper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&guard.mu);
	while (!guard.stop) {
		struct exp_conn *x = guard.armed.next;
		struct timespec ts;

		if (x == &guard.armed) {
			pthread_cond_wait(&guard.cv, &guard.mu);
			continue;
		}
		if (mono_ns() < x->deadline_ns) {
			ts.tv_sec = (time_t)(x->deadline_ns / 1000000000u);
			ts.tv_nsec = (long)(x->deadline_ns % 1000000000u);
			pthread_cond_timedwait(&guard.cv, &guard.mu, &ts);
			continue;
		}
		__disarm(x);
		shutdown(x->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&guard.mu);
	return NULL;
}

int exp_conn_start(unsigned max_conn, unsigned head_ms)
{
	pthread_condattr_t ca;
	int rc;

	guard.max_conn = max_conn;
	guard.head_ns = (uint64_t)head_ms * 1000000u;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&guard.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -rc;
	guard.stop = false;
	rc = pthread_create(&guard.reaper, NULL, reaper, NULL);
	if (rc) {
		pthread_cond_destroy(&guard.cv);
		return -rc;
	}
	guard.running = true;
	return 0;
}

void exp_conn_stop(void)
{
	if (!guard.running)
		return;
	pthread_mutex_lock(&guard.mu);
	guard.stop = true;
	pthread_cond_signal(&guard.cv);
	pthread_mutex_unlock(&guard.mu);
	pthread_join(guard.reaper, NULL);
	pthread_cond_destroy(&guard.cv);
	guard.running = false;
}

enum MHD_Result exp_conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls; (void)addr; (void)addrlen;
	/* MHD's own MHD_OPTION_CONNECTION_LIMIT, reached, stops accepting
	 * (the excess waits in the backlog, unanswered): it is set above
	 * this one, so refusing here is what happens, at once. */
	return guard.open < guard.max_conn ? MHD_YES : MHD_NO;
}

static struct exp_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void exp_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode code)
{
	struct exp_conn *x = *socket_context;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		guard.open++;
		x = calloc(1, sizeof(*x));
		*socket_context = x;
		if (!x || !ci) {
			/* Unguarded, it could hang for ever: refuse it now. */
			if (ci)
				shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		x->fd = ci->connect_fd;
		arm(x);
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED */
	guard.open--;
	if (x) {
		disarm(x);
		free(x);
		*socket_context = NULL;
	}
}

void exp_conn_head_done(struct MHD_Connection *c)
{
	struct exp_conn *x = conn_of(c);

	if (x)
		disarm(x);
}

void exp_conn_request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct exp_conn *x = conn_of(c);

	(void)cls; (void)con_cls; (void)toe;
	if (!x)
		return;
	x->bad_url = false;
	arm(x);
}

size_t exp_conn_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	size_t n = MHD_http_unescape(s);
	struct exp_conn *x;

	(void)cls;
	if (memchr(s, '\0', n) && (x = conn_of(c)))
		x->bad_url = true;
	return n;
}

bool exp_conn_bad_url(struct MHD_Connection *c)
{
	struct exp_conn *x = conn_of(c);

	return x && x->bad_url;
}
