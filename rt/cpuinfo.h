/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpuinfo.h - one processor's vendor, family, model and package from
 * <root>/proc/cpuinfo; used by the msr and smi_perf backends to pick the
 * registers of the CPU they run on (fixtures can be Intel or AMD).
 */
#ifndef SOVEREIGN_RT_CPUINFO_H
#define SOVEREIGN_RT_CPUINFO_H

#include "config.h"

enum cpu_vendor {
	CPU_VENDOR_OTHER,
	CPU_VENDOR_INTEL,
	CPU_VENDOR_AMD,   /* AMD Zen (families 17h, 19h, 1Ah) or Hygon 18h: same MSRs */
};

/* One processor entry of /proc/cpuinfo. */
struct cpuinfo {
	char vendor[32];        /* vendor_id */
	int family;             /* cpu family, decimal in cpuinfo */
	int model;
	int pkg;                /* physical id; 0 when absent (some VMs) */
};

/*
 * cpuinfo_read() - the processor entry for @cpu in @root/proc/cpuinfo.
 * Context: process context (probe).  Return: 0, -ENOENT (no such entry),
 * -EINVAL (a malformed number; @err names the line) or -errno.
 */
int cpuinfo_read(const char *root, int cpu, struct cpuinfo *ci, struct rt_err *err);

/* cpuinfo_vendor() - the vendor family whose registers @ci's CPU has. */
enum cpu_vendor cpuinfo_vendor(const struct cpuinfo *ci);

#endif /* SOVEREIGN_RT_CPUINFO_H */
