/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - loads the sampler's INI configuration with inih into sections
 * of key/value pairs that remember their file and line (see config.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/*
 * Debian's libinih is built without INI_HANDLER_LINENO, so the handler is
 * not told the line: the stream reader below counts the lines it hands to
 * inih, and the handler runs right after the line it was given.
 */
struct parse_state {
	struct rt_config *cfg;
	struct rt_err *err;
	const char *text;       /* remaining input (string parsing) */
	int line;               /* line last handed to inih */
	int failed;             /* the handler reported an error */
};

static char *reader(char *buf, int num, void *stream)
{
	struct parse_state *ps = stream;
	const char *nl;
	size_t len;

	if (!*ps->text)
		return NULL;
	nl = strchr(ps->text, '\n');
	len = nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
	ps->line++;
	if (len >= (size_t)num) {
		/* inih would split the line and parse the rest as a new one. */
		if (!ps->failed) {
			snprintf(ps->err->msg, sizeof(ps->err->msg),
				 "%s:%d: line longer than %d characters", ps->cfg->file, ps->line,
				 num - 2);
			ps->failed = 1;
		}
		len = (size_t)num - 1;
		memcpy(buf, ps->text, len);
		buf[len] = '\0';
		ps->text += nl ? (size_t)(nl - ps->text) + 1 : strlen(ps->text);
		return buf;
	}
	memcpy(buf, ps->text, len);
	buf[len] = '\0';
	ps->text += len;
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* Find or open the section for inih's @section string. */
static struct rt_conf_section *section_for(struct parse_state *ps, const char *section)
{
	struct rt_config *cfg = ps->cfg;
	struct rt_conf_section *s, *ns;
	char buf[256], *name, *arg = NULL, *sp;

	if (snprintf(buf, sizeof(buf), "%s", section) >= (int)sizeof(buf))
		return NULL;
	name = trim(buf);
	sp = strpbrk(name, " \t");
	if (sp) {
		*sp = '\0';
		arg = trim(sp + 1);
		if (arg[0] == '"' && strlen(arg) >= 2 && arg[strlen(arg) - 1] == '"') {
			arg[strlen(arg) - 1] = '\0';
			arg++;
		}
	}
	/* A repeated [same] header continues the section: later keys win. */
	for (size_t i = 0; i < cfg->nsec; i++) {
		s = &cfg->sec[i];
		if (!strcmp(s->name, name) && ((!arg && !s->arg) || (arg && s->arg && !strcmp(arg, s->arg))))
			return s;
	}
	if (!valid_name(name) || (arg && !*arg)) {
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%d: bad section name [%s]",
			 cfg->file, ps->line, section);
		return NULL;
	}
	ns = realloc(cfg->sec, (cfg->nsec + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	cfg->sec = ns;
	s = &cfg->sec[cfg->nsec];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->arg = arg ? strdup(arg) : NULL;
	s->line = ps->line;
	s->file = cfg->file;
	if (!s->name || (arg && !s->arg)) {
		free(s->name);
		free(s->arg);
		return NULL;
	}
	cfg->nsec++;
	return s;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *ps = user;
	struct rt_conf_section *s;
	struct rt_conf_kv *nkv;

	if (ps->failed)
		return 0;
	if (!*section) {
		snprintf(ps->err->msg, sizeof(ps->err->msg),
			 "%s:%d: '%s' outside any [section]", ps->cfg->file, ps->line, key);
		goto fail;
	}
	s = section_for(ps, section);
	if (!s) {
		if (!ps->err->msg[0])
			snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%d: out of memory",
				 ps->cfg->file, ps->line);
		goto fail;
	}
	if (!valid_name(key)) {
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%d: [%s] bad key '%s'",
			 ps->cfg->file, ps->line, section, key);
		goto fail;
	}
	nkv = realloc(s->kv, (s->nkv + 1) * sizeof(*nkv));
	if (!nkv)
		goto fail;
	s->kv = nkv;
	nkv[s->nkv].key = strdup(key);
	nkv[s->nkv].value = strdup(value);
	nkv[s->nkv].line = ps->line;
	if (!nkv[s->nkv].key || !nkv[s->nkv].value) {
		free(nkv[s->nkv].key);
		free(nkv[s->nkv].value);
		goto fail;
	}
	s->nkv++;
	return 1;
fail:
	ps->failed = 1;
	return 0;
}

int rt_config_parse_string(const char *text, const char *name, struct rt_config *cfg,
			   struct rt_err *err)
{
	struct parse_state ps = { .cfg = cfg, .err = err, .text = text };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	err->msg[0] = '\0';
	cfg->file = strdup(name);
	if (!cfg->file)
		return -ENOMEM;
	rc = ini_parse_stream(reader, &ps, handler, &ps);
	if (rc == 0 && !ps.failed)
		return 0;
	if (!err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s:%d: syntax error (expected [section] or key = value)",
			 cfg->file, rc > 0 ? rc : ps.line);
	rt_config_free(cfg);
	return rc < 0 && rc != -1 ? rc : -EINVAL;
}

int rt_config_load(const char *path, struct rt_config *cfg, struct rt_err *err)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!f) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(errno));
		return rc;
	}
	/* Read it whole: a config is small, and NUL bytes must be caught. */
	{
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			char *nt;

			if (len + n > (1u << 20)) {
				snprintf(err->msg, sizeof(err->msg), "%s: larger than 1 MiB", path);
				free(text);
				fclose(f);
				return -EFBIG;
			}
			nt = realloc(text, len + n + 1);
			if (!nt) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = nt;
			memcpy(text + len, buf, n);
			len += n;
		}
	}
	fclose(f);
	if (!text)
		text = strdup("");
	if (!text)
		return -ENOMEM;
	text[len] = '\0';
	if (strlen(text) != len) {
		int line = 1;
		size_t i;

		for (i = 0; i < strlen(text); i++)
			line += text[i] == '\n';
		snprintf(err->msg, sizeof(err->msg), "%s:%d: NUL byte in the file", path, line);
		free(text);
		return -EINVAL;
	}
	rc = rt_config_parse_string(text, path, cfg, err);
	free(text);
	return rc;
}

void rt_config_free(struct rt_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->nsec; i++) {
		for (j = 0; j < cfg->sec[i].nkv; j++) {
			free(cfg->sec[i].kv[j].key);
			free(cfg->sec[i].kv[j].value);
		}
		free(cfg->sec[i].kv);
		free(cfg->sec[i].name);
		free(cfg->sec[i].arg);
	}
	free(cfg->sec);
	free(cfg->file);
	memset(cfg, 0, sizeof(*cfg));
}

const struct rt_conf_section *rt_config_section(const struct rt_config *cfg, const char *name,
						const char *arg)
{
	size_t i;

	for (i = 0; i < cfg->nsec; i++) {
		const struct rt_conf_section *s = &cfg->sec[i];

		if (strcmp(s->name, name))
			continue;
		if ((!arg && !s->arg) || (arg && s->arg && !strcmp(arg, s->arg)))
			return s;
	}
	return NULL;
}

static const struct rt_conf_kv *find_kv(const struct rt_conf_section *s, const char *key)
{
	size_t i;

	if (!s || !key)
		return NULL;
	for (i = s->nkv; i-- > 0;)
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	return NULL;
}

const char *rt_conf_get(const struct rt_conf_section *s, const char *key)
{
	const struct rt_conf_kv *kv = find_kv(s, key);

	return kv ? kv->value : NULL;
}

int rt_conf_line(const struct rt_conf_section *s, const char *key)
{
	const struct rt_conf_kv *kv = find_kv(s, key);

	return kv ? kv->line : s ? s->line : 0;
}

int rt_conf_errorf(struct rt_err *err, const struct rt_conf_section *s, const char *key,
		   const char *fmt, ...)
{
	char what[RT_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!s)
		snprintf(err->msg, sizeof(err->msg), "%s%s%s", key ? key : "", key ? ": " : "", what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s:%d: [%s%s%s] %s%s%s", s->file,
			 rt_conf_line(s, key), s->name, s->arg ? " " : "", s->arg ? s->arg : "",
			 key ? key : "", key ? ": " : "", what);
	return -EINVAL;
}

int rt_conf_int(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		long long def, long long *out, struct rt_err *err)
{
	const char *v = rt_conf_get(s, key);
	char *end;
	long long x;

	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoll(v, &end, 0);
	if (errno || end == v || *end || x < lo || x > hi)
		return rt_conf_errorf(err, s, key, "'%s' is not an integer in [%lld, %lld]", v, lo, hi);
	*out = x;
	return 0;
}

int rt_conf_bool(const struct rt_conf_section *s, const char *key, bool def, bool *out,
		 struct rt_err *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const char *v = rt_conf_get(s, key);
	size_t i;

	if (!v) {
		*out = def;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return rt_conf_errorf(err, s, key, "'%s' is not yes or no", v);
}

int rt_conf_list(const struct rt_conf_section *s, const char *key, char (*items)[64], int max,
		 struct rt_err *err)
{
	const char *v = rt_conf_get(s, key), *p;
	int n = 0;

	if (!v)
		return 0;
	for (p = v; *p;) {
		size_t len;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		len = strcspn(p, ", \t");
		if (n >= max)
			return rt_conf_errorf(err, s, key, "more than %d items", max), -E2BIG;
		if (len >= 64)
			return rt_conf_errorf(err, s, key, "item '%.20s...' longer than 63 characters", p),
			       -ENAMETOOLONG;
		memcpy(items[n], p, len);
		items[n][len] = '\0';
		n++;
		p += len;
	}
	return n;
}

bool rt_glob_match(const char *pattern, const char *name)
{
	const char *star = NULL, *resume = NULL;

	while (*name) {
		if (*pattern == '*') {
			star = pattern++;
			resume = name;
		} else if (*pattern == '?' || *pattern == *name) {
			pattern++;
			name++;
		} else if (star) {
			pattern = star + 1;
			name = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return !*pattern;
}
