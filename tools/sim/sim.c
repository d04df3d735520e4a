/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim.c - sovereign-sim: the simulated server.  Creates a fixture tree
 * (hwmon, powercap, MSR, cpuinfo) under --root and updates it from the
 * thermal model every period until SIGINT/SIGTERM, honouring the fan
 * controls the actuator writes.  Options, the loop and the signal flag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "opt.h"
#include "stall.h"
#include "tree.h"

#define PROFILE_FILE_MAX (1 << 20)      /* a profile file larger than 1 MiB is a mistake */
#define STATUS_EVERY_NS 10000000000ull  /* status line on stderr every 10 s */
#define DT_CAP_S 1.0                    /* a stalled loop does not jump the model further */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *root;
	const char *profile;
	enum sim_vendor vendor;
	int sockets, dimms, fans, period_ms, bmc_cpu;
	unsigned bmc_stall_us;
	double bmc_noise_hz, speed;
	uint64_t seed, wrap_uj;
	bool once, noise, print_config, quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sovereign-sim --root DIR [options]\n"
		"  --root DIR             the fixture tree (created; must be empty or a sim tree)\n"
		"  --vendor amd|intel     EPYC 9554 (k10temp) or Xeon 8480+ (coretemp); amd\n"
		"  --sockets 1|2          1\n"
		"  --dimms N              jc42 DIMM sensors, 0..%d; 8\n"
		"  --fans N               nct6779 fan/pwm pairs, 1..%d; 5\n"
		"  --profile P            steady|step|sine|idle|FILE (\"seconds load\" lines); steady\n"
		"  --period-ms N          update period, 10..60000; 100\n"
		"  --bmc-noise HZ         SMIs per simulated second (Intel MSR 0x34); 0\n"
		"  --bmc-stall-us US      make each SMI a real stall: a SCHED_FIFO thread on\n"
		"                         --bmc-cpu busy-spins US us every 1/HZ real seconds\n"
		"                         (HZ from --bmc-noise, not scaled by --speed) and\n"
		"                         MSR 0x34 counts exactly these stalls; needs root\n"
		"                         or CAP_SYS_NICE; 1..100000, 0 = off; 0\n"
		"  --bmc-cpu N            the CPU the stalls hit; 1\n"
		"  --speed X              simulated seconds per real second, 0.01..1000; 1\n"
		"  --wrap-uj N            powercap max_energy_range_uj; %" PRIu64 "\n"
		"  --seed N               measurement-noise seed; 1\n"
		"  --no-noise             exact values (no measurement noise)\n"
		"  --once                 create, one step, exit\n"
		"  --print-config         print a sampler config reading this tree, exit\n"
		"  --quiet                no status lines\n",
		SIM_MAX_DIMMS, SIM_MAX_FANS, SIM_WRAP_UJ_DEFAULT);
}

/* @s as the decimal value of option @name in [@lo, @hi] (opt.h); a refusal says why. */
static int parse_ll(const char *name, const char *s, long long lo, long long hi, long long *out)
{
	struct sov_opt_err err;
	int rc = sov_opt_int(name, s, lo, hi, out, &err);

	if (rc)
		fprintf(stderr, "sovereign-sim: %s\n", err.msg);
	return rc ? -EINVAL : 0;
}

static int parse_double(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "sovereign-sim: %s: '%s' is not a number in [%g, %g]\n",
			name, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_VENDOR = 256, O_SOCKETS, O_DIMMS, O_FANS, O_PROFILE, O_PERIOD, O_NOISE_HZ,
	       O_SPEED, O_ONCE, O_SEED, O_WRAP, O_NO_NOISE, O_PRINT, O_QUIET, O_ROOT, O_HELP,
	       O_STALL_US, O_BMC_CPU };
	static const struct option lo[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "vendor", required_argument, NULL, O_VENDOR },
		{ "sockets", required_argument, NULL, O_SOCKETS },
		{ "dimms", required_argument, NULL, O_DIMMS },
		{ "fans", required_argument, NULL, O_FANS },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "period-ms", required_argument, NULL, O_PERIOD },
		{ "bmc-noise", required_argument, NULL, O_NOISE_HZ },
		{ "bmc-stall-us", required_argument, NULL, O_STALL_US },
		{ "bmc-cpu", required_argument, NULL, O_BMC_CPU },
		{ "speed", required_argument, NULL, O_SPEED },
		{ "once", no_argument, NULL, O_ONCE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "wrap-uj", required_argument, NULL, O_WRAP },
		{ "no-noise", no_argument, NULL, O_NO_NOISE },
		{ "print-config", no_argument, NULL, O_PRINT },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	long long v = 0;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->profile = "steady";
	o->vendor = SIM_AMD;
	o->sockets = 1;
	o->dimms = 8;
	o->fans = 5;
	o->period_ms = 100;
	o->bmc_cpu = 1;
	o->speed = 1.0;
	o->seed = 1;
	o->wrap_uj = SIM_WRAP_UJ_DEFAULT;
	o->noise = true;
	while (ret == 0 && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_ROOT:
			o->root = optarg;
			break;
		case O_VENDOR:
			if (!strcmp(optarg, "amd")) {
				o->vendor = SIM_AMD;
			} else if (!strcmp(optarg, "intel")) {
				o->vendor = SIM_INTEL;
			} else {
				fprintf(stderr, "sovereign-sim: --vendor: amd or intel, not '%s'\n",
					optarg);
				ret = -EINVAL;
			}
			break;
		case O_SOCKETS:
			ret = parse_ll("--sockets", optarg, 1, SIM_MAX_SOCKETS, &v);
			o->sockets = (int)v;
			break;
		case O_DIMMS:
			ret = parse_ll("--dimms", optarg, 0, SIM_MAX_DIMMS, &v);
			o->dimms = (int)v;
			break;
		case O_FANS:
			ret = parse_ll("--fans", optarg, 1, SIM_MAX_FANS, &v);
			o->fans = (int)v;
			break;
		case O_PROFILE:
			o->profile = optarg;
			break;
		case O_PERIOD:
			ret = parse_ll("--period-ms", optarg, 10, 60000, &v);
			o->period_ms = (int)v;
			break;
		case O_NOISE_HZ:
			ret = parse_double("--bmc-noise", optarg, 0.0, 10000.0, &o->bmc_noise_hz);
			break;
		case O_STALL_US:
			ret = parse_ll("--bmc-stall-us", optarg, 0, 100000, &v);
			o->bmc_stall_us = (unsigned)v;
			break;
		case O_BMC_CPU:
			ret = parse_ll("--bmc-cpu", optarg, 0, CPU_SETSIZE - 1, &v);
			o->bmc_cpu = (int)v;
			break;
		case O_SPEED:
			ret = parse_double("--speed", optarg, 0.01, 1000.0, &o->speed);
			break;
		case O_ONCE:
			o->once = true;
			break;
		case O_SEED:
			ret = parse_ll("--seed", optarg, 0, LLONG_MAX, &v);
			o->seed = (uint64_t)v;
			break;
		case O_WRAP:
			ret = parse_ll("--wrap-uj", optarg, 1, LLONG_MAX - 1, &v);
			o->wrap_uj = (uint64_t)v;
			break;
		case O_NO_NOISE:
			o->noise = false;
			break;
		case O_PRINT:
			o->print_config = true;
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			ret = -EINVAL;
		}
	}
	if (ret == 0 && optind < argc) {
		fprintf(stderr, "sovereign-sim: unexpected argument '%s'\n", argv[optind]);
		ret = -EINVAL;
	}
	if (ret == 0 && !o->root) {
		fprintf(stderr, "sovereign-sim: --root DIR is required\n");
		ret = -EINVAL;
	}
	if (ret == 0 && o->bmc_stall_us &&
	    (o->bmc_noise_hz <= 0.0 || 1e6 / o->bmc_noise_hz <= o->bmc_stall_us)) {
		fprintf(stderr, "sovereign-sim: --bmc-stall-us needs --bmc-noise HZ > 0 with a "
			"period (1/HZ) longer than the stall\n");
		ret = -EINVAL;
	}
	if (ret < 0)
		usage(stderr);
	return ret;
}

/* A built-in profile by name, else a "seconds load" file. */
static int load_profile(const char *arg, struct sim_profile *p)
{
	FILE *f;
	char *text;
	size_t n;
	int bad = 0, ret;

	if (sim_profile_builtin(p, arg) == 0)
		return 0;
	f = fopen(arg, "re");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "sovereign-sim: --profile %s: not steady|step|sine|idle, and %s\n",
			arg, strerror(-ret));
		return ret;
	}
	text = malloc(PROFILE_FILE_MAX + 1);
	if (!text) {
		ret = -ENOMEM;
		goto err_close;
	}
	n = fread(text, 1, PROFILE_FILE_MAX + 1, f);
	if (ferror(f) || n > PROFILE_FILE_MAX) {
		fprintf(stderr, "sovereign-sim: %s: read error or larger than %d bytes\n", arg,
			PROFILE_FILE_MAX);
		ret = -EIO;
		goto err_free;
	}
	text[n] = '\0';
	ret = sim_profile_parse(p, text, &bad);
	if (ret < 0)
		fprintf(stderr, "sovereign-sim: %s:%d: expected \"seconds load\" (load 0..1 or "
			"0..100%%, times ascending)\n", arg, bad);
err_free:
	free(text);
err_close:
	fclose(f);
	return ret;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void status(const struct sim_model *m)
{
	const struct sim_socket *k = &m->sock[0];

	fprintf(stderr,
		"sovereign-sim: t=%.1fs load=%.0f%% P=%.0fW T=%.1fC fan1=%.0frpm (pwm %d, "
		"enable %d) smi=%" PRIu64 "\n",
		m->t, k->load * 100.0, k->power_w, k->temp_c, m->fan[0].rpm, m->fan[0].pwm,
		m->fan[0].enable, m->smi_count);
}

static int run(const struct opts *o, struct sim_tree *t, struct sim_model *m,
	       struct sim_stall *st)
{
	const uint64_t period = (uint64_t)o->period_ms * 1000000ull;
	uint64_t last = now_ns(), next = last + period, last_status = last;
	unsigned long overruns = 0;
	struct timespec ts;
	int ret;

	while (!stop) {
		uint64_t now;
		double dt;

		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (ret == EINTR)
			continue;       /* a signal: the loop condition decides */
		if (ret) {
			fprintf(stderr, "sovereign-sim: clock_nanosleep: %s\n", strerror(ret));
			return -ret;
		}
		now = now_ns();
		/* Simulated time follows the real elapsed time, scaled. */
		dt = (double)(now - last) / 1e9;
		dt = (dt > DT_CAP_S ? DT_CAP_S : dt) * o->speed;
		last = now;
		ret = sim_tree_step(t, m, dt);
		if (ret < 0)
			fprintf(stderr, "sovereign-sim: update: %s\n", strerror(-ret));
		next += period;
		if (next <= now) {      /* overslept: skip missed periods, count them */
			overruns += (unsigned long)((now - next) / period + 1);
			next += ((now - next) / period + 1) * period;
		}
		if (!o->quiet && now - last_status >= STATUS_EVERY_NS) {
			if (st->running)        /* MSR 0x34 counts the stalls */
				m->smi_count = atomic_load_explicit(&st->count,
								    memory_order_relaxed);
			status(m);
			last_status = now;
		}
	}
	if (!o->quiet)
		fprintf(stderr, "sovereign-sim: stopped at t=%.1fs, %lu overrun period(s)\n", m->t,
			overruns);
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_tree_opts topts;
	struct sigaction sa;
	struct sim_profile prof;
	struct sim_model m;
	static struct sim_tree t;       /* ~20 KB of paths: not on the stack */
	struct sim_stall st = { .running = false };
	struct opts o;
	int ret;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (load_profile(o.profile, &prof) < 0)
		return 2;
	ret = sim_model_init(&m, o.vendor, o.sockets, o.fans, o.dimms, &prof, o.seed);
	if (ret < 0) {
		fprintf(stderr, "sovereign-sim: model: %s\n", strerror(-ret));
		goto out_free_profile;
	}
	/* With stalls, the stall thread counts the SMIs, in real time. */
	m.smi_hz = o.bmc_stall_us ? 0.0 : o.bmc_noise_hz;

	if (o.print_config) {
		char abs[PATH_MAX], cwd[PATH_MAX];

		if (o.root[0] == '/') {
			snprintf(abs, sizeof(abs), "%s", o.root);
		} else if (getcwd(cwd, sizeof(cwd))) {
			snprintf(abs, sizeof(abs), "%s/%s", cwd, o.root);
		} else {
			ret = -errno;
			fprintf(stderr, "sovereign-sim: getcwd: %s\n", strerror(-ret));
			goto out_free_profile;
		}
		ret = sim_tree_print_config(stdout, abs, &m, o.period_ms);
		goto out_free_profile;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: clock_nanosleep returns EINTR and the loop sees stop. */
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
		ret = -errno;
		fprintf(stderr, "sovereign-sim: sigaction: %s\n", strerror(-ret));
		goto out_free_profile;
	}

	topts.wrap_uj = o.wrap_uj;
	topts.noise = o.noise;
	topts.smi_external = o.bmc_stall_us > 0;
	ret = sim_tree_create(&t, o.root, &m, &topts);
	if (ret < 0) {
		fprintf(stderr, "sovereign-sim: %s\n", t.err);
		goto out_free_profile;
	}
	if (!o.quiet)
		fprintf(stderr, "sovereign-sim: tree at %s (%s, %d socket(s), %d DIMM(s), "
			"%d fan(s)), period %d ms, speed %gx\n", o.root,
			o.vendor == SIM_AMD ? "amd" : "intel", o.sockets, o.dimms, o.fans,
			o.period_ms, o.speed);
	if (o.once) {
		ret = sim_tree_step(&t, &m, o.period_ms / 1000.0 * o.speed);
		if (ret < 0)
			fprintf(stderr, "sovereign-sim: update: %s\n", strerror(-ret));
		if (!o.quiet)
			status(&m);
	} else {
		if (o.bmc_stall_us) {
			ret = sim_stall_start(&st, &t, &m, o.bmc_cpu, o.bmc_noise_hz,
					      o.bmc_stall_us);
			if (ret < 0) {
				fprintf(stderr, "sovereign-sim: BMC stall thread (SCHED_FIFO %d "
					"on cpu %d): %s\n", SIM_STALL_PRIO, o.bmc_cpu,
					strerror(-ret));
				goto out_close;
			}
			if (!o.quiet)
				fprintf(stderr, "sovereign-sim: BMC stalls: %u us every %g ms "
					"on cpu %d\n", o.bmc_stall_us, 1e3 / o.bmc_noise_hz,
					o.bmc_cpu);
		}
		ret = run(&o, &t, &m, &st);
		sim_stall_stop(&st);
		if (atomic_load(&st.put_errors))
			fprintf(stderr, "sovereign-sim: %" PRIu64 " MSR 0x34 write(s) failed\n",
				(uint64_t)atomic_load(&st.put_errors));
	}
out_close:
	sim_tree_close(&t);
out_free_profile:
	sim_profile_free(&prof);
	return ret < 0 ? 1 : 0;
}
