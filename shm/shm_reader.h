/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_reader.h - the reader side of libsovereign: attach read-only,
 * validate, copy out consistent samples, events and sensor entries.
 * Used by every reader: exporter, fan actuator, watchdog, sovereign-dump,
 * benchmarks and the inference runtime's bindings.
 *
 * A reader maps the segment with O_RDONLY + PROT_READ: it can neither block
 * nor corrupt the writer (the writers' lock is a file readers cannot open).
 * It trusts only a regular file that belongs to root or to itself (or the
 * owner it names) and that group and others cannot write.  Every snapshot
 * is bounded: it never spins on a preempted or dead writer, and fails with -SOV_EBUSY after a fixed number
 * of attempts.  Every snapshot checks the generation: after a writer
 * restart it fails with -SOV_ERESTARTED and the caller re-attaches with
 * sov_reader_reattach().
 *
 * Context of every function here: any thread of a reader process, but one
 * struct sov_reader must not be used by two threads at once.  None is
 * meant for a real-time loop: open/reattach/status make system calls;
 * the snapshot functions make none (sov_sample_age_ns() reads the clock).
 */
#ifndef SOVEREIGN_SHM_READER_H
#define SOVEREIGN_SHM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm_abi.h"
#include "shm_error.h"

struct sov_reader;
struct sov_sample;

/* sov_reader_opts.owner_uid values that are not a uid */
#define SOV_OWNER_DEFAULT (-1) /* root or the reader's own effective uid */
#define SOV_OWNER_SELF    (-2) /* the reader's own effective uid only */

/* struct sov_reader_opts - attach options; NULL means all defaults. */
struct sov_reader_opts {
	int64_t owner_uid;   /* the segment file's owner must be this uid (0:
			      * root only), or SOV_OWNER_DEFAULT (what NULL
			      * opts give: root, or the reader's own euid, as
			      * a segment its own user wrote is no less trusted
			      * than the reader), or SOV_OWNER_SELF (tests run
			      * by an unprivileged user) */
};

/*
 * sov_shm_path() - the file segment @name lives in: "/x" (leading slash,
 * no other) is SOV_RUN_DIR "/x", or "$SOVEREIGN_RUN_DIR/x" when that is set
 * (ignored in set-id programs); a name with a further slash is an absolute
 * path, used as it is.  NULL: SOV_SHM_DEFAULT_NAME.  The one place the rule
 * lives: writer, reader, unlink and the bindings all call it.
 * Context: any; reads the environment.
 * Return: 0 with the path in @buf; -EINVAL (not "/...", "/", "/.", a
 * relative SOVEREIGN_RUN_DIR, a path ending in '/'); -ENAMETOOLONG.
 */
int sov_shm_path(const char *name, char *buf, size_t len);

/*
 * sov_reader_open() - attach to segment @name read-only and validate it.
 * @name: segment name (see sov_shm_path()); NULL: SOV_SHM_DEFAULT_NAME.
 * @opts: NULL for defaults.
 *
 * Before mapping, the file must be a regular file (a FIFO or device is
 * refused without blocking), owned as @opts says, not writable by group
 * or others (the writer makes it 0640), and at least as long as the layout
 * its header declares (a shorter file would SIGBUS the reader).  What is
 * left: a writer that shrinks the file after a reader attached can still
 * SIGBUS that reader; only the file's owner -- root, or the reader's own
 * user -- can do that.
 *
 * Return: 0, or -ENOENT (no segment: is the writer running?), -EACCES,
 * -EINVAL (bad name or owner_uid), -SOV_ETRUNC, -SOV_EMAGIC,
 * -SOV_EVERSION, -SOV_ELAYOUT, -SOV_EFOREIGN (not a regular file, another
 * owner, or writable by group/others), -SOV_ESTATE (header state no
 * writer writes), -SOV_ENOTREADY (writer initialising: try again shortly),
 * -SOV_EBOOT, -ENOMEM.  A stopped writer's segment attaches (its data is
 * readable); sov_reader_status() says it is stopped.
 * Ownership: *out is the caller's; release with sov_reader_close().
 */
int sov_reader_open(const char *name, const struct sov_reader_opts *opts,
		    struct sov_reader **out);

/*
 * sov_reader_reattach() - drop the mapping and attach again by name, e.g.
 * after -SOV_ERESTARTED.  Samples allocated before may be too small for
 * the new layout: functions then return -ENOBUFS; allocate them again.
 * Return: as sov_reader_open(); on error the reader stays detached: every
 * snapshot returns -SOV_ERESTARTED, sov_reader_header() still describes the
 * old attachment, and reattach may be tried again.
 */
int sov_reader_reattach(struct sov_reader *r);

/* sov_reader_close() - unmap and free @r (may be NULL). */
void sov_reader_close(struct sov_reader *r);

/*
 * sov_reader_status() - is the writer alive and still this generation?
 * Only the exact SOV_STATE_LIVE of a writer process still running is live.
 * Return: 0 live; -SOV_ERESTARTED (generation changed, a re-init began, or
 * the file was unlinked and replaced: re-attach); -SOV_ESTOPPED (writer
 * stopped cleanly, its process is gone, or the state is none a writer
 * writes).  Makes system calls (/proc, fstat).
 */
int sov_reader_status(struct sov_reader *r);

/*
 * sov_reader_header() - a copy of the header as attached (layout, writer
 * identity, generation).  Hot fields are those at attach time; see
 * sov_reader_head() and sov_reader_event_head() for live values.
 * Return: a pointer into @r, valid until the next reattach or close.
 */
const struct sov_header *sov_reader_header(const struct sov_reader *r);

/*
 * sov_reader_state() - the writer's state now (enum sov_state), as the
 * segment says; a writer that died without closing still says LIVE, which
 * sov_reader_status() detects.  SOV_STATE_STOPPED while detached.  Any
 * value but the enum's is no writer's: treat it as not live.
 */
uint32_t sov_reader_state(const struct sov_reader *r);

/* sov_reader_nsensors() - sensors in the table of the attached generation. */
uint32_t sov_reader_nsensors(const struct sov_reader *r);

/* sov_reader_head() - number of the newest published sample (0: none yet). */
uint64_t sov_reader_head(const struct sov_reader *r);

/* sov_reader_event_head() - number of the newest published event (0: none). */
uint64_t sov_reader_event_head(const struct sov_reader *r);

/*
 * sov_reader_sensor() - consistent copy of sensor table entry @idx
 * (limits may change at run time, under header.table_seq).
 * Return: 0, -ERANGE (@idx >= nsensors), -SOV_ERESTARTED, -SOV_EBUSY.
 */
int sov_reader_sensor(struct sov_reader *r, uint32_t idx, struct sov_sensor *out);

/*
 * sov_reader_find() - index of the first sensor whose label or name equals
 * @key, optionally on chip @chip (NULL: any chip).
 * Return: the index (>= 0), -ENOENT, or an error of sov_reader_sensor()
 * (-SOV_ERESTARTED, -SOV_EBUSY).
 */
int sov_reader_find(struct sov_reader *r, const char *chip, const char *key);

/*
 * sov_sample_alloc() - a sample buffer sized for @r's current layout.
 * Return: the buffer (the caller's; free with sov_sample_free()), or NULL
 * with errno ENOMEM.
 */
struct sov_sample *sov_sample_alloc(const struct sov_reader *r);

/* sov_sample_free() - free @s (may be NULL). */
void sov_sample_free(struct sov_sample *s);

/*
 * sov_reader_latest() - copy the newest complete sample into @out.
 *
 * The writer only publishes head after the slot is complete and writes
 * slot head + 1 next, so the newest sample is never the one being written:
 * a preempted writer makes no reader wait.  A copy is retried (re-reading
 * head) only when the ring lapped the reader during the copy.
 * Return: 0; -SOV_ENOSAMPLE (nothing published yet in this generation);
 * -SOV_EBUSY after SOV_READ_RETRIES torn attempts; -SOV_ERESTARTED;
 * -ENOBUFS (@out is from an older layout).
 */
int sov_reader_latest(struct sov_reader *r, struct sov_sample *out);

/*
 * sov_reader_value() - one reading of the newest sample: copies sensor
 * @idx's value and read time (16 bytes and its valid bit), not the slot.
 * @value, @mono_ns: either may be NULL.  @number: if not NULL, the sample
 * number the reading came from.
 * Context: as every snapshot (no system call, never blocks; bounded).
 * Return: 0; -ENODATA (the sensor is invalid in the newest sample: its
 * last read failed); -SOV_ENOSAMPLE (nothing published yet); -ERANGE
 * (@idx >= nsensors); -SOV_EBUSY; -SOV_ERESTARTED.
 */
int sov_reader_value(struct sov_reader *r, uint32_t idx, int64_t *value, uint64_t *mono_ns,
		     uint64_t *number);

/*
 * sov_reader_sample() - copy sample number @number into @out.
 * Return: 0; -SOV_EGONE (overwritten, or not yet published); -SOV_EBUSY;
 * -SOV_ERESTARTED; -ENOBUFS.
 */
int sov_reader_sample(struct sov_reader *r, uint64_t number, struct sov_sample *out);

/*
 * sov_walk_fn - called by sov_reader_walk() for each sample, newest first.
 * @s is valid only during the call.  Return 0 to go on, non-zero to stop.
 */
typedef int (*sov_walk_fn)(const struct sov_sample *s, void *arg);

/*
 * sov_reader_walk() - visit the last @n consistent samples, newest first
 * (at most nslots - 1: the oldest slot may be being overwritten).  Samples
 * overwritten during the walk are skipped.
 * Return: the number of samples visited (>= 0), -SOV_ENOSAMPLE (nothing
 * published yet), -SOV_ERESTARTED.
 */
int sov_reader_walk(struct sov_reader *r, uint32_t n, sov_walk_fn fn, void *arg);

/*
 * sov_reader_events() - copy events published after *@cursor into @out.
 * @cursor: number of the last event the caller has; advanced past every
 * event returned or lost.  0 reads from the oldest still in the ring; start
 * from sov_reader_event_head() to see only new events.
 * @lost: if not NULL, incremented by the events after *@cursor that were
 * overwritten before they could be read (with a cursor of 0: every event
 * of this generation no longer in the ring).  At most nevents - 1 events
 * are readable at once: the oldest slot is the next one overwritten.
 * Return: events copied (0..@max), or -SOV_ERESTARTED.
 */
int sov_reader_events(struct sov_reader *r, uint64_t *cursor, struct sov_event *out,
		      uint32_t max, uint64_t *lost);

/* --- accessors of a copied sample (no system call, any thread) --- */

/* sov_sample_slot() - the copied slot head: number, times, cost, flags. */
const struct sov_slot *sov_sample_slot(const struct sov_sample *s);

/*
 * sov_sample_get() - reading @idx of @s.
 * Return: 0 with *value and *mono_ns set (either may be NULL); -ENODATA if
 * the sensor is invalid in this sample; -ERANGE if @idx >= nsensors.
 */
int sov_sample_get(const struct sov_sample *s, uint32_t idx, int64_t *value,
		   uint64_t *mono_ns);

/* sov_sample_suspect() - is reading @idx flagged suspect (frozen)? */
bool sov_sample_suspect(const struct sov_sample *s, uint32_t idx);

/* sov_sample_age_ns() - CLOCK_MONOTONIC now minus the sample's time. */
int64_t sov_sample_age_ns(const struct sov_sample *s);

#endif /* SOVEREIGN_SHM_READER_H */
