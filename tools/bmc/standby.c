// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * standby.c - `sovereign-bmc standby`: the BMC stops touching the host.
 * In order, each step read back, each reported, the first failure stops
 * the rest:
 *   sel        save every entry (fsync'd), then clear          (sel.c)
 *   fans       a safe fixed speed before anything else        (vendor.c)
 *   watchdog   BMC watchdog stopped
 *   sol        SOL deactivated and disabled (parameter 1)
 *   kvm-ip, virtual-media, graphical-console   off via Redfish
 *   in-band    host modules unloaded and blacklisted          (inband.c)
 * Before a step changes anything, the prior value goes into the standby
 * record (state.c), so wake restores exactly that.  A step whose target is
 * already so keeps the prior value an earlier standby recorded: standby
 * twice changes nothing the second time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bmc.h"
#include "sel.h"

#define ERRLEN 512

static enum bmc_result failed(struct bmc_run *r, const char *step, const char *what, int rc)
{
	return bmc_report_add(&r->rep, step, BMC_FAILED, "%s: %s", what,
			      r->ipmi && bmc_ipmi_strerror(r->ipmi)[0] ? bmc_ipmi_strerror(r->ipmi)
								      : strerror(-rc));
}

static enum bmc_result step_sel(struct bmc_run *r)
{
	char dir[PATH_MAX + 8], err[ERRLEN] = "";
	struct bmc_sel_result res;
	cJSON *o;
	int rc;

	snprintf(dir, sizeof(dir), "%s/sel", r->conf.state_dir);
	rc = bmc_sel_save(r->ipmi, dir, true, &res, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "sel", BMC_FAILED, "%s (the SEL was not cleared)",
				      err[0] ? err : strerror(-rc));
	if (!res.entries)
		return bmc_report_add(&r->rep, "sel", BMC_ALREADY, "the SEL is empty");
	o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "file", res.path);
		cJSON_AddNumberToObject(o, "entries", (double)res.entries);
		cJSON_AddNumberToObject(o, "at", (double)time(NULL));
	}
	rc = bmc_state_set(&r->state, "sel", o, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "sel", BMC_FAILED, "saved to %s, cleared, but %s",
				      res.path, err);
	return bmc_report_add(&r->rep, "sel", BMC_DONE, "%zu entries saved to %s, then cleared",
			      res.entries, res.path);
}

static enum bmc_result step_fans(struct bmc_run *r)
{
	const struct bmc_vendor *v = r->vendor;
	char err[ERRLEN], why[ERRLEN] = "";
	int rc, mode = v->fan_default, now;
	bool known = v->fan_get != NULL;
	cJSON *prior;

	if (!v->fan_safe)
		return bmc_report_add(&r->rep, "fans", BMC_UNSUPPORTED, "%s: %s", v->label,
				      v->fan_why);
	if (known) {
		rc = v->fan_get(r->ipmi, &mode);
		if (rc)
			return failed(r, "fans", "reading the fan mode", rc);
		if (mode == v->fan_safe_mode)
			return bmc_report_add(&r->rep, "fans", BMC_ALREADY, "fan mode %s",
					      v->fan_mode_name(mode));
	} else if (bmc_state_step(&r->state, "fans")) {
		/* no read-back: a recorded change is taken as still in force */
		return bmc_report_add(&r->rep, "fans", BMC_ALREADY,
				      "fan mode %s since the last standby (%s has no command "
				      "to read it back)", v->fan_mode_name(v->fan_safe_mode),
				      v->label);
	}
	if (!bmc_state_step(&r->state, "fans")) {
		prior = cJSON_CreateObject();
		cJSON_AddNumberToObject(prior, "mode", mode);
		cJSON_AddBoolToObject(prior, "read_back", known);
		rc = bmc_state_begin(&r->state, "fans", prior, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, "fans", BMC_FAILED, "%s", err);
	}
	rc = v->fan_safe(r->ipmi, why, sizeof(why));
	if (rc == -EOPNOTSUPP) {
		rc = bmc_state_drop(&r->state, "fans", err, sizeof(err));
		return bmc_report_add(&r->rep, "fans", rc ? BMC_FAILED : BMC_UNSUPPORTED, "%s",
				      rc ? err : why);
	}
	if (rc)
		return failed(r, "fans", "setting the safe fan speed", rc);
	if (known) {
		rc = v->fan_get(r->ipmi, &now);
		if (rc)
			return failed(r, "fans", "reading the fan mode back", rc);
		if (now != v->fan_safe_mode)
			return bmc_report_add(&r->rep, "fans", BMC_FAILED,
					      "the BMC accepted fan mode %s but reads back %s",
					      v->fan_mode_name(v->fan_safe_mode),
					      v->fan_mode_name(now));
	}
	rc = bmc_state_done(&r->state, "fans", err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "fans", BMC_FAILED, "%s", err);
	return bmc_report_add(&r->rep, "fans", BMC_DONE, "fan mode %s -> %s%s",
			      v->fan_mode_name(mode), v->fan_mode_name(v->fan_safe_mode),
			      known ? " (read back)" : " (accepted; this BMC cannot read it back)");
}

static enum bmc_result step_watchdog(struct bmc_run *r)
{
	struct bmc_ipmi_watchdog w, off;
	char err[ERRLEN];
	cJSON *prior;
	int rc = bmc_ipmi_get_watchdog(r->ipmi, &w);

	if (rc)
		return failed(r, "watchdog", "Get Watchdog Timer", rc);
	if (!(w.timer_use & 0x40))
		return bmc_report_add(&r->rep, "watchdog", BMC_ALREADY, "stopped");
	if (!bmc_state_step(&r->state, "watchdog")) {
		prior = cJSON_CreateObject();
		cJSON_AddNumberToObject(prior, "timer_use", w.timer_use);
		cJSON_AddNumberToObject(prior, "timer_actions", w.timer_actions);
		cJSON_AddNumberToObject(prior, "pretimeout_s", w.pretimeout_s);
		cJSON_AddNumberToObject(prior, "initial", w.initial);
		cJSON_AddBoolToObject(prior, "running", true);
		rc = bmc_state_begin(&r->state, "watchdog", prior, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, "watchdog", BMC_FAILED, "%s", err);
	}
	off = w;
	off.timer_use &= (uint8_t)~0x40; /* bit 6 clear: Set stops the timer */
	off.expire_flags = 0;
	rc = bmc_ipmi_set_watchdog(r->ipmi, &off);
	if (rc)
		return failed(r, "watchdog", "Set Watchdog Timer", rc);
	rc = bmc_ipmi_get_watchdog(r->ipmi, &w);
	if (rc)
		return failed(r, "watchdog", "Get Watchdog Timer (read back)", rc);
	if (w.timer_use & 0x40)
		return bmc_report_add(&r->rep, "watchdog", BMC_FAILED,
				      "the BMC accepted the stop but its watchdog still runs");
	rc = bmc_state_done(&r->state, "watchdog", err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "watchdog", BMC_FAILED, "%s", err);
	return bmc_report_add(&r->rep, "watchdog", BMC_DONE, "running -> stopped (read back)");
}

static enum bmc_result step_sol(struct bmc_run *r)
{
	uint8_t ch = (uint8_t)r->conf.sol_channel;
	char err[ERRLEN];
	bool on;
	cJSON *prior;
	int rc = bmc_ipmi_get_sol_enable(r->ipmi, ch, &on), active;

	if (rc == -EREMOTEIO && (bmc_ipmi_cc(r->ipmi) == 0xc1 || bmc_ipmi_cc(r->ipmi) == 0x80))
		return bmc_report_add(&r->rep, "sol", BMC_UNSUPPORTED,
				      "this BMC has no SOL on channel %u (%s)", ch,
				      bmc_ipmi_strerror(r->ipmi));
	if (rc)
		return failed(r, "sol", "Get SOL Configuration (SOL Enable)", rc);
	if (!on)
		return bmc_report_add(&r->rep, "sol", BMC_ALREADY, "disabled on channel %u", ch);
	if (!bmc_state_step(&r->state, "sol")) {
		prior = cJSON_CreateObject();
		cJSON_AddBoolToObject(prior, "enabled", true);
		cJSON_AddNumberToObject(prior, "channel", ch);
		rc = bmc_state_begin(&r->state, "sol", prior, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, "sol", BMC_FAILED, "%s", err);
	}
	active = bmc_ipmi_sol_deactivate(r->ipmi);
	if (active < 0)
		return failed(r, "sol", "Deactivate Payload (SOL)", active);
	rc = bmc_ipmi_set_sol_enable(r->ipmi, ch, false);
	if (rc)
		return failed(r, "sol", "Set SOL Configuration (SOL Enable = 0)", rc);
	rc = bmc_ipmi_get_sol_enable(r->ipmi, ch, &on);
	if (rc)
		return failed(r, "sol", "Get SOL Configuration (read back)", rc);
	if (on)
		return bmc_report_add(&r->rep, "sol", BMC_FAILED,
				      "the BMC accepted SOL Enable = 0 but reads back enabled");
	rc = bmc_state_done(&r->state, "sol", err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "sol", BMC_FAILED, "%s", err);
	return bmc_report_add(&r->rep, "sol", BMC_DONE, "%sdisabled on channel %u (read back)",
			      active ? "active console session ended; " : "", ch);
}

const struct bmc_rf_switch bmc_rf_switches[BMC_RF_NSWITCH] = {
	{ "kvm-ip", "kvmip", RF_SVC_KVMIP },
	{ "virtual-media", "virtual_media", RF_SVC_VIRTUAL_MEDIA },
	{ "graphical-console", "graphical_console", RF_SVC_GRAPHICAL_CONSOLE },
};

static enum bmc_result step_redfish_one(struct bmc_run *r, const struct bmc_rf_switch *sw)
{
	const char *step = sw->step, *name = rf_service_name(sw->svc);
	struct rf_error e;
	char err[ERRLEN];
	bool on;
	cJSON *prior;
	int rc = rf_service_get(r->rf, &r->rfm, sw->svc, &on, &e);

	if (rc == -ENOENT)
		return bmc_report_add(&r->rep, step, BMC_UNSUPPORTED,
				      "this BMC's Redfish service does not offer %s", name);
	if (rc)
		return bmc_report_add(&r->rep, step, BMC_FAILED, "%s", e.msg);
	if (!on)
		return bmc_report_add(&r->rep, step, BMC_ALREADY, "%s = false", name);
	if (!bmc_state_step(&r->state, sw->key)) {
		prior = cJSON_CreateObject();
		cJSON_AddBoolToObject(prior, "enabled", true);
		rc = bmc_state_begin(&r->state, sw->key, prior, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, step, BMC_FAILED, "%s", err);
	}
	rc = rf_service_set(r->rf, &r->rfm, sw->svc, false, &e);
	if (rc)
		return bmc_report_add(&r->rep, step, BMC_FAILED, "%s", e.msg);
	rc = bmc_state_done(&r->state, sw->key, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, step, BMC_FAILED, "%s", err);
	return bmc_report_add(&r->rep, step, BMC_DONE, "%s true -> false (read back)", name);
}

static enum bmc_result step_redfish(struct bmc_run *r)
{
	char why[ERRLEN];
	size_t i;
	int rc;

	if (!r->conf.redfish) {
		for (i = 0; i < BMC_RF_NSWITCH; i++)
			bmc_report_add(&r->rep, bmc_rf_switches[i].step, BMC_UNSUPPORTED,
				       "no [redfish] url in bmc.conf; %s", r->vendor->services_why);
		return BMC_UNSUPPORTED;
	}
	rc = bmc_run_redfish(r, why, sizeof(why));
	if (rc)
		return bmc_report_add(&r->rep, bmc_rf_switches[0].step, BMC_FAILED, "Redfish: %s", why);
	for (i = 0; i < BMC_RF_NSWITCH; i++)
		if (step_redfish_one(r, &bmc_rf_switches[i]) == BMC_FAILED)
			return BMC_FAILED;
	return BMC_DONE;
}

/* mod_list() - "a, b, c" of the modules in state @want, into @buf. */
static void mod_list(const struct bmc_inband_state *st, enum bmc_mod_state want, char *buf,
		     size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < BMC_INBAND_NMOD && off < len; i++)
		if (st->mod[i] == want)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						bmc_inband_modules[i]);
}

static enum bmc_result step_inband(struct bmc_run *r)
{
	struct bmc_inband_state st;
	char err[ERRLEN], loaded[256], builtin[256], warn[256] = "";
	bool unloaded[BMC_INBAND_NMOD] = { false };
	cJSON *prior, *a;
	size_t i;
	int rc;

	if (!r->conf.in_band_unload)
		return bmc_report_add(&r->rep, "in-band", BMC_SKIPPED,
				      "[host] in_band = keep: the ipmi_* modules stay loaded");
	rc = bmc_inband_read(&r->host, &st, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	mod_list(&st, BMC_MOD_LOADED, loaded, sizeof(loaded));
	mod_list(&st, BMC_MOD_BUILTIN, builtin, sizeof(builtin));
	if (builtin[0])
		snprintf(warn, sizeof(warn),
			 "; built into the kernel, cannot be unloaded: %s (boot with "
			 "ipmi_si.kipmid_max_busy_us=100 or a kernel without them)", builtin);
	if (st.watchdog_nowayout && st.watchdog_armed)
		snprintf(warn + strlen(warn), sizeof(warn) - strlen(warn),
			 "; WARNING: ipmi_watchdog is armed with nowayout: unloading does not "
			 "stop it and the BMC may reset the host");
	if (!loaded[0] && st.blacklisted)
		return bmc_report_add(&r->rep, "in-band", BMC_ALREADY,
				      "no ipmi module loaded, blacklist in place%s", warn);
	if (st.nholders && !r->force)
		return bmc_report_add(&r->rep, "in-band", BMC_FAILED,
				      "%s (pid %d) holds /dev/ipmi*: stop it first, or --force",
				      st.holder_comm[0], (int)st.holders[0]);
	if (!bmc_state_step(&r->state, "in_band")) {
		prior = cJSON_CreateObject();
		a = cJSON_AddArrayToObject(prior, "loaded");
		for (i = 0; i < BMC_INBAND_NMOD; i++)
			if (st.mod[i] == BMC_MOD_LOADED)
				cJSON_AddItemToArray(a, cJSON_CreateString(bmc_inband_modules[i]));
		cJSON_AddBoolToObject(prior, "blacklisted", st.blacklisted);
		rc = bmc_state_begin(&r->state, "in_band", prior, err, sizeof(err));
		if (rc)
			return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	}
	rc = bmc_inband_blacklist(&r->host, true, err, sizeof(err));
	if (!rc)
		rc = bmc_inband_unload(&r->host, r->force, unloaded, err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	rc = bmc_state_done(&r->state, "in_band", err, sizeof(err));
	if (rc)
		return bmc_report_add(&r->rep, "in-band", BMC_FAILED, "%s", err);
	return bmc_report_add(&r->rep, "in-band", BMC_DONE, "unloaded: %s; blacklisted in %s%s",
			      loaded[0] ? loaded : "none was loaded", r->host_blacklist, warn);
}

int bmc_standby(struct bmc_run *r)
{
	enum bmc_result (*const steps[])(struct bmc_run *) = { step_sel, step_fans, step_watchdog,
							      step_sol, step_redfish, step_inband };
	static const char *const names[] = { "sel", "fans", "watchdog", "sol", "kvm-ip",
					     "in-band" };
	char err[ERRLEN];
	size_t i;
	cJSON *bmc;

	bmc_report_init(&r->rep, "standby");
	if (!cJSON_GetObjectItemCaseSensitive(r->state.root, "standby_started")) {
		bmc = cJSON_CreateObject();
		cJSON_AddStringToObject(bmc, "address", r->conf.address);
		cJSON_AddNumberToObject(bmc, "manufacturer_id", r->devid.manufacturer_id);
		cJSON_AddNumberToObject(bmc, "product_id", r->devid.product_id);
		cJSON_AddStringToObject(bmc, "vendor", r->vendor->name);
		if (bmc_state_set(&r->state, "bmc", bmc, err, sizeof(err)) ||
		    bmc_state_set(&r->state, "standby_started", cJSON_CreateNumber((double)time(NULL)),
				  err, sizeof(err))) {
			bmc_report_add(&r->rep, "record", BMC_FAILED, "%s", err);
			return bmc_report_print(&r->rep, r->json);
		}
	}
	bmc_state_set(&r->state, "standby_completed", cJSON_CreateNull(), err, sizeof(err));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i](r) == BMC_FAILED) {
			for (i++; i < sizeof(steps) / sizeof(steps[0]); i++)
				bmc_report_add(&r->rep, names[i], BMC_SKIPPED,
					       "not run: an earlier step failed");
			return bmc_report_print(&r->rep, r->json);
		}
	}
	for (i = 0; i < (size_t)r->rep.n && r->rep.line[i].result != BMC_DONE; i++)
		;
	if (bmc_state_set(&r->state, "standby_completed", cJSON_CreateNumber((double)time(NULL)),
			  err, sizeof(err)))
		bmc_report_add(&r->rep, "record", BMC_FAILED, "%s", err);
	else if (i == (size_t)r->rep.n)
		bmc_report_add(&r->rep, "record", BMC_ALREADY, "nothing changed; %s", r->state.path);
	else
		bmc_report_add(&r->rep, "record", BMC_DONE, "%s", r->state.path);
	return bmc_report_print(&r->rep, r->json);
}
