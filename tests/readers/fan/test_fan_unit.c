/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fan_unit.c - unit tests of the fan actuator's pure parts: the PID
 * (pid.c) against a first-order plant model, the inner fan-speed loop
 * (rpm.c) against a first-order fan model, the stepwise table
 * (stepwise.c), the failsafe decision (failsafe.c), the duty -> pwmN
 * conversion (pwm.c) and the record of the original pwm state
 * (origstate.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "failsafe.h"
#include "origstate.h"
#include "pid.h"
#include "pwm.h"
#include "rpm.h"
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

Test(pid, retune_keeps_the_integral_and_the_output)
{
	struct fan_pid pid;
	struct fan_pid_params p = tuned;
	double integ, out;

	cr_assert_eq(fan_pid_init(&pid, &tuned, 500), 0);
	for (int i = 0; i < 100; i++)
		fan_pid_step(&pid, 80, 82, 0.1);
	integ = pid.integ;
	out = pid.out;
	p.ki = 7;
	p.kp = 5;
	cr_assert_eq(fan_pid_retune(&pid, &p), 0);
	cr_assert_eq(pid.integ, integ, "bumpless: the integral stays");
	cr_assert_eq(pid.out, out);
	cr_assert_eq(pid.p.ki, 7);
	/* Narrower limits: state clamped into them. */
	p.out_max = 300;
	cr_assert_eq(fan_pid_retune(&pid, &p), 0);
	cr_assert_leq(pid.integ, 300);
	cr_assert_leq(pid.out, 300);
	p.kp = -1;
	cr_assert_eq(fan_pid_retune(&pid, &p), -EINVAL);
	cr_assert_eq(pid.p.kp, 5, "refused: unchanged");
}

/* ---- the inner fan-speed loop ---- */

/*
 * A fan like the simulated server's: speed relaxes with @tau_s (spin-up)
 * toward rpm_max * (duty/1000)^0.9 (a little short of proportional), and
 * the loop sees it one period late (the sampler's sample).
 */
struct fanm {
	double rpm, seen, rpm_max, tau_s;
	bool stalled;
};

static double fan_model_step(struct fanm *f, double duty, double dt)
{
	double target = f->stalled ? 0 : f->rpm_max * pow(duty / 1000.0, 0.9);

	f->seen = f->rpm;
	f->rpm = target + (f->rpm - target) * exp(-dt / f->tau_s);
	return f->seen;
}

/* The defaults sovereign-fan derives for a 12000 RPM fan (rpm_kp = rpm_ki = 500 / rpm_max). */
static const struct fan_rpm_params rpm_tuned = {
	.kp = 500.0 / 12000, .ki = 500.0 / 12000, .duty_min = 200, .duty_max = 1000,
	.slew_per_s = 500,
};

Test(rpm, converges_to_the_setpoint_on_a_first_order_fan)
{
	struct fanm f = { .rpm = 12000, .rpm_max = 12000, .tau_s = 1.5 };
	struct fan_pid pi;
	double duty = 1000, lo = 1e9, hi = -1e9, t_in = -1;

	cr_assert_eq(fan_rpm_init(&pi, &rpm_tuned, 1000), 0);   /* from failsafe */
	for (int i = 0; i < 300; i++) {   /* 30 s at 100 ms */
		double seen = fan_model_step(&f, duty, 0.1);

		duty = fan_rpm_step(&pi, 6000, seen, 0.1);
		cr_assert(duty >= 200 && duty <= 1000, "duty %f", duty);
		if (i >= 200) {
			lo = fmin(lo, f.rpm);
			hi = fmax(hi, f.rpm);
		}
	}
	cr_log_info("6000 RPM: last 10 s %.0f..%.0f RPM at duty %.0f", lo, hi, duty);
	cr_assert(fabs(lo - 6000) < 60 && fabs(hi - 6000) < 60, "within 1 %%: %.0f..%.0f", lo, hi);
	/* A setpoint step up: within 2 % in under 10 s. */
	for (int i = 0; i < 100; i++) {
		double seen = fan_model_step(&f, duty, 0.1);

		duty = fan_rpm_step(&pi, 9000, seen, 0.1);
		if (t_in < 0 && fabs(f.rpm - 9000) < 180)
			t_in = (i + 1) * 0.1;
	}
	cr_log_info("6000 -> 9000 RPM: within 2 %% after %.1f s", t_in);
	cr_assert(t_in > 0 && t_in < 10, "took %.1f s", t_in);
	cr_assert(fabs(f.rpm - 9000) < 90, "settled at %.0f", f.rpm);
}

Test(rpm, no_windup_when_saturated_by_a_stalled_fan_or_an_unreachable_setpoint)
{
	struct fanm f = { .rpm = 6000, .rpm_max = 12000, .tau_s = 1.5, .stalled = true };
	struct fan_pid pi;
	double duty = 500;
	int steps = 0;

	cr_assert_eq(fan_rpm_init(&pi, &rpm_tuned, 500), 0);
	/* Two minutes stalled: the duty pins at 100 %, the integral may not run off. */
	for (int i = 0; i < 1200; i++)
		duty = fan_rpm_step(&pi, 6000, fan_model_step(&f, duty, 0.1), 0.1);
	cr_assert_eq(duty, 1000);
	cr_assert_leq(pi.integ, 1000, "integral %f", pi.integ);
	/* Then a minute asking for more than the fan can do (15000 > 12000 RPM). */
	f.stalled = false;
	for (int i = 0; i < 600; i++)
		duty = fan_rpm_step(&pi, 15000, fan_model_step(&f, duty, 0.1), 0.1);
	cr_assert_eq(duty, 1000);
	cr_assert_lt(pi.integ, 1000 - 100, "frozen below the limit: %f", pi.integ);
	cr_log_info("after 3 min saturated: integral %.0f per-mille", pi.integ);
	/* Back in reach: the duty leaves 100 % at once and the speed is there in seconds. */
	do {
		duty = fan_rpm_step(&pi, 6000, fan_model_step(&f, duty, 0.1), 0.1);
		steps++;
	} while (duty >= 1000 && steps < 1000);
	cr_assert_leq(steps, 2, "left saturation after %d steps", steps);
	cr_log_info("left 100 %% after %d step(s)", steps);
	for (int i = 0; i < 150; i++)
		duty = fan_rpm_step(&pi, 6000, fan_model_step(&f, duty, 0.1), 0.1);
	cr_assert(fabs(f.rpm - 6000) < 120, "15 s later: %.0f RPM", f.rpm);
}

Test(rpm, never_below_the_floor_and_no_windup_downwards)
{
	struct fanm f = { .rpm = 6000, .rpm_max = 12000, .tau_s = 1.5 };
	struct fan_pid pi;
	double duty = 500;
	double t_in = -1;

	cr_assert_eq(fan_rpm_init(&pi, &rpm_tuned, 500), 0);
	/* 500 RPM is below what the 20 % floor gives (~2800 RPM): held at the floor. */
	for (int i = 0; i < 600; i++) {
		duty = fan_rpm_step(&pi, 500, fan_model_step(&f, duty, 0.1), 0.1);
		cr_assert_geq(duty, 200);
	}
	cr_assert_eq(duty, 200);
	cr_assert_geq(pi.integ, 200, "integral %f", pi.integ);
	for (int i = 0; i < 100; i++) {
		duty = fan_rpm_step(&pi, 6000, fan_model_step(&f, duty, 0.1), 0.1);
		if (t_in < 0 && fabs(f.rpm - 6000) < 120)
			t_in = (i + 1) * 0.1;
	}
	cr_assert(t_in > 0 && t_in < 10, "6000 RPM after %.1f s", t_in);
}

Test(rpm, init_refuses_inconsistent_parameters)
{
	struct fan_pid pi;
	struct fan_rpm_params p = rpm_tuned;

	p.duty_min = 1001;
	cr_assert_eq(fan_rpm_init(&pi, &p, 500), -EINVAL);
	p = rpm_tuned;
	p.ki = -0.1;
	cr_assert_eq(fan_rpm_init(&pi, &p, 500), -EINVAL);
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

/* ---- the record of the original state ---- */

static char odir[64], opath[96];

static void orig_setup(void)
{
	snprintf(odir, sizeof(odir), "/tmp/sov-orig-XXXXXX");
	cr_assert_not_null(mkdtemp(odir));
	/* A directory the record creates, below one that exists. */
	snprintf(opath, sizeof(opath), "%s/run/fan-original.state", odir);
}

static void orig_teardown(void)
{
	char p[128];

	unlink(opath);
	snprintf(p, sizeof(p), "%s/target", odir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/run", odir);
	rmdir(p);
	rmdir(odir);
}

static void orig_write(const char *text, mode_t mode)
{
	FILE *f = fopen(opath, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(opath, mode), 0);
}

Test(origstate, saved_record_loads_back, .init = orig_setup, .fini = orig_teardown)
{
	struct fan_orig o = { .n = 0 }, back;
	struct fan_orig_entry a = { .chip = "nct6779/nct6775.656", .channel = 1, .known = true,
				    .enable = 5, .pwm = 90 };
	struct fan_orig_entry b = { .chip = "nct6779/nct6775.656", .channel = 3, .known = false };
	struct fan_orig_entry c = { .chip = "it87/it87.2608", .channel = 2, .known = true,
				    .enable = FAN_ORIG_NO_ENABLE, .pwm = 128 };
	const struct fan_orig_entry *e;
	struct stat st;

	cr_assert_eq(fan_orig_load(opath, &back), -ENOENT);
	cr_assert_eq(fan_orig_add(&o, &a), 0);
	cr_assert_eq(fan_orig_add(&o, &b), 0);
	cr_assert_eq(fan_orig_add(&o, &c), 0);
	cr_assert_eq(fan_orig_save(opath, &o), 0);
	cr_assert_eq(stat(opath, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(fan_orig_load(opath, &back), 0);
	cr_assert_eq(back.n, 3);
	e = fan_orig_find(&back, "nct6779/nct6775.656", 1);
	cr_assert(e && e->known && e->enable == 5 && e->pwm == 90);
	e = fan_orig_find(&back, "nct6779/nct6775.656", 3);
	cr_assert(e && !e->known);
	e = fan_orig_find(&back, "it87/it87.2608", 2);
	cr_assert(e && e->known && e->enable == FAN_ORIG_NO_ENABLE && e->pwm == 128);
	cr_assert_null(fan_orig_find(&back, "nct6779/nct6775.656", 2));
	cr_assert_eq(fan_orig_remove(opath), 0);
	cr_assert_eq(fan_orig_remove(opath), 0, "none left is no error");
	cr_assert_eq(fan_orig_load(opath, &back), -ENOENT);
}

Test(origstate, corrupt_torn_or_foreign_records_are_refused, .init = orig_setup,
     .fini = orig_teardown)
{
	static const char *const bad[] = {
		"",
		"sovereign-fan original-state 1\n",                                  /* torn: no end */
		"sovereign-fan original-state 1\nfan nct6779/x 1 known 2 128\n",     /* torn */
		"sovereign-fan original-state 1\nfan nct6779/x 1 known 2 128\nend 2\n",
		"sovereign-fan original-state 2\nend 0\n",
		"sovereign-fan original-state 1\nfan nct6779/x 1 known 2 300\nend 1\n",
		"sovereign-fan original-state 1\nfan nct6779/x 1 known 2\nend 1\n",
		"sovereign-fan original-state 1\nfan nct6779/x 1 maybe\nend 1\n",
		"sovereign-fan original-state 1\nend 0\nfan nct6779/x 1 unknown\n",
	};
	struct fan_orig o;
	char p[128];

	snprintf(p, sizeof(p), "%s/run", odir);
	cr_assert_eq(mkdir(p, 0700), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		orig_write(bad[i], 0600);
		cr_assert_eq(fan_orig_load(opath, &o), -EINVAL, "record %zu taken", i);
		cr_assert_eq(o.n, 0);
	}
	orig_write("sovereign-fan original-state 1\nfan nct6779/x 1 known 2 128\nend 1\n", 0600);
	cr_assert_eq(fan_orig_load(opath, &o), 0);
	cr_assert_eq(o.n, 1);
	/* Writable by others: anyone could have written it. */
	cr_assert_eq(chmod(opath, 0622), 0);
	cr_assert_eq(fan_orig_load(opath, &o), -EPERM);
	cr_assert_eq(o.n, 0);
	/* Another owner's. */
	cr_assert_eq(chmod(opath, 0600), 0);
	cr_assert_eq(chown(opath, geteuid() + 1, (gid_t)-1), 0);
	cr_assert_eq(fan_orig_load(opath, &o), -EPERM);
	cr_assert_eq(chown(opath, geteuid(), (gid_t)-1), 0);
	/* A symlink in its place is not the record. */
	snprintf(p, sizeof(p), "%s/target", odir);
	cr_assert_eq(rename(opath, p), 0);
	cr_assert_eq(symlink(p, opath), 0);
	cr_assert_eq(fan_orig_load(opath, &o), -EPERM);
}

Test(origstate, chip_strings_the_format_cannot_carry_are_refused)
{
	struct fan_orig o = { .n = 0 };
	struct fan_orig_entry e = { .chip = "bad chip/x", .channel = 1 };

	cr_assert_eq(fan_orig_add(&o, &e), -EINVAL);
	e.chip[0] = '\0';
	cr_assert_eq(fan_orig_add(&o, &e), -EINVAL);
	cr_assert_eq(o.n, 0);
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
