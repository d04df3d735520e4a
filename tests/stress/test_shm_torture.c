/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_shm_torture.c - stress test of the segment seqlock: one writer
 * process publishing flat out, several reader processes verifying a
 * checksum inside every sample they read (zero torn reads allowed), and
 * the writer's progress measured while every reader is SIGSTOPped.
 *
 * SOV_TORTURE_READS sets the total number of verified reads (default
 * 10,000,000, the figure the foundation issue asks for).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sovereign.h"

#define NREADERS  3
#define NSENSORS  64          /* ~1.1 KiB slots: a copy spans many cache lines */
#define NSLOTS    4           /* small on purpose: the writer laps readers often */
#define CHECK_IDX (NSENSORS - 1)

struct reader_stats {
	uint64_t verified;        /* reads whose checksum matched */
	uint64_t torn;            /* reads returned as good whose checksum did not */
	uint64_t busy;            /* -SOV_EBUSY: no consistent copy in bounded tries */
	uint64_t backwards;       /* a newer read returned an older sample */
	uint64_t walked;          /* samples verified through sov_reader_walk() */
	uint64_t walk_err;        /* sov_reader_walk() failures: must stay 0 */
	int error;                /* any other error code, 0 if none */
};

struct control {
	int writer_stop;          /* set by the parent; read by the writer */
	uint64_t published;       /* samples the writer published */
	struct reader_stats rs[NREADERS];
};

static struct control *ctl;
static char name[64];

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
	return h * UINT64_C(0xff51afd7ed558ccd);
}

/* Value of sensor @i in sample @n; sensor i is invalid when (n + i) % 7 == 0. */
static int64_t value_of(uint64_t n, uint32_t i)
{
	return (int64_t)mix(n, i);
}

static int valid_in(uint64_t n, uint32_t i)
{
	return (n + i) % 7 != 0;
}

/* The checksum over what a reader can see of a sample, independently of the writer. */
static int64_t checksum(const struct sov_sample *s)
{
	const struct sov_slot *sl = sov_sample_slot(s);
	uint64_t h = mix(sl->number, sl->mono_ns);
	uint32_t i;

	h = mix(h, sl->real_ns);
	for (i = 0; i < CHECK_IDX; i++) {
		int64_t v;
		uint64_t t;

		if (sov_sample_get(s, i, &v, &t) == 0)
			h = mix(mix(h, (uint64_t)v), t);
		else
			h = mix(h, 0xdead);
	}
	return (int64_t)h;
}

/* What checksum() must find in sample @n: the writer's side of the check. */
static int64_t expected_checksum(uint64_t n)
{
	uint64_t h = mix(mix(n, n * 3), ~n);
	uint32_t i;

	for (i = 0; i < CHECK_IDX; i++)
		h = valid_in(n, i) ? mix(mix(h, (uint64_t)value_of(n, i)), n + i) : mix(h, 0xdead);
	return (int64_t)h;
}

static int verify(const struct sov_sample *s)
{
	const struct sov_slot *sl = sov_sample_slot(s);
	int64_t v;
	uint32_t i;

	if (sov_sample_get(s, CHECK_IDX, &v, NULL) || v != checksum(s))
		return 0;
	/* The checksum is the writer's; check the pattern against the number too. */
	for (i = 0; i < CHECK_IDX; i++) {
		int64_t x;
		int ok = sov_sample_get(s, i, &x, NULL) == 0;

		if (ok != valid_in(sl->number, i) || (ok && x != value_of(sl->number, i)))
			return 0;
	}
	return sl->mono_ns == sl->number * 3 && sl->real_ns == ~sl->number;
}

static void writer_main(int ready_fd)
{
	struct sov_writer_opts o = { .name = name, .nslots = NSLOTS, .nevents = 64 };
	struct sov_sensor sensors[NSENSORS];
	struct sov_writer *w;
	struct sov_slot *st;
	uint64_t n = 0;
	uint32_t i;

	memset(sensors, 0, sizeof(sensors));
	for (i = 0; i < NSENSORS; i++) {
		sensors[i].kind = SOV_KIND_GAUGE;
		snprintf(sensors[i].name, sizeof(sensors[i].name), "s%u", i);
	}
	if (sov_writer_create(&o, sensors, NSENSORS, &w))
		_exit(10);
	if (write(ready_fd, "r", 1) != 1)
		_exit(11);
	while (!__atomic_load_n(&ctl->writer_stop, __ATOMIC_RELAXED)) {
		n++;
		st = sov_writer_stage(w); /* in place: the next slot, valid until publish */
		st->mono_ns = n * 3;
		st->real_ns = ~n;
		for (i = 0; i < CHECK_IDX; i++) {
			if (valid_in(n, i))
				sov_writer_set(w, i, value_of(n, i), n + i);
			else
				sov_writer_set_invalid(w, i);
		}
		sov_writer_set(w, CHECK_IDX, expected_checksum(n), n);
		if (sov_writer_publish(w) != n)
			_exit(12);
		__atomic_store_n(&ctl->published, n, __ATOMIC_RELAXED);
	}
	sov_writer_close(w);
	_exit(0);
}

static int walk_verify(const struct sov_sample *s, void *arg)
{
	struct reader_stats *rs = arg;

	if (verify(s))
		rs->walked++;
	else
		rs->torn++;
	return 0;
}

static void reader_main(int id, uint64_t reads)
{
	struct reader_stats *rs = &ctl->rs[id];
	struct sov_reader *r;
	struct sov_sample *s;
	uint64_t last = 0, k = 0;
	int rc;

	rc = sov_reader_open(name, NULL, &r);
	if (rc) {
		rs->error = rc;
		_exit(20);
	}
	s = sov_sample_alloc(r);
	while (rs->verified < reads) {
		rc = sov_reader_latest(r, s);
		if (rc == -SOV_EBUSY) {
			rs->busy++;
			continue;
		}
		if (rc) {
			rs->error = rc;
			_exit(21);
		}
		if (!verify(s))
			rs->torn++;
		else
			rs->verified++;
		if (sov_sample_slot(s)->number < last)
			rs->backwards++;
		last = sov_sample_slot(s)->number;
		if ((++k & 63) == 0 && sov_reader_walk(r, NSLOTS - 1, walk_verify, rs) < 0)
			rs->walk_err++; /* only -SOV_ERESTARTED/-SOV_ENOSAMPLE: neither can happen */
	}
	sov_sample_free(s);
	sov_reader_close(r);
	_exit(0);
}

static uint64_t published_over(int ms)
{
	uint64_t a = __atomic_load_n(&ctl->published, __ATOMIC_RELAXED);

	nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L }, NULL);
	return __atomic_load_n(&ctl->published, __ATOMIC_RELAXED) - a;
}

static uint64_t verified_total(void)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < NREADERS; i++)
		t += __atomic_load_n(&ctl->rs[i].verified, __ATOMIC_RELAXED);
	return t;
}

static void teardown(void)
{
	sov_shm_unlink(name);
}

Test(torture, writer_flat_out_readers_verify, .fini = teardown, .timeout = 600)
{
	const char *env = getenv("SOV_TORTURE_READS");
	uint64_t total = env ? strtoull(env, NULL, 10) : 10000000u;
	uint64_t running = 0, stopped = 0, torn = 0, busy = 0, walked = 0, walk_err = 0;
	pid_t writer, readers[NREADERS];
	int pipefd[2], status, i, round;
	char c;

	cr_assert_gt(total, 0, "SOV_TORTURE_READS must be a positive number");
	snprintf(name, sizeof(name), "/sov-torture-%d", (int)getpid());
	sov_shm_unlink(name);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(ctl, MAP_FAILED);
	memset(ctl, 0, sizeof(*ctl));
	cr_assert_eq(pipe(pipefd), 0);

	writer = fork();
	if (writer == 0)
		writer_main(pipefd[1]);
	cr_assert_eq(read(pipefd[0], &c, 1), 1, "writer did not start");
	for (i = 0; i < NREADERS; i++) {
		readers[i] = fork();
		if (readers[i] == 0)
			reader_main(i, (total + NREADERS - 1) / NREADERS);
	}

	/*
	 * Three rounds, at different points of the run: writer progress with
	 * readers running, then with every reader frozen by SIGSTOP wherever
	 * it was -- possibly inside a read section.  A reader must cost the
	 * writer nothing, so the frozen rate may not drop.
	 */
	for (round = 0; round < 3; round++) {
		while (verified_total() < total / 4 * (uint64_t)(round + 1))
			nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
		running += published_over(200);
		for (i = 0; i < NREADERS; i++)
			kill(readers[i], SIGSTOP);
		stopped += published_over(200);
		for (i = 0; i < NREADERS; i++)
			kill(readers[i], SIGCONT);
	}

	for (i = 0; i < NREADERS; i++) {
		cr_assert_eq(waitpid(readers[i], &status, 0), readers[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "reader %d failed: status %#x, error %s", i, status,
			  sov_strerror(ctl->rs[i].error));
	}
	__atomic_store_n(&ctl->writer_stop, 1, __ATOMIC_RELAXED);
	cr_assert_eq(waitpid(writer, &status, 0), writer);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer failed: %#x", status);

	for (i = 0; i < NREADERS; i++) {
		torn += ctl->rs[i].torn;
		busy += ctl->rs[i].busy;
		walked += ctl->rs[i].walked;
		walk_err += ctl->rs[i].walk_err;
		cr_assert_eq(ctl->rs[i].backwards, 0, "reader %d saw time go backwards", i);
	}
	printf("torture: %" PRIu64 " reads verified by %d readers (+%" PRIu64 " walked), "
	       "%" PRIu64 " samples published, %" PRIu64 " torn, %" PRIu64 " busy; "
	       "writer %.0f samples/s with readers running, %.0f/s with all readers stopped\n",
	       verified_total(), NREADERS, walked, ctl->published, torn, busy,
	       running / 0.6, stopped / 0.6);
	fflush(stdout);
	cr_assert_eq(torn, 0, "%" PRIu64 " torn reads", torn);
	cr_assert_eq(walk_err, 0, "%" PRIu64 " walks failed", walk_err);
	/*
	 * Busy: SOV_READ_RETRIES (8) attempts in a row, each lapped by the
	 * writer (it refilled the slot being copied: NSLOTS - 1 = 3 publishes
	 * inside one ~100 ns copy).  With 3 readers and a writer on 2 CPUs a
	 * reader is preempted mid-copy often, but one preemption fails one
	 * attempt only (the next re-reads head), so 8 in a row needs 8
	 * preemptions or page-cache stalls back to back.  Bound: one busy per
	 * 10,000 verified reads, a hundred times what runs here have shown
	 * (0 in 10,000,000 on the 2-CPU VM); more means readers are starved by
	 * the writer, the failure the in-place ring must not bring.
	 */
	cr_assert_leq(busy * 10000, verified_total(), "%" PRIu64 " busy in %" PRIu64 " reads",
		      busy, verified_total());
	cr_assert_geq(verified_total(), total);
	cr_assert_gt(stopped, 0, "writer made no progress while readers were stopped");
	/* Frozen readers free CPU; a writer blocked by them would fall to ~0. */
	cr_assert_geq(stopped * 2, running, "writer slowed down by stopped readers: %" PRIu64
		      " vs %" PRIu64, stopped, running);
	sov_shm_unlink(name);
}
