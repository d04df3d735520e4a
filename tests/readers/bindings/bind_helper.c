/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bind_helper.c - a scriptable writer for the Python bindings test: creates
 * segment argv[1] with the fixture's sensors, then obeys stdin lines
 * "pub TCTL_mC DIMM_mC RPM [AGE_ns]" and "quit", answering "ok N" each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_fixture.h"

int main(int argc, char **argv)
{
	struct sov_writer_opts o = { .nslots = 8, .nevents = 8, .period_ns = 100000000,
				     .writer_name = "bind_helper" };
	struct sov_sensor s[FX_N];
	struct sov_writer *w;
	char line[256];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SHM_NAME\n", argv[0]);
		return 2;
	}
	o.name = argv[1];
	fx_sensors(s);
	rc = sov_writer_create(&o, s, FX_N, &w);
	if (rc) {
		fprintf(stderr, "create %s: %s\n", argv[1], sov_strerror(rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long long tctl, dimm, rpm;
		unsigned long long age = 0;

		if (!strncmp(line, "quit", 4))
			break;
		if (sscanf(line, "pub %lld %lld %lld %llu", &tctl, &dimm, &rpm, &age) < 3) {
			printf("error bad command\n");
			fflush(stdout);
			continue;
		}
		printf("ok %" PRIu64 "\n", fx_publish(w, tctl, dimm, rpm, age));
		fflush(stdout);
	}
	sov_writer_close(w);
	sov_shm_unlink(argv[1]);
	return 0;
}
