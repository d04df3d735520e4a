/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_pmbus.c - PMBus VRM telemetry (output voltage, current, temperature,
 * power per rail) over /dev/i2c-N, decoded like the kernel's pmbus_core.
 *
 * Config, section [i2c_pmbus] (off by default; "enable = yes" turns it on):
 *   enable = yes            required to probe at all (default_enabled = false)
 *   bus = 5                 required; the VRMs' SMBus segment
 *   addresses = 0x40,0x41   required; no scanning (PMBus has no ID scheme
 *                           safe to probe blindly)
 *   pages = 0,1             default 0; the rails read, and the allow-list of
 *                           PAGE writes (the only writes this backend makes)
 *   period_ms = 1000        read period (>= 100)
 * Channels per rail (page P, N = P + 1): chip "pmbus/i2c-B-00AA",
 * names/labels "voutN" (mV), "ioutN" (mA), "tempN" (m°C), "poutN" (µW);
 * a command the device does not answer at probe gets no channel.
 * Only VOUT_MODE linear (mode 000) is supported; a rail in VID, direct or
 * IEEE-754 mode is skipped with a note.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/i2c.h>

#include "i2c.h"
#include "sensor.h"

/* PMBus commands (docs/hardware.md §R6; drivers/hwmon/pmbus/pmbus.h) */
#define PMBUS_PAGE			0x00
#define PMBUS_VOUT_MODE			0x20
#define PMBUS_READ_VOUT			0x8b
#define PMBUS_READ_IOUT			0x8c
#define PMBUS_READ_TEMPERATURE_1	0x8d
#define PMBUS_READ_POUT			0x96

/* VOUT_MODE: bits 7:5 mode, bits 4:0 the LINEAR16 exponent (signed) */
#define PMBUS_VOUT_MODE_SHIFT		5
#define PMBUS_VOUT_MODE_MASK		0x07
#define PMBUS_VOUT_MODE_LINEAR		0
#define PMBUS_VOUT_EXP_MASK		0x1f
#define PMBUS_VOUT_EXP_SIGN		0x10

/* LINEAR11: bits 15:11 exponent N (s5), bits 10:0 mantissa Y (s11) */
#define PMBUS_L11_EXP_SHIFT		11
#define PMBUS_L11_MANT_MASK		0x7ff
#define PMBUS_L11_MANT_SIGN		0x400

#define PMBUS_PAGES_MAX			32    /* pages 0..31; 0xff ("all") never */
#define PMBUS_PERIOD_MS			1000u
#define PMBUS_MIN_PERIOD_MS		100u

/*
 * struct pmbus_dev - one VRM, shared by its channels.
 * @refs: channels holding it, plus probe's own while probing.
 * @curpage: page last written and read back, -1 unknown (after an error).
 * @orig_page: PAGE found at probe; the last remove restores it (if allowed).
 * @paged: PAGE is written at all: like pmbus_set_page(), a device read on
 *   page 0 only is never sent a PAGE command.
 * @allowed: bit P set: page P is in the config's allow-list.
 */
struct pmbus_dev {
	struct i2c_dev io;
	unsigned int refs;
	int curpage;
	int orig_page;
	bool paged;
	uint32_t allowed;
};

enum pmbus_class { PMBUS_CLASS_VOUT, PMBUS_CLASS_CURR, PMBUS_CLASS_TEMP, PMBUS_CLASS_POWER };

/* struct pmbus_chan - one reading of one rail. */
struct pmbus_chan {
	struct pmbus_dev *dev;
	uint8_t page;
	uint8_t cmd;
	uint8_t cls;        /* enum pmbus_class */
	int8_t vout_exp;    /* LINEAR16 exponent from VOUT_MODE */
};

/*
 * pmbus_scale_shift() - @val * 2^@exp.  The kernel shifts; a right shift of
 * a negative s64 is arithmetic there (floor), which is spelled out here
 * because C leaves it to the implementation, and a left shift of a
 * negative value is undefined in C, hence the multiply.
 */
static int64_t pmbus_scale_shift(int64_t val, int exp)
{
	int64_t div;

	if (exp >= 0)
		return val * ((int64_t)1 << exp);
	div = (int64_t)1 << -exp;
	return val >= 0 ? val / div : -((-val + div - 1) / div);
}

/*
 * pmbus_linear11_raw_to_scaled() - LINEAR11 @w times @scale, scaled before
 * the shift exactly as pmbus_reg2data_linear() (1000: milli-units, 10^6:
 * power in µW), so that no precision is lost.
 */
static int64_t pmbus_linear11_raw_to_scaled(uint16_t w, int64_t scale)
{
	int exp = (int)(w >> PMBUS_L11_EXP_SHIFT);
	int32_t mant = w & PMBUS_L11_MANT_MASK;

	if (exp & PMBUS_VOUT_EXP_SIGN)
		exp -= PMBUS_VOUT_EXP_MASK + 1;
	if (mant & PMBUS_L11_MANT_SIGN)
		mant -= PMBUS_L11_MANT_MASK + 1;
	return pmbus_scale_shift((int64_t)mant * scale, exp);
}

/* pmbus_linear11_raw_to_milli() - READ_IOUT (mA), READ_TEMPERATURE_1 (m°C). */
static int64_t pmbus_linear11_raw_to_milli(uint16_t w)
{
	return pmbus_linear11_raw_to_scaled(w, 1000);
}

/* pmbus_linear11_raw_to_micro() - READ_POUT in µW. */
static int64_t pmbus_linear11_raw_to_micro(uint16_t w)
{
	return pmbus_linear11_raw_to_scaled(w, 1000000);
}

/* pmbus_linear16_raw_to_milli() - READ_VOUT (unsigned mantissa) in mV. */
static int64_t pmbus_linear16_raw_to_milli(uint16_t w, int exp)
{
	return pmbus_scale_shift((int64_t)w * 1000, exp);
}

/* pmbus_vout_exp() - the signed 5-bit exponent of VOUT_MODE. */
static int pmbus_vout_exp(int vout_mode)
{
	int exp = vout_mode & PMBUS_VOUT_EXP_MASK;

	return exp & PMBUS_VOUT_EXP_SIGN ? exp - (PMBUS_VOUT_EXP_MASK + 1) : exp;
}

/*
 * pmbus_set_page() - select @page, verified by reading PAGE back (as the
 * kernel's pmbus_set_page(): a device that ignores the write would
 * otherwise report another rail's values under this rail's name).
 * Context: probe, or the I2C worker (the core reads one device's channels
 * from one thread, so @dev->curpage needs no lock).  Return: 0 or -errno.
 */
static int pmbus_set_page(struct pmbus_dev *dev, int page)
{
	int rc;

	if (!dev->paged || page == dev->curpage)
		return 0;
	if (page < 0 || page >= PMBUS_PAGES_MAX || !(dev->allowed & (1u << page)))
		return -EPERM; /* not in the allow-list: never written */
	dev->curpage = -1;
	rc = i2c_write_byte(&dev->io, PMBUS_PAGE, (uint8_t)page);
	if (rc < 0)
		return rc;
	rc = i2c_read_byte(&dev->io, PMBUS_PAGE);
	if (rc < 0)
		return rc;
	if (rc != page)
		return -EIO;
	dev->curpage = page;
	return 0;
}

static int pmbus_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	const struct pmbus_chan *c = ch->priv;
	int w, rc;

	(void)now_ns;
	rc = pmbus_set_page(c->dev, c->page);
	if (rc)
		return rc;
	w = i2c_read_word(&c->dev->io, c->cmd);
	if (w < 0) {
		c->dev->curpage = -1; /* the device may have reset: select again */
		return w;
	}
	switch (c->cls) {
	case PMBUS_CLASS_VOUT:
		*value = pmbus_linear16_raw_to_milli((uint16_t)w, c->vout_exp);
		return 0;
	case PMBUS_CLASS_POWER:
		*value = pmbus_linear11_raw_to_micro((uint16_t)w);
		return 0;
	case PMBUS_CLASS_CURR:
	case PMBUS_CLASS_TEMP:
		*value = pmbus_linear11_raw_to_milli((uint16_t)w);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* pmbus_dev_put() - drop a reference; the last restores PAGE and closes. */
static void pmbus_dev_put(struct pmbus_dev *dev)
{
	if (--dev->refs)
		return;
	if (dev->paged && dev->orig_page >= 0 && dev->orig_page != dev->curpage)
		pmbus_set_page(dev, dev->orig_page); /* allow-listed pages only */
	i2c_dev_close(&dev->io);
	free(dev);
}

static void pmbus_remove(struct rt_chan *ch)
{
	struct pmbus_chan *c = ch->priv;

	if (!c)
		return;
	pmbus_dev_put(c->dev);
	free(c);
	ch->priv = NULL;
}

static const struct pmbus_reading {
	uint8_t cmd;
	uint8_t cls;
	uint16_t kind;
	uint16_t unit;
	const char *name;
} pmbus_readings[] = {
	{ PMBUS_READ_VOUT, PMBUS_CLASS_VOUT, SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT, "vout" },
	{ PMBUS_READ_IOUT, PMBUS_CLASS_CURR, SOV_KIND_CURRENT, SOV_UNIT_MILLIAMPERE, "iout" },
	{ PMBUS_READ_TEMPERATURE_1, PMBUS_CLASS_TEMP, SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "temp" },
	{ PMBUS_READ_POUT, PMBUS_CLASS_POWER, SOV_KIND_POWER, SOV_UNIT_MICROWATT, "pout" },
};

/* Add the channels of rail @page of @dev; skipped rails leave a note. */
static int pmbus_probe_page(struct rt_probe_ctx *ctx, struct pmbus_dev *dev, int page,
			    uint32_t period_ms)
{
	int rc, mode, vout_mode;
	size_t i;

	rc = pmbus_set_page(dev, page);
	if (rc) {
		i2c_note(ctx->err, "i2c_pmbus", "%s page %d skipped: PAGE %s", dev->io.name, page,
			 rc == -EIO ? "did not read back (no such page?)" : strerror(-rc));
		return 0;
	}
	vout_mode = i2c_read_byte(&dev->io, PMBUS_VOUT_MODE);
	if (vout_mode < 0) {
		i2c_note(ctx->err, "i2c_pmbus", "%s page %d skipped: VOUT_MODE: %s", dev->io.name,
			 page, strerror(-vout_mode));
		return 0;
	}
	mode = (vout_mode >> PMBUS_VOUT_MODE_SHIFT) & PMBUS_VOUT_MODE_MASK;
	if (mode != PMBUS_VOUT_MODE_LINEAR) {
		static const char *const names[] = { "linear", "VID", "direct", "IEEE-754",
						     "reserved", "reserved", "reserved", "reserved" };

		i2c_note(ctx->err, "i2c_pmbus", "%s page %d skipped: VOUT_MODE 0x%02x is %s mode "
			 "(only linear supported)", dev->io.name, page, vout_mode, names[mode]);
		return 0;
	}
	for (i = 0; i < sizeof(pmbus_readings) / sizeof(pmbus_readings[0]); i++) {
		const struct pmbus_reading *r = &pmbus_readings[i];
		struct pmbus_chan *c;
		struct sov_sensor desc;

		/* A command the device does not answer gets no channel. */
		if (i2c_read_word(&dev->io, r->cmd) < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->dev = dev;
		c->page = (uint8_t)page;
		c->cmd = r->cmd;
		c->cls = r->cls;
		c->vout_exp = (int8_t)pmbus_vout_exp(vout_mode);
		memset(&desc, 0, sizeof(desc));
		desc.kind = r->kind;
		desc.unit = r->unit;
		desc.period_ms = period_ms;
		snprintf(desc.name, sizeof(desc.name), "%s%d", r->name, page + 1);
		snprintf(desc.label, sizeof(desc.label), "%s%d", r->name, page + 1);
		snprintf(desc.chip, sizeof(desc.chip), "pmbus/i2c-%s", dev->io.name);
		dev->refs++;
		rc = rt_chan_add(ctx, &desc, c); /* on failure it removed @c */
		if (rc)
			return rc;
	}
	return 0;
}

static int pmbus_probe_one(struct rt_probe_ctx *ctx, int bus, int addr, uint32_t allowed,
			   uint32_t period_ms)
{
	struct pmbus_dev *dev;
	unsigned long need = I2C_FUNC_SMBUS_READ_BYTE_DATA | I2C_FUNC_SMBUS_READ_WORD_DATA;
	char why[160];
	int rc, page;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->refs = 1; /* probe's own, dropped at the end */
	dev->curpage = -1;
	dev->orig_page = -1;
	dev->allowed = allowed;
	dev->paged = allowed != 1u; /* more than page 0 */
	if (dev->paged)
		need |= I2C_FUNC_SMBUS_WRITE_BYTE_DATA;
	rc = i2c_dev_open(&dev->io, ctx->root, bus, addr, need, why, sizeof(why));
	if (rc == -EBUSY) {
		i2c_note(ctx->err, "i2c_pmbus", "%s skipped: %s", dev->io.name, why);
		free(dev);
		return 0;
	}
	if (rc) {
		rt_conf_errorf(ctx->err, ctx->conf, "bus", "%s", why);
		free(dev);
		return rc;
	}
	if (dev->paged) {
		rc = i2c_read_byte(&dev->io, PMBUS_PAGE);
		if (rc < 0) {
			i2c_note(ctx->err, "i2c_pmbus", "%s skipped: PAGE unreadable: %s (no device?)",
				 dev->io.name, strerror(-rc));
			goto out_put;
		}
		dev->orig_page = rc;
		dev->curpage = rc;
	}
	rc = 0;
	for (page = 0; page < PMBUS_PAGES_MAX && !rc; page++)
		if (allowed & (1u << page))
			rc = pmbus_probe_page(ctx, dev, page, period_ms);
out_put:
	pmbus_dev_put(dev);
	return rc < 0 && rc != -ENXIO && rc != -EIO ? rc : 0;
}

static int pmbus_probe(struct rt_probe_ctx *ctx)
{
	char items[PMBUS_PAGES_MAX][64];
	int bus, n, i, a, rc;
	uint32_t allowed = 0;
	long long period;
	bool want[128];

	rc = i2c_conf_buses(ctx->conf, &bus, 1, ctx->err);
	if (rc < 0)
		return rc;
	rc = i2c_conf_addrs(ctx->conf, "addresses", I2C_ADDR_MIN, I2C_ADDR_MAX, false, want,
			    ctx->err);
	if (rc < 0)
		return rc;
	n = rt_conf_list(ctx->conf, "pages", items, PMBUS_PAGES_MAX, ctx->err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		long long p;

		/* decimal: a page is an index, "08" is eight */
		if (rt_parse_ll(items[i], false, &p) || p < 0 || p >= PMBUS_PAGES_MAX)
			return rt_conf_errorf(ctx->err, ctx->conf, "pages",
					      "'%s' is not a page in [0, %d]", items[i],
					      PMBUS_PAGES_MAX - 1);
		allowed |= 1u << p;
	}
	if (!n)
		allowed = 1u; /* page 0 only: PAGE is never written */
	rc = rt_conf_int(ctx->conf, "period_ms", PMBUS_MIN_PERIOD_MS, 3600000, PMBUS_PERIOD_MS,
			 &period, ctx->err);
	if (rc)
		return rc;
	for (a = I2C_ADDR_MIN; a <= I2C_ADDR_MAX; a++) {
		if (!want[a])
			continue;
		rc = pmbus_probe_one(ctx, bus, a, allowed, (uint32_t)period);
		if (rc)
			return rc;
	}
	return 0;
}

/* The keys of its section that pmbus_probe(), i2c_conf_buses() read (sensor_ops.keys). */
static const char *const i2c_pmbus_keys[] = { "bus", "buses", "addresses", "pages", "period_ms", NULL };

static const struct sensor_ops i2c_pmbus_ops = {
	.name = "i2c_pmbus",
	.source = SOV_SRC_I2C,
	.min_period_ms = PMBUS_MIN_PERIOD_MS,
	.slow = true,
	.default_enabled = false,
	.keys = i2c_pmbus_keys,
	.probe = pmbus_probe,
	.read = pmbus_read,
	.remove = pmbus_remove,
};

SENSOR_REGISTER(i2c_pmbus_ops);
