/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * powercap.c - sensor backend for RAPL energy counters in the powercap sysfs
 * class (/sys/class/powercap/intel-rapl*:*): one µJ accumulator per zone,
 * named by the zone's `name`, read with pread on a descriptor held from probe.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "sensor.h"
#include "wrap.h"

/* Paths, relative to the probe root (drivers/powercap/powercap_sys.c). */
#define POWERCAP_CLASS_DIR   "/sys/class/powercap"
#define POWERCAP_RAPL_PREFIX "intel-rapl"   /* also matches "intel-rapl-mmio" */
#define POWERCAP_CHIP_PREFIX "powercap/"
#define POWERCAP_ENERGY      "energy_uj"
#define POWERCAP_MAX_RANGE   "max_energy_range_uj"
#define POWERCAP_NAME        "name"

#define POWERCAP_VALUE_LEN   32   /* "%llu\n" fits */
#define POWERCAP_TEXT_LEN    SOV_NAME_LEN
#define POWERCAP_PATTERNS_MAX 32
#define POWERCAP_PERIOD_MAX  3600000

/* struct powercap_chan - one zone's state (rt_chan.priv). */
struct powercap_chan {
	int fd;                 /* energy_uj, opened at probe */
	uint64_t max_range_uj;  /* max_energy_range_uj: energy_uj wraps after it */
	struct wrap_acc acc;    /* µJ accumulated since probe */
};

/* struct powercap_zone - one zone found at probe. */
struct powercap_zone {
	char dir[PATH_MAX];          /* <root>/sys/class/powercap/intel-rapl:0:0 */
	char id[NAME_MAX + 1];       /* "intel-rapl:0:0": allocation order, not stable */
	char chip[SOV_NAME_LEN];     /* "powercap/intel-rapl" */
	char name[SOV_NAME_LEN];     /* "package-0/dram" */
};

/* ---- conversion helpers (pure) ---- */

/* powercap_text_to_uj() - "%llu\n" to µJ.  Return: 0 or -EIO (not a number). */
static int powercap_text_to_uj(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EIO;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || (*end && strcmp(end, "\n")))
		return -EIO;
	*out = v;
	return 0;
}

/* ---- read path ---- */

static int powercap_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	struct powercap_chan *pc = ch->priv;
	char buf[POWERCAP_VALUE_LEN];
	uint64_t raw;
	ssize_t n;
	int rc;

	(void)now_ns;
	n = pread(pc->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	rc = powercap_text_to_uj(buf, &raw);
	if (rc)
		return rc;
	/* Above the wrap modulus is not a reading wrap_acc_range() can place: invalid, not "unchanged". */
	if (raw > pc->max_range_uj)
		return -EIO;
	*value = (int64_t)wrap_acc_range(&pc->acc, raw, pc->max_range_uj);
	return 0;
}

static void powercap_remove(struct rt_chan *ch)
{
	struct powercap_chan *pc = ch->priv;

	if (!pc)
		return;
	close(pc->fd);
	free(pc);
	ch->priv = NULL;
}

/* ---- probe helpers ---- */

/* Read a small file from an open descriptor, trimmed.  Return: 0 or -errno. */
static int powercap_pread_text(int fd, char *buf, size_t len)
{
	char *e;
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	e = buf + n;
	while (e > buf && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return 0;
}

/* Read the small file @dir/@file, trimmed.  Return: 0 or -errno. */
static int powercap_read_text(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = powercap_pread_text(fd, buf, len);
	close(fd);
	return rc;
}

/* Zone directories: "intel-rapl:0", "intel-rapl:0:0", "intel-rapl-mmio:0" (hex ids). */
static bool powercap_is_zone(const char *d)
{
	const char *colon = strchr(d, ':');

	return !strncmp(d, POWERCAP_RAPL_PREFIX, strlen(POWERCAP_RAPL_PREFIX)) && colon &&
	       isxdigit((unsigned char)colon[1]);
}

/*
 * Name a zone by its `name` file, not its directory: the ids in
 * "intel-rapl:N" are idr allocation order, not package numbers
 * (docs/hardware.md §R4.2).  A subzone "<parent>:<m>" is "<parent name>/<name>",
 * e.g. "package-0/dram".
 */
static int powercap_name_zone(struct powercap_zone *z, const char *cls, struct rt_err *err)
{
	char name[POWERCAP_TEXT_LEN], pname[POWERCAP_TEXT_LEN], pdir[PATH_MAX];
	const char *first = strchr(z->id, ':'), *last = strrchr(z->id, ':');
	int rc;

	snprintf(z->chip, sizeof(z->chip), POWERCAP_CHIP_PREFIX "%.*s", (int)(first - z->id), z->id);
	rc = powercap_read_text(z->dir, POWERCAP_NAME, name, sizeof(name));
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "powercap: %s/" POWERCAP_NAME ": %s", z->dir,
			 strerror(-rc));
		return rc;
	}
	if (first == last) {
		snprintf(z->name, sizeof(z->name), "%s", name);
		return 0;
	}
	snprintf(pdir, sizeof(pdir), "%s/%.*s", cls, (int)(last - z->id), z->id);
	rc = powercap_read_text(pdir, POWERCAP_NAME, pname, sizeof(pname));
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "powercap: %s/" POWERCAP_NAME ": %s", pdir,
			 strerror(-rc));
		return rc;
	}
	snprintf(z->name, sizeof(z->name), "%s/%s", pname, name);
	return 0;
}

/* Zones sort by chip, then name (the table order does not depend on zone ids), then id. */
static int powercap_zone_cmp(const void *a, const void *b)
{
	const struct powercap_zone *x = a, *y = b;
	int c = strcmp(x->chip, y->chip);

	if (!c)
		c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

/* Open one zone's counter and add its channel.  Return: 0 or -errno with ctx->err set. */
static int powercap_add_zone(struct rt_probe_ctx *ctx, const struct powercap_zone *z,
			     long long period_ms)
{
	char path[PATH_MAX], buf[POWERCAP_VALUE_LEN];
	struct powercap_chan *pc;
	struct sov_sensor desc;
	uint64_t raw;
	int rc;

	memset(&desc, 0, sizeof(desc));
	desc.kind = SOV_KIND_ENERGY;
	desc.unit = SOV_UNIT_MICROJOULE;
	desc.flags = SOV_SEN_COUNTER;
	desc.period_ms = (uint32_t)period_ms;
	snprintf(desc.chip, sizeof(desc.chip), "%s", z->chip);
	snprintf(desc.name, sizeof(desc.name), "%s", z->name);
	snprintf(desc.label, sizeof(desc.label), "%s", z->name);

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	rc = powercap_read_text(z->dir, POWERCAP_MAX_RANGE, buf, sizeof(buf));
	if (!rc)
		rc = powercap_text_to_uj(buf, &pc->max_range_uj);
	if (!rc && !pc->max_range_uj)
		rc = -EIO;
	if (rc) {
		snprintf(ctx->err->msg, sizeof(ctx->err->msg),
			 "powercap: %s/" POWERCAP_MAX_RANGE ": %s", z->dir, strerror(-rc));
		goto err_free;
	}
	snprintf(path, sizeof(path), "%s/" POWERCAP_ENERGY, z->dir);
	pc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pc->fd < 0) {
		rc = -errno;
		if (rc == -EACCES || rc == -EPERM)
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "powercap: %s: %s: energy_uj is readable by root only "
				 "(mode 0400 since the CVE-2020-8694 fix); run the sampler as root",
				 path, strerror(-rc));
		else
			snprintf(ctx->err->msg, sizeof(ctx->err->msg), "powercap: %s: %s", path,
				 strerror(-rc));
		goto err_free;
	}
	/*
	 * One trial read: it proves the descriptor reads (a directory or a
	 * write-only file opens but fails here) and primes the accumulator,
	 * so the first published value is the energy since probe.
	 */
	rc = powercap_pread_text(pc->fd, buf, sizeof(buf));
	if (!rc)
		rc = powercap_text_to_uj(buf, &raw);
	if (!rc && raw > pc->max_range_uj)
		rc = -EIO;
	if (rc) {
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "powercap: %s: cannot read: %s", path,
			 strerror(-rc));
		goto err_close;
	}
	wrap_acc_range(&pc->acc, raw, pc->max_range_uj);
	/* rt_chan_add() owns @pc from here, also on failure. */
	return rt_chan_add(ctx, &desc, pc);

err_close:
	close(pc->fd);
err_free:
	free(pc);
	return rc;
}

/* Append @msg to the probe's @note (@len bytes), "; "-separated. */
static void powercap_note(char *note, size_t len, const char *msg)
{
	size_t used = strlen(note);

	if (used + 3 < len)
		snprintf(note + used, len - used, "%s%s", used ? "; " : "", msg);
}

/*
 * The zones under @cls, sorted.  A zone that cannot be named is left out
 * and said in @note (@len bytes).  Return: 0, or -errno with ctx->err set.
 */
static int powercap_list_zones(struct rt_probe_ctx *ctx, const char *cls,
			       struct powercap_zone **out, size_t *n, char *note, size_t len)
{
	struct powercap_zone *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(cls);
	if (!d) {
		rc = -errno;
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "powercap: %s: %s", cls, strerror(-rc));
		return rc == -ENOENT ? -ENODEV : rc;
	}
	while ((de = readdir(d))) {
		struct powercap_zone *z;

		/* Control-type dirs ("intel-rapl") have no ':' and no energy_uj. */
		if (!powercap_is_zone(de->d_name))
			continue;
		if (cnt == cap) {
			struct powercap_zone *nv;

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				goto err_free;
			}
			v = nv;
		}
		z = &v[cnt];
		snprintf(z->id, sizeof(z->id), "%s", de->d_name);
		if (snprintf(z->dir, sizeof(z->dir), "%s/%s", cls, de->d_name) >= (int)sizeof(z->dir))
			continue;
		rc = powercap_name_zone(z, cls, ctx->err);
		if (rc) {
			powercap_note(note, len, ctx->err->msg); /* degrade: skip it, say why */
			rc = 0;
			continue;
		}
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), powercap_zone_cmp);
	*out = v;
	*n = cnt;
	return 0;

err_free:
	closedir(d);
	free(v);
	return rc;
}

/*
 * On AMD (Fam 17h/19h/1Ah) intel_rapl_msr registers the same "intel-rapl"
 * control type with package and core zones only, no dram or psys
 * (docs/hardware.md §R0 and §R4.2), so this backend needs no vendor switch.
 */
static int powercap_probe(struct rt_probe_ctx *ctx)
{
	char cls[PATH_MAX], pat[POWERCAP_PATTERNS_MAX][64], note[RT_ERR_LEN] = "";
	struct powercap_zone *zones = NULL;
	size_t nzones = 0, i;
	long long period_ms;
	int npat, rc, k;

	npat = rt_conf_list(ctx->conf, "zones", pat, POWERCAP_PATTERNS_MAX, ctx->err);
	if (npat < 0)
		return npat;
	for (k = 0; k < npat; k++)
		if (strpbrk(pat[k], "[]{}\\"))
			return rt_conf_errorf(ctx->err, ctx->conf, "zones",
					      "'%s': only '*' and '?' are glob characters", pat[k]);
	rc = rt_conf_int(ctx->conf, "period_ms", 0, POWERCAP_PERIOD_MAX, 0, &period_ms, ctx->err);
	if (rc)
		return rc;
	rc = rt_path(cls, sizeof(cls), ctx->root, POWERCAP_CLASS_DIR);
	if (rc)
		return rc;
	rc = powercap_list_zones(ctx, cls, &zones, &nzones, note, sizeof(note));
	if (rc)
		return rc;
	for (i = 0; i < nzones && !rc; i++) {
		bool want = !npat;

		/* "zones": globs on the channel name ("package-?", "package-0/dram"). */
		for (k = 0; k < npat && !want; k++)
			want = rt_glob_match(pat[k], zones[i].name);
		/*
		 * Two zones named alike under one chip would get one id: keep the
		 * first in zone-id order (the sort's last key), drop the others.
		 */
		if (want && i && !strcmp(zones[i - 1].chip, zones[i].chip) &&
		    !strcmp(zones[i - 1].name, zones[i].name))
			want = false;
		if (want)
			rc = powercap_add_zone(ctx, &zones[i], period_ms);
		/*
		 * Degrades, never dies: a zone that cannot be read (energy_uj is
		 * root-only since CVE-2020-8694, a file missing) is left out and
		 * said; the other zones are read.  Out of memory or of table room
		 * stops the probe.
		 */
		if (rc && rc != -ENOMEM && rc != -E2BIG) {
			powercap_note(note, sizeof(note), ctx->err->msg);
			rc = 0;
		}
	}
	/* On failure the channels already added stay in ctx->chans; rt_chan_list_free() closes them. */
	free(zones);
	if (!rc)
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "%s", note); /* the probe's note */
	return rc;
}

/* The keys of its section that powercap_probe() reads (sensor_ops.keys). */
static const char *const powercap_keys[] = { "zones", "period_ms", NULL };

static const struct sensor_ops powercap_ops = {
	.name = "powercap",
	.source = SOV_SRC_POWERCAP,
	/* energy_uj is a counter: any period works; the RAPL MSRs update about every ms. */
	.min_period_ms = 1,
	.slow = false,
	.default_enabled = true,
	.keys = powercap_keys,
	.probe = powercap_probe,
	.read = powercap_read,
	.remove = powercap_remove,
};

SENSOR_REGISTER(powercap_ops);
