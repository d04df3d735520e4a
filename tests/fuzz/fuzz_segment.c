/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_segment.c - libFuzzer target: a reader attaching to a segment whose
 * bytes are the input (a corrupt, hostile or foreign segment).  The reader
 * must refuse it with an error or read it within bounds; never crash.
 * Most inputs damage a valid segment (overwrite at an offset, or truncate)
 * so that the deep paths (slots, events, sensor table) are reached too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sovereign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char name[64];
static char path[PATH_MAX];  /* the segment's file: sov_shm_path(name) */
static uint8_t *tmpl;
static size_t tmpl_len;

/* A real segment's bytes: 3 sensors, 4 slots, 4 events, a few samples. */
static void make_template(void)
{
	struct sov_writer_opts o = { .name = name, .nslots = 4, .nevents = 4 };
	struct sov_sensor s[3];
	struct sov_writer *w;
	int fd, i;

	memset(s, 0, sizeof(s));
	for (i = 0; i < 3; i++) {
		s[i].kind = SOV_KIND_TEMP;
		snprintf(s[i].name, sizeof(s[i].name), "t%d", i);
	}
	if (sov_writer_create(&o, s, 3, &w))
		abort();
	for (i = 1; i <= 6; i++) {
		sov_writer_set(w, 0, i, (uint64_t)i);
		sov_writer_publish(w);
	}
	tmpl_len = sov_writer_header(w)->total_size;
	sov_writer_close(w);
	tmpl = malloc(tmpl_len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!tmpl || fd < 0 || pread(fd, tmpl, tmpl_len, 0) != (ssize_t)tmpl_len)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sov_reader *r;
	int fd;

	if (!tmpl) {
		snprintf(name, sizeof(name), "/sov-fuzz-%d", (int)getpid());
		if (sov_shm_path(name, path, sizeof(path)))
			abort();
		make_template();
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		abort();
	/*
	 * data[0] picks the damage: 0 the input is the whole object; 1 the
	 * valid segment with the input written over it at offset data[1..2];
	 * 2 the valid segment truncated to data[1..2] bytes.
	 */
	if (size < 3 || data[0] % 3 == 0) {
		if (size && write(fd, data, size) != (ssize_t)size)
			abort();
	} else {
		uint8_t *buf = malloc(tmpl_len);
		size_t at = ((size_t)data[1] << 8 | data[2]) * 8 % tmpl_len, len = tmpl_len;

		memcpy(buf, tmpl, tmpl_len);
		if (data[0] % 3 == 1) {
			size_t n = size - 3 < tmpl_len - at ? size - 3 : tmpl_len - at;

			memcpy(buf + at, data + 3, n);
		} else {
			len = at;
		}
		if (len && write(fd, buf, len) != (ssize_t)len)
			abort();
		free(buf);
	}
	close(fd);
	if (sov_reader_open(name, NULL, &r) == 0) {
		struct sov_sample *s = sov_sample_alloc(r);
		struct sov_event ev[8];
		struct sov_sensor d;
		uint64_t cursor = 0, lost = 0;
		uint32_t i;

		if (s) {
			sov_reader_latest(r, s);
			for (i = 0; i < sov_reader_nsensors(r) && i < 64; i++) {
				int64_t v;

				sov_sample_get(s, i, &v, NULL);
				sov_sample_suspect(s, i);
				sov_reader_sensor(r, i, &d);
			}
			sov_reader_sample(r, 2, s);
		}
		sov_reader_events(r, &cursor, ev, 8, &lost);
		sov_reader_find(r, NULL, "t1");
		sov_reader_status(r);
		sov_sample_free(s);
		sov_reader_close(r);
	}
	sov_shm_unlink(name); /* the file, and the template writer's lock file */
	return 0;
}
