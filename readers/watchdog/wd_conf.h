/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_conf.h - sovereign-watchdog's configuration: what watchdog.conf says
 * (struct wd_conf) and its loader (wd_conf.c), for watchdog.c.
 */
#ifndef SOVEREIGN_WD_CONF_H
#define SOVEREIGN_WD_CONF_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "wd.h"

enum wd_progress_kind { WD_PROG_NONE, WD_PROG_HEARTBEAT, WD_PROG_URL, WD_PROG_MTIME };

struct wd_conf {
	char segment[128], group[64], sampler[128];
	long long period_ms, sampler_max_age_ms, hang_ms, health_timeout_ms;
	enum wd_target_kind tkind;
	char tspec[256];
	enum wd_progress_kind pkind;
	char pspec[256];
	bool hb_owner_set;      /* heartbeat_owner given: its file is trusted too */
	uid_t hb_owner;
	struct wd_url url;
	bool device, reboot_on_hang, magic_close;
	char dev_path[256];
	long long dev_timeout_s;
};

/*
 * wd_conf_load() - read and check the INI file @path into @c (zeroed
 * first).  Unknown sections or keys, bad values and contradicting ones
 * are refused.  Context: the main thread, at start and on SIGHUP; no
 * allocation kept.  Return: 0, or -errno with @err naming file:line.
 */
int wd_conf_load(const char *path, struct wd_conf *c, struct rt_err *err);

#endif /* SOVEREIGN_WD_CONF_H */
