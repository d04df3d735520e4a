/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pwm.h - one hwmon pwmN channel driven by the fan actuator: find it and
 * read its state as found, take manual control, write duties, notice
 * another program's writes, give control back (the original state when the
 * caller knows it -- origstate.h -- else automatic mode or full speed).
 * Used by fan.c.
 */
#ifndef SOVEREIGN_FAN_PWM_H
#define SOVEREIGN_FAN_PWM_H

#include <limits.h>
#include <stdbool.h>

#define FAN_PWM_MAX 255   /* docs/hardware.md §R8: pwmN is 0..255, 255 = 100 % */

/* pwmN_enable values (Documentation/ABI/testing/sysfs-class-hwmon) */
#define FAN_PWM_ENABLE_FULL   0 /* no control: full speed */
#define FAN_PWM_ENABLE_MANUAL 1 /* pwmN sets the duty */
#define FAN_PWM_ENABLE_AUTO   2 /* 2 and up: the chip's automatic modes */
#define FAN_PWM_NO_ENABLE   (-1L) /* the channel has no pwmN_enable (always manual) */

struct fan_pwm {
	char chip[64];        /* "name/device" of the hwmon chip, as the sampler names it */
	int channel;          /* N of pwmN */
	int fd_pwm;           /* pwmN, held open for the life of the actuator */
	int fd_enable;        /* pwmN_enable, -1 if the channel has none */
	long found_pwm;       /* as found at open, before anything was written */
	long found_enable;    /* FAN_PWM_NO_ENABLE without pwmN_enable */
	bool orig_known;      /* set by the caller: restore orig_*, else automatic/full */
	long orig_pwm;        /* the original state to restore (when orig_known) */
	long orig_enable;
	long last_pwm;        /* what we wrote last (-1: nothing yet) */
	bool owned;           /* we took it (fan_pwm_take()) and must give it back */
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
 * pwm@channel_enable (optional: a channel without one is always manual)
 * and read both into found_pwm/found_enable.  Writes nothing: the caller
 * records the original state (origstate.h) before fan_pwm_take().
 * orig_known starts false.
 * Context: process context (opens files).
 * Return: 0, -ENOENT (no such chip or channel), -EINVAL (unparseable
 * value), or -errno of a failed open/read.  On error nothing stays open.
 */
int fan_pwm_open(struct fan_pwm *p, const char *root, const char *spec, int channel);

/*
 * fan_pwm_take() - switch an opened channel to manual control at duty
 * @raw (the safe duty while starting); from here on fan_pwm_restore()
 * gives it back.  Context: process context.
 * Return: 0 or -errno of the write (the channel is then given back and
 * closed, as by fan_pwm_restore()).
 */
int fan_pwm_take(struct fan_pwm *p, int raw);

/*
 * fan_pwm_write() - write @raw (0..255) to pwmN, with pwmN_enable (if the
 * channel has one) set to manual first if @reassert.  last_pwm changes
 * only when pwmN took the value.  Context: the loop (pwrite on held fds).
 * Return: 0 or -errno (-EIO for a short write).
 */
int fan_pwm_write(struct fan_pwm *p, int raw, bool reassert);

/*
 * fan_pwm_check() - has another program changed pwmN or pwmN_enable since
 * our last write?  Reads both back; @enable and @pwm (may be NULL) get what
 * was read (enable FAN_PWM_ENABLE_MANUAL for a channel without one).
 * Return: 1 changed, 0 as we left it, -errno if unreadable.
 */
int fan_pwm_check(struct fan_pwm *p, long *enable, long *pwm);

/*
 * fan_pwm_restore() - give a taken channel back and close its files.
 * With orig_known: the original pwmN (under manual control, since automatic
 * modes may ignore pwmN writes), then the original pwmN_enable.  Without:
 * full speed (pwmN 255), then automatic mode (pwmN_enable 2) where the
 * channel has pwmN_enable -- never a manual duty of unknown origin; if the
 * chip refuses mode 2, the fan stays at full speed.  Safe to call twice or
 * on an unopened (zeroed, fds -1) struct.  Return: 0 or the first -errno.
 */
int fan_pwm_restore(struct fan_pwm *p);

/*
 * fan_pwm_close() - close the channel's files without giving it back (it
 * keeps what was written last: --failsafe leaves the fans at full speed).
 * Context: process context.  Safe to call twice.
 */
void fan_pwm_close(struct fan_pwm *p);

#endif /* SOVEREIGN_FAN_PWM_H */
