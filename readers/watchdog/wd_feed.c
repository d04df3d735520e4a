/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_feed.c - the Linux watchdog device (/dev/watchdog, or a fake for the
 * tests: a FIFO or a regular file): arm, feed, magic close.  See
 * Documentation/watchdog/watchdog-api.rst in the kernel.
 */
#define _GNU_SOURCE
#include "wd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

int wd_dev_arm(struct wd_dev *d)
{
	int t = 0;

	if (d->fd >= 0)
		return 0;
	/* O_NONBLOCK: a fake FIFO without a reader fails (ENXIO), never hangs. */
	d->fd = open(d->path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (d->fd < 0)
		return -errno;
	/* A real device reports its timeout; a fake says ENOTTY and keeps the config. */
	if (ioctl(d->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
		d->timeout_s = t;
	return 0;
}

int wd_dev_feed(struct wd_dev *d)
{
	/* Any write is a keep-alive; only 'V' means "expect close", so never write it here. */
	static const char ping = 'k';
	ssize_t n;

	if (d->fd < 0)
		return -EBADF;
	n = write(d->fd, &ping, 1);
	if (n < 0)
		return -errno;
	if (n != 1)
		return -EIO;
	d->feeds++;
	return 0;
}

void wd_dev_close(struct wd_dev *d, bool magic)
{
	if (d->fd < 0)
		return;
	if (magic && d->magic_close && write(d->fd, "V", 1) != 1) {
		/* Nothing more to do: the timer runs on and the host resets. */
	}
	close(d->fd);
	d->fd = -1;
}
