/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sensor.h - the sensor backend interface.  Each backend (msr.c, hwmon.c,
 * powercap.c, i2c_*.c, perf_smi.c) is laid out like a hwmon chip driver and
 * exports one `static const struct sensor_ops`, registered with
 * SENSOR_REGISTER(); registry.c iterates them, nothing else knows the list.
 *
 * Life cycle: probe() (start-up, process context: discover, open every
 * descriptor, save hardware state it changes, add channels) -> read() per
 * due channel (real-time loop or I2C worker: RT-safe) -> remove() per
 * channel (close, restore hardware state, free).
 *
 * Units: read() returns integer sysfs milli-units (m°C, mV, mA, µW, µJ,
 * RPM; fan duty in per-mille), converted once, at the backend boundary.
 * Energy channels return a 64-bit monotonic accumulator (wrap handled by
 * the backend with rt/wrap.h); the core derives power from its deltas.
 */
#ifndef SOVEREIGN_RT_SENSOR_H
#define SOVEREIGN_RT_SENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "shm_abi.h"

struct rt_chan;
struct rt_chan_list;

/*
 * struct rt_probe_ctx - what a backend's probe() gets.
 * @root: path prefix prepended to every absolute path the backend opens
 *   ("" in production, a fixture tree in tests: "/tmp/fx" makes
 *   "/sys/class/hwmon" read "/tmp/fx/sys/class/hwmon").
 * @cpu: the housekeeping CPU (MSRs of other CPUs are not read unless the
 *   backend's section says so: an MSR read interrupts the CPU it names).
 * @conf: the backend's own config section, or NULL (all defaults).
 */
struct rt_probe_ctx {
	const char *root;
	int cpu;
	const struct rt_conf_section *conf;
	struct rt_chan_list *chans;   /* where rt_chan_add() puts channels */
	struct rt_err *err;           /* probe's reason for a failure */
	void *user;                   /* for tests: anything */
};

/*
 * struct sensor_ops - one backend.
 * @name: its config section name and log tag ("hwmon").
 * @source: SOV_SRC_* recorded in each channel's table entry.
 * @min_period_ms: faster reads are pointless (chip caches: jc42 and
 *   coretemp refresh once a second); the core never reads faster.
 * @slow: reads may block on a slow bus (I2C): the core reads these channels
 *   from a lower-priority worker thread, never from the loop.
 * @default_enabled: probed unless its section says "enable = no".
 * @keys: the keys its [@name] section takes, NULL-terminated, declared
 *   next to the ops ("enable" is every backend's and is not listed).  The
 *   sampler refuses any other key in the section (sampler_check_config()),
 *   so every key probe() reads must be listed; NULL: "enable" only.
 * @probe: discover and open; add each channel with rt_chan_add().  Context:
 *   process context, before the loop.  Return: 0 (also when it found
 *   nothing), -ENODEV when the interface is absent (not an error unless the
 *   section enables it explicitly), other -errno with ctx->err set.
 * @read: read channel @ch into *@value.  Context: the RT loop (or the
 *   worker for @slow backends): no allocation, no open(), no lock; only
 *   pread/read/ioctl on descriptors opened by probe.  @now_ns is the
 *   cycle's CLOCK_MONOTONIC time.  Return: 0, or -errno: EIO, EAGAIN,
 *   ETIMEDOUT, ENODATA are transient (the core marks the value invalid,
 *   counts and backs off); ENOENT, ENODEV, ENXIO, EACCES, EPERM are
 *   permanent (the core disables the channel and says why once).
 * @remove: release @ch's private state; restore any hardware state probe
 *   changed.  Context: process context, after the loop.  May be NULL.
 */
struct sensor_ops {
	const char *name;
	uint16_t source;
	uint32_t min_period_ms;
	bool slow;
	bool default_enabled;
	const char *const *keys;
	int (*probe)(struct rt_probe_ctx *ctx);
	int (*read)(struct rt_chan *ch, uint64_t now_ns, int64_t *value);
	void (*remove)(struct rt_chan *ch);
};

/*
 * struct rt_chan - one channel (one published sensor).
 * The backend fills @desc (kind, unit, chip, name, label, limits, period)
 * and @priv through rt_chan_add(); the core owns the rest.
 */
struct rt_chan {
	struct sov_sensor desc;       /* table entry as published */
	const struct sensor_ops *ops;
	void *priv;                   /* the backend's state; freed by remove() */
	uint32_t idx;                 /* index in the segment's sensor table */
	/* --- core state, not for backends --- */
	uint64_t period_ns;           /* own rate */
	uint64_t next_due_ns;         /* CLOCK_MONOTONIC of the next read */
	uint64_t backoff_ns;          /* after errors: doubles up to a cap */
	uint64_t errors;              /* failed reads since start */
	uint64_t last_ok_ns;          /* time of the last good read */
	int64_t last_value;           /* last good value */
	uint64_t same_since_ns;       /* stuck detection: value unchanged since */
	uint64_t stuck_ns;            /* flag suspect after this long; 0: never */
	int64_t hyst;                 /* threshold hysteresis, in unit */
	int last_err;                 /* last -errno, 0 when fine */
	uint8_t level;                /* threshold state: 0 ok, 1 warn, 2 crit */
	bool disabled;                /* permanent error: no more reads */
	bool valid;                   /* last read succeeded */
	bool suspect;                 /* stuck */
	uint32_t power_idx;           /* derived power channel, or UINT32_MAX */
	bool slow;                    /* read by the worker: ops->slow or RT_CHAN_SLOW */
};

/*
 * rt_chan_add() - add a channel found by probe.
 * @desc: its table entry (copied); @desc->source is set from the ops, and
 *   @desc->id computed from chip and name if 0.
 * @priv: the backend's state for it (owned by the channel from now on:
 *   remove() frees it, also when the add fails).
 * Context: probe only.  Return: 0, -ENOMEM, -E2BIG (too many channels).
 */
int rt_chan_add(struct rt_probe_ctx *ctx, const struct sov_sensor *desc, void *priv);

/* rt_chan_add_flags() flags */
#define RT_CHAN_SLOW 1u /* this channel's read may block or run long: an hwmon
			 * chip behind I2C reads the bus inside pread when its
			 * cache expires, other drivers run device commands or
			 * firmware (docs/hardware.md): read it from the worker,
			 * never from the loop */

/*
 * rt_chan_add_flags() - rt_chan_add() with RT_CHAN_* @flags for this channel.
 * Context and return: as rt_chan_add().
 */
int rt_chan_add_flags(struct rt_probe_ctx *ctx, const struct sov_sensor *desc, void *priv,
		      unsigned flags);

/* Pointer to the current ops, set by the core while it calls probe(). */
extern const struct sensor_ops *rt_probe_current_ops;

/*
 * SENSOR_REGISTER(ops) - register a backend; one per backend file.  Puts a
 * pointer to @ops in the "sov_sensor_ops" linker section that registry.c
 * walks (the rt objects are linked whole, as an object library).
 */
#define SENSOR_REGISTER(ops)                                                    \
	static const struct sensor_ops *const sensor_reg_##ops                     \
		__attribute__((used, section("sov_sensor_ops"), aligned(sizeof(void *)))) = &(ops)

/* rt_path() - "@root@path" into @buf.  Return: 0 or -ENAMETOOLONG. */
int rt_path(char *buf, unsigned long len, const char *root, const char *path);

#endif /* SOVEREIGN_RT_SENSOR_H */
