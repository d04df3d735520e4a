/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inband.h - the host's in-band IPMI: the kernel's ipmi_* modules (which
 * poll the BMC over KCS/SSIF, the SMIs this product removes), their users
 * (/dev/ipmi*), and a modprobe.d blacklist that keeps them off after a
 * reboot.
 *
 * Every path is under a root (struct bmc_inband_host.root, "/" on a real
 * host; a fixture tree in tests): <root>/proc/modules, <root>/proc/<pid>/fd,
 * <root>/dev/ipmi*, <root>/sys/module/<m>/..., <root>/lib/modules/<release>/
 * modules.builtin, and the blacklist file.  Modules are removed and loaded
 * with the configured modprobe program (fork + exec, no shell, argv only
 * module names), one module per call, so each result is known.
 *
 * Context: process context, blocking; never on the real-time path.
 * Errors: -errno with a one-line description in @err; nothing printed.
 */
#ifndef SOVEREIGN_BMC_INBAND_H
#define SOVEREIGN_BMC_INBAND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The in-band IPMI modules, in unload order (every one depends on the last). */
#define BMC_INBAND_NMOD 7
extern const char *const bmc_inband_modules[BMC_INBAND_NMOD];
/* = ipmi_watchdog, ipmi_poweroff, acpi_ipmi, ipmi_ssif, ipmi_si,
 *   ipmi_devintf, ipmi_msghandler */

struct bmc_inband_host {
	const char *root;      /* "/" on a real host */
	const char *modprobe;  /* absolute path, e.g. "/sbin/modprobe" */
	const char *blacklist; /* absolute path under root, e.g.
				  "/etc/modprobe.d/sovereign-ipmi.conf" (joined to root) */
	const char *release;   /* kernel release for modules.builtin; NULL: uname() */
};

enum bmc_mod_state {
	BMC_MOD_ABSENT,  /* neither loaded nor built in */
	BMC_MOD_LOADED,  /* listed in <root>/proc/modules */
	BMC_MOD_BUILTIN, /* in modules.builtin, or /sys/module/<m> with no initstate */
};

struct bmc_inband_state {
	enum bmc_mod_state mod[BMC_INBAND_NMOD];
	bool blacklisted;          /* the blacklist file exists and is ours */
	bool watchdog_nowayout;    /* <root>/sys/module/ipmi_watchdog/parameters/nowayout is Y/1 */
	bool watchdog_armed;       /* ... and /dev/watchdog* opened by a process via ipmi_watchdog:
				      best effort: any holder of /dev/watchdog* (the fd link's
				      target) while ipmi_watchdog is loaded or built in */
	int nholders;              /* processes holding <root>/dev/ipmi* open */
	pid_t holders[8];          /* the first of them */
	char holder_comm[8][32];   /* their <root>/proc/<pid>/comm */
};

/*
 * bmc_inband_read() - the state now.  Return: 0 or -errno: an unreadable
 * <root>/proc/modules (-EFBIG over 4 MiB; missing is a kernel without
 * modules: none loaded) or modules.builtin (missing is fine), an unlistable <root>/proc, -EINVAL for a release or blacklist path
 * that is not a name / not absolute, -ENAMETOOLONG.
 */
int bmc_inband_read(const struct bmc_inband_host *h, struct bmc_inband_state *st, char *err,
		    size_t errlen);

/*
 * bmc_inband_unload() - remove every loaded in-band IPMI module, in
 * bmc_inband_modules order, with "<modprobe> -r <module>" one at a time,
 * then read <root>/proc/modules back: each must be gone.
 * Refuses with -EBUSY (nothing removed) while a process holds /dev/ipmi*,
 * unless @force.  Built-in modules are left (they cannot be removed) and
 * reported by the caller from the state.
 * @unloaded: receives which modules this call removed (true at their index),
 *            the record wake uses to load them again.
 * Return: 0, -EBUSY, or the -errno / -EIO of the first modprobe that failed
 * (@err names the module and modprobe's exit status); modules removed before
 * the failure stay marked in @unloaded.  A module modprobe "removed" that is
 * still listed: -EBUSY naming it, and it is not marked.  modprobe runs with
 * stdin /dev/null, an environment of PATH and LC_ALL=C only, and is killed
 * after 60 s (-ETIMEDOUT); the caller must not ignore SIGCHLD (waitpid).
 */
int bmc_inband_unload(const struct bmc_inband_host *h, bool force,
		      bool unloaded[BMC_INBAND_NMOD], char *err, size_t errlen);

/*
 * bmc_inband_load() - load again the modules marked in @modules, in the
 * reverse of unload order ("<modprobe> <module>"), then check each is in
 * <root>/proc/modules.  Return: 0 or -errno naming the first failure.
 */
int bmc_inband_load(const struct bmc_inband_host *h, const bool modules[BMC_INBAND_NMOD],
		    char *err, size_t errlen);

/*
 * bmc_inband_blacklist() - install (@on) or remove the blacklist file: a
 * "blacklist <m>" and an "install <m> /bin/false" line per module, with a
 * header comment naming sovereign-bmc; written atomically (tmp, fsync,
 * rename, fsync dir), mode 0644.  Writing over or removing a file that is
 * not ours (no header) is refused with -EEXIST; removing a missing file is 0.
 * The directory (e.g. <root>/etc/modprobe.d) must exist.  Wake must remove
 * the file before bmc_inband_load(): its "install <m> /bin/false" lines make
 * "modprobe <m>" fail.
 * Return: 0 or -errno.
 */
int bmc_inband_blacklist(const struct bmc_inband_host *h, bool on, char *err, size_t errlen);

#endif /* SOVEREIGN_BMC_INBAND_H */
