/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_backend.c - deterministic test backends: "fake" (read in the loop)
 * and "fake_slow" (read by the worker thread, as I2C is).  Each regular
 * file in <root><dir> is a channel whose value is the integer in it, read
 * with pread on a descriptor held from probe, like hwmon.  The file name's
 * prefix gives the kind: temp_, fan_, energy_, smi_, volt_.  "error N"
 * fails the read with -N; "sleep MS V" stalls it MS ms, then gives V;
 * "block V" waits at the test's gate while it is closed (fake_backend.h),
 * then gives V.  A file NAME.crit_hi (no channel of its own: names with a
 * dot are not channels) holds the limit NAME's probe reports, as a chip's
 * limit register would.
 *   [fake]       dir = /fake            (default), enable = yes
 *   [fake_slow]  dir = /fake_slow       (default), enable = yes
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_backend.h"
#include "sensor.h"

struct fake_chan {
	int fd;
};

static int probes, removes;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_closed;
static int gate_waiting;

int fake_probe_calls(void)
{
	return __atomic_load_n(&probes, __ATOMIC_SEQ_CST);
}

int fake_remove_calls(void)
{
	return __atomic_load_n(&removes, __ATOMIC_SEQ_CST);
}

void fake_gate_close(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = true;
	pthread_mutex_unlock(&gate_lock);
}

void fake_gate_open(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_closed = false;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

int fake_gate_waiting(void)
{
	int n;

	pthread_mutex_lock(&gate_lock);
	n = gate_waiting;
	pthread_mutex_unlock(&gate_lock);
	return n;
}

static int fake_read(struct rt_chan *ch, uint64_t now_ns, int64_t *value)
{
	struct fake_chan *f = ch->priv;
	char buf[32], *end;
	ssize_t n;
	long long v;

	(void)now_ns;
	n = pread(f->fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* "error N" in the file makes the read fail with -N. */
	if (!strncmp(buf, "error ", 6))
		return -atoi(buf + 6);
	/* "sleep MS V": a read stuck for MS ms (a hung bus), then V. */
	if (!strncmp(buf, "sleep ", 6)) {
		long ms = strtol(buf + 6, &end, 10);

		nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L },
			  NULL);
		memmove(buf, end, strlen(end) + 1);
	}
	/* "block V": a read hung until the test opens the gate. */
	if (!strncmp(buf, "block ", 6)) {
		pthread_mutex_lock(&gate_lock);
		gate_waiting++;
		while (gate_closed)
			pthread_cond_wait(&gate_cond, &gate_lock);
		gate_waiting--;
		pthread_mutex_unlock(&gate_lock);
		memmove(buf, buf + 6, strlen(buf + 6) + 1);
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EIO;
	*value = v;
	return 0;
}

static void fake_remove(struct rt_chan *ch)
{
	struct fake_chan *f = ch->priv;

	__atomic_add_fetch(&removes, 1, __ATOMIC_SEQ_CST);
	if (f && f->fd >= 0)
		close(f->fd);
	free(f);
}

/* The probe-time limit in @path (NAME.crit_hi), if there is one. */
static void fake_probe_limit(const char *path, struct sov_sensor *d)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	d->crit_hi = strtoll(buf, NULL, 10);
	d->flags |= SOV_SEN_CRIT_HI;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int fake_probe_dir(struct rt_probe_ctx *ctx, const char *defdir)
{
	const char *dir = rt_conf_get(ctx->conf, "dir");
	struct dirent **ents;
	char path[512];
	int i, n, rc = 0;

	if (rt_path(path, sizeof(path), ctx->root, dir ? dir : defdir))
		return -ENAMETOOLONG;
	n = scandir(path, &ents, NULL, name_cmp);
	if (n < 0)
		return -ENODEV;
	for (i = 0; i < n; i++) {
		struct sov_sensor d;
		struct fake_chan *f;
		char fp[1024];
		const char *nm = ents[i]->d_name;

		if (nm[0] == '.' || strchr(nm, '.') || rc)
			goto next;
		memset(&d, 0, sizeof(d));
		if (!strncmp(nm, "temp_", 5)) {
			d.kind = SOV_KIND_TEMP;
			d.unit = SOV_UNIT_MILLICELSIUS;
		} else if (!strncmp(nm, "fan_", 4)) {
			d.kind = SOV_KIND_FAN_RPM;
			d.unit = SOV_UNIT_RPM;
		} else if (!strncmp(nm, "energy_", 7)) {
			d.kind = SOV_KIND_ENERGY;
			d.unit = SOV_UNIT_MICROJOULE;
			d.flags = SOV_SEN_COUNTER;
		} else if (!strncmp(nm, "smi_", 4)) {
			d.kind = SOV_KIND_SMI_COUNT;
			d.unit = SOV_UNIT_COUNT;
			d.flags = SOV_SEN_COUNTER;
		} else {
			d.kind = SOV_KIND_VOLTAGE;
			d.unit = SOV_UNIT_MILLIVOLT;
		}
		snprintf(d.chip, sizeof(d.chip), "%s/test", rt_probe_current_ops->name);
		snprintf(d.name, sizeof(d.name), "%s", nm);
		snprintf(d.label, sizeof(d.label), "%s", nm);
		snprintf(fp, sizeof(fp), "%s/%s.crit_hi", path, nm);
		fake_probe_limit(fp, &d);
		snprintf(fp, sizeof(fp), "%s/%s", path, nm);
		f = calloc(1, sizeof(*f));
		if (!f) {
			rc = -ENOMEM;
			goto next;
		}
		f->fd = open(fp, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			rc = -errno;
			free(f);
			goto next;
		}
		rc = rt_chan_add(ctx, &d, f);
next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int fake_probe(struct rt_probe_ctx *ctx)
{
	__atomic_add_fetch(&probes, 1, __ATOMIC_SEQ_CST);
	return fake_probe_dir(ctx, "/fake");
}

static int fake_slow_probe(struct rt_probe_ctx *ctx)
{
	__atomic_add_fetch(&probes, 1, __ATOMIC_SEQ_CST);
	return fake_probe_dir(ctx, "/fake_slow");
}

static const char *const fake_keys[] = { "dir", NULL };

static const struct sensor_ops fake_ops = {
	.name = "fake",
	.source = SOV_SRC_SIM,
	.min_period_ms = 1,
	.keys = fake_keys,
	.probe = fake_probe,
	.read = fake_read,
	.remove = fake_remove,
};
SENSOR_REGISTER(fake_ops);

static const struct sensor_ops fake_slow_ops = {
	.name = "fake_slow",
	.source = SOV_SRC_SIM,
	.min_period_ms = 1,
	.slow = true,
	.keys = fake_keys,
	.probe = fake_slow_probe,
	.read = fake_read,
	.remove = fake_remove,
};
SENSOR_REGISTER(fake_slow_ops);
