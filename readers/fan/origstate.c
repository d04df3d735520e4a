/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * origstate.c - the record of the fans' original pwm state (see
 * origstate.h): parse, check ownership, write atomically.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "origstate.h"

#define ORIG_HEADER    "sovereign-fan original-state 1"
#define ORIG_MAX_BYTES 16384     /* FAN_ORIG_MAX lines of ~100 bytes, with room */

/* One "fan ..." line (without "fan ") into @e.  Return: 0 or -EINVAL. */
static int parse_entry(char *line, struct fan_orig_entry *e)
{
	char chip[64], what[16], *end;
	long ch;
	int n, used = 0;

	memset(e, 0, sizeof(*e));
	n = sscanf(line, "%63s %ld %15s %n", chip, &ch, what, &used);
	if (n != 3 || ch < 1 || ch > 99)
		return -EINVAL;
	snprintf(e->chip, sizeof(e->chip), "%s", chip);
	e->channel = (int)ch;
	line += used;
	if (!strcmp(what, "unknown"))
		return *line ? -EINVAL : 0;
	if (strcmp(what, "known"))
		return -EINVAL;
	errno = 0;
	e->enable = strtol(line, &end, 10);
	if (end == line || errno || e->enable < FAN_ORIG_NO_ENABLE || e->enable > 99)
		return -EINVAL;
	line = end;
	e->pwm = strtol(line, &end, 10);
	if (end == line || errno || e->pwm < 0 || e->pwm > 255 || *end)
		return -EINVAL;
	e->known = true;
	return 0;
}

/* The text @buf of a record into @o.  Return: 0 or -EINVAL. */
static int parse(char *buf, struct fan_orig *o)
{
	char *save = NULL, *line = strtok_r(buf, "\n", &save);
	bool ended = false;

	if (!line || strcmp(line, ORIG_HEADER))
		return -EINVAL;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *end;
		long count;

		if (ended)
			return -EINVAL;   /* nothing after "end" */
		if (!strncmp(line, "fan ", 4)) {
			if (o->n == FAN_ORIG_MAX || parse_entry(line + 4, &o->e[o->n]))
				return -EINVAL;
			o->n++;
			continue;
		}
		if (strncmp(line, "end ", 4))
			return -EINVAL;
		errno = 0;
		count = strtol(line + 4, &end, 10);
		if (end == line + 4 || *end || errno || count != o->n)
			return -EINVAL;
		ended = true;
	}
	return ended ? 0 : -EINVAL;
}

int fan_orig_load(const char *path, struct fan_orig *o)
{
	static char buf[ORIG_MAX_BYTES + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	o->n = 0;
	/* O_NOFOLLOW: a symlink planted in place of the record is not it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		rc = -EPERM;
		goto out;
	}
	while (len < ORIG_MAX_BYTES && (n = read(fd, buf + len, ORIG_MAX_BYTES - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	rc = len == ORIG_MAX_BYTES || strlen(buf) != len ? -EINVAL : parse(buf, o);
out:
	close(fd);
	if (rc)
		o->n = 0;
	return rc;
}

const struct fan_orig_entry *fan_orig_find(const struct fan_orig *o, const char *chip,
					   int channel)
{
	for (int i = 0; i < o->n; i++)
		if (o->e[i].channel == channel && !strcmp(o->e[i].chip, chip))
			return &o->e[i];
	return NULL;
}

int fan_orig_add(struct fan_orig *o, const struct fan_orig_entry *e)
{
	if (!e->chip[0] || strpbrk(e->chip, " \t\n\r\v\f"))
		return -EINVAL;
	if (o->n == FAN_ORIG_MAX)
		return -ENOSPC;
	o->e[o->n++] = *e;
	return 0;
}

/*
 * mkdir @dir if missing, and its parent first; 0750 as systemd's
 * RuntimeDirectory= makes /run/sovereign, whose segments the group reads.
 */
static int make_dir(const char *dir)
{
	char parent[PATH_MAX];
	int rc;

	if (!mkdir(dir, 0750) || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	snprintf(parent, sizeof(parent), "%s", dir);
	rc = make_dir(dirname(parent));
	if (rc)
		return rc;
	return mkdir(dir, 0750) && errno != EEXIST ? -errno : 0;
}

int fan_orig_save(const char *path, const struct fan_orig *o)
{
	char tmp[PATH_MAX], buf[PATH_MAX], dir[PATH_MAX];
	FILE *f;
	int fd, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(buf));   /* dirname() may write into buf */
	rc = make_dir(dir);
	if (rc)
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto err_unlink;
	}
	fprintf(f, "%s\n", ORIG_HEADER);
	for (int i = 0; i < o->n; i++) {
		const struct fan_orig_entry *e = &o->e[i];

		if (e->known)
			fprintf(f, "fan %s %d known %ld %ld\n", e->chip, e->channel, e->enable, e->pwm);
		else
			fprintf(f, "fan %s %d unknown\n", e->chip, e->channel);
	}
	fprintf(f, "end %d\n", o->n);
	/* The data on disk before the rename makes it the record. */
	if (fflush(f) || fsync(fd)) {
		rc = -errno;
		fclose(f);
		goto err_unlink;
	}
	if (fclose(f)) {
		rc = -errno;
		goto err_unlink;
	}
	if (rename(tmp, path)) {
		rc = -errno;
		goto err_unlink;
	}
	/* The rename itself on disk (a tmpfs ignores it; a real disk needs it). */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* EINVAL: a file system that cannot sync a directory has nothing to sync. */
	rc = fsync(dfd) && errno != EINVAL ? -errno : 0;
	close(dfd);
	return rc;

err_unlink:
	unlink(tmp);
	return rc;
}

int fan_orig_remove(const char *path)
{
	return unlink(path) && errno != ENOENT ? -errno : 0;
}
