/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sim_tree.c - tests of the simulator's fixture tree (tools/sim/tree.c)
 * in a mkdtemp directory: hwmon names, labels and device links, value
 * format, pwm controls honoured, MSR values at their offsets, energy_uj
 * wrap, in-place updates seen through held fds, root takeover rules.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "tree.h"

static char root[PATH_MAX];
static struct sim_tree tree;
static struct sim_model model;
static bool created;    /* the tree's fds are initialised: close them at teardown */

static int rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/sovsim-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	created = false;
}

static void teardown(void)
{
	if (created)
		sim_tree_close(&tree);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void create(enum sim_vendor v, int sockets, int dimms, uint64_t wrap_uj)
{
	struct sim_tree_opts o = { .wrap_uj = wrap_uj, .noise = false };
	struct sim_profile p;
	int ret;

	cr_assert_eq(sim_profile_builtin(&p, "idle"), 0);
	cr_assert_eq(sim_model_init(&model, v, sockets, 5, dimms, &p, 7), 0);
	ret = sim_tree_create(&tree, root, &model, &o);
	created = true;
	cr_assert_eq(ret, 0, "create: %d %s", ret, tree.err);
}

/* The text of @rel under the root ("" if missing). */
static const char *slurp(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "";
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A value file: exactly "-?[0-9]+\n", as the sampler parses it. */
static long long value(const char *rel)
{
	const char *s = slurp(rel);
	regex_t re;
	int ok;

	cr_assert_eq(regcomp(&re, "^-?[0-9]+\n$", REG_EXTENDED), 0);
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	cr_assert(ok, "%s: '%s' is not an integer line", rel, s);
	return strtoll(s, NULL, 10);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	int fd;

	/* As an actuator (or echo) would: open with truncation, write. */
	snprintf(path, sizeof(path), "%s%s", root, rel);
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0, "open %s for writing: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static uint64_t msr(int cpu, uint32_t reg)
{
	char path[PATH_MAX];
	uint8_t b[8];
	uint64_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/dev/cpu/%d/msr", root, cpu);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(pread(fd, b, 8, (off_t)reg), 8, "pread msr 0x%x", reg);
	close(fd);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static const char *link_target(const char *rel)
{
	static char buf[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

TestSuite(tree, .init = setup, .fini = teardown);

Test(tree, amd_hwmon_layout)
{
	char path[PATH_MAX], real[PATH_MAX];

	create(SIM_AMD, 2, 4, SIM_WRAP_UJ_DEFAULT);
	cr_expect_str_eq(slurp("/" SIM_MARKER), "sovereign-sim fixture tree\n"
			 "vendor=amd sockets=2 dimms=4 fans=5\n");
	/* hwmon0/1: k10temp per socket, class entries are links into /sys/devices. */
	cr_expect_str_eq(link_target("/sys/class/hwmon/hwmon0"),
			 "../../devices/pci0000:00/0000:00:18.3/hwmon/hwmon0");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/name"), "k10temp\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon1/name"), "k10temp\n");
	snprintf(path, sizeof(path), "%s/sys/class/hwmon/hwmon1/device", root);
	cr_assert_not_null(realpath(path, real));
	cr_expect(strstr(real, "/sys/devices/pci0000:00/0000:00:19.3") != NULL, "%s", real);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp1_label"), "Tctl\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp3_label"), "Tccd1\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp10_label"), "Tccd8\n");
	long long tctl = value("/sys/class/hwmon/hwmon0/temp1_input");

	cr_expect(tctl > 30000 && tctl < 45000, "idle Tctl %lld", tctl);
	cr_expect_eq(tctl % 125, 0, "k10temp 0.125 °C steps");
	cr_expect(value("/sys/class/hwmon/hwmon0/temp3_input") < tctl);

	/* DIMMs: jc42 at 0-0018.., with limits. */
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon2/name"), "jc42\n");
	snprintf(path, sizeof(path), "%s/sys/class/hwmon/hwmon2/device", root);
	cr_assert_not_null(realpath(path, real));
	cr_expect(strstr(real, "/i2c-0/0-0018") != NULL, "%s", real);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon5/device/name"), "jc42\n");
	cr_expect_eq(value("/sys/class/hwmon/hwmon2/temp1_max"), 85000);
	cr_expect_eq(value("/sys/class/hwmon/hwmon2/temp1_crit"), 95000);
	long long d = value("/sys/class/hwmon/hwmon2/temp1_input");

	cr_expect(d > 25000 && d < 50000, "DIMM %lld", d);

	/* nct6779 fan chip. */
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon6/name"), "nct6779\n");
	cr_expect_str_eq(link_target("/sys/class/hwmon/hwmon6/device"), "../../../nct6775.656");
	cr_expect_eq(value("/sys/class/hwmon/hwmon6/pwm1"), 128);
	cr_expect_eq(value("/sys/class/hwmon/hwmon6/pwm5_enable"), 2);
	cr_expect(value("/sys/class/hwmon/hwmon6/fan1_input") > 1000);
	cr_expect(value("/sys/class/hwmon/hwmon6/in0_input") > 900);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon6/fan6_input"), "", "only 5 fans");
	snprintf(path, sizeof(path), "%s/sys/class/hwmon/hwmon6/pwm1", root);
	cr_expect_eq(access(path, W_OK), 0, "pwm1 writable");

	/* VRMs: mp2975 with pmbus labels, one per socket. */
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon7/name"), "mp2975\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon8/name"), "mp2975\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon7/in2_label"), "vout1\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon7/power2_label"), "pout1\n");
	long long vin = value("/sys/class/hwmon/hwmon7/in1_input");

	cr_expect(vin > 11500 && vin < 12500, "vin %lld mV", vin);
	cr_expect(value("/sys/class/hwmon/hwmon7/power1_input") >
		  value("/sys/class/hwmon/hwmon7/power2_input"));

	/* powercap: package + core zones on AMD, no dram. */
	cr_expect_str_eq(slurp("/sys/class/powercap/intel-rapl:0/name"), "package-0\n");
	cr_expect_str_eq(slurp("/sys/class/powercap/intel-rapl:1/name"), "package-1\n");
	cr_expect_str_eq(slurp("/sys/class/powercap/intel-rapl:0:0/name"), "core\n");
	cr_expect_str_eq(slurp("/sys/class/powercap/intel-rapl:0:1/name"), "");
	cr_expect_eq(value("/sys/class/powercap/intel-rapl:0/max_energy_range_uj"),
		     262143328850LL);
	value("/sys/class/powercap/intel-rapl:0/energy_uj");

	/* cpuinfo. */
	const char *ci = slurp("/proc/cpuinfo");

	cr_expect(strstr(ci, "vendor_id\t: AuthenticAMD\n") != NULL);
	cr_expect(strstr(ci, "cpu family\t: 25\n") != NULL);
	cr_expect(strstr(ci, "model\t\t: 17\n") != NULL);
	cr_expect(strstr(ci, "processor\t: 15\n") != NULL, "8 CPUs per socket");
}

Test(tree, amd_msr_values)
{
	create(SIM_AMD, 1, 2, SIM_WRAP_UJ_DEFAULT);
	/* Counters start at the uptime the model assumes: measure from there. */
	uint32_t pkg0 = (uint32_t)model.sock[0].pkg_units;
	long long core0_uj = value("/sys/class/powercap/intel-rapl:0:0/energy_uj");

	for (int i = 0; i < 50; i++)
		cr_assert_eq(sim_tree_step(&tree, &model, 0.1), 0, "%s", tree.err);
	/* 0xC0010299/A/B share bytes in a file: PU and ESU hold, the rest is package. */
	uint64_t unit = msr(0, 0xC0010299);

	cr_expect_eq(unit & 0xFFFF, 0x1003u, "PU 3, ESU 16: 0x%llx", (unsigned long long)unit);
	cr_expect_eq((unit >> 8) & 0x1F, 16u);
	uint64_t pkg = msr(0, 0xC001029B);

	cr_expect_eq(pkg, model.sock[0].pkg_units & 0xFFFFFFFFu);
	/* 5 s at ~60 W idle = ~300 J = ~19.7 M units of 2^-16 J. */
	double j = (double)(uint32_t)((uint32_t)pkg - pkg0) / 65536.0;

	cr_expect(j > 250 && j < 350, "package energy %.1f J", j);
	/* The core share is in powercap's core zone instead. */
	long long core_uj = value("/sys/class/powercap/intel-rapl:0:0/energy_uj") - core0_uj;

	cr_expect(core_uj > 0 && (double)core_uj < j * 1e6 / 50, "one core's share: %lld µJ",
		  core_uj);
	cr_expect_eq(msr(7, 0xC001029B), pkg, "package MSR on every CPU of the socket");
	cr_expect_eq(msr(0, 0x34), 0u, "no SMI MSR on AMD");
	/* energy_uj = the MSR count in µJ, same counter. */
	long long uj = value("/sys/class/powercap/intel-rapl:0/energy_uj");

	cr_expect_eq((uint64_t)uj, sim_units_to_uj(model.sock[0].pkg_units, 16));
}

Test(tree, manual_pwm_raises_fan_speed)
{
	const char *fan = "/sys/class/hwmon/hwmon3/fan1_input";

	create(SIM_AMD, 1, 2, SIM_WRAP_UJ_DEFAULT);
	cr_assert_str_eq(slurp("/sys/class/hwmon/hwmon3/name"), "nct6779\n");
	/* Settle at the idle auto duty first. */
	for (int i = 0; i < 100; i++)
		cr_assert_eq(sim_tree_step(&tree, &model, 0.1), 0);
	long long auto_pwm = value("/sys/class/hwmon/hwmon3/pwm1");

	cr_expect(auto_pwm >= 70 && auto_pwm <= 90, "auto curve reads back: %lld", auto_pwm);
	long long prev = value(fan), start = prev;

	put("/sys/class/hwmon/hwmon3/pwm1_enable", "1\n");
	put("/sys/class/hwmon/hwmon3/pwm1", "255");     /* no newline: echo -n */
	for (int i = 0; i < 30; i++) {
		cr_assert_eq(sim_tree_step(&tree, &model, 0.1), 0);
		long long rpm = value(fan);

		cr_assert(rpm > prev, "fan1 did not rise at step %d: %lld <= %lld", i, rpm, prev);
		prev = rpm;
	}
	cr_expect(prev > start + 4000, "fan1 %lld -> %lld", start, prev);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon3/pwm1"), "255", "manual pwm left alone");
	cr_expect_eq(model.fan[0].enable, 1);
	/* fan2 stayed automatic. */
	cr_expect(value("/sys/class/hwmon/hwmon3/fan2_input") < start + 500);

	/* enable 0: full speed regardless of pwm. */
	put("/sys/class/hwmon/hwmon3/pwm2_enable", "0\n");
	put("/sys/class/hwmon/hwmon3/pwm2", "0\n");
	for (int i = 0; i < 100; i++)
		cr_assert_eq(sim_tree_step(&tree, &model, 0.1), 0);
	cr_expect(value("/sys/class/hwmon/hwmon3/fan2_input") > 11800);
	cr_expect_eq(value("/sys/class/hwmon/hwmon3/pwm2"), 255, "reads back full duty");

	/* Garbage in a control keeps the last good value. */
	put("/sys/class/hwmon/hwmon3/pwm1", "fast\n");
	cr_expect_eq(sim_tree_read_controls(&tree, &model), -ENODATA);
	cr_expect_eq(model.fan[0].pwm, 255);
}

Test(tree, held_fd_sees_updates_in_place)
{
	char path[PATH_MAX], buf[32];
	struct stat a, b;
	int fd;

	create(SIM_AMD, 1, 0, SIM_WRAP_UJ_DEFAULT);
	model.prof.kind = SIM_PROF_STEADY;
	model.prof.steady_load = 1.0;
	snprintf(path, sizeof(path), "%s/sys/class/hwmon/hwmon0/temp1_input", root);
	fd = open(path, O_RDONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(fstat(fd, &a), 0);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n] = '\0';
	long long before = strtoll(buf, NULL, 10);

	for (int i = 0; i < 100; i++)
		sim_tree_step(&tree, &model, 0.5);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	cr_expect(strtoll(buf, NULL, 10) > before + 10000, "held fd: %lld -> %s", before, buf);
	cr_assert_eq(stat(path, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino, "same inode: not replaced by rename");
	cr_expect_eq((size_t)b.st_size, strlen(buf), "truncated to the value");
	close(fd);
}

Test(tree, energy_uj_wraps_at_wrap_uj)
{
	const uint64_t wrap = 1000000;  /* 1 J */
	const char *e = "/sys/class/powercap/intel-rapl:0/energy_uj";
	long long prev, total = 0;
	int wraps = 0;

	create(SIM_AMD, 1, 0, wrap);
	cr_expect_eq(value("/sys/class/powercap/intel-rapl:0/max_energy_range_uj"), 1000000);
	prev = value(e);
	uint64_t start_uj = sim_units_to_uj(model.sock[0].pkg_units, 16);

	for (int i = 0; i < 200; i++) {         /* 0.6 J per 10 ms step at 60 W */
		cr_assert_eq(sim_tree_step(&tree, &model, 0.01), 0);
		long long now = value(e);

		cr_assert(now >= 0 && (uint64_t)now <= wrap, "%lld out of range", now);
		if (now < prev) {
			wraps++;
			total += now + ((long long)wrap - prev) + 1;   /* rt/wrap.h rule */
		} else {
			total += now - prev;
		}
		prev = now;
	}
	cr_expect(wraps >= 100, "wrapped %d times", wraps);
	uint64_t model_uj = sim_units_to_uj(model.sock[0].pkg_units, 16) - start_uj;

	cr_expect_eq((uint64_t)total, model_uj, "accumulated %lld vs model %llu", total,
		     (unsigned long long)model_uj);
}

Test(tree, intel_layout_and_msrs)
{
	create(SIM_INTEL, 1, 1, SIM_WRAP_UJ_DEFAULT);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/name"), "coretemp\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp1_label"), "Package id 0\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp2_label"), "Core 0\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon0/temp9_label"), "Core 7\n");
	cr_expect_eq(value("/sys/class/hwmon/hwmon0/temp1_crit"), 100000);
	cr_expect_eq(value("/sys/class/hwmon/hwmon0/temp1_input") % 1000, 0, "whole degrees");
	cr_expect_eq(value("/sys/class/hwmon/hwmon0/temp1_crit_alarm"), 0);
	cr_expect_str_eq(link_target("/sys/class/hwmon/hwmon0"),
			 "../../devices/platform/coretemp.0/hwmon/hwmon0");
	cr_expect_str_eq(slurp("/sys/class/powercap/intel-rapl:0:1/name"), "dram\n");
	cr_expect(strstr(slurp("/proc/cpuinfo"), "model\t\t: 143\n") != NULL);
	cr_expect(strstr(slurp("/proc/cpuinfo"), "GenuineIntel") != NULL);

	cr_expect_eq(msr(0, 0x1A2), 100u << 16, "TjMax 100");
	cr_expect_eq(msr(0, 0x606), 0x000A0E03u);
	long long pkg_mc = value("/sys/class/hwmon/hwmon0/temp1_input");
	uint64_t st = msr(0, 0x1B1);

	cr_expect_eq(100000 - (long long)((st >> 16) & 0x7F) * 1000, pkg_mc,
		     "0x1B1 readout matches the package temperature");
	cr_expect((msr(0, 0x19C) >> 31) & 1, "0x19C valid bit");

	model.smi_hz = 20;
	cr_expect_eq(msr(0, 0x34), 0u);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(sim_tree_step(&tree, &model, 0.1), 0);
	uint64_t smi = msr(0, 0x34);

	cr_expect(smi >= 19 && smi <= 20, "SMI count %llu after 1 s at 20 Hz",
		  (unsigned long long)smi);
	cr_expect_eq(msr(3, 0x34), smi, "every CPU sees the SMIs");
	cr_expect_eq(msr(0, 0x611), model.sock[0].pkg_units & 0xFFFFFFFFu);
	cr_expect(msr(0, 0x619) > 0 && msr(0, 0x639) > 0);
	cr_expect(msr(0, 0x639) < msr(0, 0x611), "PP0 below package");
}

Test(tree, root_takeover_rules)
{
	struct sim_tree_opts o = { .wrap_uj = SIM_WRAP_UJ_DEFAULT, .noise = true };
	char path[PATH_MAX];
	struct stat a, b;
	int fd;

	create(SIM_AMD, 1, 2, SIM_WRAP_UJ_DEFAULT);
	snprintf(path, sizeof(path), "%s/sys/class/hwmon/hwmon0/temp1_input", root);
	cr_assert_eq(stat(path, &a), 0);
	sim_tree_close(&tree);

	/* Same shape: reused in place (same inode). */
	cr_assert_eq(sim_tree_create(&tree, root, &model, &o), 0, "%s", tree.err);
	cr_assert_eq(stat(path, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino);
	sim_tree_close(&tree);

	/* Another shape: emptied and rebuilt (no stale DIMM 2). */
	model.ndimms = 1;
	cr_assert_eq(sim_tree_create(&tree, root, &model, &o), 0, "%s", tree.err);
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon2/name"), "nct6779\n");
	cr_expect_str_eq(slurp("/sys/class/hwmon/hwmon4/name"), "", "stale entry removed");
	sim_tree_close(&tree);

	/* A foreign non-empty directory is refused and left alone. */
	snprintf(path, sizeof(path), "%s/" SIM_MARKER, root);
	cr_assert_eq(unlink(path), 0);
	cr_expect_eq(sim_tree_create(&tree, root, &model, &o), -ENOTEMPTY);
	cr_expect(strstr(tree.err, "refusing") != NULL, "%s", tree.err);
	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	fd = open(path, O_RDONLY);
	cr_expect(fd >= 0, "foreign tree untouched");
	if (fd >= 0)
		close(fd);
}

Test(tree, print_config)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sim_profile p;

	cr_assert_not_null(f);
	sim_profile_builtin(&p, "idle");
	cr_assert_eq(sim_model_init(&model, SIM_AMD, 1, 5, 8, &p, 1), 0);
	cr_expect_eq(sim_tree_print_config(f, "/tmp/fx", &model, 100), 0);
	fclose(f);
	cr_expect(strstr(text, "[sampler]\nroot = /tmp/fx\nperiod_ms = 100\n") != NULL, "%s",
		  text);
	cr_expect(strstr(text, "\n[hwmon]\nenable = yes\n") != NULL);
	cr_expect(strstr(text, "\n[powercap]\nenable = yes\n") != NULL);
	cr_expect(strstr(text, "\n[msr]\nenable = yes\n") != NULL);
	cr_expect(strstr(text, "\n[sensor msr/*/core-*-energy]\nignore = yes\n") != NULL);
	free(text);
}
