// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vendor.c - the vendor profiles: IANA numbers and the OEM commands
 * sovereign-bmc sends, each with its source.  Sources are public
 * documents; tools/bmc/README.md lists which were checked against what
 * (none against a real BMC of that vendor yet: the test BMC answers as
 * the documents say).
 *
 * IANA enterprise numbers: the IANA registry (enterprise-numbers, as
 * shipped with ipmitool), and libfreeipmi's
 * ipmi-iana-enterprise-numbers-spec.h: Dell 674, Supermicro 10876 (and
 * 47488, boards with an invalid ID: libfreeipmi's
 * IPMI_IANA_ENTERPRISE_ID_SUPERMICRO_WORKAROUND), Gigabyte 15370,
 * ASRock Rack 49622.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vendor.h"

#define NETFN_OEM_30 0x30

/*
 * Supermicro fan mode, NetFn 0x30 cmd 0x45: [0x00] get -> mode;
 * [0x01, mode] set.  Modes: 0 Standard, 1 Full, 2 Optimal, 3 PUE2 (some
 * boards), 4 Heavy IO.  Sources: Supermicro FAQ 13877 (set Full: raw
 * 0x30 0x45 0x01 0x01); the get form as used by fan-control scripts for
 * X9-X13 boards (tools/bmc/README.md).
 */
static int smc_fan_get(struct bmc_ipmi *b, int *mode)
{
	uint8_t q = 0x00, r[1];
	int n = bmc_ipmi_raw(b, NETFN_OEM_30, 0x45, &q, 1, r, sizeof(r));

	if (n < 0)
		return n;
	if (n < 1)
		return -EPROTO;
	*mode = r[0];
	return 0;
}

static int smc_fan_set(struct bmc_ipmi *b, int mode)
{
	uint8_t q[2] = { 0x01, (uint8_t)mode };
	int n;

	if (mode < 0 || mode > 4)
		return -EINVAL;
	n = bmc_ipmi_raw(b, NETFN_OEM_30, 0x45, q, sizeof(q), NULL, 0);
	return n < 0 ? n : 0;
}

static int smc_fan_safe(struct bmc_ipmi *b, char *why, size_t len)
{
	(void)why;
	(void)len;
	return smc_fan_set(b, 1); /* Full */
}

static const char *smc_mode_name(int mode)
{
	static const char *const names[] = { "standard", "full", "optimal", "pue2", "heavy-io" };

	return mode >= 0 && mode <= 4 ? names[mode] : "unknown";
}

/*
 * Dell iDRAC 7/8/9 before 3.34.34.34: NetFn 0x30 cmd 0x30 [0x01, 0x00]
 * manual fan control on, [0x01, 0x01] back to automatic, [0x02, 0xff,
 * duty%] the duty of every fan.  Undocumented by Dell; sources:
 * ipmitool issue #30 and the projects that use it.  iDRAC9 3.34 and
 * later refuse it with completion code 0xD4 (insufficient privilege:
 * Dell's forum answer quoted in those projects' issues), whatever the
 * account's privilege.  No command reads the mode back.
 */
#define DELL_AUTO 1
#define DELL_MANUAL_FULL 0

static int dell_fan_set(struct bmc_ipmi *b, int mode)
{
	uint8_t q[3] = { 0x01, mode == DELL_AUTO ? 0x01 : 0x00, 0 };
	int n = bmc_ipmi_raw(b, NETFN_OEM_30, 0x30, q, 2, NULL, 0);

	if (n < 0 || mode == DELL_AUTO)
		return n < 0 ? n : 0;
	q[0] = 0x02;
	q[1] = 0xff; /* every fan */
	q[2] = 100;  /* percent */
	n = bmc_ipmi_raw(b, NETFN_OEM_30, 0x30, q, 3, NULL, 0);
	return n < 0 ? n : 0;
}

static int dell_fan_safe(struct bmc_ipmi *b, char *why, size_t len)
{
	int rc = dell_fan_set(b, DELL_MANUAL_FULL);

	if (rc == -EREMOTEIO && bmc_ipmi_cc(b) == 0xd4) {
		snprintf(why, len,
			 "this iDRAC refuses manual fan control (completion code 0xD4, as iDRAC9 "
			 "3.34 and later do): the BMC keeps its own fan control");
		return -EOPNOTSUPP;
	}
	return rc;
}

static const char *dell_mode_name(int mode)
{
	return mode == DELL_AUTO ? "automatic" : mode == DELL_MANUAL_FULL ? "manual 100%" : "unknown";
}

static const char smc_source[] =
	"Supermicro FAQ 13877 (raw 0x30 0x45 0x01 0x01: fan mode Full); get 0x30 0x45 0x00";
static const char dell_source[] =
	"ipmitool issue #30: raw 0x30 0x30 0x01 0x00 manual, 0x30 0x30 0x02 0xff 0x64 100%, "
	"0x30 0x30 0x01 0x01 automatic; refused (0xD4) by iDRAC9 >= 3.34";
static const char no_ami_services[] =
	"no AMI MegaRAC service-configuration layout is verified for this BMC; KVM and virtual "
	"media are switched through Redfish only";

static const struct bmc_vendor vendors[] = {
	{
		.name = "supermicro",
		.label = "Supermicro",
		.iana = 10876,
		.iana_alias = 47488,
		.fan_get = smc_fan_get,
		.fan_safe = smc_fan_safe,
		.fan_set = smc_fan_set,
		.fan_safe_mode = 1,
		.fan_mode_name = smc_mode_name,
		.fan_source = smc_source,
		.services_why = no_ami_services,
	},
	{
		.name = "dell",
		.label = "Dell iDRAC",
		.iana = 674,
		.fan_safe = dell_fan_safe,
		.fan_set = dell_fan_set,
		.fan_safe_mode = DELL_MANUAL_FULL,
		.fan_default = DELL_AUTO,
		.fan_mode_name = dell_mode_name,
		.fan_source = dell_source,
		.services_why = "iDRAC has no IPMI command for this: Redfish only",
	},
	{
		.name = "asrockrack",
		.label = "ASRock Rack",
		.iana = 49622,
		.fan_why = "ASRock Rack fan commands (0x3a 0xd6/0xd8 families) differ per board and "
			   "chipset and none is verified for this product: none is sent, the BMC "
			   "keeps its own fan control",
		.services_why = no_ami_services,
	},
	{
		.name = "gigabyte",
		.label = "Gigabyte",
		.iana = 15370,
		.fan_why = "Gigabyte fan commands differ between AST2500 and GSM firmware and none "
			   "is verified for this product: none is sent, the BMC keeps its own fan "
			   "control",
		.services_why = no_ami_services,
	},
	{
		.name = "generic",
		.label = "generic IPMI 2.0",
		.iana = 0,
		.fan_why = "IPMI has no standard command to fix fan speed and this BMC's "
			   "manufacturer has no profile: the BMC keeps its own fan control",
		.services_why = "no OEM command is known for this BMC: Redfish only",
	},
};

#define NVENDORS (sizeof(vendors) / sizeof(vendors[0]))

const struct bmc_vendor *bmc_vendor_match(const struct bmc_ipmi_devid *d)
{
	size_t i;

	for (i = 0; i + 1 < NVENDORS; i++)
		if (d->manufacturer_id == vendors[i].iana ||
		    (vendors[i].iana_alias && d->manufacturer_id == vendors[i].iana_alias))
			return &vendors[i];
	return &vendors[NVENDORS - 1];
}

const struct bmc_vendor *bmc_vendor_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NVENDORS; i++)
		if (!strcmp(name, vendors[i].name))
			return &vendors[i];
	return NULL;
}

const char *bmc_vendor_names(void)
{
	return "supermicro, dell, asrockrack, gigabyte, generic";
}
