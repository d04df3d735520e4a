/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fan_unit.c - unit tests of the fan actuator's pure parts: the PID
 * (pid.c) against a first-order plant model, the stepwise table
 * (stepwise.c), the failsafe decision (failsafe.c) and the duty -> pwmN
 * conversion (pwm.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "failsafe.h"
#include "pid.h"
#include "pwm.h"
#include "stepwise.h"

/*
 * A first-order thermal plant like the simulated server's: temperature
 * relaxes with @tau_s toward amb + k_heat / (g0 + gfan * duty), duty in
 * per-mille.  At the default load 80 °C needs about 60 % duty.
 */
struct plant {
	double temp, load_w, tau_s;
};

static double plant_step(struct plant *p, double duty, double dt)
{
	double g = 3.6 + 4.1 * pow(duty / 1000.0, 0.8);
	double target = 25.0 + p->load_w / g;

	p->temp = target + (p->temp - target) * exp(-dt / p->tau_s);
	return p->temp;
}

static const struct fan_pid_params tuned = {
	.kp = 20, .ki = 2, .kd = 0, .d_tau_s = 2, .out_min = 200, .out_max = 1000, .slew_per_s = 200,
};

Test(pid, init_refuses_inconsistent_parameters)
{
	struct fan_pid pid;
	struct fan_pid_params p = tuned;

	cr_assert_eq(fan_pid_init(&pid, &p, 500), 0);
	p.out_min = 1001;
	cr_assert_eq(fan_pid_init(&pid, &p, 500), -EINVAL);
	p = tuned;
	p.ki = -1;
	cr_assert_eq(fan_pid_init(&pid, &p, 500), -EINVAL);
}

Test(pid, step_response_settles_on_a_first_order_plant)
{
	struct plant pl = { .temp = 40, .load_w = 360, .tau_s = 35 };
	struct fan_pid pid;
	double out = 1000, lo = 1e9, hi = -1e9;

	cr_assert_eq(fan_pid_init(&pid, &tuned, 1000), 0);
	for (int i = 0; i < 6000; i++) {   /* 600 s at 100 ms */
		double t = plant_step(&pl, out, 0.1);

		out = fan_pid_step(&pid, 80, t, 0.1);
		if (i >= 4000) {
			lo = fmin(lo, t);
			hi = fmax(hi, t);
		}
	}
	cr_assert(fabs(pl.temp - 80) < 0.5, "settled at %.2f °C", pl.temp);
	cr_assert_lt(hi - lo, 0.5, "no sustained oscillation: %.2f..%.2f", lo, hi);
	cr_assert(out > 450 && out < 750, "~60 %% airflow at full load: %.0f", out);
}

Test(pid, output_and_slew_limits_hold)
{
	struct fan_pid pid;
	double prev = 500;

	cr_assert_eq(fan_pid_init(&pid, &tuned, 500), 0);
	for (int i = 0; i < 200; i++) {
		/* Wild measurement: +-50 °C around the setpoint every step. */
		double out = fan_pid_step(&pid, 80, i % 2 ? 130 : 30, 0.1);

		cr_assert(out >= 200 && out <= 1000, "limits: %f", out);
		cr_assert_leq(fabs(out - prev), 200 * 0.1 + 1e-9, "slew: %f -> %f", prev, out);
		prev = out;
	}
}

Test(pid, anti_windup_leaves_saturation_promptly)
{
	struct fan_pid pid;
	int steps = 0;
	double out;

	cr_assert_eq(fan_pid_init(&pid, &tuned, 500), 0);
	/* 10 minutes 20 °C above the setpoint: the output pins at 100 %. */
	for (int i = 0; i < 6000; i++)
		out = fan_pid_step(&pid, 80, 100, 0.1);
	cr_assert_eq(out, 1000);
	/*
	 * Conditional integration froze the integral when the output hit the
	 * limit (500 + 20 * 20 > 1000 within ~3 s of ramping): far below the
	 * 1000 a plain integrator (plus clamp) would have reached.
	 */
	cr_assert_lt(pid.integ, 700, "integral wound up to %f", pid.integ);
	/* Back 1 °C below the setpoint: the output leaves 100 % at once. */
	do {
		out = fan_pid_step(&pid, 80, 79, 0.1);
		steps++;
	} while (out >= 1000 && steps < 1000);
	cr_assert_leq(steps, 1, "left saturation after %d steps", steps);
	/* ... and falls to the integral's level within a few seconds (slew 200 per-mille/s). */
	for (int i = 0; i < 40; i++)
		out = fan_pid_step(&pid, 80, 79, 0.1);
	cr_assert_lt(out, 700, "still at %f", out);
}

Test(pid, derivative_on_measurement_gives_no_kick_on_setpoint_change)
{
	struct fan_pid_params p = tuned;
	struct fan_pid pid;
	double before, after;

	p.kd = 500;
	p.slew_per_s = 0;
	p.ki = 0;
	cr_assert_eq(fan_pid_init(&pid, &p, 500), 0);
	for (int i = 0; i < 50; i++)
		before = fan_pid_step(&pid, 80, 85, 0.1);
	after = fan_pid_step(&pid, 70, 85, 0.1);   /* setpoint -10 °C */
	/* Proportional change only: kp * 10 = 200; a derivative on error would add kd*10/0.1. */
	cr_assert(fabs(after - before - 200) < 1e-6, "%f -> %f", before, after);
}

Test(pid, derivative_filter_smooths_a_measurement_step)
{
	struct fan_pid_params p = tuned;
	struct fan_pid pid, raw;
	double f1, r1;

	p.kp = 0;
	p.ki = 0;
	p.kd = 100;
	p.slew_per_s = 0;
	p.out_min = -1e6;
	p.out_max = 1e6;
	cr_assert_eq(fan_pid_init(&pid, &p, 0), 0);
	p.d_tau_s = 0;
	cr_assert_eq(fan_pid_init(&raw, &p, 0), 0);
	fan_pid_step(&pid, 80, 80, 0.1);
	fan_pid_step(&raw, 80, 80, 0.1);
	f1 = fan_pid_step(&pid, 80, 81, 0.1);
	r1 = fan_pid_step(&raw, 80, 81, 0.1);
	cr_assert(fabs(r1 - 1000) < 1e-6, "unfiltered: kd * 1 °C / 0.1 s = %f", r1);
	/* alpha = 0.1 / (2 + 0.1): the filtered kick is 1/21 of the raw one. */
	cr_assert(fabs(f1 - 1000.0 / 21) < 1e-6, "filtered %f", f1);
	/* ... and decays, not oscillates, when the measurement stays. */
	cr_assert_lt(fan_pid_step(&pid, 80, 81, 0.1), f1);
}

Test(pid, zero_dt_changes_nothing)
{
	struct fan_pid pid;

	cr_assert_eq(fan_pid_init(&pid, &tuned, 600), 0);
	cr_assert_eq(fan_pid_step(&pid, 80, 100, 0), 600);
}

/* ---- failsafe ---- */

static const int levels[FAN_FS_NCOND] = {
	[FAN_FS_START] = 1000, [FAN_FS_STALE] = 1000, [FAN_FS_RESTART] = 900,
	[FAN_FS_SENSOR] = 800, [FAN_FS_CRIT] = 1000, [FAN_FS_STALL] = 700,
};

Test(failsafe, highest_active_level_wins)
{
	cr_assert_eq(fan_fs_level(0, levels), -1);
	cr_assert_eq(fan_fs_level(1u << FAN_FS_STALL, levels), 700);
	cr_assert_eq(fan_fs_level(1u << FAN_FS_STALL | 1u << FAN_FS_SENSOR, levels), 800);
	cr_assert_eq(fan_fs_level(1u << FAN_FS_RESTART | 1u << FAN_FS_CRIT, levels), 1000);
	cr_assert_str_eq(fan_fs_cond_name(FAN_FS_STALE), "stale");
	cr_assert_str_eq(fan_fs_cond_name(99), "?");
}

Test(failsafe, starts_in_and_leaves_after_n_new_good_samples)
{
	struct fan_fs fs;

	fan_fs_init(&fs, 3);
	cr_assert(fs.in);
	cr_assert_eq(fan_fs_level(fs.active, levels), 1000, "start level");
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_SAME);
	cr_assert_eq(fan_fs_update(&fs, 0, false), FAN_FS_SAME, "a repeated sample is no evidence");
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_SAME);
	cr_assert(fs.in);
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_EXIT);
	cr_assert_not(fs.in);
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_SAME);
}

Test(failsafe, enters_at_once_and_a_bad_sample_restarts_the_count)
{
	struct fan_fs fs;

	fan_fs_init(&fs, 2);
	fan_fs_update(&fs, 0, true);
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_EXIT);
	cr_assert_eq(fan_fs_update(&fs, 1u << FAN_FS_STALE, false), FAN_FS_ENTER);
	cr_assert(fs.in);
	cr_assert_eq(fan_fs_update(&fs, 1u << FAN_FS_STALE, false), FAN_FS_SAME, "said once");
	cr_assert_eq(fan_fs_update(&fs, 1u << FAN_FS_STALE | 1u << FAN_FS_CRIT, false),
		     FAN_FS_ENTER, "a new reason is reported");
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_SAME);
	cr_assert_eq(fan_fs_update(&fs, 1u << FAN_FS_SENSOR, true), FAN_FS_ENTER);
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_SAME, "count restarted");
	cr_assert_eq(fan_fs_update(&fs, 0, true), FAN_FS_EXIT);
}

/* ---- pwm conversion ---- */

Test(pwm, duty_to_raw_rounds_up_and_clamps)
{
	cr_assert_eq(fan_pwm_duty_to_raw(0), 0);
	cr_assert_eq(fan_pwm_duty_to_raw(-5), 0);
	cr_assert_eq(fan_pwm_duty_to_raw(1000), 255);
	cr_assert_eq(fan_pwm_duty_to_raw(2000), 255);
	cr_assert_eq(fan_pwm_duty_to_raw(200), 51);
	cr_assert_eq(fan_pwm_duty_to_raw(201), 52, "never below the duty asked");
}

/* ---- stepwise ---- */

static const struct fan_step steps[] = { { 50000, 300 }, { 70000, 600 }, { 85000, 1000 } };

Test(stepwise, init_refuses_bad_tables)
{
	struct fan_stepwise sw;
	struct fan_step bad[] = { { 50000, 300 }, { 50000, 600 } };
	struct fan_step falling[] = { { 50000, 600 }, { 60000, 300 } };

	cr_assert_eq(fan_stepwise_init(&sw, steps, 3, 2000), 0);
	cr_assert_eq(fan_stepwise_init(&sw, bad, 2, 2000), -EINVAL);
	cr_assert_eq(fan_stepwise_init(&sw, falling, 2, 2000), -EINVAL);
	cr_assert_eq(fan_stepwise_init(&sw, steps, 0, 2000), -EINVAL);
}

Test(stepwise, table_with_hysteresis)
{
	struct fan_stepwise sw;

	cr_assert_eq(fan_stepwise_init(&sw, steps, 3, 2000), 0);
	cr_assert_eq(fan_stepwise_eval(&sw, 30000), 300, "below the first step");
	cr_assert_eq(fan_stepwise_eval(&sw, 70000), 600, "at a step: its duty");
	cr_assert_eq(fan_stepwise_eval(&sw, 69000), 600, "inside the hysteresis: held");
	cr_assert_eq(fan_stepwise_eval(&sw, 67999), 300, "past it: down");
	cr_assert_eq(fan_stepwise_eval(&sw, 90000), 1000, "jumps several steps up");
	cr_assert_eq(fan_stepwise_eval(&sw, 60000), 300, "and several down");
}
