/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler_int.h - what the sampler core's files share, and nothing else
 * includes: struct sampler (which thread touches which field), the
 * worker's mailboxes, the journal queue's nodes, and the functions one
 * file of the core calls in another.  The public API is sampler.h.
 *
 * The files, one job each:
 *   sampler.c   create and destroy, the helper threads' start and stop
 *   options.c   [sampler] options, values with units, the schema check
 *   params.c    each channel's limits and rates (per-kind defaults)
 *   channels.c  the channel set: probes, [sensor X] names, own channels
 *   loop.c      the real-time path: one cycle, and the loop around it
 *   slow.c      the slow-bus worker and its mailboxes' writing side
 *   journal.c   events: into the segment, and to journald by a thread
 *   reload.c    SIGHUP: restart or new params, decided from the file
 */
#ifndef SOVEREIGN_RT_SAMPLER_INT_H
#define SOVEREIGN_RT_SAMPLER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <urcu/lfstack.h>
#include <urcu/wfcqueue.h>

#include "sampler.h"
#include "timespec.h"

#define JOURNAL_POOL      256          /* events in flight to journald */
#define DEFAULT_BACKOFF_CAP (60 * NSEC_PER_SEC)
#define DEFAULT_TEMP_HYST 2000         /* m°C */
#define DEFAULT_STALE_PERIODS 3
/* The loop publishes at least this often (or once per grid step if longer). */
#define HEARTBEAT_MAX_NS  (500 * 1000000ull)
/* The limit bits of a table entry's flags (what params set and replace):
 * SOV_SEN_LIMITS, shm_abi.h. */

/* A slow channel's reading, handed from the worker to the loop.  One
 * writer (worker), one reader (loop): the seqcount of shm_seq.h, every
 * field accessed with CMM_LOAD_SHARED/CMM_STORE_SHARED inside it. */
struct mailbox {
	uint64_t seq;
	uint64_t posted;      /* readings posted so far (loop: new if moved) */
	int64_t value;
	uint64_t mono_ns;     /* when it was read */
	uint64_t read_ns;     /* how long the read took */
	int32_t err;          /* 0 or -errno */
	uint32_t pad_;
} __attribute__((aligned(64)));

/* Worker-side schedule of a slow channel (the loop never touches it). */
struct slow_sched {
	uint64_t next_due_ns;
	uint64_t backoff_ns;
	uint64_t period_ns;   /* the channel's period this schedule follows */
	bool disabled;
};

/* Loop-side view of a slow channel's mailbox (the worker never touches it). */
struct slow_seen {
	uint64_t posted;      /* posted count consumed */
	uint64_t at_ns;       /* when the newest consumed reading was taken (or
			       * the loop's first cycle, or a new rate): staleness
			       * counts from here */
	uint64_t look_ns;     /* when the loop is next due for it: one grid step
			       * after the worker's next read on its grid */
	bool stale;           /* published invalid for want of a new reading */
};

/* What the configuration did to a probed channel's name (for reload). */
struct chan_names {
	char label[SOV_NAME_LEN];     /* as the backend gave it */
	char labels[SOV_LABELS_LEN];
};

/* A probed channel "ignore = yes" left out of the table (for reload). */
struct chan_ignored {
	char chip[SOV_NAME_LEN];
	char name[SOV_NAME_LEN];
};

/* One key of a backend's section in the running configuration. */
struct conf_entry {
	char *sec, *key, *value;
};

/* The backend sections of the running configuration, sorted. */
struct conf_snap {
	struct conf_entry *e;
	size_t n;
};

struct journal_node {
	struct cds_wfcq_node q;    /* in the queue to the journal thread */
	struct cds_lfs_node free;  /* in the free stack */
	struct sov_event ev;
	char chip[SOV_NAME_LEN];
	char name[SOV_NAME_LEN];
	char label[SOV_NAME_LEN];
	uint16_t unit;
};

/* Why backends found nothing or were skipped: said once at start. */
struct probe_notes {
	char (*msg)[RT_ERR_LEN];
	size_t n;
};

/* Per-backend accounting, published as the sampler's own channels. */
struct backend_stats {
	const struct sensor_ops *ops;
	uint32_t idx_ns;           /* channel: read time this cycle, ns */
	uint32_t idx_err;          /* channel: errors since start */
	uint64_t ns;               /* accumulated this cycle (loop) */
	uint64_t errors;
};

struct sampler {
	struct sampler_opts o;         /* its strings point into the copies below */
	char *root, *segment, *group;  /* owned: the config is freed after create */
	struct rt_chan_list chans;
	struct sov_writer *w;
	/*
	 * Threads and what they share (each access below names its partner):
	 *   loop    -- sampler_run()/sampler_cycle(): chans (desc limits, state),
	 *              seen, applied_gen, stale_periods, the writer
	 *   worker  -- slow_worker_main(): sched, the mailboxes' writing side
	 *   control -- sampler_reload(): builds params, retired list
	 *   shared  -- params (RCU pointer: control -> loop), params_ack
	 *              (loop -> control), running (loop -> control), the
	 *              channels' period_ns and backoff_cap_ns (loop -> worker),
	 *              mbox (worker -> loop, seqcount), stop, st
	 *   immutable after sampler_create() -- o, chans' ops/priv/slow/desc
	 *              names, base, names, ignored, snap (control reads them)
	 */
	struct sampler_params *params;        /* RCU pointer: control -> loop */
	struct sampler_params *retired;       /* control: replaced, awaiting the ack */
	uint64_t params_ack;                  /* loop -> control: newest gen applied */
	int running;                          /* loop -> control: inside sampler_run() */
	uint64_t applied_gen;                 /* loop: gen of the params applied */
	uint64_t backoff_cap_ns;              /* loop -> worker: applied backoff_max_s */
	uint32_t stale_periods;               /* loop: applied stale_periods */
	struct sov_sensor *base;              /* per channel: desc before any config (probe-time
					       * limits and rate), the base of every params */
	struct chan_names *names;             /* per probed channel: probe-time label(s) */
	struct chan_ignored *ignored;         /* channels left out by "ignore" */
	size_t nignored;
	struct conf_snap snap;                /* backend sections of the running config */
	struct mailbox *mbox;                 /* per channel; used by slow ones */
	struct slow_sched *sched;             /* per channel; worker only */
	struct slow_seen *seen;               /* per channel; loop only */
	struct backend_stats *bstats;
	size_t nbstats;
	size_t nprobed;                       /* channels from backends (before derived ones) */
	struct probe_notes notes;             /* skipped backends and devices, and why */
	uint32_t smi_idx;                     /* channel of the SMI count, or UINT32_MAX */
	uint32_t wake_idx;                    /* channel sampler-wake-ns */
	uint32_t extra_flags;                 /* SOV_SF_NO_RT, SOV_SF_NO_MLOCK */
	uint64_t last_cost_ns;
	uint64_t start_ns;
	uint64_t due_ns;                      /* loop: the earliest channel due after this cycle */
	uint64_t heartbeat_ns;                /* loop: the longest sleep (the header's period):
					       * readers judge a sample's age by it */
	uint64_t real_now_ns;                 /* CLOCK_REALTIME of this cycle */
	int stop;                             /* uatomic + futex word: set by sampler_stop() */
	struct sampler_stats st;              /* written by the loop, read with uatomic */
	bool has_slow;
	/* journal */
	struct cds_wfcq_head jq_head;
	struct cds_wfcq_tail jq_tail;
	struct cds_lfs_stack jfree;
	struct journal_node *jpool;
	pthread_t worker, journal;
	bool worker_started, journal_started;
};

/* struct sampler_rate_key - a kind's [sampler] key and default rate (options.c). */
struct sampler_rate_key {
	const char *key;           /* "cpu_temp_period_ms", ... */
	uint32_t default_ms;
};
extern const struct sampler_rate_key sampler_rate_keys[SAMPLER_RATE_N];

/* ------------------------------------------------------------------ */
/* Functions one file of the core calls in another                      */

/*
 * sampler_sensor_section() - the [sensor X] section for sensor @chip/@name:
 * X is "chip/name" with the full chip string or the chip name alone
 * (before '/'), and may be a glob; the first section that matches is the
 * one, NULL for none.  (params.c)  Context: process context.
 */
const struct rt_conf_section *sampler_sensor_section(const struct rt_config *cfg,
						     const char *chip, const char *name);

/* sensor_section() - the [sensor X] section for channel @c (its chip and name never change). */
static inline const struct rt_conf_section *sensor_section(const struct rt_config *cfg,
							   const struct rt_chan *c)
{
	return sampler_sensor_section(cfg, c->desc.chip, c->desc.name);
}

/*
 * params_build() - the params of @cfg and @o (its [sampler] options) for
 * every channel of @s, numbered @gen.  (params.c)  Context: create, and
 * the control thread at reload: reads only what is immutable after create
 * (s->base).  Return: the params (free()), or NULL with @err.
 */
struct sampler_params *params_build(const struct rt_config *cfg, const struct sampler *s,
				    const struct sampler_opts *o, uint64_t gen, struct rt_err *err);

/*
 * chan_apply_params() - limits, hysteresis and stuck time of @p into
 * channel @c's table entry and state (not its period: the caller decides
 * when a new rate starts).  (params.c)  Context: create, and the loop
 * (RT-safe: stores only).
 */
void chan_apply_params(struct rt_chan *c, const struct chan_params *p);

/*
 * channels_build() - the channels the configuration gives: probe the
 * enabled backends, then [sensor X] labels and "ignore"; then the derived
 * power channels and the sampler's own (per-backend read time and errors,
 * wake-up latency).  Sets s->nprobed.  (channels.c)  Context: create only.
 * Return: 0 or -errno with @err.
 */
int channels_build(struct sampler *s, const struct rt_config *cfg, struct rt_err *err);

/*
 * channels_name_backends() - every section of @cfg but [sampler] and
 * [sensor X] names a backend.  (channels.c)  Return: 0 or -EINVAL with @err.
 */
int channels_name_backends(const struct rt_config *cfg, struct rt_err *err);

/* backend_stats_of() - the accounting of backend @ops, or NULL.  (channels.c)  RT-safe. */
struct backend_stats *backend_stats_of(struct sampler *s, const struct sensor_ops *ops);

/*
 * conf_snap_take() - the keys of every backend section of @cfg, sorted;
 * conf_snap_free() frees them.  (reload.c)  Return: 0 or -ENOMEM.
 */
int conf_snap_take(const struct rt_config *cfg, struct conf_snap *sn);
void conf_snap_free(struct conf_snap *sn);

/*
 * sampler_emit() - an event into the segment (numbered there) and, with
 * [sampler] journal, onto the wait-free queue to the journal thread
 * (dropped and counted when its pool is empty).  (journal.c)
 * Context: the loop only (single popper of the free stack); RT-safe.
 */
void sampler_emit(struct sampler *s, uint16_t type, uint16_t sev, uint32_t idx, int64_t value,
		  int64_t limit, uint64_t mono, const char *text);

/* journal_init() - the queue and its pool of JOURNAL_POOL nodes.  (journal.c)  Return: 0 or -ENOMEM. */
int journal_init(struct sampler *s);

/* journal_main() - the journal thread ("sov-journal").  (journal.c) */
void *journal_main(void *arg);

/* slow_worker_main() - the slow-bus worker thread ("sov-worker").  (slow.c) */
void *slow_worker_main(void *arg);

/*
 * sampler_wait_stop_until() - sleep until CLOCK_MONOTONIC @deadline_ns
 * (UINT64_MAX: no deadline) or sampler_stop(), or a wake of s->stop's
 * futex.  (sampler.c)  Context: the worker and journal threads.
 */
void sampler_wait_stop_until(struct sampler *s, uint64_t deadline_ns);

#endif /* SOVEREIGN_RT_SAMPLER_INT_H */
