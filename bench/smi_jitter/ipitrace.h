/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipitrace.h - who sends IPIs to the measured cores: a private tracefs
 * instance recording events/ipi/ipi_send_cpu and ipi_send_cpumask with the
 * sender's tgid, read after each run.  Used by smi_jitter to show exactly
 * how many function-call IPIs the sampler's process sent to a measured core.
 */
#ifndef SOVEREIGN_JIT_IPITRACE_H
#define SOVEREIGN_JIT_IPITRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IPITRACE_MAX_CPUS 1024

/*
 * Senders told apart.  An IPI sent from interrupt context (hardirq, softirq,
 * NMI) is charged to IPI_IRQ, not to the task it happened to interrupt;
 * the last one is every other task.
 */
enum ipi_sender { IPI_SAMPLER, IPI_EXPORTER, IPI_SELF, IPI_IRQ, IPI_OTHER, IPI_NSENDERS };
extern const char *const ipi_sender_name[IPI_NSENDERS];

/* Per measured CPU: function-call (CAL) and reschedule (RES) IPIs by sender. */
struct ipi_counts {
	uint64_t cal[IPI_NSENDERS];
	uint64_t res[IPI_NSENDERS];
};

struct ipitrace {
	bool on;
	bool mounted;           /* we mounted tracefs (unmount at close) */
	char dir[256];          /* the instance directory */
	char what[256];         /* why it is unavailable, or what it uses */
	uint64_t lost;          /* events the buffer dropped (overrun), last run */
};

/*
 * ipitrace_open() - mount tracefs if needed, create the instance, enable
 * the two events with record-tgid, tracing off.
 * Context: process context, root.  Return: 0, or -errno with @t->what
 * saying why attribution is unavailable.  Ownership: ipitrace_close().
 */
int ipitrace_open(struct ipitrace *t);

/* ipitrace_begin() - clear the buffer, tracing on.  Return: 0 or -errno. */
int ipitrace_begin(struct ipitrace *t);

/*
 * ipitrace_end() - tracing off; count the IPIs to @cpus[0..@n-1] in
 * @out[0..@n-1], by sender tgid (@sampler, @exporter, @self; 0 = none).
 * Return: 0 or -errno.
 */
int ipitrace_end(struct ipitrace *t, const int *cpus, int n, pid_t sampler, pid_t exporter,
		 pid_t self, struct ipi_counts *out);

/* ipitrace_close() - remove the instance (and unmount what we mounted). */
void ipitrace_close(struct ipitrace *t);

#endif /* SOVEREIGN_JIT_IPITRACE_H */
