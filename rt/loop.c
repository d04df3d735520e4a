/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.c - the real-time path (docs/realtime.md): one cycle reads the
 * channels that are due, takes the slow ones from the worker's mailboxes,
 * judges every reading, publishes a sample; the loop around it sleeps to
 * absolute deadlines and counts what it missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <urcu/arch.h>
#include <urcu/pointer.h>
#include <urcu/system.h>
#include <urcu/uatomic.h>

#include "judge.h"
#include "sampler_int.h"
#include "shm_seq.h"

static void take_error(struct sampler *s, struct rt_chan *c, int err, uint64_t at);

/* Judge a fresh reading of channel @c and stage it. */
static void take_value(struct sampler *s, struct rt_chan *c, int64_t v, uint64_t at)
{
	bool stuck, primed = c->last_ok_ns != 0;
	enum judge_level lvl;
	int64_t prev_value = c->last_value;
	uint64_t prev_at = c->last_ok_ns;

	/* No sensor reads this (-128 °C: no diode): a failed read, never a value. */
	if (!judge_plausible(c->desc.kind, v)) {
		take_error(s, c, -ERANGE, at);
		return;
	}
	if (!c->valid && c->errors && primed)
		sampler_emit(s, SOV_EV_SENSOR_BACK, SOV_SEV_NOTICE, c->idx, v, 0, at, "readings are back");
	c->valid = true;
	c->last_err = 0;
	c->backoff_ns = 0;

	stuck = judge_stuck(&c->last_value, &c->same_since_ns, &primed, v, at, c->stuck_ns);
	c->last_ok_ns = at;
	if (stuck != c->suspect) {
		c->suspect = stuck;
		sov_writer_set_suspect(s->w, c->idx, stuck);
		if (stuck)
			sampler_emit(s, SOV_EV_SENSOR_SUSPECT, SOV_SEV_WARNING, c->idx, v, 0, at,
			     "value frozen: sensor suspect");
	}

	lvl = judge_level(&c->desc, v, (enum judge_level)c->level, c->hyst);
	if (lvl != c->level) {
		if (lvl == LEVEL_CRIT)
			sampler_emit(s, SOV_EV_THRESH_CRIT, SOV_SEV_CRIT, c->idx, v,
			     (c->desc.flags & SOV_SEN_CRIT_HI) && v >= c->desc.crit_hi ? c->desc.crit_hi
										   : c->desc.crit_lo,
			     at, "critical limit crossed");
		else if (lvl == LEVEL_WARN)
			sampler_emit(s, SOV_EV_THRESH_WARN, SOV_SEV_WARNING, c->idx, v,
			     (c->desc.flags & SOV_SEN_WARN_HI) && v >= c->desc.warn_hi ? c->desc.warn_hi
										   : c->desc.warn_lo,
			     at, c->level > lvl ? "back below critical, still warning" : "warning limit crossed");
		else
			sampler_emit(s, SOV_EV_THRESH_CLEAR, SOV_SEV_NOTICE, c->idx, v, 0, at,
			     "back inside limits");
		c->level = (uint8_t)lvl;
	}
	/* A chip's alarm flag (hwmon *_alarm, *_fault): news when it rises, also
	 * when found raised at the first reading, and when it falls. */
	if (c->desc.kind == SOV_KIND_ALARM && (v != 0) != (prev_at && prev_value != 0))
		sampler_emit(s, v ? SOV_EV_ALARM : SOV_EV_ALARM_CLEAR,
		     !v ? SOV_SEV_NOTICE : c->desc.flags & SOV_SEN_CRITICAL ? SOV_SEV_CRIT
									: SOV_SEV_WARNING,
		     c->idx, v, 0, at, v ? "alarm raised" : "alarm cleared");
	/* A fan that stops is news even without a configured limit. */
	if (c->desc.kind == SOV_KIND_FAN_RPM && primed && (v == 0) != (prev_value == 0) &&
	    prev_at)
		sampler_emit(s, v == 0 ? SOV_EV_FAN_STALL : SOV_EV_SENSOR_BACK,
		     v == 0 ? SOV_SEV_CRIT : SOV_SEV_NOTICE, c->idx, v, prev_value, at,
		     v == 0 ? "fan stalled: 0 RPM" : "fan turning again");

	sov_writer_set(s->w, c->idx, v, at);

	/* Power from the energy accumulator's delta since its last read. */
	if (c->power_idx != UINT32_MAX && prev_at && at > prev_at && v >= prev_value) {
		double uw = (double)(v - prev_value) * 1e9 / (double)(at - prev_at);

		take_value(s, &s->chans.chan[c->power_idx], (int64_t)llround(uw), at);
	}
}

/* A failed read of channel @c: invalid (never 0), counted, backed off. */
static void take_error(struct sampler *s, struct rt_chan *c, int err, uint64_t at)
{
	bool was_valid = c->valid || !c->errors;

	c->errors++;
	c->valid = false;
	sov_writer_set_invalid(s->w, c->idx);
	if (c->power_idx != UINT32_MAX) {
		s->chans.chan[c->power_idx].valid = false;
		sov_writer_set_invalid(s->w, c->power_idx);
	}
	if (judge_err_permanent(err)) {
		c->disabled = true;
		sampler_emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_ERR, c->idx, err, 0, at,
		     "read failed permanently: channel disabled");
	} else if (was_valid || c->last_err != err) {
		sampler_emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_WARNING, c->idx, err, 0, at,
		     err == -ERANGE ? "impossible reading (no diode?): invalid until it recovers"
				    : "read failed: value invalid until it recovers");
	}
	c->last_err = err;
	c->backoff_ns = judge_backoff(c->backoff_ns, c->period_ns, s->backoff_cap_ns);
}

/*
 * Pick up a SIGHUP's new limits and rates (RCU, no lock), and acknowledge
 * them so that the control thread may free the ones they replace: loads,
 * stores and one fence, never a system call (liburcu's QSBR quiescent
 * state could FUTEX_WAKE a waiting synchronize_rcu()).
 */
static void apply_params(struct sampler *s, uint64_t now)
{
	/*
	 * Dependency-ordered load of the pointer: the params' contents as the
	 * control thread built them.  Pairs with rcu_assign_pointer() in
	 * sampler_reload().
	 */
	const struct sampler_params *p = rcu_dereference(s->params);
	size_t i;

	if (p->gen == s->applied_gen)
		return;
	s->stale_periods = p->stale_periods;
	/* Read by the worker for its back-off: pairs with the CMM_LOAD_SHARED in slow_worker_main(). */
	CMM_STORE_SHARED(s->backoff_cap_ns, p->backoff_cap_ns);
	for (i = 0; i < s->chans.n && i < p->n; i++) {
		struct rt_chan *c = &s->chans.chan[i];
		const struct chan_params *cp = &p->p[i];

		chan_apply_params(c, cp);
		if (c->period_ns != cp->period_ns) {
			/* The worker schedules slow channels by it: pairs with the
			 * CMM_LOAD_SHARED in slow_worker_main(). */
			CMM_STORE_SHARED(c->period_ns, cp->period_ns);
			c->next_due_ns = now; /* take the new rate from now */
			if (c->slow && s->seen[i].at_ns && s->seen[i].at_ns < now)
				s->seen[i].at_ns = now; /* and count staleness from now */
		}
		sov_writer_update_limits(s->w, c->idx, &cp->lim);
	}
	s->applied_gen = p->gen;
	/*
	 * Orders every load this thread made from this and older params before
	 * the acknowledgement: once the control thread sees gen here, the loop
	 * is done with every older params (it only ever loads s->params, which
	 * moves forward).  Pairs with the cmm_smp_mb() after the ack's load in
	 * params_reclaim().
	 */
	cmm_smp_mb();
	CMM_STORE_SHARED(s->params_ack, p->gen);
	sampler_emit(s, SOV_EV_CONFIG, SOV_SEV_INFO, SOV_NO_SENSOR, (int64_t)p->gen, 0, now,
	     "configuration reloaded: limits and rates");
}

/* Take a slow channel's new reading from its mailbox, if the worker posted one; at cycle @now. */
static void consume_mailbox(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	const struct mailbox *m = &s->mbox[c->idx];
	struct slow_seen *seen = &s->seen[c->idx];
	struct backend_stats *b;
	uint64_t seq, posted, mono, read_ns;
	int64_t value;
	int32_t err;

	/* The seqcount's read side: its barriers pair with the worker's
	 * sov_seq_write_begin()/_end() in slow_worker_main(). */
	seq = sov_seq_read_begin(&m->seq);
	posted = CMM_LOAD_SHARED(m->posted);
	value = CMM_LOAD_SHARED(m->value);
	mono = CMM_LOAD_SHARED(m->mono_ns);
	read_ns = CMM_LOAD_SHARED(m->read_ns);
	err = CMM_LOAD_SHARED(m->err);
	/* Torn (the worker is posting right now): take it next cycle. */
	if (sov_seq_read_retry(&m->seq, seq) || posted == seen->posted)
		return;
	seen->posted = posted;
	seen->at_ns = now; /* the worker is alive: staleness counts from here */
	b = backend_stats_of(s, c->ops);
	if (b)
		b->ns += read_ns;
	if (err) {
		if (b)
			b->errors++;
		if (!c->disabled)
			take_error(s, c, err, mono);
	} else {
		bool first = !c->last_ok_ns;

		take_value(s, c, value, mono);
		/* take_value() says "back" only for a channel that had a value:
		 * one that went stale before its first reading is said here. */
		if (seen->stale && first && c->valid)
			sampler_emit(s, SOV_EV_SENSOR_BACK, SOV_SEV_NOTICE, c->idx, value, 0, mono,
			     "readings are back");
	}
	seen->stale = false;
}

/*
 * A slow channel whose worker posted nothing new for stale_periods x its
 * period (a hung bus, a read that never returns) is published invalid
 * with SENSOR_LOST, once, until a new reading comes: take_value() then
 * says "back" (the silence counts as a failed read).  Without it a hung
 * bus would freeze the last DIMM or VRM temperature, valid, in every new
 * sample.  From @now, the cycle's time: no clock read, no system call.
 * Already invalid after a failed read, it has been said: nothing to add.
 */
static void check_stale(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	struct slow_seen *seen = &s->seen[c->idx];
	uint64_t limit = (uint64_t)s->stale_periods * c->period_ns;

	if (!seen->at_ns)
		seen->at_ns = now; /* the first cycle: the worker has had no time yet */
	if (seen->stale || c->disabled || now <= seen->at_ns || now - seen->at_ns <= limit)
		return;
	if (!c->valid && seen->posted)
		return; /* a failed read said so already; the worker posts its retries */
	seen->stale = true;
	c->valid = false;
	c->errors++;
	c->last_err = -ETIMEDOUT;
	sov_writer_set_invalid(s->w, c->idx);
	if (c->power_idx != UINT32_MAX) {
		s->chans.chan[c->power_idx].valid = false;
		sov_writer_set_invalid(s->w, c->power_idx);
	}
	sampler_emit(s, SOV_EV_SENSOR_LOST, SOV_SEV_WARNING, c->idx, -ETIMEDOUT, 0, now,
	     "slow bus: no new reading in stale_periods periods: invalid");
}

/* Note @t as a time the loop is due (the earliest wins). */
static inline void due_min(struct sampler *s, uint64_t t)
{
	if (t < s->due_ns)
		s->due_ns = t;
}

/*
 * When the loop should next look at slow channel @c's mailbox, after the
 * cycle at @now: the worker reads it at multiples of its period, just
 * after the loop's cycle of the same instant (one priority below it on the
 * same core), so the loop takes that reading one grid step later.  A
 * channel read every grid step is looked at every cycle, as before.
 */
static void slow_look_next(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	struct slow_seen *seen = &s->seen[c->idx];
	uint64_t grid = s->o.period_ns, read_at = now - now % c->period_ns;

	if (seen->look_ns > now) {
		due_min(s, seen->look_ns);
		return;
	}
	seen->look_ns = read_at + grid > now ? read_at + grid : read_at + c->period_ns + grid;
	due_min(s, seen->look_ns);
}

/*
 * Read channel @c of the loop (not slow), due at @now: judge the reading or
 * the error, account it to its backend, and plan the next read -- on the
 * channel's own grid (multiples of its period: channels of one rate are
 * read in the same wake-up, not drifting with reads), or after a back-off.
 */
static void read_due(struct sampler *s, struct rt_chan *c, uint64_t now)
{
	struct backend_stats *b = backend_stats_of(s, c->ops);
	struct timespec a, z;
	int64_t v;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = c->ops->read(c, now, &v);
	clock_gettime(CLOCK_MONOTONIC, &z);
	if (b)
		b->ns += (uint64_t)ts_diff_ns(&z, &a);
	if (rc) {
		if (b)
			b->errors++;
		take_error(s, c, rc, now);
		c->next_due_ns = now + c->backoff_ns;
		return;
	}
	take_value(s, c, v, now);
	c->next_due_ns = c->next_due_ns ? c->next_due_ns + c->period_ns : 0;
	if (c->next_due_ns <= now)
		c->next_due_ns = ts_grid_next(now, c->period_ns);
}

/*
 * The sampler's own channels (per-backend read time and errors, the
 * wake-up latency @wake_ns) and the slot's header, then publish the sample
 * of the cycle at @now.
 */
static void publish_cycle(struct sampler *s, uint64_t now, int64_t wake_ns)
{
	struct sov_slot *st;
	size_t i;

	for (i = 0; i < s->nbstats; i++) {
		sov_writer_set(s->w, s->bstats[i].idx_ns, (int64_t)s->bstats[i].ns, now);
		sov_writer_set(s->w, s->bstats[i].idx_err, (int64_t)s->bstats[i].errors, now);
	}
	sov_writer_set(s->w, s->wake_idx, wake_ns, now);

	st = sov_writer_stage(s->w);
	st->mono_ns = now;
	st->real_ns = s->real_now_ns;
	st->cycle_cost_ns = s->last_cost_ns;
	st->overruns = s->st.overruns;
	st->flags = s->extra_flags;
	if (s->smi_idx != UINT32_MAX && s->chans.chan[s->smi_idx].valid) {
		st->smi_count = (uint64_t)s->chans.chan[s->smi_idx].last_value;
		st->flags |= SOV_SF_SMI_VALID;
	}
	sov_writer_publish(s->w);
	uatomic_set(&s->st.cycles, s->st.cycles + 1);
}

void sampler_cycle(struct sampler *s, uint64_t now)
{
	struct timespec t0, t1, rt;
	int64_t wake_ns;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &rt);
	s->real_now_ns = ts_to_ns(&rt);
	/* Wake-up latency: from the deadline to the start of this cycle. */
	wake_ns = ts_to_ns(&t0) > now ? (int64_t)(ts_to_ns(&t0) - now) : 0;
	apply_params(s, now);
	for (i = 0; i < s->nbstats; i++)
		s->bstats[i].ns = 0;
	s->due_ns = UINT64_MAX;

	for (i = 0; i < s->chans.n; i++) {
		struct rt_chan *c = &s->chans.chan[i];

		if (!c->ops)
			continue; /* derived or internal */
		if (c->slow) {
			consume_mailbox(s, c, now);
			check_stale(s, c, now);
			slow_look_next(s, c, now);
			continue;
		}
		if (c->disabled)
			continue;
		if (now >= c->next_due_ns)
			read_due(s, c, now);
		if (!c->disabled)
			due_min(s, c->next_due_ns);
	}
	publish_cycle(s, now, wake_ns);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->last_cost_ns = (uint64_t)ts_diff_ns(&t1, &t0);
}

/*
 * The deadline after the cycle of @next, at @now: the loop wakes only when
 * something is due, on the one absolute grid (multiples of [sampler]
 * period_ms): the first grid instant at or after the earliest channel due
 * (s->due_ns), and no later than the heartbeat after @next, so that every
 * reader sees a new sample at least once per header period.  A deadline
 * already passed is missed: the grid deadlines since are added to
 * *@missed and the loop resumes at the first grid instant after @now (the
 * channels due meanwhile are read then).
 */
static uint64_t loop_next_deadline(const struct sampler *s, uint64_t next, uint64_t now,
				   uint64_t *missed)
{
	uint64_t grid = s->o.period_ns;
	uint64_t wake = ts_grid_next(next + s->heartbeat_ns - grid, grid);

	if (s->due_ns != UINT64_MAX) {
		uint64_t due = ts_grid_next(s->due_ns - 1, grid); /* at or after due_ns */

		if (due <= next)
			due = ts_grid_next(next, grid); /* never the instant just served */
		if (due < wake)
			wake = due;
	}
	*missed = 0;
	if (now >= wake) {
		*missed = (now - wake) / grid + 1;
		wake = ts_grid_next(now, grid);
	}
	return wake;
}

int sampler_run(struct sampler *s, uint64_t max_cycles)
{
	struct timespec ts, now;
	uint64_t next, missed;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->start_ns = ts_to_ns(&ts);
	next = s->start_ns;
	/* A reload waits for our acknowledgement only while we run: pairs
	 * with the uatomic_read() in reload_wait_ack(). */
	uatomic_set(&s->running, 1);
	rc = 0;
	while (!uatomic_read(&s->stop)) {
		sampler_cycle(s, next);
		if (max_cycles && s->st.cycles >= max_cycles)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* After the first cycle (at start, off the grid) too. */
		next = loop_next_deadline(s, next, ts_to_ns(&now), &missed);
		if (missed) {
			uatomic_set(&s->st.overruns, s->st.overruns + missed);
			sampler_emit(s, SOV_EV_OVERRUN, SOV_SEV_WARNING, SOV_NO_SENSOR, (int64_t)missed, 0,
			     ts_to_ns(&now), "cycle overran its deadline");
		}
		ts = ts_from_ns(next);
		/* clock_nanosleep returns its error, it does not set errno. */
		do {
			rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} while (rc == EINTR && !uatomic_read(&s->stop));
		if (rc && rc != EINTR)
			break;
		rc = 0;
	}
	uatomic_set(&s->running, 0);
	return -rc;
}
