/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_temp.c - probe, read and remove of the DIMM temperature sensor
 * backends (see i2c_temp.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/i2c.h>

#include "i2c_temp.h"

/* struct i2c_temp_data - one chip's channel state (rt_chan.priv). */
struct i2c_temp_data {
	struct i2c_dev io;
	const struct i2c_temp_chip *chip;
};

static int i2c_temp_word(const struct i2c_temp_data *data, uint8_t reg)
{
	return data->chip->swapped ? i2c_read_word_swapped(&data->io, reg)
				   : i2c_read_word(&data->io, reg);
}

int i2c_temp_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	const struct i2c_temp_data *data = ch->priv;
	/* One word read: both bytes from the same conversion. */
	int raw = i2c_temp_word(data, data->chip->reg_temp);

	(void)now_ns;
	if (raw < 0)
		return raw;
	*value = data->chip->to_milli((uint16_t)raw);
	return 0;
}

void i2c_temp_remove(struct rt_chan *ch)
{
	struct i2c_temp_data *data = ch->priv;

	if (!data)
		return;
	i2c_dev_close(&data->io);
	free(data);
	ch->priv = NULL;
}

static int i2c_temp_probe_one(struct rt_probe_ctx *ctx, const struct i2c_temp_chip *chip,
			      int bus, int addr, uint32_t period_ms)
{
	struct i2c_temp_data *data;
	struct sov_sensor desc;
	char why[160];
	int rc, hi, crit;

	data = calloc(1, sizeof(*data));
	if (!data)
		return -ENOMEM;
	data->chip = chip;
	rc = i2c_dev_open(&data->io, ctx->root, bus, addr,
			  I2C_FUNC_SMBUS_READ_BYTE_DATA | I2C_FUNC_SMBUS_READ_WORD_DATA, why,
			  sizeof(why));
	if (rc == -EBUSY) {
		i2c_note(ctx->err, chip->tag, "%s skipped: %s", data->io.name, why);
		rc = 0;
		goto err_free;
	}
	if (rc) {
		rt_conf_errorf(ctx->err, ctx->conf, "bus", "%s", why);
		goto err_free;
	}
	why[0] = '\0';
	rc = chip->detect(&data->io, why, sizeof(why));
	if (rc && !why[0]) {
		rc = 0; /* nothing acknowledges: an empty slot, not worth a note */
		goto err_close;
	}
	if (rc) {
		i2c_note(ctx->err, chip->tag, "%s skipped: %s", data->io.name, why);
		rc = 0;
		goto err_close;
	}
	hi = i2c_temp_word(data, chip->reg_warn_hi);
	crit = i2c_temp_word(data, chip->reg_crit_hi);

	memset(&desc, 0, sizeof(desc));
	desc.kind = SOV_KIND_TEMP;
	desc.unit = SOV_UNIT_MILLICELSIUS;
	desc.period_ms = period_ms;
	snprintf(desc.name, sizeof(desc.name), "temp1");
	snprintf(desc.label, sizeof(desc.label), "DIMM %s", data->io.name);
	snprintf(desc.chip, sizeof(desc.chip), "%s/i2c-%s", chip->chip, data->io.name);
	if (hi >= 0) {
		desc.warn_hi = chip->to_milli((uint16_t)hi);
		desc.flags |= SOV_SEN_WARN_HI;
	}
	if (crit >= 0) {
		desc.crit_hi = chip->to_milli((uint16_t)crit);
		desc.flags |= SOV_SEN_CRIT_HI;
	}
	return rt_chan_add(ctx, &desc, data); /* owns @data from here, also when it fails */

err_close:
	i2c_dev_close(&data->io);
err_free:
	free(data);
	return rc;
}

int i2c_temp_probe(struct rt_probe_ctx *ctx, const struct i2c_temp_chip *chip)
{
	int buses[I2C_BUSES_MAX], nbus, b, a, rc;
	bool want[128];
	long long period;

	nbus = i2c_conf_buses(ctx->conf, buses, I2C_BUSES_MAX, ctx->err);
	if (nbus < 0)
		return nbus;
	rc = i2c_conf_addrs(ctx->conf, "addresses", chip->addr_first, chip->addr_last, true, want,
			    ctx->err);
	if (rc < 0)
		return rc;
	rc = rt_conf_int(ctx->conf, "period_ms", chip->min_period_ms, 3600000, chip->period_ms,
			 &period, ctx->err);
	if (rc)
		return rc;
	for (b = 0; b < nbus; b++)
		for (a = chip->addr_first; a <= chip->addr_last; a++) {
			if (!want[a])
				continue;
			rc = i2c_temp_probe_one(ctx, chip, buses[b], a, (uint32_t)period);
			if (rc)
				return rc;
		}
	return 0;
}
