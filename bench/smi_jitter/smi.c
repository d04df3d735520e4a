/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smi.c - SMI counters: Intel MSR 0x34, AMD perf raw event 0x2B (see smi.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpuinfo.h"
#include "smi.h"

#define MSR_SMI_COUNT 0x34              /* Intel, per CPU, bits 31:0 */
#define AMD_EVENT_LS_SMI_RX 0x2B        /* AMD core PMC "SMIs received" */

static int open_msr(struct smi_src *s, const char *root, int cpu)
{
	char path[4096];
	uint64_t v;

	snprintf(path, sizeof(path), "%s/dev/cpu/%d/msr", root ? root : "", cpu);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		int ret = -errno;

		snprintf(s->what, sizeof(s->what), "unavailable: %s: %s%s", path, strerror(-ret),
			 root || ret != -ENOENT ? "" : " (modprobe msr; needs root)");
		return ret;
	}
	if (pread(s->fd, &v, sizeof(v), MSR_SMI_COUNT) != (ssize_t)sizeof(v)) {
		snprintf(s->what, sizeof(s->what), "unavailable: %s: MSR 0x34 unreadable", path);
		close(s->fd);
		s->fd = -1;
		return -EIO;
	}
	s->kind = SMI_MSR;
	snprintf(s->what, sizeof(s->what), "MSR 0x34 via %s", path);
	return 0;
}

static int open_perf(struct smi_src *s, int cpu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_RAW;
	attr.config = AMD_EVENT_LS_SMI_RX;
	s->fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (s->fd < 0) {
		int ret = -errno;

		snprintf(s->what, sizeof(s->what),
			 "unavailable: perf raw event 0x2B (ls_smi_rx) on cpu %d: %s%s", cpu,
			 strerror(-ret),
			 ret == -ENOENT || ret == -EOPNOTSUPP ? " (no core PMU: a VM?)" : "");
		return ret;
	}
	s->kind = SMI_PERF;
	snprintf(s->what, sizeof(s->what), "AMD perf raw event 0x2B (ls_smi_rx) on cpu %d", cpu);
	return 0;
}

int smi_open(struct smi_src *s, const char *root, int cpu)
{
	struct cpuinfo ci;
	struct rt_err err;
	int ret;

	s->kind = SMI_NONE;
	s->fd = -1;
	ret = cpuinfo_read(root ? root : "/", cpu, &ci, &err);
	if (ret < 0) {
		snprintf(s->what, sizeof(s->what), "unavailable: cpuinfo: %s", err.msg);
		return ret;
	}
	switch (cpuinfo_vendor(&ci)) {
	case CPU_VENDOR_INTEL:
		return open_msr(s, root, cpu);
	case CPU_VENDOR_AMD:
		if (root) {
			snprintf(s->what, sizeof(s->what),
				 "unavailable: the simulated AMD server has no SMI counter "
				 "(use --vendor intel)");
			return -ENODEV;
		}
		return open_perf(s, cpu);
	default:
		snprintf(s->what, sizeof(s->what), "unavailable: vendor '%s' has no known SMI "
			 "counter", ci.vendor);
		return -ENODEV;
	}
}

int smi_read(struct smi_src *s, uint64_t *count)
{
	uint64_t v;
	ssize_t n;

	if (s->kind == SMI_NONE)
		return -ENODEV;
	if (s->kind == SMI_MSR)
		n = pread(s->fd, &v, sizeof(v), MSR_SMI_COUNT);
	else
		n = read(s->fd, &v, sizeof(v));
	if (n != (ssize_t)sizeof(v))
		return n < 0 ? -errno : -EIO;
	*count = s->kind == SMI_MSR ? (v & 0xFFFFFFFFu) : v;
	return 0;
}

uint64_t smi_delta(const struct smi_src *s, uint64_t a, uint64_t b)
{
	if (s->kind == SMI_MSR)
		return (b - a) & 0xFFFFFFFFu;
	return b - a;
}

void smi_close(struct smi_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->kind = SMI_NONE;
}
