/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stall.c - sovereign-sim's BMC stall injector (see stall.h): a SCHED_FIFO
 * spinner that steals a fixed slice of one CPU periodically and counts each
 * slice as an SMI in the tree's MSR 0x34.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "stall.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	/* vDSO: no system call, so the spin below never enters the kernel. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Sleep until @next (CLOCK_MONOTONIC ns) unless told to stop.
 * A condition variable, not clock_nanosleep + pthread_cancel: a cancelled
 * thread unwinds past ASan's stack bookkeeping, and polling a stop flag
 * would add wakeups on the victim CPU.  Return: true to stop.
 */
static bool wait_until(struct sim_stall *s, uint64_t next)
{
	struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ull),
			       .tv_nsec = (long)(next % 1000000000ull) };
	bool stop;
	int ret = 0;

	pthread_mutex_lock(&s->mu);
	while (!s->stop && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void *stall_main(void *arg)
{
	struct sim_stall *s = arg;
	const uint64_t period = (uint64_t)(1e9 / s->hz);
	uint64_t next = mono_ns() + period;

	while (!wait_until(s, next)) {
		uint64_t t0, n, now;

		/*
		 * The stall starts here: the count and its MSR write are part of
		 * it, as a real SMI is counted on SMM entry.  The spin is timed
		 * from this point, so the victim loses @spin_ns plus the two
		 * context switches around it.
		 */
		t0 = mono_ns();
		n = atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed) + 1;
		if (sim_tree_put_smi(s->t, s->m, n) < 0)
			atomic_fetch_add_explicit(&s->put_errors, 1, memory_order_relaxed);
		while (mono_ns() - t0 < s->spin_ns)
			;
		next += period;
		now = mono_ns();
		if (next <= now)        /* overslept: skip, never bunch stalls */
			next += ((now - next) / period + 1) * period;
	}
	return NULL;
}

int sim_stall_start(struct sim_stall *s, struct sim_tree *t, const struct sim_model *m, int cpu,
		    double hz, unsigned us)
{
	struct sched_param sp = { .sched_priority = SIM_STALL_PRIO };
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!(hz > 0.0) || us == 0 || cpu < 0 || cpu >= CPU_SETSIZE || 1e9 / hz <= us * 1e3)
		return -EINVAL;         /* a stall longer than its period never ends */
	s->t = t;
	s->m = m;
	s->cpu = cpu;
	s->hz = hz;
	s->spin_ns = (uint64_t)us * 1000u;
	atomic_init(&s->count, 0);
	atomic_init(&s->put_errors, 0);
	ret = sim_tree_put_smi(t, m, 0);
	if (ret < 0)
		return ret;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_mutex_init(&s->mu, NULL);
	if (ret)
		return -ret;
	{
		pthread_condattr_t ca;

		ret = pthread_condattr_init(&ca);
		if (!ret)
			ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (!ret)
			ret = pthread_cond_init(&s->cv, &ca);
		pthread_condattr_destroy(&ca);
		if (ret)
			goto err_mutex;
	}
	ret = pthread_attr_init(&attr);
	if (ret)
		goto err_cond;
	/* Explicit policy: pthread_create fails with EPERM instead of silently
	 * running a SCHED_OTHER spinner that the victim would not notice. */
	ret = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	if (!ret)
		ret = pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	if (!ret)
		ret = pthread_attr_setschedparam(&attr, &sp);
	if (!ret)
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!ret)
		ret = pthread_create(&s->th, &attr, stall_main, s);
	pthread_attr_destroy(&attr);
	if (ret)
		goto err_cond;
	s->running = true;
	return 0;

err_cond:
	pthread_cond_destroy(&s->cv);
err_mutex:
	pthread_mutex_destroy(&s->mu);
	return -ret;
}

void sim_stall_stop(struct sim_stall *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);    /* no waiting out a long period */
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	s->running = false;
}
