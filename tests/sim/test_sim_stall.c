/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sim_stall.c - tests of the simulator's BMC stall injector
 * (tools/sim/stall.c) and the external SMI count (tree.c
 * sim_tree_put_smi): MSR 0x34 left alone by updates, written on every CPU
 * by the injector, one count per stall, on the chosen CPU at SCHED_FIFO.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "stall.h"
#include "tree.h"

static char root[PATH_MAX];
static struct sim_tree tree;
static struct sim_model model;

static int rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void setup(void)
{
	struct sim_tree_opts o = { .wrap_uj = SIM_WRAP_UJ_DEFAULT, .smi_external = true };
	struct sim_profile p;
	int ret;

	snprintf(root, sizeof(root), "/tmp/sovstall-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	cr_assert_eq(sim_profile_builtin(&p, "idle"), 0);
	cr_assert_eq(sim_model_init(&model, SIM_INTEL, 1, 1, 0, &p, 1), 0);
	model.smi_hz = 100.0;   /* the model's own SMIs: must not reach MSR 0x34 */
	ret = sim_tree_create(&tree, root, &model, &o);
	cr_assert_eq(ret, 0, "create: %d %s", ret, tree.err);
}

static void teardown(void)
{
	sim_tree_close(&tree);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t smi_msr(int cpu)
{
	char path[PATH_MAX + 32];
	uint64_t v = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dev/cpu/%d/msr", root, cpu);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0x34, SEEK_SET), 0);
	if (fread(&v, sizeof(v), 1, f) != 1)
		v = UINT64_MAX - 1;     /* a hole past EOF reads short */
	fclose(f);
	return v;
}

TestSuite(stall, .init = setup, .fini = teardown);

Test(stall, external_smi_is_left_to_the_caller)
{
	cr_assert_eq(sim_tree_step(&tree, &model, 1.0), 0);
	cr_assert_gt(model.smi_count, 0, "the model counted its own SMIs");
	cr_assert_eq(sim_tree_put_smi(&tree, &model, 7), 0);
	cr_assert_eq(sim_tree_step(&tree, &model, 1.0), 0);
	for (int c = 0; c < SIM_CPUS_PER_SOCKET; c++)
		cr_expect_eq(smi_msr(c), 7, "cpu %d", c);
	cr_assert_eq(sim_tree_put_smi(&tree, &model, 0x100000005ull), 0);
	cr_expect_eq(smi_msr(3), 5, "bits 31:0 only");
}

Test(stall, one_smi_per_stall_on_the_chosen_cpu)
{
	struct sim_stall st;
	struct timespec d = { 0, 500000000L };
	uint64_t n;
	int ret;

	ret = sim_stall_start(&st, &tree, &model, 1, 100.0, 1000);
	cr_assert_eq(ret, 0, "start: %s (SCHED_FIFO needs root)", strerror(-ret));
	nanosleep(&d, NULL);
	sim_stall_stop(&st);
	n = atomic_load(&st.count);
	/* 100 Hz for ~0.5 s: 50, less the first period, give or take a late wake-up. */
	cr_expect(n >= 40 && n <= 55, "%lu stalls in 0.5 s at 100 Hz", (unsigned long)n);
	cr_expect_eq(atomic_load(&st.put_errors), 0);
	for (int c = 0; c < SIM_CPUS_PER_SOCKET; c++)
		cr_expect_eq(smi_msr(c), n, "cpu %d reads the stall count", c);
}

Test(stall, bad_arguments)
{
	struct sim_stall st;

	cr_expect_eq(sim_stall_start(&st, &tree, &model, 1, 0.0, 100), -EINVAL);
	cr_expect_eq(sim_stall_start(&st, &tree, &model, 1, 1000.0, 1000), -EINVAL,
		     "a stall as long as its period");
	cr_expect_eq(sim_stall_start(&st, &tree, &model, -1, 10.0, 100), -EINVAL);
	cr_expect_eq(sim_stall_start(&st, &tree, &model, 1, 10.0, 0), -EINVAL);
	sim_stall_stop(&st);    /* never started: a no-op */
}
