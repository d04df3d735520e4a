/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hwmon.c - Criterion tests of the hwmon backend (rt/hwmon.c) against
 * a fake /sys tree built at run time: channel set, values, limits, stable
 * chip names across hwmonN renumbering, config, bad readings, descriptors,
 * which chips the loop reads and which the worker, coretemp channels of
 * other CPUs, and what the probe skips (with a note) instead of failing.
 */
#include "fixture.h"

/*
 * The fixture: five chips under /sys/devices reached through
 * /sys/class/hwmon/hwmonN symlinks (as the kernel lays them out), and one
 * virtual chip as a plain directory with no device link.
 */
struct fx_chip {
	const char *dev;          /* device dir below sys/devices, NULL: virtual */
	const char *files[24];    /* "attr=value" */
};

static const struct fx_chip fx_chips[] = {
	{ "pci0000:00/0000:00:18.3", {
		"name=k10temp\n",
		"temp1_input=45250\n", "temp1_label=Tctl\n",
		"temp3_input=40125\n", "temp3_label=Tccd1\n",
		"temp4_input=41000\n", "temp4_label=Tccd2\n",
	} },
	{ "platform/coretemp.0", {
		"name=coretemp\n",
		"temp1_input=55000\n", "temp1_label=Package id 0\n",
		"temp1_max=80000\n", "temp1_crit=100000\n", "temp1_crit_alarm=0\n",
		"temp2_input=50000\n", "temp2_label=Core 0\n",
		"temp2_max=80000\n", "temp2_crit=100000\n",
		/* core id 5 is CPU 5's: reading it interrupts CPU 5 (rdmsr_on_cpu) */
		"temp7_input=52000\n", "temp7_label=Core 5\n",
		"temp7_max=80000\n", "temp7_crit=100000\n",
	} },
	{ "pci0000:00/0000:00:1f.3/i2c-3/3-0018", {
		"name=jc42\n",
		"temp1_input=-1250\n", "temp1_max=85000\n", "temp1_crit=95000\n",
		"temp1_min=0\n", "temp1_crit_hyst=94000\n", "temp1_max_alarm=0\n",
	} },
	{ "platform/nct6775.656", {
		"name=nct6775\n",
		"in0_input=1000\n", "in0_min=900\n", "in0_max=1100\n",
		"in1_input=3312\n", "in2_input=12100\n",
		"fan1_input=1200\n", "fan1_min=300\n", "fan2_input=0\n",
		"pwm1=128\n", "pwm1_enable=1\n", "pwm1_mode=1\n",
		"temp1_input=30000\n", "temp1_label=  SYSTIN \n",
		"intrusion0_alarm=0\n",
	} },
	{ "pci0000:00/0000:00:1f.3/i2c-3/3-0040", {
		"name=pmbus\n",
		"power1_input=120000000\n", "power1_label=pin\n",
		"curr1_input=10000\n", "curr1_label=iin\n",
		"in1_input=12000\n", "in1_label=vin\n",
		"energy1_input=5000000000000\n",
	} },
	{ NULL, {
		"name=acpitz\n",
		"temp1_input=27800\n",
	} },
};

#define FX_NCHIPS (sizeof(fx_chips) / sizeof(fx_chips[0]))

/* The default hwmonN of each chip, and a renumbered set (as after another boot). */
static const int fx_nr_boot1[FX_NCHIPS] = { 3, 1, 5, 2, 4, 0 };
static const int fx_nr_boot2[FX_NCHIPS] = { 11, 7, 0, 9, 2, 5 };

/* Attribute path of chip @c relative to the root (where the files really live). */
static void fx_chip_dir(char *buf, size_t len, size_t c, int nr)
{
	if (fx_chips[c].dev)
		snprintf(buf, len, "sys/devices/%s/hwmon/hwmon%d", fx_chips[c].dev, nr);
	else
		snprintf(buf, len, "sys/class/hwmon/hwmon%d", nr);
}

/* proc/cpuinfo: one package, CPUs 0..7 with core ids 0..7 (no SMT). */
static void fx_cpuinfo(void)
{
	char text[2048];
	size_t used = 0;
	int i;

	for (i = 0; i < 8; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "processor\t: %d\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n"
					 "model\t\t: 143\nphysical id\t: 0\ncore id\t\t: %d\n\n", i, i);
	fx_file("proc/cpuinfo", text);
}

static void fx_build(const int *nr)
{
	char dir[PATH_MAX], rel[PATH_MAX], tgt[PATH_MAX];
	size_t c, f;

	fx_cpuinfo();
	for (c = 0; c < FX_NCHIPS; c++) {
		fx_chip_dir(dir, sizeof(dir), c, nr[c]);
		fx_mkdirs(dir, true);
		for (f = 0; f < 24 && fx_chips[c].files[f]; f++) {
			const char *kv = fx_chips[c].files[f], *eq = strchr(kv, '=');

			snprintf(rel, sizeof(rel), "%s/%.*s", dir, (int)(eq - kv), kv);
			fx_file(rel, eq + 1);
		}
		if (!fx_chips[c].dev)
			continue;
		/* <dev>/hwmon/hwmonN/device -> ../../../<last component of dev> */
		snprintf(rel, sizeof(rel), "%s/device", dir);
		snprintf(tgt, sizeof(tgt), "../../../%s", strrchr(fx_chips[c].dev, '/') + 1);
		fx_link(rel, tgt);
		snprintf(rel, sizeof(rel), "sys/class/hwmon/hwmon%d", nr[c]);
		snprintf(tgt, sizeof(tgt), "../../devices/%s/hwmon/hwmon%d", fx_chips[c].dev, nr[c]);
		fx_link(rel, tgt);
	}
}

/* Rewrite attribute @attr of chip @c (boot-1 numbering) in place. */
static void fx_chip_set(size_t c, const char *attr, const char *text)
{
	char dir[PATH_MAX], rel[PATH_MAX];

	fx_chip_dir(dir, sizeof(dir), c, fx_nr_boot1[c]);
	snprintf(rel, sizeof(rel), "%s/%s", dir, attr);
	fx_set(rel, text);
}

static void setup(void)
{
	fx_setup();
	fx_build(fx_nr_boot1);
}

TestSuite(hwmon, .init = setup, .fini = fx_teardown);

/* Expected channel table, in table order: chips by chip string, channels by type then number. */
static const struct fx_expect {
	const char *chip, *name, *label, *labels;
	uint16_t kind, unit, flags;
	int64_t warn_hi, crit_hi, warn_lo, crit_lo, value;
} fx_expect[] = {
#define T SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS
#define HI (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI)
	{ "acpitz", "temp1", "temp1", "", T, 0, 0, 0, 0, 0, 27800 },
	/* read on CPU 0, the housekeeping CPU; "Core 5" (CPU 5) is not read */
	{ "coretemp/coretemp.0", "temp1", "Package id 0", "cpu=0", T, HI, 80000, 100000, 0, 0, 55000 },
	{ "coretemp/coretemp.0", "temp2", "Core 0", "cpu=0", T, HI, 80000, 100000, 0, 0, 50000 },
	{ "jc42/3-0018", "temp1", "temp1", "bus=3,addr=0x18", T, HI | SOV_SEN_WARN_LO,
	  85000, 95000, 0, 0, -1250 },
	{ "k10temp/0000:00:18.3", "temp1", "Tctl", "", T, 0, 0, 0, 0, 0, 45250 },
	{ "k10temp/0000:00:18.3", "temp3", "Tccd1", "", T, 0, 0, 0, 0, 0, 40125 },
	{ "k10temp/0000:00:18.3", "temp4", "Tccd2", "", T, 0, 0, 0, 0, 0, 41000 },
	{ "nct6775/nct6775.656", "temp1", "SYSTIN", "", T, 0, 0, 0, 0, 0, 30000 },
	{ "nct6775/nct6775.656", "in0", "in0", "", SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT,
	  SOV_SEN_WARN_HI | SOV_SEN_WARN_LO, 1100, 0, 900, 0, 1000 },
	{ "nct6775/nct6775.656", "in1", "in1", "", SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT,
	  0, 0, 0, 0, 0, 3312 },
	{ "nct6775/nct6775.656", "in2", "in2", "", SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT,
	  0, 0, 0, 0, 0, 12100 },
	{ "nct6775/nct6775.656", "fan1", "fan1", "", SOV_KIND_FAN_RPM, SOV_UNIT_RPM,
	  SOV_SEN_WARN_LO, 0, 0, 300, 0, 1200 },
	/* a stalled fan reads 0: a value, not an error */
	{ "nct6775/nct6775.656", "fan2", "fan2", "", SOV_KIND_FAN_RPM, SOV_UNIT_RPM,
	  0, 0, 0, 0, 0, 0 },
	/* pwm 128/255 -> 502 per-mille (501.96 rounded) */
	{ "nct6775/nct6775.656", "pwm1", "pwm1", "", SOV_KIND_FAN_DUTY, SOV_UNIT_PERMILLE,
	  0, 0, 0, 0, 0, 502 },
	{ "pmbus/3-0040", "in1", "vin", "bus=3,addr=0x40", SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT,
	  0, 0, 0, 0, 0, 12000 },
	{ "pmbus/3-0040", "curr1", "iin", "bus=3,addr=0x40", SOV_KIND_CURRENT, SOV_UNIT_MILLIAMPERE,
	  0, 0, 0, 0, 0, 10000 },
	{ "pmbus/3-0040", "power1", "pin", "bus=3,addr=0x40", SOV_KIND_POWER, SOV_UNIT_MICROWATT,
	  0, 0, 0, 0, 0, 120000000 },
	{ "pmbus/3-0040", "energy1", "energy1", "bus=3,addr=0x40", SOV_KIND_ENERGY,
	  SOV_UNIT_MICROJOULE, SOV_SEN_COUNTER, 0, 0, 0, 0, 5000000000000 },
#undef T
#undef HI
};

#define FX_NEXPECT (sizeof(fx_expect) / sizeof(fx_expect[0]))

Test(hwmon, channel_set)
{
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, FX_NEXPECT, "got %zu channels", l.n);
	for (i = 0; i < FX_NEXPECT; i++) {
		const struct sov_sensor *d = &l.chan[i].desc;
		const struct fx_expect *e = &fx_expect[i];

		cr_expect_str_eq(d->chip, e->chip, "[%zu]", i);
		cr_expect_str_eq(d->name, e->name, "[%zu] %s", i, e->chip);
		cr_expect_str_eq(d->label, e->label, "[%zu] %s/%s", i, e->chip, e->name);
		cr_expect_str_eq(d->labels, e->labels, "[%zu] %s/%s", i, e->chip, e->name);
		cr_expect_eq(d->kind, e->kind, "[%zu] %s/%s kind", i, e->chip, e->name);
		cr_expect_eq(d->unit, e->unit, "[%zu] %s/%s unit", i, e->chip, e->name);
		cr_expect_eq(d->source, SOV_SRC_HWMON);
		cr_expect_eq(d->flags, e->flags, "[%zu] %s/%s flags %#x", i, e->chip, e->name, d->flags);
		if (e->flags & SOV_SEN_WARN_HI)
			cr_expect_eq(d->warn_hi, e->warn_hi, "%s/%s", e->chip, e->name);
		if (e->flags & SOV_SEN_CRIT_HI)
			cr_expect_eq(d->crit_hi, e->crit_hi, "%s/%s", e->chip, e->name);
		if (e->flags & SOV_SEN_WARN_LO)
			cr_expect_eq(d->warn_lo, e->warn_lo, "%s/%s", e->chip, e->name);
		cr_expect_neq(d->id, 0u);
		/* Only k10temp and coretemp read locally and fast: the worker reads the rest. */
		cr_expect_eq(l.chan[i].slow, strncmp(e->chip, "k10temp/", 8) &&
					     strncmp(e->chip, "coretemp/", 9), "[%zu] %s slow", i, e->chip);
	}
	/* pwm1_enable, pwm1_mode, intrusion0_alarm, *_alarm, *_crit_hyst are not channels. */
	cr_expect_null(fx_find(&l, "nct6775/nct6775.656", "intrusion0"));
	rt_chan_list_free(&l);
}

Test(hwmon, values)
{
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, FX_NEXPECT);
	for (i = 0; i < FX_NEXPECT; i++) {
		int64_t v = -42;

		cr_expect_eq(fx_read(&l.chan[i], &v), 0, "%s/%s", fx_expect[i].chip, fx_expect[i].name);
		cr_expect_eq(v, fx_expect[i].value, "%s/%s: %lld != %lld", fx_expect[i].chip,
			     fx_expect[i].name, (long long)v, (long long)fx_expect[i].value);
	}
	rt_chan_list_free(&l);
}

Test(hwmon, value_changes_on_held_fd)
{
	struct rt_chan_list l;
	struct rt_chan *t, *p;
	struct rt_err err;
	int64_t v;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	t = fx_find(&l, "k10temp/0000:00:18.3", "temp1");
	p = fx_find(&l, "nct6775/nct6775.656", "pwm1");
	cr_assert(t && p);
	cr_assert_eq(fx_read(t, &v), 0);
	cr_assert_eq(v, 45250);
	fx_chip_set(0, "temp1_input", "-40500\n");
	cr_assert_eq(fx_read(t, &v), 0);
	cr_assert_eq(v, -40500);
	fx_chip_set(0, "temp1_input", "101000"); /* no newline: still a number */
	cr_assert_eq(fx_read(t, &v), 0);
	cr_assert_eq(v, 101000);
	fx_chip_set(3, "pwm1", "255\n");
	cr_assert_eq(fx_read(p, &v), 0);
	cr_assert_eq(v, 1000);
	fx_chip_set(3, "pwm1", "0\n");
	cr_assert_eq(fx_read(p, &v), 0);
	cr_assert_eq(v, 0);
	fx_chip_set(3, "pwm1", "1\n");
	cr_assert_eq(fx_read(p, &v), 0);
	cr_assert_eq(v, 4); /* 3.92 rounded */
	rt_chan_list_free(&l);
}

Test(hwmon, energy_accumulates_and_survives_reset)
{
	struct rt_chan_list l;
	struct rt_chan *e;
	struct rt_err err;
	int64_t v;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	e = fx_find(&l, "pmbus/3-0040", "energy1");
	cr_assert(e);
	cr_assert_eq(fx_read(e, &v), 0);
	cr_assert_eq(v, 5000000000000);
	fx_chip_set(4, "energy1_input", "5000000001000\n");
	cr_assert_eq(fx_read(e, &v), 0);
	cr_assert_eq(v, 5000000001000);
	/* the device restarted: the counter starts again from 0 -> +700 */
	fx_chip_set(4, "energy1_input", "700\n");
	cr_assert_eq(fx_read(e, &v), 0);
	cr_assert_eq(v, 5000000001700);
	fx_chip_set(4, "energy1_input", "800\n");
	cr_assert_eq(fx_read(e, &v), 0);
	cr_assert_eq(v, 5000000001800);
	rt_chan_list_free(&l);
}

Test(hwmon, renumbered_hwmon_keeps_chip_names_and_ids)
{
	struct rt_chan_list a, b;
	struct rt_err err;
	size_t i;

	cr_assert_eq(fx_probe("hwmon", NULL, &a, &err), 0, "%s", err.msg);
	/* Another boot: every chip registered in another order. */
	fx_teardown();
	fx_setup();
	fx_build(fx_nr_boot2);
	cr_assert_eq(fx_probe("hwmon", NULL, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(a.n, FX_NEXPECT);
	cr_assert_eq(b.n, a.n);
	for (i = 0; i < a.n; i++) {
		cr_expect_str_eq(b.chan[i].desc.chip, a.chan[i].desc.chip);
		cr_expect_str_eq(b.chan[i].desc.name, a.chan[i].desc.name);
		cr_expect_eq(b.chan[i].desc.id, a.chan[i].desc.id, "%s/%s", a.chan[i].desc.chip,
			     a.chan[i].desc.name);
	}
	rt_chan_list_free(&a);
	rt_chan_list_free(&b);
}

Test(hwmon, duplicate_chip_strings_are_disambiguated_by_device_path)
{
	struct rt_chan_list l;
	struct rt_err err;

	/* Same driver, same last device component "x": b/x registered first. */
	fx_teardown();
	fx_setup();
	fx_file("sys/devices/b/x/hwmon/hwmon0/name", "dimmtemp\n");
	fx_file("sys/devices/b/x/hwmon/hwmon0/temp1_input", "2000\n");
	fx_link("sys/devices/b/x/hwmon/hwmon0/device", "../../../x");
	fx_link("sys/class/hwmon/hwmon0", "../../devices/b/x/hwmon/hwmon0");
	fx_file("sys/devices/a/x/hwmon/hwmon1/name", "dimmtemp\n");
	fx_file("sys/devices/a/x/hwmon/hwmon1/temp1_input", "1000\n");
	fx_link("sys/devices/a/x/hwmon/hwmon1/device", "../../../x");
	fx_link("sys/class/hwmon/hwmon1", "../../devices/a/x/hwmon/hwmon1");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.chan[0].desc.chip, "dimmtemp/x");
	cr_expect_str_eq(l.chan[1].desc.chip, "dimmtemp/x#2");
	cr_expect_neq(l.chan[0].desc.id, l.chan[1].desc.id);
	{
		int64_t v;

		/* a/x sorts first, whatever its hwmon number */
		cr_assert_eq(fx_read(&l.chan[0], &v), 0);
		cr_expect_eq(v, 1000);
	}
	rt_chan_list_free(&l);
}

Test(hwmon, include_and_exclude)
{
	struct rt_chan_list l;
	struct rt_err err;

	cr_assert_eq(fx_probe("hwmon",
			      "[sampler]\nperiod_ms = 100\n[hwmon]\n"
			      "chips = k10temp, jc42 nct6775*\n"
			      "exclude = nct6775/in*, */fan2, k10temp/0000:00:18.3/temp3\n",
			      &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 6, "got %zu", l.n);
	cr_expect_str_eq(l.chan[0].desc.chip, "jc42/3-0018");
	cr_expect_str_eq(l.chan[1].desc.name, "temp1");
	cr_expect_str_eq(l.chan[2].desc.name, "temp4");
	cr_expect_str_eq(l.chan[3].desc.name, "temp1");
	cr_expect_str_eq(l.chan[3].desc.chip, "nct6775/nct6775.656");
	cr_expect_str_eq(l.chan[4].desc.name, "fan1");
	cr_expect_str_eq(l.chan[5].desc.name, "pwm1");
	rt_chan_list_free(&l);

	/* by full chip string; limits off; own period */
	cr_assert_eq(fx_probe("hwmon", "[hwmon]\nchips = coretemp/coretemp.?\nlimits = no\nperiod_ms = 1000\n",
			      &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 2, "Core 5 is CPU 5's");
	cr_expect_str_eq(l.chan[0].desc.label, "Package id 0");
	cr_expect_eq(l.chan[0].desc.flags, 0);
	cr_expect_eq(l.chan[0].desc.period_ms, 1000);
	rt_chan_list_free(&l);

	/* a pattern that matches nothing: no channels, not an error */
	cr_assert_eq(fx_probe("hwmon", "[hwmon]\nchips = it87\n", &l, &err), 0, "%s", err.msg);
	cr_expect_eq(l.n, 0);
	rt_chan_list_free(&l);
}

Test(hwmon, bad_config_names_file_and_line)
{
	static const struct {
		const char *ini, *where, *what;
	} bad[] = {
		{ "[hwmon]\n\nchips = k10temp, nct[67]*\n", "test.ini:3: [hwmon] chips:", "nct[67]*" },
		{ "[hwmon]\nexclude = nct6775\n", "test.ini:2: [hwmon] exclude:", "CHIP/SENSOR" },
		{ "[hwmon]\nchips = a\nlimits = maybe\n", "test.ini:3: [hwmon] limits:", "maybe" },
		{ "[hwmon]\nperiod_ms = -5\n", "test.ini:2: [hwmon] period_ms:", "-5" },
		{ "[x]\na=1\n[hwmon]\nchips = a b c d e f g h i j k l m n o p q r s t u v w x y z "
		  "aa bb cc dd ee ff gg\n", "test.ini:4: [hwmon] chips:", "more than" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_chan_list l;
		struct rt_err err;
		int rc = fx_probe("hwmon", bad[i].ini, &l, &err);

		cr_expect_lt(rc, 0, "case %zu", i);
		cr_expect(strstr(err.msg, bad[i].where), "case %zu: '%s'", i, err.msg);
		cr_expect(strstr(err.msg, bad[i].what), "case %zu: '%s'", i, err.msg);
		cr_expect_eq(l.n, 0);
		rt_chan_list_free(&l);
	}
}

Test(hwmon, invalid_readings_are_errors_not_zero)
{
	static const char *const bad[] = { "garbage\n", "", "12abc\n", "\n", "+5\n", " 5\n",
					   "99999999999999999999999\n", "1 2\n" };
	struct rt_chan_list l;
	struct rt_chan *t, *p, *e;
	struct rt_err err;
	char path[PATH_MAX], dir[PATH_MAX];
	size_t i;
	int64_t v;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	t = fx_find(&l, "k10temp/0000:00:18.3", "temp1");
	p = fx_find(&l, "nct6775/nct6775.656", "pwm1");
	e = fx_find(&l, "pmbus/3-0040", "energy1");
	cr_assert(t && p && e);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		fx_chip_set(0, "temp1_input", bad[i]);
		cr_expect_eq(fx_read(t, &v), -EIO, "'%s'", bad[i]);
		cr_expect_eq(v, 12345, "'%s': value written on error", bad[i]);
	}
	fx_chip_set(3, "pwm1", "256\n");
	cr_expect_eq(fx_read(p, &v), -EIO);
	fx_chip_set(3, "pwm1", "-1\n");
	cr_expect_eq(fx_read(p, &v), -EIO);
	fx_chip_set(4, "energy1_input", "-1\n");
	cr_expect_eq(fx_read(e, &v), -EIO);

	/* Unlinked after probe: the held descriptor still reads its inode. */
	fx_chip_set(0, "temp1_input", "47000\n");
	fx_chip_dir(dir, sizeof(dir), 0, fx_nr_boot1[0]);
	snprintf(path, sizeof(path), "%s/%s/temp1_input", fx_root, dir);
	cr_assert_eq(unlink(path), 0);
	cr_expect_eq(fx_read(t, &v), 0);
	cr_expect_eq(v, 47000);
	rt_chan_list_free(&l);
}

Test(hwmon, descriptors_closed_after_free)
{
	struct rt_chan_list l;
	struct rt_err err;
	int before = fx_count_fds();

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect_eq(fx_count_fds(), before + (int)FX_NEXPECT, "one descriptor per channel");
	rt_chan_list_free(&l);
	cr_expect_eq(fx_count_fds(), before);
	cr_expect_eq(l.n, 0);
}

Test(hwmon, no_hwmon_class_is_enodev)
{
	struct rt_chan_list l;
	struct rt_err err;

	fx_teardown();
	fx_setup();
	cr_expect_eq(fx_probe("hwmon", NULL, &l, &err), -ENODEV);
	cr_expect(strstr(err.msg, "/sys/class/hwmon"), "%s", err.msg);
	cr_expect_eq(l.n, 0);
	rt_chan_list_free(&l);
}

Test(hwmon, registration)
{
	const struct sensor_ops *ops = rt_backend_find("hwmon");

	cr_assert(ops);
	cr_expect_eq(ops->source, SOV_SRC_HWMON);
	cr_expect_eq(ops->min_period_ms, 100);
	cr_expect(ops->default_enabled);
	cr_expect_not(ops->slow);
}

/* One chip of driver @name at sys/devices/@dev (hwmon@nr) with temp1_input = @milli. */
static void fx_chip_at(const char *dev, int nr, const char *name, const char *milli)
{
	char rel[PATH_MAX], tgt[PATH_MAX], text[64];

	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d/name", dev, nr);
	snprintf(text, sizeof(text), "%s\n", name);
	fx_file(rel, text);
	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d/temp1_input", dev, nr);
	fx_file(rel, milli);
	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d/device", dev, nr);
	snprintf(tgt, sizeof(tgt), "../../../%s", strrchr(dev, '/') + 1);
	fx_link(rel, tgt);
	snprintf(rel, sizeof(rel), "sys/class/hwmon/hwmon%d", nr);
	snprintf(tgt, sizeof(tgt), "../../devices/%s/hwmon/hwmon%d", dev, nr);
	fx_link(rel, tgt);
}

/*
 * Only drivers known to read locally and fast are read in the loop: the
 * others run device commands (nvme: SMART log; drivetemp: ATA SCT), buses
 * or firmware inside pread, or are unknown: the worker reads them.
 */
Test(hwmon, only_local_fast_drivers_are_read_in_the_loop)
{
	static const struct {
		const char *dev, *name, *chip;
		bool slow;
	} chips[] = {
		{ "pci0000:00/0000:00:18.3", "k10temp", "k10temp/0000:00:18.3", false },
		{ "pci0000:00/0000:00:01.1/0000:01:00.0/nvme/nvme0", "nvme", "nvme/nvme0", true },
		{ "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "drivetemp",
		  "drivetemp/0:0:0:0", true },
		{ "platform/frobnicator.0", "frobnicator", "frobnicator/frobnicator.0", true },
		{ "pci0000:00/0000:00:1f.3/i2c-3/3-0018", "jc42", "jc42/3-0018", true },
	};
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	fx_teardown();
	fx_setup();
	for (i = 0; i < sizeof(chips) / sizeof(chips[0]); i++)
		fx_chip_at(chips[i].dev, (int)i, chips[i].name, "40000\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, sizeof(chips) / sizeof(chips[0]));
	for (i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
		struct rt_chan *c = fx_find(&l, chips[i].chip, "temp1");
		int64_t v;

		cr_assert_not_null(c, "%s", chips[i].chip);
		cr_expect_eq(c->slow, chips[i].slow, "%s: %s", chips[i].chip,
			     chips[i].slow ? "read in the loop" : "sent to the worker");
		cr_expect_eq(fx_read(c, &v), 0);
		cr_expect_eq(v, 40000);
	}
	rt_chan_list_free(&l);
}

/*
 * coretemp reads "Core N" by rdmsr_on_cpu() on that core's CPU: only the
 * housekeeping core's own (and the package's, read on its first CPU) are
 * read by default; another core's is left out, loudly, unless [hwmon]
 * cpus lists its CPU, and then it carries cpu=N as msr channels do.
 */
Test(hwmon, coretemp_other_cores_are_off_with_a_note)
{
	struct rt_chan_list l;
	struct rt_err err;
	struct rt_chan *c;

	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect_null(fx_find(&l, "coretemp/coretemp.0", "temp7"), "Core 5 read by default");
	c = fx_find(&l, "coretemp/coretemp.0", "temp2");
	cr_assert_not_null(c, "the housekeeping core's own temperature");
	cr_expect_str_eq(c->desc.labels, "cpu=0");
	cr_expect_not(c->slow);
	cr_assert_not_null(fx_find(&l, "coretemp/coretemp.0", "temp1"), "package 0: CPU 0");
	cr_expect(strstr(err.msg, "warning: coretemp/coretemp.0: not read"), "%s", err.msg);
	cr_expect(strstr(err.msg, "temp7 \"Core 5\" (CPU 5)"), "%s", err.msg);
	cr_expect(strstr(err.msg, "[hwmon] cpus"), "%s", err.msg);
	rt_chan_list_free(&l);

	cr_assert_eq(fx_probe("hwmon", "[hwmon]\ncpus = 5\n", &l, &err), 0, "%s", err.msg);
	c = fx_find(&l, "coretemp/coretemp.0", "temp7");
	cr_assert_not_null(c, "listed in cpus: read");
	cr_expect_str_eq(c->desc.labels, "cpu=5");
	cr_expect_null(strstr(err.msg, "Core 5"), "%s", err.msg);
	rt_chan_list_free(&l);

	/* Another housekeeping CPU: then core 0 and the package are the others'. */
	{
		const struct sensor_ops *ops = rt_backend_find("hwmon");

		memset(&l, 0, sizeof(l));
		cr_assert_eq(rt_backend_probe(ops, fx_root, 5, NULL, &l, &err), 0, "%s", err.msg);
		cr_expect_not_null(fx_find(&l, "coretemp/coretemp.0", "temp7"));
		cr_expect_null(fx_find(&l, "coretemp/coretemp.0", "temp2"));
		cr_expect_null(fx_find(&l, "coretemp/coretemp.0", "temp1"));
		rt_chan_list_free(&l);
	}
}

/* Degrades, never dies: what cannot be read safely is left out with a note. */
Test(hwmon, what_cannot_be_read_is_skipped_with_a_note)
{
	struct rt_chan_list l;
	struct rt_err err;
	char p[PATH_MAX];

	/* No proc/cpuinfo: which CPU a coretemp channel interrupts is unknown. */
	fx_path(p, sizeof(p), "proc/cpuinfo");
	cr_assert_eq(unlink(p), 0);
	/* A value file that does not open (a dangling link). */
	fx_link("sys/devices/platform/nct6775.656/hwmon/hwmon2/temp9_input", "nowhere");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect_null(fx_find(&l, "coretemp/coretemp.0", "temp1"));
	cr_expect_null(fx_find(&l, "coretemp/coretemp.0", "temp2"));
	cr_expect(strstr(err.msg, "cannot tell which CPU"), "%s", err.msg);
	cr_expect(strstr(err.msg, "nct6775/nct6775.656/temp9 not read"), "%s", err.msg);
	cr_expect_null(fx_find(&l, "nct6775/nct6775.656", "temp9"));
	cr_expect_not_null(fx_find(&l, "k10temp/0000:00:18.3", "temp1"), "the rest is read");
	cr_expect_not_null(fx_find(&l, "nct6775/nct6775.656", "temp1"));
	rt_chan_list_free(&l);
}
