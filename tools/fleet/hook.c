// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hook.c - a server's hooks (drain, undrain, BMC wake and standby): a
 * command run without a shell, "{id}" in any word replaced by the server's
 * id, stdin /dev/null, a bounded time; or an HTTP POST of {"server": id}.
 * Success is exit 0 / a 2xx answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "internal.h"

static int post(const char *url, const char *id, int timeout_s, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char body[128];
	long status = 0;
	CURLcode cc;

	if (!c)
		return -ENOMEM;
	snprintf(body, sizeof(body), "{\"server\":\"%s\"}", id); /* ids are [A-Za-z0-9._-] */
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "POST %s: %s", url, curl_easy_strerror(cc));
		return -EIO;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "POST %s: HTTP %ld", url, status);
		return -EIO;
	}
	return 0;
}

/* subst() - @word with every "{id}" replaced by @id, allocated. */
static char *subst(const char *word, const char *id)
{
	size_t n = strlen(word) + 1, idn = strlen(id);
	const char *p;
	char *out, *o;

	for (p = word; (p = strstr(p, "{id}")); p += 4)
		n += idn;
	out = malloc(n);
	if (!out)
		return NULL;
	for (o = out, p = word; *p;) {
		if (!strncmp(p, "{id}", 4)) {
			memcpy(o, id, idn);
			o += idn;
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

int fleet_hook_run(const struct fleet_hook *h, const char *id, int timeout_s, char *err,
		   size_t errlen)
{
	char *argv[FLEET_ARGV_MAX + 1] = { NULL }, msg[256] = "";
	int pipefd[2], st = 0, i, rc = 0;
	struct timespec t0, t;
	pid_t pid;
	ssize_t n;

	if (h->url[0])
		return post(h->url, id, timeout_s, err, errlen);
	for (i = 0; h->argv[i]; i++)
		if (!(argv[i] = subst(h->argv[i], id))) {
			rc = -ENOMEM;
			goto out;
		}
	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(pipefd[1], 2);
		setpgid(0, 0);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (bool eof = false;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		char scratch[512];
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_s * 1000L - ((t.tv_sec - t0.tv_sec) * 1000L +
					    (t.tv_nsec - t0.tv_nsec) / 1000000L);
		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, NULL, 0);
			snprintf(err, errlen, "%s: still running after %d s: killed", argv[0],
				 timeout_s);
			rc = -ETIMEDOUT;
			break;
		}
		if (!eof && poll(&p, 1, (int)(left < 100 ? left : 100)) > 0) {
			size_t have = strlen(msg);

			/* the first 255 bytes are kept; the rest read and dropped */
			if (have < sizeof(msg) - 1)
				n = read(pipefd[0], msg + have, sizeof(msg) - 1 - have);
			else
				n = read(pipefd[0], scratch, sizeof(scratch));
			if (n > 0 && have < sizeof(msg) - 1)
				msg[have + (size_t)n] = '\0';
			eof = n <= 0 && !(n < 0 && errno == EINTR);
		} else if (eof) {
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	close(pipefd[0]);
	if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		char *nl = strchr(msg, '\n');

		if (nl)
			*nl = '\0';
		snprintf(err, errlen, "%s: %s %d%s%s", argv[0],
			 WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), msg[0] ? ": " : "", msg);
		rc = -EIO;
	}
out:
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	return rc;
}
