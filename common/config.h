/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the sampler's configuration file: INI (parsed with inih), kept
 * as sections of key/value pairs with their file and line, so that every
 * error can name where it comes from.  Used by main.c, the sampler core and
 * every backend's probe (each backend reads its own section).
 *
 * Format (a [section] repeated later continues the first; a key given
 * twice takes its last value).  Numbers are decimal (a leading zero is
 * still decimal: "010" is ten); only keys documented as such (I2C
 * addresses) also take "0x" hex.  Every program checks its file against a
 * schema (rt_config_check()): an unknown section or key is an error.
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

#define RT_CONF_MAX_BYTES (1u << 20) /* a larger file is refused: a config is small */

/*
 * rt_config_load() - parse @path into @cfg.
 * Context: process context (allocates).  Never blocks on the file: it is
 * opened O_NONBLOCK and must be a regular file (a directory or a FIFO is
 * refused, not read).
 * Return: 0, or -errno with @err saying file, line and reason: -ENOENT,
 * -EACCES (open), -EISDIR, -EINVAL (not a regular file; syntax error; NUL
 * byte or invalid UTF-8, with its line; empty: no [section] and no key),
 * -EFBIG (larger than RT_CONF_MAX_BYTES).
 * Ownership: free @cfg's contents with rt_config_free() (nothing to free
 * after an error).
 */
int rt_config_load(const char *path, struct rt_config *cfg, struct rt_err *err);

/*
 * rt_config_load_max() - rt_config_load() with another size limit @max:
 * for an inventory (the fleet orchestrator's, one section per server),
 * which is data more than a configuration.
 */
int rt_config_load_max(const char *path, size_t max, struct rt_config *cfg, struct rt_err *err);

/*
 * rt_config_parse_string() - as rt_config_load() from a string (@name in
 * errors).  An empty @text is valid here (all defaults); NUL bytes cannot
 * occur and UTF-8 is not checked (rt_config_load() does both).
 */
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
 * rt_conf_int() - decimal integer @key of @s within [@lo, @hi].  Leading
 * zeros are decimal ("075000" is 75000, never octal); "0x" is refused.
 * @s may be NULL.  Absent: *@out = @def, return 0.
 * Return: 0, or -EINVAL with @err naming file, line, key and the range.
 */
int rt_conf_int(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		long long def, long long *out, struct rt_err *err);

/*
 * rt_conf_int_hex() - as rt_conf_int(), but "0x" hex is taken too: only
 * for values that are naturally hex (I2C addresses, register numbers).
 * Without "0x" the value is decimal, leading zeros included.
 */
int rt_conf_int_hex(const struct rt_conf_section *s, const char *key, long long lo,
		    long long hi, long long def, long long *out, struct rt_err *err);

/*
 * rt_parse_ll() - all of @text as a decimal integer, or with @hex also as
 * "0x"/"0X" hex.  No octal, no leading '+' or blanks.  Context: any (no
 * allocation).  Return: 0 and *@out, or -EINVAL (not a number, or out of
 * the range of long long).
 */
int rt_parse_ll(const char *text, bool hex, long long *out);

/*
 * rt_conf_str() - string @key of @s (may be NULL), or @def when absent,
 * copied into @out (@len bytes).  Return: 0, or -EINVAL with @err naming
 * file, line and key when it does not fit.
 */
int rt_conf_str(const struct rt_conf_section *s, const char *key, const char *def, char *out,
		size_t len, struct rt_err *err);

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
 * rt_config_errorf() - format "@file:@line: ..." into @err for an error of
 * the file as a whole (a section it lacks); @line 0 names the file alone.
 * Return: -EINVAL.
 */
int rt_config_errorf(struct rt_err *err, const struct rt_config *cfg, int line,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * rt_conf_group() - @key of @s names a group that exists on this system
 * (getgrnam_r); the segment is created with it.  Absent: *@out = NULL.
 * Context: process context (NSS lookup).  Return: 0 with *@out pointing
 * into @s, or -EINVAL with @err naming file, line and the group.
 */
int rt_conf_group(const struct rt_conf_section *s, const char *key, const char **out,
		  struct rt_err *err);

/* struct rt_conf_schema arguments: does [name ARG] take an ARG? */
enum rt_conf_arg {
	RT_CONF_NO_ARG,         /* [fan]: a bare name */
	RT_CONF_ARG,            /* [zone cpu]: the argument is required */
};

/*
 * struct rt_conf_schema - one section a program reads: its @name, whether
 * it takes an argument, and the keys it takes (@keys and @more, each a
 * NULL-terminated list; @more, which may be NULL, is for keys a family of
 * sections shares, like every sampler backend's "enable").
 */
struct rt_conf_schema {
	const char *name;
	enum rt_conf_arg arg;
	const char *const *keys;
	const char *const *more;
};

/*
 * rt_config_check() - every section of @cfg is one of the @n in @schema,
 * with or without an argument as declared, and holds only its keys.
 * Context: process context, after a load and before any value is used
 * (at start and at every reload: a file that fails is refused whole).
 * Return: 0, or -EINVAL with @err naming file, line and section of the
 * first offence, and the name probably meant when there is one ("unknown
 * key 'warn_hii' (did you mean 'warn_hi'?)": Damerau-Levenshtein distance
 * of at most 2, or a unique prefix), or the section a key belongs in.
 */
int rt_config_check(const struct rt_config *cfg, const struct rt_conf_schema *schema, size_t n,
		    struct rt_err *err);

/*
 * rt_conf_suggest() - among the NULL-terminated @lists (@nlists of them,
 * each may be NULL), the word @word was probably meant as: the unique
 * closest at a Damerau-Levenshtein distance of at most 2 (and less than
 * @word's length), else the unique word @word is a prefix of.
 * Return: a pointer into @lists, or NULL when there is no good guess.
 */
const char *rt_conf_suggest(const char *word, const char *const *const *lists, size_t nlists);

/*
 * rt_utf8_invalid_at() - the offset of the first byte of @s (@len bytes)
 * that is not valid UTF-8 (overlong forms, surrogates and code points
 * beyond U+10FFFF are invalid), or @len.  Pure; any context.
 */
size_t rt_utf8_invalid_at(const unsigned char *s, size_t len);

/*
 * rt_glob_match() - shell-style match of @name against @pattern ('*', '?').
 * Used for include/exclude lists.  Return: true on a match.
 */
bool rt_glob_match(const char *pattern, const char *name);

#endif /* SOVEREIGN_RT_CONFIG_H */
