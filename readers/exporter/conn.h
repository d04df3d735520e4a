/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - sovereign-exporter's per-connection guard, plugged into
 * libmicrohttpd's callbacks by exporter.c: the connection limit enforced at
 * accept (an excess connection is closed at once, never left waiting in the
 * listen backlog), the request-head deadline (a client that has not sent a
 * whole request head in time is cut off, however slowly it trickles bytes),
 * and the one URL check a C string cannot make (a %00 in the request target).
 *
 * Threads: every exp_conn_*() callback runs on libmicrohttpd's one polling
 * thread (MHD_USE_INTERNAL_POLLING_THREAD, exporter.c), then on main() in
 * MHD_stop_daemon(), so they never run concurrently with each other.  The guard's reaper thread runs beside
 * them; it shares only the list of connections waiting for a head, under
 * the guard's mutex, and only ever shuts a late socket down (MHD closes it).
 */
#ifndef SOVEREIGN_EXPORTER_CONN_H
#define SOVEREIGN_EXPORTER_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <microhttpd.h>

/*
 * exp_conn_start() - set the limits and start the reaper thread (which
 * sleeps until a connection is waiting for its head).
 * @max_conn: connections served at once; exp_conn_accept() refuses more.
 * @head_ms: time a connection has, from its opening or from the end of its
 * previous response, to send a whole request head; then it is shut down.
 * Context: main thread, before MHD_start_daemon().  Return: 0, or -errno
 * from pthread_create().
 */
int exp_conn_start(unsigned max_conn, unsigned head_ms);

/*
 * exp_conn_stop() - stop the reaper thread.
 * Context: main thread, after MHD_stop_daemon() (every connection closed).
 */
void exp_conn_stop(void);

/*
 * exp_conn_accept() - MHD_AcceptPolicyCallback: MHD_NO (MHD closes the
 * socket it has just accepted) while @max_conn connections are open.
 * Context: MHD's event loop.  Return: MHD_YES or MHD_NO.
 */
enum MHD_Result exp_conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/*
 * exp_conn_notify() - MHD_NotifyConnectionCallback: on STARTED, count the
 * connection, allocate its record in *@socket_context and arm its head
 * deadline; on CLOSED (always before MHD closes the socket), disarm, free
 * and uncount it.  Context: MHD's event loop.
 */
void exp_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode code);

/*
 * exp_conn_head_done() - @c has sent a whole request head: disarm its
 * deadline.  Context: the access handler's first call for a request.
 */
void exp_conn_head_done(struct MHD_Connection *c);

/*
 * exp_conn_request_done() - MHD_RequestCompletedCallback: the response is
 * sent (or the request ended); a kept-alive @c now has @head_ms for its
 * next request head, and its URL mark is cleared.
 * Context: MHD's event loop.
 */
void exp_conn_request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			   enum MHD_RequestTerminationCode toe);

/*
 * exp_conn_unescape() - MHD's unescape callback (MHD_OPTION_UNESCAPE_CALLBACK):
 * %HH-decodes @s in place like MHD_http_unescape(), and marks @c when the
 * result holds a NUL, which the C string MHD hands the access handler would
 * silently cut ("/metrics%00.html" would read as "/metrics").
 * Context: MHD's event loop, while it parses a request line.
 * Return: the decoded length (NULs included).
 */
size_t exp_conn_unescape(void *cls, struct MHD_Connection *c, char *s);

/*
 * exp_conn_bad_url() - did the current request's target (path or query)
 * decode to a NUL?  Context: the access handler.
 */
bool exp_conn_bad_url(struct MHD_Connection *c);

#endif /* SOVEREIGN_EXPORTER_CONN_H */
