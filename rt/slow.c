/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slow.c - the slow-bus worker: reads the channels whose backends may
 * block (I2C, hwmon chips behind a bus), each on its own grid, one
 * priority below the loop on the same core, and posts each reading to the
 * channel's seqcount mailbox, which the loop copies (loop.c).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>

#include "judge.h"
#include "sampler_int.h"
#include "shm_seq.h"

void *slow_worker_main(void *arg)
{
	struct sampler *s = arg;

	while (!uatomic_read(&s->stop)) {
		struct timespec now_ts;
		uint64_t now, next = UINT64_MAX;
		size_t i;

		clock_gettime(CLOCK_MONOTONIC, &now_ts);
		now = ts_to_ns(&now_ts);
		for (i = 0; i < s->chans.n; i++) {
			struct rt_chan *c = &s->chans.chan[i];
			struct slow_sched *sc = &s->sched[i];
			struct mailbox *m = &s->mbox[i];
			struct timespec a, z;
			uint64_t period;
			int64_t v = 0;
			int rc;

			if (!c->ops || !c->slow || sc->disabled)
				continue;
			/* The loop applies a reload's rates: pairs with the
			 * CMM_STORE_SHARED in apply_params(); a new one is taken
			 * from now, as the loop does (sampler_reload() wakes us). */
			period = CMM_LOAD_SHARED(c->period_ns);
			if (period != sc->period_ns) {
				sc->period_ns = period;
				if (!sc->backoff_ns)
					sc->next_due_ns = now;
			}
			if (now >= sc->next_due_ns) {
				clock_gettime(CLOCK_MONOTONIC, &a);
				rc = c->ops->read(c, now, &v);
				clock_gettime(CLOCK_MONOTONIC, &z);
				/* Pairs with the loop's sov_seq_read_begin()/_retry()
				 * in consume_mailbox(). */
				sov_seq_write_begin(&m->seq);
				CMM_STORE_SHARED(m->value, v);
				CMM_STORE_SHARED(m->err, rc);
				CMM_STORE_SHARED(m->mono_ns, ts_to_ns(&a));
				CMM_STORE_SHARED(m->read_ns, (uint64_t)ts_diff_ns(&z, &a));
				CMM_STORE_SHARED(m->posted, m->posted + 1);
				sov_seq_write_end(&m->seq);
				if (rc) {
					/* Pairs with the CMM_STORE_SHARED in apply_params(). */
					uint64_t cap = CMM_LOAD_SHARED(s->backoff_cap_ns);

					sc->disabled = judge_err_permanent(rc);
					sc->backoff_ns = judge_backoff(sc->backoff_ns, period, cap);
					sc->next_due_ns = now + sc->backoff_ns;
				} else {
					/* On the grid: with the loop, one wake-up of the core. */
					sc->backoff_ns = 0;
					sc->next_due_ns = ts_grid_next(now, period);
				}
			}
			if (sc->next_due_ns < next)
				next = sc->next_due_ns;
		}
		/* Sleep to the next due read (none: until stop); stop wakes it. */
		sampler_wait_stop_until(s, next);
	}
	return NULL;
}
