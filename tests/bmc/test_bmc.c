/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_bmc.c - sovereign-bmc, the program, end to end: against OpenIPMI's
 * ipmi_sim as the BMC (tests/ipmi: Supermicro, iDRAC and an unprofiled
 * vendor), the Redfish emulator serving the DMTF mockup, and a fixture
 * host root (proc/modules, /etc/modprobe.d) with a recording modprobe.
 * Every result is checked with independent clients: ipmitool over lanplus
 * for the BMC, libcurl with basic auth for Redfish, the files for the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipmi_rig.h"
#include "rf_emu.h"

#define RF_USER "admin"
#define RF_PASSWORD "secret" /* redfish_emu.py's default */

static struct ipmi_rig rig = { .pid = -1, .pty = -1 };
static char conf[PATH_MAX + 32], out[16384];

/* ---- fixture ------------------------------------------------------------ */

static void path_in(char *buf, size_t len, const char *rel)
{
	cr_assert_lt((size_t)snprintf(buf, len, "%s/%s", rig.dir, rel), len);
}

static void wfile(const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX + 64];
	int fd;

	path_in(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void slurp(const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX + 64];
	ssize_t n;
	int fd;

	path_in(p, sizeof(p), rel);
	buf[0] = '\0';
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX + 64];

	path_in(p, sizeof(p), rel);
	return access(p, F_OK) == 0;
}

#define MODULES                                                         \
	"ipmi_si 86016 0 - Live 0x0000000000000000\n"                   \
	"ipmi_devintf 20480 0 - Live 0x0000000000000000\n"              \
	"ipmi_msghandler 122880 2 ipmi_devintf,ipmi_si, Live 0x0000000000000000\n" \
	"ext4 1000000 1 - Live 0x0000000000000000\n"

/*
 * write_conf() - bmc.conf for this rig: the IPMI password from a 0600 file,
 * Redfish at the emulator (if @redfish), the host root and modprobe of the
 * fixture, the state directory in the rig.
 */
static void write_conf(bool redfish, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "[bmc]\naddress = 127.0.0.1\nport = %u\nuser = " RIG_USER "\n"
		 "password_file = %s/pw\nopen_session_workaround = yes\ntimeout_ms = 3000\n"
		 "%s%s%s%s%s"
		 "[host]\nroot = %s/host\nmodprobe = %s/host/modprobe\n"
		 "[state]\ndir = %s/state\n%s",
		 rig.port, rig.dir, redfish ? "[redfish]\nurl = " : "", redfish ? emu.url : "",
		 redfish ? "\nuser = " RF_USER "\npassword_file = " : "", redfish ? rig.dir : "",
		 redfish ? "/rfpw\n" : "", rig.dir, rig.dir, rig.dir, extra ? extra : "");
	wfile("bmc.conf", text, 0644);
}

static void fixture(const char *vendor, bool redfish)
{
	char p[PATH_MAX + 64];

	rig_start(&rig, vendor);
	emu.pid = 0;
	if (redfish)
		emu_start(NULL);
	for (const char *d = "host\0host/proc\0host/etc\0host/etc/modprobe.d\0"; *d;
	     d += strlen(d) + 1) {
		path_in(p, sizeof(p), d);
		cr_assert_eq(mkdir(p, 0755), 0, "%s: %s", p, strerror(errno));
	}
	wfile("host/proc/modules", MODULES, 0644);
	path_in(p, sizeof(p), "host/modprobe");
	cr_assert_eq(symlink(SOV_FAKE_MODPROBE, p), 0);
	wfile("pw", RIG_PASSWORD "\n", 0600);
	wfile("rfpw", RF_PASSWORD "\n", 0600);
	write_conf(redfish, NULL);
	path_in(conf, sizeof(conf), "bmc.conf");
}

static void teardown(void)
{
	emu_stop();
	rig_stop(&rig);
}

/* ---- the program and the independent clients ----------------------------- */

static long now_ms(void)
{
	return rig_now_ms();
}

/*
 * bmc() - run "sovereign-bmc -c bmc.conf ARGS..." (NULL-terminated), its
 * stdout and stderr into out[]; @env_pw: also SOVEREIGN_BMC_PASSWORD in its
 * environment.  Return: its exit status (128+signal if killed).
 */
static int bmc_env(const char *env_pw, const char *arg, ...)
{
	char *argv[16] = { "sovereign-bmc", "-c", conf }, log[PATH_MAX + 64], envpw[128];
	char *envp[3] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
	int argc = 3, st;
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	for (const char *a = arg; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	if (env_pw) {
		snprintf(envpw, sizeof(envpw), "SOVEREIGN_BMC_PASSWORD=%s", env_pw);
		envp[1] = envpw;
	}
	path_in(log, sizeof(log), "bmc.out");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execve(SOV_BMC, argv, envp);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	slurp("bmc.out", out, sizeof(out));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define bmc(...) bmc_env(NULL, __VA_ARGS__, NULL)

/* IT() - ipmitool ARGS... into @buf (an array); it must succeed. */
#define IT(buf, ...)                                                                   \
	do {                                                                           \
		int it_rc_ = rig_ipmitool(&rig, buf, sizeof(buf), __VA_ARGS__, (char *)NULL); \
		cr_assert_eq(it_rc_, 0, "ipmitool: exit %d: %s", it_rc_, buf);          \
	} while (0)

/* BMC state as ipmitool sees it. */
static bool wd_running(void)
{
	char b[256];
	unsigned int use;

	IT(b, "raw", "0x06", "0x25");
	cr_assert_eq(sscanf(b, " %x", &use), 1, "%s", b);
	return use & 0x40;
}

static bool sol_enabled(void)
{
	char b[2048];

	IT(b, "sol", "info", "1");
	cr_assert(strstr(b, "Enabled"), "%s", b);
	return strstr(b, "Enabled                         : true") != NULL;
}

static unsigned int fan_mode(void)
{
	char b[64];
	unsigned int m;

	IT(b, "raw", "0x30", "0x45", "0x00");
	cr_assert_eq(sscanf(b, " %x", &m), 1, "%s", b);
	return m;
}

static int sel_entries(void)
{
	char b[2048], *p;

	IT(b, "sel", "info");
	p = strstr(b, "Entries");
	cr_assert(p, "%s", b);
	return atoi(strchr(p, ':') + 1);
}

/* Redfish state with basic auth (an independent client; rf_emu.h's sink). */
static bool rf_bool(const char *path, const char *obj, const char *prop)
{
	static struct { char buf[8192]; size_t len; } b;
	char url[256];
	CURL *c = curl_easy_init();
	cJSON *j, *v;
	bool on;

	b.len = 0;
	snprintf(url, sizeof(url), "%s%s", emu.url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERPWD, RF_USER ":" RF_PASSWORD);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	j = cJSON_Parse(b.buf);
	v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, obj), prop);
	cr_assert(cJSON_IsBool(v), "%s %s.%s: %s", path, obj, prop, b.buf);
	on = cJSON_IsTrue(v);
	cJSON_Delete(j);
	return on;
}

#define NETPROTO "/redfish/v1/Managers/BMC/NetworkProtocol"
#define MANAGER "/redfish/v1/Managers/BMC"

/* The BMC as a user left it: watchdog running, SOL on, fans standard. */
static void bmc_awake(void)
{
	char b[512];

	/*
	 * timer use SMS/OS with "don't stop" (ipmi_sim then reports it
	 * running), no action (the only one ipmi_sim takes), 300 s
	 */
	IT(b, "raw", "0x06", "0x24", "0x44", "0x00", "0x00", "0x00", "0x2c", "0x01");
	IT(b, "sol", "set", "enabled", "true", "1");
	IT(b, "raw", "0x30", "0x45", "0x01", "0x00");
	cr_assert(wd_running());
	cr_assert(sol_enabled());
}

/* has() - @text contains @needle; the message shows the program's output. */
#define has(text, needle) cr_assert(strstr(text, needle), "no '%s' in:\n%s", needle, text)

static void supermicro(void)
{
	fixture("supermicro", true);
	bmc_awake();
}

/* The whole round trip: every prior value back after wake, nothing else touched. */
Test(bmc, standby_status_wake_round_trip, .init = supermicro, .fini = teardown, .timeout = 120)
{
	char before[4096], after[4096], rec[16384], sel[8192];

	slurp("host/proc/modules", before, sizeof(before));
	cr_assert_eq(sel_entries(), 3);
	cr_assert(rf_bool(NETPROTO, "KVMIP", "ProtocolEnabled"));

	cr_assert_eq(bmc("standby"), 0, "%s", out);
	has(out, "3 entries saved to");
	has(out, "fan mode standard -> full (read back)");
	has(out, "running -> stopped (read back)");
	has(out, "in-band            done");
	/* the BMC, read back by ipmitool and curl */
	cr_assert_not(wd_running());
	cr_assert_not(sol_enabled());
	cr_assert_eq(fan_mode(), 1);
	cr_assert_eq(sel_entries(), 0);
	cr_assert_not(rf_bool(NETPROTO, "KVMIP", "ProtocolEnabled"));
	cr_assert_not(rf_bool(NETPROTO, "VirtualMedia", "ProtocolEnabled"));
	cr_assert_not(rf_bool(MANAGER, "GraphicalConsole", "ServiceEnabled"));
	/* the host */
	slurp("host/proc/modules", after, sizeof(after));
	cr_assert_str_eq(after, "ext4 1000000 1 - Live 0x0000000000000000\n");
	slurp("host/etc/modprobe.d/sovereign-ipmi.conf", after, sizeof(after));
	has(after, "blacklist ipmi_si\n");
	has(after, "install ipmi_msghandler /bin/false\n");
	/* the record holds the prior values */
	slurp("state/bmc-standby.json", rec, sizeof(rec));
	has(rec, "\"timer_use\":\t68");
	has(rec, "\"mode\":\t0");
	/* the saved SEL: three lines */
	{
		char cmd[PATH_MAX + 64];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "cat %s/state/sel/*.jsonl", rig.dir);
		p = popen(cmd, "r");
		cr_assert(p);
		sel[fread(sel, 1, sizeof(sel) - 1, p)] = '\0';
		pclose(p);
		cr_assert_eq(strchr(sel, '\n') && strchr(strchr(sel, '\n') + 1, '\n') &&
				     strchr(strchr(strchr(sel, '\n') + 1, '\n') + 1, '\n'),
			     true, "%s", sel);
		has(sel, "\"raw\":");
	}

	/* status: everything silenced, with the time */
	cr_assert_eq(bmc("status", "--json"), 0, "%s", out);
	{
		cJSON *j = cJSON_Parse(out), *f;
		int n = 0;

		cr_assert(j, "%s", out);
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "functions")) {
			const char *name = cJSON_GetObjectItem(f, "function")->valuestring;

			if (!strcmp(name, "sel"))
				continue;
			cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(f, "silenced")), "%s: %s", name,
				  cJSON_GetObjectItem(f, "state")->valuestring);
			cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(f, "since")), "%s", name);
			n++;
		}
		cr_assert_eq(n, 7, "%s", out);
		cJSON_Delete(j);
	}

	/* standby again: no change at all */
	cr_assert_eq(bmc("standby"), 0, "%s", out);
	cr_assert_null(strstr(out, " done    "), "standby twice changed something: %s", out);
	has(out, "record             already so");
	has(out, "fans               already so");
	has(out, "kvm-ip             already so");
	slurp("state/bmc-standby.json", after, sizeof(after));
	has(after, "\"timer_use\":\t68"); /* the prior value kept, not the standby one */

	/* wake: every prior value back */
	cr_assert_eq(bmc("wake"), 0, "%s", out);
	cr_assert(wd_running());
	cr_assert(sol_enabled());
	cr_assert_eq(fan_mode(), 0);
	cr_assert(rf_bool(NETPROTO, "KVMIP", "ProtocolEnabled"));
	cr_assert(rf_bool(NETPROTO, "VirtualMedia", "ProtocolEnabled"));
	cr_assert(rf_bool(MANAGER, "GraphicalConsole", "ServiceEnabled"));
	slurp("host/proc/modules", after, sizeof(after));
	cr_assert_str_eq(after, before);
	cr_assert_not(exists("host/etc/modprobe.d/sovereign-ipmi.conf"));
	cr_assert_not(exists("state/bmc-standby.json"));
	/* every Redfish session the program opened was deleted */
	cr_assert_eq(emu_count("sessions"), 0);

	/* wake again: nothing to do */
	cr_assert_eq(bmc("wake"), 0, "%s", out);
	has(out, "nothing to restore");
}

/* Wake restores only what standby changed: a setting already off stays off. */
Test(bmc, wake_touches_only_what_standby_changed, .init = supermicro, .fini = teardown,
     .timeout = 120)
{
	char b[256];

	IT(b, "sol", "set", "enabled", "false", "1");
	IT(b, "raw", "0x30", "0x45", "0x01", "0x01"); /* already full */
	cr_assert_eq(bmc("standby"), 0, "%s", out);
	has(out, "sol                already so");
	has(out, "fans               already so");
	cr_assert_eq(bmc("wake"), 0, "%s", out);
	cr_assert_not(sol_enabled());
	cr_assert_eq(fan_mode(), 1);
	cr_assert(wd_running());
}

/* kill -9 at any moment of standby, then wake: the prior state, exactly. */
Test(bmc, kill_9_during_standby_then_wake_restores, .init = supermicro, .fini = teardown,
     .timeout = 300)
{
	static const int delays_ms[] = { 5, 30, 80, 150, 300 };
	char before[4096], after[4096], log[PATH_MAX + 64];
	int killed_mid = 0;

	slurp("host/proc/modules", before, sizeof(before));
	path_in(log, sizeof(log), "bmc.out");
	for (size_t k = 0; k < sizeof(delays_ms) / sizeof(delays_ms[0]); k++) {
		char *argv[] = { "sovereign-bmc", "-c", conf, "standby", NULL };
		char *envp[] = { "PATH=/usr/bin:/bin", NULL };
		pid_t pid = fork();
		int st;

		cr_assert_geq(pid, 0);
		if (pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			dup2(fd, 1);
			execve(SOV_BMC, argv, envp);
			_exit(127);
		}
		nanosleep(&(struct timespec){ .tv_nsec = delays_ms[k] * 1000000L }, NULL);
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		killed_mid += WIFSIGNALED(st);

		cr_assert_eq(bmc("wake"), 0, "after a kill at %d ms: %s", delays_ms[k], out);
		cr_assert(wd_running(), "kill at %d ms", delays_ms[k]);
		cr_assert(sol_enabled(), "kill at %d ms", delays_ms[k]);
		cr_assert_eq(fan_mode(), 0, "kill at %d ms", delays_ms[k]);
		cr_assert(rf_bool(NETPROTO, "KVMIP", "ProtocolEnabled"), "kill at %d ms",
			  delays_ms[k]);
		cr_assert(rf_bool(NETPROTO, "VirtualMedia", "ProtocolEnabled"));
		cr_assert(rf_bool(MANAGER, "GraphicalConsole", "ServiceEnabled"));
		slurp("host/proc/modules", after, sizeof(after));
		cr_assert_str_eq(after, before, "kill at %d ms", delays_ms[k]);
		cr_assert_not(exists("host/etc/modprobe.d/sovereign-ipmi.conf"));
		cr_assert_not(exists("state/bmc-standby.json"));
	}
	/* at least one kill landed in the middle, not after the end */
	cr_assert_geq(killed_mid, 1);
}

/* The SEL is not cleared when its save cannot be written; nothing else is changed. */
Test(bmc, sel_save_failure_stops_standby_and_keeps_the_sel, .init = supermicro,
     .fini = teardown, .timeout = 60)
{
	char p[PATH_MAX + 64];

	path_in(p, sizeof(p), "state");
	cr_assert_eq(mkdir(p, 0700), 0);
	wfile("state/sel", "not a directory\n", 0600);
	cr_assert_eq(bmc("standby"), 1, "%s", out);
	has(out, "sel                FAILED");
	has(out, "the SEL was not cleared");
	has(out, "FAILED at step sel");
	has(out, "fans               skipped");
	cr_assert_eq(sel_entries(), 3);
	cr_assert(wd_running());
	cr_assert_eq(fan_mode(), 0);
}

Test(bmc, sel_save_command, .init = supermicro, .fini = teardown, .timeout = 60)
{
	cr_assert_eq(bmc("sel-save"), 0, "%s", out);
	has(out, "3 entries saved to");
	cr_assert_eq(sel_entries(), 3);
	cr_assert_eq(bmc("sel-save", "--clear"), 0, "%s", out);
	has(out, "then cleared");
	cr_assert_eq(sel_entries(), 0);
}

Test(bmc, wrong_password_fails_and_changes_nothing, .init = supermicro, .fini = teardown,
     .timeout = 60)
{
	wfile("pw", "not-the-password\n", 0600);
	cr_assert_eq(bmc("standby"), 1, "%s", out);
	has(out, "connect");
	cr_assert(strstr(out, "password") || strstr(out, "authentication") ||
			  strstr(out, "Authentication"),
		  "%s", out);
	cr_assert_null(strstr(out, "not-the-password"), "the password was printed: %s", out);
	cr_assert_eq(sel_entries(), 3);
	cr_assert(wd_running());
}

Test(bmc, password_file_readable_by_others_is_refused, .init = supermicro, .fini = teardown,
     .timeout = 60)
{
	wfile("pw", RIG_PASSWORD "\n", 0644);
	cr_assert_eq(bmc("status"), 1, "%s", out);
	has(out, "chmod 600");
	cr_assert_null(strstr(out, RIG_PASSWORD), "%s", out);
}

Test(bmc, password_from_the_environment, .init = supermicro, .fini = teardown, .timeout = 60)
{
	char text[4096];

	/* no password_file: the environment */
	slurp("bmc.conf", text, sizeof(text));
	*strstr(text, "password_file = ") = '#';
	wfile("bmc.conf", text, 0644);
	cr_assert_eq(bmc("status"), 1, "%s", out);
	has(out, "SOVEREIGN_BMC_PASSWORD");
	cr_assert_eq(bmc_env(RIG_PASSWORD, "status", NULL), 0, "%s", out);
	has(out, "Supermicro");
}

Test(bmc, unreachable_bmc_fails_in_seconds, .init = supermicro, .fini = teardown, .timeout = 60)
{
	long t0;

	rig_stop(&rig); /* keeps nothing: recreate the files in a fresh directory */
	fixture("supermicro", false);
	kill(rig.pid, SIGKILL);
	waitpid(rig.pid, NULL, 0);
	rig.pid = -1;
	t0 = now_ms();
	cr_assert_eq(bmc("standby"), 1, "%s", out);
	cr_assert_lt(now_ms() - t0, 10000, "took %ld ms", now_ms() - t0);
	has(out, "127.0.0.1");
	cr_assert(strstr(out, "timed out") || strstr(out, "timeout") || strstr(out, "no answer") ||
			  strstr(out, "unreachable") || strstr(out, "ession"),
		  "%s", out);
}

/* iDRAC9 >= 3.34 refuses manual fans with 0xD4: said, not failed, nothing recorded. */
Test(bmc, idrac_refusal_is_reported, .fini = teardown, .timeout = 60)
{
	char rec[8192];

	fixture("idrac", false);
	cr_assert_eq(bmc("standby"), 0, "%s", out);
	has(out, "fans               not supported here");
	has(out, "0xD4");
	has(out, "the BMC keeps its own fan control");
	slurp("state/bmc-standby.json", rec, sizeof(rec));
	cr_assert_null(strstr(rec, "\"fans\""), "%s", rec);
	cr_assert_eq(bmc("wake"), 0, "%s", out);
}

/* A manufacturer with no profile: standard steps, and no OEM command sent. */
Test(bmc, unknown_vendor_gets_standard_steps_only, .fini = teardown, .timeout = 60)
{
	char b[512];

	fixture("generic", false);
	IT(b, "raw", "0x06", "0x24", "0x44", "0x00", "0x00", "0x00", "0x2c", "0x01");
	cr_assert_eq(bmc("standby"), 0, "%s", out);
	has(out, "fans               not supported here");
	has(out, "no profile");
	has(out, "watchdog           done");
	cr_assert_not(wd_running());
	cr_assert_eq(bmc("status"), 0, "%s", out);
	has(out, "generic IPMI 2.0 (manufacturer 4753");
	cr_assert_eq(bmc("wake"), 0, "%s", out);
	cr_assert(wd_running());
}

/* A process holding /dev/ipmi0: refused (nothing unloaded) unless --force. */
Test(bmc, held_dev_ipmi_refuses_without_force, .init = supermicro, .fini = teardown,
     .timeout = 60)
{
	char p[PATH_MAX + 64], mods[4096];

	for (const char *d = "host/proc/4321\0host/proc/4321/fd\0"; *d; d += strlen(d) + 1) {
		path_in(p, sizeof(p), d);
		cr_assert_eq(mkdir(p, 0755), 0);
	}
	wfile("host/proc/4321/comm", "ipmitool\n", 0644);
	path_in(p, sizeof(p), "host/proc/4321/fd/3");
	cr_assert_eq(symlink("/dev/ipmi0", p), 0);

	cr_assert_eq(bmc("standby"), 1, "%s", out);
	has(out, "ipmitool (pid 4321) holds /dev/ipmi*");
	has(out, "FAILED at step in-band");
	slurp("host/proc/modules", mods, sizeof(mods));
	cr_assert_str_eq(mods, MODULES);
	cr_assert_eq(bmc("standby", "--force"), 0, "%s", out);
	slurp("host/proc/modules", mods, sizeof(mods));
	cr_assert_null(strstr(mods, "ipmi"), "%s", mods);
	cr_assert_eq(bmc("wake"), 0, "%s", out);
	slurp("host/proc/modules", mods, sizeof(mods));
	cr_assert_str_eq(mods, MODULES);
}

Test(bmc, reset_asks_for_yes, .init = supermicro, .fini = teardown, .timeout = 60)
{
	char b[512];

	IT(b, "chassis", "power", "on");
	cr_assert_eq(bmc("reset", "off"), 2, "%s", out);
	has(out, "--yes");
	IT(b, "chassis", "power", "status");
	has(b, "Chassis Power is on");
	cr_assert_eq(bmc("reset", "off", "--yes"), 0, "%s", out);
	IT(b, "chassis", "power", "status");
	has(b, "Chassis Power is off");
	cr_assert_eq(bmc("reset", "on", "--force"), 0, "%s", out);
	IT(b, "chassis", "power", "status");
	has(b, "Chassis Power is on");
	cr_assert_eq(bmc("reset", "--yes"), 0, "%s", out);
	has(out, "chassis reset sent; power is on");
	cr_assert_eq(bmc("reset", "sideways", "--yes"), 2, "%s", out);
	has(out, "unknown operation 'sideways'");
}

/* Configuration mistakes name the file and line; the BMC is not contacted. */
Test(bmc, config_errors_name_file_and_line, .init = supermicro, .fini = teardown, .timeout = 60)
{
	write_conf(false, "[host]\nin_bnad = keep\n");
	cr_assert_eq(bmc("status"), 2, "%s", out);
	has(out, "bmc.conf:");
	has(out, "did you mean 'in_band'");

	write_conf(false, "[bmc]\nvendor = hp\n");
	cr_assert_eq(bmc("standby"), 2, "%s", out);
	has(out, "unknown vendor 'hp'");

	wfile("bmc.conf", "", 0644);
	cr_assert_eq(bmc("status"), 2, "%s", out);
	wfile("bmc.conf", "[bmc]\naddress = \xff\xfe\n", 0644);
	cr_assert_eq(bmc("status"), 2, "%s", out);
	has(out, "UTF-8");
	cr_assert_eq(sel_entries(), 3);
}

/* A corrupt standby record is left alone: it may hold the only prior values. */
Test(bmc, corrupt_record_is_refused_and_kept, .init = supermicro, .fini = teardown,
     .timeout = 60)
{
	char p[PATH_MAX + 64], rec[64];

	path_in(p, sizeof(p), "state");
	cr_assert_eq(mkdir(p, 0700), 0);
	wfile("state/bmc-standby.json", "{\"version\": 1, \"steps\": {", 0600);
	cr_assert_eq(bmc("wake"), 1, "%s", out);
	has(out, "not a version-1 standby record");
	cr_assert_eq(bmc("standby"), 1, "%s", out);
	slurp("state/bmc-standby.json", rec, sizeof(rec));
	cr_assert_str_eq(rec, "{\"version\": 1, \"steps\": {");
	cr_assert(wd_running());
}
