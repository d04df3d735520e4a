/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.h - files that must survive a crash: write all of a buffer, fsync
 * a directory, replace a file atomically.  Shared by the programs that keep
 * records (sovereign-bmc's standby record and SEL saves, its modprobe.d
 * blacklist).  Process context, blocking; never on the real-time path.
 */
#ifndef SOVEREIGN_RT_FILEIO_H
#define SOVEREIGN_RT_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* sov_write_all() - write all @len bytes of @p to @fd (EINTR retried).  Return: 0 or -errno. */
int sov_write_all(int fd, const void *p, size_t len);

/*
 * sov_fsync_dir() - fsync the directory @dir, or with @of_file the
 * directory holding the file @dir names, so that a create, rename or
 * unlink in it is on disk.  A file system that cannot sync a directory
 * (EINVAL) has nothing to sync: 0.  Return: 0 or -errno.
 */
int sov_fsync_dir(const char *dir, int of_file);

/*
 * sov_write_atomic() - replace @path with @len bytes of @data, mode @mode
 * (umask ignored): written to "@path.tmp" (O_NOFOLLOW), fsync'd, renamed
 * over @path, and the directory fsync'd.  A crash leaves the old file or
 * the new one, never a mix; on failure the .tmp is removed.
 * Return: 0 or -errno (-ENAMETOOLONG: @path too long for the .tmp name).
 */
int sov_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif /* SOVEREIGN_RT_FILEIO_H */
