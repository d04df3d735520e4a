/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * measure.c - the per-core TSC busy loop that records gaps (see measure.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "measure.h"

const double jit_bucket_edge_ns[JIT_NBUCKETS - 1] = {
	1e2, 2e2, 5e2, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5,
	2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8, 5e8,
};

int jit_core_alloc(struct jit_core_run *r, int cpu, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cpu = cpu;
	r->gaps_cap = cap;
	if (cap) {
		r->gaps = calloc(cap, sizeof(*r->gaps));
		if (!r->gaps)
			return -ENOMEM;
		/* Prefault: the loop must not take a page fault on its first gaps. */
		memset(r->gaps, 0xff, cap * sizeof(*r->gaps));
	}
	return 0;
}

void jit_core_reset(struct jit_core_run *r)
{
	struct jit_gap *g = r->gaps;
	size_t cap = r->gaps_cap;
	int cpu = r->cpu;

	memset(r, 0, sizeof(*r));
	r->gaps = g;
	r->gaps_cap = cap;
	r->cpu = cpu;
}

void jit_core_free(struct jit_core_run *r)
{
	free(r->gaps);
	r->gaps = NULL;
	r->gaps_cap = 0;
}

void jit_measure_set_edges(struct jit_measure_args *a, const struct tsc_info *ti)
{
	for (int i = 0; i < JIT_NBUCKETS - 1; i++)
		a->bucket_edge[i] = (uint64_t)(jit_bucket_edge_ns[i] * ti->hz / 1e9);
}

/*
 * This thread's involuntary switches and run delay: who else took the CPU.
 * System calls, so only before and after the loop.  Return: 0 or -errno.
 */
static int sched_counts(uint64_t *nivcsw, uint64_t *run_delay_ns)
{
	struct rusage ru;
	char buf[128];
	unsigned long long on_cpu, delay;
	ssize_t n;
	int fd;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return -errno;
	*nivcsw = (uint64_t)ru.ru_nivcsw;
	/* "<ns on cpu> <ns waiting on a runqueue> <timeslices>" (CONFIG_SCHED_INFO) */
	fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &on_cpu, &delay) != 2)
		return -EINVAL;
	*run_delay_ns = delay;
	return 0;
}

static unsigned bucket_of(const uint64_t *edge, uint64_t d)
{
	unsigned i = 0;

	while (i < JIT_NBUCKETS - 1 && d >= edge[i])
		i++;
	return i;
}

void *jit_measure_thread(void *arg)
{
	struct jit_measure_args *a = arg;
	struct jit_core_run *r = a->r;
	const uint64_t thr = a->threshold;
	uint64_t prev, now, end, d, loops = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->err = sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
	if (!r->err && a->fifo_prio > 0) {
		struct sched_param sp = { .sched_priority = a->fifo_prio };

		/* Only what preempts this priority shows: SMIs, IRQs, higher RT. */
		r->err = sched_setscheduler(0, SCHED_FIFO, &sp) < 0 ? -errno : 0;
	}
	pthread_barrier_wait(a->go);
	if (r->err)
		return NULL;
	sched_yield();  /* land on the core before the first read */
	{
		uint64_t iv, rd;

		r->sched_valid = sched_counts(&iv, &rd) == 0;
		r->nivcsw = iv;
		r->run_delay_ns = rd;
	}

	prev = tsc_now();
	r->start_tsc = prev;
	end = prev + a->duration;
	/*
	 * The hot loop: one rdtscp, a compare, and a relaxed load of a flag
	 * nobody writes during the run (an L1 hit).  Everything recorded goes
	 * into @r, which this thread alone writes; the gap list was prefaulted.
	 */
	for (;;) {
		now = tsc_now();
		d = now - prev;
		if (__builtin_expect(d > thr, 0)) {
			r->count++;
			r->stolen += d;
			if (d > r->max)
				r->max = d;
			r->hist[bucket_of(a->bucket_edge, d)]++;
			if (r->ngaps < r->gaps_cap) {
				r->gaps[r->ngaps].tsc = prev;
				r->gaps[r->ngaps].cycles = d;
				r->ngaps++;
			}
			if (now >= end ||
			    atomic_load_explicit(a->stop, memory_order_relaxed))
				break;
		}
		loops++;
		prev = now;
		if (__builtin_expect(now >= end, 0))
			break;
	}
	r->end_tsc = now;
	r->loops = loops;
	{
		uint64_t iv, rd;

		if (r->sched_valid && sched_counts(&iv, &rd) == 0) {
			r->nivcsw = iv - r->nivcsw;
			r->run_delay_ns = rd - r->run_delay_ns;
		} else {
			r->sched_valid = false;
		}
	}
	return NULL;
}
