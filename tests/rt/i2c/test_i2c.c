/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_i2c.c - Criterion tests of the I2C backends (jc42, spd5118, pmbus,
 * EMC230x fan) running unchanged against chips simulated under libi2c.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/i2c.h>

#include "i2c_sim.h"
#include "registry.h"

static char root[64];
static char bus_path[3][128];

static void setup(void)
{
	char dir[128];

	i2c_sim_reset();
	snprintf(root, sizeof(root), "/tmp/sov-i2c-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/dev", root);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(bus_path[0], sizeof(bus_path[0]), "%s/dev/i2c-3", root);
	snprintf(bus_path[1], sizeof(bus_path[1]), "%s/dev/i2c-4", root);
	snprintf(bus_path[2], sizeof(bus_path[2]), "%s/dev/i2c-5", root);
	cr_assert_eq(i2c_sim_attach(3, bus_path[0]), 0);
	cr_assert_eq(i2c_sim_attach(4, bus_path[1]), 0);
	cr_assert_eq(i2c_sim_attach(5, bus_path[2]), 0);
}

static void teardown(void)
{
	char dir[128];
	int i;

	for (i = 0; i < 3; i++)
		unlink(bus_path[i]);
	snprintf(dir, sizeof(dir), "%s/dev", root);
	rmdir(dir);
	rmdir(root);
	i2c_sim_reset();
}

TestSuite(i2c, .init = setup, .fini = teardown);

/* Probe backend @name with INI @text into @l.  Return: probe's result. */
static int probe(const char *name, const char *text, struct rt_chan_list *l, struct rt_err *err)
{
	const struct sensor_ops *ops = rt_backend_find(name);
	struct rt_config cfg;
	int rc;

	cr_assert_not_null(ops, "backend %s registered", name);
	cr_assert_eq(rt_config_parse_string(text, "test.ini", &cfg, err), 0, "%s", err->msg);
	rc = rt_backend_probe(ops, root, 0, rt_config_section(&cfg, name, NULL), l, err);
	rt_config_free(&cfg);
	return rc;
}

static const struct rt_chan *find_chan(const struct rt_chan_list *l, const char *chip,
				       const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->chan[i].desc.chip, chip) && !strcmp(l->chan[i].desc.name, name))
			return &l->chan[i];
	return NULL;
}

static int read_chan(const struct rt_chan *c, int64_t *v)
{
	return c->ops->read((struct rt_chan *)c, 0, v);
}

static int64_t must_read(const struct rt_chan *c)
{
	int64_t v = INT64_MIN;
	int rc = read_chan(c, &v);

	cr_assert_eq(rc, 0, "read %s/%s: %d", c->desc.chip, c->desc.name, rc);
	return v;
}

/* Assert that no write at all reached a simulated chip. */
static void assert_no_writes(void)
{
	struct i2c_sim_write w[4];
	size_t n = i2c_sim_writes(w, 4);

	cr_assert_eq(n, 0, "%zu write(s) reached a chip, first: %d-%04x cmd 0x%02x", n,
		     n ? w[0].bus : 0, n ? w[0].addr : 0, n ? w[0].cmd : 0);
}

/* Expect a config error naming test.ini:@line. */
static void assert_conf_error(const char *name, const char *text, int line, const char *what)
{
	struct rt_chan_list l = { 0 };
	struct rt_err err;
	char where[32];
	int rc = probe(name, text, &l, &err);

	snprintf(where, sizeof(where), "test.ini:%d:", line);
	cr_expect_eq(rc, -EINVAL, "%s: rc %d", text, rc);
	cr_expect(strstr(err.msg, where) == err.msg, "'%s' does not start with %s", err.msg, where);
	cr_expect_not_null(strstr(err.msg, what), "'%s' lacks '%s'", err.msg, what);
	cr_expect_eq(l.n, 0);
	rt_chan_list_free(&l);
}

/* ------------------------------------------------------------------ ops */

Test(i2c, ops_are_slow_i2c_and_off_by_default)
{
	static const char *const names[] = { "i2c_jc42", "i2c_spd5118", "i2c_pmbus", "i2c_fan" };
	static const uint32_t minp[] = { 1000, 1000, 100, 100 };
	size_t i;

	for (i = 0; i < 4; i++) {
		const struct sensor_ops *ops = rt_backend_find(names[i]);

		cr_assert_not_null(ops, "%s", names[i]);
		cr_expect(ops->slow, "%s slow", names[i]);
		cr_expect(!ops->default_enabled, "%s off by default", names[i]);
		cr_expect_eq(ops->source, SOV_SRC_I2C);
		cr_expect_eq(ops->min_period_ms, minp[i], "%s min period", names[i]);
	}
}

Test(i2c, sim_forwards_other_ioctls)
{
	int p[2], n = -1;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "abc", 3), 3);
	cr_expect_eq(ioctl(p[0], FIONREAD, &n), 0);
	cr_expect_eq(n, 3, "FIONREAD through the real ioctl: %d", n);
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------------------ jc42 */

Test(i2c, jc42_found_with_limits)
{
	struct rt_chan_list l = { 0 };
	struct rt_err err;
	const struct rt_chan *c;

	cr_assert_not_null(i2c_sim_add_jc42(3, 0x18));
	cr_assert_eq(probe("i2c_jc42", "[i2c_jc42]\nbus = 3\n", &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 1, "%zu channels (%s)", l.n, err.msg);
	c = find_chan(&l, "jc42/i2c-3-0018", "temp1");
	cr_assert_not_null(c);
	cr_expect_str_eq(c->desc.label, "DIMM 3-0018");
	cr_expect_eq(c->desc.kind, SOV_KIND_TEMP);
	cr_expect_eq(c->desc.unit, SOV_UNIT_MILLICELSIUS);
	cr_expect_eq(c->desc.source, SOV_SRC_I2C);
	cr_expect_eq(c->desc.period_ms, 10000);
	cr_expect_eq(c->desc.warn_hi, 85000);
	cr_expect_eq(c->desc.crit_hi, 95000);
	cr_expect_eq(c->desc.flags & (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI),
		     SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI);
	cr_expect_eq(must_read(c), 25000);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, jc42_detection_rejects)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *bad, *tse, *shut;
	struct rt_err err;

	cr_assert_not_null(i2c_sim_add_jc42(3, 0x18));
	bad = i2c_sim_add_jc42(3, 0x19);
	i2c_sim_set_word(bad, 0x07, 0x5555);          /* device id in no table */
	tse = i2c_sim_add_jc42(3, 0x1a);
	i2c_sim_set_word(tse, 0x00, 0x0001);          /* TSE2004 id, capability bits missing */
	shut = i2c_sim_add_jc42(3, 0x1b);
	i2c_sim_set_word(shut, 0x01, 0x0100);         /* shutdown */
	cr_assert_not_null(i2c_sim_add_jc42(4, 0x1c)); /* second bus */
	cr_assert_eq(probe("i2c_jc42", "[i2c_jc42]\nbuses = 3, 4\naddresses = 0x18-0x1f\n", &l,
			   &err), 0, "%s", err.msg);
	cr_expect_eq(l.n, 2, "%zu channels (%s)", l.n, err.msg);
	cr_expect_not_null(find_chan(&l, "jc42/i2c-3-0018", "temp1"));
	cr_expect_not_null(find_chan(&l, "jc42/i2c-4-001c", "temp1"));
	cr_expect_null(find_chan(&l, "jc42/i2c-3-0019", "temp1"));
	cr_expect_not_null(strstr(err.msg, "3-0019 skipped: unknown JC-42.4 chip"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "3-001a skipped: TSE2004"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "3-001b skipped: in shutdown"), "%s", err.msg);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, jc42_ebusy_skipped_with_reason)
{
	struct rt_chan_list l = { 0 };
	struct rt_err err;

	cr_assert_not_null(i2c_sim_add_jc42(3, 0x18));
	i2c_sim_set_busy(3, 0x18, true);
	cr_assert_eq(probe("i2c_jc42", "[i2c_jc42]\nbus = 3\naddresses = 0x18\n", &l, &err), 0);
	cr_expect_eq(l.n, 0);
	cr_expect_not_null(strstr(err.msg, "3-0018 skipped: a kernel driver owns it"), "%s",
			   err.msg);
	cr_expect_not_null(strstr(err.msg, "/sys/bus/i2c/devices/3-0018/hwmon"), "%s", err.msg);
	cr_expect_eq(i2c_sim_transactions(), 0, "no transaction to a driver-owned address");
	rt_chan_list_free(&l);
}

Test(i2c, jc42_conversions_and_changes)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	const struct rt_chan *ch;

	c = i2c_sim_add_jc42(3, 0x1f);
	cr_assert_eq(probe("i2c_jc42", "[i2c_jc42]\nbus = 3\n", &l, &err), 0, "%s", err.msg);
	ch = find_chan(&l, "jc42/i2c-3-001f", "temp1");
	cr_assert_not_null(ch);
	i2c_sim_set_word(c, 0x05, 0x0191);              /* 401 * 0.0625 = 25.0625 °C */
	cr_expect_eq(must_read(ch), 25062);             /* 401 * 125 / 2, truncated */
	i2c_sim_set_word(c, 0x05, 0x8000 | 0x0191);     /* crit alarm bit: masked */
	cr_expect_eq(must_read(ch), 25062);
	i2c_sim_set_word(c, 0x05, 0xe000 | (0x2000 - 88)); /* -5.5 °C, all alarm bits */
	cr_expect_eq(must_read(ch), -5500);
	i2c_sim_set_word(c, 0x05, 0x1fff);              /* -0.0625 °C */
	cr_expect_eq(must_read(ch), -62);
	i2c_sim_set_word(c, 0x05, 0x0550);              /* 85 °C */
	cr_expect_eq(must_read(ch), 85000);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, jc42_nack_at_read_is_an_error)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	const struct rt_chan *ch;
	int64_t v = 4242;

	c = i2c_sim_add_jc42(3, 0x18);
	cr_assert_eq(probe("i2c_jc42", "[i2c_jc42]\nbus = 3\n", &l, &err), 0, "%s", err.msg);
	ch = find_chan(&l, "jc42/i2c-3-0018", "temp1");
	cr_assert_not_null(ch);
	i2c_sim_set_fail(c, ENXIO);
	cr_expect_eq(read_chan(ch, &v), -ENXIO);
	cr_expect_eq(v, 4242, "value untouched on failure");
	i2c_sim_set_fail(c, EIO);
	cr_expect_eq(read_chan(ch, &v), -EIO);
	cr_expect_eq(v, 4242);
	i2c_sim_set_fail(c, 0);
	cr_expect_eq(must_read(ch), 25000);
	rt_chan_list_free(&l);
}

Test(i2c, jc42_config_errors)
{
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = 3\naddresses = 0x48\n", 3,
			  "outside this chip's range 0x18-0x1f");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = 3\naddresses = 0x18, zz\n", 3,
			  "'zz' is not an address");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = 3\naddresses = 0x1f-0x18\n", 3,
			  "reversed");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\n# comment\nbus = three\n", 3,
			  "'three' is not a bus number");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = -1\n", 2, "not a bus number");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbuses = 3, 99999\n", 2, "'99999'");
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = 3\nbuses = 4\n", 3, "not both");
	/*
	 * A missing key is reported at its section's line, which config.c
	 * records at the section's first key (line 2 here), not its header.
	 */
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nenable = yes\n", 1, "bus: required"); /* the header */
	assert_conf_error("i2c_jc42", "[i2c_jc42]\nbus = 3\nperiod_ms = 10\n", 3, "period_ms");
}

Test(i2c, jc42_absent_bus_is_enodev)
{
	struct rt_chan_list l = { 0 };
	struct rt_err err;

	cr_expect_eq(probe("i2c_jc42", "[i2c_jc42]\nbus = 9\n", &l, &err), -ENODEV);
	cr_expect_not_null(strstr(err.msg, "test.ini:2:"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "/dev/i2c-9"), "%s", err.msg);
	rt_chan_list_free(&l);
}

/* ------------------------------------------------------------------ spd5118 */

static void spd_temp(struct i2c_sim_chip *c, uint16_t raw)
{
	i2c_sim_set_byte(c, 0x31, raw & 0xff);
	i2c_sim_set_byte(c, 0x32, raw >> 8);
}

Test(i2c, spd5118_found_and_converts)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	const struct rt_chan *ch;

	c = i2c_sim_add_spd5118(3, 0x52);
	cr_assert_eq(probe("i2c_spd5118", "[i2c_spd5118]\nbus = 3\n", &l, &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 1, "%zu channels (%s)", l.n, err.msg);
	ch = find_chan(&l, "spd5118/i2c-3-0052", "temp1");
	cr_assert_not_null(ch);
	cr_expect_str_eq(ch->desc.label, "DIMM 3-0052");
	cr_expect_eq(ch->desc.period_ms, 10000);
	cr_expect_eq(ch->desc.warn_hi, 85000);
	cr_expect_eq(ch->desc.crit_hi, 95000);
	cr_expect_eq(must_read(ch), 25000);
	spd_temp(c, 125 << 2);                      /* 125 * 0.25 = 31.25 °C */
	cr_expect_eq(must_read(ch), 31250);
	spd_temp(c, (uint16_t)((0x800 - 42) << 2)); /* -42 * 0.25 = -10.5 °C */
	cr_expect_eq(must_read(ch), -10500);
	spd_temp(c, 0x1000 | 0x3);                  /* -256 °C; bits 1:0 ignored */
	cr_expect_eq(must_read(ch), -256000);
	i2c_sim_set_fail(c, ENXIO);
	cr_expect_eq(read_chan(ch, &(int64_t){ 0 }), -ENXIO);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, spd5118_skips_with_reason)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *off, *paged, *notspd;
	struct rt_err err;

	cr_assert_not_null(i2c_sim_add_spd5118(3, 0x50));
	off = i2c_sim_add_spd5118(3, 0x51);
	i2c_sim_set_byte(off, 0x1a, 0x01);          /* MR26: TS disabled */
	paged = i2c_sim_add_spd5118(3, 0x53);
	i2c_sim_set_byte(paged, 0x0b, 0x03);        /* MR11: page 3 */
	notspd = i2c_sim_add_spd5118(3, 0x54);
	i2c_sim_set_byte(notspd, 0x00, 0x00);       /* a DDR4 EEPROM, say */
	cr_assert_eq(probe("i2c_spd5118", "[i2c_spd5118]\nbus = 3\naddresses = 0x50-0x57\n", &l,
			   &err), 0, "%s", err.msg);
	cr_expect_eq(l.n, 1, "%zu channels (%s)", l.n, err.msg);
	cr_expect_not_null(find_chan(&l, "spd5118/i2c-3-0050", "temp1"));
	cr_expect_not_null(strstr(err.msg, "3-0051 skipped: temperature sensor disabled"), "%s",
			   err.msg);
	cr_expect_not_null(strstr(err.msg, "3-0053 skipped: MR11 0x03: page 3"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "3-0054 skipped: not an SPD5118"), "%s", err.msg);
	cr_expect_eq(i2c_sim_get_byte(paged, 0x0b), 0x03, "page left as the BIOS set it");
	rt_chan_list_free(&l);

	/* a driver-owned hub: noted, never touched (notes share one 256-byte message) */
	i2c_sim_set_busy(3, 0x50, true);
	cr_assert_eq(probe("i2c_spd5118", "[i2c_spd5118]\nbus = 3\naddresses = 0x50\n", &l, &err),
		     0);
	cr_expect_eq(l.n, 0);
	cr_expect_not_null(strstr(err.msg, "3-0050 skipped: a kernel driver owns it"), "%s",
			   err.msg);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, spd5118_config_errors)
{
	assert_conf_error("i2c_spd5118", "[i2c_spd5118]\nbus = 3\naddresses = 0x18\n", 3,
			  "outside this chip's range 0x50-0x57");
	assert_conf_error("i2c_spd5118", "[i2c_spd5118]\nbus = 3\naddresses = 0x80\n", 3,
			  "0x80");
}

/* ------------------------------------------------------------------ pmbus */

/* Reference decoders, straight from the formula in docs/hardware.md §R6 (floor like >>). */
static int64_t ref_linear11(uint16_t w, double scale)
{
	int n = (int16_t)w >> 11;
	int y = (int16_t)(uint16_t)(w << 5) >> 5;

	return (int64_t)floor(ldexp((double)y * scale, n));
}

static int64_t ref_linear16(uint16_t w, int n)
{
	return (int64_t)floor(ldexp((double)w * 1000.0, n));
}

static struct i2c_sim_chip *add_vrm(int bus, int addr)
{
	struct i2c_sim_chip *c = i2c_sim_add(bus, addr, I2C_SIM_PMBUS);

	cr_assert_not_null(c);
	i2c_sim_pmbus_pages(c, 2);
	/* page 0: VOUT_MODE linear, exponent -9 */
	i2c_sim_pmbus_byte(c, 0, 0x20, 0x17);
	i2c_sim_pmbus_word(c, 0, 0x8b, 0x0199);  /* 409 / 512 V */
	i2c_sim_pmbus_word(c, 0, 0x8c, 0xd2c0);  /* N = -6, Y = 704: 11 A */
	i2c_sim_pmbus_word(c, 0, 0x8d, 0xe7ff);  /* N = -4, Y = -1: -1/16 °C */
	i2c_sim_pmbus_word(c, 0, 0x96, 0xf2ee);  /* N = -2, Y = 750: 187.5 W */
	/* page 1: exponent -8, a positive LINEAR11 exponent */
	i2c_sim_pmbus_byte(c, 1, 0x20, 0x18);
	i2c_sim_pmbus_word(c, 1, 0x8b, 0x0180);  /* 384 / 256 V = 1.5 V */
	i2c_sim_pmbus_word(c, 1, 0x8c, 0x092c);  /* N = 1, Y = 300: 600 A */
	i2c_sim_pmbus_word(c, 1, 0x8d, 0xf8c8);  /* N = -1, Y = 200: 100 °C */
	i2c_sim_pmbus_word(c, 1, 0x96, 0x0fff);  /* N = 1, Y = -1: -2 W */
	return c;
}

Test(i2c, pmbus_linear_decoding)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	const struct rt_chan *ch;
	const char *chip = "pmbus/i2c-5-0040";

	c = add_vrm(5, 0x40);
	cr_assert_eq(probe("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40\npages = 0,1\n", &l,
			   &err), 0, "%s", err.msg);
	cr_assert_eq(l.n, 8, "%zu channels (%s)", l.n, err.msg);

	ch = find_chan(&l, chip, "vout1");
	cr_assert_not_null(ch);
	cr_expect_eq(ch->desc.kind, SOV_KIND_VOLTAGE);
	cr_expect_eq(ch->desc.unit, SOV_UNIT_MILLIVOLT);
	cr_expect_eq(ch->desc.period_ms, 1000);
	cr_expect_eq(ref_linear16(0x0199, -9), 798);  /* 409000 / 512 = 798.83, floored */
	cr_expect_eq(must_read(ch), 798);
	ch = find_chan(&l, chip, "iout1");
	cr_assert_not_null(ch);
	cr_expect_eq(ch->desc.unit, SOV_UNIT_MILLIAMPERE);
	cr_expect_eq(ref_linear11(0xd2c0, 1000), 11000);
	cr_expect_eq(must_read(ch), 11000);
	ch = find_chan(&l, chip, "temp1");
	cr_assert_not_null(ch);
	cr_expect_eq(ref_linear11(0xe7ff, 1000), -63); /* -62.5 floored, like the kernel's >> */
	cr_expect_eq(must_read(ch), -63);
	ch = find_chan(&l, chip, "pout1");
	cr_assert_not_null(ch);
	cr_expect_eq(ch->desc.unit, SOV_UNIT_MICROWATT);
	cr_expect_eq(must_read(ch), ref_linear11(0xf2ee, 1e6));
	cr_expect_eq(must_read(ch), 187500000);

	cr_expect_eq(must_read(find_chan(&l, chip, "vout2")), 1500);
	cr_expect_eq(must_read(find_chan(&l, chip, "iout2")), ref_linear11(0x092c, 1000));
	cr_expect_eq(must_read(find_chan(&l, chip, "iout2")), 600000);
	cr_expect_eq(must_read(find_chan(&l, chip, "temp2")), 100000);
	cr_expect_eq(must_read(find_chan(&l, chip, "pout2")), -2000000);

	/* values change between reads, on the right page */
	i2c_sim_pmbus_word(c, 0, 0x8b, 0x0200);       /* 1.0 V */
	i2c_sim_pmbus_word(c, 1, 0x8b, 0x0100);       /* 1.0 V at -8 */
	cr_expect_eq(must_read(find_chan(&l, chip, "vout1")), 1000);
	cr_expect_eq(must_read(find_chan(&l, chip, "vout2")), 1000);
	i2c_sim_pmbus_word(c, 1, 0x8b, 0x00c0);
	cr_expect_eq(must_read(find_chan(&l, chip, "vout2")), 750);
	rt_chan_list_free(&l);
	cr_expect_eq(i2c_sim_pmbus_page(c), 0, "remove restored the original page");
}

Test(i2c, pmbus_only_page_writes)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_write w[I2C_SIM_LOG];
	struct rt_err err;
	size_t n, i;
	int64_t v;

	add_vrm(5, 0x40);
	cr_assert_eq(probe("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40\npages = 0,1\n", &l,
			   &err), 0, "%s", err.msg);
	for (i = 0; i < 3; i++) {
		size_t j;

		for (j = 0; j < l.n; j++)
			cr_expect_eq(read_chan(&l.chan[j], &v), 0);
	}
	rt_chan_list_free(&l);
	n = i2c_sim_writes(w, I2C_SIM_LOG);
	cr_expect_gt(n, 0, "paged reads write PAGE");
	cr_assert_leq(n, I2C_SIM_LOG);
	for (i = 0; i < n; i++) {
		cr_expect_eq(w[i].cmd, 0x00, "write %zu to cmd 0x%02x", i, w[i].cmd);
		cr_expect_eq(w[i].size, I2C_SMBUS_BYTE_DATA);
		cr_expect(w[i].value == 0 || w[i].value == 1, "page %u not in the allow-list",
			  w[i].value);
	}
}

Test(i2c, pmbus_single_page_never_writes)
{
	struct rt_chan_list l = { 0 };
	struct rt_err err;
	size_t j;
	int64_t v;

	add_vrm(5, 0x41);
	cr_assert_eq(probe("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x41\n", &l, &err), 0,
		     "%s", err.msg);
	cr_expect_eq(l.n, 4);
	for (j = 0; j < l.n; j++)
		cr_expect_eq(read_chan(&l.chan[j], &v), 0);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, pmbus_skips_rails_with_reason)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *vid, *stuck;
	struct rt_err err;

	vid = add_vrm(5, 0x40);
	i2c_sim_pmbus_byte(vid, 1, 0x20, 0x20 | 0x01); /* page 1 in VID mode */
	stuck = add_vrm(5, 0x42);
	i2c_sim_pmbus_ignore_page(stuck, true);        /* PAGE writes ignored */
	i2c_sim_pmbus_word(stuck, 0, 0x96, 0);
	cr_assert_eq(probe("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40,0x42,0x43\n"
			   "pages = 0,1\n", &l, &err), 0, "%s", err.msg);
	cr_expect_eq(l.n, 8, "%zu channels (%s)", l.n, err.msg);
	cr_expect_not_null(find_chan(&l, "pmbus/i2c-5-0040", "vout1"));
	cr_expect_null(find_chan(&l, "pmbus/i2c-5-0040", "vout2"));
	cr_expect_not_null(find_chan(&l, "pmbus/i2c-5-0042", "vout1"));
	cr_expect_null(find_chan(&l, "pmbus/i2c-5-0042", "iout2"));
	cr_expect_not_null(strstr(err.msg, "5-0040 page 1 skipped: VOUT_MODE 0x21 is VID mode"),
			   "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "5-0042 page 1 skipped: PAGE did not read back"), "%s",
			   err.msg);
	cr_expect_not_null(strstr(err.msg, "5-0043 skipped: PAGE unreadable"), "%s", err.msg);
	rt_chan_list_free(&l);
}

Test(i2c, pmbus_nack_at_read_then_recovers)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	int64_t v = 7;

	c = add_vrm(5, 0x40);
	cr_assert_eq(probe("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40\npages = 0,1\n", &l,
			   &err), 0, "%s", err.msg);
	i2c_sim_set_fail(c, ENXIO);
	cr_expect_eq(read_chan(find_chan(&l, "pmbus/i2c-5-0040", "vout2"), &v), -ENXIO);
	cr_expect_eq(read_chan(find_chan(&l, "pmbus/i2c-5-0040", "vout1"), &v), -ENXIO);
	cr_expect_eq(v, 7);
	i2c_sim_set_fail(c, 0);
	cr_expect_eq(must_read(find_chan(&l, "pmbus/i2c-5-0040", "vout2")), 1500);
	cr_expect_eq(must_read(find_chan(&l, "pmbus/i2c-5-0040", "vout1")), 798);
	rt_chan_list_free(&l);
}

Test(i2c, pmbus_config_errors)
{
	assert_conf_error("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x02\n", 3,
			  "outside the 7-bit range 0x03-0x77");
	assert_conf_error("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40, 0x78\n", 3,
			  "0x78 outside the 7-bit range");
	assert_conf_error("i2c_pmbus", "[i2c_pmbus]\nbus = 5\n", 1, "addresses: required");
	assert_conf_error("i2c_pmbus", "[i2c_pmbus]\nbus = 5\naddresses = 0x40\npages = 0,32\n", 4,
			  "'32' is not a page");
	assert_conf_error("i2c_pmbus", "[i2c_pmbus]\nbus = 5x\naddresses = 0x40\n", 2,
			  "not a bus number");
}

/* ------------------------------------------------------------------ fan */

static void fan_tach(struct i2c_sim_chip *c, int fan, uint16_t raw)
{
	i2c_sim_set_byte(c, (uint8_t)(0x3e + 0x10 * fan), raw >> 8);
	i2c_sim_set_byte(c, (uint8_t)(0x3f + 0x10 * fan), raw & 0xff);
}

Test(i2c, fan_emc2305_reads)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;
	const struct rt_chan *fan1, *pwm1, *fan5;
	const char *chip = "emc2305/i2c-5-002e";
	int64_t v = 99;

	c = i2c_sim_add_emc2305(5, 0x2e, 0x34);
	cr_assert_not_null(c);
	fan_tach(c, 0, 0x1e00);                    /* count 960 */
	fan_tach(c, 4, 0x0f00);                    /* count 480 */
	i2c_sim_set_byte(c, 0x30, 128);
	cr_assert_eq(probe("i2c_fan", "[i2c_fan]\nbus = 5\naddress = 0x2e\n", &l, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(l.n, 10, "%zu channels (%s)", l.n, err.msg);
	fan1 = find_chan(&l, chip, "fan1");
	pwm1 = find_chan(&l, chip, "pwm1");
	fan5 = find_chan(&l, chip, "fan5");
	cr_assert(fan1 && pwm1 && fan5);
	cr_expect_str_eq(fan1->desc.label, "Fan 1");
	cr_expect_eq(fan1->desc.kind, SOV_KIND_FAN_RPM);
	cr_expect_eq(fan1->desc.unit, SOV_UNIT_RPM);
	cr_expect_eq(pwm1->desc.kind, SOV_KIND_FAN_DUTY);
	cr_expect_eq(pwm1->desc.unit, SOV_UNIT_PERMILLE);
	cr_expect_eq(must_read(fan1), 2 * (3932160 / 960));   /* 8192 */
	cr_expect_eq(must_read(fan5), 2 * (3932160 / 480));   /* 16384 */
	cr_expect_eq(must_read(pwm1), 502);                   /* 128/255 = 50.2 % */
	i2c_sim_set_byte(c, 0x30, 255);
	cr_expect_eq(must_read(pwm1), 1000);
	i2c_sim_set_byte(c, 0x30, 0);
	cr_expect_eq(must_read(pwm1), 0);
	fan_tach(c, 0, 0xfff8);                    /* stalled: count 8191, 480 RPM -> 0 */
	cr_expect_eq(must_read(fan1), 0, "a stall reads 0 RPM, validly");
	fan_tach(c, 0, 0x0007);                    /* count 0: no measurement */
	cr_expect_eq(read_chan(fan1, &v), -ENODATA);
	fan_tach(c, 0, 0x3c00);                    /* count 1920 */
	cr_expect_eq(must_read(fan1), 4096);
	i2c_sim_set_fail(c, ENXIO);
	cr_expect_eq(read_chan(fan1, &v), -ENXIO);
	cr_expect_eq(read_chan(pwm1, &v), -ENXIO);
	cr_expect_eq(v, 99);
	rt_chan_list_free(&l);
	assert_no_writes();
}

Test(i2c, fan_detection)
{
	struct rt_chan_list l = { 0 };
	struct i2c_sim_chip *c;
	struct rt_err err;

	cr_assert_not_null(i2c_sim_add_emc2305(5, 0x2f, 0x37));  /* EMC2301: one fan */
	cr_assert_eq(probe("i2c_fan", "[i2c_fan]\nbus = 5\naddress = 0x2f\n", &l, &err), 0);
	cr_expect_eq(l.n, 2);
	cr_expect_not_null(find_chan(&l, "emc2301/i2c-5-002f", "fan1"));
	cr_expect_not_null(find_chan(&l, "emc2301/i2c-5-002f", "pwm1"));
	rt_chan_list_free(&l);

	c = i2c_sim_add_emc2305(5, 0x2c, 0x34);
	i2c_sim_set_byte(c, 0xfe, 0x5c);                          /* wrong vendor */
	cr_assert_eq(probe("i2c_fan", "[i2c_fan]\nbus = 5\naddress = 0x2c\n", &l, &err), 0);
	cr_expect_eq(l.n, 0);
	cr_expect_not_null(strstr(err.msg, "5-002c skipped: not an EMC230x (vendor 0x5c"), "%s",
			   err.msg);
	rt_chan_list_free(&l);

	cr_assert_eq(probe("i2c_fan", "[i2c_fan]\nbus = 5\naddress = 0x2d\n", &l, &err), 0);
	cr_expect_eq(l.n, 0);
	cr_expect_not_null(strstr(err.msg, "5-002d skipped: vendor id unreadable"), "%s", err.msg);
	rt_chan_list_free(&l);
	assert_no_writes();

	assert_conf_error("i2c_fan", "[i2c_fan]\nbus = 5\naddress = 0x7f\n", 3, "0x7f");
	assert_conf_error("i2c_fan", "[i2c_fan]\nbus = 5\n", 1, "address: required");
}
