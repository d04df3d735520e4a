/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fan_sim.c - sovereign-fan against the simulated server: sovereign-sim
 * keeps the tree alive (thermal time compressed with --speed), the real
 * sampler publishes it, and the actuator drives the tree's pwmN files.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_stack.h"

/* The fan's log so far, for failure messages. */
#define FAN_LOG stack_file_text(dir, "fan.log")
#include "sovereign.h"

static char dir[64], tree[128], conf[128], fconf[128], seg[64], state[64], nct[64];
static pid_t sim_pid = -1, sampler_pid = -1, fan_pid = -1;
static void fake_stop(void);

static void setup(void)
{
	static int n;

	snprintf(dir, sizeof(dir), "/tmp/sov-fan-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(conf, sizeof(conf), "%s/sampler.conf", dir);
	snprintf(fconf, sizeof(fconf), "%s/fan.conf", dir);
	snprintf(seg, sizeof(seg), "/sov-fan-%d-%d", (int)getpid(), n);
	snprintf(state, sizeof(state), "/sov-fan-%d-%d-state", (int)getpid(), n++);
}

static void teardown(void)
{
	fake_stop();
	stack_stop_child(&fan_pid);
	stack_stop_child(&sampler_pid);
	stack_stop_child(&sim_pid);
	stack_rm_dir(dir);
	sov_shm_unlink(seg);
	sov_shm_unlink(state);
}

TestSuite(fan_sim, .init = setup, .fini = teardown, .timeout = 45);
TestSuite(fan_settle, .init = setup, .fini = teardown, .timeout = 55);
TestSuite(fan_rpm, .init = setup, .fini = teardown, .timeout = 55);
TestSuite(fan_reload, .init = setup, .fini = teardown, .timeout = 110);
TestSuite(fan_journal, .init = setup, .fini = teardown, .timeout = 55);
TestSuite(fan_restore, .init = setup, .fini = teardown, .timeout = 80);
TestSuite(fan_input, .init = setup, .fini = teardown, .timeout = 80);
TestSuite(fan_pwm, .init = setup, .fini = teardown, .timeout = 80);

static void start_sim(const char *profile, const char *speed)
{
	sim_pid = stack_start_sim(SOV_SIM_BIN, tree, profile, speed);
	stack_hwmon_path(tree, "nct6779", nct, sizeof(nct));
}

static void start_sampler(const char *extra)
{
	char log[160];
	char *argv[] = { SOV_SAMPLER_BIN, "-c", conf, "--segment", seg, "--no-rt", NULL };

	stack_write_sampler_conf(SOV_SIM_BIN, tree, conf, "100", extra);
	snprintf(log, sizeof(log), "%s/sampler.log", dir);
	sampler_pid = stack_spawn(argv, log);
}

/*
 * The actuator's configuration: every fan of the tree in zone cpu, PID
 * tuned for --speed 20 (tau ~1.7 s real); @fan_extra ends [fan] (from
 * line 9), @extra follows the zone's 7 lines (from line 16 on when
 * @fan_extra is empty).  A key given again in an extra overrides (the last
 * one counts).  stale_periods is 20 (2 s): a sampler late on cores other
 * tests load (ctest -j2) must not fail a test that is not about staleness;
 * the staleness tests set their own.
 */
static void write_fan_conf(const char *fan_extra, const char *extra)
{
	FILE *f = fopen(fconf, "w");

	cr_assert_not_null(f);
	fprintf(f,
		"[fan]\nsegment = %s\nstate_segment = %s\nroot = %s\nperiod_ms = 100\n"
		"min_duty = 200\ngood_samples = 3\nstale_periods = 20\n%s"
		"[zone cpu]\nsensors = k10temp:Tctl\n"
		"fans = nct6779:pwm1, nct6779:pwm2, nct6779:pwm3, nct6779:pwm4, nct6779:pwm5\n"
		"setpoint = 80000\nkp = 20\nki = 10\nslew_per_s = 500\n%s",
		seg, state, tree, fan_extra, extra);
	fclose(f);
}

static void start_fan_bin(const char *bin, const char *fan_extra, const char *extra)
{
	char log[160];
	char *argv[] = { (char *)bin, "-c", fconf, NULL };

	write_fan_conf(fan_extra, extra);
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	fan_pid = stack_spawn(argv, log);
}

static void start_fan_with(const char *extra)
{
	start_fan_bin(SOV_FAN_BIN, "", extra);
}

static void start_fan(void)
{
	start_fan_with("");
}

/* Poll every @step_ms while @busy holds, for at most @limit_ms. */
#define POLL_WHILE(busy, limit_ms, step_ms)                                      \
	do {                                                                     \
		int64_t t0_ = stack_now_ms();                                     \
									         \
		while ((busy) && stack_now_ms() - t0_ < (limit_ms))               \
			stack_sleep_ms(step_ms);                                  \
	} while (0)

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

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(pwrite(fd, text, strlen(text), 0), (ssize_t)strlen(text));
	cr_assert_eq(ftruncate(fd, (off_t)strlen(text)), 0);
	close(fd);
}

static void put_attr(const char *name, const char *text)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", nct, name);
	put(p, text);
}

/* Wait (up to 20 s: loaded cores) until the zone has left its start failsafe. */
static void wait_controlling(struct sov_reader *st)
{
	for (int i = 0; i < 1000 && stack_value(st, "cpu-failsafe") != 0; i++)
		stack_sleep_ms(20);
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "still failing safe: %s", FAN_LOG);
}

/* The simulated server (--speed 20, @profile) and the sampler on it (@sampler_extra), attached once. */
static void start_stack(const char *profile, const char *sampler_extra)
{
	start_sim(profile, "20");
	start_sampler(sampler_extra);
	sov_reader_close(stack_attach(seg, dir, "fan.log")); /* wait for the sampler */
}

/* Start the actuator @bin (start_fan_bin()), attach its state segment, wait until it controls. */
static struct sov_reader *fan_controlling(const char *bin, const char *fan_extra, const char *extra)
{
	struct sov_reader *st;

	start_fan_bin(bin, fan_extra, extra);
	st = stack_attach(state, dir, "fan.log");
	wait_controlling(st);
	return st;
}

/* Does the state segment hold an event of @type whose text has @needle? */
static bool has_event(struct sov_reader *st, uint16_t type, const char *needle)
{
	struct sov_event ev[64];
	uint64_t cursor = 0;
	int n = sov_reader_events(st, &cursor, ev, 64, NULL);

	for (int i = 0; i < n; i++)
		if (ev[i].type == type && (!needle || strstr(ev[i].text, needle)))
			return true;
	return false;
}

/* Milliseconds until pwm1 reads 255 (full speed), or -1 after @limit_ms. */
static long wait_full_speed(long limit_ms)
{
	int64_t t0 = stack_now_ms();

	while (stack_now_ms() - t0 <= limit_ms) {
		if (read_attr("pwm1") == 255 && read_attr("pwm1_enable") == 1)
			return (long)(stack_now_ms() - t0);
		stack_sleep_ms(5);
	}
	return -1;
}

/* (a) and (f): from a load step, Tctl settles at the setpoint; no duty below the floor. */
Test(fan_settle, load_step_settles_within_2C_without_oscillation)
{
	struct sov_reader *r, *st;
	int64_t t0, lo = INT64_MAX, hi = INT64_MIN, last = 0;
	long minraw = 1000;
	int64_t minduty = INT64_MAX;

	start_sim("step", "20");    /* full load at 30 s simulated = 1.5 s here */
	start_sampler("");
	r = stack_attach(seg, dir, "fan.log");
	start_fan();
	st = stack_attach(state, dir, "fan.log");
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 < 22000) {
		int64_t t = stack_value(r, "Tctl"), d = stack_value(st, "cpu-duty");
		long raw = read_attr("pwm1");

		/* The sim rewrites pwm1 only in automatic mode; under us it is what we wrote. */
		if (read_attr("pwm1_enable") == 1 && raw >= 0 && raw < minraw)
			minraw = raw;
		if (d != INT64_MIN && d < minduty)
			minduty = d;
		if (stack_now_ms() - t0 > 14000 && t != INT64_MIN) {
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
			last = t;
		}
		stack_sleep_ms(50);
	}
	cr_log_info("last 8 s: Tctl %lld..%lld m°C, duty now %lld", (long long)lo, (long long)hi,
		    (long long)stack_value(st, "cpu-duty"));
	cr_assert(lo >= 78000 && hi <= 82000, "Tctl %lld..%lld outside 80 +- 2 °C: %s",
		  (long long)lo, (long long)hi, FAN_LOG);
	cr_assert_lt(hi - lo, 4000, "peak-to-peak %lld m°C", (long long)(hi - lo));
	cr_assert(last > 0);
	cr_assert_geq(minraw, 51, "pwm1 went down to %ld (< 20 %%)", minraw);
	cr_assert_geq(minduty, 200, "published duty %lld", (long long)minduty);
	{
		/* Full load at 80 °C needs ~60 % airflow (model.c calibration). */
		int64_t d = stack_value(st, "cpu-duty");

		cr_assert(d > 400 && d < 850, "duty %lld", (long long)d);
	}
	cr_assert(has_event(st, SOV_EV_FAILSAFE_EXIT, "zone=cpu"), "start failsafe left, as an event");
	sov_reader_close(st);
	sov_reader_close(r);
}

/* (f): at idle the PID asks for less than the floor; the floor is what is written. */
Test(fan_sim, duty_never_below_minimum)
{
	struct sov_reader *st;
	int64_t t0;
	long minraw = 1000, lastraw = -1;

	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_BIN, "", "");
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 < 4000) {
		long raw = read_attr("pwm1");

		cr_assert_eq(read_attr("pwm1_enable"), 1);
		if (raw >= 0) {
			minraw = raw < minraw ? raw : minraw;
			lastraw = raw;
		}
		cr_assert_geq(stack_value(st, "cpu-duty"), 200);
		stack_sleep_ms(10);
	}
	cr_assert_geq(minraw, 51, "pwm1 %ld below 20 %%", minraw);
	cr_assert_eq(lastraw, 51, "idle: held at the floor, not above (%ld)", lastraw);
	sov_reader_close(st);
}

/* (b): the sampler dies -> full speed within one period (+ margin). */
Test(fan_sim, sampler_killed_full_speed_within_a_period)
{
	struct sov_reader *st;
	long ms;

	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_BIN, "", "");
	stack_sleep_ms(2500);   /* slewed down from the start duty */
	cr_assert_lt(read_attr("pwm1"), 255);
	kill(sampler_pid, SIGKILL);
	waitpid(sampler_pid, NULL, 0);
	sampler_pid = -1;
	ms = wait_full_speed(1000);
	cr_assert_geq(ms, 0, "no full speed after the sampler died: %s", FAN_LOG);
	/* One 100 ms period plus scheduling margin on a shared machine. */
	cr_assert_leq(ms, 300, "full speed after %ld ms (period 100 ms)", ms);
	cr_log_info("full speed %ld ms after SIGKILL", ms);
	stack_sleep_ms(200);
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 1);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "restart"), "event names the reason");
	cr_assert(strstr(FAN_LOG, "failsafe (restart"), "%s", FAN_LOG);
	sov_reader_close(st);
}

/* (c): Tctl reads garbage -> the sampler marks it invalid -> the zone fails safe, then recovers. */
Test(fan_sim, invalid_sensor_fails_safe_and_recovers)
{
	struct sov_reader *st;
	char p[256];
	long ms;

	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_BIN, "", "");
	stack_sleep_ms(2500);
	cr_assert_lt(read_attr("pwm1"), 255);
	/* Stop the sim so it does not rewrite the file, then spoil it. */
	kill(sim_pid, SIGSTOP);
	snprintf(p, sizeof(p), "%s/sys/class/hwmon/hwmon0/temp1_input", tree);
	put(p, "garbage\n");
	ms = wait_full_speed(1500);
	cr_assert_geq(ms, 0, "no failsafe on an invalid sensor: %s", FAN_LOG);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "sensor"), "%s", FAN_LOG);
	cr_assert_eq(stack_value(st, "cpu-input"), INT64_MIN, "the zone input is published invalid");
	/* The sim writes a real value again: the zone leaves failsafe after good samples. */
	kill(sim_pid, SIGCONT);
	for (int i = 0; i < 200 && stack_value(st, "cpu-failsafe") != 0; i++)
		stack_sleep_ms(20);
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "%s", FAN_LOG);
	sov_reader_close(st);
}

/*
 * (d): SIGTERM gives back the original pwm3_enable (the chip's automatic
 * mode 3) and pwm2_enable (automatic); pwm1, found in manual mode at 77
 * with no record of who set it (it may be a crashed run's own duty), is
 * given to the chip's automatic mode, never back to a manual duty.
 */
Test(fan_sim, sigterm_restores_original_settings)
{
	struct sov_reader *st;
	int status;

	start_sim("idle", "20");
	/* After the sim's first step (it writes the chip's power-on controls), set pwm1 by hand. */
	stack_sleep_ms(300);
	put_attr("pwm1_enable", "1\n");
	put_attr("pwm1", "77\n");
	put_attr("pwm3_enable", "3\n");
	stack_sleep_ms(100);
	cr_assert_eq(read_attr("pwm1_enable"), 1, "the sim keeps a manual setting");
	cr_assert_eq(read_attr("pwm1"), 77);
	start_sampler("");
	sov_reader_close(stack_attach(seg, dir, "fan.log")); /* wait for the sampler */
	st = fan_controlling(SOV_FAN_BIN, "", "");
	cr_assert_eq(read_attr("pwm1_enable"), 1);
	cr_assert_eq(read_attr("pwm2_enable"), 1, "taken over from automatic");
	cr_assert_neq(read_attr("pwm1"), 77, "driven by the actuator");
	kill(fan_pid, SIGTERM);
	cr_assert_eq(waitpid(fan_pid, &status, 0), fan_pid);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	cr_assert_eq(read_attr("pwm1_enable"), 2, "a manual duty of unknown origin is not restored");
	cr_assert_eq(read_attr("pwm2_enable"), 2, "automatic mode back");
	cr_assert_eq(read_attr("pwm3_enable"), 3, "the chip's own automatic mode back");
	cr_assert(strstr(FAN_LOG,
			 "pwm1: manual control (was enable 1 pwm 77; original unknown)"), "%s",
		  FAN_LOG);
	cr_assert(strstr(FAN_LOG, "pwm2: manual control (was enable 2 pwm"), "%s",
		  FAN_LOG);
	cr_assert(strstr(FAN_LOG, "pwm3: original restored (enable 3 pwm"), "%s",
		  FAN_LOG);
	sov_reader_close(st);
}

/* (e): another program switches pwm1 to automatic -> said once, control taken back. */
Test(fan_sim, foreign_write_noticed_and_control_reasserted)
{
	struct sov_reader *st;
	const char *log;
	int64_t t0;

	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_BIN, "", "");
	stack_sleep_ms(2500);
	put_attr("pwm1_enable", "2\n");
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 < 1000 && !has_event(st, SOV_EV_DEGRADED, "another writer"))
		stack_sleep_ms(10);
	cr_assert(has_event(st, SOV_EV_DEGRADED, "pwm1: enable 2"), "%s", FAN_LOG);
	stack_sleep_ms(300);
	cr_assert_eq(read_attr("pwm1_enable"), 1, "control re-asserted");
	cr_assert_eq(read_attr("pwm1"), 51, "back at the actuator's duty");
	/* A script pokes pwm1 itself: noticed too. */
	put_attr("pwm1", "200\n");
	stack_sleep_ms(400);
	cr_assert_eq(read_attr("pwm1"), 51);
	log = FAN_LOG;
	cr_assert(strstr(log, "pwm1: enable 1 pwm 200 by another writer"), "%s", log);
	/* Once per occurrence: the first message appears once. */
	cr_assert_null(strstr(strstr(log, "pwm1: enable 2") + 1, "pwm1: enable 2"), "%s", log);
	sov_reader_close(st);
}

/* A temperature at its critical limit (from the sampler's table) fails the zone safe. */
Test(fan_sim, critical_temperature_fails_safe)
{
	struct sov_reader *st;
	long ms;

	start_stack("idle", "[sensor k10temp/temp1]\ncrit_hi = 30C\n");
	/* Idle Tctl is ~35-45 °C: a 30 °C critical limit is always crossed. */
	/* Below the limit: a setpoint at or above it is refused (contradicts the hardware). */
	start_fan_with("setpoint = 25000\n");
	st = stack_attach(state, dir, "fan.log");
	ms = wait_full_speed(1000);
	cr_assert_geq(ms, 0);
	stack_sleep_ms(1500);   /* long past good_samples periods */
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 1, "%s", FAN_LOG);
	cr_assert_eq(read_attr("pwm1"), 255);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "critical"), "%s", FAN_LOG);
	sov_reader_close(st);
}

/* The configuration shipped in tools/deploy runs as it is on the simulated server. */
Test(fan_sim, shipped_config_runs)
{
	char log[160];
	char *argv[] = { SOV_FAN_BIN, "-c", SOV_SHIPPED_FAN_CONF, "--root", tree, "--segment", seg,
			 "--state-segment", state, NULL };
	struct sov_reader *st;
	int status;

	start_stack("idle", "");
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	fan_pid = stack_spawn(argv, log);
	st = stack_attach(state, dir, "fan.log");
	cr_assert_eq(sov_reader_header(st)->period_ns, 100000000, "the sampler's period");
	cr_assert_eq(read_attr("pwm5_enable"), 1);
	kill(fan_pid, SIGTERM);
	cr_assert_eq(waitpid(fan_pid, &status, 0), fan_pid);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", FAN_LOG);
	cr_assert(strstr(FAN_LOG, "1 zone(s), 5 fan(s)"), "%s", FAN_LOG);
	cr_assert_eq(read_attr("pwm5_enable"), 2);
	sov_reader_close(st);
}

/* A bad configuration names file and line, and touches no fan. */
Test(fan_sim, bad_config_names_file_and_line)
{
	char log[160];
	char *argv[] = { SOV_FAN_BIN, "-c", fconf, NULL };
	FILE *f;
	int status;

	start_sim("idle", "20");
	stack_sleep_ms(200);
	f = fopen(fconf, "w");
	cr_assert_not_null(f);
	fprintf(f, "[fan]\nroot = %s\n[zone cpu]\nsensors = Tctl\nfans = nct6779:pwm1\nkp = fast\n", tree);
	fclose(f);
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	fan_pid = stack_spawn(argv, log);
	cr_assert_eq(waitpid(fan_pid, &status, 0), fan_pid);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	cr_assert(strstr(FAN_LOG, "fan.conf:6") && strstr(FAN_LOG, "kp"),
		  "%s", FAN_LOG);
	cr_assert_eq(read_attr("pwm1_enable"), 2, "no fan touched");
}

/* A fan reading 0 RPM while driven above the floor is a stall: full speed. */
Test(fan_sim, stalled_fan_fails_safe)
{
	struct sov_reader *st;
	char p[256];
	long ms;

	start_stack("step", "");   /* loaded: the PID drives the fans above the floor */
	st = fan_controlling(SOV_FAN_BIN, "", "");
	for (int i = 0; i < 200 && read_attr("pwm1") >= 255; i++)
		stack_sleep_ms(20);
	cr_assert_lt(read_attr("pwm1"), 255);
	cr_assert_gt(read_attr("pwm1"), 51, "driven above the floor");
	/* Freeze the sim, stop fan3's tachometer. */
	kill(sim_pid, SIGSTOP);
	snprintf(p, sizeof(p), "%s/fan3_input", nct);
	put(p, "0\n");
	ms = wait_full_speed(1500);
	cr_assert_geq(ms, 0, "no failsafe on a stalled fan: %s", FAN_LOG);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "stall"), "%s", FAN_LOG);
	kill(sim_pid, SIGCONT);
	sov_reader_close(st);
}

/* A frozen sensor (the sampler flags it suspect) fails the zone safe. */
Test(fan_sim, suspect_sensor_fails_safe)
{
	struct sov_reader *st;
	long ms;

	start_stack("step", "[sensor k10temp/temp1]\nstuck_s = 1\n");
	st = fan_controlling(SOV_FAN_BIN, "", "");
	for (int i = 0; i < 200 && read_attr("pwm1") >= 255; i++)
		stack_sleep_ms(20);
	cr_assert_lt(read_attr("pwm1"), 255);
	/* The sim stops: Tctl stops changing; after stuck_s the sampler says suspect. */
	kill(sim_pid, SIGSTOP);
	ms = wait_full_speed(3000);
	cr_assert_geq(ms, 800, "not before stuck_s: %ld ms", ms);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "sensor"), "%s", FAN_LOG);
	kill(sim_pid, SIGCONT);
	sov_reader_close(st);
}

/* A stepwise zone over every DIMM shares pwm1 with the CPU's PID: the fan gets the larger duty. */
Test(fan_sim, stepwise_zone_and_shared_fan)
{
	struct sov_reader *st;
	int64_t in;

	start_stack("idle", "");
	start_fan_with("[zone dimm]\nsensors = jc42:temp1\nfans = nct6779:pwm1\n"
		       "stepwise = 0:900, 100000:1000\n");
	st = stack_attach(state, dir, "fan.log");
	wait_controlling(st);
	for (int i = 0; i < 200 && stack_value(st, "dimm-failsafe") != 0; i++)
		stack_sleep_ms(20);
	stack_sleep_ms(2500);   /* the CPU zone slews down to its floor */
	cr_assert_eq(stack_value(st, "dimm-duty"), 900);
	cr_assert_eq(stack_value(st, "cpu-duty"), 200);
	cr_assert_eq(read_attr("pwm1"), 230, "shared: the larger duty (90 %%)");
	cr_assert_eq(read_attr("pwm2"), 51, "CPU zone only: its floor");
	in = stack_value(st, "dimm-input");
	cr_assert(in > 20000 && in < 80000, "hottest DIMM %lld m°C", (long long)in);
	sov_reader_close(st);
}

/* ---- the inner fan-speed loop ---- */

/* RPM of nct6779's fan@n in the sampler's segment (INT64_MIN: none). */
static int64_t fan_rpm(struct sov_reader *r, int n)
{
	struct sov_sample *s = sov_sample_alloc(r);
	struct sov_sensor d;
	char key[16];
	int64_t v = INT64_MIN;

	cr_assert_not_null(s);
	snprintf(key, sizeof(key), "fan%d", n);
	for (uint32_t i = 0; i < sov_reader_nsensors(r); i++) {
		if (sov_reader_sensor(r, i, &d) || strncmp(d.chip, "nct6779", 7) || strcmp(d.name, key))
			continue;
		if (sov_reader_latest(r, s) || sov_sample_get(s, i, &v, NULL))
			v = INT64_MIN;
		break;
	}
	sov_sample_free(s);
	return v;
}

/*
 * For @ms: every fan's measured RPM against the published RPM setpoint.
 * Return: the largest relative error seen, in per-mille; *@mean_pm gets
 * the mean one.
 */
static int64_t rpm_tracking(struct sov_reader *r, struct sov_reader *st, int64_t want, long ms,
			    double *mean_pm)
{
	int64_t t0 = stack_now_ms(), worst = 0;
	double sum = 0;
	long n = 0;

	while (stack_now_ms() - t0 < ms) {
		int64_t sp = stack_value(st, "cpu-rpm-target");

		cr_assert_eq(sp, want, "RPM setpoint %lld: %s", (long long)sp, FAN_LOG);
		cr_assert_eq(stack_value(st, "cpu-failsafe"), 0);
		for (int k = 1; k <= 5; k++) {
			int64_t rpm = fan_rpm(r, k), e;

			cr_assert_neq(rpm, INT64_MIN, "fan%d", k);
			e = llabs(rpm - want) * 1000 / want;
			worst = e > worst ? e : worst;
			sum += (double)e;
			n++;
		}
		stack_sleep_ms(50);
	}
	*mean_pm = sum / (double)n;
	return worst;
}

/*
 * rpm_loop: the thermal PID's output is an RPM setpoint (idle: it sits at
 * rpm_min; the thermal gains are in RPM now, 12 x the duty ones), each
 * fan's inner loop drives its duty until the simulated tachometer (speed
 * from pwm, spin-up lag) reads it; a reload moves the setpoint and the
 * fans follow.
 */
Test(fan_rpm, measured_rpm_follows_the_setpoint)
{
	static const char zone[] = "rpm_loop = yes\nrpm_min = 6000\nrpm_max = 12000\n"
				   "kp = 240\nki = 120\nslew_per_s = 5000\n"
				   "rpm_kp = 0.03\nrpm_ki = 0.15\n";
	struct sov_reader *r, *st;
	double mean;
	int64_t worst, d;
	char extra[256];

	start_sim("idle", "20");
	/* The inner RPM loop runs every 100 ms: the tachometers must be read as
	 * often (the sampler's fan_period_ms default is a BMC's 1 s). */
	start_sampler("[sampler]\nfan_period_ms = 100\n");
	r = stack_attach(seg, dir, "fan.log");
	/* A tracking test, not a failsafe one: tolerate a sampler late on a busy machine. */
	st = fan_controlling(SOV_FAN_BIN, "stale_periods = 10\n", zone);
	/* From the start failsafe (12000 RPM) down to 6000: within 3 % after ~2.5 s. */
	stack_sleep_ms(3500);
	worst = rpm_tracking(r, st, 6000, 1500, &mean);
	d = stack_value(st, "cpu-duty");
	cr_log_info("6000 RPM: error mean %.1f, worst %lld per-mille; duty %lld", mean,
		    (long long)worst, (long long)d);
	cr_assert_leq(worst, 30, "measured RPM off the setpoint by %lld per-mille: %s",
		      (long long)worst, FAN_LOG);
	/* The sim's fan: RPM = 12000 * duty: 6000 RPM is ~50 % duty. */
	cr_assert(d > 420 && d < 580, "duty %lld", (long long)d);
	cr_assert_eq(read_attr("pwm1_enable"), 1);

	snprintf(extra, sizeof(extra), "%srpm_min = 9000\n", zone);
	write_fan_conf("stale_periods = 10\n", extra);
	kill(fan_pid, SIGHUP);
	stack_sleep_ms(3000);
	worst = rpm_tracking(r, st, 9000, 1000, &mean);
	cr_log_info("9000 RPM after reload: error mean %.1f, worst %lld per-mille", mean,
		    (long long)worst);
	cr_assert_leq(worst, 30, "measured RPM off the setpoint by %lld per-mille: %s",
		      (long long)worst, FAN_LOG);
	cr_assert(has_event(st, SOV_EV_CONFIG, "reloaded"), "%s", FAN_LOG);
	sov_reader_close(st);
	sov_reader_close(r);
}

/* rpm_loop: a fan whose tachometer stops fails the zone safe; the inner loop does not hold it. */
Test(fan_rpm, stalled_fan_overrides_the_inner_loop)
{
	static const char zone[] = "rpm_loop = yes\nrpm_min = 6000\nrpm_max = 12000\n"
				   "kp = 240\nki = 120\nslew_per_s = 5000\n"
				   "rpm_kp = 0.03\nrpm_ki = 0.15\n";
	struct sov_reader *st;
	char p[256];
	long ms;

	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_BIN, "", zone);
	stack_sleep_ms(2500);
	cr_assert_lt(read_attr("pwm3"), 200, "following 6000 RPM: %s", FAN_LOG);
	kill(sim_pid, SIGSTOP);
	snprintf(p, sizeof(p), "%s/fan3_input", nct);
	put(p, "0\n");
	ms = wait_full_speed(1500);
	cr_assert_geq(ms, 0, "no failsafe on a stalled fan: %s", FAN_LOG);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "stall"), "%s", FAN_LOG);
	stack_sleep_ms(300);
	cr_assert_eq(read_attr("pwm3"), 255, "failsafe holds over the inner loop");
	cr_assert_eq(stack_value(st, "cpu-rpm-target"), INT64_MIN, "no RPM setpoint while failing safe");
	kill(sim_pid, SIGCONT);
	sov_reader_close(st);
}

/* ---- SIGHUP ---- */

static bool log_has(const char *needle)
{
	return strstr(FAN_LOG, needle) != NULL;
}

static void wait_log(const char *needle, long limit_ms)
{
	int64_t t0 = stack_now_ms();

	while (!log_has(needle) && stack_now_ms() - t0 < limit_ms)
		stack_sleep_ms(10);
	cr_assert(log_has(needle), "no '%s' in: %s", needle, FAN_LOG);
}

static void assert_running(void)
{
	cr_assert_eq(waitpid(fan_pid, NULL, WNOHANG), 0, "exited: %s", FAN_LOG);
}

/*
 * A reload moves the setpoint in place (no failsafe, Tctl follows); a bad
 * file is refused naming file:line, a changed zone set is refused, and the
 * running configuration stays in force through both.
 */
Test(fan_reload, setpoint_applied_bad_config_and_new_zone_refused)
{
	struct sov_reader *r, *st;
	int64_t t_before, t_after = 0, t0, dmax = 0, ms;
	int status;

	start_sim("idle", "20");
	start_sampler("");
	r = stack_attach(seg, dir, "fan.log");
	/*
	 * A reload test, not a staleness one: tolerate a sampler late on a
	 * machine whose cores other tests load (ctest -j2), so that "a reload
	 * does not leave control" is about the reload.  Every wait below polls
	 * for its condition up to a generous deadline instead of asserting at
	 * a fixed time.
	 */
	st = fan_controlling(SOV_FAN_BIN, "stale_periods = 20\n", "");
	/* From the start failsafe's 100 % the PID slews down to the floor (~1.6 s unloaded). */
	POLL_WHILE(stack_value(st, "cpu-duty") != 200, 20000, 20);
	cr_assert_eq(stack_value(st, "cpu-setpoint"), 80000);
	cr_assert_eq(stack_value(st, "cpu-duty"), 200, "idle, 80 °C setpoint: at the floor: %s",
		     FAN_LOG);
	t_before = stack_value(r, "Tctl");

	/* Idle Tctl (~40 °C) is far above a 30 °C setpoint: the fans go up, Tctl down. */
	write_fan_conf("stale_periods = 20\n", "setpoint = 30000\n");
	kill(fan_pid, SIGHUP);
	t0 = stack_now_ms();
	while ((ms = stack_now_ms() - t0) < 30000) {
		int64_t d = stack_value(st, "cpu-duty");

		cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "a reload does not leave control: %s",
			     FAN_LOG);
		dmax = d > dmax ? d : dmax;
		t_after = stack_value(r, "Tctl");
		if (dmax >= 900 && t_after < t_before - 1000 && stack_value(st, "cpu-setpoint") == 30000)
			break;
		stack_sleep_ms(20);
	}
	cr_log_info("reload 80 -> 30 °C: Tctl %lld -> %lld m°C in %lld ms, duty up to %lld",
		    (long long)t_before, (long long)t_after, (long long)ms, (long long)dmax);
	cr_assert_eq(stack_value(st, "cpu-setpoint"), 30000, "%s", FAN_LOG);
	cr_assert(has_event(st, SOV_EV_CONFIG, "reloaded"), "%s", FAN_LOG);
	cr_assert_geq(dmax, 900, "the PID acts on the new setpoint");
	cr_assert_lt(t_after, t_before - 1000, "Tctl moves toward the new setpoint");

	/* A bad value on line 17: refused with file:line, the 30 °C setpoint kept. */
	write_fan_conf("stale_periods = 20\n", "d_tau_s = fast\nsetpoint = 90000\n");
	kill(fan_pid, SIGHUP);
	wait_log("reload refused", 15000);
	cr_assert(log_has("fan.conf:17") && log_has("d_tau_s"), "%s", FAN_LOG);
	stack_sleep_ms(300);
	assert_running();
	cr_assert_eq(stack_value(st, "cpu-setpoint"), 30000, "old configuration kept");
	cr_assert(has_event(st, SOV_EV_CONFIG, "refused"));

	/* A new zone: the zone/fan set may not change by reload. */
	write_fan_conf("stale_periods = 20\n", "setpoint = 90000\n[zone dimm]\nsensors = jc42:temp1\n"
		       "fans = nct6779:pwm1\nstepwise = 0:900\n");
	kill(fan_pid, SIGHUP);
	wait_log("zone/fan set", 15000);
	stack_sleep_ms(300);
	assert_running();
	cr_assert_eq(stack_value(st, "cpu-setpoint"), 30000, "old configuration kept");
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0);

	kill(fan_pid, SIGTERM);
	cr_assert_eq(waitpid(fan_pid, &status, 0), fan_pid);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", FAN_LOG);
	sov_reader_close(st);
	sov_reader_close(r);
}

/* ---- journald ---- */

/* The captured journal entry (fields, "\n"-separated) with field @a and field @b, or NULL. */
static const char *journal_entry(const char *a, const char *b)
{
	static char entry[4096];
	const char *text = stack_file_text(dir, "journal.txt");

	for (const char *p = text; *p;) {
		const char *end = strstr(p, "\n\n");
		size_t n = end ? (size_t)(end - p) + 1 : strlen(p);

		snprintf(entry, sizeof(entry), "\n%.*s", (int)n, p);
		if (strstr(entry, a) && strstr(entry, b))
			return entry;
		p += n + (end ? 1 : 0);
	}
	return NULL;
}

/*
 * log = journal: every transition goes to sd_journal_send() with its
 * structured fields (captured by journal_capture.c in sovereign-fan-journal,
 * the real fan.c): the start failsafe, its end, the failsafe on the
 * sampler's death with its reason, a reload.
 */
Test(fan_journal, failsafe_transition_reaches_the_journal_with_its_reason)
{
	char path[160];
	struct sov_reader *st;
	const char *e;

	snprintf(path, sizeof(path), "%s/journal.txt", dir);
	cr_assert_eq(setenv("SOV_FAN_JOURNAL", path, 1), 0);
	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_JOURNAL_BIN, "log = journal\n", "");
	kill(sampler_pid, SIGKILL);
	waitpid(sampler_pid, NULL, 0);
	sampler_pid = -1;
	POLL_WHILE(!journal_entry("\nSOVEREIGN_REASON=restart\n", "failsafe_enter"), 2000, 10);
	e = journal_entry("\nSOVEREIGN_REASON=restart\n", "\nSOVEREIGN_EVENT_NAME=failsafe_enter\n");
	cr_assert_not_null(e, "no failsafe entry: %s", stack_file_text(dir, "journal.txt"));
	cr_log_info("journal entry:%s", e);
	cr_assert(strstr(e, "\nMESSAGE=zone cpu: failsafe (restart): duty 100.0 %\n"), "%s", e);
	cr_assert(strstr(e, "\nPRIORITY=2\n"), "critical: %s", e);
	cr_assert(strstr(e, "\nSOVEREIGN_ZONE=cpu\n"), "%s", e);
	cr_assert(strstr(e, "\nSOVEREIGN_MODE=failsafe\n"), "%s", e);
	cr_assert(strstr(e, "\nSOVEREIGN_DUTY=1000\n"), "%s", e);
	cr_assert(strstr(e, "\nSOVEREIGN_EVENT=13\n"), "SOV_EV_FAILSAFE_ENTER: %s", e);
	/* The earlier transitions, each with its reason. */
	cr_assert_not_null(journal_entry("\nSOVEREIGN_REASON=start\n", "\nSOVEREIGN_ZONE=cpu\n"), "%s",
			   stack_file_text(dir, "journal.txt"));
	e = journal_entry("\nSOVEREIGN_EVENT_NAME=failsafe_exit\n", "\nSOVEREIGN_ZONE=cpu\n");
	cr_assert_not_null(e, "%s", stack_file_text(dir, "journal.txt"));
	cr_assert(strstr(e, "\nSOVEREIGN_REASON=good_samples\n") && strstr(e, "\nSOVEREIGN_MODE=pid\n"),
		  "%s", e);
	kill(fan_pid, SIGHUP);
	POLL_WHILE(!journal_entry("\nSOVEREIGN_REASON=reload\n", "\nPRIORITY=5\n"), 1000, 10);
	cr_assert_not_null(journal_entry("\nSOVEREIGN_REASON=reload\n", "\nPRIORITY=5\n"), "%s",
			   stack_file_text(dir, "journal.txt"));
	cr_assert_null(strstr(stack_file_text(dir, "journal.txt"), "BADFORMAT"), "%s",
		       stack_file_text(dir, "journal.txt"));
	/* In the journal instead of on stderr; the segment has the event too. */
	cr_assert_null(strstr(FAN_LOG, "failsafe (restart"), "%s", FAN_LOG);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "restart zone=cpu"));
	sov_reader_close(st);
}

/* ---- the original state: record, restore, --failsafe ---- */

/* The sim's tree alone (no sim running, no sampler): pwmN files that keep what is written. */
static void start_tree(void)
{
	char *once[] = { SOV_SIM_BIN, "--root", tree, "--once", "--quiet", NULL };

	cr_assert_eq(stack_run(once), 0, "sovereign-sim --once");
	stack_hwmon_path(tree, "nct6779", nct, sizeof(nct));
}

/* The record's path: the default, under the root (the tree). */
static const char *record_path(void)
{
	static char p[192];

	snprintf(p, sizeof(p), "%s/run/sovereign/fan-original.state", tree);
	return p;
}

/* The record's text ("(none)" if there is none). */
static const char *record_text(void)
{
	return stack_file_text(dir, "tree/run/sovereign/fan-original.state");
}

/* Start the actuator on a fresh log and wait until it has taken every fan. */
static void start_fan_taken(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/fan.log", dir);
	unlink(p);
	start_fan();
	wait_log("5 fan(s), every", 20000);
}

/* SIGTERM, and the actuator exits 0. */
static void stop_fan_clean(void)
{
	int status;

	kill(fan_pid, SIGTERM);
	cr_assert_eq(waitpid(fan_pid, &status, 0), fan_pid);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x: %s", status,
		  FAN_LOG);
}

static void kill_fan(void)
{
	kill(fan_pid, SIGKILL);
	cr_assert_eq(waitpid(fan_pid, NULL, 0), fan_pid);
	fan_pid = -1;
}

/*
 * A crash and a restart do not lose the original state: pwm1 was in the
 * chip's automatic mode 5 at 90 before the first run; the first run records
 * that, takes the fan and is killed (manual, at its own duty); the second
 * run finds manual control but takes the original from the record, and its
 * clean stop gives back mode 5 at 90 -- not the crashed run's duty.
 */
Test(fan_restore, crash_then_clean_stop_restores_the_state_before_the_first_run)
{
	start_tree();
	put_attr("pwm1_enable", "5\n");
	put_attr("pwm1", "90\n");
	start_fan_taken();
	cr_assert_eq(read_attr("pwm1_enable"), 1, "taken");
	cr_assert(strstr(record_text(), " 1 known 5 90\n"), "recorded first: %s", record_text());
	kill_fan();
	cr_assert_eq(read_attr("pwm1_enable"), 1, "a SIGKILL leaves manual control");
	cr_assert_eq(read_attr("pwm1"), 255, "at the crashed run's own duty");

	start_fan_taken();
	cr_assert(log_has("pwm1: manual control (was enable 1 pwm 255; original enable 5 pwm 90)"),
		  "%s", FAN_LOG);
	stop_fan_clean();
	cr_assert_eq(read_attr("pwm1_enable"), 5, "the original mode, not the crashed run's: %s",
		     FAN_LOG);
	cr_assert_eq(read_attr("pwm1"), 90, "the original duty");
	cr_assert_eq(read_attr("pwm2_enable"), 2);
	cr_assert_eq(access(record_path(), F_OK), -1, "the record is done after a clean stop");
	cr_assert_eq(errno, ENOENT);
}

/*
 * A fan taken by a crashed run and dropped from the configuration before
 * the restart keeps its entry through the restarted run's clean stop; the
 * run that takes it again gives back its original, and only then is the
 * record gone.
 */
Test(fan_restore, a_fan_no_longer_configured_keeps_its_record)
{
	char log[160];

	start_tree();
	put_attr("pwm5_enable", "4\n");
	put_attr("pwm5", "60\n");
	start_fan_taken();
	kill_fan();
	cr_assert_eq(read_attr("pwm5_enable"), 1);

	snprintf(log, sizeof(log), "%s/fan.log", dir);
	unlink(log);
	write_fan_conf("", "fans = nct6779:pwm1, nct6779:pwm2, nct6779:pwm3, nct6779:pwm4\n");
	fan_pid = stack_spawn((char *[]){ SOV_FAN_BIN, "-c", fconf, NULL }, log);
	wait_log("4 fan(s), every", 20000);
	stop_fan_clean();
	cr_assert_eq(read_attr("pwm5_enable"), 1, "not this run's fan");
	cr_assert(strstr(record_text(), " 5 known 4 60\n"), "kept: %s", record_text());
	cr_assert_null(strstr(record_text(), " 1 known "), "pwm1 given back: %s", record_text());

	start_fan_taken();   /* all five again */
	stop_fan_clean();
	cr_assert_eq(read_attr("pwm5_enable"), 4, "%s", FAN_LOG);
	cr_assert_eq(read_attr("pwm5"), 60);
	cr_assert_eq(access(record_path(), F_OK), -1, "all given back: the record is gone");
}

/* The chip part of a record line for nct6779: "nct6779/DEVICE". */
static void nct_chip(char *out, size_t len)
{
	char p[192], real[PATH_MAX];

	snprintf(p, sizeof(p), "%s/device", nct);
	cr_assert_not_null(realpath(p, real), "%s", p);
	snprintf(out, len, "nct6779/%s", strrchr(real, '/') + 1);
}

/*
 * No usable record -- none, corrupt (torn: no "end"), empty, or another
 * user's -- and pwm1 found in manual mode at 51 (as a crashed run leaves
 * it): its origin is unknown, so a clean stop gives it to the chip's
 * automatic mode, never back to 51; pwm3, which has no pwm3_enable, is
 * left at full speed.  Each bad record says manual 51, which a reader
 * trusting it would restore.
 */
Test(fan_restore, unknown_original_gives_automatic_mode_or_full_speed)
{
	static const char *const kinds[] = { "missing", "corrupt", "empty", "foreign" };
	char chip[96], p[192], text[256];

	start_tree();
	nct_chip(chip, sizeof(chip));
	snprintf(p, sizeof(p), "%s/pwm3_enable", nct);
	cr_assert_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/run", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/run/sovereign", tree);
	mkdir(p, 0750);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int fd;

		put_attr("pwm1_enable", "1\n");
		put_attr("pwm1", "51\n");
		put_attr("pwm3", "51\n");
		unlink(record_path());
		if (strcmp(kinds[k], "missing")) {
			fd = open(record_path(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
			cr_assert_geq(fd, 0);
			if (!strcmp(kinds[k], "corrupt"))
				snprintf(text, sizeof(text),
					 "sovereign-fan original-state 1\nfan %s 1 known 1 51\n", chip);
			else if (!strcmp(kinds[k], "foreign"))
				snprintf(text, sizeof(text),
					 "sovereign-fan original-state 1\nfan %s 1 known 1 51\nend 1\n", chip);
			else
				text[0] = '\0';
			cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
			if (!strcmp(kinds[k], "foreign"))
				cr_assert_eq(fchown(fd, 65534, 65534), 0);
			close(fd);
		}
		start_fan_taken();
		cr_assert(log_has("pwm1: manual control (was enable 1 pwm 51; original unknown)"),
			  "record %s: %s", kinds[k], FAN_LOG);
		cr_assert(log_has("pwm3: manual control (was enable -1 pwm 51; original unknown)"),
			  "record %s: %s", kinds[k], FAN_LOG);
		stop_fan_clean();
		cr_assert_eq(read_attr("pwm1_enable"), 2, "record %s: automatic mode, not manual 51",
			     kinds[k]);
		cr_assert_eq(read_attr("pwm3"), 255, "record %s: no pwm3_enable: full speed", kinds[k]);
		cr_assert_eq(read_attr("pwm2_enable"), 2, "record %s", kinds[k]);
	}
}

/* Run sovereign-fan --failsafe with $SERVICE_RESULT @result (NULL: unset); its exit status. */
static int run_failsafe(const char *result)
{
	char log[160];
	char *argv[] = { SOV_FAN_BIN, "--failsafe", "-c", fconf, NULL };
	int status;
	pid_t pid;

	if (result) {
		setenv("SERVICE_RESULT", result, 1);
		setenv("EXIT_CODE", "killed", 1);
		setenv("EXIT_STATUS", "KILL", 1);
	}
	snprintf(log, sizeof(log), "%s/failsafe.log", dir);
	pid = stack_spawn(argv, log);
	unsetenv("SERVICE_RESULT");
	unsetenv("EXIT_CODE");
	unsetenv("EXIT_STATUS");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "%s", stack_file_text(dir, "failsafe.log"));
	return WEXITSTATUS(status);
}

/*
 * --failsafe (the unit's ExecStopPost=): after a clean stop
 * (SERVICE_RESULT=success) it changes nothing; after anything else every
 * configured fan goes to full speed, the original state recorded first --
 * so a later run still gives back automatic mode, not the failsafe's 100 %.
 */
Test(fan_restore, failsafe_mode_full_speed_unless_the_stop_was_clean)
{
	start_tree();
	write_fan_conf("", "");
	cr_assert_eq(run_failsafe("success"), 0);
	for (int k = 1; k <= 5; k++) {
		char name[16];

		snprintf(name, sizeof(name), "pwm%d_enable", k);
		cr_assert_eq(read_attr(name), 2, "clean stop: %s untouched", name);
	}
	cr_assert_str_eq(record_text(), "(none)");

	cr_assert_eq(run_failsafe("signal"), 0, "%s", stack_file_text(dir, "failsafe.log"));
	for (int k = 1; k <= 5; k++) {
		char name[16];

		snprintf(name, sizeof(name), "pwm%d_enable", k);
		cr_assert_eq(read_attr(name), 1, "%s: %s", name, stack_file_text(dir, "failsafe.log"));
		snprintf(name, sizeof(name), "pwm%d", k);
		cr_assert_eq(read_attr(name), 255, "%s at full speed", name);
	}
	cr_assert(strstr(stack_file_text(dir, "failsafe.log"), "SERVICE_RESULT=signal"), "%s",
		  stack_file_text(dir, "failsafe.log"));
	cr_assert(strstr(record_text(), " 1 known 2 "), "recorded before: %s", record_text());
	/* Run by hand (no $SERVICE_RESULT): full speed too. */
	put_attr("pwm4", "100\n");
	cr_assert_eq(run_failsafe(NULL), 0);
	cr_assert_eq(read_attr("pwm4"), 255);

	start_fan_taken();
	stop_fan_clean();
	cr_assert_eq(read_attr("pwm1_enable"), 2, "the original, not the failsafe's full speed: %s",
		     FAN_LOG);

	/* A configured fan that is missing does not spare the others (exit 1 says it). */
	write_fan_conf("", "fans = nct6779:pwm9, nct6779:pwm2\n");
	cr_assert_eq(run_failsafe("signal"), 1, "%s", stack_file_text(dir, "failsafe.log"));
	cr_assert_eq(read_attr("pwm2_enable"), 1);
	cr_assert_eq(read_attr("pwm2"), 255, "%s", stack_file_text(dir, "failsafe.log"));
}

/* ---- each input judged by itself (a fake sampler segment) ---- */

/*
 * A sampler of two temperatures, Tctl (every cycle) and a DIMM (its own
 * period), publishing every 20 ms from a thread: the test sets each
 * reading's value and time (lag behind the sample, or frozen).
 */
static struct {
	struct sov_writer *w;
	pthread_t th;
	atomic_bool stop;
	_Atomic int64_t val[2];
	_Atomic int64_t lag_ns[2];
	_Atomic uint64_t frozen[2];   /* non-zero: the reading keeps this time */
	int64_t crit;                 /* non-zero: Tctl's critical limit (crit_hi) */
} fk;

static uint64_t mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *fake_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&fk.stop)) {
		struct sov_slot *sl = sov_writer_stage(fk.w);
		struct timespec rt;
		uint64_t now = mono_now();

		clock_gettime(CLOCK_REALTIME, &rt);
		sl->mono_ns = now;
		sl->real_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
		for (uint32_t i = 0; i < 2; i++) {
			uint64_t t = atomic_load(&fk.frozen[i]);

			sov_writer_set(fk.w, i, atomic_load(&fk.val[i]),
				       t ? t : now - (uint64_t)atomic_load(&fk.lag_ns[i]));
		}
		sov_writer_publish(fk.w);
		stack_sleep_ms(20);
	}
	return NULL;
}

/* The fake sampler on @seg (period 100 ms), its DIMM read every @dimm_period_ms. */
static void fake_start(uint32_t dimm_period_ms)
{
	static const char *const chip[2] = { "k10temp/pci-0000:00:18.3", "jc42/0-0018" };
	static const char *const label[2] = { "Tctl", "DIMM A1" };
	struct sov_sensor t[2];
	struct sov_writer_opts o = { .name = seg, .writer_name = "fake-sampler",
				     .period_ns = 100000000 };

	memset(t, 0, sizeof(t));
	for (int i = 0; i < 2; i++) {
		t[i].kind = SOV_KIND_TEMP;
		t[i].unit = SOV_UNIT_MILLICELSIUS;
		t[i].source = SOV_SRC_HWMON;
		t[i].period_ms = i ? dimm_period_ms : 0;
		snprintf(t[i].chip, sizeof(t[i].chip), "%s", chip[i]);
		snprintf(t[i].name, sizeof(t[i].name), "temp1");
		snprintf(t[i].label, sizeof(t[i].label), "%s", label[i]);
		t[i].id = sov_sensor_id(t[i].source, t[i].chip, t[i].name);
		if (!i && fk.crit) {
			t[i].flags = SOV_SEN_CRIT_HI;
			t[i].crit_hi = fk.crit;
		}
		atomic_store(&fk.val[i], 40000);
		atomic_store(&fk.lag_ns[i], 0);
		atomic_store(&fk.frozen[i], 0);
	}
	atomic_store(&fk.stop, false);
	cr_assert_eq(sov_writer_create(&o, t, 2, &fk.w), 0);
	cr_assert_eq(pthread_create(&fk.th, NULL, fake_loop, NULL), 0);
}

static void fake_stop(void)
{
	if (!fk.w)
		return;
	atomic_store(&fk.stop, true);
	pthread_join(fk.th, NULL);
	sov_writer_close(fk.w);
	fk.w = NULL;
	fk.crit = 0;
}

/* Poll until the zone's failsafe reads @want; the milliseconds it took, or -1. */
static long wait_failsafe(struct sov_reader *st, int64_t want, long limit_ms)
{
	int64_t t0 = stack_now_ms();

	while (stack_now_ms() - t0 <= limit_ms) {
		if (stack_value(st, "cpu-failsafe") == want)
			return (long)(stack_now_ms() - t0);
		stack_sleep_ms(10);
	}
	return -1;
}

/*
 * The sample is fresh every 20 ms, but the DIMM's own reading stops being
 * renewed: past stale_periods (3) of its own 1 s period it is stale and the
 * zone fails safe, the reason naming it.  Before that, a reading 0.5 s old
 * on a 1 s channel is not stale.
 */
Test(fan_input, an_old_reading_in_a_fresh_sample_fails_safe)
{
	struct sov_reader *st;
	int64_t t0;
	long ms;

	start_tree();
	fake_start(1000);
	atomic_store(&fk.lag_ns[1], 500000000);   /* read half its period ago */
	st = fan_controlling(SOV_FAN_BIN, "stale_periods = 3\n", "sensors = k10temp:Tctl, jc42:temp1\n");
	t0 = stack_now_ms();
	while (stack_now_ms() - t0 < 1500) {
		cr_assert_eq(stack_value(st, "cpu-failsafe"), 0, "a slow channel's reading is not stale: %s",
			     FAN_LOG);
		stack_sleep_ms(20);
	}
	/* The DIMM channel hangs: its reading keeps its time, the samples go on. */
	atomic_store(&fk.frozen[1], mono_now() - 500000000);
	ms = wait_failsafe(st, 1, 15000);
	cr_assert_geq(ms, 0, "no failsafe on a stale input: %s", FAN_LOG);
	cr_assert_geq(ms, 1500, "not before 3 of its own periods: %ld ms", ms);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "stale zone=cpu jc42:DIMM A1"), "%s",
		  FAN_LOG);
	cr_assert(log_has("zone cpu: failsafe (stale: jc42:DIMM A1 "), "%s", FAN_LOG);
	cr_assert_geq(wait_full_speed(5000), 0);
	/* Read again: the zone comes back. */
	atomic_store(&fk.frozen[1], 0);
	cr_assert_geq(wait_failsafe(st, 0, 15000), 0, "%s", FAN_LOG);
	sov_reader_close(st);
}

/*
 * -128 °C (a sensor's "no diode" value) or 300 °C is no temperature any
 * sensor gives: invalid input, failsafe, never a cool (or merely hot)
 * reading for the PID.
 */
Test(fan_input, impossible_temperature_is_invalid_input)
{
	static const int64_t bad[] = { -128000, 300000 };
	struct sov_reader *st;

	start_tree();
	fake_start(0);
	st = fan_controlling(SOV_FAN_BIN, "", "");
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		atomic_store(&fk.val[0], bad[k]);
		cr_assert_geq(wait_failsafe(st, 1, 15000), 0, "%lld m°C taken as a temperature: %s",
			      (long long)bad[k], FAN_LOG);
		cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "sensor zone=cpu k10temp:Tctl"), "%s",
			  FAN_LOG);
		cr_assert_eq(stack_value(st, "cpu-input"), INT64_MIN, "no input published");
		cr_assert_geq(wait_full_speed(5000), 0);
		atomic_store(&fk.val[0], 40000);
		cr_assert_geq(wait_failsafe(st, 0, 15000), 0, "%s", FAN_LOG);
	}
	sov_reader_close(st);
}

/*
 * A setpoint at or above a zone sensor's critical limit (the sampler's
 * crit_hi, 75 °C here) contradicts the hardware: refused at start with the
 * setpoint's file:line before any fan is touched, and refused by a reload
 * (the running setpoint kept).
 */
Test(fan_input, setpoint_at_the_critical_limit_refused)
{
	struct sov_reader *st;
	pid_t got = 0;
	int status;

	start_tree();
	fk.crit = 75000;
	fake_start(0);
	sov_reader_close(stack_attach(seg, dir, "fan.log"));
	start_fan();   /* setpoint 80000 on line 12 */
	POLL_WHILE((got = waitpid(fan_pid, &status, WNOHANG)) == 0, 20000, 10);
	cr_assert_eq(got, fan_pid, "started: %s", FAN_LOG);
	fan_pid = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", FAN_LOG);
	cr_assert(log_has("fan.conf:12: [zone cpu] setpoint: 80000 m°C is at or above "
			  "k10temp:Tctl's critical limit 75000 m°C"), "%s", FAN_LOG);
	cr_assert_eq(read_attr("pwm1_enable"), 2, "no fan touched");

	st = fan_controlling(SOV_FAN_BIN, "", "setpoint = 60000\n");
	write_fan_conf("", "setpoint = 75000\n");
	kill(fan_pid, SIGHUP);
	wait_log("reload refused", 15000);
	cr_assert(log_has("fan.conf:16: [zone cpu] setpoint: 75000 m°C is at or above"), "%s",
		  FAN_LOG);
	stack_sleep_ms(300);
	cr_assert_eq(stack_value(st, "cpu-setpoint"), 60000, "the running setpoint kept");
	sov_reader_close(st);
}

/* A configuration that contradicts itself is refused with file:line; no fan is touched. */
Test(fan_input, contradicting_config_refused)
{
	static const struct { const char *fan, *zone, *where, *why; } bad[] = {
		{ "min_duty = 0\n", "", "fan.conf:9", "min_duty" },
		{ "", "stepwise = 40000:100, 60000:800\n", "fan.conf:16", "below min_duty 200" },
	};
	char log[160];
	char *argv[] = { SOV_FAN_BIN, "-c", fconf, NULL };

	start_tree();
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		pid_t got = 0;
		int status;

		unlink(log);
		write_fan_conf(bad[k].fan, bad[k].zone);
		fan_pid = stack_spawn(argv, log);
		/* Bounded: a file taken as valid would run on (teardown kills it). */
		POLL_WHILE((got = waitpid(fan_pid, &status, WNOHANG)) == 0, 20000, 10);
		cr_assert_eq(got, fan_pid, "%s%s taken: %s", bad[k].fan, bad[k].zone,
			     FAN_LOG);
		fan_pid = -1;
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s", FAN_LOG);
		cr_assert(log_has(bad[k].where) && log_has(bad[k].why), "%s", FAN_LOG);
		cr_assert_eq(read_attr("pwm1_enable"), 2, "no fan touched");
	}
}

/* ---- a pwm write that fails ---- */

/*
 * Writes to pwm3 fail (pwm_fault.c in sovereign-fan-journal): retried,
 * then the zone fails safe at once (its other fans at full speed) with an
 * event in the segment and the journal naming the fan; pwm3 keeps what it
 * last took and the published duty is that, not the 100 % it was asked.
 * When writes work again, the zone comes back.
 */
Test(fan_pwm, failed_write_fails_the_zone_safe_and_is_not_published)
{
	char jpath[160], marker[192];
	struct sov_reader *st;
	const char *e;
	int fd;

	snprintf(jpath, sizeof(jpath), "%s/journal.txt", dir);
	cr_assert_eq(setenv("SOV_FAN_JOURNAL", jpath, 1), 0);
	start_stack("idle", "");
	st = fan_controlling(SOV_FAN_JOURNAL_BIN, "log = journal\nstale_periods = 20\n", "");
	POLL_WHILE(stack_value(st, "cpu-duty") != 200, 20000, 20);
	cr_assert_eq(stack_value(st, "cpu-duty"), 200, "idle: at the floor");
	cr_assert_eq(read_attr("pwm3"), 51);

	snprintf(marker, sizeof(marker), "%s/pwm3.fail", nct);
	fd = open(marker, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_geq(wait_full_speed(5000), 0, "the zone's other fans: %s",
		      stack_file_text(dir, "journal.txt"));
	POLL_WHILE(!has_event(st, SOV_EV_FAILSAFE_ENTER, "pwm zone=cpu"), 5000, 10);
	cr_assert(has_event(st, SOV_EV_FAILSAFE_ENTER, "pwm zone=cpu nct6779"), "%s",
		  stack_file_text(dir, "journal.txt"));
	cr_assert(has_event(st, SOV_EV_DEGRADED, "pwm3 write failed"));
	/* The events come before the period's state sample: poll for it. */
	cr_assert_geq(wait_failsafe(st, 1, 5000), 0);
	cr_assert_eq(read_attr("pwm3"), 51, "the failing channel kept its last duty");
	cr_assert_eq(stack_value(st, "cpu-duty"), 200, "published: the duty pwm3 has, not 100 %%");
	e = journal_entry("\nSOVEREIGN_REASON=pwm_write\n", "\nPRIORITY=3\n");
	cr_assert_not_null(e, "%s", stack_file_text(dir, "journal.txt"));
	cr_assert(strstr(e, "\nSOVEREIGN_FAN=nct6779") && strstr(e, " pwm3\n"), "%s", e);
	cr_assert(strstr(e, "failed twice (Input/output error): the chip keeps 20.0 %"), "%s", e);
	e = journal_entry("\nSOVEREIGN_REASON=pwm\n", "\nSOVEREIGN_EVENT_NAME=failsafe_enter\n");
	cr_assert_not_null(e, "%s", stack_file_text(dir, "journal.txt"));
	cr_assert(strstr(e, "pwm3: Input/output error"), "%s", e);

	cr_assert_eq(unlink(marker), 0);
	cr_assert_geq(wait_failsafe(st, 0, 15000), 0, "%s", stack_file_text(dir, "journal.txt"));
	cr_assert(has_event(st, SOV_EV_DEGRADED, "pwm3 writes again"));
	cr_assert_eq(stack_value(st, "cpu-failsafe"), 0);
	sov_reader_close(st);
}
