/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish_cred.c - the BMC password from a file only its owner may read, or
 * from an environment variable; never from the command line. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redfish.h"

/* take_line - the first line of @s (n bytes) into @buf; \n or \r\n dropped. */
static int take_line(const char *s, size_t n, char *buf, const char *what, struct rf_error *err)
{
	const char *nl = memchr(s, '\n', n);

	if (nl)
		n = (size_t)(nl - s);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0)
		return rf_error_set(err, -EINVAL, 0, "%s: the password is empty", what);
	if (n >= RF_PASSWORD_MAX)
		return rf_error_set(err, -E2BIG, 0, "%s: the password is longer than %d bytes",
				    what, RF_PASSWORD_MAX - 1);
	if (memchr(s, '\0', n))
		return rf_error_set(err, -EINVAL, 0, "%s: the password holds a NUL byte", what);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int rf_password_from_file(const char *path, char *buf, struct rf_error *err)
{
	char tmp[RF_PASSWORD_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, ret;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return rf_error_set(err, -errno, 0, "password file %s: %s", path, strerror(errno));
	/* fstat the open file: no window between the check and the read. */
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		close(fd);
		return rf_error_set(err, ret, 0, "password file %s: %s", path, strerror(-ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return rf_error_set(err, -EINVAL, 0, "password file %s: not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return rf_error_set(err, -EPERM, 0,
				    "password file %s: mode %04o lets others read or change "
				    "it: refused (chmod 600 %s)", path,
				    (unsigned)(st.st_mode & 07777), path);
	}
	do
		n = read(fd, tmp, sizeof(tmp));
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return rf_error_set(err, ret, 0, "password file %s: %s", path, strerror(-ret));
	ret = take_line(tmp, (size_t)n, buf, path, err);
	explicit_bzero(tmp, sizeof(tmp));
	return ret;
}

int rf_password_from_env(const char *name, char *buf, struct rf_error *err)
{
	const char *v = getenv(name);

	buf[0] = '\0';
	if (!v || !v[0])
		return rf_error_set(err, -ENOENT, 0, "%s is not set", name);
	return take_line(v, strlen(v), buf, name, err);
}
