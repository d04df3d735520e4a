/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * setup.c - what sovereign-exporter does before serving: bind the listening
 * socket, check the file-descriptor budget against --max-conn, drop root
 * for --user.
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

/*
 * Bind the listening socket for "ADDR:PORT", ":PORT", "[V6]:PORT".  An empty
 * address is every address: IPv6 dual-stack if the host has IPv6, else IPv4.
 */
int listen_on(const char *spec)
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

/* Become @user, keeping its groups (the segment's group among them). */
int drop_privileges(const char *user)
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
unsigned mhd_conn_limit(unsigned max_conn)
{
	return 2 * max_conn + 16;
}

/*
 * Make room for @conns connections in RLIMIT_NOFILE (accept() failing with
 * EMFILE also makes MHD stop accepting).  The soft limit is raised only
 * when it must be: the unit sets LimitNOFILE= instead, since its seccomp
 * filter denies @resources.  Return: 0, or -EMFILE (said).
 */
int fd_budget(unsigned conns)
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
