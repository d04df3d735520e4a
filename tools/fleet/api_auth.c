/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * api_auth.c - sovereign-fleet API's bearer tokens: the tokens file (mode
 * 0600/0400, "name token" lines) and the constant-time check of a request's
 * Authorization header against every token.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#define TOKENS_FILE_MAX (1024 * 1024) /* a tokens file, at most */

/* One token in a fixed-size buffer, zero-padded: every check reads all of it. */
struct token {
	char name[FLEET_API_TOKEN_NAME];
	unsigned char buf[FLEET_API_TOKEN_MAX];
	size_t len;
};

struct fleet_api_tokens {
	struct token *tok;
	size_t n;
};

void fleet_api_tokens_free(struct fleet_api_tokens *t)
{
	if (!t)
		return;
	if (t->tok)
		explicit_bzero(t->tok, t->n * sizeof(*t->tok));
	free(t->tok);
	free(t);
}

size_t fleet_api_tokens_count(const struct fleet_api_tokens *t)
{
	return t ? t->n : 0;
}

/* Read all of @fd (at most TOKENS_FILE_MAX bytes) into a NUL-terminated *@out. */
static int slurp(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= TOKENS_FILE_MAX) {
				explicit_bzero(b, n);
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				explicit_bzero(b, n);
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			explicit_bzero(b, n);
			free(b);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

/* Parse the file's text @s into @t; errors name @path:line. */
static int parse(const char *path, char *s, size_t len, struct fleet_api_tokens *t, char *err,
		 size_t errlen)
{
	size_t cap = 0, line = 0;
	char *save = NULL, *l;

	if (memchr(s, '\0', len)) {
		snprintf(err, errlen, "tokens file %s: holds a NUL byte", path);
		return -EINVAL;
	}
	/* strtok_r skips empty lines: count lines by hand for the messages. */
	for (char *p = s; p; ) {
		char *nl = strchr(p, '\n'), *name, *tok, *extra;
		struct token *k;

		line++;
		if (nl)
			*nl = '\0';
		l = p;
		p = nl ? nl + 1 : NULL;
		l[strcspn(l, "#")] = '\0';
		name = strtok_r(l, " \t\r", &save);
		if (!name)
			continue;
		tok = strtok_r(NULL, " \t\r", &save);
		extra = strtok_r(NULL, " \t\r", &save);
		if (!tok || extra) {
			snprintf(err, errlen, "tokens file %s:%zu: expected \"name token\"", path,
				 line);
			return -EINVAL;
		}
		if (strlen(name) >= FLEET_API_TOKEN_NAME || !fleet_api_id_valid(name)) {
			snprintf(err, errlen, "tokens file %s:%zu: bad name (want [A-Za-z0-9._-]{1,63})",
				 path, line);
			return -EINVAL;
		}
		if (strlen(tok) < FLEET_API_TOKEN_MIN || strlen(tok) > FLEET_API_TOKEN_MAX) {
			snprintf(err, errlen, "tokens file %s:%zu: token of %s must be %d..%d bytes",
				 path, line, name, FLEET_API_TOKEN_MIN, FLEET_API_TOKEN_MAX);
			return -EINVAL;
		}
		for (size_t i = 0; tok[i]; i++)
			if (!isgraph((unsigned char)tok[i])) {
				snprintf(err, errlen, "tokens file %s:%zu: token of %s is not printable",
					 path, line, name);
				return -EINVAL;
			}
		for (size_t i = 0; i < t->n; i++) {
			if (!strcmp(t->tok[i].name, name) ||
			    (t->tok[i].len == strlen(tok) && !memcmp(t->tok[i].buf, tok, t->tok[i].len))) {
				snprintf(err, errlen, "tokens file %s:%zu: duplicate name or token (%s)",
					 path, line, name);
				return -EINVAL;
			}
		}
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct token *nt = calloc(ncap, sizeof(*nt));

			if (!nt) {
				snprintf(err, errlen, "tokens file %s: out of memory", path);
				return -ENOMEM;
			}
			if (t->tok) {
				memcpy(nt, t->tok, t->n * sizeof(*nt));
				explicit_bzero(t->tok, t->n * sizeof(*nt));
				free(t->tok);
			}
			t->tok = nt;
			cap = ncap;
		}
		k = &t->tok[t->n++];
		snprintf(k->name, sizeof(k->name), "%s", name);
		k->len = strlen(tok);
		memcpy(k->buf, tok, k->len);
	}
	if (!t->n) {
		snprintf(err, errlen, "tokens file %s: no token", path);
		return -EINVAL;
	}
	return 0;
}

int fleet_api_tokens_load(const char *path, struct fleet_api_tokens **out, char *err,
			  size_t errlen)
{
	struct fleet_api_tokens *t;
	struct stat st;
	size_t len = 0;
	char *s = NULL;
	int fd, ret;

	*out = NULL;
	if (!path || !path[0]) {
		snprintf(err, errlen, "no tokens_file in [fleet]: the API needs one");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "tokens file %s: %s", path, strerror(-ret));
		return ret;
	}
	/* fstat the open file: no window between the check and the read. */
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "tokens file %s: %s", path, strerror(-ret));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "tokens file %s: not a regular file", path);
		goto err_close;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		ret = -EPERM;
		snprintf(err, errlen, "tokens file %s: mode %04o lets others read or change it: "
			 "refused (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
		goto err_close;
	}
	ret = slurp(fd, &s, &len);
	if (ret) {
		snprintf(err, errlen, "tokens file %s: %s", path, strerror(-ret));
		goto err_close;
	}
	close(fd);
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		snprintf(err, errlen, "tokens file %s: out of memory", path);
		goto err_wipe;
	}
	ret = parse(path, s, len, t, err, errlen);
	if (ret) {
		fleet_api_tokens_free(t);
		goto err_wipe;
	}
	explicit_bzero(s, len);
	free(s);
	*out = t;
	return 0;

err_wipe:
	explicit_bzero(s, len);
	free(s);
	return ret;
err_close:
	close(fd);
	return ret;
}

const char *fleet_api_tokens_check(const struct fleet_api_tokens *t, const char *authz)
{
	unsigned char p[FLEET_API_TOKEN_MAX] = { 0 };
	size_t plen, match = 0; /* 1 + index of the matching token, 0: none */

	if (!t || !authz || strncasecmp(authz, "Bearer ", 7))
		return NULL;
	authz += 7;
	while (*authz == ' ')
		authz++;
	plen = strlen(authz);
	while (plen && (authz[plen - 1] == ' ' || authz[plen - 1] == '\t'))
		plen--;
	/* A token longer than any configured one cannot match: its length
	 * is folded into the difference below rather than tested here. */
	memcpy(p, authz, plen < sizeof(p) ? plen : sizeof(p));
	for (size_t i = 0; i < t->n; i++) {
		const struct token *k = &t->tok[i];
		volatile unsigned d = 0; /* volatile: no early exit from the loop */
		size_t ld = k->len ^ plen;
		unsigned diff, eq;

		for (size_t j = 0; j < sizeof(p); j++)
			d |= (unsigned)(k->buf[j] ^ p[j]);
		for (size_t j = 0; j < sizeof(ld); j++)
			d |= (unsigned)((ld >> (8 * j)) & 0xff);
		diff = d; /* 0..255: 0 iff equal */
		eq = ((diff | (0u - diff)) >> (sizeof(unsigned) * 8 - 1)) ^ 1u;
		match |= (size_t)(0u - (size_t)eq) & (i + 1);
	}
	explicit_bzero(p, sizeof(p));
	return match ? t->tok[match - 1].name : NULL;
}
