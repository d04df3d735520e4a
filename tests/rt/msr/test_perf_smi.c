/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_perf_smi.c - Criterion tests of the smi_perf backend (rt/perf_smi.c):
 * perf_event_open() replaced by a pipe carrying canned 64-bit counts, so the
 * backend's read() runs for real; AMD and Intel cpuinfo fixtures.
 */
#include <linux/perf_event.h>

#include "fixture.h"
#include "perf_smi.h"

/* What the fake perf_event_open() saw, and what it answers. */
static struct {
	int calls;
	struct perf_event_attr attr;
	pid_t pid;
	int cpu, group_fd;
	unsigned long flags;
	int fail_errno;         /* 0: succeed */
	int pipe[2];            /* [0] goes to the backend, [1] stays here */
} fake;

static int fake_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		     unsigned long flags)
{
	fake.calls++;
	fake.attr = *attr;
	fake.pid = pid;
	fake.cpu = cpu;
	fake.group_fd = group_fd;
	fake.flags = flags;
	if (fake.fail_errno) {
		errno = fake.fail_errno;
		return -1;
	}
	cr_assert_eq(pipe2(fake.pipe, O_NONBLOCK | O_CLOEXEC), 0);
	return fake.pipe[0];
}

static void fake_count(uint64_t count)
{
	cr_assert_eq(write(fake.pipe[1], &count, sizeof(count)), (ssize_t)sizeof(count));
}

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.pipe[0] = fake.pipe[1] = -1;
	perf_smi_event_open = fake_open;
}

TestSuite(smi_perf, .init = setup, .fini = fx_cleanup);

Test(smi_perf, amd_canned_count_is_read)
{
	struct fx fx;
	struct probed p;
	struct rt_chan *c;
	int64_t v = 4242;

	fx_init(&fx);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x19, 0x11, 2, NULL);
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(fake.calls, 1);
	cr_assert_eq(fake.attr.type, PERF_TYPE_RAW);
	cr_assert_eq(fake.attr.config, 0x2B, "PMCx02B ls_smi_rx");
	cr_assert_eq(fake.attr.size, sizeof(struct perf_event_attr));
	cr_assert_eq(fake.attr.inherit, 0);
	cr_assert_eq(fake.attr.disabled, 0, "counting from the start");
	cr_assert_eq(fake.pid, -1, "system-wide on one cpu");
	cr_assert_eq(fake.cpu, 0);
	cr_assert_eq(fake.group_fd, -1);

	cr_assert_eq(p.list.n, 1);
	c = chan(&p, "perf/cpu0", "smi");
	cr_assert_not_null(c);
	cr_assert_eq(c->desc.kind, SOV_KIND_SMI_COUNT);
	cr_assert_eq(c->desc.unit, SOV_UNIT_COUNT);
	cr_assert_eq(c->desc.source, SOV_SRC_PERF);
	cr_assert(c->desc.flags & SOV_SEN_COUNTER);
	cr_assert_str_eq(c->desc.label, "SMIs");

	fake_count(12345);
	cr_assert_eq(rd(c), 12345);
	fake_count(UINT64_C(0x100000005)); /* 64-bit: no 32-bit truncation */
	cr_assert_eq(rd(c), INT64_C(0x100000005));

	/* nothing to read: transient, and no value */
	cr_assert_eq(c->ops->read(c, 0, &v), -EAGAIN);
	cr_assert_eq(v, 4242);

	/* end-of-file, as a pinned event that lost its counter reads: permanent */
	close(fake.pipe[1]);
	cr_assert_eq(c->ops->read(c, 0, &v), -ENODEV);
	cr_assert_eq(v, 4242);

	probed_free(&p);
	cr_assert_eq(fcntl(fake.pipe[0], F_GETFD), -1, "remove() closed the event fd");
	fx_rm(&fx);
}

Test(smi_perf, cpu_key_and_housekeeping_cpu)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x19, 0xA0, 4, NULL);
	cr_assert_eq(probe(&fx, "smi_perf", 2, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(fake.cpu, 2);
	cr_assert_not_null(chan(&p, "perf/cpu2", "smi"));
	probed_free(&p);

	cr_assert_eq(probe(&fx, "smi_perf", 2, "[smi_perf]\ncpu = 3\n", &p), 0, "%s", p.err.msg);
	cr_assert_eq(fake.cpu, 3);
	cr_assert_not_null(chan(&p, "perf/cpu3", "smi"));
	cr_assert_str_eq(chan(&p, "perf/cpu3", "smi")->desc.labels, "cpu=3");
	probed_free(&p);

	cr_assert_eq(probe(&fx, "smi_perf", 0, "[smi_perf]\ncpu = -1\n", &p), -EINVAL);
	cr_assert(strstr(p.err.msg, "test.ini:2"), "%s", p.err.msg);
	probed_free(&p);
	fx_rm(&fx);
}

Test(smi_perf, intel_adds_nothing)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "GenuineIntel", 6, 0x55, 1, NULL);
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), 0, "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	cr_assert_eq(fake.calls, 0, "no perf event opened on Intel");
	probed_free(&p);
	fx_rm(&fx);
}

Test(smi_perf, no_pmu_is_enodev_saying_why)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x1A, 0x02, 1, NULL);
	fake.fail_errno = ENOENT; /* VM without a virtual PMU */
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), -ENODEV);
	cr_assert_eq(fake.calls, 1);
	cr_assert(strstr(p.err.msg, "SMIs cannot be counted"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "no core PMU"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);

	fake.fail_errno = EOPNOTSUPP;
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), -ENODEV);
	probed_free(&p);
	fx_rm(&fx);
}

Test(smi_perf, no_permission_says_paranoid_or_cap_perfmon)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x17, 0x31, 1, NULL);
	fake.fail_errno = EACCES;
	/* A missing privilege: skipped with a note (-ENODEV), the sampler goes on. */
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), -ENODEV);
	cr_assert(strstr(p.err.msg, "perf_event_paranoid"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "CAP_PERFMON"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "SMIs cannot be counted"), "%s", p.err.msg);
	cr_assert_eq(p.list.n, 0);
	probed_free(&p);
	fx_rm(&fx);
}

/* Degrades, never dies: the vendor is unknown, the backend skipped with a note. */
Test(smi_perf, missing_cpuinfo_or_entry_is_skipped_with_a_note)
{
	struct fx fx;
	struct probed p;

	fx_init(&fx);
	fx_cpuinfo(&fx, "AuthenticAMD", 0x19, 0x11, 1, NULL);
	cr_assert_eq(probe(&fx, "smi_perf", 7, NULL, &p), -ENODEV);
	cr_assert(strstr(p.err.msg, "smi_perf: skipped"), "%s", p.err.msg);
	cr_assert(strstr(p.err.msg, "no processor 7"), "%s", p.err.msg);
	cr_assert_eq(fake.calls, 0);
	probed_free(&p);
	fx_rm(&fx);
	fx_init(&fx); /* no proc/cpuinfo at all */
	cr_assert_eq(probe(&fx, "smi_perf", 0, NULL, &p), -ENODEV);
	cr_assert(strstr(p.err.msg, "proc/cpuinfo"), "%s", p.err.msg);
	cr_assert_eq(fake.calls, 0);
	probed_free(&p);
	fx_rm(&fx);
}
