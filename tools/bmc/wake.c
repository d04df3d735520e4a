// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wake.c - `sovereign-bmc wake`: put back exactly what standby changed, in
 * the reverse order, from the standby record, and nothing else.  A step is
 * forgotten from the record once restored and read back; the record is
 * removed when none is left.  A step that fails stays in the record (wake
 * can be run again) and the command exits non-zero naming it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bmc.h"

#define ERRLEN 512

static int num(const cJSON *o, const char *key, int def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valueint : def;
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* restored() - forget @key in the record and report @step done. */
static enum bmc_result restored(struct bmc_run *r, const char *step, const char *key,
				const char *what)
{
	char err[ERRLEN];

	if (bmc_state_drop(&r->state, key, err, sizeof(err)))
		return bmc_report_add(&r->rep, step, BMC_FAILED, "restored, but %s", err);
	return bmc_report_add(&r->rep, step, BMC_DONE, "%s", what);
}

static enum bmc_result ipmi_failed(struct bmc_run *r, const char *step, const char *what)
{
	return bmc_report_add(&r->rep, step, BMC_FAILED, "%s: %s", what,
			      bmc_ipmi_strerror(r->ipmi));
}

/* need_ipmi() - the IPMI session, opened on first use. */
static bool need_ipmi(struct bmc_run *r, const char *step)
{
	char why[ERRLEN];

	if (r->ipmi)
		return true;
	if (bmc_run_ipmi(r, why, sizeof(why))) {
		bmc_report_add(&r->rep, step, BMC_FAILED, "%s", why);
		return false;
	}
	return true;
}

static enum bmc_result wake_inband(struct bmc_run *r)
{
	const cJSON *prior = bmc_state_prior(&r->state, "in_band"), *m;
	bool load[BMC_INBAND_NMOD] = { false };
	char err[ERRLEN], list[256] = "";
	size_t i, off = 0;
	int rc;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(prior, "loaded"))
		for (i = 0; i < BMC_INBAND_NMOD; i++)
			if (cJSON_IsString(m) && !strcmp(m->valuestring, bmc_inband_modules[i])) {
				load[i] = true;
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							off ? ", " : "", bmc_inband_modules[i]);
				if (off >= sizeof(list))
					off = sizeof(list) - 1;
			}
	if (!flag(prior, "blacklisted")) {
		rc = bmc_inband_blacklist(&r->host, false, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	}
	rc = bmc_inband_load(&r->host, load, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	snprintf(err, sizeof(err), "loaded again: %s%s", list[0] ? list : "none had been loaded",
		 flag(prior, "blacklisted") ? "" : "; blacklist removed");
	return restored(r, "in-band", "in_band", err);
}

static enum bmc_result wake_redfish(struct bmc_run *r, const struct bmc_rf_switch *sw)
{
	const char *step = sw->step;
	char why[ERRLEN];
	struct rf_error e;
	int rc;

	if (!r->rf && (rc = bmc_run_redfish(r, why, sizeof(why))))
		return bmc_report_add(&r->rep, step, BMC_FAILED, "Redfish: %s", why);
	rc = rf_service_set(r->rf, &r->rfm, sw->svc,
			    flag(bmc_state_prior(&r->state, sw->key), "enabled"), &e);
	if (rc)
		return bmc_report_add(&r->rep, step, BMC_FAILED, "%s", e.msg);
	snprintf(why, sizeof(why), "%s = %s (read back)", rf_service_name(sw->svc),
		 flag(bmc_state_prior(&r->state, sw->key), "enabled") ? "true" : "false");
	return restored(r, step, sw->key, why);
}

static enum bmc_result wake_sol(struct bmc_run *r)
{
	const cJSON *prior = bmc_state_prior(&r->state, "sol");
	uint8_t ch = (uint8_t)num(prior, "channel", (int)r->conf.sol_channel);
	bool want = flag(prior, "enabled"), on;
	char what[128];

	if (!need_ipmi(r, "sol"))
		return BMC_FAILED;
	if (bmc_ipmi_set_sol_enable(r->ipmi, ch, want))
		return ipmi_failed(r, "sol", "Set SOL Configuration (SOL Enable)");
	if (bmc_ipmi_get_sol_enable(r->ipmi, ch, &on))
		return ipmi_failed(r, "sol", "Get SOL Configuration (read back)");
	if (on != want)
		return bmc_report_add(&r->rep, "sol", BMC_FAILED,
				      "the BMC accepted SOL Enable = %d but reads back %d", want, on);
	snprintf(what, sizeof(what), "%s on channel %u (read back)", want ? "enabled" : "disabled",
		 ch);
	return restored(r, "sol", "sol", what);
}

static enum bmc_result wake_watchdog(struct bmc_run *r)
{
	const cJSON *prior = bmc_state_prior(&r->state, "watchdog");
	struct bmc_ipmi_watchdog w = {
		/*
		 * as recorded, "don't stop" bit included: a running timer
		 * stays running through the Set, and Reset (re)starts it
		 */
		.timer_use = (uint8_t)num(prior, "timer_use", 0),
		.timer_actions = (uint8_t)num(prior, "timer_actions", 0),
		.pretimeout_s = (uint8_t)num(prior, "pretimeout_s", 0),
		.initial = (uint16_t)num(prior, "initial", 0),
	};
	bool run = flag(prior, "running");

	if (!need_ipmi(r, "watchdog"))
		return BMC_FAILED;
	if (bmc_ipmi_set_watchdog(r->ipmi, &w))
		return ipmi_failed(r, "watchdog", "Set Watchdog Timer");
	if (run && bmc_ipmi_reset_watchdog(r->ipmi))
		return ipmi_failed(r, "watchdog", "Reset Watchdog Timer (start)");
	if (bmc_ipmi_get_watchdog(r->ipmi, &w))
		return ipmi_failed(r, "watchdog", "Get Watchdog Timer (read back)");
	if (!!(w.timer_use & 0x40) != run)
		return bmc_report_add(&r->rep, "watchdog", BMC_FAILED,
				      "set as before standby, but it reads back %s",
				      w.timer_use & 0x40 ? "running" : "stopped");
	return restored(r, "watchdog", "watchdog",
			run ? "running again with its settings before standby (read back)"
			    : "settings before standby (read back)");
}

static enum bmc_result wake_fans(struct bmc_run *r)
{
	const struct bmc_vendor *v;
	int mode = num(bmc_state_prior(&r->state, "fans"), "mode", -1), now;
	char what[256];

	if (!need_ipmi(r, "fans"))
		return BMC_FAILED;
	v = r->vendor;
	if (!v->fan_set)
		return bmc_report_add(&r->rep, "fans", BMC_FAILED,
				      "the record holds a fan mode but profile %s has no fan "
				      "command (vendor override changed?)", v->name);
	if (v->fan_set(r->ipmi, mode))
		return ipmi_failed(r, "fans", "setting the fan mode back");
	if (v->fan_get) {
		if (v->fan_get(r->ipmi, &now))
			return ipmi_failed(r, "fans", "reading the fan mode back");
		if (now != mode)
			return bmc_report_add(&r->rep, "fans", BMC_FAILED,
					      "set fan mode %s, reads back %s",
					      v->fan_mode_name(mode), v->fan_mode_name(now));
	}
	snprintf(what, sizeof(what), "fan mode %s%s", v->fan_mode_name(mode),
		 v->fan_get ? " (read back)" : " (accepted; cannot be read back)");
	return restored(r, "fans", "fans", what);
}

int bmc_wake(struct bmc_run *r)
{
	char err[ERRLEN];
	size_t i;

	bmc_report_init(&r->rep, "wake");
	if (!r->state.existed) {
		bmc_report_add(&r->rep, "record", BMC_ALREADY,
			       "no standby record in %s: nothing to restore", r->conf.state_dir);
		return bmc_report_print(&r->rep, r->json);
	}
	/* the reverse of standby's order; each step only if the record has it */
	if (bmc_state_step(&r->state, "in_band"))
		wake_inband(r);
	for (i = BMC_RF_NSWITCH; i-- > 0;)
		if (bmc_state_step(&r->state, bmc_rf_switches[i].key))
			wake_redfish(r, &bmc_rf_switches[i]);
	if (bmc_state_step(&r->state, "sol"))
		wake_sol(r);
	if (bmc_state_step(&r->state, "watchdog"))
		wake_watchdog(r);
	if (bmc_state_step(&r->state, "fans"))
		wake_fans(r);
	if (r->rep.failed >= 0) {
		bmc_report_add(&r->rep, "record", BMC_SKIPPED,
			       "kept: %d step(s) still to restore; run wake again", 
			       bmc_state_nsteps(&r->state));
	} else if (bmc_state_remove(&r->state, err, sizeof(err))) {
		bmc_report_add(&r->rep, "record", BMC_FAILED, "%s", err);
	} else {
		bmc_report_add(&r->rep, "record", BMC_DONE, "everything restored; %s removed",
			       r->state.path);
	}
	return bmc_report_print(&r->rep, r->json);
}
