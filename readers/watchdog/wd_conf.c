/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_conf.c - sovereign-watchdog's configuration (wd_conf.h): the schema of
 * watchdog.conf and its four sections, each checked against the others
 * (hang and age limits against the period, the period against the device
 * timeout), at start and on SIGHUP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sovereign.h"
#include "wd_conf.h"

static int wd_conf_str(const struct rt_conf_section *s, const char *key, const char *def,
		       char *out, size_t len, struct rt_err *err)
{
	const char *v = s ? rt_conf_get(s, key) : NULL;

	if (!v)
		v = def;
	if (strlen(v) >= len)
		return rt_conf_errorf(err, s, key, "longer than %zu bytes", len - 1);
	strcpy(out, v);
	return 0;
}

/*
 * [progress] heartbeat_owner: a user name or a decimal uid whose heartbeat
 * file is believed besides root's and the watched process's own (the only
 * one besides root's while no process is held).  Resolved at load: a user
 * deleted later keeps the uid it had.
 */
static int wd_conf_hb_owner(const struct rt_conf_section *s, struct wd_conf *c,
			    struct rt_err *err)
{
	const char *v = s ? rt_conf_get(s, "heartbeat_owner") : NULL;
	struct passwd pw, *res = NULL;
	char buf[16384];
	long long uid;
	int rc;

	c->hb_owner_set = v != NULL;
	if (!v)
		return 0;
	if (c->pkind != WD_PROG_HEARTBEAT)
		return rt_conf_errorf(err, s, "heartbeat_owner", "given without heartbeat = FILE");
	if (!*v)
		return rt_conf_errorf(err, s, "heartbeat_owner",
				      "empty: name a user or uid, or leave the key out");
	if (rt_parse_ll(v, false, &uid) == 0) {
		/* (uid_t)-1 is "no uid" to the kernel's chown(): never an owner. */
		if (uid < 0 || uid >= (long long)UINT32_MAX)
			return rt_conf_errorf(err, s, "heartbeat_owner", "uid %s out of range", v);
		c->hb_owner = (uid_t)uid;
		return 0;
	}
	rc = getpwnam_r(v, &pw, buf, sizeof(buf), &res);
	if (rc)
		return rt_conf_errorf(err, s, "heartbeat_owner", "user '%s': %s", v, strerror(rc));
	if (!res)
		return rt_conf_errorf(err, s, "heartbeat_owner", "no user '%s' on this system", v);
	c->hb_owner = pw.pw_uid;
	return 0;
}

/*
 * The schema: every section and key wd_conf_load() reads.  Anything else
 * is refused with its file:line: a misspelt [device] would leave the
 * hardware watchdog unarmed without a word.
 */
static const char *const wd_watchdog_keys[] = {
	"segment", "group", "sampler_segment", "period_ms", "sampler_max_age_ms", "hang_ms", NULL
};
static const char *const wd_target_keys[] = { "pid_file", "command", "unit", NULL };
static const char *const wd_progress_keys[] = {
	"heartbeat", "heartbeat_owner", "health_url", "mtime_file", "health_timeout_ms", NULL
};
static const char *const wd_device_keys[] = {
	"path", "timeout_s", "reboot_on_hang", "magic_close", NULL
};
static const struct rt_conf_schema wd_schema[] = {
	{ "watchdog", RT_CONF_NO_ARG, wd_watchdog_keys, NULL },
	{ "target", RT_CONF_NO_ARG, wd_target_keys, NULL },
	{ "progress", RT_CONF_NO_ARG, wd_progress_keys, NULL },
	{ "device", RT_CONF_NO_ARG, wd_device_keys, NULL },
};

/* [watchdog]: the segments, the group, the period and the limits judged by it. */
static int wd_conf_watchdog(const struct rt_conf_section *sw, struct wd_conf *c,
			    struct rt_err *err)
{
	const char *group;
	int rc;

	if ((rc = wd_conf_str(sw, "segment", "/sovereign-watchdog", c->segment,
			      sizeof(c->segment), err)) < 0 ||
	    (rc = wd_conf_str(sw, "group", "", c->group, sizeof(c->group), err)) < 0 ||
	    (rc = wd_conf_str(sw, "sampler_segment", SOV_SHM_DEFAULT_NAME, c->sampler,
			      sizeof(c->sampler), err)) < 0 ||
	    (rc = rt_conf_int(sw, "period_ms", 10, 60000, 1000, &c->period_ms, err)) < 0 ||
	    (rc = rt_conf_int(sw, "sampler_max_age_ms", 10, 3600000, 5000,
			      &c->sampler_max_age_ms, err)) < 0 ||
	    (rc = rt_conf_int(sw, "hang_ms", 10, 86400000, 30000, &c->hang_ms, err)) < 0 ||
	    (rc = rt_conf_group(sw, "group", &group, err)) < 0)
		return rc;
	/*
	 * Progress is looked at once a period: a hang timeout under two
	 * periods would call a process hung between two looks that both
	 * found it working.
	 */
	if (c->hang_ms < 2 * c->period_ms)
		return rt_conf_errorf(err, sw, rt_conf_get(sw, "hang_ms") ? "hang_ms" : "period_ms",
				      "hang_ms %lld is less than two periods (period_ms %lld)",
				      c->hang_ms, c->period_ms);
	/* Freshness is judged once a period too: an age limit under one period is always exceeded. */
	if (c->sampler_max_age_ms < c->period_ms)
		return rt_conf_errorf(err, sw, rt_conf_get(sw, "sampler_max_age_ms") ?
				      "sampler_max_age_ms" : "period_ms",
				      "sampler_max_age_ms %lld is less than period_ms %lld",
				      c->sampler_max_age_ms, c->period_ms);
	return 0;
}

/* [target]: exactly one way to find the process. */
static int wd_conf_target(const struct rt_config *cfg, const struct rt_conf_section *st,
			  struct wd_conf *c, struct rt_err *err)
{
	static const char *const tkeys[] = { "pid_file", "command", "unit" };
	int rc, n = 0;

	for (int i = 0; i < 3; i++) {
		const char *v = st ? rt_conf_get(st, tkeys[i]) : NULL;

		if (!v)
			continue;
		n++;
		c->tkind = i == 0 ? WD_TGT_PIDFILE : i == 1 ? WD_TGT_COMMAND : WD_TGT_UNIT;
		if ((rc = wd_conf_str(st, tkeys[i], "", c->tspec, sizeof(c->tspec), err)) < 0)
			return rc;
	}
	if (n == 1)
		return 0;
	return st ? rt_conf_errorf(err, st, NULL, "needs exactly one of pid_file, command, "
				   "unit (%d given)", n)
		  : rt_config_errorf(err, cfg, 0, "no [target] section: it needs exactly one "
				     "of pid_file, command, unit");
}

/* [progress]: at most one probe; none means "alive is progress". */
static int wd_conf_progress(const struct rt_conf_section *sp, struct wd_conf *c,
			    struct rt_err *err)
{
	static const char *const pkeys[] = { "heartbeat", "health_url", "mtime_file" };
	int rc, n = 0;

	c->pkind = WD_PROG_NONE;
	for (int i = 0; i < 3; i++) {
		const char *v = sp ? rt_conf_get(sp, pkeys[i]) : NULL;

		if (!v)
			continue;
		n++;
		c->pkind = (enum wd_progress_kind)(WD_PROG_HEARTBEAT + i);
		if ((rc = wd_conf_str(sp, pkeys[i], "", c->pspec, sizeof(c->pspec), err)) < 0)
			return rc;
	}
	if (n > 1)
		return rt_conf_errorf(err, sp, NULL, "at most one of heartbeat, health_url, "
				      "mtime_file");
	if ((rc = wd_conf_hb_owner(sp, c, err)) < 0)
		return rc;
	if (c->pkind == WD_PROG_URL && wd_url_parse(c->pspec, &c->url) < 0)
		return rt_conf_errorf(err, sp, "health_url", "'%s' is not "
				      "http://127.0.0.1:PORT/PATH (loopback only)", c->pspec);
	if ((rc = rt_conf_int(sp, "health_timeout_ms", 1, 60000, 1000,
			      &c->health_timeout_ms, err)) < 0)
		return rc;
	/* A check longer than the period would stretch every period. */
	if (c->pkind == WD_PROG_URL && c->health_timeout_ms > c->period_ms)
		return rt_conf_errorf(err, sp, "health_timeout_ms", "%lld exceeds period_ms %lld",
				      c->health_timeout_ms, c->period_ms);
	return 0;
}

/* [device]: the hardware watchdog, fed at least twice per its timeout. */
static int wd_conf_device(const struct rt_conf_section *sw, const struct rt_conf_section *sd,
			  struct wd_conf *c, struct rt_err *err)
{
	int rc;

	c->device = sd && rt_conf_get(sd, "path");
	if ((rc = wd_conf_str(sd, "path", "", c->dev_path, sizeof(c->dev_path), err)) < 0 ||
	    (rc = rt_conf_int(sd, "timeout_s", 1, 3600, 60, &c->dev_timeout_s, err)) < 0 ||
	    (rc = rt_conf_bool(sd, "reboot_on_hang", true, &c->reboot_on_hang, err)) < 0 ||
	    (rc = rt_conf_bool(sd, "magic_close", true, &c->magic_close, err)) < 0)
		return rc;
	/* Feed at least twice per device timeout, so one late period never resets. */
	if (c->device && c->period_ms * 2 > c->dev_timeout_s * 1000)
		/* Name the line that set one of the two (sw is NULL on defaults). */
		return rt_conf_errorf(err, rt_conf_get(sw, "period_ms") ? sw : sd,
				      rt_conf_get(sw, "period_ms") ? "period_ms" : "timeout_s",
				      "period_ms %lld is more than half the device timeout "
				      "(timeout_s %lld)", c->period_ms, c->dev_timeout_s);
	return 0;
}

int wd_conf_load(const char *path, struct wd_conf *c, struct rt_err *err)
{
	struct rt_config cfg = { 0 };
	int rc;

	rc = rt_config_load(path, &cfg, err);
	if (rc < 0)
		return rc;
	rc = rt_config_check(&cfg, wd_schema, sizeof(wd_schema) / sizeof(wd_schema[0]), err);
	if (rc < 0)
		goto out_free;
	memset(c, 0, sizeof(*c));
	if ((rc = wd_conf_watchdog(rt_config_section(&cfg, "watchdog", NULL), c, err)) < 0 ||
	    (rc = wd_conf_target(&cfg, rt_config_section(&cfg, "target", NULL), c, err)) < 0 ||
	    (rc = wd_conf_progress(rt_config_section(&cfg, "progress", NULL), c, err)) < 0 ||
	    (rc = wd_conf_device(rt_config_section(&cfg, "watchdog", NULL),
				 rt_config_section(&cfg, "device", NULL), c, err)) < 0)
		goto out_free;
	rc = 0;
out_free:
	rt_config_free(&cfg);
	return rc;
}
