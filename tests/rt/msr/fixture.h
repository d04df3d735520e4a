/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fixture.h - run-time fixture trees for the msr and smi_perf backend tests:
 * a mkdtemp() root with proc/cpuinfo and sparse dev/cpu/N/msr files, plus
 * helpers to probe a backend against it.  Header-only, static functions.
 *
 * The MSR file holds each register as a little-endian u64 at offset = MSR
 * number, which is how the device answers pread().  Caveat: in a file,
 * registers closer than 8 apart overlap (0x19C..0x1A3 covers the low two
 * bytes of 0x1A2; 0xC0010299/A/B share bytes), so tests choose values whose
 * overlapping bytes agree and say so.  A register beyond the end of the
 * file reads short, which the backend treats like the device's EIO.
 */
#ifndef SOVEREIGN_TESTS_RT_MSR_FIXTURE_H
#define SOVEREIGN_TESTS_RT_MSR_FIXTURE_H

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

#include "registry.h"

struct fx {
	char root[64];
};

/* The current test's root, removed by fx_cleanup() even when an assertion
 * ended the test early (each Criterion test runs in its own process). */
static char fx_current_root[64];

static inline void fx_mkdir(const struct fx *fx, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", fx->root, rel);
	cr_assert(mkdir(p, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

static inline void fx_init(struct fx *fx)
{
	snprintf(fx->root, sizeof(fx->root), "/tmp/sov-msr-XXXXXX");
	cr_assert_not_null(mkdtemp(fx->root), "mkdtemp: %s", strerror(errno));
	snprintf(fx_current_root, sizeof(fx_current_root), "%s", fx->root);
	fx_mkdir(fx, "/proc");
	fx_mkdir(fx, "/dev");
	fx_mkdir(fx, "/dev/cpu");
}

static inline int fx_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void fx_rm(struct fx *fx)
{
	if (fx->root[0])
		nftw(fx->root, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fx->root[0] = '\0';
	fx_current_root[0] = '\0';
}

/* fx_cleanup() - suite .fini: remove a root a failed test left behind. */
static inline void fx_cleanup(void)
{
	struct fx fx;

	snprintf(fx.root, sizeof(fx.root), "%s", fx_current_root);
	fx_rm(&fx);
}

/* fx_cpuinfo() - @ncpus processor entries; @pkgs: physical id of each (NULL: 0). */
static inline void fx_cpuinfo(const struct fx *fx, const char *vendor, int family, int model, int ncpus,
		       const int *pkgs)
{
	char p[PATH_MAX];
	FILE *f;
	int i;

	snprintf(p, sizeof(p), "%s/proc/cpuinfo", fx->root);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	for (i = 0; i < ncpus; i++)
		fprintf(f,
			"processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\n"
			"model name\t: Test CPU model 9999\nstepping\t: 4\nphysical id\t: %d\n"
			"core id\t\t: %d\nflags\t\t: fpu msr rapl\n\n",
			i, vendor, family, model, pkgs ? pkgs[i] : 0, i);
	fclose(f);
}

static inline void fx_msr_path(const struct fx *fx, int cpu, char *p, size_t len)
{
	snprintf(p, len, "%s/dev/cpu/%d/msr", fx->root, cpu);
}

/* fx_msr_create() - an empty dev/cpu/@cpu/msr (every MSR reads short = EIO). */
static inline void fx_msr_create(const struct fx *fx, int cpu)
{
	char p[PATH_MAX], d[64];
	int fd;

	snprintf(d, sizeof(d), "/dev/cpu/%d", cpu);
	fx_mkdir(fx, d);
	fx_msr_path(fx, cpu, p, sizeof(p));
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	cr_assert(fd >= 0, "%s: %s", p, strerror(errno));
	close(fd);
}

/* fx_wr() - MSR @reg of @cpu := @val (little-endian, whatever the host). */
static inline void fx_wr(const struct fx *fx, int cpu, uint32_t reg, uint64_t val)
{
	unsigned char b[8];
	char p[PATH_MAX];
	int fd, i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(val >> (8 * i));
	fx_msr_path(fx, cpu, p, sizeof(p));
	fd = open(p, O_WRONLY);
	cr_assert(fd >= 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(pwrite(fd, b, 8, (off_t)reg), 8);
	close(fd);
}

static inline void fx_truncate(const struct fx *fx, int cpu, off_t len)
{
	char p[PATH_MAX];

	fx_msr_path(fx, cpu, p, sizeof(p));
	cr_assert_eq(truncate(p, len), 0);
}

/* struct probed - one probe of a backend against a fixture. */
struct probed {
	struct rt_chan_list list;
	struct rt_config cfg;
	struct rt_err err;
	int rc;
};

/* probe() - probe backend @name with housekeeping @cpu and config @ini (or NULL). */
static inline int probe(const struct fx *fx, const char *name, int cpu, const char *ini, struct probed *p)
{
	const struct sensor_ops *ops = rt_backend_find(name);
	const struct rt_conf_section *s = NULL;

	memset(p, 0, sizeof(*p));
	cr_assert_not_null(ops, "backend %s registered", name);
	if (ini) {
		cr_assert_eq(rt_config_parse_string(ini, "test.ini", &p->cfg, &p->err), 0, "%s",
			     p->err.msg);
		s = rt_config_section(&p->cfg, name, NULL);
		cr_assert_not_null(s);
	}
	p->rc = rt_backend_probe(ops, fx->root, cpu, s, &p->list, &p->err);
	return p->rc;
}

static inline void probed_free(struct probed *p)
{
	rt_chan_list_free(&p->list);
	rt_config_free(&p->cfg);
}

/* chan() - the channel called @name on chip @chip (NULL: any chip), or NULL. */
static inline struct rt_chan *chan(struct probed *p, const char *chip, const char *name)
{
	size_t i;

	for (i = 0; i < p->list.n; i++) {
		struct rt_chan *c = &p->list.chan[i];

		if (!strcmp(c->desc.name, name) && (!chip || !strcmp(c->desc.chip, chip)))
			return c;
	}
	return NULL;
}

/* rd_clock_ns - the deadline rd() passes: one second later at each read. */
static uint64_t rd_clock_ns;

/* rd() - read @c one second after the previous rd(), asserting success. */
static inline int64_t rd(struct rt_chan *c)
{
	int64_t v = INT64_MIN;
	int rc;

	cr_assert_not_null(c);
	rd_clock_ns += 1000000000u;
	rc = c->ops->read(c, rd_clock_ns, &v);
	cr_assert_eq(rc, 0, "read %s/%s: %s", c->desc.chip, c->desc.name, strerror(-rc));
	return v;
}

/* fds_to() - how many of this process's descriptors point at a path ending in @suffix. */
static inline int fds_to(const char *suffix)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		char link[PATH_MAX], target[PATH_MAX];
		ssize_t len;
		size_t sl = strlen(suffix);

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if ((size_t)len >= sl && !strcmp(target + len - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

#endif /* SOVEREIGN_TESTS_RT_MSR_FIXTURE_H */
