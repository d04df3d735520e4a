/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.h - the simulated server's physics: workload profile -> socket power,
 * first-order thermal mass cooled by fan airflow, fan RPM lag, DIMM and VRM
 * temperatures, RAPL energy counters, SMI counter.  Pure (no I/O); used by
 * sovereign-sim (sim.c, tree.c) and tests/sim.
 */
#ifndef SOVEREIGN_SIM_MODEL_H
#define SOVEREIGN_SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_SOCKETS 2
#define SIM_MAX_FANS 7          /* nct6796 has 7 fan/pwm pairs; nct6779 5 */
#define SIM_MAX_DIMMS 32        /* 16 per socket: 2 DIMMs per channel x 8 */
#define SIM_CCDS 8              /* EPYC 9554: 8 CCDs (k10temp Tccd1..Tccd8) */
#define SIM_CPUS_PER_SOCKET 8   /* reduced topology listed in cpuinfo/coretemp */
#define SIM_PWM_MAX 255         /* hwmon pwmN scale: 255 = 100 % */

enum sim_vendor { SIM_AMD, SIM_INTEL };

enum sim_profile_kind {
	SIM_PROF_STEADY,        /* constant load (sim_profile.steady_load, 0.7) */
	SIM_PROF_STEP,          /* idle, full load from t = step_s (30 s) */
	SIM_PROF_SINE,          /* 0.5 + 0.5 sin(2 pi t / period_s), period 120 s */
	SIM_PROF_IDLE,          /* load 0 */
	SIM_PROF_FILE,          /* piecewise-linear through (t[i], load[i]) */
};

/*
 * struct sim_profile - the workload: load in [0, 1] as a function of
 * simulated time.  @t/@load are owned (sim_profile_free()) for FILE only.
 */
struct sim_profile {
	enum sim_profile_kind kind;
	double steady_load;     /* STEADY: load */
	double step_s;          /* STEP: time of the jump, s */
	double period_s;        /* SINE: period, s */
	size_t n;               /* FILE: number of points, ascending t */
	double *t;              /* FILE: s */
	double *load;           /* FILE: 0..1 */
};

/*
 * struct sim_params - the constants of the model, in SI units.  The values
 * and their reasons are in sim_params_default() (model.c).
 */
struct sim_params {
	double ambient_c;       /* inlet air, °C */
	double p_idle_w;        /* socket power at load 0, W */
	double p_max_w;         /* socket power at load 1 (TDP), W */
	double core_frac;       /* share of package power in the cores */
	int phys_cores;         /* physical cores of the modelled SKU */
	double heat_cap_j_k;    /* C: socket + heatsink thermal mass, J/K */
	double g0_w_k;          /* G at zero airflow (conduction, natural convection), W/K */
	double gfan_w_k;        /* G added at full airflow, W/K */
	double g_exp;           /* G = g0 + gfan * airflow^g_exp */
	double fan_rpm_max;     /* RPM at 100 % duty */
	double fan_tau_s;       /* fan speed lag time constant, s */
	double auto_t_lo_c;     /* automatic curve: duty_min at and below, °C */
	double auto_t_hi_c;     /* automatic curve: 100 % at and above, °C */
	double auto_duty_min;   /* automatic curve floor, 0..1 */
	double dimm_p_idle_w;   /* per DIMM at memory load 0, W */
	double dimm_p_max_w;    /* per DIMM at memory load 1, W */
	double dimm_heat_cap_j_k;
	double dimm_g0_w_k;
	double dimm_gfan_w_k;
	double vrm_vin_v;       /* VRM input rail, V */
	double vrm_vout_v;      /* VRM output at no load (VID), V */
	double vrm_loadline_ohm;/* output droop per ampere, ohm */
	double vrm_eff;         /* conversion efficiency */
	double vrm_heat_cap_j_k;
	double vrm_g0_w_k;
	double vrm_gfan_w_k;
	double tjmax_c;         /* Intel TjMax (MSR 0x1A2 bits 23:16) */
};

/*
 * struct sim_fan - one fan channel.  @enable and @pwm are the hwmon
 * controls (pwmN_enable, pwmN), set by the caller before sim_model_step();
 * in automatic mode (enable >= 2) the step writes the chip's duty back
 * into @pwm, as the chip's register reads back.
 */
struct sim_fan {
	int enable;             /* 0 full speed, 1 manual, >= 2 automatic */
	int pwm;                /* 0..255 */
	double duty;            /* applied duty, 0..1 */
	double rpm;
};

/* struct sim_socket - one CPU package and its VRM. */
struct sim_socket {
	double load;            /* 0..1 */
	double power_w;         /* package power */
	double temp_c;          /* Tctl / package temperature */
	double vrm_temp_c;
	uint64_t pkg_units;     /* package energy, 2^-esu J (never wraps in 64 bits) */
	uint64_t core_units;    /* AMD: one physical core; Intel: PP0, all cores */
	uint64_t dram_units;    /* Intel DRAM domain: the socket's DIMMs */
	double pkg_frac, core_frac, dram_frac;  /* sub-unit carry */
};

struct sim_dimm {
	int socket;
	double temp_c;
};

/* struct sim_vrm_out - one VRM's telemetry in hwmon units. */
struct sim_vrm_out {
	long long vin_mv, vout_mv, iin_ma, iout_ma, pin_uw, pout_uw, temp_mc;
};

/*
 * struct sim_model - the whole server.  Plain data: copy it freely (the
 * profile's FILE arrays are shared, not copied).
 */
struct sim_model {
	enum sim_vendor vendor;
	int nsockets, nfans, ndimms;
	unsigned esu;           /* RAPL energy status unit: 16 AMD, 14 Intel */
	struct sim_params p;
	struct sim_profile prof;
	double t;               /* simulated time, s */
	double smi_hz;          /* SMIs per simulated second (BMC noise), 0: none */
	double smi_frac;
	uint64_t smi_count;     /* MSR 0x34 exposes bits 31:0 */
	uint64_t rng;           /* xorshift64* state for measurement noise */
	struct sim_socket sock[SIM_MAX_SOCKETS];
	struct sim_fan fan[SIM_MAX_FANS];
	struct sim_dimm dimm[SIM_MAX_DIMMS];
};

/* sim_params_default() - the documented constants for @vendor's SKU. */
void sim_params_default(struct sim_params *p, enum sim_vendor vendor);

/*
 * sim_model_init() - a server that has been idle long enough to be at
 * thermal equilibrium, fans in automatic mode at pwm 128.
 * @prof is copied (FILE arrays are borrowed: keep them alive).
 * Return: 0, or -EINVAL if a count is out of range.
 */
int sim_model_init(struct sim_model *m, enum sim_vendor vendor, int nsockets, int nfans,
		   int ndimms, const struct sim_profile *prof, uint64_t seed);

/*
 * sim_model_step() - advance @m by @dt simulated seconds (> 0): load and
 * power from the profile, fan duty from each fan's controls, then fan
 * speed, temperatures (exact exponential solution of the first-order
 * equations with the inputs held over the step, so any @dt is stable and
 * temperatures approach equilibrium monotonically), energy and SMI counts.
 */
void sim_model_step(struct sim_model *m, double dt);

/* sim_profile_load() - the workload at simulated time @t, in [0, 1]. */
double sim_profile_load(const struct sim_profile *p, double t);

/*
 * sim_profile_builtin() - @p for "steady", "step", "sine" or "idle".
 * Return: 0, or -EINVAL for another name.
 */
int sim_profile_builtin(struct sim_profile *p, const char *name);

/*
 * sim_profile_parse() - a FILE profile from @text: one "seconds load" pair
 * a line, load as a fraction 0..1 or a percentage "70%"; '#' starts a
 * comment; times strictly ascending.
 * Return: 0, or -EINVAL with *@bad_line set (1-based), -ENOMEM.
 * Ownership: free with sim_profile_free().
 */
int sim_profile_parse(struct sim_profile *p, const char *text, int *bad_line);

/* sim_profile_free() - release a FILE profile's arrays; others: no-op. */
void sim_profile_free(struct sim_profile *p);

/* sim_power_w() - socket package power at @load. */
double sim_power_w(const struct sim_params *p, double load);

/* sim_conductance() - socket-to-air conductance at @airflow (0..1 of max), W/K. */
double sim_conductance(const struct sim_params *p, double airflow);

/* sim_steady_temp() - equilibrium temperature at @power_w and @airflow, °C. */
double sim_steady_temp(const struct sim_params *p, double power_w, double airflow);

/* sim_auto_duty() - the chip's automatic fan curve at @temp_c, 0..1. */
double sim_auto_duty(const struct sim_params *p, double temp_c);

/* sim_fan_duty() - applied duty for hwmon controls @enable/@pwm at @temp_c. */
double sim_fan_duty(const struct sim_params *p, int enable, int pwm, double temp_c);

/* sim_airflow() - mean fan speed as a fraction of the maximum, 0..1. */
double sim_airflow(const struct sim_model *m);

/* sim_ccd_temp() - Tccd@ccd (0-based) of socket @s (Intel: core @ccd), °C. */
double sim_ccd_temp(const struct sim_model *m, int s, int ccd);

/* sim_vrm() - socket @s's VRM telemetry. */
struct sim_vrm_out sim_vrm(const struct sim_model *m, int s);

/* sim_dram_power_w() - power of socket @s's DIMMs, W. */
double sim_dram_power_w(const struct sim_model *m, int s);

/* sim_units_to_uj() - @units of 2^-@esu J in µJ (exact in 64 bits). */
uint64_t sim_units_to_uj(uint64_t units, unsigned esu);

/*
 * sim_noise() - uniform noise in [-@amp, +@amp] from @m's seeded
 * generator (measurement noise only: the model state itself is exact).
 */
double sim_noise(struct sim_model *m, double amp);

#endif /* SOVEREIGN_SIM_MODEL_H */
