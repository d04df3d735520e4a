/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_ipmi.c - tools/bmc/ipmi.c, the libfreeipmi transport, against
 * OpenIPMI's ipmi_sim on loopback (ipmi_rig.h) with ipmitool as the
 * independent client; and a source grep: nothing in the tree sends the
 * forbidden AMI commands NetFn 0x32 cmd 0x71/0x73.
 */
#include "ipmi_rig.h"

#include <dirent.h>
#include <regex.h>

#include "ipmi.h"

static struct ipmi_rig rig = { .pid = -1, .pty = -1 };
static struct bmc_ipmi *bmc;

static int open_opts(unsigned int port, const char *pw, unsigned int timeout_ms,
		     struct bmc_ipmi **out, char *err, size_t errlen)
{
	struct bmc_ipmi_opts o = {
		.host = "127.0.0.1",
		.port = port,
		.user = RIG_USER,
		.password = pw,
		.password_len = strlen(pw),
		.cipher_suite = 3,
		.timeout_ms = timeout_ms,
		.retransmit_ms = 500,
		.open_session_priv_workaround = true, /* ipmi_sim needs it (README) */
	};

	return bmc_ipmi_open(&o, out, err, errlen);
}

static void start(const char *vendor)
{
	char err[256];
	int rv;

	rig_start(&rig, vendor);
	rv = open_opts(rig.port, RIG_PASSWORD, 10000, &bmc, err, sizeof(err));
	cr_assert_eq(rv, 0, "open: %d %s", rv, err);
}

static void stop(void)
{
	bmc_ipmi_close(bmc);
	bmc = NULL;
	rig_stop(&rig);
}

static void start_supermicro(void)
{
	start("supermicro");
}

static void start_idrac(void)
{
	start("idrac");
}

Test(ipmi, device_id_is_the_emu_s, .init = start_supermicro, .fini = stop, .timeout = 60)
{
	struct bmc_ipmi_devid d;

	cr_assert_eq(bmc_ipmi_device_id(bmc, &d), 0, "%s", bmc_ipmi_strerror(bmc));
	/* supermicro.emu: mc_add 0x20 0x20 no-device-sdrs 0x01 0x03 0x47 0x9f 0x002a7c 0x1b0d */
	cr_assert_eq(d.manufacturer_id, 10876u);
	cr_assert_eq(d.product_id, 0x1b0d);
	cr_assert_eq(d.device_id, 0x20);
	cr_assert_eq(d.device_rev, 0x01);
	cr_assert_eq(d.fw_major, 3);
	cr_assert_eq(d.fw_minor, 0x47);
	cr_assert_eq(d.device_support, 0x9f);
	cr_assert_eq(d.ipmi_version, 0x02, "IPMI 2.0: %#x", d.ipmi_version);
}

Test(ipmi, device_id_of_the_idrac, .init = start_idrac, .fini = stop, .timeout = 60)
{
	struct bmc_ipmi_devid d;

	cr_assert_eq(bmc_ipmi_device_id(bmc, &d), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(d.manufacturer_id, 674u);
	cr_assert_eq(d.product_id, 0x0100);
}

Test(ipmi, watchdog_set_get_round_trip, .init = start_supermicro, .fini = stop, .timeout = 60)
{
	struct bmc_ipmi_watchdog w = {
		.timer_use = 0x04,     /* SMS/OS, not started */
		.timer_actions = 0x00, /* no action: see below */
		.pretimeout_s = 10,
		.expire_flags = 0x3e,  /* clear them all */
		.initial = 3000,       /* 300 s */
	}, g;

	cr_assert_eq(bmc_ipmi_set_watchdog(bmc, &w), 0, "%s", bmc_ipmi_strerror(bmc));
	memset(&g, 0xee, sizeof(g));
	cr_assert_eq(bmc_ipmi_get_watchdog(bmc, &g), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(g.timer_use & 0x07, 0x04);
	cr_assert_eq(g.timer_use & 0x40, 0, "not running");
	cr_assert_eq(g.timer_actions & 0x07, 0x00);
	cr_assert_eq(g.pretimeout_s, 10);
	cr_assert_eq(g.initial, 3000);

	w.timer_use = 0x03; /* OS load */
	w.pretimeout_s = 0;
	w.initial = 1234;
	cr_assert_eq(bmc_ipmi_set_watchdog(bmc, &w), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_get_watchdog(bmc, &g), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(g.timer_use & 0x07, 0x03);
	cr_assert_eq(g.initial, 1234);

	/*
	 * ipmi_sim accepts a reset/power action only with a system-interface
	 * reset/power control (hw_op), which chassis_control does not give:
	 * 0xCC, reported as such (tools/bmc/README.md).
	 */
	w.timer_actions = 0x01;
	cr_assert_eq(bmc_ipmi_set_watchdog(bmc, &w), -EREMOTEIO);
	cr_assert_eq(bmc_ipmi_cc(bmc), 0xcc);
	cr_assert_not_null(strstr(bmc_ipmi_strerror(bmc), "0xCC (invalid data field in request)"),
			   "%s", bmc_ipmi_strerror(bmc));
}

Test(ipmi, sol_enable_set_get, .init = start_supermicro, .fini = stop, .timeout = 60)
{
	char out[4096];
	bool on = false;

	cr_assert_eq(bmc_ipmi_set_sol_enable(bmc, 1, false), 0, "%s", bmc_ipmi_strerror(bmc));
	on = true;
	cr_assert_eq(bmc_ipmi_get_sol_enable(bmc, 1, &on), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_not(on);
	/* ipmitool agrees */
	cr_assert_eq(rig_ipmitool(&rig, out, sizeof(out), "sol", "info", "1", NULL), 0);
	cr_assert_not_null(strstr(out, "Enabled                         : false"), "%s", out);

	cr_assert_eq(bmc_ipmi_set_sol_enable(bmc, 1, true), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_get_sol_enable(bmc, 1, &on), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert(on);
}

/* parse_hex() - the whitespace-separated hex bytes of @s into @b. Return: count. */
static int parse_hex(const char *s, unsigned char *b, int max)
{
	int n = 0;
	char *end;

	while (n < max) {
		unsigned long v = strtoul(s, &end, 16);

		if (end == s)
			break;
		b[n++] = (unsigned char)v;
		s = end;
	}
	return n;
}

Test(ipmi, sel_read_equals_ipmitool_and_clears, .init = start_supermicro, .fini = stop,
     .timeout = 90)
{
	uint8_t recs[16][BMC_IPMI_SEL_RECORD];
	struct bmc_ipmi_sel_info info;
	char out[8192], *line, *save = NULL;
	unsigned int ids[16];
	int n, nlist = 0;

	n = bmc_ipmi_sel_read(bmc, recs, 16);
	cr_assert_eq(n, 3, "the .emu adds 3 records: %d %s", n, bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_sel_info(bmc, &info), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(info.entries, 3);

	/* ipmitool sel list: one line per record, "   1 | ..." (id in hex) */
	cr_assert_eq(rig_ipmitool(&rig, out, sizeof(out), "sel", "list", NULL), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_assert_lt(nlist, 16);
		ids[nlist++] = (unsigned int)strtoul(line, NULL, 16);
	}
	cr_assert_eq(nlist, n, "ipmitool lists %d records, the library read %d", nlist, n);

	for (int i = 0; i < n; i++) {
		char lo[8], hi[8];
		unsigned char raw[64];
		int got;

		/* the record's own id is its first two bytes */
		cr_assert_eq(recs[i][0] | recs[i][1] << 8, (int)ids[i]);
		snprintf(lo, sizeof(lo), "0x%02x", ids[i] & 0xff);
		snprintf(hi, sizeof(hi), "0x%02x", ids[i] >> 8);
		/* Get SEL Entry by ipmitool: next id (2 bytes) then the 16 raw bytes */
		cr_assert_eq(rig_ipmitool(&rig, out, sizeof(out), "raw", "0x0a", "0x43", "0x00",
					  "0x00", lo, hi, "0x00", "0xff", NULL), 0, "%s", out);
		got = parse_hex(out, raw, (int)sizeof(raw));
		cr_assert_eq(got, 18, "ipmitool raw: %s", out);
		cr_assert_arr_eq(raw + 2, recs[i], BMC_IPMI_SEL_RECORD, "record %#x differs", ids[i]);
	}
	/* and one record by id */
	{
		uint8_t rec[BMC_IPMI_SEL_RECORD];
		uint16_t next;

		cr_assert_eq(bmc_ipmi_sel_entry(bmc, (uint16_t)ids[1], &next, rec), 0);
		cr_assert_arr_eq(rec, recs[1], BMC_IPMI_SEL_RECORD);
		cr_assert_eq(next, ids[2]);
	}

	cr_assert_eq(bmc_ipmi_sel_clear(bmc), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_sel_read(bmc, recs, 16), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_sel_info(bmc, &info), 0);
	cr_assert_eq(info.entries, 0);
	cr_assert_eq(rig_ipmitool(&rig, out, sizeof(out), "sel", "info", NULL), 0);
	cr_assert_not_null(strstr(out, "Entries          : 0"), "%s", out);
}

Test(ipmi, chassis_power_control, .init = start_supermicro, .fini = stop, .timeout = 60)
{
	char out[1024];
	bool on = true;

	cr_assert_eq(bmc_ipmi_chassis_control(bmc, BMC_IPMI_POWER_UP), 0, "%s",
		     bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_chassis_power(bmc, &on), 0, "%s", bmc_ipmi_strerror(bmc));
	cr_assert(on);
	cr_assert_eq(rig_ipmitool(&rig, out, sizeof(out), "chassis", "power", "status", NULL), 0);
	cr_assert_not_null(strstr(out, "is on"), "%s", out);
	cr_assert_eq(bmc_ipmi_chassis_control(bmc, BMC_IPMI_POWER_DOWN), 0, "%s",
		     bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_chassis_power(bmc, &on), 0);
	cr_assert_not(on);
}

Test(ipmi, wrong_password_is_an_authentication_error, .timeout = 60)
{
	struct bmc_ipmi *b = NULL;
	char err[256] = "";
	int rv;

	rig_start(&rig, "supermicro");
	rv = open_opts(rig.port, "not-the-password", 10000, &b, err, sizeof(err));
	rig_stop(&rig);
	cr_assert_eq(rv, -EACCES, "rv %d: %s", rv, err);
	cr_assert_null(b);
	cr_assert_not_null(strcasestr(err, "password"), "%s", err);
}

Test(ipmi, sim_refuses_the_session_without_the_workaround, .timeout = 60)
{
	struct bmc_ipmi_opts o = {
		.host = "127.0.0.1", .user = RIG_USER, .password = RIG_PASSWORD,
		.password_len = strlen(RIG_PASSWORD), .cipher_suite = 3, .timeout_ms = 10000,
	};
	struct bmc_ipmi *b = NULL;
	char err[256] = "";
	int rv;

	/* tools/bmc/README.md: ipmi_sim grants no privilege without it */
	rig_start(&rig, "supermicro");
	o.port = rig.port;
	rv = bmc_ipmi_open(&o, &b, err, sizeof(err));
	rig_stop(&rig);
	cr_assert_eq(rv, -EPERM, "rv %d: %s", rv, err);
	cr_assert_null(b);
	cr_assert_not_null(strstr(err, "privilege"), "%s", err);
}

Test(ipmi, bad_open_arguments_refused_before_sending)
{
	char pw[BMC_IPMI_PASSWORD_MAX + 1];
	struct bmc_ipmi_opts o = {
		.host = "127.0.0.1", .port = 9, .user = RIG_USER, .password = pw,
		.password_len = sizeof(pw), .cipher_suite = 3, .timeout_ms = 60000,
	};
	struct bmc_ipmi *b = NULL;
	char err[256] = "";
	long t0 = rig_now_ms();

	memset(pw, 'x', sizeof(pw));
	cr_assert_eq(bmc_ipmi_open(&o, &b, err, sizeof(err)), -EINVAL, "%s", err);
	cr_assert_not_null(strstr(err, "password longer than 20"), "%s", err);
	o.password_len = 4;
	o.host = "::1"; /* a port with an IPv6 literal: not supported */
	cr_assert_eq(bmc_ipmi_open(&o, &b, err, sizeof(err)), -EINVAL, "%s", err);
	o.host = "";
	cr_assert_eq(bmc_ipmi_open(&o, &b, err, sizeof(err)), -EINVAL, "%s", err);
	cr_assert_null(b);
	cr_assert_lt(rig_now_ms() - t0, 1000, "nothing waited for a BMC");
}

Test(ipmi, closed_port_fails_within_seconds, .timeout = 60)
{
	struct bmc_ipmi *b = NULL;
	char err[256] = "";
	unsigned int port = rig_free_udp_port(); /* nobody listens there */
	long t0 = rig_now_ms(), ms;
	int rv;

	rv = open_opts(port, RIG_PASSWORD, 2000, &b, err, sizeof(err));
	ms = rig_now_ms() - t0;
	cr_assert_eq(rv, -ETIMEDOUT, "rv %d: %s", rv, err);
	cr_assert_lt(ms, 6000, "took %ld ms", ms);
	cr_assert_null(b);
	cr_assert_neq(err[0], '\0');
}

Test(ipmi, supermicro_fan_mode_get_set, .init = start_supermicro, .fini = stop, .timeout = 60)
{
	const uint8_t get[1] = { 0x00 }, full[2] = { 0x01, 0x01 }, optimal[2] = { 0x01, 0x02 };
	uint8_t r[8];

	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, get, 1, r, sizeof(r)), 1, "%s",
		     bmc_ipmi_strerror(bmc));
	cr_assert_eq(r[0], 0x00, "Standard after start");
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, full, 2, r, sizeof(r)), 0, "%s",
		     bmc_ipmi_strerror(bmc));
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, get, 1, r, sizeof(r)), 1);
	cr_assert_eq(r[0], 0x01, "Full");
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, optimal, 2, r, sizeof(r)), 0);
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, get, 1, r, sizeof(r)), 1);
	cr_assert_eq(r[0], 0x02, "Optimal");

	/* the Dell command is not a Supermicro one */
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x30, full, 2, r, sizeof(r)), -EREMOTEIO);
	cr_assert_eq(bmc_ipmi_cc(bmc), 0xc1);
}

Test(ipmi, idrac_manual_fan_control_refused_d4, .init = start_idrac, .fini = stop, .timeout = 60)
{
	const uint8_t manual[2] = { 0x01, 0x00 }, get[1] = { 0x00 };
	uint8_t r[8];

	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x30, manual, 2, r, sizeof(r)), -EREMOTEIO);
	cr_assert_eq(bmc_ipmi_cc(bmc), 0xd4);
	cr_assert_not_null(strstr(bmc_ipmi_strerror(bmc), "0xD4"), "%s", bmc_ipmi_strerror(bmc));
	cr_assert_not_null(strstr(bmc_ipmi_strerror(bmc), "insufficient privilege"), "%s",
			   bmc_ipmi_strerror(bmc));
	/* and the Supermicro fan mode is not an iDRAC command */
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x30, 0x45, get, 1, r, sizeof(r)), -EREMOTEIO);
	cr_assert_eq(bmc_ipmi_cc(bmc), 0xc1);
}

Test(ipmi, forbidden_oem_commands_never_sent, .init = start_supermicro, .fini = stop,
     .timeout = 60)
{
	const uint8_t q[3] = { 0x00, 0x01, 0x00 };
	uint8_t r[8];

	/* ipmi_sim answers any unknown command with 0xC1: -EPERM means never sent */
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x32, 0x71, q, 3, r, sizeof(r)), -EPERM);
	cr_assert_eq(bmc_ipmi_cc(bmc), -1);
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x32, 0x73, q, 1, r, sizeof(r)), -EPERM);
	cr_assert(bmc_ipmi_oem_forbidden(0x32, 0x71));
	cr_assert(bmc_ipmi_oem_forbidden(0x32, 0x73));
	cr_assert_not(bmc_ipmi_oem_forbidden(0x32, 0x69));
	/* a neighbour is sent (and refused by the sim) */
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x32, 0x69, q, 3, r, sizeof(r)), -EREMOTEIO);
	cr_assert_eq(bmc_ipmi_cc(bmc), 0xc1);
	/* not an OEM NetFn: the raw entry point is for vendor commands only */
	cr_assert_eq(bmc_ipmi_raw(bmc, 0x06, 0x01, NULL, 0, r, sizeof(r)), -EINVAL);
}

/*
 * The source grep: the byte pairs 0x32 0x71 / 0x32 0x73 (spaces or commas
 * between, any case) in the tree's code, configs and scripts.  Left out:
 * .git, build directories, docs/, man/, *.md (they name the commands to
 * forbid them) and this test folder.
 */
static regex_t forbidden_re;

static void compile_re(void)
{
	cr_assert_eq(regcomp(&forbidden_re, "0x32[[:space:],]+0x7[13]([^0-9a-f]|$)",
			     REG_EXTENDED | REG_ICASE | REG_NOSUB), 0);
}

static int scan_file(const char *path, char *hits, size_t hsize)
{
	char line[4096];
	int found = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!regexec(&forbidden_re, line, 0, NULL, 0)) {
			size_t l = strlen(hits);

			snprintf(hits + l, hsize - l, "%s:%d: %s", path, lineno, line);
			found++;
		}
	}
	fclose(f);
	return found;
}

static int scan_tree(const char *dir, const char *rel, char *hits, size_t hsize)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX], sub[PATH_MAX];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || !strncmp(e->d_name, "build", 5))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!strcmp(sub, "docs") || !strcmp(sub, "man") || !strcmp(sub, "tests/ipmi"))
				continue;
			found += scan_tree(path, sub, hits, hsize);
		} else if (S_ISREG(st.st_mode) && st.st_size < (1 << 20) &&
			   !(len > 3 && !strcmp(e->d_name + len - 3, ".md"))) {
			found += scan_file(path, hits, hsize);
		}
	}
	closedir(d);
	return found;
}

Test(ipmi_source, the_grep_finds_what_it_looks_for, .init = compile_re)
{
	/* the patterns the test must catch, and neighbours it must not */
	cr_assert_eq(regexec(&forbidden_re, "ipmitool raw 0x32 0x71 0x00 0x01", 0, NULL, 0), 0);
	cr_assert_eq(regexec(&forbidden_re, "{ 0x32, 0x73, 0x00 }", 0, NULL, 0), 0);
	cr_assert_eq(regexec(&forbidden_re, "RAW 0X32  0X73", 0, NULL, 0), 0);
	cr_assert_neq(regexec(&forbidden_re, "raw 0x32 0x6a 0x01", 0, NULL, 0), 0);
	cr_assert_neq(regexec(&forbidden_re, "0x32 0x710", 0, NULL, 0), 0);
}

Test(ipmi_source, no_forbidden_oem_bytes_in_the_tree, .init = compile_re, .timeout = 120)
{
	static char hits[16384];
	int n;

	hits[0] = '\0';
	n = scan_tree(SOV_SOURCE_DIR, "", hits, sizeof(hits));
	cr_assert_eq(n, 0, "NetFn 0x32 cmd 0x71/0x73 must never be sent:\n%s", hits);
}
