/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target: the INI configuration and everything
 * that reads values out of it (the file checks of rt_config_load(), the
 * schema check with its suggestions, options, limits with units, decimal
 * and hex numbers, lists, globs).  Any input must give 0 or a file:line
 * error, never a crash: a refusal whose message does not begin with the
 * file's name and, once the file is parsed, its line ("fuzz.conf:12: ...")
 * aborts the fuzzer.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "sampler.h"

/* A schema like the fan's and the watchdog's: sections with and without a name. */
static const char *const fz_plain_keys[] = { "period_ms", "segment", "group", "log", NULL };
static const char *const fz_zone_keys[] = { "sensors", "fans", "setpoint", "hysteresis", NULL };
static const char *const fz_more[] = { "enable", NULL };
static const struct rt_conf_schema fz_schema[] = {
	{ "sampler", RT_CONF_NO_ARG, fz_plain_keys, fz_more },
	{ "zone", RT_CONF_ARG, fz_zone_keys, NULL },
	{ "sensor", RT_CONF_ARG, fz_zone_keys, fz_more },
	{ "device", RT_CONF_NO_ARG, NULL, NULL },
};

/*
 * names() - a refusal (@rc < 0; rt_conf_list() counts with rc > 0) must say where: "@file:" and, with @line,
 * "@file:N:" (N decimal).  Anything else is a bug the fuzzer reports.
 */
static void names(int rc, const struct rt_err *err, const char *file, bool line)
{
	size_t n = strlen(file);
	const char *p = err->msg + n;

	if (rc >= 0)
		return;
	if (strncmp(err->msg, file, n) || *p != ':' ||
	    (line && !(p[1] >= '0' && p[1] <= '9' && strchr(p + 1, ':')))) {
		fprintf(stderr, "refusal %d without %s: \"%s\"\n", rc,
			line ? "file:line" : "the file", err->msg);
		abort();
	}
}

/* The input as a file, through rt_config_load(): NUL, UTF-8 and size checks. */
static void fuzz_load(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct rt_config cfg;
	struct rt_err err;
	int rc;

	if (fd < 0) {
		fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
		if (fd < 0)
			return;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return;
	rc = rt_config_load(path, &cfg, &err);
	names(rc, &err, path, false);
	if (rc == 0) {
		rc = rt_config_check(&cfg, fz_schema, sizeof(fz_schema) / sizeof(fz_schema[0]), &err);
		names(rc, &err, path, true);
		rt_config_free(&cfg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct rt_config cfg;
	struct sampler_opts o;
	struct rt_err err;
	size_t i, j;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_load(data, size);
	rc = rt_config_parse_string(text, "fuzz.conf", &cfg, &err);
	names(rc, &err, "fuzz.conf", false);
	if (rc == 0) {
		names(rt_config_check(&cfg, fz_schema, sizeof(fz_schema) / sizeof(fz_schema[0]), &err),
		      &err, "fuzz.conf", true);
		names(sampler_check_config(&cfg, &err), &err, "fuzz.conf", true);
		names(sampler_parse_opts(&cfg, &o, &err), &err, "fuzz.conf", true);
		for (i = 0; i < cfg.nsec; i++) {
			const struct rt_conf_section *s = &cfg.sec[i];
			char items[8][64];
			long long v;
			bool b;

			for (j = 0; j < s->nkv; j++) {
				const char *const *lists[] = { fz_plain_keys, fz_zone_keys, NULL };
				int64_t x;
				uint16_t unit;

				for (unit = 0; unit < SOV_UNIT_MAX_; unit++)
					sampler_parse_value(unit, s->kv[j].value, &x);
				names(rt_conf_int(s, s->kv[j].key, -100, 100, 0, &v, &err), &err,
				      "fuzz.conf", true);
				names(rt_conf_int_hex(s, s->kv[j].key, -100, 100, 0, &v, &err), &err,
				      "fuzz.conf", true);
				rt_parse_ll(s->kv[j].value, true, &v);
				rt_conf_suggest(s->kv[j].key, lists, 3);
				rt_conf_suggest(s->kv[j].value, lists, 3);
				names(rt_conf_bool(s, s->kv[j].key, false, &b, &err), &err, "fuzz.conf",
				      true);
				names(rt_conf_list(s, s->kv[j].key, items, 8, &err), &err, "fuzz.conf",
				      true);
				rt_glob_match(s->kv[j].value, s->kv[j].key);
				rt_conf_errorf(&err, s, s->kv[j].key, "%s", s->kv[j].value);
			}
		}
		rt_config_free(&cfg);
	}
	free(text);
	return 0;
}
