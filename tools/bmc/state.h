/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the standby record, <state dir>/bmc-standby.json: what standby
 * changed and the value each setting had before, written atomically
 * (tmp, fsync, rename, fsync dir) BEFORE each change, so that wake - even
 * after a kill -9 in the middle of standby - restores exactly the prior
 * state and touches nothing else.
 *
 *   {"version": 1, "bmc": {"address": ..., "manufacturer_id": ...,
 *    "product_id": ..., "vendor": ...},
 *    "standby_started": <unix s>, "standby_completed": <unix s> | null,
 *    "steps": {"<step>": {"state": "changing" | "changed",
 *                         "since": <unix s>, "prior": {...}}, ...}}
 *
 * "changing": the prior value is recorded and the change may or may not
 * have been made; "changed": made and verified.  Wake restores both.
 * The record is held under an exclusive lock (flock on
 * <state dir>/bmc-standby.lock) from bmc_state_open() to bmc_state_close():
 * two sovereign-bmc runs never interleave.
 */
#ifndef SOVEREIGN_BMC_STATE_H
#define SOVEREIGN_BMC_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define BMC_STATE_FILE "bmc-standby.json"
#define BMC_STATE_MAX (64 * 1024) /* a larger record is not ours: refused */

struct bmc_state {
	char path[PATH_MAX];
	int lock_fd;
	cJSON *root;   /* owned */
	bool existed;  /* the file was there at open */
};

/*
 * bmc_state_open() - lock and read the record in @dir (created 0700 if
 * missing), or start an empty one.  @wait: wait for the lock (else -EBUSY
 * when another run holds it).
 * Return: 0; -EBUSY; -EINVAL with @err when the file is empty, not JSON,
 * not UTF-8, too large or of another version (it is then left as it is:
 * it may hold the only copy of prior values); -errno otherwise.
 * Ownership: release with bmc_state_close().
 */
int bmc_state_open(const char *dir, bool wait, struct bmc_state *st, char *err, size_t len);

/* bmc_state_close() - drop the lock and free the record (no write). */
void bmc_state_close(struct bmc_state *st);

/* bmc_state_step() - the record of @step, or NULL. */
cJSON *bmc_state_step(const struct bmc_state *st, const char *step);

/* bmc_state_prior() - the "prior" object of @step's record, or NULL. */
cJSON *bmc_state_prior(const struct bmc_state *st, const char *step);

/*
 * bmc_state_begin() - record @step as "changing" with @prior (taken over,
 * NULL for none) and write the record, before the change is made.
 * Return: 0 or -errno (nothing may be changed then).
 */
int bmc_state_begin(struct bmc_state *st, const char *step, cJSON *prior, char *err, size_t len);

/* bmc_state_done() - mark @step "changed" and write.  Return: 0 or -errno. */
int bmc_state_done(struct bmc_state *st, const char *step, char *err, size_t len);

/* bmc_state_drop() - forget @step (restored by wake) and write.  Return: 0 or -errno. */
int bmc_state_drop(struct bmc_state *st, const char *step, char *err, size_t len);

/*
 * bmc_state_set() - set top-level @key to @value (taken over) and write.
 * Return: 0 or -errno.
 */
int bmc_state_set(struct bmc_state *st, const char *key, cJSON *value, char *err, size_t len);

/* bmc_state_nsteps() - how many steps the record holds. */
int bmc_state_nsteps(const struct bmc_state *st);

/* bmc_state_remove() - remove the file (wake restored everything).  Return: 0 or -errno. */
int bmc_state_remove(struct bmc_state *st, char *err, size_t len);

#endif /* SOVEREIGN_BMC_STATE_H */
