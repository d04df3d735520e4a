/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - loads the sampler's INI configuration with inih into sections
 * of key/value pairs that remember their file and line (see config.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	int after_key;          /* a key = value line since the last header */
	/* inih hands every key its section's text: the last one found, by
	 * index (cfg->sec moves when it grows), so that the keys of one
	 * section cost one strcmp, not a walk of every section (an inventory
	 * has thousands) */
	char last[256];
	size_t last_idx;
	size_t cap;             /* cfg->sec's allocated entries */
};

static struct rt_conf_section *section_for(struct parse_state *ps, const char *section);

/*
 * Sections are recorded when their header is read, not at their first
 * key: a [section] with no key is still checked against the schema, an
 * empty file is told from one with headers only, and a section's line is
 * its header's.  inih's rules: a line whose first non-blank character is
 * '[' opens a section, unless it is indented under a key (then it
 * continues the key's value: INI_ALLOW_MULTILINE); the name ends at the
 * first ']'; a UTF-8 BOM before the first line is skipped.
 */
static void note_header(struct parse_state *ps, const char *line)
{
	const char *p = line, *end;
	char name[256];

	if (ps->failed)
		return;
	if (ps->line == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		line = p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == ';' || *p == '#')
		return;
	if (*p != '[' || (ps->after_key && p > line)) {
		ps->after_key = 1;
		return;
	}
	end = strchr(p, ']');
	if (!end || (size_t)(end - p) > sizeof(name))
		return; /* inih says "syntax error" on this line */
	memcpy(name, p + 1, (size_t)(end - p - 1));
	name[end - p - 1] = '\0';
	ps->after_key = 0;
	if (!section_for(ps, name)) {
		if (!ps->err->msg[0])
			snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%d: out of memory",
				 ps->cfg->file, ps->line);
		ps->failed = 1;
	}
}

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
	note_header(ps, buf);
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
	if (ps->last[0] && ps->last_idx < cfg->nsec && !strcmp(ps->last, section))
		return &cfg->sec[ps->last_idx];
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
		if (!strcmp(s->name, name) && ((!arg && !s->arg) || (arg && s->arg && !strcmp(arg, s->arg)))) {
			snprintf(ps->last, sizeof(ps->last), "%s", section);
			ps->last_idx = i;
			return s;
		}
	}
	if (!valid_name(name) || (arg && !*arg)) {
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%d: bad section name [%s]",
			 cfg->file, ps->line, section);
		return NULL;
	}
	if (cfg->nsec == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;

		ns = realloc(cfg->sec, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		cfg->sec = ns;
		ps->cap = cap;
	}
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
	snprintf(ps->last, sizeof(ps->last), "%s", section);
	ps->last_idx = cfg->nsec++;
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

/* 1 + the number of newlines in the first @off bytes of @text. */
static int line_at(const char *text, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

size_t rt_utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		unsigned c = s[i], cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i; /* a continuation byte, 0xc0/0xc1, or 0xf5 and above */
		}
		if (n >= len - i)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a file";
}

/* The whole of @fd (a regular file) into *@text, NUL-terminated, at most @max bytes. */
static int read_all(int fd, const char *path, size_t max, char **text, size_t *len,
		    struct rt_err *err)
{
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	for (;;) {
		ssize_t n;

		if (cap - *len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;

			snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
			free(buf);
			return rc;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len > max) {
			snprintf(err->msg, sizeof(err->msg), "%s: larger than %zu KiB: not a configuration",
				 path, max / 1024);
			free(buf);
			return -EFBIG;
		}
	}
	buf[*len] = '\0';
	*text = buf;
	return 0;
}

int rt_config_load(const char *path, struct rt_config *cfg, struct rt_err *err)
{
	return rt_config_load_max(path, RT_CONF_MAX_BYTES, cfg, err);
}

int rt_config_load_max(const char *path, size_t max, struct rt_config *cfg, struct rt_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0, bad;
	int fd, rc;

	memset(cfg, 0, sizeof(*cfg));
	err->msg[0] = '\0';
	/* O_NONBLOCK: opening a FIFO to read would wait for a writer, forever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err->msg, sizeof(err->msg), "%s: %s, not a regular file", path,
			 file_kind(st.st_mode));
		goto err_close;
	}
	if (st.st_size > (off_t)max) {
		rc = -EFBIG;
		snprintf(err->msg, sizeof(err->msg), "%s: larger than %zu KiB: not a configuration",
			 path, max / 1024);
		goto err_close;
	}
	rc = read_all(fd, path, max, &text, &len, err);
	close(fd);
	if (rc)
		return rc;
	bad = strlen(text);
	if (bad != len) {
		snprintf(err->msg, sizeof(err->msg), "%s:%d: NUL byte in the file", path,
			 line_at(text, bad));
		free(text);
		return -EINVAL;
	}
	bad = rt_utf8_invalid_at((const unsigned char *)text, len);
	if (bad != len) {
		snprintf(err->msg, sizeof(err->msg), "%s:%d: byte 0x%02x is not UTF-8 (the file must be UTF-8 text)",
			 path, line_at(text, bad), (unsigned char)text[bad]);
		free(text);
		return -EINVAL;
	}
	rc = rt_config_parse_string(text, path, cfg, err);
	free(text);
	if (rc)
		return rc;
	/*
	 * No section and no key: an empty or comments-only file is a mistake
	 * (a truncated copy, the wrong path), never "all defaults": at a
	 * reload it would drop every setting.
	 */
	if (!cfg->nsec) {
		snprintf(err->msg, sizeof(err->msg), "%s: empty: no [section] and no key", path);
		rt_config_free(cfg);
		return -EINVAL;
	}
	return 0;

err_close:
	close(fd);
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

int rt_parse_ll(const char *text, bool hex, long long *out)
{
	const char *p = text;
	bool neg = *p == '-';
	int base = 10;
	char *end;
	long long v;

	if (neg)
		p++;
	if (hex && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (neg)
			return -EINVAL;
		base = 16;
		p += 2;
	}
	/* strtoll would take blanks, '+' and a second "0x": the digits must start here. */
	if (base == 16 ? !isxdigit((unsigned char)*p) || (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		       : !isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoll(neg ? p - 1 : p, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int conf_int(const struct rt_conf_section *s, const char *key, bool hex, long long lo,
		    long long hi, long long def, long long *out, struct rt_err *err)
{
	const char *v = rt_conf_get(s, key);
	long long x;

	if (!v) {
		*out = def;
		return 0;
	}
	if (rt_parse_ll(v, hex, &x) || x < lo || x > hi)
		return rt_conf_errorf(err, s, key, "'%s' is not %s integer in [%lld, %lld]%s", v,
				      hex ? "an" : "a decimal", lo, hi,
				      !hex && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ?
				      " (this key takes no hex)" : "");
	*out = x;
	return 0;
}

int rt_conf_int(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		long long def, long long *out, struct rt_err *err)
{
	return conf_int(s, key, false, lo, hi, def, out, err);
}

int rt_conf_int_hex(const struct rt_conf_section *s, const char *key, long long lo,
		    long long hi, long long def, long long *out, struct rt_err *err)
{
	return conf_int(s, key, true, lo, hi, def, out, err);
}

int rt_config_errorf(struct rt_err *err, const struct rt_config *cfg, int line,
		     const char *fmt, ...)
{
	char what[RT_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: %s", cfg->file, line, what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: %s", cfg->file, what);
	return -EINVAL;
}

int rt_conf_group(const struct rt_conf_section *s, const char *key, const char **out,
		  struct rt_err *err)
{
	const char *v = rt_conf_get(s, key);
	struct group gr, *res = NULL;
	char buf[16384];
	int rc;

	*out = v;
	if (!v)
		return 0;
	if (!*v)
		return rt_conf_errorf(err, s, key, "empty: name a group, or leave the key out");
	rc = getgrnam_r(v, &gr, buf, sizeof(buf), &res);
	if (rc)
		return rt_conf_errorf(err, s, key, "group '%s': %s", v, strerror(rc));
	if (!res)
		return rt_conf_errorf(err, s, key, "no group '%s' on this system", v);
	return 0;
}

/* ---- the schema ---- */

#define SUGGEST_MAX_LEN 40 /* longer names get no suggestion */

/*
 * Damerau-Levenshtein distance in its "optimal string alignment" form:
 * insertions, deletions, substitutions and swaps of two neighbours
 * ("devcie" -> "device" is 1).  Names longer than SUGGEST_MAX_LEN: INT_MAX.
 */
static int osa_distance(const char *a, const char *b)
{
	int d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return INT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The best guess so far for a mistyped word: fed candidates one by one. */
struct guess {
	const char *word;
	const char *best;       /* closest so far */
	int dist;               /* its distance */
	bool tie;               /* another candidate is as close */
	const char *prefixed;   /* a candidate @word is a prefix of */
	int nprefixed;
};

static void guess_feed(struct guess *g, const char *cand)
{
	int d = osa_distance(g->word, cand);

	if (d < g->dist) {
		g->best = cand;
		g->dist = d;
		g->tie = false;
	} else if (d == g->dist && g->best && strcmp(g->best, cand)) {
		g->tie = true;
	}
	if (strlen(g->word) >= 3 && !strncmp(cand, g->word, strlen(g->word)) &&
	    (!g->prefixed || strcmp(g->prefixed, cand))) {
		g->prefixed = cand;
		g->nprefixed++;
	}
}

static const char *guess_result(const struct guess *g)
{
	if (g->best && !g->tie && g->dist <= 2 && (size_t)g->dist < strlen(g->word))
		return g->best;
	return g->nprefixed == 1 ? g->prefixed : NULL;
}

const char *rt_conf_suggest(const char *word, const char *const *const *lists, size_t nlists)
{
	struct guess g = { .word = word, .dist = INT_MAX };

	for (size_t i = 0; i < nlists; i++)
		for (const char *const *k = lists[i]; k && *k; k++)
			guess_feed(&g, *k);
	return guess_result(&g);
}

static bool in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

int rt_config_check(const struct rt_config *cfg, const struct rt_conf_schema *schema, size_t n,
		    struct rt_err *err)
{
	for (size_t i = 0; i < cfg->nsec; i++) {
		const struct rt_conf_section *s = &cfg->sec[i];
		const struct rt_conf_schema *e = NULL;
		const char *const *lists[2];
		struct guess g = { .word = s->name, .dist = INT_MAX };
		const char *hint;

		for (size_t j = 0; j < n && !e; j++)
			if (!strcmp(schema[j].name, s->name))
				e = &schema[j];
		if (!e) {
			for (size_t j = 0; j < n; j++)
				guess_feed(&g, schema[j].name);
			hint = guess_result(&g);
			snprintf(err->msg, sizeof(err->msg), "%s:%d: unknown section [%s%s%s]%s%s%s",
				 s->file, s->line, s->name, s->arg ? " " : "", s->arg ? s->arg : "",
				 hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
			return -EINVAL;
		}
		if (e->arg == RT_CONF_NO_ARG && s->arg)
			return rt_conf_errorf(err, s, NULL, "takes no name: [%s]", s->name);
		if (e->arg == RT_CONF_ARG && !s->arg)
			return rt_conf_errorf(err, s, NULL, "needs a name: [%s NAME]", s->name);
		lists[0] = e->keys;
		lists[1] = e->more;
		for (size_t k = 0; k < s->nkv; k++) {
			const char *key = s->kv[k].key;
			char why[96] = "";

			if (in_list(e->keys, key) || in_list(e->more, key))
				continue;
			hint = rt_conf_suggest(key, lists, 2);
			if (hint)
				snprintf(why, sizeof(why), " (did you mean '%s'?)", hint);
			/* Known in another section: say where it belongs. */
			for (size_t j = 0; j < n && !hint; j++) {
				if (in_list(schema[j].keys, key) || in_list(schema[j].more, key)) {
					snprintf(why, sizeof(why), " (a key of [%s%s])", schema[j].name,
						 schema[j].arg == RT_CONF_ARG ? " NAME" : "");
					break;
				}
			}
			snprintf(err->msg, sizeof(err->msg), "%s:%d: [%s%s%s] unknown key '%s'%s",
				 s->file, s->kv[k].line, s->name, s->arg ? " " : "",
				 s->arg ? s->arg : "", key, why);
			return -EINVAL;
		}
	}
	return 0;
}

int rt_conf_str(const struct rt_conf_section *s, const char *key, const char *def, char *out,
		size_t len, struct rt_err *err)
{
	const char *v = s ? rt_conf_get(s, key) : NULL;

	if (!v)
		v = def;
	if (strlen(v) >= len)
		return rt_conf_errorf(err, s, key, "longer than %zu bytes", len - 1);
	memcpy(out, v, strlen(v) + 1);
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
