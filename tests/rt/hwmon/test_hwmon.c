/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hwmon.c - Criterion tests of the hwmon backend (rt/hwmon.c) against
 * a fake /sys tree built at run time: channel set, values, limits, stable
 * chip names across hwmonN renumbering, config, bad readings, descriptors,
 * which chips the loop reads and which the worker, coretemp channels of
 * other CPUs, and what the probe skips (with a note) instead of failing.
 */
#include "fixture.h"
#include "sampler.h"
#include "shm_reader.h"
#include "shm_writer.h"

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

/* Without the attributes published on their own: the value channels. */
#define FX_VALUES_ONLY "[hwmon]\nattributes = no\n"

Test(hwmon, channel_set)
{
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	cr_assert_eq(fx_probe("hwmon", FX_VALUES_ONLY, &l, &err), 0, "%s", err.msg);
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

	cr_assert_eq(fx_probe("hwmon", FX_VALUES_ONLY, &l, &err), 0, "%s", err.msg);
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
	/* + 6 attribute channels and one info channel per chip */
	cr_assert_eq(a.n, FX_NEXPECT + 6 + FX_NCHIPS, "got %zu", a.n);
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
	cr_assert_eq(fx_probe("hwmon", FX_VALUES_ONLY, &l, &err), 0, "%s", err.msg);
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
			      "[sampler]\nperiod_ms = 100\n[hwmon]\nattributes = no\n"
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
	cr_assert_eq(fx_probe("hwmon", "[hwmon]\nchips = coretemp/coretemp.?\nlimits = no\n"
			      "period_ms = 1000\nattributes = no\n",
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
	/* The info channels hold none. */
	cr_expect_eq(fx_count_fds(), before + (int)(l.n - FX_NCHIPS), "one descriptor per channel");
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
	cr_assert_eq(fx_probe("hwmon", FX_VALUES_ONLY, &l, &err), 0, "%s", err.msg);
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

/* ---- every chip a user has, read as the kernel ABI describes it ---- */

/* Does a note of list @l (the probe's notes, one a line, whole) contain @what? */
static bool fx_has_note(const struct rt_chan_list *l, const char *what)
{
	return l->notes && strstr(l->notes, what) != NULL;
}

/* hwmonN at sys/devices/@dev/hwmon/hwmonN, device link and class link; no files. */
static void fx_bare_chip(const char *dev, int nr)
{
	char rel[PATH_MAX], tgt[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d", dev, nr);
	fx_mkdirs(rel, true);
	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d/device", dev, nr);
	snprintf(tgt, sizeof(tgt), "../../../%s", strrchr(dev, '/') + 1);
	fx_link(rel, tgt);
	snprintf(rel, sizeof(rel), "sys/class/hwmon/hwmon%d", nr);
	snprintf(tgt, sizeof(tgt), "../../devices/%s/hwmon/hwmon%d", dev, nr);
	fx_link(rel, tgt);
}

/* File @attr of the device directory sys/devices/@dev, holding @text. */
static void fx_dev_file(const char *dev, const char *attr, const char *text)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/devices/%s/%s", dev, attr);
	fx_file(rel, text);
}

/* File @attr of sys/devices/@dev/hwmon/hwmon@nr. */
static void fx_hw_file(const char *dev, int nr, const char *attr, const char *text)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon/hwmon%d/%s", dev, nr, attr);
	fx_file(rel, text);
}

/*
 * Older drivers (w83627ehf before its hwmon_device_register_with_info()
 * conversion, many i2c drivers) keep every attribute and `name` in the
 * device directory; hwmonN holds only `device`.  libsensors reads them
 * there; so do we.
 */
Test(hwmon, attributes_in_the_device_directory)
{
	static const char dev[] = "platform/w83627ehf.656";
	struct rt_chan_list l;
	struct rt_err err;
	struct rt_chan *c;
	int64_t v;

	fx_teardown();
	fx_setup();
	fx_bare_chip(dev, 0);
	fx_dev_file(dev, "name", "w83627ehf\n");
	fx_dev_file(dev, "temp1_input", "35000\n");
	fx_dev_file(dev, "temp1_label", "SYSTIN\n");
	fx_dev_file(dev, "temp1_max", "80000\n");
	fx_dev_file(dev, "temp1_alarm", "1\n");
	fx_dev_file(dev, "fan1_input", "900\n");
	fx_dev_file(dev, "fan1_min", "300\n");
	fx_dev_file(dev, "in0_input", "1100\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	c = fx_find(&l, "w83627ehf/w83627ehf.656", "temp1");
	cr_assert_not_null(c, "the device directory's attributes: %s", err.msg);
	cr_expect_str_eq(c->desc.label, "SYSTIN");
	cr_expect(c->desc.flags & SOV_SEN_WARN_HI, "its limits are read there too");
	cr_expect_eq(c->desc.warn_hi, 80000);
	cr_assert_eq(fx_read(c, &v), 0);
	cr_expect_eq(v, 35000);
	c = fx_find(&l, "w83627ehf/w83627ehf.656", "temp1_alarm");
	cr_assert_not_null(c);
	cr_expect_eq(c->desc.kind, SOV_KIND_ALARM);
	cr_assert_eq(fx_read(c, &v), 0);
	cr_expect_eq(v, 1);
	cr_expect_not_null(fx_find(&l, "w83627ehf/w83627ehf.656", "fan1"));
	cr_expect_not_null(fx_find(&l, "w83627ehf/w83627ehf.656", "fan1_min"));
	cr_expect_not_null(fx_find(&l, "w83627ehf/w83627ehf.656", "in0"));
	cr_expect_not_null(fx_find(&l, "w83627ehf/w83627ehf.656", "chip"));
	cr_expect_eq(l.n, 6, "got %zu", l.n);
	rt_chan_list_free(&l);
}

/*
 * A chip with no `name` anywhere is still a chip: named after its
 * device's driver, else its modalias, else the device, last its hwmonN
 * (said: it changes between boots).  None is dropped.
 */
Test(hwmon, chip_without_name_is_named_from_its_device)
{
	static const struct {
		const char *dev, *chip, *how;
	} cases[] = {
		{ "platform/foo.0", "foodrv/foo.0", "hwmon0 has no name attribute: named \"foodrv\" after its device's driver" },
		{ "platform/bar.1", "barchip/bar.1", "named \"barchip\" after its device's modalias" },
		{ "pci0000:00/0000:00:05.0", "0000:00:05.0/0000:00:05.0", "named \"0000:00:05.0\" after its device" },
	};
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	fx_teardown();
	fx_setup();
	for (i = 0; i < 3; i++) {
		fx_bare_chip(cases[i].dev, (int)i);
		fx_hw_file(cases[i].dev, (int)i, "temp1_input", "30000\n");
	}
	fx_mkdirs("sys/bus/platform/drivers/foodrv", true);
	fx_link("sys/devices/platform/foo.0/driver", "../../../bus/platform/drivers/foodrv");
	fx_dev_file("platform/bar.1", "modalias", "platform:barchip\n");
	fx_dev_file("pci0000:00/0000:00:05.0", "modalias", "pci:v00008086d00002021sv00000000sd00000000bc08sc80i00\n");
	/* no device at all: only the hwmon number is left */
	fx_file("sys/class/hwmon/hwmon3/temp1_input", "31000\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	for (i = 0; i < 3; i++) {
		cr_expect_not_null(fx_find(&l, cases[i].chip, "temp1"), "%s: %s", cases[i].chip, l.notes);
		cr_expect(fx_has_note(&l, cases[i].how), "'%s' in: %s", cases[i].how, err.msg);
	}
	cr_expect_not_null(fx_find(&l, "hwmon3", "temp1"), "%s", l.notes);
	cr_expect(fx_has_note(&l, "hwmon3 has no name attribute: named \"hwmon3\" after its hwmon "
			      "number, which may change at the next boot"), "%s", l.notes);
	rt_chan_list_free(&l);
}

/* A chip left out for any reason is said, in the notes and by --discover. */
Test(hwmon, skipped_chips_are_said)
{
	struct rt_chan_list l;
	struct rt_err err;
	char conf[PATH_MAX], cmd[PATH_MAX * 3], line[512];
	bool seen[3] = { false, false, false };
	FILE *p;

	fx_teardown();
	fx_setup();
	fx_chip_at("platform/k.0", 0, "kept", "30000\n");
	/* a device link that loops: the chip cannot be placed */
	fx_file("sys/devices/platform/loop.0/hwmon/hwmon1/name", "looping\n");
	fx_file("sys/devices/platform/loop.0/hwmon/hwmon1/temp1_input", "1\n");
	fx_link("sys/devices/platform/loop.0/hwmon/hwmon1/device", "device");
	fx_link("sys/class/hwmon/hwmon1", "../../devices/platform/loop.0/hwmon/hwmon1");
	/* a name and nothing to read */
	fx_bare_chip("platform/empty.0", 2);
	fx_hw_file("platform/empty.0", 2, "name", "empty\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	cr_expect_not_null(fx_find(&l, "kept/k.0", "temp1"));
	cr_expect(fx_has_note(&l, "hwmon: hwmon1 (looping) skipped:"), "%s", l.notes);
	cr_expect(fx_has_note(&l, "hwmon: empty/empty.0 skipped: no value attribute"), "%s", l.notes);
	rt_chan_list_free(&l);
	cr_assert_eq(fx_probe("hwmon", "[hwmon]\nchips = empty\n", &l, &err), 0, "%s", err.msg);
	cr_expect(fx_has_note(&l, "hwmon: kept/k.0 skipped: not in [hwmon] chips"), "%s", l.notes);
	rt_chan_list_free(&l);

	/* sovereign-sampler --discover: a comment line each */
	fx_path(conf, sizeof(conf), "sampler.conf");
	fx_file("sampler.conf", "[hwmon]\nlimits = yes\n");
	snprintf(cmd, sizeof(cmd), "%s --discover --root %s -c %s 2>/dev/null", SOV_SAMPLER_BIN,
		 fx_root, conf);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		seen[0] |= !strncmp(line, "# note: hwmon: hwmon1 (looping) skipped:", 40);
		seen[1] |= !strncmp(line, "# note: hwmon: empty/empty.0 skipped: no value attribute", 56);
		seen[2] |= strstr(line, "kept/k.0") && strstr(line, "temp1");
	}
	cr_expect_eq(pclose(p), 0);
	cr_expect(seen[0] && seen[1], "--discover says the skipped chips");
	cr_expect(seen[2], "--discover lists the kept one");

	/* A sampler that starts says them on stdout (stderr thrown away). */
	seen[0] = seen[1] = false;
	snprintf(cmd, sizeof(cmd),
		 "SOVEREIGN_RUN_DIR=%s/run %s --root %s -c %s --segment /notes --cycles 1 --no-rt "
		 "2>/dev/null", fx_root, SOV_SAMPLER_BIN, fx_root, conf);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		seen[0] |= !!strstr(line, "note: hwmon: hwmon1 (looping) skipped:");
		seen[1] |= !!strstr(line, "note: hwmon: empty/empty.0 skipped: no value attribute");
	}
	cr_expect_eq(pclose(p), 0);
	cr_expect(seen[0] && seen[1], "the sampler says the skipped chips on stdout at start");
}

/* Two chips of one driver on one device (rt/hwmon.c hwmon_rank_siblings()). */
static void fx_siblings(int nr_cpu, int nr_gpu, const char *gpu_label)
{
	static const char dev[] = "platform/dual.0";

	fx_bare_chip(dev, nr_cpu);
	fx_hw_file(dev, nr_cpu, "name", "dualtemp\n");
	fx_hw_file(dev, nr_cpu, "temp1_input", "41000\n");
	fx_hw_file(dev, nr_cpu, "temp1_label", "CPU\n");
	fx_bare_chip(dev, nr_gpu);
	fx_hw_file(dev, nr_gpu, "name", "dualtemp\n");
	fx_hw_file(dev, nr_gpu, "temp1_input", "62000\n");
	fx_hw_file(dev, nr_gpu, "temp1_label", gpu_label);
}

/*
 * Same name, same parent: the device path cannot tell them apart, their
 * hwmonN must not (it is renumbered): what they hold does.  The same tree
 * numbered the other way round gives each the same chip string and ids.
 */
Test(hwmon, shared_parent_chips_keep_their_identity_when_renumbered)
{
	struct rt_chan_list a, b;
	struct rt_chan *ca, *ga, *cb, *gb;
	struct rt_err err;

	fx_teardown();
	fx_setup();
	fx_siblings(3, 4, "GPU\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &a, &err), 0, "%s", err.msg);
	fx_teardown();
	fx_setup();
	fx_siblings(9, 2, "GPU\n"); /* the GPU one registered first this time */
	cr_assert_eq(fx_probe("hwmon", NULL, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(a.n, 4);
	cr_assert_eq(b.n, 4);
	ca = fx_find(&a, "dualtemp/dual.0", "temp1");
	ga = fx_find(&a, "dualtemp/dual.0#2", "temp1");
	cb = fx_find(&b, "dualtemp/dual.0", "temp1");
	gb = fx_find(&b, "dualtemp/dual.0#2", "temp1");
	cr_assert(ca && ga && cb && gb);
	cr_expect_str_eq(ca->desc.label, cb->desc.label);
	cr_expect_str_eq(ga->desc.label, gb->desc.label);
	cr_expect_str_neq(ca->desc.label, ga->desc.label);
	cr_expect_eq(ca->desc.id, cb->desc.id);
	cr_expect_eq(ga->desc.id, gb->desc.id);
	cr_expect_neq(ca->desc.id, ga->desc.id);
	cr_expect(!fx_has_note(&a, "order of registration") && !fx_has_note(&b, "order of registration"),
		  "%s", a.notes);
	rt_chan_list_free(&a);
	rt_chan_list_free(&b);

	/* Identical twins: only the order of registration is left, and that is said. */
	fx_teardown();
	fx_setup();
	fx_siblings(3, 4, "CPU\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &a, &err), 0, "%s", err.msg);
	cr_expect_eq(a.n, 4);
	cr_expect(fx_has_note(&a, "2 dualtemp chips on platform/dual.0 hold the same channels: "
			      "told apart by their order of registration"), "%s", a.notes);
	rt_chan_list_free(&a);
}

/* The sensor id derives from the full device path, not the (cut) chip string. */
Test(hwmon, ids_derive_from_the_device_path)
{
	struct rt_chan_list l;
	struct rt_err err;
	struct rt_chan *x, *y;

	fx_teardown();
	fx_setup();
	fx_chip_at("a/x", 0, "dimmtemp", "1000\n");
	fx_chip_at("b/x", 1, "dimmtemp", "2000\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	x = fx_find(&l, "dimmtemp/x", "temp1");
	y = fx_find(&l, "dimmtemp/x#2", "temp1");
	cr_assert(x && y);
	cr_expect_eq(x->desc.id, sov_sensor_id(SOV_SRC_HWMON, "dimmtemp@a/x", "temp1"));
	cr_expect_eq(y->desc.id, sov_sensor_id(SOV_SRC_HWMON, "dimmtemp@b/x", "temp1"));
	x = fx_find(&l, "dimmtemp/x#2", "chip");
	cr_assert_not_null(x);
	cr_expect_eq(x->desc.kind, SOV_KIND_CHIP_INFO);
	cr_expect_str_eq(x->desc.label, "dimmtemp");
	cr_expect_str_eq(x->desc.labels, "device=b/x");
	rt_chan_list_free(&l);
}

/* A virtual chip (no device link) at sys/devices/@parent/hwmon@nr, class link to it. */
static void fx_virtual_chip(const char *parent, int nr, const char *milli)
{
	char rel[PATH_MAX], tgt[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon%d/name", parent, nr);
	fx_file(rel, "acpitz\n");
	snprintf(rel, sizeof(rel), "sys/devices/%s/hwmon%d/temp1_input", parent, nr);
	fx_file(rel, milli);
	snprintf(rel, sizeof(rel), "sys/class/hwmon/hwmon%d", nr);
	snprintf(tgt, sizeof(tgt), "../../devices/%s/hwmon%d", parent, nr);
	fx_link(rel, tgt);
}

/*
 * Chips with no device link: identified by where their hwmonN lives (a
 * thermal zone), or by nothing (sys/devices/virtual/hwmon), never by N.
 */
Test(hwmon, virtual_chips_identified_by_where_hwmonN_lives)
{
	struct rt_chan_list a, b;
	struct rt_err err;
	size_t i;

	fx_teardown();
	fx_setup();
	fx_virtual_chip("virtual/hwmon", 4, "27000\n");
	fx_virtual_chip("virtual/thermal/thermal_zone0/hwmon", 5, "31000\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &a, &err), 0, "%s", err.msg);
	fx_teardown();
	fx_setup();
	fx_virtual_chip("virtual/hwmon", 8, "27000\n");
	fx_virtual_chip("virtual/thermal/thermal_zone0/hwmon", 1, "31000\n");
	cr_assert_eq(fx_probe("hwmon", NULL, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(a.n, 4, "got %zu", a.n);
	cr_assert_eq(b.n, a.n);
	for (i = 0; i < a.n; i++) {
		cr_expect_str_eq(a.chan[i].desc.chip, b.chan[i].desc.chip);
		cr_expect_str_eq(a.chan[i].desc.labels, b.chan[i].desc.labels);
		cr_expect_eq(a.chan[i].desc.id, b.chan[i].desc.id, "%s/%s", a.chan[i].desc.chip,
			     a.chan[i].desc.name);
	}
	cr_expect_str_eq(fx_find(&a, "acpitz", "chip")->desc.labels, "device=");
	cr_expect_str_eq(fx_find(&a, "acpitz#2", "chip")->desc.labels,
			 "device=virtual/thermal/thermal_zone0");
	cr_expect_eq(fx_find(&a, "acpitz#2", "temp1")->desc.id,
		     sov_sensor_id(SOV_SRC_HWMON, "acpitz@virtual/thermal/thermal_zone0", "temp1"));
	rt_chan_list_free(&a);
	rt_chan_list_free(&b);
}

/* Every alarm, fault, beep and setting attribute the ABI has, on chip @drv at hwmon@nr. */
static const char *const fx_attr_files[] = {
	"temp1_input=40000\n", "temp1_label=CPU\n", "temp1_alarm=0\n", "temp1_min_alarm=0\n",
	"temp1_max_alarm=0\n", "temp1_lcrit_alarm=0\n", "temp1_crit_alarm=0\n",
	"temp1_emergency_alarm=0\n", "temp1_fault=0\n", "temp1_beep=1\n",
	"in0_input=1000\n", "in0_alarm=0\n", "curr1_input=5000\n", "curr1_max_alarm=0\n",
	"power1_input=1000000\n", "power1_cap_alarm=0\n",
	"fan1_input=1200\n", "fan1_alarm=0\n", "fan1_fault=0\n", "fan1_target=1500\n",
	"fan1_min=300\n", "fan1_max=3000\n", "fan1_div=4\n", "fan1_pulses=2\n",
	"pwm1=128\n", "pwm1_enable=2\n", "pwm1_mode=1\n",
	"freq1_input=25000\n", "humidity1_input=45500\n",
	"intrusion0_alarm=0\n", "intrusion0_beep=1\n", "beep_enable=1\n",
	/* not channels: hysteresis, type, offset, the pwm's frequency, interval */
	"temp1_crit_hyst=95000\n", "temp1_type=3\n", "temp1_offset=0\n", "pwm1_freq=25000\n",
	"update_interval=1000\n",
	NULL,
};

static void fx_attr_chip(const char *drv, int nr)
{
	char dev[64], attr[64];
	size_t f;

	snprintf(dev, sizeof(dev), "pci0000:00/0000:00:18.%d", nr);
	fx_bare_chip(dev, nr);
	snprintf(attr, sizeof(attr), "%s\n", drv);
	fx_hw_file(dev, nr, "name", attr);
	for (f = 0; fx_attr_files[f]; f++) {
		const char *kv = fx_attr_files[f], *eq = strchr(kv, '=');

		snprintf(attr, sizeof(attr), "%.*s", (int)(eq - kv), kv);
		fx_hw_file(dev, nr, attr, eq + 1);
	}
}

/* The attribute channels: kind, unit, criticality, label, value. */
static const struct fx_attr_expect {
	const char *name;
	uint16_t kind, unit;
	bool critical;
	const char *label;
	int64_t value;
} fx_attr_expect[] = {
	{ "temp1_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "CPU", 0 },
	{ "temp1_min_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "CPU", 0 },
	{ "temp1_max_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "CPU", 0 },
	{ "temp1_lcrit_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "CPU", 0 },
	{ "temp1_crit_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "CPU", 0 },
	{ "temp1_emergency_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "CPU", 0 },
	{ "temp1_fault", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "CPU", 0 },
	{ "temp1_beep", SOV_KIND_STATE, SOV_UNIT_NONE, false, "CPU", 1 },
	{ "in0_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "in0", 0 },
	{ "curr1_max_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "curr1", 0 },
	{ "power1_cap_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "power1", 0 },
	{ "fan1_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, false, "fan1", 0 },
	{ "fan1_fault", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "fan1", 0 },
	{ "fan1_target", SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, false, "fan1", 1500 },
	{ "fan1_min", SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, false, "fan1", 300 },
	{ "fan1_max", SOV_KIND_FAN_RPM_SET, SOV_UNIT_RPM, false, "fan1", 3000 },
	{ "fan1_div", SOV_KIND_STATE, SOV_UNIT_NONE, false, "fan1", 4 },
	{ "fan1_pulses", SOV_KIND_STATE, SOV_UNIT_NONE, false, "fan1", 2 },
	{ "pwm1_enable", SOV_KIND_STATE, SOV_UNIT_NONE, false, "pwm1", 2 },
	{ "pwm1_mode", SOV_KIND_STATE, SOV_UNIT_NONE, false, "pwm1", 1 },
	{ "freq1", SOV_KIND_FREQ, SOV_UNIT_HERTZ, false, "freq1", 25000 },
	{ "humidity1", SOV_KIND_HUMIDITY, SOV_UNIT_MILLIPERCENT, false, "humidity1", 45500 },
	{ "intrusion0_alarm", SOV_KIND_ALARM, SOV_UNIT_NONE, true, "intrusion0", 0 },
	{ "intrusion0_beep", SOV_KIND_STATE, SOV_UNIT_NONE, false, "intrusion0", 1 },
	{ "beep_enable", SOV_KIND_STATE, SOV_UNIT_NONE, false, "beep_enable", 1 },
	{ "chip", SOV_KIND_CHIP_INFO, SOV_UNIT_NONE, false, "nct6775", 1 },
};

#define FX_NATTR (sizeof(fx_attr_expect) / sizeof(fx_attr_expect[0]))

Test(hwmon, every_alarm_fault_beep_and_setting_is_a_channel)
{
	static const char chip[] = "nct6775/0000:00:18.0";
	struct rt_chan_list l;
	struct rt_err err;
	size_t i;

	fx_teardown();
	fx_setup();
	fx_attr_chip("nct6775", 0);
	cr_assert_eq(fx_probe("hwmon", NULL, &l, &err), 0, "%s", err.msg);
	/* + the values temp1, in0, curr1, power1, fan1, pwm1 */
	cr_expect_eq(l.n, FX_NATTR + 6, "got %zu", l.n);
	for (i = 0; i < FX_NATTR; i++) {
		const struct fx_attr_expect *e = &fx_attr_expect[i];
		struct rt_chan *c = fx_find(&l, chip, e->name);
		int64_t v = -42;

		cr_assert_not_null(c, "%s", e->name);
		cr_expect_eq(c->desc.kind, e->kind, "%s kind %u", e->name, c->desc.kind);
		cr_expect_eq(c->desc.unit, e->unit, "%s unit", e->name);
		cr_expect_eq(!!(c->desc.flags & SOV_SEN_CRITICAL), e->critical, "%s critical", e->name);
		cr_expect_eq(c->desc.flags & (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI), 0, "%s: no limits", e->name);
		cr_expect_str_eq(c->desc.label, e->label, "%s", e->name);
		cr_expect_eq(fx_read(c, &v), 0, "%s", e->name);
		cr_expect_eq(v, e->value, "%s: %lld", e->name, (long long)v);
	}
	/* an alarm reads 1 when raised, and garbage is an error, never 0 */
	fx_set("sys/devices/pci0000:00/0000:00:18.0/hwmon/hwmon0/temp1_crit_alarm", "1\n");
	{
		struct rt_chan *c = fx_find(&l, chip, "temp1_crit_alarm");
		int64_t v;

		cr_assert_eq(fx_read(c, &v), 0);
		cr_expect_eq(v, 1);
		fx_set("sys/devices/pci0000:00/0000:00:18.0/hwmon/hwmon0/temp1_crit_alarm", "x\n");
		cr_expect_eq(fx_read(c, &v), -EIO);
	}
	rt_chan_list_free(&l);

	/* attributes = no: the values only, as before */
	cr_assert_eq(fx_probe("hwmon", "[hwmon]\nattributes = no\n", &l, &err), 0, "%s", err.msg);
	cr_expect_eq(l.n, 6 + 2, "values + freq1 + humidity1: got %zu", l.n);
	rt_chan_list_free(&l);
}

/* ---- alarms become events (the sampler core on the hwmon backend) ---- */

#define FX_SEC 1000000000ull

/* The sampler on the fixture, its segment @seg, hwmon only; cycles driven by the test. */
static struct sampler *fx_sampler(const char *seg)
{
	char text[1024];
	struct rt_config cfg;
	struct sampler_opts o;
	struct sampler *s = NULL;
	struct rt_err err;

	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 100\nslots = 64\njournal = no\nstuck_s = 60\nroot = %s\n"
		 "segment = %s\n",
		 fx_root, seg);
	cr_assert_eq(rt_config_parse_string(text, "test.conf", &cfg, &err), 0, "%s", err.msg);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0, "%s", err.msg);
	cr_assert_eq(sampler_create(&cfg, &o, &s, &err), 0, "%s", err.msg);
	rt_config_free(&cfg);
	return s;
}

/* The events since *@cursor of @type whose sensor is @name (NULL: any), the last in @last. */
static int fx_events(struct sov_reader *r, uint64_t *cursor, uint16_t type, const char *name,
		     struct sov_event *last)
{
	struct sov_event ev[256];
	int n = sov_reader_events(r, cursor, ev, 256, NULL), i, c = 0;

	cr_assert_geq(n, 0);
	for (i = 0; i < n; i++) {
		struct sov_sensor sen;

		if (ev[i].type != type)
			continue;
		if (name && (ev[i].sensor == SOV_NO_SENSOR ||
			     sov_reader_sensor(r, ev[i].sensor, &sen) || strcmp(sen.name, name)))
			continue;
		c++;
		if (last)
			*last = ev[i];
	}
	return c;
}

/*
 * Every alarm kind: raised -> one ALARM event (CRIT for critical ones),
 * back to 0 -> one ALARM_CLEAR; one raised at the first reading is news
 * too.  A k10temp chip is read in the loop, so sampler_cycle() alone
 * reads it.  What the probe skipped is in the segment as DEGRADED events.
 */
Test(hwmon, every_alarm_kind_is_an_event_and_back)
{
	static const char dir[] = "sys/devices/pci0000:00/0000:00:18.0/hwmon/hwmon0";
	char seg[64], rel[PATH_MAX];
	struct sov_reader *r;
	struct sov_event ev;
	struct sampler *s;
	uint64_t cursor = 0, t = FX_SEC;
	size_t i;

	fx_teardown();
	fx_setup();
	fx_attr_chip("k10temp", 0);
	snprintf(rel, sizeof(rel), "%s/in0_alarm", dir);
	fx_set(rel, "1\n"); /* raised before the sampler starts */
	fx_file("sys/class/hwmon/hwmon9/temp1_input", "1\n"); /* no name: said */
	fx_bare_chip("platform/empty.0", 2);
	fx_hw_file("platform/empty.0", 2, "name", "empty\n"); /* nothing to read: said */
	snprintf(seg, sizeof(seg), "/sov-hwmon-%d", (int)getpid());
	s = fx_sampler(seg);
	cr_assert_eq(sov_reader_open(seg, NULL, &r), 0);
	sampler_cycle(s, t);
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_DEGRADED, NULL, &ev), 2);
	cursor = 0;
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_ALARM, "in0_alarm", &ev), 1,
		     "raised at the first reading");
	cr_expect_eq(ev.value, 1);
	cr_expect_eq(ev.severity, SOV_SEV_WARNING);
	fx_set(rel, "0\n");
	sampler_cycle(s, t += FX_SEC);
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_ALARM_CLEAR, "in0_alarm", &ev), 1);
	cr_expect_eq(ev.value, 0);
	cr_expect_eq(ev.severity, SOV_SEV_NOTICE);

	for (i = 0; i < FX_NATTR; i++) {
		const struct fx_attr_expect *e = &fx_attr_expect[i];

		if (e->kind != SOV_KIND_ALARM)
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, e->name);
		fx_set(rel, "1\n");
		sampler_cycle(s, t += FX_SEC);
		cr_expect_eq(fx_events(r, &cursor, SOV_EV_ALARM, e->name, &ev), 1, "%s raised", e->name);
		cr_expect_eq(ev.severity, e->critical ? SOV_SEV_CRIT : SOV_SEV_WARNING, "%s", e->name);
		sampler_cycle(s, t += FX_SEC);
		cr_expect_eq(fx_events(r, &cursor, SOV_EV_ALARM, e->name, NULL), 0,
			     "%s: still raised is no news", e->name);
		fx_set(rel, "0\n");
		sampler_cycle(s, t += FX_SEC);
		cr_expect_eq(fx_events(r, &cursor, SOV_EV_ALARM_CLEAR, e->name, NULL), 1,
			     "%s cleared", e->name);
	}
	/* alarms and settings that never move are not "frozen" sensors */
	for (i = 0; i < 5; i++)
		sampler_cycle(s, t += 100 * FX_SEC);
	cursor = 0;
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_SENSOR_SUSPECT, "temp1_alarm", NULL), 0);
	cursor = 0;
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_SENSOR_SUSPECT, "chip", NULL), 0);
	cursor = 0;
	cr_expect_eq(fx_events(r, &cursor, SOV_EV_SENSOR_SUSPECT, "temp1", NULL), 1,
		     "a frozen temperature still is (stuck_s works here)");
	sov_reader_close(r);
	sampler_destroy(s);
	sov_shm_unlink(seg);
}
