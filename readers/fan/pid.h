/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pid.h - the fan actuator's PID controller: pure arithmetic, no I/O, no
 * clock.  Used by fan.c (one per thermal zone) and by the unit tests.
 */
#ifndef SOVEREIGN_FAN_PID_H
#define SOVEREIGN_FAN_PID_H

#include <stdbool.h>

/*
 * struct fan_pid_params - tuning, in the caller's units (fan.c: input m°C
 * converted to °C, output per-mille duty).  The controller is reverse
 * acting: a measurement above the setpoint raises the output (more air).
 */
struct fan_pid_params {
	double kp;          /* output per unit of error */
	double ki;          /* output per unit of error per second */
	double kd;          /* output per unit of measurement change per second */
	double d_tau_s;     /* first-order filter time constant of the derivative, s (0: none) */
	double out_min;     /* output limits, out_min <= out_max */
	double out_max;
	double slew_per_s;  /* largest output change per second (0: unlimited) */
};

/* struct fan_pid - one controller's state; initialise with fan_pid_init(). */
struct fan_pid {
	struct fan_pid_params p;
	double integ;       /* integral term, in output units (already times ki) */
	double d_filt;      /* filtered derivative of the measurement, per second */
	double prev_meas;   /* measurement of the previous step */
	double out;         /* the last output */
	bool primed;        /* prev_meas holds a real measurement */
};

/*
 * fan_pid_init() - set @pid's tuning and reset it to output @out0.
 * Context: any.  Return: 0, or -EINVAL for inconsistent parameters
 * (negative gains, out_min > out_max, negative tau or slew).
 */
int fan_pid_init(struct fan_pid *pid, const struct fan_pid_params *p, double out0);

/*
 * fan_pid_reset() - bumpless restart from output @out0 (leaving failsafe:
 * the integral takes the whole output, the derivative history is dropped).
 * Context: any.  @out0 is clamped to the output limits.
 */
void fan_pid_reset(struct fan_pid *pid, double out0);

/*
 * fan_pid_retune() - new tuning @p for a running controller (a reload):
 * the integral, the derivative history and the last output are kept
 * (bumpless: no jump from the retune itself), only clamped into the new
 * output limits.  Context: any.
 * Return: 0, or -EINVAL (as fan_pid_init()) and @pid unchanged.
 */
int fan_pid_retune(struct fan_pid *pid, const struct fan_pid_params *p);

/*
 * fan_pid_step() - one control step of @dt_s seconds.
 *
 * Proportional on error, integral on error with conditional integration
 * (anti-windup: the integral does not grow while the output is held at a
 * limit, by saturation or by the slew limit, in the direction that pushes
 * further into it, and is itself kept within the output range), derivative
 * on the measurement only (a setpoint change gives no kick) through a
 * first-order low-pass filter, then output limits, then the slew limit.
 * Context: any; no allocation, no system call.
 * Return: the new output, within [out_min, out_max] and within
 * slew_per_s * dt_s of the previous one.  A @dt_s <= 0 returns the
 * previous output unchanged.
 */
double fan_pid_step(struct fan_pid *pid, double setpoint, double meas, double dt_s);

#endif /* SOVEREIGN_FAN_PID_H */
