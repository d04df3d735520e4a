/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_powercap.c - Criterion tests of the powercap backend (rt/powercap.c)
 * against a fake /sys/class/powercap built at run time: zone naming, µJ
 * accumulation across the max_energy_range_uj wrap, errors, descriptors.
 */
#include "fixture.h"

#define RAPL_DEV   "sys/devices/virtual/powercap/intel-rapl"
#define MAX_RANGE  262143328850ull   /* 0xFFFFFFFF * 61035 pJ / 1000 (ESU 14) */

static void fx_zone(const char *dev_rel, const char *class_name, const char *name,
		    const char *energy)
{
	char rel[PATH_MAX], tgt[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/name", dev_rel);
	fx_file(rel, name);
	snprintf(rel, sizeof(rel), "%s/energy_uj", dev_rel);
	fx_file(rel, energy);
	snprintf(rel, sizeof(rel), "%s/max_energy_range_uj", dev_rel);
	fx_file(rel, "262143328850\n");
	snprintf(rel, sizeof(rel), "%s/enabled", dev_rel);
	fx_file(rel, "1\n");
	snprintf(rel, sizeof(rel), "sys/class/powercap/%s", class_name);
	snprintf(tgt, sizeof(tgt), "../../%s", dev_rel + strlen("sys/"));
	fx_link(rel, tgt);
}

static void setup(void)
{
	fx_setup();
	/* the control type: no energy_uj, not a zone */
	fx_file(RAPL_DEV "/enabled", "1\n");
	fx_link("sys/class/powercap/intel-rapl", "../../devices/virtual/powercap/intel-rapl");
	fx_zone(RAPL_DEV "/intel-rapl:0", "intel-rapl:0", "package-0\n", "1000000\n");
	fx_zone(RAPL_DEV "/intel-rapl:0/intel-rapl:0:0", "intel-rapl:0:0", "dram\n", "5000\n");
	fx_zone(RAPL_DEV "/intel-rapl:1", "intel-rapl:1", "psys\n", "77\n");
}

TestSuite(powercap, .init = setup, .fini = fx_teardown);

Test(powercap, channel_set)
{
	static const char *const names[] = { "package-0", "package-0/dram", "psys" };
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	cr_assert_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 3, "got %zu", l.n);
	for (i = 0; i < 3; i++) {
		const struct sov_sensor *d = &l.chan[i].desc;

		cr_expect_str_eq(d->name, names[i]);
		cr_expect_str_eq(d->label, names[i]);
		cr_expect_str_eq(d->chip, "powercap/intel-rapl");
		cr_expect_eq(d->kind, SOV_KIND_ENERGY);
		cr_expect_eq(d->unit, SOV_UNIT_MICROJOULE);
		cr_expect_eq(d->source, SOV_SRC_POWERCAP);
		cr_expect_eq(d->flags, SOV_SEN_COUNTER);
	}
	rt_chan_list_free(&l);
}

Test(powercap, accumulates_across_wrap)
{
	struct rt_chan_list l;
	struct rt_chan *pkg;
	struct rt_err err;
	char v1[32];
	int64_t v;

	cr_assert_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	pkg = fx_find(&l, "powercap/intel-rapl", "package-0");
	cr_assert(pkg);
	/* primed at probe: the accumulator counts from there */
	cr_assert_eq(fx_read(pkg, &v), 0);
	cr_assert_eq(v, 0);
	fx_set(RAPL_DEV "/intel-rapl:0/energy_uj", "1250000\n");
	cr_assert_eq(fx_read(pkg, &v), 0);
	cr_assert_eq(v, 250000);
	snprintf(v1, sizeof(v1), "%llu\n", MAX_RANGE - 100);
	fx_set(RAPL_DEV "/intel-rapl:0/energy_uj", v1);
	cr_assert_eq(fx_read(pkg, &v), 0);
	cr_assert_eq(v, (int64_t)(MAX_RANGE - 100 - 1000000));
	/* wrapped: 100 to the top, 1 to reach 0, then 50 (docs/hardware.md §R4.2, wrap.h) */
	fx_set(RAPL_DEV "/intel-rapl:0/energy_uj", "50\n");
	cr_assert_eq(fx_read(pkg, &v), 0);
	cr_assert_eq(v, (int64_t)(MAX_RANGE - 100 - 1000000 + 151));
	fx_set(RAPL_DEV "/intel-rapl:0/energy_uj", "60");
	cr_assert_eq(fx_read(pkg, &v), 0);
	cr_assert_eq(v, (int64_t)(MAX_RANGE - 100 - 1000000 + 161));
	rt_chan_list_free(&l);
}

Test(powercap, invalid_readings_are_errors)
{
	static const char *const bad[] = { "garbage\n", "", "-5\n", "12x\n", "262143328851\n" };
	struct rt_chan_list l;
	struct rt_chan *dram;
	struct rt_err err;
	size_t i;
	int64_t v;

	cr_assert_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	dram = fx_find(&l, "powercap/intel-rapl", "package-0/dram");
	cr_assert(dram);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 999;
		fx_set(RAPL_DEV "/intel-rapl:0/intel-rapl:0:0/energy_uj", bad[i]);
		cr_expect_eq(fx_read(dram, &v), -EIO, "'%s'", bad[i]);
		cr_expect_eq(v, 999);
	}
	/* a bad read does not disturb the accumulator */
	fx_set(RAPL_DEV "/intel-rapl:0/intel-rapl:0:0/energy_uj", "6000\n");
	cr_expect_eq(fx_read(dram, &v), 0);
	cr_expect_eq(v, 1000);
	rt_chan_list_free(&l);
}

/* Degrades, never dies: the zone is left out with a clear note, the others are read. */
Test(powercap, unreadable_energy_is_skipped_with_a_clear_note)
{
	struct rt_chan_list l;
	struct rt_err err;
	char p[PATH_MAX];
	int before = fx_count_fds();

	/* A directory opens O_RDONLY but cannot be read: the trial read catches it. */
	fx_path(p, sizeof(p), RAPL_DEV "/intel-rapl:1/energy_uj");
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	cr_expect_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect(strstr(err.msg, "intel-rapl:1/energy_uj"), "%s", err.msg);
	cr_expect(strstr(err.msg, "cannot read"), "%s", err.msg);
	cr_expect_eq(l.n, 2, "package-0 and its dram are still read");
	rt_chan_list_free(&l);
	cr_expect_eq(fx_count_fds(), before, "descriptors leaked on the error path");
}

Test(powercap, missing_max_range_is_skipped_with_a_note)
{
	struct rt_chan_list l;
	struct rt_err err;
	char p[PATH_MAX];

	fx_path(p, sizeof(p), RAPL_DEV "/intel-rapl:0/max_energy_range_uj");
	cr_assert_eq(unlink(p), 0);
	cr_expect_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect(strstr(err.msg, "max_energy_range_uj"), "%s", err.msg);
	cr_expect_eq(l.n, 2, "the other zones are read");
	rt_chan_list_free(&l);
}

Test(powercap, zones_filter_and_bad_config)
{
	struct rt_chan_list l;
	struct rt_err err;

	cr_assert_eq(fx_probe("powercap", "[powercap]\nzones = package-?, */dram\n", &l, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.chan[0].desc.name, "package-0");
	cr_expect_str_eq(l.chan[1].desc.name, "package-0/dram");
	rt_chan_list_free(&l);

	cr_expect_lt(fx_probe("powercap", "[powercap]\n\nzones = package-[01]\n", &l, &err), 0);
	cr_expect(strstr(err.msg, "test.ini:3: [powercap] zones:"), "%s", err.msg);
	rt_chan_list_free(&l);
	cr_expect_lt(fx_probe("powercap", "[powercap]\nperiod_ms = fast\n", &l, &err), 0);
	cr_expect(strstr(err.msg, "test.ini:2: [powercap] period_ms:"), "%s", err.msg);
	rt_chan_list_free(&l);
}

Test(powercap, descriptors_closed_after_free)
{
	struct rt_chan_list l;
	struct rt_err err;
	int before = fx_count_fds();

	cr_assert_eq(fx_probe("powercap", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect_eq(fx_count_fds(), before + 3);
	rt_chan_list_free(&l);
	cr_expect_eq(fx_count_fds(), before);
}

Test(powercap, no_powercap_class_is_enodev)
{
	struct rt_chan_list l;
	struct rt_err err;

	fx_teardown();
	fx_setup();
	cr_expect_eq(fx_probe("powercap", NULL, &l, &err), -ENODEV);
	cr_expect_eq(l.n, 0);
	rt_chan_list_free(&l);
}

Test(powercap, registration)
{
	const struct sensor_ops *ops = rt_backend_find("powercap");

	cr_assert(ops);
	cr_expect_eq(ops->source, SOV_SRC_POWERCAP);
	cr_expect_eq(ops->min_period_ms, 1);
	cr_expect(ops->default_enabled);
}
