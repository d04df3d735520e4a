/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shm_error.c - messages for libsovereign's error codes (see shm_error.h). */
#define _GNU_SOURCE
#include <string.h>

#include "shm_error.h"

static const char *const sov_messages[SOV_ELAST_ - SOV_EBASE] = {
	[0]                          = "unknown libsovereign error",
	[SOV_EMAGIC - SOV_EBASE]     = "not a Sovereign segment (bad magic number)",
	[SOV_EVERSION - SOV_EBASE]   = "segment ABI major version differs from this library's",
	[SOV_ELAYOUT - SOV_EBASE]    = "segment layout (part sizes or offsets) is not one this library understands",
	[SOV_ETRUNC - SOV_EBASE]     = "segment is truncated: the file is smaller than its header says",
	[SOV_EFOREIGN - SOV_EBASE]   = "segment not trusted: its file, directory or lock file belongs to another user, is writable by group/others, or is not a plain file/directory",
	[SOV_EOWNED - SOV_EBASE]     = "another live writer owns the segment",
	[SOV_ERESTARTED - SOV_EBASE] = "the writer restarted (generation changed): re-attach",
	[SOV_ENOTREADY - SOV_EBASE]  = "the writer is still initialising the segment",
	[SOV_ESTOPPED - SOV_EBASE]   = "the writer has stopped; the data is its last",
	[SOV_EBUSY - SOV_EBASE]      = "no consistent copy within the bounded number of retries",
	[SOV_ENOGROUP - SOV_EBASE]   = "the configured group does not exist",
	[SOV_EGONE - SOV_EBASE]      = "that sample was overwritten or is not yet published",
	[SOV_EBOOT - SOV_EBASE]      = "segment was written during another boot",
	[SOV_ESTATE - SOV_EBASE]     = "segment header state is none a writer writes (not initialising, live or stopped)",
	[SOV_ENOSAMPLE - SOV_EBASE]  = "the writer has published no sample yet",
};

const char *sov_strerror(int err)
{
	static __thread char buf[128];

	if (err < 0)
		err = -err;
	if (err > SOV_EBASE && err < SOV_ELAST_)
		return sov_messages[err - SOV_EBASE];
	if (err == 0)
		return "success";
	if (err >= SOV_EBASE)
		return sov_messages[0];
	/* GNU strerror_r returns the message, in buf or a static string. */
	return strerror_r(err, buf, sizeof(buf));
}
