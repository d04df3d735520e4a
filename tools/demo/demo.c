/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * demo.c - sovereign-demo: publishes a small simulated server (CPU, DIMM,
 * fan, power, energy) through libsovereign at a fixed period, so the
 * readers and sovereign-dump have a live segment before the sampler exists.
 * It is a writer like the sampler: absolute-deadline sleep, no allocation
 * in the loop.  The real sampler (rt/) replaces it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sovereign.h"

enum { S_TCTL, S_DIMM, S_FAN, S_DUTY, S_POWER, S_ENERGY, S_VCORE, S_COUNT };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static struct sov_sensor sensor(uint16_t kind, uint16_t unit, const char *chip,
				const char *name, const char *label)
{
	struct sov_sensor s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.unit = unit;
	s.source = SOV_SRC_SIM;
	s.period_ms = 1000;
	snprintf(s.chip, sizeof(s.chip), "%s", chip);
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.label, sizeof(s.label), "%s", label);
	s.id = sov_sensor_id(s.source, s.chip, s.name);
	return s;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static void ts_add_ns(struct timespec *ts, uint64_t ns)
{
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

/* Parse a bounded positive integer option; exits with a message when bad. */
static long parse_long(const char *opt, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < lo || v > hi) {
		fprintf(stderr, "sovereign-demo: %s: '%s' is not a number in [%ld, %ld]\n",
			opt, arg, lo, hi);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sovereign-demo [--name NAME] [--period-ms MS] [--group GROUP]\n"
		   "Publish a simulated server into a Sovereign segment until SIGINT/SIGTERM.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "period-ms", required_argument, NULL, 'p' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sov_writer_opts o = { .name = SOV_SHM_DEFAULT_NAME, .writer_name = "sovereign-demo" };
	struct sov_sensor s[S_COUNT];
	struct sov_writer *w;
	struct timespec next, now, done;
	double temp = 40.0, dimm = 35.0, energy_uj = 0.0;
	uint64_t period_ns = 1000000000u, cycle = 0, overruns = 0, last_cost = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:p:g:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'p': period_ns = (uint64_t)parse_long("--period-ms", optarg, 1, 60000) * 1000000u; break;
		case 'g': o.group = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	o.period_ns = period_ns;

	s[S_TCTL] = sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "k10temp/sim", "temp1", "Tctl");
	s[S_TCTL].flags = SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI;
	s[S_TCTL].warn_hi = 85000;
	s[S_TCTL].crit_hi = 95000;
	s[S_DIMM] = sensor(SOV_KIND_TEMP, SOV_UNIT_MILLICELSIUS, "jc42/sim-0-0018", "temp1", "DIMM A1");
	s[S_DIMM].period_ms = 10000;
	s[S_FAN] = sensor(SOV_KIND_FAN_RPM, SOV_UNIT_RPM, "nct6775/sim", "fan1", "CPU fan");
	s[S_DUTY] = sensor(SOV_KIND_FAN_DUTY, SOV_UNIT_PERMILLE, "nct6775/sim", "pwm1", "CPU fan duty");
	s[S_POWER] = sensor(SOV_KIND_POWER, SOV_UNIT_MICROWATT, "rapl/sim", "package-0", "package");
	s[S_ENERGY] = sensor(SOV_KIND_ENERGY, SOV_UNIT_MICROJOULE, "rapl/sim", "package-0-energy", "package");
	s[S_ENERGY].flags = SOV_SEN_COUNTER;
	s[S_VCORE] = sensor(SOV_KIND_VOLTAGE, SOV_UNIT_MILLIVOLT, "pmbus/sim-3-0040", "in1", "VDDCR_CPU");

	rc = sov_writer_create(&o, s, S_COUNT, &w);
	if (rc) {
		fprintf(stderr, "sovereign-demo: cannot create segment %s: %s\n", o.name, sov_strerror(rc));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "sovereign-demo: publishing %d sensors into %s every %" PRIu64 " ms\n",
		S_COUNT, o.name, period_ns / 1000000u);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		struct sov_slot *st = sov_writer_stage(w);
		double t = (double)cycle * (double)period_ns / 1e9;
		/* A workload that comes and goes every two minutes. */
		double load = 0.5 + 0.45 * sin(t * 2.0 * M_PI / 120.0);
		double power_w = 90.0 + 260.0 * load;
		double duty = fmin(1.0, fmax(0.2, (temp - 45.0) / 40.0));
		double dt = (double)period_ns / 1e9;
		uint64_t mono;

		/* First-order thermal model: heat in from power, out through the fan. */
		temp += dt * (power_w * 0.004 - (temp - 25.0) * (0.02 + 0.08 * duty));
		dimm += dt * 0.01 * ((30.0 + 20.0 * load) - dimm);
		energy_uj += power_w * dt * 1e6;

		mono = ts_ns(&next);
		clock_gettime(CLOCK_REALTIME, &now);
		st->mono_ns = mono;
		st->real_ns = ts_ns(&now);
		st->cycle_cost_ns = last_cost;
		st->overruns = overruns;
		sov_writer_set(w, S_TCTL, (int64_t)(temp * 1000.0), mono);
		if (cycle % 10 == 0)	/* DIMM sensors are slow: 0.1 Hz */
			sov_writer_set(w, S_DIMM, (int64_t)(dimm * 1000.0), mono);
		sov_writer_set(w, S_FAN, (int64_t)(600.0 + 2400.0 * duty), mono);
		sov_writer_set(w, S_DUTY, (int64_t)(duty * 1000.0), mono);
		sov_writer_set(w, S_POWER, (int64_t)(power_w * 1e6), mono);
		sov_writer_set(w, S_ENERGY, (int64_t)energy_uj, mono);
		sov_writer_set(w, S_VCORE, (int64_t)(950.0 + 150.0 * load), mono);
		sov_writer_publish(w);

		clock_gettime(CLOCK_MONOTONIC, &done);
		last_cost = ts_ns(&done) - mono;
		cycle++;
		ts_add_ns(&next, period_ns);
		/* Catch up after oversleeping, counting each missed deadline. */
		while (ts_ns(&done) > ts_ns(&next)) {
			overruns++;
			ts_add_ns(&next, period_ns);
		}
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	sov_writer_close(w);
	fprintf(stderr, "sovereign-demo: stopped after %" PRIu64 " samples\n", cycle);
	return 0;
}
