/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.c - the simulated server's physics (see model.h): pure functions of
 * the state and the step length; no I/O, no clocks, seeded noise only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define SIM_MEM_LOAD_PER_CPU_LOAD 0.8   /* memory traffic follows CPU load, a bit below */

void sim_params_default(struct sim_params *p, enum sim_vendor vendor)
{
	memset(p, 0, sizeof(*p));
	/* Inlet air of a data-centre cold aisle (ASHRAE A1 recommends 18-27 °C). */
	p->ambient_c = 25.0;
	if (vendor == SIM_AMD) {
		/*
		 * EPYC 9554 (Genoa, family 25 model 17): 64 cores, 360 W default
		 * TDP; an idle package with C-states on still draws ~60 W (IO die,
		 * memory controllers, fabric).
		 */
		p->p_idle_w = 60.0;
		p->p_max_w = 360.0;
		p->phys_cores = 64;
	} else {
		/* Xeon Platinum 8480+ (Sapphire Rapids, family 6 model 143): 56 cores, 350 W. */
		p->p_idle_w = 75.0;
		p->p_max_w = 350.0;
		p->phys_cores = 56;
	}
	/* Cores take ~70 % of package power at load; the rest is uncore/IO die. */
	p->core_frac = 0.70;
	/*
	 * Cooling: steady state is T = T_amb + P / G(airflow) with
	 * G = g0 + gfan * airflow^0.8 (forced-convection heat transfer grows
	 * with air velocity to the power 0.5-0.8; 0.8 is the turbulent
	 * Dittus-Boelter exponent).  Two calibration points fix g0 and gfan:
	 *   360 W, 100 % fans -> ~72 °C: G(1.0) = 360 / 47 = 7.7 W/K
	 *   360 W,  30 % fans -> ~95 °C: G(0.3) = 360 / 70 = 5.15 W/K
	 * so gfan (1 - 0.3^0.8) = 2.55 -> gfan = 4.1, g0 = 3.6 W/K.  g0 is the
	 * heat that leaves with the fans stopped (board conduction, the
	 * other fans' leakage air): 360 W would reach ~125 °C, where the
	 * hardware throttles (not modelled: this is above every sane setpoint).
	 * A PID at an 80 °C setpoint therefore settles at full load near
	 * airflow 0.6 (G = 360/55 = 6.5 W/K).
	 */
	p->g0_w_k = 3.6;
	p->gfan_w_k = 4.1;
	p->g_exp = 0.8;
	/*
	 * Thermal mass: die, lid and a ~0.7 kg copper-base aluminium 2U
	 * heatsink, ~250 J/K.  Time constant C/G = 32 s at full airflow,
	 * 48 s at 30 %: "tens of seconds", as a loaded server heats up.
	 */
	p->heat_cap_j_k = 250.0;
	/* 60 mm server fans: ~12000 RPM at 100 %, spin-up time constant ~1.5 s. */
	p->fan_rpm_max = 12000.0;
	p->fan_tau_s = 1.5;
	/* Super-I/O SmartFan-like curve: 30 % floor to 40 °C, 100 % at 85 °C. */
	p->auto_t_lo_c = 40.0;
	p->auto_t_hi_c = 85.0;
	p->auto_duty_min = 0.30;
	/*
	 * DDR5 RDIMM: ~3 W idle, ~10 W under heavy traffic.  Small heat
	 * spreaders, downstream of the CPU heatsinks: G(1) = 0.6 W/K
	 * (10 W -> +17 °C), G(0.3) = 0.38 W/K (+26 °C); C = 60 J/K gives a
	 * 100-160 s time constant: DIMM temperatures follow load slowly.
	 */
	p->dimm_p_idle_w = 3.0;
	p->dimm_p_max_w = 10.0;
	p->dimm_heat_cap_j_k = 60.0;
	p->dimm_g0_w_k = 0.25;
	p->dimm_gfan_w_k = 0.35;
	/*
	 * VRM (MP2975-class multiphase controller): 12 V in, 1.10 V VID, a
	 * 0.2 mOhm load line (60 mV droop at 300 A), 90 % efficient; the power
	 * stages' losses (~35 W at TDP) heat a small mass: +20..30 °C at load.
	 */
	p->vrm_vin_v = 12.0;
	p->vrm_vout_v = 1.10;
	p->vrm_loadline_ohm = 0.0002;
	p->vrm_eff = 0.90;
	p->vrm_heat_cap_j_k = 40.0;
	p->vrm_g0_w_k = 0.6;
	p->vrm_gfan_w_k = 1.4;
	/* Intel MSR 0x1A2 bits 23:16; also the AMD sensors' _crit reference. */
	p->tjmax_c = 100.0;
}

double sim_power_w(const struct sim_params *p, double load)
{
	if (load < 0.0)
		load = 0.0;
	if (load > 1.0)
		load = 1.0;
	return p->p_idle_w + (p->p_max_w - p->p_idle_w) * load;
}

static double clamp01(double x)
{
	return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

static double airflow_term(const struct sim_params *p, double airflow)
{
	return pow(clamp01(airflow), p->g_exp);
}

double sim_conductance(const struct sim_params *p, double airflow)
{
	return p->g0_w_k + p->gfan_w_k * airflow_term(p, airflow);
}

double sim_steady_temp(const struct sim_params *p, double power_w, double airflow)
{
	return p->ambient_c + power_w / sim_conductance(p, airflow);
}

double sim_auto_duty(const struct sim_params *p, double temp_c)
{
	double x = (temp_c - p->auto_t_lo_c) / (p->auto_t_hi_c - p->auto_t_lo_c);

	return p->auto_duty_min + (1.0 - p->auto_duty_min) * clamp01(x);
}

double sim_fan_duty(const struct sim_params *p, int enable, int pwm, double temp_c)
{
	/* docs/hardware.md §R8: 0 = no control (full speed), 1 = manual, 2+ = automatic. */
	if (enable == 0)
		return 1.0;
	if (enable == 1)
		return clamp01((double)pwm / SIM_PWM_MAX);
	return sim_auto_duty(p, temp_c);
}

double sim_airflow(const struct sim_model *m)
{
	double sum = 0.0;

	if (m->nfans <= 0)
		return 0.0;
	for (int i = 0; i < m->nfans; i++)
		sum += m->fan[i].rpm / m->p.fan_rpm_max;
	return clamp01(sum / m->nfans);
}

/* Exact solution of tau dx/dt = target - x over @dt with the inputs held. */
static double relax(double x, double target, double dt, double tau)
{
	return target + (x - target) * exp(-dt / tau);
}

double sim_profile_load(const struct sim_profile *p, double t)
{
	switch (p->kind) {
	case SIM_PROF_STEADY:
		return clamp01(p->steady_load);
	case SIM_PROF_STEP:
		return t >= p->step_s ? 1.0 : 0.0;
	case SIM_PROF_SINE:
		return clamp01(0.5 + 0.5 * sin(2.0 * M_PI * t / p->period_s));
	case SIM_PROF_IDLE:
		return 0.0;
	case SIM_PROF_FILE:
		if (p->n == 0)
			return 0.0;
		if (t <= p->t[0])
			return p->load[0];
		for (size_t i = 1; i < p->n; i++) {
			if (t <= p->t[i]) {
				double f = (t - p->t[i - 1]) / (p->t[i] - p->t[i - 1]);

				return p->load[i - 1] + f * (p->load[i] - p->load[i - 1]);
			}
		}
		return p->load[p->n - 1];     /* hold the last value */
	}
	return 0.0;
}

int sim_profile_builtin(struct sim_profile *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->steady_load = 0.70;
	p->step_s = 30.0;
	p->period_s = 120.0;
	if (!strcmp(name, "steady"))
		p->kind = SIM_PROF_STEADY;
	else if (!strcmp(name, "step"))
		p->kind = SIM_PROF_STEP;
	else if (!strcmp(name, "sine"))
		p->kind = SIM_PROF_SINE;
	else if (!strcmp(name, "idle"))
		p->kind = SIM_PROF_IDLE;
	else
		return -EINVAL;
	return 0;
}

/* Parse one "seconds load" line; Return: 1 a point, 0 blank/comment, -EINVAL. */
static int parse_point(const char *line, size_t len, double *t, double *load)
{
	char buf[256], *end, *s;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	s = strchr(buf, '#');
	if (s)
		*s = '\0';
	s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s)
		return 0;
	errno = 0;
	*t = strtod(s, &end);
	if (errno || end == s || !isfinite(*t) || *t < 0.0)
		return -EINVAL;
	s = end;
	errno = 0;
	*load = strtod(s, &end);
	if (errno || end == s || !isfinite(*load))
		return -EINVAL;
	s = end;
	if (*s == '%') {
		*load /= 100.0;
		s++;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s || *load < 0.0 || *load > 1.0)
		return -EINVAL;
	return 1;
}

int sim_profile_parse(struct sim_profile *p, const char *text, int *bad_line)
{
	size_t cap = 0;
	int line = 0, ret;

	memset(p, 0, sizeof(*p));
	p->kind = SIM_PROF_FILE;
	*bad_line = 0;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		double t, load;

		line++;
		ret = parse_point(text, len, &t, &load);
		text += len + (nl ? 1 : 0);
		if (ret == 0)
			continue;
		if (ret < 0 || (p->n > 0 && t <= p->t[p->n - 1])) {
			ret = -EINVAL;
			*bad_line = line;
			goto err_free;
		}
		if (p->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			double *nt = realloc(p->t, ncap * sizeof(*nt));

			if (!nt) {
				ret = -ENOMEM;
				goto err_free;
			}
			p->t = nt;
			nt = realloc(p->load, ncap * sizeof(*nt));
			if (!nt) {
				ret = -ENOMEM;
				goto err_free;
			}
			p->load = nt;
			cap = ncap;
		}
		p->t[p->n] = t;
		p->load[p->n] = load;
		p->n++;
	}
	if (p->n == 0) {
		*bad_line = line;
		ret = -EINVAL;
		goto err_free;
	}
	return 0;

err_free:
	sim_profile_free(p);
	return ret;
}

void sim_profile_free(struct sim_profile *p)
{
	if (p->kind != SIM_PROF_FILE)
		return;
	free(p->t);
	free(p->load);
	p->t = NULL;
	p->load = NULL;
	p->n = 0;
}

double sim_noise(struct sim_model *m, double amp)
{
	/* xorshift64* (Vigna): good enough for measurement jitter, seedable. */
	uint64_t x = m->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	m->rng = x;
	x *= UINT64_C(0x2545F4914F6CDD1D);
	return amp * (2.0 * ((double)(x >> 11) / 9007199254740992.0) - 1.0);
}

static double dimm_power_w(const struct sim_params *p, double cpu_load)
{
	double mem = clamp01(cpu_load * SIM_MEM_LOAD_PER_CPU_LOAD);

	return p->dimm_p_idle_w + (p->dimm_p_max_w - p->dimm_p_idle_w) * mem;
}

static double dimm_conductance(const struct sim_params *p, double airflow)
{
	return p->dimm_g0_w_k + p->dimm_gfan_w_k * airflow_term(p, airflow);
}

double sim_dram_power_w(const struct sim_model *m, int s)
{
	double w = 0.0;

	for (int i = 0; i < m->ndimms; i++)
		if (m->dimm[i].socket == s)
			w += dimm_power_w(&m->p, m->sock[s].load);
	return w;
}

/* The VRM's rail carries 85 % of package power (core + SoC rails). */
#define SIM_VRM_RAIL_SHARE 0.85

static void vrm_point(const struct sim_params *p, double pkg_w, double *vout, double *iout,
		      double *loss)
{
	double pout = pkg_w * SIM_VRM_RAIL_SHARE;
	double i0 = pout / p->vrm_vout_v;

	/* One fixed-point iteration of I = P / (VID - I R): exact to < 0.1 %. */
	*vout = p->vrm_vout_v - i0 * p->vrm_loadline_ohm;
	*iout = pout / *vout;
	*loss = pout / p->vrm_eff - pout;
}

static double vrm_conductance(const struct sim_params *p, double airflow)
{
	return p->vrm_g0_w_k + p->vrm_gfan_w_k * airflow_term(p, airflow);
}

struct sim_vrm_out sim_vrm(const struct sim_model *m, int s)
{
	const struct sim_socket *k = &m->sock[s];
	struct sim_vrm_out o;
	double vout, iout, loss, pout, pin;

	vrm_point(&m->p, k->power_w, &vout, &iout, &loss);
	pout = vout * iout;
	pin = pout + loss;
	o.vin_mv = llround(m->p.vrm_vin_v * 1000.0);
	o.vout_mv = llround(vout * 1000.0);
	o.iout_ma = llround(iout * 1000.0);
	o.iin_ma = llround(pin / m->p.vrm_vin_v * 1000.0);
	o.pout_uw = llround(pout * 1e6);
	o.pin_uw = llround(pin * 1e6);
	o.temp_mc = llround(k->vrm_temp_c * 1000.0);
	return o;
}

double sim_ccd_temp(const struct sim_model *m, int s, int ccd)
{
	const struct sim_socket *k = &m->sock[s];

	/*
	 * Tctl tracks the hottest spot; each CCD reads a little below it, the
	 * gap growing with load (more heat flux through the die-to-lid path).
	 */
	return k->temp_c - (0.4 + 0.35 * (ccd % 4)) * (0.5 + k->load);
}

uint64_t sim_units_to_uj(uint64_t units, unsigned esu)
{
	uint64_t whole = units >> esu;
	uint64_t frac = units & ((UINT64_C(1) << esu) - 1);

	return whole * 1000000u + ((frac * 1000000u) >> esu);
}

/* Add @joules to a counter of 2^-esu J units, carrying the fraction. */
static void add_energy(uint64_t *units, double *frac, double joules, unsigned esu)
{
	double u = ldexp(joules, (int)esu) + *frac;
	double whole = floor(u);

	*units += (uint64_t)whole;
	*frac = u - whole;
}

int sim_model_init(struct sim_model *m, enum sim_vendor vendor, int nsockets, int nfans,
		   int ndimms, const struct sim_profile *prof, uint64_t seed)
{
	double airflow = 0.0, t_idle = 0.0;

	if (nsockets < 1 || nsockets > SIM_MAX_SOCKETS || nfans < 1 || nfans > SIM_MAX_FANS ||
	    ndimms < 0 || ndimms > SIM_MAX_DIMMS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->vendor = vendor;
	m->nsockets = nsockets;
	m->nfans = nfans;
	m->ndimms = ndimms;
	/* AMD 0xC0010299 ESU 16 (value 0x000A1003); Intel 0x606 ESU 14 (0x000A0E03). */
	m->esu = vendor == SIM_AMD ? 16 : 14;
	sim_params_default(&m->p, vendor);
	m->prof = *prof;
	m->rng = seed ? seed : UINT64_C(0x9E3779B97F4A7C15);

	/* Idle equilibrium under the automatic curve: iterate the fixed point. */
	for (int it = 0; it < 50; it++) {
		t_idle = sim_steady_temp(&m->p, m->p.p_idle_w, airflow);
		airflow = sim_auto_duty(&m->p, t_idle);
	}
	for (int i = 0; i < nfans; i++) {
		m->fan[i].enable = 2;
		m->fan[i].pwm = 128;    /* the chip's power-on register value */
		m->fan[i].duty = airflow;
		m->fan[i].rpm = airflow * m->p.fan_rpm_max;
	}
	for (int s = 0; s < nsockets; s++) {
		double vout, iout, loss;

		m->sock[s].power_w = m->p.p_idle_w;
		m->sock[s].temp_c = t_idle;
		/*
		 * A running server's counters are not 0: it has been up a while
		 * (here one hour at idle).  A RAPL status register reading 0 means
		 * "domain absent" to the kernel and to the msr backend.
		 */
		m->sock[s].pkg_units = (uint64_t)ldexp(m->p.p_idle_w * 3600.0, (int)m->esu);
		m->sock[s].core_units = (uint64_t)ldexp(m->p.p_idle_w * m->p.core_frac /
							m->p.phys_cores * 3600.0, (int)m->esu);
		m->sock[s].dram_units = (uint64_t)ldexp(10.0 * 3600.0, (int)m->esu);
		vrm_point(&m->p, m->p.p_idle_w, &vout, &iout, &loss);
		m->sock[s].vrm_temp_c = m->p.ambient_c + loss / vrm_conductance(&m->p, airflow);
	}
	for (int i = 0; i < ndimms; i++) {
		/* First half on socket 0, second half on socket 1. */
		m->dimm[i].socket = nsockets > 1 && i >= (ndimms + 1) / 2 ? 1 : 0;
		m->dimm[i].temp_c = m->p.ambient_c +
			dimm_power_w(&m->p, 0.0) / dimm_conductance(&m->p, airflow);
	}
	return 0;
}

void sim_model_step(struct sim_model *m, double dt)
{
	const struct sim_params *p = &m->p;
	double hottest = -273.0, airflow, n;
	double t_mid = m->t + dt / 2;       /* inputs held at mid-step */

	if (!(dt > 0.0))
		return;
	for (int s = 0; s < m->nsockets; s++)
		if (m->sock[s].temp_c > hottest)
			hottest = m->sock[s].temp_c;

	/* Fans: duty from the controls (the chip's curve follows the hottest socket). */
	for (int i = 0; i < m->nfans; i++) {
		struct sim_fan *f = &m->fan[i];

		f->duty = sim_fan_duty(p, f->enable, f->pwm, hottest);
		if (f->enable != 1)
			f->pwm = (int)lround(f->duty * SIM_PWM_MAX);  /* register reads back */
		f->rpm = relax(f->rpm, f->duty * p->fan_rpm_max, dt, p->fan_tau_s);
	}
	airflow = sim_airflow(m);

	for (int s = 0; s < m->nsockets; s++) {
		struct sim_socket *k = &m->sock[s];
		double g = sim_conductance(p, airflow);
		double vout, iout, loss, core_w;

		/* Both sockets run the same job; socket 1 lags a little in time. */
		k->load = sim_profile_load(&m->prof, t_mid - 0.5 * s);
		k->power_w = sim_power_w(p, k->load);
		/* C dT/dt = P - (T - T_amb) G  ->  T relaxes to T_amb + P/G with tau C/G. */
		k->temp_c = relax(k->temp_c, p->ambient_c + k->power_w / g, dt, p->heat_cap_j_k / g);
		vrm_point(p, k->power_w, &vout, &iout, &loss);
		g = vrm_conductance(p, airflow);
		k->vrm_temp_c = relax(k->vrm_temp_c, p->ambient_c + loss / g, dt,
				      p->vrm_heat_cap_j_k / g);

		core_w = k->power_w * p->core_frac;
		if (m->vendor == SIM_AMD)
			core_w /= p->phys_cores;   /* 0xC001029A: the reading CPU's own core */
		add_energy(&k->pkg_units, &k->pkg_frac, k->power_w * dt, m->esu);
		add_energy(&k->core_units, &k->core_frac, core_w * dt, m->esu);
	}
	for (int i = 0; i < m->ndimms; i++) {
		struct sim_dimm *d = &m->dimm[i];
		double g = dimm_conductance(p, airflow);
		double w = dimm_power_w(p, m->sock[d->socket].load);

		d->temp_c = relax(d->temp_c, p->ambient_c + w / g, dt, p->dimm_heat_cap_j_k / g);
	}
	for (int s = 0; s < m->nsockets; s++) {
		struct sim_socket *k = &m->sock[s];

		add_energy(&k->dram_units, &k->dram_frac, sim_dram_power_w(m, s) * dt, m->esu);
	}

	/* SMIs at the BMC-noise rate, in simulated time, fractions carried. */
	m->smi_frac += m->smi_hz * dt;
	n = floor(m->smi_frac);
	m->smi_count += (uint64_t)n;
	m->smi_frac -= n;
	m->t += dt;
}
