/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c.c - /dev/i2c-N access shared by the I2C chip backends: open and bind
 * one device per descriptor, SMBus reads through libi2c, common config keys.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <i2c/smbus.h>
#include <linux/i2c-dev.h>

#include "i2c.h"
#include "sensor.h"

int i2c_dev_open(struct i2c_dev *d, const char *root, int bus, int addr, unsigned long need,
		 char *why, size_t whylen)
{
	char path[4096], dev[32];
	int rc;

	d->fd = -1;
	d->bus = bus;
	d->addr = addr;
	d->funcs = 0;
	snprintf(d->name, sizeof(d->name), "%d-%04x", bus, addr);
	snprintf(dev, sizeof(dev), "/dev/i2c-%d", bus);
	rc = rt_path(path, sizeof(path), root, dev);
	if (rc) {
		snprintf(why, whylen, "%s: path too long", dev);
		return rc;
	}
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			rc = -ENODEV;
		snprintf(why, whylen, "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (no such bus, or i2c-dev not loaded)" : "");
		return rc;
	}
	/* I2C_FUNCS: adapters such as i2c-piix4 lack some SMBus transfers. */
	if (ioctl(d->fd, I2C_FUNCS, &d->funcs) < 0) {
		rc = -errno;
		snprintf(why, whylen, "%s: I2C_FUNCS: %s", path, strerror(errno));
		goto err_close;
	}
	if ((d->funcs & need) != need) {
		rc = -EOPNOTSUPP;
		snprintf(why, whylen, "i2c-%d: adapter lacks SMBus transfers 0x%lx (I2C_FUNCS 0x%lx)",
			 bus, need & ~d->funcs, d->funcs);
		goto err_close;
	}
	/*
	 * EBUSY: a kernel driver (jc42, spd5118, pmbus, emc2305) is bound to
	 * the address; its hwmon device is the right interface.  Never
	 * I2C_SLAVE_FORCE: it races the driver's own transactions (i2c-dev.c).
	 */
	if (ioctl(d->fd, I2C_SLAVE, (unsigned long)addr) < 0) {
		rc = -errno;
		if (rc == -EBUSY)
			snprintf(why, whylen,
				 "a kernel driver owns it (I2C_SLAVE: EBUSY); read "
				 "/sys/bus/i2c/devices/%s/hwmon instead", d->name);
		else
			snprintf(why, whylen, "I2C_SLAVE: %s", strerror(errno));
		goto err_close;
	}
	return 0;

err_close:
	close(d->fd);
	d->fd = -1;
	return rc;
}

void i2c_dev_close(struct i2c_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/*
 * libi2c >= 4.0 returns -errno itself; older versions returned -1 with
 * errno set.  Accept both, so that a failure is never taken for a value.
 */
static int i2c_ret(int rc)
{
	if (rc == -1 && errno > 0 && errno != EPERM)
		return -errno;
	return rc;
}

int i2c_read_byte(const struct i2c_dev *d, uint8_t reg)
{
	return i2c_ret(i2c_smbus_read_byte_data(d->fd, reg));
}

int i2c_read_word(const struct i2c_dev *d, uint8_t reg)
{
	return i2c_ret(i2c_smbus_read_word_data(d->fd, reg));
}

int i2c_read_word_swapped(const struct i2c_dev *d, uint8_t reg)
{
	int v = i2c_read_word(d, reg);

	if (v < 0)
		return v;
	return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

int i2c_write_byte(const struct i2c_dev *d, uint8_t reg, uint8_t val)
{
	return i2c_ret(i2c_smbus_write_byte_data(d->fd, reg, val));
}

/*
 * Parse the whole of @str as an integer in [@lo, @hi]: decimal (bus
 * numbers), or with @hex also "0x" hex (addresses, which datasheets give
 * in hex).  Never octal: "010" is ten.
 */
static int parse_int(const char *str, bool hex, long lo, long hi, long *out)
{
	long long v;

	if (rt_parse_ll(str, hex, &v) || v < lo || v > hi)
		return -EINVAL;
	*out = (long)v;
	return 0;
}

int i2c_conf_buses(const struct rt_conf_section *s, int *buses, int max, struct rt_err *err)
{
	char items[I2C_BUSES_MAX][64];
	const char *one = rt_conf_get(s, "bus");
	int n, i;
	long v;

	if (one && rt_conf_get(s, "buses"))
		return rt_conf_errorf(err, s, "buses", "give 'bus' or 'buses', not both");
	if (one) {
		if (parse_int(one, false, 0, I2C_BUS_MAX, &v))
			return rt_conf_errorf(err, s, "bus", "'%s' is not a bus number in [0, %d]",
					      one, I2C_BUS_MAX);
		buses[0] = (int)v;
		return 1;
	}
	if (max > I2C_BUSES_MAX)
		max = I2C_BUSES_MAX;
	n = rt_conf_list(s, "buses", items, max, err);
	if (n < 0)
		return n;
	if (n == 0)
		return rt_conf_errorf(err, s, "bus",
				      "required: no default, the wiring is board-specific");
	for (i = 0; i < n; i++) {
		if (parse_int(items[i], false, 0, I2C_BUS_MAX, &v))
			return rt_conf_errorf(err, s, "buses", "'%s' is not a bus number in [0, %d]",
					      items[i], I2C_BUS_MAX);
		buses[i] = (int)v;
	}
	return n;
}

int i2c_conf_addrs(const struct rt_conf_section *s, const char *key, int lo, int hi,
		   bool def_all, bool want[128], struct rt_err *err)
{
	char items[128][64];
	int n, i, a, count = 0;

	memset(want, 0, 128 * sizeof(want[0]));
	n = rt_conf_list(s, key, items, 128, err);
	if (n < 0)
		return n;
	if (n == 0) {
		if (!def_all)
			return rt_conf_errorf(err, s, key,
					      "required: no default, the wiring is board-specific");
		for (a = lo; a <= hi; a++)
			want[a] = true;
		return hi - lo + 1;
	}
	for (i = 0; i < n; i++) {
		char *dash = strchr(items[i], '-');
		long first, last;

		if (dash)
			*dash = '\0';
		if (parse_int(items[i], true, 0, 0x7f, &first) ||
		    (dash && parse_int(dash + 1, true, 0, 0x7f, &last)))
			return rt_conf_errorf(err, s, key, "'%s%s%s' is not an address or range "
					      "like 0x18 or 0x18-0x1f", items[i], dash ? "-" : "",
					      dash ? dash + 1 : "");
		if (!dash)
			last = first;
		if (first > last)
			return rt_conf_errorf(err, s, key, "range 0x%02lx-0x%02lx is reversed",
					      first, last);
		if (first < I2C_ADDR_MIN || last > I2C_ADDR_MAX)
			return rt_conf_errorf(err, s, key, "0x%02lx outside the 7-bit range 0x%02x-0x%02x"
					      " (the rest is reserved)",
					      first < I2C_ADDR_MIN ? first : last, I2C_ADDR_MIN,
					      I2C_ADDR_MAX);
		if (first < lo || last > hi)
			return rt_conf_errorf(err, s, key, "0x%02lx outside this chip's range 0x%02x-0x%02x",
					      first < lo ? first : last, lo, hi);
		for (a = (int)first; a <= (int)last; a++) {
			count += !want[a];
			want[a] = true;
		}
	}
	return count;
}

void i2c_note(struct rt_err *err, const char *tag, const char *fmt, ...)
{
	size_t len = strlen(err->msg);
	va_list ap;

	if (len + 4 >= sizeof(err->msg))
		return;
	if (len)
		len += (size_t)snprintf(err->msg + len, sizeof(err->msg) - len, "; ");
	else
		len += (size_t)snprintf(err->msg, sizeof(err->msg), "%s: ", tag);
	if (len >= sizeof(err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof(err->msg) - len, fmt, ap);
	va_end(ap);
}
