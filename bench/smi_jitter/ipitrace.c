/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipitrace.c - IPI attribution by tracefs events ipi_send_cpu and
 * ipi_send_cpumask (Linux >= 6.3), in a private instance so that other
 * tracing users are not disturbed (see ipitrace.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipitrace.h"

#define TRACEFS "/sys/kernel/tracing"
#define BUFFER_KB "16384"       /* per CPU; a 5 s run on a noisy VM needs a few MB */

const char *const ipi_sender_name[IPI_NSENDERS] = { "sampler", "exporter", "smi_jitter",
						     "irq", "other" };

static int put(const struct ipitrace *t, const char *file, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", t->dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int ipitrace_open(struct ipitrace *t)
{
	static const char *const files[] = { "buffer_size_kb", "options/record-tgid",
					     "events/ipi/ipi_send_cpu/enable",
					     "events/ipi/ipi_send_cpumask/enable" };
	static const char *const vals[] = { BUFFER_KB, "1", "1", "1" };
	int ret;

	memset(t, 0, sizeof(*t));
	if (access(TRACEFS "/instances", F_OK) != 0) {
		if (mount("nodev", TRACEFS, "tracefs", 0, NULL) < 0) {
			ret = -errno;
			snprintf(t->what, sizeof(t->what), "unavailable: tracefs not mounted and "
				 "mount failed: %s", strerror(-ret));
			return ret;
		}
		t->mounted = true;
	}
	if (access(TRACEFS "/events/ipi/ipi_send_cpu", F_OK) != 0 ||
	    access(TRACEFS "/events/ipi/ipi_send_cpumask", F_OK) != 0) {
		snprintf(t->what, sizeof(t->what), "unavailable: no events/ipi/ipi_send_cpu(mask) "
			 "(kernel older than 6.3?)");
		ret = -ENOENT;
		goto err_umount;
	}
	snprintf(t->dir, sizeof(t->dir), TRACEFS "/instances/smi_jitter-%d", (int)getpid());
	if (mkdir(t->dir, 0700) < 0) {
		ret = -errno;
		snprintf(t->what, sizeof(t->what), "unavailable: mkdir %s: %s", t->dir,
			 strerror(-ret));
		goto err_umount;
	}
	ret = put(t, "tracing_on", "0");
	for (size_t i = 0; ret == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
		ret = put(t, files[i], vals[i]);
		if (ret < 0)
			snprintf(t->what, sizeof(t->what), "unavailable: %s/%s: %s", t->dir,
				 files[i], strerror(-ret));
	}
	if (ret < 0)
		goto err_rmdir;
	t->on = true;
	snprintf(t->what, sizeof(t->what), "tracefs %s (ipi_send_cpu, ipi_send_cpumask)", t->dir);
	return 0;

err_rmdir:
	rmdir(t->dir);
err_umount:
	if (t->mounted)
		umount(TRACEFS);
	t->mounted = false;
	return ret;
}

int ipitrace_begin(struct ipitrace *t)
{
	int ret;

	if (!t->on)
		return -ENODEV;
	ret = put(t, "trace", "");      /* O_TRUNC on trace clears the buffer */
	return ret ? ret : put(t, "tracing_on", "1");
}

/* Whether @cpu is in a cpulist such as "0-3,8,10-11". */
static bool in_list(const char *s, int cpu)
{
	while (*s >= '0' && *s <= '9') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (cpu >= a && cpu <= b)
			return true;
		if (*end != ',')
			break;
		s = end + 1;
	}
	return false;
}

static uint64_t overruns(const struct ipitrace *t)
{
	char path[512], line[128];
	uint64_t sum = 0;

	for (int c = 0; c < IPITRACE_MAX_CPUS; c++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/stats", t->dir, c);
		f = fopen(path, "re");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "overrun: ", 9))
				sum += strtoull(line + 9, NULL, 10);
		fclose(f);
	}
	return sum;
}

int ipitrace_end(struct ipitrace *t, const int *cpus, int n, pid_t sampler, pid_t exporter,
		 pid_t self, struct ipi_counts *out)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret;

	memset(out, 0, (size_t)n * sizeof(*out));
	if (!t->on)
		return -ENODEV;
	ret = put(t, "tracing_on", "0");
	if (ret)
		return ret;
	t->lost = overruns(t);
	snprintf(path, sizeof(path), "%s/trace", t->dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "  comm-tid  (  tgid) [cpu] flags ts: ipi_send_cpu: cpu=1 ... callback=X" */
	while (getline(&line, &cap, f) >= 0) {
		char *p, *cb;
		bool mask, res, irq = false;
		long tgid = 0;
		int who;

		if (line[0] == '#')
			continue;
		p = strstr(line, ": ipi_send_cpu");
		if (!p)
			continue;
		mask = !strncmp(p, ": ipi_send_cpumask: cpumask=", 28);
		if (!mask && strncmp(p, ": ipi_send_cpu: cpu=", 20))
			continue;
		{
			char *open = strstr(line, "(");

			char *flags = strstr(line, "] ");

			if (open && open < p)
				tgid = strtol(open + 1, NULL, 10);      /* "-------": 0 */
			/*
			 * Flags "d.h1.": the third is the context (h hardirq, s
			 * softirq, H both, z NMI).  There "current" is whoever
			 * was interrupted, not the cause.
			 */
			if (flags && flags < p && flags[2] && flags[3] && flags[4])
				irq = strchr("hsHz", flags[4]) != NULL;
		}
		/* callback=0x0: a reschedule IPI; a function otherwise (CAL). */
		cb = strstr(p, "callback=");
		res = cb && !strncmp(cb + 9, "0x0", 3) && (cb[12] == '\n' || cb[12] == ' ' ||
							  cb[12] == '\0');
		who = irq ? IPI_IRQ : tgid && tgid == sampler ? IPI_SAMPLER : tgid && tgid == exporter
			? IPI_EXPORTER : tgid && tgid == self ? IPI_SELF : IPI_OTHER;
		for (int i = 0; i < n; i++) {
			bool hit = mask ? in_list(p + 28, cpus[i]) : atoi(p + 20) == cpus[i];

			if (hit)
				(res ? out[i].res : out[i].cal)[who]++;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

void ipitrace_close(struct ipitrace *t)
{
	if (t->on) {
		put(t, "tracing_on", "0");
		put(t, "events/ipi/ipi_send_cpu/enable", "0");
		put(t, "events/ipi/ipi_send_cpumask/enable", "0");
		rmdir(t->dir);
		t->on = false;
	}
	if (t->mounted)
		umount(TRACEFS);
	t->mounted = false;
}
