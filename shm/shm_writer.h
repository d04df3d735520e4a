/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_writer.h - the writer side of libsovereign: create a segment, publish
 * samples and events into it.  Used by the sampler (one writer per segment)
 * and by readers that publish their own state into a segment of their own.
 *
 * Life cycle: sov_writer_create() (not RT-safe: opens, sizes, maps, locks)
 * -> fill the next slot in place: sov_writer_stage() / sov_writer_set*()
 * -> sov_writer_publish() (RT-safe) ... -> sov_writer_close().
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
 * struct sov_wfill - the sample being filled, in place, in slot head + 1 of
 * the ring: the part of the writer the inline setters below touch.  It is
 * the first member of struct sov_writer (so a writer pointer is a pointer
 * to it); its fields are the library's -- a caller reads and writes none.
 *
 * In place: no private staging sample and no second copy.  The first
 * setter (or sov_writer_stage(), or the publish itself) opens a write
 * section on the slot: its seq goes odd (sov_seq_write_begin()), and the
 * slot head and both bitmaps are carried forward from the newest sample.
 * Setters then store straight into the slot, which no reader looks at
 * (readers copy head and older; a reader lapped by the whole ring sees the
 * odd seq and retries).  sov_writer_publish() carries forward the readings
 * of the sensors nobody set this cycle, closes the section (seq even) and
 * advances header.head.
 */
struct sov_wfill {
	struct sov_slot *slot;      /* slot of sample head + 1, in the segment */
	struct sov_reading *rd;     /* its readings */
	uint64_t *valid;            /* its valid bitmap */
	uint64_t *suspect;          /* its suspect bitmap */
	uint8_t *state;             /* private, one byte per sensor (bitmap_words x 64):
				     * SOV_WF_* of sensor i this cycle.  Bytes, not
				     * bits: a setter makes plain stores, no
				     * read-modify-write chain through one word */
	uint32_t nsensors;          /* sensors in the table (setters check idx) */
	uint32_t open;              /* 1 while slot->seq is odd (section open) */
};

/* sov_wfill.state values */
enum {
	SOV_WF_UNSET   = 0, /* not set this cycle: publish carries the last reading */
	SOV_WF_VALID   = 1, /* set: publish sets its valid bit */
	SOV_WF_INVALID = 2, /* marked invalid: publish clears its valid bit */
};

/*
 * __sov_writer_open() - open the write section of the next slot: make its
 * seq odd, carry the newest sample's head fields and bitmaps forward.
 * Called by the inline setters when no section is open; callers need not.
 * Context: the writer's thread; RT-safe (stores, one wmb, no system call).
 */
void __sov_writer_open(struct sov_writer *w);

/* The in-place state of @w (first member of struct sov_writer). */
static inline struct sov_wfill *__sov_wfill(struct sov_writer *w)
{
	return (struct sov_wfill *)(void *)w;
}

/*
 * sov_writer_stage() - the sample being filled: slot head + 1, in place.
 * Context: the writer's thread; RT-safe.  Opens the write section if none
 * is open.  The head fields (mono_ns, real_ns, cycle_cost_ns, overruns,
 * smi_count, flags) start as the newest sample's, so a caller that sets
 * none of them republishes the previous ones; number, seq and nsensors are
 * the library's.
 * Return: a pointer into the segment, valid until the next publish.
 */
static inline struct sov_slot *sov_writer_stage(struct sov_writer *w)
{
	struct sov_wfill *f = __sov_wfill(w);

	if (!f->open)
		__sov_writer_open(w);
	return f->slot;
}

/*
 * sov_writer_set() - a valid reading for sensor @idx, written in place.
 * Context: the writer's thread; RT-safe (three stores once the section is
 * open).  @idx must be < nsensors (ignored otherwise).  A sensor not set
 * in a cycle keeps its last value, time and validity.
 */
static inline void sov_writer_set(struct sov_writer *w, uint32_t idx, int64_t value,
				  uint64_t mono_ns)
{
	struct sov_wfill *f = __sov_wfill(w);

	if (idx >= f->nsensors)
		return;
	if (!f->open)
		__sov_writer_open(w);
	f->rd[idx].value = value;
	f->rd[idx].mono_ns = mono_ns;
	f->state[idx] = SOV_WF_VALID;
}

/*
 * sov_writer_set_many() - valid readings for sensors @first .. @first + @n
 * - 1 from @values, all read at @mono_ns: the bulk form of sov_writer_set().
 * Context: the writer's thread; RT-safe.  Sensors past nsensors are ignored.
 */
void sov_writer_set_many(struct sov_writer *w, uint32_t first, uint32_t n,
			 const int64_t *values, uint64_t mono_ns);

/*
 * sov_writer_set_invalid() - sensor @idx is invalid this cycle (a failed
 * read): readers see no value, never 0 nor the previous one.
 * Context: the writer's thread; RT-safe.  @idx >= nsensors is ignored.
 */
void sov_writer_set_invalid(struct sov_writer *w, uint32_t idx);

/*
 * sov_writer_set_suspect() - mark or clear sensor @idx as suspect (frozen);
 * the mark stays until cleared.
 * Context: the writer's thread; RT-safe.  @idx >= nsensors is ignored.
 */
static inline void sov_writer_set_suspect(struct sov_writer *w, uint32_t idx, bool suspect)
{
	struct sov_wfill *f = __sov_wfill(w);
	uint64_t bit = UINT64_C(1) << (idx % 64);

	if (idx >= f->nsensors)
		return;
	if (!f->open)
		__sov_writer_open(w);
	if (suspect)
		f->suspect[idx / 64] |= bit;
	else
		f->suspect[idx / 64] &= ~bit;
}

/*
 * sov_writer_publish() - publish the sample being filled as the newest one.
 *
 * Opens the section if nothing was set (the sample then repeats the last
 * one), copies forward the readings of sensors not set this cycle (none
 * when every sensor was set), writes the valid bits of those that were
 * (8 sensors per test when all are valid), closes the slot's seqlock, then advances
 * header.head: readers only ever look at head and older slots, so a
 * writer preempted while filling makes no reader wait (the ring is a
 * latch).
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
