/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msr.c - sampler backend for the MSRs the kernel does not export elsewhere:
 * Intel package temperature, RAPL energy (Intel, AMD Zen) and the Intel SMI
 * count, read with pread() on the housekeeping CPU's /dev/cpu/N/msr.
 *
 * Config, section [msr] (all optional):
 *   enable = yes|no   handled by the core; default yes
 *   cpu    = N        the CPU whose device is opened; default: the
 *                     sampler's housekeeping CPU
 *   cpus   = 0,64     more CPUs to read, typically other packages' first
 *                     CPUs; default none.  Every read of CPU n's device
 *                     interrupts CPU n (the kernel runs rdmsr there by IPI,
 *                     docs/hardware.md §R4.1), so each channel of such a CPU
 *                     carries "cpu=n" in its labels, and the core warns
 *                     once per such CPU, at start and as an event.
 *   tjmax  = C        Intel TjMax in °C when MSR_TEMPERATURE_TARGET is
 *                     unreadable or 0; default 0 (no temperature channel then)
 *
 * Channels (chip "msr/cpuN", labels "cpu=N"):
 *   Intel: package-P-temp (or core-N-temp without PTS), package-P-energy,
 *          dram-P-energy, pp0-P-energy (each only if present), smi
 *   AMD Zen: package-P-energy, core-N-energy.  No temperature (k10temp reads
 *          it through the SMN, docs/hardware.md §R0) and no SMI MSR (perf_smi.c).
 * Package-scope channels are added once per physical package.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64 /* MSR numbers up to 0xC00102xx are file offsets */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuinfo.h"
#include "sensor.h"
#include "wrap.h"

/* Intel MSRs (docs/hardware.md §R2.1, msr-index.h) */
#define MSR_SMI_COUNT                  0x34u
#define MSR_IA32_THERM_STATUS          0x19Cu
#define MSR_IA32_TEMPERATURE_TARGET    0x1A2u
#define MSR_IA32_PACKAGE_THERM_STATUS  0x1B1u
#define MSR_RAPL_POWER_UNIT            0x606u
#define MSR_PKG_ENERGY_STATUS          0x611u
#define MSR_DRAM_ENERGY_STATUS         0x619u
#define MSR_PP0_ENERGY_STATUS          0x639u

/* AMD Zen MSRs (docs/hardware.md §R1.1) */
#define MSR_AMD_RAPL_POWER_UNIT        0xC0010299u
#define MSR_AMD_CORE_ENERGY_STATUS     0xC001029Au
#define MSR_AMD_PKG_ENERGY_STATUS      0xC001029Bu

/* IA32_(PACKAGE_)THERM_STATUS: readout in °C below TjMax, bits 22:16 */
#define THERM_READOUT_SHIFT            16
#define THERM_READOUT_MASK             0x7Fu
#define THERM_STATUS_VALID             (UINT64_C(1) << 31) /* 0x19C only */

/* MSR_TEMPERATURE_TARGET: TjMax °C, bits 23:16.  Bits 29:24 (TCC offset) are
 * deliberately not used: subtracting them gives wrong temperatures
 * (turbostat history, docs/hardware.md §R0). */
#define TEMP_TARGET_TJMAX_SHIFT        16
#define TEMP_TARGET_TJMAX_MASK         0xFFu

/* RAPL power unit: energy status unit (ESU) bits 12:8, 1 count = 2^-ESU J */
#define RAPL_UNIT_ESU_SHIFT            8
#define RAPL_UNIT_ESU_MASK             0x1Fu
#define RAPL_ENERGY_MASK               UINT64_C(0xFFFFFFFF) /* bits 31:0 */
#define RAPL_DRAM_ESU_HSW_SERVER       16 /* fixed 2^-16 J, ESU ignored */

#define SMI_COUNT_MASK                 UINT64_C(0xFFFFFFFF) /* bits 31:0 */

#define MSR_CPU_MAX                    65535
#define MSR_CPUS_MAX                   64 /* "cpus" list entries */

/* Intel family 6 models whose DRAM domain counts in 2^-16 J whatever 0x606
 * says (RAPLCOM rapl_defaults_hsw_server; RAPLPMU adds BDX-D). */
static const unsigned char msr_dram_quirk_models[] = {
	0x3F, /* Haswell-X */
	0x4F, /* Broadwell-X */
	0x56, /* Broadwell-D */
	0x55, /* Skylake-X, Cascade Lake, Cooper Lake */
	0x6A, /* Ice Lake-X */
	0x6C, /* Ice Lake-D */
	0x57, /* Knights Landing */
	0x85, /* Knights Mill */
};

/* Silvermont/Airmont Atoms encode the energy unit as 2^ESU µJ (RAPLCOM
 * rapl_check_unit_atom); not a server part: no energy channels there
 * rather than wrong ones. */
static const unsigned char msr_atom_unit_models[] = { 0x37, 0x4A, 0x4C, 0x5A };


/* An open /dev/cpu/N/msr, shared by its channels. */
struct msr_dev {
	int fd;
	int cpu;
	unsigned refs;          /* channels using it, plus probe's own */
};

enum msr_chan_type {
	MSR_CH_TEMP_PKG,        /* 0x1B1, no valid bit */
	MSR_CH_TEMP_CORE,       /* 0x19C, valid bit 31 */
	MSR_CH_ENERGY,          /* RAPL status, 32-bit, units 2^-esu J */
	MSR_CH_SMI,             /* 0x34, 32-bit */
};

struct msr_chan {
	struct msr_dev *dev;
	uint32_t reg;           /* MSR number = file offset */
	enum msr_chan_type type;
	unsigned esu;           /* energy: 2^-esu J per count */
	int tjmax_c;            /* temperature: TjMax, °C */
	struct wrap_acc acc;    /* energy and SMI: 32-bit wrap */
	uint64_t acc_ns;        /* energy: deadline of the last accepted read */
	unsigned rejected;      /* energy: implausible reads in a row */
};

/* Implausible energy reads in a row after which the counter is taken as it is. */
#define MSR_ENERGY_REJECT_MAX 3

/* --- conversion helpers (pure) --- */

/* msr_therm_raw_to_millicelsius() - THERM_STATUS readout below @tjmax_c, in m°C. */
static int64_t msr_therm_raw_to_millicelsius(uint64_t raw, int tjmax_c)
{
	int readout = (int)((raw >> THERM_READOUT_SHIFT) & THERM_READOUT_MASK);

	return (int64_t)(tjmax_c - readout) * 1000;
}

/* msr_tjmax_raw_to_celsius() - TjMax from MSR_TEMPERATURE_TARGET; 0: unknown. */
static int msr_tjmax_raw_to_celsius(uint64_t raw)
{
	return (int)((raw >> TEMP_TARGET_TJMAX_SHIFT) & TEMP_TARGET_TJMAX_MASK);
}

/* msr_unit_raw_to_esu() - energy status unit: one count is 2^-ESU J. */
static unsigned msr_unit_raw_to_esu(uint64_t raw)
{
	return (unsigned)((raw >> RAPL_UNIT_ESU_SHIFT) & RAPL_UNIT_ESU_MASK);
}

static bool msr_model_in(const unsigned char *tab, size_t n, int model)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i] == model)
			return true;
	return false;
}

/* --- device access --- */

/*
 * msr_pread() - MSR @reg of the device @fd.  The device returns EIO for an
 * MSR the CPU does not implement (docs/hardware.md §R4.1); a short read (a
 * fixture file that ends before @reg) is the same thing.
 */
static int msr_pread(int fd, uint32_t reg, uint64_t *val)
{
	ssize_t n = pread(fd, val, sizeof(*val), (off_t)reg);

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*val) ? 0 : -EIO;
}

static void msr_dev_put(struct msr_dev *dev)
{
	if (dev && --dev->refs == 0) {
		close(dev->fd);
		free(dev);
	}
}

static int msr_dev_open(struct rt_probe_ctx *ctx, int cpu, struct msr_dev **out)
{
	char rel[64], path[4096];
	struct msr_dev *dev;
	int fd, rc;

	snprintf(rel, sizeof(rel), "/dev/cpu/%d/msr", cpu);
	rc = rt_path(path, sizeof(path), ctx->root, rel);
	if (rc)
		return snprintf(ctx->err->msg, sizeof(ctx->err->msg), "msr: %s: path too long", rel), rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		switch (rc) {
		case -ENOENT:
		case -ENODEV:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "msr: %s: no such device (module msr not loaded? modprobe msr)", path);
			return -ENODEV;
		case -EPERM:
		case -EACCES:
			/* A missing privilege degrades the sampler, it does not stop it. */
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "msr: %s: %s: needs CAP_SYS_RAWIO; skipped", path, strerror(-rc));
			return -ENODEV;
		case -ENXIO:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "msr: %s: cpu %d is offline or absent", path, cpu);
			return rc;
		case -EIO:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "msr: %s: cpu %d has no MSRs", path, cpu);
			return -ENODEV;
		default:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg), "msr: %s: %s", path,
				 strerror(-rc));
			return rc;
		}
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	dev->cpu = cpu;
	dev->refs = 1;
	*out = dev;
	return 0;
}

/* --- channels --- */

static int msr_add(struct rt_probe_ctx *ctx, struct msr_dev *dev, const struct msr_chan *tmpl,
		   uint16_t kind, const char *label, const char *name)
{
	struct sov_sensor d;
	struct msr_chan *c;

	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = *tmpl;
	c->dev = dev;
	dev->refs++;

	memset(&d, 0, sizeof(d));
	d.kind = kind;
	switch (kind) {
	case SOV_KIND_TEMP:
		d.unit = SOV_UNIT_MILLICELSIUS;
		d.crit_hi = (int64_t)c->tjmax_c * 1000; /* TCC activation, docs/hardware.md §R9 */
		d.flags = SOV_SEN_CRIT_HI;
		break;
	case SOV_KIND_ENERGY:
		d.unit = SOV_UNIT_MICROJOULE;
		d.flags = SOV_SEN_COUNTER;
		break;
	default:
		d.unit = SOV_UNIT_COUNT;
		d.flags = SOV_SEN_COUNTER;
		break;
	}
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.label, sizeof(d.label), "%s", label);
	snprintf(d.chip, sizeof(d.chip), "msr/cpu%d", dev->cpu);
	snprintf(d.labels, sizeof(d.labels), "cpu=%d", dev->cpu);
	/* rt_chan_add() calls remove() on failure, which drops the reference */
	return rt_chan_add(ctx, &d, c);
}

/* msr_add_energy() - one RAPL domain if its status MSR reads and is non-zero (RAPLCOM rapl_check_domain). */
static int msr_add_energy(struct rt_probe_ctx *ctx, struct msr_dev *dev, uint32_t reg, unsigned esu,
			  const char *label, const char *name)
{
	struct msr_chan t = { .reg = reg, .type = MSR_CH_ENERGY, .esu = esu };
	uint64_t raw;

	if (msr_pread(dev->fd, reg, &raw) || !(raw & RAPL_ENERGY_MASK))
		return 0;
	return msr_add(ctx, dev, &t, SOV_KIND_ENERGY, label, name);
}

static int msr_probe_intel_pkg(struct rt_probe_ctx *ctx, struct msr_dev *dev,
			       const struct cpuinfo *ci, int tjmax_conf)
{
	struct msr_chan t = { 0 };
	char name[SOV_NAME_LEN];
	uint64_t raw;
	int tjmax = 0, rc = 0;

	/* TjMax once: it is fused per part and does not change at run time */
	if (!msr_pread(dev->fd, MSR_IA32_TEMPERATURE_TARGET, &raw))
		tjmax = msr_tjmax_raw_to_celsius(raw);
	if (!tjmax)
		tjmax = tjmax_conf;
	t.tjmax_c = tjmax;
	if (tjmax && !msr_pread(dev->fd, MSR_IA32_PACKAGE_THERM_STATUS, &raw)) {
		t.reg = MSR_IA32_PACKAGE_THERM_STATUS;
		t.type = MSR_CH_TEMP_PKG;
		snprintf(name, sizeof(name), "package-%d-temp", ci->pkg);
		rc = msr_add(ctx, dev, &t, SOV_KIND_TEMP, "package", name);
	} else if (tjmax && !msr_pread(dev->fd, MSR_IA32_THERM_STATUS, &raw)) {
		/* no PTS (EIO): the housekeeping core's own sensor is the best we have */
		t.reg = MSR_IA32_THERM_STATUS;
		t.type = MSR_CH_TEMP_CORE;
		snprintf(name, sizeof(name), "core-%d-temp", dev->cpu);
		rc = msr_add(ctx, dev, &t, SOV_KIND_TEMP, "core", name);
	}
	if (rc)
		return rc;

	if (ci->family == 6 && msr_model_in(msr_atom_unit_models, sizeof(msr_atom_unit_models),
					    ci->model))
		return 0;
	if (!msr_pread(dev->fd, MSR_RAPL_POWER_UNIT, &raw)) {
		unsigned esu = msr_unit_raw_to_esu(raw), dram_esu = esu;

		if (ci->family == 6 && msr_model_in(msr_dram_quirk_models,
						    sizeof(msr_dram_quirk_models), ci->model))
			dram_esu = RAPL_DRAM_ESU_HSW_SERVER;
		snprintf(name, sizeof(name), "package-%d-energy", ci->pkg);
		rc = msr_add_energy(ctx, dev, MSR_PKG_ENERGY_STATUS, esu, "package", name);
		snprintf(name, sizeof(name), "dram-%d-energy", ci->pkg);
		if (!rc)
			rc = msr_add_energy(ctx, dev, MSR_DRAM_ENERGY_STATUS, dram_esu, "DRAM", name);
		snprintf(name, sizeof(name), "pp0-%d-energy", ci->pkg);
		if (!rc)
			rc = msr_add_energy(ctx, dev, MSR_PP0_ENERGY_STATUS, esu, "cores (PP0)", name);
	}
	return rc;
}

static int msr_probe_cpu(struct rt_probe_ctx *ctx, struct msr_dev *dev,
			 const struct cpuinfo *ci, bool pkg_scope, int tjmax_conf)
{
	struct msr_chan smi = { .reg = MSR_SMI_COUNT, .type = MSR_CH_SMI };
	char name[SOV_NAME_LEN];
	uint64_t raw;
	unsigned esu;
	int rc = 0;

	switch (cpuinfo_vendor(ci)) {
	case CPU_VENDOR_INTEL:
		if (pkg_scope) {
			rc = msr_probe_intel_pkg(ctx, dev, ci, tjmax_conf);
			if (rc)
				return rc;
		}
		/* per CPU; absent (EIO) before Nehalem */
		if (!msr_pread(dev->fd, MSR_SMI_COUNT, &raw))
			rc = msr_add(ctx, dev, &smi, SOV_KIND_SMI_COUNT, "SMIs", "smi");
		return rc;
	case CPU_VENDOR_AMD:
		if (msr_pread(dev->fd, MSR_AMD_RAPL_POWER_UNIT, &raw))
			return 0;
		esu = msr_unit_raw_to_esu(raw);
		snprintf(name, sizeof(name), "package-%d-energy", ci->pkg);
		if (pkg_scope)
			rc = msr_add_energy(ctx, dev, MSR_AMD_PKG_ENERGY_STATUS, esu, "package", name);
		/* per physical core: read on this CPU it is this CPU's core's
		 * (RAPLPMU "consumption of a single physical core") */
		snprintf(name, sizeof(name), "core-%d-energy", dev->cpu);
		if (!rc)
			rc = msr_add_energy(ctx, dev, MSR_AMD_CORE_ENERGY_STATUS, esu, "core", name);
		return rc;
	default:
		return 0;
	}
}

/* msr_conf_cpus() - @hk first, then the "cpus" list (cpuinfo.h) without duplicates. */
static int msr_conf_cpus(struct rt_probe_ctx *ctx, int hk, int *cpus)
{
	int more[MSR_CPUS_MAX], n, i, j, ncpus = 1;

	cpus[0] = hk;
	n = cpuinfo_conf_cpus(ctx->conf, more, MSR_CPUS_MAX, ctx->err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		for (j = 0; j < ncpus && cpus[j] != more[i]; j++)
			;
		if (j == ncpus)
			cpus[ncpus++] = more[i];
	}
	return ncpus;
}

static int msr_probe(struct rt_probe_ctx *ctx)
{
	struct cpuinfo ci[MSR_CPUS_MAX + 1];
	struct msr_dev *dev[MSR_CPUS_MAX + 1] = { 0 };
	int cpus[MSR_CPUS_MAX + 1];
	long long hk, tjmax;
	int ncpus, i, j, rc;

	rc = rt_conf_int(ctx->conf, "cpu", 0, MSR_CPU_MAX, ctx->cpu, &hk, ctx->err);
	if (!rc)
		rc = rt_conf_int(ctx->conf, "tjmax", 0, 255, 0, &tjmax, ctx->err);
	if (rc)
		return rc;
	if (hk < 0 || hk > MSR_CPU_MAX)
		return snprintf(ctx->err->msg, sizeof(ctx->err->msg), "msr: bad cpu %lld", hk),
		       -EINVAL;
	ncpus = msr_conf_cpus(ctx, (int)hk, cpus);
	if (ncpus < 0)
		return ncpus;

	for (i = 0; i < ncpus; i++) {
		rc = cpuinfo_read(ctx->root, cpus[i], &ci[i], ctx->err);
		/*
		 * No cpuinfo, or none for the housekeeping CPU: the vendor (and so
		 * every register) is unknown; skipped with a note, never fatal.
		 * A "cpus" entry cpuinfo does not list is a mistake in the config.
		 */
		if (rc == -ENODEV || (rc == -ENOENT && i == 0)) {
			char why[RT_ERR_LEN];

			snprintf(why, sizeof(why), "%s", ctx->err->msg);
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "msr: skipped: CPU %d's vendor unknown (%s)", cpus[i], why);
			return -ENODEV;
		}
		if (rc)
			return rc;
	}
	if (cpuinfo_vendor(&ci[0]) == CPU_VENDOR_OTHER) {
		snprintf(ctx->err->msg, sizeof(ctx->err->msg),
			 "msr: no MSR sensors known for %s family 0x%x", ci[0].vendor, ci[0].family);
		return -ENODEV;
	}

	/* open every device before adding anything: a failure adds nothing */
	for (i = 0; i < ncpus; i++) {
		rc = msr_dev_open(ctx, cpus[i], &dev[i]);
		if (rc)
			goto err_close;
	}
	for (i = 0; i < ncpus; i++) {
		bool pkg_scope = true;

		for (j = 0; j < i; j++)
			if (ci[j].pkg == ci[i].pkg)
				pkg_scope = false; /* package already read through cpus[j] */
		rc = msr_probe_cpu(ctx, dev[i], &ci[i], pkg_scope, (int)tjmax);
		if (rc)
			goto err_close;
	}
	rc = 0;

err_close:
	/* drop probe's references: a device no channel uses is closed here */
	for (i = 0; i < ncpus; i++)
		msr_dev_put(dev[i]);
	return rc;
}

/*
 * msr_acc_u32() - accumulate a 32-bit counter, starting from the counter
 * itself so that the first value is the count since reset, as energy_uj
 * and turbostat show it.
 */
static void msr_acc_u32(struct msr_chan *c, uint32_t raw32)
{
	if (!c->acc.primed)
		c->acc.acc = raw32;
	wrap_acc_u32(&c->acc, raw32);
}

static int msr_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	struct msr_chan *c = ch->priv;
	uint64_t raw;
	uint32_t raw32;
	int rc;

	rc = msr_pread(c->dev->fd, c->reg, &raw);
	if (rc)
		return rc;
	switch (c->type) {
	case MSR_CH_TEMP_CORE:
		/* coretemp ignores bit 31; perf's cpu_thermal_margin honours it */
		if (!(raw & THERM_STATUS_VALID))
			return -EAGAIN;
		/* fall through */
	case MSR_CH_TEMP_PKG:
		*value = msr_therm_raw_to_millicelsius(raw, c->tjmax_c);
		return 0;
	case MSR_CH_ENERGY:
		raw32 = (uint32_t)(raw & RAPL_ENERGY_MASK);
		if (c->acc.primed &&
		    !wrap_energy_plausible(wrap_units_to_uj((uint32_t)(raw32 - (uint32_t)c->acc.prev),
							    c->esu),
					   now_ns - c->acc_ns)) {
			if (++c->rejected < MSR_ENERGY_REJECT_MAX)
				return -EIO; /* transient: the next read is judged against the same base */
			/* Still implausible: the base was the bad read.  Start
			 * again from this value; the interval's energy is lost
			 * but the accumulator stays monotonic. */
			c->acc.prev = raw32;
		}
		c->rejected = 0;
		c->acc_ns = now_ns;
		msr_acc_u32(c, raw32);
		*value = (int64_t)wrap_units_to_uj(c->acc.acc, c->esu);
		return 0;
	case MSR_CH_SMI:
		msr_acc_u32(c, (uint32_t)(raw & SMI_COUNT_MASK));
		*value = (int64_t)c->acc.acc;
		return 0;
	}
	return -EOPNOTSUPP;
}

static void msr_remove(struct rt_chan *ch)
{
	struct msr_chan *c = ch->priv;

	if (!c)
		return;
	msr_dev_put(c->dev);
	free(c);
	ch->priv = NULL;
}

/* The keys of its section that msr_probe(), msr_conf_cpus() read (sensor_ops.keys). */
static const char *const msr_keys[] = { "cpu", "tjmax", "cpus", NULL };

static const struct sensor_ops msr_ops = {
	.name = "msr",
	.source = SOV_SRC_MSR,
	.min_period_ms = 1,
	.slow = false,
	.default_enabled = true,
	.keys = msr_keys,
	.probe = msr_probe,
	.read = msr_read,
	.remove = msr_remove,
};

SENSOR_REGISTER(msr_ops);
