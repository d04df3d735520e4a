/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_fan.c - fan speed and drive duty from one Microchip EMC2301/2/3/5 fan
 * controller over /dev/i2c-N.  Read only: the fan actuator (readers/fan)
 * drives the fans; the sampler never writes the chip.
 *
 * Config, section [i2c_fan] (off by default; "enable = yes" turns it on):
 *   enable = yes            required to probe at all (default_enabled = false)
 *   bus = 5                 required
 *   address = 0x2e          required (straps are board-specific)
 *   period_ms = 1000        read period (>= 100)
 * Channels per fan N (1-based): chip "emc230X/i2c-B-00AA" (the model found:
 * emc2305, emc2303, emc2302 or emc2301), name "fanN"
 * (RPM, label "Fan N") and "pwmN" (drive duty in per-mille, "Fan N duty").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/i2c.h>

#include "i2c.h"
#include "sensor.h"

/* EMC230x registers (docs/hardware.md §R7.2; drivers/hwmon/emc2305.c) */
#define EMC2305_REG_FAN_DRIVE(n)	(0x30 + 0x10 * (n))  /* duty 0..255 */
#define EMC2305_REG_FAN_TACH(n)		(0x3e + 0x10 * (n))  /* 16-bit, big-endian */
#define EMC2305_REG_PRODUCT_ID		0xfd
#define EMC2305_REG_VENDOR		0xfe

#define EMC2305_VENDOR			0x5d
#define EMC2305_PRODUCT_2305		0x34  /* 5 fans */
#define EMC2305_PRODUCT_2303		0x35  /* 3 */
#define EMC2305_PRODUCT_2302		0x36  /* 2 */
#define EMC2305_PRODUCT_2301		0x37  /* 1 */

#define EMC2305_TACH_SHIFT		3      /* bits 2:0 of the tach word unused */
#define EMC2305_RPM_FACTOR		3932160
#define EMC2305_TACH_RANGE_MIN		480    /* at or below: the fan is stopped */
#define EMC2305_TACH_CNT_MULTIPLIER	2
#define EMC2305_PWM_MAX			255

#define FAN_PERIOD_MS			1000u
#define FAN_MIN_PERIOD_MS		100u

/* struct fan_dev - the controller, shared by its channels (@refs holders). */
struct fan_dev {
	struct i2c_dev io;
	unsigned int refs;
	const char *model;
};

/* struct fan_chan - one fan's speed or duty. */
struct fan_chan {
	struct fan_dev *dev;
	uint8_t fan;   /* 0-based */
	bool duty;     /* drive duty, not speed */
};

/*
 * emc2305_tach_raw_to_rpm() - tach word to RPM, as emc2305_show_fan():
 * RPM = 2 * (3932160 / count), 0 when that is <= 480 (a stalled fan reads
 * count 0x1fff).  Return: RPM, or -ENODATA for a zero count: the kernel
 * returns 0 for word 0 and divides by zero for words 1..7; neither is a
 * measurement, and a failed read is never published as 0.
 */
static int64_t emc2305_tach_raw_to_rpm(uint16_t raw)
{
	int32_t count = raw >> EMC2305_TACH_SHIFT;
	int32_t rpm;

	if (!count)
		return -ENODATA;
	rpm = EMC2305_RPM_FACTOR / count;
	if (rpm <= EMC2305_TACH_RANGE_MIN)
		return 0;
	return (int64_t)rpm * EMC2305_TACH_CNT_MULTIPLIER;
}

/* emc2305_duty_raw_to_permille() - drive 0..255 to 0..1000, rounded to nearest. */
static int64_t emc2305_duty_raw_to_permille(uint8_t raw)
{
	return ((int64_t)raw * 1000 + EMC2305_PWM_MAX / 2) / EMC2305_PWM_MAX;
}

static int fan_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	const struct fan_chan *c = ch->priv;
	int64_t v;
	int raw;

	(void)now_ns;
	if (c->duty) {
		raw = i2c_read_byte(&c->dev->io, EMC2305_REG_FAN_DRIVE(c->fan));
		if (raw < 0)
			return raw;
		*value = emc2305_duty_raw_to_permille((uint8_t)raw);
		return 0;
	}
	raw = i2c_read_word_swapped(&c->dev->io, EMC2305_REG_FAN_TACH(c->fan));
	if (raw < 0)
		return raw;
	v = emc2305_tach_raw_to_rpm((uint16_t)raw);
	if (v < 0)
		return (int)v;
	*value = v;
	return 0;
}

static void fan_dev_put(struct fan_dev *dev)
{
	if (--dev->refs)
		return;
	i2c_dev_close(&dev->io);
	free(dev);
}

static void fan_remove(struct rt_chan *ch)
{
	struct fan_chan *c = ch->priv;

	if (!c)
		return;
	fan_dev_put(c->dev);
	free(c);
	ch->priv = NULL;
}

/* fan_detect() - vendor 0x5d and a known product; sets *@nfans.  Return: 0 or -errno. */
static int fan_detect(struct fan_dev *dev, int *nfans, char *why, size_t len)
{
	int vendor, product;

	vendor = i2c_read_byte(&dev->io, EMC2305_REG_VENDOR);
	if (vendor < 0) {
		snprintf(why, len, "vendor id unreadable: %s (no device?)", strerror(-vendor));
		return vendor;
	}
	product = i2c_read_byte(&dev->io, EMC2305_REG_PRODUCT_ID);
	if (product < 0) {
		snprintf(why, len, "product id unreadable: %s", strerror(-product));
		return product;
	}
	switch (vendor == EMC2305_VENDOR ? product : -1) {
	case EMC2305_PRODUCT_2305:
		*nfans = 5;
		dev->model = "emc2305";
		return 0;
	case EMC2305_PRODUCT_2303:
		*nfans = 3;
		dev->model = "emc2303";
		return 0;
	case EMC2305_PRODUCT_2302:
		*nfans = 2;
		dev->model = "emc2302";
		return 0;
	case EMC2305_PRODUCT_2301:
		*nfans = 1;
		dev->model = "emc2301";
		return 0;
	default:
		snprintf(why, len, "not an EMC230x (vendor 0x%02x, product 0x%02x)", vendor,
			 product);
		return -ENODEV;
	}
}

static int fan_probe(struct rt_probe_ctx *ctx)
{
	struct fan_dev *dev;
	long long addr, period;
	int bus, nfans, i, rc;
	char why[160];

	rc = i2c_conf_buses(ctx->conf, &bus, 1, ctx->err);
	if (rc < 0)
		return rc;
	if (!rt_conf_get(ctx->conf, "address"))
		return rt_conf_errorf(ctx->err, ctx->conf, "address",
				      "required: no default, the straps are board-specific");
	rc = rt_conf_int_hex(ctx->conf, "address", I2C_ADDR_MIN, I2C_ADDR_MAX, 0, &addr, ctx->err);
	if (rc)
		return rc;
	rc = rt_conf_int(ctx->conf, "period_ms", FAN_MIN_PERIOD_MS, 3600000, FAN_PERIOD_MS,
			 &period, ctx->err);
	if (rc)
		return rc;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->refs = 1; /* probe's own */
	rc = i2c_dev_open(&dev->io, ctx->root, bus, (int)addr,
			  I2C_FUNC_SMBUS_READ_BYTE_DATA | I2C_FUNC_SMBUS_READ_WORD_DATA, why,
			  sizeof(why));
	if (rc) {
		if (rc == -EBUSY) {
			i2c_note(ctx->err, "i2c_fan", "%s skipped: %s", dev->io.name, why);
			rc = 0;
		} else {
			rt_conf_errorf(ctx->err, ctx->conf, "bus", "%s", why);
		}
		free(dev);
		return rc;
	}
	rc = fan_detect(dev, &nfans, why, sizeof(why));
	if (rc) {
		/* Configured explicitly, so its absence is worth a note. */
		i2c_note(ctx->err, "i2c_fan", "%s skipped: %s", dev->io.name, why);
		rc = 0;
		goto out_put;
	}
	for (i = 0; i < 2 * nfans && !rc; i++) {
		struct fan_chan *c = calloc(1, sizeof(*c));
		struct sov_sensor desc;
		int n = i / 2 + 1;

		if (!c) {
			rc = -ENOMEM;
			break;
		}
		c->dev = dev;
		c->fan = (uint8_t)(i / 2);
		c->duty = i & 1;
		memset(&desc, 0, sizeof(desc));
		desc.period_ms = (uint32_t)period;
		snprintf(desc.chip, sizeof(desc.chip), "%s/i2c-%s", dev->model, dev->io.name);
		if (c->duty) {
			desc.kind = SOV_KIND_FAN_DUTY;
			desc.unit = SOV_UNIT_PERMILLE;
			snprintf(desc.name, sizeof(desc.name), "pwm%d", n);
			snprintf(desc.label, sizeof(desc.label), "Fan %d duty", n);
		} else {
			desc.kind = SOV_KIND_FAN_RPM;
			desc.unit = SOV_UNIT_RPM;
			snprintf(desc.name, sizeof(desc.name), "fan%d", n);
			snprintf(desc.label, sizeof(desc.label), "Fan %d", n);
		}
		dev->refs++;
		rc = rt_chan_add(ctx, &desc, c); /* on failure it removed @c */
	}
out_put:
	fan_dev_put(dev);
	return rc;
}

/* The keys of its section that fan_probe(), i2c_conf_buses() read (sensor_ops.keys). */
static const char *const i2c_fan_keys[] = { "bus", "buses", "address", "period_ms", NULL };

static const struct sensor_ops i2c_fan_ops = {
	.name = "i2c_fan",
	.source = SOV_SRC_I2C,
	.min_period_ms = FAN_MIN_PERIOD_MS,
	.slow = true,
	.default_enabled = false,
	.keys = i2c_fan_keys,
	.probe = fan_probe,
	.read = fan_read,
	.remove = fan_remove,
};

SENSOR_REGISTER(i2c_fan_ops);
