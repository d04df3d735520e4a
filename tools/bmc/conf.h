/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.h - sovereign-bmc's configuration, /etc/sovereign/bmc.conf (INI,
 * read with the project's strict reader: an unknown section or key, or a
 * bad value, is an error naming file:line).  The passwords come from 0600
 * files or the environment, never from the file itself or a command line.
 *
 *   [bmc]      address (required), port, user, password_file, cipher_suite,
 *              vendor, timeout_ms, sol_channel, open_session_workaround
 *   [redfish]  enable, url, user, password_file, ca_file, insecure, timeout_ms
 *   [host]     in_band, root, modprobe, blacklist
 *   [state]    dir
 * Environment: SOVEREIGN_BMC_PASSWORD (IPMI, when no password_file),
 * SOVEREIGN_REDFISH_PASSWORD (Redfish; else the IPMI password).
 */
#ifndef SOVEREIGN_BMC_CONF_H
#define SOVEREIGN_BMC_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define BMC_CONF_DEFAULT "/etc/sovereign/bmc.conf"
#define BMC_PASSWORD_ENV "SOVEREIGN_BMC_PASSWORD"
#define BMC_REDFISH_PASSWORD_ENV "SOVEREIGN_REDFISH_PASSWORD"

struct bmc_conf {
	/* [bmc] */
	char address[256];
	unsigned int port;            /* 623 */
	char user[64];                /* IPMI user name, at most 16 bytes used */
	char password_file[PATH_MAX]; /* "" : environment */
	unsigned int cipher_suite;    /* 3 */
	char vendor[32];              /* "auto" or a profile name */
	unsigned int timeout_ms;      /* 5000 */
	unsigned int sol_channel;     /* 1 */
	bool open_session_workaround; /* no: only for OpenIPMI's ipmi_sim */
	/* [redfish] */
	bool redfish;                 /* yes when url is set, unless enable = no */
	char rf_url[256];
	char rf_user[64];             /* "": the [bmc] user */
	char rf_password_file[PATH_MAX]; /* "": the IPMI password's source */
	char rf_ca_file[PATH_MAX];
	bool rf_insecure;
	unsigned int rf_timeout_ms;   /* 15000 */
	/* [host] */
	bool in_band_unload;          /* in_band = unload (default) | keep */
	char root[PATH_MAX];          /* "/" */
	char modprobe[PATH_MAX];      /* /sbin/modprobe */
	char blacklist[PATH_MAX];     /* /etc/modprobe.d/sovereign-ipmi.conf */
	/* [state] */
	char state_dir[PATH_MAX];     /* /var/lib/sovereign */
};

/*
 * bmc_conf_load() - read and check @path into @c (defaults for what is absent).
 * Context: process context.  Return: 0, or -errno with @err "file:line: why".
 */
int bmc_conf_load(const char *path, struct bmc_conf *c, struct rt_err *err);

/*
 * bmc_conf_password() - the IPMI (@redfish false) or Redfish password into
 * @buf (@len bytes), from its password_file (refused unless only its owner
 * may read it) or the environment.  Return: 0 or -errno with @err.
 * Ownership: the caller wipes @buf (explicit_bzero) after use.
 */
int bmc_conf_password(const struct bmc_conf *c, bool redfish, char *buf, size_t len,
		      struct rt_err *err);

#endif /* SOVEREIGN_BMC_CONF_H */
