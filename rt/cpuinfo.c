/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cpuinfo.c - reads one processor's identity from <root>/proc/cpuinfo (see cpuinfo.h). */
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

int cpuinfo_read(const char *root, int cpu, struct cpuinfo *ci, struct rt_err *err)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	bool in = false, found = false;
	int rc = 0, lineno = 0;
	FILE *f;

	rc = rt_path(path, sizeof(path), root, "/proc/cpuinfo");
	if (rc)
		return snprintf(err->msg, sizeof(err->msg), "cpuinfo path too long"), rc;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-rc));
		return rc;
	}
	memset(ci, 0, sizeof(*ci));
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *key_end, *val;
		int v, *dst;

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
				break; /* the entry for @cpu ended */
			in = cpuinfo_parse_int(val, &v) == 0 && v == cpu;
			found |= in;
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(line, "vendor_id")) {
			snprintf(ci->vendor, sizeof(ci->vendor), "%.*s", (int)strcspn(val, "\n"), val);
			continue;
		}
		dst = !strcmp(line, "cpu family")  ? &ci->family :
		      !strcmp(line, "model")       ? &ci->model :
		      !strcmp(line, "physical id") ? &ci->pkg : NULL;
		if (dst && cpuinfo_parse_int(val, dst)) {
			snprintf(err->msg, sizeof(err->msg), "%s:%d: %s: not a number",
				 path, lineno, line);
			rc = -EINVAL;
			break;
		}
	}
	free(line);
	fclose(f);
	if (!rc && !found) {
		snprintf(err->msg, sizeof(err->msg), "%s: no processor %d", path, cpu);
		rc = -ENOENT;
	}
	return rc;
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
