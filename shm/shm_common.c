/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_common.c - helpers shared by the writer and the reader: where a
 * segment name lives (sov_shm_path()), process identity, boot id, layout
 * validation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shm_error.h"
#include "shm_internal.h"
#include "shm_reader.h"

int sov_shm_path(const char *name, char *buf, size_t len)
{
	const char *dir;
	size_t dlen;
	int n;

	if (!name)
		name = SOV_SHM_DEFAULT_NAME;
	if (name[0] != '/' || name[1] == '\0')
		return -EINVAL;
	if (strchr(name + 1, '/')) {
		/* An absolute file path, used as it is; it must name a file. */
		if (name[strlen(name) - 1] == '/')
			return -EINVAL;
		n = snprintf(buf, len, "%s", name);
	} else {
		if (strlen(name) > NAME_MAX || !strcmp(name, "/.") || !strcmp(name, "/.."))
			return -EINVAL;
		/* secure_getenv: a set-id program does not take its directory from its caller. */
		dir = secure_getenv(SOV_RUN_DIR_ENV);
		if (!dir || !dir[0])
			dir = SOV_RUN_DIR;
		if (dir[0] != '/')
			return -EINVAL;
		dlen = strlen(dir);
		while (dlen > 0 && dir[dlen - 1] == '/')
			dlen--; /* "/run/x/" and "/" join without a double slash */
		n = snprintf(buf, len, "%.*s%s", (int)dlen, dir, name);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int sov_lock_path(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/') + 1;
	int n;

	n = snprintf(buf, len, "%.*s.%s.lock", (int)(base - path), path, base);
	if (n < 0 || (size_t)n >= len || strlen(base) + 6 > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Read at most @len - 1 bytes of the small file @path into @buf. */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

int sov_proc_starttime(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024];
	char *p;
	int i, rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = read_small(path, buf, sizeof(buf));
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	/* comm (field 2) may hold spaces and ')': fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -EPROTO;
	p++;
	/* p is at " S ppid ...": field 3 is the state; field 22 is 19 fields on. */
	for (i = 3; i < 22; i++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EPROTO;
	}
	errno = 0;
	*out = strtoull(p + 1, NULL, 10);
	return errno ? -errno : 0;
}

int sov_boot_id(uint8_t id[16])
{
	char buf[64];
	int i, n = 0, rc;

	rc = read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));
	if (rc < 0)
		return rc;
	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\n" */
	for (i = 0; buf[i] && n < 32; i++) {
		int v;
		char c = buf[i];

		if (c == '-')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -EPROTO;
		if (n % 2 == 0)
			id[n / 2] = (uint8_t)(v << 4);
		else
			id[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 32 ? 0 : -EPROTO;
}

uint64_t sov_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sov_layout_check(const struct sov_header *h, uint64_t size)
{
	uint64_t end;

	if (h->magic != SOV_MAGIC)
		return -SOV_EMAGIC;
	if (SOV_ABI_MAJOR_OF(h->abi_version) != SOV_ABI_MAJOR)
		return -SOV_EVERSION;
	if (h->header_size != sizeof(struct sov_header) ||
	    h->sensor_size != sizeof(struct sov_sensor) ||
	    h->slot_hdr_size != sizeof(struct sov_slot) ||
	    h->reading_size != sizeof(struct sov_reading) ||
	    h->event_size != sizeof(struct sov_event))
		return -SOV_ELAYOUT;
	if (h->sensors_max == 0 || h->sensors_max > SOV_SENSORS_MAX_LIMIT ||
	    h->nsensors > h->sensors_max ||
	    h->bitmap_words != sov_bitmap_words(h->sensors_max) ||
	    h->slot_size != sov_slot_size(h->sensors_max) ||
	    !sov_is_pow2(h->nslots) || h->nslots < 4 || h->nslots > SOV_NSLOTS_MAX ||
	    !sov_is_pow2(h->nevents) || h->nevents < 4 || h->nevents > SOV_NEVENTS_MAX)
		return -SOV_ELAYOUT;
	/* Parts in order, aligned, not overlapping; bounds above rule out overflow. */
	if (h->sensor_off % SOV_ALIGN || h->ring_off % SOV_ALIGN || h->event_off % SOV_ALIGN ||
	    h->sensor_off < h->header_size ||
	    h->ring_off < h->sensor_off + (uint64_t)h->sensors_max * h->sensor_size ||
	    h->event_off < h->ring_off + (uint64_t)h->nslots * h->slot_size ||
	    h->total_size < h->event_off + (uint64_t)h->nevents * h->event_size ||
	    h->sensor_off > (UINT64_C(1) << 40) || h->ring_off > (UINT64_C(1) << 40) ||
	    h->event_off > (UINT64_C(1) << 42) || h->total_size > (UINT64_C(1) << 44))
		return -SOV_ELAYOUT;
	end = h->total_size;
	if (end > size)
		return -SOV_ETRUNC;
	return 0;
}
