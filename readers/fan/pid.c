/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pid.c - the fan actuator's PID controller (see pid.h): doubles, pure, so
 * that tests can drive it against a plant model with no clock and no I/O.
 */
#include <errno.h>
#include <stdbool.h>

#include "pid.h"

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static bool params_ok(const struct fan_pid_params *p)
{
	return p->kp >= 0 && p->ki >= 0 && p->kd >= 0 && p->d_tau_s >= 0 && p->slew_per_s >= 0 &&
	       p->out_min <= p->out_max;
}

int fan_pid_init(struct fan_pid *pid, const struct fan_pid_params *p, double out0)
{
	if (!params_ok(p))
		return -EINVAL;
	pid->p = *p;
	fan_pid_reset(pid, out0);
	return 0;
}

int fan_pid_retune(struct fan_pid *pid, const struct fan_pid_params *p)
{
	if (!params_ok(p))
		return -EINVAL;
	pid->p = *p;
	pid->out = clamp(pid->out, p->out_min, p->out_max);
	pid->integ = clamp(pid->integ, p->out_min, p->out_max);
	return 0;
}

void fan_pid_reset(struct fan_pid *pid, double out0)
{
	pid->out = clamp(out0, pid->p.out_min, pid->p.out_max);
	pid->integ = pid->out;
	pid->d_filt = 0;
	pid->primed = false;
}

double fan_pid_step(struct fan_pid *pid, double setpoint, double meas, double dt_s)
{
	const struct fan_pid_params *p = &pid->p;
	double err = meas - setpoint;   /* reverse acting: hotter -> more air */
	double integ, deriv = 0, u, lim, lo, hi;

	if (!(dt_s > 0))
		return pid->out;
	/*
	 * Derivative on measurement: -kd d(setpoint - meas)/dt would jump at
	 * every setpoint change ("derivative kick"); the measurement does not.
	 * The filter is an exact first-order low-pass (alpha = dt/(tau+dt)),
	 * stable for any dt.
	 */
	if (pid->primed) {
		double raw = (meas - pid->prev_meas) / dt_s;
		double alpha = p->d_tau_s > 0 ? dt_s / (p->d_tau_s + dt_s) : 1.0;

		pid->d_filt += alpha * (raw - pid->d_filt);
		deriv = p->kd * pid->d_filt;
	}
	pid->prev_meas = meas;
	pid->primed = true;

	integ = pid->integ + p->ki * err * dt_s;
	u = p->kp * err + integ + deriv;

	/* The output's reachable range this step: limits, then slew. */
	lo = p->out_min;
	hi = p->out_max;
	if (p->slew_per_s > 0) {
		double step = p->slew_per_s * dt_s;

		lo = clamp(pid->out - step, p->out_min, p->out_max);
		hi = clamp(pid->out + step, p->out_min, p->out_max);
	}
	lim = clamp(u, lo, hi);

	/*
	 * Conditional integration: keep the new integral unless the output is
	 * held at a bound and the error pushes further past it.  Otherwise a
	 * long saturation (fans at 100 % through a load spike) would charge the
	 * integral and hold the fans high long after the temperature fell.
	 */
	if ((u > hi && err > 0) || (u < lo && err < 0))
		integ = pid->integ;
	/* The integral alone never needs to exceed the output range. */
	pid->integ = clamp(integ, p->out_min, p->out_max);
	pid->out = lim;
	return lim;
}
