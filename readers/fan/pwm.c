/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pwm.c - hwmon pwmN control for the fan actuator (see pwm.h): chip lookup
 * by name/device, held descriptors, the state as found, given back as the
 * original (when known) or as automatic mode / full speed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwm.h"

#define HWMON_CLASS_DIR "/sys/class/hwmon"

int fan_pwm_duty_to_raw(int permille)
{
	if (permille <= 0)
		return 0;
	if (permille >= 1000)
		return FAN_PWM_MAX;
	return (permille * FAN_PWM_MAX + 999) / 1000;
}

/* Read a small integer attribute through held @fd. */
static int read_long(int fd, long *out)
{
	char buf[32], *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long v;

	if (n < 0)
		return errno ? -errno : -EIO;   /* never 0 with *@out unset */
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

static int write_long(int fd, long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);
	ssize_t w = pwrite(fd, buf, (size_t)n, 0);

	if (w < 0)
		return errno ? -errno : -EIO;
	if (w != n)
		return -EIO;
	/*
	 * A fixture tree's regular file keeps a longer old value's tail
	 * ("128" overwritten by "64\n" reads "64\n\n"): cut it.  sysfs
	 * attributes take the write whole and ignore the size; an error here
	 * changes nothing, so it is not one.
	 */
	(void)ftruncate(fd, n);
	return 0;
}

/* Does hwmon dir @dir hold chip @spec ("name" or "name/device")? */
static bool chip_matches(const char *dir, const char *spec, char *chip, size_t len)
{
	char p[PATH_MAX], name[64] = "", *dev, real[PATH_MAX];
	const char *slash = strchr(spec, '/');
	size_t nl = slash ? (size_t)(slash - spec) : strlen(spec);
	FILE *f;

	snprintf(p, sizeof(p), "%s/name", dir);
	f = fopen(p, "re");
	if (!f)
		return false;
	if (!fgets(name, sizeof(name), f))
		name[0] = '\0';
	fclose(f);
	name[strcspn(name, "\n")] = '\0';
	if (strlen(name) != nl || strncmp(name, spec, nl))
		return false;
	/* The device's last path component, as the sampler's chip string has it. */
	snprintf(p, sizeof(p), "%s/device", dir);
	dev = realpath(p, real) ? strrchr(real, '/') + 1 : NULL;
	if (slash && (!dev || strcmp(dev, slash + 1)))
		return false;
	snprintf(chip, len, "%s%s%s", name, dev ? "/" : "", dev ? dev : "");
	return true;
}

static int open_attr(const char *dir, int channel, const char *suffix)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/pwm%d%s", dir, channel, suffix);
	fd = open(p, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int fan_pwm_open(struct fan_pwm *p, const char *root, const char *spec, int channel)
{
	char cls[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int rc;

	memset(p, 0, sizeof(*p));
	p->fd_pwm = p->fd_enable = -1;
	p->channel = channel;
	p->last_pwm = -1;
	p->found_enable = FAN_PWM_NO_ENABLE;
	snprintf(cls, sizeof(cls), "%s%s", root ? root : "", HWMON_CLASS_DIR);
	d = opendir(cls);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "hwmon", 5))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", cls, de->d_name);
		if (chip_matches(dir, spec, p->chip, sizeof(p->chip))) {
			found = true;
			break;
		}
	}
	closedir(d);
	if (!found)
		return -ENOENT;
	rc = open_attr(dir, channel, "");
	if (rc < 0)
		return rc;
	p->fd_pwm = rc;
	/* Some chips (and some channels) have no pwmN_enable: always manual. */
	rc = open_attr(dir, channel, "_enable");
	if (rc < 0 && rc != -ENOENT)
		goto err_close_pwm;
	p->fd_enable = rc < 0 ? -1 : rc;
	if (p->fd_enable >= 0) {
		rc = read_long(p->fd_enable, &p->found_enable);
		if (rc)
			goto err_close;
	}
	rc = read_long(p->fd_pwm, &p->found_pwm);
	if (rc)
		goto err_close;
	return 0;

err_close:
	if (p->fd_enable >= 0)
		close(p->fd_enable);
	p->fd_enable = -1;
err_close_pwm:
	close(p->fd_pwm);
	p->fd_pwm = -1;
	return rc;
}

int fan_pwm_take(struct fan_pwm *p, int raw)
{
	int rc;

	p->owned = true;
	rc = fan_pwm_write(p, raw, true);
	if (rc)
		fan_pwm_restore(p);
	return rc;
}

int fan_pwm_write(struct fan_pwm *p, int raw, bool reassert)
{
	int rc;

	if (raw < 0)
		raw = 0;
	if (raw > FAN_PWM_MAX)
		raw = FAN_PWM_MAX;
	if (reassert && p->fd_enable >= 0) {
		rc = write_long(p->fd_enable, FAN_PWM_ENABLE_MANUAL);
		if (rc)
			return rc;
	}
	rc = write_long(p->fd_pwm, raw);
	if (rc)
		return rc;
	p->last_pwm = raw;
	return 0;
}

int fan_pwm_check(struct fan_pwm *p, long *enable, long *pwm)
{
	long e = FAN_PWM_ENABLE_MANUAL, v = -1;
	int rc = p->fd_enable >= 0 ? read_long(p->fd_enable, &e) : 0;

	if (!rc)
		rc = read_long(p->fd_pwm, &v);
	if (rc)
		return rc;
	if (enable)
		*enable = e;
	if (pwm)
		*pwm = v;
	return e != FAN_PWM_ENABLE_MANUAL || (p->last_pwm >= 0 && v != p->last_pwm);
}

int fan_pwm_restore(struct fan_pwm *p)
{
	int rc = 0, r;

	if (p->owned && p->fd_pwm >= 0 && p->orig_known) {
		/* pwmN first, under manual control: automatic modes may drop it. */
		rc = fan_pwm_write(p, (int)p->orig_pwm, true);
		if (p->fd_enable >= 0 && p->orig_enable != FAN_PWM_NO_ENABLE) {
			r = write_long(p->fd_enable, p->orig_enable);
			if (!rc)
				rc = r;
		}
	} else if (p->owned && p->fd_pwm >= 0) {
		/*
		 * Unknown original: never a manual duty of unknown origin (it
		 * may be a crashed run's own).  Full speed first, so that a
		 * chip refusing automatic mode is left at full speed.
		 */
		rc = fan_pwm_write(p, FAN_PWM_MAX, true);
		if (p->fd_enable >= 0) {
			r = write_long(p->fd_enable, FAN_PWM_ENABLE_AUTO);
			if (!rc)
				rc = r;
		}
	}
	p->owned = false;
	fan_pwm_close(p);
	return rc;
}

void fan_pwm_close(struct fan_pwm *p)
{
	if (p->fd_pwm >= 0)
		close(p->fd_pwm);
	if (p->fd_enable >= 0)
		close(p->fd_enable);
	p->fd_pwm = p->fd_enable = -1;
}
