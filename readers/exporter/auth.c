/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.c - sovereign-exporter's credentials: the --basic-auth-file users
 * checked on /metrics (compared in constant time), and secret files (that
 * file, the TLS key) read whole with a warning when others may read them.
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

/* Constant-time comparison: the time taken must not tell how much matched. */
bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

bool authorised(struct MHD_Connection *c)
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

/* Say so when @path (open as @fd) holds a secret any local user can read. */
static void warn_world_readable(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & 0004))
		fprintf(stderr, PROG ": warning: %s is world-readable\n", path);
}

/* The whole of a small file (certificate, key), NUL-terminated; a @secret
 * one (the key) is checked with warn_world_readable(). */
char *slurp(const char *path, bool secret)
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
int load_auth(const char *path)
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
