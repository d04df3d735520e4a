// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c - the standby record: locked, read, and written atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "state.h"

static int __attribute__((format(printf, 4, 5)))
fail(int rc, char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return rc;
}

static cJSON *empty_record(void)
{
	cJSON *r = cJSON_CreateObject();

	if (r && (!cJSON_AddNumberToObject(r, "version", 1) ||
		  !cJSON_AddObjectToObject(r, "steps"))) {
		cJSON_Delete(r);
		r = NULL;
	}
	return r;
}

static int read_record(struct bmc_state *st, char *err, size_t len)
{
	char *buf;
	struct stat sb;
	ssize_t n;
	cJSON *v;
	int fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0) {
		if (errno != ENOENT)
			return fail(-errno, err, len, "%s: %s", st->path, strerror(errno));
		st->root = empty_record();
		return st->root ? 0 : -ENOMEM;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    sb.st_size > BMC_STATE_MAX) {
		close(fd);
		return fail(-EINVAL, err, len,
			    "%s: not a standby record (empty, not a regular file, or over %d "
			    "bytes): left as it is; move it away if it is not sovereign-bmc's",
			    st->path, BMC_STATE_MAX);
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		free(buf);
		return fail(-EIO, err, len, "%s: short read", st->path);
	}
	buf[n] = '\0';
	v = rt_utf8_invalid_at((unsigned char *)buf, (size_t)n) == (size_t)n &&
	    !memchr(buf, 0, (size_t)n) ? cJSON_ParseWithLength(buf, (size_t)n) : NULL;
	free(buf);
	if (!v || !cJSON_IsObject(v) ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(v, "version")) ||
	    cJSON_GetObjectItemCaseSensitive(v, "version")->valuedouble != 1 ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, "steps"))) {
		cJSON_Delete(v);
		return fail(-EINVAL, err, len,
			    "%s: not a version-1 standby record (corrupt, not UTF-8, or from "
			    "another version): left as it is; it may hold the only copy of the "
			    "settings before standby", st->path);
	}
	st->root = v;
	st->existed = true;
	return 0;
}

int bmc_state_open(const char *dir, bool wait, struct bmc_state *st, char *err, size_t len)
{
	char lock[PATH_MAX];
	int rc;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return fail(-errno, err, len, "state directory %s: %s", dir, strerror(errno));
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/%s", dir, BMC_STATE_FILE) >=
		    sizeof(st->path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/bmc-standby.lock", dir) >= sizeof(lock))
		return fail(-ENAMETOOLONG, err, len, "state directory %s: name too long", dir);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lock_fd < 0)
		return fail(-errno, err, len, "%s: %s", lock, strerror(errno));
	while (flock(st->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB))) {
		if (errno == EINTR)
			continue;
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(st->lock_fd);
		st->lock_fd = -1;
		return fail(rc, err, len, "%s: another sovereign-bmc is running (%s)", lock,
			    strerror(-rc));
	}
	rc = read_record(st, err, len);
	if (rc)
		bmc_state_close(st);
	return rc;
}

void bmc_state_close(struct bmc_state *st)
{
	cJSON_Delete(st->root);
	st->root = NULL;
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

static int write_record(struct bmc_state *st, char *err, size_t len)
{
	char *text = cJSON_Print(st->root);
	int rc;

	if (!text)
		return fail(-ENOMEM, err, len, "standby record: out of memory");
	rc = sov_write_atomic(st->path, text, strlen(text), 0600);
	free(text);
	if (rc)
		return fail(rc, err, len, "%s: %s (nothing was changed for this step)", st->path,
			    strerror(-rc));
	st->existed = true;
	return 0;
}

static cJSON *steps(const struct bmc_state *st)
{
	return cJSON_GetObjectItemCaseSensitive(st->root, "steps");
}

cJSON *bmc_state_step(const struct bmc_state *st, const char *step)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(steps(st), step);

	return cJSON_IsObject(s) ? s : NULL;
}

cJSON *bmc_state_prior(const struct bmc_state *st, const char *step)
{
	return cJSON_GetObjectItemCaseSensitive(bmc_state_step(st, step), "prior");
}

int bmc_state_begin(struct bmc_state *st, const char *step, cJSON *prior, char *err, size_t len)
{
	cJSON *s = cJSON_CreateObject();

	if (!s || !cJSON_AddStringToObject(s, "state", "changing") ||
	    !cJSON_AddNumberToObject(s, "since", (double)time(NULL))) {
		cJSON_Delete(s);
		cJSON_Delete(prior);
		return fail(-ENOMEM, err, len, "standby record: out of memory");
	}
	if (prior)
		cJSON_AddItemToObject(s, "prior", prior);
	cJSON_DeleteItemFromObjectCaseSensitive(steps(st), step);
	cJSON_AddItemToObject(steps(st), step, s);
	return write_record(st, err, len);
}

int bmc_state_done(struct bmc_state *st, const char *step, char *err, size_t len)
{
	cJSON *s = bmc_state_step(st, step);

	if (!s)
		return fail(-ENOENT, err, len, "standby record: no step %s", step);
	cJSON_DeleteItemFromObjectCaseSensitive(s, "state");
	cJSON_AddStringToObject(s, "state", "changed");
	return write_record(st, err, len);
}

int bmc_state_drop(struct bmc_state *st, const char *step, char *err, size_t len)
{
	cJSON_DeleteItemFromObjectCaseSensitive(steps(st), step);
	return write_record(st, err, len);
}

int bmc_state_set(struct bmc_state *st, const char *key, cJSON *value, char *err, size_t len)
{
	if (!value)
		return fail(-ENOMEM, err, len, "standby record: out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(st->root, key);
	cJSON_AddItemToObject(st->root, key, value);
	return write_record(st, err, len);
}

int bmc_state_nsteps(const struct bmc_state *st)
{
	return cJSON_GetArraySize(steps(st));
}

int bmc_state_remove(struct bmc_state *st, char *err, size_t len)
{
	if (unlink(st->path) && errno != ENOENT)
		return fail(-errno, err, len, "%s: %s", st->path, strerror(errno));
	st->existed = false;
	return 0;
}
