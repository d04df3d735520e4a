/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heartbeat.c - create, bump and read the inference heartbeat file
 * (format in heartbeat.h).  The runtime side and the watchdog side.
 */
#define _GNU_SOURCE
#include "heartbeat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

/*
 * Open @path for sov_hb_create(): create it 0644 if missing, else open the
 * file there, never through a symlink (O_NOFOLLOW) or blocking on a FIFO
 * (O_NONBLOCK), and check that it is ours to take.  Return: the fd, -EPERM,
 * -errno.
 */
static int hb_open_own(const char *path)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	bool created = true;
	struct stat st;
	int fd, rc;

	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(path, flags);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto err_close;
	}
	/*
	 * Someone else's file, or one others may write, would let them bump
	 * the counter of a runtime that hangs: refuse it.  A second name
	 * (hard link) would let our writes land in a file elsewhere.
	 */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		rc = -EPERM;
		goto err_close;
	}
	/* The umask may have narrowed 0644: the watchdog must read it (no DAC override). */
	if (created && fchmod(fd, 0644) < 0) {
		rc = -errno;
		goto err_close;
	}
	return fd;

err_close:
	close(fd);
	return rc;
}

int sov_hb_create(const char *path, struct sov_heartbeat **out)
{
	struct sov_heartbeat *hb;
	int fd, rc;

	fd = hb_open_own(path);
	if (fd < 0)
		return fd;
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
	/*
	 * Pairs with the acquire load of magic by a reader that maps the file
	 * (heartbeat.h); sov_hb_read()'s copy may see it early: -EBADMSG once.
	 */
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
	/*
	 * Pairs with the acquire load of counter by a reader that maps the
	 * file (heartbeat.h): it sees this bump's mono_ns.  sov_hb_read()
	 * copies with pread() and only asks whether the counter changed.
	 */
	__atomic_store_n(&hb->counter, c + 1, __ATOMIC_RELEASE);
}

void sov_hb_close(struct sov_heartbeat *hb)
{
	if (hb)
		munmap(hb, sizeof(*hb));
}

enum sov_hb_trust sov_hb_trust(uid_t uid, mode_t mode, const uid_t *trusted, size_t ntrusted)
{
	if (!S_ISREG(mode))
		return SOV_HB_NOT_REGULAR;
	if (mode & (S_IWGRP | S_IWOTH))
		return SOV_HB_WRITABLE;
	if (uid == 0)
		return SOV_HB_TRUSTED;
	for (size_t i = 0; i < ntrusted; i++)
		if (uid == trusted[i])
			return SOV_HB_TRUSTED;
	return SOV_HB_FOREIGN;
}

int sov_hb_read(const char *path, const uid_t *trusted, size_t ntrusted,
		struct sov_hb_info *out)
{
	struct sov_heartbeat hb;
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO put under the name must not hang the watchdog. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	out->uid = st.st_uid;
	out->mode = st.st_mode;
	if (sov_hb_trust(st.st_uid, st.st_mode, trusted, ntrusted) != SOV_HB_TRUSTED) {
		rc = -EPERM;
		goto out_close;
	}
	/* One copy, no mapping: see heartbeat.h for why a torn counter is harmless. */
	n = pread(fd, &hb, sizeof(hb), 0);
	if (n < 0) {
		rc = -errno;
		goto out_close;
	}
	if ((size_t)n < sizeof(hb) || hb.magic != SOV_HB_MAGIC ||
	    hb.version != SOV_HB_VERSION || hb.size != sizeof(hb)) {
		rc = -EBADMSG;
		goto out_close;
	}
	out->counter = hb.counter;
	out->pid = hb.pid;
out_close:
	close(fd);
	return rc;
}
