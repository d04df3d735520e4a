/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * perf_smi.h - the perf_smi backend's one seam: the perf_event_open() system
 * call goes through a pointer that tests replace with a canned descriptor.
 */
#ifndef SOVEREIGN_RT_PERF_SMI_H
#define SOVEREIGN_RT_PERF_SMI_H

#include <sys/types.h>

struct perf_event_attr;

/*
 * perf_smi_event_open - perf_event_open(2) as used by perf_smi's probe().
 * Defaults to the system call.  Context: set it before probing, in process
 * context (tests only).  Return: a descriptor whose read() yields the
 * 64-bit count, or -1 with errno set.
 */
extern int (*perf_smi_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
				  unsigned long flags);

#endif /* SOVEREIGN_RT_PERF_SMI_H */
