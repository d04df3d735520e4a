/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * perf_smi.c - sampler backend counting SMIs on AMD Zen with the core PMU
 * event PMCx02B ls_smi_rx (AMD has no SMI-count MSR; Intel's MSR 0x34 is
 * msr.c's job, so on Intel this backend adds nothing).
 *
 * Config, section [smi_perf] (all optional):
 *   enable = yes|no   handled by the core; default yes
 *   cpu    = N        the CPU whose SMIs are counted; default: the sampler's
 *                     housekeeping CPU.  An SMI stops every CPU, so one CPU
 *                     sees them all.
 *
 * Channel: "smi", label "SMIs", chip "perf/cpuN": SMIs received by CPU N
 * since probe (perf counts from the moment the event is opened), 64 bits,
 * no wrap.  Each event takes one general-purpose core counter
 * (docs/hardware.md §R3), pinned so that it is never multiplexed away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpuinfo.h"
#include "perf_smi.h"
#include "sensor.h"

/* ZENJSON amdzen1..5: "ls_smi_rx", EventCode 0x2B, no umask */
#define AMD_EVENT_LS_SMI_RX    0x2Bu

#define PERF_SMI_CPU_MAX       65535

struct perf_smi {
	int fd;                 /* the perf event, opened by probe */
};

static int perf_smi_sys_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
				   int group_fd, unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

int (*perf_smi_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			   unsigned long flags) = perf_smi_sys_event_open;

/*
 * perf_smi_is_zen() - whether processor @cpu is an AMD Zen (families 17h,
 * 19h, 1Ah) or Hygon 18h, where PMCx02B counts SMIs.
 * Return: 1 yes, 0 no, -errno with ctx->err set.
 */
static int perf_smi_is_zen(struct rt_probe_ctx *ctx, int cpu)
{
	struct cpuinfo ci;
	char why[RT_ERR_LEN];
	int rc = cpuinfo_read(ctx->root, cpu, &ci, ctx->err);

	/* No cpuinfo, or none for @cpu: vendor unknown, skipped with a note. */
	if (rc == -ENODEV || rc == -ENOENT) {
		snprintf(why, sizeof(why), "%s", ctx->err->msg);
		snprintf(ctx->err->msg, sizeof(ctx->err->msg),
			 "smi_perf: skipped: CPU %d's vendor unknown (%s)", cpu, why);
		return -ENODEV;
	}
	if (rc)
		return rc;
	return cpuinfo_vendor(&ci) == CPU_VENDOR_AMD;
}

static int perf_smi_probe(struct rt_probe_ctx *ctx)
{
	struct perf_event_attr attr;
	struct sov_sensor d;
	struct perf_smi *p;
	long long cpu;
	int rc, fd;

	rc = rt_conf_int(ctx->conf, "cpu", 0, PERF_SMI_CPU_MAX, ctx->cpu, &cpu, ctx->err);
	if (rc)
		return rc;
	if (cpu < 0 || cpu > PERF_SMI_CPU_MAX)
		return snprintf(ctx->err->msg, sizeof(ctx->err->msg), "smi_perf: bad cpu %lld",
				cpu), -EINVAL;
	rc = perf_smi_is_zen(ctx, (int)cpu);
	if (rc <= 0)
		return rc; /* not AMD: msr.c counts Intel SMIs with MSR 0x34 */

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_RAW;
	attr.config = AMD_EVENT_LS_SMI_RX;
	attr.inherit = 0;
	/* pinned: never multiplexed (a multiplexed count undercounts); if the
	 * counter is lost to another user, read() returns 0 bytes instead */
	attr.pinned = 1;
	fd = perf_smi_event_open(&attr, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		switch (rc) {
		case -ENOENT:
		case -EOPNOTSUPP:
		case -ENODEV:
		case -EINVAL:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "smi_perf: perf_event_open(raw 0x2B ls_smi_rx, cpu %lld): %s: no core "
				 "PMU for this event (virtual machine?), SMIs cannot be counted",
				 cpu, strerror(-rc));
			return -ENODEV;
		case -EACCES:
		case -EPERM:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "smi_perf: perf_event_open(raw 0x2B ls_smi_rx, cpu %lld): %s: needs "
				 "CAP_PERFMON or kernel.perf_event_paranoid <= 0, SMIs cannot be counted",
				 cpu, strerror(-rc));
			return -ENODEV; /* a missing privilege degrades, it does not stop */
		default:
			snprintf(ctx->err->msg, sizeof(ctx->err->msg),
				 "smi_perf: perf_event_open(raw 0x2B ls_smi_rx, cpu %lld): %s, SMIs "
				 "cannot be counted", cpu, strerror(-rc));
			return rc;
		}
	}
	p = malloc(sizeof(*p));
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;

	memset(&d, 0, sizeof(d));
	d.kind = SOV_KIND_SMI_COUNT;
	d.unit = SOV_UNIT_COUNT;
	d.flags = SOV_SEN_COUNTER;
	snprintf(d.name, sizeof(d.name), "smi");
	snprintf(d.label, sizeof(d.label), "SMIs");
	snprintf(d.chip, sizeof(d.chip), "perf/cpu%lld", cpu);
	snprintf(d.labels, sizeof(d.labels), "cpu=%lld", cpu);
	return rt_chan_add(ctx, &d, p); /* frees p through remove() on failure */
}

static int perf_smi_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	const struct perf_smi *p = ch->priv;
	uint64_t count;
	ssize_t n;

	(void)now_ns;
	n = read(p->fd, &count, sizeof(count));
	if (n < 0)
		return -errno;
	/* perf_event_open(2): a pinned event that lost its counter goes into
	 * an error state where read() returns end-of-file: permanent */
	if (n == 0)
		return -ENODEV;
	if (n != (ssize_t)sizeof(count))
		return -EIO;
	*value = (int64_t)(count & INT64_MAX);
	return 0;
}

static void perf_smi_remove(struct rt_chan *ch)
{
	struct perf_smi *p = ch->priv;

	if (!p)
		return;
	close(p->fd);
	free(p);
	ch->priv = NULL;
}

/* The keys of its section that perf_smi_probe() reads (sensor_ops.keys). */
static const char *const perf_smi_keys[] = { "cpu", NULL };

static const struct sensor_ops perf_smi_ops = {
	.name = "smi_perf",
	.source = SOV_SRC_PERF,
	.min_period_ms = 1,
	.slow = false,
	.default_enabled = true,
	.keys = perf_smi_keys,
	.probe = perf_smi_probe,
	.read = perf_smi_read,
	.remove = perf_smi_remove,
};

SENSOR_REGISTER(perf_smi_ops);
