/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i2c_sim.c - simulated I2C chips answering libi2c's ioctl() calls on
 * attached bus files (see i2c_sim.h).  Linked into a test executable, its
 * ioctl() interposes libc's for libi2c.so too (the executable's symbol wins
 * the lookup); everything not for the sim goes to dlsym(RTLD_NEXT, "ioctl"),
 * which is ASan's interceptor under -fsanitize=address, then libc's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "i2c_sim.h"

#define SIM_FDS 1024

struct i2c_sim_chip {
	int bus;
	int addr;
	enum i2c_sim_type type;
	int fail;                          /* errno of every transaction, 0 none */
	uint8_t bytes[256];                /* I2C_SIM_BYTE */
	uint16_t words[256];               /* I2C_SIM_WORD_BE, datasheet order */
	/* I2C_SIM_PMBUS */
	uint8_t pbytes[I2C_SIM_PAGES][256];
	uint16_t pwords[I2C_SIM_PAGES][256];
	bool pword_set[I2C_SIM_PAGES][256];
	int page;
	int pages;
	bool ignore_page;
};

struct sim_bus {
	bool attached;
	dev_t dev;
	ino_t ino;
	unsigned long funcs;
	bool busy[128];
};

struct sim_fd {
	int bus;      /* -1: not bound by the sim */
	int addr;     /* -1: no I2C_SLAVE yet */
	dev_t dev;
	ino_t ino;
};

static pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sim_bus sim_buses[I2C_SIM_BUSES];
static struct i2c_sim_chip *sim_chips[I2C_SIM_CHIPS];
static struct sim_fd sim_fds[SIM_FDS];
static struct i2c_sim_write sim_log[I2C_SIM_LOG];
static size_t sim_nlog;
static unsigned long sim_ntrans;

typedef int (*ioctl_fn)(int, unsigned long, ...);

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	static ioctl_fn real;

	if (!real)
		real = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, req, arg);
}

void i2c_sim_reset(void)
{
	size_t i;

	pthread_mutex_lock(&sim_lock);
	for (i = 0; i < I2C_SIM_CHIPS; i++) {
		free(sim_chips[i]);
		sim_chips[i] = NULL;
	}
	memset(sim_buses, 0, sizeof(sim_buses));
	for (i = 0; i < SIM_FDS; i++)
		sim_fds[i].bus = -1;
	sim_nlog = 0;
	sim_ntrans = 0;
	pthread_mutex_unlock(&sim_lock);
}

int i2c_sim_attach(int bus, const char *path)
{
	struct stat st;
	int fd;

	if (bus < 0 || bus >= I2C_SIM_BUSES)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	close(fd);
	pthread_mutex_lock(&sim_lock);
	sim_buses[bus].attached = true;
	sim_buses[bus].dev = st.st_dev;
	sim_buses[bus].ino = st.st_ino;
	sim_buses[bus].funcs = I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK | I2C_FUNC_SMBUS_BYTE |
			       I2C_FUNC_SMBUS_BYTE_DATA | I2C_FUNC_SMBUS_WORD_DATA |
			       I2C_FUNC_SMBUS_BLOCK_DATA;
	pthread_mutex_unlock(&sim_lock);
	return 0;
}

void i2c_sim_set_funcs(int bus, unsigned long funcs)
{
	pthread_mutex_lock(&sim_lock);
	sim_buses[bus].funcs = funcs;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_set_busy(int bus, int addr, bool busy)
{
	pthread_mutex_lock(&sim_lock);
	sim_buses[bus].busy[addr & 0x7f] = busy;
	pthread_mutex_unlock(&sim_lock);
}

struct i2c_sim_chip *i2c_sim_add(int bus, int addr, enum i2c_sim_type type)
{
	struct i2c_sim_chip *c;
	size_t i;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->bus = bus;
	c->addr = addr;
	c->type = type;
	c->pages = 1;
	pthread_mutex_lock(&sim_lock);
	for (i = 0; i < I2C_SIM_CHIPS && sim_chips[i]; i++)
		;
	if (i == I2C_SIM_CHIPS) {
		pthread_mutex_unlock(&sim_lock);
		free(c);
		return NULL;
	}
	sim_chips[i] = c;
	pthread_mutex_unlock(&sim_lock);
	return c;
}

void i2c_sim_set_fail(struct i2c_sim_chip *c, int err)
{
	pthread_mutex_lock(&sim_lock);
	c->fail = err;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_set_byte(struct i2c_sim_chip *c, uint8_t reg, uint8_t val)
{
	pthread_mutex_lock(&sim_lock);
	c->bytes[reg] = val;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_set_word(struct i2c_sim_chip *c, uint8_t reg, uint16_t val)
{
	pthread_mutex_lock(&sim_lock);
	if (c->type == I2C_SIM_PMBUS) {
		c->pwords[0][reg] = val;
		c->pword_set[0][reg] = true;
	} else {
		c->words[reg] = val;
	}
	pthread_mutex_unlock(&sim_lock);
}

uint8_t i2c_sim_get_byte(struct i2c_sim_chip *c, uint8_t reg)
{
	uint8_t v;

	pthread_mutex_lock(&sim_lock);
	v = c->bytes[reg];
	pthread_mutex_unlock(&sim_lock);
	return v;
}

void i2c_sim_pmbus_byte(struct i2c_sim_chip *c, int page, uint8_t cmd, uint8_t val)
{
	pthread_mutex_lock(&sim_lock);
	c->pbytes[page][cmd] = val;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_pmbus_word(struct i2c_sim_chip *c, int page, uint8_t cmd, uint16_t val)
{
	pthread_mutex_lock(&sim_lock);
	c->pwords[page][cmd] = val;
	c->pword_set[page][cmd] = true;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_pmbus_pages(struct i2c_sim_chip *c, int pages)
{
	pthread_mutex_lock(&sim_lock);
	c->pages = pages > I2C_SIM_PAGES ? I2C_SIM_PAGES : pages;
	pthread_mutex_unlock(&sim_lock);
}

void i2c_sim_pmbus_ignore_page(struct i2c_sim_chip *c, bool ignore)
{
	pthread_mutex_lock(&sim_lock);
	c->ignore_page = ignore;
	pthread_mutex_unlock(&sim_lock);
}

int i2c_sim_pmbus_page(struct i2c_sim_chip *c)
{
	int p;

	pthread_mutex_lock(&sim_lock);
	p = c->page;
	pthread_mutex_unlock(&sim_lock);
	return p;
}

struct i2c_sim_chip *i2c_sim_add_jc42(int bus, int addr)
{
	struct i2c_sim_chip *c = i2c_sim_add(bus, addr, I2C_SIM_WORD_BE);

	if (!c)
		return NULL;
	c->words[0x00] = 0x006f;   /* capability: TSE2004 bits 0x62, extended range */
	c->words[0x01] = 0x0000;   /* configuration */
	c->words[0x02] = 0x0550;   /* T_upper 85 °C */
	c->words[0x03] = 0x0000;   /* T_lower 0 °C */
	c->words[0x04] = 0x05f0;   /* T_crit 95 °C */
	c->words[0x05] = 0x0190;   /* 25 °C */
	c->words[0x06] = 0x0054;   /* Microchip */
	c->words[0x07] = 0x2201;   /* MCP98244 rev 1 */
	return c;
}

struct i2c_sim_chip *i2c_sim_add_spd5118(int bus, int addr)
{
	struct i2c_sim_chip *c = i2c_sim_add(bus, addr, I2C_SIM_BYTE);

	if (!c)
		return NULL;
	c->bytes[0x00] = 0x51;     /* MR0:MR1 device type */
	c->bytes[0x01] = 0x18;
	c->bytes[0x02] = 0x12;     /* MR2 revision 2.2 */
	c->bytes[0x03] = 0x86;     /* MR3 bank 6 + odd parity (0x86: 3 bits set) */
	c->bytes[0x04] = 0x32;     /* MR4 id 0x32 + parity (0x32: 3 bits set) */
	c->bytes[0x05] = 0x03;     /* MR5: TS supported, hub */
	c->bytes[0x1c] = 0x50;     /* MR28:29 high 85 °C = 340 << 2 = 0x550 */
	c->bytes[0x1d] = 0x05;
	c->bytes[0x20] = 0xf0;     /* MR32:33 crit 95 °C = 380 << 2 = 0x5f0 */
	c->bytes[0x21] = 0x05;
	c->bytes[0x31] = 0x90;     /* MR49:50 25 °C = 100 << 2 = 0x190 */
	c->bytes[0x32] = 0x01;
	return c;
}

struct i2c_sim_chip *i2c_sim_add_emc2305(int bus, int addr, uint8_t product)
{
	struct i2c_sim_chip *c = i2c_sim_add(bus, addr, I2C_SIM_BYTE);

	if (!c)
		return NULL;
	c->bytes[0xfd] = product;
	c->bytes[0xfe] = 0x5d;
	c->bytes[0xff] = 0x80;
	return c;
}

size_t i2c_sim_writes(struct i2c_sim_write *out, size_t max)
{
	size_t i, n;

	pthread_mutex_lock(&sim_lock);
	n = sim_nlog;
	for (i = 0; i < max && i < n && i < I2C_SIM_LOG; i++)
		out[i] = sim_log[i];
	pthread_mutex_unlock(&sim_lock);
	return n;
}

unsigned long i2c_sim_transactions(void)
{
	unsigned long n;

	pthread_mutex_lock(&sim_lock);
	n = sim_ntrans;
	pthread_mutex_unlock(&sim_lock);
	return n;
}

/* The attached bus @fd was opened on, or -1.  Caller holds sim_lock. */
static int sim_bus_of(int fd, struct stat *st)
{
	int b;

	if (fstat(fd, st) < 0)
		return -1;
	for (b = 0; b < I2C_SIM_BUSES; b++)
		if (sim_buses[b].attached && sim_buses[b].dev == st->st_dev &&
		    sim_buses[b].ino == st->st_ino)
			return b;
	return -1;
}

static struct i2c_sim_chip *sim_chip_at(int bus, int addr)
{
	size_t i;

	for (i = 0; i < I2C_SIM_CHIPS; i++)
		if (sim_chips[i] && sim_chips[i]->bus == bus && sim_chips[i]->addr == addr)
			return sim_chips[i];
	return NULL;
}

static void sim_log_write(int bus, int addr, uint8_t cmd, int size, uint16_t value)
{
	if (sim_nlog < I2C_SIM_LOG)
		sim_log[sim_nlog] = (struct i2c_sim_write){ bus, addr, cmd, size, value };
	sim_nlog++;
}

/* One SMBus transaction on @c.  Return: 0 or an errno value. */
static int sim_transfer(struct i2c_sim_chip *c, struct i2c_smbus_ioctl_data *a)
{
	union i2c_smbus_data *d = a->data;
	uint8_t cmd = a->command;
	bool rd = a->read_write == I2C_SMBUS_READ;
	int pg = c->page;

	if (c->fail)
		return c->fail;
	if (!rd) {
		uint16_t v = 0;

		if (a->size == I2C_SMBUS_BYTE_DATA)
			v = d->byte;
		else if (a->size == I2C_SMBUS_WORD_DATA)
			v = d->word;
		else if (a->size == I2C_SMBUS_BYTE)
			v = cmd;
		sim_log_write(c->bus, c->addr, cmd, (int)a->size, v);
	}
	switch (c->type) {
	case I2C_SIM_BYTE:
		if (a->size == I2C_SMBUS_BYTE_DATA) {
			if (rd)
				d->byte = c->bytes[cmd];
			else
				c->bytes[cmd] = d->byte;
			return 0;
		}
		if (a->size == I2C_SMBUS_WORD_DATA) {
			if (rd) {
				d->word = (uint16_t)(c->bytes[cmd] | c->bytes[(uint8_t)(cmd + 1)] << 8);
			} else {
				c->bytes[cmd] = d->word & 0xff;
				c->bytes[(uint8_t)(cmd + 1)] = d->word >> 8;
			}
			return 0;
		}
		return EIO;
	case I2C_SIM_WORD_BE:
		if (a->size == I2C_SMBUS_WORD_DATA) {
			/* MSB first on the wire: the SMBus (LE) word is swapped. */
			if (rd)
				d->word = (uint16_t)((c->words[cmd] >> 8) | (c->words[cmd] << 8));
			else
				c->words[cmd] = (uint16_t)((d->word >> 8) | (d->word << 8));
			return 0;
		}
		if (a->size == I2C_SMBUS_BYTE_DATA && rd) {
			d->byte = c->words[cmd] >> 8;
			return 0;
		}
		return EIO;
	case I2C_SIM_PMBUS:
		if (cmd == 0x00 && a->size == I2C_SMBUS_BYTE_DATA) {
			if (rd)
				d->byte = (uint8_t)c->page;
			else if (!c->ignore_page && d->byte < c->pages)
				c->page = d->byte;
			return 0;
		}
		if (a->size == I2C_SMBUS_BYTE_DATA && rd) {
			d->byte = c->pbytes[pg][cmd];
			return 0;
		}
		if (a->size == I2C_SMBUS_WORD_DATA && rd) {
			if (!c->pword_set[pg][cmd])
				return EIO; /* unsupported command */
			d->word = c->pwords[pg][cmd];
			return 0;
		}
		return EIO;
	}
	return EIO;
}

/* Handle an I2C ioctl on a sim bus.  Caller holds sim_lock.  Return: as ioctl. */
static int sim_ioctl(int fd, int bus, const struct stat *st, unsigned long req, void *arg)
{
	struct sim_fd *f = &sim_fds[fd];
	struct i2c_sim_chip *c;
	int err;

	if (f->bus != bus || f->dev != st->st_dev || f->ino != st->st_ino) {
		/* A new open of the bus file: no address bound yet. */
		f->bus = bus;
		f->addr = -1;
		f->dev = st->st_dev;
		f->ino = st->st_ino;
	}
	switch (req) {
	case I2C_FUNCS:
		*(unsigned long *)arg = sim_buses[bus].funcs;
		return 0;
	case I2C_SLAVE:
	case I2C_SLAVE_FORCE:
		if ((unsigned long)arg > 0x7f) {
			errno = EINVAL;
			return -1;
		}
		if (req == I2C_SLAVE && sim_buses[bus].busy[(unsigned long)arg]) {
			errno = EBUSY;
			return -1;
		}
		f->addr = (int)(unsigned long)arg;
		return 0;
	case I2C_SMBUS:
		sim_ntrans++;
		if (f->addr < 0) {
			errno = EINVAL;
			return -1;
		}
		c = sim_chip_at(bus, f->addr);
		if (!c) {
			errno = ENXIO; /* nobody acknowledges the address */
			return -1;
		}
		err = sim_transfer(c, arg);
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	struct stat st;
	va_list ap;
	void *arg;
	int bus, rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd >= SIM_FDS ||
	    (req != I2C_FUNCS && req != I2C_SLAVE && req != I2C_SLAVE_FORCE && req != I2C_SMBUS &&
	     req != I2C_RDWR && req != I2C_PEC && req != I2C_TENBIT))
		return real_ioctl(fd, req, arg);
	pthread_mutex_lock(&sim_lock);
	bus = sim_bus_of(fd, &st);
	if (bus < 0) {
		pthread_mutex_unlock(&sim_lock);
		return real_ioctl(fd, req, arg);
	}
	rc = sim_ioctl(fd, bus, &st, req, arg);
	pthread_mutex_unlock(&sim_lock);
	return rc;
}
