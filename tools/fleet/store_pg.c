// SPDX-License-Identifier: GPL-2.0-or-later
/* store_pg.c - the PostgreSQL store backend (store.h): placeholder, being written. */
#include <errno.h>
#include <stdio.h>

#include "store.h"

static int pg_open(const char *dsn, struct fleet_store **out, char *err, size_t errlen)
{
	(void)dsn;
	*out = NULL;
	snprintf(err, errlen, "postgresql: backend not built yet");
	return -ENOSYS;
}

const struct fleet_store_ops fleet_store_pg = {
	.name = "postgresql",
	.open = pg_open,
};
