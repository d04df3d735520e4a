/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler.h - the sampler core: builds the channel set from the backends
 * and the configuration, runs one cycle (read what is due, judge it,
 * publish), feeds slow (I2C) channels from a worker thread through
 * lock-free mailboxes, and hands events to a journald thread through a
 * wait-free queue.  main.c owns the process (RT setup, signals, systemd).
 */
#ifndef SOVEREIGN_RT_SAMPLER_H
#define SOVEREIGN_RT_SAMPLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "registry.h"
#include "shm_writer.h"

/*
 * enum sampler_rate - the kinds of sensor that have a default rate of their
 * own, as a BMC polls them ([sampler] <kind>_period_ms, params.c decides
 * which channel is which).  A channel's backend key or [sensor X]
 * period_ms overrides its kind's rate.
 */
enum sampler_rate {
	SAMPLER_RATE_CPU_TEMP,     /* CPU temperature (MSR, k10temp, coretemp): 100 ms */
	SAMPLER_RATE_CPU_CORE_TEMP, /* per-die and per-core ones (Tccd*, Core N): 1 s */
	SAMPLER_RATE_ENERGY,       /* CPU energy and power (RAPL): 100 ms */
	SAMPLER_RATE_FAN,          /* fan speeds and duties: 1 s */
	SAMPLER_RATE_VOLTAGE,      /* voltages: 1 s */
	SAMPLER_RATE_CURRENT,      /* currents: 1 s */
	SAMPLER_RATE_VRM,          /* every channel of a VRM (PMBus) controller: 1 s */
	SAMPLER_RATE_DIMM,         /* every channel of a DIMM sensor (jc42, spd5118): 5 s */
	SAMPLER_RATE_BOARD,        /* any other hardware channel: 1 s */
	SAMPLER_RATE_N
};

/* struct sampler_opts - from [sampler] and the command line. */
struct sampler_opts {
	const char *root;          /* fixture prefix, "" in production */
	const char *segment;       /* shm name */
	const char *group;         /* segment group, NULL: the process's */
	int cpu;                   /* housekeeping CPU */
	int priority;              /* SCHED_FIFO priority of the loop */
	uint64_t period_ns;        /* the loop's grid: it wakes on multiples of it,
				    * when a channel is due; nothing is read faster */
	uint64_t rate_ns[SAMPLER_RATE_N]; /* default period per kind, 0: the grid's */
	uint32_t nslots;           /* ring slots */
	uint64_t stuck_ns;         /* default frozen-value limit, 0: off */
	uint64_t backoff_cap_ns;   /* longest back-off after read errors */
	uint32_t stale_periods;    /* a slow channel with no new reading for this
				    * many of its periods is published invalid */
	bool journal;              /* send events to journald */
};

/* Limits and rates that SIGHUP may change without a new generation. */
struct chan_params {
	struct sov_limits lim;
	int64_t hyst;              /* hysteresis, sensor unit */
	uint64_t period_ns;
	uint64_t stuck_ns;
};

/*
 * struct sampler_params - one load's limits and rates, built by the
 * control thread, published to the loop through an RCU pointer.  Retired
 * params are freed by the control thread once the loop has acknowledged a
 * later generation (reload.c): the loop frees nothing and makes
 * no system call for it.
 */
struct sampler_params {
	uint64_t gen;              /* 1, 2, ... one per load */
	uint64_t backoff_cap_ns;   /* [sampler] backoff_max_s */
	uint32_t stale_periods;    /* [sampler] stale_periods */
	struct sampler_params *retired_next; /* control thread only: awaiting the loop's ack */
	size_t n;
	struct chan_params p[];
};

struct sampler_stats {
	uint64_t cycles;           /* completed cycles (watchdog reads it) */
	uint64_t overruns;         /* missed deadlines */
	uint64_t journal_dropped;  /* events the journal queue had no room for */
};

struct sampler;

/*
 * sampler_create() - probe the enabled backends, apply [sensor X]
 * overrides, add derived power and the sampler's own channels, create the
 * segment.  Context: process context (allocates, opens).
 * Return: 0, or -errno with @err saying what (config file and line when
 * the config is at fault).  Ownership: free with sampler_destroy().
 */
int sampler_create(const struct rt_config *cfg, const struct sampler_opts *o,
		   struct sampler **out, struct rt_err *err);

/*
 * sampler_start_threads() - start the slow-bus worker (SCHED_FIFO one
 * below the loop when the loop is real-time; named "sov-worker"; sleeps
 * until its next due read) and the journal thread ("sov-journal"; polls
 * its queue, backing off to once a second while idle).
 * Context: process context, before the loop.  Return: 0 or -errno.
 */
int sampler_start_threads(struct sampler *s, bool rt);

/*
 * sampler_cycle() - one cycle at deadline @now_ns: read due channels,
 * consume slow mailboxes, judge, publish.  Also publishes the channel
 * "sampler-wake-ns" (chip "sampler"): CLOCK_MONOTONIC at the start of the
 * cycle minus @now_ns, 0 if negative -- the loop's wake-up latency when
 * @now_ns is the deadline it slept to.
 * Slow channels are judged here too: one whose worker posted nothing new
 * for stale_periods x its period is published invalid with SENSOR_LOST
 * (SENSOR_BACK when readings resume), from @now_ns alone.
 * Context: the loop thread (one at a time); RT-safe: only the sensor reads
 * are system calls (a reload's new params are picked up and acknowledged
 * with loads, stores and a fence).
 */
void sampler_cycle(struct sampler *s, uint64_t now_ns);

/*
 * sampler_run() - the loop: a first cycle at once, then absolute deadlines
 * on the grid k * period of CLOCK_MONOTONIC (ts_grid_next(), shared with
 * the slow worker and the journal thread so that the core wakes once for
 * all of them), only those where a channel is due, and at least one per
 * heartbeat (the header's period: the fastest channel's, at most 500 ms or
 * one grid step); catch-up after an oversleep (missed deadlines counted
 * and published), until sampler_stop() or @max_cycles (0: forever).
 * Context: the loop thread.  Return: 0, or -errno of clock_nanosleep.
 */
int sampler_run(struct sampler *s, uint64_t max_cycles);

/*
 * sampler_stop() - ask the loop and threads to end: sets the stop flag and
 * wakes the worker and journal threads at once (a futex wake); the loop
 * sees it after its current sleep (at most one heartbeat, see sampler_run()).
 * Context: any thread, and async-signal-safe (an atomic store and the
 * futex system call; errno is preserved).  Not from the loop itself: it is
 * a system call.
 */
void sampler_stop(struct sampler *s);

/*
 * sampler_reload() - apply a new configuration's limits and rates (RCU:
 * the loop picks them up at its next cycle, no lock).  @o: the options
 * of the new configuration as the caller resolved them (command-line
 * overrides applied).
 *
 * Decided from the configuration alone -- no backend is probed or removed,
 * no hardware touched: *@restart is set, with @err saying which section and
 * key, when the new file would change what only a new generation (process
 * restart) can apply: [sampler] root, segment, group, cpu, priority,
 * period_ms, slots, journal; any key of a backend's section (enable, chips,
 * buses, ...); a [sensor X] ignore, label or labels that would change the
 * table.  Otherwise every limit, hysteresis, rate and stuck_s is rebuilt
 * from what the backends reported at probe plus the new file (a limit
 * removed from the file is back to the probe's, or none), and
 * [sampler] stuck_s, backoff_max_s and stale_periods are applied.
 *
 * Waits (polling with 1 ms sleeps, at most 2 periods + 1 s) while the
 * loop runs for it to acknowledge the new params, then frees the retired
 * ones; those not acknowledged yet are freed by a later reload or
 * sampler_destroy().  Wakes the slow worker to take new rates.
 * Context: one control thread (not the loop; reloads are not concurrent
 * with each other nor with sampler_destroy()).
 * Return: 0 (also when *@restart is set), or -errno with @err: the old
 * configuration stays in force.
 */
int sampler_reload(struct sampler *s, const struct rt_config *cfg,
		   const struct sampler_opts *o, bool *restart, struct rt_err *err);

/* sampler_stats() - a snapshot of the counters.  Context: any thread. */
struct sampler_stats sampler_stats(const struct sampler *s);

/* sampler_flag() - set sample flags (SOV_SF_NO_RT, SOV_SF_NO_MLOCK) for every publish. */
void sampler_flag(struct sampler *s, uint32_t flags);

/*
 * sampler_note() - note @i (0, 1, ...) on what the probes skipped and why
 * (an absent interface, a device left alone), or NULL past the last.
 * Return: a string owned by @s.
 */
const char *sampler_note(const struct sampler *s, size_t i);

/* sampler_channels() - the channel list (for --discover and tests). */
const struct rt_chan_list *sampler_channels(const struct sampler *s);

/* sampler_writer() - the segment writer (for events from main.c before the loop). */
struct sov_writer *sampler_writer(struct sampler *s);

/* sampler_destroy() - stop threads, close the segment, remove channels.  @s may be NULL. */
void sampler_destroy(struct sampler *s);

/*
 * sampler_check_config() - @cfg against the sampler's schema: [sampler],
 * [sensor CHIP/NAME] and one section per registered backend, each with
 * the keys it declares (sensor_ops.keys, plus "enable").  Context: process
 * context, at start and at every reload, before anything is applied.
 * Return: 0 or -EINVAL with @err naming file:line, the unknown section or
 * key and the one probably meant (see rt_config_check()).
 */
int sampler_check_config(const struct rt_config *cfg, struct rt_err *err);

/*
 * sampler_parse_opts() - [sampler] section into @o (defaults for absent
 * keys; "group" must exist on this system).  Return: 0 or -EINVAL with
 * @err naming file:line.
 */
int sampler_parse_opts(const struct rt_config *cfg, struct sampler_opts *o, struct rt_err *err);

/*
 * sampler_parse_value() - "85", "85C", "1.2V", "300W", "40%", ... into an
 * integer in @unit (SOV_UNIT_*).  Return: 0 or -EINVAL.
 */
int sampler_parse_value(uint16_t unit, const char *text, int64_t *out);

#endif /* SOVEREIGN_RT_SAMPLER_H */
