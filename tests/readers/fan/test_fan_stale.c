/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fan_stale.c - the fan's stale failsafe against a hung (live, not
 * dead) sampler: sovereign-sim keeps the tree alive, the real sampler
 * publishes it, sovereign-fan drives the pwm files; SIGSTOP freezes the
 * sampler (its writer lock stays held, so only the samples' age can tell),
 * SIGCONT lets it go on.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_stack.h"

/* The fan's log so far, for failure messages. */
#define FAN_LOG stack_file_text(dir, "fan.log")
#include "sovereign.h"

/* The loop periods (ms) of the sampler and the fan, and stale_periods. */
#define PERIOD_MS 100
#define STALE_PERIODS 5
#define STALE_MS (STALE_PERIODS * PERIOD_MS)
/* Scheduling margin on a shared 2-core machine (ctest -j2, sanitizers). */
#define MARGIN_MS 250

static char dir[64], tree[128], conf[128], fconf[128], seg[64], state[64], nct[160];
static pid_t sim_pid = -1, sampler_pid = -1, fan_pid = -1;

static void setup(void)
{
	static int n;

	snprintf(dir, sizeof(dir), "/tmp/sov-fanst-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(conf, sizeof(conf), "%s/sampler.conf", dir);
	snprintf(fconf, sizeof(fconf), "%s/fan.conf", dir);
	snprintf(seg, sizeof(seg), "/sov-fanst-%d-%d", (int)getpid(), n);
	snprintf(state, sizeof(state), "/sov-fanst-%d-%d-state", (int)getpid(), n++);
}

static void teardown(void)
{
	stack_stop_child(&fan_pid);
	stack_stop_child(&sampler_pid);   /* SIGCONT first: it may be stopped */
	stack_stop_child(&sim_pid);
	stack_rm_dir(dir);
	sov_shm_unlink(seg);
	sov_shm_unlink(state);
}

TestSuite(fan_stale, .init = setup, .fini = teardown, .timeout = 60);

static long read_attr(const char *name)
{
	char p[256], buf[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", nct, name);
	f = fopen(p, "r");
	cr_assert_not_null(f, "%s", p);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/* How many events of @type whose text has @needle the state segment holds. */
static int count_events(struct sov_reader *st, uint16_t type, const char *needle)
{
	struct sov_event ev[64];
	uint64_t cursor = 0;
	int n = sov_reader_events(st, &cursor, ev, 64, NULL), k = 0;

	for (int i = 0; i < n; i++)
		if (ev[i].type == type && strstr(ev[i].text, needle))
			k++;
	return k;
}

/* pwm1 at the stale failsafe (level_stale 1000: full speed, manual mode). */
static bool at_failsafe(void)
{
	return read_attr("pwm1") == 255 && read_attr("pwm1_enable") == 1;
}

/*
 * SIGSTOP the sampler: within stale_periods sampler periods (the last
 * sample's age) plus one fan period, pwm1 is at full speed and a
 * FAILSAFE_ENTER event says "stale"; SIGCONT: the zone leaves failsafe
 * (a FAILSAFE_EXIT event) and pwm1 comes down from full speed.
 */
Test(fan_stale, sigstop_sampler_fails_safe_then_sigcont_resumes)
{
	char *sim[] = { SOV_SIM_BIN, "--root", tree, "--period-ms", "20", "--profile", "idle",
			"--speed", "20", "--quiet", NULL };
	char *once[] = { SOV_SIM_BIN, "--root", tree, "--once", "--quiet", NULL };
	char *sampler[] = { SOV_SAMPLER_BIN, "-c", conf, "--segment", seg, "--no-rt", NULL };
	char *fan[] = { SOV_FAN_BIN, "-c", fconf, NULL };
	char log[160];
	struct sov_reader *st;
	int64_t t0, stopped_ms = -1;
	int exits;
	FILE *f;

	cr_assert_eq(stack_run(once), 0, "sovereign-sim --once");
	sim_pid = stack_spawn(sim, NULL);
	stack_hwmon_path(tree, "nct6779", nct, sizeof(nct));
	stack_write_sampler_conf(SOV_SIM_BIN, tree, conf, "100", "");
	snprintf(log, sizeof(log), "%s/sampler.log", dir);
	sampler_pid = stack_spawn(sampler, log);
	sov_reader_close(stack_attach(seg, dir, "fan.log"));
	f = fopen(fconf, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"[fan]\nsegment = %s\nstate_segment = %s\nroot = %s\nperiod_ms = %d\n"
		"min_duty = 200\ngood_samples = 3\nstale_periods = %d\nlevel_stale = 1000\n"
		"[zone cpu]\nsensors = k10temp:Tctl\n"
		"fans = nct6779:pwm1, nct6779:pwm2, nct6779:pwm3, nct6779:pwm4, nct6779:pwm5\n"
		"setpoint = 80000\nkp = 20\nki = 10\nslew_per_s = 500\n",
		seg, state, tree, PERIOD_MS, STALE_PERIODS);
	fclose(f);
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	fan_pid = stack_spawn(fan, log);
	st = stack_attach(state, dir, "fan.log");

	/* Controlling, and slewed down from the start duty. */
	for (int i = 0; i < 1000 && stack_value(st, "cpu-failsafe") != 0; i++)
		stack_sleep_ms(20);
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "still failing safe: %s", FAN_LOG);
	stack_sleep_ms(2500);
	cr_assert_lt(read_attr("pwm1"), 255, "idle load, under control: %s", FAN_LOG);
	cr_assert_eq(count_events(st, SOV_EV_FAILSAFE_ENTER, "stale"), 0, "%s", FAN_LOG);

	cr_assert_eq(kill(sampler_pid, SIGSTOP), 0);
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 <= STALE_MS + PERIOD_MS + 2000) {
		if (at_failsafe()) {
			stopped_ms = stack_now_ms() - t0;
			break;
		}
		stack_sleep_ms(5);
	}
	cr_assert_geq(stopped_ms, 0, "no full speed 2.6 s after SIGSTOP: %s", FAN_LOG);
	cr_log_info("full speed %lld ms after SIGSTOP (stale %d ms + period %d ms)",
		    (long long)stopped_ms, STALE_MS, PERIOD_MS);
	cr_assert_leq(stopped_ms, STALE_MS + PERIOD_MS + MARGIN_MS,
		      "full speed %lld ms after SIGSTOP: later than stale %d ms + one period "
		      "%d ms (+ %d ms margin)", (long long)stopped_ms, STALE_MS, PERIOD_MS,
		      MARGIN_MS);
	/* The fan publishes its event in the period it writes the pwm; allow one more. */
	for (int i = 0; i < 50 && !count_events(st, SOV_EV_FAILSAFE_ENTER, "stale zone=cpu"); i++)
		stack_sleep_ms(10);
	cr_assert_eq(count_events(st, SOV_EV_FAILSAFE_ENTER, "stale zone=cpu"), 1,
		     "one FAILSAFE_ENTER naming stale: %s", FAN_LOG);
	cr_assert(strstr(FAN_LOG, "zone cpu: failsafe (stale"), "%s", FAN_LOG);
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 1);
	/* Still frozen: it stays at failsafe. */
	stack_sleep_ms(1000);
	cr_assert(at_failsafe(), "left failsafe with the sampler still stopped: %s", FAN_LOG);

	exits = count_events(st, SOV_EV_FAILSAFE_EXIT, "zone=cpu");
	cr_assert_eq(kill(sampler_pid, SIGCONT), 0);
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 < 10000 && (stack_value(st, "cpu-failsafe") != 0 || at_failsafe()))
		stack_sleep_ms(10);
	cr_log_info("control back %lld ms after SIGCONT", (long long)(stack_now_ms() - t0));
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "still in failsafe 10 s after SIGCONT: %s",
		     FAN_LOG);
	cr_assert_lt(read_attr("pwm1"), 255, "pwm1 still at full speed: %s", FAN_LOG);
	cr_assert_eq(read_attr("pwm1_enable"), 1, "the fan keeps manual control");
	cr_assert_eq(count_events(st, SOV_EV_FAILSAFE_EXIT, "zone=cpu"), exits + 1,
		     "a FAILSAFE_EXIT event after SIGCONT: %s", FAN_LOG);
	sov_reader_close(st);
}
