/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the sampler's configuration file: INI (parsed with inih), kept
 * as sections of key/value pairs with their file and line, so that every
 * error can name where it comes from.  Used by main.c, the sampler core and
 * every backend's probe (each backend reads its own section).
 *
 * Format (a [section] repeated later continues the first; a key given
 * twice takes its last value):
 *   [sampler]              period_ms, cpu, priority, segment, group, root, ...
 *   [hwmon] [msr] ...      one section per backend; "enable = no" turns it off
 *   [sensor CHIP/NAME]     per-sensor overrides: label, warn_hi, crit_hi,
 *                          warn_lo, crit_lo (in the sensor's unit, or with a
 *                          unit suffix: "85C", "1.2V"), hysteresis, period_ms,
 *                          stuck_s, ignore
 */
#ifndef SOVEREIGN_RT_CONFIG_H
#define SOVEREIGN_RT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_ERR_LEN 256

/* struct rt_err - a human-readable error: "file:line: [section] key: why". */
struct rt_err {
	char msg[RT_ERR_LEN];
};

struct rt_conf_kv {
	char *key;
	char *value;
	int line;
};

struct rt_conf_section {
	char *name;             /* "hwmon", or "sensor" for [sensor X] */
	char *arg;              /* "X" of [sensor X], NULL otherwise */
	int line;               /* line of the [header] */
	const char *file;       /* the file it came from (owned by the config) */
	struct rt_conf_kv *kv;
	size_t nkv;
};

struct rt_config {
	char *file;
	struct rt_conf_section *sec;
	size_t nsec;
};

/*
 * rt_config_load() - parse @path into @cfg.
 * Context: process context (allocates).  A missing file is an error.
 * Return: 0, or -errno / -EINVAL with @err saying file, line and reason
 * (syntax error, duplicate section where only one is allowed, ...).
 * Ownership: free @cfg's contents with rt_config_free().
 */
int rt_config_load(const char *path, struct rt_config *cfg, struct rt_err *err);

/* rt_config_parse_string() - as rt_config_load() from a string (@name in errors). */
int rt_config_parse_string(const char *text, const char *name, struct rt_config *cfg,
			   struct rt_err *err);

/* rt_config_free() - release what rt_config_load() allocated.  @cfg may be empty. */
void rt_config_free(struct rt_config *cfg);

/*
 * rt_config_section() - the section @name (with @arg, or NULL for a plain
 * section).  Return: a pointer into @cfg, or NULL if absent.
 */
const struct rt_conf_section *rt_config_section(const struct rt_config *cfg,
						const char *name, const char *arg);

/* rt_conf_get() - the value of @key in @s (the last one if repeated), or NULL. */
const char *rt_conf_get(const struct rt_conf_section *s, const char *key);

/* rt_conf_line() - the line of @key in @s, or the section's line if absent. */
int rt_conf_line(const struct rt_conf_section *s, const char *key);

/*
 * rt_conf_int() - integer @key of @s within [@lo, @hi] (decimal or 0x hex).
 * @s may be NULL.  Absent: *@out = @def, return 0.
 * Return: 0, or -EINVAL with @err naming file, line, key and the range.
 */
int rt_conf_int(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		long long def, long long *out, struct rt_err *err);

/* rt_conf_bool() - yes/no/true/false/on/off/1/0 @key; as rt_conf_int(). */
int rt_conf_bool(const struct rt_conf_section *s, const char *key, bool def, bool *out,
		 struct rt_err *err);

/*
 * rt_conf_list() - split the comma/space-separated list @key into at most
 * @max items copied into @items (each up to @len bytes).
 * Return: the number of items (0 if absent), or -E2BIG / -ENAMETOOLONG
 * with @err set.
 */
int rt_conf_list(const struct rt_conf_section *s, const char *key, char (*items)[64],
		 int max, struct rt_err *err);

/*
 * rt_conf_errorf() - format "@file:@line: [section] key: ..." into @err.
 * @key may be NULL (the section's line is used).  Return: -EINVAL.
 */
int rt_conf_errorf(struct rt_err *err, const struct rt_conf_section *s, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * rt_glob_match() - shell-style match of @name against @pattern ('*', '?').
 * Used for include/exclude lists.  Return: true on a match.
 */
bool rt_glob_match(const char *pattern, const char *name);

#endif /* SOVEREIGN_RT_CONFIG_H */
