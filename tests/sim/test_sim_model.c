/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sim_model.c - unit tests of the simulator's thermal model
 * (tools/sim/model.c): steady states, step response, fan lag, energy,
 * SMI rate, profiles, and that a PI fan loop at 80 °C can settle.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>

#include "model.h"

static struct sim_model make(enum sim_vendor v, const char *profile)
{
	struct sim_profile p;
	struct sim_model m;

	cr_assert_eq(sim_profile_builtin(&p, profile), 0);
	cr_assert_eq(sim_model_init(&m, v, 1, 4, 4, &p, 1), 0);
	return m;
}

static void set_fans(struct sim_model *m, int enable, int pwm)
{
	for (int i = 0; i < m->nfans; i++) {
		m->fan[i].enable = enable;
		m->fan[i].pwm = pwm;
	}
}

static void run(struct sim_model *m, double seconds, double dt)
{
	for (double t = 0; t < seconds - 1e-9; t += dt)
		sim_model_step(m, dt);
}

Test(model, steady_state_bounds)
{
	struct sim_params p;

	sim_params_default(&p, SIM_AMD);
	/* The calibration points of the brief: full load at 100 % / 30 % airflow. */
	double t100 = sim_steady_temp(&p, p.p_max_w, 1.0);
	double t30 = sim_steady_temp(&p, p.p_max_w, 0.3);
	double tidle = sim_steady_temp(&p, p.p_idle_w, 0.3);

	cr_expect(t100 >= 70.0 && t100 <= 75.0, "full load, 100 %% fans: %.2f °C", t100);
	cr_expect(t30 >= 92.0 && t30 <= 98.0, "full load, 30 %% fans: %.2f °C", t30);
	cr_expect(tidle >= 30.0 && tidle <= 45.0, "idle, 30 %% fans: %.2f °C", tidle);
	/* Time constant C/G: tens of seconds. */
	double tau = p.heat_cap_j_k / sim_conductance(&p, 1.0);
	cr_expect(tau >= 10.0 && tau <= 90.0, "tau %.1f s", tau);
}

Test(model, dynamic_steady_state_full_load)
{
	struct sim_model m = make(SIM_AMD, "steady");

	m.prof.steady_load = 1.0;
	set_fans(&m, 1, 255);
	run(&m, 600, 0.1);
	cr_expect(m.sock[0].temp_c >= 70.0 && m.sock[0].temp_c <= 75.0, "100 %%: %.2f",
		  m.sock[0].temp_c);
	cr_expect(fabs(m.fan[0].rpm - m.p.fan_rpm_max) < 1.0, "rpm %.1f", m.fan[0].rpm);

	set_fans(&m, 1, 77);    /* 30 % */
	run(&m, 900, 0.1);
	cr_expect(m.sock[0].temp_c >= 92.0 && m.sock[0].temp_c <= 98.0, "30 %%: %.2f",
		  m.sock[0].temp_c);
}

Test(model, step_rises_monotonically_towards_steady_state)
{
	struct sim_model m = make(SIM_AMD, "step");
	double prev, t0, target, g;

	set_fans(&m, 1, 255);
	run(&m, 29.9, 0.1);
	/* Before the step: idle, settling from the initial state, no heating. */
	cr_expect(m.sock[0].load == 0.0);
	cr_expect(m.sock[0].temp_c < 40.0, "idle %.2f", m.sock[0].temp_c);
	run(&m, 0.2, 0.1);
	cr_expect(m.sock[0].load == 1.0, "load after 30 s: %.2f", m.sock[0].load);

	g = sim_conductance(&m.p, 1.0);
	target = sim_steady_temp(&m.p, m.p.p_max_w, 1.0);
	t0 = prev = m.sock[0].temp_c;
	double tau = m.p.heat_cap_j_k / g;
	double at_tau = NAN;

	for (int i = 0; i < 6000; i++) {        /* 600 s */
		sim_model_step(&m, 0.1);
		double t = m.sock[0].temp_c;

		cr_assert(t >= prev - 1e-9, "not monotonic at step %d: %.4f < %.4f", i, t, prev);
		cr_assert(t <= target + 1e-9, "overshoot %.4f > %.4f", t, target);
		if (isnan(at_tau) && (i + 1) * 0.1 >= tau)
			at_tau = t;
		prev = t;
	}
	cr_expect(target - prev < 0.1, "after 600 s: %.2f vs %.2f", prev, target);
	/* First order: 63 % of the way after one time constant (fan spin-up aside). */
	double frac = (at_tau - t0) / (target - t0);

	cr_expect(frac > 0.55 && frac < 0.70, "fraction after tau %.1f s: %.3f", tau, frac);
}

Test(model, fan_follows_duty_with_lag)
{
	struct sim_model m = make(SIM_AMD, "idle");
	double prev, start, target = m.p.fan_rpm_max;

	set_fans(&m, 1, 0);
	run(&m, 30, 0.1);
	start = prev = m.fan[0].rpm;
	cr_expect(start < 10.0, "stopped fan: %.1f rpm", start);
	set_fans(&m, 1, 255);
	sim_model_step(&m, 0.1);
	cr_expect(m.fan[0].rpm > start && m.fan[0].rpm < 0.2 * target,
		  "0.1 s after the change: %.0f", m.fan[0].rpm);
	prev = m.fan[0].rpm;
	for (int i = 1; i < 100; i++) {         /* to 10 s */
		sim_model_step(&m, 0.1);
		cr_assert(m.fan[0].rpm > prev, "rpm not rising at %d", i);
		prev = m.fan[0].rpm;
		if (i == 14) {  /* 1.5 s = tau: 63 % */
			double f = m.fan[0].rpm / target;

			cr_expect(f > 0.6 && f < 0.67, "after tau: %.3f", f);
		}
	}
	cr_expect(target - prev < 0.01 * target, "after 10 s: %.0f", prev);
	/* And down again. */
	set_fans(&m, 1, 128);
	run(&m, 10, 0.1);
	cr_expect(fabs(m.fan[0].rpm - 128.0 / 255 * target) < 0.01 * target, "%.0f",
		  m.fan[0].rpm);
}

Test(model, fan_modes)
{
	struct sim_params p;

	sim_params_default(&p, SIM_AMD);
	cr_expect_float_eq(sim_fan_duty(&p, 0, 0, 30.0), 1.0, 1e-12, "enable 0: full speed");
	cr_expect_float_eq(sim_fan_duty(&p, 1, 51, 90.0), 0.2, 1e-12, "manual 51/255");
	cr_expect_float_eq(sim_fan_duty(&p, 2, 0, 30.0), p.auto_duty_min, 1e-12);
	cr_expect_float_eq(sim_fan_duty(&p, 2, 0, 90.0), 1.0, 1e-12);
	cr_expect(sim_fan_duty(&p, 5, 0, 60.0) > p.auto_duty_min && sim_fan_duty(&p, 5, 0, 60.0) < 1);

	/* In automatic mode the pwm register reads back the chip's duty. */
	struct sim_model m = make(SIM_AMD, "idle");

	sim_model_step(&m, 0.1);
	cr_expect_eq(m.fan[0].pwm, (int)lround(m.fan[0].duty * 255));
	m.fan[0].enable = 0;
	sim_model_step(&m, 0.1);
	cr_expect_eq(m.fan[0].pwm, 255);
}

Test(model, energy_accumulates_power_times_dt)
{
	struct sim_model m = make(SIM_AMD, "sine");
	double joules = 0.0, core = 0.0;
	/* Counters start non-zero (uptime before the sim): count from there. */
	uint64_t pkg0 = m.sock[0].pkg_units, core0 = m.sock[0].core_units;

	cr_expect_gt(pkg0, 0, "a running server's energy counter is not 0");

	for (int i = 0; i < 20000; i++) {
		double dt = 0.05 + 0.01 * (i % 7);   /* uneven steps */

		sim_model_step(&m, dt);
		joules += m.sock[0].power_w * dt;
		core += m.sock[0].power_w * m.p.core_frac / m.p.phys_cores * dt;
	}
	double got = ldexp((double)(m.sock[0].pkg_units - pkg0), -(int)m.esu);
	double got_core = ldexp((double)(m.sock[0].core_units - core0), -(int)m.esu);

	cr_expect_eq(m.esu, 16u);
	cr_expect(fabs(got - joules) <= ldexp(1.0, -(int)m.esu) + 1e-9 * joules,
		  "package %.6f J vs %.6f J", got, joules);
	cr_expect(fabs(got_core - core) <= ldexp(1.0, -(int)m.esu) + 1e-9 * core,
		  "core %.6f J vs %.6f J", got_core, core);
	cr_expect(joules > 60.0 * 1000, "at least idle power over > 1000 s: %.0f", joules);
	/* DRAM (Intel domain) accumulates the DIMMs' power too. */
	cr_expect(m.sock[0].dram_units > 0);
	/* µJ conversion: 2^16 units = 1 J. */
	cr_expect_eq(sim_units_to_uj(UINT64_C(1) << 16, 16), 1000000u);
	cr_expect_eq(sim_units_to_uj((UINT64_C(1) << 16) + (UINT64_C(1) << 15), 16), 1500000u);
}

Test(model, smi_counter_follows_noise_rate)
{
	struct sim_model m = make(SIM_INTEL, "idle");

	run(&m, 10, 0.1);
	cr_expect_eq(m.smi_count, 0u, "no BMC noise: constant");
	m.smi_hz = 50.0;
	run(&m, 10, 0.1);
	cr_expect(m.smi_count >= 499 && m.smi_count <= 500, "50 Hz x 10 s: %llu",
		  (unsigned long long)m.smi_count);
	m.smi_count = 0;
	m.smi_hz = 3.0;         /* fewer than one per step: fractions carried */
	run(&m, 10, 0.1);
	cr_expect(m.smi_count >= 29 && m.smi_count <= 30, "3 Hz x 10 s: %llu",
		  (unsigned long long)m.smi_count);
}

Test(model, dimms_follow_load_slowly)
{
	struct sim_model m = make(SIM_AMD, "idle");
	double d0 = m.dimm[0].temp_c;

	m.prof.kind = SIM_PROF_STEADY;
	m.prof.steady_load = 1.0;
	set_fans(&m, 1, 255);
	run(&m, 10, 0.1);
	double d10 = m.dimm[0].temp_c;
	double cpu_rise = m.sock[0].temp_c;

	run(&m, 1200, 0.5);
	double dend = m.dimm[0].temp_c;

	cr_expect(dend > d0 + 5.0, "DIMM warms under load: %.2f -> %.2f", d0, dend);
	cr_expect((d10 - d0) < 0.2 * (dend - d0), "DIMM slow: %.2f after 10 s of %.2f",
		  d10 - d0, dend - d0);
	cr_expect(dend > 35.0 && dend < 60.0, "DIMM %.2f", dend);
	(void)cpu_rise;

	struct sim_vrm_out v = sim_vrm(&m, 0);

	cr_expect(v.vout_mv > 1000 && v.vout_mv < 1100, "vout %lld mV", v.vout_mv);
	cr_expect(v.iout_ma > 200000 && v.iout_ma < 400000, "iout %lld mA", v.iout_ma);
	cr_expect(v.pin_uw > v.pout_uw, "losses");
	cr_expect(v.temp_mc > 40000 && v.temp_mc < 90000, "vrm %lld m°C", v.temp_mc);
}

Test(model, profile_file)
{
	struct sim_profile p;
	int bad = -1;

	cr_assert_eq(sim_profile_parse(&p, "# t load\n0 0\n10 50%\n\n20 1.0  # full\n", &bad),
		     0);
	cr_expect_eq(p.n, 3u);
	cr_expect_float_eq(sim_profile_load(&p, 0.0), 0.0, 1e-12);
	cr_expect_float_eq(sim_profile_load(&p, 5.0), 0.25, 1e-12);
	cr_expect_float_eq(sim_profile_load(&p, 15.0), 0.75, 1e-12);
	cr_expect_float_eq(sim_profile_load(&p, 99.0), 1.0, 1e-12, "holds the last value");
	sim_profile_free(&p);

	cr_expect_eq(sim_profile_parse(&p, "0 0\n10 0.5\n5 1\n", &bad), -EINVAL);
	cr_expect_eq(bad, 3, "times must ascend");
	cr_expect_eq(sim_profile_parse(&p, "0 0\n1 1.5\n", &bad), -EINVAL);
	cr_expect_eq(bad, 2, "load above 1");
	cr_expect_eq(sim_profile_parse(&p, "0 abc\n", &bad), -EINVAL);
	cr_expect_eq(sim_profile_parse(&p, "# nothing\n", &bad), -EINVAL);
	cr_expect_eq(sim_profile_builtin(&p, "bogus"), -EINVAL);
}

/* A PI loop at an 80 °C setpoint, as the fan actuator will run it, settles. */
Test(model, pi_fan_loop_settles_at_80)
{
	struct sim_model m = make(SIM_AMD, "steady");
	double integ = 0.5, duty = 0.5;

	m.prof.steady_load = 1.0;
	for (int i = 0; i < 9000; i++) {        /* 900 s at 10 Hz */
		double err = m.sock[0].temp_c - 80.0;

		integ += 0.002 * err * 0.1;
		integ = integ < 0 ? 0 : integ > 1 ? 1 : integ;
		duty = integ + 0.05 * err;
		duty = duty < 0 ? 0 : duty > 1 ? 1 : duty;
		set_fans(&m, 1, (int)lround(duty * 255));
		sim_model_step(&m, 0.1);
	}
	cr_expect(fabs(m.sock[0].temp_c - 80.0) < 1.0, "settled at %.2f", m.sock[0].temp_c);
	cr_expect(duty > 0.3 && duty < 0.95, "duty %.2f", duty);
}

Test(model, init_rejects_bad_counts)
{
	struct sim_profile p;
	struct sim_model m;

	sim_profile_builtin(&p, "idle");
	cr_expect_eq(sim_model_init(&m, SIM_AMD, 0, 1, 0, &p, 1), -EINVAL);
	cr_expect_eq(sim_model_init(&m, SIM_AMD, 3, 1, 0, &p, 1), -EINVAL);
	cr_expect_eq(sim_model_init(&m, SIM_AMD, 1, 0, 0, &p, 1), -EINVAL);
	cr_expect_eq(sim_model_init(&m, SIM_AMD, 1, 1, SIM_MAX_DIMMS + 1, &p, 1), -EINVAL);
	cr_expect_eq(sim_model_init(&m, SIM_INTEL, 2, SIM_MAX_FANS, SIM_MAX_DIMMS, &p, 1), 0);
	cr_expect_eq(m.esu, 14u);
}
