/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rpm.c - the inner fan-speed loop (see rpm.h): pid.c's controller run
 * direct acting by negating setpoint and measurement.
 */
#include "rpm.h"

static struct fan_pid_params to_pid(const struct fan_rpm_params *p)
{
	return (struct fan_pid_params){
		.kp = p->kp, .ki = p->ki, .kd = 0, .d_tau_s = 0,
		.out_min = p->duty_min, .out_max = p->duty_max, .slew_per_s = p->slew_per_s,
	};
}

int fan_rpm_init(struct fan_pid *pi, const struct fan_rpm_params *p, double duty0)
{
	struct fan_pid_params pp = to_pid(p);

	return fan_pid_init(pi, &pp, duty0);
}

int fan_rpm_retune(struct fan_pid *pi, const struct fan_rpm_params *p)
{
	struct fan_pid_params pp = to_pid(p);

	return fan_pid_retune(pi, &pp);
}

double fan_rpm_step(struct fan_pid *pi, double rpm_sp, double rpm, double dt_s)
{
	/*
	 * pid.c is reverse acting (error = measurement - setpoint); with both
	 * negated the error is rpm_sp - rpm: a slow fan gets more duty.  No
	 * derivative (kd = 0), so the negated measurement history is unused.
	 */
	return fan_pid_step(pi, -rpm_sp, -rpm, dt_s);
}
