/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target: the INI configuration and everything
 * that reads values out of it (the file checks of rt_config_load(), the
 * schema check with its suggestions, options, limits with units, decimal
 * and hex numbers, lists, globs).  Any input must give 0 or a file:line
 * error, never a crash.
 */
#define _GNU_SOURCE
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

/* The input as a file, through rt_config_load(): NUL, UTF-8 and size checks. */
static void fuzz_load(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct rt_config cfg;
	struct rt_err err;

	if (fd < 0) {
		fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
		if (fd < 0)
			return;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return;
	if (rt_config_load(path, &cfg, &err) == 0) {
		rt_config_check(&cfg, fz_schema, sizeof(fz_schema) / sizeof(fz_schema[0]), &err);
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

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_load(data, size);
	if (rt_config_parse_string(text, "fuzz.conf", &cfg, &err) == 0) {
		rt_config_check(&cfg, fz_schema, sizeof(fz_schema) / sizeof(fz_schema[0]), &err);
		sampler_check_config(&cfg, &err);
		sampler_parse_opts(&cfg, &o, &err);
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
				rt_conf_int(s, s->kv[j].key, -100, 100, 0, &v, &err);
				rt_conf_int_hex(s, s->kv[j].key, -100, 100, 0, &v, &err);
				rt_parse_ll(s->kv[j].value, true, &v);
				rt_conf_suggest(s->kv[j].key, lists, 3);
				rt_conf_suggest(s->kv[j].value, lists, 3);
				rt_conf_bool(s, s->kv[j].key, false, &b, &err);
				rt_conf_list(s, s->kv[j].key, items, 8, &err);
				rt_glob_match(s->kv[j].value, s->kv[j].key);
				rt_conf_errorf(&err, s, s->kv[j].key, "%s", s->kv[j].value);
			}
		}
		rt_config_free(&cfg);
	}
	free(text);
	return 0;
}
