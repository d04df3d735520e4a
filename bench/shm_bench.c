/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_bench.c - publish and latest-sample read latency of libsovereign's seqlock
 * ring next to a process-shared pthread mutex and rwlock moving the same bytes,
 * with 0, 1 and N forked reader processes.  Built as bench/shm_bench.
 */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "sovereign.h"

/* --- limits and defaults --- */
#define BENCH_ITER_DEFAULT    200000ul
#define BENCH_ITER_QUICK      2000ul
#define BENCH_ITER_MIN        100ul
#define BENCH_ITER_MAX        10000000ul  /* 2 x 80 MB of latency samples */
#define BENCH_READERS_DEFAULT 4ul
#define BENCH_READERS_MAX     64ul
#define BENCH_SENSORS_DEFAULT 256ul
#define BENCH_SENSORS_MIN     2ul         /* one value and its checksum */
#define BENCH_CAP_NS          UINT64_C(8000000000)  /* per-config time cap */
#define BENCH_CAP_QUICK_NS    UINT64_C(3000000000)
#define BENCH_READY_NS        UINT64_C(10000000000) /* readers must attach by then */
#define BENCH_REAP_NS         UINT64_C(5000000000)  /* then children get SIGKILL */
#define BENCH_CHILD_CHECK_NS  UINT64_C(100000000)   /* look for dead readers this often */
#define BENCH_OVERHEAD_PAIRS  100000u
#define BENCH_CHECK_EVERY     256u        /* publishes between stop checks */
#define BENCH_RECORD_EVERY    64u         /* reader samples between progress stores */
#define BENCH_LINE            SOV_ALIGN   /* keep shared control words apart */
#define BENCH_ROWS_MAX        3           /* 0, 1 and N readers */

#define NS_PER_S UINT64_C(1000000000)

enum bench_mech { MECH_SEQLOCK, MECH_MUTEX, MECH_RWLOCK, MECH_COUNT_ };

static const char *const mech_name[MECH_COUNT_] = { "seqlock", "mutex", "rwlock" };

/* ctl.phase: what readers do now */
enum bench_phase {
	PHASE_WAIT    = 0, /* attached, waiting for the writer */
	PHASE_WARM    = 1, /* read, do not record */
	PHASE_MEASURE = 2, /* read; reader 0 records its latency */
	PHASE_STOP    = 3, /* leave the loop, write stats, exit */
};

/*
 * Control words shared with the forked readers (MAP_SHARED | MAP_ANONYMOUS,
 * mapped before fork).  These are the benchmark's own flags, not part of the
 * segment ABI, so they use C11 atomics rather than the liburcu policy of
 * shm_seq.h.  Each hot word sits on its own line so that a reader polling
 * `phase' does not share a line with reader 0's progress counter.
 */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
	       "atomics in a shared mapping must be lock-free to work across processes");

struct reader_stats {         /* written by its reader only, read after waitpid() */
	uint64_t reads;           /* successful reads (all phases) */
	uint64_t busy;            /* seqlock: -SOV_EBUSY returns */
	uint64_t torn;            /* checksum mismatches */
	uint64_t backwards;       /* sample number lower than the previous read's */
	uint64_t measure_reads;   /* successful reads while PHASE_MEASURE */
	uint64_t measure_ns;      /* ns from its first to its last measured read */
	int32_t  err;             /* 0 or the -errno / -SOV_E* that ended the loop */
	uint32_t pad_;
};

struct bench_ctl {
	alignas(BENCH_LINE) atomic_uint phase;     /* enum bench_phase */
	alignas(BENCH_LINE) atomic_uint ready;     /* readers attached */
	alignas(BENCH_LINE) atomic_ulong recorded; /* reader 0 latency samples so far */
	alignas(BENCH_LINE) pthread_mutex_t mutex; /* PTHREAD_PROCESS_SHARED */
	alignas(BENCH_LINE) pthread_rwlock_t rwlock; /* PTHREAD_PROCESS_SHARED */
	alignas(BENCH_LINE) struct reader_stats stats[BENCH_READERS_MAX];
};

/* What a seqlock reader does per timed read (the sweep varies it; the table uses READ_LATEST). */
enum read_op {
	READ_LATEST, /* sov_reader_latest(): copy the whole newest sample, verify its checksum */
	READ_VALUE,  /* sov_reader_value(): copy one reading of the newest sample */
	READ_HEAD,   /* sov_reader_head(): load header.head only */
	READ_OP_COUNT_
};

static const char *const read_op_name[READ_OP_COUNT_] = { "latest", "value", "head" };

struct bench_opts {
	unsigned long iterations; /* samples per measurement */
	unsigned long readers;    /* N of the "N readers" row */
	unsigned long sensors;    /* sensor values per sample */
	uint64_t cap_ns;          /* per-config time cap */
	unsigned long nslots;     /* ring slots of the segment (0: the library's default) */
	bool json;
	bool quick;
	bool sweep;               /* seqlock only: vary ring size, reader op, setter */
};

struct lat_stats {
	uint64_t n, med, p99, max; /* samples; ns after overhead subtraction */
};

struct bench_result {
	enum bench_mech mech;
	unsigned long readers;
	struct lat_stats pub;         /* stage + commit */
	struct lat_stats commit;      /* commit only: make the staged sample visible */
	struct lat_stats rd;          /* n == 0 when readers == 0 */
	double pub_per_s;             /* publishes/s in the measured phase */
	double reads_per_s;           /* reads/s of all readers in the measured phase */
	uint64_t busy, torn, backwards;
	bool capped;                  /* stopped by the time cap */
	/* sweep rows only: what was varied */
	uint32_t nslots;
	enum read_op rdop;
	bool bulk;
};

#define SWEEP_MAX 32

struct bench {
	struct bench_opts o;
	char name[64];                /* "/sov-bench-<pid>" */
	pid_t parent;
	struct sov_writer *w;
	struct bench_ctl *ctl;        /* shared mapping, ctl_len bytes */
	size_t ctl_len;
	struct sov_slot *lock_data;   /* in the shared mapping: mutex/rwlock payload */
	struct sov_slot *peer_stage;  /* private: the peers' staging sample */
	int64_t *values;              /* private: one sample's values, for the bulk setter */
	enum read_op rdop;            /* what seqlock readers do (READ_LATEST but in the sweep) */
	bool bulk;                    /* seqlock: sov_writer_set_many() instead of sov_writer_set() */
	uint32_t nslots;              /* ring slots of the current segment */
	uint64_t *read_lat;           /* in the shared mapping: reader 0's samples */
	uint64_t *pub_lat;            /* private: the writer's publish samples */
	uint64_t *commit_lat;         /* private: the writer's commit samples */
	uint32_t nsensors;
	uint32_t words;               /* bitmap words, as the segment's */
	size_t used;                  /* bytes moved per publish and per read */
	size_t slot_size;
	uint64_t overhead_ns;         /* median empty clock_gettime pair */
	pid_t pids[BENCH_READERS_MAX];
	unsigned long npids;
	unsigned long row_readers[BENCH_ROWS_MAX];
	int nrows;
	struct bench_result res[BENCH_ROWS_MAX][MECH_COUNT_];
	struct bench_result sweep[SWEEP_MAX];
	int nsweep;
};

/* Set by SIGINT/SIGTERM in the parent; checked between publishes. */
static volatile sig_atomic_t stop_requested;

/* The segment's file (sov_shm_path()), for the second-signal exit below; set before any fork. */
static char segment_path[PATH_MAX];

/*
 * First signal: ask the run to stop; it then cleans up on its normal path.
 * Second signal: the run did not stop (e.g. the writer waits forever on a
 * mutex whose reader was killed while holding it), so remove the segment
 * and leave at once; the readers get SIGKILL from PR_SET_PDEATHSIG.
 * unlink(2) of the path resolved beforehand: async-signal-safe (the
 * writers' lock file stays behind, empty, in the run directory).
 */
static void on_stop_signal(int sig)
{
	if (stop_requested) {
		if (segment_path[0])
			unlink(segment_path);
		_exit(128 + sig);
	}
	stop_requested = 1;
}

/* --- time --- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };

	nanosleep(&ts, NULL); /* an early wake-up only shortens a poll interval */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Subtract @overhead from each of the @n samples in @v (saturating at 0),
 * sort them and summarise: median and p99 by nearest rank, and max.
 */
static void lat_summary(uint64_t *v, uint64_t n, uint64_t overhead, struct lat_stats *out)
{
	uint64_t i;

	*out = (struct lat_stats){ .n = n };
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		v[i] = v[i] > overhead ? v[i] - overhead : 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	out->med = v[(n - 1) / 2];
	out->p99 = v[(99 * n + 99) / 100 - 1]; /* ceil(0.99 n) - 1 */
	out->max = v[n - 1];
}

/* Median cost of an empty clock_gettime() pair, in ns. */
static int measure_overhead(uint64_t *out)
{
	uint64_t *v = malloc(BENCH_OVERHEAD_PAIRS * sizeof(*v));
	struct lat_stats st;
	uint32_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < BENCH_OVERHEAD_PAIRS; i++) {
		uint64_t t0 = now_ns();

		v[i] = now_ns() - t0;
	}
	lat_summary(v, BENCH_OVERHEAD_PAIRS, 0, &st);
	free(v);
	*out = st.med;
	return 0;
}

/* --- the payload: values, checksum, verification --- */

/* Value of sensor @i in sample @number: changes with both, cheaply. */
static inline int64_t bench_value(uint64_t number, uint32_t i)
{
	return (int64_t)((number * UINT64_C(0x9e3779b97f4a7c15)) ^ ((uint64_t)i << 17) ^ i);
}

/* One step of the checksum the last sensor carries: order-sensitive. */
static inline uint64_t csum_step(uint64_t c, int64_t v)
{
	return ((c << 5) | (c >> 59)) ^ (uint64_t)v;
}

/*
 * Readings of a slot laid out as shm_abi.h documents it (head, valid bitmap,
 * suspect bitmap, readings).  The reader API has no accessor for the whole
 * array, only sov_sample_get() per sensor; check_sample_layout() makes sure
 * a copied sample has this layout before it is relied on.
 */
static inline const struct sov_reading *slot_readings(const struct sov_slot *slot, uint32_t words)
{
	return (const struct sov_reading *)((const uint64_t *)(slot + 1) + 2u * words);
}

/* Is the last reading the checksum of the others?  Return: true if torn. */
static bool slot_torn(const struct sov_slot *slot, uint32_t words, uint32_t nsensors)
{
	const struct sov_reading *rd = slot_readings(slot, words);
	uint64_t c = 0;
	uint32_t i;

	for (i = 0; i + 1 < nsensors; i++)
		c = csum_step(c, rd[i].value);
	return (uint64_t)rd[nsensors - 1].value != c;
}

/*
 * The values of sample @number into b->values, the last being the checksum
 * of the others.  Not timed: it stands for the sensor reads, and its
 * checksum chain (a dependency per sensor) would cost more than the setters.
 */
static void prepare_sample(struct bench *b, uint64_t number)
{
	uint64_t c = 0;
	uint32_t i, last = b->nsensors - 1;

	for (i = 0; i < last; i++) {
		b->values[i] = bench_value(number, i);
		c = csum_step(c, b->values[i]);
	}
	b->values[last] = (int64_t)c;
}

/*
 * Stage the prepared sample (b->values) for @mech, the same way for every
 * mechanism: one setter call per sensor (value and read time stored, valid
 * bit set).  The seqlock's setter is the library's inline sov_writer_set(),
 * writing in place into the next slot of the ring (or, with b->bulk, one
 * sov_writer_set_many()); the peers' is the same three stores into a
 * private staging sample, which their commit copies under the lock.
 */
static void stage_sample(struct bench *b, enum bench_mech mech, uint64_t mono)
{
	uint32_t i;

	if (mech == MECH_SEQLOCK) {
		sov_writer_stage(b->w)->mono_ns = mono;
		if (b->bulk) {
			sov_writer_set_many(b->w, 0, b->nsensors, b->values, mono);
			return;
		}
		for (i = 0; i < b->nsensors; i++)
			sov_writer_set(b->w, i, b->values[i], mono);
		return;
	}
	{
		struct sov_reading *rd = (struct sov_reading *)(sov_slot_suspect(b->peer_stage,
										 b->words) + b->words);
		uint64_t *valid = sov_slot_valid(b->peer_stage);

		b->peer_stage->mono_ns = mono;
		for (i = 0; i < b->nsensors; i++) {
			rd[i].value = b->values[i];
			rd[i].mono_ns = mono;
			valid[i / 64] |= UINT64_C(1) << (i % 64);
		}
	}
}

/*
 * Make sample @number visible to readers by @mech: the seqlock ring's
 * publish, or the peers' staging sample copied into the shared struct under
 * the lock (number and nsensors filled in there, as the library's publish
 * does).  Return: 0 or -errno from the lock.
 */
static int commit_sample(struct bench *b, enum bench_mech mech, uint64_t number)
{
	int rc;

	if (mech == MECH_SEQLOCK) {
		sov_writer_publish(b->w);
		return 0;
	}
	rc = mech == MECH_MUTEX ? pthread_mutex_lock(&b->ctl->mutex)
				: pthread_rwlock_wrlock(&b->ctl->rwlock);
	if (rc)
		return -rc;
	memcpy(b->lock_data, b->peer_stage, b->used);
	b->lock_data->number = number;
	b->lock_data->nsensors = b->nsensors;
	rc = mech == MECH_MUTEX ? pthread_mutex_unlock(&b->ctl->mutex)
				: pthread_rwlock_unlock(&b->ctl->rwlock);
	return -rc;
}

/* --- reader processes --- */

/*
 * Compare the direct view of a copied seqlock sample with sov_sample_get()
 * for every sensor.  Return: 0, or -SOV_ELAYOUT if they disagree.
 */
static int check_sample_layout(const struct sov_sample *s, uint32_t words, uint32_t nsensors)
{
	const struct sov_reading *rd = slot_readings(sov_sample_slot(s), words);
	uint32_t i;

	for (i = 0; i < nsensors; i++) {
		int64_t v;

		if (sov_sample_get(s, i, &v, NULL) || v != rd[i].value)
			return -SOV_ELAYOUT;
	}
	return 0;
}

/*
 * Body of reader process @idx for @mech: attach, report ready, read the
 * latest sample as fast as possible until PHASE_STOP, verifying the checksum
 * of every copy; reader 0 records the latency of each read in PHASE_MEASURE.
 * Return: the process exit status (0, or 1 with stats->err set).
 */
static int reader_main(struct bench *b, enum bench_mech mech, unsigned long idx)
{
	struct bench_ctl *ctl = b->ctl;
	struct reader_stats *st = &ctl->stats[idx];
	struct sov_reader *r = NULL;
	struct sov_sample *s = NULL;
	struct sov_slot *copy = NULL;
	const struct sov_slot *view;
	uint64_t rec = 0, last_number = 0, first_t = 0, last_t = 0;
	uint64_t cap = b->o.iterations;
	bool layout_checked = false;
	int64_t one_value;
	int rc = 0;

	/* Ctrl-C is the parent's to handle: it stops us through ctl->phase. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != b->parent) {
		rc = -ESRCH; /* the parent is already gone */
		goto out;
	}
	if (mech == MECH_SEQLOCK) {
		rc = sov_reader_open(b->name, NULL, &r);
		if (rc)
			goto out;
		if (sov_reader_nsensors(r) != b->nsensors ||
		    sov_reader_header(r)->bitmap_words != b->words) {
			rc = -SOV_ELAYOUT;
			goto out_close;
		}
		s = sov_sample_alloc(r);
		if (!s) {
			rc = -ENOMEM;
			goto out_close;
		}
		view = sov_sample_slot(s);
	} else {
		copy = aligned_alloc(BENCH_LINE, b->slot_size);
		if (!copy) {
			rc = -ENOMEM;
			goto out;
		}
		memset(copy, 0, b->slot_size);
		view = copy;
	}
	if (idx == 0) /* prefault: no page fault inside a timed read */
		memset(b->read_lat, 0, cap * sizeof(*b->read_lat));
	atomic_fetch_add_explicit(&ctl->ready, 1, memory_order_release);

	for (;;) {
		/* Pairs with the release stores of phase in run_config(). */
		unsigned int ph = atomic_load_explicit(&ctl->phase, memory_order_acquire);
		uint64_t t0, t1;

		if (ph == PHASE_STOP)
			break;
		if (ph == PHASE_WAIT) {
			sched_yield();
			continue;
		}
		t0 = now_ns();
		if (mech == MECH_SEQLOCK && b->rdop == READ_VALUE) {
			uint64_t got;

			rc = sov_reader_value(r, b->nsensors - 1, &one_value, NULL, &got);
			if (rc == 0 && got < last_number)
				st->backwards++;
			if (rc == 0)
				last_number = got;
		} else if (mech == MECH_SEQLOCK && b->rdop == READ_HEAD) {
			uint64_t got = sov_reader_head(r);

			rc = got ? 0 : -SOV_ENOSAMPLE;
			if (got < last_number)
				st->backwards++;
			last_number = got;
		} else if (mech == MECH_SEQLOCK) {
			rc = sov_reader_latest(r, s);
		} else if (mech == MECH_MUTEX) {
			rc = -pthread_mutex_lock(&ctl->mutex);
			if (!rc) {
				memcpy(copy, b->lock_data, b->used);
				rc = -pthread_mutex_unlock(&ctl->mutex);
			}
		} else {
			rc = -pthread_rwlock_rdlock(&ctl->rwlock);
			if (!rc) {
				memcpy(copy, b->lock_data, b->used);
				rc = -pthread_rwlock_unlock(&ctl->rwlock);
			}
		}
		t1 = now_ns();
		if (rc == -SOV_EBUSY) {
			st->busy++;
			rc = 0;
			continue;
		}
		if (rc)
			break;
		st->reads++;
		if (mech == MECH_SEQLOCK && b->rdop != READ_LATEST)
			goto timed; /* one value or the head: no sample to verify */
		if (!layout_checked && mech == MECH_SEQLOCK) {
			rc = check_sample_layout(s, b->words, b->nsensors);
			if (rc)
				break;
			layout_checked = true;
		}
		if (slot_torn(view, b->words, b->nsensors))
			st->torn++;
		if (view->number < last_number)
			st->backwards++;
		last_number = view->number;
timed:
		if (ph == PHASE_MEASURE) {
			if (!st->measure_reads)
				first_t = t0;
			last_t = t1;
			st->measure_reads++;
			if (idx == 0 && rec < cap) {
				b->read_lat[rec++] = t1 - t0;
				if (rec % BENCH_RECORD_EVERY == 0 || rec == cap)
					atomic_store_explicit(&ctl->recorded, rec,
							      memory_order_relaxed);
			}
		}
	}
	st->measure_ns = last_t - first_t;
	if (idx == 0)
		atomic_store_explicit(&ctl->recorded, rec, memory_order_relaxed);
	sov_sample_free(s);
	free(copy);
out_close:
	sov_reader_close(r);
out:
	st->err = rc;
	return rc ? 1 : 0;
}

/* --- children --- */

/* Say how reader @idx ended if that was not a clean exit.  Return: true if clean. */
static bool child_status_ok(unsigned long idx, pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		fprintf(stderr, "shm_bench: reader %lu (pid %ld) killed by signal %d\n", idx,
			(long)pid, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 1) /* 1: err says why */
		fprintf(stderr, "shm_bench: reader %lu (pid %ld) exited with status %d\n", idx,
			(long)pid, WEXITSTATUS(status));
	return false;
}

/* Has a reader ended early?  Return: 0, or -ECHILD (it is reaped and reported). */
static int check_children(struct bench *b)
{
	unsigned long i;
	int status;

	for (i = 0; i < b->npids; i++)
		if (b->pids[i] > 0 && waitpid(b->pids[i], &status, WNOHANG) == b->pids[i]) {
			if (child_status_ok(i, b->pids[i], status))
				fprintf(stderr, "shm_bench: reader %lu (pid %ld) exited early\n",
					i, (long)b->pids[i]);
			b->pids[i] = 0; /* reaped: reap_children() skips it */
			return -ECHILD;
		}
	return 0;
}

/*
 * Tell every reader to stop, wait up to BENCH_REAP_NS for them, SIGKILL the
 * rest.  Safe on every exit path (no children: no-op).
 * Return: 0 if every child exited 0, else -ECHILD.
 */
static int reap_children(struct bench *b)
{
	uint64_t deadline = now_ns() + BENCH_REAP_NS;
	unsigned long i, left = 0;
	int rc = 0;

	if (!b->ctl)
		return 0; /* setup never got as far as forking */
	for (i = 0; i < b->npids; i++)
		left += b->pids[i] > 0; /* 0: already reaped by check_children() */
	atomic_store_explicit(&b->ctl->phase, PHASE_STOP, memory_order_release);
	while (left && now_ns() < deadline) {
		for (i = 0; i < b->npids; i++) {
			int status;

			if (b->pids[i] <= 0 || waitpid(b->pids[i], &status, WNOHANG) != b->pids[i])
				continue;
			if (!child_status_ok(i, b->pids[i], status))
				rc = -ECHILD;
			b->pids[i] = 0;
			left--;
		}
		if (left)
			sleep_ns(1000000);
	}
	for (i = 0; i < b->npids; i++) {
		if (b->pids[i] <= 0)
			continue;
		fprintf(stderr, "shm_bench: reader %lu (pid %ld) did not stop: SIGKILL\n", i,
			(long)b->pids[i]);
		kill(b->pids[i], SIGKILL);
		while (waitpid(b->pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		b->pids[i] = 0;
		rc = -ECHILD;
	}
	b->npids = 0;
	return rc;
}

/* Fork @n readers of @mech.  Return: 0, or -errno (those started are reaped). */
static int spawn_readers(struct bench *b, enum bench_mech mech, unsigned long n)
{
	unsigned long i;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			int err = -errno;

			reap_children(b);
			return err;
		}
		if (pid == 0)
			_exit(reader_main(b, mech, i)); /* _exit: no atexit, no stdio flush */
		b->pids[b->npids++] = pid;
	}
	return 0;
}

/* Wait until @n readers are attached.  Return: 0, -ECHILD, -ETIMEDOUT, -EINTR. */
static int wait_ready(struct bench *b, unsigned long n)
{
	uint64_t deadline = now_ns() + BENCH_READY_NS;
	int rc;

	while (atomic_load_explicit(&b->ctl->ready, memory_order_acquire) < n) {
		if (stop_requested)
			return -EINTR;
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		rc = check_children(b);
		if (rc)
			return rc;
		sleep_ns(1000000);
	}
	return 0;
}

/* --- one configuration: mechanism x reader count --- */

static int locks_init(struct bench_ctl *ctl)
{
	pthread_mutexattr_t ma;
	pthread_rwlockattr_t ra;
	int rc;

	rc = pthread_mutexattr_init(&ma);
	if (rc)
		return -rc;
	rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutex_init(&ctl->mutex, &ma);
	pthread_mutexattr_destroy(&ma);
	if (rc)
		return -rc;
	rc = pthread_rwlockattr_init(&ra);
	if (rc)
		goto err_mutex;
	/* glibc's default kind: readers preferred, as an unconfigured rwlock is. */
	rc = pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_rwlock_init(&ctl->rwlock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (rc)
		goto err_mutex;
	return 0;
err_mutex:
	pthread_mutex_destroy(&ctl->mutex);
	return -rc;
}

static void locks_destroy(struct bench_ctl *ctl)
{
	pthread_rwlock_destroy(&ctl->rwlock);
	pthread_mutex_destroy(&ctl->mutex);
}

/* Fill in @res from the writer's and readers' samples of the last run. */
static void summarise(struct bench *b, struct bench_result *res, uint64_t published,
		      uint64_t elapsed_ns, unsigned long nreaders)
{
	uint64_t recorded = atomic_load_explicit(&b->ctl->recorded, memory_order_relaxed);
	double reads_per_s = 0;
	unsigned long i;

	uint64_t kept = published < b->o.iterations ? published : b->o.iterations;

	/* Three clock reads span a publish (one in the middle): two overheads. */
	lat_summary(b->pub_lat, kept, 2 * b->overhead_ns, &res->pub);
	lat_summary(b->commit_lat, kept, b->overhead_ns, &res->commit);
	lat_summary(b->read_lat, nreaders ? recorded : 0, b->overhead_ns, &res->rd);
	res->pub_per_s = elapsed_ns ? (double)published * 1e9 / (double)elapsed_ns : 0;
	for (i = 0; i < nreaders; i++) {
		const struct reader_stats *st = &b->ctl->stats[i];

		res->busy += st->busy;
		res->torn += st->torn;
		res->backwards += st->backwards;
		if (st->measure_ns)
			reads_per_s += (double)st->measure_reads * 1e9 / (double)st->measure_ns;
	}
	res->reads_per_s = reads_per_s;
}

/*
 * Measure @mech with @nreaders readers hammering: warm up, then publish flat
 * out, timing each publish, until the writer has o.iterations samples and
 * reader 0 as many (or the time cap).  Return: 0 or -errno; children are
 * reaped on every path.
 */
static int run_config(struct bench *b, enum bench_mech mech, unsigned long nreaders,
		      struct bench_result *res)
{
	struct bench_ctl *ctl = b->ctl;
	uint64_t iters = b->o.iterations, warm = iters / 10, number = 0, n = 0;
	uint64_t start, end = 0, checked;
	unsigned long i;
	int rc, rc2;

	*res = (struct bench_result){ .mech = mech, .readers = nreaders };
	atomic_store_explicit(&ctl->phase, PHASE_WAIT, memory_order_relaxed);
	atomic_store_explicit(&ctl->ready, 0, memory_order_relaxed);
	atomic_store_explicit(&ctl->recorded, 0, memory_order_relaxed);
	memset(ctl->stats, 0, sizeof(ctl->stats));
	if (mech != MECH_SEQLOCK) {
		/* A consistent sample before the first publish: readers verify it. */
		prepare_sample(b, 0);
		stage_sample(b, mech, now_ns());
		memcpy(b->lock_data, b->peer_stage, b->used);
		b->lock_data->number = 0;
		b->lock_data->nsensors = b->nsensors;
	}
	rc = spawn_readers(b, mech, nreaders);
	if (rc)
		return rc;
	rc = wait_ready(b, nreaders);
	if (rc)
		goto out_reap;

	/* Pairs with the acquire load of phase in reader_main(). */
	atomic_store_explicit(&ctl->phase, PHASE_WARM, memory_order_release);
	for (i = 0; i < warm; i++) {
		prepare_sample(b, ++number);
		stage_sample(b, mech, now_ns());
		rc = commit_sample(b, mech, number);
		if (rc)
			goto out_reap;
	}
	atomic_store_explicit(&ctl->phase, PHASE_MEASURE, memory_order_release);
	start = checked = now_ns();
	for (;;) {
		uint64_t t0, t1, t2;

		prepare_sample(b, ++number);
		t0 = now_ns();
		stage_sample(b, mech, t0);
		t1 = now_ns();
		rc = commit_sample(b, mech, number);
		t2 = now_ns();
		if (rc)
			goto out_reap;
		if (n < iters) {
			b->pub_lat[n] = t2 - t0;
			b->commit_lat[n] = t2 - t1;
		}
		n++;
		if (n % BENCH_CHECK_EVERY)
			continue;
		end = t2;
		if (stop_requested) {
			rc = -EINTR;
			goto out_reap;
		}
		if (end - checked > BENCH_CHILD_CHECK_NS) {
			/* A dead reader 0 would otherwise hold us until the time cap. */
			checked = end;
			rc = check_children(b);
			if (rc)
				goto out_reap;
		}
		if (end - start > b->o.cap_ns) {
			res->capped = true;
			break;
		}
		if (n >= iters && (nreaders == 0 ||
				   atomic_load_explicit(&ctl->recorded, memory_order_relaxed) >= iters))
			break;
	}
	rc = reap_children(b);
	summarise(b, res, n, end - start, nreaders);
	for (i = 0; i < nreaders && rc; i++)
		if (ctl->stats[i].err)
			fprintf(stderr, "shm_bench: %s reader %lu: %s\n", mech_name[mech], i,
				sov_strerror(ctl->stats[i].err));
	return rc;
out_reap:
	rc2 = reap_children(b);
	for (i = 0; i < nreaders && rc2; i++)
		if (ctl->stats[i].err)
			fprintf(stderr, "shm_bench: %s reader %lu: %s\n", mech_name[mech], i,
				sov_strerror(ctl->stats[i].err));
	return rc;
}

/* --- setup and teardown --- */

static int create_writer(struct bench *b)
{
	struct sov_sensor *sensors = calloc(b->nsensors, sizeof(*sensors));
	struct sov_writer_opts wo = {
		.name = b->name,
		.writer_name = "shm_bench",
		.nslots = b->nslots,
	};
	uint32_t i;
	int rc;

	if (!sensors)
		return -ENOMEM;
	for (i = 0; i < b->nsensors; i++) {
		struct sov_sensor *s = &sensors[i];

		snprintf(s->name, sizeof(s->name), "bench%" PRIu32, i);
		snprintf(s->label, sizeof(s->label), "bench %" PRIu32, i);
		snprintf(s->chip, sizeof(s->chip), "shm_bench");
		s->kind = SOV_KIND_GAUGE;
		s->unit = SOV_UNIT_NONE;
		s->source = SOV_SRC_SIM;
		s->id = sov_sensor_id(SOV_SRC_SIM, s->chip, s->name);
	}
	rc = sov_writer_create(&wo, sensors, b->nsensors, &b->w);
	free(sensors);
	if (rc)
		return rc;
	b->nslots = sov_writer_header(b->w)->nslots;
	/* One sample up front: sov_reader_latest() never sees -SOV_ENOSAMPLE. */
	prepare_sample(b, 0);
	stage_sample(b, MECH_SEQLOCK, now_ns());
	sov_writer_publish(b->w);
	return 0;
}

/* Map the shared control block, the lock peers' payload and reader 0's samples. */
static int map_shared(struct bench *b)
{
	size_t off_data = sov_align_up(sizeof(struct bench_ctl));
	size_t off_lat = off_data + sov_align_up(b->slot_size);
	void *p;

	b->ctl_len = off_lat + b->o.iterations * sizeof(uint64_t);
	p = mmap(NULL, b->ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	b->ctl = p;
	b->lock_data = (struct sov_slot *)((uint8_t *)p + off_data);
	b->read_lat = (uint64_t *)((uint8_t *)p + off_lat);
	return 0;
}

static int bench_setup(struct bench *b)
{
	int rc;

	b->parent = getpid();
	snprintf(b->name, sizeof(b->name), "/sov-bench-%ld", (long)b->parent);
	rc = sov_shm_path(b->name, segment_path, sizeof(segment_path)); /* before any fork */
	if (rc)
		return rc;
	b->nsensors = (uint32_t)b->o.sensors;
	b->words = sov_bitmap_words(b->nsensors);
	b->slot_size = (size_t)sov_slot_size(b->nsensors);
	/* What sov_writer_publish() and sov_reader_latest() move: head, bitmaps, readings. */
	b->used = sizeof(struct sov_slot) + 2u * 8u * b->words +
		  sizeof(struct sov_reading) * (size_t)b->nsensors;

	b->pub_lat = malloc(b->o.iterations * sizeof(*b->pub_lat));
	b->commit_lat = malloc(b->o.iterations * sizeof(*b->commit_lat));
	b->peer_stage = aligned_alloc(BENCH_LINE, sov_align_up(b->slot_size));
	b->values = calloc(b->nsensors, sizeof(*b->values));
	if (!b->pub_lat || !b->commit_lat || !b->peer_stage || !b->values)
		return -ENOMEM;
	memset(b->peer_stage, 0, b->slot_size);
	b->nslots = (uint32_t)b->o.nslots;
	/* Prefault: no page fault inside a timed publish. */
	memset(b->pub_lat, 0, b->o.iterations * sizeof(*b->pub_lat));
	memset(b->commit_lat, 0, b->o.iterations * sizeof(*b->commit_lat));
	rc = map_shared(b);
	if (rc)
		return rc;
	rc = locks_init(b->ctl);
	if (rc) {
		munmap(b->ctl, b->ctl_len);
		b->ctl = NULL;
		return rc;
	}
	rc = create_writer(b);
	if (rc)
		return rc;
	return measure_overhead(&b->overhead_ns);
}

/* Undo bench_setup() as far as it got; children are already reaped. */
static void bench_teardown(struct bench *b)
{
	if (b->w) {
		sov_writer_close(b->w);
		b->w = NULL;
		sov_shm_unlink(b->name);
	}
	if (b->ctl) {
		locks_destroy(b->ctl);
		munmap(b->ctl, b->ctl_len);
		b->ctl = NULL;
	}
	free(b->commit_lat);
	free(b->pub_lat);
	free(b->peer_stage);
	free(b->values);
}

/* Replace the segment by one of @nslots slots.  Return: 0 or an error of sov_writer_create(). */
static int recreate_writer(struct bench *b, uint32_t nslots)
{
	sov_writer_close(b->w);
	b->w = NULL;
	sov_shm_unlink(b->name);
	b->nslots = nslots;
	return create_writer(b);
}

/*
 * --sweep: the seqlock alone, one thing varied at a time against the
 * default row (one reader hammering sov_reader_latest(), inline setter,
 * the library's default ring): the ring size with no reader and with one,
 * what the reader does (whole sample, one value, head only), and the
 * setter (inline per sensor or bulk).  Return: 0 or -errno.
 */
static int run_sweep(struct bench *b)
{
	static const uint32_t sizes[] = { 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096 };
	uint32_t def = b->nslots;
	size_t i;
	int rc, rd, pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct bench_result *r = &b->sweep[b->nsweep];

			rc = recreate_writer(b, sizes[i]);
			if (rc)
				return rc;
			rc = run_config(b, MECH_SEQLOCK, (unsigned long)pass, r);
			if (rc)
				return rc;
			r->nslots = sizes[i];
			r->rdop = READ_LATEST;
			b->nsweep++;
		}
	rc = recreate_writer(b, def);
	if (rc)
		return rc;
	for (rd = READ_VALUE; rd < READ_OP_COUNT_; rd++) {
		struct bench_result *r = &b->sweep[b->nsweep];

		b->rdop = (enum read_op)rd;
		rc = run_config(b, MECH_SEQLOCK, 1, r);
		b->rdop = READ_LATEST;
		if (rc)
			return rc;
		r->nslots = def;
		r->rdop = (enum read_op)rd;
		b->nsweep++;
	}
	for (pass = 0; pass < 2; pass++) {
		struct bench_result *r = &b->sweep[b->nsweep];

		b->bulk = true;
		rc = run_config(b, MECH_SEQLOCK, (unsigned long)pass, r);
		b->bulk = false;
		if (rc)
			return rc;
		r->nslots = def;
		r->rdop = READ_LATEST;
		r->bulk = true;
		b->nsweep++;
	}
	return 0;
}

static void fmt_lat(char *buf, size_t len, const struct lat_stats *l);

static void print_sweep(const struct bench *b)
{
	int i;

	printf("\nsweep: seqlock only, one thing varied at a time (default: %u slots, "
	       "inline setter, reader copies the latest sample)\n", b->nslots);
	printf("slots | ring KiB | readers | reader op | setter | publish med/p99/max ns      "
	       "| commit med/p99/max ns       | read med/p99/max ns         |   busy\n");
	printf("------+----------+---------+-----------+--------+-----------------------------"
	       "+-----------------------------+-----------------------------+-------\n");
	for (i = 0; i < b->nsweep; i++) {
		const struct bench_result *r = &b->sweep[i];
		char pub[64], cm[64], rd[64];

		fmt_lat(pub, sizeof(pub), &r->pub);
		fmt_lat(cm, sizeof(cm), &r->commit);
		fmt_lat(rd, sizeof(rd), &r->rd);
		printf("%5u | %8zu | %7lu | %-9s | %-6s | %s | %s | %s | %6" PRIu64 "%s\n",
		       r->nslots, (size_t)r->nslots * b->slot_size / 1024, r->readers,
		       r->readers ? read_op_name[r->rdop] : "-", r->bulk ? "bulk" : "inline",
		       pub, cm, rd, r->busy, r->capped ? "  (time cap)" : "");
	}
}

/* --- output --- */

static long nproc(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static void fmt_lat(char *buf, size_t len, const struct lat_stats *l)
{
	if (l->n == 0)
		snprintf(buf, len, "%*s", 27, "-");
	else
		snprintf(buf, len, "%6" PRIu64 " /%8" PRIu64 " /%9" PRIu64, l->med, l->p99, l->max);
}

/* @peer / @base, or a negative value when undefined. */
static double ratio(uint64_t peer, uint64_t base, uint64_t npeer, uint64_t nbase)
{
	if (!npeer || !nbase || base == 0)
		return -1;
	return (double)peer / (double)base;
}

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (r < 0)
		snprintf(buf, len, "%11s", "-");
	else
		snprintf(buf, len, "%11.2f", r);
}

static void print_human(const struct bench *b)
{
	long cpus = nproc();
	int row, m;

	printf("shm_bench: libsovereign seqlock ring vs process-shared pthread mutex and rwlock\n");
	printf("host: %ld CPUs online (nproc); nothing pinned", cpus);
	if (cpus > 0 && (unsigned long)cpus < b->o.readers + 1)
		printf(" -- %ld CPUs: readers share cores with the writer", cpus);
	printf("\n");
	printf("payload: %" PRIu32 " sensors, %zu bytes copied per publish and per read "
	       "(last sensor = checksum of the others, verified on every read)\n",
	       b->nsensors, b->used);
	printf("samples: %lu publishes and %lu reads (reader 0) per config%s; "
	       "time cap %.0f s per config\n",
	       b->o.iterations, b->o.iterations, b->o.quick ? " (--quick)" : "",
	       (double)b->o.cap_ns / 1e9);
	printf("clock_gettime(CLOCK_MONOTONIC) pair overhead: %" PRIu64
	       " ns median, subtracted from every sample\n\n", b->overhead_ns);

	printf("mechanism | readers | publish med/p99/max ns      | read med/p99/max ns         "
	       "| publishes/s | commit med/p99/max ns       |     reads/s |   busy |   torn\n");
	printf("----------+---------+-----------------------------+-----------------------------"
	       "+-------------+-----------------------------+-------------+--------+-------\n");
	for (row = 0; row < b->nrows; row++)
		for (m = 0; m < MECH_COUNT_; m++) {
			const struct bench_result *r = &b->res[row][m];
			char pub[64], cm[64], rd[64], rps[32];

			fmt_lat(pub, sizeof(pub), &r->pub);
			fmt_lat(cm, sizeof(cm), &r->commit);
			fmt_lat(rd, sizeof(rd), &r->rd);
			if (r->readers)
				snprintf(rps, sizeof(rps), "%11.0f", r->reads_per_s);
			else
				snprintf(rps, sizeof(rps), "%11s", "-");
			printf("%-9s | %7lu | %s | %s | %11.0f | %s | %s | %6" PRIu64 " | %6" PRIu64
			       "%s\n", mech_name[m], r->readers, pub, rd, r->pub_per_s, cm, rps, r->busy,
			       r->torn + r->backwards, r->capped ? "  (time cap)" : "");
		}

	printf("\nratios (ratio > 1 means the seqlock is faster)\n");
	printf("peer/seqlock   | readers | publish med | publish p99 |    read med |    read p99"
	       " |  commit med |  commit p99\n");
	printf("---------------+---------+-------------+-------------+-------------+------------"
	       "-+-------------+------------\n");
	for (m = MECH_MUTEX; m < MECH_COUNT_; m++)
		for (row = 0; row < b->nrows; row++) {
			const struct bench_result *p = &b->res[row][m], *s = &b->res[row][MECH_SEQLOCK];
			char c[6][24];

			fmt_ratio(c[0], sizeof(c[0]), ratio(p->pub.med, s->pub.med, p->pub.n, s->pub.n));
			fmt_ratio(c[1], sizeof(c[1]), ratio(p->pub.p99, s->pub.p99, p->pub.n, s->pub.n));
			fmt_ratio(c[2], sizeof(c[2]), ratio(p->rd.med, s->rd.med, p->rd.n, s->rd.n));
			fmt_ratio(c[3], sizeof(c[3]), ratio(p->rd.p99, s->rd.p99, p->rd.n, s->rd.n));
			fmt_ratio(c[4], sizeof(c[4]),
				  ratio(p->commit.med, s->commit.med, p->commit.n, s->commit.n));
			fmt_ratio(c[5], sizeof(c[5]),
				  ratio(p->commit.p99, s->commit.p99, p->commit.n, s->commit.n));
			printf("%-6s/seqlock | %7lu | %s | %s | %s | %s | %s | %s\n", mech_name[m],
			       p->readers, c[0], c[1], c[2], c[3], c[4], c[5]);
		}
	printf("\nnotes: publish = stage %" PRIu32 " values (sov_writer_set(), identical for all three)"
	       " + commit;\n"
	       "  commit = make it visible: sov_writer_publish(), or lock + copy + unlock; "
	       "read = copy the latest sample out\n"
	       "  (checksum verification not timed).\n"
	       "  read latency is measured in reader 0 while the other readers hammer; "
	       "0 readers: no read column.\n"
	       "  busy = sov_reader_latest() -SOV_EBUSY returns; torn = checksum mismatches + "
	       "sample numbers going backwards.\n"
	       "  publishes/s includes the three clock reads per publish; rwlock is glibc's "
	       "default (reader-preferring) kind.\n"
	       "  A publish that waits on a mutex held by a (possibly preempted) reader is the "
	       "blocking the seqlock avoids.\n", b->nsensors);
}

static cJSON *json_lat(const struct lat_stats *l)
{
	cJSON *o;

	if (l->n == 0)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "samples", (double)l->n);
	cJSON_AddNumberToObject(o, "median_ns", (double)l->med);
	cJSON_AddNumberToObject(o, "p99_ns", (double)l->p99);
	cJSON_AddNumberToObject(o, "max_ns", (double)l->max);
	return o;
}

static cJSON *json_ratio(double r)
{
	return r < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(r);
}

/* Print the results as one JSON object.  Return: 0 or -ENOMEM. */
static int print_json(const struct bench *b, bool ok)
{
	cJSON *root = cJSON_CreateObject(), *results, *ratios;
	char *text;
	int row, m, rc = -ENOMEM;

	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "benchmark", "shm_bench");
	cJSON_AddNumberToObject(root, "nproc", (double)nproc());
	cJSON_AddBoolToObject(root, "pinned", false);
	cJSON_AddNumberToObject(root, "sensors", b->nsensors);
	cJSON_AddNumberToObject(root, "bytes_per_op", (double)b->used);
	cJSON_AddNumberToObject(root, "iterations", (double)b->o.iterations);
	cJSON_AddNumberToObject(root, "readers_n", (double)b->o.readers);
	cJSON_AddBoolToObject(root, "quick", b->o.quick);
	cJSON_AddNumberToObject(root, "clock_overhead_ns", (double)b->overhead_ns);
	cJSON_AddStringToObject(root, "ratio_meaning", "ratio > 1 means the seqlock is faster");
	results = cJSON_AddArrayToObject(root, "results");
	ratios = cJSON_AddArrayToObject(root, "ratios");
	if (!results || !ratios)
		goto out;
	for (row = 0; row < b->nrows; row++)
		for (m = 0; m < MECH_COUNT_; m++) {
			const struct bench_result *r = &b->res[row][m];
			cJSON *o = cJSON_CreateObject();

			if (!o || !cJSON_AddItemToArray(results, o)) {
				cJSON_Delete(o);
				goto out;
			}
			cJSON_AddStringToObject(o, "mechanism", mech_name[m]);
			cJSON_AddNumberToObject(o, "readers", (double)r->readers);
			cJSON_AddItemToObject(o, "publish", json_lat(&r->pub));
			cJSON_AddItemToObject(o, "commit", json_lat(&r->commit));
			cJSON_AddItemToObject(o, "read", json_lat(&r->rd));
			cJSON_AddNumberToObject(o, "publishes_per_s", r->pub_per_s);
			if (r->readers)
				cJSON_AddNumberToObject(o, "reads_per_s", r->reads_per_s);
			else
				cJSON_AddNullToObject(o, "reads_per_s");
			cJSON_AddNumberToObject(o, "busy", (double)r->busy);
			cJSON_AddNumberToObject(o, "torn", (double)r->torn);
			cJSON_AddNumberToObject(o, "backwards", (double)r->backwards);
			cJSON_AddBoolToObject(o, "time_capped", r->capped);
		}
	for (m = MECH_MUTEX; m < MECH_COUNT_; m++)
		for (row = 0; row < b->nrows; row++) {
			const struct bench_result *p = &b->res[row][m], *s = &b->res[row][MECH_SEQLOCK];
			cJSON *o = cJSON_CreateObject();
			char peer[32];

			if (!o || !cJSON_AddItemToArray(ratios, o)) {
				cJSON_Delete(o);
				goto out;
			}
			snprintf(peer, sizeof(peer), "%s/seqlock", mech_name[m]);
			cJSON_AddStringToObject(o, "peer", peer);
			cJSON_AddNumberToObject(o, "readers", (double)p->readers);
			cJSON_AddItemToObject(o, "publish_median",
					      json_ratio(ratio(p->pub.med, s->pub.med, p->pub.n, s->pub.n)));
			cJSON_AddItemToObject(o, "publish_p99",
					      json_ratio(ratio(p->pub.p99, s->pub.p99, p->pub.n, s->pub.n)));
			cJSON_AddItemToObject(o, "read_median",
					      json_ratio(ratio(p->rd.med, s->rd.med, p->rd.n, s->rd.n)));
			cJSON_AddItemToObject(o, "read_p99",
					      json_ratio(ratio(p->rd.p99, s->rd.p99, p->rd.n, s->rd.n)));
			cJSON_AddItemToObject(o, "commit_median",
					      json_ratio(ratio(p->commit.med, s->commit.med,
							       p->commit.n, s->commit.n)));
			cJSON_AddItemToObject(o, "commit_p99",
					      json_ratio(ratio(p->commit.p99, s->commit.p99,
							       p->commit.n, s->commit.n)));
		}
	cJSON_AddBoolToObject(root, "ok", ok);
	text = cJSON_Print(root);
	if (!text)
		goto out;
	printf("%s\n", text);
	cJSON_free(text);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/*
 * The run's verdict: every measurement has samples, no read was torn or
 * went backwards.  Prints each failure to stderr.  Return: true if all good.
 */
static bool verdict(const struct bench *b)
{
	bool ok = true;
	int row, m;

	for (row = 0; row < b->nrows; row++)
		for (m = 0; m < MECH_COUNT_; m++) {
			const struct bench_result *r = &b->res[row][m];

			if (r->pub.n == 0 || (r->readers && r->rd.n == 0)) {
				fprintf(stderr, "shm_bench: FAIL: %s with %lu readers: no %s samples\n",
					mech_name[m], r->readers, r->pub.n ? "read" : "publish");
				ok = false;
			}
			if (r->torn || r->backwards) {
				fprintf(stderr, "shm_bench: FAIL: %s with %lu readers: %" PRIu64
					" torn reads (checksum mismatch), %" PRIu64
					" reads went backwards\n", mech_name[m], r->readers,
					r->torn, r->backwards);
				ok = false;
			}
		}
	for (row = 0; row < b->nsweep; row++) {
		const struct bench_result *r = &b->sweep[row];

		if (r->pub.n == 0 || (r->readers && r->rd.n == 0) || r->torn || r->backwards) {
			fprintf(stderr, "shm_bench: FAIL: sweep row %d (%u slots): %" PRIu64
				" publish / %" PRIu64 " read samples, %" PRIu64 " torn, %" PRIu64
				" backwards\n", row, r->nslots, r->pub.n, r->rd.n, r->torn,
				r->backwards);
			ok = false;
		}
	}
	return ok;
}

/* --- options --- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shm_bench [options]\n"
		"Publish and latest-read latency of libsovereign's seqlock ring vs a\n"
		"process-shared pthread mutex and rwlock, with 0, 1 and N reader processes.\n"
		"\n"
		"  -i, --iterations N  samples per measurement (default %lu; %lu..%lu)\n"
		"  -r, --readers N     reader processes of the third row (default %lu; 1..%lu)\n"
		"  -s, --sensors N     sensor values per sample (default %lu; %lu..%u)\n"
		"  -n, --slots N       ring slots, a power of two (default: the library's)\n"
		"  -w, --sweep         then the seqlock alone, varying ring size, reader op\n"
		"                      and setter one at a time (see bench/README.md)\n"
		"  -j, --json          print the results as JSON instead of tables\n"
		"  -q, --quick         %lu iterations and a short time cap: a smoke test\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 ok; 1 a measurement had no samples, a read was torn, or an\n"
		"error; 2 bad usage.\n",
		BENCH_ITER_DEFAULT, BENCH_ITER_MIN, BENCH_ITER_MAX,
		BENCH_READERS_DEFAULT, BENCH_READERS_MAX,
		BENCH_SENSORS_DEFAULT, BENCH_SENSORS_MIN, SOV_SENSORS_MAX_LIMIT,
		BENCH_ITER_QUICK);
}

/* @arg as the decimal value of option @what in [@min, @max] (common/opt.h); a refusal says why. */
static int parse_ulong(const char *arg, const char *what, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	struct sov_opt_err err;
	long long v;

	if (sov_opt_int(what, arg, (long long)min, (long long)max, &v, &err)) {
		fprintf(stderr, "shm_bench: %s\n", err.msg);
		return -EINVAL;
	}
	*out = (unsigned long)v;
	return 0;
}

/* Return: 0 to run, 1 for --help (done), -EINVAL for bad usage. */
static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "iterations", required_argument, NULL, 'i' },
		{ "readers",    required_argument, NULL, 'r' },
		{ "sensors",    required_argument, NULL, 's' },
		{ "slots",      required_argument, NULL, 'n' },
		{ "sweep",      no_argument,       NULL, 'w' },
		{ "json",       no_argument,       NULL, 'j' },
		{ "quick",      no_argument,       NULL, 'q' },
		{ "help",       no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool iter_set = false;
	int c;

	*o = (struct bench_opts){
		.iterations = BENCH_ITER_DEFAULT,
		.readers = BENCH_READERS_DEFAULT,
		.sensors = BENCH_SENSORS_DEFAULT,
		.cap_ns = BENCH_CAP_NS,
	};
	while ((c = getopt_long(argc, argv, "i:r:s:n:wjqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_ulong(optarg, "--iterations", BENCH_ITER_MIN, BENCH_ITER_MAX,
					&o->iterations))
				return -EINVAL;
			iter_set = true;
			break;
		case 'r':
			if (parse_ulong(optarg, "--readers", 1, BENCH_READERS_MAX, &o->readers))
				return -EINVAL;
			break;
		case 's':
			if (parse_ulong(optarg, "--sensors", BENCH_SENSORS_MIN,
					SOV_SENSORS_MAX_LIMIT, &o->sensors))
				return -EINVAL;
			break;
		case 'n':
			if (parse_ulong(optarg, "--slots", 4, SOV_NSLOTS_MAX, &o->nslots))
				return -EINVAL;
			if (o->nslots & (o->nslots - 1)) {
				fprintf(stderr, "shm_bench: --slots must be a power of two\n");
				return -EINVAL;
			}
			break;
		case 'w':
			o->sweep = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quick = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shm_bench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->quick) {
		if (!iter_set)
			o->iterations = BENCH_ITER_QUICK;
		o->cap_ns = BENCH_CAP_QUICK_NS;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b; /* large (results, pids): not on the stack */
	struct sigaction sa = { .sa_handler = on_stop_signal };
	bool ok = false;
	int rc, row, m;

	rc = parse_opts(argc, argv, &b.o);
	if (rc)
		return rc > 0 ? 0 : 2;
	b.row_readers[b.nrows++] = 0;
	b.row_readers[b.nrows++] = 1;
	if (b.o.readers > 1)
		b.row_readers[b.nrows++] = b.o.readers;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		fprintf(stderr, "shm_bench: sigaction: %s\n", strerror(errno));
		return 1;
	}
	rc = bench_setup(&b);
	if (rc) {
		fprintf(stderr, "shm_bench: setup: %s\n", sov_strerror(rc));
		goto out;
	}
	/* Mechanisms interleaved per reader count, so drift hits all three alike. */
	for (row = 0; row < b.nrows; row++)
		for (m = 0; m < MECH_COUNT_; m++) {
			if (!b.o.json && isatty(STDERR_FILENO))
				fprintf(stderr, "shm_bench: %s, %lu readers ...\n", mech_name[m],
					b.row_readers[row]);
			rc = run_config(&b, (enum bench_mech)m, b.row_readers[row], &b.res[row][m]);
			if (rc) {
				fprintf(stderr, "shm_bench: %s with %lu readers: %s\n", mech_name[m],
					b.row_readers[row],
					rc == -ECHILD ? "a reader process failed (see above)" :
					rc == -EINTR ? "interrupted" : sov_strerror(rc));
				goto out;
			}
		}
	if (b.o.sweep) {
		rc = run_sweep(&b);
		if (rc) {
			fprintf(stderr, "shm_bench: sweep: %s\n", rc == -ECHILD ?
				"a reader process failed (see above)" : sov_strerror(rc));
			goto out;
		}
	}
	ok = verdict(&b);
	if (b.o.json)
		rc = print_json(&b, ok);
	else
		print_human(&b);
	if (!b.o.json && b.o.sweep)
		print_sweep(&b);
	if (rc)
		fprintf(stderr, "shm_bench: json: %s\n", sov_strerror(rc));
	if (!ok)
		fprintf(stderr, "shm_bench: FAILED (see above)\n");
out:
	reap_children(&b);
	bench_teardown(&b);
	return ok && !rc ? 0 : 1;
}
