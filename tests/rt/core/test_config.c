/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config.c - Criterion tests of configuration input checking, shared
 * by the three daemons (common/config.c): the schema (unknown sections and keys
 * refused, with the name probably meant), decimal numbers (hex only where
 * documented), the file itself (empty, a directory, a FIFO, too large, not
 * UTF-8), limits that contradict each other, and file:line in every error;
 * then each program -- sovereign-sampler (with the fake backends),
 * sovereign-fan and sovereign-watchdog -- at start and at SIGHUP.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "i2c.h"
#include "sampler.h"
#include "shm_reader.h"

static char dir[64], seg[64];
static pid_t child = -1;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static void setup(void)
{
	static int n;

	snprintf(dir, sizeof(dir), "/tmp/sov-cfg-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(seg, sizeof(seg), "/sov-cfg-%d-%d", (int)getpid(), n++);
}

/* On any failure too: no orphaned daemon, no leftover files. */
static void teardown(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	sov_shm_unlink(seg);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(schema);
TestSuite(numbers);
TestSuite(file, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(limits, .init = setup, .fini = teardown, .timeout = 30);
TestSuite(programs, .init = setup, .fini = teardown, .timeout = 60);

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* @dir/@name := @text (@len bytes; -1: strlen). */
static const char *put(const char *name, const char *text, ssize_t len)
{
	static char p[4][256];
	static int k;
	char *path = p[k++ % 4];
	int fd;

	if (len < 0)
		len = (ssize_t)strlen(text);
	snprintf(path, 256, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, (size_t)len), len);
	close(fd);
	return path;
}

static const char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* ---- the schema ---- */

static const char *const t_fan_keys[] = { "min_duty", "log", NULL };
static const char *const t_zone_keys[] = { "sensors", "fans", "setpoint", "hysteresis", NULL };
static const char *const t_sensor_keys[] = { "warn_hi", "crit_hi", "warn_lo", "crit_lo", NULL };
static const char *const t_device_keys[] = { "path", "timeout_s", NULL };
static const char *const t_common[] = { "enable", NULL };
static const struct rt_conf_schema t_schema[] = {
	{ "fan", RT_CONF_NO_ARG, t_fan_keys, t_common },
	{ "zone", RT_CONF_ARG, t_zone_keys, NULL },
	{ "sensor", RT_CONF_ARG, t_sensor_keys, NULL },
	{ "device", RT_CONF_NO_ARG, t_device_keys, NULL },
};

/* The check's verdict on @text: 0, or -EINVAL with the message in @msg. */
static int check(const char *text, char *msg, size_t len)
{
	struct rt_config cfg;
	struct rt_err err;
	int rc;

	cr_assert_eq(rt_config_parse_string(text, "t.conf", &cfg, &err), 0, "%s", err.msg);
	rc = rt_config_check(&cfg, t_schema, sizeof(t_schema) / sizeof(t_schema[0]), &err);
	snprintf(msg, len, "%s", rc ? err.msg : "");
	rt_config_free(&cfg);
	return rc;
}

static void expect_refused(const char *text, const char *want)
{
	char msg[RT_ERR_LEN];

	cr_assert_eq(check(text, msg, sizeof(msg)), -EINVAL, "accepted: %s", text);
	cr_assert(strstr(msg, want), "'%s' lacks '%s'", msg, want);
}

Test(schema, known_sections_and_keys_pass)
{
	char msg[RT_ERR_LEN];

	cr_assert_eq(check("[fan]\nmin_duty = 300\nenable = yes\n[zone cpu]\nsensors = Tctl\n"
			   "[sensor k10temp/temp1]\nwarn_hi = 80C\n[device]\n", msg, sizeof(msg)), 0,
		     "%s", msg);
}

Test(schema, unknown_key_named_with_line_and_the_key_meant)
{
	/* The three examples: a dropped alert, an uncontrolled zone, an unarmed watchdog. */
	expect_refused("[sensor k10temp/temp1]\nwarn_hi = 80C\nwarn_hii = 85C\n",
		       "t.conf:3: [sensor k10temp/temp1] unknown key 'warn_hii' (did you mean 'warn_hi'?)");
	expect_refused("[fan]\nmin_duty = 300\n\n[zonne gpu]\nsensors = x\n",
		       "t.conf:4: unknown section [zonne gpu] (did you mean [zone]?)");
	expect_refused("[devcie]\npath = /dev/watchdog0\n",
		       "t.conf:1: unknown section [devcie] (did you mean [device]?)");
	/* A swap of two letters is one edit; a unique prefix is a guess too. */
	expect_refused("[zone a]\nsetpiont = 1\n", "unknown key 'setpiont' (did you mean 'setpoint'?)");
	expect_refused("[zone a]\nhyst = 1\n", "unknown key 'hyst' (did you mean 'hysteresis'?)");
	/* A key of another section says where it belongs. */
	expect_refused("[fan]\nsetpoint = 75000\n", "t.conf:2: [fan] unknown key 'setpoint' (a key of [zone NAME])");
	/* Too far from anything: no guess at all. */
	expect_refused("[fan]\nbanana = 1\n", "t.conf:2: [fan] unknown key 'banana'");
}

Test(schema, no_guess_when_far_or_ambiguous)
{
	static const char *const a[] = { "warn_hi", "warn_lo", "crit_hi", NULL };
	static const char *const b[] = { "kp", "ki", "kd", NULL };
	const char *const *la[] = { a }, *const *lb[] = { b, NULL };
	char msg[RT_ERR_LEN];

	cr_assert_str_eq(rt_conf_suggest("warn_hii", la, 1), "warn_hi");
	cr_assert_str_eq(rt_conf_suggest("crit_ih", la, 1), "crit_hi", "a swap");
	cr_assert_null(rt_conf_suggest("warn_xx", la, 1), "warn_hi and warn_lo are as close");
	cr_assert_null(rt_conf_suggest("kx", lb, 2), "kp, ki, kd: a tie");
	cr_assert_null(rt_conf_suggest("zz", lb, 2), "two edits of a two-letter word is anything");
	cr_assert_null(rt_conf_suggest("temperature", la, 1));
	cr_assert_null(rt_conf_suggest("warn", la, 1), "a prefix of two: no guess");
	check("[fan]\nbanana = 1\n", msg, sizeof(msg));
	cr_assert_null(strstr(msg, "did you mean"), "%s", msg);
}

Test(schema, arguments_and_bare_headers)
{
	expect_refused("[fan cpu]\nmin_duty = 300\n", "t.conf:1: [fan cpu] takes no name: [fan]");
	expect_refused("[fan]\nmin_duty = 300\n[zone]\nsensors = a\n", "t.conf:3: [zone] needs a name: [zone NAME]");
	/* A header with no key under it is still a section, still checked. */
	expect_refused("[fan]\nmin_duty = 300\n[devcie]\n", "t.conf:3: unknown section [devcie]");
	/* Indented under a key, a '[' line continues the key's value (inih multi-line). */
	{
		char msg[RT_ERR_LEN];

		cr_assert_eq(check("[fan]\nlog = a\n  [devcie]\n", msg, sizeof(msg)), 0, "%s", msg);
	}
}

Test(schema, section_line_is_the_header)
{
	struct rt_config cfg;
	struct rt_err err;

	cr_assert_eq(rt_config_parse_string("; c\n[fan]\n\nlog = x\n[zone a]\n", "t.conf", &cfg, &err), 0);
	cr_assert_eq(cfg.nsec, 2, "a bare [zone a] is a section");
	cr_assert_eq(rt_config_section(&cfg, "fan", NULL)->line, 2);
	cr_assert_eq(rt_config_section(&cfg, "zone", "a")->line, 5);
	rt_config_free(&cfg);
}

/* ---- numbers ---- */

Test(numbers, decimal_with_leading_zeros_never_octal)
{
	struct rt_config cfg;
	struct rt_err err;
	const struct rt_conf_section *s;
	long long v;

	cr_assert_eq(rt_config_parse_string("[zone a]\nsetpoint = 075000\nperiod_ms = 010\n"
					    "hex = 0x10\naddress = 0x4c\naddr2 = 010\nneg = -05\n",
					    "t.conf", &cfg, &err), 0);
	s = rt_config_section(&cfg, "zone", "a");
	cr_assert_eq(rt_conf_int(s, "setpoint", 0, 200000, 0, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(v, 75000, "not octal 31232");
	cr_assert_eq(rt_conf_int(s, "period_ms", 0, 100, 0, &v, &err), 0);
	cr_assert_eq(v, 10, "not octal 8");
	cr_assert_eq(rt_conf_int(s, "neg", -100, 100, 0, &v, &err), 0);
	cr_assert_eq(v, -5);
	cr_assert_eq(rt_conf_int(s, "hex", 0, 100, 0, &v, &err), -EINVAL, "decimal keys take no hex");
	cr_assert(strstr(err.msg, "t.conf:4: [zone a] hex: '0x10' is not a decimal integer"), "%s",
		  err.msg);
	cr_assert(strstr(err.msg, "takes no hex"), "%s", err.msg);
	/* Hex only where the value is naturally hex, and still never octal. */
	cr_assert_eq(rt_conf_int_hex(s, "address", 0, 0x7f, 0, &v, &err), 0);
	cr_assert_eq(v, 0x4c);
	cr_assert_eq(rt_conf_int_hex(s, "addr2", 0, 0x7f, 0, &v, &err), 0);
	cr_assert_eq(v, 10);
	rt_config_free(&cfg);
}

Test(numbers, parse_ll_takes_only_digits)
{
	long long v;

	cr_assert_eq(rt_parse_ll("0", false, &v), 0);
	cr_assert_eq(rt_parse_ll("0099", false, &v), 0);
	cr_assert_eq(v, 99);
	cr_assert_eq(rt_parse_ll("0x1F", true, &v), 0);
	cr_assert_eq(v, 31);
	cr_assert_eq(rt_parse_ll("0x1F", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("+1", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll(" 1", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("1 ", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("-", false, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("0x", true, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("0x0x1", true, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("-0x1", true, &v), -EINVAL);
	cr_assert_eq(rt_parse_ll("99999999999999999999", false, &v), -EINVAL);
}

Test(numbers, limits_and_i2c_keys)
{
	struct rt_config cfg;
	struct rt_err err;
	const struct rt_conf_section *s;
	bool want[128];
	int bus;
	int64_t x;

	/* strtod would read these as hex floats: 0x55 = 85, 0x55C = 1372. */
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "0x55", &x), -EINVAL);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "0x55C", &x), -EINVAL);
	cr_assert_eq(sampler_parse_value(SOV_UNIT_MILLICELSIUS, "085C", &x), 0);
	cr_assert_eq(x, 85000);
	cr_assert_eq(rt_config_parse_string("[i2c_jc42]\nbus = 010\naddresses = 0x18, 025\n"
					    "[i2c_pmbus]\nbuses = 0x1\n", "t.conf", &cfg, &err), 0);
	s = rt_config_section(&cfg, "i2c_jc42", NULL);
	cr_assert_eq(i2c_conf_buses(s, &bus, 1, &err), 1, "%s", err.msg);
	cr_assert_eq(bus, 10, "/dev/i2c-10, not i2c-8");
	cr_assert_eq(i2c_conf_addrs(s, "addresses", 0x03, 0x77, false, want, &err), 2, "%s", err.msg);
	cr_assert(want[0x18] && want[25], "hex where written so, decimal 25 (not octal 21)");
	cr_assert_not(want[21]);
	s = rt_config_section(&cfg, "i2c_pmbus", NULL);
	cr_assert_eq(i2c_conf_buses(s, &bus, 1, &err), -EINVAL, "bus numbers are decimal");
	cr_assert(strstr(err.msg, "t.conf:5:"), "%s", err.msg);
	rt_config_free(&cfg);
}

/* ---- the file ---- */

static void expect_load(const char *path, int want_rc, const char *want)
{
	struct rt_config cfg;
	struct rt_err err;
	int rc = rt_config_load(path, &cfg, &err);

	if (!rc)
		rt_config_free(&cfg);
	cr_assert_eq(rc, want_rc, "%s: %d (%s)", path, rc, rc ? err.msg : "loaded");
	if (want)
		cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
}

Test(file, empty_or_comments_only_is_refused)
{
	char want[160];
	const char *p = put("e.conf", "", 0);

	snprintf(want, sizeof(want), "%s: empty", p);
	expect_load(p, -EINVAL, want);
	p = put("c.conf", "; nothing but comments\n\n# and blanks\n", -1);
	expect_load(p, -EINVAL, "empty: no [section] and no key");
	/* A header alone is a file that says "defaults": fine. */
	expect_load(put("h.conf", "[sampler]\n", -1), 0, NULL);
}

Test(file, directory_and_fifo_refused_without_blocking, .timeout = 10)
{
	char p[128];

	expect_load(dir, -EISDIR, "a directory, not a regular file");
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert_eq(mkfifo(p, 0600), 0);
	/* With no writer, a blocking open would wait here until the timeout kills the test. */
	expect_load(p, -EINVAL, "a FIFO, not a regular file");
	expect_load("/dev/null", -EINVAL, "a character device");
}

Test(file, too_large_refused)
{
	size_t len = RT_CONF_MAX_BYTES + 1;
	char *big = malloc(len);
	const char *p;

	cr_assert_not_null(big);
	memset(big, ';', len);
	big[0] = '[';
	memcpy(big, "[sampler]\n", 10);
	p = put("big.conf", big, (ssize_t)len);
	free(big);
	expect_load(p, -EFBIG, "larger than 1024 KiB");
}

Test(file, not_utf8_or_nul_named_with_line)
{
	static const char latin1[] = "[sampler]\n; caf\xe9\nperiod_ms = 10\n";
	static const char overlong[] = "[sampler]\n\nlabel = \xc0\xaf\n";
	static const char nul[] = "[sampler]\nx = 1\n\n\0y = 2\n";
	static const char utf8[] = "\xef\xbb\xbf[sensor k10temp/temp1]\nlabel = Tctl \xc2\xb0" "C \xe2\x9c\x93\n";
	struct rt_config cfg;
	struct rt_err err;

	expect_load(put("l.conf", latin1, sizeof(latin1) - 1), -EINVAL, "l.conf:2: byte 0xe9 is not UTF-8");
	expect_load(put("o.conf", overlong, sizeof(overlong) - 1), -EINVAL, "o.conf:3: byte 0xc0");
	expect_load(put("n.conf", nul, sizeof(nul) - 1), -EINVAL, "n.conf:4: NUL byte");
	/* A BOM, a degree sign and a check mark are UTF-8. */
	cr_assert_eq(rt_config_load(put("u.conf", utf8, sizeof(utf8) - 1), &cfg, &err), 0, "%s", err.msg);
	cr_assert_str_eq(rt_conf_get(rt_config_section(&cfg, "sensor", "k10temp/temp1"), "label"),
			 "Tctl \xc2\xb0" "C \xe2\x9c\x93");
	rt_config_free(&cfg);
}

/* ---- the sampler: schema, limits, group ---- */

/* sampler_create() on the fake backend with channel temp_a and @extra config. */
static int sampler_try(const char *extra, struct rt_err *err)
{
	char text[2048], d[128];
	struct rt_config cfg;
	struct sampler_opts o;
	struct sampler *s = NULL;
	int rc;

	snprintf(d, sizeof(d), "%s/fake", dir);
	mkdir(d, 0755);
	put("fake/temp_a", "45000\n", -1);
	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\nslots = 16\njournal = no\nroot = %s\nsegment = %s\n"
		 "[fake]\nenable = yes\n%s", dir, seg, extra);
	cr_assert_eq(rt_config_parse_string(text, "s.conf", &cfg, err), 0, "%s", err->msg);
	rc = sampler_check_config(&cfg, err);
	if (!rc)
		rc = sampler_parse_opts(&cfg, &o, err);
	if (!rc) {
		rc = sampler_create(&cfg, &o, &s, err);
		sampler_destroy(s);
	}
	rt_config_free(&cfg);
	return rc;
}

static void sampler_refused(const char *extra, const char *want)
{
	struct rt_err err;

	cr_assert_eq(sampler_try(extra, &err), -EINVAL, "accepted: %s", extra);
	cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
}

Test(limits, sampler_schema_backends_declare_their_keys)
{
	struct rt_err err;

	/* (The real backends' keys: programs/shipped_configs_pass_the_schema.) */
	cr_assert_eq(sampler_try("[sampler]\nstale_periods = 3\n[fake_slow]\nenable = no\ndir = /x\n"
				 "[sensor fake/test/temp_a]\nlabel = A\nwarn_hi = 80C\nhysteresis = 1C\n",
				 &err), 0, "%s", err.msg);
	sampler_refused("[hwmon]\nchips = k10temp\n", "unknown section [hwmon]");
	sampler_refused("[sensor fake/test/temp_a]\nwarn_hi = 80C\nwarn_hii = 85C\n",
			"s.conf:11: [sensor fake/test/temp_a] unknown key 'warn_hii' (did you mean 'warn_hi'?)");
	sampler_refused("[fakee]\ndir = /x\n", "s.conf:9: unknown section [fakee] (did you mean [fake]?)");
	sampler_refused("[fake_slow]\ndri = /x\n", "s.conf:10: [fake_slow] unknown key 'dri' (did you mean 'dir'?)");
	sampler_refused("[sensor]\nlabel = x\n", "[sensor] needs a name");
	sampler_refused("[fake]\nperiod_ms = 5\n", "s.conf:10: [fake] unknown key 'period_ms'");
}

Test(limits, contradicting_limits_refused)
{
	struct rt_err err;

	sampler_refused("[sensor fake/test/temp_a]\nwarn_hi = 95C\ncrit_hi = 90C\n",
			"s.conf:10: [sensor fake/test/temp_a] warn_hi: warn_hi 95000 is above crit_hi 90000");
	sampler_refused("[sensor fake/test/temp_a]\nwarn_lo = 5C\ncrit_lo = 10C\n",
			"crit_lo 10000 is above warn_lo 5000");
	sampler_refused("[sensor fake/test/temp_a]\nwarn_lo = 50C\nwarn_hi = 40C\n",
			"warn_lo 50000 is at or above warn_hi 40000");
	sampler_refused("[sensor fake/test/temp_a]\ncrit_lo = 90C\ncrit_hi = 90C\n",
			"crit_lo 90000 is at or above crit_hi 90000");
	/* Equal warning and critical levels, or a limit switched off, are fine. */
	cr_assert_eq(sampler_try("[sensor fake/test/temp_a]\nwarn_hi = 90C\ncrit_hi = 90C\n"
				 "warn_lo = none\ncrit_lo = 5C\n", &err), 0, "%s", err.msg);
}

Test(limits, group_that_does_not_exist_named_with_line)
{
	struct rt_config cfg;
	struct sampler_opts o;
	struct rt_err err;

	cr_assert_eq(rt_config_parse_string("[sampler]\nperiod_ms = 10\ngroup = nosuchgroup\n",
					    "s.conf", &cfg, &err), 0);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), -EINVAL);
	cr_assert(strstr(err.msg, "s.conf:3: [sampler] group: no group 'nosuchgroup'"), "%s", err.msg);
	rt_config_free(&cfg);
	cr_assert_eq(rt_config_parse_string("[sampler]\ngroup = root\n", "s.conf", &cfg, &err), 0);
	cr_assert_eq(sampler_parse_opts(&cfg, &o, &err), 0, "%s", err.msg);
	cr_assert_str_eq(o.group, "root");
	rt_config_free(&cfg);
}

/* ---- the programs ---- */

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Run @argv to its end (within 20 s): its exit status, its output in *@out. */
static int run(char *const argv[], const char **out)
{
	char log[128];
	uint64_t t0 = now_ms();
	int st;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/run.log", dir);
	pid = spawn(argv, log);
	child = pid;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		cr_assert_lt(now_ms() - t0, 20000, "%s did not exit: %s", argv[0], slurp(log));
		usleep(10000);
	}
	child = -1;
	*out = slurp(log);
	cr_assert(WIFEXITED(st), "%s: killed by signal: %s", argv[0], *out);
	return WEXITSTATUS(st);
}

/* Wait (20 s at most: a loaded machine is slow) for @what in @log. */
static void wait_for(const char *log, const char *what)
{
	uint64_t t0 = now_ms();

	while (!strstr(slurp(log), what)) {
		cr_assert_lt(now_ms() - t0, 20000, "no '%s' in: %s", what, slurp(log));
		cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "exited early: %s", slurp(log));
		usleep(20000);
	}
}

static void stop_child(const char *log)
{
	int st;

	kill(child, SIGTERM);
	cr_assert_eq(waitpid(child, &st, 0), child);
	child = -1;
	cr_assert(WIFEXITED(st), "%s", slurp(log));
}

static const char *sampler_conf(const char *extra)
{
	static char text[1024];
	char d[128];

	snprintf(d, sizeof(d), "%s/fake", dir);
	mkdir(d, 0755);
	put("fake/temp_a", "45000\n", -1);
	snprintf(text, sizeof(text),
		 "[sampler]\nperiod_ms = 10\nslots = 16\njournal = no\nroot = %s\nsegment = %s\n"
		 "[fake]\nenable = yes\n[sensor fake/test/temp_a]\nwarn_hi = 80C\n%s", dir, seg, extra);
	return text;
}

Test(programs, sampler_refuses_unknown_key_at_start_and_at_reload)
{
	char *argv[] = { SOV_SAMPLER_FAKE_BIN, "-c", NULL, "--no-rt", NULL };
	char log[128];
	const char *out;
	int n;

	argv[2] = (char *)put("s.conf", sampler_conf("warn_hii = 85C\n"), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "s.conf:11: [sensor fake/test/temp_a] unknown key 'warn_hii' (did you mean 'warn_hi'?)"),
		  "%s", out);
	put("s.conf", sampler_conf("[fake_slw]\nenable = no\n"), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "s.conf:11: unknown section [fake_slw] (did you mean [fake_slow]?)"), "%s", out);

	/* Running: each bad file at SIGHUP is a refused reload, the sampler keeps going. */
	put("s.conf", sampler_conf(""), -1);
	snprintf(log, sizeof(log), "%s/sampler.log", dir);
	child = spawn(argv, log);
	wait_for(log, "sensors into");
	put("s.conf", sampler_conf("warn_hii = 85C\n"), -1);
	kill(child, SIGHUP);
	wait_for(log, "unknown key 'warn_hii' (did you mean 'warn_hi'?)");
	cr_assert(strstr(slurp(log), "reload refused"), "%s", slurp(log));
	put("s.conf", "; emptied by mistake\n", -1);
	kill(child, SIGHUP);
	wait_for(log, "s.conf: empty");
	n = 0;
	for (const char *p = slurp(log); (p = strstr(p, "reload refused")); p++)
		n++;
	cr_assert_eq(n, 2, "%s", slurp(log));
	stop_child(log);
}

/* A sys/class/hwmon tree with one chip nct6779 and its pwm1, for sovereign-fan. */
static const char *fan_tree(void)
{
	static char root[128];
	char d[192];

	snprintf(root, sizeof(root), "%s/tree", dir);
	snprintf(d, sizeof(d), "mkdir -p %s/sys/class/hwmon/hwmon0", root);
	cr_assert_eq(system(d), 0);
	put("tree/sys/class/hwmon/hwmon0/name", "nct6779\n", -1);
	put("tree/sys/class/hwmon/hwmon0/pwm1", "128\n", -1);
	put("tree/sys/class/hwmon/hwmon0/pwm1_enable", "2\n", -1);
	return root;
}

static const char *fan_conf(const char *fan_extra, const char *zone)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "[fan]\nlog = stderr\nsegment = %s-none\nstate_segment = %s\nroot = %s\n"
		 "period_ms = 50\n%s%s", seg, seg, fan_tree(), fan_extra,
		 zone ? zone : "[zone cpu]\nsensors = Tctl\nfans = nct6779:pwm1\n");
	return text;
}

Test(programs, fan_refuses_unknown_section_and_key_at_start_and_at_reload)
{
	char *argv[] = { SOV_FAN_BIN, "-c", NULL, NULL };
	char log[128];
	const char *out;

	argv[2] = (char *)put("fan.conf", fan_conf("", "[zonne gpu]\nsensors = Tctl\nfans = nct6779:pwm1\n"), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "fan.conf:7: unknown section [zonne gpu] (did you mean [zone]?)"), "%s", out);
	put("fan.conf", fan_conf("min_dut = 300\n", NULL), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "fan.conf:7: [fan] unknown key 'min_dut' (did you mean 'min_duty'?)"), "%s", out);
	put("fan.conf", fan_conf("setpoint = 70000\n", NULL), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "fan.conf:7: [fan] unknown key 'setpoint' (a key of [zone NAME])"), "%s", out);
	/* No zone at all: named with the file. */
	put("fan.conf", fan_conf("", "; no zone\n"), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "fan.conf: no [zone NAME] section"), "%s", out);
	/* setpoint 075000 is 75 °C, not octal 31.232 °C (below the 20 °C floor: refused before). */
	put("fan.conf", fan_conf("min_duty = 0300\n", "[zone cpu]\nsensors = Tctl\nfans = nct6779:pwm1\n"
				 "setpoint = 075000\nsetpoint_x = 1\n"), -1);
	cr_assert_eq(run(argv, &out), 1);
	cr_assert(strstr(out, "fan.conf:12: [zone cpu] unknown key 'setpoint_x' (did you mean 'setpoint'?)"),
		  "%s", out);

	/* Running: a misspelt key or section at SIGHUP is a refused reload. */
	put("fan.conf", fan_conf("", "[zone cpu]\nsensors = Tctl\nfans = nct6779:pwm1\nsetpoint = 075000\n"), -1);
	snprintf(log, sizeof(log), "%s/fan.log", dir);
	child = spawn(argv, log);
	wait_for(log, "1 zone(s), 1 fan(s)");
	put("fan.conf", fan_conf("", "[zone cpu]\nsensors = Tctl\nfans = nct6779:pwm1\nhysteresiss = 1\n"), -1);
	kill(child, SIGHUP);
	wait_for(log, "fan.conf:10: [zone cpu] unknown key 'hysteresiss' (did you mean 'hysteresis'?)");
	cr_assert(strstr(slurp(log), "reload refused"), "%s", slurp(log));
	put("fan.conf", fan_conf("", "[zonne cpu]\nsensors = Tctl\nfans = nct6779:pwm1\n"), -1);
	kill(child, SIGHUP);
	wait_for(log, "fan.conf:7: unknown section [zonne cpu]");
	stop_child(log);
}

static const char *wd_conf(const char *extra)
{
	static char text[1024];

	snprintf(text, sizeof(text), "[watchdog]\nsegment = %s\nsampler_segment = %s-none\n"
		 "[target]\npid_file = %s/pid\n%s", seg, seg, dir, extra);
	return text;
}

Test(programs, watchdog_refuses_unknown_section_key_and_contradictions)
{
	char *argv[] = { WD_BIN, "-c", NULL, NULL };
	const char *out;

	argv[2] = (char *)put("watchdog.conf", wd_conf("[devcie]\npath = /dev/watchdog0\n"), -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:6: unknown section [devcie] (did you mean [device]?)"), "%s", out);
	put("watchdog.conf", wd_conf("[device]\npaht = /dev/watchdog0\n"), -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:7: [device] unknown key 'paht' (did you mean 'path'?)"), "%s", out);
	put("watchdog.conf", wd_conf("[progress]\nhang_ms = 100\n"), -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:7: [progress] unknown key 'hang_ms' (a key of [watchdog])"),
		  "%s", out);
	/* group = nosuchgroup: file:line, before any segment is made. */
	put("watchdog.conf", wd_conf("[watchdog]\ngroup = nosuchgroup\n"), -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:7: [watchdog] group: no group 'nosuchgroup'"), "%s", out);
	/* A hang timeout under two periods contradicts the period. */
	put("watchdog.conf", wd_conf("[watchdog]\nperiod_ms = 1000\nhang_ms = 1500\n"), -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:8: [watchdog] hang_ms: hang_ms 1500 is less than two periods"),
		  "%s", out);
	/* No [target] at all: the file is named, the section once. */
	put("watchdog.conf", "[watchdog]\nperiod_ms = 0100\n", -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf: no [target] section"), "%s", out);
	put("watchdog.conf", "[watchdog]\nperiod_ms = 100\n[target]\n", -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf:3: [target] needs exactly one of"), "%s", out);
	cr_assert_null(strstr(out, "[target] [target]"), "%s", out);
	/* An empty file is an error, not "all defaults". */
	put("watchdog.conf", "\n", -1);
	cr_assert_eq(run(argv, &out), 2);
	cr_assert(strstr(out, "watchdog.conf: empty"), "%s", out);
}

/*
 * The shipped configurations, with every key documented in them switched
 * on (their commented-out "; key = value" examples too), pass the real
 * sampler's schema: the backends declare every key they read.
 */
Test(programs, shipped_configs_pass_the_schema)
{
	char *argv[] = { SOV_SAMPLER_BIN, "-c", NULL, "--root", dir, "--discover", NULL };
	char line[512], text[32768] = "";
	const char *out;
	FILE *f = fopen(SOV_SHIPPED_SAMPLER_CONF, "re");

	cr_assert_not_null(f);
	/* "; key = value" and "; [section]": uncommented, as an operator would. */
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + 1 + strspn(line + 1, " ");
		size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");

		if (line[0] != ';' || !(*p == '[' || (w && p[w + strspn(p + w, " ")] == '=')))
			p = line;
		strncat(text, p, sizeof(text) - strlen(text) - 1);
	}
	fclose(f);
	/* The deployment's group may not exist here: one that does. */
	{
		char *g = strstr(text, "group = sovereign");

		cr_assert_not_null(g);
		memcpy(g, "group = root     ", 17);
	}
	argv[2] = (char *)put("sampler.conf", text, -1);
	cr_assert_eq(run(argv, &out), 0, "%s\n---\n%s", out, text);
	cr_assert(strstr(out, "[hwmon]"), "%s", out);
}

/*
 * The watchdog reads its file again at SIGHUP (it had no reload: a SIGHUP
 * killed it without disarming the device): a misspelt section or key, or
 * an empty file, is a refused reload; a valid one applies its periods.
 */
Test(programs, watchdog_refuses_bad_file_at_reload)
{
	char *argv[] = { WD_BIN, "-c", NULL, NULL };
	struct sov_reader *r = NULL;
	char log[128];
	uint64_t t0;

	argv[2] = (char *)put("watchdog.conf", wd_conf("[watchdog]\nperiod_ms = 50\n"), -1);
	snprintf(log, sizeof(log), "%s/wd.log", dir);
	child = spawn(argv, log);
	/* Running once its segment is there. */
	t0 = now_ms();
	while (sov_reader_open(seg, NULL, &r) != 0) {
		cr_assert_lt(now_ms() - t0, 20000, "no segment: %s", slurp(log));
		cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "exited early: %s", slurp(log));
		usleep(20000);
	}
	sov_reader_close(r);
	put("watchdog.conf", wd_conf("[watchdog]\nperiod_ms = 50\n[devcie]\npath = /dev/watchdog0\n"), -1);
	kill(child, SIGHUP);
	wait_for(log, "reload refused, running configuration kept: ");
	cr_assert(strstr(slurp(log), "watchdog.conf:8: unknown section [devcie] (did you mean [device]?)"),
		  "%s", slurp(log));
	put("watchdog.conf", "", 0);
	kill(child, SIGHUP);
	wait_for(log, "watchdog.conf: empty");
	{
		char text[512];

		snprintf(text, sizeof(text), "[watchdog]\nsegment = %s\nsampler_segment = %s-none\n"
			 "period_ms = 50\n[target]\nunit = x.service\n", seg, seg);
		put("watchdog.conf", text, -1);
	}
	kill(child, SIGHUP);
	wait_for(log, "reload refused: [target] changed");
	put("watchdog.conf", wd_conf("[watchdog]\nperiod_ms = 60\nhang_ms = 600\n"), -1);
	kill(child, SIGHUP);
	wait_for(log, "configuration reloaded");
	stop_child(log);
}
