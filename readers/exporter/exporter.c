/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exporter.c - sovereign-exporter: serves the sampler's segment (and,
 * read-only, the fan controller's and the watchdog's) to Prometheus over
 * HTTP (libmicrohttpd).  A request that finds a new sample (or a page a
 * second old) snapshots the segments into a new page; the first scrape of a
 * page renders it in the format and encoding it asks for, and every later
 * scrape of that page is served those bytes.  Scrapes read shared memory
 * only, never a sensor, and never wait for the sampler; a sample nobody
 * scrapes costs nothing.  This file: options, the HTTP loop and main; the
 * parts are named in exporter.h.
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
#include "mhd_log.h"
#include "opt.h"

#include "exporter.h"

/* @s as the decimal value of option @what in [@min, @max] (opt.h); a refusal says why. */
int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	struct sov_opt_err err;
	long long v;
	int rc = sov_opt_int(what, s, (long long)min, (long long)max, &v, &err);

	if (rc)
		fprintf(stderr, PROG ": %s\n", err.msg);
	else
		*out = (uint64_t)v;
	return rc;
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

/* libmicrohttpd's messages, rate-limited (mhd_log.h).  Context: MHD's polling thread. */
static struct sov_mhd_log mhd_log = SOV_MHD_LOG_INIT(PROG ": libmicrohttpd: ");

/*
 * start_http() - libmicrohttpd on the listening socket @fd, with the
 * connection guard (conn.h) and the limits of the options; HTTPS if @cert.
 * Return: the daemon, or NULL (its logger said why).
 */
static struct MHD_Daemon *start_http(unsigned flags, int fd, const char *cert, const char *key)
{
	/* Every callback runs on MHD's one polling thread (conn.h). */
	return MHD_start_daemon(flags, 0, exp_conn_accept, NULL, handle, NULL,
				/* first: MHD's own messages about the later options go through it too */
				MHD_OPTION_EXTERNAL_LOGGER, sov_mhd_log, &mhd_log,
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
}

/* Forget the TLS key and the Basic credentials before exiting. */
static void free_secrets(char *cert, char *key)
{
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
	d = start_http(flags, fd, cert, key);
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
	free_secrets(cert, key);
	return ret;
}
