/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sel.h - save the BMC's System Event Log before it is cleared: every entry,
 * raw and decoded, to a JSON-lines file that is on disk (fsync'd, file and
 * directory) before anything is erased, and to journald.
 *
 * File: <dir>/<UTC time, YYYYmmddTHHMMSSZ>[-N].jsonl, mode 0600, created
 * with O_EXCL (a second save in the same second gets -1, -2, ...).  One JSON
 * object per line and per entry, in the BMC's order:
 *   {"record_id":3,"raw":"0300020000000020000401300157605a",
 *    "record_type":2,"timestamp":0,"text":"<libfreeipmi's decoding>"}
 * "raw" is the 16 bytes of Get SEL Entry as lowercase hex: the record
 * byte for byte.  Decoding is libfreeipmi's (ipmi_sel_format_record_string),
 * never hand-written tables.
 * Journald: one message per entry (PRIORITY=info, SYSLOG_IDENTIFIER=
 * sovereign-bmc, MESSAGE=the decoded text, SOVEREIGN_SEL_RAW=hex,
 * SOVEREIGN_SEL_RECORD_ID=n, SOVEREIGN_SEL_FILE=path).
 *
 * Context: process context, blocking (network and disk); never on the
 * real-time path.  Errors: -errno with a one-line description in @err;
 * nothing is printed.
 */
#ifndef SOVEREIGN_BMC_SEL_H
#define SOVEREIGN_BMC_SEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "ipmi.h"

#define BMC_SEL_MAX 4096 /* entries read at most (a SEL holds 64K at most; real ones ~512-3000) */

struct bmc_sel_result {
	char path[PATH_MAX]; /* the file written; "" when the SEL was empty and
				no file was written */
	size_t entries;      /* entries saved */
	bool cleared;        /* the SEL was cleared (only when asked and saved) */
	size_t journal_errors; /* entries journald did not take (not running): not
				  an error of the save */
};

/*
 * bmc_sel_save() - save every SEL entry of @b into a new file in @dir and
 * to journald; if @clear, then clear the SEL, losing nothing:
 *   reserve the SEL (bmc_ipmi_sel_reserve), read every entry, write and
 *   fsync the file and @dir, then clear with that reservation
 *   (bmc_ipmi_sel_clear_reserved).  An entry the BMC adds meanwhile cancels
 *   the reservation (cc 0xC5): the save is then repeated into a new file
 *   (at most 3 times, then -EAGAIN, nothing cleared).
 * An empty SEL writes no file and clears nothing (result: entries 0).
 * Any failure to create, write, fsync or close the file (ENOSPC, EDQUOT,
 * EIO, EFBIG...) returns that -errno, removes the partial file, and the SEL
 * is NOT cleared.  @dir is created (0700) if missing, not its parents.
 * A SEL of more than BMC_SEL_MAX entries: the first BMC_SEL_MAX are saved,
 * nothing is cleared, -EOVERFLOW.
 * Return: 0 or -errno; @res filled on success (and path on a failed write;
 * on -EAGAIN or -EOVERFLOW, path and entries of the last file written).
 */
int bmc_sel_save(struct bmc_ipmi *b, const char *dir, bool clear, struct bmc_sel_result *res,
		 char *err, size_t errlen);

/*
 * bmc_sel_decode() - libfreeipmi's one-line decoding of the 16-byte SEL
 * record @rec into @buf (@len bytes, NUL-terminated, truncated).  Pure, no
 * I/O: used by bmc_sel_save() and by the fuzzer.  Never fails: a record
 * libfreeipmi cannot decode gives "undecodable record type 0xNN".
 */
void bmc_sel_decode(const unsigned char rec[BMC_IPMI_SEL_RECORD], char *buf, size_t len);

#endif /* SOVEREIGN_BMC_SEL_H */
