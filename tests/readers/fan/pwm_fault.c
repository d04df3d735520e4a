/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pwm_fault.c - linked into sovereign-fan-journal (the real fan.c): this
 * definition interposes libc's pwrite() so that a test can make writes to
 * one pwmN fail the way a sysfs attribute fails (a driver unbound, a bus
 * error) -- which a fixture tree's regular file never does, not even for
 * root, and the actuator holds its descriptors open so that replacing the
 * file changes nothing.  A write to a file PATH fails with EIO while a file
 * PATH.fail exists; every other write goes to the kernel unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off);

/* Does the file behind @fd have a PATH.fail beside it? */
static int should_fail(int fd)
{
	char link[64], path[PATH_MAX], marker[PATH_MAX + 8];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len <= 0)
		return 0;
	path[len] = '\0';
	snprintf(marker, sizeof(marker), "%s.fail", path);
	return access(marker, F_OK) == 0;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int saved = errno;

	if (should_fail(fd)) {
		errno = EIO;
		return -1;
	}
	errno = saved;
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

/* The same function under its large-file name (_FILE_OFFSET_BITS=64 callers). */
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}
