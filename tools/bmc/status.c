// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * status.c - `sovereign-bmc status`: every function standby silences, read
 * back live from the BMC and the host (never from the record), with the
 * time standby silenced it (from the record).  A table, or --json.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bmc.h"

#define NFUNC 10

struct func {
	const char *name;   /* "watchdog" */
	const char *key;    /* its step in the standby record, or NULL */
	char state[200];    /* "stopped", "unreadable: ..." */
	int silenced;       /* 1 yes, 0 no, -1 unknown / not applicable */
	double since;       /* from the record, 0 if none */
};

static void put(struct func *f, const struct bmc_run *r, const char *name, const char *key,
		int silenced, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void put(struct func *f, const struct bmc_run *r, const char *name, const char *key,
		int silenced, const char *fmt, ...)
{
	const cJSON *s = key ? bmc_state_step(&r->state, key) : NULL;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "since");
	va_list ap;

	f->name = name;
	f->key = key;
	f->silenced = silenced;
	f->since = silenced == 1 && cJSON_IsNumber(t) ? t->valuedouble : 0;
	va_start(ap, fmt);
	vsnprintf(f->state, sizeof(f->state), fmt, ap);
	va_end(ap);
}

static int read_bmc(struct bmc_run *r, struct func *f, int n)
{
	const struct bmc_vendor *v = r->vendor;
	struct bmc_ipmi_watchdog w;
	struct bmc_ipmi_sel_info si;
	bool on;
	int mode;

	if (!v->fan_safe)
		put(&f[n++], r, "fans", "fans", 0, "BMC automatic (%s)", v->fan_why);
	else if (!v->fan_get)
		put(&f[n++], r, "fans", "fans", bmc_state_step(&r->state, "fans") ? 1 : -1,
		    "%s (this BMC cannot read its fan mode back)",
		    bmc_state_step(&r->state, "fans") ? "set by standby" : "unknown");
	else if (v->fan_get(r->ipmi, &mode))
		put(&f[n++], r, "fans", "fans", -1, "unreadable: %s", bmc_ipmi_strerror(r->ipmi));
	else
		put(&f[n++], r, "fans", "fans", mode == v->fan_safe_mode, "fan mode %s",
		    v->fan_mode_name(mode));
	if (bmc_ipmi_get_watchdog(r->ipmi, &w))
		put(&f[n++], r, "watchdog", "watchdog", -1, "unreadable: %s",
		    bmc_ipmi_strerror(r->ipmi));
	else
		put(&f[n++], r, "watchdog", "watchdog", !(w.timer_use & 0x40), "%s",
		    w.timer_use & 0x40 ? "running" : "stopped");
	if (bmc_ipmi_get_sol_enable(r->ipmi, (uint8_t)r->conf.sol_channel, &on))
		put(&f[n++], r, "sol", "sol", -1, "unreadable: %s", bmc_ipmi_strerror(r->ipmi));
	else
		put(&f[n++], r, "sol", "sol", !on, "%s", on ? "enabled" : "disabled");
	if (bmc_ipmi_sel_info(r->ipmi, &si))
		put(&f[n++], r, "sel", NULL, -1, "unreadable: %s", bmc_ipmi_strerror(r->ipmi));
	else
		put(&f[n++], r, "sel", NULL, -1, "%u entries", si.entries);
	return n;
}

static int read_redfish(struct bmc_run *r, struct func *f, int n)
{
	char why[512];
	struct rf_error e;
	size_t i;
	bool on;
	int rc = r->conf.redfish ? bmc_run_redfish(r, why, sizeof(why)) : -ENOENT;

	for (i = 0; i < BMC_RF_NSWITCH; i++) {
		const struct bmc_rf_switch *sw = &bmc_rf_switches[i];

		if (!r->conf.redfish)
			put(&f[n++], r, sw->step, sw->key, -1, "unknown: no [redfish] url");
		else if (rc)
			put(&f[n++], r, sw->step, sw->key, -1, "unreadable: %s", why);
		else if ((rc = rf_service_get(r->rf, &r->rfm, sw->svc, &on, &e)) == -ENOENT)
			put(&f[n++], r, sw->step, sw->key, -1, "not offered"), rc = 0;
		else if (rc)
			put(&f[n++], r, sw->step, sw->key, -1, "unreadable: %s", e.msg), rc = 0;
		else
			put(&f[n++], r, sw->step, sw->key, !on, "%s", on ? "enabled" : "disabled");
	}
	return n;
}

static int read_host(struct bmc_run *r, struct func *f, int n)
{
	struct bmc_inband_state st;
	char err[512], loaded[256] = "";
	size_t i, off = 0;

	if (bmc_inband_read(&r->host, &st, err, sizeof(err))) {
		put(&f[n++], r, "in-band", "in_band", -1, "unreadable: %s", err);
		return n;
	}
	for (i = 0; i < BMC_INBAND_NMOD && off < sizeof(loaded); i++)
		if (st.mod[i] != BMC_MOD_ABSENT)
			off += (size_t)snprintf(loaded + off, sizeof(loaded) - off, "%s%s%s",
						off ? ", " : "", bmc_inband_modules[i],
						st.mod[i] == BMC_MOD_BUILTIN ? " (built in)" : "");
	put(&f[n++], r, "in-band", "in_band", !loaded[0] && st.blacklisted,
	    "%s%s", loaded[0] ? loaded : "no ipmi module", st.blacklisted ? "; blacklisted" : "");
	return n;
}

static void since(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

static int print(const struct bmc_run *r, const struct func *f, int n, const char *bmc_err)
{
	char t[32];
	int i;

	if (r->json) {
		cJSON *o = cJSON_CreateObject(), *b = cJSON_AddObjectToObject(o, "bmc"), *a;

		cJSON_AddStringToObject(b, "address", r->conf.address);
		if (bmc_err) {
			cJSON_AddStringToObject(b, "error", bmc_err);
		} else {
			cJSON_AddNumberToObject(b, "manufacturer_id", r->devid.manufacturer_id);
			cJSON_AddNumberToObject(b, "product_id", r->devid.product_id);
			cJSON_AddStringToObject(b, "vendor", r->vendor->name);
		}
		cJSON_AddBoolToObject(o, "standby_record", r->state.existed);
		a = cJSON_AddArrayToObject(o, "functions");
		for (i = 0; i < n; i++) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "function", f[i].name);
			cJSON_AddStringToObject(x, "state", f[i].state);
			if (f[i].silenced < 0)
				cJSON_AddNullToObject(x, "silenced");
			else
				cJSON_AddBoolToObject(x, "silenced", f[i].silenced);
			if (f[i].since)
				cJSON_AddNumberToObject(x, "since", f[i].since);
			else
				cJSON_AddNullToObject(x, "since");
			cJSON_AddItemToArray(a, x);
		}
		bmc_print_json(o);
	} else {
		if (bmc_err)
			printf("BMC %s: NOT READ: %s\n", r->conf.address, bmc_err);
		else
			printf("BMC %s: %s (manufacturer %u, product 0x%04x, firmware %u.%02x)\n",
			       r->conf.address, r->vendor->label, r->devid.manufacturer_id,
			       r->devid.product_id, r->devid.fw_major, r->devid.fw_minor);
		printf("%-18s %-9s %-20s %s\n", "FUNCTION", "SILENCED", "SINCE", "STATE");
		for (i = 0; i < n; i++) {
			since(f[i].since, t, sizeof(t));
			printf("%-18s %-9s %-20s %s\n", f[i].name,
			       f[i].silenced < 0 ? "-" : f[i].silenced ? "yes" : "NO", t, f[i].state);
		}
	}
	fflush(stdout);
	return bmc_err ? 1 : 0;
}

int bmc_status(struct bmc_run *r)
{
	struct func f[NFUNC];
	char why[512];
	int n = 0;
	bool up = !bmc_run_ipmi(r, why, sizeof(why));

	memset(f, 0, sizeof(f));
	if (up)
		n = read_bmc(r, f, n);
	n = read_redfish(r, f, n);
	n = read_host(r, f, n);
	return print(r, f, n, up ? NULL : why);
}
