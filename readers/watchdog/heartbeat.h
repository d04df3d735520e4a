/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heartbeat.h - the inference heartbeat: a 64-byte file holding a counter
 * the runtime bumps as it makes progress.  The runtime writes it
 * (sov_hb_create/sov_hb_bump, or its own code writing the same bytes);
 * sovereign-watchdog only reads it (sov_hb_read).
 *
 * Where it lives: in a directory only the runtime's user can write, such
 * as systemd's $RUNTIME_DIRECTORY (RuntimeDirectory=sovereign-runtime in the
 * runtime's unit: /run/sovereign-runtime, owned by its User=, mode 0755),
 * never under a name in a world-writable directory (/dev/shm, /tmp): any
 * local user can create such a name first, and then either the runtime
 * cannot take the file (the watchdog sees no progress and calls it hung) or
 * the squatter bumps the counter and hides a runtime that really hangs.
 * Both sides check the file, so a squatted name is refused, and said,
 * rather than believed:
 * - sov_hb_create() takes an existing file only if it is a regular file of
 *   the caller's effective uid, with one name and no write bit for group
 *   or others; a new file is made 0644 (the umask does not narrow it: the
 *   watchdog runs without CAP_DAC_OVERRIDE and must be able to read it).
 * - sov_hb_read() counts it only if it is a regular file, not writable by
 *   group or others, owned by root or by a uid its caller trusts (the
 *   watchdog: the effective uid of the process it watches, and the
 *   [progress] heartbeat_owner of its configuration).
 *
 * Format (little-endian, fixed; version 1):
 *   offset  0  uint64 magic    SOV_HB_MAGIC ("$SOVHB01")
 *   offset  8  uint32 version  SOV_HB_VERSION
 *   offset 12  uint32 size     64, the bytes of the format
 *   offset 16  int32  pid      the runtime process that bumps it
 *   offset 20  uint32 pad      0
 *   offset 24  uint64 counter  bumped by the runtime: any change is progress
 *   offset 32  uint64 mono_ns  CLOCK_MONOTONIC of the last bump (informative)
 *   offset 40  24 bytes reserved, 0
 * The writer stores counter with a release store of an aligned 64-bit word
 * (a single instruction on every 64-bit target): a reader that maps the
 * file and loads it with an acquire load sees no torn counter and the
 * mono_ns of that bump.  One writer per file.  Another language writes the
 * same bytes (mmap the file, store the counter as an aligned 8-byte
 * integer).
 *
 * sov_hb_read() does not map the file: a mapping SIGBUSes its reader when
 * the file is truncated under it (a runtime reopening it with O_TRUNC), and
 * checking the size before mapping leaves that window open.  It copies the
 * 64 bytes with one pread() instead, which cannot fault: a short file is a
 * short read.  The kernel copies with memcpy, which is not 8-byte atomic,
 * so a counter read while the runtime bumps it may be torn (old and new
 * bytes mixed).  That is harmless for what the watchdog asks, "did it
 * change?": a torn value can only be read while a bump is being stored,
 * which is progress the runtime really made, and a runtime that stopped
 * bumping gives the same bytes on every read.  Likewise a read racing
 * sov_hb_create() may see the magic before the rest of the header and say
 * -EBADMSG once; the next read sees the whole header.
 */
#ifndef SOVEREIGN_WD_HEARTBEAT_H
#define SOVEREIGN_WD_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOV_HB_MAGIC   UINT64_C(0x31304248564f5324) /* "$SOVHB01", little-endian */
#define SOV_HB_VERSION 1u

struct sov_heartbeat {
	uint64_t magic;    /* SOV_HB_MAGIC */
	uint32_t version;  /* SOV_HB_VERSION */
	uint32_t size;     /* bytes: sizeof(struct sov_heartbeat) */
	int32_t  pid;      /* pid of the bumping runtime */
	uint32_t pad0_;
	uint64_t counter;  /* progress counter: any change is progress */
	uint64_t mono_ns;  /* CLOCK_MONOTONIC of the last bump, ns */
	uint8_t  reserved_[24];
};
_Static_assert(sizeof(struct sov_heartbeat) == 64, "heartbeat is 64 bytes");
_Static_assert(__builtin_offsetof(struct sov_heartbeat, counter) == 24,
	       "counter at offset 24, 8-byte aligned");

/*
 * sov_hb_create() - create (or take over) heartbeat file @path, map it
 * read-write and fill its header with the calling process's pid.  The
 * file is opened without following a symlink and without blocking on a
 * FIFO.  A new file is made mode 0644 (whatever the umask); an existing
 * one is taken over only if it is a regular file of the caller's
 * effective uid, with one name (no hard link elsewhere) and no write bit
 * for group or others: anything else may be someone else's, who could
 * bump it for us.  The counter of a file taken over goes on from where it
 * was.  Put @path in a directory only the caller's user can write (see
 * above).
 * Context: the runtime, process context (system calls).
 * Return: 0; -EPERM (a file is there that is not ours to take: another
 * owner, not a regular file, more than one name, or group/other-writable);
 * -ELOOP (@path is a symbolic link); other -errno.  Ownership: *out is a
 * mapping; release it with sov_hb_close().  The file stays after close
 * (the reader sees the last count).
 */
int sov_hb_create(const char *path, struct sov_heartbeat **out);

/*
 * sov_hb_bump() - count one unit of progress.
 * Context: one thread of the runtime at a time; no system call, no lock
 * (a relaxed load and a release store; pairs with the acquire load of a
 * reader that maps the file, see above; sov_hb_read() needs no ordering).
 */
void sov_hb_bump(struct sov_heartbeat *hb);

/* sov_hb_close() - unmap @hb (may be NULL). */
void sov_hb_close(struct sov_heartbeat *hb);

/* enum sov_hb_trust - sov_hb_trust()'s verdict on a heartbeat file. */
enum sov_hb_trust {
	SOV_HB_TRUSTED = 0,
	SOV_HB_NOT_REGULAR, /* a directory, FIFO, socket or device */
	SOV_HB_WRITABLE,    /* group or others may write it: anyone could bump it */
	SOV_HB_FOREIGN,     /* owned by neither root nor a trusted uid */
};

/*
 * sov_hb_trust() - may a heartbeat file of owner @uid and st_mode @mode be
 * believed, with the uids @trusted[0..@ntrusted) trusted besides root?
 * Checked in the order of enum sov_hb_trust: the first failure is said.
 * Context: any; pure.  Return: an enum sov_hb_trust.
 */
enum sov_hb_trust sov_hb_trust(uid_t uid, mode_t mode, const uid_t *trusted, size_t ntrusted);

/* struct sov_hb_info - what sov_hb_read() found. */
struct sov_hb_info {
	uint64_t counter; /* the progress counter; set on 0 */
	int32_t  pid;     /* the header's pid of the runtime; set on 0 */
	uid_t    uid;     /* the file's owner; set on 0, -EPERM, -EBADMSG */
	mode_t   mode;    /* the file's st_mode; set on 0, -EPERM, -EBADMSG */
};

/*
 * sov_hb_read() - the counter and pid of heartbeat file @path, if it is a
 * file to trust (sov_hb_trust() with @trusted, @ntrusted; @trusted may be
 * NULL when @ntrusted is 0: then only root's file is believed).
 * Opens without following a symlink or blocking on a FIFO, checks, and
 * copies the 64 bytes with one pread() (no mapping: no SIGBUS when the
 * file is truncated meanwhile; see above for why a torn counter does no
 * harm).
 * Context: any process (opens, reads, closes).
 * Return: 0; -ENOENT (no file yet); -ELOOP (a symbolic link: never
 * followed); -EPERM (not to be trusted: sov_hb_trust() of out->uid and
 * out->mode says why); -EBADMSG (shorter than 64 bytes, or wrong magic,
 * version or size: not a heartbeat, or an incompatible one); other -errno.
 */
int sov_hb_read(const char *path, const uid_t *trusted, size_t ntrusted,
		struct sov_hb_info *out);

#endif /* SOVEREIGN_WD_HEARTBEAT_H */
