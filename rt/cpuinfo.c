/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpuinfo.c - processors' identity and topology from <root>/proc/cpuinfo, and
 * the "cpus" key by which a backend may read other CPUs (see cpuinfo.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuinfo.h"
#include "sensor.h"

static int cpuinfo_parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || end == s || *end || v < 0 || v > 0xFFFF)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/*
 * cpuinfo_scan() - call @fn for each processor entry of @root/proc/cpuinfo,
 * in file order, until it returns non-zero.  Return: 0, @fn's non-zero
 * value, -ENODEV (no such file: the interface is absent, as in a fixture
 * tree without proc/), -EINVAL (a malformed number; @err names the line)
 * or -errno, with @err set.
 */
static int cpuinfo_scan(const char *root, int (*fn)(const struct cpuinfo *ci, void *arg),
			void *arg, struct rt_err *err)
{
	char path[4096], *line = NULL;
	struct cpuinfo ci;
	size_t cap = 0;
	bool in = false;
	int rc = 0, lineno = 0;
	FILE *f;

	rc = rt_path(path, sizeof(path), root, "/proc/cpuinfo");
	if (rc)
		return snprintf(err->msg, sizeof(err->msg), "cpuinfo path too long"), rc;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc == -ENOENT ? -ENODEV : rc;
	}
	memset(&ci, 0, sizeof(ci));
	while (!rc && getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *key_end, *val;
		int *dst;

		lineno++;
		if (!colon)
			continue;
		for (key_end = colon; key_end > line && (key_end[-1] == ' ' || key_end[-1] == '\t');)
			key_end--;
		*key_end = '\0';
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		if (!strcmp(line, "processor")) {
			if (in)
				rc = fn(&ci, arg); /* the previous entry ended */
			memset(&ci, 0, sizeof(ci));
			ci.core = -1;
			in = !rc && cpuinfo_parse_int(val, &ci.cpu) == 0;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(line, "vendor_id")) {
			snprintf(ci.vendor, sizeof(ci.vendor), "%.*s", (int)strcspn(val, "\n"), val);
			continue;
		}
		dst = !strcmp(line, "cpu family")  ? &ci.family :
		      !strcmp(line, "model")       ? &ci.model :
		      !strcmp(line, "physical id") ? &ci.pkg :
		      !strcmp(line, "core id")     ? &ci.core : NULL;
		if (dst && cpuinfo_parse_int(val, dst)) {
			snprintf(err->msg, sizeof(err->msg), "%s:%d: %s: not a number",
				 path, lineno, line);
			rc = -EINVAL;
		}
	}
	if (!rc && in)
		rc = fn(&ci, arg);
	free(line);
	fclose(f);
	return rc;
}

struct cpuinfo_want {
	int cpu;                 /* cpuinfo_read(): the processor wanted */
	int pkg, core;           /* cpuinfo_first_cpu(): its package and core */
	struct cpuinfo *out;
	int found;               /* processor number, or -1 */
};

static int cpuinfo_match_cpu(const struct cpuinfo *ci, void *arg)
{
	struct cpuinfo_want *w = arg;

	if (ci->cpu != w->cpu)
		return 0;
	*w->out = *ci;
	w->found = ci->cpu;
	return 1;
}

int cpuinfo_read(const char *root, int cpu, struct cpuinfo *ci, struct rt_err *err)
{
	struct cpuinfo_want w = { .cpu = cpu, .out = ci, .found = -1 };
	int rc = cpuinfo_scan(root, cpuinfo_match_cpu, &w, err);

	if (rc < 0)
		return rc;
	if (w.found < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s/proc/cpuinfo: no processor %d", root, cpu);
		return -ENOENT;
	}
	return 0;
}

static int cpuinfo_match_core(const struct cpuinfo *ci, void *arg)
{
	struct cpuinfo_want *w = arg;

	if (ci->pkg == w->pkg && (w->core < 0 || ci->core == w->core) &&
	    (w->found < 0 || ci->cpu < w->found))
		w->found = ci->cpu;
	return 0;
}

int cpuinfo_first_cpu(const char *root, int pkg, int core, struct rt_err *err)
{
	struct cpuinfo_want w = { .pkg = pkg, .core = core, .found = -1 };
	int rc = cpuinfo_scan(root, cpuinfo_match_core, &w, err);

	if (rc < 0)
		return rc;
	if (w.found < 0) {
		if (core < 0)
			snprintf(err->msg, sizeof(err->msg), "%s/proc/cpuinfo: no processor in package %d",
				 root, pkg);
		else
			snprintf(err->msg, sizeof(err->msg),
				 "%s/proc/cpuinfo: no processor with core id %d in package %d", root,
				 core, pkg);
		return -ENOENT;
	}
	return w.found;
}

int cpuinfo_conf_cpus(const struct rt_conf_section *s, int *cpus, int max, struct rt_err *err)
{
	char items[CPUINFO_CPUS_MAX][64];
	int n, i, j, ncpus = 0;

	if (max > CPUINFO_CPUS_MAX)
		max = CPUINFO_CPUS_MAX;
	n = rt_conf_list(s, "cpus", items, max, err);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		char *end;
		long v;

		errno = 0;
		v = strtol(items[i], &end, 10);
		if (errno || end == items[i] || *end || v < 0 || v > CPUINFO_CPU_MAX)
			return rt_conf_errorf(err, s, "cpus", "'%s' is not a CPU number in [0, %d]",
					      items[i], CPUINFO_CPU_MAX);
		for (j = 0; j < ncpus && cpus[j] != (int)v; j++)
			;
		if (j == ncpus)
			cpus[ncpus++] = (int)v;
	}
	return ncpus;
}

enum cpu_vendor cpuinfo_vendor(const struct cpuinfo *ci)
{
	if (!strcmp(ci->vendor, "GenuineIntel"))
		return CPU_VENDOR_INTEL;
	/* RAPLCOM: AMD families 17h/19h/1Ah, Hygon 18h share the AMD MSRs */
	if (!strcmp(ci->vendor, "AuthenticAMD") &&
	    (ci->family == 0x17 || ci->family == 0x19 || ci->family == 0x1A))
		return CPU_VENDOR_AMD;
	if (!strcmp(ci->vendor, "HygonGenuine") && ci->family == 0x18)
		return CPU_VENDOR_AMD;
	return CPU_VENDOR_OTHER;
}
