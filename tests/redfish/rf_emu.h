/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rf_emu.h - the Redfish emulator (redfish_emu.py serving the DMTF mockup)
 * for Criterion tests: start it on a free port, drive its control endpoint
 * (/_emu/fault, /_emu/state), stop it.  Header-only; asserts rather than
 * returning errors.  Needs RF_PYTHON, RF_EMU and RF_MOCKUP defined.
 */
#ifndef SOVEREIGN_TESTS_RF_EMU_H
#define SOVEREIGN_TESTS_RF_EMU_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>

/* ---- the emulator ------------------------------------------------------ */

static struct {
	pid_t pid;
	int port;
	char url[64];
} emu;

/* emu_read_port - wait for the emulator's "PORT n" line on @fd (closed). */
static inline void emu_read_port(int fd)
{
	char line[64] = "";
	size_t got = 0;

	while (!strchr(line, '\n') && got < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		cr_assert_gt(poll(&p, 1, 30000), 0, "the emulator did not say its port in 30 s");
		r = read(fd, line + got, sizeof(line) - 1 - got);
		cr_assert_gt(r, 0, "the emulator exited before listening");
		got += (size_t)r;
		line[got] = '\0';
	}
	close(fd);
	cr_assert_eq(sscanf(line, "PORT %d", &emu.port), 1, "emulator said: %s", line);
	snprintf(emu.url, sizeof(emu.url), "http://127.0.0.1:%d", emu.port);
}

/* emu_start - run redfish_emu.py with @flags (NULL-terminated) and wait for
 * its "PORT n" line (generous: a slow shared machine). */
static inline void emu_start(const char *flag, ...)
{
	const char *argv[20] = { RF_PYTHON, RF_EMU, "--root", RF_MOCKUP, "--timeout", "120",
				 "--parent-pid" };
	int n = 8, fd[2];
	char ppid[16];
	va_list ap;

	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	argv[7] = ppid;
	va_start(ap, flag);
	for (const char *f = flag; f && n < 19; f = va_arg(ap, const char *))
		argv[n++] = f;
	va_end(ap);
	argv[n] = NULL;
	cr_assert_eq(pipe(fd), 0);
	emu.pid = fork();
	cr_assert_geq(emu.pid, 0);
	if (emu.pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(RF_PYTHON, (char **)argv);
		_exit(127);
	}
	close(fd[1]);
	emu_read_port(fd[0]);
}

static inline void emu_stop(void)
{
	if (emu.pid > 0) {
		kill(emu.pid, SIGTERM);
		waitpid(emu.pid, NULL, 0);
		emu.pid = 0;
	}
}

static inline size_t sink(char *p, size_t s, size_t n, void *ud)
{
	struct { char buf[8192]; size_t len; } *b = ud;
	size_t add = s * n;

	if (b->len + add >= sizeof(b->buf))
		return 0;
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

/* emu_ctl - a request to the control endpoint; the answer's JSON or NULL. */
static inline cJSON *emu_ctl(const char *path, const char *post)
{
	struct { char buf[8192]; size_t len; } b = { .len = 0 };
	char url[128];
	CURL *c = curl_easy_init();
	long status = 0;

	cr_assert(c);
	snprintf(url, sizeof(url), "%s%s", emu.url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	/* The control endpoint of a TLS emulator: its throw-away certificate. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "control %s", path);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	cr_assert(status == 200 || status == 204, "control %s: %ld", path, status);
	return post ? NULL : cJSON_Parse(b.buf);
}

static inline void emu_fault(const char *json)
{
	emu_ctl("/_emu/fault", json);
}

/* emu_count - the length of an array, or a number, in /_emu/state. */
static inline int emu_count(const char *what)
{
	cJSON *s = emu_ctl("/_emu/state", NULL), *v;
	int n;

	cr_assert(s);
	v = cJSON_GetObjectItem(s, what);
	cr_assert(v, "state has no %s", what);
	n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : v->valueint;
	cJSON_Delete(s);
	return n;
}

/* emu_if_match - the i-th If-Match the emulator saw on a PATCH. */
static inline void emu_if_match(int i, char *out, size_t len)
{
	cJSON *s = emu_ctl("/_emu/state", NULL);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "if_match"), i);

	cr_assert(v, "no If-Match #%d", i);
	snprintf(out, len, "%s", cJSON_IsString(v) ? v->valuestring : "(none)");
	cJSON_Delete(s);
}

#endif /* SOVEREIGN_TESTS_RF_EMU_H */
