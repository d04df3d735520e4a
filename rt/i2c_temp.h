/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_temp.h - what the DIMM temperature sensor backends (i2c_jc42.c,
 * i2c_spd5118.c) share: one temperature word per chip, its warning and
 * critical limits read once at probe, chips found by reads only at the
 * configured addresses.  Each backend describes its chip in a struct
 * i2c_temp_chip (registers, detect, conversion) and keeps its own ops.
 */
#ifndef SOVEREIGN_RT_I2C_TEMP_H
#define SOVEREIGN_RT_I2C_TEMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i2c.h"
#include "sensor.h"

/*
 * struct i2c_temp_chip - one kind of DIMM temperature sensor.
 * @tag: the backend's name and config section ("i2c_jc42"), in notes.
 * @chip: the channel's chip prefix ("jc42": chip "jc42/i2c-B-00AA").
 * @addr_first, @addr_last: the address range "addresses" may name.
 * @period_ms, @min_period_ms: default and smallest "period_ms".
 * @reg_temp, @reg_warn_hi, @reg_crit_hi: word registers.
 * @swapped: words are MSB first (SMBus is LSB first).
 * @detect: 0 for this chip; -ENODEV with a reason in @why; any error with
 *   @why empty means nothing acknowledged (an empty slot: no note).
 * @to_milli: a temperature word to m°C.
 */
struct i2c_temp_chip {
	const char *tag;
	const char *chip;
	int addr_first, addr_last;
	unsigned period_ms, min_period_ms;
	uint8_t reg_temp, reg_warn_hi, reg_crit_hi;
	bool swapped;
	int (*detect)(const struct i2c_dev *io, char *why, size_t len);
	int64_t (*to_milli)(uint16_t raw);
};

/*
 * i2c_temp_probe() - the probe of a backend of @chip: reads "bus"/"buses",
 * "addresses" and "period_ms" of its section, adds a channel per chip
 * found; chips owned by a kernel driver or failing @chip->detect are
 * skipped with a note.  Context: probe.  Return: 0 or -errno with
 * ctx->err (config file and line when the config is at fault).
 */
int i2c_temp_probe(struct rt_probe_ctx *ctx, const struct i2c_temp_chip *chip);

/* i2c_temp_read() - sensor_ops.read of such a backend: one word read.  Context: the worker. */
int i2c_temp_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value);

/* i2c_temp_remove() - sensor_ops.remove of such a backend: closes the device. */
void i2c_temp_remove(struct rt_chan *ch);

#endif /* SOVEREIGN_RT_I2C_TEMP_H */
