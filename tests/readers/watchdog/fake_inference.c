/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_inference.c - a stand-in inference runtime for the watchdog tests:
 * "heartbeat PATH" bumps a heartbeat every 20 ms; "http PORTFILE" answers
 * every GET with 200 on a loopback port it writes into PORTFILE; "mtime
 * PATH" touches PATH every 20 ms (a log or checkpoint file being written).
 * The tests SIGSTOP it to make it hang and SIGKILL it to make it die.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "heartbeat.h"

static int run_heartbeat(const char *path)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct sov_heartbeat *hb;

	if (sov_hb_create(path, &hb) < 0)
		return 1;
	for (;;) {
		sov_hb_bump(hb);
		nanosleep(&ts, NULL);
	}
}

static int run_mtime(const char *path)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return 1;
	for (;;) {
		if (futimens(fd, NULL) < 0)
			return 1;
		nanosleep(&ts, NULL);
	}
}

static int run_http(const char *portfile)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char buf[512];
	FILE *f;
	int s, c;

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return 1;
	/* Write then rename: the test never reads a half-written port. */
	snprintf(buf, sizeof(buf), "%s.tmp", portfile);
	f = fopen(buf, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	if (rename(buf, portfile) < 0)
		return 1;
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, buf, sizeof(buf)) > 0 && write(c, ok, sizeof(ok) - 1) < 0) {
			/* the watchdog gave up on us: nothing to do */
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "heartbeat") == 0)
		return run_heartbeat(argv[2]);
	if (argc == 3 && strcmp(argv[1], "http") == 0)
		return run_http(argv[2]);
	if (argc == 3 && strcmp(argv[1], "mtime") == 0)
		return run_mtime(argv[2]);
	fprintf(stderr, "usage: fake_inference heartbeat PATH | http PORTFILE | mtime PATH\n");
	return 2;
}
