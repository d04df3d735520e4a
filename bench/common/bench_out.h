/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench_out.h - a benchmark's files: a cJSON tree written as a JSON file,
 * a gnuplot script run into a figure, and the scratch directory removed at
 * the end.  Used by smi_jitter, exporter_bench and sampler_bench.
 */
#ifndef SOVEREIGN_BENCH_OUT_H
#define SOVEREIGN_BENCH_OUT_H

#include <cJSON.h>

/*
 * bench_json_write() - print @root (cJSON_Print: indented) into @path
 * (created or truncated), with a final newline.  Ownership: takes @root,
 * which is deleted in every case (NULL is accepted: the tree could not be
 * built).  Context: process context.  Return: 0, or -errno (-ENOMEM: no
 * tree, or cJSON could not print it; -EIO: a write failed).
 */
int bench_json_write(cJSON *root, const char *path);

/*
 * bench_gnuplot() - run @gnuplot (a path, or NULL: "gnuplot" from PATH) on
 * the script file @script, pinned to @cpu (-1: anywhere), with its output
 * appended to @log (NULL: stdout to /dev/null, stderr to the bench's), for
 * at most @timeout_ms (0: no limit).  Context: process context, main thread
 * (see bench_spawn()).  Return: 0; -ECHILD if gnuplot failed or is missing
 * (the log says why); -ETIMEDOUT (it was stopped); other -errno.
 */
int bench_gnuplot(const char *gnuplot, const char *script, int cpu, const char *log,
		  unsigned timeout_ms);

/*
 * bench_rmtree() - remove @dir and everything below it (the bench's scratch
 * directory), without following symbolic links.  Best effort: what cannot
 * be removed is left and the rest still goes.  Context: process context
 * (nftw).
 */
void bench_rmtree(const char *dir);

#endif /* SOVEREIGN_BENCH_OUT_H */
