/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_error.h - libsovereign's error codes and their messages.
 *
 * Every libsovereign function that can fail returns 0 (or a count) on
 * success and a negative code on failure: either -errno from the system
 * call that failed, unchanged, or one of the -SOV_E* codes below for
 * failures no errno describes.  sov_strerror() turns either into a message.
 * The library itself never prints.
 */
#ifndef SOVEREIGN_SHM_ERROR_H
#define SOVEREIGN_SHM_ERROR_H

/* Above every errno value (Linux's stop below 256), so the two never clash. */
enum sov_error {
	SOV_EBASE       = 0x5000,
	SOV_EMAGIC      = SOV_EBASE + 1, /* not a Sovereign segment (bad magic) */
	SOV_EVERSION    = SOV_EBASE + 2, /* incompatible ABI major version */
	SOV_ELAYOUT     = SOV_EBASE + 3, /* a part's size or offset is not what
					  * this library was built for, or is
					  * inconsistent with the others */
	SOV_ETRUNC      = SOV_EBASE + 4, /* file smaller than its layout */
	SOV_EFOREIGN    = SOV_EBASE + 5, /* segment, its directory or lock file
					  * not trusted: another owner, writable
					  * by group/others, a symlink, a FIFO */
	SOV_EOWNED      = SOV_EBASE + 6, /* another live writer owns the segment */
	SOV_ERESTARTED  = SOV_EBASE + 7, /* writer restarted: re-attach */
	SOV_ENOTREADY   = SOV_EBASE + 8, /* writer is initialising the segment */
	SOV_ESTOPPED    = SOV_EBASE + 9, /* writer stopped; data is old */
	SOV_EBUSY       = SOV_EBASE + 10,/* no consistent copy after the bounded
					  * number of retries */
	SOV_ENOGROUP    = SOV_EBASE + 11,/* configured group does not exist */
	SOV_EGONE       = SOV_EBASE + 12,/* the sample asked for was overwritten
					  * or not yet published */
	SOV_EBOOT       = SOV_EBASE + 13,/* segment written during another boot */
	SOV_ESTATE      = SOV_EBASE + 14,/* header state is none a writer writes */
	SOV_ENOSAMPLE   = SOV_EBASE + 15,/* the writer has published no sample yet
					  * in this generation (not an error of
					  * the data: ask again after a period) */
	SOV_ELAST_
};

/*
 * sov_strerror() - a message for an error returned by libsovereign.
 * @err: the return value (negative) or its absolute value.
 * Context: any; thread-safe.
 * Return: a static string, never NULL (errno values through strerror_r()
 * into a thread-local buffer).
 */
const char *sov_strerror(int err);

#endif /* SOVEREIGN_SHM_ERROR_H */
