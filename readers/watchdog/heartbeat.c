/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heartbeat.c - create, bump and read the inference heartbeat file
 * (format in heartbeat.h).  The runtime side and the watchdog side.
 */
#define _GNU_SOURCE
#include "heartbeat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t hb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sov_hb_create(const char *path, struct sov_heartbeat **out)
{
	struct sov_heartbeat *hb;
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(*hb)) < 0) {
		rc = -errno;
		goto err_close;
	}
	hb = mmap(NULL, sizeof(*hb), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hb == MAP_FAILED) {
		rc = -errno;
		goto err_close;
	}
	close(fd); /* the mapping keeps the file */
	/* Counter first, magic last: a reader that sees the magic sees a header. */
	__atomic_store_n(&hb->magic, 0, __ATOMIC_RELAXED);
	hb->version = SOV_HB_VERSION;
	hb->size = sizeof(*hb);
	hb->pid = (int32_t)getpid();
	hb->mono_ns = hb_now_ns();
	/* Pairs with the acquire load of magic in sov_hb_read(). */
	__atomic_store_n(&hb->magic, SOV_HB_MAGIC, __ATOMIC_RELEASE);
	*out = hb;
	return 0;

err_close:
	close(fd);
	return rc;
}

void sov_hb_bump(struct sov_heartbeat *hb)
{
	uint64_t c = __atomic_load_n(&hb->counter, __ATOMIC_RELAXED);

	__atomic_store_n(&hb->mono_ns, hb_now_ns(), __ATOMIC_RELAXED);
	/* Pairs with the acquire load of counter in sov_hb_read(). */
	__atomic_store_n(&hb->counter, c + 1, __ATOMIC_RELEASE);
}

void sov_hb_close(struct sov_heartbeat *hb)
{
	if (hb)
		munmap(hb, sizeof(*hb));
}

int sov_hb_read(const char *path, uint64_t *counter, int32_t *pid)
{
	const struct sov_heartbeat *hb;
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	/* A short file would SIGBUS on access: refuse it before mapping. */
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*hb)) {
		rc = -EBADMSG;
		goto out_close;
	}
	hb = mmap(NULL, sizeof(*hb), PROT_READ, MAP_SHARED, fd, 0);
	if (hb == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	/* Pairs with the release store of magic in sov_hb_create(). */
	if (__atomic_load_n(&hb->magic, __ATOMIC_ACQUIRE) != SOV_HB_MAGIC ||
	    hb->version != SOV_HB_VERSION || hb->size != sizeof(*hb)) {
		rc = -EBADMSG;
	} else {
		/* Pairs with the release store in sov_hb_bump(). */
		*counter = __atomic_load_n(&hb->counter, __ATOMIC_ACQUIRE);
		*pid = hb->pid;
	}
	munmap((void *)hb, sizeof(*hb));
out_close:
	close(fd);
	return rc;
}
