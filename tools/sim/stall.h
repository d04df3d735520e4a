/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stall.h - sovereign-sim's BMC stall injector: a SCHED_FIFO thread pinned
 * to one CPU that, every 1/HZ real seconds, bumps the SMI count (MSR 0x34
 * in the tree) and busy-spins for a fixed time, so that a user-space jitter
 * meter on that CPU (bench/smi_jitter) sees a gap per "SMI" as it would on
 * a server whose BMC triggers SMIs.  Used by sim.c.
 */
#ifndef SOVEREIGN_SIM_STALL_H
#define SOVEREIGN_SIM_STALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tree.h"

#define SIM_STALL_PRIO 90       /* above the sampler (SCHED_FIFO 50 by default): SMIs preempt all */

/* struct sim_stall - the injector.  Fields are private to stall.c except as noted. */
struct sim_stall {
	pthread_t th;
	struct sim_tree *t;             /* borrowed: outlives the thread */
	const struct sim_model *m;      /* borrowed: only vendor and ncpu are read */
	int cpu;
	double hz;
	uint64_t spin_ns;
	pthread_mutex_t mu;             /* guards @stop; @cv wakes the sleeping thread */
	pthread_cond_t cv;              /* on CLOCK_MONOTONIC: the absolute stall times */
	bool stop;
	_Atomic uint64_t count;         /* stalls done = the SMI count written; any thread */
	_Atomic uint64_t put_errors;    /* failed MSR 0x34 writes */
	bool running;
};

/*
 * sim_stall_start() - start the injector on @cpu: a stall of @us µs every
 * 1/@hz s (real time; missed periods are skipped, never bunched), each one
 * bumping the SMI count written with sim_tree_put_smi().  The tree must
 * have been created with opts.smi_external.  The count starts at 0 and is
 * written once before the first stall.
 * Context: process context.  Return: 0, -EINVAL (bad @hz/@us/@cpu),
 * -EPERM (no right to SCHED_FIFO: run as root or with CAP_SYS_NICE), other
 * -errno from pthread_create.  Ownership: stop with sim_stall_stop().
 */
int sim_stall_start(struct sim_stall *s, struct sim_tree *t, const struct sim_model *m, int cpu,
		    double hz, unsigned us);

/* sim_stall_stop() - stop and join the thread.  Safe if never started. */
void sim_stall_stop(struct sim_stall *s);

#endif /* SOVEREIGN_SIM_STALL_H */
