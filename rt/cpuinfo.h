/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpuinfo.h - processors' vendor, family, model, package and core from
 * <root>/proc/cpuinfo; used by the msr and smi_perf backends to pick the
 * registers of the CPU they run on (fixtures can be Intel or AMD), and by
 * hwmon to tell which CPU a coretemp channel interrupts.  Also the "cpus"
 * key of a backend section: the other CPUs it may read (docs/realtime.md,
 * "Touch no other core").
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
	int cpu;                /* processor */
	int core;               /* core id; -1 when absent */
};

#define CPUINFO_CPU_MAX   65535 /* largest CPU number accepted in "cpus" */
#define CPUINFO_CPUS_MAX  64    /* entries of a "cpus" list */

/*
 * cpuinfo_read() - the processor entry for @cpu in @root/proc/cpuinfo.
 * Context: process context (probe).  Return: 0, -ENODEV (no cpuinfo file:
 * the interface is absent; a backend skips itself with @err as its note),
 * -ENOENT (no such entry), -EINVAL (a malformed number; @err names the
 * line) or -errno, with @err set.
 */
int cpuinfo_read(const char *root, int cpu, struct cpuinfo *ci, struct rt_err *err);

/*
 * cpuinfo_first_cpu() - the lowest-numbered processor of package @pkg
 * ("physical id") with core id @core, or of any core of @pkg when @core < 0.
 * That is the CPU coretemp reads a core's (or the package's) sensor on: the
 * first of its CPUs to come online (drivers/hwmon/coretemp.c).
 * Context: process context (probe).  Return: the CPU (>= 0), or -ENODEV,
 * -ENOENT (no such processor), -EINVAL, -errno as cpuinfo_read().
 */
int cpuinfo_first_cpu(const char *root, int pkg, int core, struct rt_err *err);

/*
 * cpuinfo_conf_cpus() - the "cpus" key of backend section @s: CPUs other
 * than the housekeeping one that the backend may read although every read
 * interrupts them (msr, hwmon coretemp); duplicates dropped, at most @max
 * (<= CPUINFO_CPUS_MAX) into @cpus.  The channels of such a CPU carry
 * "cpu=N" in their labels, and the sampler says so once per CPU.
 * Context: process context (probe).  Return: the count (0: key absent), or
 * -EINVAL / -E2BIG with @err naming file, line and key.
 */
int cpuinfo_conf_cpus(const struct rt_conf_section *s, int *cpus, int max, struct rt_err *err);

/* cpuinfo_vendor() - the vendor family whose registers @ci's CPU has. */
enum cpu_vendor cpuinfo_vendor(const struct cpuinfo *ci);

#endif /* SOVEREIGN_RT_CPUINFO_H */
