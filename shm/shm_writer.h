/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_writer.h - the writer side of libsovereign: create a segment, publish
 * samples and events into it.  Used by the sampler (one writer per segment)
 * and by readers that publish their own state into a segment of their own.
 *
 * Life cycle: sov_writer_create() (not RT-safe: opens, sizes, maps, locks)
 * -> fill sov_writer_stage() / sov_writer_set*() -> sov_writer_publish()
 * (RT-safe) ... -> sov_writer_close().
 */
#ifndef SOVEREIGN_SHM_WRITER_H
#define SOVEREIGN_SHM_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "shm_abi.h"
#include "shm_error.h"

struct sov_writer;

/* struct sov_writer_opts - how to create a segment; zero fields take defaults. */
struct sov_writer_opts {
	const char *name;      /* segment name, "/x" or an absolute path (see
				* sov_shm_path()); default SOV_SHM_DEFAULT_NAME */
	const char *group;     /* group owning the segment (mode 0640) and a
				* directory the writer creates (mode 0750);
				* NULL keeps the process's group */
	const char *writer_name; /* program name recorded in the header */
	uint32_t sensors_max;  /* capacity of the table and of each slot;
				* default: the number of sensors given */
	uint32_t nslots;       /* sample slots, power of two >= 4; default 256 */
	uint32_t nevents;      /* event slots, power of two >= 4; default 256 */
	uint64_t period_ns;    /* nominal period, recorded for readers */
};

/* struct sov_limits - the mutable part of a sensor table entry. */
struct sov_limits {
	uint16_t flags;        /* SOV_SEN_{WARN,CRIT}_{HI,LO}: which are set */
	int64_t  warn_hi, crit_hi, warn_lo, crit_lo; /* in the sensor's unit */
};

/*
 * sov_writer_create() - create or take over a segment and start a generation.
 * @opts: options (NULL: all defaults).
 * @sensors: the sensor table, @nsensors entries (copied; caller keeps it).
 * @out: the new writer.
 *
 * Opens the segment's directory (sov_shm_path()), creating it with mode
 * 0750 and the configured group if missing, and refuses one a squatter
 * could have made: a symlink, or one owned by another user than root or
 * us, or writable by group or others.  Takes the writers' lock for the
 * writer's life: an OFD write lock on the lock file ".<file>.lock" (mode
 * 0600) beside the segment, which no reader can open (a second writer gets
 * -SOV_EOWNED; the kernel drops the lock when the owner dies; liveness for
 * readers is header.writer_pid/writer_starttime, see sov_reader_status()).
 * Then opens (creating if needed) the segment file without following a
 * symlink or blocking on a FIFO, refuses one that is not a regular file of
 * ours with one link, sets mode 0640 and the configured group, grows it
 * to the layout's size, places its pages on
 * the NUMA node of the calling CPU, locks them in memory, bumps the
 * generation, writes the sensor table, empties both rings and publishes a
 * SOV_EV_WRITER_START event.  A failed mlock or NUMA placement does not
 * fail: the writer runs degraded, sets SOV_HF_NOT_LOCKED / SOV_HF_NO_NUMA
 * and publishes a SOV_EV_DEGRADED event saying so.
 *
 * Context: process context, before the real-time loop (system calls,
 * allocation).  Not thread-safe against other calls on the same writer.
 * Return: 0, or -errno from the failing system call, -EINVAL for bad
 * options or name, -ENAMETOOLONG, -SOV_EOWNED, -SOV_EFOREIGN (directory,
 * segment or lock file not one a writer of ours made, as above),
 * -SOV_ENOGROUP.  On error nothing is left mapped or locked.
 * Ownership: *out is the caller's; release it with sov_writer_close().
 */
int sov_writer_create(const struct sov_writer_opts *opts,
		      const struct sov_sensor *sensors, uint32_t nsensors,
		      struct sov_writer **out);

/*
 * sov_writer_reset() - start a new generation with a new sensor set, keeping
 * the segment, its lock and its layout (nsensors <= sensors_max).
 * Context: as sov_writer_create().
 * Return: 0, -E2BIG if @nsensors exceeds the capacity, -EINVAL.
 */
int sov_writer_reset(struct sov_writer *w, const struct sov_sensor *sensors,
		     uint32_t nsensors);

/*
 * sov_writer_stage() - the staging sample the next publish copies out.
 * Context: the writer's thread; RT-safe.  Its values persist across
 * publishes, so a sensor not read this cycle keeps its last value and time.
 * Return: a pointer owned by the writer, valid until sov_writer_close().
 * Set mono_ns, real_ns, cycle_cost_ns, overruns, smi_count and flags in it;
 * number, seq and nsensors are the library's.
 */
struct sov_slot *sov_writer_stage(struct sov_writer *w);

/*
 * sov_writer_set() - stage a valid reading for sensor @idx.
 * Context: the writer's thread; RT-safe.  @idx must be < nsensors
 * (asserted in debug builds, ignored otherwise).
 */
void sov_writer_set(struct sov_writer *w, uint32_t idx, int64_t value,
		    uint64_t mono_ns);

/*
 * sov_writer_set_invalid() - stage sensor @idx as invalid (a failed read):
 * readers will see no value, never 0 nor the previous one.
 * Context: the writer's thread; RT-safe.
 */
void sov_writer_set_invalid(struct sov_writer *w, uint32_t idx);

/*
 * sov_writer_set_suspect() - mark or clear sensor @idx as suspect (frozen).
 * Context: the writer's thread; RT-safe.
 */
void sov_writer_set_suspect(struct sov_writer *w, uint32_t idx, bool suspect);

/*
 * sov_writer_publish() - publish the staging sample as the newest one.
 *
 * Copies the stage into slot (head + 1) under its seqlock, then advances
 * header.head: readers only ever look at head and older slots, so a writer
 * preempted inside this function makes no reader wait (the ring is a latch).
 * Context: the writer's thread; RT-safe: stores and barriers only, no
 * system call, no lock, no allocation.
 * Return: the number of the published sample (>= 1).
 */
uint64_t sov_writer_publish(struct sov_writer *w);

/*
 * sov_writer_event() - publish one event into the event ring.
 * @ev: type, severity, sensor, value, limit, times and text (NUL-terminated
 * within SOV_EVENT_TEXT_LEN); seq and number are ignored.
 * Context: the writer's thread; RT-safe (no system call: the caller
 * provides the timestamps).  The ring overwrites the oldest event; a reader
 * that falls behind is told how many it lost.
 * Return: the number of the published event (>= 1).
 */
uint64_t sov_writer_event(struct sov_writer *w, const struct sov_event *ev);

/*
 * sov_writer_note() - publish an event about the writer itself (no sensor,
 * no limit), stamped now: @type, @sev, @value and @text (truncated to
 * SOV_EVENT_TEXT_LEN - 1).
 * Context: the writer's thread, outside the real-time loop (it reads the
 * clocks).  Return: the event's number.
 */
uint64_t sov_writer_note(struct sov_writer *w, uint16_t type, uint16_t sev, int64_t value,
			 const char *text);

/*
 * sov_writer_update_limits() - change one sensor's limits in place.
 * Context: the writer's thread; RT-safe (seqcount on header.table_seq).
 * Return: 0, or -ERANGE if @idx >= nsensors.
 */
int sov_writer_update_limits(struct sov_writer *w, uint32_t idx,
			     const struct sov_limits *lim);

/*
 * sov_writer_header() - the segment header, for the writer's own reading.
 * Context: the writer's thread.  Return: a pointer into the segment.
 */
const struct sov_header *sov_writer_header(const struct sov_writer *w);

/*
 * sov_writer_close() - stop publishing: publish SOV_EV_WRITER_STOP, mark the
 * segment SOV_STATE_STOPPED, unmap it and release the lock.  The file
 * stays, so readers see the last data and that it is stopped (if it was
 * unlinked meanwhile, the lock file, which sov_shm_unlink() had to leave
 * to the live writer, is removed too).
 * Context: process context.  @w may be NULL.  @w is freed.
 */
void sov_writer_close(struct sov_writer *w);

/*
 * sov_shm_unlink() - remove the segment @name (NULL: the default name), and
 * its lock file unless a live writer holds it.
 * Context: process context.  Readers and a writer keep their mappings.
 * Return: 0 or -errno of the segment's unlink (-ENOENT if there is none),
 * -EINVAL for a bad name.
 */
int sov_shm_unlink(const char *name);

/*
 * sov_sensor_id() - the stable id of a sensor: 32-bit FNV-1a over
 * "source/chip/name".  Context: any.  Return: the id.
 */
uint32_t sov_sensor_id(uint16_t source, const char *chip, const char *name);

#endif /* SOVEREIGN_SHM_WRITER_H */
