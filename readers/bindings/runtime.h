/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtime.h - libsovereign_runtime: the inference runtime's view of the
 * segment, "latest value of sensor X in base units, and how old it is".
 * A thin layer over shm_reader.h; also what the Python module calls.
 *
 * Every function returns 0 (or a count/index) or a negative code: -errno or
 * -SOV_E*; sov_rt_strerror() turns it into a message.  The library never
 * prints.  Values are doubles in base units (°C, V, A, W, J, RPM, duty
 * ratio 0..1), converted by one table (sov_rt_to_base()).
 *
 * Writer restarts are invisible: when the segment's generation changes (or
 * the object is replaced), the handle re-attaches, reloads the sensor table
 * and re-resolves keys from sov_rt_lookup() before answering.
 *
 * Context of every function: any thread of a reader process, but one
 * handle must not be used by two threads at once (give each thread its own
 * handle: they are cheap).  No function here is for a SCHED_FIFO loop.
 */
#ifndef SOVEREIGN_RUNTIME_H
#define SOVEREIGN_RUNTIME_H

#include <stdint.h>

#include "sovereign.h"

struct sov_rt;

/* Default staleness limit: a segment whose newest sample is older is stale. */
#define SOV_RT_STALE_DEFAULT_S 5.0

/* Keys sov_rt_lookup() can hold per handle. */
#define SOV_RT_LOOKUPS_MAX 64

/* struct sov_rt_reading - one temperature, as sov_rt_temperatures() gives it. */
struct sov_rt_reading {
	char   label[SOV_NAME_LEN]; /* the sensor's label, or its name if unlabelled */
	char   chip[SOV_NAME_LEN];  /* chip and device, "k10temp/pci-0000:00:18.3" */
	double celsius;             /* °C */
	double age_s;               /* seconds since this sensor was read */
};

/*
 * sov_rt_open() - attach to segment @name read-only.
 * @name: segment name, "/x" for the file /run/sovereign/x (or
 * $SOVEREIGN_RUN_DIR/x), or an absolute path (sov_shm_path());
 * NULL: the sampler's default ("/sovereign").
 * The segment is trusted as sov_reader_open() trusts it with default
 * options: a regular file of root or of the caller's own user, not
 * writable by group or others, no shorter than its layout; re-attaches
 * check it again.
 * Return: 0, or as sov_reader_open() (-ENOENT: is the sampler running?
 * -SOV_EFOREIGN: not a file to trust; -SOV_ETRUNC...), or -ENOMEM.
 * Ownership: *out is the caller's; release it with sov_rt_close().
 */
int sov_rt_open(const char *name, struct sov_rt **out);

/* sov_rt_close() - detach and free @h (may be NULL). */
void sov_rt_close(struct sov_rt *h);

/*
 * sov_rt_set_stale_limit() - how old the newest sample may be before every
 * value call fails with -ESTALE (default SOV_RT_STALE_DEFAULT_S seconds).
 * The limit is on the segment (is the sampler alive?), not on one sensor:
 * a DIMM read every 10 s is not stale at 6 s; its own age is in *age_s.
 * Return: 0, or -EINVAL if @seconds is not > 0.
 */
int sov_rt_set_stale_limit(struct sov_rt *h, double seconds);

/*
 * sov_rt_value() - the newest value of the sensor whose label or name is
 * @key ("Tctl", "temp1"), on any chip, in base units.
 * @value: set on success.  @age_s: if not NULL, seconds since the sensor
 * itself was read (not since the sample was published).
 * Return: 0; -ENODATA (the sensor is invalid: its last read failed);
 * -ENOENT (no such sensor); -ESTALE (newest sample older than the limit:
 * the sampler is stopped or hung); -EAGAIN (nothing published yet);
 * -SOV_EBUSY; or the error of a failed re-attach (-ENOENT, -SOV_ENOTREADY...).
 * Makes a system call only when it re-attaches or the data looks stale.
 * Allocates only when it re-attaches.
 */
int sov_rt_value(struct sov_rt *h, const char *key, double *value, double *age_s);

/*
 * sov_rt_lookup() - resolve a key once, for sov_rt_value_at() in a hot path.
 * @chip: exact chip string, or NULL for any chip.  @key: label or name.
 * The key is remembered and resolved again after every re-attach, so the
 * returned handle index stays valid across writer restarts (it then
 * answers -ENOENT if the new sensor set lacks the key).
 * Return: an index >= 0; -ENOENT (no such sensor now); -ENOSPC (more than
 * SOV_RT_LOOKUPS_MAX keys); -ENAMETOOLONG.
 */
int sov_rt_lookup(struct sov_rt *h, const char *chip, const char *key);

/*
 * sov_rt_value_at() - as sov_rt_value(), for an index from sov_rt_lookup():
 * no string compare, no allocation (except on re-attach).
 * Return: as sov_rt_value(); -EINVAL for an index not from sov_rt_lookup().
 */
int sov_rt_value_at(struct sov_rt *h, int index, double *value, double *age_s);

/*
 * sov_rt_temperatures() - every valid temperature of the newest sample, in
 * table order, into @out[0..@max).  Invalid sensors are left out.
 * Return: the number written (0..@max; more exist if it equals @max: see
 * sov_rt_sensor_count()); -ESTALE, -EAGAIN, -SOV_EBUSY or a re-attach
 * error as sov_rt_value(); -EINVAL if @max < 0.
 */
int sov_rt_temperatures(struct sov_rt *h, struct sov_rt_reading *out, int max);

/*
 * sov_rt_age() - seconds since the newest sample was published.  Never
 * -ESTALE: this is how a caller sees how stale the segment is.
 * Return: 0 with *age_s set; -EAGAIN (nothing yet); -SOV_EBUSY; a
 * re-attach error.
 */
int sov_rt_age(struct sov_rt *h, double *age_s);

/*
 * sov_rt_sensor_count() - sensors in the current table (after any
 * re-attach the last call made).  Return: the count (>= 0).
 */
int sov_rt_sensor_count(const struct sov_rt *h);

/*
 * sov_rt_to_base() - convert @raw in the integer @unit (enum sov_unit) to
 * its base unit: m°C -> °C, mV -> V, mA -> A, µW -> W, µJ -> J, per-mille
 * -> ratio, RPM and counts unchanged.  An unknown unit is returned as is.
 * Context: any; pure.
 */
double sov_rt_to_base(uint16_t unit, int64_t raw);

/*
 * sov_rt_unit_name() - the base unit of @unit: "celsius", "volts", "amperes",
 * "watts", "joules", "rpm", "ratio", "count" or "" (none/unknown).
 * Return: a static string, never NULL.
 */
const char *sov_rt_unit_name(uint16_t unit);

/*
 * sov_rt_strerror() - a message for any code these functions return,
 * -errno or -SOV_E* (sov_strerror()).  Return: a static or thread-local
 * string, never NULL.
 */
const char *sov_rt_strerror(int err);

#endif /* SOVEREIGN_RUNTIME_H */
