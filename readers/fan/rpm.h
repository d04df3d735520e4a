/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rpm.h - the optional inner fan-speed loop: an RPM setpoint -> duty PI,
 * as a BMC's own fan controller runs it.  The zone's thermal PID (pid.h)
 * then outputs an RPM setpoint instead of a duty, and one inner loop per
 * fan drives the duty until the fan's tachometer reads that speed.  Pure
 * arithmetic on top of pid.c (same anti-windup), used by fan.c and the
 * unit tests.
 */
#ifndef SOVEREIGN_FAN_RPM_H
#define SOVEREIGN_FAN_RPM_H

#include "pid.h"

/*
 * struct fan_rpm_params - inner loop tuning.  kp: per-mille duty per RPM
 * of error; ki: per-mille per RPM·s; duty_min/duty_max: the duty range
 * (duty_min is the actuator's floor); slew_per_s: largest duty change per
 * second (0: unlimited).
 */
struct fan_rpm_params {
	double kp, ki;
	double duty_min, duty_max;
	double slew_per_s;
};

/*
 * fan_rpm_init() - set up @pi (a struct fan_pid used direct acting) with
 * @p, starting at duty @duty0.  Context: any.
 * Return: 0, or -EINVAL for negative gains or duty_min > duty_max.
 */
int fan_rpm_init(struct fan_pid *pi, const struct fan_rpm_params *p, double duty0);

/*
 * fan_rpm_retune() - new tuning @p, keeping the integral and the last duty
 * (clamped into the new range): a reload does not bump the fan.
 * Return: 0, or -EINVAL and @pi unchanged.
 */
int fan_rpm_retune(struct fan_pid *pi, const struct fan_rpm_params *p);

/*
 * fan_rpm_step() - one step of @dt_s seconds: the duty that moves the
 * measured @rpm toward @rpm_sp.  Direct acting (a fan slower than its
 * setpoint gets more duty), PI with pid.c's conditional integration: while
 * the duty is held at duty_max because the fan cannot reach the setpoint
 * (a setpoint above its top speed, a stalled or failing fan), the
 * integral does not grow, so the loop comes back at once when the setpoint
 * falls within reach.  Context: any; no allocation, no system call.
 * Return: the new duty within [duty_min, duty_max] and the slew limit.
 */
double fan_rpm_step(struct fan_pid *pi, double rpm_sp, double rpm, double dt_s);

#endif /* SOVEREIGN_FAN_RPM_H */
