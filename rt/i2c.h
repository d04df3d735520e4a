/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c.h - shared /dev/i2c-N helpers for the I2C chip backends (i2c_jc42.c,
 * i2c_spd5118.c, i2c_pmbus.c, i2c_fan.c): open and bind one device, SMBus
 * reads through libi2c, and the config keys every I2C section shares.
 *
 * One descriptor per device, not one per bus: i2c-dev keeps the I2C_SLAVE
 * address per open file, so an fd bound once at probe makes every read()
 * exactly one ioctl(I2C_SMBUS), needs no address switch (one ioctl fewer
 * per transaction) and shares no mutable state between devices.  The cost
 * is one fd per device (at most 8 DIMMs per bus), paid once at start.
 * I2C_SLAVE failing with EBUSY means a kernel driver owns the address:
 * the device is skipped, never taken with I2C_SLAVE_FORCE (docs/hardware.md
 * §R4.1, §R10; drivers/i2c/i2c-dev.c).
 */
#ifndef SOVEREIGN_RT_I2C_H
#define SOVEREIGN_RT_I2C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define I2C_ADDR_MIN     0x03  /* 7-bit addresses outside 0x03-0x77 are reserved */
#define I2C_ADDR_MAX     0x77
#define I2C_BUS_MAX      1023  /* highest /dev/i2c-N accepted in a config */
#define I2C_BUSES_MAX    16    /* buses one section may list */

/*
 * struct i2c_dev - one device: a /dev/i2c-N descriptor bound to @addr.
 * @fd: O_RDWR descriptor, bound with I2C_SLAVE; -1 when closed.
 * @funcs: the adapter's I2C_FUNCS mask.
 * @name: "N-00AA", the kernel's i2c client name, for chips and notes.
 */
struct i2c_dev {
	int fd;
	int bus;
	int addr;
	unsigned long funcs;
	char name[16];
};

/*
 * i2c_dev_open() - open "@root/dev/i2c-@bus", check that the adapter can do
 * @need (I2C_FUNC_* mask) and bind it to @addr with I2C_SLAVE.
 * @why: on failure, a one-line reason (for a probe note or ctx->err).
 * Context: probe only (opens).  No transaction reaches the device.
 * Return: 0; -ENODEV (no such bus: i2c-dev not loaded or wrong number),
 * -EACCES, -EOPNOTSUPP (adapter lacks @need), -EBUSY (a kernel driver owns
 * the address), other -errno.  On failure @d->fd is -1.
 */
int i2c_dev_open(struct i2c_dev *d, const char *root, int bus, int addr, unsigned long need,
		 char *why, size_t whylen);

/* i2c_dev_close() - close @d's descriptor (idempotent).  Context: probe/remove. */
void i2c_dev_close(struct i2c_dev *d);

/*
 * i2c_read_byte() / i2c_read_word() - SMBus read byte/word data of @reg.
 * The word is the SMBus wire order: little-endian (low byte first).
 * i2c_read_word_swapped() returns it byte-swapped, for chips whose 16-bit
 * registers are big-endian on the wire (JC-42.4, the EMC2305 tach; the
 * kernel's i2c_smbus_read_word_swapped()).
 * Context: RT-safe (one ioctl on the held fd; no allocation, no lock).
 * Return: the value (0..255 / 0..65535) or -errno (-ENXIO: the device did
 * not acknowledge; -EIO, -ETIMEDOUT, -EAGAIN: bus trouble).
 */
int i2c_read_byte(const struct i2c_dev *d, uint8_t reg);
int i2c_read_word(const struct i2c_dev *d, uint8_t reg);
int i2c_read_word_swapped(const struct i2c_dev *d, uint8_t reg);

/*
 * i2c_write_byte() - SMBus write byte data.  Only i2c_pmbus.c calls it, for
 * PAGE, and only with pages from its section's allow-list.
 * Context: RT-safe.  Return: 0 or -errno.
 */
int i2c_write_byte(const struct i2c_dev *d, uint8_t reg, uint8_t val);

/*
 * i2c_conf_buses() - the buses of section @s: "bus = N" or "buses = N,M"
 * (decimal, as in /dev/i2c-N: "010" is ten).
 * Context: probe.  Return: the number of buses (>= 1), or -EINVAL with
 * @err naming file:line (absent: there is no default, wiring is
 * board-specific; not an integer in 0..I2C_BUS_MAX; both keys given).
 */
int i2c_conf_buses(const struct rt_conf_section *s, int *buses, int max, struct rt_err *err);

/*
 * i2c_conf_addrs() - the addresses of list @key in @s, each "0xAA" or a
 * range "0xAA-0xBB" (hex with "0x", else decimal: never octal), every one
 * within [@lo, @hi] (the chip's own range,
 * itself inside 0x03-0x77).  Absent: all of [@lo, @hi] if @def_all, else
 * an error (the key is required).
 * @want: 128 flags, set for each address listed.
 * Context: probe.  Return: the number of distinct addresses, or -EINVAL
 * (or -E2BIG) with @err naming file:line.
 */
int i2c_conf_addrs(const struct rt_conf_section *s, const char *key, int lo, int hi,
		   bool def_all, bool want[128], struct rt_err *err);

/*
 * i2c_note() - append a note ("3-0019 skipped: why") to @err without
 * failing the probe: a probe that returns 0 may leave notes in @err->msg
 * saying what it skipped and why.  @tag prefixes the first note.
 */
void i2c_note(struct rt_err *err, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SOVEREIGN_RT_I2C_H */
