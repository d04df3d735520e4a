// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf.c - /etc/sovereign/bmc.conf: the schema, the defaults, the checks.
 * Passwords are read with the Redfish library's readers (one way to read a
 * secret: a file only its owner reads, or the environment).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "redfish.h"
#include "vendor.h"

static const char *const bmc_keys[] = { "address", "port", "user", "password_file",
					"cipher_suite", "vendor", "timeout_ms", "sol_channel",
					"open_session_workaround", NULL };
static const char *const rf_keys[] = { "enable", "url", "user", "password_file", "ca_file",
				       "insecure", "timeout_ms", NULL };
static const char *const host_keys[] = { "in_band", "root", "modprobe", "blacklist", NULL };
static const char *const state_keys[] = { "dir", NULL };

static const struct rt_conf_schema bmc_schema[] = {
	{ "bmc", RT_CONF_NO_ARG, bmc_keys, NULL },
	{ "redfish", RT_CONF_NO_ARG, rf_keys, NULL },
	{ "host", RT_CONF_NO_ARG, host_keys, NULL },
	{ "state", RT_CONF_NO_ARG, state_keys, NULL },
};

/* path() - as rt_conf_str(), and the value must be an absolute path (or empty if @empty_ok). */
static int path(const struct rt_conf_section *s, const char *key, const char *def, char *out,
		size_t len, bool empty_ok, struct rt_err *err)
{
	int rc = rt_conf_str(s, key, def, out, len, err);

	if (rc)
		return rc;
	if (!out[0] && empty_ok)
		return 0;
	if (out[0] != '/')
		return rt_conf_errorf(err, s, key, "'%s' is not an absolute path", out);
	return 0;
}

static int uint_key(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		    long long def, unsigned int *out, struct rt_err *err)
{
	long long v;
	int rc = rt_conf_int(s, key, lo, hi, def, &v, err);

	if (!rc)
		*out = (unsigned int)v;
	return rc;
}

static int load_bmc(const struct rt_config *cfg, struct bmc_conf *c, struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "bmc", NULL);
	int rc;

	if (!s || !rt_conf_get(s, "address"))
		return rt_config_errorf(err, cfg, s ? s->line : 0,
					"[bmc] address is required (the BMC's IP address or name)");
	rc = rt_conf_str(s, "address", "", c->address, sizeof(c->address), err);
	if (!rc && !c->address[0])
		rc = rt_conf_errorf(err, s, "address", "empty");
	if (!rc)
		rc = uint_key(s, "port", 1, 65535, 623, &c->port, err);
	if (!rc)
		rc = rt_conf_str(s, "user", "", c->user, sizeof(c->user), err);
	if (!rc && strlen(c->user) > 16)
		rc = rt_conf_errorf(err, s, "user", "IPMI user names are 16 bytes at most");
	if (!rc)
		rc = path(s, "password_file", "", c->password_file, sizeof(c->password_file), true,
			  err);
	if (!rc)
		rc = uint_key(s, "cipher_suite", 0, 17, 3, &c->cipher_suite, err);
	if (!rc)
		rc = rt_conf_str(s, "vendor", "auto", c->vendor, sizeof(c->vendor), err);
	if (!rc && strcmp(c->vendor, "auto") && !bmc_vendor_by_name(c->vendor))
		rc = rt_conf_errorf(err, s, "vendor", "unknown vendor '%s' (auto, %s)", c->vendor,
				    bmc_vendor_names());
	if (!rc)
		rc = uint_key(s, "timeout_ms", 500, 120000, 5000, &c->timeout_ms, err);
	if (!rc)
		rc = uint_key(s, "sol_channel", 1, 15, 1, &c->sol_channel, err);
	if (!rc)
		rc = rt_conf_bool(s, "open_session_workaround", false, &c->open_session_workaround,
				  err);
	return rc;
}

static int load_redfish(const struct rt_config *cfg, struct bmc_conf *c, struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "redfish", NULL);
	int rc = rt_conf_str(s, "url", "", c->rf_url, sizeof(c->rf_url), err);

	if (!rc)
		rc = rt_conf_bool(s, "enable", c->rf_url[0] != '\0', &c->redfish, err);
	if (!rc && c->redfish && !c->rf_url[0])
		rc = rt_conf_errorf(err, s, "enable", "Redfish enabled but no url");
	if (!rc && c->rf_url[0] && strncmp(c->rf_url, "https://", 8) &&
	    strncmp(c->rf_url, "http://", 7))
		rc = rt_conf_errorf(err, s, "url", "'%s' is not an http:// or https:// URL",
				    c->rf_url);
	if (!rc)
		rc = rt_conf_str(s, "user", "", c->rf_user, sizeof(c->rf_user), err);
	if (!rc)
		rc = path(s, "password_file", "", c->rf_password_file,
			  sizeof(c->rf_password_file), true, err);
	if (!rc)
		rc = path(s, "ca_file", "", c->rf_ca_file, sizeof(c->rf_ca_file), true, err);
	if (!rc)
		rc = rt_conf_bool(s, "insecure", false, &c->rf_insecure, err);
	if (!rc)
		rc = uint_key(s, "timeout_ms", 1000, 300000, 15000, &c->rf_timeout_ms, err);
	return rc;
}

static int load_host(const struct rt_config *cfg, struct bmc_conf *c, struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "host", NULL);
	char mode[16];
	int rc = rt_conf_str(s, "in_band", "unload", mode, sizeof(mode), err);

	if (!rc && strcmp(mode, "unload") && strcmp(mode, "keep"))
		rc = rt_conf_errorf(err, s, "in_band", "'%s': unload or keep", mode);
	c->in_band_unload = !strcmp(mode, "unload");
	if (!rc)
		rc = path(s, "root", "/", c->root, sizeof(c->root), false, err);
	if (!rc)
		rc = path(s, "modprobe", "/sbin/modprobe", c->modprobe, sizeof(c->modprobe), false,
			  err);
	if (!rc)
		rc = path(s, "blacklist", "/etc/modprobe.d/sovereign-ipmi.conf", c->blacklist,
			  sizeof(c->blacklist), false, err);
	if (!rc)
		rc = path(rt_config_section(cfg, "state", NULL), "dir", "/var/lib/sovereign",
			  c->state_dir, sizeof(c->state_dir), false, err);
	return rc;
}

int bmc_conf_load(const char *file, struct bmc_conf *c, struct rt_err *err)
{
	struct rt_config cfg;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = rt_config_load(file, &cfg, err);
	if (rc)
		return rc;
	rc = rt_config_check(&cfg, bmc_schema, sizeof(bmc_schema) / sizeof(bmc_schema[0]), err);
	if (!rc)
		rc = load_bmc(&cfg, c, err);
	if (!rc)
		rc = load_redfish(&cfg, c, err);
	if (!rc)
		rc = load_host(&cfg, c, err);
	rt_config_free(&cfg);
	return rc;
}

int bmc_conf_password(const struct bmc_conf *c, bool redfish, char *buf, size_t len,
		      struct rt_err *err)
{
	const char *file = redfish && c->rf_password_file[0] ? c->rf_password_file
							     : c->password_file;
	const char *env = redfish && getenv(BMC_REDFISH_PASSWORD_ENV) ? BMC_REDFISH_PASSWORD_ENV
								      : BMC_PASSWORD_ENV;
	char tmp[RF_PASSWORD_MAX];
	struct rf_error e;
	int rc;

	if (file[0])
		rc = rf_password_from_file(file, tmp, &e);
	else
		rc = rf_password_from_env(env, tmp, &e);
	if (rc) {
		if (!file[0] && rc == -ENOENT)
			snprintf(err->msg, sizeof(err->msg),
				 "no %s password: set password_file in bmc.conf or %s",
				 redfish ? "Redfish" : "IPMI", env);
		else
			snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
		return rc;
	}
	if (strlen(tmp) >= len) {
		explicit_bzero(tmp, sizeof(tmp));
		snprintf(err->msg, sizeof(err->msg), "%s password longer than %zu bytes",
			 redfish ? "Redfish" : "IPMI", len - 1);
		return -E2BIG;
	}
	memcpy(buf, tmp, strlen(tmp) + 1);
	explicit_bzero(tmp, sizeof(tmp));
	return 0;
}
