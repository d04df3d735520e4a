/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tree.c - creates the simulated server's fixture tree (hwmon, powercap,
 * MSR, cpuinfo) under a root directory and keeps its values up to date from
 * the model; reads back the fan controls the actuator writes (see tree.h).
 *
 * Torn reads.  A value file is rewritten as pwrite(fd, "<int>\n", len, 0)
 * then ftruncate(fd, len).  A reader racing the pair can see:
 *  - the new text followed by the tail of a longer old text ("99\n\n" after
 *    "100\n"): the new value is complete up to its '\n', so a reader that
 *    parses the first line (as sysfs readers do) gets the right number, and
 *    a strict one ("exactly -?[0-9]+\n") reports a parse error that the
 *    sampler treats as a transient invalid read;
 *  - a partly copied new text: pwrite of <= 21 bytes inside one page is a
 *    single copy into the page cache, so this is a theoretical window only.
 * Padding to a constant width would close both, but the kernel's files are
 * not padded and the backends must parse exactly what the kernel writes, so
 * the rare transient parse error is the accepted price.  Truncating first
 * would be worse: a reader would then see an empty file.
 *
 * Permissions: real energy_uj is 0400 and msr 0600 (root only); the tree
 * uses 0644 so that tests and the demo run without privileges.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"

/* AMD RAPL MSRs (docs/hardware.md §R1.1). */
#define MSR_AMD_RAPL_POWER_UNIT 0xC0010299u
#define MSR_AMD_PKG_ENERGY_STATUS 0xC001029Bu
#define AMD_RAPL_UNITS 0x000A1003u      /* PU 3, ESU 16 (bits 12:8), TU 10 */

/* Intel MSRs (docs/hardware.md §R2). */
#define MSR_SMI_COUNT 0x34u
#define MSR_IA32_THERM_STATUS 0x19Cu
#define MSR_IA32_TEMPERATURE_TARGET 0x1A2u
#define MSR_IA32_PACKAGE_THERM_STATUS 0x1B1u
#define MSR_RAPL_POWER_UNIT 0x606u
#define MSR_PKG_ENERGY_STATUS 0x611u
#define MSR_DRAM_ENERGY_STATUS 0x619u
#define MSR_PP0_ENERGY_STATUS 0x639u
#define INTEL_RAPL_UNITS 0x000A0E03u    /* PU 3, ESU 14, TU 10 */
#define THERM_STATUS_VALID (UINT64_C(1) << 31)
#define THERM_STATUS_RES_1C (UINT64_C(1) << 27)        /* resolution 1 °C, bits 30:27 */
#define THERM_READOUT_SHIFT 16          /* bits 22:16: degrees below TjMax */
#define THERM_READOUT_MASK 0x7Fu
#define THERM_STATUS_CRIT (UINT64_C(1) << 4)
#define ENERGY_MASK 0xFFFFFFFFu         /* energy counters: bits 31:0 only */

/* Where the devices sit (kernel-style paths under /sys/devices). */
#define DEV_K10TEMP "/sys/devices/pci0000:00/0000:00:%02x.3"   /* DF function 3, 0x18 + node */
#define DEV_CORETEMP "/sys/devices/platform/coretemp.%d"
#define DEV_SMBUS_AMD "/sys/devices/pci0000:00/0000:00:14.0"    /* FCH SMBus (piix4) */
#define DEV_SMBUS_INTEL "/sys/devices/pci0000:00/0000:00:1f.4"  /* PCH SMBus (i801) */
#define DEV_NCT "/sys/devices/platform/nct6775.656"
#define DEV_RAPL "/sys/devices/virtual/powercap/intel-rapl"
#define JC42_ADDR0 0x18                 /* JC-42.4 TSODs: 0x18..0x1f, 8 per bus */
#define VRM_BUS 4                       /* after the DIMM buses 0..3 */
#define VRM_ADDR0 0x20

#define FILE_MODE 0644
#define DIR_MODE 0755

enum { VRM_VIN, VRM_VOUT, VRM_IIN, VRM_IOUT, VRM_PIN, VRM_POUT, VRM_TEMP };
enum { RAPL_PKG, RAPL_CORE, RAPL_DRAM };

static int fail(struct sim_tree *t, int ret, const char *what, const char *path)
{
	snprintf(t->err, sizeof(t->err), "%s %s: %s", what, path, strerror(-ret));
	return ret;
}

/* "@root" followed by the formatted path into @buf.  Return: 0 or -ENAMETOOLONG. */
static int __attribute__((format(printf, 4, 5)))
tpath(const struct sim_tree *t, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, len, "%s", t->root);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - (size_t)n)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p @path.  Return: 0 or -errno. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, DIR_MODE) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int mkdir_parent(const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	return mkdir_p(buf);
}

/* Overwrite the file at @fd with @len bytes of @text, in place. */
static int put_text(int fd, const char *text, size_t len)
{
	ssize_t n = pwrite(fd, text, len, 0);

	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	/* After the write: a racing reader sees the new text first (see top). */
	if (ftruncate(fd, (off_t)len) < 0)
		return -errno;
	return 0;
}

static int open_value(const char *path)
{
	int fd;

	if (mkdir_parent(path) < 0)
		return -errno;
	/* No O_TRUNC: a file reused from a previous run keeps its inode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE);
	return fd < 0 ? -errno : fd;
}

/* @full: the file @fmt, @ap in directory @path of the tree.  Return: 0 or a fail()ed -errno. */
static int __attribute__((format(printf, 4, 0)))
vfile_path(struct sim_tree *t, char full[PATH_MAX], const char *path, const char *fmt, va_list ap)
{
	char rel[PATH_MAX];
	int ret = vsnprintf(rel, sizeof(rel), fmt, ap);

	if (ret < 0 || (size_t)ret >= sizeof(rel))
		return fail(t, -ENAMETOOLONG, "path", fmt);
	ret = tpath(t, full, PATH_MAX, "%s/%s", path, rel);
	return ret < 0 ? fail(t, ret, "path", rel) : 0;
}

/* Write a file that never changes (name, label, limit, cpuinfo). */
static int __attribute__((format(printf, 4, 5)))
put_static(struct sim_tree *t, const char *path, const char *text, const char *fmt, ...)
{
	char full[PATH_MAX];
	va_list ap;
	int fd, ret;

	va_start(ap, fmt);
	ret = vfile_path(t, full, path, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	fd = open_value(full);
	if (fd < 0)
		return fail(t, fd, "create", full);
	ret = put_text(fd, text, strlen(text));
	close(fd);
	return ret < 0 ? fail(t, ret, "write", full) : 0;
}

/* Open a value file held for the tree's lifetime. */
static int __attribute__((format(printf, 4, 5)))
open_vfile(struct sim_tree *t, struct sim_vfile *vf, const char *path, const char *fmt, ...)
{
	char full[PATH_MAX];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfile_path(t, full, path, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	vf->fd = open_value(full);
	vf->written = false;
	if (vf->fd < 0) {
		ret = vf->fd;
		vf->fd = -1;
		return fail(t, ret, "create", full);
	}
	return 0;
}

/* A file of a chip that never changes: "<pre><n><post>" holding @text. */
struct static_attr {
	const char *pre, *post, *text;
};

/* Write @n static attributes of channel @ch into @dir, in order; stop at the first error. */
static int put_statics(struct sim_tree *t, const char *dir, const struct static_attr *a, size_t n,
		       int ch)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = put_static(t, dir, a[i].text, "%s%d%s", a[i].pre, ch, a[i].post);
	return ret;
}

#define NATTRS(a) (sizeof(a) / sizeof((a)[0]))

/* Set a value file to "@v\n" (skipped when unchanged). */
static int vfile_set(struct sim_vfile *vf, long long v)
{
	char buf[32];
	int n, ret;

	if (vf->fd < 0)
		return 0;
	if (vf->written && vf->last == v)
		return 0;
	n = snprintf(buf, sizeof(buf), "%lld\n", v);
	ret = put_text(vf->fd, buf, (size_t)n);
	if (ret < 0)
		return ret;
	vf->written = true;
	vf->last = v;
	return 0;
}

/* A relative symlink @link -> @target; an existing one is replaced if it differs. */
static int make_symlink(struct sim_tree *t, const char *target, const char *link)
{
	char cur[PATH_MAX];
	ssize_t n;
	int ret;

	ret = mkdir_parent(link);
	if (ret < 0)
		return fail(t, ret, "mkdir", link);
	if (symlink(target, link) == 0)
		return 0;
	if (errno != EEXIST)
		return fail(t, -errno, "symlink", link);
	n = readlink(link, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (!strcmp(cur, target))
			return 0;
	}
	if (unlink(link) < 0 || symlink(target, link) < 0)
		return fail(t, -errno, "symlink", link);
	return 0;
}

/*
 * Register a hwmon device under @dev (an absolute /sys/devices/... path):
 * @dev/hwmon/hwmonN with `name` and a `device` link back to @dev, and
 * /sys/class/hwmon/hwmonN -> it, all relative links as the kernel makes
 * them.  @dir receives "@dev/hwmon/hwmonN" (without the root).
 */
static int hwmon_add(struct sim_tree *t, const char *dev, const char *name, char *dir,
		     size_t dirlen)
{
	char full[PATH_MAX], target[PATH_MAX], text[64];
	const char *base = strrchr(dev, '/') + 1;
	int n = t->nhwmon++, ret;

	if ((size_t)snprintf(dir, dirlen, "%s/hwmon/hwmon%d", dev, n) >= dirlen)
		return fail(t, -ENAMETOOLONG, "path", dev);
	ret = tpath(t, full, sizeof(full), "%s", dir);
	if (ret == 0)
		ret = mkdir_p(full);
	if (ret < 0)
		return fail(t, ret, "mkdir", dir);
	snprintf(text, sizeof(text), "%s\n", name);
	ret = put_static(t, dir, text, "name");
	if (ret < 0)
		return ret;
	/* hwmonN/device -> ../../../<dev basename>, as in the kernel. */
	snprintf(target, sizeof(target), "../../../%s", base);
	ret = tpath(t, full, sizeof(full), "%s/device", dir);
	if (ret < 0)
		return fail(t, ret, "path", dir);
	ret = make_symlink(t, target, full);
	if (ret < 0)
		return ret;
	/* /sys/class/hwmon/hwmonN -> ../../devices/.../hwmon/hwmonN */
	snprintf(target, sizeof(target), "../../%s", dir + strlen("/sys/"));
	ret = tpath(t, full, sizeof(full), "/sys/class/hwmon/hwmon%d", n);
	if (ret < 0)
		return fail(t, ret, "path", dir);
	return make_symlink(t, target, full);
}

/* Shape of the tree: a previous tree is reused in place only if it matches. */
static void shape_string(const struct sim_model *m, char *buf, size_t len)
{
	snprintf(buf, len, "sovereign-sim fixture tree\nvendor=%s sockets=%d dimms=%d fans=%d\n",
		 m->vendor == SIM_AMD ? "amd" : "intel", m->nsockets, m->ndimms, m->nfans);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	if (ftw->level == 0)
		return 0;       /* keep the root itself */
	if (type == FTW_DP ? rmdir(path) : unlink(path))
		return -1;
	return 0;
}

/*
 * Make @t->root usable: create it, or accept it empty, or take over a
 * previous sim tree (same shape: reuse; other shape: empty it first).
 */
static int prepare_root(struct sim_tree *t, const struct sim_model *m)
{
	char marker[PATH_MAX], shape[160], old[160];
	struct dirent *de;
	bool empty = true;
	DIR *d;
	int ret, fd;
	ssize_t n;

	ret = mkdir_p(t->root);
	if (ret < 0)
		return fail(t, ret, "mkdir", t->root);
	d = opendir(t->root);
	if (!d)
		return fail(t, -errno, "open", t->root);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	shape_string(m, shape, sizeof(shape));
	ret = tpath(t, marker, sizeof(marker), "/%s", SIM_MARKER);
	if (ret < 0)
		return fail(t, ret, "path", t->root);
	if (!empty) {
		fd = open(marker, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(t->err, sizeof(t->err),
				 "%s is not empty and not a sovereign-sim tree (no %s): refusing it",
				 t->root, SIM_MARKER);
			return -ENOTEMPTY;
		}
		n = read(fd, old, sizeof(old) - 1);
		close(fd);
		old[n > 0 ? n : 0] = '\0';
		if (!strcmp(old, shape))
			return 0;       /* same shape: update in place */
		/* Another shape: stale devices would mislead the sampler; start over. */
		if (nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			return fail(t, -errno, "empty", t->root);
	}
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, FILE_MODE);
	if (fd < 0)
		return fail(t, -errno, "create", marker);
	ret = put_text(fd, shape, strlen(shape));
	close(fd);
	return ret < 0 ? fail(t, ret, "write", marker) : 0;
}

static int create_cpu_temps(struct sim_tree *t, const struct sim_model *m)
{
	char dev[128], dir[PATH_MAX], text[64];
	int ret;

	for (int s = 0; s < m->nsockets; s++) {
		if (m->vendor == SIM_AMD) {
			/* k10temp on Zen: temp1 Tctl, temp3.. Tccd1..; labels, no limits. */
			snprintf(dev, sizeof(dev), DEV_K10TEMP, 0x18 + s);
			ret = hwmon_add(t, dev, "k10temp", dir, sizeof(dir));
			if (ret == 0)
				ret = put_static(t, dir, "Tctl\n", "temp1_label");
			if (ret == 0)
				ret = open_vfile(t, &t->tctl[s], dir, "temp1_input");
			for (int i = 0; ret == 0 && i < SIM_CCDS; i++) {
				snprintf(text, sizeof(text), "Tccd%d\n", i + 1);
				ret = put_static(t, dir, text, "temp%d_label", i + 3);
				if (ret == 0)
					ret = open_vfile(t, &t->ccd[s][i], dir, "temp%d_input", i + 3);
			}
		} else {
			/* coretemp: temp1 "Package id N", temp(core+2) "Core N"; crit = TjMax. */
			long long crit = llround(m->p.tjmax_c * 1000.0);

			snprintf(dev, sizeof(dev), DEV_CORETEMP, s);
			ret = hwmon_add(t, dev, "coretemp", dir, sizeof(dir));
			snprintf(text, sizeof(text), "Package id %d\n", s);
			if (ret == 0)
				ret = put_static(t, dir, text, "temp1_label");
			snprintf(text, sizeof(text), "%lld\n", crit);
			if (ret == 0)
				ret = put_static(t, dir, text, "temp1_crit");
			if (ret == 0)
				ret = open_vfile(t, &t->tctl[s], dir, "temp1_input");
			if (ret == 0)
				ret = open_vfile(t, &t->crit_alarm[s], dir, "temp1_crit_alarm");
			for (int i = 0; ret == 0 && i < SIM_CPUS_PER_SOCKET; i++) {
				snprintf(text, sizeof(text), "Core %d\n", i);
				ret = put_static(t, dir, text, "temp%d_label", i + 2);
				snprintf(text, sizeof(text), "%lld\n", crit);
				if (ret == 0)
					ret = put_static(t, dir, text, "temp%d_crit", i + 2);
				if (ret == 0)
					ret = open_vfile(t, &t->ccd[s][i], dir, "temp%d_input", i + 2);
			}
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int create_dimms(struct sim_tree *t, const struct sim_model *m)
{
	/* Typical TSOD limits programmed by firmware: 85 °C upper, 95 °C critical. */
	static const struct static_attr tsod_limits[] = {
		{ "temp", "_min", "0\n" }, { "temp", "_max", "85000\n" },
		{ "temp", "_crit", "95000\n" },
	};
	const char *smbus = m->vendor == SIM_AMD ? DEV_SMBUS_AMD : DEV_SMBUS_INTEL;
	char dev[160], dir[PATH_MAX];
	int ret = 0;

	for (int i = 0; ret == 0 && i < m->ndimms; i++) {
		int bus = i / 8, addr = JC42_ADDR0 + i % 8;

		snprintf(dev, sizeof(dev), "%s/i2c-%d/%d-%04x", smbus, bus, bus, addr);
		ret = hwmon_add(t, dev, "jc42", dir, sizeof(dir));
		/* An i2c client's own `name` attribute, as the kernel has it. */
		if (ret == 0)
			ret = put_static(t, dev, "jc42\n", "name");
		if (ret == 0)
			ret = put_statics(t, dir, tsod_limits, NATTRS(tsod_limits), 1);
		if (ret == 0)
			ret = open_vfile(t, &t->dimm[i], dir, "temp1_input");
	}
	return ret;
}

static int create_fans(struct sim_tree *t, const struct sim_model *m)
{
	/* Controls: the chip's power-on state; the actuator writes them. */
	static const struct static_attr controls[] = {
		{ "pwm", "", "128\n" }, { "pwm", "_enable", "2\n" }, { "pwm", "_mode", "1\n" },
		{ "fan", "_min", "300\n" },
	};
	char dir[PATH_MAX], full[PATH_MAX];
	int ret;

	ret = hwmon_add(t, DEV_NCT, "nct6779", dir, sizeof(dir));
	for (int i = 0; ret == 0 && i < m->nfans; i++) {
		ret = open_vfile(t, &t->fan[i], dir, "fan%d_input", i + 1);
		if (ret == 0)
			ret = put_statics(t, dir, controls, NATTRS(controls), i + 1);
	}
	for (int i = 0; ret == 0 && i < 4; i++)
		ret = open_vfile(t, &t->in[i], dir, "in%d_input", i);
	if (ret == 0)
		ret = put_static(t, dir, "SYSTIN\n", "temp1_label");
	if (ret == 0)
		ret = open_vfile(t, &t->systin, dir, "temp1_input");
	if (ret < 0)
		return ret;
	ret = tpath(t, full, sizeof(full), "%s", dir);
	if (ret < 0)
		return fail(t, ret, "path", dir);
	t->fan_dirfd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->fan_dirfd < 0)
		return fail(t, -errno, "open", full);
	return 0;
}

static int create_vrms(struct sim_tree *t, const struct sim_model *m)
{
	static const char *const labels[] = { "vin", "vout1", "iin", "iout1", "pin", "pout1" };
	static const char *const files[] = { "in1", "in2", "curr1", "curr2", "power1", "power2" };
	static const struct static_attr vrm_limits[] = {
		{ "temp", "_max", "100000\n" }, { "temp", "_crit", "125000\n" },
	};
	const char *smbus = m->vendor == SIM_AMD ? DEV_SMBUS_AMD : DEV_SMBUS_INTEL;
	char dev[160], dir[PATH_MAX], text[32];
	int ret = 0;

	for (int s = 0; ret == 0 && s < m->nsockets; s++) {
		snprintf(dev, sizeof(dev), "%s/i2c-%d/%d-%04x", smbus, VRM_BUS, VRM_BUS,
			 VRM_ADDR0 + s);
		ret = hwmon_add(t, dev, "mp2975", dir, sizeof(dir));
		if (ret == 0)
			ret = put_static(t, dev, "mp2975\n", "name");
		/* pmbus_core labels and units: in mV, curr mA, power µW, temp m°C. */
		for (int i = 0; ret == 0 && i < 6; i++) {
			snprintf(text, sizeof(text), "%s\n", labels[i]);
			ret = put_static(t, dir, text, "%s_label", files[i]);
			if (ret == 0)
				ret = open_vfile(t, &t->vrm[s][i], dir, "%s_input", files[i]);
		}
		if (ret == 0)
			ret = put_statics(t, dir, vrm_limits, NATTRS(vrm_limits), 1);
		if (ret == 0)
			ret = open_vfile(t, &t->vrm[s][VRM_TEMP], dir, "temp1_input");
	}
	return ret;
}

static int rapl_zone(struct sim_tree *t, struct sim_vfile *vf, const char *zone_dir,
		     const char *class_name, const char *name)
{
	char full[PATH_MAX], target[PATH_MAX], text[64];
	int ret;

	snprintf(text, sizeof(text), "%s\n", name);
	ret = put_static(t, zone_dir, text, "name");
	if (ret == 0)
		ret = put_static(t, zone_dir, "1\n", "enabled");
	snprintf(text, sizeof(text), "%" PRIu64 "\n", t->opts.wrap_uj);
	if (ret == 0)
		ret = put_static(t, zone_dir, text, "max_energy_range_uj");
	if (ret == 0)
		ret = open_vfile(t, vf, zone_dir, "energy_uj");
	if (ret < 0)
		return ret;
	snprintf(target, sizeof(target), "../../%s", zone_dir + strlen("/sys/"));
	ret = tpath(t, full, sizeof(full), "/sys/class/powercap/%s", class_name);
	if (ret < 0)
		return fail(t, ret, "path", class_name);
	return make_symlink(t, target, full);
}

static int create_powercap(struct sim_tree *t, const struct sim_model *m)
{
	char zone[160], sub[200], cname[64], name[32], full[PATH_MAX];
	int ret;

	/* The control type: /sys/class/powercap/intel-rapl (AMD registers it too). */
	ret = put_static(t, DEV_RAPL, "1\n", "enabled");
	if (ret == 0)
		ret = tpath(t, full, sizeof(full), "/sys/class/powercap/intel-rapl");
	if (ret == 0)
		ret = make_symlink(t, "../../devices/virtual/powercap/intel-rapl", full);
	for (int s = 0; ret == 0 && s < m->nsockets; s++) {
		snprintf(zone, sizeof(zone), DEV_RAPL "/intel-rapl:%d", s);
		snprintf(cname, sizeof(cname), "intel-rapl:%d", s);
		snprintf(name, sizeof(name), "package-%d", s);
		ret = rapl_zone(t, &t->rapl[s][RAPL_PKG], zone, cname, name);
		snprintf(sub, sizeof(sub), "%s/intel-rapl:%d:0", zone, s);
		snprintf(cname, sizeof(cname), "intel-rapl:%d:0", s);
		if (ret == 0)
			ret = rapl_zone(t, &t->rapl[s][RAPL_CORE], sub, cname, "core");
		if (ret == 0 && m->vendor == SIM_INTEL) {
			/* AMD has package and core domains only (docs/hardware.md §R0). */
			snprintf(sub, sizeof(sub), "%s/intel-rapl:%d:1", zone, s);
			snprintf(cname, sizeof(cname), "intel-rapl:%d:1", s);
			ret = rapl_zone(t, &t->rapl[s][RAPL_DRAM], sub, cname, "dram");
		}
	}
	return ret;
}

static int create_cpuinfo(struct sim_tree *t, const struct sim_model *m)
{
	size_t cap = 1024u * (size_t)t->ncpu, len = 0;
	char *buf = malloc(cap);
	int ret;

	if (!buf)
		return fail(t, -ENOMEM, "cpuinfo", "");
	for (int c = 0; c < t->ncpu; c++) {
		bool amd = m->vendor == SIM_AMD;

		/* A reduced topology: SIM_CPUS_PER_SOCKET cores, no SMT. */
		len += (size_t)snprintf(buf + len, cap - len,
			"processor\t: %d\n"
			"vendor_id\t: %s\n"
			"cpu family\t: %d\n"
			"model\t\t: %d\n"
			"model name\t: %s\n"
			"stepping\t: %d\n"
			"physical id\t: %d\n"
			"siblings\t: %d\n"
			"core id\t\t: %d\n"
			"cpu cores\t: %d\n"
			"flags\t\t: fpu tsc msr apic constant_tsc %s\n"
			"\n",
			c, amd ? "AuthenticAMD" : "GenuineIntel", amd ? 25 : 6, amd ? 17 : 143,
			amd ? "AMD EPYC 9554 64-Core Processor" : "Intel(R) Xeon(R) Platinum 8480+",
			amd ? 1 : 8, c / SIM_CPUS_PER_SOCKET, SIM_CPUS_PER_SOCKET,
			c % SIM_CPUS_PER_SOCKET, SIM_CPUS_PER_SOCKET,
			amd ? "rapl" : "dtherm pts");
	}
	ret = put_static(t, "/proc", buf, "cpuinfo");
	free(buf);
	return ret;
}

static int create_msr(struct sim_tree *t)
{
	char full[PATH_MAX];
	int ret;

	for (int c = 0; c < t->ncpu; c++) {
		ret = tpath(t, full, sizeof(full), "/dev/cpu/%d/msr", c);
		if (ret < 0)
			return fail(t, ret, "path", "msr");
		/* A sparse regular file: the u64 at offset R is MSR R. */
		t->msr_fd[c] = open_value(full);
		if (t->msr_fd[c] < 0) {
			ret = t->msr_fd[c];
			t->msr_fd[c] = -1;
			return fail(t, ret, "create", full);
		}
	}
	return 0;
}

static void tree_init_fds(struct sim_tree *t)
{
	struct sim_vfile *groups[] = { t->tctl, &t->ccd[0][0], t->crit_alarm, t->dimm, t->fan,
				       t->in, &t->systin, &t->vrm[0][0], &t->rapl[0][0] };
	size_t sizes[] = { SIM_MAX_SOCKETS, SIM_MAX_SOCKETS * SIM_CCDS, SIM_MAX_SOCKETS,
			   SIM_MAX_DIMMS, SIM_MAX_FANS, 4, 1, SIM_MAX_SOCKETS * 7,
			   SIM_MAX_SOCKETS * 3 };

	for (size_t g = 0; g < sizeof(sizes) / sizeof(sizes[0]); g++)
		for (size_t i = 0; i < sizes[g]; i++)
			groups[g][i].fd = -1;
	for (int c = 0; c < SIM_MAX_CPUS; c++)
		t->msr_fd[c] = -1;
	t->fan_dirfd = -1;
}

void sim_tree_close(struct sim_tree *t)
{
	struct sim_vfile *groups[] = { t->tctl, &t->ccd[0][0], t->crit_alarm, t->dimm, t->fan,
				       t->in, &t->systin, &t->vrm[0][0], &t->rapl[0][0] };
	size_t sizes[] = { SIM_MAX_SOCKETS, SIM_MAX_SOCKETS * SIM_CCDS, SIM_MAX_SOCKETS,
			   SIM_MAX_DIMMS, SIM_MAX_FANS, 4, 1, SIM_MAX_SOCKETS * 7,
			   SIM_MAX_SOCKETS * 3 };

	for (size_t g = 0; g < sizeof(sizes) / sizeof(sizes[0]); g++) {
		for (size_t i = 0; i < sizes[g]; i++) {
			if (groups[g][i].fd >= 0)
				close(groups[g][i].fd);
			groups[g][i].fd = -1;
		}
	}
	for (int c = 0; c < SIM_MAX_CPUS; c++) {
		if (t->msr_fd[c] >= 0)
			close(t->msr_fd[c]);
		t->msr_fd[c] = -1;
	}
	if (t->fan_dirfd >= 0)
		close(t->fan_dirfd);
	t->fan_dirfd = -1;
}

int sim_tree_create(struct sim_tree *t, const char *root, struct sim_model *m,
		    const struct sim_tree_opts *opts)
{
	size_t len = strlen(root);
	int ret;

	memset(t, 0, sizeof(*t));
	tree_init_fds(t);
	t->opts = *opts;
	t->ncpu = m->nsockets * SIM_CPUS_PER_SOCKET;
	while (len > 1 && root[len - 1] == '/')
		len--;          /* "dir/" -> "dir": paths are appended as "/sys/..." */
	if (len == 0 || len >= sizeof(t->root) - 256)
		return fail(t, -ENAMETOOLONG, "root", root);
	memcpy(t->root, root, len);
	t->root[len] = '\0';
	if (opts->wrap_uj == 0)
		return fail(t, -EINVAL, "wrap", "max_energy_range_uj must be > 0");

	ret = prepare_root(t, m);
	if (ret == 0)
		ret = create_cpu_temps(t, m);
	if (ret == 0)
		ret = create_dimms(t, m);
	if (ret == 0)
		ret = create_fans(t, m);
	if (ret == 0)
		ret = create_vrms(t, m);
	if (ret == 0)
		ret = create_powercap(t, m);
	if (ret == 0)
		ret = create_cpuinfo(t, m);
	if (ret == 0)
		ret = create_msr(t);
	if (ret < 0)
		goto err_close;
	ret = sim_tree_update(t, m);
	if (ret < 0) {
		fail(t, ret, "update", t->root);
		goto err_close;
	}
	return 0;

err_close:
	sim_tree_close(t);
	return ret;
}

/* Read the leading integer of a control file; Return: 0, -ENODATA if unparsable. */
static int read_control(int dirfd, const char *name, long *out)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	/* A writer may omit the '\n' ("echo -n 200"): accept any trailing space. */
	if (errno || end == buf || (*end && *end != '\n' && *end != ' '))
		return -ENODATA;
	*out = v;
	return 0;
}

int sim_tree_read_controls(struct sim_tree *t, struct sim_model *m)
{
	char name[32];
	int first = 0;

	for (int i = 0; i < m->nfans; i++) {
		struct sim_fan *f = &m->fan[i];
		long v;
		int ret;

		snprintf(name, sizeof(name), "pwm%d_enable", i + 1);
		ret = read_control(t->fan_dirfd, name, &v);
		if (ret == 0)
			f->enable = v < 0 ? 0 : v > 5 ? 5 : (int)v;
		else if (!first)
			first = ret;
		snprintf(name, sizeof(name), "pwm%d", i + 1);
		ret = read_control(t->fan_dirfd, name, &v);
		if (ret == 0)
			f->pwm = v < 0 ? 0 : v > SIM_PWM_MAX ? SIM_PWM_MAX : (int)v;
		else if (!first)
			first = ret;
	}
	return first;
}

/* Write pwmN with the chip's current duty (automatic and full-speed modes). */
static int write_pwm(struct sim_tree *t, int i, int pwm)
{
	char name[32], text[16];
	long cur;
	int fd, ret, n;

	/*
	 * The actuator may have switched to manual since the controls were
	 * read: look again right before writing, so its pwm is not overwritten
	 * (a window of a few syscalls remains; the actuator rewrites each period).
	 */
	snprintf(name, sizeof(name), "pwm%d_enable", i + 1);
	if (read_control(t->fan_dirfd, name, &cur) == 0 && cur == 1)
		return 0;
	snprintf(name, sizeof(name), "pwm%d", i + 1);
	if (read_control(t->fan_dirfd, name, &cur) == 0 && cur == pwm)
		return 0;
	fd = openat(t->fan_dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%d\n", pwm);
	ret = put_text(fd, text, (size_t)n);
	close(fd);
	return ret;
}

static void msr_put(int fd, uint32_t reg, uint64_t v, int *first)
{
	uint8_t b[8];
	ssize_t n;

	/* Little-endian u64 at offset reg, as /dev/cpu/N/msr returns it. */
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	n = pwrite(fd, b, sizeof(b), (off_t)reg);
	if (n != (ssize_t)sizeof(b) && !*first)
		*first = n < 0 ? -errno : -EIO;
}

static void keep_first(int *first, int ret)
{
	if (ret < 0 && !*first)
		*first = ret;
}

/* Temperature in m°C quantised to 1/@steps_per_c °C, with optional noise. */
static long long temp_mc(struct sim_tree *t, struct sim_model *m, double c, double steps_per_c)
{
	if (t->opts.noise)
		c += sim_noise(m, 0.25);
	return llround(llround(c * steps_per_c) * 1000.0 / steps_per_c);
}

static long long noisy(struct sim_tree *t, struct sim_model *m, double v, double rel)
{
	if (t->opts.noise)
		v += v * sim_noise(m, rel);
	return llround(v);
}

int sim_tree_update(struct sim_tree *t, struct sim_model *m)
{
	int first = 0;

	for (int s = 0; s < m->nsockets; s++) {
		const struct sim_socket *k = &m->sock[s];
		struct sim_vrm_out v = sim_vrm(m, s);
		const long long vals[7] = { v.vin_mv, v.vout_mv, v.iin_ma, v.iout_ma,
					    v.pin_uw, v.pout_uw, v.temp_mc };   /* VRM_* order */

		if (m->vendor == SIM_AMD) {
			/* k10temp: 0.125 °C steps (CUR_TEMP LSB). */
			keep_first(&first, vfile_set(&t->tctl[s], temp_mc(t, m, k->temp_c, 8)));
			for (int i = 0; i < SIM_CCDS; i++)
				keep_first(&first, vfile_set(&t->ccd[s][i],
						temp_mc(t, m, sim_ccd_temp(m, s, i), 8)));
		} else {
			/* coretemp: whole degrees (readout below TjMax). */
			long long pkg = temp_mc(t, m, k->temp_c, 1);

			keep_first(&first, vfile_set(&t->tctl[s], pkg));
			keep_first(&first, vfile_set(&t->crit_alarm[s],
						     pkg >= llround(m->p.tjmax_c * 1000.0)));
			for (int i = 0; i < SIM_CPUS_PER_SOCKET; i++)
				keep_first(&first, vfile_set(&t->ccd[s][i],
						temp_mc(t, m, sim_ccd_temp(m, s, i), 1)));
		}
		for (int i = 0; i < 7; i++)
			keep_first(&first, vfile_set(&t->vrm[s][i],
				i == VRM_TEMP ? temp_mc(t, m, k->vrm_temp_c, 2)
					      : noisy(t, m, (double)vals[i], 0.003)));
		keep_first(&first, vfile_set(&t->rapl[s][RAPL_PKG],
			(long long)(sim_units_to_uj(k->pkg_units, m->esu) % (t->opts.wrap_uj + 1))));
		keep_first(&first, vfile_set(&t->rapl[s][RAPL_CORE],
			(long long)(sim_units_to_uj(k->core_units, m->esu) % (t->opts.wrap_uj + 1))));
		keep_first(&first, vfile_set(&t->rapl[s][RAPL_DRAM],
			(long long)(sim_units_to_uj(k->dram_units, m->esu) % (t->opts.wrap_uj + 1))));
	}
	/* jc42: 0.0625 °C steps. */
	for (int i = 0; i < m->ndimms; i++)
		keep_first(&first, vfile_set(&t->dimm[i], temp_mc(t, m, m->dimm[i].temp_c, 16)));
	for (int i = 0; i < m->nfans; i++) {
		const struct sim_fan *f = &m->fan[i];

		keep_first(&first, vfile_set(&t->fan[i], noisy(t, m, f->rpm, 0.005)));
		if (f->enable != 1)
			keep_first(&first, write_pwm(t, i, f->pwm));
	}
	{
		/*
		 * nct6779 inputs, 8 mV LSB, at the pin as the driver shows them
		 * (unscaled): in0 CPUVCORE follows VRM 0's output, in1 is +12 V
		 * behind a 1:12 divider (~1008 mV), in2 AVCC and in3 3VCC 3.3 V.
		 */
		double pin[4] = { (double)sim_vrm(m, 0).vout_mv, 1008.0, 3344.0, 3328.0 };
		double systin = m->p.ambient_c + 3.0;

		for (int i = 0; i < 4; i++) {
			double mv = pin[i] + (t->opts.noise ? sim_noise(m, 8.0) : 0.0);

			keep_first(&first, vfile_set(&t->in[i], llround(mv / 8.0) * 8));
		}
		/* SYSTIN: board temperature, warmed by the servers' exhaust a little. */
		for (int s = 0; s < m->nsockets; s++)
			systin += m->sock[s].power_w * 0.01;
		keep_first(&first, vfile_set(&t->systin, temp_mc(t, m, systin, 1)));
	}
	for (int c = 0; c < t->ncpu; c++) {
		const struct sim_socket *k = &m->sock[c / SIM_CPUS_PER_SOCKET];
		int fd = t->msr_fd[c];

		if (fd < 0)
			continue;
		if (m->vendor == SIM_AMD) {
			/*
			 * 0xC0010299/A/B are one byte apart, so in a file their 8-byte
			 * values share bytes; no layout makes all three right.  Unit
			 * first, then package energy over it: the unit still reads
			 * PU = 3 and ESU = 16 (bits 12:8 are byte 0xC001029A, which
			 * the package value does not touch) and the package counter
			 * is exact; TU and the core counter (0xC001029A: bits 31:8
			 * are the package counter's 23:0) are artifacts.  The core
			 * energy lives in powercap intel-rapl:N:0, and
			 * --print-config tells the sampler to ignore the MSR one.
			 * No SMI-count MSR on AMD (docs/hardware.md §R3): nothing at 0x34.
			 */
			msr_put(fd, MSR_AMD_RAPL_POWER_UNIT, AMD_RAPL_UNITS, &first);
			msr_put(fd, MSR_AMD_PKG_ENERGY_STATUS, k->pkg_units & ENERGY_MASK, &first);
		} else {
			double tj = m->p.tjmax_c;
			long core_below = lround(tj - sim_ccd_temp(m, c / SIM_CPUS_PER_SOCKET,
								     c % SIM_CPUS_PER_SOCKET));
			long pkg_below = lround(tj - k->temp_c);
			uint64_t st;

			core_below = core_below < 0 ? 0 : core_below;
			pkg_below = pkg_below < 0 ? 0 : pkg_below;
			if (!t->opts.smi_external)
				msr_put(fd, MSR_SMI_COUNT, m->smi_count & 0xFFFFFFFFu, &first);
			st = THERM_STATUS_VALID | THERM_STATUS_RES_1C |
			     ((uint64_t)((unsigned long)core_below & THERM_READOUT_MASK)
			      << THERM_READOUT_SHIFT);
			if (core_below == 0)
				st |= THERM_STATUS_CRIT;
			/* 0x19C's bytes 6-7 are 0x1A2's bytes 0-1: zero in both. */
			msr_put(fd, MSR_IA32_THERM_STATUS, st, &first);
			msr_put(fd, MSR_IA32_TEMPERATURE_TARGET,
				(uint64_t)llround(tj) << 16, &first);
			msr_put(fd, MSR_IA32_PACKAGE_THERM_STATUS,
				(uint64_t)((unsigned long)pkg_below & THERM_READOUT_MASK)
					<< THERM_READOUT_SHIFT, &first);
			msr_put(fd, MSR_RAPL_POWER_UNIT, INTEL_RAPL_UNITS, &first);
			msr_put(fd, MSR_PKG_ENERGY_STATUS, k->pkg_units & ENERGY_MASK, &first);
			msr_put(fd, MSR_DRAM_ENERGY_STATUS, k->dram_units & ENERGY_MASK, &first);
			msr_put(fd, MSR_PP0_ENERGY_STATUS, k->core_units & ENERGY_MASK, &first);
		}
	}
	return first;
}

int sim_tree_put_smi(struct sim_tree *t, const struct sim_model *m, uint64_t count)
{
	int first = 0;

	if (m->vendor != SIM_INTEL)
		return 0;
	for (int c = 0; c < t->ncpu; c++)
		if (t->msr_fd[c] >= 0)
			msr_put(t->msr_fd[c], MSR_SMI_COUNT, count & 0xFFFFFFFFu, &first);
	return first;
}

int sim_tree_step(struct sim_tree *t, struct sim_model *m, double dt)
{
	int r1 = sim_tree_read_controls(t, m), r2;

	sim_model_step(m, dt);
	r2 = sim_tree_update(t, m);
	return r1 < 0 ? r1 : r2;
}

int sim_tree_print_config(FILE *f, const char *root, const struct sim_model *m, int period_ms)
{
	bool amd = m->vendor == SIM_AMD;

	fprintf(f,
		"# Sampler configuration for the simulated server at %s\n"
		"# (sovereign-sim --print-config; %s, %d socket(s), %d DIMM(s), %d fan(s)).\n"
		"[sampler]\n"
		"root = %s\n"
		"period_ms = %d\n"
		"cpu = 0\n"
		"\n"
		"# hwmon: %s, jc42 x%d, nct6779 (fan1..fan%d, pwm1..pwm%d), mp2975 x%d\n"
		"[hwmon]\n"
		"enable = yes\n"
		"\n"
		"# powercap: intel-rapl:N package-N, intel-rapl:N:0 core%s\n"
		"[powercap]\n"
		"enable = yes\n"
		"\n"
		"# msr: /dev/cpu/0/msr, %s\n"
		"[msr]\n"
		"enable = yes\n"
		"%s"
		"\n"
		"# SMIs come from MSR 0x34 in the tree (Intel; none on AMD), not from\n"
		"# this machine's PMU.\n"
		"[smi_perf]\n"
		"enable = no\n",
		root, amd ? "AMD EPYC" : "Intel Xeon", m->nsockets, m->ndimms, m->nfans,
		root, period_ms,
		amd ? "k10temp" : "coretemp", m->ndimms, m->nfans, m->nfans, m->nsockets,
		amd ? "" : ", intel-rapl:N:1 dram",
		amd ? "RAPL 0xC0010299/0xC001029A/0xC001029B (no SMI counter on AMD)"
		    : "SMI count 0x34, thermal 0x19C/0x1A2/0x1B1, RAPL 0x606/0x611/0x619/0x639",
		amd ? "\n# 0xC001029A overlaps 0xC001029B in a file (one byte apart): the\n"
		      "# fixture cannot hold it; powercap intel-rapl:N:0 has the core energy.\n"
		      "[sensor msr/*/core-*-energy]\n"
		      "ignore = yes\n"
		    : "");
	return ferror(f) ? -EIO : 0;
}
