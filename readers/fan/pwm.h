/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pwm.h - one hwmon pwmN channel driven by the fan actuator: take manual
 * control (saving the original pwmN_enable and pwmN), write duties, notice
 * another program's writes, give control back.  Used by fan.c.
 */
#ifndef SOVEREIGN_FAN_PWM_H
#define SOVEREIGN_FAN_PWM_H

#include <limits.h>
#include <stdbool.h>

#define FAN_PWM_MAX 255   /* hardware.md §8: pwmN is 0..255, 255 = 100 % */

/* pwmN_enable values (Documentation/ABI/testing/sysfs-class-hwmon) */
#define FAN_PWM_ENABLE_FULL   0 /* no control: full speed */
#define FAN_PWM_ENABLE_MANUAL 1 /* pwmN sets the duty */

struct fan_pwm {
	char chip[64];        /* "name/device" of the hwmon chip, as the sampler names it */
	int channel;          /* N of pwmN */
	int fd_pwm;           /* pwmN, held open for the life of the actuator */
	int fd_enable;        /* pwmN_enable */
	long orig_pwm;        /* as found at open: restored at close */
	long orig_enable;
	long last_pwm;        /* what we wrote last (-1: nothing yet) */
	bool owned;           /* we switched it to manual and must restore */
};

/*
 * fan_pwm_duty_to_raw() - per-mille duty -> pwmN value 0..255, rounding up
 * (a duty is a floor the fan must at least get).  Pure.
 */
int fan_pwm_duty_to_raw(int permille);

/*
 * fan_pwm_open() - find chip @spec ("name" or "name/device") under
 * @root/sys/class/hwmon by its name file and device link (never by hwmonN,
 * whose numbering depends on module load order), open its pwm@channel and
 * pwm@channel_enable, save both values, and switch it to manual control at
 * duty @raw (the safe duty while starting).
 * Context: process context (opens files).
 * Return: 0, -ENOENT (no such chip or channel), -EINVAL (unparseable value),
 * or -errno of a failed read/write.  On error nothing stays open or changed.
 */
int fan_pwm_open(struct fan_pwm *p, const char *root, const char *spec, int channel, int raw);

/*
 * fan_pwm_write() - write @raw (0..255) to pwmN, with pwmN_enable set to
 * manual first if @reassert.  Context: the loop (pwrite on held fds).
 * Return: 0 or -errno.
 */
int fan_pwm_write(struct fan_pwm *p, int raw, bool reassert);

/*
 * fan_pwm_check() - has another program changed pwmN or pwmN_enable since
 * our last write?  Reads both back; @enable and @pwm (may be NULL) get what
 * was read.  Return: 1 changed, 0 as we left it, -errno if unreadable.
 */
int fan_pwm_check(struct fan_pwm *p, long *enable, long *pwm);

/*
 * fan_pwm_restore() - give the channel back: original pwmN (under manual
 * control, since automatic modes may ignore pwmN writes), then original
 * pwmN_enable; close the files.  Safe to call twice or on an unopened
 * (zeroed, fds -1) struct.  Return: 0 or the first -errno.
 */
int fan_pwm_restore(struct fan_pwm *p);

#endif /* SOVEREIGN_FAN_PWM_H */
