/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_spd5118.c - DDR5 DIMM temperature from the SPD5118 hub's sensor at
 * 0x50-0x57, read over /dev/i2c-N; the sampler's spd5118.
 *
 * Config, section [i2c_spd5118] (off by default; "enable = yes" turns it on):
 *   enable = yes            required to probe at all (default_enabled = false)
 *   bus = 3 | buses = 3,4   required; the SMBus segment(s) of the DIMMs
 *   addresses = 0x50-0x57   default: the whole range; probed by reads only
 *   period_ms = 10000       read period (>= 1000)
 * Channels: chip "spd5118/i2c-B-00AA", name "temp1", label "DIMM B-00AA",
 * warn_hi = MR28:29 (high limit), crit_hi = MR32:33 (critical limit).
 * Nothing is ever written: not the page (MR11; the BIOS may enter setup on
 * a warm reboot if its addressing mode changed), not the sensor enable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>


#include "i2c_temp.h"

/* SPD5118 hub registers (docs/hardware.md §R5.2; drivers/hwmon/spd5118.c) */
#define SPD5118_REG_TYPE		0x00  /* MR0:MR1, 0x51 0x18 */
#define SPD5118_REG_REVISION		0x02  /* MR2 */
#define SPD5118_REG_VENDOR		0x03  /* MR3:MR4 */
#define SPD5118_REG_CAPABILITY		0x05  /* MR5 */
#define SPD5118_REG_I2C_LEGACY_MODE	0x0b  /* MR11 */
#define SPD5118_REG_TEMP_CLR		0x13  /* MR19 */
#define SPD5118_REG_ERROR_CLR		0x14  /* MR20 */
#define SPD5118_REG_TEMP_CONFIG		0x1a  /* MR26 */
#define SPD5118_REG_TEMP_MAX		0x1c  /* MR28:MR29 */
#define SPD5118_REG_TEMP_CRIT		0x20  /* MR32:MR33 */
#define SPD5118_REG_TEMP		0x31  /* MR49:MR50 */

#define SPD5118_TYPE			0x5118
#define SPD5118_CAP_TS_SUPPORT		(1 << 1)
#define SPD5118_CAP_RSVD_MASK		0xfc
#define SPD5118_REV_RSVD_MASK		0xc1
#define SPD5118_TS_DISABLE		(1 << 0)
#define SPD5118_LEGACY_PAGE_MASK	0x07
#define SPD5118_LEGACY_MODE_ADDR16	(1 << 3)

/* Temperature: bits 12:2 an 11-bit two's complement in 0.25 °C */
#define SPD5118_TEMP_SHIFT		2
#define SPD5118_TEMP_MASK		0x7ff
#define SPD5118_TEMP_SIGN		0x400
#define SPD5118_TEMP_UNIT_MILLI		250

#define SPD5118_ADDR_FIRST		0x50
#define SPD5118_ADDR_LAST		0x57
#define SPD5118_PERIOD_MS		10000u
#define SPD5118_MIN_PERIOD_MS		1000u

/* spd5118_temp_raw_to_milli() - MR49 + 256*MR50 to m°C (sign_extend32(raw >> 2, 10) * 250). */
static int64_t spd5118_temp_raw_to_milli(uint16_t raw)
{
	int32_t t = (raw >> SPD5118_TEMP_SHIFT) & SPD5118_TEMP_MASK;

	if (t & SPD5118_TEMP_SIGN)
		t -= SPD5118_TEMP_MASK + 1;
	return (int64_t)t * SPD5118_TEMP_UNIT_MILLI;
}

/* Bank and id bytes carry 7 data bits and odd parity; id 0 and 0x7f are invalid. */
static bool spd5118_parity_odd(uint8_t w)
{
	w ^= w >> 4;
	return (0x6996 >> (w & 0xf)) & 1;
}

static bool spd5118_vendor_valid(uint8_t bank, uint8_t id)
{
	if (!spd5118_parity_odd(bank) || !spd5118_parity_odd(id))
		return false;
	id &= 0x7f;
	return id && id != 0x7f;
}

/*
 * spd5118_detect() - spd5118_detect() of the kernel, then our own skips:
 * page != 0 or 16-bit addressing (MR11; never changed) and a disabled
 * sensor (MR26 bit 0; never enabled).  Return: 0, -ENODEV with @why, or
 * -errno of the first read (nothing there).
 */
static int spd5118_detect(const struct i2c_dev *io, char *why, size_t len)
{
	int type, vendor, cap, clr, err, rev, cfg, mode;

	type = i2c_read_word_swapped(io, SPD5118_REG_TYPE);
	if (type < 0)
		return type;
	if (type != SPD5118_TYPE) {
		/*
		 * Renesas/IDT hubs hide volatile registers while a non-zero
		 * page is selected: their type then reads 0x0000 (spd5118.c).
		 */
		snprintf(why, len, "not an SPD5118 hub (MR0:MR1 0x%04x%s)", type,
			 type == 0 ? "; or a hub hiding its registers on a non-zero page" : "");
		return -ENODEV;
	}
	mode = i2c_read_byte(io, SPD5118_REG_I2C_LEGACY_MODE);
	if (mode < 0) {
		snprintf(why, len, "MR11 unreadable: %s", strerror(-mode));
		return mode;
	}
	if (mode & (SPD5118_LEGACY_PAGE_MASK | SPD5118_LEGACY_MODE_ADDR16)) {
		snprintf(why, len, "MR11 0x%02x: page %d%s selected by the BIOS, left as is", mode,
			 mode & SPD5118_LEGACY_PAGE_MASK,
			 mode & SPD5118_LEGACY_MODE_ADDR16 ? " in 16-bit addressing" : "");
		return -ENODEV;
	}
	vendor = i2c_read_word(io, SPD5118_REG_VENDOR);
	cap = i2c_read_byte(io, SPD5118_REG_CAPABILITY);
	clr = i2c_read_byte(io, SPD5118_REG_TEMP_CLR);
	err = i2c_read_byte(io, SPD5118_REG_ERROR_CLR);
	rev = i2c_read_byte(io, SPD5118_REG_REVISION);
	cfg = i2c_read_byte(io, SPD5118_REG_TEMP_CONFIG);
	if (vendor < 0 || cap < 0 || clr < 0 || err < 0 || rev < 0 || cfg < 0) {
		snprintf(why, len, "hub registers unreadable");
		return -EIO;
	}
	if (!spd5118_vendor_valid(vendor & 0xff, (uint8_t)(vendor >> 8))) {
		snprintf(why, len, "invalid vendor id 0x%04x", vendor);
		return -ENODEV;
	}
	if (!(cap & SPD5118_CAP_TS_SUPPORT)) {
		snprintf(why, len, "no temperature sensor (MR5 0x%02x)", cap);
		return -ENODEV;
	}
	if ((cap & SPD5118_CAP_RSVD_MASK) || clr || err || (rev & SPD5118_REV_RSVD_MASK) ||
	    (cfg & ~SPD5118_TS_DISABLE)) {
		snprintf(why, len, "reserved bits set (MR5 0x%02x MR19 0x%02x MR20 0x%02x MR2 0x%02x"
			 " MR26 0x%02x)", cap, clr, err, rev, cfg);
		return -ENODEV;
	}
	if (cfg & SPD5118_TS_DISABLE) {
		snprintf(why, len, "temperature sensor disabled (MR26 bit 0), left as is");
		return -ENODEV;
	}
	return 0;
}

static const struct i2c_temp_chip spd5118_chip = {
	.tag = "i2c_spd5118",
	.chip = "spd5118",
	.addr_first = SPD5118_ADDR_FIRST,
	.addr_last = SPD5118_ADDR_LAST,
	.period_ms = SPD5118_PERIOD_MS,
	.min_period_ms = SPD5118_MIN_PERIOD_MS,
	.reg_temp = SPD5118_REG_TEMP,     /* MR49 and MR50 in one word read */
	.reg_warn_hi = SPD5118_REG_TEMP_MAX,
	.reg_crit_hi = SPD5118_REG_TEMP_CRIT,
	.swapped = false,
	.detect = spd5118_detect,
	.to_milli = spd5118_temp_raw_to_milli,
};

static int spd5118_probe(struct rt_probe_ctx *ctx)
{
	return i2c_temp_probe(ctx, &spd5118_chip);
}

/* The keys of its section that i2c_temp_probe(), i2c_conf_buses() read (sensor_ops.keys). */
static const char *const i2c_spd5118_keys[] = { "bus", "buses", "addresses", "period_ms", NULL };

static const struct sensor_ops i2c_spd5118_ops = {
	.name = "i2c_spd5118",
	.source = SOV_SRC_I2C,
	.min_period_ms = SPD5118_MIN_PERIOD_MS,
	.slow = true,
	.default_enabled = false,
	.keys = i2c_spd5118_keys,
	.probe = spd5118_probe,
	.read = i2c_temp_read,
	.remove = i2c_temp_remove,
};

SENSOR_REGISTER(i2c_spd5118_ops);
