/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target: the sampler's INI configuration and
 * everything that reads values out of it (options, limits with units,
 * lists, globs).  Any input must give 0 or a file:line error, never a crash.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sampler.h"

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
	if (rt_config_parse_string(text, "fuzz.conf", &cfg, &err) == 0) {
		sampler_parse_opts(&cfg, &o, &err);
		for (i = 0; i < cfg.nsec; i++) {
			const struct rt_conf_section *s = &cfg.sec[i];
			char items[8][64];
			long long v;
			bool b;

			for (j = 0; j < s->nkv; j++) {
				int64_t x;
				uint16_t unit;

				for (unit = 0; unit < SOV_UNIT_MAX_; unit++)
					sampler_parse_value(unit, s->kv[j].value, &x);
				rt_conf_int(s, s->kv[j].key, -100, 100, 0, &v, &err);
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
