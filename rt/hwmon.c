/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hwmon.c - sensor backend for the hwmon sysfs class (/sys/class/hwmon):
 * names every chip by its driver and stable device path at probe, holds one
 * descriptor per channel and reads it with pread at offset 0; in the loop
 * only for the drivers known to read locally and fast (hwmon_fast_drivers),
 * from the slow worker for every other chip.
 *
 * Every chip is read as the kernel ABI describes it
 * (Documentation/hwmon/sysfs-interface.rst): attributes in hwmonN, or in
 * hwmonN/device for the older drivers that keep them there (as libsensors'
 * lib/sysfs.c falls back to); a chip with no `name` is named from its
 * device; besides the values (*_input, pwmN) every *_alarm, *_fault,
 * *_beep, fanN_target/_min/_max/_div/_pulses, pwmN_enable/_mode,
 * humidityN_input and freqN_input is a channel of its own, and each chip
 * gets a CHIP_INFO channel.  A chip or channel left out is said in the
 * probe's notes, one line each.
 *
 * Config, section [hwmon] (all optional):
 *   chips     = globs      only these chips (driver name or "name/device")
 *   exclude   = globs      not these "chip/sensor" channels
 *   limits    = yes|no     read *_max/_crit/_min/_lcrit as limits; yes
 *   attributes = yes|no    alarms, faults, beeps and fan/pwm settings as
 *                          channels of their own; yes
 *   period_ms = N          own rate of every hwmon channel
 *   cpus      = 0,64       other CPUs whose coretemp channels are read anyway
 *                          (as [msr] cpus): every read interrupts that CPU, so
 *                          their channels carry "cpu=n" and the core warns
 *                          once per CPU.  Default none: a coretemp channel of
 *                          another CPU is not read, and the probe says so.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuinfo.h"
#include "registry.h"
#include "sensor.h"
#include "shm_writer.h"

/* Paths, relative to the probe root (Documentation/ABI/testing/sysfs-class-hwmon). */
#define HWMON_CLASS_DIR    "/sys/class/hwmon"
#define HWMON_DEVICES_DIR  "/sys/devices/"
#define HWMON_DIR_PREFIX   "hwmon"

/* Attribute values: "%ld\n" or, for 64-bit energy counters, "%llu\n" (drivers/hwmon/hwmon.c). */
#define HWMON_VALUE_LEN    32     /* bytes read per value; 20 digits + sign + '\n' fit */
#define HWMON_TEXT_LEN     64     /* bytes of a name or label file read at probe */
#define HWMON_INDEX_MAX    9999   /* largest channel number accepted in a file name */
#define HWMON_SIG_LEN      512    /* bytes of a chip's attribute signature */

/* pwmN is 0..255 for 0..100 % duty (docs/hardware.md §R8); published in per-mille. */
#define HWMON_PWM_MAX      255
#define HWMON_PERMILLE     1000

/* Config section [hwmon]. */
#define HWMON_PATTERNS_MAX 32     /* items of "chips" and of "exclude" */
#define HWMON_PERIOD_MAX   3600000

/*
 * Drivers whose read is local to the reading CPU and fast (no bus, no
 * device command, no firmware, no other CPU), checked against their
 * kernel sources; docs/hardware.md has the same list with the reasons.
 * A chip of any other driver (nct6775: whole-bank LPC refresh or ACPI WMI;
 * acpitz: AML _TMP; nvme: a SMART log admin command; drivetemp: an ATA SCT
 * command; amdgpu: an SMU firmware message; an unknown one) is read from
 * the slow worker, never from the loop, as I2C clients already are.
 */
static const struct hwmon_fast_driver {
	const char *name;
	const char *why;
} hwmon_fast_drivers[] = {
	/* drivers/hwmon/k10temp.c: Tctl/Tccd through amd_smn_read(), an index/data
	 * pair in the root complex's PCI config space; no IPI, no SMU message. */
	{ "k10temp",  "SMN through PCI config space" },
	/* drivers/hwmon/coretemp.c show_temp(): rdmsr_on_cpu(tdata->cpu, ...) of
	 * IA32_(PACKAGE_)THERM_STATUS, cached for HZ: local on the CPU it names,
	 * an IPI to any other, which hwmon_coretemp_cpu() keeps off by default. */
	{ "coretemp", "rdmsr on the channel's own CPU" },
};

#define HWMON_CORETEMP      "coretemp"
#define HWMON_CORETEMP_PKG  "Package id "   /* coretemp.c show_label() */
#define HWMON_CORETEMP_CORE "Core "

#define HWMON_INFO_NAME     "chip"          /* each chip's SOV_KIND_CHIP_INFO channel */

enum hwmon_type {
	HWMON_TEMP,
	HWMON_IN,
	HWMON_CURR,
	HWMON_POWER,
	HWMON_ENERGY,
	HWMON_FAN,
	HWMON_PWM,
	HWMON_HUMIDITY,
	HWMON_FREQ,
	HWMON_INTRUSION,  /* intrusionN_alarm/_beep only: no value of its own */
	HWMON_BEEP_ENABLE, /* the chip-wide beep_enable: no number */
	HWMON_NTYPES
};

/* Channel types in publishing order, with the kind and unit the ABI gives them. */
static const struct hwmon_type_info {
	const char *prefix;
	uint16_t kind;
	uint16_t unit;
	bool limits;     /* has _max/_crit/_min/_lcrit */
} hwmon_types[HWMON_NTYPES] = {
	[HWMON_TEMP]   = { "temp",   SOV_KIND_TEMP,     SOV_UNIT_MILLICELSIUS, true },
	[HWMON_IN]     = { "in",     SOV_KIND_VOLTAGE,  SOV_UNIT_MILLIVOLT,    true },
	[HWMON_CURR]   = { "curr",   SOV_KIND_CURRENT,  SOV_UNIT_MILLIAMPERE,  true },
	[HWMON_POWER]  = { "power",  SOV_KIND_POWER,    SOV_UNIT_MICROWATT,    true },
	[HWMON_ENERGY] = { "energy", SOV_KIND_ENERGY,   SOV_UNIT_MICROJOULE,   false },
	[HWMON_FAN]    = { "fan",    SOV_KIND_FAN_RPM,  SOV_UNIT_RPM,          true },
	[HWMON_PWM]    = { "pwm",    SOV_KIND_FAN_DUTY, SOV_UNIT_PERMILLE,     false },
	/* sysfs-class-hwmon: humidityN_input in milli-percent, freqN_input in Hz. */
	[HWMON_HUMIDITY] = { "humidity", SOV_KIND_HUMIDITY, SOV_UNIT_MILLIPERCENT, false },
	[HWMON_FREQ]   = { "freq",   SOV_KIND_FREQ,     SOV_UNIT_HERTZ,        false },
	[HWMON_INTRUSION] = { "intrusion", 0, 0, false },
	[HWMON_BEEP_ENABLE] = { "beep_enable", SOV_KIND_STATE, SOV_UNIT_NONE, false },
};

/*
 * What a file of a channel is besides its value (enum hwmon_sub): the
 * value itself, or one of the attributes published as a channel of its
 * own, named after the file ("temp1_crit_alarm", "pwm1_enable").
 */
enum hwmon_sub {
	HWMON_SUB_VALUE,     /* *_input, pwmN, powerN_average, beep_enable */
	HWMON_SUB_ALARM,     /* *_alarm, *_<limit>_alarm, *_fault: 0/1 */
	HWMON_SUB_BEEP,      /* *_beep: 0/1, a setting */
	HWMON_SUB_FAN_SET,   /* fanN_target, fanN_min, fanN_max: RPM */
	HWMON_SUB_STATE,     /* fanN_div, fanN_pulses, pwmN_enable, pwmN_mode */
	HWMON_SUB_INFO,      /* the chip's CHIP_INFO channel: no file */
};

/* Attribute suffixes published as channels, per type (-1: any type). */
static const struct hwmon_sub_info {
	int type;            /* enum hwmon_type, or -1 for every type */
	const char *suffix;
	uint8_t sub;         /* enum hwmon_sub */
} hwmon_subs[] = {
	{ HWMON_FAN, "_target",  HWMON_SUB_FAN_SET },
	{ HWMON_FAN, "_min",     HWMON_SUB_FAN_SET },
	{ HWMON_FAN, "_max",     HWMON_SUB_FAN_SET },
	{ HWMON_FAN, "_div",     HWMON_SUB_STATE },
	{ HWMON_FAN, "_pulses",  HWMON_SUB_STATE },
	{ HWMON_PWM, "_enable",  HWMON_SUB_STATE },
	{ HWMON_PWM, "_mode",    HWMON_SUB_STATE },
	{ -1,        "_beep",    HWMON_SUB_BEEP },
	{ -1,        "_fault",   HWMON_SUB_ALARM },
	/* any other "_..._alarm" ("_alarm", "_crit_alarm", "_emergency_alarm",
	 * "_cap_alarm", ...) is an alarm: hwmon_parse_attr() */
};

/* Limit attributes and where they go in struct sov_sensor. */
static const struct hwmon_limit_info {
	const char *suffix;
	uint16_t flag;
	size_t off;
} hwmon_limits[] = {
	{ "_max",   SOV_SEN_WARN_HI, offsetof(struct sov_sensor, warn_hi) },
	{ "_crit",  SOV_SEN_CRIT_HI, offsetof(struct sov_sensor, crit_hi) },
	{ "_min",   SOV_SEN_WARN_LO, offsetof(struct sov_sensor, warn_lo) },
	{ "_lcrit", SOV_SEN_CRIT_LO, offsetof(struct sov_sensor, crit_lo) },
};

/* struct hwmon_chan - one channel's state (rt_chan.priv). */
struct hwmon_chan {
	int fd;             /* the value file, opened at probe; -1 CHIP_INFO */
	uint8_t type;       /* enum hwmon_type */
	uint8_t sub;        /* enum hwmon_sub */
	bool primed;        /* energy: @prev holds a reading */
	int64_t prev;       /* energy: last raw counter, µJ */
	int64_t acc;        /* energy: published accumulator, µJ */
};

/* struct hwmon_chip - one hwmon device found at probe. */
struct hwmon_chip {
	char dir[PATH_MAX];          /* <root>/sys/class/hwmon/hwmonN */
	char adir[PATH_MAX];         /* where its attributes are: @dir, or @dir/device
				      * for an old driver (no name in @dir) */
	char devpath[PATH_MAX];      /* below /sys/devices/: the device, or for a
				      * chip with no device link the parent of
				      * hwmonN's own directory; "" unknown */
	char ident[PATH_MAX + 16];   /* stable identity: "name@devpath", "#k" for the
				      * k-th chip of one name on one device */
	char sig[HWMON_SIG_LEN];     /* attribute files and labels, sorted: tells
				      * siblings on one device apart */
	char name[SOV_NAME_LEN];     /* the `name` attribute, or from the device */
	char chip[SOV_NAME_LEN];     /* published: "name/device" */
	char labels[SOV_LABELS_LEN]; /* published extra labels */
	bool on_i2c;                 /* behind an I2C adapter: reads may block */
	bool fast;                   /* in hwmon_fast_drivers and not on I2C: the loop reads it */
	int pkg;                     /* coretemp: the package of coretemp.N; -1 unknown */
	unsigned long nr;            /* N of hwmonN: unstable, last tie-break only */
};

/* struct hwmon_attr - one value file of a chip. */
struct hwmon_attr {
	uint8_t type;
	uint8_t sub;                 /* enum hwmon_sub */
	bool average;                /* powerN_average (no powerN_input) */
	unsigned idx;
	char file[SOV_NAME_LEN];     /* the file name ("temp1_crit_alarm") */
};

struct hwmon_conf {
	char chips[HWMON_PATTERNS_MAX][64];
	int nchips;
	char exclude[HWMON_PATTERNS_MAX][64];
	int nexclude;
	bool limits;
	bool attributes;             /* alarms, beeps, settings as channels */
	long long period_ms;
	int cpus[CPUINFO_CPUS_MAX];  /* "cpus": other CPUs coretemp may interrupt */
	int ncpus;
};

/* ---- conversion helpers (pure) ---- */

/*
 * hwmon_text_to_milli() - parse a sysfs value: an optional '-', decimal
 * digits, an optional '\n', nothing else.  The attribute is already in
 * milli-units (or RPM, µW, µJ).  Return: 0, or -EIO for anything else
 * (also for an empty file: a value that is not a number is never 0).
 */
static int hwmon_text_to_milli(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s != '-' && !isdigit((unsigned char)*s))
		return -EIO;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || (*end && strcmp(end, "\n")))
		return -EIO;
	*out = v;
	return 0;
}

/* hwmon_pwm_to_permille() - pwmN 0..255 to 0..1000, rounded; -EIO out of range. */
static int hwmon_pwm_to_permille(int64_t pwm, int64_t *out)
{
	if (pwm < 0 || pwm > HWMON_PWM_MAX)
		return -EIO;
	*out = (pwm * HWMON_PERMILLE + HWMON_PWM_MAX / 2) / HWMON_PWM_MAX;
	return 0;
}

/*
 * hwmon_energy_acc_uj() - fold a raw energyN_input reading into the
 * channel's accumulator.  The ABI counter is a 64-bit µJ total that only
 * grows; it can go backwards only when the driver or device restarts (e.g.
 * a PMBus device reset), and then it counts again from 0, so the new value
 * is the energy since the restart and is added whole.  The accumulator
 * starts at the first raw value, so normally it equals the counter.
 */
static int64_t hwmon_energy_acc_uj(struct hwmon_chan *hc, int64_t raw)
{
	if (!hc->primed)
		hc->acc = raw;
	else
		hc->acc += raw >= hc->prev ? raw - hc->prev : raw;
	hc->prev = raw;
	hc->primed = true;
	return hc->acc;
}

/* ---- read path ---- */

static int hwmon_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	struct hwmon_chan *hc = ch->priv;
	char buf[HWMON_VALUE_LEN];
	int64_t raw;
	ssize_t n;
	int rc;

	(void)now_ns;
	if (hc->sub == HWMON_SUB_INFO) {
		*value = 1; /* describes its chip; no file, no system call */
		return 0;
	}
	/*
	 * One plain pread at offset 0: sysfs regenerates the text on every
	 * read from offset 0.  Errors pass up unchanged: disabled sensors give
	 * ENODATA (sysfs-class-hwmon), some broken drivers EAGAIN
	 * (node_exporter sysReadFile), a removed device ENODEV.
	 */
	n = pread(hc->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	rc = hwmon_text_to_milli(buf, &raw);
	if (rc)
		return rc;
	switch (hc->sub) {
	case HWMON_SUB_VALUE:
		break;
	case HWMON_SUB_ALARM:
		/* 0 or 1 by the ABI; any other non-negative number is raised too. */
		if (raw < 0)
			return -EIO;
		*value = raw != 0;
		return 0;
	default:
		/* settings: the chip's own integer (RPM, a divisor, a mode code) */
		*value = raw;
		return 0;
	}
	switch (hc->type) {
	case HWMON_PWM:
		return hwmon_pwm_to_permille(raw, value);
	case HWMON_ENERGY:
		if (raw < 0)
			return -EIO;
		*value = hwmon_energy_acc_uj(hc, raw);
		return 0;
	default:
		/* fanN_input 0 is a stalled fan, a valid reading. */
		*value = raw;
		return 0;
	}
}

static void hwmon_remove(struct rt_chan *ch)
{
	struct hwmon_chan *hc = ch->priv;

	if (!hc)
		return;
	if (hc->fd >= 0)
		close(hc->fd);
	free(hc);
	ch->priv = NULL;
}

/* ---- probe helpers ---- */

/* Read a small text file, trimmed of surrounding white space.  Return: 0 or -errno. */
static int hwmon_read_text(const char *path, char *buf, size_t len)
{
	char *s, *e;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len - 1, 0);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	memmove(buf, s, (size_t)(e - s) + 1);
	return 0;
}

/* Read a limit attribute at probe.  Return: 0 or -errno / -EIO. */
static int hwmon_read_value(const char *path, int64_t *out)
{
	char buf[HWMON_VALUE_LEN];
	int rc = hwmon_read_text(path, buf, sizeof(buf));

	return rc ? rc : hwmon_text_to_milli(buf, out);
}

/* Glob patterns are '*' and '?' only: reject other syntax instead of matching it literally. */
static int hwmon_check_patterns(const struct rt_conf_section *s, const char *key,
				char (*pat)[64], int n, bool need_slash, struct rt_err *err)
{
	int i;

	for (i = 0; i < n; i++) {
		const char *p;

		for (p = pat[i]; *p; p++)
			if (!isgraph((unsigned char)*p) || strchr("[]{}\\", *p))
				return rt_conf_errorf(err, s, key,
						      "'%s': only '*' and '?' are glob characters", pat[i]);
		if (need_slash && !strchr(pat[i], '/'))
			return rt_conf_errorf(err, s, key, "'%s' is not CHIP/SENSOR", pat[i]);
	}
	return 0;
}

static int hwmon_parse_conf(const struct rt_conf_section *s, struct hwmon_conf *c,
			    struct rt_err *err)
{
	int rc;

	rc = rt_conf_list(s, "chips", c->chips, HWMON_PATTERNS_MAX, err);
	if (rc < 0)
		return rc;
	c->nchips = rc;
	rc = hwmon_check_patterns(s, "chips", c->chips, c->nchips, false, err);
	if (rc)
		return rc;
	rc = rt_conf_list(s, "exclude", c->exclude, HWMON_PATTERNS_MAX, err);
	if (rc < 0)
		return rc;
	c->nexclude = rc;
	rc = hwmon_check_patterns(s, "exclude", c->exclude, c->nexclude, true, err);
	if (rc)
		return rc;
	rc = rt_conf_bool(s, "limits", true, &c->limits, err);
	if (rc)
		return rc;
	rc = rt_conf_bool(s, "attributes", true, &c->attributes, err);
	if (rc)
		return rc;
	rc = cpuinfo_conf_cpus(s, c->cpus, CPUINFO_CPUS_MAX, err);
	if (rc < 0)
		return rc;
	c->ncpus = rc;
	return rt_conf_int(s, "period_ms", 0, HWMON_PERIOD_MAX, 0, &c->period_ms, err);
}

/*
 * hwmon_note() - add the line "hwmon: @fmt" to the probe's notes (its
 * list's, whole, rt_probe_note(); and, as far as it fits, ctx->err on a
 * return of 0).  The sampler makes each line a note of its own: said at
 * start, a comment of --discover, a DEGRADED event.
 */
static void hwmon_note(struct rt_probe_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void hwmon_note(struct rt_probe_ctx *ctx, const char *fmt, ...)
{
	char line[RT_ERR_LEN * 2], *m = ctx->err->msg;
	size_t used = strlen(m);
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "hwmon: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	rt_probe_note(ctx, line); /* -ENOMEM: a lost note, not a lost sensor */
	if (used + 3 < sizeof(ctx->err->msg))
		snprintf(m + used, sizeof(ctx->err->msg) - used, "%s%s", used ? "\n" : "", line);
}

/* Is @name a driver that reads locally and fast (hwmon_fast_drivers)? */
static bool hwmon_driver_fast(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(hwmon_fast_drivers) / sizeof(hwmon_fast_drivers[0]); i++)
		if (!strcmp(hwmon_fast_drivers[i].name, name))
			return true;
	return false;
}

/*
 * hwmon_coretemp_cpu() - the CPU a coretemp channel labelled @label reads
 * on (rdmsr_on_cpu, drivers/hwmon/coretemp.c): "Core N" is core id N of
 * the chip's package, read on that core's first CPU; "Package id P" on
 * the package's first CPU.  coretemp.N is package N ("physical id" N: one
 * die per package).  Return: the CPU, or -errno with @err set (-ENODEV
 * no cpuinfo, -ENOENT no such core, -EINVAL a label of neither form).
 */
static int hwmon_coretemp_cpu(const char *root, const struct hwmon_chip *chip, const char *label,
			      struct rt_err *err)
{
	const char *num;
	char *end;
	long core;

	if (chip->pkg < 0)
		return snprintf(err->msg, sizeof(err->msg), "package unknown"), -EINVAL;
	if (!strncmp(label, HWMON_CORETEMP_PKG, strlen(HWMON_CORETEMP_PKG)))
		return cpuinfo_first_cpu(root, chip->pkg, -1, err);
	if (strncmp(label, HWMON_CORETEMP_CORE, strlen(HWMON_CORETEMP_CORE)))
		return snprintf(err->msg, sizeof(err->msg), "label '%s'", label), -EINVAL;
	num = label + strlen(HWMON_CORETEMP_CORE);
	errno = 0;
	core = strtol(num, &end, 10);
	if (errno || end == num || *end || core < 0 || core > CPUINFO_CPU_MAX)
		return snprintf(err->msg, sizeof(err->msg), "label '%s'", label), -EINVAL;
	return cpuinfo_first_cpu(root, chip->pkg, (int)core, err);
}

/* May a channel reading on @cpu be read: the housekeeping CPU's, or listed in "cpus"? */
static bool hwmon_cpu_allowed(const struct rt_probe_ctx *ctx, const struct hwmon_conf *c, int cpu)
{
	int i;

	if (cpu == ctx->cpu)
		return true;
	for (i = 0; i < c->ncpus; i++)
		if (c->cpus[i] == cpu)
			return true;
	return false;
}

/* "chips": a pattern matches the driver name or the whole chip string. */
static bool hwmon_chip_wanted(const struct hwmon_conf *c, const struct hwmon_chip *chip)
{
	int i;

	if (!c->nchips)
		return true;
	for (i = 0; i < c->nchips; i++)
		if (rt_glob_match(c->chips[i], chip->name) || rt_glob_match(c->chips[i], chip->chip))
			return true;
	return false;
}

/* "exclude": a pattern matches "name/sensor" or "chip-string/sensor". */
static bool hwmon_sensor_excluded(const struct hwmon_conf *c, const struct hwmon_chip *chip,
				  const char *sensor)
{
	char a[SOV_NAME_LEN * 2 + 2], b[SOV_NAME_LEN * 2 + 2];
	int i;

	snprintf(a, sizeof(a), "%s/%s", chip->name, sensor);
	snprintf(b, sizeof(b), "%s/%s", chip->chip, sensor);
	for (i = 0; i < c->nexclude; i++)
		if (rt_glob_match(c->exclude[i], a) || rt_glob_match(c->exclude[i], b))
			return true;
	return false;
}

/* Is the path component @last "hwmon<digits>"? */
static bool hwmon_is_hwmon_dir(const char *last)
{
	size_t pl = strlen(HWMON_DIR_PREFIX);

	return !strncmp(last, HWMON_DIR_PREFIX, pl) && last[pl] &&
	       strspn(last + pl, "0123456789") == strlen(last + pl);
}

/* @res (a resolved path) relative to <rroot>/sys/devices/ into @out; "" elsewhere. */
static void hwmon_below_devices(const char *res, const char *rroot, char *out, size_t len)
{
	size_t rl = strlen(rroot);
	const char *dev = res;

	if (!strncmp(dev, rroot, rl) && (dev[rl] == '/' || !dev[rl]))
		dev += rl;
	if (strncmp(dev, HWMON_DEVICES_DIR, strlen(HWMON_DEVICES_DIR))) {
		out[0] = '\0';
		return;
	}
	snprintf(out, len, "%s", dev + strlen(HWMON_DEVICES_DIR));
}

/*
 * Name the chip's device.  The device link is resolved and made relative to
 * /sys/devices/ ("pci0000:00/0000:00:18.3"); its last component is the
 * short stable name ("0000:00:18.3", "coretemp.0", i2c "3-0018").  hwmonN
 * is never used: it is registration order and changes between boots
 * (node_exporter hwmonName()).  No device link: a virtual chip, named by
 * its driver alone; its identity is where hwmonN itself lives below
 * /sys/devices (virtual/thermal/thermal_zone0/hwmon/hwmonN: the zone),
 * or nothing.  The full device path, not the chip string, is the chip's
 * identity (chip->ident, set by hwmon_rank_siblings()).
 */
static int hwmon_identify(struct hwmon_chip *chip, const char *rroot)
{
	char link[PATH_MAX], res[PATH_MAX];
	const char *last, *dash;

	chip->devpath[0] = '\0';
	chip->labels[0] = '\0';
	chip->pkg = -1;
	chip->fast = hwmon_driver_fast(chip->name);
	if (snprintf(link, sizeof(link), "%s/device", chip->dir) >= (int)sizeof(link))
		return -ENAMETOOLONG;
	if (!realpath(link, res)) {
		char *slash;

		if (errno != ENOENT)
			return -errno;
		snprintf(chip->chip, sizeof(chip->chip), "%s", chip->name);
		/* .../<parent>/hwmon/hwmonN or .../<parent>/hwmonN: the parent. */
		if (realpath(chip->dir, res)) {
			hwmon_below_devices(res, rroot, chip->devpath, sizeof(chip->devpath));
			slash = strrchr(chip->devpath, '/');
			if (slash && hwmon_is_hwmon_dir(slash + 1)) {
				*slash = '\0';
				slash = strrchr(chip->devpath, '/');
				if (slash && !strcmp(slash + 1, "hwmon"))
					*slash = '\0';
			} else {
				chip->devpath[0] = '\0';
			}
			/* sys/devices/virtual/hwmon/hwmonN: a parent that says nothing. */
			if (!strcmp(chip->devpath, "virtual"))
				chip->devpath[0] = '\0';
		}
		return 0;
	}
	hwmon_below_devices(res, rroot, chip->devpath, sizeof(chip->devpath));
	if (!chip->devpath[0]) /* a link out of /sys/devices: keep what there is */
		snprintf(chip->devpath, sizeof(chip->devpath), "%s", res);
	last = strrchr(chip->devpath, '/');
	last = last ? last + 1 : chip->devpath;
	snprintf(chip->chip, sizeof(chip->chip), "%s/%s", chip->name, last);
	/* A client of an I2C adapter (.../i2c-N/N-00AA): an expired driver cache
	 * makes pread do an SMBus transfer (~0.5 ms a word at 100 kHz). */
	chip->on_i2c = strstr(chip->devpath, "i2c-") != NULL;
	chip->fast = chip->fast && !chip->on_i2c;
	/* coretemp.N: platform device N is package (logical die) N (coretemp_device_add()). */
	if (!strcmp(chip->name, HWMON_CORETEMP) && !strncmp(last, "coretemp.", 9) &&
	    last[9] && strspn(last + 9, "0123456789") == strlen(last + 9))
		chip->pkg = (int)strtol(last + 9, NULL, 10);
	/*
	 * I2C clients are "<bus>-<4 hex digit address>" (i2c-core-base.c
	 * i2c_dev_set_name()): publish bus and address, which locate the
	 * part on the board (jc42 DIMM sensors sit at 0x18-0x1f,
	 * docs/hardware.md §R5.1).
	 */
	dash = strchr(last, '-');
	if (dash && dash > last && strspn(last, "0123456789") == (size_t)(dash - last) &&
	    strlen(dash + 1) == 4 && strspn(dash + 1, "0123456789abcdef") == 4)
		snprintf(chip->labels, sizeof(chip->labels), "bus=%lu,addr=0x%02lx",
			 strtoul(last, NULL, 10), strtoul(dash + 1, NULL, 16));
	return 0;
}

/* Siblings: same name, same device; apart by their attributes, last by hwmonN. */
static int hwmon_sibling_cmp(const void *a, const void *b)
{
	const struct hwmon_chip *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (!c)
		c = strcmp(x->devpath, y->devpath);
	if (!c)
		c = strcmp(x->sig, y->sig);
	if (!c)
		c = (x->nr > y->nr) - (x->nr < y->nr);
	return c;
}

/* Table order: chip string, then identity (stable across boots). */
static int hwmon_chip_cmp(const void *a, const void *b)
{
	const struct hwmon_chip *x = a, *y = b;
	int c = strcmp(x->chip, y->chip);

	if (!c)
		c = strcmp(x->ident, y->ident);
	return c;
}

/*
 * Two chips with the same chip string (same driver and same last device
 * path component, or two virtual chips of one driver): in the sorted order
 * of their identities (full device path, stable across boots) the first
 * keeps the string and the k-th gets "#k" appended.
 */
static void hwmon_disambiguate(struct hwmon_chip *chips, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j) {
		unsigned k = 1;

		for (j = i + 1; j < n && !strcmp(chips[j].chip, chips[i].chip); j++) {
			char tmp[SOV_NAME_LEN];
			size_t room;

			k++;
			snprintf(tmp, sizeof(tmp), "#%u", k);
			room = sizeof(chips[j].chip) - strlen(tmp) - 1;
			if (strlen(chips[j].chip) > room)
				chips[j].chip[room] = '\0';
			strcat(chips[j].chip, tmp);
		}
	}
}

/* The enum hwmon_sub of attribute suffix @end of type @t, or -1: not published. */
static int hwmon_sub_of(unsigned t, const char *end)
{
	size_t i, el = strlen(end);

	for (i = 0; i < sizeof(hwmon_subs) / sizeof(hwmon_subs[0]); i++)
		if ((hwmon_subs[i].type < 0 || hwmon_subs[i].type == (int)t) &&
		    !strcmp(end, hwmon_subs[i].suffix))
			return hwmon_subs[i].sub;
	/* "_alarm", "_min_alarm", "_crit_alarm", "_emergency_alarm", "_cap_alarm"... */
	if (el >= 6 && !strcmp(end + el - 6, "_alarm") &&
	    strspn(end, "_abcdefghijklmnopqrstuvwxyz") == el)
		return HWMON_SUB_ALARM;
	return -1;
}

/*
 * Parse a file name of a chip: "<prefix>N_input" (pwmN, powerN_average),
 * "beep_enable", or with @attributes one of the attributes published on
 * their own ("temp1_crit_alarm", "fan2_target", "pwm1_enable").
 * Return: true if it is one, @a filled.
 */
static bool hwmon_parse_attr(const char *fname, bool attributes, struct hwmon_attr *a)
{
	unsigned t;

	memset(a, 0, sizeof(*a));
	if (strlen(fname) >= sizeof(a->file))
		return false;
	snprintf(a->file, sizeof(a->file), "%s", fname);
	if (!strcmp(fname, hwmon_types[HWMON_BEEP_ENABLE].prefix)) {
		a->type = HWMON_BEEP_ENABLE;
		return attributes;
	}
	for (t = 0; t < HWMON_BEEP_ENABLE; t++) {
		const char *p = hwmon_types[t].prefix;
		size_t pl = strlen(p);
		unsigned long idx;
		char *end;
		int sub;

		if (strncmp(fname, p, pl) || !isdigit((unsigned char)fname[pl]))
			continue;
		errno = 0;
		idx = strtoul(fname + pl, &end, 10);
		if (errno || idx > HWMON_INDEX_MAX)
			continue;
		a->type = (uint8_t)t;
		a->idx = (unsigned)idx;
		if (t == HWMON_PWM && !*end)
			return true; /* pwmN itself is the value */
		if (t != HWMON_PWM && t != HWMON_INTRUSION && !strcmp(end, "_input"))
			return true;
		if (t == HWMON_POWER && !strcmp(end, "_average")) {
			a->average = true;
			return true;
		}
		if (!attributes || (sub = hwmon_sub_of(t, end)) < 0)
			return false;
		a->sub = (uint8_t)sub;
		return true;
	}
	return false;
}

/* Type order, then number, the value first; powerN_input before powerN_average. */
static int hwmon_attr_cmp(const void *a, const void *b)
{
	const struct hwmon_attr *x = a, *y = b;

	if (x->type != y->type)
		return x->type - y->type;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	if ((x->sub == HWMON_SUB_VALUE) != (y->sub == HWMON_SUB_VALUE))
		return x->sub == HWMON_SUB_VALUE ? -1 : 1;
	if (x->average != y->average)
		return x->average - y->average;
	return strcmp(x->file, y->file);
}

/*
 * Collect the files of @chip (in chip->adir) that are channels, sorted.
 * Return: 0 or -errno; *@out is the caller's (free()).
 */
static int hwmon_list_attrs(const struct hwmon_chip *chip, bool attributes,
			    struct hwmon_attr **out, size_t *n)
{
	struct hwmon_attr *v = NULL;
	size_t cnt = 0, cap = 0, i, w;
	struct dirent *de;
	DIR *d;

	d = opendir(chip->adir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct hwmon_attr a;

		if (!hwmon_parse_attr(de->d_name, attributes, &a))
			continue;
		if (cnt == cap) {
			struct hwmon_attr *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = a;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), hwmon_attr_cmp);
	/* powerN_average only where there is no powerN_input. */
	for (i = 0, w = 0; i < cnt; i++)
		if (!w || v[i].sub != HWMON_SUB_VALUE || v[w - 1].sub != HWMON_SUB_VALUE ||
		    v[w - 1].type != v[i].type || v[w - 1].idx != v[i].idx)
			v[w++] = v[i];
	*out = v;
	*n = w;
	return 0;
}

/*
 * hwmon_signature() - what tells two chips of one driver on one device
 * apart without their hwmonN: the sorted names of their channel files and
 * the text of their labels ("temp1_input temp1_label=CPU ...").
 * Return: 0 or -ENOMEM (@chip->sig is then empty).
 */
static int hwmon_signature(struct hwmon_chip *chip)
{
	struct hwmon_attr *v = NULL;
	char path[PATH_MAX], text[HWMON_TEXT_LEN];
	size_t n = 0, i, used = 0;
	int rc;

	chip->sig[0] = '\0';
	rc = hwmon_list_attrs(chip, true, &v, &n);
	if (rc)
		return rc == -ENOMEM ? rc : 0;
	for (i = 0; i < n && used < sizeof(chip->sig); i++) {
		used += (size_t)snprintf(chip->sig + used, sizeof(chip->sig) - used, "%s ",
					 v[i].file);
		if (v[i].sub != HWMON_SUB_VALUE || used >= sizeof(chip->sig) ||
		    snprintf(path, sizeof(path), "%s/%s%u_label", chip->adir,
			     hwmon_types[v[i].type].prefix, v[i].idx) >= (int)sizeof(path) ||
		    hwmon_read_text(path, text, sizeof(text)))
			continue;
		used += (size_t)snprintf(chip->sig + used, sizeof(chip->sig) - used, "=%s ", text);
	}
	free(v);
	return 0;
}

/*
 * hwmon_rank_siblings() - set every chip's identity, "name@devpath", with
 * "#k" for the k-th of several chips of one name on one device (a driver
 * that registers more than one hwmon device on its device).  Siblings are
 * ordered by what they hold (hwmon_signature()), which does not depend on
 * the kernel's numbering; only siblings that hold exactly the same files
 * and labels fall back to their order of registration (hwmonN order
 * among themselves: one driver's probe registers them in sequence), and
 * that is said in a note.  Sorts @chips by sibling order.
 * Return: 0 or -ENOMEM.
 */
static int hwmon_rank_siblings(struct rt_probe_ctx *ctx, struct hwmon_chip *chips, size_t n)
{
	size_t i, j, k;
	int rc;

	/* Signatures only where a name and a device are shared (they cost reads). */
	qsort(chips, n, sizeof(*chips), hwmon_sibling_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(chips[j].name, chips[i].name) &&
				!strcmp(chips[j].devpath, chips[i].devpath); j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++)
			if ((rc = hwmon_signature(&chips[k])))
				return rc;
	}
	qsort(chips, n, sizeof(*chips), hwmon_sibling_cmp);
	for (i = 0; i < n; i = j) {
		bool tie = false;

		snprintf(chips[i].ident, sizeof(chips[i].ident), "%s@%s", chips[i].name,
			 chips[i].devpath);
		for (j = i + 1; j < n && !strcmp(chips[j].name, chips[i].name) &&
				!strcmp(chips[j].devpath, chips[i].devpath); j++) {
			snprintf(chips[j].ident, sizeof(chips[j].ident), "%s@%s#%zu", chips[j].name,
				 chips[j].devpath, j - i + 1);
			tie = tie || !strcmp(chips[j].sig, chips[j - 1].sig);
		}
		if (tie)
			hwmon_note(ctx, "%zu %s chips on %s hold the same channels: told apart by their "
				   "order of registration, which a driver change may alter", j - i,
				   chips[i].name, chips[i].devpath[0] ? chips[i].devpath : "no device");
	}
	return 0;
}

/* Fill limits from the chip's _max/_crit/_min/_lcrit files (read once, here). */
static void hwmon_read_limits(const struct hwmon_chip *chip, const char *sensor,
			      struct sov_sensor *desc)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(hwmon_limits) / sizeof(hwmon_limits[0]); i++) {
		int64_t v;

		if (snprintf(path, sizeof(path), "%s/%s%s", chip->adir, sensor,
			     hwmon_limits[i].suffix) >= (int)sizeof(path))
			continue;
		/* Absent, unreadable or disabled (ENODATA) limits are simply not set. */
		if (hwmon_read_value(path, &v))
			continue;
		memcpy((char *)desc + hwmon_limits[i].off, &v, sizeof(v));
		desc->flags |= hwmon_limits[i].flag;
	}
}

/* Channels of one chip left out, for one note per chip. */
struct hwmon_skips {
	char other[RT_ERR_LEN];      /* coretemp: would interrupt another CPU */
	char unknown[RT_ERR_LEN];    /* coretemp: which CPU is not known */
	char why[RT_ERR_LEN];        /* ... and why */
};

/* Append ", @fmt" (or @fmt) to the list @buf of @len bytes. */
static void hwmon_list_add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hwmon_list_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 3 >= len)
		return;
	if (used)
		used += (size_t)snprintf(buf + used, len - used, ", ");
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* The kind, unit and flags of attribute @a (of type @ti) into @desc. */
static void hwmon_chan_kind(const struct hwmon_attr *a, const struct hwmon_type_info *ti,
			    struct sov_sensor *desc)
{
	switch (a->sub) {
	case HWMON_SUB_VALUE:
		desc->kind = ti->kind;
		desc->unit = ti->unit;
		break;
	case HWMON_SUB_ALARM:
		desc->kind = SOV_KIND_ALARM;
		desc->unit = SOV_UNIT_NONE;
		/* Past a critical or emergency limit, a broken sensor, an open case. */
		if (strstr(a->file, "crit_alarm") || strstr(a->file, "emergency_alarm") ||
		    strstr(a->file, "_fault") || a->type == HWMON_INTRUSION)
			desc->flags |= SOV_SEN_CRITICAL;
		break;
	case HWMON_SUB_FAN_SET:
		desc->kind = SOV_KIND_FAN_RPM_SET;
		desc->unit = SOV_UNIT_RPM;
		break;
	default:
		desc->kind = SOV_KIND_STATE;
		desc->unit = SOV_UNIT_NONE;
		break;
	}
}

/*
 * Is coretemp channel @base (@desc labelled) read on a CPU the sampler may
 * interrupt?  Yes: @desc gets "cpu=N" first in its labels (as msr.c: the
 * core checks it).  No, or its CPU is not known: it is named in @sk (a
 * value channel) and left out.
 */
static bool hwmon_coretemp_keep(struct rt_probe_ctx *ctx, const struct hwmon_conf *c,
				const struct hwmon_chip *chip, const char *base, bool value,
				struct sov_sensor *desc, struct hwmon_skips *sk)
{
	struct rt_err why = { .msg = "" };
	int cpu = hwmon_coretemp_cpu(ctx->root, chip, desc->label, &why);

	if (cpu < 0) {
		if (value)
			hwmon_list_add(sk->unknown, sizeof(sk->unknown), "%s", base);
		snprintf(sk->why, sizeof(sk->why), "%s", why.msg);
		return false;
	}
	if (!hwmon_cpu_allowed(ctx, c, cpu)) {
		if (value)
			hwmon_list_add(sk->other, sizeof(sk->other), "%s \"%s\" (CPU %d)", base,
				       desc->label, cpu);
		return false;
	}
	snprintf(desc->labels, sizeof(desc->labels), "cpu=%d%s%s", cpu, chip->labels[0] ? "," : "",
		 chip->labels);
	return true;
}

/*
 * Open and add one channel.  A coretemp channel of a CPU it may not
 * interrupt, or of a CPU not known, is left out and named in @sk for the
 * probe's note; a value file that does not open is left out with a note.
 * Return: 0, or -errno (-ENOMEM, -E2BIG) with ctx->err set.
 */
static int hwmon_add_chan(struct rt_probe_ctx *ctx, const struct hwmon_conf *c,
			  const struct hwmon_chip *chip, const struct hwmon_attr *a,
			  struct hwmon_skips *sk)
{
	const struct hwmon_type_info *ti = &hwmon_types[a->type];
	char path[PATH_MAX], text[HWMON_TEXT_LEN], base[SOV_NAME_LEN];
	bool value = a->sub == HWMON_SUB_VALUE;
	struct sov_sensor desc;
	struct hwmon_chan *hc;
	const char *suffix = "";

	memset(&desc, 0, sizeof(desc));
	/* The channel the file belongs to ("temp1"); "beep_enable" is the chip's. */
	if (a->type == HWMON_BEEP_ENABLE)
		snprintf(base, sizeof(base), "%s", ti->prefix);
	else
		snprintf(base, sizeof(base), "%s%u", ti->prefix, a->idx);
	snprintf(desc.name, sizeof(desc.name), "%s", value ? base : a->file);
	if (hwmon_sensor_excluded(c, chip, base) || hwmon_sensor_excluded(c, chip, desc.name))
		return 0;
	hwmon_chan_kind(a, ti, &desc);
	desc.period_ms = (uint32_t)c->period_ms;
	snprintf(desc.chip, sizeof(desc.chip), "%s", chip->chip);
	snprintf(desc.labels, sizeof(desc.labels), "%s", chip->labels);
	if (value && a->type == HWMON_ENERGY)
		desc.flags |= SOV_SEN_COUNTER;

	/* Label: the driver's *_label of the channel, else the hwmon name ("temp1"). */
	snprintf(desc.label, sizeof(desc.label), "%s", base);
	if (snprintf(path, sizeof(path), "%s/%s_label", chip->adir, base) < (int)sizeof(path) &&
	    !hwmon_read_text(path, text, sizeof(text)) && text[0])
		snprintf(desc.label, sizeof(desc.label), "%s", text);
	if (value && ti->limits && c->limits)
		hwmon_read_limits(chip, base, &desc);

	/* Touch no other core: coretemp reads each channel on its own CPU. */
	if (!strcmp(chip->name, HWMON_CORETEMP) && a->type == HWMON_TEMP &&
	    !hwmon_coretemp_keep(ctx, c, chip, base, value, &desc, sk))
		return 0;

	if (value)
		suffix = a->type == HWMON_PWM || a->type == HWMON_BEEP_ENABLE ? "" :
			 a->average ? "_average" : "_input";
	if (snprintf(path, sizeof(path), "%s/%s%s", chip->adir, value ? base : a->file,
		     value ? suffix : "") >= (int)sizeof(path)) {
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "hwmon: %s/%s: path too long",
			 chip->adir, desc.name);
		return -ENAMETOOLONG;
	}
	/* From the chip's identity (its full device path), never from hwmonN. */
	desc.id = sov_sensor_id(SOV_SRC_HWMON, chip->ident, desc.name);
	desc.id += !desc.id; /* 0 asks rt_chan_add() for one */
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->type = a->type;
	hc->sub = a->sub;
	/*
	 * Value files are 0444 (pwmN 0644) by the ABI: a failure here is not
	 * expected, so say it; the channel is left out, the sampler goes on.
	 */
	hc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (hc->fd < 0) {
		hwmon_note(ctx, "%s/%s not read: %s: %s", chip->chip, desc.name, path, strerror(errno));
		free(hc);
		return 0;
	}
	/* rt_chan_add() owns @hc from here, also on failure.  Only the drivers
	 * known to read locally and fast are read in the loop. */
	return rt_chan_add_flags(ctx, &desc, hc, chip->fast ? 0 : RT_CHAN_SLOW);
}

/*
 * The chip's CHIP_INFO channel "chip": label its driver name, labels
 * "device=<path below /sys/devices>" (cut to the field), always 1.  Read
 * without a file or a system call, so in the loop whatever the driver.
 * Return: 0 or -errno from rt_chan_add().
 */
static int hwmon_add_info(struct rt_probe_ctx *ctx, const struct hwmon_conf *c,
			  const struct hwmon_chip *chip)
{
	struct sov_sensor desc;
	struct hwmon_chan *hc;

	if (hwmon_sensor_excluded(c, chip, HWMON_INFO_NAME))
		return 0;
	memset(&desc, 0, sizeof(desc));
	desc.kind = SOV_KIND_CHIP_INFO;
	desc.unit = SOV_UNIT_NONE;
	desc.period_ms = (uint32_t)c->period_ms;
	snprintf(desc.name, sizeof(desc.name), "%s", HWMON_INFO_NAME);
	snprintf(desc.chip, sizeof(desc.chip), "%s", chip->chip);
	snprintf(desc.label, sizeof(desc.label), "%s", chip->name);
	snprintf(desc.labels, sizeof(desc.labels), "device=%s", chip->devpath);
	desc.id = sov_sensor_id(SOV_SRC_HWMON, chip->ident, desc.name);
	desc.id += !desc.id;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return -ENOMEM;
	hc->fd = -1;
	hc->sub = HWMON_SUB_INFO;
	return rt_chan_add_flags(ctx, &desc, hc, 0);
}

/* Does directory @dir hold a channel file (any hwmon_parse_attr() one)? */
static bool hwmon_has_attrs(const char *dir)
{
	struct hwmon_attr a;
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = hwmon_parse_attr(de->d_name, true, &a);
	closedir(d);
	return found;
}

/* The last component of the link or path @path resolves to, into @out.  Return: 0 or -errno. */
static int hwmon_link_base(const char *path, char *out, size_t len)
{
	char res[PATH_MAX];
	const char *b;

	if (!realpath(path, res))
		return -errno;
	b = strrchr(res, '/');
	snprintf(out, len, "%s", b ? b + 1 : res);
	return out[0] ? 0 : -ENOENT;
}

/*
 * hwmon_locate() - where @chip's attributes are and what it is called.
 * The hwmon class directory first; an older driver keeps them (and
 * `name`) in the device directory, and hwmonN holds only `device`
 * (libsensors lib/sysfs.c: attributes from the hwmon directory, from the
 * device directory when the hwmon one has no name).  No `name` anywhere:
 * named from its device -- the driver ("device/driver" link), else the
 * device's modalias ("platform:nct6775", "i2c:lm75"), else the device's
 * own name -- and last from its hwmonN, which changes between boots; each
 * of these is said in a note.
 */
static void hwmon_locate(struct rt_probe_ctx *ctx, struct hwmon_chip *chip)
{
	char path[PATH_MAX], dev[PATH_MAX], text[HWMON_TEXT_LEN];
	const char *how, *base = strrchr(chip->dir, '/') + 1;

	snprintf(chip->adir, sizeof(chip->adir), "%s", chip->dir);
	snprintf(path, sizeof(path), "%s/name", chip->dir);
	if (!hwmon_read_text(path, chip->name, sizeof(chip->name)) && chip->name[0])
		return;
	snprintf(dev, sizeof(dev), "%s/device", chip->dir);
	snprintf(path, sizeof(path), "%s/name", dev);
	if (!hwmon_read_text(path, chip->name, sizeof(chip->name)) && chip->name[0]) {
		snprintf(chip->adir, sizeof(chip->adir), "%s", dev);
		return;
	}
	if (!hwmon_has_attrs(chip->dir) && hwmon_has_attrs(dev))
		snprintf(chip->adir, sizeof(chip->adir), "%s", dev);
	snprintf(path, sizeof(path), "%s/driver", dev);
	how = "its device's driver";
	if (!hwmon_link_base(path, chip->name, sizeof(chip->name)))
		goto said;
	snprintf(path, sizeof(path), "%s/modalias", dev);
	how = "its device's modalias";
	if (!hwmon_read_text(path, text, sizeof(text))) {
		const char *colon = strchr(text, ':');

		/* platform:NAME, i2c:NAME, spi:NAME; a pci or acpi alias is no name. */
		if (colon && (!strncmp(text, "platform:", 9) || !strncmp(text, "i2c:", 4) ||
			      !strncmp(text, "spi:", 4)) && colon[1]) {
			snprintf(chip->name, sizeof(chip->name), "%s", colon + 1);
			goto said;
		}
	}
	how = "its device";
	if (!hwmon_link_base(dev, chip->name, sizeof(chip->name)))
		goto said;
	how = "its hwmon number, which may change at the next boot";
	snprintf(chip->name, sizeof(chip->name), "%s", base);
said:
	hwmon_note(ctx, "%s has no name attribute: named \"%s\" after %s", base, chip->name, how);
}

/* Collect the chips under <root>/sys/class/hwmon.  Return: 0 or -errno with ctx->err set. */
static int hwmon_find_chips(struct rt_probe_ctx *ctx, struct hwmon_chip **out, size_t *n)
{
	char cls[PATH_MAX], rroot[PATH_MAX] = "";
	struct hwmon_chip *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	if (ctx->root[0] && !realpath(ctx->root, rroot)) {
		rc = -errno;
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "hwmon: root %s: %s", ctx->root,
			 strerror(-rc));
		return rc;
	}
	rc = rt_path(cls, sizeof(cls), ctx->root, HWMON_CLASS_DIR);
	if (rc)
		return rc;
	d = opendir(cls);
	if (!d) {
		rc = -errno;
		snprintf(ctx->err->msg, sizeof(ctx->err->msg), "hwmon: %s: %s", cls, strerror(-rc));
		return rc == -ENOENT ? -ENODEV : rc;
	}
	while ((de = readdir(d))) {
		const char *num = de->d_name + strlen(HWMON_DIR_PREFIX);
		struct hwmon_chip *chip;
		char *end;

		if (strncmp(de->d_name, HWMON_DIR_PREFIX, strlen(HWMON_DIR_PREFIX)) ||
		    !isdigit((unsigned char)*num))
			continue;
		if (cnt == cap) {
			struct hwmon_chip *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				goto err_free;
			}
			v = nv;
		}
		chip = &v[cnt];
		memset(chip, 0, sizeof(*chip));
		errno = 0;
		chip->nr = strtoul(num, &end, 10);
		if (errno || *end) {
			hwmon_note(ctx, "%s skipped: not a hwmon device name", de->d_name);
			continue;
		}
		if (snprintf(chip->dir, sizeof(chip->dir), "%s/%s", cls, de->d_name) >=
		    (int)sizeof(chip->dir)) {
			hwmon_note(ctx, "%s skipped: path too long", de->d_name);
			continue;
		}
		hwmon_locate(ctx, chip);
		rc = hwmon_identify(chip, rroot);
		if (rc) {
			/* Unnamable (a device link that does not resolve): left out, said. */
			hwmon_note(ctx, "%s (%s) skipped: %s/device: %s", de->d_name, chip->name,
				   chip->dir, strerror(-rc));
			rc = 0;
			continue;
		}
		cnt++;
	}
	closedir(d);
	rc = hwmon_rank_siblings(ctx, v, cnt);
	if (rc) {
		free(v);
		return rc;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), hwmon_chip_cmp);
	hwmon_disambiguate(v, cnt);
	*out = v;
	*n = cnt;
	return 0;

err_free:
	closedir(d);
	free(v);
	return rc;
}

static int hwmon_probe(struct rt_probe_ctx *ctx)
{
	struct hwmon_chip *chips = NULL;
	struct hwmon_conf conf;
	size_t nchips = 0, i;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = hwmon_parse_conf(ctx->conf, &conf, ctx->err);
	if (rc)
		return rc;
	rc = hwmon_find_chips(ctx, &chips, &nchips);
	if (rc)
		return rc;
	for (i = 0; i < nchips && !rc; i++) {
		struct hwmon_attr *attrs = NULL;
		struct hwmon_skips sk = { .other = "" };
		size_t nattrs = 0, j, before = ctx->chans->n;

		if (!hwmon_chip_wanted(&conf, &chips[i])) {
			hwmon_note(ctx, "%s skipped: not in [hwmon] chips", chips[i].chip);
			continue;
		}
		rc = hwmon_list_attrs(&chips[i], conf.attributes, &attrs, &nattrs);
		if (rc == -ENOMEM)
			break;
		if (rc) {
			/* Gone since readdir (hot-unplug), or unreadable: left out, said. */
			hwmon_note(ctx, "%s skipped: %s: %s", chips[i].chip, chips[i].adir,
				   strerror(-rc));
			rc = 0;
			continue;
		}
		if (!nattrs) {
			hwmon_note(ctx, "%s skipped: no value attribute in %s", chips[i].chip,
				   chips[i].adir);
			free(attrs);
			continue;
		}
		for (j = 0; j < nattrs && !rc; j++)
			rc = hwmon_add_chan(ctx, &conf, &chips[i], &attrs[j], &sk);
		free(attrs);
		if (sk.other[0])
			hwmon_note(ctx, "warning: %s: not read, each read would interrupt a CPU other than "
				   "the housekeeping CPU %d (list it in [hwmon] cpus to read it anyway): %s",
				   chips[i].chip, ctx->cpu, sk.other);
		if (sk.unknown[0])
			hwmon_note(ctx, "%s: %s not read: cannot tell which CPU a read interrupts (%s)",
				   chips[i].chip, sk.unknown, sk.why);
		if (rc)
			break;
		/* The chip's info channel goes with its channels; none: left out, said. */
		if (ctx->chans->n > before && conf.attributes)
			rc = hwmon_add_info(ctx, &conf, &chips[i]);
		else if (ctx->chans->n == before && !sk.other[0] && !sk.unknown[0])
			hwmon_note(ctx, "%s skipped: every channel excluded or unreadable",
				   chips[i].chip);
	}
	/* On failure the channels already added stay in ctx->chans; rt_chan_list_free() closes them. */
	free(chips);
	return rc;
}

/* The keys of its section that hwmon_parse_conf() reads (sensor_ops.keys). */
static const char *const hwmon_keys[] = { "chips", "exclude", "limits", "attributes",
					  "period_ms", "cpus", NULL };

static const struct sensor_ops hwmon_ops = {
	.name = "hwmon",
	.source = SOV_SRC_HWMON,
	/* jc42 and coretemp refresh their registers once a second, most chips at 1-2 Hz or faster. */
	.min_period_ms = 100,
	/*
	 * Not slow as a whole: the chips of hwmon_fast_drivers are read in the
	 * loop; every other chip (and any behind an I2C adapter, whose pread may
	 * run an SMBus transfer) is added with RT_CHAN_SLOW.
	 */
	.slow = false,
	.default_enabled = true,
	.keys = hwmon_keys,
	.probe = hwmon_probe,
	.read = hwmon_read,
	.remove = hwmon_remove,
};

SENSOR_REGISTER(hwmon_ops);
