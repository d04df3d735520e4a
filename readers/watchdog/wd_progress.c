/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_progress.c - the progress probes besides the heartbeat (heartbeat.c):
 * a health URL answered over plain HTTP/1.0 on loopback (no libcurl: one
 * GET to 127.0.0.1 needs none), and a file's mtime.
 */
#define _GNU_SOURCE
#include "wd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int wd_url_parse(const char *s, struct wd_url *u)
{
	static const char *const hosts[] = { "http://127.0.0.1:", "http://localhost:" };
	const char *p = NULL;
	char *end;
	long port;

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strncmp(s, hosts[i], strlen(hosts[i])) == 0)
			p = s + strlen(hosts[i]);
	if (!p)
		return -EINVAL;
	errno = 0;
	port = strtol(p, &end, 10);
	if (errno || end == p || port < 1 || port > 65535)
		return -EINVAL;
	if (*end == '\0')
		end = "/";
	/* The path goes into the request line: no spaces or line breaks. */
	if (*end != '/' || strlen(end) >= sizeof(u->path) || strpbrk(end, " \r\n\t"))
		return -EINVAL;
	u->port = (uint16_t)port;
	strcpy(u->path, end);
	return 0;
}

int wd_http_status(const char *buf, size_t len)
{
	int code = 0;

	/* "HTTP/1.0 200 OK" or "HTTP/1.1 200": the code is bytes 9..11. */
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -EPROTO;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EPROTO;
		code = code * 10 + (buf[i] - '0');
	}
	if (code < 100 || code > 599 || (len > 12 && buf[12] != ' ' && buf[12] != '\r'))
		return -EPROTO;
	return code;
}

static int64_t wd_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @ev on @fd until @deadline_ms.  Return: 0, -ETIMEDOUT, -errno. */
static int wd_wait(int fd, short ev, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - wd_ms_now();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int wd_http_check(const struct wd_url *u, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(u->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int64_t deadline = wd_ms_now() + timeout_ms;
	char req[256], resp[64];
	socklen_t elen = sizeof(int);
	size_t got = 0;
	int fd, rc, soerr = 0;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out_close;
		}
		rc = wd_wait(fd, POLLOUT, deadline);
		if (rc < 0)
			goto out_close;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) < 0 || soerr) {
			rc = soerr ? -soerr : -errno;
			goto out_close;
		}
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		     "User-Agent: sovereign-watchdog\r\n\r\n", u->path);
	/* A small request into an empty socket buffer goes out whole. */
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		rc = -EPROTO;
		goto out_close;
	}
	/* Only the status line matters: read until 12 bytes or EOF. */
	while (got < sizeof(resp)) {
		rc = wd_wait(fd, POLLIN, deadline);
		if (rc < 0)
			goto out_close;
		n = recv(fd, resp + got, sizeof(resp) - got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			rc = -errno;
			goto out_close;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got >= 13)
			break;
	}
	rc = wd_http_status(resp, got);
out_close:
	close(fd);
	return rc;
}

int wd_mtime_ns(const char *path, uint64_t *ns)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	return 0;
}
