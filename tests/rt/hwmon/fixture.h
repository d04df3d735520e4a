/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fixture.h - helpers for the hwmon and powercap backend tests: build a
 * fake sysfs tree in a mkdtemp() directory, rewrite attributes in place,
 * probe a backend with an INI section, count open descriptors.
 */
#ifndef SOVEREIGN_TESTS_RT_HWMON_FIXTURE_H
#define SOVEREIGN_TESTS_RT_HWMON_FIXTURE_H

#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "registry.h"
#include "sensor.h"

static char fx_root[PATH_MAX];

static inline void fx_path(char *buf, size_t len, const char *rel)
{
	cr_assert(snprintf(buf, len, "%s/%s", fx_root, rel) < (int)len);
}

/* mkdir -p of @rel's parent (or of @rel itself with @self). */
static inline void fx_mkdirs(const char *rel, bool self)
{
	char p[PATH_MAX], *s;

	fx_path(p, sizeof(p), rel);
	if (!self) {
		s = strrchr(p, '/');
		*s = '\0';
	}
	for (s = p + strlen(fx_root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

/* Create the file @rel (relative to the root) holding @text. */
static inline void fx_file(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	fx_mkdirs(rel, false);
	fx_path(p, sizeof(p), rel);
	f = fopen(p, "w");
	cr_assert(f, "create %s: %s", p, strerror(errno));
	fputs(text, f);
	cr_assert(fclose(f) == 0);
}

/* Symlink @rel -> @target (relative targets, as sysfs has them). */
static inline void fx_link(const char *rel, const char *target)
{
	char p[PATH_MAX];

	fx_mkdirs(rel, false);
	fx_path(p, sizeof(p), rel);
	cr_assert(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

/* Rewrite @rel in place (same inode), so that held descriptors see the new text. */
static inline void fx_set(const char *rel, const char *text)
{
	char p[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	fx_path(p, sizeof(p), rel);
	fd = open(p, O_WRONLY);
	cr_assert(fd >= 0, "open %s: %s", p, strerror(errno));
	cr_assert(pwrite(fd, text, len, 0) == (ssize_t)len);
	cr_assert(ftruncate(fd, (off_t)len) == 0);
	close(fd);
}

static inline int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void fx_setup(void)
{
	snprintf(fx_root, sizeof(fx_root), "/tmp/sov-hwmon-XXXXXX");
	cr_assert(mkdtemp(fx_root), "mkdtemp: %s", strerror(errno));
}

static inline void fx_teardown(void)
{
	if (fx_root[0])
		nftw(fx_root, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fx_root[0] = '\0';
}

/* Number of open descriptors of this process. */
static inline int fx_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own descriptor */
}

/*
 * Probe backend @name against the fixture with the INI text @ini (NULL:
 * no section).  The config is parsed as "test.ini".
 */
static inline int fx_probe(const char *name, const char *ini, struct rt_chan_list *list, struct rt_err *err)
{
	const struct sensor_ops *ops = rt_backend_find(name);
	const struct rt_conf_section *sec = NULL;
	struct rt_config cfg;
	int rc;

	cr_assert(ops, "backend %s not registered", name);
	memset(list, 0, sizeof(*list));
	memset(&cfg, 0, sizeof(cfg));
	if (ini) {
		rc = rt_config_parse_string(ini, "test.ini", &cfg, err);
		cr_assert_eq(rc, 0, "config: %s", err->msg);
		sec = rt_config_section(&cfg, name, NULL);
	}
	rc = rt_backend_probe(ops, fx_root, 0, sec, list, err);
	rt_config_free(&cfg);
	return rc;
}

static inline struct rt_chan *fx_find(struct rt_chan_list *l, const char *chip, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->chan[i].desc.chip, chip) && !strcmp(l->chan[i].desc.name, name))
			return &l->chan[i];
	return NULL;
}

static inline int fx_read(struct rt_chan *c, int64_t *v)
{
	return c->ops->read(c, 0, v);
}

#endif /* SOVEREIGN_TESTS_RT_HWMON_FIXTURE_H */
