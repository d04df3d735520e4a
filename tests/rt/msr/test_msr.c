/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_msr.c - Criterion tests of the msr backend (rt/msr.c) against Intel
 * (Skylake-SP, Sapphire Rapids) and AMD EPYC fixture MSR files.
 */
#include <linux/capability.h>
#include <sys/syscall.h>

#include "fixture.h"
#include "sampler.h"
#include "shm_writer.h"

/* Register values, docs/hardware.md §R2 (Intel) and §R1.1 (AMD) */
#define SMI_COUNT           0x34u
#define THERM_STATUS        0x19Cu
#define TEMP_TARGET         0x1A2u
#define PKG_THERM_STATUS    0x1B1u
#define RAPL_POWER_UNIT     0x606u
#define PKG_ENERGY          0x611u
#define DRAM_ENERGY         0x619u
#define PP0_ENERGY          0x639u
#define AMD_POWER_UNIT      0xC0010299u
#define AMD_CORE_ENERGY     0xC001029Au
#define AMD_PKG_ENERGY      0xC001029Bu

#define THERM_VALID         (UINT64_C(1) << 31)
#define TJMAX(c)            ((uint64_t)(c) << 16)
#define TCC_OFFSET(c)       ((uint64_t)(c) << 24)
#define READOUT(c)          ((uint64_t)(c) << 16)
#define UNIT_ESU(e)         (((uint64_t)(e) << 8) | 0xA0003u) /* TU 10, PU 3 as on real parts */

#define MODEL_SKX           0x55
#define MODEL_SPR           0x8F

TestSuite(msr, .fini = fx_cleanup);

/*
 * fx_intel() - an Intel family 6 @model with TjMax 100 °C and a TCC offset
 * of 10 °C, package readout 35 below TjMax (65 °C), core readout 40 (valid),
 * ESU @esu, package 5 J, DRAM raw 3 << 16 (3 J at the quirk's fixed
 * 2^-16 J), PP0 2 J, 7 SMIs.  0x19C is written before 0x1A2: their two overlapping
 * bytes (0x19C bits 63:48 = 0x1A2 bits 15:0) are 0 in both.
 */
static void fx_intel(struct fx *fx, int model, unsigned esu)
{
	fx_cpuinfo(fx, "GenuineIntel", 6, model, 1, NULL);
	fx_msr_create(fx, 0);
	fx_wr(fx, 0, SMI_COUNT, 7);
	fx_wr(fx, 0, THERM_STATUS, THERM_VALID | READOUT(40));
	fx_wr(fx, 0, TEMP_TARGET, TCC_OFFSET(10) | TJMAX(100));
	fx_wr(fx, 0, PKG_THERM_STATUS, READOUT(35) | 1u /* PROCHOT bit: ignored */);
	fx_wr(fx, 0, RAPL_POWER_UNIT, UNIT_ESU(esu));
	fx_wr(fx, 0, PKG_ENERGY, UINT64_C(5) << esu);
	fx_wr(fx, 0, DRAM_ENERGY, UINT64_C(3) << 16);
	fx_wr(fx, 0, PP0_ENERGY, UINT64_C(2) << esu);
}

/*
 * fx_amd() - AMD @family/@model with ESU @esu and package counter @pkg.
 * 0xC0010299/A/B overlap byte-wise in a file: written in that order, the
 * unit MSR's ESU byte is the core MSR's low byte and the core counter's
 * bits 31:8 are the package counter's bits 23:0 (see amd_core_raw()).
 * Intel-only registers hold plausible values that must be ignored.
 */
static void fx_amd(struct fx *fx, int family, int model, unsigned esu, uint32_t pkg)
{
	fx_cpuinfo(fx, "AuthenticAMD", family, model, 1, NULL);
	fx_msr_create(fx, 0);
	fx_wr(fx, 0, SMI_COUNT, 7);
	fx_wr(fx, 0, THERM_STATUS, THERM_VALID | READOUT(40));
	fx_wr(fx, 0, TEMP_TARGET, TJMAX(100));
	fx_wr(fx, 0, PKG_THERM_STATUS, READOUT(35));
	fx_wr(fx, 0, RAPL_POWER_UNIT, UNIT_ESU(14));
	fx_wr(fx, 0, PKG_ENERGY, UINT64_C(5) << 14);
	fx_wr(fx, 0, AMD_POWER_UNIT, UNIT_ESU(esu));
	fx_wr(fx, 0, AMD_CORE_ENERGY, esu);
	fx_wr(fx, 0, AMD_PKG_ENERGY, pkg);
}

Test(msr, intel_package_temp_is_tjmax_minus_readout)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	c = chan(&p, "msr/cpu0", "package-0-temp");
	cr_assert_not_null(c);
	cr_assert_eq(c->desc.kind, SOV_KIND_TEMP);
	cr_assert_eq(c->desc.unit, SOV_UNIT_MILLICELSIUS);
	cr_assert_eq(c->desc.source, SOV_SRC_MSR);
	cr_assert_str_eq(c->desc.label, "package");
	cr_assert_str_eq(c->desc.labels, "cpu=0");
	/* 100 - 35, the TCC offset of 10 is not subtracted (docs/hardware.md §R0) */
	cr_assert_eq(rd(c), 65000);
	cr_assert_eq(c->desc.crit_hi, 100000);
	cr_assert(c->desc.flags & SOV_SEN_CRIT_HI);
	cr_assert_null(chan(&p, NULL, "core-0-temp"), "PTS present: no core fallback");

	fx_wr(&fx, 0, PKG_THERM_STATUS, READOUT(12));
	cr_assert_eq(rd(c), 88000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, tcc_offset_bits_are_ignored)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	/* TCC offset 63 (all of bits 29:24) and bit 30/31 noise around TjMax 95 */
	fx_wr(&fx, 0, TEMP_TARGET, (UINT64_C(3) << 30) | TCC_OFFSET(0x3F) | TJMAX(95));
	fx_wr(&fx, 0, PKG_THERM_STATUS, READOUT(35));
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	c = chan(&p, NULL, "package-0-temp");
	cr_assert_eq(rd(c), 60000);
	cr_assert_eq(c->desc.crit_hi, 95000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, no_pts_falls_back_to_core_therm_status_and_its_valid_bit)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;
	int64_t v = 4242;

	fx_init(&fx);
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 1, NULL);
	fx_msr_create(&fx, 0);
	/* the file ends at 0x1AA: 0x1B1 (PTS) reads short, like EIO */
	fx_wr(&fx, 0, THERM_STATUS, THERM_VALID | READOUT(30));
	fx_wr(&fx, 0, TEMP_TARGET, TJMAX(90));
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_null(chan(&p, NULL, "package-0-temp"));
	c = chan(&p, "msr/cpu0", "core-0-temp");
	cr_assert_not_null(c);
	cr_assert_eq(rd(c), 60000);
	cr_assert_eq(c->desc.crit_hi, 90000);

	fx_wr(&fx, 0, THERM_STATUS, READOUT(30)); /* bit 31 clear: not valid */
	cr_assert_eq(c->ops->read(c, 0, &v), -EAGAIN);
	cr_assert_eq(v, 4242, "an invalid reading leaves the value alone");

	fx_wr(&fx, 0, THERM_STATUS, THERM_VALID | READOUT(45));
	cr_assert_eq(rd(c), 45000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, no_tjmax_no_temperature_unless_configured)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_wr(&fx, 0, TEMP_TARGET, 0);
	fx_wr(&fx, 0, THERM_STATUS, THERM_VALID | READOUT(40));
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_null(chan(&p, NULL, "package-0-temp"));
	cr_assert_null(chan(&p, NULL, "core-0-temp"));
	cr_assert_not_null(chan(&p, NULL, "package-0-energy"));
	probed_free(&p);

	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ntjmax = 95\n", &p), 0, "%s", p.err.msg);
	cr_assert_eq(rd(chan(&p, NULL, "package-0-temp")), 60000);
	cr_assert_eq(chan(&p, NULL, "package-0-temp")->desc.crit_hi, 95000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, intel_energy_esu14_and_skx_dram_quirk)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *pkg, *dram, *pp0;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	pkg = chan(&p, "msr/cpu0", "package-0-energy");
	dram = chan(&p, "msr/cpu0", "dram-0-energy");
	pp0 = chan(&p, "msr/cpu0", "pp0-0-energy");
	cr_assert_not_null(pkg);
	cr_assert_not_null(dram);
	cr_assert_not_null(pp0);
	cr_assert_eq(pkg->desc.kind, SOV_KIND_ENERGY);
	cr_assert_eq(pkg->desc.unit, SOV_UNIT_MICROJOULE);
	cr_assert(pkg->desc.flags & SOV_SEN_COUNTER);
	cr_assert_str_eq(pkg->desc.label, "package");
	cr_assert_str_eq(dram->desc.label, "DRAM");
	cr_assert_str_eq(pp0->desc.label, "cores (PP0)");

	cr_assert_eq(rd(pkg), 5000000);  /* 5 << 14 at 2^-14 J */
	cr_assert_eq(rd(dram), 3000000); /* 3 << 16 at the fixed 2^-16 J, not 2^-14 */
	cr_assert_eq(rd(pp0), 2000000);

	fx_wr(&fx, 0, PKG_ENERGY, (UINT64_C(5) << 14) + 8192); /* + 0.5 J */
	cr_assert_eq(rd(pkg), 5500000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, intel_energy_esu16)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 16);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(rd(chan(&p, NULL, "package-0-energy")), 5000000);
	cr_assert_eq(rd(chan(&p, NULL, "pp0-0-energy")), 2000000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, dram_uses_power_unit_esu_on_non_quirk_model)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SPR, 14);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	/* the same raw 3 << 16 at 2^-14 J: 12 J */
	cr_assert_eq(rd(chan(&p, NULL, "dram-0-energy")), 12000000);
	probed_free(&p);

	/* and on SKX the same register value is 3 J (fixed 2^-16 J) */
	fx_intel(&fx, MODEL_SKX, 14);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(rd(chan(&p, NULL, "dram-0-energy")), 3000000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, energy_32bit_wrap_accumulates_modular_delta)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *pkg;
	int64_t v1, v2, v3;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	/* bits 63:32 are not part of the counter */
	fx_wr(&fx, 0, PKG_ENERGY, UINT64_C(0xDEAD0000FFFFF000));
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	pkg = chan(&p, NULL, "package-0-energy");
	v1 = rd(pkg);
	cr_assert_eq(v1, INT64_C(262143750000), "0xFFFFF000 units of 2^-14 J");

	fx_wr(&fx, 0, PKG_ENERGY, UINT64_C(0xBEEF000000001000)); /* wrapped: +0x2000 units */
	v2 = rd(pkg);
	cr_assert_gt(v2, v1);
	cr_assert_eq(v2 - v1, 500000, "0x2000 units = 0.5 J");

	v3 = rd(pkg); /* no change */
	cr_assert_eq(v3, v2);

	fx_wr(&fx, 0, PKG_ENERGY, 0x5000); /* +0x4000 = 1 J */
	cr_assert_eq(rd(pkg) - v3, 1000000);
	probed_free(&p);
	fx_rm(&fx);
}

/*
 * A counter that steps back (a torn or glitched read) would be a 32-bit
 * wrap: 2^32 units, 262 kJ at ESU 14.  No domain draws 10 kW: the read is
 * refused, the accumulator keeps its base, and a counter that stays there
 * is taken as the new base after three refusals.
 */
Test(msr, energy_step_implying_over_10kw_is_a_bad_read)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *pkg;
	int64_t v1, v = 0;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_wr(&fx, 0, PKG_ENERGY, 0x100000); /* 64 J */
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	pkg = chan(&p, NULL, "package-0-energy");
	v1 = rd(pkg);

	fx_wr(&fx, 0, PKG_ENERGY, 0x0FFFFF); /* one unit back */
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 100000000u, &v), -EIO);
	/* 200 ms later the counter is sane again: judged against the old base */
	fx_wr(&fx, 0, PKG_ENERGY, 0x100000 + 0x4000 / 8); /* +0.125 J: 0.6 W */
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 200000000u, &v), 0);
	cr_assert_eq(v - v1, 125000, "0x800 units of 2^-14 J = %lld µJ", (long long)(v - v1));

	/* 5 kW for 100 ms (500 J) is accepted; 3500 J more is not, even over 300 ms */
	rd_clock_ns += 200000000u;
	fx_wr(&fx, 0, PKG_ENERGY, 0x100000 + 0x4000 / 8 + 500 * 0x4000);
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 100000000u, &v), 0);
	rd_clock_ns += 100000000u;
	v1 = v;
	fx_wr(&fx, 0, PKG_ENERGY, 0x100000 + 0x4000 / 8 + 4000 * 0x4000);
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 100000000u, &v), -EIO);
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 200000000u, &v), -EIO);
	/* third refusal in a row: re-based there, nothing added */
	cr_assert_eq(pkg->ops->read(pkg, rd_clock_ns + 300000000u, &v), 0);
	cr_assert_eq(v, v1);
	rd_clock_ns += 300000000u;
	fx_wr(&fx, 0, PKG_ENERGY, 0x100000 + 0x4000 / 8 + 4000 * 0x4000 + 0x4000);
	cr_assert_eq(rd(pkg) - v1, 1000000, "1 J over 1 s after the re-base");
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, smi_count_from_0x34_with_wrap)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_wr(&fx, 0, SMI_COUNT, UINT64_C(0x12345678FFFFFFF0));
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	c = chan(&p, "msr/cpu0", "smi");
	cr_assert_not_null(c);
	cr_assert_eq(c->desc.kind, SOV_KIND_SMI_COUNT);
	cr_assert_eq(c->desc.unit, SOV_UNIT_COUNT);
	cr_assert(c->desc.flags & SOV_SEN_COUNTER);
	cr_assert_str_eq(c->desc.label, "SMIs");
	cr_assert_eq(rd(c), INT64_C(0xFFFFFFF0));
	fx_wr(&fx, 0, SMI_COUNT, 5); /* wrapped: 0x10 + 5 more */
	cr_assert_eq(rd(c), INT64_C(0xFFFFFFF0) + 0x15);
	probed_free(&p);
	fx_rm(&fx);
}

/* amd_core_raw() - the core counter a fixture of fx_amd() holds (overlap). */
static uint32_t amd_core_raw(unsigned esu, uint32_t pkg)
{
	return esu | (pkg & 0xFFFFFFu) << 8;
}

Test(msr, amd_genoa_package_and_core_energy_no_temp_no_smi)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *pkg, *core;

	fx_init(&fx);
	fx_amd(&fx, 0x19, 0x11, 16, 0x00400000);
	cr_assert_eq(amd_core_raw(16, 0x00400000), 0x40000010u);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(p.list.n, 2, "package and core energy only, got %zu channels", p.list.n);
	pkg = chan(&p, "msr/cpu0", "package-0-energy");
	core = chan(&p, "msr/cpu0", "core-0-energy");
	cr_assert_not_null(pkg);
	cr_assert_not_null(core);
	cr_assert_null(chan(&p, NULL, "smi"), "no MSR 0x34 on AMD");
	cr_assert_null(chan(&p, NULL, "package-0-temp"), "no temperature MSR on AMD");
	cr_assert_null(chan(&p, NULL, "core-0-temp"));
	cr_assert_eq(core->desc.kind, SOV_KIND_ENERGY);
	cr_assert_str_eq(core->desc.label, "core");

	cr_assert_eq(rd(pkg), 64000000);             /* 0x400000 / 2^16 J */
	cr_assert_eq(rd(core), INT64_C(16384000244)); /* 0x40000010 / 2^16 J, in µJ */

	fx_wr(&fx, 0, AMD_PKG_ENERGY, 0x00410000); /* + 1 J; core + 0x01000000 */
	cr_assert_eq(rd(pkg), 65000000);
	cr_assert_eq(rd(core), INT64_C(16640000244));
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, amd_bergamo_esu14)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_amd(&fx, 0x19, 0xA0, 14, 0x8000);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(p.list.n, 2);
	cr_assert_eq(rd(chan(&p, NULL, "package-0-energy")), 2000000);
	/* 0x0080000E units of 2^-14 J: 512 J + 14/16384 J */
	cr_assert_eq(amd_core_raw(14, 0x8000), 0x0080000Eu);
	cr_assert_eq(rd(chan(&p, NULL, "core-0-energy")), 512000854);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, missing_domains_add_no_channel)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_wr(&fx, 0, DRAM_ENERGY, 0);      /* reads, but 0: absent */
	fx_truncate(&fx, 0, DRAM_ENERGY + 8); /* PP0 0x639 beyond the end: EIO */
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_not_null(chan(&p, NULL, "package-0-energy"));
	cr_assert_null(chan(&p, NULL, "dram-0-energy"));
	cr_assert_null(chan(&p, NULL, "pp0-0-energy"));
	cr_assert_eq(p.list.n, 3, "temp, package energy, smi");
	probed_free(&p);

	/* AMD: a zero package counter adds no package channel */
	fx_amd(&fx, 0x19, 0x11, 16, 0);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_null(chan(&p, NULL, "package-0-energy"));
	cr_assert_not_null(chan(&p, NULL, "core-0-energy")); /* 0x10: non-zero */
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, failed_read_is_an_error_never_a_value)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *pkg, *pp0;
	int64_t v = 4242;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	pkg = chan(&p, NULL, "package-0-energy");
	pp0 = chan(&p, NULL, "pp0-0-energy");
	cr_assert_eq(rd(pkg), 5000000);
	fx_truncate(&fx, 0, PKG_ENERGY + 4); /* the register now reads 4 bytes */
	cr_assert_eq(pkg->ops->read(pkg, 0, &v), -EIO);
	cr_assert_eq(pp0->ops->read(pp0, 0, &v), -EIO); /* reads 0 bytes */
	cr_assert_eq(v, 4242);
	cr_assert_eq(rd(chan(&p, NULL, "smi")), 7, "lower registers still read");
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, missing_device_is_enodev_with_reason)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 1, NULL);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), -ENODEV);
	cr_assert(strstr(p.err.msg, "/dev/cpu/0/msr"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "modprobe msr"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);
	fx_rm(&fx);
}

/* drop_dac() - lose CAP_DAC_OVERRIDE/READ_SEARCH so that root obeys modes (this test's process only). */
static void drop_dac(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	cr_assert_eq(syscall(SYS_capget, &h, d), 0);
	d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
	cr_assert_eq(syscall(SYS_capset, &h, d), 0, "capset: %s", strerror(errno));
}

Test(msr, unreadable_device_needs_cap_sys_rawio)
{
	struct fx fx;
	struct probed p;
	char path[PATH_MAX];

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	snprintf(path, sizeof(path), "%s/dev/cpu/0/msr", fx.root);
	cr_assert_eq(chmod(path, 0), 0);
	drop_dac(); /* Criterion runs each test in its own process */
	/* A missing privilege: skipped with a note (-ENODEV), the sampler goes on. */
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), -ENODEV, "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "needs CAP_SYS_RAWIO"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);
	cr_assert_eq(chmod(path, 0600), 0);
	fx_rm(&fx);
}

Test(msr, unknown_vendor_or_family_is_enodev)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_msr_create(&fx, 0);
	fx_wr(&fx, 0, SMI_COUNT, 7);
	fx_cpuinfo(&fx, "CentaurHauls", 7, 0x3B, 1, NULL);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), -ENODEV);
	cr_assert(strstr(p.err.msg, "CentaurHauls"), "%s", p.err.msg);
	probed_free(&p);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x15, 0x02, 1, NULL); /* Bulldozer: no Zen RAPL */
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), -ENODEV);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, only_the_housekeeping_cpus_device_is_opened)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 2, NULL);
	fx_msr_create(&fx, 1);
	fx_wr(&fx, 1, SMI_COUNT, 9);

	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(fds_to("/dev/cpu/0/msr"), 1, "one fd, shared by all channels");
	cr_assert_eq(fds_to("/dev/cpu/1/msr"), 0, "no IPIs to cpu 1");
	cr_assert_null(chan(&p, "msr/cpu1", "smi"));
	probed_free(&p);
	cr_assert_eq(fds_to("/dev/cpu/0/msr"), 0, "remove() closed it");

	/* the "cpu" key moves the whole backend */
	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ncpu = 1\n", &p), 0, "%s", p.err.msg);
	cr_assert_eq(fds_to("/dev/cpu/0/msr"), 0);
	cr_assert_eq(fds_to("/dev/cpu/1/msr"), 1);
	cr_assert_eq(rd(chan(&p, "msr/cpu1", "smi")), 9);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, cpus_key_opens_other_cpus_and_labels_them)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;
	static const int same_pkg[] = { 0, 0 }, two_pkgs[] = { 0, 1 };

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 2, same_pkg);
	fx_msr_create(&fx, 1);
	fx_wr(&fx, 1, SMI_COUNT, 9);
	fx_wr(&fx, 1, RAPL_POWER_UNIT, UNIT_ESU(14));
	fx_wr(&fx, 1, PKG_ENERGY, UINT64_C(7) << 14);

	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ncpus = 0,1\n", &p), 0, "%s", p.err.msg);
	cr_assert_eq(fds_to("/dev/cpu/1/msr"), 1);
	c = chan(&p, "msr/cpu1", "smi");
	cr_assert_not_null(c);
	cr_assert_str_eq(c->desc.labels, "cpu=1");
	cr_assert_eq(rd(c), 9);
	cr_assert_eq(rd(chan(&p, "msr/cpu0", "smi")), 7);
	/* same package: its package-scope registers are read once, through cpu 0 */
	cr_assert_null(chan(&p, "msr/cpu1", "package-0-energy"));
	probed_free(&p);
	cr_assert_eq(fds_to("/dev/cpu/1/msr"), 0);

	/* a second package gets its own package channels through its cpu */
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 2, two_pkgs);
	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ncpus = 1\n", &p), 0, "%s", p.err.msg);
	cr_assert_eq(rd(chan(&p, "msr/cpu1", "package-1-energy")), 7000000);
	cr_assert_eq(rd(chan(&p, "msr/cpu0", "package-0-energy")), 5000000);
	probed_free(&p);
	fx_rm(&fx);
}

Test(msr, config_errors_name_file_and_line)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ncpus = 0,x1\n", &p), -EINVAL);
	cr_assert(strstr(p.err.msg, "test.ini:2"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "x1"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);
	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\n\ntjmax = 300\n", &p), -EINVAL);
	cr_assert(strstr(p.err.msg, "test.ini:3"), "%s", p.err.msg);
	probed_free(&p);
	/* a cpu that cpuinfo does not list */
	cr_assert_eq(probe(&fx, "msr", 0, "[msr]\ncpus = 5\n", &p), -ENOENT);
	cr_assert(strstr(p.err.msg, "no processor 5"), "%s", p.err.msg);
	cr_assert_eq(fds_to("/dev/cpu/0/msr"), 0, "nothing left open");
	probed_free(&p);
	fx_rm(&fx);
}

/* Degrades, never dies: no proc/cpuinfo, or none for the housekeeping CPU. */
Test(msr, no_cpuinfo_is_enodev_with_a_note)
{
	struct fx fx;
	struct probed p;
	char path[PATH_MAX];

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", fx.root);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(probe(&fx, "msr", 0, NULL, &p), -ENODEV, "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "msr: skipped"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "proc/cpuinfo"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	cr_assert_eq(fds_to("/dev/cpu/0/msr"), 0, "nothing left open");
	probed_free(&p);
	/* cpuinfo without the housekeeping CPU */
	fx_cpuinfo(&fx, "GenuineIntel", 6, MODEL_SKX, 1, NULL);
	cr_assert_eq(probe(&fx, "msr", 3, NULL, &p), -ENODEV, "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "no processor 3"), "%s", p.err.msg);
	probed_free(&p);
	fx_rm(&fx);
}

/* The same through the sampler: it starts, and says why msr is missing. */
Test(msr, sampler_starts_without_cpuinfo)
{
	char text[512], seg[64], path[PATH_MAX];
	struct rt_config cfg;
	struct sampler_opts o;
	struct sampler *s = NULL;
	struct rt_err err;
	size_t i, said = 0;
	struct fx fx;
	int rc;

	fx_init(&fx);
	fx_intel(&fx, MODEL_SKX, 14);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", fx.root);
	cr_assert_eq(unlink(path), 0);
	snprintf(seg, sizeof(seg), "/sov-msr-nocpuinfo-%d", (int)getpid());
	snprintf(text, sizeof(text), "[sampler]\nperiod_ms = 10\njournal = no\nroot = %s\n"
		 "segment = %s\n", fx.root, seg);
	cr_assert_eq(rt_config_parse_string(text, "test.conf", &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0, "%s", err.msg);
	rc = sampler_create(&cfg, &o, &s, &err);
	rt_config_free(&cfg);
	cr_assert_eq(rc, 0, "the sampler died for want of /proc/cpuinfo: %s", err.msg);
	for (i = 0; sampler_note(s, i); i++)
		said += strstr(sampler_note(s, i), "msr: skipped") != NULL;
	cr_expect_eq(said, 1, "the note that msr was skipped");
	sampler_destroy(s);
	sov_shm_unlink(seg);
	fx_rm(&fx);
}
