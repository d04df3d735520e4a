/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * origstate.h - the record of the fans' original state (pwmN_enable and
 * pwmN as found before sovereign-fan first touched them), kept in a file
 * under /run that survives a crash and a restart, so that a clean stop
 * gives back the true original and never a crashed run's own duty.  Used
 * by fan.c (start, --failsafe, stop).
 */
#ifndef SOVEREIGN_FAN_ORIGSTATE_H
#define SOVEREIGN_FAN_ORIGSTATE_H

#include <stdbool.h>

#define FAN_ORIG_MAX 64          /* channels in one record */
#define FAN_ORIG_NO_ENABLE (-1L) /* the channel has no pwmN_enable */

/*
 * The file, text, one channel a line, whitespace-separated:
 *
 *   sovereign-fan original-state 1
 *   fan CHIP CHANNEL known ENABLE PWM     (ENABLE -1: no pwmN_enable)
 *   fan CHIP CHANNEL unknown              (restore: automatic or full speed)
 *   end COUNT
 *
 * CHIP is the "name/device" string of pwm.h.  Anything else -- no header,
 * a bad line, no "end" or a wrong COUNT (a torn write) -- is corrupt.
 */

/* struct fan_orig_entry - one channel's original state. */
struct fan_orig_entry {
	char chip[64];        /* "name/device", as struct fan_pwm has it */
	int channel;          /* N of pwmN */
	bool known;           /* false: of unknown origin, never restored as is */
	long enable;          /* pwmN_enable, FAN_ORIG_NO_ENABLE if it has none */
	long pwm;             /* pwmN, 0..255 */
};

/* struct fan_orig - a whole record. */
struct fan_orig {
	struct fan_orig_entry e[FAN_ORIG_MAX];
	int n;
};

/*
 * fan_orig_load() - read the record at @path into @o.
 * The file must be a regular file owned by the effective user and not
 * writable by group or others: anyone else's file is not our record.
 * Context: process context (opens, reads).
 * Return: 0; -ENOENT (no record); -EPERM (not a regular file, another
 * owner, or group/other-writable); -EINVAL (corrupt, empty or torn);
 * another -errno of open/read.  On any error @o is empty (n = 0).
 */
int fan_orig_load(const char *path, struct fan_orig *o);

/*
 * fan_orig_find() - @o's entry for @chip pwm@channel.
 * Return: a pointer into @o, or NULL.  Context: any; pure.
 */
const struct fan_orig_entry *fan_orig_find(const struct fan_orig *o, const char *chip,
					   int channel);

/*
 * fan_orig_add() - append @e to @o (a chip already there is not checked:
 * call fan_orig_find() first).  Return: 0, -ENOSPC (FAN_ORIG_MAX entries),
 * -EINVAL (the chip string is empty or holds whitespace, which the format
 * cannot carry).  Context: any; pure.
 */
int fan_orig_add(struct fan_orig *o, const struct fan_orig_entry *e);

/*
 * fan_orig_save() - write @o to @path atomically: a temporary file in the
 * same directory (mode 0600), fsync, rename over @path, fsync of the
 * directory; the directory is created (0750) if missing, with its parent.
 * A crash at any point leaves either the old record or the new one.
 * Context: process context (blocks on the disk).  Return: 0 or -errno
 * (nothing left behind on error).
 */
int fan_orig_save(const char *path, const struct fan_orig *o);

/*
 * fan_orig_remove() - delete the record at @path (the fans are back in
 * their original state).  Context: process context.
 * Return: 0 (also when there was none) or -errno.
 */
int fan_orig_remove(const char *path);

#endif /* SOVEREIGN_FAN_ORIGSTATE_H */
