/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bmc.h - sovereign-bmc's commands (standby.c, wake.c, status.c), the run
 * they share (main.c opens it) and the report every command prints
 * (report.c).  Internal to the program.
 */
#ifndef SOVEREIGN_BMC_BMC_H
#define SOVEREIGN_BMC_BMC_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "inband.h"
#include "ipmi.h"
#include "redfish.h"
#include "state.h"
#include "vendor.h"

enum bmc_result {
	BMC_DONE,        /* changed (or restored), and read back */
	BMC_ALREADY,     /* already so: nothing changed */
	BMC_UNSUPPORTED, /* not supported here: the detail says why */
	BMC_SKIPPED,     /* not run: configured off, or an earlier step failed */
	BMC_FAILED,      /* the detail says why; the command exits non-zero */
};

#define BMC_REPORT_MAX 24

struct bmc_report_line {
	char step[24];
	enum bmc_result result;
	char detail[640];
};

struct bmc_report {
	const char *command;
	struct bmc_report_line line[BMC_REPORT_MAX];
	int n;
	int failed; /* index of the first FAILED line, -1 */
};

/* struct bmc_run - one invocation: configuration, connections, record. */
struct bmc_run {
	struct bmc_conf conf;
	bool force, json;
	struct bmc_ipmi *ipmi;           /* NULL until bmc_run_ipmi() */
	struct bmc_ipmi_devid devid;
	const struct bmc_vendor *vendor;
	struct rf_client *rf;            /* NULL until bmc_run_redfish(), or unconfigured */
	struct rf_manager rfm;
	struct bmc_inband_host host;
	char host_blacklist[PATH_MAX];
	struct bmc_state state;          /* locked while the run lasts (standby, wake) */
	struct bmc_report rep;
};

/*
 * bmc_run_ipmi() - open the IPMI session (password from its file or the
 * environment, wiped after), read Get Device ID, choose the vendor profile.
 * Return: 0 or -errno with @why (@len bytes) saying what failed.
 */
int bmc_run_ipmi(struct bmc_run *r, char *why, size_t len);

/* bmc_run_redfish() - log in to Redfish and discover the Manager.  Return: 0 or -errno, @why. */
int bmc_run_redfish(struct bmc_run *r, char *why, size_t len);

/* bmc_run_close() - close the sessions (the Redfish one is deleted). */
void bmc_run_close(struct bmc_run *r);

/* The commands.  Return: the process exit status (0, or 1 naming the failed step). */
int bmc_standby(struct bmc_run *r);
int bmc_wake(struct bmc_run *r);
int bmc_status(struct bmc_run *r);

/* The Redfish switches standby turns off, in standby's order (standby.c). */
struct bmc_rf_switch {
	const char *step; /* report and status name: "kvm-ip" */
	const char *key;  /* its step in the standby record: "kvmip" */
	enum rf_service svc;
};
#define BMC_RF_NSWITCH 3
extern const struct bmc_rf_switch bmc_rf_switches[BMC_RF_NSWITCH];

/* report.c */
void bmc_report_init(struct bmc_report *rep, const char *command);
/* bmc_report_add() - one step's line; returns @res.  Printed by bmc_report_print(). */
enum bmc_result bmc_report_add(struct bmc_report *rep, const char *step, enum bmc_result res,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *bmc_result_name(enum bmc_result res);
/* bmc_report_print() - the report as a table on stdout, or JSON.  Return: the exit status. */
int bmc_report_print(const struct bmc_report *rep, bool json);
/* bmc_print_json() - @o on one line on stdout, then freed. */
void bmc_print_json(cJSON *o);

#endif /* SOVEREIGN_BMC_BMC_H */
