/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_proc.h - a server's memory for exporter_bench, from /proc/PID/status.
 * Children, CPU time and the rest come from bench/common (bench_proc.h,
 * bench_cpu.h).  Used by exporter_bench.c only.
 */
#ifndef EB_PROC_H
#define EB_PROC_H

#include <stdint.h>
#include <sys/types.h>

/*
 * eb_mem_kb: VmRSS and VmHWM of @pid from /proc/PID/status, in KiB.
 * Context: any.  Return: 0, or -errno (-ENODATA if a field is missing).
 */
int eb_mem_kb(pid_t pid, uint64_t *rss_kb, uint64_t *hwm_kb);

#endif /* EB_PROC_H */
