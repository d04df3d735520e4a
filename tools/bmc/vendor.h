/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vendor.h - what sovereign-bmc knows about each BMC vendor, keyed on the
 * IANA manufacturer ID (and product ID) that Get Device ID returns, never
 * on names.  One table (vendor.c), each OEM command with its source.  A
 * vendor without a known, safe command gets NULL operations and a reason:
 * the standard steps run, and the OEM step says "not supported here" and
 * why.  No raw command is ever guessed.
 */
#ifndef SOVEREIGN_BMC_VENDOR_H
#define SOVEREIGN_BMC_VENDOR_H

#include <stddef.h>
#include <stdint.h>

#include "ipmi.h"

struct bmc_vendor {
	const char *name;       /* config name: "supermicro" */
	const char *label;      /* "Supermicro (ATEN/AMI BMC, X9-X13, H1x)" */
	uint32_t iana;          /* IANA enterprise number; 0: matches any (generic) */
	uint32_t iana_alias;    /* another number the same vendor's BMCs answer with; 0: none */
	/*
	 * Fans.  fan_get() reads the BMC's fan mode into *@mode (a vendor
	 * number, kept in the standby record); fan_safe() sets the safe fixed
	 * speed (full) and fan_set() sets a mode read before.  NULL fan_safe:
	 * no safe command is known for this vendor (fan_why says why); NULL
	 * fan_get: the mode cannot be read back (fan_default is assumed as the
	 * prior mode and the step says it is unverified).
	 * Return: 0, or -errno (bmc_ipmi_strerror() says more); -EOPNOTSUPP
	 * when this BMC refuses the command for good (e.g. 0xD4 on new iDRACs),
	 * with @why filled.
	 */
	int (*fan_get)(struct bmc_ipmi *b, int *mode);
	int (*fan_safe)(struct bmc_ipmi *b, char *why, size_t len);
	int (*fan_set)(struct bmc_ipmi *b, int mode);
	int fan_safe_mode;      /* the mode fan_get() reads after fan_safe() */
	int fan_default;        /* the prior mode assumed when there is no fan_get */
	const char *(*fan_mode_name)(int mode);
	const char *fan_why;    /* why fan_safe is NULL */
	const char *fan_source; /* where the commands come from */
	const char *services_why; /* why no OEM KVM/virtual-media command is sent */
};

/*
 * bmc_vendor_match() - the profile of a BMC that answered Get Device ID
 * with @d: the vendor whose IANA number (or alias) it has, else generic.
 * Return: never NULL.
 */
const struct bmc_vendor *bmc_vendor_match(const struct bmc_ipmi_devid *d);

/* bmc_vendor_by_name() - the profile named @name (bmc.conf vendor =), or NULL. */
const struct bmc_vendor *bmc_vendor_by_name(const char *name);

/* bmc_vendor_names() - "supermicro, dell, ...": the names bmc.conf takes. */
const char *bmc_vendor_names(void);

#endif /* SOVEREIGN_BMC_VENDOR_H */
