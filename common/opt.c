// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * opt.c - the bounded-integer option parser (opt.h), shared by every
 * program's command line.
 */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int sov_opt_int(const char *name, const char *arg, long long min, long long max, long long *out,
		struct sov_opt_err *err)
{
	const char *digits = arg + (*arg == '-' || *arg == '+');
	char *end;
	long long v = 0;
	int rc = 0;

	/* strtoll() skips leading white space and takes "0x" with base 0: check the form first. */
	if (!isdigit((unsigned char)*digits)) {
		rc = -EINVAL;
	} else {
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (*end)
			rc = -EINVAL;
		else if (errno == ERANGE || v < min || v > max)
			rc = -ERANGE;
	}
	if (rc) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s: '%s' is not an integer in %lld..%lld",
				 name, arg, min, max);
		return rc;
	}
	*out = v;
	return 0;
}
