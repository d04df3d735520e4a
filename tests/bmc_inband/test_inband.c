/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_inband.c - tools/bmc/inband.c against a fixture root made per test
 * in mkdtemp (proc/modules, proc/<pid>/fd links, sys/module, modules.builtin,
 * etc/modprobe.d) with fake-modprobe.sh as modprobe: call order, built-in
 * modules, holders, failures, nowayout, the blacklist file, a round trip
 * and hostile proc/modules contents.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inband.h"

#define RELEASE "6.1.0-test"
#define BL "/etc/modprobe.d/sovereign-ipmi.conf"

/* The kernel lists the newest module first; fake-modprobe.sh puts a loaded one on top. */
static const char std_modules[] =
	"ipmi_watchdog 28672 0 - Live 0xffffffffc0a10000\n"
	"ipmi_si 81920 1 - Live 0xffffffffc09f0000\n"
	"ipmi_devintf 20480 0 - Live 0xffffffffc09e0000\n"
	"ipmi_msghandler 122880 3 ipmi_watchdog,ipmi_si,ipmi_devintf, Live 0xffffffffc09b0000\n"
	"ext4 995328 2 - Live 0xffffffffc0800000\n";

static char root[PATH_MAX];
static char modprobe[PATH_MAX];
static struct bmc_inband_host h;
static char err[512];

/* ---- fixture helpers ---- */

static void fx_path(char *buf, const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", root, rel);

	cr_assert(n > 0 && n < PATH_MAX);
}

static void fx_mkdirs(const char *rel)
{
	char p[PATH_MAX];
	char *s;

	fx_path(p, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", p);
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", p);
}

static void fx_write_len(const char *rel, const char *data, size_t len)
{
	char p[PATH_MAX];
	FILE *f;

	fx_path(p, rel);
	f = fopen(p, "wb");
	cr_assert(f, "fopen %s: %m", p);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void fx_write(const char *rel, const char *text)
{
	fx_write_len(rel, text, strlen(text));
}

/* fx_read() - the file's bytes, NUL-terminated (malloc'd), or NULL if it does not exist. */
static char *fx_read(const char *rel)
{
	char p[PATH_MAX];
	char *buf;
	long len;
	FILE *f;

	fx_path(p, rel);
	f = fopen(p, "rb");
	if (!f)
		return NULL;
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static bool fx_exists(const char *rel)
{
	char p[PATH_MAX];

	fx_path(p, rel);
	return access(p, F_OK) == 0;
}

/* fx_fd() - <root>/proc/<pid>/fd/<fd> -> @target, and the comm file. */
static void fx_fd(int pid, int fd, const char *target, const char *comm)
{
	char rel[64], p[PATH_MAX];

	snprintf(rel, sizeof(rel), "proc/%d/fd", pid);
	fx_mkdirs(rel);
	snprintf(rel, sizeof(rel), "proc/%d/fd/%d", pid, fd);
	fx_path(p, rel);
	cr_assert_eq(symlink(target, p), 0, "symlink %s: %m", p);
	snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	fx_write(rel, comm);
}

static void fx_assert_file(const char *rel, const char *want)
{
	char *got = fx_read(rel);

	cr_assert(got, "%s missing", rel);
	cr_assert_str_eq(got, want, "%s:\n%s\nwanted:\n%s", rel, got, want);
	free(got);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/sov-inband-XXXXXX");
	cr_assert(mkdtemp(root), "mkdtemp: %m");
	fx_mkdirs("proc");
	fx_mkdirs("etc/modprobe.d");
	fx_mkdirs("lib/modules/" RELEASE);
	fx_mkdirs("sys/module");
	fx_mkdirs("proc/sys"); /* not a pid: skipped */
	fx_path(modprobe, "modprobe");
	cr_assert_eq(symlink(SOV_FAKE_MODPROBE, modprobe), 0, "symlink: %m");
	fx_write("proc/modules", std_modules);
	fx_write("lib/modules/" RELEASE "/modules.builtin",
		 "kernel/drivers/char/ipmi/ipmi-ssif.ko\n"
		 "kernel/fs/ext2/ext2.ko\n"
		 "kernel/drivers/acpi/acpi_ipmi.ko\n");
	h = (struct bmc_inband_host){ .root = root, .modprobe = modprobe, .blacklist = BL,
				      .release = RELEASE };
	err[0] = '\0';
}

static void teardown(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(inband, .init = setup, .fini = teardown);

static int idx(const char *m)
{
	int i;

	for (i = 0; i < BMC_INBAND_NMOD; i++)
		if (!strcmp(bmc_inband_modules[i], m))
			return i;
	cr_assert_fail("no module %s", m);
	return -1;
}

/* ---- state ---- */

Test(inband, module_list_in_unload_order)
{
	static const char *const want[] = { "ipmi_watchdog", "ipmi_poweroff", "acpi_ipmi",
					    "ipmi_ssif", "ipmi_si", "ipmi_devintf",
					    "ipmi_msghandler" };
	int i;

	for (i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert_str_eq(bmc_inband_modules[i], want[i]);
}

Test(inband, read_loaded_builtin_absent)
{
	struct bmc_inband_state st;

	/* /sys/module/<m> without initstate: built in; with it: a module. */
	fx_mkdirs("sys/module/ipmi_poweroff/parameters");
	fx_mkdirs("sys/module/ipmi_si");
	fx_write("sys/module/ipmi_si/initstate", "live\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mod[idx("ipmi_watchdog")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_poweroff")], BMC_MOD_BUILTIN);
	cr_assert_eq(st.mod[idx("acpi_ipmi")], BMC_MOD_BUILTIN);
	cr_assert_eq(st.mod[idx("ipmi_ssif")], BMC_MOD_BUILTIN); /* ipmi-ssif.ko */
	cr_assert_eq(st.mod[idx("ipmi_si")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_devintf")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_msghandler")], BMC_MOD_LOADED);
	cr_assert_eq(st.nholders, 0);
	cr_assert(!st.blacklisted);
	cr_assert(!st.watchdog_nowayout);
	cr_assert(!st.watchdog_armed);
}

Test(inband, dash_and_underscore_are_one_name)
{
	struct bmc_inband_state st;

	fx_write("proc/modules", "ipmi-poweroff 16384 0 - Unloading 0x0\n"
				 "ipmi_devintf 20480 0 - Loading 0x0\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mod[idx("ipmi_poweroff")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_devintf")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_si")], BMC_MOD_ABSENT);
	cr_assert_eq(st.mod[idx("ipmi_watchdog")], BMC_MOD_ABSENT);
}

Test(inband, nowayout_and_armed)
{
	struct bmc_inband_state st;
	char p[PATH_MAX];

	fx_mkdirs("sys/module/ipmi_watchdog/parameters");
	fx_write("sys/module/ipmi_watchdog/initstate", "live\n"); /* a module, not built in */
	fx_write("sys/module/ipmi_watchdog/parameters/nowayout", "Y\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(st.watchdog_nowayout);
	cr_assert(!st.watchdog_armed);

	fx_fd(77, 4, "/dev/watchdog0", "watchdogd\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(st.watchdog_armed);
	cr_assert_eq(st.nholders, 0, "a watchdog holder is no /dev/ipmi holder");

	fx_write("sys/module/ipmi_watchdog/parameters/nowayout", "N\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(!st.watchdog_nowayout);
	cr_assert(st.watchdog_armed);

	/* Unloaded: its /sys/module directory goes too. */
	fx_path(p, "sys/module/ipmi_watchdog");
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	cr_assert(!fx_exists("sys/module/ipmi_watchdog"));
	fx_write("proc/modules", "ipmi_msghandler 122880 0 - Live 0x0\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.mod[idx("ipmi_watchdog")], BMC_MOD_ABSENT);
	cr_assert(!st.watchdog_nowayout);
	cr_assert(!st.watchdog_armed, "/dev/watchdog0 without ipmi_watchdog is another driver");
}

Test(inband, missing_proc_modules_and_long_root)
{
	struct bmc_inband_state st;
	char longroot[PATH_MAX + 16];
	char p[PATH_MAX];

	fx_path(p, "proc/modules");
	cr_assert_eq(unlink(p), 0);
	/* a kernel without module support has no proc/modules: nothing is loaded */
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert_neq(st.mod[i], BMC_MOD_LOADED);

	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	h.root = longroot;
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), -ENAMETOOLONG);
}

/* ---- unload ---- */

Test(inband, unload_only_loaded_in_order)
{
	bool un[BMC_INBAND_NMOD];
	char p[PATH_MAX];
	char *env;

	cr_assert_eq(setenv("SOV_INBAND_LEAK", "1", 1), 0);
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), 0, "%s", err);
	fx_assert_file("modprobe.log", "-r ipmi_watchdog\n-r ipmi_si\n-r ipmi_devintf\n"
				       "-r ipmi_msghandler\n");
	fx_assert_file("proc/modules", "ext4 995328 2 - Live 0xffffffffc0800000\n");
	cr_assert(un[idx("ipmi_watchdog")] && un[idx("ipmi_si")] && un[idx("ipmi_devintf")] &&
		  un[idx("ipmi_msghandler")]);
	cr_assert(!un[idx("ipmi_poweroff")] && !un[idx("acpi_ipmi")] && !un[idx("ipmi_ssif")]);

	/* A clean environment and stdin /dev/null. */
	env = fx_read("modprobe.env");
	cr_assert(env);
	cr_assert(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), "%s", env);
	cr_assert(!strstr(env, "SOV_INBAND_LEAK"), "%s", env);
	cr_assert(!strstr(env, "HOME="), "%s", env);
	free(env);
	fx_assert_file("modprobe.stdin", "/dev/null\n");
	unsetenv("SOV_INBAND_LEAK");

	/* Nothing left: a second call removes nothing. */
	fx_path(p, "modprobe.log");
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), 0, "%s", err);
	cr_assert(!fx_exists("modprobe.log"));
	for (int i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert(!un[i]);
}

Test(inband, builtin_never_passed_to_modprobe)
{
	bool un[BMC_INBAND_NMOD];

	/* Built in (one spelled with '-'): never given to modprobe; the listed one is. */
	fx_write("lib/modules/" RELEASE "/modules.builtin",
		 "kernel/drivers/char/ipmi/ipmi_watchdog.ko\n"
		 "kernel/drivers/char/ipmi/ipmi-msghandler.ko\n");
	fx_write("proc/modules", "ipmi_si 81920 1 - Live 0x0\n");
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), 0, "%s", err);
	fx_assert_file("modprobe.log", "-r ipmi_si\n");
	cr_assert(un[idx("ipmi_si")]);
	cr_assert(!un[idx("ipmi_watchdog")] && !un[idx("ipmi_msghandler")]);
}

Test(inband, holder_refuses_then_force)
{
	struct bmc_inband_state st;
	bool un[BMC_INBAND_NMOD];

	fx_fd(1234, 0, "/dev/null", "ipmitool\n");
	fx_fd(1234, 3, "/dev/ipmi0", "ipmitool\n");
	fx_fd(55, 1, "/dev/pts/0", "bash\n");
	fx_fd(99, 5, "/dev/ipmidev/0", "openipmid\n");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(st.nholders, 2);
	cr_assert((st.holders[0] == 1234 && !strcmp(st.holder_comm[0], "ipmitool") &&
		   st.holders[1] == 99 && !strcmp(st.holder_comm[1], "openipmid")) ||
		  (st.holders[1] == 1234 && !strcmp(st.holder_comm[1], "ipmitool") &&
		   st.holders[0] == 99 && !strcmp(st.holder_comm[0], "openipmid")));

	un[0] = true;
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), -EBUSY);
	cr_assert(strstr(err, "2 process"), "%s", err);
	cr_assert(strstr(err, "1234 (ipmitool)") || strstr(err, "99 (openipmid)"), "%s", err);
	for (int i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert(!un[i]);
	cr_assert(!fx_exists("modprobe.log"), "modprobe run while held");
	fx_assert_file("proc/modules", std_modules);

	cr_assert_eq(bmc_inband_unload(&h, true, un, err, sizeof(err)), 0, "%s", err);
	fx_assert_file("proc/modules", "ext4 995328 2 - Live 0xffffffffc0800000\n");
	cr_assert(un[idx("ipmi_si")]);
}

Test(inband, modprobe_failure_stops_and_names_module)
{
	bool un[BMC_INBAND_NMOD];

	fx_write("modprobe.fail", "ipmi_si\n");
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), -EIO);
	cr_assert_str_eq(err, "modprobe -r ipmi_si: exit 1: modprobe: FATAL: Module ipmi_si is "
			      "in use.");
	fx_assert_file("modprobe.log", "-r ipmi_watchdog\n-r ipmi_si\n");
	cr_assert(un[idx("ipmi_watchdog")]);
	cr_assert(!un[idx("ipmi_si")] && !un[idx("ipmi_devintf")] && !un[idx("ipmi_msghandler")]);
}

Test(inband, removed_but_still_listed)
{
	bool un[BMC_INBAND_NMOD];

	fx_write("modprobe.keep", "ipmi_devintf\n");
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), -EBUSY);
	cr_assert(strstr(err, "ipmi_devintf"), "%s", err);
	cr_assert(!strstr(err, "ipmi_si "), "%s", err);
	cr_assert(un[idx("ipmi_watchdog")] && un[idx("ipmi_si")] && un[idx("ipmi_msghandler")]);
	cr_assert(!un[idx("ipmi_devintf")], "still loaded: not to be loaded again");
}

Test(inband, modprobe_missing)
{
	bool un[BMC_INBAND_NMOD];
	char p[PATH_MAX];

	fx_path(p, "no-such-modprobe");
	h.modprobe = p;
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "ipmi_watchdog") && strstr(err, "no-such-modprobe"), "%s", err);
	h.modprobe = "modprobe";
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), -EINVAL);
}

/* ---- load ---- */

Test(inband, round_trip_restores_proc_modules)
{
	bool un[BMC_INBAND_NMOD];

	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(bmc_inband_load(&h, un, err, sizeof(err)), 0, "%s", err);
	fx_assert_file("modprobe.log", "-r ipmi_watchdog\n-r ipmi_si\n-r ipmi_devintf\n"
				       "-r ipmi_msghandler\n"
				       "ipmi_msghandler\nipmi_devintf\nipmi_si\nipmi_watchdog\n");
	fx_assert_file("proc/modules", std_modules);
}

Test(inband, load_failure_and_unlisted)
{
	bool mods[BMC_INBAND_NMOD] = { false };

	fx_write("proc/modules", "");
	mods[idx("ipmi_msghandler")] = mods[idx("ipmi_devintf")] = mods[idx("ipmi_si")] = true;
	fx_write("modprobe.fail", "ipmi_devintf\n");
	cr_assert_eq(bmc_inband_load(&h, mods, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "modprobe ipmi_devintf: exit 1:"), "%s", err);
	fx_assert_file("modprobe.log", "ipmi_msghandler\nipmi_devintf\n");

	fx_write("modprobe.fail", "");
	fx_write("modprobe.keep", "ipmi_si\n");
	fx_write("proc/modules", "");
	cr_assert_eq(bmc_inband_load(&h, mods, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "ipmi_si not in /proc/modules"), "%s", err);
}

/* ---- blacklist ---- */

static const char bl_text[] =
	"# Written by sovereign-bmc standby: in-band IPMI stays off (sovereign-bmc wake removes "
	"this file).\n"
	"blacklist ipmi_watchdog\ninstall ipmi_watchdog /bin/false\n"
	"blacklist ipmi_poweroff\ninstall ipmi_poweroff /bin/false\n"
	"blacklist acpi_ipmi\ninstall acpi_ipmi /bin/false\n"
	"blacklist ipmi_ssif\ninstall ipmi_ssif /bin/false\n"
	"blacklist ipmi_si\ninstall ipmi_si /bin/false\n"
	"blacklist ipmi_devintf\ninstall ipmi_devintf /bin/false\n"
	"blacklist ipmi_msghandler\ninstall ipmi_msghandler /bin/false\n";

Test(inband, blacklist_on_off)
{
	struct bmc_inband_state st;
	struct stat sb;
	char p[PATH_MAX];
	mode_t old = umask(077);

	cr_assert_eq(bmc_inband_blacklist(&h, true, err, sizeof(err)), 0, "%s", err);
	umask(old);
	fx_assert_file(BL + 1, bl_text);
	fx_path(p, BL + 1);
	cr_assert_eq(stat(p, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0644, "mode %o", sb.st_mode & 07777);
	cr_assert(!fx_exists("etc/modprobe.d/sovereign-ipmi.conf.tmp"));
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(st.blacklisted);

	cr_assert_eq(bmc_inband_blacklist(&h, true, err, sizeof(err)), 0, "%s", err);
	fx_assert_file(BL + 1, bl_text);

	cr_assert_eq(bmc_inband_blacklist(&h, false, err, sizeof(err)), 0, "%s", err);
	cr_assert(!fx_exists(BL + 1));
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(!st.blacklisted);
	cr_assert_eq(bmc_inband_blacklist(&h, false, err, sizeof(err)), 0, "missing: 0");
}

Test(inband, blacklist_foreign_file_kept)
{
	struct bmc_inband_state st;
	static const char foreign[] = "# local policy\nblacklist ipmi_si\n";

	fx_write(BL + 1, foreign);
	cr_assert_eq(bmc_inband_blacklist(&h, false, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "sovereign-ipmi.conf"), "%s", err);
	fx_assert_file(BL + 1, foreign);
	cr_assert_eq(bmc_inband_blacklist(&h, true, err, sizeof(err)), -EEXIST);
	fx_assert_file(BL + 1, foreign);
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert(!st.blacklisted);

	/* Our header with something after it on the same line is not ours either. */
	fx_write(BL + 1, "# Written by sovereign-bmc standby: in-band IPMI stays off "
			 "(sovereign-bmc wake removes this file). edited\n");
	cr_assert_eq(bmc_inband_blacklist(&h, false, err, sizeof(err)), -EEXIST);

	h.blacklist = "relative.conf";
	cr_assert_eq(bmc_inband_blacklist(&h, true, err, sizeof(err)), -EINVAL);
}

/* ---- hostile proc/modules and modules.builtin ---- */

static void assert_sane(const struct bmc_inband_state *st)
{
	for (int i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert(st->mod[i] == BMC_MOD_ABSENT || st->mod[i] == BMC_MOD_LOADED ||
			  st->mod[i] == BMC_MOD_BUILTIN);
	cr_assert(st->nholders >= 0);
}

Test(inband, hostile_empty)
{
	struct bmc_inband_state st;
	bool un[BMC_INBAND_NMOD];

	fx_write("proc/modules", "");
	fx_write("lib/modules/" RELEASE "/modules.builtin", "");
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert_eq(st.mod[i], BMC_MOD_ABSENT);
	cr_assert_eq(bmc_inband_unload(&h, false, un, err, sizeof(err)), 0, "%s", err);
	cr_assert(!fx_exists("modprobe.log"));
}

Test(inband, hostile_garbage_1mib)
{
	struct bmc_inband_state st;
	size_t len = 1u << 20, i;
	unsigned int x = 2463534242u;
	char *g = malloc(len);

	cr_assert(g);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		g[i] = (char)(x & 0xff);
	}
	fx_write_len("proc/modules", g, len);
	fx_write_len("lib/modules/" RELEASE "/modules.builtin", g, len);
	free(g);
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	assert_sane(&st);
	for (i = 0; i < BMC_INBAND_NMOD; i++)
		cr_assert_eq(st.mod[i], BMC_MOD_ABSENT);
}

Test(inband, hostile_long_lines_and_bytes)
{
	struct bmc_inband_state st;
	size_t big = 100 * 1024, n = 0;
	char *buf = malloc(4 * big + 512);

	cr_assert(buf);
	/* A 100 KB line after a real first field; a 100 KB first field starting "ipmi_si". */
	n += (size_t)sprintf(buf + n, "ext4 ");
	memset(buf + n, 'x', big);
	n += big;
	buf[n++] = '\n';
	memcpy(buf + n, "ipmi_si", 7);
	memset(buf + n + 7, 'y', big);
	n += 7 + big;
	n += (size_t)sprintf(buf + n, " 1 0 - Live 0x0\n");
	/* Not UTF-8, NULs, tabs. */
	n += (size_t)sprintf(buf + n, "\xff\xfeipmi_devintf 1 0 - Live\n");
	n += (size_t)sprintf(buf + n, "ipmi_watchdog\xc3\x28 1 0 - Live\n");
	buf[n++] = '\0';
	n += (size_t)sprintf(buf + n, "ipmi_poweroff 1 0 - Live\n");
	n += (size_t)sprintf(buf + n, "ipmi_ssif\t1 0 - Live\n");
	/* The last line without its newline. */
	n += (size_t)sprintf(buf + n, "ipmi_msghandler 1 0 - Live");
	fx_write_len("proc/modules", buf, n);
	free(buf);

	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), 0, "%s", err);
	assert_sane(&st);
	cr_assert_eq(st.mod[idx("ipmi_si")], BMC_MOD_ABSENT);
	cr_assert_eq(st.mod[idx("ipmi_devintf")], BMC_MOD_ABSENT);
	cr_assert_eq(st.mod[idx("ipmi_watchdog")], BMC_MOD_ABSENT);
	cr_assert_eq(st.mod[idx("ipmi_poweroff")], BMC_MOD_ABSENT); /* "\0ipmi_poweroff" */
	cr_assert_eq(st.mod[idx("ipmi_ssif")], BMC_MOD_LOADED);
	cr_assert_eq(st.mod[idx("ipmi_msghandler")], BMC_MOD_LOADED);
}

Test(inband, hostile_huge_refused)
{
	struct bmc_inband_state st;
	size_t len = 5u << 20;
	char *g = malloc(len);

	cr_assert(g);
	memset(g, 'a', len);
	for (size_t i = 80; i < len; i += 81)
		g[i] = '\n';
	fx_write_len("proc/modules", g, len);
	free(g);
	cr_assert_eq(bmc_inband_read(&h, &st, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "proc/modules"), "%s", err);
}
