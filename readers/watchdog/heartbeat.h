/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heartbeat.h - the inference heartbeat: a 64-byte file (on tmpfs, e.g.
 * /dev/shm/sovereign-heartbeat) holding a counter the runtime bumps as it
 * makes progress.  The runtime writes it (sov_hb_create/sov_hb_bump, or
 * the bindings); sovereign-watchdog only reads it (sov_hb_read).
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
 * (a single instruction on every 64-bit target), the reader loads it with
 * an acquire load from a read-only mapping: no torn counter, no lock.  One
 * writer per file.  Another language writes the same bytes (mmap the file,
 * store the counter as an aligned 8-byte integer).
 */
#ifndef SOVEREIGN_WD_HEARTBEAT_H
#define SOVEREIGN_WD_HEARTBEAT_H

#include <stdint.h>

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
 * sov_hb_create() - create (or take over) heartbeat file @path, mode 0644,
 * map it read-write and fill its header with the calling process's pid.
 * Context: the runtime, process context (system calls).
 * Return: 0 or -errno.  Ownership: *out is a mapping; release it with
 * sov_hb_close().  The file stays after close (the reader sees the last count).
 */
int sov_hb_create(const char *path, struct sov_heartbeat **out);

/*
 * sov_hb_bump() - count one unit of progress.
 * Context: one thread of the runtime at a time; no system call, no lock
 * (a relaxed load and a release store; pairs with the acquire load in
 * sov_hb_read()).
 */
void sov_hb_bump(struct sov_heartbeat *hb);

/* sov_hb_close() - unmap @hb (may be NULL). */
void sov_hb_close(struct sov_heartbeat *hb);

/*
 * sov_hb_read() - the counter and pid of heartbeat file @path.
 * Context: any process (opens, maps read-only, unmaps).
 * Return: 0; -ENOENT (no file yet); -EBADMSG (wrong magic, version or
 * size: not a heartbeat, or an incompatible one); other -errno.
 */
int sov_hb_read(const char *path, uint64_t *counter, int32_t *pid);

#endif /* SOVEREIGN_WD_HEARTBEAT_H */
