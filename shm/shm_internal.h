/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_internal.h - helpers shared by shm_writer.c and shm_reader.c; not
 * installed, not part of the API.
 */
#ifndef SOVEREIGN_SHM_INTERNAL_H
#define SOVEREIGN_SHM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm_abi.h"

/* Not exported from libsovereign.so. */
#pragma GCC visibility push(hidden)

/* Attempts a reader makes at one consistent copy before -SOV_EBUSY. */
#define SOV_READ_RETRIES 8

/*
 * sov_lock_path() - the writers' lock file of segment file @path (from
 * sov_shm_path()): ".<file>.lock" beside it, mode 0600, so that no reader
 * can open it, let alone lock it.  Return: 0 or -ENAMETOOLONG.
 */
int sov_lock_path(const char *path, char *buf, size_t len);

/*
 * sov_proc_starttime() - start time of process @pid in clock ticks after
 * boot (/proc/PID/stat field 22).  Return: 0, -ESRCH if there is no such
 * process, or -errno.
 */
int sov_proc_starttime(pid_t pid, uint64_t *out);

/* sov_boot_id() - this boot's id (binary).  Return: 0 or -errno. */
int sov_boot_id(uint8_t id[16]);

/* sov_is_pow2() - is @v a power of two (nslots, nevents)?  0 is not. */
static inline int sov_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* sov_now_ns() - @clock in ns (clock_gettime cannot fail for the clocks used). */
uint64_t sov_now_ns(int clock);

/*
 * sov_layout_check() - is the static header @h internally consistent and of
 * this library's ABI, for an object of @size bytes?
 * Return: 0, -SOV_EMAGIC, -SOV_EVERSION, -SOV_ELAYOUT or -SOV_ETRUNC.
 */
int sov_layout_check(const struct sov_header *h, uint64_t size);

#pragma GCC visibility pop

/*
 * Test hook points of the reader's attach (see sov_test_attach_hook).
 * SOV_HOOK_ATTACH_GEN: after the first generation load of a header copy,
 * before the state load.  SOV_HOOK_ATTACH_COPIED: after the header copy,
 * before the generation is loaded again.
 */
enum sov_hook_point {
	SOV_HOOK_ATTACH_GEN    = 1,
	SOV_HOOK_ATTACH_COPIED = 2,
};

/*
 * sov_test_attach_hook - for tests only: when not NULL, called at each
 * enum sov_hook_point of every header copy the reader makes at attach, so
 * that a test can re-initialise the segment between two loads and drive an
 * interleaving deterministically, without sleeps.  NULL in production (one
 * load and branch per attempt, outside any snapshot path).  Exported (the
 * tests link libsovereign.so) but declared only here, not installed.
 */
extern void (*sov_test_attach_hook)(enum sov_hook_point at);

#endif /* SOVEREIGN_SHM_INTERNAL_H */
