// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - sovereign-bmc: the command line, the connections a command
 * needs, and the two small commands (reset, sel-save).  Passwords come
 * from bmc.conf's password files or the environment, never from argv.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bmc.h"
#include "sel.h"

#define ERRLEN 512

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sovereign-bmc [-c FILE] [--json] COMMAND\n"
		"  standby [--force]   silence the BMC: save and clear the SEL, fans safe, watchdog\n"
		"                      off, SOL off, KVM and virtual media off, in-band IPMI off\n"
		"  wake                restore exactly what standby changed\n"
		"  status              what is silenced, read back from the BMC and the host\n"
		"  reset [reset|cycle|off|on] (--yes | --force)\n"
		"                      chassis power control, the function that stays\n"
		"  sel-save [--clear]  save the SEL to the state directory (and clear it)\n"
		"options:\n"
		"  -c, --config FILE   default " BMC_CONF_DEFAULT "\n"
		"      --json          machine-readable output\n"
		"      --force         standby: unload in-band IPMI even while /dev/ipmi* is held;\n"
		"                      reset: no confirmation (for the fleet orchestrator)\n"
		"      --yes           reset: confirm\n"
		"      --clear         sel-save: clear the SEL once the save is on disk\n"
		"  -h, --help          this text\n"
		"The IPMI password comes from [bmc] password_file (mode 0600) or %s.\n",
		BMC_PASSWORD_ENV);
}

int bmc_run_ipmi(struct bmc_run *r, char *why, size_t len)
{
	char pw[BMC_IPMI_PASSWORD_MAX + 1], err[ERRLEN];
	struct rt_err e;
	struct bmc_ipmi_opts o = {
		.host = r->conf.address,
		.port = r->conf.port,
		.user = r->conf.user,
		.cipher_suite = r->conf.cipher_suite,
		.timeout_ms = r->conf.timeout_ms,
		.open_session_priv_workaround = r->conf.open_session_workaround,
	};
	int rc;

	if (r->ipmi)
		return 0;
	rc = bmc_conf_password(&r->conf, false, pw, sizeof(pw), &e);
	if (rc) {
		snprintf(why, len, "%s", e.msg);
		return rc;
	}
	o.password = pw;
	o.password_len = strlen(pw);
	rc = bmc_ipmi_open(&o, &r->ipmi, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	if (rc) {
		snprintf(why, len, "IPMI %s:%u: %s", r->conf.address, r->conf.port, err);
		return rc;
	}
	rc = bmc_ipmi_device_id(r->ipmi, &r->devid);
	if (rc) {
		snprintf(why, len, "Get Device ID: %s", bmc_ipmi_strerror(r->ipmi));
		return rc;
	}
	r->vendor = strcmp(r->conf.vendor, "auto") ? bmc_vendor_by_name(r->conf.vendor)
						   : bmc_vendor_match(&r->devid);
	return 0;
}

int bmc_run_redfish(struct bmc_run *r, char *why, size_t len)
{
	char pw[RF_PASSWORD_MAX];
	struct rt_err e;
	struct rf_error re;
	struct rf_opts o = {
		.base_url = r->conf.rf_url,
		.user = r->conf.rf_user[0] ? r->conf.rf_user : r->conf.user,
		.ca_file = r->conf.rf_ca_file[0] ? r->conf.rf_ca_file : NULL,
		.insecure = r->conf.rf_insecure,
		.timeout_ms = r->conf.rf_timeout_ms,
	};
	int rc;

	if (r->rf)
		return 0;
	rc = bmc_conf_password(&r->conf, true, pw, sizeof(pw), &e);
	if (rc) {
		snprintf(why, len, "%s", e.msg);
		return rc;
	}
	o.password = pw;
	rc = rf_open(&o, &r->rf, &re);
	explicit_bzero(pw, sizeof(pw));
	if (!rc)
		rc = rf_discover_manager(r->rf, &r->rfm, &re);
	if (rc)
		snprintf(why, len, "%s", re.msg);
	return rc;
}

void bmc_run_close(struct bmc_run *r)
{
	rf_close(r->rf, NULL);
	r->rf = NULL;
	bmc_ipmi_close(r->ipmi);
	r->ipmi = NULL;
}

static int cmd_reset(struct bmc_run *r, const char *op, bool yes)
{
	static const struct {
		const char *name;
		enum bmc_ipmi_chassis_op op;
	} ops[] = {
		{ "reset", BMC_IPMI_HARD_RESET },
		{ "cycle", BMC_IPMI_POWER_CYCLE },
		{ "off", BMC_IPMI_POWER_DOWN },
		{ "on", BMC_IPMI_POWER_UP },
	};
	char why[ERRLEN];
	size_t i;
	bool on;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].name))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		fprintf(stderr, "sovereign-bmc reset: unknown operation '%s' (reset, cycle, off, on)\n",
			op);
		return 2;
	}
	bmc_report_init(&r->rep, "reset");
	if (!yes && !r->force) {
		fprintf(stderr, "sovereign-bmc reset %s: this powers the server %s; add --yes to "
			"confirm\n", op, ops[i].op == BMC_IPMI_POWER_DOWN ? "off" : "through a reset");
		return 2;
	}
	if (bmc_run_ipmi(r, why, sizeof(why))) {
		bmc_report_add(&r->rep, "connect", BMC_FAILED, "%s", why);
	} else if (bmc_ipmi_chassis_control(r->ipmi, ops[i].op)) {
		bmc_report_add(&r->rep, op, BMC_FAILED, "Chassis Control: %s",
			       bmc_ipmi_strerror(r->ipmi));
	} else if (bmc_ipmi_chassis_power(r->ipmi, &on)) {
		bmc_report_add(&r->rep, op, BMC_FAILED, "Get Chassis Status: %s",
			       bmc_ipmi_strerror(r->ipmi));
	} else if ((ops[i].op == BMC_IPMI_POWER_DOWN && on) ||
		   (ops[i].op == BMC_IPMI_POWER_UP && !on)) {
		bmc_report_add(&r->rep, op, BMC_FAILED, "accepted, but the power reads back %s",
			       on ? "on" : "off");
	} else {
		bmc_report_add(&r->rep, op, BMC_DONE, "chassis %s sent; power is %s", op,
			       on ? "on" : "off");
	}
	return bmc_report_print(&r->rep, r->json);
}

static int cmd_sel_save(struct bmc_run *r, bool clear)
{
	char dir[PATH_MAX + 8], why[ERRLEN] = "";
	struct bmc_sel_result res;
	int rc;

	bmc_report_init(&r->rep, "sel-save");
	snprintf(dir, sizeof(dir), "%s/sel", r->conf.state_dir);
	if (mkdir(r->conf.state_dir, 0700) && errno != EEXIST) {
		bmc_report_add(&r->rep, "sel", BMC_FAILED, "state directory %s: %s",
			       r->conf.state_dir, strerror(errno));
	} else if (bmc_run_ipmi(r, why, sizeof(why))) {
		bmc_report_add(&r->rep, "connect", BMC_FAILED, "%s", why);
	} else if ((rc = bmc_sel_save(r->ipmi, dir, clear, &res, why, sizeof(why)))) {
		bmc_report_add(&r->rep, "sel", BMC_FAILED, "%s (the SEL was not cleared)",
			       why[0] ? why : strerror(-rc));
	} else if (!res.entries) {
		bmc_report_add(&r->rep, "sel", BMC_ALREADY, "the SEL is empty");
	} else {
		bmc_report_add(&r->rep, "sel", BMC_DONE, "%zu entries saved to %s%s", res.entries,
			       res.path, res.cleared ? ", then cleared" : "");
	}
	return bmc_report_print(&r->rep, r->json);
}

/* open_state() - the locked record, for standby and wake. */
static int open_state(struct bmc_run *r)
{
	char err[ERRLEN];
	int rc = bmc_state_open(r->conf.state_dir, false, &r->state, err, sizeof(err));

	if (rc)
		fprintf(stderr, "sovereign-bmc: %s\n", err);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "yes", no_argument, NULL, 'y' },
		{ "clear", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = BMC_CONF_DEFAULT, *cmd;
	static struct bmc_run r;
	bool yes = false, clear = false;
	struct rt_err err;
	int c, rc;

	r.state.lock_fd = -1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'j':
			r.json = true;
			break;
		case 'f':
			r.force = true;
			break;
		case 'y':
			yes = true;
			break;
		case 'C':
			clear = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "reset") ? optind != argc : optind + 1 < argc) {
		fprintf(stderr, "sovereign-bmc %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return 2;
	}
	if (strcmp(cmd, "standby") && strcmp(cmd, "wake") && strcmp(cmd, "status") &&
	    strcmp(cmd, "reset") && strcmp(cmd, "sel-save")) {
		fprintf(stderr, "sovereign-bmc: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if ((clear && strcmp(cmd, "sel-save")) || (yes && strcmp(cmd, "reset"))) {
		fprintf(stderr, "sovereign-bmc %s: --%s is for %s\n", cmd, clear ? "clear" : "yes",
			clear ? "sel-save" : "reset");
		return 2;
	}
	rc = bmc_conf_load(conf, &r.conf, &err);
	if (rc) {
		fprintf(stderr, "sovereign-bmc: %s\n", err.msg);
		return 2;
	}
	r.host.root = r.conf.root;
	r.host.modprobe = r.conf.modprobe;
	r.host.blacklist = r.conf.blacklist;
	snprintf(r.host_blacklist, sizeof(r.host_blacklist), "%s", r.conf.blacklist);

	if (!strcmp(cmd, "reset")) {
		rc = cmd_reset(&r, optind < argc ? argv[optind] : "reset", yes);
	} else if (!strcmp(cmd, "sel-save")) {
		rc = cmd_sel_save(&r, clear);
	} else if (open_state(&r)) {
		rc = 1;
	} else if (!strcmp(cmd, "status")) {
		/* status reads the record for "since", then lets it go */
		rc = bmc_status(&r);
	} else if (!strcmp(cmd, "wake")) {
		rc = bmc_wake(&r);
	} else {
		char why[ERRLEN];

		if (bmc_run_ipmi(&r, why, sizeof(why))) {
			bmc_report_init(&r.rep, "standby");
			bmc_report_add(&r.rep, "connect", BMC_FAILED, "%s", why);
			rc = bmc_report_print(&r.rep, r.json);
		} else {
			rc = bmc_standby(&r);
		}
	}
	bmc_run_close(&r);
	bmc_state_close(&r.state);
	return rc;
}
