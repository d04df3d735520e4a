/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_sel.c - libFuzzer target: arbitrary bytes as a 16-byte SEL record
 * (shorter input zero-padded) through bmc_sel_decode(), libfreeipmi's
 * decoding, into a buffer of a size the input also picks (byte 16: 1..256).
 * Any record must give a non-empty, NUL-terminated text within the buffer,
 * never a crash; bytes past the terminator stay untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sel.h"

#define CANARY 0xa5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char rec[BMC_IPMI_SEL_RECORD] = { 0 };
	char buf[256 + 1];
	size_t len = size > BMC_IPMI_SEL_RECORD ? (size_t)data[BMC_IPMI_SEL_RECORD] + 1 : 256;

	memcpy(rec, data, size < sizeof(rec) ? size : sizeof(rec));
	memset(buf, CANARY, sizeof(buf));
	bmc_sel_decode(rec, buf, len);
	if ((unsigned char)buf[len] != CANARY) /* wrote past @len */
		abort();
	if (!memchr(buf, '\0', len)) /* not terminated */
		abort();
	if (len > 1 && buf[0] == '\0') /* empty text */
		abort();
	return 0;
}
