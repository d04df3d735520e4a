/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_sim.h - an I2C bus simulated beneath libi2c's own calls, for tests of
 * the rt/i2c_*.c backends: i2c_sim.c defines ioctl(), which (linked into a
 * test executable, or LD_PRELOADed) answers I2C_FUNCS, I2C_SLAVE and
 * I2C_SMBUS on descriptors opened on attached bus files from simulated
 * chips' register files, and forwards everything else to the real ioctl().
 *
 * Context: tests only.  All functions take the sim's lock; none may be
 * called from a signal handler.
 */
#ifndef SOVEREIGN_TESTS_I2C_SIM_H
#define SOVEREIGN_TESTS_I2C_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define I2C_SIM_BUSES   16   /* bus numbers 0..15 */
#define I2C_SIM_CHIPS   64
#define I2C_SIM_PAGES   4    /* PMBus pages a simulated VRM may have */
#define I2C_SIM_LOG     256  /* write transactions remembered */

/* How a chip's registers look on the wire. */
enum i2c_sim_type {
	I2C_SIM_BYTE,     /* 8-bit registers; a word read returns reg, reg+1 (SPD5118, EMC2305) */
	I2C_SIM_WORD_BE,  /* 16-bit registers sent MSB first (JC-42.4) */
	I2C_SIM_PMBUS,    /* per-page byte and word commands, PAGE = 0x00 */
};

struct i2c_sim_chip;

/* struct i2c_sim_write - one write transaction that reached a chip. */
struct i2c_sim_write {
	int bus;
	int addr;
	uint8_t cmd;
	int size;         /* I2C_SMBUS_BYTE_DATA, I2C_SMBUS_WORD_DATA, ... */
	uint16_t value;   /* byte or word as sent (word: SMBus little-endian) */
};

/* i2c_sim_reset() - forget every bus, chip and logged write. */
void i2c_sim_reset(void);

/*
 * i2c_sim_attach() - make @path (created as an empty regular file if
 * absent) bus @bus: descriptors opened on it are answered by the sim.
 * Return: 0 or -errno.
 */
int i2c_sim_attach(int bus, const char *path);

/* i2c_sim_set_funcs() - the I2C_FUNCS mask of @bus (default: SMBus byte, word, block). */
void i2c_sim_set_funcs(int bus, unsigned long funcs);

/* i2c_sim_set_busy() - a kernel driver owns @addr on @bus: I2C_SLAVE fails with EBUSY. */
void i2c_sim_set_busy(int bus, int addr, bool busy);

/* i2c_sim_add() - a chip at @bus/@addr, registers all zero.  Return: it, or NULL. */
struct i2c_sim_chip *i2c_sim_add(int bus, int addr, enum i2c_sim_type type);

/*
 * i2c_sim_set_fail() - every transaction to @c fails with @err (ENXIO: a
 * NACK, EIO, ETIMEDOUT ...; 0: answer again).
 */
void i2c_sim_set_fail(struct i2c_sim_chip *c, int err);

/* i2c_sim_set_byte() / _set_word() - register @reg (word: the value as the datasheet writes it). */
void i2c_sim_set_byte(struct i2c_sim_chip *c, uint8_t reg, uint8_t val);
void i2c_sim_set_word(struct i2c_sim_chip *c, uint8_t reg, uint16_t val);
uint8_t i2c_sim_get_byte(struct i2c_sim_chip *c, uint8_t reg);

/*
 * PMBus: i2c_sim_pmbus_byte()/_word() set command @cmd of @page (a word
 * command not set is unsupported: reading it fails with EIO);
 * _pages() sets how many pages exist (PAGE writes beyond are ignored);
 * _ignore_page() makes the device ignore PAGE writes (read-back fails);
 * _page() is the page currently selected.
 */
void i2c_sim_pmbus_byte(struct i2c_sim_chip *c, int page, uint8_t cmd, uint8_t val);
void i2c_sim_pmbus_word(struct i2c_sim_chip *c, int page, uint8_t cmd, uint16_t val);
void i2c_sim_pmbus_pages(struct i2c_sim_chip *c, int pages);
void i2c_sim_pmbus_ignore_page(struct i2c_sim_chip *c, bool ignore);
int i2c_sim_pmbus_page(struct i2c_sim_chip *c);

/* Ready-made chips with valid ID registers (see i2c_sim.c for the values). */
struct i2c_sim_chip *i2c_sim_add_jc42(int bus, int addr);     /* Microchip MCP98244 */
struct i2c_sim_chip *i2c_sim_add_spd5118(int bus, int addr);  /* TS enabled, page 0 */
struct i2c_sim_chip *i2c_sim_add_emc2305(int bus, int addr, uint8_t product);

/*
 * i2c_sim_writes() - copy up to @max logged writes (oldest first) to @out.
 * Return: the number of writes logged since the reset (may exceed @max).
 */
size_t i2c_sim_writes(struct i2c_sim_write *out, size_t max);

/* i2c_sim_transactions() - I2C_SMBUS transactions answered (any result) since the reset. */
unsigned long i2c_sim_transactions(void);

#endif /* SOVEREIGN_TESTS_I2C_SIM_H */
