/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_jc42.c - JEDEC JC-42.4 DIMM temperature sensors (DDR3/DDR4 TSOD,
 * TSE2004) at 0x18-0x1F, read over /dev/i2c-N; the sampler's jc42.
 *
 * Config, section [i2c_jc42] (off by default: the wiring is
 * board-specific, so the section must say "enable = yes"):
 *   enable = yes            required to probe at all (default_enabled = false)
 *   bus = 3 | buses = 3,4   required; the SMBus segment(s) of the DIMMs
 *   addresses = 0x18-0x1f   default: the whole JEDEC range; each address
 *                           is probed by reading ID registers only
 *   period_ms = 10000       read period (>= 1000: the chip converts ~8 Hz
 *                           and the kernel caches for HZ; DIMMs move slowly)
 * Channels: chip "jc42/i2c-B-00AA", name "temp1", label "DIMM B-00AA",
 * warn_hi = T_upper, crit_hi = T_crit as found at probe.
 * Nothing is ever written to the chip (the kernel clears the shutdown bit;
 * we skip a chip in shutdown instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>


#include "i2c_temp.h"

/* JC-42.4 registers; all 16-bit, big-endian on the wire (docs/hardware.md §R5.1) */
#define JC42_REG_CAP		0x00
#define JC42_REG_CONFIG		0x01
#define JC42_REG_TEMP_UPPER	0x02
#define JC42_REG_TEMP_LOWER	0x03
#define JC42_REG_TEMP_CRITICAL	0x04
#define JC42_REG_TEMP		0x05
#define JC42_REG_MANID		0x06
#define JC42_REG_DEVICEID	0x07

/* Temperature register: bits 15:13 alarms, 12:0 two's complement 1/16 °C */
#define JC42_TEMP_MASK		0x1fff
#define JC42_TEMP_SIGN		0x1000
#define JC42_ALARM_MASK		0xe000

/* Configuration register */
#define JC42_CFG_SHUTDOWN	(1 << 8)

/* Detection masks, as jc42_detect() (kernel >= 6.12, docs/hardware.md §R5.1) */
#define JC42_CAP_RSVD_MASK	0xff00
#define JC42_CFG_RSVD_MASK	0xf820
#define JC42_CAP_TSE2004_REQ	0x0062  /* TSE2004 must report these */
#define TSE2004_DEVID		0x2200
#define TSE2004_DEVID_MASK	0xff00

#define JC42_ADDR_FIRST		0x18
#define JC42_ADDR_LAST		0x1f
#define JC42_PERIOD_MS		10000u
#define JC42_MIN_PERIOD_MS	1000u

/* The kernel's supported-chip table: (manufacturer, device id, mask). */
static const struct jc42_chip {
	uint16_t manid;
	uint16_t devid;
	uint16_t devid_mask;
} jc42_chips[] = {
	{ 0x11d4, 0x0801, 0xffff },  /* ADT7408 */
	{ 0x001f, 0x8201, 0xffff },  /* Atmel AT30TS00 */
	{ 0x1114, 0x2200, 0xffff },  /* Atmel AT30TSE004 */
	{ 0x1c68, 0x2200, 0xff00 },  /* Giantec GT30TS00 */
	{ 0x132d, 0x3300, 0xff00 },  /* Giantec GT34TS02 */
	{ 0x00b3, 0x2200, 0xff00 },  /* IDT TSE2004 */
	{ 0x00b3, 0x2900, 0xff00 },  /* IDT TS3000, TSE2002 */
	{ 0x00b3, 0x3000, 0xff00 },  /* IDT TS3001 */
	{ 0x004d, 0x3e00, 0xffff },  /* Maxim MAX6604 */
	{ 0x0054, 0x0200, 0xfffc },  /* Microchip MCP9804 */
	{ 0x0054, 0x0400, 0xfffc },  /* MCP9808 */
	{ 0x0054, 0x2000, 0xfffc },  /* MCP98242 */
	{ 0x0054, 0x2100, 0xfffc },  /* MCP98243 */
	{ 0x0054, 0x2200, 0xfffc },  /* MCP98244 */
	{ 0x0054, 0x0000, 0xfffe },  /* MCP9843, MCP9805 */
	{ 0x1131, 0xa200, 0xfffc },  /* NXP SE97 */
	{ 0x1b09, 0x0800, 0xffe0 },  /* ON CAT6095, CAT34TS02 */
	{ 0x1b09, 0x0a00, 0xfff0 },  /* ON CAT34TS02C */
	{ 0x1b09, 0x2200, 0xfff0 },  /* ON CAT34TS04 */
	{ 0x1b09, 0x2230, 0xfff0 },  /* ON N34TS04 */
	{ 0x1131, 0xa100, 0xfffc },  /* NXP SE98 */
	{ 0x104a, 0x0101, 0xffff },  /* ST STTS424 */
	{ 0x104a, 0x0000, 0xfffe },  /* ST STTS424E */
	{ 0x104a, 0x0300, 0xffff },  /* ST STTS2002 */
	{ 0x104a, 0x2201, 0xffff },  /* ST STTS2004 */
	{ 0x104a, 0x0200, 0xffff },  /* ST STTS3000 */
};

/* struct jc42_data - one sensor (one channel). */
/*
 * jc42_temp_raw_to_milli() - register (alarm bits ignored) to m°C:
 * sign-extend bit 12, then 0.0625 °C = 125/2 m°C, truncated toward zero
 * like the kernel's jc42_temp_from_reg().
 */
static int64_t jc42_temp_raw_to_milli(uint16_t raw)
{
	int32_t t = raw & JC42_TEMP_MASK;

	if (t & JC42_TEMP_SIGN)
		t -= JC42_TEMP_MASK + 1;
	return (int64_t)(t * 125 / 2);
}

/*
 * jc42_detect() - is @io a JC-42.4 sensor?  Exactly jc42_detect(): reserved
 * capability/config bits clear, TSE2004 parts report cap bits 0x0062, and
 * (manufacturer, device id) is in the kernel's table.
 * Return: 0, -ENODEV with @why, or -errno of a failed read.
 */
static int jc42_detect(const struct i2c_dev *io, char *why, size_t len)
{
	int cap, config, manid, devid;
	size_t i;

	cap = i2c_read_word_swapped(io, JC42_REG_CAP);
	if (cap < 0)
		return cap;
	config = i2c_read_word_swapped(io, JC42_REG_CONFIG);
	manid = i2c_read_word_swapped(io, JC42_REG_MANID);
	devid = i2c_read_word_swapped(io, JC42_REG_DEVICEID);
	if (config < 0 || manid < 0 || devid < 0) {
		snprintf(why, len, "ID registers unreadable");
		return config < 0 ? config : manid < 0 ? manid : devid;
	}
	if ((cap & JC42_CAP_RSVD_MASK) || (config & JC42_CFG_RSVD_MASK)) {
		snprintf(why, len, "not a JC-42.4 sensor (cap 0x%04x, config 0x%04x)", cap, config);
		return -ENODEV;
	}
	if ((devid & TSE2004_DEVID_MASK) == TSE2004_DEVID &&
	    (cap & JC42_CAP_TSE2004_REQ) != JC42_CAP_TSE2004_REQ) {
		snprintf(why, len, "TSE2004 id without its capability bits (cap 0x%04x)", cap);
		return -ENODEV;
	}
	for (i = 0; i < sizeof(jc42_chips) / sizeof(jc42_chips[0]); i++)
		if (manid == jc42_chips[i].manid &&
		    (devid & jc42_chips[i].devid_mask) == jc42_chips[i].devid)
			break;
	if (i == sizeof(jc42_chips) / sizeof(jc42_chips[0])) {
		snprintf(why, len, "unknown JC-42.4 chip (manufacturer 0x%04x, device 0x%04x)",
			 manid, devid);
		return -ENODEV;
	}
	if (config & JC42_CFG_SHUTDOWN) {
		/* The kernel clears it; the sampler never writes a DIMM sensor. */
		snprintf(why, len, "in shutdown mode (config bit 8), not converting");
		return -ENODEV;
	}
	return 0;
}

/* Probe one address; 0 also when nothing is there (noted in ctx->err). */
static const struct i2c_temp_chip jc42_chip = {
	.tag = "i2c_jc42",
	.chip = "jc42",
	.addr_first = JC42_ADDR_FIRST,
	.addr_last = JC42_ADDR_LAST,
	.period_ms = JC42_PERIOD_MS,
	.min_period_ms = JC42_MIN_PERIOD_MS,
	.reg_temp = JC42_REG_TEMP,
	.reg_warn_hi = JC42_REG_TEMP_UPPER,
	.reg_crit_hi = JC42_REG_TEMP_CRITICAL,
	.swapped = true,
	.detect = jc42_detect,
	.to_milli = jc42_temp_raw_to_milli,
};

static int jc42_probe(struct rt_probe_ctx *ctx)
{
	return i2c_temp_probe(ctx, &jc42_chip);
}

/* The keys of its section that i2c_temp_probe(), i2c_conf_buses() read (sensor_ops.keys). */
static const char *const i2c_jc42_keys[] = { "bus", "buses", "addresses", "period_ms", NULL };

static const struct sensor_ops i2c_jc42_ops = {
	.name = "i2c_jc42",
	.source = SOV_SRC_I2C,
	.min_period_ms = JC42_MIN_PERIOD_MS,
	.slow = true,
	.default_enabled = false,
	.keys = i2c_jc42_keys,
	.probe = jc42_probe,
	.read = i2c_temp_read,
	.remove = i2c_temp_remove,
};

SENSOR_REGISTER(i2c_jc42_ops);
