/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tree.h - the simulated server's fixture tree: a directory standing in for
 * "/" (sys/class/hwmon, sys/class/powercap, dev/cpu/N/msr, proc/cpuinfo)
 * that sovereign-sim creates and keeps up to date from the model, and that
 * the sampler's unchanged backends read through their root prefix.  The fan
 * controls (pwmN, pwmN_enable) are read back each step: the fan actuator
 * writes them.  Used by sim.c and tests/sim.
 *
 * Value files are rewritten in place (pwrite at 0, then ftruncate) on fds
 * held from creation, never replaced by rename: a reader holding the file
 * open and preading at offset 0 sees every new value (see tree.c for the
 * torn-read argument).
 */
#ifndef SOVEREIGN_SIM_TREE_H
#define SOVEREIGN_SIM_TREE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#define SIM_MARKER ".sovereign-sim"             /* in the root: "this is a sim tree" */
#define SIM_WRAP_UJ_DEFAULT UINT64_C(262143328850) /* 2^32 x 61.035 µJ (ESU 14) */
#define SIM_MAX_CPUS (SIM_MAX_SOCKETS * SIM_CPUS_PER_SOCKET)

/* struct sim_vfile - one value file, held open; the last text written. */
struct sim_vfile {
	int fd;                 /* -1 when absent */
	bool written;           /* @last is what the file holds */
	long long last;
};

/* struct sim_tree_opts - what the tree adds on top of the model. */
struct sim_tree_opts {
	uint64_t wrap_uj;       /* powercap max_energy_range_uj (energy_uj wraps after it) */
	bool noise;             /* measurement noise and sensor quantisation jitter */
	bool smi_external;      /* MSR 0x34 is written by sim_tree_put_smi() only */
};

/* struct sim_tree - the open tree.  Fields are private to tree.c except @err. */
struct sim_tree {
	char root[PATH_MAX];
	char err[PATH_MAX + 128];       /* what failed, with its path */
	struct sim_tree_opts opts;
	int nhwmon;
	int ncpu;
	struct sim_vfile tctl[SIM_MAX_SOCKETS];
	struct sim_vfile ccd[SIM_MAX_SOCKETS][SIM_CCDS];   /* AMD Tccd / Intel Core */
	struct sim_vfile crit_alarm[SIM_MAX_SOCKETS];      /* Intel package temp1_crit_alarm */
	struct sim_vfile dimm[SIM_MAX_DIMMS];
	struct sim_vfile fan[SIM_MAX_FANS];
	struct sim_vfile in[4];
	struct sim_vfile systin;
	struct sim_vfile vrm[SIM_MAX_SOCKETS][7];
	struct sim_vfile rapl[SIM_MAX_SOCKETS][3];         /* package, core, dram (Intel) */
	int fan_dirfd;                  /* the nct6779 hwmon directory */
	int msr_fd[SIM_MAX_CPUS];
};

/*
 * sim_tree_create() - create (or take over) the tree at @root for @m and
 * write every file once.  @root is created if missing; an existing
 * directory must be empty or a previous sim tree (marker file SIM_MARKER):
 * one of the same shape (vendor, sockets, DIMMs, fans) is updated in place,
 * so readers holding its files keep working across a simulator restart;
 * one of another shape is emptied first.  Fan controls are reset to the
 * chip's power-on state (pwm 128, pwmN_enable 2).
 * Context: process context.  Return: 0, -ENOTEMPTY for a foreign
 * non-empty directory, other -errno; @t->err says what failed.  On error
 * nothing stays open.  Ownership: sim_tree_close() releases @t.
 */
int sim_tree_create(struct sim_tree *t, const char *root, struct sim_model *m,
		    const struct sim_tree_opts *opts);

/*
 * sim_tree_read_controls() - read pwmN_enable and pwmN into @m's fans.
 * Files are opened by name each time, so any way the actuator writes them
 * (in place, O_TRUNC, even rename) is honoured.  An unparsable or missing
 * value keeps the previous one; values are clamped to the hwmon ranges
 * (pwm 0..255, enable 0..5) as the kernel would reject the rest.
 * Return: 0, or the first -errno met (the others are still read).
 */
int sim_tree_read_controls(struct sim_tree *t, struct sim_model *m);

/*
 * sim_tree_update() - write @m's state into every value file, the MSR
 * files, and (automatic or full-speed fans only) pwmN.  Uses @m's noise
 * generator when opts.noise.  Return: 0, or the first -errno met.
 */
int sim_tree_update(struct sim_tree *t, struct sim_model *m);

/*
 * sim_tree_put_smi() - write @count (bits 31:0) as MSR 0x34 (MSR_SMI_COUNT)
 * into every CPU's msr file; Intel trees only (AMD has no such MSR: no-op).
 * With opts.smi_external, sim_tree_update() leaves 0x34 alone, so this is
 * its only writer and the two may run concurrently in different threads:
 * they pwrite disjoint byte ranges of held fds and share no other state.
 * Context: any thread; no allocation (the BMC stall thread calls it).
 * Return: 0, or the first -errno met.
 */
int sim_tree_put_smi(struct sim_tree *t, const struct sim_model *m, uint64_t count);

/* sim_tree_step() - read controls, sim_model_step(@m, @dt), update. */
int sim_tree_step(struct sim_tree *t, struct sim_model *m, double dt);

/* sim_tree_close() - close every held fd.  Safe on a closed tree. */
void sim_tree_close(struct sim_tree *t);

/*
 * sim_tree_print_config() - write to @f a sampler configuration (INI, see
 * common/config.h) that reads the tree at @root (should be absolute) every
 * @period_ms.  Return: 0 or -EIO.
 */
int sim_tree_print_config(FILE *f, const char *root, const struct sim_model *m, int period_ms);

#endif /* SOVEREIGN_SIM_TREE_H */
